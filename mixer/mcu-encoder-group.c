/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: an encoder group.
 *
 *   sink -> queue(leaky, 1 frame) -> videoscale -> videorate -> videoconvert
 *        -> caps(I420, size, rate) -> encoder -> caps(profile) -> tee
 *   tee.src_N -> ghost out_N -> a member's video_in (its own payloader)
 *
 * The queue gives the encode its own thread (the composition goes on while
 * a frame encodes) and holds only the newest frame: when the encoder falls
 * behind (overload) the older one is dropped, the encoder always takes the
 * latest picture and nothing queues up. x264enc is fed I420 and its output
 * capped to the profile (left alone it picks High 4:4:4), zerolatency, no
 * B-frames.
 *
 * Threads: members are added and removed on the main thread. Keyframe
 * requests come from any thread (the main thread for joins, rtpbin's RTCP
 * thread for a member's PLI/FIR, which arrives here as an upstream
 * GstForceKeyUnit event, caught before the encoder); `lock` guards the rate
 * limit and the counters. A request inside the limit is remembered and
 * served by the input probe once the interval has passed. */
#include "mcu-encoder-group.h"
#include "mcu-late-gate-private.h"
#include "mcu-pad-util-private.h"
#include "mcu-video-priority-private.h"

#include <gst/video/video.h>
#include <string.h>

struct _McuEncoderGroup
{
  GObject parent_instance;

  McuVideoProfile profile;
  GstElement *bin;
  GstElement *queue; /* its input; its thread feeds the rest */
  GstElement *encoder;
  GstElement *tee;
  GHashTable *members;   /* GstPad *sink (ref) -> GstPad *ghost (ref) */
  McuMixTaps *taps;      /* recordings, streams */
  GstPad *tap_src;       /* (nullable) on the tee, while tapped */
  GstElement *tap_el[3]; /* queue, h264parse, appsink */

  GMutex lock;        /* protects everything below */
  gint64 last_forced; /* monotonic us, 0 = never */
  gboolean pending;
  McuEncoderGroupStats stats;
};

G_DEFINE_FINAL_TYPE (McuEncoderGroup, mcu_encoder_group, G_TYPE_OBJECT)

void
mcu_video_profile_from_params (
    McuVideoProfile *profile, const McuVideoParams *params, guint view)
{
  memset (profile, 0, sizeof *profile);
  profile->codec = params->codec;
  profile->width = params->width;
  profile->height = params->height;
  profile->framerate = params->framerate;
  profile->bitrate_kbps = params->bitrate_kbps;
  if (params->codec == MCU_VIDEO_CODEC_H264) {
    profile->profile_level_id =
        params->profile_level_id ? params->profile_level_id : 0x42e01f;
    profile->packetization_mode = params->packetization_mode;
  }
  profile->view = view;
}

gchar *
mcu_video_profile_to_key (const McuVideoProfile *p)
{
  return g_strdup_printf ("%s/%ux%u@%u/%ukbps/%06x/pm%u/view%u",
      p->codec == MCU_VIDEO_CODEC_VP8 ? "vp8" : "h264", p->width, p->height,
      p->framerate, p->bitrate_kbps, p->profile_level_id, p->packetization_mode,
      p->view);
}

static void
mcu_encoder_group_dispose (GObject *object)
{
  McuEncoderGroup *self = MCU_ENCODER_GROUP (object);

  g_clear_pointer (&self->members, g_hash_table_unref);
  if (self->bin && GST_OBJECT_PARENT (self->bin) == NULL)
    gst_element_set_state (self->bin, GST_STATE_NULL);
  g_clear_object (&self->bin);
  G_OBJECT_CLASS (mcu_encoder_group_parent_class)->dispose (object);
}

static void
mcu_encoder_group_finalize (GObject *object)
{
  McuEncoderGroup *self = MCU_ENCODER_GROUP (object);

  mcu_mix_taps_free (self->taps);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (mcu_encoder_group_parent_class)->finalize (object);
}

static void
mcu_encoder_group_class_init (McuEncoderGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_encoder_group_dispose;
  object_class->finalize = mcu_encoder_group_finalize;
}

static void
mcu_encoder_group_init (McuEncoderGroup *self)
{
  g_mutex_init (&self->lock);
  self->members = g_hash_table_new_full (
      g_direct_hash, g_direct_equal, gst_object_unref, gst_object_unref);
  self->taps = mcu_mix_taps_new ();
}

/* Called with the lock held: books a forced keyframe; the caller sends it
 * with send_force () once the lock is released (the encoder's push thread
 * takes the lock in on_encoded_frame: never hold it into the encoder). */
static void
force_locked (McuEncoderGroup *self, gint64 now)
{
  self->last_forced = now;
  self->pending = FALSE;
  self->stats.keyframes_forced++;
}

/* Without all-headers: x264enc's byte-stream carries SPS and PPS in every
 * IDR access unit anyway. With it, the encoder's downstream GstForceKeyUnit
 * says all-headers too, and rtph264pay (1.22) then sends its own copy of
 * SPS/PPS ahead of the IDR as a STAP-A with the marker bit set: an access
 * unit of parameter sets alone, which libavcodec rejects ("Invalid data");
 * the receiver (baresip) asks for a key frame again, twice a second. */
static void
send_force (McuEncoderGroup *self)
{
  GstPad *src = gst_element_get_static_pad (self->encoder, "src");

  gst_pad_send_event (src, gst_video_event_new_upstream_force_key_unit (
                               GST_CLOCK_TIME_NONE, FALSE, 0));
  gst_object_unref (src);
}

void
mcu_encoder_group_request_keyframe (McuEncoderGroup *self, gboolean limited)
{
  gint64 now = g_get_monotonic_time ();
  gboolean force = FALSE;

  g_mutex_lock (&self->lock);
  self->stats.requests++;
  if (!limited || self->last_forced == 0 ||
      (now - self->last_forced) * GST_USECOND >=
          MCU_ENCODER_GROUP_MIN_KEY_INTERVAL) {
    force_locked (self, now);
    force = TRUE;
  } else {
    self->stats.requests_limited++;
    self->pending = TRUE;
  }
  g_mutex_unlock (&self->lock);
  if (force)
    send_force (self);
}

void
mcu_encoder_group_get_stats (McuEncoderGroup *self, McuEncoderGroupStats *stats)
{
  g_mutex_lock (&self->lock);
  *stats = self->stats;
  g_mutex_unlock (&self->lock);
}

/* A member's PLI/FIR on its way to the encoder: rate-limited here. */
static GstPadProbeReturn
on_upstream_event (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuEncoderGroup *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

  if (!gst_video_event_is_force_key_unit (event))
    return GST_PAD_PROBE_OK;
  mcu_encoder_group_request_keyframe (self, TRUE);
  return GST_PAD_PROBE_DROP;
}

/* Every raw frame: serve a deferred request once the interval is over. */
static GstPadProbeReturn
on_raw_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuEncoderGroup *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean force = FALSE;

  mcu_late_gate_trace (pad, GST_PAD_PROBE_INFO_BUFFER (info), "to encode");
  g_mutex_lock (&self->lock);
  self->stats.frames_in++;
  if (self->pending && (now - self->last_forced) * GST_USECOND >=
                           MCU_ENCODER_GROUP_MIN_KEY_INTERVAL) {
    force_locked (self, now);
    force = TRUE;
  }
  g_mutex_unlock (&self->lock);
  if (force)
    send_force (self);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_encoded_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuEncoderGroup *self = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  mcu_late_gate_trace (pad, buf, "encoded");
  g_mutex_lock (&self->lock);
  self->stats.frames_out++;
  if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
    self->stats.keyframes_out++;
  g_mutex_unlock (&self->lock);
  return GST_PAD_PROBE_OK;
}

static const gchar *
h264_profile_name (guint profile_level_id)
{
  switch (profile_level_id >> 16) {
    case 0x4d:
      return "main";
    case 0x64:
      return "high";
    default: /* baseline (0x42) and anything unknown: the safe floor */
      return "constrained-baseline";
  }
}

static GstElement *
make_caps (GstBin *bin, GstCaps *caps)
{
  GstElement *e = gst_element_factory_make ("capsfilter", NULL);

  g_object_set (e, "caps", caps, NULL);
  gst_caps_unref (caps);
  gst_bin_add (bin, e);
  return e;
}

static GstElement *
make_encoder (McuEncoderGroup *self, GstCaps **out_caps, GError **error)
{
  const McuVideoProfile *p = &self->profile;
  GstElement *enc;

  if (p->codec == MCU_VIDEO_CODEC_VP8) {
    if (!(enc = mcu_pad_util_make (GST_BIN (self->bin), "vp8enc", error)))
      return NULL;
    g_object_set (enc, "deadline", (gint64)1, "cpu-used", 8, "lag-in-frames", 0,
        "target-bitrate", (gint)(p->bitrate_kbps * 1000), "keyframe-max-dist",
        (gint)(p->framerate * 10), NULL);
    gst_util_set_object_arg (G_OBJECT (enc), "end-usage", "cbr");
    gst_util_set_object_arg (G_OBJECT (enc), "error-resilient", "default");
    *out_caps = gst_caps_new_empty_simple ("video/x-vp8");
    return enc;
  }
  if (!(enc = mcu_pad_util_make (GST_BIN (self->bin), "x264enc", error)))
    return NULL;
  gst_util_set_object_arg (G_OBJECT (enc), "tune", "zerolatency");
  gst_util_set_object_arg (G_OBJECT (enc), "speed-preset",
      p->width * p->height > 640 * 360 ? "ultrafast" : "superfast");
  g_object_set (enc, "bitrate", p->bitrate_kbps, "bframes", 0, "b-adapt", FALSE,
      "key-int-max", p->framerate * 10, "vbv-buf-capacity", 500, "byte-stream",
      TRUE, NULL);
  if (p->packetization_mode == 0) /* single NAL units: each under the MTU */
    g_object_set (enc, "option-string", "slice-max-size=1100", NULL);
  *out_caps = gst_caps_new_simple ("video/x-h264", "stream-format",
      G_TYPE_STRING, "byte-stream", "alignment", G_TYPE_STRING, "au", "profile",
      G_TYPE_STRING, h264_profile_name (p->profile_level_id), NULL);
  return enc;
}

static gboolean
build (McuEncoderGroup *self, GError **error)
{
  const McuVideoProfile *p = &self->profile;
  GstBin *bin = GST_BIN (self->bin);
  GstElement *queue, *scale, *rate, *convert, *raw_caps, *enc_caps;
  GstCaps *encoded = NULL;
  GstPad *pad;

  /* named: its thread is one of the video's output threads
   * (mcu-video-priority-private.h) */
  if ((queue = self->queue = gst_element_factory_make (
           "queue", MCU_VIDEO_ENCODE_QUEUE_NAME)) != NULL)
    gst_bin_add (bin, queue);
  if (!queue || !(scale = mcu_pad_util_make (bin, "videoscale", error)) ||
      !(rate = mcu_pad_util_make (bin, "videorate", error)) ||
      !(convert = mcu_pad_util_make (bin, "videoconvert", error)) ||
      !(self->encoder = make_encoder (self, &encoded, error)) ||
      !(self->tee = mcu_pad_util_make (bin, "tee", error))) {
    if (encoded)
      gst_caps_unref (encoded);
    if (!queue)
      g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
          "GStreamer element queue is missing (install its plugin)");
    return FALSE;
  }
  g_object_set (queue, "max-size-buffers", 1, "max-size-bytes", 0,
      "max-size-time", (guint64)0, NULL);
  gst_util_set_object_arg (G_OBJECT (queue), "leaky", "downstream");
  g_object_set (rate, "drop-only", TRUE, NULL);
  g_object_set (self->tee, "allow-not-linked", TRUE, NULL);
  raw_caps = make_caps (
      bin, gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420",
               "width", G_TYPE_INT, p->width, "height", G_TYPE_INT, p->height,
               "framerate", GST_TYPE_FRACTION, p->framerate, 1,
               "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL));
  enc_caps = make_caps (bin, encoded);
  if (!gst_element_link_many (queue, scale, rate, convert, raw_caps,
          self->encoder, enc_caps, self->tee, NULL)) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot link the encoder group");
    return FALSE;
  }
  pad = gst_element_get_static_pad (queue, "sink");
  /* Serialized queries never enter the group's queue: GstQueue holds them
   * with the frames and its thread asks downstream while the asker (the
   * view's output thread, through the view's tee) waits; the group going
   * (its last member left) flushes the queue, wakes the asker, which frees
   * the query while the queue's thread is still inside the encoder's
   * propose_allocation with it. Answered here instead: no pool (the view's
   * compositor uses its own), video meta accepted (the scaler and the
   * encoder read strides from it), nothing to drain (a leaky queue of one
   * frame; the encoder is drained when the group stops). */
  mcu_pad_util_answer_queries (pad);
  gst_element_add_pad (self->bin, gst_ghost_pad_new ("sink", pad));
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (self->encoder, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_raw_frame, self, NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (enc_caps, "src");
  gst_pad_add_probe (
      pad, GST_PAD_PROBE_TYPE_BUFFER, on_encoded_frame, self, NULL);
  gst_pad_add_probe (
      pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_upstream_event, self, NULL);
  gst_object_unref (pad);
  return TRUE;
}

McuEncoderGroup *
mcu_encoder_group_new (
    const McuVideoProfile *profile, const gchar *name, GError **error)
{
  g_autoptr (McuEncoderGroup) self =
      g_object_new (MCU_TYPE_ENCODER_GROUP, NULL);

  g_return_val_if_fail (profile->width && profile->height, NULL);
  g_return_val_if_fail (profile->framerate, NULL);
  self->profile = *profile;
  self->bin = gst_object_ref_sink (gst_bin_new (name));
  if (!build (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

const McuVideoProfile *
mcu_encoder_group_get_profile (McuEncoderGroup *self)
{
  return &self->profile;
}

GstElement *
mcu_encoder_group_get_bin (McuEncoderGroup *self)
{
  return self->bin;
}

/* The queue first: its thread would otherwise go on pushing into elements
 * that are stopping (the bin stops its children sinks first), and one with
 * a renegotiation pending (a member joined) fails it against a flushing pad:
 * "not negotiated", then an error from the queue. */
void
mcu_encoder_group_stop (McuEncoderGroup *self)
{
  gst_element_set_state (self->queue, GST_STATE_NULL);
  gst_element_set_state (self->bin, GST_STATE_NULL);
}

gboolean
mcu_encoder_group_add_member (
    McuEncoderGroup *self, GstPad *sink, GError **error)
{
  GstPad *tee_pad, *ghost;

  g_return_val_if_fail (!g_hash_table_contains (self->members, sink), FALSE);
  tee_pad = mcu_pad_util_request_tee_pad (self->tee);
  ghost = gst_ghost_pad_new (NULL, tee_pad);
  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (self->bin, ghost);
  if (gst_pad_link (ghost, sink) != GST_PAD_LINK_OK) {
    gst_element_remove_pad (self->bin, ghost);
    gst_element_release_request_pad (self->tee, tee_pad);
    gst_object_unref (tee_pad);
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot link a member to encoder group %s",
        GST_OBJECT_NAME (self->bin));
    return FALSE;
  }
  gst_object_unref (tee_pad);
  g_hash_table_insert (
      self->members, gst_object_ref (sink), gst_object_ref (ghost));
  /* a joiner needs a keyframe now, whatever the rate limit says */
  mcu_encoder_group_request_keyframe (self, FALSE);
  return TRUE;
}

void
mcu_encoder_group_remove_member (McuEncoderGroup *self, GstPad *sink)
{
  GstPad *ghost = g_hash_table_lookup (self->members, sink);
  GstPad *tee_pad;

  if (ghost == NULL)
    return;
  tee_pad = gst_ghost_pad_get_target (GST_GHOST_PAD (ghost));
  gst_pad_unlink (ghost, sink);
  /* releasing the tee pad waits for a push into it to finish */
  if (tee_pad) {
    gst_element_release_request_pad (self->tee, tee_pad);
    gst_object_unref (tee_pad);
  }
  gst_pad_set_active (ghost, FALSE);
  gst_element_remove_pad (self->bin, ghost);
  g_hash_table_remove (self->members, sink);
}

guint
mcu_encoder_group_get_n_members (McuEncoderGroup *self)
{
  return g_hash_table_size (self->members);
}

/* ---- taps (recordings, streams) ---- */

static void
tap_branch_remove (McuEncoderGroup *self)
{
  GstPad *sink;

  if (self->tap_src == NULL)
    return;
  sink = gst_element_get_static_pad (self->tap_el[0], "sink");
  gst_pad_unlink (self->tap_src, sink);
  gst_object_unref (sink);
  /* releasing the tee pad waits for a push into it to finish */
  gst_element_release_request_pad (self->tee, self->tap_src);
  g_clear_object (&self->tap_src);
  for (guint i = 0; i < G_N_ELEMENTS (self->tap_el); i++) {
    gst_element_set_locked_state (self->tap_el[i], TRUE);
    gst_element_set_state (self->tap_el[i], GST_STATE_NULL);
    gst_bin_remove (GST_BIN (self->bin), self->tap_el[i]);
    self->tap_el[i] = NULL;
  }
}

/* Playing before it is linked (a frame pushed into an inactive pad gets
 * FLUSHING, which the tee would pass up to the encoder). */
static gboolean
tap_branch_add (McuEncoderGroup *self)
{
  GstPad *sink;
  GstElement **e = self->tap_el;
  gboolean ok;

  if (self->tap_src)
    return TRUE;
  e[0] = gst_element_factory_make ("queue", NULL);
  e[1] = gst_element_factory_make ("h264parse", NULL);
  e[2] = mcu_mix_taps_make_sink (self->taps, NULL);
  if (!e[0] || !e[1] || !e[2]) {
    for (guint i = 0; i < 3; i++)
      if (e[i])
        gst_object_unref (gst_object_ref_sink (e[i]));
    memset (self->tap_el, 0, sizeof self->tap_el);
    return FALSE;
  }
  g_object_set (e[0], "max-size-buffers", 8, "max-size-bytes", 0,
      "max-size-time", (guint64)0, NULL);
  gst_util_set_object_arg (G_OBJECT (e[0]), "leaky", "downstream");
  g_object_set (e[1], "config-interval", -1, NULL);
  gst_bin_add_many (GST_BIN (self->bin), e[0], e[1], e[2], NULL);
  ok = gst_element_link_many (e[0], e[1], e[2], NULL);
  for (guint i = 3; i-- > 0;)
    gst_element_sync_state_with_parent (e[i]);
  sink = gst_element_get_static_pad (e[0], "sink");
  mcu_pad_util_answer_queries (sink); /* as the group's input: see build */
  self->tap_src = mcu_pad_util_request_tee_pad (self->tee);
  ok = ok && gst_pad_link (self->tap_src, sink) == GST_PAD_LINK_OK;
  gst_object_unref (sink);
  if (!ok)
    g_warning ("cannot tap encoder group %s", GST_OBJECT_NAME (self->bin));
  return ok;
}

guint
mcu_encoder_group_add_tap (McuEncoderGroup *self, McuMixTapFunc func,
    gpointer data, GDestroyNotify destroy)
{
  g_return_val_if_fail (self->profile.codec == MCU_VIDEO_CODEC_H264, 0);
  if (!tap_branch_add (self)) {
    tap_branch_remove (self);
    if (destroy)
      destroy (data);
    return 0;
  }
  return mcu_mix_taps_add (self->taps, func, data, destroy);
}

void
mcu_encoder_group_remove_tap (McuEncoderGroup *self, guint id)
{
  mcu_mix_taps_remove (self->taps, id);
  if (mcu_mix_taps_get_n (self->taps) == 0)
    tap_branch_remove (self);
}

guint
mcu_encoder_group_get_n_taps (McuEncoderGroup *self)
{
  return mcu_mix_taps_get_n (self->taps);
}
