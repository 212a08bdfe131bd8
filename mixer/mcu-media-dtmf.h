/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the key presses of one media session (internal to mixer/): RFC 4733
 * telephone-events from the caller's RTP and, optionally, DTMF tones in
 * its decoded G.711/G.722 audio (spandsp). Digits come out on the main
 * loop, in order, through @emit. */
#pragma once

#include <gst/gst.h>
#include "mcu-dtmf-rx.h"

G_BEGIN_DECLS

typedef void (*McuMediaDtmfEmit) (
    GObject *owner, const gchar *digit, const gchar *method);

typedef struct _McuMediaDtmf McuMediaDtmf;

/* Main thread. @owner (a McuMediaSession) outlives the helper; pending
 * deliveries hold a reference on it. The main loop is the thread-default
 * context of the caller. */
McuMediaDtmf *mcu_media_dtmf_new (GObject *owner, McuMediaDtmfEmit emit);
void mcu_media_dtmf_free (McuMediaDtmf *d);

/* Main thread, while no streaming thread runs the helper's probes (before
 * a new bin plays): the telephone-event payload types (0 = none) and their
 * clocks; in-band detection at @inband_rate (8000 or 16000 Hz samples on
 * the decoder's output, 0 = off). Resets the receivers. */
void mcu_media_dtmf_configure (McuMediaDtmf *d, guint pt, guint clock_rate,
    guint pt_alt, guint clock_rate_alt, guint inband_rate);

/* Probes: @pad sees the caller's RTP after SRTP decryption and after the
 * session's source check (srtpdec's rtp_src with SRTP, else rtpbin's
 * recv_rtp_sink); @decoded the decoder's raw S16 mono output (in-band
 * tones; muted while a tone is on). */
void mcu_media_dtmf_watch_rtp (McuMediaDtmf *d, GstPad *pad);
void mcu_media_dtmf_watch_decoded (McuMediaDtmf *d, GstPad *decoded);

G_END_DECLS
