/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcujitterbuffer's own struct, shared by mcu-jitter-buffer.c (the
 * element, the service) and mcu-jitter-buffer-queue.c (the queue, mapping
 * and depth). Threads and locks: see mcu-jitter-buffer.c. */
#pragma once

#include "mcu-jitter-buffer.h"

#include <gst/rtp/rtp.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (mcu_jitter_buffer_debug);

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
  /* the newest packet drop_stale dropped (0: none since the reset): a
   * hole up to it is skipped, not concealed (see collect) */
  guint64 stale_seq;
  GstClockTime stale_end; /* where that packet would have stopped playing */
  GstClockTime last_end;  /* running time where the output stopped */
  GstClockTime duration;  /* of a packet */
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
  guint64 deferred;     /* answers "full" (MCU_JITTER_BUFFER_CAN_TAKE) */
  guint64 asked;        /* times downstream was asked (query or asker) */
  guint64 asked_direct; /* of those, through downstream's asker */
  guint64 woken;        /* pushes that downstream's wake allowed */
  guint64 rescued;      /* waits that no wake ended */
  /* downstream: the query (reused: no allocation per packet; with
   * service_lock) and its answers */
  GstQuery *can_take;
  GArray *items;               /* Item, scratch of the service */
  McuJitterBufferWaker *waker; /* (owned) in can_take too */
  /* downstream's direct line (with service_lock), from its last answer;
   * dropped at the next ask once asker_stale is set (atomic: the src pad
   * unlinked, the element stopping) */
  McuJitterBufferAsker *asker;
  gint asker_stale;
  gboolean asking;  /* a query is out */
  gboolean held;    /* it said no: waiting for its wake */
  gboolean granted; /* woken: one item may go without asking */
  /* downstream said yes and what was due gave no item (a concealment
   * under 1 ms, losses skipped): the next item goes on that yes. Only we
   * fill downstream's input, so a yes holds until we push; a flush drops
   * it, an unlink (asker_stale) voids it. (test-playout: one ask per item; 140
   * asks for 139 items, about 1 run in 10 beside two busy loops, 144 for 137
   * under ASan in CI.) */
  gboolean spare_yes;
  GstClockTime held_at; /* running time it said no */
  GstClockTime freed;   /* running time downstream said yes after a no */
  /* the scheduler */
  McuJitterBufferWakeFunc wake;
  McuJitterBufferDetachFunc detach;
  gpointer sched_data;
  GstClockTime scheduled; /* running time the next service was promised */
};

/* mcu-jitter-buffer-queue.c, all with `lock` held */
/* Drops every packet held. */
void mcu_jitter_buffer_queue_drop (McuJitterBuffer *self);
/* Forgets the stream: the next packet starts a new one. */
void mcu_jitter_buffer_queue_reset (McuJitterBuffer *self);
/* @depth within [min-latency, max-latency]. */
GstClockTime mcu_jitter_buffer_queue_clamp_depth (
    McuJitterBuffer *self, GstClockTime depth);
/* When @p plays (running time). */
GstClockTimeDiff mcu_jitter_buffer_queue_playout (
    McuJitterBuffer *self, const Packet *p);
/* Inserts @buf (ownership taken), arrived at @arrival (running time);
 * FALSE when dropped (late, duplicate, queue full). */
gboolean mcu_jitter_buffer_queue_insert (McuJitterBuffer *self, GstBuffer *buf,
    guint16 seq, guint32 ts, guint32 ssrc, gint clock_rate,
    GstClockTime arrival);
/* What is due at @now (running time), appended to @items (Item), at most
 * @limit items (@now is returned when more is due); the next time due. */
GstClockTime mcu_jitter_buffer_queue_collect (
    McuJitterBuffer *self, GstClockTime now, GArray *items, guint limit);

/* mcu-jitter-buffer-waker.c */
McuJitterBufferWaker *mcu_jitter_buffer_waker_new (McuJitterBuffer *jb);
/* The element is finalized: later wakes do nothing (waits for one in
 * progress). */
void mcu_jitter_buffer_waker_detach (McuJitterBufferWaker *waker);
/* mcu-jitter-buffer.c: downstream can take one item (the waker's lock
 * held, none of the element's). */
void mcu_jitter_buffer_grant (McuJitterBuffer *self);

G_END_DECLS
