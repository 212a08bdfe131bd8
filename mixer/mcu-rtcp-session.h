/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the RTCP side of one RTP endpoint (RFC 3550, RFC 4585 PLI, RFC 5104
 * FIR) for a two-party session: the caller and us. No threads and no
 * timers of its own: the endpoint feeds it the RTP it receives and sends,
 * the RTCP it receives, and asks it for a report when next_report_time
 * comes (from McuRtpIo's timer). Every function may be called from any
 * thread (the object locks itself).
 *
 * Times (`now`, `arrival`) are nanoseconds of one monotonic clock (the
 * system clock McuRtpIo stamps packets with); the NTP timestamps of our
 * reports are that clock plus the wall clock's offset taken once.
 *
 * In an endpoint: new (the SSRC we send, if known), set_clock_rate from the
 * payload type's caps, set_avpf from the profile, set_remote_ssrc once
 * latched; every RTP datagram taken (after SRTP) -> on_rtp_received; a
 * probe on what is sent (before SRTP) -> on_rtp_sent; a McuRtpIo timer at
 * next_report_time -> build_report -> [SRTCP] -> send, then return
 * next_report_time; RTCP in (classify tells it apart on an rtcp-mux port)
 * -> on_rtcp_received -> KEYFRAME_ASKED: ask the encoder; on hangup
 * build_bye. Include this header from .c files only (it includes
 * mcu-rtp-endpoint.h for McuRtpEndpointStats). */
#pragma once

#include <glib-object.h>
#include <gst/gst.h>
#include "mcu-rtp-endpoint.h"

G_BEGIN_DECLS

/* What the caller's RTCP asked for (mcu_rtcp_session_on_rtcp_received). */
typedef enum
{
  MCU_RTCP_FEEDBACK_NONE = 0,
  MCU_RTCP_FEEDBACK_KEYFRAME_ASKED = 1 << 0, /* a PLI, or a new FIR */
  MCU_RTCP_FEEDBACK_BYE = 1 << 1,            /* the caller's SSRC left */
} McuRtcpFeedback;

/* What a datagram on an rtcp-mux port is (RFC 5761 section 4). */
typedef enum
{
  MCU_RTCP_DATAGRAM_OTHER = 0, /* too short, not version 2 (STUN, DTLS) */
  MCU_RTCP_DATAGRAM_RTP,
  MCU_RTCP_DATAGRAM_RTCP,
} McuRtcpDatagram;

typedef struct
{
  guint64 packets_sent;     /* our RTP */
  guint64 octets_sent;      /* its payload octets */
  guint64 packets_received; /* the caller's RTP, validated (RFC 3550 A.1) */
  guint64 packets_lost;     /* the caller's RTP lost (A.3, cumulative) */
  guint fraction_lost;      /* in the last report interval, 1/256 */
  guint jitter_ms;          /* interarrival jitter of the caller's RTP */
  guint rtt_ms;             /* from the caller's last RR (0: not known) */
  gboolean have_rtt;
  guint32 remote_ssrc;         /* the caller's SSRC (0: none yet) */
  guint64 keyframes_asked_in;  /* PLI + new FIR in the caller's RTCP */
  guint64 keyframes_asked_out; /* PLI or FIR in the reports we built */
  guint64 reports_sent;        /* compound packets built */
  guint remote_fraction_lost;  /* the caller's view of our RTP, 1/256 */
} McuRtcpStats;

#define MCU_TYPE_RTCP_SESSION (mcu_rtcp_session_get_type ())
G_DECLARE_FINAL_TYPE (
    McuRtcpSession, mcu_rtcp_session, MCU, RTCP_SESSION, GObject)

/* `local_ssrc`: the SSRC of the RTP we send (followed when on_rtp_sent
 * sees another); `cname` (nullable): our SDES CNAME ("<ssrc>@mcu" when
 * NULL or empty). */
McuRtcpSession *mcu_rtcp_session_new (guint32 local_ssrc, const gchar *cname);

/* The clock rate of the caller's RTP (jitter; 0: jitter not computed) and
 * of ours (the RTP time of our SR). */
void mcu_rtcp_session_set_clock_rate (McuRtcpSession *self, guint clock_rate);

/* The AVPF profile (RFC 4585): a keyframe request is sent at once. */
void mcu_rtcp_session_set_avpf (McuRtcpSession *self, gboolean avpf);

/* Ask for keyframes with a FIR (RFC 5104, the caller offered only
 * `ccm fir`) instead of a PLI. */
void mcu_rtcp_session_set_use_fir (McuRtcpSession *self, gboolean use_fir);

/* The caller's SSRC as the endpoint latched it: RTP of any other SSRC is
 * not counted from now on. 0: take the first SSRC that passes probation
 * and follow a new one once it passed probation too (the default). */
void mcu_rtcp_session_set_remote_ssrc (McuRtcpSession *self, guint32 ssrc);

/* One RTP packet from the caller. Returns TRUE when it was counted (the
 * caller's SSRC, valid in sequence), FALSE for garbage, another SSRC, a
 * packet in probation or after a big jump. */
gboolean mcu_rtcp_session_on_rtp_received (
    McuRtcpSession *self, const guint8 *data, gsize len, GstClockTime arrival);

/* One RTP packet we sent to the caller. */
void mcu_rtcp_session_on_rtp_sent (
    McuRtcpSession *self, const guint8 *data, gsize len, GstClockTime now);

/* When the next report is due (the first: half an interval after the
 * first call). */
GstClockTime mcu_rtcp_session_next_report_time (
    McuRtcpSession *self, GstClockTime now);

/* (transfer full) a compound RTCP packet: SR (when we sent RTP since the
 * report before last) or RR, a report block for the caller's SSRC, SDES
 * CNAME, then a PLI when a keyframe was requested. Schedules the next. */
GBytes *mcu_rtcp_session_build_report (McuRtcpSession *self, GstClockTime now);

/* (transfer full) the same, ending with a BYE of our SSRC (`reason`
 * nullable). */
GBytes *mcu_rtcp_session_build_bye (
    McuRtcpSession *self, GstClockTime now, const gchar *reason);

/* The caller's RTCP (compound or reduced-size). */
McuRtcpFeedback mcu_rtcp_session_on_rtcp_received (
    McuRtcpSession *self, const guint8 *data, gsize len, GstClockTime now);

/* Asks the caller for a keyframe: a PLI in the next report. Returns TRUE
 * when that report should be built and sent now (AVPF: early feedback, at
 * most one per 100 ms), FALSE when it rides the next regular one. */
gboolean mcu_rtcp_session_request_keyframe (
    McuRtcpSession *self, GstClockTime now);

void mcu_rtcp_session_get_stats (McuRtcpSession *self, McuRtcpStats *stats);

/* The same figures in the endpoint's shape (mcu_rtp_endpoint_get_stats). */
void mcu_rtcp_session_get_endpoint_stats (
    McuRtcpSession *self, McuRtpEndpointStats *stats);

/* RTP, RTCP or neither, for a datagram on an rtcp-mux port (RFC 5761:
 * the second octet 192..223 is RTCP, i.e. RTP payload types 64..95 are
 * never used). */
McuRtcpDatagram mcu_rtcp_session_classify (const guint8 *data, gsize len);

G_END_DECLS
