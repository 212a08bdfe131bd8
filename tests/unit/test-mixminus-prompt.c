/* SPDX-License-Identifier: LGPL-2.1-or-later
 * GstHarness tests of the prompts of mcumixminus (mcu-mix-minus-prompt.c):
 * a targeted prompt reaches only its target, which is out of the others'
 * mix while it plays (or stays in it with KEEP_MIX); an announcement
 * reaches every output and the full mix; LOOP, stop, the end message, and
 * a target that leaves. */
#include "mixminus-fixture.h"
#include "mcu-plugins.h"

#include <string.h>

#define FADE 240 /* the element's 5 ms fade */

/* A prompt of @n samples: a distinct ramp, far from the parties' values. */
static GBytes *
make_prompt (guint n)
{
  gint16 *data = g_new (gint16, n);

  for (guint i = 0; i < n; i++)
    data[i] = (gint16)(-8000 + (gint)(i % 1500) * 3);
  return g_bytes_new_take (data, n * sizeof (gint16));
}

static gint16
prompt_at (GBytes *prompt, guint i)
{
  gsize size;
  const gint16 *data = g_bytes_get_data (prompt, &size);

  return data[i % (size / sizeof (gint16))];
}

/* src_N of party @p */
static GstPad *
src_pad (Fixture *f, guint p)
{
  g_autofree gchar *name = g_strdup_printf ("src_%u", p);

  return gst_element_get_static_pad (f->element, name);
}

static gboolean
play (Fixture *f, guint id, gint target, GBytes *prompt,
    McuMixMinusPromptFlags flags, gdouble volume)
{
  g_autoptr (GstPad) pad = target >= 0 ? sink_pad (f, target) : NULL;

  return mcu_mix_minus_play_prompt (
      MCU_MIX_MINUS (f->element), id, pad, &prompt, 1, flags, volume);
}

/* Checks samples [@from, @to) of @buffer against @expected (mix of @mask at
 * frame @k plus prompt sample @pos0 + i at @volume). */
static void
check_mix_plus_prompt (GstBuffer *buffer, guint k, guint mask, GBytes *prompt,
    guint pos0, gfloat volume)
{
  GstMapInfo map;

  g_assert_true (gst_buffer_map (buffer, &map, GST_MAP_READ));
  for (guint i = 0; i < FRAME; i++) {
    gint expected = 0;
    gint got = ((const gint16 *)map.data)[i];

    for (guint p = 0; p < MAX_PARTIES; p++)
      if (mask & (1u << p))
        expected += sample (p, k, i);
    if (prompt)
      expected += (gint32)(prompt_at (prompt, pos0 + i) * volume);
    if (got != expected)
      g_error ("frame %u sample %u: got %d, expected %d", k, i, got, expected);
  }
  gst_buffer_unmap (buffer, &map);
}

/* The next mcu-prompt-done on the bus (none: FALSE). */
static gboolean
pop_done (Fixture *f, guint *id, gboolean *completed)
{
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (f->bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);

    if (gst_structure_has_name (s, "mcu-prompt-done")) {
      g_assert_true (gst_structure_get_uint (s, "id", id));
      g_assert_true (gst_structure_get_boolean (s, "completed", completed));
      gst_message_unref (msg);
      return TRUE;
    }
    gst_message_unref (msg);
  }
  return FALSE;
}

/* Pushes frame @k from every party in @mask and pulls every output. */
static void
run_frame (Fixture *f, guint k, guint mask, GstBuffer **mix, GstBuffer **out)
{
  push_frame (f, k, mask);
  *mix = pull (f->main);
  for (guint p = 0; p < MAX_PARTIES; p++)
    out[p] = (mask & (1u << p)) && f->out[p] ? pull (f->out[p]) : NULL;
}

static void
frame_free (GstBuffer *mix, GstBuffer **out)
{
  gst_buffer_unref (mix);
  for (guint p = 0; p < MAX_PARTIES; p++)
    g_clear_pointer (&out[p], gst_buffer_unref);
}

static void
test_targeted (void)
{
  Fixture *f = fixture_new (3, TRUE);
  g_autoptr (GBytes) prompt = make_prompt (3 * FRAME);
  GstBuffer *mix, *out[MAX_PARTIES];
  guint id;
  gboolean completed;

  g_assert_true (play (f, 7, 0, prompt, MCU_MIX_MINUS_PROMPT_NONE, 1.0));
  for (guint k = 0; k < 3; k++) {
    run_frame (f, k, 0x7, &mix, out);
    /* party 0 is out of everyone else's mix while prompted */
    check_mix (mix, k, 0x6);
    check_mix (out[1], k, 0x4);
    check_mix (out[2], k, 0x2);
    /* in the middle it hears the prompt and nothing else */
    if (k == 1)
      check_mix_plus_prompt (out[0], k, 0, prompt, FRAME, 1.0f);
    g_assert_false (GST_BUFFER_FLAG_IS_SET (out[0], GST_BUFFER_FLAG_GAP));
    frame_free (mix, out);
    g_assert_true (k == 2 || !pop_done (f, &id, &completed));
  }
  g_assert_true (pop_done (f, &id, &completed));
  g_assert_cmpuint (id, ==, 7);
  g_assert_true (completed);

  /* one frame to fade the mix back in, then all back to normal */
  run_frame (f, 3, 0x7, &mix, out);
  frame_free (mix, out);
  push_frame (f, 4, 0x7);
  check_frame (f, 4, 0x7);
  fixture_free (f);
}

static void
test_fades (void)
{
  Fixture *f = fixture_new (2, TRUE);
  g_autoptr (GBytes) prompt = make_prompt (2 * FRAME);
  GstBuffer *mix, *out[MAX_PARTIES];
  GstMapInfo map;

  g_assert_true (play (f, 1, 0, prompt, MCU_MIX_MINUS_PROMPT_NONE, 1.0));
  run_frame (f, 0, 0x3, &mix, out);
  /* the first sample is silence faded in: |prompt| starts at 0 and
   * grows; the mix fades out over the frame */
  g_assert_true (gst_buffer_map (out[0], &map, GST_MAP_READ));
  g_assert_cmpint (
      ABS (((gint16 *)map.data)[0] - sample (1, 0, 0)), <=, 40 + 8000 / FADE);
  g_assert_cmpint (((gint16 *)map.data)[FRAME - 1], ==,
      (gint32)prompt_at (prompt, FRAME - 1));
  gst_buffer_unmap (out[0], &map);
  frame_free (mix, out);
  run_frame (f, 1, 0x3, &mix, out);
  /* the last sample fades to silence */
  g_assert_true (gst_buffer_map (out[0], &map, GST_MAP_READ));
  g_assert_cmpint (ABS (((gint16 *)map.data)[FRAME - 1]), <=, 8000 / FADE + 1);
  gst_buffer_unmap (out[0], &map);
  frame_free (mix, out);
  fixture_free (f);
}

static void
test_keep_mix (void)
{
  Fixture *f = fixture_new (3, TRUE);
  g_autoptr (GBytes) prompt = make_prompt (3 * FRAME);
  GstBuffer *mix, *out[MAX_PARTIES];

  g_assert_true (play (f, 2, 0, prompt, MCU_MIX_MINUS_PROMPT_KEEP_MIX, 0.5));
  for (guint k = 0; k < 2; k++) {
    run_frame (f, k, 0x7, &mix, out);
    /* party 0 stays in the mix and hears the room under the prompt */
    check_mix (mix, k, 0x7);
    check_mix (out[1], k, 0x5);
    check_mix (out[2], k, 0x3);
    if (k == 1)
      check_mix_plus_prompt (out[0], k, 0x6, prompt, FRAME, 0.5f);
    frame_free (mix, out);
  }
  fixture_free (f);
}

/* Aimed at the output itself; a prompt that ends inside a frame plays to
 * its last sample there. */
static void
test_output_target (void)
{
  Fixture *f = fixture_new (3, TRUE);
  g_autoptr (GBytes) prompt = make_prompt (FRAME + FRAME / 2);
  g_autoptr (GstPad) out0 = src_pad (f, 0);
  g_autoptr (GstPad) main_pad = gst_element_get_static_pad (f->element, "src");
  GstBuffer *mix, *out[MAX_PARTIES];
  GstMapInfo map;

  /* `src` (everyone) is no target */
  g_assert_false (mcu_mix_minus_play_prompt (
      MCU_MIX_MINUS (f->element), 1, main_pad, &prompt, 1, 0, 1.0));
  g_assert_true (mcu_mix_minus_play_prompt (MCU_MIX_MINUS (f->element), 2, out0,
      &prompt, 1, MCU_MIX_MINUS_PROMPT_KEEP_MIX, 1.0));
  run_frame (f, 0, 0x7, &mix, out);
  check_mix (out[1], 0, 0x5);
  frame_free (mix, out);
  run_frame (f, 1, 0x7, &mix, out);
  g_assert_true (gst_buffer_map (out[0], &map, GST_MAP_READ));
  for (guint i = 0; i < FRAME / 2 - FADE; i++)
    g_assert_cmpint (((gint16 *)map.data)[i], ==,
        sample (1, 1, i) + sample (2, 1, i) + prompt_at (prompt, FRAME + i));
  for (guint i = FRAME / 2; i < FRAME; i++)
    g_assert_cmpint (
        ((gint16 *)map.data)[i], ==, sample (1, 1, i) + sample (2, 1, i));
  gst_buffer_unmap (out[0], &map);
  check_mix (out[1], 1, 0x5);
  frame_free (mix, out);
  push_frame (f, 2, 0x7);
  check_frame (f, 2, 0x7);
  fixture_free (f);
}

static void
test_announcement (void)
{
  Fixture *f = fixture_new (3, TRUE);
  g_autoptr (GBytes) prompt = make_prompt (3 * FRAME);
  GstBuffer *mix, *out[MAX_PARTIES];

  g_assert_true (play (f, 3, -1, prompt, MCU_MIX_MINUS_PROMPT_NONE, 0.5));
  run_frame (f, 0, 0x7, &mix, out);
  frame_free (mix, out);
  run_frame (f, 1, 0x7, &mix, out);
  check_mix_plus_prompt (mix, 1, 0x7, prompt, FRAME, 0.5f);
  for (guint p = 0; p < 3; p++)
    check_mix_plus_prompt (out[p], 1, 0x7 & ~(1u << p), prompt, FRAME, 0.5f);
  frame_free (mix, out);
  fixture_free (f);
}

/* Nobody talks: the announcement is not a GAP, and a lone party hears it. */
static void
test_announcement_in_silence (void)
{
  Fixture *f = fixture_new (1, TRUE);
  g_autoptr (GBytes) prompt = make_prompt (3 * FRAME);
  GstBuffer *mix, *out[MAX_PARTIES];

  g_assert_true (play (f, 4, -1, prompt, MCU_MIX_MINUS_PROMPT_NONE, 0.5));
  run_frame (f, 0, 0x1, &mix, out);
  frame_free (mix, out);
  run_frame (f, 1, 0x1, &mix, out);
  g_assert_false (GST_BUFFER_FLAG_IS_SET (mix, GST_BUFFER_FLAG_GAP));
  g_assert_false (GST_BUFFER_FLAG_IS_SET (out[0], GST_BUFFER_FLAG_GAP));
  check_mix_plus_prompt (out[0], 1, 0, prompt, FRAME, 0.5f);
  frame_free (mix, out);
  fixture_free (f);
}

static void
test_loop_and_stop (void)
{
  Fixture *f = fixture_new (2, TRUE);
  g_autoptr (GBytes) prompt = make_prompt (700);
  GstBuffer *mix, *out[MAX_PARTIES];
  GstMapInfo map;
  guint id;
  gboolean completed;

  g_assert_true (play (f, 5, 1, prompt, MCU_MIX_MINUS_PROMPT_LOOP, 1.0));
  for (guint k = 0; k < 4; k++) {
    run_frame (f, k, 0x3, &mix, out);
    /* wraps around (no fade at the loop point) */
    if (k >= 1)
      check_mix_plus_prompt (out[1], k, 0, prompt, k * FRAME, 1.0f);
    check_mix (out[0], k, 0);
    frame_free (mix, out);
  }
  g_assert_false (pop_done (f, &id, &completed));

  mcu_mix_minus_stop_prompt (MCU_MIX_MINUS (f->element), 5);
  run_frame (f, 4, 0x3, &mix, out);
  g_assert_true (pop_done (f, &id, &completed));
  g_assert_cmpuint (id, ==, 5);
  g_assert_false (completed);
  /* 5 ms of fade, then silence (the mix comes back in the next frame) */
  g_assert_true (gst_buffer_map (out[1], &map, GST_MAP_READ));
  for (guint i = FADE; i < FRAME; i++)
    g_assert_cmpint (((gint16 *)map.data)[i], ==, 0);
  g_assert_cmpint (ABS (((gint16 *)map.data)[FADE - 1]), <=, 8000 / FADE + 1);
  gst_buffer_unmap (out[1], &map);
  frame_free (mix, out);
  run_frame (f, 5, 0x3, &mix, out);
  frame_free (mix, out);
  push_frame (f, 6, 0x3);
  check_frame (f, 6, 0x3);
  fixture_free (f);
}

static void
test_target_leaves (void)
{
  Fixture *f = fixture_new (3, TRUE);
  g_autoptr (GBytes) prompt = make_prompt (10 * FRAME);
  GstBuffer *mix, *out[MAX_PARTIES];
  g_autoptr (GstPad) gone = NULL;
  guint id;
  gboolean completed;

  g_assert_true (play (f, 6, 1, prompt, MCU_MIX_MINUS_PROMPT_NONE, 1.0));
  run_frame (f, 0, 0x7, &mix, out);
  frame_free (mix, out);
  gone = sink_pad (f, 1);
  remove_party (f, 1);
  for (guint k = 1; k < 3; k++) {
    push_frame (f, k, 0x5);
    check_frame (f, k, 0x5);
  }
  /* it ends silently (the owner knows its participant left) */
  g_assert_false (pop_done (f, &id, &completed));
  /* a released pad cannot be a target */
  g_assert_false (mcu_mix_minus_play_prompt (
      MCU_MIX_MINUS (f->element), 9, gone, &prompt, 1, 0, 1.0));
  fixture_free (f);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_true (mcu_plugins_register ());

  g_test_add_func ("/mixminus-prompt/targeted", test_targeted);
  g_test_add_func ("/mixminus-prompt/fades", test_fades);
  g_test_add_func ("/mixminus-prompt/keep-mix", test_keep_mix);
  g_test_add_func ("/mixminus-prompt/output-target", test_output_target);
  g_test_add_func ("/mixminus-prompt/announcement", test_announcement);
  g_test_add_func (
      "/mixminus-prompt/announcement-in-silence", test_announcement_in_silence);
  g_test_add_func ("/mixminus-prompt/loop-and-stop", test_loop_and_stop);
  g_test_add_func ("/mixminus-prompt/target-leaves", test_target_leaves);
  return g_test_run ();
}
