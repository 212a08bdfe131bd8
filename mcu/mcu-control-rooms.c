/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the control socket's rooms and participants.
 *
 *   GET/POST /v1/rooms, GET/PATCH/DELETE /v1/rooms/{room},
 *   GET/POST /v1/rooms/{room}/participants (POST: dial out),
 *   GET/PATCH/DELETE /v1/rooms/{room}/participants/{id},
 *   POST /v1/rooms/{room}/participants/{id}/dtmf,
 *   GET /v1/registrations
 *
 * What a body may hold is in the field tables below; the handlers only
 * apply what passed them.
 *
 * A preconfigured room ([room:NAME]) is listed and shown before its first
 * caller opens it ("open": false, no participants); a PATCH opens it. */
#include "mcu-control-private.h"
#include "mcu-dialer.h"
#include "mcu-store.h"

static const gchar *const layouts[] = { "auto", "grid", "speaker", NULL };
static const gchar *const roles[] = { "guest", "moderator", NULL };

static const McuFieldSpec room_create_fields[] = {
  { "name", MCU_FIELD_STRING, TRUE, 0, 64, NULL },
  { "max_participants", MCU_FIELD_UINT, FALSE, 0, 100000, NULL },
  { "layout", MCU_FIELD_ENUM, FALSE, 0, 0, layouts },
  { "pin", MCU_FIELD_STRING, FALSE, 0, 32, NULL },
  { "locked", MCU_FIELD_BOOL, FALSE, 0, 0, NULL },
  { "moderator_pin", MCU_FIELD_STRING, FALSE, 0, 32, NULL },
  { "wait_for_moderator", MCU_FIELD_BOOL, FALSE, 0, 0, NULL },
  { "end_when_moderator_leaves", MCU_FIELD_BOOL, FALSE, 0, 0, NULL },
  { "mute_guests", MCU_FIELD_BOOL, FALSE, 0, 0, NULL },
  { "announce_alone", MCU_FIELD_BOOL, FALSE, 0, 0, NULL },
  { "announce_join_leave", MCU_FIELD_BOOL, FALSE, 0, 0, NULL },
};

static const McuFieldSpec room_patch_fields[] = {
  { "max_participants", MCU_FIELD_UINT, FALSE, 0, 100000, NULL },
  { "layout", MCU_FIELD_ENUM, FALSE, 0, 0, layouts },
  { "pin", MCU_FIELD_STRING, FALSE, 0, 32, NULL },
  { "locked", MCU_FIELD_BOOL, FALSE, 0, 0, NULL },
  { "moderator_pin", MCU_FIELD_STRING, FALSE, 0, 32, NULL },
  { "wait_for_moderator", MCU_FIELD_BOOL, FALSE, 0, 0, NULL },
  { "end_when_moderator_leaves", MCU_FIELD_BOOL, FALSE, 0, 0, NULL },
  { "mute_guests", MCU_FIELD_BOOL, FALSE, 0, 0, NULL },
  { "announce_alone", MCU_FIELD_BOOL, FALSE, 0, 0, NULL },
  { "announce_join_leave", MCU_FIELD_BOOL, FALSE, 0, 0, NULL },
};

static const McuFieldSpec participant_patch_fields[] = {
  { "muted", MCU_FIELD_BOOL, FALSE, 0, 0, NULL },
  { "deaf", MCU_FIELD_BOOL, FALSE, 0, 0, NULL },
  { "video_muted", MCU_FIELD_BOOL, FALSE, 0, 0, NULL },
  { "volume", MCU_FIELD_NUMBER, FALSE, 0.0, 4.0, NULL },
  { "listen_volume", MCU_FIELD_NUMBER, FALSE, 0.0, 4.0, NULL },
  { "role", MCU_FIELD_ENUM, FALSE, 0, 0, roles },
};

static const McuFieldSpec dial_fields[] = {
  { "uri", MCU_FIELD_STRING, TRUE, 0, 256, NULL },
  { "display", MCU_FIELD_STRING, FALSE, 0, 64, NULL },
  { "dtmf", MCU_FIELD_STRING, FALSE, 0, MCU_CALL_DTMF_MAX_DIGITS, NULL },
  { "dtmf_delay_ms", MCU_FIELD_UINT, FALSE, 0, 60000, NULL },
};

static const McuFieldSpec dtmf_fields[] = {
  { "digits", MCU_FIELD_STRING, TRUE, 0, MCU_CALL_DTMF_MAX_DIGITS, NULL },
};

static McuDaemon *
daemon_of (McuControlRequest *req)
{
  return mcu_control_get_daemon (req->data);
}

static void
add_time (JsonBuilder *b, const gchar *name, gint64 usec)
{
  g_autoptr (GDateTime) t =
      g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  g_autofree gchar *text = g_date_time_format_iso8601 (t);

  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, text);
}

static void
add_bool (JsonBuilder *b, const gchar *name, gboolean value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

static void
add_int (JsonBuilder *b, const gchar *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_string (JsonBuilder *b, const gchar *name, const gchar *value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

/* The room options as booleans ("wait_for_moderator": true, ...). */
static void
add_options (JsonBuilder *b, McuRoomOptions options)
{
  for (guint i = 0; i < MCU_ROOM_N_OPTIONS; i++) {
    g_autofree gchar *name = g_strdup (mcu_room_option_name (i));

    add_bool (b, g_strdelimit (name, "-", '_'), (options & (1u << i)) != 0);
  }
}

/* @options with the booleans of @o applied. */
static McuRoomOptions
apply_options (JsonObject *o, McuRoomOptions options)
{
  for (guint i = 0; i < MCU_ROOM_N_OPTIONS; i++) {
    g_autofree gchar *name = g_strdup (mcu_room_option_name (i));

    g_strdelimit (name, "-", '_');
    if (!json_object_has_member (o, name))
      continue;
    if (json_object_get_boolean_member (o, name))
      options |= 1u << i;
    else
      options &= ~(1u << i);
  }
  return options;
}

static void
build_room (JsonBuilder *b, McuDaemon *daemon, McuRoom *room)
{
  json_builder_begin_object (b);
  add_string (b, "name", mcu_room_get_name (room));
  add_int (b, "participants", mcu_room_get_n_participants (room));
  add_int (b, "max_participants", mcu_room_get_max_participants (room));
  add_bool (b, "locked", mcu_room_get_locked (room));
  add_string (b, "layout", mcu_room_get_layout (room));
  add_bool (b, "has_pin", mcu_room_get_pin (room) != NULL);
  add_bool (b, "has_moderator_pin", mcu_room_get_moderator_pin (room) != NULL);
  add_options (b, mcu_room_get_options (room));
  add_bool (b, "persistent", mcu_room_get_persistent (room));
  add_bool (b, "preconfigured", mcu_room_is_preconfigured (room));
  add_bool (b, "open", TRUE);
  add_time (b, "created_at", mcu_room_get_created_at (room));
  mcu_control_recordings_add_room_state (b, daemon, room);
  json_builder_end_object (b);
}

/* A preconfigured room nobody has opened yet. */
static void
build_template (JsonBuilder *b, const gchar *name, const McuRoomSettings *s)
{
  json_builder_begin_object (b);
  add_string (b, "name", name);
  add_int (b, "participants", 0);
  add_int (b, "max_participants", s->max_participants);
  add_bool (b, "locked", s->locked);
  add_string (b, "layout", s->layout ? s->layout : "auto");
  add_bool (b, "has_pin", s->pin && *s->pin);
  add_bool (b, "has_moderator_pin", s->moderator_pin && *s->moderator_pin);
  add_options (b, s->options);
  add_bool (b, "persistent", FALSE);
  add_bool (b, "preconfigured", TRUE);
  add_bool (b, "open", FALSE);
  add_string (b, "created_at", NULL);
  add_string (b, "recording", NULL);
  json_builder_end_object (b);
}

static void
build_participant (JsonBuilder *b, McuDaemon *daemon, McuParticipant *p)
{
  McuCallLeg *leg =
      mcu_room_media_registry_find_leg (mcu_daemon_get_room_media (daemon), p);
  McuMediaStats stats = { 0 };
  const gchar *codec = NULL;
  const gchar *video_codec = NULL;

  if (leg) {
    McuCallVideo *video = mcu_call_leg_get_video (leg);
    const McuSdpVideo *answer =
        video ? mcu_call_video_get_answer (video) : NULL;

    mcu_call_leg_get_stats (leg, &stats);
    codec = mcu_call_leg_get_audio_codec (leg);
    if (answer && answer->codec != MCU_SDP_VIDEO_CODEC_NONE)
      video_codec = mcu_sdp_video_codec_to_string (answer->codec);
  }
  json_builder_begin_object (b);
  add_int (b, "id", mcu_participant_get_id (p));
  add_string (b, "display", mcu_participant_get_display_name (p));
  add_string (b, "uri", mcu_participant_get_uri (p));
  add_string (
      b, "role", mcu_participant_role_to_string (mcu_participant_get_role (p)));
  add_string (b, "state",
      mcu_participant_state_to_string (mcu_participant_get_state (p)));
  add_string (b, "call_id",
      leg ? mcu_sip_call_get_call_id (mcu_call_leg_get_call (leg)) : NULL);
  json_builder_set_member_name (b, "codecs");
  json_builder_begin_object (b);
  add_string (b, "audio", codec);
  add_string (b, "video", video_codec);
  json_builder_end_object (b);
  add_bool (b, "muted", mcu_participant_get_muted (p));
  add_bool (b, "deaf", mcu_participant_get_deaf (p));
  add_bool (b, "video_muted", mcu_participant_get_video_muted (p));
  add_bool (b, "talking", mcu_participant_get_talking (p));
  add_bool (b, "on_hold", mcu_participant_get_on_hold (p));
  json_builder_set_member_name (b, "volume");
  json_builder_add_double_value (b, mcu_participant_get_volume (p));
  json_builder_set_member_name (b, "listen_volume");
  json_builder_add_double_value (b, mcu_participant_get_listen_volume (p));
  add_time (b, "joined_at", mcu_participant_get_joined_at (p));
  json_builder_set_member_name (b, "stats");
  json_builder_begin_object (b);
  add_int (b, "packets_received", stats.packets_received);
  add_int (b, "packets_sent", stats.packets_sent);
  add_int (b, "packets_lost", stats.packets_lost);
  add_int (b, "jitter_ms", stats.jitter_ms);
  add_int (b, "jitter_buffer_ms", stats.jitter_buffer_ms);
  add_int (b, "silence_skipped", stats.silence_skipped);
  add_int (b, "unmixed_skipped", stats.unmixed_skipped);
  add_int (b, "frames_late", stats.frames_late);
  json_builder_end_object (b);
  json_builder_end_object (b);
}

/* 500 "storage-failed" for an error of the store; 503
 * "storage-unavailable" while the database is out of reach. */
static void
reply_storage_error (McuControlRequest *req, const GError *error)
{
  if (g_error_matches (error, MCU_STORE_ERROR, MCU_STORE_ERROR_UNAVAILABLE)) {
    g_message ("control: %s", error->message);
    mcu_control_reply_error (req, SOUP_STATUS_SERVICE_UNAVAILABLE,
        "storage-unavailable", "%s; try again later", error->message);
    return;
  }
  g_warning ("control: %s", error->message);
  mcu_control_reply_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR,
      "storage-failed", "%s", error->message);
}

static void
reply_room (McuControlRequest *req, guint status, McuRoom *room)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  build_room (b, daemon_of (req), room);
  mcu_control_reply_json (req, status, json_builder_get_root (b));
}

/* The open room of args[0], or NULL. */
static McuRoom *
lookup_room (McuControlRequest *req)
{
  McuRoom *room = mcu_room_directory_lookup (
      mcu_daemon_get_rooms (daemon_of (req)), req->args[0]);

  return room && mcu_room_get_state (room) != MCU_ROOM_STATE_CLOSED ? room
                                                                    : NULL;
}

/* Whether args[0] is a preconfigured room (open or not); its settings. */
static gboolean
lookup_template (McuControlRequest *req, McuRoomSettings *settings)
{
  return mcu_room_directory_get_template (
      mcu_daemon_get_rooms (daemon_of (req)), req->args[0], settings);
}

/* The room of args[0], or NULL after replying 404. */
static McuRoom *
find_room (McuControlRequest *req)
{
  McuRoom *room = lookup_room (req);

  if (room == NULL)
    mcu_control_reply_error (req, SOUP_STATUS_NOT_FOUND, "no-such-room",
        "no open room %s", req->args[0]);
  return room;
}

/* The participant of args[1] in the room of args[0], or NULL after
 * replying 404. */
static McuParticipant *
find_participant (McuControlRequest *req, McuRoom **room_out)
{
  McuRoom *room = find_room (req);
  guint64 id;
  McuParticipant *p = NULL;

  if (room == NULL)
    return NULL;
  if (g_ascii_string_to_unsigned (req->args[1], 10, 1, G_MAXUINT, &id, NULL))
    p = mcu_room_find_participant (room, id);
  if (p == NULL)
    mcu_control_reply_error (req, SOUP_STATUS_NOT_FOUND, "no-such-participant",
        "no participant %s in room %s", req->args[1], req->args[0]);
  *room_out = room;
  return p;
}

/* Open rooms and the preconfigured ones not open, merged by name. */
void
mcu_control_rooms_list (McuControlRequest *req)
{
  McuRoomDirectory *dir = mcu_daemon_get_rooms (daemon_of (req));
  g_autoptr (GList) rooms = mcu_room_directory_list (dir);
  g_autoptr (GList) templates = mcu_room_directory_list_templates (dir);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  GList *r = rooms, *t = templates;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "rooms");
  json_builder_begin_array (b);
  while (r || t) {
    gint order = !t   ? -1
                 : !r ? 1
                      : g_strcmp0 (mcu_room_get_name (r->data), t->data);
    McuRoomSettings settings;

    if (order <= 0) {
      build_room (b, daemon_of (req), r->data);
      r = r->next;
      if (order == 0)
        t = t->next;
    } else {
      if (mcu_room_directory_get_template (dir, t->data, &settings))
        build_template (b, t->data, &settings);
      t = t->next;
    }
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  mcu_control_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

static const gchar *
get_string (JsonObject *o, const gchar *name)
{
  return json_object_has_member (o, name) &&
                 !json_object_get_null_member (o, name)
             ? json_object_get_string_member (o, name)
             : NULL;
}

void
mcu_control_rooms_create (McuControlRequest *req)
{
  McuDaemon *daemon = daemon_of (req);
  const McuConfig *config = mcu_daemon_get_config (daemon);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *location = NULL;
  McuRoomSettings settings = {
    .max_participants = config->max_participants,
    .layout = "auto",
    .self_view = TRUE,
  };
  const gchar *name;
  McuRoom *room;

  if (!mcu_control_validate (
          req, room_create_fields, G_N_ELEMENTS (room_create_fields)))
    return;
  name = get_string (req->body, "name");
  for (guint i = 0; i < config->rooms->len; i++) {
    McuConfigRoom *r = g_ptr_array_index (config->rooms, i);

    if (g_strcmp0 (r->name, name) == 0) {
      settings.max_participants = r->max_participants;
      settings.layout = r->layout;
      settings.pin = r->pin;
      settings.self_view = r->self_view;
      settings.moderator_pin = r->moderator_pin;
      settings.options = r->options;
    }
  }
  if (json_object_has_member (req->body, "max_participants"))
    settings.max_participants =
        json_object_get_int_member (req->body, "max_participants");
  if (json_object_has_member (req->body, "layout"))
    settings.layout = get_string (req->body, "layout");
  if (json_object_has_member (req->body, "pin"))
    settings.pin = get_string (req->body, "pin");
  if (json_object_has_member (req->body, "locked"))
    settings.locked = json_object_get_boolean_member (req->body, "locked");
  if (json_object_has_member (req->body, "moderator_pin"))
    settings.moderator_pin = get_string (req->body, "moderator_pin");
  settings.options = apply_options (req->body, settings.options);
  room = mcu_room_directory_create (
      mcu_daemon_get_rooms (daemon), name ? name : "", &settings, &error);
  if (room == NULL) {
    if (g_error_matches (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_EXISTS))
      mcu_control_reply_error (
          req, SOUP_STATUS_CONFLICT, "room-exists", "%s", error->message);
    else
      mcu_control_reply_error (
          req, SOUP_STATUS_BAD_REQUEST, "invalid-field", "%s", error->message);
    return;
  }
  if (!mcu_daemon_save_room (daemon, room, &error)) {
    mcu_daemon_close_room (daemon, room, NULL);
    reply_storage_error (req, error);
    return;
  }
  location = g_strdup_printf ("/v1/rooms/%s", mcu_room_get_name (room));
  soup_message_headers_replace (
      soup_server_message_get_response_headers (req->msg), "Location",
      location);
  reply_room (req, SOUP_STATUS_CREATED, room);
}

void
mcu_control_room_get (McuControlRequest *req)
{
  McuRoom *room = lookup_room (req);
  McuRoomSettings settings;
  g_autoptr (JsonBuilder) b = NULL;

  if (room) {
    reply_room (req, SOUP_STATUS_OK, room);
  } else if (lookup_template (req, &settings)) {
    b = json_builder_new ();
    build_template (b, req->args[0], &settings);
    mcu_control_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
  } else {
    find_room (req); /* 404 */
  }
}

void
mcu_control_room_patch (McuControlRequest *req)
{
  McuRoom *room = lookup_room (req);
  JsonObject *o = req->body;
  g_autoptr (GError) error = NULL;
  McuRoomSettings settings;

  if (!mcu_control_validate (
          req, room_patch_fields, G_N_ELEMENTS (room_patch_fields)))
    return;
  /* a preconfigured room nobody has opened: open it to change it */
  if (room == NULL && lookup_template (req, &settings))
    room = mcu_room_directory_open (
        mcu_daemon_get_rooms (daemon_of (req)), req->args[0], NULL);
  if (room == NULL && find_room (req) == NULL)
    return;
  if (json_object_has_member (o, "max_participants"))
    mcu_room_set_max_participants (
        room, json_object_get_int_member (o, "max_participants"));
  if (json_object_has_member (o, "layout"))
    mcu_room_set_layout (room, json_object_get_string_member (o, "layout"));
  if (json_object_has_member (o, "pin"))
    mcu_room_set_pin (room, get_string (o, "pin"));
  if (json_object_has_member (o, "locked"))
    mcu_room_set_locked (room, json_object_get_boolean_member (o, "locked"));
  if (json_object_has_member (o, "moderator_pin"))
    mcu_room_set_moderator_pin (room, get_string (o, "moderator_pin"));
  mcu_room_set_options (room, apply_options (o, mcu_room_get_options (room)));
  if (!mcu_daemon_save_room (daemon_of (req), room, &error))
    reply_storage_error (req, error);
  else
    reply_room (req, SOUP_STATUS_OK, room);
}

void
mcu_control_room_delete (McuControlRequest *req)
{
  McuRoom *room = lookup_room (req);
  g_autoptr (GError) error = NULL;
  McuRoomSettings settings;

  if (room == NULL && lookup_template (req, &settings)) {
    mcu_control_reply_error (req, SOUP_STATUS_CONFLICT, "not-open",
        "room %s is preconfigured and not open: nothing to close (it stays "
        "in the config file)",
        req->args[0]);
    return;
  }
  if (room == NULL && find_room (req) == NULL)
    return;
  if (!mcu_daemon_close_room (daemon_of (req), room, &error))
    reply_storage_error (req, error);
  else
    mcu_control_reply_json (req, SOUP_STATUS_NO_CONTENT, NULL);
}

void
mcu_control_participants_list (McuControlRequest *req)
{
  McuRoom *room = lookup_room (req);
  g_autoptr (GList) participants = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  McuRoomSettings settings;

  if (room == NULL && !lookup_template (req, &settings) &&
      find_room (req) == NULL)
    return;
  participants = room ? mcu_room_list_participants (room) : NULL;
  json_builder_begin_object (b);
  add_string (b, "room", req->args[0]);
  json_builder_set_member_name (b, "participants");
  json_builder_begin_array (b);
  for (GList *l = participants; l; l = l->next)
    build_participant (b, daemon_of (req), l->data);
  json_builder_end_array (b);
  json_builder_end_object (b);
  mcu_control_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

static void
reply_participant (McuControlRequest *req, McuParticipant *p)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  build_participant (b, daemon_of (req), p);
  mcu_control_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

void
mcu_control_participant_get (McuControlRequest *req)
{
  McuRoom *room;
  McuParticipant *p = find_participant (req, &room);

  if (p)
    reply_participant (req, p);
}

void
mcu_control_participant_patch (McuControlRequest *req)
{
  McuRoom *room;
  McuParticipant *p = find_participant (req, &room);
  McuCallLeg *leg;
  JsonObject *o = req->body;

  if (p == NULL || !mcu_control_validate (req, participant_patch_fields,
                       G_N_ELEMENTS (participant_patch_fields)))
    return;
  leg = mcu_daemon_find_leg (daemon_of (req), room, mcu_participant_get_id (p));
  if (leg == NULL) {
    mcu_control_reply_error (req, SOUP_STATUS_CONFLICT, "not-connected",
        "participant %s has no call to change", req->args[1]);
    return;
  }
  if (json_object_has_member (o, "muted"))
    mcu_call_leg_set_muted (leg, json_object_get_boolean_member (o, "muted"));
  if (json_object_has_member (o, "deaf"))
    mcu_call_leg_set_deaf (leg, json_object_get_boolean_member (o, "deaf"));
  if (json_object_has_member (o, "volume"))
    mcu_call_leg_set_volume (leg, json_object_get_double_member (o, "volume"));
  if (json_object_has_member (o, "listen_volume"))
    mcu_call_leg_set_listen_volume (
        leg, json_object_get_double_member (o, "listen_volume"));
  if (json_object_has_member (o, "video_muted"))
    mcu_participant_set_video_muted (
        p, json_object_get_boolean_member (o, "video_muted"));
  if (json_object_has_member (o, "role"))
    mcu_participant_set_role (
        p, g_str_equal (json_object_get_string_member (o, "role"), "moderator")
               ? MCU_PARTICIPANT_ROLE_MODERATOR
               : MCU_PARTICIPANT_ROLE_GUEST);
  reply_participant (req, p);
}

void
mcu_control_participant_delete (McuControlRequest *req)
{
  McuRoom *room;
  McuParticipant *p = find_participant (req, &room);
  McuCallLeg *leg;

  if (p == NULL)
    return;
  leg = mcu_daemon_find_leg (daemon_of (req), room, mcu_participant_get_id (p));
  if (leg)
    mcu_call_leg_hangup (leg, "SIP;cause=200;text=\"removed by the operator\"");
  mcu_control_reply_json (req, SOUP_STATUS_NO_CONTENT, NULL);
}

/* POST /v1/rooms/{room}/participants/{id}/dtmf {"digits": "123#"}: 202;
 * event "dtmf-sent" when they are out. */
void
mcu_control_participant_dtmf (McuControlRequest *req)
{
  McuRoom *room;
  McuParticipant *p = find_participant (req, &room);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  const gchar *digits;
  McuCallLeg *leg;

  if (p == NULL ||
      !mcu_control_validate (req, dtmf_fields, G_N_ELEMENTS (dtmf_fields)))
    return;
  digits = get_string (req->body, "digits");
  leg = mcu_daemon_find_leg (daemon_of (req), room, mcu_participant_get_id (p));
  if (!mcu_call_dtmf_validate (digits, &error)) {
    mcu_control_reply_error (
        req, SOUP_STATUS_BAD_REQUEST, "invalid-field", "%s", error->message);
    return;
  }
  if (leg == NULL || !mcu_call_leg_send_dtmf (leg, digits, &error)) {
    mcu_control_reply_error (req, SOUP_STATUS_CONFLICT,
        leg == NULL                               ? "not-connected"
        : error->code == MCU_CALL_DTMF_ERROR_BUSY ? "dtmf-busy"
                                                  : "dtmf-unavailable",
        "%s", leg ? error->message : "the participant has no call");
    return;
  }
  json_builder_begin_object (b);
  add_string (b, "room", req->args[0]);
  add_int (b, "participant", mcu_participant_get_id (p));
  add_string (b, "digits", digits);
  json_builder_end_object (b);
  mcu_control_reply_json (req, SOUP_STATUS_ACCEPTED, json_builder_get_root (b));
}

/* POST /v1/rooms/{room}/participants {"uri": "sip:bob@host" | "bob",
 * "display": "Bob", "dtmf": "1234#", "dtmf_delay_ms": 1000}: 202 with the
 * dial id; the outcome comes as a "dial-answered" or "dial-failed" event
 * (and the digits, sent after the answer, as "dtmf-sent"). */
void
mcu_control_participants_dial (McuControlRequest *req)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree gchar *id = NULL;
  const gchar *uri;
  McuDialOptions options = { .dtmf_delay_ms = MCU_DIAL_DTMF_DELAY_MS };

  if (!mcu_control_validate (req, dial_fields, G_N_ELEMENTS (dial_fields)))
    return;
  uri = get_string (req->body, "uri");
  options.display = get_string (req->body, "display");
  options.dtmf = get_string (req->body, "dtmf");
  if (json_object_has_member (req->body, "dtmf_delay_ms"))
    options.dtmf_delay_ms =
        json_object_get_int_member (req->body, "dtmf_delay_ms");
  id = mcu_daemon_dial_with (
      daemon_of (req), req->args[0], uri ? uri : "", &options, &error);
  if (id == NULL) {
    if (error->domain == MCU_CALL_DTMF_ERROR)
      mcu_control_reply_error (
          req, SOUP_STATUS_BAD_REQUEST, "invalid-field", "%s", error->message);
    else if (error->domain == MCU_ROOM_ERROR)
      mcu_control_reply_error (req,
          error->code == MCU_ROOM_ERROR_NOT_FOUND ||
                  error->code == MCU_ROOM_ERROR_INVALID
              ? SOUP_STATUS_NOT_FOUND
              : SOUP_STATUS_CONFLICT,
          "room-refused", "%s", error->message);
    else if (g_error_matches (error, MCU_DIAL_ERROR, MCU_DIAL_ERROR_BAD_TARGET))
      mcu_control_reply_error (
          req, SOUP_STATUS_BAD_REQUEST, "invalid-field", "%s", error->message);
    else if (g_error_matches (
                 error, MCU_DIAL_ERROR, MCU_DIAL_ERROR_NOT_REGISTERED))
      mcu_control_reply_error (
          req, SOUP_STATUS_CONFLICT, "not-registered", "%s", error->message);
    else if (g_error_matches (error, MCU_SDP_ERROR, MCU_SDP_ERROR_SRTP))
      mcu_control_reply_error (
          req, SOUP_STATUS_CONFLICT, "srtp-needs-tls", "%s", error->message);
    else
      mcu_control_reply_error (req, SOUP_STATUS_SERVICE_UNAVAILABLE,
          "unavailable", "%s", error->message);
    return;
  }
  json_builder_begin_object (b);
  add_string (b, "dial_id", id);
  add_string (b, "room", req->args[0]);
  add_string (b, "target", uri);
  json_builder_end_object (b);
  mcu_control_reply_json (req, SOUP_STATUS_ACCEPTED, json_builder_get_root (b));
}

void
mcu_control_registrations_list (McuControlRequest *req)
{
  McuRegistrar *registrar = mcu_daemon_get_registrar (daemon_of (req));
  g_autoptr (GPtrArray) list =
      registrar ? mcu_registrar_list (registrar) : NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "registrations");
  json_builder_begin_array (b);
  for (guint i = 0; list && i < list->len; i++) {
    McuBinding *r = g_ptr_array_index (list, i);

    json_builder_begin_object (b);
    add_string (b, "user", r->aor);
    add_string (b, "contact", r->contact);
    json_builder_set_member_name (b, "q");
    json_builder_add_double_value (b, r->q);
    add_int (b, "expires", MAX (r->expires_at - now, 0));
    add_time (b, "expires_at", r->expires_at * G_USEC_PER_SEC);
    add_string (b, "call_id", r->call_id);
    add_int (b, "cseq", r->cseq);
    add_string (b, "user_agent", r->user_agent);
    add_string (b, "received", r->received);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  mcu_control_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}
