/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcuctl: the cluster.
 *
 *   mcuctl cluster    GET /v1/cluster: nodes, then rooms and their node
 *   mcuctl drain      POST /v1/node/drain */
#include "mcuctl-private.h"

#include <stdio.h>

int
mcuctl_cmd_cluster (Ctl *ctl, gchar **args)
{
  static const gchar *const node_cols[] = { "name:NODE", "health:HEALTH",
    "state:STATE", "load:PEOPLE", "rooms:ROOMS", "heartbeat_age:HEARTBEAT",
    "sip_uri:SIP", NULL };
  static const gchar *const room_cols[] = { "room:ROOM", "node:NODE",
    "live:LIVE", NULL };
  int code;
  g_autoptr (JsonNode) node =
      mcuctl_call (ctl, "GET", "/v1/cluster", NULL, &code);
  JsonObject *o;

  if (node == NULL)
    return code;
  if (ctl->json) {
    g_autofree gchar *text = json_to_string (node, TRUE);

    printf ("%s\n", text);
    return EXIT_OK;
  }
  o = json_node_get_object (node);
  printf ("this node: %s\n\n",
      json_object_get_string_member_with_default (o, "node", "?"));
  mcuctl_print_table (json_object_get_array_member (o, "nodes"), node_cols);
  printf ("\n");
  mcuctl_print_table (json_object_get_array_member (o, "rooms"), room_cols);
  return EXIT_OK;
}

int
mcuctl_cmd_drain (Ctl *ctl, gchar **args)
{
  return mcuctl_change (ctl, "POST", "/v1/node/drain", NULL,
      "draining: no new rooms here; the calls go on to their end");
}
