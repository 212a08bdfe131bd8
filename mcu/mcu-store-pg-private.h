/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuStorePg's insides, shared by mcu-store-pg.c (the calls: writes
 * and reads of the cache) and mcu-store-pg-sync.c (the connection:
 * migration, loading, notifications). */
#pragma once

#include "mcu-pg.h"
#include "mcu-store-pg.h"

G_BEGIN_DECLS

#define ROOM_COLUMNS                                                    \
  "name, max_participants, layout, pin, locked, self_view, created_at," \
  " moderator_pin, options"
#define BINDING_COLUMNS \
  "aor, contact, q, expires_at, call_id, cseq, user_agent, received"
#define USER_COLUMNS "name, realm, ha1_md5, ha1_sha256, display"
#define OCCURRENCE_COLUMNS \
  "meeting_id, start, phase, end_at, warnings_done, ended"
#define ATTENDEE_COLUMNS \
  "meeting_id, start, attendee_id, state, tries, status, next_try"
/* the latest occurrence of each meeting, and its attendees */
#define LAST_OCCURRENCES                                \
  "SELECT DISTINCT ON (meeting_id) " OCCURRENCE_COLUMNS \
  " FROM meeting_occurrences%s ORDER BY meeting_id, start DESC"
#define LAST_ATTENDEES                                                 \
  "SELECT " ATTENDEE_COLUMNS " FROM meeting_attendees a WHERE start =" \
  " (SELECT max (start) FROM meeting_occurrences o WHERE"              \
  " o.meeting_id = a.meeting_id)%s ORDER BY meeting_id, attendee_id"

typedef enum
{
  STORE_OFFLINE,
  STORE_MIGRATING,
  STORE_LOADING,
  STORE_READY,
  STORE_BROKEN,
  STORE_CLOSED,
} McuStorePgState;

/* The cached tables. */
typedef struct
{
  GHashTable *rooms;       /* name -> McuStoredRoom */
  GHashTable *users;       /* name -> McuStoredUser */
  GHashTable *bindings;    /* aor -> GPtrArray of McuBinding */
  GHashTable *meetings;    /* id -> JSON */
  GHashTable *occurrences; /* meeting id -> McuStoredOccurrence, the latest */
} McuStorePgTables;

struct _McuStorePg
{
  McuStore parent_instance;

  McuPg *pg;
  gchar *describe; /* the DSN without credentials, for logs */
  gchar *origin;   /* our application_name */
  McuStorePgState state;
  guint generation; /* of the connection the answers belong to */
  McuStorePgTables cache;
  McuStorePgTables *loading; /* (nullable) being filled by a load */
  guint pending;             /* writes in flight */
  gboolean load_failed;      /* a query of the load in progress failed */
  gboolean reload_again;     /* asked for while loading */
  guint retry_id;            /* a failed load tried again */
  GQueue unconfirmed;        /* writes sent and not answered yet, in order */
  gpointer building;         /* (nullable) the write being put together */
};

/* One answer expected: which store, which connection, what for. */
typedef struct
{
  McuStorePg *self; /* (owned) */
  guint generation;
  gchar *key;               /* (nullable) */
  gpointer data;            /* (nullable) */
  GDestroyNotify data_free; /* of @data */
} McuStorePgAsk;

McuStorePgAsk *mcu_store_pg_ask_new (McuStorePg *self, const gchar *key);
void mcu_store_pg_ask_free (McuStorePgAsk *ask);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuStorePgAsk, mcu_store_pg_ask_free)
/* The answer, or NULL when it failed or belongs to an older connection. */
PGresult *mcu_store_pg_ask_finish (
    McuStorePgAsk *ask, GAsyncResult *result, const gchar *what);

void mcu_store_pg_tables_init (McuStorePgTables *t);
void mcu_store_pg_tables_clear (McuStorePgTables *t);

/* Connects @self's McuPg signals and starts connecting. */
void mcu_store_pg_sync_start (McuStorePg *self);
/* Sends again the writes that were lost with the connection (before the
 * load on a new connection); frees them all (at the end). */
void mcu_store_pg_replay (McuStorePg *self);
void mcu_store_pg_drop_unconfirmed (McuStorePg *self);
/* Reads every table again (connected only). */
void mcu_store_pg_reload_all (McuStorePg *self);

G_END_DECLS
