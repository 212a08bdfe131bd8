/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a shared AAC encode of a room's full mix (see mcu-audio-encode.h).
 *
 *   mix tap -> appsrc -> queue -> audioconvert -> audioresample -> avenc_aac
 *     -> aacparse -> appsink -> taps
 *
 * Time: as mcu-video-encode.c: the pipeline runs on the system clock with
 * its base time fixed at creation, a buffer tapped at clock time T enters
 * at running time T - base, and the appsink hands each AAC frame out with
 * running time + base: the time of its first sample in the mix.
 *
 * Threads: the mix tap pushes into the appsrc (thread-safe); the taps run
 * on the appsink's streaming thread; everything else on the main thread. */
#include "mcu-audio-encode.h"
#include "mcu-mixer-error.h"

#include <gst/app/app.h>

struct _McuAudioEncode
{
  GObject parent_instance;

  McuAudioMix *mix;
  GstElement *pipeline, *src;
  GstClockTime base;
  GstCaps *caps; /* the mix's caps last set on src (mix tap thread) */
  guint mix_tap;
  guint bus_watch;
  McuMixTaps *taps;
};

G_DEFINE_FINAL_TYPE (McuAudioEncode, mcu_audio_encode, G_TYPE_OBJECT)

enum
{
  SIGNAL_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
stop (McuAudioEncode *self)
{
  if (self->mix_tap)
    mcu_audio_mix_remove_tap (self->mix, self->mix_tap);
  self->mix_tap = 0;
  g_clear_handle_id (&self->bus_watch, g_source_remove);
  if (self->pipeline) {
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
    g_clear_object (&self->pipeline);
  }
}

static void
mcu_audio_encode_dispose (GObject *object)
{
  McuAudioEncode *self = MCU_AUDIO_ENCODE (object);

  stop (self);
  g_clear_object (&self->mix);
  G_OBJECT_CLASS (mcu_audio_encode_parent_class)->dispose (object);
}

static void
mcu_audio_encode_finalize (GObject *object)
{
  McuAudioEncode *self = MCU_AUDIO_ENCODE (object);

  mcu_mix_taps_free (self->taps);
  gst_clear_caps (&self->caps);
  G_OBJECT_CLASS (mcu_audio_encode_parent_class)->finalize (object);
}

static void
mcu_audio_encode_class_init (McuAudioEncodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_audio_encode_dispose;
  object_class->finalize = mcu_audio_encode_finalize;
  signals[SIGNAL_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
mcu_audio_encode_init (McuAudioEncode *self)
{
  self->taps = mcu_mix_taps_new ();
}

/* the full mix (the room's streaming thread) */
static void
on_mix (
    GstBuffer *buffer, GstCaps *caps, GstClockTime clock_time, gpointer data)
{
  McuAudioEncode *self = data;

  if (clock_time < self->base)
    return;
  mcu_mix_taps_push_copy (
      self->src, &self->caps, buffer, caps, clock_time - self->base);
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *msg, gpointer data)
{
  McuAudioEncode *self = data;
  g_autoptr (GError) err = NULL;
  g_autofree gchar *debug = NULL;
  g_autofree gchar *message = NULL;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ERROR)
    return G_SOURCE_CONTINUE;
  gst_message_parse_error (msg, &err, &debug);
  message = g_strdup_printf ("the AAC encode failed: %s", err->message);
  g_warning ("%s (%s)", message, debug ? debug : "");
  self->bus_watch = 0;
  g_object_ref (self);
  stop (self);
  g_signal_emit (self, signals[SIGNAL_FAILED], 0, message);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static gboolean
build (McuAudioEncode *self, guint bitrate, GError **error)
{
  static const gchar *const factories[] = { "appsrc", "queue", "audioconvert",
    "audioresample", "avenc_aac", "aacparse" };
  g_autoptr (GstClock) clock = gst_system_clock_obtain ();
  g_autoptr (GstBus) bus = NULL;
  GstElement *c[G_N_ELEMENTS (factories) + 1];

  self->pipeline = gst_pipeline_new ("aac-encode");
  gst_pipeline_use_clock (GST_PIPELINE (self->pipeline), clock);
  gst_element_set_start_time (self->pipeline, GST_CLOCK_TIME_NONE);
  self->base = gst_clock_get_time (clock);
  gst_element_set_base_time (self->pipeline, self->base);
  for (guint i = 0; i < G_N_ELEMENTS (factories); i++) {
    if (!(c[i] = gst_element_factory_make (factories[i], NULL))) {
      g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
          "cannot encode AAC: GStreamer element %s is missing", factories[i]);
      return FALSE;
    }
    gst_bin_add (GST_BIN (self->pipeline), c[i]);
  }
  c[G_N_ELEMENTS (factories)] = mcu_mix_taps_make_sink (self->taps, NULL);
  gst_bin_add (GST_BIN (self->pipeline), c[G_N_ELEMENTS (factories)]);
  self->src = c[0];
  /* never blocks the room: beyond 2 s queued, new buffers are dropped */
  g_object_set (self->src, "format", GST_FORMAT_TIME, "is-live", TRUE, "block",
      FALSE, "max-bytes", (guint64)0, "max-buffers", (guint64)0, "max-time",
      (guint64)2 * GST_SECOND, NULL);
  gst_util_set_object_arg (G_OBJECT (self->src), "leaky-type", "upstream");
  g_object_set (c[4], "bitrate", (gint)bitrate, NULL);
  for (guint i = 0; i + 1 < G_N_ELEMENTS (c); i++)
    if (!gst_element_link (c[i], c[i + 1])) {
      g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
          "cannot link the AAC encode");
      return FALSE;
    }
  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_watch = gst_bus_add_watch (bus, on_bus_message, self);
  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "the AAC encode would not start");
    return FALSE;
  }
  return TRUE;
}

McuAudioEncode *
mcu_audio_encode_new (McuAudioMix *mix, guint bitrate, GError **error)
{
  g_autoptr (McuAudioEncode) self = g_object_new (MCU_TYPE_AUDIO_ENCODE, NULL);

  self->mix = g_object_ref (mix);
  if (!build (self, bitrate, error))
    return NULL;
  self->mix_tap = mcu_audio_mix_add_tap (mix, on_mix, self, NULL);
  return g_steal_pointer (&self);
}

McuAudioMix *
mcu_audio_encode_get_mix (McuAudioEncode *self)
{
  return self->mix;
}

guint
mcu_audio_encode_add_tap (McuAudioEncode *self, McuMixTapFunc func,
    gpointer data, GDestroyNotify destroy)
{
  return mcu_mix_taps_add (self->taps, func, data, destroy);
}

void
mcu_audio_encode_remove_tap (McuAudioEncode *self, guint id)
{
  mcu_mix_taps_remove (self->taps, id);
}

guint
mcu_audio_encode_get_n_taps (McuAudioEncode *self)
{
  return mcu_mix_taps_get_n (self->taps);
}
