/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for rooms/mcu-keymap: parsing, validation, matching. */
#include "mcu-rooms.h"

static void
test_defaults_parse (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuKeymap) caller =
      mcu_keymap_new_parse (MCU_KEYMAP_DEFAULT_CALLER, FALSE, &error);
  g_autoptr (McuKeymap) moderator = NULL;
  g_autoptr (McuKeymap) merged = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (mcu_keymap_get_n_bindings (caller), ==, 7);
  g_assert_cmpstr (
      mcu_keymap_lookup_keys (caller, MCU_KEY_ACTION_MUTE), ==, "0");
  g_assert_cmpstr (
      mcu_keymap_lookup_keys (caller, MCU_KEY_ACTION_HANGUP), ==, "#");
  g_assert_null (mcu_keymap_lookup_keys (caller, MCU_KEY_ACTION_LOCK));
  moderator = mcu_keymap_new_parse (MCU_KEYMAP_DEFAULT_MODERATOR, TRUE, &error);
  g_assert_no_error (error);
  merged = mcu_keymap_new_merged (caller, moderator);
  g_assert_cmpuint (mcu_keymap_get_n_bindings (merged), ==, 11);
  g_assert_cmpstr (
      mcu_keymap_lookup_keys (merged, MCU_KEY_ACTION_END), ==, "**");
}

static void
test_errors (void)
{
  static const struct
  {
    const gchar *spec;
    gboolean moderator;
    McuKeymapError code;
  } bad[] = {
    { "0", FALSE, MCU_KEYMAP_ERROR_SYNTAX },
    { "0=mute;1", FALSE, MCU_KEYMAP_ERROR_SYNTAX },
    { "=mute", FALSE, MCU_KEYMAP_ERROR_KEYS },
    { "1234=mute", FALSE, MCU_KEYMAP_ERROR_KEYS },
    { "x=mute", FALSE, MCU_KEYMAP_ERROR_KEYS },
    { "E=mute", FALSE, MCU_KEYMAP_ERROR_KEYS },
    { "0=shout", FALSE, MCU_KEYMAP_ERROR_ACTION },
    { "0=", FALSE, MCU_KEYMAP_ERROR_ACTION },
    { "0=mute;0=deaf", FALSE, MCU_KEYMAP_ERROR_DUPLICATE },
    { "7=lock", FALSE, MCU_KEYMAP_ERROR_NOT_ALLOWED },
    { "**=end", FALSE, MCU_KEYMAP_ERROR_NOT_ALLOWED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (McuKeymap) map =
        mcu_keymap_new_parse (bad[i].spec, bad[i].moderator, &error);

    g_test_message ("spec '%s'", bad[i].spec);
    g_assert_null (map);
    g_assert_error (error, MCU_KEYMAP_ERROR, (gint)bad[i].code);
  }
}

static void
test_spaces_and_empty (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuKeymap) empty = mcu_keymap_new_parse ("", FALSE, &error);
  g_autoptr (McuKeymap) spaced =
      mcu_keymap_new_parse (" 0 = mute ; ;# =hangup;", FALSE, &error);
  McuKeyAction action;

  g_assert_no_error (error);
  g_assert_cmpuint (mcu_keymap_get_n_bindings (empty), ==, 0);
  g_assert_cmpint (
      mcu_keymap_match (empty, "0", &action), ==, MCU_KEY_MATCH_NONE);
  g_assert_cmpuint (mcu_keymap_get_n_bindings (spaced), ==, 2);
  g_assert_cmpint (
      mcu_keymap_match (spaced, "#", &action), ==, MCU_KEY_MATCH_FULL);
  g_assert_cmpint (action, ==, MCU_KEY_ACTION_HANGUP);
}

/* "*" (deaf) and "**" (end): after "*" wait; "**" is full. */
static void
test_match_prefixes (void)
{
  g_autoptr (McuKeymap) caller =
      mcu_keymap_new_parse (MCU_KEYMAP_DEFAULT_CALLER, FALSE, NULL);
  g_autoptr (McuKeymap) moderator =
      mcu_keymap_new_parse (MCU_KEYMAP_DEFAULT_MODERATOR ";0=deaf", TRUE, NULL);
  g_autoptr (McuKeymap) merged = mcu_keymap_new_merged (caller, moderator);
  McuKeyAction action;

  g_assert_cmpint (
      mcu_keymap_match (caller, "*", &action), ==, MCU_KEY_MATCH_FULL);
  g_assert_cmpint (action, ==, MCU_KEY_ACTION_DEAF);
  g_assert_cmpint (
      mcu_keymap_match (merged, "*", &action), ==, MCU_KEY_MATCH_PARTIAL);
  g_assert_cmpint (action, ==, MCU_KEY_ACTION_DEAF);
  g_assert_cmpint (
      mcu_keymap_match (merged, "**", &action), ==, MCU_KEY_MATCH_FULL);
  g_assert_cmpint (action, ==, MCU_KEY_ACTION_END);
  g_assert_cmpint (
      mcu_keymap_match (merged, "*1", &action), ==, MCU_KEY_MATCH_NONE);
  g_assert_cmpint (
      mcu_keymap_match (merged, "2", &action), ==, MCU_KEY_MATCH_NONE);
  g_assert_cmpint (action, ==, MCU_KEY_ACTION_NONE);
  /* the moderator's binding wins a key both maps bind */
  g_assert_cmpint (
      mcu_keymap_match (merged, "0", &action), ==, MCU_KEY_MATCH_FULL);
  g_assert_cmpint (action, ==, MCU_KEY_ACTION_DEAF);
}

static void
test_action_names (void)
{
  g_assert_cmpstr (
      mcu_key_action_to_string (MCU_KEY_ACTION_MUTE_GUESTS), ==, "mute-guests");
  g_assert_null (mcu_key_action_to_string (MCU_KEY_ACTION_NONE));
  g_assert_null (mcu_key_action_to_string (99));
  g_assert_true (mcu_key_action_is_moderator_only (MCU_KEY_ACTION_END));
  g_assert_false (mcu_key_action_is_moderator_only (MCU_KEY_ACTION_HANGUP));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rooms/keymap/defaults", test_defaults_parse);
  g_test_add_func ("/rooms/keymap/errors", test_errors);
  g_test_add_func ("/rooms/keymap/spaces-and-empty", test_spaces_and_empty);
  g_test_add_func ("/rooms/keymap/prefixes", test_match_prefixes);
  g_test_add_func ("/rooms/keymap/action-names", test_action_names);
  return g_test_run ();
}
