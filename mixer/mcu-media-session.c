/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one participant's media.
 *
 * Threads: the object is created, configured and destroyed on the main
 * thread. Three things run on streaming threads: the udpsrc probes (count
 * packets, note the arrival time, latch the send address to the caller's
 * real source, drop stray sources: see accept_source), rtpbin's
 * "request-pt-map" and "pad-added" (link a new SSRC to the decoder). They touch
 * only the fields under `lock` and GStreamer objects, never rooms or SIP.
 * Key presses (mcu-media-dtmf.c) are found on streaming threads too and
 * come out as the "dtmf" signal on the main loop.
 *
 * The bin:
 *   udpsrc(rtp) -> rtpbin -> McuAudioDecode (depay -> decoder -> loss
 *   concealment -> convert/resample, mcu-audio-decode.c) -> mix_out
 *   udpsrc(rtcp) -> rtpbin -> udpsink(rtcp)
 *   mix_in -> [resample] -> encoder -> payloader -> rtpbin -> udpsink(rtp)
 * DTMF out: McuDtmfSender (mcu-dtmf-sender.c, its own lock) probes the
 * payloader's src and swaps audio packets for RFC 4733 events; a finished
 * request comes back on the main thread as "dtmf-sent".
 * Both udpsinks send from the sockets the udpsrcs receive on (symmetric RTP).
 * With SRTP (params.srtp) an srtpdec sits before rtpbin and an srtpenc
 * between rtpbin and the udpsinks, RTP and RTCP alike (mcu-srtp.c).
 */
#include "mcu-media-session.h"
#include "mcu-audio-decode.h"
#include "mcu-dtmf-tx.h"
#include "mcu-dtmf-sender-private.h"
#include "mcu-media-dtmf.h"

#include <gst/rtp/rtp.h>
#include <gst/net/net.h>
#include <stdio.h>
#include <string.h>

#define RELATCH_AFTER_US (2 * G_USEC_PER_SEC)
/* How long only the SDP's own address:port is taken after a new SDP before
 * another source may be a NAT's (see accept_source). */
#define NAT_GRACE_US (2 * G_USEC_PER_SEC)

typedef struct
{
  const gchar *encoding_name;
  guint clock_rate;
  guint codec_rate;           /* sample rate of the encoder/decoder */
  const gchar *encoder, *pay; /* receive: mcu-audio-decode.c */
} CodecInfo;

static const CodecInfo codec_info[] = {
  [MCU_MEDIA_CODEC_OPUS] = { "OPUS", 48000, 48000, "opusenc", "rtpopuspay" },
  [MCU_MEDIA_CODEC_G722] = { "G722", 8000, 16000, "avenc_g722", "rtpg722pay" },
  [MCU_MEDIA_CODEC_PCMU] = { "PCMU", 8000, 8000, "mulawenc", "rtppcmupay" },
  [MCU_MEDIA_CODEC_PCMA] = { "PCMA", 8000, 8000, "alawenc", "rtppcmapay" },
};

struct _McuMediaSession
{
  GObject parent_instance;

  McuPortPool *pool;
  McuPortPair ports;
  guint jitter_latency; /* ms */
  McuMediaCodecParams params;
  gboolean have_params;

  GstElement *bin;
  GstElement *rtpbin;
  GstElement *udpsink_rtp;
  GstElement *udpsink_rtcp;
  McuAudioDecode *decode; /* the receive codec chain */
  McuSrtp srtp;
  GstElement *encoder; /* (transfer none) in bin */
  GstPad *encode_sink; /* first pad of the encode chain (hold probe) */
  gulong hold_probe;
  gulong deaf_probe;
  gboolean sending;
  gint deaf; /* atomic: replace what we send with silence */

  McuMediaDtmf *dtmf;      /* keys in */
  McuDtmfSender *dtmf_out; /* keys out (its own lock) */

  GMutex lock; /* protects everything below */
  gchar *remote_address;
  GInetAddress *remote_inet; /* (nullable) usable_address (remote_address),
                              * parsed once, not per packet */
  guint remote_rtp_port;
  guint remote_rtcp_port;
  GInetSocketAddress *latched_rtp;
  GInetSocketAddress *latched_rtcp;
  gint64 last_rx; /* g_get_monotonic_time () of the last packet */
  gint64 last_latched_rx;
  gint64 remote_since; /* when the SDP's address was set */
  gboolean sdp_heard;  /* RTP came from the SDP's address:port */
  guint32 ssrc;        /* of the last audio RTP packet taken, if have_ssrc */
  gboolean have_ssrc;
  guint64 packets_rx;
};

G_DEFINE_FINAL_TYPE (McuMediaSession, mcu_media_session, G_TYPE_OBJECT)

enum
{
  SIGNAL_DTMF_SENT,
  SIGNAL_DTMF,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
mcu_media_session_dispose (GObject *object)
{
  McuMediaSession *self = MCU_MEDIA_SESSION (object);

  mcu_media_session_reset_bin (self);
  if (self->pool)
    mcu_port_pool_release (self->pool, &self->ports);
  g_clear_object (&self->pool);
  G_OBJECT_CLASS (mcu_media_session_parent_class)->dispose (object);
}

static void
mcu_media_session_finalize (GObject *object)
{
  McuMediaSession *self = MCU_MEDIA_SESSION (object);

  g_free (self->remote_address);
  g_clear_object (&self->remote_inet);
  mcu_srtp_clear (&self->srtp);
  g_clear_object (&self->latched_rtp);
  g_clear_object (&self->latched_rtcp);
  mcu_dtmf_sender_free (self->dtmf_out);
  g_clear_pointer (&self->dtmf, mcu_media_dtmf_free);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (mcu_media_session_parent_class)->finalize (object);
}

static void
mcu_media_session_class_init (McuMediaSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_media_session_dispose;
  object_class->finalize = mcu_media_session_finalize;
  signals[SIGNAL_DTMF_SENT] =
      g_signal_new ("dtmf-sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_DTMF] =
      g_signal_new ("dtmf", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
          NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
on_dtmf (GObject *owner, const gchar *digit, const gchar *method)
{
  g_signal_emit (owner, signals[SIGNAL_DTMF], 0, digit, method);
}

static void on_dtmf_done (GObject *owner, const gchar *digits);

static void
mcu_media_session_init (McuMediaSession *self)
{
  g_mutex_init (&self->lock);
  mcu_srtp_init (&self->srtp);
  self->sending = TRUE;
  self->last_rx = g_get_monotonic_time ();
  self->dtmf_out = mcu_dtmf_sender_new (on_dtmf_done, G_OBJECT (self));
  self->dtmf = mcu_media_dtmf_new (G_OBJECT (self), on_dtmf);
}

McuMediaSession *
mcu_media_session_new (McuPortPool *pool, guint jitter_latency, GError **error)
{
  g_autoptr (McuMediaSession) self =
      g_object_new (MCU_TYPE_MEDIA_SESSION, NULL);

  if (!mcu_port_pool_allocate (pool, &self->ports, error))
    return NULL;
  self->pool = g_object_ref (pool);
  self->jitter_latency = jitter_latency;
  return g_steal_pointer (&self);
}

guint
mcu_media_session_get_rtp_port (McuMediaSession *self)
{
  return self->ports.port;
}

guint
mcu_media_session_get_rtcp_port (McuMediaSession *self)
{
  return self->ports.port + 1;
}

GstElement *
mcu_media_session_get_bin (McuMediaSession *self)
{
  return self->bin;
}

void
mcu_media_session_set_latency (McuMediaSession *self, GstClockTime latency)
{
  /* Upstream from the sinks, as a pipeline-wide latency distribution would
   * (rtpsession needs it to stamp RTCP sender reports). */
  if (self->udpsink_rtp)
    gst_element_send_event (self->udpsink_rtp, gst_event_new_latency (latency));
  if (self->udpsink_rtcp)
    gst_element_send_event (
        self->udpsink_rtcp, gst_event_new_latency (latency));
}

GstElement *
mcu_media_session_get_encoder (McuMediaSession *self)
{
  return self->encoder;
}

gboolean
mcu_media_session_codec_equal (
    McuMediaSession *self, const McuMediaCodecParams *params)
{
  return self->have_params &&
         memcmp (&self->params, params, sizeof *params) == 0;
}

gint64
mcu_media_session_get_idle_time (McuMediaSession *self)
{
  gint64 last;

  g_mutex_lock (&self->lock);
  last = self->last_rx;
  g_mutex_unlock (&self->lock);
  return g_get_monotonic_time () - last;
}

void
mcu_media_session_set_deaf (McuMediaSession *self, gboolean deaf)
{
  g_atomic_int_set (&self->deaf, !!deaf);
}

gboolean
mcu_media_session_get_deaf (McuMediaSession *self)
{
  return g_atomic_int_get (&self->deaf);
}

/* Reads rtpbin's session statistics (no cost on the media path). */
void
mcu_media_session_get_stats (McuMediaSession *self, McuMediaStats *stats)
{
  g_autoptr (GObject) session = NULL;
  g_autoptr (GstStructure) s = NULL;
  const GValue *sources;

  memset (stats, 0, sizeof *stats);
  stats->packets_received = mcu_media_session_get_packets_received (self);
  if (self->decode)
    stats->jitter_buffer_ms = mcu_audio_decode_get_depth (self->decode);
  if (self->rtpbin == NULL)
    return;
  g_signal_emit_by_name (self->rtpbin, "get-session", 0, &session);
  if (session == NULL)
    return;
  g_object_get (session, "stats", &s, NULL);
  sources = s ? gst_structure_get_value (s, "source-stats") : NULL;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (sources == NULL || !G_VALUE_HOLDS_BOXED (sources) ||
      g_value_get_boxed (sources) == NULL)
    return;
  for (guint i = 0; i < ((GValueArray *)g_value_get_boxed (sources))->n_values;
       i++) {
    const GstStructure *src = gst_value_get_structure (
        g_value_array_get_nth ((GValueArray *)g_value_get_boxed (sources), i));
    gboolean internal = FALSE;
    guint64 sent = 0;
    gint lost = 0;
    guint jitter = 0, clock_rate = 0;

    gst_structure_get_boolean (src, "internal", &internal);
    if (internal) {
      gst_structure_get_uint64 (src, "packets-sent", &sent);
      stats->packets_sent += sent;
    } else {
      gst_structure_get_int (src, "packets-lost", &lost);
      gst_structure_get_uint (src, "jitter", &jitter);
      gst_structure_get_int (src, "clock-rate", (gint *)&clock_rate);
      stats->packets_lost += MAX (lost, 0);
      if (clock_rate > 0)
        stats->jitter_ms = MAX (stats->jitter_ms, jitter * 1000 / clock_rate);
    }
  }
  G_GNUC_END_IGNORE_DEPRECATIONS
}

guint64
mcu_media_session_get_packets_received (McuMediaSession *self)
{
  guint64 n;

  g_mutex_lock (&self->lock);
  n = self->packets_rx;
  g_mutex_unlock (&self->lock);
  return n;
}

/* Point @sink at @address:@port (any thread; udpsink locks its list). */
static void
sink_set_destination (GstElement *sink, const gchar *address, guint port)
{
  if (sink == NULL)
    return;
  g_signal_emit_by_name (sink, "clear");
  /* c=0.0.0.0 (RFC 2543 hold) is no destination: send nothing. */
  if (address && port && g_strcmp0 (address, "0.0.0.0") != 0 &&
      g_strcmp0 (address, "::") != 0)
    g_signal_emit_by_name (sink, "add", address, (gint)port);
}

/* A unicast address we can send to (not c=0.0.0.0 hold, not multicast). */
static GInetAddress *
usable_address (const gchar *address)
{
  GInetAddress *a = address ? g_inet_address_new_from_string (address) : NULL;

  if (a &&
      (g_inet_address_get_is_any (a) || g_inet_address_get_is_multicast (a))) {
    g_clear_object (&a);
  }
  return a;
}

void
mcu_media_session_set_remote (McuMediaSession *self, const gchar *address,
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
  self->remote_inet = usable_address (address);
  self->remote_rtp_port = rtp_port;
  self->remote_rtcp_port = rtcp_port;
  /* A new address from the SDP starts latching anew. */
  g_clear_object (&self->latched_rtp);
  g_clear_object (&self->latched_rtcp);
  self->sdp_heard = FALSE;
  self->remote_since = g_get_monotonic_time ();
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
from_sdp (McuMediaSession *self, GInetSocketAddress *in, guint port)
{
  GInetAddress *sdp = self->remote_inet;

  if (port == 0 || g_inet_socket_address_get_port (in) != port)
    return FALSE;
  return sdp &&
         g_inet_address_equal (sdp, g_inet_socket_address_get_address (in));
}

/* Send to @in from now on (lock held). */
static void
latch_to (McuMediaSession *self, gboolean rtp, GInetSocketAddress *in)
{
  GInetSocketAddress **latched = rtp ? &self->latched_rtp : &self->latched_rtcp;
  g_autofree gchar *host = NULL;

  if (same_source (*latched, in))
    return;
  g_set_object (latched, in);
  host = g_inet_address_to_string (g_inet_socket_address_get_address (in));
  sink_set_destination (rtp ? self->udpsink_rtp : self->udpsink_rtcp, host,
      g_inet_socket_address_get_port (in));
  if (rtp && !from_sdp (self, in, self->remote_rtp_port))
    g_info ("RTP to port %u comes from %s:%u, not from %s:%u (SDP): "
            "sending there",
        self->ports.port, host, g_inet_socket_address_get_port (in),
        self->remote_address ? self->remote_address : "-",
        self->remote_rtp_port);
}

/* May @in be the peer behind a NAT (lock held)? Only while the SDP's own
 * address:port has not been heard, and only when the SDP names a private
 * address that @in is not (the NAT's public side: at once) or when the SDP's
 * address has stayed silent for NAT_GRACE_US since the SDP came (a stray
 * stream at our port -- an old call's sender still going, another server's
 * -- usually arrives before the peer's first packet: it must not win). */
static gboolean
may_be_nat (McuMediaSession *self, GInetSocketAddress *in, gint64 now)
{
  GInetAddress *sdp = self->remote_inet;
  GInetAddress *from = g_inet_socket_address_get_address (in);

  if (sdp == NULL || self->remote_rtp_port == 0 || self->sdp_heard)
    return FALSE;
  if ((g_inet_address_get_is_site_local (sdp) ||
          g_inet_address_get_is_link_local (sdp)) &&
      !g_inet_address_get_is_site_local (from) &&
      !g_inet_address_get_is_link_local (from) &&
      !g_inet_address_get_is_loopback (from))
    return TRUE;
  return now - self->remote_since >= NAT_GRACE_US;
}

/* Strict symmetric RTP: which source feeds this session and gets what it
 * sends (lock held; FALSE: drop the packet before rtpbin, so that a stray
 * never becomes an SSRC stream there).
 * - No usable SDP address yet (a dial-out before its 2xx, c=0.0.0.0):
 *   nothing is taken, nothing latched.
 * - The SDP's own address:port is the peer: always taken, and sending goes
 *   (back) to it; once it has been heard, no other source is taken until a
 *   new SDP (mcu_media_session_set_remote) starts over.
 * - Another source (a NAT between us, see may_be_nat) is latched to only
 *   while the SDP's has not been heard, and only when the source latched so
 *   far (if any) has been quiet for RELATCH_AFTER_US (NAT rebinding).
 * - Anything else is dropped: a stray stream would otherwise take over
 *   where we send and what the room hears.
 * RTCP: from the SDP's RTCP address:port, or from the RTP peer's address. */
static gboolean
accept_source (
    McuMediaSession *self, GInetSocketAddress *in, gboolean rtp, gint64 now)
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
    if (!may_be_nat (self, in, now) ||
        (self->latched_rtp && now - self->last_latched_rx < RELATCH_AFTER_US))
      return FALSE;
  }
  latch_to (self, TRUE, in);
  self->last_latched_rx = now;
  return TRUE;
}

static GstPadProbeReturn
on_udpsrc_buffer (
    GstPad *pad, GstPadProbeInfo *info, gpointer user_data, gboolean rtp)
{
  McuMediaSession *self = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstNetAddressMeta *meta = gst_buffer_get_net_address_meta (buf);
  GstRTPBuffer rtpbuf = GST_RTP_BUFFER_INIT;
  gint64 now = g_get_monotonic_time ();
  guint32 ssrc = 0;
  guint pt = 0;
  gboolean valid;

  if (rtp) {
    valid = gst_rtp_buffer_map (buf, GST_MAP_READ, &rtpbuf);
    if (valid) {
      ssrc = gst_rtp_buffer_get_ssrc (&rtpbuf);
      pt = gst_rtp_buffer_get_payload_type (&rtpbuf);
      gst_rtp_buffer_unmap (&rtpbuf);
    }
  } else if (self->params.srtp != MCU_MEDIA_SRTP_NONE) {
    valid = mcu_srtp_rtcp_plausible (buf); /* srtpdec authenticates it */
  } else {
    valid = gst_rtcp_buffer_validate_reduced (buf);
  }
  if (!valid)
    return GST_PAD_PROBE_DROP; /* garbage never reaches rtpbin */

  g_mutex_lock (&self->lock);
  if (meta && G_IS_INET_SOCKET_ADDRESS (meta->addr) &&
      !accept_source (self, G_INET_SOCKET_ADDRESS (meta->addr), rtp, now)) {
    g_mutex_unlock (&self->lock);
    return GST_PAD_PROBE_DROP;
  }
  self->last_rx = now;
  if (rtp) {
    self->packets_rx++;
    if (pt == self->params.pt) { /* the audio stream (not DTMF) */
      self->ssrc = ssrc;
      self->have_ssrc = TRUE;
    }
  }
  g_mutex_unlock (&self->lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_rtp_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return on_udpsrc_buffer (pad, info, user_data, TRUE);
}

static GstPadProbeReturn
on_rtcp_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return on_udpsrc_buffer (pad, info, user_data, FALSE);
}

static GstCaps *
on_rtpbin_request_pt_map (
    GstElement *rtpbin, guint session, guint pt, McuMediaSession *self)
{
  const CodecInfo *ci = &codec_info[self->params.codec];

  if (pt == self->params.pt)
    return gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
        "audio", "clock-rate", G_TYPE_INT, ci->clock_rate, "encoding-name",
        G_TYPE_STRING, ci->encoding_name, "payload", G_TYPE_INT, pt, NULL);
  if ((self->params.dtmf_pt && pt == self->params.dtmf_pt) ||
      (self->params.dtmf_pt_alt && pt == self->params.dtmf_pt_alt)) {
    guint rate = pt == self->params.dtmf_pt ? self->params.dtmf_clock_rate
                                            : self->params.dtmf_clock_rate_alt;

    return gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
        "audio", "clock-rate", G_TYPE_INT, rate ? rate : ci->clock_rate,
        "encoding-name", G_TYPE_STRING, "TELEPHONE-EVENT", "payload",
        G_TYPE_INT, pt, NULL);
  }
  return NULL; /* unknown payload types are dropped */
}

static void
link_to_fakesink (GstElement *bin, GstPad *pad)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstPad *sinkpad;

  g_object_set (sink, "async", FALSE, "sync", FALSE, NULL);
  gst_bin_add (GST_BIN (bin), sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (sink);
}

/* A new SSRC/PT stream out of the jitter buffer (streaming thread). */
static void
on_rtpbin_pad_added (GstElement *rtpbin, GstPad *pad, McuMediaSession *self)
{
  g_autofree gchar *name = gst_pad_get_name (pad);
  guint session, ssrc, pt;
  gboolean current;
  GstPad *depay_sink, *old;

  if (sscanf (name, "recv_rtp_src_%u_%u_%u", &session, &ssrc, &pt) != 3)
    return;
  g_mutex_lock (&self->lock);
  current = !self->have_ssrc || self->ssrc == ssrc;
  g_mutex_unlock (&self->lock);
  /* telephone-event (read before rtpbin: mcu-media-dtmf.c), and a stream
   * that is no longer the caller's
   * (its pad-added may come after the newer one's: the jitter buffers have
   * a thread each) */
  if (pt != self->params.pt || !current) {
    link_to_fakesink (self->bin, pad);
    return;
  }
  depay_sink = gst_object_ref (mcu_audio_decode_get_sink (self->decode));
  old = gst_pad_get_peer (depay_sink);
  if (old) {
    /* The caller changed SSRC: follow the new stream. The old one goes on
     * into a fakesink: unlinked, its late packets would return not-linked
     * through rtpbin to the udpsrc, which would stop receiving at all. */
    gst_pad_unlink (old, depay_sink);
    link_to_fakesink (self->bin, old);
    gst_object_unref (old);
  }
  if (gst_pad_link (pad, depay_sink) != GST_PAD_LINK_OK)
    GST_WARNING_OBJECT (rtpbin, "could not link %s", name);
  gst_object_unref (depay_sink);
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

static GstElement *
make_caps (GstBin *bin, const gchar *caps_str)
{
  GstElement *e = gst_element_factory_make ("capsfilter", NULL);
  g_autoptr (GstCaps) caps = gst_caps_from_string (caps_str);

  g_object_set (e, "caps", caps, NULL);
  gst_bin_add (bin, e);
  return e;
}

/* the receive codec chain (mcu-audio-decode.c); ghost mix_out */
static gboolean
build_decoder (McuMediaSession *self, GstBin *bin, GError **error)
{
  if (!(self->decode = mcu_audio_decode_new (
            bin, &self->params, self->jitter_latency, error)))
    return FALSE;
  if (self->params.codec != MCU_MEDIA_CODEC_OPUS && self->params.inband_dtmf)
    mcu_media_dtmf_watch_decoded (
        self->dtmf, mcu_audio_decode_get_decoded (self->decode));
  mcu_audio_decode_follow_jitter (self->decode, self->rtpbin);
  gst_element_add_pad (GST_ELEMENT (bin),
      gst_ghost_pad_new ("mix_out", mcu_audio_decode_get_src (self->decode)));
  return TRUE;
}

/* Opus at 20 ms (the mixer's frame) uses mcuopusenc, which encodes the
 * shared full mix once per encoder group (McuAudioMix sets its "group")
 * for everyone not talking; other ptimes use opusenc. */
static const gchar *
encoder_factory (const McuMediaCodecParams *p, const CodecInfo *ci)
{
  if (p->codec == MCU_MEDIA_CODEC_OPUS && p->ptime == 20)
    return "mcuopusenc";
  return ci->encoder;
}

static void
configure_encoder (McuMediaSession *self, GstElement *enc, GstElement *pay)
{
  const McuMediaCodecParams *p = &self->params;
  g_autofree gchar *frame = g_strdup_printf ("%u", p->ptime);

  g_object_set (pay, "pt", p->pt, NULL);
  if (p->codec == MCU_MEDIA_CODEC_OPUS) {
    /* complexity 5: half the cost of 10, no audible loss for voice */
    g_object_set (enc, "inband-fec", p->opus_fec, "bitrate",
        p->opus_bitrate ? (gint)p->opus_bitrate : 32000, "complexity", 5,
        "packet-loss-percentage", p->opus_fec ? 5 : 0, NULL);
    if (p->ptime != 20) {
      gst_util_set_object_arg (G_OBJECT (enc), "frame-size", frame);
      gst_util_set_object_arg (G_OBJECT (enc), "audio-type", "voice");
    }
  } else {
    gint64 ptime = (gint64)p->ptime * GST_MSECOND;

    g_object_set (pay, "min-ptime", ptime, "max-ptime", ptime, NULL);
  }
}

/* A deaf participant gets silence of the same length (a new buffer: the one
 * coming in may be the room's shared full mix). */
static GstPadProbeReturn
on_deaf_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  McuMediaSession *self = data;
  GstBuffer *in = GST_PAD_PROBE_INFO_BUFFER (info);
  GstBuffer *silence;
  gsize size;

  if (!g_atomic_int_get (&self->deaf))
    return GST_PAD_PROBE_OK;
  size = gst_buffer_get_size (in);
  silence = gst_buffer_new_allocate (NULL, size, NULL);
  gst_buffer_memset (silence, 0, 0, size);
  gst_buffer_copy_into (
      silence, in, GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  GST_BUFFER_FLAG_SET (silence, GST_BUFFER_FLAG_GAP);
  gst_buffer_unref (in);
  GST_PAD_PROBE_INFO_DATA (info) = silence;
  return GST_PAD_PROBE_OK;
}

static void
on_dtmf_done (GObject *owner, const gchar *digits)
{
  g_signal_emit (owner, signals[SIGNAL_DTMF_SENT], 0, digits);
}

gboolean
mcu_media_session_send_dtmf (
    McuMediaSession *self, const gchar *digits, GError **error)
{
  g_return_val_if_fail (MCU_IS_MEDIA_SESSION (self), FALSE);
  g_return_val_if_fail (digits != NULL, FALSE);
  if (!self->have_params || self->params.dtmf_pt == 0) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_DTMF,
        "no telephone-event was negotiated");
    return FALSE;
  }
  if (!self->sending) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_DTMF,
        "not sending media (on hold)");
    return FALSE;
  }
  if (!mcu_dtmf_sender_push (self->dtmf_out, digits)) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_DTMF,
        "not digits (0-9 * # A-D ,) or more than %u queued",
        MCU_DTMF_TX_MAX_QUEUED);
    return FALSE;
  }
  return TRUE;
}

/* mix_in -> [audioresample -> caps] -> encoder -> payloader -> rtpbin */
static gboolean
build_encoder (McuMediaSession *self, GstBin *bin, GError **error)
{
  const CodecInfo *ci = &codec_info[self->params.codec];
  GstElement *first, *enc, *pay;
  GstPad *sink;

  if (ci->codec_rate != 48000) {
    g_autofree gchar *caps_str = g_strdup_printf (
        "audio/x-raw,format=S16LE,rate=%u,channels=1", ci->codec_rate);
    GstElement *caps;

    if (!(first = make (bin, "audioresample", error)))
      return FALSE;
    caps = make_caps (bin, caps_str);
    if (!(enc = make (bin, encoder_factory (&self->params, ci), error)) ||
        !(pay = make (bin, ci->pay, error)))
      return FALSE;
    if (!gst_element_link_many (first, caps, enc, pay, NULL))
      goto link_failed;
  } else {
    if (!(first = enc =
                make (bin, encoder_factory (&self->params, ci), error)) ||
        !(pay = make (bin, ci->pay, error)))
      return FALSE;
    if (!gst_element_link (enc, pay))
      goto link_failed;
  }
  configure_encoder (self, enc, pay);
  self->encoder = enc;
  sink = gst_element_get_static_pad (pay, "src");
  mcu_dtmf_sender_attach (self->dtmf_out, sink);
  gst_object_unref (sink);
  if (!gst_element_link_pads (pay, "src", self->rtpbin, "send_rtp_sink_0") ||
      !mcu_srtp_link_send (&self->srtp, self->rtpbin, "rtp", self->udpsink_rtp))
    goto link_failed;
  sink = gst_element_get_static_pad (first, "sink");
  gst_element_add_pad (GST_ELEMENT (bin), gst_ghost_pad_new ("mix_in", sink));
  self->encode_sink = sink;
  self->deaf_probe = gst_pad_add_probe (
      sink, GST_PAD_PROBE_TYPE_BUFFER, on_deaf_probe, self, NULL);
  return TRUE;

link_failed:
  g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
      "cannot link the %s encoder", ci->encoding_name);
  return FALSE;
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

void
mcu_media_session_set_srtp_keys (McuMediaSession *self,
    const McuMediaSrtpKey *send, const McuMediaSrtpKey *recv)
{
  mcu_srtp_set_keys (&self->srtp, send, recv);
}

static gboolean
build_transport (McuMediaSession *self, GstBin *bin, GError **error)
{
  GstElement *src_rtp, *src_rtcp;
  GstPad *pad;
  gboolean srtp = self->params.srtp != MCU_MEDIA_SRTP_NONE;
  g_autoptr (GstCaps) rtp_caps = gst_caps_new_empty_simple (
      srtp ? "application/x-srtp" : "application/x-rtp");
  g_autoptr (GstCaps) rtcp_caps = gst_caps_new_empty_simple (
      srtp ? "application/x-srtcp" : "application/x-rtcp");

  if (!(self->rtpbin = make (bin, "rtpbin", error)) ||
      !(src_rtp = make_udp (bin, "udpsrc", self->ports.rtp, error)) ||
      !(src_rtcp = make_udp (bin, "udpsrc", self->ports.rtcp, error)) ||
      !(self->udpsink_rtp =
              make_udp (bin, "udpsink", self->ports.rtp, error)) ||
      !(self->udpsink_rtcp =
              make_udp (bin, "udpsink", self->ports.rtcp, error)))
    return FALSE;
  g_object_set (src_rtp, "caps", rtp_caps, NULL);
  g_object_set (src_rtcp, "caps", rtcp_caps, NULL);
  g_object_set (
      self->rtpbin, "latency", self->jitter_latency, "do-lost", TRUE, NULL);
  g_signal_connect (self->rtpbin, "request-pt-map",
      G_CALLBACK (on_rtpbin_request_pt_map), self);
  g_signal_connect (
      self->rtpbin, "pad-added", G_CALLBACK (on_rtpbin_pad_added), self);
  if (!mcu_srtp_build (
          &self->srtp, self->params.srtp, bin, self->rtpbin, error))
    return FALSE;

  pad = gst_element_get_static_pad (src_rtp, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_rtp_buffer, self, NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (src_rtcp, "src");
  gst_pad_add_probe (
      pad, GST_PAD_PROBE_TYPE_BUFFER, on_rtcp_buffer, self, NULL);
  gst_object_unref (pad);

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
  /* Telephone-events are read after on_rtp_buffer dropped strays, and
   * decrypted: srtpdec sits inside rtpbin (request-rtp-decoder), so with
   * SRTP on its output, else where rtpbin takes the RTP in. */
  pad = self->srtp.dec
            ? gst_element_get_static_pad (self->srtp.dec, "rtp_src")
            : gst_element_get_static_pad (self->rtpbin, "recv_rtp_sink_0");
  mcu_media_dtmf_watch_rtp (self->dtmf, pad);
  gst_object_unref (pad);
  return TRUE;
}

void
mcu_media_session_reset_bin (McuMediaSession *self)
{
  if (self->bin == NULL)
    return;
  if (GST_OBJECT_PARENT (self->bin) == NULL) {
    gst_element_set_state (self->bin, GST_STATE_NULL);
    gst_element_set_locked_state (self->bin, FALSE);
  }
  g_clear_object (&self->encode_sink);
  self->hold_probe = self->deaf_probe = 0;
  g_mutex_lock (&self->lock);
  self->udpsink_rtp = self->udpsink_rtcp = NULL;
  g_mutex_unlock (&self->lock);
  self->rtpbin = self->encoder = NULL;
  g_clear_object (&self->decode);
  g_clear_object (&self->bin);
  mcu_srtp_reset (&self->srtp);
}

static GstPadProbeReturn
on_hold_drop (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return GST_PAD_PROBE_DROP;
}

static void
apply_sending (McuMediaSession *self)
{
  if (self->encode_sink == NULL)
    return;
  if (!self->sending && self->hold_probe == 0)
    self->hold_probe = gst_pad_add_probe (
        self->encode_sink, GST_PAD_PROBE_TYPE_BUFFER, on_hold_drop, NULL, NULL);
  else if (self->sending && self->hold_probe != 0) {
    gst_pad_remove_probe (self->encode_sink, self->hold_probe);
    self->hold_probe = 0;
  }
}

void
mcu_media_session_set_sending (McuMediaSession *self, gboolean send)
{
  self->sending = !!send;
  apply_sending (self);
}

gboolean
mcu_media_session_get_sending (McuMediaSession *self)
{
  return self->sending;
}

gboolean
mcu_media_session_set_codec (
    McuMediaSession *self, const McuMediaCodecParams *params, GError **error)
{
  g_autoptr (GstElement) bin = NULL;
  g_autofree gchar *name = g_strdup_printf ("session-%u", self->ports.port);

  g_return_val_if_fail (
      self->bin == NULL || GST_OBJECT_PARENT (self->bin) == NULL, FALSE);
  if ((guint)params->codec >= G_N_ELEMENTS (codec_info) || params->pt > 127 ||
      params->ptime < 10 || params->ptime > 60) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_CODEC,
        "unsupported codec parameters (pt %u, ptime %u)", params->pt,
        params->ptime);
    return FALSE;
  }
  mcu_media_session_reset_bin (self);
  self->params = *params;
  self->have_params = TRUE;
  /* DTMF out on the audio's stream, at the negotiated telephone-event
   * clock (a new stream: nothing queued) */
  mcu_dtmf_sender_configure (self->dtmf_out, params->dtmf_pt,
      codec_info[params->codec].clock_rate,
      params->dtmf_clock_rate ? params->dtmf_clock_rate
                              : codec_info[params->codec].clock_rate,
      params->ptime * codec_info[params->codec].clock_rate / 1000);
  mcu_media_dtmf_configure (self->dtmf, params->dtmf_pt,
      params->dtmf_clock_rate ? params->dtmf_clock_rate
                              : codec_info[params->codec].clock_rate,
      params->dtmf_pt_alt, params->dtmf_clock_rate_alt,
      params->inband_dtmf && params->codec != MCU_MEDIA_CODEC_OPUS
          ? codec_info[params->codec].codec_rate
          : 0);

  bin = gst_object_ref_sink (gst_bin_new (name));
  if (!build_transport (self, GST_BIN (bin), error) ||
      !build_decoder (self, GST_BIN (bin), error) ||
      !build_encoder (self, GST_BIN (bin), error)) {
    self->udpsink_rtp = self->udpsink_rtcp = NULL;
    self->rtpbin = NULL;
    g_clear_object (&self->decode);
    g_clear_object (&self->encode_sink);
    mcu_srtp_reset (&self->srtp);
    return FALSE;
  }
  self->bin = g_steal_pointer (&bin);
  g_mutex_lock (&self->lock);
  self->have_ssrc = FALSE; /* a new rtpbin: its first stream is linked */
  sink_set_destination (
      self->udpsink_rtp, self->remote_address, self->remote_rtp_port);
  sink_set_destination (
      self->udpsink_rtcp, self->remote_address, self->remote_rtcp_port);
  /* a new bin for a new codec: keep sending where the peer was heard */
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
  apply_sending (self);
  return TRUE;
}
