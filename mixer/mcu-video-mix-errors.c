/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a room's video errors (fault isolation, see "Errors" at the top of
 * mcu-video-mix.c): whose elements an error came from, and what ends with
 * it: a member's video (its session bin, its tee, its input into a view:
 * "participant-error"), a view or an encoder group (built anew), the room's
 * video ("error"). Main thread only (the bus is watched on the main
 * context). */
#include "mcu-video-mix-private.h"
#include "mcu-pad-util-private.h"

static gboolean
is_within (GstObject *src, GstElement *e)
{
  return e != NULL && (src == GST_OBJECT (e) ||
                          gst_object_has_as_ancestor (src, GST_OBJECT (e)));
}

/* The member whose elements posted @src: its session bin or its tee. */
static Member *
member_for_object (McuVideoMix *self, GstObject *src)
{
  GHashTableIter iter;
  gpointer m;

  g_hash_table_iter_init (&iter, self->members);
  while (g_hash_table_iter_next (&iter, NULL, &m)) {
    Member *member = m;

    if ((member->session &&
            is_within (src, mcu_video_session_get_bin (member->session))) ||
        is_within (src, member->tee))
      return member;
  }
  return NULL;
}

/* The view whose input (a member's scaler and caps) posted @src, and
 * that member (@id). */
static McuVideoView *
input_for_object (McuVideoMix *self, GstObject *src, guint *id)
{
  GHashTableIter iter;
  gpointer v;

  g_hash_table_iter_init (&iter, self->views);
  while (g_hash_table_iter_next (&iter, NULL, &v))
    if (mcu_video_view_input_for_object (v, src, id))
      return v;
  return NULL;
}

static McuVideoView *
view_for_object (McuVideoMix *self, GstObject *src)
{
  GHashTableIter iter;
  gpointer v;

  g_hash_table_iter_init (&iter, self->views);
  while (g_hash_table_iter_next (&iter, NULL, &v))
    if (mcu_video_view_owns (v, src))
      return v;
  return NULL;
}

static const gchar *
group_for_object (McuVideoMix *self, GstObject *src)
{
  GHashTableIter iter;
  gpointer key, g;

  g_hash_table_iter_init (&iter, self->groups);
  while (g_hash_table_iter_next (&iter, &key, &g))
    if (is_within (src, mcu_encoder_group_get_bin (((GroupEntry *)g)->group)))
      return key;
  return NULL;
}

/* Builds anew the encoder group @key, or every group of @view and so the
 * view itself: its members leave (the last one out takes the group, the
 * last group the view) and join again, into new elements. */
static void
rebuild (McuVideoMix *self, const gchar *key, McuVideoView *view)
{
  GList *members = NULL;
  /* a tapped view is rebuilt too: its taps follow it */
  gboolean retap = view && view == self->tap_view;

  if (retap)
    mcu_video_mix_tap_view_release (self);

  for (GList *l = self->order; l; l = l->next) {
    Member *m = l->data;
    GroupEntry *g =
        m->group_key ? g_hash_table_lookup (self->groups, m->group_key) : NULL;

    if (g && ((key && g_str_equal (key, m->group_key)) || g->view == view))
      members = g_list_prepend (members, m);
  }
  members = g_list_reverse (members);
  self->rebuilding = TRUE;
  for (GList *l = members; l; l = l->next)
    mcu_video_mix_leave_group (self, l->data);
  self->rebuilding = FALSE;
  for (GList *l = members; l; l = l->next) {
    Member *m = l->data;
    g_autoptr (GError) error = NULL;

    if (!mcu_video_mix_join_group (self, m, &error))
      mcu_video_mix_emit_participant_error (self, m->id, error->message);
  }
  g_list_free (members);
  if (retap) {
    g_autoptr (GError) error = NULL;

    if (!mcu_video_mix_tap_view_hold (self, &error))
      g_warning (
          "room %s: the recorded view is gone: %s", self->name, error->message);
  }
  self->n_rebuilds++;
  mcu_video_mix_relayout_all (self);
}

/* An error from a view's or an encoder group's elements: that one is
 * rebuilt (its members keep their calls); the room fails only if the
 * video failed again within REBUILD_WINDOW_US of the last rebuild. */
static void
on_shared_error (McuVideoMix *self, const gchar *key, McuVideoView *view,
    const gchar *message)
{
  gint64 now = g_get_monotonic_time ();

  if (self->rebuilt_at && now - self->rebuilt_at < REBUILD_WINDOW_US) {
    mcu_video_mix_emit_error (self, message);
    return;
  }
  self->rebuilt_at = now;
  rebuild (self, key, view);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MCU_ROOM", self->name,
      "MESSAGE", "video %s rebuilt after: %s", view ? "view" : "encoder group",
      message);
}

/* An error in member @id's input into @view (its scaler, its caps: they
 * work on that member's pictures, on its decoding thread): that input
 * ends (the view shows the member's name tile; the rest of the grid goes
 * on, nothing is rebuilt) and the error is the member's. */
static void
on_input_error (
    McuVideoMix *self, McuVideoView *view, guint id, const gchar *message)
{
  mcu_video_view_remove_input (view, id);
  mcu_video_mix_view_relayout (self, view);
  mcu_video_mix_emit_participant_error (self, id, message);
}

static void
on_error_message (McuVideoMix *self, GstMessage *msg)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *debug = NULL;
  GstObject *src = GST_MESSAGE_SRC (msg);
  Member *m = member_for_object (self, src);
  guint input_id = 0;
  McuVideoView *input = m ? NULL : input_for_object (self, src, &input_id);
  McuVideoView *view = m || input ? NULL : view_for_object (self, src);
  const gchar *key = m || input || view ? NULL : group_for_object (self, src);
  /* none of these, and not in the pipeline any more: queued by a bin that
   * has left (a participant's, a view's input, a view's, a group's):
   * nobody's now */
  gboolean gone =
      !m && !input && !view && !key &&
      !gst_object_has_as_ancestor (src, GST_OBJECT (self->pipeline));

  gst_message_parse_error (msg, &err, &debug);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MCU_ROOM", self->name,
      "MESSAGE", "video error from %s (%s): %s (%s)",
      GST_MESSAGE_SRC_NAME (msg),
      m       ? "a participant's"
      : input ? "a participant's input into a view"
      : view  ? "a view's"
      : key   ? "an encoder group's"
      : gone  ? "an element that left"
              : "the room's",
      err->message, debug ? debug : "");
  if (m)
    mcu_video_mix_emit_participant_error (self, m->id, err->message);
  else if (input)
    on_input_error (self, input, input_id, err->message);
  else if (view || key)
    on_shared_error (self, key, view, err->message);
  else if (!gone)
    mcu_video_mix_emit_error (self, err->message);
}

gboolean
mcu_video_mix_on_bus_message (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  McuVideoMix *self = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      on_error_message (self, msg);
      break;
    case GST_MESSAGE_WARNING:
      mcu_pad_util_log_warning (self->name, "video", msg);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}
