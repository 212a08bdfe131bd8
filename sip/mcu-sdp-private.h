/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: helpers shared by mcu-sdp.c and mcu-sdp-video.c (not public).
 */
#pragma once

#include "mcu-sdp.h"

G_BEGIN_DECLS

#define MCU_SDP_PT_NONE G_MAXUINT

/* Digits at @s (after blanks) as a number <= @max; the end of the digits,
 * or NULL when there are none or the number is too big. */
const gchar *mcu_sdp_scan_uint (const gchar *s, guint max, guint *out);
gboolean mcu_sdp_parse_uint (const gchar *s, guint max, guint *out);

/* RTP/..., .../RTP/... (any RTP profile) */
gboolean mcu_sdp_proto_is_rtp (const gchar *proto);
gboolean mcu_sdp_proto_is_srtp (const gchar *proto);
/* RTP/AVP or RTP/AVPF */
gboolean mcu_sdp_proto_is_plain_rtp (const gchar *proto);
/* 0.0.0.0 or :: (RFC 2543 hold) */
gboolean mcu_sdp_address_is_hold (const gchar *address);

/* Why the SRTP line @media cannot be taken under @mode (@keys_ok: SDES
 * keys may travel in this message), or NULL with its first usable
 * a=crypto in @crypto. The text is fit for a SIP Warning. */
gchar *mcu_sdp_srtp_problem (const McuSdpMedia *media, McuSdpSrtpMode mode,
    gboolean keys_ok, McuSdpCrypto *crypto);
#define MCU_SDP_SRTP_REQUIRED \
  "SRTP required on this server: offer RTP/SAVP with a=crypto (SDES)"

/* @name from the network made safe for a SIP Warning quoted-string. */
void mcu_sdp_append_safe (GString *out, const gchar *name);
/* RFC 3264 §6: a rejected stream keeps its media, proto and a format. */
void mcu_sdp_append_rejected (GString *sdp, const McuSdpMedia *media);

/* mcu-sdp-video.c: the video m-line of an answer, and of an offer. */
void mcu_sdp_video_append_answer (GString *sdp, const McuSdpMedia *media,
    const McuSdpVideo *video, const McuSdpLocal *local);
void mcu_sdp_video_append_offer (
    GString *sdp, const McuSdpVideoPrefs *prefs, const McuSdpLocal *local);

/* mcu-sdp-dtmf.c: telephone-event. Fills @audio's dtmf fields from what
 * @media offers for a codec at @codec_clock_rate. */
void mcu_sdp_dtmf_choose (
    const McuSdpMedia *media, guint codec_clock_rate, McuSdpAudio *audio);
void mcu_sdp_append_dtmf (GString *sdp, guint pt, guint clock_rate);
/* The answer's m-line formats (" 101 100") and its rtpmap/fmtp lines. */
void mcu_sdp_dtmf_append_pts (GString *sdp, const McuSdpAudio *audio);
void mcu_sdp_dtmf_append_maps (GString *sdp, const McuSdpAudio *audio);
/* An offer's: /8000 always, /48000 too @with_48000 (Opus offered). */
void mcu_sdp_dtmf_append_offer (
    GString *pts, GString *maps, gboolean with_48000);

/* mcu-sdp-extmap.c: the audio level a=extmap of an answer (nothing when
 * @audio has none) and of an offer. */
void mcu_sdp_extmap_append_answer (GString *sdp, const McuSdpAudio *audio);
void mcu_sdp_extmap_append_offer (GString *sdp);

G_END_DECLS
