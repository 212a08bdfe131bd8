/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: where each participant's picture goes in a room's video: which
 * participants are visible (the most recent speakers when there are more
 * than fit) and their tile rectangles for any output size. GLib only. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define MCU_LAYOUT_MAX_TILES 16 /* grid: 4x4 */
#define MCU_LAYOUT_MAX_STRIP 5  /* speaker: tiles in the strip */

typedef enum
{
  MCU_LAYOUT_GRID,    /* 1, 2 side by side, 2x2, 3x3, 4x4 */
  MCU_LAYOUT_SPEAKER, /* the active speaker large, a strip of others */
} McuLayoutKind;

typedef struct
{
  gint x, y, width, height;
} McuRect;

typedef struct
{
  guint id;      /* participant id */
  McuRect cell;  /* the tile's area of the output */
  gboolean main; /* the speaker layout's large tile */
} McuLayoutTile;

/* "grid", "speaker", and "auto" (the default): the automatic grid,
 * i.e. MCU_LAYOUT_GRID, sized by the number of participants (1, 2 side by
 * side, 2x2, 3x3, 4x4); with more than 16 the 16 most recent speakers are
 * shown. "auto" does not switch to the speaker layout by itself (an operator
 * can, with PATCH layout=speaker). FALSE for anything else. */
gboolean mcu_layout_kind_from_string (const gchar *text, McuLayoutKind *kind);
const gchar *mcu_layout_kind_to_string (McuLayoutKind kind);

/* Columns and rows of the grid for @n tiles (1x1, 2x1, 2x2, 3x3, 4x4). */
void mcu_layout_grid_size (guint n, guint *columns, guint *rows);
/* The largest rectangle of aspect @src_width:@src_height centred in @cell
 * (letterbox or pillarbox), on even coordinates. */
McuRect mcu_layout_fit (const McuRect *cell, guint src_width, guint src_height);

#define MCU_TYPE_LAYOUT (mcu_layout_get_type ())
G_DECLARE_FINAL_TYPE (McuLayout, mcu_layout, MCU, LAYOUT, GObject)

McuLayout *mcu_layout_new (McuLayoutKind kind);
McuLayoutKind mcu_layout_get_kind (McuLayout *self);
void mcu_layout_set_kind (McuLayout *self, McuLayoutKind kind);

/* Participants in joining order; a new one counts as the least recent
 * speaker. Adding an id twice does nothing. */
void mcu_layout_add (McuLayout *self, guint id);
void mcu_layout_remove (McuLayout *self, guint id);
guint mcu_layout_get_n (McuLayout *self);
/* @id spoke: it becomes the most recent speaker (it stays or becomes
 * visible when there are more participants than tiles). */
void mcu_layout_spoke (McuLayout *self, guint id);
/* The speaker layout's large tile (0 = the most recent speaker). */
void mcu_layout_set_speaker (McuLayout *self, guint id);
guint mcu_layout_get_speaker (McuLayout *self);

/* The visible tiles for a @width x @height output, on screen in joining
 * order (a tile keeps its place while others speak). (transfer full) */
GArray *mcu_layout_compute (McuLayout *self, guint width, guint height);

G_END_DECLS
