/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcumixminus, one audio sum and one mix-minus output per participant.
 *
 * Pads (caps on every pad: audio/x-raw, format=S16LE, rate=48000,
 * channels=1, layout=interleaved; put audioconvert/audioresample upstream):
 *   sink_%u  request, McuMixMinusPad: one participant's audio.
 *   src_%u   sometimes: added when sink_N is requested (same N), removed when
 *            sink_N is released. Carries limit (sum - contribution of N).
 *   src_%u   also from mcu_mix_minus_request_output(): a listener, which
 *            gets the full sum (it contributes nothing) until sink_N with
 *            its N is requested by name; from the next frame on it carries
 *            that pad's mix-minus (the same pad: no new stream-start). A
 *            joiner listens at once and is only waited for once its audio
 *            flows: GstAggregator waits (live: up to its latency) for a
 *            sink pad without data, which stalled every output. Latency
 *            queries on a src_N are answered from the element's properties
 *            and LATENCY events on it are dropped: forwarded, each walked
 *            every sink pad's upstream chain.
 *   src      always: the full sum (everyone), e.g. for recording. Not linking
 *            it (or its downstream returning EOS) does not stop the element;
 *            put a queue after it so a slow recorder cannot delay the
 *            participants' outputs, which are pushed right after it.
 *
 * Shared-output hook: when sink_N contributed nothing to an output frame
 * (no data, GAP, muted, volume 0, all-zero samples, held by the noise gate
 * or not among the max-talkers) and its output volume is 1.0 (see
 * mcu_mix_minus_set_output_volume), src_N receives a reference to the very
 * GstBuffer pushed on `src` (same pointer), so downstream code can
 * recognise identical outputs and encode them once. That buffer, and only
 * that one, carries MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX (also across copies:
 * gst_buffer_copy() keeps flags). Otherwise src_N gets its own buffer with
 * the same PTS, duration and offsets as the `src` buffer, without that
 * flag; it carries the GAP flag when N was the only contributor (its output
 * is then digital silence). The `src` buffer carries GAP when nobody
 * contributed. An application that has a shorter way for that shared
 * buffer than src_N's downstream chain takes it with a shared-frame handler
 * on src_N (mcu_mix_minus_set_shared_handler, below).
 *
 * Who contributes (per output frame; sink_N's audio after mute and volume):
 * 1. Noise gate (gate-threshold-db, gate-hangover): a pad whose RMS over
 *    the frame is below the threshold does not contribute, unless the end
 *    of the frame is at most gate-hangover after the end of the last frame
 *    in which it was at or above the threshold (word endings and short
 *    pauses pass). -127 dB turns the gate off.
 * 2. Max talkers (max-talkers, 0 = unlimited): among the pads with signal
 *    that pass the gate, only the max-talkers with the highest score
 *    contribute. The score is the pad's power smoothed over the frames with
 *    a one-pole average (time constant 150 ms), times 10^0.6 (+6 dB) for a pad
 *    that contributed to the previous frame: a selected pad keeps its place
 *    unless an unselected one is more than 6 dB louder (smoothed), and free
 *    places go to the loudest. Ties go to the pad requested first.
 * Gated and unselected pads still get their levels reported (see below).
 * Cost: O(N * max-talkers) for the selection plus, when some pads with
 * signal are left out, min (contributors, left out) extra passes over the
 * frame.
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
 * Element properties: level-interval (guint64 ns, 0 = off),
 * gate-threshold-db (gdouble -127..0, -127 = off), gate-hangover (guint64
 * ns, 300 ms), max-talkers (guint, 0 = unlimited), all mutable in PLAYING
 * and read once per frame, plus those of GstAudioAggregator
 * (output-buffer-duration, default 10 ms, ...).
 * Pad properties: mute (gboolean, FALSE), volume (gdouble 0..10, 1.0). A
 * muted pad contributes nothing but still receives its output.
 * retime (gboolean, FALSE; set before the pad's segment): for inputs from
 * the network. The pad answers latency queries itself (live, 0) and times
 * its buffers by their arrival on the element's clock (20 ms ahead, its
 * own spacing kept, placed again when it would land in a frame already
 * mixed), so the element waits for it no longer than its latency property
 * past the frame of its other inputs: a participant whose RTP stops, or
 * whose jitter buffer is deep, never holds up the others' outputs (see
 * mcu-mix-minus-pad.c).
 *
 * Level messages: with level-interval > 0, at most once per interval of
 * output, an element message whose structure is
 *   mcu-level, running-time=(guint64), duration=(guint64),
 *     pads=(GstValueList){ level, pad=(string)sink_N, rms-db=(double),
 *                          peak-db=(double); ... }
 * computed over each pad's audio (after mute and volume, before the gate
 * and the max-talkers selection) during the interval; silence reads
 * MCU_MIX_KERNEL_FLOOR_DB (-127).
 *
 * Prompts (mcu-mix-minus-prompt.c): in-memory audio (S16LE mono 48 kHz
 * samples in GBytes) mixed on the element's own clock, sample-accurate:
 * - untargeted (an announcement): added to the sum, so every output and
 *   `src` hear it;
 * - targeted at an output src_N (or at sink_N, which stands for its
 *   src_N): only src_N hears it. Unless KEEP_MIX is set, src_N hears only
 *   the prompt and the sink_N feeding it (if any, now or later) contributes
 *   nothing while it plays (the others do not hear N): the mix fades out
 *   over one frame when it starts and back in over one frame after it ends
 *   (no clicks).
 * Each prompt fades in over 5 ms, and out over its last 5 ms or 5 ms after
 * a stop. When it ends, the element posts the element message
 *   mcu-prompt-done, id=(uint), completed=(boolean)
 * (completed FALSE when stopped). A prompt whose target is released ends
 * silently (no message). */
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

/* Set on the buffers pushed on `src`, which every src_N whose pad did not
 * contribute receives too; never on a src_N's own buffer. Downstream can
 * encode the full mix once per PTS for all of them. */
#define MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX (GST_BUFFER_FLAG_LAST << 0)

#define MCU_MIX_MINUS_CAPS                                                \
  "audio/x-raw, format=(string)S16LE, rate=(int)48000, channels=(int)1, " \
  "layout=(string)interleaved"

/* Buffers of @pad's input (a sink_N fed by a shared pusher: a network
 * caller's jitter buffer; one 20 ms frame each as a rule, a concealment
 * may be longer) that came after part or all of their time was mixed and
 * lost that part (not counted: what the pad itself dropped as late, and
 * what lay beyond the ring's window). 0 for a pad without a ring. Any
 * thread. */
guint64 mcu_mix_minus_pad_get_late_frames (McuMixMinusPad *pad);

/* A listener output src_N (transfer full), or NULL. Any thread but the
 * aggregator's. Request "sink_N" (its N) to make it a participant. */
GstPad *mcu_mix_minus_request_output (McuMixMinus *self);

/* Removes a listener output that never got its sink_N (one that did goes
 * with the release of sink_N). */
void mcu_mix_minus_release_output (McuMixMinus *self, GstPad *srcpad);

/* The volume of output @output (a src_N of @self, or a sink_N for its
 * src_N): 0..10, 1.0 = as mixed (the default). Applied to everything that
 * output hears (its mix and its prompts) after its limiter, samples
 * clamped at full scale; from the next frame on. An output not at 1.0
 * never receives the shared `src` buffer: it gets its own, without
 * MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX. Returns FALSE when @output is not a
 * current output of @self. Any thread but the aggregator's. */
gboolean mcu_mix_minus_set_output_volume (
    McuMixMinus *self, GstPad *output, gdouble volume);
gdouble mcu_mix_minus_get_output_volume (McuMixMinus *self, GstPad *output);

typedef enum
{
  MCU_MIX_MINUS_PROMPT_NONE = 0,
  MCU_MIX_MINUS_PROMPT_LOOP = 1 << 0,     /* start over after the last part */
  MCU_MIX_MINUS_PROMPT_KEEP_MIX = 1 << 1, /* target keeps its mix and place */
} McuMixMinusPromptFlags;

/* Plays @parts (each GBytes holds S16LE mono 48 kHz samples) one after the
 * other from the next output frame on, to @target (a src_N of @self, or a
 * sink_N for its src_N) or to everyone when @target is NULL, at @volume
 * (0..10). @id (> 0, unique among playing prompts) names it in
 * mcu-prompt-done. Returns FALSE when @target is not a current src_N or
 * sink_N of @self. Any thread. */
gboolean mcu_mix_minus_play_prompt (McuMixMinus *self, guint id, GstPad *target,
    GBytes *const *parts, guint n_parts, McuMixMinusPromptFlags flags,
    gdouble volume);
/* Fades prompt @id out (5 ms); it then ends with completed=FALSE. Any
 * thread; unknown ids are ignored. */
void mcu_mix_minus_stop_prompt (McuMixMinus *self, guint id);

/* Shared-frame handler (mcu-mix-minus-shared.c): called for an output
 * src_N whose frame is the shared full mix (the `src` buffer itself, with
 * MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX), instead of pushing it. @buffer
 * (transfer none) is that frame, @segment src_N's segment (the one its
 * downstream holds). Returning TRUE means handled: the buffer is not
 * pushed on src_N; FALSE: it is pushed as usual. Called on the thread that
 * pushes the output (the aggregator task or a pool worker), with src_N's
 * stream lock held and src_N's sticky events up to date, never for a
 * flushing or inactive src_N; concurrently with the handlers of other
 * outputs. It must not push on src_N or take the element's locks. */
typedef gboolean (*McuMixMinusSharedFunc) (GstPad *output, GstBuffer *buffer,
    const GstSegment *segment, gpointer user_data);

/* Sets (or with @func NULL, removes) the shared-frame handler of @output,
 * a src_N of @self; the previous one's @destroy is called once no push can
 * be calling it any more. A handler lives until it is replaced, or its
 * output is released (then @destroy runs in the release). Returns FALSE
 * (and calls @destroy) when @output is not a current src_N (`src` is
 * not). Waits for a push in progress on @output (its stream lock). Any
 * thread but the pushing ones. */
gboolean mcu_mix_minus_set_shared_handler (McuMixMinus *self, GstPad *output,
    McuMixMinusSharedFunc func, gpointer user_data, GDestroyNotify destroy);

/* Registers the element factory `mcumixminus` in @plugin, or statically in
 * the default registry when @plugin is NULL. */
gboolean mcu_mix_minus_register (GstPlugin *plugin);

G_END_DECLS
