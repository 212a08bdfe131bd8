/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: routes, JSON replies and validation for the control socket. */
#include "mcu-control-util.h"

#include <string.h>

/* Matches @path against @pattern segment by segment; "{}" takes any one
 * non-empty segment into @args. */
static gboolean
route_matches (const gchar *pattern, const gchar *path, const gchar **args)
{
  g_auto (GStrv) p = g_strsplit (pattern, "/", -1);
  g_auto (GStrv) s = g_strsplit (path, "/", -1);
  guint n = 0;

  if (g_strv_length (p) != g_strv_length (s))
    return FALSE;
  for (guint i = 0; p[i]; i++) {
    if (g_str_equal (p[i], "{}")) {
      if (*s[i] == '\0' || n >= MCU_CONTROL_MAX_PATH_ARGS)
        return FALSE;
      if (args)
        args[n] = g_intern_string (s[i]);
      n++;
    } else if (!g_str_equal (p[i], s[i])) {
      return FALSE;
    }
  }
  return TRUE;
}

const McuControlRoute *
mcu_control_route_find (const McuControlRoute *routes, guint n_routes,
    const gchar *method, const gchar *path, const gchar **args, gchar **allow)
{
  g_autoptr (GString) methods = NULL;

  *allow = NULL;
  for (guint i = 0; i < n_routes; i++) {
    if (!route_matches (routes[i].pattern, path, NULL))
      continue;
    if (g_str_equal (routes[i].method, method)) {
      route_matches (routes[i].pattern, path, args);
      return &routes[i];
    }
    if (methods == NULL)
      methods = g_string_new (NULL);
    else
      g_string_append (methods, ", ");
    g_string_append (methods, routes[i].method);
  }
  if (methods)
    *allow = g_string_free (g_steal_pointer (&methods), FALSE);
  return NULL;
}

void
mcu_control_reply_json (McuControlRequest *req, guint status, JsonNode *node)
{
  g_autofree gchar *text = NULL;

  soup_server_message_set_status (req->msg, status, NULL);
  if (node == NULL)
    return;
  text = json_to_string (node, TRUE);
  json_node_unref (node);
  soup_server_message_set_response (
      req->msg, "application/json", SOUP_MEMORY_COPY, text, strlen (text));
  soup_message_body_append (soup_server_message_get_response_body (req->msg),
      SOUP_MEMORY_STATIC, "\n", 1);
}

void
mcu_control_reply_error (McuControlRequest *req, guint status,
    const gchar *code, const gchar *fmt, ...)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree gchar *message = NULL;
  va_list ap;

  va_start (ap, fmt);
  message = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  json_builder_end_object (b);
  mcu_control_reply_json (req, status, json_builder_get_root (b));
}

static const McuFieldSpec *
find_field (const McuFieldSpec *specs, guint n, const gchar *name)
{
  for (guint i = 0; i < n; i++)
    if (g_str_equal (specs[i].name, name))
      return &specs[i];
  return NULL;
}

static const gchar *const type_names[] = {
  [MCU_FIELD_BOOL] = "true or false",
  [MCU_FIELD_STRING] = "a string",
  [MCU_FIELD_UINT] = "a whole number",
  [MCU_FIELD_NUMBER] = "a number",
  [MCU_FIELD_ENUM] = "one of",
};

/* NULL when @node fits @spec, else why not. */
static gchar *
check_value (const McuFieldSpec *spec, JsonNode *node)
{
  GType vt = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node)
                                          : G_TYPE_INVALID;
  gdouble n;

  switch (spec->type) {
    case MCU_FIELD_BOOL:
      return vt == G_TYPE_BOOLEAN ? NULL : g_strdup (type_names[spec->type]);
    case MCU_FIELD_STRING:
      if (JSON_NODE_HOLDS_NULL (node))
        return NULL;
      if (vt != G_TYPE_STRING)
        return g_strdup (type_names[spec->type]);
      if (spec->max > 0 &&
          g_utf8_strlen (json_node_get_string (node), -1) > spec->max)
        return g_strdup_printf ("at most %.0f characters", spec->max);
      return NULL;
    case MCU_FIELD_ENUM:
      if (vt == G_TYPE_STRING &&
          g_strv_contains (spec->choices, json_node_get_string (node)))
        return NULL;
      {
        g_autofree gchar *list = g_strjoinv (", ", (gchar **)spec->choices);
        return g_strdup_printf ("one of %s", list);
      }
    case MCU_FIELD_UINT:
    case MCU_FIELD_NUMBER:
      if (vt == G_TYPE_INT64)
        n = json_node_get_int (node);
      else if (vt == G_TYPE_DOUBLE && spec->type == MCU_FIELD_NUMBER)
        n = json_node_get_double (node);
      else
        return g_strdup (type_names[spec->type]);
      if (n < spec->min || n > spec->max)
        return g_strdup_printf (
            "%s from %g to %g", type_names[spec->type], spec->min, spec->max);
      return NULL;
  }
  return g_strdup ("unexpected");
}

gboolean
mcu_control_validate (
    McuControlRequest *req, const McuFieldSpec *specs, guint n_specs)
{
  g_autoptr (GList) members = NULL;

  if (req->body == NULL) {
    mcu_control_reply_error (req, SOUP_STATUS_BAD_REQUEST, "missing-body",
        "this request needs a JSON object body");
    return FALSE;
  }
  members = json_object_get_members (req->body);
  for (GList *l = members; l; l = l->next) {
    const McuFieldSpec *spec = find_field (specs, n_specs, l->data);
    g_autofree gchar *why = NULL;

    if (spec == NULL) {
      mcu_control_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid-field",
          "unknown field \"%s\"", (const gchar *)l->data);
      return FALSE;
    }
    why = check_value (spec, json_object_get_member (req->body, l->data));
    if (why) {
      mcu_control_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid-field",
          "field \"%s\" must be %s", spec->name, why);
      return FALSE;
    }
  }
  for (guint i = 0; i < n_specs; i++)
    if (specs[i].required &&
        !json_object_has_member (req->body, specs[i].name)) {
      mcu_control_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid-field",
          "field \"%s\" is required", specs[i].name);
      return FALSE;
    }
  return TRUE;
}
