/* SPDX-License-Identifier: LGPL-2.1-or-later
 * A view's compositor under overload (mcu-video-view.c,
 * mcu-video-priority.c), with real GStreamer: the compositor's thread runs
 * at the video's output priority when the process may raise it; an input's
 * pictures come into the compositor scaled to their tile already. */
#include "mcu-video-priority-private.h"
#include "mcu-video-view-private.h"

#include <errno.h>
#include <gst/base/gstaggregator.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define MARGIN (30 * GST_MSECOND)

static GstPadProbeReturn
count_frame (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  g_atomic_int_inc ((gint *)data);
  return GST_PAD_PROBE_OK;
}

/* The nice value of the first thread of ours whose name starts with
 * @prefix, or G_MAXINT. */
static gint
thread_nice (const gchar *prefix)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *tid;

  while (dir && (tid = g_dir_read_name (dir))) {
    g_autofree gchar *path = g_strdup_printf ("/proc/self/task/%s/stat", tid);
    g_autofree gchar *stat = NULL;
    gchar *open, *close;
    g_auto (GStrv) fields = NULL;

    if (!g_file_get_contents (path, &stat, NULL, NULL) ||
        !(open = strchr (stat, '(')) || !(close = strrchr (stat, ')')))
      continue;
    *close = '\0';
    if (!g_str_has_prefix (open + 1, prefix))
      continue;
    /* after "pid (comm) ": state is field 3, nice field 19 */
    fields = g_strsplit (close + 2, " ", 0);
    if (g_strv_length (fields) > 16)
      return atoi (fields[16]);
  }
  return G_MAXINT;
}

static gboolean
tile (guint id, const gchar **name, gboolean *picture, gpointer data)
{
  *name = "";
  /* data: a gboolean, the picture shown, or NULL (shown) */
  *picture = data == NULL || *(gboolean *)data;
  return TRUE;
}

static GstPadProbeReturn
gate (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  return g_atomic_int_get ((gint *)data) ? GST_PAD_PROBE_DROP
                                         : GST_PAD_PROBE_OK;
}

/* The width of the pictures entering @pad (0: none yet) */
static gint
pad_width (GstPad *pad)
{
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  GstStructure *st = caps ? gst_caps_get_structure (caps, 0) : NULL;
  gint w = 0;

  if (st)
    gst_structure_get_int (st, "width", &w);
  return w;
}

static gdouble
pad_alpha (GstPad *pad)
{
  gdouble alpha;

  g_object_get (pad, "alpha", &alpha, NULL);
  return alpha;
}

/* The size of the pictures entering the compositor from @view's input
 * (not its 16x16 clock), or 0. */
static gint
input_width (McuVideoView *view, gint *height)
{
  g_autoptr (GstIterator) it = gst_element_iterate_sink_pads (view->compositor);
  GValue v = G_VALUE_INIT;
  gint width = 0;

  *height = 0;
  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    g_autoptr (GstCaps) caps =
        gst_pad_get_current_caps (g_value_get_object (&v));
    GstStructure *st = caps ? gst_caps_get_structure (caps, 0) : NULL;
    gint w = 0, h = 0;

    if (st && gst_structure_get_int (st, "width", &w) &&
        gst_structure_get_int (st, "height", &h) && w != 16) {
      width = w;
      *height = h;
    }
    g_value_unset (&v);
  }
  return width;
}

static void
test_wait_and_priority (void)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  g_autoptr (GstBus) bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  g_autoptr (GError) error = NULL;
  McuVideoViewOptions options = { .room = "test",
    .width = 320,
    .height = 180,
    .framerate = 30,
    .layout = MCU_LAYOUT_GRID,
    .latency = MARGIN };
  GstElement *src, *caps, *tee, *fakesink;
  McuVideoView *view;
  GstPad *pad;
  gint frames = 0;
  gint64 end;
  gboolean may_raise;
  gint height;

  mcu_video_priority_watch (bus);
  src = gst_element_factory_make ("videotestsrc", NULL);
  caps = gst_element_factory_make ("capsfilter", NULL);
  tee = gst_element_factory_make ("tee", NULL);
  g_object_set (src, "is-live", TRUE, NULL);
  g_object_set (caps, "caps",
      gst_caps_from_string (
          "video/x-raw,format=I420,width=160,height=90,framerate=30/1"),
      NULL);
  g_object_set (tee, "allow-not-linked", TRUE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, caps, tee, NULL);
  g_assert_true (gst_element_link_many (src, caps, tee, NULL));
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);

  view = mcu_video_view_new (GST_BIN (pipeline), 0, &options, &error);
  g_assert_no_error (error);
  fakesink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (fakesink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (pipeline), fakesink);
  gst_element_sync_state_with_parent (fakesink);
  g_assert_true (gst_element_link (view->tee, fakesink));
  mcu_layout_add (view->layout, 1);
  g_assert_true (mcu_video_view_add_input (view, 1, tee));
  pad = gst_element_get_static_pad (fakesink, "sink");
  gst_pad_add_probe (
      pad, GST_PAD_PROBE_TYPE_BUFFER, count_frame, &frames, NULL);
  gst_object_unref (pad);
  end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (g_atomic_int_get (&frames) < 15 && g_get_monotonic_time () < end)
    g_usleep (10000);
  g_assert_cmpint (g_atomic_int_get (&frames), >=, 15);

  /* the compositor's thread: raised when this process may */
  may_raise = setpriority (PRIO_PROCESS, 0, MCU_VIDEO_OUTPUT_NICE) == 0;
  setpriority (PRIO_PROCESS, 0, 0);
  if (may_raise)
    g_assert_cmpint (thread_nice ("compositor"), ==, MCU_VIDEO_OUTPUT_NICE);
  else
    g_test_message ("cannot raise a thread's priority here: not checked");

  /* the input scaled to its tile before the compositor (here the whole
   * 320x180 view), not by the compositor for every frame */
  mcu_video_view_relayout (view, 0, 320, 180, tile, NULL);
  end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  while (input_width (view, &height) != 320 && g_get_monotonic_time () < end)
    g_usleep (10000);
  g_assert_cmpint (input_width (view, &height), ==, 320);
  g_assert_cmpint (height, ==, 180);

  /* Hidden, then shown again while the member sends no new picture (a
   * static screen share): its tile stays empty (alpha 0) rather than the
   * last hidden-size picture stretched over it, until a picture at the
   * tile's size comes. */
  {
    GstPad *in = gst_element_get_static_pad (view->compositor, "sink_1");
    GstPad *tee_sink = gst_element_get_static_pad (tee, "sink");
    gboolean shown = FALSE;
    gint closed = 0;
    gulong gate_id;

    g_assert_nonnull (in);
    g_assert_cmpint (pad_width (in), ==, 320);
    mcu_video_view_relayout (view, 0, 320, 180, tile, &shown);
    end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
    while (pad_width (in) != 16 && g_get_monotonic_time () < end)
      g_usleep (10000);
    g_assert_cmpint (pad_width (in), ==, 16);
    gate_id = gst_pad_add_probe (
        tee_sink, GST_PAD_PROBE_TYPE_BUFFER, gate, &closed, NULL);
    g_atomic_int_set (&closed, 1);
    /* a picture already past the gate on its way (at 30/s) */
    g_usleep (200000);
    g_assert_cmpint (pad_width (in), ==, 16);
    shown = TRUE;
    mcu_video_view_relayout (view, 0, 320, 180, tile, &shown);
    g_usleep (100000);
    g_assert_cmpfloat (pad_alpha (in), ==, 0.0);
    /* the next picture, at the tile's size: shown */
    g_atomic_int_set (&closed, 0);
    end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
    while (pad_alpha (in) != 1.0 && g_get_monotonic_time () < end)
      g_usleep (10000);
    g_assert_cmpfloat (pad_alpha (in), ==, 1.0);
    g_assert_cmpint (pad_width (in), ==, 320);
    /* (@closed lives in this block: the streaming thread must not read it
     * after; ASan: stack-use-after-scope in gate) */
    gst_pad_remove_probe (tee_sink, gate_id);
    gst_object_unref (tee_sink);
    gst_object_unref (in);
  }

  mcu_video_view_remove_input (view, 1);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (pipeline), fakesink);
  mcu_video_view_free (view, GST_BIN (pipeline));
  gst_object_unref (pipeline);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/video-view/wait-and-priority", test_wait_and_priority);
  return g_test_run ();
}
