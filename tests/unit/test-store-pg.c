/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The store tests that only PostgreSQL has: its schema, a newer schema
 * refused, two nodes hearing each other's changes, an unreachable server,
 * reconnection, and a write lost with the connection sent again. */
#include "store-fixture.h"

#include <string.h>

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

static gboolean
lock_waits (gpointer data)
{
  g_autofree gchar *n = pg_text (data, "SELECT count(*) FROM pg_locks WHERE "
                                       "NOT granted");

  return g_strcmp0 (n, "0") != 0;
}

/* A write accepted while connected, whose connection is lost before it is
 * answered, is sent again on the next connection, not lost (nor undone in
 * the cache by the reload). */
static void
test_pg_write_survives_loss (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuStore) store = open_store (f, &error);
  g_autoptr (McuStoredRoom) room = stored_room ("kept", NULL, FALSE);
  g_autoptr (McuStoredRoom) back = NULL;
  g_autoptr (GPtrArray) heard = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *ignored = NULL;
  g_autofree gchar *rows = NULL;

  g_signal_connect (store, "room-changed", G_CALLBACK (on_signal), heard);
  /* hold the table so the write waits in the server */
  ignored = pg_text (f, "BEGIN; LOCK TABLE rooms IN ACCESS EXCLUSIVE MODE");
  g_assert_true (mcu_store_save_room (store, room, &error));
  iterate_until (lock_waits, f, "the write waits for the lock");
  g_clear_pointer (&ignored, g_free);
  ignored = pg_text (f,
      "SELECT pg_terminate_backend (pid) FROM pg_stat_activity WHERE "
      "application_name LIKE 'mcu-%'");
  g_clear_pointer (&ignored, g_free);
  ignored = pg_text (f, "ROLLBACK");
  iterate_until (store_unavailable, store, "the loss noticed");
  iterate_until (store_available, store, "reconnected");
  rows = count_rows (f, "rooms");
  g_assert_cmpstr (rows, ==, "1");
  back = mcu_store_lookup_room (store, "kept", &error);
  g_assert_nonnull (back);
  g_assert_cmpuint (heard->len, ==, 0); /* never seen to go away */
}

void
store_pg_add_tests (void)
{
#define ADD(path, fn) \
  g_test_add (path, Fixture, &pg_backend, fixture_set_up, fn, fixture_tear_down)
  ADD ("/store/pg/schema", test_pg_schema);
  ADD ("/store/pg/newer-schema", test_pg_newer_schema);
  ADD ("/store/pg/two-nodes", test_pg_two_nodes);
  ADD ("/store/pg/unreachable", test_pg_unreachable);
  ADD ("/store/pg/reconnect", test_pg_reconnect);
  ADD ("/store/pg/write-survives-loss", test_pg_write_survives_loss);
#undef ADD
}
