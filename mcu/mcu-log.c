/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: log writer. Any thread (GLib serialises nothing for us: one
 * fprintf per line keeps lines whole). */
#include "mcu-log.h"

#include <stdio.h>
#include <unistd.h>

static const gchar *
level_name (GLogLevelFlags level)
{
  switch (level & G_LOG_LEVEL_MASK) {
    case G_LOG_LEVEL_ERROR:
      return "ERROR";
    case G_LOG_LEVEL_CRITICAL:
      return "CRITICAL";
    case G_LOG_LEVEL_WARNING:
      return "WARNING";
    case G_LOG_LEVEL_MESSAGE:
      return "MESSAGE";
    case G_LOG_LEVEL_INFO:
      return "INFO";
    default:
      return "DEBUG";
  }
}

/* Control characters written as escapes, so that no value from the network
 * (a display name with CR/LF, an ESC sequence) can forge a log line or a
 * terminal. Values logged from sip/ are escaped already (backslashes and
 * quotes too, with mcu_sip_log_escape ()); this is the last guard. */
static void
append_safe (GString *line, const gchar *text)
{
  for (const guchar *p = (const guchar *)text; *p; p++) {
    if (*p == '\n')
      g_string_append (line, "\\n");
    else if (*p == '\r')
      g_string_append (line, "\\r");
    else if (*p < 0x20 || *p == 0x7f)
      g_string_append_printf (line, "\\x%02x", *p);
    else
      g_string_append_c (line, *p);
  }
}

static GLogWriterOutput
mcu_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
    gpointer user_data)
{
  const gchar *domain = NULL, *message = NULL, *room = NULL, *call = NULL;
  g_autoptr (GDateTime) now = NULL;
  g_autofree gchar *stamp = NULL;
  GString *line;

  for (gsize i = 0; i < n_fields; i++) {
    if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
      domain = fields[i].value;
    else if (g_str_equal (fields[i].key, "MESSAGE"))
      message = fields[i].value;
    else if (g_str_equal (fields[i].key, "MCU_ROOM"))
      room = fields[i].value;
    else if (g_str_equal (fields[i].key, "MCU_CALL_ID"))
      call = fields[i].value;
  }
  /* DEBUG only when G_MESSAGES_DEBUG asks for it; INFO too, except our own
   * (the call flow, which a server log needs). */
  if ((level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) &&
      !((level & G_LOG_LEVEL_INFO) && domain &&
          g_str_has_prefix (domain, "mcu")) &&
      g_log_writer_default_would_drop (level, domain))
    return G_LOG_WRITER_HANDLED;
  if (g_log_writer_is_journald (fileno (stderr)))
    return g_log_writer_journald (level, fields, n_fields, user_data);

  now = g_date_time_new_now_local ();
  stamp = g_date_time_format (now, "%H:%M:%S.%f");
  line = g_string_new (NULL);
  g_string_append_printf (
      line, "%.12s %-8s %s", stamp, level_name (level), domain ? domain : "-");
  if (room) {
    g_string_append (line, " [room ");
    append_safe (line, room);
    g_string_append_c (line, ']');
  }
  if (call) {
    g_autofree gchar *short_call = g_strndup (call, 24);

    g_string_append (line, " [call ");
    append_safe (line, short_call);
    g_string_append_c (line, ']');
  }
  g_string_append (line, ": ");
  append_safe (line, message ? message : "");
  g_string_append_c (line, '\n');
  fputs (line->str, stderr);
  fflush (stderr);
  g_string_free (line, TRUE);
  return G_LOG_WRITER_HANDLED;
}

void
mcu_log_install (void)
{
  g_log_set_writer_func (mcu_log_writer, NULL, NULL);
}
