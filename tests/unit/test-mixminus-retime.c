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

#define LEAD (20 * GST_MSECOND)

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

/* Placed LEAD after its arrival; its own spacing kept while it stays near
 * its arrival; placed again (DISCONT) when it drifts late or early. */
static void
test_restamp (void)
{
  Fixture *f = fixture_new (2, TRUE);
  g_autoptr (GstPad) retimed = sink_pad (f, 1);
  g_autoptr (GstClock) clock = NULL;
  Seen seen = { 0 };
  GstClockTime t = 10 * GST_SECOND;

  GstSegment segment;

  g_mutex_init (&seen.lock);
  /* set before its segment (the fixture sent one already) */
  g_object_set (retimed, "retime", TRUE, NULL);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  g_assert_true (
      gst_harness_push_event (f->in[1], gst_event_new_segment (&segment)));
  gst_pad_add_probe (retimed, GST_PAD_PROBE_TYPE_BUFFER, on_seen, &seen, NULL);
  clock = gst_element_get_clock (f->element);
  g_assert_true (GST_IS_TEST_CLOCK (clock));

  /* upstream says 0 (its jitter buffer's clock); it arrives at t */
  push_at (f, GST_TEST_CLOCK (clock), t, 0, 0);
  expect (&seen, t + LEAD, TRUE);
  /* the next one 3 ms late, the one after 4 ms early: same spacing */
  push_at (f, GST_TEST_CLOCK (clock), t + 23 * GST_MSECOND, 1, FRAME_DURATION);
  expect (&seen, t + LEAD + FRAME_DURATION, FALSE);
  push_at (
      f, GST_TEST_CLOCK (clock), t + 36 * GST_MSECOND, 2, 2 * FRAME_DURATION);
  expect (&seen, t + LEAD + 2 * FRAME_DURATION, FALSE);
  /* 100 ms late (a stall upstream): placed again after its arrival */
  push_at (
      f, GST_TEST_CLOCK (clock), t + 160 * GST_MSECOND, 3, 3 * FRAME_DURATION);
  expect (&seen, t + 160 * GST_MSECOND + LEAD, TRUE);
  /* a burst far ahead of the clock (a jitter buffer that shrank) */
  push_at (
      f, GST_TEST_CLOCK (clock), t + 170 * GST_MSECOND, 4, 200 * GST_MSECOND);
  expect (&seen, t + 170 * GST_MSECOND + LEAD, TRUE);
  g_assert_cmpuint (seen.n, ==, 5);

  fixture_free (f);
  g_mutex_clear (&seen.lock);
}

static GstPadProbeReturn
on_passed (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  g_atomic_int_inc ((gint *)user_data);
  return GST_PAD_PROBE_OK;
}

typedef struct
{
  GstHarness *h;
  GstBuffer *buffer;
  GMutex lock;
  GCond cond;
  gboolean done;
} Push;

static gpointer
push_thread (gpointer data)
{
  Push *p = data;

  gst_harness_push (p->h, p->buffer);
  g_mutex_lock (&p->lock);
  p->done = TRUE;
  g_cond_signal (&p->cond);
  g_mutex_unlock (&p->lock);
  return NULL;
}

/* A retimed input whose pusher is shared (it asked McuCanTake, as
 * mcujitterbuffer on McuPlayout does) is never blocked behind a long
 * buffer: after a 200 ms concealment and another buffer, both not mixed
 * yet, a third is dropped instead of waiting for the aggregator. */
static void
test_shared_pusher_not_blocked (void)
{
  Fixture *f = fixture_new (2, TRUE);
  g_autoptr (GstPad) retimed = sink_pad (f, 1);
  g_autoptr (GstClock) clock = gst_element_get_clock (f->element);
  GstQuery *query = gst_query_new_custom (
      GST_QUERY_CUSTOM, gst_structure_new_empty (MCU_JITTER_BUFFER_CAN_TAKE));
  GstClockTime t = 10 * GST_SECOND;
  GstSegment segment;
  GstBuffer *fill = gst_buffer_new_allocate (NULL, 10 * FRAME * 2, NULL);
  Push push = { f->in[1], NULL };
  GThread *thread;
  gint passed = 0;
  gint64 deadline;

  g_object_set (retimed, "retime", TRUE, NULL);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  g_assert_true (
      gst_harness_push_event (f->in[1], gst_event_new_segment (&segment)));
  gst_pad_add_probe (
      retimed, GST_PAD_PROBE_TYPE_BUFFER, on_passed, &passed, NULL);
  g_assert_true (gst_pad_peer_query (f->in[1]->srcpad, query));
  gst_query_unref (query);
  gst_test_clock_set_time (
      GST_TEST_CLOCK (clock), t + gst_element_get_base_time (f->element));

  gst_buffer_memset (fill, 0, 0, 10 * FRAME * 2);
  GST_BUFFER_PTS (fill) = 0;
  GST_BUFFER_DURATION (fill) = 10 * FRAME_DURATION;
  g_assert_cmpint (gst_harness_push (f->in[1], fill), ==, GST_FLOW_OK);
  push.buffer = make_buffer (10, sample, 1);
  GST_BUFFER_PTS (push.buffer) = 10 * FRAME_DURATION;
  g_assert_cmpint (gst_harness_push (f->in[1], push.buffer), ==, GST_FLOW_OK);
  g_assert_cmpint (g_atomic_int_get (&passed), ==, 2);

  /* the third, from another thread: it must come back at once */
  g_mutex_init (&push.lock);
  g_cond_init (&push.cond);
  push.buffer = make_buffer (11, sample, 1);
  GST_BUFFER_PTS (push.buffer) = 11 * FRAME_DURATION;
  thread = g_thread_new ("push", push_thread, &push);
  deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  g_mutex_lock (&push.lock);
  while (!push.done)
    if (!g_cond_wait_until (&push.cond, &push.lock, deadline))
      g_error ("the shared pusher is blocked in the mixer");
  g_mutex_unlock (&push.lock);
  g_thread_join (thread);
  g_assert_cmpint (g_atomic_int_get (&passed), ==, 2);

  fixture_free (f);
  g_mutex_clear (&push.lock);
  g_cond_clear (&push.cond);
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
  g_test_add_func ("/mixminus/retime/shared-pusher-not-blocked",
      test_shared_pusher_not_blocked);

  ret = g_test_run ();
  gst_deinit ();
  return ret;
}
