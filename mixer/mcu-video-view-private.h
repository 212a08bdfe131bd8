/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one view of a room's video (private to mixer/, used by McuVideoMix):
 * one composition of the members' decoded pictures, in the room's
 * pipeline:
 *
 *   member tee -> videoscale -> caps(tile size) -> compositor.sink_K
 *                                                (one input per member)
 *   videotestsrc(live, 16x16, invisible) -> compositor.sink_0  (the clock)
 *   compositor -> caps(I420, size, rate) -> caps -> tee
 *   (the names are blended into the frames leaving the first caps: one
 *   label per tile, mcu-video-labels.c)
 *
 * The view's tee feeds the encoder groups and taps that use it (the mix
 * links them and counts them in n_groups).
 *
 * Overload: the compositor waits for a late picture up to the latency
 * (upstream's, i.e. the jitter buffers', plus its own decode margin) past
 * each output frame's time, then goes on with what it has. When the
 * compositor itself falls behind the clock (the machine cannot keep up), a
 * QoS event has it skip the frames whose time has passed
 * (mcu_late_gate_qos) instead of composing a growing backlog.
 *
 * Threads: all functions on the main thread; the compositor's probes and
 * the labels' blending on its streaming thread. A plain struct owned by the
 * mix. */
#pragma once

#include <gst/gst.h>

#include "mcu-layout.h"
#include "mcu-video-labels.h"

G_BEGIN_DECLS

typedef struct
{
  guint exclude;     /* 0, or the participant left out */
  McuLayout *layout; /* (owned) the mix adds and removes ids */
  GstElement *tee;   /* the composed frames, to groups and taps */
  guint n_groups;    /* the mix's count of groups and taps using it */
  /* private */
  GstElement *elements[4]; /* driver, its caps, compositor, caps */
  GstElement *compositor, *tail;
  McuVideoLabels *labels; /* blended into what leaves elements[3] */
  GHashTable *inputs;     /* id -> the view's input */
} McuVideoView;

typedef struct
{
  const gchar *room; /* for error messages */
  guint width, height, framerate;
  McuLayoutKind layout;
  GstClockTime latency; /* the compositor's own, beyond upstream's */
} McuVideoViewOptions;

/* Builds the view's elements in @pipeline and starts them; NULL and
 * @error when an element is missing or would not link. */
McuVideoView *mcu_video_view_new (GstBin *pipeline, guint exclude,
    const McuVideoViewOptions *options, GError **error);
/* Removes every input, then stops and removes its elements. */
void mcu_video_view_free (McuVideoView *view, GstBin *pipeline);
/* TRUE when @src is (inside) one of its own elements (not an input's). */
gboolean mcu_video_view_owns (McuVideoView *view, GstObject *src);
/* TRUE when @src is (inside) member @id's input (its scaler and caps): an
 * error there is the member's picture's, not the view's. */
gboolean mcu_video_view_input_for_object (
    McuVideoView *view, GstObject *src, guint *id);

/* Links member @id's @tee into the compositor (hidden until placed).
 * FALSE when it is the excluded member or already in. */
gboolean mcu_video_view_add_input (
    McuVideoView *view, guint id, GstElement *tee);
void mcu_video_view_remove_input (McuVideoView *view, guint id);

/* What a tile of member @id shows: FALSE if there is no such member; else
 * its @name and whether it has a @picture (else a plain tile with its
 * name). */
typedef gboolean (*McuVideoViewTileFunc) (
    guint id, const gchar **name, gboolean *picture, gpointer data);
/* Places the inputs and labels for the layout (with @speaker). */
void mcu_video_view_relayout (McuVideoView *view, guint speaker, guint width,
    guint height, McuVideoViewTileFunc tile, gpointer data);

G_END_DECLS
