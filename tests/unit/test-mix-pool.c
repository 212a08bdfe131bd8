/* SPDX-License-Identifier: LGPL-2.1-or-later
 * McuMixPool alone, and mcumixminus spreading its outputs over one: many
 * parties, each output must get the mix of all the others (never its own
 * voice), one buffer per frame in order, with the pool's workers doing
 * part of the pushing; and parties leaving while workers push. */
#include "mcu-mix-minus.h"
#include "mcu-mix-pool.h"
#include "mcu-plugins.h"

#include <gst/check/gstharness.h>
#include <string.h>

#define FRAME          960
#define FRAME_DURATION (20 * GST_MSECOND)
#define N_PARTIES      40
#define PULL_TIMEOUT_S 10

/* ----- the pool alone ----- */

typedef struct
{
  gint *counts; /* atomic: how often each item ran */
  gint running; /* atomic: items running now */
  gint max_running;
} PoolRun;

static void
count_item (guint index, gpointer data)
{
  PoolRun *r = data;
  gint now = g_atomic_int_add (&r->running, 1) + 1;
  gint max;

  while ((max = g_atomic_int_get (&r->max_running)) < now &&
         !g_atomic_int_compare_and_exchange (&r->max_running, max, now))
    ;
  g_usleep (20); /* long enough that the workers take items too */
  g_atomic_int_inc (&r->counts[index]);
  g_atomic_int_add (&r->running, -1);
}

static gpointer
run_many (gpointer data)
{
  McuMixPool *pool = data;

  for (guint round = 0; round < 50; round++) {
    PoolRun r = { g_new0 (gint, 200), 0, 0 };

    mcu_mix_pool_run (pool, 200, count_item, &r);
    /* returned: every item ran exactly once, and none still runs */
    g_assert_cmpint (g_atomic_int_get (&r.running), ==, 0);
    for (guint i = 0; i < 200; i++)
      g_assert_cmpint (r.counts[i], ==, 1);
    g_free (r.counts);
  }
  return NULL;
}

/* Two callers share one pool (two rooms of one process). */
static void
test_pool_every_item_once (void)
{
  g_autoptr (McuMixPool) pool = mcu_mix_pool_new (3);
  GThread *other;

  g_assert_cmpuint (mcu_mix_pool_get_n_workers (pool), ==, 3);
  other = g_thread_new ("second-caller", run_many, pool);
  run_many (pool);
  g_thread_join (other);
  g_assert_cmpuint (mcu_mix_pool_get_n_helped (pool), >, 0);
}

static void
test_pool_small_runs (void)
{
  g_autoptr (McuMixPool) pool = mcu_mix_pool_new (2);
  PoolRun r = { g_new0 (gint, 1), 0, 0 };

  mcu_mix_pool_run (pool, 0, count_item, &r);
  /* one item: the caller runs it, no worker is woken */
  mcu_mix_pool_run (pool, 1, count_item, &r);
  g_assert_cmpint (r.counts[0], ==, 1);
  g_assert_cmpuint (mcu_mix_pool_get_n_helped (pool), ==, 0);
  g_free (r.counts);
}

/* ----- mcumixminus with a pool ----- */

typedef struct
{
  GstElement *element;
  McuMixPool *pool;
  GstHarness *in[N_PARTIES];
  GstHarness *out[N_PARTIES];
  GMutex lock;
  GHashTable *threads; /* GThread * that pushed on a src_N */
  GstClockTime newest; /* the newest frame pushed on any src_N */
  guint overtaken;     /* buffers pushed after a newer frame's */
} Room;

/* Small (no limiting with 40 of them), distinct per party and changing
 * every sample and frame: hearing oneself shows. */
static gint16
voice (guint p, guint k, guint i)
{
  return (gint16)((p + 1) * (1 + (i + 3 * k + p) % 7));
}

static GstBuffer *
make_frame (guint p, guint k)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, FRAME * 2, NULL);
  GstMapInfo map;

  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  for (guint i = 0; i < FRAME; i++)
    ((gint16 *)map.data)[i] = voice (p, k, i);
  gst_buffer_unmap (buffer, &map);
  GST_BUFFER_PTS (buffer) = k * FRAME_DURATION;
  GST_BUFFER_DURATION (buffer) = FRAME_DURATION;
  return buffer;
}

/* Works (the CPU, as an encode would) for @us microseconds. */
static void
busy (gint64 us)
{
  gint64 end = g_get_monotonic_time () + us;
  volatile guint spin = 0;

  while (g_get_monotonic_time () < end)
    spin++;
}

static GstPadProbeReturn
on_output (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Room *room = data;

  GstClockTime pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));

  /* a real output encodes and sends: give the workers time to wake (and
   * the next frame time to overtake a late one: the last output is slow) */
  busy (g_str_equal (GST_PAD_NAME (pad), "src_39") ? 5000 : 200);
  g_mutex_lock (&room->lock);
  g_hash_table_add (room->threads, g_thread_self ());
  /* a frame starts once every output has the one before */
  if (GST_CLOCK_TIME_IS_VALID (room->newest) && pts < room->newest)
    room->overtaken++;
  if (!GST_CLOCK_TIME_IS_VALID (room->newest) || pts > room->newest)
    room->newest = pts;
  g_mutex_unlock (&room->lock);
  return GST_PAD_PROBE_OK;
}

static Room *
room_new (guint min_outputs, GstClockTime min_cost)
{
  Room *room = g_new0 (Room, 1);

  g_mutex_init (&room->lock);
  room->threads = g_hash_table_new (NULL, NULL);
  room->newest = GST_CLOCK_TIME_NONE;
  room->pool = mcu_mix_pool_new (3);
  room->element = gst_element_factory_make ("mcumixminus", NULL);
  g_assert_nonnull (room->element);
  g_object_set (room->element, "output-buffer-duration", FRAME_DURATION, "pool",
      room->pool, "pool-min-outputs", min_outputs, "pool-min-cost", min_cost,
      NULL);
  for (guint p = 0; p < N_PARTIES; p++) {
    g_autofree gchar *sink = g_strdup_printf ("sink_%u", p);
    g_autofree gchar *src = g_strdup_printf ("src_%u", p);
    g_autoptr (GstPad) srcpad = NULL;

    room->in[p] = gst_harness_new_with_element (room->element, sink, NULL);
    gst_harness_set_src_caps_str (room->in[p], MCU_MIX_MINUS_CAPS);
    room->out[p] = gst_harness_new_with_element (room->element, NULL, src);
    srcpad = gst_element_get_static_pad (room->element, src);
    gst_pad_add_probe (
        srcpad, GST_PAD_PROBE_TYPE_BUFFER, on_output, room, NULL);
  }
  return room;
}

static void
room_free (Room *room)
{
  for (guint p = 0; p < N_PARTIES; p++)
    g_clear_pointer (&room->out[p], gst_harness_teardown);
  for (guint p = 0; p < N_PARTIES; p++)
    g_clear_pointer (&room->in[p], gst_harness_teardown);
  gst_object_unref (room->element);
  g_object_unref (room->pool);
  g_hash_table_unref (room->threads);
  g_mutex_clear (&room->lock);
  g_free (room);
}

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

/* @buffer is frame @k of everyone in @parties but @p. */
static void
check_mix_minus (GstBuffer *buffer, guint p, guint k, const gboolean *parties)
{
  GstMapInfo map;

  g_assert_cmpuint (GST_BUFFER_PTS (buffer), ==, k * FRAME_DURATION);
  g_assert_true (gst_buffer_map (buffer, &map, GST_MAP_READ));
  g_assert_cmpuint (map.size, ==, FRAME * 2);
  for (guint i = 0; i < FRAME; i++) {
    gint expected = 0;
    gint got = ((const gint16 *)map.data)[i];

    for (guint q = 0; q < N_PARTIES; q++)
      if (q != p && parties[q])
        expected += voice (q, k, i);
    if (got != expected)
      g_error ("src_%u frame %u sample %u: got %d, expected %d%s", p, k, i, got,
          expected,
          got == expected + voice (p, k, i) ? " (it hears itself)" : "");
  }
  gst_buffer_unmap (buffer, &map);
}

static void
test_pool_many_outputs (void)
{
  Room *room = room_new (4, 0);
  gboolean everyone[N_PARTIES];

  for (guint p = 0; p < N_PARTIES; p++)
    everyone[p] = TRUE;
  for (guint k = 0; k < 10; k++) {
    for (guint p = 0; p < N_PARTIES; p++)
      g_assert_cmpint (
          gst_harness_push (room->in[p], make_frame (p, k)), ==, GST_FLOW_OK);
  }
  /* each output: frames 0..9 in order, each the mix of the 39 others */
  for (guint p = 0; p < N_PARTIES; p++) {
    for (guint k = 0; k < 10; k++) {
      GstBuffer *out = pull (room->out[p]);

      check_mix_minus (out, p, k, everyone);
      gst_buffer_unref (out);
    }
    g_assert_null (gst_harness_try_pull (room->out[p]));
  }
  g_assert_cmpuint (room->overtaken, ==, 0);
  /* the workers pushed some of them */
  g_assert_cmpuint (mcu_mix_pool_get_n_helped (room->pool), >, 0);
  g_assert_cmpuint (g_hash_table_size (room->threads), >=, 2);
  room_free (room);
}

/* Below pool-min-outputs, the mixing thread pushes every output itself. */
static void
test_pool_skipped_when_few (void)
{
  Room *room = room_new (N_PARTIES + 1, 0);
  gboolean everyone[N_PARTIES];

  for (guint p = 0; p < N_PARTIES; p++)
    everyone[p] = TRUE;
  for (guint p = 0; p < N_PARTIES; p++)
    gst_harness_push (room->in[p], make_frame (p, 0));
  for (guint p = 0; p < N_PARTIES; p++) {
    GstBuffer *out = pull (room->out[p]);

    check_mix_minus (out, p, 0, everyone);
    gst_buffer_unref (out);
  }
  g_assert_cmpuint (mcu_mix_pool_get_n_helped (room->pool), ==, 0);
  g_assert_cmpuint (g_hash_table_size (room->threads), ==, 1);
  room_free (room);
}

/* Pushing the outputs costs about 13 ms of CPU a frame (the probe's 200 us
 * each, 5 ms for src_39): below pool-min-cost they stay on the mixing
 * thread, above it the workers help from the next frame on. */
static void
test_pool_by_cost (void)
{
  GstClockTime costs[] = { 10 * GST_SECOND, 2 * GST_MSECOND };

  for (guint c = 0; c < G_N_ELEMENTS (costs); c++) {
    Room *room = room_new (4, costs[c]);
    gboolean everyone[N_PARTIES];

    for (guint p = 0; p < N_PARTIES; p++)
      everyone[p] = TRUE;
    for (guint k = 0; k < 4; k++)
      for (guint p = 0; p < N_PARTIES; p++)
        gst_harness_push (room->in[p], make_frame (p, k));
    for (guint p = 0; p < N_PARTIES; p++)
      for (guint k = 0; k < 4; k++) {
        GstBuffer *out = pull (room->out[p]);

        check_mix_minus (out, p, k, everyone);
        gst_buffer_unref (out);
      }
    if (c == 0)
      g_assert_cmpuint (mcu_mix_pool_get_n_helped (room->pool), ==, 0);
    else
      g_assert_cmpuint (mcu_mix_pool_get_n_helped (room->pool), >, 0);
    room_free (room);
  }
}

typedef struct
{
  Room *room;
  gint stop; /* atomic */
  guint frames;
} Pusher;

static gpointer
push_frames (gpointer data)
{
  Pusher *pusher = data;

  while (!g_atomic_int_get (&pusher->stop)) {
    /* a released sink_N answers NOT_LINKED or FLUSHING: fine */
    for (guint p = 0; p < N_PARTIES; p++)
      gst_harness_push (pusher->room->in[p], make_frame (p, pusher->frames));
    pusher->frames++;
  }
  return NULL;
}

/* Half the parties leave (sink_N and src_N released from this thread)
 * while another thread keeps the frames coming and the workers push. */
static void
test_pool_leave_while_pushing (void)
{
  Room *room = room_new (4, 0);
  Pusher pusher = { room, 0, 0 };
  gboolean left[N_PARTIES] = { FALSE };
  gboolean staying[N_PARTIES];
  GThread *thread;
  guint k;

  thread = g_thread_new ("pusher", push_frames, &pusher);
  for (guint p = 0; p < N_PARTIES; p += 2) {
    g_autofree gchar *sink = g_strdup_printf ("sink_%u", p);
    GstPad *pad;

    g_usleep (2000);
    pad = gst_element_get_static_pad (room->element, sink);
    g_assert_nonnull (pad);
    gst_element_release_request_pad (room->element, pad);
    gst_object_unref (pad);
    left[p] = TRUE;
  }
  g_atomic_int_set (&pusher.stop, 1);
  g_thread_join (thread);
  g_assert_cmpuint (pusher.frames, >, 0);

  /* Those who stay still hear exactly the others who stay. */
  for (guint p = 0; p < N_PARTIES; p++)
    staying[p] = !left[p];
  k = pusher.frames;
  for (guint p = 0; p < N_PARTIES; p++)
    if (staying[p])
      gst_harness_push (room->in[p], make_frame (p, k));
  for (guint p = 0; p < N_PARTIES; p++) {
    GstBuffer *out = NULL, *next;

    if (!staying[p])
      continue;
    /* the latest frame is k: skip the ones from while they left */
    do {
      g_clear_pointer (&out, gst_buffer_unref);
      out = pull (room->out[p]);
    } while (GST_BUFFER_PTS (out) < k * FRAME_DURATION);
    check_mix_minus (out, p, k, staying);
    gst_buffer_unref (out);
    next = gst_harness_try_pull (room->out[p]);
    g_assert_null (next);
  }
  room_free (room);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_true (mcu_plugins_register ());

  g_test_add_func ("/mix-pool/every-item-once", test_pool_every_item_once);
  g_test_add_func ("/mix-pool/small-runs", test_pool_small_runs);
  g_test_add_func ("/mix-pool/many-outputs", test_pool_many_outputs);
  g_test_add_func ("/mix-pool/skipped-when-few", test_pool_skipped_when_few);
  g_test_add_func ("/mix-pool/by-cost", test_pool_by_cost);
  g_test_add_func (
      "/mix-pool/leave-while-pushing", test_pool_leave_while_pushing);
  return g_test_run ();
}
