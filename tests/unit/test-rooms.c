/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for rooms/: admission rules, closing, signals. */
#include "mcu-rooms.h"

static void
count_signal (gpointer instance, gpointer arg, guint *counter)
{
  (*counter)++;
}

/* For signals without arguments ("closed"). */
static void
count_plain (gpointer instance, guint *counter)
{
  (*counter)++;
}

static void
test_auto_create_off_unknown_room (void)
{
  g_autoptr (McuRoomDirectory) dir = mcu_room_directory_new (FALSE, 0);
  g_autoptr (GError) error = NULL;

  mcu_room_directory_add_template (dir, "9000", 2);
  g_assert_null (mcu_room_directory_open (dir, "1000", &error));
  g_assert_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_nonnull (mcu_room_directory_open (dir, "9000", &error));
  g_assert_no_error (error);
}

static void
test_invalid_names (void)
{
  g_assert_false (mcu_room_directory_is_valid_name (""));
  g_assert_false (mcu_room_directory_is_valid_name (NULL));
  g_assert_false (mcu_room_directory_is_valid_name ("a b"));
  g_assert_false (mcu_room_directory_is_valid_name ("../etc"));
  g_assert_false (
      mcu_room_directory_is_valid_name ("01234567890123456789012345678901234567"
                                        "89012345678901234567890123456789"));
  g_assert_false (mcu_room_directory_is_valid_name ("."));
  g_assert_false (mcu_room_directory_is_valid_name (".."));
  g_assert_false (mcu_room_directory_is_valid_name (".hidden"));
  g_assert_false (mcu_room_directory_is_valid_name ("a/b"));
  g_assert_false (mcu_room_directory_is_valid_name ("a\nb"));
  g_assert_true (mcu_room_directory_is_valid_name ("1000"));
  g_assert_true (mcu_room_directory_is_valid_name ("team-room_2.a"));
}

/* Preconfigured rooms are known before anyone opens them. */
static void
test_templates_listed (void)
{
  g_autoptr (McuRoomDirectory) dir = mcu_room_directory_new (FALSE, 0);
  McuRoomSettings lobby = {
    .max_participants = 3, .layout = "grid", .pin = "12", .self_view = TRUE
  };
  McuRoomSettings got;
  g_autoptr (GList) names = NULL;

  mcu_room_directory_add_template_full (dir, "lobby", &lobby);
  mcu_room_directory_add_template (dir, "annex", 0);
  names = mcu_room_directory_list_templates (dir);
  g_assert_cmpuint (g_list_length (names), ==, 2);
  g_assert_cmpstr (names->data, ==, "annex");
  g_assert_cmpstr (names->next->data, ==, "lobby");
  g_assert_true (mcu_room_directory_get_template (dir, "lobby", &got));
  g_assert_cmpuint (got.max_participants, ==, 3);
  g_assert_cmpstr (got.layout, ==, "grid");
  g_assert_cmpstr (got.pin, ==, "12");
  g_assert_false (mcu_room_directory_get_template (dir, "other", &got));
  g_assert_cmpuint (mcu_room_directory_get_n_rooms (dir), ==, 0);
}

static void
test_full_room (void)
{
  g_autoptr (McuRoomDirectory) dir = mcu_room_directory_new (TRUE, 0);
  g_autoptr (GError) error = NULL;
  McuRoom *room;

  mcu_room_directory_add_template (dir, "small", 2);
  room = mcu_room_directory_open (dir, "small", &error);
  g_assert_nonnull (room);
  g_assert_true (mcu_room_is_preconfigured (room));
  g_assert_nonnull (mcu_room_add_participant (room, "A", "sip:a@x", &error));
  g_assert_nonnull (mcu_room_add_participant (room, "B", "sip:b@x", &error));
  g_assert_null (mcu_room_add_participant (room, "C", "sip:c@x", &error));
  g_assert_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_FULL);
  g_assert_cmpuint (mcu_room_get_n_participants (room), ==, 2);
}

static void
test_default_limit_applies_to_adhoc_rooms (void)
{
  g_autoptr (McuRoomDirectory) dir = mcu_room_directory_new (TRUE, 1);
  g_autoptr (GError) error = NULL;
  McuRoom *room = mcu_room_directory_open (dir, "adhoc", &error);

  g_assert_false (mcu_room_is_preconfigured (room));
  g_assert_nonnull (mcu_room_add_participant (room, "A", "sip:a@x", &error));
  g_assert_null (mcu_room_add_participant (room, "B", "sip:b@x", &error));
  g_assert_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_FULL);
}

static void
test_locked_room (void)
{
  g_autoptr (McuRoomDirectory) dir = mcu_room_directory_new (TRUE, 0);
  g_autoptr (GError) error = NULL;
  McuRoom *room = mcu_room_directory_open (dir, "1000", &error);

  g_assert_nonnull (mcu_room_add_participant (room, "A", "sip:a@x", &error));
  mcu_room_set_locked (room, TRUE);
  g_assert_null (mcu_room_add_participant (room, "B", "sip:b@x", &error));
  g_assert_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_LOCKED);
}

static void
test_last_leaver_closes_room (void)
{
  g_autoptr (McuRoomDirectory) dir = mcu_room_directory_new (TRUE, 0);
  g_autoptr (GError) error = NULL;
  guint opened = 0, closed = 0, removed = 0;
  McuRoom *room, *again;
  McuParticipant *a, *b;

  g_signal_connect (dir, "room-opened", G_CALLBACK (count_signal), &opened);
  g_signal_connect (dir, "room-closed", G_CALLBACK (count_signal), &closed);
  room = mcu_room_directory_open (dir, "1000", &error);
  g_assert_true (mcu_room_directory_open (dir, "1000", &error) == room);
  g_assert_cmpuint (opened, ==, 1);
  g_signal_connect (
      room, "participant-removed", G_CALLBACK (count_signal), &removed);
  a = mcu_room_add_participant (room, "Alice", "sip:alice@x", &error);
  b = mcu_room_add_participant (room, "Bob", "sip:bob@x", &error);
  g_assert_cmpuint (mcu_participant_get_id (a), !=, mcu_participant_get_id (b));
  g_assert_true (mcu_participant_get_room (a) == room);
  g_assert_true (
      mcu_room_find_participant (room, mcu_participant_get_id (b)) == b);
  g_assert_cmpstr (mcu_participant_get_display_name (a), ==, "Alice");

  mcu_room_remove_participant (room, a);
  g_assert_cmpuint (removed, ==, 1);
  g_assert_cmpuint (closed, ==, 0);
  g_assert_cmpuint (mcu_room_directory_get_n_rooms (dir), ==, 1);
  mcu_room_remove_participant (room, b);
  g_assert_cmpuint (closed, ==, 1);
  g_assert_cmpuint (mcu_room_directory_get_n_rooms (dir), ==, 0);
  g_assert_null (mcu_room_directory_lookup (dir, "1000"));

  again = mcu_room_directory_open (dir, "1000", &error);
  g_assert_nonnull (again);
  g_assert_cmpuint (opened, ==, 2);
}

static void
test_persistent_room (void)
{
  g_autoptr (McuRoomDirectory) dir = mcu_room_directory_new (FALSE, 0);
  g_autoptr (GError) error = NULL;
  McuRoomSettings settings = {
    .max_participants = 3, .layout = "speaker", .pin = "4321", .self_view = TRUE
  };
  guint closed = 0, notified = 0;
  McuRoom *room;
  McuParticipant *p;

  room = mcu_room_directory_create (dir, "board", &settings, &error);
  g_assert_no_error (error);
  g_assert_true (mcu_room_get_persistent (room));
  g_assert_cmpstr (mcu_room_get_layout (room), ==, "speaker");
  g_assert_cmpuint (mcu_room_get_max_participants (room), ==, 3);
  g_assert_null (mcu_room_directory_create (dir, "board", &settings, &error));
  g_assert_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_null (mcu_room_directory_create (dir, "a b", &settings, &error));
  g_assert_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_INVALID);
  g_clear_error (&error);

  /* the PIN */
  g_assert_false (mcu_room_check_pin (room, NULL));
  g_assert_false (mcu_room_check_pin (room, "1234"));
  g_assert_true (mcu_room_check_pin (room, "4321"));

  /* empty again: stays open (it was not opened by a caller) */
  g_signal_connect (room, "closed", G_CALLBACK (count_plain), &closed);
  p = mcu_room_add_participant (room, "A", "sip:a@x", &error);
  mcu_room_remove_participant (room, p);
  g_assert_cmpuint (closed, ==, 0);
  g_assert_true (mcu_room_directory_lookup (dir, "board") == room);

  /* settings notify once per real change */
  g_signal_connect (room, "notify", G_CALLBACK (count_signal), &notified);
  mcu_room_set_locked (room, TRUE);
  mcu_room_set_locked (room, TRUE);
  mcu_room_set_layout (room, "grid");
  mcu_room_set_pin (room, "");
  g_assert_null (mcu_room_get_pin (room));
  g_assert_true (mcu_room_check_pin (room, NULL));
  g_assert_cmpuint (notified, ==, 3);
  g_assert_false (mcu_room_layout_is_valid ("mosaic"));

  /* closing: nobody joins, "closed" once everyone left */
  mcu_room_set_locked (room, FALSE);
  p = mcu_room_add_participant (room, "B", "sip:b@x", &error);
  g_assert_nonnull (p);
  mcu_room_close (room);
  g_assert_cmpuint (closed, ==, 0);
  g_assert_null (mcu_room_add_participant (room, "C", "sip:c@x", &error));
  g_assert_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_CLOSED);
  mcu_room_remove_participant (room, p);
  g_assert_cmpuint (closed, ==, 1);
  g_assert_null (mcu_room_directory_lookup (dir, "board"));
}

static void
test_participant_state (void)
{
  g_autoptr (McuParticipant) p = mcu_participant_new (7, "A", "sip:a@x");
  guint notified = 0;

  g_signal_connect (p, "notify", G_CALLBACK (count_signal), &notified);
  mcu_participant_set_deaf (p, TRUE);
  mcu_participant_set_talking (p, TRUE);
  mcu_participant_set_talking (p, TRUE);
  mcu_participant_set_video_muted (p, TRUE);
  mcu_participant_set_volume (p, 9.0);
  g_assert_true (mcu_participant_get_deaf (p));
  g_assert_true (mcu_participant_get_talking (p));
  g_assert_true (mcu_participant_get_video_muted (p));
  g_assert_cmpfloat (mcu_participant_get_volume (p), ==, 4.0);
  g_assert_cmpuint (notified, ==, 4);
}

/* Without a display name a participant is named by its URI's user part,
 * everywhere (tiles, API and logs all read this one name). */
static void
test_participant_name_from_uri (void)
{
  static const struct
  {
    const gchar *display, *uri, *name;
  } cases[] = {
    { "Alice", "sip:alice@example.org", "Alice" },
    { NULL, "sip:alice@example.org", "alice" },
    { "", "sip:bob@127.0.0.1:5062;transport=udp", "bob" },
    { "  ", "sips:carol@example.org", "carol" },
    { NULL, "sip:+4930123;phone-context=example.org@gw", "+4930123" },
    { NULL, "sip:j%20doe@example.org", "j doe" },
    { NULL, "tel:+4930123", "+4930123" },
    { NULL, "sip:127.0.0.1:5060", "127.0.0.1" },
    { NULL, "sip:%zz@h", "%zz" }, /* a bad escape stays as sent */
    { NULL, "", "" },
    { NULL, NULL, "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (McuParticipant) p =
        mcu_participant_new (1, cases[i].display, cases[i].uri);

    g_assert_cmpstr (mcu_participant_get_display_name (p), ==, cases[i].name);
  }
}

/* Through the room, as the daemon adds a caller whose From has no name. */
static void
test_room_participant_unnamed (void)
{
  g_autoptr (McuRoomDirectory) dir = mcu_room_directory_new (TRUE, 0);
  g_autoptr (GError) error = NULL;
  McuRoom *room = mcu_room_directory_open (dir, "1000", &error);
  McuParticipant *p;

  g_assert_no_error (error);
  p = mcu_room_add_participant (room, NULL, "sip:dave@10.0.0.1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mcu_participant_get_display_name (p), ==, "dave");
  g_assert_cmpstr (mcu_participant_get_uri (p), ==, "sip:dave@10.0.0.1");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rooms/auto-create-off/unknown-room-rejected",
      test_auto_create_off_unknown_room);
  g_test_add_func ("/rooms/names/invalid-rejected", test_invalid_names);
  g_test_add_func ("/rooms/templates/listed", test_templates_listed);
  g_test_add_func ("/rooms/limit/full-room-rejected", test_full_room);
  g_test_add_func ("/rooms/limit/default-applies-to-adhoc",
      test_default_limit_applies_to_adhoc_rooms);
  g_test_add_func ("/rooms/lock/locked-room-rejected", test_locked_room);
  g_test_add_func ("/rooms/persistent/create-pin-close", test_persistent_room);
  g_test_add_func ("/rooms/participant/state-notifies", test_participant_state);
  g_test_add_func (
      "/rooms/participant/name-from-uri", test_participant_name_from_uri);
  g_test_add_func (
      "/rooms/participant/unnamed-caller", test_room_participant_unnamed);
  g_test_add_func (
      "/rooms/close/last-leaver-closes-room", test_last_leaver_closes_room);
  return g_test_run ();
}
