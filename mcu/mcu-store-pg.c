/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the PostgreSQL store, a write-through cache over one McuPg.
 *
 * States: OFFLINE (not connected) -> MIGRATING (connected: schema checked
 * and migrated under an advisory lock) -> LOADING (every table read) ->
 * READY (writes accepted); a lost connection goes back to OFFLINE and the
 * whole sequence runs again on reconnection; BROKEN (a schema this build
 * cannot use) and CLOSED are final. Each sequence has a generation number
 * so answers from an older connection are ignored.
 *
 * Queries run one at a time in the order issued, so a multi-statement
 * write is sent as BEGIN, statements, COMMIT back to back (nothing else can
 * come in between), and a reload issued after a write sees it. Triggers
 * (schema 5) NOTIFY "mcu_store" with "table:application_name:key" for
 * every changed row; our application_name is unique per store, so our own
 * changes are skipped and another node's make us read that key again. */
#include "mcu-store-pg-private.h"

#include <stdlib.h>

G_DEFINE_FINAL_TYPE (McuStorePg, mcu_store_pg, MCU_TYPE_STORE)

/* Text parameters of one statement; NULL entries are SQL NULL. */
typedef GPtrArray Params;

static Params *
params_new (void)
{
  return g_ptr_array_new_with_free_func (g_free);
}

static void
param_text (Params *p, const gchar *text)
{
  g_ptr_array_add (p, g_strdup (text));
}

static void
param_int (Params *p, gint64 v)
{
  g_ptr_array_add (p, g_strdup_printf ("%" G_GINT64_FORMAT, v));
}

static void
param_double (Params *p, gdouble v)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_ptr_array_add (p, g_strdup (g_ascii_dtostr (buf, sizeof buf, v)));
}

/* ---- writes ---- */

static gboolean
check_ready (McuStorePg *self, GError **error)
{
  if (self->state == STORE_READY && mcu_pg_is_connected (self->pg))
    return TRUE;
  g_set_error (error, MCU_STORE_ERROR, MCU_STORE_ERROR_UNAVAILABLE,
      "the database %s is unavailable%s", self->describe,
      self->state == STORE_CLOSED    ? " (closed)"
      : self->state == STORE_BROKEN  ? " (unusable schema)"
      : self->state == STORE_OFFLINE ? " (not connected)"
                                     : " (loading)");
  return FALSE;
}

/* One write: its statements, sent back to back (BEGIN ... COMMIT when
 * there are several), kept in self->unconfirmed until the last is
 * answered; one lost with the connection is sent again on the next. */
typedef struct
{
  GPtrArray *statements; /* Statement* */
  guint answers;
  gboolean failed;      /* the server refused a statement */
  gboolean unavailable; /* the connection went away under it */
} Write;

typedef struct
{
  gchar *what;
  gchar *sql;
  GPtrArray *params; /* gchar* (nullable entries) */
} Statement;

static void
statement_free (gpointer data)
{
  Statement *st = data;

  g_free (st->what);
  g_free (st->sql);
  g_ptr_array_unref (st->params);
  g_free (st);
}

static void
write_clear (gpointer data)
{
  g_ptr_array_unref (((Write *)data)->statements);
}

static void
write_release (gpointer data)
{
  g_rc_box_release_full (data, write_clear);
}

static void
on_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (McuStorePgAsk) ask = user_data;
  McuStorePg *self = ask->self;
  Write *w = ask->data;
  g_autoptr (GError) error = NULL;
  g_autoptr (PGresult) r = mcu_pg_query_finish (self->pg, result, &error);

  self->pending--;
  if (r == NULL && !w->failed && !w->unavailable) {
    if (g_error_matches (error, MCU_PG_ERROR, MCU_PG_ERROR_UNAVAILABLE))
      w->unavailable = TRUE;
    else {
      w->failed = TRUE;
      g_warning ("store %s: %s: %s", self->describe, ask->key, error->message);
    }
  }
  if (++w->answers == w->statements->len && !w->unavailable) {
    /* done (the writes are answered in order: this one is the oldest) */
    g_queue_remove (&self->unconfirmed, w);
    /* a refused write leaves the cache ahead of the database: read it
     * all again */
    if (w->failed && self->state == STORE_READY)
      mcu_store_pg_reload_all (self);
    write_release (w);
  }
  if (self->state == STORE_CLOSED && self->pending == 0)
    mcu_pg_close (self->pg);
}

static void
write_send (McuStorePg *self, Write *w)
{
  w->answers = 0;
  w->failed = w->unavailable = FALSE;
  for (guint i = 0; i < w->statements->len; i++) {
    Statement *st = g_ptr_array_index (w->statements, i);
    McuStorePgAsk *ask = mcu_store_pg_ask_new (self, st->what);

    ask->data = g_rc_box_acquire (w);
    ask->data_free = write_release;
    self->pending++;
    mcu_pg_query_async (self->pg, st->sql,
        (const gchar *const *)st->params->pdata, (gint)st->params->len, NULL,
        on_written, ask);
  }
}

/* Adds one statement to the write being built. */
static void
write_sql (McuStorePg *self, const gchar *what, const gchar *sql, Params *p)
{
  Statement *st = g_new0 (Statement, 1);

  if (self->building == NULL) {
    Write *w = g_rc_box_new0 (Write);

    w->statements = g_ptr_array_new_with_free_func (statement_free);
    self->building = w;
  }
  st->what = g_strdup (what);
  st->sql = g_strdup (sql);
  st->params = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; p && i < p->len; i++)
    g_ptr_array_add (st->params, g_strdup (g_ptr_array_index (p, i)));
  g_ptr_array_add (((Write *)self->building)->statements, st);
}

/* Sends the write built (keeping it until it is answered). */
static void
write_flush (McuStorePg *self)
{
  Write *w = g_steal_pointer (&self->building);

  if (w == NULL)
    return;
  g_queue_push_tail (&self->unconfirmed, w);
  write_send (self, w);
}

void
mcu_store_pg_replay (McuStorePg *self)
{
  guint n = 0;

  for (GList *l = self->unconfirmed.head; l; l = l->next) {
    Write *w = l->data;

    if (w->unavailable && w->answers == w->statements->len) {
      write_send (self, w);
      n++;
    }
  }
  if (n > 0)
    g_message ("store %s: %u write(s) lost with the connection sent again",
        self->describe, n);
}

void
mcu_store_pg_drop_unconfirmed (McuStorePg *self)
{
  Write *w;

  while ((w = g_queue_pop_head (&self->unconfirmed)) != NULL)
    write_release (w);
  if (self->building)
    write_release (g_steal_pointer (&self->building));
}

static gboolean
pg_save_room (McuStore *store, const McuStoredRoom *room, GError **error)
{
  McuStorePg *self = MCU_STORE_PG (store);
  g_autoptr (GPtrArray) p = params_new ();

  if (!check_ready (self, error))
    return FALSE;
  param_text (p, room->name);
  param_int (p, room->max_participants);
  param_text (p, room->layout);
  param_text (p, room->pin);
  param_int (p, room->locked ? 1 : 0);
  param_int (p, room->self_view ? 1 : 0);
  param_int (p, room->created_at);
  param_text (p, room->moderator_pin);
  param_int (p, room->options);
  write_sql (self, "storing a room",
      "INSERT INTO rooms (" ROOM_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6,"
      " $7, $8, $9) ON CONFLICT (name) DO UPDATE SET max_participants ="
      " EXCLUDED.max_participants, layout = EXCLUDED.layout, pin ="
      " EXCLUDED.pin, locked = EXCLUDED.locked, self_view ="
      " EXCLUDED.self_view, created_at = EXCLUDED.created_at, moderator_pin"
      " = EXCLUDED.moderator_pin, options = EXCLUDED.options",
      p);
  write_flush (self);
  g_hash_table_replace (
      self->cache.rooms, g_strdup (room->name), mcu_stored_room_copy (room));
  return TRUE;
}

/* DELETE FROM @table WHERE @column = @key. */
static void
write_delete (
    McuStorePg *self, const gchar *table, const gchar *column, const gchar *key)
{
  g_autoptr (GPtrArray) p = params_new ();
  g_autofree gchar *sql =
      g_strdup_printf ("DELETE FROM %s WHERE %s = $1", table, column);

  param_text (p, key);
  write_sql (self, "deleting", sql, p);
}

/* Deletes the row of @table named @name, and its entry in @cache. */
static gboolean
delete_key (McuStorePg *self, const gchar *table, const gchar *name,
    GHashTable *cache, GError **error)
{
  if (!check_ready (self, error))
    return FALSE;
  write_delete (self, table, "name", name);
  write_flush (self);
  g_hash_table_remove (cache, name);
  return TRUE;
}

static gboolean
pg_delete_room (McuStore *store, const gchar *name, GError **error)
{
  McuStorePg *self = MCU_STORE_PG (store);

  return delete_key (self, "rooms", name, self->cache.rooms, error);
}

static gboolean
pg_set_user (McuStore *store, const McuStoredUser *user, GError **error)
{
  McuStorePg *self = MCU_STORE_PG (store);
  g_autoptr (GPtrArray) p = params_new ();

  if (!check_ready (self, error))
    return FALSE;
  param_text (p, user->name);
  param_text (p, user->realm);
  param_text (p, user->ha1_md5);
  param_text (p, user->ha1_sha256);
  param_text (p, user->display);
  write_sql (self, "storing a user",
      "INSERT INTO users (" USER_COLUMNS ") VALUES ($1, $2, $3, $4, $5)"
      " ON CONFLICT (name) DO UPDATE SET realm = EXCLUDED.realm, ha1_md5 ="
      " EXCLUDED.ha1_md5, ha1_sha256 = EXCLUDED.ha1_sha256, display ="
      " EXCLUDED.display",
      p);
  write_flush (self);
  g_hash_table_replace (
      self->cache.users, g_strdup (user->name), mcu_stored_user_copy (user));
  return TRUE;
}

static gboolean
pg_delete_user (McuStore *store, const gchar *name, GError **error)
{
  McuStorePg *self = MCU_STORE_PG (store);

  return delete_key (self, "users", name, self->cache.users, error);
}

static gboolean
pg_replace_bindings (
    McuStore *store, const gchar *aor, GPtrArray *bindings, GError **error)
{
  McuStorePg *self = MCU_STORE_PG (store);
  GPtrArray *copy;

  if (!check_ready (self, error))
    return FALSE;
  write_sql (self, "storing bindings", "BEGIN", NULL);
  write_delete (self, "bindings", "aor", aor);
  copy = g_ptr_array_new_with_free_func ((GDestroyNotify)mcu_binding_free);
  for (guint i = 0; i < bindings->len; i++) {
    McuBinding *b = g_ptr_array_index (bindings, i);
    g_autoptr (GPtrArray) p = params_new ();

    param_text (p, aor);
    param_text (p, b->contact);
    param_double (p, b->q);
    param_int (p, b->expires_at);
    param_text (p, b->call_id ? b->call_id : "");
    param_int (p, b->cseq);
    param_text (p, b->user_agent);
    param_text (p, b->received);
    write_sql (self, "storing a binding",
        "INSERT INTO bindings (" BINDING_COLUMNS ") VALUES ($1, $2, $3, $4,"
        " $5, $6, $7, $8) ON CONFLICT (aor, contact) DO NOTHING",
        p);
    g_ptr_array_add (copy, mcu_binding_copy (b));
  }
  write_sql (self, "storing bindings", "COMMIT", NULL);
  write_flush (self);
  if (copy->len > 0)
    g_hash_table_replace (self->cache.bindings, g_strdup (aor), copy);
  else {
    g_hash_table_remove (self->cache.bindings, aor);
    g_ptr_array_unref (copy);
  }
  return TRUE;
}

/* Drops the bindings expired at @now from @table. */
static void
purge_table (GHashTable *table, gint64 now)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    GPtrArray *set = value;

    for (guint i = set->len; i > 0; i--)
      if (((McuBinding *)g_ptr_array_index (set, i - 1))->expires_at <= now)
        g_ptr_array_remove_index (set, i - 1);
    if (set->len == 0)
      g_hash_table_iter_remove (&iter);
  }
}

static gboolean
pg_purge_expired (McuStore *store, gint64 now, GError **error)
{
  McuStorePg *self = MCU_STORE_PG (store);
  g_autoptr (GPtrArray) p = params_new ();

  purge_table (self->cache.bindings, now);
  /* while offline this is only a cache matter: whoever is up purges */
  if (self->state != STORE_READY || !mcu_pg_is_connected (self->pg))
    return TRUE;
  param_int (p, now);
  write_sql (self, "purging bindings",
      "DELETE FROM bindings WHERE expires_at <= $1", p);
  write_flush (self);
  return TRUE;
}

static gboolean
pg_save_meeting (
    McuStore *store, const gchar *id, const gchar *json, GError **error)
{
  McuStorePg *self = MCU_STORE_PG (store);
  g_autoptr (GPtrArray) p = params_new ();

  if (!check_ready (self, error))
    return FALSE;
  param_text (p, id);
  param_text (p, json);
  param_int (p, g_get_real_time ());
  write_sql (self, "storing a meeting",
      "INSERT INTO meetings (id, json, updated_at) VALUES ($1, $2, $3)"
      " ON CONFLICT (id) DO UPDATE SET json = EXCLUDED.json, updated_at ="
      " EXCLUDED.updated_at",
      p);
  write_flush (self);
  g_hash_table_replace (self->cache.meetings, g_strdup (id), g_strdup (json));
  return TRUE;
}

static gboolean
pg_delete_meeting (McuStore *store, const gchar *id, GError **error)
{
  McuStorePg *self = MCU_STORE_PG (store);

  if (!check_ready (self, error))
    return FALSE;
  write_sql (self, "deleting a meeting", "BEGIN", NULL);
  write_delete (self, "meetings", "id", id);
  write_delete (self, "meeting_occurrences", "meeting_id", id);
  write_delete (self, "meeting_attendees", "meeting_id", id);
  write_sql (self, "deleting a meeting", "COMMIT", NULL);
  write_flush (self);
  g_hash_table_remove (self->cache.meetings, id);
  g_hash_table_remove (self->cache.occurrences, id);
  return TRUE;
}

static gboolean
pg_save_occurrence (
    McuStore *store, const McuStoredOccurrence *o, GError **error)
{
  McuStorePg *self = MCU_STORE_PG (store);
  g_autoptr (GPtrArray) p = params_new ();
  g_autoptr (GPtrArray) key = params_new ();
  McuStoredOccurrence *cached;

  if (!check_ready (self, error))
    return FALSE;
  param_text (p, o->meeting_id);
  param_int (p, o->start);
  param_text (p, o->phase);
  param_int (p, o->end);
  param_int (p, o->warnings_done);
  param_text (p, o->ended);
  param_int (p, g_get_real_time ());
  param_text (key, o->meeting_id);
  param_int (key, o->start);
  write_sql (self, "storing an occurrence", "BEGIN", NULL);
  write_sql (self, "storing an occurrence",
      "INSERT INTO meeting_occurrences (" OCCURRENCE_COLUMNS ", updated_at)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (meeting_id, start)"
      " DO UPDATE SET phase = EXCLUDED.phase, end_at = EXCLUDED.end_at,"
      " warnings_done = EXCLUDED.warnings_done, ended = EXCLUDED.ended,"
      " updated_at = EXCLUDED.updated_at",
      p);
  write_sql (self, "storing an occurrence",
      "DELETE FROM meeting_attendees WHERE meeting_id = $1 AND start = $2",
      key);
  for (guint i = 0; i < o->attendees->len; i++) {
    McuStoredAttendee *a = g_ptr_array_index (o->attendees, i);
    g_autoptr (GPtrArray) ap = params_new ();

    param_text (ap, o->meeting_id);
    param_int (ap, o->start);
    param_text (ap, a->attendee_id);
    param_text (ap, a->state);
    param_int (ap, a->tries);
    param_int (ap, a->status);
    param_int (ap, a->next_try);
    write_sql (self, "storing an attendee's state",
        "INSERT INTO meeting_attendees (" ATTENDEE_COLUMNS ") VALUES ($1, $2,"
        " $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        ap);
  }
  write_sql (self, "storing an occurrence", "COMMIT", NULL);
  write_flush (self);
  cached = g_hash_table_lookup (self->cache.occurrences, o->meeting_id);
  if (cached == NULL || cached->start <= o->start)
    g_hash_table_replace (self->cache.occurrences, g_strdup (o->meeting_id),
        mcu_stored_occurrence_copy (o));
  return TRUE;
}

/* ---- reads: from the cache ---- */

static gboolean
check_open (McuStorePg *self, GError **error)
{
  if (self->state != STORE_CLOSED)
    return TRUE;
  g_set_error (error, MCU_STORE_ERROR, MCU_STORE_ERROR_UNAVAILABLE,
      "the database %s is closed", self->describe);
  return FALSE;
}

/* Makes the copy a reader returns of one cache entry. */
typedef gpointer (*CacheCopyFunc) (gconstpointer key, gconstpointer value);

static gint
compare_keys (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar *const *)a, *(const gchar *const *)b);
}

/* Copies of the entries of the cache @table, sorted by key; NULL when the
 * store is closed. */
static GPtrArray *
cache_read (McuStorePg *self, GHashTable *table, CacheCopyFunc copy,
    GDestroyNotify free_func, GError **error)
{
  g_autofree gpointer *keys = NULL;
  GPtrArray *out;
  guint n;

  if (!check_open (self, error))
    return NULL;
  keys = g_hash_table_get_keys_as_array (table, &n);
  qsort (keys, n, sizeof (gpointer), compare_keys);
  out = g_ptr_array_new_full (n, free_func);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (out, copy (keys[i], g_hash_table_lookup (table, keys[i])));
  return out;
}

static gpointer
room_copy (gconstpointer name, gconstpointer room)
{
  return mcu_stored_room_copy (room);
}

static GPtrArray *
pg_load_rooms (McuStore *store, GError **error)
{
  McuStorePg *self = MCU_STORE_PG (store);

  return cache_read (self, self->cache.rooms, room_copy,
      (GDestroyNotify)mcu_stored_room_free, error);
}

/* The meetings cache holds id -> JSON. */
static gpointer
meeting_copy (gconstpointer id, gconstpointer json)
{
  McuStoredMeeting *m = g_new0 (McuStoredMeeting, 1);

  m->id = g_strdup (id);
  m->json = g_strdup (json);
  return m;
}

static GPtrArray *
pg_load_meetings (McuStore *store, GError **error)
{
  McuStorePg *self = MCU_STORE_PG (store);

  return cache_read (self, self->cache.meetings, meeting_copy,
      (GDestroyNotify)mcu_stored_meeting_free, error);
}

static McuStoredOccurrence *
pg_load_last_occurrence (
    McuStore *store, const gchar *meeting_id, GError **error)
{
  McuStorePg *self = MCU_STORE_PG (store);
  McuStoredOccurrence *o;

  if (!check_open (self, error))
    return NULL;
  o = g_hash_table_lookup (self->cache.occurrences, meeting_id);
  return o ? mcu_stored_occurrence_copy (o) : NULL;
}

static GPtrArray *
pg_load_bindings (McuStore *store, gint64 now, GError **error)
{
  McuStorePg *self = MCU_STORE_PG (store);
  GPtrArray *out;

  if (!check_open (self, error))
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify)mcu_binding_free);
  mcu_bindings_copy_live (self->cache.bindings, now, out);
  return out;
}

static McuStoredUser *
pg_lookup_user (McuStore *store, const gchar *name, GError **error)
{
  McuStorePg *self = MCU_STORE_PG (store);
  McuStoredUser *u;

  if (!check_open (self, error))
    return NULL;
  u = g_hash_table_lookup (self->cache.users, name);
  return u ? mcu_stored_user_copy (u) : NULL;
}

/* ---- the object ---- */

static void
pg_close (McuStore *store)
{
  McuStorePg *self = MCU_STORE_PG (store);

  if (self->state == STORE_CLOSED)
    return;
  self->state = STORE_CLOSED;
  self->generation++;
  g_clear_handle_id (&self->retry_id, g_source_remove);
  /* the writes already sent still go out */
  if (self->pending == 0)
    mcu_pg_close (self->pg);
}

static const gchar *
pg_get_path (McuStore *store)
{
  return MCU_STORE_PG (store)->describe;
}

static gboolean
pg_is_available (McuStore *store)
{
  McuStorePg *self = MCU_STORE_PG (store);

  return self->state == STORE_READY && mcu_pg_is_connected (self->pg);
}

static void
mcu_store_pg_dispose (GObject *object)
{
  McuStorePg *self = MCU_STORE_PG (object);

  if (self->pg != NULL) {
    g_signal_handlers_disconnect_by_data (self->pg, self);
    mcu_pg_close (self->pg);
  }
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_clear_object (&self->pg);
  G_OBJECT_CLASS (mcu_store_pg_parent_class)->dispose (object);
}

static void
mcu_store_pg_finalize (GObject *object)
{
  McuStorePg *self = MCU_STORE_PG (object);

  mcu_store_pg_drop_unconfirmed (self);
  mcu_store_pg_tables_clear (&self->cache);
  if (self->loading) {
    mcu_store_pg_tables_clear (self->loading);
    g_free (self->loading);
  }
  g_free (self->describe);
  g_free (self->origin);
  G_OBJECT_CLASS (mcu_store_pg_parent_class)->finalize (object);
}

static void
mcu_store_pg_class_init (McuStorePgClass *klass)
{
  McuStoreClass *store_class = MCU_STORE_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = mcu_store_pg_dispose;
  G_OBJECT_CLASS (klass)->finalize = mcu_store_pg_finalize;
  store_class->close = pg_close;
  store_class->get_path = pg_get_path;
  store_class->is_available = pg_is_available;
  store_class->set_user = pg_set_user;
  store_class->delete_user = pg_delete_user;
  store_class->save_room = pg_save_room;
  store_class->delete_room = pg_delete_room;
  store_class->load_rooms = pg_load_rooms;
  store_class->save_meeting = pg_save_meeting;
  store_class->delete_meeting = pg_delete_meeting;
  store_class->load_meetings = pg_load_meetings;
  store_class->save_occurrence = pg_save_occurrence;
  store_class->load_last_occurrence = pg_load_last_occurrence;
  store_class->load_bindings = pg_load_bindings;
  store_class->replace_bindings = pg_replace_bindings;
  store_class->purge_expired = pg_purge_expired;
  store_class->lookup_user = pg_lookup_user;
}

static void
mcu_store_pg_init (McuStorePg *self)
{
  self->state = STORE_OFFLINE;
  mcu_store_pg_tables_init (&self->cache);
  g_queue_init (&self->unconfirmed);
}

/* "postgresql://host:port/dbname" from @dsn, without user or password. */
static gchar *
describe (const gchar *dsn, GError **error)
{
  gchar *message = NULL;
  PQconninfoOption *options = PQconninfoParse (dsn, &message);
  const gchar *host = NULL, *port = NULL, *dbname = NULL;
  gchar *out;

  if (options == NULL) {
    g_set_error (error, MCU_STORE_ERROR, MCU_STORE_ERROR_OPEN,
        "not a PostgreSQL connection string: %s",
        message ? g_strstrip (message) : "out of memory");
    PQfreemem (message);
    return NULL;
  }
  for (PQconninfoOption *o = options; o->keyword; o++) {
    if (o->val == NULL)
      continue;
    if (g_str_equal (o->keyword, "host"))
      host = o->val;
    else if (g_str_equal (o->keyword, "hostaddr") && host == NULL)
      host = o->val;
    else if (g_str_equal (o->keyword, "port"))
      port = o->val;
    else if (g_str_equal (o->keyword, "dbname"))
      dbname = o->val;
  }
  out = g_strdup_printf ("postgresql://%s%s%s/%s", host ? host : "",
      port ? ":" : "", port ? port : "", dbname ? dbname : "");
  PQconninfoFree (options);
  return out;
}

McuStore *
mcu_store_pg_new (const gchar *dsn, GError **error)
{
  g_autoptr (McuStorePg) self = NULL;
  gchar *description;

  g_return_val_if_fail (dsn != NULL, NULL);
  description = describe (dsn, error);
  if (description == NULL)
    return NULL;
  self = g_object_new (MCU_TYPE_STORE_PG, NULL);
  self->describe = description;
  self->origin =
      g_strdup_printf ("mcu-%08x%08x", g_random_int (), g_random_int ());
  self->pg = mcu_pg_new (dsn);
  mcu_store_pg_sync_start (self);
  return MCU_STORE (g_steal_pointer (&self));
}

guint
mcu_store_pg_get_pending (McuStorePg *self)
{
  g_return_val_if_fail (MCU_IS_STORE_PG (self), 0);
  return self->pending;
}
