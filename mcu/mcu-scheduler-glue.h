/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the scheduler wired to the daemon (rooms, dialer, events, chat) and
 * the admission gate of scheduled rooms (McuCallEnv.admit_gate). */
#pragma once

#include "mcu-daemon.h"
#include "mcu-scheduler.h"

G_BEGIN_DECLS

/* A scheduler on @store whose ops act on @daemon; the dialer's outcomes
 * are forwarded to it. (transfer full) */
McuScheduler *mcu_scheduler_glue_new (
    McuDaemon *daemon, McuStore *store, GError **error);
/* Stops @scheduler, disconnects it from the dialer and drops it. */
void mcu_scheduler_glue_free (McuDaemon *daemon, McuScheduler *scheduler);
/* McuCallEnv.admit_gate with the daemon as @data. */
gboolean mcu_scheduler_glue_admit (
    gpointer data, const gchar *room, guint *retry_after, GError **error);

/* McuCallEnv.extend_meeting with the daemon as @data: the meeting that
 * runs in @room ends @minutes later. */
gboolean mcu_scheduler_glue_extend (
    gpointer data, McuRoom *room, guint minutes, GError **error);

G_END_DECLS
