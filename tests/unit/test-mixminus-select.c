/* SPDX-License-Identifier: LGPL-2.1-or-later
 * GstHarness tests of mcumixminus's talker selection (noise gate and
 * max-talkers) on pads requested while the element plays, as in a room
 * (mixer/mcu-audio-mix.c): sink_0 carries digital silence (the room's
 * clock), participants join mid-stream and their audio starts late, after
 * the element has timed out on them for a few frames, and not on a frame
 * boundary. Live, with the harness' test clock (shared by every harness of
 * the element): a frame is mixed once every input has data for it, or when
 * a test cranks the clock past it.
 *
 * The header-level tests give a participant's buffers a GstAudioLevelMeta
 * (the caller's RFC 6464 level, mixer/mcu-rtp-level.c): the selection then
 * judges it by that level, not by its samples. */
#include "mcu-mix-minus.h"
#include "mcu-plugins.h"

#include <gst/check/gstharness.h>
#include <math.h>

#define FRAME          960 /* 20 ms at 48 kHz */
#define FRAME_DURATION (20 * GST_MSECOND)
#define N_PADS         3
#define PULL_TIMEOUT_S 10

typedef struct
{
  GstElement *element;
  GstHarness *main;        /* on `src` */
  GstHarness *in[N_PADS];  /* on sink_N */
  GstHarness *out[N_PADS]; /* on src_N, nullable */
  guint64 next[N_PADS];    /* next input sample of sink_N */
  gint level[N_PADS];      /* RFC 6464 level on sink_N's buffers, -1: none */
  gboolean voice[N_PADS];  /* ... and its V bit */
} Room;

/* Participant @p's amplitude: -20 dBFS unless a test makes one quieter. */
static gint16 amplitude[N_PADS] = { 0, 3277, 3277 };

/* Participant @p's audio at sample @s (since the start of the stream): a
 * square wave (amplitude[p]) whose half period, 2p + 1 samples, tells them
 * apart; participant 0 is the silent clock source. */
static gint16
voice (guint p, guint64 s)
{
  return (gint16)((s / (2 * p + 1)) % 2 ? amplitude[p] : -amplitude[p]);
}

static Room *
room_new (gdouble gate_threshold_db, guint max_talkers)
{
  Room *r = g_new0 (Room, 1);

  r->element = gst_element_factory_make ("mcumixminus", NULL);
  g_assert_nonnull (r->element);
  g_object_set (r->element, "output-buffer-duration", FRAME_DURATION,
      "gate-threshold-db", gate_threshold_db, "max-talkers", max_talkers, NULL);
  r->main = gst_harness_new_with_element (r->element, NULL, "src");
  for (guint p = 0; p < N_PADS; p++)
    r->level[p] = -1;
  return r;
}

static void
room_join (Room *r, guint p, gboolean with_output)
{
  g_autofree gchar *sink = g_strdup_printf ("sink_%u", p);
  g_autofree gchar *src = g_strdup_printf ("src_%u", p);

  r->in[p] = gst_harness_new_with_element (r->element, sink, NULL);
  gst_harness_set_src_caps_str (r->in[p], MCU_MIX_MINUS_CAPS);
  if (with_output)
    r->out[p] = gst_harness_new_with_element (r->element, NULL, src);
}

static void
room_free (Room *r)
{
  for (guint p = 0; p < N_PADS; p++) {
    g_clear_pointer (&r->out[p], gst_harness_teardown);
    g_clear_pointer (&r->in[p], gst_harness_teardown);
  }
  g_clear_pointer (&r->main, gst_harness_teardown);
  gst_object_unref (r->element);
  g_free (r);
}

/* Pushes @n samples of participant @p from sample @start on. */
static void
room_say (Room *r, guint p, guint64 start, guint n)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, n * sizeof (gint16), NULL);
  GstMapInfo map;

  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  for (guint i = 0; i < n; i++)
    ((gint16 *)map.data)[i] = voice (p, start + i);
  gst_buffer_unmap (buffer, &map);
  GST_BUFFER_PTS (buffer) =
      gst_util_uint64_scale_int (start, GST_SECOND, 48000);
  GST_BUFFER_DURATION (buffer) =
      gst_util_uint64_scale_int (n, GST_SECOND, 48000);
  if (r->level[p] >= 0)
    gst_buffer_add_audio_level_meta (buffer, (guint8)r->level[p], r->voice[p]);
  g_assert_cmpint (gst_harness_push (r->in[p], buffer), ==, GST_FLOW_OK);
  r->next[p] = start + n;
}

/* gst_harness_pull() waits 60 s, as long as the test's timeout. */
static GstBuffer *
pull (GstHarness *h)
{
  gint64 deadline = g_get_monotonic_time () + PULL_TIMEOUT_S * G_USEC_PER_SEC;
  GstBuffer *buffer;

  while ((buffer = gst_harness_try_pull (h)) == NULL &&
         g_get_monotonic_time () < deadline)
    g_usleep (1000);
  g_assert_nonnull (buffer);
  return buffer;
}

/* Whether @buffer is frame @k of the sum of the participants in @mask. */
static gboolean
is_voices (GstBuffer *buffer, guint k, guint mask)
{
  GstMapInfo map;
  gboolean same = TRUE;

  g_assert_cmpuint (GST_BUFFER_PTS (buffer), ==, k * FRAME_DURATION);
  g_assert_true (gst_buffer_map (buffer, &map, GST_MAP_READ));
  g_assert_cmpuint (map.size, ==, FRAME * sizeof (gint16));
  for (guint i = 0; i < FRAME && same; i++) {
    gint expected = 0;

    for (guint p = 0; p < N_PADS; p++)
      if (mask & (1u << p))
        expected += voice (p, (guint64)k * FRAME + i);
    same = ((const gint16 *)map.data)[i] == expected;
  }
  gst_buffer_unmap (buffer, &map);
  return same;
}

/* Pulls frame @k from `src` and the outputs in @outputs (which must be
 * the shared full mix, unless in @talkers); checks that `src` is the sum of
 * @talkers and that each of them hears the others. */
static void
room_check (Room *r, guint k, guint outputs, guint talkers)
{
  GstBuffer *mix = pull (r->main);

  if (!is_voices (mix, k, talkers))
    g_error ("frame %u: the full mix is not that of 0x%x", k, talkers);
  for (guint p = 0; p < N_PADS; p++) {
    GstBuffer *out;

    if (!(outputs & (1u << p)))
      continue;
    out = pull (r->out[p]);
    if (!(talkers & (1u << p))) {
      if (out != mix)
        g_error ("frame %u: src_%u is not the shared full mix", k, p);
    } else if (out == mix || !is_voices (out, k, talkers & ~(1u << p))) {
      g_error (
          "frame %u: src_%u does not hear 0x%x", k, p, talkers & ~(1u << p));
    }
    gst_buffer_unref (out);
  }
  gst_buffer_unref (mix);
}

/* Two participants join a playing room with the gate on and max-talkers
 * above the number of pads; the element times out on them for three
 * frames, then their audio starts: one on a frame boundary, the other half
 * a frame later and after a buffer that is already too late. From the
 * first frame they both fill, each hears exactly the other. */
static void
run_late_joiners (gdouble gate_threshold_db, guint max_talkers)
{
  Room *r = room_new (gate_threshold_db, max_talkers);
  GstBuffer *out;
  guint k = 0;

  room_join (r, 0, FALSE);
  for (; k < 3; k++) {
    room_say (r, 0, (guint64)k * FRAME, FRAME);
    room_check (r, k, 0x0, 0x0);
  }

  room_join (r, 1, TRUE);
  room_join (r, 2, TRUE);
  for (; k < 6; k++) {
    room_say (r, 0, (guint64)k * FRAME, FRAME);
    g_assert_true (gst_harness_crank_single_clock_wait (r->main));
    room_check (r, k, 0x6, 0x0);
  }

  /* frame 6: 1 from its start, 2 from its middle (the element drops 2's
   * first buffer, of frame 5, already mixed); 0 and 1 are consumed before
   * 2 has data up to the end of the frame, so the frame times out. */
  room_say (r, 0, (guint64)k * FRAME, FRAME);
  room_say (r, 1, (guint64)k * FRAME, FRAME);
  room_say (r, 2, (guint64)(k - 1) * FRAME, FRAME);
  room_say (r, 2, (guint64)k * FRAME + FRAME / 2, FRAME);
  g_assert_true (gst_harness_crank_single_clock_wait (r->main));
  gst_buffer_unref (pull (r->main));
  gst_buffer_unref (pull (r->out[1]));
  out = pull (r->out[2]);
  if (!is_voices (out, k, 0x2))
    g_error ("frame %u: src_2 does not hear 0x2", k);
  gst_buffer_unref (out);

  /* From now on a frame is complete once 0 and 1 have data for the next
   * one (the end of 2's buffer overlaps it): check each frame a round
   * later. */
  for (k++; k < 30; k++) {
    for (guint p = 0; p < N_PADS; p++)
      room_say (r, p, r->next[p], FRAME);
    if (k > 7)
      room_check (r, k - 1, 0x6, 0x6);
  }
  room_free (r);
}

static void
test_late_joiners_gate_max_talkers (void)
{
  run_late_joiners (-55.0, 6);
}

static void
test_late_joiners_gate (void)
{
  run_late_joiners (-55.0, 0);
}

static void
test_late_joiners_max_talkers (void)
{
  run_late_joiners (-127.0, 2);
}

static void
test_late_joiners_plain (void)
{
  run_late_joiners (-127.0, 0);
}

/* Participants 1 and 2 say the same (-20 dBFS) from the first frame on;
 * 1's buffers carry RFC 6464 level @level (-dBov) with V=@voice. Checks
 * that the participants in @talkers, and only they, are mixed in every
 * frame, and that the others get the shared full mix. */
static void
run_header_level (gdouble gate_threshold_db, guint max_talkers, gint level,
    gboolean voice, guint talkers)
{
  Room *r = room_new (gate_threshold_db, max_talkers);

  room_join (r, 0, FALSE);
  room_join (r, 1, TRUE);
  room_join (r, 2, TRUE);
  r->level[1] = level;
  r->voice[1] = voice;
  for (guint k = 0; k < 20; k++) {
    for (guint p = 0; p < N_PADS; p++)
      room_say (r, p, (guint64)k * FRAME, FRAME);
    room_check (r, k, 0x6, talkers);
  }
  room_free (r);
}

/* A loud caller whose packets say -127 dBov is left out at once. */
static void
test_header_silent (void)
{
  run_header_level (-55.0, 0, 127, TRUE, 0x4);
}

/* V=0 (vad=on): below the gate, however loud the level or the samples. */
static void
test_header_no_voice (void)
{
  run_header_level (-55.0, 0, 20, FALSE, 0x4);
}

static void
test_header_loud (void)
{
  run_header_level (-55.0, 0, 10, TRUE, 0x6);
}

/* Below the gate by its level (-60 dBov), loud in its samples. */
static void
test_header_below_gate (void)
{
  run_header_level (-55.0, 0, 60, TRUE, 0x4);
}

/* Gate off: -127 dBov is no signal, like digital silence; V=0 alone only
 * closes a gate, so with none it is mixed. */
static void
test_header_gate_off (void)
{
  run_header_level (-127.0, 0, 127, TRUE, 0x4);
  run_header_level (-127.0, 0, 20, FALSE, 0x6);
}

/* max-talkers 1 between two equally loud callers: the level decides. 1
 * says -3 dBov and wins; saying -40 dBov it loses to 2 (without the meta
 * the tie would go to 1, the earlier pad). */
static void
test_header_ranking (void)
{
  run_header_level (-55.0, 1, 3, TRUE, 0x2);
  run_header_level (-55.0, 1, 40, TRUE, 0x4);
  run_header_level (-55.0, 1, -1, TRUE, 0x2);
}

/* The level is the caller's own claim: it may only make it quieter than
 * its audio. 1 sends -60 dBFS (328 -> -40 dBFS for the ranking) but says
 * 0 dBov: it must neither open the -55 dB gate nor take the one talker
 * slot from 2 (-20 dBFS, no meta). */
static void
test_header_forged_loud (void)
{
  amplitude[1] = 33;
  run_header_level (-55.0, 0, 0, TRUE, 0x4);
  amplitude[1] = 328;
  run_header_level (-55.0, 1, 0, TRUE, 0x4);
  amplitude[1] = 3277;
}

int
main (int argc, char **argv)
{
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_true (mcu_plugins_register ());

  g_test_add_func ("/mixminus-select/late-joiners/gate-max-talkers",
      test_late_joiners_gate_max_talkers);
  g_test_add_func (
      "/mixminus-select/late-joiners/gate", test_late_joiners_gate);
  g_test_add_func ("/mixminus-select/late-joiners/max-talkers",
      test_late_joiners_max_talkers);
  g_test_add_func (
      "/mixminus-select/late-joiners/plain", test_late_joiners_plain);

  g_test_add_func ("/mixminus-select/header-level/silent", test_header_silent);
  g_test_add_func (
      "/mixminus-select/header-level/no-voice", test_header_no_voice);
  g_test_add_func ("/mixminus-select/header-level/loud", test_header_loud);
  g_test_add_func (
      "/mixminus-select/header-level/below-gate", test_header_below_gate);
  g_test_add_func (
      "/mixminus-select/header-level/gate-off", test_header_gate_off);
  g_test_add_func (
      "/mixminus-select/header-level/ranking", test_header_ranking);
  g_test_add_func (
      "/mixminus-select/header-level/forged-loud", test_header_forged_loud);

  ret = g_test_run ();
  gst_deinit ();
  return ret;
}
