/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one participant's video: depay and decode, and the payloader fed by
 * its encoder group, around its RTP transport (McuRtpEndpoint: sockets,
 * latching, rtcp-mux, SRTP, RTCP feedback, jitter buffer), held in one
 * GstBin that a room's McuVideoMix links in and out. */
#pragma once

#include <gst/gst.h>
#include "mcu-port-pool.h"
#include "mcu-srtp.h"

G_BEGIN_DECLS

typedef enum
{
  MCU_VIDEO_CODEC_H264,
  MCU_VIDEO_CODEC_VP8,
} McuVideoCodec;

/* What was negotiated for this participant: how we decode what it sends
 * and what we send it. */
typedef struct
{
  McuVideoCodec codec;
  guint pt;
  guint packetization_mode; /* H.264: 0 or 1 */
  guint profile_level_id;   /* H.264: e.g. 0x42e01f; 0 = 0x42e01f */
  guint width, height;      /* what we send */
  guint framerate;
  guint bitrate_kbps;
  gboolean fb_nack, fb_pli, fb_fir; /* a=rtcp-fb the caller accepts */
  gboolean rtcp_mux;      /* RTCP on the RTP port, both ways (RFC 5761) */
  McuMediaSrtpSuite srtp; /* SRTP (mcu-srtp.c), keys: set_srtp_keys */
} McuVideoParams;

/* Counters (any thread may read them). */
typedef struct
{
  guint64 packets_in;
  guint64 frames_in;     /* decoded frames */
  guint64 frames_out;    /* encoded frames sent to this participant */
  guint64 plis_received; /* PLI + FIR in its RTCP */
  guint64 plis_sent;     /* PLI + FIR we sent it */
  guint64 keyframes_in;  /* keyframes it sent us */
  guint64 frames_late;   /* dropped undecoded: too late (overload) */
  guint64 late_drops;    /* runs of them (each asked for a keyframe) */
} McuVideoSessionStats;

#define MCU_TYPE_VIDEO_SESSION (mcu_video_session_get_type ())
G_DECLARE_FINAL_TYPE (
    McuVideoSession, mcu_video_session, MCU, VIDEO_SESSION, GObject)

/* Allocates the RTP/RTCP ports now (so they can go into the SDP answer). */
McuVideoSession *mcu_video_session_new (
    McuPortPool *pool, guint jitter_latency, GError **error);
guint mcu_video_session_get_rtp_port (McuVideoSession *self);
guint mcu_video_session_get_rtcp_port (McuVideoSession *self);

/* Builds the bin for @params (only while not in a mix). */
gboolean mcu_video_session_set_params (
    McuVideoSession *self, const McuVideoParams *params, GError **error);
gboolean mcu_video_session_params_equal (
    McuVideoSession *self, const McuVideoParams *params);
/* (nullable) the current parameters */
const McuVideoParams *mcu_video_session_get_params (McuVideoSession *self);
/* SRTP keys (see mcu_media_session_set_srtp_keys): before set_params,
 * and again to re-key. Main thread. */
void mcu_video_session_set_srtp_keys (McuVideoSession *self,
    const McuMediaSrtpKey *send, const McuMediaSrtpKey *recv);
/* Where to send until the caller's real source is seen (latching). */
void mcu_video_session_set_remote (McuVideoSession *self, const gchar *address,
    guint rtp_port, guint rtcp_port);
/* FALSE: send it nothing (hold, recvonly/inactive video). */
void mcu_video_session_set_sending (McuVideoSession *self, gboolean send);
gboolean mcu_video_session_get_sending (McuVideoSession *self);
/* Asks the sender for a keyframe (PLI, or FIR when only that was
 * negotiated). Any thread. */
void mcu_video_session_request_keyframe (McuVideoSession *self);

gint64 mcu_video_session_get_idle_time (McuVideoSession *self);
void mcu_video_session_get_stats (
    McuVideoSession *self, McuVideoSessionStats *stats);

/* For McuVideoMix: the bin, with ghost pads "video_out" (decoded video)
 * and "video_in" (the encoded stream of its encoder group: H.264
 * byte-stream access units or VP8 frames). (transfer none) */
GstElement *mcu_video_session_get_bin (McuVideoSession *self);
/* The room's fixed latency, given to the bin's sinks. */
void mcu_video_session_set_latency (
    McuVideoSession *self, GstClockTime latency);
/* Drops the bin (after the mix removed it). */
void mcu_video_session_reset_bin (McuVideoSession *self);

G_END_DECLS
