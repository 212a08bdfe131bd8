/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: keypad controls: which key sequence does what. GLib only.
 *
 * A map is written "KEYS=ACTION;KEYS=ACTION;..." (e.g. "0=mute;*=deaf"):
 * KEYS are 1-3 of 0-9 * # A-D, ACTION one of the names below. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MCU_KEYMAP_ERROR (mcu_keymap_error_quark ())
GQuark mcu_keymap_error_quark (void);

typedef enum
{
  MCU_KEYMAP_ERROR_SYNTAX,      /* not KEYS=ACTION */
  MCU_KEYMAP_ERROR_KEYS,        /* bad key sequence */
  MCU_KEYMAP_ERROR_ACTION,      /* unknown action */
  MCU_KEYMAP_ERROR_DUPLICATE,   /* the same keys twice */
  MCU_KEYMAP_ERROR_NOT_ALLOWED, /* a moderator action in the caller map */
} McuKeymapError;

typedef enum
{
  MCU_KEY_ACTION_NONE,
  /* anyone ("caller controls") */
  MCU_KEY_ACTION_MUTE,        /* "mute": toggle own microphone */
  MCU_KEY_ACTION_DEAF,        /* "deaf": toggle hearing the room */
  MCU_KEY_ACTION_TALK_DOWN,   /* "talk-down": others hear me quieter */
  MCU_KEY_ACTION_TALK_UP,     /* "talk-up" */
  MCU_KEY_ACTION_LISTEN_DOWN, /* "listen-down": I hear the room quieter */
  MCU_KEY_ACTION_LISTEN_UP,   /* "listen-up" */
  MCU_KEY_ACTION_HANGUP,      /* "hangup" */
  /* moderators only */
  MCU_KEY_ACTION_LOCK,        /* "lock": toggle the room lock */
  MCU_KEY_ACTION_MUTE_GUESTS, /* "mute-guests": mute (again: unmute) them */
  MCU_KEY_ACTION_EXTEND,      /* "extend": the scheduled meeting +10 min */
  MCU_KEY_ACTION_END,         /* "end": end the meeting for everyone */
} McuKeyAction;

/* "mute", ... (NULL for NONE) */
const gchar *mcu_key_action_to_string (McuKeyAction action);
gboolean mcu_key_action_is_moderator_only (McuKeyAction action);

#define MCU_KEYMAP_DEFAULT_CALLER \
  "0=mute;*=deaf;1=listen-down;3=listen-up;4=talk-down;6=talk-up;#=hangup"
#define MCU_KEYMAP_DEFAULT_MODERATOR "7=lock;8=mute-guests;9=extend;**=end"

typedef struct _McuKeymap McuKeymap;

/* Parses @spec (empty: no keys). With @moderator FALSE, moderator actions
 * are refused (MCU_KEYMAP_ERROR_NOT_ALLOWED). */
McuKeymap *mcu_keymap_new_parse (
    const gchar *spec, gboolean moderator, GError **error);
/* A map with @base's keys and @extra's on top (@extra wins a key both
 * bind). */
McuKeymap *mcu_keymap_new_merged (
    const McuKeymap *base, const McuKeymap *extra);
void mcu_keymap_free (McuKeymap *self);
guint mcu_keymap_get_n_bindings (const McuKeymap *self);
/* The keys bound to @action, or NULL. */
const gchar *mcu_keymap_lookup_keys (
    const McuKeymap *self, McuKeyAction action);

typedef enum
{
  MCU_KEY_MATCH_NONE,    /* no binding starts with what was typed */
  MCU_KEY_MATCH_PARTIAL, /* a longer binding may follow: wait for a key or
                          * the timeout (then *action, maybe NONE, holds) */
  MCU_KEY_MATCH_FULL,    /* *action, and nothing longer starts like it */
} McuKeyMatch;

/* Matches @typed (the keys pressed since the last match) against the map. */
McuKeyMatch mcu_keymap_match (
    const McuKeymap *self, const gchar *typed, McuKeyAction *action);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuKeymap, mcu_keymap_free)

G_END_DECLS
