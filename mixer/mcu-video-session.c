/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one participant's video: its codec chains around its RTP transport
 * (McuRtpEndpoint, mcu-rtp-endpoint.c: sockets, latching, rtcp-mux, SRTP,
 * RTCP feedback, jitter buffer, counters).
 *
 * Threads: the object is created, configured and destroyed on the main
 * thread. On streaming threads run the endpoint's own work (see the top of
 * mcu-rtp-endpoint.c), its "stream-linked" signal (ask the new stream for
 * a keyframe), the depayloader and decoder probes (keyframe requests until
 * one comes, frame counters) and the output probe (keyframe gate, hold,
 * counter). They touch only atomics, the fields under `lock` and GStreamer
 * objects, never rooms or SIP.
 *
 * The bin (the transport in the AVPF profile, so feedback goes out at once):
 *   transport(rtp_src) -> depay -> decoder -> video_out
 *   video_in -> payloader -> transport(rtp_sink)
 * A PLI/FIR from the caller leaves rtpbin as an upstream GstForceKeyUnit
 * event through the payloader and video_in to the encoder group, which
 * rate-limits it. After video_in is linked (joining a group) and after a
 * hold, nothing is sent until a keyframe comes by. Each participant has
 * its own transport, so members of a shared encoder group keep their own
 * SRTP context. */
#include "mcu-video-session.h"
#include "mcu-late-gate-private.h"
#include "mcu-pad-util-private.h"
#include "mcu-rtp-endpoint.h"

#include <gst/video/video.h>
#include <string.h>

#define REQUEST_AGAIN_US (250 * G_TIME_SPAN_MILLISECOND)
/* A frame later than the room's latency plus this is dropped before it is
 * decoded (mcu-late-gate-private.h): about a frame's worth of slack beyond
 * the compositor's wait. */
#define LATE_SLACK (30 * GST_MSECOND)

typedef struct
{
  const gchar *encoding_name;
  const gchar *depay, *decoder, *pay;
} CodecInfo;

static const CodecInfo codec_info[] = {
  [MCU_VIDEO_CODEC_H264] = { "H264", "rtph264depay", "avdec_h264",
      "rtph264pay" },
  [MCU_VIDEO_CODEC_VP8] = { "VP8", "rtpvp8depay", "vp8dec", "rtpvp8pay" },
};

struct _McuVideoSession
{
  GObject parent_instance;

  McuRtpEndpoint *endpoint; /* sockets, latching, SRTP, RTCP, counters */
  McuVideoParams params;
  gboolean have_params;

  GstElement *bin;
  GstElement *transport; /* (transfer none) the endpoint's, in bin */
  GstElement *depay;
  GstPad *pay_sink; /* (owned) the first pad of the output */
  gboolean sending;

  McuLateGate late;    /* in front of the decoder (its streaming thread) */
  gint need_keyframe;  /* atomic: drop output until a keyframe */
  gint64 last_request; /* the RTP thread only: monotonic us */
  gint sending_atomic; /* atomic copy of sending for the streaming thread */

  GMutex lock; /* protects stats (the endpoint keeps the packet counters) */
  McuVideoSessionStats stats;
};

G_DEFINE_FINAL_TYPE (McuVideoSession, mcu_video_session, G_TYPE_OBJECT)

static void
mcu_video_session_dispose (GObject *object)
{
  McuVideoSession *self = MCU_VIDEO_SESSION (object);

  mcu_video_session_reset_bin (self);
  g_clear_object (&self->endpoint);
  G_OBJECT_CLASS (mcu_video_session_parent_class)->dispose (object);
}

static void
mcu_video_session_finalize (GObject *object)
{
  McuVideoSession *self = MCU_VIDEO_SESSION (object);

  mcu_late_gate_clear (&self->late);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (mcu_video_session_parent_class)->finalize (object);
}

static void
mcu_video_session_class_init (McuVideoSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_video_session_dispose;
  object_class->finalize = mcu_video_session_finalize;
}

static void
mcu_video_session_init (McuVideoSession *self)
{
  g_mutex_init (&self->lock);
  self->sending = TRUE;
  self->sending_atomic = 1;
  self->need_keyframe = 1;
  mcu_late_gate_init (&self->late);
}

/* rtp_src carries a new stream (streaming thread): whatever came before is
 * lost to us, ask for a keyframe now (and again until one comes:
 * on_rtp_to_depay). */
static void
on_stream_linked (McuRtpEndpoint *endpoint, guint ssrc, McuVideoSession *self)
{
  mcu_video_session_request_keyframe (self);
}

McuVideoSession *
mcu_video_session_new (McuPortPool *pool, guint jitter_latency, GError **error)
{
  g_autoptr (McuVideoSession) self =
      g_object_new (MCU_TYPE_VIDEO_SESSION, NULL);

  self->endpoint = mcu_rtp_endpoint_new (pool, jitter_latency, error);
  if (self->endpoint == NULL)
    return NULL;
  g_signal_connect (
      self->endpoint, "stream-linked", G_CALLBACK (on_stream_linked), self);
  return g_steal_pointer (&self);
}

guint
mcu_video_session_get_rtp_port (McuVideoSession *self)
{
  return mcu_rtp_endpoint_get_rtp_port (self->endpoint);
}

guint
mcu_video_session_get_rtcp_port (McuVideoSession *self)
{
  return mcu_rtp_endpoint_get_rtcp_port (self->endpoint);
}

GstElement *
mcu_video_session_get_bin (McuVideoSession *self)
{
  return self->bin;
}

void
mcu_video_session_set_latency (McuVideoSession *self, GstClockTime latency)
{
  mcu_rtp_endpoint_set_latency (self->endpoint, latency);
  mcu_late_gate_set_budget (&self->late, latency + LATE_SLACK);
}

const McuVideoParams *
mcu_video_session_get_params (McuVideoSession *self)
{
  return self->have_params ? &self->params : NULL;
}

gboolean
mcu_video_session_params_equal (
    McuVideoSession *self, const McuVideoParams *params)
{
  return self->have_params &&
         memcmp (&self->params, params, sizeof *params) == 0;
}

gint64
mcu_video_session_get_idle_time (McuVideoSession *self)
{
  return mcu_rtp_endpoint_get_idle_time (self->endpoint);
}

void
mcu_video_session_get_stats (McuVideoSession *self, McuVideoSessionStats *stats)
{
  McuRtpEndpointCounters counters;

  mcu_rtp_endpoint_get_counters (self->endpoint, &counters);
  g_mutex_lock (&self->lock);
  *stats = self->stats;
  g_mutex_unlock (&self->lock);
  stats->packets_in = counters.packets_received;
  stats->plis_received = counters.keyframes_asked_in;
  stats->plis_sent = counters.keyframes_asked_out;
  stats->frames_late = mcu_late_gate_get_dropped (&self->late);
  stats->late_drops = mcu_late_gate_get_drops (&self->late);
}

void
mcu_video_session_set_remote (McuVideoSession *self, const gchar *address,
    guint rtp_port, guint rtcp_port)
{
  mcu_rtp_endpoint_set_remote (self->endpoint, address, rtp_port, rtcp_port);
}

static GstPadProbeReturn
on_decoded_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuVideoSession *self = user_data;

  mcu_late_gate_trace (pad, GST_PAD_PROBE_INFO_BUFFER (info), "decoded");
  g_mutex_lock (&self->lock);
  self->stats.frames_in++;
  g_mutex_unlock (&self->lock);
  return GST_PAD_PROBE_OK;
}

/* QoS from the compositor (mcu-video-view.c: it skips frames when it is
 * behind the clock) stops here: a decoder that takes it drops every frame
 * it decodes until 2 x the lateness has passed, each new QoS event pushing
 * that further (under ASan: 1.5 s ahead, no picture for 10 s). Late input
 * is the late gate's job (on_depayed), before decoding. */
static GstPadProbeReturn
on_decoder_upstream (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_QOS)
    return GST_PAD_PROBE_DROP;
  return GST_PAD_PROBE_OK;
}

/* Until the first keyframe arrives, ask again every REQUEST_AGAIN_US: the
 * first request may come before rtpsession knows the sender. */
static GstPadProbeReturn
on_rtp_to_depay (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuVideoSession *self = user_data;
  gint64 now = g_get_monotonic_time ();
  guint64 keyframes;

  g_mutex_lock (&self->lock);
  keyframes = self->stats.keyframes_in;
  g_mutex_unlock (&self->lock);
  if (keyframes == 0 && now - self->last_request >= REQUEST_AGAIN_US) {
    self->last_request = now;
    mcu_video_session_request_keyframe (self);
  }
  return GST_PAD_PROBE_OK;
}

/* Every access unit on its way to the decoder: counted, and dropped when
 * the decoder could not keep up (overload: the jitter buffer's backlog
 * would otherwise add its length to the picture's delay, for good), until
 * the keyframe asked for now (mcu-late-gate-private.h). */
static GstPadProbeReturn
on_depayed (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuVideoSession *self = user_data;
  GstBuffer *buf;

  /* the gate keeps the segment the frames after it are timed in */
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    mcu_late_gate_event (&self->late, GST_PAD_PROBE_INFO_EVENT (info));
    return GST_PAD_PROBE_OK;
  }
  buf = GST_PAD_PROBE_INFO_BUFFER (info);
  if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
    g_mutex_lock (&self->lock);
    self->stats.keyframes_in++;
    g_mutex_unlock (&self->lock);
  }
  switch (mcu_late_gate_check (&self->late, pad, buf)) {
    case MCU_LATE_GATE_PASS:
      return GST_PAD_PROBE_OK;
    case MCU_LATE_GATE_DROP_ASK_KEYFRAME:
      mcu_video_session_request_keyframe (self);
      return GST_PAD_PROBE_DROP;
    case MCU_LATE_GATE_DROP:
    default:
      return GST_PAD_PROBE_DROP;
  }
}

/* The output: nothing on hold; after a (re)start nothing until a keyframe
 * (a decoder cannot use what comes before it). */
static GstPadProbeReturn
on_output (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuVideoSession *self = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  if (!g_atomic_int_get (&self->sending_atomic)) {
    g_atomic_int_set (&self->need_keyframe, 1);
    return GST_PAD_PROBE_DROP;
  }
  if (g_atomic_int_get (&self->need_keyframe)) {
    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
      return GST_PAD_PROBE_DROP;
    g_atomic_int_set (&self->need_keyframe, 0);
  }
  g_mutex_lock (&self->lock);
  self->stats.frames_out++;
  g_mutex_unlock (&self->lock);
  return GST_PAD_PROBE_OK;
}

/* Joining an encoder group: wait for the keyframe it is about to make. */
static void
on_video_in_linked (GstPad *pad, GstPad *peer, McuVideoSession *self)
{
  g_atomic_int_set (&self->need_keyframe, 1);
}

/* What the caller sends (other payload types are dropped). */
static GstCaps *
make_pt_caps (McuVideoSession *self)
{
  const CodecInfo *ci = &codec_info[self->params.codec];
  GstCaps *caps;

  caps = gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
      "video", "clock-rate", G_TYPE_INT, 90000, "encoding-name", G_TYPE_STRING,
      ci->encoding_name, "payload", G_TYPE_INT, self->params.pt, NULL);
  /* rtpsession sends a PLI (FIR) for a GstForceKeyUnit only when these
   * are there. */
  if (self->params.fb_pli)
    gst_caps_set_simple (caps, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE, NULL);
  if (self->params.fb_fir)
    gst_caps_set_simple (caps, "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE, NULL);
  if (self->params.fb_nack)
    gst_caps_set_simple (caps, "rtcp-fb-nack", G_TYPE_BOOLEAN, TRUE, NULL);
  return caps;
}

void
mcu_video_session_request_keyframe (McuVideoSession *self)
{
  GstPad *sink;

  if (self->depay == NULL)
    return;
  sink = gst_element_get_static_pad (self->depay, "sink");
  /* all-headers: FIR when only FIR was negotiated, else PLI */
  gst_pad_push_event (sink, gst_video_event_new_upstream_force_key_unit (
                                GST_CLOCK_TIME_NONE, !self->params.fb_pli, 0));
  gst_object_unref (sink);
}

static void
add_probe (GstElement *e, const gchar *pad_name, GstPadProbeType type,
    GstPadProbeCallback cb, gpointer data)
{
  GstPad *pad = gst_element_get_static_pad (e, pad_name);

  gst_pad_add_probe (pad, type, cb, data, NULL);
  gst_object_unref (pad);
}

/* depay -> decoder -> video_out */
static gboolean
build_decoder (McuVideoSession *self, GstBin *bin, GError **error)
{
  const CodecInfo *ci = &codec_info[self->params.codec];
  GstElement *dec;
  GstPad *src;

  if (!(self->depay = mcu_pad_util_make (bin, ci->depay, error)) ||
      !(dec = mcu_pad_util_make (bin, ci->decoder, error)))
    return FALSE;
  /* after a loss: no smeared frames, ask the sender for a keyframe */
  g_object_set (
      self->depay, "request-keyframe", TRUE, "wait-for-keyframe", TRUE, NULL);
  if (self->params.codec == MCU_VIDEO_CODEC_H264)
    /* one thread, no frame-threading delay; the rooms decode in parallel */
    g_object_set (dec, "max-threads", 1, "output-corrupt", FALSE, NULL);
  g_object_set (dec, "automatic-request-sync-points", TRUE, NULL);
  if (!gst_element_link (self->depay, dec)) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot link the %s decoder", ci->encoding_name);
    return FALSE;
  }
  add_probe (
      self->depay, "sink", GST_PAD_PROBE_TYPE_BUFFER, on_rtp_to_depay, self);
  add_probe (self->depay, "src",
      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      on_depayed, self);
  add_probe (dec, "src", GST_PAD_PROBE_TYPE_BUFFER, on_decoded_frame, self);
  add_probe (
      dec, "src", GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_decoder_upstream, NULL);
  src = gst_element_get_static_pad (dec, "src");
  gst_element_add_pad (GST_ELEMENT (bin), gst_ghost_pad_new ("video_out", src));
  gst_object_unref (src);
  return TRUE;
}

/* video_in -> payloader -> transport */
static gboolean
build_payloader (McuVideoSession *self, GstBin *bin, GError **error)
{
  const CodecInfo *ci = &codec_info[self->params.codec];
  GstElement *pay;
  GstPad *ghost;

  if (!(pay = mcu_pad_util_make (bin, ci->pay, error)))
    return FALSE;
  g_object_set (pay, "pt", self->params.pt, "mtu", 1200, NULL);
  if (self->params.codec == MCU_VIDEO_CODEC_H264) {
    /* x264enc's byte-stream already repeats SPS/PPS before every IDR (a
     * joiner needs them); config-interval=-1 would insert them again
     * before every slice of a sliced (zerolatency) IDR, and receivers
     * split such an IDR into several access units. Mode 0 takes single
     * NAL units only (the encoder keeps slices under the MTU). */
    g_object_set (pay, "config-interval", 0, NULL);
    gst_util_set_object_arg (G_OBJECT (pay), "aggregate-mode",
        self->params.packetization_mode ? "zero-latency" : "none");
  }
  if (!gst_element_link_pads (pay, "src", self->transport, "rtp_sink")) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot link the %s payloader", ci->encoding_name);
    return FALSE;
  }
  self->pay_sink = gst_element_get_static_pad (pay, "sink");
  gst_pad_add_probe (
      self->pay_sink, GST_PAD_PROBE_TYPE_BUFFER, on_output, self, NULL);
  ghost = gst_ghost_pad_new ("video_in", self->pay_sink);
  g_signal_connect (ghost, "linked", G_CALLBACK (on_video_in_linked), self);
  gst_element_add_pad (GST_ELEMENT (bin), ghost);
  return TRUE;
}

/* The endpoint's transport in @bin. */
static gboolean
build_transport (McuVideoSession *self, GstBin *bin, GError **error)
{
  McuRtpEndpointParams rp = { .srtp = self->params.srtp,
    .rtcp_mux = self->params.rtcp_mux,
    .avpf = TRUE,
    .pt = self->params.pt };

  rp.pt_caps[0] = make_pt_caps (self);
  self->transport = mcu_rtp_endpoint_build (self->endpoint, &rp, error);
  gst_caps_unref (rp.pt_caps[0]);
  if (self->transport == NULL)
    return FALSE;
  gst_bin_add (bin, self->transport);
  return TRUE;
}

/* The caller's stream out of the transport into the decode chain. */
static gboolean
link_decoder (McuVideoSession *self, GError **error)
{
  if (!gst_element_link_pads (
          self->transport, "rtp_src", self->depay, "sink")) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot link the transport to the decoder");
    return FALSE;
  }
  return TRUE;
}

void
mcu_video_session_reset_bin (McuVideoSession *self)
{
  if (self->bin == NULL)
    return;
  if (GST_OBJECT_PARENT (self->bin) == NULL) {
    gst_element_set_state (self->bin, GST_STATE_NULL);
    gst_element_set_locked_state (self->bin, FALSE);
  }
  g_clear_object (&self->pay_sink);
  mcu_rtp_endpoint_reset (self->endpoint);
  self->transport = self->depay = NULL;
  g_clear_object (&self->bin);
}

void
mcu_video_session_set_srtp_keys (McuVideoSession *self,
    const McuMediaSrtpKey *send, const McuMediaSrtpKey *recv)
{
  mcu_rtp_endpoint_set_srtp_keys (self->endpoint, send, recv);
}

void
mcu_video_session_set_sending (McuVideoSession *self, gboolean send)
{
  self->sending = !!send;
  g_atomic_int_set (&self->sending_atomic, self->sending);
}

gboolean
mcu_video_session_get_sending (McuVideoSession *self)
{
  return self->sending;
}

static gboolean
params_valid (const McuVideoParams *p)
{
  return (guint)p->codec < G_N_ELEMENTS (codec_info) && p->pt <= 127 &&
         p->width >= 16 && p->width <= 4096 && p->height >= 16 &&
         p->height <= 4096 && p->framerate >= 1 && p->framerate <= 60 &&
         p->packetization_mode <= 1;
}

gboolean
mcu_video_session_set_params (
    McuVideoSession *self, const McuVideoParams *params, GError **error)
{
  g_autoptr (GstElement) bin = NULL;
  g_autofree gchar *name = g_strdup_printf (
      "video-%u", mcu_rtp_endpoint_get_rtp_port (self->endpoint));

  g_return_val_if_fail (
      self->bin == NULL || GST_OBJECT_PARENT (self->bin) == NULL, FALSE);
  if (!params_valid (params)) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_CODEC,
        "unsupported video parameters (pt %u, %ux%u@%u)", params->pt,
        params->width, params->height, params->framerate);
    return FALSE;
  }
  mcu_video_session_reset_bin (self);
  mcu_late_gate_reset (&self->late);
  self->params = *params;
  self->have_params = TRUE;

  bin = gst_object_ref_sink (gst_bin_new (name));
  if (!build_transport (self, GST_BIN (bin), error) ||
      !build_decoder (self, GST_BIN (bin), error) ||
      !link_decoder (self, error) ||
      !build_payloader (self, GST_BIN (bin), error)) {
    mcu_rtp_endpoint_reset (self->endpoint);
    self->transport = self->depay = NULL;
    g_clear_object (&self->pay_sink);
    return FALSE;
  }
  self->bin = g_steal_pointer (&bin);
  return TRUE;
}
