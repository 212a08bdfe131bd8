/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: SDES crypto attributes (RFC 4568) for RTP/SAVP(F). Pure functions.
 *
 * What we take from an offer: "a=crypto:TAG SUITE inline:KEY||SALT" with
 * one key, no MKI, no session parameters, and a lifetime only when it is
 * 2^31 or more (we never re-key on a packet count). Anything else makes
 * that one line unusable (the next one may still be), never the call.
 * Keys come from getrandom(2), never from GLib's g_random. Nothing here
 * logs a key. */
#include "mcu-sdp-private.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

typedef struct
{
  McuSdpCryptoSuite suite;
  const gchar *name;
  guint key_len;
} SuiteInfo;

static const SuiteInfo suites[] = {
  { MCU_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80", 30 },
  { MCU_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_32, "AES_CM_128_HMAC_SHA1_32", 30 },
  { MCU_SDP_CRYPTO_AEAD_AES_128_GCM, "AEAD_AES_128_GCM", 28 },
};

static const SuiteInfo *
suite_info (McuSdpCryptoSuite suite)
{
  for (gsize i = 0; i < G_N_ELEMENTS (suites); i++)
    if (suites[i].suite == suite)
      return &suites[i];
  return NULL;
}

guint
mcu_sdp_crypto_key_length (McuSdpCryptoSuite suite)
{
  const SuiteInfo *info = suite_info (suite);

  return info ? info->key_len : 0;
}

const gchar *
mcu_sdp_crypto_suite_to_string (McuSdpCryptoSuite suite)
{
  const SuiteInfo *info = suite_info (suite);

  return info ? info->name : "none";
}

gboolean
mcu_sdp_crypto_generate (
    McuSdpCrypto *crypto, McuSdpCryptoSuite suite, guint tag, GError **error)
{
  const SuiteInfo *info = suite_info (suite);
  gsize done = 0;

  g_return_val_if_fail (crypto != NULL && info != NULL, FALSE);
  memset (crypto, 0, sizeof *crypto);
  while (done < info->key_len) {
    ssize_t n = getrandom (crypto->key + done, info->key_len - done, 0);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int saved = errno;

      memset (crypto, 0, sizeof *crypto);
      g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_SRTP,
          "no random bytes for an SRTP key: %s", g_strerror (saved));
      return FALSE;
    }
    done += (gsize)n;
  }
  crypto->suite = suite;
  crypto->tag = tag;
  crypto->key_len = info->key_len;
  return TRUE;
}

/* RFC 4568 §6.1: "2^N" or a decimal number of packets. */
static gboolean
lifetime_ok (const gchar *text)
{
  guint value;

  if (g_str_has_prefix (text, "2^"))
    return mcu_sdp_parse_uint (text + 2, 64, &value) &&
           strspn (text + 2, "0123456789") == strlen (text + 2) &&
           value >= 31 && value <= 48;
  if (strspn (text, "0123456789") != strlen (text) || strlen (text) > 15)
    return FALSE;
  return g_ascii_strtoull (text, NULL, 10) >= (G_GUINT64_CONSTANT (1) << 31);
}

/* Strict base64 of exactly @len bytes (padding optional). */
static gboolean
decode_key (const gchar *text, guint8 *out, guint len)
{
  static const gchar alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  gsize n = strspn (text, alphabet), pad = strspn (text + n, "=");
  g_autofree gchar *padded = NULL;
  g_autofree guchar *bytes = NULL;
  gsize got = 0;
  gboolean ok;

  if (text[n + pad] != '\0' || n == 0 || pad > 2 || n + pad > 64)
    return FALSE;
  padded = g_strnfill (((n + 3) / 4) * 4, '=');
  memcpy (padded, text, n);
  bytes = g_base64_decode (padded, &got);
  ok = got == len;
  if (ok)
    memcpy (out, bytes, len);
  if (bytes)
    memset (bytes, 0, got);
  memset (padded, 0, strlen (padded));
  return ok;
}

gboolean
mcu_sdp_crypto_parse (const gchar *value, McuSdpCrypto *out)
{
  g_auto (GStrv) words = NULL;
  g_auto (GStrv) parts = NULL;
  const gchar *word[4] = { NULL };
  const SuiteInfo *info = NULL;
  McuSdpCrypto crypto = { 0 };
  guint n = 0;
  gboolean ok;

  g_return_val_if_fail (out != NULL, FALSE);
  if (value == NULL)
    return FALSE;
  words = g_strsplit_set (value, " \t", 16);
  for (gchar **w = words; *w != NULL; w++) {
    if (**w == '\0')
      continue;
    if (n == 3)
      return FALSE; /* session parameters: none supported */
    word[n++] = *w;
  }
  if (n != 3 || !mcu_sdp_parse_uint (word[0], 999999999, &crypto.tag) ||
      strspn (word[0], "0123456789") != strlen (word[0]))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (suites); i++)
    if (g_str_equal (word[1], suites[i].name))
      info = &suites[i];
  if (info == NULL || !g_str_has_prefix (word[2], "inline:") ||
      strchr (word[2], ';') != NULL) /* more than one key */
    return FALSE;
  parts = g_strsplit (word[2] + 7, "|", 4);
  /* KEY, KEY|LIFETIME; an MKI (KEY|LIFETIME|MKI:LEN or KEY|MKI:LEN) is not
   * supported */
  if (parts[0] == NULL ||
      (parts[1] != NULL && (parts[2] != NULL || strchr (parts[1], ':') ||
                               !lifetime_ok (parts[1]))))
    return FALSE;
  crypto.suite = info->suite;
  crypto.key_len = info->key_len;
  ok = decode_key (parts[0], crypto.key, info->key_len);
  memset (parts[0], 0, strlen (parts[0]));
  if (ok)
    *out = crypto;
  memset (&crypto, 0, sizeof crypto);
  return ok;
}

void
mcu_sdp_crypto_append (GString *sdp, const McuSdpCrypto *crypto)
{
  g_autofree gchar *key = NULL;

  g_return_if_fail (suite_info (crypto->suite) != NULL);
  key = g_base64_encode (crypto->key, crypto->key_len);
  g_string_append_printf (sdp, "a=crypto:%u %s inline:%s\r\n", crypto->tag,
      mcu_sdp_crypto_suite_to_string (crypto->suite), key);
  memset (key, 0, strlen (key));
}

static gboolean
proto_is_sdes (const gchar *proto)
{
  return g_ascii_strcasecmp (proto, "RTP/SAVP") == 0 ||
         g_ascii_strcasecmp (proto, "RTP/SAVPF") == 0;
}

/* The first a=crypto of @media we can use, or why there is none. */
gchar *
mcu_sdp_srtp_problem (const McuSdpMedia *media, McuSdpSrtpMode mode,
    gboolean keys_ok, McuSdpCrypto *crypto)
{
  g_autoptr (GString) proto = g_string_new (NULL);

  mcu_sdp_append_safe (proto, media->proto);
  if (!proto_is_sdes (media->proto))
    return g_strdup_printf ("%s offered only over SRTP (%s); DTLS-SRTP "
                            "unsupported, offer RTP/SAVP with a=crypto",
        media->media, proto->str);
  if (mode == MCU_SDP_SRTP_OFF)
    return g_strdup_printf ("%s offered only over SRTP (%s); SRTP is off "
                            "on this server, offer RTP/AVP",
        media->media, proto->str);
  if (!keys_ok)
    return g_strdup ("SRTP keys (a=crypto) are accepted over TLS only; "
                     "call with sips: or transport=tls");
  for (gchar **c = media->crypto; c && *c; c++)
    if (mcu_sdp_crypto_parse (*c, crypto))
      return NULL;
  return g_strdup_printf ("no usable a=crypto on the %s line (supported: "
                          "AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, "
                          "AEAD_AES_128_GCM; no MKI)",
      proto->str);
}
