/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for rooms/: the PIN-entry state machine (driven by a fake
 * clock), roles from PINs, room options. */
#include "mcu-rooms.h"

#define SEC G_USEC_PER_SEC

typedef struct
{
  McuRoomDirectory *dir;
  McuRoom *room; /* guest PIN 1234, moderator PIN 9999 */
  McuIvr *ivr;
  gint64 now;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  McuRoomSettings s = {
    .pin = "1234", .moderator_pin = "9999", .self_view = TRUE
  };
  g_autoptr (GError) error = NULL;

  (void)data;
  f->dir = mcu_room_directory_new (FALSE, 0);
  f->room = mcu_room_directory_create (f->dir, "pinroom", &s, &error);
  g_assert_no_error (error);
  f->ivr = mcu_ivr_new (f->room, NULL);
  f->now = 1000 * SEC;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  (void)data;
  g_clear_object (&f->ivr);
  g_clear_object (&f->dir);
}

/* The actions as text: "play:welcome,enter-pin stop admit:moderator
 * hangup", freed by the caller. */
static gchar *
describe (GArray *actions)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < actions->len; i++) {
    McuIvrAction *a = &g_array_index (actions, McuIvrAction, i);

    if (s->len)
      g_string_append_c (s, ' ');
    switch (a->type) {
      case MCU_IVR_ACTION_PLAY:
        g_string_append (s, "play:");
        for (guint j = 0; a->prompts[j]; j++)
          g_string_append_printf (s, "%s%s", j ? "," : "", a->prompts[j]);
        break;
      case MCU_IVR_ACTION_STOP_PROMPT:
        g_string_append (s, "stop");
        break;
      case MCU_IVR_ACTION_ADMIT:
        g_string_append_printf (
            s, "admit:%s", mcu_participant_role_to_string (a->role));
        break;
      case MCU_IVR_ACTION_HANGUP:
        g_string_append (s, "hangup");
        break;
    }
  }
  g_array_unref (actions);
  return g_string_free (s, FALSE);
}

#define assert_actions(call, expected)        \
  G_STMT_START                                \
  {                                           \
    g_autofree gchar *got_ = describe (call); \
    g_assert_cmpstr (got_, ==, expected);     \
  }                                           \
  G_STMT_END

static void
keys (Fixture *f, const gchar *digits, const gchar *last_expected)
{
  for (const gchar *d = digits; *d; d++) {
    gchar one[2] = { *d, 0 };
    g_autofree gchar *got = describe (mcu_ivr_digit (f->ivr, one, f->now));

    f->now += SEC / 2;
    if (d[1] == '\0')
      g_assert_cmpstr (got, ==, last_expected);
  }
}

static void
start_and_listen (Fixture *f)
{
  assert_actions (mcu_ivr_start (f->ivr, f->now), "play:welcome,enter-pin");
  g_assert_cmpint (mcu_ivr_get_state (f->ivr), ==, MCU_IVR_STATE_PROMPTING);
  f->now += 4 * SEC;
  assert_actions (mcu_ivr_prompt_done (f->ivr, f->now), "");
  g_assert_cmpint (mcu_ivr_get_state (f->ivr), ==, MCU_IVR_STATE_WAITING_FIRST);
  g_assert_cmpint (mcu_ivr_get_deadline (f->ivr), ==, f->now + 10 * SEC);
}

static void
test_guest_pin (Fixture *f, gconstpointer data)
{
  (void)data;
  start_and_listen (f);
  keys (f, "1234#", "admit:guest");
  g_assert_cmpint (mcu_ivr_get_state (f->ivr), ==, MCU_IVR_STATE_ADMITTED);
  g_assert_cmpint (mcu_ivr_get_deadline (f->ivr), ==, 0);
  /* keys after admission mean nothing here */
  assert_actions (mcu_ivr_digit (f->ivr, "5", f->now), "");
}

static void
test_moderator_pin (Fixture *f, gconstpointer data)
{
  (void)data;
  start_and_listen (f);
  keys (f, "9999#", "admit:moderator");
}

/* Keys during the prompt stop it (barge-in); the entry goes on. */
static void
test_barge_in (Fixture *f, gconstpointer data)
{
  (void)data;
  assert_actions (mcu_ivr_start (f->ivr, f->now), "play:welcome,enter-pin");
  assert_actions (mcu_ivr_digit (f->ivr, "1", f->now), "stop");
  g_assert_cmpint (mcu_ivr_get_state (f->ivr), ==, MCU_IVR_STATE_COLLECTING);
  /* the stopped prompt's end changes nothing */
  assert_actions (mcu_ivr_prompt_done (f->ivr, f->now), "");
  keys (f, "234#", "admit:guest");
}

/* The inter-digit timeout takes the PIN as it is. */
static void
test_inter_digit_timeout (Fixture *f, gconstpointer data)
{
  (void)data;
  start_and_listen (f);
  keys (f, "9999", "");
  g_assert_cmpint (
      mcu_ivr_get_deadline (f->ivr), ==, f->now - SEC / 2 + 5 * SEC);
  /* early: nothing */
  assert_actions (mcu_ivr_timeout (f->ivr, f->now + 4 * SEC), "");
  assert_actions (mcu_ivr_timeout (f->ivr, mcu_ivr_get_deadline (f->ivr)),
      "admit:moderator");
}

/* Three wrong PINs: wrong-pin twice, goodbye, hang up after it. */
static void
test_three_wrong (Fixture *f, gconstpointer data)
{
  (void)data;
  start_and_listen (f);
  keys (f, "1111#", "play:wrong-pin");
  g_assert_cmpuint (mcu_ivr_get_tries (f->ivr), ==, 1);
  assert_actions (mcu_ivr_prompt_done (f->ivr, f->now), "");
  keys (f, "#", "play:wrong-pin"); /* empty */
  assert_actions (mcu_ivr_prompt_done (f->ivr, f->now), "");
  keys (f, "12345#", "play:goodbye");
  g_assert_cmpint (mcu_ivr_get_state (f->ivr), ==, MCU_IVR_STATE_GOODBYE);
  /* keys during goodbye do nothing */
  assert_actions (mcu_ivr_digit (f->ivr, "1", f->now), "");
  assert_actions (mcu_ivr_prompt_done (f->ivr, f->now), "hangup");
  g_assert_cmpint (mcu_ivr_get_state (f->ivr), ==, MCU_IVR_STATE_HUNG_UP);
  assert_actions (mcu_ivr_prompt_done (f->ivr, f->now), "");
}

/* Silence: each first-digit timeout is a try; then goodbye. A goodbye
 * that never reports its end still hangs up (prompt timeout). */
static void
test_first_digit_timeouts (Fixture *f, gconstpointer data)
{
  (void)data;
  start_and_listen (f);
  f->now += 10 * SEC;
  assert_actions (mcu_ivr_timeout (f->ivr, f->now), "play:enter-pin");
  assert_actions (mcu_ivr_prompt_done (f->ivr, f->now), "");
  f->now += 10 * SEC;
  assert_actions (mcu_ivr_timeout (f->ivr, f->now), "play:enter-pin");
  assert_actions (mcu_ivr_prompt_done (f->ivr, f->now), "");
  f->now += 10 * SEC;
  assert_actions (mcu_ivr_timeout (f->ivr, f->now), "play:goodbye");
  assert_actions (mcu_ivr_timeout (f->ivr, f->now + 59 * SEC), "");
  assert_actions (mcu_ivr_timeout (f->ivr, f->now + 60 * SEC), "hangup");
}

/* A prompt whose end is never reported does not stall the IVR. */
static void
test_prompt_timeout (Fixture *f, gconstpointer data)
{
  (void)data;
  assert_actions (mcu_ivr_start (f->ivr, f->now), "play:welcome,enter-pin");
  assert_actions (mcu_ivr_timeout (f->ivr, f->now + 60 * SEC), "");
  g_assert_cmpint (mcu_ivr_get_state (f->ivr), ==, MCU_IVR_STATE_WAITING_FIRST);
}

/* More than 16 digits is a wrong PIN at once; * starts over. */
static void
test_too_long_and_star (Fixture *f, gconstpointer data)
{
  (void)data;
  start_and_listen (f);
  keys (f, "12341234123412341", "play:wrong-pin");
  g_assert_cmpuint (mcu_ivr_get_tries (f->ivr), ==, 1);
  assert_actions (mcu_ivr_prompt_done (f->ivr, f->now), "");
  keys (f, "55*", "");
  keys (f, "AB", ""); /* ignored */
  keys (f, "1234#", "admit:guest");
}

static void
test_bad_digits_ignored (Fixture *f, gconstpointer data)
{
  (void)data;
  start_and_listen (f);
  assert_actions (mcu_ivr_digit (f->ivr, "12", f->now), "");
  assert_actions (mcu_ivr_digit (f->ivr, "", f->now), "");
  assert_actions (mcu_ivr_digit (f->ivr, "x", f->now), "");
  g_assert_cmpint (mcu_ivr_get_state (f->ivr), ==, MCU_IVR_STATE_WAITING_FIRST);
}

static void
test_custom_settings (void)
{
  g_autoptr (McuRoomDirectory) dir = mcu_room_directory_new (FALSE, 0);
  McuRoomSettings s = { .pin = "42" };
  McuRoom *room = mcu_room_directory_create (dir, "r", &s, NULL);
  McuIvrSettings settings;
  g_autoptr (McuIvr) ivr = NULL;
  g_autofree gchar *got = NULL;

  mcu_ivr_settings_init (&settings);
  settings.max_tries = 1;
  settings.max_digits = 2;
  ivr = mcu_ivr_new (room, &settings);
  g_array_unref (mcu_ivr_start (ivr, 0));
  got = describe (mcu_ivr_digit (ivr, "4", 0));
  g_free (got);
  got = describe (mcu_ivr_digit (ivr, "3", 0));
  g_free (got);
  got = describe (mcu_ivr_digit (ivr, "#", 0));
  g_assert_cmpstr (got, ==, "play:goodbye");
}

/* Roles from PINs, with and without a guest PIN. */
static void
test_pin_roles (void)
{
  g_autoptr (McuRoomDirectory) dir = mcu_room_directory_new (FALSE, 0);
  McuRoomSettings both = { .pin = "1234", .moderator_pin = "9999" };
  McuRoomSettings mod_only = { .moderator_pin = "9999" };
  McuRoom *room = mcu_room_directory_create (dir, "a", &both, NULL);
  McuParticipantRole role = 77;

  g_assert_true (mcu_room_check_pin_role (room, "1234", &role));
  g_assert_cmpint (role, ==, MCU_PARTICIPANT_ROLE_GUEST);
  g_assert_true (mcu_room_check_pin_role (room, "9999", &role));
  g_assert_cmpint (role, ==, MCU_PARTICIPANT_ROLE_MODERATOR);
  g_assert_false (mcu_room_check_pin_role (room, NULL, &role));
  g_assert_false (mcu_room_check_pin_role (room, "", &role));
  g_assert_false (mcu_room_check_pin_role (room, "99999", &role));
  g_assert_cmpstr (mcu_room_get_moderator_pin (room), ==, "9999");

  room = mcu_room_directory_create (dir, "b", &mod_only, NULL);
  g_assert_true (mcu_room_check_pin_role (room, NULL, &role));
  g_assert_cmpint (role, ==, MCU_PARTICIPANT_ROLE_GUEST);
  g_assert_true (mcu_room_check_pin_role (room, "9999", &role));
  g_assert_cmpint (role, ==, MCU_PARTICIPANT_ROLE_MODERATOR);
}

static void
count_notify (GObject *obj, GParamSpec *pspec, guint *n)
{
  (void)obj;
  (void)pspec;
  (*n)++;
}

static void
count_member (McuRoom *room, McuParticipant *p, guint *n)
{
  (void)room;
  (void)p;
  (*n)++;
}

static void
test_options_and_roles (void)
{
  g_autoptr (McuRoomDirectory) dir = mcu_room_directory_new (FALSE, 0);
  McuRoomSettings s = { .options = MCU_ROOM_OPTION_MUTE_GUESTS |
                                   MCU_ROOM_OPTION_WAIT_FOR_MODERATOR };
  McuRoom *room;
  McuParticipant *a, *b;
  guint notified = 0;

  mcu_room_directory_add_template_full (dir, "t", &s);
  room = mcu_room_directory_open (dir, "t", NULL);
  g_assert_true (mcu_room_has_option (room, MCU_ROOM_OPTION_MUTE_GUESTS));
  g_assert_true (
      mcu_room_has_option (room, MCU_ROOM_OPTION_WAIT_FOR_MODERATOR));
  g_assert_false (mcu_room_has_option (room, MCU_ROOM_OPTION_ANNOUNCE_ALONE));
  g_signal_connect (
      room, "notify::options", G_CALLBACK (count_notify), &notified);
  mcu_room_set_options (room, MCU_ROOM_OPTION_ANNOUNCE_ALONE);
  mcu_room_set_options (room, MCU_ROOM_OPTION_ANNOUNCE_ALONE);
  g_assert_cmpuint (notified, ==, 1);

  for (guint i = 0; i < MCU_ROOM_N_OPTIONS; i++)
    g_assert_cmpuint (
        mcu_room_option_from_name (mcu_room_option_name (i)), ==, 1u << i);
  g_assert_cmpuint (mcu_room_option_from_name ("end_when_moderator_leaves"), ==,
      MCU_ROOM_OPTION_END_WHEN_MODERATOR_LEAVES);
  g_assert_cmpuint (mcu_room_option_from_name ("nope"), ==, 0);
  g_assert_cmpuint (mcu_room_option_from_name (NULL), ==, 0);

  a = mcu_room_add_participant (room, "A", "sip:a@x", NULL);
  b = mcu_room_add_participant (room, "B", "sip:b@x", NULL);
  g_assert_cmpint (
      mcu_participant_get_role (a), ==, MCU_PARTICIPANT_ROLE_GUEST);
  notified = 0;
  g_signal_connect (a, "notify::role", G_CALLBACK (count_notify), &notified);
  mcu_participant_set_role (a, MCU_PARTICIPANT_ROLE_MODERATOR);
  mcu_participant_set_role (a, MCU_PARTICIPANT_ROLE_MODERATOR);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpuint (
      mcu_room_count_role (room, MCU_PARTICIPANT_ROLE_MODERATOR, FALSE), ==, 1);
  g_assert_cmpuint (
      mcu_room_count_role (room, MCU_PARTICIPANT_ROLE_GUEST, FALSE), ==, 1);
  g_assert_cmpstr (
      mcu_participant_role_to_string (mcu_participant_get_role (b)), ==,
      "guest");
  mcu_room_remove_participant (room, a);
  g_assert_cmpuint (
      mcu_room_count_role (room, MCU_PARTICIPANT_ROLE_MODERATOR, FALSE), ==, 0);
  /* held out (PIN entry, waiting): not joined; "member-changed" tells */
  notified = 0;
  g_signal_connect (
      room, "member-changed", G_CALLBACK (count_member), &notified);
  mcu_participant_set_state (b, MCU_PARTICIPANT_STATE_WAITING);
  g_assert_cmpuint (mcu_room_count_joined (room), ==, 0);
  g_assert_cmpuint (
      mcu_room_count_role (room, MCU_PARTICIPANT_ROLE_GUEST, TRUE), ==, 0);
  mcu_participant_set_role (b, MCU_PARTICIPANT_ROLE_MODERATOR);
  mcu_participant_set_state (b, MCU_PARTICIPANT_STATE_JOINED);
  g_assert_cmpuint (notified, ==, 3);
  g_assert_cmpuint (mcu_room_count_joined (room), ==, 1);
  g_assert_cmpstr (
      mcu_participant_state_to_string (MCU_PARTICIPANT_STATE_PIN_ENTRY), ==,
      "pin-entry");
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ADD ("/rooms/ivr/guest-pin", test_guest_pin);
  ADD ("/rooms/ivr/moderator-pin", test_moderator_pin);
  ADD ("/rooms/ivr/barge-in", test_barge_in);
  ADD ("/rooms/ivr/inter-digit-timeout", test_inter_digit_timeout);
  ADD ("/rooms/ivr/three-wrong-goodbye", test_three_wrong);
  ADD ("/rooms/ivr/first-digit-timeouts", test_first_digit_timeouts);
  ADD ("/rooms/ivr/prompt-timeout", test_prompt_timeout);
  ADD ("/rooms/ivr/too-long-and-star", test_too_long_and_star);
  ADD ("/rooms/ivr/bad-digits-ignored", test_bad_digits_ignored);
  g_test_add_func ("/rooms/ivr/custom-settings", test_custom_settings);
  g_test_add_func ("/rooms/pin/roles", test_pin_roles);
  g_test_add_func ("/rooms/options/flags-and-roles", test_options_and_roles);
  return g_test_run ();
}
