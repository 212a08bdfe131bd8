/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: DTMF out on one media session's RTP stream: a McuDtmfTx driven by a
 * probe on the payloader's src pad, swapping the audio packets whose slots
 * carry an RFC 4733 event. A plain struct owned by McuMediaSession. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _McuDtmfSender McuDtmfSender;

/* Called on the main thread (an idle source holding a ref to @owner) when
 * the last digit of a request is out. */
typedef void (*McuDtmfSenderDone) (GObject *owner, const gchar *digits);

McuDtmfSender *mcu_dtmf_sender_new (McuDtmfSenderDone done, GObject *owner);
void mcu_dtmf_sender_free (McuDtmfSender *self);
/* A new stream (a new codec or bin): telephone-event @pt (0: none), the
 * audio's RTP @clock_rate, the events' @event_rate, @units per packet.
 * What was queued is dropped (its done never comes). Main thread. */
void mcu_dtmf_sender_configure (McuDtmfSender *self, guint pt, guint clock_rate,
    guint event_rate, guint units);
/* Watches @pay_src, the payloader's src pad (before rtpbin). */
void mcu_dtmf_sender_attach (McuDtmfSender *self, GstPad *pay_src);
/* Nothing to send: no telephone-event, or nothing queued or being sent
 * (any thread; the fan-out asks it per packet, mcu-media-fanout.c). */
gboolean mcu_dtmf_sender_is_idle (McuDtmfSender *self);
/* Queues @digits; FALSE when no telephone-event is configured, a
 * character is not a digit or the queue is full. Main thread. */
gboolean mcu_dtmf_sender_push (McuDtmfSender *self, const gchar *digits);

G_END_DECLS
