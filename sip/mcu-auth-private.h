/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the sofia side of McuAuth, for the agent (main thread only). */
#pragma once

#include "mcu-auth.h"

#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>

G_BEGIN_DECLS

/* The sender of the request nua is delivering right now, as
 * "ip:port/transport" (transfer full), or NULL when unknown. Call it only
 * inside the nua event callback. */
gchar *mcu_auth_request_source (nua_t *nua);
/* Just the IP address of that sender (transfer full), "unknown" when it
 * cannot be told. */
gchar *mcu_auth_request_ip (nua_t *nua);

/* For a request that needs credentials (see mcu_auth_requires ()): returns
 * TRUE with @user (transfer full) set when it may go on, or FALSE when it
 * has already been answered (401 with challenges, 403, 400). The caller
 * still owns @nh. Call it inside the nua event callback. */
gboolean mcu_auth_check_request (McuAuth *self, nua_t *nua, nua_handle_t *nh,
    const sip_t *sip, gchar **user);

G_END_DECLS
