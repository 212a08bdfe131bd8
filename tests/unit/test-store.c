/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for the SQLite store, on real files in a temporary directory:
 * directory creation, schema version and WAL, bindings replaced, loaded
 * and purged, persistence across close/reopen, a newer schema refused,
 * the default path, stored digest users, a registrar whose bindings
 * survive a restart, rooms saved and loaded, and a schema 1 database
 * migrated with nothing lost. */
#include "mcu-store.h"
#include "mcu-registrar.h"
#include "mcu-store-pg.h"
#include "mcu-pg.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

typedef struct _Fixture Fixture;

/* One backend of the test table. */
typedef struct
{
  const gchar *name;
  /* what calls on a closed store fail with */
  gint closed_error;         /* McuStoreErrorCode */
  gint closed_binding_error; /* McuBindingStoreErrorCode */
} Backend;

static const Backend sqlite_backend = { "sqlite", MCU_STORE_ERROR_SQL,
  MCU_BINDING_STORE_ERROR_FAILED };
static const Backend pg_backend = { "pg", MCU_STORE_ERROR_UNAVAILABLE,
  MCU_BINDING_STORE_ERROR_UNAVAILABLE };

struct _Fixture
{
  const Backend *backend;
  gchar *dir;
  gchar *path;
  gint64 now;
  McuPg *admin;      /* pg: our own connection, to look and reset */
  GPtrArray *stores; /* pg: every store opened, flushed at the end */
};

static gboolean
on_timeout (gpointer user_data)
{
  g_error ("timed out: %s", (const gchar *)user_data);
  return G_SOURCE_REMOVE;
}

static void
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
static gchar *
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

static gboolean
pg_connected (gpointer data)
{
  return mcu_pg_is_connected (data);
}

static gboolean
store_available (gpointer data)
{
  return mcu_store_is_available (data);
}

static gboolean
store_flushed (gpointer data)
{
  return mcu_store_pg_get_pending (data) == 0;
}

/* A store of the fixture's backend, ready to use. */
static McuStore *
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
static void
close_store (Fixture *f, McuStore **store)
{
  mcu_store_close (*store);
  if (MCU_IS_STORE_PG (*store))
    iterate_until (store_flushed, *store, "the writes sent");
  g_clear_object (store);
}

static gchar *query_text (const gchar *path, const gchar *sql);

/* How many rows @table has in the database (after pending writes). */
static gchar *
count_rows (Fixture *f, const gchar *table)
{
  g_autofree gchar *sql = g_strdup_printf ("SELECT count(*) FROM %s", table);

  if (f->backend == &sqlite_backend)
    return query_text (f->path, sql);
  for (guint i = 0; i < f->stores->len; i++)
    iterate_until (store_flushed, f->stores->pdata[i], "the writes sent");
  return pg_text (f, sql);
}

static void
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

static void
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

static void
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

static McuBinding *
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

static GPtrArray *
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

static gchar *
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

static void
test_open_schema_wal (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuStore) store = mcu_store_open (f->path, &error);
  g_autofree gchar *version = NULL;
  g_autofree gchar *mode = NULL;
  g_autofree gchar *tables = NULL;

  g_assert_no_error (error);
  g_assert_true (g_file_test (f->path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpstr (mcu_store_get_path (store), ==, f->path);
  version = query_text (f->path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, G_STRINGIFY (MCU_STORE_SCHEMA_VERSION));
  mode = query_text (f->path, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  tables = query_text (f->path,
      "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master "
      "WHERE type = 'table' ORDER BY name)");
  g_assert_cmpstr (tables, ==,
      "bindings,meeting_attendees,meeting_occurrences,meetings,nodes,"
      "occurrence_claims,room_hosts,rooms,users");
  close_store (f, &store);
  /* opening again does not migrate twice */
  store = mcu_store_open (f->path, &error);
  g_assert_no_error (error);
}

static void
test_bindings_roundtrip (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuStore) store = open_store (f, &error);
  McuBindingStore *bs = MCU_BINDING_STORE (store);
  g_autoptr (GPtrArray) alice =
      bindings_of (binding ("alice", "sip:a@127.0.0.1:5070", f->now + 300, 0.5),
          binding ("alice", "sip:a2@127.0.0.1:5072", f->now + 10, 1.0), NULL);
  g_autoptr (GPtrArray) bob = bindings_of (
      binding ("bob", "sip:b@127.0.0.1:5080", f->now + 60, 1.0), NULL);
  g_autoptr (GPtrArray) none = bindings_of (NULL, NULL);
  g_autoptr (GPtrArray) loaded = NULL;
  McuBinding *b = NULL;

  g_assert_true (
      mcu_binding_store_replace_bindings (bs, "alice", alice, &error));
  g_assert_true (mcu_binding_store_replace_bindings (bs, "bob", bob, &error));
  g_assert_no_error (error);
  loaded = mcu_binding_store_load_bindings (bs, f->now, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->len, ==, 3);
  for (guint i = 0; i < loaded->len; i++)
    if (g_str_equal (
            ((McuBinding *)loaded->pdata[i])->contact, "sip:a@127.0.0.1:5070"))
      b = loaded->pdata[i];
  g_assert_nonnull (b);
  g_assert_cmpstr (b->aor, ==, "alice");
  g_assert_cmpfloat (b->q, ==, 0.5);
  g_assert_cmpint (b->expires_at, ==, f->now + 300);
  g_assert_cmpstr (b->call_id, ==, "call-1");
  g_assert_cmpuint (b->cseq, ==, 7);
  g_assert_cmpstr (b->user_agent, ==, "phone/1");
  g_assert_cmpstr (b->received, ==, "127.0.0.1:5070/udp");

  /* expired ones are not loaded, and purge deletes them */
  g_clear_pointer (&loaded, g_ptr_array_unref);
  loaded = mcu_binding_store_load_bindings (bs, f->now + 10, &error);
  g_assert_cmpuint (loaded->len, ==, 2);
  g_assert_true (mcu_binding_store_purge_expired (bs, f->now + 60, &error));
  g_assert_no_error (error);
  g_clear_pointer (&loaded, g_ptr_array_unref);
  loaded = mcu_binding_store_load_bindings (bs, 0, &error);
  g_assert_cmpuint (loaded->len, ==, 1);

  /* replacing with nothing removes the AOR; reopen sees the same */
  g_assert_true (
      mcu_binding_store_replace_bindings (bs, "alice", none, &error));
  close_store (f, &store);
  store = open_store (f, &error);
  g_assert_no_error (error);
  g_clear_pointer (&loaded, g_ptr_array_unref);
  loaded =
      mcu_binding_store_load_bindings (MCU_BINDING_STORE (store), 0, &error);
  g_assert_cmpuint (loaded->len, ==, 0);
}

static void
test_newer_schema_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuStore) store = mcu_store_open (f->path, &error);
  g_autofree gchar *ignored = NULL;

  close_store (f, &store);
  ignored = query_text (f->path, "PRAGMA user_version = 99");
  store = mcu_store_open (f->path, &error);
  g_assert_null (store);
  g_assert_error (error, MCU_STORE_ERROR, MCU_STORE_ERROR_SCHEMA);
  g_assert_nonnull (strstr (error->message, "99"));
}

static void
test_open_fails_cleanly (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *file = g_build_filename (f->dir, "plain", NULL);
  g_autofree gchar *below = g_build_filename (file, "mcu.db", NULL);
  g_autoptr (McuStore) store = NULL;

  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  store = mcu_store_open (below, &error);
  g_assert_null (store);
  g_assert_error (error, MCU_STORE_ERROR, MCU_STORE_ERROR_OPEN);
}

static void
test_closed_store_errors (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuStore) store = open_store (f, &error);
  g_autoptr (GPtrArray) none = bindings_of (NULL, NULL);

  mcu_store_close (store);
  g_assert_false (mcu_binding_store_replace_bindings (
      MCU_BINDING_STORE (store), "alice", none, &error));
  /* sip/ sees its own error domain */
  g_assert_error (
      error, MCU_BINDING_STORE_ERROR, f->backend->closed_binding_error);
  g_clear_error (&error);
  g_assert_false (mcu_store_save_meeting (store, "m", "{}", &error));
  g_assert_error (error, MCU_STORE_ERROR, f->backend->closed_error);
}

static void
test_default_path (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuStore) store = NULL;
  g_autofree gchar *expected =
      g_build_filename (g_get_user_state_dir (), "mcu", "mcu.db", NULL);

  /* main () pointed XDG_STATE_HOME into a temporary directory */
  g_assert_true (g_str_has_prefix (g_get_user_state_dir (), g_get_tmp_dir ()));
  store = mcu_store_open (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mcu_store_get_path (store), ==, expected);
  g_assert_true (g_file_test (expected, G_FILE_TEST_IS_REGULAR));
}

static void
test_stored_users (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuStore) store = open_store (f, &error);
  g_autofree gchar *ha1 =
      mcu_digest_ha1 (MCU_DIGEST_SHA256, "erin", "example.com", "erinpw");
  McuStoredUser erin = { "erin", "example.com", NULL, ha1, "Erin" };
  McuStoredUser frank = { "frank", "other.org", ha1, NULL, NULL };
  McuAuthOptions ao = { .realm = "example.com",
    .store = MCU_BINDING_STORE (store),
    .nonce_lifetime = 300,
    .max_failures = 5,
    .failure_window = 60 };
  g_autoptr (McuAuth) auth = NULL;
  g_autoptr (McuStoredUser) got = NULL;
  g_autofree gchar *user = NULL;
  g_auto (GStrv) challenges = NULL;
  g_autofree gchar *nonce = NULL;
  g_autofree gchar *authorization = NULL;
  g_autofree gchar *response = NULL;
  const gchar *creds[2] = { NULL, NULL };
  McuDigestCredentials c = { 0 };
  const gchar *p;

  g_assert_true (mcu_store_set_user (store, &erin, &error));
  g_assert_true (mcu_store_set_user (store, &frank, &error));
  got =
      mcu_binding_store_lookup_user (MCU_BINDING_STORE (store), "erin", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got->ha1_sha256, ==, ha1);
  g_assert_null (got->ha1_md5);
  g_assert_cmpstr (got->display, ==, "Erin");
  g_assert_null (
      mcu_binding_store_lookup_user (MCU_BINDING_STORE (store), "x", &error));
  g_assert_no_error (error);

  auth = mcu_auth_new (&ao);
  g_assert_true (mcu_auth_has_user (auth, "erin"));
  g_assert_false (mcu_auth_has_user (auth, "frank")); /* another realm */
  g_assert_cmpint (mcu_auth_check (auth, "REGISTER", "sip:example.com", NULL,
                       "127.0.0.1:5070/udp", "erin", &user, &challenges),
      ==, MCU_AUTH_CHALLENGE);
  g_assert_cmpuint (g_strv_length (challenges), ==, 1); /* SHA-256 only */
  p = strstr (challenges[0], "nonce=\"") + 7;
  nonce = g_strndup (p, strchr (p, '"') - p);
  c = (McuDigestCredentials){ .username = "erin",
    .realm = "example.com",
    .nonce = nonce,
    .uri = "sip:example.com",
    .algorithm = "SHA-256",
    .cnonce = "abc",
    .qop = "auth",
    .nc = "00000001" };
  response = mcu_digest_response (&c, ha1, "REGISTER");
  authorization = g_strdup_printf (
      "Digest username=\"erin\", realm=\"example.com\", nonce=\"%s\", "
      "uri=\"sip:example.com\", response=\"%s\", algorithm=SHA-256, "
      "cnonce=\"abc\", qop=auth, nc=00000001",
      nonce, response);
  creds[0] = authorization;
  g_clear_pointer (&challenges, g_strfreev);
  g_assert_cmpint (mcu_auth_check (auth, "REGISTER", "sip:example.com", creds,
                       "127.0.0.1:5070/udp", "erin", &user, &challenges),
      ==, MCU_AUTH_OK);
  g_assert_cmpstr (user, ==, "erin");
  g_assert_true (mcu_store_delete_user (store, "erin", &error));
  g_assert_false (mcu_auth_has_user (auth, "erin"));
}

static gint64
fake_clock (gpointer data)
{
  return ((Fixture *)data)->now;
}

static McuRegistrar *
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

static void
test_registrar_survives_restart (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuStore) store = open_store (f, &error);
  g_autoptr (McuRegistrar) reg = registrar_on (f, store);
  McuRegisterContact contacts[] = { { "sip:a@127.0.0.1:5070", 600, 0.7 },
    { "sip:a@127.0.0.1:5071", 100, -1 } };
  McuRegisterRequest req = { .aor_user = "alice",
    .aor_domain = "example.com",
    .call_id = "cid",
    .cseq = 3,
    .expires = -1,
    .contacts = contacts,
    .n_contacts = 2 };
  McuRegisterResult result = { 0 };
  g_autoptr (GPtrArray) found = NULL;
  g_autofree gchar *rows = NULL;

  mcu_registrar_process (reg, &req, &result);
  g_assert_cmpuint (result.status, ==, 200);
  mcu_register_result_clear (&result);
  g_clear_object (&reg);
  close_store (f, &store);

  f->now += 200; /* the second contact expired while the server was down */
  store = open_store (f, &error);
  g_assert_no_error (error);
  reg = registrar_on (f, store);
  found = mcu_registrar_lookup (reg, "alice");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (
      ((McuBinding *)found->pdata[0])->contact, ==, "sip:a@127.0.0.1:5070");
  g_assert_cmpfloat (((McuBinding *)found->pdata[0])->q, ==, 0.7);
  g_assert_cmpint (
      ((McuBinding *)found->pdata[0])->expires_at, ==, f->now - 200 + 600);
  rows = count_rows (f, "bindings");
  g_assert_cmpstr (rows, ==, "1"); /* purged on load */
}

static McuStoredRoom *
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
static void
test_rooms_roundtrip (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuStore) store = open_store (f, &error);
  g_autoptr (McuStoredRoom) board = stored_room ("board", "4321", TRUE);
  g_autoptr (McuStoredRoom) open = stored_room ("open", NULL, FALSE);
  g_autoptr (McuStoredRoom) gone = stored_room ("gone", "1", FALSE);
  g_autoptr (GPtrArray) rooms = NULL;
  McuStoredRoom *r;

  g_assert_no_error (error);
  g_assert_true (mcu_store_save_room (store, board, &error));
  g_assert_true (mcu_store_save_room (store, open, &error));
  g_assert_true (mcu_store_save_room (store, gone, &error));
  /* PATCH: the same name replaces */
  board->locked = FALSE;
  board->max_participants = 9;
  board->moderator_pin = g_strdup ("9999");
  board->options = 5;
  g_assert_true (mcu_store_save_room (store, board, &error));
  g_assert_true (mcu_store_delete_room (store, "gone", &error));
  g_assert_true (mcu_store_delete_room (store, "never-was", &error));
  g_assert_no_error (error);
  close_store (f, &store);

  store = open_store (f, &error);
  g_assert_no_error (error);
  rooms = mcu_store_load_rooms (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rooms->len, ==, 2);
  r = g_ptr_array_index (rooms, 0);
  g_assert_cmpstr (r->name, ==, "board");
  g_assert_cmpstr (r->pin, ==, "4321");
  g_assert_cmpstr (r->layout, ==, "speaker");
  g_assert_false (r->locked);
  g_assert_false (r->self_view);
  g_assert_cmpuint (r->max_participants, ==, 9);
  g_assert_cmpint (r->created_at, ==, 1700000000123456);
  g_assert_cmpstr (r->moderator_pin, ==, "9999");
  g_assert_cmpuint (r->options, ==, 5);
  r = g_ptr_array_index (rooms, 1);
  g_assert_cmpstr (r->name, ==, "open");
  g_assert_null (r->pin);
  g_assert_null (r->moderator_pin);
  g_assert_cmpuint (r->options, ==, 0);
  mcu_store_close (store);
  g_assert_false (mcu_store_save_room (store, open, &error));
  g_assert_error (error, MCU_STORE_ERROR, f->backend->closed_error);
  g_clear_error (&error);
  g_assert_null (mcu_store_load_rooms (store, &error));
  g_assert_error (error, MCU_STORE_ERROR, f->backend->closed_error);
}

/* A database written by the previous version (schema 1: bindings and
 * users) is migrated to 2 with nothing lost. */
static void
test_migrate_from_v1 (Fixture *f, gconstpointer data)
{
  g_autofree gchar *dir = g_path_get_dirname (f->path);
  g_autoptr (GError) error = NULL;
  g_autoptr (McuStore) store = NULL;
  g_autoptr (GPtrArray) bindings = NULL;
  g_autoptr (GPtrArray) rooms = NULL;
  g_autoptr (McuStoredUser) user = NULL;
  g_autofree gchar *version = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (
      sqlite3_exec (db,
          "CREATE TABLE bindings (aor TEXT NOT NULL, contact TEXT NOT NULL,"
          " q REAL NOT NULL DEFAULT 1.0, expires_at INTEGER NOT NULL,"
          " call_id TEXT NOT NULL, cseq INTEGER NOT NULL, user_agent TEXT,"
          " received TEXT, PRIMARY KEY (aor, contact));"
          "CREATE INDEX bindings_expires_at ON bindings (expires_at);"
          "CREATE TABLE users (name TEXT PRIMARY KEY, realm TEXT NOT NULL,"
          " ha1_md5 TEXT, ha1_sha256 TEXT, display TEXT);"
          "INSERT INTO bindings VALUES ('alice', 'sip:alice@127.0.0.1:5070',"
          " 1.0, 1700003600, 'c1', 3, 'phone/1', NULL);"
          "INSERT INTO users VALUES ('bob', 'example.com', "
          " '0123456789abcdef0123456789abcdef', NULL, 'Bob');"
          "PRAGMA user_version = 1;",
          NULL, NULL, NULL),
      ==, SQLITE_OK);
  sqlite3_close (db);

  store = mcu_store_open (f->path, &error);
  g_assert_no_error (error);
  version = query_text (f->path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, G_STRINGIFY (MCU_STORE_SCHEMA_VERSION));
  bindings = mcu_binding_store_load_bindings (
      MCU_BINDING_STORE (store), f->now, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bindings->len, ==, 1);
  g_assert_cmpstr (((McuBinding *)g_ptr_array_index (bindings, 0))->contact, ==,
      "sip:alice@127.0.0.1:5070");
  user =
      mcu_binding_store_lookup_user (MCU_BINDING_STORE (store), "bob", &error);
  g_assert_no_error (error);
  g_assert_nonnull (user);
  g_assert_cmpstr (user->display, ==, "Bob");
  rooms = mcu_store_load_rooms (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rooms->len, ==, 0);
}

/* Meetings and the state of an occurrence: saved, replaced, loaded after
 * a reopen; the latest occurrence wins; deleting a meeting deletes its
 * state. */
static void
test_meetings_roundtrip (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuStore) store = open_store (f, &error);
  g_autoptr (McuStoredOccurrence) o = mcu_stored_occurrence_new ();
  g_autoptr (McuStoredOccurrence) back = NULL;
  g_autoptr (GPtrArray) meetings = NULL;
  McuStoredAttendee *a;

  g_assert_true (mcu_store_save_meeting (store, "m1", "{\"v\":1}", &error));
  g_assert_true (mcu_store_save_meeting (store, "m1", "{\"v\":2}", &error));
  g_assert_true (mcu_store_save_meeting (store, "m2", "{}", &error));
  o->meeting_id = g_strdup ("m1");
  o->start = 1000;
  o->phase = g_strdup ("open");
  o->end = 2000;
  g_assert_true (mcu_store_save_occurrence (store, o, &error));
  o->start = 5000;
  g_free (o->phase);
  o->phase = g_strdup ("started");
  o->end = 9000;
  o->warnings_done = 1;
  a = mcu_stored_occurrence_add_attendee (o, "a1");
  g_free (a->state);
  a->state = g_strdup ("retry-wait");
  a->tries = 2;
  a->status = 486;
  a->next_try = 7000;
  mcu_stored_occurrence_add_attendee (o, "a2");
  g_assert_true (mcu_store_save_occurrence (store, o, &error));
  /* the same occurrence again: its attendees replaced, not doubled */
  g_assert_true (mcu_store_save_occurrence (store, o, &error));
  g_assert_no_error (error);
  close_store (f, &store);

  store = open_store (f, &error);
  meetings = mcu_store_load_meetings (store, &error);
  g_assert_cmpuint (meetings->len, ==, 2);
  g_assert_cmpstr (
      ((McuStoredMeeting *)meetings->pdata[0])->json, ==, "{\"v\":2}");
  back = mcu_store_load_last_occurrence (store, "m1", &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->start, ==, 5000);
  g_assert_cmpstr (back->phase, ==, "started");
  g_assert_cmpint (back->end, ==, 9000);
  g_assert_cmpuint (back->warnings_done, ==, 1);
  g_assert_cmpuint (back->attendees->len, ==, 2);
  a = back->attendees->pdata[0];
  g_assert_cmpstr (a->attendee_id, ==, "a1");
  g_assert_cmpstr (a->state, ==, "retry-wait");
  g_assert_cmpuint (a->tries, ==, 2);
  g_assert_cmpuint (a->status, ==, 486);
  g_assert_cmpint (a->next_try, ==, 7000);
  g_assert_null (mcu_store_load_last_occurrence (store, "m2", &error));
  g_assert_no_error (error);
  g_assert_true (mcu_store_delete_meeting (store, "m1", &error));
  g_clear_pointer (&back, mcu_stored_occurrence_free);
  g_assert_null (mcu_store_load_last_occurrence (store, "m1", &error));
  g_clear_pointer (&meetings, g_ptr_array_unref);
  meetings = mcu_store_load_meetings (store, &error);
  g_assert_cmpuint (meetings->len, ==, 1);
}

/* A database of schema 1 (users, bindings) migrates step by step to the
 * current one with nothing lost. */
static void
test_migration_from_1 (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuStore) store = NULL;
  g_autofree gchar *dir = g_path_get_dirname (f->path);
  g_autofree gchar *user = NULL;
  g_autofree gchar *version = NULL;
  sqlite3 *db = NULL;

  g_mkdir_with_parents (dir, 0700);
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (
      sqlite3_exec (db,
          "CREATE TABLE bindings (aor TEXT NOT NULL, contact TEXT NOT NULL, "
          "q REAL NOT NULL DEFAULT 1.0, expires_at INTEGER NOT NULL, call_id "
          "TEXT NOT NULL, cseq INTEGER NOT NULL, user_agent TEXT, received "
          "TEXT, PRIMARY KEY (aor, contact));"
          "CREATE INDEX bindings_expires_at ON bindings (expires_at);"
          "CREATE TABLE users (name TEXT PRIMARY KEY, realm TEXT NOT NULL, "
          "ha1_md5 TEXT, ha1_sha256 TEXT, display TEXT);"
          "INSERT INTO users VALUES ('alice', 'example.com', "
          "'0123456789abcdef0123456789abcdef', NULL, 'Alice');"
          "PRAGMA user_version = 1;",
          NULL, NULL, NULL),
      ==, SQLITE_OK);
  sqlite3_close (db);
  store = mcu_store_open (f->path, &error);
  g_assert_no_error (error);
  version = query_text (f->path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, G_STRINGIFY (MCU_STORE_SCHEMA_VERSION));
  user = query_text (f->path, "SELECT display FROM users WHERE name='alice'");
  g_assert_cmpstr (user, ==, "Alice");
  g_assert_true (mcu_store_save_meeting (store, "m1", "{}", &error));
  g_assert_no_error (error);
}

/* ---- PostgreSQL only ---- */

static void
test_pg_schema (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuStore) store = open_store (f, &error);
  g_autofree gchar *version = NULL;
  g_autofree gchar *tables = NULL;

  g_assert_no_error (error);
  version = pg_text (f, "SELECT version FROM mcu_schema");
  g_assert_cmpstr (version, ==, G_STRINGIFY (MCU_STORE_SCHEMA_VERSION));
  tables = pg_text (f,
      "SELECT string_agg (table_name, ',' ORDER BY table_name) FROM "
      "information_schema.tables WHERE table_schema = 'public'");
  g_assert_cmpstr (tables, ==,
      "bindings,mcu_schema,meeting_attendees,meeting_occurrences,meetings,"
      "nodes,occurrence_claims,room_hosts,rooms,users");
  g_assert_true (
      g_str_has_prefix (mcu_store_get_path (store), "postgresql://"));
  close_store (f, &store);
  /* opening again does not migrate twice */
  store = open_store (f, &error);
  g_assert_no_error (error);
  g_clear_pointer (&version, g_free);
  version = pg_text (f, "SELECT count(*) FROM mcu_schema");
  g_assert_cmpstr (version, ==, "1");
}

static gboolean
on_elapsed (gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *)data;
}

/* Runs the main loop for @ms milliseconds. */
static void
run_for (guint ms)
{
  gboolean elapsed = FALSE;

  g_timeout_add (ms, on_elapsed, &elapsed);
  iterate_until (flag_set, &elapsed, "waiting");
}

static void
test_pg_newer_schema (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuStore) store = open_store (f, &error);
  g_autoptr (McuStoredRoom) room = NULL;
  g_autofree gchar *ignored = NULL;
  GLogLevelFlags fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);

  close_store (f, &store);
  ignored = pg_text (f, "UPDATE mcu_schema SET version = 99");
  store = mcu_store_pg_new (g_getenv ("MCU_TEST_PG_DSN"), &error);
  run_for (1000);
  g_log_set_always_fatal (fatal);
  g_assert_false (mcu_store_is_available (store));
  room = g_new0 (McuStoredRoom, 1);
  room->name = g_strdup ("r");
  g_assert_false (mcu_store_save_room (store, room, &error));
  g_assert_error (error, MCU_STORE_ERROR, MCU_STORE_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "schema"));
}

typedef struct
{
  GPtrArray *events;
  const gchar *want;
} Want;

static gboolean
has_event (gpointer data)
{
  Want *w = data;

  for (guint i = 0; i < w->events->len; i++)
    if (g_str_equal (w->events->pdata[i], w->want))
      return TRUE;
  return FALSE;
}

static void
wait_event (GPtrArray *events, const gchar *want)
{
  Want w = { events, want };

  iterate_until (has_event, &w, want);
}

static void
on_signal (McuStore *store, const gchar *key, gpointer user_data)
{
  g_ptr_array_add (user_data, g_strdup (key ? key : "*"));
}

/* What one node writes reaches the other through NOTIFY: rooms, bindings
 * (into its registrar), users, meetings, deletions; a node does not hear
 * its own writes back. */
static void
test_pg_two_nodes (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuStore) a = open_store (f, &error);
  g_autoptr (McuStore) b = open_store (f, &error);
  g_autoptr (McuRegistrar) reg = registrar_on (f, b);
  g_autoptr (GPtrArray) heard_b = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) heard_a = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (McuStoredRoom) room = stored_room ("shared", "12", FALSE);
  g_autoptr (McuStoredRoom) back = NULL;
  g_autoptr (GPtrArray) alice = bindings_of (
      binding ("alice", "sip:a@127.0.0.1:5070", f->now + 300, 1.0), NULL);
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (McuStoredUser) user = NULL;
  g_autofree gchar *json = NULL;
  McuStoredUser erin = { "erin", "example.com", NULL, NULL, "Erin" };
  const gchar *signals[] = { "room-changed", "meeting-changed", "user-changed",
    "bindings-changed" };

  for (guint i = 0; i < G_N_ELEMENTS (signals); i++) {
    g_signal_connect (b, signals[i], G_CALLBACK (on_signal), heard_b);
    g_signal_connect (a, signals[i], G_CALLBACK (on_signal), heard_a);
  }
  g_assert_true (mcu_store_save_room (a, room, &error));
  wait_event (heard_b, "shared");
  back = mcu_store_lookup_room (b, "shared", &error);
  g_assert_nonnull (back);
  g_assert_cmpstr (back->pin, ==, "12");

  g_assert_true (mcu_binding_store_replace_bindings (
      MCU_BINDING_STORE (a), "alice", alice, &error));
  wait_event (heard_b, "alice");
  found = mcu_registrar_lookup (reg, "alice");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (
      ((McuBinding *)found->pdata[0])->contact, ==, "sip:a@127.0.0.1:5070");

  g_assert_true (mcu_store_set_user (a, &erin, &error));
  wait_event (heard_b, "erin");
  user = mcu_binding_store_lookup_user (MCU_BINDING_STORE (b), "erin", &error);
  g_assert_cmpstr (user->display, ==, "Erin");

  g_assert_true (mcu_store_save_meeting (a, "m1", "{\"v\":1}", &error));
  wait_event (heard_b, "m1");
  json = mcu_store_lookup_meeting (b, "m1", &error);
  g_assert_cmpstr (json, ==, "{\"v\":1}");

  g_ptr_array_set_size (heard_b, 0);
  g_assert_true (mcu_store_delete_room (a, "shared", &error));
  wait_event (heard_b, "shared");
  g_clear_pointer (&back, mcu_stored_room_free);
  back = mcu_store_lookup_room (b, "shared", &error);
  g_assert_null (back);
  g_assert_no_error (error);
  /* a wrote all that and heard none of it back */
  g_assert_cmpuint (heard_a->len, ==, 0);
}

/* Nothing to connect to: writes fail at once with UNAVAILABLE (the
 * registrar's error domain for bindings), reads answer empty. */
static void
test_pg_unreachable (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuStore) store = mcu_store_pg_new (
      "host=127.0.0.1 port=1 user=nobody dbname=none connect_timeout=1",
      &error);
  g_autoptr (McuStoredRoom) room = stored_room ("r", NULL, FALSE);
  g_autoptr (GPtrArray) none = bindings_of (NULL, NULL);
  g_autoptr (GPtrArray) rooms = NULL;

  g_assert_no_error (error);
  run_for (300);
  g_assert_false (mcu_store_is_available (store));
  g_assert_false (mcu_store_save_room (store, room, &error));
  g_assert_error (error, MCU_STORE_ERROR, MCU_STORE_ERROR_UNAVAILABLE);
  g_clear_error (&error);
  g_assert_false (mcu_binding_store_replace_bindings (
      MCU_BINDING_STORE (store), "alice", none, &error));
  g_assert_error (
      error, MCU_BINDING_STORE_ERROR, MCU_BINDING_STORE_ERROR_UNAVAILABLE);
  g_clear_error (&error);
  rooms = mcu_store_load_rooms (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rooms->len, ==, 0);
  g_assert_null (mcu_store_pg_new ("host='unterminated", &error));
  g_assert_error (error, MCU_STORE_ERROR, MCU_STORE_ERROR_OPEN);
}

static gboolean
store_unavailable (gpointer data)
{
  return !mcu_store_is_available (data);
}

/* The connection is killed: the store is unavailable until it reconnects
 * by itself, then reads again what changed meanwhile and says so. */
static void
test_pg_reconnect (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuStore) a = open_store (f, &error);
  g_autoptr (McuStore) b = open_store (f, &error);
  g_autoptr (GPtrArray) heard = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (McuStoredRoom) room = stored_room ("later", NULL, FALSE);
  g_autoptr (McuStoredRoom) back = NULL;
  g_autofree gchar *killed = NULL;
  g_autofree gchar *sql = NULL;

  g_signal_connect (a, "room-changed", G_CALLBACK (on_signal), heard);
  sql = g_strdup_printf ("SELECT count (pg_terminate_backend (pid)) FROM "
                         "pg_stat_activity WHERE application_name <> '' AND "
                         "pid <> pg_backend_pid () AND application_name IN "
                         "(SELECT application_name FROM pg_stat_activity "
                         "WHERE application_name LIKE 'mcu-%%' ORDER BY "
                         "backend_start LIMIT 1)");
  killed = pg_text (f, sql);
  g_assert_cmpstr (killed, ==, "1");
  iterate_until (store_unavailable, a, "a notices");
  g_assert_false (mcu_store_save_room (a, room, &error));
  g_assert_error (error, MCU_STORE_ERROR, MCU_STORE_ERROR_UNAVAILABLE);
  g_clear_error (&error);
  /* meanwhile another node writes */
  g_assert_true (mcu_store_save_room (b, room, &error));
  iterate_until (store_available, a, "a back");
  wait_event (heard, "later");
  back = mcu_store_lookup_room (a, "later", &error);
  g_assert_nonnull (back);
}

int
main (int argc, char **argv)
{
  g_autofree gchar *state = g_dir_make_tmp ("mcu-state-XXXXXX", NULL);
  const Backend *backends[] = { &sqlite_backend, &pg_backend };
  const struct
  {
    const gchar *name;
    void (*fn) (Fixture *, gconstpointer);
  } shared[] = {
    { "bindings-roundtrip", test_bindings_roundtrip },
    { "closed-store-errors", test_closed_store_errors },
    { "stored-users", test_stored_users },
    { "registrar-survives-restart", test_registrar_survives_restart },
    { "rooms-roundtrip", test_rooms_roundtrip },
    { "meetings-roundtrip", test_meetings_roundtrip },
  };
  int rc;

  g_setenv ("XDG_STATE_HOME", state, TRUE);
  g_test_init (&argc, &argv, NULL);
  /* one test table, two backends; PostgreSQL when MCU_TEST_PG_DSN is set
   * (the store-pg test, through tests/integration/pgserver.py) */
  for (guint b = 0; b < G_N_ELEMENTS (backends); b++) {
    if (backends[b] == &pg_backend && g_getenv ("MCU_TEST_PG_DSN") == NULL)
      continue;
    for (guint i = 0; i < G_N_ELEMENTS (shared); i++) {
      g_autofree gchar *path =
          g_strdup_printf ("/store/%s/%s", backends[b]->name, shared[i].name);

      g_test_add (path, Fixture, backends[b], fixture_set_up, shared[i].fn,
          fixture_tear_down);
    }
  }
#define ADD(path, fn) \
  g_test_add (        \
      path, Fixture, &sqlite_backend, fixture_set_up, fn, fixture_tear_down)
  ADD ("/store/sqlite/open-schema-wal", test_open_schema_wal);
  ADD ("/store/sqlite/newer-schema-refused", test_newer_schema_refused);
  ADD ("/store/sqlite/open-fails-cleanly", test_open_fails_cleanly);
  ADD ("/store/sqlite/default-path", test_default_path);
  ADD ("/store/sqlite/migrate-from-v1", test_migrate_from_v1);
  ADD ("/store/sqlite/migration-from-1", test_migration_from_1);
#undef ADD
  if (g_getenv ("MCU_TEST_PG_DSN") != NULL) {
#define ADD(path, fn) \
  g_test_add (path, Fixture, &pg_backend, fixture_set_up, fn, fixture_tear_down)
    ADD ("/store/pg/schema", test_pg_schema);
    ADD ("/store/pg/newer-schema", test_pg_newer_schema);
    ADD ("/store/pg/two-nodes", test_pg_two_nodes);
    ADD ("/store/pg/unreachable", test_pg_unreachable);
    ADD ("/store/pg/reconnect", test_pg_reconnect);
#undef ADD
  }
  rc = g_test_run ();
  remove_tree (state);
  return rc;
}
