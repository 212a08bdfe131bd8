/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the control socket's live streams.
 *
 *   POST /v1/rooms/{room}/streams {"url": "rtmp://..."} or {"hls": NAME}
 *   GET /v1/rooms/{room}/streams
 *   DELETE /v1/rooms/{room}/streams/{id} */
#include "mcu-control-private.h"
#include "mcu-streams.h"

static const McuFieldSpec stream_fields[] = {
  { "url", MCU_FIELD_STRING, FALSE, 0, 1024, NULL },
  { "hls", MCU_FIELD_STRING, FALSE, 0, 64, NULL },
};

static McuStreams *
streams_of (McuControlRequest *req)
{
  return mcu_daemon_get_streams (mcu_control_get_daemon (req->data));
}

static void
add_info (JsonBuilder *b, const McuStreamInfo *info)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, info->id);
  json_builder_set_member_name (b, "room");
  json_builder_add_string_value (b, info->room);
  json_builder_set_member_name (b, "target");
  json_builder_add_string_value (b, info->target);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, info->state);
  json_builder_set_member_name (b, "reconnects");
  json_builder_add_int_value (b, info->reconnects);
  json_builder_set_member_name (b, "error");
  if (info->error)
    json_builder_add_string_value (b, info->error);
  else
    json_builder_add_null_value (b);
  if (info->video_encoder) {
    json_builder_set_member_name (b, "video_encoder");
    json_builder_add_string_value (b, info->video_encoder);
  }
  if (info->aac_outputs) {
    json_builder_set_member_name (b, "aac_outputs");
    json_builder_add_int_value (b, info->aac_outputs);
  }
  json_builder_end_object (b);
}

static McuRoom *
find_room (McuControlRequest *req)
{
  McuRoom *room = mcu_room_directory_lookup (
      mcu_daemon_get_rooms (mcu_control_get_daemon (req->data)), req->args[0]);

  if (room == NULL || mcu_room_get_state (room) == MCU_ROOM_STATE_CLOSED) {
    mcu_control_reply_error (req, SOUP_STATUS_NOT_FOUND, "no-such-room",
        "no open room %s", req->args[0]);
    return NULL;
  }
  return room;
}

void
mcu_control_streams_start (McuControlRequest *req)
{
  McuRoom *room;
  const gchar *url = NULL, *hls = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *id = NULL;
  g_autoptr (McuStreamInfo) info = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();

  if (!(room = find_room (req)))
    return;
  if (req->body == NULL) {
    mcu_control_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid-field",
        "give \"url\" (rtmp://, rtmps://, srt://) or \"hls\" (a name)");
    return;
  }
  if (!mcu_control_validate (req, stream_fields, G_N_ELEMENTS (stream_fields)))
    return;
  url = json_object_get_string_member_with_default (req->body, "url", NULL);
  hls = json_object_get_string_member_with_default (req->body, "hls", NULL);
  if ((url == NULL) == (hls == NULL)) {
    mcu_control_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid-field",
        "give one of \"url\" and \"hls\"");
    return;
  }
  if (!(id = mcu_streams_start (streams_of (req), room, url, hls, &error))) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES))
      mcu_control_reply_error (req, SOUP_STATUS_SERVICE_UNAVAILABLE,
          "too-many-streams", "%s", error->message);
    else
      mcu_control_reply_error (
          req, SOUP_STATUS_BAD_REQUEST, "invalid-field", "%s", error->message);
    return;
  }
  info = mcu_streams_get (streams_of (req), id);
  add_info (b, info);
  mcu_control_reply_json (req, SOUP_STATUS_CREATED, json_builder_get_root (b));
}

void
mcu_control_streams_list (McuControlRequest *req)
{
  McuRoom *room;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();

  if (!(room = find_room (req)))
    return;
  list = mcu_streams_list (streams_of (req), room);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "streams");
  json_builder_begin_array (b);
  for (guint i = 0; i < list->len; i++)
    add_info (b, g_ptr_array_index (list, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  mcu_control_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

void
mcu_control_streams_stop (McuControlRequest *req)
{
  McuStreams *streams = streams_of (req);
  g_autoptr (McuStreamInfo) info = mcu_streams_get (streams, req->args[1]);
  g_autoptr (JsonBuilder) b = json_builder_new ();

  if (info == NULL || g_strcmp0 (info->room, req->args[0]) != 0) {
    mcu_control_reply_error (req, SOUP_STATUS_NOT_FOUND, "no-such-stream",
        "room %s has no stream %s", req->args[0], req->args[1]);
    return;
  }
  mcu_streams_stop (streams, req->args[1], NULL);
  add_info (b, info);
  mcu_control_reply_json (req, SOUP_STATUS_ACCEPTED, json_builder_get_root (b));
}
