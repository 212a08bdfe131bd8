/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: this node in a cluster (see mcu-cluster.h). Every database call is
 * asynchronous (McuPg); times in the tables are unix microseconds. */
#include "mcu-cluster.h"
#include "mcu-pg.h"

#include <string.h>

G_DEFINE_QUARK (mcu - cluster - error - quark, mcu_cluster_error)

struct _McuCluster
{
  GObject parent_instance;

  McuPg *pg;
  McuRoomDirectory *rooms; /* not owned */
  gchar *node;
  gchar *sip_uri;
  gchar *control; /* (nullable) the control socket, for the listing */
  gint64 heartbeat_us;
  gint64 dead_after_us;
  McuClusterNodeState state;
  guint heartbeat_timer;
  gint64 connected_at;    /* monotonic: the database connection came up */
  GHashTable *placed;     /* room -> GINT64 monotonic time placed here */
  GHashTable *claims;     /* "meeting\nstart" held here: renewed */
  GHashTable *claim_info; /* "meeting\nstart" -> ClaimInfo */
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (McuCluster, mcu_cluster, G_TYPE_OBJECT)

/* What this node knows of one occurrence's claim. */
typedef struct
{
  McuClusterClaim state;
  gint64 asked; /* monotonic: the last question */
  gint64 used;  /* monotonic: the last time someone wanted to know */
  gboolean asking;
} ClaimInfo;

enum
{
  SIGNAL_CLAIMS_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
mcu_cluster_dispose (GObject *object)
{
  McuCluster *self = MCU_CLUSTER (object);

  g_clear_handle_id (&self->heartbeat_timer, g_source_remove);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->pg)
    g_signal_handlers_disconnect_by_data (self->pg, self);
  g_clear_object (&self->pg);
  G_OBJECT_CLASS (mcu_cluster_parent_class)->dispose (object);
}

static void
mcu_cluster_finalize (GObject *object)
{
  McuCluster *self = MCU_CLUSTER (object);

  g_free (self->node);
  g_free (self->sip_uri);
  g_free (self->control);
  g_hash_table_unref (self->placed);
  g_hash_table_unref (self->claims);
  g_hash_table_unref (self->claim_info);
  G_OBJECT_CLASS (mcu_cluster_parent_class)->finalize (object);
}

static void
mcu_cluster_class_init (McuClusterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_cluster_dispose;
  object_class->finalize = mcu_cluster_finalize;
  signals[SIGNAL_CLAIMS_CHANGED] =
      g_signal_new ("claims-changed", G_TYPE_FROM_CLASS (klass),
          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
mcu_cluster_init (McuCluster *self)
{
  self->placed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->claims = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->claim_info =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->cancellable = g_cancellable_new ();
}

McuCluster *
mcu_cluster_new (
    const McuConfig *config, const gchar *dsn, McuRoomDirectory *rooms)
{
  McuCluster *self = g_object_new (MCU_TYPE_CLUSTER, NULL);

  self->pg = mcu_pg_new (dsn);
  self->rooms = rooms;
  self->node = g_strdup (config->cluster_node);
  if (config->cluster_sip_uri)
    self->sip_uri = g_strdup (config->cluster_sip_uri);
  else if (strchr (config->sip_listen, ':'))
    self->sip_uri =
        g_strdup_printf ("sip:[%s]:%u", config->sip_listen, config->sip_port);
  else
    self->sip_uri =
        g_strdup_printf ("sip:%s:%u", config->sip_listen, config->sip_port);
  self->control = g_strdup (config->control_socket);
  self->heartbeat_us = (gint64)config->cluster_heartbeat * G_USEC_PER_SEC;
  self->dead_after_us = (gint64)config->cluster_dead_after * G_USEC_PER_SEC;
  return self;
}

const gchar *
mcu_cluster_get_node (McuCluster *self)
{
  return self->node;
}

const gchar *
mcu_cluster_get_sip_uri (McuCluster *self)
{
  return self->sip_uri;
}

McuClusterNodeState
mcu_cluster_get_state (McuCluster *self)
{
  return self->state;
}

const gchar *
mcu_cluster_node_state_to_string (McuClusterNodeState state)
{
  return state == MCU_CLUSTER_NODE_DRAINING ? "draining" : "active";
}

static gchar *
i64 (gint64 v)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, v);
}

/* How long after (re)connecting this node takes nothing over from another
 * node: the others, cut off from the database as long as we were, need a
 * heartbeat (after their own reconnection, at most 5 s later) to show they
 * live. Until then every holder counts as alive and no lease as run out. */
#define RECONNECT_SLACK (5 * G_USEC_PER_SEC)

static gboolean
may_take_over (McuCluster *self)
{
  return self->connected_at && g_get_monotonic_time () - self->connected_at >=
                                   self->dead_after_us + RECONNECT_SLACK;
}

/* The times a takeover is judged by: @now_s (leases that ran out before
 * it) and @alive_s (heartbeats at or after it): "0" and "0" while
 * may_take_over () is FALSE. */
static void
takeover_times (McuCluster *self, gint64 now, gchar **now_s, gchar **alive_s)
{
  gboolean may = may_take_over (self);

  *now_s = g_strdup_printf ("%" G_GINT64_FORMAT, may ? now : 0);
  *alive_s = g_strdup_printf (
      "%" G_GINT64_FORMAT, may ? now - self->dead_after_us : 0);
}

/* A PostgreSQL text[] literal of @names. */
static gchar *
text_array (GPtrArray *names)
{
  GString *s = g_string_new ("{");

  for (guint i = 0; i < names->len; i++) {
    const gchar *n = g_ptr_array_index (names, i);

    if (i)
      g_string_append_c (s, ',');
    g_string_append_c (s, '"');
    for (const gchar *p = n; *p; p++) {
      if (*p == '"' || *p == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
    g_string_append_c (s, '"');
  }
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

/* ---- heartbeat ---- */

static const gchar heartbeat_sql[] =
    "INSERT INTO nodes (name, sip_uri, control, state, load, rooms, "
    "heartbeat_at) VALUES ($1, $2, $3, $4, $5::integer, $6::integer, "
    "$7::bigint) ON CONFLICT (name) DO UPDATE SET sip_uri = EXCLUDED.sip_uri, "
    "control = EXCLUDED.control, state = EXCLUDED.state, load = "
    "EXCLUDED.load, rooms = EXCLUDED.rooms, heartbeat_at = "
    "EXCLUDED.heartbeat_at";
/* renew what this node hosts and still uses, release the rest */
static const gchar leases_sql[] =
    "WITH renewed AS (UPDATE room_hosts SET lease_until = $2::bigint "
    "WHERE node = $1 AND room = ANY ($3::text[]) RETURNING room) "
    "DELETE FROM room_hosts WHERE node = $1 AND NOT (room = ANY "
    "($3::text[]))";
static const gchar claims_sql[] =
    "UPDATE occurrence_claims SET lease_until = $2::bigint WHERE node = $1 "
    "AND (meeting_id || chr(10) || start::text) = ANY ($3::text[])";

static void
on_heartbeat_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PGresult) res =
      mcu_pg_query_finish (MCU_PG (source), result, &error);

  if (res == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
          "cluster: heartbeat: %s", error->message);
    return;
  }
}

static void
heartbeat (McuCluster *self)
{
  g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) claims = g_ptr_array_new ();
  GList *rooms = mcu_room_directory_list (self->rooms);
  gint64 now = g_get_real_time ();
  gint64 mono = g_get_monotonic_time ();
  guint load = 0, n_rooms = 0;
  GHashTableIter iter;
  gpointer key, value;
  g_autofree gchar *now_s = i64 (now);
  g_autofree gchar *until_s = i64 (now + self->dead_after_us);
  g_autofree gchar *load_s = NULL;
  g_autofree gchar *rooms_s = NULL;
  g_autofree gchar *keep_s = NULL;
  g_autofree gchar *claims_s = NULL;

  if (!mcu_pg_is_connected (self->pg)) {
    g_list_free (rooms);
    return;
  }
  for (GList *l = rooms; l; l = l->next) {
    guint n = mcu_room_get_n_participants (l->data);

    load += n;
    n_rooms += n > 0;
    /* an open room keeps its lease (a meeting's, before anyone answered;
     * a persistent one); a closed one lets it go */
    if (mcu_room_get_state (l->data) == MCU_ROOM_STATE_OPEN)
      g_ptr_array_add (keep, g_strdup (mcu_room_get_name (l->data)));
  }
  g_list_free (rooms);
  /* a room placed here a moment ago may not have its caller in yet */
  g_hash_table_iter_init (&iter, self->placed);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    if (mono - (gint64)GPOINTER_TO_SIZE (value) > self->dead_after_us)
      g_hash_table_iter_remove (&iter);
    else
      g_ptr_array_add (keep, g_strdup (key));
  }
  g_hash_table_iter_init (&iter, self->claims);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (claims, key);
  load_s = g_strdup_printf ("%u", load);
  rooms_s = g_strdup_printf ("%u", n_rooms);
  keep_s = text_array (keep);
  claims_s = text_array (claims);
  {
    const gchar *p[] = { self->node, self->sip_uri, self->control,
      mcu_cluster_node_state_to_string (self->state), load_s, rooms_s, now_s };
    mcu_pg_query_async (self->pg, heartbeat_sql, p, G_N_ELEMENTS (p),
        self->cancellable, on_heartbeat_done, self);
  }
  {
    const gchar *p[] = { self->node, until_s, keep_s };
    mcu_pg_query_async (self->pg, leases_sql, p, G_N_ELEMENTS (p),
        self->cancellable, on_heartbeat_done, self);
  }
  if (claims->len) {
    const gchar *p[] = { self->node, until_s, claims_s };
    mcu_pg_query_async (self->pg, claims_sql, p, G_N_ELEMENTS (p),
        self->cancellable, on_heartbeat_done, self);
  }
}

/* Occurrences another node runs are asked about again (a takeover):
 * wakes whoever waits on them; forgets the ones nobody asked about for a
 * while. */
static void
wake_claims (McuCluster *self)
{
  GHashTableIter iter;
  gpointer value;
  gboolean waiting = FALSE;
  gint64 now = g_get_monotonic_time ();

  g_hash_table_iter_init (&iter, self->claim_info);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    ClaimInfo *info = value;

    if (now - info->used > 20 * self->dead_after_us && !info->asking)
      g_hash_table_iter_remove (&iter);
    else if (info->state == MCU_CLUSTER_CLAIM_ELSEWHERE ||
             info->state == MCU_CLUSTER_CLAIM_PENDING)
      waiting = TRUE;
  }
  if (waiting)
    g_signal_emit (self, signals[SIGNAL_CLAIMS_CHANGED], 0);
}

static gboolean
on_heartbeat_timer (gpointer data)
{
  heartbeat (data);
  wake_claims (data);
  return G_SOURCE_CONTINUE;
}

static void
on_pg_connected (McuPg *pg, McuCluster *self)
{
  self->connected_at = g_get_monotonic_time ();
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE",
      "cluster: node %s (%s) connected to the database", self->node,
      self->sip_uri);
  heartbeat (self);
}

static void
on_pg_disconnected (McuPg *pg, McuCluster *self)
{
  self->connected_at = 0;
}

void
mcu_cluster_start (McuCluster *self)
{
  g_signal_connect (self->pg, "connected", G_CALLBACK (on_pg_connected), self);
  g_signal_connect (
      self->pg, "disconnected", G_CALLBACK (on_pg_disconnected), self);
  mcu_pg_start (self->pg);
  self->heartbeat_timer =
      g_timeout_add (self->heartbeat_us / 1000, on_heartbeat_timer, self);
}

void
mcu_cluster_drain (McuCluster *self)
{
  if (self->state == MCU_CLUSTER_NODE_DRAINING)
    return;
  self->state = MCU_CLUSTER_NODE_DRAINING;
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
      "cluster: node %s draining: no new rooms", self->node);
  heartbeat (self);
}

/* ---- placement ---- */

/* Takes the lease unless a live node holds it; returns (node, sip_uri):
 * sip_uri NULL when it is ours now. */
static const gchar place_sql[] =
    "WITH up AS (INSERT INTO room_hosts AS h (room, node, lease_until) "
    "VALUES ($1, $2, $3::bigint) ON CONFLICT (room) DO UPDATE SET node = "
    "EXCLUDED.node, lease_until = EXCLUDED.lease_until WHERE h.node = "
    "EXCLUDED.node OR h.lease_until < $4::bigint OR NOT EXISTS (SELECT 1 "
    "FROM nodes n WHERE n.name = h.node AND n.heartbeat_at >= $5::bigint) "
    "RETURNING h.node) "
    "SELECT node, NULL FROM up UNION ALL SELECT h.node, n.sip_uri FROM "
    "room_hosts h JOIN nodes n ON n.name = h.node WHERE h.room = $1 AND NOT "
    "EXISTS (SELECT 1 FROM up)";
/* draining: the live host if any (rank 1), else the least loaded live
 * active node but this one (rank 2) */
static const gchar drain_sql[] =
    "(SELECT 1 AS rank, h.node, n.sip_uri FROM room_hosts h JOIN nodes n ON "
    "n.name = h.node WHERE h.room = $1 AND h.lease_until >= $3::bigint AND "
    "n.heartbeat_at >= $4::bigint) UNION ALL (SELECT 2, name, sip_uri FROM "
    "nodes WHERE state = 'active' AND heartbeat_at >= $4::bigint AND name <> "
    "$2 ORDER BY load, name LIMIT 1) ORDER BY 1 LIMIT 1";

typedef struct
{
  gchar *room;
  gboolean draining;
  guint tries;
} PlaceData;

static void
place_data_free (PlaceData *d)
{
  g_free (d->room);
  g_free (d);
}

static void place_send (GTask *task);

/* sip:ROOM@host:port from sip:host:port */
static gchar *
room_uri (const gchar *node_uri, const gchar *room)
{
  const gchar *rest = strchr (node_uri, ':');

  return g_strdup_printf ("sip:%s@%s", room, rest ? rest + 1 : node_uri);
}

static void
on_place_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  McuCluster *self = g_task_get_source_object (task);
  PlaceData *d = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (PGresult) res =
      mcu_pg_query_finish (MCU_PG (source), result, &error);
  const gchar *node;

  if (res == NULL) {
    g_task_return_new_error (task, MCU_CLUSTER_ERROR,
        MCU_CLUSTER_ERROR_UNAVAILABLE, "cluster database: %s", error->message);
    return;
  }
  if (PQntuples (res) == 0) {
    if (d->draining) {
      g_task_return_new_error (task, MCU_CLUSTER_ERROR,
          MCU_CLUSTER_ERROR_NO_NODE,
          "node %s is draining and no other node is alive", self->node);
      return;
    }
    /* the holder went away between the insert and the select: again */
    if (++d->tries < 3) {
      place_send (g_steal_pointer (&task));
      return;
    }
    g_task_return_new_error (task, MCU_CLUSTER_ERROR,
        MCU_CLUSTER_ERROR_UNAVAILABLE, "room %s: no stable host", d->room);
    return;
  }
  node = PQgetvalue (res, 0, d->draining ? 1 : 0);
  if (g_str_equal (node, self->node)) {
    g_hash_table_insert (self->placed, g_strdup (d->room),
        GSIZE_TO_POINTER ((gsize)g_get_monotonic_time ()));
    g_task_return_pointer (task, NULL, NULL);
    return;
  }
  g_task_return_pointer (task,
      room_uri (PQgetvalue (res, 0, d->draining ? 2 : 1), d->room), g_free);
}

static void
place_send (GTask *task)
{
  McuCluster *self = g_task_get_source_object (task);
  PlaceData *d = g_task_get_task_data (task);
  gint64 now = g_get_real_time ();
  g_autofree gchar *until_s = i64 (now + self->dead_after_us);
  g_autofree gchar *now_s = NULL;
  g_autofree gchar *alive_s = NULL;

  takeover_times (self, now, &now_s, &alive_s);
  d->draining = self->state == MCU_CLUSTER_NODE_DRAINING;
  if (d->draining) {
    const gchar *p[] = { d->room, self->node, now_s, alive_s };

    mcu_pg_query_async (self->pg, drain_sql, p, G_N_ELEMENTS (p),
        g_task_get_cancellable (task), on_place_done, task);
  } else {
    const gchar *p[] = { d->room, self->node, until_s, now_s, alive_s };

    mcu_pg_query_async (self->pg, place_sql, p, G_N_ELEMENTS (p),
        g_task_get_cancellable (task), on_place_done, task);
  }
}

void
mcu_cluster_place_room_async (McuCluster *self, const gchar *room,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  PlaceData *d = g_new0 (PlaceData, 1);

  d->room = g_strdup (room);
  g_task_set_task_data (task, d, (GDestroyNotify)place_data_free);
  if (!mcu_pg_is_connected (self->pg)) {
    g_task_return_new_error (task, MCU_CLUSTER_ERROR,
        MCU_CLUSTER_ERROR_UNAVAILABLE, "the cluster database is down");
    g_object_unref (task);
    return;
  }
  place_send (task);
}

gchar *
mcu_cluster_place_room_finish (
    McuCluster *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_hosted (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autofree gchar *room = data;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *elsewhere =
      mcu_cluster_place_room_finish (MCU_CLUSTER (source), result, &error);

  if (error || elsewhere)
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MCU_ROOM", room,
        "MESSAGE", "cluster: room %s opened here, but %s", room,
        error ? error->message : "another node hosts it");
}

void
mcu_cluster_host_room (McuCluster *self, const gchar *room)
{
  mcu_cluster_place_room_async (self, room, NULL, on_hosted, g_strdup (room));
}

static const gchar find_sql[] =
    "SELECT n.sip_uri FROM room_hosts h JOIN nodes n ON n.name = h.node "
    "WHERE h.room = $1 AND h.node <> $2 AND h.lease_until >= $3::bigint AND "
    "n.heartbeat_at >= $4::bigint";

static void
on_found (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (PGresult) res =
      mcu_pg_query_finish (MCU_PG (source), result, &error);

  if (res == NULL)
    g_task_return_new_error (task, MCU_CLUSTER_ERROR,
        MCU_CLUSTER_ERROR_UNAVAILABLE, "cluster database: %s", error->message);
  else if (PQntuples (res) == 0)
    g_task_return_pointer (task, NULL, NULL);
  else
    g_task_return_pointer (task,
        room_uri (PQgetvalue (res, 0, 0), g_task_get_task_data (task)), g_free);
}

void
mcu_cluster_find_room_async (McuCluster *self, const gchar *room,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  gint64 now = g_get_real_time ();
  g_autofree gchar *now_s = i64 (now);
  g_autofree gchar *alive_s = i64 (now - self->dead_after_us);
  const gchar *p[] = { room, self->node, now_s, alive_s };

  g_task_set_task_data (task, g_strdup (room), g_free);
  if (!mcu_pg_is_connected (self->pg)) {
    g_task_return_new_error (task, MCU_CLUSTER_ERROR,
        MCU_CLUSTER_ERROR_UNAVAILABLE, "the cluster database is down");
    g_object_unref (task);
    return;
  }
  mcu_pg_query_async (
      self->pg, find_sql, p, G_N_ELEMENTS (p), cancellable, on_found, task);
}

gchar *
mcu_cluster_find_room_finish (
    McuCluster *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- listing ---- */

static const gchar list_sql[] =
    "SELECT json_build_object('nodes', (SELECT coalesce (json_agg "
    "(json_build_object ('name', name, 'sip_uri', sip_uri, 'control', "
    "control, 'state', state, 'health', CASE WHEN heartbeat_at >= $1::bigint "
    "THEN 'alive' ELSE 'dead' END, 'load', load, 'rooms', rooms, "
    "'heartbeat_age', round (($2::bigint - heartbeat_at) / 1000000.0, 1)) "
    "ORDER BY name), '[]') FROM nodes), 'rooms', (SELECT coalesce (json_agg "
    "(json_build_object ('room', h.room, 'node', h.node, 'live', "
    "h.lease_until >= $2::bigint AND coalesce (n.heartbeat_at >= "
    "$1::bigint, false)) ORDER BY h.room), '[]') FROM room_hosts h LEFT JOIN "
    "nodes n ON n.name = h.node))::text";

static void
on_list_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GTask) task = data;
  McuCluster *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (PGresult) res =
      mcu_pg_query_finish (MCU_PG (source), result, &error);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *obj;

  if (res == NULL || PQntuples (res) != 1) {
    g_task_return_new_error (task, MCU_CLUSTER_ERROR,
        MCU_CLUSTER_ERROR_UNAVAILABLE, "cluster database: %s",
        error ? error->message : "no result");
    return;
  }
  if (!json_parser_load_from_data (
          parser, PQgetvalue (res, 0, 0), -1, &error)) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  obj = json_node_get_object (json_parser_get_root (parser));
  json_object_set_string_member (obj, "node", self->node);
  g_task_return_pointer (task, json_node_ref (json_parser_get_root (parser)),
      (GDestroyNotify)json_node_unref);
}

void
mcu_cluster_list_async (McuCluster *self, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  gint64 now = g_get_real_time ();
  g_autofree gchar *alive_s = i64 (now - self->dead_after_us);
  g_autofree gchar *now_s = i64 (now);
  const gchar *p[] = { alive_s, now_s };

  if (!mcu_pg_is_connected (self->pg)) {
    g_task_return_new_error (task, MCU_CLUSTER_ERROR,
        MCU_CLUSTER_ERROR_UNAVAILABLE, "the cluster database is down");
    g_object_unref (task);
    return;
  }
  mcu_pg_query_async (
      self->pg, list_sql, p, G_N_ELEMENTS (p), cancellable, on_list_done, task);
}

JsonNode *
mcu_cluster_list_finish (McuCluster *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- scheduled meetings ---- */

/* the lease of an occurrence that ran to its end: never claimed again */
#define DONE "9223372036854775807"
/* ours (taken, or ours already), else done or elsewhere */
static const gchar claim_sql[] =
    "WITH up AS (INSERT INTO occurrence_claims AS c (meeting_id, start, "
    "node, lease_until) VALUES ($1, $2::bigint, $3, $4::bigint) ON CONFLICT "
    "(meeting_id, start) DO UPDATE SET node = EXCLUDED.node, lease_until = "
    "EXCLUDED.lease_until WHERE c.lease_until < " DONE " AND (c.node = "
    "EXCLUDED.node OR c.lease_until < $5::bigint OR NOT EXISTS (SELECT 1 "
    "FROM nodes n WHERE n.name = c.node AND n.heartbeat_at >= $6::bigint)) "
    "RETURNING node) "
    "SELECT 'ours' FROM up UNION ALL SELECT CASE WHEN lease_until = " DONE
    " THEN 'done' ELSE 'elsewhere' END FROM occurrence_claims WHERE "
    "meeting_id = $1 AND start = $2::bigint AND NOT EXISTS (SELECT 1 FROM "
    "up)";
static const gchar done_sql[] =
    "UPDATE occurrence_claims SET lease_until = " DONE " WHERE meeting_id = "
    "$1 AND start = $2::bigint AND node = $3";

static gchar *
claim_key (const gchar *meeting_id, gint64 start)
{
  return g_strdup_printf ("%s\n%" G_GINT64_FORMAT, meeting_id, start);
}

typedef struct
{
  McuCluster *self;
  gchar *key;
} ClaimQuery;

static void
on_claim_done (GObject *source, GAsyncResult *result, gpointer data)
{
  ClaimQuery *q = data;
  McuCluster *self = q->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (PGresult) res =
      mcu_pg_query_finish (MCU_PG (source), result, &error);
  ClaimInfo *info;
  McuClusterClaim before;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    goto out;
  info = g_hash_table_lookup (self->claim_info, q->key);
  if (info == NULL)
    goto out;
  info->asking = FALSE;
  before = info->state;
  if (res == NULL) {
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
        "cluster: claiming a meeting occurrence: %s", error->message);
  } else if (PQntuples (res) == 1) {
    const gchar *v = PQgetvalue (res, 0, 0);

    info->state = g_str_equal (v, "ours")   ? MCU_CLUSTER_CLAIM_OURS
                  : g_str_equal (v, "done") ? MCU_CLUSTER_CLAIM_DONE
                                            : MCU_CLUSTER_CLAIM_ELSEWHERE;
  }
  if (info->state == MCU_CLUSTER_CLAIM_OURS)
    g_hash_table_add (self->claims, g_strdup (q->key));
  if (info->state != before)
    g_signal_emit (self, signals[SIGNAL_CLAIMS_CHANGED], 0);
out:
  g_object_unref (q->self);
  g_free (q->key);
  g_free (q);
}

static void
ask_claim (McuCluster *self, const gchar *key, ClaimInfo *info,
    const gchar *meeting_id, gint64 start)
{
  gint64 now = g_get_real_time ();
  g_autofree gchar *start_s = i64 (start);
  g_autofree gchar *until_s = i64 (now + self->dead_after_us);
  g_autofree gchar *now_s = NULL;
  g_autofree gchar *alive_s = NULL;
  const gchar *p[6];

  takeover_times (self, now, &now_s, &alive_s);
  p[0] = meeting_id;
  p[1] = start_s;
  p[2] = self->node;
  p[3] = until_s;
  p[4] = now_s;
  p[5] = alive_s;
  ClaimQuery *q;

  info->asked = g_get_monotonic_time ();
  if (!mcu_pg_is_connected (self->pg))
    return;
  q = g_new0 (ClaimQuery, 1);
  q->self = g_object_ref (self);
  q->key = g_strdup (key);
  info->asking = TRUE;
  mcu_pg_query_async (self->pg, claim_sql, p, G_N_ELEMENTS (p),
      self->cancellable, on_claim_done, q);
}

McuClusterClaim
mcu_cluster_occurrence_claim (
    McuCluster *self, const gchar *meeting_id, gint64 start)
{
  g_autofree gchar *key = claim_key (meeting_id, start);
  ClaimInfo *info = g_hash_table_lookup (self->claim_info, key);

  if (info == NULL) {
    info = g_new0 (ClaimInfo, 1);
    info->state = MCU_CLUSTER_CLAIM_PENDING;
    g_hash_table_insert (self->claim_info, g_strdup (key), info);
  }
  info->used = g_get_monotonic_time ();
  if (!info->asking && info->state != MCU_CLUSTER_CLAIM_DONE &&
      (info->state != MCU_CLUSTER_CLAIM_OURS ||
          !g_hash_table_contains (self->claims, key)) &&
      g_get_monotonic_time () - info->asked >= self->heartbeat_us)
    ask_claim (self, key, info, meeting_id, start);
  return info->state;
}

void
mcu_cluster_release_occurrence (
    McuCluster *self, const gchar *meeting_id, gint64 start)
{
  g_autofree gchar *key = claim_key (meeting_id, start);
  g_autofree gchar *start_s = i64 (start);
  const gchar *p[] = { meeting_id, start_s, self->node };
  ClaimInfo *info = g_hash_table_lookup (self->claim_info, key);

  if (info)
    info->state = MCU_CLUSTER_CLAIM_DONE;
  if (!g_hash_table_remove (self->claims, key))
    return;
  /* the row stays: it says the occurrence ran */
  mcu_pg_query_async (self->pg, done_sql, p, G_N_ELEMENTS (p),
      self->cancellable, on_heartbeat_done, self);
}
