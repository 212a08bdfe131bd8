/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the fan-out of the shared Opus encode to one listener (see
 * mcu-media-fanout-private.h).
 *
 * One RTP stream, two ways to make its packets:
 * - the chain: mix_in -> mcuopusenc -> rtpopuspay -> [DTMF probe] -> our
 *   probe (on_pay_out) -> the transport, which counts and sends. Our probe
 *   gives every packet (audio or telephone-event) the stream's next
 *   sequence number, and checks that the payloader made it with our SSRC
 *   and, for audio, with the timestamp we would have computed (in the
 *   payloader's segment, which on_pay_event keeps as it goes by): the
 *   fan-out only runs once the chain has made such a packet (chain_ok),
 *   which also means its caps and segment are through.
 * - the fan-out (on_shared_frame, mcumixminus's shared-frame handler of
 *   the listener's src_N): for the shared full mix, when the listener is
 *   not deaf, is sending and has no DTMF to send, it takes the group's
 *   packet through mcu_opus_enc_take_shared (which keeps mcuopusenc's
 *   shared/private switch state as if the frame had gone through it: the
 *   private encoder is still reset on the next switch to it), puts the
 *   header on it and hands it to the endpoint, which counts it for the
 *   sender report and sends it as it does the chain's packets.
 * The header is rtpopuspay's: version 2, no marker (rtpopuspay marks only
 * its first packet, which is the chain's), our payload type, SSRC and
 * sequence, and the timestamp rtpbasepayload computes: timestamp-offset
 * (which we set, with the SSRC, on the payloader) + the frame's running
 * time in src_N's segment (the payloader's: nothing in between changes
 * it) at 48 kHz. So a listener moving between the two (starting to talk,
 * a DTMF, hold, deaf) is one continuous stream to its phone.
 *
 * Threads and locks: new, attach, set_sending and unrefs on the main thread
 * (a last unref also from mcumixminus's release or dispose of the output,
 * main thread too). on_shared_frame and on_pay_out both run on the thread
 * that pushes the listener's src_N (the mixer's aggregator task or a pool
 * worker), under src_N's stream lock, which serialises them: `next_seq`
 * and `chain_ok` are theirs, no lock of our own. on_pay_event runs where
 * the payloader pushes its serialised events, under its sink pad's stream
 * lock like its packets (and on_pay_out): `segment` is theirs. `sending` and
 * the session's deaf flag are atomics; the DTMF sender and the endpoint lock
 * themselves; mcu_opus_enc_take_shared takes mcuopusenc's sink stream lock
 * (after src_N's, as a push does). */
#include "mcu-media-fanout-private.h"

#include "mcu-opus-enc.h"

#include <stdatomic.h>
#include <string.h>

#define RTP_HEADER 12
#define CLOCK_RATE 48000
/* an Opus packet is at most 1275 bytes */
#define MAX_PAYLOAD 1500

struct _McuMediaFanout
{
  GObject parent_instance;

  /* set by new, read-only afterwards */
  McuRtpEndpoint *endpoint; /* (owned) */
  GstElement *encoder;      /* (owned) mcuopusenc */
  McuDtmfSender *dtmf;      /* (nullable) (unowned) the session's */
  const gint *deaf;         /* (unowned) the session's, atomic */
  guint pt;
  guint32 ssrc;
  guint32 ts_base;

  gint sending; /* atomic: not on hold */
  /* written by the pushing thread, read by any: a C11 atomic, 64-bit on
   * every build (GLib's widest, g_atomic_pointer_*, is 32-bit on 32-bit
   * builds: it wrapped after 2^32 packets) */
  atomic_uint_least64_t n_sent;

  /* the pushing thread's, under src_N's stream lock (see above) */
  guint16 next_seq;
  gboolean chain_ok; /* the chain's last packet was as ours would be */
  gboolean told;     /* a mismatch was logged */
  /* the segment on the payloader's src (on_pay_event), so that
   * on_pay_out needs no sticky-event lookup per packet; under the
   * payloader's sink stream lock, with which it pushes both the events and
   * the packets */
  GstSegment segment;
  gboolean have_segment; /* FALSE before the first SEGMENT, after a flush */
};

/* A random 32-bit value that rtpbasepayload's properties do not read as
 * "random" (-1). */
static guint32
random_u32 (void)
{
  guint32 v;

  do
    v = g_random_int ();
  while (v == G_MAXUINT32);
  return v;
}

G_DEFINE_FINAL_TYPE (McuMediaFanout, mcu_media_fanout, G_TYPE_OBJECT)

/* (the last unref: nothing pushes with us any more, see above) */
static void
mcu_media_fanout_dispose (GObject *object)
{
  McuMediaFanout *self = MCU_MEDIA_FANOUT (object);

  g_clear_object (&self->endpoint);
  gst_clear_object (&self->encoder);
  G_OBJECT_CLASS (mcu_media_fanout_parent_class)->dispose (object);
}

static void
mcu_media_fanout_class_init (McuMediaFanoutClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = mcu_media_fanout_dispose;
}

static void
mcu_media_fanout_init (McuMediaFanout *self)
{
  self->sending = TRUE;
  atomic_init (&self->n_sent, 0);
}

void
mcu_media_fanout_set_sending (McuMediaFanout *self, gboolean sending)
{
  g_atomic_int_set (&self->sending, !!sending);
}

guint64
mcu_media_fanout_get_n_sent (McuMediaFanout *self)
{
  return atomic_load_explicit (&self->n_sent, memory_order_relaxed);
}

/* The RTP timestamp rtpbasepayload gives a frame at @pts in @segment. */
static gboolean
timestamp_of (McuMediaFanout *self, const GstSegment *segment, GstClockTime pts,
    guint32 *ts)
{
  guint64 rt = gst_segment_to_running_time (segment, GST_FORMAT_TIME, pts);

  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return FALSE;
  *ts = self->ts_base +
        (guint32)gst_util_uint64_scale_int (rt, CLOCK_RATE, GST_SECOND);
  return TRUE;
}

/* Whether the chain's packet @header (timed @pts) is one of our
 * stream: our SSRC, and for audio our timestamp. */
static gboolean
chain_packet_ok (McuMediaFanout *self, const guint8 *header, GstClockTime pts)
{
  guint32 ts;

  if (GST_READ_UINT32_BE (header + 8) != self->ssrc)
    return FALSE;
  if ((header[1] & 0x7f) != self->pt)
    return TRUE; /* a telephone-event: its own timestamp */
  return self->have_segment && timestamp_of (self, &self->segment, pts, &ts) &&
         GST_READ_UINT32_BE (header + 4) == ts;
}

/* The payloader's events (the pushing thread; a FLUSH_START from any, not
 * looked at): keeps the segment its packets are timed in, as the pad's
 * sticky SEGMENT (pushed, and so seen here, before any packet in it; gone
 * with a FLUSH_STOP, which is serialised like a SEGMENT). */
static GstPadProbeReturn
on_pay_event (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  McuMediaFanout *self = data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEGMENT: {
      const GstSegment *segment;

      gst_event_parse_segment (event, &segment);
      gst_segment_copy_into (segment, &self->segment);
      self->have_segment = TRUE;
      break;
    }
    case GST_EVENT_FLUSH_STOP:
      self->have_segment = FALSE;
      break;
    default:
      break;
  }
  return GST_PAD_PROBE_OK;
}

/* Every packet the chain makes (the pushing thread): the stream's next
 * sequence number. */
static GstPadProbeReturn
on_pay_out (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  McuMediaFanout *self = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  guint8 header[RTP_HEADER];
  guint8 seq[2];

  if (gst_buffer_extract (buf, 0, header, RTP_HEADER) != RTP_HEADER) {
    self->chain_ok = FALSE;
    return GST_PAD_PROBE_OK;
  }
  self->chain_ok = chain_packet_ok (self, header, GST_BUFFER_PTS (buf));
  if (!self->chain_ok && !self->told) {
    self->told = TRUE;
    g_message ("RTP out: the payloader's SSRC or timestamp is not the "
               "fan-out's (SSRC %08x, timestamp %u): this listener stays on "
               "its chain",
        GST_READ_UINT32_BE (header + 8), GST_READ_UINT32_BE (header + 4));
  }
  GST_WRITE_UINT16_BE (seq, self->next_seq);
  self->next_seq++;
  /* (the payloader's new buffer: writable as it is, and the header is its
   * own memory; the payload's, shared with the other listeners, is not
   * touched) */
  buf = gst_buffer_make_writable (buf);
  gst_buffer_fill (buf, 2, seq, sizeof seq);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

McuMediaFanout *
mcu_media_fanout_new (McuRtpEndpoint *endpoint, GstElement *encoder,
    GstElement *pay, McuDtmfSender *dtmf, const gint *deaf, guint pt)
{
  McuMediaFanout *self = g_object_new (MCU_TYPE_MEDIA_FANOUT, NULL);
  g_autoptr (GstPad) src = gst_element_get_static_pad (pay, "src");

  self->endpoint = g_object_ref (endpoint);
  self->encoder = gst_object_ref (encoder);
  self->dtmf = dtmf;
  self->deaf = deaf;
  self->pt = pt;
  self->ssrc = random_u32 ();
  self->ts_base = random_u32 ();
  self->next_seq = (guint16)g_random_int_range (0, G_MAXUINT16 + 1);
  g_object_set (pay, "ssrc", self->ssrc, "timestamp-offset", self->ts_base,
      "seqnum-offset", (gint)self->next_seq, NULL);
  gst_pad_add_probe (src,
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_EVENT_FLUSH,
      on_pay_event, g_object_ref (self), g_object_unref);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, on_pay_out,
      g_object_ref (self), g_object_unref);
  return self;
}

/* mcumixminus's shared-frame handler: the listener's RTP packet for the
 * shared full mix @buffer, sent without the chain; FALSE: the chain's. */
static gboolean
on_shared_frame (
    GstPad *output, GstBuffer *buffer, const GstSegment *segment, gpointer data)
{
  McuMediaFanout *self = data;
  guint8 packet[RTP_HEADER + MAX_PAYLOAD];
  GstBuffer *opus;
  guint32 ts;
  gsize len;

  if (!self->chain_ok || g_atomic_int_get (self->deaf) ||
      !g_atomic_int_get (&self->sending) ||
      (self->dtmf != NULL && !mcu_dtmf_sender_is_idle (self->dtmf)) ||
      !timestamp_of (self, segment, GST_BUFFER_PTS (buffer), &ts) ||
      !mcu_rtp_endpoint_sends_direct (self->endpoint))
    return FALSE;
  opus = mcu_opus_enc_take_shared (MCU_OPUS_ENC (self->encoder), buffer);
  if (opus == NULL)
    return FALSE;
  len = gst_buffer_extract (opus, 0, packet + RTP_HEADER, MAX_PAYLOAD);
  gst_buffer_unref (opus);

  packet[0] = 0x80; /* version 2 */
  packet[1] = (guint8)self->pt;
  GST_WRITE_UINT16_BE (packet + 2, self->next_seq);
  GST_WRITE_UINT32_BE (packet + 4, ts);
  GST_WRITE_UINT32_BE (packet + 8, self->ssrc);
  /* One `send_lock` (sends_direct above looked without it): FALSE, the
   * remote became a host name since, and the frame goes through the chain
   * after all, which gets the same packet from the group's cache and this
   * sequence number */
  if (!mcu_rtp_endpoint_send_rtp (self->endpoint, packet, RTP_HEADER + len))
    return FALSE;
  self->next_seq++;
  /* (relaxed: a statistic, it orders nothing else) */
  atomic_fetch_add_explicit (&self->n_sent, 1, memory_order_relaxed);
  return TRUE;
}

gboolean
mcu_media_fanout_attach (
    McuMediaFanout *self, McuMixMinus *mixer, GstPad *output)
{
  return mcu_mix_minus_set_shared_handler (
      mixer, output, on_shared_frame, g_object_ref (self), g_object_unref);
}
