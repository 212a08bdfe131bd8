/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pixel and bitstream helpers of mcu-test-caller, see mcu-caller-frames.h. */
#include "mcu-caller-frames.h"

#include <math.h>
#include <string.h>

#define STAMP_COLS  8
#define STAMP_ROWS  4
#define STAMP_LEFT  0.15 /* stamp area, fractions of the picture */
#define STAMP_RIGHT 0.85
#define STAMP_TOP   0.12
#define STAMP_BOT   0.52
#define Y_BLACK     16
#define Y_WHITE     235

static guint8
stamp_check (guint32 value)
{
  return (guint8)(((value >> 16) ^ (value >> 8) ^ value ^ 0x5a) & 0xff);
}

/* Block (col, row) of the stamp area within a picture region. */
static void
stamp_block (gint x, gint y, gint w, gint h, guint col, guint row, gint *bx0,
    gint *by0, gint *bx1, gint *by1)
{
  gdouble aw = (STAMP_RIGHT - STAMP_LEFT) * w;
  gdouble ah = (STAMP_BOT - STAMP_TOP) * h;
  gdouble left = x + STAMP_LEFT * w, top = y + STAMP_TOP * h;

  *bx0 = (gint)(left + aw * col / STAMP_COLS);
  *bx1 = (gint)(left + aw * (col + 1) / STAMP_COLS);
  *by0 = (gint)(top + ah * row / STAMP_ROWS);
  *by1 = (gint)(top + ah * (row + 1) / STAMP_ROWS);
}

static void
fill_plane (GstVideoFrame *frame, guint plane, gint x0, gint y0, gint x1,
    gint y1, guint8 value)
{
  guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (frame, plane);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, plane);

  for (gint y = y0; y < y1; y++)
    memset (data + (gsize)y * stride + x0, value, x1 - x0);
}

void
mcu_caller_stamp_draw (GstVideoFrame *frame, guint32 value)
{
  guint32 bits = ((value & MCU_CALLER_STAMP_MASK) << 8) | stamp_check (value);
  gint w = GST_VIDEO_FRAME_WIDTH (frame), h = GST_VIDEO_FRAME_HEIGHT (frame);

  g_return_if_fail (GST_VIDEO_FRAME_FORMAT (frame) == GST_VIDEO_FORMAT_I420);
  for (guint i = 0; i < STAMP_COLS * STAMP_ROWS; i++) {
    gboolean one = (bits >> (31 - i)) & 1;
    gint x0, y0, x1, y1;

    stamp_block (
        0, 0, w, h, i % STAMP_COLS, i / STAMP_COLS, &x0, &y0, &x1, &y1);
    /* Even edges, so the chroma blocks cover exactly the luma block. */
    x0 &= ~1, y0 &= ~1, x1 &= ~1, y1 &= ~1;
    fill_plane (frame, 0, x0, y0, x1, y1, one ? Y_WHITE : Y_BLACK);
    fill_plane (frame, 1, x0 / 2, y0 / 2, x1 / 2, y1 / 2, 128);
    fill_plane (frame, 2, x0 / 2, y0 / 2, x1 / 2, y1 / 2, 128);
  }
}

/* Mean luma of the middle 40 % of a block. */
static gdouble
block_luma (const GstVideoFrame *frame, gint x0, gint y0, gint x1, gint y1)
{
  const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (frame, 0);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);
  gint mx = (x1 - x0) * 3 / 10, my = (y1 - y0) * 3 / 10;
  guint64 sum = 0, n = 0;

  x0 += mx, x1 -= mx, y0 += my, y1 -= my;
  if (x1 <= x0)
    x1 = x0 + 1;
  if (y1 <= y0)
    y1 = y0 + 1;
  for (gint y = y0; y < y1; y++)
    for (gint x = x0; x < x1; x++, n++)
      sum += data[(gsize)y * stride + x];
  return n ? (gdouble)sum / n : 0;
}

gboolean
mcu_caller_stamp_read (
    const GstVideoFrame *frame, gint x, gint y, gint w, gint h, guint32 *value)
{
  gint fw = GST_VIDEO_FRAME_WIDTH (frame), fh = GST_VIDEO_FRAME_HEIGHT (frame);
  guint32 bits = 0;

  if (x < 0 || y < 0 || w < 2 * STAMP_COLS || h < 2 * STAMP_ROWS ||
      x + w > fw || y + h > fh)
    return FALSE;
  for (guint i = 0; i < STAMP_COLS * STAMP_ROWS; i++) {
    gint x0, y0, x1, y1;
    gdouble luma;

    stamp_block (
        x, y, w, h, i % STAMP_COLS, i / STAMP_COLS, &x0, &y0, &x1, &y1);
    luma = block_luma (frame, x0, y0, x1, y1);
    /* Blocks are black or white; anything in between is not a stamp. */
    if (luma > 60 && luma < 190)
      return FALSE;
    bits = (bits << 1) | (luma >= 125);
  }
  if (stamp_check (bits >> 8) != (bits & 0xff))
    return FALSE;
  *value = bits >> 8;
  return TRUE;
}

gboolean
mcu_caller_grid_parse (const char *text, McuCallerGrid *grid)
{
  guint64 c, r, n = 0;
  gchar *end;

  c = g_ascii_strtoull (text, &end, 10);
  if (end == text || (*end != 'x' && *end != 'X'))
    return FALSE;
  text = end + 1;
  r = g_ascii_strtoull (text, &end, 10);
  if (end == text || c < 1 || r < 1 || c > 8 || r > 8)
    return FALSE;
  if (*end == ':') {
    text = end + 1;
    n = g_ascii_strtoull (text, &end, 10);
    if (end == text || n < 1 || n > c * r)
      return FALSE;
  }
  if (*end)
    return FALSE;
  grid->cols = (guint)c;
  grid->rows = (guint)r;
  grid->count = (guint)n;
  return TRUE;
}

gchar *
mcu_caller_grid_to_string (const McuCallerGrid *grid)
{
  if (grid->count)
    return g_strdup_printf ("%ux%u:%u", grid->cols, grid->rows, grid->count);
  return g_strdup_printf ("%ux%u", grid->cols, grid->rows);
}

guint
mcu_caller_grid_tiles (const McuCallerGrid *grid)
{
  return grid->count ? grid->count : grid->cols * grid->rows;
}

void
mcu_caller_grid_cell (const McuCallerGrid *grid, guint index, gint width,
    gint height, gint *x, gint *y, gint *w, gint *h)
{
  guint cols = grid->cols, rows = grid->rows;
  guint col = index % cols, row = index / cols;
  guint n = mcu_caller_grid_tiles (grid);
  guint in_row = MIN (cols, n - MIN (n, row * cols));
  gint offset = (gint)((gint64)(cols - in_row) * width / cols / 2);

  *x = (gint)((gint64)width * col / cols) + offset;
  *y = (gint)((gint64)height * row / rows);
  *w = (gint)((gint64)width * (col + 1) / cols) + offset - *x;
  *h = (gint)((gint64)height * (row + 1) / rows) - *y;
}

static guint8
histogram_median (const guint32 hist[256], guint64 n)
{
  guint64 seen = 0;

  for (guint v = 0; v < 256; v++) {
    seen += hist[v];
    if (seen * 2 >= n)
      return (guint8)v;
  }
  return 255;
}

static void
inner_stats (const GstVideoFrame *rgb, gint x0, gint y0, gint x1, gint y1,
    McuCallerTileStats *out)
{
  const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (rgb, 0);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (rgb, 0);
  guint32 hist[3][256] = { { 0 } };
  guint64 sum[3] = { 0 }, n = 0;

  for (gint y = y0; y < y1; y++) {
    const guint8 *p = data + (gsize)y * stride + (gsize)x0 * 3;
    for (gint x = x0; x < x1; x++, p += 3, n++)
      for (guint c = 0; c < 3; c++) {
        hist[c][p[c]]++;
        sum[c] += p[c];
      }
  }
  for (guint c = 0; c < 3; c++) {
    out->median[c] = n ? histogram_median (hist[c], n) : 0;
    out->mean[c] = n ? (gdouble)sum[c] / n : 0;
  }
}

static gdouble
luma_stddev (const GstVideoFrame *rgb, gint x0, gint y0, gint x1, gint y1)
{
  const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (rgb, 0);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (rgb, 0);
  gdouble sum = 0, sum2 = 0;
  guint64 n = 0;

  for (gint y = y0; y < y1; y++) {
    const guint8 *p = data + (gsize)y * stride + (gsize)x0 * 3;
    for (gint x = x0; x < x1; x++, p += 3, n++) {
      gdouble l = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
      sum += l;
      sum2 += l * l;
    }
  }
  if (n < 2)
    return 0;
  return sqrt (MAX (0.0, sum2 / n - (sum / n) * (sum / n)));
}

void
mcu_caller_tile_stats (const GstVideoFrame *rgb, gint x, gint y, gint w, gint h,
    McuCallerTileStats *out)
{
  gint fw = GST_VIDEO_FRAME_WIDTH (rgb), fh = GST_VIDEO_FRAME_HEIGHT (rgb);
  gint mx = w / 5, my = h / 5;

  g_return_if_fail (GST_VIDEO_FRAME_FORMAT (rgb) == GST_VIDEO_FORMAT_RGB);
  memset (out, 0, sizeof (*out));
  x = CLAMP (x, 0, fw), y = CLAMP (y, 0, fh);
  w = MIN (w, fw - x), h = MIN (h, fh - y);
  if (w <= 4 || h <= 4)
    return;
  inner_stats (rgb, x + mx, y + my, x + w - mx, y + h - my, out);
  out->stddev = luma_stddev (rgb, x + 2, y + 2, x + w - 2, y + h - 2);
}

gboolean
mcu_caller_h264_has_idr (const guint8 *data, gsize size)
{
  for (gsize i = 0; i + 3 < size; i++) {
    if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
      if ((data[i + 3] & 0x1f) == 5)
        return TRUE;
      i += 2;
    }
  }
  return FALSE;
}
