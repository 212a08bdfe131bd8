/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcumixminus, one sum and N mix-minus outputs (see mcu-mix-minus.h).
 *
 * How it works: GstAudioAggregator drives the timing (live timeouts, partial
 * buffers, GAPs, segments). For every output buffer, create_output_buffer
 * clears an int32 sum; aggregate_one_buffer adds each pad's samples (after
 * mute and volume) into the sum and keeps them as that pad's contribution;
 * finish_buffer lets mcu-mix-minus-select.c decide who contributes (noise
 * gate, max talkers) and take the others out of the sum, limits the sum
 * into the output buffer, flags it FULL_MIX and pushes it on `src`
 * (chaining up), then pushes limit (sum - contribution) on every src_N, or
 * the `src` buffer itself when pad N did not contribute. O(N) per frame.
 *
 * Threads:
 * - application thread: request_new_pad, release_pad, property setters.
 * - aggregator task (GstAggregator's thread on `src`): create_output_buffer,
 *   aggregate_one_buffer, finish_buffer; it pushes buffers on `src` and every
 *   src_N, posts level messages, and mirrors EOS on every src_N (from the
 *   event probe on `src`).
 * - the thread that flushes (a seek, or upstream's flush events): the
 *   aggregator pushes FLUSH_START/FLUSH_STOP on `src`; the probe mirrors
 *   them on every src_N from that thread.
 *
 * Locks:
 * - release_lock: GStreamer 1.22.0's GstAudioAggregator walks the sink pad
 *   list without references and drops the object lock around
 *   aggregate_one_buffer, so releasing a pad from another thread at that
 *   moment is a use-after-free (stock audiomixer has it too; newer GStreamer
 *   takes references). The aggregator task holds release_lock from the start
 *   of aggregate until its mixing loop is over (start of finish_buffer, before
 *   any push); request_new_pad and release_pad hold it while the parent adds
 *   or removes the sink pad. Pushes happen without it, so a blocked
 *   downstream cannot block a release. Consequence: do not request or
 *   release pads from a bus sync handler, a samples-selected handler or a
 *   pad-added handler (they may run under it); the main loop is fine.
 * - element object lock: the sink pad list (GstElement), McuMixMinusPad.srcpad,
 *   the properties (level_interval, gate_threshold_db, gate_hangover,
 *   max_talkers) and the output volumes (gains).
 * - pad object lock: McuMixMinusPad.mute, .volume and .gain.
 * - src_N stream lock: held while pushing buffers, sticky events, EOS and
 *   FLUSH_STOP on src_N, so that deactivating src_N on release waits for a
 *   push in progress.
 * Order: release_lock, then the element's object lock, then a pad's object
 * lock; a src_N stream lock, then object locks. release_lock and a src_N
 * stream lock are never held together, and no object lock is held while
 * pushing.
 * Everything else (sum, contributions, limiters, level sums, frame counters,
 * gate and selection state) belongs to the aggregator task, or is touched in
 * start/stop/flush while that task is not running. */
#include "mcu-mix-minus.h"

#include "mcu-mix-kernel.h"
#include "mcu-mix-minus-private.h"

#include <stdio.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (mcu_mix_minus_debug);
#define GST_CAT_DEFAULT mcu_mix_minus_debug

struct _McuMixMinus
{
  GstAudioAggregator parent;

  /* with the object lock */
  guint64 level_interval;
  gdouble gate_threshold_db;
  guint64 gate_hangover;
  guint max_talkers;

  /* see the design note */
  GMutex release_lock;
  gboolean release_locked; /* aggregator task only: it holds release_lock */

  /* set in init, read-only afterwards */
  guint32 stream_salt;
  guint group_id;

  /* aggregator task only */
  gint32 *sum;
  guint sum_capacity;
  guint frame_len;       /* frames in the current output buffer */
  guint64 frame_serial;  /* counts output buffers */
  gboolean frame_levels; /* level-interval > 0 for this frame */
  gboolean frame_stats;  /* contributions need statistics in this frame */
  McuMixMinusSelect select;
  McuMixKernelLimiter limiter;
  guint64 level_frames;    /* output frames since the last level message */
  GArray *outputs;         /* McuMixMinusOutput, rebuilt every frame */
  GPtrArray *listening;    /* src_N of listeners (ref), rebuilt every frame */
  GArray *listening_gains; /* gint32: the gain of each of listening */
  GstFlowReturn last_flow;

  /* with the object lock */
  GPtrArray *listeners; /* src_N (ref) without a sink_N yet: the full mix */
  guint next_index;     /* N of the next sink_N or listener */
  McuMixMinusPrompts prompts; /* see mcu-mix-minus-prompt.c */
  McuMixMinusGains gains;     /* see mcu-mix-minus-gain.c */
};

enum
{
  PROP_0,
  PROP_LEVEL_INTERVAL,
  PROP_GATE_THRESHOLD_DB,
  PROP_GATE_HANGOVER,
  PROP_MAX_TALKERS,
};

#define DEFAULT_LEVEL_INTERVAL    0
#define DEFAULT_GATE_THRESHOLD_DB MCU_MIX_KERNEL_FLOOR_DB
#define DEFAULT_GATE_HANGOVER     (300 * GST_MSECOND)
#define DEFAULT_MAX_TALKERS       0

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink_%u",
    GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS (MCU_MIX_MINUS_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (MCU_MIX_MINUS_CAPS));
static GstStaticPadTemplate src_n_template = GST_STATIC_PAD_TEMPLATE ("src_%u",
    GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS (MCU_MIX_MINUS_CAPS));

/* ----- McuMixMinus ----- */

G_DEFINE_FINAL_TYPE (McuMixMinus, mcu_mix_minus, GST_TYPE_AUDIO_AGGREGATOR)

static void
outputs_clear (McuMixMinus *self)
{
  g_ptr_array_set_size (self->listening, 0);
  g_array_set_size (self->listening_gains, 0);
  for (guint i = 0; i < self->outputs->len; i++) {
    McuMixMinusOutput *o = &g_array_index (self->outputs, McuMixMinusOutput, i);

    gst_object_unref (o->pad);
    gst_clear_object (&o->srcpad);
  }
  g_array_set_size (self->outputs, 0);
}

/* Snapshot of (sink_N, src_N) with references, for use without the lock. */
static void
outputs_collect (McuMixMinus *self)
{
  outputs_clear (self);
  GST_OBJECT_LOCK (self);
  for (GList *l = GST_ELEMENT (self)->sinkpads; l != NULL; l = l->next) {
    McuMixMinusPad *pad = MCU_MIX_MINUS_PAD (l->data);
    McuMixMinusOutput o = { gst_object_ref (pad), NULL,
      MCU_MIX_KERNEL_GAIN_UNITY };

    if (pad->srcpad != NULL) {
      o.srcpad = gst_object_ref (pad->srcpad);
      o.gain = mcu_mix_minus_gains_lookup (&self->gains, o.srcpad);
    }
    g_array_append_val (self->outputs, o);
  }
  for (guint i = 0; i < self->listeners->len; i++) {
    GstPad *srcpad = g_ptr_array_index (self->listeners, i);
    gint32 gain = mcu_mix_minus_gains_lookup (&self->gains, srcpad);

    g_ptr_array_add (self->listening, gst_object_ref (srcpad));
    g_array_append_val (self->listening_gains, gain);
  }
  GST_OBJECT_UNLOCK (self);
}

/* The src_N pads, with references (for events). */
static GPtrArray *
srcpads_collect (McuMixMinus *self)
{
  GPtrArray *pads = g_ptr_array_new_with_free_func (gst_object_unref);

  GST_OBJECT_LOCK (self);
  for (GList *l = GST_ELEMENT (self)->sinkpads; l != NULL; l = l->next) {
    McuMixMinusPad *pad = MCU_MIX_MINUS_PAD (l->data);

    if (pad->srcpad != NULL)
      g_ptr_array_add (pads, gst_object_ref (pad->srcpad));
  }
  for (guint i = 0; i < self->listeners->len; i++)
    g_ptr_array_add (
        pads, gst_object_ref (g_ptr_array_index (self->listeners, i)));
  GST_OBJECT_UNLOCK (self);
  return pads;
}

/* ----- sticky events, pushing and event mirroring on src_N ----- */

static GstEvent *
new_stream_start (McuMixMinus *self, GstPad *srcpad)
{
  g_autofree gchar *id = g_strdup_printf (
      "mcumixminus-%08x/%s", self->stream_salt, GST_PAD_NAME (srcpad));
  GstEvent *event = gst_event_new_stream_start (id);

  gst_event_set_group_id (event, self->group_id);
  return event;
}

static gboolean
has_sticky (GstPad *pad, GstEventType type)
{
  GstEvent *event = gst_pad_get_sticky_event (pad, type, 0);

  if (event == NULL)
    return FALSE;
  gst_event_unref (event);
  return TRUE;
}

/* Makes sure src_N has stream-start, caps and the segment of `src`, in that
 * order, before data. Called with the src_N stream lock, under which
 * deactivating src_N drops its sticky events. Returns whether src_N now
 * holds all three; the caller drops its buffer otherwise (data before a
 * segment is a GStreamer error) and the next buffer sends what is missing.
 * They are missing:
 * - when `src` has no segment. A pipeline that stops (SIGTERM, the room's
 *   last participant leaving) while the task mixes its first frame
 *   deactivates `src` first and joins the task after: GstAggregator's
 *   finish_buffer then stores no segment on the inactive `src`, pushes
 *   nothing and returns OK, while every src_N is still active (they are
 *   deactivated after `src`). That was the "Got data flow before segment
 *   event" on the room's unlinked src_0 (test stop-during-first-frame).
 * - when src_N is inactive (it stores no sticky event: a released src_N
 *   the task still holds) or flushing (it stores no segment).
 * Each step stops at the first event that would not stick, so src_N never
 * holds a segment without the stream-start before it (src_N becoming
 * active between two pushes would give "Sticky event misordering"). */
static gboolean
send_sticky (McuMixMinus *self, GstPad *srcpad)
{
  GstPad *main_pad = GST_AGGREGATOR_SRC_PAD (self);
  GstEvent *event;
  GstEvent *mine;

  if (!has_sticky (srcpad, GST_EVENT_STREAM_START))
    gst_pad_push_event (srcpad, new_stream_start (self, srcpad));
  if (!has_sticky (srcpad, GST_EVENT_STREAM_START))
    return FALSE;

  if (!gst_pad_has_current_caps (srcpad)) {
    GstCaps *caps = gst_pad_get_current_caps (main_pad);

    if (caps == NULL)
      caps = gst_pad_get_pad_template_caps (srcpad);
    gst_pad_push_event (srcpad, gst_event_new_caps (caps));
    gst_caps_unref (caps);
    if (!gst_pad_has_current_caps (srcpad))
      return FALSE;
  }

  /* Forward the very segment event of `src`: a new one (new segment, or
   * after a flush) has a new pointer, and a flushed src_N has none. */
  event = gst_pad_get_sticky_event (main_pad, GST_EVENT_SEGMENT, 0);
  if (event == NULL)
    return FALSE;
  mine = gst_pad_get_sticky_event (srcpad, GST_EVENT_SEGMENT, 0);
  if (mine != event)
    gst_pad_push_event (srcpad, gst_event_ref (event));
  g_clear_pointer (&mine, gst_event_unref);
  gst_event_unref (event);
  return has_sticky (srcpad, GST_EVENT_SEGMENT);
}

static void
push_output (McuMixMinus *self, GstFlowReturn *last_flow, GstPad *srcpad,
    GstBuffer *buffer)
{
  GstFlowReturn ret;

  GST_PAD_STREAM_LOCK (srcpad);
  if (send_sticky (self, srcpad)) {
    ret = gst_pad_push (srcpad, buffer);
  } else {
    gst_buffer_unref (buffer);
    ret = GST_FLOW_FLUSHING;
  }
  GST_PAD_STREAM_UNLOCK (srcpad);

  /* One output's trouble (unlinked, flushing, EOS downstream) is its own:
   * log the change and keep going. */
  if (ret != *last_flow) {
    GST_DEBUG_OBJECT (srcpad, "push: %s", gst_flow_get_name (ret));
    *last_flow = ret;
  }
}

static void
forward_event (McuMixMinus *self, GstEvent *event)
{
  g_autoptr (GPtrArray) pads = srcpads_collect (self);

  GST_DEBUG_OBJECT (
      self, "mirroring %" GST_PTR_FORMAT " on %u outputs", event, pads->len);
  for (guint i = 0; i < pads->len; i++) {
    GstPad *srcpad = g_ptr_array_index (pads, i);

    if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START) {
      gst_pad_push_event (srcpad, gst_event_ref (event));
      continue;
    }
    GST_PAD_STREAM_LOCK (srcpad);
    if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
      send_sticky (self, srcpad);
    gst_pad_push_event (srcpad, gst_event_ref (event));
    GST_PAD_STREAM_UNLOCK (srcpad);
  }
}

static GstPadProbeReturn
on_src_event (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuMixMinus *self = MCU_MIX_MINUS (user_data);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
    case GST_EVENT_FLUSH_START:
    case GST_EVENT_FLUSH_STOP:
      forward_event (self, event);
      break;
    default:
      break;
  }
  return GST_PAD_PROBE_OK;
}

static gboolean
on_src_n_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  GstAggregator *agg = GST_AGGREGATOR (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS: {
      GstCaps *filter = NULL;
      GstCaps *caps = gst_pad_get_pad_template_caps (pad);

      gst_query_parse_caps (query, &filter);
      if (filter != NULL) {
        GstCaps *tmp =
            gst_caps_intersect_full (filter, caps, GST_CAPS_INTERSECT_FIRST);
        gst_caps_unref (caps);
        caps = tmp;
      }
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    case GST_QUERY_LATENCY: {
      /* The same data as `src`, pushed at the same time; answered here
       * rather than by GstAggregator, whose answer queries every sink pad
       * under the lock the aggregator task waits on: each participant's
       * chain asks when it starts, so N joins were N^2 queries with the
       * mix stalled behind them. */
      GstClockTime latency = 0, duration = 0;

      g_object_get (
          agg, "latency", &latency, "output-buffer-duration", &duration, NULL);
      gst_query_set_latency (
          query, TRUE, latency + duration, GST_CLOCK_TIME_NONE);
      return TRUE;
    }
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

static gboolean
on_src_n_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEEK:
      /* Only `src` seeks: a participant's branch must not move the room. */
      gst_event_unref (event);
      return FALSE;
    case GST_EVENT_LATENCY:
      /* One output's latency is not every input's business (forwarded, it
       * walked every participant's chain on each join). */
      gst_event_unref (event);
      return TRUE;
    default:
      /* reconfigure (caps are fixed), QoS, navigation: nothing to do */
      gst_event_unref (event);
      return TRUE;
  }
}

/* ----- request and release ----- */

static GstPad *
add_src_n (McuMixMinus *self, guint index)
{
  GstElement *element = GST_ELEMENT (self);
  GstPadTemplate *templ =
      gst_element_get_pad_template (element, src_n_template.name_template);
  g_autofree gchar *name = NULL;
  GstPad *srcpad;

  name = g_strdup_printf ("src_%u", index);
  srcpad = gst_pad_new_from_template (templ, name);
  gst_pad_set_query_function (srcpad, on_src_n_query);
  gst_pad_set_event_function (srcpad, on_src_n_event);

  if (gst_pad_is_active (GST_AGGREGATOR_SRC_PAD (self)))
    gst_pad_set_active (srcpad, TRUE);
  if (!gst_element_add_pad (element, srcpad)) {
    gst_pad_set_active (srcpad, FALSE);
    return NULL;
  }
  return srcpad;
}

static GstPad *
mcu_mix_minus_request_new_pad (GstElement *element, GstPadTemplate *templ,
    const gchar *req_name, const GstCaps *caps)
{
  McuMixMinus *self = MCU_MIX_MINUS (element);
  GstPad *sinkpad;
  GstPad *srcpad;
  GstPad *listener = NULL;
  guint index = 0;
  g_autofree gchar *name = NULL;

  /* We number the pads (sink_N, src_N and listeners share N), so that a
   * listener's N is never given to an unnamed request. */
  GST_OBJECT_LOCK (self);
  if (req_name != NULL && strchr (req_name, '%') == NULL &&
      sscanf (req_name, "sink_%u", &index) == 1) {
    self->next_index = MAX (self->next_index, index + 1);
    for (guint i = 0; i < self->listeners->len; i++)
      if (g_str_equal (GST_PAD_NAME (g_ptr_array_index (self->listeners, i)) +
                           strlen ("src_"),
              req_name + strlen ("sink_")))
        listener = gst_object_ref (g_ptr_array_index (self->listeners, i));
  } else {
    index = self->next_index++;
  }
  GST_OBJECT_UNLOCK (self);
  name = g_strdup_printf ("sink_%u", index);

  g_mutex_lock (&self->release_lock);
  sinkpad = GST_ELEMENT_CLASS (mcu_mix_minus_parent_class)
                ->request_new_pad (element, templ, name, caps);
  g_mutex_unlock (&self->release_lock);
  if (sinkpad == NULL) {
    gst_clear_object (&listener);
    return NULL;
  }

  srcpad = listener ? listener : add_src_n (self, index);
  if (srcpad == NULL) {
    GST_WARNING_OBJECT (
        self, "could not add the output of %s", GST_PAD_NAME (sinkpad));
    g_mutex_lock (&self->release_lock);
    GST_ELEMENT_CLASS (mcu_mix_minus_parent_class)
        ->release_pad (element, sinkpad);
    g_mutex_unlock (&self->release_lock);
    return NULL;
  }

  /* Published last: the aggregator task only pushes on a src_N that is
   * added and active. A listener's src_N moves from the full mix to its
   * mix-minus from one frame to the next (same lock as the snapshot). */
  GST_OBJECT_LOCK (self);
  MCU_MIX_MINUS_PAD (sinkpad)->srcpad = gst_object_ref (srcpad);
  if (listener)
    g_ptr_array_remove (self->listeners, listener);
  GST_OBJECT_UNLOCK (self);
  if (listener)
    gst_object_unref (listener); /* ours; the pad holds its own */

  GST_DEBUG_OBJECT (
      self, "added %s and %s", GST_PAD_NAME (sinkpad), GST_PAD_NAME (srcpad));
  return sinkpad;
}

static void
mcu_mix_minus_release_pad (GstElement *element, GstPad *pad)
{
  McuMixMinus *self = MCU_MIX_MINUS (element);
  GstPad *srcpad;

  GST_OBJECT_LOCK (self);
  srcpad = g_steal_pointer (&MCU_MIX_MINUS_PAD (pad)->srcpad);
  if (srcpad != NULL) {
    mcu_mix_minus_prompts_drop_target (&self->prompts, srcpad);
    mcu_mix_minus_gains_drop (&self->gains, srcpad);
  }
  GST_OBJECT_UNLOCK (self);

  GST_DEBUG_OBJECT (self, "releasing %s", GST_PAD_NAME (pad));
  g_mutex_lock (&self->release_lock);
  GST_ELEMENT_CLASS (mcu_mix_minus_parent_class)->release_pad (element, pad);
  g_mutex_unlock (&self->release_lock);

  if (srcpad != NULL) {
    /* Sets src_N flushing, then waits (stream lock) for a push in progress;
     * the aggregator task may still hold a reference but its pushes now
     * fail with FLUSHING, which it ignores. */
    gst_pad_set_active (srcpad, FALSE);
    gst_element_remove_pad (element, srcpad);
    gst_object_unref (srcpad);
  }
}

GstPad *
mcu_mix_minus_request_output (McuMixMinus *self)
{
  GstPad *srcpad;
  guint index;

  GST_OBJECT_LOCK (self);
  index = self->next_index++;
  GST_OBJECT_UNLOCK (self);
  srcpad = add_src_n (self, index);
  if (srcpad == NULL)
    return NULL;
  GST_OBJECT_LOCK (self);
  g_ptr_array_add (self->listeners, gst_object_ref (srcpad));
  GST_OBJECT_UNLOCK (self);
  GST_DEBUG_OBJECT (self, "added listener %s", GST_PAD_NAME (srcpad));
  return gst_object_ref (srcpad);
}

void
mcu_mix_minus_release_output (McuMixMinus *self, GstPad *srcpad)
{
  gboolean listening;

  GST_OBJECT_LOCK (self);
  listening = g_ptr_array_remove (self->listeners, srcpad);
  if (listening) {
    mcu_mix_minus_prompts_drop_target (&self->prompts, srcpad);
    mcu_mix_minus_gains_drop (&self->gains, srcpad);
  }
  GST_OBJECT_UNLOCK (self);
  if (!listening)
    return; /* it has a sink_N now: released with it */
  gst_pad_set_active (srcpad, FALSE);
  gst_element_remove_pad (GST_ELEMENT (self), srcpad);
}

/* ----- mixing (aggregator task) ----- */

static void
release_unlock (McuMixMinus *self)
{
  if (self->release_locked) {
    self->release_locked = FALSE;
    g_mutex_unlock (&self->release_lock);
  }
}

/* How late (on the clock) the frame about to be mixed is, and whether the
 * aggregator gave up waiting for an input (GST_DEBUG=mcumixminus:6; the
 * join and stall benchmarks read it). */
static void
log_lateness (McuMixMinus *self, gboolean timeout)
{
  GstElement *element = GST_ELEMENT (self);
  g_autoptr (GstClock) clock = NULL;
  GstClockTime now, position;

  if (gst_debug_category_get_threshold (GST_CAT_DEFAULT) < GST_LEVEL_LOG ||
      (clock = gst_element_get_clock (element)) == NULL)
    return;
  now = gst_clock_get_time (clock) - gst_element_get_base_time (element);
  GST_OBJECT_LOCK (self);
  position =
      GST_AGGREGATOR_PAD (GST_AGGREGATOR_SRC_PAD (self))->segment.position;
  GST_OBJECT_UNLOCK (self);
  GST_LOG_OBJECT (self,
      "aggregate timeout=%d now=%" G_GUINT64_FORMAT " pos=%" G_GUINT64_FORMAT,
      timeout, now, position);
}

static GstFlowReturn
mcu_mix_minus_aggregate (GstAggregator *agg, gboolean timeout)
{
  McuMixMinus *self = MCU_MIX_MINUS (agg);
  GstFlowReturn ret;

  log_lateness (self, timeout);
  g_mutex_lock (&self->release_lock);
  self->release_locked = TRUE;
  ret = GST_AGGREGATOR_CLASS (mcu_mix_minus_parent_class)
            ->aggregate (agg, timeout);
  release_unlock (self); /* if finish_buffer did not */
  return ret;
}

static GstBuffer *
mcu_mix_minus_create_output_buffer (GstAudioAggregator *aagg, guint num_frames)
{
  McuMixMinus *self = MCU_MIX_MINUS (aagg);

  if (num_frames > self->sum_capacity) {
    g_free (self->sum);
    self->sum = g_new (gint32, num_frames);
    self->sum_capacity = num_frames;
  }
  memset (self->sum, 0, num_frames * sizeof (gint32));
  self->frame_len = num_frames;
  self->frame_serial++;
  GST_OBJECT_LOCK (self);
  self->frame_levels = self->level_interval > 0;
  mcu_mix_minus_select_configure (&self->select, self->gate_threshold_db,
      self->gate_hangover, self->max_talkers);
  mcu_mix_minus_prompts_begin_frame (
      &self->prompts, GST_ELEMENT (self), self->frame_serial);
  GST_OBJECT_UNLOCK (self);
  self->frame_stats =
      self->frame_levels || mcu_mix_minus_select_needs_stats (&self->select);

  return GST_AUDIO_AGGREGATOR_CLASS (mcu_mix_minus_parent_class)
      ->create_output_buffer (aagg, num_frames);
}

/* First contribution of @pad to the current frame: start from silence. */
static void
pad_begin_frame (McuMixMinus *self, McuMixMinusPad *pad)
{
  if (pad->frame_serial == self->frame_serial)
    return;
  if (self->frame_len > pad->own_capacity) {
    g_free (pad->own);
    pad->own = g_new (gint32, self->frame_len);
    pad->own_capacity = self->frame_len;
  }
  memset (pad->own, 0, self->frame_len * sizeof (gint32));
  pad->frame_serial = self->frame_serial;
  pad->has_signal = FALSE;
  pad->header_seen = FALSE;
  pad->frame.sum_squares = 0;
  pad->frame.peak = 0;
}

static gboolean
mcu_mix_minus_aggregate_one_buffer (GstAudioAggregator *aagg,
    GstAudioAggregatorPad *aaggpad, GstBuffer *inbuf, guint in_offset,
    GstBuffer *outbuf, guint out_offset, guint num_frames)
{
  McuMixMinus *self = MCU_MIX_MINUS (aagg);
  McuMixMinusPad *pad = MCU_MIX_MINUS_PAD (aaggpad);
  gboolean mute;
  gint32 gain;
  GstMapInfo map;
  const gint16 *in;
  GstAudioLevelMeta *level;
  int nonzero;

  GST_OBJECT_LOCK (pad);
  mute = pad->mute;
  gain = pad->gain;
  GST_OBJECT_UNLOCK (pad);

  /* a prompt that replaces N's mix takes N out of everyone's */
  if (mute || gain == 0 || num_frames == 0 ||
      pad->exclusive_serial == self->frame_serial)
    return FALSE;
  if ((guint64)out_offset + num_frames > self->frame_len) {
    GST_WARNING_OBJECT (pad, "input beyond the output frame, dropped");
    return FALSE;
  }
  if (!gst_buffer_map (inbuf, &map, GST_MAP_READ))
    return FALSE;
  if (((guint64)in_offset + num_frames) * sizeof (gint16) > map.size) {
    gst_buffer_unmap (inbuf, &map);
    GST_WARNING_OBJECT (pad, "short input buffer, dropped");
    return FALSE;
  }

  pad_begin_frame (self, pad);
  if ((level = gst_buffer_get_audio_level_meta (inbuf)) != NULL)
    mcu_mix_minus_select_note_level (pad, level, gain);
  in = (const gint16 *)map.data + in_offset;
  if (self->frame_stats)
    nonzero = mcu_mix_kernel_accumulate_stats (self->sum + out_offset,
        pad->own + out_offset, in, num_frames, gain, &pad->frame);
  else
    nonzero = mcu_mix_kernel_accumulate (
        self->sum + out_offset, pad->own + out_offset, in, num_frames, gain);
  gst_buffer_unmap (inbuf, &map);

  if (nonzero)
    pad->has_signal = TRUE;
  /* TRUE clears GAP on the output; finish_buffer sets it again if the
   * selection leaves the frame without a contributor. */
  return nonzero != 0;
}

static void
render_mix (McuMixMinus *self, GstBuffer *outbuf, guint n)
{
  GstMapInfo map;

  if (!gst_buffer_map (outbuf, &map, GST_MAP_WRITE))
    return;
  mcu_mix_kernel_limit ((gint16 *)map.data, self->sum, n, &self->limiter);
  gst_buffer_unmap (outbuf, &map);
}

/* limit (sum - own) for @pad, timed like @mix; GAP when @pad was the only
 * contributor (the others are silent). */
static GstBuffer *
render_mix_minus (McuMixMinus *self, McuMixMinusPad *pad, GstBuffer *mix,
    guint n, gboolean alone)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, n * sizeof (gint16), NULL);
  GstMapInfo map;

  gst_buffer_copy_into (
      buffer, mix, GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  /* copied from the full mix with the other flags: this one is not it */
  GST_BUFFER_FLAG_UNSET (buffer, MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX);
  if (alone)
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_GAP);
  else
    GST_BUFFER_FLAG_UNSET (buffer, GST_BUFFER_FLAG_GAP);

  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  mcu_mix_kernel_mix_minus (
      (gint16 *)map.data, self->sum, pad->own, n, &pad->limiter);
  gst_buffer_unmap (buffer, &map);
  return buffer;
}

static void
push_outputs (McuMixMinus *self, GstBuffer *mix, guint n, guint contributors,
    gboolean announcing)
{
  for (guint i = 0; i < self->outputs->len; i++) {
    McuMixMinusOutput *o = &g_array_index (self->outputs, McuMixMinusOutput, i);
    GstBuffer *buffer;

    if (o->srcpad == NULL)
      continue;
    if (mcu_mix_minus_prompts_owns_output (
            &self->prompts, o->srcpad, self->frame_serial)) {
      buffer = mcu_mix_minus_prompts_render_output (&self->prompts, o->srcpad,
          o->pad, self->sum, mix, n, self->frame_serial);
    } else if (o->pad->contributes) {
      buffer = render_mix_minus (
          self, o->pad, mix, n, contributors == 1 && !announcing);
    } else {
      /* Same output as `src`: share the buffer, and the limiter state so
       * that the switch back to an own buffer is seamless. */
      buffer = gst_buffer_ref (mix);
      o->pad->limiter = self->limiter;
    }
    /* at another volume: its own buffer, never the shared one */
    buffer = mcu_mix_minus_gains_apply (buffer, mix, n, o->gain);
    push_output (self, &o->pad->last_flow, o->srcpad, buffer);
  }
  /* Listeners contribute nothing: they hear everyone. */
  for (guint i = 0; i < self->listening->len; i++) {
    GstPad *srcpad = g_ptr_array_index (self->listening, i);
    GstFlowReturn last = GST_FLOW_OK;
    GstBuffer *buffer =
        mcu_mix_minus_prompts_owns_output (
            &self->prompts, srcpad, self->frame_serial)
            ? mcu_mix_minus_prompts_render_output (&self->prompts, srcpad, NULL,
                  self->sum, mix, n, self->frame_serial)
            : gst_buffer_ref (mix);

    buffer = mcu_mix_minus_gains_apply (
        buffer, mix, n, g_array_index (self->listening_gains, gint32, i));
    push_output (self, &last, srcpad, buffer);
  }
}

/* Adds the frame's statistics of every pad to its level sums: from its
 * audio (after mute and volume), whether or not it passed the selection. */
static void
fold_levels (McuMixMinus *self)
{
  for (guint i = 0; i < self->outputs->len; i++) {
    McuMixMinusPad *pad =
        g_array_index (self->outputs, McuMixMinusOutput, i).pad;

    if (pad->frame_serial != self->frame_serial)
      continue;
    pad->level.sum_squares += pad->frame.sum_squares;
    pad->level.peak = MAX (pad->level.peak, pad->frame.peak);
  }
}

static GstStructure *
pad_level (McuMixMinus *self, McuMixMinusPad *pad)
{
  g_autofree gchar *name = gst_object_get_name (GST_OBJECT (pad));
  GstStructure *s = gst_structure_new ("level", "pad", G_TYPE_STRING, name,
      "rms-db", G_TYPE_DOUBLE,
      mcu_mix_kernel_stats_rms_db (&pad->level, self->level_frames), "peak-db",
      G_TYPE_DOUBLE, mcu_mix_kernel_stats_peak_db (&pad->level), NULL);

  pad->level.sum_squares = 0;
  pad->level.peak = 0;
  return s;
}

static void
post_levels (McuMixMinus *self, GstBuffer *mix)
{
  GstClockTime end = GST_BUFFER_PTS (mix);
  GstClockTime duration = gst_util_uint64_scale_int (
      self->level_frames, GST_SECOND, MCU_MIX_MINUS_RATE);
  GValue pads = G_VALUE_INIT;
  GstStructure *s;

  if (GST_CLOCK_TIME_IS_VALID (end) && GST_BUFFER_DURATION_IS_VALID (mix))
    end += GST_BUFFER_DURATION (mix);
  GST_OBJECT_LOCK (self);
  end = gst_segment_to_running_time (
      &GST_AGGREGATOR_PAD (GST_AGGREGATOR_SRC_PAD (self))->segment,
      GST_FORMAT_TIME, end);
  GST_OBJECT_UNLOCK (self);

  g_value_init (&pads, GST_TYPE_LIST);
  for (guint i = 0; i < self->outputs->len; i++) {
    McuMixMinusOutput *o = &g_array_index (self->outputs, McuMixMinusOutput, i);
    GValue v = G_VALUE_INIT;

    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v, pad_level (self, o->pad));
    gst_value_list_append_and_take_value (&pads, &v);
  }

  s = gst_structure_new ("mcu-level", "running-time", G_TYPE_UINT64, end,
      "duration", G_TYPE_UINT64, duration, NULL);
  gst_structure_take_value (s, "pads", &pads);
  gst_element_post_message (
      GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
  self->level_frames = 0;
}

static void
update_levels (McuMixMinus *self, GstBuffer *mix, guint n)
{
  guint64 interval;

  GST_OBJECT_LOCK (self);
  interval = self->level_interval;
  GST_OBJECT_UNLOCK (self);

  if (interval == 0) {
    self->level_frames = 0;
    return;
  }
  self->level_frames += n;
  if (gst_util_uint64_scale_int (
          self->level_frames, GST_SECOND, MCU_MIX_MINUS_RATE) >= interval)
    post_levels (self, mix);
}

static GstFlowReturn
mcu_mix_minus_finish_buffer (GstAggregator *agg, GstBuffer *outbuf)
{
  McuMixMinus *self = MCU_MIX_MINUS (agg);
  guint n = gst_buffer_get_size (outbuf) / sizeof (gint16);
  guint contributors;
  gboolean announcing;
  GstBuffer *mix;
  GstFlowReturn ret;

  /* Still under release_lock: exactly the pads that were mixed. */
  outputs_collect (self);
  /* The mixing loop is over: pads may come and go again. */
  release_unlock (self);

  /* The last buffer before EOS may be shorter than the frame. */
  n = MIN (n, self->frame_len);
  contributors = mcu_mix_minus_select_run (
      &self->select, self->outputs, self->frame_serial, self->sum, n);
  if (self->frame_levels)
    fold_levels (self);
  announcing = mcu_mix_minus_prompts_render (
      &self->prompts, GST_ELEMENT (self), self->frame_serial, self->sum, n);
  render_mix (self, outbuf, n);
  /* GstAudioAggregator marks a frame whose inputs are all GAP or silent
   * GAP before we add the announcements: they are audio (the listeners and
   * the lone parties share this buffer, and GAP reads as silence). */
  if (contributors == 0 && !announcing)
    GST_BUFFER_FLAG_SET (outbuf, GST_BUFFER_FLAG_GAP);
  else
    GST_BUFFER_FLAG_UNSET (outbuf, GST_BUFFER_FLAG_GAP);
  /* Set while we hold the only reference; every shared src_N gets this
   * very buffer (see push_outputs), private ones clear it. */
  GST_BUFFER_FLAG_SET (outbuf, MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX);

  /* `src` first: the aggregator pushes its stream-start, caps and segment
   * there, and the outputs follow that segment. */
  mix = gst_buffer_ref (outbuf);
  ret = GST_AGGREGATOR_CLASS (mcu_mix_minus_parent_class)
            ->finish_buffer (agg, outbuf);
  if (ret != self->last_flow) {
    GST_DEBUG_OBJECT (self, "push on src: %s", gst_flow_get_name (ret));
    self->last_flow = ret;
  }
  /* The full mix is optional (recording): nobody listening there must not
   * stop the participants' outputs. Flushing and errors do stop. */
  if (ret == GST_FLOW_NOT_LINKED || ret == GST_FLOW_EOS)
    ret = GST_FLOW_OK;

  if (ret == GST_FLOW_OK)
    push_outputs (self, mix, n, contributors, announcing);
  update_levels (self, mix, n);

  outputs_clear (self);
  gst_buffer_unref (mix);
  return ret;
}

/* ----- state ----- */

static gboolean
reset_pad (GstElement *element, GstPad *pad, gpointer user_data)
{
  McuMixMinusPad *mpad = MCU_MIX_MINUS_PAD (pad);

  mcu_mix_kernel_limiter_init (&mpad->limiter);
  memset (&mpad->talker, 0, sizeof (mpad->talker));
  mpad->contributes = FALSE;
  mpad->level.sum_squares = 0;
  mpad->level.peak = 0;
  mpad->last_flow = GST_FLOW_OK;
  return TRUE;
}

static void
reset (McuMixMinus *self)
{
  mcu_mix_kernel_limiter_init (&self->limiter);
  mcu_mix_minus_select_reset (&self->select);
  self->level_frames = 0;
  self->last_flow = GST_FLOW_OK;
  gst_element_foreach_sink_pad (GST_ELEMENT (self), reset_pad, NULL);
}

static gboolean
mcu_mix_minus_start (GstAggregator *agg)
{
  reset (MCU_MIX_MINUS (agg));
  return GST_AGGREGATOR_CLASS (mcu_mix_minus_parent_class)->start (agg);
}

static gboolean
mcu_mix_minus_stop (GstAggregator *agg)
{
  McuMixMinus *self = MCU_MIX_MINUS (agg);
  gboolean ret;

  ret = GST_AGGREGATOR_CLASS (mcu_mix_minus_parent_class)->stop (agg);
  reset (self);
  return ret;
}

static GstFlowReturn
mcu_mix_minus_flush (GstAggregator *agg)
{
  /* The task is stopped: a flush restarts every output from silence. */
  reset (MCU_MIX_MINUS (agg));
  return GST_AGGREGATOR_CLASS (mcu_mix_minus_parent_class)->flush (agg);
}

/* ----- GObject ----- */

static void
mcu_mix_minus_get_property (
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  McuMixMinus *self = MCU_MIX_MINUS (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LEVEL_INTERVAL:
      g_value_set_uint64 (value, self->level_interval);
      break;
    case PROP_GATE_THRESHOLD_DB:
      g_value_set_double (value, self->gate_threshold_db);
      break;
    case PROP_GATE_HANGOVER:
      g_value_set_uint64 (value, self->gate_hangover);
      break;
    case PROP_MAX_TALKERS:
      g_value_set_uint (value, self->max_talkers);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
mcu_mix_minus_set_property (
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  McuMixMinus *self = MCU_MIX_MINUS (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LEVEL_INTERVAL:
      self->level_interval = g_value_get_uint64 (value);
      break;
    case PROP_GATE_THRESHOLD_DB:
      self->gate_threshold_db = g_value_get_double (value);
      break;
    case PROP_GATE_HANGOVER:
      self->gate_hangover = g_value_get_uint64 (value);
      break;
    case PROP_MAX_TALKERS:
      self->max_talkers = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
mcu_mix_minus_finalize (GObject *object)
{
  McuMixMinus *self = MCU_MIX_MINUS (object);

  outputs_clear (self);
  g_array_unref (self->outputs);
  g_ptr_array_unref (self->listening);
  g_array_unref (self->listening_gains);
  g_ptr_array_unref (self->listeners);
  mcu_mix_minus_gains_clear (&self->gains);
  g_free (self->sum);
  mcu_mix_minus_select_clear (&self->select);
  mcu_mix_minus_prompts_clear (&self->prompts);
  g_mutex_clear (&self->release_lock);

  G_OBJECT_CLASS (mcu_mix_minus_parent_class)->finalize (object);
}

static void
install_properties (GObjectClass *gobject_class)
{
  const GParamFlags flags =
      G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING | G_PARAM_STATIC_STRINGS;

  g_object_class_install_property (gobject_class, PROP_LEVEL_INTERVAL,
      g_param_spec_uint64 ("level-interval", "Level interval",
          "Post an mcu-level element message at most every this many "
          "nanoseconds of output (0 = off)",
          0, G_MAXUINT64, DEFAULT_LEVEL_INTERVAL, flags));
  g_object_class_install_property (gobject_class, PROP_GATE_THRESHOLD_DB,
      g_param_spec_double ("gate-threshold-db", "Gate threshold",
          "A pad whose frame RMS (dBFS, after mute and volume) is below this "
          "contributes nothing, unless it was above it within gate-hangover "
          "(-127 = off)",
          MCU_MIX_KERNEL_FLOOR_DB, 0.0, DEFAULT_GATE_THRESHOLD_DB, flags));
  g_object_class_install_property (gobject_class, PROP_GATE_HANGOVER,
      g_param_spec_uint64 ("gate-hangover", "Gate hangover",
          "How long (ns) the gate stays open after the last frame above "
          "gate-threshold-db",
          0, G_MAXUINT64, DEFAULT_GATE_HANGOVER, flags));
  g_object_class_install_property (gobject_class, PROP_MAX_TALKERS,
      g_param_spec_uint ("max-talkers", "Max talkers",
          "Only this many of the loudest pads that pass the gate contribute "
          "to a frame; a selected pad keeps its place unless another is "
          "more than 6 dB louder (0 = unlimited)",
          0, G_MAXUINT, DEFAULT_MAX_TALKERS, flags));
}

static void
mcu_mix_minus_class_init (McuMixMinusClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstAggregatorClass *agg_class = GST_AGGREGATOR_CLASS (klass);
  GstAudioAggregatorClass *aagg_class = GST_AUDIO_AGGREGATOR_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (
      mcu_mix_minus_debug, "mcumixminus", 0, "mix-minus audio mixer");

  gobject_class->get_property = mcu_mix_minus_get_property;
  gobject_class->set_property = mcu_mix_minus_set_property;
  gobject_class->finalize = mcu_mix_minus_finalize;
  install_properties (gobject_class);

  gst_element_class_add_static_pad_template_with_gtype (
      element_class, &src_template, GST_TYPE_AUDIO_AGGREGATOR_PAD);
  gst_element_class_add_static_pad_template_with_gtype (
      element_class, &sink_template, MCU_TYPE_MIX_MINUS_PAD);
  gst_element_class_add_static_pad_template (element_class, &src_n_template);
  gst_element_class_set_static_metadata (element_class, "Mix-minus mixer",
      "Filter/Audio",
      "Mixes all inputs once; gives each input's src_N the "
      "mix of all the others",
      "mcu");

  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (mcu_mix_minus_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (mcu_mix_minus_release_pad);

  agg_class->aggregate = GST_DEBUG_FUNCPTR (mcu_mix_minus_aggregate);
  agg_class->finish_buffer = GST_DEBUG_FUNCPTR (mcu_mix_minus_finish_buffer);
  agg_class->start = GST_DEBUG_FUNCPTR (mcu_mix_minus_start);
  agg_class->stop = GST_DEBUG_FUNCPTR (mcu_mix_minus_stop);
  agg_class->flush = GST_DEBUG_FUNCPTR (mcu_mix_minus_flush);

  aagg_class->create_output_buffer =
      GST_DEBUG_FUNCPTR (mcu_mix_minus_create_output_buffer);
  aagg_class->aggregate_one_buffer =
      GST_DEBUG_FUNCPTR (mcu_mix_minus_aggregate_one_buffer);

  gst_type_mark_as_plugin_api (MCU_TYPE_MIX_MINUS_PAD, 0);
}

static void
mcu_mix_minus_init (McuMixMinus *self)
{
  self->level_interval = DEFAULT_LEVEL_INTERVAL;
  self->gate_threshold_db = DEFAULT_GATE_THRESHOLD_DB;
  self->gate_hangover = DEFAULT_GATE_HANGOVER;
  self->max_talkers = DEFAULT_MAX_TALKERS;
  mcu_mix_minus_select_init (&self->select);
  mcu_mix_minus_prompts_init (&self->prompts);
  g_mutex_init (&self->release_lock);
  self->stream_salt = g_random_int ();
  self->group_id = gst_util_group_id_next ();
  self->outputs = g_array_new (FALSE, FALSE, sizeof (McuMixMinusOutput));
  self->listening = g_ptr_array_new_with_free_func (gst_object_unref);
  self->listening_gains = g_array_new (FALSE, FALSE, sizeof (gint32));
  mcu_mix_minus_gains_init (&self->gains);
  self->listeners = g_ptr_array_new_with_free_func (gst_object_unref);
  mcu_mix_kernel_limiter_init (&self->limiter);
  self->last_flow = GST_FLOW_OK;

  gst_pad_add_probe (GST_AGGREGATOR_SRC_PAD (self),
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_EVENT_FLUSH,
      on_src_event, self, NULL);
}

McuMixMinusPrompts *
mcu_mix_minus_get_prompts (McuMixMinus *self)
{
  return &self->prompts;
}

McuMixMinusGains *
mcu_mix_minus_get_gains (McuMixMinus *self)
{
  return &self->gains;
}

gboolean
mcu_mix_minus_register (GstPlugin *plugin)
{
  /* A process that links this code statically and also loads
   * libgstmcu.so holds two copies of it: register the type that exists
   * first rather than register a second "McuMixMinus". */
  GType type = g_type_from_name ("McuMixMinus");

  if (type == 0)
    type = MCU_TYPE_MIX_MINUS;
  return gst_element_register (plugin, "mcumixminus", GST_RANK_NONE, type);
}
