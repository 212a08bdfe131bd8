/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a shared H.264 encode of a room's view (see mcu-video-encode.h).
 *
 *   view tap -> appsrc -> queue -> videoscale -> videoconvert -> I420 WxH
 *     -> x264enc -> h264parse -> byte-stream/au -> appsink -> taps
 *
 * Time: the pipeline runs on the system clock with its base time fixed at
 * creation, and a picture tapped at clock time T enters at running time
 * T - base: the appsink's taps (running time + base) hand each encoded
 * picture out with the T it came in with, as the view's own tap would.
 *
 * Threads: the view tap pushes into the appsrc (thread-safe); the encoded
 * taps run on the appsink's streaming thread; everything else on the main
 * thread. The video mix holds a weak pointer to the running encode, so
 * that the room's outputs find it; the outputs hold the references. */
#include "mcu-video-encode.h"
#include "mcu-mixer-error.h"

#include <gst/app/app.h>
#include <gst/video/video.h>

struct _McuVideoEncode
{
  GObject parent_instance;

  McuVideoEncodeOptions options;
  McuVideoMix *mix; /* (weak) */
  GstElement *pipeline, *src, *sink;
  GstClockTime base; /* the pipeline's base time (system clock) */
  GstCaps *caps;     /* the view's caps last set on src (view tap thread) */
  guint view_tap;
  guint bus_watch;
  McuMixTaps *taps;
};

G_DEFINE_FINAL_TYPE (McuVideoEncode, mcu_video_encode, G_TYPE_OBJECT)

enum
{
  SIGNAL_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
stop (McuVideoEncode *self)
{
  if (self->view_tap && self->mix)
    mcu_video_mix_remove_tap (self->mix, self->view_tap);
  self->view_tap = 0;
  if (self->mix && mcu_video_mix_get_encode (self->mix) == self)
    mcu_video_mix_set_encode (self->mix, NULL);
  g_clear_handle_id (&self->bus_watch, g_source_remove);
  if (self->pipeline) {
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
    g_clear_object (&self->pipeline);
  }
}

static void
mcu_video_encode_dispose (GObject *object)
{
  McuVideoEncode *self = MCU_VIDEO_ENCODE (object);

  stop (self);
  if (self->mix) {
    g_object_remove_weak_pointer (G_OBJECT (self->mix), (gpointer *)&self->mix);
    self->mix = NULL;
  }
  G_OBJECT_CLASS (mcu_video_encode_parent_class)->dispose (object);
}

static void
mcu_video_encode_finalize (GObject *object)
{
  McuVideoEncode *self = MCU_VIDEO_ENCODE (object);

  mcu_mix_taps_free (self->taps);
  gst_clear_caps (&self->caps);
  G_OBJECT_CLASS (mcu_video_encode_parent_class)->finalize (object);
}

static void
mcu_video_encode_class_init (McuVideoEncodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_video_encode_dispose;
  object_class->finalize = mcu_video_encode_finalize;
  signals[SIGNAL_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
mcu_video_encode_init (McuVideoEncode *self)
{
  self->taps = mcu_mix_taps_new ();
}

/* the view's pictures (the video mix's streaming thread) */
static void
on_view (
    GstBuffer *buffer, GstCaps *caps, GstClockTime clock_time, gpointer data)
{
  McuVideoEncode *self = data;
  GstBuffer *out;

  if (clock_time < self->base)
    return;
  if (caps && (self->caps == NULL || !gst_caps_is_equal (self->caps, caps))) {
    gst_caps_replace (&self->caps, caps);
    gst_app_src_set_caps (GST_APP_SRC (self->src), caps);
  }
  out = gst_buffer_copy (buffer);
  GST_BUFFER_PTS (out) = clock_time - self->base;
  GST_BUFFER_DTS (out) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_OFFSET (out) = GST_BUFFER_OFFSET_NONE;
  GST_BUFFER_FLAGS (out) = 0;
  gst_app_src_push_buffer (GST_APP_SRC (self->src), out);
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *msg, gpointer data)
{
  McuVideoEncode *self = data;
  g_autoptr (GError) err = NULL;
  g_autofree gchar *debug = NULL;
  g_autofree gchar *message = NULL;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ERROR)
    return G_SOURCE_CONTINUE;
  gst_message_parse_error (msg, &err, &debug);
  message = g_strdup_printf ("the video encode failed: %s", err->message);
  g_warning ("%s (%s)", message, debug ? debug : "");
  self->bus_watch = 0;
  g_object_ref (self);
  stop (self);
  g_signal_emit (self, signals[SIGNAL_FAILED], 0, message);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static GstElement *
add (McuVideoEncode *self, const gchar *factory, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e == NULL) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot encode the view: GStreamer element %s is missing", factory);
    return NULL;
  }
  gst_bin_add (GST_BIN (self->pipeline), e);
  return e;
}

static gboolean
build (McuVideoEncode *self, GError **error)
{
  const McuVideoEncodeOptions *o = &self->options;
  g_autoptr (GstCaps) raw = NULL, h264 = NULL;
  g_autoptr (GstClock) clock = gst_system_clock_obtain ();
  g_autoptr (GstBus) bus = NULL;
  GstElement *c[9];

  self->pipeline = gst_pipeline_new ("view-encode");
  gst_pipeline_use_clock (GST_PIPELINE (self->pipeline), clock);
  gst_element_set_start_time (self->pipeline, GST_CLOCK_TIME_NONE);
  self->base = gst_clock_get_time (clock);
  gst_element_set_base_time (self->pipeline, self->base);
  if (!(c[0] = self->src = add (self, "appsrc", error)) ||
      !(c[1] = add (self, "queue", error)) ||
      !(c[2] = add (self, "videoscale", error)) ||
      !(c[3] = add (self, "videoconvert", error)) ||
      !(c[4] = add (self, "capsfilter", error)) ||
      !(c[5] = add (self, "x264enc", error)) ||
      !(c[6] = add (self, "h264parse", error)) ||
      !(c[7] = add (self, "capsfilter", error)))
    return FALSE;
  c[8] = self->sink = mcu_mix_taps_make_sink (self->taps, NULL);
  gst_bin_add (GST_BIN (self->pipeline), self->sink);
  /* never blocks the room: beyond 2 s queued, new pictures are dropped */
  g_object_set (self->src, "format", GST_FORMAT_TIME, "is-live", TRUE, "block",
      FALSE, "max-bytes", (guint64)0, "max-buffers", (guint64)0, "max-time",
      (guint64)2 * GST_SECOND, NULL);
  gst_util_set_object_arg (G_OBJECT (self->src), "leaky-type", "upstream");
  raw = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420",
      "width", G_TYPE_INT, o->width, "height", G_TYPE_INT, o->height,
      "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
  h264 = gst_caps_new_simple ("video/x-h264", "stream-format", G_TYPE_STRING,
      "byte-stream", "alignment", G_TYPE_STRING, "au", NULL);
  g_object_set (c[2], "add-borders", TRUE, NULL);
  g_object_set (c[4], "caps", raw, NULL);
  g_object_set (c[5], "bitrate", o->bitrate, "key-int-max",
      MAX (o->framerate, 1u) * 2, NULL);
  gst_util_set_object_arg (G_OBJECT (c[5]), "tune", "zerolatency");
  gst_util_set_object_arg (G_OBJECT (c[5]), "speed-preset", "superfast");
  /* the parameter sets before every key frame: an output may start at any */
  g_object_set (c[6], "config-interval", -1, NULL);
  g_object_set (c[7], "caps", h264, NULL);
  for (guint i = 0; i + 1 < G_N_ELEMENTS (c); i++)
    if (!gst_element_link (c[i], c[i + 1])) {
      g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
          "cannot link the view's encode");
      return FALSE;
    }
  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_watch = gst_bus_add_watch (bus, on_bus_message, self);
  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "the view's encode would not start");
    return FALSE;
  }
  return TRUE;
}

static gboolean
same_options (const McuVideoEncodeOptions *a, const McuVideoEncodeOptions *b)
{
  return a->width == b->width && a->height == b->height &&
         a->framerate == b->framerate && a->bitrate == b->bitrate;
}

McuVideoEncode *
mcu_video_encode_get (
    McuVideoMix *mix, const McuVideoEncodeOptions *options, GError **error)
{
  McuVideoEncode *running = mcu_video_mix_get_encode (mix);
  g_autoptr (McuVideoEncode) self = NULL;

  if (running && running->pipeline && same_options (&running->options, options))
    return g_object_ref (running);
  self = g_object_new (MCU_TYPE_VIDEO_ENCODE, NULL);
  self->options = *options;
  self->mix = mix;
  g_object_add_weak_pointer (G_OBJECT (mix), (gpointer *)&self->mix);
  if (!build (self, error))
    return NULL;
  if (!(self->view_tap =
              mcu_video_mix_add_tap (mix, on_view, self, NULL, error)))
    return NULL;
  /* the next with the same options share it (a different one runs apart) */
  if (running == NULL)
    mcu_video_mix_set_encode (mix, self);
  return g_steal_pointer (&self);
}

void
mcu_video_encode_request_key_frame (
    McuVideoEncode *self, GstClockTime clock_time)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (self->sink, "sink");
  GstClockTime running =
      GST_CLOCK_TIME_IS_VALID (clock_time) && clock_time >= self->base
          ? clock_time - self->base
          : GST_CLOCK_TIME_NONE;

  /* upstream, from the appsink to the encoder */
  gst_pad_push_event (
      pad, gst_video_event_new_upstream_force_key_unit (running, TRUE, 0));
}

guint
mcu_video_encode_add_tap (McuVideoEncode *self, McuMixTapFunc func,
    gpointer data, GDestroyNotify destroy)
{
  guint id = mcu_mix_taps_add (self->taps, func, data, destroy);

  mcu_video_encode_request_key_frame (self, GST_CLOCK_TIME_NONE);
  return id;
}

void
mcu_video_encode_remove_tap (McuVideoEncode *self, guint id)
{
  mcu_mix_taps_remove (self->taps, id);
}

guint
mcu_video_encode_get_n_taps (McuVideoEncode *self)
{
  return mcu_mix_taps_get_n (self->taps);
}
