/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one participant's RTP transport for one medium, see
 * mcu-rtp-endpoint.h.
 *
 * Threads (what touches what):
 * - The main thread: new, build, reset, set_remote, set_srtp_keys,
 *   set_latency, get_stats, get_rtp_in_pad, get_rtpbin, dispose. Only
 *   build and reset write `params`, `bin`, `rtpbin`, `rtp_src` and the
 *   srtp elements, and only while the transport is not streaming (built
 *   and not yet playing, or after its bin was set to NULL): the streaming
 *   threads read them without a lock. What the receive thread reads of the
 *   transport (the mcurtpsrc elements, the payload type, SRTP, rtcp-mux)
 *   is written under `lock`, as are the udpsink pointers (set_remote and
 *   the latching change where they send).
 * - McuRtpIo's thread (one for the process, see mcu-rtp-io.h): the
 *   watches on the RTP and RTCP sockets (on_rtp_io, on_rtcp_io), from new
 *   until dispose. Each packet: drop garbage; with rtcp-mux tell RTCP from
 *   RTP on the RTP port; under `lock` accept_source (latching), counters,
 *   last_rx, the caller's SSRC, and a ref on the mcurtpsrc it goes to;
 *   with rtpbin, the SSRCs it has streams for (`streams`) and which of
 *   them went quiet: then, without the lock, those streams are dropped
 *   ("clear-ssrc": rtpbin frees the jitter buffer on this thread, where
 *   nothing else pushes into it) with the fakesinks they fed, and the
 *   packet is pushed. Nothing is taken while no
 *   transport is built. The push runs srtpdec and rtpbin's receive side
 *   (rtpsession, the SSRC demuxer, the jitter buffer's chain, which only
 *   queues) on this thread; it holds mcurtpsrc's stream lock, so the bin
 *   going to NULL waits for a push in progress, and nothing is pushed
 *   into a bin that is not PLAYING. dispose removes the watches (waiting
 *   for a callback in progress) before the ports are closed.
 * - rtpbin's threads: "request-pt-map" reads `params`; "pad-added" on a
 *   jitter buffer's thread reads the caller's SSRC under `lock`, then
 *   without it retargets rtp_src (the ghost pad locks itself), adds
 *   fakesinks to `bin` and emits "stream-linked"; the RTCP thread counts
 *   the keyframe requests it sends (mcu_rtp_endpoint_on_rtcp_out, under
 * `lock`); srtpdec (on McuRtpIo's thread) asks for keys (McuSrtp.lock,
 * mcu-srtp.c) and counts the caller's SRTCP keyframe requests
 * (mcu_rtp_endpoint_on_srtcp_decoded); "request-jitterbuffer"
 * (thread_free_jitter) makes an mcujitterbuffer, hands it to `playout` (set at
 * build) and keeps it as `jb` under `lock`. The jitter buffer leaves McuPlayout
 * by itself when its bin goes down (PAUSED to READY); its pushes (decode chain)
 * run on a McuPlayout worker.
 * - Any thread: get_idle_time, get_counters (under `lock`, then the send
 *   errors under `send_lock`).
 * Locks: `lock` and McuSrtp.lock are never held together. With `lock`
 * held, latch_to, set_remote and build call udpsink's "clear" and "add"
 * (they take udpsink's client lock: the order is `lock`, then udpsink's)
 * and g_info, and take `send_lock` to set the RTP destination of the
 * direct transport's sendto (mcu-rtp-direct.c: the sendto runs under
 * `send_lock`, nothing is taken under it); nothing else is called with
 * `lock` held.
 *
 * The transport (rtpbin, in the AVPF profile when asked):
 *   mcurtpsrc(rtp)  -> [srtpdec] -> rtpbin -> jitter buffer -> rtp_src
 *   mcurtpsrc(rtcp) -> [srtpdec] -> rtpbin -> [srtpenc] -> udpsink(rtcp)
 *   rtp_sink -> rtpbin -> [srtpenc] -> udpsink(rtp)
 * With rtcp-mux the RTCP arrives on the RTP port and goes to mcurtpsrc
 * (rtcp) from the RTP socket's watch; it leaves from the RTP port. Both
 * udpsinks send from the sockets the watches receive on (symmetric RTP).
 * Streams of other payload types (telephone-events: read before rtpbin, on
 * get_rtp_in_pad) and of an SSRC that is no longer the caller's end in a
 * fakesink. */
#include "mcu-rtp-endpoint-private.h"
#include "mcu-pad-util-private.h"
#include "mcu-jitter-buffer.h"

#include <gst/rtp/rtp.h>
#include <gst/net/net.h>
#include "mcu-rtp-src.h"
#include <stdio.h>
#include <string.h>

#define RELATCH_AFTER_US (2 * G_USEC_PER_SEC)
/* How long only the SDP's own address:port is taken after a new SDP before
 * another source may be a NAT's (see accept_source). */
#define NAT_GRACE_US (2 * G_USEC_PER_SEC)
/* SSRCs one transport takes at once (rtpbin makes a jitter buffer, with its
 * thread, for each): the streams of SSRCs gone quiet are dropped to make
 * room (mcu-rtp-stream-set-private.h), so a caller that changes SSRC often
 * is still heard and costs us no more threads. */
#define MAX_STREAMS MCU_RTP_STREAM_SET_MAX

G_DEFINE_FINAL_TYPE (McuRtpEndpoint, mcu_rtp_endpoint, G_TYPE_OBJECT)

enum
{
  SIGNAL_STREAM_LINKED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
clear_params (McuRtpEndpointParams *p)
{
  for (guint i = 0; i < MCU_RTP_ENDPOINT_MAX_PT; i++)
    gst_clear_caps (&p->pt_caps[i]);
  memset (p, 0, sizeof *p);
}

static void
mcu_rtp_endpoint_dispose (GObject *object)
{
  McuRtpEndpoint *self = MCU_RTP_ENDPOINT (object);

  /* first: no callback runs once these return; then the sockets close */
  if (self->watch_rtp)
    mcu_rtp_io_remove (self->io, g_steal_pointer (&self->watch_rtp));
  if (self->watch_rtcp)
    mcu_rtp_io_remove (self->io, g_steal_pointer (&self->watch_rtcp));
  /* the direct send stops there (clear_elements), before the pool closes
   * the sockets */
  mcu_rtp_endpoint_reset (self);
  if (self->pool)
    mcu_port_pool_release (self->pool, &self->ports);
  g_clear_object (&self->pool);
  G_OBJECT_CLASS (mcu_rtp_endpoint_parent_class)->dispose (object);
}

static void
mcu_rtp_endpoint_finalize (GObject *object)
{
  McuRtpEndpoint *self = MCU_RTP_ENDPOINT (object);

  clear_params (&self->params);
  g_free (self->remote_address);
  g_clear_object (&self->remote_inet);
  g_clear_object (&self->latched_rtp);
  g_clear_object (&self->latched_rtcp);
  mcu_srtp_clear (&self->srtp);
  g_mutex_clear (&self->send_lock);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (mcu_rtp_endpoint_parent_class)->finalize (object);
}

static void
mcu_rtp_endpoint_class_init (McuRtpEndpointClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_rtp_endpoint_dispose;
  object_class->finalize = mcu_rtp_endpoint_finalize;
  signals[SIGNAL_STREAM_LINKED] =
      g_signal_new ("stream-linked", G_TYPE_FROM_CLASS (klass),
          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
mcu_rtp_endpoint_init (McuRtpEndpoint *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->send_lock);
  self->send_fd = -1;
  mcu_srtp_init (&self->srtp);
  self->last_rx = g_get_monotonic_time ();
}

static void on_rtp_io (gpointer data, GSocket *socket, GstBuffer **bufs,
    GSocketAddress *const *from, guint n, GstClockTime arrival);
static void on_rtcp_io (gpointer data, GSocket *socket, GstBuffer **bufs,
    GSocketAddress *const *from, guint n, GstClockTime arrival);

McuRtpEndpoint *
mcu_rtp_endpoint_new (McuPortPool *pool, guint jitter_latency, GError **error)
{
  g_autoptr (McuRtpEndpoint) self = g_object_new (MCU_TYPE_RTP_ENDPOINT, NULL);

  if (!mcu_port_pool_allocate (pool, &self->ports, error))
    return NULL;
  self->pool = g_object_ref (pool);
  self->jitter_latency = jitter_latency;
  /* no ref on self: dispose removes the watches */
  self->io = mcu_port_pool_get_io (pool);
  self->watch_rtp =
      mcu_rtp_io_add (self->io, self->ports.rtp, on_rtp_io, self, NULL);
  self->watch_rtcp =
      mcu_rtp_io_add (self->io, self->ports.rtcp, on_rtcp_io, self, NULL);
  if (self->watch_rtp == NULL || self->watch_rtcp == NULL) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot receive on RTP port %u", self->ports.port);
    return NULL;
  }
  return g_steal_pointer (&self);
}

guint
mcu_rtp_endpoint_get_rtp_port (McuRtpEndpoint *self)
{
  return self->ports.port;
}

guint
mcu_rtp_endpoint_get_rtcp_port (McuRtpEndpoint *self)
{
  return self->ports.port + 1;
}

void
mcu_rtp_endpoint_set_srtp_keys (McuRtpEndpoint *self,
    const McuMediaSrtpKey *send, const McuMediaSrtpKey *recv)
{
  mcu_srtp_set_keys (&self->srtp, send, recv);
}

void
mcu_rtp_endpoint_set_latency (McuRtpEndpoint *self, GstClockTime latency)
{
  /* Upstream from the sinks, as a pipeline-wide latency distribution would
   * (rtpsession needs it to stamp RTCP sender reports). */
  if (self->udpsink_rtp)
    gst_element_send_event (self->udpsink_rtp, gst_event_new_latency (latency));
  if (self->udpsink_rtcp)
    gst_element_send_event (
        self->udpsink_rtcp, gst_event_new_latency (latency));
}

gint64
mcu_rtp_endpoint_get_idle_time (McuRtpEndpoint *self)
{
  gint64 last;

  g_mutex_lock (&self->lock);
  last = self->last_rx;
  g_mutex_unlock (&self->lock);
  return g_get_monotonic_time () - last;
}

void
mcu_rtp_endpoint_get_counters (
    McuRtpEndpoint *self, McuRtpEndpointCounters *counters)
{
  g_mutex_lock (&self->lock);
  *counters = self->counters;
  g_mutex_unlock (&self->lock);
  g_mutex_lock (&self->send_lock);
  counters->send_errors = self->send_errors;
  g_mutex_unlock (&self->send_lock);
}

/* mcujitterbuffer's depth and jitter, when it is the jitter buffer. */
static void
read_jitter_buffer (McuRtpEndpoint *self, McuRtpEndpointStats *stats)
{
  g_autoptr (GstElement) jb = NULL;
  guint jitter = 0;

  g_mutex_lock (&self->lock);
  if (self->jb)
    jb = gst_object_ref (self->jb);
  g_mutex_unlock (&self->lock);
  if (jb == NULL)
    return;
  g_object_get (jb, "depth", &stats->jitter_buffer_ms, "jitter", &jitter, NULL);
  stats->jitter_ms = MAX (stats->jitter_ms, jitter);
}

/* Reads rtpbin's session statistics (no cost on the media path). */
void
mcu_rtp_endpoint_get_stats (McuRtpEndpoint *self, McuRtpEndpointStats *stats)
{
  g_autoptr (GObject) session = NULL;
  g_autoptr (GstStructure) s = NULL;
  const GValue *sources;

  memset (stats, 0, sizeof *stats);
  if (mcu_rtp_direct_get_stats (self, stats)) {
    read_jitter_buffer (self, stats);
    return;
  }
  if (self->rtpbin == NULL)
    return;
  read_jitter_buffer (self, stats);
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

/* ---- latching ---- */

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
mcu_rtp_endpoint_set_remote (
    McuRtpEndpoint *self, const gchar *address, guint rtp_port, guint rtcp_port)
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
  mcu_rtp_send_to_apply (self);
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
from_sdp (McuRtpEndpoint *self, GInetSocketAddress *in, guint port)
{
  GInetAddress *sdp = self->remote_inet;

  if (port == 0 || g_inet_socket_address_get_port (in) != port)
    return FALSE;
  return sdp &&
         g_inet_address_equal (sdp, g_inet_socket_address_get_address (in));
}

/* Send to @in from now on (lock held). */
static void
latch_to (McuRtpEndpoint *self, gboolean rtp, GInetSocketAddress *in)
{
  GInetSocketAddress **latched = rtp ? &self->latched_rtp : &self->latched_rtcp;
  g_autofree gchar *host = NULL;

  if (same_source (*latched, in))
    return;
  g_set_object (latched, in);
  host = g_inet_address_to_string (g_inet_socket_address_get_address (in));
  mcu_rtp_send_to_sink (self, rtp, host, g_inet_socket_address_get_port (in));
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
may_be_nat (McuRtpEndpoint *self, GInetSocketAddress *in, gint64 now)
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

/* Strict symmetric RTP: which source feeds this endpoint and gets what it
 * sends (lock held; FALSE: drop the packet before rtpbin, so that a stray
 * never becomes an SSRC stream there).
 * - No usable SDP address yet (a dial-out before its 2xx, c=0.0.0.0):
 *   nothing is taken, nothing latched.
 * - The SDP's own address:port is the peer: always taken, and sending goes
 *   (back) to it; once it has been heard, no other source is taken until a
 *   new SDP (mcu_rtp_endpoint_set_remote) starts over.
 * - Another source (a NAT between us, see may_be_nat) is latched to only
 *   while the SDP's has not been heard, and only when the source latched so
 *   far (if any) has been quiet for RELATCH_AFTER_US (NAT rebinding).
 * - Anything else is dropped: a stray stream would otherwise take over
 *   where we send and what the room hears and sees.
 * RTCP: from the SDP's RTCP address:port, or from the RTP peer's address. */
static gboolean
accept_source (
    McuRtpEndpoint *self, GInetSocketAddress *in, gboolean rtp, gint64 now)
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

/* ---- packets in and out ---- */

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

/* What a packet is, from its first bytes (no lock). */
typedef enum
{
  PACKET_GARBAGE,
  PACKET_RTP,
  PACKET_RTCP,
} PacketKind;

static PacketKind
classify (GstBuffer *buf, gboolean rtp_port, gboolean mux, gboolean srtp,
    guint32 *ssrc, guint *pt, guint *requests)
{
  GstRTPBuffer rtpbuf = GST_RTP_BUFFER_INIT;

  if (!rtp_port || (mux && is_rtcp (buf))) {
    /* SRTCP: srtpdec authenticates it; its keyframe requests are counted
     * after (mcu_rtp_endpoint_on_srtcp_decoded) */
    if (srtp)
      return mcu_srtp_rtcp_plausible (buf) ? PACKET_RTCP : PACKET_GARBAGE;
    if (!gst_rtcp_buffer_validate_reduced (buf))
      return PACKET_GARBAGE;
    *requests = count_keyframe_requests (buf);
    return PACKET_RTCP;
  }
  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtpbuf))
    return PACKET_GARBAGE; /* garbage never reaches rtpbin */
  *ssrc = gst_rtp_buffer_get_ssrc (&rtpbuf);
  *pt = gst_rtp_buffer_get_payload_type (&rtpbuf);
  gst_rtp_buffer_unmap (&rtpbuf);
  return PACKET_RTP;
}

/* One packet that came to the RTP port (@rtp_port) or the RTCP port: is
 * it the caller's? Latching, counters; (transfer full) where it goes, or
 * NULL to drop it. */
static McuRtpSrc *
take_packet (McuRtpEndpoint *self, GstBuffer *buf, GSocketAddress *from,
    gboolean rtp_port, gint64 now)
{
  PacketKind kind;
  McuRtpSrc *to;
  gboolean mux, srtp;
  guint32 ssrc = 0, clear[MAX_STREAMS];
  guint pt = 0, requests = 0, n_clear = 0;
  GstElement *bin = NULL, *rtpbin = NULL;

  g_mutex_lock (&self->lock);
  mux = self->rx_mux;
  srtp = self->rx_srtp;
  to = rtp_port ? self->src_rtp : self->src_rtcp;
  g_mutex_unlock (&self->lock);
  /* no transport; or RTCP to the RTCP port with rtcp-mux (not read) */
  if (to == NULL || (!rtp_port && mux))
    return NULL;
  kind = classify (buf, rtp_port, mux, srtp, &ssrc, &pt, &requests);
  if (kind == PACKET_GARBAGE)
    return NULL;

  g_mutex_lock (&self->lock);
  to = kind == PACKET_RTP ? self->src_rtp : self->src_rtcp;
  if (to == NULL || (G_IS_INET_SOCKET_ADDRESS (from) &&
                        !accept_source (self, G_INET_SOCKET_ADDRESS (from),
                            kind == PACKET_RTP, now))) {
    g_mutex_unlock (&self->lock);
    return NULL;
  }
  self->last_rx = now;
  if (kind == PACKET_RTP) {
    self->counters.packets_received++;
    if (pt == self->rx_pt) { /* the media stream (not DTMF) */
      self->ssrc = ssrc;
      self->have_ssrc = TRUE;
    }
    /* (rtpbin is set before the transport is published and stays until
     * after it is withdrawn, both under the lock) */
    if (self->rtpbin)
      n_clear = mcu_rtp_stream_set_packet (
          &self->streams, ssrc, self->ssrc, self->have_ssrc, now, clear);
    if (n_clear) {
      bin = gst_object_ref (self->bin);
      rtpbin = gst_object_ref (self->rtpbin);
    }
  }
  self->counters.keyframes_asked_in += requests;
  gst_object_ref (to);
  g_mutex_unlock (&self->lock);
  if (n_clear) {
    mcu_rtp_stream_set_drop (bin, rtpbin, clear, n_clear);
    gst_object_unref (rtpbin);
    gst_object_unref (bin);
  }
  return to;
}

/* McuRtpIo's thread: what came to one of our ports. */
static void
on_io_packets (McuRtpEndpoint *self, gboolean rtp_port, GstBuffer **bufs,
    GSocketAddress *const *from, guint n, GstClockTime arrival)
{
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < n; i++) {
    McuRtpSrc *to = take_packet (self, bufs[i], from[i], rtp_port, now);

    if (to == NULL)
      continue;
    /* taken, not reffed: mcurtpsrc stamps it and srtpdec decrypts it in
     * place without copying it again */
    arrival = GST_BUFFER_DTS (bufs[i]);
    mcu_rtp_src_push_full (to, g_steal_pointer (&bufs[i]), from[i], arrival);
    gst_object_unref (to);
  }
}

static void
on_rtp_io (gpointer data, GSocket *socket, GstBuffer **bufs,
    GSocketAddress *const *from, guint n, GstClockTime arrival)
{
  on_io_packets (data, TRUE, bufs, from, n, arrival);
}

static void
on_rtcp_io (gpointer data, GSocket *socket, GstBuffer **bufs,
    GSocketAddress *const *from, guint n, GstClockTime arrival)
{
  on_io_packets (data, FALSE, bufs, from, n, arrival);
}

/* The caller's RTCP out of srtpdec: its keyframe requests. */
GstPadProbeReturn
mcu_rtp_endpoint_on_srtcp_decoded (
    GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuRtpEndpoint *self = user_data;
  guint n = count_keyframe_requests (GST_PAD_PROBE_INFO_BUFFER (info));

  if (n) {
    g_mutex_lock (&self->lock);
    self->counters.keyframes_asked_in += n;
    g_mutex_unlock (&self->lock);
  }
  return GST_PAD_PROBE_OK;
}

/* What we send, before srtpenc encrypts it. */
GstPadProbeReturn
mcu_rtp_endpoint_on_rtcp_out (
    GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuRtpEndpoint *self = user_data;
  guint n = count_keyframe_requests (GST_PAD_PROBE_INFO_BUFFER (info));

  if (n) {
    g_mutex_lock (&self->lock);
    self->counters.keyframes_asked_out += n;
    g_mutex_unlock (&self->lock);
  }
  return GST_PAD_PROBE_OK;
}

GstCaps *
mcu_rtp_endpoint_get_pt_caps (McuRtpEndpoint *self, guint pt)
{
  for (guint i = 0; i < MCU_RTP_ENDPOINT_MAX_PT; i++) {
    GstCaps *caps = self->params.pt_caps[i];
    gint payload = -1;

    if (caps &&
        gst_structure_get_int (
            gst_caps_get_structure (caps, 0), "payload", &payload) &&
        payload == (gint)pt)
      return gst_caps_ref (caps);
  }
  return NULL;
}

void
mcu_rtp_endpoint_emit_stream_linked (McuRtpEndpoint *self, guint ssrc)
{
  g_signal_emit (self, signals[SIGNAL_STREAM_LINKED], 0, ssrc);
}

static GstCaps *
on_rtpbin_request_pt_map (
    GstElement *rtpbin, guint session, guint pt, McuRtpEndpoint *self)
{
  /* unknown payload types are dropped */
  return mcu_rtp_endpoint_get_pt_caps (self, pt);
}

/* @pad (rtpbin's recv_rtp_src_SESSION_SSRC_PT) into a fakesink
 * (mcu_rtp_stream_set_drop finds it by its name). */
static void
link_to_fakesink (GstElement *bin, GstPad *pad, guint ssrc, guint pt)
{
  g_autofree gchar *name = mcu_rtp_stream_set_sink_name (ssrc, pt);
  GstElement *sink = gst_element_factory_make ("fakesink", name);
  GstPad *sinkpad;

  g_object_set (sink, "async", FALSE, "sync", FALSE, NULL);
  /* (a name still taken: that SSRC's old stream is not gone yet; this
   * stream stays unlinked) */
  if (!gst_bin_add (GST_BIN (bin), sink))
    return;
  sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (sink);
}

/* A new SSRC/PT stream out of the jitter buffer (its streaming thread). */
static void
on_rtpbin_pad_added (GstElement *rtpbin, GstPad *pad, McuRtpEndpoint *self)
{
  g_autofree gchar *name = gst_pad_get_name (pad);
  guint session, ssrc, pt;
  gboolean current;
  GstPad *old;

  if (sscanf (name, "recv_rtp_src_%u_%u_%u", &session, &ssrc, &pt) != 3)
    return;
  g_mutex_lock (&self->lock);
  current = !self->have_ssrc || self->ssrc == ssrc;
  g_mutex_unlock (&self->lock);
  /* Another payload type (telephone-events are read before rtpbin), or a
   * stream that is no longer the caller's (a stray taken before the caller
   * was heard; its pad-added may come after the newer one's: the jitter
   * buffers have a thread each). */
  if (pt != self->params.pt || !current) {
    link_to_fakesink (self->bin, pad, ssrc, pt);
    return;
  }
  /* The caller changed SSRC: follow the new stream. The old one goes on
   * into a fakesink: unlinked, its late packets would return not-linked
   * through rtpbin to the udpsrc, which would stop receiving at all. */
  old = gst_ghost_pad_get_target (GST_GHOST_PAD (self->rtp_src));
  if (!gst_ghost_pad_set_target (GST_GHOST_PAD (self->rtp_src), pad))
    GST_WARNING_OBJECT (rtpbin, "could not link %s", name);
  if (old) {
    g_autofree gchar *old_name = gst_pad_get_name (old);
    guint old_ssrc, old_pt;

    if (sscanf (old_name, "recv_rtp_src_%u_%u_%u", &session, &old_ssrc,
            &old_pt) == 3)
      link_to_fakesink (self->bin, old, old_ssrc, old_pt);
    gst_object_unref (old);
  }
  g_signal_emit (self, signals[SIGNAL_STREAM_LINKED], 0, ssrc);
}

/* rtpbin's jitter buffer for a new SSRC (a streaming thread). */
static GstElement *
on_rtpbin_request_jitterbuffer (
    GstElement *rtpbin, guint session, McuRtpEndpoint *self)
{
  GstElement *jb = gst_element_factory_make ("mcujitterbuffer", NULL);
  GstObject *top = gst_object_ref (GST_OBJECT (rtpbin)), *parent;

  if (jb == NULL) {
    gst_object_unref (top);
    return NULL; /* rtpbin falls back to rtpjitterbuffer */
  }
  /* the room's pipeline: one room's inputs on one worker */
  while ((parent = gst_object_get_parent (top))) {
    gst_object_unref (top);
    top = parent;
  }
  /* never below jitter-latency, as with rtpbin's: a step down (10 ms
   * earlier) left holes at the listeners (test_plc) */
  g_object_set (jb, "min-latency", self->jitter_latency, NULL);
  mcu_playout_add (self->playout, MCU_JITTER_BUFFER (jb), top);
  gst_object_unref (top);
  g_mutex_lock (&self->lock);
  gst_object_replace ((GstObject **)&self->jb, GST_OBJECT (jb));
  g_mutex_unlock (&self->lock);
  return jb;
}

/* ---- building ---- */

GstElement *
mcu_rtp_endpoint_make_udpsink (GstBin *bin, GSocket *socket, GError **error)
{
  GstElement *e = mcu_pad_util_make (bin, "udpsink", error);

  if (e == NULL)
    return NULL;
  /* (no last-sample: a lock and a buffer ref/unref per packet sent, for
   * a property nobody reads) */
  g_object_set (e, "socket", socket, "close-socket", FALSE, "sync", FALSE,
      "async", FALSE, "enable-last-sample", FALSE, NULL);
  return e;
}

/* A source fed by our McuRtpIo watch with caps @media (our own element:
 * made directly, registered or not). */
GstElement *
mcu_rtp_endpoint_make_rtpsrc (GstBin *bin, const gchar *media)
{
  GstElement *e = g_object_new (MCU_TYPE_RTP_SRC, NULL);
  g_autoptr (GstCaps) caps = gst_caps_new_empty_simple (media);

  g_object_set (e, "caps", caps, NULL);
  gst_bin_add (bin, e);
  return e;
}

void
mcu_rtp_endpoint_add_probe (GstElement *e, const gchar *pad_name,
    GstPadProbeCallback cb, McuRtpEndpoint *self)
{
  GstPad *pad = gst_element_get_static_pad (e, pad_name);

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, cb, self, NULL);
  gst_object_unref (pad);
}

/* The sources and sinks around rtpbin (see the top of the file). The
 * sources are fed once mcu_rtp_endpoint_build publishes them. */
static gboolean
build_elements (McuRtpEndpoint *self, GstBin *bin, GstElement **src_rtp,
    GstElement **src_rtcp, GError **error)
{
  const McuRtpEndpointParams *p = &self->params;
  gboolean srtp = p->srtp != MCU_MEDIA_SRTP_NONE;
  GSocket *rtcp_socket = p->rtcp_mux ? self->ports.rtp : self->ports.rtcp;
  GstPad *rtcp_in, *send_sink;

  if (!(self->rtpbin = mcu_pad_util_make (bin, "rtpbin", error)) ||
      !(*src_rtp = mcu_rtp_endpoint_make_rtpsrc (
            bin, srtp ? "application/x-srtp" : "application/x-rtp")) ||
      !(*src_rtcp = mcu_rtp_endpoint_make_rtpsrc (
            bin, srtp ? "application/x-srtcp" : "application/x-rtcp")) ||
      !(self->udpsink_rtp =
              mcu_rtp_endpoint_make_udpsink (bin, self->ports.rtp, error)) ||
      !(self->udpsink_rtcp =
              mcu_rtp_endpoint_make_udpsink (bin, rtcp_socket, error)))
    return FALSE;
  g_object_set (self->rtpbin, "latency", self->jitter_latency, "do-lost", TRUE,
      "max-streams", MAX_STREAMS, NULL);
  if (p->avpf)
    gst_util_set_object_arg (G_OBJECT (self->rtpbin), "rtp-profile", "avpf");
  g_signal_connect (self->rtpbin, "request-pt-map",
      G_CALLBACK (on_rtpbin_request_pt_map), self);
  g_signal_connect (
      self->rtpbin, "pad-added", G_CALLBACK (on_rtpbin_pad_added), self);
  if (p->thread_free_jitter &&
      (self->playout = mcu_port_pool_get_playout (self->pool))) {
    g_signal_connect (self->rtpbin, "request-jitterbuffer",
        G_CALLBACK (on_rtpbin_request_jitterbuffer), self);
  }
  if (!mcu_srtp_build (&self->srtp, p->srtp, bin, self->rtpbin, error))
    return FALSE;
  if ((rtcp_in = mcu_srtp_get_rtcp_in_pad (&self->srtp)) != NULL)
    gst_pad_add_probe (rtcp_in, GST_PAD_PROBE_TYPE_BUFFER,
        mcu_rtp_endpoint_on_srtcp_decoded, self, NULL);

  send_sink = gst_element_request_pad_simple (self->rtpbin, "send_rtp_sink_0");
  if (send_sink)
    gst_element_add_pad (
        GST_ELEMENT (bin), gst_ghost_pad_new ("rtp_sink", send_sink));
  if (send_sink == NULL ||
      !gst_element_link_pads (
          *src_rtp, "src", self->rtpbin, "recv_rtp_sink_0") ||
      !gst_element_link_pads (
          *src_rtcp, "src", self->rtpbin, "recv_rtcp_sink_0") ||
      !mcu_srtp_link_send (
          &self->srtp, self->rtpbin, "rtp", self->udpsink_rtp) ||
      !mcu_srtp_link_send (
          &self->srtp, self->rtpbin, "rtcp", self->udpsink_rtcp)) {
    g_clear_object (&send_sink);
    g_set_error (
        error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE, "cannot link rtpbin");
    return FALSE;
  }
  g_clear_object (&send_sink);
  mcu_rtp_endpoint_add_probe (
      self->srtp.enc ? self->srtp.enc : self->udpsink_rtcp,
      self->srtp.enc ? "rtcp_sink_0" : "sink", mcu_rtp_endpoint_on_rtcp_out,
      self);
  self->rtp_src = gst_ghost_pad_new_no_target ("rtp_src", GST_PAD_SRC);
  gst_element_add_pad (GST_ELEMENT (bin), self->rtp_src);
  return TRUE;
}

/* The audio transport without rtpbin (mcu-rtp-direct.c): asked for, and
 * its jitter buffer has workers to drain it. Video keeps rtpbin (AVPF
 * feedback, its RTCP thread). */
static gboolean
use_direct (McuRtpEndpoint *self)
{
  return self->params.no_rtpbin && self->params.thread_free_jitter &&
         !self->params.avpf && mcu_port_pool_get_playout (self->pool) != NULL;
}

static void
clear_elements (McuRtpEndpoint *self)
{
  /* First: a push still in the old bin sends nothing from now on (it
   * waits for one sending): the pool closes the sockets on release (dispose)
   * and the kernel gives their numbers to the next file opened -- another
   * endpoint's socket, or a TCP connection. */
  mcu_rtp_send_to_nowhere (self);
  g_mutex_lock (&self->lock);
  self->udpsink_rtp = self->udpsink_rtcp = NULL;
  self->src_rtp = self->src_rtcp = NULL; /* nothing more is taken */
  gst_clear_object (&self->jb);
  g_mutex_unlock (&self->lock);
  self->rtpbin = NULL;
  self->rtp_src = NULL;
  self->rtcp_out = NULL;
  self->playout = NULL;
  mcu_srtp_reset (&self->srtp);
}

GstElement *
mcu_rtp_endpoint_build (
    McuRtpEndpoint *self, const McuRtpEndpointParams *params, GError **error)
{
  g_autofree gchar *name = g_strdup_printf ("rtp-%u", self->ports.port);
  g_autoptr (GstElement) bin = NULL;
  GstElement *src_rtp = NULL, *src_rtcp = NULL;

  g_return_val_if_fail (MCU_IS_RTP_ENDPOINT (self), NULL);
  g_return_val_if_fail (self->bin == NULL, NULL);
  clear_params (&self->params);
  self->params = *params;
  for (guint i = 0; i < MCU_RTP_ENDPOINT_MAX_PT; i++)
    if (params->pt_caps[i])
      gst_caps_ref (params->pt_caps[i]);

  bin = gst_object_ref_sink (gst_bin_new (name));
  if (!(use_direct (self) ? mcu_rtp_direct_build (
                                self, GST_BIN (bin), &src_rtp, &src_rtcp, error)
                          : build_elements (self, GST_BIN (bin), &src_rtp,
                                &src_rtcp, error))) {
    mcu_rtp_direct_stop (self);
    clear_elements (self);
    return NULL;
  }
  self->bin = g_steal_pointer (&bin);
  g_mutex_lock (&self->lock);
  /* the receive thread takes packets for the new transport from now on */
  self->src_rtp = MCU_RTP_SRC (src_rtp);
  self->src_rtcp = MCU_RTP_SRC (src_rtcp);
  self->rx_mux = params->rtcp_mux;
  self->rx_srtp = params->srtp != MCU_MEDIA_SRTP_NONE;
  self->rx_pt = params->pt;
  self->have_ssrc = FALSE; /* a new rtpbin: its first stream is linked */
  mcu_rtp_stream_set_init (&self->streams);
  /* a new transport (new codec): keep sending where the peer was heard */
  mcu_rtp_send_to_apply (self);
  g_mutex_unlock (&self->lock);
  mcu_rtp_direct_start (self);
  return self->bin;
}

void
mcu_rtp_endpoint_reset (McuRtpEndpoint *self)
{
  if (self->bin == NULL)
    return;
  mcu_rtp_direct_stop (self);
  clear_elements (self);
  g_clear_object (&self->bin);
}

GstPad *
mcu_rtp_endpoint_get_rtp_in_pad (McuRtpEndpoint *self)
{
  /* srtpdec sits inside rtpbin (request-rtp-decoder) or before the jitter
   * buffer: with SRTP its output, else where rtpbin (or the jitter buffer's
   * filter) takes the RTP in */
  if (self->srtp.dec)
    return gst_element_get_static_pad (self->srtp.dec, "rtp_src");
  if (self->rtpbin == NULL && self->src_rtp)
    return gst_element_get_static_pad (GST_ELEMENT (self->src_rtp), "src");
  if (self->rtpbin)
    return gst_element_get_static_pad (self->rtpbin, "recv_rtp_sink_0");
  return NULL;
}

gboolean
mcu_rtp_endpoint_get_thread_free_jitter (McuRtpEndpoint *self)
{
  return self->playout != NULL;
}

GstElement *
mcu_rtp_endpoint_get_rtpbin (McuRtpEndpoint *self)
{
  return self->rtpbin;
}
