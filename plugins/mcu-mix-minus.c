/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcumixminus, one sum and N mix-minus outputs (see mcu-mix-minus.h).
 *
 * How it works: GstAudioAggregator drives the timing (live timeouts, partial
 * buffers, GAPs, segments). For every output buffer, create_output_buffer
 * clears an int32 sum; aggregate_one_buffer adds each pad's samples (after
 * mute and volume) into the sum and keeps them as that pad's contribution;
 * finish_buffer first adds the samples of the inputs fed by a shared pusher,
 * which skip the aggregator's queue (each pad's ring, mcu-mix-minus-pad.c
 * and mcu-mix-minus-ring.c), then lets mcu-mix-minus-select.c decide who
 * contributes (noise
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
 * - the pool's workers (McuMixPool, mcu-mix-pool.h; with pool-min-outputs
 *   outputs or more): while the aggregator task waits in push_outputs, they
 *   and it each take src_N outputs of the frame and render (push_one),
 *   push and so encode and send them. An output's work touches its own
 *   McuMixMinusPad (own[], limiter, last_flow) and src_N only and reads the
 *   frame, which nothing writes until every output is pushed; the task
 *   renders the prompts' outputs before (they share a scratch buffer).
 *   The task waits holding `src`'s stream lock (a recursive lock it could
 *   take again when it pushed everything itself): a src_N's events and
 *   queries are answered without it (mcu-mix-minus-src.c), so downstream
 *   of a src_N never needs it.
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
 *   max_talkers, pool, pool_min_outputs, pool_min_cost, max_lag,
 *   frames_skipped), `src`'s segment (moved by a skip,
 *   mcu-mix-minus-lag.c) and the output volumes (gains).
 * - pad object lock: McuMixMinusPad.mute, .volume and .gain.
 * - src_N stream lock: held while pushing buffers, sticky events, EOS and
 *   FLUSH_STOP on src_N, so that deactivating src_N on release waits for a
 *   push in progress; also while calling or changing src_N's shared-frame
 *   handler (mcu-mix-minus-shared.c).
 * - a pad's ring lock (mcu-mix-minus-ring.c): innermost, held only for a
 *   copy in or out; the pusher never waits for anything else in the pad.
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
#include "mcu-mix-minus-element-private.h"

#include <string.h>

GST_DEBUG_CATEGORY (mcu_mix_minus_debug);
#define GST_CAT_DEFAULT mcu_mix_minus_debug

enum
{
  PROP_0,
  PROP_LEVEL_INTERVAL,
  PROP_GATE_THRESHOLD_DB,
  PROP_GATE_HANGOVER,
  PROP_MAX_TALKERS,
  PROP_POOL,
  PROP_POOL_MIN_OUTPUTS,
  PROP_POOL_MIN_COST,
  PROP_MAX_LAG,
  PROP_FRAMES_SKIPPED,
};

#define DEFAULT_LEVEL_INTERVAL    0
#define DEFAULT_GATE_THRESHOLD_DB MCU_MIX_KERNEL_FLOOR_DB
#define DEFAULT_GATE_HANGOVER     (300 * GST_MSECOND)
#define DEFAULT_MAX_TALKERS       0
/* Fewer outputs are not worth sharing out (tests/bench/bench-mix-pool.c:
 * 16 Opus encodes take about 2.3 ms of a 20 ms frame on one thread). */
#define DEFAULT_POOL_MIN_OUTPUTS 16
/* a quarter of a 20 ms frame */
#define DEFAULT_POOL_MIN_COST (5 * GST_MSECOND)
#define DEFAULT_MAX_LAG       0

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

/* ----- mixing (aggregator task) ----- */

static void
release_unlock (McuMixMinus *self)
{
  if (self->release_locked) {
    self->release_locked = FALSE;
    g_mutex_unlock (&self->release_lock);
  }
}

static GstFlowReturn
mcu_mix_minus_aggregate (GstAggregator *agg, gboolean timeout)
{
  McuMixMinus *self = MCU_MIX_MINUS (agg);
  GstFlowReturn ret;

  mcu_mix_minus_log_lateness (self, timeout);
  mcu_mix_minus_keep_real_time (self);
  g_mutex_lock (&self->release_lock);
  self->release_locked = TRUE;
  ret = GST_AGGREGATOR_CLASS (mcu_mix_minus_parent_class)
            ->aggregate (agg, timeout);
  release_unlock (self); /* if finish_buffer did not */
  /* the mix moved on: inputs that said "full" may have room */
  mcu_mix_minus_pad_wake_waiters (GST_ELEMENT (self), FALSE);
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

/* Adds @n samples of @pad's input (its frame, from @out_offset) to the sum
 * and to its contribution, after mute and volume; @levels: the RFC 6464
 * levels they carried. Returns whether they were not all silent. */
gboolean
mcu_mix_minus_mix_input (McuMixMinus *self, McuMixMinusPad *pad,
    const gint16 *in, guint out_offset, guint n,
    const GstAudioLevelMeta *levels, guint n_levels)
{
  gboolean mute;
  gint32 gain;
  int nonzero;

  GST_OBJECT_LOCK (pad);
  mute = pad->mute;
  gain = pad->gain;
  GST_OBJECT_UNLOCK (pad);

  /* a prompt that replaces N's mix takes N out of everyone's */
  if (mute || gain == 0 || n == 0 ||
      pad->exclusive_serial == self->frame_serial)
    return FALSE;
  if ((guint64)out_offset + n > self->frame_len) {
    GST_WARNING_OBJECT (pad, "input beyond the output frame, dropped");
    return FALSE;
  }
  pad_begin_frame (self, pad);
  for (guint i = 0; i < n_levels; i++)
    mcu_mix_minus_select_note_level (pad, &levels[i], gain);
  if (self->frame_stats)
    nonzero = mcu_mix_kernel_accumulate_stats (self->sum + out_offset,
        pad->own + out_offset, in, n, gain, &pad->frame);
  else
    nonzero = mcu_mix_kernel_accumulate (
        self->sum + out_offset, pad->own + out_offset, in, n, gain);
  if (nonzero)
    pad->has_signal = TRUE;
  return nonzero != 0;
}

static gboolean
mcu_mix_minus_aggregate_one_buffer (GstAudioAggregator *aagg,
    GstAudioAggregatorPad *aaggpad, GstBuffer *inbuf, guint in_offset,
    GstBuffer *outbuf, guint out_offset, guint num_frames)
{
  McuMixMinus *self = MCU_MIX_MINUS (aagg);
  McuMixMinusPad *pad = MCU_MIX_MINUS_PAD (aaggpad);
  GstAudioLevelMeta *level = gst_buffer_get_audio_level_meta (inbuf);
  GstMapInfo map;
  gboolean nonzero;

  if (!gst_buffer_map (inbuf, &map, GST_MAP_READ))
    return FALSE;
  if (((guint64)in_offset + num_frames) * sizeof (gint16) > map.size) {
    gst_buffer_unmap (inbuf, &map);
    GST_WARNING_OBJECT (pad, "short input buffer, dropped");
    return FALSE;
  }
  nonzero =
      mcu_mix_minus_mix_input (self, pad, (const gint16 *)map.data + in_offset,
          out_offset, num_frames, level, level != NULL ? 1 : 0);
  gst_buffer_unmap (inbuf, &map);
  /* TRUE clears GAP on the output; finish_buffer sets it again if the
   * selection leaves the frame without a contributor. */
  return nonzero;
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

/* One src_N's buffer of the current frame: rendered and pushed by
 * push_one, on the aggregator task or a pool worker. */
typedef struct
{
  GstPad *srcpad;           /* (transfer none) held by outputs or listening */
  McuMixMinusPad *pad;      /* (transfer none) nullable: a listener */
  gint32 gain;              /* Q12 volume of srcpad */
  GstBuffer *buffer;        /* (nullable) rendered already (prompts) */
  GstFlowReturn *last_flow; /* pad's, or listener_flow */
  GstFlowReturn listener_flow;
} McuMixMinusPush;

/* The work of one output, in parallel with the others': it touches only
 * its own pad (own[], limiter, last_flow), its own src_N and what lies
 * downstream of it, and reads the frame (sum, push_mix, limiter), which
 * no one writes until every push is done. */
static void
push_one (guint index, gpointer data)
{
  McuMixMinus *self = data;
  McuMixMinusPush *p = &g_array_index (self->pushes, McuMixMinusPush, index);
  GstBuffer *buffer = g_steal_pointer (&p->buffer);

  if (buffer != NULL) {
    /* the prompt's */
  } else if (p->pad != NULL && p->pad->contributes) {
    buffer = render_mix_minus (
        self, p->pad, self->push_mix, self->push_n, self->push_alone);
  } else {
    /* Same output as `src`: share the buffer, and the limiter state so
     * that the switch back to an own buffer is seamless. */
    buffer = gst_buffer_ref (self->push_mix);
    if (p->pad != NULL)
      p->pad->limiter = self->limiter;
  }
  /* at another volume: its own buffer, never the shared one */
  buffer =
      mcu_mix_minus_gains_apply (buffer, self->push_mix, self->push_n, p->gain);
  mcu_mix_minus_push_output (
      self, p->last_flow, p->srcpad, self->push_segment, buffer);
}

static void
add_push (McuMixMinus *self, GstPad *srcpad, McuMixMinusPad *pad, gint32 gain,
    GstBuffer *mix, guint n)
{
  McuMixMinusPush p = { srcpad, pad, gain, NULL, NULL, GST_FLOW_OK };

  /* Prompts are rendered here, on the aggregator task: they share a
   * scratch buffer and their table belongs to this thread. */
  if (mcu_mix_minus_prompts_owns_output (
          &self->prompts, srcpad, self->frame_serial))
    p.buffer = mcu_mix_minus_prompts_render_output (
        &self->prompts, srcpad, pad, self->sum, mix, n, self->frame_serial);
  g_array_append_val (self->pushes, p);
}

/* With the pool, or NULL: this frame's outputs are pushed from the
 * aggregator task alone. Spreading costs wake-ups and lock contention
 * (the outputs that share an encode take turns at its cache), so it is
 * only worth it when the work is more than a small part of a frame: it
 * starts when pushing the last frame's outputs took pool-min-cost of CPU
 * time or more, and stops when it falls below half of that (CPU time of
 * every thread that pushed: a busy machine preempting the mixing thread
 * does not make the work look bigger). */
static McuMixPool *
pool_for (McuMixMinus *self, guint n_outputs)
{
  McuMixPool *pool = NULL;
  GstClockTime cost = self->push_cost;

  GST_OBJECT_LOCK (self);
  if (self->pool_min_outputs == 0 || n_outputs < self->pool_min_outputs) {
    self->pooling = FALSE;
  } else if (!self->pooling) {
    self->pooling = cost >= self->pool_min_cost;
  } else {
    self->pooling = cost >= self->pool_min_cost / 2;
  }
  if (self->pooling) {
    if (self->pool == NULL)
      self->pool = mcu_mix_pool_new (0);
    pool = g_object_ref (self->pool);
  }
  GST_OBJECT_UNLOCK (self);
  return pool;
}

/* The first output that gets the full mix as it is: pushed before the
 * others, it fills its encoder group's cache (mcuopusenc), so that the
 * others sharing that encode find it there instead of waiting for it. */
static void
put_shared_first (McuMixMinus *self)
{
  for (guint i = 0; i < self->pushes->len; i++) {
    McuMixMinusPush *p = &g_array_index (self->pushes, McuMixMinusPush, i);
    McuMixMinusPush tmp;

    if (p->buffer != NULL || p->gain != MCU_MIX_KERNEL_GAIN_UNITY ||
        (p->pad != NULL && p->pad->contributes))
      continue;
    tmp = *p;
    *p = g_array_index (self->pushes, McuMixMinusPush, 0);
    g_array_index (self->pushes, McuMixMinusPush, 0) = tmp;
    return;
  }
}

static void
push_rest (guint index, gpointer data)
{
  push_one (index + 1, data);
}

/* Every src_N gets the frame: its mix-minus, the full mix when it did not
 * contribute (or listens only), or its prompt. With many outputs their
 * rendering, encoding and sending (all downstream of src_N, on the pushing
 * thread) are spread over the pool's workers and the aggregator task; the
 * next frame waits until every output has its buffer, so each src_N still
 * gets one buffer per frame, in order. */
static void
push_outputs (McuMixMinus *self, GstBuffer *mix, guint n, guint contributors,
    gboolean announcing)
{
  g_autoptr (McuMixPool) pool = NULL;
  guint64 start = mcu_mix_pool_thread_time ();
  guint64 helped = 0;

  g_array_set_size (self->pushes, 0);
  for (guint i = 0; i < self->outputs->len; i++) {
    McuMixMinusOutput *o = &g_array_index (self->outputs, McuMixMinusOutput, i);

    if (o->srcpad != NULL)
      add_push (self, o->srcpad, o->pad, o->gain, mix, n);
  }
  /* Listeners contribute nothing: they hear everyone. */
  for (guint i = 0; i < self->listening->len; i++)
    add_push (self, g_ptr_array_index (self->listening, i), NULL,
        g_array_index (self->listening_gains, gint32, i), mix, n);
  pool = pool_for (self, self->pushes->len);
  if (pool != NULL)
    put_shared_first (self);
  for (guint i = 0; i < self->pushes->len; i++) {
    McuMixMinusPush *p = &g_array_index (self->pushes, McuMixMinusPush, i);

    p->last_flow = p->pad != NULL ? &p->pad->last_flow : &p->listener_flow;
  }

  self->push_mix = mix;
  /* read once: every output reading it would queue on `src`'s lock */
  self->push_segment = gst_pad_get_sticky_event (
      GST_AGGREGATOR_SRC_PAD (self), GST_EVENT_SEGMENT, 0);
  self->push_n = n;
  self->push_alone = contributors == 1 && !announcing;
  if (pool != NULL && self->pushes->len > 0) {
    push_one (0, self);
    helped = mcu_mix_pool_run (pool, self->pushes->len - 1, push_rest, self);
  } else {
    for (guint i = 0; i < self->pushes->len; i++)
      push_one (i, self);
  }
  self->push_mix = NULL;
  gst_clear_event (&self->push_segment);
  g_array_set_size (self->pushes, 0);
  self->push_cost = mcu_mix_pool_thread_time () - start + helped;
}

/* Adds the frame's statistics of every pad to its level sums: from its
 * audio (after mute and volume), whether or not it passed the selection;
 * for audio its decoder skipped, its RFC 6464 level (see
 * mcu_mix_minus_select_reported). */
static void
fold_levels (McuMixMinus *self, guint n)
{
  for (guint i = 0; i < self->outputs->len; i++) {
    McuMixMinusPad *pad =
        g_array_index (self->outputs, McuMixMinusOutput, i).pad;
    McuMixKernelStats stats;

    if (pad->frame_serial != self->frame_serial)
      continue;
    mcu_mix_minus_select_reported (pad, n, &stats);
    pad->level.sum_squares += stats.sum_squares;
    pad->level.peak = MAX (pad->level.peak, stats.peak);
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
  mcu_mix_minus_mix_rings (self, outbuf, n);
  contributors = mcu_mix_minus_select_run (
      &self->select, self->outputs, self->frame_serial, self->sum, n);
  if (self->frame_levels)
    fold_levels (self, n);
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
  /* the first frame after a skip (mcu-mix-minus-lag.c) */
  if (self->skip_discont) {
    GST_BUFFER_FLAG_SET (outbuf, GST_BUFFER_FLAG_DISCONT);
    self->skip_discont = FALSE;
  }

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
  mcu_mix_minus_select_reset_pad (mpad);
  mpad->contributes = FALSE;
  mpad->level.sum_squares = 0;
  mpad->level.peak = 0;
  mpad->last_flow = GST_FLOW_OK;
  /* (running time starts again) */
  if (mcu_mix_minus_pad_get_ring (mpad) != NULL)
    mcu_mix_minus_ring_reset (mpad->ring);
  return TRUE;
}

static void
reset (McuMixMinus *self)
{
  mcu_mix_kernel_limiter_init (&self->limiter);
  mcu_mix_minus_select_reset (&self->select);
  self->level_frames = 0;
  self->last_flow = GST_FLOW_OK;
  self->push_cost = 0;
  self->pooling = FALSE;
  self->skip_discont = FALSE;
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
  mcu_mix_minus_pad_wake_waiters (GST_ELEMENT (agg), TRUE);
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
    case PROP_POOL:
      g_value_set_object (value, self->pool);
      break;
    case PROP_POOL_MIN_OUTPUTS:
      g_value_set_uint (value, self->pool_min_outputs);
      break;
    case PROP_POOL_MIN_COST:
      g_value_set_uint64 (value, self->pool_min_cost);
      break;
    case PROP_MAX_LAG:
      g_value_set_uint64 (value, self->max_lag);
      break;
    case PROP_FRAMES_SKIPPED:
      g_value_set_uint64 (value, self->frames_skipped);
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
  g_autoptr (McuMixPool) old_pool = NULL;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_POOL:
      /* a frame being pushed keeps its own reference; the old pool's
       * threads are joined (if this was the last) without the lock */
      old_pool = g_steal_pointer (&self->pool);
      self->pool = g_value_dup_object (value);
      break;
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
    case PROP_POOL_MIN_OUTPUTS:
      self->pool_min_outputs = g_value_get_uint (value);
      break;
    case PROP_POOL_MIN_COST:
      self->pool_min_cost = g_value_get_uint64 (value);
      break;
    case PROP_MAX_LAG:
      self->max_lag = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* The outputs' shared-frame handlers go with the element (its pads may
 * outlive it, held by the application). */
static void
mcu_mix_minus_dispose (GObject *object)
{
  g_autoptr (GPtrArray) pads =
      g_ptr_array_new_with_free_func (gst_object_unref);

  GST_OBJECT_LOCK (object);
  for (GList *l = GST_ELEMENT (object)->srcpads; l != NULL; l = l->next)
    if (l->data != GST_AGGREGATOR_SRC_PAD (GST_AGGREGATOR (object)))
      g_ptr_array_add (pads, gst_object_ref (l->data));
  GST_OBJECT_UNLOCK (object);
  for (guint i = 0; i < pads->len; i++)
    mcu_mix_minus_shared_drop (g_ptr_array_index (pads, i));
  G_OBJECT_CLASS (mcu_mix_minus_parent_class)->dispose (object);
}

static void
mcu_mix_minus_finalize (GObject *object)
{
  McuMixMinus *self = MCU_MIX_MINUS (object);

  outputs_clear (self);
  g_array_unref (self->outputs);
  g_ptr_array_unref (self->listening);
  g_array_unref (self->listening_gains);
  g_array_unref (self->pushes);
  g_clear_object (&self->pool);
  g_ptr_array_unref (self->listeners);
  mcu_mix_minus_gains_clear (&self->gains);
  g_free (self->sum);
  g_free (self->ring_scratch);
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
  g_object_class_install_property (gobject_class, PROP_POOL,
      g_param_spec_object ("pool", "Pool",
          "Worker threads that render, encode and send the outputs of a "
          "frame in parallel when there are at least pool-min-outputs of "
          "them (NULL: the element makes its own, one thread per CPU but "
          "one, on first need); one pool may serve many mixers",
          MCU_TYPE_MIX_POOL, flags));
  g_object_class_install_property (gobject_class, PROP_POOL_MIN_OUTPUTS,
      g_param_spec_uint ("pool-min-outputs", "Pool minimum outputs",
          "Spread a frame's outputs over the pool from this many outputs on; "
          "fewer are pushed from the mixing thread alone (0 = never)",
          0, G_MAXUINT, DEFAULT_POOL_MIN_OUTPUTS, flags));
  g_object_class_install_property (gobject_class, PROP_POOL_MIN_COST,
      g_param_spec_uint64 ("pool-min-cost", "Pool minimum cost",
          "Spread a frame's outputs over the pool once pushing them took "
          "this much CPU time (ns, every thread that pushed), until it "
          "falls below half of it (0 = always, from pool-min-outputs on)",
          0, G_MAXUINT64, DEFAULT_POOL_MIN_COST, flags));
  g_object_class_install_property (gobject_class, PROP_MAX_LAG,
      g_param_spec_uint64 ("max-lag", "Maximum lag",
          "When the mix falls more than this (ns) behind the clock, it skips "
          "the frames it missed instead of mixing them late, and its output "
          "times jump (0 = never skip)",
          0, G_MAXUINT64, DEFAULT_MAX_LAG, flags));
  g_object_class_install_property (gobject_class, PROP_FRAMES_SKIPPED,
      g_param_spec_uint64 ("frames-skipped", "Frames skipped",
          "Output frames skipped so far to keep real time (max-lag)", 0,
          G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
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
  gobject_class->dispose = mcu_mix_minus_dispose;
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
  self->pool_min_outputs = DEFAULT_POOL_MIN_OUTPUTS;
  self->pool_min_cost = DEFAULT_POOL_MIN_COST;
  self->max_lag = DEFAULT_MAX_LAG;
  mcu_mix_minus_select_init (&self->select);
  mcu_mix_minus_prompts_init (&self->prompts);
  g_mutex_init (&self->release_lock);
  self->stream_salt = g_random_int ();
  self->group_id = gst_util_group_id_next ();
  self->outputs = g_array_new (FALSE, FALSE, sizeof (McuMixMinusOutput));
  self->listening = g_ptr_array_new_with_free_func (gst_object_unref);
  self->listening_gains = g_array_new (FALSE, FALSE, sizeof (gint32));
  self->pushes = g_array_new (FALSE, FALSE, sizeof (McuMixMinusPush));
  mcu_mix_minus_gains_init (&self->gains);
  self->listeners = g_ptr_array_new_with_free_func (gst_object_unref);
  mcu_mix_kernel_limiter_init (&self->limiter);
  self->last_flow = GST_FLOW_OK;

  gst_pad_add_probe (GST_AGGREGATOR_SRC_PAD (self),
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_EVENT_FLUSH,
      mcu_mix_minus_on_src_event, self, NULL);
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
