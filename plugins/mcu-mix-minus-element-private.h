/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuMixMinus's own struct, shared by mcu-mix-minus.c (the element,
 * the mixing) and mcu-mix-minus-src.c (the src_N outputs, request and
 * release). Threads and locks: see the design note in mcu-mix-minus.c. */
#pragma once

#include "mcu-mix-minus-private.h"
#include "mcu-mix-pool.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (mcu_mix_minus_debug);

struct _McuMixMinus
{
  GstAudioAggregator parent;

  /* with the object lock */
  guint64 level_interval;
  gdouble gate_threshold_db;
  guint64 gate_hangover;
  guint max_talkers;
  McuMixPool *pool;       /* nullable: made on first need */
  guint pool_min_outputs; /* 0: never spread the outputs */
  GstClockTime pool_min_cost;
  GstClockTime max_lag;   /* 0: never skip (mcu-mix-minus-lag.c) */
  guint64 frames_skipped; /* written by the aggregator task, under it */

  /* see the design note */
  GMutex release_lock;
  gboolean release_locked; /* aggregator task only: it holds release_lock */

  /* set in init, read-only afterwards */
  guint32 stream_salt;
  guint group_id;

  /* aggregator task only */
  gint32 *sum;
  guint sum_capacity;
  gint16 *ring_scratch; /* a frame read from a pad's ring (mix_rings) */
  guint ring_capacity;
  guint frame_len;       /* frames in the current output buffer */
  guint64 frame_serial;  /* counts output buffers */
  gboolean frame_levels; /* level-interval > 0 for this frame */
  gboolean frame_stats;  /* contributions need statistics in this frame */
  McuMixMinusSelect select;
  McuMixKernelLimiter limiter;
  guint64 level_frames;    /* output frames since the last level message */
  GArray *outputs;         /* McuMixMinusOutput, rebuilt every frame */
  GPtrArray *listening;    /* src_N of listeners (ref), rebuilt every frame */
  GArray *listening_gains; /* gint32: the gain of each of listening */
  GArray *pushes;          /* McuMixMinusPush: this frame's, see push_outputs */
  GstBuffer *push_mix;     /* the frame's full mix, while pushing */
  GstEvent *push_segment;  /* (nullable) `src`'s segment, while pushing */
  guint push_n;            /* its samples */
  gboolean push_alone;     /* a lone contributor hears a GAP */
  GstClockTime push_cost;  /* CPU time of the last frame's pushes */
  gboolean pooling;        /* the last frame's were spread */
  gboolean skip_discont;   /* frames were skipped: the next is DISCONT */
  GstFlowReturn last_flow;

  /* with the object lock */
  GPtrArray *listeners; /* src_N (ref) without a sink_N yet: the full mix */
  guint next_index;     /* N of the next sink_N or listener */
  McuMixMinusPrompts prompts; /* see mcu-mix-minus-prompt.c */
  McuMixMinusGains gains;     /* see mcu-mix-minus-gain.c */
};

/* mcu-mix-minus-src.c */
/* GstElement's request_new_pad and release_pad (application thread). */
GstPad *mcu_mix_minus_request_new_pad (GstElement *element,
    GstPadTemplate *templ, const gchar *req_name, const GstCaps *caps);
void mcu_mix_minus_release_pad (GstElement *element, GstPad *pad);
/* Aggregator task or a pool worker: pushes @buffer (transfer full) on
 * @srcpad after its sticky events; @segment: (nullable) the segment of
 * `src` (NULL: read it there); a flow other than *@last_flow is logged and
 * kept there. */
void mcu_mix_minus_push_output (McuMixMinus *self, GstFlowReturn *last_flow,
    GstPad *srcpad, GstEvent *segment, GstBuffer *buffer);
/* The probe on `src` that mirrors its events on every src_N. */
GstPadProbeReturn mcu_mix_minus_on_src_event (
    GstPad *pad, GstPadProbeInfo *info, gpointer user_data);
/* Aggregator task (mcu-mix-minus.c): adds @n samples of @pad's input to
 * the frame from @out_offset, after mute and volume; @levels: the RFC 6464
 * levels they carried. Returns whether they were not all silent. */
gboolean mcu_mix_minus_mix_input (McuMixMinus *self, McuMixMinusPad *pad,
    const gint16 *in, guint out_offset, guint n,
    const GstAudioLevelMeta *levels, guint n_levels);
/* Aggregator task, before the selection (mcu-mix-minus-pad.c): adds the
 * samples of the inputs fed through a ring for the frame @outbuf of @n
 * samples (the pads of self->outputs). */
void mcu_mix_minus_mix_rings (McuMixMinus *self, GstBuffer *outbuf, guint n);

/* mcu-mix-minus-shared.c */
/* With @srcpad's stream lock, its sticky events sent (push_output): calls
 * its shared-frame handler when @buffer is the shared full mix; TRUE: it
 * was handled (@buffer, transfer none, is not to be pushed). @segment:
 * (nullable) src_N's segment event (NULL: read it on src_N). */
gboolean mcu_mix_minus_shared_handle (
    GstPad *srcpad, GstEvent *segment, GstBuffer *buffer);
/* Drops @srcpad's handler (released: after it was deactivated and removed;
 * or the element goes), waiting for a call in progress. */
void mcu_mix_minus_shared_drop (GstPad *srcpad);

/* mcu-mix-minus-lag.c, aggregator task, at the start of aggregate */
void mcu_mix_minus_log_lateness (McuMixMinus *self, gboolean timeout);
/* Skips the frames missed when the mix is more than max-lag behind the
 * clock. */
void mcu_mix_minus_keep_real_time (McuMixMinus *self);

G_END_DECLS
