/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcuctl: the command-line client of mcu's control socket.
 *
 *   mcuctl [--socket PATH | --url URL --token TOKEN] [--json] COMMAND ...
 *
 * Exit codes: 0 done; 1 the server refused (4xx/5xx: the error is printed);
 * 2 usage error; 3 cannot reach the server. */
#include "mcu-build-config.h"
#include "mcuctl-private.h"

#include <gio/gunixsocketaddress.h>
#include <stdio.h>
#include <string.h>

typedef int (*CommandFunc) (Ctl *ctl, gchar **args);

#define VARIADIC G_MAXUINT /* a command that checks its own arguments */

typedef struct
{
  const gchar *name;
  guint n_args; /* required positional arguments */
  const gchar *usage;
  const gchar *help;
  CommandFunc run;
  gboolean options; /* takes options after its arguments, parses them */
} Command;

/* ---- HTTP ---- */

/* A Unix socket's connect fails at once with EAGAIN while the server's
 * listen backlog is full (a burst of clients), where a blocking client
 * would wait in connect for room: such a request is sent again, every
 * BACKLOG_RETRY_US, for up to BACKLOG_WAIT_US. Only the connect fails so,
 * before anything of the request was sent; any other error is final. */
#define BACKLOG_RETRY_US (20 * 1000)
#define BACKLOG_WAIT_US  (10 * G_USEC_PER_SEC)

static gboolean
backlog_full (const GError *error, gint64 since)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) ||
      g_get_monotonic_time () - since > BACKLOG_WAIT_US)
    return FALSE;
  g_usleep (BACKLOG_RETRY_US);
  return TRUE;
}

/* soup_session_send, waiting for room in the backlog (every request). */
static GInputStream *
mcuctl_send (Ctl *ctl, SoupMessage *msg, GError **error)
{
  gint64 since = g_get_monotonic_time ();
  g_autoptr (GError) local = NULL;
  GInputStream *in;

  while ((in = soup_session_send (ctl->session, msg, NULL, &local)) == NULL &&
         backlog_full (local, since))
    g_clear_error (&local);
  if (in == NULL)
    g_propagate_error (error, g_steal_pointer (&local));
  return in;
}

/* Sends one request; returns the status (0 when unreachable) and the body. */
static guint
request (Ctl *ctl, const gchar *method, const gchar *path, const gchar *body,
    gchar **reply)
{
  g_autofree gchar *url = g_strconcat (ctl->base, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();

  *reply = NULL;
  if (msg == NULL) {
    g_printerr ("mcuctl: bad URL %s\n", url);
    return 0;
  }
  if (ctl->token) {
    g_autofree gchar *auth = g_strdup_printf ("Bearer %s", ctl->token);

    soup_message_headers_replace (
        soup_message_get_request_headers (msg), "Authorization", auth);
  }
  if (body) {
    g_autoptr (GBytes) b = g_bytes_new (body, strlen (body));

    soup_message_set_request_body_from_bytes (
        msg, ctl->content_type ? ctl->content_type : "application/json", b);
  }
  if ((in = mcuctl_send (ctl, msg, &error)) == NULL ||
      g_output_stream_splice (out, in,
          G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE |
              G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
          NULL, &error) < 0) {
    g_printerr ("mcuctl: cannot reach the server: %s\n", error->message);
    return 0;
  }
  bytes = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
  *reply = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  return soup_message_get_status (msg);
}

/* Prints the server's error for a failed request; returns the exit code. */
static int
failed (guint status, const gchar *reply)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o;

  if (status == 0)
    return EXIT_UNREACHABLE;
  if (reply && json_parser_load_from_data (parser, reply, -1, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)) &&
      (o = json_node_get_object (json_parser_get_root (parser))) &&
      json_object_has_member (o, "error")) {
    JsonObject *e = json_object_get_object_member (o, "error");

    g_printerr ("mcuctl: %u %s: %s\n", status,
        json_object_get_string_member_with_default (e, "code", ""),
        json_object_get_string_member_with_default (e, "message", ""));
  } else {
    g_printerr ("mcuctl: the server answered %u\n", status);
  }
  return EXIT_REFUSED;
}

/* GET/POST/... and the parsed JSON reply; the exit code in *code. */
JsonNode *
mcuctl_call (Ctl *ctl, const gchar *method, const gchar *path,
    const gchar *body, int *code)
{
  g_autofree gchar *reply = NULL;
  guint status = request (ctl, method, path, body, &reply);
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (status < 200 || status >= 300) {
    *code = failed (status, reply);
    return NULL;
  }
  *code = EXIT_OK;
  if (reply == NULL || *reply == '\0' ||
      !json_parser_load_from_data (parser, reply, -1, NULL))
    return json_node_new (JSON_NODE_NULL);
  return json_node_ref (json_parser_get_root (parser));
}

static void
print_json (JsonNode *node)
{
  g_autofree gchar *text = json_to_string (node, TRUE);

  printf ("%s\n", text);
}

/* ---- tables ---- */

static const gchar *
member_text (JsonObject *o, const gchar *name, gchar **buf)
{
  JsonNode *n = json_object_get_member (o, name);

  g_clear_pointer (buf, g_free);
  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return "-";
  if (JSON_NODE_HOLDS_VALUE (n)) {
    switch (json_node_get_value_type (n)) {
      case G_TYPE_BOOLEAN:
        return json_node_get_boolean (n) ? "yes" : "no";
      case G_TYPE_INT64:
        return *buf =
                   g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (n));
      case G_TYPE_DOUBLE:
        return *buf = g_strdup_printf ("%.2f", json_node_get_double (n));
      default:
        return json_node_get_string (n);
    }
  }
  return *buf = json_to_string (n, FALSE);
}

/* Prints @rows (objects) as a table of @columns ("member:HEADER"). */
static void
print_table (JsonArray *rows, const gchar *const *columns)
{
  guint n_cols = g_strv_length ((gchar **)columns);
  g_autofree gsize *width = g_new0 (gsize, n_cols);
  g_autoptr (GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);
  guint n_rows = json_array_get_length (rows);

  for (guint c = 0; c < n_cols; c++)
    width[c] = strlen (strchr (columns[c], ':') + 1);
  for (guint r = 0; r < n_rows; r++) {
    JsonObject *o = json_array_get_object_element (rows, r);

    for (guint c = 0; c < n_cols; c++) {
      g_autofree gchar *member =
          g_strndup (columns[c], strchr (columns[c], ':') - columns[c]);
      g_autofree gchar *buf = NULL;
      gchar *text = g_strdup (member_text (o, member, &buf));

      width[c] = MAX (width[c], (gsize)g_utf8_strlen (text, -1));
      g_ptr_array_add (cells, text);
    }
  }
  for (guint c = 0; c < n_cols; c++)
    printf ("%-*s%s", (int)width[c], strchr (columns[c], ':') + 1,
        c + 1 < n_cols ? "  " : "\n");
  for (guint r = 0; r < n_rows; r++)
    for (guint c = 0; c < n_cols; c++) {
      const gchar *text = g_ptr_array_index (cells, r * n_cols + c);
      int pad = (int)width[c] - (int)g_utf8_strlen (text, -1);

      printf ("%s%*s%s", text, c + 1 < n_cols ? pad : 0, "",
          c + 1 < n_cols ? "  " : "\n");
    }
}

static void
print_object (JsonObject *o)
{
  g_autoptr (GList) members = json_object_get_members (o);

  for (GList *l = members; l; l = l->next) {
    g_autofree gchar *buf = NULL;

    printf (
        "%-18s %s\n", (const gchar *)l->data, member_text (o, l->data, &buf));
  }
}

void
mcuctl_print_table (JsonArray *rows, const gchar *const *columns)
{
  print_table (rows, columns);
}

void
mcuctl_print_json (JsonNode *node)
{
  print_json (node);
}

void
mcuctl_print_object (JsonObject *o)
{
  print_object (o);
}

/* ---- commands ---- */

int
mcuctl_show (Ctl *ctl, const gchar *path, const gchar *list_member,
    const gchar *const *columns)
{
  int code;
  g_autoptr (JsonNode) node = mcuctl_call (ctl, "GET", path, NULL, &code);
  JsonObject *o;

  if (node == NULL)
    return code;
  if (ctl->json) {
    print_json (node);
    return EXIT_OK;
  }
  o = json_node_get_object (node);
  if (list_member)
    print_table (json_object_get_array_member (o, list_member), columns);
  else
    print_object (o);
  return EXIT_OK;
}

static int
cmd_rooms (Ctl *ctl, gchar **args)
{
  static const gchar *const cols[] = { "name:ROOM", "participants:PEOPLE",
    "max_participants:MAX", "locked:LOCKED", "layout:LAYOUT", "has_pin:PIN",
    NULL };

  return mcuctl_show (ctl, "/v1/rooms", "rooms", cols);
}

static int
cmd_room (Ctl *ctl, gchar **args)
{
  g_autofree gchar *path = g_strdup_printf ("/v1/rooms/%s", args[0]);

  return mcuctl_show (ctl, path, NULL, NULL);
}

static int
cmd_participants (Ctl *ctl, gchar **args)
{
  static const gchar *const cols[] = { "id:ID", "display:NAME", "uri:URI",
    "muted:MUTED", "deaf:DEAF", "talking:TALKING", "on_hold:HOLD",
    "joined_at:JOINED", NULL };
  g_autofree gchar *path =
      g_strdup_printf ("/v1/rooms/%s/participants", args[0]);

  return mcuctl_show (ctl, path, "participants", cols);
}

int
mcuctl_change (Ctl *ctl, const gchar *method, const gchar *path,
    const gchar *body, const gchar *done)
{
  int code;
  g_autoptr (JsonNode) node = mcuctl_call (ctl, method, path, body, &code);

  if (node == NULL)
    return code;
  if (ctl->json && !JSON_NODE_HOLDS_NULL (node))
    print_json (node);
  else if (!ctl->json)
    printf ("%s\n", done);
  return EXIT_OK;
}

static int
patch_participant (Ctl *ctl, gchar **args, const gchar *body, const gchar *what)
{
  g_autofree gchar *path =
      g_strdup_printf ("/v1/rooms/%s/participants/%s", args[0], args[1]);
  g_autofree gchar *done =
      g_strdup_printf ("%s: participant %s in room %s", what, args[1], args[0]);

  return mcuctl_change (ctl, "PATCH", path, body, done);
}

static int
cmd_mute (Ctl *ctl, gchar **args)
{
  return patch_participant (ctl, args, "{\"muted\": true}", "muted");
}

static int
cmd_unmute (Ctl *ctl, gchar **args)
{
  return patch_participant (ctl, args, "{\"muted\": false}", "unmuted");
}

static int
cmd_deaf (Ctl *ctl, gchar **args)
{
  return patch_participant (ctl, args, "{\"deaf\": true}", "deaf");
}

static int
cmd_undeaf (Ctl *ctl, gchar **args)
{
  return patch_participant (ctl, args, "{\"deaf\": false}", "undeaf");
}

static int
cmd_kick (Ctl *ctl, gchar **args)
{
  g_autofree gchar *path =
      g_strdup_printf ("/v1/rooms/%s/participants/%s", args[0], args[1]);
  g_autofree gchar *done =
      g_strdup_printf ("kicked: participant %s from room %s", args[1], args[0]);

  return mcuctl_change (ctl, "DELETE", path, NULL, done);
}

static int
lock_room (Ctl *ctl, const gchar *room, gboolean lock)
{
  g_autofree gchar *path = g_strdup_printf ("/v1/rooms/%s", room);
  g_autofree gchar *done =
      g_strdup_printf ("%s: room %s", lock ? "locked" : "unlocked", room);

  return mcuctl_change (ctl, "PATCH", path,
      lock ? "{\"locked\": true}" : "{\"locked\": false}", done);
}

static int
cmd_lock (Ctl *ctl, gchar **args)
{
  return lock_room (ctl, args[0], TRUE);
}

static int
cmd_unlock (Ctl *ctl, gchar **args)
{
  return lock_room (ctl, args[0], FALSE);
}

gchar *
mcuctl_json_body (const gchar *first_name, ...)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  va_list ap;

  json_builder_begin_object (b);
  va_start (ap, first_name);
  for (const gchar *name = first_name; name;
       name = va_arg (ap, const gchar *)) {
    const gchar *value = va_arg (ap, const gchar *);

    if (value == NULL)
      continue;
    json_builder_set_member_name (b, name);
    json_builder_add_string_value (b, value);
  }
  va_end (ap);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static int
cmd_layout (Ctl *ctl, gchar **args)
{
  g_autofree gchar *path = g_strdup_printf ("/v1/rooms/%s", args[0]);
  g_autofree gchar *body = mcuctl_json_body ("layout", args[1], NULL);
  g_autofree gchar *done =
      g_strdup_printf ("layout of room %s: %s", args[0], args[1]);

  return mcuctl_change (ctl, "PATCH", path, body, done);
}

static int
cmd_close (Ctl *ctl, gchar **args)
{
  g_autofree gchar *path = g_strdup_printf ("/v1/rooms/%s", args[0]);
  g_autofree gchar *done = g_strdup_printf ("closed: room %s", args[0]);

  return mcuctl_change (ctl, "DELETE", path, NULL, done);
}

/* ---- dial --wait: the outcome from the event stream ---- */

typedef struct
{
  GMainLoop *loop;
  GDataInputStream *data;
  const gchar *id;   /* the dial's */
  JsonNode *outcome; /* (nullable) its dial-answered/dial-failed event */
  gboolean timed_out;
} DialWait;

/* GET /v1/events, opened before the dial so its outcome cannot slip by. */
static GInputStream *
open_events (Ctl *ctl, int *code)
{
  g_autofree gchar *url = g_strconcat (ctl->base, "/v1/events", NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GError) error = NULL;
  GInputStream *in;

  if (ctl->token) {
    g_autofree gchar *auth = g_strdup_printf ("Bearer %s", ctl->token);

    soup_message_headers_replace (
        soup_message_get_request_headers (msg), "Authorization", auth);
  }
  in = mcuctl_send (ctl, msg, &error);
  if (in == NULL) {
    g_printerr ("mcuctl: cannot reach the server: %s\n", error->message);
    *code = EXIT_UNREACHABLE;
    return NULL;
  }
  if (soup_message_get_status (msg) != SOUP_STATUS_OK) {
    *code = failed (soup_message_get_status (msg), NULL);
    g_object_unref (in);
    return NULL;
  }
  return in;
}

/* The event in an SSE "data:" line if it is the outcome of dial @id. */
static JsonNode *
dial_outcome (const gchar *line, const gchar *id)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o;
  const gchar *type;

  if (!g_str_has_prefix (line, "data: ") ||
      !json_parser_load_from_data (parser, line + 6, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  o = json_node_get_object (json_parser_get_root (parser));
  type = json_object_get_string_member_with_default (o, "type", "");
  if ((!g_str_equal (type, "dial-answered") &&
          !g_str_equal (type, "dial-failed")) ||
      g_strcmp0 (json_object_get_string_member_with_default (o, "dial_id", ""),
          id) != 0)
    return NULL;
  return json_node_ref (json_parser_get_root (parser));
}

static void
on_event_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DialWait *w = user_data;
  g_autofree gchar *line = g_data_input_stream_read_line_finish_utf8 (
      G_DATA_INPUT_STREAM (source), result, NULL, NULL);

  if (line == NULL) { /* the server went away */
    g_main_loop_quit (w->loop);
    return;
  }
  if ((w->outcome = dial_outcome (line, w->id))) {
    g_main_loop_quit (w->loop);
    return;
  }
  g_data_input_stream_read_line_async (
      w->data, G_PRIORITY_DEFAULT, NULL, on_event_line, w);
}

static gboolean
on_wait_timeout (gpointer user_data)
{
  DialWait *w = user_data;

  w->timed_out = TRUE;
  g_main_loop_quit (w->loop);
  return G_SOURCE_REMOVE;
}

/* Exit 0 when the dial was answered, 1 with the SIP status when it failed. */
static int
wait_for_dial (Ctl *ctl, GInputStream *events, const gchar *id, guint timeout)
{
  DialWait w = { 0 };
  JsonObject *o;
  guint timer;

  w.loop = g_main_loop_new (NULL, FALSE);
  w.data = g_data_input_stream_new (events);
  w.id = id;
  g_data_input_stream_read_line_async (
      w.data, G_PRIORITY_DEFAULT, NULL, on_event_line, &w);
  timer = g_timeout_add_seconds (timeout, on_wait_timeout, &w);
  g_main_loop_run (w.loop);
  if (!w.timed_out)
    g_source_remove (timer);
  g_main_loop_unref (w.loop);
  g_object_unref (w.data);
  if (w.outcome == NULL) {
    g_printerr ("mcuctl: dial %s: %s\n", id,
        w.timed_out ? "no answer and no failure in time"
                    : "the server closed the event stream");
    return w.timed_out ? EXIT_REFUSED : EXIT_UNREACHABLE;
  }
  o = json_node_get_object (w.outcome);
  if (ctl->json)
    print_json (w.outcome);
  if (g_str_equal (json_object_get_string_member (o, "type"), "dial-failed")) {
    g_printerr ("mcuctl: dial %s failed: %" G_GINT64_FORMAT " %s\n", id,
        json_object_get_int_member_with_default (o, "status", 0),
        json_object_get_string_member_with_default (o, "reason", ""));
    json_node_unref (w.outcome);
    return EXIT_REFUSED;
  }
  if (!ctl->json) {
    JsonObject *who = json_object_has_member (o, "participant")
                          ? json_object_get_object_member (o, "participant")
                          : NULL;

    printf ("answered: %s is participant %" G_GINT64_FORMAT
            " in room %s (dial id %s)\n",
        who ? json_object_get_string_member_with_default (who, "display", "")
            : "",
        who ? json_object_get_int_member_with_default (who, "id", 0) : 0,
        json_object_get_string_member_with_default (o, "room", ""), id);
  }
  json_node_unref (w.outcome);
  return EXIT_OK;
}

static int
cmd_dial (Ctl *ctl, gchar **args)
{
  gboolean wait = FALSE;
  gchar *display = NULL;
  g_autofree gchar *dtmf = NULL;
  gint timeout = 120;
  GOptionEntry entries[] = {
    { "wait", 'w', 0, G_OPTION_ARG_NONE, &wait, NULL, NULL },
    { "display", 'd', 0, G_OPTION_ARG_STRING, &display, NULL, NULL },
    { "dtmf", 0, 0, G_OPTION_ARG_STRING, &dtmf, NULL, NULL },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) opts = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GInputStream) events = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autofree gchar *path = NULL, *body = NULL, *id = NULL;
  g_auto (GStrv) argv = NULL;
  int code;

  /* argv[0] for GOptionContext, then what follows "dial" */
  argv = g_new0 (gchar *, g_strv_length (args) + 2);
  argv[0] = g_strdup ("dial");
  for (guint i = 0; args[i]; i++)
    argv[i + 1] = g_strdup (args[i]);
  g_option_context_set_help_enabled (opts, FALSE);
  g_option_context_add_main_entries (opts, entries, NULL);
  if (!g_option_context_parse_strv (opts, &argv, &error) ||
      g_strv_length (argv) != 3 || timeout <= 0) {
    if (error)
      g_printerr ("mcuctl: %s\n", error->message);
    g_printerr ("Usage: mcuctl [OPTION...] dial ROOM SIP-URI|USER "
                "[--display NAME] [--dtmf DIGITS] [--wait [--timeout "
                "SECONDS]]\n");
    g_free (display);
    return EXIT_USAGE;
  }
  path = g_strdup_printf ("/v1/rooms/%s/participants", argv[1]);
  body =
      mcuctl_json_body ("uri", argv[2], "display", display, "dtmf", dtmf, NULL);
  g_free (display);
  if (wait) {
    soup_session_set_timeout (ctl->session, 0); /* the stream may idle */
    if (!(events = open_events (ctl, &code)))
      return code;
  }
  if (!(node = mcuctl_call (ctl, "POST", path, body, &code)))
    return code;
  if (JSON_NODE_HOLDS_OBJECT (node))
    id = g_strdup (json_object_get_string_member_with_default (
        json_node_get_object (node), "dial_id", ""));
  if (!wait || id == NULL || *id == '\0') {
    if (ctl->json)
      print_json (node);
    else
      printf ("dialling %s into room %s: dial id %s\n", argv[2], argv[1],
          id ? id : "?");
    return EXIT_OK;
  }
  return wait_for_dial (ctl, events, id, (guint)timeout);
}

static int
cmd_registrations (Ctl *ctl, gchar **args)
{
  static const gchar *const cols[] = { "user:USER", "contact:CONTACT",
    "expires:EXPIRES", "user_agent:USER-AGENT", NULL };

  return mcuctl_show (ctl, "/v1/registrations", "registrations", cols);
}

static int
cmd_info (Ctl *ctl, gchar **args)
{
  return mcuctl_show (ctl, "/v1/info", NULL, NULL);
}

static int
cmd_health (Ctl *ctl, gchar **args)
{
  return mcuctl_show (ctl, "/v1/health", NULL, NULL);
}

/* Streams GET /v1/events until the server goes away or ^C. */
static int
cmd_events (Ctl *ctl, gchar **args)
{
  g_autofree gchar *url = g_strconcat (ctl->base, "/v1/events", NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GDataInputStream) data = NULL;
  g_autoptr (GError) error = NULL;
  gchar *line;

  if (ctl->token) {
    g_autofree gchar *auth = g_strdup_printf ("Bearer %s", ctl->token);

    soup_message_headers_replace (
        soup_message_get_request_headers (msg), "Authorization", auth);
  }
  in = mcuctl_send (ctl, msg, &error);
  if (in == NULL) {
    g_printerr ("mcuctl: cannot reach the server: %s\n", error->message);
    return EXIT_UNREACHABLE;
  }
  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    return failed (soup_message_get_status (msg), NULL);
  data = g_data_input_stream_new (in);
  while ((line = g_data_input_stream_read_line_utf8 (data, NULL, NULL, NULL))) {
    if (g_str_has_prefix (line, "data: ")) {
      if (ctl->json) {
        printf ("%s\n", line + 6);
      } else {
        g_autoptr (JsonParser) p = json_parser_new ();

        if (json_parser_load_from_data (p, line + 6, -1, NULL)) {
          JsonObject *o = json_node_get_object (json_parser_get_root (p));
          JsonObject *who =
              json_object_has_member (o, "participant")
                  ? json_object_get_object_member (o, "participant")
                  : NULL;

          printf ("%s  %-14s %s%s%s\n",
              json_object_get_string_member_with_default (o, "time", ""),
              json_object_get_string_member_with_default (o, "type", ""),
              json_object_get_string_member_with_default (o, "room", ""),
              who ? "  " : "",
              who ? json_object_get_string_member_with_default (
                        who, "display", "")
                  : "");
        }
      }
      fflush (stdout);
    }
    g_free (line);
  }
  return EXIT_OK;
}

/* ---- raw bodies ---- */

int
mcuctl_print_raw (Ctl *ctl, const gchar *path)
{
  g_autofree gchar *reply = NULL;
  guint status = request (ctl, "GET", path, NULL, &reply);

  if (status < 200 || status >= 300)
    return failed (status, reply);
  fputs (reply ? reply : "", stdout);
  return EXIT_OK;
}

static const Command commands[] = {
  { "rooms", 0, "rooms", "list the open rooms", cmd_rooms },
  { "room", 1, "room ROOM", "show one room", cmd_room },
  { "create", 1, "create ROOM [OPTION...]",
      "open a persistent room (options as for set)", mcuctl_cmd_create, TRUE },
  { "set", 1, "set ROOM OPTION...",
      "change a room's PINs, layout, limit, lock and role rules (options: "
      "see mcuctl(1))",
      mcuctl_cmd_set, TRUE },
  { "close", 1, "close ROOM", "hang up everyone and close the room",
      cmd_close },
  { "participants", 1, "participants ROOM", "list a room's participants",
      cmd_participants },
  { "mute", 2, "mute ROOM ID", "mute a participant", cmd_mute },
  { "unmute", 2, "unmute ROOM ID", "unmute a participant", cmd_unmute },
  { "deaf", 2, "deaf ROOM ID", "a participant hears nothing", cmd_deaf },
  { "undeaf", 2, "undeaf ROOM ID", "a participant hears the room again",
      cmd_undeaf },
  { "volume", 3, "volume ROOM ID VOLUME [--listen]",
      "how loud the others hear a participant (0-4, 1 = as sent); "
      "--listen: how loud it hears the room",
      mcuctl_cmd_volume, TRUE },
  { "kick", 2, "kick ROOM ID", "hang up a participant (BYE)", cmd_kick },
  { "lock", 1, "lock ROOM", "nobody else may join", cmd_lock },
  { "unlock", 1, "unlock ROOM", "people may join again", cmd_unlock },
  { "layout", 2, "layout ROOM auto|grid|speaker", "change the video layout",
      cmd_layout },
  { "dial", 2,
      "dial ROOM SIP-URI|USER [--display NAME] [--dtmf DIGITS] [--wait]",
      "call someone into the room; --dtmf: digits sent 1 s after the "
      "answer; --wait: until answered (exit 0) or failed (exit 1, SIP "
      "status printed)",
      cmd_dial, TRUE },
  { "dtmf", 3, "dtmf ROOM ID DIGITS",
      "send DTMF digits (0-9 * # A-D, ',' = pause) to a participant",
      mcuctl_cmd_dtmf },
  { "registrations", 0, "registrations", "list registered contacts",
      cmd_registrations },
  { "events", 0, "events", "print room events as they happen", cmd_events },
  { "info", 0, "info", "server version, uptime and counts", cmd_info },
  { "health", 0, "health", "is the server up", cmd_health },
  { "meetings", VARIADIC, "meetings [--ics]",
      "list the scheduled meetings (or as iCalendar)", mcuctl_cmd_meetings },
  { "record", VARIADIC, "record start|stop|list [ROOM [ID]]",
      "record a room, stop it, list the recordings", mcuctl_cmd_record },
  { "stream", VARIADIC, "stream start|stop|list ROOM [URL|--hls NAME|ID]",
      "stream a room live (RTMP, SRT, HLS), stop it, list", mcuctl_cmd_stream },
  { "meeting", VARIADIC, "meeting add|show|cancel|extend|dial|import ...",
      "book, show, cancel, extend a meeting; re-dial an attendee; import "
      "an .ics",
      mcuctl_cmd_meeting },
  { "announce", 2, "announce ROOM PROMPT",
      "play a prompt (welcome, muted, ... or a FILE.wav under the prompts "
      "directory) to everyone in the room",
      mcuctl_cmd_announce },
  { "cluster", 0, "cluster",
      "the cluster's nodes (health, state, load) and which node hosts "
      "each room",
      mcuctl_cmd_cluster },
  { "drain", 0, "drain",
      "this node takes no new rooms; its calls go on to their end",
      mcuctl_cmd_drain },
  { "prompt", 3, "prompt ROOM ID PROMPT [--keep-mix]",
      "play a prompt to one participant (alone, or over the room with "
      "--keep-mix)",
      mcuctl_cmd_prompt, TRUE },
};

static void
usage (FILE *out)
{
  fprintf (out,
      "Usage: mcuctl [OPTION...] COMMAND [ARG...]\n\n"
      "Options:\n"
      "  -s, --socket PATH   the control socket (default: [control] socket of "
      "the config, else %s if it exists, else [control] socket of $MCU_CONFIG "
      "or %s)\n"
      "  -c, --config FILE   read [control] socket/http/token from FILE\n"
      "  -u, --url URL       talk HTTP to URL instead (e.g. "
      "http://127.0.0.1:8088)\n"
      "  -t, --token TOKEN   the bearer token for --url (or $MCU_TOKEN)\n"
      "  -j, --json          print the server's JSON\n"
      "  -h, --help          this help; COMMAND --help for one command\n"
      "  -V, --version\n\nCommands:\n",
      "$XDG_RUNTIME_DIR/mcu/control.sock", MCU_SYSCONF_CONFIG);
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-32s %s\n", commands[i].usage, commands[i].help);
  fprintf (out, "\nExit status: 0 done, 1 refused by the server, 2 usage, "
                "3 server unreachable.\n");
}

/* [control] from a config file, for the defaults. */
static void
read_config (const gchar *file, gchar **socket, gchar **url, gchar **token)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();

  if (!g_key_file_load_from_file (kf, file, G_KEY_FILE_NONE, NULL))
    return;
  if (*socket == NULL)
    *socket = g_key_file_get_string (kf, "control", "socket", NULL);
  if (*token == NULL)
    *token = g_key_file_get_string (kf, "control", "token", NULL);
}

/* No --socket, --config or --url: the user's own server's socket if it is
 * there, else the installed service's (the [control] socket of
 * $MCU_CONFIG, or of the installed config, /etc/mcu/mcu.conf). */
static gchar *
default_socket (void)
{
  g_autofree gchar *user =
      g_build_filename (g_get_user_runtime_dir (), "mcu", "control.sock", NULL);
  const gchar *config = g_getenv ("MCU_CONFIG");
  gchar *socket = NULL, *url = NULL, *token = NULL;

  if (g_file_test (user, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&user);
  read_config (
      config && *config ? config : MCU_SYSCONF_CONFIG, &socket, &url, &token);
  g_free (token);
  g_free (url);
  return socket ? socket : g_steal_pointer (&user);
}

int
main (int argc, char **argv)
{
  g_autofree gchar *socket = NULL, *url = NULL, *token = NULL, *config = NULL;
  gboolean json = FALSE, version = FALSE, help = FALSE;
  GOptionEntry entries[] = {
    { "socket", 's', 0, G_OPTION_ARG_FILENAME, &socket, NULL, NULL },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config, NULL, NULL },
    { "url", 'u', 0, G_OPTION_ARG_STRING, &url, NULL, NULL },
    { "token", 't', 0, G_OPTION_ARG_STRING, &token, NULL, NULL },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json, NULL, NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &version, NULL, NULL },
    { "help", 'h', 0, G_OPTION_ARG_NONE, &help, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  Ctl ctl = { 0 };
  const Command *cmd = NULL;
  int code;

  g_option_context_set_help_enabled (ctx, FALSE);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_strict_posix (ctx, TRUE); /* options before COMMAND */
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("mcuctl: %s\n", error->message);
    return EXIT_USAGE;
  }
  if (version) {
    printf ("mcuctl %s\n", MCU_VERSION);
    return EXIT_OK;
  }
  if (help || argc < 2) {
    usage (help ? stdout : stderr);
    return help ? EXIT_OK : EXIT_USAGE;
  }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      cmd = &commands[i];
  if (cmd == NULL) {
    g_printerr (
        "mcuctl: unknown command '%s' (mcuctl --help lists them)\n", argv[1]);
    return EXIT_USAGE;
  }
  for (int i = 2; i < argc; i++)
    if (g_str_equal (argv[i], "--help") || g_str_equal (argv[i], "-h")) {
      printf ("Usage: mcuctl [OPTION...] %s\n  %s\n", cmd->usage, cmd->help);
      return EXIT_OK;
    }
  if (cmd->n_args != VARIADIC &&
      (cmd->options ? (guint)(argc - 2) < cmd->n_args
                    : (guint)(argc - 2) != cmd->n_args)) {
    g_printerr ("Usage: mcuctl [OPTION...] %s\n", cmd->usage);
    return EXIT_USAGE;
  }

  if (token == NULL && g_getenv ("MCU_TOKEN"))
    token = g_strdup (g_getenv ("MCU_TOKEN"));
  if (config)
    read_config (config, &socket, &url, &token);
  ctl.json = json;
  if (url) {
    ctl.session = soup_session_new ();
    ctl.base = g_strdup (url);
    if (g_str_has_suffix (ctl.base, "/"))
      ctl.base[strlen (ctl.base) - 1] = '\0';
    ctl.token = g_steal_pointer (&token);
  } else {
    g_autoptr (GSocketAddress) addr = NULL;

    if (socket == NULL)
      socket = default_socket ();
    addr = g_unix_socket_address_new (socket);
    ctl.session =
        soup_session_new_with_options ("remote-connectable", addr, NULL);
    ctl.base = g_strdup ("http://localhost");
  }
  soup_session_set_timeout (ctl.session, cmd->run == cmd_events ? 0 : 10);
  code = cmd->run (&ctl, argv + 2);
  g_object_unref (ctl.session);
  g_free (ctl.base);
  g_free (ctl.token);
  return code;
}
