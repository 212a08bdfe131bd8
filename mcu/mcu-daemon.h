/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the daemon: owns the config, the SIP agent, the rooms, the ports, and
 * wires calls into rooms. Everything hangs off one McuDaemon. */
#pragma once

#include "mcu-config.h"
#include <glib-object.h>

G_BEGIN_DECLS

#define MCU_TYPE_DAEMON (mcu_daemon_get_type ())
G_DECLARE_FINAL_TYPE (McuDaemon, mcu_daemon, MCU, DAEMON, GObject)

/* Takes @config. Listens for SIP at once. */
McuDaemon *mcu_daemon_new (McuConfig *config, GError **error);
/* BYE to every participant, then signal "stopped". */
void mcu_daemon_shutdown (McuDaemon *self);
guint mcu_daemon_get_n_calls (McuDaemon *self);

G_END_DECLS
