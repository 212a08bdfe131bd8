/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the B2BUA for calls to registered users: the caller's leg, parallel
 * INVITEs to each registered contact of the callee (an McuFork), and the
 * media of the two through a hidden two-party mix (so transcoding works). */
#pragma once

#include "mcu-daemon.h"

G_BEGIN_DECLS

#define MCU_TYPE_BRIDGE (mcu_bridge_get_type ())
G_DECLARE_FINAL_TYPE (McuBridge, mcu_bridge, MCU, BRIDGE, GObject)

/* @caller: the incoming leg (the daemon holds it; not started yet).
 * @user: the callee, @contacts its registered Contact URIs, best first.
 * Signal "ended" when both sides are over. */
McuBridge *mcu_bridge_new (McuDaemon *daemon, McuCallLeg *caller,
    const gchar *user, const gchar *const *contacts);
/* Rejects the caller at once (480 when @contacts is empty), or rings the
 * contacts: 180 to the caller on the first 180/183, 200 when one answers,
 * the best failure when all fail; a CANCEL from the caller cancels them. */
void mcu_bridge_start (McuBridge *self);
/* BYE/CANCEL on both sides. */
void mcu_bridge_hangup (McuBridge *self, const gchar *reason);

G_END_DECLS
