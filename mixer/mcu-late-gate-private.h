/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: how late a video frame is against the pipeline clock, and the gate
 * in front of a participant's decoder that drops frames instead of letting
 * a backlog queue up when the machine cannot keep up (overload).
 *
 * Lateness: the clock's running time now minus (the buffer's running time
 * plus the latency it is allowed), read from the pad's element (clock,
 * base time) and the pad's sticky segment. > 0: late by that much.
 *
 * The decoder gate: a delta frame later than its budget while the decoder
 * is not catching up (the frame before was late too, and no less) or later
 * than the budget plus MCU_LATE_GATE_CATCH_UP in any case is dropped (a
 * decoder that only lost the CPU for a while drains its backlog faster than
 * real time: each frame is less late than the one before, and it goes on),
 * and so is every delta frame after it until a keyframe (H.264 and VP8 delta
 * frames all refer to the frames before them: a decoder missing one shows
 * garbage until the next keyframe), and a keyframe is asked of the sender
 * (at once, then again every MCU_LATE_GATE_REQUEST_INTERVAL while still
 * waiting; never more often, also across drops). A keyframe always passes, late
 * or not: it ends a drop, and dropping one would only ask for another.
 *
 * What lateness needs that stays the same from frame to frame is kept in the
 * gate: the pad's segment (taken from the SEGMENT event the owner passes to
 * mcu_late_gate_event, or looked up once from the pad's sticky event; a
 * flush or a new stream forgets it) and its element's clock with the base
 * time (compared with the element's under its object lock on each frame,
 * and taken again when the element changed either: a state change). So a
 * frame costs one lock and a clock read, not three lookups and refs.
 *
 * Threads: a plain struct owned by one pad probe; check and event run on
 * that pad's streaming thread only; the counters are atomics any thread may
 * read. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define MCU_LATE_GATE_REQUEST_INTERVAL (500 * GST_MSECOND)
#define MCU_LATE_GATE_CATCH_UP         (150 * GST_MSECOND)

typedef enum
{
  MCU_LATE_GATE_PASS,
  MCU_LATE_GATE_DROP,
  MCU_LATE_GATE_DROP_ASK_KEYFRAME, /* drop, and ask the sender for one */
} McuLateGateVerdict;

typedef struct
{
  gint budget_ms;             /* atomic: lateness beyond which a delta frame is
                               * dropped; < 0: never */
  gboolean dropping;          /* until a keyframe (the streaming thread only) */
  gboolean was_over;          /* the last frame was over budget (same thread) */
  GstClockTimeDiff last_late; /* the last frame's lateness (same thread) */
  GstClockTime asked;         /* monotonic time of the last keyframe request */
  gint dropped;               /* atomic: frames dropped */
  gint drops;                 /* atomic: times a drop began */
  /* the streaming thread only: what lateness reads of the pad */
  gboolean have_segment;
  GstSegment segment;
  GstClock *clock; /* (nullable) (owned) the element's, at base_time */
  GstClockTimeDiff base_time; /* (as GstElement's) */
} McuLateGate;

/* @running: (out) (optional) the buffer's running time, or NONE (then the
 * lateness is 0: it cannot be told). */
GstClockTimeDiff mcu_late_gate_lateness (
    GstPad *pad, GstBuffer *buf, GstClockTime latency, GstClockTime *running);

/* Logs (GST_DEBUG=mcuvideolate:6) how late @buf is at @pad, after
 * @stage: where the time goes under load. Nothing unless logged. */
void mcu_late_gate_trace (GstPad *pad, GstBuffer *buf, const gchar *stage);
/* Disabled until a budget is set. */
void mcu_late_gate_init (McuLateGate *gate);
/* For an aggregator's (compositor's) output @buf at its src @pad, due at
 * its running time plus @latency: later than @max past that, the
 * aggregator is behind the clock; a QoS event sent back into it has it skip
 * the frames whose time has passed (GstVideoAggregator drops them without
 * composing). TRUE when it was sent. */
gboolean mcu_late_gate_qos (
    GstPad *pad, GstBuffer *buf, GstClockTime latency, GstClockTime max);
/* Any thread. GST_CLOCK_TIME_NONE: never drop. */
void mcu_late_gate_set_budget (McuLateGate *gate, GstClockTime budget);
/* Its pad is not streaming (its bin was rebuilt): no drop in progress,
 * nothing kept of the pad. */
void mcu_late_gate_reset (McuLateGate *gate);
/* Frees what the gate keeps (its owner goes away). */
void mcu_late_gate_clear (McuLateGate *gate);
/* An event on its way through the gate's pad (before the buffers after it):
 * a segment is kept, a flush or new stream forgets it. */
void mcu_late_gate_event (McuLateGate *gate, GstEvent *event);
/* The verdict on @buf (an access unit: DELTA_UNIT flag set on all but
 * keyframes) on its way through @pad. */
McuLateGateVerdict mcu_late_gate_check (
    McuLateGate *gate, GstPad *pad, GstBuffer *buf);
/* Any thread. */
guint mcu_late_gate_get_dropped (McuLateGate *gate);
guint mcu_late_gate_get_drops (McuLateGate *gate);

G_END_DECLS
