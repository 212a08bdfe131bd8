/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcuopusenc (see mcu-opus-enc.h).
 *
 * Threads:
 * - application thread: properties, state changes.
 * - the sink pad's streaming thread (upstream's: mcumixminus pushes every
 *   src_N from its one aggregator thread today, unless a queue sits in
 *   between): chain and serialized events; it owns the private encoder, the
 *   adapter and the switch state.
 * - any thread: flush events (FLUSH_STOP is serialized).
 * - mcu_opus_enc_take_shared: the thread that would push into the sink pad
 *   (a fan-out taking the shared packet instead of pushing the frame); it
 *   takes the sink pad's stream lock, as a push does, so it touches the
 *   streaming thread's fields as chain does.
 * Several members of one McuOpusEncGroup may run on different streaming
 * threads (members behind queues, or a future mixer with one thread per
 * output): the group has its own mutex, so group encodes are safe whatever
 * the threads.
 *
 * Locks:
 * - the element's object lock: the property values, settings_changed and
 *   `group`. Held only to copy them, never while encoding or pushing. The
 *   counters are C11 atomics (64-bit on every build), so that a shared
 *   frame takes it once (for `group`), in chain and in
 *   mcu_opus_enc_take_shared alike.
 * - the group's mutex (inside mcu_opus_enc_group_encode), taken without the
 *   object lock held.
 * - the sink pad's stream lock (GStreamer's) serialises chain and events;
 *   the fields under "streaming thread" below are only touched there, or in
 *   change_state while no data flows (READY <-> PAUSED). */
#include "mcu-opus-enc.h"

#include "mcu-mix-minus.h"
#include "mcu-opus-enc-private.h"

#include <gst/base/gstadapter.h>
#include <stdatomic.h>
#include <string.h>

#ifndef MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX
#define MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX (GST_BUFFER_FLAG_LAST << 0)
#endif

GST_DEBUG_CATEGORY_STATIC (mcu_opus_enc_debug);
#define GST_CAT_DEFAULT mcu_opus_enc_debug

#define RATE        48000
#define FRAME_BYTES (MCU_OPUS_ENC_FRAME_SAMPLES * sizeof (gint16))
/* Enough for one 20 ms frame at the highest bitrate (1275 bytes). */
#define MAX_PACKET 1500

/* complexity: libopus's default; 5 and 6 leave late-joining decoders open
 * to a SILK runaway on steady tones (mcu-media-session.c configure_encoder)
 */
#define DEFAULT_BITRATE                32000
#define DEFAULT_COMPLEXITY             9
#define DEFAULT_INBAND_FEC             FALSE
#define DEFAULT_PACKET_LOSS_PERCENTAGE 0
#define DEFAULT_PRIVATE_CELT           FALSE
/* The private encoder's complexity while it codes CELT only (private-celt,
 * set_signal): at most this. From 7 up libopus adds its signal analysis
 * (music or voice, bandwidth, tonality for CELT's bit allocation; in
 * float builds such as Debian's, at 10 only in fixed-point ones): a
 * third of a CELT frame's cost (opus-enc-bench --signal music: 41-48 us a
 * frame at 6 against 54-68 at 9, speech and tones), and the signal is set
 * to music already. (8 and up also give CELT a second MDCT on transients:
 * 6 is a little less sharp on attacks.) What keeps DEFAULT_COMPLEXITY at 9 (the
 * SILK runaway of a late decoder at 5 and 6) needs SILK; 5 and 6 keep CELT's
 * pitch pre-filter (4 and under drop it). Janus's AudioBridge encodes at 4. */
#define PRIVATE_CELT_COMPLEXITY 6

typedef enum
{
  PATH_NONE,
  PATH_PRIVATE,
  PATH_SHARED,
} EncodePath;

struct _McuOpusEnc
{
  GstElement parent_instance;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* object lock */
  gint bitrate;
  gint complexity;
  gboolean inband_fec;
  gint loss_pct;
  gboolean private_celt;
  gboolean settings_changed; /* private encoder must be reconfigured */
  McuOpusEncGroup *group;    /* nullable */
  gint private_complexity;   /* the private encoder's, 0 before it exists */

  /* atomics (relaxed: statistics, they order nothing) */
  atomic_uint_least64_t n_private;
  atomic_uint_least64_t n_shared;

  /* streaming thread */
  OpusEncoder *encoder; /* private, created on the first private frame */
  GstAdapter *adapter;  /* partial frames of odd-sized input */
  EncodePath last_path;
  gboolean reset_private; /* reset the private encoder before its next use */
  gboolean private_coded_celt; /* its last packet was CELT only */
  gboolean discont;            /* mark the next output DISCONT */
  GstClockTime last_pts;       /* of the last frame; kept across flushes */
};

enum
{
  PROP_0,
  PROP_BITRATE,
  PROP_COMPLEXITY,
  PROP_INBAND_FEC,
  PROP_PACKET_LOSS_PERCENTAGE,
  PROP_PRIVATE_CELT,
  PROP_GROUP,
  PROP_PRIVATE_FRAMES,
  PROP_SHARED_FRAMES,
  PROP_PRIVATE_COMPLEXITY,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE (
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (MCU_MIX_MINUS_CAPS));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (MCU_OPUS_ENC_SRC_CAPS));

G_DEFINE_FINAL_TYPE (McuOpusEnc, mcu_opus_enc, GST_TYPE_ELEMENT)

/* ---- libopus helpers (mcu-opus-enc-private.h) ---- */

gboolean
mcu_opus_enc_configure (OpusEncoder *enc, gint bitrate, gint complexity,
    gboolean inband_fec, gint loss_pct)
{
  return opus_encoder_ctl (enc, OPUS_SET_BITRATE (bitrate)) == OPUS_OK &&
         opus_encoder_ctl (enc, OPUS_SET_COMPLEXITY (complexity)) == OPUS_OK &&
         opus_encoder_ctl (enc, OPUS_SET_INBAND_FEC (inband_fec ? 1 : 0)) ==
             OPUS_OK &&
         opus_encoder_ctl (enc, OPUS_SET_PACKET_LOSS_PERC (loss_pct)) ==
             OPUS_OK;
}

OpusEncoder *
mcu_opus_enc_encoder_new (
    gint bitrate, gint complexity, gboolean inband_fec, gint loss_pct)
{
  OpusEncoder *enc;
  int err = OPUS_OK;

  /* VOIP and constrained VBR, like opusenc audio-type=voice. */
  enc = opus_encoder_create (RATE, 1, OPUS_APPLICATION_VOIP, &err);
  if (enc == NULL) {
    GST_WARNING ("opus_encoder_create: %s", opus_strerror (err));
    return NULL;
  }
  if (opus_encoder_ctl (enc, OPUS_SET_VBR (1)) != OPUS_OK ||
      opus_encoder_ctl (enc, OPUS_SET_VBR_CONSTRAINT (1)) != OPUS_OK ||
      !mcu_opus_enc_configure (
          enc, bitrate, complexity, inband_fec, loss_pct)) {
    GST_WARNING ("cannot configure the Opus encoder");
    opus_encoder_destroy (enc);
    return NULL;
  }
  return enc;
}

GstBuffer *
mcu_opus_enc_encode_buffer (OpusEncoder *enc, GstBuffer *inbuf)
{
  gint16 pcm[MCU_OPUS_ENC_FRAME_SAMPLES];
  guchar packet[MAX_PACKET];
  opus_int32 len;

  /* The copy costs ~0.1 us against tens of us for the encode, and gives an
   * aligned, native-endian frame whatever the buffer's memory layout. */
  if (gst_buffer_extract (inbuf, 0, pcm, FRAME_BYTES) != FRAME_BYTES)
    return NULL;
#if G_BYTE_ORDER == G_BIG_ENDIAN
  for (guint i = 0; i < MCU_OPUS_ENC_FRAME_SAMPLES; i++)
    pcm[i] = GINT16_FROM_LE (pcm[i]);
#endif
  len = opus_encode (enc, pcm, MCU_OPUS_ENC_FRAME_SAMPLES, packet, MAX_PACKET);
  if (len < 0) {
    GST_WARNING ("opus_encode: %s", opus_strerror (len));
    return NULL;
  }
  return gst_buffer_new_memdup (packet, len);
}

/* ---- encoding ---- */

/* The private encoder's signal: music with @celt, else libopus's own guess
 * (voice, under VOIP). A private encode is one listener's own mix (a
 * talker's, or everyone's with max-talkers=0), so N of them cost N encodes:
 * from about 24 kbit/s up (a caller's maxaveragebitrate below that keeps
 * SILK) libopus codes music in CELT, which costs about a fifth of
 * SILK/hybrid at complexity 9 (opus-enc-bench speech: 58-78 us a frame
 * against 300-390), a seventh at PRIVATE_CELT_COMPLEXITY. The own stream has no
 * SILK state; a listener going back to the shared stream (a talker who stops)
 * resets its SILK decoder and joins it cold, which complexity 9 of the shared
 * encode still guards (see configure_encoder in mcu-media-session.c). The
 * trade: no in-band FEC: libopus would switch to SILK above 8 % expected loss,
 * but the expected loss is the fixed 5 % of configure_encoder; and CELT's
 * speech at 32 kbit/s is a little less clean than hybrid's. The shared encode
 * keeps voice (mcu-opus-enc-group.c). */
static gboolean
set_signal (OpusEncoder *enc, gboolean celt)
{
  return opus_encoder_ctl (enc,
             OPUS_SET_SIGNAL (celt ? OPUS_SIGNAL_MUSIC : OPUS_AUTO)) == OPUS_OK;
}

/* Whether @packet is CELT only (TOC configurations 16-31, RFC 6716 3.1). */
static gboolean
packet_is_celt (GstBuffer *packet)
{
  guint8 toc;

  return gst_buffer_extract (packet, 0, &toc, 1) == 1 && (toc >> 3) >= 16;
}

/* The private encoder's complexity for its next frame: lowered while it
 * codes CELT only (PRIVATE_CELT_COMPLEXITY), @complexity as soon as a
 * packet is not (a caller's low maxaveragebitrate: SILK). */
static gboolean
set_private_complexity (McuOpusEnc *self, gint complexity, gboolean celt)
{
  gint want = celt && self->private_coded_celt
                  ? MIN (complexity, PRIVATE_CELT_COMPLEXITY)
                  : complexity;

  if (want == self->private_complexity)
    return TRUE;
  if (opus_encoder_ctl (self->encoder, OPUS_SET_COMPLEXITY (want)) != OPUS_OK)
    return FALSE;
  GST_OBJECT_LOCK (self);
  self->private_complexity = want;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

/* Streaming thread. Returns (transfer full) the private packet for @inbuf,
 * or NULL after posting an error. */
static GstBuffer *
encode_private (McuOpusEnc *self, GstBuffer *inbuf)
{
  gint bitrate, complexity, loss_pct;
  gboolean fec, celt, changed;
  GstBuffer *packet;

  GST_OBJECT_LOCK (self);
  bitrate = self->bitrate;
  complexity = self->complexity;
  fec = self->inband_fec;
  loss_pct = self->loss_pct;
  celt = self->private_celt;
  changed = self->settings_changed;
  self->settings_changed = FALSE;
  GST_OBJECT_UNLOCK (self);

  if (self->encoder == NULL) {
    self->encoder =
        mcu_opus_enc_encoder_new (bitrate, complexity, fec, loss_pct);
    self->reset_private = FALSE;
    if (self->encoder == NULL || !set_signal (self->encoder, celt))
      goto failed;
    self->private_coded_celt = FALSE;
    changed = TRUE;
  } else {
    if (changed && (!mcu_opus_enc_configure (
                        self->encoder, bitrate, complexity, fec, loss_pct) ||
                       !set_signal (self->encoder, celt)))
      goto failed;
    if (self->reset_private || self->last_path == PATH_SHARED) {
      GST_DEBUG_OBJECT (self, "private encoder reset");
      opus_encoder_ctl (self->encoder, OPUS_RESET_STATE);
      self->reset_private = FALSE;
      /* (its first packet may be SILK now: a bitrate set meanwhile, or
       * one in libopus's hysteresis band, which a reset forgets; it goes
       * to a decoder that holds the shared stream's SILK state) */
      self->private_coded_celt = FALSE;
    }
    if (changed)
      self->private_coded_celt = FALSE;
  }
  if (changed) {
    /* (new or reconfigured: at @complexity) */
    GST_OBJECT_LOCK (self);
    self->private_complexity = complexity;
    GST_OBJECT_UNLOCK (self);
  }
  if (!set_private_complexity (self, complexity, celt) ||
      (packet = mcu_opus_enc_encode_buffer (self->encoder, inbuf)) == NULL)
    goto failed;
  self->private_coded_celt = packet_is_celt (packet);
  return packet;

failed:
  GST_ELEMENT_ERROR (self, LIBRARY, ENCODE, (NULL),
      ("libopus failed (bitrate %d, complexity %d)", bitrate, complexity));
  return NULL;
}

/* Streaming thread. Encodes one 20 ms frame (@inbuf, transfer full) through
 * the group when @shareable and flagged, else privately; pushes the packet
 * with @inbuf's timestamps. */
static GstFlowReturn
encode_frame (McuOpusEnc *self, GstBuffer *inbuf, gboolean shareable)
{
  g_autoptr (McuOpusEncGroup) group = NULL;
  GstBuffer *packet = NULL, *out;
  EncodePath path = PATH_SHARED;
  gboolean rewound;

  if (shareable &&
      GST_BUFFER_FLAG_IS_SET (inbuf, MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX)) {
    GST_OBJECT_LOCK (self);
    if (self->group != NULL)
      group = g_object_ref (self->group);
    GST_OBJECT_UNLOCK (self);
  }
  /* Our stream went back in time (a flush): tell the group with DISCONT on
   * a shallow copy (the input is shared with the other members). */
  rewound = GST_CLOCK_TIME_IS_VALID (self->last_pts) &&
            GST_CLOCK_TIME_IS_VALID (GST_BUFFER_PTS (inbuf)) &&
            GST_BUFFER_PTS (inbuf) < self->last_pts;
  self->last_pts = GST_BUFFER_PTS (inbuf);
  if (rewound) {
    GST_DEBUG_OBJECT (self, "time went back to %" GST_TIME_FORMAT,
        GST_TIME_ARGS (GST_BUFFER_PTS (inbuf)));
    self->reset_private = TRUE;
  }
  if (group != NULL && rewound && !GST_BUFFER_IS_DISCONT (inbuf)) {
    GstBuffer *copy = gst_buffer_copy (inbuf);

    GST_BUFFER_FLAG_SET (copy, GST_BUFFER_FLAG_DISCONT);
    packet = mcu_opus_enc_group_encode (group, copy);
    gst_buffer_unref (copy);
  } else if (group != NULL) {
    packet = mcu_opus_enc_group_encode (group, inbuf);
  }
  if (packet != NULL) {
    /* A new buffer sharing the packet's memory: the metadata below is this
     * member's own. */
    out = gst_buffer_new ();
    gst_buffer_copy_into (out, packet, GST_BUFFER_COPY_MEMORY, 0, -1);
    gst_buffer_unref (packet);
  } else {
    path = PATH_PRIVATE;
    if ((out = encode_private (self, inbuf)) == NULL) {
      gst_buffer_unref (inbuf);
      return GST_FLOW_ERROR;
    }
  }
  self->last_path = path;

  GST_BUFFER_PTS (out) = GST_BUFFER_PTS (inbuf);
  GST_BUFFER_DTS (out) = GST_BUFFER_DTS (inbuf);
  GST_BUFFER_DURATION (out) = GST_BUFFER_DURATION (inbuf);
  if (!GST_BUFFER_DURATION_IS_VALID (out))
    GST_BUFFER_DURATION (out) = MCU_OPUS_ENC_FRAME_DURATION;
  if (self->discont) {
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DISCONT);
    self->discont = FALSE;
  }
  gst_buffer_unref (inbuf);

  atomic_fetch_add_explicit (
      path == PATH_SHARED ? &self->n_shared : &self->n_private, 1,
      memory_order_relaxed);

  GST_LOG_OBJECT (self,
      "%s packet of %" G_GSIZE_FORMAT " bytes at %" GST_TIME_FORMAT,
      path == PATH_SHARED ? "shared" : "private", gst_buffer_get_size (out),
      GST_TIME_ARGS (GST_BUFFER_PTS (out)));
  return gst_pad_push (self->srcpad, out);
}

/* Streaming thread: encodes every whole frame in the adapter, then, when
 * @drain, the remainder padded with silence. */
static GstFlowReturn
encode_adapter (McuOpusEnc *self, gboolean drain)
{
  GstFlowReturn ret = GST_FLOW_OK;
  gsize avail;

  while (ret == GST_FLOW_OK &&
         ((avail = gst_adapter_available (self->adapter)) >= FRAME_BYTES ||
             (drain && avail > 0))) {
    guint64 distance;
    GstClockTime pts = gst_adapter_prev_pts (self->adapter, &distance);
    gsize n = MIN (avail, FRAME_BYTES);
    GstBuffer *frame = gst_adapter_take_buffer (self->adapter, n);

    if (n < FRAME_BYTES) {
      GstBuffer *silence =
          gst_buffer_new_allocate (NULL, FRAME_BYTES - n, NULL);

      gst_buffer_memset (silence, 0, 0, FRAME_BYTES - n);
      frame = gst_buffer_append (frame, silence);
    }
    frame = gst_buffer_make_writable (frame);
    GST_BUFFER_FLAGS (frame) = 0;
    if (GST_CLOCK_TIME_IS_VALID (pts))
      pts += gst_util_uint64_scale_int (
          distance / sizeof (gint16), GST_SECOND, RATE);
    GST_BUFFER_PTS (frame) = pts;
    GST_BUFFER_DTS (frame) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_DURATION (frame) = MCU_OPUS_ENC_FRAME_DURATION;
    ret = encode_frame (self, frame, FALSE);
  }
  return ret;
}

static GstFlowReturn
mcu_opus_enc_chain (GstPad *pad, GstObject *parent, GstBuffer *inbuf)
{
  McuOpusEnc *self = MCU_OPUS_ENC (parent);

  if (GST_BUFFER_IS_DISCONT (inbuf)) {
    GST_DEBUG_OBJECT (self, "discont at %" GST_TIME_FORMAT,
        GST_TIME_ARGS (GST_BUFFER_PTS (inbuf)));
    gst_adapter_clear (self->adapter);
    self->reset_private = TRUE;
    self->discont = TRUE;
  }
  /* The common case: one buffer, one frame, perhaps shared. */
  if (gst_adapter_available (self->adapter) == 0 &&
      gst_buffer_get_size (inbuf) == FRAME_BYTES)
    return encode_frame (self, inbuf, TRUE);

  gst_adapter_push (self->adapter, inbuf);
  return encode_adapter (self, FALSE);
}

GstBuffer *
mcu_opus_enc_take_shared (McuOpusEnc *self, GstBuffer *inbuf)
{
  McuOpusEncGroup *group = NULL;
  GstClockTime pts = GST_BUFFER_PTS (inbuf);
  GstBuffer *packet = NULL;

  g_return_val_if_fail (MCU_IS_OPUS_ENC (self), NULL);
  g_return_val_if_fail (GST_IS_BUFFER (inbuf), NULL);

  if (!GST_BUFFER_FLAG_IS_SET (inbuf, MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX) ||
      !GST_CLOCK_TIME_IS_VALID (pts) ||
      gst_buffer_get_size (inbuf) != FRAME_BYTES)
    return NULL;
  GST_OBJECT_LOCK (self);
  if (self->group != NULL)
    group = g_object_ref (self->group);
  GST_OBJECT_UNLOCK (self);
  if (group == NULL)
    return NULL;

  /* What chain and encode_frame do for a shared frame, under the lock a
   * push into the sink pad holds: the cases they handle otherwise (a
   * restart, time going back, a partial frame in the adapter, the group
   * refusing) are left to them. A DISCONT frame forward in time (the
   * mixer skipped frames it was late for) is taken: the private encoder is
   * reset before its next use, as chain does; the DISCONT flag chain would
   * put on its output goes nowhere (rtpopuspay and the transport's probes
   * ignore it), and the group restarts by itself on a frame that does not
   * follow its last one. */
  GST_PAD_STREAM_LOCK (self->sinkpad);
  if (!GST_PAD_IS_FLUSHING (self->sinkpad) && !self->discont &&
      self->last_path != PATH_NONE &&
      GST_CLOCK_TIME_IS_VALID (self->last_pts) && pts >= self->last_pts &&
      gst_adapter_available (self->adapter) == 0 &&
      (packet = mcu_opus_enc_group_encode (group, inbuf)) != NULL) {
    self->last_pts = pts;
    self->last_path = PATH_SHARED;
    if (GST_BUFFER_IS_DISCONT (inbuf))
      self->reset_private = TRUE;
  }
  GST_PAD_STREAM_UNLOCK (self->sinkpad);
  g_object_unref (group);

  if (packet != NULL) {
    atomic_fetch_add_explicit (&self->n_shared, 1, memory_order_relaxed);
    GST_LOG_OBJECT (
        self, "shared packet taken at %" GST_TIME_FORMAT, GST_TIME_ARGS (pts));
  }
  return packet;
}

/* Streaming thread or change_state: forget the stream. */
static void
reset_stream (McuOpusEnc *self)
{
  gst_adapter_clear (self->adapter);
  self->last_path = PATH_NONE;
  self->reset_private = TRUE;
  self->discont = TRUE;
}

static gboolean
mcu_opus_enc_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  McuOpusEnc *self = MCU_OPUS_ENC (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS: {
      GstCaps *caps = gst_static_pad_template_get_caps (&src_template);
      gboolean ret;

      /* The sink template only accepts our one raw format, so the output
       * caps are always the same. */
      gst_event_unref (event);
      ret = gst_pad_push_event (self->srcpad, gst_event_new_caps (caps));
      gst_caps_unref (caps);
      return ret;
    }
    case GST_EVENT_EOS:
      if (encode_adapter (self, TRUE) != GST_FLOW_OK)
        GST_DEBUG_OBJECT (self, "draining on EOS failed");
      break;
    case GST_EVENT_FLUSH_STOP:
      reset_stream (self);
      break;
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static GstStateChangeReturn
mcu_opus_enc_change_state (GstElement *element, GstStateChange transition)
{
  McuOpusEnc *self = MCU_OPUS_ENC (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    reset_stream (self);

  ret = GST_ELEMENT_CLASS (mcu_opus_enc_parent_class)
            ->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    reset_stream (self);
    self->last_pts = GST_CLOCK_TIME_NONE;
    g_clear_pointer (&self->encoder, opus_encoder_destroy);
    self->private_coded_celt = FALSE;
    GST_OBJECT_LOCK (self);
    self->private_complexity = 0;
    GST_OBJECT_UNLOCK (self);
  }
  return ret;
}

/* ---- GObject ---- */

static void
mcu_opus_enc_set_property (
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  McuOpusEnc *self = MCU_OPUS_ENC (object);
  McuOpusEncGroup *old = NULL;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_BITRATE:
      self->bitrate = g_value_get_int (value);
      self->settings_changed = TRUE;
      break;
    case PROP_COMPLEXITY:
      self->complexity = g_value_get_int (value);
      self->settings_changed = TRUE;
      break;
    case PROP_INBAND_FEC:
      self->inband_fec = g_value_get_boolean (value);
      self->settings_changed = TRUE;
      break;
    case PROP_PACKET_LOSS_PERCENTAGE:
      self->loss_pct = g_value_get_int (value);
      self->settings_changed = TRUE;
      break;
    case PROP_PRIVATE_CELT:
      self->private_celt = g_value_get_boolean (value);
      self->settings_changed = TRUE;
      break;
    case PROP_GROUP:
      old = self->group;
      self->group = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
  g_clear_object (&old);
}

static void
mcu_opus_enc_get_property (
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  McuOpusEnc *self = MCU_OPUS_ENC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_BITRATE:
      g_value_set_int (value, self->bitrate);
      break;
    case PROP_COMPLEXITY:
      g_value_set_int (value, self->complexity);
      break;
    case PROP_INBAND_FEC:
      g_value_set_boolean (value, self->inband_fec);
      break;
    case PROP_PACKET_LOSS_PERCENTAGE:
      g_value_set_int (value, self->loss_pct);
      break;
    case PROP_PRIVATE_CELT:
      g_value_set_boolean (value, self->private_celt);
      break;
    case PROP_GROUP:
      g_value_set_object (value, self->group);
      break;
    case PROP_PRIVATE_FRAMES:
      g_value_set_uint64 (
          value, atomic_load_explicit (&self->n_private, memory_order_relaxed));
      break;
    case PROP_SHARED_FRAMES:
      g_value_set_uint64 (
          value, atomic_load_explicit (&self->n_shared, memory_order_relaxed));
      break;
    case PROP_PRIVATE_COMPLEXITY:
      g_value_set_int (value, self->private_complexity);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
mcu_opus_enc_dispose (GObject *object)
{
  McuOpusEnc *self = MCU_OPUS_ENC (object);

  GST_OBJECT_LOCK (self);
  g_clear_object (&self->group);
  GST_OBJECT_UNLOCK (self);
  G_OBJECT_CLASS (mcu_opus_enc_parent_class)->dispose (object);
}

static void
mcu_opus_enc_finalize (GObject *object)
{
  McuOpusEnc *self = MCU_OPUS_ENC (object);

  g_clear_pointer (&self->encoder, opus_encoder_destroy);
  g_clear_object (&self->adapter);
  G_OBJECT_CLASS (mcu_opus_enc_parent_class)->finalize (object);
}

static void
mcu_opus_enc_class_init (McuOpusEncClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GParamFlags rw =
      G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING | G_PARAM_STATIC_STRINGS;
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  GST_DEBUG_CATEGORY_INIT (
      mcu_opus_enc_debug, "mcuopusenc", 0, "Opus encoder sharing the full mix");

  gobject_class->set_property = mcu_opus_enc_set_property;
  gobject_class->get_property = mcu_opus_enc_get_property;
  gobject_class->dispose = mcu_opus_enc_dispose;
  gobject_class->finalize = mcu_opus_enc_finalize;

  g_object_class_install_property (gobject_class, PROP_BITRATE,
      g_param_spec_int ("bitrate", "Bitrate",
          "Target bitrate of the private encoder in bit/s",
          MCU_OPUS_ENC_MIN_BITRATE, MCU_OPUS_ENC_MAX_BITRATE, DEFAULT_BITRATE,
          rw));
  g_object_class_install_property (gobject_class, PROP_COMPLEXITY,
      g_param_spec_int ("complexity", "Complexity",
          "Complexity of the private encoder (0 = fastest)", 0, 10,
          DEFAULT_COMPLEXITY, rw));
  g_object_class_install_property (gobject_class, PROP_INBAND_FEC,
      g_param_spec_boolean ("inband-fec", "In-band FEC",
          "In-band forward error correction in the private encoder",
          DEFAULT_INBAND_FEC, rw));
  g_object_class_install_property (gobject_class, PROP_PACKET_LOSS_PERCENTAGE,
      g_param_spec_int ("packet-loss-percentage", "Packet loss percentage",
          "Expected packet loss of the private encoder, tunes FEC", 0, 100,
          DEFAULT_PACKET_LOSS_PERCENTAGE, rw));
  g_object_class_install_property (gobject_class, PROP_PRIVATE_CELT,
      g_param_spec_boolean ("private-celt", "Private CELT",
          "The private encoder is told its signal is music: libopus codes "
          "CELT from about 24 kbit/s (SILK above 8 % expected loss with "
          "in-band FEC)",
          DEFAULT_PRIVATE_CELT, rw));
  g_object_class_install_property (gobject_class, PROP_GROUP,
      g_param_spec_object ("group", "Group",
          "Share group encoding full-mix frames once for all its members "
          "(NULL: never share)",
          MCU_TYPE_OPUS_ENC_GROUP, rw));
  g_object_class_install_property (gobject_class, PROP_PRIVATE_FRAMES,
      g_param_spec_uint64 ("private-frames", "Private frames",
          "Packets encoded by this element's own encoder", 0, G_MAXUINT64, 0,
          ro));
  g_object_class_install_property (gobject_class, PROP_SHARED_FRAMES,
      g_param_spec_uint64 ("shared-frames", "Shared frames",
          "Packets taken from the group", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PROP_PRIVATE_COMPLEXITY,
      g_param_spec_int ("private-complexity", "Private complexity",
          "The private encoder's complexity now (lower while private-celt "
          "codes CELT only; 0 before its first frame)",
          0, 10, 0, ro));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Shared Opus encoder",
      "Codec/Encoder/Audio",
      "Encodes 20 ms mono frames with libopus; encodes the full mix once "
      "per group",
      "mcu");

  element_class->change_state = GST_DEBUG_FUNCPTR (mcu_opus_enc_change_state);
}

static void
mcu_opus_enc_init (McuOpusEnc *self)
{
  atomic_init (&self->n_private, 0);
  atomic_init (&self->n_shared, 0);
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (
      self->sinkpad, GST_DEBUG_FUNCPTR (mcu_opus_enc_chain));
  gst_pad_set_event_function (
      self->sinkpad, GST_DEBUG_FUNCPTR (mcu_opus_enc_sink_event));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->bitrate = DEFAULT_BITRATE;
  self->complexity = DEFAULT_COMPLEXITY;
  self->inband_fec = DEFAULT_INBAND_FEC;
  self->loss_pct = DEFAULT_PACKET_LOSS_PERCENTAGE;
  self->adapter = gst_adapter_new ();
  self->last_pts = GST_CLOCK_TIME_NONE;
  reset_stream (self);
}

gboolean
mcu_opus_enc_register (GstPlugin *plugin)
{
  /* As for mcumixminus: a process that links this code statically and also
   * loads libgstmcu.so must register one McuOpusEnc type only. */
  GType type = g_type_from_name ("McuOpusEnc");

  if (type == 0)
    type = MCU_TYPE_OPUS_ENC;
  return gst_element_register (plugin, "mcuopusenc", GST_RANK_NONE, type);
}
