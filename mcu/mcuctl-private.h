/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcuctl: what its command files share (mcuctl.c holds the rest). */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct
{
  SoupSession *session;
  gchar *base; /* "http://localhost" for the socket, else --url */
  gchar *token;
  gboolean json;
  const gchar *content_type; /* of request bodies (NULL: JSON) */
} Ctl;

/* A JSON object of string members: name, value, ..., NULL (a NULL value
 * leaves its member out). (transfer full) */
gchar *mcuctl_json_body (const gchar *first_name, ...) G_GNUC_NULL_TERMINATED;
/* Sends the request; prints @done (or the JSON reply with --json) on
 * success, the server's error otherwise. Returns the exit code. */
int mcuctl_change (Ctl *ctl, const gchar *method, const gchar *path,
    const gchar *body, const gchar *done);

/* mcuctl-dtmf.c: dtmf ROOM ID DIGITS */
int mcuctl_cmd_dtmf (Ctl *ctl, gchar **args);

/* mcuctl-prompts.c: announce ROOM NAME, prompt ROOM ID NAME */
int mcuctl_cmd_announce (Ctl *ctl, gchar **args);
int mcuctl_cmd_prompt (Ctl *ctl, gchar **args);

/* mcuctl-room.c: create ROOM [OPTION...], set ROOM OPTION..., volume ROOM
 * ID VOLUME [--listen] */
int mcuctl_cmd_create (Ctl *ctl, gchar **args);
int mcuctl_cmd_set (Ctl *ctl, gchar **args);
int mcuctl_cmd_volume (Ctl *ctl, gchar **args);

G_END_DECLS
