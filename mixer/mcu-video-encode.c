/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a shared H.264 encode of a room's view (see mcu-video-encode.h).
 *
 *   view tap -> appsrc -> queue -> videoscale -> videoconvert -> I420 WxH
 *     -> x264enc -> h264parse -> byte-stream/au -> appsink -> taps
 *
 * Time (mcu-tap-pipeline-private.h): the appsink's taps hand each encoded
 * picture out with the clock time it was tapped at, as the view's own tap
 * would.
 *
 * Reuse: when a participants' encoder group already encodes that view
 * (view 0, H.264, the same size and rate), its output is tapped instead
 * (mcu_encoder_group_add_tap): no encode at all. A key frame is asked of
 * it for each new tap, for each cut a tap asks for, and every KEY_INTERVAL
 * (its own GOP is long). When the group goes (its members left or changed,
 * or it was rebuilt), "encoder-group-closing" takes the tap off and, on an
 * idle, a standalone group of the same profile (so the same SPS/PPS and
 * caps: the muxers see no change) encodes the view in a pipeline of ours:
 *   view tap -> appsrc -> encoder group bin -> its tap -> taps
 * The pictures' times are the system clock's in both, so the outputs'
 * timeline goes on; a picture not later than the last one handed out is
 * dropped, and after the switch nothing before a key frame goes out.
 *
 * Threads: the view tap pushes into the appsrc (thread-safe); the encoded
 * taps run on an appsink's streaming thread (deliver, under @lock for the
 * key frame bookkeeping); everything else on the main thread. The video
 * mix holds a weak pointer to the running encode, so that the room's
 * outputs find it; the outputs hold the references. */
#include "mcu-video-encode.h"
#include "mcu-encoder-group.h"
#include "mcu-mixer-error.h"
#include "mcu-tap-pipeline-private.h"

#include <gst/video/video.h>

struct _McuVideoEncode
{
  GObject parent_instance;

  McuVideoEncodeOptions options;
  McuVideoMix *mix;  /* (weak) */
  McuTapPipeline tp; /* our own encode, fed the view */
  GstElement *sink;  /* its appsink */
  guint view_tap;
  McuMixTaps *taps;
  McuMixTaps *inner; /* the own pipeline's appsink -> deliver */
  McuVideoEncodeSource source;
  gboolean failed;
  McuEncoderGroup *group; /* (nullable) tapped: the room's, or our own */
  guint group_tap;
  gulong closing_handler; /* on mix */
  guint fallback_idle;

  GMutex lock;
  McuEncoderGroup *key_group; /* under lock: asked for key frames */
  GstClockTime last_out;      /* under lock: the last picture handed out */
  GstClockTime last_key;      /* under lock: the last key frame's */
  GstClockTime key_at;        /* under lock: a key frame asked for then */
  GstClockTime key_asked;     /* under lock: when one was last asked for */
  gboolean need_key;          /* under lock: drop pictures until a key */
};

/* The participants' groups make a key frame every 10 s at most: asked for
 * every 2 s here, as the own encode's GOP (HLS segments, cuts, seeking). */
#define KEY_INTERVAL (2 * GST_SECOND)

G_DEFINE_FINAL_TYPE (McuVideoEncode, mcu_video_encode, G_TYPE_OBJECT)

enum
{
  SIGNAL_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
untap_group (McuVideoEncode *self)
{
  g_mutex_lock (&self->lock);
  g_clear_object (&self->key_group);
  self->need_key = TRUE;
  g_mutex_unlock (&self->lock);
  if (self->group && self->group_tap)
    mcu_encoder_group_remove_tap (self->group, self->group_tap);
  self->group_tap = 0;
}

static void
stop (McuVideoEncode *self)
{
  untap_group (self);
  g_clear_handle_id (&self->fallback_idle, g_source_remove);
  if (self->closing_handler && self->mix)
    g_signal_handler_disconnect (self->mix, self->closing_handler);
  self->closing_handler = 0;
  if (self->view_tap && self->mix)
    mcu_video_mix_remove_tap (self->mix, self->view_tap);
  self->view_tap = 0;
  if (self->mix && mcu_video_mix_get_encode (self->mix) == self)
    mcu_video_mix_set_encode (self->mix, NULL);
  if (self->tp.pipeline && self->source == MCU_VIDEO_ENCODE_FALLBACK &&
      self->group)
    mcu_encoder_group_stop (self->group);
  mcu_tap_pipeline_stop (&self->tp);
  self->sink = NULL;
  g_clear_object (&self->group);
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
  mcu_mix_taps_free (self->inner);
  mcu_tap_pipeline_clear (&self->tp);
  g_mutex_clear (&self->lock);
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

/* Our pipeline failed, or the fallback could not start (the main thread):
 * stopped, and not handed out again. */
static void
on_failed (gpointer data, const gchar *message)
{
  McuVideoEncode *self = data;

  self->failed = TRUE;
  g_object_ref (self);
  stop (self);
  g_signal_emit (self, signals[SIGNAL_FAILED], 0, message);
  g_object_unref (self);
}

static void
mcu_video_encode_init (McuVideoEncode *self)
{
  mcu_tap_pipeline_init (&self->tp, "the video encode", on_failed, self);
  self->taps = mcu_mix_taps_new ();
  self->inner = mcu_mix_taps_new ();
  g_mutex_init (&self->lock);
  self->last_out = self->last_key = GST_CLOCK_TIME_NONE;
  self->need_key = TRUE;
  self->key_at = self->key_asked = GST_CLOCK_TIME_NONE;
}

/* Every encoded picture, from whichever source (a streaming thread): in
 * time order, from a key frame on, key frames asked of a group when due,
 * then to the taps. */
static void
deliver (
    GstBuffer *buffer, GstCaps *caps, GstClockTime clock_time, gpointer data)
{
  McuVideoEncode *self = data;
  gboolean key = !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  GstClockTime frame =
      gst_util_uint64_scale (GST_SECOND, 1, MAX (self->options.framerate, 1u));
  McuEncoderGroup *ask = NULL;

  g_mutex_lock (&self->lock);
  if ((GST_CLOCK_TIME_IS_VALID (self->last_out) &&
          clock_time <= self->last_out) ||
      (self->need_key && !key)) {
    g_mutex_unlock (&self->lock);
    return;
  }
  self->need_key = FALSE;
  self->last_out = clock_time;
  if (key)
    self->last_key = clock_time;
  /* a group's: a key frame for a cut asked for (it comes a frame or two
   * after the ask: the group's queue and encoder), or when one is due */
  if (self->key_group &&
      ((GST_CLOCK_TIME_IS_VALID (self->key_at) &&
           clock_time + 2 * frame >= self->key_at) ||
          (!key && clock_time >= self->last_key + KEY_INTERVAL - frame / 2 &&
              (!GST_CLOCK_TIME_IS_VALID (self->key_asked) ||
                  clock_time >= self->key_asked + KEY_INTERVAL / 4)))) {
    ask = g_object_ref (self->key_group);
    self->key_at = GST_CLOCK_TIME_NONE;
    self->key_asked = clock_time;
  }
  g_mutex_unlock (&self->lock);
  if (ask) {
    mcu_encoder_group_request_keyframe (ask, FALSE);
    g_object_unref (ask);
  }
  mcu_mix_taps_dispatch (self->taps, buffer, caps, clock_time);
}

static GstElement *
add (McuVideoEncode *self, const gchar *factory, GError **error)
{
  return mcu_tap_pipeline_add (&self->tp, factory, error);
}

static gboolean
build (McuVideoEncode *self, GError **error)
{
  const McuVideoEncodeOptions *o = &self->options;
  g_autoptr (GstCaps) raw = NULL, h264 = NULL;
  GstElement *c[9];

  if (!mcu_tap_pipeline_new (&self->tp, "view-encode", error))
    return FALSE;
  c[0] = self->tp.src;
  if (!(c[1] = add (self, "queue", error)) ||
      !(c[2] = add (self, "videoscale", error)) ||
      !(c[3] = add (self, "videoconvert", error)) ||
      !(c[4] = add (self, "capsfilter", error)) ||
      !(c[5] = add (self, "x264enc", error)) ||
      !(c[6] = add (self, "h264parse", error)) ||
      !(c[7] = add (self, "capsfilter", error)))
    return FALSE;
  c[8] = self->sink = mcu_mix_taps_make_sink (self->inner, NULL);
  mcu_mix_taps_add (self->inner, deliver, self, NULL);
  gst_bin_add (GST_BIN (self->tp.pipeline), self->sink);
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
  return mcu_tap_pipeline_start (&self->tp, error);
}

/* ---- a participants' group as the source, and the fallback ---- */

static void
tap_group (McuVideoEncode *self, McuEncoderGroup *group)
{
  self->group = g_object_ref (group);
  g_mutex_lock (&self->lock);
  g_set_object (&self->key_group, group);
  self->need_key = TRUE;
  g_mutex_unlock (&self->lock);
  self->group_tap = mcu_encoder_group_add_tap (group, deliver, self, NULL);
  mcu_encoder_group_request_keyframe (group, FALSE);
}

/* A group of the same profile in our own pipeline, fed the view. */
static gboolean
build_fallback (
    McuVideoEncode *self, const McuVideoProfile *profile, GError **error)
{
  g_autoptr (McuEncoderGroup) group =
      mcu_encoder_group_new (profile, "view-encoder", error);
  if (group == NULL)
    return FALSE;
  if (!mcu_tap_pipeline_new (&self->tp, "view-encode", error))
    return FALSE;
  /* the group's bin is its own (a reference of the group's) */
  gst_bin_add (GST_BIN (self->tp.pipeline),
      gst_object_ref (mcu_encoder_group_get_bin (group)));
  if (!gst_element_link (self->tp.src, mcu_encoder_group_get_bin (group))) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot link the view's encode");
    return FALSE;
  }
  if (!mcu_tap_pipeline_start (&self->tp, error))
    return FALSE;
  tap_group (self, group);
  if (!self->group_tap) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot tap the view's encode");
    return FALSE;
  }
  return TRUE;
}

static void
switch_to_fallback (McuVideoEncode *self)
{
  McuVideoProfile profile = *mcu_encoder_group_get_profile (self->group);
  g_autoptr (GError) error = NULL;

  g_clear_object (&self->group);
  if (self->mix == NULL)
    return;
  g_message ("the recorded view's encoder group went: encoding it (%ux%u, "
             "%u kbit/s) for the recordings and streams from now on",
      profile.width, profile.height, profile.bitrate_kbps);
  if (build_fallback (self, &profile, &error) &&
      !(self->view_tap = mcu_video_mix_add_tap (
            self->mix, mcu_tap_pipeline_on_tap, &self->tp, NULL, &error))) {
    /* the room's video stopped (it closes): no pictures from now on, as
     * for an encode of its own; its outputs stop with the room */
    g_message ("the recorded view is gone: %s", error->message);
    self->failed = TRUE; /* not handed out again */
    stop (self);
  } else if (error) {
    g_autofree gchar *message =
        g_strdup_printf ("the video encode failed: %s", error->message);

    g_warning ("%s", message);
    on_failed (self, message);
  }
}

static gboolean
on_fallback_idle (gpointer data)
{
  McuVideoEncode *self = data;

  self->fallback_idle = 0;
  switch_to_fallback (self);
  return G_SOURCE_REMOVE;
}

/* The group we tap is going (main thread, from inside the video mix):
 * off it now, and our own encode of the view at once (the view is still
 * composed: tapped now, it stays, and no picture is missed), or, while the
 * mix rebuilds after an error, on an idle (into the new elements). */
static void
on_group_closing (McuVideoMix *mix, McuEncoderGroup *group, gboolean rebuilding,
    gpointer data)
{
  McuVideoEncode *self = data;

  if (group != self->group || self->source != MCU_VIDEO_ENCODE_GROUP)
    return;
  untap_group (self);
  g_mutex_lock (&self->lock); /* read by request_key_frame */
  self->source = MCU_VIDEO_ENCODE_FALLBACK;
  g_mutex_unlock (&self->lock);
  g_signal_handler_disconnect (mix, self->closing_handler);
  self->closing_handler = 0;
  if (rebuilding)
    self->fallback_idle = g_idle_add (on_fallback_idle, self);
  else
    switch_to_fallback (self);
}

static gboolean
same_options (const McuVideoEncodeOptions *a, const McuVideoEncodeOptions *b)
{
  return a->width == b->width && a->height == b->height &&
         a->framerate == b->framerate && a->bitrate == b->bitrate &&
         a->reuse_group == b->reuse_group;
}

McuVideoEncode *
mcu_video_encode_get (
    McuVideoMix *mix, const McuVideoEncodeOptions *options, GError **error)
{
  McuVideoEncode *running = mcu_video_mix_get_encode (mix);
  g_autoptr (McuVideoEncode) self = NULL;

  McuEncoderGroup *group;

  if (running && !running->failed && same_options (&running->options, options))
    return g_object_ref (running);
  self = g_object_new (MCU_TYPE_VIDEO_ENCODE, NULL);
  self->options = *options;
  self->mix = mix;
  g_object_add_weak_pointer (G_OBJECT (mix), (gpointer *)&self->mix);
  group = options->reuse_group
              ? mcu_video_mix_find_view_encoder (
                    mix, options->width, options->height, options->framerate)
              : NULL;
  if (group) {
    self->source = MCU_VIDEO_ENCODE_GROUP;
    self->closing_handler = g_signal_connect (
        mix, "encoder-group-closing", G_CALLBACK (on_group_closing), self);
    tap_group (self, group);
    if (!self->group_tap) {
      g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
          "cannot tap the view's encoder group");
      return NULL;
    }
  } else {
    if (!build (self, error))
      return NULL;
    /* the view's pictures (the video mix's streaming thread) */
    if (!(self->view_tap = mcu_video_mix_add_tap (
              mix, mcu_tap_pipeline_on_tap, &self->tp, NULL, error)))
      return NULL;
  }
  /* the next with the same options share it (a different one runs apart) */
  if (running == NULL)
    mcu_video_mix_set_encode (mix, self);
  return g_steal_pointer (&self);
}

void
mcu_video_encode_request_key_frame (
    McuVideoEncode *self, GstClockTime clock_time)
{
  g_autoptr (GstPad) pad = NULL;
  McuEncoderGroup *ask = NULL;
  gboolean grouped;
  GstClockTime running;

  g_mutex_lock (&self->lock);
  grouped = self->source != MCU_VIDEO_ENCODE_OWN;
  if (grouped && GST_CLOCK_TIME_IS_VALID (clock_time))
    self->key_at = MIN (self->key_at, clock_time);
  else if (grouped && self->key_group)
    ask = g_object_ref (self->key_group);
  g_mutex_unlock (&self->lock);
  if (ask) {
    mcu_encoder_group_request_keyframe (ask, FALSE);
    g_object_unref (ask);
  }
  /* between the group and the fallback: that starts with one anyway;
   * stopped (failed): none to ask */
  if (grouped || self->sink == NULL)
    return;
  pad = gst_element_get_static_pad (self->sink, "sink");
  running = GST_CLOCK_TIME_IS_VALID (clock_time) && clock_time >= self->tp.base
                ? clock_time - self->tp.base
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

McuVideoEncodeSource
mcu_video_encode_get_source (McuVideoEncode *self)
{
  return self->source;
}

const gchar *
mcu_video_encode_source_to_string (McuVideoEncodeSource source)
{
  static const gchar *const names[] = { "own", "encoder-group", "fallback" };

  return source < G_N_ELEMENTS (names) ? names[source] : "unknown";
}
