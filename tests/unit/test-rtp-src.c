/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcurtpsrc in a GstHarness: nothing is taken before PLAYING or after;
 * stream-start, caps and a TIME segment come before the first buffer;
 * buffers carry their arrival in running time and their sender; the
 * element answers LATENCY as a live source and does not preroll. */
#include "mcu-plugins.h"
#include "mcu-rtp-src.h"

#include <gst/check/gstharness.h>
#include <gst/net/net.h>

static GstBuffer *
packet (void)
{
  return gst_buffer_new_memdup ("\x80\x00\x00\x01", 4);
}

static void
test_push (void)
{
  GstHarness *h = gst_harness_new_with_padnames ("mcurtpsrc", NULL, "src");
  McuRtpSrc *src = MCU_RTP_SRC (h->element);
  g_autoptr (GstCaps) caps = gst_caps_from_string ("application/x-rtp");
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) from = g_inet_socket_address_new (lo, 4242);
  g_autoptr (GstClock) sysclock = gst_system_clock_obtain ();
  GstTestClock *clock;
  GstNetAddressMeta *meta;
  GstClockTime base;
  GstEvent *ev;
  GstBuffer *buf;

  g_object_set (h->element, "caps", caps, NULL);
  /* not playing: dropped */
  g_assert_cmpint (mcu_rtp_src_push (src, packet ()), ==, GST_FLOW_FLUSHING);
  g_assert_cmpint (gst_element_set_state (h->element, GST_STATE_PAUSED), ==,
      GST_STATE_CHANGE_NO_PREROLL);
  g_assert_cmpint (mcu_rtp_src_push (src, packet ()), ==, GST_FLOW_FLUSHING);

  gst_harness_play (h);
  clock = gst_harness_get_testclock (h);
  base = gst_element_get_base_time (h->element);
  gst_test_clock_set_time (clock, base + 3 * GST_SECOND);
  g_assert_cmpint (
      mcu_rtp_src_push_full (src, packet (), from, GST_CLOCK_TIME_NONE), ==,
      GST_FLOW_OK);
  ev = gst_harness_pull_event (h);
  g_assert_cmpint (GST_EVENT_TYPE (ev), ==, GST_EVENT_STREAM_START);
  gst_event_unref (ev);
  ev = gst_harness_pull_event (h);
  g_assert_cmpint (GST_EVENT_TYPE (ev), ==, GST_EVENT_CAPS);
  gst_event_unref (ev);
  ev = gst_harness_pull_event (h);
  g_assert_cmpint (GST_EVENT_TYPE (ev), ==, GST_EVENT_SEGMENT);
  gst_event_unref (ev);
  buf = gst_harness_pull (h);
  /* the clock's time now, in running time */
  g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, 3 * GST_SECOND);
  g_assert_cmpuint (GST_BUFFER_DTS (buf), ==, 3 * GST_SECOND);
  meta = gst_buffer_get_net_address_meta (buf);
  g_assert_nonnull (meta);
  g_assert_cmpuint (
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (meta->addr)), ==,
      4242);
  gst_buffer_unref (buf);

  /* on the system clock, the arrival given is taken */
  gst_element_set_clock (h->element, sysclock);
  gst_element_set_base_time (h->element, 1000 * GST_SECOND);
  g_assert_cmpint (mcu_rtp_src_push_full (src, packet (), NULL,
                       1000 * GST_SECOND + 5 * GST_MSECOND),
      ==, GST_FLOW_OK);
  buf = gst_harness_pull (h);
  g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, 5 * GST_MSECOND);
  g_assert_null (gst_buffer_get_net_address_meta (buf));
  gst_buffer_unref (buf);
  g_assert_cmpuint (gst_harness_events_in_queue (h), ==, 0);

  /* paused again: dropped */
  g_assert_cmpint (gst_element_set_state (h->element, GST_STATE_PAUSED), ==,
      GST_STATE_CHANGE_NO_PREROLL);
  g_assert_cmpint (mcu_rtp_src_push (src, packet ()), ==, GST_FLOW_FLUSHING);
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);
  gst_object_unref (clock);
  gst_harness_teardown (h);
}

static void
test_latency (void)
{
  GstHarness *h = gst_harness_new_with_padnames ("mcurtpsrc", NULL, "src");
  g_autoptr (GstQuery) q = gst_query_new_latency ();
  GstClockTime min = 1, max = 1;
  gboolean live = FALSE;

  g_assert_true (gst_pad_peer_query (h->sinkpad, q));
  gst_query_parse_latency (q, &live, &min, &max);
  g_assert_true (live);
  g_assert_cmpuint (min, ==, 0);
  g_assert_cmpuint (max, ==, 0);
  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_true (mcu_plugins_register ());
  g_test_add_func ("/plugins/rtp-src/push", test_push);
  g_test_add_func ("/plugins/rtp-src/latency", test_latency);
  return g_test_run ();
}
