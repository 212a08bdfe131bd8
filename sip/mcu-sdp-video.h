/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: video offer/answer (H.264 RFC 6184, VP8 RFC 7741), a pure module:
 * parsed SDP in, GLib structs out. Included by mcu-sdp.h.
 */
#pragma once

#include "mcu-sdp.h"

G_BEGIN_DECLS

/* The video codecs the server can serve. */
typedef enum
{
  MCU_SDP_VIDEO_CODEC_NONE = 0,
  MCU_SDP_VIDEO_CODEC_H264,
  MCU_SDP_VIDEO_CODEC_VP8,
} McuSdpVideoCodec;

/* What the server wants to send and receive. Every 0 means the default. */
struct _McuSdpVideoPrefs
{
  /* Codecs in preference order, terminated by MCU_SDP_VIDEO_CODEC_NONE.
   * NULL = H.264, then VP8. The server's order decides (one encoder serves
   * every participant with the same output profile). */
  const McuSdpVideoCodec *codecs;
  guint max_width;        /* largest output picture; 0 = 1280 */
  guint max_height;       /* 0 = 720 */
  guint max_framerate;    /* frames/s; 0 = 30 */
  guint max_bitrate_kbps; /* our send rate at the largest size; 0 = 1500 */
  /* Our media sockets' family (0 = any): see mcu_sdp_check_media_address */
  GSocketFamily address_family;
  /* SRTP policy, as in McuSdpPrefs */
  McuSdpSrtpMode srtp;
  gboolean srtp_keys_ok;
};

/* The outcome of negotiating the video m-line. */
struct _McuSdpVideo
{
  guint media_index; /* which m-line of the offer is the video */
  McuSdpVideoCodec codec;
  guint pt;                 /* payload type as offered */
  guint clock_rate;         /* 90000 */
  guint packetization_mode; /* H.264: 0 or 1 (RFC 6184 §6.2, §6.3) */
  /* H.264: the profile-level-id we answer (6 lower-case hex digits): the
   * offered profile, at the offered level or lower (see mcu-sdp-video.c).
   * NULL for VP8. */
  gchar *profile_level_id;
  /* H.264: what to encode: constrained baseline ("42e0xx", "42f00b" for
   * level 1b) at the level the output profile below needs. A stream so
   * encoded is decodable under every profile we answer, so participants
   * with the same output profile can share one encoder. NULL for VP8. */
  gchar *encode_profile_level_id;
  gboolean level_asymmetry_allowed; /* offered =1: then answered =1 too */
  /* Receiver limits as offered, 0 = absent: H.264 max-fs (macroblocks),
   * max-mbps (macroblocks/s), max-br (kbit/s); VP8 max-fs. */
  guint max_fs, max_mbps, max_br;
  /* The smaller of a=framerate and VP8 max-fr, 0 = absent. */
  guint max_framerate;
  /* The smaller of b=AS and b=TIAS (as kbit/s) on the line (else session
   * level), 0 = absent. */
  guint bandwidth_kbps;
  /* The OUTPUT PROFILE we send: the largest of the preferred size,
   * 1280x720, 640x360, 320x180, 160x90 (not above the preferred size) that
   * the receiver's limits (level, max-fs, max-mbps at >= 15 fps) take; the
   * frame rate within prefs, a=framerate, max-fr and max-mbps; the bitrate
   * within prefs, a per-size ceiling, b=AS (less 5% headers), b=TIAS
   * and the level's / max-br's MaxBR. */
  guint width, height, framerate, bitrate_kbps;
  /* a=rtcp-fb offered for this PT or "*" (RFC 4585, RFC 5104): "nack",
   * "nack pli", "ccm fir", "goog-remb". The answer repeats the first three
   * (goog-remb is reported, not answered). */
  gboolean fb_nack, fb_pli, fb_fir, fb_remb;
  gboolean rtcp_mux; /* a=rtcp-mux offered: answered, RTCP on the RTP port */
  gchar *remote_address; /* where to send RTP */
  guint remote_rtp_port;
  gchar *remote_rtcp_address;
  guint remote_rtcp_port; /* = remote_rtp_port with rtcp_mux */
  /* As offered; c=0.0.0.0 (RFC 2543 hold) drops the "recv" half. */
  McuSdpDirection remote_direction;
  /* SRTP (suite NONE: clear RTP), as in McuSdpAudio */
  McuSdpCrypto remote_crypto;
  McuSdpCrypto local_crypto;
};

void mcu_sdp_video_clear (McuSdpVideo *video);
/* A deep copy of @src into @dest (which is overwritten, not cleared). */
void mcu_sdp_video_copy (McuSdpVideo *dest, const McuSdpVideo *src);

/* Choose the video codec and output profile from @offer (@prefs nullable =
 * defaults). TRUE with @out filled when the offer has a usable video
 * m-line. FALSE without error when there is no video m-line or every one is
 * disabled (port 0). FALSE with MCU_SDP_ERROR_NO_CODEC (message fit for a
 * SIP Warning) when video is offered but no codec fits, or only over SRTP,
 * another transport, or without a usable address (see
 * mcu_sdp_check_media_address): the call then goes on
 * audio-only and the answer rejects the video line (pass NULL as video to
 * mcu_sdp_build_answer). The same call reads an answer to our offer, and a
 * re-INVITE that adds or removes video. */
gboolean mcu_sdp_negotiate_video (const McuSdpSession *offer,
    const McuSdpVideoPrefs *prefs, McuSdpVideo *out, GError **error);

/* "H264", "VP8", "none" */
const gchar *mcu_sdp_video_codec_to_string (McuSdpVideoCodec codec);
/* "h264"/"H264", "vp8"/"VP8" (any case) -> codec; NONE when unknown. */
McuSdpVideoCodec mcu_sdp_video_codec_from_string (const gchar *name);

/* The GStreamer video/x-h264 caps "profile" and "level" strings for an
 * H.264 profile-level-id (e.g. "42e01f" -> "constrained-baseline", "3.1";
 * "64001f" -> "high", "3.1"; "42f00b" -> "constrained-baseline", "1b").
 * FALSE when it is malformed or names a profile or level we do not know.
 * Returned strings are static. */
gboolean mcu_sdp_video_h264_caps_profile (
    const gchar *profile_level_id, const gchar **profile, const gchar **level);

G_END_DECLS
