/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcujitterbuffer (see mcu-jitter-buffer.h).
 *
 * Threads: chain and the sink events run on the upstream streaming thread,
 * mcu_jitter_buffer_service on one thread at a time (`service_lock`); the
 * queue and every field below `lock` are shared under `lock`, which is
 * never held while pushing or calling out (signals, the scheduler). Order:
 * service_lock, then lock. */
#include "mcu-jitter-buffer-private.h"

#include <gst/rtp/rtp.h>
#include <string.h>

GST_DEBUG_CATEGORY (mcu_jitter_buffer_debug);
#define GST_CAT_DEFAULT mcu_jitter_buffer_debug

G_DEFINE_FINAL_TYPE (McuJitterBuffer, mcu_jitter_buffer, GST_TYPE_ELEMENT)

enum
{
  PROP_0,
  PROP_LATENCY,
  PROP_MIN_LATENCY,
  PROP_MAX_LATENCY,
  PROP_DO_LOST,
  PROP_JITTER,
  PROP_DEPTH,
  PROP_STATS,
};

enum
{
  SIGNAL_REQUEST_PT_MAP,
  SIGNAL_CLEAR_PT_MAP,
  SIGNAL_HANDLE_SYNC,
  SIGNAL_ON_NPT_STOP,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtp"));
static GstStaticPadTemplate rtcp_template =
    GST_STATIC_PAD_TEMPLATE ("sink_rtcp", GST_PAD_SINK, GST_PAD_REQUEST,
        GST_STATIC_CAPS ("application/x-rtcp"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtp"));

/* Downstream's answer to MCU_JITTER_BUFFER_CAN_TAKE: 1 yes, 0 no, -1 not
 * answered (nobody downstream would block us); @direct: through its asker
 * (the query only when there is none, or it went stale). With
 * service_lock: the query and the asker are the element's own. */
static gint
downstream_can_take (McuJitterBuffer *self, gboolean *direct)
{
  GstStructure *s;
  gboolean can = TRUE;
  const GValue *v;

  if (g_atomic_int_compare_and_exchange (&self->asker_stale, TRUE, FALSE))
    g_clear_pointer (&self->asker, mcu_jitter_buffer_asker_unref);
  if (self->asker != NULL) {
    McuJitterBufferAskResult res =
        mcu_jitter_buffer_asker_ask (self->asker, self->waker);

    if (res != MCU_JITTER_BUFFER_ASK_STALE) {
      *direct = TRUE;
      return res == MCU_JITTER_BUFFER_ASK_YES ? 1 : 0;
    }
    g_clear_pointer (&self->asker, mcu_jitter_buffer_asker_unref);
  }
  s = gst_query_writable_structure (self->can_take);
  gst_structure_remove_field (s, "can-take");
  gst_structure_remove_field (s, "asker");
  if (!gst_pad_peer_query (self->srcpad, self->can_take) ||
      !gst_structure_get_boolean (s, "can-take", &can))
    return -1;
  v = gst_structure_get_value (s, "asker");
  if (v != NULL && G_VALUE_HOLDS (v, MCU_TYPE_JITTER_BUFFER_ASKER) &&
      g_value_get_boxed (v) != NULL)
    self->asker = mcu_jitter_buffer_asker_ref (g_value_get_boxed (v));
  return can ? 1 : 0;
}

static void
push_items (McuJitterBuffer *self, GArray *items)
{
  for (guint i = 0; i < items->len; i++) {
    Item *it = &g_array_index (items, Item, i);

    if (it->type == ITEM_BUFFER) {
      gst_pad_push (self->srcpad, it->buf);
    } else {
      gst_pad_push_event (self->srcpad,
          gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
              gst_structure_new ("GstRTPPacketLost", "seqnum", G_TYPE_UINT,
                  it->seqnum, "timestamp", G_TYPE_UINT64, it->timestamp,
                  "duration", G_TYPE_UINT64, it->duration, "retry", G_TYPE_UINT,
                  0, NULL)));
    }
  }
  g_array_set_size (items, 0);
}

/* May an item go? 1 yes, 0 no (held: wait for downstream's wake), -1
 * downstream does not say (everything due goes). Called with `lock`,
 * which it drops while asking. */
static gint
may_push (McuJitterBuffer *self, GstClockTime rt)
{
  gboolean was_held = self->held;
  gboolean direct = FALSE;
  gint can;

  if (self->spare_yes) {
    self->spare_yes = FALSE;
    /* not across an unlink: the next input may be another's, and full */
    if (!g_atomic_int_get (&self->asker_stale))
      return 1;
  }
  if (self->granted) {
    self->granted = self->held = FALSE;
    self->woken++;
    self->freed = rt;
    return 1;
  }
  if (was_held && rt < self->held_at + MCU_JITTER_BUFFER_RESCUE)
    return 0; /* serviced early (a packet came): still waiting */
  if (was_held)
    self->rescued++; /* no wake came: ask again */
  self->held = FALSE;
  self->asking = TRUE;
  self->asked++;
  g_mutex_unlock (&self->lock);
  can = downstream_can_take (self, &direct);
  g_mutex_lock (&self->lock);
  self->asking = FALSE;
  if (direct)
    self->asked_direct++;
  /* woken since it said no (a wake before a yes is stale) */
  if (can == 0 && self->granted) {
    self->woken++;
    can = 1;
  }
  self->granted = FALSE;
  if (can == 0) {
    self->deferred++;
    self->held = TRUE;
    self->held_at = rt;
  } else if (was_held) {
    self->freed = rt;
  }
  return can;
}

/* One item per answer (each push may fill downstream), and one per
 * question when downstream does not answer: an unanswered query may be a
 * link not made yet (McuAudioMix links a joiner's mixer input once its
 * first buffer came), and everything due pushed after it is made went
 * past the mixer input's ring into GstAggregatorPad's queue, whose chain
 * blocked this worker a frame per buffer (a backlog: seconds, for every
 * caller of the worker). Asked again, the input answers and takes it into
 * its ring. */
GstClockTime
mcu_jitter_buffer_service (McuJitterBuffer *self, GstClockTime now)
{
  GstClockTime base = gst_element_get_base_time (GST_ELEMENT (self));
  GstClockTime rt, next;
  GArray *items;
  gboolean send_segment;
  gint can;

  g_return_val_if_fail (MCU_IS_JITTER_BUFFER (self), GST_CLOCK_TIME_NONE);
  if (!GST_CLOCK_TIME_IS_VALID (base) || now < base)
    base = 0;
  rt = now - base;

  g_mutex_lock (&self->service_lock);
  items = self->items;
  for (;;) {
    g_mutex_lock (&self->lock);
    /* what is due, nothing taken yet */
    next = self->flushing
               ? GST_CLOCK_TIME_NONE
               : mcu_jitter_buffer_queue_collect (self, rt, items, 0);
    if (next > rt || (can = may_push (self, rt)) == 0 || self->flushing) {
      if (GST_CLOCK_TIME_IS_VALID (next) && next <= rt && !self->flushing)
        next = self->held_at + MCU_JITTER_BUFFER_RESCUE;
      self->scheduled = next;
      g_mutex_unlock (&self->lock);
      break;
    }
    next = mcu_jitter_buffer_queue_collect (self, rt, items, 1);
    self->spare_yes = items->len == 0 && can == 1;
    self->scheduled = next;
    send_segment = items->len > 0 && !self->segment_sent;
    if (send_segment)
      self->segment_sent = TRUE;
    g_mutex_unlock (&self->lock);

    if (send_segment) {
      GstSegment seg;

      gst_segment_init (&seg, GST_FORMAT_TIME);
      gst_pad_push_event (self->srcpad, gst_event_new_segment (&seg));
    }
    push_items (self, items);
  }
  g_mutex_unlock (&self->service_lock);
  return GST_CLOCK_TIME_IS_VALID (next) ? next + base : next;
}

/* The waker: downstream can take one item. */
void
mcu_jitter_buffer_grant (McuJitterBuffer *self)
{
  McuJitterBufferWakeFunc wake = NULL;
  gpointer data = NULL;

  g_mutex_lock (&self->lock);
  if (self->held || self->asking) {
    self->granted = TRUE;
    /* a service asking right now sees it itself */
    if (self->held && !self->asking && self->wake) {
      wake = self->wake;
      data = self->sched_data;
      self->scheduled = 0;
    }
  }
  g_mutex_unlock (&self->lock);
  if (wake)
    wake (self, 0, data);
}

gboolean
mcu_jitter_buffer_set_scheduler (McuJitterBuffer *self,
    McuJitterBufferWakeFunc wake, McuJitterBufferDetachFunc detach,
    gpointer data)
{
  gboolean taken = TRUE;

  g_mutex_lock (&self->lock);
  /* stopped (PAUSED to READY happened): nobody would ever be detached */
  if (detach && self->flushing) {
    taken = FALSE;
  } else {
    self->wake = wake;
    self->detach = detach;
    self->sched_data = data;
    self->scheduled = GST_CLOCK_TIME_NONE;
  }
  g_mutex_unlock (&self->lock);
  return taken;
}

gboolean
mcu_jitter_buffer_has_scheduler (McuJitterBuffer *self)
{
  gboolean has;

  g_mutex_lock (&self->lock);
  has = self->detach != NULL;
  g_mutex_unlock (&self->lock);
  return has;
}

/* ---- the sink ---- */

static gint
clock_rate_for (McuJitterBuffer *self, guint8 pt)
{
  gint rate;
  GstCaps *caps = NULL;

  g_mutex_lock (&self->lock);
  rate = self->caps_rate > 0 ? self->caps_rate : self->pt_rate[pt & 127];
  g_mutex_unlock (&self->lock);
  if (rate != 0)
    return rate;
  g_signal_emit (self, signals[SIGNAL_REQUEST_PT_MAP], 0, (guint)pt, &caps);
  rate = -1;
  if (caps && gst_caps_get_size (caps) > 0 &&
      (!gst_structure_get_int (
           gst_caps_get_structure (caps, 0), "clock-rate", &rate) ||
          rate <= 0))
    rate = -1;
  gst_clear_caps (&caps);
  g_mutex_lock (&self->lock);
  self->pt_rate[pt & 127] = rate;
  g_mutex_unlock (&self->lock);
  return rate;
}

/* Arrival as running time: upstream's DTS (udpsrc stamps it), else the
 * clock now. */
static GstClockTime
arrival_time (McuJitterBuffer *self, GstBuffer *buf)
{
  GstClockTime t = GST_BUFFER_DTS_OR_PTS (buf);
  GstClock *clock;

  if (GST_CLOCK_TIME_IS_VALID (t) && self->segment.format == GST_FORMAT_TIME) {
    t = gst_segment_to_running_time (&self->segment, GST_FORMAT_TIME, t);
    if (GST_CLOCK_TIME_IS_VALID (t))
      return t;
  }
  if ((clock = gst_element_get_clock (GST_ELEMENT (self)))) {
    GstClockTime now = gst_clock_get_time (clock);
    GstClockTime base = gst_element_get_base_time (GST_ELEMENT (self));

    gst_object_unref (clock);
    return now > base ? now - base : 0;
  }
  return 0;
}

static GstFlowReturn
mcu_jitter_buffer_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  McuJitterBuffer *self = MCU_JITTER_BUFFER (parent);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint16 seq;
  guint32 ts, ssrc;
  guint8 pt;
  gint rate;
  GstClockTime arrival, wake_at = GST_CLOCK_TIME_NONE;
  McuJitterBufferWakeFunc wake = NULL;
  gpointer wake_data = NULL;

  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp)) {
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  seq = gst_rtp_buffer_get_seq (&rtp);
  ts = gst_rtp_buffer_get_timestamp (&rtp);
  ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  pt = gst_rtp_buffer_get_payload_type (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  if ((rate = clock_rate_for (self, pt)) <= 0) {
    GST_DEBUG_OBJECT (self, "no clock-rate for pt %u: dropped", pt);
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }

  g_mutex_lock (&self->lock);
  if (self->flushing) {
    g_mutex_unlock (&self->lock);
    gst_buffer_unref (buf);
    return GST_FLOW_FLUSHING;
  }
  arrival = arrival_time (self, buf);
  if (mcu_jitter_buffer_queue_insert (
          self, buf, seq, ts, ssrc, rate, arrival) &&
      self->wake && !self->held) { /* held: downstream's wake comes first */
    Packet *head = g_queue_peek_head (&self->queue);
    GstClockTime due =
        (GstClockTime)mcu_jitter_buffer_queue_playout (self, head);

    if (self->have_out && head->ext_seq != self->next_seq)
      due = MIN (due, self->last_end);
    if (!GST_CLOCK_TIME_IS_VALID (self->scheduled) || due < self->scheduled) {
      GstClockTime base = gst_element_get_base_time (GST_ELEMENT (self));

      self->scheduled = due;
      wake = self->wake;
      wake_data = self->sched_data;
      wake_at = due + (GST_CLOCK_TIME_IS_VALID (base) ? base : 0);
    }
  }
  g_mutex_unlock (&self->lock);
  if (wake)
    wake (self, wake_at, wake_data);
  return GST_FLOW_OK;
}

static gboolean
mcu_jitter_buffer_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  McuJitterBuffer *self = MCU_JITTER_BUFFER (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS: {
      GstCaps *caps;
      gint rate = 0;

      gst_event_parse_caps (event, &caps);
      gst_structure_get_int (
          gst_caps_get_structure (caps, 0), "clock-rate", &rate);
      g_mutex_lock (&self->lock);
      self->caps_rate = rate;
      g_mutex_unlock (&self->lock);
      /* stored: pushed by the next service before its data */
      gst_pad_store_sticky_event (self->srcpad, event);
      gst_event_unref (event);
      return TRUE;
    }
    case GST_EVENT_SEGMENT:
      g_mutex_lock (&self->lock);
      gst_event_copy_segment (event, &self->segment);
      g_mutex_unlock (&self->lock);
      gst_event_unref (event); /* ours is a plain TIME segment */
      return TRUE;
    case GST_EVENT_FLUSH_START:
      g_mutex_lock (&self->lock);
      self->flushing = TRUE;
      self->spare_yes = FALSE;
      g_mutex_unlock (&self->lock);
      return gst_pad_push_event (self->srcpad, event);
    case GST_EVENT_FLUSH_STOP:
      g_mutex_lock (&self->lock);
      self->flushing = FALSE;
      self->segment_sent = FALSE;
      mcu_jitter_buffer_queue_reset (self);
      g_mutex_unlock (&self->lock);
      return gst_pad_push_event (self->srcpad, event);
    case GST_EVENT_EOS:
      gst_event_unref (event);
      return TRUE;
    default:
      if (GST_EVENT_IS_STICKY (event)) {
        gst_pad_store_sticky_event (self->srcpad, event);
        gst_event_unref (event);
        return TRUE;
      }
      if (GST_EVENT_IS_SERIALIZED (event)) {
        gst_event_unref (event); /* would race the service's pushes */
        return TRUE;
      }
      return gst_pad_push_event (self->srcpad, event);
  }
}

static gboolean
mcu_jitter_buffer_src_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  McuJitterBuffer *self = MCU_JITTER_BUFFER (parent);

  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gboolean live = TRUE;
    GstClockTime min = 0, max = GST_CLOCK_TIME_NONE, depth, top;

    if (gst_pad_peer_query (self->sinkpad, query))
      gst_query_parse_latency (query, &live, &min, &max);
    g_mutex_lock (&self->lock);
    depth = self->depth;
    top = mcu_jitter_buffer_queue_clamp_depth (self, G_MAXUINT * GST_MSECOND);
    g_mutex_unlock (&self->lock);
    gst_query_set_latency (query, live, min + depth,
        GST_CLOCK_TIME_IS_VALID (max) ? max + top : max);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

static GstFlowReturn
mcu_jitter_buffer_chain_rtcp (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  gst_buffer_unref (buf); /* no lip sync here */
  return GST_FLOW_OK;
}

static gboolean
mcu_jitter_buffer_rtcp_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  gst_event_unref (event);
  return TRUE;
}

static GstIterator *
no_links (GstPad *pad, GstObject *parent)
{
  return gst_iterator_new_single (GST_TYPE_PAD, NULL);
}

static GstPad *
mcu_jitter_buffer_request_new_pad (GstElement *element, GstPadTemplate *templ,
    const gchar *name, const GstCaps *caps)
{
  McuJitterBuffer *self = MCU_JITTER_BUFFER (element);

  if (self->rtcppad)
    return NULL;
  self->rtcppad = gst_pad_new_from_template (templ, "sink_rtcp");
  gst_pad_set_chain_function (self->rtcppad, mcu_jitter_buffer_chain_rtcp);
  gst_pad_set_event_function (self->rtcppad, mcu_jitter_buffer_rtcp_event);
  gst_pad_set_iterate_internal_links_function (self->rtcppad, no_links);
  gst_pad_set_active (self->rtcppad, TRUE);
  gst_element_add_pad (element, self->rtcppad);
  return self->rtcppad;
}

static void
mcu_jitter_buffer_release_pad (GstElement *element, GstPad *pad)
{
  McuJitterBuffer *self = MCU_JITTER_BUFFER (element);

  if (pad != self->rtcppad)
    return;
  self->rtcppad = NULL;
  gst_element_remove_pad (element, pad);
}

static GstStateChangeReturn
mcu_jitter_buffer_change_state (GstElement *element, GstStateChange transition)
{
  McuJitterBuffer *self = MCU_JITTER_BUFFER (element);
  McuJitterBufferDetachFunc detach = NULL;
  gpointer data = NULL;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      g_mutex_lock (&self->lock);
      self->flushing = FALSE;
      self->segment_sent = FALSE;
      gst_segment_init (&self->segment, GST_FORMAT_TIME);
      mcu_jitter_buffer_queue_reset (self);
      g_mutex_unlock (&self->lock);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* the scheduler lets go first (waiting for a service in progress) */
      g_mutex_lock (&self->lock);
      g_debug ("%s: received %" G_GUINT64_FORMAT ", lost %" G_GUINT64_FORMAT
               ", late %" G_GUINT64_FORMAT ", duplicates %" G_GUINT64_FORMAT
               ", deferred %" G_GUINT64_FORMAT ", asked %" G_GUINT64_FORMAT
               ", woken %" G_GUINT64_FORMAT ", rescued %" G_GUINT64_FORMAT
               ", jitter %u ms, depth %u ms",
          GST_OBJECT_NAME (self), self->received, self->lost, self->late,
          self->duplicates, self->deferred, self->asked, self->woken,
          self->rescued, (guint)(self->jitter / GST_MSECOND),
          (guint)(self->depth / GST_MSECOND));
      self->flushing = TRUE;
      self->spare_yes = FALSE;
      g_atomic_int_set (&self->asker_stale, TRUE);
      detach = self->detach;
      data = self->sched_data;
      self->wake = NULL;
      self->detach = NULL;
      self->sched_data = NULL;
      g_mutex_unlock (&self->lock);
      if (detach)
        detach (self, data);
      break;
    default:
      break;
  }
  return GST_ELEMENT_CLASS (mcu_jitter_buffer_parent_class)
      ->change_state (element, transition);
}

/* ---- GObject ---- */

static GstStructure *
make_stats (McuJitterBuffer *self)
{
  return gst_structure_new ("application/x-mcu-jitter-buffer-stats", "received",
      G_TYPE_UINT64, self->received, "lost", G_TYPE_UINT64, self->lost, "late",
      G_TYPE_UINT64, self->late, "duplicates", G_TYPE_UINT64, self->duplicates,
      "deferred", G_TYPE_UINT64, self->deferred, "asked", G_TYPE_UINT64,
      self->asked, "asked-direct", G_TYPE_UINT64, self->asked_direct, "woken",
      G_TYPE_UINT64, self->woken, "rescued", G_TYPE_UINT64, self->rescued,
      "jitter", G_TYPE_UINT, (guint)(self->jitter / GST_MSECOND), NULL);
}

static void
mcu_jitter_buffer_set_property (
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  McuJitterBuffer *self = MCU_JITTER_BUFFER (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_LATENCY:
      self->latency_ms = g_value_get_uint (value);
      self->depth = mcu_jitter_buffer_queue_clamp_depth (
          self, self->latency_ms * GST_MSECOND);
      break;
    case PROP_MIN_LATENCY:
      self->min_ms = g_value_get_uint (value);
      self->depth = mcu_jitter_buffer_queue_clamp_depth (self, self->depth);
      break;
    case PROP_MAX_LATENCY:
      self->max_ms = g_value_get_uint (value);
      self->depth = mcu_jitter_buffer_queue_clamp_depth (self, self->depth);
      break;
    case PROP_DO_LOST:
      self->do_lost = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
mcu_jitter_buffer_get_property (
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  McuJitterBuffer *self = MCU_JITTER_BUFFER (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_LATENCY:
      g_value_set_uint (value, self->latency_ms);
      break;
    case PROP_MIN_LATENCY:
      g_value_set_uint (value, self->min_ms);
      break;
    case PROP_MAX_LATENCY:
      g_value_set_uint (value, self->max_ms);
      break;
    case PROP_DO_LOST:
      g_value_set_boolean (value, self->do_lost);
      break;
    case PROP_JITTER:
      g_value_set_uint (value, (guint)(self->jitter / GST_MSECOND));
      break;
    case PROP_DEPTH:
      g_value_set_uint (value, (guint)(self->depth / GST_MSECOND));
      break;
    case PROP_STATS:
      g_value_take_boxed (value, make_stats (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
mcu_jitter_buffer_finalize (GObject *object)
{
  McuJitterBuffer *self = MCU_JITTER_BUFFER (object);

  /* downstream may still hold the waker: its wakes stop here */
  mcu_jitter_buffer_waker_detach (self->waker);
  gst_query_unref (self->can_take);
  g_clear_pointer (&self->asker, mcu_jitter_buffer_asker_unref);
  mcu_jitter_buffer_waker_unref (self->waker);
  g_array_unref (self->items);
  mcu_jitter_buffer_queue_drop (self);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->service_lock);
  G_OBJECT_CLASS (mcu_jitter_buffer_parent_class)->finalize (object);
}

static void
mcu_jitter_buffer_clear_pt_map (McuJitterBuffer *self)
{
  g_mutex_lock (&self->lock);
  memset (self->pt_rate, 0, sizeof self->pt_rate);
  g_mutex_unlock (&self->lock);
}

static void
mcu_jitter_buffer_class_init (McuJitterBufferClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->set_property = mcu_jitter_buffer_set_property;
  object_class->get_property = mcu_jitter_buffer_get_property;
  object_class->finalize = mcu_jitter_buffer_finalize;
  element_class->change_state = mcu_jitter_buffer_change_state;
  element_class->request_new_pad = mcu_jitter_buffer_request_new_pad;
  element_class->release_pad = mcu_jitter_buffer_release_pad;

  g_object_class_install_property (object_class, PROP_LATENCY,
      g_param_spec_uint ("latency", "Latency", "Starting depth (ms)", 0,
          G_MAXUINT, DEFAULT_LATENCY_MS, rw));
  g_object_class_install_property (object_class, PROP_MIN_LATENCY,
      g_param_spec_uint ("min-latency", "Min latency", "Smallest depth (ms)", 0,
          G_MAXUINT, DEFAULT_MIN_MS, rw));
  g_object_class_install_property (object_class, PROP_MAX_LATENCY,
      g_param_spec_uint ("max-latency", "Max latency", "Largest depth (ms)", 0,
          G_MAXUINT, DEFAULT_MAX_MS, rw));
  g_object_class_install_property (object_class, PROP_DO_LOST,
      g_param_spec_boolean ("do-lost", "Do lost",
          "Send GstRTPPacketLost events for lost packets", FALSE, rw));
  g_object_class_install_property (object_class, PROP_JITTER,
      g_param_spec_uint ("jitter", "Jitter",
          "RFC 3550 interarrival jitter (ms)", 0, G_MAXUINT, 0, ro));
  g_object_class_install_property (object_class, PROP_DEPTH,
      g_param_spec_uint (
          "depth", "Depth", "Current depth (ms)", 0, G_MAXUINT, 0, ro));
  g_object_class_install_property (object_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Stats",
          "received, lost, late, duplicates, jitter", GST_TYPE_STRUCTURE, ro));

  signals[SIGNAL_REQUEST_PT_MAP] = g_signal_new ("request-pt-map",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      GST_TYPE_CAPS, 1, G_TYPE_UINT);
  signals[SIGNAL_CLEAR_PT_MAP] = g_signal_new_class_handler ("clear-pt-map",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (mcu_jitter_buffer_clear_pt_map), NULL, NULL, NULL,
      G_TYPE_NONE, 0);
  signals[SIGNAL_HANDLE_SYNC] = g_signal_new ("handle-sync",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, GST_TYPE_STRUCTURE | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_ON_NPT_STOP] =
      g_signal_new ("on-npt-stop", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
          0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &rtcp_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "MCU jitter buffer",
      "Filter/Network/RTP",
      "RTP jitter buffer without threads, serviced from outside",
      "mcu developers");
  GST_DEBUG_CATEGORY_INIT (
      mcu_jitter_buffer_debug, "mcujitterbuffer", 0, "mcu jitter buffer");
}

/* Whoever answers next is asked again (any thread, pad lock held). */
static void
mcu_jitter_buffer_src_unlink (GstPad *pad, GstObject *parent)
{
  g_atomic_int_set (&MCU_JITTER_BUFFER (parent)->asker_stale, TRUE);
}

static void
mcu_jitter_buffer_init (McuJitterBuffer *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->service_lock);
  g_queue_init (&self->queue);
  self->items = g_array_new (FALSE, FALSE, sizeof (Item));
  self->waker = mcu_jitter_buffer_waker_new (self);
  self->can_take = gst_query_new_custom (
      GST_QUERY_CUSTOM, gst_structure_new (MCU_JITTER_BUFFER_CAN_TAKE, "waker",
                            MCU_TYPE_JITTER_BUFFER_WAKER, self->waker, NULL));
  self->latency_ms = DEFAULT_LATENCY_MS;
  self->min_ms = DEFAULT_MIN_MS;
  self->max_ms = DEFAULT_MAX_MS;
  self->depth = DEFAULT_LATENCY_MS * GST_MSECOND;
  self->scheduled = GST_CLOCK_TIME_NONE;
  self->below_since = GST_CLOCK_TIME_NONE;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);

  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, mcu_jitter_buffer_chain);
  gst_pad_set_event_function (self->sinkpad, mcu_jitter_buffer_sink_event);
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad, mcu_jitter_buffer_src_query);
  gst_pad_set_unlink_function (self->srcpad, mcu_jitter_buffer_src_unlink);
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

gboolean
mcu_jitter_buffer_register (GstPlugin *plugin)
{
  return gst_element_register (
      plugin, "mcujitterbuffer", GST_RANK_NONE, MCU_TYPE_JITTER_BUFFER);
}
