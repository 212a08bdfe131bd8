/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuMixPool, a few worker threads (sized to the CPUs, not to the
 * participants) that a mixer's thread borrows to spread one mixing cycle's
 * per-output work (mix-minus, encode, payload, send) over the cores.
 *
 * mcu_mix_pool_run (pool, n, func, data) calls func (i, data) once for
 * each i in 0..n-1 and returns when all n calls have returned. The calling
 * thread takes items too, so a run always finishes even when every worker
 * is busy with another mixer's run (one pool may serve every room of the
 * process); the workers only speed it up. Items are taken in increasing
 * order, but run in parallel: func must not share unlocked state between
 * items. func must not call mcu_mix_pool_run on the same pool.
 *
 * Threads: new, unref from the application thread; run from any thread,
 * concurrently. The workers run at the mixers' priority,
 * MCU_THREAD_NICE_AUDIO (mcu-thread-priority.h), when the process may. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define MCU_TYPE_MIX_POOL (mcu_mix_pool_get_type ())
G_DECLARE_FINAL_TYPE (McuMixPool, mcu_mix_pool, MCU, MIX_POOL, GObject)

/* At most this many workers, whatever the CPU count. */
#define MCU_MIX_POOL_MAX_WORKERS 15

typedef void (*McuMixPoolFunc) (guint index, gpointer data);

/* @n_workers: threads besides the caller's; 0 for the CPU count minus one
 * (the calling thread is the other), at most MCU_MIX_POOL_MAX_WORKERS.
 * A pool on a single CPU has no worker: run calls every item itself. */
McuMixPool *mcu_mix_pool_new (guint n_workers);
guint mcu_mix_pool_get_n_workers (McuMixPool *self);
/* Returns the CPU time (ns) the workers spent on this run's items (the
 * caller's own is not in it: see mcu_mix_pool_thread_time). */
guint64 mcu_mix_pool_run (
    McuMixPool *self, guint n_items, McuMixPoolFunc func, gpointer data);
/* The CPU time (ns) the calling thread has used so far. */
guint64 mcu_mix_pool_thread_time (void);
/* Items run on a worker thread so far (tests, diagnostics). */
guint64 mcu_mix_pool_get_n_helped (McuMixPool *self);

G_END_DECLS
