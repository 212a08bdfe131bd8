/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the control socket's recordings.
 *
 *   POST /v1/rooms/{room}/recordings         start (201, {"id": ...})
 *   DELETE /v1/rooms/{room}/recordings/{id}  stop (202: the file is being
 *                                            finished; "recording-stopped")
 *   GET /v1/recordings                       list
 *   GET /v1/recordings/{id}                  the file (read from disk
 *                                            asynchronously; 503 beyond
 *                                            [recording] max-downloads)
 *
 * A preconfigured room that is not open yet is opened by a POST (its
 * recording waits for the first caller). */
#include "mcu-control-private.h"
#include "mcu-recordings.h"

#include "mcu-control-downloads.h"

#include <gio/gio.h>

static McuRecordings *
recordings_of (McuControlRequest *req)
{
  return mcu_daemon_get_recordings (mcu_control_get_daemon (req->data));
}

static void
add_info (JsonBuilder *b, const McuRecordingInfo *info)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, info->id);
  json_builder_set_member_name (b, "room");
  json_builder_add_string_value (b, info->room);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, info->state);
  json_builder_set_member_name (b, "start");
  if (info->started_at) {
    g_autoptr (GDateTime) t =
        g_date_time_new_from_unix_utc (info->started_at / G_USEC_PER_SEC);
    g_autofree gchar *secs = g_date_time_format (t, "%FT%T");
    g_autofree gchar *text = g_strdup_printf (
        "%s.%03dZ", secs, (gint)(info->started_at / 1000 % 1000));

    json_builder_add_string_value (b, text);
  } else {
    json_builder_add_null_value (b);
  }
  json_builder_set_member_name (b, "duration");
  json_builder_add_double_value (b, info->duration_ms / 1000.0);
  json_builder_set_member_name (b, "size");
  json_builder_add_int_value (b, info->size);
  if (info->segments) {
    json_builder_set_member_name (b, "segments");
    json_builder_add_int_value (b, info->segments);
  }
  json_builder_set_member_name (b, "video");
  json_builder_add_boolean_value (b, info->video);
  if (info->video_encoder) {
    json_builder_set_member_name (b, "video_encoder");
    json_builder_add_string_value (b, info->video_encoder);
  }
  if (info->error) {
    json_builder_set_member_name (b, "error");
    json_builder_add_string_value (b, info->error);
  }
  json_builder_end_object (b);
}

void
mcu_control_recordings_add_room_state (
    JsonBuilder *b, McuDaemon *daemon, McuRoom *room)
{
  g_autoptr (McuRecordingInfo) info =
      mcu_recordings_get_for_room (mcu_daemon_get_recordings (daemon), room);

  json_builder_set_member_name (b, "recording");
  if (info)
    add_info (b, info);
  else
    json_builder_add_null_value (b);
}

void
mcu_control_recordings_start (McuControlRequest *req)
{
  McuDaemon *daemon = mcu_control_get_daemon (req->data);
  McuRoomDirectory *rooms = mcu_daemon_get_rooms (daemon);
  McuRoom *room = mcu_room_directory_lookup (rooms, req->args[0]);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (McuRecordingInfo) info = NULL;
  g_autofree gchar *id = NULL, *location = NULL;
  McuRoomSettings settings;

  if (req->body && json_object_get_size (req->body) > 0) {
    mcu_control_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid-field",
        "a recording takes no settings");
    return;
  }
  if ((room == NULL || mcu_room_get_state (room) == MCU_ROOM_STATE_CLOSED) &&
      mcu_room_directory_get_template (rooms, req->args[0], &settings))
    room = mcu_room_directory_open (rooms, req->args[0], NULL);
  if (room == NULL || mcu_room_get_state (room) == MCU_ROOM_STATE_CLOSED) {
    mcu_control_reply_error (req, SOUP_STATUS_NOT_FOUND, "no-such-room",
        "no open room %s", req->args[0]);
    return;
  }
  if (!(id = mcu_recordings_start (recordings_of (req), room, &error))) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
      mcu_control_reply_error (
          req, SOUP_STATUS_CONFLICT, "already-recording", "%s", error->message);
    else if (g_error_matches (
                 error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES))
      mcu_control_reply_error (req, SOUP_STATUS_SERVICE_UNAVAILABLE,
          "too-many-recordings", "%s", error->message);
    else
      mcu_control_reply_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR,
          "recording-failed", "%s", error->message);
    return;
  }
  info = mcu_recordings_get (recordings_of (req), id);
  location = g_strdup_printf ("/v1/recordings/%s", id);
  soup_message_headers_replace (
      soup_server_message_get_response_headers (req->msg), "Location",
      location);
  add_info (b, info);
  mcu_control_reply_json (req, SOUP_STATUS_CREATED, json_builder_get_root (b));
}

void
mcu_control_recordings_stop (McuControlRequest *req)
{
  McuRecordings *recordings = recordings_of (req);
  g_autoptr (McuRecordingInfo) info =
      mcu_recordings_get (recordings, req->args[1]);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();

  if (info == NULL || g_strcmp0 (info->room, req->args[0]) != 0) {
    mcu_control_reply_error (req, SOUP_STATUS_NOT_FOUND, "no-such-recording",
        "room %s has no recording %s", req->args[0], req->args[1]);
    return;
  }
  if (!mcu_recordings_stop (recordings, req->args[1], &error)) {
    mcu_control_reply_error (
        req, SOUP_STATUS_CONFLICT, "not-recording", "%s", error->message);
    return;
  }
  mcu_recording_info_free (info);
  info = mcu_recordings_get (recordings, req->args[1]);
  add_info (b, info);
  mcu_control_reply_json (req, SOUP_STATUS_ACCEPTED, json_builder_get_root (b));
}

void
mcu_control_recordings_list (McuControlRequest *req)
{
  g_autoptr (GPtrArray) list = mcu_recordings_list (recordings_of (req));
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "recordings");
  json_builder_begin_array (b);
  for (guint i = 0; i < list->len; i++)
    add_info (b, g_ptr_array_index (list, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  mcu_control_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

/* Sends @path (recording @info's file or one of its segments) without
 * blocking the main loop (mcu-control-downloads.c). */
static void
send_file (McuControlRequest *req, McuRecordingInfo *info, const gchar *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *missing =
      g_strdup_printf ("the file of recording %s is gone", info->id);

  if (!mcu_control_downloads_send (mcu_control_get_downloads (req->data),
          req->msg, path,
          g_str_has_suffix (path, ".mka") ? "audio/x-matroska"
                                          : "video/x-matroska",
          "no-such-recording", missing, &error))
    mcu_control_reply_error (req, SOUP_STATUS_SERVICE_UNAVAILABLE,
        "too-many-downloads", "%s", error->message);
}

void
mcu_control_recording_download (McuControlRequest *req)
{
  g_autoptr (McuRecordingInfo) info =
      mcu_recordings_get (recordings_of (req), req->args[0]);

  if (info == NULL || info->path == NULL) {
    mcu_control_reply_error (req, SOUP_STATUS_NOT_FOUND, "no-such-recording",
        "no recording %s", req->args[0]);
    return;
  }
  send_file (req, info, info->path);
}

/* GET /v1/recordings/{id}/segments/{n}: segment n (0 = the first) of a
 * recording made with [recording] segment-seconds. */
void
mcu_control_recording_segment (McuControlRequest *req)
{
  g_autoptr (McuRecordingInfo) info =
      mcu_recordings_get (recordings_of (req), req->args[0]);
  const gchar *n = req->args[1];
  const gchar *at;
  g_autofree gchar *prefix = NULL, *path = NULL;
  guint64 i = 0;

  if (info == NULL || info->path == NULL || info->segments == 0 ||
      !(at = g_strrstr (info->path, ".000.")) ||
      !g_ascii_string_to_unsigned (n, 10, 0, info->segments - 1, &i, NULL)) {
    mcu_control_reply_error (req, SOUP_STATUS_NOT_FOUND, "no-such-segment",
        "recording %s has no segment %s", req->args[0], n);
    return;
  }
  prefix = g_strndup (info->path, at - info->path);
  path = g_strdup_printf ("%s.%03u.%s", prefix, (guint)i, at + 5);
  send_file (req, info, path);
}
