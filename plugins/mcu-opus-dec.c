/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcuopusdec (see mcu-opus-dec.h).
 *
 * Threads: the sink pad's streaming thread owns the decoder and the
 * "streaming thread" fields; the properties and counters are under the
 * object lock; change_state clears the stream's state while no data flows
 * (PAUSED to READY). */
#include "mcu-opus-dec.h"
#include "mcu-decode-wanted.h"

#include <opus.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (mcu_opus_dec_debug);
#define GST_CAT_DEFAULT mcu_opus_dec_debug

#define SRC_CAPS \
  "audio/x-raw, format=S16LE, rate=48000, channels=1, layout=interleaved"
/* libopus conceals in multiples of 2.5 ms */
#define PLC_STEP         (2500 * GST_USECOND)
#define MAX_SAMPLES      5760 /* 120 ms: the longest Opus packet */
#define DEFAULT_DURATION (20 * GST_MSECOND)
/* A decoded packet whose samples all stay within this is silence ... */
#define QUIET_PEAK 2
/* ... and the same bytes again (a muted phone without DTX sends one
 * packet over and over) are taken as silence without decoding them; only
 * packets up to this size are remembered (digital silence is ~35 bytes). */
#define REPEAT_MAX 64
/* The last packets skipped as unmixed, decoded (and thrown away) before
 * the first one decoded again, when no larger than PRIMER_MAX (see
 * leave_silence) */
#define PRIMERS    2
#define PRIMER_MAX 1500

/* An item of the stream: a packet, or the time of a lost one. */
typedef struct
{
  GstBuffer *buf; /* (owned) (nullable): NULL = lost */
  GstClockTime ts;
  GstClockTime duration; /* a lost one's */
} Item;

struct _McuOpusDec
{
  GstElement parent_instance;

  GstPad *sinkpad, *srcpad;
  GstCaps *src_caps;

  /* streaming thread */
  OpusDecoder *decoder;      /* created with the first packet */
  gboolean started;          /* a packet came since the last reset */
  gboolean fec;              /* use-inband-fec, taken at each reset */
  GstClockTimeDiff leftover; /* lost time not concealed yet (< 2.5 ms) */
  GstClockTime last_duration;
  gboolean have_pending; /* fec: the item one behind */
  Item pending;
  gboolean silent;          /* silence went out undecoded: the state is stale */
  gint last_peak;           /* of the last decoded packet */
  guint8 quiet[REPEAT_MAX]; /* the last packet, when it decoded to silence */
  gsize quiet_len;          /* 0: none */
  /* (owned) (nullable) the mixer's line (mcu-decode-wanted.h): whether
   * the mixer may mix what we decode; NULL: nobody answered, decode */
  McuDecodeWanted *wanted;
  gboolean wanted_asked; /* the query was sent since the last (re)link */
  /* the last packets skipped as unmixed, oldest first */
  guint8 primer[PRIMERS][PRIMER_MAX];
  gsize primer_len[PRIMERS]; /* 0: none (or silence since) */

  /* object lock */
  gboolean plc_prop;
  gboolean fec_prop;
  GstClockTime concealed;
  guint64 skipped;
  guint64 unmixed_skipped;
};

G_DEFINE_FINAL_TYPE (McuOpusDec, mcu_opus_dec, GST_TYPE_ELEMENT)

enum
{
  PROP_0,
  PROP_PLC,
  PROP_USE_INBAND_FEC,
  PROP_CONCEALED,
  PROP_SKIPPED,
  PROP_UNMIXED_SKIPPED,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE (
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("audio/x-opus"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (SRC_CAPS));

static void
clear_pending (McuOpusDec *self)
{
  gst_clear_buffer (&self->pending.buf);
  self->have_pending = FALSE;
}

/* A new stream (or a flush): nothing pending, nothing to conceal. */
static void
reset (McuOpusDec *self)
{
  clear_pending (self);
  if (self->decoder && self->started)
    opus_decoder_ctl (self->decoder, OPUS_RESET_STATE);
  self->started = FALSE;
  self->silent = FALSE;
  self->quiet_len = 0;
  memset (self->primer_len, 0, sizeof (self->primer_len));
  self->leftover = 0;
  self->last_duration = DEFAULT_DURATION;
  GST_OBJECT_LOCK (self);
  self->fec = self->fec_prop;
  GST_OBJECT_UNLOCK (self);
}

static gboolean
ensure_decoder (McuOpusDec *self)
{
  int err = OPUS_OK;

  if (self->decoder)
    return TRUE;
  self->decoder = opus_decoder_create (MCU_OPUS_DEC_RATE, 1, &err);
  if (self->decoder == NULL || err != OPUS_OK) {
    GST_ELEMENT_ERROR (self, LIBRARY, INIT, (NULL),
        ("opus_decoder_create: %s", opus_strerror (err)));
    return FALSE;
  }
  return TRUE;
}

/* Decodes @data (NULL: conceal) into @samples at most and pushes the
 * result at @ts. */
static GstFlowReturn
decode_push (McuOpusDec *self, const guchar *data, gsize size, gint samples,
    gboolean fec, GstClockTime ts, gboolean discont, gint *decoded)
{
  GstBuffer *out;
  GstMapInfo map;
  gint n;

  *decoded = -1;
  if (!ensure_decoder (self))
    return GST_FLOW_ERROR;
  out = gst_buffer_new_allocate (NULL, (gsize)samples * sizeof (gint16), NULL);
  gst_buffer_map (out, &map, GST_MAP_WRITE);
  n = opus_decode (self->decoder, data, (opus_int32)size,
      (opus_int16 *)map.data, samples, fec ? 1 : 0);
  self->last_peak = 0;
  for (gint i = 0; i < n; i++)
    self->last_peak =
        MAX (self->last_peak, ABS ((gint)((const gint16 *)map.data)[i]));
  gst_buffer_unmap (out, &map);
  if (n <= 0) {
    GST_DEBUG_OBJECT (self, "opus_decode: %s", opus_strerror (n));
    gst_buffer_unref (out);
    return GST_FLOW_OK;
  }
  *decoded = n;
  gst_buffer_set_size (out, (gsize)n * sizeof (gint16));
  GST_BUFFER_PTS (out) = ts;
  GST_BUFFER_DURATION (out) =
      gst_util_uint64_scale_int (n, GST_SECOND, MCU_OPUS_DEC_RATE);
  if (discont)
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DISCONT);
  return gst_pad_push (self->srcpad, out);
}

/* @samples of silence at @ts, without libopus (whose state is then stale:
 * the next decode starts from a reset one, see leave_silence). */
static GstFlowReturn
push_silence (McuOpusDec *self, gint samples, GstClockTime ts, gboolean discont)
{
  GstBuffer *out =
      gst_buffer_new_allocate (NULL, (gsize)samples * sizeof (gint16), NULL);

  gst_buffer_memset (out, 0, 0, (gsize)samples * sizeof (gint16));
  GST_BUFFER_PTS (out) = ts;
  GST_BUFFER_DURATION (out) =
      gst_util_uint64_scale_int (samples, GST_SECOND, MCU_OPUS_DEC_RATE);
  if (discont)
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DISCONT);
  self->silent = TRUE;
  return gst_pad_push (self->srcpad, out);
}

/* Audio after skipped silence: libopus starts again from a clean state, as
 * at the start of a call, instead of from the speech before the silence
 * (its concealment would repeat that speech). After audio skipped as
 * unmixed, the last two packets skipped are decoded first from that clean
 * state and thrown away: the first two packets in the middle of speech
 * decoded from a reset state came out 1.7 dB above the steady decode (SILK
 * at 16-48 kb/s, test_unmixed_skip), primed by the two before them within
 * 1 % of it, as if the decoding had never stopped. */
static void
leave_silence (McuOpusDec *self)
{
  opus_int16 scratch[MAX_SAMPLES];

  if (!self->silent)
    return;
  self->silent = FALSE;
  if (self->decoder == NULL)
    return;
  opus_decoder_ctl (self->decoder, OPUS_RESET_STATE);
  for (guint i = 0; i < PRIMERS; i++) {
    if (self->primer_len[i] > 0 &&
        opus_decode (self->decoder, self->primer[i],
            (opus_int32)self->primer_len[i], scratch, MAX_SAMPLES, 0) < 0)
      opus_decoder_ctl (self->decoder, OPUS_RESET_STATE);
    self->primer_len[i] = 0;
  }
}

/* @map (a packet skipped as unmixed) is the last primer now. */
static void
keep_primer (McuOpusDec *self, const GstMapInfo *map)
{
  for (guint i = 0; i + 1 < PRIMERS; i++) {
    self->primer_len[i] = self->primer_len[i + 1];
    memcpy (self->primer[i], self->primer[i + 1], self->primer_len[i]);
  }
  self->primer_len[PRIMERS - 1] = map->size <= PRIMER_MAX ? map->size : 0;
  memcpy (self->primer[PRIMERS - 1], map->data, self->primer_len[PRIMERS - 1]);
}

/* Silence known without decoding: the sender said so (GAP flag: its
 * RFC 6464 level, mixer/mcu-rtp-level.c), or the same bytes as the last
 * packet, which decoded to silence. */
static gboolean
known_silence (McuOpusDec *self, GstBuffer *buf, const GstMapInfo *map)
{
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP))
    return TRUE;
  return self->quiet_len > 0 && map->size == self->quiet_len &&
         memcmp (map->data, self->quiet, map->size) == 0;
}

/* The mixer's line (mcu-decode-wanted.h): asked once per link (a link
 * marks our src pad for reconfiguration), then read at every packet.
 * Without an answer, or once the line is revoked (the mixer's pad was
 * unlinked or released), ALL. */
static McuDecodeWantedState
mixer_line (McuOpusDec *self, guint *level)
{
  McuDecodeWantedState state;

  *level = 0;
  if (gst_pad_check_reconfigure (self->srcpad) || !self->wanted_asked) {
    g_autoptr (GstQuery) query = mcu_decode_wanted_query_new ();

    g_clear_pointer (&self->wanted, mcu_decode_wanted_unref);
    self->wanted_asked = TRUE;
    if (gst_pad_peer_query (self->srcpad, query))
      self->wanted = mcu_decode_wanted_query_parse (query);
    GST_DEBUG_OBJECT (
        self, "the mixer's line: %s", self->wanted ? "answered" : "none");
  }
  if (self->wanted == NULL)
    return MCU_DECODE_WANTED_ALL;
  state = mcu_decode_wanted_get (self->wanted, level);
  if (state == MCU_DECODE_WANTED_REVOKED)
    g_clear_pointer (&self->wanted, mcu_decode_wanted_unref);
  return state;
}

/* Whether the mixer may mix @buf, by its own level. */
static gboolean
mixer_wants (McuOpusDec *self, GstBuffer *buf)
{
  guint level;
  McuDecodeWantedState state = mixer_line (self, &level);

  return mcu_decode_wanted_takes (
      state, level, gst_buffer_get_audio_level_meta (buf));
}

/* @duration of lost audio at @ts: concealed (from @next's FEC data when
 * there is a next packet), in multiples of 2.5 ms, the rest carried. */
static GstFlowReturn
conceal (
    McuOpusDec *self, GstClockTime ts, GstClockTime duration, GstBuffer *next)
{
  GstClockTimeDiff want = (GstClockTimeDiff)duration + self->leftover;
  GstClockTime aligned;
  GstFlowReturn ret = GST_FLOW_OK;
  GstMapInfo map;
  gint n = 0;

  aligned =
      want <= 0 ? 0 : ((GstClockTime)want + PLC_STEP / 2) / PLC_STEP * PLC_STEP;
  self->leftover = want - (GstClockTimeDiff)aligned;
  if (aligned < PLC_STEP)
    return GST_FLOW_OK;
  aligned = MIN (aligned, MCU_OPUS_DEC_MAX_FILL);
  /* a loss within silence or skipped audio, also when the packet after it
   * is silence too, or one the mixer would not mix either; the packets
   * skipped before the loss no longer lead into the next one decoded */
  if (self->silent &&
      (next == NULL || GST_BUFFER_FLAG_IS_SET (next, GST_BUFFER_FLAG_GAP) ||
          !mixer_wants (self, next))) {
    memset (self->primer_len, 0, sizeof (self->primer_len));
    return push_silence (self,
        (gint)gst_util_uint64_scale_int (
            aligned, MCU_OPUS_DEC_RATE, GST_SECOND),
        ts, FALSE);
  }
  leave_silence (self);
  if (next && gst_buffer_map (next, &map, GST_MAP_READ)) {
    /* (libopus conceals by itself when the packet carries no FEC) */
    ret = decode_push (self, map.data, map.size,
        (gint)gst_util_uint64_scale_int (
            aligned, MCU_OPUS_DEC_RATE, GST_SECOND),
        TRUE, ts, FALSE, &n);
    gst_buffer_unmap (next, &map);
  }
  if (n <= 0 && ret == GST_FLOW_OK) {
    /* no next packet, or one libopus refuses even for its FEC data: the
     * lost time is concealed all the same (never a hole) */
    ret = decode_push (self, NULL, 0,
        (gint)gst_util_uint64_scale_int (
            aligned, MCU_OPUS_DEC_RATE, GST_SECOND),
        FALSE, ts, FALSE, &n);
  }
  if (n > 0) {
    GST_OBJECT_LOCK (self);
    self->concealed +=
        gst_util_uint64_scale_int (n, GST_SECOND, MCU_OPUS_DEC_RATE);
    GST_OBJECT_UNLOCK (self);
  }
  return ret;
}

/* One packet; one libopus refuses is concealed as if lost. */
static GstFlowReturn
decode_packet (McuOpusDec *self, GstBuffer *buf)
{
  GstClockTime ts = GST_BUFFER_PTS (buf);
  GstFlowReturn ret = GST_FLOW_OK;
  GstMapInfo map;
  gint samples = -1, n = -1;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return GST_FLOW_OK;
  if (map.size > 0)
    samples = opus_packet_get_nb_samples (
        map.data, (opus_int32)map.size, MCU_OPUS_DEC_RATE);
  if (samples > 0 && samples <= MAX_SAMPLES &&
      known_silence (self, buf, &map)) {
    ret = push_silence (self, samples, ts, GST_BUFFER_IS_DISCONT (buf));
    n = samples;
    memset (self->primer_len, 0, sizeof (self->primer_len));
    GST_OBJECT_LOCK (self);
    self->skipped++;
    GST_OBJECT_UNLOCK (self);
  } else if (samples > 0 && samples <= MAX_SAMPLES &&
             !mixer_wants (self, buf)) {
    /* zeros in time (the level probe downstream still gives them the
     * caller's level, which the mixer judges it by); the decode once it is
     * wanted again starts from a reset state (leave_silence) */
    ret = push_silence (self, samples, ts, GST_BUFFER_IS_DISCONT (buf));
    n = samples;
    keep_primer (self, &map);
    GST_OBJECT_LOCK (self);
    self->unmixed_skipped++;
    GST_OBJECT_UNLOCK (self);
  } else if (samples > 0 && samples <= MAX_SAMPLES) {
    leave_silence (self);
    ret = decode_push (self, map.data, map.size, samples, FALSE, ts,
        GST_BUFFER_IS_DISCONT (buf), &n);
    self->quiet_len = 0;
    if (n > 0 && self->last_peak <= QUIET_PEAK && map.size <= REPEAT_MAX) {
      memcpy (self->quiet, map.data, map.size);
      self->quiet_len = map.size;
    }
  }
  if (n > 0)
    self->last_duration =
        gst_util_uint64_scale_int (n, GST_SECOND, MCU_OPUS_DEC_RATE);
  gst_buffer_unmap (buf, &map);
  if (ret == GST_FLOW_OK && n <= 0) {
    GST_DEBUG_OBJECT (self,
        "undecodable packet (%" G_GSIZE_FORMAT " bytes): concealed", map.size);
    if (GST_CLOCK_TIME_IS_VALID (ts))
      ret = conceal (self, ts, self->last_duration, NULL);
  }
  return ret;
}

/* The next item of the stream (@buf NULL: lost at @ts for @duration);
 * with FEC it is held and the one before it goes out. Takes @buf. */
static GstFlowReturn
handle_item (
    McuOpusDec *self, GstBuffer *buf, GstClockTime ts, GstClockTime duration)
{
  Item out;
  GstFlowReturn ret;

  if (!self->fec) {
    if (buf == NULL)
      return conceal (self, ts, duration, NULL);
    ret = decode_packet (self, buf);
    gst_buffer_unref (buf);
    return ret;
  }
  if (!self->have_pending) {
    self->pending = (Item){ buf, ts, duration };
    self->have_pending = TRUE;
    return GST_FLOW_OK;
  }
  out = self->pending;
  self->pending = (Item){ buf, ts, duration };
  if (out.buf) {
    ret = decode_packet (self, out.buf);
    gst_buffer_unref (out.buf);
    return ret;
  }
  if (!GST_CLOCK_TIME_IS_VALID (out.ts))
    return GST_FLOW_OK;
  return conceal (self, out.ts, out.duration, buf);
}

/* FEC: the item held back goes out now (EOS). */
static GstFlowReturn
drain (McuOpusDec *self)
{
  Item out = self->pending;
  GstFlowReturn ret = GST_FLOW_OK;

  if (!self->have_pending)
    return GST_FLOW_OK;
  self->have_pending = FALSE;
  self->pending.buf = NULL;
  if (out.buf) {
    ret = decode_packet (self, out.buf);
    gst_buffer_unref (out.buf);
  } else if (GST_CLOCK_TIME_IS_VALID (out.ts)) {
    ret = conceal (self, out.ts, out.duration, NULL);
  }
  return ret;
}

static GstFlowReturn
on_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  McuOpusDec *self = MCU_OPUS_DEC (parent);
  GstClockTime duration;

  if (gst_buffer_get_size (buf) > 0) {
    self->started = TRUE;
    return handle_item (self, buf, GST_BUFFER_PTS (buf), 0);
  }
  /* an empty buffer: a lost packet */
  duration = GST_BUFFER_DURATION_IS_VALID (buf) ? GST_BUFFER_DURATION (buf)
                                                : self->last_duration;
  if (!self->started || !GST_BUFFER_PTS_IS_VALID (buf)) {
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  {
    GstClockTime ts = GST_BUFFER_PTS (buf);

    gst_buffer_unref (buf);
    return handle_item (self, NULL, ts, duration);
  }
}

/* Lost packets: concealed (plc), or passed on before the first packet. */
static gboolean
on_gap (McuOpusDec *self, GstEvent *event)
{
  GstClockTime ts, duration;
  gboolean plc;

  GST_OBJECT_LOCK (self);
  plc = self->plc_prop;
  GST_OBJECT_UNLOCK (self);
  gst_event_parse_gap (event, &ts, &duration);
  if (!plc || !self->started || !GST_CLOCK_TIME_IS_VALID (ts))
    return gst_pad_push_event (self->srcpad, event);
  gst_event_unref (event);
  if (!GST_CLOCK_TIME_IS_VALID (duration) || duration == 0)
    duration = self->last_duration;
  return handle_item (self, NULL, ts, duration) == GST_FLOW_OK;
}

static gboolean
on_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  McuOpusDec *self = MCU_OPUS_DEC (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
      /* whatever the stream's channels: we always give the mixer's */
      gst_event_unref (event);
      return gst_pad_push_event (
          self->srcpad, gst_event_new_caps (self->src_caps));
    case GST_EVENT_GAP:
      return on_gap (self, event);
    case GST_EVENT_EOS:
      drain (self);
      break;
    case GST_EVENT_FLUSH_STOP:
    case GST_EVENT_STREAM_START:
      reset (self);
      break;
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static GstStateChangeReturn
mcu_opus_dec_change_state (GstElement *element, GstStateChange transition)
{
  McuOpusDec *self = MCU_OPUS_DEC (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    reset (self);
  ret = GST_ELEMENT_CLASS (mcu_opus_dec_parent_class)
            ->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    reset (self);
  return ret;
}

static void
mcu_opus_dec_set_property (
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  McuOpusDec *self = MCU_OPUS_DEC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_PLC:
      self->plc_prop = g_value_get_boolean (value);
      break;
    case PROP_USE_INBAND_FEC:
      self->fec_prop = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
mcu_opus_dec_get_property (
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  McuOpusDec *self = MCU_OPUS_DEC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_PLC:
      g_value_set_boolean (value, self->plc_prop);
      break;
    case PROP_USE_INBAND_FEC:
      g_value_set_boolean (value, self->fec_prop);
      break;
    case PROP_CONCEALED:
      g_value_set_uint64 (value, self->concealed);
      break;
    case PROP_SKIPPED:
      g_value_set_uint64 (value, self->skipped);
      break;
    case PROP_UNMIXED_SKIPPED:
      g_value_set_uint64 (value, self->unmixed_skipped);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
mcu_opus_dec_finalize (GObject *object)
{
  McuOpusDec *self = MCU_OPUS_DEC (object);

  clear_pending (self);
  g_clear_pointer (&self->wanted, mcu_decode_wanted_unref);
  if (self->decoder)
    opus_decoder_destroy (self->decoder);
  gst_caps_unref (self->src_caps);
  G_OBJECT_CLASS (mcu_opus_dec_parent_class)->finalize (object);
}

static void
mcu_opus_dec_class_init (McuOpusDecClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->set_property = mcu_opus_dec_set_property;
  object_class->get_property = mcu_opus_dec_get_property;
  object_class->finalize = mcu_opus_dec_finalize;
  element_class->change_state = mcu_opus_dec_change_state;
  g_object_class_install_property (object_class, PROP_PLC,
      g_param_spec_boolean ("plc", "PLC",
          "Conceal lost packets (GAP events) with Opus' own concealment", TRUE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (object_class, PROP_USE_INBAND_FEC,
      g_param_spec_boolean ("use-inband-fec", "Use in-band FEC",
          "Rebuild a lost packet from the next one's redundant copy (adds "
          "one packet of delay)",
          FALSE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (object_class, PROP_CONCEALED,
      g_param_spec_uint64 ("concealed", "Concealed",
          "Audio made up for lost packets so far (ns)", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (object_class, PROP_SKIPPED,
      g_param_spec_uint64 ("silence-skipped", "Silence skipped",
          "Packets known to be silence (GAP flag: the sender's RFC 6464 "
          "level; or the last packet's bytes again, which decoded to "
          "silence) that went out as zeros undecoded",
          0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (object_class, PROP_UNMIXED_SKIPPED,
      g_param_spec_uint64 ("unmixed-skipped", "Unmixed skipped",
          "Packets not decoded because the mixer downstream said it would "
          "not mix them (mcu-decode-wanted.h); they went out as zeros",
          0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Opus decoder",
      "Codec/Decoder/Audio",
      "Decodes one Opus stream to mono 48 kHz with concealment and FEC", "mcu");
  GST_DEBUG_CATEGORY_INIT (
      mcu_opus_dec_debug, "mcuopusdec", 0, "mcu Opus decoder");
}

static void
mcu_opus_dec_init (McuOpusDec *self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, on_chain);
  gst_pad_set_event_function (self->sinkpad, on_sink_event);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
  self->src_caps = gst_caps_from_string (SRC_CAPS);
  self->plc_prop = TRUE;
  reset (self);
}

guint64
mcu_opus_dec_get_silence_skipped (McuOpusDec *self)
{
  guint64 skipped;

  g_return_val_if_fail (MCU_IS_OPUS_DEC (self), 0);
  GST_OBJECT_LOCK (self);
  skipped = self->skipped;
  GST_OBJECT_UNLOCK (self);
  return skipped;
}

guint64
mcu_opus_dec_get_unmixed_skipped (McuOpusDec *self)
{
  guint64 skipped;

  g_return_val_if_fail (MCU_IS_OPUS_DEC (self), 0);
  GST_OBJECT_LOCK (self);
  skipped = self->unmixed_skipped;
  GST_OBJECT_UNLOCK (self);
  return skipped;
}

gboolean
mcu_opus_dec_register (GstPlugin *plugin)
{
  /* As for mcumixminus: one McuOpusDec type per process. */
  GType type = g_type_from_name ("McuOpusDec");

  if (type == 0)
    type = MCU_TYPE_OPUS_DEC;
  return gst_element_register (plugin, "mcuopusdec", GST_RANK_NONE, type);
}
