/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests of the mix-minus kernel (plugins/mcu-mix-kernel.c). */
#include "mcu-mix-kernel.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#define FRAME 960 /* 20 ms at 48 kHz */

static void
fill_sine (int16_t *out, size_t n, double amplitude, double freq, size_t offset)
{
  for (size_t i = 0; i < n; i++)
    out[i] = (int16_t)lround (
        amplitude * sin (2.0 * G_PI * freq * (double)(i + offset) / 48000.0));
}

static void
fill_sine32 (
    int32_t *out, size_t n, double amplitude, double freq, size_t offset)
{
  for (size_t i = 0; i < n; i++)
    out[i] = (int32_t)lround (
        amplitude * sin (2.0 * G_PI * freq * (double)(i + offset) / 48000.0));
}

static void
test_accumulate_sum (void)
{
  int16_t in[3][FRAME];
  int32_t own[3][FRAME];
  int32_t sum[FRAME] = { 0 };

  for (int p = 0; p < 3; p++)
    for (int i = 0; i < FRAME; i++)
      in[p][i] = (int16_t)((p + 1) * 1000 - i * (p + 2));

  for (int p = 0; p < 3; p++)
    g_assert_true (mcu_mix_kernel_accumulate (
        sum, own[p], in[p], FRAME, MCU_MIX_KERNEL_GAIN_UNITY));

  for (int i = 0; i < FRAME; i++) {
    g_assert_cmpint (sum[i], ==, in[0][i] + in[1][i] + in[2][i]);
    for (int p = 0; p < 3; p++)
      g_assert_cmpint (own[p][i], ==, in[p][i]);
  }
}

static void
test_accumulate_zero (void)
{
  int16_t in[FRAME] = { 0 };
  int32_t own[FRAME];
  int32_t sum[FRAME] = { 0 };
  McuMixKernelStats stats = { 0 };

  g_assert_false (mcu_mix_kernel_accumulate (
      sum, own, in, FRAME, MCU_MIX_KERNEL_GAIN_UNITY));
  g_assert_false (mcu_mix_kernel_accumulate_stats (
      sum, own, in, FRAME, MCU_MIX_KERNEL_GAIN_UNITY, &stats));
  in[FRAME - 1] = -1;
  g_assert_true (mcu_mix_kernel_accumulate (
      sum, own, in, FRAME, MCU_MIX_KERNEL_GAIN_UNITY));
  /* volume 0 makes any input silent */
  g_assert_false (mcu_mix_kernel_accumulate (sum, own, in, FRAME, 0));
  g_assert_cmpint (mcu_mix_kernel_gain_from_volume (0.0), ==, 0);
}

static void
test_mix_minus_subtracts_own (void)
{
  int16_t in[3][FRAME];
  int32_t own[3][FRAME];
  int32_t sum[FRAME] = { 0 };
  int16_t out[FRAME];

  for (int p = 0; p < 3; p++)
    fill_sine (in[p], FRAME, 5000.0, 300.0 * (p + 1), 0);
  for (int p = 0; p < 3; p++)
    mcu_mix_kernel_accumulate (
        sum, own[p], in[p], FRAME, MCU_MIX_KERNEL_GAIN_UNITY);

  for (int p = 0; p < 3; p++) {
    McuMixKernelLimiter limiter;

    mcu_mix_kernel_limiter_init (&limiter);
    mcu_mix_kernel_mix_minus (out, sum, own[p], FRAME, &limiter);
    for (int i = 0; i < FRAME; i++) {
      int expected = 0;

      for (int q = 0; q < 3; q++)
        expected += q == p ? 0 : in[q][i];
      g_assert_cmpint (out[i], ==, expected);
    }
  }
}

static void
test_volume (void)
{
  int16_t in[FRAME];
  int32_t own[FRAME];
  int32_t sum[FRAME] = { 0 };

  for (int i = 0; i < FRAME; i++)
    in[i] = (int16_t)(i * 34 - 16000);

  mcu_mix_kernel_accumulate (
      sum, own, in, FRAME, mcu_mix_kernel_gain_from_volume (0.5));
  for (int i = 0; i < FRAME; i++)
    g_assert_cmpint (abs (own[i] - in[i] / 2), <=, 1);

  memset (sum, 0, sizeof (sum));
  mcu_mix_kernel_accumulate (
      sum, own, in, FRAME, mcu_mix_kernel_gain_from_volume (10.0));
  for (int i = 0; i < FRAME; i++) {
    /* not clamped: the contribution keeps its full value */
    g_assert_cmpint (own[i], ==, in[i] * 10);
    g_assert_cmpint (sum[i], ==, in[i] * 10);
  }

  g_assert_cmpint (
      mcu_mix_kernel_gain_from_volume (1.0), ==, MCU_MIX_KERNEL_GAIN_UNITY);
  g_assert_cmpint (
      mcu_mix_kernel_gain_from_volume (100.0), ==, MCU_MIX_KERNEL_GAIN_MAX);
}

static void
test_saturate (void)
{
  int32_t in[6] = { 0, 32767, 32768, -32768, -32769, 1000000 };
  int16_t out[6];

  mcu_mix_kernel_saturate (out, in, 6);
  g_assert_cmpint (out[0], ==, 0);
  g_assert_cmpint (out[1], ==, 32767);
  g_assert_cmpint (out[2], ==, 32767);
  g_assert_cmpint (out[3], ==, -32768);
  g_assert_cmpint (out[4], ==, -32768);
  g_assert_cmpint (out[5], ==, 32767);
}

/* An output's volume: rounded, clamped at full scale, in place too. */
static void
test_scale (void)
{
  int16_t in[6] = { 0, 1000, -1001, 20000, -20000, 3 };
  int16_t out[6];

  mcu_mix_kernel_scale (out, in, 6, mcu_mix_kernel_gain_from_volume (0.5));
  g_assert_cmpint (out[0], ==, 0);
  g_assert_cmpint (out[1], ==, 500);
  g_assert_cmpint (out[2], ==, -500); /* -500.5 rounds up */
  g_assert_cmpint (out[3], ==, 10000);
  g_assert_cmpint (out[4], ==, -10000);
  g_assert_cmpint (out[5], ==, 2);
  mcu_mix_kernel_scale (in, in, 6, mcu_mix_kernel_gain_from_volume (4.0));
  g_assert_cmpint (in[1], ==, 4000);
  g_assert_cmpint (in[2], ==, -4004);
  g_assert_cmpint (in[3], ==, 32767);
  g_assert_cmpint (in[4], ==, -32768);
}

static void
test_stats (void)
{
  int16_t in[FRAME];
  int32_t own[FRAME];
  int32_t sum[FRAME] = { 0 };
  McuMixKernelStats stats = { 0 };

  for (int i = 0; i < FRAME; i++)
    in[i] = (int16_t)(i % 2 ? 1000 : -1000);
  g_assert_true (mcu_mix_kernel_accumulate_stats (
      sum, own, in, FRAME, MCU_MIX_KERNEL_GAIN_UNITY, &stats));
  g_assert_cmpuint (stats.peak, ==, 1000);
  g_assert_cmpuint (stats.sum_squares, ==, (uint64_t)FRAME * 1000 * 1000);
  g_assert_cmpfloat_with_epsilon (mcu_mix_kernel_stats_rms_db (&stats, FRAME),
      20.0 * log10 (1000.0 / 32768.0), 1e-9);
  /* half the samples without contribution: -3 dB */
  g_assert_cmpfloat_with_epsilon (
      mcu_mix_kernel_stats_rms_db (&stats, 2 * FRAME),
      20.0 * log10 (1000.0 / 32768.0) - 10.0 * log10 (2.0), 1e-9);
  g_assert_cmpfloat_with_epsilon (mcu_mix_kernel_stats_peak_db (&stats),
      20.0 * log10 (1000.0 / 32768.0), 1e-9);

  memset (&stats, 0, sizeof (stats));
  g_assert_cmpfloat (
      mcu_mix_kernel_stats_rms_db (&stats, FRAME), ==, MCU_MIX_KERNEL_FLOOR_DB);
  g_assert_cmpfloat (
      mcu_mix_kernel_stats_peak_db (&stats), ==, MCU_MIX_KERNEL_FLOOR_DB);
}

/* Below the threshold the limiter is transparent, bit for bit. */
static void
test_limiter_transparent (void)
{
  int32_t in[FRAME];
  int16_t out[FRAME];
  McuMixKernelLimiter limiter;

  mcu_mix_kernel_limiter_init (&limiter);
  for (int f = 0; f < 10; f++) {
    fill_sine32 (in, FRAME, MCU_MIX_KERNEL_THRESHOLD, 440.0, f * FRAME);
    mcu_mix_kernel_limit (out, in, FRAME, &limiter);
    for (int i = 0; i < FRAME; i++)
      g_assert_cmpint (out[i], ==, in[i]);
  }
}

/* A steady 4x overload: nothing beyond full scale, no sample stuck at the
 * clamp once the gain has settled, a smooth (scaled) waveform rather than a
 * clipped one, and a level close to the threshold. */
static void
test_limiter_steady_overload (void)
{
  const double freq = 440.0;
  const double amplitude = 4.0 * 32767.0;
  /* largest step of a 440 Hz sine whose peak is at full scale */
  const double max_step = 32767.0 * 2.0 * G_PI * freq / 48000.0;
  int32_t in[FRAME];
  int16_t out[FRAME];
  int16_t prev = 0;
  int peak = 0;
  McuMixKernelLimiter limiter;

  mcu_mix_kernel_limiter_init (&limiter);
  for (int f = 0; f < 50; f++) {
    fill_sine32 (in, FRAME, amplitude, freq, f * FRAME);
    mcu_mix_kernel_limit (out, in, FRAME, &limiter);
    for (int i = 0; i < FRAME; i++) {
      g_assert_cmpint (out[i], <=, 32767);
      g_assert_cmpint (out[i], >=, -32768);
      if (f >= 1) {
        /* the first chunk of a frame was not visible to the previous frame:
         * a small overshoot is allowed there, none elsewhere */
        int bound = i < MCU_MIX_KERNEL_CHUNK
                        ? MCU_MIX_KERNEL_THRESHOLD * 51 / 50
                        : MCU_MIX_KERNEL_THRESHOLD;

        g_assert_cmpint (abs (out[i]), <=, bound);
        g_assert_cmpfloat (fabs ((double)out[i] - prev), <=, max_step);
        peak = MAX (peak, abs (out[i]));
      }
      prev = out[i];
    }
  }
  /* loud, not squashed */
  g_assert_cmpint (peak, >=, MCU_MIX_KERNEL_THRESHOLD - 400);
}

/* A plain clamp would fail the step bound above: make sure the test can
 * tell. */
static void
test_limiter_clamp_would_fail (void)
{
  const double freq = 440.0;
  const double max_step = 32767.0 * 2.0 * G_PI * freq / 48000.0;
  int32_t in[FRAME];
  int16_t out[FRAME];
  double worst = 0.0;

  fill_sine32 (in, FRAME, 4.0 * 32767.0, freq, 0);
  mcu_mix_kernel_saturate (out, in, FRAME);
  for (int i = 1; i < FRAME; i++)
    worst = MAX (worst, fabs ((double)out[i] - out[i - 1]));
  g_assert_cmpfloat (worst, >, 2.0 * max_step);
}

/* After an overload the gain comes back smoothly (no step larger than the
 * release allows) and ends exactly at unity. */
static void
test_limiter_release (void)
{
  int32_t in[FRAME];
  int16_t out[FRAME];
  McuMixKernelLimiter limiter;
  float last_gain;

  mcu_mix_kernel_limiter_init (&limiter);
  for (int f = 0; f < 10; f++) {
    fill_sine32 (in, FRAME, 100000.0, 440.0, f * FRAME);
    mcu_mix_kernel_limit (out, in, FRAME, &limiter);
  }
  g_assert_cmpfloat (limiter.gain, <, 0.3f);

  last_gain = limiter.gain;
  for (int f = 0; f < 50; f++) {
    fill_sine32 (in, FRAME, 10000.0, 440.0, f * FRAME);
    mcu_mix_kernel_limit (out, in, FRAME, &limiter);
    g_assert_cmpfloat (limiter.gain, >=, last_gain);
    /* at most 20 chunks of release per frame */
    g_assert_cmpfloat (limiter.gain - last_gain, <=,
        1.0f - powf (1.0f - MCU_MIX_KERNEL_RELEASE, 20.0f) + 0.001f);
    last_gain = limiter.gain;
  }
  g_assert_cmpfloat (limiter.gain, ==, 1.0f);
  fill_sine32 (in, FRAME, 10000.0, 440.0, 0);
  mcu_mix_kernel_limit (out, in, FRAME, &limiter);
  for (int i = 0; i < FRAME; i++)
    g_assert_cmpint (out[i], ==, in[i]);
}

/* A sudden burst in the middle of a frame is caught before it gets there
 * (in-frame look-ahead): nothing above the threshold. */
static void
test_limiter_burst (void)
{
  int32_t in[FRAME];
  int16_t out[FRAME];
  McuMixKernelLimiter limiter;

  mcu_mix_kernel_limiter_init (&limiter);
  fill_sine32 (in, FRAME, 8000.0, 440.0, 0);
  for (int i = FRAME / 2; i < FRAME; i++)
    in[i] *= 10;
  mcu_mix_kernel_limit (out, in, FRAME, &limiter);
  for (int i = 0; i < FRAME; i++)
    g_assert_cmpint (abs (out[i]), <=, MCU_MIX_KERNEL_THRESHOLD);
  /* the quiet half before the burst's look-ahead chunk is untouched */
  for (int i = 0; i < FRAME / 2 - MCU_MIX_KERNEL_CHUNK; i++)
    g_assert_cmpint (out[i], ==, in[i]);
}

/* Odd lengths (the last buffer before EOS) work and stay in range. */
static void
test_limiter_odd_length (void)
{
  int32_t in[101];
  int16_t out[101];
  McuMixKernelLimiter limiter;

  mcu_mix_kernel_limiter_init (&limiter);
  fill_sine32 (in, 101, 200000.0, 1000.0, 0);
  mcu_mix_kernel_limit (out, in, 101, &limiter);
  for (int i = 0; i < 101; i++)
    g_assert_cmpint (abs (out[i]), <=, 32768);
  mcu_mix_kernel_limit (out, in, 0, &limiter);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mix-kernel/accumulate/sum", test_accumulate_sum);
  g_test_add_func ("/mix-kernel/accumulate/zero", test_accumulate_zero);
  g_test_add_func ("/mix-kernel/accumulate/volume", test_volume);
  g_test_add_func ("/mix-kernel/accumulate/stats", test_stats);
  g_test_add_func (
      "/mix-kernel/mix-minus/subtracts-own", test_mix_minus_subtracts_own);
  g_test_add_func ("/mix-kernel/saturate", test_saturate);
  g_test_add_func ("/mix-kernel/scale", test_scale);
  g_test_add_func ("/mix-kernel/limiter/transparent", test_limiter_transparent);
  g_test_add_func (
      "/mix-kernel/limiter/steady-overload", test_limiter_steady_overload);
  g_test_add_func (
      "/mix-kernel/limiter/clamp-would-fail", test_limiter_clamp_would_fail);
  g_test_add_func ("/mix-kernel/limiter/release", test_limiter_release);
  g_test_add_func ("/mix-kernel/limiter/burst", test_limiter_burst);
  g_test_add_func ("/mix-kernel/limiter/odd-length", test_limiter_odd_length);

  return g_test_run ();
}
