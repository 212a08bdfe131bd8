/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuRtcpSession (RFC 3550 receiver/sender statistics, SR/RR, RTT,
 * PLI/FIR), checked against hand-computed figures and against GStreamer's
 * own rtpsession parsing the reports we build. */
#include "mcu-rtcp-session.h"

#include <gst/check/gstharness.h>
#include <gst/rtp/rtp.h>
#include <string.h>

#define LOCAL_SSRC  0x11110001u
#define CALLER_SSRC 0xca11e400u
#define PAYLOAD     160

typedef struct
{
  guint8 data[12 + PAYLOAD];
} Rtp;

static const guint8 *
rtp (Rtp *p, guint16 seq, guint32 ts, guint32 ssrc)
{
  memset (p->data, 0, sizeof p->data);
  p->data[0] = 0x80;
  p->data[1] = 0; /* PCMU */
  GST_WRITE_UINT16_BE (p->data + 2, seq);
  GST_WRITE_UINT32_BE (p->data + 4, ts);
  GST_WRITE_UINT32_BE (p->data + 8, ssrc);
  return p->data;
}

static gboolean
receive (McuRtcpSession *s, guint16 seq, guint32 ts, guint32 ssrc,
    GstClockTime arrival)
{
  Rtp p;

  return mcu_rtcp_session_on_rtp_received (
      s, rtp (&p, seq, ts, ssrc), sizeof p.data, arrival);
}

static void
send_rtp (McuRtcpSession *s, guint16 seq, guint32 ts, GstClockTime now)
{
  Rtp p;

  mcu_rtcp_session_on_rtp_sent (
      s, rtp (&p, seq, ts, LOCAL_SSRC), sizeof p.data, now);
}

/* What one of our compound packets says. */
typedef struct
{
  gboolean sr;
  guint32 ssrc;
  guint64 ntp;
  guint32 rtp_ts, packets, octets;
  guint n_rb;
  guint32 rb_ssrc, exthighest, jitter, lsr, dlsr;
  guint8 fraction;
  gint32 lost;
  gchar *cname;
  gboolean pli;
  guint32 pli_media;
  gboolean fir;
  guint32 fir_ssrc;
  guint8 fir_seq;
  gboolean bye;
} Report;

static void
parse_report (GBytes *bytes, Report *r)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autoptr (GstBuffer) buf = gst_buffer_new_memdup (data, len);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gboolean more;

  memset (r, 0, sizeof *r);
  /* a full compound packet: SR or RR first, SDES, padding and lengths */
  g_assert_true (gst_rtcp_buffer_validate (buf));
  g_assert_true (gst_rtcp_buffer_map (buf, GST_MAP_READ, &rtcp));
  for (more = gst_rtcp_buffer_get_first_packet (&rtcp, &packet); more;
       more = gst_rtcp_packet_move_to_next (&packet)) {
    switch (gst_rtcp_packet_get_type (&packet)) {
      case GST_RTCP_TYPE_SR:
        r->sr = TRUE;
        gst_rtcp_packet_sr_get_sender_info (
            &packet, &r->ssrc, &r->ntp, &r->rtp_ts, &r->packets, &r->octets);
        /* fall through */
      case GST_RTCP_TYPE_RR:
        if (!r->sr)
          r->ssrc = gst_rtcp_packet_rr_get_ssrc (&packet);
        r->n_rb = gst_rtcp_packet_get_rb_count (&packet);
        if (r->n_rb > 0)
          gst_rtcp_packet_get_rb (&packet, 0, &r->rb_ssrc, &r->fraction,
              &r->lost, &r->exthighest, &r->jitter, &r->lsr, &r->dlsr);
        break;
      case GST_RTCP_TYPE_SDES: {
        GstRTCPSDESType type;
        guint8 n;
        guint8 *item;

        g_assert_true (gst_rtcp_packet_sdes_first_entry (&packet));
        g_assert_true (
            gst_rtcp_packet_sdes_get_entry (&packet, &type, &n, &item));
        g_assert_cmpint (type, ==, GST_RTCP_SDES_CNAME);
        r->cname = g_strndup ((const gchar *)item, n);
        break;
      }
      case GST_RTCP_TYPE_PSFB:
        if (gst_rtcp_packet_fb_get_type (&packet) == GST_RTCP_PSFB_TYPE_FIR) {
          const guint8 *fci = gst_rtcp_packet_fb_get_fci (&packet);

          g_assert_cmpuint (gst_rtcp_packet_fb_get_fci_length (&packet), ==, 2);
          r->fir = TRUE;
          r->fir_ssrc = GST_READ_UINT32_BE (fci);
          r->fir_seq = fci[4];
          break;
        }
        g_assert_cmpint (
            gst_rtcp_packet_fb_get_type (&packet), ==, GST_RTCP_PSFB_TYPE_PLI);
        r->pli = TRUE;
        r->pli_media = gst_rtcp_packet_fb_get_media_ssrc (&packet);
        break;
      case GST_RTCP_TYPE_BYE:
        r->bye = gst_rtcp_packet_bye_get_nth_ssrc (&packet, 0) == r->ssrc;
        break;
      default:
        g_assert_not_reached ();
    }
  }
  gst_rtcp_buffer_unmap (&rtcp);
}

static void
report_at (McuRtcpSession *s, GstClockTime now, Report *r)
{
  g_autoptr (GBytes) bytes = mcu_rtcp_session_build_report (s, now);

  parse_report (bytes, r);
}

/* The caller's RTCP: RR (or SR) + optional extras, as bytes. */
typedef void (*AddFunc) (GstRTCPBuffer *rtcp, gpointer data);

static GBytes *
caller_rtcp (AddFunc add, gpointer data)
{
  g_autoptr (GstBuffer) buf = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  gpointer out = NULL;
  gsize size = 0;

  gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp);
  add (&rtcp, data);
  gst_rtcp_buffer_unmap (&rtcp);
  gst_buffer_extract_dup (buf, 0, gst_buffer_get_size (buf), &out, &size);
  return g_bytes_new_take (out, size);
}

static McuRtcpFeedback
feed (McuRtcpSession *s, GBytes *bytes, GstClockTime now)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  McuRtcpFeedback f = mcu_rtcp_session_on_rtcp_received (s, data, len, now);

  g_bytes_unref (bytes);
  return f;
}

/* --- loss ---------------------------------------------------------------- */

static void
test_loss_fraction (void)
{
  g_autoptr (McuRtcpSession) s = mcu_rtcp_session_new (LOCAL_SSRC, "mcu@t");
  /* drops (65533, 0), a reorder (3 before 2) and the wrap */
  static const guint16 first[] = { 65530, 65531, 65532, 65534, 65535, 1, 3, 2,
    4, 5 };
  McuRtcpStats st;
  Report r;

  mcu_rtcp_session_set_clock_rate (s, 8000);
  mcu_rtcp_session_set_remote_ssrc (s, CALLER_SSRC);
  g_assert_false (receive (s, 65529, 0, 0x5eeeeeee, 0)); /* a stranger */
  for (guint i = 0; i < G_N_ELEMENTS (first); i++)
    g_assert_true (receive (s, first[i], first[i] * 160u, CALLER_SSRC, 0) ==
                   (i > 0)); /* the first is in probation (A.1) */
  g_assert_false (receive (s, 6, 0, 0x5eeeeeee, 0));

  /* base 65531, highest 65536 + 5: 11 expected, 9 received */
  report_at (s, GST_SECOND, &r);
  g_assert_false (r.sr);
  g_assert_cmpuint (r.n_rb, ==, 1);
  g_assert_cmphex (r.rb_ssrc, ==, CALLER_SSRC);
  g_assert_cmpuint (r.exthighest, ==, 65536 + 5);
  g_assert_cmpint (r.lost, ==, 2);
  g_assert_cmpuint (r.fraction, ==, (2 << 8) / 11);
  g_free (r.cname);
  mcu_rtcp_session_get_stats (s, &st);
  g_assert_cmpuint (st.packets_received, ==, 9);
  g_assert_cmpuint (st.packets_lost, ==, 2);
  g_assert_cmphex (st.remote_ssrc, ==, CALLER_SSRC);

  /* the next interval: 6..25 without 10 and 20, 15 twice: 20 expected,
   * 19 received (a duplicate counts, A.1), so 1 lost in the interval */
  for (guint16 seq = 6; seq <= 25; seq++) {
    if (seq == 10 || seq == 20)
      continue;
    g_assert_true (receive (s, seq, seq * 160u, CALLER_SSRC, 0));
    if (seq == 15)
      g_assert_true (receive (s, seq, seq * 160u, CALLER_SSRC, 0));
  }
  report_at (s, 2 * GST_SECOND, &r);
  g_assert_cmpuint (r.exthighest, ==, 65536 + 25);
  g_assert_cmpuint (r.fraction, ==, (1 << 8) / 20);
  g_assert_cmpint (r.lost, ==, 31 - 28);
  g_free (r.cname);

  /* a jump of 5000 is not counted until a second packet confirms it */
  g_assert_false (receive (s, 5025, 0, CALLER_SSRC, 0));
  g_assert_true (receive (s, 5026, 0, CALLER_SSRC, 0));
  mcu_rtcp_session_get_stats (s, &st);
  g_assert_cmpuint (st.packets_received, ==, 28 + 1);
  g_assert_cmpuint (st.packets_lost, ==, 3);
}

/* Without a fixed SSRC: the first one, then a new one after probation. */
static void
test_follow_ssrc (void)
{
  g_autoptr (McuRtcpSession) s = mcu_rtcp_session_new (LOCAL_SSRC, "mcu@t");
  McuRtcpStats st;

  for (guint16 seq = 100; seq <= 104; seq++)
    receive (s, seq, 0, 0xaaaa, 0);
  g_assert_false (receive (s, 7, 0, 0xbbbb, 0)); /* probation */
  mcu_rtcp_session_get_stats (s, &st);
  g_assert_cmphex (st.remote_ssrc, ==, 0xaaaa);
  g_assert_true (receive (s, 8, 0, 0xbbbb, 0));
  mcu_rtcp_session_get_stats (s, &st);
  g_assert_cmphex (st.remote_ssrc, ==, 0xbbbb);
  g_assert_cmpuint (st.packets_received, ==, 4 + 1);
  g_assert_false (receive (s, 105, 0, 0xaaaa, 0)); /* a lone old packet */
  mcu_rtcp_session_get_stats (s, &st);
  g_assert_cmphex (st.remote_ssrc, ==, 0xbbbb);

  mcu_rtcp_session_set_remote_ssrc (s, 0xaaaa);
  g_assert_false (receive (s, 9, 0, 0xbbbb, 0));
  /* 105 started its probation as a candidate; 106 ends it */
  g_assert_true (receive (s, 106, 0, 0xaaaa, 0));
  mcu_rtcp_session_get_stats (s, &st);
  g_assert_cmphex (st.remote_ssrc, ==, 0xaaaa);
  g_assert_cmpuint (st.packets_received, ==, 4 + 1 + 1);
  g_assert_false (receive (s, 10, 0, 0xbbbb, 0));
}

/* --- jitter -------------------------------------------------------------- */

static void
test_jitter (void)
{
  g_autoptr (McuRtcpSession) s = mcu_rtcp_session_new (LOCAL_SSRC, "mcu@t");
  /* 20 ms packets arriving at these times (ms) */
  static const guint arrival_ms[] = { 0, 20, 45, 58, 80, 101, 130, 140, 160,
    185, 200, 222, 260, 261, 280 };
  const guint32 ts0 = 0xffffff00; /* the RTP timestamp wraps */
  const GstClockTime base = 1000 * GST_SECOND;
  gdouble j = 0;
  McuRtcpStats st;
  Report r;

  mcu_rtcp_session_set_clock_rate (s, 8000);
  for (guint i = 0; i < G_N_ELEMENTS (arrival_ms); i++) {
    receive (s, 500 + i, ts0 + 160 * i, CALLER_SSRC,
        base + arrival_ms[i] * GST_MSECOND);
    /* RFC 3550 6.4.1: D(i-1,i) = (Rj - Ri) - (Sj - Si), J += (|D| - J)/16;
     * from the third packet (the first is in probation, the second sets
     * the transit) */
    if (i >= 2) {
      gdouble d = (gdouble)(arrival_ms[i] - arrival_ms[i - 1]) * 8 - 160;

      j += (ABS (d) - j) / 16;
    }
  }
  report_at (s, base + GST_SECOND, &r);
  g_assert_cmpuint (r.n_rb, ==, 1);
  g_assert_cmpuint (r.jitter, ==, (guint32)j);
  g_assert_cmpuint (r.jitter, >, 0);
  g_free (r.cname);
  mcu_rtcp_session_get_stats (s, &st);
  g_assert_cmpuint (st.jitter_ms, ==, (guint)(j / 8 + 0.5));
}

/* A timestamp leap of half the 32-bit range: D is taken modulo 2^32 (the
 * fuzzer found a signed overflow here; the UBSan run fails without it). */
static void
test_jitter_leap (void)
{
  g_autoptr (McuRtcpSession) s = mcu_rtcp_session_new (LOCAL_SSRC, "mcu@t");
  McuRtcpStats st;
  Report r;

  mcu_rtcp_session_set_clock_rate (s, 8000);
  receive (s, 1, 0, CALLER_SSRC, GST_SECOND);
  receive (s, 2, 0x80000000u, CALLER_SSRC, GST_SECOND);
  receive (s, 3, 0, CALLER_SSRC, GST_SECOND);
  report_at (s, 2 * GST_SECOND, &r);
  /* |D| = 2^31 once: J = 2^31 / 16 */
  g_assert_cmpuint (r.jitter, ==, 0x80000000u / 16);
  g_free (r.cname);
  mcu_rtcp_session_get_stats (s, &st);
  g_assert_cmpuint (st.jitter_ms, ==, (guint)(0x80000000u / 16 / 8.0 + 0.5));
}

/* --- SR, RR, RTT ---------------------------------------------------------- */

typedef struct
{
  guint32 lsr, dlsr;
  guint64 ntp;
} RrData;

static void
add_caller_rr (GstRTCPBuffer *rtcp, gpointer data)
{
  RrData *d = data;
  GstRTCPPacket p;

  gst_rtcp_buffer_add_packet (rtcp, GST_RTCP_TYPE_RR, &p);
  gst_rtcp_packet_rr_set_ssrc (&p, CALLER_SSRC);
  gst_rtcp_packet_add_rb (&p, LOCAL_SSRC, 0, 0, 0, 0, d->lsr, d->dlsr);
}

static void
add_caller_sr (GstRTCPBuffer *rtcp, gpointer data)
{
  RrData *d = data;
  GstRTCPPacket p;

  gst_rtcp_buffer_add_packet (rtcp, GST_RTCP_TYPE_SR, &p);
  gst_rtcp_packet_sr_set_sender_info (&p, CALLER_SSRC, d->ntp, 0, 1, 160);
}

static void
test_rtt (void)
{
  g_autoptr (McuRtcpSession) s = mcu_rtcp_session_new (LOCAL_SSRC, "mcu@t");
  const GstClockTime t0 = 11 * GST_SECOND;
  RrData rr = { 0 };
  McuRtcpStats st;
  Report r;

  mcu_rtcp_session_set_clock_rate (s, 48000);
  report_at (s, 5 * GST_SECOND, &r); /* nothing sent yet: an RR */
  g_assert_false (r.sr);
  g_assert_cmpuint (r.n_rb, ==, 0);
  g_assert_cmphex (r.ssrc, ==, LOCAL_SSRC);
  g_assert_cmpstr (r.cname, ==, "mcu@t");
  g_free (r.cname);

  send_rtp (s, 1, 1000, 10 * GST_SECOND);
  report_at (s, t0, &r);
  g_assert_true (r.sr);
  g_assert_cmpuint (r.packets, ==, 1);
  g_assert_cmpuint (r.octets, ==, PAYLOAD);
  g_assert_cmpuint (r.rtp_ts, ==, 1000 + 48000); /* 1 s after the packet */
  g_free (r.cname);

  /* the caller held our SR 100 ms; it arrives back 150 ms after: 50 ms */
  rr.lsr = (guint32)(r.ntp >> 16);
  rr.dlsr = 6554; /* 0.1 s in 1/65536 s */
  g_assert_cmpint (
      feed (s, caller_rtcp (add_caller_rr, &rr), t0 + 150 * GST_MSECOND), ==,
      MCU_RTCP_FEEDBACK_NONE);
  mcu_rtcp_session_get_stats (s, &st);
  g_assert_true (st.have_rtt);
  g_assert_cmpuint (st.rtt_ms, ==, 50);

  /* the caller's SR: our RR's LSR is its middle bits, DLSR the time held */
  receive (s, 1, 0, CALLER_SSRC, t0);
  receive (s, 2, 160, CALLER_SSRC, t0);
  rr.ntp = G_GUINT64_CONSTANT (0x1234567890abcdef);
  feed (s, caller_rtcp (add_caller_sr, &rr), 20 * GST_SECOND);
  report_at (s, 20 * GST_SECOND + GST_SECOND / 2, &r);
  g_assert_true (r.sr); /* sent since the report before last */
  g_assert_cmpuint (r.n_rb, ==, 1);
  g_assert_cmphex (r.lsr, ==, 0x567890ab);
  g_assert_cmpuint (r.dlsr, ==, 32768);
  g_free (r.cname);
  report_at (s, 25 * GST_SECOND, &r);
  g_assert_false (r.sr); /* nothing sent for two reports */
  g_free (r.cname);
}

/* --- keyframe requests ---------------------------------------------------- */

typedef struct
{
  GstRTCPFBType type;
  guint32 media;
  guint8 fir_seq;
  gboolean bye;
} FbData;

static void
add_caller_fb (GstRTCPBuffer *rtcp, gpointer data)
{
  FbData *d = data;
  GstRTCPPacket p;

  gst_rtcp_buffer_add_packet (rtcp, GST_RTCP_TYPE_RR, &p);
  gst_rtcp_packet_rr_set_ssrc (&p, CALLER_SSRC);
  if (d->bye) {
    gst_rtcp_buffer_add_packet (rtcp, GST_RTCP_TYPE_BYE, &p);
    gst_rtcp_packet_bye_add_ssrc (&p, CALLER_SSRC);
    return;
  }
  gst_rtcp_buffer_add_packet (rtcp, GST_RTCP_TYPE_PSFB, &p);
  gst_rtcp_packet_fb_set_type (&p, d->type);
  gst_rtcp_packet_fb_set_sender_ssrc (&p, CALLER_SSRC);
  if (d->type == GST_RTCP_PSFB_TYPE_PLI) {
    gst_rtcp_packet_fb_set_media_ssrc (&p, d->media);
  } else {
    guint8 *fci;

    gst_rtcp_packet_fb_set_media_ssrc (&p, 0);
    gst_rtcp_packet_fb_set_fci_length (&p, 2);
    fci = gst_rtcp_packet_fb_get_fci (&p);
    GST_WRITE_UINT32_BE (fci, d->media);
    fci[4] = d->fir_seq;
    fci[5] = fci[6] = fci[7] = 0;
  }
}

static McuRtcpFeedback
feed_fb (McuRtcpSession *s, GstRTCPFBType type, guint32 media, guint8 seq)
{
  FbData d = { type, media, seq, FALSE };

  return feed (s, caller_rtcp (add_caller_fb, &d), GST_SECOND);
}

static void
test_keyframes (void)
{
  g_autoptr (McuRtcpSession) s = mcu_rtcp_session_new (LOCAL_SSRC, "mcu@t");
  const GstRTCPFBType pli = GST_RTCP_PSFB_TYPE_PLI;
  const GstRTCPFBType fir = GST_RTCP_PSFB_TYPE_FIR;
  FbData bye = { 0, 0, 0, TRUE };
  static const guint8 garbage[] = { 0x40, 201, 0, 1, 1, 2, 3, 4 };
  McuRtcpStats st;
  Report r;

  receive (s, 1, 0, CALLER_SSRC, 0);
  receive (s, 2, 160, CALLER_SSRC, 0);
  g_assert_cmpint (
      feed_fb (s, pli, LOCAL_SSRC, 0), ==, MCU_RTCP_FEEDBACK_KEYFRAME_ASKED);
  g_assert_cmpint (feed_fb (s, pli, 0x5eeeeeee, 0), ==, 0);
  g_assert_cmpint (
      feed_fb (s, fir, LOCAL_SSRC, 7), ==, MCU_RTCP_FEEDBACK_KEYFRAME_ASKED);
  g_assert_cmpint (feed_fb (s, fir, LOCAL_SSRC, 7), ==, 0); /* repeated */
  g_assert_cmpint (
      feed_fb (s, fir, LOCAL_SSRC, 8), ==, MCU_RTCP_FEEDBACK_KEYFRAME_ASKED);
  g_assert_cmpint (feed_fb (s, fir, 0x5eeeeeee, 9), ==, 0);
  g_assert_cmpint (mcu_rtcp_session_on_rtcp_received (
                       s, garbage, sizeof garbage, GST_SECOND),
      ==, 0);
  mcu_rtcp_session_get_stats (s, &st);
  g_assert_cmpuint (st.keyframes_asked_in, ==, 3);
  g_assert_cmpint (feed (s, caller_rtcp (add_caller_fb, &bye), GST_SECOND), ==,
      MCU_RTCP_FEEDBACK_BYE);

  /* ours: a PLI in the next report; at once only with AVPF */
  g_assert_false (mcu_rtcp_session_request_keyframe (s, GST_SECOND));
  report_at (s, 2 * GST_SECOND, &r);
  g_assert_true (r.pli);
  g_assert_cmphex (r.pli_media, ==, CALLER_SSRC);
  g_free (r.cname);
  report_at (s, 3 * GST_SECOND, &r);
  g_assert_false (r.pli);
  g_free (r.cname);
  mcu_rtcp_session_set_avpf (s, TRUE);
  g_assert_true (mcu_rtcp_session_request_keyframe (s, 4 * GST_SECOND));
  g_assert_false (
      mcu_rtcp_session_request_keyframe (s, 4 * GST_SECOND + 50 * GST_MSECOND));
  g_assert_true (mcu_rtcp_session_request_keyframe (
      s, 4 * GST_SECOND + 100 * GST_MSECOND));
  mcu_rtcp_session_get_stats (s, &st);
  g_assert_cmpuint (st.keyframes_asked_out, ==, 1);
}

/* A caller that offered only `ccm fir` gets FIRs, each with a new command
 * sequence number, which a session on its side counts as new requests. */
static void
test_fir_out (void)
{
  g_autoptr (McuRtcpSession) s = mcu_rtcp_session_new (LOCAL_SSRC, "mcu@t");
  g_autoptr (McuRtcpSession) caller = mcu_rtcp_session_new (CALLER_SSRC, "c");
  McuRtcpStats st;

  mcu_rtcp_session_set_use_fir (s, TRUE);
  receive (s, 1, 0, CALLER_SSRC, 0);
  receive (s, 2, 160, CALLER_SSRC, 0);
  for (guint i = 0; i < 2; i++) {
    g_autoptr (GBytes) bytes = NULL;
    const guint8 *d;
    gsize len;
    Report r;

    mcu_rtcp_session_request_keyframe (s, 0);
    bytes = mcu_rtcp_session_build_report (s, (i + 1) * GST_SECOND);
    parse_report (bytes, &r);
    g_free (r.cname);
    g_assert_false (r.pli);
    g_assert_true (r.fir);
    g_assert_cmphex (r.fir_ssrc, ==, CALLER_SSRC);
    g_assert_cmpuint (r.fir_seq, ==, i);
    d = g_bytes_get_data (bytes, &len);
    g_assert_cmpint (mcu_rtcp_session_on_rtcp_received (
                         caller, d, len, (i + 1) * GST_SECOND),
        ==, MCU_RTCP_FEEDBACK_KEYFRAME_ASKED);
  }
  mcu_rtcp_session_get_stats (caller, &st);
  g_assert_cmpuint (st.keyframes_asked_in, ==, 2);
}

/* A PLI names the caller's SSRC: asked before we know it, it waits. */
static void
test_pli_waits (void)
{
  g_autoptr (McuRtcpSession) s = mcu_rtcp_session_new (LOCAL_SSRC, NULL);
  McuRtcpStats st;
  Report r;

  mcu_rtcp_session_request_keyframe (s, 0);
  report_at (s, GST_SECOND, &r);
  g_assert_false (r.pli);
  g_assert_cmpstr (r.cname, ==, "11110001@mcu");
  g_free (r.cname);
  receive (s, 1, 0, CALLER_SSRC, 0);
  receive (s, 2, 160, CALLER_SSRC, 0);
  report_at (s, 2 * GST_SECOND, &r);
  g_assert_true (r.pli);
  g_assert_cmphex (r.pli_media, ==, CALLER_SSRC);
  g_free (r.cname);

  /* our SSRC changes: the SR counts the new stream, the stats all */
  send_rtp (s, 1, 0, 0);
  {
    Rtp p;

    mcu_rtcp_session_on_rtp_sent (
        s, rtp (&p, 9, 0, 0x22220002), sizeof p.data, 0);
  }
  report_at (s, 3 * GST_SECOND, &r);
  g_assert_true (r.sr);
  g_assert_cmphex (r.ssrc, ==, 0x22220002);
  g_assert_cmpuint (r.packets, ==, 1);
  g_free (r.cname);
  mcu_rtcp_session_get_stats (s, &st);
  g_assert_cmpuint (st.packets_sent, ==, 2);
}

/* --- GStreamer's rtpsession reads our SR ---------------------------------- */

static const GstStructure *
find_source (const GstStructure *stats, guint32 ssrc)
{
  const GValue *v = gst_structure_get_value (stats, "source-stats");

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GValueArray *a = g_value_get_boxed (v);

  for (guint i = 0; a != NULL && i < a->n_values; i++) {
    const GstStructure *src =
        gst_value_get_structure (g_value_array_get_nth (a, i));
    guint id = 0;

    if (gst_structure_get_uint (src, "ssrc", &id) && id == ssrc)
      return src;
  }
  G_GNUC_END_IGNORE_DEPRECATIONS
  return NULL;
}

static void
test_gst_rtpsession_parses (void)
{
  g_autoptr (McuRtcpSession) s = mcu_rtcp_session_new (LOCAL_SSRC, "mcu@t");
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GstStructure) stats = NULL;
  GstHarness *h, *send_h;
  const GstStructure *src;
  g_autoptr (GObject) internal = NULL;
  gboolean have_sr = FALSE, have_rb = FALSE;
  guint count = 0, octets = 0, issrc = 0, exthighest = 0;
  gint lost = 0;
  gsize len;
  const guint8 *data;
  Report r;

  h = gst_harness_new_with_padnames ("rtpsession", "recv_rtcp_sink", NULL);
  gst_harness_set_src_caps_str (h, "application/x-rtcp");
  /* rtpsession's own SSRC: our report block about it lands in our
   * source's "rb-*" fields there */
  g_object_get (h->element, "internal-session", &internal, NULL);
  g_object_get (internal, "internal-ssrc", &issrc, NULL);
  /* which is active once it sent RTP */
  send_h = gst_harness_new_with_element (
      h->element, "send_rtp_sink", "send_rtp_src");
  gst_harness_set_src_caps_str (send_h,
      "application/x-rtp, media=audio, clock-rate=8000, encoding-name=PCMU");
  {
    Rtp p;
    GstBuffer *b = gst_buffer_new_memdup (rtp (&p, 1, 0, issrc), sizeof p.data);

    GST_BUFFER_PTS (b) = 0;
    g_assert_cmpint (gst_harness_push (send_h, b), ==, GST_FLOW_OK);
  }

  mcu_rtcp_session_set_clock_rate (s, 8000);
  for (guint i = 0; i < 7; i++)
    send_rtp (s, i, i * 160, i * 20 * GST_MSECOND);
  for (guint16 seq = 1; seq <= 9; seq++)
    if (seq != 4 && seq != 7)
      receive (s, seq, seq * 160, issrc, seq * 20 * GST_MSECOND);
  bytes = mcu_rtcp_session_build_bye (s, GST_SECOND, "bye");
  parse_report (bytes, &r); /* validates */
  g_assert_true (r.sr);
  g_assert_true (r.bye);
  g_free (r.cname);
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = mcu_rtcp_session_build_report (s, 2 * GST_SECOND);
  data = g_bytes_get_data (bytes, &len);
  g_assert_cmpint (
      gst_harness_push (h, gst_buffer_new_memdup (data, len)), ==, GST_FLOW_OK);
  g_object_get (h->element, "stats", &stats, NULL);
  src = find_source (stats, LOCAL_SSRC);
  g_assert_nonnull (src);
  gst_structure_get_boolean (src, "have-sr", &have_sr);
  gst_structure_get_uint (src, "sr-packet-count", &count);
  gst_structure_get_uint (src, "sr-octet-count", &octets);
  g_assert_true (have_sr);
  g_assert_cmpuint (count, ==, 7);
  g_assert_cmpuint (octets, ==, 7 * PAYLOAD);
  gst_structure_get_boolean (src, "have-rb", &have_rb);
  gst_structure_get_int (src, "rb-packetslost", &lost);
  gst_structure_get_uint (src, "rb-exthighestseq", &exthighest);
  g_assert_true (have_rb);
  g_assert_cmpint (lost, ==, 2);
  g_assert_cmpuint (exthighest, ==, 9);
  gst_harness_teardown (send_h);
  gst_harness_teardown (h);
}

/* --- schedule and demux --------------------------------------------------- */

static void
test_interval (void)
{
  g_autoptr (McuRtcpSession) s = mcu_rtcp_session_new (LOCAL_SSRC, "mcu@t");
  const gdouble c = 1.21828;
  GstClockTime now = 100 * GST_SECOND, next, min = G_MAXUINT64, max = 0;
  GstClockTime sum = 0;
  const guint n = 200;

  next = mcu_rtcp_session_next_report_time (s, now);
  g_assert_cmpuint (next, >=, now + (GstClockTime)(2.5 * 0.5 / c * GST_SECOND));
  g_assert_cmpuint (next, <=, now + (GstClockTime)(2.5 * 1.5 / c * GST_SECOND));
  g_assert_cmpuint (mcu_rtcp_session_next_report_time (s, now + 1), ==, next);
  for (guint i = 0; i < n; i++) {
    GstClockTime d;

    now = next;
    g_bytes_unref (mcu_rtcp_session_build_report (s, now));
    next = mcu_rtcp_session_next_report_time (s, now);
    d = next - now;
    g_assert_cmpuint (d, >=, (GstClockTime)(5 * 0.5 / c * GST_SECOND));
    g_assert_cmpuint (d, <=, (GstClockTime)(5 * 1.5 / c * GST_SECOND));
    min = MIN (min, d);
    max = MAX (max, d);
    sum += d;
  }
  /* randomized over the whole range, 5 s / (e - 3/2) on average */
  g_assert_cmpuint (min, <, 3 * GST_SECOND);
  g_assert_cmpuint (max, >, 5 * GST_SECOND);
  g_assert_cmpfloat (ABS ((gdouble)sum / n / GST_SECOND - 5 / c), <, 0.4);
}

static void
test_classify (void)
{
  Rtp p;
  guint8 d[12] = { 0x80, 200, 0, 6 };
  static const guint8 stun[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12 };

  rtp (&p, 1, 2, 3);
  g_assert_cmpint (mcu_rtcp_session_classify (p.data, sizeof p.data), ==,
      MCU_RTCP_DATAGRAM_RTP);
  p.data[1] = 0x80 | 127; /* marker + PT 127 */
  g_assert_cmpint (mcu_rtcp_session_classify (p.data, sizeof p.data), ==,
      MCU_RTCP_DATAGRAM_RTP);
  p.data[1] = 96;
  g_assert_cmpint (
      mcu_rtcp_session_classify (p.data, 11), ==, MCU_RTCP_DATAGRAM_OTHER);
  for (guint pt = 192; pt <= 223; pt++) {
    d[1] = pt;
    g_assert_cmpint (
        mcu_rtcp_session_classify (d, 8), ==, MCU_RTCP_DATAGRAM_RTCP);
  }
  d[1] = 224;
  g_assert_cmpint (
      mcu_rtcp_session_classify (d, 12), ==, MCU_RTCP_DATAGRAM_RTP);
  g_assert_cmpint (mcu_rtcp_session_classify (stun, sizeof stun), ==,
      MCU_RTCP_DATAGRAM_OTHER);
  g_assert_cmpint (
      mcu_rtcp_session_classify (NULL, 0), ==, MCU_RTCP_DATAGRAM_OTHER);
}

static void
test_endpoint_stats (void)
{
  g_autoptr (McuRtcpSession) s = mcu_rtcp_session_new (LOCAL_SSRC, "mcu@t");
  McuRtpEndpointStats es;

  mcu_rtcp_session_set_clock_rate (s, 8000);
  send_rtp (s, 1, 0, 0);
  send_rtp (s, 2, 160, 0);
  receive (s, 1, 0, CALLER_SSRC, 0);
  receive (s, 2, 160, CALLER_SSRC, 20 * GST_MSECOND);
  receive (s, 4, 480, CALLER_SSRC, 60 * GST_MSECOND);
  mcu_rtcp_session_get_endpoint_stats (s, &es);
  g_assert_cmpuint (es.packets_sent, ==, 2);
  g_assert_cmpuint (es.packets_lost, ==, 1);
  g_assert_cmpuint (es.jitter_ms, ==, 0);
}

/* Random datagrams (RTCP-shaped and not, truncated reports of ours):
 * never a crash or a read outside them (the ASan run), never a count. */
static void
test_garbage (void)
{
  g_autoptr (McuRtcpSession) s = mcu_rtcp_session_new (LOCAL_SSRC, "mcu@t");
  g_autoptr (GBytes) ours = NULL;
  const guint8 *report;
  gsize report_len;
  McuRtcpStats st;

  receive (s, 1, 0, CALLER_SSRC, 0);
  receive (s, 2, 160, CALLER_SSRC, 0);
  send_rtp (s, 1, 0, 0);
  mcu_rtcp_session_request_keyframe (s, 0);
  ours = mcu_rtcp_session_build_bye (s, GST_SECOND, "bye");
  report = g_bytes_get_data (ours, &report_len);
  for (guint i = 0; i < 20000; i++) {
    gsize len = g_test_rand_int_range (0, 120);
    g_autofree guint8 *d = g_malloc (MAX (len, 1));

    for (gsize k = 0; k < len; k++)
      d[k] = g_test_rand_int_range (0, 256);
    if (len >= 4 && i % 2 == 0) {
      /* a plausible header: version 2, a known type, a length that fits */
      d[0] = 0x80 | (d[0] & 0x3f);
      d[1] = 200 + g_test_rand_int_range (0, 7);
      GST_WRITE_UINT16_BE (d + 2, len / 4 - 1);
    }
    if (i % 5 == 0 && report_len > 0) {
      len = MIN (len, report_len);
      memcpy (d, report, len);
    }
    mcu_rtcp_session_on_rtcp_received (s, d, len, GST_SECOND);
    mcu_rtcp_session_on_rtp_received (s, d, len, GST_SECOND);
    mcu_rtcp_session_classify (d, len);
  }
  mcu_rtcp_session_get_stats (s, &st);
  g_assert_cmphex (st.remote_ssrc, ==, CALLER_SSRC);
  g_assert_cmpuint (st.packets_received, ==, 1);
}

/* The endpoint calls from several threads at once: two send paths, one
 * receive path, the report timer; no update is lost. */
#define THREAD_PACKETS 50000

typedef struct
{
  McuRtcpSession *s;
  gint running;
} ThreadsData;

static gpointer
send_thread (gpointer data)
{
  ThreadsData *t = data;

  for (guint i = 0; i < THREAD_PACKETS; i++)
    send_rtp (t->s, i, i * 160, i * GST_MSECOND);
  g_atomic_int_dec_and_test (&t->running);
  return NULL;
}

static gpointer
receive_thread (gpointer data)
{
  ThreadsData *t = data;

  for (guint i = 0; i < 2 * THREAD_PACKETS; i++)
    receive (t->s, i, i * 160, CALLER_SSRC, i * 20 * GST_MSECOND);
  g_atomic_int_dec_and_test (&t->running);
  return NULL;
}

static void
test_threads (void)
{
  g_autoptr (McuRtcpSession) s = mcu_rtcp_session_new (LOCAL_SSRC, "mcu@t");
  ThreadsData t = { s, 3 };
  GThread *threads[3];
  McuRtcpStats st;
  guint reports = 0;

  mcu_rtcp_session_set_clock_rate (s, 8000);
  threads[0] = g_thread_new ("send-a", send_thread, &t);
  threads[1] = g_thread_new ("send-b", send_thread, &t);
  threads[2] = g_thread_new ("receive", receive_thread, &t);
  do {
    g_autoptr (GBytes) bytes =
        mcu_rtcp_session_build_report (s, reports * GST_SECOND);
    Report r;

    parse_report (bytes, &r);
    g_free (r.cname);
    mcu_rtcp_session_get_stats (s, &st);
    reports++;
  } while (g_atomic_int_get (&t.running) > 0);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  mcu_rtcp_session_get_stats (s, &st);
  g_assert_cmpuint (st.packets_sent, ==, 2 * THREAD_PACKETS);
  g_assert_cmpuint (st.octets_sent, ==, 2 * THREAD_PACKETS * PAYLOAD);
  g_assert_cmpuint (st.packets_received, ==, 2 * THREAD_PACKETS - 1);
  g_assert_cmpuint (st.packets_lost, ==, 0);
  g_assert_cmpuint (st.reports_sent, ==, reports);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtcp-session/loss-fraction", test_loss_fraction);
  g_test_add_func ("/rtcp-session/follow-ssrc", test_follow_ssrc);
  g_test_add_func ("/rtcp-session/jitter", test_jitter);
  g_test_add_func ("/rtcp-session/jitter-leap", test_jitter_leap);
  g_test_add_func ("/rtcp-session/rtt", test_rtt);
  g_test_add_func ("/rtcp-session/keyframes", test_keyframes);
  g_test_add_func ("/rtcp-session/fir-out", test_fir_out);
  g_test_add_func ("/rtcp-session/pli-waits-for-source", test_pli_waits);
  g_test_add_func (
      "/rtcp-session/gst-rtpsession-parses", test_gst_rtpsession_parses);
  g_test_add_func ("/rtcp-session/interval", test_interval);
  g_test_add_func ("/rtcp-session/classify", test_classify);
  g_test_add_func ("/rtcp-session/endpoint-stats", test_endpoint_stats);
  g_test_add_func ("/rtcp-session/garbage", test_garbage);
  g_test_add_func ("/rtcp-session/threads", test_threads);
  return g_test_run ();
}
