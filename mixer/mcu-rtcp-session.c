/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuRtcpSession, the RTCP of one two-party RTP session without a
 * thread (what rtpbin's rtpsession does with one RTCP thread per
 * participant).
 *
 * Threads: none of its own. The endpoint calls on_rtp_received from its
 * receive path (McuRtpIo's thread), on_rtp_sent from its send path (a
 * streaming thread), build_report from McuRtpIo's timer, get_stats from
 * the main thread; on_rtcp_received (mcu-rtcp-parse.c) from the RTCP
 * receive path. Every field of the object is under `lock`, taken by
 * every public function and never held while calling out (GLib and
 * GstRTCPBuffer calls on our own buffers only).
 *
 * Receiver statistics follow RFC 3550 appendix A: A.1 sequence validation
 * (probation of MIN_SEQUENTIAL packets, resync after a big jump), A.3
 * expected/lost/fraction, A.8 interarrival jitter. */
#include "mcu-rtcp-session-private.h"

#include <gst/rtp/rtp.h>
#include <string.h>

#define RTP_SEQ_MOD    (1 << 16)
#define MAX_DROPOUT    3000
#define MAX_MISORDER   100
#define MIN_SEQUENTIAL 2
/* RFC 3550 6.2/6.3: the minimum interval (two members and our bandwidth
 * always give less), halved before the first report; the randomized
 * interval is divided by e - 3/2 (6.3.1, the reconsideration's
 * compensation), as rtpsession does. */
#define REPORT_INTERVAL    (5 * GST_SECOND)
#define RTCP_COMPENSATION  1.21828
#define EARLY_FEEDBACK_MIN (100 * GST_MSECOND)
#define NTP_UNIX_OFFSET    G_GUINT64_CONSTANT (2208988800)
#define MAX_CNAME          255

G_DEFINE_FINAL_TYPE (McuRtcpSession, mcu_rtcp_session, G_TYPE_OBJECT)

static void
mcu_rtcp_session_finalize (GObject *object)
{
  McuRtcpSession *self = MCU_RTCP_SESSION (object);

  g_free (self->cname);
  g_rand_free (self->rand);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (mcu_rtcp_session_parent_class)->finalize (object);
}

static void
mcu_rtcp_session_class_init (McuRtcpSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mcu_rtcp_session_finalize;
}

static void
mcu_rtcp_session_init (McuRtcpSession *self)
{
  g_mutex_init (&self->lock);
  self->rand = g_rand_new ();
  self->last_rtp_time = GST_CLOCK_TIME_NONE;
  self->lsr_arrival = GST_CLOCK_TIME_NONE;
  self->last_early = GST_CLOCK_TIME_NONE;
  self->next_report = GST_CLOCK_TIME_NONE;
  self->last_fir_seq = -1;
}

McuRtcpSession *
mcu_rtcp_session_new (guint32 local_ssrc, const gchar *cname)
{
  McuRtcpSession *self = g_object_new (MCU_TYPE_RTCP_SESSION, NULL);

  self->local_ssrc = local_ssrc;
  /* RFC 3550 6.5.1: a CNAME is never empty */
  self->cname = cname != NULL && cname[0] != '\0'
                    ? g_strndup (cname, MAX_CNAME)
                    : g_strdup_printf ("%08x@mcu", local_ssrc);
  return self;
}

void
mcu_rtcp_session_set_clock_rate (McuRtcpSession *self, guint clock_rate)
{
  g_return_if_fail (MCU_IS_RTCP_SESSION (self));
  g_mutex_lock (&self->lock);
  if (clock_rate != self->clock_rate)
    self->src.have_transit = FALSE; /* the jitter restarts from here */
  self->clock_rate = clock_rate;
  g_mutex_unlock (&self->lock);
}

void
mcu_rtcp_session_set_use_fir (McuRtcpSession *self, gboolean use_fir)
{
  g_return_if_fail (MCU_IS_RTCP_SESSION (self));
  g_mutex_lock (&self->lock);
  self->use_fir = use_fir;
  g_mutex_unlock (&self->lock);
}

void
mcu_rtcp_session_set_avpf (McuRtcpSession *self, gboolean avpf)
{
  g_return_if_fail (MCU_IS_RTCP_SESSION (self));
  g_mutex_lock (&self->lock);
  self->avpf = avpf;
  g_mutex_unlock (&self->lock);
}

/* --- receiver statistics (RFC 3550 A.1, A.3, A.8) ---------------------- */

static void
source_init_seq (RecvSource *s, guint16 seq)
{
  s->base_seq = seq;
  s->max_seq = seq;
  s->bad_seq = RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
  s->cycles = 0;
  s->received = 0;
  s->received_prior = 0;
  s->expected_prior = 0;
}

static void
source_start (RecvSource *s, guint32 ssrc, guint16 seq)
{
  memset (s, 0, sizeof *s);
  s->ssrc = ssrc;
  source_init_seq (s, seq);
  s->max_seq = seq - 1;
  s->probation = MIN_SEQUENTIAL;
  /* then update_seq with this first packet, as A.1 does: probation - 1 */
  s->probation--;
  s->max_seq = seq;
}

/* Packets expected minus packets received (A.3), while validated. */
static gint64
source_lost (const RecvSource *s)
{
  gint64 expected;

  if (s->probation > 0)
    return 0;
  expected = (gint64)(s->cycles + s->max_seq) - s->base_seq + 1;
  return expected - s->received;
}

/* Puts what `s` counted into the totals before it resets or is replaced. */
static void
fold_source (McuRtcpSession *self, const RecvSource *s)
{
  self->prior_received += s->received;
  self->prior_lost += MAX (source_lost (s), 0);
}

/* A.1's update_seq: TRUE when the packet counts. */
static gboolean
source_update_seq (McuRtcpSession *self, RecvSource *s, guint16 seq)
{
  guint16 udelta = seq - s->max_seq;

  if (s->probation > 0) {
    /* packet is in sequence */
    if (seq == (guint16)(s->max_seq + 1)) {
      s->probation--;
      s->max_seq = seq;
      if (s->probation == 0) {
        source_init_seq (s, seq);
        s->received++;
        return TRUE;
      }
    } else {
      s->probation = MIN_SEQUENTIAL - 1;
      s->max_seq = seq;
    }
    return FALSE;
  } else if (udelta < MAX_DROPOUT) {
    /* in order, with permissible gap */
    if (seq < s->max_seq)
      s->cycles += RTP_SEQ_MOD; /* sequence number wrapped */
    s->max_seq = seq;
  } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
    /* the sequence number made a very large jump */
    if (seq == s->bad_seq) {
      /* two sequential packets: the other side restarted without telling
       * us, so just re-sync */
      if (self != NULL)
        fold_source (self, s);
      source_init_seq (s, seq);
    } else {
      s->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
      return FALSE;
    }
  } else {
    /* duplicate or reordered packet: counted, as in A.1 */
  }
  s->received++;
  return TRUE;
}

/* A.8, in floating point: J += (|D| - J) / 16. */
static void
source_update_jitter (
    RecvSource *s, guint32 rtp_ts, GstClockTime arrival, guint clock_rate)
{
  guint32 arrival_ts =
      (guint32)gst_util_uint64_scale (arrival, clock_rate, GST_SECOND);
  gint32 transit = (gint32)(arrival_ts - rtp_ts);
  gint32 d;

  if (s->have_transit) {
    /* modulo 2^32, as A.8's int arithmetic means (no signed overflow) */
    d = (gint32)((guint32)transit - (guint32)s->transit);
    s->jitter += (ABS ((gdouble)d) - s->jitter) / 16.0;
  }
  s->transit = transit;
  s->have_transit = TRUE;
}

gboolean
mcu_rtcp_session_on_rtp_received (
    McuRtcpSession *self, const guint8 *data, gsize len, GstClockTime arrival)
{
  guint16 seq;
  guint32 ts, ssrc;
  gboolean counted = FALSE;

  g_return_val_if_fail (MCU_IS_RTCP_SESSION (self), FALSE);
  if (mcu_rtcp_session_classify (data, len) != MCU_RTCP_DATAGRAM_RTP)
    return FALSE;
  seq = GST_READ_UINT16_BE (data + 2);
  ts = GST_READ_UINT32_BE (data + 4);
  ssrc = GST_READ_UINT32_BE (data + 8);

  g_mutex_lock (&self->lock);
  if (self->fixed_ssrc != 0 && ssrc != self->fixed_ssrc) {
    /* not the caller's */
  } else if (!self->have_source) {
    source_start (&self->src, ssrc, seq);
    self->have_source = TRUE;
  } else if (ssrc == self->src.ssrc) {
    counted = source_update_seq (self, &self->src, seq);
  } else if (!self->have_cand || self->cand.ssrc != ssrc) {
    source_start (&self->cand, ssrc, seq);
    self->have_cand = TRUE;
  } else if (source_update_seq (NULL, &self->cand, seq)) {
    /* a new SSRC passed probation: the caller's stream from now on */
    fold_source (self, &self->src);
    self->src = self->cand;
    self->have_cand = FALSE;
    self->fraction_lost = 0;
    counted = TRUE;
  }
  if (counted && self->clock_rate > 0)
    source_update_jitter (&self->src, ts, arrival, self->clock_rate);
  g_mutex_unlock (&self->lock);
  return counted;
}

void
mcu_rtcp_session_set_remote_ssrc (McuRtcpSession *self, guint32 ssrc)
{
  g_return_if_fail (MCU_IS_RTCP_SESSION (self));
  g_mutex_lock (&self->lock);
  self->fixed_ssrc = ssrc;
  if (ssrc == 0 || (self->have_source && self->src.ssrc == ssrc)) {
    /* following, or already counting that SSRC */
  } else if (self->have_cand && self->cand.ssrc == ssrc) {
    if (self->have_source)
      fold_source (self, &self->src);
    self->src = self->cand;
    self->have_source = TRUE;
    self->fraction_lost = 0;
  } else {
    if (self->have_source)
      fold_source (self, &self->src);
    self->have_source = FALSE;
    self->fraction_lost = 0;
  }
  if (ssrc != 0)
    self->have_cand = FALSE;
  g_mutex_unlock (&self->lock);
}

/* --- sender statistics -------------------------------------------------- */

/* Payload octets of an RTP packet (0 when the header is not sane). */
static gsize
rtp_payload_len (const guint8 *data, gsize len)
{
  gsize header = 12 + 4 * (data[0] & 0x0f);
  gsize padding = 0;

  if ((data[0] & 0x10) && len >= header + 4)
    header += 4 + 4 * (gsize)GST_READ_UINT16_BE (data + header + 2);
  if ((data[0] & 0x20) && len > 0)
    padding = data[len - 1];
  return len >= header + padding ? len - header - padding : 0;
}

void
mcu_rtcp_session_on_rtp_sent (
    McuRtcpSession *self, const guint8 *data, gsize len, GstClockTime now)
{
  guint32 ssrc, old;

  g_return_if_fail (MCU_IS_RTCP_SESSION (self));
  if (mcu_rtcp_session_classify (data, len) != MCU_RTCP_DATAGRAM_RTP)
    return;
  ssrc = GST_READ_UINT32_BE (data + 8);
  g_mutex_lock (&self->lock);
  old = self->local_ssrc;
  if (ssrc != old) {
    /* our reports speak for the stream we really send: its own counts */
    self->local_ssrc = ssrc;
    self->prior_sent += self->packets_sent;
    self->packets_sent = self->octets_sent = 0;
    self->sent_at_report[0] = self->sent_at_report[1] = 0;
  }
  self->packets_sent++;
  self->octets_sent += rtp_payload_len (data, len);
  self->last_rtp_ts = GST_READ_UINT32_BE (data + 4);
  self->last_rtp_time = now;
  g_mutex_unlock (&self->lock);
  if (ssrc != old)
    g_debug ("rtcp: our SSRC is now %08x (was %08x)", ssrc, old);
}

/* --- time ---------------------------------------------------------------- */

guint64
mcu_rtcp_session_ntp_time (McuRtcpSession *self, GstClockTime now)
{
  guint64 ns;

  if (!self->have_ntp_offset) {
    guint64 wall =
        (guint64)g_get_real_time () * 1000 + NTP_UNIX_OFFSET * GST_SECOND;
    self->ntp_offset = wall - now;
    self->have_ntp_offset = TRUE;
  }
  ns = now + self->ntp_offset;
  return ((ns / GST_SECOND) << 32) | (((ns % GST_SECOND) << 32) / GST_SECOND);
}

static GstClockTime
report_interval (McuRtcpSession *self, gboolean first)
{
  GstClockTime td = first ? REPORT_INTERVAL / 2 : REPORT_INTERVAL;

  return (GstClockTime)(td * g_rand_double_range (self->rand, 0.5, 1.5) /
                        RTCP_COMPENSATION);
}

GstClockTime
mcu_rtcp_session_next_report_time (McuRtcpSession *self, GstClockTime now)
{
  GstClockTime next;

  g_return_val_if_fail (MCU_IS_RTCP_SESSION (self), GST_CLOCK_TIME_NONE);
  g_mutex_lock (&self->lock);
  if (self->next_report == GST_CLOCK_TIME_NONE)
    self->next_report = now + report_interval (self, TRUE);
  next = self->next_report;
  g_mutex_unlock (&self->lock);
  return next;
}

/* --- building ------------------------------------------------------------ */

static void
add_report_block (McuRtcpSession *self, GstRTCPPacket *packet, GstClockTime now)
{
  RecvSource *s = &self->src;
  guint32 ext_max = s->cycles + s->max_seq;
  guint32 expected = ext_max - s->base_seq + 1;
  guint32 expected_interval = expected - s->expected_prior;
  guint32 received_interval = s->received - s->received_prior;
  gint64 lost_interval = (gint64)expected_interval - received_interval;
  gint64 lost = CLAMP (source_lost (s), -0x800000, 0x7fffff);
  guint32 dlsr = 0;

  s->expected_prior = expected;
  s->received_prior = s->received;
  if (expected_interval == 0 || lost_interval <= 0)
    self->fraction_lost = 0;
  else
    self->fraction_lost = (guint)((lost_interval << 8) / expected_interval);
  if (self->lsr_arrival != GST_CLOCK_TIME_NONE && now >= self->lsr_arrival)
    dlsr = (guint32)gst_util_uint64_scale (
        now - self->lsr_arrival, 65536, GST_SECOND);
  gst_rtcp_packet_add_rb (packet, s->ssrc, self->fraction_lost, (gint32)lost,
      ext_max, (guint32)s->jitter, self->lsr, dlsr);
}

/* A PLI (RFC 4585 6.3.1) or a FIR (RFC 5104 4.3.1: media SSRC 0, one
 * entry of the caller's SSRC and a new command sequence number). */
static void
add_feedback (McuRtcpSession *self, GstRTCPBuffer *rtcp)
{
  GstRTCPPacket packet;
  guint8 *fci;

  if (!gst_rtcp_buffer_add_packet (rtcp, GST_RTCP_TYPE_PSFB, &packet))
    return;
  gst_rtcp_packet_fb_set_sender_ssrc (&packet, self->local_ssrc);
  if (!self->use_fir) {
    gst_rtcp_packet_fb_set_type (&packet, GST_RTCP_PSFB_TYPE_PLI);
    gst_rtcp_packet_fb_set_media_ssrc (&packet, self->src.ssrc);
  } else {
    gst_rtcp_packet_fb_set_type (&packet, GST_RTCP_PSFB_TYPE_FIR);
    gst_rtcp_packet_fb_set_media_ssrc (&packet, 0);
    if (!gst_rtcp_packet_fb_set_fci_length (&packet, 2))
      return;
    fci = gst_rtcp_packet_fb_get_fci (&packet);
    GST_WRITE_UINT32_BE (fci, self->src.ssrc);
    GST_WRITE_UINT32_BE (fci + 4, (guint32)self->fir_seq++ << 24);
  }
  self->keyframes_out++;
}

/* The compound packet, lock held. */
static GBytes *
build_compound (
    McuRtcpSession *self, GstClockTime now, gboolean bye, const gchar *reason)
{
  g_autoptr (GstBuffer) buf = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gboolean sender = self->packets_sent != self->sent_at_report[0];
  guint64 ntp = mcu_rtcp_session_ntp_time (self, now);
  gpointer data = NULL;
  gsize size = 0;

  gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp);
  if (sender) {
    guint32 rtp_ts = self->last_rtp_ts;

    if (self->clock_rate > 0 && self->last_rtp_time != GST_CLOCK_TIME_NONE &&
        now >= self->last_rtp_time)
      rtp_ts += (guint32)gst_util_uint64_scale (
          now - self->last_rtp_time, self->clock_rate, GST_SECOND);
    gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_SR, &packet);
    gst_rtcp_packet_sr_set_sender_info (&packet, self->local_ssrc, ntp, rtp_ts,
        (guint32)self->packets_sent, (guint32)self->octets_sent);
  } else {
    gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RR, &packet);
    gst_rtcp_packet_rr_set_ssrc (&packet, self->local_ssrc);
  }
  if (self->have_source && self->src.probation == 0)
    add_report_block (self, &packet, now);

  gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_SDES, &packet);
  gst_rtcp_packet_sdes_add_item (&packet, self->local_ssrc);
  gst_rtcp_packet_sdes_add_entry (&packet, GST_RTCP_SDES_CNAME,
      (guint8)strlen (self->cname), (const guint8 *)self->cname);

  /* a PLI names the caller's SSRC: it waits until we know one */
  if (self->pli_pending && self->have_source) {
    add_feedback (self, &rtcp);
    self->pli_pending = FALSE;
  }

  if (bye && gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_BYE, &packet)) {
    gst_rtcp_packet_bye_add_ssrc (&packet, self->local_ssrc);
    if (reason != NULL)
      gst_rtcp_packet_bye_set_reason (&packet, reason);
  }
  gst_rtcp_buffer_unmap (&rtcp);

  self->sent_at_report[0] = self->sent_at_report[1];
  self->sent_at_report[1] = self->packets_sent;
  self->reports_sent++;
  self->next_report = now + report_interval (self, FALSE);
  gst_buffer_extract_dup (buf, 0, gst_buffer_get_size (buf), &data, &size);
  return g_bytes_new_take (data, size);
}

GBytes *
mcu_rtcp_session_build_report (McuRtcpSession *self, GstClockTime now)
{
  GBytes *bytes;

  g_return_val_if_fail (MCU_IS_RTCP_SESSION (self), NULL);
  g_mutex_lock (&self->lock);
  bytes = build_compound (self, now, FALSE, NULL);
  g_mutex_unlock (&self->lock);
  return bytes;
}

GBytes *
mcu_rtcp_session_build_bye (
    McuRtcpSession *self, GstClockTime now, const gchar *reason)
{
  GBytes *bytes;

  g_return_val_if_fail (MCU_IS_RTCP_SESSION (self), NULL);
  g_mutex_lock (&self->lock);
  bytes = build_compound (self, now, TRUE, reason);
  g_mutex_unlock (&self->lock);
  return bytes;
}

gboolean
mcu_rtcp_session_request_keyframe (McuRtcpSession *self, GstClockTime now)
{
  gboolean at_once = FALSE;

  g_return_val_if_fail (MCU_IS_RTCP_SESSION (self), FALSE);
  g_mutex_lock (&self->lock);
  self->pli_pending = TRUE;
  if (self->avpf && (self->last_early == GST_CLOCK_TIME_NONE ||
                        now >= self->last_early + EARLY_FEEDBACK_MIN)) {
    self->last_early = now;
    at_once = TRUE;
  }
  g_mutex_unlock (&self->lock);
  return at_once;
}

/* --- reading ------------------------------------------------------------- */

void
mcu_rtcp_session_get_stats (McuRtcpSession *self, McuRtcpStats *stats)
{
  g_return_if_fail (MCU_IS_RTCP_SESSION (self));
  memset (stats, 0, sizeof *stats);
  g_mutex_lock (&self->lock);
  stats->packets_sent = self->prior_sent + self->packets_sent;
  stats->octets_sent = self->octets_sent;
  stats->packets_received = self->prior_received;
  stats->packets_lost = self->prior_lost;
  if (self->have_source) {
    stats->packets_received += self->src.received;
    stats->packets_lost += MAX (source_lost (&self->src), 0);
    if (self->src.probation == 0)
      stats->remote_ssrc = self->src.ssrc;
    if (self->clock_rate > 0)
      stats->jitter_ms =
          (guint)(self->src.jitter * 1000.0 / self->clock_rate + 0.5);
  }
  stats->fraction_lost = self->fraction_lost;
  stats->have_rtt = self->have_rtt;
  stats->rtt_ms = self->rtt_ms;
  stats->keyframes_asked_in = self->keyframes_in;
  stats->keyframes_asked_out = self->keyframes_out;
  stats->reports_sent = self->reports_sent;
  stats->remote_fraction_lost = self->remote_fraction_lost;
  g_mutex_unlock (&self->lock);
}

void
mcu_rtcp_session_get_endpoint_stats (
    McuRtcpSession *self, McuRtpEndpointStats *stats)
{
  McuRtcpStats all;

  mcu_rtcp_session_get_stats (self, &all);
  memset (stats, 0, sizeof *stats);
  stats->packets_sent = all.packets_sent;
  stats->octets_sent = all.octets_sent;
  stats->packets_lost = all.packets_lost;
  stats->jitter_ms = all.jitter_ms;
}

McuRtcpDatagram
mcu_rtcp_session_classify (const guint8 *data, gsize len)
{
  if (data == NULL || len < 8 || (data[0] >> 6) != 2)
    return MCU_RTCP_DATAGRAM_OTHER;
  if (data[1] >= 192 && data[1] <= 223)
    return MCU_RTCP_DATAGRAM_RTCP;
  return len >= 12 + 4 * (gsize)(data[0] & 0x0f) ? MCU_RTCP_DATAGRAM_RTP
                                                 : MCU_RTCP_DATAGRAM_OTHER;
}
