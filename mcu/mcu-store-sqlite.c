/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the embedded SQLite store. Main thread only (one connection).
 *
 * The schema is versioned with PRAGMA user_version: migrations[i] takes
 * version i to i + 1, each in its own transaction. A database written by a
 * newer mcu is refused rather than guessed at. */
#include "mcu-store-sqlite.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

static const gchar *const migrations[] = {
  /* 0 -> 1: registrar bindings and digest users */
  "CREATE TABLE bindings ("
  "  aor TEXT NOT NULL,"
  "  contact TEXT NOT NULL,"
  "  q REAL NOT NULL DEFAULT 1.0,"
  "  expires_at INTEGER NOT NULL,"
  "  call_id TEXT NOT NULL,"
  "  cseq INTEGER NOT NULL,"
  "  user_agent TEXT,"
  "  received TEXT,"
  "  PRIMARY KEY (aor, contact));"
  "CREATE INDEX bindings_expires_at ON bindings (expires_at);"
  "CREATE TABLE users ("
  "  name TEXT PRIMARY KEY,"
  "  realm TEXT NOT NULL,"
  "  ha1_md5 TEXT,"
  "  ha1_sha256 TEXT,"
  "  display TEXT);",
  /* 1 -> 2: rooms made through the control API */
  "CREATE TABLE rooms ("
  "  name TEXT PRIMARY KEY,"
  "  max_participants INTEGER NOT NULL DEFAULT 0,"
  "  layout TEXT,"
  "  pin TEXT,"
  "  locked INTEGER NOT NULL DEFAULT 0,"
  "  self_view INTEGER NOT NULL DEFAULT 1,"
  "  created_at INTEGER NOT NULL);",
  /* 2 -> 3: scheduled meetings (their JSON) and the state of their
   * occurrences, so that a restart resumes the running one */
  "CREATE TABLE meetings ("
  "  id TEXT PRIMARY KEY,"
  "  json TEXT NOT NULL,"
  "  updated_at INTEGER NOT NULL);"
  "CREATE TABLE meeting_occurrences ("
  "  meeting_id TEXT NOT NULL,"
  "  start INTEGER NOT NULL,"
  "  phase TEXT NOT NULL,"
  "  end_at INTEGER NOT NULL,"
  "  warnings_done INTEGER NOT NULL DEFAULT 0,"
  "  ended TEXT,"
  "  updated_at INTEGER NOT NULL,"
  "  PRIMARY KEY (meeting_id, start));"
  "CREATE TABLE meeting_attendees ("
  "  meeting_id TEXT NOT NULL,"
  "  start INTEGER NOT NULL,"
  "  attendee_id TEXT NOT NULL,"
  "  state TEXT NOT NULL,"
  "  tries INTEGER NOT NULL DEFAULT 0,"
  "  status INTEGER NOT NULL DEFAULT 0,"
  "  next_try INTEGER NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (meeting_id, start, attendee_id));",
  /* 3 -> 4: a room's moderator PIN and behaviour switches */
  "ALTER TABLE rooms ADD COLUMN moderator_pin TEXT;"
  "ALTER TABLE rooms ADD COLUMN options INTEGER NOT NULL DEFAULT 0;",
  /* 4 -> 5: the cluster's nodes, which node hosts a room, which node runs
   * an occurrence of a meeting (used with PostgreSQL only) */
  "CREATE TABLE nodes ("
  "  name TEXT PRIMARY KEY,"
  "  sip_uri TEXT NOT NULL,"
  "  control TEXT,"
  "  state TEXT NOT NULL,"
  "  load INTEGER NOT NULL DEFAULT 0,"
  "  rooms INTEGER NOT NULL DEFAULT 0,"
  "  heartbeat_at INTEGER NOT NULL);"
  "CREATE TABLE room_hosts ("
  "  room TEXT PRIMARY KEY,"
  "  node TEXT NOT NULL,"
  "  lease_until INTEGER NOT NULL);"
  "CREATE TABLE occurrence_claims ("
  "  meeting_id TEXT NOT NULL,"
  "  start INTEGER NOT NULL,"
  "  node TEXT NOT NULL,"
  "  lease_until INTEGER NOT NULL,"
  "  PRIMARY KEY (meeting_id, start));",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == MCU_STORE_SCHEMA_VERSION);

struct _McuStoreSqlite
{
  McuStore parent_instance;

  gchar *path;
  sqlite3 *db; /* NULL once closed */
};

G_DEFINE_FINAL_TYPE (McuStoreSqlite, mcu_store_sqlite, MCU_TYPE_STORE)

static void sqlite_close (McuStore *store);

static void
mcu_store_sqlite_finalize (GObject *object)
{
  McuStoreSqlite *self = MCU_STORE_SQLITE (object);

  sqlite_close (MCU_STORE (self));
  g_free (self->path);
  G_OBJECT_CLASS (mcu_store_sqlite_parent_class)->finalize (object);
}

static void
mcu_store_sqlite_init (McuStoreSqlite *self)
{
}

static gboolean
sql_error (McuStoreSqlite *self, GError **error, const gchar *what)
{
  g_set_error (error, MCU_STORE_ERROR, MCU_STORE_ERROR_SQL, "%s: %s: %s",
      self->path, what, self->db ? sqlite3_errmsg (self->db) : "closed");
  return FALSE;
}

static gboolean
exec (McuStoreSqlite *self, const gchar *sql, GError **error)
{
  if (self->db == NULL ||
      sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return sql_error (self, error, sql);
  return TRUE;
}

static sqlite3_stmt *
prepare (McuStoreSqlite *self, const gchar *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;

  if (self->db == NULL ||
      sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
    sql_error (self, error, sql);
    return NULL;
  }
  return stmt;
}

static gint
user_version (McuStoreSqlite *self)
{
  sqlite3_stmt *stmt = prepare (self, "PRAGMA user_version", NULL);
  gint v = -1;

  if (stmt && sqlite3_step (stmt) == SQLITE_ROW)
    v = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return v;
}

static gboolean
migrate (McuStoreSqlite *self, GError **error)
{
  gint v = user_version (self);

  if (v < 0)
    return sql_error (self, error, "reading the schema version");
  if (v > MCU_STORE_SCHEMA_VERSION) {
    g_set_error (error, MCU_STORE_ERROR, MCU_STORE_ERROR_SCHEMA,
        "%s: schema version %d is newer than this mcu knows (%d)", self->path,
        v, MCU_STORE_SCHEMA_VERSION);
    return FALSE;
  }
  for (; v < MCU_STORE_SCHEMA_VERSION; v++) {
    g_autofree gchar *bump =
        g_strdup_printf ("PRAGMA user_version = %d", v + 1);
    g_autoptr (GError) local = NULL;

    if (!exec (self, "BEGIN IMMEDIATE", error))
      return FALSE;
    if (!exec (self, migrations[v], &local) || !exec (self, bump, &local)) {
      exec (self, "ROLLBACK", NULL);
      g_set_error (error, MCU_STORE_ERROR, MCU_STORE_ERROR_SCHEMA,
          "migrating to schema version %d: %s", v + 1, local->message);
      return FALSE;
    }
    if (!exec (self, "COMMIT", error))
      return FALSE;
    g_info ("store %s: schema version %d", self->path, v + 1);
  }
  return TRUE;
}

McuStore *
mcu_store_sqlite_open (const gchar *path, GError **error)
{
  g_autoptr (McuStoreSqlite) self = g_object_new (MCU_TYPE_STORE_SQLITE, NULL);
  g_autofree gchar *dir = NULL;

  self->path =
      path ? g_strdup (path)
           : g_build_filename (g_get_user_state_dir (), "mcu", "mcu.db", NULL);
  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0) {
    int saved = errno;

    g_set_error (error, MCU_STORE_ERROR, MCU_STORE_ERROR_OPEN,
        "cannot create the directory %s for %s: %s", dir, self->path,
        g_strerror (saved));
    return NULL;
  }
  if (sqlite3_open_v2 (self->path, &self->db,
          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
          NULL) != SQLITE_OK) {
    g_set_error (error, MCU_STORE_ERROR, MCU_STORE_ERROR_OPEN,
        "cannot open %s: %s", self->path,
        self->db ? sqlite3_errmsg (self->db) : "out of memory");
    return NULL;
  }
  sqlite3_busy_timeout (self->db, 2000);
  if (!exec (self, "PRAGMA journal_mode = WAL", error) ||
      !exec (self, "PRAGMA synchronous = NORMAL", error) ||
      !migrate (self, error))
    return NULL;
  return MCU_STORE (g_steal_pointer (&self));
}

static void
sqlite_close (McuStore *store)
{
  McuStoreSqlite *self = MCU_STORE_SQLITE (store);
  if (self->db == NULL)
    return;
  if (sqlite3_close (self->db) != SQLITE_OK)
    g_warning ("closing %s: %s", self->path, sqlite3_errmsg (self->db));
  self->db = NULL;
}

static const gchar *
sqlite_get_path (McuStore *store)
{
  McuStoreSqlite *self = MCU_STORE_SQLITE (store);
  return self->path;
}

static void
bind_text (sqlite3_stmt *stmt, gint column, const gchar *text)
{
  if (text)
    sqlite3_bind_text (stmt, column, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, column);
}

static gchar *
column_text (sqlite3_stmt *stmt, gint column)
{
  return g_strdup ((const gchar *)sqlite3_column_text (stmt, column));
}

static GPtrArray *
sqlite_load_bindings (McuStore *store, gint64 now, GError **error)
{
  McuStoreSqlite *self = MCU_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self,
      "SELECT aor, contact, q, expires_at, call_id, cseq, user_agent, "
      "received FROM bindings WHERE expires_at > ?1",
      error);
  g_autoptr (GPtrArray) out = NULL;
  gint rc;

  if (stmt == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify)mcu_binding_free);
  sqlite3_bind_int64 (stmt, 1, now);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
    McuBinding *b = mcu_binding_new ();

    b->aor = column_text (stmt, 0);
    b->contact = column_text (stmt, 1);
    b->q = sqlite3_column_double (stmt, 2);
    b->expires_at = sqlite3_column_int64 (stmt, 3);
    b->call_id = column_text (stmt, 4);
    b->cseq = (guint32)sqlite3_column_int64 (stmt, 5);
    b->user_agent = column_text (stmt, 6);
    b->received = column_text (stmt, 7);
    g_ptr_array_add (out, b);
  }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return (sql_error (self, error, "loading bindings"), NULL);
  return g_steal_pointer (&out);
}

static gboolean
insert_bindings (McuStoreSqlite *self, GPtrArray *bindings, GError **error)
{
  sqlite3_stmt *stmt = prepare (self,
      "INSERT OR REPLACE INTO bindings (aor, contact, q, expires_at, "
      "call_id, cseq, user_agent, received) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
      "?7, ?8)",
      error);

  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < bindings->len; i++) {
    McuBinding *b = g_ptr_array_index (bindings, i);

    sqlite3_reset (stmt);
    bind_text (stmt, 1, b->aor);
    bind_text (stmt, 2, b->contact);
    sqlite3_bind_double (stmt, 3, b->q);
    sqlite3_bind_int64 (stmt, 4, b->expires_at);
    bind_text (stmt, 5, b->call_id ? b->call_id : "");
    sqlite3_bind_int64 (stmt, 6, b->cseq);
    bind_text (stmt, 7, b->user_agent);
    bind_text (stmt, 8, b->received);
    if (sqlite3_step (stmt) != SQLITE_DONE) {
      sqlite3_finalize (stmt);
      return sql_error (self, error, "storing a binding");
    }
  }
  sqlite3_finalize (stmt);
  return TRUE;
}

static gboolean
sqlite_replace_bindings (
    McuStore *store, const gchar *aor, GPtrArray *bindings, GError **error)
{
  McuStoreSqlite *self = MCU_STORE_SQLITE (store);
  sqlite3_stmt *del;
  gboolean ok;

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  del = prepare (self, "DELETE FROM bindings WHERE aor = ?1", error);
  ok = del != NULL;
  if (ok) {
    bind_text (del, 1, aor);
    ok = sqlite3_step (del) == SQLITE_DONE ||
         sql_error (self, error, "deleting bindings");
    sqlite3_finalize (del);
  }
  ok = ok && insert_bindings (self, bindings, error);
  if (!ok) {
    exec (self, "ROLLBACK", NULL);
    return FALSE;
  }
  return exec (self, "COMMIT", error);
}

static gboolean
sqlite_purge_expired (McuStore *store, gint64 now, GError **error)
{
  McuStoreSqlite *self = MCU_STORE_SQLITE (store);
  sqlite3_stmt *stmt =
      prepare (self, "DELETE FROM bindings WHERE expires_at <= ?1", error);
  gboolean ok;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now);
  ok = sqlite3_step (stmt) == SQLITE_DONE ||
       sql_error (self, error, "purging bindings");
  sqlite3_finalize (stmt);
  return ok;
}

static McuStoredUser *
sqlite_lookup_user (McuStore *store, const gchar *name, GError **error)
{
  McuStoreSqlite *self = MCU_STORE_SQLITE (store);
  sqlite3_stmt *stmt = prepare (self,
      "SELECT name, realm, ha1_md5, ha1_sha256, display FROM users "
      "WHERE name = ?1",
      error);
  McuStoredUser *user = NULL;
  gint rc;

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, name);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW) {
    user = g_new0 (McuStoredUser, 1);
    user->name = column_text (stmt, 0);
    user->realm = column_text (stmt, 1);
    user->ha1_md5 = column_text (stmt, 2);
    user->ha1_sha256 = column_text (stmt, 3);
    user->display = column_text (stmt, 4);
  } else if (rc != SQLITE_DONE) {
    sql_error (self, error, "looking up a user");
  }
  sqlite3_finalize (stmt);
  return user;
}

static gboolean
sqlite_set_user (McuStore *store, const McuStoredUser *user, GError **error)
{
  McuStoreSqlite *self = MCU_STORE_SQLITE (store);
  sqlite3_stmt *stmt;
  gboolean ok;

  stmt = prepare (self,
      "INSERT OR REPLACE INTO users (name, realm, ha1_md5, ha1_sha256, "
      "display) VALUES (?1, ?2, ?3, ?4, ?5)",
      error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, user->name);
  bind_text (stmt, 2, user->realm);
  bind_text (stmt, 3, user->ha1_md5);
  bind_text (stmt, 4, user->ha1_sha256);
  bind_text (stmt, 5, user->display);
  ok = sqlite3_step (stmt) == SQLITE_DONE ||
       sql_error (self, error, "storing a user");
  sqlite3_finalize (stmt);
  return ok;
}

static gboolean
sqlite_save_room (McuStore *store, const McuStoredRoom *room, GError **error)
{
  McuStoreSqlite *self = MCU_STORE_SQLITE (store);
  sqlite3_stmt *stmt;
  gboolean ok;

  stmt = prepare (self,
      "INSERT OR REPLACE INTO rooms (name, max_participants, layout, pin, "
      "locked, self_view, created_at, moderator_pin, options) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
      error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, room->name);
  sqlite3_bind_int64 (stmt, 2, room->max_participants);
  bind_text (stmt, 3, room->layout);
  bind_text (stmt, 4, room->pin);
  sqlite3_bind_int (stmt, 5, room->locked ? 1 : 0);
  sqlite3_bind_int (stmt, 6, room->self_view ? 1 : 0);
  sqlite3_bind_int64 (stmt, 7, room->created_at);
  bind_text (stmt, 8, room->moderator_pin);
  sqlite3_bind_int64 (stmt, 9, room->options);
  ok = sqlite3_step (stmt) == SQLITE_DONE ||
       sql_error (self, error, "storing a room");
  sqlite3_finalize (stmt);
  return ok;
}

static gboolean
sqlite_delete_room (McuStore *store, const gchar *name, GError **error)
{
  McuStoreSqlite *self = MCU_STORE_SQLITE (store);
  sqlite3_stmt *stmt;
  gboolean ok;

  stmt = prepare (self, "DELETE FROM rooms WHERE name = ?1", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, name);
  ok = sqlite3_step (stmt) == SQLITE_DONE ||
       sql_error (self, error, "deleting a room");
  sqlite3_finalize (stmt);
  return ok;
}

static GPtrArray *
sqlite_load_rooms (McuStore *store, GError **error)
{
  McuStoreSqlite *self = MCU_STORE_SQLITE (store);
  g_autoptr (GPtrArray) out = NULL;
  sqlite3_stmt *stmt;
  gint rc;

  stmt = prepare (self,
      "SELECT name, max_participants, layout, pin, locked, self_view, "
      "created_at, moderator_pin, options FROM rooms ORDER BY name",
      error);
  if (stmt == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify)mcu_stored_room_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
    McuStoredRoom *r = g_new0 (McuStoredRoom, 1);

    r->name = column_text (stmt, 0);
    r->max_participants =
        (guint)CLAMP (sqlite3_column_int64 (stmt, 1), 0, G_MAXUINT);
    r->layout = column_text (stmt, 2);
    r->pin = column_text (stmt, 3);
    r->locked = sqlite3_column_int (stmt, 4) != 0;
    r->self_view = sqlite3_column_int (stmt, 5) != 0;
    r->created_at = sqlite3_column_int64 (stmt, 6);
    r->moderator_pin = column_text (stmt, 7);
    r->options = (guint)CLAMP (sqlite3_column_int64 (stmt, 8), 0, G_MAXUINT);
    g_ptr_array_add (out, r);
  }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return (sql_error (self, error, "loading rooms"), NULL);
  return g_steal_pointer (&out);
}

static gboolean
sqlite_delete_user (McuStore *store, const gchar *name, GError **error)
{
  McuStoreSqlite *self = MCU_STORE_SQLITE (store);
  sqlite3_stmt *stmt;
  gboolean ok;

  stmt = prepare (self, "DELETE FROM users WHERE name = ?1", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, name);
  ok = sqlite3_step (stmt) == SQLITE_DONE ||
       sql_error (self, error, "deleting a user");
  sqlite3_finalize (stmt);
  return ok;
}

/* ---- scheduled meetings ---- */

/* Runs @stmt once (a statement without rows) and finalizes it. */
static gboolean
step_done (
    McuStoreSqlite *self, sqlite3_stmt *stmt, const gchar *what, GError **error)
{
  gboolean ok =
      sqlite3_step (stmt) == SQLITE_DONE || sql_error (self, error, what);

  sqlite3_finalize (stmt);
  return ok;
}

static gboolean
sqlite_save_meeting (
    McuStore *store, const gchar *id, const gchar *json, GError **error)
{
  McuStoreSqlite *self = MCU_STORE_SQLITE (store);
  sqlite3_stmt *stmt;

  stmt = prepare (self,
      "INSERT OR REPLACE INTO meetings (id, json, updated_at) "
      "VALUES (?1, ?2, ?3)",
      error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, id);
  bind_text (stmt, 2, json);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time ());
  return step_done (self, stmt, "storing a meeting", error);
}

/* One DELETE ... WHERE meeting_id/id = ?1. */
static gboolean
delete_by_id (
    McuStoreSqlite *self, const gchar *sql, const gchar *id, GError **error)
{
  sqlite3_stmt *stmt = prepare (self, sql, error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, id);
  return step_done (self, stmt, "deleting a meeting", error);
}

static gboolean
sqlite_delete_meeting (McuStore *store, const gchar *id, GError **error)
{
  McuStoreSqlite *self = MCU_STORE_SQLITE (store);
  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!delete_by_id (self, "DELETE FROM meetings WHERE id = ?1", id, error) ||
      !delete_by_id (self,
          "DELETE FROM meeting_occurrences WHERE meeting_id = ?1", id, error) ||
      !delete_by_id (self,
          "DELETE FROM meeting_attendees WHERE meeting_id = ?1", id, error)) {
    exec (self, "ROLLBACK", NULL);
    return FALSE;
  }
  return exec (self, "COMMIT", error);
}

static GPtrArray *
sqlite_load_meetings (McuStore *store, GError **error)
{
  McuStoreSqlite *self = MCU_STORE_SQLITE (store);
  sqlite3_stmt *stmt;
  g_autoptr (GPtrArray) out = NULL;
  gint rc;

  stmt = prepare (self, "SELECT id, json FROM meetings ORDER BY id", error);
  if (stmt == NULL)
    return NULL;
  out =
      g_ptr_array_new_with_free_func ((GDestroyNotify)mcu_stored_meeting_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
    McuStoredMeeting *m = g_new0 (McuStoredMeeting, 1);

    m->id = column_text (stmt, 0);
    m->json = column_text (stmt, 1);
    g_ptr_array_add (out, m);
  }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return (sql_error (self, error, "loading meetings"), NULL);
  return g_steal_pointer (&out);
}

static gboolean
insert_occurrence_rows (
    McuStoreSqlite *self, const McuStoredOccurrence *o, GError **error)
{
  sqlite3_stmt *stmt = prepare (self,
      "INSERT OR REPLACE INTO meeting_occurrences (meeting_id, start, phase, "
      "end_at, warnings_done, ended, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, "
      "?6, ?7)",
      error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, o->meeting_id);
  sqlite3_bind_int64 (stmt, 2, o->start);
  bind_text (stmt, 3, o->phase);
  sqlite3_bind_int64 (stmt, 4, o->end);
  sqlite3_bind_int64 (stmt, 5, o->warnings_done);
  bind_text (stmt, 6, o->ended);
  sqlite3_bind_int64 (stmt, 7, g_get_real_time ());
  if (!step_done (self, stmt, "storing an occurrence", error))
    return FALSE;
  stmt = prepare (self,
      "INSERT OR REPLACE INTO meeting_attendees (meeting_id, start, "
      "attendee_id, state, tries, status, next_try) VALUES (?1, ?2, ?3, ?4, "
      "?5, ?6, ?7)",
      error);
  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < o->attendees->len; i++) {
    McuStoredAttendee *a = g_ptr_array_index (o->attendees, i);

    sqlite3_reset (stmt);
    bind_text (stmt, 1, o->meeting_id);
    sqlite3_bind_int64 (stmt, 2, o->start);
    bind_text (stmt, 3, a->attendee_id);
    bind_text (stmt, 4, a->state);
    sqlite3_bind_int64 (stmt, 5, a->tries);
    sqlite3_bind_int64 (stmt, 6, a->status);
    sqlite3_bind_int64 (stmt, 7, a->next_try);
    if (sqlite3_step (stmt) != SQLITE_DONE) {
      sqlite3_finalize (stmt);
      return sql_error (self, error, "storing an attendee's state");
    }
  }
  sqlite3_finalize (stmt);
  return TRUE;
}

static gboolean
sqlite_save_occurrence (
    McuStore *store, const McuStoredOccurrence *occurrence, GError **error)
{
  McuStoreSqlite *self = MCU_STORE_SQLITE (store);
  sqlite3_stmt *del;

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  del = prepare (self,
      "DELETE FROM meeting_attendees WHERE meeting_id = ?1 AND start = ?2",
      error);
  if (del) {
    bind_text (del, 1, occurrence->meeting_id);
    sqlite3_bind_int64 (del, 2, occurrence->start);
  }
  if (del == NULL || !step_done (self, del, "storing an occurrence", error) ||
      !insert_occurrence_rows (self, occurrence, error)) {
    exec (self, "ROLLBACK", NULL);
    return FALSE;
  }
  return exec (self, "COMMIT", error);
}

static gboolean
load_attendees (McuStoreSqlite *self, McuStoredOccurrence *o, GError **error)
{
  sqlite3_stmt *stmt = prepare (self,
      "SELECT attendee_id, state, tries, status, next_try FROM "
      "meeting_attendees WHERE meeting_id = ?1 AND start = ?2 "
      "ORDER BY attendee_id",
      error);
  gint rc;

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, o->meeting_id);
  sqlite3_bind_int64 (stmt, 2, o->start);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
    McuStoredAttendee *a = g_new0 (McuStoredAttendee, 1);

    a->attendee_id = column_text (stmt, 0);
    a->state = column_text (stmt, 1);
    a->tries = sqlite3_column_int64 (stmt, 2);
    a->status = sqlite3_column_int64 (stmt, 3);
    a->next_try = sqlite3_column_int64 (stmt, 4);
    g_ptr_array_add (o->attendees, a);
  }
  sqlite3_finalize (stmt);
  return rc == SQLITE_DONE || sql_error (self, error, "loading attendees");
}

static McuStoredOccurrence *
sqlite_load_last_occurrence (
    McuStore *store, const gchar *meeting_id, GError **error)
{
  McuStoreSqlite *self = MCU_STORE_SQLITE (store);
  g_autoptr (McuStoredOccurrence) o = NULL;
  sqlite3_stmt *stmt;
  gint rc;

  stmt = prepare (self,
      "SELECT start, phase, end_at, warnings_done, ended FROM "
      "meeting_occurrences WHERE meeting_id = ?1 ORDER BY start DESC LIMIT 1",
      error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, meeting_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW) {
    o = mcu_stored_occurrence_new ();
    o->meeting_id = g_strdup (meeting_id);
    o->start = sqlite3_column_int64 (stmt, 0);
    o->phase = column_text (stmt, 1);
    o->end = sqlite3_column_int64 (stmt, 2);
    o->warnings_done = sqlite3_column_int64 (stmt, 3);
    o->ended = column_text (stmt, 4);
  }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return (sql_error (self, error, "loading an occurrence"), NULL);
  if (o && !load_attendees (self, o, error))
    return NULL;
  return g_steal_pointer (&o);
}

static gboolean
sqlite_is_available (McuStore *store)
{
  return MCU_STORE_SQLITE (store)->db != NULL;
}

static void
mcu_store_sqlite_class_init (McuStoreSqliteClass *klass)
{
  McuStoreClass *store_class = MCU_STORE_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = mcu_store_sqlite_finalize;
  store_class->close = sqlite_close;
  store_class->get_path = sqlite_get_path;
  store_class->is_available = sqlite_is_available;
  store_class->set_user = sqlite_set_user;
  store_class->delete_user = sqlite_delete_user;
  store_class->save_room = sqlite_save_room;
  store_class->delete_room = sqlite_delete_room;
  store_class->load_rooms = sqlite_load_rooms;
  store_class->save_meeting = sqlite_save_meeting;
  store_class->delete_meeting = sqlite_delete_meeting;
  store_class->load_meetings = sqlite_load_meetings;
  store_class->save_occurrence = sqlite_save_occurrence;
  store_class->load_last_occurrence = sqlite_load_last_occurrence;
  store_class->load_bindings = sqlite_load_bindings;
  store_class->replace_bindings = sqlite_replace_bindings;
  store_class->purge_expired = sqlite_purge_expired;
  store_class->lookup_user = sqlite_lookup_user;
}
