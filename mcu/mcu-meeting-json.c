/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a meeting's JSON form: the field table every member goes through
 * (new, PATCH, iCalendar import), and the JSON the control API shows and
 * the store keeps. An error names the member first ("duration: ...",
 * "attendees[1].uri: ..."). Main thread only. */
#include "mcu-meeting-private.h"
#include "mcu-room-directory.h"
#include "mcu-room.h"

#include <string.h>

#define MAX_ATTENDEES 500
#define MAX_DATES     1000
#define MAX_WARNINGS  10

static gboolean
parse_time (const gchar *text, gint64 *out, GError **error)
{
  g_autoptr (GDateTime) dt = NULL;

  if (!g_regex_match_simple ("^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:"
                             "[0-9]{2}:[0-9]{2}(Z|z|[+-][0-9]{2}:[0-9]{2})$",
          text, 0, 0) ||
      (dt = g_date_time_new_from_iso8601 (text, NULL)) == NULL) {
    g_set_error (error, MCU_MEETING_ERROR, MCU_MEETING_ERROR_INVALID,
        "\"%s\" is not an RFC 3339 date-time with offset such as "
        "2026-12-07T09:00:00+01:00",
        text);
    return FALSE;
  }
  *out = g_date_time_to_unix (dt) * G_TIME_SPAN_SECOND;
  return TRUE;
}

/* --- the field table ------------------------------------------------ */

/* Sets a field from @node, or to its default when @node is NULL or JSON
 * null. The message of @error is prefixed with the field's name by the
 * caller. */
typedef gboolean (*FieldParse) (
    McuMeeting *self, JsonNode *node, GError **error);

static gboolean invalid (GError **error, const gchar *fmt, ...)
    G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError **error, const gchar *fmt, ...)
{
  va_list ap;
  gchar *msg;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (
      error, MCU_MEETING_ERROR, MCU_MEETING_ERROR_INVALID, msg);
  g_free (msg);
  return FALSE;
}

static gboolean
is_null (JsonNode *node)
{
  return node == NULL || JSON_NODE_HOLDS_NULL (node);
}

/* A string of 1..@max printable characters (no control characters). */
static gboolean
get_text (JsonNode *node, gsize max, const gchar **out, GError **error)
{
  const gchar *s, *p;

  if (!JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return invalid (error, "must be a string");
  s = json_node_get_string (node);
  if (*s == '\0')
    return invalid (error, "must not be empty");
  if (strlen (s) > max)
    return invalid (error, "longer than %" G_GSIZE_FORMAT " bytes", max);
  if (!g_utf8_validate (s, -1, NULL))
    return invalid (error, "not UTF-8");
  for (p = s; *p != '\0'; p++)
    if ((guchar)*p < 0x20 || *p == 0x7f)
      return invalid (error, "contains a control character");
  *out = s;
  return TRUE;
}

static gboolean
get_duration (
    JsonNode *node, gint64 min, gint64 max, gint64 *out, GError **error)
{
  const gchar *s;
  gint64 v;
  g_autofree gchar *lo = NULL, *hi = NULL;

  if (!get_text (node, 32, &s, error) ||
      !mcu_meeting_duration_parse (s, &v, error))
    return FALSE;
  if (v < min || v > max) {
    lo = mcu_meeting_duration_format (min);
    hi = mcu_meeting_duration_format (max);
    return invalid (error, "%s is out of range (%s to %s)", s, lo, hi);
  }
  *out = v;
  return TRUE;
}

static gboolean
get_uint (JsonNode *node, guint max, guint *out, GError **error)
{
  gint64 v;

  if (!JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return invalid (error, "must be an integer");
  v = json_node_get_int (node);
  if (v < 0 || v > max)
    return invalid (error, "must be 0 to %u", max);
  *out = (guint)v;
  return TRUE;
}

static gboolean
set_string (gchar **field, JsonNode *node, gsize max, GError **error)
{
  const gchar *s;

  if (is_null (node)) {
    g_clear_pointer (field, g_free);
    return TRUE;
  }
  if (!get_text (node, max, &s, error))
    return FALSE;
  g_free (*field);
  *field = g_strdup (s);
  return TRUE;
}

static gboolean
parse_id (McuMeeting *self, JsonNode *node, GError **error)
{
  const gchar *s, *p;

  if (is_null (node))
    return TRUE; /* the caller's id or a random one */
  if (!get_text (node, 64, &s, error))
    return FALSE;
  for (p = s; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return invalid (error, "only letters, digits, '-', '_' and '.'");
  g_free (self->id);
  self->id = g_strdup (s);
  return TRUE;
}

static gboolean
parse_subject (McuMeeting *self, JsonNode *node, GError **error)
{
  if (!set_string (&self->subject, node, 200, error))
    return FALSE;
  if (self->subject == NULL)
    self->subject = g_strdup ("Meeting");
  return TRUE;
}

static gboolean
parse_room (McuMeeting *self, JsonNode *node, GError **error)
{
  const gchar *s;

  if (is_null (node))
    return invalid (error, "is required");
  if (!get_text (node, 64, &s, error))
    return FALSE;
  if (!mcu_room_directory_is_valid_name (s))
    return invalid (error, "\"%s\" is not a valid room name", s);
  g_free (self->room);
  self->room = g_strdup (s);
  return TRUE;
}

static gboolean
parse_timezone (McuMeeting *self, JsonNode *node, GError **error)
{
  const gchar *s = "UTC";

  if (!is_null (node) && !get_text (node, 64, &s, error))
    return FALSE;
  if (!mcu_meeting_timezone_is_valid (s))
    return invalid (error, "\"%s\" is not a known IANA time zone", s);
  g_free (self->timezone);
  self->timezone = g_strdup (s);
  g_clear_pointer (&self->tz, g_time_zone_unref);
  self->tz = g_time_zone_new_identifier (s);
  return TRUE;
}

static gboolean
parse_start (McuMeeting *self, JsonNode *node, GError **error)
{
  const gchar *s;

  if (is_null (node))
    return invalid (error, "is required");
  return get_text (node, 64, &s, error) && parse_time (s, &self->start, error);
}

static gboolean
parse_duration (McuMeeting *self, JsonNode *node, GError **error)
{
  /* absent: "end" may give it; apply_json () checks one of them did */
  if (node == NULL)
    return TRUE;
  if (is_null (node))
    return invalid (error, "is required");
  return get_duration (node, G_TIME_SPAN_SECOND, MCU_MEETING_MAX_DURATION,
      &self->duration, error);
}

/* Input only: the first occurrence's end, instead of "duration". */
static gboolean
parse_end (McuMeeting *self, JsonNode *node, GError **error)
{
  const gchar *s;
  gint64 end;

  if (is_null (node))
    return TRUE;
  if (!get_text (node, 64, &s, error) || !parse_time (s, &end, error))
    return FALSE;
  if (end <= self->start)
    return invalid (error, "%s is not after the start", s);
  if (end - self->start > MCU_MEETING_MAX_DURATION)
    return invalid (error, "%s is more than 31 days after the start", s);
  self->duration = end - self->start;
  return TRUE;
}

static gboolean
parse_rrule (McuMeeting *self, JsonNode *node, GError **error)
{
  const gchar *s;

  /* checked against start and zone once every field is in: see
   * mcu_meeting_recur_check () */
  if (is_null (node)) {
    g_clear_pointer (&self->rrule, g_free);
    return TRUE;
  }
  if (!get_text (node, 512, &s, error))
    return FALSE;
  if (g_ascii_strncasecmp (s, "RRULE:", 6) == 0)
    s += 6;
  g_free (self->rrule);
  self->rrule = g_ascii_strup (s, -1);
  return TRUE;
}

static gint
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

  return x < y ? -1 : x > y;
}

/* A sorted array of unique times. */
static gboolean
parse_dates (GArray *dates, JsonNode *node, GError **error)
{
  JsonArray *array;
  guint i, n;

  g_array_set_size (dates, 0);
  if (is_null (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return invalid (error, "must be an array of RFC 3339 date-times");
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n > MAX_DATES)
    return invalid (error, "more than %d dates", MAX_DATES);
  for (i = 0; i < n; i++) {
    const gchar *s;
    gint64 t;

    if (!get_text (json_array_get_element (array, i), 64, &s, error) ||
        !parse_time (s, &t, error)) {
      g_prefix_error (error, "[%u]: ", i);
      return FALSE;
    }
    g_array_append_val (dates, t);
  }
  g_array_sort (dates, compare_gint64);
  for (i = 1; i < dates->len;)
    if (g_array_index (dates, gint64, i) ==
        g_array_index (dates, gint64, i - 1))
      g_array_remove_index (dates, i);
    else
      i++;
  return TRUE;
}

static gboolean
parse_exdate (McuMeeting *self, JsonNode *node, GError **error)
{
  return parse_dates (self->exdates, node, error);
}

static gboolean
parse_rdate (McuMeeting *self, JsonNode *node, GError **error)
{
  return parse_dates (self->rdates, node, error);
}

static gboolean
is_valid_uri (const gchar *s)
{
  static const gchar *const schemes[] = { "sip:", "sips:", "tel:" };
  const gchar *p;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (schemes); i++)
    if (g_ascii_strncasecmp (s, schemes[i], strlen (schemes[i])) == 0) {
      s += strlen (schemes[i]);
      if (*s == '\0')
        return FALSE;
      for (p = s; *p != '\0'; p++)
        if (g_ascii_isspace (*p) || strchr ("<>\"", *p) != NULL)
          return FALSE;
      return TRUE;
    }
  /* a registered user's name */
  if (strlen (s) > 64)
    return FALSE;
  for (p = s; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-_.!~*'+&=$,;?/%", *p) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
parse_attendee_id (const gchar *s, GError **error)
{
  const gchar *p;

  if (strlen (s) > 32)
    return invalid (error, "longer than 32 bytes");
  for (p = s; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return invalid (error, "only letters, digits, '-' and '_'");
  return TRUE;
}

static gboolean
parse_attendee (JsonNode *node, McuAttendee *a, GError **error)
{
  static const gchar *const members[] = { "id", "uri", "display", "role",
    "auto_dial", NULL };
  JsonObject *o;
  g_autoptr (GList) names = NULL;
  JsonNode *v;
  const gchar *s;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return invalid (error, "must be an object");
  o = json_node_get_object (node);
  names = json_object_get_members (o);
  for (GList *l = names; l != NULL; l = l->next)
    if (!g_strv_contains (members, l->data))
      return invalid (error, "%s: unknown member", (const gchar *)l->data);

  a->auto_dial = TRUE;
  a->role = MCU_ATTENDEE_ROLE_GUEST;
  if ((v = json_object_get_member (o, "id")) != NULL && !is_null (v)) {
    if (!get_text (v, 32, &s, error) || !parse_attendee_id (s, error)) {
      g_prefix_error (error, "id: ");
      return FALSE;
    }
    a->id = g_strdup (s);
  }
  if ((v = json_object_get_member (o, "uri")) == NULL || is_null (v))
    return invalid (error, "uri: is required");
  if (!get_text (v, 256, &s, error)) {
    g_prefix_error (error, "uri: ");
    return FALSE;
  }
  if (!is_valid_uri (s))
    return invalid (error,
        "uri: \"%s\" is neither a sip:, sips: or tel: URI nor a user name", s);
  a->uri = g_strdup (s);
  if ((v = json_object_get_member (o, "display")) != NULL &&
      !set_string (&a->display, v, 64, error)) {
    g_prefix_error (error, "display: ");
    return FALSE;
  }
  if ((v = json_object_get_member (o, "role")) != NULL && !is_null (v)) {
    if (!get_text (v, 16, &s, error)) {
      g_prefix_error (error, "role: ");
      return FALSE;
    }
    if (g_strcmp0 (s, "moderator") == 0)
      a->role = MCU_ATTENDEE_ROLE_MODERATOR;
    else if (g_strcmp0 (s, "guest") != 0)
      return invalid (error, "role: must be \"moderator\" or \"guest\"");
  }
  if ((v = json_object_get_member (o, "auto_dial")) != NULL && !is_null (v)) {
    if (!JSON_NODE_HOLDS_VALUE (v) ||
        json_node_get_value_type (v) != G_TYPE_BOOLEAN)
      return invalid (error, "auto_dial: must be true or false");
    a->auto_dial = json_node_get_boolean (v);
  }
  return TRUE;
}

static gboolean
attendee_id_used (GPtrArray *attendees, const gchar *id)
{
  for (guint i = 0; i < attendees->len; i++) {
    const McuAttendee *a = g_ptr_array_index (attendees, i);

    if (g_strcmp0 (a->id, id) == 0)
      return TRUE;
  }
  return FALSE;
}

static gboolean
parse_attendees (McuMeeting *self, JsonNode *node, GError **error)
{
  g_autoptr (GPtrArray) list =
      g_ptr_array_new_with_free_func ((GDestroyNotify)mcu_attendee_free);
  JsonArray *array;
  guint i, n, next = 1;

  if (!is_null (node)) {
    if (!JSON_NODE_HOLDS_ARRAY (node))
      return invalid (error, "must be an array of objects");
    array = json_node_get_array (node);
    n = json_array_get_length (array);
    if (n > MAX_ATTENDEES)
      return invalid (error, "more than %d attendees", MAX_ATTENDEES);
    for (i = 0; i < n; i++) {
      McuAttendee *a = g_new0 (McuAttendee, 1);

      g_ptr_array_add (list, a);
      if (!parse_attendee (json_array_get_element (array, i), a, error)) {
        g_prefix_error (error, "[%u].", i);
        return FALSE;
      }
      for (guint j = 0; a->id != NULL && j + 1 < list->len; j++)
        if (g_strcmp0 (((McuAttendee *)list->pdata[j])->id, a->id) == 0)
          return invalid (error, "[%u].id: \"%s\" is used twice", i, a->id);
    }
  }
  /* new attendees get "aN", N past the ids already in use */
  for (i = 0; i < list->len; i++) {
    McuAttendee *a = g_ptr_array_index (list, i);

    while (a->id == NULL) {
      g_autofree gchar *id = g_strdup_printf ("a%u", next++);

      if (!attendee_id_used (list, id))
        a->id = g_steal_pointer (&id);
    }
  }
  g_ptr_array_unref (self->attendees);
  self->attendees = g_steal_pointer (&list);
  return TRUE;
}

static gboolean
parse_pin_value (gchar **field, JsonNode *node, GError **error)
{
  if (!set_string (field, node, 32, error))
    return FALSE;
  for (const gchar *p = *field; p != NULL && *p != '\0'; p++)
    if (!g_ascii_isdigit (*p)) {
      g_clear_pointer (field, g_free);
      return invalid (error, "only digits (it is keyed in on a phone)");
    }
  return TRUE;
}

static gboolean
parse_pin (McuMeeting *self, JsonNode *node, GError **error)
{
  return parse_pin_value (&self->pin, node, error);
}

static gboolean
parse_moderator_pin (McuMeeting *self, JsonNode *node, GError **error)
{
  return parse_pin_value (&self->moderator_pin, node, error);
}

static gboolean
parse_early_join (McuMeeting *self, JsonNode *node, GError **error)
{
  self->early_join = 5 * G_TIME_SPAN_MINUTE;
  return is_null (node) ||
         get_duration (node, 0, G_TIME_SPAN_DAY, &self->early_join, error);
}

static gboolean
parse_grace (McuMeeting *self, JsonNode *node, GError **error)
{
  self->grace = 2 * G_TIME_SPAN_MINUTE;
  return is_null (node) ||
         get_duration (node, 0, G_TIME_SPAN_DAY, &self->grace, error);
}

static gint
compare_gint64_desc (gconstpointer a, gconstpointer b)
{
  return compare_gint64 (b, a);
}

static gboolean
parse_warnings (McuMeeting *self, JsonNode *node, GError **error)
{
  JsonArray *array;
  guint i, n;

  g_array_set_size (self->warnings, 0);
  if (is_null (node)) {
    gint64 defaults[] = { 5 * G_TIME_SPAN_MINUTE, G_TIME_SPAN_MINUTE };

    g_array_append_vals (self->warnings, defaults, G_N_ELEMENTS (defaults));
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return invalid (error, "must be an array of durations");
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n > MAX_WARNINGS)
    return invalid (error, "more than %d warnings", MAX_WARNINGS);
  for (i = 0; i < n; i++) {
    gint64 w;

    if (!get_duration (json_array_get_element (array, i), G_TIME_SPAN_SECOND,
            G_TIME_SPAN_DAY, &w, error)) {
      g_prefix_error (error, "[%u]: ", i);
      return FALSE;
    }
    g_array_append_val (self->warnings, w);
  }
  g_array_sort (self->warnings, compare_gint64_desc);
  for (i = 1; i < self->warnings->len;)
    if (g_array_index (self->warnings, gint64, i) ==
        g_array_index (self->warnings, gint64, i - 1))
      g_array_remove_index (self->warnings, i);
    else
      i++;
  return TRUE;
}

static gboolean
parse_dial_retries (McuMeeting *self, JsonNode *node, GError **error)
{
  self->dial_retries = 3;
  return is_null (node) || get_uint (node, 20, &self->dial_retries, error);
}

static gboolean
parse_dial_retry_interval (McuMeeting *self, JsonNode *node, GError **error)
{
  self->dial_retry_interval = 60 * G_TIME_SPAN_SECOND;
  return is_null (node) ||
         get_duration (node, G_TIME_SPAN_SECOND, G_TIME_SPAN_HOUR,
             &self->dial_retry_interval, error);
}

static gboolean
parse_max_participants (McuMeeting *self, JsonNode *node, GError **error)
{
  self->max_participants = 0;
  return is_null (node) ||
         get_uint (node, 100000, &self->max_participants, error);
}

static gboolean
parse_layout (McuMeeting *self, JsonNode *node, GError **error)
{
  static const gchar *const layouts[] = { "auto", "grid", "speaker", NULL };

  if (!set_string (&self->layout, node, 16, error))
    return FALSE;
  if (self->layout != NULL && !g_strv_contains (layouts, self->layout)) {
    g_clear_pointer (&self->layout, g_free);
    return invalid (error, "must be \"auto\", \"grid\" or \"speaker\"");
  }
  return TRUE;
}

static gboolean
parse_record (McuMeeting *self, JsonNode *node, GError **error)
{
  self->record = FALSE;
  if (is_null (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return invalid (error, "must be true or false");
  self->record = json_node_get_boolean (node);
  return TRUE;
}

/* One of the room's role rules (McuRoomOptions bit @flag); absent: off. */
static gboolean
parse_room_option (McuMeeting *self, guint flag, JsonNode *node, GError **error)
{
  self->room_options &= ~flag;
  if (is_null (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return invalid (error, "must be true or false");
  if (json_node_get_boolean (node))
    self->room_options |= flag;
  return TRUE;
}

#define ROOM_OPTION_PARSER(fn, flag)                                    \
  static gboolean fn (McuMeeting *self, JsonNode *node, GError **error) \
  {                                                                     \
    return parse_room_option (self, flag, node, error);                 \
  }

ROOM_OPTION_PARSER (
    parse_wait_for_moderator, MCU_ROOM_OPTION_WAIT_FOR_MODERATOR)
ROOM_OPTION_PARSER (
    parse_end_when_moderator_leaves, MCU_ROOM_OPTION_END_WHEN_MODERATOR_LEAVES)
ROOM_OPTION_PARSER (parse_mute_guests, MCU_ROOM_OPTION_MUTE_GUESTS)
ROOM_OPTION_PARSER (parse_announce_alone, MCU_ROOM_OPTION_ANNOUNCE_ALONE)
ROOM_OPTION_PARSER (
    parse_announce_join_leave, MCU_ROOM_OPTION_ANNOUNCE_JOIN_LEAVE)

/* In the order they are applied: the zone before the times. */
static const struct
{
  const gchar *name;
  FieldParse parse;
} fields[] = {
  { "id", parse_id },
  { "subject", parse_subject },
  { "room", parse_room },
  { "timezone", parse_timezone },
  { "start", parse_start },
  { "duration", parse_duration },
  { "end", parse_end },
  { "rrule", parse_rrule },
  { "exdate", parse_exdate },
  { "rdate", parse_rdate },
  { "attendees", parse_attendees },
  { "pin", parse_pin },
  { "moderator_pin", parse_moderator_pin },
  { "early_join", parse_early_join },
  { "grace", parse_grace },
  { "warnings", parse_warnings },
  { "dial_retries", parse_dial_retries },
  { "dial_retry_interval", parse_dial_retry_interval },
  { "max_participants", parse_max_participants },
  { "layout", parse_layout },
  { "record", parse_record },
  { "wait_for_moderator", parse_wait_for_moderator },
  { "end_when_moderator_leaves", parse_end_when_moderator_leaves },
  { "mute_guests", parse_mute_guests },
  { "announce_alone", parse_announce_alone },
  { "announce_join_leave", parse_announce_join_leave },
};

/* Applies the members of @node; with @all, absent members get their
 * defaults (a new meeting), otherwise they are left (a PATCH). */
static gboolean
apply_json (McuMeeting *self, JsonNode *node, gboolean all, GError **error)
{
  JsonObject *o;
  g_autoptr (GList) names = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return invalid (error, "the meeting must be a JSON object");
  o = json_node_get_object (node);
  names = json_object_get_members (o);
  for (GList *l = names; l != NULL; l = l->next) {
    guint i;

    for (i = 0; i < G_N_ELEMENTS (fields); i++)
      if (g_strcmp0 (fields[i].name, l->data) == 0)
        break;
    if (i == G_N_ELEMENTS (fields))
      return invalid (error, "%s: unknown member", (const gchar *)l->data);
  }
  if (json_object_has_member (o, "end") &&
      json_object_has_member (o, "duration"))
    return invalid (error, "end: give either end or duration, not both");
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++) {
    JsonNode *v = json_object_get_member (o, fields[i].name);
    GError *local = NULL;

    if (v == NULL && !all)
      continue;
    if (!fields[i].parse (self, v, &local)) {
      /* "attendees[1].uri: ...", "exdate[0]: ...", "room: ..." */
      g_propagate_prefixed_error (error, local,
          local->message[0] == '[' ? "%s" : "%s: ", fields[i].name);
      return FALSE;
    }
  }
  if (self->duration <= 0)
    return invalid (error, "duration: is required (or end)");
  return mcu_meeting_recur_check (self, error);
}

McuMeeting *
mcu_meeting_new_from_json (JsonNode *node, const gchar *id, GError **error)
{
  g_autoptr (McuMeeting) self = g_object_new (MCU_TYPE_MEETING, NULL);

  if (!apply_json (self, node, TRUE, error))
    return NULL;
  if (id != NULL) {
    g_free (self->id);
    self->id = g_strdup (id);
  }
  if (self->id == NULL)
    self->id = g_uuid_string_random ();
  return g_steal_pointer (&self);
}

McuMeeting *
mcu_meeting_patch (McuMeeting *self, JsonNode *patch, GError **error)
{
  g_autoptr (McuMeeting) copy = NULL;
  JsonNode *id;

  g_return_val_if_fail (MCU_IS_MEETING (self), NULL);
  if (patch != NULL && JSON_NODE_HOLDS_OBJECT (patch) &&
      (id = json_object_get_member (json_node_get_object (patch), "id")) !=
          NULL &&
      (!JSON_NODE_HOLDS_VALUE (id) ||
          g_strcmp0 (json_node_get_string (id), self->id) != 0)) {
    invalid (error, "id: cannot be changed");
    return NULL;
  }
  copy = mcu_meeting_copy (self);
  if (!apply_json (copy, patch, FALSE, error))
    return NULL;
  return g_steal_pointer (&copy);
}

static void
add_duration (JsonBuilder *b, const gchar *name, gint64 us)
{
  g_autofree gchar *s = mcu_meeting_duration_format (us);

  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, s);
}

static void
add_string (JsonBuilder *b, const gchar *name, const gchar *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static void
add_dates (McuMeeting *self, JsonBuilder *b, const gchar *name, GArray *dates)
{
  if (dates->len == 0)
    return;
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; i < dates->len; i++) {
    g_autofree gchar *s =
        mcu_meeting_format_time (self, g_array_index (dates, gint64, i));

    json_builder_add_string_value (b, s);
  }
  json_builder_end_array (b);
}

JsonNode *
mcu_attendee_to_json (const McuAttendee *a)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_string (b, "id", a->id);
  add_string (b, "uri", a->uri);
  add_string (b, "display", a->display);
  add_string (b, "role",
      a->role == MCU_ATTENDEE_ROLE_MODERATOR ? "moderator" : "guest");
  json_builder_set_member_name (b, "auto_dial");
  json_builder_add_boolean_value (b, a->auto_dial);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
mcu_meeting_to_json (McuMeeting *self)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree gchar *start = NULL;

  g_return_val_if_fail (MCU_IS_MEETING (self), NULL);
  start = mcu_meeting_format_time (self, self->start);
  json_builder_begin_object (b);
  add_string (b, "id", self->id);
  add_string (b, "subject", self->subject);
  add_string (b, "room", self->room);
  add_string (b, "start", start);
  add_string (b, "timezone", self->timezone);
  add_duration (b, "duration", self->duration);
  add_string (b, "rrule", self->rrule);
  add_dates (self, b, "exdate", self->exdates);
  add_dates (self, b, "rdate", self->rdates);
  json_builder_set_member_name (b, "attendees");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->attendees->len; i++)
    json_builder_add_value (
        b, mcu_attendee_to_json (g_ptr_array_index (self->attendees, i)));
  json_builder_end_array (b);
  add_string (b, "pin", self->pin);
  add_string (b, "moderator_pin", self->moderator_pin);
  add_duration (b, "early_join", self->early_join);
  add_duration (b, "grace", self->grace);
  json_builder_set_member_name (b, "warnings");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->warnings->len; i++) {
    g_autofree gchar *w =
        mcu_meeting_duration_format (g_array_index (self->warnings, gint64, i));

    json_builder_add_string_value (b, w);
  }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "dial_retries");
  json_builder_add_int_value (b, self->dial_retries);
  add_duration (b, "dial_retry_interval", self->dial_retry_interval);
  json_builder_set_member_name (b, "max_participants");
  json_builder_add_int_value (b, self->max_participants);
  add_string (b, "layout", self->layout);
  json_builder_set_member_name (b, "record");
  json_builder_add_boolean_value (b, self->record);
  for (guint i = 0; i < MCU_ROOM_N_OPTIONS; i++) {
    g_autofree gchar *name = g_strdup (mcu_room_option_name (i));

    json_builder_set_member_name (b, g_strdelimit (name, "-", '_'));
    json_builder_add_boolean_value (b, (self->room_options & (1u << i)) != 0);
  }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* The next "aN": past every "aN" in use (not the first gap: an id in the
 * middle that was removed is not handed to someone else). */
static gchar *
next_attendee_id (GPtrArray *attendees)
{
  guint64 max = 0;

  for (guint i = 0; i < attendees->len; i++) {
    const McuAttendee *a = g_ptr_array_index (attendees, i);
    gchar *end;
    guint64 n;

    if (a->id == NULL || a->id[0] != 'a' || !g_ascii_isdigit (a->id[1]))
      continue;
    n = g_ascii_strtoull (a->id + 1, &end, 10);
    if (*end == '\0' && n < G_MAXUINT)
      max = MAX (max, n);
  }
  return g_strdup_printf ("a%" G_GUINT64_FORMAT, max + 1);
}

const McuAttendee *
mcu_meeting_add_attendee (McuMeeting *self, JsonNode *node, GError **error)
{
  g_autoptr (McuAttendee) a = g_new0 (McuAttendee, 1);

  g_return_val_if_fail (MCU_IS_MEETING (self), NULL);
  if (self->attendees->len >= MAX_ATTENDEES) {
    invalid (error, "attendees: more than %d attendees", MAX_ATTENDEES);
    return NULL;
  }
  if (node == NULL || !parse_attendee (node, a, error))
    return NULL;
  if (a->id != NULL && attendee_id_used (self->attendees, a->id)) {
    invalid (error, "id: \"%s\" is in use", a->id);
    return NULL;
  }
  if (a->id == NULL)
    a->id = next_attendee_id (self->attendees);
  g_ptr_array_add (self->attendees, a);
  return g_steal_pointer (&a);
}

gboolean
mcu_meeting_remove_attendee (McuMeeting *self, const gchar *id)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), FALSE);
  for (guint i = 0; i < self->attendees->len; i++) {
    const McuAttendee *a = g_ptr_array_index (self->attendees, i);

    if (g_strcmp0 (a->id, id) == 0) {
      g_ptr_array_remove_index (self->attendees, i);
      return TRUE;
    }
  }
  return FALSE;
}
