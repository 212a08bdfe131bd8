/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for mixer/mcu-late-gate.c: the decoder's late gate drops late
 * delta frames until a keyframe, and asks the sender for keyframes no more
 * often than MCU_LATE_GATE_REQUEST_INTERVAL, also when one drop follows
 * another (a machine that stays overloaded would otherwise ask after every
 * keyframe: a PLI storm, and a stream of the largest frames). The lateness
 * is read against the harness' test clock. */
#include "mcu-late-gate-private.h"

#include <gst/check/gstharness.h>

static GstBuffer *
frame (gboolean delta)
{
  GstBuffer *buf = gst_buffer_new ();

  GST_BUFFER_PTS (buf) = 0;
  if (delta)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  return buf;
}

static McuLateGateVerdict
check (McuLateGate *gate, GstHarness *h, gboolean delta)
{
  GstPad *pad = gst_element_get_static_pad (h->element, "sink");
  GstBuffer *buf = frame (delta);
  McuLateGateVerdict v = mcu_late_gate_check (gate, pad, buf);

  gst_buffer_unref (buf);
  gst_object_unref (pad);
  return v;
}

static void
test_requests_rate_limited (void)
{
  GstHarness *h = gst_harness_new ("identity");
  McuLateGate gate;

  gst_harness_set_src_caps_str (h, "video/x-h264");
  /* every frame (PTS 0) 10 s late */
  g_assert_true (gst_harness_set_time (h, 10 * GST_SECOND));
  mcu_late_gate_init (&gate);
  mcu_late_gate_set_budget (&gate, 100 * GST_MSECOND);

  g_assert_cmpint (check (&gate, h, TRUE), ==, MCU_LATE_GATE_DROP_ASK_KEYFRAME);
  g_assert_cmpint (check (&gate, h, TRUE), ==, MCU_LATE_GATE_DROP);
  /* the keyframe comes at once; the next delta frame is late again: a new
   * drop, but the sender was asked only just now */
  for (guint i = 0; i < 10; i++) {
    g_assert_cmpint (check (&gate, h, FALSE), ==, MCU_LATE_GATE_PASS);
    g_assert_cmpint (check (&gate, h, TRUE), ==, MCU_LATE_GATE_DROP);
  }
  g_assert_cmpuint (mcu_late_gate_get_drops (&gate), ==, 11);
  /* once the interval has passed, asked again */
  g_usleep (MCU_LATE_GATE_REQUEST_INTERVAL / GST_USECOND + 10000);
  g_assert_cmpint (check (&gate, h, FALSE), ==, MCU_LATE_GATE_PASS);
  g_assert_cmpint (check (&gate, h, TRUE), ==, MCU_LATE_GATE_DROP_ASK_KEYFRAME);
  mcu_late_gate_clear (&gate);
  gst_harness_teardown (h);
}

/* The gate keeps the segment and the element's clock and base time, but
 * never stale ones: a new base time (a state change) and a new segment are
 * seen at the next frame. */
static void
test_follows_base_time_and_segment (void)
{
  GstHarness *h = gst_harness_new ("identity");
  GstSegment segment;
  GstEvent *event;
  McuLateGate gate;

  gst_harness_set_src_caps_str (h, "video/x-h264");
  g_assert_true (gst_harness_set_time (h, 10 * GST_SECOND));
  mcu_late_gate_init (&gate);
  mcu_late_gate_set_budget (&gate, 100 * GST_MSECOND);
  /* PTS 0 is due at running time 0: with the base time at 10 s, now */
  gst_element_set_base_time (h->element, 10 * GST_SECOND);
  g_assert_cmpint (check (&gate, h, TRUE), ==, MCU_LATE_GATE_PASS);
  g_assert_cmpint (check (&gate, h, TRUE), ==, MCU_LATE_GATE_PASS);
  /* the base time moved back by 10 s: now 10 s late */
  gst_element_set_base_time (h->element, 0);
  g_assert_cmpint (check (&gate, h, TRUE), ==, MCU_LATE_GATE_DROP_ASK_KEYFRAME);
  /* a segment that puts PTS 0 at running time 10 s: on time again (after
   * the keyframe that ends the drop) */
  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.base = 10 * GST_SECOND;
  event = gst_event_new_segment (&segment);
  mcu_late_gate_event (&gate, event);
  gst_event_unref (event);
  g_assert_cmpint (check (&gate, h, FALSE), ==, MCU_LATE_GATE_PASS);
  g_assert_cmpint (check (&gate, h, TRUE), ==, MCU_LATE_GATE_PASS);
  /* a flush forgets it: the pad's own segment (base 0) again, 10 s late */
  event = gst_event_new_flush_stop (TRUE);
  mcu_late_gate_event (&gate, event);
  gst_event_unref (event);
  g_assert_cmpint (check (&gate, h, TRUE), !=, MCU_LATE_GATE_PASS);
  mcu_late_gate_clear (&gate);
  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func (
      "/mixer/late-gate/requests-rate-limited", test_requests_rate_limited);
  g_test_add_func ("/mixer/late-gate/follows-base-time-and-segment",
      test_follows_base_time_and_segment);
  return g_test_run ();
}
