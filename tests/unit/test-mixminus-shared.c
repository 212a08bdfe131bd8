/* SPDX-License-Identifier: LGPL-2.1-or-later
 * GstHarness tests of mcumixminus's shared-frame handlers
 * (mcu_mix_minus_set_shared_handler): called for an output's shared full
 * mix instead of the push (when it says handled), never for an output's
 * own mix-minus; replaced, released and refused handlers are destroyed. */
#include "mcu-mix-minus.h"
#include "mcu-plugins.h"
#include "mixminus-fixture.h"

#include <gst/check/gstharness.h>

typedef struct
{
  gboolean handled; /* what the handler answers */
  guint calls;
  guint destroyed;
  GstBuffer *last; /* (unowned) the last buffer it was given */
} Hook;

static gboolean
on_shared (
    GstPad *output, GstBuffer *buffer, const GstSegment *segment, gpointer data)
{
  Hook *hook = data;

  g_assert_nonnull (segment);
  g_assert_cmpint (segment->format, ==, GST_FORMAT_TIME);
  g_assert_true (
      GST_BUFFER_FLAG_IS_SET (buffer, MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX));
  hook->calls++;
  hook->last = buffer;
  return hook->handled;
}

static void
on_destroy (gpointer data)
{
  ((Hook *)data)->destroyed++;
}

static GstPad *
src_pad (Fixture *f, guint p)
{
  g_autofree gchar *name = g_strdup_printf ("src_%u", p);

  return gst_element_get_static_pad (f->element, name);
}

/* Party 0 talks (its own mix-minus), 1 and 2 are muted (the shared full
 * mix): src_1's handler takes its frames, src_0's is never asked. */
static void
test_shared_handler (void)
{
  Fixture *f = fixture_new (3, TRUE);
  McuMixMinus *mm = MCU_MIX_MINUS (f->element);
  g_autoptr (GstPad) src0 = src_pad (f, 0);
  g_autoptr (GstPad) src1 = src_pad (f, 1);
  g_autoptr (GstPad) main_src = gst_element_get_static_pad (f->element, "src");
  Hook talker = { TRUE }, sharer = { TRUE }, second = { FALSE }, bad = { TRUE };
  guint k = 0;

  for (guint p = 1; p < 3; p++) {
    g_autoptr (GstPad) pad = sink_pad (f, p);

    g_object_set (pad, "mute", TRUE, NULL);
  }
  g_assert_true (mcu_mix_minus_set_shared_handler (
      mm, src0, on_shared, &talker, on_destroy));
  g_assert_true (mcu_mix_minus_set_shared_handler (
      mm, src1, on_shared, &sharer, on_destroy));
  /* `src` is nobody's output */
  g_assert_false (mcu_mix_minus_set_shared_handler (
      mm, main_src, on_shared, &bad, on_destroy));
  g_assert_cmpuint (bad.destroyed, ==, 1);

  for (; k < 4; k++) {
    GstBuffer *mix, *own, *shared;

    push_frame (f, k, 0x7);
    mix = pull (f->main);
    own = pull (f->out[0]);
    shared = pull (f->out[2]); /* pushed after src_1 */
    g_assert_true (shared == mix);
    check_mix (own, k, 0x0);
    g_assert_cmpuint (sharer.calls, ==, k + 1);
    g_assert_true (sharer.last == mix);
    g_assert_null (gst_harness_try_pull (f->out[1]));
    gst_buffer_unref (mix);
    gst_buffer_unref (own);
    gst_buffer_unref (shared);
  }
  g_assert_cmpuint (talker.calls, ==, 0);

  /* a handler that declines: the frame is pushed */
  g_assert_true (mcu_mix_minus_set_shared_handler (
      mm, src1, on_shared, &second, on_destroy));
  g_assert_cmpuint (sharer.destroyed, ==, 1);
  push_frame (f, k, 0x7);
  {
    GstBuffer *mix = pull (f->main);
    GstBuffer *out = pull (f->out[1]);

    g_assert_true (out == mix);
    g_assert_cmpuint (second.calls, ==, 1);
    gst_buffer_unref (mix);
    gst_buffer_unref (out);
    gst_buffer_unref (pull (f->out[0]));
    gst_buffer_unref (pull (f->out[2]));
  }
  g_assert_cmpuint (sharer.calls, ==, 4);

  /* released with its output */
  remove_party (f, 1);
  g_assert_cmpuint (second.destroyed, ==, 1);
  g_assert_false (
      mcu_mix_minus_set_shared_handler (mm, src1, on_shared, &bad, on_destroy));
  g_assert_cmpuint (bad.destroyed, ==, 2);

  g_assert_cmpuint (talker.destroyed, ==, 0);
  fixture_free (f);
  g_assert_cmpuint (talker.destroyed, ==, 1);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_true (mcu_plugins_register ());
  g_test_add_func ("/mixminus-shared/handler", test_shared_handler);
  return g_test_run ();
}
