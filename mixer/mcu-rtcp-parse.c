/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuRtcpSession, the caller's RTCP: SR (the LSR and its arrival for
 * our report blocks), report blocks about our stream (round-trip time,
 * RFC 3550 6.4.1), PLI (RFC 4585 6.3.1) and FIR (RFC 5104 4.3.1) asking us
 * for a keyframe, BYE. Any thread; under the session's `lock`. */
#include "mcu-rtcp-session-private.h"

/* --- parsing the caller's RTCP ------------------------------------------- */

/* Whether `ssrc` is the caller's (or may be: no source yet). */
static gboolean
is_caller (McuRtcpSession *self, guint32 ssrc)
{
  if (self->fixed_ssrc != 0)
    return ssrc == self->fixed_ssrc;
  return !self->have_source || ssrc == self->src.ssrc;
}

static void
parse_report_blocks (
    McuRtcpSession *self, GstRTCPPacket *packet, GstClockTime now)
{
  guint n = gst_rtcp_packet_get_rb_count (packet);

  for (guint i = 0; i < n; i++) {
    guint32 ssrc, exthighest, jitter, lsr, dlsr, rtt;
    guint8 fraction;
    gint32 lost;

    gst_rtcp_packet_get_rb (
        packet, i, &ssrc, &fraction, &lost, &exthighest, &jitter, &lsr, &dlsr);
    if (ssrc != self->local_ssrc)
      continue;
    self->remote_fraction_lost = fraction;
    if (lsr == 0 || !self->have_ntp_offset)
      continue;
    /* RFC 3550 6.4.1: A - LSR - DLSR, in 1/65536 s */
    rtt =
        mcu_rtcp_ntp_short (mcu_rtcp_session_ntp_time (self, now)) - lsr - dlsr;
    if (rtt > G_MAXINT32)
      continue; /* negative: a clock or the caller is wrong */
    self->rtt_ms = (guint)(((guint64)rtt * 1000 + 32768) / 65536);
    self->have_rtt = TRUE;
  }
}

/* PLI or FIR for our stream: TRUE when it asks for a new keyframe. */
static gboolean
parse_psfb (McuRtcpSession *self, GstRTCPPacket *packet)
{
  GstRTCPFBType type = gst_rtcp_packet_fb_get_type (packet);

  if (type == GST_RTCP_PSFB_TYPE_PLI) {
    guint32 media = gst_rtcp_packet_fb_get_media_ssrc (packet);

    return self->local_ssrc == 0 || media == self->local_ssrc;
  }
  if (type == GST_RTCP_PSFB_TYPE_FIR) {
    /* RFC 5104 4.3.1: entries of SSRC + command sequence number; a FIR
     * repeating the last number is a retransmission */
    guint words = gst_rtcp_packet_fb_get_fci_length (packet);
    const guint8 *fci = gst_rtcp_packet_fb_get_fci (packet);
    gboolean asked = FALSE;

    for (guint i = 0; fci != NULL && i + 2 <= words; i += 2) {
      const guint8 *entry = fci + 4 * i;

      if (GST_READ_UINT32_BE (entry) != self->local_ssrc ||
          entry[4] == self->last_fir_seq)
        continue;
      self->last_fir_seq = entry[4];
      asked = TRUE;
    }
    return asked;
  }
  return FALSE;
}

static gboolean
parse_bye (McuRtcpSession *self, GstRTCPPacket *packet)
{
  guint n = gst_rtcp_packet_bye_get_ssrc_count (packet);

  for (guint i = 0; i < n; i++) {
    guint32 ssrc = gst_rtcp_packet_bye_get_nth_ssrc (packet, i);

    if (self->have_source ? ssrc == self->src.ssrc : is_caller (self, ssrc))
      return TRUE;
  }
  return FALSE;
}

static McuRtcpFeedback
parse_packet (McuRtcpSession *self, GstRTCPPacket *packet, GstClockTime now)
{
  guint32 ssrc, rtp_ts, packets, octets;
  guint64 ntp;

  switch (gst_rtcp_packet_get_type (packet)) {
    case GST_RTCP_TYPE_SR:
      gst_rtcp_packet_sr_get_sender_info (
          packet, &ssrc, &ntp, &rtp_ts, &packets, &octets);
      if (is_caller (self, ssrc)) {
        self->lsr = mcu_rtcp_ntp_short (ntp);
        self->lsr_arrival = now;
      }
      parse_report_blocks (self, packet, now);
      return MCU_RTCP_FEEDBACK_NONE;
    case GST_RTCP_TYPE_RR:
      parse_report_blocks (self, packet, now);
      return MCU_RTCP_FEEDBACK_NONE;
    case GST_RTCP_TYPE_PSFB:
      if (!parse_psfb (self, packet))
        return MCU_RTCP_FEEDBACK_NONE;
      self->keyframes_in++;
      return MCU_RTCP_FEEDBACK_KEYFRAME_ASKED;
    case GST_RTCP_TYPE_BYE:
      return parse_bye (self, packet) ? MCU_RTCP_FEEDBACK_BYE
                                      : MCU_RTCP_FEEDBACK_NONE;
    default:
      return MCU_RTCP_FEEDBACK_NONE;
  }
}

McuRtcpFeedback
mcu_rtcp_session_on_rtcp_received (
    McuRtcpSession *self, const guint8 *data, gsize len, GstClockTime now)
{
  g_autoptr (GstBuffer) buf = NULL;
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  McuRtcpFeedback feedback = MCU_RTCP_FEEDBACK_NONE;
  gboolean more;

  g_return_val_if_fail (MCU_IS_RTCP_SESSION (self), feedback);
  /* the validator only reads; it takes a mutable pointer */
  if (len < 4 || len > 65535 ||
      !gst_rtcp_buffer_validate_data_reduced ((guint8 *)data, (guint)len))
    return feedback;
  buf = gst_buffer_new_wrapped_full (
      GST_MEMORY_FLAG_READONLY, (gpointer)data, len, 0, len, NULL, NULL);
  if (!gst_rtcp_buffer_map (buf, GST_MAP_READ, &rtcp))
    return feedback;
  g_mutex_lock (&self->lock);
  for (more = gst_rtcp_buffer_get_first_packet (&rtcp, &packet); more;
       more = gst_rtcp_packet_move_to_next (&packet))
    feedback |= parse_packet (self, &packet, now);
  g_mutex_unlock (&self->lock);
  gst_rtcp_buffer_unmap (&rtcp);
  return feedback;
}
