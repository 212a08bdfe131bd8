/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: an RFC 4733 telephone-event sender, as a plain struct (no GObject,
 * no GStreamer): fed with every outgoing audio RTP packet slot of a stream,
 * it says which slots carry an event packet instead (same SSRC and
 * sequence number; the event's own timestamp). Pure and unit-testable; the
 * media session runs it in its payloader's streaming thread under its
 * lock. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Per digit: 100 ms of tone, 100 ms of gap (the three End packets are
 * inside the gap); ',' is a 500 ms pause. */
#define MCU_DTMF_TX_TONE_MS  100
#define MCU_DTMF_TX_GAP_MS   100
#define MCU_DTMF_TX_PAUSE_MS 500
#define MCU_DTMF_TX_ENDS     3
/* Digits queued at most (all requests together). */
#define MCU_DTMF_TX_MAX_QUEUED 256

typedef struct _McuDtmfTx McuDtmfTx;

/* What goes out instead of an audio packet. */
typedef struct
{
  guint32 timestamp; /* the event's start, in the stream's units */
  gboolean marker;   /* the first packet of an event */
  guint8 payload[4]; /* event, E|R|volume, duration (network order) */
} McuDtmfTxPacket;

/* @clock_rate: the audio's RTP clock (what the timestamps count);
 * @event_rate: the telephone-event clock (what durations count); usually
 * the same. */
McuDtmfTx *mcu_dtmf_tx_new (guint clock_rate, guint event_rate);
void mcu_dtmf_tx_free (McuDtmfTx *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuDtmfTx, mcu_dtmf_tx_free)

/* The RFC 4733 event code of @c ('0'-'9' 0-9, '*' 10, '#' 11, 'A'-'D'
 * 12-15, case-insensitive), or -1. */
gint mcu_dtmf_tx_event_code (gchar c);

/* Queues @digits (0-9 * # A-D and ','); returns the request's id (> 0),
 * or 0 when a character is not one of those or the queue would hold more
 * than MCU_DTMF_TX_MAX_QUEUED. */
guint mcu_dtmf_tx_push (McuDtmfTx *self, const gchar *digits);
/* Nothing queued or being sent. */
gboolean mcu_dtmf_tx_is_idle (McuDtmfTx *self);
/* Drops everything queued (an event being sent is ended first: its End
 * packets still go out). */
void mcu_dtmf_tx_clear (McuDtmfTx *self);

/* One outgoing audio packet slot: its RTP @timestamp and its length
 * @units (in timestamp units). TRUE: send @packet instead of the audio.
 * *@done (nullable) gets the id of a request that finished with this slot,
 * 0 when none did. */
gboolean mcu_dtmf_tx_next (McuDtmfTx *self, guint32 timestamp, guint units,
    McuDtmfTxPacket *packet, guint *done);

G_END_DECLS
