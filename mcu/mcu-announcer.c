/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuAnnouncer (see mcu-announcer.h). Main thread only.
 *
 * A room's McuAudioMix is the room's user data while anyone's audio is in
 * it. Each prompt started here is remembered (Pending) until the mix's
 * "prompt-done", or until the mix goes away (weak reference: an emptied
 * room drops its mix and its prompts with it), so the event stream always
 * gets its "done". Prompt ids are per mix: a Pending is keyed by both. */
#include "mcu-announcer.h"
#include "mcu-prompts.h"

typedef struct
{
  McuAudioMix *mix; /* (weak) */
  guint id;
  McuRoom *room;
  McuParticipant *participant; /* (nullable) */
  gchar *label;
} Pending;

struct _McuAnnouncer
{
  GObject parent_instance;

  const McuConfig *config;
  McuRoomDirectory *rooms;
  McuRoomMediaRegistry *media; /* (weak) outlives us */
  McuEvents *events;
  McuPromptCache *cache;
  GPtrArray *pending; /* Pending * */
  GHashTable *mixes;  /* McuAudioMix * (weak) watched -> handler id */
};

G_DEFINE_FINAL_TYPE (McuAnnouncer, mcu_announcer, G_TYPE_OBJECT)

static void on_mix_gone (gpointer data, GObject *where_the_mix_was);

static void
pending_free (gpointer data)
{
  Pending *p = data;

  g_object_unref (p->room);
  g_clear_object (&p->participant);
  g_free (p->label);
  g_free (p);
}

static void
emit (McuAnnouncer *self, Pending *p, const gchar *state, gint completed)
{
  g_autoptr (GString) fields = g_string_new (NULL);
  g_autofree gchar *label = g_strescape (p->label, NULL);

  g_string_append_printf (fields,
      "\"prompt_id\":%u,\"prompt\":\"%s\",\"state\":\"%s\"", p->id, label,
      state);
  if (completed >= 0)
    g_string_append_printf (
        fields, ",\"completed\":%s", completed ? "true" : "false");
  mcu_events_emit (
      self->events, "announcement", p->room, p->participant, fields->str);
}

static void
mcu_announcer_dispose (GObject *object)
{
  McuAnnouncer *self = MCU_ANNOUNCER (object);

  if (self->mixes) {
    GHashTableIter iter;
    gpointer mix, handler;

    g_hash_table_iter_init (&iter, self->mixes);
    while (g_hash_table_iter_next (&iter, &mix, &handler)) {
      g_signal_handler_disconnect (mix, GPOINTER_TO_SIZE (handler));
      g_object_weak_unref (mix, on_mix_gone, self);
    }
    g_clear_pointer (&self->mixes, g_hash_table_unref);
  }
  if (self->rooms)
    g_signal_handlers_disconnect_by_data (self->rooms, self);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_object (&self->cache);
  G_OBJECT_CLASS (mcu_announcer_parent_class)->dispose (object);
}

static void
mcu_announcer_class_init (McuAnnouncerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = mcu_announcer_dispose;
}

static void
mcu_announcer_init (McuAnnouncer *self)
{
  self->cache = mcu_prompt_cache_new ();
  self->pending = g_ptr_array_new_with_free_func (pending_free);
  self->mixes = g_hash_table_new (g_direct_hash, g_direct_equal);
}

static void
finish (McuAnnouncer *self, McuAudioMix *mix, guint id, gboolean completed)
{
  for (guint i = 0; i < self->pending->len; i++) {
    Pending *p = g_ptr_array_index (self->pending, i);

    if (p->mix == mix && p->id == id) {
      emit (self, p, "done", completed);
      g_ptr_array_remove_index (self->pending, i);
      return;
    }
  }
}

static void
on_prompt_done (
    McuAudioMix *mix, guint id, gboolean completed, McuAnnouncer *self)
{
  finish (self, mix, id, completed);
}

static void
on_mix_gone (gpointer data, GObject *where_the_mix_was)
{
  McuAnnouncer *self = data;

  g_hash_table_remove (self->mixes, where_the_mix_was);
  for (guint i = self->pending->len; i > 0; i--) {
    Pending *p = g_ptr_array_index (self->pending, i - 1);

    if ((GObject *)p->mix == where_the_mix_was) {
      emit (self, p, "done", FALSE);
      g_ptr_array_remove_index (self->pending, i - 1);
    }
  }
}

static void
watch_mix (McuAnnouncer *self, McuAudioMix *mix)
{
  gulong handler;

  if (g_hash_table_contains (self->mixes, mix))
    return;
  handler =
      g_signal_connect (mix, "prompt-done", G_CALLBACK (on_prompt_done), self);
  g_object_weak_ref (G_OBJECT (mix), on_mix_gone, self);
  g_hash_table_insert (self->mixes, mix, GSIZE_TO_POINTER (handler));
}

static guint
started (McuAnnouncer *self, McuAudioMix *mix, guint id, McuRoom *room,
    McuParticipant *participant, const gchar *label)
{
  Pending *p = g_new0 (Pending, 1);

  p->mix = mix;
  p->id = id;
  p->room = g_object_ref (room);
  p->participant = participant ? g_object_ref (participant) : NULL;
  p->label = g_strdup (label);
  g_ptr_array_add (self->pending, p);
  emit (self, p, "started", -1);
  return id;
}

guint
mcu_announcer_announce (McuAnnouncer *self, McuRoom *room, const gchar *file,
    const gchar *label, GError **error)
{
  McuAudioMix *mix = mcu_room_media_registry_get_audio_mix (self->media, room);
  const gchar *const files[] = { file, NULL };
  guint id;

  if (mix == NULL || mcu_audio_mix_get_n_sessions (mix) == 0) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_NO_SESSION,
        "nobody is listening in room %s", mcu_room_get_name (room));
    return 0;
  }
  watch_mix (self, mix);
  id = mcu_audio_mix_announce (mix, files, error);
  if (id == 0)
    return 0;
  return started (self, mix, id, room, NULL, label);
}

guint
mcu_announcer_play_to (McuAnnouncer *self, McuRoom *room,
    McuParticipant *participant, McuAudioMix *mix, McuMediaSession *session,
    const gchar *file, const gchar *label, McuPromptFlags flags, GError **error)
{
  const gchar *const files[] = { file, NULL };
  guint id;

  if (mix == NULL || session == NULL ||
      !mcu_audio_mix_contains (mix, session)) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_NO_SESSION,
        "participant %u has no audio in room %s",
        mcu_participant_get_id (participant), mcu_room_get_name (room));
    return 0;
  }
  watch_mix (self, mix);
  id = mcu_audio_mix_play_to (mix, session, files, flags, error);
  if (id == 0)
    return 0;
  return started (self, mix, id, room, participant, label);
}

gboolean
mcu_announcer_wants_join_tones (McuAnnouncer *self, McuRoom *room)
{
  return self->config->join_tones ||
         mcu_room_has_option (room, MCU_ROOM_OPTION_ANNOUNCE_JOIN_LEAVE);
}

/* ----- join and leave chimes ----- */

static void
chime (McuAnnouncer *self, McuRoom *room, const gchar *name)
{
  g_autofree gchar *file = NULL;
  g_autoptr (GError) error = NULL;
  McuAudioMix *mix = mcu_room_media_registry_get_audio_mix (self->media, room);

  /* nobody (else) left to hear it */
  if (!mcu_announcer_wants_join_tones (self, room) || mix == NULL ||
      mcu_room_get_n_participants (room) == 0 ||
      mcu_audio_mix_get_n_sessions (mix) == 0)
    return;
  file = mcu_prompts_path (self->config, room, name);
  if (file == NULL)
    return; /* reported at start */
  if (mcu_announcer_announce (self, room, file, name, &error) == 0)
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "MCU_ROOM",
        mcu_room_get_name (room), "MESSAGE", "no %s in room %s: %s", name,
        mcu_room_get_name (room), error->message);
}

static void
on_participant_added (
    McuRoom *room, McuParticipant *participant, McuAnnouncer *self)
{
  /* a caller entering the PIN or waiting is chimed in by its controls
   * when it joins */
  if (mcu_participant_get_state (participant) == MCU_PARTICIPANT_STATE_JOINED)
    chime (self, room, "join-tone");
}

static void
on_participant_removed (
    McuRoom *room, McuParticipant *participant, McuAnnouncer *self)
{
  if (mcu_participant_get_state (participant) == MCU_PARTICIPANT_STATE_JOINED)
    chime (self, room, "leave-tone");
}

static void
on_room_opened (McuRoomDirectory *rooms, McuRoom *room, McuAnnouncer *self)
{
  g_signal_connect_object (
      room, "participant-added", G_CALLBACK (on_participant_added), self, 0);
  g_signal_connect_object (room, "participant-removed",
      G_CALLBACK (on_participant_removed), self, 0);
}

McuAnnouncer *
mcu_announcer_new (const McuConfig *config, McuRoomDirectory *rooms,
    McuRoomMediaRegistry *media, McuEvents *events)
{
  McuAnnouncer *self = g_object_new (MCU_TYPE_ANNOUNCER, NULL);
  g_autoptr (GList) open = mcu_room_directory_list (rooms);

  self->config = config;
  self->rooms = rooms;
  self->media = media;
  self->events = events;
  g_signal_connect (rooms, "room-opened", G_CALLBACK (on_room_opened), self);
  for (GList *l = open; l; l = l->next)
    on_room_opened (rooms, l->data, self);
  return self;
}

McuPromptCache *
mcu_announcer_get_cache (McuAnnouncer *self)
{
  return self->cache;
}
