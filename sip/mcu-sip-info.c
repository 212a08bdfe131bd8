/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: DTMF in SIP INFO bodies (see mcu-sip-info.h).
 *
 * application/dtmf-relay (Cisco's, the common one): lines of Key=Value,
 * CRLF or LF, keys case-insensitive, blanks around '=' and at line ends
 * ignored, unknown keys ignored; Signal= is required: a key character
 * ("0"-"9", "*", "#", "A"-"D", either case) or its RFC 4733 event number
 * ("10" = "*", "11" = "#", "12"-"15" = "A"-"D"; "16" or "!" = flash, taken
 * and not reported). application/dtmf: the key alone, same values. */
#include "mcu-sip-info.h"

#include <string.h>

static const gchar keys[] = "0123456789*#ABCD";

/* @s (NUL-terminated, trimmed): a key, a flash ('!'), or 0. */
static gchar
parse_signal (const gchar *s)
{
  guint64 n;
  gchar *end = NULL;

  if (s[0] != '\0' && s[1] == '\0') {
    gchar c = g_ascii_toupper (s[0]);

    if (c == '!')
      return '!';
    if (c != '\0' && strchr (keys, c) != NULL)
      return c;
    return 0;
  }
  if (!g_ascii_isdigit (s[0]) || strlen (s) > 3)
    return 0;
  n = g_ascii_strtoull (s, &end, 10);
  if (end == NULL || *end != '\0')
    return 0;
  if (n < 16)
    return keys[n];
  return n == 16 ? '!' : 0;
}

static gboolean
type_is (const gchar *content_type, const gchar *want)
{
  gsize n = strlen (want);

  return g_ascii_strncasecmp (content_type, want, n) == 0 &&
         (content_type[n] == '\0' || content_type[n] == ';' ||
             content_type[n] == ' ' || content_type[n] == '\t');
}

static McuSipInfoResult
malformed (gchar **why, const gchar *text)
{
  if (why)
    *why = g_strdup (text);
  return MCU_SIP_INFO_MALFORMED;
}

static McuSipInfoResult
take_signal (gchar signal, gchar *digit, gchar **why)
{
  if (signal == 0)
    return malformed (why, "Signal is not a DTMF key (0-9 * # A-D)");
  if (signal == '!')
    return MCU_SIP_INFO_NO_KEY;
  *digit = signal;
  return MCU_SIP_INFO_DTMF;
}

static McuSipInfoResult
parse_relay (const gchar *text, gchar *digit, guint *duration_ms, gchar **why)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", 32);
  gchar signal = 0;
  gboolean have_signal = FALSE;

  for (gchar **l = lines; *l; l++) {
    gchar *eq, *key, *value;

    g_strstrip (*l);
    if (**l == '\0')
      continue;
    eq = strchr (*l, '=');
    if (eq == NULL)
      return malformed (why, "dtmf-relay line without '='");
    *eq = '\0';
    key = g_strstrip (*l);
    value = g_strstrip (eq + 1);
    if (g_ascii_strcasecmp (key, "Signal") == 0) {
      if (have_signal)
        return malformed (why, "more than one Signal");
      have_signal = TRUE;
      signal = parse_signal (value);
      if (signal == 0)
        return malformed (why, "Signal is not a DTMF key (0-9 * # A-D)");
    } else if (g_ascii_strcasecmp (key, "Duration") == 0) {
      guint64 ms;
      gchar *end = NULL;

      ms = g_ascii_strtoull (value, &end, 10);
      if (!g_ascii_isdigit (*value) || end == NULL || *end != '\0' ||
          ms > 600000)
        return malformed (why, "Duration is not a number of ms");
      if (duration_ms)
        *duration_ms = (guint)ms;
    }
  }
  if (!have_signal)
    return malformed (why, "dtmf-relay body without Signal=");
  return take_signal (signal, digit, why);
}

McuSipInfoResult
mcu_sip_info_parse_dtmf (const gchar *content_type, const gchar *body,
    gsize len, gchar *digit, guint *duration_ms, gchar **why)
{
  g_autofree gchar *text = NULL;

  g_return_val_if_fail (digit != NULL, MCU_SIP_INFO_MALFORMED);
  *digit = 0;
  if (duration_ms)
    *duration_ms = 0;
  if (why)
    *why = NULL;
  if (content_type == NULL || *content_type == '\0') {
    if (body == NULL || len == 0)
      return MCU_SIP_INFO_NO_KEY; /* an empty INFO: a keep-alive */
    return malformed (why, "a body without Content-Type");
  }
  if (!type_is (content_type, "application/dtmf-relay") &&
      !type_is (content_type, "application/dtmf")) {
    if (why)
      *why = g_strdup ("only application/dtmf-relay and application/dtmf "
                       "are taken in INFO");
    return MCU_SIP_INFO_UNSUPPORTED;
  }
  if (body == NULL || len == 0)
    return malformed (why, "empty DTMF body");
  if (len > MCU_SIP_INFO_MAX_BODY || memchr (body, '\0', len) != NULL)
    return malformed (why, "DTMF body too long or binary");
  text = g_strndup (body, len);
  if (type_is (content_type, "application/dtmf-relay"))
    return parse_relay (text, digit, duration_ms, why);
  return take_signal (parse_signal (g_strstrip (text)), digit, why);
}
