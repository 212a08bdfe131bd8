/* SPDX-License-Identifier: LGPL-2.1-or-later
 * McuPlayout drains mcujitterbuffers on its own workers: packets come out
 * at their playout time (arrival + depth) without anyone calling service,
 * an early packet wakes a sleeping worker, and a jitter buffer leaves the
 * workers when it goes down to READY (removal waits for its service).
 * Into a live mcumixminus (a retimed input, as in a room): the mixer says
 * "full" and wakes the jitter buffer when it has room: every packet gets
 * through, no wait ends by the rescue timer, at most one query per push. */
#include "mcu-playout.h"
#include "mcu-plugins.h"

#include <gst/app/gstappsrc.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/rtp.h>
#include <time.h>

static GstClockTime
mono_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return GST_TIMESPEC_TO_TIME (ts);
}

static GstHarness *
new_jb (void)
{
  GstHarness *h = gst_harness_new ("mcujitterbuffer");

  g_object_set (h->element, "latency", 40, NULL);
  gst_harness_set_src_caps_str (h, "application/x-rtp,media=audio,"
                                   "clock-rate=8000,encoding-name=PCMU");
  return h;
}

/* One that keeps @ms of depth (no adaptation). */
static GstHarness *
new_jb_fixed (guint ms)
{
  GstHarness *h = new_jb ();

  g_object_set (
      h->element, "latency", ms, "min-latency", ms, "max-latency", ms, NULL);
  return h;
}

static GstClockTime t0;

/* Packet @i, stamped with the time since t0 and arriving now (the
 * element's base time is 0 and the workers use CLOCK_MONOTONIC: running
 * time = now), so each one plays 40 ms after it arrives. */
static void
push (GstHarness *h, guint i)
{
  GstClockTime now = mono_now ();
  GstBuffer *buf = gst_rtp_buffer_new_allocate (160, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_seq (&rtp, (guint16)i);
  gst_rtp_buffer_set_timestamp (
      &rtp, (guint32)gst_util_uint64_scale (now - t0, 8000, GST_SECOND));
  gst_rtp_buffer_set_ssrc (&rtp, 42);
  gst_rtp_buffer_unmap (&rtp);
  GST_BUFFER_DTS (buf) = now;
  g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
}

static void
test_drain (void)
{
  g_autoptr (McuPlayout) playout = mcu_playout_new (2);
  GstHarness *a = new_jb (), *b = new_jb ();
  gint64 start;

  t0 = mono_now ();
  g_assert_cmpuint (mcu_playout_get_n_workers (playout), ==, 2);
  gst_element_set_base_time (a->element, 0);
  gst_element_set_base_time (b->element, 0);
  mcu_playout_add (playout, MCU_JITTER_BUFFER (a->element), playout);
  mcu_playout_add (playout, MCU_JITTER_BUFFER (b->element), NULL);
  g_assert_cmpuint (mcu_playout_get_n_buffers (playout), ==, 2);
  for (guint i = 0; i < 5; i++) {
    start = g_get_monotonic_time ();
    push (a, i);
    push (b, i);
    /* the idle workers wake for it: out after the 40 ms depth */
    for (guint k = 0; k < 2; k++) {
      GstBuffer *out = gst_harness_pull (k ? b : a);
      gint64 waited = g_get_monotonic_time () - start;

      g_assert_nonnull (out);
      g_assert_cmpint (waited, >=, 35 * 1000);
      g_assert_cmpint (waited, <, 2 * G_USEC_PER_SEC);
      gst_buffer_unref (out);
    }
  }
  /* going down takes it off the workers */
  gst_element_set_state (a->element, GST_STATE_READY);
  g_assert_cmpuint (mcu_playout_get_n_buffers (playout), ==, 1);
  mcu_playout_remove (playout, MCU_JITTER_BUFFER (b->element));
  g_assert_cmpuint (mcu_playout_get_n_buffers (playout), ==, 0);
  gst_harness_teardown (a);
  gst_harness_teardown (b);
}

/* One worker, asleep until a packet of jitter buffer A (400 ms deep) is
 * due, is woken for an earlier one of B (40 ms deep): B's comes out after
 * its own 40 ms, not when A's does. (The worker is signalled only when a
 * wake is due before the time it sleeps to: a wake it missed would hold B
 * until A's time.) */
static void
test_earlier_wake (void)
{
  g_autoptr (McuPlayout) playout = mcu_playout_new (1);
  GstHarness *a = new_jb_fixed (400), *b = new_jb_fixed (40);
  GstBuffer *out;
  gint64 start, waited;

  t0 = mono_now ();
  gst_element_set_base_time (a->element, 0);
  gst_element_set_base_time (b->element, 0);
  mcu_playout_add (playout, MCU_JITTER_BUFFER (a->element), NULL);
  mcu_playout_add (playout, MCU_JITTER_BUFFER (b->element), NULL);
  start = g_get_monotonic_time ();
  push (a, 0);
  /* (the worker takes A's packet and goes to sleep until it is due; were
   * it still awake, B's packet below would be seen all the same) */
  g_usleep (30 * 1000);
  push (b, 0);
  out = gst_harness_pull (b);
  waited = g_get_monotonic_time () - start;
  g_assert_nonnull (out);
  gst_buffer_unref (out);
  if (waited >= 300 * 1000)
    g_error ("B's packet came out after %" G_GINT64_FORMAT " ms, with A's",
        waited / 1000);
  g_assert_cmpint (waited, >=, 65 * 1000);
  out = gst_harness_pull (a);
  g_assert_nonnull (out);
  gst_buffer_unref (out);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 395 * 1000);
  mcu_playout_remove (playout, MCU_JITTER_BUFFER (a->element));
  mcu_playout_remove (playout, MCU_JITTER_BUFFER (b->element));
  gst_harness_teardown (a);
  gst_harness_teardown (b);
}

#define BURSTS 25
#define BURST  5 /* packets arriving together, 20 ms of audio each */

#define L16_CAPS                                         \
  "caps=application/x-rtp,media=audio,clock-rate=48000," \
  "encoding-name=L16,channels=1,payload=96 "

/* appsrc (L16 RTP) -> mcujitterbuffer -> @between -> rtpL16depay ->
 * audioconvert -> mcumixminus.sink_1 (retimed), and @more; a live silent
 * source on sink_0 clocks the mix, as in McuAudioMix. */
static GstElement *
mixer_pipeline_with (GstElement **jb, const gchar *between, const gchar *more)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *desc = g_strdup_printf (
      "mcumixminus name=mix output-buffer-duration=20000000 latency=0 "
      "! fakesink sync=false "
      "audiotestsrc is-live=true wave=silence samplesperbuffer=960 "
      "! audio/x-raw,format=S16LE,rate=48000,channels=1 ! mix.sink_0 "
      "appsrc name=src is-live=true format=time " L16_CAPS
      "! mcujitterbuffer name=jb latency=20 %s! rtpL16depay name=depay "
      "! audioconvert "
      "! audio/x-raw,format=S16LE,rate=48000,channels=1 ! mix.sink_1 %s",
      between, more);
  GstElement *pipeline = gst_parse_launch (desc, &error);
  g_autoptr (GstElement) mix = NULL;
  g_autoptr (GstPad) sink = NULL;

  g_assert_no_error (error);
  mix = gst_bin_get_by_name (GST_BIN (pipeline), "mix");
  sink = gst_element_get_static_pad (mix, "sink_1");
  g_object_set (sink, "retime", TRUE, NULL);
  *jb = gst_bin_get_by_name (GST_BIN (pipeline), "jb");
  return pipeline;
}

/* A mixer pipeline playing, its jitter buffer "jb" on a one-worker
 * McuPlayout, and what the tests count on it. */
typedef struct
{
  McuPlayout *playout;
  GstElement *pipeline;
  GstElement *jb;  /* on the playout */
  GstElement *src; /* its appsrc */
  GstElement *mix;
  guint seq; /* the next packet's */
  GMutex lock;
  GCond cond;
  GstClockTime mixed_until; /* with lock: the end of the last mix out */
} Mixer;

static GstPadProbeReturn
on_mixed (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Mixer *m = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  g_mutex_lock (&m->lock);
  m->mixed_until = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
  g_cond_broadcast (&m->cond);
  g_mutex_unlock (&m->lock);
  return GST_PAD_PROBE_OK;
}

/* Waits until the mixer has mixed what it was given by now (a retimed
 * input plays RETIME_LEAD after it arrived: 20 ms, and a frame is 20 ms):
 * its inputs are empty again, however late its thread runs. */
static void
wait_mixed (Mixer *m)
{
  g_autoptr (GstClock) clock = gst_element_get_clock (m->pipeline);
  GstClockTime target = gst_clock_get_time (clock) -
                        gst_element_get_base_time (m->pipeline) +
                        60 * GST_MSECOND;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_mutex_lock (&m->lock);
  while (m->mixed_until < target)
    g_assert_true (g_cond_wait_until (&m->cond, &m->lock, deadline));
  g_mutex_unlock (&m->lock);
}

static void
mixer_start (Mixer *m, const gchar *between, const gchar *more)
{
  m->playout = mcu_playout_new (1);
  m->pipeline = mixer_pipeline_with (&m->jb, between, more);
  m->src = gst_bin_get_by_name (GST_BIN (m->pipeline), "src");
  m->mix = gst_bin_get_by_name (GST_BIN (m->pipeline), "mix");
  m->seq = 0;
  g_mutex_init (&m->lock);
  g_cond_init (&m->cond);
  m->mixed_until = 0;
  {
    g_autoptr (GstPad) out = gst_element_get_static_pad (m->mix, "src");

    gst_pad_add_probe (out, GST_PAD_PROBE_TYPE_BUFFER, on_mixed, m, NULL);
  }
  g_assert_cmpint (gst_element_set_state (m->pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (
      gst_element_get_state (m->pipeline, NULL, NULL, 5 * GST_SECOND), ==,
      GST_STATE_CHANGE_SUCCESS);
  g_assert_true (mcu_playout_add (m->playout, MCU_JITTER_BUFFER (m->jb), NULL));
}

static void
mixer_stop (Mixer *m)
{
  gst_element_set_state (m->pipeline, GST_STATE_NULL);
  g_assert_cmpuint (mcu_playout_get_n_buffers (m->playout), ==, 0);
  gst_object_unref (m->mix);
  gst_object_unref (m->src);
  gst_object_unref (m->jb);
  gst_object_unref (m->pipeline);
  g_object_unref (m->playout);
  g_mutex_clear (&m->lock);
  g_cond_clear (&m->cond);
}

static guint64
jb_stat (GstElement *jb, const gchar *name)
{
  g_autoptr (GstStructure) s = NULL;
  guint64 v = 0;

  g_object_get (jb, "stats", &s, NULL);
  g_assert_true (gst_structure_get_uint64 (s, name, &v));
  return v;
}

/* Waits until @count (atomic: buffers counted past @jb) and the packets @jb
 * dropped (late, duplicates) make up @sent: the packets played out,
 * however long a loaded machine took. At most 10 s: a packet lost never
 * comes, and the exact counts asserted after the wait say what went
 * wrong. */
static void
wait_played_out (GstElement *jb, gint *count, guint64 sent)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while ((guint64)g_atomic_int_get (count) + jb_stat (jb, "late") +
                 jb_stat (jb, "duplicates") <
             sent &&
         g_get_monotonic_time () < deadline)
    g_usleep (2000); /* polls the condition, not a guess at a duration */
}

/* Counts buffers, and lost events (GstRTPPacketLost, which the
 * depayloader turns into GAPs) too on the jitter buffer's output. */
static GstPadProbeReturn
on_count (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  if ((info->type & GST_PAD_PROBE_TYPE_BUFFER) ||
      GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) ==
          GST_EVENT_CUSTOM_DOWNSTREAM)
    g_atomic_int_inc ((gint *)data);
  return GST_PAD_PROBE_OK;
}

/* @bursts bursts of BURST packets every BURST x 20 ms from *@seq on,
 * into @src and @src2 (if not NULL): more is due at once than the mixer's
 * input holds, so it says "full" and must wake it */
static void
send_bursts2 (GstElement *pipeline, GstElement *src, GstElement *src2,
    guint *seq_p, guint bursts)
{
  g_autoptr (GstClock) clock = gst_element_get_clock (pipeline);
  guint seq = *seq_p;

  for (guint b = 0; b < bursts; b++) {
    GstClockTime now =
        gst_clock_get_time (clock) - gst_element_get_base_time (pipeline);

    for (guint k = 0; k < BURST; k++, seq++) {
      for (guint i = 0; i < (src2 != NULL ? 2 : 1); i++) {
        GstBuffer *buf = gst_rtp_buffer_new_allocate (960 * 2, 0, 0);
        GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

        gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp);
        gst_rtp_buffer_set_seq (&rtp, (guint16)seq);
        gst_rtp_buffer_set_timestamp (&rtp, seq * 960);
        gst_rtp_buffer_set_ssrc (&rtp, 42);
        gst_rtp_buffer_set_payload_type (&rtp, 96);
        gst_rtp_buffer_unmap (&rtp);
        GST_BUFFER_DTS (buf) = GST_BUFFER_PTS (buf) = now;
        g_assert_cmpint (
            gst_app_src_push_buffer (GST_APP_SRC (i ? src2 : src), buf), ==,
            GST_FLOW_OK);
      }
    }
    g_usleep (BURST * 20 * 1000);
  }
  *seq_p = seq;
}

static void
send_bursts (GstElement *pipeline, GstElement *src, guint *seq_p, guint bursts)
{
  send_bursts2 (pipeline, src, NULL, seq_p, bursts);
}

/* Counts the "can take" queries that reach the mixer (the others went
 * through the pad's asker, directly). */
static GstPadProbeReturn
on_can_take_query (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  const GstStructure *s =
      gst_query_get_structure (GST_PAD_PROBE_INFO_QUERY (info));

  /* (a query probe sees it twice: on its way and answered) */
  if ((info->type & GST_PAD_PROBE_TYPE_PUSH) && s != NULL &&
      gst_structure_has_name (s, MCU_JITTER_BUFFER_CAN_TAKE))
    g_atomic_int_inc ((gint *)data);
  return GST_PAD_PROBE_OK;
}

static void
test_mixer_wakes (void)
{
  Mixer m;
  GstElement *jb;
  g_autoptr (GstPad) jb_src = NULL;
  g_autoptr (GstPad) mixer_sink = NULL;
  g_autoptr (GstPad) into_mixer = NULL;
  gint pushed = 0, items = 0, queries = 0;
  guint64 deferred, asked, woken;

  mixer_start (&m, "", "");
  jb = m.jb;
  jb_src = gst_element_get_static_pad (jb, "src");
  mixer_sink = gst_element_get_static_pad (m.mix, "sink_1");
  /* counted as offered to the mixer (the converter's output): a retimed
   * input may itself drop a buffer that comes too late for its frame (a
   * slow ASan run), which is the mixer's placement, not a lost wake */
  into_mixer = gst_pad_get_peer (mixer_sink);
  /* (nothing flows through them before the first burst) */
  gst_pad_add_probe (
      into_mixer, GST_PAD_PROBE_TYPE_BUFFER, on_count, &pushed, NULL);
  gst_pad_add_probe (jb_src,
      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_count,
      &items, NULL);
  gst_pad_add_probe (into_mixer, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      on_can_take_query, &queries, NULL);
  send_bursts (m.pipeline, m.src, &m.seq, BURSTS);
  wait_played_out (jb, &pushed, m.seq);
  /* and mixed: the input moved below starts empty */
  wait_mixed (&m);
  deferred = jb_stat (jb, "deferred");
  asked = jb_stat (jb, "asked");
  woken = jb_stat (jb, "woken");
  g_test_message ("received %" G_GUINT64_FORMAT ", into the mixer %d, "
                  "pushed (buffers and lost events) %d, asked "
                  "%" G_GUINT64_FORMAT ", full %" G_GUINT64_FORMAT
                  ", woken %" G_GUINT64_FORMAT ", rescued %" G_GUINT64_FORMAT
                  ", lost %" G_GUINT64_FORMAT ", late %" G_GUINT64_FORMAT,
      jb_stat (jb, "received"), g_atomic_int_get (&pushed),
      g_atomic_int_get (&items), asked, deferred, woken,
      jb_stat (jb, "rescued"), jb_stat (jb, "lost"), jb_stat (jb, "late"));
  /* every packet reached the mixer */
  g_assert_cmpuint (jb_stat (jb, "received"), ==, BURSTS * BURST);
  g_assert_cmpint (g_atomic_int_get (&pushed), ==, BURSTS * BURST);
  g_assert_cmpuint (jb_stat (jb, "lost"), ==, 0);
  /* the mixer said "full" and woke it (each "no" ends in a wake, or in a
   * rescue 100 ms later when the mixer's thread got no CPU that long: a
   * few on a loaded machine, every one without the wake) */
  g_assert_cmpuint (deferred, >, 0);
  g_assert_cmpuint (woken, >, 0);
  g_assert_cmpuint (jb_stat (jb, "rescued") * 4, <, deferred);
  /* one query per item pushed at most: a yes before it, or a no and the
   * wake (no polling); a rescue asks once more */
  g_assert_cmpuint (
      asked, <=, (guint64)g_atomic_int_get (&items) + jb_stat (jb, "rescued"));
  /* asked through the pad's asker but the first time: the query walks
   * every element in between (one query per packet was ~8 % of a playout
   * worker) */
  g_test_message ("queries %d, asked directly %" G_GUINT64_FORMAT,
      g_atomic_int_get (&queries), jb_stat (jb, "asked-direct"));
  g_assert_cmpint (g_atomic_int_get (&queries), ==, 1);
  g_assert_cmpuint (jb_stat (jb, "asked-direct"), ==, asked - 1);

  /* the converter moved to another mixer input (sink_1 stays, unlinked):
   * sink_1's asker goes stale, the query finds sink_2, which holds the
   * jitter buffer back from then on (asked directly again) */
  {
    g_autoptr (GstPad) sink2 =
        gst_element_request_pad_simple (m.mix, "sink_%u");

    g_object_set (sink2, "retime", TRUE, NULL);
    g_assert_true (gst_pad_unlink (into_mixer, mixer_sink));
    g_assert_cmpint (gst_pad_link (into_mixer, sink2), ==, GST_PAD_LINK_OK);
    send_bursts (m.pipeline, m.src, &m.seq, 10);
    wait_played_out (jb, &pushed, m.seq);
    g_test_message ("after the move: queries %d, asked %" G_GUINT64_FORMAT
                    ", directly %" G_GUINT64_FORMAT ", full %" G_GUINT64_FORMAT,
        g_atomic_int_get (&queries), jb_stat (jb, "asked"),
        jb_stat (jb, "asked-direct"), jb_stat (jb, "deferred"));
    g_assert_cmpint (g_atomic_int_get (&queries), ==, 2);
    g_assert_cmpuint (jb_stat (jb, "asked-direct"), >, asked);
    g_assert_cmpuint (jb_stat (jb, "deferred"), >, deferred);
  }
  mixer_stop (&m);
}

static gboolean
relink (GstElement *pipeline, const gchar *from, const gchar *to,
    const gchar *new_to)
{
  g_autoptr (GstElement) a = gst_bin_get_by_name (GST_BIN (pipeline), from);
  g_autoptr (GstElement) b = gst_bin_get_by_name (GST_BIN (pipeline), to);
  g_autoptr (GstElement) c = gst_bin_get_by_name (GST_BIN (pipeline), new_to);
  g_autoptr (GstPad) src = gst_element_get_static_pad (a, "src");
  g_autoptr (GstPad) old = gst_element_get_static_pad (b, "sink");
  g_autoptr (GstPad) sink = gst_element_get_static_pad (c, "sink");

  return gst_pad_unlink (src, old) &&
         gst_pad_link (src, sink) == GST_PAD_LINK_OK;
}

/* rtpbin on an SSRC change: the new SSRC's jitter buffer takes over the
 * mixer input (the chain is relinked upstream of the pad, after identity
 * standing for rtpbin's demuxer), the old one's goes on into a fakesink,
 * its src pad still linked. The old one, holding the pad's asker, must
 * stop asking it directly (each answer would take the new one's place as
 * the waiter: the new one waited for the rescue instead of its wake,
 * ~40 % of its waits): the first query of the new one makes the old one's
 * asker stale, it queries again, unanswered at the fakesink, and pushes. */
static void
test_relinked_upstream (void)
{
  Mixer m;
  GstElement *jb;
  g_autoptr (GstElement) srcb = NULL;
  g_autoptr (GstElement) jbb = NULL;
  g_autoptr (GstPad) a_src = NULL;
  g_autoptr (GstPad) b_src = NULL;
  guint64 a_direct, a_asked, b_deferred, b_rescued, b_woken;
  gint a_out = 0, b_out = 0;

  mixer_start (&m, "! identity name=ida ",
      "appsrc name=srcb is-live=true format=time " L16_CAPS
      "! mcujitterbuffer name=jbb latency=20 ! identity name=idb "
      "! fakesink name=fb sync=false async=false "
      "fakesink name=fa sync=false async=false");
  jb = m.jb;
  srcb = gst_bin_get_by_name (GST_BIN (m.pipeline), "srcb");
  jbb = gst_bin_get_by_name (GST_BIN (m.pipeline), "jbb");
  a_src = gst_element_get_static_pad (jb, "src");
  b_src = gst_element_get_static_pad (jbb, "src");
  gst_pad_add_probe (a_src, GST_PAD_PROBE_TYPE_BUFFER, on_count, &a_out, NULL);
  gst_pad_add_probe (b_src, GST_PAD_PROBE_TYPE_BUFFER, on_count, &b_out, NULL);
  g_assert_true (mcu_playout_add (m.playout, MCU_JITTER_BUFFER (jbb), NULL));
  send_bursts (m.pipeline, m.src, &m.seq, 5);
  wait_played_out (jb, &a_out, 5 * BURST);
  g_assert_cmpuint (jb_stat (jb, "asked-direct"), >, 0);

  g_assert_true (relink (m.pipeline, "ida", "depay", "fa"));
  g_assert_true (relink (m.pipeline, "idb", "fb", "depay"));
  /* the new one alone first: its first query makes it the pad's asker */
  send_bursts (m.pipeline, srcb, &m.seq, 5);
  wait_played_out (jbb, &b_out, 5 * BURST);
  g_assert_cmpuint (jb_stat (jbb, "asked-direct"), >, 0);
  a_direct = jb_stat (jb, "asked-direct");
  a_asked = jb_stat (jb, "asked");
  b_deferred = jb_stat (jbb, "deferred");
  b_rescued = jb_stat (jbb, "rescued");
  b_woken = jb_stat (jbb, "woken");

  /* both: the old one's late packets keep coming */
  send_bursts2 (m.pipeline, m.src, srcb, &m.seq, 20);
  wait_played_out (jb, &a_out, 25 * BURST);
  wait_played_out (jbb, &b_out, 25 * BURST);
  g_test_message ("old: asked %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
                  " before), directly %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
                  " before); new: full %" G_GUINT64_FORMAT
                  ", woken %" G_GUINT64_FORMAT ", rescued %" G_GUINT64_FORMAT,
      jb_stat (jb, "asked"), a_asked, jb_stat (jb, "asked-direct"), a_direct,
      jb_stat (jbb, "deferred") - b_deferred, jb_stat (jbb, "woken") - b_woken,
      jb_stat (jbb, "rescued") - b_rescued);
  g_assert_cmpuint (jb_stat (jb, "asked"), >, a_asked);
  g_assert_cmpuint (jb_stat (jb, "asked-direct"), ==, a_direct);
  g_assert_cmpuint (jb_stat (jbb, "received"), ==, 25 * BURST);
  g_assert_cmpuint (jb_stat (jbb, "lost"), ==, 0);
  g_assert_cmpuint (jb_stat (jbb, "deferred"), >, b_deferred);
  g_assert_cmpuint (jb_stat (jbb, "woken"), >, b_woken);
  g_assert_cmpuint ((jb_stat (jbb, "rescued") - b_rescued) * 4, <,
      jb_stat (jbb, "deferred") - b_deferred);
  mixer_stop (&m);
}

/* The fallbacks to the query: the jitter buffer stopped and started again
 * (READY, then PLAYING) asks again with the query; so does one whose
 * mixer input was released (it is not linked any more: the query is
 * unanswered, and every later push queries again). */
static void
test_asker_fallbacks (void)
{
  Mixer m;
  GstElement *jb;
  g_autoptr (GstPad) mixer_sink = NULL;
  g_autoptr (GstPad) into_mixer = NULL;
  g_autoptr (GstPad) jb_src = NULL;
  gint queries = 0, out = 0;
  guint64 direct;

  mixer_start (&m, "", "");
  jb = m.jb;
  mixer_sink = gst_element_get_static_pad (m.mix, "sink_1");
  into_mixer = gst_pad_get_peer (mixer_sink);
  jb_src = gst_element_get_static_pad (jb, "src");
  gst_pad_add_probe (into_mixer, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      on_can_take_query, &queries, NULL);
  /* (before the not-linked check: counts the pushes after the release) */
  gst_pad_add_probe (jb_src, GST_PAD_PROBE_TYPE_BUFFER, on_count, &out, NULL);
  send_bursts (m.pipeline, m.src, &m.seq, 5);
  wait_played_out (jb, &out, m.seq);
  g_assert_cmpint (g_atomic_int_get (&queries), ==, 1);
  g_assert_cmpuint (jb_stat (jb, "asked-direct"), >, 0);

  /* stopped and started again: one query, then directly again */
  g_assert_cmpint (gst_element_set_state (jb, GST_STATE_READY), ==,
      GST_STATE_CHANGE_SUCCESS);
  g_assert_true (gst_element_sync_state_with_parent (jb));
  g_assert_true (mcu_playout_add (m.playout, MCU_JITTER_BUFFER (jb), NULL));
  direct = jb_stat (jb, "asked-direct");
  send_bursts (m.pipeline, m.src, &m.seq, 5);
  wait_played_out (jb, &out, m.seq);
  g_test_message ("restarted: queries %d, asked directly %" G_GUINT64_FORMAT
                  " (%" G_GUINT64_FORMAT " before)",
      g_atomic_int_get (&queries), jb_stat (jb, "asked-direct"), direct);
  g_assert_cmpint (g_atomic_int_get (&queries), ==, 2);
  g_assert_cmpuint (jb_stat (jb, "asked-direct"), >, direct);

  /* the mixer input released (the test keeps the pad): queried again */
  gst_element_release_request_pad (m.mix, mixer_sink);
  direct = jb_stat (jb, "asked-direct");
  send_bursts (m.pipeline, m.src, &m.seq, 5);
  wait_played_out (jb, &out, m.seq);
  g_test_message ("released: queries %d, asked directly %" G_GUINT64_FORMAT
                  " (%" G_GUINT64_FORMAT " before)",
      g_atomic_int_get (&queries), jb_stat (jb, "asked-direct"), direct);
  g_assert_cmpint (g_atomic_int_get (&queries), >, 2);
  g_assert_cmpuint (jb_stat (jb, "asked-direct"), ==, direct);
  g_assert_cmpuint (jb_stat (jb, "lost"), ==, 0);
  mixer_stop (&m);
}

/* A jitter buffer that stopped (PAUSED to READY) before its first packet
 * was handed over (the receive thread adds it on that packet, racing the
 * room going down) is refused: it would never be detached, and a worker
 * would keep it (and service it) after its pipeline is gone. Started
 * again (a room rebuilt with the same bin), it is taken again. */
static void
test_stopped_refused (void)
{
  g_autoptr (McuPlayout) playout = mcu_playout_new (1);
  GstHarness *h = new_jb ();
  McuJitterBuffer *jb = MCU_JITTER_BUFFER (h->element);

  t0 = mono_now ();
  gst_element_set_base_time (h->element, 0);
  gst_element_set_state (h->element, GST_STATE_READY);
  g_assert_false (mcu_jitter_buffer_has_scheduler (jb));
  g_assert_false (mcu_playout_add (playout, jb, NULL));
  g_assert_cmpuint (mcu_playout_get_n_buffers (playout), ==, 0);
  g_assert_false (mcu_jitter_buffer_has_scheduler (jb));

  gst_element_set_state (h->element, GST_STATE_PLAYING);
  g_assert_true (mcu_playout_add (playout, jb, NULL));
  g_assert_true (mcu_jitter_buffer_has_scheduler (jb));
  g_assert_cmpuint (mcu_playout_get_n_buffers (playout), ==, 1);
  push (h, 0);
  gst_buffer_unref (gst_harness_pull (h));
  gst_element_set_state (h->element, GST_STATE_READY);
  g_assert_false (mcu_jitter_buffer_has_scheduler (jb));
  g_assert_cmpuint (mcu_playout_get_n_buffers (playout), ==, 0);
  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_true (mcu_plugins_register ());
  g_test_add_func ("/playout/drain", test_drain);
  g_test_add_func ("/playout/earlier-wake", test_earlier_wake);
  g_test_add_func ("/playout/mixer-wakes", test_mixer_wakes);
  g_test_add_func ("/playout/relinked-upstream", test_relinked_upstream);
  g_test_add_func ("/playout/asker-fallbacks", test_asker_fallbacks);
  g_test_add_func ("/playout/stopped-refused", test_stopped_refused);
  return g_test_run ();
}
