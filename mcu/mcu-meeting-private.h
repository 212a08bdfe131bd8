/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the inside of a McuMeeting, shared by its files (mcu-meeting.c,
 * -json.c, -recur.c, -ical.c) and nothing else. */
#pragma once

#include "mcu-meeting.h"

G_BEGIN_DECLS

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
  guint room_options; /* McuRoomOptions: the room's role rules */
};

/* Checks the recurrence (RRULE against start and zone, UNTIL, at least
 * one occurrence, occurrences that do not overlap each other) once every
 * field is set; the error names the field ("rrule: ..."). */
gboolean mcu_meeting_recur_check (McuMeeting *self, GError **error);

G_END_DECLS
