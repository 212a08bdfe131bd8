/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu_opus_enc_take_shared: a fan-out takes the group's packet for a shared
 * frame instead of pushing the frame through mcuopusenc, and the element's
 * state stays what it would have been had the frame gone through it: the
 * next private frame starts its encoder afresh (the switch from shared to
 * private resets it: mcu-opus-enc.c encode_private), and what the element
 * must handle itself (its first frame, time going back, a restart, a
 * frame not flagged as the full mix) is left to it; frames the mixer
 * skipped (DISCONT, forward in time) are not. */
#include "mcu-mix-minus.h"
#include "mcu-opus-enc.h"
#include "mcu-opus-enc-private.h"
#include "mcu-plugins.h"
#include "opus-enc-fixture.h"

#include <gst/check/gstharness.h>
#include <string.h>

#define FRAME_DURATION MCU_OPUS_ENC_FRAME_DURATION

static guint64
shared_frames (GstHarness *h)
{
  guint64 n = 0;

  g_object_get (h->element, "shared-frames", &n, NULL);
  return n;
}

/* private (the element's) -> taken (the group's) -> private: the private
 * encoder's packet is a fresh encoder's, as after frames that went
 * through the element. */
static void
test_switch_resets_private (void)
{
  g_autoptr (McuOpusEncGroup) group =
      mcu_opus_enc_group_new (32000, 9, FALSE, 0);
  GstHarness *h = opus_fixture_encoder (group);
  OpusEncoder *fresh = mcu_opus_enc_encoder_new (32000, 9, FALSE, 0);
  GstBuffer *frame, *packet, *expected;
  guint k = 0;

  g_assert_nonnull (fresh);
  /* the element's own encoder gets a history */
  for (; k < 5; k++) {
    g_assert_cmpint (
        gst_harness_push (h, opus_fixture_tone (k, 440, 8000, FALSE)), ==,
        GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (h));
  }
  /* the shared frames are taken, not pushed */
  for (; k < 10; k++) {
    frame = opus_fixture_tone (k, 440, 8000, TRUE);
    packet = mcu_opus_enc_take_shared (MCU_OPUS_ENC (h->element), frame);
    g_assert_nonnull (packet);
    g_assert_cmpuint (mcu_opus_enc_group_get_n_encoded (group), ==, k - 4);
    gst_buffer_unref (packet);
    gst_buffer_unref (frame);
  }
  g_assert_null (gst_harness_try_pull (h));
  g_assert_cmpuint (shared_frames (h), ==, 5);

  /* back to the element's encoder: started afresh */
  frame = opus_fixture_tone (k, 440, 8000, FALSE);
  expected = mcu_opus_enc_encode_buffer (fresh, frame);
  g_assert_cmpint (gst_harness_push (h, frame), ==, GST_FLOW_OK);
  packet = gst_harness_pull (h);
  g_assert_false (GST_BUFFER_IS_DISCONT (packet));
  g_assert_true (opus_fixture_same_bytes (packet, expected));
  gst_buffer_unref (packet);
  gst_buffer_unref (expected);

  opus_encoder_destroy (fresh);
  gst_harness_teardown (h);
}

/* What the element handles itself is not taken. */
static void
test_left_to_the_element (void)
{
  g_autoptr (McuOpusEncGroup) group =
      mcu_opus_enc_group_new (32000, 9, FALSE, 0);
  GstHarness *h = opus_fixture_encoder (group);
  McuOpusEnc *enc = MCU_OPUS_ENC (h->element);
  GstBuffer *frame, *packet;

  /* its first frame: its output is DISCONT */
  frame = opus_fixture_tone (0, 440, 8000, TRUE);
  g_assert_null (mcu_opus_enc_take_shared (enc, frame));
  g_assert_cmpint (gst_harness_push (h, frame), ==, GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));

  frame = opus_fixture_tone (1, 440, 8000, FALSE); /* not the full mix */
  g_assert_null (mcu_opus_enc_take_shared (enc, frame));
  gst_buffer_unref (frame);
  frame = opus_fixture_tone (1, 440, 8000, TRUE);
  packet = mcu_opus_enc_take_shared (enc, frame);
  g_assert_nonnull (packet);
  gst_buffer_unref (packet);
  gst_buffer_unref (frame);
  frame = opus_fixture_tone (0, 440, 8000, TRUE); /* time went back */
  g_assert_null (mcu_opus_enc_take_shared (enc, frame));
  GST_BUFFER_FLAG_SET (frame, GST_BUFFER_FLAG_DISCONT); /* a restart */
  g_assert_null (mcu_opus_enc_take_shared (enc, frame));
  gst_buffer_unref (frame);
  /* frames skipped (the mixer was late): DISCONT forward in time, taken */
  frame = opus_fixture_tone (7, 440, 8000, TRUE);
  GST_BUFFER_FLAG_SET (frame, GST_BUFFER_FLAG_DISCONT);
  packet = mcu_opus_enc_take_shared (enc, frame);
  g_assert_nonnull (packet);
  gst_buffer_unref (packet);
  gst_buffer_unref (frame);
  g_assert_cmpuint (shared_frames (h), ==, 3);
  /* the next private frame: a fresh encoder's, with the new time */
  frame = opus_fixture_tone (8, 440, 8000, FALSE);
  g_assert_cmpint (gst_harness_push (h, frame), ==, GST_FLOW_OK);
  frame = gst_harness_pull (h);
  g_assert_cmpuint (GST_BUFFER_PTS (frame), ==, 8 * FRAME_DURATION);
  gst_buffer_unref (frame);

  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_true (mcu_plugins_register ());
  g_test_add_func (
      "/opus-enc-take/switch-resets-private", test_switch_resets_private);
  g_test_add_func (
      "/opus-enc-take/left-to-the-element", test_left_to_the_element);
  return g_test_run ();
}
