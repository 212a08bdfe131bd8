/* SPDX-License-Identifier: LGPL-2.1-or-later
 * TEMPORARY (branch fix-scheduler only): stands in for mcu-meeting-ical.c
 * until the model's iCalendar stage is merged; delete it then. */
#include "mcu-meeting.h"

GPtrArray *
mcu_meeting_list_from_ical (const gchar *ics, GError **error)
{
  g_set_error (error, MCU_MEETING_ERROR, MCU_MEETING_ERROR_ICALENDAR,
      "iCalendar import is not built in yet");
  return NULL;
}

gchar *
mcu_meeting_list_to_ical (McuMeeting *const *meetings, guint n)
{
  return g_strdup ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n");
}
