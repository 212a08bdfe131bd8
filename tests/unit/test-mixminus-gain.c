/* SPDX-License-Identifier: LGPL-2.1-or-later
 * GstHarness tests of the output volumes of mcumixminus
 * (mcu_mix_minus_set_output_volume): an output at another volume hears its
 * usual signal scaled, in its own buffer; the others are unchanged and
 * those that contribute nothing keep sharing the full-mix buffer. */
#include "mcu-mix-minus.h"
#include "mcu-plugins.h"
#include "mixminus-fixture.h"

#include <gst/check/gstharness.h>
#include <math.h>

/* Whether @buffer is (within rounding) @volume times the sum of the
 * samples of frame @k of the participants in @mask. */
static void
check_scaled (
    const gchar *what, GstBuffer *buffer, guint k, guint mask, gdouble volume)
{
  GstMapInfo map;

  g_assert_true (gst_buffer_map (buffer, &map, GST_MAP_READ));
  g_assert_cmpuint (map.size, ==, FRAME * 2);
  for (guint i = 0; i < FRAME; i++) {
    gint expected = 0;
    gint got = ((const gint16 *)map.data)[i];

    for (guint p = 0; p < MAX_PARTIES; p++)
      if (mask & (1u << p))
        expected += sample (p, k, i);
    if (fabs (got - expected * volume) > 1.0)
      g_error ("frame %u: %s sample %u is %d, not %g * %d", k, what, i, got,
          volume, expected);
  }
  gst_buffer_unmap (buffer, &map);
}

static gboolean
is_full_mix (GstBuffer *buffer)
{
  return GST_BUFFER_FLAG_IS_SET (buffer, MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX);
}

static void
set_mute (Fixture *f, guint p, gboolean mute)
{
  g_autoptr (GstPad) pad = sink_pad (f, p);

  g_object_set (pad, "mute", mute, NULL);
}

/* Parties 0 and 1 talk, 2 and 3 are muted (they contribute nothing and
 * share the full mix), src_4 is a listener. src_0 (a talker's own
 * mix-minus), src_2 (a sharer) and the listener are at 0.5. */
static void
test_output_volume (void)
{
  Fixture *f = fixture_new (4, TRUE);
  McuMixMinus *mm = MCU_MIX_MINUS (f->element);
  g_autoptr (GstPad) listener = mcu_mix_minus_request_output (mm);
  g_autoptr (GstPad) src0 = gst_element_get_static_pad (f->element, "src_0");
  g_autoptr (GstPad) sink2 = sink_pad (f, 2);
  g_autoptr (GstPad) main_src = gst_element_get_static_pad (f->element, "src");
  GstHarness *heard = gst_harness_new_with_element (f->element, NULL, "src_4");

  set_mute (f, 2, TRUE);
  set_mute (f, 3, TRUE);
  g_assert_true (mcu_mix_minus_set_output_volume (mm, src0, 0.5));
  /* a sink_N stands for its src_N */
  g_assert_true (mcu_mix_minus_set_output_volume (mm, sink2, 0.5));
  g_assert_true (mcu_mix_minus_set_output_volume (mm, listener, 0.5));
  g_assert_cmpfloat_with_epsilon (
      mcu_mix_minus_get_output_volume (mm, src0), 0.5, 0.001);
  /* `src` (the recording) is nobody's output */
  g_assert_false (mcu_mix_minus_set_output_volume (mm, main_src, 0.5));
  g_assert_cmpfloat (mcu_mix_minus_get_output_volume (mm, main_src), ==, 1.0);

  for (guint k = 0; k < 4; k++) {
    GstBuffer *mix, *out[4], *lis;

    /* frame 2 on: src_2 is back at 1.0 and shares again */
    if (k == 2)
      g_assert_true (mcu_mix_minus_set_output_volume (mm, sink2, 1.0));
    push_frame (f, k, 0xf);
    mix = pull (f->main);
    for (guint p = 0; p < 4; p++)
      out[p] = pull (f->out[p]);
    lis = pull (heard);

    check_mix (mix, k, 0x3);
    g_assert_true (is_full_mix (mix));
    check_scaled ("src_0", out[0], k, 0x2, 0.5);
    g_assert_true (out[0] != mix && !is_full_mix (out[0]));
    check_mix (out[1], k, 0x1);
    if (k < 2) {
      check_scaled ("src_2", out[2], k, 0x3, 0.5);
      g_assert_true (out[2] != mix && !is_full_mix (out[2]));
      g_assert_cmpuint (GST_BUFFER_PTS (out[2]), ==, GST_BUFFER_PTS (mix));
      g_assert_cmpuint (
          GST_BUFFER_DURATION (out[2]), ==, GST_BUFFER_DURATION (mix));
    } else {
      g_assert_true (out[2] == mix);
    }
    g_assert_true (out[3] == mix); /* unchanged: still the shared buffer */
    check_scaled ("listener", lis, k, 0x3, 0.5);
    g_assert_true (lis != mix && !is_full_mix (lis));
    /* the shared buffer itself was not scaled */
    check_mix (mix, k, 0x3);

    gst_buffer_unref (mix);
    gst_buffer_unref (lis);
    for (guint p = 0; p < 4; p++)
      gst_buffer_unref (out[p]);
  }
  gst_harness_teardown (heard);
  mcu_mix_minus_release_output (mm, listener);
  fixture_free (f);
}

/* Above 1.0 an output is louder, clamped at full scale; 0 is silence. */
static void
test_output_volume_loud (void)
{
  Fixture *f = fixture_new (2, TRUE);
  McuMixMinus *mm = MCU_MIX_MINUS (f->element);
  g_autoptr (GstPad) src0 = gst_element_get_static_pad (f->element, "src_0");
  g_autoptr (GstPad) src1 = gst_element_get_static_pad (f->element, "src_1");

  g_assert_true (mcu_mix_minus_set_output_volume (mm, src0, 2.0));
  g_assert_true (mcu_mix_minus_set_output_volume (mm, src1, 0.0));
  for (guint k = 0; k < 2; k++) {
    GstBuffer *mix, *out0, *out1;

    push_frame (f, k, 0x3);
    mix = pull (f->main);
    out0 = pull (f->out[0]);
    out1 = pull (f->out[1]);
    check_scaled ("src_0", out0, k, 0x2, 2.0);
    check_scaled ("src_1", out1, k, 0x1, 0.0);
    gst_buffer_unref (mix);
    gst_buffer_unref (out0);
    gst_buffer_unref (out1);
  }
  fixture_free (f);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_true (mcu_plugins_register ());

  g_test_add_func ("/mixminus/output-volume/scaled", test_output_volume);
  g_test_add_func ("/mixminus/output-volume/loud", test_output_volume_loud);
  return g_test_run ();
}
