/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the store, what mcu keeps across restarts and shares between the
 * nodes of a cluster: digest users, registrar bindings (McuBindingStore),
 * rooms made through the control API, scheduled meetings with the state of
 * their occurrences. An abstract class with two backends: McuStoreSqlite
 * (mcu-store-sqlite.c, [storage] database, the default) and McuStorePg
 * (mcu-store-pg.c, [storage] backend=postgresql). Both keep the same
 * versioned schema. Main thread only; no call blocks on the network: the
 * PostgreSQL backend answers from memory and writes in the background.
 *
 * Signals (emitted when data changed by another node arrives, and for
 * everything when the store has (re)loaded from the database):
 * "room-changed" (const gchar *name), "meeting-changed" (const gchar *id),
 * "user-changed" (const gchar *name), McuBindingStore's
 * "bindings-changed" (const gchar *aor), and "loaded" () after each full
 * load. */
#pragma once

#include <glib-object.h>
#include "mcu-binding-store.h"

G_BEGIN_DECLS

#define MCU_STORE_ERROR (mcu_store_error_quark ())
GQuark mcu_store_error_quark (void);

typedef enum
{
  MCU_STORE_ERROR_OPEN,   /* cannot create the directory or open the file */
  MCU_STORE_ERROR_SCHEMA, /* migration failed, or a newer schema */
  MCU_STORE_ERROR_SQL,    /* a statement failed */
  MCU_STORE_ERROR_UNAVAILABLE, /* the database is out of reach for now */
} McuStoreErrorCode;

/* The schema version this build writes (SQLite: PRAGMA user_version;
 * PostgreSQL: the table mcu_schema). */
#define MCU_STORE_SCHEMA_VERSION 5

typedef struct _McuStoredRoom McuStoredRoom;
typedef struct _McuStoredOccurrence McuStoredOccurrence;

#define MCU_TYPE_STORE (mcu_store_get_type ())
G_DECLARE_DERIVABLE_TYPE (McuStore, mcu_store, MCU, STORE, GObject)

struct _McuStoreClass
{
  GObjectClass parent_class;

  void (*close) (McuStore *self);
  const gchar *(*get_path) (McuStore *self);
  gboolean (*is_available) (McuStore *self);
  gboolean (*set_user) (
      McuStore *self, const McuStoredUser *user, GError **error);
  gboolean (*delete_user) (McuStore *self, const gchar *name, GError **error);
  gboolean (*save_room) (
      McuStore *self, const McuStoredRoom *room, GError **error);
  gboolean (*delete_room) (McuStore *self, const gchar *name, GError **error);
  GPtrArray *(*load_rooms) (McuStore *self, GError **error);
  gboolean (*save_meeting) (
      McuStore *self, const gchar *id, const gchar *json, GError **error);
  gboolean (*delete_meeting) (McuStore *self, const gchar *id, GError **error);
  GPtrArray *(*load_meetings) (McuStore *self, GError **error);
  gboolean (*save_occurrence) (
      McuStore *self, const McuStoredOccurrence *occurrence, GError **error);
  McuStoredOccurrence *(*load_last_occurrence) (
      McuStore *self, const gchar *meeting_id, GError **error);
  /* McuBindingStore */
  GPtrArray *(*load_bindings) (McuStore *self, gint64 now, GError **error);
  gboolean (*replace_bindings) (
      McuStore *self, const gchar *aor, GPtrArray *bindings, GError **error);
  gboolean (*purge_expired) (McuStore *self, gint64 now, GError **error);
  McuStoredUser *(*lookup_user) (
      McuStore *self, const gchar *name, GError **error);
};

/* The SQLite backend: opens (creating the directory and the file) @path,
 * or the default g_get_user_state_dir ()/mcu/mcu.db when @path is NULL;
 * migrates the schema; WAL journal. */
McuStore *mcu_store_open (const gchar *path, GError **error);
/* Closes the database; later calls fail with MCU_STORE_ERROR_SQL (SQLite)
 * or MCU_STORE_ERROR_UNAVAILABLE (PostgreSQL). */
void mcu_store_close (McuStore *self);
/* The file, or (PostgreSQL) the database without credentials, for logs. */
const gchar *mcu_store_get_path (McuStore *self);
/* FALSE while writes would fail UNAVAILABLE (PostgreSQL down or not loaded
 * yet). */
gboolean mcu_store_is_available (McuStore *self);

/* Adds or replaces a digest user (HA1s only). */
gboolean mcu_store_set_user (
    McuStore *self, const McuStoredUser *user, GError **error);
gboolean mcu_store_delete_user (
    McuStore *self, const gchar *name, GError **error);

/* A room made through the control API, kept across restarts. */
struct _McuStoredRoom
{
  gchar *name;
  guint max_participants;
  gchar *layout; /* (nullable) */
  gchar *pin;    /* (nullable) */
  gboolean locked;
  gboolean self_view;
  gint64 created_at;    /* microseconds since the epoch */
  gchar *moderator_pin; /* (nullable) */
  guint options;        /* McuRoomOptions */
};

void mcu_stored_room_free (McuStoredRoom *room);
McuStoredRoom *mcu_stored_room_copy (const McuStoredRoom *room);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuStoredRoom, mcu_stored_room_free)

/* Adds or replaces the room called room->name. */
gboolean mcu_store_save_room (
    McuStore *self, const McuStoredRoom *room, GError **error);
/* Deletes the room called @name (no error when there is none). */
gboolean mcu_store_delete_room (
    McuStore *self, const gchar *name, GError **error);
/* (transfer full) (element-type McuStoredRoom): every stored room, by
 * name; NULL on error. */
GPtrArray *mcu_store_load_rooms (McuStore *self, GError **error);
/* (transfer full) (nullable): the room called @name, NULL without error
 * when there is none. */
McuStoredRoom *mcu_store_lookup_room (
    McuStore *self, const gchar *name, GError **error);

/* Scheduled meetings: each kept as its JSON (mcu_meeting_to_json ()). */
typedef struct
{
  gchar *id;
  gchar *json;
} McuStoredMeeting;

void mcu_stored_meeting_free (McuStoredMeeting *meeting);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuStoredMeeting, mcu_stored_meeting_free)

gboolean mcu_store_save_meeting (
    McuStore *self, const gchar *id, const gchar *json, GError **error);
/* Deletes the meeting and the state of its occurrences. */
gboolean mcu_store_delete_meeting (
    McuStore *self, const gchar *id, GError **error);
/* (transfer full) (element-type McuStoredMeeting) every meeting, by id */
GPtrArray *mcu_store_load_meetings (McuStore *self, GError **error);
/* (transfer full) (nullable): the JSON of meeting @id, NULL without error
 * when there is none. */
gchar *mcu_store_lookup_meeting (
    McuStore *self, const gchar *id, GError **error);

/* One attendee of an occurrence: "pending", "dialing", "retry-wait",
 * "answered", "joined" (came by themselves), "failed". */
typedef struct
{
  gchar *attendee_id;
  gchar *state;
  guint tries;
  guint status;    /* the last SIP status of a failed try, 0 = none */
  gint64 next_try; /* retry-wait: when, UTC microseconds */
} McuStoredAttendee;

/* The state of one occurrence of a meeting (its start is its id). @phase:
 * "waiting", "open", "started", "ending", "closed"; @end: the end, moved by
 * extensions; @ended: (nullable) how a closed one ended. */
struct _McuStoredOccurrence
{
  gchar *meeting_id;
  gint64 start;
  gchar *phase;
  gint64 end;
  guint warnings_done;
  gchar *ended;
  GPtrArray *attendees; /* McuStoredAttendee* (owned) */
};

McuStoredOccurrence *mcu_stored_occurrence_new (void);
McuStoredOccurrence *mcu_stored_occurrence_copy (
    const McuStoredOccurrence *occurrence);
void mcu_stored_occurrence_free (McuStoredOccurrence *occurrence);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuStoredOccurrence, mcu_stored_occurrence_free)
McuStoredAttendee *mcu_stored_occurrence_add_attendee (
    McuStoredOccurrence *occurrence, const gchar *attendee_id);

/* Writes @occurrence and its attendees in one transaction. */
gboolean mcu_store_save_occurrence (
    McuStore *self, const McuStoredOccurrence *occurrence, GError **error);
/* The latest occurrence of @meeting_id that has a state (the one running,
 * or the last one that ran); NULL without error when there is none.
 * (transfer full) (nullable) */
McuStoredOccurrence *mcu_store_load_last_occurrence (
    McuStore *self, const gchar *meeting_id, GError **error);

/* For backends: emit the change signals. */
void mcu_store_emit_room_changed (McuStore *self, const gchar *name);
void mcu_store_emit_meeting_changed (McuStore *self, const gchar *id);
void mcu_store_emit_user_changed (McuStore *self, const gchar *name);
void mcu_store_emit_bindings_changed (McuStore *self, const gchar *aor);
void mcu_store_emit_loaded (McuStore *self);

G_END_DECLS
