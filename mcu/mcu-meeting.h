/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a scheduled meeting (issue 10): what was booked (subject, room,
 * start and time zone, duration, RFC 5545 recurrence, attendees, PINs,
 * windows, warnings, retries, limits) and the occurrences it expands to.
 * Occurrences come from libical (RRULE/EXDATE/RDATE) evaluated in the
 * meeting's IANA time zone, so a 09:00 Europe/Berlin weekly meeting is at
 * 07:00 UTC in summer and 08:00 UTC in winter.
 *
 * A McuMeeting is a plain value object: no main loop, no store, no SIP.
 * It is parsed from and written to JSON (the control API, the store) and
 * iCalendar (import/export, mcu-meeting-ical.c). The runtime (opening the
 * room, dialling, warnings, extend, close) is McuScheduler's
 * (mcu-scheduler.h). Main thread only; nothing here blocks. */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define MCU_MEETING_ERROR (mcu_meeting_error_quark ())
GQuark mcu_meeting_error_quark (void);

typedef enum
{
  /* a field is missing, of the wrong type, or out of range; the message
   * names the field (JSON member or iCalendar property) first:
   * "start: not an RFC 3339 date-time with offset" */
  MCU_MEETING_ERROR_INVALID,
  /* an iCalendar body that does not parse, or has no usable VEVENT */
  MCU_MEETING_ERROR_ICALENDAR,
} McuMeetingErrorCode;

typedef enum
{
  MCU_ATTENDEE_ROLE_GUEST,
  MCU_ATTENDEE_ROLE_MODERATOR,
} McuAttendeeRole;

/* One invited person. @uri is a sip:/sips:/tel: URI or the name of a
 * registered user (what mcu_daemon_dial () takes). */
typedef struct
{
  gchar *id; /* stable within the meeting: "a1", "a2", ... */
  gchar *uri;
  gchar *display; /* (nullable) */
  McuAttendeeRole role;
  gboolean auto_dial;
} McuAttendee;

McuAttendee *mcu_attendee_copy (const McuAttendee *attendee);
void mcu_attendee_free (McuAttendee *attendee);
/* {"id", "uri", "display", "role", "auto_dial"} as in a meeting's
 * "attendees". (transfer full) */
JsonNode *mcu_attendee_to_json (const McuAttendee *attendee);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuAttendee, mcu_attendee_free)

/* One occurrence: [start, end) in UTC microseconds since the epoch.
 * @start is also the occurrence's id (RECURRENCE-ID). */
typedef struct
{
  gint64 start;
  gint64 end;
} McuOccurrence;

#define MCU_TYPE_MEETING (mcu_meeting_get_type ())
G_DECLARE_FINAL_TYPE (McuMeeting, mcu_meeting, MCU, MEETING, GObject)

/* Parses and validates a meeting object of the control API:
 *   { "subject": "Weekly sync", "room": "4242",
 *     "start": "2026-12-07T09:00:00+01:00", "timezone": "Europe/Berlin",
 *     "duration": "PT45M",        (or "end": an RFC 3339 date-time, input only)
 *     "rrule": "FREQ=WEEKLY;BYDAY=MO",          (optional)
 *     "exdate": ["2026-12-28T09:00:00+01:00"],  (optional)
 *     "rdate": [...],                           (optional)
 *     "attendees": [ { "uri": "alice", "display": "Alice",
 *                      "role": "moderator", "auto_dial": true }, ... ],
 *     "pin": "1234", "moderator_pin": "9999",   (optional)
 *     "early_join": "PT5M", "grace": "PT2M",    (defaults)
 *     "warnings": ["PT5M", "PT1M"],             (default)
 *     "dial_retries": 3, "dial_retry_interval": "PT60S",
 *     "max_participants": 0, "layout": "grid", "record": false,
 *     "wait_for_moderator": false, "end_when_moderator_leaves": false,
 *     "mute_guests": false, "announce_alone": false,
 *     "announce_join_leave": false }                (the room's rules)
 * Durations are ISO 8601 (PT45M, PT1H30M, PT20S). Unknown members, a bad
 * RRULE, an unknown time zone, a duration of zero, an UNTIL before the
 * start: MCU_MEETING_ERROR_INVALID naming the field. @id: (nullable) the
 * id to give it (NULL: a new random one). (transfer full) */
McuMeeting *mcu_meeting_new_from_json (
    JsonNode *node, const gchar *id, GError **error);
/* Applies a PATCH (the same members, all optional) to a copy of @self;
 * @self is unchanged on error. (transfer full) */
McuMeeting *mcu_meeting_patch (
    McuMeeting *self, JsonNode *patch, GError **error);
/* The meeting as the control API shows it and the store keeps it: the
 * members above plus "id" (round-trips through mcu_meeting_new_from_json).
 * (transfer full) */
JsonNode *mcu_meeting_to_json (McuMeeting *self);
/* A deep copy (same id). (transfer full) */
McuMeeting *mcu_meeting_copy (McuMeeting *self);

const gchar *mcu_meeting_get_id (McuMeeting *self);
const gchar *mcu_meeting_get_subject (McuMeeting *self);
const gchar *mcu_meeting_get_room (McuMeeting *self);
/* IANA name, e.g. "Europe/Berlin" */
const gchar *mcu_meeting_get_timezone (McuMeeting *self);
/* DTSTART (UTC microseconds): the first occurrence of the RRULE (a start
 * that the RRULE does not produce is refused); an RDATE may come earlier
 * and an EXDATE may remove it. */
gint64 mcu_meeting_get_start (McuMeeting *self);
/* Microseconds. */
gint64 mcu_meeting_get_duration (McuMeeting *self);
/* (nullable) the RRULE value, without "RRULE:" */
const gchar *mcu_meeting_get_rrule (McuMeeting *self);
/* EXDATEs and RDATEs: UTC microseconds, sorted. (transfer none) */
const gint64 *mcu_meeting_get_exdates (McuMeeting *self, guint *n);
const gint64 *mcu_meeting_get_rdates (McuMeeting *self, guint *n);
/* (element-type McuAttendee) (transfer none) */
GPtrArray *mcu_meeting_get_attendees (McuMeeting *self);
/* (nullable) */
const McuAttendee *mcu_meeting_find_attendee (
    McuMeeting *self, const gchar *id);
/* Adds one attendee from an object like an element of "attendees"; it
 * gets "aN" past the highest in use unless it names its own "id". NULL with
 * MCU_MEETING_ERROR_INVALID naming the member ("uri: ..."). (transfer
 * none) */
const McuAttendee *mcu_meeting_add_attendee (
    McuMeeting *self, JsonNode *attendee, GError **error);
/* FALSE when there is no attendee @id. */
gboolean mcu_meeting_remove_attendee (McuMeeting *self, const gchar *id);
/* (nullable) */
const gchar *mcu_meeting_get_pin (McuMeeting *self);
/* (nullable) */
const gchar *mcu_meeting_get_moderator_pin (McuMeeting *self);
/* McuRoomOptions for the meeting's room. */
guint mcu_meeting_get_room_options (McuMeeting *self);
gint64 mcu_meeting_get_early_join (McuMeeting *self); /* microseconds */
gint64 mcu_meeting_get_grace (McuMeeting *self);      /* microseconds */
/* Microseconds before the end, largest first. (transfer none) */
const gint64 *mcu_meeting_get_warnings (McuMeeting *self, guint *n);
guint mcu_meeting_get_dial_retries (McuMeeting *self);
gint64 mcu_meeting_get_dial_retry_interval (McuMeeting *self);
guint mcu_meeting_get_max_participants (McuMeeting *self);
/* (nullable) */
const gchar *mcu_meeting_get_layout (McuMeeting *self);
gboolean mcu_meeting_get_record (McuMeeting *self);

/* Occurrences whose [start, end) intersects [@from, @to), in order,
 * EXDATEs removed and RDATEs added, at most @max (0: no limit beyond an
 * internal cap of 10,000), none more than 100 years after the start.
 * (element-type McuOccurrence) (transfer full) */
GArray *mcu_meeting_occurrences (
    McuMeeting *self, gint64 from, gint64 to, guint max);
/* The first occurrence that ends after @now (the running one, or the next
 * one); FALSE when there is none. */
gboolean mcu_meeting_next_occurrence (
    McuMeeting *self, gint64 now, McuOccurrence *out);
/* Cancels the one occurrence starting at @start (adds an EXDATE); FALSE
 * when no occurrence starts there. */
gboolean mcu_meeting_cancel_occurrence (McuMeeting *self, gint64 start);
/* TRUE when @a and @b book the same room at overlapping times (including
 * the early-join window and grace of each) within [@from, @to); @clash
 * gets the first clashing occurrence of @b. Meetings with the same id (a
 * PATCHed copy and its original) never conflict. The cost grows with the
 * occurrences in the range (about 2 us each: 47 ms for two weekly meetings
 * over the whole 10,000-occurrence cap), so pass a bounded range. */
gboolean mcu_meeting_conflicts (
    McuMeeting *a, McuMeeting *b, gint64 from, gint64 to, McuOccurrence *clash);

/* TRUE when @self holds its room at some time in [@from, @to): an
 * occurrence with its early-join window and grace intersects it; @clash
 * gets the first such occurrence. For extend: is any other meeting of the
 * room busy between the end and the new end plus grace? */
gboolean mcu_meeting_busy (
    McuMeeting *self, gint64 from, gint64 to, McuOccurrence *clash);

/* Longest duration a meeting (or a window) may have: 31 days. */
#define MCU_MEETING_MAX_DURATION (G_GINT64_CONSTANT (31) * G_TIME_SPAN_DAY)

/* "PT45M", "PT1H30M", "PT20S", "P1D", "P1W" -> microseconds (>= 0).
 * Months and years are refused (not a fixed length); the error's message
 * does not name a field (the caller prefixes it: "by: ..."). */
gboolean mcu_meeting_duration_parse (
    const gchar *text, gint64 *out, GError **error);
/* The shortest ISO 8601 form: "PT45M", "PT1H30M", "P1D", "PT0S". */
gchar *mcu_meeting_duration_format (gint64 us);
/* An IANA zone name both GLib and libical know ("Europe/Berlin", "UTC");
 * anything that is not a plain zone name (a path, "+01:00", a POSIX TZ
 * string) is refused. */
gboolean mcu_meeting_timezone_is_valid (const gchar *name);
/* @us as RFC 3339 in the meeting's zone: "2026-12-07T09:00:00+01:00". */
gchar *mcu_meeting_format_time (McuMeeting *self, gint64 us);

/* iCalendar (mcu-meeting-ical.c). Import: every VEVENT of @ics (room from
 * LOCATION, or a sip: URL in LOCATION/URL/DESCRIPTION; attendees from
 * ATTENDEE with sip:/tel: values, ROLE=CHAIR is a moderator; DTSTART with
 * TZID and the VTIMEZONE, DURATION or DTEND, RRULE/EXDATE/RDATE).
 * (element-type McuMeeting) (transfer full) */
GPtrArray *mcu_meeting_list_from_ical (const gchar *ics, GError **error);
/* Export: one VCALENDAR with a VTIMEZONE per zone used and one VEVENT per
 * meeting (UID = id@mcu), importable by Thunderbird, Outlook and Google.
 * (transfer full) */
gchar *mcu_meeting_list_to_ical (McuMeeting *const *meetings, guint n);
/* The same with @host (nullable), the server's SIP domain: LOCATION and
 * URL become sip:ROOM@host and a registered user's ATTENDEE
 * sip:USER@host (without @host: LOCATION is the bare room name). */
gchar *mcu_meeting_list_to_ical_with_host (
    McuMeeting *const *meetings, guint n, const gchar *host);

G_END_DECLS
