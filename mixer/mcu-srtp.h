/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: SRTP for one RTP session (srtpenc + srtpdec around an rtpbin),
 * shared by the audio and the video session. Not a GObject: a part of its
 * session, which owns it and calls it from the main thread (the key
 * request comes on a streaming thread and reads the keys under `lock`). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum
{
  MCU_MEDIA_SRTP_NONE = 0, /* clear RTP */
  MCU_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80,
  MCU_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32, /* SRTCP keeps the 80-bit tag */
  MCU_MEDIA_SRTP_AEAD_AES_128_GCM,
} McuMediaSrtpSuite;

#define MCU_MEDIA_SRTP_MAX_KEY 46

typedef struct
{
  McuMediaSrtpSuite suite;
  guint8 key[MCU_MEDIA_SRTP_MAX_KEY]; /* master key || salt */
  guint key_len;
} McuMediaSrtpKey;

typedef struct
{
  McuMediaSrtpSuite suite; /* of the built elements */
  GstElement *enc;         /* (nullable) (owned) also in the bin */
  GstElement *dec;         /* (nullable) (owned) also in rtpbin or the bin */
  GMutex lock;             /* protects send and recv */
  McuMediaSrtpKey send;
  McuMediaSrtpKey recv;
} McuSrtp;

void mcu_srtp_init (McuSrtp *self);
/* Drops the elements and forgets the keys. */
void mcu_srtp_clear (McuSrtp *self);
/* Drops the elements (the bin is being rebuilt); keeps the keys. */
void mcu_srtp_reset (McuSrtp *self);
/* srtpdec through @rtpbin's request-rtp/rtcp-decoder (connect before its
 * recv pads are requested), srtpenc added to @bin for mcu_srtp_link_send.
 * @rtpbin NULL: srtpdec is added to @bin too, for the caller to link.
 * Nothing for MCU_MEDIA_SRTP_NONE. */
gboolean mcu_srtp_build (McuSrtp *self, McuMediaSrtpSuite suite, GstBin *bin,
    GstElement *rtpbin, GError **error);
/* rtpbin's "send_@kind_src_0" (@kind "rtp" or "rtcp") to @sink, through
 * srtpenc when built. */
gboolean mcu_srtp_link_send (
    McuSrtp *self, GstElement *rtpbin, const gchar *kind, GstElement *sink);
/* (nullable) (transfer none) the pad clear RTCP from the caller leaves
 * srtpdec by, for probes that read it. */
GstPad *mcu_srtp_get_rtcp_in_pad (McuSrtp *self);
/* New keys; the running elements follow (a new @recv key: srtpdec asks
 * again for it on the next packet). */
void mcu_srtp_set_keys (
    McuSrtp *self, const McuMediaSrtpKey *send, const McuMediaSrtpKey *recv);
/* SRTCP cannot be validated before srtpdec: the first header only. */
gboolean mcu_srtp_rtcp_plausible (GstBuffer *buf);

G_END_DECLS
