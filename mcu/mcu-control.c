/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the control socket. Main thread only (libsoup's server runs on the
 * main context).
 *
 * Every request goes through one handler: authentication (TCP only: the
 * bearer token), body checks (413 over MAX_BODY, 415 unless JSON, 400 with
 * the parser's position for bad JSON), then the route table, which gives
 * 404 for unknown paths and 405 with Allow for known paths with another
 * method. The resources live in mcu-control-rooms.c; this file has the
 * server-wide ones: health, info, events (Server-Sent Events), metrics. */
#include "mcu-control-private.h"
#include "mcu-control-conns.h"
#include "mcu-control-downloads.h"
#include "mcu-build-config.h"
#include "mcu-dialer.h"
#include "mcu-chat.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>
#include <errno.h>

#define MAX_BODY          (64 * 1024)
#define MAX_HEADERS       (16 * 1024)
#define SSE_KEEPALIVE_SEC 15

/* A client of GET /v1/events. */
typedef struct
{
  SoupServerMessage *msg; /* (owned) */
  gsize backlog; /* bytes appended to the response and not yet written */
} McuEventStream;

struct _McuControl
{
  GObject parent_instance;

  McuDaemon *daemon; /* weak: the daemon owns us */
  McuEvents *events;
  SoupServer *server;
  gchar *socket_path;
  gchar *token; /* (nullable) */
  McuControlConns *conns;
  McuControlDownloads *downloads;
  GList *streams;    /* McuEventStream* (owned) */
  gsize max_backlog; /* bytes: an event client further behind is dropped */
  guint keepalive_id;
};

G_DEFINE_FINAL_TYPE (McuControl, mcu_control, G_TYPE_OBJECT)

/* Forgets @stream (it ended, or is being ended). */
static void
forget_stream (McuControl *self, McuEventStream *stream)
{
  g_signal_handlers_disconnect_by_data (stream->msg, self);
  self->streams = g_list_remove (self->streams, stream);
  g_object_unref (stream->msg);
  g_free (stream);
}

static void
end_stream (McuControl *self, McuEventStream *stream)
{
  SoupServerMessage *msg = g_object_ref (stream->msg);

  forget_stream (self, stream);
  soup_message_body_complete (soup_server_message_get_response_body (msg));
  soup_server_message_unpause (msg);
  g_object_unref (msg);
}

void
mcu_control_stop (McuControl *self)
{
  while (self->streams)
    end_stream (self, self->streams->data);
  if (self->downloads)
    mcu_control_downloads_stop (self->downloads);
  if (self->conns)
    mcu_control_conns_stop (self->conns);
  g_clear_handle_id (&self->keepalive_id, g_source_remove);
  if (self->events)
    g_signal_handlers_disconnect_by_data (self->events, self);
  if (self->daemon && mcu_daemon_get_dialer (self->daemon))
    g_signal_handlers_disconnect_by_data (
        mcu_daemon_get_dialer (self->daemon), self);
  if (self->daemon && mcu_daemon_get_chat (self->daemon))
    g_signal_handlers_disconnect_by_data (
        mcu_daemon_get_chat (self->daemon), self);
  if (self->server) {
    soup_server_disconnect (self->server);
    g_clear_object (&self->server);
    if (self->socket_path)
      g_unlink (self->socket_path);
  }
}

static void
mcu_control_dispose (GObject *object)
{
  McuControl *self = MCU_CONTROL (object);

  mcu_control_stop (self);
  g_clear_object (&self->events);
  g_clear_pointer (&self->downloads, mcu_control_downloads_free);
  g_clear_pointer (&self->conns, mcu_control_conns_free);
  G_OBJECT_CLASS (mcu_control_parent_class)->dispose (object);
}

static void
mcu_control_finalize (GObject *object)
{
  McuControl *self = MCU_CONTROL (object);

  g_free (self->socket_path);
  g_free (self->token);
  G_OBJECT_CLASS (mcu_control_parent_class)->finalize (object);
}

static void
mcu_control_class_init (McuControlClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_control_dispose;
  object_class->finalize = mcu_control_finalize;
}

static void
mcu_control_init (McuControl *self)
{
}

McuDaemon *
mcu_control_get_daemon (McuControl *self)
{
  return self->daemon;
}

McuControlDownloads *
mcu_control_get_downloads (McuControl *self)
{
  return self->downloads;
}

void
mcu_control_set_streaming (McuControl *self, SoupServerMessage *msg)
{
  mcu_control_conns_set_streaming (self->conns, msg);
}

const gchar *
mcu_control_get_socket_path (McuControl *self)
{
  return self->socket_path;
}

gchar *
mcu_control_default_socket_path (void)
{
  return g_build_filename (
      g_get_user_runtime_dir (), "mcu", "control.sock", NULL);
}

/* ---- server-wide resources ---- */

static void
handle_health (McuControlRequest *req)
{
  JsonNode *node = json_from_string ("{\"status\": \"ok\"}", NULL);

  mcu_control_reply_json (req, SOUP_STATUS_OK, node);
}

static void
handle_info (McuControlRequest *req)
{
  McuControl *self = req->data;
  const McuConfig *config = mcu_daemon_get_config (self->daemon);
  McuRoomDirectory *rooms = mcu_daemon_get_rooms (self->daemon);
  g_autoptr (GList) open = mcu_room_directory_list (rooms);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GDateTime) started = g_date_time_new_from_unix_utc (
      mcu_daemon_get_started_at (self->daemon) / G_USEC_PER_SEC);
  g_autofree gchar *started_text = g_date_time_format_iso8601 (started);
  guint participants = 0;

  for (GList *l = open; l; l = l->next)
    participants += mcu_room_get_n_participants (l->data);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, MCU_VERSION);
  json_builder_set_member_name (b, "started_at");
  json_builder_add_string_value (b, started_text);
  json_builder_set_member_name (b, "uptime_seconds");
  json_builder_add_int_value (
      b, (g_get_real_time () - mcu_daemon_get_started_at (self->daemon)) /
             G_USEC_PER_SEC);
  json_builder_set_member_name (b, "rooms");
  json_builder_add_int_value (b, g_list_length (open));
  json_builder_set_member_name (b, "participants");
  json_builder_add_int_value (b, participants);
  json_builder_set_member_name (b, "calls");
  json_builder_add_int_value (b, mcu_daemon_get_n_calls (self->daemon));
  json_builder_set_member_name (b, "event_streams");
  json_builder_add_int_value (b, g_list_length (self->streams));
  json_builder_set_member_name (b, "control_connections");
  json_builder_add_int_value (b, mcu_control_conns_get_n (self->conns));
  json_builder_set_member_name (b, "sip");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "listen");
  json_builder_add_string_value (b, config->sip_listen);
  json_builder_set_member_name (b, "port");
  json_builder_add_int_value (b, config->sip_port);
  json_builder_set_member_name (b, "domain");
  json_builder_add_string_value (b, config->sip_domain);
  json_builder_end_object (b);
  json_builder_end_object (b);
  mcu_control_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

static void
handle_metrics (McuControlRequest *req)
{
  McuControl *self = req->data;
  gchar *text = mcu_metrics_render (self->daemon);

  soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (req->msg,
      "text/plain; version=0.0.4; charset=utf-8", SOUP_MEMORY_TAKE, text,
      strlen (text));
}

/* ---- dial-out outcomes, as events ---- */

static void
on_dial_answered (McuDialer *dialer, const gchar *id, const gchar *room,
    guint participant, McuControl *self)
{
  McuRoom *r =
      mcu_room_directory_lookup (mcu_daemon_get_rooms (self->daemon), room);
  McuParticipant *p = r ? mcu_room_find_participant (r, participant) : NULL;
  g_autofree gchar *fields = g_strdup_printf ("\"dial_id\":\"%s\"", id);

  mcu_events_emit (self->events, "dial-answered", r, p, fields);
}

static void
on_dial_failed (McuDialer *dialer, const gchar *id, const gchar *room,
    guint status, const gchar *phrase, McuControl *self)
{
  McuRoom *r =
      mcu_room_directory_lookup (mcu_daemon_get_rooms (self->daemon), room);
  g_autoptr (JsonNode) text =
      json_node_init_string (json_node_alloc (), phrase ? phrase : "");
  g_autofree gchar *quoted = json_to_string (text, FALSE);
  g_autofree gchar *fields = g_strdup_printf (
      "\"dial_id\":\"%s\",\"status\":%u,\"reason\":%s", id, status, quoted);

  mcu_events_emit (self->events, "dial-failed", r, NULL, fields);
}

static gchar *
json_quote (const gchar *text)
{
  g_autoptr (JsonNode) node =
      json_node_init_string (json_node_alloc (), text ? text : "");

  return json_to_string (node, FALSE);
}

/* A chat line relayed in a room (MESSAGE): event "chat". */
static void
on_room_message (McuChat *chat, const gchar *room, const gchar *display,
    const gchar *uri, const gchar *body, McuControl *self)
{
  McuRoom *r =
      mcu_room_directory_lookup (mcu_daemon_get_rooms (self->daemon), room);
  g_autofree gchar *d = json_quote (display);
  g_autofree gchar *u = json_quote (uri);
  g_autofree gchar *b = json_quote (body);
  g_autofree gchar *fields = g_strdup_printf (
      "\"from\":{\"display\":%s,\"uri\":%s},\"text\":%s", d, u, b);

  mcu_events_emit (self->events, "chat", r, NULL, fields);
}

/* ---- GET /v1/events: Server-Sent Events ---- */

/* Queues @text for @stream; a client whose backlog passes the bound does
 * not read: it is dropped and what was queued for it freed. */
static void
stream_append (McuControl *self, McuEventStream *stream, const gchar *text)
{
  gsize len = strlen (text);
  SoupServerMessage *msg;

  if (stream->backlog + len > self->max_backlog) {
    g_message ("control: dropping an event client %zu bytes behind "
               "([control] event-backlog)",
        stream->backlog);
    msg = g_object_ref (stream->msg);
    forget_stream (self, stream);
    mcu_control_conns_drop (self->conns, msg);
    g_object_unref (msg);
    return;
  }
  stream->backlog += len;
  soup_message_body_append (soup_server_message_get_response_body (stream->msg),
      SOUP_MEMORY_COPY, text, len);
  soup_server_message_unpause (stream->msg);
}

/* Appends @text to every stream (some may be dropped on the way). */
static void
streams_append (McuControl *self, const gchar *text)
{
  GList *l = self->streams;

  while (l) {
    GList *next = l->next;

    stream_append (self, l->data, text);
    l = next;
  }
}

static gchar *
sse_frame (guint64 id, const gchar *type, const gchar *json)
{
  return g_strdup_printf (
      "id: %" G_GUINT64_FORMAT "\nevent: %s\ndata: %s\n\n", id, type, json);
}

static void
on_event (McuEvents *events, guint64 id, const gchar *type, const gchar *json,
    McuControl *self)
{
  g_autofree gchar *frame = sse_frame (id, type, json);

  streams_append (self, frame);
}

static gboolean
on_keepalive (gpointer data)
{
  McuControl *self = data;

  streams_append (self, ": keepalive\n\n");
  return G_SOURCE_CONTINUE;
}

static McuEventStream *
find_stream (McuControl *self, SoupServerMessage *msg)
{
  for (GList *l = self->streams; l; l = l->next)
    if (((McuEventStream *)l->data)->msg == msg)
      return l->data;
  return NULL;
}

static void
on_stream_finished (SoupServerMessage *msg, McuControl *self)
{
  McuEventStream *stream = find_stream (self, msg);

  if (stream)
    forget_stream (self, stream);
}

static void
on_stream_wrote (SoupServerMessage *msg, guint size, McuControl *self)
{
  McuEventStream *stream = find_stream (self, msg);

  if (stream)
    stream->backlog -= MIN (stream->backlog, size);
}

/* Replays what a reconnecting client missed (Last-Event-ID), then streams.
 * The type of a replayed event is in its JSON; the SSE "event:" field is
 * read back from it. */
static void
handle_events (McuControlRequest *req)
{
  McuControl *self = req->data;
  SoupServerMessage *msg = req->msg;
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  const gchar *last = soup_message_headers_get_one (
      soup_server_message_get_request_headers (msg), "Last-Event-ID");
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  McuEventStream *stream;
  gsize queued = strlen (": mcu events\n\n");
  guint64 after;

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_encoding (h, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (h, "text/event-stream", NULL);
  soup_message_headers_replace (h, "Cache-Control", "no-cache");
  soup_message_body_set_accumulate (body, FALSE);
  soup_message_body_append (body, SOUP_MEMORY_STATIC, ": mcu events\n\n",
      strlen (": mcu events\n\n"));
  if (last &&
      g_ascii_string_to_unsigned (last, 10, 0, G_MAXUINT64, &after, NULL)) {
    g_autoptr (GPtrArray) missed = mcu_events_since (self->events, after);

    for (guint i = 0; i < missed->len; i++) {
      g_autoptr (JsonNode) node =
          json_from_string (g_ptr_array_index (missed, i), NULL);
      JsonObject *o = json_node_get_object (node);
      g_autofree gchar *frame = sse_frame (json_object_get_int_member (o, "id"),
          json_object_get_string_member (o, "type"),
          g_ptr_array_index (missed, i));

      soup_message_body_append (body, SOUP_MEMORY_COPY, frame, strlen (frame));
      queued += strlen (frame);
    }
  }
  stream = g_new0 (McuEventStream, 1);
  stream->msg = g_object_ref (msg);
  stream->backlog = queued;
  self->streams = g_list_prepend (self->streams, stream);
  g_signal_connect (msg, "finished", G_CALLBACK (on_stream_finished), self);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (on_stream_wrote), self);
  mcu_control_conns_set_streaming (self->conns, msg);
}

static const McuControlRoute routes[] = {
  { "GET", "/v1/health", handle_health },
  { "GET", "/v1/info", handle_info },
  { "GET", "/v1/events", handle_events },
  { "GET", "/metrics", handle_metrics },
  { "GET", "/v1/cluster", mcu_control_cluster_get },
  { "POST", "/v1/node/drain", mcu_control_node_drain },
  { "GET", "/v1/rooms", mcu_control_rooms_list },
  { "POST", "/v1/rooms", mcu_control_rooms_create },
  { "GET", "/v1/rooms/{}", mcu_control_room_get },
  { "PATCH", "/v1/rooms/{}", mcu_control_room_patch },
  { "DELETE", "/v1/rooms/{}", mcu_control_room_delete },
  { "GET", "/v1/rooms/{}/participants", mcu_control_participants_list },
  { "POST", "/v1/rooms/{}/participants", mcu_control_participants_dial },
  { "GET", "/v1/registrations", mcu_control_registrations_list },
  { "GET", "/v1/rooms/{}/participants/{}", mcu_control_participant_get },
  { "PATCH", "/v1/rooms/{}/participants/{}", mcu_control_participant_patch },
  { "DELETE", "/v1/rooms/{}/participants/{}", mcu_control_participant_delete },
  { "POST", "/v1/rooms/{}/participants/{}/dtmf", mcu_control_participant_dtmf },
  { "POST", "/v1/rooms/{}/recordings", mcu_control_recordings_start },
  { "DELETE", "/v1/rooms/{}/recordings/{}", mcu_control_recordings_stop },
  { "GET", "/v1/recordings", mcu_control_recordings_list },
  { "POST", "/v1/rooms/{}/streams", mcu_control_streams_start },
  { "GET", "/v1/rooms/{}/streams", mcu_control_streams_list },
  { "DELETE", "/v1/rooms/{}/streams/{}", mcu_control_streams_stop },
  { "GET", "/v1/recordings/{}", mcu_control_recording_download },
  { "GET", "/v1/recordings/{}/segments/{}", mcu_control_recording_segment },
  { "POST", "/v1/rooms/{}/announcements", mcu_control_room_announce },
  { "POST", "/v1/rooms/{}/participants/{}/prompts",
      mcu_control_participant_prompt },
  { "GET", "/v1/meetings", mcu_control_meetings_list },
  { "POST", "/v1/meetings", mcu_control_meetings_create },
  { "GET", "/v1/meetings.ics", mcu_control_meetings_ics },
  { "GET", "/v1/meetings/{}", mcu_control_meeting_get },
  { "PATCH", "/v1/meetings/{}", mcu_control_meeting_patch },
  { "DELETE", "/v1/meetings/{}", mcu_control_meeting_delete },
  { "GET", "/v1/meetings/{}/occurrences", mcu_control_meeting_occurrences },
  { "POST", "/v1/meetings/{}/extend", mcu_control_meeting_extend },
  { "GET", "/v1/meetings/{}/attendees", mcu_control_meeting_attendees_list },
  { "POST", "/v1/meetings/{}/attendees", mcu_control_meeting_attendees_add },
  { "DELETE", "/v1/meetings/{}/attendees/{}",
      mcu_control_meeting_attendee_delete },
  { "POST", "/v1/meetings/{}/attendees/{}/dial",
      mcu_control_meeting_attendee_dial },
};

/* ---- the one request handler ---- */

/* Constant-time comparison: the token must not leak through timing. */
static gboolean
token_equal (const gchar *a, const gchar *b)
{
  gsize la = strlen (a), lb = strlen (b);
  guchar diff = la != lb;

  for (gsize i = 0; i < la; i++)
    diff |= (guchar)a[i] ^ (guchar)b[i % MAX (lb, 1)];
  return diff == 0;
}

/* Requests that came over TCP need "Authorization: Bearer TOKEN" (the
 * scheme in any case, RFC 7235). */
static gboolean
authorized (McuControl *self, McuControlRequest *req)
{
  const gchar *auth;

  if (!mcu_control_conns_is_tcp (self->conns, req->msg))
    return TRUE; /* the Unix socket: its file mode guards it */
  auth = soup_message_headers_get_one (
      soup_server_message_get_request_headers (req->msg), "Authorization");
  if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0) {
    soup_message_headers_replace (
        soup_server_message_get_response_headers (req->msg), "WWW-Authenticate",
        "Bearer realm=\"mcu\"");
    mcu_control_reply_error (req, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
        "this listener needs Authorization: Bearer <token>");
    return FALSE;
  }
  auth += strlen ("Bearer ");
  while (*auth == ' ')
    auth++;
  if (!token_equal (auth, self->token)) {
    mcu_control_reply_error (
        req, SOUP_STATUS_FORBIDDEN, "forbidden", "wrong token");
    return FALSE;
  }
  return TRUE;
}

/* Parses the body of a request that may carry one. FALSE when it replied. */
static gboolean
read_body (McuControlRequest *req)
{
  SoupMessageBody *body = soup_server_message_get_request_body (req->msg);
  SoupMessageHeaders *h = soup_server_message_get_request_headers (req->msg);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) error = NULL;
  const gchar *type = soup_message_headers_get_content_type (h, NULL);
  gsize len;
  const gchar *data;

  if (body->length > MAX_BODY) {
    mcu_control_reply_error (req, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
        "too-large", "bodies are at most %d bytes", MAX_BODY);
    return FALSE;
  }
  if (body->length == 0)
    return TRUE;
  if (type && g_ascii_strcasecmp (type, "text/calendar") == 0 &&
      g_str_has_prefix (g_uri_get_path (soup_server_message_get_uri (req->msg)),
          "/v1/meetings"))
    return TRUE; /* an iCalendar import: the handler reads it */
  if (type == NULL || g_ascii_strcasecmp (type, "application/json") != 0) {
    mcu_control_reply_error (req, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type", "send Content-Type: application/json");
    return FALSE;
  }
  bytes = soup_message_body_flatten (body);
  data = g_bytes_get_data (bytes, &len);
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, len, &error)) {
    mcu_control_reply_error (req, SOUP_STATUS_BAD_REQUEST, "bad-json",
        "the body is not JSON: %s", error->message);
    return FALSE;
  }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    mcu_control_reply_error (req, SOUP_STATUS_BAD_REQUEST, "bad-json",
        "the body must be a JSON object");
    return FALSE;
  }
  req->body =
      json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  return TRUE;
}

static void
on_request (SoupServer *server, SoupServerMessage *msg, const char *path,
    GHashTable *query, gpointer data)
{
  McuControl *self = data;
  McuControlRequest req = {
    .msg = msg,
    .method = soup_server_message_get_method (msg),
    .data = self,
  };
  g_autofree gchar *allow = NULL;
  const McuControlRoute *route;

  /* one request per connection: see mcu-control-conns.c */
  soup_message_headers_replace (
      soup_server_message_get_response_headers (msg), "Connection", "close");
  if (!authorized (self, &req))
    return;
  route = mcu_control_route_find (
      routes, G_N_ELEMENTS (routes), req.method, path, req.args, &allow);
  if (route == NULL && allow) {
    soup_message_headers_replace (
        soup_server_message_get_response_headers (msg), "Allow", allow);
    mcu_control_reply_error (&req, SOUP_STATUS_METHOD_NOT_ALLOWED,
        "method-not-allowed", "%s %s: allowed: %s", req.method, path, allow);
    return;
  }
  if (route == NULL) {
    mcu_control_reply_error (
        &req, SOUP_STATUS_NOT_FOUND, "not-found", "no resource %s", path);
    return;
  }
  if (!read_body (&req))
    return;
  route->handler (&req);
  g_clear_pointer (&req.body, json_object_unref);
}

/* ---- listening ---- */

/* A socket file left by a server that died is replaced; a live server
 * answering on it is an error. */
static gboolean
clear_stale_socket (const gchar *path, GError **error)
{
  g_autoptr (GSocketClient) client = NULL;
  g_autoptr (GSocketAddress) addr = NULL;
  g_autoptr (GSocketConnection) conn = NULL;
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    return TRUE;
  if (!S_ISSOCK (st.st_mode)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
        "%s exists and is not a socket: not replacing it", path);
    return FALSE;
  }
  client = g_socket_client_new ();
  addr = g_unix_socket_address_new (path);
  conn =
      g_socket_client_connect (client, G_SOCKET_CONNECTABLE (addr), NULL, NULL);
  if (conn) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
        "%s: another server is listening there", path);
    return FALSE;
  }
  g_unlink (path);
  return TRUE;
}

static gboolean
listen_unix (McuControl *self, GError **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) addr = NULL;
  g_autofree gchar *dir = g_path_get_dirname (self->socket_path);

  if (g_mkdir_with_parents (dir, 0750) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "cannot create %s: %s", dir, g_strerror (errno));
    return FALSE;
  }
  if (!clear_stale_socket (self->socket_path, error))
    return FALSE;
  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_DEFAULT, error);
  if (socket == NULL)
    return FALSE;
  addr = g_unix_socket_address_new (self->socket_path);
  if (!g_socket_bind (socket, addr, FALSE, error))
    return FALSE;
  g_socket_set_listen_backlog (socket, 64);
  if (!g_socket_listen (socket, error))
    return FALSE;
  if (g_chmod (self->socket_path, 0660) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "chmod %s: %s", self->socket_path, g_strerror (errno));
    return FALSE;
  }
  return mcu_control_conns_add_socket (self->conns, socket, error);
}

static gboolean
listen_tcp (McuControl *self, const gchar *hostport, GError **error)
{
  g_autoptr (GSocketConnectable) parsed =
      g_network_address_parse (hostport, 0, error);
  g_autoptr (GSocketAddress) addr = NULL;

  if (parsed == NULL)
    return FALSE;
  addr = g_inet_socket_address_new_from_string (
      g_network_address_get_hostname (G_NETWORK_ADDRESS (parsed)),
      g_network_address_get_port (G_NETWORK_ADDRESS (parsed)));
  if (addr == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "[control] http: %s is not ADDRESS:PORT", hostport);
    return FALSE;
  }
  return mcu_control_conns_add_address (self->conns, addr, error);
}

McuControl *
mcu_control_new (McuDaemon *daemon, McuEvents *events, GError **error)
{
  g_autoptr (McuControl) self = g_object_new (MCU_TYPE_CONTROL, NULL);
  const McuConfig *config = mcu_daemon_get_config (daemon);
  g_autofree gchar *header = g_strdup_printf ("mcu/%s", MCU_VERSION);
  McuControlConnsLimits limits = {
    .max_connections = config->control_max_connections,
    .idle_timeout = config->control_idle_timeout,
    .max_headers = MAX_HEADERS,
  };

  self->daemon = daemon;
  self->events = g_object_ref (events);
  self->token = g_strdup (config->control_token);
  self->socket_path = config->control_socket
                          ? g_strdup (config->control_socket)
                          : mcu_control_default_socket_path ();
  self->server = soup_server_new ("server-header", header, NULL);
  soup_server_add_handler (self->server, NULL, on_request, self, NULL);
  self->conns = mcu_control_conns_new (self->server, &limits);
  self->downloads =
      mcu_control_downloads_new (self->conns, config->recording_max_downloads);
  self->max_backlog = (gsize)config->control_event_backlog * 1024;
  if (!listen_unix (self, error)) {
    g_prefix_error (error, "control socket: ");
    g_clear_object (&self->server);
    return NULL;
  }
  if (config->control_http && !listen_tcp (self, config->control_http, error)) {
    g_prefix_error (error, "control http %s: ", config->control_http);
    return NULL;
  }
  g_signal_connect (events, "event", G_CALLBACK (on_event), self);
  if (mcu_daemon_get_dialer (daemon)) {
    g_signal_connect (mcu_daemon_get_dialer (daemon), "answered",
        G_CALLBACK (on_dial_answered), self);
    g_signal_connect (mcu_daemon_get_dialer (daemon), "failed",
        G_CALLBACK (on_dial_failed), self);
  }
  if (mcu_daemon_get_chat (daemon))
    g_signal_connect (mcu_daemon_get_chat (daemon), "room-message",
        G_CALLBACK (on_room_message), self);
  self->keepalive_id =
      g_timeout_add_seconds (SSE_KEEPALIVE_SEC, on_keepalive, self);
  g_message ("control socket on %s%s%s", self->socket_path,
      config->control_http ? " and http://" : "",
      config->control_http ? config->control_http : "");
  return g_steal_pointer (&self);
}
