/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the PostgreSQL store ([storage] backend=postgresql, dsn=), shared by
 * the nodes of a cluster. A write-through cache: everything is loaded into
 * memory once connected (and again after every reconnection), calls answer
 * from memory, writes update memory and go out in the background in order
 * (one McuPg connection). Changes made by other nodes arrive by
 * LISTEN/NOTIFY (triggers on the tables, channel "mcu_store") and emit the
 * McuStore change signals. While the database is out of reach, writes fail
 * at once with MCU_STORE_ERROR_UNAVAILABLE. */
#pragma once

#include "mcu-store.h"

G_BEGIN_DECLS

#define MCU_TYPE_STORE_PG (mcu_store_pg_get_type ())
G_DECLARE_FINAL_TYPE (McuStorePg, mcu_store_pg, MCU, STORE_PG, McuStore)

/* Starts connecting to @dsn (a libpq conninfo string or URI); does not wait.
 * NULL + MCU_STORE_ERROR_OPEN when @dsn cannot be parsed. */
McuStore *mcu_store_pg_new (const gchar *dsn, GError **error);
/* Writes sent and not answered yet. */
guint mcu_store_pg_get_pending (McuStorePg *self);

G_END_DECLS
