/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: SDES crypto (RFC 4568) parsing, keys, SRTP policy in negotiation. */
#include "mcu-sip.h"

#include <string.h>

#define BARESIP_KEY "e7QvYqT6Bc3tnfjbmoub00BZEk6/DLK4DAhxiYY7"

#define OFFER(proto, crypto)         \
  "v=0\r\n"                          \
  "o=- 1 1 IN IP4 192.0.2.10\r\n"    \
  "s=-\r\n"                          \
  "c=IN IP4 192.0.2.10\r\n"          \
  "t=0 0\r\n"                        \
  "m=audio 4000 " proto " 0 101\r\n" \
  "a=rtpmap:0 PCMU/8000\r\n"         \
  "a=rtpmap:101 telephone-event/8000\r\n" crypto

static void
test_parse (void)
{
  static const struct
  {
    const gchar *value;
    gboolean ok;
    McuSdpCryptoSuite suite;
  } cases[] = {
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" BARESIP_KEY, TRUE,
        MCU_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80 },
    { "7 AES_CM_128_HMAC_SHA1_32 inline:" BARESIP_KEY "|2^31", TRUE,
        MCU_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_32 },
    { "2 AES_CM_128_HMAC_SHA1_80  inline:" BARESIP_KEY "|2147483648", TRUE,
        MCU_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80 },
    /* 28 bytes: key + salt of AES-128-GCM */
    { "3 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==",
        TRUE, MCU_SDP_CRYPTO_AEAD_AES_128_GCM },
    { "3 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw", TRUE,
        MCU_SDP_CRYPTO_AEAD_AES_128_GCM },
    /* MKI, short lifetimes, several keys, session parameters: refused */
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" BARESIP_KEY "|2^20|1:4", FALSE },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" BARESIP_KEY "|1:4", FALSE },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" BARESIP_KEY "|2^20", FALSE },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" BARESIP_KEY "|1000", FALSE },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" BARESIP_KEY ";inline:" BARESIP_KEY,
        FALSE },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" BARESIP_KEY " KDR=1", FALSE },
    /* bad keys, suites, tags */
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" BARESIP_KEY "AAAA", FALSE },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:e7QvYqT6Bc3tnfjb", FALSE },
    { "1 AES_CM_128_HMAC_SHA1_80 "
      "inline:e7Qv*qT6Bc3tnfjbmoub00BZEk6/DLK4DAhxiYY7",
        FALSE },
    { "1 AES_CM_128_HMAC_SHA1_80 " BARESIP_KEY, FALSE },
    { "1 AES_256_CM_HMAC_SHA1_80 inline:" BARESIP_KEY, FALSE },
    { "1 F8_128_HMAC_SHA1_80 inline:" BARESIP_KEY, FALSE },
    { "x AES_CM_128_HMAC_SHA1_80 inline:" BARESIP_KEY, FALSE },
    { "1000000000 AES_CM_128_HMAC_SHA1_80 inline:" BARESIP_KEY, FALSE },
    { "1 AES_CM_128_HMAC_SHA1_80", FALSE },
    { "", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    McuSdpCrypto c = { 0 };
    gboolean ok = mcu_sdp_crypto_parse (cases[i].value, &c);

    if (ok != cases[i].ok)
      g_error ("case %" G_GSIZE_FORMAT " (%s): got %d", i, cases[i].value, ok);
    if (ok) {
      g_assert_cmpint (c.suite, ==, cases[i].suite);
      g_assert_cmpuint (c.key_len, ==, mcu_sdp_crypto_key_length (c.suite));
    }
  }
}

static void
test_round_trip (void)
{
  McuSdpCrypto a, b, parsed;
  g_autoptr (GString) line = g_string_new (NULL);

  g_assert_true (mcu_sdp_crypto_generate (
      &a, MCU_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80, 5, NULL));
  g_assert_true (mcu_sdp_crypto_generate (
      &b, MCU_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80, 5, NULL));
  g_assert_cmpuint (a.key_len, ==, 30);
  g_assert_true (memcmp (a.key, b.key, 30) != 0);
  mcu_sdp_crypto_append (line, &a);
  g_assert_true (g_str_has_prefix (
      line->str, "a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:"));
  g_assert_true (g_str_has_suffix (line->str, "\r\n"));
  g_string_truncate (line, line->len - 2);
  g_assert_true (mcu_sdp_crypto_parse (line->str + 9, &parsed));
  g_assert_cmpuint (parsed.tag, ==, 5);
  g_assert_cmpmem (parsed.key, parsed.key_len, a.key, a.key_len);
  g_assert_true (
      mcu_sdp_crypto_generate (&a, MCU_SDP_CRYPTO_AEAD_AES_128_GCM, 9, NULL));
  g_assert_cmpuint (a.key_len, ==, 28);
}

static gboolean
negotiate (const gchar *text, McuSdpSrtpMode mode, gboolean keys_ok,
    McuSdpAudio *audio, GError **error)
{
  McuSdpPrefs prefs = { .srtp = mode, .srtp_keys_ok = keys_ok };
  g_autoptr (McuSdpSession) s =
      mcu_sdp_session_parse (text, strlen (text), error);

  g_assert_nonnull (s);
  return mcu_sdp_negotiate_audio (s, &prefs, audio, error);
}

static void
test_negotiate_answer (void)
{
  const gchar *text = OFFER ("RTP/SAVPF",
      "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" BARESIP_KEY "|2^20|1:4\r\n"
      "a=crypto:4 AES_CM_128_HMAC_SHA1_32 inline:" BARESIP_KEY "\r\n"
      "a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:" BARESIP_KEY "\r\n");
  g_autoptr (McuSdpSession) s =
      mcu_sdp_session_parse (text, strlen (text), NULL);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL;
  McuSdpAudio audio = { 0 };
  McuSdpLocal local = {
    .address = "127.0.0.1", .rtp_port = 20000, .rtcp_port = 20001
  };
  McuSdpCrypto remote;

  g_assert_true (negotiate (text, MCU_SDP_SRTP_OPTIONAL, TRUE, &audio, &error));
  g_assert_no_error (error);
  /* the MKI line is skipped: the first usable one is tag 4 */
  g_assert_cmpint (
      audio.remote_crypto.suite, ==, MCU_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_32);
  g_assert_cmpuint (audio.remote_crypto.tag, ==, 4);
  g_assert_true (mcu_sdp_crypto_parse (
      "4 AES_CM_128_HMAC_SHA1_32 inline:" BARESIP_KEY, &remote));
  g_assert_cmpmem (audio.remote_crypto.key, 30, remote.key, 30);
  g_assert_cmpint (audio.local_crypto.suite, ==, audio.remote_crypto.suite);
  g_assert_cmpuint (audio.local_crypto.tag, ==, 4);
  g_assert_true (memcmp (audio.local_crypto.key, remote.key, 30) != 0);
  answer = mcu_sdp_build_answer (s, &audio, NULL, &local);
  g_assert_nonnull (strstr (answer, "m=audio 20000 RTP/SAVPF 0 101\r\n"));
  g_assert_nonnull (
      strstr (answer, "a=crypto:4 AES_CM_128_HMAC_SHA1_32 inline:"));
  g_assert_null (strstr (answer, BARESIP_KEY));
  mcu_sdp_audio_clear (&audio);
}

static void
test_policy (void)
{
  static const struct
  {
    const gchar *text;
    McuSdpSrtpMode mode;
    gboolean keys_ok;
    const gchar *message; /* NULL: accepted */
    gboolean srtp;
  } cases[] = {
    { OFFER ("RTP/SAVP",
          "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" BARESIP_KEY "\r\n"),
        MCU_SDP_SRTP_OFF, TRUE, "SRTP is off" },
    { OFFER ("RTP/SAVP",
          "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" BARESIP_KEY "\r\n"),
        MCU_SDP_SRTP_OPTIONAL, FALSE, "over TLS only" },
    { OFFER ("RTP/SAVP",
          "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" BARESIP_KEY "\r\n"),
        MCU_SDP_SRTP_MANDATORY, TRUE, NULL, TRUE },
    { OFFER ("RTP/SAVP",
          "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" BARESIP_KEY "|1:4\r\n"),
        MCU_SDP_SRTP_OPTIONAL, TRUE, "no usable a=crypto" },
    { OFFER ("RTP/SAVP", ""), MCU_SDP_SRTP_OPTIONAL, TRUE,
        "no usable a=crypto" },
    { OFFER ("RTP/AVP", ""), MCU_SDP_SRTP_MANDATORY, TRUE, "SRTP required" },
    { OFFER ("RTP/AVP", ""), MCU_SDP_SRTP_OPTIONAL, FALSE, NULL, FALSE },
    { OFFER ("RTP/AVP", ""), MCU_SDP_SRTP_OFF, FALSE, NULL, FALSE },
    { OFFER ("UDP/TLS/RTP/SAVPF", ""), MCU_SDP_SRTP_OPTIONAL, TRUE,
        "DTLS-SRTP unsupported" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    McuSdpAudio audio = { 0 };
    gboolean ok = negotiate (
        cases[i].text, cases[i].mode, cases[i].keys_ok, &audio, &error);

    if (cases[i].message) {
      g_assert_false (ok);
      g_assert_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_SRTP);
      if (!strstr (error->message, cases[i].message))
        g_error ("case %" G_GSIZE_FORMAT ": %s", i, error->message);
    } else {
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpint (
          audio.remote_crypto.suite != MCU_SDP_CRYPTO_NONE, ==, cases[i].srtp);
    }
    mcu_sdp_audio_clear (&audio);
  }
}

static void
test_offer (void)
{
  McuSdpCrypto key;
  McuSdpLocal local = { .address = "127.0.0.1",
    .rtp_port = 20000,
    .rtcp_port = 20001,
    .audio_crypto = &key };
  g_autofree gchar *offer = NULL;
  g_autofree gchar *clear = NULL;
  g_autofree gchar *both = NULL;
  McuSdpCrypto video_key;
  const gchar *m_video;

  g_assert_true (mcu_sdp_crypto_generate (
      &key, MCU_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80, 1, NULL));
  g_assert_true (mcu_sdp_crypto_generate (
      &video_key, MCU_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80, 1, NULL));
  McuSdpVideoPrefs video_prefs = { 0 };

  /* SRTP audio without a video key: no clear video line next to it */
  offer = mcu_sdp_build_offer (NULL, &video_prefs, &local);
  g_assert_null (strstr (offer, "m=video"));
  g_assert_nonnull (strstr (offer, "m=audio 20000 RTP/SAVP "));
  g_assert_nonnull (
      strstr (offer, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
  /* with one: the video line is RTP/SAVP with its own a=crypto */
  local.video_rtp_port = 20002;
  local.video_rtcp_port = 20003;
  local.video_crypto = &video_key;
  both = mcu_sdp_build_offer (NULL, &video_prefs, &local);
  m_video = strstr (both, "m=video 20002 RTP/SAVP ");
  g_assert_nonnull (m_video);
  g_assert_nonnull (
      strstr (m_video, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
  g_assert_true (strstr (both, "a=crypto") < m_video); /* audio's own */
  local.audio_crypto = NULL;
  local.video_crypto = NULL;
  clear = mcu_sdp_build_offer (NULL, &video_prefs, &local);
  g_assert_nonnull (strstr (clear, "m=video"));
  g_assert_nonnull (strstr (clear, "m=audio 20000 RTP/AVP "));
  g_assert_null (strstr (clear, "a=crypto"));
}

static void
test_video (void)
{
  const gchar *text = OFFER ("RTP/SAVP",
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" BARESIP_KEY
      "\r\n") "m=video 4002 RTP/SAVPF 96\r\n"
              "a=rtpmap:96 H264/90000\r\n"
              "a=fmtp:96 packetization-mode=1\r\n"
              "a=crypto:2 AEAD_AES_128_GCM "
              "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==\r\n";
  g_autoptr (McuSdpSession) s =
      mcu_sdp_session_parse (text, strlen (text), NULL);
  McuSdpVideoPrefs prefs = { .srtp = MCU_SDP_SRTP_OPTIONAL,
    .srtp_keys_ok = TRUE };
  McuSdpLocal local = { .address = "127.0.0.1",
    .rtp_port = 20000,
    .rtcp_port = 20001,
    .video_rtp_port = 20002,
    .video_rtcp_port = 20003 };
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL;
  McuSdpVideo video = { 0 };
  McuSdpAudio audio = { 0 };

  g_assert_true (negotiate (text, MCU_SDP_SRTP_OPTIONAL, TRUE, &audio, NULL));
  g_assert_true (mcu_sdp_negotiate_video (s, &prefs, &video, &error));
  g_assert_no_error (error);
  g_assert_cmpint (
      video.remote_crypto.suite, ==, MCU_SDP_CRYPTO_AEAD_AES_128_GCM);
  g_assert_cmpuint (video.local_crypto.tag, ==, 2);
  g_assert_cmpuint (video.local_crypto.key_len, ==, 28);
  answer = mcu_sdp_build_answer (s, &audio, &video, &local);
  g_assert_nonnull (strstr (answer, "m=video 20002 RTP/SAVPF 96\r\n"));
  g_assert_nonnull (strstr (answer, "a=crypto:2 AEAD_AES_128_GCM inline:"));
  g_assert_nonnull (strstr (answer, "m=audio 20000 RTP/SAVP 0"));
  mcu_sdp_video_clear (&video);
  /* without keys allowed: no video (refused with a reason) */
  prefs.srtp_keys_ok = FALSE;
  g_assert_false (mcu_sdp_negotiate_video (s, &prefs, &video, &error));
  g_assert_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_SRTP);
  mcu_sdp_audio_clear (&audio);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sdp-crypto/parse", test_parse);
  g_test_add_func ("/sdp-crypto/generate-round-trip", test_round_trip);
  g_test_add_func ("/sdp-crypto/negotiate-answer", test_negotiate_answer);
  g_test_add_func ("/sdp-crypto/policy", test_policy);
  g_test_add_func ("/sdp-crypto/offer", test_offer);
  g_test_add_func ("/sdp-crypto/video", test_video);
  return g_test_run ();
}
