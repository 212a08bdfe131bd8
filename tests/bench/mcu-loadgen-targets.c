/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mcu-loadgen --rtp-targets FILE: callers without SIP. Each line of FILE is
 * "LOCAL_PORT HOST:PORT" (blank lines and # comments skipped): the caller
 * binds 127.0.0.1:LOCAL_PORT (RTCP on the next port) and sends its Opus tone
 * (payload type 111) to HOST:PORT, a participant some script set up on
 * another server (tests/bench/janus_compare.py joins Janus AudioBridge
 * plain-RTP participants). The media and the measurements are the SIP mode's.
 * Main thread only. */
#include "mcu-loadgen.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static gboolean
parse_line (const gchar *line, guint *port, struct sockaddr_in *sa)
{
  g_auto (GStrv) f = g_strsplit_set (line, " \t", -1);
  g_autofree gchar *host = NULL;
  const gchar *colon;
  gchar *end = NULL;
  guint64 lp, rp;
  guint k = 0;
  const gchar *fields[2];

  for (guint i = 0; f[i]; i++)
    if (f[i][0] != '\0') {
      if (k == 2)
        return FALSE;
      fields[k++] = f[i];
    }
  if (k != 2)
    return FALSE;
  lp = g_ascii_strtoull (fields[0], &end, 10);
  if (*end != '\0' || lp < 1024 || lp > 65534)
    return FALSE;
  colon = strrchr (fields[1], ':');
  if (colon == NULL)
    return FALSE;
  rp = g_ascii_strtoull (colon + 1, &end, 10);
  if (*end != '\0' || rp < 1 || rp > 65535)
    return FALSE;
  host = g_strndup (fields[1], colon - fields[1]);
  memset (sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_port = htons ((guint16)rp);
  if (inet_pton (AF_INET, host, &sa->sin_addr) != 1)
    return FALSE;
  *port = (guint)lp;
  return TRUE;
}

/* Reads the file; sets the number of callers to its number of lines. */
gboolean
mcu_loadgen_targets_load (McuLoadgen *lg, GError **error)
{
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GArray) ports = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) addrs =
      g_array_new (FALSE, FALSE, sizeof (struct sockaddr_in));

  if (!g_file_get_contents (lg->opt.rtp_targets, &text, NULL, error))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    gchar *line = g_strstrip (lines[i]);
    struct sockaddr_in sa;
    guint port;

    if (line[0] == '\0' || line[0] == '#')
      continue;
    if (!parse_line (line, &port, &sa)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "%s:%u: expected \"LOCAL_PORT IPV4:PORT\", got \"%s\"",
          lg->opt.rtp_targets, i + 1, line);
      return FALSE;
    }
    g_array_append_val (ports, port);
    g_array_append_val (addrs, sa);
  }
  if (ports->len == 0 || ports->len > 2000) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "%s: %u targets (need 1 to 2000)", lg->opt.rtp_targets, ports->len);
    return FALSE;
  }
  lg->opt.participants = ports->len;
  lg->target_ports = (guint *)g_array_free (g_steal_pointer (&ports), FALSE);
  lg->target_addrs =
      (struct sockaddr_in *)g_array_free (g_steal_pointer (&addrs), FALSE);
  return TRUE;
}

void
mcu_loadgen_targets_start (McuLoadgen *lg)
{
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < lg->n; i++) {
    McuLoadgenCaller *c = &lg->callers[i];

    c->remote = lg->target_addrs[i];
    c->pt = MCU_LOADGEN_OPUS_PT;
    c->state = MCU_LOADGEN_CALL_UP;
    c->invite_us = c->answer_us = now; /* no setup to time */
    mcu_loadgen_call_answered (lg, c);
  }
  lg->next_dial = lg->n;
  mcu_loadgen_call_settled (lg);
}

void
mcu_loadgen_targets_free (McuLoadgen *lg)
{
  g_clear_pointer (&lg->target_ports, g_free);
  g_clear_pointer (&lg->target_addrs, g_free);
}
