/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Codec table and SDP offer/answer helpers of mcu-test-caller.
 * Called from the main thread only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Same bit values as sofia's sdp_mode_t: bit 0 = we send, bit 1 = we receive
 * (seen from the side that wrote the SDP). */
typedef enum
{
  MCU_CALLER_DIR_INACTIVE = 0,
  MCU_CALLER_DIR_SENDONLY = 1,
  MCU_CALLER_DIR_RECVONLY = 2,
  MCU_CALLER_DIR_SENDRECV = 3,
} McuCallerDirection;

typedef struct
{
  const char *name;      /* command-line name: opus, g722, pcmu, pcma */
  const char *encoding;  /* RTP encoding-name (GStreamer caps, upper case) */
  const char *rtpmap;    /* SDP rtpmap text after the PT */
  guint clock_rate;      /* RTP clock rate */
  guint default_pt;      /* static PT, or the PT we offer for dynamic ones */
  const char *fmtp;      /* nullable: fmtp we offer */
  guint encode_rate;     /* raw sample rate the encoder takes */
  const char *encoder;   /* launch fragment: encoder ! payloader */
  const char *payloader; /* payloader factory (gets pt, ptime) */
  const char *decoder;   /* launch fragment: depayloader ! decoder */
} McuCallerCodec;

/* What we offer (or accept) for H.264 video. */
typedef struct
{
  guint modes[2];         /* packetization-modes by preference */
  guint n_modes;          /* 1 or 2 */
  guint level_idc;        /* e.g. 31 for 3.1, 13 for 1.3 */
  guint max_fs;           /* 0 = not sent */
  guint bitrate_kbps;     /* b=AS, 0 = not sent */
  gboolean with_feedback; /* a=rtcp-fb nack, nack pli, ccm fir */
} McuCallerVideoCaps;

/* What one side's SDP says about its H.264 video stream. */
typedef struct
{
  gboolean present;        /* an m=video line exists */
  gchar *address;          /* connection address */
  guint port;              /* RTP port (0 = rejected) */
  guint pt;                /* chosen payload type */
  guint mode;              /* its packetization-mode */
  gchar *profile_level_id; /* nullable */
  guint max_fs;            /* 0 if absent */
  guint bandwidth_as;      /* b=AS kbit/s, 0 if absent */
  gboolean fb_nack;        /* a=rtcp-fb for pt or * */
  gboolean fb_pli;
  gboolean fb_fir;
  McuCallerDirection direction;
} McuCallerSdpVideo;

/* What one side's SDP says about its audio stream (and its video). */
typedef struct
{
  gchar *address;               /* connection address */
  guint port;                   /* RTP port (0 = rejected) */
  guint pt;                     /* chosen payload type */
  const McuCallerCodec *codec;  /* chosen codec */
  McuCallerDirection direction; /* direction as written by that side */
  gint telephone_event_pt;      /* -1 if none */
  gboolean srtp;                /* RTP/SAVP(F) */
  guint8 srtp_key[30];          /* its a=crypto AES_CM_128_HMAC_SHA1_80 key */
  McuCallerSdpVideo video;      /* filled by the caller's SIP layer */
} McuCallerSdpMedia;

const McuCallerCodec *mcu_caller_codec_lookup (const char *name);

/* @srtp_key: (nullable) 30 bytes: RTP/SAVP with a=crypto:1
 * AES_CM_128_HMAC_SHA1_80 carrying it. */
gchar *mcu_caller_sdp_build (const char *address, guint port,
    const McuCallerCodec *codec, guint pt, McuCallerDirection direction,
    gboolean with_telephone_event, guint session_version,
    const guint8 *srtp_key);

gboolean mcu_caller_sdp_parse (const char *text, gsize length,
    const McuCallerCodec *prefer, McuCallerSdpMedia *out, GError **error);

void mcu_caller_sdp_media_clear (McuCallerSdpMedia *media);

void mcu_caller_sdp_append_video (GString *sdp, guint port,
    const McuCallerVideoCaps *caps, const McuCallerSdpVideo *answer_to,
    McuCallerDirection direction);
gboolean mcu_caller_sdp_parse_video (const char *text, gsize length,
    const McuCallerVideoCaps *caps, McuCallerSdpVideo *out, GError **error);
void mcu_caller_sdp_video_clear (McuCallerSdpVideo *video);

McuCallerDirection mcu_caller_direction_answer (
    McuCallerDirection offered, McuCallerDirection wanted);
const char *mcu_caller_direction_to_string (McuCallerDirection direction);

G_END_DECLS
