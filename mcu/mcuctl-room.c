/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcuctl: a room's settings and a participant's volumes:
 *   create ROOM [OPTION...]   POST /v1/rooms
 *   set ROOM OPTION...        PATCH /v1/rooms/{room}
 *   volume ROOM ID VOLUME [--listen]
 *                             PATCH .../participants/{id} volume or
 *                             listen_volume
 * The options map one to one to the room fields of the control API; the
 * server checks the values (mcuctl prints its error). */
#include "mcuctl-private.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>

#define EXIT_USAGE 2

typedef enum
{
  OPT_STRING,
  OPT_UINT,
  OPT_BOOL, /* --NAME is true, --no-NAME false */
} OptKind;

static const struct
{
  const gchar *option; /* without "--" */
  const gchar *member;
  OptKind kind;
} room_options[] = {
  { "pin", "pin", OPT_STRING },
  { "moderator-pin", "moderator_pin", OPT_STRING },
  { "layout", "layout", OPT_STRING },
  { "max", "max_participants", OPT_UINT },
  { "locked", "locked", OPT_BOOL },
  { "wait-for-moderator", "wait_for_moderator", OPT_BOOL },
  { "end-when-moderator-leaves", "end_when_moderator_leaves", OPT_BOOL },
  { "mute-guests", "mute_guests", OPT_BOOL },
  { "announce-alone", "announce_alone", OPT_BOOL },
  { "announce-join-leave", "announce_join_leave", OPT_BOOL },
};

/* Adds option @args[*i] (and its value) to @b. FALSE after printing. */
static gboolean
add_room_option (JsonBuilder *b, gchar **args, guint *i)
{
  const gchar *arg = args[*i];
  gboolean negated;
  gchar *end = NULL;
  guint64 n;

  if (!g_str_has_prefix (arg, "--"))
    goto unknown;
  arg += 2;
  negated = g_str_has_prefix (arg, "no-");
  for (guint o = 0; o < G_N_ELEMENTS (room_options); o++) {
    const gchar *name = room_options[o].option;

    if (room_options[o].kind == OPT_BOOL) {
      if (!g_str_equal (negated ? arg + 3 : arg, name))
        continue;
      json_builder_set_member_name (b, room_options[o].member);
      json_builder_add_boolean_value (b, !negated);
      return TRUE;
    }
    if (!g_str_equal (arg, name))
      continue;
    if (args[*i + 1] == NULL) {
      g_printerr ("mcuctl: --%s needs a value\n", name);
      return FALSE;
    }
    arg = args[++*i];
    json_builder_set_member_name (b, room_options[o].member);
    if (room_options[o].kind == OPT_STRING) {
      json_builder_add_string_value (b, arg);
      return TRUE;
    }
    n = g_ascii_strtoull (arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || n > G_MAXINT64) {
      g_printerr ("mcuctl: --%s %s: not a number\n", name, arg);
      return FALSE;
    }
    json_builder_add_int_value (b, (gint64)n);
    return TRUE;
  }
unknown:
  g_printerr ("mcuctl: unknown option %s (room options: --pin PIN, "
              "--moderator-pin PIN, --layout L, --max N, and --[no-]locked, "
              "--[no-]wait-for-moderator, --[no-]end-when-moderator-leaves, "
              "--[no-]mute-guests, --[no-]announce-alone, "
              "--[no-]announce-join-leave)\n",
      args[*i]);
  return FALSE;
}

/* The JSON body of @name (nullable) and the options in @args, or NULL
 * after printing; @n_options counts them. */
static gchar *
room_body (const gchar *name, gchar **args, guint *n_options)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  *n_options = 0;
  json_builder_begin_object (b);
  if (name) {
    json_builder_set_member_name (b, "name");
    json_builder_add_string_value (b, name);
  }
  for (guint i = 0; args[i]; i++, ++*n_options)
    if (!add_room_option (b, args, &i))
      return NULL;
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

int
mcuctl_cmd_create (Ctl *ctl, gchar **args)
{
  guint n;
  g_autofree gchar *body = room_body (args[0], args + 1, &n);
  g_autofree gchar *done = g_strdup_printf ("created: room %s", args[0]);

  if (body == NULL)
    return EXIT_USAGE;
  return mcuctl_change (ctl, "POST", "/v1/rooms", body, done);
}

int
mcuctl_cmd_set (Ctl *ctl, gchar **args)
{
  guint n;
  g_autofree gchar *body = room_body (NULL, args + 1, &n);
  g_autofree gchar *path = g_strdup_printf ("/v1/rooms/%s", args[0]);
  g_autofree gchar *done = g_strdup_printf ("changed: room %s", args[0]);

  if (body == NULL)
    return EXIT_USAGE;
  if (n == 0) {
    g_printerr ("Usage: mcuctl [OPTION...] set ROOM OPTION...\n");
    return EXIT_USAGE;
  }
  return mcuctl_change (ctl, "PATCH", path, body, done);
}

int
mcuctl_cmd_volume (Ctl *ctl, gchar **args)
{
  gboolean listen = FALSE;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *body = NULL;
  g_autofree gchar *path = NULL;
  g_autofree gchar *done = NULL;
  gchar *end = NULL;
  gdouble volume = g_ascii_strtod (args[2], &end);

  for (guint i = 3; args[i]; i++) {
    if (g_str_equal (args[i], "--listen")) {
      listen = TRUE;
      continue;
    }
    g_printerr ("Usage: mcuctl [OPTION...] volume ROOM ID VOLUME "
                "[--listen]\n");
    return EXIT_USAGE;
  }
  if (*args[2] == '\0' || *end != '\0') {
    g_printerr (
        "mcuctl: volume %s: not a number (0 to 4, 1 = as is)\n", args[2]);
    return EXIT_USAGE;
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, listen ? "listen_volume" : "volume");
  json_builder_add_double_value (b, volume);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  body = json_to_string (root, FALSE);
  path = g_strdup_printf ("/v1/rooms/%s/participants/%s", args[0], args[1]);
  done = g_strdup_printf ("%s %s: participant %s in room %s",
      listen ? "listen volume" : "volume", args[2], args[1], args[0]);
  return mcuctl_change (ctl, "PATCH", path, body, done);
}
