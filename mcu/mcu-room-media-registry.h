/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: every room's McuRoomMedia, owned by the daemon. A room's media is
 * made with its first caller's (mcu_room_media_registry_open ()) and leaves
 * the registry when the room closes (or is dropped); whoever still holds it
 * (a leaving leg, a recorder's mix) keeps its own reference. Main thread
 * only. */
#pragma once

#include "mcu-room-media.h"

G_BEGIN_DECLS

#define MCU_TYPE_ROOM_MEDIA_REGISTRY (mcu_room_media_registry_get_type ())
G_DECLARE_FINAL_TYPE (McuRoomMediaRegistry, mcu_room_media_registry, MCU,
    ROOM_MEDIA_REGISTRY, GObject)

/* For the rooms of @rooms; @config and @rooms outlive it. */
McuRoomMediaRegistry *mcu_room_media_registry_new (
    const McuConfig *config, McuRoomDirectory *rooms);
/* (nullable) the prompt audio every room's mix shares (before any open) */
void mcu_room_media_registry_set_prompt_cache (
    McuRoomMediaRegistry *self, McuPromptCache *cache);

/* (transfer none) @room's media, made now (its audio mix) when it has
 * none. NULL with @error when the mix could not be built. */
McuRoomMedia *mcu_room_media_registry_open (
    McuRoomMediaRegistry *self, McuRoom *room, GError **error);
/* (nullable) (transfer none) @room's media: NULL before its first caller
 * and after it closed */
McuRoomMedia *mcu_room_media_registry_lookup (
    McuRoomMediaRegistry *self, McuRoom *room);
/* (nullable) (transfer none) shorthands of the above */
McuAudioMix *mcu_room_media_registry_get_audio_mix (
    McuRoomMediaRegistry *self, McuRoom *room);
McuVideoMix *mcu_room_media_registry_get_video_mix (
    McuRoomMediaRegistry *self, McuRoom *room);
/* (nullable) (transfer none) the leg of @participant (in its room) */
McuCallLeg *mcu_room_media_registry_find_leg (
    McuRoomMediaRegistry *self, McuParticipant *participant);

G_END_DECLS
