/* SPDX-License-Identifier: LGPL-2.1-or-later
 * GstHarness tests of mcuopusdec: packets from libopus' own encoder in,
 * mono 48 kHz out, one buffer per packet at the packet's time; GAP events
 * concealed at their time in 2.5 ms steps; garbage concealed, not an
 * error; with use-inband-fec one packet behind and a lost packet rebuilt
 * at its own time; what the mixer downstream says it will not mix
 * (mcu-decode-wanted.h) not decoded. */
#include "mcu-opus-dec.h"
#include "mcu-decode-wanted.h"
#include "mcu-plugins.h"

#include <gst/check/gstharness.h>
#include <math.h>
#include <opus.h>
#include <string.h>

#define RATE     48000
#define FRAME    960
#define FRAME_NS (20 * GST_MSECOND)
#define OUT_CAPS \
  "audio/x-raw, format=S16LE, rate=48000, channels=1, layout=interleaved"
#define IN_CAPS "audio/x-opus, channel-mapping-family=0"
#define TONE    440.0

typedef struct
{
  OpusEncoder *enc;
  guint k; /* next frame */
} Source;

static void
source_init (Source *s)
{
  int err;

  s->enc = opus_encoder_create (RATE, 1, OPUS_APPLICATION_VOIP, &err);
  g_assert_cmpint (err, ==, OPUS_OK);
  /* SILK with its redundant copy of the previous frame (LBRR) */
  opus_encoder_ctl (s->enc, OPUS_SET_BITRATE (24000));
  opus_encoder_ctl (s->enc, OPUS_SET_INBAND_FEC (1));
  opus_encoder_ctl (s->enc, OPUS_SET_PACKET_LOSS_PERC (20));
  s->k = 0;
}

static void
source_clear (Source *s)
{
  opus_encoder_destroy (s->enc);
}

/* The next packet of @s with the tone (@tone) or digital silence. */
static GstBuffer *
next_packet_of (Source *s, gboolean tone)
{
  gint16 pcm[FRAME] = { 0 };
  guchar data[1500];
  GstBuffer *buf;
  gint n;

  for (guint i = 0; tone && i < FRAME; i++)
    pcm[i] = (gint16)lrint (
        8000 * sin (2 * G_PI * TONE * (gdouble)(s->k * FRAME + i) / RATE));
  n = opus_encode (s->enc, pcm, FRAME, data, sizeof data);
  g_assert_cmpint (n, >, 0);
  buf = gst_buffer_new_memdup (data, (gsize)n);
  GST_BUFFER_PTS (buf) = s->k * FRAME_NS;
  s->k++;
  return buf;
}

/* The next 20 ms packet of a 440 Hz tone, PTS k * 20 ms. */
static GstBuffer *
next_packet (Source *s)
{
  return next_packet_of (s, TRUE);
}

static GstHarness *
new_decoder (gboolean fec)
{
  GstHarness *h = gst_harness_new ("mcuopusdec");

  g_object_set (h->element, "use-inband-fec", fec, NULL);
  gst_harness_set_src_caps_str (h, IN_CAPS);
  return h;
}

/* Power at TONE (Goertzel) of @buf's samples, per sample squared. */
static gdouble
tone_power (GstBuffer *buf)
{
  gdouble coeff = 2 * cos (2 * G_PI * TONE / RATE);
  gdouble s1 = 0, s2 = 0;
  GstMapInfo map;
  gsize n;

  gst_buffer_map (buf, &map, GST_MAP_READ);
  n = map.size / 2;
  for (gsize i = 0; i < n; i++) {
    gdouble s = ((gint16 *)map.data)[i] + coeff * s1 - s2;

    s2 = s1;
    s1 = s;
  }
  gst_buffer_unmap (buf, &map);
  return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / ((gdouble)n * n);
}

static void
assert_buffer (GstBuffer *buf, GstClockTime pts, guint samples)
{
  g_assert_nonnull (buf);
  g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, pts);
  g_assert_cmpuint (gst_buffer_get_size (buf), ==, samples * 2);
  g_assert_cmpuint (GST_BUFFER_DURATION (buf), ==,
      gst_util_uint64_scale_int (samples, GST_SECOND, RATE));
}

static guint64
concealed (GstHarness *h)
{
  guint64 ns;

  g_object_get (h->element, "concealed", &ns, NULL);
  return ns;
}

/* One buffer out per packet, at its time, mono 48 kHz, the tone in it. */
static void
test_decode (void)
{
  GstHarness *h = new_decoder (FALSE);
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstCaps) want = gst_caps_from_string (OUT_CAPS);
  Source s;

  source_init (&s);
  for (guint k = 0; k < 20; k++) {
    GstBuffer *in = next_packet (&s);
    GstBuffer *out;

    if (k == 0)
      GST_BUFFER_FLAG_SET (in, GST_BUFFER_FLAG_DISCONT);
    g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
    out = gst_harness_try_pull (h);
    assert_buffer (out, k * FRAME_NS, FRAME);
    g_assert_cmpint (GST_BUFFER_IS_DISCONT (out), ==, k == 0);
    if (k >= 5)
      g_assert_cmpfloat (tone_power (out), >, 100.0);
    gst_buffer_unref (out);
  }
  g_assert_null (gst_harness_try_pull (h));
  caps = gst_pad_get_current_caps (h->sinkpad);
  g_assert_true (gst_caps_is_equal (caps, want));
  g_assert_cmpuint (concealed (h), ==, 0);
  source_clear (&s);
  gst_harness_teardown (h);
}

/* GAPs: concealed at their time in 2.5 ms steps, the rest carried over;
 * before the first packet a GAP goes on as it is. */
static void
test_gap (void)
{
  GstHarness *h = new_decoder (FALSE);
  GstEvent *ev;
  GstBuffer *out;
  Source s;

  source_init (&s);
  while ((ev = gst_harness_try_pull_event (h)))
    gst_event_unref (ev);
  g_assert_true (
      gst_harness_push_event (h, gst_event_new_gap (0, 20 * GST_MSECOND)));
  ev = gst_harness_try_pull_event (h);
  g_assert_nonnull (ev);
  g_assert_cmpint (GST_EVENT_TYPE (ev), ==, GST_EVENT_GAP);
  gst_event_unref (ev);
  g_assert_null (gst_harness_try_pull (h));

  for (guint k = 0; k < 10; k++) {
    g_assert_cmpint (gst_harness_push (h, next_packet (&s)), ==, GST_FLOW_OK);
    gst_buffer_unref (gst_harness_try_pull (h));
  }
  /* a lost packet: 20 ms of concealment carrying the tone on */
  g_assert_true (
      gst_harness_push_event (h, gst_event_new_gap (10 * FRAME_NS, FRAME_NS)));
  out = gst_harness_try_pull (h);
  assert_buffer (out, 10 * FRAME_NS, FRAME);
  g_assert_cmpfloat (tone_power (out), >, 10.0);
  gst_buffer_unref (out);
  g_assert_cmpuint (concealed (h), ==, FRAME_NS);
  /* 7 ms: 7.5 ms concealed (rounded), 0.5 ms owed */
  g_assert_true (gst_harness_push_event (
      h, gst_event_new_gap (11 * FRAME_NS, 7 * GST_MSECOND)));
  out = gst_harness_try_pull (h);
  assert_buffer (out, 11 * FRAME_NS, 360);
  gst_buffer_unref (out);
  /* 1 ms more: 0.5 ms net, under one step: nothing yet */
  g_assert_true (gst_harness_push_event (
      h, gst_event_new_gap (11 * FRAME_NS + 7 * GST_MSECOND, GST_MSECOND)));
  g_assert_null (gst_harness_try_pull (h));
  /* 3 ms more: 3.5 ms net, 2.5 ms concealed */
  g_assert_true (gst_harness_push_event (
      h, gst_event_new_gap (11 * FRAME_NS + 8 * GST_MSECOND, 3 * GST_MSECOND)));
  out = gst_harness_try_pull (h);
  assert_buffer (out, 11 * FRAME_NS + 8 * GST_MSECOND, 120);
  gst_buffer_unref (out);
  /* 1 ms more: 2 ms net with the 1 ms carried, 2.5 ms concealed */
  g_assert_true (gst_harness_push_event (
      h, gst_event_new_gap (11 * FRAME_NS + 11 * GST_MSECOND, GST_MSECOND)));
  out = gst_harness_try_pull (h);
  assert_buffer (out, 11 * FRAME_NS + 11 * GST_MSECOND, 120);
  gst_buffer_unref (out);
  g_assert_cmpuint (concealed (h), ==, 32500 * GST_USECOND);
  source_clear (&s);
  gst_harness_teardown (h);
}

/* A packet libopus refuses is concealed (the last packet's length). */
static void
test_garbage (void)
{
  static const guchar junk[] = { 0xff, 0xff, 0xff };
  GstHarness *h = new_decoder (FALSE);
  GstBuffer *bad = gst_buffer_new_memdup (junk, sizeof junk);
  GstBuffer *out;
  Source s;

  source_init (&s);
  for (guint k = 0; k < 3; k++) {
    g_assert_cmpint (gst_harness_push (h, next_packet (&s)), ==, GST_FLOW_OK);
    gst_buffer_unref (gst_harness_try_pull (h));
  }
  GST_BUFFER_PTS (bad) = 3 * FRAME_NS;
  g_assert_cmpint (gst_harness_push (h, bad), ==, GST_FLOW_OK);
  out = gst_harness_try_pull (h);
  assert_buffer (out, 3 * FRAME_NS, FRAME);
  gst_buffer_unref (out);
  g_assert_cmpuint (concealed (h), ==, FRAME_NS);
  source_clear (&s);
  gst_harness_teardown (h);
}

/* What @ref decodes from @packet (with @fec: the frame before it, from
 * its redundant copy); compared with @out sample for sample. */
static void
assert_same (OpusDecoder *ref, GstBuffer *packet, gboolean fec, GstBuffer *out)
{
  gint16 pcm[FRAME];
  GstMapInfo in, map;
  gint n;

  gst_buffer_map (packet, &in, GST_MAP_READ);
  n = opus_decode (ref, in.data, (opus_int32)in.size, pcm, FRAME, fec);
  gst_buffer_unmap (packet, &in);
  g_assert_cmpint (n, ==, FRAME);
  gst_buffer_map (out, &map, GST_MAP_READ);
  g_assert_cmpmem (map.data, map.size, pcm, sizeof pcm);
  gst_buffer_unmap (out, &map);
}

/* @out differs from what @ref's concealment alone would give: the packet
 * after a loss really carried a redundant copy (LBRR), else comparing with
 * libopus' FEC decode could not tell FEC from concealment. A copy of the
 * state conceals (OpusDecoder holds no pointers: memcpy is its copy). */
static void
assert_not_concealment (OpusDecoder *ref, GstBuffer *out)
{
  gint size = opus_decoder_get_size (1);
  OpusDecoder *plc = g_malloc (size);
  gint16 pcm[FRAME];
  GstMapInfo map;

  memcpy (plc, ref, size);
  g_assert_cmpint (opus_decode (plc, NULL, 0, pcm, FRAME, 0), ==, FRAME);
  g_free (plc);
  gst_buffer_map (out, &map, GST_MAP_READ);
  g_assert_cmpuint (map.size, ==, sizeof pcm);
  g_assert_true (memcmp (map.data, pcm, sizeof pcm) != 0);
  gst_buffer_unmap (out, &map);
}

/* use-inband-fec: one packet behind; a lost one comes back at its time,
 * decoded from the next packet's redundant copy (exactly what libopus
 * gives for it: concealment would differ). */
static void
test_fec (void)
{
  GstHarness *h = new_decoder (TRUE);
  GstBuffer *packets[20];
  OpusDecoder *ref;
  GstBuffer *out;
  Source s;
  int err;

  ref = opus_decoder_create (RATE, 1, &err);
  g_assert_cmpint (err, ==, OPUS_OK);
  source_init (&s);
  for (guint k = 0; k < 20; k++)
    packets[k] = next_packet (&s);
  g_assert_cmpint (
      gst_harness_push (h, gst_buffer_ref (packets[0])), ==, GST_FLOW_OK);
  g_assert_null (gst_harness_try_pull (h));
  for (guint k = 1; k < 20; k++) {
    if (k == 12) /* lost */
      g_assert_true (gst_harness_push_event (
          h, gst_event_new_gap (k * FRAME_NS, FRAME_NS)));
    else
      g_assert_cmpint (
          gst_harness_push (h, gst_buffer_ref (packets[k])), ==, GST_FLOW_OK);
    out = gst_harness_try_pull (h);
    assert_buffer (out, (k - 1) * FRAME_NS, FRAME);
    if (k - 1 == 12) {
      assert_not_concealment (ref, out);
      assert_same (ref, packets[13], TRUE, out);
    } else
      assert_same (ref, packets[k - 1], FALSE, out);
    if (k - 1 >= 5)
      g_assert_cmpfloat (tone_power (out), >, 100.0);
    gst_buffer_unref (out);
  }
  g_assert_cmpuint (concealed (h), ==, FRAME_NS);
  /* EOS: the packet held back goes out */
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  out = gst_harness_try_pull (h);
  assert_buffer (out, 19 * FRAME_NS, FRAME);
  assert_same (ref, packets[19], FALSE, out);
  gst_buffer_unref (out);
  for (guint k = 0; k < 20; k++)
    gst_buffer_unref (packets[k]);
  opus_decoder_destroy (ref);
  source_clear (&s);
  gst_harness_teardown (h);
}

/* With FEC, a lost packet followed by one libopus refuses (a stranger's
 * garbage after a skipped sequence number) is still concealed: no hole
 * where the lost packet was, and the garbage concealed in its turn. */
static void
test_fec_garbage (void)
{
  static const guchar junk[] = { 0x03, 0x00 }; /* code 3, no frames */
  GstHarness *h = new_decoder (TRUE);
  GstBuffer *bad = gst_buffer_new_memdup (junk, sizeof junk);
  GstBuffer *out;
  Source s;

  source_init (&s);
  for (guint k = 0; k < 4; k++) {
    g_assert_cmpint (gst_harness_push (h, next_packet (&s)), ==, GST_FLOW_OK);
    if (k > 0)
      gst_buffer_unref (gst_harness_try_pull (h));
  }
  g_assert_true (
      gst_harness_push_event (h, gst_event_new_gap (4 * FRAME_NS, FRAME_NS)));
  out = gst_harness_try_pull (h); /* packet 3, held until now */
  assert_buffer (out, 3 * FRAME_NS, FRAME);
  gst_buffer_unref (out);
  GST_BUFFER_PTS (bad) = 5 * FRAME_NS;
  g_assert_cmpint (gst_harness_push (h, bad), ==, GST_FLOW_OK);
  out = gst_harness_try_pull (h); /* the lost packet */
  assert_buffer (out, 4 * FRAME_NS, FRAME);
  gst_buffer_unref (out);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  out = gst_harness_try_pull (h); /* the garbage */
  assert_buffer (out, 5 * FRAME_NS, FRAME);
  gst_buffer_unref (out);
  g_assert_cmpuint (concealed (h), ==, 2 * FRAME_NS);
  source_clear (&s);
  gst_harness_teardown (h);
}

static guint64
skipped (GstHarness *h)
{
  guint64 n;

  g_object_get (h->element, "silence-skipped", &n, NULL);
  return n;
}

/* Known silence goes out as zeros of its length, undecoded: a GAP-flagged
 * packet (the RFC 6464 level said silence) even with a tone in it, and the
 * same silent bytes again; a tone after it is decoded at once (the first
 * packet has the tone). */
static void
test_silence_skip (void)
{
  GstHarness *h = new_decoder (FALSE);
  GstBuffer *in, *out;
  Source s;

  source_init (&s);
  for (guint k = 0; k < 5; k++) { /* a tone: decoded */
    g_assert_cmpint (
        gst_harness_push (h, next_packet_of (&s, TRUE)), ==, GST_FLOW_OK);
    gst_buffer_unref (gst_harness_try_pull (h));
  }
  g_assert_cmpuint (skipped (h), ==, 0);
  /* digital silence: once the encoder repeats one packet, skipped; zeros
   * of the packet's length at its time all along */
  for (guint k = 0; k < 40; k++) {
    g_assert_cmpint (
        gst_harness_push (h, next_packet_of (&s, FALSE)), ==, GST_FLOW_OK);
    out = gst_harness_try_pull (h);
    assert_buffer (out, (s.k - 1) * FRAME_NS, FRAME);
    if (k >= 10)
      g_assert_cmpfloat (tone_power (out), <, 1.0);
    gst_buffer_unref (out);
  }
  g_assert_cmpuint (skipped (h), >=, 20);
  /* a tone packet flagged GAP (its level said silence): zeros, skipped */
  {
    guint64 before = skipped (h);

    in = next_packet_of (&s, TRUE);
    GST_BUFFER_FLAG_SET (in, GST_BUFFER_FLAG_GAP);
    g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
    out = gst_harness_try_pull (h);
    assert_buffer (out, (s.k - 1) * FRAME_NS, FRAME);
    g_assert_cmpfloat (tone_power (out), ==, 0.0);
    gst_buffer_unref (out);
    g_assert_cmpuint (skipped (h), ==, before + 1);
  }
  /* talking again: the first packet is decoded and has the tone */
  for (guint k = 0; k < 3; k++) {
    in = next_packet_of (&s, TRUE);
    g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
    out = gst_harness_try_pull (h);
    assert_buffer (out, (s.k - 1) * FRAME_NS, FRAME);
    g_assert_cmpfloat (tone_power (out), >, 1000.0);
    gst_buffer_unref (out);
  }
  source_clear (&s);
  gst_harness_teardown (h);
}

/* With FEC, a packet lost between two packets of known silence is silence
 * too: zeros at its time, not a decode from the next one's redundant copy
 * (nor counted as concealed). */
static void
test_silence_loss_fec (void)
{
  GstHarness *h = new_decoder (TRUE);
  GstBuffer *in, *out;
  Source s;

  source_init (&s);
  for (guint k = 0; k < 8; k++) {
    in = next_packet_of (&s, TRUE); /* a tone whose level says silence */
    GST_BUFFER_FLAG_SET (in, GST_BUFFER_FLAG_GAP);
    if (k == 5) { /* lost */
      gst_buffer_unref (in);
      g_assert_true (gst_harness_push_event (
          h, gst_event_new_gap ((s.k - 1) * FRAME_NS, FRAME_NS)));
    } else
      g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
    if (k == 0)
      continue; /* one packet behind */
    out = gst_harness_try_pull (h);
    assert_buffer (out, (s.k - 2) * FRAME_NS, FRAME);
    g_assert_cmpfloat (tone_power (out), ==, 0.0);
    gst_buffer_unref (out);
  }
  g_assert_cmpuint (concealed (h), ==, 0);
  source_clear (&s);
  gst_harness_teardown (h);
}

/* The harness' sink plays the mixer: it answers the decoder's query with
 * *@user_data (NULL: no answer). */
static GstPadProbeReturn
on_wanted_query (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuDecodeWanted **line = user_data;
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);

  if (*line == NULL || !mcu_decode_wanted_query_answer (query, *line))
    return GST_PAD_PROBE_OK;
  return GST_PAD_PROBE_HANDLED;
}

static guint64
unmixed_skipped (GstHarness *h)
{
  return mcu_opus_dec_get_unmixed_skipped (MCU_OPUS_DEC (h->element));
}

static gint
peak_of (GstBuffer *buf)
{
  GstMapInfo map;
  gint peak = 0;

  gst_buffer_map (buf, &map, GST_MAP_READ);
  for (gsize i = 0; i < map.size / 2; i++)
    peak = MAX (peak, ABS ((gint)((gint16 *)map.data)[i]));
  gst_buffer_unmap (buf, &map);
  return peak;
}

/* Pushes @n packets of the tone; each comes out at its time, 20 ms long,
 * the tone in it when @decoded, else zeros. Returns the largest peak. */
static gint
push_tone (GstHarness *h, Source *s, guint n, gboolean decoded)
{
  gint peak = 0;

  for (guint k = 0; k < n; k++) {
    GstBuffer *out;

    g_assert_cmpint (gst_harness_push (h, next_packet (s)), ==, GST_FLOW_OK);
    out = gst_harness_try_pull (h);
    assert_buffer (out, (s->k - 1) * FRAME_NS, FRAME);
    if (decoded)
      g_assert_cmpfloat (tone_power (out), >, 1000.0);
    else
      g_assert_cmpint (peak_of (out), ==, 0);
    peak = MAX (peak, peak_of (out));
    gst_buffer_unref (out);
  }
  return peak;
}

/* The mixer's line says no: packets (and a loss) go out as zeros of their
 * length at their time, counted apart from silence; yes again: the first
 * packets are decoded from a reset state primed with the last skipped
 * ones, the tone at once and no louder than the steady decode (the
 * largest peak of 100 packets decoded in a row). A revoked line, and no answer,
 * decode everything; a relink (reconfigure) asks again. */
static void
test_unmixed_skip (void)
{
  GstHarness *h = new_decoder (FALSE);
  McuDecodeWanted *line = mcu_decode_wanted_new ();
  McuDecodeWanted *answer = line;
  GstBuffer *out;
  gint steady;
  Source s;

  gst_pad_add_probe (h->sinkpad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      on_wanted_query, &answer, NULL);
  source_init (&s);
  steady = push_tone (h, &s, 100, TRUE);
  g_assert_cmpuint (unmixed_skipped (h), ==, 0);

  mcu_decode_wanted_set (line, MCU_DECODE_WANTED_NONE, 0);
  push_tone (h, &s, 20, FALSE);
  g_assert_true (
      gst_harness_push_event (h, gst_event_new_gap (s.k * FRAME_NS, FRAME_NS)));
  s.k++;
  out = gst_harness_try_pull (h);
  assert_buffer (out, (s.k - 1) * FRAME_NS, FRAME);
  g_assert_cmpint (peak_of (out), ==, 0);
  gst_buffer_unref (out);
  g_assert_cmpuint (unmixed_skipped (h), ==, 20);
  g_assert_cmpuint (concealed (h), ==, 0);
  g_assert_cmpuint (
      mcu_opus_dec_get_silence_skipped (MCU_OPUS_DEC (h->element)), ==, 0);

  mcu_decode_wanted_set (line, MCU_DECODE_WANTED_ALL, 0);
  {
    gint first = push_tone (h, &s, 2, TRUE);

    if (first > steady)
      g_error ("first packets decoded again peak at %d, the steady tone %d",
          first, steady);
  }
  push_tone (h, &s, 5, TRUE);

  /* revoked (the mixer's pad was unlinked): decoded, even when said no */
  mcu_decode_wanted_set (line, MCU_DECODE_WANTED_NONE, 0);
  mcu_decode_wanted_revoke (line);
  answer = NULL;
  push_tone (h, &s, 5, TRUE);
  g_assert_cmpuint (unmixed_skipped (h), ==, 20);
  /* linked again, to a mixer that says no */
  answer = mcu_decode_wanted_new ();
  mcu_decode_wanted_set (answer, MCU_DECODE_WANTED_NONE, 0);
  push_tone (h, &s, 3, TRUE); /* (not asked again before the relink) */
  g_assert_true (
      gst_harness_push_upstream_event (h, gst_event_new_reconfigure ()));
  push_tone (h, &s, 3, FALSE);
  g_assert_cmpuint (unmixed_skipped (h), ==, 23);

  mcu_decode_wanted_unref (answer);
  mcu_decode_wanted_unref (line);
  source_clear (&s);
  gst_harness_teardown (h);
}

/* With use-inband-fec (one packet held back, decided when it goes out):
 * told NONE, the packets go out as zeros in time, counted; a loss while
 * skipping, with the packet after it skipped too, is zeros (not concealed
 * nor rebuilt); ALL again: the tone from the first packet out, no louder
 * than the steady decode. */
static void
test_unmixed_skip_fec (void)
{
  GstHarness *h = new_decoder (TRUE);
  McuDecodeWanted *line = mcu_decode_wanted_new ();
  GstBuffer *out;
  gint steady = 0;
  Source s;

  gst_pad_add_probe (h->sinkpad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      on_wanted_query, &line, NULL);
  source_init (&s);
  g_assert_cmpint (gst_harness_push (h, next_packet (&s)), ==, GST_FLOW_OK);
  for (guint k = 0; k < 100; k++) {
    g_assert_cmpint (gst_harness_push (h, next_packet (&s)), ==, GST_FLOW_OK);
    out = gst_harness_try_pull (h);
    assert_buffer (out, (s.k - 2) * FRAME_NS, FRAME);
    g_assert_cmpfloat (tone_power (out), >, 1000.0);
    steady = MAX (steady, peak_of (out));
    gst_buffer_unref (out);
  }

  mcu_decode_wanted_set (line, MCU_DECODE_WANTED_NONE, 0);
  for (guint k = 0; k < 20; k++) {
    g_assert_cmpint (gst_harness_push (h, next_packet (&s)), ==, GST_FLOW_OK);
    out = gst_harness_try_pull (h);
    assert_buffer (out, (s.k - 2) * FRAME_NS, FRAME);
    g_assert_cmpint (peak_of (out), ==, 0);
    gst_buffer_unref (out);
  }
  g_assert_cmpuint (unmixed_skipped (h), ==, 20);
  /* lost: out once the packet after it is there (skipped too) */
  g_assert_true (
      gst_harness_push_event (h, gst_event_new_gap (s.k * FRAME_NS, FRAME_NS)));
  s.k++;
  out = gst_harness_try_pull (h); /* the packet before the loss */
  assert_buffer (out, (s.k - 2) * FRAME_NS, FRAME);
  gst_buffer_unref (out);
  g_assert_cmpint (gst_harness_push (h, next_packet (&s)), ==, GST_FLOW_OK);
  out = gst_harness_try_pull (h); /* the loss */
  assert_buffer (out, (s.k - 2) * FRAME_NS, FRAME);
  g_assert_cmpint (peak_of (out), ==, 0);
  gst_buffer_unref (out);
  g_assert_cmpuint (concealed (h), ==, 0);
  g_assert_cmpuint (unmixed_skipped (h), ==, 21);

  mcu_decode_wanted_set (line, MCU_DECODE_WANTED_ALL, 0);
  for (guint k = 0; k < 5; k++) {
    g_assert_cmpint (gst_harness_push (h, next_packet (&s)), ==, GST_FLOW_OK);
    out = gst_harness_try_pull (h);
    assert_buffer (out, (s.k - 2) * FRAME_NS, FRAME);
    g_assert_cmpfloat (tone_power (out), >, 1000.0);
    if (k < 2 && peak_of (out) > steady)
      g_error ("FEC: packet %u decoded again peaks at %d, the steady tone %d",
          k, peak_of (out), steady);
    gst_buffer_unref (out);
  }
  /* (the packet held over the change was decided as it went out: ALL) */
  g_assert_cmpuint (unmixed_skipped (h), ==, 21);

  mcu_decode_wanted_unref (line);
  source_clear (&s);
  gst_harness_teardown (h);
}

/* The line of a real mcumixminus pad: told NONE through it, the decoder
 * skips; the pad unlinked (not a synthetic reconfigure), the line is
 * revoked and the decoder decodes everything; linked to another pad of
 * the mixer, the decoder asks again (gst_pad_link marks it for
 * reconfiguration) and follows that pad's new line. */
static void
test_unmixed_relink (void)
{
  GstHarness *h = gst_harness_new_with_padnames ("mcuopusdec", "sink", NULL);
  GstElement *mixer = gst_element_factory_make ("mcumixminus", NULL);
  g_autoptr (GstPad) a = gst_element_request_pad_simple (mixer, "sink_%u");
  g_autoptr (GstPad) b = gst_element_request_pad_simple (mixer, "sink_%u");
  g_autoptr (GstPad) src = gst_element_get_static_pad (h->element, "src");
  McuDecodeWanted *line_a, *line_b;
  Source s;

  gst_harness_set_src_caps_str (h, IN_CAPS);
  g_assert_cmpint (gst_pad_link (src, a), ==, GST_PAD_LINK_OK);
  {
    g_autoptr (GstQuery) query = mcu_decode_wanted_query_new ();

    g_assert_true (gst_pad_query (a, query));
    line_a = mcu_decode_wanted_query_parse (query);
  }
  mcu_decode_wanted_set (line_a, MCU_DECODE_WANTED_NONE, 0);
  source_init (&s);
  /* (the mixer is not running: its pads refuse the data, flushing) */
  for (guint k = 0; k < 3; k++)
    gst_harness_push (h, next_packet (&s));
  g_assert_cmpuint (unmixed_skipped (h), ==, 3);

  g_assert_true (gst_pad_unlink (src, a));
  g_assert_cmpint (mcu_decode_wanted_get (line_a, &(guint){ 0 }), ==,
      MCU_DECODE_WANTED_REVOKED);
  for (guint k = 0; k < 3; k++)
    gst_harness_push (h, next_packet (&s));
  g_assert_cmpuint (unmixed_skipped (h), ==, 3);

  g_assert_cmpint (gst_pad_link (src, b), ==, GST_PAD_LINK_OK);
  {
    g_autoptr (GstQuery) query = mcu_decode_wanted_query_new ();

    g_assert_true (gst_pad_query (b, query));
    line_b = mcu_decode_wanted_query_parse (query);
  }
  g_assert_true (line_b != line_a);
  mcu_decode_wanted_set (line_b, MCU_DECODE_WANTED_NONE, 0);
  for (guint k = 0; k < 3; k++)
    gst_harness_push (h, next_packet (&s));
  g_assert_cmpuint (unmixed_skipped (h), ==, 6);

  gst_pad_unlink (src, b);
  mcu_decode_wanted_unref (line_a);
  mcu_decode_wanted_unref (line_b);
  source_clear (&s);
  gst_harness_teardown (h);
  gst_element_release_request_pad (mixer, a);
  gst_element_release_request_pad (mixer, b);
  gst_object_unref (mixer);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_true (mcu_plugins_register ());
  g_test_add_func ("/opus-dec/decode", test_decode);
  g_test_add_func ("/opus-dec/gap", test_gap);
  g_test_add_func ("/opus-dec/garbage", test_garbage);
  g_test_add_func ("/opus-dec/fec", test_fec);
  g_test_add_func ("/opus-dec/fec-garbage", test_fec_garbage);
  g_test_add_func ("/opus-dec/silence-skip", test_silence_skip);
  g_test_add_func ("/opus-dec/silence-loss-fec", test_silence_loss_fec);
  g_test_add_func ("/opus-dec/unmixed-skip", test_unmixed_skip);
  g_test_add_func ("/opus-dec/unmixed-skip-fec", test_unmixed_skip_fec);
  g_test_add_func ("/opus-dec/unmixed-relink", test_unmixed_relink);
  return g_test_run ();
}
