/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcuctl: recordings.
 *
 *   mcuctl record start ROOM        POST /v1/rooms/ROOM/recordings
 *   mcuctl record stop ROOM [ID]    DELETE .../recordings/ID (ID: the
 *                                   room's running one)
 *   mcuctl record list              GET /v1/recordings
 *   mcuctl stream start ROOM URL    POST /v1/rooms/ROOM/streams {"url"}
 *   mcuctl stream start ROOM --hls NAME                    {"hls"}
 *   mcuctl stream stop ROOM ID      DELETE .../streams/ID
 *   mcuctl stream list ROOM         GET /v1/rooms/ROOM/streams */
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

int
mcuctl_cmd_stream (Ctl *ctl, gchar **args)
{
  static const gchar *const cols[] = { "id:ID", "state:STATE",
    "reconnects:RECONNECTS", "target:TARGET", "error:ERROR", NULL };
  guint n = args ? g_strv_length (args) : 0;
  g_autofree gchar *path = NULL, *done = NULL;
  g_autoptr (JsonBuilder) b = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *body = NULL;

  if (n >= 2)
    path = g_strdup_printf ("/v1/rooms/%s/streams", args[1]);
  if ((n == 3 || (n == 4 && g_str_equal (args[2], "--hls"))) &&
      g_str_equal (args[0], "start")) {
    b = json_builder_new ();
    json_builder_begin_object (b);
    json_builder_set_member_name (b, n == 4 ? "hls" : "url");
    json_builder_add_string_value (b, args[n - 1]);
    json_builder_end_object (b);
    root = json_builder_get_root (b);
    body = json_to_string (root, FALSE);
    done = g_strdup_printf ("streaming %s to %s", args[1], args[n - 1]);
    return mcuctl_change (ctl, "POST", path, body, done);
  }
  if (n == 3 && g_str_equal (args[0], "stop")) {
    g_autofree gchar *one = g_strdup_printf ("%s/%s", path, args[2]);

    done = g_strdup_printf ("stopping stream %s", args[2]);
    return mcuctl_change (ctl, "DELETE", one, NULL, done);
  }
  if (n == 2 && g_str_equal (args[0], "list"))
    return mcuctl_show (ctl, path, "streams", cols);
  g_printerr ("Usage: mcuctl [OPTION...] stream start ROOM URL\n"
              "       mcuctl stream start ROOM --hls NAME\n"
              "       mcuctl stream stop ROOM ID\n"
              "       mcuctl stream list ROOM\n");
  return EXIT_USAGE;
}
