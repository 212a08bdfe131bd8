/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcurtpsrc (see mcu-rtp-src.h).
 *
 * Threads: mcu_rtp_src_push* on the pusher's thread (McuRtpIo's), under
 * the src pad's stream lock, which also guards the `need_*` flags. `caps`
 * and `playing` are under the object lock (the property and the state
 * change on the application's thread). */
#include "mcu-rtp-src.h"

#include <gst/net/net.h>

GST_DEBUG_CATEGORY_STATIC (mcu_rtp_src_debug);
#define GST_CAT_DEFAULT mcu_rtp_src_debug

struct _McuRtpSrc
{
  GstElement parent_instance;

  GstPad *srcpad;
  GstClock *system_clock; /* what "arrival" times are read from */
  /* stream lock */
  gboolean need_stream_start;
  gboolean need_segment;
  /* object lock */
  GstCaps *caps; /* (nullable) */
  gboolean caps_changed;
  gboolean playing;
};

G_DEFINE_FINAL_TYPE (McuRtpSrc, mcu_rtp_src, GST_TYPE_ELEMENT)

enum
{
  PROP_0,
  PROP_CAPS,
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

/* stream-start, caps, segment as needed (stream lock held) */
static void
push_sticky (McuRtpSrc *self, GstCaps *caps)
{
  if (self->need_stream_start) {
    g_autofree gchar *id =
        gst_pad_create_stream_id (self->srcpad, GST_ELEMENT (self), NULL);
    GstEvent *ev = gst_event_new_stream_start (id);

    gst_event_set_group_id (ev, gst_util_group_id_next ());
    gst_pad_push_event (self->srcpad, ev);
    self->need_stream_start = FALSE;
  }
  if (caps)
    gst_pad_push_event (self->srcpad, gst_event_new_caps (caps));
  if (self->need_segment) {
    GstSegment segment;

    gst_segment_init (&segment, GST_FORMAT_TIME);
    gst_pad_push_event (self->srcpad, gst_event_new_segment (&segment));
    self->need_segment = FALSE;
  }
}

GstFlowReturn
mcu_rtp_src_push_full (
    McuRtpSrc *self, GstBuffer *buf, GSocketAddress *from, GstClockTime arrival)
{
  g_autoptr (GstClock) clock = NULL;
  g_autoptr (GstCaps) caps = NULL;
  GstClockTime base, now = GST_CLOCK_TIME_NONE;
  GstFlowReturn ret;

  g_return_val_if_fail (MCU_IS_RTP_SRC (self), GST_FLOW_ERROR);
  g_return_val_if_fail (GST_IS_BUFFER (buf), GST_FLOW_ERROR);

  GST_PAD_STREAM_LOCK (self->srcpad);
  GST_OBJECT_LOCK (self);
  if (!self->playing || GST_PAD_IS_FLUSHING (self->srcpad)) {
    GST_OBJECT_UNLOCK (self);
    GST_PAD_STREAM_UNLOCK (self->srcpad);
    gst_buffer_unref (buf);
    return GST_FLOW_FLUSHING;
  }
  if (self->caps_changed && self->caps)
    caps = gst_caps_ref (self->caps);
  self->caps_changed = FALSE;
  if ((clock = GST_ELEMENT_CLOCK (self)) != NULL)
    gst_object_ref (clock);
  base = GST_ELEMENT_CAST (self)->base_time;
  GST_OBJECT_UNLOCK (self);

  push_sticky (self, caps);
  if (clock) {
    now = clock == self->system_clock && GST_CLOCK_TIME_IS_VALID (arrival)
              ? arrival
              : gst_clock_get_time (clock);
  }
  buf = gst_buffer_make_writable (buf);
  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) =
      GST_CLOCK_TIME_IS_VALID (now) ? (now > base ? now - base : 0)
                                    : GST_CLOCK_TIME_NONE;
  if (from)
    gst_buffer_add_net_address_meta (buf, from);
  ret = gst_pad_push (self->srcpad, buf);
  GST_PAD_STREAM_UNLOCK (self->srcpad);
  return ret;
}

GstFlowReturn
mcu_rtp_src_push (McuRtpSrc *self, GstBuffer *buf)
{
  return mcu_rtp_src_push_full (self, buf, NULL, GST_CLOCK_TIME_NONE);
}

static gboolean
on_src_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  McuRtpSrc *self = MCU_RTP_SRC (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:
      gst_query_set_latency (query, TRUE, 0, 0);
      return TRUE;
    case GST_QUERY_CAPS: {
      GstCaps *filter, *caps;

      gst_query_parse_caps (query, &filter);
      GST_OBJECT_LOCK (self);
      caps = self->caps ? gst_caps_ref (self->caps) : gst_caps_new_any ();
      GST_OBJECT_UNLOCK (self);
      if (filter) {
        GstCaps *both =
            gst_caps_intersect_full (filter, caps, GST_CAPS_INTERSECT_FIRST);

        gst_caps_unref (caps);
        caps = both;
      }
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

static GstStateChangeReturn
mcu_rtp_src_change_state (GstElement *element, GstStateChange transition)
{
  McuRtpSrc *self = MCU_RTP_SRC (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      GST_PAD_STREAM_LOCK (self->srcpad);
      self->need_stream_start = self->need_segment = TRUE;
      GST_PAD_STREAM_UNLOCK (self->srcpad);
      GST_OBJECT_LOCK (self);
      self->caps_changed = TRUE;
      GST_OBJECT_UNLOCK (self);
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      GST_OBJECT_LOCK (self);
      self->playing = FALSE;
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      break;
  }
  ret = GST_ELEMENT_CLASS (mcu_rtp_src_parent_class)
            ->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;
  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      ret = GST_STATE_CHANGE_NO_PREROLL; /* live */
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      GST_OBJECT_LOCK (self);
      self->playing = TRUE;
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      break;
  }
  return ret;
}

static void
mcu_rtp_src_set_property (
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  McuRtpSrc *self = MCU_RTP_SRC (object);

  switch (prop_id) {
    case PROP_CAPS: {
      const GstCaps *caps = gst_value_get_caps (value);

      GST_OBJECT_LOCK (self);
      gst_caps_replace (&self->caps, (GstCaps *)caps);
      self->caps_changed = TRUE;
      GST_OBJECT_UNLOCK (self);
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
mcu_rtp_src_get_property (
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  McuRtpSrc *self = MCU_RTP_SRC (object);

  switch (prop_id) {
    case PROP_CAPS:
      GST_OBJECT_LOCK (self);
      gst_value_set_caps (value, self->caps);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
mcu_rtp_src_finalize (GObject *object)
{
  McuRtpSrc *self = MCU_RTP_SRC (object);

  gst_clear_caps (&self->caps);
  gst_object_unref (self->system_clock);
  G_OBJECT_CLASS (mcu_rtp_src_parent_class)->finalize (object);
}

static void
mcu_rtp_src_class_init (McuRtpSrcClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->set_property = mcu_rtp_src_set_property;
  object_class->get_property = mcu_rtp_src_get_property;
  object_class->finalize = mcu_rtp_src_finalize;
  element_class->change_state = mcu_rtp_src_change_state;
  g_object_class_install_property (object_class, PROP_CAPS,
      g_param_spec_boxed ("caps", "Caps", "Caps of what is pushed",
          GST_TYPE_CAPS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "RTP source without a thread", "Source/Network",
      "Live source fed by its owner's receive thread (mcu_rtp_src_push)",
      "mcu");
  GST_DEBUG_CATEGORY_INIT (
      mcu_rtp_src_debug, "mcurtpsrc", 0, "mcu thread-free RTP source");
}

static void
mcu_rtp_src_init (McuRtpSrc *self)
{
  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad, on_src_query);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
  self->system_clock = gst_system_clock_obtain ();
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

gboolean
mcu_rtp_src_register (GstPlugin *plugin)
{
  /* As for mcumixminus: one McuRtpSrc type per process. */
  GType type = g_type_from_name ("McuRtpSrc");

  if (type == 0)
    type = MCU_TYPE_RTP_SRC;
  return gst_element_register (plugin, "mcurtpsrc", GST_RANK_NONE, type);
}
