/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: state shared by mcu-mix-minus.c, mcu-mix-minus-pad.c and
 * mcu-mix-minus-select.c. */
#pragma once

#include "mcu-mix-kernel.h"
#include "mcu-mix-minus.h"
#include "mcu-jitter-buffer.h"
#include "mcu-mix-minus-ring.h"
#include "mcu-decode-wanted.h"

G_BEGIN_DECLS

/* A pad's side of its decode line (mcu-mix-minus-select.c, "Decoding").
 * Aggregator task only. */
typedef struct
{
  McuDecodeWantedState line; /* what the line says (not REVOKED) */
  McuMixKernelTalker claim;  /* by its RFC 6464 levels alone, uncapped */
  gboolean has_levels;       /* its last frame with data carried levels */
  gboolean unverified;       /* ... which claimed voice over all zeros */
  gdouble bar_ref;           /* as a talker: its level, for the bar */
  guint64 talker_until;      /* a late talker keeps its slot up to here */
  guint64 late_until;        /* its bar_ref falls slowly up to here */
  guint64 decode_until;      /* ALL at least up to this position */
} McuMixMinusDecodeState;

#define MCU_MIX_MINUS_RATE 48000

struct _McuMixMinusPad
{
  GstAudioAggregatorPad parent;

  /* with the pad's object lock */
  gboolean mute;
  gdouble volume;
  gint32 gain;     /* Q12 of volume */
  gboolean retime; /* see mcu-mix-minus-pad.c */

  /* the streaming thread that feeds the pad only (retiming) */
  GstSegment in_segment;      /* upstream's segment */
  gboolean in_synced;         /* in_offset is set */
  GstClockTimeDiff in_offset; /* added to upstream's running time */
  GstClockTimeDiff in_anchor; /* in_offset placed by upstream's times */
  GstClockTime in_quiet;      /* last time it came late */
  GstClockTime in_late_since; /* late since then (NONE: in time) */
  gboolean in_started;        /* a buffer came in time since the first */
  /* with the pad's object lock: where the last retimed buffer ends and
   * its length (mcujitterbuffer's "can take" query, mcu-mix-minus-pad.c) */
  GstClockTime in_end, in_duration;
  /* with the pad's object lock: the jitter buffer told "can-take" no,
   * woken once the pad has room (mcu-mix-minus-pad.c) */
  McuJitterBufferWaker *waiter;
  /* (owned) the jitter buffer's direct line to the pad (its "can take"
   * answer: mcu-mix-minus-pad.c), immutable */
  McuJitterBufferAsker *asker;
  /* with the pad's object lock: the waker of the last "can take" query
   * answered, the only jitter buffer that may ask directly (another one
   * that still holds the asker, its chain relinked upstream of the pad,
   * is told STALE) */
  McuJitterBufferWaker *asked_by;
  /* set under the pad's object lock once its pusher is known to be shared,
   * then kept until finalize: its input's samples, by running time, which
   * the aggregator task reads (mcu-mix-minus-ring.c) */
  McuMixMinusRing *ring;

  /* with the element's object lock; NULL once released */
  GstPad *srcpad;

  /* aggregator task only */
  gint32 *own; /* contribution to the current frame */
  guint own_capacity;
  guint64 frame_serial;      /* frame that own[] belongs to */
  gboolean has_signal;       /* own[] is not all zero */
  McuMixKernelStats frame;   /* of own[], when the frame needs statistics */
  McuMixKernelTalker talker; /* gate and selection state */
  gboolean contributes;      /* own[] is in the sum of the current frame */
  McuMixKernelLimiter limiter;
  McuMixKernelStats level;
  GstFlowReturn last_flow;
  /* the RFC 6464 level of this frame's input (GstAudioLevelMeta), when it
   * carried one (mcu_mix_minus_select_note_level) */
  gboolean header_seen;
  gboolean header_silent; /* every part said -127 dBov */
  gdouble header_power;   /* the loudest part as a power after volume;
                           * 0 when it said no voice (V=0 with vad=on) */

  /* aggregator task only: a prompt replaces N's mix in this frame, so N
   * contributes nothing (see mcu-mix-minus-prompt.c) */
  guint64 exclusive_serial;

  /* with the pad's object lock: the line to the decoder upstream
   * (mcu-decode-wanted.h), answered to its query; revoked and replaced
   * when the pad is unlinked (mcu-mix-minus-pad.c) */
  McuDecodeWanted *wanted_line;
  /* aggregator task only: what the decoder is told to decode
   * (mcu-mix-minus-select.c, "Decoding") */
  McuMixMinusDecodeState dec;
};

/* Aggregator task, after each frame: wakes the jitter buffers waiting on
 * a retimed input that has room now (every one with @all: a flush). Takes
 * the element's and the pads' object locks. */
void mcu_mix_minus_pad_wake_waiters (GstElement *element, gboolean all);
/* Wakes the jitter buffer waiting on @pad (it is being released). */
void mcu_mix_minus_pad_wake (McuMixMinusPad *pad);
/* Aggregator task: tells the decoder upstream of @pad what to decode
 * (@level: with MCU_DECODE_WANTED_LEVEL). */
void mcu_mix_minus_pad_set_decode (
    McuMixMinusPad *pad, McuDecodeWantedState state, guint level);
/* @pad's ring (transfer none: it lives as long as @pad), NULL while its
 * input goes through GstAggregatorPad's queue. Any thread. */
McuMixMinusRing *mcu_mix_minus_pad_get_ring (McuMixMinusPad *pad);

/* One sink_N and its src_N, with references (a per-frame snapshot). */
typedef struct
{
  McuMixMinusPad *pad;
  GstPad *srcpad; /* nullable */
  gint32 gain;    /* Q12 volume of srcpad (mcu-mix-minus-gain.c) */
} McuMixMinusOutput;

/* Output volumes (mcu-mix-minus-gain.c): src_N (ref) -> Q12 gain
 * (GINT_TO_POINTER), only for the outputs not at unity. With the element's
 * object lock. */
typedef struct
{
  GHashTable *table;
} McuMixMinusGains;

/* The element's (in mcu-mix-minus.c, which holds the struct). */
McuMixMinusGains *mcu_mix_minus_get_gains (McuMixMinus *self);
void mcu_mix_minus_gains_init (McuMixMinusGains *gains);
void mcu_mix_minus_gains_clear (McuMixMinusGains *gains);
/* With the element's object lock: @srcpad's gain, unity when not set. */
gint32 mcu_mix_minus_gains_lookup (McuMixMinusGains *gains, GstPad *srcpad);
/* With the element's object lock: forgets a released output. */
void mcu_mix_minus_gains_drop (McuMixMinusGains *gains, GstPad *srcpad);
/* Aggregator task: @buffer (transfer full) for an output of @n samples at
 * Q12 @gain, returned (transfer full): unchanged at unity, else scaled in
 * place when it is the output's own, or a scaled copy of @mix (without the
 * FULL_MIX flag) when it is @mix itself. */
GstBuffer *mcu_mix_minus_gains_apply (
    GstBuffer *buffer, GstBuffer *mix, guint n, gint32 gain);

/* Who contributes to a frame: noise gate and max talkers
 * (mcu-mix-minus-select.c). Aggregator task only; start/stop/flush reset it
 * while that task is not running. */
typedef struct
{
  /* from the element's properties, latched at the start of each frame */
  gdouble gate_power; /* threshold as a power (mean square); 0 = off */
  guint64 hangover;   /* samples */
  guint max_talkers;  /* 0 = unlimited */

  guint64 position;   /* output samples since the last reset */
  GPtrArray *talkers; /* McuMixKernelTalker *, scratch */
  GArray *top;        /* McuMixKernelRank, scratch */
} McuMixMinusSelect;

/* Prompts playing in the element (mcu-mix-minus-prompt.c). A targeted
 * prompt aims at an output (src_N), whether or not a sink_N feeds it. */
typedef struct
{
  GPtrArray *list; /* McuMixMinusPrompt *; with the element's object lock */
  /* aggregator task only */
  GHashTable *outs; /* src_N (ref) -> McuMixMinusPromptOut *: the outputs
                     * that hear a prompt, or fade back to their mix */
  gint32 *scratch;
  guint scratch_capacity;
} McuMixMinusPrompts;

/* The element's (in mcu-mix-minus.c, which holds the struct). */
McuMixMinusPrompts *mcu_mix_minus_get_prompts (McuMixMinus *self);
void mcu_mix_minus_prompts_init (McuMixMinusPrompts *prompts);
void mcu_mix_minus_prompts_clear (McuMixMinusPrompts *prompts);
/* Aggregator task, with the element's object lock, when frame @serial
 * starts: marks the outputs a prompt replaces, and their sink_N (left out
 * of the mix in this frame). */
void mcu_mix_minus_prompts_begin_frame (
    McuMixMinusPrompts *prompts, GstElement *element, guint64 serial);
/* Aggregator task, after the selection: mixes frame @serial of every
 * prompt: announcements into @sum, targeted ones into their output's
 * buffer. Posts mcu-prompt-done for those that end. Returns whether an
 * announcement put signal into @sum. */
gboolean mcu_mix_minus_prompts_render (McuMixMinusPrompts *prompts,
    GstElement *element, guint64 serial, gint32 *sum, guint n);
/* Aggregator task: whether @srcpad gets its own prompt rendering in frame
 * @serial, from mcu_mix_minus_prompts_render_output. */
gboolean mcu_mix_minus_prompts_owns_output (
    McuMixMinusPrompts *prompts, GstPad *srcpad, guint64 serial);
/* Aggregator task: @srcpad's buffer for frame @serial, timed like @mix:
 * its mix (limit (sum - own of @pad), or the full @sum when @pad is NULL or
 * did not contribute), faded as needed, plus its prompts. */
GstBuffer *mcu_mix_minus_prompts_render_output (McuMixMinusPrompts *prompts,
    GstPad *srcpad, McuMixMinusPad *pad, const gint32 *sum, GstBuffer *mix,
    guint n, guint64 serial);
/* With the element's object lock: adds/stops a prompt (see
 * mcu_mix_minus_play_prompt); @target is a src_N or NULL. */
void mcu_mix_minus_prompts_add (McuMixMinusPrompts *prompts, guint id,
    GstPad *target, GBytes *const *parts, guint n_parts,
    McuMixMinusPromptFlags flags, gdouble volume);
void mcu_mix_minus_prompts_stop (McuMixMinusPrompts *prompts, guint id);
/* With the element's object lock: forgets the prompts aimed at @srcpad. */
void mcu_mix_minus_prompts_drop_target (
    McuMixMinusPrompts *prompts, GstPad *srcpad);

void mcu_mix_minus_select_init (McuMixMinusSelect *sel);
void mcu_mix_minus_select_clear (McuMixMinusSelect *sel);
void mcu_mix_minus_select_reset (McuMixMinusSelect *sel);
/* The statistics of @pad's frame of @n samples (this frame's, @pad had
 * one) for its reported level (mcu-level messages: the talking status,
 * events and active speaker): its decoded audio's, or, when its decoder
 * skipped it (the line did not say ALL) and its level said voice, that
 * level's. */
void mcu_mix_minus_select_reported (
    McuMixMinusPad *pad, guint n, McuMixKernelStats *stats);
/* Forgets @pad's selection state for its decode line; the line says ALL. */
void mcu_mix_minus_select_reset_pad (McuMixMinusPad *pad);

/* Latches the settings for the next frame. */
void mcu_mix_minus_select_configure (McuMixMinusSelect *sel,
    gdouble gate_threshold_db, guint64 gate_hangover, guint max_talkers);

/* Whether the frame needs the statistics of each contribution. */
gboolean mcu_mix_minus_select_needs_stats (const McuMixMinusSelect *sel);

/* Aggregator task: @pad's input for the current frame carries @meta (the
 * caller's own RFC 6464 level, at Q12 @gain): the gate and the ranking
 * judge the pad by it instead of its decoded samples, and a pad whose
 * every part says -127 dBov contributes nothing, even with the gate off.
 * pad_begin_frame clears it. */
void mcu_mix_minus_select_note_level (
    McuMixMinusPad *pad, const GstAudioLevelMeta *meta, gint32 gain);

/* Decides which pads of @outputs (McuMixMinusOutput) contribute to frame
 * @frame_serial of @n samples (sets McuMixMinusPad.contributes) and takes
 * the others out of @sum. Returns the number of contributors. */
guint mcu_mix_minus_select_run (McuMixMinusSelect *sel, GArray *outputs,
    guint64 frame_serial, gint32 *sum, guint n);

G_END_DECLS
