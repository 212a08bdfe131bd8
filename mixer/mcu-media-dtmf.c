/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: key presses of one media session (see mcu-media-dtmf.h).
 *
 * Threads:
 * - the RTP probe runs on the thread that receives the caller's RTP (its
 *   udpsrc's): it feeds telephone-event packets to the McuDtmfRx;
 * - the decoded-audio probe runs on the caller's decoding thread (the
 *   jitter buffer's): it feeds spandsp's DTMF receiver, which only that
 *   thread touches after configure;
 * - a timer on the main loop closes an event whose End was lost (it runs
 *   only while an event is open), and one dispatch source on the main loop
 *   hands the queued digits to @emit in the order they were found.
 * `lock` protects the McuDtmfRx, the queue and the two source pointers.
 *
 * Cost: the RTP probe reads the payload type of each packet and returns at
 * once for audio; the tone detector (only with in-band detection on) runs
 * spandsp's Goertzel filters over 8 kHz samples (G.722's 16 kHz output is
 * averaged down pairwise first: DTMF is below 1.7 kHz). */
#include "mcu-media-dtmf.h"

#include <gst/rtp/rtp.h>
#include <string.h>

#include <spandsp.h>

#define POLL_MS      50
#define MAX_QUEUED   64 /* digits waiting for the main loop: a bound */
#define INBAND_CHUNK 160

struct _McuMediaDtmf
{
  GObject *owner; /* (not owned) */
  McuMediaDtmfEmit emit;
  GMainContext *context;

  /* set by configure, read-only while the probes run */
  guint pt, clock_rate, pt_alt, clock_rate_alt;
  guint inband_rate;
  dtmf_rx_state_t *inband; /* decoding thread only */
  gboolean tone_on;        /* decoding thread only */

  GMutex lock; /* protects what follows */
  McuDtmfRx rx;
  guint32 ssrc;
  gboolean have_ssrc;
  GString *queue;    /* pairs: digit, method ('r' rfc4733, 'i' inband) */
  GSource *timer;    /* polls rx while an event is open */
  GSource *dispatch; /* delivers the queue */
  guint dropped;     /* digits over MAX_QUEUED */
};

McuMediaDtmf *
mcu_media_dtmf_new (GObject *owner, McuMediaDtmfEmit emit)
{
  McuMediaDtmf *d = g_new0 (McuMediaDtmf, 1);

  d->owner = owner;
  d->emit = emit;
  d->context = g_main_context_ref_thread_default ();
  g_mutex_init (&d->lock);
  mcu_dtmf_rx_init (&d->rx);
  d->queue = g_string_new (NULL);
  return d;
}

static void
clear_inband (McuMediaDtmf *d)
{
  g_clear_pointer (&d->inband, dtmf_rx_free);
  d->tone_on = FALSE;
}

/* The sources hold a reference on the owner, which frees us: none is left
 * by then. */
void
mcu_media_dtmf_free (McuMediaDtmf *d)
{
  if (d == NULL)
    return;
  g_warn_if_fail (d->timer == NULL && d->dispatch == NULL);
  clear_inband (d);
  g_string_free (d->queue, TRUE);
  g_mutex_clear (&d->lock);
  g_main_context_unref (d->context);
  g_free (d);
}

/* ---- delivery on the main loop ---- */

/* A source's end: the reference it held (the last one may free @d). */
static void
unref_owner (gpointer data)
{
  McuMediaDtmf *d = data;

  g_object_unref (d->owner);
}

static gboolean
on_dispatch (gpointer data)
{
  McuMediaDtmf *d = data;
  g_autofree gchar *queued = NULL;

  g_mutex_lock (&d->lock);
  queued = g_strdup (d->queue->str);
  g_string_truncate (d->queue, 0);
  g_clear_pointer (&d->dispatch, g_source_unref);
  if (d->dropped) {
    g_warning ("%u DTMF digits dropped (more than %u waiting)", d->dropped,
        MAX_QUEUED);
    d->dropped = 0;
  }
  g_mutex_unlock (&d->lock);
  for (const gchar *q = queued; q[0] && q[1]; q += 2) {
    gchar digit[2] = { q[0], 0 };

    d->emit (d->owner, digit, q[1] == 'i' ? "inband" : "rfc4733");
  }
  return G_SOURCE_REMOVE;
}

/* (lock held) */
static GSource *
attach_source (McuMediaDtmf *d, GSource *source, GSourceFunc func)
{
  g_object_ref (d->owner);
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, d, unref_owner);
  g_source_attach (source, d->context);
  return source;
}

/* (lock held) */
static void
queue_digit (McuMediaDtmf *d, gchar digit, gchar method)
{
  if (d->queue->len / 2 >= MAX_QUEUED) {
    d->dropped++;
    return;
  }
  g_string_append_c (d->queue, digit);
  g_string_append_c (d->queue, method);
  if (d->dispatch == NULL)
    d->dispatch = attach_source (d, g_idle_source_new (), on_dispatch);
}

static gboolean
on_timer (gpointer data)
{
  McuMediaDtmf *d = data;
  McuDtmfRxDigit digit;
  gboolean again;

  g_mutex_lock (&d->lock);
  if (mcu_dtmf_rx_poll (&d->rx, g_get_monotonic_time (), &digit))
    queue_digit (d, digit.digit, 'r');
  again = mcu_dtmf_rx_is_active (&d->rx);
  if (!again)
    g_clear_pointer (&d->timer, g_source_unref);
  g_mutex_unlock (&d->lock);
  return again;
}

/* ---- RTP ---- */

static GstPadProbeReturn
on_rtp (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  McuMediaDtmf *d = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  McuDtmfRxDigit out[2];
  guint pt, rate, n;
  guint32 ssrc;

  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  pt = gst_rtp_buffer_get_payload_type (&rtp);
  if (pt == 0 || (pt != d->pt && pt != d->pt_alt)) {
    gst_rtp_buffer_unmap (&rtp);
    return GST_PAD_PROBE_OK;
  }
  rate = pt == d->pt ? d->clock_rate : d->clock_rate_alt;
  ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  g_mutex_lock (&d->lock);
  if (d->have_ssrc && ssrc != d->ssrc)
    mcu_dtmf_rx_init (&d->rx); /* a new stream: its own timestamps */
  d->ssrc = ssrc;
  d->have_ssrc = TRUE;
  n = mcu_dtmf_rx_push (&d->rx, gst_rtp_buffer_get_timestamp (&rtp),
      gst_rtp_buffer_get_marker (&rtp), gst_rtp_buffer_get_payload (&rtp),
      gst_rtp_buffer_get_payload_len (&rtp), rate, g_get_monotonic_time (),
      out);
  for (guint i = 0; i < n; i++)
    queue_digit (d, out[i].digit, 'r');
  if (mcu_dtmf_rx_is_active (&d->rx) && d->timer == NULL)
    d->timer = attach_source (d, g_timeout_source_new (POLL_MS), on_timer);
  g_mutex_unlock (&d->lock);
  gst_rtp_buffer_unmap (&rtp);
  return GST_PAD_PROBE_OK;
}

void
mcu_media_dtmf_watch_rtp (McuMediaDtmf *d, GstPad *pad)
{
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_rtp, d, NULL);
}

/* ---- in-band tones (spandsp) ---- */

/* A tone starts (@code: its digit) or stops (0): one digit per tone, as
 * it starts (spandsp reports a tone once its two halves agree; with a
 * realtime callback it has no other digit report). */
static void
on_inband_tone (void *data, int code, int level, int delay)
{
  McuMediaDtmf *d = data;

  d->tone_on = code != 0;
  if (code > 0 && code < 128 && strchr ("0123456789*#ABCD", code) != NULL) {
    g_mutex_lock (&d->lock);
    queue_digit (d, (gchar)code, 'i');
    g_mutex_unlock (&d->lock);
  }
}

/* Feeds the detector; TRUE when a tone was on during @samples (the
 * buffer is then muted for the room). */
static gboolean
detect (McuMediaDtmf *d, const gint16 *samples, gsize n)
{
  gint16 narrow[INBAND_CHUNK];
  gboolean heard = d->tone_on;

  if (d->inband_rate == 8000) {
    for (gsize i = 0; i < n; i += INBAND_CHUNK) {
      dtmf_rx (d->inband, samples + i, (int)MIN (INBAND_CHUNK, n - i));
      heard |= d->tone_on;
    }
    return heard;
  }
  /* 16 kHz: average pairs to 8 kHz */
  for (gsize i = 0; i + 1 < n;) {
    gsize k = 0;

    for (; k < INBAND_CHUNK && i + 1 < n; k++, i += 2)
      narrow[k] = (gint16)(((gint32)samples[i] + samples[i + 1]) / 2);
    dtmf_rx (d->inband, narrow, (int)k);
    heard |= d->tone_on;
  }
  return heard;
}

static GstPadProbeReturn
on_decoded (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  McuMediaDtmf *d = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;
  gboolean tone;

  if (d->inband == NULL || GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP) ||
      !gst_buffer_map (buf, &map, GST_MAP_READ))
    return GST_PAD_PROBE_OK;
  tone = detect (d, (const gint16 *)map.data, map.size / 2);
  gst_buffer_unmap (buf, &map);
  if (tone) {
    /* the room does not hear the key: silence of the same length */
    buf = gst_buffer_make_writable (buf);
    gst_buffer_memset (buf, 0, 0, gst_buffer_get_size (buf));
    GST_PAD_PROBE_INFO_DATA (info) = buf;
  }
  return GST_PAD_PROBE_OK;
}

void
mcu_media_dtmf_watch_decoded (McuMediaDtmf *d, GstPad *decoded)
{
  gst_pad_add_probe (decoded, GST_PAD_PROBE_TYPE_BUFFER, on_decoded, d, NULL);
}

void
mcu_media_dtmf_configure (McuMediaDtmf *d, guint pt, guint clock_rate,
    guint pt_alt, guint clock_rate_alt, guint inband_rate)
{
  d->pt = pt;
  d->clock_rate = clock_rate;
  d->pt_alt = pt_alt;
  d->clock_rate_alt = clock_rate_alt;
  clear_inband (d);
  d->inband_rate = inband_rate;
  if (inband_rate == 8000 || inband_rate == 16000) {
    d->inband = dtmf_rx_init (NULL, NULL, NULL);
    dtmf_rx_set_realtime_callback (d->inband, on_inband_tone, d);
  }
  g_mutex_lock (&d->lock);
  mcu_dtmf_rx_init (&d->rx);
  d->have_ssrc = FALSE;
  g_mutex_unlock (&d->lock);
}
