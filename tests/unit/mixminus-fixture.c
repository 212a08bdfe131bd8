/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Shared GstHarness fixture for the mcumixminus unit tests. */
#include "mixminus-fixture.h"

#include <math.h>
#include <string.h>

/* What participant @p says at sample @i of frame @k: distinct per
 * participant, changing every sample, small enough that no mix reaches the
 * limiter threshold. */
gint16
sample (guint p, guint k, guint i)
{
  return (gint16)((p + 1) * 1000 + ((k * FRAME + i) % 97) * (p + 1) -
                  (p == 1 ? 3000 : 0));
}

GstBuffer *
make_buffer (guint k, gint16 (*gen) (guint, guint, guint), guint p)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, FRAME * 2, NULL);
  GstMapInfo map;

  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  for (guint i = 0; i < FRAME; i++)
    ((gint16 *)map.data)[i] = gen (p, k, i);
  gst_buffer_unmap (buffer, &map);
  GST_BUFFER_PTS (buffer) = k * FRAME_DURATION;
  GST_BUFFER_DURATION (buffer) = FRAME_DURATION;
  return buffer;
}

void
add_party (Fixture *f, guint p, gboolean with_output)
{
  g_autofree gchar *sink = g_strdup_printf ("sink_%u", p);
  g_autofree gchar *src = g_strdup_printf ("src_%u", p);

  f->in[p] = gst_harness_new_with_element (f->element, sink, NULL);
  gst_harness_set_src_caps_str (f->in[p], MCU_MIX_MINUS_CAPS);
  if (with_output)
    f->out[p] = gst_harness_new_with_element (f->element, NULL, src);
}

void
remove_party (Fixture *f, guint p)
{
  g_autofree gchar *src = g_strdup_printf ("src_%u", p);
  GstPad *pad;

  g_clear_pointer (&f->in[p], gst_harness_teardown);
  pad = gst_element_get_static_pad (f->element, src);
  g_assert_null (pad);
  g_clear_pointer (&f->out[p], gst_harness_teardown);
}

Fixture *
fixture_new (guint n_parties, gboolean with_main)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->element = gst_element_factory_make ("mcumixminus", NULL);
  g_assert_nonnull (f->element);
  g_object_set (f->element, "output-buffer-duration", FRAME_DURATION, NULL);
  f->bus = gst_bus_new ();
  gst_element_set_bus (f->element, f->bus);
  if (with_main)
    f->main = gst_harness_new_with_element (f->element, NULL, "src");
  for (guint p = 0; p < n_parties; p++)
    add_party (f, p, TRUE);
  return f;
}

void
fixture_free (Fixture *f)
{
  for (guint p = 0; p < MAX_PARTIES; p++)
    g_clear_pointer (&f->out[p], gst_harness_teardown);
  for (guint p = 0; p < MAX_PARTIES; p++)
    g_clear_pointer (&f->in[p], gst_harness_teardown);
  g_clear_pointer (&f->main, gst_harness_teardown);
  gst_element_set_bus (f->element, NULL);
  gst_object_unref (f->bus);
  gst_object_unref (f->element);
  g_free (f);
}

void
push_frame (Fixture *f, guint k, guint mask)
{
  for (guint p = 0; p < MAX_PARTIES; p++)
    if (mask & (1u << p))
      g_assert_cmpint (gst_harness_push (f->in[p], make_buffer (k, sample, p)),
          ==, GST_FLOW_OK);
}

/* gst_harness_pull() waits 60 s, as long as the test's timeout: wait less
 * so that a missing buffer fails the test instead of timing it out. */
GstBuffer *
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

GstEvent *
pull_event_of_type (GstHarness *h, GstEventType type)
{
  gint64 deadline = g_get_monotonic_time () + PULL_TIMEOUT_S * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline) {
    GstEvent *event = gst_harness_try_pull_event (h);

    if (event == NULL) {
      g_usleep (1000);
      continue;
    }
    if (GST_EVENT_TYPE (event) == type)
      return event;
    gst_event_unref (event);
  }
  g_assert_not_reached ();
  return NULL;
}

/* Checks that @buffer is frame @k of the sum of the participants in @mask,
 * participant @p_scaled (if any) at volume 0.5. */
void
check_mix_scaled (GstBuffer *buffer, guint k, guint mask, gint p_scaled)
{
  GstMapInfo map;

  g_assert_cmpuint (GST_BUFFER_PTS (buffer), ==, k * FRAME_DURATION);
  g_assert_cmpuint (GST_BUFFER_DURATION (buffer), ==, FRAME_DURATION);
  g_assert_true (gst_buffer_map (buffer, &map, GST_MAP_READ));
  g_assert_cmpuint (map.size, ==, FRAME * 2);
  for (guint i = 0; i < FRAME; i++) {
    gint expected = 0;
    gint got = ((const gint16 *)map.data)[i];

    for (guint p = 0; p < MAX_PARTIES; p++) {
      if (!(mask & (1u << p)))
        continue;
      expected += (gint)p == p_scaled ? sample (p, k, i) / 2 : sample (p, k, i);
    }
    if (ABS (got - expected) > (p_scaled >= 0 ? 1 : 0))
      g_error ("frame %u sample %u: got %d, expected %d (mask 0x%x)", k, i, got,
          expected, mask);
  }
  gst_buffer_unmap (buffer, &map);
}

void
check_mix (GstBuffer *buffer, guint k, guint mask)
{
  check_mix_scaled (buffer, k, mask, -1);
}

void
check_silence (GstBuffer *buffer)
{
  GstMapInfo map;

  g_assert_true (gst_buffer_map (buffer, &map, GST_MAP_READ));
  for (gsize i = 0; i < map.size / 2; i++)
    g_assert_cmpint (((const gint16 *)map.data)[i], ==, 0);
  gst_buffer_unmap (buffer, &map);
}

/* Pulls frame @k from `src` and every src_N in @parties and checks that
 * each output is the sum of the other parties in @parties. */
void
check_frame (Fixture *f, guint k, guint parties)
{
  if (f->main != NULL) {
    GstBuffer *mix = pull (f->main);

    check_mix (mix, k, parties);
    gst_buffer_unref (mix);
  }
  for (guint p = 0; p < MAX_PARTIES; p++) {
    GstBuffer *out;

    if (!(parties & (1u << p)) || f->out[p] == NULL)
      continue;
    out = pull (f->out[p]);
    check_mix (out, k, parties & ~(1u << p));
    gst_buffer_unref (out);
  }
}

GstPad *
sink_pad (Fixture *f, guint p)
{
  g_autofree gchar *name = g_strdup_printf ("sink_%u", p);

  return gst_element_get_static_pad (f->element, name);
}
