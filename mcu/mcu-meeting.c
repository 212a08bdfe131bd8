/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a scheduled meeting: the object, copy, getters, ISO 8601 durations
 * and IANA zones. The JSON form (the field table) is in
 * mcu-meeting-json.c, occurrences, cancel and conflicts in
 * mcu-meeting-recur.c, iCalendar in mcu-meeting-ical.c.
 *
 * Times are kept as UTC microseconds; the meeting's IANA zone (GTimeZone)
 * gives the wall-clock time the recurrence is evaluated in and the offset
 * shown in JSON. Main thread only. */
#include "mcu-meeting-private.h"

#include <libical/ical.h>
#include <string.h>

G_DEFINE_QUARK (mcu - meeting - error - quark, mcu_meeting_error)

G_DEFINE_TYPE (McuMeeting, mcu_meeting, G_TYPE_OBJECT)

McuAttendee *
mcu_attendee_copy (const McuAttendee *attendee)
{
  McuAttendee *copy;

  g_return_val_if_fail (attendee != NULL, NULL);
  copy = g_new0 (McuAttendee, 1);
  copy->id = g_strdup (attendee->id);
  copy->uri = g_strdup (attendee->uri);
  copy->display = g_strdup (attendee->display);
  copy->role = attendee->role;
  copy->auto_dial = attendee->auto_dial;
  return copy;
}

void
mcu_attendee_free (McuAttendee *attendee)
{
  if (attendee == NULL)
    return;
  g_free (attendee->id);
  g_free (attendee->uri);
  g_free (attendee->display);
  g_free (attendee);
}

static void
mcu_meeting_finalize (GObject *object)
{
  McuMeeting *self = MCU_MEETING (object);

  g_free (self->id);
  g_free (self->subject);
  g_free (self->room);
  g_free (self->timezone);
  g_clear_pointer (&self->tz, g_time_zone_unref);
  g_free (self->rrule);
  g_clear_pointer (&self->exdates, g_array_unref);
  g_clear_pointer (&self->rdates, g_array_unref);
  g_clear_pointer (&self->attendees, g_ptr_array_unref);
  g_free (self->pin);
  g_free (self->moderator_pin);
  g_clear_pointer (&self->warnings, g_array_unref);
  g_free (self->layout);
  G_OBJECT_CLASS (mcu_meeting_parent_class)->finalize (object);
}

static void
mcu_meeting_class_init (McuMeetingClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mcu_meeting_finalize;
}

static void
mcu_meeting_init (McuMeeting *self)
{
  self->exdates = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->rdates = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->attendees =
      g_ptr_array_new_with_free_func ((GDestroyNotify)mcu_attendee_free);
  self->warnings = g_array_new (FALSE, FALSE, sizeof (gint64));
}

/* --- durations, times, zones --------------------------------------- */

static gboolean
take_number (const gchar **p, gint64 *n)
{
  gint64 v = 0;

  if (!g_ascii_isdigit (**p))
    return FALSE;
  while (g_ascii_isdigit (**p)) {
    v = v * 10 + (**p - '0');
    if (v > 100000000)
      return FALSE;
    (*p)++;
  }
  *n = v;
  return TRUE;
}

gboolean
mcu_meeting_duration_parse (const gchar *text, gint64 *out, GError **error)
{
  /* P[nW][nD][T[nH][nM][nS]], upper case as RFC 5545 writes it */
  static const struct
  {
    gchar unit;
    gboolean time;
    gint64 us;
  } units[] = {
    { 'W', FALSE, G_TIME_SPAN_DAY * 7 },
    { 'D', FALSE, G_TIME_SPAN_DAY },
    { 'H', TRUE, G_TIME_SPAN_HOUR },
    { 'M', TRUE, G_TIME_SPAN_MINUTE },
    { 'S', TRUE, G_TIME_SPAN_SECOND },
  };
  const gchar *p = text;
  gint64 total = 0;
  guint next = 0, parts = 0;
  gboolean in_time = FALSE;

  if (p == NULL || *p++ != 'P')
    goto bad;
  while (*p != '\0') {
    gint64 n;
    guint i;

    if (*p == 'T' && !in_time) {
      in_time = TRUE;
      p++;
      if (*p == '\0')
        goto bad;
      continue;
    }
    if (!take_number (&p, &n))
      goto bad;
    for (i = next; i < G_N_ELEMENTS (units); i++)
      if (units[i].unit == *p && units[i].time == in_time)
        break;
    if (i == G_N_ELEMENTS (units))
      goto bad;
    total += n * units[i].us;
    if (total > MCU_MEETING_MAX_DURATION * 12) {
      g_set_error (error, MCU_MEETING_ERROR, MCU_MEETING_ERROR_INVALID,
          "\"%s\" is too long", text);
      return FALSE;
    }
    next = i + 1;
    parts++;
    p++;
  }
  if (parts == 0)
    goto bad;
  *out = total;
  return TRUE;

bad:
  g_set_error (error, MCU_MEETING_ERROR, MCU_MEETING_ERROR_INVALID,
      "\"%s\" is not an ISO 8601 duration such as PT45M, PT1H30M or P1D",
      text != NULL ? text : "");
  return FALSE;
}

gchar *
mcu_meeting_duration_format (gint64 us)
{
  GString *s = g_string_new ("P");
  gint64 secs = us / G_TIME_SPAN_SECOND;
  gint64 days = secs / 86400, h = secs % 86400 / 3600, m = secs % 3600 / 60;
  gint64 sec = secs % 60;

  if (days > 0)
    g_string_append_printf (s, "%" G_GINT64_FORMAT "D", days);
  if (h > 0 || m > 0 || sec > 0 || days == 0) {
    g_string_append_c (s, 'T');
    if (h > 0)
      g_string_append_printf (s, "%" G_GINT64_FORMAT "H", h);
    if (m > 0)
      g_string_append_printf (s, "%" G_GINT64_FORMAT "M", m);
    if (sec > 0 || (h == 0 && m == 0))
      g_string_append_printf (s, "%" G_GINT64_FORMAT "S", sec);
  }
  return g_string_free (s, FALSE);
}

gboolean
mcu_meeting_timezone_is_valid (const gchar *name)
{
  g_autoptr (GTimeZone) tz = NULL;
  const gchar *p;

  if (name == NULL || *name == '\0' || strlen (name) > 64)
    return FALSE;
  /* letters first, then letters, digits, _ + - and single '/' between
   * parts: never a path ("..", leading '/') or an offset ("+01:00") */
  if (!g_ascii_isalpha (name[0]))
    return FALSE;
  for (p = name; *p != '\0'; p++) {
    if (g_ascii_isalnum (*p) || *p == '_' || *p == '-' || *p == '+')
      continue;
    if (*p == '/' && p[1] != '\0' && p[1] != '/' && p[1] != '.')
      continue;
    return FALSE;
  }
  if (g_strcmp0 (name, "UTC") == 0)
    return TRUE;
  tz = g_time_zone_new_identifier (name);
  if (tz == NULL)
    return FALSE;
  return icaltimezone_get_builtin_timezone (name) != NULL;
}

gchar *
mcu_meeting_format_time (McuMeeting *self, gint64 us)
{
  g_autoptr (GDateTime) utc =
      g_date_time_new_from_unix_utc (us / G_TIME_SPAN_SECOND);
  g_autoptr (GDateTime) local = NULL;

  if (utc == NULL)
    return g_strdup ("");
  local = g_date_time_to_timezone (utc, self->tz);
  return g_date_time_format (local, "%Y-%m-%dT%H:%M:%S%:z");
}

/* RFC 3339 with an offset (Z or +hh:mm), whole seconds:
 * "2026-12-07T09:00:00+01:00". */
McuMeeting *
mcu_meeting_copy (McuMeeting *self)
{
  McuMeeting *copy;

  g_return_val_if_fail (MCU_IS_MEETING (self), NULL);
  copy = g_object_new (MCU_TYPE_MEETING, NULL);
  copy->id = g_strdup (self->id);
  copy->subject = g_strdup (self->subject);
  copy->room = g_strdup (self->room);
  copy->timezone = g_strdup (self->timezone);
  copy->tz = g_time_zone_ref (self->tz);
  copy->start = self->start;
  copy->duration = self->duration;
  copy->rrule = g_strdup (self->rrule);
  g_array_append_vals (copy->exdates, self->exdates->data, self->exdates->len);
  g_array_append_vals (copy->rdates, self->rdates->data, self->rdates->len);
  for (guint i = 0; i < self->attendees->len; i++)
    g_ptr_array_add (copy->attendees,
        mcu_attendee_copy (g_ptr_array_index (self->attendees, i)));
  copy->pin = g_strdup (self->pin);
  copy->moderator_pin = g_strdup (self->moderator_pin);
  copy->early_join = self->early_join;
  copy->grace = self->grace;
  g_array_append_vals (
      copy->warnings, self->warnings->data, self->warnings->len);
  copy->dial_retries = self->dial_retries;
  copy->dial_retry_interval = self->dial_retry_interval;
  copy->max_participants = self->max_participants;
  copy->layout = g_strdup (self->layout);
  copy->record = self->record;
  copy->room_options = self->room_options;
  return copy;
}

/* --- getters --------------------------------------------------------- */

const gchar *
mcu_meeting_get_id (McuMeeting *self)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), NULL);
  return self->id;
}

const gchar *
mcu_meeting_get_subject (McuMeeting *self)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), NULL);
  return self->subject;
}

const gchar *
mcu_meeting_get_room (McuMeeting *self)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), NULL);
  return self->room;
}

const gchar *
mcu_meeting_get_timezone (McuMeeting *self)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), NULL);
  return self->timezone;
}

gint64
mcu_meeting_get_start (McuMeeting *self)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), 0);
  return self->start;
}

gint64
mcu_meeting_get_duration (McuMeeting *self)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), 0);
  return self->duration;
}

const gchar *
mcu_meeting_get_rrule (McuMeeting *self)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), NULL);
  return self->rrule;
}

const gint64 *
mcu_meeting_get_exdates (McuMeeting *self, guint *n)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), NULL);
  *n = self->exdates->len;
  return (const gint64 *)self->exdates->data;
}

const gint64 *
mcu_meeting_get_rdates (McuMeeting *self, guint *n)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), NULL);
  *n = self->rdates->len;
  return (const gint64 *)self->rdates->data;
}

GPtrArray *
mcu_meeting_get_attendees (McuMeeting *self)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), NULL);
  return self->attendees;
}

const McuAttendee *
mcu_meeting_find_attendee (McuMeeting *self, const gchar *id)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), NULL);
  for (guint i = 0; i < self->attendees->len; i++) {
    const McuAttendee *a = g_ptr_array_index (self->attendees, i);

    if (g_strcmp0 (a->id, id) == 0)
      return a;
  }
  return NULL;
}

const gchar *
mcu_meeting_get_pin (McuMeeting *self)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), NULL);
  return self->pin;
}

guint
mcu_meeting_get_room_options (McuMeeting *self)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), 0);
  return self->room_options;
}

const gchar *
mcu_meeting_get_moderator_pin (McuMeeting *self)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), NULL);
  return self->moderator_pin;
}

gint64
mcu_meeting_get_early_join (McuMeeting *self)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), 0);
  return self->early_join;
}

gint64
mcu_meeting_get_grace (McuMeeting *self)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), 0);
  return self->grace;
}

const gint64 *
mcu_meeting_get_warnings (McuMeeting *self, guint *n)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), NULL);
  *n = self->warnings->len;
  return (const gint64 *)self->warnings->data;
}

guint
mcu_meeting_get_dial_retries (McuMeeting *self)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), 0);
  return self->dial_retries;
}

gint64
mcu_meeting_get_dial_retry_interval (McuMeeting *self)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), 0);
  return self->dial_retry_interval;
}

guint
mcu_meeting_get_max_participants (McuMeeting *self)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), 0);
  return self->max_participants;
}

const gchar *
mcu_meeting_get_layout (McuMeeting *self)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), NULL);
  return self->layout;
}

gboolean
mcu_meeting_get_record (McuMeeting *self)
{
  g_return_val_if_fail (MCU_IS_MEETING (self), FALSE);
  return self->record;
}
