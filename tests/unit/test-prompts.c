/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for prompt names and directories (mcu-prompts.c) and their
 * config keys: [prompts] dir=, [room:NAME] prompts=, [rooms] join-tones=. */
#include "mcu-config.h"
#include "mcu-prompts.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct
{
  gchar *dir;  /* a temporary directory: global/ and room/ */
  gchar *conf; /* a config file name inside it */
} Fixture;

/* The missing-prompt warnings are expected here: count them, do not abort
 * (G_DEBUG=fatal-warnings). */
static guint n_missing_warnings; /* test-only state */

static GLogWriterOutput
counting_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
    gpointer user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0 &&
        g_str_has_prefix (fields[i].value, "prompts: ")) {
      n_missing_warnings++;
      return G_LOG_WRITER_HANDLED;
    }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static void
touch (const gchar *dir, const gchar *name)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, "RIFF", -1, NULL));
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autofree gchar *global = NULL, *room = NULL, *sub = NULL;

  f->dir = g_dir_make_tmp ("mcu-prompts-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  f->conf = g_build_filename (f->dir, "mcu.conf", NULL);
  global = g_build_filename (f->dir, "global", NULL);
  room = g_build_filename (f->dir, "room", NULL);
  sub = g_build_filename (global, "extra", NULL);
  g_assert_cmpint (g_mkdir (global, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (room, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);
  touch (global, "welcome.wav");
  touch (global, "muted.wav");
  touch (room, "welcome.wav");
  touch (sub, "jingle.wav");
}

static void
remove_tree (const gchar *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir))) {
    g_autofree gchar *child = g_build_filename (path, name, NULL);

    if (g_file_test (child, G_FILE_TEST_IS_DIR))
      remove_tree (child);
    else
      g_unlink (child);
  }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->conf);
}

static McuConfig *
load (Fixture *f, const gchar *text, GError **error)
{
  return mcu_config_load_data (text, f->conf, error);
}

static void
test_defaults (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuConfig) c = load (f, "", &error);
  g_autofree gchar *dir = mcu_prompts_default_dir ();
  g_autofree gchar *welcome = NULL;

  g_assert_no_error (error);
  g_assert_null (c->prompts_dir);
  g_assert_false (c->join_tones);
  /* the build tree finds the source tree's set (or an installed one) */
  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));
  welcome = mcu_prompts_path (c, NULL, "welcome");
  g_assert_nonnull (welcome);
  /* every shipped name is there */
  for (const gchar *const *n = mcu_prompts_names (); *n; n++) {
    g_autofree gchar *path = mcu_prompts_path (c, NULL, *n);

    g_assert_nonnull (path);
  }
  n_missing_warnings = 0;
  g_assert_cmpuint (mcu_prompts_log_missing (c), ==, 0);
  g_assert_cmpuint (n_missing_warnings, ==, 0);
}

static void
test_dirs (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  /* relative to the config file's directory */
  g_autoptr (McuConfig) c = load (f,
      "[prompts]\ndir=global\n[rooms]\njoin-tones=true\n"
      "[room:fr]\nprompts=room\n",
      &error);
  g_autoptr (McuRoomDirectory) rooms = mcu_room_directory_new (TRUE, 0);
  McuRoom *fr, *other;
  g_autofree gchar *global = g_build_filename (f->dir, "global", NULL);
  g_autofree gchar *p1 = NULL, *p2 = NULL, *p3 = NULL, *p4 = NULL, *p5 = NULL;

  g_assert_no_error (error);
  g_assert_true (c->join_tones);
  g_assert_cmpstr (c->prompts_dir, ==, global);
  fr = mcu_room_directory_create (rooms, "fr", NULL, &error);
  g_assert_no_error (error);
  other = mcu_room_directory_create (rooms, "other", NULL, &error);
  g_assert_no_error (error);

  /* the room's own first, then the global set */
  p1 = mcu_prompts_path (c, fr, "welcome");
  g_assert_true (g_str_has_suffix (p1, "/room/welcome.wav"));
  p2 = mcu_prompts_path (c, fr, "muted");
  g_assert_true (g_str_has_suffix (p2, "/global/muted.wav"));
  p3 = mcu_prompts_path (c, other, "welcome");
  g_assert_true (g_str_has_suffix (p3, "/global/welcome.wav"));
  g_assert_null (mcu_prompts_path (c, other, "goodbye"));
  n_missing_warnings = 0;
  g_assert_cmpuint (mcu_prompts_log_missing (c), ==,
      g_strv_length ((gchar **)mcu_prompts_names ()) - 2);
  /* the global set, and room fr's directory */
  g_assert_cmpuint (n_missing_warnings, ==, 2);

  /* names are names, files stay inside the directory */
  g_assert_null (mcu_prompts_path (c, NULL, "../global/welcome"));
  g_assert_null (mcu_prompts_path (c, NULL, "Welcome"));
  g_assert_null (mcu_prompts_path (c, NULL, ""));
  p4 = mcu_prompts_file (c, NULL, "extra/jingle.wav");
  g_assert_true (g_str_has_suffix (p4, "/global/extra/jingle.wav"));
  p5 = mcu_prompts_file (c, fr, "welcome.wav");
  g_assert_true (g_str_has_suffix (p5, "/room/welcome.wav"));
  g_assert_null (mcu_prompts_file (c, NULL, "../global/welcome.wav"));
  g_assert_null (mcu_prompts_file (c, NULL, "extra/../welcome.wav"));
  g_assert_null (mcu_prompts_file (c, NULL, global));
  g_assert_null (mcu_prompts_file (c, NULL, "extra"));
  g_assert_null (mcu_prompts_file (c, NULL, ".hidden.wav"));
  g_assert_null (mcu_prompts_file (c, NULL, "extra//jingle.wav"));
}

static void
test_errors (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuConfig) c1 = load (f, "[prompts]\ndir=nowhere\n", &error);
  g_autoptr (McuConfig) c2 = NULL, c3 = NULL, c4 = NULL;

  g_assert_null (c1);
  g_assert_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_BAD_VALUE);
  g_assert_true (strstr (error->message, "mcu.conf: [prompts] dir: ") != NULL);
  g_assert_true (strstr (error->message, "nowhere is not a directory") != NULL);
  g_clear_error (&error);

  c2 = load (f, "[room:x]\nprompts=global/welcome.wav\n", &error);
  g_assert_null (c2);
  g_assert_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_BAD_VALUE);
  g_assert_true (strstr (error->message, "[room:x] prompts: ") != NULL);
  g_clear_error (&error);

  c3 = load (f, "[prompts]\nlanguage=en\n", &error);
  g_assert_null (c3);
  g_assert_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_UNKNOWN_KEY);
  g_clear_error (&error);

  c4 = load (f, "[rooms]\njoin-tones=maybe\n", &error);
  g_assert_null (c4);
  g_assert_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_BAD_VALUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (counting_writer, NULL, NULL);
  g_test_add ("/prompts/defaults", Fixture, NULL, fixture_set_up, test_defaults,
      fixture_tear_down);
  g_test_add ("/prompts/dirs", Fixture, NULL, fixture_set_up, test_dirs,
      fixture_tear_down);
  g_test_add ("/prompts/errors", Fixture, NULL, fixture_set_up, test_errors,
      fixture_tear_down);
  return g_test_run ();
}
