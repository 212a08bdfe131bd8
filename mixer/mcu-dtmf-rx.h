/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: an RFC 4733 telephone-event receiver. A plain struct, no GStreamer:
 * fed the RTP timestamp, marker and payload of each telephone-event packet
 * from the caller, it reports each key press exactly once, when it ends.
 * Not thread-safe: the owner serialises calls (the media session feeds it
 * from a streaming thread and polls it from the main loop under a lock). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* No packet of an open event for this long (the sender updates every 50 ms
 * or every packet time; a few lost updates and jitter must not end it):
 * the event is over, its End packets were lost. Closing early never
 * reports a digit twice (events are keyed by their timestamp); closing
 * late only delays a digit whose End was lost. */
#define MCU_DTMF_RX_TIMEOUT_US (250 * G_TIME_SPAN_MILLISECOND)

typedef enum
{
  MCU_DTMF_RX_IDLE,      /* no event yet */
  MCU_DTMF_RX_ACTIVE,    /* an event is on, not reported yet */
  MCU_DTMF_RX_ENDED,     /* the last event was reported (End seen) */
  MCU_DTMF_RX_TIMED_OUT, /* reported after MCU_DTMF_RX_TIMEOUT_US */
} McuDtmfRxState;

typedef struct
{
  gchar digit;      /* '0'-'9', '*', '#', 'A'-'D' */
  guint duration;   /* ms */
  gboolean timeout; /* no End packet was seen */
} McuDtmfRxDigit;

typedef struct
{
  McuDtmfRxState state;
  guint32 ts;         /* the current (last) event's RTP timestamp */
  guint32 segment_ts; /* its current segment's (long events, 4733 2.5.1.3) */
  guint8 event;       /* its event code */
  guint32 segment_duration; /* the longest duration seen in the segment */
  guint64 done_duration;    /* the segments before the current one */
  guint clock_rate;
  gint64 last_arrival; /* monotonic us of its last packet */
  guint64 events;      /* events started so far (each is reported once) */
} McuDtmfRx;

void mcu_dtmf_rx_init (McuDtmfRx *rx);

/* One telephone-event packet (@payload is the RTP payload, @len bytes)
 * that arrived at @now (monotonic us). Returns how many digits were
 * completed into @out (0-2: a new event may close the previous one whose
 * End was lost, and be a lone End packet itself). Malformed payloads,
 * events that are not keys (flash, tones), and retransmissions are
 * ignored. */
guint mcu_dtmf_rx_push (McuDtmfRx *rx, guint32 rtp_ts, gboolean marker,
    const guint8 *payload, gsize len, guint clock_rate, gint64 now,
    McuDtmfRxDigit out[2]);

/* Closes an event whose End never came (MCU_DTMF_RX_TIMEOUT_US since its
 * last packet). TRUE with @out filled when it did. */
gboolean mcu_dtmf_rx_poll (McuDtmfRx *rx, gint64 now, McuDtmfRxDigit *out);

/* An event is open (the owner should poll). */
gboolean mcu_dtmf_rx_is_active (const McuDtmfRx *rx);

/* '0'-'9', '*', '#', 'A'-'D' for RFC 4733 event codes 0-15, else 0. */
gchar mcu_dtmf_rx_event_to_digit (guint event);

G_END_DECLS
