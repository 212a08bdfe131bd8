/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: logging helpers of sip/: making SIP values safe to log, and
 * sofia-sip's own log routed into GLib's (rate-limited). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @text as one safe log token (transfer full): control characters (CR, LF,
 * ESC, ...), backslash, '"' and bytes that are not UTF-8 are written as
 * C escapes (\r, \n, \x1b, \\, \"), so a value can neither start a new log
 * line nor end a quoted field. NULL gives "". Use it for every value that
 * came from the network (display names, URIs, User-Agent, user names). */
gchar *mcu_sip_log_escape (const gchar *text);

/* Routes sofia-sip's own log into GLib structured logging (process-wide:
 * sofia has one log for the process). Repeated noise lines (e.g. "stun
 * garbage" for every stray UDP packet) are logged at most once every 10 s
 * with "(N suppressed)". */
void mcu_sip_redirect_sofia_log (void);

G_END_DECLS
