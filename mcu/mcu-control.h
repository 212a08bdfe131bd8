/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the admin control socket: HTTP/1.1 + JSON under /v1/ on a Unix
 * socket, and optionally on TCP where every request needs the bearer
 * token. Main thread only. */
#pragma once

#include "mcu-daemon.h"
#include "mcu-events.h"

G_BEGIN_DECLS

#define MCU_TYPE_CONTROL (mcu_control_get_type ())
G_DECLARE_FINAL_TYPE (McuControl, mcu_control, MCU, CONTROL, GObject)

/* Listens at once: [control] socket (created mode 0660; a stale socket
 * file left by a dead server is replaced, a live one is an error) and
 * [control] http when set. */
McuControl *mcu_control_new (
    McuDaemon *daemon, McuEvents *events, GError **error);
/* Where it listens: the Unix socket's path. */
const gchar *mcu_control_get_socket_path (McuControl *self);
/* Stops listening, ends event streams, removes the socket file. */
void mcu_control_stop (McuControl *self);

/* The default socket path when [control] socket is not set. (transfer full) */
gchar *mcu_control_default_socket_path (void);

G_END_DECLS
