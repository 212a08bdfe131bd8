/* SPDX-License-Identifier: LGPL-2.1-or-later
 * libFuzzer target for McuRtcpSession (mixer/mcu-rtcp-session.c,
 * mcu-rtcp-parse.c): the input is a sequence of datagrams, each a length
 * octet (the low 7 bits; the top bit says RTCP rather than RTP) and that
 * many bytes, fed to the session as the caller's. Checks: whatever came
 * in, the reports we build (regular and BYE) are valid compound RTCP. */
#include "mcu-rtcp-session.h"

#include <gst/rtp/rtp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_always_fatal (
      G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  gst_init (NULL, NULL);
  return 0;
}

static void
check_valid (GBytes *bytes)
{
  gsize len;
  g_autofree guint8 *copy = g_bytes_unref_to_data (bytes, &len);

  if (!gst_rtcp_buffer_validate_data (copy, (guint)len)) {
    g_printerr ("we built an invalid compound packet\n");
    abort ();
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (McuRtcpSession) s = mcu_rtcp_session_new (0x11110001, "f@mcu");
  GstClockTime now = GST_SECOND;
  size_t off = 0;

  mcu_rtcp_session_set_clock_rate (s, 8000);
  /* keyframe requests as FIR or PLI (the first length's lowest bit) */
  mcu_rtcp_session_set_use_fir (s, size > 0 && (data[0] & 1) != 0);
  while (off < size) {
    size_t len = MIN ((size_t)(data[off] & 0x7f), size - off - 1);
    gboolean rtcp = (data[off] & 0x80) != 0;
    /* a copy of exactly `len` bytes: ASan sees any read past it */
    g_autofree guint8 *d = g_malloc (MAX (len, 1));

    memcpy (d, data + off + 1, len);

    if (rtcp)
      mcu_rtcp_session_on_rtcp_received (s, d, len, now);
    else
      mcu_rtcp_session_on_rtp_received (s, d, len, now);
    mcu_rtcp_session_classify (d, len);
    mcu_rtcp_session_request_keyframe (s, now);
    now += 20 * GST_MSECOND;
    off += 1 + len;
  }
  check_valid (mcu_rtcp_session_build_report (s, now));
  check_valid (mcu_rtcp_session_build_bye (s, now + GST_SECOND, "fuzz"));
  return 0;
}
