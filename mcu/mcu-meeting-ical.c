/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: meetings to and from iCalendar (RFC 5545) with libical.
 *
 * Import turns each VEVENT into the JSON a client would POST and runs it
 * through mcu_meeting_new_from_json (), so both paths validate alike; an
 * error names the iCalendar property ("RRULE: ...") and the VEVENT. A
 * TZID is an IANA name (Thunderbird, Google, Apple), one with a prefix
 * ("/mozilla.org/.../Europe/Berlin"), a VTIMEZONE's X-LIC-LOCATION, or a
 * Windows zone name (Outlook: "W. Europe Standard Time").
 *
 * Export writes a VTIMEZONE per zone used (libical's builtin zones, from
 * the system's tzdata, TZID = the IANA name) and a VEVENT per meeting.
 * What iCalendar has no property for travels in X-MCU-* parameters of
 * ATTENDEE (the attendee's id, a registered user's name, auto-dial). */
#include "mcu-meeting-private.h"

#include <libical/ical.h>
#include <string.h>

/* Outlook's Windows zone names (CLDR windowsZones, the common ones). */
static const struct
{
  const gchar *windows;
  const gchar *iana;
} windows_zones[] = {
  { "W. Europe Standard Time", "Europe/Berlin" },
  { "Romance Standard Time", "Europe/Paris" },
  { "Central Europe Standard Time", "Europe/Budapest" },
  { "Central European Standard Time", "Europe/Warsaw" },
  { "GMT Standard Time", "Europe/London" },
  { "Greenwich Standard Time", "Atlantic/Reykjavik" },
  { "E. Europe Standard Time", "Europe/Chisinau" },
  { "FLE Standard Time", "Europe/Kiev" },
  { "GTB Standard Time", "Europe/Bucharest" },
  { "Russian Standard Time", "Europe/Moscow" },
  { "Eastern Standard Time", "America/New_York" },
  { "Central Standard Time", "America/Chicago" },
  { "Mountain Standard Time", "America/Denver" },
  { "US Mountain Standard Time", "America/Phoenix" },
  { "Pacific Standard Time", "America/Los_Angeles" },
  { "Alaskan Standard Time", "America/Anchorage" },
  { "Hawaiian Standard Time", "Pacific/Honolulu" },
  { "Atlantic Standard Time", "America/Halifax" },
  { "E. South America Standard Time", "America/Sao_Paulo" },
  { "Tokyo Standard Time", "Asia/Tokyo" },
  { "China Standard Time", "Asia/Shanghai" },
  { "India Standard Time", "Asia/Kolkata" },
  { "Singapore Standard Time", "Asia/Singapore" },
  { "Korea Standard Time", "Asia/Seoul" },
  { "AUS Eastern Standard Time", "Australia/Sydney" },
  { "New Zealand Standard Time", "Pacific/Auckland" },
  { "South Africa Standard Time", "Africa/Johannesburg" },
  { "Arabian Standard Time", "Asia/Dubai" },
  { "Israel Standard Time", "Asia/Jerusalem" },
  { "UTC", "UTC" },
};

static gboolean ical_error (GError **error, gint code, const gchar *fmt, ...)
    G_GNUC_PRINTF (3, 4);

static gboolean
ical_error (GError **error, gint code, const gchar *fmt, ...)
{
  va_list ap;
  gchar *msg;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (error, MCU_MEETING_ERROR, code, msg);
  g_free (msg);
  return FALSE;
}

/* The IANA name for a TZID, looking at its VTIMEZONE if need be; NULL
 * when there is none. (transfer none: a static string or within @tzid) */
static const gchar *
resolve_tzid (icalcomponent *cal, const gchar *tzid)
{
  const gchar *p;

  if (tzid == NULL)
    return NULL;
  if (mcu_meeting_timezone_is_valid (tzid))
    return tzid;
  /* "/freeassociation.sourceforge.net/Europe/Berlin",
   * "/mozilla.org/20050126_1/America/New_York" */
  for (p = strchr (tzid, '/'); p != NULL; p = strchr (p + 1, '/'))
    if (mcu_meeting_timezone_is_valid (p + 1))
      return p + 1;
  for (guint i = 0; i < G_N_ELEMENTS (windows_zones); i++)
    if (g_ascii_strcasecmp (tzid, windows_zones[i].windows) == 0)
      return windows_zones[i].iana;
  /* an icalcompiter: the caller is iterating over cal's VEVENTs */
  for (icalcompiter it =
           icalcomponent_begin_component (cal, ICAL_VTIMEZONE_COMPONENT);
       icalcompiter_deref (&it) != NULL; icalcompiter_next (&it)) {
    icalcomponent *vtz = icalcompiter_deref (&it);
    icalproperty *id =
        icalcomponent_get_first_property (vtz, ICAL_TZID_PROPERTY);
    icalproperty *loc = icalcomponent_get_first_property (vtz, ICAL_X_PROPERTY);

    if (id == NULL || g_strcmp0 (icalproperty_get_tzid (id), tzid) != 0)
      continue;
    for (; loc != NULL;
         loc = icalcomponent_get_next_property (vtz, ICAL_X_PROPERTY))
      if (g_strcmp0 (icalproperty_get_x_name (loc), "X-LIC-LOCATION") == 0 &&
          mcu_meeting_timezone_is_valid (icalproperty_get_x (loc)))
        return icalproperty_get_x (loc);
  }
  return NULL;
}

/* The event's zone: DTSTART's TZID, UTC for a "Z" time, the calendar's
 * X-WR-TIMEZONE (or UTC) for a floating one. */
static const gchar *
event_zone (icalcomponent *cal, icalproperty *dtstart, GError **error)
{
  const gchar *tzid = icalproperty_get_parameter_as_string (dtstart, "TZID");
  struct icaltimetype t = icalproperty_get_dtstart (dtstart);
  const gchar *zone;

  if (tzid != NULL) {
    if ((zone = resolve_tzid (cal, tzid)) == NULL)
      ical_error (error, MCU_MEETING_ERROR_INVALID,
          "DTSTART: time zone \"%s\" is not one this server knows (an "
          "IANA name such as Europe/Berlin is)",
          tzid);
    return zone;
  }
  if (icaltime_is_utc (t))
    return "UTC";
  for (icalproperty *x =
           icalcomponent_get_first_property (cal, ICAL_X_PROPERTY);
       x != NULL; x = icalcomponent_get_next_property (cal, ICAL_X_PROPERTY))
    if (g_strcmp0 (icalproperty_get_x_name (x), "X-WR-TIMEZONE") == 0 &&
        mcu_meeting_timezone_is_valid (icalproperty_get_x (x)))
      return icalproperty_get_x (x);
  return "UTC";
}

/* A DATE-TIME value of @prop (DTSTART, DTEND, EXDATE, RDATE) as RFC 3339;
 * a DATE (an EXDATE of an all-day kind) takes @time_of's time of day. */
static gchar *
to_rfc3339 (icalcomponent *cal, icalproperty *prop, struct icaltimetype t,
    const gchar *event_tz, const struct icaltimetype *time_of, GError **error)
{
  const gchar *tzid = icalproperty_get_parameter_as_string (prop, "TZID");
  const gchar *zone = event_tz;
  g_autoptr (GTimeZone) tz = NULL;
  g_autoptr (GDateTime) dt = NULL;

  if (icaltime_is_null_time (t)) {
    ical_error (error, MCU_MEETING_ERROR_INVALID, "%s: not a date-time",
        icalproperty_get_property_name (prop));
    return NULL;
  }
  if (t.is_date) {
    if (time_of == NULL) {
      ical_error (error, MCU_MEETING_ERROR_INVALID,
          "%s: a date without a time (an all-day event is not a "
          "meeting)",
          icalproperty_get_property_name (prop));
      return NULL;
    }
    t.hour = time_of->hour;
    t.minute = time_of->minute;
    t.second = time_of->second;
  }
  if (icaltime_is_utc (t))
    zone = "UTC";
  else if (tzid != NULL && (zone = resolve_tzid (cal, tzid)) == NULL) {
    ical_error (error, MCU_MEETING_ERROR_INVALID,
        "%s: time zone \"%s\" is not one this server knows",
        icalproperty_get_property_name (prop), tzid);
    return NULL;
  }
  tz = g_time_zone_new_identifier (zone);
  dt = g_date_time_new (tz, t.year, t.month, t.day, t.hour, t.minute, t.second);
  if (dt == NULL) {
    ical_error (error, MCU_MEETING_ERROR_INVALID, "%s: not a valid date",
        icalproperty_get_property_name (prop));
    return NULL;
  }
  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S%:z");
}

/* "4242" from "sip:4242@mcu.example.com", "Room 4242 <sips:4242@h>" */
static gchar *
room_from_sip (const gchar *text)
{
  const gchar *p, *end;

  if (text == NULL)
    return NULL;
  for (p = text; *p != '\0'; p++)
    if (g_ascii_strncasecmp (p, "sip:", 4) == 0 ||
        g_ascii_strncasecmp (p, "sips:", 5) == 0)
      break;
  if (*p == '\0')
    return NULL;
  p = strchr (p, ':') + 1;
  for (end = p; *end != '\0' && strchr ("@;>? \t\r\n,", *end) == NULL; end++)
    ;
  return end > p ? g_strndup (p, end - p) : NULL;
}

static gchar *
event_room (icalcomponent *ev, GError **error)
{
  icalproperty *loc =
      icalcomponent_get_first_property (ev, ICAL_LOCATION_PROPERTY);
  icalproperty *url = icalcomponent_get_first_property (ev, ICAL_URL_PROPERTY);
  icalproperty *desc =
      icalcomponent_get_first_property (ev, ICAL_DESCRIPTION_PROPERTY);
  const gchar *location = loc != NULL ? icalproperty_get_location (loc) : NULL;
  gchar *room;

  if ((room = room_from_sip (location)) != NULL ||
      (room = room_from_sip (
           url != NULL ? icalproperty_get_url (url) : NULL)) != NULL ||
      (room = room_from_sip (
           desc != NULL ? icalproperty_get_description (desc) : NULL)) != NULL)
    return room;
  if (location != NULL && *location != '\0')
    return g_strstrip (g_strdup (location));
  ical_error (error, MCU_MEETING_ERROR_INVALID,
      "LOCATION: no room (a room name or a sip: URI in LOCATION, URL or "
      "DESCRIPTION)");
  return NULL;
}

static void
add_attendee (JsonBuilder *b, icalproperty *prop)
{
  const gchar *value = icalproperty_get_attendee (prop);
  const gchar *cn = icalproperty_get_parameter_as_string (prop, "CN");
  const gchar *user = icalproperty_get_parameter_as_string (prop, "X-MCU-USER");
  const gchar *id = icalproperty_get_parameter_as_string (prop, "X-MCU-ID");
  const gchar *dial =
      icalproperty_get_parameter_as_string (prop, "X-MCU-AUTO-DIAL");
  const gchar *dtmf = icalproperty_get_parameter_as_string (prop, "X-MCU-DTMF");
  icalparameter *role =
      icalproperty_get_first_parameter (prop, ICAL_ROLE_PARAMETER);

  if (value == NULL ||
      (user == NULL && g_ascii_strncasecmp (value, "sip:", 4) != 0 &&
          g_ascii_strncasecmp (value, "sips:", 5) != 0 &&
          g_ascii_strncasecmp (value, "tel:", 4) != 0))
    return; /* mailto: and the like cannot be dialled */
  json_builder_begin_object (b);
  if (id != NULL) {
    json_builder_set_member_name (b, "id");
    json_builder_add_string_value (b, id);
  }
  json_builder_set_member_name (b, "uri");
  json_builder_add_string_value (b, user != NULL ? user : value);
  if (cn != NULL && *cn != '\0') {
    json_builder_set_member_name (b, "display");
    json_builder_add_string_value (b, cn);
  }
  json_builder_set_member_name (b, "role");
  json_builder_add_string_value (
      b, role != NULL && icalparameter_get_role (role) == ICAL_ROLE_CHAIR
             ? "moderator"
             : "guest");
  if (dial != NULL) {
    json_builder_set_member_name (b, "auto_dial");
    json_builder_add_boolean_value (b, g_ascii_strcasecmp (dial, "FALSE"));
  }
  if (dtmf != NULL) {
    json_builder_set_member_name (b, "dtmf");
    json_builder_add_string_value (b, dtmf);
  }
  json_builder_end_object (b);
}

static gboolean
add_dates (JsonBuilder *b, icalcomponent *cal, icalcomponent *ev,
    icalproperty_kind kind, const gchar *member, const gchar *zone,
    const struct icaltimetype *dtstart, GError **error)
{
  icalproperty *p = icalcomponent_get_first_property (ev, kind);

  if (p == NULL)
    return TRUE;
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  for (; p != NULL; p = icalcomponent_get_next_property (ev, kind)) {
    struct icaltimetype t;
    g_autofree gchar *s = NULL;

    if (kind == ICAL_EXDATE_PROPERTY)
      t = icalproperty_get_exdate (p);
    else {
      struct icaldatetimeperiodtype dp = icalproperty_get_rdate (p);

      t = icaltime_is_null_time (dp.time) ? dp.period.start : dp.time;
    }
    if ((s = to_rfc3339 (cal, p, t, zone, dtstart, error)) == NULL)
      return FALSE;
    json_builder_add_string_value (b, s);
  }
  json_builder_end_array (b);
  return TRUE;
}

static gboolean
add_duration (JsonBuilder *b, icalcomponent *cal, icalcomponent *ev,
    const gchar *start, const gchar *zone, GError **error)
{
  icalproperty *dur =
      icalcomponent_get_first_property (ev, ICAL_DURATION_PROPERTY);
  icalproperty *dtend =
      icalcomponent_get_first_property (ev, ICAL_DTEND_PROPERTY);
  gint64 us;
  g_autofree gchar *text = NULL;

  if (dur != NULL) {
    struct icaldurationtype d = icalproperty_get_duration (dur);

    if (d.is_neg)
      return ical_error (
          error, MCU_MEETING_ERROR_INVALID, "DURATION: negative");
    us = (gint64)icaldurationtype_as_int (d) * G_TIME_SPAN_SECOND;
  } else if (dtend != NULL) {
    g_autofree gchar *end = to_rfc3339 (
        cal, dtend, icalproperty_get_dtend (dtend), zone, NULL, error);
    g_autoptr (GDateTime) s = NULL, e = NULL;

    if (end == NULL)
      return FALSE;
    s = g_date_time_new_from_iso8601 (start, NULL);
    e = g_date_time_new_from_iso8601 (end, NULL);
    us = g_date_time_difference (e, s);
    if (us <= 0)
      return ical_error (
          error, MCU_MEETING_ERROR_INVALID, "DTEND: not after DTSTART");
  } else
    return ical_error (
        error, MCU_MEETING_ERROR_INVALID, "DTEND: missing (and no DURATION)");
  text = mcu_meeting_duration_format (us);
  json_builder_set_member_name (b, "duration");
  json_builder_add_string_value (b, text);
  return TRUE;
}

/* SUMMARY without control characters, at most 200 bytes of whole
 * characters. */
static gchar *
clean_summary (const gchar *summary)
{
  GString *s = g_string_new (NULL);

  if (summary == NULL || !g_utf8_validate (summary, -1, NULL))
    summary = "Meeting";
  for (const gchar *p = summary; *p != '\0'; p = g_utf8_next_char (p)) {
    gsize len = g_utf8_next_char (p) - p;

    if (s->len + len > 200)
      break;
    if ((guchar)*p < 0x20 || *p == 0x7f)
      g_string_append_c (s, ' ');
    else
      g_string_append_len (s, p, len);
  }
  g_strstrip (s->str);
  if (s->str[0] == '\0')
    g_string_assign (s, "Meeting");
  return g_string_free (s, FALSE);
}

/* The UID as a meeting id: "abc@mcu" -> "abc"; NULL when it has
 * characters an id cannot have (a new id is made). */
static gchar *
usable_uid (icalcomponent *ev)
{
  const gchar *uid = icalcomponent_get_uid (ev);
  g_autofree gchar *id = NULL;

  if (uid == NULL)
    return NULL;
  id = g_str_has_suffix (uid, "@mcu") ? g_strndup (uid, strlen (uid) - 4)
                                      : g_strdup (uid);
  if (*id == '\0' || strlen (id) > 64)
    return NULL;
  for (const gchar *p = id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return NULL;
  return g_steal_pointer (&id);
}

/* libical replaces a property it cannot parse by X-LIC-ERROR ("Can't
 * parse as RECUR value in RRULE property. Removing entire property: ...");
 * one about a property a meeting uses is an error, naming it. */
static gboolean
check_parse_errors (icalcomponent *ev, GError **error)
{
  static const gchar *const used[] = { "DTSTART", "DTEND", "DURATION", "RRULE",
    "EXDATE", "RDATE", "ATTENDEE", "LOCATION", "SUMMARY", "UID", NULL };

  for (icalproperty *p =
           icalcomponent_get_first_property (ev, ICAL_XLICERROR_PROPERTY);
       p != NULL;
       p = icalcomponent_get_next_property (ev, ICAL_XLICERROR_PROPERTY)) {
    const gchar *msg = icalproperty_get_xlicerror (p);
    const gchar *in = msg != NULL ? strstr (msg, " in ") : NULL;
    const gchar *end = in != NULL ? strstr (in + 4, " property") : NULL;
    g_autofree gchar *name =
        end != NULL ? g_strndup (in + 4, end - in - 4) : NULL;

    if (name != NULL && g_strv_contains (used, name))
      return ical_error (error, MCU_MEETING_ERROR_INVALID, "%s: %s", name, msg);
  }
  return TRUE;
}

/* The VEVENT as the JSON of a POST. */
static JsonNode *
event_to_json (icalcomponent *cal, icalcomponent *ev, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  icalproperty *dtstart =
      icalcomponent_get_first_property (ev, ICAL_DTSTART_PROPERTY);
  icalproperty *rrule =
      icalcomponent_get_first_property (ev, ICAL_RRULE_PROPERTY);
  icalproperty *summary =
      icalcomponent_get_first_property (ev, ICAL_SUMMARY_PROPERTY);
  struct icaltimetype t;
  const gchar *zone;
  g_autofree gchar *start = NULL, *room = NULL, *subject = NULL;
  g_autofree gchar *id = usable_uid (ev);

  if (!check_parse_errors (ev, error))
    return NULL;
  if (dtstart == NULL) {
    ical_error (error, MCU_MEETING_ERROR_INVALID, "DTSTART: missing");
    return NULL;
  }
  t = icalproperty_get_dtstart (dtstart);
  if ((zone = event_zone (cal, dtstart, error)) == NULL ||
      (start = to_rfc3339 (cal, dtstart, t, zone, NULL, error)) == NULL ||
      (room = event_room (ev, error)) == NULL)
    return NULL;
  subject = clean_summary (
      summary != NULL ? icalproperty_get_summary (summary) : NULL);
  json_builder_begin_object (b);
  if (id != NULL) {
    json_builder_set_member_name (b, "id");
    json_builder_add_string_value (b, id);
  }
  json_builder_set_member_name (b, "subject");
  json_builder_add_string_value (b, subject);
  json_builder_set_member_name (b, "room");
  json_builder_add_string_value (b, room);
  json_builder_set_member_name (b, "start");
  json_builder_add_string_value (b, start);
  json_builder_set_member_name (b, "timezone");
  json_builder_add_string_value (b, zone);
  if (!add_duration (b, cal, ev, start, zone, error))
    return NULL;
  if (rrule != NULL) {
    g_autofree gchar *text = icalproperty_get_value_as_string_r (rrule);

    if (icalcomponent_count_properties (ev, ICAL_RRULE_PROPERTY) > 1) {
      ical_error (error, MCU_MEETING_ERROR_INVALID,
          "RRULE: more than one (not supported)");
      return NULL;
    }
    json_builder_set_member_name (b, "rrule");
    json_builder_add_string_value (b, text);
  }
  if (!add_dates (
          b, cal, ev, ICAL_EXDATE_PROPERTY, "exdate", zone, &t, error) ||
      !add_dates (b, cal, ev, ICAL_RDATE_PROPERTY, "rdate", zone, &t, error))
    return NULL;
  json_builder_set_member_name (b, "attendees");
  json_builder_begin_array (b);
  for (icalproperty *a =
           icalcomponent_get_first_property (ev, ICAL_ATTENDEE_PROPERTY);
       a != NULL;
       a = icalcomponent_get_next_property (ev, ICAL_ATTENDEE_PROPERTY))
    add_attendee (b, a);
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* "start: ..." -> "DTSTART: ..." */
static void
rename_fields (GError *error)
{
  static const struct
  {
    const gchar *member;
    const gchar *property;
  } names[] = {
    { "start", "DTSTART" },
    { "timezone", "DTSTART" },
    { "duration", "DURATION" },
    { "rrule", "RRULE" },
    { "exdate", "EXDATE" },
    { "rdate", "RDATE" },
    { "room", "LOCATION" },
    { "subject", "SUMMARY" },
    { "attendees", "ATTENDEE" },
    { "id", "UID" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    gsize len = strlen (names[i].member);

    if (g_str_has_prefix (error->message, names[i].member) &&
        (error->message[len] == ':' || error->message[len] == '[')) {
      gchar *msg = g_strconcat (names[i].property, error->message + len, NULL);

      g_free (error->message);
      error->message = msg;
      return;
    }
  }
}

/* An import in progress: the meetings so far, by UID. */
typedef struct
{
  icalcomponent *cal;
  GPtrArray *list;
  GHashTable *by_uid; /* UID (owned by cal) -> McuMeeting in list */
} Import;

/* "4f1e...-20261214T080000Z": the id of a changed occurrence, NULL when
 * that would be too long for an id (a random one is made). */
static gchar *
override_id (McuMeeting *master, icalcomponent *ev, gint64 rid)
{
  g_autofree gchar *base =
      master != NULL ? g_strdup (master->id) : usable_uid (ev);
  g_autoptr (GDateTime) t =
      g_date_time_new_from_unix_utc (rid / G_TIME_SPAN_SECOND);
  g_autofree gchar *stamp = g_date_time_format (t, "%Y%m%dT%H%M%SZ");

  if (base == NULL || strlen (base) + 1 + strlen (stamp) > 64)
    return NULL;
  return g_strconcat (base, "-", stamp, NULL);
}

/* A VEVENT with RECURRENCE-ID changes one occurrence of the meeting with
 * its UID: that occurrence is cancelled there (an EXDATE) and, unless the
 * VEVENT is cancelled too, the changed one becomes a meeting of its own. */
static gboolean
apply_override (Import *im, icalcomponent *ev, icalproperty *rid_prop,
    JsonNode **node, GError **error)
{
  const gchar *uid = icalcomponent_get_uid (ev);
  McuMeeting *master =
      uid != NULL ? g_hash_table_lookup (im->by_uid, uid) : NULL;
  g_autofree gchar *text =
      to_rfc3339 (im->cal, rid_prop, icalproperty_get_recurrenceid (rid_prop),
          master != NULL ? master->timezone : "UTC", NULL, error);
  g_autoptr (GDateTime) dt = NULL;
  g_autofree gchar *id = NULL;
  JsonObject *o;
  gint64 rid;

  if (text == NULL)
    return FALSE;
  dt = g_date_time_new_from_iso8601 (text, NULL);
  rid = g_date_time_to_unix (dt) * G_TIME_SPAN_SECOND;
  if (master != NULL)
    mcu_meeting_cancel_occurrence (master, rid);
  if (icalcomponent_get_status (ev) == ICAL_STATUS_CANCELLED)
    return TRUE;
  if ((*node = event_to_json (im->cal, ev, error)) == NULL)
    return FALSE;
  o = json_node_get_object (*node);
  json_object_remove_member (o, "rrule"); /* one occurrence */
  json_object_remove_member (o, "id");
  if ((id = override_id (master, ev, rid)) != NULL)
    json_object_set_string_member (o, "id", id);
  return TRUE;
}

static gboolean
import_event (Import *im, icalcomponent *ev, guint n, GError **error)
{
  icalproperty *rid =
      icalcomponent_get_first_property (ev, ICAL_RECURRENCEID_PROPERTY);
  const gchar *uid = icalcomponent_get_uid (ev);
  g_autoptr (JsonNode) node = NULL;
  McuMeeting *m = NULL;
  GError *local = NULL;

  if (rid != NULL)
    apply_override (im, ev, rid, &node, &local);
  else if (icalcomponent_get_status (ev) != ICAL_STATUS_CANCELLED)
    node = event_to_json (im->cal, ev, &local);
  if (node != NULL)
    m = mcu_meeting_new_from_json (node, NULL, &local);
  if (local != NULL) {
    /* the property first: "RRULE: ... (VEVENT 2, UID abc)" */
    rename_fields (local);
    ical_error (error, local->code, "%s (VEVENT %u%s%s)", local->message, n,
        uid != NULL ? ", UID " : "", uid != NULL ? uid : "");
    g_error_free (local);
    return FALSE;
  }
  if (m == NULL)
    return TRUE; /* cancelled */
  g_ptr_array_add (im->list, m);
  if (rid == NULL && uid != NULL)
    g_hash_table_insert (im->by_uid, (gpointer)uid, m);
  return TRUE;
}

GPtrArray *
mcu_meeting_list_from_ical (const gchar *ics, GError **error)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GHashTable) by_uid = g_hash_table_new (g_str_hash, g_str_equal);
  Import im = { NULL, list, by_uid };
  icalcomponent *root;

  g_return_val_if_fail (ics != NULL, NULL);
  icalerror_clear_errno ();
  root = icalparser_parse_string (ics);
  icalerror_clear_errno ();
  im.cal = root;
  if (root != NULL && icalcomponent_isa (root) == ICAL_XROOT_COMPONENT)
    im.cal = icalcomponent_get_first_component (root, ICAL_VCALENDAR_COMPONENT);
  if (im.cal == NULL ||
      icalcomponent_isa (im.cal) != ICAL_VCALENDAR_COMPONENT) {
    g_clear_pointer (&root, icalcomponent_free);
    ical_error (
        error, MCU_MEETING_ERROR_ICALENDAR, "not an iCalendar VCALENDAR");
    return NULL;
  }
  /* the recurring meetings first, then the occurrences they change */
  for (guint pass = 0; pass < 2; pass++) {
    guint n = 0;

    for (icalcompiter it =
             icalcomponent_begin_component (im.cal, ICAL_VEVENT_COMPONENT);
         icalcompiter_deref (&it) != NULL; icalcompiter_next (&it)) {
      icalcomponent *ev = icalcompiter_deref (&it);
      gboolean override = icalcomponent_get_first_property (
                              ev, ICAL_RECURRENCEID_PROPERTY) != NULL;

      n++;
      if (override != (pass == 1))
        continue;
      if (!import_event (&im, ev, n, error)) {
        g_hash_table_remove_all (by_uid);
        icalcomponent_free (root);
        return NULL;
      }
    }
  }
  g_hash_table_remove_all (by_uid);
  icalcomponent_free (root);
  if (list->len == 0) {
    ical_error (error, MCU_MEETING_ERROR_ICALENDAR, "no usable VEVENT");
    return NULL;
  }
  return g_steal_pointer (&list);
}

/* --- export ---------------------------------------------------------- */

/* A local wall-clock time of @self as an icaltimetype with @zone. */
static struct icaltimetype
ical_time (McuMeeting *self, gint64 us, icaltimezone *zone)
{
  g_autoptr (GDateTime) u =
      g_date_time_new_from_unix_utc (us / G_TIME_SPAN_SECOND);
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) l =
      g_date_time_to_timezone (u, zone != NULL ? self->tz : utc);
  struct icaltimetype t = icaltime_null_time ();

  t.year = g_date_time_get_year (l);
  t.month = g_date_time_get_month (l);
  t.day = g_date_time_get_day_of_month (l);
  t.hour = g_date_time_get_hour (l);
  t.minute = g_date_time_get_minute (l);
  t.second = g_date_time_get_second (l);
  t.zone = zone != NULL ? zone : icaltimezone_get_utc_timezone ();
  return t;
}

static void
set_tzid (icalproperty *p, icaltimezone *zone, McuMeeting *self)
{
  if (zone != NULL)
    icalproperty_add_parameter (p, icalparameter_new_tzid (self->timezone));
}

static icalcomponent *
vtimezone (const gchar *name, gint64 earliest)
{
  icaltimezone *zone = icaltimezone_get_builtin_timezone (name);
  icalcomponent *vtz;
  icalproperty *id;
  g_autoptr (GDateTime) from = g_date_time_new_from_unix_utc (
      earliest / G_TIME_SPAN_SECOND - 366 * 86400);
  struct icaltimetype start = icaltime_null_time ();

  if (zone == NULL)
    return NULL;
  vtz = icalcomponent_new_clone (icaltimezone_get_component (zone));
  /* TZID the IANA name, as Thunderbird and Google write it */
  if ((id = icalcomponent_get_first_property (vtz, ICAL_TZID_PROPERTY)) != NULL)
    icalproperty_set_tzid (id, name);
  start.year = g_date_time_get_year (from);
  start.month = 1;
  start.day = 1;
  start.zone = icaltimezone_get_utc_timezone ();
  icaltimezone_truncate_vtimezone (vtz, start, icaltime_null_time (), 1);
  return vtz;
}

static void
add_attendees (icalcomponent *ev, McuMeeting *self, const gchar *host)
{
  for (guint i = 0; i < self->attendees->len; i++) {
    const McuAttendee *a = g_ptr_array_index (self->attendees, i);
    gboolean user = strchr (a->uri, ':') == NULL;
    g_autofree gchar *value =
        user ? (host != NULL ? g_strdup_printf ("sip:%s@%s", a->uri, host)
                             : g_strdup_printf ("sip:%s", a->uri))
             : g_strdup (a->uri);
    icalproperty *p = icalproperty_new_attendee (value);

    if (a->display != NULL)
      icalproperty_add_parameter (p, icalparameter_new_cn (a->display));
    icalproperty_add_parameter (
        p, icalparameter_new_role (a->role == MCU_ATTENDEE_ROLE_MODERATOR
                                       ? ICAL_ROLE_CHAIR
                                       : ICAL_ROLE_REQPARTICIPANT));
    icalproperty_set_parameter_from_string (p, "X-MCU-ID", a->id);
    if (user)
      icalproperty_set_parameter_from_string (p, "X-MCU-USER", a->uri);
    if (!a->auto_dial)
      icalproperty_set_parameter_from_string (p, "X-MCU-AUTO-DIAL", "FALSE");
    if (a->dtmf != NULL)
      icalproperty_set_parameter_from_string (p, "X-MCU-DTMF", a->dtmf);
    icalcomponent_add_property (ev, p);
  }
}

static icalcomponent *
vevent (McuMeeting *self, const gchar *host)
{
  icalcomponent *ev = icalcomponent_new (ICAL_VEVENT_COMPONENT);
  gboolean utc = g_strcmp0 (self->timezone, "UTC") == 0;
  icaltimezone *zone =
      utc ? NULL : icaltimezone_get_builtin_timezone (self->timezone);
  g_autofree gchar *uid = g_strdup_printf ("%s@mcu", self->id);
  g_autofree gchar *location =
      host != NULL ? g_strdup_printf ("sip:%s@%s", self->room, host)
                   : g_strdup (self->room);
  icalproperty *p;

  icalcomponent_add_property (ev, icalproperty_new_uid (uid));
  icalcomponent_add_property (ev,
      icalproperty_new_dtstamp (
          icaltime_current_time_with_zone (icaltimezone_get_utc_timezone ())));
  p = icalproperty_new_dtstart (ical_time (self, self->start, zone));
  set_tzid (p, zone, self);
  icalcomponent_add_property (ev, p);
  icalcomponent_add_property (
      ev, icalproperty_new_duration (icaldurationtype_from_int (
              (int)(self->duration / G_TIME_SPAN_SECOND))));
  if (self->rrule != NULL)
    icalcomponent_add_property (ev,
        icalproperty_new_rrule (icalrecurrencetype_from_string (self->rrule)));
  for (guint i = 0; i < self->exdates->len; i++) {
    p = icalproperty_new_exdate (
        ical_time (self, g_array_index (self->exdates, gint64, i), zone));
    set_tzid (p, zone, self);
    icalcomponent_add_property (ev, p);
  }
  for (guint i = 0; i < self->rdates->len; i++) {
    struct icaldatetimeperiodtype dp = { 0 };

    dp.time = ical_time (self, g_array_index (self->rdates, gint64, i), zone);
    dp.period = icalperiodtype_null_period ();
    p = icalproperty_new_rdate (dp);
    set_tzid (p, zone, self);
    icalcomponent_add_property (ev, p);
  }
  icalcomponent_add_property (ev, icalproperty_new_summary (self->subject));
  icalcomponent_add_property (ev, icalproperty_new_location (location));
  if (host != NULL)
    icalcomponent_add_property (ev, icalproperty_new_url (location));
  add_attendees (ev, self, host);
  return ev;
}

gchar *
mcu_meeting_list_to_ical_with_host (
    McuMeeting *const *meetings, guint n, const gchar *host)
{
  icalcomponent *cal = icalcomponent_new (ICAL_VCALENDAR_COMPONENT);
  g_autoptr (GHashTable) zones = g_hash_table_new (g_str_hash, g_str_equal);
  gchar *text;

  icalcomponent_add_property (
      cal, icalproperty_new_prodid ("-//mcu//Scheduled meetings//EN"));
  icalcomponent_add_property (cal, icalproperty_new_version ("2.0"));
  icalcomponent_add_property (cal, icalproperty_new_calscale ("GREGORIAN"));
  icalcomponent_add_property (
      cal, icalproperty_new_method (ICAL_METHOD_PUBLISH));
  for (guint i = 0; i < n; i++) {
    McuMeeting *m = meetings[i];
    gint64 earliest = m->start;

    if (g_strcmp0 (m->timezone, "UTC") == 0 ||
        g_hash_table_contains (zones, m->timezone))
      continue;
    g_hash_table_add (zones, m->timezone);
    for (guint j = i; j < n; j++)
      if (g_strcmp0 (meetings[j]->timezone, m->timezone) == 0) {
        GArray *rd = meetings[j]->rdates;

        earliest = MIN (earliest, meetings[j]->start);
        if (rd->len > 0)
          earliest = MIN (earliest, g_array_index (rd, gint64, 0));
      }
    icalcomponent_add_component (cal, vtimezone (m->timezone, earliest));
  }
  for (guint i = 0; i < n; i++)
    icalcomponent_add_component (cal, vevent (meetings[i], host));
  text = icalcomponent_as_ical_string_r (cal);
  icalcomponent_free (cal);
  return text;
}

gchar *
mcu_meeting_list_to_ical (McuMeeting *const *meetings, guint n)
{
  return mcu_meeting_list_to_ical_with_host (meetings, n, NULL);
}
