/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcumixminus: sink pads with retime=TRUE (inputs from the network) report
 * no latency and are timed by their arrival on the element's clock, so
 * that a participant that stops sending never holds up the mix beyond the
 * element's own latency; one fed by a shared pusher never blocks it. */
#include "mcu-jitter-buffer.h"
#include "mcu-mix-minus.h"
#include "mcu-mix-minus-private.h"
#include "mcu-mix-minus-ring.h"
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

/* Asks "can take" on @pad as mcujitterbuffer does: from then on its
 * pusher is known to be shared. */
static void
make_shared (GstPad *peer)
{
  GstQuery *query = gst_query_new_custom (
      GST_QUERY_CUSTOM, gst_structure_new_empty (MCU_JITTER_BUFFER_CAN_TAKE));

  g_assert_true (gst_pad_peer_query (peer, query));
  gst_query_unref (query);
}

/* Party 1's input retimed, with a TIME segment, its pusher shared. */
static void
start_shared (Fixture *f, GstPad *shared)
{
  GstSegment segment;

  g_object_set (shared, "retime", TRUE, NULL);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  g_assert_true (
      gst_harness_push_event (f->in[1], gst_event_new_segment (&segment)));
  make_shared (f->in[1]->srcpad);
}

/* The longest a push may take: a shared pusher serves many callers. */
#define PUSH_BOUND (100 * GST_MSECOND)

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean blocked, release; /* the mix's push on `src` */
  gboolean done, stop;       /* the pushers */
  GstClockTime longest;      /* the longest push */
  GstPad *pusher;            /* the releasing test's own src pad */
} Stall;

/* On `src`: holds the aggregator task in its first push (a mixing thread
 * stalled by a slow encode) until the test releases it. */
static GstPadProbeReturn
on_mix_pushed (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Stall *st = user_data;

  g_mutex_lock (&st->lock);
  st->blocked = TRUE;
  g_cond_broadcast (&st->cond);
  while (!st->release)
    g_cond_wait (&st->cond, &st->lock);
  g_mutex_unlock (&st->lock);
  return GST_PAD_PROBE_REMOVE;
}

static void
note_push (Stall *st, gint64 started)
{
  GstClockTime took = (g_get_monotonic_time () - started) * GST_USECOND;

  g_mutex_lock (&st->lock);
  st->longest = MAX (st->longest, took);
  g_mutex_unlock (&st->lock);
}

/* sink_1's samples from @from (sample index of frame 1's start on), @n. */
static GstBuffer *
voice (guint from, guint n, GstClockTime pts)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, n * 2, NULL);
  GstMapInfo map;

  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  for (guint i = 0; i < n; i++)
    ((gint16 *)map.data)[i] =
        sample (1, 1 + (from + i) / FRAME, (from + i) % FRAME);
  gst_buffer_unmap (buffer, &map);
  GST_BUFFER_PTS (buffer) = pts;
  GST_BUFFER_DURATION (buffer) =
      gst_util_uint64_scale_int (n, GST_SECOND, 48000);
  return buffer;
}

/* The burst a McuPlayout worker pushes after a pause: mcuplc's 200 ms
 * fill, the resampler's drain (10 ms) and the packet (20 ms). */
static gpointer
push_burst (gpointer data)
{
  GstHarness *h = data;
  Stall *st = g_object_get_data (G_OBJECT (h->element), "stall");
  const guint sizes[] = { 10 * FRAME, FRAME / 2, FRAME };
  guint from = 0;

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    gint64 started = g_get_monotonic_time ();
    GstBuffer *buffer = voice (from, sizes[i],
        FRAME_DURATION + gst_util_uint64_scale_int (from, GST_SECOND, 48000));

    g_assert_cmpint (gst_harness_push (h, buffer), ==, GST_FLOW_OK);
    note_push (st, started);
    from += sizes[i];
  }
  g_mutex_lock (&st->lock);
  st->done = TRUE;
  g_cond_broadcast (&st->cond);
  g_mutex_unlock (&st->lock);
  return NULL;
}

/* Pushes packets on the test's own pad linked to a (muted) shared sink_2
 * until told to stop, while the test releases sink_2. */
static gpointer
push_until_stopped (gpointer data)
{
  Stall *st = data;
  GstClockTime pts = 0;

  for (;;) {
    gint64 started = g_get_monotonic_time ();
    GstFlowReturn ret =
        gst_pad_push (st->pusher, voice (0, FRAME, pts += FRAME_DURATION));
    gboolean stop;

    g_assert_true (ret == GST_FLOW_OK || ret == GST_FLOW_NOT_LINKED ||
                   ret == GST_FLOW_FLUSHING);
    note_push (st, started);
    g_mutex_lock (&st->lock);
    stop = st->stop;
    g_mutex_unlock (&st->lock);
    if (stop)
      return NULL;
    g_usleep (500);
  }
}

/* A shared sink_2 fed from the test's own pad (so that it can be released
 * while a thread pushes into it), muted: it adds nothing to the mix. */
static GstPad *
add_shared_muted (Fixture *f, Stall *st)
{
  GstPad *sink = gst_element_request_pad_simple (f->element, "sink_%u");
  GstCaps *caps = gst_caps_from_string (MCU_MIX_MINUS_CAPS);
  GstSegment segment;

  g_object_set (sink, "retime", TRUE, "mute", TRUE, NULL);
  st->pusher = gst_pad_new ("pusher", GST_PAD_SRC);
  gst_pad_set_active (st->pusher, TRUE);
  g_assert_cmpint (gst_pad_link (st->pusher, sink), ==, GST_PAD_LINK_OK);
  gst_pad_push_event (st->pusher, gst_event_new_stream_start ("pusher"));
  gst_pad_push_event (st->pusher, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (st->pusher, gst_event_new_segment (&segment));
  make_shared (st->pusher);
  return sink;
}

static void
wait_for (Stall *st, gboolean *flag, const gchar *what)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;

  g_mutex_lock (&st->lock);
  while (!*flag)
    if (!g_cond_wait_until (&st->cond, &st->lock, deadline))
      g_error ("%s: not within 5 s", what);
  g_mutex_unlock (&st->lock);
}

/* Frame @k of `src`: sink_0's frame k, and sink_1's samples @v1 (NULL:
 * none) */
static void
check_main (Fixture *f, guint k, const gint16 *v1)
{
  GstBuffer *mix;

  g_test_message ("frame %u", k);
  mix = pull (f->main);
  GstMapInfo map;

  g_assert_cmpuint (GST_BUFFER_PTS (mix), ==, k * FRAME_DURATION);
  g_assert_true (gst_buffer_map (mix, &map, GST_MAP_READ));
  for (guint i = 0; i < FRAME; i++) {
    gint expected = sample (0, k, i) + (v1 != NULL ? v1[i] : 0);

    if (((const gint16 *)map.data)[i] != expected)
      g_error ("frame %u sample %u: got %d, expected %d", k, i,
          ((const gint16 *)map.data)[i], expected);
  }
  gst_buffer_unmap (mix, &map);
  gst_buffer_unref (mix);
}

/* A retimed input whose pusher is shared (it asked "can take", as
 * mcujitterbuffer on McuPlayout does) never blocks it: while the mix is
 * stalled (its task held in a push downstream), a burst of a 200 ms fill,
 * a 10 ms drain and a packet is taken at once, each push within
 * PUSH_BOUND (GstAggregatorPad's queue would block the third until the
 * fill is mixed); once the mix runs again, the output holds the samples
 * exactly where retiming placed them (the fill's first buffer at its own
 * time, the others following). Meanwhile another shared input is released
 * while a thread pushes into it. */
static void
test_shared_pusher_never_blocks (void)
{
  Fixture *f = fixture_new (2, TRUE);
  g_autoptr (GstPad) shared = sink_pad (f, 1);
  g_autoptr (GstClock) clock = gst_element_get_clock (f->element);
  GstTestClock *tc = GST_TEST_CLOCK (clock);
  GstPad *src = GST_AGGREGATOR_SRC_PAD (f->element);
  Stall st = { 0 };
  GstPad *sink2;
  GThread *burst, *other;
  gint16 v1[2 * FRAME] = { 0 };

  g_mutex_init (&st.lock);
  g_cond_init (&st.cond);
  start_shared (f, shared);
  sink2 = add_shared_muted (f, &st);
  other = g_thread_new ("other", push_until_stopped, &st);

  /* frame 0 is mixed, and the mix stalls pushing it */
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, on_mix_pushed, &st, NULL);
  push_frame (f, 0, 0x1);
  g_assert_true (gst_harness_crank_single_clock_wait (f->main));
  wait_for (&st, &st.blocked, "the mix's push");
  /* 60 ms: the mix 40-60 ms behind */
  gst_test_clock_set_time (tc, 60 * GST_MSECOND);

  g_object_set_data (G_OBJECT (f->in[1]->element), "stall", &st);
  burst = g_thread_new ("burst", push_burst, f->in[1]);
  wait_for (&st, &st.done, "the burst (blocked in the mixer?)");
  g_thread_join (burst);
  g_assert_cmpuint (st.longest, <, PUSH_BOUND);

  /* (its queue has room for two) */
  push_frame (f, 1, 0x1);
  push_frame (f, 2, 0x1);
  g_mutex_lock (&st.lock);
  st.release = TRUE;
  g_cond_broadcast (&st.cond);
  g_mutex_unlock (&st.lock);
  check_main (f, 0, NULL);
  for (guint k = 1; k <= 13; k++) {
    /* k 1..10: the fill; 11: drain + half the packet; 12: its end */
    for (guint i = 0; i < FRAME; i++)
      v1[i] = k <= 11 || (k == 12 && i < FRAME / 2) ? sample (1, k, i) : 0;
    if (k > 2)
      push_frame (f, k, 0x1);
    g_assert_true (gst_harness_crank_single_clock_wait (f->main));
    check_main (f, k, v1);
    if (k == 6) {
      /* released while its pusher pushes and the mix runs */
      gst_element_release_request_pad (f->element, sink2);
      gst_clear_object (&sink2);
    }
  }
  g_mutex_lock (&st.lock);
  st.stop = TRUE;
  g_mutex_unlock (&st.lock);
  g_thread_join (other);
  g_assert_cmpuint (st.longest, <, PUSH_BOUND);
  g_test_message ("longest push %" GST_TIME_FORMAT, GST_TIME_ARGS (st.longest));

  fixture_free (f);
  gst_object_unref (st.pusher);
  g_mutex_clear (&st.lock);
  g_cond_clear (&st.cond);
}

/* A shared input's DISCONT buffer (a jitter buffer's catch-up, a resync)
 * goes at its own time, not after the previous one: 10 ms past the end of
 * the one before, its samples start in the middle of frame 2 (joined, they
 * would start at frame 2's start, 10 ms early). */
static void
test_shared_discont (void)
{
  Fixture *f = fixture_new (2, TRUE);
  g_autoptr (GstPad) shared = sink_pad (f, 1);
  g_autoptr (GstClock) clock = gst_element_get_clock (f->element);
  GstPad *src = GST_AGGREGATOR_SRC_PAD (f->element);
  Stall st = { 0 };
  GstBuffer *jump;
  gint16 v1[FRAME];

  g_mutex_init (&st.lock);
  g_cond_init (&st.cond);
  start_shared (f, shared);
  /* as in shared-pusher-never-blocks: the mix stalled after frame 0 */
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, on_mix_pushed, &st, NULL);
  push_frame (f, 0, 0x1);
  g_assert_true (gst_harness_crank_single_clock_wait (f->main));
  wait_for (&st, &st.blocked, "the mix's push");
  gst_test_clock_set_time (GST_TEST_CLOCK (clock), 60 * GST_MSECOND);
  g_assert_cmpint (
      gst_harness_push (f->in[1], voice (0, FRAME, FRAME_DURATION)), ==,
      GST_FLOW_OK);
  jump =
      voice (FRAME + FRAME / 2, FRAME, 2 * FRAME_DURATION + FRAME_DURATION / 2);
  GST_BUFFER_FLAG_SET (jump, GST_BUFFER_FLAG_DISCONT);
  g_assert_cmpint (gst_harness_push (f->in[1], jump), ==, GST_FLOW_OK);
  push_frame (f, 1, 0x1);
  push_frame (f, 2, 0x1);
  g_mutex_lock (&st.lock);
  st.release = TRUE;
  g_cond_broadcast (&st.cond);
  g_mutex_unlock (&st.lock);
  check_main (f, 0, NULL);
  for (guint k = 1; k <= 4; k++) {
    for (guint i = 0; i < FRAME; i++)
      v1[i] = k == 1 || (k == 2 && i >= FRAME / 2) || (k == 3 && i < FRAME / 2)
                  ? sample (1, k, i)
                  : 0;
    if (k > 2)
      push_frame (f, k, 0x1);
    g_assert_true (gst_harness_crank_single_clock_wait (f->main));
    check_main (f, k, v1);
  }
  fixture_free (f);
  g_mutex_clear (&st.lock);
  g_cond_clear (&st.cond);
}

/* Where a shared input's last buffer went (the ring's end, ms of running
 * time), whether stored or dropped as beyond the window. */
static guint64
ring_end_ms (GstPad *pad)
{
  McuMixMinusRing *ring = mcu_mix_minus_pad_get_ring (MCU_MIX_MINUS_PAD (pad));

  g_assert_nonnull (ring);
  return mcu_mix_minus_ring_end (ring) / 48;
}

/* A shared input placed later for a late buffer goes back to its own
 * times after 3 s in time; a buffer late again right after that is
 * absorbed again (placed a frame later), not dropped as a backlog: a
 * jitter buffer paced by its own playout times leaves none, and the drop
 * lasted up to 200 ms (holes at the listeners, test_plc). (The mix is not
 * running here: late is more than 60 ms before now.) */
static void
test_shared_move_back (void)
{
  Fixture *f = fixture_new (2, TRUE);
  g_autoptr (GstPad) shared = sink_pad (f, 1);
  g_autoptr (GstClock) clock = gst_element_get_clock (f->element);
  GstTestClock *tc = GST_TEST_CLOCK (clock);
  GstClockTime t = 10 * GST_SECOND, ms = GST_MSECOND;

  start_shared (f, shared);
  /* placed by its arrival at t, then in time */
  push_at (f, tc, t, 0, 0);
  g_assert_cmpuint (ring_end_ms (shared), ==, (t + 20 * ms) / ms);
  push_at (f, tc, t + 23 * ms, 1, 20 * ms);
  g_assert_cmpuint (ring_end_ms (shared), ==, (t + 40 * ms) / ms);
  /* 65 ms late: placed 80 ms later */
  push_at (f, tc, t + 125 * ms, 2, 60 * ms);
  g_assert_cmpuint (ring_end_ms (shared), ==, (t + 160 * ms) / ms);
  /* in time for 3 s: back to its own times */
  push_at (f, tc, t + 3600 * ms, 3, 3460 * ms);
  g_assert_cmpuint (ring_end_ms (shared), ==, (t + 3480 * ms) / ms);
  /* late again at once: placed later again, not dropped */
  push_at (f, tc, t + 3700 * ms, 4, 3620 * ms);
  g_assert_cmpuint (ring_end_ms (shared), ==, (t + 3720 * ms) / ms);
  fixture_free (f);
}

/* The ring itself: samples read where written; what falls before the read
 * position or beyond the window is dropped and counted, never waited for;
 * a write follows the previous one seamlessly unless DISCONT. */
static void
test_ring (void)
{
  McuMixMinusRing *ring = mcu_mix_minus_ring_new ();
  const guint W = MCU_MIX_MINUS_RING_SAMPLES;
  gint16 *in = g_new0 (gint16, W + FRAME), out[FRAME];
  McuMixMinusRingLevel level;
  McuMixMinusRingStats stats;

  for (guint i = 0; i < W + FRAME; i++)
    in[i] = (gint16)(i % 1000 + 1);
  /* a window's worth and a frame more, from frame 1 on: the frame more
   * does not fit */
  g_assert_cmpuint (
      mcu_mix_minus_ring_write (ring, FRAME, in, W + FRAME, TRUE, NULL, FRAME),
      ==, FRAME);
  g_assert_false (mcu_mix_minus_ring_read (ring, 0, FRAME, out, &level));
  g_assert_true (mcu_mix_minus_ring_read (ring, FRAME, FRAME, out, &level));
  g_assert_false (level.seen);
  g_assert_cmpmem (out, sizeof (out), in, sizeof (out));
  /* 3 ms off the previous end, not DISCONT: follows it (now that frame 2
   * is read, there is room) */
  g_assert_true (mcu_mix_minus_ring_read (ring, 2 * FRAME, FRAME, out, &level));
  g_assert_cmpmem (out, sizeof (out), in + FRAME, sizeof (out));
  g_assert_cmpuint (mcu_mix_minus_ring_write (
                        ring, 2 * FRAME + W + 144, in, 10, FALSE, NULL, 0),
      ==, 0);
  g_assert_cmpuint (mcu_mix_minus_ring_end (ring), ==, 2 * FRAME + W + 10);
  /* frame 1 is consumed: late */
  g_assert_cmpuint (
      mcu_mix_minus_ring_write (ring, FRAME, in, FRAME, TRUE, NULL, 0), ==,
      FRAME);
  mcu_mix_minus_ring_get_stats (ring, &stats);
  g_assert_cmpuint (stats.late, ==, FRAME);
  g_assert_cmpuint (stats.ahead, ==, FRAME);
  g_assert_cmpuint (mcu_mix_minus_ring_end (ring), ==, 2 * FRAME);
  mcu_mix_minus_ring_reset (ring);
  g_assert_false (
      mcu_mix_minus_ring_read (ring, 5 * FRAME, FRAME, out, &level));
  mcu_mix_minus_ring_free (ring);
  g_free (in);
}

/* A stream a few samples behind the reads' frames (its writes follow one
 * another, each coming after the frame before it was read): moved to the
 * read position whole, so that every later frame reads it all. Cut, it
 * lost those samples and read as many zeros at every frame. A write placed
 * more than 1 ms before the read position is still cut. */
static void
test_ring_snap (void)
{
  enum
  {
    BEHIND = 8,
    N = 5
  };
  McuMixMinusRing *ring = mcu_mix_minus_ring_new ();
  gint16 in[N * FRAME], out[FRAME];
  McuMixMinusRingLevel level;
  McuMixMinusRingStats stats;

  for (guint i = 0; i < G_N_ELEMENTS (in); i++)
    in[i] = (gint16)(i % 1000 + 1);
  /* frame 0 read: the stream then starts BEHIND samples before frame 1 */
  g_assert_false (mcu_mix_minus_ring_read (ring, 0, FRAME, out, &level));
  g_assert_cmpuint (mcu_mix_minus_ring_write (
                        ring, FRAME - BEHIND, in, FRAME, TRUE, NULL, FRAME),
      ==, 0);
  for (guint k = 1; k < N; k++) {
    g_assert_true (
        mcu_mix_minus_ring_read (ring, k * FRAME, FRAME, out, &level));
    g_assert_cmpmem (out, sizeof (out), in + (k - 1) * FRAME, sizeof (out));
    /* the next one comes after this frame is read, placed where it
     * follows the stream's own times: BEHIND before the next frame */
    g_assert_cmpuint (mcu_mix_minus_ring_write (ring, (k + 1) * FRAME - BEHIND,
                          in + k * FRAME, FRAME, FALSE, NULL, (k + 1) * FRAME),
        ==, 0);
  }
  mcu_mix_minus_ring_get_stats (ring, &stats);
  g_assert_cmpuint (stats.late, ==, 0);
  g_assert_cmpuint (stats.cut, ==, 0);
  g_assert_cmpuint (stats.snapped, ==, 1);
  /* 2 ms before the read position: late, cut */
  g_assert_cmpuint (
      mcu_mix_minus_ring_write (ring, N * FRAME - 96, in, FRAME, TRUE, NULL, 0),
      ==, 96);
  mcu_mix_minus_ring_get_stats (ring, &stats);
  g_assert_cmpuint (stats.cut, ==, 1);
  /* placed in time, but a frame after the previous write's end (its
   * frame was read as silence meanwhile), not DISCONT: aligned to that
   * end, it was wholly late, and so was every write after it */
  mcu_mix_minus_ring_reset (ring);
  g_assert_cmpuint (
      mcu_mix_minus_ring_write (ring, FRAME, in, FRAME, TRUE, NULL, FRAME), ==,
      0);
  g_assert_true (mcu_mix_minus_ring_read (ring, FRAME, FRAME, out, &level));
  g_assert_false (
      mcu_mix_minus_ring_read (ring, 2 * FRAME, FRAME, out, &level));
  for (guint k = 3; k < N; k++) {
    g_assert_cmpuint (mcu_mix_minus_ring_write (ring, k * FRAME, in + k * FRAME,
                          FRAME, FALSE, NULL, k * FRAME),
        ==, 0);
    g_assert_true (
        mcu_mix_minus_ring_read (ring, k * FRAME, FRAME, out, &level));
    g_assert_cmpmem (out, sizeof (out), in + k * FRAME, sizeof (out));
  }
  mcu_mix_minus_ring_get_stats (ring, &stats);
  g_assert_cmpuint (stats.cut, ==, 1);
  g_assert_cmpuint (stats.snapped, ==, 2);
  mcu_mix_minus_ring_free (ring);
}

/* Lets the mix make its next frame and pulls it: a frame may take two of
 * its clock waits (a queued input's buffer dropped as late is followed by
 * another wait for the same frame). Once the mix waits on the clock again,
 * the frame it made before that wait is in the harness' queue. */
static GstBuffer *
crank_pull (Fixture *f, GstTestClock *tc)
{
  gint64 deadline = g_get_monotonic_time () + PULL_TIMEOUT_S * G_USEC_PER_SEC;

  for (guint cranks = 0; cranks < 3; cranks++) {
    GstBuffer *buffer;

    g_assert_true (gst_harness_crank_single_clock_wait (f->main));
    while ((buffer = gst_harness_try_pull (f->main)) == NULL &&
           !gst_test_clock_peek_next_pending_id (tc, NULL) &&
           g_get_monotonic_time () < deadline)
      g_usleep (1000);
    if (buffer != NULL || (buffer = gst_harness_try_pull (f->main)) != NULL)
      return buffer;
  }
  g_error ("no frame after 3 clock waits");
  return NULL;
}

/* A mix held up for a second (its thread starved on a busy machine) skips
 * the frames it missed with max-lag: its next frame is the one due now,
 * DISCONT, then on; a shared input placed by its arrival now is mixed in
 * the next frames, and so is a queued input (party 0, as the room's clock
 * source) whose stream jumps to its times now: placed again by them at
 * once, not after GstAudioAggregator's discont-wait (a second of its
 * samples dropped as behind the positions it had). Mixing every missed
 * frame, the mix read the shared input's ring 980 ms too early: dropped as
 * beyond the window, silence. */
static void
test_keep_real_time (void)
{
  Fixture *f = fixture_new (2, TRUE);
  g_autoptr (GstPad) shared = sink_pad (f, 1);
  g_autoptr (GstClock) clock = gst_element_get_clock (f->element);
  GstTestClock *tc = GST_TEST_CLOCK (clock);
  GstClockTime ms = GST_MSECOND, t = 1000 * ms;
  GstBuffer *mix;
  guint64 skipped = 0;
  GstClockTime at;
  gint16 v1[FRAME];

  g_object_set (f->element, "max-lag", 60 * ms, NULL);
  start_shared (f, shared);
  push_frame (f, 0, 0x1);
  g_assert_true (gst_harness_crank_single_clock_wait (f->main));
  check_main (f, 0, NULL);

  /* a second later */
  gst_test_clock_set_time (tc, t + gst_element_get_base_time (f->element));
  g_assert_true (gst_harness_crank_single_clock_wait (f->main));
  mix = pull (f->main);
  at = GST_BUFFER_PTS (mix);
  g_test_message ("next frame at %" GST_TIME_FORMAT, GST_TIME_ARGS (at));
  g_assert_cmpuint (at, >=, t - 80 * ms);
  g_assert_cmpuint (at, <=, t);
  g_assert_true (GST_BUFFER_IS_DISCONT (mix));
  gst_buffer_unref (mix);
  g_object_get (f->element, "frames-skipped", &skipped, NULL);
  g_assert_cmpuint (skipped, ==, (at - 20 * ms) / FRAME_DURATION);
  /* the shared input arrives, in time for now */
  for (guint k = 0; k < 3; k++)
    g_assert_cmpint (gst_harness_push (f->in[1],
                         voice (k * FRAME, FRAME, t + k * FRAME_DURATION)),
        ==, GST_FLOW_OK);
  for (guint k = 0; k < 4; k++) {
    GstMapInfo map;

    GstBuffer *own = make_buffer (k + 1, sample, 0);

    /* party 0 now at its own times, from t on (no DISCONT of its own) */
    GST_BUFFER_PTS (own) = t + k * FRAME_DURATION;
    g_assert_cmpint (gst_harness_push (f->in[0], own), ==, GST_FLOW_OK);
    mix = crank_pull (f, tc);
    at += FRAME_DURATION;
    g_assert_cmpuint (GST_BUFFER_PTS (mix), ==, at);
    g_assert_false (GST_BUFFER_IS_DISCONT (mix));
    /* the shared input from t on, where retiming placed it */
    for (guint i = 0; i < FRAME; i++) {
      GstClockTime s = at + gst_util_uint64_scale_int (i, GST_SECOND, 48000);
      guint from = (guint)((s - t) / (GST_SECOND / 48000));

      v1[i] = s >= t && from < 3 * FRAME
                  ? sample (1, 1 + from / FRAME, from % FRAME)
                  : 0;
    }
    g_assert_true (gst_buffer_map (mix, &map, GST_MAP_READ));
    for (guint i = 0; i < FRAME; i++)
      if (((const gint16 *)map.data)[i] != sample (0, k + 1, i) + v1[i])
        g_error ("frame at %" GST_TIME_FORMAT " sample %u: got %d, expected %d",
            GST_TIME_ARGS (at), i, ((const gint16 *)map.data)[i],
            sample (0, k + 1, i) + v1[i]);
    gst_buffer_unmap (mix, &map);
    gst_buffer_unref (mix);
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
  g_test_add_func ("/mixminus/retime/shared-pusher-never-blocks",
      test_shared_pusher_never_blocks);
  g_test_add_func ("/mixminus/retime/ring", test_ring);
  g_test_add_func ("/mixminus/retime/ring-snap", test_ring_snap);
  g_test_add_func ("/mixminus/retime/keep-real-time", test_keep_real_time);
  g_test_add_func ("/mixminus/retime/shared-move-back", test_shared_move_back);
  g_test_add_func ("/mixminus/retime/shared-discont", test_shared_discont);
  g_test_add_func ("/mixminus/retime/own-times", test_own_times);

  ret = g_test_run ();
  gst_deinit ();
  return ret;
}
