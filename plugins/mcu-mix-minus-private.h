/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: state shared by mcu-mix-minus.c, mcu-mix-minus-pad.c and
 * mcu-mix-minus-select.c. */
#pragma once

#include "mcu-mix-kernel.h"
#include "mcu-mix-minus.h"

G_BEGIN_DECLS

#define MCU_MIX_MINUS_RATE 48000

struct _McuMixMinusPad
{
  GstAudioAggregatorPad parent;

  /* with the pad's object lock */
  gboolean mute;
  gdouble volume;
  gint32 gain; /* Q12 of volume */

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
};

/* One sink_N and its src_N, with references (a per-frame snapshot). */
typedef struct
{
  McuMixMinusPad *pad;
  GstPad *srcpad; /* nullable */
} McuMixMinusOutput;

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

void mcu_mix_minus_select_init (McuMixMinusSelect *sel);
void mcu_mix_minus_select_clear (McuMixMinusSelect *sel);
void mcu_mix_minus_select_reset (McuMixMinusSelect *sel);

/* Latches the settings for the next frame. */
void mcu_mix_minus_select_configure (McuMixMinusSelect *sel,
    gdouble gate_threshold_db, guint64 gate_hangover, guint max_talkers);

/* Whether the frame needs the statistics of each contribution. */
gboolean mcu_mix_minus_select_needs_stats (const McuMixMinusSelect *sel);

/* Decides which pads of @outputs (McuMixMinusOutput) contribute to frame
 * @frame_serial of @n samples (sets McuMixMinusPad.contributes) and takes
 * the others out of @sum. Returns the number of contributors. */
guint mcu_mix_minus_select_run (McuMixMinusSelect *sel, GArray *outputs,
    guint64 frame_serial, gint32 *sum, guint n);

G_END_DECLS
