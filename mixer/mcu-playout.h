/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuPlayout, the few threads that drain every mcujitterbuffer of the
 * process (plugins/mcu-jitter-buffer.h): a fixed set of workers (one per
 * CPU, 1 to 4), each sleeping until the earliest time one of its jitter
 * buffers needs service (mcu_jitter_buffer_service), woken early when a
 * packet arrives that is due sooner. The decode chain behind a jitter
 * buffer (depayloader, decoder, concealment, the mixer's pad) runs on its
 * worker.
 *
 * A group (e.g. the room's audio mix) always goes to the same worker, so
 * one room's inputs are pushed in one thread and a stalled room holds up
 * only the rooms sharing its worker; a new group goes to the worker with
 * the fewest jitter buffers.
 *
 * Threads: add and remove from any thread except a worker (remove from a
 * worker inside a service of the same jitter buffer only marks it). The
 * jitter buffer removes itself when it goes from PAUSED to READY (its
 * detach callback), waiting for a service in progress. */
#pragma once

#include <glib-object.h>
#include "mcu-jitter-buffer.h"

G_BEGIN_DECLS

#define MCU_TYPE_PLAYOUT (mcu_playout_get_type ())
G_DECLARE_FINAL_TYPE (McuPlayout, mcu_playout, MCU, PLAYOUT, GObject)

/* @n_workers: 0 for the number of CPUs clamped to 1..4. */
McuPlayout *mcu_playout_new (guint n_workers);
guint mcu_playout_get_n_workers (McuPlayout *self);
/* Services @jb (a ref is taken) from now until mcu_playout_remove or until
 * it goes to READY. @group: (nullable) jitter buffers of the same group are
 * serviced by the same worker. FALSE (nothing taken): @jb went from PAUSED
 * to READY already (add it again once it runs). */
gboolean mcu_playout_add (
    McuPlayout *self, McuJitterBuffer *jb, gconstpointer group);
/* Stops servicing @jb, after a service in progress ends. */
void mcu_playout_remove (McuPlayout *self, McuJitterBuffer *jb);
/* How many jitter buffers are serviced (all workers). */
guint mcu_playout_get_n_buffers (McuPlayout *self);

G_END_DECLS
