/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: state shared by mcu-mix-minus.c and mcu-mix-minus-pad.c. */
#pragma once

#include "mcu-mix-kernel.h"
#include "mcu-mix-minus.h"

G_BEGIN_DECLS

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
  guint64 frame_serial; /* frame that own[] belongs to */
  gboolean has_signal;  /* own[] is not all zero */
  McuMixKernelLimiter limiter;
  McuMixKernelStats level;
  GstFlowReturn last_flow;
};

G_END_DECLS
