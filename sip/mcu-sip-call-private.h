/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuSipCall internals for the agent (sofia types allowed here). */
#pragma once

#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>
#include "mcu-sip-call.h"

G_BEGIN_DECLS

McuSipCall *mcu_sip_call_new_incoming (nua_handle_t *nh, const sip_t *sip);
void mcu_sip_call_handle_event (McuSipCall *self, nua_event_t event, int status,
    const char *phrase, const sip_t *sip, tagi_t tags[]);

G_END_DECLS
