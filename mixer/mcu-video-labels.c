/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the names on a view's composition (see mcu-video-labels.h).
 *
 * It replaces 32 chained textoverlay elements per view: each of them
 * walked every frame, and all names under pictures had one font size (the
 * speaker strip's were as large as the main tile's, cut off at the bottom
 * of the frame). */
#include "mcu-video-labels.h"

#include <gst/video/video.h>
#include <pango/pangocairo.h>
#include <string.h>

typedef struct
{
  gchar *text;
  McuRect tile;
  McuVideoLabelKind kind;
  McuRect placed; /* set by commit */
} Label;

struct _McuVideoLabels
{
  GstVideoInfo info;
  GArray *next;    /* Label: being added */
  GArray *current; /* Label: what the composition shows */

  GMutex lock;                             /* guards composition */
  GstVideoOverlayComposition *composition; /* (nullable) */
};

static void
label_clear (gpointer data)
{
  g_free (((Label *)data)->text);
}

McuVideoLabels *
mcu_video_labels_new (guint width, guint height)
{
  McuVideoLabels *self = g_new0 (McuVideoLabels, 1);

  gst_video_info_set_format (&self->info, GST_VIDEO_FORMAT_I420, width, height);
  self->next = g_array_new (FALSE, TRUE, sizeof (Label));
  g_array_set_clear_func (self->next, label_clear);
  self->current = g_array_new (FALSE, TRUE, sizeof (Label));
  g_array_set_clear_func (self->current, label_clear);
  g_mutex_init (&self->lock);
  return self;
}

void
mcu_video_labels_free (McuVideoLabels *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->next);
  g_array_unref (self->current);
  if (self->composition)
    gst_video_overlay_composition_unref (self->composition);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static GstPadProbeReturn
on_frame (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  McuVideoLabels *self = data;
  GstVideoOverlayComposition *comp = NULL;
  GstBuffer *buffer;
  GstVideoFrame frame;

  g_mutex_lock (&self->lock);
  if (self->composition)
    comp = gst_video_overlay_composition_ref (self->composition);
  g_mutex_unlock (&self->lock);
  if (comp == NULL)
    return GST_PAD_PROBE_OK;
  buffer = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  if (gst_video_frame_map (&frame, &self->info, buffer, GST_MAP_READWRITE)) {
    gst_video_overlay_composition_blend (comp, &frame);
    gst_video_frame_unmap (&frame);
  }
  gst_video_overlay_composition_unref (comp);
  return GST_PAD_PROBE_OK;
}

void
mcu_video_labels_attach (McuVideoLabels *self, GstPad *pad)
{
  /* the probe's data outlives it: the labels go with the view, after its
   * elements are stopped */
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_frame, self, NULL);
}

void
mcu_video_labels_begin (McuVideoLabels *self)
{
  g_array_set_size (self->next, 0);
}

void
mcu_video_labels_add (McuVideoLabels *self, const gchar *text,
    const McuRect *tile, McuVideoLabelKind kind)
{
  Label l = { g_strdup (text), *tile, kind, { 0 } };

  if (text == NULL || *text == '\0' || tile->width < 8 || tile->height < 8) {
    g_free (l.text);
    return;
  }
  g_array_append_val (self->next, l);
}

static gboolean
same_set (GArray *a, GArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++) {
    Label *x = &g_array_index (a, Label, i), *y = &g_array_index (b, Label, i);

    if (g_strcmp0 (x->text, y->text) != 0 || x->kind != y->kind ||
        memcmp (&x->tile, &y->tile, sizeof x->tile) != 0)
      return FALSE;
  }
  return TRUE;
}

/* One label as premultiplied ARGB (cairo's ARGB32, which is
 * GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB), placed inside its tile. */
static GstVideoOverlayRectangle *
render (Label *l, guint frame_height)
{
  gboolean name_tile = l->kind == MCU_VIDEO_LABEL_NAME_TILE;
  gint px = name_tile ? MIN (l->tile.height / 6, (gint)frame_height / 12)
                      : MIN (l->tile.height / 8, (gint)frame_height / 18);
  gint pad, max_w, tw, th, w, h, x, y;
  cairo_surface_t *surface;
  cairo_t *cr;
  PangoLayout *layout;
  PangoFontDescription *font;
  GstBuffer *buffer;
  GstVideoOverlayRectangle *rect;

  px = MAX (px, 6);
  pad = MAX (px / 5, 1);
  max_w = l->tile.width - 2 * pad - 2;
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cr = cairo_create (surface);
  layout = pango_cairo_create_layout (cr);
  font = pango_font_description_from_string ("Sans Bold");
  pango_font_description_set_absolute_size (font, px * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  pango_layout_set_single_paragraph_mode (layout, TRUE);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_width (layout, MAX (max_w, 1) * PANGO_SCALE);
  pango_layout_set_text (layout, l->text, -1);
  pango_layout_get_pixel_size (layout, &tw, &th);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);

  w = MIN (tw + 2 * pad, l->tile.width - 2);
  h = MIN (th + 2 * pad, l->tile.height - 2);
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cr = cairo_create (surface);
  cairo_set_source_rgba (cr, 0, 0, 0, name_tile ? 0.0 : 0.55);
  cairo_paint (cr);
  cairo_move_to (cr, pad, pad);
  cairo_set_source_rgb (cr, 1, 1, 1);
  pango_cairo_update_layout (cr, layout);
  pango_cairo_show_layout (cr, layout);
  cairo_surface_flush (surface);
  g_object_unref (layout);

  buffer = gst_buffer_new_allocate (NULL, (gsize)w * h * 4, NULL);
  for (gint row = 0; row < h; row++)
    gst_buffer_fill (buffer, (gsize)row * w * 4,
        cairo_image_surface_get_data (surface) +
            (gsize)row * cairo_image_surface_get_stride (surface),
        (gsize)w * 4);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  gst_buffer_add_video_meta (buffer, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, w, h);

  /* centred; under a picture along the bottom of the tile, 1 px above
   * its edge; always inside the tile */
  x = l->tile.x + (l->tile.width - w) / 2;
  y = name_tile ? l->tile.y + (l->tile.height - h) / 2
                : l->tile.y + l->tile.height - h - 1;
  l->placed = (McuRect){ x, y, w, h };
  rect = gst_video_overlay_rectangle_new_raw (
      buffer, x, y, w, h, GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
  gst_buffer_unref (buffer);
  return rect;
}

void
mcu_video_labels_commit (McuVideoLabels *self)
{
  GstVideoOverlayComposition *comp = NULL, *old;
  GArray *swap;

  if (same_set (self->next, self->current))
    return;
  for (guint i = 0; i < self->next->len; i++) {
    GstVideoOverlayRectangle *rect =
        render (&g_array_index (self->next, Label, i),
            GST_VIDEO_INFO_HEIGHT (&self->info));

    if (comp == NULL)
      comp = gst_video_overlay_composition_new (rect);
    else
      gst_video_overlay_composition_add_rectangle (comp, rect);
    gst_video_overlay_rectangle_unref (rect);
  }
  g_mutex_lock (&self->lock);
  old = self->composition;
  self->composition = comp;
  g_mutex_unlock (&self->lock);
  if (old)
    gst_video_overlay_composition_unref (old);
  swap = self->current;
  self->current = self->next;
  self->next = swap;
}

gboolean
mcu_video_labels_get_rect (McuVideoLabels *self, guint index, McuRect *rect)
{
  if (index >= self->current->len)
    return FALSE;
  *rect = g_array_index (self->current, Label, index).placed;
  return TRUE;
}
