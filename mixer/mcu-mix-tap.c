/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: taps on a room's mixed output. The list is locked while a buffer is
 * handed out (the mix's streaming thread) and while it changes (the main
 * thread), so a removed tap is never called again. */
#include "mcu-mix-tap.h"

#include <gst/app/app.h>

typedef struct
{
  guint id;
  McuMixTapFunc func;
  gpointer data;
  GDestroyNotify destroy;
} Tap;

struct _McuMixTaps
{
  GMutex lock;
  GArray *taps;       /* Tap, under lock */
  guint serial;       /* under lock */
  GstClockTime delay; /* under lock */
};

McuMixTaps *
mcu_mix_taps_new (void)
{
  McuMixTaps *taps = g_new0 (McuMixTaps, 1);

  g_mutex_init (&taps->lock);
  taps->taps = g_array_new (FALSE, TRUE, sizeof (Tap));
  return taps;
}

void
mcu_mix_taps_free (McuMixTaps *taps)
{
  if (taps == NULL)
    return;
  while (taps->taps->len > 0)
    mcu_mix_taps_remove (taps, g_array_index (taps->taps, Tap, 0).id);
  g_array_unref (taps->taps);
  g_mutex_clear (&taps->lock);
  g_free (taps);
}

guint
mcu_mix_taps_add (
    McuMixTaps *taps, McuMixTapFunc func, gpointer data, GDestroyNotify destroy)
{
  Tap tap = { 0, func, data, destroy };

  g_mutex_lock (&taps->lock);
  tap.id = ++taps->serial;
  g_array_append_val (taps->taps, tap);
  g_mutex_unlock (&taps->lock);
  return tap.id;
}

void
mcu_mix_taps_remove (McuMixTaps *taps, guint id)
{
  Tap gone = { 0 };

  g_mutex_lock (&taps->lock);
  for (guint i = 0; i < taps->taps->len; i++)
    if (g_array_index (taps->taps, Tap, i).id == id) {
      gone = g_array_index (taps->taps, Tap, i);
      g_array_remove_index (taps->taps, i);
      break;
    }
  g_mutex_unlock (&taps->lock);
  if (gone.destroy)
    gone.destroy (gone.data);
}

void
mcu_mix_taps_set_delay (McuMixTaps *taps, GstClockTime delay)
{
  g_mutex_lock (&taps->lock);
  taps->delay = delay;
  g_mutex_unlock (&taps->lock);
}

guint
mcu_mix_taps_get_n (McuMixTaps *taps)
{
  guint n;

  g_mutex_lock (&taps->lock);
  n = taps->taps->len;
  g_mutex_unlock (&taps->lock);
  return n;
}

void
mcu_mix_taps_dispatch (
    McuMixTaps *taps, GstBuffer *buffer, GstCaps *caps, GstClockTime clock_time)
{
  g_mutex_lock (&taps->lock);
  for (guint i = 0; i < taps->taps->len; i++) {
    Tap *tap = &g_array_index (taps->taps, Tap, i);

    tap->func (buffer, caps, clock_time, tap->data);
  }
  g_mutex_unlock (&taps->lock);
}

void
mcu_mix_taps_push_copy (GstElement *appsrc, GstCaps **last_caps,
    GstBuffer *buffer, GstCaps *caps, GstClockTime pts)
{
  GstAppSrc *src = GST_APP_SRC (appsrc);
  GstBuffer *out;

  if (caps && (*last_caps == NULL || !gst_caps_is_equal (*last_caps, caps))) {
    gst_caps_replace (last_caps, caps);
    gst_app_src_set_caps (src, caps);
  }
  out = gst_buffer_copy (buffer);
  GST_BUFFER_PTS (out) = pts;
  GST_BUFFER_DTS (out) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_OFFSET (out) = GST_BUFFER_OFFSET_NONE;
  GST_BUFFER_FLAGS (out) = 0;
  gst_app_src_push_buffer (src, out);
}

static GstFlowReturn
on_new_sample (GstAppSink *sink, gpointer data)
{
  McuMixTaps *taps = data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buffer;
  const GstSegment *segment;
  GstClockTime running, clock_time, delay;

  if (sample == NULL)
    return GST_FLOW_EOS;
  buffer = gst_sample_get_buffer (sample);
  segment = gst_sample_get_segment (sample);
  if (buffer == NULL || !GST_BUFFER_PTS_IS_VALID (buffer) || segment == NULL)
    return GST_FLOW_OK;
  running = gst_segment_to_running_time (
      segment, GST_FORMAT_TIME, GST_BUFFER_PTS (buffer));
  if (!GST_CLOCK_TIME_IS_VALID (running))
    return GST_FLOW_OK;
  clock_time = running + gst_element_get_base_time (GST_ELEMENT (sink));
  g_mutex_lock (&taps->lock);
  delay = taps->delay;
  g_mutex_unlock (&taps->lock);
  clock_time = clock_time > delay ? clock_time - delay : 0;
  mcu_mix_taps_dispatch (
      taps, buffer, gst_sample_get_caps (sample), clock_time);
  return GST_FLOW_OK;
}

GstElement *
mcu_mix_taps_make_sink (McuMixTaps *taps, const gchar *name)
{
  GstElement *sink = gst_element_factory_make ("appsink", name);
  GstAppSinkCallbacks callbacks = { .new_sample = on_new_sample };

  if (sink == NULL)
    return NULL;
  g_object_set (sink, "sync", FALSE, "async", FALSE, "max-buffers", 8, "drop",
      TRUE, "enable-last-sample", FALSE, NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, taps, NULL);
  return sink;
}
