/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcuopusenc's unit tests: frames in, the element in a harness (see
 * opus-enc-fixture.h). */
#include "opus-enc-fixture.h"
#include "mcu-mix-minus.h"
#include "mcu-opus-enc.h"

#include <math.h>

#define FRAME MCU_OPUS_ENC_FRAME_SAMPLES
#define RATE  48000

GstBuffer *
opus_fixture_tone (guint k, gdouble freq, gdouble amplitude, gboolean full_mix)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, FRAME * 2, NULL);
  GstMapInfo map;

  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  for (guint i = 0; i < FRAME; i++) {
    gdouble t = (gdouble)(k * FRAME + i) / RATE;

    ((gint16 *)map.data)[i] =
        (gint16)lrint (amplitude * sin (2 * G_PI * freq * t));
  }
  gst_buffer_unmap (buffer, &map);
  GST_BUFFER_PTS (buffer) = k * MCU_OPUS_ENC_FRAME_DURATION;
  GST_BUFFER_DURATION (buffer) = MCU_OPUS_ENC_FRAME_DURATION;
  if (full_mix)
    GST_BUFFER_FLAG_SET (buffer, MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX);
  return buffer;
}

GstHarness *
opus_fixture_encoder (McuOpusEncGroup *group)
{
  GstHarness *h = gst_harness_new ("mcuopusenc");

  if (group != NULL)
    g_object_set (h->element, "group", group, NULL);
  gst_harness_set_src_caps_str (h, MCU_MIX_MINUS_CAPS);
  return h;
}

gboolean
opus_fixture_same_bytes (GstBuffer *a, GstBuffer *b)
{
  gsize size = gst_buffer_get_size (a);
  g_autofree guint8 *bytes = g_malloc (size);

  if (size != gst_buffer_get_size (b))
    return FALSE;
  gst_buffer_extract (a, 0, bytes, size);
  return gst_buffer_memcmp (b, 0, bytes, size) == 0;
}
