/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcujitterbuffer, an RTP jitter buffer with no thread of its own.
 *
 * Pads: "sink" and "src" application/x-rtp (one SSRC), and a "sink_rtcp"
 * request pad that takes rtpbin's RTCP and drops it. chain() inserts a
 * packet by its extended sequence number and returns at once; the buffer
 * is drained from outside by mcu_jitter_buffer_service() (McuPlayout's
 * workers in the daemon, a fake clock in tests), which pushes what is due
 * in order and, for a sequence number whose time has passed, the custom
 * downstream event rtpjitterbuffer pushes with do-lost ("GstRTPPacketLost":
 * seqnum, timestamp, duration, retry=0): the depayloader turns it into a
 * GAP that opusdec or mcuplc conceals.
 *
 * Playout: a packet plays at its RTP time mapped to the local clock by the
 * smallest transit seen over the last 1-2 s (arrival - RTP time), plus the
 * depth. Outgoing buffers carry that running time as PTS (DTS cleared).
 * Adaptive depth: RFC 3550 interarrival jitter J, target 3 J + 10 ms within
 * [min-latency, max-latency]; up at once (the added delay goes out as a
 * lost event, so the decoder conceals it), down by 10 ms a second after 5 s
 * below the target. Resync (queue dropped, new mapping) on a new SSRC, a
 * sequence jump beyond 3000 ahead or 1000 behind, and a transit that moved
 * by more than a second (a timestamp jump, a sender that restarted); a
 * packet older than the last one played or declared lost is dropped as
 * late, a second copy as a duplicate.
 *
 * Properties: latency (ms, the starting depth; rtpbin sets it), min-latency
 * and max-latency (ms, 20 and 200), do-lost (send the lost events), and
 * read-only jitter (ms), depth (ms) and stats (GstStructure: received,
 * lost, late, duplicates, deferred (answers "full" from downstream),
 * asked (times downstream was asked: the query or its asker), asked-direct
 * (of those, through the asker), woken (pushes after downstream's wake
 * instead of asking), rescued (waits that no wake ended) as guint64,
 * jitter as guint ms). Signals for
 * rtpbin: "request-pt-map" (clock-rate when the caps lack it),
 * "clear-pt-map" (action), "handle-sync" and "on-npt-stop" (never emitted).
 *
 * Threads: chain and events on the sink's streaming thread, service on any
 * one thread at a time; both take the element's lock for the queue, and
 * service pushes without it. The service never waits for downstream: it
 * asks first (MCU_JITTER_BUFFER_CAN_TAKE below, at most once per item
 * pushed), and when downstream is full it is woken by downstream, not
 * polled, so one thread can serve many jitter buffers. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define MCU_TYPE_JITTER_BUFFER (mcu_jitter_buffer_get_type ())
G_DECLARE_FINAL_TYPE (
    McuJitterBuffer, mcu_jitter_buffer, MCU, JITTER_BUFFER, GstElement)

/* Called (no lock held) when a packet arrived that is due before the time
 * the last service returned (@due, clock time), or downstream woke it
 * (@due 0: now). */
typedef void (*McuJitterBufferWakeFunc) (
    McuJitterBuffer *jb, GstClockTime due, gpointer data);
/* Called once when the element goes from PAUSED to READY, before its queue
 * is dropped: whoever services it lets it go. */
typedef void (*McuJitterBufferDetachFunc) (McuJitterBuffer *jb, gpointer data);

/* The custom downstream query (GST_QUERY_CUSTOM, structure of this name)
 * the service sends before a push: downstream that would block the pusher
 * (mcumixminus's retimed inputs) answers it and sets the boolean
 * "can-take". FALSE: the service keeps what is due (nothing is counted
 * lost) and waits; the query carries the element's waker (field "waker",
 * MCU_TYPE_JITTER_BUFFER_WAKER), which downstream keeps and wakes once it
 * can take a buffer: the service then pushes one item without asking. A
 * wake that never comes is rescued MCU_JITTER_BUFFER_RESCUE later (asked
 * again; counted in the stats). Unanswered (no such element downstream,
 * or not linked yet): pushed as before. */
#define MCU_JITTER_BUFFER_CAN_TAKE "McuCanTake"
#define MCU_JITTER_BUFFER_RESCUE   (100 * GST_MSECOND)

/* A jitter buffer's wake-up call (refcounted, thread-safe). It holds no
 * reference to its jitter buffer: once the element is finalized a wake
 * does nothing, and a wake in progress finishes before it is. */
typedef struct _McuJitterBufferWaker McuJitterBufferWaker;
#define MCU_TYPE_JITTER_BUFFER_WAKER (mcu_jitter_buffer_waker_get_type ())
GType mcu_jitter_buffer_waker_get_type (void);
McuJitterBufferWaker *mcu_jitter_buffer_waker_ref (McuJitterBufferWaker *waker);
void mcu_jitter_buffer_waker_unref (McuJitterBufferWaker *waker);
/* Downstream can take one buffer now (after it answered "can-take" no):
 * the jitter buffer's scheduler is woken to push it. Cheap (no
 * allocation, three uncontended locks); any thread, without holding locks
 * the pusher takes (downstream's own object locks are fine). */
void mcu_jitter_buffer_waker_wake (McuJitterBufferWaker *waker);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (
    McuJitterBufferWaker, mcu_jitter_buffer_waker_unref)

/* Downstream's direct line (optional): the element answering
 * MCU_JITTER_BUFFER_CAN_TAKE may also set the field "asker"
 * (MCU_TYPE_JITTER_BUFFER_ASKER). The jitter buffer then asks it directly
 * from the next push on, without the query's walk through every element
 * in between (depayloader, decoder, ghost pads: a pad query, an iterator
 * and locks at each, for every packet), until it answers STALE (its
 * object released, unlinked or no longer answering: the query is sent
 * again) or the jitter buffer's src pad is unlinked or stops. The
 * function answers as the query would, with @waker kept when NO, and
 * STALE to a jitter buffer other than the one whose query it answered
 * last (one whose chain was relinked upstream of it still holds the
 * asker). It is called from the service's thread with the jitter
 * buffer's service lock held (and none other of its locks); lock order:
 * the jitter buffer's service lock -> the answering element's object
 * lock (mcumixminus) -> its pad's object lock -> the waker's lock (a wake
 * under them) -> the jitter buffer's lock -> McuPlayout's. The function
 * must not push, query, or take a lock that is held while one of these is
 * taken. */
typedef enum
{
  MCU_JITTER_BUFFER_ASK_STALE = -2,
  MCU_JITTER_BUFFER_ASK_NO = 0,
  MCU_JITTER_BUFFER_ASK_YES = 1,
} McuJitterBufferAskResult;
typedef McuJitterBufferAskResult (*McuJitterBufferAskFunc) (
    GObject *object, McuJitterBufferWaker *waker);
typedef struct _McuJitterBufferAsker McuJitterBufferAsker;
#define MCU_TYPE_JITTER_BUFFER_ASKER (mcu_jitter_buffer_asker_get_type ())
GType mcu_jitter_buffer_asker_get_type (void);
/* Holds a weak reference on @object. */
McuJitterBufferAsker *mcu_jitter_buffer_asker_new (
    GObject *object, McuJitterBufferAskFunc func);
McuJitterBufferAsker *mcu_jitter_buffer_asker_ref (McuJitterBufferAsker *asker);
void mcu_jitter_buffer_asker_unref (McuJitterBufferAsker *asker);
/* STALE when its object is gone. */
McuJitterBufferAskResult mcu_jitter_buffer_asker_ask (
    McuJitterBufferAsker *asker, McuJitterBufferWaker *waker);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (
    McuJitterBufferAsker, mcu_jitter_buffer_asker_unref)

/* Registers "mcujitterbuffer" with @plugin, or statically with NULL. */
gboolean mcu_jitter_buffer_register (GstPlugin *plugin);

/* Pushes everything due at @now (clock time: the pipeline clock's, the
 * element's base time is taken off), lost events included; returns when it
 * needs service next (clock time), or GST_CLOCK_TIME_NONE when empty. */
GstClockTime mcu_jitter_buffer_service (
    McuJitterBuffer *self, GstClockTime now);

/* Who services the element (McuPlayout): told of early packets and of the
 * element stopping. NULL functions: nobody. Returns FALSE, and sets
 * nothing, when @detach is given but the element went from PAUSED to READY
 * (and not back): it would never be detached. */
gboolean mcu_jitter_buffer_set_scheduler (McuJitterBuffer *self,
    McuJitterBufferWakeFunc wake, McuJitterBufferDetachFunc detach,
    gpointer data);
/* Whether a scheduler is set (it is dropped when the element stops). */
gboolean mcu_jitter_buffer_has_scheduler (McuJitterBuffer *self);

G_END_DECLS
