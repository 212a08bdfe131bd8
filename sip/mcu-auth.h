/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: server-side digest authentication (RFC 7616/2617, MD5 and SHA-256,
 * qop=auth): the user directory ([user:NAME] and the store), nonces,
 * nonce counts, and rate limiting of failures per source. Main thread only.
 * The sofia side (answering 401/403) is in mcu-auth-private.h. */
#pragma once

#include <glib-object.h>
#include "mcu-binding-store.h"
#include "mcu-digest.h"

G_BEGIN_DECLS

#define MCU_TYPE_AUTH (mcu_auth_get_type ())
G_DECLARE_FINAL_TYPE (McuAuth, mcu_auth, MCU, AUTH, GObject)

/* Seconds on some clock; used so tests can move time. */
typedef gint64 (*McuClockFunc) (gpointer data);

typedef struct
{
  const gchar *realm;
  gboolean for_register; /* which requests need credentials */
  gboolean for_invite;
  gboolean for_message;
  guint nonce_lifetime;    /* seconds; older nonces get stale=true */
  guint max_failures;      /* failures of one user from one source IP
                            * before it is blocked (1 s, 2 s, 4 s, ...) */
  guint failure_window;    /* seconds failures are remembered after the
                            * last block ends */
  guint max_backoff;       /* seconds: the longest block (0 = 300) */
  guint max_failure_pairs; /* (user, source IP) pairs remembered; the one
                            * that failed longest ago goes first (0 =
                            * 65536) */
  gboolean no_md5;         /* challenge with SHA-256 only */
  gboolean no_sha256;      /* challenge with MD5 only (libre/baresip 1.0
                            * give up on a challenge list with SHA-256) */
  McuBindingStore *store;  /* (nullable) more users (HA1 only) */
  McuClockFunc clock;      /* (nullable) monotonic seconds; for tests */
  gpointer clock_data;
} McuAuthOptions;

McuAuth *mcu_auth_new (const McuAuthOptions *options);

const gchar *mcu_auth_get_realm (McuAuth *self);
/* TRUE when requests of @method ("REGISTER", "INVITE", "MESSAGE") need
 * credentials. */
gboolean mcu_auth_requires (McuAuth *self, const gchar *method);

/* Adds a user with a plain @password or an @ha1 (32 hex digits: MD5, 64:
 * SHA-256), at least one of them. Returns FALSE when @ha1 is malformed. */
gboolean mcu_auth_add_user (McuAuth *self, const gchar *name,
    const gchar *password, const gchar *ha1, const gchar *display);
/* TRUE when @name is a configured or stored user. */
gboolean mcu_auth_has_user (McuAuth *self, const gchar *name);

typedef enum
{
  MCU_AUTH_OK,        /* credentials good: the user is authenticated */
  MCU_AUTH_CHALLENGE, /* 401: no credentials, or wrong ones */
  MCU_AUTH_STALE,     /* 401 with stale=true: right password, old nonce */
  MCU_AUTH_FORBIDDEN, /* 403: this user is blocked from this source */
  MCU_AUTH_BAD,       /* 400: malformed credentials */
} McuAuthVerdict;

/* Checks one request. @credentials: (nullable) the Authorization header
 * values (one per header; the one for our realm is used). @uri: the
 * Request-URI text, for the digest-uri check. @source: the sender's
 * address "ip:port/transport" (failures are counted per ip). @user_hint:
 * (nullable) the To/From user, to offer only the algorithms that user has.
 * On MCU_AUTH_OK sets @user (transfer full). Otherwise sets @challenges
 * (transfer full) to the WWW-Authenticate values to send (MD5 then
 * SHA-256), except for FORBIDDEN and BAD. */
McuAuthVerdict mcu_auth_check (McuAuth *self, const gchar *method,
    const gchar *uri, const gchar *const *credentials, const gchar *source,
    const gchar *user_hint, gchar **user, gchar ***challenges);
/* The same, also giving for FORBIDDEN the seconds the block lasts (the
 * Retry-After). Failures and blocks are per (user, source IP): the user of
 * the credentials, or @user_hint for a request without any. */
McuAuthVerdict mcu_auth_check_full (McuAuth *self, const gchar *method,
    const gchar *uri, const gchar *const *credentials, const gchar *source,
    const gchar *user_hint, gchar **user, gchar ***challenges,
    guint *retry_after);

G_END_DECLS
