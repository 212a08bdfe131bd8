/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the McuMeeting model: occurrences across DST and recurrence rules,
 * JSON validation naming the field, PATCH, cancel, conflicts, iCalendar
 * import (Thunderbird- and Outlook-like) and export round trip. */
#include "mcu-meeting.h"

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
  /* an unbounded rule stops at the internal cap */
  {
    g_autoptr (GArray) all = mcu_meeting_occurrences (m, 0, G_MAXINT64, 0);

    g_assert_cmpuint (all->len, ==, 10000);
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
    "\"layout\": \"speaker\", \"record\": true}";

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
  g_test_add_func ("/meeting/patch", test_meeting_patch);
  g_test_add_func (
      "/meeting/cancel-occurrence", test_meeting_cancel_occurrence);
  g_test_add_func ("/meeting/conflicts", test_meeting_conflicts);
  g_test_add_func ("/meeting/duration-format", test_meeting_duration_format);
  return g_test_run ();
}
