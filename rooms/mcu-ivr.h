/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: PIN entry by keypad, as a state machine with an injected clock.
 * GLib only: the caller of these functions (mcu/) plays the prompts,
 * arms a timer for mcu_ivr_get_deadline () and feeds digits, prompt ends
 * and timeouts back; each input returns what to do now. Main thread. */
#pragma once

#include <glib-object.h>
#include "mcu-room.h"

G_BEGIN_DECLS

#define MCU_TYPE_IVR (mcu_ivr_get_type ())
G_DECLARE_FINAL_TYPE (McuIvr, mcu_ivr, MCU, IVR, GObject)

typedef enum
{
  MCU_IVR_STATE_IDLE,          /* not started */
  MCU_IVR_STATE_PROMPTING,     /* a prompt plays; keys barge in */
  MCU_IVR_STATE_WAITING_FIRST, /* prompt done, no key yet */
  MCU_IVR_STATE_COLLECTING,    /* some digits in */
  MCU_IVR_STATE_GOODBYE,       /* last try failed: goodbye plays */
  MCU_IVR_STATE_ADMITTED,      /* final: the right PIN */
  MCU_IVR_STATE_HUNG_UP,       /* final: hang up */
} McuIvrState;

typedef enum
{
  MCU_IVR_ACTION_PLAY,        /* play prompts[] (names) in sequence */
  MCU_IVR_ACTION_STOP_PROMPT, /* a key interrupted the prompt */
  MCU_IVR_ACTION_ADMIT,       /* admit with role */
  MCU_IVR_ACTION_HANGUP,      /* hang up (after goodbye) */
} McuIvrActionType;

#define MCU_IVR_MAX_PROMPTS 3

typedef struct
{
  McuIvrActionType type;
  /* PLAY: prompt names, NULL-terminated (static strings) */
  const gchar *prompts[MCU_IVR_MAX_PROMPTS + 1];
  McuParticipantRole role; /* ADMIT */
} McuIvrAction;

typedef struct
{
  guint first_digit_timeout_ms; /* after the prompt, for the first key */
  guint inter_digit_timeout_ms; /* between keys; then the PIN is taken */
  guint prompt_timeout_ms;      /* a prompt that never reports its end */
  guint max_tries;
  guint max_digits; /* a longer entry is a wrong PIN */
} McuIvrSettings;

/* 10 s, 5 s, 60 s, 3 tries, 16 digits */
void mcu_ivr_settings_init (McuIvrSettings *settings);

/* PIN entry for @room (its guest and moderator PINs). @settings NULL:
 * the defaults. */
McuIvr *mcu_ivr_new (McuRoom *room, const McuIvrSettings *settings);
McuIvrState mcu_ivr_get_state (McuIvr *self);
guint mcu_ivr_get_tries (McuIvr *self);
/* When mcu_ivr_timeout () should be called (monotonic microseconds, the
 * clock @now is given in), 0 = no timer. */
gint64 mcu_ivr_get_deadline (McuIvr *self);

/* Each returns (transfer full) the actions to do, in order (McuIvrAction;
 * maybe none). @now: monotonic microseconds. */
GArray *mcu_ivr_start (McuIvr *self, gint64 now);
/* @digit: "0".."9", "*" (start the PIN over), "#" (done), "A".."D"
 * (ignored). */
GArray *mcu_ivr_digit (McuIvr *self, const gchar *digit, gint64 now);
/* The prompt of the last PLAY ended (played out, stopped or failed). */
GArray *mcu_ivr_prompt_done (McuIvr *self, gint64 now);
/* The timer for mcu_ivr_get_deadline () fired (early calls do nothing). */
GArray *mcu_ivr_timeout (McuIvr *self, gint64 now);

G_END_DECLS
