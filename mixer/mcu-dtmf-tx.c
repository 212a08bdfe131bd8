/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the RFC 4733 sender's schedule. No locks, no threads: the caller
 * serializes (the media session calls it under its lock).
 *
 * A digit takes the audio slots from its start until MCU_DTMF_TX_TONE_MS
 * have passed: each of them carries an update of the same event (same
 * timestamp: the first slot's; growing duration; marker on the first);
 * the slot that reaches the tone's length carries the first End packet,
 * the next two slots the other two (RFC 4733 2.5.1.4: the final packet
 * three times, at the update interval). Then audio passes again until
 * MCU_DTMF_TX_GAP_MS after the tone's end. A ',' lets audio pass for
 * MCU_DTMF_TX_PAUSE_MS. Times are measured in RTP timestamp units from
 * the slots' own timestamps, so any ptime works (updates come once per
 * packet: every 20 ms at the usual ptime). A slot's length is the
 * nominal one (ptime): a short first packet of a new stream makes that one
 * update a little early, nothing more.
 *
 * Why not GStreamer's rtpdtmfsrc + rtpdtmfmux before rtpbin: rtpdtmfsrc is
 * a live source with a streaming thread of its own (one more thread per
 * participant, all the time), stamps its events from the clock rather than
 * from the payloader's timestamps, and rtpdtmfmux (rtpmux) restamps SSRC,
 * sequence numbers and timestamps with offsets of its own: the events
 * would land in the audio's timeline only approximately (up to the room's
 * latency off). Swapping the payloader's own packets keeps SSRC, sequence
 * and timestamps exactly the audio's, at no cost while idle. */
#include "mcu-dtmf-tx.h"

#include <string.h>

#define VOLUME 10 /* -10 dBm0 */

typedef enum
{
  TX_IDLE,
  TX_TONE,  /* updates */
  TX_END,   /* the End packets */
  TX_GAP,   /* audio, until the gap after the tone is over */
  TX_PAUSE, /* audio, for a ',' */
} TxState;

typedef struct
{
  gchar c;
  guint request;
  gboolean last; /* of its request */
} TxItem;

struct _McuDtmfTx
{
  guint clock_rate;
  guint event_rate;
  GQueue queue; /* TxItem*, oldest first */
  guint next_request;

  TxState state;
  TxItem current;
  guint32 start;  /* timestamp of the event's (or pause's) first slot */
  guint duration; /* the End packets' duration, event units */
  guint ends;     /* End packets sent */
};

McuDtmfTx *
mcu_dtmf_tx_new (guint clock_rate, guint event_rate)
{
  McuDtmfTx *self = g_new0 (McuDtmfTx, 1);

  self->clock_rate = clock_rate ? clock_rate : 8000;
  self->event_rate = event_rate ? event_rate : self->clock_rate;
  g_queue_init (&self->queue);
  return self;
}

void
mcu_dtmf_tx_free (McuDtmfTx *self)
{
  if (self == NULL)
    return;
  g_queue_clear_full (&self->queue, g_free);
  g_free (self);
}

gint
mcu_dtmf_tx_event_code (gchar c)
{
  static const gchar letters[] = "ABCD";

  if (c >= '0' && c <= '9')
    return c - '0';
  if (c == '*')
    return 10;
  if (c == '#')
    return 11;
  for (guint i = 0; letters[i]; i++)
    if (g_ascii_toupper (c) == letters[i])
      return 12 + i;
  return -1;
}

guint
mcu_dtmf_tx_push (McuDtmfTx *self, const gchar *digits)
{
  gsize n = strlen (digits);
  guint id;

  if (n == 0 || n + self->queue.length > MCU_DTMF_TX_MAX_QUEUED)
    return 0;
  for (const gchar *c = digits; *c; c++)
    if (*c != ',' && mcu_dtmf_tx_event_code (*c) < 0)
      return 0;
  id = ++self->next_request;
  if (id == 0)
    id = ++self->next_request;
  for (const gchar *c = digits; *c; c++) {
    TxItem *item = g_new0 (TxItem, 1);

    item->c = *c;
    item->request = id;
    item->last = c[1] == '\0';
    g_queue_push_tail (&self->queue, item);
  }
  return id;
}

gboolean
mcu_dtmf_tx_is_idle (McuDtmfTx *self)
{
  return self->state == TX_IDLE && g_queue_is_empty (&self->queue);
}

void
mcu_dtmf_tx_clear (McuDtmfTx *self)
{
  g_queue_clear_full (&self->queue, g_free);
  g_queue_init (&self->queue);
  if (self->state == TX_PAUSE)
    self->state = TX_IDLE;
  else if (self->state != TX_IDLE)
    self->current.last = FALSE; /* its request is not done: dropped */
}

static guint
ms_to_units (McuDtmfTx *self, guint ms)
{
  return (guint)((guint64)ms * self->clock_rate / 1000);
}

static void
fill (McuDtmfTx *self, McuDtmfTxPacket *packet, guint duration, gboolean end,
    gboolean marker)
{
  packet->timestamp = self->start;
  packet->marker = marker;
  packet->payload[0] = (guint8)mcu_dtmf_tx_event_code (self->current.c);
  packet->payload[1] = (end ? 0x80 : 0) | VOLUME;
  packet->payload[2] = (guint8)(duration >> 8);
  packet->payload[3] = (guint8)(duration & 0xff);
}

/* The current item is over: its request's id when it was the last. */
static guint
finish (McuDtmfTx *self)
{
  self->state = TX_IDLE;
  return self->current.last ? self->current.request : 0;
}

gboolean
mcu_dtmf_tx_next (McuDtmfTx *self, guint32 timestamp, guint units,
    McuDtmfTxPacket *packet, guint *done)
{
  guint tone = ms_to_units (self, MCU_DTMF_TX_TONE_MS);
  guint gap = ms_to_units (self, MCU_DTMF_TX_GAP_MS);
  guint pause = ms_to_units (self, MCU_DTMF_TX_PAUSE_MS);
  guint finished = 0;
  gboolean out = FALSE;

  for (;;) {
    /* since the first slot (wraps like the timestamps) */
    guint32 since = timestamp - self->start;

    switch (self->state) {
      case TX_IDLE: {
        TxItem *item = g_queue_pop_head (&self->queue);

        if (item == NULL)
          goto out;
        self->current = *item;
        g_free (item);
        self->start = timestamp;
        self->state = self->current.c == ',' ? TX_PAUSE : TX_TONE;
        continue;
      }
      case TX_TONE: {
        guint64 elapsed = MIN ((guint64)since + units, tone);
        guint duration = (guint)MIN (
            elapsed * self->event_rate / self->clock_rate, G_MAXUINT16);

        if (elapsed >= tone) {
          self->duration = duration;
          self->ends = 1;
          self->state = TX_END;
        }
        fill (self, packet, duration, self->state == TX_END, since == 0);
        out = TRUE;
        goto out;
      }
      case TX_END:
        fill (self, packet, self->duration, TRUE, FALSE);
        if (++self->ends >= MCU_DTMF_TX_ENDS)
          self->state = TX_GAP;
        out = TRUE;
        goto out;
      case TX_GAP:
        if (since < (guint64)tone + gap)
          goto out;
        finished = finish (self);
        continue;
      case TX_PAUSE:
        if (since < pause)
          goto out;
        finished = finish (self);
        continue;
    }
  }
out:
  if (done)
    *done = finished;
  return out;
}
