/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: files sent over the control socket. Main thread only.
 *
 * A transfer opens the file, asks its size and reads it in chunks with
 * GIO's asynchronous calls (on a local file they run in GIO's worker
 * threads): a slow or stuck disk delays that download, never the main
 * loop (the calls, the other requests). One chunk is read at a time, the
 * next when the last is written to the client, so a slow client holds at
 * most one chunk. The size is the one when the request came: a file that
 * grows (a running recording) is cut there.
 *
 * A transfer holds a reference to itself for each call under way; the
 * message going away (finished, or its client gone) or a stop cancels
 * them and forgets the transfer. */
#include "mcu-control-downloads.h"
#include "mcu-control-util.h"

#include <gio/gio.h>
#include <string.h>

#define CHUNK (64 * 1024)

typedef struct
{
  McuControlDownloads *owner; /* NULL once forgotten */
  SoupServerMessage *msg;
  GFile *file;
  GInputStream *in;
  GCancellable *cancellable;
  gchar *content_type;
  gchar *missing_code, *missing_message;
  goffset left;
  gboolean reading;
  gboolean completed;
} Transfer;

struct _McuControlDownloads
{
  McuControlConns *conns;
  guint max_active;
  GList *active; /* Transfer* (a reference each) */
};

static void
transfer_clear (gpointer data)
{
  Transfer *t = data;

  g_object_unref (t->msg);
  g_object_unref (t->file);
  g_clear_object (&t->in);
  g_object_unref (t->cancellable);
  g_free (t->content_type);
  g_free (t->missing_code);
  g_free (t->missing_message);
}

static Transfer *
transfer_ref (Transfer *t)
{
  return g_rc_box_acquire (t);
}

static void
transfer_unref (Transfer *t)
{
  g_rc_box_release_full (t, transfer_clear);
}

/* The transfer is over: its calls under way are cancelled. */
static void
forget (Transfer *t)
{
  McuControlDownloads *self = t->owner;

  if (self == NULL)
    return;
  t->owner = NULL;
  g_signal_handlers_disconnect_by_data (t->msg, t);
  g_cancellable_cancel (t->cancellable);
  self->active = g_list_remove (self->active, t);
  transfer_unref (t);
}

static void
on_msg_gone (SoupServerMessage *msg, Transfer *t)
{
  forget (t);
}

static void
reply_missing (Transfer *t)
{
  McuControlRequest req = { .msg = t->msg };

  mcu_control_reply_error (
      &req, SOUP_STATUS_NOT_FOUND, t->missing_code, "%s", t->missing_message);
  soup_server_message_unpause (t->msg);
}

static void
complete (Transfer *t)
{
  t->completed = TRUE;
  soup_message_body_complete (soup_server_message_get_response_body (t->msg));
  soup_server_message_unpause (t->msg);
}

static void read_next (Transfer *t);

static void
on_read (GObject *source, GAsyncResult *result, gpointer data)
{
  Transfer *t = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = g_input_stream_read_bytes_finish (
      G_INPUT_STREAM (source), result, &error);

  t->reading = FALSE;
  if (t->owner == NULL) {
    transfer_unref (t);
    return;
  }
  if (bytes == NULL || g_bytes_get_size (bytes) == 0) {
    /* an error or a file cut shorter since: the client gets less than
     * the length said, and the connection is closed */
    if (error)
      g_warning ("control: reading %s: %s", g_file_peek_path (t->file),
          error->message);
    complete (t);
  } else {
    t->left -= g_bytes_get_size (bytes);
    soup_message_body_append_bytes (
        soup_server_message_get_response_body (t->msg), bytes);
    soup_server_message_unpause (t->msg);
  }
  transfer_unref (t);
}

static void
read_next (Transfer *t)
{
  if (t->owner == NULL || t->reading || t->completed)
    return;
  if (t->left <= 0) {
    complete (t);
    return;
  }
  t->reading = TRUE;
  g_input_stream_read_bytes_async (t->in, (gsize)MIN ((goffset)CHUNK, t->left),
      G_PRIORITY_DEFAULT, t->cancellable, on_read, transfer_ref (t));
}

static void
on_wrote_chunk (SoupServerMessage *msg, Transfer *t)
{
  read_next (t);
}

static void
start_body (Transfer *t, goffset size)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (t->msg);
  g_autofree gchar *name = g_file_get_basename (t->file);
  g_autofree gchar *disposition =
      g_strdup_printf ("attachment; filename=\"%s\"", name);

  soup_server_message_set_status (t->msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (h, t->content_type, NULL);
  soup_message_headers_set_content_length (h, size);
  soup_message_headers_replace (h, "Content-Disposition", disposition);
  soup_message_body_set_accumulate (
      soup_server_message_get_response_body (t->msg), FALSE);
  g_signal_connect (t->msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), t);
  mcu_control_conns_set_streaming (t->owner->conns, t->msg);
  t->left = size;
  if (size == 0) {
    complete (t);
    return;
  }
  read_next (t);
}

static void
on_info (GObject *source, GAsyncResult *result, gpointer data)
{
  Transfer *t = data;
  g_autoptr (GFileInfo) info = g_file_input_stream_query_info_finish (
      G_FILE_INPUT_STREAM (source), result, NULL);

  if (t->owner == NULL) {
    transfer_unref (t);
    return;
  }
  if (info == NULL)
    reply_missing (t);
  else
    start_body (t, g_file_info_get_size (info));
  transfer_unref (t);
}

static void
on_opened (GObject *source, GAsyncResult *result, gpointer data)
{
  Transfer *t = data;
  GFileInputStream *in = g_file_read_finish (G_FILE (source), result, NULL);

  if (t->owner == NULL) {
    g_clear_object (&in);
    transfer_unref (t);
    return;
  }
  if (in == NULL) {
    reply_missing (t);
    transfer_unref (t);
    return;
  }
  t->in = G_INPUT_STREAM (in);
  g_file_input_stream_query_info_async (in, G_FILE_ATTRIBUTE_STANDARD_SIZE,
      G_PRIORITY_DEFAULT, t->cancellable, on_info, t); /* our reference */
}

gboolean
mcu_control_downloads_send (McuControlDownloads *self, SoupServerMessage *msg,
    const gchar *path, const gchar *content_type, const gchar *missing_code,
    const gchar *missing_message, GError **error)
{
  guint n = g_list_length (self->active);
  Transfer *t;

  if (n >= self->max_active) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES,
        "%u downloads are running ([recording] max-downloads)", n);
    return FALSE;
  }
  t = g_rc_box_new0 (Transfer);
  t->owner = self;
  t->msg = g_object_ref (msg);
  t->file = g_file_new_for_path (path);
  t->cancellable = g_cancellable_new ();
  t->content_type = g_strdup (content_type);
  t->missing_code = g_strdup (missing_code);
  t->missing_message = g_strdup (missing_message);
  self->active = g_list_prepend (self->active, t); /* the list's reference */
  g_signal_connect (msg, "finished", G_CALLBACK (on_msg_gone), t);
  g_signal_connect (msg, "disconnected", G_CALLBACK (on_msg_gone), t);
  soup_server_message_pause (msg);
  g_file_read_async (
      t->file, G_PRIORITY_DEFAULT, t->cancellable, on_opened, transfer_ref (t));
  return TRUE;
}

guint
mcu_control_downloads_get_n (McuControlDownloads *self)
{
  return g_list_length (self->active);
}

void
mcu_control_downloads_stop (McuControlDownloads *self)
{
  while (self->active)
    forget (self->active->data);
}

McuControlDownloads *
mcu_control_downloads_new (McuControlConns *conns, guint max_active)
{
  McuControlDownloads *self = g_new0 (McuControlDownloads, 1);

  self->conns = conns;
  self->max_active = max_active;
  return self;
}

void
mcu_control_downloads_free (McuControlDownloads *self)
{
  if (self == NULL)
    return;
  mcu_control_downloads_stop (self);
  g_free (self);
}
