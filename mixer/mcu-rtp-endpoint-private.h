/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuRtpEndpoint's insides, shared by mcu-rtp-endpoint.c (the object,
 * latching, the receive thread's callbacks, the transport around rtpbin)
 * and mcu-rtp-direct.c (the audio transport without rtpbin). Threads and
 * locks: see the top of mcu-rtp-endpoint.c. */
#pragma once

#include "mcu-rtp-endpoint.h"
#include "mcu-rtcp-session.h"
#include "mcu-rtp-src.h"
#include "mcu-rtp-stream-set-private.h"

#include <sys/socket.h>

G_BEGIN_DECLS

/* How our RTP leaves (the direct transport, mcu-rtp-direct.c). */
typedef enum
{
  MCU_RTP_SEND_NOWHERE, /* no address yet, or c=0.0.0.0 hold: dropped */
  MCU_RTP_SEND_DIRECT,  /* sendto on the RTP socket, from the mixer's push */
  MCU_RTP_SEND_UDPSINK, /* a host name, another family: udpsink's clients */
} McuRtpSendMode;

struct _McuRtpEndpoint
{
  GObject parent_instance;

  McuPortPool *pool;
  McuPortPair ports;
  McuRtpIo *io; /* (transfer none) the pool's */
  McuRtpIoWatch *watch_rtp;
  McuRtpIoWatch *watch_rtcp;
  guint jitter_latency;        /* ms */
  McuRtpEndpointParams params; /* of the built transport; owns pt_caps */
  McuSrtp srtp;

  GstElement *bin; /* (owned) (nullable) the transport */
  GstElement *rtpbin;
  GstPad *rtp_src;     /* (transfer none) ghost pad of bin */
  McuPlayout *playout; /* (transfer none) thread_free_jitter: the pool's */

  GMutex lock; /* protects everything below */
  /* what the receive thread feeds (NULL: no transport; in `bin`) */
  McuRtpSrc *src_rtp;
  McuRtpSrc *src_rtcp;
  gboolean rx_mux;  /* params.rtcp_mux of the transport */
  gboolean rx_srtp; /* params.srtp != NONE */
  guint rx_pt;      /* params.pt */
  GstElement *udpsink_rtp;
  GstElement *udpsink_rtcp;
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
  guint32 ssrc;        /* of the last media RTP packet taken, if have_ssrc */
  gboolean have_ssrc;
  McuRtpStreamSet streams; /* the SSRCs rtpbin has streams for */
  McuRtpEndpointCounters counters;
  GstElement *jb; /* (owned) (nullable) the last mcujitterbuffer made */

  /* the transport without rtpbin (mcu-rtp-direct.c); written by build and
   * reset on the main thread while nothing streams or the timer runs */
  McuRtcpSession *rtcp;      /* (owned) (nullable) */
  McuRtpIoTimer *rtcp_timer; /* (nullable) its reports, on McuRtpIo */
  McuRtpSrc *rtcp_out;       /* (nullable) in `bin`: the reports go out */
  guint32 linked_ssrc;       /* McuRtpIo's thread: the stream in jb */
  gboolean linked;

  /* Where our RTP goes, mirrored from udpsink_rtp's client (set with
   * `lock` held, then `send_lock`: nothing else is taken under it). The
   * mixer's thread sends each packet with `send_lock` held (a sendto that
   * never blocks), so that the reset (NOWHERE, fd -1) waits for a send in
   * progress and none follows on a socket the pool then closes.
   * `send_mode` (a McuRtpSendMode) is also written with g_atomic_int_set,
   * for mcu_rtp_endpoint_sends_direct's look without the lock. */
  GMutex send_lock;
  gint send_mode;
  gint send_fd; /* ports.rtp's; -1 after reset */
  struct sockaddr_storage send_to;
  socklen_t send_to_len;
  guint64 send_errors;      /* failed sendto (McuRtpEndpointCounters) */
  gint64 send_error_logged; /* monotonic time of the last log, 0: none */
};

/* ---- mcu-rtp-endpoint.c ---- */
GstElement *mcu_rtp_endpoint_make_udpsink (
    GstBin *bin, GSocket *socket, GError **error);
/* mcurtpsrc with caps @media (a bare media type), added to @bin. */
GstElement *mcu_rtp_endpoint_make_rtpsrc (GstBin *bin, const gchar *media);
void mcu_rtp_endpoint_add_probe (GstElement *e, const gchar *pad_name,
    GstPadProbeCallback cb, McuRtpEndpoint *self);
/* Buffer probes: the keyframe requests in the caller's SRTCP once
 * decrypted, in the RTCP we send. */
GstPadProbeReturn mcu_rtp_endpoint_on_srtcp_decoded (
    GstPad *pad, GstPadProbeInfo *info, gpointer user_data);
GstPadProbeReturn mcu_rtp_endpoint_on_rtcp_out (
    GstPad *pad, GstPadProbeInfo *info, gpointer user_data);
/* (transfer full) (nullable) params.pt_caps for payload type @pt. */
GstCaps *mcu_rtp_endpoint_get_pt_caps (McuRtpEndpoint *self, guint pt);
/* "stream-linked" */
void mcu_rtp_endpoint_emit_stream_linked (McuRtpEndpoint *self, guint ssrc);

/* ---- mcu-rtp-send-to.c ---- */
/* The direct send's copy of udpsink_rtp's client (`lock` held): @address
 * (when @usable: an IP address of the RTP socket's family, see
 * mcu_rtp_send_to_sink) is sent to by mcu_rtp_direct_send, or by udpsink
 * when there is no RTP socket; not @usable: nowhere. */
void mcu_rtp_send_to_direct (
    McuRtpEndpoint *self, gboolean usable, const gchar *address, guint port);
/* No more direct sends (the transport is reset), waiting for one in
 * progress. */
void mcu_rtp_send_to_nowhere (McuRtpEndpoint *self);
/* Point @rtp's (else RTCP's) sink at @address:@port (`lock` held); at
 * nothing when it is no IP address of the socket's family (a host name,
 * the other family, c=0.0.0.0). */
void mcu_rtp_send_to_sink (
    McuRtpEndpoint *self, gboolean rtp, const gchar *address, guint port);
/* Where to send: the latched sources, else the SDP's (`lock` held). */
void mcu_rtp_send_to_apply (McuRtpEndpoint *self);

/* ---- mcu-rtp-direct.c ---- */
/* Sends the RTP packet @data of @size bytes to the peer (the mixer's
 * thread), with one `send_lock`: returns the mode it was sent in. DIRECT:
 * sent, or the send failed (a full socket buffer, an ICMP error: this
 * packet only is lost, and counted in `send_errors`); NOWHERE: dropped;
 * UDPSINK: not sent, udpsink_rtp must send it. */
McuRtpSendMode mcu_rtp_direct_send (
    McuRtpEndpoint *self, const guint8 *data, gsize size);
/* The audio transport without rtpbin into @bin: mcurtpsrc, [srtpdec],
 * mcujitterbuffer on McuPlayout, [srtpenc], udpsinks, McuRtcpSession.
 * Sets `rtpbin` NULL, `rtp_src`, `jb`, `rtcp`, `rtcp_out`. */
gboolean mcu_rtp_direct_build (McuRtpEndpoint *self, GstBin *bin,
    GstElement **src_rtp, GstElement **src_rtcp, GError **error);
/* Its RTCP reports start (after build published the sources). */
void mcu_rtp_direct_start (McuRtpEndpoint *self);
/* ... and stop, waiting for one in progress; the session goes. */
void mcu_rtp_direct_stop (McuRtpEndpoint *self);
/* McuRtcpSession's figures (FALSE: not a direct transport). */
gboolean mcu_rtp_direct_get_stats (
    McuRtpEndpoint *self, McuRtpEndpointStats *stats);

G_END_DECLS
