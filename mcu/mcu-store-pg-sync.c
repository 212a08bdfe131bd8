/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuStorePg's connection side: on every (re)connection the schema is
 * checked and migrated under an advisory lock, then every table is read
 * into a fresh cache that replaces the old one, with a change signal for
 * every key that differs; afterwards NOTIFYs from other nodes make us read
 * the changed key again. */
#include "mcu-store-pg-private.h"

#include <stdlib.h>

#define NOTIFY_CHANNEL "mcu_store"
#define MIGRATION_LOCK "724205"

static const gchar *const migrations[] = {
  /* 0 -> 1 */
  "CREATE TABLE bindings (aor TEXT NOT NULL, contact TEXT NOT NULL,"
  " q DOUBLE PRECISION NOT NULL DEFAULT 1.0, expires_at BIGINT NOT NULL,"
  " call_id TEXT NOT NULL, cseq BIGINT NOT NULL, user_agent TEXT,"
  " received TEXT, PRIMARY KEY (aor, contact));"
  "CREATE INDEX bindings_expires_at ON bindings (expires_at);"
  "CREATE TABLE users (name TEXT PRIMARY KEY, realm TEXT NOT NULL,"
  " ha1_md5 TEXT, ha1_sha256 TEXT, display TEXT)",
  /* 1 -> 2 */
  "CREATE TABLE rooms (name TEXT PRIMARY KEY,"
  " max_participants BIGINT NOT NULL DEFAULT 0, layout TEXT, pin TEXT,"
  " locked INTEGER NOT NULL DEFAULT 0, self_view INTEGER NOT NULL DEFAULT 1,"
  " created_at BIGINT NOT NULL)",
  /* 2 -> 3 */
  "CREATE TABLE meetings (id TEXT PRIMARY KEY, json TEXT NOT NULL,"
  " updated_at BIGINT NOT NULL);"
  "CREATE TABLE meeting_occurrences (meeting_id TEXT NOT NULL,"
  " start BIGINT NOT NULL, phase TEXT NOT NULL, end_at BIGINT NOT NULL,"
  " warnings_done BIGINT NOT NULL DEFAULT 0, ended TEXT,"
  " updated_at BIGINT NOT NULL, PRIMARY KEY (meeting_id, start));"
  "CREATE TABLE meeting_attendees (meeting_id TEXT NOT NULL,"
  " start BIGINT NOT NULL, attendee_id TEXT NOT NULL, state TEXT NOT NULL,"
  " tries BIGINT NOT NULL DEFAULT 0, status BIGINT NOT NULL DEFAULT 0,"
  " next_try BIGINT NOT NULL DEFAULT 0,"
  " PRIMARY KEY (meeting_id, start, attendee_id))",
  /* 3 -> 4 */
  "ALTER TABLE rooms ADD COLUMN moderator_pin TEXT;"
  "ALTER TABLE rooms ADD COLUMN options BIGINT NOT NULL DEFAULT 0",
  /* 4 -> 5: the cluster's tables, and a NOTIFY for every changed row */
  "CREATE TABLE nodes (name TEXT PRIMARY KEY, sip_uri TEXT NOT NULL,"
  " control TEXT, state TEXT NOT NULL, load INTEGER NOT NULL DEFAULT 0,"
  " rooms INTEGER NOT NULL DEFAULT 0, heartbeat_at BIGINT NOT NULL);"
  "CREATE TABLE room_hosts (room TEXT PRIMARY KEY, node TEXT NOT NULL,"
  " lease_until BIGINT NOT NULL);"
  "CREATE TABLE occurrence_claims (meeting_id TEXT NOT NULL,"
  " start BIGINT NOT NULL, node TEXT NOT NULL, lease_until BIGINT NOT NULL,"
  " PRIMARY KEY (meeting_id, start));"
  "CREATE FUNCTION mcu_notify () RETURNS trigger LANGUAGE plpgsql AS $f$"
  " DECLARE r jsonb;"
  " BEGIN"
  "  IF TG_OP = 'DELETE' THEN r := to_jsonb (OLD); ELSE r := to_jsonb (NEW);"
  "  END IF;"
  "  PERFORM pg_notify ('" NOTIFY_CHANNEL "', TG_TABLE_NAME || ':' ||"
  "   current_setting ('application_name') || ':' || (r ->> TG_ARGV[0]));"
  "  RETURN NULL;"
  " END $f$;"
  "CREATE TRIGGER bindings_notify AFTER INSERT OR UPDATE OR DELETE ON"
  " bindings FOR EACH ROW EXECUTE FUNCTION mcu_notify ('aor');"
  "CREATE TRIGGER users_notify AFTER INSERT OR UPDATE OR DELETE ON"
  " users FOR EACH ROW EXECUTE FUNCTION mcu_notify ('name');"
  "CREATE TRIGGER rooms_notify AFTER INSERT OR UPDATE OR DELETE ON"
  " rooms FOR EACH ROW EXECUTE FUNCTION mcu_notify ('name');"
  "CREATE TRIGGER meetings_notify AFTER INSERT OR UPDATE OR DELETE ON"
  " meetings FOR EACH ROW EXECUTE FUNCTION mcu_notify ('id');"
  "CREATE TRIGGER occurrences_notify AFTER INSERT OR UPDATE OR DELETE ON"
  " meeting_occurrences FOR EACH ROW EXECUTE FUNCTION"
  " mcu_notify ('meeting_id');"
  "CREATE TRIGGER attendees_notify AFTER INSERT OR UPDATE OR DELETE ON"
  " meeting_attendees FOR EACH ROW EXECUTE FUNCTION"
  " mcu_notify ('meeting_id')",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == MCU_STORE_SCHEMA_VERSION);

McuStorePgAsk *
mcu_store_pg_ask_new (McuStorePg *self, const gchar *key)
{
  McuStorePgAsk *ask = g_new0 (McuStorePgAsk, 1);

  ask->self = g_object_ref (self);
  ask->generation = self->generation;
  ask->key = g_strdup (key);
  return ask;
}

void
mcu_store_pg_ask_free (McuStorePgAsk *ask)
{
  g_object_unref (ask->self);
  g_free (ask->key);
  if (ask->data_free)
    ask->data_free (ask->data);
  g_free (ask);
}

PGresult *
mcu_store_pg_ask_finish (
    McuStorePgAsk *ask, GAsyncResult *result, const gchar *what)
{
  g_autoptr (GError) error = NULL;
  PGresult *r = mcu_pg_query_finish (ask->self->pg, result, &error);

  if (r == NULL && ask->generation == ask->self->generation &&
      !g_error_matches (error, MCU_PG_ERROR, MCU_PG_ERROR_UNAVAILABLE))
    g_warning ("store %s: %s: %s", ask->self->describe, what, error->message);
  if (r != NULL && ask->generation != ask->self->generation)
    g_clear_pointer (&r, PQclear);
  return r;
}

void
mcu_store_pg_tables_init (McuStorePgTables *t)
{
  t->rooms = g_hash_table_new_full (
      g_str_hash, g_str_equal, g_free, (GDestroyNotify)mcu_stored_room_free);
  t->users = g_hash_table_new_full (
      g_str_hash, g_str_equal, g_free, (GDestroyNotify)mcu_stored_user_free);
  t->bindings = g_hash_table_new_full (
      g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
  t->meetings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  t->occurrences = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify)mcu_stored_occurrence_free);
}

void
mcu_store_pg_tables_clear (McuStorePgTables *t)
{
  g_clear_pointer (&t->rooms, g_hash_table_unref);
  g_clear_pointer (&t->users, g_hash_table_unref);
  g_clear_pointer (&t->bindings, g_hash_table_unref);
  g_clear_pointer (&t->meetings, g_hash_table_unref);
  g_clear_pointer (&t->occurrences, g_hash_table_unref);
}

/* ---- rows to records and back ---- */

static gchar *
text_at (PGresult *r, gint row, gint column)
{
  return PQgetisnull (r, row, column) ? NULL
                                      : g_strdup (PQgetvalue (r, row, column));
}

static gint64
int_at (PGresult *r, gint row, gint column)
{
  return g_ascii_strtoll (PQgetvalue (r, row, column), NULL, 10);
}

static McuStoredRoom *
room_at (PGresult *r, gint i)
{
  McuStoredRoom *room = g_new0 (McuStoredRoom, 1);

  room->name = text_at (r, i, 0);
  room->max_participants = (guint)CLAMP (int_at (r, i, 1), 0, G_MAXUINT);
  room->layout = text_at (r, i, 2);
  room->pin = text_at (r, i, 3);
  room->locked = int_at (r, i, 4) != 0;
  room->self_view = int_at (r, i, 5) != 0;
  room->created_at = int_at (r, i, 6);
  room->moderator_pin = text_at (r, i, 7);
  room->options = (guint)CLAMP (int_at (r, i, 8), 0, G_MAXUINT);
  return room;
}

static McuBinding *
binding_at (PGresult *r, gint i)
{
  McuBinding *b = mcu_binding_new ();

  b->aor = text_at (r, i, 0);
  b->contact = text_at (r, i, 1);
  b->q = g_ascii_strtod (PQgetvalue (r, i, 2), NULL);
  b->expires_at = int_at (r, i, 3);
  b->call_id = text_at (r, i, 4);
  b->cseq = (guint32)int_at (r, i, 5);
  b->user_agent = text_at (r, i, 6);
  b->received = text_at (r, i, 7);
  return b;
}

static McuStoredUser *
user_at (PGresult *r, gint i)
{
  McuStoredUser *u = g_new0 (McuStoredUser, 1);

  u->name = text_at (r, i, 0);
  u->realm = text_at (r, i, 1);
  u->ha1_md5 = text_at (r, i, 2);
  u->ha1_sha256 = text_at (r, i, 3);
  u->display = text_at (r, i, 4);
  return u;
}

static McuStoredOccurrence *
occurrence_at (PGresult *r, gint i)
{
  McuStoredOccurrence *o = mcu_stored_occurrence_new ();

  o->meeting_id = text_at (r, i, 0);
  o->start = int_at (r, i, 1);
  o->phase = text_at (r, i, 2);
  o->end = int_at (r, i, 3);
  o->warnings_done = (guint)int_at (r, i, 4);
  o->ended = text_at (r, i, 5);
  return o;
}

/* Adds the attendee rows of @r to the occurrences they belong to. */
static void
add_attendees (GHashTable *occurrences, PGresult *r)
{
  for (gint i = 0; i < PQntuples (r); i++) {
    McuStoredOccurrence *o =
        g_hash_table_lookup (occurrences, PQgetvalue (r, i, 0));
    McuStoredAttendee *a;

    if (o == NULL || o->start != int_at (r, i, 1))
      continue;
    a = mcu_stored_occurrence_add_attendee (o, PQgetvalue (r, i, 2));
    g_free (a->state);
    a->state = text_at (r, i, 3);
    a->tries = (guint)int_at (r, i, 4);
    a->status = (guint)int_at (r, i, 5);
    a->next_try = int_at (r, i, 6);
  }
}

/* ---- comparing records ---- */

static gboolean
room_equal (const McuStoredRoom *a, const McuStoredRoom *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_strcmp0 (a->name, b->name) == 0 &&
         a->max_participants == b->max_participants &&
         g_strcmp0 (a->layout, b->layout) == 0 &&
         g_strcmp0 (a->pin, b->pin) == 0 && a->locked == b->locked &&
         a->self_view == b->self_view && a->created_at == b->created_at &&
         g_strcmp0 (a->moderator_pin, b->moderator_pin) == 0 &&
         a->options == b->options;
}

static gboolean
user_equal (const McuStoredUser *a, const McuStoredUser *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_strcmp0 (a->realm, b->realm) == 0 &&
         g_strcmp0 (a->ha1_md5, b->ha1_md5) == 0 &&
         g_strcmp0 (a->ha1_sha256, b->ha1_sha256) == 0 &&
         g_strcmp0 (a->display, b->display) == 0;
}

static gboolean
binding_equal (const McuBinding *a, const McuBinding *b)
{
  return g_strcmp0 (a->contact, b->contact) == 0 && a->q == b->q &&
         a->expires_at == b->expires_at &&
         g_strcmp0 (a->call_id, b->call_id) == 0 && a->cseq == b->cseq &&
         g_strcmp0 (a->user_agent, b->user_agent) == 0 &&
         g_strcmp0 (a->received, b->received) == 0;
}

static gboolean
bindings_equal (GPtrArray *a, GPtrArray *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++) {
    gboolean found = FALSE;

    for (guint j = 0; j < b->len && !found; j++)
      found = binding_equal (a->pdata[i], b->pdata[j]);
    if (!found)
      return FALSE;
  }
  return TRUE;
}

typedef gboolean (*EqualFunc) (gconstpointer a, gconstpointer b);

static gboolean
json_equal (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (a, b) == 0;
}

/* The keys whose values differ between @old and @new. (transfer full) */
static GPtrArray *
changed_keys (GHashTable *old, GHashTable *new, EqualFunc equal)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, old);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!equal (value, g_hash_table_lookup (new, key)))
      g_ptr_array_add (out, g_strdup (key));
  g_hash_table_iter_init (&iter, new);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (old, key))
      g_ptr_array_add (out, g_strdup (key));
  return out;
}

/* ---- loading everything ---- */

static void load_all (McuStorePg *self);

static gboolean
on_retry_load (gpointer user_data)
{
  McuStorePg *self = user_data;

  self->retry_id = 0;
  if (self->state == STORE_LOADING && mcu_pg_is_connected (self->pg))
    load_all (self);
  return G_SOURCE_REMOVE;
}

/* Replaces the cache with what was loaded and tells what changed. */
static void
finish_load (McuStorePg *self)
{
  g_autofree McuStorePgTables *loaded = g_steal_pointer (&self->loading);
  g_autoptr (GPtrArray) rooms =
      changed_keys (self->cache.rooms, loaded->rooms, (EqualFunc)room_equal);
  g_autoptr (GPtrArray) users =
      changed_keys (self->cache.users, loaded->users, (EqualFunc)user_equal);
  g_autoptr (GPtrArray) aors = changed_keys (
      self->cache.bindings, loaded->bindings, (EqualFunc)bindings_equal);
  g_autoptr (GPtrArray) meetings =
      changed_keys (self->cache.meetings, loaded->meetings, json_equal);
  McuStore *store = MCU_STORE (self);

  mcu_store_pg_tables_clear (&self->cache);
  self->cache = *loaded;
  self->state = STORE_READY;
  g_message ("store %s: %u rooms, %u users, %u registered users, %u "
             "meetings loaded",
      self->describe, g_hash_table_size (self->cache.rooms),
      g_hash_table_size (self->cache.users),
      g_hash_table_size (self->cache.bindings),
      g_hash_table_size (self->cache.meetings));
  g_object_ref (self);
  for (guint i = 0; i < rooms->len; i++)
    mcu_store_emit_room_changed (store, rooms->pdata[i]);
  for (guint i = 0; i < users->len; i++)
    mcu_store_emit_user_changed (store, users->pdata[i]);
  for (guint i = 0; i < aors->len; i++)
    mcu_store_emit_bindings_changed (store, aors->pdata[i]);
  for (guint i = 0; i < meetings->len; i++)
    mcu_store_emit_meeting_changed (store, meetings->pdata[i]);
  mcu_store_emit_loaded (store);
  g_object_unref (self);
}

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (McuStorePgAsk) ask = user_data;
  McuStorePg *self = ask->self;
  g_autoptr (PGresult) r = mcu_store_pg_ask_finish (ask, result, "loading");
  McuStorePgTables *t = self->loading;
  const gchar *table = ask->key;

  if (ask->generation != self->generation || t == NULL)
    return;
  if (r == NULL)
    self->load_failed = TRUE;
  else if (g_str_equal (table, "rooms"))
    for (gint i = 0; i < PQntuples (r); i++)
      g_hash_table_replace (
          t->rooms, g_strdup (PQgetvalue (r, i, 0)), room_at (r, i));
  else if (g_str_equal (table, "users"))
    for (gint i = 0; i < PQntuples (r); i++)
      g_hash_table_replace (
          t->users, g_strdup (PQgetvalue (r, i, 0)), user_at (r, i));
  else if (g_str_equal (table, "bindings"))
    for (gint i = 0; i < PQntuples (r); i++) {
      GPtrArray *set = g_hash_table_lookup (t->bindings, PQgetvalue (r, i, 0));

      if (set == NULL) {
        set = g_ptr_array_new_with_free_func ((GDestroyNotify)mcu_binding_free);
        g_hash_table_insert (t->bindings, g_strdup (PQgetvalue (r, i, 0)), set);
      }
      g_ptr_array_add (set, binding_at (r, i));
    }
  else if (g_str_equal (table, "meetings"))
    for (gint i = 0; i < PQntuples (r); i++)
      g_hash_table_replace (t->meetings, g_strdup (PQgetvalue (r, i, 0)),
          g_strdup (PQgetvalue (r, i, 1)));
  else if (g_str_equal (table, "occurrences"))
    for (gint i = 0; i < PQntuples (r); i++)
      g_hash_table_replace (t->occurrences, g_strdup (PQgetvalue (r, i, 0)),
          occurrence_at (r, i));
  else if (g_str_equal (table, "attendees"))
    add_attendees (t->occurrences, r);
  if (!g_str_equal (table, "attendees"))
    return;
  /* the last query of the load */
  if (self->load_failed) {
    mcu_store_pg_tables_clear (self->loading);
    g_clear_pointer (&self->loading, g_free);
    if (mcu_pg_is_connected (self->pg) && self->retry_id == 0)
      self->retry_id = g_timeout_add_seconds (1, on_retry_load, self);
    return;
  }
  finish_load (self);
  if (self->reload_again) {
    self->reload_again = FALSE;
    mcu_store_pg_reload_all (self);
  }
}

static void
load_query (McuStorePg *self, const gchar *table, const gchar *sql)
{
  mcu_pg_query_async (self->pg, sql, NULL, 0, NULL, on_loaded,
      mcu_store_pg_ask_new (self, table));
}

static void
load_all (McuStorePg *self)
{
  g_autofree gchar *occurrences = g_strdup_printf (LAST_OCCURRENCES, "");
  g_autofree gchar *attendees = g_strdup_printf (LAST_ATTENDEES, "");

  if (self->loading != NULL) {
    mcu_store_pg_tables_clear (self->loading);
    g_free (self->loading);
  }
  self->loading = g_new0 (McuStorePgTables, 1);
  mcu_store_pg_tables_init (self->loading);
  self->load_failed = FALSE;
  load_query (self, "rooms", "SELECT " ROOM_COLUMNS " FROM rooms");
  load_query (self, "users", "SELECT " USER_COLUMNS " FROM users");
  load_query (self, "bindings", "SELECT " BINDING_COLUMNS " FROM bindings");
  load_query (self, "meetings", "SELECT id, json FROM meetings");
  load_query (self, "occurrences", occurrences);
  load_query (self, "attendees", attendees);
}

void
mcu_store_pg_reload_all (McuStorePg *self)
{
  if (self->state == STORE_LOADING) {
    self->reload_again = TRUE;
    return;
  }
  if (self->state != STORE_READY)
    return;
  self->state = STORE_LOADING;
  load_all (self);
}

/* ---- the schema ---- */

static void
broken (McuStorePg *self, const gchar *why)
{
  g_critical ("store %s: %s; the database stays unused", self->describe, why);
  self->state = STORE_BROKEN;
  /* hang up: that also releases the migration lock other nodes wait for */
  mcu_pg_close (self->pg);
}

/* A step of the start-up sequence: any refusal leaves the store broken. */
static void
on_step (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (McuStorePgAsk) ask = user_data;
  McuStorePg *self = ask->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (PGresult) r = mcu_pg_query_finish (self->pg, result, &error);

  if (r != NULL || ask->generation != self->generation ||
      self->state != STORE_MIGRATING)
    return;
  if (g_error_matches (error, MCU_PG_ERROR, MCU_PG_ERROR_UNAVAILABLE))
    return; /* the next connection starts again */
  {
    g_autofree gchar *why =
        g_strdup_printf ("%s: %s", ask->key, error->message);

    broken (self, why);
  }
}

static void
step (McuStorePg *self, const gchar *what, const gchar *sql,
    GAsyncReadyCallback callback)
{
  mcu_pg_query_async (self->pg, sql, NULL, 0, NULL, callback,
      mcu_store_pg_ask_new (self, what));
}

static void
on_version (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (McuStorePgAsk) ask = user_data;
  McuStorePg *self = ask->self;
  g_autoptr (PGresult) r =
      mcu_store_pg_ask_finish (ask, result, "reading the schema version");
  gint v;

  if (r == NULL || ask->generation != self->generation ||
      self->state != STORE_MIGRATING)
    return;
  v = PQntuples (r) > 0 ? atoi (PQgetvalue (r, 0, 0)) : -1;
  if (v < 0 || v > MCU_STORE_SCHEMA_VERSION) {
    g_autofree gchar *why =
        g_strdup_printf ("schema version %d is newer than this mcu knows (%d)",
            v, MCU_STORE_SCHEMA_VERSION);

    broken (self, why);
    return;
  }
  for (; v < MCU_STORE_SCHEMA_VERSION; v++) {
    g_autofree gchar *sql = g_strdup_printf (
        "%s; UPDATE mcu_schema SET version = %d", migrations[v], v + 1);
    g_autofree gchar *what =
        g_strdup_printf ("migrating to schema version %d", v + 1);

    g_message ("store %s: schema version %d", self->describe, v + 1);
    step (self, what, sql, on_step);
  }
  step (self, "unlocking the schema",
      "SELECT pg_advisory_unlock (" MIGRATION_LOCK ")", on_step);
  mcu_store_pg_replay (self);
  self->state = STORE_LOADING;
  load_all (self);
}

static void
on_pg_connected (McuPg *pg, McuStorePg *self)
{
  g_autofree gchar *name =
      g_strdup_printf ("SET application_name = '%s'", self->origin);

  if (self->state == STORE_CLOSED || self->state == STORE_BROKEN)
    return;
  self->generation++;
  self->state = STORE_MIGRATING;
  g_clear_handle_id (&self->retry_id, g_source_remove);
  step (self, "naming the connection", name, on_step);
  step (self, "locking the schema",
      "SELECT pg_advisory_lock (" MIGRATION_LOCK ")", on_step);
  step (self, "creating the schema table",
      "CREATE TABLE IF NOT EXISTS mcu_schema (version INTEGER NOT NULL);"
      "INSERT INTO mcu_schema (version) SELECT 0 WHERE NOT EXISTS"
      " (SELECT 1 FROM mcu_schema)",
      on_step);
  step (self, "reading the schema version", "SELECT version FROM mcu_schema",
      on_version);
}

static void
on_pg_disconnected (McuPg *pg, McuStorePg *self)
{
  if (self->state == STORE_CLOSED || self->state == STORE_BROKEN)
    return;
  self->generation++;
  self->state = STORE_OFFLINE;
  g_clear_handle_id (&self->retry_id, g_source_remove);
  if (self->loading != NULL) {
    mcu_store_pg_tables_clear (self->loading);
    g_clear_pointer (&self->loading, g_free);
  }
}

/* ---- one key changed by someone else ---- */

/* Puts *@value (NULL: none) at @key in the cache @table, taking it, unless
 * @equal finds it the same as what is there. Whether it changed. */
static gboolean
cache_update (
    GHashTable *table, const gchar *key, gpointer *value, EqualFunc equal)
{
  if (equal (*value, g_hash_table_lookup (table, key)))
    return FALSE;
  if (*value)
    g_hash_table_replace (table, g_strdup (key), g_steal_pointer (value));
  else
    g_hash_table_remove (table, key);
  return TRUE;
}

static void
on_key_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (McuStorePgAsk) ask = user_data;
  McuStorePg *self = ask->self;
  g_autoptr (PGresult) r = mcu_store_pg_ask_finish (ask, result, "reloading");
  const gchar *table = ask->data;
  McuStore *store = MCU_STORE (self);
  const gchar *key = ask->key;
  gint n;

  if (r == NULL || self->state != STORE_READY)
    return;
  n = PQntuples (r);
  if (g_str_equal (table, "rooms")) {
    g_autoptr (McuStoredRoom) room = n > 0 ? room_at (r, 0) : NULL;

    if (cache_update (
            self->cache.rooms, key, (gpointer *)&room, (EqualFunc)room_equal))
      mcu_store_emit_room_changed (store, key);
  } else if (g_str_equal (table, "users")) {
    g_autoptr (McuStoredUser) user = n > 0 ? user_at (r, 0) : NULL;

    if (cache_update (
            self->cache.users, key, (gpointer *)&user, (EqualFunc)user_equal))
      mcu_store_emit_user_changed (store, key);
  } else if (g_str_equal (table, "bindings")) {
    g_autoptr (GPtrArray) set =
        g_ptr_array_new_with_free_func ((GDestroyNotify)mcu_binding_free);

    for (gint i = 0; i < n; i++)
      g_ptr_array_add (set, binding_at (r, i));
    if (set->len == 0)
      g_clear_pointer (&set, g_ptr_array_unref);
    if (cache_update (self->cache.bindings, key, (gpointer *)&set,
            (EqualFunc)bindings_equal))
      mcu_store_emit_bindings_changed (store, key);
  } else if (g_str_equal (table, "meetings")) {
    g_autofree gchar *json = n > 0 ? g_strdup (PQgetvalue (r, 0, 0)) : NULL;

    if (cache_update (self->cache.meetings, key, (gpointer *)&json, json_equal))
      mcu_store_emit_meeting_changed (store, key);
  } else if (g_str_equal (table, "occurrences")) {
    if (n > 0)
      g_hash_table_replace (
          self->cache.occurrences, g_strdup (key), occurrence_at (r, 0));
    else
      g_hash_table_remove (self->cache.occurrences, key);
  } else if (g_str_equal (table, "attendees")) {
    McuStoredOccurrence *o = g_hash_table_lookup (self->cache.occurrences, key);

    if (o)
      g_ptr_array_set_size (o->attendees, 0);
    add_attendees (self->cache.occurrences, r);
  }
}

static void
load_key (
    McuStorePg *self, const gchar *table, const gchar *key, const gchar *sql)
{
  McuStorePgAsk *ask = mcu_store_pg_ask_new (self, key);
  const gchar *params[] = { key };

  ask->data = (gpointer)table; /* static strings */
  mcu_pg_query_async (self->pg, sql, params, 1, NULL, on_key_loaded, ask);
}

static void
on_pg_notification (
    McuPg *pg, const gchar *channel, const gchar *payload, McuStorePg *self)
{
  g_auto (GStrv) parts = g_strsplit (payload, ":", 3);

  if (!g_str_equal (channel, NOTIFY_CHANNEL) || g_strv_length (parts) != 3 ||
      g_str_equal (parts[1], self->origin))
    return;
  if (self->state == STORE_LOADING) {
    self->reload_again = TRUE;
    return;
  }
  if (self->state != STORE_READY)
    return; /* the next load reads it */
  if (g_str_equal (parts[0], "rooms"))
    load_key (self, "rooms", parts[2],
        "SELECT " ROOM_COLUMNS " FROM rooms WHERE name = $1");
  else if (g_str_equal (parts[0], "users"))
    load_key (self, "users", parts[2],
        "SELECT " USER_COLUMNS " FROM users WHERE name = $1");
  else if (g_str_equal (parts[0], "bindings"))
    load_key (self, "bindings", parts[2],
        "SELECT " BINDING_COLUMNS " FROM bindings WHERE aor = $1");
  else if (g_str_equal (parts[0], "meetings"))
    load_key (
        self, "meetings", parts[2], "SELECT json FROM meetings WHERE id = $1");
  else if (g_str_equal (parts[0], "meeting_occurrences") ||
           g_str_equal (parts[0], "meeting_attendees")) {
    g_autofree gchar *occurrence =
        g_strdup_printf (LAST_OCCURRENCES, " WHERE meeting_id = $1");
    g_autofree gchar *attendees =
        g_strdup_printf (LAST_ATTENDEES, " AND a.meeting_id = $1");

    load_key (self, "occurrences", parts[2], occurrence);
    load_key (self, "attendees", parts[2], attendees);
  }
}

void
mcu_store_pg_sync_start (McuStorePg *self)
{
  g_signal_connect_object (
      self->pg, "connected", G_CALLBACK (on_pg_connected), self, 0);
  g_signal_connect_object (
      self->pg, "disconnected", G_CALLBACK (on_pg_disconnected), self, 0);
  g_signal_connect_object (
      self->pg, "notification", G_CALLBACK (on_pg_notification), self, 0);
  mcu_pg_listen (self->pg, NOTIFY_CHANNEL);
  mcu_pg_start (self->pg);
}
