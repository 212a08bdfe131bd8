/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the SIP user agent (sofia-sip NUA on the GLib main loop). */
#pragma once

#include <gio/gio.h>
#include "mcu-sip-call.h"

G_BEGIN_DECLS

#define MCU_SIP_ERROR (mcu_sip_error_quark ())
GQuark mcu_sip_error_quark (void);

typedef enum
{
  MCU_SIP_ERROR_BIND, /* could not listen on the address/port */
} McuSipErrorCode;

#define MCU_TYPE_SIP_AGENT (mcu_sip_agent_get_type ())
G_DECLARE_FINAL_TYPE (McuSipAgent, mcu_sip_agent, MCU, SIP_AGENT, GObject)

typedef struct
{
  const gchar *listen; /* IP address */
  guint port;
  gboolean udp;
  gboolean tcp;
  const gchar *user_agent;
} McuSipAgentOptions;

/* Listens at once. Signals: "incoming-call" (McuSipCall): answer, reject or
 * keep it; the agent holds the call until "terminated".
 * "shutdown-complete": after mcu_sip_agent_shutdown () finished. */
McuSipAgent *mcu_sip_agent_new (
    const McuSipAgentOptions *options, GError **error);
/* Hang up every call (BYE), then stop; emits "shutdown-complete". */
void mcu_sip_agent_shutdown (McuSipAgent *self);
guint mcu_sip_agent_get_n_calls (McuSipAgent *self);

/* Routes sofia-sip's own log into GLib structured logging (process-wide:
 * sofia has one log for the process). */
void mcu_sip_redirect_sofia_log (void);

G_END_DECLS
