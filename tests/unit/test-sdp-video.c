/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for sip/mcu-sdp-video.c: a negotiation table of real-world
 * video offers (chosen PT, packetization mode, answered and encoded
 * profile-level-id, output size/fps/bitrate, rtcp-fb, rtcp-mux), the answer
 * we build parsed back, our own offer, re-INVITEs adding and removing
 * video, and the H.264 caps helper. baresip_vp8 was captured from baresip
 * 1.0.0 (address replaced); the others are written after what those agents
 * send (baresip's avcodec fmtp after its source). */
#include "mcu-sdp.h"

#include <string.h>

#define HEAD(addr)                 \
  "v=0\r\n"                        \
  "o=- 1 1 IN IP4 " addr "\r\n"    \
  "s=-\r\n"                        \
  "c=IN IP4 " addr "\r\n"          \
  "t=0 0\r\n"                      \
  "m=audio 4000 RTP/AVP 0 101\r\n" \
  "a=rtpmap:101 telephone-event/8000\r\n"

/* ------------------------------------------------------------------------
 * Offers
 */

/* baresip 1.0.0 with fakevideo + vp8 (captured) */
static const gchar baresip_vp8[] =
    "v=0\r\n"
    "o=- 2791985498 1578788866 IN IP4 192.0.2.2\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.2\r\n"
    "t=0 0\r\n"
    "a=tool:baresip 1.0.0\r\n"
    "m=audio 15754 RTP/AVP 96 0 8 101\r\n"
    "a=rtpmap:96 opus/48000/2\r\n"
    "a=fmtp:96 stereo=1;sprop-stereo=1\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=sendrecv\r\n"
    "a=label:1\r\n"
    "a=rtcp-rsize\r\n"
    "a=ssrc:2636348588 cname:sip:alice@127.0.0.1\r\n"
    "a=minptime:20\r\n"
    "a=ptime:20\r\n"
    "m=video 22986 RTP/AVP 96\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=fmtp:96 max-fs=3600\r\n"
    "a=sendrecv\r\n"
    "a=label:2\r\n"
    "a=rtcp-rsize\r\n"
    "a=ssrc:975641979 cname:sip:alice@127.0.0.1\r\n"
    "a=framerate:25.00\r\n"
    "a=rtcp-fb:* nack pli\r\n"
    "a=content:main\r\n";

/* baresip 1.0.0 with fakevideo + avcodec (H.264 packetization-mode 0 and 1
 * on two PTs) + vp8 */
static const gchar baresip_avcodec[] =
    "v=0\r\n"
    "o=- 2738252589 797490129 IN IP4 192.0.2.2\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.2\r\n"
    "t=0 0\r\n"
    "a=tool:baresip 1.0.0\r\n"
    "m=audio 32396 RTP/AVP 96 0 8 101\r\n"
    "a=rtpmap:96 opus/48000/2\r\n"
    "a=fmtp:96 stereo=1;sprop-stereo=1\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=sendrecv\r\n"
    "a=ptime:20\r\n"
    "m=video 34356 RTP/AVP 96 97 98\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=0;profile-level-id=42e01f\r\n"
    "a=rtpmap:97 H264/90000\r\n"
    "a=fmtp:97 packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=rtpmap:98 VP8/90000\r\n"
    "a=fmtp:98 max-fs=3600\r\n"
    "a=sendrecv\r\n"
    "a=label:2\r\n"
    "a=rtcp-rsize\r\n"
    "a=ssrc:1715179052 cname:sip:alice@192.0.2.2\r\n"
    "a=framerate:25.00\r\n"
    "a=rtcp-fb:* nack pli\r\n"
    "a=content:main\r\n";

/* liblinphone with AVPF: VP8 first, H.264 (openh264), feedback per PT */
static const gchar linphone[] =
    "v=0\r\n"
    "o=alice 2807 1245 IN IP4 192.0.2.21\r\n"
    "s=Talk\r\n"
    "c=IN IP4 192.0.2.21\r\n"
    "t=0 0\r\n"
    "m=audio 7078 RTP/AVPF 96 0 8 101\r\n"
    "a=rtpmap:96 opus/48000/2\r\n"
    "a=fmtp:96 useinbandfec=1\r\n"
    "a=rtpmap:101 telephone-event/48000\r\n"
    "a=rtcp-fb:* trr-int 1000\r\n"
    "a=rtcp-fb:* ccm tmmbr\r\n"
    "m=video 9078 RTP/AVPF 96 97\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtpmap:97 H264/90000\r\n"
    "a=fmtp:97 profile-level-id=42801F;packetization-mode=1\r\n"
    "a=rtcp-fb:* trr-int 1000\r\n"
    "a=rtcp-fb:* ccm tmmbr\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtcp-fb:96 nack sli\r\n"
    "a=rtcp-fb:96 ack rpsi\r\n"
    "a=rtcp-fb:96 ccm fir\r\n"
    "a=rtcp-fb:97 nack pli\r\n"
    "a=rtcp-fb:97 ccm fir\r\n";

/* Polycom room system: level 2.2 raised by max-fs/max-mbps, b=TIAS on the
 * line, b=AS at session level, H.263 alternatives, a slides line, BFCP */
static const gchar polycom_group[] =
    "v=0\r\n"
    "o=GroupSeries 1646830217 1646830217 IN IP4 192.0.2.70\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.70\r\n"
    "b=AS:2048\r\n"
    "t=0 0\r\n"
    "m=audio 49152 RTP/AVP 9 0 8 101\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=sendrecv\r\n"
    "m=video 49154 RTP/AVP 109 96 34 31\r\n"
    "b=TIAS:1920000\r\n"
    "a=rtpmap:109 H264/90000\r\n"
    "a=fmtp:109 profile-level-id=428016; max-mbps=245000; max-fs=8160; "
    "packetization-mode=1\r\n"
    "a=rtpmap:96 H263-1998/90000\r\n"
    "a=fmtp:96 CIF4=1;CIF=1;QCIF=1\r\n"
    "a=rtpmap:34 H263/90000\r\n"
    "a=rtpmap:31 H261/90000\r\n"
    "a=rtcp-fb:* nack pli\r\n"
    "a=sendrecv\r\n"
    "m=video 49156 RTP/AVP 109\r\n"
    "b=TIAS:768000\r\n"
    "a=rtpmap:109 H264/90000\r\n"
    "a=fmtp:109 profile-level-id=428016; packetization-mode=1\r\n"
    "a=content:slides\r\n"
    "a=sendrecv\r\n"
    "m=application 49158 UDP/BFCP *\r\n"
    "a=floorctrl:c-s\r\n";

/* Desk phone with a camera: level 1.3, mode 0, b=TIAS, H.263 */
static const gchar desk_phone[] =
    "v=0\r\n"
    "o=- 1619096548 1619096548 IN IP4 192.0.2.50\r\n"
    "s=Polycom IP Phone\r\n"
    "c=IN IP4 192.0.2.50\r\n"
    "t=0 0\r\n"
    "m=audio 2230 RTP/AVP 9 0 127\r\n"
    "a=rtpmap:127 telephone-event/8000\r\n"
    "m=video 2240 RTP/AVP 109 34\r\n"
    "b=TIAS:512000\r\n"
    "a=rtpmap:109 H264/90000\r\n"
    "a=fmtp:109 profile-level-id=42800d; packetization-mode=0\r\n"
    "a=rtpmap:34 H263/90000\r\n"
    "a=fmtp:34 CIF=1;QCIF=1;SQCIF=1\r\n"
    "a=rtcp-fb:* ccm fir\r\n"
    "a=sendrecv\r\n";

/* Cisco endpoint style: level 3.1, max-br below the level's, b=AS */
static const gchar cisco[] =
    "v=0\r\n"
    "o=- 22318 22318 IN IP4 192.0.2.60\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "m=audio 16400 RTP/AVP 0 8 101\r\n"
    "c=IN IP4 192.0.2.60\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "m=video 16402 RTP/AVP 126 97\r\n"
    "c=IN IP4 192.0.2.60\r\n"
    "b=AS:900\r\n"
    "a=rtpmap:126 H264/90000\r\n"
    "a=fmtp:126 profile-level-id=42E01F;packetization-mode=1;max-br=768;"
    "max-mbps=108000;max-fs=3600;max-rcmd-nalu-size=3188\r\n"
    "a=rtpmap:97 H264/90000\r\n"
    "a=fmtp:97 profile-level-id=42E01F;packetization-mode=0;max-br=768\r\n"
    "a=rtcp-fb:* nack pli\r\n"
    "a=rtcp-fb:* ccm fir\r\n"
    "a=rtcp-fb:* ccm tmmbr\r\n"
    "a=sendrecv\r\n";

#define GATEWAY_VIDEO(proto)                                                   \
  "m=video 40024 " proto " 96 97 102 103 104 106 108 127 39 112 98 45 114 "    \
  "115\r\n"                                                                    \
  "c=IN IP4 203.0.113.5\r\n"                                                   \
  "b=TIAS:1000000\r\n"                                                         \
  "a=mid:video\r\n"                                                            \
  "a=sendrecv\r\n"                                                             \
  "a=rtcp-mux\r\n"                                                             \
  "a=rtpmap:96 VP8/90000\r\n"                                                  \
  "a=rtcp-fb:96 goog-remb\r\n"                                                 \
  "a=rtcp-fb:96 transport-cc\r\n"                                              \
  "a=rtcp-fb:96 ccm fir\r\n"                                                   \
  "a=rtcp-fb:96 nack\r\n"                                                      \
  "a=rtcp-fb:96 nack pli\r\n"                                                  \
  "a=rtpmap:97 rtx/90000\r\n"                                                  \
  "a=fmtp:97 apt=96\r\n"                                                       \
  "a=rtpmap:102 H264/90000\r\n"                                                \
  "a=rtcp-fb:102 goog-remb\r\n"                                                \
  "a=rtcp-fb:102 nack\r\n"                                                     \
  "a=rtcp-fb:102 nack pli\r\n"                                                 \
  "a=fmtp:102 "                                                                \
  "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n" \
  "a=rtpmap:103 rtx/90000\r\n"                                                 \
  "a=fmtp:103 apt=102\r\n"                                                     \
  "a=rtpmap:104 H264/90000\r\n"                                                \
  "a=fmtp:104 "                                                                \
  "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f\r\n" \
  "a=rtpmap:106 H264/90000\r\n"                                                \
  "a=rtcp-fb:106 goog-remb\r\n"                                                \
  "a=rtcp-fb:106 transport-cc\r\n"                                             \
  "a=rtcp-fb:106 ccm fir\r\n"                                                  \
  "a=rtcp-fb:106 nack\r\n"                                                     \
  "a=rtcp-fb:106 nack pli\r\n"                                                 \
  "a=fmtp:106 "                                                                \
  "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n" \
  "a=rtpmap:108 H264/90000\r\n"                                                \
  "a=fmtp:108 "                                                                \
  "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f\r\n" \
  "a=rtpmap:127 H264/90000\r\n"                                                \
  "a=fmtp:127 "                                                                \
  "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f\r\n" \
  "a=rtpmap:39 H264/90000\r\n"                                                 \
  "a=fmtp:39 "                                                                 \
  "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f\r\n" \
  "a=rtpmap:112 H264/90000\r\n"                                                \
  "a=fmtp:112 "                                                                \
  "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f\r\n" \
  "a=rtpmap:98 VP9/90000\r\n"                                                  \
  "a=fmtp:98 profile-id=0\r\n"                                                 \
  "a=rtpmap:45 AV1/90000\r\n"                                                  \
  "a=rtpmap:114 red/90000\r\n"                                                 \
  "a=rtpmap:115 ulpfec/90000\r\n"

/* A WebRTC gateway (Janus-like) towards SIP, as browsers offer: DTLS-SRTP */
static const gchar gateway_srtp[] =
    "v=0\r\n"
    "o=- 6370203811392510126 2 IN IP4 203.0.113.5\r\n"
    "s=Janus SIP\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE audio video\r\n"
    "m=audio 40022 UDP/TLS/RTP/SAVPF 111 0\r\n"
    "c=IN IP4 203.0.113.5\r\n"
    "a=rtcp-mux\r\n"
    "a=fingerprint:sha-256 D2:B9:31:8F:DF:24:D8:0E:ED:D2:EF:25:9E:AF:6F:B8:"
    "34:AE:53:9C:E6:F3:8F:F2:64:15:FA:E8:7F:53:2D:38\r\n"
    "a=setup:actpass\r\n"
    "a=rtpmap:111 opus/48000/2\r\n" GATEWAY_VIDEO ("UDP/TLS/RTP/SAVPF");

/* The same gateway with media security off: plain RTP/AVPF, rtcp-mux */
static const gchar gateway_rtp[] =
    "v=0\r\n"
    "o=- 6370203811392510126 3 IN IP4 203.0.113.5\r\n"
    "s=Janus SIP\r\n"
    "t=0 0\r\n"
    "m=audio 40022 RTP/AVPF 111 0\r\n"
    "c=IN IP4 203.0.113.5\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n" GATEWAY_VIDEO ("RTP/AVPF");

static const gchar audio_only[] = HEAD ("192.0.2.9");

static const gchar video_port_zero[] =
    HEAD ("192.0.2.9") "m=video 0 RTP/AVP 96\r\n"
                       "a=rtpmap:96 H264/90000\r\n";

static const gchar unsupported_codecs[] =
    HEAD ("192.0.2.9") "m=video 5000 RTP/AVP 96 34 45\r\n"
                       "a=rtpmap:96 H263-1998/90000\r\n"
                       "a=rtpmap:34 H263/90000\r\n"
                       "a=rtpmap:45 AV1/90000\r\n";

static const gchar high_only[] = HEAD (
    "192.0.2.9") "m=video 5000 RTP/AVP 100\r\n"
                 "a=rtpmap:100 H264/90000\r\n"
                 "a=fmtp:100 profile-level-id=640028;packetization-mode=1\r\n";

static const gchar level_22[] = HEAD (
    "192.0.2.9") "m=video 5000 RTP/AVP 100\r\n"
                 "a=rtpmap:100 H264/90000\r\n"
                 "a=fmtp:100 profile-level-id=42e016;packetization-mode=1\r\n";

static const gchar level_1b[] = HEAD (
    "192.0.2.9") "m=video 5000 RTP/AVP 100\r\n"
                 "a=rtpmap:100 H264/90000\r\n"
                 "a=fmtp:100 profile-level-id=42f00b;packetization-mode=1\r\n";

static const gchar no_plid[] =
    HEAD ("192.0.2.9") "m=video 5000 RTP/AVP 99\r\n"
                       "a=rtpmap:99 h264/90000\r\n"
                       "a=fmtp:99 packetization-mode=1\r\n";

static const gchar bad_plid[] = HEAD (
    "192.0.2.9") "m=video 5000 RTP/AVP 99\r\n"
                 "a=rtpmap:99 H264/90000\r\n"
                 "a=fmtp:99 profile-level-id=zz00zz;packetization-mode=1\r\n";

static const gchar junk_fmtp[] =
    HEAD ("192.0.2.9") "m=video 5000 RTP/AVP 99\r\n"
                       "a=rtpmap:99 H264/90000\r\n"
                       "a=fmtp:99 ;; packetization-mode = 1 ; "
                       "profile-level-id=42E01E;"
                       "max-fs=abc;max-mbps=99999999999;=;foo;packetization-"
                       "mode=0\r\n";

static const gchar bad_pmode[] = HEAD (
    "192.0.2.9") "m=video 5000 RTP/AVP 99 100 101 102\r\n"
                 "a=rtpmap:99 H264/90000\r\n"
                 "a=fmtp:99 packetization-mode=x;profile-level-id=42e01f\r\n"
                 "a=rtpmap:100 H264/90000\r\n"
                 "a=fmtp:100 packetization-mode=2;profile-level-id=42e01f\r\n"
                 "a=rtpmap:101 H264/90000\r\n"
                 "a=fmtp:101 packetization-mode=1;profile-level-id=58a01e\r\n"
                 "a=rtpmap:102 H264/8000\r\n";

static const gchar bad_pmode_and_good[] = HEAD (
    "192.0.2.9") "m=video 5000 RTP/AVP 100 101\r\n"
                 "a=rtpmap:100 H264/90000\r\n"
                 "a=fmtp:100 packetization-mode=2;profile-level-id=42e01f\r\n"
                 "a=rtpmap:101 H264/90000\r\n"
                 "a=fmtp:101 packetization-mode=0;profile-level-id=42e01f\r\n";

static const gchar vp8_small[] =
    HEAD ("192.0.2.9") "m=video 5000 RTP/AVP 100\r\n"
                       "a=rtpmap:100 VP8/90000\r\n"
                       "a=fmtp:100 max-fs=240;max-fr=15\r\n";

static const gchar vp8_tiny[] =
    HEAD ("192.0.2.9") "m=video 5000 RTP/AVP 100\r\n"
                       "a=rtpmap:100 VP8/90000\r\n"
                       "a=fmtp:100 max-fs=10\r\n";

static const gchar video_hold[] = HEAD (
    "192.0.2.9") "m=video 5000 RTP/AVP 100\r\n"
                 "c=IN IP4 0.0.0.0\r\n"
                 "a=rtpmap:100 H264/90000\r\n"
                 "a=fmtp:100 profile-level-id=42e01f;packetization-mode=1\r\n"
                 "a=rtcp:6000\r\n"
                 "a=sendrecv\r\n";

static const gchar video_inactive[] = HEAD (
    "192.0.2.9") "m=video 5000 RTP/AVP 100\r\n"
                 "a=rtpmap:100 H264/90000\r\n"
                 "a=fmtp:100 profile-level-id=42e01f;packetization-mode=1\r\n"
                 "a=inactive\r\n";

/* Feedback for another PT, "*", and malformed lines */
static const gchar fb_per_pt[] = HEAD (
    "192.0.2.9") "m=video 5000 RTP/AVP 100 101\r\n"
                 "a=rtpmap:100 VP8/90000\r\n"
                 "a=rtpmap:101 H264/90000\r\n"
                 "a=fmtp:101 profile-level-id=42e01f;packetization-mode=1\r\n"
                 "a=rtcp-fb:100 nack\r\n"
                 "a=rtcp-fb:100 goog-remb\r\n"
                 "a=rtcp-fb:101  ccm   fir\r\n"
                 "a=rtcp-fb:* nack pli\r\n"
                 "a=rtcp-fb:1010 nack\r\n"
                 "a=rtcp-fb:101nack\r\n"
                 "a=rtcp-fb:101 goog-remb-x\r\n";

static const gchar video_sdes[] =
    HEAD ("192.0.2.9") "m=video 5000 RTP/SAVP 100\r\n"
                       "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                       "inline:"
                       "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVzcyAoc2VxdWV\r\n"
                       "a=rtpmap:100 H264/90000\r\n";

/* ------------------------------------------------------------------------
 * The table
 */

#define OK       -1
#define NO_VIDEO -2

typedef struct
{
  const gchar *path;
  const gchar *sdp;
  const McuSdpVideoPrefs *prefs;
  gint result; /* OK, NO_VIDEO, or an McuSdpError */
  const gchar *message;
  guint media_index;
  McuSdpVideoCodec codec;
  guint pt;
  guint pmode;
  const gchar *plid;
  const gchar *encode_plid;
  gboolean asymmetry;
  guint width, height, fps, kbps;
  guint max_fs, max_mbps, max_br, max_fps, bandwidth;
  gboolean nack, pli, fir, remb, mux;
  const gchar *address;
  guint rtp_port, rtcp_port;
  McuSdpDirection direction;
  const gchar *proto; /* answered; NULL = RTP/AVP */
} VideoCase;

static const McuSdpVideoCodec vp8_first[] = { MCU_SDP_VIDEO_CODEC_VP8,
  MCU_SDP_VIDEO_CODEC_H264, MCU_SDP_VIDEO_CODEC_NONE };
static const McuSdpVideoCodec h264_only[] = { MCU_SDP_VIDEO_CODEC_H264,
  MCU_SDP_VIDEO_CODEC_NONE };
static const McuSdpVideoPrefs prefs_vp8_first = { vp8_first };
static const McuSdpVideoPrefs prefs_h264_only = { h264_only };
static const McuSdpVideoPrefs prefs_360p = { NULL, 640, 360, 30, 1500 };
static const McuSdpVideoPrefs prefs_720p15_600 = { NULL, 1280, 720, 15, 600 };

static const VideoCase cases[] = {
  { "/sdp-video/offer/baresip-avcodec-prefers-mode-1", baresip_avcodec,
      .result = OK, .media_index = 1, .codec = MCU_SDP_VIDEO_CODEC_H264,
      .pt = 97, .pmode = 1, .plid = "42e01f", .encode_plid = "42e01f",
      .width = 1280, .height = 720, .fps = 25, .kbps = 1500, .max_fps = 25,
      .pli = TRUE, .address = "192.0.2.2", .rtp_port = 34356,
      .rtcp_port = 34357 },
  { "/sdp-video/offer/baresip-vp8", baresip_vp8, .result = OK, .media_index = 1,
      .codec = MCU_SDP_VIDEO_CODEC_VP8, .pt = 96, .width = 1280, .height = 720,
      .fps = 25, .kbps = 1500, .max_fs = 3600, .max_fps = 25, .pli = TRUE,
      .address = "192.0.2.2", .rtp_port = 22986, .rtcp_port = 22987 },
  { "/sdp-video/offer/baresip-vp8-h264-only", baresip_vp8, &prefs_h264_only,
      MCU_SDP_ERROR_NO_CODEC,
      "no common video codec (offered: VP8; supported: H264)" },
  { "/sdp-video/offer/linphone-h264-over-vp8", linphone, .result = OK,
      .media_index = 1, .codec = MCU_SDP_VIDEO_CODEC_H264, .pt = 97, .pmode = 1,
      .plid = "42801f", .encode_plid = "42e01f", .width = 1280, .height = 720,
      .fps = 30, .kbps = 1500, .pli = TRUE, .fir = TRUE,
      .address = "192.0.2.21", .rtp_port = 9078, .rtcp_port = 9079,
      .proto = "RTP/AVPF" },
  { "/sdp-video/offer/linphone-vp8-first", linphone, &prefs_vp8_first, OK,
      .media_index = 1, .codec = MCU_SDP_VIDEO_CODEC_VP8, .pt = 96,
      .width = 1280, .height = 720, .fps = 30, .kbps = 1500, .pli = TRUE,
      .fir = TRUE, .address = "192.0.2.21", .rtp_port = 9078, .rtcp_port = 9079,
      .proto = "RTP/AVPF" },
  { "/sdp-video/offer/polycom-max-fs-raises-level-2.2", polycom_group,
      .result = OK, .media_index = 1, .codec = MCU_SDP_VIDEO_CODEC_H264,
      .pt = 109, .pmode = 1, .plid = "428016", .encode_plid = "42e01f",
      .width = 1280, .height = 720, .fps = 30, .kbps = 1500, .max_fs = 8160,
      .max_mbps = 245000, .bandwidth = 1920, .pli = TRUE,
      .address = "192.0.2.70", .rtp_port = 49154, .rtcp_port = 49155 },
  { "/sdp-video/offer/polycom-prefs-360p", polycom_group, &prefs_360p, OK,
      .media_index = 1, .codec = MCU_SDP_VIDEO_CODEC_H264, .pt = 109,
      .pmode = 1, .plid = "428016", .encode_plid = "42e01e", .width = 640,
      .height = 360, .fps = 30, .kbps = 800, .max_fs = 8160, .max_mbps = 245000,
      .bandwidth = 1920, .pli = TRUE, .address = "192.0.2.70",
      .rtp_port = 49154, .rtcp_port = 49155 },
  { "/sdp-video/offer/polycom-prefs-15fps-600k", polycom_group,
      &prefs_720p15_600, OK, .media_index = 1,
      .codec = MCU_SDP_VIDEO_CODEC_H264, .pt = 109, .pmode = 1,
      .plid = "428016", .encode_plid = "42e01f", .width = 1280, .height = 720,
      .fps = 15, .kbps = 600, .max_fs = 8160, .max_mbps = 245000,
      .bandwidth = 1920, .pli = TRUE, .address = "192.0.2.70",
      .rtp_port = 49154, .rtcp_port = 49155 },
  { "/sdp-video/offer/desk-phone-level-1.3-mode-0", desk_phone, .result = OK,
      .media_index = 1, .codec = MCU_SDP_VIDEO_CODEC_H264, .pt = 109,
      .pmode = 0, .plid = "42800d", .encode_plid = "42e00d", .width = 320,
      .height = 180, .fps = 30, .kbps = 300, .bandwidth = 512, .fir = TRUE,
      .address = "192.0.2.50", .rtp_port = 2240, .rtcp_port = 2241 },
  { "/sdp-video/offer/cisco-max-br-and-b-as", cisco, .result = OK,
      .media_index = 1, .codec = MCU_SDP_VIDEO_CODEC_H264, .pt = 126,
      .pmode = 1, .plid = "42e01f", .encode_plid = "42e01f", .width = 1280,
      .height = 720, .fps = 30, .kbps = 768, .max_fs = 3600, .max_mbps = 108000,
      .max_br = 768, .bandwidth = 900, .pli = TRUE, .fir = TRUE,
      .address = "192.0.2.60", .rtp_port = 16402, .rtcp_port = 16403 },
  { "/sdp-video/offer/rtcp-fb-per-pt", fb_per_pt, .result = OK,
      .media_index = 1, .codec = MCU_SDP_VIDEO_CODEC_H264, .pt = 101,
      .pmode = 1, .plid = "42e01f", .encode_plid = "42e01f", .width = 1280,
      .height = 720, .fps = 30, .kbps = 1500, .pli = TRUE, .fir = TRUE,
      .address = "192.0.2.9", .rtp_port = 5000, .rtcp_port = 5001 },
  { "/sdp-video/offer/rtcp-fb-per-pt-vp8", fb_per_pt, &prefs_vp8_first, OK,
      .media_index = 1, .codec = MCU_SDP_VIDEO_CODEC_VP8, .pt = 100,
      .width = 1280, .height = 720, .fps = 30, .kbps = 1500, .nack = TRUE,
      .pli = TRUE, .remb = TRUE, .address = "192.0.2.9", .rtp_port = 5000,
      .rtcp_port = 5001 },
  { "/sdp-video/offer/gateway-srtp-only", gateway_srtp,
      .result = MCU_SDP_ERROR_SRTP,
      .message = "video offered only over SRTP (UDP/TLS/RTP/SAVPF); "
                 "DTLS-SRTP unsupported" },
  { "/sdp-video/offer/gateway-rtp-mux-asymmetry", gateway_rtp, .result = OK,
      .media_index = 1, .codec = MCU_SDP_VIDEO_CODEC_H264, .pt = 106,
      .pmode = 1, .plid = "42e01f", .encode_plid = "42e01f", .asymmetry = TRUE,
      .width = 1280, .height = 720, .fps = 30, .kbps = 1000, .bandwidth = 1000,
      .nack = TRUE, .pli = TRUE, .fir = TRUE, .remb = TRUE, .mux = TRUE,
      .address = "203.0.113.5", .rtp_port = 40024, .rtcp_port = 40024,
      .proto = "RTP/AVPF" },
  { "/sdp-video/offer/gateway-vp8-first", gateway_rtp, &prefs_vp8_first, OK,
      .media_index = 1, .codec = MCU_SDP_VIDEO_CODEC_VP8, .pt = 96,
      .width = 1280, .height = 720, .fps = 30, .kbps = 1000, .bandwidth = 1000,
      .nack = TRUE, .pli = TRUE, .fir = TRUE, .remb = TRUE, .mux = TRUE,
      .address = "203.0.113.5", .rtp_port = 40024, .rtcp_port = 40024,
      .proto = "RTP/AVPF" },
  { "/sdp-video/offer/high-only-answered-high", high_only, .result = OK,
      .media_index = 1, .codec = MCU_SDP_VIDEO_CODEC_H264, .pt = 100,
      .pmode = 1, .plid = "64001f", .encode_plid = "42e01f", .width = 1280,
      .height = 720, .fps = 30, .kbps = 1500, .address = "192.0.2.9",
      .rtp_port = 5000, .rtcp_port = 5001 },
  { "/sdp-video/offer/level-2.2-360p-at-22fps", level_22, .result = OK,
      .media_index = 1, .codec = MCU_SDP_VIDEO_CODEC_H264, .pt = 100,
      .pmode = 1, .plid = "42e016", .encode_plid = "42e016", .width = 640,
      .height = 360, .fps = 22, .kbps = 800, .address = "192.0.2.9",
      .rtp_port = 5000, .rtcp_port = 5001 },
  { "/sdp-video/offer/level-1b", level_1b, .result = OK, .media_index = 1,
      .codec = MCU_SDP_VIDEO_CODEC_H264, .pt = 100, .pmode = 1,
      .plid = "42f00b", .encode_plid = "42f00b", .width = 160, .height = 90,
      .fps = 24, .kbps = 100, .address = "192.0.2.9", .rtp_port = 5000,
      .rtcp_port = 5001 },
  { "/sdp-video/offer/no-profile-level-id-is-level-1", no_plid, .result = OK,
      .media_index = 1, .codec = MCU_SDP_VIDEO_CODEC_H264, .pt = 99, .pmode = 1,
      .plid = "42000a", .encode_plid = "42e00a", .width = 160, .height = 90,
      .fps = 24, .kbps = 64, .address = "192.0.2.9", .rtp_port = 5000,
      .rtcp_port = 5001 },
  { "/sdp-video/offer/malformed-profile-level-id", bad_plid, .result = OK,
      .media_index = 1, .codec = MCU_SDP_VIDEO_CODEC_H264, .pt = 99, .pmode = 1,
      .plid = "42000a", .encode_plid = "42e00a", .width = 160, .height = 90,
      .fps = 24, .kbps = 64, .address = "192.0.2.9", .rtp_port = 5000,
      .rtcp_port = 5001 },
  { "/sdp-video/offer/junk-fmtp-tolerated", junk_fmtp, .result = OK,
      .media_index = 1, .codec = MCU_SDP_VIDEO_CODEC_H264, .pt = 99, .pmode = 1,
      .plid = "42e01e", .encode_plid = "42e01e", .width = 640, .height = 360,
      .fps = 30, .kbps = 800, .address = "192.0.2.9", .rtp_port = 5000,
      .rtcp_port = 5001 },
  { "/sdp-video/offer/bad-packetization-modes", bad_pmode,
      .result = MCU_SDP_ERROR_NO_CODEC,
      .message = "no common video codec (offered: H264 (bad "
                 "packetization-mode), H264 (packetization-mode 2), H264 "
                 "(profile not served), H264/8000; supported: H264, VP8)" },
  { "/sdp-video/offer/mode-2-skipped-mode-0-taken", bad_pmode_and_good,
      .result = OK, .media_index = 1, .codec = MCU_SDP_VIDEO_CODEC_H264,
      .pt = 101, .pmode = 0, .plid = "42e01f", .encode_plid = "42e01f",
      .width = 1280, .height = 720, .fps = 30, .kbps = 1500,
      .address = "192.0.2.9", .rtp_port = 5000, .rtcp_port = 5001 },
  { "/sdp-video/offer/vp8-max-fs-max-fr", vp8_small, .result = OK,
      .media_index = 1, .codec = MCU_SDP_VIDEO_CODEC_VP8, .pt = 100,
      .width = 320, .height = 180, .fps = 15, .kbps = 300, .max_fs = 240,
      .max_fps = 15, .address = "192.0.2.9", .rtp_port = 5000,
      .rtcp_port = 5001 },
  { "/sdp-video/offer/vp8-max-fs-too-small", vp8_tiny,
      .result = MCU_SDP_ERROR_NO_CODEC,
      .message = "no common video codec (offered: VP8 (max-fs too small); "
                 "supported: H264, VP8)" },
  { "/sdp-video/offer/unsupported-codecs", unsupported_codecs,
      .result = MCU_SDP_ERROR_NO_CODEC,
      .message = "no common video codec (offered: H263-1998, H263, AV1; "
                 "supported: H264, VP8)" },
  { "/sdp-video/offer/sdes-srtp", video_sdes, .result = MCU_SDP_ERROR_SRTP,
      .message = "video offered only over SRTP (RTP/SAVP); SRTP is off" },
  { "/sdp-video/offer/audio-only", audio_only, .result = NO_VIDEO },
  { "/sdp-video/offer/video-port-zero", video_port_zero, .result = NO_VIDEO },
  { "/sdp-video/offer/hold-zero-address", video_hold, .result = OK,
      .media_index = 1, .codec = MCU_SDP_VIDEO_CODEC_H264, .pt = 100,
      .pmode = 1, .plid = "42e01f", .encode_plid = "42e01f", .width = 1280,
      .height = 720, .fps = 30, .kbps = 1500, .address = "0.0.0.0",
      .rtp_port = 5000, .rtcp_port = 6000, .direction = MCU_SDP_SENDONLY },
  { "/sdp-video/offer/inactive", video_inactive, .result = OK, .media_index = 1,
      .codec = MCU_SDP_VIDEO_CODEC_H264, .pt = 100, .pmode = 1,
      .plid = "42e01f", .encode_plid = "42e01f", .width = 1280, .height = 720,
      .fps = 30, .kbps = 1500, .address = "192.0.2.9", .rtp_port = 5000,
      .rtcp_port = 5001, .direction = MCU_SDP_INACTIVE },
};

/* ------------------------------------------------------------------------
 * Helpers
 */

static const McuSdpLocal test_local = {
  .user = "mcu",
  .session_id = 42,
  .session_version = 7,
  .address = "127.0.0.1",
  .rtp_port = 30000,
  .rtcp_port = 30001,
  .direction = MCU_SDP_SENDRECV,
  .video_rtp_port = 30002,
  .video_rtcp_port = 30003,
  .video_direction = MCU_SDP_SENDRECV,
};

static McuSdpSession *
parse_ok (const gchar *text)
{
  g_autoptr (GError) error = NULL;
  McuSdpSession *session = mcu_sdp_session_parse (text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_nonnull (session);
  return session;
}

static const McuSdpMedia *
media_at (const McuSdpSession *session, guint i)
{
  g_assert_cmpuint (i, <, session->media->len);
  return session->media->pdata[i];
}

static const McuSdpFormat *
format_at (const McuSdpMedia *media, guint i)
{
  g_assert_cmpuint (i, <, media->formats->len);
  return media->formats->pdata[i];
}

static void
check_negotiated (const VideoCase *c, const McuSdpVideo *v)
{
  g_assert_cmpuint (v->media_index, ==, c->media_index);
  g_assert_cmpint (v->codec, ==, c->codec);
  g_assert_cmpuint (v->pt, ==, c->pt);
  g_assert_cmpuint (v->clock_rate, ==, 90000);
  g_assert_cmpuint (v->packetization_mode, ==, c->pmode);
  g_assert_cmpstr (v->profile_level_id, ==, c->plid);
  g_assert_cmpstr (v->encode_profile_level_id, ==, c->encode_plid);
  g_assert_cmpint (v->level_asymmetry_allowed, ==, c->asymmetry);
  g_assert_cmpuint (v->width, ==, c->width);
  g_assert_cmpuint (v->height, ==, c->height);
  g_assert_cmpuint (v->framerate, ==, c->fps);
  g_assert_cmpuint (v->bitrate_kbps, ==, c->kbps);
  g_assert_cmpuint (v->max_fs, ==, c->max_fs);
  g_assert_cmpuint (v->max_mbps, ==, c->max_mbps);
  g_assert_cmpuint (v->max_br, ==, c->max_br);
  g_assert_cmpuint (v->max_framerate, ==, c->max_fps);
  g_assert_cmpuint (v->bandwidth_kbps, ==, c->bandwidth);
  g_assert_cmpint (v->fb_nack, ==, c->nack);
  g_assert_cmpint (v->fb_pli, ==, c->pli);
  g_assert_cmpint (v->fb_fir, ==, c->fir);
  g_assert_cmpint (v->fb_remb, ==, c->remb);
  g_assert_cmpint (v->rtcp_mux, ==, c->mux);
  g_assert_cmpstr (v->remote_address, ==, c->address);
  g_assert_cmpuint (v->remote_rtp_port, ==, c->rtp_port);
  g_assert_cmpstr (v->remote_rtcp_address, ==, c->address);
  g_assert_cmpuint (v->remote_rtcp_port, ==, c->rtcp_port);
  g_assert_cmpint (v->remote_direction, ==, c->direction);
  if (c->codec == MCU_SDP_VIDEO_CODEC_H264) {
    /* what we send fits what we answered: same or lower level */
    const gchar *profile, *level, *enc_profile, *enc_level;

    g_assert_true (mcu_sdp_video_h264_caps_profile (c->plid, &profile, &level));
    g_assert_true (mcu_sdp_video_h264_caps_profile (
        c->encode_plid, &enc_profile, &enc_level));
    g_assert_cmpstr (enc_profile, ==, "constrained-baseline");
  }
}

/* The video m-line of our answer, against what was negotiated */
static void
check_answer_video (const McuSdpMedia *m, const McuSdpVideo *v,
    const McuSdpLocal *local, const gchar *proto)
{
  const McuSdpFormat *f = format_at (m, 0);
  g_autofree gchar *fmtp = NULL;
  g_autoptr (GPtrArray) fb = g_ptr_array_new_with_free_func (g_free);

  g_assert_cmpstr (m->media, ==, "video");
  g_assert_cmpuint (m->port, ==, local->video_rtp_port);
  g_assert_cmpstr (m->proto, ==, proto);
  g_assert_cmpstr (m->address, ==, local->address);
  g_assert_cmpint (m->direction, ==, local->video_direction);
  g_assert_cmpuint (m->formats->len, ==, 1);
  g_assert_cmpuint (f->pt, ==, v->pt);
  g_assert_cmpstr (f->encoding, ==, mcu_sdp_video_codec_to_string (v->codec));
  g_assert_cmpuint (f->clock_rate, ==, 90000);
  if (v->codec == MCU_SDP_VIDEO_CODEC_H264)
    fmtp = g_strdup_printf ("profile-level-id=%s;packetization-mode=%u%s",
        v->profile_level_id, v->packetization_mode,
        v->level_asymmetry_allowed ? ";level-asymmetry-allowed=1" : "");
  g_assert_cmpstr (f->fmtp, ==, fmtp);
  g_assert_cmpuint (m->bandwidth_tias, ==, v->bitrate_kbps * 1000);
  g_assert_cmpuint (m->bandwidth_as, >=, v->bitrate_kbps);
  g_assert_cmpuint (m->bandwidth_as, <=, v->bitrate_kbps * 106 / 100 + 1);
  g_assert_cmpint (m->rtcp_mux, ==, v->rtcp_mux);
  g_assert_cmpuint (m->rtcp_port, ==,
      v->rtcp_mux ? local->video_rtp_port : local->video_rtcp_port);
  if (v->fb_nack)
    g_ptr_array_add (fb, g_strdup_printf ("%u nack", v->pt));
  if (v->fb_pli)
    g_ptr_array_add (fb, g_strdup_printf ("%u nack pli", v->pt));
  if (v->fb_fir)
    g_ptr_array_add (fb, g_strdup_printf ("%u ccm fir", v->pt));
  g_ptr_array_add (fb, NULL);
  g_assert_true (g_strv_equal (
      (const gchar *const *)m->rtcp_fb, (const gchar *const *)fb->pdata));
}

/* Build the answer, parse it back: m-lines in order, audio and video
 * answered, the rest rejected; then read it as a late-offer answer: the
 * same codec, PT and mode come out, aimed at our ports. */
static void
check_answer (const McuSdpSession *offer, const McuSdpVideo *video,
    const McuSdpVideoPrefs *prefs, const gchar *proto)
{
  McuSdpLocal local = test_local;
  g_autoptr (GError) error = NULL;
  g_autoptr (McuSdpSession) answer = NULL;
  g_autofree gchar *text = NULL;
  McuSdpAudio audio = { 0 };
  McuSdpVideo again = { 0 };

  g_assert_true (mcu_sdp_negotiate_audio (offer, NULL, &audio, &error));
  local.video_direction = mcu_sdp_direction_answer (video->remote_direction);
  text = mcu_sdp_build_answer (offer, &audio, video, &local);
  g_assert_nonnull (text);
  answer = parse_ok (text);
  g_assert_cmpuint (answer->media->len, ==, offer->media->len);
  for (guint i = 0; i < offer->media->len; i++) {
    const McuSdpMedia *o = media_at (offer, i), *a = media_at (answer, i);

    g_assert_cmpstr (a->media, ==, o->media);
    if (i == video->media_index)
      check_answer_video (a, video, &local, proto);
    else if (i == audio.media_index)
      g_assert_cmpuint (a->port, ==, local.rtp_port);
    else
      g_assert_cmpuint (a->port, ==, 0);
  }
  if (video->remote_direction != MCU_SDP_INACTIVE) {
    g_assert_true (mcu_sdp_negotiate_video (answer, prefs, &again, &error));
    g_assert_no_error (error);
    g_assert_cmpint (again.codec, ==, video->codec);
    g_assert_cmpuint (again.pt, ==, video->pt);
    g_assert_cmpuint (again.packetization_mode, ==, video->packetization_mode);
    g_assert_cmpstr (again.profile_level_id, ==, video->profile_level_id);
    g_assert_cmpuint (again.remote_rtp_port, ==, local.video_rtp_port);
    g_assert_cmpuint (again.bitrate_kbps, <=, video->bitrate_kbps);
    mcu_sdp_video_clear (&again);
  }
  mcu_sdp_audio_clear (&audio);
}

static void
test_case (gconstpointer data)
{
  const VideoCase *c = data;
  g_autoptr (McuSdpSession) offer = parse_ok (c->sdp);
  g_autoptr (GError) error = NULL;
  McuSdpVideo video = { 0 };
  gboolean ok = mcu_sdp_negotiate_video (offer, c->prefs, &video, &error);

  if (c->result == NO_VIDEO) {
    g_assert_false (ok);
    g_assert_no_error (error);
    return;
  }
  if (c->result != OK) {
    g_assert_false (ok);
    g_assert_error (error, MCU_SDP_ERROR, c->result);
    if (c->message != NULL && strstr (error->message, c->message) == NULL)
      g_error ("'%s' lacks '%s'", error->message, c->message);
    return;
  }
  g_assert_no_error (error);
  g_assert_true (ok);
  check_negotiated (c, &video);
  check_answer (offer, &video, c->prefs, c->proto ? c->proto : "RTP/AVP");
  mcu_sdp_video_clear (&video);
  g_assert_null (video.profile_level_id);
}

/* ------------------------------------------------------------------------
 * Answers and offers we write
 */

static void
test_answer_exact (void)
{
  g_autoptr (McuSdpSession) offer = parse_ok (polycom_group);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;
  McuSdpAudio audio = { 0 };
  McuSdpVideo video = { 0 };

  g_assert_true (mcu_sdp_negotiate_audio (offer, NULL, &audio, &error));
  g_assert_true (mcu_sdp_negotiate_video (offer, NULL, &video, &error));
  text = mcu_sdp_build_answer (offer, &audio, &video, &test_local);
  g_assert_cmpstr (text, ==,
      "v=0\r\n"
      "o=mcu 42 7 IN IP4 127.0.0.1\r\n"
      "s=mcu\r\n"
      "c=IN IP4 127.0.0.1\r\n"
      "t=0 0\r\n"
      "m=audio 30000 RTP/AVP 9 101\r\n"
      "a=rtpmap:9 G722/8000\r\n"
      "a=rtpmap:101 telephone-event/8000\r\n"
      "a=fmtp:101 0-16\r\n"
      "a=ptime:20\r\n"
      "a=rtcp:30001\r\n"
      "a=sendrecv\r\n"
      "m=video 30002 RTP/AVP 109\r\n"
      "b=AS:1575\r\n"
      "b=TIAS:1500000\r\n"
      "a=rtpmap:109 H264/90000\r\n"
      "a=fmtp:109 profile-level-id=428016;packetization-mode=1\r\n"
      "a=rtcp-fb:109 nack pli\r\n"
      "a=rtcp:30003\r\n"
      "a=sendrecv\r\n"
      "m=video 0 RTP/AVP 109\r\n"
      "m=application 0 UDP/BFCP *\r\n");
  mcu_sdp_audio_clear (&audio);
  mcu_sdp_video_clear (&video);
}

static void
test_answer_exact_mux (void)
{
  g_autoptr (McuSdpSession) offer = parse_ok (gateway_rtp);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;
  McuSdpLocal local = test_local;
  McuSdpAudio audio = { 0 };
  McuSdpVideo video = { 0 };

  local.video_direction = MCU_SDP_SENDONLY;
  g_assert_true (mcu_sdp_negotiate_audio (offer, NULL, &audio, &error));
  g_assert_true (mcu_sdp_negotiate_video (offer, NULL, &video, &error));
  text = mcu_sdp_build_answer (offer, &audio, &video, &local);
  g_assert_nonnull (
      strstr (text, "\r\nm=video 30002 RTP/AVPF 106\r\n"
                    "b=AS:1050\r\n"
                    "b=TIAS:1000000\r\n"
                    "a=rtpmap:106 H264/90000\r\n"
                    "a=fmtp:106 profile-level-id=42e01f;packetization-mode=1;"
                    "level-asymmetry-allowed=1\r\n"
                    "a=rtcp-fb:106 nack\r\n"
                    "a=rtcp-fb:106 nack pli\r\n"
                    "a=rtcp-fb:106 ccm fir\r\n"
                    "a=rtcp-mux\r\n"
                    "a=rtcp:30002\r\n"
                    "a=sendonly\r\n"));
  g_assert_true (g_str_has_suffix (text, "a=sendonly\r\n"));
  mcu_sdp_audio_clear (&audio);
  mcu_sdp_video_clear (&video);
}

static void
test_offer_default (void)
{
  McuSdpVideoPrefs prefs = { 0 };
  g_autofree gchar *text = mcu_sdp_build_offer (NULL, &prefs, &test_local);
  g_autoptr (McuSdpSession) s = parse_ok (text);
  g_autoptr (GError) error = NULL;
  const gchar *const fb[] = { "* nack", "* nack pli", "* ccm fir", NULL };
  const McuSdpMedia *m;
  McuSdpVideo video = { 0 };

  g_assert_cmpuint (s->media->len, ==, 2);
  m = media_at (s, 1);
  g_assert_cmpstr (m->media, ==, "video");
  g_assert_cmpstr (m->proto, ==, "RTP/AVP");
  g_assert_cmpuint (m->port, ==, 30002);
  g_assert_cmpuint (m->rtcp_port, ==, 30003);
  g_assert_cmpstr (m->fmt_text, ==, "96 97 98");
  g_assert_cmpuint (m->bandwidth_tias, ==, 1500000);
  g_assert_cmpstr (format_at (m, 0)->encoding, ==, "H264");
  g_assert_cmpstr (format_at (m, 0)->fmtp, ==,
      "profile-level-id=42e01f;packetization-mode=1");
  g_assert_cmpstr (format_at (m, 1)->encoding, ==, "H264");
  g_assert_cmpstr (format_at (m, 1)->fmtp, ==,
      "profile-level-id=42e01f;packetization-mode=0");
  g_assert_cmpstr (format_at (m, 2)->encoding, ==, "VP8");
  g_assert_cmpstr (format_at (m, 2)->fmtp, ==, "max-fs=3600;max-fr=30");
  g_assert_true (g_strv_equal ((const gchar *const *)m->rtcp_fb, fb));
  g_assert_cmpint (m->direction, ==, MCU_SDP_SENDRECV);
  /* our own offer, negotiated by us: H.264 mode 1 at 720p30 */
  g_assert_true (mcu_sdp_negotiate_video (s, NULL, &video, &error));
  g_assert_cmpint (video.codec, ==, MCU_SDP_VIDEO_CODEC_H264);
  g_assert_cmpuint (video.pt, ==, 96);
  g_assert_cmpuint (video.packetization_mode, ==, 1);
  g_assert_cmpuint (video.width, ==, 1280);
  g_assert_cmpuint (video.framerate, ==, 30);
  g_assert_cmpuint (video.bitrate_kbps, ==, 1500);
  g_assert_true (video.fb_nack && video.fb_pli && video.fb_fir);
  mcu_sdp_video_clear (&video);
}

static void
test_offer_prefs (void)
{
  static const McuSdpVideoCodec vp8_only[] = { MCU_SDP_VIDEO_CODEC_VP8,
    MCU_SDP_VIDEO_CODEC_NONE };
  McuSdpVideoPrefs vp8 = { vp8_only, 640, 360, 25, 700 };
  McuSdpVideoPrefs small = { h264_only, 320, 180, 30, 300 };
  McuSdpLocal local = test_local;
  g_autofree gchar *a = NULL, *b = NULL, *c = NULL;

  local.video_direction = MCU_SDP_INACTIVE;
  local.video_rtcp_port = 0;
  a = mcu_sdp_build_offer (NULL, &vp8, &local);
  g_assert_nonnull (strstr (a, "\r\nm=video 30002 RTP/AVP 98\r\n"
                               "b=AS:735\r\n"
                               "b=TIAS:700000\r\n"
                               "a=rtpmap:98 VP8/90000\r\n"
                               "a=fmtp:98 max-fs=920;max-fr=25\r\n"
                               "a=rtcp-fb:* nack\r\n"
                               "a=rtcp-fb:* nack pli\r\n"
                               "a=rtcp-fb:* ccm fir\r\n"
                               "a=inactive\r\n"));
  b = mcu_sdp_build_offer (NULL, &small, &test_local);
  g_assert_nonnull (strstr (b, "\r\nm=video 30002 RTP/AVP 96 97\r\n"));
  g_assert_nonnull (
      strstr (b, "a=fmtp:96 profile-level-id=42e00d;packetization-mode=1\r\n"));
  c = mcu_sdp_build_offer (NULL, NULL, &test_local);
  g_assert_null (strstr (c, "m=video"));
}

/* An audio call, a re-INVITE adding video, one removing it (port 0) */
static void
test_reinvite_add_remove (void)
{
  static const gchar add[] =
      "v=0\r\no=- 1 2 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\n"
      "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
      "m=video 4002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
      "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n";
  static const gchar removed[] =
      "v=0\r\no=- 1 3 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\n"
      "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
      "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
  g_autoptr (McuSdpSession) s1 = parse_ok (audio_only);
  g_autoptr (McuSdpSession) s2 = parse_ok (add);
  g_autoptr (McuSdpSession) s3 = parse_ok (removed);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer2 = NULL, *answer3 = NULL;
  McuSdpAudio audio = { 0 };
  McuSdpVideo video = { 0 };

  g_assert_false (mcu_sdp_negotiate_video (s1, NULL, &video, &error));
  g_assert_no_error (error);
  g_assert_true (mcu_sdp_negotiate_video (s2, NULL, &video, &error));
  g_assert_cmpuint (video.remote_rtp_port, ==, 4002);
  g_assert_true (mcu_sdp_negotiate_audio (s2, NULL, &audio, &error));
  answer2 = mcu_sdp_build_answer (s2, &audio, &video, &test_local);
  g_assert_nonnull (strstr (answer2, "\r\nm=video 30002 RTP/AVP 96\r\n"));
  mcu_sdp_video_clear (&video);
  g_assert_false (mcu_sdp_negotiate_video (s3, NULL, &video, &error));
  g_assert_no_error (error);
  answer3 = mcu_sdp_build_answer (s3, &audio, NULL, &test_local);
  g_assert_true (g_str_has_suffix (answer3, "\r\nm=video 0 RTP/AVP 96\r\n"));
  mcu_sdp_audio_clear (&audio);
}

/* ------------------------------------------------------------------------
 * Helpers for the media layer
 */

static void
test_h264_caps_profile (void)
{
  static const struct
  {
    const gchar *plid, *profile, *level;
  } good[] = {
    { "42e01f", "constrained-baseline", "3.1" },
    { "42E01F", "constrained-baseline", "3.1" },
    { "42001f", "baseline", "3.1" }, { "42801e", "baseline", "3" },
    { "42f00b", "constrained-baseline", "1b" },
    { "42e00b", "constrained-baseline", "1.1" },
    { "42e00a", "constrained-baseline", "1" }, { "4d0028", "main", "4" },
    { "64001f", "high", "3.1" }, { "640c1f", "constrained-high", "3.1" },
    { "640009", "high", "1b" }, { "6e0033", "high-10", "5.1" },
    { "f4001f", "high-4:4:4", "3.1" }, { "58a01e", "extended", "3" },
    { "42e03d", "constrained-baseline", "5.2" }, /* 6.1: nearest below */
  };
  static const gchar *const bad[] = { NULL, "", "42e01", "42e01f0", "zz001f",
    "42e004", "ff001f", "42 01f" };
  const gchar *profile = NULL, *level = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (good); i++) {
    g_assert_true (
        mcu_sdp_video_h264_caps_profile (good[i].plid, &profile, &level));
    g_assert_cmpstr (profile, ==, good[i].profile);
    g_assert_cmpstr (level, ==, good[i].level);
  }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (mcu_sdp_video_h264_caps_profile (bad[i], NULL, NULL));
}

static void
test_strings_and_copy (void)
{
  g_autoptr (McuSdpSession) offer = parse_ok (cisco);
  g_autoptr (GError) error = NULL;
  McuSdpVideo video = { 0 }, copy = { 0 };

  g_assert_cmpstr (
      mcu_sdp_video_codec_to_string (MCU_SDP_VIDEO_CODEC_H264), ==, "H264");
  g_assert_cmpstr (
      mcu_sdp_video_codec_to_string (MCU_SDP_VIDEO_CODEC_VP8), ==, "VP8");
  g_assert_cmpstr (
      mcu_sdp_video_codec_to_string (MCU_SDP_VIDEO_CODEC_NONE), ==, "none");
  g_assert_cmpint (
      mcu_sdp_video_codec_from_string ("h264"), ==, MCU_SDP_VIDEO_CODEC_H264);
  g_assert_cmpint (
      mcu_sdp_video_codec_from_string ("Vp8"), ==, MCU_SDP_VIDEO_CODEC_VP8);
  g_assert_cmpint (
      mcu_sdp_video_codec_from_string ("av1"), ==, MCU_SDP_VIDEO_CODEC_NONE);
  g_assert_cmpint (
      mcu_sdp_video_codec_from_string (NULL), ==, MCU_SDP_VIDEO_CODEC_NONE);

  g_assert_true (mcu_sdp_negotiate_video (offer, NULL, &video, &error));
  mcu_sdp_video_copy (&copy, &video);
  g_assert_true (copy.profile_level_id != video.profile_level_id);
  g_assert_true (copy.remote_address != video.remote_address);
  mcu_sdp_video_clear (&video);
  g_assert_cmpstr (copy.profile_level_id, ==, "42e01f");
  g_assert_cmpstr (copy.encode_profile_level_id, ==, "42e01f");
  g_assert_cmpstr (copy.remote_address, ==, "192.0.2.60");
  g_assert_cmpstr (copy.remote_rtcp_address, ==, "192.0.2.60");
  g_assert_cmpuint (copy.bitrate_kbps, ==, 768);
  mcu_sdp_video_clear (&copy);
}

/* Random damage to every offer above: negotiation fails cleanly or gives
 * an answer that parses back with the same m-line count. */
static void
test_mutated_offers (void)
{
  static const gchar *const inserts[] = { " ", ";", "=", "0", "99999999999",
    "packetization-mode=", "profile-level-id=", "max-fs=0", "a=rtcp-fb:* ",
    "a=rtcp-mux\r\n", "\r\n", "H264/90000", "m=video 1 RTP/AVP 96\r\n" };
  g_autoptr (GRand) rand = g_rand_new_with_seed (20240612);
  guint negotiated = 0;

  for (guint i = 0; i < 6000; i++) {
    const VideoCase *c = &cases[i % G_N_ELEMENTS (cases)];
    g_autoptr (GString) text = g_string_new (c->sdp);
    g_autoptr (McuSdpSession) s = NULL;
    g_autoptr (GError) error = NULL;
    McuSdpVideo video = { 0 };
    McuSdpAudio audio = { 0 };

    for (guint n = g_rand_int_range (rand, 1, 4); n > 0; n--) {
      guint pos = g_rand_int_range (rand, 0, (gint32)text->len + 1);

      if (g_rand_boolean (rand) && pos < text->len)
        g_string_erase (text, pos, MIN (8, text->len - pos));
      else
        g_string_insert (text, pos,
            inserts[g_rand_int_range (rand, 0, G_N_ELEMENTS (inserts))]);
    }
    s = mcu_sdp_session_parse (text->str, text->len, NULL);
    if (s == NULL)
      continue;
    if (!mcu_sdp_negotiate_video (s, c->prefs, &video, &error)) {
      g_assert_true (error == NULL || error->domain == MCU_SDP_ERROR);
      continue;
    }
    g_assert_cmpuint (video.width, >, 0);
    g_assert_cmpuint (video.framerate, >, 0);
    g_assert_cmpuint (video.bitrate_kbps, >, 0);
    if (mcu_sdp_negotiate_audio (s, NULL, &audio, NULL) &&
        audio.media_index != video.media_index) {
      g_autofree gchar *answer =
          mcu_sdp_build_answer (s, &audio, &video, &test_local);
      g_autoptr (McuSdpSession) back = parse_ok (answer);

      g_assert_cmpuint (back->media->len, ==, s->media->len);
      negotiated++;
    }
    mcu_sdp_audio_clear (&audio);
    mcu_sdp_video_clear (&video);
  }
  g_assert_cmpuint (negotiated, >, 1000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_test_add_data_func (cases[i].path, &cases[i], test_case);
  g_test_add_func ("/sdp-video/answer/exact-polycom", test_answer_exact);
  g_test_add_func (
      "/sdp-video/answer/exact-gateway-mux", test_answer_exact_mux);
  g_test_add_func ("/sdp-video/build-offer/default", test_offer_default);
  g_test_add_func ("/sdp-video/build-offer/prefs", test_offer_prefs);
  g_test_add_func (
      "/sdp-video/reinvite/add-then-remove-video", test_reinvite_add_remove);
  g_test_add_func ("/sdp-video/h264-caps-profile", test_h264_caps_profile);
  g_test_add_func ("/sdp-video/strings-and-copy", test_strings_and_copy);
  g_test_add_func ("/sdp-video/robustness/mutated-offers", test_mutated_offers);
  return g_test_run ();
}
