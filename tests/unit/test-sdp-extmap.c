/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for sip/mcu-sdp-extmap.c: the RFC 6464 audio level a=extmap
 * (RFC 8285) taken from offers and answers, echoed in our answer, and put
 * in our own offers; anything malformed leaves the call without it. */
#include "mcu-sdp.h"

#include <string.h>

#define URI MCU_SDP_AUDIO_LEVEL_URI

static const McuSdpLocal local = {
  .user = "mcu",
  .session_id = 42,
  .session_version = 7,
  .address = "127.0.0.1",
  .rtp_port = 30000,
  .rtcp_port = 30001,
  .direction = MCU_SDP_SENDRECV,
};

static const McuSdpPrefs prefs_on = { .audio_level = TRUE };

/* An offer with @session_attrs before the m-line and @media_attrs (CRLF
 * separated, may be empty) in it. */
static gchar *
offer_text (const gchar *session_attrs, const gchar *media_attrs)
{
  return g_strdup_printf ("v=0\r\n"
                          "o=- 1 1 IN IP4 127.0.0.1\r\n"
                          "s=-\r\n"
                          "c=IN IP4 127.0.0.1\r\n"
                          "t=0 0\r\n"
                          "%s"
                          "m=audio 40000 RTP/AVP 0 101\r\n"
                          "a=rtpmap:0 PCMU/8000\r\n"
                          "a=rtpmap:101 telephone-event/8000\r\n"
                          "%s"
                          "a=sendrecv\r\n",
      session_attrs, media_attrs);
}

typedef struct
{
  const gchar *path;
  const gchar *session_attrs;
  const gchar *media_attrs;
  guint id; /* 0: not taken */
  gboolean vad;
  const gchar *answer; /* the a=extmap line of our answer, NULL: none */
} Case;

static const Case cases[] = {
  { "/sdp-extmap/take/plain", "", "a=extmap:1 " URI "\r\n", 1, FALSE,
      "a=extmap:1 " URI "\r\n" },
  { "/sdp-extmap/take/vad-on", "", "a=extmap:3 " URI " vad=on\r\n", 3, TRUE,
      "a=extmap:3 " URI " vad=on\r\n" },
  { "/sdp-extmap/take/vad-off", "", "a=extmap:3 " URI " vad=off\r\n", 3, FALSE,
      "a=extmap:3 " URI "\r\n" },
  { "/sdp-extmap/take/sendonly", "", "a=extmap:5/sendonly " URI " vad=on\r\n",
      5, TRUE, "a=extmap:5/recvonly " URI " vad=on\r\n" },
  { "/sdp-extmap/take/sendrecv", "", "a=extmap:6/sendrecv " URI "\r\n", 6,
      FALSE, "a=extmap:6 " URI "\r\n" },
  { "/sdp-extmap/take/two-byte-id", "a=extmap-allow-mixed\r\n",
      "a=extmap:200 " URI "\r\n", 200, FALSE, "a=extmap:200 " URI "\r\n" },
  { "/sdp-extmap/take/upper-case-uri", "",
      "a=extmap:2 URN:IETF:PARAMS:RTP-HDREXT:SSRC-AUDIO-LEVEL\r\n", 2, FALSE,
      "a=extmap:2 " URI "\r\n" },
  { "/sdp-extmap/take/among-others", "",
      "a=extmap:2 urn:ietf:params:rtp-hdrext:toffset\r\n"
      "a=extmap:4 " URI "  vad=on\r\n"
      "a=extmap:9 "
      "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n",
      4, TRUE, "a=extmap:4 " URI " vad=on\r\n" },
  { "/sdp-extmap/take/session-level", "a=extmap:8 " URI "\r\n", "", 8, FALSE,
      "a=extmap:8 " URI "\r\n" },
  { "/sdp-extmap/take/media-level-first", "a=extmap:8 " URI "\r\n",
      "a=extmap:9 " URI "\r\n", 9, FALSE, "a=extmap:9 " URI "\r\n" },
  { "/sdp-extmap/skip/none", "", "", 0, FALSE, NULL },
  { "/sdp-extmap/skip/other-uri", "",
      "a=extmap:1 urn:ietf:params:rtp-hdrext:csrc-audio-level\r\n", 0, FALSE,
      NULL },
  { "/sdp-extmap/skip/recvonly", "", "a=extmap:1/recvonly " URI "\r\n", 0,
      FALSE, NULL },
  { "/sdp-extmap/skip/inactive", "", "a=extmap:1/inactive " URI "\r\n", 0,
      FALSE, NULL },
  { "/sdp-extmap/skip/id-0", "", "a=extmap:0 " URI "\r\n", 0, FALSE, NULL },
  { "/sdp-extmap/skip/id-256", "", "a=extmap:256 " URI "\r\n", 0, FALSE, NULL },
  { "/sdp-extmap/skip/id-4096", "", "a=extmap:4096 " URI "\r\n", 0, FALSE,
      NULL },
  { "/sdp-extmap/skip/id-huge", "", "a=extmap:99999999999999999999 " URI "\r\n",
      0, FALSE, NULL },
  { "/sdp-extmap/skip/id-not-a-number", "", "a=extmap:x " URI "\r\n", 0, FALSE,
      NULL },
  { "/sdp-extmap/skip/id-trailing", "", "a=extmap:1x " URI "\r\n", 0, FALSE,
      NULL },
  { "/sdp-extmap/skip/bad-direction", "", "a=extmap:1/sideways " URI "\r\n", 0,
      FALSE, NULL },
  { "/sdp-extmap/skip/no-uri", "", "a=extmap:1\r\n", 0, FALSE, NULL },
  { "/sdp-extmap/skip/empty", "", "a=extmap:\r\na=extmap\r\n", 0, FALSE, NULL },
  { "/sdp-extmap/skip/id-shared", "",
      "a=extmap:1 " URI "\r\na=extmap:1 urn:ietf:params:rtp-hdrext:toffset\r\n",
      0, FALSE, NULL },
  { "/sdp-extmap/skip/first-bad-second-good", "",
      "a=extmap:0 " URI "\r\na=extmap:12 " URI "\r\n", 12, FALSE,
      "a=extmap:12 " URI "\r\n" },
};

static McuSdpSession *
parse_ok (const gchar *text)
{
  g_autoptr (GError) error = NULL;
  McuSdpSession *s = mcu_sdp_session_parse (text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_nonnull (s);
  return s;
}

/* The a=extmap lines of @text, concatenated (empty when none). */
static gchar *
extmap_lines (const gchar *text)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_auto (GStrv) lines = g_strsplit (text, "\r\n", -1);

  for (gchar **l = lines; *l != NULL; l++)
    if (g_str_has_prefix (*l, "a=extmap"))
      g_string_append_printf (out, "%s\r\n", *l);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  g_autofree gchar *text = offer_text (c->session_attrs, c->media_attrs);
  g_autoptr (McuSdpSession) offer = parse_ok (text);
  g_autoptr (McuSdpSession) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL, *lines = NULL;
  McuSdpAudio audio = { 0 };

  g_assert_true (mcu_sdp_negotiate_audio (offer, &prefs_on, &audio, &error));
  g_assert_cmpuint (audio.audio_level_id, ==, c->id);
  g_assert_cmpint (audio.audio_level_vad, ==, c->vad);
  answer = mcu_sdp_build_answer (offer, &audio, NULL, &local);
  lines = extmap_lines (answer);
  g_assert_cmpstr (lines, ==, c->answer ? c->answer : "");
  /* the answer parses, and read as an answer gives the same id */
  back = parse_ok (answer);
  mcu_sdp_audio_clear (&audio);
  g_assert_true (mcu_sdp_negotiate_audio (back, &prefs_on, &audio, &error));
  g_assert_cmpuint (audio.audio_level_id, ==,
      c->answer && strstr (c->answer, "/recvonly") == NULL ? c->id : 0);
  mcu_sdp_audio_clear (&audio);
}

/* [media] audio-level=false: nothing taken, nothing answered. */
static void
test_prefs_off (void)
{
  g_autofree gchar *text = offer_text ("", "a=extmap:1 " URI " vad=on\r\n");
  g_autoptr (McuSdpSession) offer = parse_ok (text);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL;
  McuSdpPrefs prefs = { .audio_level = FALSE };
  McuSdpAudio audio = { 0 };

  g_assert_true (mcu_sdp_negotiate_audio (offer, &prefs, &audio, &error));
  g_assert_cmpuint (audio.audio_level_id, ==, 0);
  answer = mcu_sdp_build_answer (offer, &audio, NULL, &local);
  g_assert_null (strstr (answer, "extmap"));
  mcu_sdp_audio_clear (&audio);
  /* no prefs at all: the same */
  g_assert_true (mcu_sdp_negotiate_audio (offer, NULL, &audio, &error));
  g_assert_cmpuint (audio.audio_level_id, ==, 0);
  mcu_sdp_audio_clear (&audio);
}

/* The values are kept as written, blanks squeezed. */
static void
test_parse_values (void)
{
  g_autofree gchar *text = offer_text ("a=extmap:7 urn:x:session\r\n",
      "a=extmap:1  " URI "\t vad=on\r\na=extmap:2/sendonly urn:x:y\r\n");
  g_autoptr (McuSdpSession) s = parse_ok (text);
  const McuSdpMedia *m = s->media->pdata[0];

  g_assert_cmpuint (g_strv_length (m->extmap), ==, 2);
  g_assert_cmpstr (m->extmap[0], ==, "1 " URI " vad=on");
  g_assert_cmpstr (m->extmap[1], ==, "2/sendonly urn:x:y");
}

/* Dialling out: our offer carries id 1 with vad=on; the callee's answer
 * echoing it is taken, one without it leaves the call without. */
static void
test_offer_and_answer (void)
{
  g_autofree gchar *ours = mcu_sdp_build_offer (&prefs_on, NULL, &local);
  g_autofree gchar *plain = mcu_sdp_build_offer (NULL, NULL, &local);
  g_autofree gchar *lines = extmap_lines (ours);
  g_autofree gchar *answer = offer_text ("", "a=extmap:1 " URI " vad=on\r\n");
  g_autofree gchar *bare = offer_text ("", "");
  g_autoptr (McuSdpSession) a = parse_ok (answer);
  g_autoptr (McuSdpSession) b = parse_ok (bare);
  g_autoptr (McuSdpSession) o = parse_ok (ours);
  g_autoptr (GError) error = NULL;
  McuSdpAudio audio = { 0 };

  g_assert_cmpstr (lines, ==, "a=extmap:1 " URI " vad=on\r\n");
  g_assert_null (strstr (plain, "extmap"));
  g_assert_cmpuint (
      g_strv_length (((McuSdpMedia *)o->media->pdata[0])->extmap), ==, 1);
  g_assert_true (mcu_sdp_negotiate_audio (a, &prefs_on, &audio, &error));
  g_assert_cmpuint (audio.audio_level_id, ==, 1);
  g_assert_true (audio.audio_level_vad);
  mcu_sdp_audio_clear (&audio);
  g_assert_true (mcu_sdp_negotiate_audio (b, &prefs_on, &audio, &error));
  g_assert_cmpuint (audio.audio_level_id, ==, 0);
  mcu_sdp_audio_clear (&audio);
}

/* Random a=extmap values: never a crash, an id only in 1-255. */
static void
test_random_values (void)
{
  static const gchar alphabet[] = "0123456789/ :=abcdefghinorstuvwxyzAU-\t";
  g_autoptr (GRand) rand = g_rand_new_with_seed (6464);

  for (guint i = 0; i < 3000; i++) {
    g_autoptr (GString) attrs = g_string_new (NULL);
    g_autofree gchar *text = NULL;
    g_autoptr (McuSdpSession) s = NULL;
    g_autoptr (GError) error = NULL;
    McuSdpAudio audio = { 0 };
    guint n = g_rand_int_range (rand, 1, 4);

    for (guint j = 0; j < n; j++) {
      guint len = g_rand_int_range (rand, 0, 40);

      g_string_append (attrs, "a=extmap:");
      if (g_rand_boolean (rand))
        g_string_append_printf (attrs, "%d%s " URI " ",
            g_rand_int_range (rand, -2, 300),
            g_rand_boolean (rand) ? "/sendonly" : "");
      for (guint k = 0; k < len; k++)
        g_string_append_c (
            attrs, alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)]);
      g_string_append (attrs, "\r\n");
    }
    text = offer_text ("", attrs->str);
    s = mcu_sdp_session_parse (text, strlen (text), &error);
    if (s == NULL)
      continue;
    g_assert_true (mcu_sdp_negotiate_audio (s, &prefs_on, &audio, &error));
    g_assert_cmpuint (audio.audio_level_id, <=, 255);
    g_free (mcu_sdp_build_answer (s, &audio, NULL, &local));
    mcu_sdp_audio_clear (&audio);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_test_add_data_func (cases[i].path, &cases[i], test_case);
  g_test_add_func ("/sdp-extmap/prefs-off", test_prefs_off);
  g_test_add_func ("/sdp-extmap/parse-values", test_parse_values);
  g_test_add_func ("/sdp-extmap/offer-and-answer", test_offer_and_answer);
  g_test_add_func ("/sdp-extmap/random-values", test_random_values);
  return g_test_run ();
}
