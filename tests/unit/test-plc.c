/* SPDX-License-Identifier: LGPL-2.1-or-later
 * GstHarness tests of mcuplc: lost time comes out as concealed audio of
 * the right length and timestamps, from GAP events, timestamp jumps and GAP
 * buffers, faded over 50 ms at 8 and 16 kHz, capped at max-fill. */
#include "mcu-plc.h"
#include "mcu-plugins.h"

#include <gst/check/gstharness.h>
#include <math.h>
#include <string.h>

#define PACKET_MS 20

static gchar *
caps_for (guint rate)
{
  return g_strdup_printf ("audio/x-raw,format=S16LE,channels=1,"
                          "layout=interleaved,rate=%u",
      rate);
}

/* Packet @k (PTS k * 20 ms) of a 440 Hz sine at @rate, phase continuous. */
static GstBuffer *
make_tone (guint rate, guint k)
{
  guint n = rate * PACKET_MS / 1000;
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, n * 2, NULL);
  GstMapInfo map;

  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  for (guint i = 0; i < n; i++)
    ((gint16 *)map.data)[i] = (gint16)lrint (
        10000 * sin (2 * G_PI * 440 * (gdouble)(k * n + i) / rate));
  gst_buffer_unmap (buffer, &map);
  GST_BUFFER_PTS (buffer) = k * PACKET_MS * GST_MSECOND;
  GST_BUFFER_DURATION (buffer) = PACKET_MS * GST_MSECOND;
  return buffer;
}

static GstHarness *
new_plc (guint rate)
{
  GstHarness *h = gst_harness_new ("mcuplc");
  g_autofree gchar *caps = caps_for (rate);

  gst_harness_set_src_caps_str (h, caps);
  return h;
}

/* Pushes packets @from..@to-1 and pulls them back unchanged in length. */
static void
push_tone (GstHarness *h, guint rate, guint from, guint to)
{
  for (guint k = from; k < to; k++) {
    GstBuffer *out;

    g_assert_cmpint (
        gst_harness_push (h, make_tone (rate, k)), ==, GST_FLOW_OK);
    out = gst_harness_pull (h);
    g_assert_cmpuint (GST_BUFFER_PTS (out), ==, k * PACKET_MS * GST_MSECOND);
    gst_buffer_unref (out);
  }
}

/* RMS of samples @from..@to of @buffer. */
static gdouble
rms (GstBuffer *buffer, gsize from, gsize to)
{
  GstMapInfo map;
  gdouble sum = 0;

  gst_buffer_map (buffer, &map, GST_MAP_READ);
  g_assert_cmpuint (to * 2, <=, map.size);
  for (gsize i = from; i < to; i++)
    sum += pow (((gint16 *)map.data)[i], 2);
  gst_buffer_unmap (buffer, &map);
  return sqrt (sum / (gdouble)(to - from));
}

static GstClockTime
concealed (GstHarness *h)
{
  guint64 ns = 0;

  g_object_get (h->element, "concealed", &ns, NULL);
  return ns;
}

/* A GAP event (a lost packet) becomes a 20 ms buffer of audio at its time,
 * and the next packet follows unchanged. */
static void
test_gap_event (void)
{
  GstHarness *h = new_plc (8000);
  GstBuffer *fill, *next;

  push_tone (h, 8000, 0, 10);
  g_assert_true (gst_harness_push_event (
      h, gst_event_new_gap (
             10 * PACKET_MS * GST_MSECOND, PACKET_MS * GST_MSECOND)));
  fill = gst_harness_pull (h);
  g_assert_cmpuint (GST_BUFFER_PTS (fill), ==, 200 * GST_MSECOND);
  g_assert_cmpuint (GST_BUFFER_DURATION (fill), ==, 20 * GST_MSECOND);
  g_assert_cmpuint (gst_buffer_get_size (fill), ==, 160 * 2);
  /* the tone goes on (RMS of the 10000 sine is 7071; the fill fades) */
  g_assert_cmpfloat (rms (fill, 0, 160), >, 4000);
  g_assert_cmpuint (concealed (h), ==, 20 * GST_MSECOND);
  g_assert_cmpint (gst_harness_push (h, make_tone (8000, 11)), ==, GST_FLOW_OK);
  next = gst_harness_pull (h);
  g_assert_cmpuint (GST_BUFFER_PTS (next), ==, 220 * GST_MSECOND);
  g_assert_cmpfloat (rms (next, 0, 160), >, 5000);
  /* the GAP event itself is not passed on */
  while (TRUE) {
    GstEvent *e = gst_harness_try_pull_event (h);

    if (e == NULL)
      break;
    g_assert_cmpint (GST_EVENT_TYPE (e), !=, GST_EVENT_GAP);
    gst_event_unref (e);
  }
  gst_buffer_unref (fill);
  gst_buffer_unref (next);
  gst_harness_teardown (h);
}

/* Two packets missing without a GAP event: 40 ms of fill go out first. */
static void
test_timestamp_jump (void)
{
  GstHarness *h = new_plc (8000);
  GstBuffer *fill, *next;

  push_tone (h, 8000, 0, 10);
  g_assert_cmpint (gst_harness_push (h, make_tone (8000, 12)), ==, GST_FLOW_OK);
  fill = gst_harness_pull (h);
  g_assert_cmpuint (GST_BUFFER_PTS (fill), ==, 200 * GST_MSECOND);
  g_assert_cmpuint (gst_buffer_get_size (fill), ==, 320 * 2);
  g_assert_cmpfloat (rms (fill, 0, 160), >, 4000);
  g_assert_cmpfloat (rms (fill, 160, 320), >, 1000);
  next = gst_harness_pull (h);
  g_assert_cmpuint (GST_BUFFER_PTS (next), ==, 240 * GST_MSECOND);
  gst_buffer_unref (fill);
  gst_buffer_unref (next);
  gst_harness_teardown (h);
}

/* The fill fades out over 50 ms at 16 kHz as at 8 kHz: still audible at
 * 40-45 ms, silent from 50 ms. */
static void
test_fade_16k (void)
{
  GstHarness *h = new_plc (16000);
  GstBuffer *fill;

  push_tone (h, 16000, 0, 10);
  g_assert_true (gst_harness_push_event (
      h, gst_event_new_gap (200 * GST_MSECOND, 80 * GST_MSECOND)));
  fill = gst_harness_pull (h);
  g_assert_cmpuint (gst_buffer_get_size (fill), ==, 80 * 16 * 2);
  g_assert_cmpfloat (rms (fill, 40 * 16, 45 * 16), >, 300);
  g_assert_cmpfloat (rms (fill, 52 * 16, 80 * 16), ==, 0);
  gst_buffer_unref (fill);
  gst_harness_teardown (h);
}

/* A GAP buffer is concealed in place; a GAP before any audio, and the
 * part of a long GAP past max-fill, stay GAPs. */
static void
test_gap_buffer_and_limits (void)
{
  GstHarness *h = new_plc (8000);
  GstBuffer *in, *out;
  GstEvent *e;
  GstClockTime ts, duration;

  g_assert_true (gst_harness_push_event (
      h, gst_event_new_gap (0, PACKET_MS * GST_MSECOND)));
  while ((e = gst_harness_try_pull_event (h)) &&
         GST_EVENT_TYPE (e) != GST_EVENT_GAP)
    gst_event_unref (e);
  g_assert_nonnull (e);
  gst_event_unref (e);
  g_assert_cmpuint (concealed (h), ==, 0);

  push_tone (h, 8000, 1, 10);
  in = make_tone (8000, 10);
  gst_buffer_memset (in, 0, 0, gst_buffer_get_size (in));
  GST_BUFFER_FLAG_SET (in, GST_BUFFER_FLAG_GAP);
  g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
  out = gst_harness_pull (h);
  g_assert_false (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_GAP));
  g_assert_cmpfloat (rms (out, 0, 160), >, 4000);
  gst_buffer_unref (out);

  g_object_set (h->element, "max-fill", (guint64)100 * GST_MSECOND, NULL);
  g_assert_true (gst_harness_push_event (
      h, gst_event_new_gap (220 * GST_MSECOND, GST_SECOND)));
  out = gst_harness_pull (h);
  g_assert_cmpuint (GST_BUFFER_DURATION (out), ==, 100 * GST_MSECOND);
  while ((e = gst_harness_try_pull_event (h)) &&
         GST_EVENT_TYPE (e) != GST_EVENT_GAP)
    gst_event_unref (e);
  g_assert_nonnull (e);
  gst_event_parse_gap (e, &ts, &duration);
  g_assert_cmpuint (ts, ==, 320 * GST_MSECOND);
  g_assert_cmpuint (duration, ==, 900 * GST_MSECOND);
  gst_event_unref (e);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

/* What concealment costs: every good packet goes through plc_rx, every lost
 * one through plc_fillin (printed with --verbose). */
static void
test_cost (void)
{
  GstHarness *h = new_plc (8000);
  const guint packets = 5000;
  gdouble s;

  g_test_timer_start ();
  for (guint k = 0; k < packets; k++) {
    if (k % 10 == 5) {
      gst_harness_push_event (h, gst_event_new_gap (k * PACKET_MS * GST_MSECOND,
                                     PACKET_MS * GST_MSECOND));
    } else {
      gst_harness_push (h, make_tone (8000, k));
    }
    gst_buffer_unref (gst_harness_pull (h));
  }
  s = g_test_timer_elapsed ();
  g_test_message ("%u packets of 20 ms at 8 kHz, 10 %% lost: %.2f us each "
                  "(harness and buffers included)",
      packets, s * 1e6 / packets);
  g_assert_cmpuint (concealed (h), ==, packets / 10 * 20 * GST_MSECOND);
  gst_harness_teardown (h);
}

/* ---- an allocator that notices a write past the end of a buffer ---- */

#define GUARD 128

typedef struct
{
  guint8 *data;
  gsize size;
} Guarded;

static gint overruns; /* atomic */

static void
guarded_free (gpointer data)
{
  Guarded *g = data;

  for (gsize i = 0; i < GUARD; i++)
    if (g->data[g->size + i] != 0xa5) {
      g_atomic_int_inc (&overruns);
      break;
    }
  g_free (g->data);
  g_free (g);
}

typedef struct
{
  GstAllocator parent_instance;
} GuardAllocator;

typedef struct
{
  GstAllocatorClass parent_class;
} GuardAllocatorClass;

static GType guard_allocator_get_type (void);
G_DEFINE_TYPE (GuardAllocator, guard_allocator, GST_TYPE_ALLOCATOR)

static GstMemory *
guard_alloc (GstAllocator *allocator, gsize size, GstAllocationParams *params)
{
  Guarded *g = g_new0 (Guarded, 1);

  g->size = size;
  g->data = g_malloc (size + GUARD);
  memset (g->data + size, 0xa5, GUARD);
  return gst_memory_new_wrapped (0, g->data, size, 0, size, g, guarded_free);
}

static void
guard_allocator_class_init (GuardAllocatorClass *klass)
{
  GST_ALLOCATOR_CLASS (klass)->alloc = guard_alloc;
}

static void
guard_allocator_init (GuardAllocator *self)
{
}

/* Short fills (a GAP of a millisecond or two, at 8 and 16 kHz) stay inside
 * their buffer: spandsp's first fill writes a quarter pitch period (up to
 * 30 samples) whatever the length asked, which overwrote the next heap
 * block (the shared jitter buffer's timing makes such gaps; the server
 * crashed later in unrelated code). */
static void
test_short_fill_stays_inside (void)
{
  GstAllocator *guard = g_object_new (guard_allocator_get_type (), NULL);
  GstAllocator *old = gst_allocator_find (NULL);

  gst_object_ref_sink (guard);
  gst_allocator_set_default (gst_object_ref (guard));
  for (guint r = 0; r < 2; r++) {
    guint rate = r ? 16000 : 8000;
    GstHarness *h = new_plc (rate);
    guint fills = 0;
    GstBuffer *out;

    for (guint k = 0; k < 20; k += 2) {
      g_assert_cmpint (
          gst_harness_push (h, make_tone (rate, k)), ==, GST_FLOW_OK);
      /* 1.5 ms missing after the packet: 12 or 24 samples of fill */
      g_assert_true (gst_harness_push_event (
          h, gst_event_new_gap (
                 (k + 1) * PACKET_MS * GST_MSECOND, 1500 * GST_USECOND)));
      while ((out = gst_harness_try_pull (h))) {
        fills += gst_buffer_get_size (out) == rate * 3 / 2000 * 2;
        gst_buffer_unref (out);
      }
    }
    g_assert_cmpuint (fills, ==, 10);
    gst_harness_teardown (h);
  }
  gst_allocator_set_default (old);
  gst_object_unref (guard);
  g_assert_cmpint (g_atomic_int_get (&overruns), ==, 0);
}

int
main (int argc, char **argv)
{
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_true (mcu_plugins_register ());

  g_test_add_func ("/plc/gap-event", test_gap_event);
  g_test_add_func ("/plc/timestamp-jump", test_timestamp_jump);
  g_test_add_func ("/plc/fade-16k", test_fade_16k);
  g_test_add_func ("/plc/gap-buffer-and-limits", test_gap_buffer_and_limits);
  g_test_add_func ("/plc/cost", test_cost);
  g_test_add_func (
      "/plc/short-fill-stays-inside", test_short_fill_stays_inside);

  ret = g_test_run ();
  gst_deinit ();
  return ret;
}
