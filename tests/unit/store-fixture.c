/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The store tests' fixture (store-fixture.h). */
#include "store-fixture.h"

#include <glib/gstdio.h>
#include <sqlite3.h>

const Backend sqlite_backend = { "sqlite", MCU_STORE_ERROR_SQL,
  MCU_BINDING_STORE_ERROR_FAILED };
const Backend pg_backend = { "pg", MCU_STORE_ERROR_UNAVAILABLE,
  MCU_BINDING_STORE_ERROR_UNAVAILABLE };

static gboolean
on_timeout (gpointer user_data)
{
  g_error ("timed out: %s", (const gchar *)user_data);
  return G_SOURCE_REMOVE;
}

void
iterate_until (gboolean (*done) (gpointer), gpointer data, const gchar *what)
{
  guint timeout = g_timeout_add_seconds (20, on_timeout, (gpointer)what);

  while (!done (data))
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout);
}

typedef struct
{
  gboolean done;
  PGresult *result;
  GError *error;
} Answer;

static void
on_answer (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Answer *a = user_data;

  a->result = mcu_pg_query_finish (MCU_PG (source), result, &a->error);
  a->done = TRUE;
}

static gboolean
answered (gpointer data)
{
  return ((Answer *)data)->done;
}

/* Runs @sql on the admin connection; (transfer full) the first value. */
gchar *
pg_text (Fixture *f, const gchar *sql)
{
  Answer a = { 0 };
  gchar *out = NULL;

  mcu_pg_query_async (f->admin, sql, NULL, 0, NULL, on_answer, &a);
  iterate_until (answered, &a, sql);
  g_assert_no_error (a.error);
  if (PQntuples (a.result) > 0 && PQnfields (a.result) > 0)
    out = g_strdup (PQgetvalue (a.result, 0, 0));
  PQclear (a.result);
  return out;
}

gboolean
pg_connected (gpointer data)
{
  return mcu_pg_is_connected (data);
}

gboolean
store_available (gpointer data)
{
  return mcu_store_is_available (data);
}

gboolean
store_flushed (gpointer data)
{
  return mcu_store_pg_get_pending (data) == 0;
}

/* A store of the fixture's backend, ready to use. */
McuStore *
open_store (Fixture *f, GError **error)
{
  McuStore *store;

  if (f->backend == &sqlite_backend)
    return mcu_store_open (f->path, error);
  store = mcu_store_pg_new (g_getenv ("MCU_TEST_PG_DSN"), error);
  if (store) {
    g_ptr_array_add (f->stores, g_object_ref (store));
    iterate_until (store_available, store, "the store loaded");
  }
  return store;
}

/* Closes the store once its writes are out. */
void
close_store (Fixture *f, McuStore **store)
{
  mcu_store_close (*store);
  if (MCU_IS_STORE_PG (*store))
    iterate_until (store_flushed, *store, "the writes sent");
  g_clear_object (store);
}

/* How many rows @table has in the database (after pending writes). */
gchar *
count_rows (Fixture *f, const gchar *table)
{
  g_autofree gchar *sql = g_strdup_printf ("SELECT count(*) FROM %s", table);

  if (f->backend == &sqlite_backend)
    return query_text (f->path, sql);
  for (guint i = 0; i < f->stores->len; i++)
    iterate_until (store_flushed, f->stores->pdata[i], "the writes sent");
  return pg_text (f, sql);
}

void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->backend = data ? data : &sqlite_backend;
  f->stores = g_ptr_array_new_with_free_func (g_object_unref);
  if (f->backend == &pg_backend) {
    g_autofree gchar *ignored = NULL;

    f->admin = mcu_pg_new (g_getenv ("MCU_TEST_PG_DSN"));
    mcu_pg_start (f->admin);
    iterate_until (pg_connected, f->admin, "the admin connection");
    ignored = pg_text (f, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
  }

  f->dir = g_dir_make_tmp ("mcu-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "a", "b", "mcu.db", NULL);
  f->now = 1700000000;
}

void
remove_tree (const gchar *path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d)) != NULL) {
    g_autofree gchar *child = g_build_filename (path, name, NULL);

    if (g_file_test (child, G_FILE_TEST_IS_DIR))
      remove_tree (child);
    else
      g_unlink (child);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (path);
}

void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < f->stores->len; i++) {
    McuStore *store = g_ptr_array_index (f->stores, i);

    mcu_store_close (store);
    iterate_until (store_flushed, store, "the last writes sent");
  }
  g_ptr_array_unref (f->stores);
  g_clear_object (&f->admin);
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

McuBinding *
binding (const gchar *aor, const gchar *contact, gint64 expires_at, gdouble q)
{
  McuBinding *b = mcu_binding_new ();

  b->aor = g_strdup (aor);
  b->contact = g_strdup (contact);
  b->expires_at = expires_at;
  b->q = q;
  b->call_id = g_strdup ("call-1");
  b->cseq = 7;
  b->user_agent = g_strdup ("phone/1");
  b->received = g_strdup ("127.0.0.1:5070/udp");
  return b;
}

GPtrArray *
bindings_of (McuBinding *first, ...)
{
  GPtrArray *a =
      g_ptr_array_new_with_free_func ((GDestroyNotify)mcu_binding_free);
  va_list ap;

  va_start (ap, first);
  for (McuBinding *b = first; b; b = va_arg (ap, McuBinding *))
    g_ptr_array_add (a, b);
  va_end (ap);
  return a;
}

gchar *
query_text (const gchar *path, const gchar *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gchar *out = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (
      sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    out = g_strdup ((const gchar *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return out;
}

gint64
fake_clock (gpointer data)
{
  return ((Fixture *)data)->now;
}

McuRegistrar *
registrar_on (Fixture *f, McuStore *store)
{
  McuRegistrarOptions o = { .min_expires = 60,
    .max_expires = 3600,
    .default_expires = 3600,
    .store = MCU_BINDING_STORE (store),
    .clock = fake_clock,
    .clock_data = f };
  g_autoptr (GError) error = NULL;
  McuRegistrar *reg = mcu_registrar_new (&o, &error);

  g_assert_no_error (error);
  return reg;
}

McuStoredRoom *
stored_room (const gchar *name, const gchar *pin, gboolean locked)
{
  McuStoredRoom *r = g_new0 (McuStoredRoom, 1);

  r->name = g_strdup (name);
  r->max_participants = 5;
  r->layout = g_strdup ("speaker");
  r->pin = g_strdup (pin);
  r->locked = locked;
  r->self_view = FALSE;
  r->created_at = 1700000000123456;
  return r;
}

/* Rooms saved, replaced, deleted, and there after close/reopen. */
