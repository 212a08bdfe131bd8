/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcuctl dtmf ROOM ID DIGITS: POST /v1/rooms/ROOM/participants/ID/dtmf. */
#include "mcuctl-private.h"

int
mcuctl_cmd_dtmf (Ctl *ctl, gchar **args)
{
  g_autofree gchar *path =
      g_strdup_printf ("/v1/rooms/%s/participants/%s/dtmf", args[0], args[1]);
  g_autofree gchar *body = mcuctl_json_body ("digits", args[2], NULL);
  g_autofree gchar *done = g_strdup_printf (
      "sending %s to participant %s in room %s", args[2], args[1], args[0]);

  return mcuctl_change (ctl, "POST", path, body, done);
}
