/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcuopusenc with its default settings on a steady tonal mix, decoded by
 * receivers that did not get its first packets: a listener joining a
 * room's shared encode, a talker whose first packets came from the shared
 * encoder; and one that lost a packet. libopus 1.3.1's SILK at some
 * complexities leaves such a decoder out of step on this mix, and it runs
 * away to full scale (test_media_mix's Opus caller after the G.722
 * caller's leave), while a decoder that got every packet stays clean. The
 * element must be configured so that none does (complexity 9 by default).
 * Each case's complexities that run away, checked by setting the element's
 * complexity (session 24): the frame as recorded 1, 4, 5; 1 dB louder and
 * shifted 1, 3, 4, 5; with noise 3, 4, 5; none at 0, 2, 6-10. Speech
 * (tests/bench/opus-enc-bench speech) ran away at no complexity. */
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

/* How the steady frame is played: its level, where in the frame the
 * signal starts, and a little noise over it (a real line's). The variants
 * come from tests/bench/opus-enc-bench's `variants` mode, where each left
 * late or lossy decoders running away at some complexity under 7 (1, 3,
 * 4, 5 or 6): libopus 1.3.1's trigger is narrow (a dB of level or a few
 * samples of phase turn it on or off at a given complexity), so one frame
 * clean at a complexity says little; these keep a cheaper default out. */
typedef struct
{
  gdouble gain_db;
  guint shift;        /* samples */
  gdouble noise_dbfs; /* rms of uniform noise; 0 = none */
} Variant;

static void
make_input (const Variant *v, guint k, gint16 *out)
{
  gdouble g = pow (10, v->gain_db / 20);
  gdouble na = v->noise_dbfs ? 32768 * pow (10, v->noise_dbfs / 20) : 0;
  /* (deterministic: the same noise on every run) */
  guint32 seed = 1 + k * FRAME;

  for (guint i = 0; i < FRAME; i++) {
    gdouble x = steady_mix_frame[(i + v->shift) % FRAME] * g;

    seed = seed * 1103515245u + 12345u;
    x += na * 1.732 * (2.0 * (seed >> 8) / (1u << 24) - 1);
    out[i] = (gint16)CLAMP (lrint (x), G_MININT16, G_MAXINT16);
  }
}

static void
check_late_decoders (const Variant *v)
{
  GstHarness *h = gst_harness_new ("mcuopusenc");
  OpusDecoder *dec[G_N_ELEMENTS (joins)];
  guint hot[G_N_ELEMENTS (joins)] = { 0 };
  gdouble worst = -100;
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
    gint16 pcm[FRAME];
    GstBuffer *in, *packet;
    GstMapInfo map;
    gdouble in_ms;

    make_input (v, k, pcm);
    in_ms = MAX (mean_square (pcm, FRAME), 1.0);
    in = gst_buffer_new_memdup (pcm, sizeof pcm);
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
               "6 dB over the input (complexity %d; frame %+.1f dB, shifted "
               "%u, noise %.0f dBFS)",
          joins[j], j == LOSSY ? " losing one" : "", hot[j], complexity,
          v->gain_db, v->shift, v->noise_dbfs);
    opus_decoder_destroy (dec[j]);
  }
  gst_harness_teardown (h);
}

/* The frame as test_media_mix's mix gives it (runs away at 4 and 5) */
static void
test_late_decoders (void)
{
  static const Variant v = { 0, 0, 0 };

  check_late_decoders (&v);
}

/* 1 dB louder, started 100 samples later (ran away at 1, 4, 5 and 6 in
 * opus-enc-bench) */
static void
test_late_decoders_shifted (void)
{
  static const Variant v = { 1, 100, 0 };

  check_late_decoders (&v);
}

/* With noise at -60 dBFS under it (ran away at 3 and 6) */
static void
test_late_decoders_noise (void)
{
  static const Variant v = { 0, 0, -60 };

  check_late_decoders (&v);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_true (mcu_plugins_register ());
  g_test_add_func ("/opus-enc/late-decoders", test_late_decoders);
  g_test_add_func (
      "/opus-enc/late-decoders-shifted", test_late_decoders_shifted);
  g_test_add_func ("/opus-enc/late-decoders-noise", test_late_decoders_noise);
  return g_test_run ();
}
