/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: sd_notify over GIO (see mcu-notify.h). The protocol: a datagram of
 * "KEY=VALUE\n" lines to the AF_UNIX socket named by $NOTIFY_SOCKET; a
 * leading '@' means the abstract namespace. */
#include "mcu-notify.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <string.h>
#include <unistd.h>

gboolean
mcu_notify (const gchar *state, GError **error)
{
  const gchar *path = g_getenv ("NOTIFY_SOCKET");
  g_autoptr (GSocket) sock = NULL;
  g_autoptr (GSocketAddress) addr = NULL;
  gssize sent;

  if (path == NULL || *path == '\0')
    return TRUE;
  if (path[0] != '/' && path[0] != '@') {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "NOTIFY_SOCKET=%s: not a path or an abstract socket name", path);
    return FALSE;
  }
  sock = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_DEFAULT, error);
  if (sock == NULL)
    return FALSE;
  if (path[0] == '@')
    addr = g_unix_socket_address_new_with_type (
        path + 1, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
  else
    addr = g_unix_socket_address_new (path);
  sent = g_socket_send_to (sock, addr, state, strlen (state), NULL, error);
  if (sent < 0) {
    g_prefix_error (error, "NOTIFY_SOCKET=%s: ", path);
    return FALSE;
  }
  return TRUE;
}

static gboolean
on_watchdog (gpointer data)
{
  g_autoptr (GError) error = NULL;

  if (!mcu_notify ("WATCHDOG=1", &error))
    g_warning ("watchdog: %s", error->message);
  return G_SOURCE_CONTINUE;
}

guint
mcu_notify_watchdog_start (void)
{
  const gchar *usec_text = g_getenv ("WATCHDOG_USEC");
  const gchar *pid_text = g_getenv ("WATCHDOG_PID");
  guint64 usec, pid;

  if (usec_text == NULL || g_getenv ("NOTIFY_SOCKET") == NULL ||
      !g_ascii_string_to_unsigned (usec_text, 10, 1, G_MAXUINT64, &usec, NULL))
    return 0;
  if (pid_text &&
      (!g_ascii_string_to_unsigned (pid_text, 10, 1, G_MAXUINT32, &pid, NULL) ||
          pid != (guint64)getpid ()))
    return 0;
  /* Half the period, in ms, at least 1 ms. */
  return g_timeout_add (MAX (usec / 2000, 1), on_watchdog, NULL);
}
