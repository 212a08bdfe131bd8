/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the control socket's scheduled meetings.
 *
 *   GET/POST /v1/meetings (POST: a JSON meeting, or text/calendar to
 *     import every VEVENT), GET /v1/meetings.ics,
 *   GET/PATCH/DELETE /v1/meetings/{id} (DELETE ?occurrence=START cancels
 *     one occurrence), GET /v1/meetings/{id}.ics,
 *   GET /v1/meetings/{id}/occurrences?from=&to=,
 *   POST /v1/meetings/{id}/extend {"minutes": N} | {"duration": "PT10M"},
 *   GET/POST /v1/meetings/{id}/attendees,
 *   DELETE /v1/meetings/{id}/attendees/{aid},
 *   POST /v1/meetings/{id}/attendees/{aid}/dial
 *
 * The model (validation, occurrences, iCalendar) is McuMeeting's; the
 * runtime and the conflicts are McuScheduler's; this file maps their
 * errors to HTTP. */
#include "mcu-control-private.h"
#include "mcu-scheduler.h"

#include <string.h>

#define MAX_OCCURRENCES   1000
#define DEFAULT_SPAN_DAYS 90

static const McuFieldSpec extend_fields[] = {
  { "minutes", MCU_FIELD_UINT, FALSE, 1, 24 * 60, NULL },
  { "duration", MCU_FIELD_STRING, FALSE, 0, 32, NULL },
};

static McuScheduler *
scheduler_of (McuControlRequest *req)
{
  return mcu_daemon_get_scheduler (mcu_control_get_daemon (req->data));
}

/* Maps a model or scheduler error to a reply. */
static void
reply_gerror (McuControlRequest *req, const GError *error)
{
  guint status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
  const gchar *code = "internal";

  if (error->domain == MCU_MEETING_ERROR) {
    status = SOUP_STATUS_BAD_REQUEST;
    code = error->code == MCU_MEETING_ERROR_ICALENDAR ? "bad-icalendar"
                                                      : "invalid-field";
  } else if (error->domain == MCU_SCHEDULER_ERROR) {
    switch ((McuSchedulerErrorCode)error->code) {
      case MCU_SCHEDULER_ERROR_NOT_FOUND:
        status = SOUP_STATUS_NOT_FOUND;
        code = "not-found";
        break;
      case MCU_SCHEDULER_ERROR_CONFLICT:
        status = SOUP_STATUS_CONFLICT;
        code = "conflict";
        break;
      case MCU_SCHEDULER_ERROR_STATE:
        status = SOUP_STATUS_CONFLICT;
        code = "wrong-state";
        break;
      case MCU_SCHEDULER_ERROR_INVALID:
        status = SOUP_STATUS_BAD_REQUEST;
        code = "invalid-field";
        break;
      case MCU_SCHEDULER_ERROR_STORE:
        break;
      case MCU_SCHEDULER_ERROR_UNAVAILABLE:
        status = SOUP_STATUS_SERVICE_UNAVAILABLE;
        code = "storage-unavailable";
        break;
    }
  }
  mcu_control_reply_error (req, status, code, "%s", error->message);
}

/* The scheduler, or NULL after replying 503 (a daemon without one). */
static McuScheduler *
need_scheduler (McuControlRequest *req)
{
  McuScheduler *s = scheduler_of (req);

  if (s == NULL)
    mcu_control_reply_error (
        req, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable", "no scheduler");
  return s;
}

/* The meeting of args[0], or NULL after replying 404. */
static McuMeeting *
find_meeting (McuControlRequest *req, McuScheduler *s)
{
  McuMeeting *m = mcu_scheduler_lookup (s, req->args[0]);

  if (m == NULL)
    mcu_control_reply_error (req, SOUP_STATUS_NOT_FOUND, "no-such-meeting",
        "no meeting %s", req->args[0]);
  return m;
}

static void
reply_text (McuControlRequest *req, const gchar *type, gchar *text)
{
  soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (
      req->msg, type, SOUP_MEMORY_TAKE, text, strlen (text));
}

static void
reply_ics (McuControlRequest *req, GPtrArray *meetings)
{
  reply_text (req, "text/calendar; charset=utf-8",
      mcu_meeting_list_to_ical (
          (McuMeeting *const *)meetings->pdata, meetings->len));
}

static void
reply_meeting (
    McuControlRequest *req, McuScheduler *s, guint status, McuMeeting *meeting)
{
  mcu_control_reply_json (
      req, status, mcu_scheduler_meeting_to_json (s, meeting));
}

static JsonNode *
body_node (McuControlRequest *req)
{
  JsonNode *node = json_node_alloc ();

  return json_node_init_object (node, req->body);
}

/* The query parameter @name of the request. (transfer full) (nullable) */
static gchar *
query_param (McuControlRequest *req, const gchar *name)
{
  GUri *uri = soup_server_message_get_uri (req->msg);
  const gchar *query = g_uri_get_query (uri);
  g_autoptr (GHashTable) params = NULL;

  if (query == NULL)
    return NULL;
  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  return params ? g_strdup (g_hash_table_lookup (params, name)) : NULL;
}

/* An RFC 3339 time (with offset) of the query, in UTC microseconds.
 * FALSE after replying 400. */
static gboolean
query_time (McuControlRequest *req, const gchar *name, gint64 *out)
{
  g_autofree gchar *text = query_param (req, name);
  g_autoptr (GDateTime) t = NULL;

  if (text == NULL)
    return TRUE;
  t = g_date_time_new_from_iso8601 (text, NULL);
  if (t == NULL) {
    mcu_control_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid-field",
        "%s: not an RFC 3339 date-time with offset: %s", name, text);
    return FALSE;
  }
  *out = g_date_time_to_unix (t) * G_USEC_PER_SEC +
         g_date_time_get_microsecond (t);
  return TRUE;
}

void
mcu_control_meetings_list (McuControlRequest *req)
{
  McuScheduler *s = need_scheduler (req);
  g_autoptr (GPtrArray) list = NULL;
  JsonArray *array;
  JsonObject *o;
  JsonNode *root;

  if (s == NULL)
    return;
  list = mcu_scheduler_list (s);
  array = json_array_sized_new (list->len);
  for (guint i = 0; i < list->len; i++)
    json_array_add_element (
        array, mcu_scheduler_meeting_to_json (s, g_ptr_array_index (list, i)));
  o = json_object_new ();
  json_object_set_array_member (o, "meetings", array);
  root = json_node_init_object (json_node_alloc (), o);
  json_object_unref (o);
  mcu_control_reply_json (req, SOUP_STATUS_OK, root);
}

void
mcu_control_meetings_ics (McuControlRequest *req)
{
  McuScheduler *s = need_scheduler (req);
  g_autoptr (GPtrArray) list = NULL;

  if (s == NULL)
    return;
  list = mcu_scheduler_list (s);
  reply_ics (req, list);
}

/* POST text/calendar: every VEVENT, all or none. */
static void
import_ical (McuControlRequest *req, McuScheduler *s)
{
  SoupMessageBody *body = soup_server_message_get_request_body (req->msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  g_autofree gchar *text =
      g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) meetings = mcu_meeting_list_from_ical (text, &error);
  JsonArray *array;
  JsonObject *o;

  if (meetings == NULL) {
    reply_gerror (req, error);
    return;
  }
  for (guint i = 0; i < meetings->len; i++) {
    if (mcu_scheduler_add (s, g_ptr_array_index (meetings, i), &error))
      continue;
    while (i-- > 0)
      mcu_scheduler_remove (
          s, mcu_meeting_get_id (g_ptr_array_index (meetings, i)), NULL);
    reply_gerror (req, error);
    return;
  }
  array = json_array_sized_new (meetings->len);
  for (guint i = 0; i < meetings->len; i++)
    json_array_add_element (array,
        mcu_scheduler_meeting_to_json (s, g_ptr_array_index (meetings, i)));
  o = json_object_new ();
  json_object_set_array_member (o, "meetings", array);
  mcu_control_reply_json (
      req, SOUP_STATUS_CREATED, json_node_init_object (json_node_alloc (), o));
  json_object_unref (o);
}

void
mcu_control_meetings_create (McuControlRequest *req)
{
  McuScheduler *s = need_scheduler (req);
  const gchar *type = soup_message_headers_get_content_type (
      soup_server_message_get_request_headers (req->msg), NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (McuMeeting) meeting = NULL;
  g_autofree gchar *location = NULL;

  if (s == NULL)
    return;
  if (type && g_ascii_strcasecmp (type, "text/calendar") == 0) {
    import_ical (req, s);
    return;
  }
  if (req->body == NULL) {
    mcu_control_reply_error (req, SOUP_STATUS_BAD_REQUEST, "missing-body",
        "send a JSON meeting or an iCalendar (Content-Type: text/calendar)");
    return;
  }
  node = body_node (req);
  meeting = mcu_meeting_new_from_json (node, NULL, &error);
  if (meeting == NULL || !mcu_scheduler_add (s, meeting, &error)) {
    reply_gerror (req, error);
    return;
  }
  location = g_strdup_printf ("/v1/meetings/%s", mcu_meeting_get_id (meeting));
  soup_message_headers_replace (
      soup_server_message_get_response_headers (req->msg), "Location",
      location);
  reply_meeting (req, s, SOUP_STATUS_CREATED, meeting);
}

void
mcu_control_meeting_get (McuControlRequest *req)
{
  McuScheduler *s = need_scheduler (req);
  McuMeeting *m;

  if (s == NULL)
    return;
  m = mcu_scheduler_lookup (s, req->args[0]);
  if (m == NULL && g_str_has_suffix (req->args[0], ".ics")) {
    g_autofree gchar *id =
        g_strndup (req->args[0], strlen (req->args[0]) - strlen (".ics"));
    g_autoptr (GPtrArray) one = g_ptr_array_new ();

    m = mcu_scheduler_lookup (s, id);
    if (m) {
      g_ptr_array_add (one, m);
      reply_ics (req, one);
      return;
    }
  }
  if (m == NULL)
    mcu_control_reply_error (req, SOUP_STATUS_NOT_FOUND, "no-such-meeting",
        "no meeting %s", req->args[0]);
  else
    reply_meeting (req, s, SOUP_STATUS_OK, m);
}

/* Applies @patch to the meeting and replaces it; replies. */
static void
apply_patch (McuControlRequest *req, McuScheduler *s, McuMeeting *m,
    JsonNode *patch, guint status)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuMeeting) changed = mcu_meeting_patch (m, patch, &error);

  if (changed == NULL || !mcu_scheduler_replace (s, changed, &error)) {
    reply_gerror (req, error);
    return;
  }
  reply_meeting (req, s, status, changed);
}

void
mcu_control_meeting_patch (McuControlRequest *req)
{
  McuScheduler *s = need_scheduler (req);
  McuMeeting *m = s ? find_meeting (req, s) : NULL;
  g_autoptr (JsonNode) patch = NULL;

  if (m == NULL)
    return;
  if (req->body == NULL) {
    mcu_control_reply_error (req, SOUP_STATUS_BAD_REQUEST, "missing-body",
        "this request needs a JSON object body");
    return;
  }
  patch = body_node (req);
  apply_patch (req, s, m, patch, SOUP_STATUS_OK);
}

void
mcu_control_meeting_delete (McuControlRequest *req)
{
  McuScheduler *s = need_scheduler (req);
  McuMeeting *m = s ? find_meeting (req, s) : NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *occurrence = NULL;
  gint64 start = 0;
  gboolean ok;

  if (m == NULL)
    return;
  occurrence = query_param (req, "occurrence");
  if (occurrence) {
    if (!query_time (req, "occurrence", &start))
      return;
    ok = mcu_scheduler_cancel_occurrence (s, req->args[0], start, &error);
  } else {
    ok = mcu_scheduler_remove (s, req->args[0], &error);
  }
  if (!ok)
    reply_gerror (req, error);
  else
    mcu_control_reply_json (req, SOUP_STATUS_NO_CONTENT, NULL);
}

static void
set_time (JsonObject *o, const gchar *name, gint64 usec)
{
  g_autoptr (GDateTime) t =
      g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  g_autofree gchar *text = g_date_time_format (t, "%Y-%m-%dT%H:%M:%SZ");

  json_object_set_string_member (o, name, text);
}

void
mcu_control_meeting_occurrences (McuControlRequest *req)
{
  McuScheduler *s = need_scheduler (req);
  McuMeeting *m = s ? find_meeting (req, s) : NULL;
  gint64 from = g_get_real_time ();
  gint64 to;
  g_autoptr (GArray) occ = NULL;
  JsonArray *array;
  JsonObject *o;

  if (m == NULL || !query_time (req, "from", &from))
    return;
  to = from + DEFAULT_SPAN_DAYS * G_TIME_SPAN_DAY;
  if (!query_time (req, "to", &to))
    return;
  if (to <= from) {
    mcu_control_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid-field",
        "to: must come after from");
    return;
  }
  occ = mcu_meeting_occurrences (m, from, to, MAX_OCCURRENCES);
  array = json_array_sized_new (occ->len);
  for (guint i = 0; i < occ->len; i++) {
    McuOccurrence *x = &g_array_index (occ, McuOccurrence, i);
    JsonObject *one = json_object_new ();

    set_time (one, "start", x->start);
    set_time (one, "end", x->end);
    json_array_add_object_element (array, one);
  }
  o = json_object_new ();
  json_object_set_string_member (o, "meeting", mcu_meeting_get_id (m));
  json_object_set_array_member (o, "occurrences", array);
  mcu_control_reply_json (
      req, SOUP_STATUS_OK, json_node_init_object (json_node_alloc (), o));
  json_object_unref (o);
}

void
mcu_control_meeting_extend (McuControlRequest *req)
{
  McuScheduler *s = need_scheduler (req);
  McuMeeting *m = s ? find_meeting (req, s) : NULL;
  g_autoptr (GError) error = NULL;
  gint64 delta = -1;

  if (m == NULL ||
      !mcu_control_validate (req, extend_fields, G_N_ELEMENTS (extend_fields)))
    return;
  if (json_object_has_member (req->body, "minutes") ==
      json_object_has_member (req->body, "duration")) {
    mcu_control_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid-field",
        "give either \"minutes\" or \"duration\"");
    return;
  }
  if (json_object_has_member (req->body, "minutes"))
    delta =
        json_object_get_int_member (req->body, "minutes") * G_TIME_SPAN_MINUTE;
  else if (json_object_get_string_member (req->body, "duration") &&
           !mcu_meeting_duration_parse (
               json_object_get_string_member (req->body, "duration"), &delta,
               NULL))
    delta = -1;
  if (delta <= 0 || delta > G_TIME_SPAN_DAY) {
    mcu_control_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid-field",
        "duration: an ISO 8601 duration from PT1S to P1D, e.g. PT10M");
    return;
  }
  if (!mcu_scheduler_extend (s, req->args[0], delta, &error))
    reply_gerror (req, error);
  else
    reply_meeting (req, s, SOUP_STATUS_OK, m);
}

static JsonNode *
attendee_json (const McuAttendee *a)
{
  JsonObject *o = json_object_new ();
  JsonNode *node;

  json_object_set_string_member (o, "id", a->id);
  json_object_set_string_member (o, "uri", a->uri);
  if (a->display)
    json_object_set_string_member (o, "display", a->display);
  json_object_set_string_member (o, "role",
      a->role == MCU_ATTENDEE_ROLE_MODERATOR ? "moderator" : "guest");
  json_object_set_boolean_member (o, "auto_dial", a->auto_dial);
  if (a->dtmf)
    json_object_set_string_member (o, "dtmf", a->dtmf);
  node = json_node_init_object (json_node_alloc (), o);
  json_object_unref (o);
  return node;
}

/* The meeting's attendees as JSON objects (transfer full). */
static JsonArray *
attendees_json (McuMeeting *m, const gchar *skip)
{
  GPtrArray *list = mcu_meeting_get_attendees (m);
  JsonArray *array = json_array_sized_new (list->len + 1);

  for (guint i = 0; i < list->len; i++) {
    const McuAttendee *a = g_ptr_array_index (list, i);

    if (g_strcmp0 (a->id, skip) != 0)
      json_array_add_element (array, attendee_json (a));
  }
  return array;
}

void
mcu_control_meeting_attendees_list (McuControlRequest *req)
{
  McuScheduler *s = need_scheduler (req);
  McuMeeting *m = s ? find_meeting (req, s) : NULL;
  g_autoptr (JsonNode) full = NULL;
  JsonObject *o;

  if (m == NULL)
    return;
  /* with the dial state of the running occurrence */
  full = mcu_scheduler_meeting_to_json (s, m);
  o = json_object_new ();
  json_object_set_string_member (o, "meeting", mcu_meeting_get_id (m));
  json_object_set_array_member (o, "attendees", attendees_json (m, NULL));
  json_object_set_member (o, "state",
      json_node_copy (
          json_object_get_member (json_node_get_object (full), "state")));
  mcu_control_reply_json (
      req, SOUP_STATUS_OK, json_node_init_object (json_node_alloc (), o));
  json_object_unref (o);
}

/* PATCH with "attendees": @array (taken). */
static void
patch_attendees (McuControlRequest *req, McuScheduler *s, McuMeeting *m,
    JsonArray *array, guint status)
{
  JsonObject *o = json_object_new ();
  g_autoptr (JsonNode) patch = NULL;

  json_object_set_array_member (o, "attendees", array);
  patch = json_node_init_object (json_node_alloc (), o);
  json_object_unref (o);
  apply_patch (req, s, m, patch, status);
}

void
mcu_control_meeting_attendees_add (McuControlRequest *req)
{
  McuScheduler *s = need_scheduler (req);
  McuMeeting *m = s ? find_meeting (req, s) : NULL;
  JsonArray *array;

  if (m == NULL)
    return;
  if (req->body == NULL) {
    mcu_control_reply_error (req, SOUP_STATUS_BAD_REQUEST, "missing-body",
        "send an attendee: {\"uri\": ..., \"display\": ...}");
    return;
  }
  array = attendees_json (m, NULL);
  json_array_add_object_element (array, json_object_ref (req->body));
  patch_attendees (req, s, m, array, SOUP_STATUS_CREATED);
}

void
mcu_control_meeting_attendee_delete (McuControlRequest *req)
{
  McuScheduler *s = need_scheduler (req);
  McuMeeting *m = s ? find_meeting (req, s) : NULL;

  if (m == NULL)
    return;
  if (mcu_meeting_find_attendee (m, req->args[1]) == NULL) {
    mcu_control_reply_error (req, SOUP_STATUS_NOT_FOUND, "no-such-attendee",
        "meeting %s has no attendee %s", req->args[0], req->args[1]);
    return;
  }
  patch_attendees (req, s, m, attendees_json (m, req->args[1]), SOUP_STATUS_OK);
}

void
mcu_control_meeting_attendee_dial (McuControlRequest *req)
{
  McuScheduler *s = need_scheduler (req);
  McuMeeting *m = s ? find_meeting (req, s) : NULL;
  g_autoptr (GError) error = NULL;

  if (m == NULL)
    return;
  if (!mcu_scheduler_redial (s, req->args[0], req->args[1], &error))
    reply_gerror (req, error);
  else
    reply_meeting (req, s, SOUP_STATUS_ACCEPTED, m);
}
