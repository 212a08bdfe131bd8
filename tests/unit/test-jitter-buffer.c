/* SPDX-License-Identifier: LGPL-2.1-or-later
 * GstHarness tests of mcujitterbuffer driven by a fake clock: the times
 * handed to mcu_jitter_buffer_service() and the packets' arrival (DTS).
 * In order, reordered, duplicates, lost (the GstRTPPacketLost event's
 * seqnum, timestamp and duration), the 65535 wrap, a new SSRC, a late
 * packet dropped, and the adaptive depth going up under jitter (the added
 * delay concealed: no hole in the output) and down after. A downstream
 * that answers the "can take" query with no: nothing pushed, nothing
 * lost, asked once and held until downstream's waker wakes it (then one
 * push without asking), asked again only when no wake came for
 * MCU_JITTER_BUFFER_RESCUE; a waker outliving its element. A stream
 * whose service does not come holds at most max-latency + 300 ms of
 * packets (the older ones dropped as late), not 10 s of them. */
#include "mcu-jitter-buffer.h"
#include "mcu-plugins.h"

#include <gst/check/gstharness.h>
#include <gst/rtp/rtp.h>

#define MS        GST_MSECOND
#define RATE      48000
#define PACKET_TS 960 /* 20 ms */

typedef struct
{
  GstHarness *h;
  McuJitterBuffer *jb;
  GstClockTime next; /* what the last service asked for */
  /* what came out */
  GArray *seqs;     /* guint16 of the buffers, in order */
  GArray *pts;      /* GstClockTime */
  GArray *lost_seq; /* guint */
  GArray *lost_ts;  /* GstClockTime */
  GArray *lost_dur; /* GstClockTime */
  guint discont_at; /* index of the last DISCONT buffer */
} Fixture;

static void
fixture_init (Fixture *f, guint latency)
{
  memset (f, 0, sizeof *f);
  f->h = gst_harness_new ("mcujitterbuffer");
  f->jb = MCU_JITTER_BUFFER (f->h->element);
  g_object_set (f->jb, "latency", latency, "do-lost", TRUE, NULL);
  gst_harness_set_src_caps_str (f->h,
      "application/x-rtp,media=audio,clock-rate=48000,"
      "encoding-name=OPUS,payload=96");
  f->next = GST_CLOCK_TIME_NONE;
  f->seqs = g_array_new (FALSE, FALSE, sizeof (guint16));
  f->pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  f->lost_seq = g_array_new (FALSE, FALSE, sizeof (guint));
  f->lost_ts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  f->lost_dur = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
}

static void
fixture_clear (Fixture *f)
{
  gst_harness_teardown (f->h);
  g_array_unref (f->seqs);
  g_array_unref (f->pts);
  g_array_unref (f->lost_seq);
  g_array_unref (f->lost_ts);
  g_array_unref (f->lost_dur);
}

/* Everything pushed so far, into the arrays. */
static void
collect (Fixture *f)
{
  GstBuffer *buf;
  GstEvent *ev;

  while ((buf = gst_harness_try_pull (f->h))) {
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    guint16 seq;
    GstClockTime pts = GST_BUFFER_PTS (buf);

    g_assert_true (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp));
    seq = gst_rtp_buffer_get_seq (&rtp);
    gst_rtp_buffer_unmap (&rtp);
    g_assert_false (GST_BUFFER_DTS_IS_VALID (buf));
    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT))
      f->discont_at = f->seqs->len;
    g_array_append_val (f->seqs, seq);
    g_array_append_val (f->pts, pts);
    gst_buffer_unref (buf);
  }
  while ((ev = gst_harness_try_pull_event (f->h))) {
    const GstStructure *s = gst_event_get_structure (ev);

    if (GST_EVENT_TYPE (ev) == GST_EVENT_CUSTOM_DOWNSTREAM &&
        gst_structure_has_name (s, "GstRTPPacketLost")) {
      guint seq, retry;
      GstClockTime ts, dur;

      g_assert_true (gst_structure_get_uint (s, "seqnum", &seq));
      g_assert_true (gst_structure_get_clock_time (s, "timestamp", &ts));
      g_assert_true (gst_structure_get_clock_time (s, "duration", &dur));
      g_assert_true (gst_structure_get_uint (s, "retry", &retry));
      g_assert_cmpuint (retry, ==, 0);
      g_array_append_val (f->lost_seq, seq);
      g_array_append_val (f->lost_ts, ts);
      g_array_append_val (f->lost_dur, dur);
    }
    gst_event_unref (ev);
  }
}

/* Services at every time asked for up to @until, then at @until. */
static void
run_until (Fixture *f, GstClockTime until)
{
  while (GST_CLOCK_TIME_IS_VALID (f->next) && f->next <= until)
    f->next = mcu_jitter_buffer_service (f->jb, f->next);
  f->next = mcu_jitter_buffer_service (f->jb, until);
  collect (f);
}

/* Packet @seq with RTP time @ts arriving at @arrival. */
static void
push (Fixture *f, guint16 seq, guint32 ts, guint32 ssrc, GstClockTime arrival)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (20, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  run_until (f, arrival);
  gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, ts);
  gst_rtp_buffer_set_ssrc (&rtp, ssrc);
  gst_rtp_buffer_set_payload_type (&rtp, 96);
  gst_rtp_buffer_unmap (&rtp);
  GST_BUFFER_DTS (buf) = GST_BUFFER_PTS (buf) = arrival;
  g_assert_cmpint (gst_harness_push (f->h, buf), ==, GST_FLOW_OK);
  f->next = mcu_jitter_buffer_service (f->jb, arrival);
  collect (f);
}

static guint64
stat (Fixture *f, const gchar *name)
{
  g_autoptr (GstStructure) s = NULL;
  guint64 v = 0;

  g_object_get (f->jb, "stats", &s, NULL);
  g_assert_true (gst_structure_get_uint64 (s, name, &v));
  return v;
}

static guint
prop (Fixture *f, const gchar *name)
{
  guint v;

  g_object_get (f->jb, name, &v, NULL);
  return v;
}

#define SEQ(i) g_array_index (f.seqs, guint16, (i))
#define PTS(i) g_array_index (f.pts, GstClockTime, (i))

static void
test_in_order (void)
{
  Fixture f;

  fixture_init (&f, 60);
  for (guint i = 0; i < 10; i++)
    push (&f, 100 + i, 1000 + i * PACKET_TS, 1, i * 20 * MS);
  /* nothing before its time: packet 0 plays at its arrival + 60 ms */
  g_assert_cmpuint (f.seqs->len, ==, 7);
  run_until (&f, 400 * MS);
  g_assert_cmpuint (f.seqs->len, ==, 10);
  for (guint i = 0; i < 10; i++) {
    g_assert_cmpuint (SEQ (i), ==, 100 + i);
    g_assert_cmpuint (PTS (i), ==, (60 + i * 20) * MS);
  }
  g_assert_cmpuint (f.discont_at, ==, 0);
  g_assert_cmpuint (f.lost_seq->len, ==, 0);
  g_assert_cmpuint (stat (&f, "received"), ==, 10);
  /* empty: no service needed */
  g_assert_false (GST_CLOCK_TIME_IS_VALID (f.next));
  fixture_clear (&f);
}

static void
test_reorder_duplicate (void)
{
  Fixture f;
  guint order[] = { 0, 2, 1, 3, 3, 5, 4, 1 };

  fixture_init (&f, 60);
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    push (&f, 7 + order[i], order[i] * PACKET_TS, 1, i * 10 * MS);
  run_until (&f, 1 * GST_SECOND);
  g_assert_cmpuint (f.seqs->len, ==, 6);
  for (guint i = 0; i < 6; i++)
    g_assert_cmpuint (SEQ (i), ==, 7 + i);
  g_assert_cmpuint (f.lost_seq->len, ==, 0);
  /* the second 3 is a duplicate; the second 1 comes after 1 played */
  g_assert_cmpuint (stat (&f, "duplicates"), ==, 1);
  g_assert_cmpuint (stat (&f, "late"), ==, 1);
  g_assert_cmpuint (stat (&f, "received"), ==, 6);
  fixture_clear (&f);
}

static void
test_lost_and_late (void)
{
  Fixture f;

  fixture_init (&f, 60);
  push (&f, 10, 0, 1, 0);
  push (&f, 11, PACKET_TS, 1, 20 * MS);
  push (&f, 13, 3 * PACKET_TS, 1, 60 * MS);
  /* 12 would play at 100 ms: not lost before */
  run_until (&f, 99 * MS);
  g_assert_cmpuint (f.lost_seq->len, ==, 0);
  run_until (&f, 100 * MS);
  g_assert_cmpuint (f.lost_seq->len, ==, 1);
  g_assert_cmpuint (g_array_index (f.lost_seq, guint, 0), ==, 12);
  g_assert_cmpuint (g_array_index (f.lost_ts, GstClockTime, 0), ==, 100 * MS);
  g_assert_cmpuint (g_array_index (f.lost_dur, GstClockTime, 0), ==, 20 * MS);
  /* 12 comes after its time: dropped, late */
  push (&f, 12, 2 * PACKET_TS, 1, 110 * MS);
  run_until (&f, 200 * MS);
  g_assert_cmpuint (f.seqs->len, ==, 3);
  g_assert_cmpuint (SEQ (2), ==, 13);
  g_assert_cmpuint (PTS (2), ==, 120 * MS);
  g_assert_cmpuint (stat (&f, "late"), ==, 1);
  g_assert_cmpuint (stat (&f, "lost"), ==, 1);
  /* two lost in a row: two events, 20 ms each, back to back */
  push (&f, 16, 6 * PACKET_TS, 1, 120 * MS);
  run_until (&f, 300 * MS);
  g_assert_cmpuint (f.lost_seq->len, ==, 3);
  g_assert_cmpuint (g_array_index (f.lost_seq, guint, 1), ==, 14);
  g_assert_cmpuint (g_array_index (f.lost_ts, GstClockTime, 1), ==, 140 * MS);
  g_assert_cmpuint (g_array_index (f.lost_seq, guint, 2), ==, 15);
  g_assert_cmpuint (g_array_index (f.lost_ts, GstClockTime, 2), ==, 160 * MS);
  g_assert_cmpuint (PTS (3), ==, 180 * MS);
  fixture_clear (&f);
}

static void
test_wrap (void)
{
  Fixture f;

  fixture_init (&f, 40);
  for (guint i = 0; i < 8; i++)
    push (&f, (guint16)(65532 + i), G_MAXUINT32 - 2 * PACKET_TS + i * PACKET_TS,
        1, i * 20 * MS);
  run_until (&f, 1 * GST_SECOND);
  g_assert_cmpuint (f.seqs->len, ==, 8);
  for (guint i = 0; i < 8; i++) {
    g_assert_cmpuint (SEQ (i), ==, (guint16)(65532 + i));
    g_assert_cmpuint (PTS (i), ==, (40 + i * 20) * MS);
  }
  g_assert_cmpuint (f.lost_seq->len, ==, 0);
  fixture_clear (&f);
}

static void
test_ssrc_change (void)
{
  Fixture f;

  fixture_init (&f, 40);
  for (guint i = 0; i < 5; i++)
    push (&f, 100 + i, i * PACKET_TS, 1, i * 20 * MS);
  run_until (&f, 200 * MS);
  g_assert_cmpuint (f.seqs->len, ==, 5);
  /* a new sender: other seq and timestamps, a new mapping */
  for (guint i = 0; i < 5; i++)
    push (&f, 30000 + i, 77777 + i * PACKET_TS, 2, (200 + i * 20) * MS);
  run_until (&f, 1 * GST_SECOND);
  g_assert_cmpuint (f.seqs->len, ==, 10);
  g_assert_cmpuint (f.discont_at, ==, 5);
  for (guint i = 0; i < 5; i++) {
    g_assert_cmpuint (SEQ (5 + i), ==, 30000 + i);
    g_assert_cmpuint (PTS (5 + i), ==, (240 + i * 20) * MS);
  }
  g_assert_cmpuint (f.lost_seq->len, ==, 0);
  /* the same SSRC restarting far away in seq and time: resync too */
  for (guint i = 0; i < 5; i++)
    push (&f, 9000 + i, 5 + i * PACKET_TS, 2, (2000 + i * 20) * MS);
  run_until (&f, 3 * GST_SECOND);
  g_assert_cmpuint (f.seqs->len, ==, 15);
  g_assert_cmpuint (SEQ (10), ==, 9000);
  g_assert_cmpuint (PTS (10), ==, 2040 * MS);
  g_assert_cmpuint (f.lost_seq->len, ==, 0);
  fixture_clear (&f);
}

/* Every ms from the first buffer to the end of the last is covered by a
 * buffer (20 ms) or a lost event: nothing left for silence. */
static void
assert_no_hole (Fixture *f, guint from)
{
  GstClockTime end = g_array_index (f->pts, GstClockTime, from);

  for (guint i = from; i < f->seqs->len; i++) {
    GstClockTime pts = g_array_index (f->pts, GstClockTime, i);

    for (guint k = 0; k < f->lost_ts->len; k++) {
      GstClockTime ts = g_array_index (f->lost_ts, GstClockTime, k);

      if (ts >= end && ts < pts)
        end = MAX (end, ts + g_array_index (f->lost_dur, GstClockTime, k));
    }
    if (pts > end + 1 * MS)
      g_error ("hole of %" GST_TIME_FORMAT " before buffer %u",
          GST_TIME_ARGS (pts - end), i);
    end = MAX (end, pts + 20 * MS);
  }
}

static void
test_adaptive_depth (void)
{
  Fixture f;
  guint i, n_concealed = 0;
  guint64 lost, late;

  fixture_init (&f, 20);
  for (i = 0; i < 50; i++)
    push (&f, i, i * PACKET_TS, 1, i * 20 * MS);
  g_assert_cmpuint (prop (&f, "depth"), ==, 20);
  g_assert_cmpuint (prop (&f, "jitter"), ==, 0);
  /* every other packet 30 ms late: J -> ~15 ms, depth up at once */
  for (; i < 150; i++)
    push (&f, i, i * PACKET_TS, 1, (i * 20 + (i % 2) * 30) * MS);
  g_assert_cmpuint (prop (&f, "jitter"), >=, 10);
  g_assert_cmpuint (prop (&f, "depth"), >=, 40);
  g_assert_cmpuint (prop (&f, "depth"), <=, 200);
  /* the first late ones were lost before the depth caught up */
  lost = stat (&f, "lost");
  late = stat (&f, "late");
  g_assert_cmpuint (lost, <, 20);
  /* steady again: J decays, the depth comes down slowly */
  for (; i < 250; i++)
    push (&f, i, i * PACKET_TS, 1, i * 20 * MS);
  g_assert_cmpuint (prop (&f, "depth"), >=, 40); /* not at once */
  for (; i < 2500; i++)
    push (&f, i, i * PACKET_TS, 1, i * 20 * MS);
  g_assert_cmpuint (prop (&f, "depth"), ==, 20);
  run_until (&f, (2500 * 20 + 300) * MS);
  g_assert_cmpuint (f.seqs->len, ==, 2500 - late);
  g_assert_cmpuint (stat (&f, "lost"), ==, lost);
  g_assert_cmpuint (stat (&f, "late"), ==, late);
  /* going up was concealed: lost events for the added delay, named after
   * the packet played before them */
  for (guint k = 0; k < f.lost_seq->len; k++)
    for (guint j = 0; j < f.seqs->len; j++)
      if (SEQ (j) == g_array_index (f.lost_seq, guint, k))
        n_concealed++;
  g_assert_cmpuint (n_concealed, >, 0);
  assert_no_hole (&f, 0);
  fixture_clear (&f);
}

/* Downstream answering MCU_JITTER_BUFFER_CAN_TAKE (the harness's sink):
 * when full it keeps the query's waker, as mcumixminus's pads do. */
typedef struct
{
  gboolean full;
  guint asked;
  McuJitterBufferWaker *waker;
  guint wakes; /* the scheduler's wake calls */
} Answer;

static GstPadProbeReturn
on_can_take (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Answer *a = data;
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  const GstStructure *s = gst_query_get_structure (query);

  if (s == NULL || !gst_structure_has_name (s, MCU_JITTER_BUFFER_CAN_TAKE))
    return GST_PAD_PROBE_OK;
  a->asked++;
  g_clear_pointer (&a->waker, mcu_jitter_buffer_waker_unref);
  if (a->full)
    g_assert_true (gst_structure_get (
        s, "waker", MCU_TYPE_JITTER_BUFFER_WAKER, &a->waker, NULL));
  gst_structure_set (gst_query_writable_structure (query), "can-take",
      G_TYPE_BOOLEAN, !a->full, NULL);
  return GST_PAD_PROBE_HANDLED;
}

static void
on_wake (McuJitterBuffer *jb, GstClockTime due, gpointer data)
{
  Answer *a = data;

  if (due == 0) /* now: downstream's (else a packet arrived) */
    a->wakes++;
}

/* Downstream's wake, as its aggregator task would send it. */
static void
wake (Answer *a)
{
  g_autoptr (McuJitterBufferWaker) waker = g_steal_pointer (&a->waker);

  g_assert_nonnull (waker);
  mcu_jitter_buffer_waker_wake (waker);
}

static void
test_downstream_full (void)
{
  Fixture f;
  Answer a = { TRUE, 0, NULL, 0 };
  GstClockTime now = 60 * MS;

  fixture_init (&f, 60);
  mcu_jitter_buffer_set_scheduler (f.jb, on_wake, NULL, &a);
  gst_pad_add_probe (f.h->sinkpad,
      GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM | GST_PAD_PROBE_TYPE_PUSH,
      on_can_take, &a, NULL);
  for (guint i = 0; i < 5; i++)
    push (&f, 100 + i, i * PACKET_TS, 1, i * 20 * MS);
  /* due from 60 ms on: asked once, held until woken (no polling) */
  f.next = mcu_jitter_buffer_service (f.jb, now);
  g_assert_cmpuint (a.asked, ==, 1);
  g_assert_cmpuint (f.next, ==, now + MCU_JITTER_BUFFER_RESCUE);
  /* serviced early (the worker woke for another reason): not asked */
  f.next = mcu_jitter_buffer_service (f.jb, now + 50 * MS);
  g_assert_cmpuint (a.asked, ==, 1);
  collect (&f);
  g_assert_cmpuint (f.seqs->len, ==, 0);
  g_assert_cmpuint (stat (&f, "lost"), ==, 0);
  g_assert_cmpuint (stat (&f, "deferred"), ==, 1);
  g_assert_cmpuint (a.wakes, ==, 0);

  /* woken: the scheduler is told, one goes without asking, then it asks
   * for the next (still full) */
  now += 60 * MS;
  wake (&a);
  g_assert_cmpuint (a.wakes, ==, 1);
  f.next = mcu_jitter_buffer_service (f.jb, now);
  collect (&f);
  g_assert_cmpuint (f.seqs->len, ==, 1);
  g_assert_cmpuint (SEQ (0), ==, 100);
  g_assert_cmpuint (a.asked, ==, 2);
  g_assert_cmpuint (stat (&f, "woken"), ==, 1);
  g_assert_cmpuint (f.next, ==, now + MCU_JITTER_BUFFER_RESCUE);

  /* room again: woken, then one query per item */
  a.full = FALSE;
  now += 20 * MS;
  wake (&a);
  f.next = mcu_jitter_buffer_service (f.jb, now);
  collect (&f);
  g_assert_cmpuint (f.seqs->len, ==, 5);
  for (guint i = 0; i < 5; i++)
    g_assert_cmpuint (SEQ (i), ==, 100 + i);
  g_assert_cmpuint (a.asked, ==, 2 + 3);
  g_assert_cmpuint (f.lost_seq->len, ==, 0);
  g_assert_cmpuint (stat (&f, "lost"), ==, 0);
  g_assert_cmpuint (stat (&f, "rescued"), ==, 0);
  /* a stale wake (it said yes since) grants nothing */
  g_assert_null (a.waker);

  /* a wake that never comes: asked again after MCU_JITTER_BUFFER_RESCUE */
  a.full = TRUE;
  push (&f, 105, 5 * PACKET_TS, 1, now);
  now += 60 * MS;
  f.next = mcu_jitter_buffer_service (f.jb, now);
  g_assert_cmpuint (a.asked, ==, 6);
  f.next = mcu_jitter_buffer_service (f.jb, f.next);
  g_assert_cmpuint (a.asked, ==, 7);
  g_assert_cmpuint (stat (&f, "rescued"), ==, 1);
  collect (&f);
  g_assert_cmpuint (f.seqs->len, ==, 5);

  /* the element goes while downstream still holds its waker: the wake
   * does nothing */
  {
    g_autoptr (McuJitterBufferWaker) kept = g_steal_pointer (&a.waker);

    g_assert_nonnull (kept);
    fixture_clear (&f);
    mcu_jitter_buffer_waker_wake (kept);
  }
  g_assert_cmpuint (a.wakes, ==, 2);
}

/* Nobody services the jitter buffer for 20 s (its worker blocked
 * downstream): it keeps only what is not stale (max-latency 200 ms + 300 ms
 * behind the newest packet), counted late, and plays from there. */
static void
test_unserviced (void)
{
  Fixture f;
  guint64 held;

  fixture_init (&f, 60);
  for (guint i = 0; i < 1000; i++) {
    GstBuffer *buf = gst_rtp_buffer_new_allocate (20, 0, 0);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

    gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp);
    gst_rtp_buffer_set_seq (&rtp, (guint16)i);
    gst_rtp_buffer_set_timestamp (&rtp, i * PACKET_TS);
    gst_rtp_buffer_set_ssrc (&rtp, 1);
    gst_rtp_buffer_set_payload_type (&rtp, 96);
    gst_rtp_buffer_unmap (&rtp);
    GST_BUFFER_DTS (buf) = GST_BUFFER_PTS (buf) = i * 20 * MS;
    g_assert_cmpint (gst_harness_push (f.h, buf), ==, GST_FLOW_OK);
  }
  g_assert_cmpuint (stat (&f, "received"), ==, 1000);
  held = stat (&f, "received") - stat (&f, "late");
  g_assert_cmpuint (held, >=, 25);
  g_assert_cmpuint (held, <=, 26);
  /* what is left plays: the newest packets, in order */
  f.next = 0;
  run_until (&f, 21 * GST_SECOND);
  g_assert_cmpuint (f.seqs->len, ==, held);
  g_assert_cmpuint (SEQ (f.seqs->len - 1), ==, 999);
  fixture_clear (&f);
}

/* The start of the stale tests: a stream with a downstream that answers
 * (Answer), its first 20 packets played; returns the next sequence. */
static guint
stale_start (Fixture *f, Answer *a)
{
  guint i;

  fixture_init (f, 60);
  mcu_jitter_buffer_set_scheduler (f->jb, on_wake, NULL, a);
  gst_pad_add_probe (f->h->sinkpad,
      GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM | GST_PAD_PROBE_TYPE_PUSH,
      on_can_take, a, NULL);
  for (i = 0; i < 20; i++)
    push (f, i, i * PACKET_TS, 1, i * 20 * MS);
  run_until (f, i * 20 * MS);
  return i;
}

/* Room again at @now: woken, and serviced for 500 ms. */
static void
stale_end_hold (Fixture *f, Answer *a, GstClockTime now)
{
  a->full = FALSE;
  if (a->waker)
    wake (a);
  f->next = now;
  run_until (f, now + 500 * MS);
}

/* A stream that played, then whose downstream held it (full, no wake) for
 * 2 s while its packets kept coming: the packets that went stale while
 * held are dropped (late) and their hole skipped, not concealed (a lost
 * event each: at 1,000 callers on an overloaded machine, most of the
 * playout worker's time for audio 300 ms and more late). The output goes
 * on from what is left, the first buffer DISCONT. */
static void
test_stale_skipped (void)
{
  Fixture f;
  Answer a = { FALSE, 0, NULL, 0 };
  guint i, first_after;
  guint64 late;
  gboolean found = FALSE;

  i = stale_start (&f, &a);
  first_after = f.seqs->len;
  g_assert_cmpuint (first_after, >, 0);
  /* full from here, and no wake */
  a.full = TRUE;
  for (; i < 120; i++)
    push (&f, i, i * PACKET_TS, 1, i * 20 * MS);
  late = stat (&f, "late");
  g_assert_cmpuint (late, >, 50);
  stale_end_hold (&f, &a, i * 20 * MS);
  g_assert_cmpuint (f.lost_seq->len, ==, 0);
  g_assert_cmpuint (stat (&f, "lost"), ==, 0);
  g_assert_cmpuint (SEQ (f.seqs->len - 1), ==, 119);
  g_assert_cmpuint (f.seqs->len, ==, 120 - late);
  /* the first buffer after the hole starts anew, and only that one */
  for (guint k = first_after; k < f.seqs->len; k++)
    if (SEQ (k) != SEQ (k - 1) + 1) {
      g_assert_cmpuint (f.discont_at, ==, k);
      found = TRUE;
      break;
    }
  g_assert_true (found);
  fixture_clear (&f);
}

/* As stale-skipped, but the packet right after the stale ones never came
 * (a loss on the way): it is concealed, once, at its own time (just
 * before the next packet played), not where the output stopped when the
 * stream was held. */
static void
test_stale_then_lost (void)
{
  Fixture f;
  Answer a = { FALSE, 0, NULL, 0 };
  guint i;

  i = stale_start (&f, &a);
  a.full = TRUE;
  /* 120 ms of packets are kept behind the newest (119) beyond max-latency
   * 200 ms + 300 ms: 94 is the oldest kept; it is lost on the way */
  for (; i < 120; i++)
    if (i != 94)
      push (&f, i, i * PACKET_TS, 1, i * 20 * MS);
  /* everything not played before the hold up to 93 went stale */
  g_assert_cmpuint (stat (&f, "late"), ==, 93 - SEQ (f.seqs->len - 1));
  stale_end_hold (&f, &a, i * 20 * MS);
  g_assert_cmpuint (stat (&f, "lost"), ==, 1);
  g_assert_cmpuint (f.lost_seq->len, ==, 1);
  g_assert_cmpuint (SEQ (f.seqs->len - 1), ==, 119);
  for (guint k = 0; k < f.seqs->len; k++)
    if (SEQ (k) == 95) {
      GstClockTime at = g_array_index (f.lost_ts, GstClockTime, 0);
      GstClockTime dur = g_array_index (f.lost_dur, GstClockTime, 0);

      g_assert_cmpuint (at + dur, ==, PTS (k));
      g_assert_cmpuint (dur, ==, 20 * MS);
      break;
    }
  fixture_clear (&f);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_true (mcu_plugins_register ());

  g_test_add_func ("/jitter-buffer/in-order", test_in_order);
  g_test_add_func ("/jitter-buffer/reorder-duplicate", test_reorder_duplicate);
  g_test_add_func ("/jitter-buffer/lost-and-late", test_lost_and_late);
  g_test_add_func ("/jitter-buffer/wrap", test_wrap);
  g_test_add_func ("/jitter-buffer/ssrc-change", test_ssrc_change);
  g_test_add_func ("/jitter-buffer/adaptive-depth", test_adaptive_depth);
  g_test_add_func ("/jitter-buffer/downstream-full", test_downstream_full);
  g_test_add_func ("/jitter-buffer/unserviced", test_unserviced);
  g_test_add_func ("/jitter-buffer/stale-skipped", test_stale_skipped);
  g_test_add_func ("/jitter-buffer/stale-then-lost", test_stale_then_lost);
  return g_test_run ();
}
