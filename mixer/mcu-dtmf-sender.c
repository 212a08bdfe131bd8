/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: DTMF out on a media session's RTP stream.
 *
 * Threads: configure and push run on the main thread; the probe on the
 * payloader's streaming thread. `lock` guards everything but done/owner
 * (set once). For each audio packet the probe asks the McuDtmfTx whether
 * its slot carries an event packet, and if so replaces it by one with the
 * same SSRC and sequence number (see mcu-dtmf-tx.c). A request whose last
 * digit went out hops to the main thread with an idle source carrying a
 * ref to the owner and a copy of its digits. */
#include "mcu-dtmf-sender-private.h"
#include "mcu-dtmf-tx.h"

#include <gst/rtp/rtp.h>
#include <string.h>

struct _McuDtmfSender
{
  McuDtmfSenderDone done;
  GObject *owner; /* (unowned) it owns us */

  GMutex lock;       /* protects everything below */
  McuDtmfTx *tx;     /* (nullable) no telephone-event */
  guint pt;          /* telephone-event */
  guint units;       /* one packet's timestamp units */
  GHashTable *texts; /* request id -> digits */
};

typedef struct
{
  McuDtmfSenderDone done;
  GObject *owner; /* (owned) */
  gchar *digits;
} Done;

McuDtmfSender *
mcu_dtmf_sender_new (McuDtmfSenderDone done, GObject *owner)
{
  McuDtmfSender *self = g_new0 (McuDtmfSender, 1);

  self->done = done;
  self->owner = owner;
  g_mutex_init (&self->lock);
  self->texts = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  return self;
}

void
mcu_dtmf_sender_free (McuDtmfSender *self)
{
  if (self == NULL)
    return;
  mcu_dtmf_tx_free (self->tx);
  g_hash_table_unref (self->texts);
  g_mutex_clear (&self->lock);
  g_free (self);
}

void
mcu_dtmf_sender_configure (McuDtmfSender *self, guint pt, guint clock_rate,
    guint event_rate, guint units)
{
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->tx, mcu_dtmf_tx_free);
  if (pt)
    self->tx = mcu_dtmf_tx_new (clock_rate, event_rate);
  self->pt = pt;
  self->units = units;
  g_hash_table_remove_all (self->texts);
  g_mutex_unlock (&self->lock);
}

gboolean
mcu_dtmf_sender_push (McuDtmfSender *self, const gchar *digits)
{
  guint id = 0;

  g_mutex_lock (&self->lock);
  if (self->tx && (id = mcu_dtmf_tx_push (self->tx, digits)) != 0)
    g_hash_table_insert (self->texts, GUINT_TO_POINTER (id), g_strdup (digits));
  g_mutex_unlock (&self->lock);
  return id != 0;
}

gboolean
mcu_dtmf_sender_is_idle (McuDtmfSender *self)
{
  gboolean idle;

  g_mutex_lock (&self->lock);
  idle = self->tx == NULL || mcu_dtmf_tx_is_idle (self->tx);
  g_mutex_unlock (&self->lock);
  return idle;
}

static void
done_free (gpointer data)
{
  Done *d = data;

  g_object_unref (d->owner);
  g_free (d->digits);
  g_free (d);
}

static gboolean
on_done_idle (gpointer data)
{
  Done *d = data;

  d->done (d->owner, d->digits);
  return G_SOURCE_REMOVE;
}

/* The packet for @p in place of @audio (its SSRC, sequence, times). Lock
 * held. */
static GstBuffer *
event_buffer (McuDtmfSender *self, GstBuffer *audio, GstRTPBuffer *in,
    const McuDtmfTxPacket *p)
{
  GstBuffer *out = gst_rtp_buffer_new_allocate (sizeof p->payload, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  gst_buffer_copy_into (
      out, audio, GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  gst_rtp_buffer_map (out, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_ssrc (&rtp, gst_rtp_buffer_get_ssrc (in));
  gst_rtp_buffer_set_seq (&rtp, gst_rtp_buffer_get_seq (in));
  gst_rtp_buffer_set_timestamp (&rtp, p->timestamp);
  gst_rtp_buffer_set_payload_type (&rtp, self->pt);
  gst_rtp_buffer_set_marker (&rtp, p->marker);
  memcpy (gst_rtp_buffer_get_payload (&rtp), p->payload, sizeof p->payload);
  gst_rtp_buffer_unmap (&rtp);
  return out;
}

/* Each RTP packet out of the payloader (its streaming thread). */
static GstPadProbeReturn
on_pay_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  McuDtmfSender *self = data;
  GstBuffer *audio = GST_PAD_PROBE_INFO_BUFFER (info);
  GstRTPBuffer in = GST_RTP_BUFFER_INIT;
  McuDtmfTxPacket packet;
  gchar *finished = NULL;
  guint done = 0;

  g_mutex_lock (&self->lock);
  if (self->tx && !mcu_dtmf_tx_is_idle (self->tx) &&
      gst_rtp_buffer_map (audio, GST_MAP_READ, &in)) {
    if (mcu_dtmf_tx_next (self->tx, gst_rtp_buffer_get_timestamp (&in),
            self->units, &packet, &done)) {
      GST_PAD_PROBE_INFO_DATA (info) = event_buffer (self, audio, &in, &packet);
      gst_rtp_buffer_unmap (&in);
      gst_buffer_unref (audio);
    } else {
      gst_rtp_buffer_unmap (&in);
    }
    if (done)
      g_hash_table_steal_extended (
          self->texts, GUINT_TO_POINTER (done), NULL, (gpointer *)&finished);
  }
  g_mutex_unlock (&self->lock);
  if (finished) {
    Done *d = g_new0 (Done, 1);

    d->done = self->done;
    d->owner = g_object_ref (self->owner);
    d->digits = finished;
    g_idle_add_full (G_PRIORITY_DEFAULT, on_done_idle, d, done_free);
  }
  return GST_PAD_PROBE_OK;
}

void
mcu_dtmf_sender_attach (McuDtmfSender *self, GstPad *pay_src)
{
  gst_pad_add_probe (
      pay_src, GST_PAD_PROBE_TYPE_BUFFER, on_pay_buffer, self, NULL);
}
