/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuMixMinusPad, the sink_%u pads of mcumixminus and their properties
 * (mute, volume, retime). Setters run on any thread, under the pad's object
 * lock; the aggregator task reads them under the same lock (see
 * mcu-mix-minus.c).
 *
 * Retiming (retime=TRUE, for inputs that come from the network): the pad
 * times its input by when it arrives on the element's clock, not by the
 * latency upstream reports. A live GstAggregator waits for every sink pad
 * until (output time + the largest upstream latency + its own latency): one
 * participant's jitter buffer (60-200 ms) set how long every output waited
 * for a caller that stopped sending (hold without RTP, DTX, a crashed
 * phone), 110-180 ms gaps at every listener. A retimed pad answers latency
 * queries itself (live, 0: the aggregator's deadline stays the clock
 * source's plus its own latency property, and a latency query is no longer
 * a walk through every participant's chain) and restamps each buffer so
 * that it lands in a frame still to be mixed when it arrives: its running
 * time becomes upstream's plus an offset, kept while the input stays within
 * the bounds below and taken again (DISCONT) when it drifts out
 * (a jitter buffer that changed its depth, a stream that resumed). The
 * segment becomes a plain TIME segment from 0, so running time = PTS; GAP
 * events are dropped (the pad simply has no data, which no longer holds
 * the others up beyond the element's latency property).
 *
 * Placement (the offset): from the buffer's own time (upstream's running
 * time: its arrival, or its jitter buffer's playout time), not from when
 * it happened to reach the pad: the first buffer out of rtpjitterbuffer
 * comes its whole latency (60 ms) late, and an offset taken from it kept
 * every later buffer that much later. Each buffer is put on the frame grid
 * so that it fills one frame and is there RETIME_SLACK before that frame
 * is mixed; 20 ms + slack on average were wasted by an arbitrary offset
 * and the clock source's arbitrary phase (46-80 ms added latency for PCMU
 * with the default jitter buffer, measured). A buffer that comes too late
 * for that (a lost packet waited for, a stalled thread) has the input
 * placed by now instead, later (up to RETIME_ABSORB: later buffers are
 * dropped, a stall's backlog); once RETIME_QUIET passed without a late
 * buffer it moves back (the frames in between are skipped), so one stall
 * no longer adds its length to that caller's delay for the rest of the
 * call (PCMU bench: 95-205 ms added after a stall, before).
 *
 * Never blocking a shared pusher: GstAggregator's chain blocks its caller
 * while the pad holds two buffers not fully mixed yet (live, max time level
 * 0 here), and mcujitterbuffer's threads (McuPlayout's workers) serve many
 * callers and rooms. A retimed pad whose pusher asks MCU_JITTER_BUFFER_CAN_TAKE
 * (so is shared) gets a ring (mcu-mix-minus-ring.c) from its first query
 * on: its buffers, retimed as above, are stored there by their running
 * time and never enter the aggregator's queue; the aggregator task reads
 * each ring for the frame it mixes. A write never waits: what does not
 * fit (its frame mixed already, or beyond the ring's 400 ms) is dropped
 * and counted. "Can take" then says whether the ring is filled less than
 * SHARED_ROOM ahead of the mix, so that the jitter buffer keeps what would
 * not fit rather than push it to be dropped. When it answers no it keeps
 * the query's waker (McuJitterBufferWaker), and the aggregator task wakes
 * it after the frame that makes room (the mix's position moved:
 * mcu_mix_minus_pad_wake_waiters); a flush or the pad's release wakes it
 * too. The jitter buffer then pushes one item without asking: no polling.
 * A pad fed the classic way (rtpbin's jitter buffer, a thread per caller
 * that may wait) keeps the aggregator's queue: its back-pressure is
 * harmless there. A pad not retimed refuses the query (pushes as before). */
#include "mcu-mix-minus-private.h"
#include "mcu-mix-minus-element-private.h"
#include "mcu-jitter-buffer.h"

enum
{
  PROP_PAD_0,
  PROP_PAD_MUTE,
  PROP_PAD_VOLUME,
  PROP_PAD_RETIME,
};

#define DEFAULT_PAD_MUTE   FALSE
#define DEFAULT_PAD_VOLUME 1.0
#define DEFAULT_PAD_RETIME FALSE
#define MAX_PAD_VOLUME     10.0

/* Where a retimed input goes (see "Placement" above). The room's clock
 * source pushes 10 ms buffers and its frames start at the first of them
 * (mcu-audio-mix.c), so a frame is mixed RETIME_PHASE after its start
 * when every input has its data by then. An input is placed on the frame
 * grid so that each of its buffers covers one frame and comes
 * RETIME_SLACK or more before that frame is mixed. It is placed again
 * when a buffer would land in a frame already mixed (or more than
 * RETIME_LATE before now, when the element is not mixing) or more than
 * RETIME_EARLY ahead of now. Untimed buffers go RETIME_LEAD after now. */
#define RETIME_PHASE (10 * GST_MSECOND)
#define RETIME_SLACK (10 * GST_MSECOND)
#define RETIME_FRAME (20 * GST_MSECOND)
#define RETIME_LEAD  (20 * GST_MSECOND)
#define RETIME_LATE  (60 * GST_MSECOND)
/* (the jitter buffer's depth above jitter-latency moves an input up to
 * 140 ms later: mcu-audio-decode.c) */
#define RETIME_EARLY (180 * GST_MSECOND)
/* Lateness absorbed (see drop_late), and how long an input absorbing some
 * must have come in time to go back to its own times (move_back). */
#define RETIME_ABSORB   (80 * GST_MSECOND)
#define RETIME_LATE_RUN (200 * GST_MSECOND)
#define RETIME_QUIET    (3 * GST_SECOND)
/* How far ahead of the mix a shared input's ring may be filled before
 * its jitter buffer is told to wait ("can take" no): two frames, so that
 * what is due soon stays in the jitter buffer (its concealment and late
 * handling) and a push of a 200 ms concealment and more still fits the
 * ring's 400 ms. */
#define SHARED_ROOM (2 * RETIME_FRAME)

G_DEFINE_FINAL_TYPE (
    McuMixMinusPad, mcu_mix_minus_pad, GST_TYPE_AUDIO_AGGREGATOR_PAD)

static void
mcu_mix_minus_pad_get_property (
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  McuMixMinusPad *pad = MCU_MIX_MINUS_PAD (object);

  GST_OBJECT_LOCK (pad);
  switch (prop_id) {
    case PROP_PAD_MUTE:
      g_value_set_boolean (value, pad->mute);
      break;
    case PROP_PAD_VOLUME:
      g_value_set_double (value, pad->volume);
      break;
    case PROP_PAD_RETIME:
      g_value_set_boolean (value, pad->retime);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (pad);
}

static void
mcu_mix_minus_pad_set_property (
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  McuMixMinusPad *pad = MCU_MIX_MINUS_PAD (object);

  GST_OBJECT_LOCK (pad);
  switch (prop_id) {
    case PROP_PAD_MUTE:
      pad->mute = g_value_get_boolean (value);
      break;
    case PROP_PAD_VOLUME:
      pad->volume = g_value_get_double (value);
      pad->gain = mcu_mix_kernel_gain_from_volume (pad->volume);
      break;
    case PROP_PAD_RETIME:
      pad->retime = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (pad);
}

static void
mcu_mix_minus_pad_finalize (GObject *object)
{
  McuMixMinusPad *pad = MCU_MIX_MINUS_PAD (object);

  gst_clear_object (&pad->srcpad);
  g_clear_pointer (&pad->own, g_free);
  g_clear_pointer (&pad->waiter, mcu_jitter_buffer_waker_unref);
  g_clear_pointer (&pad->asked_by, mcu_jitter_buffer_waker_unref);
  g_clear_pointer (&pad->asker, mcu_jitter_buffer_asker_unref);
  g_clear_pointer (&pad->ring, mcu_mix_minus_ring_free);
  mcu_decode_wanted_revoke (pad->wanted_line);
  g_clear_pointer (&pad->wanted_line, mcu_decode_wanted_unref);

  G_OBJECT_CLASS (mcu_mix_minus_pad_parent_class)->finalize (object);
}

static void
mcu_mix_minus_pad_class_init (McuMixMinusPadClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags =
      G_PARAM_READWRITE | GST_PARAM_CONTROLLABLE | G_PARAM_STATIC_STRINGS;

  gobject_class->get_property = mcu_mix_minus_pad_get_property;
  gobject_class->set_property = mcu_mix_minus_pad_set_property;
  gobject_class->finalize = mcu_mix_minus_pad_finalize;

  g_object_class_install_property (gobject_class, PROP_PAD_MUTE,
      g_param_spec_boolean ("mute", "Mute",
          "Contribute nothing to the other outputs (this pad's own output "
          "keeps flowing)",
          DEFAULT_PAD_MUTE, flags));
  g_object_class_install_property (gobject_class, PROP_PAD_VOLUME,
      g_param_spec_double ("volume", "Volume",
          "Gain applied to this pad's contribution", 0.0, MAX_PAD_VOLUME,
          DEFAULT_PAD_VOLUME, flags));
  g_object_class_install_property (gobject_class, PROP_PAD_RETIME,
      g_param_spec_boolean ("retime", "Retime",
          "Time this input by its arrival on the element's clock: it reports "
          "no latency and never holds up the mix beyond the element's "
          "latency (set before linking)",
          DEFAULT_PAD_RETIME, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static gboolean
pad_retimed (McuMixMinusPad *pad)
{
  gboolean retime;

  GST_OBJECT_LOCK (pad);
  retime = pad->retime;
  GST_OBJECT_UNLOCK (pad);
  return retime;
}

/* The element's running time now, NONE without a clock. */
static GstClockTime
element_now (GstElement *element)
{
  g_autoptr (GstClock) clock = NULL;
  GstClockTime now, base;

  if (element == NULL || (clock = gst_element_get_clock (element)) == NULL)
    return GST_CLOCK_TIME_NONE;
  now = gst_clock_get_time (clock);
  base = gst_element_get_base_time (element);
  return now >= base ? now - base : 0;
}

/* With the element's object lock: where its output is, the start of the
 * next frame to mix (0 before the first). */
static GstClockTime
element_mixed (GstElement *element)
{
  GstAggregatorPad *src = GST_AGGREGATOR_PAD (GST_AGGREGATOR_SRC_PAD (element));
  GstClockTime mixed = 0;

  if (src->segment.format == GST_FORMAT_TIME &&
      GST_CLOCK_TIME_IS_VALID (src->segment.position))
    mixed = gst_segment_to_running_time (
        &src->segment, GST_FORMAT_TIME, src->segment.position);
  return GST_CLOCK_TIME_IS_VALID (mixed) ? mixed : 0;
}

/* Why a retimed buffer at @at (running time) must be placed again, or
 * NULL. Late is judged by the mix, not by the clock: a buffer whose frame
 * is not mixed yet is in time, however long its thread waited to push it
 * (GstAggregator blocks an input whose queue is full). */
static const gchar *
resync_reason (McuMixMinusPad *pad, GstClockTimeDiff at, GstClockTime now,
    GstClockTime mixed)
{
  if (!pad->in_synced)
    return "first buffer";
  /* (within a millisecond before the mix: an input's own times drift off
   * the grid it was placed on by a few samples as its jitter buffer's
   * mapping follows the network; such a buffer is in time but for those,
   * and a ring starts it at its read position, whole) */
  if (at + (GstClockTimeDiff)GST_MSECOND < (GstClockTimeDiff)mixed ||
      at < (GstClockTimeDiff)now - RETIME_LATE)
    return "late";
  if (at > (GstClockTimeDiff)(now + RETIME_EARLY))
    return "early";
  return NULL;
}

/* The first frame start on the grid of @mixed that is mixed RETIME_SLACK
 * or more after @t (running times; it may be a frame mixed already). */
static GstClockTimeDiff
place (GstClockTimeDiff t, GstClockTime mixed)
{
  GstClockTimeDiff want =
      t + RETIME_SLACK - RETIME_PHASE - (GstClockTimeDiff)mixed;
  GstClockTimeDiff frames = want >= 0 ? (want + RETIME_FRAME - 1) / RETIME_FRAME
                                      : -(-want / RETIME_FRAME);

  return (GstClockTimeDiff)mixed + frames * RETIME_FRAME;
}

/* Sets the offset for a buffer at @rt: placed by its own time (in_anchor)
 * unless that is too late now, then by now. */
static void
place_again (McuMixMinusPad *pad, const gchar *reason, GstClockTime rt,
    GstClockTime now, GstClockTime mixed)
{
  GstClockTimeDiff by_now =
      place ((GstClockTimeDiff)now, mixed) - (GstClockTimeDiff)rt;

  /* (lateness leaves upstream's timeline as it was; far off or ahead,
   * upstream's times are no arrival times) */
  if (!g_str_equal (reason, "late")) {
    pad->in_anchor = place ((GstClockTimeDiff)rt, mixed) - (GstClockTimeDiff)rt;
    if (g_str_equal (reason, "early") ||
        by_now - pad->in_anchor > RETIME_ABSORB)
      pad->in_anchor = by_now;
  }
  /* The first buffers out of rtpjitterbuffer come late (it holds the first
   * packet for its latency): dropped, not followed (in_started). */
  pad->in_started = !g_str_equal (reason, "first buffer");
  pad->in_offset =
      pad->in_started ? MAX (pad->in_anchor, by_now) : pad->in_anchor;
  pad->in_offset =
      MAX (pad->in_offset, (GstClockTimeDiff)mixed - (GstClockTimeDiff)rt);
  pad->in_synced = TRUE;
  pad->in_quiet = now;
  pad->in_late_since = GST_CLOCK_TIME_NONE;
}

/* A late buffer: TRUE to drop it rather than place the input later.
 * Lateness is absorbed (the input placed later) up to RETIME_ABSORB in all;
 * a buffer later than that (a stalled thread, a backlog draining) is
 * dropped unless the input has been late for RETIME_LATE_RUN, and so is
 * any late buffer before one came in time after the first or a move back
 * (in_started: what it would absorb is a backlog). */
static gboolean
drop_late (
    McuMixMinusPad *pad, GstClockTime rt, GstClockTime now, GstClockTime mixed)
{
  GstClockTimeDiff by_now =
      place ((GstClockTimeDiff)now, mixed) - (GstClockTimeDiff)rt;

  pad->in_quiet = now;
  if (!GST_CLOCK_TIME_IS_VALID (pad->in_late_since))
    pad->in_late_since = now;
  if (now >= pad->in_late_since + RETIME_LATE_RUN ||
      (pad->in_started && by_now - pad->in_anchor <= RETIME_ABSORB))
    return FALSE;
  GST_LOG_OBJECT (pad, "dropped: %" GST_STIME_FORMAT " late",
      GST_STIME_ARGS (by_now - pad->in_offset));
  return TRUE;
}

/* Placed later than its own times ask (it came late): back to them once
 * RETIME_QUIET passed without a late buffer (frames skipped: the mixer
 * drops what now overlaps). TRUE when it moved. */
static gboolean
move_back (McuMixMinusPad *pad, GstClockTime now)
{
  GstClockTimeDiff back = pad->in_offset - pad->in_anchor;

  pad->in_late_since = GST_CLOCK_TIME_NONE;
  pad->in_started = TRUE;
  if (back < RETIME_FRAME || now < pad->in_quiet + RETIME_QUIET)
    return FALSE;
  back = back / RETIME_FRAME * RETIME_FRAME;
  GST_DEBUG_OBJECT (
      pad, "%" GST_STIME_FORMAT " earlier again", GST_STIME_ARGS (back));
  pad->in_offset -= back;
  pad->in_quiet = now;
  /* what comes late now is the backlog its lateness left upstream; a
   * ring's pusher (a jitter buffer paced by its own playout times) leaves
   * none: a late buffer after the move is absorbed again (one frame),
   * not dropped for up to RETIME_LATE_RUN (150-280 ms holes, test_plc) */
  pad->in_started = pad->ring != NULL;
  return TRUE;
}

/* A shared pusher's buffer, retimed to @at: its samples go to the ring,
 * not to GstAggregatorPad's queue, whose chain would block this thread
 * (a McuPlayout worker serving many callers) until the mix took them. The
 * ring drops what does not fit, never waits. (ring is only set on this
 * thread: no lock to read it here.) */
static GstPadProbeReturn
store (McuMixMinusPad *pad, GstBuffer *buffer, GstClockTime at,
    gboolean discont, GstClockTime mixed)
{
  GstMapInfo map;
  guint dropped;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return GST_PAD_PROBE_DROP;
  dropped = mcu_mix_minus_ring_write (pad->ring,
      gst_util_uint64_scale_int_round (at, MCU_MIX_MINUS_RATE, GST_SECOND),
      (const gint16 *)map.data, map.size / sizeof (gint16), discont,
      gst_buffer_get_audio_level_meta (buffer),
      gst_util_uint64_scale_int_round (mixed, MCU_MIX_MINUS_RATE, GST_SECOND));
  gst_buffer_unmap (buffer, &map);
  if (dropped > 0)
    GST_DEBUG_OBJECT (pad, "%u samples did not fit in the ring", dropped);
  return GST_PAD_PROBE_DROP;
}

/* The inputs fed by a shared pusher (a ring each, mcu-mix-minus-pad.c):
 * their samples for the frame @outbuf of @n samples. */
void
mcu_mix_minus_mix_rings (McuMixMinus *self, GstBuffer *outbuf, guint n)
{
  GstClockTime start = GST_BUFFER_PTS (outbuf);
  guint64 index;

  GST_OBJECT_LOCK (self);
  if (GST_CLOCK_TIME_IS_VALID (start))
    start = gst_segment_to_running_time (
        &GST_AGGREGATOR_PAD (GST_AGGREGATOR_SRC_PAD (self))->segment,
        GST_FORMAT_TIME, start);
  GST_OBJECT_UNLOCK (self);
  if (!GST_CLOCK_TIME_IS_VALID (start) || n == 0)
    return;
  index =
      gst_util_uint64_scale_int_round (start, MCU_MIX_MINUS_RATE, GST_SECOND);
  if (n > self->ring_capacity) {
    g_free (self->ring_scratch);
    self->ring_scratch = g_new (gint16, n);
    self->ring_capacity = n;
  }
  for (guint i = 0; i < self->outputs->len; i++) {
    McuMixMinusPad *pad =
        g_array_index (self->outputs, McuMixMinusOutput, i).pad;
    McuMixMinusRing *ring = mcu_mix_minus_pad_get_ring (pad);
    McuMixMinusRingLevel got;
    GstAudioLevelMeta levels[2];
    guint n_levels = 0;

    if (ring == NULL ||
        !mcu_mix_minus_ring_read (ring, index, n, self->ring_scratch, &got))
      continue;
    /* as if each part's level had been seen (note_level keeps the
     * loudest, and whether all said silence) */
    if (got.seen)
      levels[n_levels++] = (GstAudioLevelMeta){ .level = got.level };
    if (got.voiced)
      levels[n_levels++] = (GstAudioLevelMeta){ .level = got.voice_level,
        .voice_activity = TRUE };
    mcu_mix_minus_mix_input (
        self, pad, self->ring_scratch, 0, n, levels, n_levels);
  }
}

guint64
mcu_mix_minus_pad_get_late_frames (McuMixMinusPad *pad)
{
  McuMixMinusRing *ring;
  McuMixMinusRingStats stats = { 0 };

  g_return_val_if_fail (MCU_IS_MIX_MINUS_PAD (pad), 0);
  ring = mcu_mix_minus_pad_get_ring (pad);
  if (ring != NULL)
    mcu_mix_minus_ring_get_stats (ring, &stats);
  return stats.cut;
}

McuMixMinusRing *
mcu_mix_minus_pad_get_ring (McuMixMinusPad *pad)
{
  McuMixMinusRing *ring;

  GST_OBJECT_LOCK (pad);
  ring = pad->ring;
  GST_OBJECT_UNLOCK (pad);
  return ring;
}

static GstPadProbeReturn
retime_buffer (McuMixMinusPad *pad, GstPadProbeInfo *info)
{
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  g_autoptr (GstElement) element = gst_pad_get_parent_element (GST_PAD (pad));
  GstClockTime now = element_now (element), mixed = 0, floor;
  GstClockTime rt = GST_CLOCK_TIME_NONE;
  GstClockTimeDiff at;
  const gchar *reason;
  gboolean discont = FALSE;

  if (!GST_CLOCK_TIME_IS_VALID (now))
    return GST_PAD_PROBE_OK;
  GST_OBJECT_LOCK (element);
  mixed = element_mixed (element);
  GST_OBJECT_UNLOCK (element);
  floor = mixed; /* the ring's own position says what it has read */
  /* a ring's frame is read before the mix's position moves past it: a
   * buffer for it is late (placed again), not cut. (The frame's end by
   * the mix's own grid: the ring's position, in samples, may differ from
   * it by a rounding, and a buffer a few ns before the mix is late.) */
  if (pad->ring != NULL &&
      gst_util_uint64_scale_int (mcu_mix_minus_ring_consumed (pad->ring),
          GST_SECOND, MCU_MIX_MINUS_RATE) > mixed + GST_MSECOND)
    mixed += RETIME_FRAME;
  if (GST_BUFFER_PTS_IS_VALID (buffer) &&
      pad->in_segment.format == GST_FORMAT_TIME)
    rt = gst_segment_to_running_time (
        &pad->in_segment, GST_FORMAT_TIME, GST_BUFFER_PTS (buffer));
  if (!GST_CLOCK_TIME_IS_VALID (rt)) {
    /* untimed: it arrives now, and the next one is placed again too */
    pad->in_synced = FALSE;
    at = (GstClockTimeDiff)(now + RETIME_LEAD);
    discont = TRUE;
  } else {
    at = (GstClockTimeDiff)rt + pad->in_offset;
    reason = resync_reason (pad, at, now, mixed);
    if (reason != NULL && g_str_equal (reason, "late") &&
        drop_late (pad, rt, now, mixed))
      return GST_PAD_PROBE_DROP;
    if (reason != NULL) {
      place_again (pad, reason, rt, now, mixed);
      GST_DEBUG_OBJECT (pad,
          "placed again: %s (%" GST_STIME_FORMAT "), %" GST_STIME_FORMAT
          " ahead of now, %" GST_STIME_FORMAT " later than its own times",
          reason, GST_STIME_ARGS (at - (GstClockTimeDiff)now),
          GST_STIME_ARGS (
              (GstClockTimeDiff)rt + pad->in_offset - (GstClockTimeDiff)now),
          GST_STIME_ARGS (pad->in_offset - pad->in_anchor));
      discont = TRUE;
    } else {
      discont = move_back (pad, now);
    }
    at = (GstClockTimeDiff)rt + pad->in_offset;
  }
  /* moved earlier (a jitter buffer made shallower): GstAudioAggregator
   * takes a jump under its alignment threshold for a clock drift unless
   * told */
  GST_OBJECT_LOCK (pad);
  if (GST_CLOCK_TIME_IS_VALID (pad->in_end) &&
      at + (GstClockTimeDiff)GST_MSECOND < (GstClockTimeDiff)pad->in_end)
    discont = TRUE;
  GST_OBJECT_UNLOCK (pad);
  buffer = gst_buffer_make_writable (buffer);
  GST_BUFFER_PTS (buffer) = (GstClockTime)at;
  GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  if (discont)
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  GST_OBJECT_LOCK (pad);
  pad->in_duration = GST_BUFFER_DURATION_IS_VALID (buffer)
                         ? GST_BUFFER_DURATION (buffer)
                         : gst_util_uint64_scale_int (
                               gst_buffer_get_size (buffer) / sizeof (gint16),
                               GST_SECOND, MCU_MIX_MINUS_RATE);
  pad->in_end = (GstClockTime)at + pad->in_duration;
  GST_OBJECT_UNLOCK (pad);
  /* (upstream's DISCONT too: a jitter buffer's catch-up, a resync; the
   * buffer goes at its own time, not after the previous one) */
  if (pad->ring != NULL)
    return store (pad, buffer, (GstClockTime)at,
        GST_BUFFER_IS_DISCONT (buffer) ||
            GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_RESYNC),
        floor);
  return GST_PAD_PROBE_OK;
}

/* With the pad's object lock: can a buffer be pushed without blocking?
 * (an end further ahead than retiming places anything is stale) */
static gboolean
can_take_locked (McuMixMinusPad *pad, GstClockTime now, GstClockTime mixed)
{
  GstClockTime end = pad->in_end, duration = pad->in_duration;

  if (!GST_CLOCK_TIME_IS_VALID (now) || !GST_CLOCK_TIME_IS_VALID (end) ||
      end > now + RETIME_LEAD + RETIME_EARLY + duration)
    return TRUE;
  /* a ring: room for a long push; else at most one buffer not mixed */
  return end <= mixed + (pad->ring != NULL ? SHARED_ROOM : duration);
}

/* Can @pad (whose parent is @element, or was) take a buffer? No: the
 * pad keeps @waker until mcu_mix_minus_pad_wake_waiters finds room. The
 * answer and the wake are made under the same locks (the element's, then
 * the pad's), so a wake is never lost between them. STALE: @pad is no
 * longer @element's (released: its release's wake has been; nobody would
 * wake a waiter kept now. Release unparents the pad before that wake; the
 * parent, not a walk of the element's pad list: that walk was 7 % of the
 * server at 1,000 callers, for every packet), or, asked @direct, @waker is
 * not the last query's (another jitter buffer feeds the pad now: the old
 * one's chain was relinked upstream of the pad, as rtpbin does on an SSRC
 * change. Answered, it would take the new one's place as the waiter, and
 * the new one would wait for its rescue instead of its wake). A query
 * makes its @waker the one that may ask directly. */
static McuJitterBufferAskResult
ask (McuMixMinusPad *pad, GstElement *element, McuJitterBufferWaker *waker,
    gboolean direct)
{
  GstClockTime now = element_now (element);
  McuJitterBufferWaker *old = NULL, *old_by = NULL;
  gboolean can, stale;

  GST_OBJECT_LOCK (element);
  GST_OBJECT_LOCK (pad);
  if (direct && waker != pad->asked_by) {
    GST_OBJECT_UNLOCK (pad);
    GST_OBJECT_UNLOCK (element);
    return MCU_JITTER_BUFFER_ASK_STALE;
  }
  if (!direct && waker != pad->asked_by) {
    old_by = pad->asked_by;
    pad->asked_by = waker != NULL ? mcu_jitter_buffer_waker_ref (waker) : NULL;
  }
  stale = GST_OBJECT_PARENT (pad) != GST_OBJECT_CAST (element);
  can = stale || can_take_locked (pad, now, element_mixed (element));
  old = pad->waiter;
  pad->waiter =
      can || waker == NULL ? NULL : mcu_jitter_buffer_waker_ref (waker);
  GST_OBJECT_UNLOCK (pad);
  GST_OBJECT_UNLOCK (element);
  if (old != NULL)
    mcu_jitter_buffer_waker_unref (old);
  if (old_by != NULL)
    mcu_jitter_buffer_waker_unref (old_by);
  if (stale)
    return MCU_JITTER_BUFFER_ASK_STALE;
  return can ? MCU_JITTER_BUFFER_ASK_YES : MCU_JITTER_BUFFER_ASK_NO;
}

/* The asker's function (the jitter buffer's thread): as the query, or
 * STALE once the pad is not a linked, retimed input of its element any
 * more, or another jitter buffer queried it since (the jitter buffer then
 * sends the query again, to whoever answers now). */
static McuJitterBufferAskResult
ask_direct (GObject *object, McuJitterBufferWaker *waker)
{
  McuMixMinusPad *pad = MCU_MIX_MINUS_PAD (object);
  g_autoptr (GstElement) element = gst_pad_get_parent_element (GST_PAD (pad));

  if (element == NULL || !pad_retimed (pad) ||
      !gst_pad_is_linked (GST_PAD (pad)))
    return MCU_JITTER_BUFFER_ASK_STALE;
  return ask (pad, element, waker, TRUE);
}

/* MCU_JITTER_BUFFER_CAN_TAKE: answered, with the pad's asker (the jitter
 * buffer asks it directly from then on: mcu-jitter-buffer.h). */
static GstPadProbeReturn
answer_can_take (McuMixMinusPad *pad, GstQuery *query)
{
  g_autoptr (GstElement) element = gst_pad_get_parent_element (GST_PAD (pad));
  GstStructure *s = gst_query_writable_structure (query);
  const GValue *v = gst_structure_get_value (s, "waker");
  McuJitterBufferWaker *waker = NULL;
  McuJitterBufferAskResult res;

  if (element == NULL) {
    gst_structure_set (s, "can-take", G_TYPE_BOOLEAN, TRUE, NULL);
    return GST_PAD_PROBE_HANDLED;
  }
  if (v != NULL && G_VALUE_HOLDS (v, MCU_TYPE_JITTER_BUFFER_WAKER))
    waker = g_value_get_boxed (v);
  res = ask (pad, element, waker, FALSE);
  if (res == MCU_JITTER_BUFFER_ASK_STALE)
    gst_structure_set (s, "can-take", G_TYPE_BOOLEAN, TRUE, NULL);
  else
    gst_structure_set (s, "can-take", G_TYPE_BOOLEAN,
        res == MCU_JITTER_BUFFER_ASK_YES, "asker", MCU_TYPE_JITTER_BUFFER_ASKER,
        pad->asker, NULL);
  return GST_PAD_PROBE_HANDLED;
}

/* With the pad's object lock (and the element's when @pad is in it):
 * wakes the jitter buffer waiting on @pad, if any. */
static void
wake_locked (McuMixMinusPad *pad)
{
  McuJitterBufferWaker *waker = g_steal_pointer (&pad->waiter);

  if (waker == NULL)
    return;
  mcu_jitter_buffer_waker_wake (waker);
  mcu_jitter_buffer_waker_unref (waker);
}

void
mcu_mix_minus_pad_wake_waiters (GstElement *element, gboolean all)
{
  GstClockTime now = all ? GST_CLOCK_TIME_NONE : element_now (element);

  GST_OBJECT_LOCK (element);
  {
    GstClockTime mixed = element_mixed (element);

    for (GList *l = element->sinkpads; l != NULL; l = l->next) {
      McuMixMinusPad *pad = l->data;

      GST_OBJECT_LOCK (pad);
      if (pad->waiter != NULL && (all || can_take_locked (pad, now, mixed)))
        wake_locked (pad);
      GST_OBJECT_UNLOCK (pad);
    }
  }
  GST_OBJECT_UNLOCK (element);
}

void
mcu_mix_minus_pad_wake (McuMixMinusPad *pad)
{
  GST_OBJECT_LOCK (pad);
  wake_locked (pad);
  GST_OBJECT_UNLOCK (pad);
}

static GstPadProbeReturn
retime_event (McuMixMinusPad *pad, GstPadProbeInfo *info)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstSegment plain;
  GstEvent *replacement;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &pad->in_segment);
      pad->in_synced = FALSE;
      gst_segment_init (&plain, GST_FORMAT_TIME);
      replacement = gst_event_new_segment (&plain);
      gst_event_set_seqnum (replacement, gst_event_get_seqnum (event));
      gst_event_unref (event);
      GST_PAD_PROBE_INFO_DATA (info) = replacement;
      return GST_PAD_PROBE_OK;
    case GST_EVENT_GAP:
      return GST_PAD_PROBE_DROP;
    case GST_EVENT_FLUSH_STOP:
      pad->in_synced = FALSE;
      GST_OBJECT_LOCK (pad);
      pad->in_end = GST_CLOCK_TIME_NONE;
      wake_locked (pad); /* room again */
      GST_OBJECT_UNLOCK (pad);
      if (mcu_mix_minus_pad_get_ring (pad) != NULL)
        mcu_mix_minus_ring_reset (pad->ring);
      return GST_PAD_PROBE_OK;
    default:
      return GST_PAD_PROBE_OK;
  }
}

void
mcu_mix_minus_pad_set_decode (
    McuMixMinusPad *pad, McuDecodeWantedState state, guint level)
{
  pad->dec.line = state;
  GST_OBJECT_LOCK (pad);
  mcu_decode_wanted_set (pad->wanted_line, state, level);
  GST_OBJECT_UNLOCK (pad);
}

/* Unlinked (the application's thread; also on release): the decoder that
 * fed the pad drops its line and decodes everything again (it may feed
 * another mixer now); the next one to link gets a new line, which says
 * what the aggregator task says from its next frame on. */
static void
on_unlinked (GstPad *gpad, GstPad *peer, gpointer user_data)
{
  McuMixMinusPad *pad = MCU_MIX_MINUS_PAD (gpad);
  McuDecodeWanted *old;

  GST_OBJECT_LOCK (pad);
  old = pad->wanted_line;
  pad->wanted_line = mcu_decode_wanted_new ();
  GST_OBJECT_UNLOCK (pad);
  mcu_decode_wanted_revoke (old);
  mcu_decode_wanted_unref (old);
}

/* MCU_DECODE_WANTED_QUERY: the decoder upstream gets the line. */
static GstPadProbeReturn
answer_decode_wanted (McuMixMinusPad *pad, GstQuery *query)
{
  McuDecodeWanted *line;

  GST_OBJECT_LOCK (pad);
  line = mcu_decode_wanted_ref (pad->wanted_line);
  GST_OBJECT_UNLOCK (pad);
  mcu_decode_wanted_query_answer (query, line);
  mcu_decode_wanted_unref (line);
  return GST_PAD_PROBE_HANDLED;
}

static GstPadProbeReturn
on_retime_probe (GstPad *gpad, GstPadProbeInfo *info, gpointer user_data)
{
  McuMixMinusPad *pad = MCU_MIX_MINUS_PAD (gpad);

  if (info->type & GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM) {
    GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
    const GstStructure *s = gst_query_get_structure (query);

    if (GST_QUERY_TYPE (query) == GST_QUERY_CUSTOM && s != NULL &&
        gst_structure_has_name (s, MCU_DECODE_WANTED_QUERY))
      return answer_decode_wanted (pad, query);

    if (GST_QUERY_TYPE (query) != GST_QUERY_CUSTOM || s == NULL ||
        !gst_structure_has_name (s, MCU_JITTER_BUFFER_CAN_TAKE))
      return GST_PAD_PROBE_OK;
    /* not retimed: unanswered, and not forwarded to every output */
    if (!pad_retimed (pad))
      return GST_PAD_PROBE_DROP;
    if (pad->ring == NULL) {
      McuMixMinusRing *ring = mcu_mix_minus_ring_new ();

      GST_OBJECT_LOCK (pad);
      pad->ring = ring;
      GST_OBJECT_UNLOCK (pad);
    }
    return answer_can_take (pad, query);
  }
  if (!pad_retimed (pad))
    return GST_PAD_PROBE_OK;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    return retime_buffer (pad, info);
  if (info->type & GST_PAD_PROBE_TYPE_QUERY_UPSTREAM) {
    GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);

    if (GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
      return GST_PAD_PROBE_OK;
    gst_query_set_latency (query, TRUE, 0, GST_CLOCK_TIME_NONE);
    return GST_PAD_PROBE_HANDLED;
  }
  return retime_event (pad, info);
}

static void
mcu_mix_minus_pad_init (McuMixMinusPad *pad)
{
  pad->mute = DEFAULT_PAD_MUTE;
  pad->volume = DEFAULT_PAD_VOLUME;
  pad->gain = mcu_mix_kernel_gain_from_volume (DEFAULT_PAD_VOLUME);
  pad->retime = DEFAULT_PAD_RETIME;
  gst_segment_init (&pad->in_segment, GST_FORMAT_UNDEFINED);
  pad->in_end = GST_CLOCK_TIME_NONE;
  pad->in_late_since = GST_CLOCK_TIME_NONE;
  gst_pad_add_probe (GST_PAD (pad),
      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
          GST_PAD_PROBE_TYPE_EVENT_FLUSH | GST_PAD_PROBE_TYPE_QUERY_BOTH |
          GST_PAD_PROBE_TYPE_PUSH,
      on_retime_probe, NULL, NULL);
  mcu_mix_kernel_limiter_init (&pad->limiter);
  pad->last_flow = GST_FLOW_OK;
  pad->asker = mcu_jitter_buffer_asker_new (G_OBJECT (pad), ask_direct);
  pad->wanted_line = mcu_decode_wanted_new ();
  pad->dec.line = MCU_DECODE_WANTED_ALL;
  g_signal_connect (pad, "unlinked", G_CALLBACK (on_unlinked), NULL);
}
