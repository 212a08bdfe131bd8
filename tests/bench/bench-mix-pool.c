/* SPDX-License-Identifier: LGPL-2.1-or-later
 * What spreading a frame's encodes over McuMixPool costs and saves: N
 * private Opus encoders (48 kHz mono, 32 kbit/s, complexity 5, as
 * mcuopusenc), each encoding its own 20 ms of noise per frame, first all
 * on this thread, then through mcu_mix_pool_run; 500 frames each, best of
 * 3. Prints the wall time per frame (what limits real time: 20 ms) and
 * the CPU time per encode (the process' CPU over the run, so waking the
 * workers and waiting for them is in it). Not a test. */
#include "mcu-mix-pool.h"

#include <opus.h>
#include <stdio.h>
#include <time.h>

#define FRAME  960
#define FRAMES 500

typedef opus_int16 Frame[FRAME];

typedef struct
{
  OpusEncoder **enc;
  Frame *pcm;
} Work;

static void
encode_one (guint index, gpointer data)
{
  Work *w = data;
  unsigned char out[1500];

  if (opus_encode (w->enc[index], w->pcm[index], FRAME, out, sizeof out) < 0)
    g_error ("opus_encode failed");
}

static double
cpu_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
run (McuMixPool *pool, Work *w, guint n, double *wall_ms, double *cpu_us)
{
  double best_wall = 1e9, best_cpu = 1e9;

  for (guint round = 0; round < 3; round++) {
    gint64 t0 = g_get_monotonic_time ();
    double c0 = cpu_now ();

    for (guint f = 0; f < FRAMES; f++) {
      if (pool)
        mcu_mix_pool_run (pool, n, encode_one, w);
      else
        for (guint i = 0; i < n; i++)
          encode_one (i, w);
    }
    best_wall =
        MIN (best_wall, (g_get_monotonic_time () - t0) / 1000.0 / FRAMES);
    best_cpu = MIN (best_cpu, (cpu_now () - c0) * 1e6 / FRAMES / n);
  }
  *wall_ms = best_wall;
  *cpu_us = best_cpu;
}

int
main (void)
{
  static const guint sizes[] = { 3, 10, 16, 50, 100, 200 };
  g_autoptr (McuMixPool) pool = mcu_mix_pool_new (0);
  GRand *rand = g_rand_new_with_seed (12);

  printf ("%u CPUs, %u workers besides the caller\n\n", g_get_num_processors (),
      mcu_mix_pool_get_n_workers (pool));
  printf ("| encodes per frame | one thread: ms per frame | CPU us per encode "
          "| pool: ms per frame | CPU us per encode |\n");
  printf ("|---:|---:|---:|---:|---:|\n");
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
    guint n = sizes[s];
    Work w = { g_new0 (OpusEncoder *, n), g_new0 (Frame, n) };
    double wall1, cpu1, wall2, cpu2;

    for (guint i = 0; i < n; i++) {
      int err;

      w.enc[i] = opus_encoder_create (48000, 1, OPUS_APPLICATION_VOIP, &err);
      opus_encoder_ctl (w.enc[i], OPUS_SET_BITRATE (32000));
      opus_encoder_ctl (w.enc[i], OPUS_SET_COMPLEXITY (5));
      for (guint j = 0; j < FRAME; j++)
        w.pcm[i][j] = (opus_int16)g_rand_int_range (rand, -4000, 4000);
    }
    run (NULL, &w, n, &wall1, &cpu1);
    run (pool, &w, n, &wall2, &cpu2);
    printf (
        "| %u | %.2f | %.1f | %.2f | %.1f |\n", n, wall1, cpu1, wall2, cpu2);
    for (guint i = 0; i < n; i++)
      opus_encoder_destroy (w.enc[i]);
    g_free (w.enc);
    g_free (w.pcm);
  }
  g_rand_free (rand);
  return 0;
}
