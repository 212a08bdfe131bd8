/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: video lateness and the decoder's late gate, see
 * mcu-late-gate-private.h. */
#include "mcu-late-gate-private.h"

GST_DEBUG_CATEGORY_STATIC (late_debug);
#define GST_CAT_DEFAULT late_debug

static void
ensure_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (
        late_debug, "mcuvideolate", 0, "mcu: late video frames dropped");
    g_once_init_leave (&done, 1);
  }
}

GstClockTimeDiff
mcu_late_gate_lateness (GstPad *pad, GstBuffer *buf, GstClockTime latency,
    GstClockTime *running_out)
{
  GstElement *element;
  GstClock *clock = NULL;
  GstEvent *event = NULL;
  GstClockTimeDiff late = 0;

  if (running_out)
    *running_out = GST_CLOCK_TIME_NONE;
  if (!GST_BUFFER_PTS_IS_VALID (buf) ||
      (element = gst_pad_get_parent_element (pad)) == NULL)
    return 0;
  clock = gst_element_get_clock (element);
  event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  if (clock && event) {
    const GstSegment *segment;
    GstClockTime running;

    gst_event_parse_segment (event, &segment);
    running = segment->format == GST_FORMAT_TIME
                  ? gst_segment_to_running_time (
                        segment, GST_FORMAT_TIME, GST_BUFFER_PTS (buf))
                  : GST_CLOCK_TIME_NONE;
    if (GST_CLOCK_TIME_IS_VALID (running)) {
      GstClockTimeDiff now = GST_CLOCK_DIFF (
          gst_element_get_base_time (element), gst_clock_get_time (clock));

      late = now - (GstClockTimeDiff)(running + latency);
      if (running_out)
        *running_out = running;
    }
  }
  g_clear_pointer (&event, gst_event_unref);
  g_clear_object (&clock);
  gst_object_unref (element);
  return late;
}

void
mcu_late_gate_trace (GstPad *pad, GstBuffer *buf, const gchar *stage)
{
  ensure_debug ();
  if (gst_debug_category_get_threshold (late_debug) < GST_LEVEL_LOG)
    return;
  GST_LOG_OBJECT (pad, "%s %" GST_STIME_FORMAT " after its time", stage,
      GST_STIME_ARGS (mcu_late_gate_lateness (pad, buf, 0, NULL)));
}

gboolean
mcu_late_gate_qos (
    GstPad *pad, GstBuffer *buf, GstClockTime latency, GstClockTime max)
{
  GstClockTime running;
  GstClockTimeDiff late;

  ensure_debug ();
  if (!GST_CLOCK_TIME_IS_VALID (latency))
    return FALSE;
  late = mcu_late_gate_lateness (pad, buf, latency, &running);
  GST_LOG_OBJECT (pad,
      "composed %" GST_STIME_FORMAT
      " after its due time (latency %" GST_TIME_FORMAT ")",
      GST_STIME_ARGS (late), GST_TIME_ARGS (latency));
  if (late <= (GstClockTimeDiff)max)
    return FALSE;
  GST_DEBUG_OBJECT (pad, "%" GST_STIME_FORMAT " behind: skip to the clock",
      GST_STIME_ARGS (late));
  return gst_pad_send_event (
      pad, gst_event_new_qos (GST_QOS_TYPE_UNDERFLOW, 1.0, late, running));
}

void
mcu_late_gate_init (McuLateGate *gate)
{
  ensure_debug ();
  gate->budget_ms = -1;
  gate->dropping = gate->was_over = FALSE;
  gate->asked = GST_CLOCK_TIME_NONE;
  gate->dropped = gate->drops = 0;
  gate->have_segment = FALSE;
  gate->clock = NULL;
  gate->base_time = 0;
}

void
mcu_late_gate_set_budget (McuLateGate *gate, GstClockTime budget)
{
  g_atomic_int_set (&gate->budget_ms,
      GST_CLOCK_TIME_IS_VALID (budget) ? (gint)(budget / GST_MSECOND) : -1);
}

/* While dropping: ask again every MCU_LATE_GATE_REQUEST_INTERVAL (the
 * request or the keyframe may be lost). */
static McuLateGateVerdict
drop (McuLateGate *gate)
{
  GstClockTime now = (GstClockTime)g_get_monotonic_time () * GST_USECOND;

  g_atomic_int_inc (&gate->dropped);
  if (GST_CLOCK_TIME_IS_VALID (gate->asked) &&
      now - gate->asked < MCU_LATE_GATE_REQUEST_INTERVAL)
    return MCU_LATE_GATE_DROP;
  gate->asked = now;
  return MCU_LATE_GATE_DROP_ASK_KEYFRAME;
}

void
mcu_late_gate_reset (McuLateGate *gate)
{
  gate->dropping = gate->was_over = FALSE;
  mcu_late_gate_clear (gate);
}

void
mcu_late_gate_clear (McuLateGate *gate)
{
  gate->have_segment = FALSE;
  gst_clear_object (&gate->clock);
}

void
mcu_late_gate_event (McuLateGate *gate, GstEvent *event)
{
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &gate->segment);
      gate->have_segment = TRUE;
      break;
    case GST_EVENT_FLUSH_STOP:
    case GST_EVENT_STREAM_START:
      gate->have_segment = FALSE;
      break;
    default:
      break;
  }
}

/* mcu_late_gate_lateness (@latency 0) with what the gate keeps: the
 * segment, and the element's clock and base time while they stay the
 * same. */
static GstClockTimeDiff
gate_lateness (McuLateGate *gate, GstPad *pad, GstBuffer *buf)
{
  GstElement *element = GST_ELEMENT_CAST (GST_OBJECT_PARENT (pad));
  GstClockTime running;

  /* (the pad is its element's while it streams: no ref needed) */
  if (!GST_BUFFER_PTS_IS_VALID (buf) || element == NULL)
    return 0;
  if (!gate->have_segment) {
    GstEvent *event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);

    if (event == NULL)
      return 0;
    mcu_late_gate_event (gate, event);
    gst_event_unref (event);
  }
  GST_OBJECT_LOCK (element);
  if (GST_ELEMENT_CLOCK (element) != gate->clock ||
      element->base_time != gate->base_time) {
    gst_clear_object (&gate->clock);
    if (GST_ELEMENT_CLOCK (element))
      gate->clock = gst_object_ref (GST_ELEMENT_CLOCK (element));
    gate->base_time = element->base_time;
  }
  GST_OBJECT_UNLOCK (element);
  if (gate->clock == NULL || gate->segment.format != GST_FORMAT_TIME)
    return 0;
  running = gst_segment_to_running_time (
      &gate->segment, GST_FORMAT_TIME, GST_BUFFER_PTS (buf));
  if (!GST_CLOCK_TIME_IS_VALID (running))
    return 0;
  return GST_CLOCK_DIFF (gate->base_time, gst_clock_get_time (gate->clock)) -
         (GstClockTimeDiff)running;
}

McuLateGateVerdict
mcu_late_gate_check (McuLateGate *gate, GstPad *pad, GstBuffer *buf)
{
  GstClockTimeDiff late, budget;
  gboolean over, behind;
  gint budget_ms;

  if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
    gate->dropping = gate->was_over = FALSE;
    return MCU_LATE_GATE_PASS;
  }
  if (gate->dropping)
    return drop (gate);
  budget_ms = g_atomic_int_get (&gate->budget_ms);
  if (budget_ms < 0)
    return MCU_LATE_GATE_PASS;
  late = gate_lateness (gate, pad, buf);
  GST_LOG_OBJECT (pad,
      "frame %" GST_STIME_FORMAT " after its time (budget %d ms)",
      GST_STIME_ARGS (late), budget_ms);
  budget = (GstClockTimeDiff)budget_ms * GST_MSECOND;
  over = late > budget;
  behind =
      over && ((gate->was_over && late >= gate->last_late) ||
                  late > budget + (GstClockTimeDiff)MCU_LATE_GATE_CATCH_UP);
  gate->was_over = over;
  gate->last_late = late;
  if (!behind)
    return MCU_LATE_GATE_PASS;
  gate->was_over = FALSE;
  GST_DEBUG_OBJECT (pad,
      "%" GST_STIME_FORMAT " late: dropping until a keyframe",
      GST_STIME_ARGS (late));
  gate->dropping = TRUE;
  /* a new drop asks at once, unless the last drop's request was just now
   * (overloaded for good: not after every keyframe) */
  g_atomic_int_inc (&gate->drops);
  return drop (gate);
}

guint
mcu_late_gate_get_dropped (McuLateGate *gate)
{
  return (guint)g_atomic_int_get (&gate->dropped);
}

guint
mcu_late_gate_get_drops (McuLateGate *gate)
{
  return (guint)g_atomic_int_get (&gate->drops);
}
