/* SPDX-License-Identifier: LGPL-2.1-or-later
 * GstHarness tests of mcuopusenc and McuOpusEncGroup. The element encodes
 * in its chain function, so every push yields its packet at once; opusdec
 * (in a second harness or after rtpopuspay ! rtpopusdepay) decodes them
 * back and a Goertzel filter checks the tone. */
#include "mcu-mix-minus.h"
#include "mcu-opus-enc.h"
#include "mcu-plugins.h"
#include "opus-enc-fixture.h"

#include <gst/check/gstharness.h>
#include <math.h>
#include <string.h>

#define FRAME          MCU_OPUS_ENC_FRAME_SAMPLES
#define FRAME_DURATION MCU_OPUS_ENC_FRAME_DURATION
#define RATE           48000
#define RAW_CAPS       MCU_MIX_MINUS_CAPS
#define FULL_MIX       MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX
/* Decoded frames skipped before measuring (encoder lookahead, start-up). */
#define SETTLE_FRAMES 5

static GstHarness *
new_decoder (void)
{
  GstHarness *h = gst_harness_new ("opusdec");

  gst_harness_set_src_caps_str (h, MCU_OPUS_ENC_SRC_CAPS);
  gst_harness_set_sink_caps_str (h, RAW_CAPS);
  return h;
}

static GstBuffer *
pull (GstHarness *h)
{
  GstBuffer *buffer = gst_harness_try_pull (h);

  g_assert_nonnull (buffer);
  return buffer;
}

/* Pushes @buffer (transfer full) into @h, returns the packet it produced. */
static GstBuffer *
encode (GstHarness *h, GstBuffer *buffer)
{
  g_assert_cmpint (gst_harness_push (h, buffer), ==, GST_FLOW_OK);
  return pull (h);
}

static guint64
get_u64 (GstHarness *h, const gchar *property)
{
  guint64 v;

  g_object_get (h->element, property, &v, NULL);
  return v;
}

/* ---- decoding and tone analysis ---- */

typedef struct
{
  GArray *pcm; /* gint16, decoded samples */
  GstHarness *dec;
} Decoded;

static void
decoded_init (Decoded *d)
{
  d->pcm = g_array_new (FALSE, FALSE, sizeof (gint16));
  d->dec = new_decoder ();
}

static void
decoded_clear (Decoded *d)
{
  g_array_unref (d->pcm);
  gst_harness_teardown (d->dec);
}

/* Decodes @packet (not consumed) and appends the samples. */
static void
decode_packet (Decoded *d, GstBuffer *packet)
{
  GstBuffer *pcm;
  GstMapInfo map;

  g_assert_cmpint (
      gst_harness_push (d->dec, gst_buffer_ref (packet)), ==, GST_FLOW_OK);
  while ((pcm = gst_harness_try_pull (d->dec)) != NULL) {
    gst_buffer_map (pcm, &map, GST_MAP_READ);
    g_array_append_vals (d->pcm, map.data, map.size / 2);
    gst_buffer_unmap (pcm, &map);
    gst_buffer_unref (pcm);
  }
}

/* Power of @pcm[from, to) at @freq (Goertzel), normalised by length. */
static gdouble
tone_power (const GArray *pcm, guint from, guint to, gdouble freq)
{
  gdouble coeff = 2 * cos (2 * G_PI * freq / RATE);
  gdouble s1 = 0, s2 = 0;

  g_assert_cmpuint (to, <=, pcm->len);
  for (guint i = from; i < to; i++) {
    gdouble s = g_array_index (pcm, gint16, i) + coeff * s1 - s2;

    s2 = s1;
    s1 = s;
  }
  return (s1 * s1 + s2 * s2 - coeff * s1 * s2) /
         ((gdouble)(to - from) * (to - from));
}

/* Asserts a clear @freq tone in @pcm[from, to): at least 30 dB above the
 * power at other frequencies, with roughly @amplitude. */
static void
assert_tone (
    const GArray *pcm, guint from, guint to, gdouble freq, gdouble amplitude)
{
  static const gdouble others[] = { 250, 700, 1000, 1500, 2500, 5000 };
  gdouble p = tone_power (pcm, from, to, freq);
  /* A sine of amplitude A has Goertzel power A^2 / 4 (normalised). */
  gdouble expected = amplitude * amplitude / 4;

  g_assert_cmpfloat (p, >, expected * 0.5);
  g_assert_cmpfloat (p, <, expected * 2.0);
  for (guint i = 0; i < G_N_ELEMENTS (others); i++) {
    gdouble o = tone_power (pcm, from, to, others[i]);

    if (!(p > 1000 * o))
      g_error ("%.0f Hz: %g, %.0f Hz: %g", freq, p, others[i], o);
  }
}

/* ---- tests ---- */

static void
test_private_tone (void)
{
  GstHarness *h = opus_fixture_encoder (NULL);
  Decoded d;
  guint n = 50;

  decoded_init (&d);
  for (guint k = 0; k < n; k++) {
    GstBuffer *packet = encode (h, opus_fixture_tone (k, 440, 8000, FALSE));

    g_assert_cmpuint (GST_BUFFER_PTS (packet), ==, k * FRAME_DURATION);
    g_assert_cmpuint (GST_BUFFER_DURATION (packet), ==, FRAME_DURATION);
    g_assert_cmpint (
        GST_BUFFER_FLAG_IS_SET (packet, GST_BUFFER_FLAG_DISCONT), ==, k == 0);
    g_assert_cmpuint (gst_buffer_get_size (packet), >, 10);
    g_assert_cmpuint (gst_buffer_get_size (packet), <, 200);
    decode_packet (&d, packet);
    gst_buffer_unref (packet);
  }
  g_assert_cmpuint (d.pcm->len, ==, n * FRAME);
  assert_tone (d.pcm, SETTLE_FRAMES * FRAME, n * FRAME, 440, 8000);
  g_assert_cmpuint (get_u64 (h, "private-frames"), ==, n);
  g_assert_cmpuint (get_u64 (h, "shared-frames"), ==, 0);
  decoded_clear (&d);
  gst_harness_teardown (h);
}

/* RFC 6716 3.1: TOC configurations 16..31 are CELT-only. */
static gboolean
is_celt (GstBuffer *packet)
{
  guint8 toc = 0;

  g_assert_cmpuint (gst_buffer_extract (packet, 0, &toc, 1), ==, 1);
  return (toc >> 3) >= 16;
}

/* private-celt: a listener's own mix is coded CELT (a fifth of SILK or
 * hybrid's cost) and still decodes to the tone; off (the element's
 * default), or in the shared encode, the same tone goes SILK/hybrid; set
 * while playing, CELT from the frame after next (libopus ends hybrid with
 * one transition frame). (libopus's own analysis calls a
 * steady tone music after about 18 frames and codes it CELT too: the
 * private phases are the first 18 frames of its encoder, the shared one
 * the first 15 of the group's.) */
static void
test_private_celt (void)
{
  g_autoptr (McuOpusEncGroup) group =
      mcu_opus_enc_group_new (32000, 9, FALSE, 0);
  GstHarness *h = opus_fixture_encoder (group);
  Decoded d;
  guint n = 33, celt = 0, other_celt = 0;

  decoded_init (&d);
  g_object_set (h->element, "bitrate", 32000, "complexity", 9, NULL);
  for (guint k = 0; k < n; k++) {
    GstBuffer *packet;

    /* 0..5 private as voice, 6..17 private as CELT, 18..32 shared */
    if (k == 6)
      g_object_set (h->element, "private-celt", TRUE, NULL);
    packet = encode (h, opus_fixture_tone (k, 440, 8000, k >= 18));
    if (k >= 6 && k < 18) {
      celt += k > 6 && is_celt (packet);
      decode_packet (&d, packet);
    } else {
      other_celt += is_celt (packet);
    }
    gst_buffer_unref (packet);
  }
  g_assert_cmpuint (celt, ==, 11);
  g_assert_cmpuint (other_celt, ==, 0);
  assert_tone (d.pcm, SETTLE_FRAMES * FRAME, 12 * FRAME, 440, 8000);
  g_assert_cmpuint (get_u64 (h, "private-frames"), ==, 18);
  g_assert_cmpuint (get_u64 (h, "shared-frames"), ==, 15);
  decoded_clear (&d);
  gst_harness_teardown (h);

  /* set before the first frame, as the server does: CELT from the first */
  h = opus_fixture_encoder (NULL);
  g_object_set (h->element, "bitrate", 32000, "complexity", 9, "private-celt",
      TRUE, NULL);
  celt = 0;
  for (guint k = 0; k < 15; k++) {
    GstBuffer *packet = encode (h, opus_fixture_tone (k, 440, 8000, FALSE));

    celt += is_celt (packet);
    gst_buffer_unref (packet);
  }
  g_assert_cmpuint (celt, ==, 15);
  gst_harness_teardown (h);
}

/* Encodes 440 Hz frames @from..@to - 1, dropping the packets. */
static void
encode_tones (GstHarness *h, guint from, guint to, gboolean shared)
{
  for (guint k = from; k < to; k++)
    gst_buffer_unref (encode (h, opus_fixture_tone (k, 440, 8000, shared)));
}

static void
assert_private_complexity (GstHarness *h, gint expected)
{
  gint c = -1;

  g_object_get (h->element, "private-complexity", &c, NULL);
  g_assert_cmpint (c, ==, expected);
}

/* private-celt: complexity 6 from the frame after the first CELT packet
 * (no signal analysis), 9 again after a packet that is not CELT (a caller
 * whose bitrate keeps SILK), and 9 without private-celt. */
static void
test_private_celt_complexity (void)
{
  GstHarness *h = opus_fixture_encoder (NULL);

  g_object_set (h->element, "bitrate", 32000, "complexity", 9, "private-celt",
      TRUE, NULL);
  encode_tones (h, 0, 1, FALSE);
  assert_private_complexity (h, 9);
  encode_tones (h, 1, 5, FALSE);
  assert_private_complexity (h, 6);
  /* 10 kbit/s: SILK whatever the signal */
  g_object_set (h->element, "bitrate", 10000, NULL);
  for (guint k = 5; k < 10; k++) {
    GstBuffer *packet = encode (h, opus_fixture_tone (k, 440, 8000, FALSE));

    g_assert_false (is_celt (packet));
    gst_buffer_unref (packet);
  }
  assert_private_complexity (h, 9);
  gst_harness_teardown (h);

  h = opus_fixture_encoder (NULL);
  g_object_set (h->element, "bitrate", 32000, "complexity", 9, NULL);
  encode_tones (h, 0, 30, FALSE);
  assert_private_complexity (h, 9);
  gst_harness_teardown (h);
}

/* Back from the shared encode, the private encoder is reset: its first
 * frame is coded at 9 (it may be SILK, to a decoder holding the shared
 * stream's SILK state), 6 again once that frame was CELT. */
static void
test_private_celt_complexity_switch (void)
{
  g_autoptr (McuOpusEncGroup) group =
      mcu_opus_enc_group_new (32000, 9, FALSE, 0);
  GstHarness *h = opus_fixture_encoder (group);

  g_object_set (h->element, "bitrate", 32000, "complexity", 9, "private-celt",
      TRUE, NULL);
  encode_tones (h, 0, 5, FALSE);
  encode_tones (h, 5, 10, TRUE);
  assert_private_complexity (h, 6);
  encode_tones (h, 10, 11, FALSE);
  assert_private_complexity (h, 9);
  encode_tones (h, 11, 12, FALSE);
  assert_private_complexity (h, 6);
  gst_harness_teardown (h);
}

/* Output caps: what rtpopuspay and opusdec need, without a streamheader. */
static void
test_caps (void)
{
  GstHarness *h = opus_fixture_encoder (NULL);
  g_autoptr (GstCaps) expected = gst_caps_from_string (MCU_OPUS_ENC_SRC_CAPS);
  g_autoptr (GstCaps) caps = NULL;
  GstEvent *event;
  gboolean saw_segment = FALSE;

  gst_buffer_unref (encode (h, opus_fixture_tone (0, 440, 8000, FALSE)));
  caps = gst_pad_get_current_caps (h->sinkpad);
  g_assert_nonnull (caps);
  g_assert_true (gst_caps_is_equal (caps, expected));
  g_assert_true (gst_caps_is_fixed (caps));
  while ((event = gst_harness_try_pull_event (h)) != NULL) {
    saw_segment |= GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT;
    gst_event_unref (event);
  }
  g_assert_true (saw_segment);
  gst_harness_teardown (h);
}

/* mcuopusenc ! rtpopuspay negotiates; rtpopusdepay ! opusdec decodes. */
static void
test_rtp_roundtrip (void)
{
  GstHarness *pay = gst_harness_new_parse ("mcuopusenc ! rtpopuspay pt=111");
  GstHarness *depay = gst_harness_new_parse ("rtpopusdepay ! opusdec");
  g_autoptr (GstCaps) rtp_caps = NULL;
  GArray *pcm = g_array_new (FALSE, FALSE, sizeof (gint16));
  GstStructure *s;
  guint n = 40;

  gst_harness_set_src_caps_str (pay, RAW_CAPS);
  gst_harness_set_sink_caps_str (depay, RAW_CAPS);
  for (guint k = 0; k < n; k++) {
    GstBuffer *rtp, *out;
    GstMapInfo map;

    g_assert_cmpint (
        gst_harness_push (pay, opus_fixture_tone (k, 440, 8000, FALSE)), ==,
        GST_FLOW_OK);
    rtp = pull (pay);
    if (rtp_caps == NULL) {
      rtp_caps = gst_pad_get_current_caps (pay->sinkpad);
      gst_harness_set_src_caps (depay, gst_caps_ref (rtp_caps));
    }
    g_assert_cmpint (gst_harness_push (depay, rtp), ==, GST_FLOW_OK);
    out = pull (depay);
    gst_buffer_map (out, &map, GST_MAP_READ);
    g_array_append_vals (pcm, map.data, map.size / 2);
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
  }
  s = gst_caps_get_structure (rtp_caps, 0);
  g_assert_cmpstr (gst_structure_get_name (s), ==, "application/x-rtp");
  g_assert_cmpstr (gst_structure_get_string (s, "encoding-name"), ==, "OPUS");
  g_assert_cmpint (
      g_value_get_int (gst_structure_get_value (s, "payload")), ==, 111);
  g_assert_cmpuint (pcm->len, ==, n * FRAME);
  assert_tone (pcm, SETTLE_FRAMES * FRAME, n * FRAME, 440, 8000);
  g_array_unref (pcm);
  gst_harness_teardown (depay);
  gst_harness_teardown (pay);
}

/* Two members fed the same flagged buffers, as the mixer does: one encode
 * per frame, identical payloads, each output with its own metadata. */
static void
test_shared_once (void)
{
  g_autoptr (McuOpusEncGroup) group =
      mcu_opus_enc_group_new (32000, 5, FALSE, 0);
  GstHarness *a = opus_fixture_encoder (group);
  GstHarness *b = opus_fixture_encoder (group);
  Decoded d;
  guint n = 30;

  decoded_init (&d);
  for (guint k = 0; k < n; k++) {
    GstBuffer *mix = opus_fixture_tone (k, 440, 8000, TRUE);
    GstBuffer *pa = encode (a, gst_buffer_ref (mix));
    GstBuffer *pb = encode (b, gst_buffer_ref (mix));

    g_assert_cmpuint (mcu_opus_enc_group_get_n_encoded (group), ==, k + 1);
    g_assert_true (pa != pb);
    g_assert_true (opus_fixture_same_bytes (pa, pb));
    g_assert_cmpuint (GST_BUFFER_PTS (pa), ==, k * FRAME_DURATION);
    g_assert_cmpuint (GST_BUFFER_PTS (pb), ==, k * FRAME_DURATION);
    g_assert_cmpuint (GST_BUFFER_DURATION (pb), ==, FRAME_DURATION);
    /* The flag belongs to the raw full mix, not to the packets. */
    g_assert_false (GST_BUFFER_FLAG_IS_SET (pa, FULL_MIX));
    decode_packet (&d, pa);
    gst_buffer_unref (pa);
    gst_buffer_unref (pb);
    gst_buffer_unref (mix);
  }
  g_assert_cmpuint (mcu_opus_enc_group_get_n_encoded (group), ==, n);
  g_assert_cmpuint (mcu_opus_enc_group_get_n_cached (group), ==, n);
  g_assert_cmpuint (get_u64 (a, "shared-frames"), ==, n);
  g_assert_cmpuint (get_u64 (b, "shared-frames"), ==, n);
  g_assert_cmpuint (get_u64 (a, "private-frames"), ==, 0);
  g_assert_cmpuint (get_u64 (b, "private-frames"), ==, 0);
  assert_tone (d.pcm, SETTLE_FRAMES * FRAME, n * FRAME, 440, 8000);
  decoded_clear (&d);
  gst_harness_teardown (a);
  gst_harness_teardown (b);
}

/* The group's packets are what a lone encoder with the group's parameters
 * would make, and the group's parameters win over the member's. */
static void
test_group_parameters (void)
{
  g_autoptr (McuOpusEncGroup) group =
      mcu_opus_enc_group_new (16000, 5, FALSE, 0);
  GstHarness *member = opus_fixture_encoder (group);
  GstHarness *lone = opus_fixture_encoder (NULL);
  gint bitrate;

  g_object_get (group, "bitrate", &bitrate, NULL);
  g_assert_cmpint (bitrate, ==, 16000);
  g_object_set (member->element, "bitrate", 64000, NULL);
  g_object_set (lone->element, "bitrate", 16000, "complexity", 5, NULL);
  for (guint k = 0; k < 10; k++) {
    GstBuffer *p1 = encode (member, opus_fixture_tone (k, 440, 8000, TRUE));
    GstBuffer *p2 = encode (lone, opus_fixture_tone (k, 440, 8000, TRUE));

    g_assert_true (opus_fixture_same_bytes (p1, p2));
    gst_buffer_unref (p1);
    gst_buffer_unref (p2);
  }
  gst_harness_teardown (member);
  gst_harness_teardown (lone);
}

/* One member talks (private mix-minus), one listens (shared full mix). */
static void
test_mixed (void)
{
  g_autoptr (McuOpusEncGroup) group =
      mcu_opus_enc_group_new (32000, 5, FALSE, 0);
  GstHarness *talker = opus_fixture_encoder (group);
  GstHarness *listener = opus_fixture_encoder (group);
  guint n = 20;

  for (guint k = 0; k < n; k++) {
    GstBuffer *mix = opus_fixture_tone (k, 440, 8000, TRUE);
    GstBuffer *own = opus_fixture_tone (k, 660, 8000, FALSE);
    GstBuffer *pt = encode (talker, own);
    GstBuffer *pl = encode (listener, mix);

    g_assert_false (opus_fixture_same_bytes (pt, pl));
    g_assert_cmpuint (GST_BUFFER_PTS (pt), ==, GST_BUFFER_PTS (pl));
    gst_buffer_unref (pt);
    gst_buffer_unref (pl);
  }
  g_assert_cmpuint (mcu_opus_enc_group_get_n_encoded (group), ==, n);
  g_assert_cmpuint (mcu_opus_enc_group_get_n_cached (group), ==, 0);
  g_assert_cmpuint (get_u64 (talker, "private-frames"), ==, n);
  g_assert_cmpuint (get_u64 (talker, "shared-frames"), ==, 0);
  g_assert_cmpuint (get_u64 (listener, "private-frames"), ==, 0);
  g_assert_cmpuint (get_u64 (listener, "shared-frames"), ==, n);
  gst_harness_teardown (talker);
  gst_harness_teardown (listener);
}

/* Without a group a flagged buffer is encoded privately. */
static void
test_no_group (void)
{
  g_autoptr (McuOpusEncGroup) group =
      mcu_opus_enc_group_new (32000, 5, FALSE, 0);
  GstHarness *a = opus_fixture_encoder (NULL);
  GstHarness *b = opus_fixture_encoder (group);

  for (guint k = 0; k < 10; k++) {
    GstBuffer *mix = opus_fixture_tone (k, 440, 8000, TRUE);

    gst_buffer_unref (encode (a, gst_buffer_ref (mix)));
    gst_buffer_unref (encode (b, mix));
  }
  g_assert_cmpuint (get_u64 (a, "private-frames"), ==, 10);
  g_assert_cmpuint (get_u64 (a, "shared-frames"), ==, 0);
  g_assert_cmpuint (get_u64 (b, "shared-frames"), ==, 10);
  g_assert_cmpuint (mcu_opus_enc_group_get_n_encoded (group), ==, 10);
  /* Leaving the group at run time: private again. */
  g_object_set (b->element, "group", NULL, NULL);
  gst_buffer_unref (encode (b, opus_fixture_tone (10, 440, 8000, TRUE)));
  g_assert_cmpuint (get_u64 (b, "private-frames"), ==, 1);
  g_assert_cmpuint (mcu_opus_enc_group_get_n_encoded (group), ==, 10);
  gst_harness_teardown (a);
  gst_harness_teardown (b);
}

/* Member A: shared 0-9, private 10-14, shared 15-19, private 20-24, shared
 * 25-29 while B stays shared. A's stream is continuous and decodes to the
 * tone; its private encoder restarts from a clean state at each switch. */
static void
test_switch (void)
{
  g_autoptr (McuOpusEncGroup) group =
      mcu_opus_enc_group_new (32000, 5, FALSE, 0);
  GstHarness *a = opus_fixture_encoder (group);
  GstHarness *b = opus_fixture_encoder (group);
  GstHarness *fresh = opus_fixture_encoder (NULL);
  GstBuffer *fresh_packet = NULL, *switch_packet = NULL;
  Decoded d;
  guint n = 30;
  gint max_abs = 0;

  decoded_init (&d);
  for (guint k = 0; k < n; k++) {
    gboolean talking = (k >= 10 && k < 15) || (k >= 20 && k < 25);
    GstBuffer *mix = opus_fixture_tone (k, 440, 8000, TRUE);
    GstBuffer *pa, *pb;

    pa = encode (a, talking ? opus_fixture_tone (k, 440, 6000, FALSE)
                            : gst_buffer_ref (mix));
    pb = encode (b, mix);
    g_assert_cmpuint (GST_BUFFER_PTS (pa), ==, k * FRAME_DURATION);
    g_assert_cmpint (
        GST_BUFFER_FLAG_IS_SET (pa, GST_BUFFER_FLAG_DISCONT), ==, k == 0);
    g_assert_true (opus_fixture_same_bytes (pa, pb) == !talking);
    if (k == 20) {
      switch_packet = gst_buffer_ref (pa);
      fresh_packet = encode (fresh, opus_fixture_tone (k, 440, 6000, FALSE));
    }
    decode_packet (&d, pa);
    gst_buffer_unref (pa);
    gst_buffer_unref (pb);
  }
  g_assert_cmpuint (get_u64 (a, "private-frames"), ==, 10);
  g_assert_cmpuint (get_u64 (a, "shared-frames"), ==, 20);
  g_assert_cmpuint (mcu_opus_enc_group_get_n_encoded (group), ==, n);
  /* The second switch to private reset the private encoder (stale since
   * frame 14): its packet is a fresh encoder's. */
  g_assert_true (opus_fixture_same_bytes (switch_packet, fresh_packet));

  g_assert_cmpuint (d.pcm->len, ==, n * FRAME);
  for (guint i = 0; i < d.pcm->len; i++)
    max_abs = MAX (max_abs, ABS (g_array_index (d.pcm, gint16, i)));
  g_assert_cmpint (max_abs, <, 12000); /* no burst at the switches */
  assert_tone (d.pcm, SETTLE_FRAMES * FRAME, 10 * FRAME, 440, 8000);
  assert_tone (d.pcm, 11 * FRAME, 15 * FRAME, 440, 6000);
  assert_tone (d.pcm, 16 * FRAME, 20 * FRAME, 440, 8000);
  assert_tone (d.pcm, 21 * FRAME, 25 * FRAME, 440, 6000);
  assert_tone (d.pcm, 26 * FRAME, 30 * FRAME, 440, 8000);
  /* And across the switches, the whole stream is one clean tone. */
  assert_tone (d.pcm, SETTLE_FRAMES * FRAME, n * FRAME, 440, 7000);

  gst_buffer_unref (switch_packet);
  gst_buffer_unref (fresh_packet);
  decoded_clear (&d);
  gst_harness_teardown (fresh);
  gst_harness_teardown (a);
  gst_harness_teardown (b);
}

/* The group never hands out a packet made from other samples, and resets
 * its encoder when the shared frames are not contiguous. */
static void
test_group_guards (void)
{
  g_autoptr (McuOpusEncGroup) group =
      mcu_opus_enc_group_new (32000, 5, FALSE, 0);
  g_autoptr (McuOpusEncGroup) other =
      mcu_opus_enc_group_new (32000, 5, FALSE, 0);
  g_autoptr (McuOpusEncGroup) third =
      mcu_opus_enc_group_new (32000, 5, FALSE, 0);
  GstBuffer *in, *p1, *p2;

  /* Same PTS, other samples: refused. */
  in = opus_fixture_tone (0, 440, 8000, TRUE);
  p1 = mcu_opus_enc_group_encode (group, in);
  gst_buffer_unref (in);
  in = opus_fixture_tone (0, 440, 7000, TRUE);
  g_assert_null (mcu_opus_enc_group_encode (group, in));
  gst_buffer_unref (in);
  g_assert_cmpuint (mcu_opus_enc_group_get_n_encoded (group), ==, 1);
  /* Same PTS, same samples in another buffer: cached. */
  in = opus_fixture_tone (0, 440, 8000, TRUE);
  p2 = mcu_opus_enc_group_encode (group, in);
  g_assert_true (p1 == p2);
  g_assert_cmpuint (mcu_opus_enc_group_get_n_cached (group), ==, 1);
  gst_buffer_unref (in);
  gst_buffer_unref (p1);
  gst_buffer_unref (p2);

  /* Frames 1-4, then a gap (everyone talked): frame 10 is encoded from a
   * clean state, exactly as by a new group. */
  for (guint k = 1; k < 5; k++) {
    in = opus_fixture_tone (k, 440, 8000, TRUE);
    gst_buffer_unref (mcu_opus_enc_group_encode (group, in));
    gst_buffer_unref (in);
  }
  /* A member behind by a frame no longer cached (4 are) is refused. */
  in = opus_fixture_tone (0, 440, 8000, TRUE);
  g_assert_null (mcu_opus_enc_group_encode (group, in));
  gst_buffer_unref (in);
  in = opus_fixture_tone (10, 440, 8000, TRUE);
  p1 = mcu_opus_enc_group_encode (group, in);
  p2 = mcu_opus_enc_group_encode (other, in);
  g_assert_true (opus_fixture_same_bytes (p1, p2));
  gst_buffer_unref (in);
  gst_buffer_unref (p1);
  gst_buffer_unref (p2);
  in = opus_fixture_tone (7, 440, 8000, TRUE);
  g_assert_null (mcu_opus_enc_group_encode (group, in));
  gst_buffer_unref (in);
  g_assert_cmpuint (mcu_opus_enc_group_get_n_encoded (group), ==, 6);

  /* Going back in time with DISCONT is a restart (a flush): encoded from a
   * clean state. Without DISCONT, refused. */
  in = opus_fixture_tone (100, 440, 8000, TRUE);
  gst_buffer_unref (mcu_opus_enc_group_encode (group, in));
  gst_buffer_unref (in);
  in = opus_fixture_tone (0, 440, 5000, TRUE);
  g_assert_null (mcu_opus_enc_group_encode (group, in));
  GST_BUFFER_FLAG_SET (in, GST_BUFFER_FLAG_DISCONT);
  p1 = mcu_opus_enc_group_encode (group, in);
  p2 = mcu_opus_enc_group_encode (third, in);
  g_assert_nonnull (p1);
  g_assert_true (opus_fixture_same_bytes (p1, p2));
  gst_buffer_unref (in);
  gst_buffer_unref (p1);
  gst_buffer_unref (p2);

  /* Wrong size or no PTS: not shareable. */
  in = gst_buffer_new_allocate (NULL, 480 * 2, NULL);
  gst_buffer_memset (in, 0, 0, 480 * 2);
  GST_BUFFER_PTS (in) = 20 * FRAME_DURATION;
  g_assert_null (mcu_opus_enc_group_encode (group, in));
  gst_buffer_unref (in);
  in = opus_fixture_tone (21, 440, 8000, TRUE);
  GST_BUFFER_PTS (in) = GST_CLOCK_TIME_NONE;
  g_assert_null (mcu_opus_enc_group_encode (group, in));
  gst_buffer_unref (in);
  g_assert_cmpuint (mcu_opus_enc_group_get_n_encoded (group), ==, 8);
}

/* The mixer restarts (a flush on every output, time back to 0): the first
 * member back resets the group, the others find the frame cached. */
static void
flush (GstHarness *h)
{
  GstSegment segment;

  gst_segment_init (&segment, GST_FORMAT_TIME);
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&segment)));
}

static void
test_group_restart (void)
{
  g_autoptr (McuOpusEncGroup) group =
      mcu_opus_enc_group_new (32000, 5, FALSE, 0);
  g_autoptr (McuOpusEncGroup) fresh =
      mcu_opus_enc_group_new (32000, 5, FALSE, 0);
  GstHarness *a = opus_fixture_encoder (group);
  GstHarness *b = opus_fixture_encoder (group);

  for (guint k = 0; k < 10; k++) {
    GstBuffer *mix = opus_fixture_tone (k, 440, 8000, TRUE);

    gst_buffer_unref (encode (a, gst_buffer_ref (mix)));
    gst_buffer_unref (encode (b, mix));
  }
  flush (a);
  flush (b);
  for (guint k = 0; k < 5; k++) {
    GstBuffer *mix = opus_fixture_tone (k, 440, 5000, TRUE);
    GstBuffer *pa = encode (a, gst_buffer_ref (mix));
    GstBuffer *pb = encode (b, gst_buffer_ref (mix));

    g_assert_cmpuint (GST_BUFFER_PTS (pa), ==, k * FRAME_DURATION);
    g_assert_true (opus_fixture_same_bytes (pa, pb));
    if (k == 0) {
      GstBuffer *ref = mcu_opus_enc_group_encode (fresh, mix);

      g_assert_true (opus_fixture_same_bytes (pa, ref));
      gst_buffer_unref (ref);
    }
    gst_buffer_unref (pa);
    gst_buffer_unref (pb);
    gst_buffer_unref (mix);
  }
  g_assert_cmpuint (mcu_opus_enc_group_get_n_encoded (group), ==, 15);
  g_assert_cmpuint (get_u64 (a, "shared-frames"), ==, 15);
  g_assert_cmpuint (get_u64 (b, "shared-frames"), ==, 15);
  gst_harness_teardown (a);
  gst_harness_teardown (b);
}

/* Input of other sizes: gathered into 20 ms frames, private, interpolated
 * timestamps; EOS encodes the padded remainder. */
static void
test_odd_sizes (void)
{
  g_autoptr (McuOpusEncGroup) group =
      mcu_opus_enc_group_new (32000, 5, FALSE, 0);
  GstHarness *h = opus_fixture_encoder (group);
  GstBuffer *tone = NULL;
  Decoded d;
  guint total = 0, chunk = 441, pulled = 0;

  decoded_init (&d);
  /* 20 frames' worth of 440 Hz, in chunks of 441 samples. */
  for (guint k = 0; k < 20; k++) {
    GstBuffer *f = opus_fixture_tone (k, 440, 8000, TRUE);

    tone = tone ? gst_buffer_append (tone, f) : f;
  }
  while (total < 20 * FRAME) {
    guint len = MIN (chunk, 20 * FRAME - total);
    GstBuffer *in =
        gst_buffer_copy_region (tone, GST_BUFFER_COPY_ALL, total * 2, len * 2);
    GstBuffer *out;

    GST_BUFFER_PTS (in) = gst_util_uint64_scale_int (total, GST_SECOND, RATE);
    GST_BUFFER_DURATION (in) =
        gst_util_uint64_scale_int (len, GST_SECOND, RATE);
    GST_BUFFER_FLAG_SET (in, FULL_MIX);
    g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
    total += len;
    while ((out = gst_harness_try_pull (h)) != NULL) {
      g_assert_cmpuint (GST_BUFFER_PTS (out), ==, pulled * FRAME_DURATION);
      decode_packet (&d, out);
      gst_buffer_unref (out);
      pulled++;
    }
  }
  g_assert_cmpuint (pulled, ==, 20);
  /* 100 more samples, then EOS: one more (padded) frame. */
  {
    GstBuffer *in = opus_fixture_tone (20, 440, 8000, FALSE);
    GstBuffer *part = gst_buffer_copy_region (in, GST_BUFFER_COPY_ALL, 0, 200);
    GstBuffer *out;

    g_assert_cmpint (gst_harness_push (h, part), ==, GST_FLOW_OK);
    g_assert_null (gst_harness_try_pull (h));
    g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
    out = pull (h);
    g_assert_cmpuint (GST_BUFFER_PTS (out), ==, 20 * FRAME_DURATION);
    gst_buffer_unref (out);
    gst_buffer_unref (in);
  }
  g_assert_cmpuint (get_u64 (h, "private-frames"), ==, 21);
  g_assert_cmpuint (get_u64 (h, "shared-frames"), ==, 0);
  g_assert_cmpuint (mcu_opus_enc_group_get_n_encoded (group), ==, 0);
  assert_tone (d.pcm, SETTLE_FRAMES * FRAME, 20 * FRAME, 440, 8000);
  gst_buffer_unref (tone);
  decoded_clear (&d);
  gst_harness_teardown (h);
}

/* DISCONT in, DISCONT out; a flush restarts the stream. */
static void
test_discont_flush (void)
{
  GstHarness *h = opus_fixture_encoder (NULL);
  GstBuffer *in, *out;

  gst_buffer_unref (encode (h, opus_fixture_tone (0, 440, 8000, FALSE)));
  out = encode (h, opus_fixture_tone (1, 440, 8000, FALSE));
  g_assert_false (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (out);
  in = opus_fixture_tone (5, 440, 8000, FALSE);
  GST_BUFFER_FLAG_SET (in, GST_BUFFER_FLAG_DISCONT);
  out = encode (h, in);
  g_assert_true (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (out);

  /* A partial frame is dropped by a flush. */
  in = opus_fixture_tone (6, 440, 8000, FALSE);
  g_assert_cmpint (gst_harness_push (h, gst_buffer_copy_region (
                                            in, GST_BUFFER_COPY_ALL, 0, 400)),
      ==, GST_FLOW_OK);
  gst_buffer_unref (in);
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  {
    GstSegment segment;

    gst_segment_init (&segment, GST_FORMAT_TIME);
    g_assert_true (
        gst_harness_push_event (h, gst_event_new_segment (&segment)));
  }
  out = encode (h, opus_fixture_tone (0, 440, 8000, FALSE));
  g_assert_cmpuint (GST_BUFFER_PTS (out), ==, 0);
  g_assert_true (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (out);
  g_assert_null (gst_harness_try_pull (h));
  g_assert_cmpuint (get_u64 (h, "private-frames"), ==, 4);
  gst_harness_teardown (h);
}

/* Members on their own threads, as behind queues, a few frames apart:
 * every frame is encoded once, every member gets every frame, and the
 * payloads agree. */
#define N_MEMBERS 4
#define N_FRAMES  100
#define MAX_LAG   2 /* frames; the group caches 4 */

typedef struct
{
  GMutex lock;
  GCond cond;
  guint done[N_MEMBERS]; /* frames pushed by each member */
} Pace;

typedef struct
{
  Pace *pace;
  guint index;
  GstHarness *h;
  GstBuffer **frames;
  GPtrArray *out;
} Member;

static guint
pace_min (Pace *pace)
{
  guint min = G_MAXUINT;

  for (guint i = 0; i < N_MEMBERS; i++)
    min = MIN (min, pace->done[i]);
  return min;
}

static gpointer
member_run (gpointer data)
{
  Member *m = data;
  Pace *pace = m->pace;

  for (guint k = 0; k < N_FRAMES; k++) {
    /* Out of step, but by a bounded lag. */
    g_mutex_lock (&pace->lock);
    while (pace_min (pace) + MAX_LAG < k)
      g_cond_wait (&pace->cond, &pace->lock);
    g_mutex_unlock (&pace->lock);

    g_ptr_array_add (m->out, encode (m->h, gst_buffer_ref (m->frames[k])));

    g_mutex_lock (&pace->lock);
    pace->done[m->index]++;
    g_cond_broadcast (&pace->cond);
    g_mutex_unlock (&pace->lock);
  }
  return NULL;
}

static void
test_threads (void)
{
  g_autoptr (McuOpusEncGroup) group =
      mcu_opus_enc_group_new (32000, 5, FALSE, 0);
  GstBuffer *frames[N_FRAMES];
  Pace pace = { 0 };
  Member m[N_MEMBERS];
  GThread *threads[N_MEMBERS];

  g_mutex_init (&pace.lock);
  g_cond_init (&pace.cond);
  for (guint k = 0; k < N_FRAMES; k++)
    frames[k] = opus_fixture_tone (k, 440, 8000, TRUE);
  for (guint i = 0; i < N_MEMBERS; i++) {
    m[i].pace = &pace;
    m[i].index = i;
    m[i].h = opus_fixture_encoder (group);
    m[i].frames = frames;
    m[i].out =
        g_ptr_array_new_with_free_func ((GDestroyNotify)gst_buffer_unref);
  }
  for (guint i = 0; i < N_MEMBERS; i++)
    threads[i] = g_thread_new ("member", member_run, &m[i]);
  for (guint i = 0; i < N_MEMBERS; i++)
    g_thread_join (threads[i]);
  g_mutex_clear (&pace.lock);
  g_cond_clear (&pace.cond);

  /* Each frame encoded exactly once, by whoever came first. */
  g_assert_cmpuint (mcu_opus_enc_group_get_n_encoded (group), ==, N_FRAMES);
  g_assert_cmpuint (
      mcu_opus_enc_group_get_n_cached (group), ==, (N_MEMBERS - 1) * N_FRAMES);
  for (guint i = 0; i < N_MEMBERS; i++) {
    g_assert_cmpuint (get_u64 (m[i].h, "shared-frames"), ==, N_FRAMES);
    g_assert_cmpuint (get_u64 (m[i].h, "private-frames"), ==, 0);
    g_assert_cmpuint (m[i].out->len, ==, N_FRAMES);
    for (guint k = 0; k < N_FRAMES; k++) {
      GstBuffer *out = g_ptr_array_index (m[i].out, k);

      g_assert_cmpuint (GST_BUFFER_PTS (out), ==, k * FRAME_DURATION);
      g_assert_true (
          opus_fixture_same_bytes (out, g_ptr_array_index (m[0].out, k)));
    }
  }
  for (guint i = 0; i < N_MEMBERS; i++) {
    g_ptr_array_unref (m[i].out);
    gst_harness_teardown (m[i].h);
  }
  for (guint k = 0; k < N_FRAMES; k++)
    gst_buffer_unref (frames[k]);
}

int
main (int argc, char **argv)
{
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_true (mcu_plugins_register ());

  g_test_add_func ("/opus-enc/private-tone", test_private_tone);
  g_test_add_func ("/opus-enc/private-celt", test_private_celt);
  g_test_add_func (
      "/opus-enc/private-celt-complexity", test_private_celt_complexity);
  g_test_add_func ("/opus-enc/private-celt-complexity-switch",
      test_private_celt_complexity_switch);
  g_test_add_func ("/opus-enc/caps", test_caps);
  g_test_add_func ("/opus-enc/rtp-roundtrip", test_rtp_roundtrip);
  g_test_add_func ("/opus-enc/shared-once", test_shared_once);
  g_test_add_func ("/opus-enc/group-parameters", test_group_parameters);
  g_test_add_func ("/opus-enc/mixed", test_mixed);
  g_test_add_func ("/opus-enc/no-group", test_no_group);
  g_test_add_func ("/opus-enc/switch", test_switch);
  g_test_add_func ("/opus-enc/group-guards", test_group_guards);
  g_test_add_func ("/opus-enc/group-restart", test_group_restart);
  g_test_add_func ("/opus-enc/odd-sizes", test_odd_sizes);
  g_test_add_func ("/opus-enc/discont-flush", test_discont_flush);
  g_test_add_func ("/opus-enc/threads", test_threads);

  ret = g_test_run ();
  gst_deinit ();
  return ret;
}
