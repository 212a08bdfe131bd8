/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the process's one RTP receive thread. McuRtpIo waits on every
 * registered UDP socket at once (epoll), reads what arrived in batches
 * (recvmmsg, up to MCU_RTP_IO_BATCH datagrams per call and socket) and
 * hands each batch to the socket's callback on that thread. It also runs
 * timers on that thread (RTCP reports).
 *
 * Owned by McuPortPool (mcu_port_pool_get_io): the number of watches is
 * bounded by the pool's port range (two sockets per pair), so a stranger
 * cannot make us hold more of them than the configured range allows; each
 * watch costs one epoll entry and a few dozen bytes. The thread starts
 * with the first watch or timer and is joined when the object goes away.
 *
 * Callbacks run on the I/O thread and must not block: they hand packets
 * on (gst_pad_push into elements that queue, counters under short locks)
 * and return. Every function here may be called from any thread but the
 * I/O thread itself, unless noted. */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

/* Datagrams read at most per socket per wake-up. */
#define MCU_RTP_IO_BATCH 32

/* @n datagrams read from @socket (n >= 1), in arrival order: @bufs[i]
 * came from @from[i] (transfer none); its DTS is when it arrived (the
 * kernel's receive time) on the system clock (gst_system_clock_obtain).
 * @arrival: the first one's. On the I/O thread.
 * @bufs: the callback may take a buffer (g_steal_pointer (&bufs[i])): it is
 * then the only reference to it and to its memory, so whoever writes into
 * it downstream (srtpdec decrypts in place) neither copies the buffer nor
 * its bytes; the I/O thread unrefs the ones left. */
typedef void (*McuRtpIoFunc) (gpointer data, GSocket *socket, GstBuffer **bufs,
    GSocketAddress *const *from, guint n, GstClockTime arrival);
/* A timer is due at @now (system clock). Returns when it is due next, or
 * GST_CLOCK_TIME_NONE to stop (the timer stays allocated until
 * mcu_rtp_io_remove_timer). On the I/O thread. */
typedef GstClockTime (*McuRtpIoTimerFunc) (gpointer data, GstClockTime now);

typedef struct _McuRtpIoWatch McuRtpIoWatch;
typedef struct _McuRtpIoTimer McuRtpIoTimer;

#define MCU_TYPE_RTP_IO (mcu_rtp_io_get_type ())
G_DECLARE_FINAL_TYPE (McuRtpIo, mcu_rtp_io, MCU, RTP_IO, GObject)

/* No thread yet: it starts with the first watch or timer. */
McuRtpIo *mcu_rtp_io_new (void);

/* Calls @func for what arrives on @socket from now on, until
 * mcu_rtp_io_remove. @destroy (nullable) frees @data after the last
 * callback. The socket must stay open until then. NULL (with a warning)
 * when the socket cannot be watched. */
McuRtpIoWatch *mcu_rtp_io_add (McuRtpIo *self, GSocket *socket,
    McuRtpIoFunc func, gpointer data, GDestroyNotify destroy);
/* Stops the watch. Returns only once no callback for it runs any more
 * (waits for one in progress on the I/O thread; other sockets' callbacks
 * go on meanwhile), after @destroy ran. Called from the watch's own
 * callback, it does not wait: @destroy runs when that callback returns. */
void mcu_rtp_io_remove (McuRtpIo *self, McuRtpIoWatch *watch);

/* Calls @func at @at (system clock) on the I/O thread, and again at the
 * time it returns. */
McuRtpIoTimer *mcu_rtp_io_add_timer (McuRtpIo *self, GstClockTime at,
    McuRtpIoTimerFunc func, gpointer data, GDestroyNotify destroy);
/* As mcu_rtp_io_remove, for a timer. */
void mcu_rtp_io_remove_timer (McuRtpIo *self, McuRtpIoTimer *timer);

/* The system clock's time now (what @arrival and timers use). */
GstClockTime mcu_rtp_io_now (McuRtpIo *self);
/* Sockets watched now (tests, stats). */
guint mcu_rtp_io_get_n_watches (McuRtpIo *self);

G_END_DECLS
