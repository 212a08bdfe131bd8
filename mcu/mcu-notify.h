/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the systemd notification protocol (sd_notify) without libsystemd:
 * one datagram to $NOTIFY_SOCKET per state change. Outside systemd (no
 * NOTIFY_SOCKET) every call does nothing. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sends STATE ("READY=1", "STOPPING=1", "WATCHDOG=1", "STATUS=...") to the
 * service manager. FALSE (and a reason in error) when NOTIFY_SOCKET is set
 * but the datagram could not be sent; TRUE otherwise. */
gboolean mcu_notify (const gchar *state, GError **error);

/* When the manager asked for a watchdog ($WATCHDOG_USEC, for this process
 * by $WATCHDOG_PID), sends WATCHDOG=1 from the default main context every
 * half period. Returns the source id, or 0 when no watchdog is wanted. */
guint mcu_notify_watchdog_start (void);

G_END_DECLS
