/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: logging helpers of sip/. mcu_sip_log_escape () is pure; sofia's log
 * callback runs on whatever thread sofia logs from (the main thread here,
 * sofia runs on the GLib main loop), its state is the process's. */
#include "mcu-sip-log.h"

#include <sofia-sip/su_log.h>
#include <string.h>

#define NOISE_INTERVAL (10 * G_USEC_PER_SEC)

gchar *
mcu_sip_log_escape (const gchar *text)
{
  GString *out;
  const gchar *p, *end;

  if (text == NULL)
    return g_strdup ("");
  out = g_string_sized_new (strlen (text));
  end = text + strlen (text);
  for (p = text; p < end;) {
    guchar c = *p;
    const gchar *next;

    if (c >= 0x80) {
      gunichar u = g_utf8_get_char_validated (p, end - p);

      if (u == (gunichar)-1 || u == (gunichar)-2) {
        g_string_append_printf (out, "\\x%02x", c);
        p++;
        continue;
      }
      next = g_utf8_next_char (p);
      if (g_unichar_iscntrl (u) || u == 0x2028 || u == 0x2029)
        g_string_append_printf (out, "\\u%04x", u);
      else
        g_string_append_len (out, p, next - p);
      p = next;
      continue;
    }
    switch (c) {
      case '\r':
        g_string_append (out, "\\r");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '"':
        g_string_append (out, "\\\"");
        break;
      default:
        if (c < 0x20 || c == 0x7f)
          g_string_append_printf (out, "\\x%02x", c);
        else
          g_string_append_c (out, c);
    }
    p++;
  }
  return g_string_free (out, FALSE);
}

/* Lines sofia repeats for every stray packet, rate-limited. */
static const gchar *const noise_prefixes[] = {
  "stun garbage",
  "too large message",
  NULL,
};

typedef struct
{
  GString *line;
  gint64 last_noise[G_N_ELEMENTS (noise_prefixes)];
  guint suppressed[G_N_ELEMENTS (noise_prefixes)];
} SofiaLog;

/* TRUE when @line is noise that was logged less than NOISE_INTERVAL ago;
 * otherwise appends "(N suppressed)" to it when some were. */
static gboolean
suppress_noise (SofiaLog *log, GString *line)
{
  const gchar *text = line->str;
  gint64 now;

  while (*text == ' ' || *text == '\t')
    text++;
  for (guint i = 0; noise_prefixes[i]; i++) {
    if (!g_str_has_prefix (text, noise_prefixes[i]) &&
        strstr (text, noise_prefixes[i]) == NULL)
      continue;
    now = g_get_monotonic_time ();
    if (log->last_noise[i] != 0 && now - log->last_noise[i] < NOISE_INTERVAL) {
      log->suppressed[i]++;
      return TRUE;
    }
    log->last_noise[i] = now;
    g_string_append_printf (line, " (%u suppressed)", log->suppressed[i]);
    log->suppressed[i] = 0;
    return FALSE;
  }
  return FALSE;
}

static void
on_sofia_log (void *stream, char const *fmt, va_list ap)
{
  SofiaLog *log = stream;
  GString *line = log->line;
  g_autofree gchar *safe = NULL;

  g_string_append_vprintf (line, fmt, ap);
  if (line->len == 0 || line->str[line->len - 1] != '\n')
    return;
  g_string_truncate (line, line->len - 1);
  if (!suppress_noise (log, line)) {
    safe = mcu_sip_log_escape (line->str);
    g_log_structured ("mcu-sofia", G_LOG_LEVEL_DEBUG, "MESSAGE", "%s", safe);
  }
  g_string_truncate (line, 0);
}

void
mcu_sip_redirect_sofia_log (void)
{
  static SofiaLog log; /* sofia's log is process-global: so is this */

  if (log.line == NULL)
    log.line = g_string_new (NULL);
  su_log_redirect (NULL, on_sofia_log, &log);
}
