/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcujitterbuffer's queue (see mcu-jitter-buffer.h): insertion by
 * extended sequence number, the playout mapping, the adaptive depth, and
 * what is due at a given time. Everything here runs with the element's
 * `lock` held and calls nothing out. */
#include "mcu-jitter-buffer-private.h"

#define GST_CAT_DEFAULT mcu_jitter_buffer_debug

static void
packet_free (Packet *p)
{
  gst_buffer_unref (p->buf);
  g_free (p);
}

/* ---- state (lock held) ---- */

void
mcu_jitter_buffer_queue_drop (McuJitterBuffer *self)
{
  Packet *p;

  while ((p = g_queue_pop_head (&self->queue)))
    packet_free (p);
}

/* Forget the stream: the next packet starts a new one. */
void
mcu_jitter_buffer_queue_reset (McuJitterBuffer *self)
{
  mcu_jitter_buffer_queue_drop (self);
  self->have_stream = FALSE;
  self->have_out = FALSE;
  self->have_map = FALSE;
  self->have_prev = FALSE;
  self->conceal = 0;
  self->discont = TRUE;
  self->below_since = GST_CLOCK_TIME_NONE;
  self->held = FALSE;
  self->granted = FALSE;
  self->freed = GST_CLOCK_TIME_NONE;
  self->stale_seq = 0;
  self->stale_end = 0;
}

GstClockTime
mcu_jitter_buffer_queue_clamp_depth (McuJitterBuffer *self, GstClockTime depth)
{
  return CLAMP (depth, self->min_ms * GST_MSECOND,
      MAX (self->min_ms, self->max_ms) * GST_MSECOND);
}

static gint64
ts_to_ns (McuJitterBuffer *self, guint64 ext_ts)
{
  if (ext_ts >= self->base_ts)
    return (gint64)gst_util_uint64_scale_int (
        ext_ts - self->base_ts, GST_SECOND, self->clock_rate);
  return -(gint64)gst_util_uint64_scale_int (
      self->base_ts - ext_ts, GST_SECOND, self->clock_rate);
}

GstClockTimeDiff
mcu_jitter_buffer_queue_playout (McuJitterBuffer *self, const Packet *p)
{
  GstClockTimeDiff t = p->rtp_ns + self->offset + (GstClockTimeDiff)self->depth;

  return MAX (t, 0);
}

/* The mapping moved later by @delta (or the depth grew): while the stream
 * is playing, the added delay is concealed. */
static void
add_delay (McuJitterBuffer *self, GstClockTime delta, GstClockTime arrival)
{
  if (self->have_out && arrival <= self->last_end + STREAMING_SLACK)
    self->conceal = MIN (self->conceal + delta, MAX_DURATION);
}

static void
new_mapping (McuJitterBuffer *self, GstClockTimeDiff transit, GstClockTime at)
{
  self->have_map = TRUE;
  self->win_min[0] = self->win_min[1] = transit;
  self->win_start = at;
  self->offset = transit;
  self->discont = TRUE;
}

/* Smallest transit over the current and the previous window. */
static void
update_mapping (
    McuJitterBuffer *self, GstClockTimeDiff transit, GstClockTime arrival)
{
  GstClockTimeDiff offset;

  if (!self->have_map || transit > self->offset + RESYNC_TRANSIT ||
      transit < self->offset - RESYNC_TRANSIT) {
    if (self->have_map)
      GST_INFO_OBJECT (self, "transit moved by %" GST_STIME_FORMAT ": resync",
          GST_STIME_ARGS (transit - self->offset));
    new_mapping (self, transit, arrival);
    return;
  }
  if (arrival >= self->win_start + WINDOW) {
    self->win_min[0] = self->win_min[1];
    self->win_min[1] = transit;
    self->win_start = arrival;
  } else {
    self->win_min[1] = MIN (self->win_min[1], transit);
  }
  offset = MIN (self->win_min[0], self->win_min[1]);
  if (offset > self->offset)
    add_delay (self, (GstClockTime)(offset - self->offset), arrival);
  self->offset = offset;
}

static void
adapt_depth (McuJitterBuffer *self, GstClockTime arrival)
{
  GstClockTime target = mcu_jitter_buffer_queue_clamp_depth (
      self, 3 * (GstClockTime)self->jitter + 10 * GST_MSECOND);

  if (target > self->depth) {
    GST_DEBUG_OBJECT (self, "depth %" GST_TIME_FORMAT " -> %" GST_TIME_FORMAT,
        GST_TIME_ARGS (self->depth), GST_TIME_ARGS (target));
    add_delay (self, target - self->depth, arrival);
    self->depth = target;
    self->below_since = GST_CLOCK_TIME_NONE;
  } else if (target + DOWN_STEP / 2 < self->depth) {
    if (!GST_CLOCK_TIME_IS_VALID (self->below_since)) {
      self->below_since = self->last_down = arrival;
    } else if (arrival >= self->below_since + DOWN_AFTER &&
               arrival >= self->last_down + DOWN_EVERY) {
      self->depth = MAX (target, self->depth - DOWN_STEP);
      self->last_down = arrival;
    }
  } else {
    self->below_since = GST_CLOCK_TIME_NONE;
  }
}

/* Packets this much further back (RTP time) than the newest, beyond the
 * deepest the queue plays at (max-latency), are overdue by more than it:
 * no service would push them any more. */
#define STALE_SLACK (300 * GST_MSECOND)

/* Drops the stale head (see STALE_SLACK), counted late: a service that does
 * not come (its worker blocked downstream) would otherwise keep up to
 * MAX_QUEUE packets per stream (10 s of 20 ms packets, about 350 KB with
 * their GstBuffers: most of the 1,000-caller meeting's RSS). The service
 * conceals or skips the hole as for a loss. */
static void
drop_stale (McuJitterBuffer *self)
{
  gint64 keep =
      (gint64)mcu_jitter_buffer_queue_clamp_depth (self, GST_CLOCK_TIME_NONE) +
      STALE_SLACK;
  Packet *head;

  while (self->queue.length > 1 &&
         (head = g_queue_peek_head (&self->queue))->rtp_ns <
             self->max_rtp_ns - keep) {
    g_queue_pop_head (&self->queue);
    self->late++;
    if (head->ext_seq > self->stale_seq) {
      GstClockTimeDiff t = mcu_jitter_buffer_queue_playout (self, head);

      self->stale_seq = head->ext_seq;
      self->stale_end = (GstClockTime)t + self->duration; /* (t >= 0) */
    }
    packet_free (head);
  }
}

/* Inserts @buf (ownership taken); FALSE when dropped. */
gboolean
mcu_jitter_buffer_queue_insert (McuJitterBuffer *self, GstBuffer *buf,
    guint16 seq, guint32 ts, guint32 ssrc, gint clock_rate,
    GstClockTime arrival)
{
  guint64 ext_seq, ext_ts;
  gint64 diff, rtp_ns;
  GstClockTimeDiff transit;
  Packet *p;
  GList *l;

  if (self->have_stream &&
      (ssrc != self->ssrc || clock_rate != self->clock_rate)) {
    GST_INFO_OBJECT (
        self, "new SSRC %08x (was %08x): resync", ssrc, self->ssrc);
    mcu_jitter_buffer_queue_reset (self);
  }
  if (self->have_stream) {
    ext_seq = self->max_seq + (gint16)(seq - (guint16)self->max_seq);
    diff = (gint64)(ext_seq - self->max_seq);
    if (diff > MAX_DROPOUT || diff < -MAX_MISORDER) {
      GST_INFO_OBJECT (
          self, "sequence jump %" G_GINT64_FORMAT ": resync", diff);
      mcu_jitter_buffer_queue_reset (self);
    }
  }
  if (!self->have_stream) {
    self->have_stream = TRUE;
    self->ssrc = ssrc;
    self->clock_rate = clock_rate;
    self->max_seq = EXT_BASE + seq;
    self->max_ts = self->base_ts = EXT_BASE + ts;
    self->max_rtp_ns = 0;
    self->duration = DEFAULT_DURATION;
  }
  ext_seq = self->max_seq + (gint16)(seq - (guint16)self->max_seq);
  ext_ts = self->max_ts + (gint32)(ts - (guint32)self->max_ts);
  diff = (gint64)(ext_seq - self->max_seq);

  if (self->have_out && ext_seq < self->next_seq) {
    self->late++;
    GST_LOG_OBJECT (self, "late packet %u dropped", seq);
    gst_buffer_unref (buf);
    return FALSE;
  }
  for (l = self->queue.tail; l; l = l->prev) {
    Packet *q = l->data;

    if (q->ext_seq == ext_seq) {
      self->duplicates++;
      gst_buffer_unref (buf);
      return FALSE;
    }
    if (q->ext_seq < ext_seq)
      break;
  }
  if (self->queue.length >= MAX_QUEUE) {
    self->late++; /* a sender far ahead of its own clock */
    gst_buffer_unref (buf);
    return FALSE;
  }
  self->received++;
  rtp_ns = ts_to_ns (self, ext_ts);
  if (diff > 0) {
    gint64 d = (rtp_ns - self->max_rtp_ns) / diff;

    if (diff <= 10 && d > 0 && d <= (gint64)MAX_DURATION)
      self->duration = (GstClockTime)d;
    self->max_seq = ext_seq;
    self->max_ts = ext_ts;
    self->max_rtp_ns = rtp_ns;
  }
  /* RFC 3550 6.4.1: J += (|D| - J) / 16 */
  if (self->have_prev) {
    gdouble d = (gdouble)((GstClockTimeDiff)arrival -
                          (GstClockTimeDiff)self->prev_arrival) -
                (gdouble)(rtp_ns - self->prev_rtp_ns);

    if (ABS (d) < (gdouble)RESYNC_TRANSIT)
      self->jitter += (ABS (d) - self->jitter) / 16.0;
  }
  self->have_prev = TRUE;
  self->prev_arrival = arrival;
  self->prev_rtp_ns = rtp_ns;

  transit = (GstClockTimeDiff)arrival - rtp_ns;
  update_mapping (self, transit, arrival);
  adapt_depth (self, arrival);

  p = g_new0 (Packet, 1);
  p->buf = buf;
  p->ext_seq = ext_seq;
  p->rtp_ns = rtp_ns;
  for (l = self->queue.tail; l; l = l->prev)
    if (((Packet *)l->data)->ext_seq < ext_seq)
      break;
  if (l)
    g_queue_insert_after (&self->queue, l, p);
  else
    g_queue_push_head (&self->queue, p);
  drop_stale (self);
  return TRUE;
}

static void
add_lost (McuJitterBuffer *self, GArray *items, GstClockTime duration)
{
  Item it = { ITEM_LOST, NULL, (guint16)self->next_seq, self->last_end,
    duration };

  if (self->do_lost)
    g_array_append_val (items, it);
  self->last_end += duration;
}

/* Serviced too late to conceal (see MAX_BEHIND). */
static gboolean
too_late (McuJitterBuffer *self, GstClockTime now)
{
  GstClockTime from = self->last_end;

  if (GST_CLOCK_TIME_IS_VALID (self->freed) && self->freed > from)
    from = self->freed;
  return from + MAX_BEHIND < now;
}

/* What is due at @now (running time), into @items, at most @limit items
 * (@now is returned when more is due); the next time due. */
GstClockTime
mcu_jitter_buffer_queue_collect (
    McuJitterBuffer *self, GstClockTime now, GArray *items, guint limit)
{
  for (;;) {
    Packet *head = g_queue_peek_head (&self->queue);
    GstClockTime t;
    guint64 n;

    if (head == NULL) {
      self->conceal = 0;
      return GST_CLOCK_TIME_NONE;
    }
    t = (GstClockTime)mcu_jitter_buffer_queue_playout (self, head);
    if (self->have_out && self->conceal > 0) {
      /* the depth grew while playing: conceal the added delay */
      GstClockTime c;

      if (head->ext_seq != self->next_seq) {
        self->conceal = 0;
        continue;
      }
      if (now < self->last_end)
        return self->last_end;
      if (items->len >= limit)
        return now;
      if (too_late (self, now))
        self->conceal = 0;
      c = t > self->last_end ? MIN (self->conceal, t - self->last_end) : 0;
      self->conceal = 0;
      if (c >= GST_MSECOND) {
        Item it = { ITEM_LOST, NULL, (guint16)(self->next_seq - 1),
          self->last_end, c };

        g_array_append_val (items, it);
        self->last_end += c;
      }
      continue;
    }
    if (self->have_out && head->ext_seq > self->next_seq) {
      GstClockTime step;

      if (self->next_seq <= self->stale_seq) {
        /* Dropped as stale (counted late), not lost on the way: the service
         * is over 300 ms behind this stream (its downstream held it, an
         * overloaded machine; or the sender's timestamps jumped ahead), and
         * their concealment would only be more work for audio that late.
         * Skipped: the output catches up. At 1,000 callers this was most of the
         * playout worker's time (a lost event per stale packet, through
         * depayloader and decoder). (The next buffer is DISCONT; the mixer
         * drops what is too late for its frames and places the rest again.) */
        self->next_seq = MIN (head->ext_seq, self->stale_seq + 1);
        self->discont = TRUE;
        /* a loss right after them is concealed where it belongs, after the
         * last stale packet's time, not where the output stopped */
        if (self->stale_end > self->last_end)
          self->last_end = self->stale_end;
        continue;
      }
      n = head->ext_seq - self->next_seq;
      if (n > MAX_LOST_EVENTS) {
        self->lost += n;
        self->next_seq = head->ext_seq;
        self->discont = TRUE;
        continue;
      }
      if (now < self->last_end)
        return self->last_end;
      if (items->len >= limit)
        return now;
      step = t > self->last_end ? (t - self->last_end) / n : 0;
      if (step == 0 || step > MAX_DURATION)
        step = self->duration;
      self->lost++;
      if (too_late (self, now)) {
        self->last_end += step; /* too late to conceal: catch up */
        self->discont = TRUE;
      } else {
        add_lost (self, items, step);
      }
      self->next_seq++;
      continue;
    }
    if (t > now)
      return t;
    if (items->len >= limit)
      return now;
    g_queue_pop_head (&self->queue);
    {
      Item it = { ITEM_BUFFER, gst_buffer_make_writable (head->buf), 0, 0, 0 };

      GST_BUFFER_PTS (it.buf) = t;
      GST_BUFFER_DTS (it.buf) = GST_CLOCK_TIME_NONE;
      if (self->discont)
        GST_BUFFER_FLAG_SET (it.buf, GST_BUFFER_FLAG_DISCONT);
      else
        GST_BUFFER_FLAG_UNSET (it.buf, GST_BUFFER_FLAG_DISCONT);
      self->discont = FALSE;
      g_array_append_val (items, it);
    }
    self->have_out = TRUE;
    self->next_seq = head->ext_seq + 1;
    self->last_end = t + self->duration;
    g_free (head);
  }
}
