/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one person in a room. Plain state; the room owns the list. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct _McuRoom McuRoom;

/* What a participant may do: the PIN they joined with decides it (the
 * moderator PIN, or the guest PIN / no PIN). */
typedef enum
{
  MCU_PARTICIPANT_ROLE_GUEST,
  MCU_PARTICIPANT_ROLE_MODERATOR,
} McuParticipantRole;

/* Where a participant is: in the conference, or held out of it (out of
 * the mix and the video grid) while entering the PIN or waiting for a
 * moderator. */
typedef enum
{
  MCU_PARTICIPANT_STATE_JOINED,
  MCU_PARTICIPANT_STATE_PIN_ENTRY,
  MCU_PARTICIPANT_STATE_WAITING,
} McuParticipantState;

/* "joined", "pin-entry", "waiting" */
const gchar *mcu_participant_state_to_string (McuParticipantState state);

/* "guest" or "moderator" */
const gchar *mcu_participant_role_to_string (McuParticipantRole role);

#define MCU_TYPE_PARTICIPANT (mcu_participant_get_type ())
G_DECLARE_FINAL_TYPE (
    McuParticipant, mcu_participant, MCU, PARTICIPANT, GObject)

/* Without a @display_name (NULL, empty or blank) the participant is named
 * by the user part of @uri ("sip:alice@host" -> "alice"). */
McuParticipant *mcu_participant_new (
    guint id, const gchar *display_name, const gchar *uri);

guint mcu_participant_get_id (McuParticipant *self);
const gchar *mcu_participant_get_display_name (McuParticipant *self);
const gchar *mcu_participant_get_uri (McuParticipant *self);
/* The room this participant is in, or NULL once removed. (transfer none) */
McuRoom *mcu_participant_get_room (McuParticipant *self);
gint64 mcu_participant_get_joined_at (McuParticipant *self);

gboolean mcu_participant_get_muted (McuParticipant *self);
void mcu_participant_set_muted (McuParticipant *self, gboolean muted);
gboolean mcu_participant_get_on_hold (McuParticipant *self);
void mcu_participant_set_on_hold (McuParticipant *self, gboolean on_hold);
/* Deaf: hears nothing (gets silence). */
gboolean mcu_participant_get_deaf (McuParticipant *self);
void mcu_participant_set_deaf (McuParticipant *self, gboolean deaf);
/* Talking, as the mixer heard it (with hysteresis). */
gboolean mcu_participant_get_talking (McuParticipant *self);
void mcu_participant_set_talking (McuParticipant *self, gboolean talking);
/* Video muted: the others see the name tile instead of the picture. */
gboolean mcu_participant_get_video_muted (McuParticipant *self);
void mcu_participant_set_video_muted (McuParticipant *self, gboolean muted);
/* How loud the others hear this participant: 0.0 .. 4.0, 1.0 = as sent. */
gdouble mcu_participant_get_volume (McuParticipant *self);
void mcu_participant_set_volume (McuParticipant *self, gdouble volume);
/* How loud this participant hears the room: 0.0 .. 4.0, 1.0 = as mixed
 * (property "listen-volume", notify). */
gdouble mcu_participant_get_listen_volume (McuParticipant *self);
void mcu_participant_set_listen_volume (McuParticipant *self, gdouble volume);

/* Property "state" (notify). */
McuParticipantState mcu_participant_get_state (McuParticipant *self);
void mcu_participant_set_state (
    McuParticipant *self, McuParticipantState state);
/* Property "role" (notify). */
McuParticipantRole mcu_participant_get_role (McuParticipant *self);
void mcu_participant_set_role (McuParticipant *self, McuParticipantRole role);

G_END_DECLS
