/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: control socket resources for prompts:
 *   POST /v1/rooms/{room}/announcements {"prompt": "NAME"} or
 *        {"file": "sub/dir/x.wav"} (under the room's prompt directory):
 *        plays it to everyone in the room;
 *   POST /v1/rooms/{room}/participants/{id}/prompts {"prompt": "NAME",
 *        "keep_mix": false}: plays it to one participant (a personal
 *        notice; without keep_mix the participant hears only the prompt and
 *        is out of the others' mix while it plays).
 * Both answer 202 {"id", "room", "prompt"[, "participant"]}; the event
 * stream reports "announcement" started/done. Errors: 400 (body), 404
 * (room, participant, prompt), 409 (nobody listening / no audio), 429 (the
 * room's prompt limit), 422 (an unusable file). Main thread. */
#include "mcu-control-private.h"
#include "mcu-announcer.h"
#include "mcu-daemon.h"
#include "mcu-prompts.h"

static const McuFieldSpec announcement_fields[] = {
  { "prompt", MCU_FIELD_STRING, FALSE, 0, 64, NULL },
  { "file", MCU_FIELD_STRING, FALSE, 0, 256, NULL },
};

static const McuFieldSpec prompt_fields[] = {
  { "prompt", MCU_FIELD_STRING, FALSE, 0, 64, NULL },
  { "file", MCU_FIELD_STRING, FALSE, 0, 256, NULL },
  { "keep_mix", MCU_FIELD_BOOL, FALSE, 0, 0, NULL },
};

static McuDaemon *
daemon_of (McuControlRequest *req)
{
  return mcu_control_get_daemon (req->data);
}

static const gchar *
member_string (JsonObject *body, const gchar *name)
{
  return body && json_object_has_member (body, name)
             ? json_object_get_string_member (body, name)
             : NULL;
}

static McuRoom *
find_room (McuControlRequest *req)
{
  McuRoom *room = mcu_room_directory_lookup (
      mcu_daemon_get_rooms (daemon_of (req)), req->args[0]);

  if (room == NULL || mcu_room_get_state (room) == MCU_ROOM_STATE_CLOSED) {
    mcu_control_reply_error (req, SOUP_STATUS_NOT_FOUND, "no-such-room",
        "no open room %s", req->args[0]);
    return NULL;
  }
  return room;
}

/* The file the body names, or NULL after replying 400/404; *label is what
 * the events call it. */
static gchar *
find_prompt (McuControlRequest *req, McuRoom *room, const gchar **label)
{
  const McuConfig *config = mcu_daemon_get_config (daemon_of (req));
  const gchar *name = member_string (req->body, "prompt");
  const gchar *file = member_string (req->body, "file");
  gchar *path;

  if ((name == NULL) == (file == NULL)) {
    mcu_control_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid-field",
        "give exactly one of prompt, file");
    return NULL;
  }
  path = name ? mcu_prompts_path (config, room, name)
              : mcu_prompts_file (config, room, file);
  if (path == NULL)
    mcu_control_reply_error (req, SOUP_STATUS_NOT_FOUND, "no-such-prompt",
        "no prompt %s for room %s", name ? name : file,
        mcu_room_get_name (room));
  *label = name ? name : file;
  return path;
}

static void
reply_play_error (McuControlRequest *req, const GError *error)
{
  guint status = SOUP_STATUS_UNPROCESSABLE_ENTITY;
  const gchar *code = "bad-prompt-file";

  if (g_error_matches (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_NO_SESSION)) {
    status = SOUP_STATUS_CONFLICT;
    code = "not-listening";
  } else if (g_error_matches (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_LIMIT)) {
    status = 429; /* Too Many Requests */
    code = "too-many-prompts";
  }
  mcu_control_reply_error (req, status, code, "%s", error->message);
}

static void
reply_started (McuControlRequest *req, guint id, McuRoom *room,
    McuParticipant *participant, const gchar *label)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, id);
  json_builder_set_member_name (b, "room");
  json_builder_add_string_value (b, mcu_room_get_name (room));
  if (participant) {
    json_builder_set_member_name (b, "participant");
    json_builder_add_int_value (b, mcu_participant_get_id (participant));
  }
  json_builder_set_member_name (b, "prompt");
  json_builder_add_string_value (b, label);
  json_builder_end_object (b);
  mcu_control_reply_json (req, SOUP_STATUS_ACCEPTED, json_builder_get_root (b));
}

void
mcu_control_room_announce (McuControlRequest *req)
{
  McuAnnouncer *announcer = mcu_daemon_get_announcer (daemon_of (req));
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = NULL;
  const gchar *label = NULL;
  McuRoom *room;
  guint id;

  if (!mcu_control_validate (
          req, announcement_fields, G_N_ELEMENTS (announcement_fields)))
    return;
  if (!(room = find_room (req)) || !(path = find_prompt (req, room, &label)))
    return;
  id = mcu_announcer_announce (announcer, room, path, label, &error);
  if (id == 0) {
    reply_play_error (req, error);
    return;
  }
  reply_started (req, id, room, NULL, label);
}

void
mcu_control_participant_prompt (McuControlRequest *req)
{
  McuDaemon *daemon = daemon_of (req);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = NULL;
  const gchar *label = NULL;
  McuParticipant *p = NULL;
  McuCallLeg *leg;
  McuRoom *room;
  guint64 pid;
  McuPromptFlags flags = MCU_PROMPT_NONE;
  guint id;

  if (!mcu_control_validate (req, prompt_fields, G_N_ELEMENTS (prompt_fields)))
    return;
  if (!(room = find_room (req)))
    return;
  if (g_ascii_string_to_unsigned (req->args[1], 10, 1, G_MAXUINT, &pid, NULL))
    p = mcu_room_find_participant (room, pid);
  if (p == NULL) {
    mcu_control_reply_error (req, SOUP_STATUS_NOT_FOUND, "no-such-participant",
        "no participant %s in room %s", req->args[1], req->args[0]);
    return;
  }
  if (!(path = find_prompt (req, room, &label)))
    return;
  if (json_object_has_member (req->body, "keep_mix") &&
      json_object_get_boolean_member (req->body, "keep_mix"))
    flags |= MCU_PROMPT_KEEP_MIX;
  leg = mcu_daemon_find_leg (daemon, room, mcu_participant_get_id (p));
  id = mcu_announcer_play_to (mcu_daemon_get_announcer (daemon), room, p,
      leg ? mcu_call_leg_get_mix (leg) : NULL,
      leg ? mcu_call_leg_get_media (leg) : NULL, path, label, flags, &error);
  if (id == 0) {
    reply_play_error (req, error);
    return;
  }
  reply_started (req, id, room, p, label);
}
