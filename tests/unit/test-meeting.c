/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the McuMeeting model: occurrences across DST and recurrence rules,
 * JSON validation naming the field, PATCH, cancel, conflicts, iCalendar
 * import (Thunderbird- and Outlook-like) and export round trip. */
#include "mcu-meeting.h"
#include "mcu-rooms.h"

#include <string.h>

static McuMeeting *
meeting_from (const gchar *json, GError **error)
{
  g_autoptr (JsonNode) node = json_from_string (json, NULL);

  g_assert_nonnull (node);
  return mcu_meeting_new_from_json (node, NULL, error);
}

static McuMeeting *
meeting_ok (const gchar *json)
{
  g_autoptr (GError) error = NULL;
  McuMeeting *m = meeting_from (json, &error);

  g_assert_no_error (error);
  g_assert_nonnull (m);
  return m;
}

static gchar *
utc (gint64 us)
{
  g_autoptr (GDateTime) dt =
      g_date_time_new_from_unix_utc (us / G_TIME_SPAN_SECOND);

  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

static gint64
at (const gchar *rfc3339)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_iso8601 (rfc3339, NULL);

  g_assert_nonnull (dt);
  return g_date_time_to_unix (dt) * G_TIME_SPAN_SECOND;
}

/* Every occurrence's start in UTC, joined by spaces. */
static gchar *
starts (McuMeeting *m, gint64 from, gint64 to, guint max)
{
  g_autoptr (GArray) occ = mcu_meeting_occurrences (m, from, to, max);
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < occ->len; i++) {
    McuOccurrence *o = &g_array_index (occ, McuOccurrence, i);
    g_autofree gchar *t = utc (o->start);

    g_assert_cmpint (o->end - o->start, ==, mcu_meeting_get_duration (m));
    if (i > 0)
      g_string_append_c (s, ' ');
    g_string_append (s, t);
  }
  return g_string_free (s, FALSE);
}

static const struct
{
  const gchar *what;
  const gchar *start;
  const gchar *timezone;
  const gchar *rrule;
  const gchar *extra; /* more JSON members, or "" */
  const gchar *expect;
} expansions[] = {
  { "weekly Berlin, DST starts (29 March)", "2026-03-23T09:00:00+01:00",
      "Europe/Berlin", "FREQ=WEEKLY;BYDAY=MO;COUNT=3", "",
      "2026-03-23T08:00:00Z 2026-03-30T07:00:00Z 2026-04-06T07:00:00Z" },
  { "weekly Berlin, DST ends (25 October)", "2026-10-19T09:00:00+02:00",
      "Europe/Berlin", "FREQ=WEEKLY;BYDAY=MO;COUNT=2", "",
      "2026-10-19T07:00:00Z 2026-10-26T08:00:00Z" },
  { "weekly New York, DST starts (8 March)", "2026-03-03T10:00:00-05:00",
      "America/New_York", "FREQ=WEEKLY;BYDAY=TU;COUNT=2", "",
      "2026-03-03T15:00:00Z 2026-03-10T14:00:00Z" },
  { "weekly New York, DST ends (1 November)", "2026-10-27T10:00:00-04:00",
      "America/New_York", "FREQ=WEEKLY;BYDAY=TU;COUNT=2", "",
      "2026-10-27T14:00:00Z 2026-11-03T15:00:00Z" },
  { "monthly on the last Friday", "2026-01-30T15:00:00+01:00", "Europe/Berlin",
      "FREQ=MONTHLY;BYDAY=-1FR;COUNT=4", "",
      "2026-01-30T14:00:00Z 2026-02-27T14:00:00Z 2026-03-27T14:00:00Z "
      "2026-04-24T13:00:00Z" },
  { "UNTIL (UTC, inclusive)", "2026-12-07T09:00:00+01:00", "Europe/Berlin",
      "FREQ=DAILY;UNTIL=20261209T080000Z", "",
      "2026-12-07T08:00:00Z 2026-12-08T08:00:00Z 2026-12-09T08:00:00Z" },
  { "UNTIL as a date", "2026-12-07T09:00:00+01:00", "Europe/Berlin",
      "FREQ=DAILY;UNTIL=20261208", "",
      "2026-12-07T08:00:00Z 2026-12-08T08:00:00Z" },
  { "EXDATE (COUNT still counts it)", "2026-12-07T09:00:00+01:00",
      "Europe/Berlin", "FREQ=WEEKLY;BYDAY=MO;COUNT=4",
      ", \"exdate\": [\"2026-12-14T09:00:00+01:00\"]",
      "2026-12-07T08:00:00Z 2026-12-21T08:00:00Z 2026-12-28T08:00:00Z" },
  { "RDATE, no RRULE", "2026-12-07T09:00:00+01:00", "Europe/Berlin", NULL,
      ", \"rdate\": [\"2026-12-10T15:00:00+01:00\", "
      "\"2026-12-01T08:00:00Z\"]",
      "2026-12-01T08:00:00Z 2026-12-07T08:00:00Z 2026-12-10T14:00:00Z" },
  { "RDATE merged with RRULE", "2026-12-07T09:00:00+01:00", "Europe/Berlin",
      "FREQ=WEEKLY;COUNT=2", ", \"rdate\": [\"2026-12-09T09:00:00+01:00\"]",
      "2026-12-07T08:00:00Z 2026-12-09T08:00:00Z 2026-12-14T08:00:00Z" },
  { "29 February: leap years only", "2028-02-29T10:00:00Z", "UTC",
      "FREQ=YEARLY;COUNT=3", "",
      "2028-02-29T10:00:00Z 2032-02-29T10:00:00Z 2036-02-29T10:00:00Z" },
  { "Asia/Tokyo has no DST", "2026-03-23T09:00:00+09:00", "Asia/Tokyo",
      "FREQ=WEEKLY;BYDAY=MO;COUNT=3", "",
      "2026-03-23T00:00:00Z 2026-03-30T00:00:00Z 2026-04-06T00:00:00Z" },
  { "02:30 in the spring gap is 03:30", "2026-03-28T02:30:00+01:00",
      "Europe/Berlin", "FREQ=DAILY;COUNT=3", "",
      "2026-03-28T01:30:00Z 2026-03-29T01:30:00Z 2026-03-30T00:30:00Z" },
  { "02:30 on the autumn day is the first one", "2026-10-24T02:30:00+02:00",
      "Europe/Berlin", "FREQ=DAILY;COUNT=3", "",
      "2026-10-24T00:30:00Z 2026-10-25T00:30:00Z 2026-10-26T01:30:00Z" },
  { "no recurrence", "2026-12-07T09:00:00+01:00", "Europe/Berlin", NULL, "",
      "2026-12-07T08:00:00Z" },
};

static void
test_meeting_expansion_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (expansions); i++) {
    g_autofree gchar *rrule =
        expansions[i].rrule != NULL
            ? g_strdup_printf (", \"rrule\": \"%s\"", expansions[i].rrule)
            : g_strdup ("");
    g_autofree gchar *json = g_strdup_printf (
        "{\"room\": \"4242\", \"start\": \"%s\", \"timezone\": \"%s\", "
        "\"duration\": \"PT45M\"%s%s}",
        expansions[i].start, expansions[i].timezone, rrule,
        expansions[i].extra);
    g_autoptr (McuMeeting) m = NULL;
    g_autofree gchar *got = NULL;

    g_test_message ("%s", expansions[i].what);
    m = meeting_ok (json);
    got = starts (m, 0, G_MAXINT64, 0);
    g_assert_cmpstr (got, ==, expansions[i].expect);
  }
}

static void
test_meeting_window (void)
{
  g_autoptr (McuMeeting) m = meeting_ok (
      "{\"room\": \"4242\", \"start\": \"2026-12-07T09:00:00+01:00\", "
      "\"timezone\": \"Europe/Berlin\", \"duration\": \"PT45M\", "
      "\"rrule\": \"FREQ=WEEKLY;BYDAY=MO\"}");
  g_autofree gchar *two = NULL, *capped = NULL, *first = NULL;
  g_autofree gchar *next = NULL;
  McuOccurrence o;

  /* [from, to) intersects: the one running at 09:30 counts */
  two = starts (m, at ("2026-12-14T08:30:00Z"), at ("2026-12-21T08:00:01Z"), 0);
  g_assert_cmpstr (two, ==, "2026-12-14T08:00:00Z 2026-12-21T08:00:00Z");
  capped = starts (m, 0, G_MAXINT64, 3);
  g_assert_cmpstr (capped, ==,
      "2026-12-07T08:00:00Z 2026-12-14T08:00:00Z 2026-12-21T08:00:00Z");
  /* summer, years on */
  first =
      starts (m, at ("2031-07-01T00:00:00Z"), at ("2031-07-08T00:00:00Z"), 0);
  g_assert_cmpstr (first, ==, "2031-07-07T07:00:00Z");
  /* an unbounded rule stops 100 years on, or at the internal cap */
  {
    g_autoptr (GArray) all = mcu_meeting_occurrences (m, 0, G_MAXINT64, 0);
    g_autoptr (McuMeeting) daily = meeting_ok (
        "{\"room\": \"4242\", \"start\": \"2026-12-07T09:00:00+01:00\", "
        "\"duration\": \"PT45M\", \"rrule\": \"FREQ=DAILY\"}");
    g_autoptr (GArray) days = mcu_meeting_occurrences (daily, 0, G_MAXINT64, 0);
    gint64 last = g_array_index (all, McuOccurrence, all->len - 1).start;

    g_assert_cmpint (last, >, at ("2126-11-01T00:00:00Z"));
    g_assert_cmpint (last, <, at ("2127-12-31T00:00:00Z"));
    g_assert_cmpuint (days->len, ==, 10000);
  }
  g_assert_true (
      mcu_meeting_next_occurrence (m, at ("2026-12-14T08:44:59Z"), &o));
  next = utc (o.start);
  g_assert_cmpstr (next, ==, "2026-12-14T08:00:00Z"); /* still running */
  g_assert_true (
      mcu_meeting_next_occurrence (m, at ("2026-12-14T08:45:00Z"), &o));
  g_assert_cmpint (o.start, ==, at ("2026-12-21T08:00:00Z"));
}

static void
test_meeting_next_none (void)
{
  g_autoptr (McuMeeting) m = meeting_ok (
      "{\"room\": \"4242\", \"start\": \"2026-12-07T09:00:00+01:00\", "
      "\"timezone\": \"Europe/Berlin\", \"duration\": \"PT45M\", "
      "\"rrule\": \"FREQ=DAILY;COUNT=2\"}");
  McuOccurrence o;

  g_assert_true (mcu_meeting_next_occurrence (m, 0, &o));
  g_assert_cmpint (o.start, ==, at ("2026-12-07T08:00:00Z"));
  g_assert_false (
      mcu_meeting_next_occurrence (m, at ("2026-12-08T08:45:00Z"), &o));
}

static void
test_meeting_defaults (void)
{
  g_autoptr (McuMeeting) m = meeting_ok (
      "{\"room\": \"4242\", \"start\": \"2026-12-07T09:00:00+01:00\", "
      "\"timezone\": \"Europe/Berlin\", \"duration\": \"PT1H30M\"}");
  const gint64 *w;
  guint n;

  g_assert_cmpint (mcu_meeting_get_duration (m), ==, 90 * G_TIME_SPAN_MINUTE);
  g_assert_cmpint (mcu_meeting_get_early_join (m), ==, 5 * G_TIME_SPAN_MINUTE);
  g_assert_cmpint (mcu_meeting_get_grace (m), ==, 2 * G_TIME_SPAN_MINUTE);
  w = mcu_meeting_get_warnings (m, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (w[0], ==, 5 * G_TIME_SPAN_MINUTE);
  g_assert_cmpint (w[1], ==, G_TIME_SPAN_MINUTE);
  g_assert_cmpuint (mcu_meeting_get_dial_retries (m), ==, 3);
  g_assert_cmpint (
      mcu_meeting_get_dial_retry_interval (m), ==, 60 * G_TIME_SPAN_SECOND);
  g_assert_cmpuint (mcu_meeting_get_max_participants (m), ==, 0);
  g_assert_null (mcu_meeting_get_layout (m));
  g_assert_false (mcu_meeting_get_record (m));
  g_assert_null (mcu_meeting_get_pin (m));
  g_assert_null (mcu_meeting_get_rrule (m));
  g_assert_cmpuint (mcu_meeting_get_attendees (m)->len, ==, 0);
  g_assert_nonnull (mcu_meeting_get_id (m));
  g_assert_cmpstr (mcu_meeting_get_room (m), ==, "4242");
  g_assert_cmpstr (mcu_meeting_get_timezone (m), ==, "Europe/Berlin");
  g_assert_cmpint (mcu_meeting_get_start (m), ==, at ("2026-12-07T08:00:00Z"));
}

static const gchar full_json[] =
    "{\"subject\": \"Weekly sync\", \"room\": \"4242\", "
    "\"start\": \"2026-12-07T09:00:00+01:00\", "
    "\"timezone\": \"Europe/Berlin\", \"duration\": \"PT45M\", "
    "\"rrule\": \"FREQ=WEEKLY;BYDAY=MO\", "
    "\"exdate\": [\"2026-12-28T09:00:00+01:00\"], "
    "\"attendees\": [{\"uri\": \"alice\", \"display\": \"Alice\", "
    "\"role\": \"moderator\"}, {\"uri\": \"sip:bob@pbx.example.com\", "
    "\"auto_dial\": false}, {\"id\": \"a1x\", \"uri\": \"tel:+4930123\"}], "
    "\"pin\": \"1234\", \"moderator_pin\": \"9999\", "
    "\"early_join\": \"PT10M\", \"grace\": \"PT20S\", "
    "\"warnings\": [\"PT1M\", \"PT10M\"], \"dial_retries\": 5, "
    "\"dial_retry_interval\": \"PT20S\", \"max_participants\": 12, "
    "\"layout\": \"speaker\", \"record\": true, "
    "\"wait_for_moderator\": true, \"mute_guests\": true}";

static void
test_meeting_json_round_trip (void)
{
  g_autoptr (McuMeeting) m = meeting_ok (full_json);
  g_autoptr (McuMeeting) again = NULL;
  g_autoptr (JsonNode) node = mcu_meeting_to_json (m);
  g_autoptr (JsonNode) node2 = NULL;
  g_autofree gchar *text = json_to_string (node, FALSE);
  g_autofree gchar *text2 = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *att = mcu_meeting_get_attendees (m);
  const McuAttendee *a;
  const gint64 *w;
  guint n;

  g_assert_cmpuint (att->len, ==, 3);
  a = g_ptr_array_index (att, 0);
  g_assert_cmpstr (a->id, ==, "a1");
  g_assert_cmpstr (a->display, ==, "Alice");
  g_assert_cmpint (a->role, ==, MCU_ATTENDEE_ROLE_MODERATOR);
  g_assert_true (a->auto_dial);
  a = mcu_meeting_find_attendee (m, "a2");
  g_assert_nonnull (a);
  g_assert_cmpstr (a->uri, ==, "sip:bob@pbx.example.com");
  g_assert_false (a->auto_dial);
  g_assert_cmpint (a->role, ==, MCU_ATTENDEE_ROLE_GUEST);
  g_assert_nonnull (mcu_meeting_find_attendee (m, "a1x"));
  g_assert_null (mcu_meeting_find_attendee (m, "a3"));
  w = mcu_meeting_get_warnings (m, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (w[0], ==, 10 * G_TIME_SPAN_MINUTE); /* largest first */
  g_assert_cmpstr (mcu_meeting_get_layout (m), ==, "speaker");
  g_assert_true (mcu_meeting_get_record (m));
  g_assert_cmpuint (mcu_meeting_get_room_options (m), ==,
      MCU_ROOM_OPTION_WAIT_FOR_MODERATOR | MCU_ROOM_OPTION_MUTE_GUESTS);
  g_assert_nonnull (strstr (text, "\"end_when_moderator_leaves\":false"));

  g_assert_nonnull (strstr (text, "\"start\":\"2026-12-07T09:00:00+01:00\""));
  g_assert_nonnull (
      strstr (text, "\"exdate\":[\"2026-12-28T09:00:00+01:00\"]"));
  g_assert_nonnull (strstr (text, "\"grace\":\"PT20S\""));
  g_assert_nonnull (strstr (text, "\"warnings\":[\"PT10M\",\"PT1M\"]"));
  again = mcu_meeting_new_from_json (node, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mcu_meeting_get_id (again), ==, mcu_meeting_get_id (m));
  node2 = mcu_meeting_to_json (again);
  text2 = json_to_string (node2, FALSE);
  g_assert_cmpstr (text, ==, text2);
}

static const struct
{
  const gchar *member; /* replaces or adds this member of full_json */
  const gchar *value;  /* NULL: remove the member */
  const gchar *prefix; /* the error message starts with it */
} bad[] = {
  { "rrule", "\"FREQ=WEEKLY;BYDAY=XX\"", "rrule: " },
  { "rrule", "\"every monday\"", "rrule: " },
  { "rrule", "\"FREQ=MINUTELY\"", "rrule: " },
  { "rrule", "\"FREQ=WEEKLY;UNTIL=20261201T000000Z\"", "rrule: UNTIL" },
  { "rrule", "\"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30\"", "rrule: " },
  { "rrule", "\"FREQ=WEEKLY;BYDAY=TU\"", "start: " },
  { "rrule", "42", "rrule: must be a string" },
  { "timezone", "\"Mars/Olympus_Mons\"", "timezone: " },
  { "timezone", "\"../../../etc/passwd\"", "timezone: " },
  { "timezone", "\"+01:00\"", "timezone: " },
  { "timezone", "\"CET-1CEST\"", "timezone: " },
  { "duration", "\"PT0S\"", "duration: " },
  { "duration", "\"PT0M\"", "duration: " },
  { "duration", "\"45 minutes\"", "duration: " },
  { "duration", "\"P1M\"", "duration: " },
  { "duration", "\"P40D\"", "duration: " },
  { "duration", "\"P8D\"", "duration: longer than the time between" },
  { "duration", NULL, "duration: is required" },
  { "duration", "null", "duration: is required" },
  { "end", "\"2026-12-07T09:30:00+01:00\"", "end: give either" },
  { "start", "\"2026-12-07T09:00:00\"", "start: " },
  { "start", "\"2026-12-07\"", "start: " },
  { "start", "\"yesterday\"", "start: " },
  { "start", NULL, "start: is required" },
  { "room", NULL, "room: is required" },
  { "room", "\"\"", "room: " },
  { "room", "\"a/b\"", "room: " },
  { "colour", "\"blue\"", "colour: unknown member" },
  { "pin", "\"12a4\"", "pin: " },
  { "pin", "1234", "pin: must be a string" },
  { "early_join", "\"P2D\"", "early_join: " },
  { "warnings", "[\"PT0S\"]", "warnings[0]: " },
  { "warnings", "\"PT5M\"", "warnings: " },
  { "dial_retries", "-1", "dial_retries: " },
  { "dial_retries", "\"3\"", "dial_retries: " },
  { "dial_retry_interval", "\"PT0S\"", "dial_retry_interval: " },
  { "max_participants", "1.5", "max_participants: " },
  { "layout", "\"mosaic\"", "layout: " },
  { "record", "\"yes\"", "record: " },
  { "exdate", "[\"tomorrow\"]", "exdate[0]: " },
  { "rdate", "\"2026-12-08T09:00:00+01:00\"", "rdate: " },
  { "attendees", "[{\"uri\": \"alice\"}, {\"uri\": \"http://x\"}]",
      "attendees[1].uri: " },
  { "attendees", "[{\"display\": \"Bob\"}]", "attendees[0].uri: is required" },
  { "attendees", "[{\"uri\": \"bob\", \"phone\": 1}]",
      "attendees[0].phone: unknown member" },
  { "attendees", "[{\"uri\": \"bob\", \"role\": \"chair\"}]",
      "attendees[0].role: " },
  { "attendees",
      "[{\"id\": \"x\", \"uri\": \"a\"}, {\"id\": \"x\", \"uri\": "
      "\"b\"}]",
      "attendees[1].id: " },
  { "subject", "\"two\\nlines\"", "subject: " },
};

static void
test_meeting_invalid (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (JsonNode) node = json_from_string (full_json, NULL);
    JsonObject *o = json_node_get_object (node);
    g_autoptr (GError) error = NULL;
    g_autoptr (McuMeeting) m = NULL;

    if (bad[i].value == NULL)
      json_object_remove_member (o, bad[i].member);
    else
      json_object_set_member (
          o, bad[i].member, json_from_string (bad[i].value, NULL));
    m = mcu_meeting_new_from_json (node, NULL, &error);
    g_test_message ("%s = %s: %s", bad[i].member, bad[i].value,
        error != NULL ? error->message : "(accepted)");
    g_assert_null (m);
    g_assert_error (error, MCU_MEETING_ERROR, MCU_MEETING_ERROR_INVALID);
    g_assert_true (g_str_has_prefix (error->message, bad[i].prefix));
  }
}

static void
test_meeting_end (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuMeeting) m = meeting_ok (
      "{\"room\": \"4242\", \"start\": \"2026-12-07T09:00:00+01:00\", "
      "\"end\": \"2026-12-07T09:45:00+01:00\"}");
  g_autoptr (McuMeeting) before = NULL;
  g_autoptr (JsonNode) node = mcu_meeting_to_json (m);
  g_autoptr (JsonNode) patch =
      json_from_string ("{\"end\": \"2026-12-07T10:00:00+01:00\"}", NULL);
  g_autoptr (McuMeeting) p = NULL;

  g_assert_cmpint (mcu_meeting_get_duration (m), ==, 45 * G_TIME_SPAN_MINUTE);
  g_assert_false (json_object_has_member (json_node_get_object (node), "end"));
  p = mcu_meeting_patch (m, patch, &error);
  g_assert_no_error (error);
  g_assert_cmpint (mcu_meeting_get_duration (p), ==, G_TIME_SPAN_HOUR);
  before = meeting_from (
      "{\"room\": \"4242\", \"start\": \"2026-12-07T09:00:00+01:00\", "
      "\"end\": \"2026-12-07T08:59:00+01:00\"}",
      &error);
  g_assert_null (before);
  g_assert_error (error, MCU_MEETING_ERROR, MCU_MEETING_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "end: "));
}

static void
test_meeting_not_an_object (void)
{
  g_autoptr (JsonNode) node = json_from_string ("[1, 2]", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_null (mcu_meeting_new_from_json (node, NULL, &error));
  g_assert_error (error, MCU_MEETING_ERROR, MCU_MEETING_ERROR_INVALID);
  g_assert_null (mcu_meeting_new_from_json (NULL, NULL, NULL));
}

static void
test_meeting_patch (void)
{
  g_autoptr (McuMeeting) m = meeting_ok (full_json);
  g_autoptr (McuMeeting) p = NULL;
  g_autoptr (JsonNode) patch = json_from_string (
      "{\"subject\": \"Renamed\", \"duration\": \"PT1H\", \"rrule\": null, "
      "\"pin\": null, \"attendees\": [{\"uri\": \"carol\"}]}",
      NULL);
  g_autoptr (JsonNode) bad_patch = json_from_string (
      "{\"subject\": \"Nope\", \"timezone\": \"Nowhere/Land\"}", NULL);
  g_autoptr (JsonNode) id_patch =
      json_from_string ("{\"id\": \"other\"}", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *before = NULL, *after = NULL;
  g_autoptr (JsonNode) n1 = NULL, n2 = NULL;

  n1 = mcu_meeting_to_json (m);
  before = json_to_string (n1, FALSE);
  p = mcu_meeting_patch (m, patch, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mcu_meeting_get_id (p), ==, mcu_meeting_get_id (m));
  g_assert_cmpstr (mcu_meeting_get_subject (p), ==, "Renamed");
  g_assert_cmpint (mcu_meeting_get_duration (p), ==, G_TIME_SPAN_HOUR);
  g_assert_null (mcu_meeting_get_rrule (p));
  g_assert_null (mcu_meeting_get_pin (p));
  g_assert_cmpstr (mcu_meeting_get_moderator_pin (p), ==, "9999");
  g_assert_cmpuint (mcu_meeting_get_attendees (p)->len, ==, 1);
  g_assert_cmpstr (mcu_meeting_get_room (p), ==, "4242"); /* untouched */
  g_assert_cmpint (mcu_meeting_get_early_join (p), ==, 10 * G_TIME_SPAN_MINUTE);

  g_assert_null (mcu_meeting_patch (m, bad_patch, &error));
  g_assert_error (error, MCU_MEETING_ERROR, MCU_MEETING_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "timezone: "));
  g_clear_error (&error);
  g_assert_null (mcu_meeting_patch (m, id_patch, &error));
  g_assert_true (g_str_has_prefix (error->message, "id: "));

  /* the original is unchanged by either */
  n2 = mcu_meeting_to_json (m);
  after = json_to_string (n2, FALSE);
  g_assert_cmpstr (before, ==, after);
}

static void
test_meeting_attendees (void)
{
  g_autoptr (McuMeeting) m = meeting_ok (full_json); /* a1, a2, a1x */
  g_autoptr (JsonNode) dave = json_from_string (
      "{\"uri\": \"sip:dave@example.com\", \"display\": \"Dave\"}", NULL);
  g_autoptr (JsonNode) erin = json_from_string ("{\"uri\": \"erin\"}", NULL);
  g_autoptr (JsonNode) dup =
      json_from_string ("{\"id\": \"a1\", \"uri\": \"erin\"}", NULL);
  g_autoptr (JsonNode) mailto =
      json_from_string ("{\"uri\": \"mailto:x@y\"}", NULL);
  g_autoptr (GError) error = NULL;
  const McuAttendee *a;

  a = mcu_meeting_add_attendee (m, dave, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (a->id, ==, "a3");
  g_assert_cmpstr (a->display, ==, "Dave");
  g_assert_true (a->auto_dial);
  g_assert_true (mcu_meeting_remove_attendee (m, "a3"));
  g_assert_false (mcu_meeting_remove_attendee (m, "a3"));
  /* ids go on from the highest "aN" in use */
  a = mcu_meeting_add_attendee (m, erin, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (a->id, ==, "a3");
  g_assert_true (mcu_meeting_remove_attendee (m, "a3"));
  g_assert_true (mcu_meeting_remove_attendee (m, "a2"));
  a = mcu_meeting_add_attendee (m, erin, &error);
  g_assert_cmpstr (a->id, ==, "a2");
  g_assert_null (mcu_meeting_add_attendee (m, dup, &error));
  g_assert_true (g_str_has_prefix (error->message, "id: "));
  g_clear_error (&error);
  g_assert_null (mcu_meeting_add_attendee (m, mailto, &error));
  g_assert_true (g_str_has_prefix (error->message, "uri: "));
  g_assert_cmpuint (mcu_meeting_get_attendees (m)->len, ==, 3);
}

static void
test_meeting_cancel_occurrence (void)
{
  g_autoptr (McuMeeting) m = meeting_ok (
      "{\"room\": \"4242\", \"start\": \"2026-12-07T09:00:00+01:00\", "
      "\"timezone\": \"Europe/Berlin\", \"duration\": \"PT45M\", "
      "\"rrule\": \"FREQ=WEEKLY;BYDAY=MO;COUNT=4\"}");
  g_autofree gchar *left = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autofree gchar *text = NULL;

  g_assert_true (
      mcu_meeting_cancel_occurrence (m, at ("2026-12-14T08:00:00Z")));
  /* not an occurrence's start, or already cancelled */
  g_assert_false (
      mcu_meeting_cancel_occurrence (m, at ("2026-12-14T08:00:00Z")));
  g_assert_false (
      mcu_meeting_cancel_occurrence (m, at ("2026-12-21T08:00:01Z")));
  g_assert_false (
      mcu_meeting_cancel_occurrence (m, at ("2027-01-04T08:00:00Z")));
  left = starts (m, 0, G_MAXINT64, 0);
  g_assert_cmpstr (left, ==,
      "2026-12-07T08:00:00Z 2026-12-21T08:00:00Z 2026-12-28T08:00:00Z");
  node = mcu_meeting_to_json (m);
  text = json_to_string (node, FALSE);
  g_assert_nonnull (
      strstr (text, "\"exdate\":[\"2026-12-14T09:00:00+01:00\"]"));
}

static McuMeeting *
booking (const gchar *room, const gchar *start, const gchar *rrule)
{
  g_autofree gchar *json = g_strdup_printf (
      "{\"room\": \"%s\", \"start\": \"%s\", \"timezone\": \"Europe/Berlin\", "
      "\"duration\": \"PT45M\"%s%s%s}",
      room, start, rrule != NULL ? ", \"rrule\": \"" : "",
      rrule != NULL ? rrule : "", rrule != NULL ? "\"" : "");

  return meeting_ok (json);
}

static void
test_meeting_conflicts (void)
{
  /* weekly 09:00-09:45, open 08:55, closed 09:47 */
  g_autoptr (McuMeeting) a =
      booking ("4242", "2026-12-07T09:00:00+01:00", "FREQ=WEEKLY;BYDAY=MO");
  /* opens 09:45, inside a's grace */
  g_autoptr (McuMeeting) b =
      booking ("4242", "2026-12-21T09:50:00+01:00", NULL);
  /* opens 09:48, after a's grace */
  g_autoptr (McuMeeting) c =
      booking ("4242", "2026-12-21T09:53:00+01:00", NULL);
  g_autoptr (McuMeeting) d =
      booking ("4343", "2026-12-21T09:00:00+01:00", NULL);
  /* the same time, weeks later, daily */
  g_autoptr (McuMeeting) e =
      booking ("4242", "2027-01-01T09:30:00+01:00", "FREQ=DAILY");
  g_autoptr (McuMeeting) a2 = mcu_meeting_copy (a);
  McuOccurrence clash = { 0, 0 };

  g_assert_true (mcu_meeting_conflicts (a, b, 0, G_MAXINT64, &clash));
  g_assert_cmpint (clash.start, ==, at ("2026-12-21T08:50:00Z"));
  g_assert_true (mcu_meeting_conflicts (b, a, 0, G_MAXINT64, &clash));
  g_assert_cmpint (clash.start, ==, at ("2026-12-21T08:00:00Z"));
  g_assert_false (mcu_meeting_conflicts (a, c, 0, G_MAXINT64, NULL));
  g_assert_false (mcu_meeting_conflicts (c, a, 0, G_MAXINT64, NULL));
  g_assert_false (mcu_meeting_conflicts (a, d, 0, G_MAXINT64, NULL));
  /* outside [from, to) */
  g_assert_false (mcu_meeting_conflicts (
      a, b, at ("2026-12-22T00:00:00Z"), G_MAXINT64, NULL));
  /* daily e clashes with a on the first Monday, 4 January 2027 */
  g_assert_true (mcu_meeting_conflicts (a, e, 0, G_MAXINT64, &clash));
  g_assert_cmpint (clash.start, ==, at ("2027-01-04T08:30:00Z"));
  /* extend: b's window (09:45 - 10:37 on 21 December) */
  g_assert_true (mcu_meeting_busy (
      b, at ("2026-12-21T08:45:00Z"), at ("2026-12-21T08:46:00Z"), &clash));
  g_assert_cmpint (clash.start, ==, at ("2026-12-21T08:50:00Z"));
  g_assert_false (mcu_meeting_busy (
      b, at ("2026-12-21T08:40:00Z"), at ("2026-12-21T08:45:00Z"), NULL));
  g_assert_true (mcu_meeting_busy (
      b, at ("2026-12-21T09:36:59Z"), at ("2026-12-21T10:00:00Z"), NULL));
  g_assert_false (mcu_meeting_busy (
      b, at ("2026-12-21T09:37:00Z"), at ("2026-12-21T10:00:00Z"), NULL));
  /* a meeting and its own PATCHed copy */
  g_assert_false (mcu_meeting_conflicts (a, a2, 0, G_MAXINT64, NULL));
}

static void
test_meeting_duration_format (void)
{
  static const gchar *const durations[] = { "PT45M", "PT1H30M", "PT20S", "P1D",
    "P1DT2H", "PT1H0M5S", "P2W" };
  static const gchar *const canonical[] = { "PT45M", "PT1H30M", "PT20S", "P1D",
    "P1DT2H", "PT1H5S", "P14D" };

  for (guint i = 0; i < G_N_ELEMENTS (durations); i++) {
    g_autofree gchar *json = g_strdup_printf (
        "{\"room\": \"4242\", \"start\": \"2026-12-07T09:00:00Z\", "
        "\"duration\": \"%s\"}",
        durations[i]);
    g_autoptr (McuMeeting) m = meeting_ok (json);
    g_autoptr (JsonNode) node = mcu_meeting_to_json (m);
    const gchar *d =
        json_object_get_string_member (json_node_get_object (node), "duration");

    g_assert_cmpstr (d, ==, canonical[i]);
    g_assert_cmpstr (mcu_meeting_get_timezone (m), ==, "UTC");
  }
}

/* As Thunderbird 115 writes it: IANA TZID, DTEND, EXDATE with TZID. */
static const gchar thunderbird_ics[] =
    "BEGIN:VCALENDAR\r\n"
    "PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\r\n"
    "VERSION:2.0\r\n"
    "BEGIN:VTIMEZONE\r\n"
    "TZID:Europe/Berlin\r\n"
    "X-LIC-LOCATION:Europe/Berlin\r\n"
    "BEGIN:DAYLIGHT\r\n"
    "TZOFFSETFROM:+0100\r\n"
    "TZOFFSETTO:+0200\r\n"
    "TZNAME:CEST\r\n"
    "DTSTART:19700329T020000\r\n"
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n"
    "END:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\n"
    "TZOFFSETFROM:+0200\r\n"
    "TZOFFSETTO:+0100\r\n"
    "TZNAME:CET\r\n"
    "DTSTART:19701025T030000\r\n"
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n"
    "END:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
    "BEGIN:VEVENT\r\n"
    "CREATED:20261201T101500Z\r\n"
    "LAST-MODIFIED:20261201T101642Z\r\n"
    "DTSTAMP:20261201T101642Z\r\n"
    "UID:4f1e2c3a-9b7d-4e21-8a0b-2c9d5e6f7a81\r\n"
    "SUMMARY:Weekly sync\r\n"
    "ORGANIZER;CN=Alice Example:mailto:alice@example.com\r\n"
    "ATTENDEE;RSVP=TRUE;CN=Alice;PARTSTAT=ACCEPTED;ROLE=CHAIR:sip:alice@pb\r\n"
    " x.example.com\r\n"
    "ATTENDEE;RSVP=TRUE;CN=Bob;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT:s\r\n"
    " ip:bob@pbx.example.com\r\n"
    "ATTENDEE;RSVP=TRUE;CN=Desk phone;ROLE=OPT-PARTICIPANT:tel:+49301234567\r\n"
    "ATTENDEE;RSVP=TRUE;CN=Carol;ROLE=REQ-PARTICIPANT:mailto:carol@example."
    "c\r\n"
    " om\r\n"
    "RRULE:FREQ=WEEKLY;BYDAY=MO\r\n"
    "EXDATE;TZID=Europe/Berlin:20261228T090000\r\n"
    "DTSTART;TZID=Europe/Berlin:20261207T090000\r\n"
    "DTEND;TZID=Europe/Berlin:20261207T094500\r\n"
    "TRANSP:OPAQUE\r\n"
    "LOCATION:4242\r\n"
    "DESCRIPTION:Dial sip:4242@mcu.example.com or +49 30 1234 4242\r\n"
    "SEQUENCE:1\r\n"
    "X-MOZ-GENERATION:2\r\n"
    "BEGIN:VALARM\r\n"
    "ACTION:DISPLAY\r\n"
    "TRIGGER;VALUE=DURATION:-PT15M\r\n"
    "DESCRIPTION:Default Mozilla Description\r\n"
    "END:VALARM\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n";

/* As Outlook 16 writes it: a Windows zone name, quoted TZIDs, the room
 * only as a sip: URI inside LOCATION, a UID too long for an id. */
static const gchar outlook_ics[] =
    "BEGIN:VCALENDAR\r\n"
    "PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\n"
    "VERSION:2.0\r\n"
    "METHOD:REQUEST\r\n"
    "X-MS-OLK-FORCEINSPECTOROPEN:TRUE\r\n"
    "BEGIN:VTIMEZONE\r\n"
    "TZID:W. Europe Standard Time\r\n"
    "BEGIN:STANDARD\r\n"
    "DTSTART:16011028T030000\r\n"
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n"
    "TZOFFSETFROM:+0200\r\n"
    "TZOFFSETTO:+0100\r\n"
    "END:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\n"
    "DTSTART:16010325T020000\r\n"
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n"
    "TZOFFSETFROM:+0100\r\n"
    "TZOFFSETTO:+0200\r\n"
    "END:DAYLIGHT\r\n"
    "END:VTIMEZONE\r\n"
    "BEGIN:VEVENT\r\n"
    "ATTENDEE;CN=\"Bob Builder\";RSVP=TRUE:mailto:bob@example.com\r\n"
    "ATTENDEE;CN=\"Front "
    "desk\";ROLE=CHAIR;RSVP=TRUE:SIP:4711@pbx.example.co\r\n"
    " m\r\n"
    "CLASS:PUBLIC\r\n"
    "CREATED:20261201T120000Z\r\n"
    "DESCRIPTION:Monthly review\\n\\nJoin: sip:4243@mcu.example.com\\n\r\n"
    "DTEND;TZID=\"W. Europe Standard Time\":20270129T113000\r\n"
    "DTSTAMP:20261201T120000Z\r\n"
    "DTSTART;TZID=\"W. Europe Standard Time\":20270129T100000\r\n"
    "LAST-MODIFIED:20261201T120000Z\r\n"
    "LOCATION:Conference bridge (sip:4243@mcu.example.com)\r\n"
    "ORGANIZER;CN=\"Alice Example\":mailto:alice@example.com\r\n"
    "PRIORITY:5\r\n"
    "RRULE:FREQ=MONTHLY;COUNT=6;BYDAY=-1FR\r\n"
    "SEQUENCE:0\r\n"
    "SUMMARY;LANGUAGE=en-us:Monthly review\r\n"
    "TRANSP:OPAQUE\r\n"
    "UID:040000008200E00074C5B7101A82E00800000000D0A1B2C3D4E5D901000000000\r\n"
    " 000000010000000A1B2C3D4E5F60718293A4B5C6D7E8F90\r\n"
    "X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r\n"
    "X-MICROSOFT-CDO-IMPORTANCE:1\r\n"
    "X-MICROSOFT-DISALLOW-COUNTER:FALSE\r\n"
    "BEGIN:VALARM\r\n"
    "TRIGGER:-PT15M\r\n"
    "ACTION:DISPLAY\r\n"
    "DESCRIPTION:Reminder\r\n"
    "END:VALARM\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n";

static void
test_meeting_ical_thunderbird (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list =
      mcu_meeting_list_from_ical (thunderbird_ics, &error);
  McuMeeting *m;
  GPtrArray *att;
  const McuAttendee *a;
  g_autofree gchar *got = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  m = g_ptr_array_index (list, 0);
  g_assert_cmpstr (
      mcu_meeting_get_id (m), ==, "4f1e2c3a-9b7d-4e21-8a0b-2c9d5e6f7a81");
  g_assert_cmpstr (mcu_meeting_get_subject (m), ==, "Weekly sync");
  g_assert_cmpstr (mcu_meeting_get_room (m), ==, "4242");
  g_assert_cmpstr (mcu_meeting_get_timezone (m), ==, "Europe/Berlin");
  g_assert_cmpint (mcu_meeting_get_duration (m), ==, 45 * G_TIME_SPAN_MINUTE);
  g_assert_cmpstr (mcu_meeting_get_rrule (m), ==, "FREQ=WEEKLY;BYDAY=MO");
  got = starts (m, 0, G_MAXINT64, 4);
  g_assert_cmpstr (got, ==,
      "2026-12-07T08:00:00Z 2026-12-14T08:00:00Z 2026-12-21T08:00:00Z "
      "2027-01-04T08:00:00Z");
  att = mcu_meeting_get_attendees (m);
  g_assert_cmpuint (att->len, ==, 3); /* not the mailto: one */
  a = g_ptr_array_index (att, 0);
  g_assert_cmpstr (a->uri, ==, "sip:alice@pbx.example.com");
  g_assert_cmpstr (a->display, ==, "Alice");
  g_assert_cmpint (a->role, ==, MCU_ATTENDEE_ROLE_MODERATOR);
  g_assert_true (a->auto_dial);
  a = g_ptr_array_index (att, 1);
  g_assert_cmpstr (a->uri, ==, "sip:bob@pbx.example.com");
  g_assert_cmpint (a->role, ==, MCU_ATTENDEE_ROLE_GUEST);
  a = g_ptr_array_index (att, 2);
  g_assert_cmpstr (a->uri, ==, "tel:+49301234567");
  g_assert_cmpstr (a->display, ==, "Desk phone");
}

static void
test_meeting_ical_outlook (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = mcu_meeting_list_from_ical (outlook_ics, &error);
  McuMeeting *m;
  const McuAttendee *a;
  g_autofree gchar *got = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  m = g_ptr_array_index (list, 0);
  g_assert_cmpuint (strlen (mcu_meeting_get_id (m)), <=, 64);
  g_assert_cmpstr (mcu_meeting_get_subject (m), ==, "Monthly review");
  g_assert_cmpstr (mcu_meeting_get_room (m), ==, "4243");
  g_assert_cmpstr (mcu_meeting_get_timezone (m), ==, "Europe/Berlin");
  g_assert_cmpint (mcu_meeting_get_duration (m), ==, 90 * G_TIME_SPAN_MINUTE);
  got = starts (m, 0, G_MAXINT64, 0);
  g_assert_cmpstr (got, ==,
      "2027-01-29T09:00:00Z 2027-02-26T09:00:00Z 2027-03-26T09:00:00Z "
      "2027-04-30T08:00:00Z 2027-05-28T08:00:00Z 2027-06-25T08:00:00Z");
  g_assert_cmpuint (mcu_meeting_get_attendees (m)->len, ==, 1);
  a = g_ptr_array_index (mcu_meeting_get_attendees (m), 0);
  g_assert_cmpstr (a->uri, ==, "SIP:4711@pbx.example.com");
  g_assert_cmpstr (a->display, ==, "Front desk");
  g_assert_cmpint (a->role, ==, MCU_ATTENDEE_ROLE_MODERATOR);
}

/* Google/Outlook send a changed or cancelled occurrence as a VEVENT with
 * the same UID and a RECURRENCE-ID. */
static void
test_meeting_ical_overrides (void)
{
  g_autoptr (GString) ics = g_string_new (thunderbird_ics);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autofree gchar *master = NULL, *moved = NULL;
  const gchar *extra = "BEGIN:VEVENT\r\n"
                       "UID:4f1e2c3a-9b7d-4e21-8a0b-2c9d5e6f7a81\r\n"
                       "RECURRENCE-ID;TZID=Europe/Berlin:20261214T090000\r\n"
                       "DTSTART;TZID=Europe/Berlin:20261215T140000\r\n"
                       "DTEND;TZID=Europe/Berlin:20261215T150000\r\n"
                       "SUMMARY:Weekly sync (moved)\r\n"
                       "LOCATION:4242\r\n"
                       "END:VEVENT\r\n"
                       "BEGIN:VEVENT\r\n"
                       "UID:4f1e2c3a-9b7d-4e21-8a0b-2c9d5e6f7a81\r\n"
                       "RECURRENCE-ID;TZID=Europe/Berlin:20261221T090000\r\n"
                       "DTSTART;TZID=Europe/Berlin:20261221T090000\r\n"
                       "DTEND;TZID=Europe/Berlin:20261221T094500\r\n"
                       "STATUS:CANCELLED\r\n"
                       "LOCATION:4242\r\n"
                       "END:VEVENT\r\n";

  /* the overrides before their master, as some servers order them */
  g_string_replace (
      ics, "BEGIN:VEVENT\r\nCREATED", "%%EXTRA%%BEGIN:VEVENT\r\nCREATED", 1);
  g_string_replace (ics, "%%EXTRA%%", extra, 1);
  list = mcu_meeting_list_from_ical (ics->str, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  master = starts (g_ptr_array_index (list, 0), 0, G_MAXINT64, 3);
  g_assert_cmpstr (master, ==,
      "2026-12-07T08:00:00Z 2027-01-04T08:00:00Z 2027-01-11T08:00:00Z");
  moved = starts (g_ptr_array_index (list, 1), 0, G_MAXINT64, 0);
  g_assert_cmpstr (moved, ==, "2026-12-15T13:00:00Z");
  g_assert_cmpstr (mcu_meeting_get_id (g_ptr_array_index (list, 1)), ==,
      "4f1e2c3a-9b7d-4e21-8a0b-2c9d5e6f7a81-20261214T080000Z");
  g_assert_cmpstr (mcu_meeting_get_subject (g_ptr_array_index (list, 1)), ==,
      "Weekly sync (moved)");
}

static void
test_meeting_ical_errors (void)
{
  static const struct
  {
    const gchar *replace; /* in thunderbird_ics */
    const gchar *with;
    gint code;
    const gchar *contains;
  } cases[] = {
    { "BEGIN:VCALENDAR", "BEGIN:VCARD", MCU_MEETING_ERROR_ICALENDAR,
        "not an iCalendar" },
    { "RRULE:FREQ=WEEKLY;BYDAY=MO", "RRULE:FREQ=WEEKLY;BYDAY=XX",
        MCU_MEETING_ERROR_INVALID, "RRULE: " },
    { "DTSTART;TZID=Europe/Berlin:", "DTSTART;TZID=Mars/Base:",
        MCU_MEETING_ERROR_INVALID, "DTSTART: " },
    { "DTEND;TZID=Europe/Berlin:20261207T094500",
        "DTEND;TZID=Europe/Berlin:20261207T090000", MCU_MEETING_ERROR_INVALID,
        "DTEND: " },
    { "LOCATION:4242\r\nDESCRIPTION:Dial sip:4242@mcu.example.com",
        "LOCATION:Room with a view\r\nDESCRIPTION:Dial",
        MCU_MEETING_ERROR_INVALID, "LOCATION: " },
    { "DTSTART;TZID=Europe/Berlin:20261207T090000",
        "DTSTART;VALUE=DATE:20261207", MCU_MEETING_ERROR_INVALID, "DTSTART: " },
    { "BEGIN:VEVENT", "BEGIN:VTODO", MCU_MEETING_ERROR_ICALENDAR,
        "no usable VEVENT" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_auto (GStrv) parts = g_strsplit (thunderbird_ics, cases[i].replace, -1);
    g_autofree gchar *ics = g_strjoinv (cases[i].with, parts);
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) list = NULL;

    if (g_str_has_prefix (cases[i].with, "BEGIN:VTODO")) {
      g_auto (GStrv) p2 = g_strsplit (ics, "END:VEVENT", -1);

      g_free (ics);
      ics = g_strjoinv ("END:VTODO", p2);
    }
    list = mcu_meeting_list_from_ical (ics, &error);
    g_test_message (
        "%s: %s", cases[i].with, error != NULL ? error->message : "(accepted)");
    g_assert_null (list);
    g_assert_error (error, MCU_MEETING_ERROR, cases[i].code);
    /* the property first */
    g_assert_true (g_str_has_prefix (error->message, cases[i].contains));
  }
  {
    g_autoptr (GError) error = NULL;

    g_assert_null (mcu_meeting_list_from_ical ("", &error));
    g_assert_error (error, MCU_MEETING_ERROR, MCU_MEETING_ERROR_ICALENDAR);
  }
}

/* Export, import: the same meetings, the same occurrences. */
static void
test_meeting_ical_round_trip (void)
{
  g_autoptr (McuMeeting) weekly = meeting_ok (full_json);
  g_autoptr (McuMeeting) tokyo = meeting_ok (
      "{\"subject\": \"Tokyo stand-up\", \"room\": \"tokyo\", "
      "\"start\": \"2026-03-23T09:00:00+09:00\", \"timezone\": "
      "\"Asia/Tokyo\", \"duration\": \"PT15M\", "
      "\"rrule\": \"FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20260630T000000Z\", "
      "\"rdate\": [\"2026-03-28T10:00:00+09:00\"]}");
  g_autoptr (McuMeeting) ny = meeting_ok (
      "{\"room\": \"4244\", \"start\": \"2026-01-30T10:00:00-05:00\", "
      "\"timezone\": \"America/New_York\", \"duration\": \"PT20S\", "
      "\"rrule\": \"FREQ=MONTHLY;BYDAY=-1FR;COUNT=12\"}");
  g_autoptr (McuMeeting) once =
      meeting_ok ("{\"room\": \"4245\", \"start\": \"2028-02-29T10:00:00Z\", "
                  "\"duration\": \"P1D\", \"rrule\": \"FREQ=YEARLY\"}");
  McuMeeting *meetings[] = { weekly, tokyo, ny, once };
  g_autofree gchar *ics = mcu_meeting_list_to_ical_with_host (
      meetings, G_N_ELEMENTS (meetings), "mcu.example.com");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) back = NULL;

  g_test_message ("%s", ics);
  g_assert_nonnull (strstr (ics, "PRODID:"));
  g_assert_nonnull (strstr (ics, "VERSION:2.0"));
  g_assert_nonnull (strstr (ics, "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin"));
  g_assert_nonnull (strstr (ics, "TZID:Asia/Tokyo"));
  g_assert_nonnull (strstr (ics, "TZID:America/New_York"));
  g_assert_nonnull (strstr (ics, "DTSTART;TZID=Europe/Berlin:20261207T090000"));
  g_assert_nonnull (strstr (ics, "LOCATION:sip:4242@mcu.example.com"));
  g_assert_nonnull (strstr (ics, "DURATION:PT45M"));
  g_assert_nonnull (strstr (ics, "RRULE:FREQ=WEEKLY;BYDAY=MO"));
  g_assert_nonnull (strstr (ics, "EXDATE;TZID=Europe/Berlin:20261228T090000"));
  g_assert_nonnull (strstr (ics, "UID:"));
  g_assert_nonnull (strstr (ics, "DTSTAMP:"));
  back = mcu_meeting_list_from_ical (ics, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->len, ==, G_N_ELEMENTS (meetings));
  for (guint i = 0; i < back->len; i++) {
    McuMeeting *m = g_ptr_array_index (back, i);
    g_autofree gchar *want = starts (meetings[i], 0, G_MAXINT64, 200);
    g_autofree gchar *got = starts (m, 0, G_MAXINT64, 200);
    GPtrArray *a1 = mcu_meeting_get_attendees (meetings[i]);
    GPtrArray *a2 = mcu_meeting_get_attendees (m);

    g_assert_cmpstr (got, ==, want);
    g_assert_cmpstr (
        mcu_meeting_get_id (m), ==, mcu_meeting_get_id (meetings[i]));
    g_assert_cmpstr (
        mcu_meeting_get_subject (m), ==, mcu_meeting_get_subject (meetings[i]));
    g_assert_cmpstr (
        mcu_meeting_get_room (m), ==, mcu_meeting_get_room (meetings[i]));
    g_assert_cmpstr (mcu_meeting_get_timezone (m), ==,
        mcu_meeting_get_timezone (meetings[i]));
    g_assert_cmpuint (a2->len, ==, a1->len);
    for (guint j = 0; j < a1->len; j++) {
      const McuAttendee *x = g_ptr_array_index (a1, j);
      const McuAttendee *y = g_ptr_array_index (a2, j);

      g_assert_cmpstr (y->id, ==, x->id);
      g_assert_cmpstr (y->uri, ==, x->uri);
      g_assert_cmpstr (y->display, ==, x->display);
      g_assert_cmpint (y->role, ==, x->role);
      g_assert_cmpint (y->auto_dial, ==, x->auto_dial);
    }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/meeting/expansion-table", test_meeting_expansion_table);
  g_test_add_func ("/meeting/window", test_meeting_window);
  g_test_add_func ("/meeting/next-none", test_meeting_next_none);
  g_test_add_func ("/meeting/defaults", test_meeting_defaults);
  g_test_add_func ("/meeting/json-round-trip", test_meeting_json_round_trip);
  g_test_add_func ("/meeting/invalid", test_meeting_invalid);
  g_test_add_func ("/meeting/not-an-object", test_meeting_not_an_object);
  g_test_add_func ("/meeting/end", test_meeting_end);
  g_test_add_func ("/meeting/attendees", test_meeting_attendees);
  g_test_add_func ("/meeting/patch", test_meeting_patch);
  g_test_add_func (
      "/meeting/cancel-occurrence", test_meeting_cancel_occurrence);
  g_test_add_func ("/meeting/conflicts", test_meeting_conflicts);
  g_test_add_func ("/meeting/duration-format", test_meeting_duration_format);
  g_test_add_func ("/meeting/ical/thunderbird", test_meeting_ical_thunderbird);
  g_test_add_func ("/meeting/ical/outlook", test_meeting_ical_outlook);
  g_test_add_func ("/meeting/ical/overrides", test_meeting_ical_overrides);
  g_test_add_func ("/meeting/ical/errors", test_meeting_ical_errors);
  g_test_add_func ("/meeting/ical/round-trip", test_meeting_ical_round_trip);
  return g_test_run ();
}
