/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the SIP user agent (sofia-sip NUA on the GLib main loop). */
#pragma once

#include <gio/gio.h>
#include "mcu-sip-call.h"
#include "mcu-sip-message.h"
#include "mcu-registrar.h"
#include "mcu-auth.h"
#include "mcu-rate-limit.h"
#include "mcu-sip-tls.h"

G_BEGIN_DECLS

#define MCU_SIP_ERROR (mcu_sip_error_quark ())
GQuark mcu_sip_error_quark (void);

typedef enum
{
  MCU_SIP_ERROR_BIND,            /* could not listen on the address/port */
  MCU_SIP_ERROR_SHUTDOWN,        /* no new calls or messages: shutting down */
  MCU_SIP_ERROR_BAD_URI,         /* not a SIP URI we can send to */
  MCU_SIP_ERROR_TLS_CERTIFICATE, /* [tls] certificate: unreadable, not PEM,
                                  * expired or not yet valid */
  MCU_SIP_ERROR_TLS_KEY,         /* [tls] key: unreadable, not PEM,
                                  * encrypted, or not the certificate's */
  MCU_SIP_ERROR_TLS_CA,          /* [tls] ca: unreadable or not PEM */
} McuSipErrorCode;

#define MCU_TYPE_SIP_AGENT (mcu_sip_agent_get_type ())
G_DECLARE_FINAL_TYPE (McuSipAgent, mcu_sip_agent, MCU, SIP_AGENT, GObject)

typedef struct
{
  const gchar *listen; /* IP address */
  guint port;
  gboolean udp;
  gboolean tcp;
  gboolean tls; /* also (or only) TLS on @tls_port */
  guint tls_port;
  McuSipTlsOptions tls_files; /* with @tls */
  const gchar *user_agent;
  guint max_message_size; /* bytes; larger SIP messages are refused (0 =
                           * sofia's default) */
} McuSipAgentOptions;

/* Caps on incoming calls (0 = none). A half-open call is one that is set
 * up but not proven: no ACK yet, or no media yet (see
 * mcu_sip_call_is_half_open ()). Past a cap, INVITEs get 503 with
 * Retry-After before anything is created for them. */
typedef struct
{
  guint max_calls;                /* every call the agent holds */
  guint max_half_open;            /* half-open incoming calls in all */
  guint max_half_open_per_source; /* ... from one IP address */
  guint retry_after;              /* seconds, in those 503s */
} McuSipCallLimits;

/* Listens at once. Signals: "incoming-call" (McuSipCall): answer, reject or
 * keep it; the agent holds the call until "terminated".
 * "shutdown-complete": after mcu_sip_agent_shutdown () finished. */
McuSipAgent *mcu_sip_agent_new (
    const McuSipAgentOptions *options, GError **error);
/* An outgoing call (see mcu-sip-call.h). */
typedef struct
{
  const gchar *request_uri;  /* where the INVITE goes (a Contact) */
  const gchar *to_uri;       /* (nullable) To URI; NULL = request_uri */
  const gchar *to_display;   /* (nullable) */
  const gchar *from_uri;     /* e.g. sip:ROOM@domain */
  const gchar *from_display; /* (nullable) e.g. the room's name */
} McuSipCallOptions;

/* Creates an outgoing call without sending anything: connect its signals,
 * then mcu_sip_call_invite () it. The agent holds it until "terminated"
 * (hang it up to drop it unsent). (transfer full) */
McuSipCall *mcu_sip_agent_create_call (
    McuSipAgent *self, const McuSipCallOptions *options, GError **error);

/* Sends a MESSAGE outside any dialog; finish gives the final status (0
 * with @error when it could not be sent). Signal "incoming-message"
 * (McuSipMessage) -> gboolean brings the ones we receive: a handler that
 * returns TRUE answers it (now or later); when none does, 404. */
void mcu_sip_agent_send_message (McuSipAgent *self,
    const McuSipMessageOptions *options, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data);
guint mcu_sip_agent_send_message_finish (
    McuSipAgent *self, GAsyncResult *result, GError **error);

/* REGISTER is answered by @registrar (405 while none is set). */
void mcu_sip_agent_set_registrar (McuSipAgent *self, McuRegistrar *registrar);
/* Digest authentication for REGISTER, INVITE and MESSAGE as @auth says
 * (mcu_auth_requires ()); none while unset. */
void mcu_sip_agent_set_auth (McuSipAgent *self, McuAuth *auth);
/* Per-source request rates (@rate_limit, nullable: none) and call caps
 * (@limits, nullable: none), checked before anything is created for a
 * request. */
void mcu_sip_agent_set_limits (McuSipAgent *self, McuRateLimit *rate_limit,
    const McuSipCallLimits *limits);

/* SIGHUP: reads and checks the TLS files again and puts them into the TLS
 * listener: new connections get the new certificate, established ones
 * (calls, registrations) keep theirs. FALSE: the files are unusable and
 * nothing changed. TRUE with *@restart_needed: checked, but sofia-sip's
 * TLS contexts were not found, so the new files serve from the next
 * start. */
gboolean mcu_sip_agent_reload_tls (McuSipAgent *self,
    const McuSipTlsOptions *options, gboolean *restart_needed, GError **error);

/* Hang up every call (BYE), then stop; emits "shutdown-complete". */
void mcu_sip_agent_shutdown (McuSipAgent *self);
guint mcu_sip_agent_get_n_calls (McuSipAgent *self);

G_END_DECLS
