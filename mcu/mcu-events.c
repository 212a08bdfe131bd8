/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: room and participant events. Main thread only.
 *
 * Listens to the room directory (rooms opening and closing), each room
 * (participants joining and leaving, notify:: of its settings) and each
 * participant (notify:: of its state), and turns every change into one
 * JSON event with a growing id. The last RING_SIZE events are kept so that
 * an SSE client that reconnects with Last-Event-ID misses nothing. */
#include "mcu-events.h"

#define RING_SIZE 256

struct _McuEvents
{
  GObject parent_instance;

  McuRoomDirectory *rooms;
  guint64 last_id;
  GQueue ring; /* Kept* newest last */
};

typedef struct
{
  guint64 id;
  gchar *json;
} Kept;

G_DEFINE_FINAL_TYPE (McuEvents, mcu_events, G_TYPE_OBJECT)

enum
{
  SIGNAL_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
kept_free (gpointer data)
{
  Kept *k = data;

  g_free (k->json);
  g_free (k);
}

static void watch_room (McuEvents *self, McuRoom *room);

static void
disconnect_room (McuEvents *self, McuRoom *room)
{
  g_autoptr (GList) participants = mcu_room_list_participants (room);

  for (GList *l = participants; l; l = l->next)
    g_signal_handlers_disconnect_by_data (l->data, self);
  g_signal_handlers_disconnect_by_data (room, self);
}

static void
mcu_events_dispose (GObject *object)
{
  McuEvents *self = MCU_EVENTS (object);

  if (self->rooms) {
    g_autoptr (GList) rooms = mcu_room_directory_list (self->rooms);

    for (GList *l = rooms; l; l = l->next)
      disconnect_room (self, l->data);
    g_signal_handlers_disconnect_by_data (self->rooms, self);
  }
  g_clear_object (&self->rooms);
  g_queue_clear_full (&self->ring, kept_free);
  G_OBJECT_CLASS (mcu_events_parent_class)->dispose (object);
}

static void
mcu_events_class_init (McuEventsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_events_dispose;
  signals[SIGNAL_EVENT] = g_signal_new ("event", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT64,
      G_TYPE_STRING, G_TYPE_STRING);
}

static void
mcu_events_init (McuEvents *self)
{
  g_queue_init (&self->ring);
}

static void
append_json_string (GString *out, const gchar *text)
{
  g_string_append_c (out, '"');
  for (const gchar *c = text ? text : ""; *c; c++) {
    switch (*c) {
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      default:
        if ((guchar)*c < 0x20)
          g_string_append_printf (out, "\\u%04x", (guchar)*c);
        else
          g_string_append_c (out, *c);
    }
  }
  g_string_append_c (out, '"');
}

void
mcu_events_emit (McuEvents *self, const gchar *type, McuRoom *room,
    McuParticipant *participant, const gchar *fields)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree gchar *time = g_date_time_format_iso8601 (now);
  GString *json = g_string_new (NULL);
  Kept *k = g_new0 (Kept, 1);

  k->id = ++self->last_id;
  g_string_append_printf (
      json, "{\"id\":%" G_GUINT64_FORMAT ",\"type\":", k->id);
  append_json_string (json, type);
  g_string_append (json, ",\"time\":");
  append_json_string (json, time);
  if (room) {
    g_string_append (json, ",\"room\":");
    append_json_string (json, mcu_room_get_name (room));
  }
  if (participant) {
    g_string_append_printf (json, ",\"participant\":{\"id\":%u,\"display\":",
        mcu_participant_get_id (participant));
    append_json_string (json, mcu_participant_get_display_name (participant));
    g_string_append (json, ",\"uri\":");
    append_json_string (json, mcu_participant_get_uri (participant));
    g_string_append_c (json, '}');
  }
  if (fields && *fields)
    g_string_append_printf (json, ",%s", fields);
  g_string_append_c (json, '}');
  k->json = g_string_free (json, FALSE);

  g_queue_push_tail (&self->ring, k);
  while (self->ring.length > RING_SIZE)
    kept_free (g_queue_pop_head (&self->ring));
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, k->id, type, k->json);
}

/* A participant's boolean property and the events for TRUE and FALSE. */
static const struct
{
  const gchar *property;
  const gchar *on;
  const gchar *off;
} flag_events[] = {
  { "muted", "muted", "unmuted" },
  { "deaf", "deaf", "undeaf" },
  { "talking", "talking-start", "talking-stop" },
  { "on-hold", "hold", "resume" },
  { "video-muted", "video-muted", "video-unmuted" },
};

static void
on_participant_notify (
    McuParticipant *participant, GParamSpec *pspec, McuEvents *self)
{
  McuRoom *room = mcu_participant_get_room (participant);

  if (g_str_equal (pspec->name, "volume")) {
    gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_autofree gchar *fields = g_strdup_printf (
        "\"volume\":%s", g_ascii_dtostr (buf, sizeof buf,
                             mcu_participant_get_volume (participant)));

    mcu_events_emit (self, "volume", room, participant, fields);
    return;
  }
  if (g_str_equal (pspec->name, "role")) {
    g_autofree gchar *fields = g_strdup_printf (
        "\"role\":\"%s\"", mcu_participant_role_to_string (
                               mcu_participant_get_role (participant)));

    mcu_events_emit (self, "role-changed", room, participant, fields);
    return;
  }
  if (g_str_equal (pspec->name, "state")) {
    g_autofree gchar *fields = g_strdup_printf (
        "\"state\":\"%s\"", mcu_participant_state_to_string (
                                mcu_participant_get_state (participant)));

    mcu_events_emit (self, "state-changed", room, participant, fields);
    return;
  }
  for (guint i = 0; i < G_N_ELEMENTS (flag_events); i++) {
    gboolean value;

    if (!g_str_equal (pspec->name, flag_events[i].property))
      continue;
    g_object_get (participant, pspec->name, &value, NULL);
    mcu_events_emit (self, value ? flag_events[i].on : flag_events[i].off, room,
        participant, NULL);
  }
}

static void
on_participant_added (
    McuRoom *room, McuParticipant *participant, McuEvents *self)
{
  mcu_events_emit (self, "joined", room, participant, NULL);
  g_signal_connect (
      participant, "notify", G_CALLBACK (on_participant_notify), self);
}

static void
on_participant_removed (
    McuRoom *room, McuParticipant *participant, McuEvents *self)
{
  g_signal_handlers_disconnect_by_data (participant, self);
  mcu_events_emit (self, "left", room, participant, NULL);
}

static void
on_room_notify (McuRoom *room, GParamSpec *pspec, McuEvents *self)
{
  g_autoptr (GString) fields = g_string_new (NULL);

  if (g_str_equal (pspec->name, "locked")) {
    mcu_events_emit (self, mcu_room_get_locked (room) ? "locked" : "unlocked",
        room, NULL, NULL);
  } else if (g_str_equal (pspec->name, "layout")) {
    g_string_append (fields, "\"layout\":");
    append_json_string (fields, mcu_room_get_layout (room));
    mcu_events_emit (self, "layout-changed", room, NULL, fields->str);
  } else if (g_str_equal (pspec->name, "pin")) {
    g_string_append_printf (
        fields, "\"has_pin\":%s", mcu_room_get_pin (room) ? "true" : "false");
    mcu_events_emit (self, "pin-changed", room, NULL, fields->str);
  } else if (g_str_equal (pspec->name, "max-participants")) {
    g_string_append_printf (fields, "\"max_participants\":%u",
        mcu_room_get_max_participants (room));
    mcu_events_emit (self, "room-changed", room, NULL, fields->str);
  } else if (g_str_equal (pspec->name, "options")) {
    for (guint i = 0; i < MCU_ROOM_N_OPTIONS; i++) {
      g_autofree gchar *name = g_strdup (mcu_room_option_name (i));

      g_string_append_printf (fields, "%s\"%s\":%s", i ? "," : "",
          g_strdelimit (name, "-", '_'),
          mcu_room_has_option (room, 1u << i) ? "true" : "false");
    }
    mcu_events_emit (self, "room-changed", room, NULL, fields->str);
  }
}

static void
watch_room (McuEvents *self, McuRoom *room)
{
  g_signal_connect (
      room, "participant-added", G_CALLBACK (on_participant_added), self);
  g_signal_connect (
      room, "participant-removed", G_CALLBACK (on_participant_removed), self);
  g_signal_connect (room, "notify", G_CALLBACK (on_room_notify), self);
}

static void
on_room_opened (McuRoomDirectory *rooms, McuRoom *room, McuEvents *self)
{
  mcu_events_emit (self, "room-created", room, NULL, NULL);
  watch_room (self, room);
}

static void
on_room_closed (McuRoomDirectory *rooms, McuRoom *room, McuEvents *self)
{
  disconnect_room (self, room);
  mcu_events_emit (self, "room-closed", room, NULL, NULL);
}

McuEvents *
mcu_events_new (McuRoomDirectory *rooms)
{
  McuEvents *self = g_object_new (MCU_TYPE_EVENTS, NULL);
  g_autoptr (GList) open = mcu_room_directory_list (rooms);

  self->rooms = g_object_ref (rooms);
  g_signal_connect (rooms, "room-opened", G_CALLBACK (on_room_opened), self);
  g_signal_connect (rooms, "room-closed", G_CALLBACK (on_room_closed), self);
  for (GList *l = open; l; l = l->next) {
    g_autoptr (GList) participants = mcu_room_list_participants (l->data);

    watch_room (self, l->data);
    for (GList *p = participants; p; p = p->next)
      g_signal_connect (
          p->data, "notify", G_CALLBACK (on_participant_notify), self);
  }
  return self;
}

GPtrArray *
mcu_events_since (McuEvents *self, guint64 after_id)
{
  GPtrArray *out = g_ptr_array_new ();

  for (GList *l = self->ring.head; l; l = l->next) {
    Kept *k = l->data;

    if (k->id > after_id)
      g_ptr_array_add (out, k->json);
  }
  return out;
}

guint64
mcu_events_get_last_id (McuEvents *self)
{
  return self->last_id;
}
