/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcuctl: announce ROOM PROMPT and prompt ROOM ID PROMPT [--keep-mix]
 * (POST /v1/rooms/{room}/announcements and .../participants/{id}/prompts).
 * PROMPT is a prompt name, or a path ending in .wav under the room's prompt
 * directory. */
#include "mcuctl-private.h"

#include <json-glib/json-glib.h>
#include <stdio.h>

static gchar *
prompt_body (const gchar *prompt, gboolean keep_mix)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (
      b, g_str_has_suffix (prompt, ".wav") ? "file" : "prompt");
  json_builder_add_string_value (b, prompt);
  if (keep_mix) {
    json_builder_set_member_name (b, "keep_mix");
    json_builder_add_boolean_value (b, TRUE);
  }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

int
mcuctl_cmd_announce (Ctl *ctl, gchar **args)
{
  g_autofree gchar *path =
      g_strdup_printf ("/v1/rooms/%s/announcements", args[0]);
  g_autofree gchar *body = prompt_body (args[1], FALSE);
  g_autofree gchar *done =
      g_strdup_printf ("announcing %s in room %s", args[1], args[0]);

  return mcuctl_change (ctl, "POST", path, body, done);
}

int
mcuctl_cmd_prompt (Ctl *ctl, gchar **args)
{
  gboolean keep_mix = FALSE;
  g_autofree gchar *path = NULL;
  g_autofree gchar *body = NULL;
  g_autofree gchar *done = NULL;

  for (guint i = 3; args[i]; i++) {
    if (g_str_equal (args[i], "--keep-mix")) {
      keep_mix = TRUE;
      continue;
    }
    g_printerr ("Usage: mcuctl [OPTION...] prompt ROOM ID PROMPT "
                "[--keep-mix]\n");
    return 2; /* usage */
  }
  path = g_strdup_printf (
      "/v1/rooms/%s/participants/%s/prompts", args[0], args[1]);
  body = prompt_body (args[2], keep_mix);
  done = g_strdup_printf (
      "playing %s to participant %s in room %s", args[2], args[1], args[0]);
  return mcuctl_change (ctl, "POST", path, body, done);
}
