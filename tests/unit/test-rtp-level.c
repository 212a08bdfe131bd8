/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for mixer/mcu-rtp-level.c: the RFC 6464 level read out of RTP
 * header extensions in the one-byte and two-byte forms (RFC 8285), absent
 * or malformed extensions ignored without reading past the packet (every
 * packet is copied to a buffer of its exact size, so ASan sees any overrun),
 * and the pad probes that carry the level onto the decoded audio as a
 * GstAudioLevelMeta. */
#include "mcu-rtp-level.h"
#include "mcu-decode-wanted.h"
#include "mcu-opus-dec.h"
#include "mcu-plugins.h"

#include <gst/audio/audio.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/rtp.h>
#include <math.h>
#include <opus.h>
#include <string.h>

/* A PCMU packet: 12-byte header (X set when @ext is given, @cc CSRCs),
 * the extension block @ext (profile, length and elements), 160 bytes of
 * payload. */
static GByteArray *
packet (guint pt, guint cc, const guint8 *ext, gsize ext_len)
{
  GByteArray *p = g_byte_array_new ();
  guint8 head[12] = { 0x80 | (ext ? 0x10 : 0) | cc, pt, 0, 1, 0, 0, 0, 160, 1,
    2, 3, 4 };
  guint8 payload[160];

  memset (payload, 0xff, sizeof payload);
  g_byte_array_append (p, head, sizeof head);
  for (guint i = 0; i < cc; i++)
    g_byte_array_append (p, (const guint8 *)"\x11\x22\x33\x44", 4);
  if (ext)
    g_byte_array_append (p, ext, ext_len);
  g_byte_array_append (p, payload, sizeof payload);
  return p;
}

/* mcu_rtp_level_read on an exact-size heap copy of @len bytes of @p. */
static gboolean
read_exact (
    const GByteArray *p, gsize len, guint id, guint8 *level, gboolean *voice)
{
  g_autofree guint8 *copy = g_memdup2 (p->data, len ? len : 1);

  return mcu_rtp_level_read (copy, len, id, level, voice);
}

static void
assert_level (const GByteArray *p, guint id, guint8 want, gboolean want_voice)
{
  guint8 level = 0xAA;
  gboolean voice = !want_voice;

  g_assert_true (read_exact (p, p->len, id, &level, &voice));
  g_assert_cmpuint (level, ==, want);
  g_assert_cmpint (voice, ==, want_voice);
}

static void
assert_none (const GByteArray *p, guint id)
{
  guint8 level = 0xAA;
  gboolean voice = 7;

  g_assert_false (read_exact (p, p->len, id, &level, &voice));
  g_assert_cmpuint (level, ==, 0xAA); /* untouched */
  g_assert_cmpint (voice, ==, 7);
}

static void
test_one_byte (void)
{
  /* id 1, L=0: level 127 with V=1 */
  static const guint8 simple[] = { 0xBE, 0xDE, 0, 1, 0x10, 0xFF, 0, 0 };
  /* padding, id 2 with 3 bytes, then id 5 with V=0 level 33 */
  static const guint8 after[] = { 0xBE, 0xDE, 0, 2, 0x00, 0x22, 9, 9, 9, 0x50,
    33, 0 };
  g_autoptr (GByteArray) a = packet (0, 0, simple, sizeof simple);
  g_autoptr (GByteArray) b = packet (0, 0, after, sizeof after);
  g_autoptr (GByteArray) c = packet (0, 3, simple, sizeof simple);

  assert_level (a, 1, 127, TRUE);
  assert_level (b, 5, 33, FALSE);
  assert_level (c, 1, 127, TRUE); /* after three CSRCs */
  assert_none (a, 2);             /* another id */
  assert_none (b, 2 + 256);       /* not an id */
  assert_none (a, 0);
  assert_none (a, 15); /* one-byte ids are 1-14 */
}

static void
test_two_byte (void)
{
  /* appbits 0x5; padding; id 200 with 2 bytes; id 3: V=1 level 10 */
  static const guint8 ext[] = { 0x10, 0x05, 0, 2, 0x00, 200, 2, 7, 7, 3, 1,
    0x8A };
  /* a zero-length element before ours */
  static const guint8 empty[] = { 0x10, 0x00, 0, 2, 4, 0, 3, 1, 0x00, 0, 0, 0 };
  g_autoptr (GByteArray) p = packet (111, 0, ext, sizeof ext);
  g_autoptr (GByteArray) q = packet (111, 0, empty, sizeof empty);
  static const guint8 lone[] = { 0x10, 0x00, 0, 1, 4, 0, 3, 0 };
  g_autoptr (GByteArray) r = packet (111, 0, lone, sizeof lone);

  assert_level (p, 3, 10, TRUE);
  assert_level (q, 3, 0, FALSE);
  assert_none (p, 4);
  assert_none (r, 4); /* zero-length: no level byte */
  assert_none (r, 3); /* length 0 */
}

static void
test_absent (void)
{
  static const guint8 other_profile[] = { 0x12, 0x34, 0, 1, 0x10, 0x7F, 0, 0 };
  static const guint8 empty_block[] = { 0xBE, 0xDE, 0, 0 };
  g_autoptr (GByteArray) plain = packet (0, 0, NULL, 0);
  g_autoptr (GByteArray) other = packet (0, 0, other_profile, 8);
  g_autoptr (GByteArray) empty = packet (0, 0, empty_block, 4);

  assert_none (plain, 1);
  assert_none (other, 1);
  assert_none (empty, 1);
}

static void
test_malformed (void)
{
  /* the block says 3 words; the packet ends after 8 bytes of it */
  static const guint8 too_long[] = { 0xBE, 0xDE, 0, 3, 0x10, 0x40 };
  /* one-byte element longer than its block */
  static const guint8 elem_long[] = { 0xBE, 0xDE, 0, 1, 0x2F, 1, 2, 3 };
  /* id 15 stops the reading before ours */
  static const guint8 stop[] = { 0xBE, 0xDE, 0, 1, 0xF0, 0x10, 5, 0 };
  /* two-byte element header cut by the end of the block */
  static const guint8 cut[] = { 0x10, 0x00, 0, 1, 0, 0, 0, 3 };
  static const guint8 simple[] = { 0xBE, 0xDE, 0, 1, 0x10, 0x05, 0, 0 };
  g_autoptr (GByteArray) a = g_byte_array_new ();
  g_autoptr (GByteArray) b = packet (0, 0, elem_long, sizeof elem_long);
  g_autoptr (GByteArray) c = packet (0, 0, stop, sizeof stop);
  g_autoptr (GByteArray) d = packet (0, 0, cut, sizeof cut);
  g_autoptr (GByteArray) good = packet (0, 0, simple, sizeof simple);
  guint8 level;
  gboolean voice;

  g_byte_array_append (
      a, (const guint8 *)"\x90\x00\x00\x01\0\0\0\0\1\2\3\4", 12);
  g_byte_array_append (a, too_long, sizeof too_long);
  assert_none (a, 1);
  assert_none (b, 2);
  assert_none (b, 1);
  assert_none (c, 1);
  assert_none (d, 3);
  /* not RTP version 2 */
  good->data[0] = (good->data[0] & 0x3F) | 0x40;
  assert_none (good, 1);
  good->data[0] = (good->data[0] & 0x3F) | 0x80;
  assert_level (good, 1, 5, FALSE);
  /* CSRC count pointing past the packet */
  good->data[0] |= 0x0F;
  assert_none (good, 1);
  good->data[0] &= 0xF0;
  /* every truncation of a good packet: no level unless the element is in */
  for (gsize len = 0; len < good->len; len++) {
    gboolean got = read_exact (good, len, 1, &level, &voice);

    g_assert_true (!got || len >= 12 + 8);
  }
  g_assert_false (mcu_rtp_level_read (NULL, 0, 1, &level, &voice));
}

/* Random packets, and random bytes after a valid header with X set. */
static void
test_random (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (8285);

  for (guint i = 0; i < 200000; i++) {
    gsize len = g_rand_int_range (rand, 0, 64);
    g_autofree guint8 *data = g_malloc (len ? len : 1);
    guint8 level = 0;
    gboolean voice = FALSE;

    for (gsize j = 0; j < len; j++)
      data[j] = (guint8)g_rand_int (rand);
    if (len > 16 && g_rand_boolean (rand)) {
      data[0] = 0x90;
      data[12] = g_rand_boolean (rand) ? 0xBE : 0x10;
      data[13] = data[12] == 0xBE ? 0xDE : data[13] & 0x0F;
      data[14] = 0;
      data[15] = (guint8)g_rand_int_range (rand, 0, 12);
    }
    if (mcu_rtp_level_read (
            data, len, g_rand_int_range (rand, 1, 15), &level, &voice))
      g_assert_cmpuint (level, <=, 127);
  }
}

/* The probes: a level read on identity's sink rides on what leaves its
 * src; a packet without it leaves no meta; another PT keeps the last. */
static GstBuffer *
through (GstHarness *h, GByteArray *p)
{
  GstBuffer *in = gst_buffer_new_memdup (p->data, p->len);

  g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
  return gst_harness_pull (h);
}

static void
check_meta (GstBuffer *buf, gint level, gboolean voice)
{
  GstAudioLevelMeta *meta = gst_buffer_get_audio_level_meta (buf);

  if (level < 0) {
    g_assert_null (meta);
  } else {
    g_assert_nonnull (meta);
    g_assert_cmpuint (meta->level, ==, (guint)level);
    g_assert_cmpint (meta->voice_activity, ==, voice);
  }
  gst_buffer_unref (buf);
}

static GstHarness *
watched_skip (guint pt, guint id, gboolean vad, guint skip_rate)
{
  GstHarness *h = gst_harness_new ("identity");
  GstPad *sink = gst_element_get_static_pad (h->element, "sink");
  GstPad *src = gst_element_get_static_pad (h->element, "src");

  mcu_rtp_level_watch (sink, src, pt, id, vad, skip_rate);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_harness_set_src_caps_str (h, "application/x-rtp");
  return h;
}

static GstHarness *
watched (guint pt, guint id, gboolean vad)
{
  return watched_skip (pt, id, vad, 0);
}

static void
test_watch (void)
{
  static const guint8 loud[] = { 0xBE, 0xDE, 0, 1, 0x30, 0x0A, 0, 0 };
  static const guint8 quiet_novoice[] = { 0xBE, 0xDE, 0, 1, 0x30, 0x50, 0, 0 };
  g_autoptr (GByteArray) a = packet (0, 0, loud, sizeof loud);
  g_autoptr (GByteArray) b = packet (0, 0, quiet_novoice, sizeof loud);
  g_autoptr (GByteArray) none = packet (0, 0, NULL, 0);
  g_autoptr (GByteArray) dtmf = packet (101, 0, NULL, 0);
  GstHarness *h = watched (0, 3, TRUE);

  check_meta (through (h, none), -1, FALSE); /* nothing read yet */
  check_meta (through (h, a), 10, FALSE);    /* V=0 with vad=on */
  check_meta (through (h, dtmf), 10, FALSE); /* another PT: kept */
  check_meta (through (h, b), 80, FALSE);
  check_meta (through (h, none), -1, FALSE); /* dropped the extension */
  gst_harness_teardown (h);

  /* without vad=on the V bit means nothing: voice */
  h = watched (0, 3, FALSE);
  check_meta (through (h, b), 80, TRUE);
  gst_harness_teardown (h);
}

/* Whether packet @k (20 ms at 48 kHz) with level @ext went out flagged
 * as silence the decoder may skip. */
static gboolean
skipped (GstHarness *h, guint k, const guint8 *ext)
{
  g_autoptr (GByteArray) p = packet (111, 0, ext, 8);
  GstBuffer *out;
  gboolean gap;

  GST_WRITE_UINT32_BE (p->data + 4, k * 960);
  out = through (h, p);
  gap = GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_GAP);
  gst_buffer_unref (out);
  return gap;
}

/* With a skip rate: -127 dBov is skipped at once; V=0 (vad=on) only 500 ms
 * after the last V=1, so the gate's 300 ms hangover still mixes a talker's
 * V=0 tail; V=1 never; without a skip rate (G.711, G.722) nothing. */
static void
test_skip (void)
{
  static const guint8 voice[] = { 0xBE, 0xDE, 0, 1, 0x30, 0x80 | 20, 0, 0 };
  static const guint8 tail[] = { 0xBE, 0xDE, 0, 1, 0x30, 40, 0, 0 };
  static const guint8 silent[] = { 0xBE, 0xDE, 0, 1, 0x30, 127, 0, 0 };
  GstHarness *h = watched_skip (111, 3, TRUE, 48000);
  guint k = 0;

  g_assert_true (skipped (h, k++, tail)); /* no voice yet: noise floor */
  g_assert_false (skipped (h, k++, voice));
  for (guint i = 0; i < 25; i++) /* 500 ms of V=0 after the voice */
    g_assert_false (skipped (h, k++, tail));
  g_assert_true (skipped (h, k++, tail));
  g_assert_false (skipped (h, k++, voice));
  g_assert_true (skipped (h, k++, silent));
  g_assert_false (skipped (h, k++, tail));
  gst_harness_teardown (h);

  h = watched_skip (111, 3, TRUE, 0);
  g_assert_false (skipped (h, 0, silent));
  gst_harness_teardown (h);
}

/* ----- the decode chain: rtpopusdepay ! mcuopusdec, levels watched ----- */

#define ONSET_PT  111
#define ONSET_EXT 3

/* The harness' sink plays the mixer: answers the decoder's query with
 * *@user_data (NULL: no answer, everything decoded). */
static GstPadProbeReturn
answer_line (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuDecodeWanted **line = user_data;

  if (*line == NULL ||
      !mcu_decode_wanted_query_answer (GST_PAD_PROBE_INFO_QUERY (info), *line))
    return GST_PAD_PROBE_OK;
  return GST_PAD_PROBE_HANDLED;
}

static GstHarness *
decode_chain (gboolean fec, McuDecodeWanted **line)
{
  g_autofree gchar *desc = g_strdup_printf (
      "rtpopusdepay name=d ! mcuopusdec name=o use-inband-fec=%d", fec);
  GstHarness *h = gst_harness_new_parse (desc);
  g_autoptr (GstElement) d = gst_bin_get_by_name (GST_BIN (h->element), "d");
  g_autoptr (GstElement) o = gst_bin_get_by_name (GST_BIN (h->element), "o");
  g_autoptr (GstPad) sink = gst_element_get_static_pad (d, "sink");
  g_autoptr (GstPad) src = gst_element_get_static_pad (o, "src");

  mcu_rtp_level_watch (sink, src, ONSET_PT, ONSET_EXT, TRUE, 48000);
  gst_pad_add_probe (
      h->sinkpad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, answer_line, line, NULL);
  gst_harness_set_src_caps_str (h,
      "application/x-rtp, media=audio, encoding-name=OPUS, "
      "clock-rate=48000, payload=111");
  return h;
}

/* RTP packet @k: a 440 Hz tone at -12 dBFS with V=1 level 12 when @voice,
 * else digital silence with V=0 level 90. */
static GstBuffer *
onset_packet (OpusEncoder *enc, guint k, gboolean voice)
{
  gint16 pcm[960] = { 0 };
  guchar data[1500];
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint8 level = voice ? 0x80 | 12 : 90;
  GstBuffer *buf;
  gint n;

  for (guint i = 0; voice && i < 960; i++)
    pcm[i] = (gint16)lrint (
        8000 * sin (2 * G_PI * 440.0 * (gdouble)(k * 960 + i) / 48000));
  n = opus_encode (enc, pcm, 960, data, sizeof data);
  g_assert_cmpint (n, >, 0);
  buf = gst_rtp_buffer_new_allocate ((guint)n, 0, 0);
  g_assert_true (gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp));
  gst_rtp_buffer_set_payload_type (&rtp, ONSET_PT);
  gst_rtp_buffer_set_seq (&rtp, (guint16)k);
  gst_rtp_buffer_set_timestamp (&rtp, k * 960);
  gst_rtp_buffer_set_ssrc (&rtp, 0x1234);
  memcpy (gst_rtp_buffer_get_payload (&rtp), data, (gsize)n);
  g_assert_true (
      gst_rtp_buffer_add_extension_onebyte_header (&rtp, ONSET_EXT, &level, 1));
  gst_rtp_buffer_unmap (&rtp);
  GST_BUFFER_PTS (buf) = k * 20 * GST_MSECOND;
  return buf;
}

/* Pushes @buf; the samples out (appended to @out). */
static void
push_collect (GstHarness *h, GstBuffer *buf, GByteArray *out)
{
  GstBuffer *o;

  g_assert_cmpint (gst_harness_push (h, buf), ==, GST_FLOW_OK);
  while ((o = gst_harness_try_pull (h)) != NULL) {
    GstMapInfo map;

    gst_buffer_map (o, &map, GST_MAP_READ);
    g_byte_array_append (out, map.data, (guint)map.size);
    gst_buffer_unmap (o, &map);
    gst_buffer_unref (o);
  }
}

/* A caller talks (10 packets), is quiet for @quiet packets (V=0: not
 * decoded, the first 500 ms as unmixed, then as known silence), and talks
 * again, while the mixer's line says LEVEL -40 dBov all along (it has not
 * reacted yet: its decision comes a frame after the audio it judged, with
 * 40 ms of ring and FEC's packet ahead of it). The onset is decoded at
 * once, as the same chain without a line decodes it. */
static void
onset (gboolean fec, guint quiet)
{
  McuDecodeWanted *line = mcu_decode_wanted_new (), *none = NULL;
  GstHarness *with = decode_chain (fec, &line);
  GstHarness *base = decode_chain (fec, &none);
  g_autoptr (GByteArray) a = g_byte_array_new ();
  g_autoptr (GByteArray) b = g_byte_array_new ();
  g_autoptr (GstElement) dec = NULL;
  OpusEncoder *enc;
  guint onset_k = 10 + quiet, total = onset_k + 10;
  gsize from = (gsize)onset_k * 960 * 2;
  int err;

  enc = opus_encoder_create (48000, 1, OPUS_APPLICATION_VOIP, &err);
  opus_encoder_ctl (enc, OPUS_SET_BITRATE (24000));
  opus_encoder_ctl (enc, OPUS_SET_INBAND_FEC (1));
  opus_encoder_ctl (enc, OPUS_SET_PACKET_LOSS_PERC (20));
  mcu_decode_wanted_set (line, MCU_DECODE_WANTED_LEVEL, 40);
  for (guint k = 0; k < total; k++) {
    GstBuffer *p = onset_packet (enc, k, k < 10 || k >= onset_k);

    push_collect (base, gst_buffer_copy_deep (p), b);
    push_collect (with, p, a);
  }
  /* (with FEC one packet stays held: compared up to it) */
  g_assert_cmpuint (a->len, ==, b->len);
  g_assert_cmpuint (a->len, >=, (total - 1) * 960 * 2);
  dec = gst_bin_get_by_name (GST_BIN (with->element), "o");
  if (mcu_opus_dec_get_unmixed_skipped (MCU_OPUS_DEC (dec)) == 0)
    g_error ("fec %d, %u quiet: nothing skipped as unmixed", fec, quiet);
  /* per packet from the onset on: the error against the decode without
   * the line at least 30 dB under its power (a decoder primed with the
   * last skipped packets is within a few % of a continuous one, not bit
   * for bit; zeros would be 0 dB) */
  for (gsize at = from; at + 960 * 2 <= a->len; at += 960 * 2) {
    gdouble err_power = 0.0, power = 0.0;

    for (gsize i = at; i < at + 960 * 2; i += 2) {
      gdouble x = (gint16)GST_READ_UINT16_LE (a->data + i);
      gdouble y = (gint16)GST_READ_UINT16_LE (b->data + i);

      err_power += (x - y) * (x - y);
      power += y * y;
    }
    g_assert_cmpfloat (power, >, 0.0);
    if (10 * log10 (err_power / power + 1e-12) > -30.0)
      g_error ("fec %d, %u quiet: packet %u after the onset is %.1f dB off "
               "the decode without the line",
          fec, quiet, (guint)((at - from) / 1920),
          10 * log10 (err_power / power + 1e-12));
    if (g_test_verbose ())
      g_print ("fec %d quiet %u packet %u: %.1f dB\n", fec, quiet,
          (guint)((at - from) / 1920), 10 * log10 (err_power / power + 1e-12));
  }
  opus_encoder_destroy (enc);
  gst_harness_teardown (with);
  gst_harness_teardown (base);
  mcu_decode_wanted_unref (line);
}

static void
test_onset (void)
{
  for (guint fec = 0; fec <= 1; fec++) {
    onset (fec, 15); /* 300 ms of V=0: unmixed skips, primers */
    onset (fec, 45); /* 900 ms: known silence after 500 ms */
  }
}

int
main (int argc, char **argv)
{
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_true (mcu_plugins_register ());
  g_test_add_func ("/rtp-level/one-byte", test_one_byte);
  g_test_add_func ("/rtp-level/two-byte", test_two_byte);
  g_test_add_func ("/rtp-level/absent", test_absent);
  g_test_add_func ("/rtp-level/malformed", test_malformed);
  g_test_add_func ("/rtp-level/random", test_random);
  g_test_add_func ("/rtp-level/watch", test_watch);
  g_test_add_func ("/rtp-level/skip", test_skip);
  g_test_add_func ("/rtp-level/onset-decoded", test_onset);
  ret = g_test_run ();
  gst_deinit ();
  return ret;
}
