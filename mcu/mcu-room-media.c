/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one room's media. Main thread only. */
#include "mcu-room-media.h"

struct _McuRoomMedia
{
  GObject parent_instance;

  McuRoom *room; /* (weak) */
  McuAudioMix *audio;
  McuVideoMix *video;     /* (nullable) */
  gulong layout_handler;  /* on room: "notify::layout" (with video) */
  gulong talking_handler; /* on audio (with video) */
  gulong speaker_handler; /* on audio (with video) */
  GHashTable *legs;       /* McuParticipant* -> McuCallLeg* (both weak) */
  GHashTable *ids;        /* McuMediaSession* (weak) -> participant id */
};

G_DEFINE_FINAL_TYPE (McuRoomMedia, mcu_room_media, G_TYPE_OBJECT)

static void
mcu_room_media_dispose (GObject *object)
{
  McuRoomMedia *self = MCU_ROOM_MEDIA (object);

  if (self->room) {
    g_clear_signal_handler (&self->layout_handler, self->room);
    g_object_remove_weak_pointer (
        G_OBJECT (self->room), (gpointer *)&self->room);
    self->room = NULL;
  }
  if (self->audio) {
    g_clear_signal_handler (&self->talking_handler, self->audio);
    g_clear_signal_handler (&self->speaker_handler, self->audio);
  }
  g_clear_object (&self->video);
  g_clear_object (&self->audio);
  G_OBJECT_CLASS (mcu_room_media_parent_class)->dispose (object);
}

static void
mcu_room_media_finalize (GObject *object)
{
  McuRoomMedia *self = MCU_ROOM_MEDIA (object);

  g_hash_table_unref (self->legs);
  g_hash_table_unref (self->ids);
  G_OBJECT_CLASS (mcu_room_media_parent_class)->finalize (object);
}

static void
mcu_room_media_class_init (McuRoomMediaClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_room_media_dispose;
  object_class->finalize = mcu_room_media_finalize;
}

static void
mcu_room_media_init (McuRoomMedia *self)
{
  self->legs = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->ids = g_hash_table_new (g_direct_hash, g_direct_equal);
}

McuRoomMedia *
mcu_room_media_new (McuRoom *room, McuAudioMix *audio)
{
  McuRoomMedia *self;

  g_return_val_if_fail (MCU_IS_ROOM (room), NULL);
  g_return_val_if_fail (audio != NULL, NULL);
  self = g_object_new (MCU_TYPE_ROOM_MEDIA, NULL);
  self->room = room;
  g_object_add_weak_pointer (G_OBJECT (room), (gpointer *)&self->room);
  self->audio = g_object_ref (audio);
  return self;
}

McuRoom *
mcu_room_media_get_room (McuRoomMedia *self)
{
  g_return_val_if_fail (MCU_IS_ROOM_MEDIA (self), NULL);
  return self->room;
}

McuAudioMix *
mcu_room_media_get_audio_mix (McuRoomMedia *self)
{
  g_return_val_if_fail (MCU_IS_ROOM_MEDIA (self), NULL);
  return self->audio;
}

McuVideoMix *
mcu_room_media_get_video_mix (McuRoomMedia *self)
{
  g_return_val_if_fail (MCU_IS_ROOM_MEDIA (self), NULL);
  return self->video;
}

/* ----- video ----- */

static McuLayoutKind
room_layout (McuRoom *room)
{
  McuLayoutKind kind = MCU_LAYOUT_GRID;

  mcu_layout_kind_from_string (mcu_room_get_layout (room), &kind);
  return kind;
}

static void
on_room_layout (McuRoom *room, GParamSpec *pspec, McuRoomMedia *self)
{
  mcu_video_mix_set_layout (self->video, room_layout (room));
}

static void
on_audio_talking (McuAudioMix *audio, McuMediaSession *session,
    gboolean talking, McuRoomMedia *self)
{
  guint id = mcu_room_media_get_session_participant (self, session);

  if (id)
    mcu_video_mix_set_talking (self->video, id, talking);
}

static void
on_audio_active_speaker (
    McuAudioMix *audio, McuMediaSession *session, McuRoomMedia *self)
{
  guint id = mcu_room_media_get_session_participant (self, session);

  if (id)
    mcu_video_mix_set_active_speaker (self->video, id);
}

McuVideoMix *
mcu_room_media_ensure_video_mix (
    McuRoomMedia *self, const McuConfig *config, GError **error)
{
  McuVideoMixOptions options = {
    .width = config->video_width,
    .height = config->video_height,
    .framerate = config->video_framerate,
    .latency_ms = config->jitter_latency,
  };

  g_return_val_if_fail (MCU_IS_ROOM_MEDIA (self), NULL);
  if (self->video)
    return self->video;
  if (self->room == NULL) {
    g_set_error (
        error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_CLOSED, "the room has closed");
    return NULL;
  }
  options.layout = room_layout (self->room);
  options.self_view = mcu_room_get_self_view (self->room);
  self->video =
      mcu_video_mix_new (mcu_room_get_name (self->room), &options, error);
  if (self->video == NULL)
    return NULL;
  self->layout_handler = g_signal_connect (
      self->room, "notify::layout", G_CALLBACK (on_room_layout), self);
  self->talking_handler = g_signal_connect (
      self->audio, "talking", G_CALLBACK (on_audio_talking), self);
  self->speaker_handler = g_signal_connect (self->audio, "active-speaker",
      G_CALLBACK (on_audio_active_speaker), self);
  return self->video;
}

/* ----- maps ----- */

void
mcu_room_media_add_leg (
    McuRoomMedia *self, McuParticipant *participant, McuCallLeg *leg)
{
  g_return_if_fail (MCU_IS_ROOM_MEDIA (self));
  g_return_if_fail (participant != NULL && leg != NULL);
  g_hash_table_insert (self->legs, participant, leg);
}

void
mcu_room_media_remove_leg (McuRoomMedia *self, McuParticipant *participant)
{
  g_return_if_fail (MCU_IS_ROOM_MEDIA (self));
  g_hash_table_remove (self->legs, participant);
}

McuCallLeg *
mcu_room_media_get_leg (McuRoomMedia *self, McuParticipant *participant)
{
  g_return_val_if_fail (MCU_IS_ROOM_MEDIA (self), NULL);
  return g_hash_table_lookup (self->legs, participant);
}

void
mcu_room_media_set_session_participant (
    McuRoomMedia *self, McuMediaSession *session, guint id)
{
  g_return_if_fail (MCU_IS_ROOM_MEDIA (self));
  if (id)
    g_hash_table_insert (self->ids, session, GUINT_TO_POINTER (id));
  else
    g_hash_table_remove (self->ids, session);
}

guint
mcu_room_media_get_session_participant (
    McuRoomMedia *self, McuMediaSession *session)
{
  g_return_val_if_fail (MCU_IS_ROOM_MEDIA (self), 0);
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->ids, session));
}
