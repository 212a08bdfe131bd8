/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcumixminus, one audio sum and one mix-minus output per participant.
 *
 * Pads (caps on every pad: audio/x-raw, format=S16LE, rate=48000,
 * channels=1, layout=interleaved; put audioconvert/audioresample upstream):
 *   sink_%u  request, McuMixMinusPad: one participant's audio.
 *   src_%u   sometimes: added when sink_N is requested (same N), removed when
 *            sink_N is released. Carries limit (sum - contribution of N).
 *   src      always: the full sum (everyone), e.g. for recording. Not linking
 *            it (or its downstream returning EOS) does not stop the element;
 *            put a queue after it so a slow recorder cannot delay the
 *            participants' outputs, which are pushed right after it.
 *
 * Shared-output hook: when sink_N contributed nothing to an output frame
 * (no data, GAP, muted, volume 0 or all-zero samples), src_N receives a
 * reference to the very GstBuffer pushed on `src` (same pointer), so
 * downstream code can recognise identical outputs and encode them once.
 * Otherwise src_N gets its own buffer with the same PTS, duration and
 * offsets as the `src` buffer; it carries the GAP flag when N was the only
 * contributor (its output is then digital silence).
 *
 * Threads: one thread (the aggregator's) pushes on `src` and every src_N,
 * like tee: in a non-live pipeline a sink that waits for preroll blocks all
 * outputs, so give each output a queue (or async=false sinks). Live
 * pipelines do not preroll.
 *
 * Limiting: every output has its own limiter (see mcu-mix-kernel.c):
 * bit-exact below -1 dBFS, gain reduction with a 1 ms attack and ~80 ms
 * release above it, hard clamp at full scale as the last resort. No added
 * latency.
 *
 * Element properties: level-interval (guint64 ns, 0 = off) plus those of
 * GstAudioAggregator (output-buffer-duration, default 10 ms, ...).
 * Pad properties: mute (gboolean, FALSE), volume (gdouble 0..10, 1.0). A
 * muted pad contributes nothing but still receives its output.
 *
 * Level messages: with level-interval > 0, at most once per interval of
 * output, an element message whose structure is
 *   mcu-level, running-time=(guint64), duration=(guint64),
 *     pads=(GstValueList){ level, pad=(string)sink_N, rms-db=(double),
 *                          peak-db=(double); ... }
 * computed over each pad's contribution (after mute and volume) during the
 * interval; silence reads MCU_MIX_KERNEL_FLOOR_DB (-127). */
#pragma once

#include <gst/audio/gstaudioaggregator.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define MCU_TYPE_MIX_MINUS (mcu_mix_minus_get_type ())
G_DECLARE_FINAL_TYPE (
    McuMixMinus, mcu_mix_minus, MCU, MIX_MINUS, GstAudioAggregator)

#define MCU_TYPE_MIX_MINUS_PAD (mcu_mix_minus_pad_get_type ())
G_DECLARE_FINAL_TYPE (McuMixMinusPad, mcu_mix_minus_pad, MCU, MIX_MINUS_PAD,
    GstAudioAggregatorPad)

#define MCU_MIX_MINUS_CAPS                                                \
  "audio/x-raw, format=(string)S16LE, rate=(int)48000, channels=(int)1, " \
  "layout=(string)interleaved"

/* Registers the element factory `mcumixminus` in @plugin, or statically in
 * the default registry when @plugin is NULL. */
gboolean mcu_mix_minus_register (GstPlugin *plugin);

G_END_DECLS
