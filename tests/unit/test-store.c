/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for the store, one table over both backends (SQLite in a
 * temporary directory; PostgreSQL when MCU_TEST_PG_DSN is set, the
 * store-pg test): bindings replaced, loaded and purged, a closed store,
 * stored digest users, a registrar whose bindings survive a restart, rooms
 * and meetings saved and loaded across close/reopen. SQLite only: the
 * directory, schema version and WAL, a newer schema refused, the default
 * path, old schemas migrated with nothing lost. PostgreSQL only:
 * test-store-pg.c. */
#include "store-fixture.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

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
  if (g_getenv ("MCU_TEST_PG_DSN") != NULL)
    store_pg_add_tests ();
  rc = g_test_run ();
  remove_tree (state);
  return rc;
}
