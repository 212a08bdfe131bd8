/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: PIN entry state machine. Main thread only; no timers of its own
 * (the owner arms one for the deadline), so tests drive it with any clock.
 *
 *   start -> PROMPTING (welcome, enter-pin)
 *   PROMPTING --prompt done--> WAITING_FIRST --digit--> COLLECTING
 *   (a digit while PROMPTING stops the prompt and collects)
 *   COLLECTING --# / inter-digit timeout / too many digits--> check:
 *     right PIN -> ADMITTED (ADMIT role)
 *     wrong, tries left -> PROMPTING (wrong-pin)
 *     wrong, last try -> GOODBYE (goodbye) --prompt done--> HUNG_UP
 *   WAITING_FIRST --first-digit timeout--> a try without a PIN: enter-pin
 *   again, or goodbye after the last. */
#include "mcu-ivr.h"

#include <string.h>

#define MCU_IVR_DIGITS_MAX 64

struct _McuIvr
{
  GObject parent_instance;

  McuRoom *room; /* owned */
  McuIvrSettings settings;
  McuIvrState state;
  guint tries; /* wrong PINs (or no PIN) so far */
  GString *digits;
  gint64 deadline; /* 0 = none */
};

G_DEFINE_FINAL_TYPE (McuIvr, mcu_ivr, G_TYPE_OBJECT)

static void
mcu_ivr_finalize (GObject *object)
{
  McuIvr *self = MCU_IVR (object);

  g_clear_object (&self->room);
  g_string_free (self->digits, TRUE);
  G_OBJECT_CLASS (mcu_ivr_parent_class)->finalize (object);
}

static void
mcu_ivr_class_init (McuIvrClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mcu_ivr_finalize;
}

static void
mcu_ivr_init (McuIvr *self)
{
  self->digits = g_string_new (NULL);
}

void
mcu_ivr_settings_init (McuIvrSettings *s)
{
  s->first_digit_timeout_ms = 10000;
  s->inter_digit_timeout_ms = 5000;
  s->prompt_timeout_ms = 60000;
  s->max_tries = 3;
  s->max_digits = 16;
}

McuIvr *
mcu_ivr_new (McuRoom *room, const McuIvrSettings *settings)
{
  McuIvr *self;

  g_return_val_if_fail (MCU_IS_ROOM (room), NULL);
  self = g_object_new (MCU_TYPE_IVR, NULL);
  self->room = g_object_ref (room);
  if (settings)
    self->settings = *settings;
  else
    mcu_ivr_settings_init (&self->settings);
  self->settings.max_tries = MAX (self->settings.max_tries, 1);
  self->settings.max_digits =
      CLAMP (self->settings.max_digits, 1, MCU_IVR_DIGITS_MAX);
  return self;
}

McuIvrState
mcu_ivr_get_state (McuIvr *self)
{
  g_return_val_if_fail (MCU_IS_IVR (self), MCU_IVR_STATE_HUNG_UP);
  return self->state;
}

guint
mcu_ivr_get_tries (McuIvr *self)
{
  g_return_val_if_fail (MCU_IS_IVR (self), 0);
  return self->tries;
}

gint64
mcu_ivr_get_deadline (McuIvr *self)
{
  g_return_val_if_fail (MCU_IS_IVR (self), 0);
  return self->deadline;
}

static GArray *
actions_new (void)
{
  return g_array_new (FALSE, TRUE, sizeof (McuIvrAction));
}

static void
push_action (GArray *out, McuIvrActionType type)
{
  McuIvrAction a = { .type = type };

  g_array_append_val (out, a);
}

/* Plays @first (and @second, nullable) and waits for its end. */
static void
play (McuIvr *self, GArray *out, const gchar *first, const gchar *second,
    gint64 now)
{
  McuIvrAction a = { .type = MCU_IVR_ACTION_PLAY };

  a.prompts[0] = first;
  a.prompts[1] = second;
  g_array_append_val (out, a);
  self->deadline = now + (gint64)self->settings.prompt_timeout_ms * 1000;
}

static void
set_state (McuIvr *self, McuIvrState state, guint timeout_ms, gint64 now)
{
  self->state = state;
  self->deadline = timeout_ms ? now + (gint64)timeout_ms * 1000 : 0;
}

GArray *
mcu_ivr_start (McuIvr *self, gint64 now)
{
  GArray *out = actions_new ();

  g_return_val_if_fail (MCU_IS_IVR (self), out);
  if (self->state != MCU_IVR_STATE_IDLE)
    return out;
  self->state = MCU_IVR_STATE_PROMPTING;
  play (self, out, "welcome", "enter-pin", now);
  return out;
}

/* A try failed: again, or goodbye after the last. */
static void
try_failed (McuIvr *self, GArray *out, const gchar *prompt, gint64 now)
{
  g_string_truncate (self->digits, 0);
  self->tries++;
  if (self->tries >= self->settings.max_tries) {
    self->state = MCU_IVR_STATE_GOODBYE;
    play (self, out, "goodbye", NULL, now);
    return;
  }
  self->state = MCU_IVR_STATE_PROMPTING;
  play (self, out, prompt, NULL, now);
}

static void
check_pin (McuIvr *self, GArray *out, gint64 now)
{
  McuParticipantRole role;

  if (self->digits->len > 0 && self->digits->len <= self->settings.max_digits &&
      mcu_room_check_pin_role (self->room, self->digits->str, &role)) {
    McuIvrAction a = { .type = MCU_IVR_ACTION_ADMIT, .role = role };

    g_string_truncate (self->digits, 0);
    set_state (self, MCU_IVR_STATE_ADMITTED, 0, now);
    g_array_append_val (out, a);
    return;
  }
  try_failed (self, out, "wrong-pin", now);
}

static gboolean
is_collecting (McuIvrState state)
{
  return state == MCU_IVR_STATE_PROMPTING ||
         state == MCU_IVR_STATE_WAITING_FIRST ||
         state == MCU_IVR_STATE_COLLECTING;
}

GArray *
mcu_ivr_digit (McuIvr *self, const gchar *digit, gint64 now)
{
  GArray *out = actions_new ();
  gchar d;

  g_return_val_if_fail (MCU_IS_IVR (self), out);
  if (!is_collecting (self->state) || digit == NULL || digit[0] == '\0' ||
      digit[1] != '\0')
    return out;
  d = digit[0];
  if (!g_ascii_isdigit (d) && d != '#' && d != '*')
    return out; /* A-D mean nothing here */
  if (self->state == MCU_IVR_STATE_PROMPTING)
    push_action (out, MCU_IVR_ACTION_STOP_PROMPT);
  if (d == '#') {
    check_pin (self, out, now);
    return out;
  }
  if (d == '*')
    g_string_truncate (self->digits, 0);
  else if (self->digits->len < self->settings.max_digits + 1)
    g_string_append_c (self->digits, d);
  if (self->digits->len > self->settings.max_digits) {
    check_pin (self, out, now); /* too long: a wrong PIN */
    return out;
  }
  set_state (self, MCU_IVR_STATE_COLLECTING,
      self->settings.inter_digit_timeout_ms, now);
  return out;
}

GArray *
mcu_ivr_prompt_done (McuIvr *self, gint64 now)
{
  GArray *out = actions_new ();

  g_return_val_if_fail (MCU_IS_IVR (self), out);
  switch (self->state) {
    case MCU_IVR_STATE_PROMPTING:
      set_state (self, MCU_IVR_STATE_WAITING_FIRST,
          self->settings.first_digit_timeout_ms, now);
      break;
    case MCU_IVR_STATE_GOODBYE:
      set_state (self, MCU_IVR_STATE_HUNG_UP, 0, now);
      push_action (out, MCU_IVR_ACTION_HANGUP);
      break;
    default:
      break; /* a stopped prompt ending after a key: nothing to do */
  }
  return out;
}

GArray *
mcu_ivr_timeout (McuIvr *self, gint64 now)
{
  GArray *out = actions_new ();

  g_return_val_if_fail (MCU_IS_IVR (self), out);
  if (self->deadline == 0 || now < self->deadline)
    return out;
  switch (self->state) {
    case MCU_IVR_STATE_PROMPTING:
    case MCU_IVR_STATE_GOODBYE:
      g_array_unref (out);
      return mcu_ivr_prompt_done (self, now);
    case MCU_IVR_STATE_WAITING_FIRST:
      try_failed (self, out, "enter-pin", now);
      break;
    case MCU_IVR_STATE_COLLECTING:
      check_pin (self, out, now);
      break;
    default:
      self->deadline = 0;
      break;
  }
  return out;
}
