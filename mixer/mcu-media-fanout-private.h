/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the fan-out of a room's shared Opus encode to one listener, a GObject
 * owned by McuMediaSession (see mcu-media-fanout.c).
 *
 * A listener not talking gets the room's shared full mix, whose Opus packet
 * the McuOpusEncGroup made once for everyone. Rather than pushing that
 * frame through the listener's chain (mcuopusenc -> rtpopuspay -> probes
 * -> the transport), the fan-out makes the RTP packet from the group's
 * packet and hands it to the endpoint to count and send, from mcumixminus's
 * shared-frame handler. Every other frame (talking, deaf, on hold, DTMF,
 * a restart) takes the chain, and the two share one RTP stream: one SSRC,
 * one sequence counter, timestamps from the same clock. */
#pragma once

#include "mcu-dtmf-sender-private.h"
#include "mcu-mix-minus.h"
#include "mcu-rtp-endpoint.h"

G_BEGIN_DECLS

#define MCU_TYPE_MEDIA_FANOUT (mcu_media_fanout_get_type ())
G_DECLARE_FINAL_TYPE (
    McuMediaFanout, mcu_media_fanout, MCU, MEDIA_FANOUT, GObject)

/* For the chain mcuopusenc @encoder -> rtpopuspay @pay -> @endpoint's
 * rtp_sink (an endpoint that is_direct_clear), payload type @pt, with
 * @dtmf's probe already on @pay's src (nullable: no DTMF out): sets @pay's
 * ssrc, timestamp-offset and seqnum-offset and puts the fan-out's probe on
 * @pay's src, after @dtmf's. @deaf: the session's flag (atomic, non-zero:
 * the listener gets silence, through the chain). Main thread, while the
 * bin is built. Holds refs on @endpoint and @encoder; @dtmf and @deaf must
 * outlive the pushes (they are the session's, like the DTMF probe's own
 * pointer). (transfer full) */
McuMediaFanout *mcu_media_fanout_new (McuRtpEndpoint *endpoint,
    GstElement *encoder, GstElement *pay, McuDtmfSender *dtmf, const gint *deaf,
    guint pt);

/* The session's hold (any thread): a listener not sending takes the
 * chain, whose probe drops its frames. */
void mcu_media_fanout_set_sending (McuMediaFanout *self, gboolean sending);

/* Takes @output's shared frames (a src_N of @mixer linked to the chain's
 * start): sets its shared-frame handler, which holds a ref on @self until
 * the output is released. Main thread. */
gboolean mcu_media_fanout_attach (
    McuMediaFanout *self, McuMixMinus *mixer, GstPad *output);

/* Packets sent by the fan-out (not through the chain) so far. Any thread. */
guint64 mcu_media_fanout_get_n_sent (McuMediaFanout *self);

G_END_DECLS
