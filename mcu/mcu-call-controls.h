/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: what one caller in a room hears and may do beyond the conversation:
 * PIN entry by voice prompt and keypad (McuIvr), the room's role rules
 * (guests muted on join, waiting for the moderator, the meeting ending with
 * the last moderator, the alone prompt, join/leave tones) and the keypad
 * controls ([controls] caller= / moderator=). Owned by its McuCallLeg;
 * main thread only. */
#pragma once

#include "mcu-config.h"
#include "mcu-mixer.h"
#include "mcu-rooms.h"
#include "mcu-room-media.h"

G_BEGIN_DECLS

typedef struct _McuCallLeg McuCallLeg;

#define MCU_TYPE_CALL_CONTROLS (mcu_call_controls_get_type ())
G_DECLARE_FINAL_TYPE (
    McuCallControls, mcu_call_controls, MCU, CALL_CONTROLS, GObject)

typedef enum
{
  MCU_CALL_CONTROLS_STATE_NEW,       /* not started (before the answer) */
  MCU_CALL_CONTROLS_STATE_PIN_ENTRY, /* in the IVR */
  MCU_CALL_CONTROLS_STATE_WAITING,   /* a guest waiting for a moderator */
  MCU_CALL_CONTROLS_STATE_JOINED,    /* in the conference */
  MCU_CALL_CONTROLS_STATE_ENDING,    /* a last prompt, then BYE */
  MCU_CALL_CONTROLS_STATE_DONE,      /* hung up or left */
} McuCallControlsState;

/* The scheduled-meeting hook: extends the meeting running in @room by
 * @minutes; FALSE with an error when none runs or it cannot be. */
typedef gboolean (*McuCallControlsExtendFunc) (
    gpointer data, McuRoom *room, guint minutes, GError **error);

/* For @leg's @participant in @room (its audio @media in the audio mix of
 * @room_media, which maps the room's other participants to their legs). With
 * @pin_entry the caller must enter the PIN first (the participant is held
 * out of the mix and the grid meanwhile); else it joins with @role.
 * Nothing happens before mcu_call_controls_start (). */
McuCallControls *mcu_call_controls_new (McuCallLeg *leg,
    const McuConfig *config, McuRoom *room, McuRoomMedia *room_media,
    McuMediaSession *media, McuParticipant *participant, gboolean pin_entry,
    McuParticipantRole role);
/* The state a caller enters @room in: pin-entry, waiting (a guest while
 * wait-for-moderator finds no moderator) or joined. */
McuParticipantState mcu_call_controls_first_state (
    McuRoom *room, gboolean pin_entry, McuParticipantRole role);
void mcu_call_controls_set_extend_func (
    McuCallControls *self, McuCallControlsExtendFunc func, gpointer data);
/* The call is answered: prompts may play. */
void mcu_call_controls_start (McuCallControls *self);
/* A key from the caller (the leg's "dtmf"). */
void mcu_call_controls_digit (McuCallControls *self, const gchar *digit);
/* The meeting ends for this caller: @prompt (nullable), then BYE. */
void mcu_call_controls_end (McuCallControls *self, const gchar *prompt);
/* The call is going: no more prompts, the leave tone for the others. */
void mcu_call_controls_leave (McuCallControls *self);
McuCallControlsState mcu_call_controls_get_state (McuCallControls *self);

G_END_DECLS
