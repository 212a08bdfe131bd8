/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the control socket's cluster resources.
 *
 *   GET /v1/cluster       the nodes (health, state, load) and every room
 *                         with the node hosting it
 *   POST /v1/node/drain   this node takes no new rooms from now on */
#include "mcu-control-private.h"
#include "mcu-cluster.h"

typedef struct
{
  SoupServerMessage *msg;
  McuControl *control;
} Pending;

static McuCluster *
cluster_of (McuControlRequest *req)
{
  McuCluster *cluster =
      mcu_daemon_get_cluster (mcu_control_get_daemon (req->data));

  if (cluster == NULL)
    mcu_control_reply_error (req, SOUP_STATUS_NOT_FOUND, "no-cluster",
        "this node is not in a cluster ([cluster] node is not set)");
  return cluster;
}

static void
on_listed (GObject *source, GAsyncResult *result, gpointer data)
{
  Pending *p = data;
  McuControlRequest req = { .msg = p->msg, .data = p->control };
  g_autoptr (GError) error = NULL;
  JsonNode *node =
      mcu_cluster_list_finish (MCU_CLUSTER (source), result, &error);

  if (node == NULL)
    mcu_control_reply_error (&req, SOUP_STATUS_SERVICE_UNAVAILABLE,
        "database-unavailable", "%s", error->message);
  else
    mcu_control_reply_json (&req, SOUP_STATUS_OK, node);
  soup_server_message_unpause (p->msg);
  g_object_unref (p->msg);
  g_object_unref (p->control);
  g_free (p);
}

void
mcu_control_cluster_get (McuControlRequest *req)
{
  McuCluster *cluster = cluster_of (req);
  Pending *p;

  if (cluster == NULL)
    return;
  p = g_new0 (Pending, 1);
  p->msg = g_object_ref (req->msg);
  p->control = g_object_ref (req->data);
  soup_server_message_pause (req->msg);
  mcu_cluster_list_async (cluster, NULL, on_listed, p);
}

void
mcu_control_node_drain (McuControlRequest *req)
{
  McuCluster *cluster = cluster_of (req);
  g_autoptr (JsonBuilder) b = json_builder_new ();

  if (cluster == NULL)
    return;
  mcu_cluster_drain (cluster);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "node");
  json_builder_add_string_value (b, mcu_cluster_get_node (cluster));
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (
      b, mcu_cluster_node_state_to_string (mcu_cluster_get_state (cluster)));
  json_builder_end_object (b);
  mcu_control_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}
