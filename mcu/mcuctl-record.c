/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcuctl: recordings.
 *
 *   mcuctl record start ROOM        POST /v1/rooms/ROOM/recordings
 *   mcuctl record stop ROOM [ID]    DELETE .../recordings/ID (ID: the
 *                                   room's running one)
 *   mcuctl record list              GET /v1/recordings */
#include "mcuctl-private.h"

#include <stdio.h>

static int
record_start (Ctl *ctl, const gchar *room)
{
  g_autofree gchar *path = g_strdup_printf ("/v1/rooms/%s/recordings", room);
  int code;
  g_autoptr (JsonNode) node = mcuctl_call (ctl, "POST", path, NULL, &code);
  JsonObject *o;

  if (node == NULL)
    return code;
  if (ctl->json) {
    g_autofree gchar *text = json_to_string (node, TRUE);

    printf ("%s\n", text);
    return EXIT_OK;
  }
  o = json_node_get_object (node);
  printf ("recording %s: %s (%s)\n", room,
      json_object_get_string_member_with_default (o, "id", "?"),
      json_object_get_string_member_with_default (o, "state", "?"));
  return EXIT_OK;
}

/* The id of @room's running recording, or NULL (printed why). */
static gchar *
running_id (Ctl *ctl, const gchar *room, int *code)
{
  g_autofree gchar *path = g_strdup_printf ("/v1/rooms/%s", room);
  g_autoptr (JsonNode) node = mcuctl_call (ctl, "GET", path, NULL, code);
  JsonNode *rec;

  if (node == NULL)
    return NULL;
  rec = json_object_get_member (json_node_get_object (node), "recording");
  if (rec == NULL || !JSON_NODE_HOLDS_OBJECT (rec)) {
    g_printerr ("mcuctl: room %s is not being recorded\n", room);
    *code = EXIT_REFUSED;
    return NULL;
  }
  return g_strdup (json_object_get_string_member_with_default (
      json_node_get_object (rec), "id", ""));
}

static int
record_stop (Ctl *ctl, const gchar *room, const gchar *id)
{
  g_autofree gchar *found = NULL, *path = NULL, *done = NULL;
  int code;

  if (id == NULL && !(id = found = running_id (ctl, room, &code)))
    return code;
  path = g_strdup_printf ("/v1/rooms/%s/recordings/%s", room, id);
  done = g_strdup_printf ("stopping recording %s", id);
  return mcuctl_change (ctl, "DELETE", path, NULL, done);
}

int
mcuctl_cmd_record (Ctl *ctl, gchar **args)
{
  static const gchar *const cols[] = { "id:ID", "room:ROOM", "state:STATE",
    "start:START", "duration:SECONDS", "size:BYTES", NULL };
  guint n = args ? g_strv_length (args) : 0;

  if (n == 2 && g_str_equal (args[0], "start"))
    return record_start (ctl, args[1]);
  if ((n == 2 || n == 3) && g_str_equal (args[0], "stop"))
    return record_stop (ctl, args[1], n == 3 ? args[2] : NULL);
  if (n == 1 && g_str_equal (args[0], "list"))
    return mcuctl_show (ctl, "/v1/recordings", "recordings", cols);
  g_printerr ("Usage: mcuctl [OPTION...] record start ROOM\n"
              "       mcuctl record stop ROOM [ID]\n"
              "       mcuctl record list\n");
  return EXIT_USAGE;
}
