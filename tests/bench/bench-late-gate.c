/* SPDX-License-Identifier: LGPL-2.1-or-later
 * What the video decoder's late gate costs per frame: the lateness looked
 * up afresh (the pad's element, its clock, base time and sticky segment:
 * what the gate did on every frame before it kept them) against the gate's
 * check with what it keeps. Prints ns per frame, best of a few runs. A
 * benchmark, not a test. */
#include "mcu-late-gate-private.h"

#include <gst/check/gstharness.h>

#define N_FRAMES 1000000
#define RUNS     5

int
main (int argc, char **argv)
{
  GstHarness *h;
  GstPad *pad;
  GstBuffer *buf;
  McuLateGate gate;
  gdouble best[2] = { G_MAXDOUBLE, G_MAXDOUBLE };
  volatile GstClockTimeDiff sink = 0;

  gst_init (&argc, &argv);
  h = gst_harness_new ("identity");
  gst_harness_set_src_caps_str (h, "video/x-h264");
  pad = gst_element_get_static_pad (h->element, "sink");
  buf = gst_buffer_new ();
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  mcu_late_gate_init (&gate);
  mcu_late_gate_set_budget (&gate, 1000 * GST_SECOND); /* never drops */
  for (gint r = 0; r < RUNS; r++) {
    for (gint mode = 0; mode < 2; mode++) {
      gint64 t0 = g_get_monotonic_time ();

      for (gint i = 0; i < N_FRAMES; i++) {
        if (mode == 0)
          sink += mcu_late_gate_lateness (pad, buf, 0, NULL);
        else
          sink += mcu_late_gate_check (&gate, pad, buf);
      }
      best[mode] = MIN (best[mode],
          (gdouble)(g_get_monotonic_time () - t0) * 1000 / N_FRAMES);
    }
  }
  g_print ("late gate, per video frame (best of %d x %d):\n"
           "  looked up every frame %6.1f ns\n"
           "  kept by the gate      %6.1f ns\n",
      RUNS, N_FRAMES, best[0], best[1]);
  mcu_late_gate_clear (&gate);
  gst_buffer_unref (buf);
  gst_object_unref (pad);
  gst_harness_teardown (h);
  return 0;
}
