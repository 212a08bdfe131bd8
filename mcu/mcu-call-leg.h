/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one caller in a room: the SIP call, the participant, the media, and
 * the offer/answer between them. */
#pragma once

#include "mcu-sip.h"
#include "mcu-rooms.h"
#include "mcu-mixer.h"
#include "mcu-config.h"
#include "mcu-call-video.h"
#include "mcu-call-dtmf.h"
#include "mcu-call-controls.h"
#include "mcu-room-media-registry.h"

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
  /* (nullable) asked before a caller enters @room: FALSE with
   * MCU_ROOM_ERROR_NOT_OPEN and *@retry_after (seconds) when a scheduled
   * meeting holds the room closed (the scheduler). */
  gboolean (*admit_gate) (
      gpointer data, const gchar *room, guint *retry_after, GError **error);
  gpointer admit_gate_data;
  /* (nullable) the moderator's "extend" key: the scheduler */
  McuCallControlsExtendFunc extend_meeting;
  gpointer extend_meeting_data;
  /* every room's media (audio and video mix, participants' legs) */
  McuRoomMediaRegistry *room_media;
} McuCallEnv;

/* Takes the incoming call: admits it into its room and answers it, or
 * rejects it with the right status. Signal "ended" when the call is over
 * and everything it held is released. */
McuCallLeg *mcu_call_leg_new (const McuCallEnv *env, McuSipCall *call);
void mcu_call_leg_start (McuCallLeg *self);
void mcu_call_leg_hangup (McuCallLeg *self, const gchar *reason);
McuSipCall *mcu_call_leg_get_call (McuCallLeg *self);
/* Outgoing: @call comes from mcu_sip_agent_create_call (); sends the INVITE
 * with our offer. When the 2xx comes the media joins @room (as a
 * participant named after the call's To display name) or the bare @mix
 * (exactly one of them), then "answered". FALSE: nothing was sent. */
gboolean mcu_call_leg_dial (
    McuCallLeg *self, McuRoom *room, McuAudioMix *mix, GError **error);
/* Incoming, for a two-party bridge: negotiates the offer and joins @mix
 * without answering. FALSE: the call was rejected (400/488/503/...). */
gboolean mcu_call_leg_start_bridged (McuCallLeg *self, McuAudioMix *mix);
/* The pending 200 of a bridged leg. */
void mcu_call_leg_answer (McuCallLeg *self);
void mcu_call_leg_reject (McuCallLeg *self, guint status, const gchar *phrase);
/* The remote's media direction (its last offer or answer). */
McuSdpDirection mcu_call_leg_get_remote_direction (McuCallLeg *self);
/* A re-INVITE offering @direction (ours), e.g. sendonly when the other side
 * of a bridge went on hold. FALSE when one cannot be sent now. */
gboolean mcu_call_leg_reoffer (McuCallLeg *self, McuSdpDirection direction);

/* (nullable) (transfer none) the participant, once admitted (the room's
 * McuRoomMedia maps it back to the leg). */
McuParticipant *mcu_call_leg_get_participant (McuCallLeg *self);
/* The SIP status the call was rejected with, 0 when it was not. */
guint mcu_call_leg_get_final_status (McuCallLeg *self);

/* Operator controls (the control socket). */
void mcu_call_leg_set_muted (McuCallLeg *self, gboolean muted);
void mcu_call_leg_set_deaf (McuCallLeg *self, gboolean deaf);
void mcu_call_leg_set_volume (McuCallLeg *self, gdouble volume);
/* How loud the caller hears the room (0.0 .. 4.0). */
void mcu_call_leg_set_listen_volume (McuCallLeg *self, gdouble volume);
/* DTMF to the caller (mcu-call-dtmf.h): RFC 4733 when the call negotiated
 * telephone-event, else SIP INFO; FALSE with MCU_CALL_DTMF_ERROR (bad
 * digits, neither method, too much queued). Signal "dtmf-sent" (const
 * gchar *digits, const gchar *method) when they are out. */
gboolean mcu_call_leg_send_dtmf (
    McuCallLeg *self, const gchar *digits, GError **error);
/* The same after @delay_ms (the method is picked then). */
gboolean mcu_call_leg_send_dtmf_after (
    McuCallLeg *self, const gchar *digits, guint delay_ms, GError **error);
/* (nullable) "opus", "pcmu", ... */
const gchar *mcu_call_leg_get_audio_codec (McuCallLeg *self);
/* (nullable) (transfer none) the audio session and the mix it is in (for
 * prompts: mcu_audio_mix_play_to) */
McuMediaSession *mcu_call_leg_get_media (McuCallLeg *self);
McuAudioMix *mcu_call_leg_get_mix (McuCallLeg *self);
void mcu_call_leg_get_stats (McuCallLeg *self, McuMediaStats *stats);
/* (nullable) (transfer none) the video half (mcu_call_video_get_stats for
 * the control socket); NULL without video support or a room. */
McuCallVideo *mcu_call_leg_get_video (McuCallLeg *self);
/* The role an outgoing leg's participant joins with (default: guest). */
void mcu_call_leg_set_dial_role (McuCallLeg *self, McuParticipantRole role);
/* (nullable) (transfer none) PIN entry, role rules and keypad controls */
McuCallControls *mcu_call_leg_get_controls (McuCallLeg *self);
/* Held out of everyone's mix (PIN entry, waiting for the moderator)
 * whatever the participant's own mute. */
void mcu_call_leg_set_held_out (McuCallLeg *self, gboolean held_out);

G_END_DECLS
