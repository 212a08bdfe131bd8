/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one participant's video.
 *
 * Threads: the object is created, configured and destroyed on the main
 * thread. On streaming threads run: the udpsrc probes (count packets and
 * RTCP feedback, latch the send address to the caller's real source, drop
 * stray sources: see accept_source),
 * rtpbin's "request-pt-map" and "pad-added" (link a new SSRC to the
 * depayloader and ask it for a keyframe), the decoder probe (frame
 * counter), the output probes (keyframe gate, hold, counters) and the
 * outgoing RTCP probe. They touch only atomics, the fields under `lock` and
 * GStreamer objects, never rooms or SIP.
 *
 * The bin (rtpbin in the AVPF profile, so feedback goes out at once):
 *   udpsrc(rtp)  -> rtpbin -> depay -> decoder -> video_out
 *   udpsrc(rtcp) -> rtpbin -> udpsink(rtcp)
 *   video_in -> payloader -> rtpbin -> udpsink(rtp)
 * Both udpsinks send from the sockets the udpsrcs receive on (symmetric
 * RTP). A PLI/FIR from the caller leaves rtpbin as an upstream
 * GstForceKeyUnit event through the payloader and video_in to the encoder
 * group, which rate-limits it. After video_in is linked (joining a group)
 * and after a hold, nothing is sent until a keyframe comes by.
 * With SRTP (params.srtp) an srtpdec sits before rtpbin and an srtpenc
 * between rtpbin and the udpsinks (mcu-srtp.c); the RTCP counters then
 * read RTCP after srtpdec and before srtpenc. Each participant has its own
 * bin, so members of a shared encoder group keep their own SRTP context. */
#include "mcu-video-session.h"

#include <gst/rtp/rtp.h>
#include <gst/net/net.h>
#include <gst/video/video.h>
#include <gst/app/gstappsrc.h>
#include <stdio.h>
#include <string.h>

#define RELATCH_AFTER_US (2 * G_USEC_PER_SEC)
#define REQUEST_AGAIN_US (250 * G_TIME_SPAN_MILLISECOND)

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

  McuPortPool *pool;
  McuPortPair ports;
  guint jitter_latency; /* ms */
  McuVideoParams params;
  gboolean have_params;

  GstElement *bin;
  GstElement *rtpbin;
  GstElement *depay;
  GstPad *pay_sink;     /* (owned) the first pad of the output */
  GstElement *mux_rtcp; /* rtcp-mux: appsrc taking RTCP off the RTP port */
  McuSrtp srtp;
  gboolean sending;

  gint need_keyframe;  /* atomic: drop output until a keyframe */
  gint64 last_request; /* the RTP thread only: monotonic us */
  gint sending_atomic; /* atomic copy of sending for the streaming thread */

  GMutex lock; /* protects everything below */
  GstElement *udpsink_rtp;
  GstElement *udpsink_rtcp;
  gchar *remote_address;
  GInetAddress *remote_inet; /* (nullable) remote_address parsed once, not
                              * per packet */
  guint remote_rtp_port;
  guint remote_rtcp_port;
  GInetSocketAddress *latched_rtp;
  GInetSocketAddress *latched_rtcp;
  gint64 last_rx; /* g_get_monotonic_time () of the last packet */
  gint64 last_latched_rx;
  gboolean sdp_heard; /* RTP came from the SDP's address:port */
  guint32 peer_ssrc;  /* of the last RTP packet taken (see accept_source) */
  McuVideoSessionStats stats;
};

G_DEFINE_FINAL_TYPE (McuVideoSession, mcu_video_session, G_TYPE_OBJECT)

static void
mcu_video_session_dispose (GObject *object)
{
  McuVideoSession *self = MCU_VIDEO_SESSION (object);

  mcu_video_session_reset_bin (self);
  if (self->pool)
    mcu_port_pool_release (self->pool, &self->ports);
  g_clear_object (&self->pool);
  G_OBJECT_CLASS (mcu_video_session_parent_class)->dispose (object);
}

static void
mcu_video_session_finalize (GObject *object)
{
  McuVideoSession *self = MCU_VIDEO_SESSION (object);

  g_free (self->remote_address);
  g_clear_object (&self->remote_inet);
  g_clear_object (&self->latched_rtp);
  g_clear_object (&self->latched_rtcp);
  mcu_srtp_clear (&self->srtp);
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
  mcu_srtp_init (&self->srtp);
  self->sending = TRUE;
  self->sending_atomic = 1;
  self->need_keyframe = 1;
  self->last_rx = g_get_monotonic_time ();
}

McuVideoSession *
mcu_video_session_new (McuPortPool *pool, guint jitter_latency, GError **error)
{
  g_autoptr (McuVideoSession) self =
      g_object_new (MCU_TYPE_VIDEO_SESSION, NULL);

  if (!mcu_port_pool_allocate (pool, &self->ports, error))
    return NULL;
  self->pool = g_object_ref (pool);
  self->jitter_latency = jitter_latency;
  return g_steal_pointer (&self);
}

guint
mcu_video_session_get_rtp_port (McuVideoSession *self)
{
  return self->ports.port;
}

guint
mcu_video_session_get_rtcp_port (McuVideoSession *self)
{
  return self->ports.port + 1;
}

GstElement *
mcu_video_session_get_bin (McuVideoSession *self)
{
  return self->bin;
}

void
mcu_video_session_set_latency (McuVideoSession *self, GstClockTime latency)
{
  /* upstream from the sinks, as a pipeline-wide latency distribution would
   * (rtpsession needs it to stamp RTCP sender reports) */
  g_mutex_lock (&self->lock);
  if (self->udpsink_rtp)
    gst_element_send_event (self->udpsink_rtp, gst_event_new_latency (latency));
  if (self->udpsink_rtcp)
    gst_element_send_event (
        self->udpsink_rtcp, gst_event_new_latency (latency));
  g_mutex_unlock (&self->lock);
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
  gint64 last;

  g_mutex_lock (&self->lock);
  last = self->last_rx;
  g_mutex_unlock (&self->lock);
  return g_get_monotonic_time () - last;
}

void
mcu_video_session_get_stats (McuVideoSession *self, McuVideoSessionStats *stats)
{
  g_mutex_lock (&self->lock);
  *stats = self->stats;
  g_mutex_unlock (&self->lock);
}

/* Point @sink at @address:@port (udpsink locks its client list). */
static void
sink_set_destination (GstElement *sink, const gchar *address, guint port)
{
  if (sink == NULL)
    return;
  g_signal_emit_by_name (sink, "clear");
  if (address && port && g_strcmp0 (address, "0.0.0.0") != 0 &&
      g_strcmp0 (address, "::") != 0)
    g_signal_emit_by_name (sink, "add", address, (gint)port);
}

void
mcu_video_session_set_remote (McuVideoSession *self, const gchar *address,
    guint rtp_port, guint rtcp_port)
{
  g_mutex_lock (&self->lock);
  /* The same address again (a re-INVITE for hold or resume): the peer is
   * still where it was heard, even while it sends nothing (recvonly). */
  if (self->latched_rtp && g_strcmp0 (self->remote_address, address) == 0 &&
      self->remote_rtp_port == rtp_port &&
      self->remote_rtcp_port == rtcp_port) {
    g_mutex_unlock (&self->lock);
    return;
  }
  g_free (self->remote_address);
  self->remote_address = g_strdup (address);
  g_clear_object (&self->remote_inet);
  self->remote_inet = address ? g_inet_address_new_from_string (address) : NULL;
  self->remote_rtp_port = rtp_port;
  self->remote_rtcp_port = rtcp_port;
  g_clear_object (&self->latched_rtp);
  g_clear_object (&self->latched_rtcp);
  self->sdp_heard = FALSE;
  sink_set_destination (self->udpsink_rtp, address, rtp_port);
  sink_set_destination (self->udpsink_rtcp, address, rtcp_port);
  g_mutex_unlock (&self->lock);
}

static gboolean
same_source (GInetSocketAddress *a, GInetSocketAddress *b)
{
  return a && b &&
         g_inet_socket_address_get_port (a) ==
             g_inet_socket_address_get_port (b) &&
         g_inet_address_equal (g_inet_socket_address_get_address (a),
             g_inet_socket_address_get_address (b));
}

/* Is @in the address:@port the SDP gave? (lock held) */
static gboolean
from_sdp (McuVideoSession *self, GInetSocketAddress *in, guint port)
{
  GInetAddress *sdp = self->remote_inet;

  if (port == 0 || g_inet_socket_address_get_port (in) != port)
    return FALSE;
  return sdp &&
         g_inet_address_equal (sdp, g_inet_socket_address_get_address (in));
}

/* Send to @in from now on (lock held). */
static void
latch_to (McuVideoSession *self, gboolean rtp, GInetSocketAddress *in)
{
  GInetSocketAddress **latched = rtp ? &self->latched_rtp : &self->latched_rtcp;
  g_autofree gchar *host = NULL;

  if (same_source (*latched, in))
    return;
  g_set_object (latched, in);
  host = g_inet_address_to_string (g_inet_socket_address_get_address (in));
  sink_set_destination (rtp ? self->udpsink_rtp : self->udpsink_rtcp, host,
      g_inet_socket_address_get_port (in));
}

/* Strict symmetric RTP, as in McuMediaSession (lock held; FALSE: drop the
 * packet): the SDP's address:port is the peer, always taken, and once it
 * has been heard the only source taken until a new SDP; another source (a
 * NAT between us) only until then, and only when the one latched so far
 * has been quiet for RELATCH_AFTER_US; anything else is dropped. A stray
 * stream at our port (another call's, another server's, RTCP sent to the
 * port after a peer's) would otherwise take over where we send, and the
 * peer would get no picture at all. RTCP: from the SDP's RTCP address:port
 * or from the RTP peer's address. */
static gboolean
accept_source (
    McuVideoSession *self, GInetSocketAddress *in, gboolean rtp, gint64 now)
{
  if (!rtp) {
    if (!from_sdp (self, in, self->remote_rtcp_port) &&
        !(self->latched_rtp &&
            g_inet_address_equal (
                g_inet_socket_address_get_address (self->latched_rtp),
                g_inet_socket_address_get_address (in))))
      return FALSE;
    latch_to (self, FALSE, in);
    return TRUE;
  }
  if (from_sdp (self, in, self->remote_rtp_port)) {
    self->sdp_heard = TRUE;
  } else if (!same_source (self->latched_rtp, in)) {
    if (self->sdp_heard ||
        (self->latched_rtp && now - self->last_latched_rx < RELATCH_AFTER_US))
      return FALSE;
  }
  latch_to (self, TRUE, in);
  self->last_latched_rx = now;
  return TRUE;
}

/* PLI and FIR packets in a compound RTCP packet. */
static guint
count_keyframe_requests (GstBuffer *buf)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  guint n = 0;
  gboolean more;

  if (!gst_rtcp_buffer_map (buf, GST_MAP_READ, &rtcp))
    return 0;
  for (more = gst_rtcp_buffer_get_first_packet (&rtcp, &packet); more;
       more = gst_rtcp_packet_move_to_next (&packet))
    if (gst_rtcp_packet_get_type (&packet) == GST_RTCP_TYPE_PSFB) {
      GstRTCPFBType t = gst_rtcp_packet_fb_get_type (&packet);

      if (t == GST_RTCP_PSFB_TYPE_PLI || t == GST_RTCP_PSFB_TYPE_FIR)
        n++;
    }
  gst_rtcp_buffer_unmap (&rtcp);
  return n;
}

/* RFC 5761 section 4: RTCP packet types 192-223 sit where an RTP
 * packet has its marker bit and payload type. */
static gboolean
is_rtcp (GstBuffer *buf)
{
  guint8 b[2];

  if (gst_buffer_extract (buf, 0, b, 2) != 2)
    return FALSE;
  return b[1] >= 192 && b[1] <= 223;
}

static GstPadProbeReturn
on_udpsrc_buffer (GstPadProbeInfo *info, McuVideoSession *self, gboolean rtp)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstNetAddressMeta *meta = gst_buffer_get_net_address_meta (buf);
  GstRTPBuffer rtpbuf = GST_RTP_BUFFER_INIT;
  gint64 now = g_get_monotonic_time ();
  guint requests = 0;
  guint32 ssrc = 0;

  gboolean srtp = self->params.srtp != MCU_MEDIA_SRTP_NONE;

  if (rtp && self->mux_rtcp && is_rtcp (buf)) {
    /* rtcp-mux: RTCP on the RTP port goes to rtpbin's RTCP input */
    if ((srtp ? mcu_srtp_rtcp_plausible (buf)
              : gst_rtcp_buffer_validate_reduced (buf)) &&
        on_udpsrc_buffer (info, self, FALSE) == GST_PAD_PROBE_OK) {
      gst_app_src_push_buffer (
          GST_APP_SRC (self->mux_rtcp), gst_buffer_ref (buf));
    }
    return GST_PAD_PROBE_DROP;
  }
  if (rtp) {
    if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtpbuf))
      return GST_PAD_PROBE_DROP; /* garbage never reaches rtpbin */
    ssrc = gst_rtp_buffer_get_ssrc (&rtpbuf);
    gst_rtp_buffer_unmap (&rtpbuf);
  } else if (srtp) {
    /* SRTCP: srtpdec authenticates it; counted after (on_srtcp_decoded) */
    if (!mcu_srtp_rtcp_plausible (buf))
      return GST_PAD_PROBE_DROP;
  } else {
    if (!gst_rtcp_buffer_validate_reduced (buf))
      return GST_PAD_PROBE_DROP;
    requests = count_keyframe_requests (buf);
  }
  g_mutex_lock (&self->lock);
  if (meta && G_IS_INET_SOCKET_ADDRESS (meta->addr) &&
      !accept_source (self, G_INET_SOCKET_ADDRESS (meta->addr), rtp, now)) {
    g_mutex_unlock (&self->lock);
    return GST_PAD_PROBE_DROP;
  }
  self->last_rx = now;
  if (rtp) {
    self->stats.packets_in++;
    self->peer_ssrc = ssrc;
  }
  self->stats.plis_received += requests;
  g_mutex_unlock (&self->lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_rtp_in (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return on_udpsrc_buffer (info, user_data, TRUE);
}

static GstPadProbeReturn
on_rtcp_in (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return on_udpsrc_buffer (info, user_data, FALSE);
}

static GstPadProbeReturn
on_rtcp_out (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuVideoSession *self = user_data;
  guint n = count_keyframe_requests (GST_PAD_PROBE_INFO_BUFFER (info));

  if (n) {
    g_mutex_lock (&self->lock);
    self->stats.plis_sent += n;
    g_mutex_unlock (&self->lock);
  }
  return GST_PAD_PROBE_OK;
}

/* The caller's RTCP out of srtpdec: its keyframe requests. */
static GstPadProbeReturn
on_srtcp_decoded (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuVideoSession *self = user_data;
  guint n = count_keyframe_requests (GST_PAD_PROBE_INFO_BUFFER (info));

  if (n) {
    g_mutex_lock (&self->lock);
    self->stats.plis_received += n;
    g_mutex_unlock (&self->lock);
  }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_decoded_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuVideoSession *self = user_data;

  g_mutex_lock (&self->lock);
  self->stats.frames_in++;
  g_mutex_unlock (&self->lock);
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

static GstPadProbeReturn
on_depayed (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuVideoSession *self = user_data;

  if (!GST_BUFFER_FLAG_IS_SET (
          GST_PAD_PROBE_INFO_BUFFER (info), GST_BUFFER_FLAG_DELTA_UNIT)) {
    g_mutex_lock (&self->lock);
    self->stats.keyframes_in++;
    g_mutex_unlock (&self->lock);
  }
  return GST_PAD_PROBE_OK;
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

static GstCaps *
on_rtpbin_request_pt_map (
    GstElement *rtpbin, guint session, guint pt, McuVideoSession *self)
{
  const CodecInfo *ci = &codec_info[self->params.codec];
  GstCaps *caps;

  if (pt != self->params.pt)
    return NULL; /* unknown payload types are dropped */
  caps = gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
      "video", "clock-rate", G_TYPE_INT, 90000, "encoding-name", G_TYPE_STRING,
      ci->encoding_name, "payload", G_TYPE_INT, pt, NULL);
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

/* A new SSRC out of the jitter buffer (streaming thread). */
static GstPadProbeReturn
on_other_ssrc_data (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return GST_PAD_PROBE_DROP;
}

static void
on_rtpbin_pad_added (GstElement *rtpbin, GstPad *pad, McuVideoSession *self)
{
  g_autofree gchar *name = gst_pad_get_name (pad);
  guint session, ssrc, pt, peer;
  GstPad *depay_sink, *old;

  if (sscanf (name, "recv_rtp_src_%u_%u_%u", &session, &ssrc, &pt) != 3 ||
      pt != self->params.pt)
    return;
  g_mutex_lock (&self->lock);
  peer = self->peer_ssrc;
  g_mutex_unlock (&self->lock);
  depay_sink = gst_element_get_static_pad (self->depay, "sink");
  old = gst_pad_get_peer (depay_sink);
  /* Two SSRCs: the caller changed it, or a stray was taken before the
   * caller was heard (see accept_source). The one the caller sends now
   * is decoded; the other's packets (its jitter buffer still holds some)
   * are dropped: left unlinked, they return NOT_LINKED up to the udpsrc,
   * which stops with an error (this participant's video dropped). */
  if (old && ssrc != peer) {
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM,
        on_other_ssrc_data, NULL, NULL);
    gst_object_unref (old);
    gst_object_unref (depay_sink);
    return;
  }
  if (old) {
    gst_pad_add_probe (old, GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM,
        on_other_ssrc_data, NULL, NULL);
    gst_pad_unlink (old, depay_sink);
    gst_object_unref (old);
  }
  if (gst_pad_link (pad, depay_sink) != GST_PAD_LINK_OK)
    GST_WARNING_OBJECT (rtpbin, "could not link %s", name);
  gst_object_unref (depay_sink);
  /* whatever came before this is lost to us: ask for a keyframe now (and
   * again until one comes: on_rtp_to_depay) */
  mcu_video_session_request_keyframe (self);
}

static GstElement *
make (GstBin *bin, const gchar *factory, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e == NULL) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "GStreamer element %s is missing (install its plugin)", factory);
    return NULL;
  }
  gst_bin_add (bin, e);
  return e;
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

  if (!(self->depay = make (bin, ci->depay, error)) ||
      !(dec = make (bin, ci->decoder, error)))
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
  add_probe (self->depay, "src", GST_PAD_PROBE_TYPE_BUFFER, on_depayed, self);
  add_probe (dec, "src", GST_PAD_PROBE_TYPE_BUFFER, on_decoded_frame, self);
  src = gst_element_get_static_pad (dec, "src");
  gst_element_add_pad (GST_ELEMENT (bin), gst_ghost_pad_new ("video_out", src));
  gst_object_unref (src);
  return TRUE;
}

/* video_in -> payloader -> rtpbin -> udpsink(rtp) */
static gboolean
build_payloader (McuVideoSession *self, GstBin *bin, GError **error)
{
  const CodecInfo *ci = &codec_info[self->params.codec];
  GstElement *pay;
  GstPad *ghost;

  if (!(pay = make (bin, ci->pay, error)))
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
  if (!gst_element_link_pads (pay, "src", self->rtpbin, "send_rtp_sink_0") ||
      !mcu_srtp_link_send (
          &self->srtp, self->rtpbin, "rtp", self->udpsink_rtp)) {
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

static GstElement *
make_udp (GstBin *bin, const gchar *factory, GSocket *socket, GError **error)
{
  GstElement *e = make (bin, factory, error);

  if (e == NULL)
    return NULL;
  g_object_set (e, "socket", socket, "close-socket", FALSE, NULL);
  if (g_str_equal (factory, "udpsink"))
    g_object_set (e, "sync", FALSE, "async", FALSE, NULL);
  return e;
}

static gboolean
build_transport (McuVideoSession *self, GstBin *bin, GError **error)
{
  GstElement *src_rtp, *src_rtcp;
  gboolean srtp = self->params.srtp != MCU_MEDIA_SRTP_NONE;
  g_autoptr (GstCaps) rtp_caps = gst_caps_new_empty_simple (
      srtp ? "application/x-srtp" : "application/x-rtp");
  g_autoptr (GstCaps) rtcp_caps = gst_caps_new_empty_simple (
      srtp ? "application/x-srtcp" : "application/x-rtcp");
  GstPad *rtcp_in;

  GSocket *rtcp_socket =
      self->params.rtcp_mux ? self->ports.rtp : self->ports.rtcp;

  if (!(self->rtpbin = make (bin, "rtpbin", error)) ||
      !(src_rtp = make_udp (bin, "udpsrc", self->ports.rtp, error)) ||
      !(src_rtcp = self->params.rtcp_mux
                       ? make (bin, "appsrc", error)
                       : make_udp (bin, "udpsrc", self->ports.rtcp, error)) ||
      !(self->udpsink_rtp =
              make_udp (bin, "udpsink", self->ports.rtp, error)) ||
      !(self->udpsink_rtcp = make_udp (bin, "udpsink", rtcp_socket, error)))
    return FALSE;
  g_object_set (src_rtp, "caps", rtp_caps, NULL);
  g_object_set (src_rtcp, "caps", rtcp_caps, NULL);
  if (self->params.rtcp_mux) {
    g_object_set (src_rtcp, "is-live", TRUE, "format", GST_FORMAT_TIME,
        "max-buffers", (guint64)64, NULL);
    gst_util_set_object_arg (G_OBJECT (src_rtcp), "leaky-type", "downstream");
    self->mux_rtcp = src_rtcp;
  }
  g_object_set (
      self->rtpbin, "latency", self->jitter_latency, "do-lost", TRUE, NULL);
  gst_util_set_object_arg (G_OBJECT (self->rtpbin), "rtp-profile", "avpf");
  g_signal_connect (self->rtpbin, "request-pt-map",
      G_CALLBACK (on_rtpbin_request_pt_map), self);
  g_signal_connect (
      self->rtpbin, "pad-added", G_CALLBACK (on_rtpbin_pad_added), self);
  add_probe (src_rtp, "src", GST_PAD_PROBE_TYPE_BUFFER, on_rtp_in, self);
  if (!self->params.rtcp_mux)
    add_probe (src_rtcp, "src", GST_PAD_PROBE_TYPE_BUFFER, on_rtcp_in, self);
  if (!mcu_srtp_build (
          &self->srtp, self->params.srtp, bin, self->rtpbin, error))
    return FALSE;
  if ((rtcp_in = mcu_srtp_get_rtcp_in_pad (&self->srtp)) != NULL)
    gst_pad_add_probe (
        rtcp_in, GST_PAD_PROBE_TYPE_BUFFER, on_srtcp_decoded, self, NULL);

  if (!gst_element_link_pads (
          src_rtp, "src", self->rtpbin, "recv_rtp_sink_0") ||
      !gst_element_link_pads (
          src_rtcp, "src", self->rtpbin, "recv_rtcp_sink_0") ||
      !mcu_srtp_link_send (
          &self->srtp, self->rtpbin, "rtcp", self->udpsink_rtcp)) {
    g_set_error (
        error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE, "cannot link rtpbin");
    return FALSE;
  }
  /* what we send, before srtpenc encrypts it */
  add_probe (self->srtp.enc ? self->srtp.enc : self->udpsink_rtcp,
      self->srtp.enc ? "rtcp_sink_0" : "sink", GST_PAD_PROBE_TYPE_BUFFER,
      on_rtcp_out, self);
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
  g_mutex_lock (&self->lock);
  self->udpsink_rtp = self->udpsink_rtcp = NULL;
  g_mutex_unlock (&self->lock);
  self->rtpbin = self->depay = self->mux_rtcp = NULL;
  g_clear_object (&self->bin);
  mcu_srtp_reset (&self->srtp);
}

void
mcu_video_session_set_srtp_keys (McuVideoSession *self,
    const McuMediaSrtpKey *send, const McuMediaSrtpKey *recv)
{
  mcu_srtp_set_keys (&self->srtp, send, recv);
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
  g_autofree gchar *name = g_strdup_printf ("video-%u", self->ports.port);

  g_return_val_if_fail (
      self->bin == NULL || GST_OBJECT_PARENT (self->bin) == NULL, FALSE);
  if (!params_valid (params)) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_CODEC,
        "unsupported video parameters (pt %u, %ux%u@%u)", params->pt,
        params->width, params->height, params->framerate);
    return FALSE;
  }
  mcu_video_session_reset_bin (self);
  self->params = *params;
  self->have_params = TRUE;

  bin = gst_object_ref_sink (gst_bin_new (name));
  if (!build_transport (self, GST_BIN (bin), error) ||
      !build_decoder (self, GST_BIN (bin), error) ||
      !build_payloader (self, GST_BIN (bin), error)) {
    self->udpsink_rtp = self->udpsink_rtcp = NULL;
    self->rtpbin = self->depay = self->mux_rtcp = NULL;
    g_clear_object (&self->pay_sink);
    mcu_srtp_reset (&self->srtp);
    return FALSE;
  }
  self->bin = g_steal_pointer (&bin);
  g_mutex_lock (&self->lock);
  sink_set_destination (
      self->udpsink_rtp, self->remote_address, self->remote_rtp_port);
  sink_set_destination (
      self->udpsink_rtcp, self->remote_address, self->remote_rtcp_port);
  /* a new bin (new parameters): keep sending where the peer was heard */
  for (guint i = 0; i < 2; i++) {
    GInetSocketAddress *to = i ? self->latched_rtcp : self->latched_rtp;
    g_autofree gchar *host = NULL;

    if (to == NULL)
      continue;
    host = g_inet_address_to_string (g_inet_socket_address_get_address (to));
    sink_set_destination (i ? self->udpsink_rtcp : self->udpsink_rtp, host,
        g_inet_socket_address_get_port (to));
  }
  g_mutex_unlock (&self->lock);
  return TRUE;
}
