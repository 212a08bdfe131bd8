/* SPDX-License-Identifier: LGPL-2.1-or-later
 * libFuzzer target for the meeting iCalendar import (mcu-meeting-ical.c,
 * through the JSON validation and the occurrence expansion): whatever
 * imports must export and import again to the same meetings with the same
 * first occurrences. Any GLib warning or critical aborts. */
#include "mcu-meeting.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_always_fatal (
      G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

static void
check_same (McuMeeting *a, McuMeeting *b, const gchar *ics)
{
  g_autoptr (GArray) oa = mcu_meeting_occurrences (a, 0, G_MAXINT64, 20);
  g_autoptr (GArray) ob = mcu_meeting_occurrences (b, 0, G_MAXINT64, 20);

  if (g_strcmp0 (mcu_meeting_get_id (a), mcu_meeting_get_id (b)) != 0 ||
      g_strcmp0 (mcu_meeting_get_room (a), mcu_meeting_get_room (b)) != 0 ||
      oa->len != ob->len ||
      memcmp (oa->data, ob->data, oa->len * sizeof (McuOccurrence)) != 0)
    g_error (
        "export/import changed meeting %s:\n%s", mcu_meeting_get_id (a), ics);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree gchar *text = g_strndup ((const gchar *)data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GPtrArray) again = NULL;
  g_autofree gchar *ics = NULL;

  list = mcu_meeting_list_from_ical (text, &error);
  if (list == NULL) {
    g_assert (error != NULL && error->domain == MCU_MEETING_ERROR);
    return 0;
  }
  ics = mcu_meeting_list_to_ical_with_host (
      (McuMeeting *const *)list->pdata, list->len, "mcu.example.com");
  again = mcu_meeting_list_from_ical (ics, &error);
  if (again == NULL || again->len != list->len)
    g_error ("the export does not import: %s\n%s",
        error != NULL ? error->message : "count differs", ics);
  for (guint i = 0; i < list->len; i++)
    check_same (g_ptr_array_index (list, i), g_ptr_array_index (again, i), ics);
  return 0;
}
