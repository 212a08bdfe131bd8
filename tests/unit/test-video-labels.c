/* SPDX-License-Identifier: LGPL-2.1-or-later
 * McuVideoLabels: one label per tile, sized to it and kept inside it.
 * Labels are blended into black I420 frames through an identity element's
 * src pad (GstHarness); bright luma is text. */
#include "mcu-video-labels.h"

#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#define W 640
#define H 360

static GstBuffer *
black_frame (void)
{
  GstVideoInfo info;
  GstBuffer *buf;
  GstMapInfo map;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, W, H);
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  memset (map.data, 16, W * H);
  memset (map.data + W * H, 128, GST_VIDEO_INFO_SIZE (&info) - W * H);
  gst_buffer_unmap (buf, &map);
  return buf;
}

/* Bright luma pixels (text) in a rectangle of an I420 W x H buffer. */
static guint
bright (GstBuffer *buf, gint x0, gint y0, gint w, gint h)
{
  GstMapInfo map;
  guint n = 0;

  gst_buffer_map (buf, &map, GST_MAP_READ);
  for (gint y = MAX (y0, 0); y < MIN (y0 + h, H); y++)
    for (gint x = MAX (x0, 0); x < MIN (x0 + w, W); x++)
      if (map.data[y * W + x] > 180)
        n++;
  gst_buffer_unmap (buf, &map);
  return n;
}

static GstBuffer *
blend (McuVideoLabels *labels)
{
  GstHarness *h = gst_harness_new ("identity");
  g_autoptr (GstPad) src = gst_element_get_static_pad (h->element, "src");
  GstBuffer *out;

  gst_harness_set_src_caps_str (
      h, "video/x-raw,format=I420,width=640,height=360,framerate=30/1");
  mcu_video_labels_attach (labels, src);
  out = gst_harness_push_and_pull (h, black_frame ());
  gst_harness_teardown (h);
  return out;
}

static gboolean
inside (const McuRect *r, const McuRect *tile)
{
  return r->x >= tile->x && r->y >= tile->y &&
         r->x + r->width <= tile->x + tile->width &&
         r->y + r->height <= tile->y + tile->height;
}

/* The speaker layout at 640x360: a 640x288 main tile and a strip of
 * 128x72 tiles along the bottom edge. The strip's label is smaller than the
 * main tile's, inside its tile (not cut off by the frame's edge), and a
 * name too long for a tile is ellipsized to it. */
static void
test_sized_to_tile (void)
{
  g_autoptr (McuVideoLabels) labels = mcu_video_labels_new (W, H);
  McuRect main_tile = { 0, 0, 640, 288 }, strip = { 256, 288, 128, 72 },
          other = { 384, 288, 128, 72 }, r_main, r_strip, r_other;
  g_autoptr (GstBuffer) out = NULL;

  mcu_video_labels_begin (labels);
  mcu_video_labels_add (
      labels, "Bob", &main_tile, MCU_VIDEO_LABEL_UNDER_PICTURE);
  mcu_video_labels_add (labels, "Alice", &strip, MCU_VIDEO_LABEL_UNDER_PICTURE);
  mcu_video_labels_add (labels, "Bartholomew Featherstonehaugh-Smythe", &other,
      MCU_VIDEO_LABEL_UNDER_PICTURE);
  mcu_video_labels_commit (labels);
  g_assert_true (mcu_video_labels_get_rect (labels, 0, &r_main));
  g_assert_true (mcu_video_labels_get_rect (labels, 1, &r_strip));
  g_assert_true (mcu_video_labels_get_rect (labels, 2, &r_other));
  g_assert_true (inside (&r_main, &main_tile));
  g_assert_true (inside (&r_strip, &strip));
  g_assert_true (inside (&r_other, &other));
  g_assert_cmpint (r_strip.height, <, r_main.height);
  /* along the bottom of its tile */
  g_assert_cmpint (r_strip.y + r_strip.height, >=, strip.y + strip.height - 2);

  out = blend (labels);
  /* text in each label's box, nothing bright anywhere else: nothing drawn
   * past a tile (rows above the strip, the frame's last rows) */
  g_assert_cmpuint (
      bright (out, r_strip.x, r_strip.y, r_strip.width, r_strip.height), >, 20);
  g_assert_cmpuint (
      bright (out, r_other.x, r_other.y, r_other.width, r_other.height), >, 20);
  g_assert_cmpuint (
      bright (out, r_main.x, r_main.y, r_main.width, r_main.height), >, 20);
  g_assert_cmpuint (bright (out, 0, 0, W, H), ==,
      bright (out, r_strip.x, r_strip.y, r_strip.width, r_strip.height) +
          bright (out, r_other.x, r_other.y, r_other.width, r_other.height) +
          bright (out, r_main.x, r_main.y, r_main.width, r_main.height));
  g_assert_cmpuint (bright (out, 0, H - 1, W, 1), ==, 0);
}

/* A plain name tile: the name centred, larger than under a picture of the
 * same tile; an unchanged set is not re-rendered; an empty set draws
 * nothing. */
static void
test_name_tile_and_clear (void)
{
  g_autoptr (McuVideoLabels) labels = mcu_video_labels_new (W, H);
  McuRect tile = { 320, 0, 320, 180 }, r_name, r_under;
  g_autoptr (GstBuffer) out = NULL, empty = NULL;

  mcu_video_labels_begin (labels);
  mcu_video_labels_add (labels, "Carol", &tile, MCU_VIDEO_LABEL_UNDER_PICTURE);
  mcu_video_labels_commit (labels);
  g_assert_true (mcu_video_labels_get_rect (labels, 0, &r_under));
  mcu_video_labels_begin (labels);
  mcu_video_labels_add (labels, "Carol", &tile, MCU_VIDEO_LABEL_NAME_TILE);
  mcu_video_labels_commit (labels);
  g_assert_true (mcu_video_labels_get_rect (labels, 0, &r_name));
  g_assert_cmpint (r_name.height, >, r_under.height);
  g_assert_cmpint (ABS ((r_name.y + r_name.height / 2) - (tile.y + 90)), <=, 1);
  out = blend (labels);
  g_assert_cmpuint (
      bright (out, tile.x, tile.y, tile.width, tile.height), >, 40);
  g_assert_cmpuint (bright (out, 0, 0, 320, H), ==, 0);

  mcu_video_labels_begin (labels);
  mcu_video_labels_commit (labels);
  g_assert_false (mcu_video_labels_get_rect (labels, 0, &r_name));
  empty = blend (labels);
  g_assert_cmpuint (bright (empty, 0, 0, W, H), ==, 0);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/video-labels/sized-to-tile", test_sized_to_tile);
  g_test_add_func (
      "/video-labels/name-tile-and-clear", test_name_tile_and_clear);
  return g_test_run ();
}
