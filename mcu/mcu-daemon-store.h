/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the daemon's store ([storage]) and what it does when stored data
 * arrives late or is changed by another node: rooms opened, updated or
 * closed, meetings handed to the scheduler. Main thread only. */
#pragma once

#include "mcu-config.h"
#include "mcu-daemon.h"
#include "mcu-store.h"

G_BEGIN_DECLS

/* The store [storage] asks for: SQLite (database=) or PostgreSQL (dsn=,
 * connecting in the background). Errors name the file, group and key. */
McuStore *mcu_daemon_store_open (const McuConfig *config, GError **error);
/* Opens the rooms made through the control API before the last stop. One
 * that cannot be opened again (its name is refused now) is skipped with a
 * warning and left in the store. */
gboolean mcu_daemon_store_load_rooms (
    McuDaemon *daemon, McuStore *store, GError **error);
/* Opens, updates and closes @daemon's rooms and meetings as @store says
 * they changed (the signals are disconnected when @daemon goes). */
void mcu_daemon_store_watch (McuDaemon *daemon, McuStore *store);

G_END_DECLS
