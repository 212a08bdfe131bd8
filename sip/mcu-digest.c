/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: HTTP digest computation (RFC 7616, RFC 2617). Pure functions. */
#include "mcu-digest.h"

#include <string.h>

static GChecksumType
checksum_type (McuDigestAlgorithm algorithm)
{
  return algorithm == MCU_DIGEST_SHA256 ? G_CHECKSUM_SHA256 : G_CHECKSUM_MD5;
}

/* H(a:b:c...) of the NULL-terminated parts, in lowercase hex. */
static gchar *
hash_joined (McuDigestAlgorithm algorithm, ...)
{
  g_autoptr (GChecksum) sum = g_checksum_new (checksum_type (algorithm));
  const gchar *part;
  gboolean first = TRUE;
  va_list ap;

  va_start (ap, algorithm);
  while ((part = va_arg (ap, const gchar *)) != NULL) {
    if (!first)
      g_checksum_update (sum, (const guchar *)":", 1);
    g_checksum_update (sum, (const guchar *)part, strlen (part));
    first = FALSE;
  }
  va_end (ap);
  return g_strdup (g_checksum_get_string (sum));
}

gboolean
mcu_digest_parse_algorithm (
    const gchar *name, McuDigestAlgorithm *algorithm, gboolean *sess)
{
  static const struct
  {
    const gchar *name;
    McuDigestAlgorithm algorithm;
    gboolean sess;
  } names[] = {
    { "MD5", MCU_DIGEST_MD5, FALSE },
    { "MD5-sess", MCU_DIGEST_MD5, TRUE },
    { "SHA-256", MCU_DIGEST_SHA256, FALSE },
    { "SHA-256-sess", MCU_DIGEST_SHA256, TRUE },
  };

  if (name == NULL)
    name = "MD5";
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    if (g_ascii_strcasecmp (name, names[i].name) == 0) {
      *algorithm = names[i].algorithm;
      *sess = names[i].sess;
      return TRUE;
    }
  }
  return FALSE;
}

const gchar *
mcu_digest_algorithm_name (McuDigestAlgorithm algorithm)
{
  return algorithm == MCU_DIGEST_SHA256 ? "SHA-256" : "MD5";
}

gchar *
mcu_digest_ha1 (McuDigestAlgorithm algorithm, const gchar *user,
    const gchar *realm, const gchar *password)
{
  return hash_joined (algorithm, user, realm, password, NULL);
}

void
mcu_digest_credentials_free (McuDigestCredentials *c)
{
  if (c == NULL)
    return;
  g_free (c->username);
  g_free (c->realm);
  g_free (c->nonce);
  g_free (c->uri);
  g_free (c->response);
  g_free (c->algorithm);
  g_free (c->cnonce);
  g_free (c->opaque);
  g_free (c->qop);
  g_free (c->nc);
  g_free (c);
}

/* Reads one 'name=value' or 'name="quoted value"' at *p; advances past the
 * following comma. Returns FALSE at the end or on a syntax error. */
static gboolean
next_param (const gchar **p, gchar **name, gchar **value)
{
  const gchar *s = *p;
  const gchar *start;
  GString *v;

  while (*s == ' ' || *s == '\t' || *s == ',' || *s == '\r' || *s == '\n')
    s++;
  if (*s == '\0')
    return FALSE;
  start = s;
  while (*s && *s != '=' && *s != ',' && *s != ' ' && *s != '\t')
    s++;
  *name = g_strndup (start, s - start);
  while (*s == ' ' || *s == '\t')
    s++;
  if (*s != '=') {
    g_clear_pointer (name, g_free);
    return FALSE;
  }
  s++;
  while (*s == ' ' || *s == '\t')
    s++;
  v = g_string_new (NULL);
  if (*s == '"') {
    for (s++; *s && *s != '"'; s++) {
      if (*s == '\\' && s[1])
        s++;
      g_string_append_c (v, *s);
    }
    if (*s != '"') {
      g_string_free (v, TRUE);
      g_clear_pointer (name, g_free);
      return FALSE;
    }
    s++;
  } else {
    while (*s && *s != ',' && *s != ' ' && *s != '\t')
      g_string_append_c (v, *s++);
  }
  *value = g_string_free (v, FALSE);
  *p = s;
  return TRUE;
}

static gchar **
credentials_field (McuDigestCredentials *c, const gchar *name)
{
  static const struct
  {
    const gchar *name;
    gsize offset;
  } fields[] = {
    { "username", G_STRUCT_OFFSET (McuDigestCredentials, username) },
    { "realm", G_STRUCT_OFFSET (McuDigestCredentials, realm) },
    { "nonce", G_STRUCT_OFFSET (McuDigestCredentials, nonce) },
    { "uri", G_STRUCT_OFFSET (McuDigestCredentials, uri) },
    { "response", G_STRUCT_OFFSET (McuDigestCredentials, response) },
    { "algorithm", G_STRUCT_OFFSET (McuDigestCredentials, algorithm) },
    { "cnonce", G_STRUCT_OFFSET (McuDigestCredentials, cnonce) },
    { "opaque", G_STRUCT_OFFSET (McuDigestCredentials, opaque) },
    { "qop", G_STRUCT_OFFSET (McuDigestCredentials, qop) },
    { "nc", G_STRUCT_OFFSET (McuDigestCredentials, nc) },
  };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (g_ascii_strcasecmp (name, fields[i].name) == 0)
      return G_STRUCT_MEMBER_P (c, fields[i].offset);
  return NULL;
}

McuDigestCredentials *
mcu_digest_credentials_parse (const gchar *header)
{
  g_autoptr (McuDigestCredentials) c = g_new0 (McuDigestCredentials, 1);
  const gchar *p = header;
  gchar *name = NULL;
  gchar *value = NULL;

  if (header == NULL)
    return NULL;
  while (*p == ' ' || *p == '\t')
    p++;
  if (g_ascii_strncasecmp (p, "Digest", 6) != 0 ||
      (p[6] != ' ' && p[6] != '\t'))
    return NULL;
  p += 6;
  while (next_param (&p, &name, &value)) {
    gchar **field = credentials_field (c, name);

    if (field) {
      g_free (*field);
      *field = value;
    } else {
      g_free (value);
    }
    g_free (name);
  }
  if (*p != '\0')
    return NULL; /* a syntax error stopped the loop */
  if (!c->username || !c->realm || !c->nonce || !c->uri || !c->response)
    return NULL;
  if (c->qop && (!c->cnonce || !c->nc))
    return NULL;
  return g_steal_pointer (&c);
}

gchar *
mcu_digest_response (
    const McuDigestCredentials *c, const gchar *ha1, const gchar *method)
{
  McuDigestAlgorithm algorithm;
  gboolean sess;
  g_autofree gchar *sess_ha1 = NULL;
  g_autofree gchar *ha2 = NULL;

  if (!mcu_digest_parse_algorithm (c->algorithm, &algorithm, &sess))
    return NULL;
  if (sess) {
    if (c->cnonce == NULL)
      return NULL;
    sess_ha1 = hash_joined (algorithm, ha1, c->nonce, c->cnonce, NULL);
    ha1 = sess_ha1;
  }
  ha2 = hash_joined (algorithm, method, c->uri, NULL);
  if (c->qop == NULL)
    return hash_joined (algorithm, ha1, c->nonce, ha2, NULL);
  if (g_ascii_strcasecmp (c->qop, "auth") != 0)
    return NULL; /* auth-int is not offered */
  return hash_joined (
      algorithm, ha1, c->nonce, c->nc, c->cnonce, c->qop, ha2, NULL);
}

gboolean
mcu_digest_verify (
    const McuDigestCredentials *c, const gchar *ha1, const gchar *method)
{
  g_autofree gchar *expected = mcu_digest_response (c, ha1, method);
  gsize len;
  guchar diff = 0;

  if (expected == NULL)
    return FALSE;
  len = strlen (expected);
  if (strlen (c->response) != len)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    diff |= (guchar)(g_ascii_tolower (c->response[i]) ^ expected[i]);
  return diff == 0;
}

gchar *
mcu_digest_challenge (McuDigestAlgorithm algorithm, const gchar *realm,
    const gchar *nonce, const gchar *opaque, gboolean stale)
{
  GString *s = g_string_new ("Digest ");

  g_string_append_printf (s, "realm=\"%s\", nonce=\"%s\"", realm, nonce);
  if (opaque)
    g_string_append_printf (s, ", opaque=\"%s\"", opaque);
  g_string_append_printf (
      s, ", algorithm=%s, qop=\"auth\"", mcu_digest_algorithm_name (algorithm));
  if (stale)
    g_string_append (s, ", stale=true");
  return g_string_free (s, FALSE);
}
