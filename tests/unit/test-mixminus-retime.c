/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcumixminus: sink pads with retime=TRUE (inputs from the network) report
 * no latency and are timed by their arrival on the element's clock, so
 * that a participant that stops sending never holds up the mix beyond the
 * element's own latency; one fed by a shared pusher never blocks it long. */
#include "mcu-jitter-buffer.h"
#include "mcu-mix-minus.h"
#include "mcu-plugins.h"
#include "mixminus-fixture.h"

#include <gst/check/gsttestclock.h>

/* A retimed input's latency (a 200 ms jitter buffer) no longer sets how
 * long the element waits; another input's (20 ms) still does. */
static void
test_latency (void)
{
  Fixture *f = fixture_new (2, TRUE);
  g_autoptr (GstPad) retimed = sink_pad (f, 1);
  GstQuery *query = gst_query_new_latency ();
  gboolean live = FALSE;
  GstClockTime min = 0, max = 0;

  g_object_set (retimed, "retime", TRUE, NULL);
  gst_harness_set_live (f->in[0], TRUE);
  gst_harness_set_live (f->in[1], TRUE);
  gst_harness_set_upstream_latency (f->in[0], 20 * GST_MSECOND);
  gst_harness_set_upstream_latency (f->in[1], 200 * GST_MSECOND);

  g_assert_true (gst_pad_peer_query (retimed, query));
  gst_query_parse_latency (query, &live, &min, &max);
  g_assert_true (live);
  g_assert_cmpuint (min, ==, 0);
  gst_query_unref (query);

  query = gst_query_new_latency ();
  g_assert_true (gst_pad_query (GST_AGGREGATOR_SRC_PAD (f->element), query));
  gst_query_parse_latency (query, &live, &min, &max);
  /* the other input's, plus the element's output frame */
  g_assert_cmpuint (min, ==, 20 * GST_MSECOND + FRAME_DURATION);
  gst_query_unref (query);

  /* without retime, the jitter buffer's latency is waited for */
  g_object_set (retimed, "retime", FALSE, NULL);
  query = gst_query_new_latency ();
  g_assert_true (gst_pad_query (GST_AGGREGATOR_SRC_PAD (f->element), query));
  gst_query_parse_latency (query, &live, &min, &max);
  g_assert_cmpuint (min, ==, 200 * GST_MSECOND + FRAME_DURATION);
  gst_query_unref (query);
  fixture_free (f);
}

typedef struct
{
  GMutex lock;
  GstClockTime pts;
  gboolean discont;
  guint n;
} Seen;

/* Added after the element's own probe: sees the buffer as retimed, and
 * keeps it from the aggregator (whose queue would wait for the clock). */
static GstPadProbeReturn
on_seen (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Seen *seen = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

  g_mutex_lock (&seen->lock);
  seen->pts = GST_BUFFER_PTS (buffer);
  seen->discont = GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT);
  seen->n++;
  g_mutex_unlock (&seen->lock);
  return GST_PAD_PROBE_DROP;
}

static void
push_at (Fixture *f, GstTestClock *clock, GstClockTime now, guint k,
    GstClockTime pts)
{
  GstBuffer *buffer = make_buffer (k, sample, 1);

  gst_test_clock_set_time (clock, now + gst_element_get_base_time (f->element));
  GST_BUFFER_PTS (buffer) = pts;
  g_assert_cmpint (gst_harness_push (f->in[1], buffer), ==, GST_FLOW_OK);
}

static void
expect (Seen *seen, GstClockTime pts, gboolean discont)
{
  g_mutex_lock (&seen->lock);
  g_assert_cmpuint (seen->pts, ==, pts);
  g_assert_cmpint (seen->discont, ==, discont);
  g_mutex_unlock (&seen->lock);
}

static void
start_seen (Fixture *f, GstPad *retimed, Seen *seen, GstClock **clock)
{
  GstSegment segment;

  g_mutex_init (&seen->lock);
  /* set before its segment (the fixture sent one already) */
  g_object_set (retimed, "retime", TRUE, NULL);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  g_assert_true (
      gst_harness_push_event (f->in[1], gst_event_new_segment (&segment)));
  gst_pad_add_probe (retimed, GST_PAD_PROBE_TYPE_BUFFER, on_seen, seen, NULL);
  *clock = gst_element_get_clock (f->element);
  g_assert_true (GST_IS_TEST_CLOCK (*clock));
}

/* Upstream times that are no arrival times: placed on the frame grid (the
 * mix at 0 here, frames of FRAME_DURATION) by its arrival; its own spacing
 * kept while it stays near; a little late (40-80 ms): placed again later;
 * a stall's backlog (more): dropped, unless it stays late for 200 ms;
 * back to its own times after 3 s in time; far ahead: placed again. */
static void
test_restamp (void)
{
  Fixture *f = fixture_new (2, TRUE);
  g_autoptr (GstPad) retimed = sink_pad (f, 1);
  g_autoptr (GstClock) clock = NULL;
  GstTestClock *tc;
  Seen seen = { 0 };
  GstClockTime t = 10 * GST_SECOND, ms = GST_MSECOND;

  start_seen (f, retimed, &seen, &clock);
  tc = GST_TEST_CLOCK (clock);
  /* upstream says 0 (its jitter buffer's clock); it arrives at t */
  push_at (f, tc, t, 0, 0);
  expect (&seen, t, TRUE);
  /* the next one 3 ms late, the one after 4 ms early: same spacing */
  push_at (f, tc, t + 23 * ms, 1, FRAME_DURATION);
  expect (&seen, t + FRAME_DURATION, FALSE);
  push_at (f, tc, t + 36 * ms, 2, 2 * FRAME_DURATION);
  expect (&seen, t + 2 * FRAME_DURATION, FALSE);
  /* 65 ms late: placed again on the next frame after its arrival */
  push_at (f, tc, t + 125 * ms, 3, 3 * FRAME_DURATION);
  expect (&seen, t + 140 * ms, TRUE);
  /* 150 ms late for that (a stall): dropped */
  push_at (f, tc, t + 320 * ms, 4, 4 * FRAME_DURATION);
  g_assert_cmpuint (seen.n, ==, 4);
  /* still late 210 ms later: placed again */
  push_at (f, tc, t + 530 * ms, 5, 5 * FRAME_DURATION);
  expect (&seen, t + 540 * ms, TRUE);
  push_at (f, tc, t + 545 * ms, 6, 6 * FRAME_DURATION);
  expect (&seen, t + 560 * ms, FALSE);
  /* in time for 3 s: back to its own times (from its first placement) */
  push_at (f, tc, t + 3600 * ms, 7, 3170 * ms);
  expect (&seen, t + 3170 * ms, TRUE);
  /* far ahead of the clock (a jitter buffer that shrank) */
  push_at (f, tc, t + 3610 * ms, 8, 3800 * ms);
  expect (&seen, t + 3620 * ms, TRUE);
  g_assert_cmpuint (seen.n, ==, 8);

  fixture_free (f);
  g_mutex_clear (&seen.lock);
}

/* Upstream times that are arrival times (rtpjitterbuffer's): placed by them,
 * not by when the buffer reached the pad; the first ones, which the
 * jitter buffer held, are dropped rather than followed. */
static void
test_own_times (void)
{
  Fixture *f = fixture_new (2, TRUE);
  g_autoptr (GstPad) retimed = sink_pad (f, 1);
  g_autoptr (GstClock) clock = NULL;
  GstTestClock *tc;
  Seen seen = { 0 };
  GstClockTime t = 10 * GST_SECOND, ms = GST_MSECOND;

  start_seen (f, retimed, &seen, &clock);
  tc = GST_TEST_CLOCK (clock);
  /* arrived at t + 3 ms, held 60 ms: placed by its arrival (late: the
   * frame it goes to is over) */
  push_at (f, tc, t + 63 * ms, 0, t + 3 * ms);
  expect (&seen, t + 20 * ms, TRUE);
  /* the next one, held long enough to miss its frame (the mix is not
   * running here: 60 ms before now): dropped */
  push_at (f, tc, t + 110 * ms, 1, t + 23 * ms);
  g_assert_cmpuint (seen.n, ==, 1);
  /* then in time: at its own place */
  push_at (f, tc, t + 111 * ms, 2, t + 103 * ms);
  expect (&seen, t + 120 * ms, FALSE);
  push_at (f, tc, t + 125 * ms, 3, t + 123 * ms);
  expect (&seen, t + 140 * ms, FALSE);
  g_assert_cmpuint (seen.n, ==, 3);

  fixture_free (f);
  g_mutex_clear (&seen.lock);
}

/* Added after the element's own probe: counts what it lets through into
 * the aggregator, and keeps it from there (the test clock stands still:
 * nothing is mixed, and a full queue would block this thread). */
static GstPadProbeReturn
on_passed (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  (*(guint *)user_data)++;
  return GST_PAD_PROBE_DROP;
}

/* A retimed input whose pusher is shared (it asked McuCanTake, as
 * mcujitterbuffer on McuPlayout does) is never blocked behind a long
 * buffer: after a 200 ms concealment and another buffer, both not mixed
 * yet (the aggregator would block a third until the 200 ms are mixed), a
 * third is dropped. A pusher that never asked is let through (its own
 * thread may wait). */
static void
test_shared_pusher_drops (void)
{
  Fixture *f = fixture_new (3, TRUE);
  g_autoptr (GstClock) clock = gst_element_get_clock (f->element);
  GstClockTime t = 10 * GST_SECOND;
  guint passed[3] = { 0 };

  gst_test_clock_set_time (
      GST_TEST_CLOCK (clock), t + gst_element_get_base_time (f->element));
  /* sink_1's pusher never asks, sink_2's does */
  for (guint p = 1; p <= 2; p++) {
    g_autoptr (GstPad) retimed = sink_pad (f, p);
    GstBuffer *fill = gst_buffer_new_allocate (NULL, 10 * FRAME * 2, NULL);
    GstSegment segment;

    g_object_set (retimed, "retime", TRUE, NULL);
    gst_segment_init (&segment, GST_FORMAT_TIME);
    g_assert_true (
        gst_harness_push_event (f->in[p], gst_event_new_segment (&segment)));
    gst_pad_add_probe (
        retimed, GST_PAD_PROBE_TYPE_BUFFER, on_passed, &passed[p], NULL);
    if (p == 2) {
      GstQuery *query = gst_query_new_custom (GST_QUERY_CUSTOM,
          gst_structure_new_empty (MCU_JITTER_BUFFER_CAN_TAKE));

      g_assert_true (gst_pad_peer_query (f->in[p]->srcpad, query));
      gst_query_unref (query);
    }
    gst_buffer_memset (fill, 0, 0, 10 * FRAME * 2);
    GST_BUFFER_PTS (fill) = 0;
    GST_BUFFER_DURATION (fill) = 10 * FRAME_DURATION;
    g_assert_cmpint (gst_harness_push (f->in[p], fill), ==, GST_FLOW_OK);
    for (guint k = 0; k < 2; k++) {
      GstBuffer *buffer = make_buffer (10 + k, sample, 1);

      GST_BUFFER_PTS (buffer) = (10 + k) * FRAME_DURATION;
      g_assert_cmpint (gst_harness_push (f->in[p], buffer), ==, GST_FLOW_OK);
    }
    g_assert_cmpuint (passed[p], ==, (p == 1 ? 3u : 2u));
  }

  fixture_free (f);
}

int
main (int argc, char **argv)
{
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_true (mcu_plugins_register ());

  g_test_add_func ("/mixminus/retime/latency", test_latency);
  g_test_add_func ("/mixminus/retime/restamp", test_restamp);
  g_test_add_func (
      "/mixminus/retime/shared-pusher-drops", test_shared_pusher_drops);
  g_test_add_func ("/mixminus/retime/own-times", test_own_times);

  ret = g_test_run ();
  gst_deinit ();
  return ret;
}
