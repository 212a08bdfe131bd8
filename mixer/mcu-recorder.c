/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a recording: its own pipeline, fed by taps on the room's mixes.
 *
 *   audio mix "full-mix" tap -> appsrc -> audioconvert -> opusenc -----\
 *   (live outputs: the room's shared AAC, mcu-audio-encode.c, tapped)
 *   video mix view tap -> appsrc -> videoscale -> I420 WxH -> x264enc --+->
 *     matroskamux (clusters of <= 1 s) -> filesink (unbuffered)
 *
 * Time: a tap hands each buffer with its time on the system clock (both
 * room pipelines run on it); the file's time is that minus the start, so
 * audio and video line up whatever their pipelines' base times, and a
 * rebuild of the room's audio elements changes nothing. Buffers before the
 * start or from the stop on are dropped; a stream whose tap saw the stop
 * ends (EOS), and the file is finished when both have.
 *
 * Crash safety: the muxer writes a cluster at least every second and the
 * file sink writes through, so after a kill the file holds everything up
 * to about a second before it (the demuxer finds the clusters without the
 * index written at the end).
 *
 * Errors: an error on the recording's own pipeline (disk full, write
 * error) fails the recording ("failed"); its taps are removed, the room
 * goes on. Threads: taps run on the rooms' streaming threads and touch
 * only the fields under @lock and the appsrcs (thread-safe); everything
 * else runs on the main thread. */
#include "mcu-recorder.h"
#include "mcu-mixer-error.h"
#include "mcu-video-encode.h"

#include <gst/app/app.h>
#include <gst/base/base.h>
#include <gst/video/video.h>

#define STOP_TIMEOUT_MS 3000
#define LIVE_LATENCY    (300 * GST_MSECOND)
/* The room's audio is timed by when each caller's packets arrive, which is
 * when their last sample was captured: a 20 ms packet began 20 ms before.
 * A video frame goes out as soon as it is captured (and encoded). The mix
 * is placed this much earlier in the file, so a clap's sound and picture
 * line up (tests/integration/test_recording.py measures it). */
#define AUDIO_PACKET_NS (20 * GST_MSECOND)
/* An Opus caller with in-band FEC (the usual: every softphone here offers
 * it) has its audio stamped one packet later again, when its decoder lets
 * it out (mcu-audio-decode.c: decoder_hold_ms), and mixed that much later:
 * taken off too. (A caller without FEC is mixed a packet earlier and
 * recorded 20 ms early: the mix has one time for everyone.) */
#define AUDIO_DECODER_HOLD_NS (20 * GST_MSECOND)
/* The compositor shows in its frame at T the pictures that arrived in
 * [T, T + frame): on average half a frame after T. A composed frame is
 * placed at the middle of the time it shows, so that the error of where an
 * event's picture lands against its sound is within +-half a frame
 * (inherent to the frame rate) instead of 0 to a whole frame early. */

enum
{
  STREAM_AUDIO,
  STREAM_VIDEO,
  N_STREAMS
};

typedef struct
{
  GstElement *src;    /* appsrc */
  GstCaps *caps;      /* under lock: the caps last set on src */
  gboolean ended;     /* under lock: EOS sent */
  gboolean keyed;     /* under lock: H.264 from a key frame on is going in */
  GstClockTime asked; /* under lock: when a first key frame was asked for */
  guint tap;          /* main thread: the tap's id, 0 = none */
} Stream;

typedef struct
{
  McuRecorder *self; /* (weak): the taps are removed before it goes */
  guint index;
} TapCtx;

struct _McuRecorder
{
  GObject parent_instance;

  McuRecorderOptions options;
  gchar *path;
  McuAudioMix *audio;
  McuVideoMix *video;     /* (nullable) */
  McuVideoEncode *encode; /* (nullable) its H.264, shared */
  gulong encode_failed;
  McuAudioEncode *aac; /* (nullable) live outputs: its AAC, shared */
  gulong aac_failed;
  GstElement *pipeline;
  guint bus_watch;
  guint stop_timer;
  McuRecorderState state;
  gchar *error;
  GstClock *clock;

  GMutex lock;
  GstClockTime start; /* system clock time of the file's 0 */
  GstClockTime stop;  /* under lock: NONE while recording */
  Stream streams[N_STREAMS];
};

G_DEFINE_FINAL_TYPE (McuRecorder, mcu_recorder, G_TYPE_OBJECT)

enum
{
  SIGNAL_STOPPED,
  SIGNAL_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
remove_taps (McuRecorder *self)
{
  if (self->streams[STREAM_AUDIO].tap && self->aac)
    mcu_audio_encode_remove_tap (self->aac, self->streams[STREAM_AUDIO].tap);
  else if (self->streams[STREAM_AUDIO].tap)
    mcu_audio_mix_remove_tap (self->audio, self->streams[STREAM_AUDIO].tap);
  if (self->streams[STREAM_VIDEO].tap)
    mcu_video_encode_remove_tap (self->encode, self->streams[STREAM_VIDEO].tap);
  self->streams[STREAM_AUDIO].tap = self->streams[STREAM_VIDEO].tap = 0;
}

static void
shut_down (McuRecorder *self)
{
  remove_taps (self);
  g_clear_handle_id (&self->stop_timer, g_source_remove);
  g_clear_handle_id (&self->bus_watch, g_source_remove);
  if (self->pipeline) {
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
    g_clear_object (&self->pipeline);
  }
}

static void
mcu_recorder_dispose (GObject *object)
{
  McuRecorder *self = MCU_RECORDER (object);

  shut_down (self);
  g_clear_object (&self->audio);
  if (self->encode)
    g_clear_signal_handler (&self->encode_failed, self->encode);
  g_clear_object (&self->encode);
  if (self->aac)
    g_clear_signal_handler (&self->aac_failed, self->aac);
  g_clear_object (&self->aac);
  g_clear_object (&self->video);
  g_clear_object (&self->clock);
  G_OBJECT_CLASS (mcu_recorder_parent_class)->dispose (object);
}

static void
mcu_recorder_finalize (GObject *object)
{
  McuRecorder *self = MCU_RECORDER (object);

  for (guint i = 0; i < N_STREAMS; i++)
    gst_clear_caps (&self->streams[i].caps);
  g_mutex_clear (&self->lock);
  g_free (self->path);
  g_free (self->error);
  G_OBJECT_CLASS (mcu_recorder_parent_class)->finalize (object);
}

static void
mcu_recorder_class_init (McuRecorderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_recorder_dispose;
  object_class->finalize = mcu_recorder_finalize;
  signals[SIGNAL_STOPPED] = g_signal_new ("stopped", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
mcu_recorder_init (McuRecorder *self)
{
  g_mutex_init (&self->lock);
  self->stop = GST_CLOCK_TIME_NONE;
  for (guint i = 0; i < N_STREAMS; i++)
    self->streams[i].asked = GST_CLOCK_TIME_NONE;
}

/* ---- the taps (streaming threads) ---- */

static GstClockTime
half_frame (McuRecorder *self, GstBuffer *buffer)
{
  if (buffer && GST_BUFFER_DURATION_IS_VALID (buffer))
    return GST_BUFFER_DURATION (buffer) / 2;
  return self->options.framerate ? gst_util_uint64_scale (GST_SECOND, 1,
                                       2 * self->options.framerate)
                                 : 0;
}

static void
on_tap (
    GstBuffer *buffer, GstCaps *caps, GstClockTime clock_time, gpointer data)
{
  TapCtx *ctx = data;
  McuRecorder *self = ctx->self;
  Stream *st = &self->streams[ctx->index];
  GstBuffer *out;
  gboolean ask = FALSE;

  /* (never backwards at the start: an early time becomes 0) */
  if (ctx->index == STREAM_AUDIO)
    clock_time = clock_time > AUDIO_PACKET_NS + AUDIO_DECODER_HOLD_NS
                     ? clock_time - (AUDIO_PACKET_NS + AUDIO_DECODER_HOLD_NS)
                     : 0;
  if (ctx->index == STREAM_VIDEO)
    clock_time += half_frame (self, buffer);
  g_mutex_lock (&self->lock);
  if (st->ended || clock_time < self->start)
    goto out;
  if (clock_time >= self->stop) {
    st->ended = TRUE;
    gst_app_src_end_of_stream (GST_APP_SRC (st->src));
    goto out;
  }
  /* the shared H.264: from a key frame on */
  if (ctx->index == STREAM_VIDEO && !st->keyed) {
    /* the key frame asked for when tapped may be of a picture from before
     * the start (a busy encoder lags): asked for again, twice a second */
    if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT)) {
      if (!GST_CLOCK_TIME_IS_VALID (st->asked) ||
          clock_time >= st->asked + GST_SECOND / 2) {
        st->asked = clock_time;
        ask = TRUE;
      }
      goto out;
    }
    st->keyed = TRUE;
  }
  if (caps && (st->caps == NULL || !gst_caps_is_equal (st->caps, caps))) {
    gst_caps_replace (&st->caps, caps);
    gst_app_src_set_caps (GST_APP_SRC (st->src), caps);
  }
  out = gst_buffer_copy (buffer); /* the memory is shared */
  GST_BUFFER_PTS (out) = clock_time - self->start;
  /* no B-frames: decoded in the order shown */
  GST_BUFFER_DTS (out) =
      ctx->index == STREAM_VIDEO ? GST_BUFFER_PTS (out) : GST_CLOCK_TIME_NONE;
  GST_BUFFER_OFFSET (out) = GST_BUFFER_OFFSET_NONE;
  /* the room's flags are not the file's, but for which frames are key */
  GST_BUFFER_FLAGS (out) &= GST_BUFFER_FLAG_DELTA_UNIT;
  gst_app_src_push_buffer (GST_APP_SRC (st->src), out);
out:
  g_mutex_unlock (&self->lock);
  if (ask)
    mcu_video_encode_request_key_frame (self->encode, GST_CLOCK_TIME_NONE);
}

/* ---- the pipeline (main thread) ---- */

static void
finish (McuRecorder *self, McuRecorderState state, const gchar *message)
{
  if (self->state == MCU_RECORDER_STOPPED || self->state == MCU_RECORDER_FAILED)
    return;
  g_mutex_lock (&self->lock);
  if (!GST_CLOCK_TIME_IS_VALID (self->stop))
    self->stop = gst_clock_get_time (self->clock);
  g_mutex_unlock (&self->lock);
  shut_down (self);
  self->state = state;
  if (state == MCU_RECORDER_FAILED) {
    self->error = g_strdup (message);
    g_signal_emit (self, signals[SIGNAL_FAILED], 0, message);
  } else {
    g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
  }
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *msg, gpointer data)
{
  McuRecorder *self = data;
  g_autoptr (GError) err = NULL;
  g_autofree gchar *debug = NULL;
  g_autofree gchar *message = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_WARNING:
      /* srtsink (1.22) reconnects by itself when the far end is not there
       * or goes, with only a warning: the far end would get no key frame,
       * and the stream would neither back off nor say so. It fails
       * instead; the stream connects anew (mcu-streams.c). */
      if (self->options.output != MCU_RECORDER_SRT ||
          !GST_IS_BASE_SINK (GST_MESSAGE_SRC (msg)))
        return G_SOURCE_CONTINUE;
      gst_message_parse_warning (msg, &err, &debug);
      message = g_strdup_printf ("%s: %s", self->path, err->message);
      g_message ("stream failed: %s", message);
      self->bus_watch = 0;
      finish (self, MCU_RECORDER_FAILED, message);
      return G_SOURCE_REMOVE;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &err, &debug);
      message = g_strdup_printf ("%s: %s", self->path, err->message);
      g_warning ("recording failed: %s (%s)", message, debug ? debug : "");
      self->bus_watch = 0; /* removed by returning REMOVE */
      finish (self, MCU_RECORDER_FAILED, message);
      return G_SOURCE_REMOVE;
    case GST_MESSAGE_EOS:
      self->bus_watch = 0;
      finish (self, MCU_RECORDER_STOPPED, NULL);
      return G_SOURCE_REMOVE;
    default:
      return G_SOURCE_CONTINUE;
  }
}

static GstElement *
add (McuRecorder *self, const gchar *factory, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e == NULL) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot record: GStreamer element %s is missing", factory);
    return NULL;
  }
  gst_bin_add (GST_BIN (self->pipeline), e);
  return e;
}

static GstElement *
make_src (McuRecorder *self, Stream *st, GError **error)
{
  if (!(st->src = add (self, "appsrc", error)))
    return NULL;
  /* never blocks the room: beyond 2 s queued, new buffers are dropped */
  g_object_set (st->src, "format", GST_FORMAT_TIME, "is-live",
      self->options.output != MCU_RECORDER_FILE, "block", FALSE, "max-bytes",
      (guint64)0, "max-buffers", (guint64)0, "max-time",
      (guint64)2 * GST_SECOND, NULL);
  gst_util_set_object_arg (G_OBJECT (st->src), "leaky-type", "upstream");
  /* live: what comes in was encoded elsewhere (the shared H.264 and AAC,
   * mcu-video-encode.c, mcu-audio-encode.c) after the room's own delay,
   * none of which this pipeline's latency query sees: said here, so that
   * the muxer (a live aggregator) waits for both streams instead of
   * timing out without the later one (gaps and noise in the AAC of an
   * MPEG-TS, seen at the SRT listener). Not for RTMP: flvmux with it
   * sent nothing a player could start on (test_streaming's first pull) */
  if (self->options.output == MCU_RECORDER_SRT ||
      self->options.output == MCU_RECORDER_HLS)
    g_object_set (st->src, "min-latency", (gint64)LIVE_LATENCY, NULL);
  return st->src;
}

/* The muxer's pad for the audio or the video. */
static const gchar *
mux_pad (McuRecorder *self, gboolean video)
{
  switch (self->options.output) {
    case MCU_RECORDER_FILE:
      if (self->options.segment_seconds || self->options.segment_kb)
        return video ? "video" : "audio_%u"; /* splitmuxsink */
      return video ? "video_%u" : "audio_%u";
    case MCU_RECORDER_SRT:
      return "sink_%d";
    default:
      return video ? "video" : "audio";
  }
}

static gboolean
link_chain (McuRecorder *self, GstElement **chain, guint n, GstElement *mux,
    gboolean video, GError **error)
{
  for (guint i = 0; i + 1 < n; i++)
    if (!gst_element_link (chain[i], chain[i + 1]))
      goto failed;
  if (gst_element_link_pads (chain[n - 1], "src", mux, mux_pad (self, video)))
    return TRUE;
failed:
  g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
      "cannot link the recording pipeline");
  return FALSE;
}

/* Opus in files; AAC (FLV, MPEG-TS) for live streams, encoded once for
 * the room (self->aac): appsrc -> queue -> aacparse -> muxer. */
static gboolean
build_audio (McuRecorder *self, GstElement *mux, GError **error)
{
  GstElement *c[5];

  if (!make_src (self, &self->streams[STREAM_AUDIO], error))
    return FALSE;
  c[0] = self->streams[STREAM_AUDIO].src;
  if (!(c[1] = add (self, "queue", error)))
    return FALSE;
  if (self->aac) {
    if (!(c[2] = add (self, "aacparse", error)))
      return FALSE;
    return link_chain (self, c, 3, mux, FALSE, error);
  }
  if (!(c[2] = add (self, "audioconvert", error)) ||
      !(c[3] = add (self, "audioresample", error)) ||
      !(c[4] = add (self, "opusenc", error)))
    return FALSE;
  g_object_set (c[4], "bitrate", 64000, NULL);
  return link_chain (self, c, 5, mux, FALSE, error);
}

/* A key frame asked for downstream (splitmuxsink's cuts) is the shared
 * encode's to make. */
static GstPadProbeReturn
on_video_upstream (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  McuRecorder *self = data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstClockTime running = GST_CLOCK_TIME_NONE, at = GST_CLOCK_TIME_NONE;

  if (!gst_video_event_is_force_key_unit (event))
    return GST_PAD_PROBE_OK;
  /* our running time is the file's: clock time minus the start (and the
   * half frame the pictures are placed later, see on_tap) */
  if (gst_video_event_parse_upstream_force_key_unit (
          event, &running, NULL, NULL) &&
      GST_CLOCK_TIME_IS_VALID (running))
    at = running + self->start - half_frame (self, NULL);
  mcu_video_encode_request_key_frame (self->encode, at);
  return GST_PAD_PROBE_OK;
}

/* The H.264 of the view comes encoded (mcu-video-encode.c: shared with
 * the room's other recordings and streams at the same size):
 * appsrc -> queue -> h264parse (to the muxer's format) -> muxer. */
static gboolean
build_video (McuRecorder *self, GstElement *mux, GError **error)
{
  GstElement *c[3];
  g_autoptr (GstPad) pad = NULL;

  if (!make_src (self, &self->streams[STREAM_VIDEO], error))
    return FALSE;
  c[0] = self->streams[STREAM_VIDEO].src;
  if (!(c[1] = add (self, "queue", error)) ||
      !(c[2] = add (self, "h264parse", error)))
    return FALSE;
  pad = gst_element_get_static_pad (c[0], "src");
  gst_pad_add_probe (
      pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_video_upstream, self, NULL);
  return link_chain (self, c, 3, mux, TRUE, error);
}

/* mpegtsmux (1.22) marks the packets of a key frame as stream headers,
 * and srtsink drops header buffers (it sends the caps' stream headers on
 * connecting): no key frame would ever reach the far end. */
static gboolean
unset_header (GstBuffer **buf, guint idx, gpointer data)
{
  if (GST_BUFFER_FLAG_IS_SET (*buf, GST_BUFFER_FLAG_HEADER)) {
    *buf = gst_buffer_make_writable (*buf);
    GST_BUFFER_FLAG_UNSET (*buf, GST_BUFFER_FLAG_HEADER);
  }
  return TRUE;
}

static GstPadProbeReturn
on_ts_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list =
        gst_buffer_list_make_writable (GST_PAD_PROBE_INFO_BUFFER_LIST (info));

    gst_buffer_list_foreach (list, unset_header, NULL);
    GST_PAD_PROBE_INFO_DATA (info) = list;
  } else {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

    unset_header (&buf, 0, NULL);
    GST_PAD_PROBE_INFO_DATA (info) = buf;
  }
  return GST_PAD_PROBE_OK;
}

/* splitmuxsink: the name of segment @id (path is segment 0's, .000.). */
static gchar *
on_format_location (GstElement *split, guint id, McuRecorder *self)
{
  const gchar *at = g_strrstr (self->path, ".000.");
  g_autofree gchar *prefix = g_strndup (self->path, at - self->path);

  return g_strdup_printf ("%s.%03u.%s", prefix, id, at + 5);
}

/* Segments: splitmuxsink over the same crash-safe Matroska, each segment
 * a whole file (it muxes itself: its pads take the encoders). */
static gboolean
build_segments (McuRecorder *self, GstElement **mux, GError **error)
{
  GstElement *inner, *sink;

  if (!(*mux = add (self, "splitmuxsink", error)))
    return FALSE;
  inner = gst_element_factory_make ("matroskamux", NULL);
  sink = gst_element_factory_make ("filesink", NULL);
  if (!inner || !sink) {
    g_clear_object (&inner);
    g_clear_object (&sink);
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot record: matroskamux or filesink is missing");
    return FALSE;
  }
  g_object_set (inner, "min-cluster-duration", (gint64)GST_SECOND,
      "max-cluster-duration", (gint64)GST_SECOND, NULL);
  gst_util_set_object_arg (G_OBJECT (sink), "buffer-mode", "unbuffered");
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  g_object_set (*mux, "muxer", inner, "sink", sink, "max-size-time",
      (guint64)self->options.segment_seconds * GST_SECOND, "max-size-bytes",
      (guint64)self->options.segment_kb * 1000, "send-keyframe-requests",
      self->options.segment_seconds > 0, NULL);
  g_signal_connect (
      *mux, "format-location", G_CALLBACK (on_format_location), self);
  return TRUE;
}

/* The muxer and the sink of the output: @mux gets the encoders. */
static gboolean
build_output (McuRecorder *self, GstElement **mux, GError **error)
{
  GstElement *sink = NULL;
  g_autofree gchar *segments = NULL, *playlist = NULL;
  g_autoptr (GstPad) pad = NULL;

  switch (self->options.output) {
    case MCU_RECORDER_FILE:
      if (self->options.segment_seconds || self->options.segment_kb)
        return build_segments (self, mux, error);
      if (!(*mux = add (self, "matroskamux", error)) ||
          !(sink = add (self, "filesink", error)))
        return FALSE;
      /* a cluster at least every second: what a kill can lose */
      g_object_set (*mux, "min-cluster-duration", (gint64)GST_SECOND,
          "max-cluster-duration", (gint64)GST_SECOND, NULL);
      g_object_set (sink, "location", self->path, NULL);
      gst_util_set_object_arg (G_OBJECT (sink), "buffer-mode", "unbuffered");
      break;
    case MCU_RECORDER_RTMP:
      if (!(*mux = add (self, "flvmux", error)) ||
          !(sink = add (self, "rtmp2sink", error)))
        return FALSE;
      g_object_set (*mux, "streamable", TRUE, NULL);
      g_object_set (sink, "location", self->path, NULL);
      break;
    case MCU_RECORDER_SRT:
      if (!(*mux = add (self, "mpegtsmux", error)) ||
          !(sink = add (self, "srtsink", error)))
        return FALSE;
      g_object_set (
          sink, "uri", self->path, "wait-for-connection", FALSE, NULL);
      pad = gst_element_get_static_pad (sink, "sink");
      gst_pad_add_probe (pad,
          GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
          on_ts_buffer, NULL, NULL);
      break;
    case MCU_RECORDER_HLS:
      /* hlssink2 muxes itself: its pads take the encoders */
      if (!(*mux = add (self, "hlssink2", error)))
        return FALSE;
      segments = g_build_filename (self->path, "segment%05d.ts", NULL);
      playlist = g_build_filename (self->path, "playlist.m3u8", NULL);
      g_object_set (*mux, "location", segments, "playlist-location", playlist,
          "target-duration", 2u, "max-files", 10u, "playlist-length", 5u, NULL);
      return TRUE;
  }
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  if (!gst_element_link (*mux, sink)) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot link the recording pipeline");
    return FALSE;
  }
  return TRUE;
}

static gboolean
build (McuRecorder *self, GError **error)
{
  GstElement *mux = NULL;
  g_autoptr (GstBus) bus = NULL;

  self->pipeline = gst_pipeline_new ("recording");
  if (!build_output (self, &mux, error))
    return FALSE;
  /* the video first: in MPEG-TS its stream then carries the clock (PCR),
   * and the tables (PAT, PMT) go out right before each key frame, which
   * is where a receiver (or an HLS segment) starts */
  if (self->video && !build_video (self, mux, error))
    return FALSE;
  if (!build_audio (self, mux, error))
    return FALSE;
  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_watch = gst_bus_add_watch (bus, on_bus_message, self);
  return TRUE;
}

static guint
add_tap (McuRecorder *self, guint index, GError **error)
{
  TapCtx *ctx = g_new0 (TapCtx, 1);

  ctx->self = self;
  ctx->index = index;
  if (index == STREAM_AUDIO && self->aac)
    return mcu_audio_encode_add_tap (self->aac, on_tap, ctx, g_free);
  if (index == STREAM_AUDIO)
    return mcu_audio_mix_add_tap (self->audio, on_tap, ctx, g_free);
  return mcu_video_encode_add_tap (self->encode, on_tap, ctx, g_free);
}

static void
on_encode_failed (McuRecorder *self, const gchar *message)
{
  g_autofree gchar *text = g_strdup_printf ("%s: %s", self->path, message);

  finish (self, MCU_RECORDER_FAILED, text);
}

McuRecorder *
mcu_recorder_new (const McuRecorderOptions *options, McuAudioMix *audio,
    McuVideoMix *video, GError **error)
{
  g_autoptr (McuRecorder) self = g_object_new (MCU_TYPE_RECORDER, NULL);
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileOutputStream) out = NULL;

  g_return_val_if_fail (options->path && options->width >= 16 &&
                            options->height >= 16 && options->bitrate > 0,
      NULL);
  g_return_val_if_fail (
      (options->segment_seconds == 0 && options->segment_kb == 0) ||
          (options->output == MCU_RECORDER_FILE &&
              g_strrstr (options->path, ".000.")),
      NULL);
  self->options = *options;
  self->path = g_strdup (options->path);
  self->options.path = self->path;
  self->audio = g_object_ref (audio);
  self->video = video ? g_object_ref (video) : NULL;
  if (video) {
    McuVideoEncodeOptions eo = { options->width, options->height,
      options->framerate, options->bitrate, options->reuse_encoder };

    if (!(self->encode = mcu_video_encode_get (video, &eo, error)))
      return NULL;
    self->encode_failed = g_signal_connect_swapped (
        self->encode, "failed", G_CALLBACK (on_encode_failed), self);
  }
  if (options->output != MCU_RECORDER_FILE) {
    self->aac = options->aac ? g_object_ref (options->aac)
                             : mcu_audio_encode_new (audio, 128000, error);
    if (self->aac == NULL)
      return NULL;
    self->aac_failed = g_signal_connect_swapped (
        self->aac, "failed", G_CALLBACK (on_encode_failed), self);
  }
  self->options.aac = NULL; /* self->aac holds it */
  self->clock = gst_system_clock_obtain ();
  /* created here, never over another file: a clear error for a bad
   * directory before anything runs */
  if (options->output == MCU_RECORDER_FILE) {
    file = g_file_new_for_path (self->path);
    if (!(out = g_file_create (file, G_FILE_CREATE_NONE, NULL, error)))
      return NULL;
    g_output_stream_close (G_OUTPUT_STREAM (out), NULL, NULL);
  }
  if (!build (self, error))
    return NULL;
  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "the recording pipeline would not start");
    return NULL;
  }
  self->start = gst_clock_get_time (self->clock);
  if (!(self->streams[STREAM_AUDIO].tap = add_tap (self, STREAM_AUDIO, error)))
    return NULL;
  if (self->video &&
      !(self->streams[STREAM_VIDEO].tap = add_tap (self, STREAM_VIDEO, error)))
    return NULL;
  return g_steal_pointer (&self);
}

/* The taps did not see the stop in time (a room that went quiet for good,
 * its pipeline stopped): end the streams that are still open. */
static gboolean
on_stop_timeout (gpointer data)
{
  McuRecorder *self = data;

  self->stop_timer = 0;
  remove_taps (self);
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < N_STREAMS; i++)
    if (self->streams[i].src && !self->streams[i].ended) {
      self->streams[i].ended = TRUE;
      gst_app_src_end_of_stream (GST_APP_SRC (self->streams[i].src));
    }
  g_mutex_unlock (&self->lock);
  return G_SOURCE_REMOVE;
}

void
mcu_recorder_stop (McuRecorder *self)
{
  if (self->state != MCU_RECORDER_RECORDING)
    return;
  self->state = MCU_RECORDER_STOPPING;
  g_mutex_lock (&self->lock);
  self->stop = gst_clock_get_time (self->clock);
  g_mutex_unlock (&self->lock);
  self->stop_timer = g_timeout_add (STOP_TIMEOUT_MS, on_stop_timeout, self);
}

void
mcu_recorder_stop_now (McuRecorder *self)
{
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) msg = NULL;

  if (self->state != MCU_RECORDER_RECORDING &&
      self->state != MCU_RECORDER_STOPPING)
    return;
  mcu_recorder_stop (self);
  g_clear_handle_id (&self->stop_timer, g_source_remove);
  on_stop_timeout (self);
  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  msg = gst_bus_timed_pop_filtered (
      bus, 3 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    finish (self, MCU_RECORDER_FAILED, err->message);
    return;
  }
  finish (self, MCU_RECORDER_STOPPED, NULL);
}

McuRecorderState
mcu_recorder_get_state (McuRecorder *self)
{
  return self->state;
}

const gchar *
mcu_recorder_state_to_string (McuRecorderState state)
{
  static const gchar *const names[] = { "recording", "stopping", "stopped",
    "failed" };

  return state < G_N_ELEMENTS (names) ? names[state] : "unknown";
}

gboolean
mcu_recorder_has_video (McuRecorder *self)
{
  return self->video != NULL;
}

GstClockTime
mcu_recorder_get_duration (McuRecorder *self)
{
  GstClockTime end;

  g_mutex_lock (&self->lock);
  end = self->stop;
  g_mutex_unlock (&self->lock);
  if (!GST_CLOCK_TIME_IS_VALID (end))
    end = gst_clock_get_time (self->clock);
  return end > self->start ? end - self->start : 0;
}

const gchar *
mcu_recorder_get_error (McuRecorder *self)
{
  return self->error;
}

const gchar *
mcu_recorder_get_video_encoder (McuRecorder *self)
{
  if (self->encode == NULL)
    return NULL;
  return mcu_video_encode_source_to_string (
      mcu_video_encode_get_source (self->encode));
}

guint
mcu_recorder_get_aac_outputs (McuRecorder *self)
{
  return self->aac ? mcu_audio_encode_get_n_taps (self->aac) : 0;
}
