/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the control socket's connections. Main thread only.
 *
 * Why the connections are accepted here and not by SoupServer's own
 * listeners (libsoup 3.2):
 * - a keep-alive connection whose client closes after a response is never
 *   closed (it stays in CLOSE_WAIT, one file descriptor per request);
 * - there is no limit on connections and no idle timeout;
 * - an HTTP/1.0 request without Host makes it read the local address as
 *   an IP address (CRITICALs on a Unix socket).
 * So a GSocketService accepts, counts and times the connections, and hands
 * each to the server with soup_server_accept_iostream () and IP addresses;
 * every response says "Connection: close" (mcu-control.c), so a connection
 * carries one request and libsoup closes it after the response.
 *
 * A connection is found from a message by its local address object: one
 * is made here for each connection and libsoup gives it back as is. To
 * close a connection early, its message's connection is stolen from libsoup
 * (which then forgets it) and closed here. */
#include "mcu-control-conns.h"

#include <string.h>

typedef struct
{
  McuControlConns *owner;
  GSocketConnection *stream;
  GSocketAddress *local; /* the key in owner->conns */
  gboolean tcp;
  gboolean streaming;
  guint idle_id;
  SoupServerMessage *msg; /* (nullable) weak: its request */
} Conn;

struct _McuControlConns
{
  SoupServer *server;
  McuControlConnsLimits limits;
  GSocketService *service;
  GHashTable *conns; /* GSocketAddress* -> Conn* (owned) */
};

static void
conn_free (gpointer data)
{
  Conn *c = data;

  g_clear_handle_id (&c->idle_id, g_source_remove);
  if (c->msg) {
    g_signal_handlers_disconnect_by_data (c->msg, c->owner);
    g_object_remove_weak_pointer (G_OBJECT (c->msg), (gpointer *)&c->msg);
  }
  g_object_unref (c->stream);
  g_object_unref (c->local);
  g_free (c);
}

static Conn *
find_conn (McuControlConns *self, SoupServerMessage *msg)
{
  GSocketAddress *local = soup_server_message_get_local_address (msg);

  return local ? g_hash_table_lookup (self->conns, local) : NULL;
}

/* Forgets the connections libsoup has closed. */
static void
sweep (McuControlConns *self)
{
  GHashTableIter iter;
  Conn *c;

  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&c))
    if (g_io_stream_is_closed (G_IO_STREAM (c->stream)))
      g_hash_table_iter_remove (&iter);
}

/* Writes what fits of @text without blocking: a last word before closing.
 * What the client sent and nobody read is read first: closing a socket with
 * unread input resets it, and the client would lose @text. */
static void
write_now (GIOStream *io, const gchar *text)
{
  GOutputStream *out = g_io_stream_get_output_stream (io);
  GInputStream *in = g_io_stream_get_input_stream (io);
  gchar sink[4096];

  if (G_IS_POLLABLE_INPUT_STREAM (in))
    for (guint i = 0; i < 16; i++)
      if (g_pollable_input_stream_read_nonblocking (
              G_POLLABLE_INPUT_STREAM (in), sink, sizeof sink, NULL, NULL) <= 0)
        break;
  if (G_IS_POLLABLE_OUTPUT_STREAM (out))
    g_pollable_output_stream_write_nonblocking (
        G_POLLABLE_OUTPUT_STREAM (out), text, strlen (text), NULL, NULL);
}

#define STATUS_HEADERS_TOO_LARGE 431 /* RFC 6585 */

static const gchar *
status_phrase (guint status)
{
  return status == STATUS_HEADERS_TOO_LARGE ? "Request Header Fields Too Large"
                                            : soup_status_get_phrase (status);
}

static gchar *
error_response (guint status, const gchar *code, const gchar *message)
{
  g_autofree gchar *body = g_strdup_printf (
      "{\"error\": {\"code\": \"%s\", \"message\": \"%s\"}}\n", code, message);

  return g_strdup_printf ("HTTP/1.1 %u %s\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
      status, status_phrase (status), strlen (body), body);
}

/* Closes @c now, with @response (nullable) as its last bytes. */
static void
conn_close (McuControlConns *self, Conn *c, const gchar *response)
{
  g_autoptr (GIOStream) io = NULL;

  if (g_io_stream_is_closed (G_IO_STREAM (c->stream))) {
    /* libsoup closed it already (and is done with its message) */
    g_hash_table_remove (self->conns, c->local);
    return;
  }
  if (c->msg) {
    g_signal_handlers_disconnect_by_data (c->msg, self);
    io = soup_server_message_steal_connection (c->msg);
  }
  if (response)
    write_now (G_IO_STREAM (c->stream), response);
  if (io)
    g_io_stream_close (io, NULL, NULL);
  if (c->msg == NULL)
    /* libsoup has not started a request on it yet: end it from below;
     * its read sees the end of the stream and it closes the connection */
    g_socket_shutdown (
        g_socket_connection_get_socket (c->stream), TRUE, TRUE, NULL);
  else
    g_io_stream_close (G_IO_STREAM (c->stream), NULL, NULL);
  g_hash_table_remove (self->conns, c->local);
}

static gboolean
on_idle_timeout (gpointer data)
{
  Conn *c = data;

  c->idle_id = 0;
  if (!g_io_stream_is_closed (G_IO_STREAM (c->stream)))
    g_info ("control: closing a %s connection after %u s without a request",
        c->tcp ? "TCP" : "Unix socket", c->owner->limits.idle_timeout);
  conn_close (c->owner, c, NULL);
  return G_SOURCE_REMOVE;
}

static void
on_msg_disconnected (SoupServerMessage *msg, McuControlConns *self)
{
  Conn *c = find_conn (self, msg);

  if (c)
    g_hash_table_remove (self->conns, c->local);
}

static gsize
headers_size (SoupMessageHeaders *h)
{
  SoupMessageHeadersIter iter;
  const char *name, *value;
  gsize n = 0;

  soup_message_headers_iter_init (&iter, h);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    n += strlen (name) + strlen (value) + 4;
  return n;
}

static gboolean
is_decimal (const gchar *text)
{
  g_autofree gchar *copy = g_strstrip (g_strdup (text));

  if (*copy == '\0')
    return FALSE;
  for (const gchar *c = copy; *c; c++)
    if (!g_ascii_isdigit (*c))
      return FALSE;
  return TRUE;
}

/* What libsoup reads before the handler runs: refuse here what it would
 * take badly (a negative Content-Length becomes a GObject warning). */
static void
on_msg_got_headers (SoupServerMessage *msg, McuControlConns *self)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  const gchar *length = soup_message_headers_get_one (h, "Content-Length");
  Conn *c = find_conn (self, msg);
  g_autofree gchar *response = NULL;

  if (c == NULL)
    return;
  if (headers_size (h) > self->limits.max_headers) {
    g_autofree gchar *why = g_strdup_printf (
        "request headers are at most %zu bytes", self->limits.max_headers);

    response =
        error_response (STATUS_HEADERS_TOO_LARGE, "headers-too-large", why);
  } else if (length && !is_decimal (length)) {
    response = error_response (SOUP_STATUS_BAD_REQUEST, "bad-request",
        "Content-Length must be a decimal number");
  }
  if (response)
    conn_close (self, c, response);
}

static void
on_request_started (
    SoupServer *server, SoupServerMessage *msg, McuControlConns *self)
{
  Conn *c = find_conn (self, msg);

  if (c == NULL || c->msg == msg)
    return;
  if (c->msg) {
    g_signal_handlers_disconnect_by_data (c->msg, self);
    g_object_remove_weak_pointer (G_OBJECT (c->msg), (gpointer *)&c->msg);
  }
  c->msg = msg;
  g_object_add_weak_pointer (G_OBJECT (msg), (gpointer *)&c->msg);
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_msg_got_headers), self);
  g_signal_connect (
      msg, "disconnected", G_CALLBACK (on_msg_disconnected), self);
}

static gboolean
on_incoming (GSocketService *service, GSocketConnection *stream,
    GObject *source, McuControlConns *self)
{
  g_autoptr (GSocketAddress) real_local =
      g_socket_connection_get_local_address (stream, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) remote = NULL;
  Conn *c;

  sweep (self);
  if (g_hash_table_size (self->conns) >= self->limits.max_connections) {
    g_autofree gchar *why = g_strdup_printf (
        "%u connections are open, the most [control] max-connections allows",
        self->limits.max_connections);
    g_autofree gchar *response =
        error_response (SOUP_STATUS_SERVICE_UNAVAILABLE, "too-many", why);

    g_info ("control: refusing a connection: %s", why);
    write_now (G_IO_STREAM (stream), response);
    g_io_stream_close (G_IO_STREAM (stream), NULL, NULL);
    return TRUE;
  }
  c = g_new0 (Conn, 1);
  c->owner = self;
  c->stream = g_object_ref (stream);
  c->tcp = real_local && G_IS_INET_SOCKET_ADDRESS (real_local);
  if (c->tcp) {
    c->local = g_steal_pointer (&real_local);
    remote = g_socket_connection_get_remote_address (stream, NULL);
  }
  if (c->local == NULL)
    c->local = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  if (remote == NULL)
    remote = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_hash_table_insert (self->conns, c->local, c);
  c->idle_id =
      g_timeout_add_seconds (self->limits.idle_timeout, on_idle_timeout, c);
  if (!soup_server_accept_iostream (
          self->server, G_IO_STREAM (stream), c->local, remote, &error)) {
    g_warning ("control: cannot serve a connection: %s", error->message);
    g_io_stream_close (G_IO_STREAM (stream), NULL, NULL);
    g_hash_table_remove (self->conns, c->local);
  }
  return TRUE;
}

McuControlConns *
mcu_control_conns_new (SoupServer *server, const McuControlConnsLimits *limits)
{
  McuControlConns *self = g_new0 (McuControlConns, 1);

  self->server = g_object_ref (server);
  self->limits = *limits;
  self->conns = g_hash_table_new_full (NULL, NULL, NULL, conn_free);
  self->service = g_socket_service_new ();
  g_signal_connect (self->service, "incoming", G_CALLBACK (on_incoming), self);
  g_signal_connect (
      server, "request-started", G_CALLBACK (on_request_started), self);
  return self;
}

gboolean
mcu_control_conns_add_socket (
    McuControlConns *self, GSocket *socket, GError **error)
{
  return g_socket_listener_add_socket (
      G_SOCKET_LISTENER (self->service), socket, NULL, error);
}

gboolean
mcu_control_conns_add_address (
    McuControlConns *self, GSocketAddress *address, GError **error)
{
  return g_socket_listener_add_address (G_SOCKET_LISTENER (self->service),
      address, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, NULL, error);
}

void
mcu_control_conns_stop (McuControlConns *self)
{
  GHashTableIter iter;
  Conn *c;

  if (self->service) {
    g_signal_handlers_disconnect_by_data (self->service, self);
    g_socket_service_stop (self->service);
    g_socket_listener_close (G_SOCKET_LISTENER (self->service));
    g_clear_object (&self->service);
  }
  g_signal_handlers_disconnect_by_data (self->server, self);
  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&c)) {
    if (c->msg)
      g_signal_handlers_disconnect_by_data (c->msg, self);
    g_clear_handle_id (&c->idle_id, g_source_remove);
  }
}

void
mcu_control_conns_free (McuControlConns *self)
{
  if (self == NULL)
    return;
  mcu_control_conns_stop (self);
  g_hash_table_unref (self->conns);
  g_object_unref (self->server);
  g_free (self);
}

guint
mcu_control_conns_get_n (McuControlConns *self)
{
  sweep (self);
  return g_hash_table_size (self->conns);
}

gboolean
mcu_control_conns_is_tcp (McuControlConns *self, SoupServerMessage *msg)
{
  Conn *c = find_conn (self, msg);

  /* unknown: treat it as remote, it must show the token */
  return c == NULL || c->tcp;
}

void
mcu_control_conns_set_streaming (McuControlConns *self, SoupServerMessage *msg)
{
  Conn *c = find_conn (self, msg);

  if (c) {
    c->streaming = TRUE;
    g_clear_handle_id (&c->idle_id, g_source_remove);
  }
}

void
mcu_control_conns_drop (McuControlConns *self, SoupServerMessage *msg)
{
  Conn *c = find_conn (self, msg);

  if (c)
    conn_close (self, c, NULL);
}
