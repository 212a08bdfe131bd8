/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: this node in a cluster of nodes sharing one PostgreSQL database
 * (schema: nodes, room_hosts, occurrence_claims). Main thread only.
 *
 * The node writes a heartbeat row (its SIP URI, state, load) every
 * [cluster] heartbeat seconds and renews the leases of the rooms it hosts
 * that are still open (and drops the others: a closed room is released). A room
 * is hosted by one live node: placement takes the lease when nobody holds it,
 * when the holder's lease ran out or when the holder is dead (no heartbeat for
 * dead-after seconds); otherwise it names the holder, and the caller is
 * redirected there. A draining node takes no new rooms: their callers are sent
 * to the least loaded live active node. */
#pragma once

#include "mcu-config.h"
#include "mcu-room-directory.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define MCU_CLUSTER_ERROR (mcu_cluster_error_quark ())
GQuark mcu_cluster_error_quark (void);

typedef enum
{
  MCU_CLUSTER_ERROR_UNAVAILABLE, /* the database is down */
  MCU_CLUSTER_ERROR_NO_NODE,     /* draining, and no other live node */
} McuClusterErrorCode;

typedef enum
{
  MCU_CLUSTER_NODE_ACTIVE,
  MCU_CLUSTER_NODE_DRAINING,
} McuClusterNodeState;

#define MCU_TYPE_CLUSTER (mcu_cluster_get_type ())
G_DECLARE_FINAL_TYPE (McuCluster, mcu_cluster, MCU, CLUSTER, GObject)

/* @dsn: the [storage] dsn; @rooms: the daemon's rooms (not owned). */
McuCluster *mcu_cluster_new (
    const McuConfig *config, const gchar *dsn, McuRoomDirectory *rooms);
/* Connects and starts the heartbeat. */
void mcu_cluster_start (McuCluster *self);
const gchar *mcu_cluster_get_node (McuCluster *self);
/* This node's SIP URI (sip:ADDRESS:PORT). */
const gchar *mcu_cluster_get_sip_uri (McuCluster *self);

/* Before a caller joins @room. NULL (no error): this node hosts it (the
 * lease is taken or renewed). Non-NULL: the SIP URI of the live node to
 * send the caller to, with the room as its user part (for the 302's
 * Contact). Errors: MCU_CLUSTER_ERROR_UNAVAILABLE (database down),
 * MCU_CLUSTER_ERROR_NO_NODE (draining, nowhere to send it). */
void mcu_cluster_place_room_async (McuCluster *self, const gchar *room,
    GCancellable *cancellable, GAsyncReadyCallback callback,
    gpointer user_data);
gchar *mcu_cluster_place_room_finish (
    McuCluster *self, GAsyncResult *result, GError **error);

/* The SIP URI (with @room as its user part) of the live node other than
 * this one that hosts @room, or NULL (no error: nobody, or this node). */
void mcu_cluster_find_room_async (McuCluster *self, const gchar *room,
    GCancellable *cancellable, GAsyncReadyCallback callback,
    gpointer user_data);
gchar *mcu_cluster_find_room_finish (
    McuCluster *self, GAsyncResult *result, GError **error);

/* Takes the lease of @room for this node now (a scheduled meeting opens
 * it); logged when another live node has it. */
void mcu_cluster_host_room (McuCluster *self, const gchar *room);

/* Takes no new rooms from now on (the rooms it hosts keep taking callers). */
void mcu_cluster_drain (McuCluster *self);
McuClusterNodeState mcu_cluster_get_state (McuCluster *self);
const gchar *mcu_cluster_node_state_to_string (McuClusterNodeState state);

/* {"node": this node, "nodes": [{name, sip_uri, state, health
 * ("alive"|"dead"), load, rooms, heartbeat_age}], "rooms": [{room, node,
 * live}]}. */
void mcu_cluster_list_async (McuCluster *self, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data);
JsonNode *mcu_cluster_list_finish (
    McuCluster *self, GAsyncResult *result, GError **error);

/* Scheduled meetings: who runs the occurrence of @meeting_id starting at
 * @start (unix microseconds). The first node to ask claims it (a row in
 * occurrence_claims, its lease renewed by the heartbeat); a dead holder's
 * claim is taken over. Answers from what this node last heard: PENDING
 * until the database answered (then signal "claims-changed"), ELSEWHERE is
 * asked again every heartbeat (and "claims-changed" emitted) so that a
 * takeover is noticed. */
typedef enum
{
  MCU_CLUSTER_CLAIM_OURS,
  MCU_CLUSTER_CLAIM_ELSEWHERE,
  MCU_CLUSTER_CLAIM_PENDING,
  MCU_CLUSTER_CLAIM_DONE, /* it ran to its end */
} McuClusterClaim;

McuClusterClaim mcu_cluster_occurrence_claim (
    McuCluster *self, const gchar *meeting_id, gint64 start);
/* The occurrence ran to its end here: nobody runs it again. */
void mcu_cluster_release_occurrence (
    McuCluster *self, const gchar *meeting_id, gint64 start);

G_END_DECLS
