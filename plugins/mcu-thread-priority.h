/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuThreadPriority, the one way a thread of ours is raised above
 * the default priority (nice) and set back.
 *
 * Audio before video before the rest: the threads that pace every caller's
 * audio (a room's mixing thread and clock source, the mix pool's workers
 * it waits on, the playout workers that feed it) run at
 * MCU_THREAD_NICE_AUDIO; the frames everyone sees (mcu-video-priority-
 * private.h) a little below; every other thread at the process's own.
 * Not the RTP receive thread (mcu-rtp-io.c): it sleeps nearly always (under
 * 1 % of a core for a room) and its packets keep the kernel's arrival time,
 * so a busy machine delays its reads, not the audio (4 busy loops beside
 * the server: no difference in what listeners got); but under a flood of
 * packets at nice -10 it took twice the CPU (3-4 s of 8 s, from everyone
 * else, the mixing thread at the same nice included), OPTIONS to the main
 * thread took up to 182 ms instead of 16 and listeners' longest gap grew
 * from 33-63 ms to 46-351 ms (tests/bench/rx_priority_bench.py). On
 * Linux a nice value is a thread's (setpriority on its tid), so each
 * thread raises itself when it starts serving (enter, on that thread) and
 * sets back the value it had (leave, on the same thread), since a
 * GStreamer task thread returns to a shared pool.
 *
 * enter saves the thread's own nice and only ever raises: a thread already
 * above (a lower nice) stays there. Raising needs CAP_SYS_NICE or
 * RLIMIT_NICE (mcu.service: LimitNICE=-10); without it nothing changes and
 * the object says so once (g_message), however many threads try. With a
 * smaller RLIMIT_NICE (LimitNICE=-5 while the audio asks -10) a thread is
 * raised as far as allowed (still said once), so that the audio threads are
 * never left below the video's (nice -5, mcu-video-priority-private.h),
 * which got all they asked. Failing to set a thread back is a g_warning, once
 * per object.
 *
 * Threads: enter and leave from any thread, concurrently (the saved values
 * are under the object's lock); an enter is paired with a leave on the
 * same thread, not nested. */
#pragma once

#include <glib-object.h>
#include <gst/gst.h>

G_BEGIN_DECLS

/* The audio threads' nice: mcu.service's LimitNICE allows down to it. */
#define MCU_THREAD_NICE_AUDIO (-10)

#define MCU_TYPE_THREAD_PRIORITY (mcu_thread_priority_get_type ())
G_DECLARE_FINAL_TYPE (
    McuThreadPriority, mcu_thread_priority, MCU, THREAD_PRIORITY, GObject)

/* @what names the threads in the log ("the playout workers"); @nice is
 * what enter raises them to (-20 .. 19). */
McuThreadPriority *mcu_thread_priority_new (const gchar *what, gint nice);
gint mcu_thread_priority_get_nice (McuThreadPriority *self);
/* On the thread to raise: returns TRUE when it runs at the object's nice
 * or higher now (it was, or was raised), FALSE when it could not be (or
 * only partly: as far as RLIMIT_NICE allows; leave sets it back then). */
gboolean mcu_thread_priority_enter (McuThreadPriority *self);
/* On a thread that entered: sets back the nice it had before. */
void mcu_thread_priority_leave (McuThreadPriority *self);
/* For a STREAM_STATUS message in a bus sync handler (on the thread that
 * enters or leaves): ENTER enters, LEAVE leaves, the rest is ignored.
 * The caller picks which owners' threads it raises; passing every LEAVE
 * is harmless (a thread this object did not raise is left alone). */
void mcu_thread_priority_handle_stream_status (
    McuThreadPriority *self, GstMessage *msg);
/* How many enters could not raise their thread to the object's nice, or
 * only partly (tests, diagnostics). */
guint mcu_thread_priority_get_n_denied (McuThreadPriority *self);

G_END_DECLS
