/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the sofia side of McuRegistrar, for the agent (main thread only). */
#pragma once

#include "mcu-registrar.h"

#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>

G_BEGIN_DECLS

/* Answers 400 (with a Warning) and returns TRUE when the REGISTER @sip is
 * unusable (no SIP AOR in To, a malformed Contact); call it before asking
 * for credentials. */
gboolean mcu_registrar_reject_malformed (
    McuRegistrar *self, nua_t *nua, nua_handle_t *nh, const sip_t *sip);

/* Answers the REGISTER @sip on @nh (inside the nua event callback).
 * @auth_user: (nullable) the authenticated user, NULL when REGISTER needs
 * no credentials. @source: (nullable) "ip:port/transport". */
void mcu_registrar_handle_register (McuRegistrar *self, nua_t *nua,
    nua_handle_t *nh, const sip_t *sip, const gchar *auth_user,
    const gchar *source);

G_END_DECLS
