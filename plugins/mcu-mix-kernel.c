/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mix-minus kernel.
 *
 * Loops are kept simple (restrict pointers, no branches but min/max and
 * selects) so that the compiler vectorises them; meson builds this file with
 * -ftree-vectorize.
 *
 * Limiter: no look-ahead delay, but it uses the look-ahead a frame gives for
 * free. A frame is cut into 1 ms chunks; each chunk gets a target gain of
 * THRESHOLD / peak (or 1.0), taken over this chunk and the next one in the
 * frame, and the gain ramps linearly from the previous chunk's gain to it
 * (attack within one chunk). Both ends of every ramp are then at or below
 * THRESHOLD / peak of the chunk, so inside a frame no sample exceeds the
 * threshold; only the first chunk of a frame, whose peak the previous frame
 * could not see, can exceed it and is caught by the hard clamp at full
 * scale. Release is a one-pole return to 1.0 (~80 ms). Below the threshold
 * with the gain back at 1.0 the output is bit-exact. */
#include "mcu-mix-kernel.h"

#include <math.h>
#include <string.h>

/* On x86-64 with GCC and glibc (ifunc), loops get an AVX2 clone picked at
 * load time; elsewhere the baseline build only. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__linux__)
#define KERNEL_LOOP __attribute__ ((target_clones ("avx2", "default")))
#else
#define KERNEL_LOOP
#endif

#define S16_MAX 32767
#define S16_MIN (-32768)

static inline int32_t
clamp_s16 (int32_t v)
{
  v = v > S16_MAX ? S16_MAX : v;
  return v < S16_MIN ? S16_MIN : v;
}

static inline uint32_t
abs_u32 (int32_t v)
{
  return v < 0 ? -(uint32_t)v : (uint32_t)v;
}

int32_t
mcu_mix_kernel_gain_from_volume (double volume)
{
  if (!(volume > 0.0))
    return 0;
  if (volume > 10.0)
    volume = 10.0;
  return (int32_t)lround (volume * MCU_MIX_KERNEL_GAIN_UNITY);
}

void
mcu_mix_kernel_limiter_init (McuMixKernelLimiter *limiter)
{
  limiter->gain = 1.0f;
}

KERNEL_LOOP
int
mcu_mix_kernel_accumulate (int32_t *restrict sum, int32_t *restrict own,
    const int16_t *restrict in, size_t n, int32_t gain)
{
  const int32_t round = 1 << (MCU_MIX_KERNEL_GAIN_SHIFT - 1);
  int32_t any = 0;

  for (size_t i = 0; i < n; i++) {
    int32_t v = (in[i] * gain + round) >> MCU_MIX_KERNEL_GAIN_SHIFT;

    own[i] = v;
    sum[i] += v;
    any |= v;
  }
  return any != 0;
}

KERNEL_LOOP
int
mcu_mix_kernel_accumulate_stats (int32_t *restrict sum, int32_t *restrict own,
    const int16_t *restrict in, size_t n, int32_t gain,
    McuMixKernelStats *stats)
{
  const int32_t round = 1 << (MCU_MIX_KERNEL_GAIN_SHIFT - 1);
  uint64_t squares = 0;
  uint32_t peak = 0;

  for (size_t i = 0; i < n; i++) {
    int32_t v = (in[i] * gain + round) >> MCU_MIX_KERNEL_GAIN_SHIFT;
    uint32_t a = abs_u32 (v);

    own[i] = v;
    sum[i] += v;
    squares += (uint64_t)a * a;
    peak = a > peak ? a : peak;
  }
  stats->sum_squares += squares;
  if (peak > stats->peak)
    stats->peak = peak;
  return peak != 0;
}

KERNEL_LOOP
void
mcu_mix_kernel_saturate (
    int16_t *restrict out, const int32_t *restrict in, size_t n)
{
  for (size_t i = 0; i < n; i++)
    out[i] = (int16_t)clamp_s16 (in[i]);
}

KERNEL_LOOP
void
mcu_mix_kernel_scale (int16_t *out, const int16_t *in, size_t n, int32_t gain)
{
  const int32_t round = 1 << (MCU_MIX_KERNEL_GAIN_SHIFT - 1);

  for (size_t i = 0; i < n; i++)
    out[i] = (int16_t)clamp_s16 (
        (in[i] * gain + round) >> MCU_MIX_KERNEL_GAIN_SHIFT);
}

static inline uint32_t
chunk_peak (const int32_t *restrict x, size_t n)
{
  uint32_t peak = 0;

  for (size_t i = 0; i < n; i++) {
    uint32_t a = abs_u32 (x[i]);
    peak = a > peak ? a : peak;
  }
  return peak;
}

static inline void
chunk_load (int32_t *restrict dst, const int32_t *restrict sum,
    const int32_t *restrict own, size_t n)
{
  if (own == NULL) {
    memcpy (dst, sum, n * sizeof (int32_t));
    return;
  }
  for (size_t i = 0; i < n; i++)
    dst[i] = sum[i] - own[i];
}

static inline void
chunk_ramp (int16_t *restrict out, const int32_t *restrict x, size_t n,
    float g0, float g1)
{
  const int len = (int)n; /* n <= MCU_MIX_KERNEL_CHUNK */
  const float step = (g1 - g0) / (float)len;

  for (int i = 0; i < len; i++) {
    float v = (float)x[i] * (g0 + step * (float)(i + 1));

    v = v > (float)S16_MAX ? (float)S16_MAX : v;
    v = v < (float)S16_MIN ? (float)S16_MIN : v;
    out[i] = (int16_t)v;
  }
}

/* Applies the limiter to one chunk whose peak (with the next chunk's) is
 * @peak. */
static inline void
chunk_limit (int16_t *restrict out, const int32_t *restrict x, size_t n,
    McuMixKernelLimiter *limiter, uint32_t peak)
{
  float g0 = limiter->gain;
  float g1 = g0 + (1.0f - g0) * MCU_MIX_KERNEL_RELEASE;

  if (g1 > 0.999f)
    g1 = 1.0f;
  if (peak > MCU_MIX_KERNEL_THRESHOLD) {
    float target = (float)MCU_MIX_KERNEL_THRESHOLD / (float)peak;
    g1 = target < g1 ? target : g1;
  }

  if (g0 >= 1.0f && g1 >= 1.0f) {
    for (size_t i = 0; i < n; i++)
      out[i] = (int16_t)clamp_s16 (x[i]);
  } else {
    chunk_ramp (out, x, n, g0, g1);
  }
  limiter->gain = g1;
}

KERNEL_LOOP
static void
limit_run (int16_t *restrict out, const int32_t *restrict sum,
    const int32_t *restrict own, size_t n, McuMixKernelLimiter *limiter)
{
  int32_t scratch[2][MCU_MIX_KERNEL_CHUNK];
  size_t pos = 0;
  size_t len = n < MCU_MIX_KERNEL_CHUNK ? n : MCU_MIX_KERNEL_CHUNK;
  unsigned cur = 0;
  uint32_t peak;

  if (n == 0)
    return;

  chunk_load (scratch[cur], sum, own, len);
  peak = chunk_peak (scratch[cur], len);

  while (pos < n) {
    size_t next = pos + len;
    size_t next_len = n - next;
    uint32_t next_peak = 0;

    if (next_len > MCU_MIX_KERNEL_CHUNK)
      next_len = MCU_MIX_KERNEL_CHUNK;
    if (next_len > 0) {
      chunk_load (
          scratch[cur ^ 1], sum + next, own ? own + next : NULL, next_len);
      next_peak = chunk_peak (scratch[cur ^ 1], next_len);
    }

    chunk_limit (out + pos, scratch[cur], len, limiter,
        peak > next_peak ? peak : next_peak);

    pos = next;
    len = next_len;
    peak = next_peak;
    cur ^= 1;
  }
}

void
mcu_mix_kernel_limit (int16_t *restrict out, const int32_t *restrict in,
    size_t n, McuMixKernelLimiter *limiter)
{
  limit_run (out, in, NULL, n, limiter);
}

void
mcu_mix_kernel_mix_minus (int16_t *restrict out, const int32_t *restrict sum,
    const int32_t *restrict own, size_t n, McuMixKernelLimiter *limiter)
{
  limit_run (out, sum, own, n, limiter);
}

KERNEL_LOOP
void
mcu_mix_kernel_add (
    int32_t *restrict sum, const int32_t *restrict own, size_t n)
{
  for (size_t i = 0; i < n; i++)
    sum[i] += own[i];
}

KERNEL_LOOP
void
mcu_mix_kernel_subtract (
    int32_t *restrict sum, const int32_t *restrict own, size_t n)
{
  for (size_t i = 0; i < n; i++)
    sum[i] -= own[i];
}

static double
to_dbfs (double amplitude)
{
  double db;

  if (amplitude <= 0.0)
    return MCU_MIX_KERNEL_FLOOR_DB;
  db = 20.0 * log10 (amplitude / 32768.0);
  return db < MCU_MIX_KERNEL_FLOOR_DB ? MCU_MIX_KERNEL_FLOOR_DB : db;
}

double
mcu_mix_kernel_stats_rms_db (const McuMixKernelStats *stats, uint64_t n_samples)
{
  if (n_samples == 0)
    return MCU_MIX_KERNEL_FLOOR_DB;
  return to_dbfs (sqrt ((double)stats->sum_squares / (double)n_samples));
}

double
mcu_mix_kernel_stats_peak_db (const McuMixKernelStats *stats)
{
  return to_dbfs ((double)stats->peak);
}

/* ----- talker selection ----- */

double
mcu_mix_kernel_talker_smoothing (size_t n)
{
  return 1.0 - exp (-(double)n / MCU_MIX_KERNEL_TALKER_TAU);
}

int
mcu_mix_kernel_talker_update (McuMixKernelTalker *talker,
    const McuMixKernelStats *stats, size_t n, double smoothing,
    double gate_power, uint64_t end, uint64_t hangover)
{
  double power = n > 0 ? (double)stats->sum_squares / (double)n : 0.0;

  talker->level += smoothing * (power - talker->level);
  if (gate_power <= 0.0)
    return 1;
  if (power >= gate_power)
    talker->open_until = end + hangover;
  return end <= talker->open_until;
}

static double
talker_score (const McuMixKernelTalker *talker)
{
  return talker->selected ? talker->level * MCU_MIX_KERNEL_HYSTERESIS
                          : talker->level;
}

/* Inserts @rank into @top (sorted by decreasing score, @count entries of at
 * most @size) unless it ranks below all of a full @top. */
static size_t
top_insert (
    McuMixKernelRank *top, size_t count, size_t size, McuMixKernelRank rank)
{
  size_t j;

  if (count == size && !(rank.score > top[count - 1].score))
    return count;
  j = count < size ? count++ : count - 1;
  while (j > 0 && top[j - 1].score < rank.score) {
    top[j] = top[j - 1];
    j--;
  }
  top[j] = rank;
  return count;
}

size_t
mcu_mix_kernel_select (McuMixKernelTalker *const *talkers, size_t n,
    size_t max_talkers, McuMixKernelRank *top)
{
  size_t candidates = 0;
  size_t count = 0;

  for (size_t i = 0; i < n; i++)
    candidates += talkers[i]->candidate != 0;
  if (max_talkers == 0 || candidates <= max_talkers) {
    for (size_t i = 0; i < n; i++)
      talkers[i]->selected = talkers[i]->candidate != 0;
    return candidates;
  }

  for (size_t i = 0; i < n; i++) {
    McuMixKernelRank rank = { talker_score (talkers[i]), i };

    if (talkers[i]->candidate)
      count = top_insert (top, count, max_talkers, rank);
  }
  for (size_t i = 0; i < n; i++)
    talkers[i]->selected = 0;
  for (size_t j = 0; j < count; j++)
    talkers[top[j].index]->selected = 1;
  return count;
}
