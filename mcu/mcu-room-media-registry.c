/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: every room's media. Main thread only. */
#include "mcu-room-media-registry.h"

struct _McuRoomMediaRegistry
{
  GObject parent_instance;

  const McuConfig *config;
  McuRoomDirectory *rooms; /* (weak) outlives us */
  McuPromptCache *prompt_cache;
  McuMixPool *mix_pool; /* every room's mixer spreads its outputs on it */
  gulong closed_handler;
  GHashTable *media; /* McuRoom* (weak, watched) -> McuRoomMedia* (owned) */
};

G_DEFINE_FINAL_TYPE (
    McuRoomMediaRegistry, mcu_room_media_registry, G_TYPE_OBJECT)

static void on_room_gone (gpointer data, GObject *where_the_room_was);

static void
unwatch_all (McuRoomMediaRegistry *self)
{
  GHashTableIter iter;
  gpointer room;

  g_hash_table_iter_init (&iter, self->media);
  while (g_hash_table_iter_next (&iter, &room, NULL))
    g_object_weak_unref (G_OBJECT (room), on_room_gone, self);
  g_hash_table_remove_all (self->media);
}

static void
mcu_room_media_registry_dispose (GObject *object)
{
  McuRoomMediaRegistry *self = MCU_ROOM_MEDIA_REGISTRY (object);

  if (self->rooms) {
    g_clear_signal_handler (&self->closed_handler, self->rooms);
    g_object_remove_weak_pointer (
        G_OBJECT (self->rooms), (gpointer *)&self->rooms);
    self->rooms = NULL;
  }
  unwatch_all (self);
  g_clear_object (&self->prompt_cache);
  g_clear_object (&self->mix_pool);
  G_OBJECT_CLASS (mcu_room_media_registry_parent_class)->dispose (object);
}

static void
mcu_room_media_registry_finalize (GObject *object)
{
  McuRoomMediaRegistry *self = MCU_ROOM_MEDIA_REGISTRY (object);

  g_hash_table_unref (self->media);
  G_OBJECT_CLASS (mcu_room_media_registry_parent_class)->finalize (object);
}

static void
mcu_room_media_registry_class_init (McuRoomMediaRegistryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_room_media_registry_dispose;
  object_class->finalize = mcu_room_media_registry_finalize;
}

static void
mcu_room_media_registry_init (McuRoomMediaRegistry *self)
{
  self->media = g_hash_table_new_full (
      g_direct_hash, g_direct_equal, NULL, g_object_unref);
  self->mix_pool = mcu_mix_pool_new (0);
}

/* The room was dropped without closing (the directory went first). */
static void
on_room_gone (gpointer data, GObject *where_the_room_was)
{
  McuRoomMediaRegistry *self = data;

  g_hash_table_remove (self->media, where_the_room_was);
}

static void
on_room_closed (
    McuRoomDirectory *rooms, McuRoom *room, McuRoomMediaRegistry *self)
{
  if (g_hash_table_contains (self->media, room)) {
    g_object_weak_unref (G_OBJECT (room), on_room_gone, self);
    g_hash_table_remove (self->media, room);
  }
}

McuRoomMediaRegistry *
mcu_room_media_registry_new (const McuConfig *config, McuRoomDirectory *rooms)
{
  McuRoomMediaRegistry *self =
      g_object_new (MCU_TYPE_ROOM_MEDIA_REGISTRY, NULL);

  self->config = config;
  self->rooms = rooms;
  g_object_add_weak_pointer (G_OBJECT (rooms), (gpointer *)&self->rooms);
  self->closed_handler = g_signal_connect (
      rooms, "room-closed", G_CALLBACK (on_room_closed), self);
  return self;
}

void
mcu_room_media_registry_set_prompt_cache (
    McuRoomMediaRegistry *self, McuPromptCache *cache)
{
  g_return_if_fail (MCU_IS_ROOM_MEDIA_REGISTRY (self));
  g_set_object (&self->prompt_cache, cache);
}

McuRoomMedia *
mcu_room_media_registry_open (
    McuRoomMediaRegistry *self, McuRoom *room, GError **error)
{
  McuRoomMedia *media;
  g_autoptr (McuAudioMix) audio = NULL;
  McuAudioMixOptions options = {
    .latency_ms = self->config->jitter_latency,
    .noise_gate_db = self->config->noise_gate,
    .max_talkers = self->config->max_talkers,
    .prompt_cache = self->prompt_cache,
    .mix_pool = self->mix_pool,
    /* 0 in the file: always (from the first frame on) */
    .pool_min_cost =
        MAX ((GstClockTime)self->config->parallel_encode_ms * GST_MSECOND, 1),
  };

  g_return_val_if_fail (MCU_IS_ROOM_MEDIA_REGISTRY (self), NULL);
  g_return_val_if_fail (MCU_IS_ROOM (room), NULL);
  media = g_hash_table_lookup (self->media, room);
  if (media)
    return media;
  audio = mcu_audio_mix_new (mcu_room_get_name (room), &options, error);
  if (audio == NULL)
    return NULL;
  media = mcu_room_media_new (room, audio);
  g_hash_table_insert (self->media, room, media);
  g_object_weak_ref (G_OBJECT (room), on_room_gone, self);
  return media;
}

McuRoomMedia *
mcu_room_media_registry_lookup (McuRoomMediaRegistry *self, McuRoom *room)
{
  g_return_val_if_fail (MCU_IS_ROOM_MEDIA_REGISTRY (self), NULL);
  return room ? g_hash_table_lookup (self->media, room) : NULL;
}

McuAudioMix *
mcu_room_media_registry_get_audio_mix (
    McuRoomMediaRegistry *self, McuRoom *room)
{
  McuRoomMedia *media = mcu_room_media_registry_lookup (self, room);

  return media ? mcu_room_media_get_audio_mix (media) : NULL;
}

McuVideoMix *
mcu_room_media_registry_get_video_mix (
    McuRoomMediaRegistry *self, McuRoom *room)
{
  McuRoomMedia *media = mcu_room_media_registry_lookup (self, room);

  return media ? mcu_room_media_get_video_mix (media) : NULL;
}

McuCallLeg *
mcu_room_media_registry_find_leg (
    McuRoomMediaRegistry *self, McuParticipant *participant)
{
  McuRoomMedia *media = mcu_room_media_registry_lookup (
      self, mcu_participant_get_room (participant));

  return media ? mcu_room_media_get_leg (media, participant) : NULL;
}
