/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for McuAuth: challenges for SHA-256 and MD5, good and wrong
 * credentials, nonce expiry (stale=true), nonce-count replay, blocking
 * per user and source IP with exponential back-off, HA1-only users, the
 * digest-uri check. The test
 * clock moves time; responses are computed the way a client does. */
#include "mcu-auth.h"

#include <string.h>

#define REALM   "example.com"
#define URI     "sip:example.com"
#define SOURCE  "192.0.2.7:5060/udp"
#define SOURCE2 "192.0.2.8:5060/udp"

typedef struct
{
  gint64 now;
  McuAuth *auth;
} Fixture;

static gint64
fake_clock (gpointer data)
{
  return ((Fixture *)data)->now;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  McuAuthOptions o = {
    .realm = REALM,
    .for_register = TRUE,
    .nonce_lifetime = 300,
    .max_failures = 3,
    .failure_window = 60,
    .max_backoff = 16,
    .clock = fake_clock,
    .clock_data = f,
  };

  f->now = 1000;
  f->auth = mcu_auth_new (&o);
  g_assert_true (mcu_auth_add_user (f->auth, "alice", "secret", NULL, NULL));
  g_assert_true (mcu_auth_add_user (f->auth, "bob", "bobs", NULL, NULL));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->auth);
}

/* The nonce="..." of a challenge. */
static gchar *
nonce_of (const gchar *challenge)
{
  const gchar *p = strstr (challenge, "nonce=\"");

  g_assert_nonnull (p);
  p += 7;
  return g_strndup (p, strchr (p, '"') - p);
}

/* Authorization value a client would send. */
static gchar *
credentials (McuDigestAlgorithm algorithm, const gchar *user,
    const gchar *password, const gchar *nonce, guint nc, const gchar *uri)
{
  g_autofree gchar *ha1 = mcu_digest_ha1 (algorithm, user, REALM, password);
  g_autofree gchar *nc_text = g_strdup_printf ("%08x", nc);
  McuDigestCredentials c = {
    .username = (gchar *)user,
    .realm = (gchar *)REALM,
    .nonce = (gchar *)nonce,
    .uri = (gchar *)uri,
    .algorithm = (gchar *)mcu_digest_algorithm_name (algorithm),
    .cnonce = (gchar *)"0a4f113b",
    .qop = (gchar *)"auth",
    .nc = nc_text,
  };
  g_autofree gchar *response = mcu_digest_response (&c, ha1, "REGISTER");

  return g_strdup_printf ("Digest username=\"%s\", realm=\"%s\", "
                          "nonce=\"%s\", uri=\"%s\", response=\"%s\", "
                          "algorithm=%s, cnonce=\"0a4f113b\", qop=auth, nc=%s",
      user, REALM, nonce, uri, response, c.algorithm, nc_text);
}

/* Runs one check with one Authorization value (or none). */
static McuAuthVerdict
check (Fixture *f, const gchar *authorization, const gchar *source,
    gchar **user, gchar ***challenges)
{
  const gchar *creds[] = { authorization, NULL };

  return mcu_auth_check (f->auth, "REGISTER", URI, authorization ? creds : NULL,
      source, "alice", user, challenges);
}

/* A fresh nonce from a first, credential-less request. */
static gchar *
challenge_nonce (Fixture *f)
{
  g_autofree gchar *user = NULL;
  g_auto (GStrv) challenges = NULL;

  g_assert_cmpint (
      check (f, NULL, SOURCE, &user, &challenges), ==, MCU_AUTH_CHALLENGE);
  return nonce_of (challenges[0]);
}

static void
test_challenge_both_algorithms (Fixture *f, gconstpointer data)
{
  g_autofree gchar *user = NULL;
  g_auto (GStrv) challenges = NULL;
  McuAuthVerdict v = mcu_auth_check (
      f->auth, "REGISTER", URI, NULL, SOURCE, NULL, &user, &challenges);

  g_assert_cmpint (v, ==, MCU_AUTH_CHALLENGE);
  g_assert_null (user);
  g_assert_cmpuint (g_strv_length (challenges), ==, 2);
  g_assert_nonnull (strstr (challenges[0], "algorithm=MD5"));
  g_assert_nonnull (strstr (challenges[1], "algorithm=SHA-256"));
  g_assert_nonnull (strstr (challenges[0], "realm=\"" REALM "\""));
  g_assert_nonnull (strstr (challenges[0], "qop=\"auth\""));
  g_assert_null (strstr (challenges[0], "stale"));
  g_assert_true (mcu_auth_requires (f->auth, "REGISTER"));
  g_assert_false (mcu_auth_requires (f->auth, "INVITE"));
}

static void
test_good_credentials (Fixture *f, gconstpointer data)
{
  for (guint a = 0; a < 2; a++) {
    McuDigestAlgorithm algorithm = a ? MCU_DIGEST_MD5 : MCU_DIGEST_SHA256;
    g_autofree gchar *nonce = challenge_nonce (f);
    g_autofree gchar *auth =
        credentials (algorithm, "alice", "secret", nonce, 1, URI);
    g_autofree gchar *user = NULL;
    g_auto (GStrv) challenges = NULL;

    g_assert_cmpint (
        check (f, auth, SOURCE, &user, &challenges), ==, MCU_AUTH_OK);
    g_assert_cmpstr (user, ==, "alice");
    g_assert_null (challenges);
  }
}

static void
test_wrong_password_then_forbidden (Fixture *f, gconstpointer data)
{
  g_autofree gchar *nonce = challenge_nonce (f);
  g_autofree gchar *good =
      credentials (MCU_DIGEST_MD5, "alice", "secret", nonce, 9, URI);
  g_autofree gchar *user = NULL;

  for (guint i = 1; i <= 3; i++) {
    g_autofree gchar *bad =
        credentials (MCU_DIGEST_MD5, "alice", "wrong", nonce, i, URI);
    g_auto (GStrv) challenges = NULL;

    g_assert_cmpint (check (f, bad, SOURCE, &user, &challenges), ==,
        i < 3 ? MCU_AUTH_CHALLENGE : MCU_AUTH_FORBIDDEN);
    g_assert_null (user);
    g_assert_true (i < 3 ? challenges != NULL : challenges == NULL);
  }
  {
    g_auto (GStrv) challenges = NULL;

    /* locked out: even the right password, even without credentials */
    g_assert_cmpint (
        check (f, good, SOURCE, &user, &challenges), ==, MCU_AUTH_FORBIDDEN);
    g_assert_cmpint (
        check (f, NULL, SOURCE, &user, &challenges), ==, MCU_AUTH_FORBIDDEN);
  }
  {
    g_auto (GStrv) challenges = NULL;
    g_autofree gchar *other = NULL;

    /* another source is not affected */
    g_assert_cmpint (
        check (f, good, SOURCE2, &other, &challenges), ==, MCU_AUTH_OK);
  }
  {
    g_auto (GStrv) challenges = NULL;
    g_autofree gchar *bob = NULL;
    g_autofree gchar *bob_auth =
        credentials (MCU_DIGEST_MD5, "bob", "bobs", nonce, 20, URI);

    /* nor another user behind the same address (a NAT) */
    g_assert_cmpint (
        check (f, bob_auth, SOURCE, &bob, &challenges), ==, MCU_AUTH_OK);
    g_assert_cmpstr (bob, ==, "bob");
  }
  {
    g_auto (GStrv) challenges = NULL;
    g_autofree gchar *fresh = NULL;
    g_autofree gchar *fresh_auth = NULL;

    f->now += 61; /* the window passes */
    fresh = challenge_nonce (f);
    fresh_auth = credentials (MCU_DIGEST_MD5, "alice", "secret", fresh, 1, URI);
    g_assert_cmpint (
        check (f, fresh_auth, SOURCE, &user, &challenges), ==, MCU_AUTH_OK);
  }
}

/* One wrong guess each time the block ends: the blocks double up to
 * max-backoff, and the password is not checked while blocked. */
static void
test_backoff_doubles (Fixture *f, gconstpointer data)
{
  g_autofree gchar *nonce = challenge_nonce (f);
  const guint expected[] = { 0, 0, 1, 2, 4, 8, 16, 16 };
  guint nc = 1;

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++) {
    g_autofree gchar *bad =
        credentials (MCU_DIGEST_MD5, "alice", "wrong", nonce, nc++, URI);
    g_autofree gchar *good =
        credentials (MCU_DIGEST_MD5, "alice", "secret", nonce, nc++, URI);
    g_autofree gchar *user = NULL;
    g_auto (GStrv) challenges = NULL;
    g_auto (GStrv) challenges2 = NULL;
    const gchar *creds[] = { bad, NULL };
    const gchar *good_creds[] = { good, NULL };
    guint retry = 99;

    g_assert_cmpint (mcu_auth_check_full (f->auth, "REGISTER", URI, creds,
                         SOURCE, "alice", &user, &challenges, &retry),
        ==, expected[i] ? MCU_AUTH_FORBIDDEN : MCU_AUTH_CHALLENGE);
    g_assert_cmpuint (retry, ==, expected[i]);
    if (expected[i] == 0)
      continue;
    /* blocked: even the right password gets 403, with what is left */
    f->now += expected[i] - 1;
    g_assert_cmpint (mcu_auth_check_full (f->auth, "REGISTER", URI, good_creds,
                         SOURCE, "alice", &user, &challenges2, &retry),
        ==, MCU_AUTH_FORBIDDEN);
    g_assert_cmpuint (retry, ==, 1);
    g_assert_null (user);
    f->now += 1;
  }
}

static void
test_unknown_user_counts (Fixture *f, gconstpointer data)
{
  g_autofree gchar *nonce = challenge_nonce (f);
  g_autofree gchar *user = NULL;

  for (guint i = 1; i <= 3; i++) {
    g_autofree gchar *auth =
        credentials (MCU_DIGEST_SHA256, "mallory", "x", nonce, i, URI);
    g_auto (GStrv) challenges = NULL;

    g_assert_cmpint (check (f, auth, SOURCE, &user, &challenges), ==,
        i < 3 ? MCU_AUTH_CHALLENGE : MCU_AUTH_FORBIDDEN);
  }
}

/* One wrong guess of @user from SOURCE. */
static McuAuthVerdict
guess (Fixture *f, const gchar *user, const gchar *password, const gchar *nonce,
    guint *nc)
{
  g_autofree gchar *auth =
      credentials (MCU_DIGEST_MD5, user, password, nonce, (*nc)++, URI);
  g_autofree gchar *who = NULL;
  g_auto (GStrv) challenges = NULL;

  return check (f, auth, SOURCE, &who, &challenges);
}

/* A stranger names both the user and (within reason) the source: the
 * (user, ip) pairs remembered are capped, the one that failed longest ago
 * is forgotten first. */
static void
test_failure_pairs_capped (Fixture *f, gconstpointer data)
{
  McuAuthOptions o = {
    .realm = REALM,
    .for_register = TRUE,
    .nonce_lifetime = 300,
    .max_failures = 3,
    .failure_window = 60,
    .max_backoff = 16,
    .max_failure_pairs = 3,
    .clock = fake_clock,
    .clock_data = f,
  };
  g_autofree gchar *nonce = NULL;
  guint nc = 1;

  g_clear_object (&f->auth);
  f->auth = mcu_auth_new (&o);
  g_assert_true (mcu_auth_add_user (f->auth, "alice", "secret", NULL, NULL));
  nonce = challenge_nonce (f);
  for (guint i = 1; i <= 3; i++)
    g_assert_cmpint (guess (f, "alice", "wrong", nonce, &nc), ==,
        i < 3 ? MCU_AUTH_CHALLENGE : MCU_AUTH_FORBIDDEN);
  /* two more pairs: three remembered, alice still blocked */
  g_assert_cmpint (guess (f, "x1", "x", nonce, &nc), ==, MCU_AUTH_CHALLENGE);
  g_assert_cmpint (guess (f, "x2", "x", nonce, &nc), ==, MCU_AUTH_CHALLENGE);
  g_assert_cmpint (
      guess (f, "alice", "secret", nonce, &nc), ==, MCU_AUTH_FORBIDDEN);
  /* a fourth pushes out the oldest, alice's: her password works again */
  g_assert_cmpint (guess (f, "x3", "x", nonce, &nc), ==, MCU_AUTH_CHALLENGE);
  g_assert_cmpint (guess (f, "alice", "secret", nonce, &nc), ==, MCU_AUTH_OK);
  /* x1 fails again: now x2 is the oldest, and the next new pair drops it,
   * not x1, whose third failure blocks it */
  g_assert_cmpint (guess (f, "x1", "x", nonce, &nc), ==, MCU_AUTH_CHALLENGE);
  g_assert_cmpint (guess (f, "x4", "x", nonce, &nc), ==, MCU_AUTH_CHALLENGE);
  g_assert_cmpint (guess (f, "x1", "x", nonce, &nc), ==, MCU_AUTH_FORBIDDEN);
  g_assert_cmpint (guess (f, "x2", "x", nonce, &nc), ==, MCU_AUTH_CHALLENGE);
}

static void
test_nonce_expiry_stale (Fixture *f, gconstpointer data)
{
  g_autofree gchar *nonce = challenge_nonce (f);
  g_autofree gchar *auth =
      credentials (MCU_DIGEST_SHA256, "alice", "secret", nonce, 1, URI);
  g_autofree gchar *bad =
      credentials (MCU_DIGEST_SHA256, "alice", "wrong", nonce, 1, URI);
  g_autofree gchar *user = NULL;
  g_auto (GStrv) challenges = NULL;
  g_auto (GStrv) bad_challenges = NULL;

  f->now += 301;
  g_assert_cmpint (
      check (f, auth, SOURCE, &user, &challenges), ==, MCU_AUTH_STALE);
  g_assert_null (user);
  g_assert_nonnull (strstr (challenges[0], "stale=true"));
  g_assert_nonnull (strstr (challenges[1], "stale=true"));
  /* a wrong password on an old nonce is a plain failure, not stale */
  g_assert_cmpint (
      check (f, bad, SOURCE, &user, &bad_challenges), ==, MCU_AUTH_CHALLENGE);
  g_assert_null (strstr (bad_challenges[0], "stale"));
}

static void
test_unknown_nonce_stale (Fixture *f, gconstpointer data)
{
  g_autofree gchar *auth = credentials (
      MCU_DIGEST_MD5, "alice", "secret", "0123456789abcdef", 1, URI);
  g_autofree gchar *user = NULL;
  g_auto (GStrv) challenges = NULL;

  g_assert_cmpint (
      check (f, auth, SOURCE, &user, &challenges), ==, MCU_AUTH_STALE);
}

static void
test_nonce_count_replay (Fixture *f, gconstpointer data)
{
  g_autofree gchar *nonce = challenge_nonce (f);
  g_autofree gchar *first =
      credentials (MCU_DIGEST_MD5, "alice", "secret", nonce, 1, URI);
  g_autofree gchar *second =
      credentials (MCU_DIGEST_MD5, "alice", "secret", nonce, 2, URI);
  McuAuthVerdict expected[] = { MCU_AUTH_OK, MCU_AUTH_STALE, MCU_AUTH_OK,
    MCU_AUTH_STALE };
  const gchar *sent[] = { first, first, second, first };

  for (guint i = 0; i < G_N_ELEMENTS (sent); i++) {
    g_autofree gchar *user = NULL;
    g_auto (GStrv) challenges = NULL;

    g_assert_cmpint (
        check (f, sent[i], SOURCE, &user, &challenges), ==, expected[i]);
  }
}

static void
test_ha1_users (Fixture *f, gconstpointer data)
{
  g_autofree gchar *md5 =
      mcu_digest_ha1 (MCU_DIGEST_MD5, "bob", REALM, "bobpw");
  g_autofree gchar *sha =
      mcu_digest_ha1 (MCU_DIGEST_SHA256, "carol", REALM, "carolpw");
  g_autofree gchar *upper = g_ascii_strup (md5, -1);
  g_autofree gchar *user = NULL;
  g_auto (GStrv) challenges = NULL;
  g_autofree gchar *nonce = NULL;
  g_autofree gchar *bob_sha = NULL;
  g_autofree gchar *bob_md5 = NULL;
  g_autofree gchar *carol_sha = NULL;

  g_assert_false (mcu_auth_add_user (f->auth, "x", NULL, "abc", NULL));
  g_assert_false (mcu_auth_add_user (f->auth, "x", NULL, NULL, NULL));
  g_assert_true (mcu_auth_add_user (f->auth, "bob", NULL, upper, NULL));
  g_assert_true (mcu_auth_add_user (f->auth, "carol", NULL, sha, NULL));
  g_assert_true (mcu_auth_has_user (f->auth, "bob"));
  g_assert_false (mcu_auth_has_user (f->auth, "dave"));

  /* bob has only an MD5 HA1: he is offered MD5 only */
  g_assert_cmpint (mcu_auth_check (f->auth, "REGISTER", URI, NULL, SOURCE,
                       "bob", &user, &challenges),
      ==, MCU_AUTH_CHALLENGE);
  g_assert_cmpuint (g_strv_length (challenges), ==, 1);
  g_assert_nonnull (strstr (challenges[0], "algorithm=MD5"));
  nonce = nonce_of (challenges[0]);
  bob_sha = credentials (MCU_DIGEST_SHA256, "bob", "bobpw", nonce, 1, URI);
  bob_md5 = credentials (MCU_DIGEST_MD5, "bob", "bobpw", nonce, 2, URI);
  carol_sha =
      credentials (MCU_DIGEST_SHA256, "carol", "carolpw", nonce, 3, URI);
  g_clear_pointer (&challenges, g_strfreev);
  g_assert_cmpint (
      check (f, bob_sha, SOURCE, &user, &challenges), ==, MCU_AUTH_CHALLENGE);
  g_clear_pointer (&challenges, g_strfreev);
  g_assert_cmpint (
      check (f, bob_md5, SOURCE, &user, &challenges), ==, MCU_AUTH_OK);
  g_assert_cmpstr (user, ==, "bob");
  g_clear_pointer (&user, g_free);
  g_assert_cmpint (
      check (f, carol_sha, SOURCE, &user, &challenges), ==, MCU_AUTH_OK);
  g_assert_cmpstr (user, ==, "carol");
}

static void
test_bad_and_foreign (Fixture *f, gconstpointer data)
{
  g_autofree gchar *nonce = challenge_nonce (f);
  g_autofree gchar *other_uri = credentials (
      MCU_DIGEST_MD5, "alice", "secret", nonce, 1, "sip:elsewhere.org");
  g_autofree gchar *same_uri_params = credentials (
      MCU_DIGEST_MD5, "alice", "secret", nonce, 2, "sip:EXAMPLE.com;lr");
  g_autofree gchar *user = NULL;
  g_auto (GStrv) c1 = NULL;
  g_auto (GStrv) c2 = NULL;
  g_auto (GStrv) c3 = NULL;
  g_auto (GStrv) c4 = NULL;
  const gchar *foreign[] = { "Digest username=\"alice\", realm=\"other\", "
                             "nonce=\"n\", uri=\"" URI "\", response=\"00\"",
    "NoOneKnowsThisScheme opaque-data=here", NULL };

  g_assert_cmpint (check (f, other_uri, SOURCE, &user, &c1), ==, MCU_AUTH_BAD);
  g_assert_cmpint (
      check (f, "Digest username=", SOURCE, &user, &c2), ==, MCU_AUTH_BAD);
  /* credentials for another realm or scheme only: challenge, no failure */
  g_assert_cmpint (mcu_auth_check (f->auth, "REGISTER", URI, foreign, SOURCE,
                       NULL, &user, &c3),
      ==, MCU_AUTH_CHALLENGE);
  g_assert_cmpint (
      check (f, same_uri_params, SOURCE, &user, &c4), ==, MCU_AUTH_OK);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) \
  g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/auth/challenge-both-algorithms", test_challenge_both_algorithms);
  ADD ("/auth/good-credentials", test_good_credentials);
  ADD ("/auth/wrong-password-then-forbidden",
      test_wrong_password_then_forbidden);
  ADD ("/auth/backoff-doubles", test_backoff_doubles);
  ADD ("/auth/unknown-user-counts", test_unknown_user_counts);
  ADD ("/auth/failure-pairs-capped", test_failure_pairs_capped);
  ADD ("/auth/nonce-expiry-stale", test_nonce_expiry_stale);
  ADD ("/auth/unknown-nonce-stale", test_unknown_nonce_stale);
  ADD ("/auth/nonce-count-replay", test_nonce_count_replay);
  ADD ("/auth/ha1-users", test_ha1_users);
  ADD ("/auth/bad-and-foreign", test_bad_and_foreign);
#undef ADD
  return g_test_run ();
}
