/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The store tests' fixture: one test table over two backends (SQLite in a
 * temporary directory; PostgreSQL at MCU_TEST_PG_DSN, reset per test). */
#pragma once

#include "mcu-pg.h"
#include "mcu-registrar.h"
#include "mcu-store-pg.h"
#include "mcu-store.h"

typedef struct _Fixture Fixture;

/* One backend of the test table. */
typedef struct
{
  const gchar *name;
  /* what calls on a closed store fail with */
  gint closed_error;         /* McuStoreErrorCode */
  gint closed_binding_error; /* McuBindingStoreErrorCode */
} Backend;

extern const Backend sqlite_backend;
extern const Backend pg_backend;

struct _Fixture
{
  const Backend *backend;
  gchar *dir;
  gchar *path;
  gint64 now;
  McuPg *admin;      /* pg: our own connection, to look and reset */
  GPtrArray *stores; /* pg: every store opened, flushed at the end */
};

/* Runs the main loop until @done (@data), at most 20 s. */
void iterate_until (
    gboolean (*done) (gpointer), gpointer data, const gchar *what);
/* Runs @sql on the fixture's own PostgreSQL connection; the first value. */
gchar *pg_text (Fixture *f, const gchar *sql);
gboolean pg_connected (gpointer data);
gboolean store_available (gpointer data);
gboolean store_flushed (gpointer data);
/* A store of the fixture's backend, loaded and ready. */
McuStore *open_store (Fixture *f, GError **error);
/* Closes @store once its writes are out. */
void close_store (Fixture *f, McuStore **store);
/* The rows of @table in the database, once the writes are out. */
gchar *count_rows (Fixture *f, const gchar *table);
void fixture_set_up (Fixture *f, gconstpointer data);
void remove_tree (const gchar *path);
void fixture_tear_down (Fixture *f, gconstpointer data);
McuBinding *binding (
    const gchar *aor, const gchar *contact, gint64 expires_at, gdouble q);
GPtrArray *bindings_of (McuBinding *first, ...);
gchar *query_text (const gchar *path, const gchar *sql);
gint64 fake_clock (gpointer data);
McuRegistrar *registrar_on (Fixture *f, McuStore *store);
McuStoredRoom *stored_room (
    const gchar *name, const gchar *pin, gboolean locked);

/* The PostgreSQL-only cases (test-store-pg.c). */
void store_pg_add_tests (void);
