/* SPDX-License-Identifier: LGPL-2.1-or-later
 * McuPlayout drains mcujitterbuffers on its own workers: packets come out
 * at their playout time (arrival + depth) without anyone calling service,
 * an early packet wakes a sleeping worker, and a jitter buffer leaves the
 * workers when it goes down to READY (removal waits for its service). */
#include "mcu-playout.h"
#include "mcu-plugins.h"

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
  g_test_add_func ("/playout/stopped-refused", test_stopped_refused);
  return g_test_run ();
}
