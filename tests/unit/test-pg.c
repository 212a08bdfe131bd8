/* SPDX-License-Identifier: LGPL-2.1-or-later
 * McuPg against a real PostgreSQL: MCU_TEST_PG_DSN (set by
 * tests/integration/pgserver.py, see the `pg` meson test). */
#include <glib.h>
#include <signal.h>
#include <string.h>

#include "mcu-pg.h"

typedef struct
{
  GMainLoop *loop;
  PGresult *result;
  GError *error;
  gboolean done;
} Wait;

static const gchar *
dsn (void)
{
  return g_getenv ("MCU_TEST_PG_DSN");
}

static gboolean
on_timeout (gpointer user_data)
{
  g_error ("timed out");
  return G_SOURCE_REMOVE;
}

static void
on_query (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *wait = user_data;

  wait->result = mcu_pg_query_finish (MCU_PG (source), result, &wait->error);
  wait->done = TRUE;
}

static void
iterate_until (gboolean *flag)
{
  guint timeout = g_timeout_add_seconds (20, on_timeout, NULL);

  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout);
}

static void
on_connected (McuPg *pg, gpointer user_data)
{
  *(guint *)user_data += 1;
}

static McuPg *
connect_new (void)
{
  McuPg *pg = mcu_pg_new (dsn ());
  guint connected = 0;
  gulong id;

  id =
      g_signal_connect (pg, "connected", G_CALLBACK (on_connected), &connected);
  mcu_pg_start (pg);
  while (connected == 0)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (pg, id);
  g_assert_true (mcu_pg_is_connected (pg));
  return pg;
}

/* Runs @sql and waits; (transfer full) the result or NULL + @error. */
static PGresult *
query (McuPg *pg, const gchar *sql, const gchar *const *params, gint n,
    GError **error)
{
  Wait wait = { 0 };

  mcu_pg_query_async (pg, sql, params, n, NULL, on_query, &wait);
  iterate_until (&wait.done);
  if (wait.error != NULL)
    g_propagate_error (error, wait.error);
  return wait.result;
}

static void
test_query (void)
{
  g_autoptr (McuPg) pg = connect_new ();
  g_autoptr (GError) error = NULL;
  const gchar *params[] = { "21", NULL, "héllo" };
  g_autoptr (PGresult) r = NULL;

  r = query (
      pg, "SELECT $1::int * 2, $2::text IS NULL, $3::text", params, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpint (PQntuples (r), ==, 1);
  g_assert_cmpstr (PQgetvalue (r, 0, 0), ==, "42");
  g_assert_cmpstr (PQgetvalue (r, 0, 1), ==, "t");
  g_assert_cmpstr (PQgetvalue (r, 0, 2), ==, "héllo");
  g_clear_pointer (&r, PQclear);

  /* several statements without parameters */
  r = query (pg,
      "CREATE TEMP TABLE t (a int); INSERT INTO t VALUES (1), (2);"
      "SELECT count(*) FROM t",
      NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (PQgetvalue (r, 0, 0), ==, "2");
}

static void
test_query_error (void)
{
  g_autoptr (McuPg) pg = connect_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (PGresult) r = NULL;

  r = query (pg, "SELECT * FROM no_such_table", NULL, 0, &error);
  g_assert_null (r);
  g_assert_error (error, MCU_PG_ERROR, MCU_PG_ERROR_QUERY);
  g_assert_nonnull (strstr (error->message, "SQLSTATE 42P01"));
  g_clear_error (&error);
  /* the connection goes on */
  r = query (pg, "SELECT 1", NULL, 0, &error);
  g_assert_no_error (error);
}

static void
test_not_connected (void)
{
  g_autoptr (McuPg) pg = mcu_pg_new (dsn ());
  g_autoptr (GError) error = NULL;
  g_autoptr (PGresult) r = NULL;

  r = query (pg, "SELECT 1", NULL, 0, &error);
  g_assert_error (error, MCU_PG_ERROR, MCU_PG_ERROR_UNAVAILABLE);
}

static void
on_counted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  guint *counts = user_data; /* [0] ok, [1] unavailable */
  g_autoptr (GError) error = NULL;
  g_autoptr (PGresult) r =
      mcu_pg_query_finish (MCU_PG (source), result, &error);

  if (r != NULL)
    counts[0]++;
  else if (g_error_matches (error, MCU_PG_ERROR, MCU_PG_ERROR_UNAVAILABLE))
    counts[1]++;
}

static void
test_queue_limit (void)
{
  g_autoptr (McuPg) pg = connect_new ();
  guint counts[2] = { 0, 0 };

  for (guint i = 0; i < MCU_PG_MAX_QUEUED + 5; i++)
    mcu_pg_query_async (pg, "SELECT 1", NULL, 0, NULL, on_counted, counts);
  while (counts[0] + counts[1] < MCU_PG_MAX_QUEUED + 5)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (counts[0], ==, MCU_PG_MAX_QUEUED);
  g_assert_cmpuint (counts[1], ==, 5);
}

typedef struct
{
  gchar *channel;
  gchar *payload;
  guint count;
} Notes;

static void
on_notification (
    McuPg *pg, const gchar *channel, const gchar *payload, gpointer user_data)
{
  Notes *notes = user_data;

  g_free (notes->channel);
  g_free (notes->payload);
  notes->channel = g_strdup (channel);
  notes->payload = g_strdup (payload);
  notes->count++;
}

static void
notify (McuPg *pg, const gchar *channel, const gchar *payload)
{
  const gchar *params[] = { channel, payload };
  g_autoptr (GError) error = NULL;
  g_autoptr (PGresult) r =
      query (pg, "SELECT pg_notify ($1, $2)", params, 2, &error);

  g_assert_no_error (error);
}

static void
wait_notes (Notes *notes, guint count)
{
  guint timeout = g_timeout_add_seconds (20, on_timeout, NULL);

  while (notes->count < count)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout);
}

static gchar *
backend_pid (McuPg *pg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PGresult) r =
      query (pg, "SELECT pg_backend_pid ()", NULL, 0, &error);

  g_assert_no_error (error);
  return g_strdup (PQgetvalue (r, 0, 0));
}

static void
terminate (McuPg *killer, const gchar *pid)
{
  const gchar *params[] = { pid };
  g_autoptr (GError) error = NULL;
  g_autoptr (PGresult) r = query (
      killer, "SELECT pg_terminate_backend ($1::int)", params, 1, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (PQgetvalue (r, 0, 0), ==, "t");
}

static void
on_disconnected (McuPg *pg, gpointer user_data)
{
  *(guint *)user_data += 1;
}

/* LISTEN, then the connection is killed under a running query: the query
 * fails UNAVAILABLE, "disconnected", a new connection by itself, LISTEN
 * again, notifications flow again. */
static void
test_listen_reconnect (void)
{
  g_autoptr (McuPg) pg = connect_new ();
  g_autoptr (McuPg) other = connect_new ();
  g_autofree gchar *pid = NULL;
  g_autofree gchar *pid2 = NULL;
  Notes notes = { 0 };
  guint connected = 0, disconnected = 0;
  Wait sleeping = { 0 };

  g_signal_connect (pg, "notification", G_CALLBACK (on_notification), &notes);
  g_signal_connect (pg, "connected", G_CALLBACK (on_connected), &connected);
  g_signal_connect (
      pg, "disconnected", G_CALLBACK (on_disconnected), &disconnected);
  mcu_pg_listen (pg, "mcu_test");
  mcu_pg_listen (pg, "mcu_test"); /* once is enough */
  pid = backend_pid (pg);         /* after the LISTEN */
  notify (other, "mcu_test", "one");
  wait_notes (&notes, 1);
  g_assert_cmpstr (notes.channel, ==, "mcu_test");
  g_assert_cmpstr (notes.payload, ==, "one");

  mcu_pg_query_async (
      pg, "SELECT pg_sleep (30)", NULL, 0, NULL, on_query, &sleeping);
  terminate (other, pid);
  iterate_until (&sleeping.done);
  g_assert_null (sleeping.result);
  g_assert_error (sleeping.error, MCU_PG_ERROR, MCU_PG_ERROR_UNAVAILABLE);
  g_clear_error (&sleeping.error);
  g_assert_cmpuint (disconnected, ==, 1);

  while (connected == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (mcu_pg_is_connected (pg));
  pid2 = backend_pid (pg);
  g_assert_cmpstr (pid, !=, pid2);
  notify (other, "mcu_test", "two");
  wait_notes (&notes, 2);
  g_assert_cmpstr (notes.payload, ==, "two");
  g_free (notes.channel);
  g_free (notes.payload);
}

static gboolean
on_tick (gpointer user_data)
{
  *(guint *)user_data += 1;
  return G_SOURCE_CONTINUE;
}

/* The main loop runs while a slow query is in flight. */
static void
test_never_blocks (void)
{
  g_autoptr (McuPg) pg = connect_new ();
  Wait wait = { 0 };
  guint ticks = 0;
  guint tick = g_timeout_add (10, on_tick, &ticks);

  mcu_pg_query_async (
      pg, "SELECT pg_sleep (0.5)", NULL, 0, NULL, on_query, &wait);
  iterate_until (&wait.done);
  g_source_remove (tick);
  g_assert_no_error (wait.error);
  PQclear (wait.result);
  g_assert_cmpuint (ticks, >=, 25);
}

/* A server that is not there: no "connected", queries fail at once, and the
 * loop keeps running while the attempts back off. */
static void
test_unreachable (void)
{
  g_autoptr (McuPg) pg =
      mcu_pg_new ("host=127.0.0.1 port=1 user=postgres connect_timeout=2");
  guint connected = 0;
  guint ticks = 0;
  guint tick = g_timeout_add (10, on_tick, &ticks);
  g_autoptr (GError) error = NULL;
  g_autoptr (PGresult) r = NULL;
  gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC;

  g_signal_connect (pg, "connected", G_CALLBACK (on_connected), &connected);
  mcu_pg_start (pg);
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  g_assert_cmpuint (connected, ==, 0);
  g_assert_cmpuint (ticks, >=, 50);
  r = query (pg, "SELECT 1", NULL, 0, &error);
  g_assert_error (error, MCU_PG_ERROR, MCU_PG_ERROR_UNAVAILABLE);
}

/* A server that does not answer in time counts as lost: the query fails
 * UNAVAILABLE, and the connection is made again. */
static void
test_timeout (void)
{
  g_autoptr (McuPg) pg = connect_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (PGresult) r = NULL;
  guint connected = 0, disconnected = 0;
  gint64 t0;

  g_signal_connect (pg, "connected", G_CALLBACK (on_connected), &connected);
  g_signal_connect (
      pg, "disconnected", G_CALLBACK (on_disconnected), &disconnected);
  mcu_pg_set_timeout (pg, 500);
  t0 = g_get_monotonic_time ();
  r = query (pg, "SELECT pg_sleep (10)", NULL, 0, &error);
  g_assert_error (error, MCU_PG_ERROR, MCU_PG_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "no answer"));
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpuint (disconnected, ==, 1);
  while (connected == 0)
    g_main_context_iteration (NULL, TRUE);
  g_clear_error (&error);
  r = query (pg, "SELECT 1", NULL, 0, &error);
  g_assert_no_error (error);
}

/* The server process stops answering while we are idle (SIGSTOP, like a
 * host gone without a reset): the idle ping notices, the connection counts
 * as lost and a new one is made. */
static void
test_silent_server (void)
{
  g_autoptr (McuPg) pg = connect_new ();
  g_autofree gchar *pid = NULL;
  guint connected = 0, disconnected = 0;
  gint64 t0;
  pid_t backend;

  g_signal_connect (pg, "connected", G_CALLBACK (on_connected), &connected);
  g_signal_connect (
      pg, "disconnected", G_CALLBACK (on_disconnected), &disconnected);
  mcu_pg_set_timeout (pg, 600);
  pid = backend_pid (pg);
  backend = (pid_t)g_ascii_strtoll (pid, NULL, 10);
  if (kill (backend, SIGSTOP) != 0) {
    g_test_skip ("cannot stop the server's process (not root?)");
    return;
  }
  t0 = g_get_monotonic_time ();
  while (disconnected == 0)
    g_main_context_iteration (NULL, TRUE);
  kill (backend, SIGCONT);
  /* idle ping after 200 ms, no answer 600 ms later */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 3 * G_USEC_PER_SEC);
  while (connected == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (mcu_pg_is_connected (pg));
}

/* A host name is resolved without blocking (GResolver), and libpq tries
 * its addresses in order (localhost: ::1 is refused, 127.0.0.1 answers). */
static void
test_hostname (void)
{
  g_autofree gchar *named = NULL;
  g_autoptr (McuPg) pg = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (PGresult) r = NULL;
  guint connected = 0;
  guint timeout;

  const gchar *at = strstr (dsn (), "host=127.0.0.1 ");

  if (at == NULL) {
    g_test_skip ("the DSN does not name 127.0.0.1");
    return;
  }
  named = g_strdup_printf ("%.*shost=localhost %s", (int)(at - dsn ()), dsn (),
      at + strlen ("host=127.0.0.1 "));
  pg = mcu_pg_new (named);
  g_signal_connect (pg, "connected", G_CALLBACK (on_connected), &connected);
  mcu_pg_start (pg);
  timeout = g_timeout_add_seconds (20, on_timeout, NULL);
  while (connected == 0)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout);
  r = query (pg, "SELECT 1", NULL, 0, &error);
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (dsn () == NULL) {
    g_printerr ("SKIP: MCU_TEST_PG_DSN is not set (run through "
                "tests/integration/pgserver.py)\n");
    return 77;
  }
  g_test_add_func ("/pg/query", test_query);
  g_test_add_func ("/pg/query-error", test_query_error);
  g_test_add_func ("/pg/not-connected", test_not_connected);
  g_test_add_func ("/pg/queue-limit", test_queue_limit);
  g_test_add_func ("/pg/listen-reconnect", test_listen_reconnect);
  g_test_add_func ("/pg/never-blocks", test_never_blocks);
  g_test_add_func ("/pg/unreachable", test_unreachable);
  g_test_add_func ("/pg/timeout", test_timeout);
  g_test_add_func ("/pg/silent-server", test_silent_server);
  g_test_add_func ("/pg/hostname", test_hostname);
  return g_test_run ();
}
