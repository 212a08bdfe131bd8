/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a conference room: who is in it and what it allows. GLib only. */
#pragma once

#include <glib-object.h>
#include "mcu-participant.h"

G_BEGIN_DECLS

#define MCU_TYPE_ROOM (mcu_room_get_type ())
G_DECLARE_FINAL_TYPE (McuRoom, mcu_room, MCU, ROOM, GObject)

typedef enum
{
  MCU_ROOM_STATE_OPEN,
  MCU_ROOM_STATE_CLOSING, /* mcu_room_close (): no one may join */
  MCU_ROOM_STATE_CLOSED,
} McuRoomState;

/* Behaviour switches of a room (all off by default). */
typedef enum
{
  MCU_ROOM_OPTION_NONE = 0,
  /* guests are held out of the mix (hearing waiting-for-moderator, then
   * music) until a moderator is in */
  MCU_ROOM_OPTION_WAIT_FOR_MODERATOR = 1 << 0,
  /* when the last moderator leaves, everyone hears meeting-ended and is
   * hung up */
  MCU_ROOM_OPTION_END_WHEN_MODERATOR_LEAVES = 1 << 1,
  /* guests join muted */
  MCU_ROOM_OPTION_MUTE_GUESTS = 1 << 2,
  /* a caller alone in the room hears only-participant (then music) */
  MCU_ROOM_OPTION_ANNOUNCE_ALONE = 1 << 3,
  /* the room hears join/leave tones */
  MCU_ROOM_OPTION_ANNOUNCE_JOIN_LEAVE = 1 << 4,
} McuRoomOptions;

#define MCU_ROOM_N_OPTIONS 5
/* The config/API name of option number @i (0 .. MCU_ROOM_N_OPTIONS - 1),
 * e.g. "wait-for-moderator"; its flag is 1 << @i. */
const gchar *mcu_room_option_name (guint i);
/* The flag called @name ("wait-for-moderator" or "wait_for_moderator"), or
 * MCU_ROOM_OPTION_NONE. */
McuRoomOptions mcu_room_option_from_name (const gchar *name);

/* What a room starts with: from its [room:NAME] group, the control API, or
 * the defaults. */
typedef struct
{
  guint max_participants; /* 0 = no limit */
  const gchar *layout;    /* (nullable) "auto", "grid", "speaker" */
  const gchar *pin;       /* (nullable) */
  gboolean self_view;
  gboolean locked;
  gint64 created_at;          /* microseconds since the epoch; 0 = now */
  const gchar *moderator_pin; /* (nullable) */
  McuRoomOptions options;
} McuRoomSettings;

const gchar *mcu_room_get_name (McuRoom *self);
McuRoomState mcu_room_get_state (McuRoom *self);
gboolean mcu_room_is_preconfigured (McuRoom *self);
guint mcu_room_get_max_participants (McuRoom *self);
void mcu_room_set_max_participants (McuRoom *self, guint max);
gboolean mcu_room_get_locked (McuRoom *self);
void mcu_room_set_locked (McuRoom *self, gboolean locked);
/* "auto" (grid, active speaker when large), "grid" or "speaker". */
const gchar *mcu_room_get_layout (McuRoom *self);
void mcu_room_set_layout (McuRoom *self, const gchar *layout);
gboolean mcu_room_layout_is_valid (const gchar *layout);
/* (nullable) callers must give it to join (room*PIN in the Request-URI) */
const gchar *mcu_room_get_pin (McuRoom *self);
void mcu_room_set_pin (McuRoom *self, const gchar *pin);
/* TRUE when the room has no PIN or @pin is it (or the moderator PIN). */
gboolean mcu_room_check_pin (McuRoom *self, const gchar *pin);
/* (nullable) a second PIN that admits as moderator (the room's
 * moderator-pin, a scheduled meeting's moderator PIN). */
void mcu_room_set_moderator_pin (McuRoom *self, const gchar *pin);
const gchar *mcu_room_get_moderator_pin (McuRoom *self);
/* Whether @pin (nullable: none given) admits, and as what: the moderator
 * PIN gives a moderator; the guest PIN, or no PIN on a room without a guest
 * PIN, a guest. FALSE when the room has a guest PIN and @pin is neither. */
gboolean mcu_room_check_pin_role (
    McuRoom *self, const gchar *pin, McuParticipantRole *role);
/* Property "options" (notify). */
McuRoomOptions mcu_room_get_options (McuRoom *self);
void mcu_room_set_options (McuRoom *self, McuRoomOptions options);
gboolean mcu_room_has_option (McuRoom *self, McuRoomOptions option);
/* How many participants have @role (and are joined, with @joined_only). */
guint mcu_room_count_role (
    McuRoom *self, McuParticipantRole role, gboolean joined_only);
/* How many participants are joined (not entering a PIN or waiting). */
guint mcu_room_count_joined (McuRoom *self);
gboolean mcu_room_get_self_view (McuRoom *self);
/* A persistent room (made through the control API) stays open when empty
 * until it is closed. */
gboolean mcu_room_get_persistent (McuRoom *self);
void mcu_room_set_persistent (McuRoom *self, gboolean persistent);
/* Microseconds since the epoch when the room opened. */
gint64 mcu_room_get_created_at (McuRoom *self);
/* No one may join any more; "closed" follows when the last participant has
 * left (at once when empty). The owner hangs up the participants. */
void mcu_room_close (McuRoom *self);

/* Admit a caller: a new participant, or NULL with MCU_ROOM_ERROR_FULL /
 * _LOCKED / _CLOSED. (transfer none: the room holds it) */
McuParticipant *mcu_room_add_participant (
    McuRoom *self, const gchar *display_name, const gchar *uri, GError **error);
/* The same, with the participant's first state and role set before
 * "participant-added". */
McuParticipant *mcu_room_add_participant_full (McuRoom *self,
    const gchar *display_name, const gchar *uri, McuParticipantState state,
    McuParticipantRole role, GError **error);
/* Removes @participant; the last one out closes the room ("closed"). */
void mcu_room_remove_participant (McuRoom *self, McuParticipant *participant);
McuParticipant *mcu_room_find_participant (McuRoom *self, guint id);
guint mcu_room_get_n_participants (McuRoom *self);
/* (transfer container): the participants in joining order */
GList *mcu_room_list_participants (McuRoom *self);

G_END_DECLS
