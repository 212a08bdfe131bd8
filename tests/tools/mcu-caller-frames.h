/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pixel and bitstream helpers of mcu-test-caller's video: a time stamp drawn
 * into a frame as black/white blocks and read back from a (scaled) tile, the
 * colour statistics of the tiles of a grid, and an H.264 IDR scan.
 *
 * Pure functions on memory the caller owns: safe from any thread. */
#pragma once

#include <gst/video/video.h>

G_BEGIN_DECLS

/* The stamp: 24 bits of a millisecond clock plus an 8-bit check, drawn as
 * 8 x 4 blocks in the upper middle of the picture (clear of name labels,
 * which servers draw at the bottom). A uniform tile never reads as a valid
 * stamp. */
#define MCU_CALLER_STAMP_MASK 0xffffffu

/* Draws @value (24 bits used) into an I420 frame. */
void mcu_caller_stamp_draw (GstVideoFrame *frame, guint32 value);
/* Reads a stamp from the rectangle (@x, @y, @w, @h) of an I420 frame, where
 * a whole (scaled) picture carrying a stamp is shown. FALSE if the blocks do
 * not form a valid stamp. */
gboolean mcu_caller_stamp_read (
    const GstVideoFrame *frame, gint x, gint y, gint w, gint h, guint32 *value);

/* A grid of @cols x @rows equal cells over a picture holding @count tiles
 * (0 = all cells), in row-major order; an incomplete last row is centred
 * (as the server's layout does). Text form: "CxR" or "CxR:N". */
typedef struct
{
  guint cols;
  guint rows;
  guint count;
} McuCallerGrid;

gboolean mcu_caller_grid_parse (const char *text, McuCallerGrid *grid);
gchar *mcu_caller_grid_to_string (const McuCallerGrid *grid);
guint mcu_caller_grid_tiles (const McuCallerGrid *grid);
/* Tile @index of @grid over a @width x @height picture. */
void mcu_caller_grid_cell (const McuCallerGrid *grid, guint index, gint width,
    gint height, gint *x, gint *y, gint *w, gint *h);

/* Colour statistics of one cell of an RGB (packed, 3 bytes) frame. */
typedef struct
{
  guint8 median[3]; /* per channel, inner 60 % x 60 % of the cell */
  gdouble mean[3];  /* per channel, same region */
  gdouble stddev;   /* of luma over the whole cell but a 2-pixel border */
} McuCallerTileStats;

void mcu_caller_tile_stats (const GstVideoFrame *rgb, gint x, gint y, gint w,
    gint h, McuCallerTileStats *out);

/* Whether an H.264 byte-stream access unit holds an IDR slice (NAL type 5). */
gboolean mcu_caller_h264_has_idr (const guint8 *data, gsize size);

G_END_DECLS
