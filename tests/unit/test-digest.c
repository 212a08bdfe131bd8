/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for the digest computation: the RFC 2617 section 3.5 example
 * and the RFC 7616 section 3.9.1 examples (MD5 and SHA-256), parsing of
 * Authorization values, and rejection of wrong or malformed credentials. */
#include "mcu-digest.h"

#include <string.h>

#define RFC2617_HEADER                                                      \
  "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "              \
  "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", " \
  "qop=auth, nc=00000001, cnonce=\"0a4f113b\", "                            \
  "response=\"6629fae49393a05397450978507c4ef1\", "                         \
  "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""

#define RFC7616_PARAMS                                                    \
  "username=\"Mufasa\", realm=\"http-auth@example.org\", "                \
  "uri=\"/dir/index.html\", "                                             \
  "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, " \
  "cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, "   \
  "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""

static void
test_rfc2617 (void)
{
  g_autoptr (McuDigestCredentials) c =
      mcu_digest_credentials_parse (RFC2617_HEADER);
  g_autofree gchar *ha1 = mcu_digest_ha1 (
      MCU_DIGEST_MD5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  g_autofree gchar *response = NULL;

  g_assert_nonnull (c);
  g_assert_cmpstr (c->username, ==, "Mufasa");
  g_assert_cmpstr (c->qop, ==, "auth");
  g_assert_cmpstr (c->nc, ==, "00000001");
  g_assert_cmpstr (c->opaque, ==, "5ccc069c403ebaf9f0171e9517f40e41");
  g_assert_null (c->algorithm);
  g_assert_cmpstr (ha1, ==, "939e7578ed9e3c518a452acee763bce9");
  response = mcu_digest_response (c, ha1, "GET");
  g_assert_cmpstr (response, ==, "6629fae49393a05397450978507c4ef1");
  g_assert_true (mcu_digest_verify (c, ha1, "GET"));
  /* the method is part of HA2 */
  g_assert_false (mcu_digest_verify (c, ha1, "POST"));
}

static void
test_rfc7616_md5 (void)
{
  g_autoptr (McuDigestCredentials) c = mcu_digest_credentials_parse (
      "Digest " RFC7616_PARAMS ", algorithm=MD5, "
      "response=\"8ca523f5e9506fed4657c9700eebdbec\"");
  g_autofree gchar *ha1 = mcu_digest_ha1 (
      MCU_DIGEST_MD5, "Mufasa", "http-auth@example.org", "Circle of Life");

  g_assert_nonnull (c);
  g_assert_true (mcu_digest_verify (c, ha1, "GET"));
}

static void
test_rfc7616_sha256 (void)
{
  g_autoptr (McuDigestCredentials) c = mcu_digest_credentials_parse (
      "Digest " RFC7616_PARAMS ", algorithm=SHA-256, "
      "response=\"753927fa0e85d155564e2e272a28d180"
      "2ca10daf4496794697cf8db5856cb6c1\"");
  g_autofree gchar *ha1 = mcu_digest_ha1 (
      MCU_DIGEST_SHA256, "Mufasa", "http-auth@example.org", "Circle of Life");
  g_autofree gchar *md5_ha1 = mcu_digest_ha1 (
      MCU_DIGEST_MD5, "Mufasa", "http-auth@example.org", "Circle of Life");
  g_autofree gchar *response = NULL;

  g_assert_nonnull (c);
  g_assert_cmpuint (strlen (ha1), ==, 64);
  response = mcu_digest_response (c, ha1, "GET");
  g_assert_cmpstr (response, ==,
      "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  g_assert_true (mcu_digest_verify (c, ha1, "GET"));
  g_assert_false (mcu_digest_verify (c, md5_ha1, "GET"));
}

static void
test_wrong_password (void)
{
  g_autoptr (McuDigestCredentials) c =
      mcu_digest_credentials_parse (RFC2617_HEADER);
  g_autofree gchar *ha1 = mcu_digest_ha1 (
      MCU_DIGEST_MD5, "Mufasa", "testrealm@host.com", "Circle of Life");

  g_assert_false (mcu_digest_verify (c, ha1, "GET"));
}

static void
test_response_case_insensitive (void)
{
  g_autoptr (McuDigestCredentials) c = mcu_digest_credentials_parse (
      "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
      "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
      "qop=auth, nc=00000001, cnonce=\"0a4f113b\", "
      "response=\"6629FAE49393A05397450978507C4EF1\"");
  g_autofree gchar *ha1 = mcu_digest_ha1 (
      MCU_DIGEST_MD5, "Mufasa", "testrealm@host.com", "Circle Of Life");

  g_assert_true (mcu_digest_verify (c, ha1, "GET"));
}

/* RFC 2069 style (no qop): response = H(HA1:nonce:HA2). */
static void
test_no_qop (void)
{
  g_autoptr (McuDigestCredentials) c = mcu_digest_credentials_parse (
      "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
      "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
      "response=\"670fd8c2df070c60b045671b8b24ff02\"");
  g_autofree gchar *ha1 = mcu_digest_ha1 (
      MCU_DIGEST_MD5, "Mufasa", "testrealm@host.com", "Circle Of Life");

  g_assert_nonnull (c);
  g_assert_true (mcu_digest_verify (c, ha1, "GET"));
}

static void
test_parse_rejects (void)
{
  static const gchar *const bad[] = {
    "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
    "Digest realm=\"r\", nonce=\"n\", uri=\"u\", response=\"x\"",
    "Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\"",
    "Digest username=\"a, realm=\"r\", nonce=\"n\", uri=\"u\", response=\"x",
    /* qop without cnonce/nc */
    "Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", "
    "response=\"x\", qop=auth",
    "Digestusername=\"a\"",
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (McuDigestCredentials) c = mcu_digest_credentials_parse (bad[i]);

    if (c)
      g_error ("accepted: %s", bad[i]);
  }
  g_assert_null (mcu_digest_credentials_parse (NULL));
}

static void
test_unsupported_algorithm_and_qop (void)
{
  g_autoptr (McuDigestCredentials) a = mcu_digest_credentials_parse (
      "Digest " RFC7616_PARAMS ", algorithm=SHA-512-256, response=\"00\"");
  g_autoptr (McuDigestCredentials) q = mcu_digest_credentials_parse (
      "Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", "
      "response=\"00\", qop=auth-int, nc=00000001, cnonce=\"c\"");
  McuDigestAlgorithm algorithm;
  gboolean sess;

  g_assert_nonnull (a);
  g_assert_null (mcu_digest_response (a, "00", "GET"));
  g_assert_false (mcu_digest_verify (a, "00", "GET"));
  g_assert_nonnull (q);
  g_assert_null (mcu_digest_response (q, "00", "GET"));
  g_assert_true (
      mcu_digest_parse_algorithm ("sha-256-SESS", &algorithm, &sess));
  g_assert_cmpint (algorithm, ==, MCU_DIGEST_SHA256);
  g_assert_true (sess);
  g_assert_true (mcu_digest_parse_algorithm (NULL, &algorithm, &sess));
  g_assert_cmpint (algorithm, ==, MCU_DIGEST_MD5);
  g_assert_false (sess);
}

/* -sess: HA1 becomes H(HA1:nonce:cnonce) (RFC 7616 section 3.4.2). */
static void
test_sess (void)
{
  g_autoptr (McuDigestCredentials) c = mcu_digest_credentials_parse (
      "Digest " RFC7616_PARAMS ", algorithm=MD5-sess, response=\"00\"");
  g_autofree gchar *ha1 = mcu_digest_ha1 (
      MCU_DIGEST_MD5, "Mufasa", "http-auth@example.org", "Circle of Life");
  g_autofree gchar *plain_response = NULL;
  g_autofree gchar *sess_response = mcu_digest_response (c, ha1, "GET");
  g_autofree gchar *sess_input = NULL;
  g_autofree gchar *sess_ha1 = NULL;

  g_assert_cmpstr (ha1, ==, "3d78807defe7de2157e2b0b6573a855f");
  sess_input = g_strdup_printf ("%s:%s:%s", ha1, c->nonce, c->cnonce);
  sess_ha1 = g_compute_checksum_for_string (G_CHECKSUM_MD5, sess_input, -1);
  g_free (c->algorithm);
  c->algorithm = g_strdup ("MD5");
  plain_response = mcu_digest_response (c, sess_ha1, "GET");
  /* MD5-sess with HA1 == plain MD5 with the session HA1 */
  g_assert_cmpstr (sess_response, ==, plain_response);
  g_assert_cmpstr (plain_response, !=, "8ca523f5e9506fed4657c9700eebdbec");
}

static void
test_challenge (void)
{
  g_autofree gchar *c = mcu_digest_challenge (
      MCU_DIGEST_SHA256, "example.com", "abc", NULL, TRUE);
  g_autofree gchar *m =
      mcu_digest_challenge (MCU_DIGEST_MD5, "example.com", "abc", "op", FALSE);

  g_assert_cmpstr (c, ==,
      "Digest realm=\"example.com\", nonce=\"abc\", algorithm=SHA-256, "
      "qop=\"auth\", stale=true");
  g_assert_cmpstr (m, ==,
      "Digest realm=\"example.com\", nonce=\"abc\", opaque=\"op\", "
      "algorithm=MD5, qop=\"auth\"");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/digest/rfc2617-3.5", test_rfc2617);
  g_test_add_func ("/digest/rfc7616-3.9.1-md5", test_rfc7616_md5);
  g_test_add_func ("/digest/rfc7616-3.9.1-sha256", test_rfc7616_sha256);
  g_test_add_func ("/digest/wrong-password", test_wrong_password);
  g_test_add_func ("/digest/response-case", test_response_case_insensitive);
  g_test_add_func ("/digest/no-qop", test_no_qop);
  g_test_add_func ("/digest/parse-rejects", test_parse_rejects);
  g_test_add_func ("/digest/unsupported", test_unsupported_algorithm_and_qop);
  g_test_add_func ("/digest/sess", test_sess);
  g_test_add_func ("/digest/challenge", test_challenge);
  return g_test_run ();
}
