/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: keypad controls, parsed and validated once, matched per key. */
#include "mcu-keymap.h"

#include <string.h>

G_DEFINE_QUARK (mcu - keymap - error - quark, mcu_keymap_error)

#define MCU_KEYMAP_MAX_KEYS     3
#define MCU_KEYMAP_MAX_BINDINGS 64

typedef struct
{
  gchar keys[MCU_KEYMAP_MAX_KEYS + 1];
  McuKeyAction action;
} McuKeyBinding;

struct _McuKeymap
{
  GArray *bindings; /* McuKeyBinding */
};

/* In McuKeyAction order. */
static const gchar *const action_names[] = {
  NULL,
  "mute",
  "deaf",
  "talk-down",
  "talk-up",
  "listen-down",
  "listen-up",
  "hangup",
  "lock",
  "mute-guests",
  "extend",
  "end",
};

const gchar *
mcu_key_action_to_string (McuKeyAction action)
{
  if ((guint)action >= G_N_ELEMENTS (action_names))
    return NULL;
  return action_names[action];
}

gboolean
mcu_key_action_is_moderator_only (McuKeyAction action)
{
  return action >= MCU_KEY_ACTION_LOCK;
}

static McuKeyAction
action_from_string (const gchar *name)
{
  for (guint i = 1; i < G_N_ELEMENTS (action_names); i++)
    if (g_str_equal (name, action_names[i]))
      return i;
  return MCU_KEY_ACTION_NONE;
}

static McuKeymap *
keymap_new (void)
{
  McuKeymap *self = g_new0 (McuKeymap, 1);

  self->bindings = g_array_new (FALSE, TRUE, sizeof (McuKeyBinding));
  return self;
}

void
mcu_keymap_free (McuKeymap *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->bindings);
  g_free (self);
}

static McuKeyBinding *
find_binding (const McuKeymap *self, const gchar *keys)
{
  for (guint i = 0; i < self->bindings->len; i++) {
    McuKeyBinding *b = &g_array_index (self->bindings, McuKeyBinding, i);

    if (g_str_equal (b->keys, keys))
      return b;
  }
  return NULL;
}

static gboolean
parse_binding (
    McuKeymap *self, const gchar *item, gboolean moderator, GError **error)
{
  g_auto (GStrv) kv = g_strsplit (item, "=", 2);
  McuKeyBinding b = { 0 };
  gsize n;

  if (kv[0] == NULL || kv[1] == NULL) {
    g_set_error (error, MCU_KEYMAP_ERROR, MCU_KEYMAP_ERROR_SYNTAX,
        "'%s': expected KEYS=ACTION", item);
    return FALSE;
  }
  g_strstrip (kv[0]);
  g_strstrip (kv[1]);
  n = strlen (kv[0]);
  if (n == 0 || n > MCU_KEYMAP_MAX_KEYS ||
      strspn (kv[0], "0123456789*#ABCD") != n) {
    g_set_error (error, MCU_KEYMAP_ERROR, MCU_KEYMAP_ERROR_KEYS,
        "'%s': keys are 1-%d of 0-9 * # A-D", kv[0], MCU_KEYMAP_MAX_KEYS);
    return FALSE;
  }
  b.action = action_from_string (kv[1]);
  if (b.action == MCU_KEY_ACTION_NONE) {
    g_set_error (error, MCU_KEYMAP_ERROR, MCU_KEYMAP_ERROR_ACTION,
        "'%s': unknown action (mute, deaf, talk-down, talk-up, listen-down, "
        "listen-up, hangup; for moderators also lock, mute-guests, extend, "
        "end)",
        kv[1]);
    return FALSE;
  }
  if (!moderator && mcu_key_action_is_moderator_only (b.action)) {
    g_set_error (error, MCU_KEYMAP_ERROR, MCU_KEYMAP_ERROR_NOT_ALLOWED,
        "'%s' is a moderator action: bind it in moderator=", kv[1]);
    return FALSE;
  }
  if (find_binding (self, kv[0])) {
    g_set_error (error, MCU_KEYMAP_ERROR, MCU_KEYMAP_ERROR_DUPLICATE,
        "'%s' is bound twice", kv[0]);
    return FALSE;
  }
  if (self->bindings->len >= MCU_KEYMAP_MAX_BINDINGS) {
    g_set_error (error, MCU_KEYMAP_ERROR, MCU_KEYMAP_ERROR_SYNTAX,
        "more than %d bindings", MCU_KEYMAP_MAX_BINDINGS);
    return FALSE;
  }
  memcpy (b.keys, kv[0], n);
  g_array_append_val (self->bindings, b);
  return TRUE;
}

McuKeymap *
mcu_keymap_new_parse (const gchar *spec, gboolean moderator, GError **error)
{
  g_autoptr (McuKeymap) self = keymap_new ();
  g_auto (GStrv) items = NULL;

  g_return_val_if_fail (spec != NULL, NULL);
  items = g_strsplit (spec, ";", -1);
  for (gchar **i = items; *i; i++) {
    g_strstrip (*i);
    if (**i == '\0')
      continue;
    if (!parse_binding (self, *i, moderator, error))
      return NULL;
  }
  return g_steal_pointer (&self);
}

McuKeymap *
mcu_keymap_new_merged (const McuKeymap *base, const McuKeymap *extra)
{
  McuKeymap *self = keymap_new ();

  g_array_append_vals (
      self->bindings, extra->bindings->data, extra->bindings->len);
  for (guint i = 0; i < base->bindings->len; i++) {
    McuKeyBinding *b = &g_array_index (base->bindings, McuKeyBinding, i);

    if (find_binding (self, b->keys) == NULL)
      g_array_append_val (self->bindings, *b);
  }
  return self;
}

guint
mcu_keymap_get_n_bindings (const McuKeymap *self)
{
  return self->bindings->len;
}

const gchar *
mcu_keymap_lookup_keys (const McuKeymap *self, McuKeyAction action)
{
  for (guint i = 0; i < self->bindings->len; i++) {
    McuKeyBinding *b = &g_array_index (self->bindings, McuKeyBinding, i);

    if (b->action == action)
      return b->keys;
  }
  return NULL;
}

McuKeyMatch
mcu_keymap_match (
    const McuKeymap *self, const gchar *typed, McuKeyAction *action)
{
  gsize n = strlen (typed);
  gboolean longer = FALSE;
  McuKeyAction exact = MCU_KEY_ACTION_NONE;

  for (guint i = 0; i < self->bindings->len; i++) {
    McuKeyBinding *b = &g_array_index (self->bindings, McuKeyBinding, i);

    if (strncmp (b->keys, typed, n) != 0)
      continue;
    if (b->keys[n] == '\0')
      exact = b->action;
    else
      longer = TRUE;
  }
  if (action)
    *action = exact;
  if (longer)
    return MCU_KEY_MATCH_PARTIAL;
  return exact != MCU_KEY_ACTION_NONE ? MCU_KEY_MATCH_FULL : MCU_KEY_MATCH_NONE;
}
