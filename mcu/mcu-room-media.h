/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one room's media, owned by the McuRoomMediaRegistry (the daemon):
 * the room's McuAudioMix, its McuVideoMix (made with the first caller that
 * has video), the participant -> McuCallLeg map and the audio session ->
 * participant id map (the video layout follows who talks). Main thread
 * only. */
#pragma once

#include "mcu-config.h"
#include "mcu-mixer.h"
#include "mcu-rooms.h"
#include "mcu-video-mix.h"

G_BEGIN_DECLS

typedef struct _McuCallLeg McuCallLeg;

#define MCU_TYPE_ROOM_MEDIA (mcu_room_media_get_type ())
G_DECLARE_FINAL_TYPE (McuRoomMedia, mcu_room_media, MCU, ROOM_MEDIA, GObject)

/* @room's media around its new @audio (takes a reference). */
McuRoomMedia *mcu_room_media_new (McuRoom *room, McuAudioMix *audio);

/* (nullable) (transfer none) the room: NULL once it is gone */
McuRoom *mcu_room_media_get_room (McuRoomMedia *self);
/* (transfer none) */
McuAudioMix *mcu_room_media_get_audio_mix (McuRoomMedia *self);
/* (nullable) (transfer none): NULL until a caller brought video */
McuVideoMix *mcu_room_media_get_video_mix (McuRoomMedia *self);
/* (transfer none) the room's video mix, made now if it has none yet (at
 * [video] size and rate, the room's layout, which it follows from then). */
McuVideoMix *mcu_room_media_ensure_video_mix (
    McuRoomMedia *self, const McuConfig *config, GError **error);

/* @participant of the room is @leg's (both weak: the leg removes it when it
 * leaves). */
void mcu_room_media_add_leg (
    McuRoomMedia *self, McuParticipant *participant, McuCallLeg *leg);
void mcu_room_media_remove_leg (
    McuRoomMedia *self, McuParticipant *participant);
/* (nullable) (transfer none) */
McuCallLeg *mcu_room_media_get_leg (
    McuRoomMedia *self, McuParticipant *participant);

/* The audio @session (weak) is participant @id's in the video mix: its
 * talking and being the active speaker show there. 0 removes it. */
void mcu_room_media_set_session_participant (
    McuRoomMedia *self, McuMediaSession *session, guint id);
/* 0 when @session is nobody's */
guint mcu_room_media_get_session_participant (
    McuRoomMedia *self, McuMediaSession *session);

G_END_DECLS
