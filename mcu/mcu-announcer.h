/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: prompts played into rooms on behalf of the operator and the daemon:
 * announcements to a whole room, personal prompts to one participant, and
 * the join/leave chimes. Reports each one on the event stream as
 * "announcement" (prompt_id, prompt, state "started", then "done" with
 * "completed"). */
#pragma once

#include "mcu-config.h"
#include "mcu-events.h"
#include "mcu-mixer.h"
#include "mcu-rooms.h"
#include "mcu-room-media-registry.h"

G_BEGIN_DECLS

#define MCU_TYPE_ANNOUNCER (mcu_announcer_get_type ())
G_DECLARE_FINAL_TYPE (McuAnnouncer, mcu_announcer, MCU, ANNOUNCER, GObject)

/* Watches every room of @rooms (join/leave chimes); all outlive it. */
McuAnnouncer *mcu_announcer_new (const McuConfig *config,
    McuRoomDirectory *rooms, McuRoomMediaRegistry *media, McuEvents *events);

/* (transfer none) the prompt audio every room's mix shares. */
McuPromptCache *mcu_announcer_get_cache (McuAnnouncer *self);

/* Plays @file (label @label in the events, e.g. the prompt's name) to
 * everyone in @room. Returns the prompt id (> 0), or 0 with @error:
 * MCU_MIXER_ERROR_NO_SESSION when nobody's audio is in the room,
 * _LIMIT, _PROMPT (unreadable file). */
guint mcu_announcer_announce (McuAnnouncer *self, McuRoom *room,
    const gchar *file, const gchar *label, GError **error);

/* Plays @file to @participant only, whose audio is @session in @mix (see
 * mcu_audio_mix_play_to for @flags). Same returns. */
guint mcu_announcer_play_to (McuAnnouncer *self, McuRoom *room,
    McuParticipant *participant, McuAudioMix *mix, McuMediaSession *session,
    const gchar *file, const gchar *label, McuPromptFlags flags,
    GError **error);

/* Whether joins and leaves in @room are chimed ([rooms] join-tones). */
gboolean mcu_announcer_wants_join_tones (McuAnnouncer *self, McuRoom *room);

G_END_DECLS
