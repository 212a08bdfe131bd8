/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the arithmetic of mcumixminus (mix-minus of S16 mono), apart from
 * GStreamer and GLib so that it can be tested and benchmarked on its own. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Volumes are Q12 fixed point: MCU_MIX_KERNEL_GAIN_UNITY is 1.0. At unity
 * the contribution equals the input exactly. */
#define MCU_MIX_KERNEL_GAIN_SHIFT 12
#define MCU_MIX_KERNEL_GAIN_UNITY (1 << MCU_MIX_KERNEL_GAIN_SHIFT)
#define MCU_MIX_KERNEL_GAIN_MAX   (10 * MCU_MIX_KERNEL_GAIN_UNITY)

/* The limiter leaves samples whose magnitude stays at or below this level
 * (-1 dBFS) untouched, bit-exact; louder passages are scaled down so that
 * their peaks land on it. */
#define MCU_MIX_KERNEL_THRESHOLD 29204

/* The limiter computes one gain per chunk (1 ms at 48 kHz) and ramps
 * linearly between chunk gains. */
#define MCU_MIX_KERNEL_CHUNK 48

/* Per-chunk release: the gain moves this fraction of the way back to 1.0
 * every chunk (time constant ~80 ms at 48 kHz). */
#define MCU_MIX_KERNEL_RELEASE 0.0125f

/* Level floor reported for silence, in dB relative to full scale (the
 * lowest value RFC 6464 can carry). */
#define MCU_MIX_KERNEL_FLOOR_DB (-127.0)

/* Running statistics of a contribution; add up over several calls. */
typedef struct
{
  uint64_t sum_squares; /* sum of contribution^2 */
  uint32_t peak;        /* max |contribution| */
} McuMixKernelStats;

/* State of one output's limiter; one per output stream. */
typedef struct
{
  float gain; /* gain at the end of the last chunk, 0 < gain <= 1 */
} McuMixKernelLimiter;

/* Converts a linear volume (clamped to 0..10) to a Q12 gain. */
int32_t mcu_mix_kernel_gain_from_volume (double volume);

void mcu_mix_kernel_limiter_init (McuMixKernelLimiter *limiter);

/* own[i] = round (in[i] * gain); sum[i] += own[i]. Returns non-zero if any
 * own[i] is non-zero. Overflow-free while the number of inputs times the
 * largest contribution (32768 * gain / 4096) stays below 2^31 (6553 inputs
 * at the maximum volume, 65535 at unity). */
int mcu_mix_kernel_accumulate (int32_t *restrict sum, int32_t *restrict own,
    const int16_t *restrict in, size_t n, int32_t gain);

/* Same as mcu_mix_kernel_accumulate() and adds the contribution's sum of
 * squares and peak to @stats in the same pass. */
int mcu_mix_kernel_accumulate_stats (int32_t *restrict sum,
    int32_t *restrict own, const int16_t *restrict in, size_t n, int32_t gain,
    McuMixKernelStats *stats);

/* out[i] = limit (in[i]): the full mix. */
void mcu_mix_kernel_limit (int16_t *restrict out, const int32_t *restrict in,
    size_t n, McuMixKernelLimiter *limiter);

/* out[i] = limit (sum[i] - own[i]): everyone but one participant. */
void mcu_mix_kernel_mix_minus (int16_t *restrict out,
    const int32_t *restrict sum, const int32_t *restrict own, size_t n,
    McuMixKernelLimiter *limiter);

/* out[i] = clamp (in[i]) to [-32768, 32767], no limiter. */
void mcu_mix_kernel_saturate (
    int16_t *restrict out, const int32_t *restrict in, size_t n);

/* RMS of @stats over @n_samples samples (samples without a contribution
 * count as zero), in dBFS; MCU_MIX_KERNEL_FLOOR_DB for silence. */
double mcu_mix_kernel_stats_rms_db (
    const McuMixKernelStats *stats, uint64_t n_samples);

/* Peak of @stats in dBFS; MCU_MIX_KERNEL_FLOOR_DB for silence. */
double mcu_mix_kernel_stats_peak_db (const McuMixKernelStats *stats);
