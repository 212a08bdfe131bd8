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
  MCU_ROOM_STATE_CLOSED,
} McuRoomState;

const gchar *mcu_room_get_name (McuRoom *self);
McuRoomState mcu_room_get_state (McuRoom *self);
gboolean mcu_room_is_preconfigured (McuRoom *self);
guint mcu_room_get_max_participants (McuRoom *self);
gboolean mcu_room_get_locked (McuRoom *self);
void mcu_room_set_locked (McuRoom *self, gboolean locked);

/* Admit a caller: a new participant, or NULL with MCU_ROOM_ERROR_FULL /
 * _LOCKED / _CLOSED. (transfer none: the room holds it) */
McuParticipant *mcu_room_add_participant (
    McuRoom *self, const gchar *display_name, const gchar *uri, GError **error);
/* Removes @participant; the last one out closes the room ("closed"). */
void mcu_room_remove_participant (McuRoom *self, McuParticipant *participant);
McuParticipant *mcu_room_find_participant (McuRoom *self, guint id);
guint mcu_room_get_n_participants (McuRoom *self);
/* (transfer container): the participants in joining order */
GList *mcu_room_list_participants (McuRoom *self);

/* Opaque data of the layer that owns the room's media. */
void mcu_room_set_user_data (
    McuRoom *self, gpointer data, GDestroyNotify destroy);
gpointer mcu_room_get_user_data (McuRoom *self);

G_END_DECLS
