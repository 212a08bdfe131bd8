/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcumixminus's src_N outputs (see the design note in
 * mcu-mix-minus.c for the threads and locks): their sticky events, pushing
 * on them, mirroring `src`'s events and answering their queries, and
 * requesting and releasing sink_N/src_N pairs and listeners. */
#include "mcu-mix-minus.h"

#include "mcu-mix-minus-element-private.h"
#include "mcu-mix-minus-private.h"

#include <stdio.h>
#include <string.h>

#define GST_CAT_DEFAULT mcu_mix_minus_debug
/* G_DEFINE_FINAL_TYPE keeps its parent class pointer in mcu-mix-minus.c */
#define mcu_mix_minus_parent_class g_type_class_peek (GST_TYPE_AUDIO_AGGREGATOR)

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
send_sticky (McuMixMinus *self, GstPad *srcpad, GstEvent *segment)
{
  GstPad *main_pad = GST_AGGREGATOR_SRC_PAD (self);
  GstEvent *event;
  GstEvent *mine;

  /* every frame but the first: src_N holds `src`'s very segment, so the
   * stream-start and caps sent before it (deactivating src_N drops all
   * three; a flush only the segment): one look-up, not five */
  if (segment != NULL) {
    mine = gst_pad_get_sticky_event (srcpad, GST_EVENT_SEGMENT, 0);
    if (mine != NULL) {
      gst_event_unref (mine);
      if (mine == segment)
        return TRUE;
    }
  }
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
  event = segment ? gst_event_ref (segment)
                  : gst_pad_get_sticky_event (main_pad, GST_EVENT_SEGMENT, 0);
  if (event == NULL)
    return FALSE;
  mine = gst_pad_get_sticky_event (srcpad, GST_EVENT_SEGMENT, 0);
  if (mine != event)
    gst_pad_push_event (srcpad, gst_event_ref (event));
  g_clear_pointer (&mine, gst_event_unref);
  gst_event_unref (event);
  return has_sticky (srcpad, GST_EVENT_SEGMENT);
}

void
mcu_mix_minus_push_output (McuMixMinus *self, GstFlowReturn *last_flow,
    GstPad *srcpad, GstEvent *segment, GstBuffer *buffer)
{
  GstFlowReturn ret;

  GST_PAD_STREAM_LOCK (srcpad);
  if (send_sticky (self, srcpad, segment)) {
    /* the shared full mix may take the application's shorter way */
    if (mcu_mix_minus_shared_handle (srcpad, segment, buffer)) {
      gst_buffer_unref (buffer);
      ret = GST_FLOW_OK;
    } else {
      ret = gst_pad_push (srcpad, buffer);
    }
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
      send_sticky (self, srcpad, NULL);
    gst_pad_push_event (srcpad, gst_event_ref (event));
    GST_PAD_STREAM_UNLOCK (srcpad);
  }
}

GstPadProbeReturn
mcu_mix_minus_on_src_event (
    GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
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
  GstPadTemplate *templ = gst_element_get_pad_template (element, "src_%u");
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

GstPad *
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

void
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
  gst_object_ref (pad);
  g_mutex_lock (&self->release_lock);
  GST_ELEMENT_CLASS (mcu_mix_minus_parent_class)->release_pad (element, pad);
  g_mutex_unlock (&self->release_lock);
  /* a jitter buffer waiting for room asks again (and finds no one) */
  mcu_mix_minus_pad_wake (MCU_MIX_MINUS_PAD (pad));
  gst_object_unref (pad);

  if (srcpad != NULL) {
    /* Sets src_N flushing, then waits (stream lock) for a push in progress;
     * the aggregator task may still hold a reference but its pushes now
     * fail with FLUSHING, which it ignores. */
    gst_pad_set_active (srcpad, FALSE);
    gst_element_remove_pad (element, srcpad);
    mcu_mix_minus_shared_drop (srcpad);
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
  mcu_mix_minus_shared_drop (srcpad);
}
