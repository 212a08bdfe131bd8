/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: what mcu-meeting.c shares with mcu-meeting-ical.c (ISO 8601
 * durations, RFC 3339 times, IANA zone names). Not installed. */
#pragma once

#include "mcu-meeting.h"

G_BEGIN_DECLS

/* Shared by mcu-meeting.c (JSON, getters) and mcu-meeting-recur.c
 * (occurrences); nothing else looks inside. */
struct _McuMeeting
{
  GObject parent_instance;

  gchar *id;
  gchar *subject;
  gchar *room;
  gchar *timezone;      /* IANA name */
  GTimeZone *tz;        /* the same zone */
  gint64 start;         /* DTSTART, UTC microseconds */
  gint64 duration;      /* microseconds, > 0 */
  gchar *rrule;         /* (nullable) without "RRULE:" */
  GArray *exdates;      /* gint64 UTC microseconds, sorted, unique */
  GArray *rdates;       /* likewise */
  GPtrArray *attendees; /* McuAttendee */
  gchar *pin;           /* (nullable) digits */
  gchar *moderator_pin; /* (nullable) digits */
  gint64 early_join;
  gint64 grace;
  GArray *warnings; /* gint64 microseconds before the end, largest first */
  guint dial_retries;
  gint64 dial_retry_interval;
  guint max_participants;
  gchar *layout; /* (nullable) "auto", "grid", "speaker" */
  gboolean record;
};

/* Checks the recurrence (RRULE against start and zone, UNTIL, at least
 * one occurrence, occurrences that do not overlap each other) once every
 * field is set; the error names the field ("rrule: ..."). */
gboolean mcu_meeting_recur_check (McuMeeting *self, GError **error);

/* Longest duration a meeting (or a window) may have: 31 days. */
#define MCU_MEETING_MAX_DURATION (G_GINT64_CONSTANT (31) * G_TIME_SPAN_DAY)

/* "PT45M", "PT1H30M", "PT20S", "P1D", "P1W" -> microseconds (>= 0).
 * Months and years are refused (not a fixed length). */
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

G_END_DECLS
