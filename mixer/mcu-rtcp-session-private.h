/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuRtcpSession's fields, shared by mcu-rtcp-session.c (statistics,
 * building, schedule) and mcu-rtcp-parse.c (the caller's RTCP). Every
 * field of the object is under `lock` (see mcu-rtcp-session.c). */
#pragma once

#include "mcu-rtcp-session.h"

#include <gst/rtp/rtp.h>

G_BEGIN_DECLS

/* One source we receive (RFC 3550 A.1's source). */
typedef struct
{
  guint32 ssrc;
  guint16 max_seq;  /* highest seq. number seen */
  guint32 cycles;   /* shifted count of seq. number cycles */
  guint32 base_seq; /* base seq number */
  guint32 bad_seq;  /* last 'bad' seq number + 1 */
  guint probation;  /* sequential packets till source is valid */
  guint32 received; /* packets received */
  guint32 expected_prior;
  guint32 received_prior;
  gboolean have_transit;
  gint32 transit; /* relative transit time for prev packet */
  gdouble jitter; /* estimated jitter, RTP units */
} RecvSource;

struct _McuRtcpSession
{
  GObject parent;

  GMutex lock; /* every field below */
  guint32 local_ssrc;
  gchar *cname;
  guint clock_rate;
  gboolean avpf;
  gboolean use_fir;
  GRand *rand;

  /* receiving: the caller's source, a candidate SSRC in probation (when
   * not fixed by set_remote_ssrc), and what sources before them counted */
  guint32 fixed_ssrc; /* 0: follow */
  gboolean have_source;
  RecvSource src;
  gboolean have_cand;
  RecvSource cand;
  guint64 prior_received;
  guint64 prior_lost;
  guint fraction_lost;

  /* sending */
  guint64 packets_sent; /* of local_ssrc (the SR's counts) */
  guint64 octets_sent;
  guint64 prior_sent; /* of our SSRCs before it */
  guint32 last_rtp_ts;
  GstClockTime last_rtp_time;
  guint64 sent_at_report[2]; /* packets_sent at the report before last, last */

  /* the caller's SR (for our RR's LSR/DLSR) and RR (our RTT) */
  guint32 lsr;
  GstClockTime lsr_arrival;
  gboolean have_rtt;
  guint rtt_ms;
  guint remote_fraction_lost;

  /* keyframes */
  gboolean pli_pending;
  GstClockTime last_early;
  gint last_fir_seq; /* -1: none */
  guint8 fir_seq;    /* the command sequence number of our next FIR */
  guint64 keyframes_in;
  guint64 keyframes_out;

  /* schedule and NTP */
  GstClockTime next_report;
  gboolean have_ntp_offset;
  guint64 ntp_offset; /* ns from our clock to ns since the NTP epoch */
  guint64 reports_sent;
};

/* Our clock's `now` as a 64-bit NTP timestamp (lock held). */
guint64 mcu_rtcp_session_ntp_time (McuRtcpSession *self, GstClockTime now);

/* The middle 32 bits of an NTP time (16.16 seconds: LSR, A in RTT). */
static inline guint32
mcu_rtcp_ntp_short (guint64 ntp)
{
  return (guint32)(ntp >> 16);
}

G_END_DECLS
