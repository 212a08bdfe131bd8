/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Benchmark (not a test) of the mix-minus kernel: the arithmetic
 * mcumixminus does per 20 ms output frame for N participants, apart from
 * GStreamer. Prints the time per frame (best of 3 runs) and the share of
 * one core that real time (50 frames/s) costs.
 *
 *   worst   every participant talks: N accumulates, one limited full mix,
 *           N limited mix-minus outputs.
 *   stats   the same with level statistics (level-interval > 0).
 *   loud    the same with every output in limiting (4x overload).
 *   3-talk  3 talkers, N-3 silent senders: N accumulates, one full mix and
 *           3 mix-minus outputs (the silent ones share the full mix).
 *   naive   N separate mixers of N-1 inputs each (O(N^2)), for comparison;
 *           only up to N = 100.
 *
 * Reproduce: meson compile -C build tests/bench/bench-mix-kernel &&
 *            build/tests/bench/bench-mix-kernel
 * (or meson test -C build --benchmark mix-kernel -v) */
#include "mcu-mix-kernel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FRAME     960 /* 20 ms at 48 kHz */
#define FRAME_NS  20000000.0
#define TARGET_NS 150000000.0 /* each run lasts at least 0.15 s */
#define REPEATS   3           /* best of 3 runs, against noise */

typedef struct
{
  size_t n;
  int16_t *in;  /* n * FRAME */
  int32_t *own; /* n * FRAME */
  int16_t *out; /* n * FRAME */
  int32_t sum[FRAME];
  int16_t mix[FRAME];
  McuMixKernelLimiter *limiters; /* n + 1 */
  McuMixKernelStats *stats;
  size_t talkers; /* participants with non-zero input */
  int with_stats;
} Bench;

static double
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void
bench_fill (Bench *b, int amplitude, size_t talkers)
{
  uint32_t seed = 12345;

  b->talkers = talkers;
  for (size_t p = 0; p < b->n; p++)
    for (size_t i = 0; i < FRAME; i++) {
      seed = seed * 1664525u + 1013904223u;
      b->in[p * FRAME + i] =
          p < talkers ? (int16_t)((int32_t)(seed >> 16) % amplitude) : 0;
    }
  for (size_t p = 0; p <= b->n; p++)
    mcu_mix_kernel_limiter_init (&b->limiters[p]);
}

static Bench *
bench_new (size_t n)
{
  Bench *b = calloc (1, sizeof (Bench));

  b->n = n;
  b->in = calloc (n * FRAME, sizeof (int16_t));
  b->own = calloc (n * FRAME, sizeof (int32_t));
  b->out = calloc (n * FRAME, sizeof (int16_t));
  b->limiters = calloc (n + 1, sizeof (McuMixKernelLimiter));
  b->stats = calloc (n, sizeof (McuMixKernelStats));
  return b;
}

static void
bench_free (Bench *b)
{
  free (b->in);
  free (b->own);
  free (b->out);
  free (b->limiters);
  free (b->stats);
  free (b);
}

/* One output frame, as mcumixminus computes it. */
static void
frame_mix_minus (Bench *b)
{
  unsigned char contributed[b->n];

  memset (b->sum, 0, sizeof (b->sum));
  for (size_t p = 0; p < b->n; p++) {
    int32_t *own = b->own + p * FRAME;
    const int16_t *in = b->in + p * FRAME;

    contributed[p] = b->with_stats
                         ? mcu_mix_kernel_accumulate_stats (b->sum, own, in,
                               FRAME, MCU_MIX_KERNEL_GAIN_UNITY, &b->stats[p])
                         : mcu_mix_kernel_accumulate (b->sum, own, in, FRAME,
                               MCU_MIX_KERNEL_GAIN_UNITY);
  }
  mcu_mix_kernel_limit (b->mix, b->sum, FRAME, &b->limiters[b->n]);
  for (size_t p = 0; p < b->n; p++) {
    if (contributed[p])
      mcu_mix_kernel_mix_minus (b->out + p * FRAME, b->sum, b->own + p * FRAME,
          FRAME, &b->limiters[p]);
    else
      b->limiters[p] = b->limiters[b->n];
  }
}

/* N independent mixers, each summing the N-1 others. */
static void
frame_naive (Bench *b)
{
  for (size_t p = 0; p < b->n; p++) {
    memset (b->sum, 0, sizeof (b->sum));
    for (size_t q = 0; q < b->n; q++)
      if (q != p)
        mcu_mix_kernel_accumulate (b->sum, b->own, b->in + q * FRAME, FRAME,
            MCU_MIX_KERNEL_GAIN_UNITY);
    mcu_mix_kernel_limit (b->out + p * FRAME, b->sum, FRAME, &b->limiters[p]);
  }
}

static void
run (const char *name, Bench *b, void (*frame) (Bench *))
{
  double best = 0.0;

  frame (b); /* warm up caches */
  for (int rep = 0; rep < REPEATS; rep++) {
    double start = now_ns (), elapsed, per_frame;
    size_t frames = 0;

    do {
      for (int i = 0; i < 10; i++)
        frame (b);
      frames += 10;
      elapsed = now_ns () - start;
    } while (elapsed < TARGET_NS);
    per_frame = elapsed / (double)frames;
    if (rep == 0 || per_frame < best)
      best = per_frame;
  }

  printf ("%-7s N=%-5zu %10.1f us/frame %8.1f ns/participant/frame "
          "%7.2f %% of a core\n",
      name, b->n, best / 1000.0, best / (double)b->n, 100.0 * best / FRAME_NS);
}

int
main (void)
{
  static const size_t sizes[] = { 10, 100, 1000 };

  printf ("mix-minus kernel, 20 ms frames (%d samples, S16 mono 48 kHz), "
          "one thread\n",
      FRAME);
  for (size_t s = 0; s < sizeof (sizes) / sizeof (sizes[0]); s++) {
    Bench *b = bench_new (sizes[s]);

    bench_fill (b, 2000, b->n);
    run ("worst", b, frame_mix_minus);
    b->with_stats = 1;
    run ("stats", b, frame_mix_minus);
    b->with_stats = 0;
    bench_fill (b, 32767, b->n);
    for (size_t p = 0; p < b->n; p++) /* loud: everyone near full scale */
      for (size_t i = 0; i < FRAME; i++)
        b->in[p * FRAME + i] = (int16_t)(i % 2 ? 30000 : -30000);
    run ("loud", b, frame_mix_minus);
    bench_fill (b, 2000, 3);
    run ("3-talk", b, frame_mix_minus);
    if (b->n <= 100) {
      bench_fill (b, 2000, b->n);
      run ("naive", b, frame_naive);
    }
    bench_free (b);
  }
  printf ("reproduce: meson compile -C build tests/bench/bench-mix-kernel && "
          "build/tests/bench/bench-mix-kernel\n");
  return 0;
}
