/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one PostgreSQL connection driven by libpq's asynchronous API on the
 * thread-default GMainContext of the thread that made it. Nothing here ever
 * blocks: the connection is made with PQconnectStart/PQconnectPoll, queries
 * go out with PQsendQueryParams and their results are read when the socket
 * is readable; a host name is resolved first with GResolver (libpq would
 * block on it) and its addresses given as hostaddr. A server silent longer
 * than the timeout counts as lost (idle connections are pinged). After a
 * loss the connection is made again by itself (backoff 0.25 s doubling to
 * 5 s) and every LISTEN is issued again. */
#pragma once

#include <gio/gio.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

#define MCU_PG_ERROR (mcu_pg_error_quark ())
GQuark mcu_pg_error_quark (void);

typedef enum
{
  MCU_PG_ERROR_UNAVAILABLE, /* not connected, lost mid-query, queue full */
  MCU_PG_ERROR_QUERY,       /* the server refused it; message has SQLSTATE */
} McuPgErrorCode;

/* At most this many queries wait or run at once; more fail UNAVAILABLE. */
#define MCU_PG_MAX_QUEUED 1000

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

#define MCU_TYPE_PG (mcu_pg_get_type ())
G_DECLARE_FINAL_TYPE (McuPg, mcu_pg, MCU, PG, GObject)

/* @dsn: a libpq conninfo string or URI. Does not connect yet. */
McuPg *mcu_pg_new (const gchar *dsn);
/* Connects; after any loss, reconnects with backoff. */
void mcu_pg_start (McuPg *self);
/* Disconnects for good: every waiting query fails UNAVAILABLE and no
 * reconnection follows. Also done when the object is disposed. */
void mcu_pg_close (McuPg *self);
gboolean mcu_pg_is_connected (McuPg *self);
/* How long connecting, or the answer to one query, may take before the
 * connection is taken for lost (default 15 s). */
void mcu_pg_set_timeout (McuPg *self, guint timeout_ms);
const gchar *mcu_pg_get_dsn (McuPg *self);

/* Runs @sql with the text @params (a NULL entry is SQL NULL). Queries run
 * one at a time in the order they were issued. With @n_params 0 @sql may
 * hold several statements (the simple protocol). Fails at once with
 * MCU_PG_ERROR_UNAVAILABLE when not connected or when
 * MCU_PG_MAX_QUEUED queries already wait. */
void mcu_pg_query_async (McuPg *self, const gchar *sql,
    const gchar *const *params, gint n_params, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data);
/* (transfer full): the result, NULL + @error unless PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK. */
PGresult *mcu_pg_query_finish (
    McuPg *self, GAsyncResult *result, GError **error);
/* LISTEN @channel now (when connected) and after every reconnection. */
void mcu_pg_listen (McuPg *self, const gchar *channel);

/* Signals: "notification" (const gchar *channel, const gchar *payload),
 * "connected" () once a connection is up (the LISTENs are queued ahead of
 * anything issued from its handlers), "disconnected" () when an established
 * connection is lost or closed. */

G_END_DECLS
