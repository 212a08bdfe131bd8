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
 *   select  the talker selection alone: N gate/level updates and the pick
 *           of the 3 loudest of N candidates (max-talkers=3).
 *   gated   3 talkers, N-3 senders of low noise (~-65 dBFS) held by a
 *           -50 dB noise gate: N accumulates with statistics, selection,
 *           the sum rebuilt from the 3, one full mix, 3 mix-minus outputs.
 *   top3    every participant talks, max-talkers=3: as gated, the
 *           selection picking the 3 loudest.
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
  /* talker selection (select, gated, top3) */
  McuMixKernelTalker *talker;       /* n */
  McuMixKernelTalker **talker_ptrs; /* n, pointing into talker */
  McuMixKernelRank *top;            /* n */
  unsigned char *contributed;       /* n */
  double gate_power;                /* 0 = gate off */
  size_t max_talkers;
  uint64_t position;
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
  b->talker = calloc (n, sizeof (McuMixKernelTalker));
  b->talker_ptrs = calloc (n, sizeof (McuMixKernelTalker *));
  b->top = calloc (n, sizeof (McuMixKernelRank));
  b->contributed = calloc (n, 1);
  for (size_t p = 0; p < n; p++)
    b->talker_ptrs[p] = &b->talker[p];
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
  free (b->talker);
  free (b->talker_ptrs);
  free (b->top);
  free (b->contributed);
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

/* Gate and level updates for everyone, then the pick (b->stats and
 * b->contributed from the last accumulate). */
static size_t
select_talkers (Bench *b)
{
  uint64_t end = b->position + FRAME;
  double smoothing = mcu_mix_kernel_talker_smoothing (FRAME);

  for (size_t p = 0; p < b->n; p++) {
    McuMixKernelTalker *t = &b->talker[p];
    int open = mcu_mix_kernel_talker_update (t, &b->stats[p], FRAME, smoothing,
        b->gate_power, end, 14400 /* 300 ms */);

    t->candidate = open && b->contributed[p];
  }
  b->position = end;
  return mcu_mix_kernel_select (b->talker_ptrs, b->n, b->max_talkers, b->top);
}

static void
frame_select (Bench *b)
{
  select_talkers (b);
}

/* One output frame with the gate and/or max-talkers, as mcumixminus
 * computes it when the left-out pads outnumber the contributors. */
static void
frame_selected (Bench *b)
{
  memset (b->sum, 0, sizeof (b->sum));
  for (size_t p = 0; p < b->n; p++) {
    b->stats[p].sum_squares = 0;
    b->stats[p].peak = 0;
    b->contributed[p] =
        mcu_mix_kernel_accumulate_stats (b->sum, b->own + p * FRAME,
            b->in + p * FRAME, FRAME, MCU_MIX_KERNEL_GAIN_UNITY, &b->stats[p]);
  }
  select_talkers (b);
  memset (b->sum, 0, sizeof (b->sum));
  for (size_t p = 0; p < b->n; p++)
    if (b->talker[p].selected)
      mcu_mix_kernel_add (b->sum, b->own + p * FRAME, FRAME);
  mcu_mix_kernel_limit (b->mix, b->sum, FRAME, &b->limiters[b->n]);
  for (size_t p = 0; p < b->n; p++) {
    if (b->talker[p].selected)
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

static void
run_selection (Bench *b)
{
  uint32_t seed = 777;

  /* everyone talks, max-talkers=3, gate off */
  bench_fill (b, 2000, b->n);
  b->gate_power = 0.0;
  b->max_talkers = 3;
  frame_selected (b); /* statistics and candidates for "select" */
  run ("select", b, frame_select);
  run ("top3", b, frame_selected);

  /* 3 talkers, the others low noise under a -50 dBFS gate, no limit */
  bench_fill (b, 2000, 3);
  for (size_t p = 3; p < b->n; p++)
    for (size_t i = 0; i < FRAME; i++) {
      seed = seed * 1664525u + 1013904223u;
      b->in[p * FRAME + i] = (int16_t)((int32_t)(seed >> 16) % 30);
    }
  b->gate_power = 103.6 * 103.6;
  b->max_talkers = 0;
  run ("gated", b, frame_selected);
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
    run_selection (b);
    bench_free (b);
  }
  printf ("reproduce: meson compile -C build tests/bench/bench-mix-kernel && "
          "build/tests/bench/bench-mix-kernel\n");
  return 0;
}
