/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: what the control socket's resources share: a request, JSON replies
 * and errors, routes, and table-driven validation of JSON bodies. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define MCU_CONTROL_MAX_PATH_ARGS 4

/* One request, as the handlers see it. */
typedef struct
{
  SoupServerMessage *msg;
  const gchar *method;
  const gchar *args[MCU_CONTROL_MAX_PATH_ARGS]; /* the {..} of the route */
  JsonObject *body; /* (nullable) the parsed JSON body of POST/PATCH */
  gpointer data;    /* the McuControl */
} McuControlRequest;

typedef void (*McuControlHandler) (McuControlRequest *req);

/* "GET", "/v1/rooms/{}/participants", handler: a {} matches one path
 * segment and goes into args[] in order. */
typedef struct
{
  const gchar *method;
  const gchar *pattern;
  McuControlHandler handler;
} McuControlRoute;

/* Finds the route for @method and @path. Returns NULL and sets *@allow to
 * the methods the path does take (transfer full, NULL when no route has
 * the path at all: 404). */
const McuControlRoute *mcu_control_route_find (const McuControlRoute *routes,
    guint n_routes, const gchar *method, const gchar *path, const gchar **args,
    gchar **allow);

/* Replies @status with @node as JSON (takes @node; NULL = no body). */
void mcu_control_reply_json (
    McuControlRequest *req, guint status, JsonNode *node);
/* {"error": {"code": @code, "message": ...}} with @status. */
void mcu_control_reply_error (McuControlRequest *req, guint status,
    const gchar *code, const gchar *fmt, ...) G_GNUC_PRINTF (4, 5);

/* A member a JSON body may have: its type and limits. */
typedef enum
{
  MCU_FIELD_BOOL,
  MCU_FIELD_STRING, /* max = longest length, 0 = any */
  MCU_FIELD_UINT,   /* min .. max */
  MCU_FIELD_NUMBER, /* min .. max */
  MCU_FIELD_ENUM,   /* one of choices */
} McuFieldType;

typedef struct
{
  const gchar *name;
  McuFieldType type;
  gboolean required;
  gdouble min;
  gdouble max;
  const gchar *const *choices; /* MCU_FIELD_ENUM; NULL-terminated */
} McuFieldSpec;

/* Checks @body against @specs: unknown members, missing required ones,
 * wrong types, values out of range. On failure replies 400 (code
 * "invalid-field", naming the field) and returns FALSE. A NULL member value
 * is allowed for strings (means "clear"). */
gboolean mcu_control_validate (
    McuControlRequest *req, const McuFieldSpec *specs, guint n_specs);

G_END_DECLS
