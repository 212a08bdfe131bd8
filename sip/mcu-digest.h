/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: HTTP digest computation (RFC 7616, RFC 2617) for SIP: MD5 and
 * SHA-256 (and their -sess forms), qop=auth or none. Pure functions. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  MCU_DIGEST_MD5,
  MCU_DIGEST_SHA256,
} McuDigestAlgorithm;

/* "MD5", "SHA-256" (and "-sess" forms, case-insensitive; NULL means MD5).
 * Returns FALSE for anything else. */
gboolean mcu_digest_parse_algorithm (
    const gchar *name, McuDigestAlgorithm *algorithm, gboolean *sess);
const gchar *mcu_digest_algorithm_name (McuDigestAlgorithm algorithm);

/* H(user:realm:password) in lowercase hex. */
gchar *mcu_digest_ha1 (McuDigestAlgorithm algorithm, const gchar *user,
    const gchar *realm, const gchar *password);

/* Parsed Authorization credentials (values unquoted). */
typedef struct
{
  gchar *username;
  gchar *realm;
  gchar *nonce;
  gchar *uri;
  gchar *response;
  gchar *algorithm; /* (nullable) */
  gchar *cnonce;    /* (nullable) */
  gchar *opaque;    /* (nullable) */
  gchar *qop;       /* (nullable) */
  gchar *nc;        /* (nullable) 8 hex digits */
} McuDigestCredentials;

/* Parses 'Digest username="a", realm="b", ...'. Returns NULL when it is not
 * a Digest header or a required parameter is missing. */
McuDigestCredentials *mcu_digest_credentials_parse (const gchar *header);
void mcu_digest_credentials_free (McuDigestCredentials *credentials);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (
    McuDigestCredentials, mcu_digest_credentials_free)

/* The expected "response" value for @credentials given the stored @ha1
 * (H(user:realm:password) for the credentials' algorithm) and @method.
 * Returns NULL when the algorithm or qop is unsupported. */
gchar *mcu_digest_response (const McuDigestCredentials *credentials,
    const gchar *ha1, const gchar *method);

/* TRUE when @credentials carry the right response for @ha1 and @method
 * (constant-time comparison). */
gboolean mcu_digest_verify (const McuDigestCredentials *credentials,
    const gchar *ha1, const gchar *method);

/* A WWW-Authenticate value: 'Digest realm="..", nonce="..", ...'. */
gchar *mcu_digest_challenge (McuDigestAlgorithm algorithm, const gchar *realm,
    const gchar *nonce, const gchar *opaque, gboolean stale);

G_END_DECLS
