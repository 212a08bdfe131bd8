/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcuplc (see mcu-plc.h).
 *
 * Threads: everything runs on the sink pad's streaming thread, except the
 * property reads (under the object lock). */
#include "mcu-plc.h"

#include <gst/audio/audio.h>
#include <spandsp.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (mcu_plc_debug);
#define GST_CAT_DEFAULT mcu_plc_debug

#define PLC_CAPS                                                \
  "audio/x-raw, format=S16LE, channels=1, layout=interleaved, " \
  "rate=(int)[1, MAX]"
#define DEFAULT_MAX_FILL (200 * GST_MSECOND)
/* spandsp fades a fill out over 400 samples (50 ms at 8 kHz); at higher
 * rates we fill in chunks and set its count of missing samples in 8 kHz
 * terms between them, so the fade takes 50 ms at any rate. */
#define PLC_RATE   8000
#define FILL_CHUNK 16

struct _McuPlc
{
  GstElement parent_instance;

  GstPad *sinkpad, *srcpad;
  plc_state_t plc;
  gint rate;              /* 0 until caps */
  GstClockTime next_ts;   /* end of the last buffer out, or NONE */
  guint64 filled;         /* samples made up since the last good one */
  GstClockTime max_fill;  /* object lock */
  GstClockTime concealed; /* object lock */
};

G_DEFINE_FINAL_TYPE (McuPlc, mcu_plc, GST_TYPE_ELEMENT)

enum
{
  PROP_0,
  PROP_MAX_FILL,
  PROP_CONCEALED,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE (
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (PLC_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (PLC_CAPS));

static void
reset (McuPlc *self)
{
  plc_init (&self->plc);
  self->next_ts = GST_CLOCK_TIME_NONE;
  self->filled = 0;
}

/* spandsp 0.0.6's plc_fillin () rotates its history with memcpy () onto
 * itself when a fill starts (overlapping copies: undefined behaviour, and
 * an ASan error). The same rotation with memmove () first leaves it
 * nothing to do. */
static void
rotate_history (plc_state_t *s)
{
  int16_t head[PLC_HISTORY_LEN];

  if (s->missing_samples != 0 || s->buf_ptr <= 0 ||
      s->buf_ptr >= PLC_HISTORY_LEN)
    return;
  memcpy (head, s->history, sizeof (int16_t) * (gsize)s->buf_ptr);
  memmove (s->history, &s->history[s->buf_ptr],
      sizeof (int16_t) * (gsize)(PLC_HISTORY_LEN - s->buf_ptr));
  memcpy (&s->history[PLC_HISTORY_LEN - s->buf_ptr], head,
      sizeof (int16_t) * (gsize)s->buf_ptr);
  s->buf_ptr = 0;
}

/* spandsp 0.0.6's plc_fillin () starts a fill (missing_samples 0) by
 * writing a quarter of the pitch period, up to PLC_PITCH_OVERLAP_MAX
 * samples, into @amp whatever @len is: a shorter fill (a gap of a few
 * milliseconds, a timestamp wobbling past ours, the last chunk at 16 kHz)
 * wrote past the end of the buffer into the next heap block -- with
 * GLib's slice allocator, into other objects (the server crashed later in
 * unrelated code). Such a fill goes through room enough. */
static void
fill_in (plc_state_t *plc, int16_t *amp, guint len)
{
  int16_t room[PLC_PITCH_OVERLAP_MAX];

  if (len >= PLC_PITCH_OVERLAP_MAX) {
    plc_fillin (plc, amp, (int)len);
    return;
  }
  plc_fillin (plc, room, (int)len);
  memcpy (amp, room, len * sizeof (int16_t));
}

/* @n samples of concealment into @amp, faded over 50 ms at any rate. */
static void
conceal (McuPlc *self, int16_t *amp, guint n)
{
  guint done = 0;

  rotate_history (&self->plc);
  if (self->rate <= PLC_RATE) {
    fill_in (&self->plc, amp, n);
    self->filled += n;
    return;
  }
  while (done < n) {
    guint k = MIN (FILL_CHUNK, n - done);

    if (self->filled > 0)
      self->plc.missing_samples =
          (int)MAX (1, self->filled * PLC_RATE / (guint)self->rate);
    fill_in (&self->plc, amp + done, k);
    self->filled += k;
    done += k;
  }
}

/* Pushes @duration of concealed audio at @ts (capped at max-fill); returns
 * where the fill ended. */
static GstFlowReturn
push_fill (McuPlc *self, GstClockTime ts, GstClockTime duration,
    GstClockTime *filled_to)
{
  GstClockTime max_fill;
  GstBuffer *buf;
  GstMapInfo map;
  guint64 n;

  *filled_to = ts;
  GST_OBJECT_LOCK (self);
  max_fill = self->max_fill;
  GST_OBJECT_UNLOCK (self);
  n = gst_util_uint64_scale_round (
      MIN (duration, max_fill), self->rate, GST_SECOND);
  if (n == 0)
    return GST_FLOW_OK;
  buf = gst_buffer_new_allocate (NULL, n * 2, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  conceal (self, (int16_t *)map.data, (guint)n);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = ts;
  GST_BUFFER_DURATION (buf) =
      gst_util_uint64_scale_round (n, GST_SECOND, self->rate);
  *filled_to = ts + GST_BUFFER_DURATION (buf);
  GST_OBJECT_LOCK (self);
  self->concealed += GST_BUFFER_DURATION (buf);
  GST_OBJECT_UNLOCK (self);
  GST_LOG_OBJECT (self,
      "concealed %" G_GUINT64_FORMAT " samples at %" GST_TIME_FORMAT, n,
      GST_TIME_ARGS (ts));
  self->next_ts = *filled_to;
  return gst_pad_push (self->srcpad, buf);
}

static GstFlowReturn
on_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  McuPlc *self = MCU_PLC (parent);
  GstClockTime pts = GST_BUFFER_PTS (buf);
  GstClockTime filled_to;
  GstMapInfo map;
  gsize n;
  GstFlowReturn ret;

  if (self->rate == 0) {
    gst_buffer_unref (buf);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  /* a lost packet that came without a GAP event: fill the time it missed
   * (more than a millisecond: decoders' timestamps wobble by a sample) */
  if (GST_CLOCK_TIME_IS_VALID (self->next_ts) &&
      GST_CLOCK_TIME_IS_VALID (pts) && pts > self->next_ts + GST_MSECOND) {
    ret = push_fill (self, self->next_ts, pts - self->next_ts, &filled_to);
    if (ret != GST_FLOW_OK) {
      gst_buffer_unref (buf);
      return ret;
    }
  }
  buf = gst_buffer_make_writable (buf);
  gst_buffer_map (buf, &map, GST_MAP_READWRITE);
  n = map.size / 2;
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP) &&
      GST_CLOCK_TIME_IS_VALID (self->next_ts)) {
    conceal (self, (int16_t *)map.data, (guint)n);
    GST_BUFFER_FLAG_UNSET (buf, GST_BUFFER_FLAG_GAP);
    GST_OBJECT_LOCK (self);
    self->concealed += gst_util_uint64_scale_round (n, GST_SECOND, self->rate);
    GST_OBJECT_UNLOCK (self);
  } else if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP)) {
    plc_rx (&self->plc, (int16_t *)map.data, (int)n);
    self->filled = 0;
  }
  gst_buffer_unmap (buf, &map);
  if (GST_CLOCK_TIME_IS_VALID (pts))
    self->next_ts =
        pts + gst_util_uint64_scale_round (n, GST_SECOND, self->rate);
  return gst_pad_push (self->srcpad, buf);
}

/* A GAP (lost packets): concealed audio instead, as far as max-fill goes;
 * the rest of a longer GAP goes on as a GAP. */
static gboolean
on_gap (McuPlc *self, GstEvent *event)
{
  GstClockTime ts, duration, end, filled_to;

  gst_event_parse_gap (event, &ts, &duration);
  if (!GST_CLOCK_TIME_IS_VALID (ts) || !GST_CLOCK_TIME_IS_VALID (duration) ||
      !GST_CLOCK_TIME_IS_VALID (self->next_ts) || self->rate == 0)
    return gst_pad_push_event (self->srcpad, event);
  end = ts + duration;
  if (end <= self->next_ts) { /* already covered */
    gst_event_unref (event);
    return TRUE;
  }
  ts = MAX (ts, self->next_ts);
  if (push_fill (self, ts, end - ts, &filled_to) != GST_FLOW_OK) {
    gst_event_unref (event);
    return FALSE;
  }
  gst_event_unref (event);
  if (filled_to + GST_MSECOND < end)
    return gst_pad_push_event (
        self->srcpad, gst_event_new_gap (filled_to, end - filled_to));
  return TRUE;
}

static gboolean
on_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  McuPlc *self = MCU_PLC (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS: {
      GstCaps *caps;
      GstAudioInfo info;

      gst_event_parse_caps (event, &caps);
      if (!gst_audio_info_from_caps (&info, caps)) {
        gst_event_unref (event);
        return FALSE;
      }
      if (info.rate != self->rate)
        reset (self);
      self->rate = info.rate;
      break;
    }
    case GST_EVENT_GAP:
      return on_gap (self, event);
    case GST_EVENT_FLUSH_STOP:
    case GST_EVENT_SEGMENT:
    case GST_EVENT_STREAM_START:
      reset (self);
      break;
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static void
mcu_plc_set_property (
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  McuPlc *self = MCU_PLC (object);

  switch (prop_id) {
    case PROP_MAX_FILL:
      GST_OBJECT_LOCK (self);
      self->max_fill = g_value_get_uint64 (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
mcu_plc_get_property (
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  McuPlc *self = MCU_PLC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MAX_FILL:
      g_value_set_uint64 (value, self->max_fill);
      break;
    case PROP_CONCEALED:
      g_value_set_uint64 (value, self->concealed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
mcu_plc_class_init (McuPlcClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->set_property = mcu_plc_set_property;
  object_class->get_property = mcu_plc_get_property;
  g_object_class_install_property (object_class, PROP_MAX_FILL,
      g_param_spec_uint64 ("max-fill", "Max fill",
          "Longest hole filled with concealed audio (ns)", 0, 10 * GST_SECOND,
          DEFAULT_MAX_FILL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (object_class, PROP_CONCEALED,
      g_param_spec_uint64 ("concealed", "Concealed",
          "Audio made up for lost packets so far (ns)", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Packet loss concealment", "Filter/Effect/Audio",
      "Fills lost packets' time with concealed audio (spandsp PLC)", "mcu");
  GST_DEBUG_CATEGORY_INIT (mcu_plc_debug, "mcuplc", 0, "mcu loss concealment");
}

static void
mcu_plc_init (McuPlc *self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, on_chain);
  gst_pad_set_event_function (self->sinkpad, on_sink_event);
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
  self->max_fill = DEFAULT_MAX_FILL;
  reset (self);
}

gboolean
mcu_plc_register (GstPlugin *plugin)
{
  /* As for mcumixminus: one McuPlc type per process. */
  GType type = g_type_from_name ("McuPlc");

  if (type == 0)
    type = MCU_TYPE_PLC;
  return gst_element_register (plugin, "mcuplc", GST_RANK_NONE, type);
}
