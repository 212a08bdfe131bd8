/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the embedded SQLite store ([storage] database), one connection on
 * the main thread. */
#pragma once

#include "mcu-store.h"

G_BEGIN_DECLS

#define MCU_TYPE_STORE_SQLITE (mcu_store_sqlite_get_type ())
G_DECLARE_FINAL_TYPE (
    McuStoreSqlite, mcu_store_sqlite, MCU, STORE_SQLITE, McuStore)

/* Same as mcu_store_open (). */
McuStore *mcu_store_sqlite_open (const gchar *path, GError **error);

G_END_DECLS
