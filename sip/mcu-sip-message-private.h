/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuSipMessage internals for the agent (sofia types allowed here). */
#pragma once

#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>
#include "mcu-sip-message.h"

G_BEGIN_DECLS

/* An incoming MESSAGE on @nh (the call's handle when @call is set, else a
 * handle of its own, destroyed with the message). Call from inside the
 * nua_i_message callback: it saves the event to answer later. */
McuSipMessage *mcu_sip_message_new_incoming (
    nua_t *nua, nua_handle_t *nh, const sip_t *sip, McuSipCall *call);

/* Sends a MESSAGE on a new handle of @nua and returns the final status
 * through @task (g_task_return_int; the task keeps the message alive until
 * then). */
void mcu_sip_message_send (
    nua_t *nua, const McuSipMessageOptions *options, GTask *task);
/* Events on the handle of an outgoing MESSAGE. */
void mcu_sip_message_handle_event (McuSipMessage *self, nua_event_t event,
    int status, const char *phrase, const sip_t *sip, tagi_t tags[]);

G_END_DECLS
