/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one participant's audio: decode and encode around its RTP transport
 * (McuRtpEndpoint: sockets, latching, SRTP, RTCP, jitter buffer), held in
 * one GstBin that a room's mixer links in and out. */
#pragma once

#include <gst/gst.h>
#include "mcu-port-pool.h"
#include "mcu-srtp.h"

G_BEGIN_DECLS

typedef enum
{
  MCU_MEDIA_CODEC_OPUS,
  MCU_MEDIA_CODEC_G722,
  MCU_MEDIA_CODEC_PCMU,
  MCU_MEDIA_CODEC_PCMA,
} McuMediaCodec;

typedef struct
{
  McuMediaCodec codec;
  McuMediaSrtpSuite srtp; /* the bin is built with srtpenc/srtpdec */
  guint pt;
  guint ptime; /* ms */
  /* telephone-event: the PT we send with at its clock (0 = none), and a
   * second one taken at another clock (Opus with /48000 and /8000) */
  guint dtmf_pt;
  guint dtmf_clock_rate;
  guint dtmf_pt_alt; /* 0 = none */
  guint dtmf_clock_rate_alt;
  gboolean inband_dtmf; /* detect DTMF tones in G.711/G.722 audio */
  gboolean opus_fec;
  guint opus_bitrate; /* bit/s, 0 = encoder default for voice */
  /* the listener's own mix (not the room's shared one) coded CELT (20 ms
   * frames: mcuopusenc's private-celt) */
  gboolean opus_own_celt;
  /* RFC 6464 audio level header extension: its id (0 = none), and whether
   * its V bit is voice activity (vad=on); see mcu-rtp-level.h */
  guint audio_level_id;
  gboolean audio_level_vad;
} McuMediaCodecParams;

#define MCU_TYPE_MEDIA_SESSION (mcu_media_session_get_type ())
G_DECLARE_FINAL_TYPE (
    McuMediaSession, mcu_media_session, MCU, MEDIA_SESSION, GObject)

/* Signal "dtmf" (const gchar *digit, const gchar *method), main thread:
 * a key the caller pressed, once per press: digit "0"-"9", "*", "#",
 * "A"-"D"; method "rfc4733" (telephone-event) or "inband" (a tone in the
 * audio, with params.inband_dtmf; the room does not hear it while it is
 * detected). */

/* Allocates the RTP/RTCP ports now (so they can go into the SDP answer). */
McuMediaSession *mcu_media_session_new (
    McuPortPool *pool, guint jitter_latency, GError **error);
guint mcu_media_session_get_rtp_port (McuMediaSession *self);
guint mcu_media_session_get_rtcp_port (McuMediaSession *self);

/* Codec and RTP settings; builds (or rebuilds, when not in a mix) the bin. */
gboolean mcu_media_session_set_codec (
    McuMediaSession *self, const McuMediaCodecParams *params, GError **error);
gboolean mcu_media_session_codec_equal (
    McuMediaSession *self, const McuMediaCodecParams *params);
/* The SRTP keys: @send encrypts what we send, @recv decrypts what the
 * caller sends (its suite must be the params' srtp). Call before
 * set_codec; later calls re-key the running bin (a new @recv key: the
 * decoder asks again). Main thread. */
void mcu_media_session_set_srtp_keys (McuMediaSession *self,
    const McuMediaSrtpKey *send, const McuMediaSrtpKey *recv);

/* Where to send until the caller's real source is seen (latching). */
void mcu_media_session_set_remote (McuMediaSession *self, const gchar *address,
    guint rtp_port, guint rtcp_port);
/* send = we send to the caller; FALSE on hold. */
void mcu_media_session_set_sending (McuMediaSession *self, gboolean send);
gboolean mcu_media_session_get_sending (McuMediaSession *self);

/* Microseconds since the last RTP or RTCP packet arrived (since creation
 * when none came yet). Any thread. */
gint64 mcu_media_session_get_idle_time (McuMediaSession *self);
guint64 mcu_media_session_get_packets_received (McuMediaSession *self);

typedef struct
{
  guint64 packets_received; /* RTP and RTCP from the caller */
  guint64 packets_sent;     /* RTP to the caller */
  guint64 packets_lost;     /* the caller's RTP lost on the way in */
  guint jitter_ms;          /* interarrival jitter of the caller's RTP */
  guint jitter_buffer_ms;   /* the jitter buffer's depth (adaptive) */
  guint64 silence_skipped;  /* packets of known silence not decoded */
  guint64 unmixed_skipped;  /* packets not decoded: the mixer would not mix */
  guint64 frames_late;      /* decoded buffers cut: they came after their mix
                             * (per mixer input: 0 again on a new one) */
  guint64 octets_sent;      /* payload octets of packets_sent (no rtpbin) */
} McuMediaStats;

/* Main thread; reads rtpbin's statistics on demand. */
void mcu_media_session_get_stats (McuMediaSession *self, McuMediaStats *stats);
/* Deaf: the caller gets silence (RTP keeps flowing, so its RTP timeout and
 * NAT bindings stay happy). Any thread. */
void mcu_media_session_set_deaf (McuMediaSession *self, gboolean deaf);
gboolean mcu_media_session_get_deaf (McuMediaSession *self);

/* For McuAudioMix: the room's shared frames on @output (a src_N of the
 * mcumixminus @mixer, linked to mix_in) skip the encode chain when they
 * can (mcu-media-fanout.c): Opus at 20 ms, no SRTP, not deaf, sending, no
 * DTMF going out. FALSE: this session's bin has no fan-out (every frame
 * takes the chain). Main thread; it lasts until @output is released. */
gboolean mcu_media_session_fan_out (
    McuMediaSession *self, GstElement *mixer, GstPad *output);
/* Packets the fan-out sent for this session's bin so far. Main thread. */
guint64 mcu_media_session_get_fanout_packets (McuMediaSession *self);

/* For McuAudioMix: the bin, with ghost pads "mix_out" (decoded audio to
 * the mixer) and "mix_in" (this participant's mix-minus). (transfer none) */
GstElement *mcu_media_session_get_bin (McuMediaSession *self);
/* The room's fixed latency, given to the bin's sinks (the room never
 * recalculates latency pipeline-wide: see McuAudioMix). */
void mcu_media_session_set_latency (
    McuMediaSession *self, GstClockTime latency);
/* The encoder element in the bin (mcuopusenc, opusenc, mulawenc, ...), for
 * McuAudioMix to attach it to an encoder group. (transfer none) */
GstElement *mcu_media_session_get_encoder (McuMediaSession *self);
/* Drops the bin (after the mixer removed it) so set_codec can rebuild. */
void mcu_media_session_reset_bin (McuMediaSession *self);

/* Sends @digits (0-9 * # A-D, ',' = a 500 ms pause) as RFC 4733
 * telephone-events on the session's own RTP stream (its SSRC, sequence
 * numbers and timestamps; the audio packets those slots would have carried
 * are held back), 100 ms of tone and 100 ms of gap per digit (see
 * mcu-dtmf-tx.h). Queued behind digits still being sent. FALSE with
 * MCU_MIXER_ERROR_DTMF when no telephone-event was negotiated, the
 * session is not sending (hold), a character is not a digit or the queue
 * is full. Signal "dtmf-sent" (const gchar *digits) on the main thread
 * when the last of them went out. Main thread. */
gboolean mcu_media_session_send_dtmf (
    McuMediaSession *self, const gchar *digits, GError **error);

G_END_DECLS
