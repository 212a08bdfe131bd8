/* SPDX-License-Identifier: LGPL-2.1-or-later
 * McuRoomMedia and its registry: a room's media is made once, found by
 * room and participant, leaves the registry when the room closes (or is
 * dropped) while whoever holds it keeps it, and lets go of the audio mix's
 * signals when it goes. */
#include "mcu-room-media-registry.h"

#include <gst/gst.h>

typedef struct
{
  McuConfig *config;
  McuRoomDirectory *rooms;
  McuRoomMediaRegistry *registry;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->config = mcu_config_new_default ();
  f->rooms = mcu_room_directory_new (TRUE, 10);
  f->registry = mcu_room_media_registry_new (f->config, f->rooms);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->registry);
  g_clear_object (&f->rooms);
  mcu_config_free (f->config);
}

/* One media per room; the leg map answers by participant. */
static void
test_open_and_find (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  McuRoom *room = mcu_room_directory_open (f->rooms, "r1", &error);
  McuRoom *other = mcu_room_directory_open (f->rooms, "r2", &error);
  McuParticipant *p = mcu_room_add_participant (room, "A", "sip:a@x", &error);
  McuRoomMedia *media;
  gint leg_a, leg_b; /* stand-ins: the map never looks inside a leg */

  g_assert_no_error (error);
  g_assert_null (mcu_room_media_registry_lookup (f->registry, room));
  g_assert_null (mcu_room_media_registry_get_audio_mix (f->registry, room));
  media = mcu_room_media_registry_open (f->registry, room, &error);
  g_assert_no_error (error);
  g_assert_nonnull (media);
  g_assert_true (
      mcu_room_media_registry_open (f->registry, room, NULL) == media);
  g_assert_true (mcu_room_media_registry_lookup (f->registry, room) == media);
  g_assert_null (mcu_room_media_registry_lookup (f->registry, other));
  g_assert_true (mcu_room_media_get_room (media) == room);
  g_assert_nonnull (mcu_room_media_get_audio_mix (media));
  g_assert_null (mcu_room_media_get_video_mix (media));

  g_assert_null (mcu_room_media_registry_find_leg (f->registry, p));
  mcu_room_media_add_leg (media, p, (McuCallLeg *)&leg_a);
  g_assert_true (mcu_room_media_registry_find_leg (f->registry, p) ==
                 (McuCallLeg *)&leg_a);
  mcu_room_media_add_leg (media, p, (McuCallLeg *)&leg_b);
  g_assert_true (mcu_room_media_get_leg (media, p) == (McuCallLeg *)&leg_b);
  mcu_room_media_remove_leg (media, p);
  g_assert_null (mcu_room_media_get_leg (media, p));

  mcu_room_media_set_session_participant (media, (McuMediaSession *)&leg_a, 7);
  g_assert_cmpuint (
      mcu_room_media_get_session_participant (media, (McuMediaSession *)&leg_a),
      ==, 7);
  mcu_room_media_set_session_participant (media, (McuMediaSession *)&leg_a, 0);
  g_assert_cmpuint (
      mcu_room_media_get_session_participant (media, (McuMediaSession *)&leg_a),
      ==, 0);
}

/* The room's last caller leaves: the registry lets go of the media; a leg
 * that still holds it keeps it, a recorder that holds the mix keeps the mix,
 * and the media's hooks on the mix are gone with it. */
static void
test_room_close (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  McuRoom *room = mcu_room_directory_open (f->rooms, "r1", &error);
  g_autoptr (McuRoom) hold_room = g_object_ref (room);
  McuParticipant *p = mcu_room_add_participant (room, "A", "sip:a@x", &error);
  McuRoomMedia *media =
      mcu_room_media_registry_open (f->registry, room, &error);
  McuRoomMedia *held = g_object_ref (media); /* a leaving leg */
  McuAudioMix *audio = g_object_ref (mcu_room_media_get_audio_mix (media));

  g_assert_no_error (error);
  g_object_add_weak_pointer (G_OBJECT (media), (gpointer *)&media);
  g_assert_true (g_signal_has_handler_pending (audio,
                     g_signal_lookup ("talking", G_TYPE_FROM_INSTANCE (audio)),
                     0, FALSE) == FALSE);

  mcu_room_remove_participant (room, p); /* the last: the room closes */
  g_assert_cmpint (mcu_room_get_state (room), ==, MCU_ROOM_STATE_CLOSED);
  g_assert_null (mcu_room_media_registry_lookup (f->registry, room));
  g_assert_nonnull (media); /* held */
  g_assert_true (mcu_room_media_get_audio_mix (held) == audio);
  g_object_unref (held);
  g_assert_null (media);

  /* the next caller of that name gets a new room and new media */
  room = mcu_room_directory_open (f->rooms, "r1", &error);
  g_assert_true (room != hold_room);
  g_assert_true (mcu_audio_mix_get_n_sessions (audio) == 0);
  media = mcu_room_media_registry_open (f->registry, room, &error);
  g_assert_no_error (error);
  g_assert_true (mcu_room_media_get_audio_mix (media) != audio);
  g_object_unref (audio);
}

/* Video: made once, on demand; follows talking only while the media
 * lives. */
static void
test_video_and_hooks (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  McuRoom *room = mcu_room_directory_open (f->rooms, "v1", &error);
  McuParticipant *p = mcu_room_add_participant (room, "A", "sip:a@x", &error);
  McuRoomMedia *media =
      mcu_room_media_registry_open (f->registry, room, &error);
  McuAudioMix *audio = g_object_ref (mcu_room_media_get_audio_mix (media));
  guint talking = g_signal_lookup ("talking", G_TYPE_FROM_INSTANCE (audio));
  McuVideoMix *video;

  g_assert_no_error (error);
  video = mcu_room_media_ensure_video_mix (media, f->config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (video);
  g_assert_true (
      mcu_room_media_ensure_video_mix (media, f->config, NULL) == video);
  g_assert_true (
      mcu_room_media_registry_get_video_mix (f->registry, room) == video);
  g_assert_true (g_signal_has_handler_pending (audio, talking, 0, FALSE));

  g_object_add_weak_pointer (G_OBJECT (video), (gpointer *)&video);
  mcu_room_remove_participant (room, p); /* closes: the media goes */
  g_assert_null (video);
  /* a recorder may keep the mix: nothing of the media may stay on it */
  g_assert_false (g_signal_has_handler_pending (audio, talking, 0, FALSE));
  g_object_unref (audio);
}

/* The directory goes first (shutdown): the rooms' media go with the rooms
 * and the registry outlives them safely. */
static void
test_directory_first (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  McuRoomSettings settings = { .max_participants = 5, .self_view = TRUE };
  McuRoom *room =
      mcu_room_directory_create (f->rooms, "kept", &settings, &error);
  McuRoomMedia *media;

  g_assert_no_error (error);
  media = mcu_room_media_registry_open (f->registry, room, &error);
  g_assert_no_error (error);
  g_object_add_weak_pointer (G_OBJECT (media), (gpointer *)&media);
  g_clear_object (&f->rooms);
  g_assert_null (media);
  g_clear_object (&f->registry);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/room-media/open-and-find", Fixture, NULL, fixture_set_up,
      test_open_and_find, fixture_tear_down);
  g_test_add ("/room-media/room-close", Fixture, NULL, fixture_set_up,
      test_room_close, fixture_tear_down);
  g_test_add ("/room-media/video-and-hooks", Fixture, NULL, fixture_set_up,
      test_video_and_hooks, fixture_tear_down);
  g_test_add ("/room-media/directory-first", Fixture, NULL, fixture_set_up,
      test_directory_first, fixture_tear_down);
  return g_test_run ();
}
