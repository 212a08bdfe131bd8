/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the names on a view's composition. One label per tile, rendered
 * once (pango/cairo) when the set of labels changes and blended into every
 * output frame as a GstVideoOverlayComposition (only the labels' pixels are
 * touched). Each label is sized to its tile and ellipsized to its width:
 *   MCU_VIDEO_LABEL_UNDER_PICTURE  along the bottom of a tile with a picture
 *                                  (1/8 of the tile's height, at most 1/18
 *                                  of the frame's)
 *   MCU_VIDEO_LABEL_NAME_TILE      centred in a plain tile (audio only,
 *                                  video muted): 1/6 of the tile's height,
 *                                  at most 1/12 of the frame's
 * and kept inside it.
 *
 * Threads: begin/add/commit on one thread (the main thread: pango's default
 * font map is per thread, and nothing else renders text in the daemon); the
 * probe (attach) blends on the streaming thread, under a mutex that guards
 * only the swap of the composition. A plain struct owned by the view. */
#pragma once

#include <gst/gst.h>

#include "mcu-layout.h"

G_BEGIN_DECLS

typedef struct _McuVideoLabels McuVideoLabels;

typedef enum
{
  MCU_VIDEO_LABEL_UNDER_PICTURE,
  MCU_VIDEO_LABEL_NAME_TILE,
} McuVideoLabelKind;

/* For I420 frames of @width x @height. */
McuVideoLabels *mcu_video_labels_new (guint width, guint height);
void mcu_video_labels_free (McuVideoLabels *self);

/* Blends the labels into every buffer through @pad (a src pad carrying the
 * frames). Once. */
void mcu_video_labels_attach (McuVideoLabels *self, GstPad *pad);

/* The next set of labels: begin, add each, commit. Commit renders only
 * when the set differs from the current one. */
void mcu_video_labels_begin (McuVideoLabels *self);
void mcu_video_labels_add (McuVideoLabels *self, const gchar *text,
    const McuRect *tile, McuVideoLabelKind kind);
void mcu_video_labels_commit (McuVideoLabels *self);

/* Where label @index of the current set was placed (for tests), or FALSE. */
gboolean mcu_video_labels_get_rect (
    McuVideoLabels *self, guint index, McuRect *rect);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuVideoLabels, mcu_video_labels_free)

G_END_DECLS
