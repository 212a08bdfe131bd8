/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcuctl: what its command files share (mcuctl.c has the HTTP and the
 * printing). */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

enum
{
  EXIT_OK = 0,
  EXIT_REFUSED = 1,
  EXIT_USAGE = 2,
  EXIT_UNREACHABLE = 3,
};

typedef struct
{
  SoupSession *session;
  gchar *base; /* "http://localhost" for the socket, else --url */
  gchar *token;
  gboolean json;
  const gchar *content_type; /* of request bodies (NULL: JSON) */
} Ctl;

/* The parsed JSON reply of one request (NULL: refused or unreachable, the
 * exit code in *code, the error printed). */
JsonNode *mcuctl_call (Ctl *ctl, const gchar *method, const gchar *path,
    const gchar *body, int *code);
/* GET @path and print it: the array @list_member as a table of @columns
 * ("member:HEADER"), or the object. */
int mcuctl_show (Ctl *ctl, const gchar *path, const gchar *list_member,
    const gchar *const *columns);
/* A request that changes something: prints @done (or the JSON reply). */
int mcuctl_change (Ctl *ctl, const gchar *method, const gchar *path,
    const gchar *body, const gchar *done);

/* mcuctl-record.c: record start|stop|list, stream start|stop|list */
int mcuctl_cmd_record (Ctl *ctl, gchar **args);
int mcuctl_cmd_stream (Ctl *ctl, gchar **args);

/* A JSON object of string members: name, value, ..., NULL (a NULL value
 * leaves its member out). (transfer full) */
gchar *mcuctl_json_body (const gchar *first_name, ...) G_GNUC_NULL_TERMINATED;

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

/* @rows (objects) as a table of @columns ("member:HEADER") */
void mcuctl_print_table (JsonArray *rows, const gchar *const *columns);

/* The reply as indented JSON; an object as "member value" lines. */
void mcuctl_print_json (JsonNode *node);
void mcuctl_print_object (JsonObject *o);
/* GET @path and print its raw body (an iCalendar). */
int mcuctl_print_raw (Ctl *ctl, const gchar *path);

/* mcuctl-meeting.c: meetings [--ics], meeting add|show|cancel|extend|dial|
 * import ... */
int mcuctl_cmd_meetings (Ctl *ctl, gchar **args);
int mcuctl_cmd_meeting (Ctl *ctl, gchar **args);

/* mcuctl-cluster.c: cluster, drain */
int mcuctl_cmd_cluster (Ctl *ctl, gchar **args);
int mcuctl_cmd_drain (Ctl *ctl, gchar **args);

G_END_DECLS
