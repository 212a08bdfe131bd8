/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one caller in a room: the SIP call, the participant, the media, and
 * the offer/answer between them. */
#pragma once

#include "mcu-sip.h"
#include "mcu-rooms.h"
#include "mcu-mixer.h"
#include "mcu-config.h"

G_BEGIN_DECLS

#define MCU_TYPE_CALL_LEG (mcu_call_leg_get_type ())
G_DECLARE_FINAL_TYPE (McuCallLeg, mcu_call_leg, MCU, CALL_LEG, GObject)

/* What every leg shares, owned by the daemon (outlives the legs). */
typedef struct
{
  const McuConfig *config;
  McuRoomDirectory *rooms;
  McuPortPool *ports;
  McuSdpPrefs prefs;
} McuCallEnv;

/* Takes the incoming call: admits it into its room and answers it, or
 * rejects it with the right status. Signal "ended" when the call is over
 * and everything it held is released. */
McuCallLeg *mcu_call_leg_new (const McuCallEnv *env, McuSipCall *call);
void mcu_call_leg_start (McuCallLeg *self);
void mcu_call_leg_hangup (McuCallLeg *self, const gchar *reason);
McuSipCall *mcu_call_leg_get_call (McuCallLeg *self);
/* (nullable) (transfer none) the participant, once admitted; its user data
 * points back at the leg. */
McuParticipant *mcu_call_leg_get_participant (McuCallLeg *self);
/* The SIP status the call was rejected with, 0 when it was not. */
guint mcu_call_leg_get_final_status (McuCallLeg *self);

/* Operator controls (the control socket). */
void mcu_call_leg_set_muted (McuCallLeg *self, gboolean muted);
void mcu_call_leg_set_deaf (McuCallLeg *self, gboolean deaf);
void mcu_call_leg_set_volume (McuCallLeg *self, gdouble volume);
/* (nullable) "opus", "pcmu", ... */
const gchar *mcu_call_leg_get_audio_codec (McuCallLeg *self);
void mcu_call_leg_get_stats (McuCallLeg *self, McuMediaStats *stats);

G_END_DECLS
