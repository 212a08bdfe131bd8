/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: an encode's own pipeline fed by a tap, see
 * mcu-tap-pipeline-private.h. */
#include "mcu-tap-pipeline-private.h"
#include "mcu-mix-tap.h"
#include "mcu-mixer-error.h"

#include <string.h>

void
mcu_tap_pipeline_init (McuTapPipeline *tp, const gchar *what,
    McuTapPipelineFailed failed, gpointer owner)
{
  memset (tp, 0, sizeof *tp);
  tp->what = what;
  tp->failed = failed;
  tp->owner = owner;
}

GstElement *
mcu_tap_pipeline_add (McuTapPipeline *tp, const gchar *factory, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e == NULL) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot run %s: GStreamer element %s is missing", tp->what, factory);
    return NULL;
  }
  gst_bin_add (GST_BIN (tp->pipeline), e);
  return e;
}

gboolean
mcu_tap_pipeline_new (McuTapPipeline *tp, const gchar *name, GError **error)
{
  g_autoptr (GstClock) clock = gst_system_clock_obtain ();

  g_return_val_if_fail (tp->pipeline == NULL, FALSE);
  tp->pipeline = gst_object_ref_sink (gst_pipeline_new (name));
  gst_pipeline_use_clock (GST_PIPELINE (tp->pipeline), clock);
  gst_element_set_start_time (tp->pipeline, GST_CLOCK_TIME_NONE);
  tp->base = gst_clock_get_time (clock);
  gst_element_set_base_time (tp->pipeline, tp->base);
  if (!(tp->src = mcu_tap_pipeline_add (tp, "appsrc", error)))
    return FALSE;
  g_object_set (tp->src, "format", GST_FORMAT_TIME, "is-live", TRUE, "block",
      FALSE, "max-bytes", (guint64)0, "max-buffers", (guint64)0, "max-time",
      (guint64)2 * GST_SECOND, NULL);
  gst_util_set_object_arg (G_OBJECT (tp->src), "leaky-type", "upstream");
  return TRUE;
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *msg, gpointer data)
{
  McuTapPipeline *tp = data;
  g_autoptr (GError) err = NULL;
  g_autofree gchar *debug = NULL;
  g_autofree gchar *message = NULL;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ERROR)
    return G_SOURCE_CONTINUE;
  gst_message_parse_error (msg, &err, &debug);
  message = g_strdup_printf ("%s failed: %s", tp->what, err->message);
  g_warning ("%s (%s)", message, debug ? debug : "");
  tp->bus_watch = 0;
  tp->failed (tp->owner, message);
  return G_SOURCE_REMOVE;
}

gboolean
mcu_tap_pipeline_start (McuTapPipeline *tp, GError **error)
{
  g_autoptr (GstBus) bus = gst_pipeline_get_bus (GST_PIPELINE (tp->pipeline));

  tp->bus_watch = gst_bus_add_watch (bus, on_bus_message, tp);
  if (gst_element_set_state (tp->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "%s would not start", tp->what);
    return FALSE;
  }
  return TRUE;
}

void
mcu_tap_pipeline_stop (McuTapPipeline *tp)
{
  g_clear_handle_id (&tp->bus_watch, g_source_remove);
  if (tp->pipeline) {
    gst_element_set_state (tp->pipeline, GST_STATE_NULL);
    gst_clear_object (&tp->pipeline);
  }
  tp->src = NULL;
}

void
mcu_tap_pipeline_clear (McuTapPipeline *tp)
{
  mcu_tap_pipeline_stop (tp);
  gst_clear_caps (&tp->caps);
}

void
mcu_tap_pipeline_on_tap (
    GstBuffer *buffer, GstCaps *caps, GstClockTime clock_time, gpointer data)
{
  McuTapPipeline *tp = data;

  if (clock_time < tp->base)
    return;
  mcu_mix_taps_push_copy (
      tp->src, &tp->caps, buffer, caps, clock_time - tp->base);
}
