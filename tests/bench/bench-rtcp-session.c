/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: what McuRtcpSession costs per RTP packet (received and sent) and
 * per report, in process CPU time, next to GStreamer's rtpsession taking
 * the same received packets (pushed through a GstHarness, the buffer
 * allocation included). A benchmark, not a test: it prints figures. */
#include "mcu-rtcp-session.h"

#include <gst/check/gstharness.h>
#include <string.h>
#include <time.h>

#define PACKETS 1000000
#define REPORTS 100000

static gdouble
cpu_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
fill (guint8 *p, guint16 seq, guint32 ts, guint32 ssrc)
{
  p[0] = 0x80;
  p[1] = 0;
  GST_WRITE_UINT16_BE (p + 2, seq);
  GST_WRITE_UINT32_BE (p + 4, ts);
  GST_WRITE_UINT32_BE (p + 8, ssrc);
}

static gdouble
bench_session (gboolean sent)
{
  g_autoptr (McuRtcpSession) s = mcu_rtcp_session_new (1, "bench@mcu");
  guint8 p[172] = { 0 };
  gdouble t0;

  mcu_rtcp_session_set_clock_rate (s, 8000);
  t0 = cpu_now ();
  for (guint i = 0; i < PACKETS; i++) {
    GstClockTime now = (GstClockTime)i * 20 * GST_MSECOND;

    fill (p, (guint16)i, i * 160, sent ? 1 : 2);
    if (sent)
      mcu_rtcp_session_on_rtp_sent (s, p, sizeof p, now);
    else
      mcu_rtcp_session_on_rtp_received (s, p, sizeof p, now);
  }
  return (cpu_now () - t0) / PACKETS * 1e9;
}

static gdouble
bench_reports (void)
{
  g_autoptr (McuRtcpSession) us = mcu_rtcp_session_new (1, "bench@mcu");
  g_autoptr (McuRtcpSession) caller = mcu_rtcp_session_new (2, "caller@x");
  guint8 p[172] = { 0 };
  gdouble t0;

  for (guint i = 0; i < 3; i++) {
    fill (p, i, i * 160, 2);
    mcu_rtcp_session_on_rtp_received (us, p, sizeof p, 0);
    mcu_rtcp_session_on_rtp_sent (caller, p, sizeof p, 0);
    fill (p, i, i * 160, 1);
    mcu_rtcp_session_on_rtp_sent (us, p, sizeof p, 0);
    mcu_rtcp_session_on_rtp_received (caller, p, sizeof p, 0);
  }
  t0 = cpu_now ();
  for (guint i = 0; i < REPORTS; i++) {
    GstClockTime now = (GstClockTime)i * GST_SECOND;
    g_autoptr (GBytes) ours = mcu_rtcp_session_build_report (us, now);
    g_autoptr (GBytes) theirs = mcu_rtcp_session_build_report (caller, now);
    gsize len;
    const guint8 *d = g_bytes_get_data (theirs, &len);

    mcu_rtcp_session_on_rtcp_received (us, d, len, now);
  }
  return (cpu_now () - t0) / REPORTS * 1e9;
}

static gdouble
bench_rtpsession (void)
{
  GstHarness *h = gst_harness_new_with_padnames (
      "rtpsession", "recv_rtp_sink", "recv_rtp_src");
  guint8 p[172] = { 0 };
  gdouble t0;

  gst_harness_set_src_caps_str (
      h, "application/x-rtp, media=audio, clock-rate=8000, encoding-name=PCMU");
  t0 = cpu_now ();
  for (guint i = 0; i < PACKETS / 10; i++) {
    GstBuffer *b;

    fill (p, (guint16)i, i * 160, 2);
    b = gst_buffer_new_memdup (p, sizeof p);
    GST_BUFFER_PTS (b) = (GstClockTime)i * 20 * GST_MSECOND;
    gst_harness_push (h, b);
    /* the first packet waits in probation: nothing to take then */
    b = gst_harness_try_pull (h);
    if (b != NULL)
      gst_buffer_unref (b);
  }
  t0 = (cpu_now () - t0) / (PACKETS / 10) * 1e9;
  gst_harness_teardown (h);
  return t0;
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_print ("McuRtcpSession on_rtp_received: %.0f ns/packet\n",
      bench_session (FALSE));
  g_print (
      "McuRtcpSession on_rtp_sent:     %.0f ns/packet\n", bench_session (TRUE));
  g_print ("McuRtcpSession 2 x build_report + on_rtcp_received: %.0f ns\n",
      bench_reports ());
  g_print ("rtpsession recv_rtp (harness push + pull): %.0f ns/packet\n",
      bench_rtpsession ());
  return 0;
}
