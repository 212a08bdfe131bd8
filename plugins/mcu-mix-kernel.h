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

/* out[i] = clamp (round (in[i] * gain)) (Q12 @gain): an output's own
 * volume, after its limiter. @out may be @in. */
void mcu_mix_kernel_scale (
    int16_t *out, const int16_t *in, size_t n, int32_t gain);

/* sum[i] += own[i]: puts a contribution (back) into the sum. */
void mcu_mix_kernel_add (
    int32_t *restrict sum, const int32_t *restrict own, size_t n);

/* sum[i] -= own[i]: takes a contribution out of the sum. With add() this
 * is exact: the sum is the same as if the contribution had never been
 * accumulated. */
void mcu_mix_kernel_subtract (
    int32_t *restrict sum, const int32_t *restrict own, size_t n);

/* RMS of @stats over @n_samples samples (samples without a contribution
 * count as zero), in dBFS; MCU_MIX_KERNEL_FLOOR_DB for silence. */
double mcu_mix_kernel_stats_rms_db (
    const McuMixKernelStats *stats, uint64_t n_samples);

/* Peak of @stats in dBFS; MCU_MIX_KERNEL_FLOOR_DB for silence. */
double mcu_mix_kernel_stats_peak_db (const McuMixKernelStats *stats);

/* ----- talker selection: noise gate and max talkers -----
 *
 * Per participant and frame, mcu_mix_kernel_talker_update() smooths the
 * frame's power (mean square of the contribution) into a level with a one
 * pole of time constant MCU_MIX_KERNEL_TALKER_TAU, and runs the noise gate:
 * the gate is open in a frame whose power is at or above the threshold, and
 * stays open while the end of the frame is no more than the hangover after
 * the end of the last such frame. A candidate is a participant with signal
 * whose gate is open.
 *
 * mcu_mix_kernel_select() then picks among the candidates the max_talkers
 * with the highest score, the score being the smoothed level, multiplied by
 * MCU_MIX_KERNEL_HYSTERESIS (6 dB) for a participant selected in the
 * previous frame. So a selected participant keeps its place unless an
 * unselected one is more than 6 dB louder (smoothed), and free places go to
 * the loudest. Ties go to the earlier participant in the array. */

/* Time constant of the smoothed level: 150 ms at 48 kHz, in samples. */
#define MCU_MIX_KERNEL_TALKER_TAU 7200.0

/* 6 dB in power: 10^(6/10). */
#define MCU_MIX_KERNEL_HYSTERESIS 3.9810717055

typedef struct
{
  double level;        /* smoothed power of the contribution */
  uint64_t open_until; /* the gate's hangover lasts up to this position */
  int candidate;       /* this frame: has signal and the gate is open */
  int selected;        /* in: selected in the last frame; out: this frame */
} McuMixKernelTalker;

/* The smoothing factor of a frame of @n samples, for talker_update(). */
double mcu_mix_kernel_talker_smoothing (size_t n);

/* Updates @talker with a frame of @n samples whose contribution has
 * @stats, the frame ending at sample position @end. @gate_power is the
 * threshold as a power (mean square; 0 = gate off), @hangover in samples.
 * Returns non-zero if the gate is open for this frame. Does not touch
 * candidate and selected. */
int mcu_mix_kernel_talker_update (McuMixKernelTalker *talker,
    const McuMixKernelStats *stats, size_t n, double smoothing,
    double gate_power, uint64_t end, uint64_t hangover);

/* Scratch entry of mcu_mix_kernel_select(). */
typedef struct
{
  double score;
  size_t index;
} McuMixKernelRank;

/* Sets selected on the @max_talkers (0 = no limit) best candidates among
 * @talkers (see above) and clears it on the others. @top has room for
 * @max_talkers entries. O(n * max_talkers). Returns the number selected. */
size_t mcu_mix_kernel_select (McuMixKernelTalker *const *talkers, size_t n,
    size_t max_talkers, McuMixKernelRank *top);
