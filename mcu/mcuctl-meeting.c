/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcuctl: scheduled meetings.
 *
 *   mcuctl meetings [--ics]       GET /v1/meetings (or /v1/meetings.ics)
 *   mcuctl meeting add|show|cancel|extend|dial|import ...
 *                                 /v1/meetings/ID... */
#include "mcuctl-private.h"

#include <stdio.h>
#include <string.h>

/* "45m", "1h30m", "40s", "2h" or ISO 8601 ("PT45M"): ISO 8601, or NULL. */
static gchar *
iso_duration (const gchar *text)
{
  g_autoptr (GString) out = g_string_new ("PT");
  const gchar *p = text;

  if (text[0] == 'P')
    return g_strdup (text);
  while (*p) {
    gchar *end;
    guint64 n = g_ascii_strtoull (p, &end, 10);

    if (end == p || strchr ("hms", *end) == NULL || *end == '\0')
      return NULL;
    g_string_append_printf (
        out, "%" G_GUINT64_FORMAT "%c", n, g_ascii_toupper (*end));
    p = end + 1;
  }
  return out->len > 2 ? g_string_free (g_steal_pointer (&out), FALSE) : NULL;
}

/* "2026-12-07 09:00" in @tz (or RFC 3339 as is): RFC 3339 with the zone's
 * offset, or NULL. */
static gchar *
rfc3339_start (const gchar *text, const gchar *tz_name)
{
  g_autoptr (GTimeZone) tz = NULL;
  g_autoptr (GDateTime) t = NULL;
  gint y, mo, d, h, mi, s = 0;

  if (strchr (text, 'T'))
    return g_strdup (text);
  tz = g_time_zone_new_identifier (tz_name ? tz_name : "UTC");
  if (tz == NULL ||
      sscanf (text, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &s) < 5)
    return NULL;
  t = g_date_time_new (tz, y, mo, d, h, mi, s);
  return t ? g_date_time_format (t, "%Y-%m-%dT%H:%M:%S%:z") : NULL;
}

/* The value after --NAME at args[*i] (moves *i); NULL after printing. */
static const gchar *
option_value (gchar **args, guint *i)
{
  if (args[*i + 1] == NULL) {
    g_printerr ("mcuctl: %s needs a value\n", args[*i]);
    return NULL;
  }
  *i += 1;
  return args[*i];
}

/* A duration option into @b as ISO 8601; FALSE after printing. */
static gboolean
add_duration (JsonBuilder *b, const gchar *member, const gchar *value)
{
  g_autofree gchar *iso = iso_duration (value);

  if (iso == NULL) {
    g_printerr (
        "mcuctl: %s: not a duration like 45m, 1h30m, 40s or PT45M\n", value);
    return FALSE;
  }
  json_builder_set_member_name (b, member);
  json_builder_add_string_value (b, iso);
  return TRUE;
}

static const gchar *const meeting_string_options[][2] = {
  { "--subject", "subject" },
  { "--room", "room" },
  { "--tz", "timezone" },
  { "--rrule", "rrule" },
  { "--pin", "pin" },
  { "--moderator-pin", "moderator_pin" },
  { "--layout", "layout" },
};

static const gchar *const meeting_duration_options[][2] = {
  { "--duration", "duration" },
  { "--early-join", "early_join" },
  { "--grace", "grace" },
  { "--retry-interval", "dial_retry_interval" },
};

/* meeting add --subject S --room R --start T [--tz Z] --duration D ...:
 * the JSON body, or NULL after printing. */
static gchar *
meeting_body (gchar **args)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GPtrArray) attendees = g_ptr_array_new ();
  g_autoptr (GPtrArray) warnings = g_ptr_array_new ();
  g_autoptr (JsonNode) root = NULL;
  const gchar *start = NULL, *tz = NULL, *v;
  g_autofree gchar *when = NULL;

  json_builder_begin_object (b);
  for (guint i = 0; args[i]; i++) {
    gboolean done = FALSE;

    for (guint o = 0; o < G_N_ELEMENTS (meeting_string_options); o++)
      if (g_str_equal (args[i], meeting_string_options[o][0])) {
        if (!(v = option_value (args, &i)))
          return NULL;
        json_builder_set_member_name (b, meeting_string_options[o][1]);
        json_builder_add_string_value (b, v);
        if (g_str_equal (args[i - 1], "--tz"))
          tz = v;
        done = TRUE;
      }
    for (guint o = 0; !done && o < G_N_ELEMENTS (meeting_duration_options); o++)
      if (g_str_equal (args[i], meeting_duration_options[o][0])) {
        if (!(v = option_value (args, &i)) ||
            !add_duration (b, meeting_duration_options[o][1], v))
          return NULL;
        done = TRUE;
      }
    if (done)
      continue;
    if (g_str_equal (args[i], "--start") && (v = option_value (args, &i)))
      start = v;
    else if (g_str_equal (args[i], "--attendee") &&
             (v = option_value (args, &i)))
      g_ptr_array_add (attendees, (gpointer)v);
    else if (g_str_equal (args[i], "--warning") &&
             (v = option_value (args, &i)))
      g_ptr_array_add (warnings, (gpointer)v);
    else if ((g_str_equal (args[i], "--retries") ||
                 g_str_equal (args[i], "--max")) &&
             args[i + 1]) {
      json_builder_set_member_name (b, g_str_equal (args[i], "--retries")
                                           ? "dial_retries"
                                           : "max_participants");
      json_builder_add_int_value (b, g_ascii_strtoll (args[++i], NULL, 10));
    } else {
      g_printerr (
          "mcuctl: meeting add: unknown or incomplete option %s\n", args[i]);
      return NULL;
    }
  }
  if (start == NULL || !(when = rfc3339_start (start, tz))) {
    g_printerr ("mcuctl: meeting add: --start \"YYYY-MM-DD HH:MM\" (in --tz) "
                "is required\n");
    return NULL;
  }
  json_builder_set_member_name (b, "start");
  json_builder_add_string_value (b, when);
  json_builder_set_member_name (b, "attendees");
  json_builder_begin_array (b);
  for (guint i = 0; i < attendees->len; i++) {
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "uri");
    json_builder_add_string_value (b, g_ptr_array_index (attendees, i));
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  if (warnings->len) {
    json_builder_set_member_name (b, "warnings");
    json_builder_begin_array (b);
    for (guint i = 0; i < warnings->len; i++) {
      g_autofree gchar *iso = iso_duration (g_ptr_array_index (warnings, i));

      if (iso == NULL) {
        g_printerr ("mcuctl: --warning %s: not a duration\n",
            (const gchar *)g_ptr_array_index (warnings, i));
        return NULL;
      }
      json_builder_add_string_value (b, iso);
    }
    json_builder_end_array (b);
  }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

int
mcuctl_cmd_meetings (Ctl *ctl, gchar **args)
{
  static const gchar *const cols[] = { "id:ID", "subject:SUBJECT", "room:ROOM",
    "start:START", "timezone:TZ", "duration:DURATION", "rrule:RRULE",
    "phase:NOW", NULL };
  int code;
  g_autoptr (JsonNode) node = NULL;
  JsonArray *rows;

  if (args[0] && g_str_equal (args[0], "--ics"))
    return mcuctl_print_raw (ctl, "/v1/meetings.ics");
  if (args[0]) {
    g_printerr ("Usage: mcuctl [OPTION...] meetings [--ics]\n");
    return EXIT_USAGE;
  }
  node = mcuctl_call (ctl, "GET", "/v1/meetings", NULL, &code);
  if (node == NULL)
    return code;
  if (ctl->json) {
    mcuctl_print_json (node);
    return EXIT_OK;
  }
  rows = json_object_get_array_member (json_node_get_object (node), "meetings");
  for (guint i = 0; i < json_array_get_length (rows); i++) {
    JsonObject *m = json_array_get_object_element (rows, i);
    JsonObject *state = json_object_get_object_member (m, "state");

    json_object_set_string_member (m, "phase",
        state ? json_object_get_string_member_with_default (state, "phase", "-")
              : "-");
  }
  mcuctl_print_table (rows, cols);
  return EXIT_OK;
}

static int
meeting_import (Ctl *ctl, const gchar *file)
{
  g_autofree gchar *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;
  int code;

  if (!g_file_get_contents (file, &text, NULL, &error)) {
    g_printerr ("mcuctl: %s\n", error->message);
    return EXIT_USAGE;
  }
  ctl->content_type = "text/calendar";
  node = mcuctl_call (ctl, "POST", "/v1/meetings", text, &code);
  if (node == NULL)
    return code;
  if (ctl->json) {
    mcuctl_print_json (node);
  } else {
    JsonArray *list =
        json_object_get_array_member (json_node_get_object (node), "meetings");

    for (guint i = 0; list && i < json_array_get_length (list); i++)
      printf ("imported: meeting %s\n",
          json_object_get_string_member (
              json_array_get_object_element (list, i), "id"));
  }
  return EXIT_OK;
}

/* meeting add|show|cancel|extend|dial|import ... */
int
mcuctl_cmd_meeting (Ctl *ctl, gchar **args)
{
  const gchar *verb = args[0];
  g_autofree gchar *path = NULL;
  g_autofree gchar *body = NULL;
  g_autofree gchar *done = NULL;

  if (verb && g_str_equal (verb, "add")) {
    if (!(body = meeting_body (args + 1)))
      return EXIT_USAGE;
    return mcuctl_change (ctl, "POST", "/v1/meetings", body, "meeting booked");
  }
  if (verb == NULL || args[1] == NULL)
    goto usage;
  if (g_str_equal (verb, "import"))
    return meeting_import (ctl, args[1]);
  path = g_strdup_printf ("/v1/meetings/%s", args[1]);
  if (g_str_equal (verb, "show") && args[2] == NULL) {
    g_autoptr (JsonNode) node = NULL;
    int code;

    if (!(node = mcuctl_call (ctl, "GET", path, NULL, &code)))
      return code;
    if (ctl->json)
      mcuctl_print_json (node);
    else
      mcuctl_print_object (json_node_get_object (node));
    return EXIT_OK;
  }
  if (g_str_equal (verb, "cancel")) {
    if (args[2] && g_str_equal (args[2], "--occurrence") && args[3]) {
      g_autofree gchar *escaped = g_uri_escape_string (args[3], NULL, FALSE);
      g_autofree gchar *one =
          g_strdup_printf ("%s?occurrence=%s", path, escaped);

      done = g_strdup_printf ("cancelled: the occurrence %s", args[3]);
      return mcuctl_change (ctl, "DELETE", one, NULL, done);
    }
    if (args[2])
      goto usage;
    done = g_strdup_printf ("cancelled: meeting %s", args[1]);
    return mcuctl_change (ctl, "DELETE", path, NULL, done);
  }
  if (g_str_equal (verb, "extend")) {
    const gchar *minutes = "10";
    g_autofree gchar *extend = g_strconcat (path, "/extend", NULL);

    if (args[2] && g_str_equal (args[2], "--minutes") && args[3])
      minutes = args[3];
    else if (args[2])
      goto usage;
    body = g_strdup_printf ("{\"minutes\": %" G_GINT64_FORMAT "}",
        g_ascii_strtoll (minutes, NULL, 10));
    done = g_strdup_printf (
        "extended: meeting %s by %s minute(s)", args[1], minutes);
    return mcuctl_change (ctl, "POST", extend, body, done);
  }
  if (g_str_equal (verb, "dial") && args[2]) {
    g_autofree gchar *dial =
        g_strdup_printf ("%s/attendees/%s/dial", path, args[2]);

    done = g_strdup_printf ("dialing attendee %s", args[2]);
    return mcuctl_change (ctl, "POST", dial, NULL, done);
  }
usage:
  g_printerr (
      "Usage: mcuctl [OPTION...] meeting add --subject S --room ROOM "
      "--start \"YYYY-MM-DD HH:MM\" --tz ZONE --duration 45m [--rrule RULE] "
      "[--attendee URI|USER]... [--pin PIN] [--moderator-pin PIN] "
      "[--early-join 5m] [--grace 2m] [--warning 5m]... [--retries N] "
      "[--retry-interval 60s] [--max N] [--layout L]\n"
      "       mcuctl meeting show|cancel ID [--occurrence START]\n"
      "       mcuctl meeting extend ID [--minutes N]\n"
      "       mcuctl meeting dial ID ATTENDEE-ID\n"
      "       mcuctl meeting import FILE.ics\n");
  return EXIT_USAGE;
}
