/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: SDP offer/answer (RFC 3264), a pure module: text in, GLib structs out.
 */
#pragma once

#include <glib.h>
#include <gio/gio.h>

G_BEGIN_DECLS

#define MCU_SDP_ERROR (mcu_sdp_error_quark ())
GQuark mcu_sdp_error_quark (void);

typedef enum
{
  MCU_SDP_ERROR_PARSE,    /* not SDP at all, or malformed: SIP 400 */
  MCU_SDP_ERROR_NO_AUDIO, /* no usable audio m-line: SIP 488 */
  MCU_SDP_ERROR_NO_CODEC, /* audio offered, no codec in common: SIP 488 */
  MCU_SDP_ERROR_ADDRESS,  /* media address/port we cannot send to: 488 */
  MCU_SDP_ERROR_SRTP,     /* SRTP refused by policy or unusable: 488 */
} McuSdpError;

/* [media] srtp: what RTP/SAVP(F) does to a call. */
typedef enum
{
  MCU_SDP_SRTP_OFF,       /* clear RTP only: an SRTP-only offer gets 488 */
  MCU_SDP_SRTP_OPTIONAL,  /* SRTP when offered, RTP otherwise */
  MCU_SDP_SRTP_MANDATORY, /* SRTP only: a clear RTP offer gets 488 */
} McuSdpSrtpMode;

/* SDES crypto suites (RFC 4568, RFC 7714), in our preference order. */
typedef enum
{
  MCU_SDP_CRYPTO_NONE = 0, /* clear RTP */
  MCU_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80,
  MCU_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_32,
  MCU_SDP_CRYPTO_AEAD_AES_128_GCM,
} McuSdpCryptoSuite;

#define MCU_SDP_CRYPTO_MAX_KEY 46

/* One side's SRTP master key and salt (never logged). */
typedef struct
{
  guint tag; /* a=crypto tag (1..999999999) */
  McuSdpCryptoSuite suite;
  guint8 key[MCU_SDP_CRYPTO_MAX_KEY]; /* master key || master salt */
  guint key_len;                      /* 30 for AES_CM, 28 for GCM */
} McuSdpCrypto;

/* The key + salt length of @suite, 0 for NONE. */
guint mcu_sdp_crypto_key_length (McuSdpCryptoSuite suite);
const gchar *mcu_sdp_crypto_suite_to_string (McuSdpCryptoSuite suite);
/* A fresh key for @suite from the kernel's CSPRNG (getrandom(2)). */
gboolean mcu_sdp_crypto_generate (
    McuSdpCrypto *crypto, McuSdpCryptoSuite suite, guint tag, GError **error);
/* Parses one a=crypto value ("1 AES_CM_128_HMAC_SHA1_80 inline:..."); FALSE
 * for an unknown suite, a bad key, an MKI, a lifetime other than 2^31 and
 * above, more than one key or session parameters. */
gboolean mcu_sdp_crypto_parse (const gchar *value, McuSdpCrypto *out);
/* "a=crypto:TAG SUITE inline:KEY\r\n" */
void mcu_sdp_crypto_append (GString *sdp, const McuSdpCrypto *crypto);

typedef enum
{
  MCU_SDP_SENDRECV,
  MCU_SDP_SENDONLY,
  MCU_SDP_RECVONLY,
  MCU_SDP_INACTIVE,
} McuSdpDirection;

/* The audio codecs the server can serve, in its default preference order. */
typedef enum
{
  MCU_SDP_CODEC_NONE = 0,
  MCU_SDP_CODEC_OPUS,
  MCU_SDP_CODEC_G722,
  MCU_SDP_CODEC_PCMU,
  MCU_SDP_CODEC_PCMA,
} McuSdpCodec;

/* One format of an m-line, as offered. */
typedef struct
{
  guint pt;
  gchar *encoding; /* rtpmap encoding name as written ("opus"), or the
                    * static name for a static PT without rtpmap ("PCMU") */
  guint clock_rate;
  guint channels; /* 1 when absent */
  gchar *fmtp;    /* (nullable) the a=fmtp value for this PT */
} McuSdpFormat;

typedef struct
{
  gchar *media;              /* "audio", "video", "application", ... */
  guint port;                /* 0 = rejected/disabled */
  gchar *proto;              /* "RTP/AVP", "RTP/SAVPF", ... */
  GPtrArray *formats;        /* McuSdpFormat*, in offer order */
  gchar *fmt_text;           /* the raw m-line format list ("0 8 101") */
  gchar *address;            /* c= address (media level, else session level) */
  guint rtcp_port;           /* a=rtcp port, else port + 1 */
  gchar *rtcp_address;       /* (nullable) a=rtcp address when given */
  gboolean rtcp_mux;         /* a=rtcp-mux present */
  McuSdpDirection direction; /* media level, else session level */
  guint ptime;               /* a=ptime, 0 if absent */
  guint maxptime;            /* a=maxptime, 0 if absent */
  guint bandwidth_as;        /* b=AS in kbit/s, 0 if absent */
  guint bandwidth_tias;      /* b=TIAS in bit/s, 0 if absent (RFC 3890) */
  guint framerate;           /* a=framerate in whole frames/s, 0 if absent */
  gchar **rtcp_fb;           /* a=rtcp-fb values as written, e.g.
                              * "* nack pli", "96 ccm fir"; NULL-terminated,
                              * never NULL (RFC 4585) */
  gchar **crypto;            /* a=crypto values as written (RFC 4568),
                              * NULL-terminated, never NULL */
  gchar **extmap;            /* a=extmap values as written (RFC 8285), of
                              * the m-line, else of the session;
                              * NULL-terminated, never NULL */
} McuSdpMedia;

typedef struct
{
  gchar *origin_user;
  gchar *origin_address;
  guint64 session_id;
  guint64 session_version;
  gchar *address;   /* session-level c= (nullable) */
  GPtrArray *media; /* McuSdpMedia*, in order */
} McuSdpSession;

McuSdpSession *mcu_sdp_session_parse (
    const gchar *text, gsize len, GError **error);
void mcu_sdp_session_free (McuSdpSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuSdpSession, mcu_sdp_session_free)

/* Video (RFC 6184 H.264, RFC 7741 VP8): mcu-sdp-video.h. */
typedef struct _McuSdpVideo McuSdpVideo;
typedef struct _McuSdpVideoPrefs McuSdpVideoPrefs;

/* Server-side preferences for negotiation. */
typedef struct
{
  /* Codecs the server accepts, in preference order, terminated by
   * MCU_SDP_CODEC_NONE. NULL = all, in the default order above. */
  const McuSdpCodec *codecs;
  /* TRUE: pick by the server's order; FALSE: first offered codec that is
   * supported (RFC 3264 offerer's preference). */
  gboolean server_order;
  /* The family of our media sockets: an m-line whose c= (or a=rtcp)
   * address is of another family is unusable (MCU_SDP_ERROR_ADDRESS).
   * G_SOCKET_FAMILY_INVALID (0) = any. */
  GSocketFamily address_family;
  /* [media] srtp */
  McuSdpSrtpMode srtp;
  /* SDES keys may travel in this SIP message: it came (or goes) over TLS,
   * or [media] srtp-allow-insecure-keys says so. An RTP/SAVP offer
   * otherwise gets MCU_SDP_ERROR_SRTP, and our offers stay clear RTP. */
  gboolean srtp_keys_ok;
  /* [media] audio-level: take the caller's RFC 6464 audio level header
   * extension when offered (answer its a=extmap), and offer it. */
  gboolean audio_level;
} McuSdpPrefs;

/* The outcome of negotiating the audio m-line. */
typedef struct
{
  guint media_index; /* which m-line of the offer is the audio */
  McuSdpCodec codec;
  guint pt;         /* payload type as offered */
  guint clock_rate; /* RTP clock rate (8000 for G.722 per RFC 3551) */
  guint channels;
  guint ptime; /* ms: a=ptime if offered, else 20 */
  /* telephone-event (mcu-sdp-dtmf.c): the PT we send with, at the codec's
   * rate when offered, else at 8000 (0 = none); and a second one we take,
   * /8000 next to Opus' /48000 (0 = none). */
  guint dtmf_pt;
  guint dtmf_clock_rate;
  guint dtmf_pt_alt;
  guint dtmf_clock_rate_alt;
  gboolean opus_fec;      /* useinbandfec=1 offered */
  gboolean opus_stereo;   /* stereo=1 offered */
  guint opus_max_bitrate; /* maxaveragebitrate, 0 = unset */
  gchar *remote_address;  /* where to send RTP */
  guint remote_rtp_port;  /* 0 = m-line rejected / on hold with port 0 */
  gchar *remote_rtcp_address;
  guint remote_rtcp_port;
  gboolean rtcp_mux;
  McuSdpDirection remote_direction; /* as offered */
  /* SRTP (suite NONE: clear RTP): the key the remote encrypts with, and a
   * fresh one of ours for the same suite and tag (the answer's). */
  McuSdpCrypto remote_crypto;
  McuSdpCrypto local_crypto;
  /* RFC 6464 client-to-mixer audio level (mcu-sdp-extmap.c): the a=extmap
   * id the remote sends it under (1-255; 0 = not negotiated), whether its
   * V bit means voice activity (vad=on), and the extmap direction we
   * answer (SENDRECV = none written, RECVONLY for an offered sendonly). */
  guint audio_level_id;
  gboolean audio_level_vad;
  McuSdpDirection audio_level_direction;
} McuSdpAudio;

void mcu_sdp_audio_clear (McuSdpAudio *audio);

/* Choose the audio codec from @offer. Errors: MCU_SDP_ERROR_NO_AUDIO,
 * MCU_SDP_ERROR_NO_CODEC, MCU_SDP_ERROR_ADDRESS (see
 * mcu_sdp_check_media_address) (with a message fit for a SIP Warning). The same
 * call reads an answer to our own offer (late offer) */
gboolean mcu_sdp_negotiate_audio (const McuSdpSession *offer,
    const McuSdpPrefs *prefs, McuSdpAudio *out, GError **error);

/* Can we send @media's RTP and RTCP where it says, from a socket of
 * @family (0 = any)? The c= address (and an a=rtcp address) must be an IP
 * literal (host names are not resolved), of @family, not multicast,
 * broadcast or 0.x.x.x; 0.0.0.0 and :: (hold: nothing is sent) are fine.
 * Without rtcp-mux there must be an RTCP port: m= port 65535 needs a=rtcp,
 * and a=rtcp:0 is refused. MCU_SDP_ERROR_ADDRESS otherwise. */
gboolean mcu_sdp_check_media_address (
    const McuSdpMedia *media, GSocketFamily family, GError **error);

/* What we say about ourselves in an SDP we write. */
typedef struct
{
  const gchar *user; /* o= user, e.g. "mcu" */
  guint64 session_id;
  guint64 session_version; /* bump on every new offer/answer in a dialog */
  const gchar *address;    /* c= and o= address */
  guint rtp_port;
  guint rtcp_port;
  McuSdpDirection direction; /* our direction for the audio m-line */
  /* Video: used only when a video line is answered or offered. */
  guint video_rtp_port;
  guint video_rtcp_port; /* ignored when rtcp-mux is answered (= RTP port) */
  McuSdpDirection video_direction; /* our direction for the video m-line */
  /* (nullable) our SRTP key for an offer's audio line: RTP/SAVP with this
   * a=crypto (answers use McuSdpAudio.local_crypto) */
  const McuSdpCrypto *audio_crypto;
  /* (nullable) the same for an offer's video line; an offer with an
   * encrypted audio line and no video key has no video line (never clear
   * video next to SRTP audio) */
  const McuSdpCrypto *video_crypto;
} McuSdpLocal;

/* Answer @offer: m-lines in the offer's order, the audio line with the one
 * chosen codec (+ the telephone-events taken), a=rtcp, a=ptime; the video
 * line of @video (nullable: no video) with its one codec, see
 * mcu-sdp-video.h; every other m-line rejected with port 0.
 * (transfer full) */
gchar *mcu_sdp_build_answer (const McuSdpSession *offer,
    const McuSdpAudio *audio, const McuSdpVideo *video,
    const McuSdpLocal *local);

/* An offer with every codec in @prefs plus telephone-event (late offer:
 * INVITE without SDP, our offer goes in the 200 OK); with @video_prefs
 * (nullable: audio only) also a video line: H.264 packetization-mode 1
 * (PT 96) and 0 (PT 97), VP8 (PT 98), as the prefs allow; RTP/SAVP lines
 * with @local's audio_crypto and video_crypto. (transfer full) */
gchar *mcu_sdp_build_offer (const McuSdpPrefs *prefs,
    const McuSdpVideoPrefs *video_prefs, const McuSdpLocal *local);

#define MCU_SDP_AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
/* The id our own offers give the audio level extension. */
#define MCU_SDP_AUDIO_LEVEL_OFFER_ID 1

/* Finds the audio level extension in @media's a=extmap values and fills
 * @audio's audio_level fields (all zero when there is none we can take:
 * an id outside 1-255, an id another a=extmap also uses, a direction in
 * which the remote does not send, or malformed text). Negotiation calls
 * it when McuSdpPrefs.audio_level is set. */
void mcu_sdp_extmap_choose (const McuSdpMedia *media, McuSdpAudio *audio);

/* The answered direction for an offered one: sendonly -> recvonly,
 * recvonly -> sendonly, inactive -> inactive, sendrecv -> sendrecv. */
McuSdpDirection mcu_sdp_direction_answer (McuSdpDirection offered);
const gchar *mcu_sdp_direction_to_string (McuSdpDirection direction);
const gchar *mcu_sdp_codec_to_string (McuSdpCodec codec);

G_END_DECLS

#include "mcu-sdp-video.h"
