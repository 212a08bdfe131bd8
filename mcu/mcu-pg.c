/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one non-blocking PostgreSQL connection on a GMainContext.
 *
 * States: IDLE (not started) -> CONNECTING (PQconnectPoll steps, driven by
 * the socket) -> READY (queries flow) -> on any failure WAITING (a backoff
 * timer) -> CONNECTING ... ; CLOSED is final. Only READY accepts queries.
 * One query is in flight at a time (self->current); the others wait in
 * self->queue. The socket is watched by one GSource whose fd and
 * condition follow the connection (libpq may change the socket while
 * connecting, and needs G_IO_OUT only while it has output to flush). */
#include "mcu-pg.h"

#include <string.h>

G_DEFINE_QUARK (mcu - pg - error - quark, mcu_pg_error)

#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS   5000
/* A server that stops answering (a host gone without a reset) is taken for
 * lost after this long: libpq's own connect_timeout does not apply to the
 * asynchronous API, and a query would otherwise wait forever. */
#define DEFAULT_TIMEOUT_MS 15000

typedef enum
{
  PG_STATE_IDLE,
  PG_STATE_CONNECTING,
  PG_STATE_READY,
  PG_STATE_WAITING,
  PG_STATE_CLOSED,
} PgState;

typedef struct
{
  gchar *sql;
  gchar **params; /* n_params entries, NULL ones are SQL NULL */
  gint n_params;
  GTask *task;      /* NULL for our own LISTENs */
  PGresult *result; /* the last result, or the first failed one */
} PgQuery;

typedef struct
{
  GSource source;
  McuPg *pg; /* (unowned): the source is destroyed before the McuPg */
} PgSource;

struct _McuPg
{
  GObject parent_instance;

  gchar *dsn;
  GMainContext *context;
  PgState state;
  PGconn *conn;
  PgSource *source; /* watches PQsocket (conn), NULL when no conn */
  gpointer fd_tag;
  gint fd;
  GIOCondition condition;
  guint backoff_ms;
  GSource *retry;          /* the backoff timer in WAITING */
  GQueue queue;            /* PgQuery*, waiting */
  PgQuery *current;        /* in flight */
  GPtrArray *channels;     /* gchar*, LISTENed */
  gboolean was_ready;      /* "connected" was emitted since the last loss */
  guint timeout_ms;        /* for connecting, and for one query's answer */
  gint64 waiting_since;    /* monotonic: connecting or the query sent; 0 */
  GSource *watchdog;       /* checks waiting_since 4 times a second */
  gint64 active_at;        /* monotonic: the last answer (idle: a ping) */
  gchar *last_failure;     /* (nullable) why the last attempt failed */
  GCancellable *resolving; /* (nullable) the host name being resolved */
};

enum
{
  SIGNAL_NOTIFICATION,
  SIGNAL_CONNECTED,
  SIGNAL_DISCONNECTED,
  N_SIGNALS,
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (McuPg, mcu_pg, G_TYPE_OBJECT)

static void pg_connect (McuPg *self);
static void pg_pump (McuPg *self);

static void
pg_query_free (PgQuery *query)
{
  g_free (query->sql);
  for (gint i = 0; i < query->n_params; i++)
    g_free (query->params[i]);
  g_free (query->params);
  g_clear_object (&query->task);
  g_clear_pointer (&query->result, PQclear);
  g_free (query);
}

static void
pg_query_fail (PgQuery *query, const gchar *why)
{
  if (query->task != NULL)
    g_task_return_new_error (query->task, MCU_PG_ERROR,
        MCU_PG_ERROR_UNAVAILABLE, "PostgreSQL unavailable: %s", why);
  pg_query_free (query);
}

/* Strips libpq's trailing newline. (transfer full) */
static gchar *
conn_message (PGconn *conn)
{
  gchar *message = g_strdup (conn != NULL ? PQerrorMessage (conn) : "");

  g_strstrip (message);
  g_strdelimit (message, "\n\t", ' ');
  if (*message == '\0') {
    g_free (message);
    message = g_strdup ("out of memory");
  }
  return message;
}

static gboolean pg_source_dispatch (
    GSource *source, GSourceFunc callback, gpointer data);

static GSourceFuncs pg_source_funcs = {
  .dispatch = pg_source_dispatch,
};

static void
unwatch (McuPg *self)
{
  if (self->source == NULL)
    return;
  g_source_destroy ((GSource *)self->source);
  g_source_unref ((GSource *)self->source);
  self->source = NULL;
  self->fd_tag = NULL;
  self->fd = -1;
}

/* Watches the connection's current socket for @condition. */
static void
watch (McuPg *self, GIOCondition condition)
{
  gint fd = PQsocket (self->conn);

  condition |= G_IO_ERR | G_IO_HUP;
  if (self->source == NULL) {
    self->source =
        (PgSource *)g_source_new (&pg_source_funcs, sizeof (PgSource));
    self->source->pg = self;
    g_source_set_static_name ((GSource *)self->source, "mcu-pg");
    g_source_attach ((GSource *)self->source, self->context);
  }
  if (self->fd_tag != NULL && self->fd != fd) {
    g_source_remove_unix_fd ((GSource *)self->source, self->fd_tag);
    self->fd_tag = NULL;
  }
  if (fd < 0)
    return;
  if (self->fd_tag == NULL)
    self->fd_tag =
        g_source_add_unix_fd ((GSource *)self->source, fd, condition);
  else if (self->condition != condition)
    g_source_modify_unix_fd ((GSource *)self->source, self->fd_tag, condition);
  self->fd = fd;
  self->condition = condition;
}

static void
fail_all (McuPg *self, const gchar *why)
{
  PgQuery *current = g_steal_pointer (&self->current);
  GQueue waiting = self->queue;
  PgQuery *query;

  g_queue_init (&self->queue);
  if (current != NULL)
    pg_query_fail (current, why);
  while ((query = g_queue_pop_head (&waiting)) != NULL)
    pg_query_fail (query, why);
}

static gboolean
on_retry (gpointer user_data)
{
  McuPg *self = user_data;

  g_clear_pointer (&self->retry, g_source_unref);
  pg_connect (self);
  return G_SOURCE_REMOVE;
}

/* The connection failed or broke: drop it, fail what waits, and try again
 * after the backoff. */
static void
lose (McuPg *self, const gchar *why)
{
  gboolean was_ready = self->was_ready;

  if (self->state == PG_STATE_CLOSED)
    return;
  if (was_ready)
    g_message ("PostgreSQL connection lost, reconnecting: %s", why);
  else if (g_strcmp0 (why, self->last_failure) != 0) /* once per reason */
    g_message ("PostgreSQL connection failed, retrying: %s", why);
  else
    g_debug ("PostgreSQL connection failed: %s", why);
  g_free (self->last_failure);
  self->last_failure = g_strdup (why);
  unwatch (self);
  if (self->resolving) {
    g_cancellable_cancel (self->resolving);
    g_clear_object (&self->resolving);
  }
  g_clear_pointer (&self->conn, PQfinish);
  self->state = PG_STATE_WAITING;
  self->waiting_since = 0;
  self->was_ready = FALSE;
  self->retry = g_timeout_source_new (self->backoff_ms);
  g_source_set_callback (self->retry, on_retry, self, NULL);
  g_source_attach (self->retry, self->context);
  self->backoff_ms = MIN (self->backoff_ms * 2, BACKOFF_MAX_MS);
  g_object_ref (self);
  fail_all (self, why);
  if (was_ready)
    g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0);
  g_object_unref (self);
}

static gboolean
on_watchdog (gpointer user_data)
{
  McuPg *self = user_data;
  g_autofree gchar *why = NULL;

  gint64 now = g_get_monotonic_time ();

  /* idle: ask something now and then, so that a server gone silent is
   * noticed (and LISTEN does not wait in vain) */
  if (self->state == PG_STATE_READY && self->current == NULL &&
      g_queue_is_empty (&self->queue) &&
      now - self->active_at > (gint64)self->timeout_ms * 1000 / 3) {
    PgQuery *ping = g_new0 (PgQuery, 1);

    ping->sql = g_strdup ("SELECT 1");
    g_queue_push_tail (&self->queue, ping);
    pg_pump (self);
    return G_SOURCE_CONTINUE;
  }
  if (self->waiting_since == 0 ||
      now - self->waiting_since < (gint64)self->timeout_ms * 1000)
    return G_SOURCE_CONTINUE;
  why =
      g_strdup_printf ("no answer from the server in %u ms%s", self->timeout_ms,
          self->state == PG_STATE_CONNECTING ? " (connecting)" : "");
  g_object_ref (self);
  lose (self, why);
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

static void
queue_listen (McuPg *self, const gchar *channel, gboolean at_head)
{
  PgQuery *query = g_new0 (PgQuery, 1);
  gchar *quoted = PQescapeIdentifier (self->conn, channel, strlen (channel));

  if (quoted == NULL) {
    g_warning ("cannot LISTEN %s: %s", channel, PQerrorMessage (self->conn));
    g_free (query);
    return;
  }
  query->sql = g_strdup_printf ("LISTEN %s", quoted);
  PQfreemem (quoted);
  if (at_head)
    g_queue_push_head (&self->queue, query);
  else
    g_queue_push_tail (&self->queue, query);
}

static void
ready (McuPg *self)
{
  self->state = PG_STATE_READY;
  self->waiting_since = 0;
  g_clear_pointer (&self->last_failure, g_free);
  self->active_at = g_get_monotonic_time ();
  self->backoff_ms = BACKOFF_FIRST_MS;
  self->was_ready = TRUE;
  if (PQsetnonblocking (self->conn, 1) != 0) {
    g_autofree gchar *why = conn_message (self->conn);
    lose (self, why);
    return;
  }
  g_message ("PostgreSQL connected (server %d)", PQserverVersion (self->conn));
  for (guint i = self->channels->len; i > 0; i--)
    queue_listen (self, g_ptr_array_index (self->channels, i - 1), TRUE);
  watch (self, G_IO_IN);
  g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_CONNECTED], 0);
  if (self->state == PG_STATE_READY)
    pg_pump (self);
  g_object_unref (self);
}

/* One PQconnectPoll step. */
static void
connect_step (McuPg *self)
{
  switch (PQconnectPoll (self->conn)) {
    case PGRES_POLLING_READING:
      watch (self, G_IO_IN);
      break;
    case PGRES_POLLING_WRITING:
      watch (self, G_IO_OUT);
      break;
    case PGRES_POLLING_OK:
      ready (self);
      break;
    case PGRES_POLLING_FAILED:
    default: {
      g_autofree gchar *why = conn_message (self->conn);
      lose (self, why);
    } break;
  }
}

/* The one host name of the DSN that libpq would otherwise resolve itself,
 * blocking the loop; NULL for a numeric address, a socket directory,
 * several hosts, or when hostaddr is given. (transfer full) */
static gchar *
host_to_resolve (const gchar *dsn)
{
  PQconninfoOption *options = PQconninfoParse (dsn, NULL);
  const gchar *host = NULL;
  gboolean hostaddr = FALSE;
  gchar *out = NULL;

  for (PQconninfoOption *o = options; o && o->keyword; o++) {
    if (g_str_equal (o->keyword, "host"))
      host = o->val;
    else if (g_str_equal (o->keyword, "hostaddr") && o->val && *o->val)
      hostaddr = TRUE;
  }
  if (host && *host && host[0] != '/' && !strchr (host, ',') && !hostaddr &&
      !g_hostname_is_ip_address (host))
    out = g_strdup (host);
  PQconninfoFree (options);
  return out;
}

/* PQconnectStart on the DSN, or with @addresses (resolved already) as
 * hostaddr: libpq tries them in order. */
static void
start_with (McuPg *self, GList *addresses)
{
  if (addresses == NULL) {
    self->conn = PQconnectStart (self->dsn);
  } else {
    PQconninfoOption *options = PQconninfoParse (self->dsn, NULL);
    g_autoptr (GPtrArray) keys = g_ptr_array_new ();
    g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
    g_autoptr (GString) hosts = g_string_new (NULL);
    g_autoptr (GString) addrs = g_string_new (NULL);
    const gchar *host = NULL;
    guint n = 0;

    for (PQconninfoOption *o = options; o && o->keyword; o++) {
      if (g_str_equal (o->keyword, "host"))
        host = o->val;
      else if (o->val != NULL && !g_str_equal (o->keyword, "hostaddr")) {
        g_ptr_array_add (keys, o->keyword);
        g_ptr_array_add (values, g_strdup (o->val));
      }
    }
    for (GList *l = addresses; l && n < 8; l = l->next, n++) {
      g_autofree gchar *a = g_inet_address_to_string (l->data);

      g_string_append_printf (hosts, "%s%s", n ? "," : "", host);
      g_string_append_printf (addrs, "%s%s", n ? "," : "", a);
    }
    g_ptr_array_add (keys, "host");
    g_ptr_array_add (values, g_strdup (hosts->str));
    g_ptr_array_add (keys, "hostaddr");
    g_ptr_array_add (values, g_strdup (addrs->str));
    g_ptr_array_add (keys, NULL);
    g_ptr_array_add (values, NULL);
    self->conn = PQconnectStartParams ((const gchar *const *)keys->pdata,
        (const gchar *const *)values->pdata, 0);
    PQconninfoFree (options);
  }
  if (self->conn == NULL || PQstatus (self->conn) == CONNECTION_BAD) {
    g_autofree gchar *why = conn_message (self->conn);
    lose (self, why);
    return;
  }
  /* libpq: after PQconnectStart, behave as if PQconnectPoll last said
   * WRITING. */
  watch (self, G_IO_OUT);
}

static void
on_resolved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (McuPg) self = user_data;
  g_autoptr (GError) error = NULL;
  GList *addresses =
      g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* lost or closed meanwhile */
  g_clear_object (&self->resolving);
  if (addresses == NULL) {
    g_autofree gchar *why =
        g_strdup_printf ("cannot resolve the host: %s", error->message);

    lose (self, why);
    return;
  }
  start_with (self, addresses);
  g_resolver_free_addresses (addresses);
}

/* Connects, resolving a host name first without blocking. */
static void
pg_connect (McuPg *self)
{
  g_autofree gchar *host = host_to_resolve (self->dsn);

  self->state = PG_STATE_CONNECTING;
  self->waiting_since = g_get_monotonic_time ();
  if (host != NULL) {
    g_autoptr (GResolver) resolver = g_resolver_get_default ();

    self->resolving = g_cancellable_new ();
    g_resolver_lookup_by_name_async (
        resolver, host, self->resolving, on_resolved, g_object_ref (self));
    return;
  }
  start_with (self, NULL);
}

/* Output waits in libpq's buffer: watch for writability until sent. */
static gboolean
flush (McuPg *self)
{
  gint r = PQflush (self->conn);

  if (r < 0) {
    g_autofree gchar *why = conn_message (self->conn);
    lose (self, why);
    return FALSE;
  }
  watch (self, r > 0 ? G_IO_IN | G_IO_OUT : G_IO_IN);
  return TRUE;
}

/* Sends the next waiting query if none is in flight. */
static void
pg_pump (McuPg *self)
{
  PgQuery *query;
  gint ok;

  while (self->state == PG_STATE_READY && self->current == NULL &&
         (query = g_queue_pop_head (&self->queue)) != NULL) {
    if (query->task != NULL && g_task_return_error_if_cancelled (query->task)) {
      pg_query_free (query);
      continue;
    }
    self->current = query;
    self->waiting_since = g_get_monotonic_time ();
    if (query->n_params == 0)
      ok = PQsendQuery (self->conn, query->sql);
    else
      ok = PQsendQueryParams (self->conn, query->sql, query->n_params, NULL,
          (const gchar *const *)query->params, NULL, NULL, 0);
    if (!ok) {
      g_autofree gchar *why = conn_message (self->conn);
      lose (self, why);
      return;
    }
    flush (self);
  }
}

/* The SQLSTATEs that mean the connection, not the query, is the problem. */
static gboolean
sqlstate_is_unavailable (const gchar *sqlstate)
{
  return sqlstate != NULL &&
         (g_str_has_prefix (sqlstate, "08") ||    /* connection exception */
             g_str_has_prefix (sqlstate, "57P")); /* shutdown, crash */
}

/* The in-flight query is complete: hand its result over. */
static void
complete (McuPg *self)
{
  PgQuery *query = g_steal_pointer (&self->current);
  PGresult *result = query->result;
  ExecStatusType status =
      result != NULL ? PQresultStatus (result) : PGRES_FATAL_ERROR;

  self->waiting_since = 0;
  self->active_at = g_get_monotonic_time ();

  if (query->task == NULL) {
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      g_warning ("PostgreSQL: %s: %s", query->sql,
          result != NULL ? PQresultErrorMessage (result) : "no result");
  } else if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    query->result = NULL;
    g_task_return_pointer (query->task, result, (GDestroyNotify)PQclear);
  } else {
    const gchar *sqlstate =
        result != NULL ? PQresultErrorField (result, PG_DIAG_SQLSTATE) : NULL;
    g_autofree gchar *message =
        g_strdup (result != NULL ? PQresultErrorMessage (result) : "no result");

    g_strstrip (message);
    g_task_return_new_error (query->task, MCU_PG_ERROR,
        sqlstate_is_unavailable (sqlstate) ? MCU_PG_ERROR_UNAVAILABLE
                                           : MCU_PG_ERROR_QUERY,
        "%s (SQLSTATE %s)", message, sqlstate != NULL ? sqlstate : "none");
  }
  pg_query_free (query);
}

static void
emit_notifications (McuPg *self)
{
  PGnotify *notify;

  while (self->conn != NULL && (notify = PQnotifies (self->conn)) != NULL) {
    g_signal_emit (
        self, signals[SIGNAL_NOTIFICATION], 0, notify->relname, notify->extra);
    PQfreemem (notify);
  }
}

/* READY: the socket is readable (or writable with output pending). */
static void
io_ready (McuPg *self, GIOCondition condition)
{
  if ((condition & G_IO_OUT) && !flush (self))
    return;
  if (!PQconsumeInput (self->conn)) {
    g_autofree gchar *why = conn_message (self->conn);
    lose (self, why);
    return;
  }
  while (self->state == PG_STATE_READY && self->current != NULL &&
         !PQisBusy (self->conn)) {
    PGresult *result = PQgetResult (self->conn);

    if (result == NULL) {
      complete (self);
      pg_pump (self);
      continue;
    }
    switch (PQresultStatus (result)) {
      case PGRES_COPY_IN:
      case PGRES_COPY_OUT:
      case PGRES_COPY_BOTH:
        PQclear (result);
        lose (self, "COPY is not supported");
        return;
      default:
        break;
    }
    /* keep the first failure, else the last result */
    if (self->current->result == NULL ||
        PQresultStatus (self->current->result) == PGRES_COMMAND_OK ||
        PQresultStatus (self->current->result) == PGRES_TUPLES_OK) {
      g_clear_pointer (&self->current->result, PQclear);
      self->current->result = result;
    } else
      PQclear (result);
  }
  if (self->state == PG_STATE_READY &&
      PQstatus (self->conn) == CONNECTION_BAD) {
    g_autofree gchar *why = conn_message (self->conn);
    lose (self, why);
    return;
  }
  if (self->state == PG_STATE_READY)
    emit_notifications (self);
}

static gboolean
pg_source_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  McuPg *self = ((PgSource *)source)->pg;
  GIOCondition condition;

  if (self->fd_tag == NULL)
    return G_SOURCE_CONTINUE;
  condition = g_source_query_unix_fd (source, self->fd_tag);
  if (condition == 0)
    return G_SOURCE_CONTINUE;
  g_object_ref (self);
  if (self->state == PG_STATE_CONNECTING)
    connect_step (self);
  else if (self->state == PG_STATE_READY)
    io_ready (self, condition);
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

static void
mcu_pg_dispose (GObject *object)
{
  McuPg *self = MCU_PG (object);

  mcu_pg_close (self);
  G_OBJECT_CLASS (mcu_pg_parent_class)->dispose (object);
}

static void
mcu_pg_finalize (GObject *object)
{
  McuPg *self = MCU_PG (object);

  g_free (self->dsn);
  g_free (self->last_failure);
  g_ptr_array_unref (self->channels);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (mcu_pg_parent_class)->finalize (object);
}

static void
mcu_pg_class_init (McuPgClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_pg_dispose;
  object_class->finalize = mcu_pg_finalize;
  signals[SIGNAL_NOTIFICATION] = g_signal_new ("notification",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_CONNECTED] =
      g_signal_new ("connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_DISCONNECTED] =
      g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass),
          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
mcu_pg_init (McuPg *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->state = PG_STATE_IDLE;
  self->fd = -1;
  self->backoff_ms = BACKOFF_FIRST_MS;
  self->timeout_ms = DEFAULT_TIMEOUT_MS;
  g_queue_init (&self->queue);
  self->channels = g_ptr_array_new_with_free_func (g_free);
}

McuPg *
mcu_pg_new (const gchar *dsn)
{
  McuPg *self;

  g_return_val_if_fail (dsn != NULL, NULL);
  self = g_object_new (MCU_TYPE_PG, NULL);
  self->dsn = g_strdup (dsn);
  return self;
}

void
mcu_pg_start (McuPg *self)
{
  g_return_if_fail (MCU_IS_PG (self));
  if (self->state != PG_STATE_IDLE)
    return;
  self->watchdog = g_timeout_source_new (250);
  g_source_set_callback (self->watchdog, on_watchdog, self, NULL);
  g_source_attach (self->watchdog, self->context);
  pg_connect (self);
}

void
mcu_pg_set_timeout (McuPg *self, guint timeout_ms)
{
  g_return_if_fail (MCU_IS_PG (self));
  self->timeout_ms = MAX (timeout_ms, 100);
}

void
mcu_pg_close (McuPg *self)
{
  gboolean was_ready;

  g_return_if_fail (MCU_IS_PG (self));
  if (self->state == PG_STATE_CLOSED)
    return;
  was_ready = self->was_ready;
  self->state = PG_STATE_CLOSED;
  self->was_ready = FALSE;
  unwatch (self);
  if (self->retry != NULL) {
    g_source_destroy (self->retry);
    g_clear_pointer (&self->retry, g_source_unref);
  }
  if (self->watchdog != NULL) {
    g_source_destroy (self->watchdog);
    g_clear_pointer (&self->watchdog, g_source_unref);
  }
  self->waiting_since = 0;
  if (self->resolving) {
    g_cancellable_cancel (self->resolving);
    g_clear_object (&self->resolving);
  }
  g_clear_pointer (&self->conn, PQfinish);
  g_object_ref (self);
  fail_all (self, "closed");
  if (was_ready)
    g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0);
  g_object_unref (self);
}

gboolean
mcu_pg_is_connected (McuPg *self)
{
  g_return_val_if_fail (MCU_IS_PG (self), FALSE);
  return self->state == PG_STATE_READY;
}

const gchar *
mcu_pg_get_dsn (McuPg *self)
{
  g_return_val_if_fail (MCU_IS_PG (self), NULL);
  return self->dsn;
}

void
mcu_pg_query_async (McuPg *self, const gchar *sql, const gchar *const *params,
    gint n_params, GCancellable *cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  PgQuery *query;

  g_return_if_fail (MCU_IS_PG (self));
  g_return_if_fail (sql != NULL);
  g_return_if_fail (n_params >= 0);
  g_return_if_fail (n_params == 0 || params != NULL);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mcu_pg_query_async);
  if (self->state != PG_STATE_READY) {
    g_task_return_new_error (task, MCU_PG_ERROR, MCU_PG_ERROR_UNAVAILABLE,
        "PostgreSQL unavailable: not connected");
    return;
  }
  if (g_queue_get_length (&self->queue) + (self->current != NULL) >=
      MCU_PG_MAX_QUEUED) {
    g_task_return_new_error (task, MCU_PG_ERROR, MCU_PG_ERROR_UNAVAILABLE,
        "PostgreSQL unavailable: %d queries already wait", MCU_PG_MAX_QUEUED);
    return;
  }
  query = g_new0 (PgQuery, 1);
  query->sql = g_strdup (sql);
  query->n_params = n_params;
  query->params = g_new0 (gchar *, MAX (n_params, 1));
  for (gint i = 0; i < n_params; i++)
    query->params[i] = g_strdup (params[i]);
  query->task = g_steal_pointer (&task);
  g_queue_push_tail (&self->queue, query);
  pg_pump (self);
}

PGresult *
mcu_pg_query_finish (McuPg *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
mcu_pg_listen (McuPg *self, const gchar *channel)
{
  g_return_if_fail (MCU_IS_PG (self));
  g_return_if_fail (channel != NULL);
  for (guint i = 0; i < self->channels->len; i++)
    if (g_str_equal (g_ptr_array_index (self->channels, i), channel))
      return;
  g_ptr_array_add (self->channels, g_strdup (channel));
  if (self->state == PG_STATE_READY) {
    queue_listen (self, channel, FALSE);
    pg_pump (self);
  }
}
