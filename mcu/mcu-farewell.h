/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a room's last words. Closing a scheduled meeting's room plays a
 * prompt (meeting-ended) to everyone in it first and hangs up when it has
 * been played, or after a bounded wait (the prompt's length + 1 s, at most
 * 10 s); the caller's state machine does not wait. Main thread only. */
#pragma once

#include "mcu-daemon.h"

G_BEGIN_DECLS

#define MCU_FAREWELL_MAX_WAIT_US (10 * G_USEC_PER_SEC)

#define MCU_TYPE_FAREWELL (mcu_farewell_get_type ())
G_DECLARE_FINAL_TYPE (McuFarewell, mcu_farewell, MCU, FAREWELL, GObject)

/* Plays prompt @name to @room, then mcu_daemon_close_room (). Closes at
 * once when nobody hears audio in the room or the prompt is missing. The
 * farewell holds itself until then; it is dropped (without closing) when
 * @daemon goes first. */
void mcu_farewell_close_room (
    McuDaemon *daemon, McuRoom *room, const gchar *name);

G_END_DECLS
