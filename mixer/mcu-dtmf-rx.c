/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: RFC 4733 telephone-event receiver (see mcu-dtmf-rx.h).
 *
 * An event is its RTP timestamp: every packet of one key press carries the
 * timestamp of the press's start, with a growing duration; the last three
 * (normally) have the End bit. So:
 * - the same timestamp as the current event is an update or a
 *   retransmission (reported once, at the first End);
 * - an older timestamp (serial number arithmetic: wraps at 2^32) is a late
 *   packet of an event already handled: ignored;
 * - a newer timestamp is a new event, which closes an open one whose End
 *   was lost -- unless it continues a long event: RFC 4733 2.5.1.3 splits an
 *   event longer than the 16-bit duration field into segments, each with
 *   the timestamp where the last one ended and no marker bit (at 48 kHz
 *   that is every 1.37 s of a held key);
 * - an open event with no packet for MCU_DTMF_RX_TIMEOUT_US is over.
 * After FORGET_US without any packet every timestamp but the last one is
 * new (a sender that restarted its clock must not be ignored for hours). */
#include "mcu-dtmf-rx.h"

#include <string.h>

#define FORGET_US (5 * G_USEC_PER_SEC)
/* a segment may start this late after 0xFFFF (sender rounding) */
#define SEGMENT_SLACK_MS 100

gchar
mcu_dtmf_rx_event_to_digit (guint event)
{
  static const gchar digits[] = "0123456789*#ABCD";

  return event < 16 ? digits[event] : 0;
}

void
mcu_dtmf_rx_init (McuDtmfRx *rx)
{
  memset (rx, 0, sizeof *rx);
  rx->state = MCU_DTMF_RX_IDLE;
}

gboolean
mcu_dtmf_rx_is_active (const McuDtmfRx *rx)
{
  return rx->state == MCU_DTMF_RX_ACTIVE;
}

static void
report (McuDtmfRx *rx, McuDtmfRxDigit *out, gboolean timeout)
{
  guint64 total = rx->done_duration + rx->segment_duration;

  out->digit = mcu_dtmf_rx_event_to_digit (rx->event);
  out->duration = rx->clock_rate
                      ? (guint)MIN (total * 1000 / rx->clock_rate, G_MAXUINT)
                      : 0;
  out->timeout = timeout;
  rx->state = timeout ? MCU_DTMF_RX_TIMED_OUT : MCU_DTMF_RX_ENDED;
}

/* Does a packet at @ts (newer than the current segment by @delta) continue
 * the current event in a new segment? */
static gboolean
is_next_segment (const McuDtmfRx *rx, guint8 event, gboolean marker,
    guint32 delta, gint64 now)
{
  guint32 slack = rx->clock_rate / 1000 * SEGMENT_SLACK_MS;

  return (rx->state == MCU_DTMF_RX_ACTIVE ||
             rx->state == MCU_DTMF_RX_TIMED_OUT) &&
         event == rx->event && !marker && delta >= 0x8000 &&
         delta <= 0xFFFF + slack && delta >= rx->segment_duration &&
         now - rx->last_arrival < G_USEC_PER_SEC;
}

static void
start_event (
    McuDtmfRx *rx, guint32 ts, guint8 event, guint32 duration, guint clock_rate)
{
  rx->state = MCU_DTMF_RX_ACTIVE;
  rx->events++;
  rx->ts = rx->segment_ts = ts;
  rx->event = event;
  rx->segment_duration = duration;
  rx->done_duration = 0;
  rx->clock_rate = clock_rate;
}

guint
mcu_dtmf_rx_push (McuDtmfRx *rx, guint32 rtp_ts, gboolean marker,
    const guint8 *payload, gsize len, guint clock_rate, gint64 now,
    McuDtmfRxDigit out[2])
{
  guint8 event;
  gboolean end;
  guint32 duration;
  guint n = 0;

  if (payload == NULL || len < 4 || clock_rate == 0)
    return 0;
  event = payload[0];
  end = (payload[1] & 0x80) != 0;
  duration = ((guint32)payload[2] << 8) | payload[3];
  if (mcu_dtmf_rx_event_to_digit (event) == 0)
    return 0; /* flash, tones: not a key */

  if (rx->state != MCU_DTMF_RX_IDLE && rtp_ts == rx->segment_ts &&
      event == rx->event) {
    /* an update or a retransmission of the current segment */
    rx->segment_duration = MAX (rx->segment_duration, duration);
    rx->last_arrival = now;
    if (end && rx->state == MCU_DTMF_RX_ACTIVE)
      report (rx, &out[n++], FALSE);
    return n;
  }
  if (rx->state != MCU_DTMF_RX_IDLE && now - rx->last_arrival < FORGET_US) {
    guint32 delta = rtp_ts - rx->segment_ts;

    if ((gint32)delta < 0 || (rtp_ts == rx->ts && event == rx->event))
      return 0; /* late: an event (or segment) already handled */
    if (rtp_ts != rx->segment_ts &&
        is_next_segment (rx, event, marker, delta, now)) {
      rx->done_duration += delta;
      rx->segment_ts = rtp_ts;
      rx->segment_duration = duration;
      rx->last_arrival = now;
      if (end && rx->state == MCU_DTMF_RX_ACTIVE)
        report (rx, &out[n++], FALSE);
      return n;
    }
  }
  /* a new event (or another key at the same timestamp: a broken sender) */
  if (rx->state == MCU_DTMF_RX_ACTIVE)
    report (rx, &out[n++], TRUE);
  start_event (rx, rtp_ts, event, duration, clock_rate);
  rx->last_arrival = now;
  if (end)
    report (rx, &out[n++], FALSE);
  return n;
}

gboolean
mcu_dtmf_rx_poll (McuDtmfRx *rx, gint64 now, McuDtmfRxDigit *out)
{
  if (rx->state != MCU_DTMF_RX_ACTIVE ||
      now - rx->last_arrival < MCU_DTMF_RX_TIMEOUT_US)
    return FALSE;
  report (rx, out, TRUE);
  return TRUE;
}
