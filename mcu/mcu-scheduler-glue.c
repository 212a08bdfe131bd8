/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the scheduler wired to the daemon: its McuSchedulerOps open and
 * close rooms, dial through the dialer (From: the meeting's subject), look
 * for attendees in the room, emit events and chat lines; the dialer's
 * outcomes go back to the scheduler; calls to a scheduled room are gated
 * (480 with Retry-After before the early-join window). Main thread only. */
#include "mcu-scheduler-glue.h"
#include "mcu-dialer.h"
#include "mcu-chat.h"
#include "mcu-events.h"
#include "mcu-farewell.h"
#include "mcu-recordings.h"
#include "mcu-prompts.h"

#include <string.h>

static McuDaemon *
daemon_of (gpointer data)
{
  return MCU_DAEMON (data);
}

/* "record": true: recorded from the room's first caller on (unless it is
 * recorded already: a restart, or someone started it by hand). */
static void
start_recording (gpointer data, McuRoom *room)
{
  McuRecordings *recordings = mcu_daemon_get_recordings (daemon_of (data));
  g_autoptr (GError) error = NULL;
  g_autofree gchar *id = mcu_recordings_start (recordings, room, &error);

  if (id == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    g_warning ("meeting room %s: no recording: %s", mcu_room_get_name (room),
        error->message);
}

static gboolean
glue_open_room (gpointer data, McuMeeting *meeting, GError **error)
{
  McuRoomDirectory *rooms = mcu_daemon_get_rooms (daemon_of (data));
  const gchar *name = mcu_meeting_get_room (meeting);
  const gchar *layout = mcu_meeting_get_layout (meeting);
  McuRoom *room = mcu_room_directory_lookup (rooms, name);
  McuRoomSettings settings = {
    .max_participants = mcu_meeting_get_max_participants (meeting),
    .layout = layout && mcu_room_layout_is_valid (layout) ? layout : NULL,
    .pin = mcu_meeting_get_pin (meeting),
    .self_view = TRUE,
    .options = mcu_meeting_get_room_options (meeting),
  };

  if (room == NULL || mcu_room_get_state (room) != MCU_ROOM_STATE_OPEN) {
    room = mcu_room_directory_create (rooms, name, &settings, error);
    if (room == NULL)
      return FALSE;
  } else {
    /* open already (people came early, or a restart): the meeting's
     * settings now */
    mcu_room_set_persistent (room, TRUE);
    mcu_room_set_pin (room, settings.pin);
    mcu_room_set_max_participants (room, settings.max_participants);
    if (settings.layout)
      mcu_room_set_layout (room, settings.layout);
    mcu_room_set_options (room, settings.options);
  }
  mcu_room_set_moderator_pin (room, mcu_meeting_get_moderator_pin (meeting));
  if (mcu_meeting_get_record (meeting))
    start_recording (data, room);
  return TRUE;
}

static void
glue_close_room (gpointer data, const gchar *name)
{
  McuRoom *room =
      mcu_room_directory_lookup (mcu_daemon_get_rooms (daemon_of (data)), name);

  /* the meeting ends by voice, then everyone gets BYE */
  if (room)
    mcu_farewell_close_room (daemon_of (data), room, "meeting-ended");
}

static gchar *
glue_dial (gpointer data, McuMeeting *meeting, const McuAttendee *attendee,
    GError **error)
{
  McuDialOptions options = {
    .display = attendee->display,
    .from_display = mcu_meeting_get_subject (meeting),
    .dtmf = attendee->dtmf,
    .dtmf_delay_ms = MCU_DIAL_DTMF_DELAY_MS,
    .role = attendee->role == MCU_ATTENDEE_ROLE_MODERATOR
                ? MCU_PARTICIPANT_ROLE_MODERATOR
                : MCU_PARTICIPANT_ROLE_GUEST,
  };

  return mcu_dialer_dial_with (mcu_daemon_get_dialer (daemon_of (data)),
      mcu_meeting_get_room (meeting), attendee->uri, &options, error);
}

static void
glue_cancel_dial (gpointer data, const gchar *dial_id)
{
  mcu_dialer_cancel (mcu_daemon_get_dialer (daemon_of (data)), dial_id);
}

/* "sip:user@host:port;params", "user@host" or "user": the user and the
 * host (either may come back NULL). */
static void
split_uri (const gchar *uri, gchar **user, gchar **host)
{
  const gchar *p = uri;
  const gchar *at;
  gsize n;

  if (g_str_has_prefix (p, "sip:"))
    p += 4;
  else if (g_str_has_prefix (p, "sips:"))
    p += 5;
  else if (g_str_has_prefix (p, "tel:"))
    p += 4;
  at = strchr (p, '@');
  *user = at ? g_strndup (p, at - p) : NULL;
  if (at)
    p = at + 1;
  n = strcspn (p, ":;>?");
  *host = n ? g_strndup (p, n) : NULL;
  if (at == NULL && !g_str_has_prefix (uri, "sip")) {
    /* a bare name: a user */
    *user = *host;
    *host = NULL;
  }
}

/* An attendee's URI matches a participant's: same user (and same host
 * when the attendee names one; no user: same host). */
static gboolean
uri_matches (const gchar *attendee, const gchar *participant)
{
  g_autofree gchar *au = NULL, *ah = NULL, *pu = NULL, *ph = NULL;

  if (participant == NULL)
    return FALSE;
  split_uri (attendee, &au, &ah);
  split_uri (participant, &pu, &ph);
  if (au)
    return g_strcmp0 (au, pu) == 0 &&
           (ah == NULL || (ph && g_ascii_strcasecmp (ah, ph) == 0));
  return ah && ph && g_ascii_strcasecmp (ah, ph) == 0;
}

static gboolean
glue_in_room (gpointer data, const gchar *name, const gchar *uri)
{
  McuRoom *room =
      mcu_room_directory_lookup (mcu_daemon_get_rooms (daemon_of (data)), name);
  g_autoptr (GList) participants =
      room ? mcu_room_list_participants (room) : NULL;

  for (GList *l = participants; l; l = l->next)
    if (uri_matches (uri, mcu_participant_get_uri (l->data)))
      return TRUE;
  return FALSE;
}

/* The end-of-meeting warning by voice: ends-in-10/5/1-minute(s), the
 * largest not above what is left. */
static void
say_meeting_ending (McuDaemon *daemon, McuRoom *room, const gchar *fields)
{
  const gchar *at = strstr (fields, "\"minutes_left\":");
  McuAudioMix *mix = mcu_room_media_registry_get_audio_mix (
      mcu_daemon_get_room_media (daemon), room);
  g_autofree gchar *file = NULL;
  guint64 minutes;
  const gchar *name;

  if (at == NULL || mix == NULL)
    return;
  minutes = g_ascii_strtoull (at + strlen ("\"minutes_left\":"), NULL, 10);
  name = minutes >= 10  ? "ends-in-10-minutes"
         : minutes >= 5 ? "ends-in-5-minutes"
                        : "ends-in-1-minute";
  file = mcu_prompts_path (mcu_daemon_get_config (daemon), room, name);
  if (file && mcu_audio_mix_get_n_sessions (mix) > 0) {
    const gchar *files[] = { file, NULL };

    mcu_audio_mix_announce (mix, files, NULL);
  }
}

static void
glue_event (
    gpointer data, const gchar *type, const gchar *name, const gchar *fields)
{
  McuDaemon *daemon = daemon_of (data);
  McuRoom *room =
      mcu_room_directory_lookup (mcu_daemon_get_rooms (daemon), name);
  g_autofree gchar *with_room = NULL;

  if (room == NULL) {
    g_autoptr (JsonNode) n = json_node_init_string (json_node_alloc (), name);
    g_autofree gchar *quoted = json_to_string (n, FALSE);

    with_room = g_strdup_printf ("\"room\":%s,%s", quoted, fields);
  }
  mcu_events_emit (mcu_daemon_get_events (daemon), type, room, NULL,
      with_room ? with_room : fields);
  if (room && g_str_equal (type, "meeting-ending"))
    say_meeting_ending (daemon, room, fields);
}

static void
glue_announce (gpointer data, McuMeeting *meeting, const gchar *text)
{
  McuDaemon *daemon = daemon_of (data);
  McuRoom *room = mcu_room_directory_lookup (
      mcu_daemon_get_rooms (daemon), mcu_meeting_get_room (meeting));

  if (room)
    mcu_chat_send_to_room (mcu_daemon_get_chat (daemon), room,
        mcu_meeting_get_subject (meeting), NULL, "text/plain", text);
}

static const McuSchedulerOps glue_ops = {
  .open_room = glue_open_room,
  .close_room = glue_close_room,
  .dial = glue_dial,
  .cancel_dial = glue_cancel_dial,
  .in_room = glue_in_room,
  .event = glue_event,
  .announce = glue_announce,
};

static void
on_dial_answered (McuDialer *dialer, const gchar *id, const gchar *room,
    guint participant, McuScheduler *scheduler)
{
  mcu_scheduler_dial_answered (scheduler, id);
}

static void
on_dial_failed (McuDialer *dialer, const gchar *id, const gchar *room,
    guint status, const gchar *phrase, McuScheduler *scheduler)
{
  mcu_scheduler_dial_failed (scheduler, id, status, phrase);
}

McuScheduler *
mcu_scheduler_glue_new (McuDaemon *daemon, McuStore *store, GError **error)
{
  McuScheduler *scheduler = mcu_scheduler_new (store, &glue_ops, daemon, error);
  McuDialer *dialer = mcu_daemon_get_dialer (daemon);

  if (scheduler == NULL)
    return NULL;
  g_signal_connect (
      dialer, "answered", G_CALLBACK (on_dial_answered), scheduler);
  g_signal_connect (dialer, "failed", G_CALLBACK (on_dial_failed), scheduler);
  return scheduler;
}

void
mcu_scheduler_glue_free (McuDaemon *daemon, McuScheduler *scheduler)
{
  if (scheduler == NULL)
    return;
  mcu_scheduler_stop (scheduler);
  if (mcu_daemon_get_dialer (daemon))
    g_signal_handlers_disconnect_by_data (
        mcu_daemon_get_dialer (daemon), scheduler);
  g_object_unref (scheduler);
}

gboolean
mcu_scheduler_glue_admit (
    gpointer data, const gchar *room, guint *retry_after, GError **error)
{
  McuScheduler *scheduler = mcu_daemon_get_scheduler (daemon_of (data));
  McuMeeting *meeting = NULL;
  McuOccurrence next;
  gint64 opens, wait;
  g_autoptr (GTimeZone) tz = NULL;
  g_autoptr (GDateTime) utc = NULL;
  g_autoptr (GDateTime) local = NULL;
  g_autofree gchar *start = NULL;

  if (scheduler == NULL ||
      mcu_scheduler_room_is_open (scheduler, room, &meeting, &next))
    return TRUE;
  opens = next.start - mcu_meeting_get_early_join (meeting);
  wait = opens - g_get_real_time ();
  *retry_after = (guint)CLAMP (
      (wait + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC, 1, G_MAXUINT32);
  tz = g_time_zone_new_identifier (mcu_meeting_get_timezone (meeting));
  utc = g_date_time_new_from_unix_utc (next.start / G_USEC_PER_SEC);
  local = tz ? g_date_time_to_timezone (utc, tz) : g_date_time_ref (utc);
  start = g_date_time_format (local, "%Y-%m-%d %H:%M:%S");
  g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_NOT_OPEN,
      "room %s is booked: meeting '%s' starts at %s %s, the room opens %u s "
      "before",
      room, mcu_meeting_get_subject (meeting), start,
      tz ? mcu_meeting_get_timezone (meeting) : "UTC",
      (guint)(mcu_meeting_get_early_join (meeting) / G_USEC_PER_SEC));
  return FALSE;
}

gboolean
mcu_scheduler_glue_extend (
    gpointer data, McuRoom *room, guint minutes, GError **error)
{
  McuScheduler *scheduler = mcu_daemon_get_scheduler (daemon_of (data));
  g_autoptr (GPtrArray) meetings =
      scheduler ? mcu_scheduler_list (scheduler) : NULL;

  for (guint i = 0; meetings && i < meetings->len; i++) {
    McuMeeting *m = g_ptr_array_index (meetings, i);

    /* only the one running in the room can be extended */
    if (g_strcmp0 (mcu_meeting_get_room (m), mcu_room_get_name (room)) == 0 &&
        mcu_scheduler_extend (scheduler, mcu_meeting_get_id (m),
            (gint64)minutes * 60 * G_USEC_PER_SEC, NULL))
      return TRUE;
  }
  g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_NOT_OPEN,
      "no scheduled meeting runs in room %s", mcu_room_get_name (room));
  return FALSE;
}
