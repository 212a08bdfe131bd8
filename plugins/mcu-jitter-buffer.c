/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcujitterbuffer (see mcu-jitter-buffer.h).
 *
 * Threads: chain and the sink events run on the upstream streaming thread,
 * mcu_jitter_buffer_service on one thread at a time (`service_lock`); the
 * queue and every field below `lock` are shared under `lock`, which is
 * never held while pushing or calling out (signals, the scheduler). Order:
 * service_lock, then lock. */
#include "mcu-jitter-buffer.h"

#include <gst/rtp/rtp.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (mcu_jitter_buffer_debug);
#define GST_CAT_DEFAULT mcu_jitter_buffer_debug

#define DEFAULT_LATENCY_MS 60
#define DEFAULT_MIN_MS     20
#define DEFAULT_MAX_MS     200
#define MAX_DROPOUT        3000 /* seq ahead: a new stream */
#define MAX_MISORDER       1000 /* seq behind: a new stream */
#define MAX_LOST_EVENTS    50   /* a longer hole is skipped, not concealed */
#define MAX_QUEUE          512  /* packets held at most */
#define WINDOW             (1 * GST_SECOND) /* min transit: over 1-2 s */
#define RESYNC_TRANSIT     (1 * GST_SECOND)
#define DEFAULT_DURATION   (20 * GST_MSECOND)
#define MAX_DURATION       (200 * GST_MSECOND)
#define DOWN_AFTER         (5 * GST_SECOND)
#define DOWN_EVERY         (1 * GST_SECOND)
#define DOWN_STEP          (10 * GST_MSECOND)
/* a depth change after this long without output needs no concealment */
#define STREAMING_SLACK (60 * GST_MSECOND)
#define EXT_BASE        (G_GUINT64_CONSTANT (1) << 40)
/* Serviced this late (an overloaded machine), a lost packet is not
 * concealed any more: the output catches up. Time downstream made us wait
 * (MCU_JITTER_BUFFER_CAN_TAKE said no: the mixer paces its input, about
 * 20-40 ms behind the playout time) does not count. */
#define MAX_BEHIND (60 * GST_MSECOND)

typedef struct
{
  GstBuffer *buf;
  guint64 ext_seq;
  gint64 rtp_ns; /* RTP time since the mapping's base */
} Packet;

typedef enum
{
  ITEM_BUFFER,
  ITEM_LOST,
} ItemType;

typedef struct
{
  ItemType type;
  GstBuffer *buf;
  guint seqnum;
  GstClockTime timestamp, duration;
} Item;

struct _McuJitterBuffer
{
  GstElement parent_instance;

  GstPad *sinkpad, *srcpad, *rtcppad;
  GMutex service_lock;

  GMutex lock;
  /* properties */
  guint latency_ms, min_ms, max_ms;
  gboolean do_lost;
  /* clock rates: from the caps, else asked per payload type */
  gint caps_rate;
  gint pt_rate[128]; /* 0: not asked, -1: none */
  gboolean flushing;
  gboolean segment_sent;
  GstSegment segment; /* upstream's, for the arrival times */
  /* the stream */
  gboolean have_stream;
  guint32 ssrc;
  gint clock_rate;
  guint64 max_seq; /* extended */
  guint64 max_ts;  /* extended, of the max_seq packet */
  guint64 base_ts;
  gint64 max_rtp_ns;
  GQueue queue; /* Packet*, by ext_seq */
  gboolean have_out;
  guint64 next_seq;
  GstClockTime last_end; /* running time where the output stopped */
  GstClockTime duration; /* of a packet */
  gboolean discont;
  /* mapping: smallest transit over two windows */
  gboolean have_map;
  GstClockTimeDiff win_min[2];
  GstClockTime win_start;
  GstClockTimeDiff offset;
  /* jitter and depth */
  gboolean have_prev;
  GstClockTime prev_arrival;
  gint64 prev_rtp_ns;
  gdouble jitter; /* ns */
  GstClockTime depth;
  GstClockTime conceal; /* added delay not concealed yet */
  GstClockTime below_since, last_down;
  /* counters */
  guint64 received, lost, late, duplicates;
  guint64 deferred;   /* services that found downstream full */
  gboolean held;      /* the last answer was no */
  GstClockTime freed; /* running time downstream said yes after a no */
  /* the scheduler */
  McuJitterBufferWakeFunc wake;
  McuJitterBufferDetachFunc detach;
  gpointer sched_data;
  GstClockTime scheduled; /* running time the next service was promised */
};

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

static void
packet_free (Packet *p)
{
  gst_buffer_unref (p->buf);
  g_free (p);
}

/* ---- state (lock held) ---- */

static void
drop_queue (McuJitterBuffer *self)
{
  Packet *p;

  while ((p = g_queue_pop_head (&self->queue)))
    packet_free (p);
}

/* Forget the stream: the next packet starts a new one. */
static void
reset_stream (McuJitterBuffer *self)
{
  drop_queue (self);
  self->have_stream = FALSE;
  self->have_out = FALSE;
  self->have_map = FALSE;
  self->have_prev = FALSE;
  self->conceal = 0;
  self->discont = TRUE;
  self->below_since = GST_CLOCK_TIME_NONE;
  self->held = FALSE;
  self->freed = GST_CLOCK_TIME_NONE;
}

static GstClockTime
clamp_depth (McuJitterBuffer *self, GstClockTime depth)
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

static GstClockTimeDiff
playout (McuJitterBuffer *self, const Packet *p)
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
  GstClockTime target =
      clamp_depth (self, 3 * (GstClockTime)self->jitter + 10 * GST_MSECOND);

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

/* Inserts @buf (ownership taken); FALSE when dropped. */
static gboolean
insert (McuJitterBuffer *self, GstBuffer *buf, guint16 seq, guint32 ts,
    guint32 ssrc, gint clock_rate, GstClockTime arrival)
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
    reset_stream (self);
  }
  if (self->have_stream) {
    ext_seq = self->max_seq + (gint16)(seq - (guint16)self->max_seq);
    diff = (gint64)(ext_seq - self->max_seq);
    if (diff > MAX_DROPOUT || diff < -MAX_MISORDER) {
      GST_INFO_OBJECT (
          self, "sequence jump %" G_GINT64_FORMAT ": resync", diff);
      reset_stream (self);
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
static GstClockTime
collect (McuJitterBuffer *self, GstClockTime now, GArray *items, guint limit)
{
  for (;;) {
    Packet *head = g_queue_peek_head (&self->queue);
    GstClockTime t;
    guint64 n;

    if (head == NULL) {
      self->conceal = 0;
      return GST_CLOCK_TIME_NONE;
    }
    t = (GstClockTime)playout (self, head);
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

/* Downstream's answer to MCU_JITTER_BUFFER_CAN_TAKE: 1 yes, 0 no, -1 not
 * answered (nobody downstream would block us). */
static gint
downstream_can_take (McuJitterBuffer *self)
{
  GstQuery *query = gst_query_new_custom (
      GST_QUERY_CUSTOM, gst_structure_new_empty (MCU_JITTER_BUFFER_CAN_TAKE));
  gboolean can = TRUE;
  gint answer = -1;

  if (gst_pad_peer_query (self->srcpad, query) &&
      gst_structure_get_boolean (
          gst_query_get_structure (query), "can-take", &can))
    answer = can ? 1 : 0;
  gst_query_unref (query);
  return answer;
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

/* One item at a time while downstream answers the query (each push may
 * fill its queue), everything due when it does not. */
GstClockTime
mcu_jitter_buffer_service (McuJitterBuffer *self, GstClockTime now)
{
  GstClockTime base = gst_element_get_base_time (GST_ELEMENT (self));
  GstClockTime rt, next;
  g_autoptr (GArray) items = g_array_new (FALSE, FALSE, sizeof (Item));
  gboolean send_segment;
  gint can;

  g_return_val_if_fail (MCU_IS_JITTER_BUFFER (self), GST_CLOCK_TIME_NONE);
  if (!GST_CLOCK_TIME_IS_VALID (base) || now < base)
    base = 0;
  rt = now - base;

  g_mutex_lock (&self->service_lock);
  do {
    can = downstream_can_take (self);
    g_mutex_lock (&self->lock);
    if (can == 1 && self->held)
      self->freed = rt;
    self->held = can == 0;
    if (self->flushing)
      next = GST_CLOCK_TIME_NONE;
    else
      next = collect (self, rt, items, can < 0 ? G_MAXUINT : (guint)can);
    if (can == 0 && next <= rt) {
      self->deferred++; /* downstream is full: ask again soon */
      next = rt + MCU_JITTER_BUFFER_RETRY;
    }
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
  } while (can == 1 && next <= rt);
  g_mutex_unlock (&self->service_lock);
  return GST_CLOCK_TIME_IS_VALID (next) ? next + base : next;
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
  if (insert (self, buf, seq, ts, ssrc, rate, arrival) && self->wake) {
    Packet *head = g_queue_peek_head (&self->queue);
    GstClockTime due = (GstClockTime)playout (self, head);

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
      g_mutex_unlock (&self->lock);
      return gst_pad_push_event (self->srcpad, event);
    case GST_EVENT_FLUSH_STOP:
      g_mutex_lock (&self->lock);
      self->flushing = FALSE;
      self->segment_sent = FALSE;
      reset_stream (self);
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
    top = clamp_depth (self, G_MAXUINT * GST_MSECOND);
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
      reset_stream (self);
      g_mutex_unlock (&self->lock);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* the scheduler lets go first (waiting for a service in progress) */
      g_mutex_lock (&self->lock);
      g_debug ("%s: received %" G_GUINT64_FORMAT ", lost %" G_GUINT64_FORMAT
               ", late %" G_GUINT64_FORMAT ", duplicates %" G_GUINT64_FORMAT
               ", deferred %" G_GUINT64_FORMAT ", jitter %u ms, depth %u ms",
          GST_OBJECT_NAME (self), self->received, self->lost, self->late,
          self->duplicates, self->deferred, (guint)(self->jitter / GST_MSECOND),
          (guint)(self->depth / GST_MSECOND));
      self->flushing = TRUE;
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
      "deferred", G_TYPE_UINT64, self->deferred, "jitter", G_TYPE_UINT,
      (guint)(self->jitter / GST_MSECOND), NULL);
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
      self->depth = clamp_depth (self, self->latency_ms * GST_MSECOND);
      break;
    case PROP_MIN_LATENCY:
      self->min_ms = g_value_get_uint (value);
      self->depth = clamp_depth (self, self->depth);
      break;
    case PROP_MAX_LATENCY:
      self->max_ms = g_value_get_uint (value);
      self->depth = clamp_depth (self, self->depth);
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

  drop_queue (self);
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

static void
mcu_jitter_buffer_init (McuJitterBuffer *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->service_lock);
  g_queue_init (&self->queue);
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
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

gboolean
mcu_jitter_buffer_register (GstPlugin *plugin)
{
  return gst_element_register (
      plugin, "mcujitterbuffer", GST_RANK_NONE, MCU_TYPE_JITTER_BUFFER);
}
