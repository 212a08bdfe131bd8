/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcuopusenc with its default settings on a steady tonal mix, decoded by
 * receivers that did not get its first packets: a listener joining a
 * room's shared encode, a talker whose first packets came from the shared
 * encoder; and one that lost a packet. libopus 1.3.1's SILK at complexity
 * 5 leaves such a decoder out of step on this mix, and it runs away to
 * full scale (test_media_mix's Opus caller after the G.722 caller's
 * leave), while a decoder that got every packet stays clean. The element must
 * be configured so that none does (complexity 9 by default). */
#include "mcu-mix-minus.h"
#include "mcu-opus-enc.h"
#include "mcu-plugins.h"
#include "opus-steady-mix-frame.h"

#include <gst/check/gstharness.h>
#include <math.h>
#include <opus.h>

#define FRAME  MCU_OPUS_ENC_FRAME_SAMPLES
#define RATE   48000
#define FRAMES 1500 /* 30 s */
/* Frames after its first that a decoder may take to settle */
#define SETTLE_FRAMES 5

/* Packets (the decoders' first) at which the receivers start */
static const guint joins[] = { 0, 1, 7, 50, 333, 0 };
/* The last receiver loses this one packet (concealed) */
#define LOST_PACKET 100
#define LOSSY       (G_N_ELEMENTS (joins) - 1)

static gdouble
mean_square (const gint16 *s, guint n)
{
  gdouble sum = 0;

  for (guint i = 0; i < n; i++)
    sum += (gdouble)s[i] * s[i];
  return sum / n;
}

static void
test_late_decoders (void)
{
  GstHarness *h = gst_harness_new ("mcuopusenc");
  OpusDecoder *dec[G_N_ELEMENTS (joins)];
  guint hot[G_N_ELEMENTS (joins)] = { 0 };
  gdouble in_ms = mean_square (steady_mix_frame, FRAME), worst = -100;
  gint complexity;

  /* as configure_encoder sets it for a caller with in-band FEC */
  g_object_set (
      h->element, "inband-fec", TRUE, "packet-loss-percentage", 5, NULL);
  gst_harness_set_src_caps_str (h, MCU_MIX_MINUS_CAPS);
  for (guint j = 0; j < G_N_ELEMENTS (joins); j++) {
    gint err;

    dec[j] = opus_decoder_create (RATE, 1, &err);
    g_assert_nonnull (dec[j]);
  }
  for (guint k = 0; k < FRAMES; k++) {
    GstBuffer *in = gst_buffer_new_memdup (steady_mix_frame, FRAME * 2);
    GstBuffer *packet;
    GstMapInfo map;

    GST_BUFFER_PTS (in) = k * MCU_OPUS_ENC_FRAME_DURATION;
    GST_BUFFER_DURATION (in) = MCU_OPUS_ENC_FRAME_DURATION;
    g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
    packet = gst_harness_try_pull (h);
    g_assert_nonnull (packet);
    gst_buffer_map (packet, &map, GST_MAP_READ);
    for (guint j = 0; j < G_N_ELEMENTS (joins); j++) {
      gint16 out[FRAME];
      gdouble ratio;

      if (k < joins[j])
        continue;
      if (j == LOSSY && k == LOST_PACKET)
        g_assert_cmpint (
            opus_decode (dec[j], NULL, 0, out, FRAME, 0), ==, FRAME);
      else
        g_assert_cmpint (
            opus_decode (dec[j], map.data, map.size, out, FRAME, 0), ==, FRAME);
      /* (a decoder's first frames start from silence mid-stream) */
      if (k < joins[j] + SETTLE_FRAMES)
        continue;
      ratio = 10 * log10 (mean_square (out, FRAME) / in_ms);
      worst = MAX (worst, ratio);
      /* more than 6 dB over the input */
      if (ratio > 6.0 && hot[j]++ == 0)
        g_test_message (
            "decoder from packet %u: +%.1f dB at frame %u", joins[j], ratio, k);
    }
    gst_buffer_unmap (packet, &map);
    gst_buffer_unref (packet);
  }
  g_object_get (h->element, "complexity", &complexity, NULL);
  g_test_message ("complexity %d: loudest decoded frame %+.1f dB over the "
                  "input",
      complexity, worst);
  for (guint j = 0; j < G_N_ELEMENTS (joins); j++) {
    if (hot[j] > 0)
      g_error ("the decoder from packet %u%s ran away: %u frames more than "
               "6 dB over the input (complexity %d)",
          joins[j], j == LOSSY ? " losing one" : "", hot[j], complexity);
    opus_decoder_destroy (dec[j]);
  }
  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_true (mcu_plugins_register ());
  g_test_add_func ("/opus-enc/late-decoders", test_late_decoders);
  return g_test_run ();
}
