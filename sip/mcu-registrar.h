/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the registrar (RFC 3261 section 10): bindings of users to Contacts,
 * kept in memory and, when a store is given, persisted through it.
 * Main thread only. No sofia types here: the agent converts REGISTER
 * requests into McuRegisterRequest (see mcu-registrar-private.h). */
#pragma once

#include <glib-object.h>
#include "mcu-binding-store.h"
#include "mcu-auth.h"

G_BEGIN_DECLS

#define MCU_TYPE_REGISTRAR (mcu_registrar_get_type ())
G_DECLARE_FINAL_TYPE (McuRegistrar, mcu_registrar, MCU, REGISTRAR, GObject)

typedef struct
{
  /* Domains a To URI may name (the [sip] domain, the listen address). */
  const gchar *const *domains;
  guint min_expires;             /* smaller non-zero requests get 423 */
  guint max_expires;             /* larger ones are clamped */
  guint default_expires;         /* no Expires header and no expires param */
  guint max_contacts;            /* bindings per AOR (0 = no limit); a REGISTER
                                  * that would add more gets 403 */
  guint max_bindings_per_source; /* bindings registered from one IP
                                  * address, all AORs (0 = no limit) */
  McuBindingStore *store;        /* (nullable) persistence */
  McuAuth *auth;                 /* (nullable) the user directory for is_user */
  McuClockFunc clock; /* (nullable) seconds since the epoch; for tests */
  gpointer clock_data;
} McuRegistrarOptions;

/* Loads live bindings from the store (purging expired ones there).
 * Signal "changed" (const gchar *aor): bindings of @aor were added,
 * refreshed, removed or expired. */
McuRegistrar *mcu_registrar_new (
    const McuRegistrarOptions *options, GError **error);

/* Live bindings of @user, best first (q descending, then the one that
 * expires last). Returns (transfer full) (element-type McuBinding); empty
 * when the user has none. */
GPtrArray *mcu_registrar_lookup (McuRegistrar *self, const gchar *user);
/* TRUE when @user is a configured or stored user, or has bindings. */
gboolean mcu_registrar_is_user (McuRegistrar *self, const gchar *user);
/* Every live binding, sorted by AOR then q descending (for GET
 * /v1/registrations). Returns (transfer full) (element-type McuBinding). */
GPtrArray *mcu_registrar_list (McuRegistrar *self);
/* Removes expired bindings now (a timer also does it). */
void mcu_registrar_purge_expired (McuRegistrar *self);

/* One Contact of a REGISTER, converted from SIP. */
typedef struct
{
  const gchar *uri; /* canonical URI text, compared byte for byte */
  gint64 expires;   /* the expires param, or -1 when absent */
  gdouble q;        /* the q param, or -1 when absent */
} McuRegisterContact;

/* A REGISTER request, without sofia types (unit-testable). */
typedef struct
{
  const gchar *aor_user;   /* To URI user part */
  const gchar *aor_domain; /* To URI host */
  const gchar *call_id;
  guint32 cseq;
  gint64 expires;    /* the Expires header, or -1 when absent */
  gboolean wildcard; /* Contact: * */
  const McuRegisterContact *contacts;
  guint n_contacts;
  const gchar *user_agent; /* (nullable) */
  const gchar *received;   /* (nullable) "ip:port/transport" */
  /* The digest-authenticated user, or NULL when REGISTER needs no auth. */
  const gchar *auth_user;
} McuRegisterRequest;

typedef struct
{
  guint status; /* 200, 400, 403, 404, 423, 500, 503 */
  const gchar *phrase;
  guint min_expires;   /* for 423: the Min-Expires value */
  guint retry_after;   /* for 503 (the store is unavailable): seconds */
  GPtrArray *bindings; /* for 200: (element-type McuBinding) of the AOR */
  gint64 now;          /* for the 200's Date header and expires params */
} McuRegisterResult;

void mcu_register_result_clear (McuRegisterResult *result);

/* Applies RFC 3261 section 10.3 steps 4-8 to @request; fills @result. */
void mcu_registrar_process (McuRegistrar *self,
    const McuRegisterRequest *request, McuRegisterResult *result);

G_END_DECLS
