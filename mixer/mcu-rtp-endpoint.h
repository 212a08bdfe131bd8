/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one participant's RTP transport for one medium (audio or video):
 * its port pair (or one rtcp-mux port), symmetric RTP and latching, SRTP,
 * RTCP (SR/RR, feedback), the jitter buffer, counters and inactivity.
 * McuMediaSession and McuVideoSession keep only their codec chains and see
 * the transport as one element with two pads: "rtp_src" (the caller's
 * media stream, in order, out of the jitter buffer) and "rtp_sink" (RTP to
 * send it). */
#pragma once

#include <gst/gst.h>
#include "mcu-port-pool.h"
#include "mcu-srtp.h"

G_BEGIN_DECLS

#define MCU_RTP_ENDPOINT_MAX_PT 4

/* How the transport is built (mcu_rtp_endpoint_build). */
typedef struct
{
  McuMediaSrtpSuite srtp;
  gboolean rtcp_mux; /* RTCP on the RTP port, both ways (RFC 5761) */
  gboolean avpf;     /* the AVPF profile: feedback (PLI, FIR) at once */
  guint pt;          /* the media's payload type: its stream is rtp_src */
  /* (nullable) what arrives under each payload type taken (caps with
   * "payload"); the others are dropped. Up to MCU_RTP_ENDPOINT_MAX_PT. */
  GstCaps *pt_caps[MCU_RTP_ENDPOINT_MAX_PT];
  /* mcujitterbuffer (no thread; adaptive depth) serviced by the port
   * pool's McuPlayout, instead of rtpjitterbuffer (two threads), when the
   * pool has one (mcu_rtp_endpoint_get_thread_free_jitter) */
  gboolean thread_free_jitter;
  /* with thread_free_jitter, not avpf: no rtpbin either (RTCP from
   * McuRtcpSession on McuRtpIo's timers): no thread of its own at all */
  gboolean no_rtpbin;
} McuRtpEndpointParams;

/* Counters (any thread). */
typedef struct
{
  guint64 packets_received;    /* the caller's RTP that was taken */
  guint64 keyframes_asked_in;  /* PLI + FIR in the caller's RTCP */
  guint64 keyframes_asked_out; /* PLI + FIR in the RTCP we sent */
  /* our RTP the direct transport could not send (a full socket buffer, a
   * pending ICMP error): lost on our side */
  guint64 send_errors;
} McuRtpEndpointCounters;

/* rtpbin's view (main thread). */
typedef struct
{
  guint64 packets_sent;   /* RTP to the caller */
  guint64 packets_lost;   /* the caller's RTP lost on the way in */
  guint jitter_ms;        /* interarrival jitter of the caller's RTP */
  guint jitter_buffer_ms; /* mcujitterbuffer's depth (0 with rtpbin's) */
  guint64 octets_sent;    /* their payload octets (direct transport) */
} McuRtpEndpointStats;

#define MCU_TYPE_RTP_ENDPOINT (mcu_rtp_endpoint_get_type ())
G_DECLARE_FINAL_TYPE (
    McuRtpEndpoint, mcu_rtp_endpoint, MCU, RTP_ENDPOINT, GObject)

/* Signal "stream-linked" (guint ssrc), on a streaming thread: rtp_src
 * carries a new stream from now on (the first, or the caller's new SSRC);
 * a video decoder asks it for a keyframe. */

/* Binds the ports now (so they can go into the SDP answer). */
McuRtpEndpoint *mcu_rtp_endpoint_new (
    McuPortPool *pool, guint jitter_latency, GError **error);
guint mcu_rtp_endpoint_get_rtp_port (McuRtpEndpoint *self);
guint mcu_rtp_endpoint_get_rtcp_port (McuRtpEndpoint *self);

/* A new transport element (transfer none: the endpoint keeps a ref until
 * reset) with the pads "rtp_src" and "rtp_sink", for the session's bin.
 * Takes its own refs on params->pt_caps. Sends where the caller was heard
 * before, else to the SDP's address. Main thread; the previous one must be
 * gone (mcu_rtp_endpoint_reset). */
GstElement *mcu_rtp_endpoint_build (
    McuRtpEndpoint *self, const McuRtpEndpointParams *params, GError **error);
/* The fan-out of the shared encode (mcu-media-fanout.c), implemented in
 * mcu-rtp-direct.c. Whether the transport built last is the direct one
 * (no rtpbin) without SRTP, whose clear RTP packets the endpoint counts and
 * sends itself (main thread, after build). */
gboolean mcu_rtp_endpoint_is_direct_clear (McuRtpEndpoint *self);
/* Whether packets of a transport that is_direct_clear are sent by the
 * endpoint itself now (FALSE while the remote is a host name, which
 * udpsink resolves): asked before making a packet for send_rtp, so that a
 * frame is not made twice, for nothing. Any thread, without a lock: the
 * answer may be stale by the time of send_rtp, which decides. */
gboolean mcu_rtp_endpoint_sends_direct (McuRtpEndpoint *self);
/* On the thread that pushes into rtp_sink (the mixer's), for a transport
 * that is_direct_clear, instead of a push: counts the RTP packet @data of
 * @size bytes for the sender reports and sends it, exactly as a packet
 * pushed into rtp_sink (the latched address, the send errors). FALSE, and
 * nothing counted or sent, when packets must go through udpsink now (a
 * host name as the remote address): push it instead. */
gboolean mcu_rtp_endpoint_send_rtp (
    McuRtpEndpoint *self, const guint8 *data, gsize size);

/* Forgets the transport element (its bin was set to NULL and dropped). */
void mcu_rtp_endpoint_reset (McuRtpEndpoint *self);

/* SRTP keys (see mcu_srtp_set_keys): before build, and again to re-key. */
void mcu_rtp_endpoint_set_srtp_keys (McuRtpEndpoint *self,
    const McuMediaSrtpKey *send, const McuMediaSrtpKey *recv);
/* Where to send until the caller's real source is seen (latching). The
 * same address again (hold, resume) keeps the latched source. */
void mcu_rtp_endpoint_set_remote (McuRtpEndpoint *self, const gchar *address,
    guint rtp_port, guint rtcp_port);
/* The room's fixed latency, given to the sinks (rtpsession stamps its
 * sender reports with it). */
void mcu_rtp_endpoint_set_latency (McuRtpEndpoint *self, GstClockTime latency);

/* Microseconds since the last RTP or RTCP packet was taken (since creation
 * when none came yet). Any thread. */
gint64 mcu_rtp_endpoint_get_idle_time (McuRtpEndpoint *self);
void mcu_rtp_endpoint_get_counters (
    McuRtpEndpoint *self, McuRtpEndpointCounters *counters);
/* Zeros when no transport is built. Main thread. */
void mcu_rtp_endpoint_get_stats (
    McuRtpEndpoint *self, McuRtpEndpointStats *stats);

/* (nullable) (transfer full) the pad every RTP packet taken passes,
 * decrypted, all payload types and SSRCs (telephone-events are read
 * there). Main thread, after build. */
GstPad *mcu_rtp_endpoint_get_rtp_in_pad (McuRtpEndpoint *self);

/* Whether the built transport uses mcujitterbuffer (which adapts its own
 * depth), not rtpbin's. Main thread, after build. */
gboolean mcu_rtp_endpoint_get_thread_free_jitter (McuRtpEndpoint *self);

/* (nullable) (transfer none) the rtpbin holding the jitter buffers, for
 * McuAudioDecode's adaptive depth of rtpbin's jitter buffers (its
 * "latency", its session's source stats). Main thread, after build. */
GstElement *mcu_rtp_endpoint_get_rtpbin (McuRtpEndpoint *self);

G_END_DECLS
