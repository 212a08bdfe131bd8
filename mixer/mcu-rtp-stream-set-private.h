/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the SSRCs one RTP transport has taken from its caller and when each
 * was last heard, to tell rtpbin which of its streams to drop.
 *
 * rtpbin makes a stream (an SSRC demuxer pad, a jitter buffer with its
 * thread) for every SSRC and keeps it; its "max-streams"
 * (MCU_RTP_STREAM_SET_MAX) bounds what a caller can make us hold, but once a
 * caller has changed SSRC that often without a re-INVITE, its new SSRC would
 * not be heard any more. So a stream that is not the caller's current one and
 * has been quiet for MCU_RTP_STREAM_SET_QUIET is dropped ("clear-ssrc") when a
 * new SSRC comes and the set is full, at most once per
 * MCU_RTP_STREAM_SET_CLEAR_EVERY: making and dropping a stream (a jitter
 * buffer's thread started and joined) runs on the receive thread every
 * caller shares, so a caller putting a new SSRC on every packet gets at most
 * _MAX - 1 new streams per _CLEAR_EVERY, not a dozen a second. The limit
 * stays: at most _MAX streams at once.
 *
 * Threads: a plain struct; its owner serialises the calls (McuRtpEndpoint:
 * under its lock, on McuRtpIo's thread). mcu_rtp_stream_set_drop runs on
 * the one thread that pushes into rtpbin (McuRtpIo's), without a lock. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define MCU_RTP_STREAM_SET_MAX         8u
#define MCU_RTP_STREAM_SET_QUIET       (500 * G_TIME_SPAN_MILLISECOND)
#define MCU_RTP_STREAM_SET_CLEAR_EVERY (2 * G_TIME_SPAN_SECOND)

typedef struct
{
  struct
  {
    guint32 ssrc;
    gint64 last_rx; /* monotonic, µs */
  } seen[MCU_RTP_STREAM_SET_MAX];
  guint n;
  gint64 next_clear; /* no drop before (monotonic, µs) */
} McuRtpStreamSet;

/* Empty (a new rtpbin). */
void mcu_rtp_stream_set_init (McuRtpStreamSet *set);
/* An RTP packet of @ssrc at @now (g_get_monotonic_time); @current: the
 * caller's media SSRC (never dropped), if @have_current. Fills @clear (room
 * for MCU_RTP_STREAM_SET_MAX) with the SSRCs whose streams to drop now,
 * before this packet goes on; returns how many. */
guint mcu_rtp_stream_set_packet (McuRtpStreamSet *set, guint32 ssrc,
    guint32 current, gboolean have_current, gint64 now, guint32 *clear);
/* The name of the fakesink in the transport's bin that takes the output of
 * rtpbin's stream @ssrc / @pt when it is not the caller's. (transfer full) */
gchar *mcu_rtp_stream_set_sink_name (guint32 ssrc, guint pt);
/* Drops @rtpbin's streams of @ssrcs ("clear-ssrc": the SSRC demuxer's
 * pads, the jitter buffer and its thread) and the fakesinks in @bin that
 * took their output. */
void mcu_rtp_stream_set_drop (
    GstElement *bin, GstElement *rtpbin, const guint32 *ssrcs, guint n);

G_END_DECLS
