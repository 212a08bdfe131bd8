/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: telephone-event (RFC 4733) in offers and answers.
 *
 * The event clock should be the audio codec's (RFC 4733 2.1), but many
 * phones offer telephone-event/8000 next to Opus (48 kHz), or only that.
 * Dropping DTMF because the rates differ would leave those callers without
 * keys, so an answer takes every offered rate that fits: the codec's own
 * rate first (what we send with), and 8000 as a second one next to Opus.
 * Our offers carry /8000 always and /48000 with Opus. */
#include "mcu-sdp-private.h"

#include <string.h>

/* Our dynamic payload types for telephone-event in offers. */
#define OFFER_DTMF_PT_8000  101
#define OFFER_DTMF_PT_48000 110

static guint
find_dtmf (const McuSdpMedia *media, guint clock_rate)
{
  for (guint i = 0; i < media->formats->len; i++) {
    const McuSdpFormat *format = media->formats->pdata[i];

    if (format->pt != MCU_SDP_PT_NONE && format->pt != 0 &&
        format->clock_rate == clock_rate &&
        g_ascii_strcasecmp (format->encoding, "telephone-event") == 0)
      return format->pt;
  }
  return 0;
}

void
mcu_sdp_dtmf_choose (
    const McuSdpMedia *media, guint codec_clock_rate, McuSdpAudio *audio)
{
  guint own = find_dtmf (media, codec_clock_rate);
  guint narrow = codec_clock_rate != 8000 ? find_dtmf (media, 8000) : 0;

  audio->dtmf_pt = audio->dtmf_clock_rate = 0;
  audio->dtmf_pt_alt = audio->dtmf_clock_rate_alt = 0;
  if (own != 0) {
    audio->dtmf_pt = own;
    audio->dtmf_clock_rate = codec_clock_rate;
    if (narrow != 0 && narrow != own) {
      audio->dtmf_pt_alt = narrow;
      audio->dtmf_clock_rate_alt = 8000;
    }
  } else if (narrow != 0) {
    audio->dtmf_pt = narrow;
    audio->dtmf_clock_rate = 8000;
  }
}

void
mcu_sdp_append_dtmf (GString *sdp, guint pt, guint clock_rate)
{
  g_string_append_printf (sdp,
      "a=rtpmap:%u telephone-event/%u\r\n"
      "a=fmtp:%u 0-16\r\n",
      pt, clock_rate, pt);
}

void
mcu_sdp_dtmf_append_pts (GString *sdp, const McuSdpAudio *audio)
{
  if (audio->dtmf_pt != 0)
    g_string_append_printf (sdp, " %u", audio->dtmf_pt);
  if (audio->dtmf_pt_alt != 0)
    g_string_append_printf (sdp, " %u", audio->dtmf_pt_alt);
}

void
mcu_sdp_dtmf_append_maps (GString *sdp, const McuSdpAudio *audio)
{
  if (audio->dtmf_pt != 0)
    mcu_sdp_append_dtmf (sdp, audio->dtmf_pt, audio->dtmf_clock_rate);
  if (audio->dtmf_pt_alt != 0)
    mcu_sdp_append_dtmf (sdp, audio->dtmf_pt_alt, audio->dtmf_clock_rate_alt);
}

void
mcu_sdp_dtmf_append_offer (GString *pts, GString *maps, gboolean with_48000)
{
  g_string_append_printf (pts, " %u", OFFER_DTMF_PT_8000);
  mcu_sdp_append_dtmf (maps, OFFER_DTMF_PT_8000, 8000);
  if (with_48000) {
    g_string_append_printf (pts, " %u", OFFER_DTMF_PT_48000);
    mcu_sdp_append_dtmf (maps, OFFER_DTMF_PT_48000, 48000);
  }
}
