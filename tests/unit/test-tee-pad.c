/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu_pad_util_request_tee_pad: a tee's src pad requested while a segment
 * passes through the tee has that segment before its first frame. The race
 * it closes (GStreamer 1.22): the tee's sink pad forwards a segment to the
 * src pads it has and only then stores it; a pad requested in between
 * copies the stored events without that segment and then gets frames ("Got
 * data flow before segment event": GStreamer's own check, compiled into
 * Debian's 1.22; fatal here as in every test; CI's ASan video-mix failed on
 * it once). One thread pushes frames, with a flush and
 * a new segment every fourth; another requests pads, keeps each for two
 * frames and releases it. With a plain gst_element_request_pad_simple it
 * fails within 0.05 s (src_51, src_94, src_118 in three runs). */
#include "mcu-pad-util-private.h"

#define PAIRS    60000
#define REQUESTS 20000

typedef struct
{
  GstElement *tee;
  GstPad *src;  /* ours, into the tee */
  GstPad *kept; /* a tee pad never released: the segment always has a pad
                 * to go to (a push into a pad being released fails, and a
                 * tee whose only pad that is fails the segment) */
  gint requests;
  gint frames;
} Fixture;

static gpointer
request_pads (gpointer user_data)
{
  Fixture *f = user_data;

  for (guint i = 0; i < REQUESTS; i++) {
    GstPad *pad = mcu_pad_util_request_tee_pad (f->tee);
    gint frames = g_atomic_int_get (&f->frames);

    /* kept for the frames after it came (the one it might lack a segment
     * for); unless the pushing is over */
    while (g_atomic_int_get (&f->frames) < frames + 2 &&
           g_atomic_int_get (&f->frames) < PAIRS)
      g_thread_yield ();
    gst_element_release_request_pad (f->tee, pad);
    gst_object_unref (pad);
    g_atomic_int_inc (&f->requests);
  }
  return NULL;
}

static void
push_segment (Fixture *f, guint64 start)
{
  GstSegment segment;

  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = segment.time = start;
  g_assert_true (gst_pad_push_event (f->src, gst_event_new_segment (&segment)));
}

static void
test_new_pad_gets_segment (void)
{
  Fixture f = { 0 };
  GstPad *sink;
  GThread *thread;
  guint pairs = 0;

  f.tee = gst_object_ref_sink (gst_element_factory_make ("tee", NULL));
  g_object_set (f.tee, "allow-not-linked", TRUE, NULL);
  f.src = gst_pad_new ("src", GST_PAD_SRC);
  sink = gst_element_get_static_pad (f.tee, "sink");
  g_assert_cmpint (gst_pad_link (f.src, sink), ==, GST_PAD_LINK_OK);
  gst_object_unref (sink);
  gst_pad_set_active (f.src, TRUE);
  g_assert_cmpint (gst_element_set_state (f.tee, GST_STATE_PLAYING), ==,
      GST_STATE_CHANGE_SUCCESS);
  f.kept = gst_element_request_pad_simple (f.tee, "src_%u");
  gst_pad_push_event (f.src, gst_event_new_stream_start ("tee-pad"));
  gst_pad_push_event (
      f.src, gst_event_new_caps (gst_caps_new_empty_simple ("audio/x-test")));
  thread = g_thread_new ("requests", request_pads, &f);
  while (g_atomic_int_get (&f.requests) < REQUESTS || pairs < PAIRS) {
    GstBuffer *frame = gst_buffer_new ();

    /* a new segment only after a flush (which takes the old one off every
     * pad): a pad that misses it has none for the frames after it */
    if (pairs % 4 == 0) {
      gst_pad_push_event (f.src, gst_event_new_flush_start ());
      gst_pad_push_event (f.src, gst_event_new_flush_stop (TRUE));
      push_segment (&f, pairs * GST_MSECOND);
    }
    GST_BUFFER_PTS (frame) = pairs * GST_MSECOND;
    g_assert_cmpint (gst_pad_push (f.src, frame), ==, GST_FLOW_OK);
    pairs++;
    g_atomic_int_set (&f.frames, pairs);
  }
  g_thread_join (thread);
  gst_element_set_state (f.tee, GST_STATE_NULL);
  gst_element_release_request_pad (f.tee, f.kept);
  gst_object_unref (f.kept);
  gst_object_unref (f.src);
  gst_object_unref (f.tee);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tee-pad/new-pad-gets-segment", test_new_pad_gets_segment);
  return g_test_run ();
}
