/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: prompt names to files (see mcu-prompts.h). Main thread; plain
 * functions of the config, no state. */
#include "mcu-prompts.h"
#include "mcu-build-config.h"

#include <string.h>

static const gchar *const names[] = {
  "welcome",
  "enter-pin",
  "wrong-pin",
  "goodbye",
  "locked",
  "only-participant",
  "muted",
  "unmuted",
  "ends-in-1-minute",
  "ends-in-5-minutes",
  "ends-in-10-minutes",
  "meeting-ended",
  "waiting-for-moderator",
  "join-tone",
  "leave-tone",
  "recording-started",
  "moderator-joined",
  "room-locked-now",
  "room-unlocked-now",
  "all-muted",
  "meeting-extended",
  "music",
  NULL,
};

const gchar *const *
mcu_prompts_names (void)
{
  return names;
}

gboolean
mcu_prompts_is_valid_name (const gchar *name)
{
  gsize len = name ? strlen (name) : 0;

  return len > 0 && len <= 64 &&
         strspn (name, "abcdefghijklmnopqrstuvwxyz0123456789-_") == len;
}

gchar *
mcu_prompts_default_dir (void)
{
  if (g_file_test (MCU_PROMPTS_DIR, G_FILE_TEST_IS_DIR))
    return g_strdup (MCU_PROMPTS_DIR);
  /* not installed: a run from the build tree */
  if (g_file_test (MCU_PROMPTS_SOURCE_DIR, G_FILE_TEST_IS_DIR))
    return g_strdup (MCU_PROMPTS_SOURCE_DIR);
  return g_strdup (MCU_PROMPTS_DIR);
}

static gchar *
global_dir (const McuConfig *config)
{
  return config->prompts_dir ? g_strdup (config->prompts_dir)
                             : mcu_prompts_default_dir ();
}

static const McuConfigRoom *
config_room (const McuConfig *config, McuRoom *room)
{
  const gchar *name = room ? mcu_room_get_name (room) : NULL;

  for (guint i = 0; name && i < config->rooms->len; i++) {
    const McuConfigRoom *r = g_ptr_array_index (config->rooms, i);

    if (g_str_equal (r->name, name))
      return r;
  }
  return NULL;
}

/* @relative in the room's directory, else in the global one. */
static gchar *
find (const McuConfig *config, McuRoom *room, const gchar *relative)
{
  const McuConfigRoom *r = config_room (config, room);
  g_autofree gchar *dir = global_dir (config);
  gchar *path;

  if (r && r->prompts) {
    path = g_build_filename (r->prompts, relative, NULL);
    if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
      return path;
    g_free (path);
  }
  path = g_build_filename (dir, relative, NULL);
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return path;
  g_free (path);
  return NULL;
}

gchar *
mcu_prompts_path (const McuConfig *config, McuRoom *room, const gchar *name)
{
  g_autofree gchar *file = NULL;

  g_return_val_if_fail (config != NULL, NULL);
  if (!mcu_prompts_is_valid_name (name))
    return NULL;
  file = g_strconcat (name, ".wav", NULL);
  return find (config, room, file);
}

gchar *
mcu_prompts_file (const McuConfig *config, McuRoom *room, const gchar *relative)
{
  g_auto (GStrv) parts = NULL;

  g_return_val_if_fail (config != NULL, NULL);
  if (relative == NULL || *relative == '\0' || strlen (relative) > 256 ||
      g_path_is_absolute (relative) || !g_str_has_suffix (relative, ".wav") ||
      !g_utf8_validate (relative, -1, NULL))
    return NULL;
  parts = g_strsplit (relative, "/", -1);
  for (gchar **p = parts; *p; p++)
    if (**p == '\0' || **p == '.')
      return NULL; /* "", ".", "..", hidden files */
  return find (config, room, relative);
}

static gboolean
check_dir (gchar **dir, const gchar *base, const gchar *file,
    const gchar *group, const gchar *key, GError **error)
{
  if (*dir == NULL)
    return TRUE;
  if (!g_path_is_absolute (*dir)) {
    gchar *abs = g_build_filename (base, *dir, NULL);

    g_free (*dir);
    *dir = abs;
  }
  if (!g_file_test (*dir, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_BAD_VALUE,
        "%s: [%s] %s: %s is not a directory", file, group, key, *dir);
    return FALSE;
  }
  return TRUE;
}

gboolean
mcu_prompts_check_config (McuConfig *config, const gchar *file, GError **error)
{
  g_autofree gchar *base = g_path_get_dirname (file);

  if (!check_dir (&config->prompts_dir, base, file, "prompts", "dir", error))
    return FALSE;
  for (guint i = 0; i < config->rooms->len; i++) {
    McuConfigRoom *r = g_ptr_array_index (config->rooms, i);
    g_autofree gchar *group = g_strdup_printf ("room:%s", r->name);

    if (!check_dir (&r->prompts, base, file, group, "prompts", error))
      return FALSE;
  }
  return TRUE;
}

/* The shipped names missing from @dir, comma-separated ("" when none). */
static gchar *
missing_in (const gchar *dir, guint *n)
{
  GString *s = g_string_new (NULL);

  *n = 0;
  for (guint i = 0; names[i]; i++) {
    g_autofree gchar *file = g_strconcat (names[i], ".wav", NULL);
    g_autofree gchar *path = g_build_filename (dir, file, NULL);

    if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
      continue;
    g_string_append_printf (s, "%s%s", s->len ? ", " : "", names[i]);
    (*n)++;
  }
  return g_string_free (s, FALSE);
}

guint
mcu_prompts_log_missing (const McuConfig *config)
{
  g_autofree gchar *dir = global_dir (config);
  g_autofree gchar *missing = NULL;
  guint n = 0, n_room;

  missing = missing_in (dir, &n);
  if (n > 0)
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
        "prompts: %u of %u missing in %s (%s): those prompts will not play", n,
        g_strv_length ((gchar **)names), dir, missing);
  for (guint i = 0; i < config->rooms->len; i++) {
    const McuConfigRoom *r = g_ptr_array_index (config->rooms, i);
    g_autofree gchar *room_missing = NULL;

    if (r->prompts == NULL)
      continue;
    room_missing = missing_in (r->prompts, &n_room);
    if (n_room > 0)
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MCU_ROOM", r->name,
          "MESSAGE",
          "prompts: room %s has no %s in %s: the global set plays those",
          r->name, room_missing, r->prompts);
  }
  return n;
}
