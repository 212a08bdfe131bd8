/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcumixminus keeps real time (max-lag). A live aggregator whose
 * task falls behind the clock (a machine too busy for it: the joins of a
 * 1,000-caller meeting on two cores) mixes every frame it missed, back to
 * back, and stays as far behind as it fell until it has the CPU to catch
 * up. Its retimed inputs are placed by the clock (mcu-mix-minus-pad.c), so
 * a mix more than a ring's window (400 ms) behind read none of them: in
 * meeting_bench at 1,000 callers the mix ended the joins 1.5 s behind,
 * then fell further behind by 1-3 % (every decoded listener heard 0 % of
 * its packets, for the whole run). Past max-lag the mix skips the frames
 * it missed instead: its position jumps to the frame now due, the next
 * buffer is DISCONT and its time jumps as much (the listeners' RTP time
 * stamps jump, as after a pause), and the retimed inputs are read again
 * from where they are placed.
 *
 * How: GstAudioAggregator times its output by a private sample counter
 * from the output segment's start, so the skip moves the segment's start,
 * base, time and position by the same whole number of frames. A position
 * maps to the same running and stream time as before (what downstream was
 * told in the segment event stays true) while the counter's frames now
 * start that much later. An input queued in the aggregator (the room's
 * clock source; a caller's pad before its ring) keeps up by itself: what
 * it has from before the new start is outside the output segment and
 * dropped, and a pad that had nothing for a frame mixed at a timeout is
 * placed again by the running time of its next buffer (test
 * /mixminus/retime/keep-real-time). Its queue holds a frame or two, never
 * data further ahead than a skip. The rings keep no sample positions.
 *
 * Thread: the aggregator task (from aggregate), with the element's object
 * lock for the segment. */
#include "mcu-mix-minus-element-private.h"

#define GST_CAT_DEFAULT mcu_mix_minus_debug

/* How late (on the clock) the frame about to be mixed is, and whether the
 * aggregator gave up waiting for an input (GST_DEBUG=mcumixminus:6; the
 * join and stall benchmarks read it). */
void
mcu_mix_minus_log_lateness (McuMixMinus *self, gboolean timeout)
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

/* With the object lock: how far the frame about to be mixed is behind
 * the time it is due (its running time plus @latency) at @now; 0 when it
 * is not, or not known. */
static GstClockTime
lag_locked (McuMixMinus *self, GstClockTime now, GstClockTime latency)
{
  GstSegment *segment =
      &GST_AGGREGATOR_PAD (GST_AGGREGATOR_SRC_PAD (self))->segment;
  GstClockTime rt;

  if (segment->format != GST_FORMAT_TIME || segment->rate != 1.0 ||
      !GST_CLOCK_TIME_IS_VALID (segment->position))
    return 0;
  rt =
      gst_segment_to_running_time (segment, GST_FORMAT_TIME, segment->position);
  if (!GST_CLOCK_TIME_IS_VALID (rt) || rt + latency >= now)
    return 0;
  return now - rt - latency;
}

void
mcu_mix_minus_keep_real_time (McuMixMinus *self)
{
  GstElement *element = GST_ELEMENT (self);
  g_autoptr (GstClock) clock = NULL;
  GstClockTime max_lag, latency, now, base, lag, frame = 0, skip;
  GstSegment *segment;

  GST_OBJECT_LOCK (self);
  max_lag = self->max_lag;
  GST_OBJECT_UNLOCK (self);
  if (max_lag == 0 || (clock = gst_element_get_clock (element)) == NULL)
    return;
  latency = gst_aggregator_get_latency (GST_AGGREGATOR (self));
  now = gst_clock_get_time (clock);
  base = gst_element_get_base_time (element);
  if (!GST_CLOCK_TIME_IS_VALID (latency) || now < base)
    return;
  now -= base;
  GST_OBJECT_LOCK (self);
  lag = lag_locked (self, now, latency);
  GST_OBJECT_UNLOCK (self);
  if (lag <= max_lag)
    return;

  /* (the object lock is the property's) */
  g_object_get (self, "output-buffer-duration", &frame, NULL);
  if (frame == 0)
    return;
  GST_OBJECT_LOCK (self);
  segment = &GST_AGGREGATOR_PAD (GST_AGGREGATOR_SRC_PAD (self))->segment;
  lag = lag_locked (self, now, latency);
  skip = lag / frame * frame;
  if (skip > 0) {
    segment->start += skip;
    segment->base += skip;
    segment->time += skip;
    segment->position += skip;
    if (GST_CLOCK_TIME_IS_VALID (segment->stop))
      segment->stop += skip;
    self->frames_skipped += skip / frame;
    self->skip_discont = TRUE;
  }
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self,
      "%" GST_TIME_FORMAT " behind the clock: %" G_GUINT64_FORMAT
      " frames skipped",
      GST_TIME_ARGS (lag), (guint64)(skip / frame));
}
