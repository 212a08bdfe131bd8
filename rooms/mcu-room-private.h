/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: rooms/ internals shared between its files. */
#pragma once

#include "mcu-room.h"
#include "mcu-participant.h"

G_BEGIN_DECLS

void mcu_participant_set_room (McuParticipant *self, McuRoom *room);
McuRoom *mcu_room_new (
    const gchar *name, const McuRoomSettings *settings, gboolean preconfigured);

G_END_DECLS
