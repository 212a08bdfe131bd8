/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: instant messages (SIP MESSAGE, RFC 3428): to a registered user,
 * delivered to each of its contacts; to a room (its URI, or inside a
 * participant's call), relayed to every other participant under the
 * sender's display name. */
#pragma once

#include "mcu-daemon.h"

G_BEGIN_DECLS

#define MCU_TYPE_CHAT (mcu_chat_get_type ())
G_DECLARE_FINAL_TYPE (McuChat, mcu_chat, MCU, CHAT, GObject)

/* Handles the agent's "incoming-message" from now on. Signal
 * "room-message" (const gchar *room, const gchar *from_display,
 * const gchar *from_uri, const gchar *body): a chat line relayed in a room
 * (for the control socket's events). */
McuChat *mcu_chat_new (McuDaemon *daemon);
/* Sends @body to every participant of @room but the one whose URI is
 * @except_uri (nullable), from "@from_display" <sip:ROOM@domain>. Returns
 * how many were sent. */
guint mcu_chat_send_to_room (McuChat *self, McuRoom *room,
    const gchar *from_display, const gchar *except_uri,
    const gchar *content_type, const gchar *body);

G_END_DECLS
