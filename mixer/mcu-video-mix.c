/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a room's video pipeline.
 *
 *   session bin "video_out" -> tee(member) -> compositor.sink_K of each view
 *   view (compositor -> labels -> tee: mcu-video-view.c)
 *   view tee -> encoder group bin -> group tee -> session bin "video_in"
 *
 * A view is one composition: the room as everyone sees it (exclude 0), or,
 * without self-view, the room minus one participant. A view exists while an
 * encoder group uses it, a group while it has members. Participants with
 * the same profile and view share one group: N of them cost one encode.
 *
 * The compositor waits for late pictures up to the jitter buffer's latency
 * plus a decode margin past each output frame's time, then goes on with
 * what it has (a silent participant's last picture stays). Tiles keep the
 * picture's aspect (letterboxed in the layout's cell by each input's
 * scaler, on the member's thread).
 *
 * Overload (the machine cannot keep up): nothing queues up. Each stage
 * drops instead: a participant's frames later than the room's latency plus
 * a margin are dropped before decoding, up to a keyframe asked for at once
 * (mcu-video-session.c, mcu-late-gate.c); a compositor behind the clock
 * skips the frames whose time has passed (a QoS event, mcu-video-view.c);
 * an encoder group keeps only the newest two frames (mcu-encoder-group.c).
 * The compositor and encoder threads run above the decoders, below the
 * audio (mcu-video-priority-private.h).
 *
 * Errors (fault isolation, mcu-video-mix-errors.c): an error from a
 * member's elements (its session bin, its tee) is that member's
 * ("participant-error"); one from its input into a view (scaler, caps) is
 * the member's too and ends that input alone; one from a view's
 * elements rebuilds that view, one from an encoder group's rebuilds that
 * group (their members leave and join again, into new elements); "error"
 * (the room's video) only for the pipeline itself, or when the video failed
 * again within REBUILD_WINDOW_US of a rebuild. An error queued by elements
 * that have left is dropped.
 *
 * Threads: every method runs on the main thread; the bus is watched on the
 * main context. Pads and labels are re-laid-out on the main thread (the
 * compositor locks its properties; the labels swap their rendering under
 * their own lock). Removing a
 * participant: its compositor pads are released first (flushing them, so
 * its decoding thread never blocks in the compositor), its group output
 * unlinked, then its bin stopped and removed. */
#include "mcu-video-mix-private.h"
#include "mcu-pad-util-private.h"
#include "mcu-video-priority-private.h"

#include <gst/video/video.h>
#include <string.h>

#define DECODE_MARGIN_MS 30

G_DEFINE_FINAL_TYPE (McuVideoMix, mcu_video_mix, G_TYPE_OBJECT)

enum
{
  SIGNAL_PARTICIPANT_ERROR,
  SIGNAL_ERROR,
  SIGNAL_ENCODER_GROUP_CLOSING,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void detach (McuVideoMix *self, Member *m);

void
mcu_video_mix_emit_participant_error (
    McuVideoMix *self, guint id, const gchar *message)
{
  g_signal_emit (self, signals[SIGNAL_PARTICIPANT_ERROR], 0, id, message);
}

void
mcu_video_mix_emit_error (McuVideoMix *self, const gchar *message)
{
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, message);
}

static void
member_free (gpointer data)
{
  Member *m = data;

  g_free (m->name);
  g_free (m->group_key);
  g_clear_object (&m->session);
  g_free (m);
}

static void
mcu_video_mix_dispose (GObject *object)
{
  McuVideoMix *self = MCU_VIDEO_MIX (object);

  if (self->members) {
    g_autoptr (GList) ids = g_hash_table_get_keys (self->members);

    for (GList *l = ids; l; l = l->next)
      mcu_video_mix_remove_participant (self, GPOINTER_TO_UINT (l->data));
  }
  mcu_video_mix_set_encode (self, NULL);
  mcu_video_mix_tap_view_release (self);
  mcu_video_mix_stop (self);
  g_clear_pointer (&self->members, g_hash_table_unref);
  g_clear_pointer (&self->views, g_hash_table_unref);
  g_clear_pointer (&self->groups, g_hash_table_unref);
  G_OBJECT_CLASS (mcu_video_mix_parent_class)->dispose (object);
}

static void
mcu_video_mix_finalize (GObject *object)
{
  McuVideoMix *self = MCU_VIDEO_MIX (object);

  g_list_free (self->order);
  g_free (self->name);
  mcu_mix_taps_free (self->taps);
  G_OBJECT_CLASS (mcu_video_mix_parent_class)->finalize (object);
}

static void
mcu_video_mix_class_init (McuVideoMixClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_video_mix_dispose;
  object_class->finalize = mcu_video_mix_finalize;
  signals[SIGNAL_PARTICIPANT_ERROR] = g_signal_new ("participant-error",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_ENCODER_GROUP_CLOSING] = g_signal_new ("encoder-group-closing",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, MCU_TYPE_ENCODER_GROUP, G_TYPE_BOOLEAN);
}

static void
mcu_video_mix_init (McuVideoMix *self)
{
  self->members =
      g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, member_free);
  self->views = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->taps = mcu_mix_taps_new ();
}

McuVideoMix *
mcu_video_mix_new (
    const gchar *name, const McuVideoMixOptions *options, GError **error)
{
  g_autoptr (McuVideoMix) self = g_object_new (MCU_TYPE_VIDEO_MIX, NULL);
  g_autoptr (GstBus) bus = NULL;
  g_autofree gchar *pname = g_strdup_printf ("video-%s", name);

  g_return_val_if_fail (options->width >= 16 && options->height >= 16, NULL);
  g_return_val_if_fail (options->framerate >= 1, NULL);
  self->name = g_strdup (name);
  self->options = *options;
  self->pipeline = gst_pipeline_new (pname);
  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_watch = gst_bus_add_watch (bus, mcu_video_mix_on_bus_message, self);
  mcu_video_priority_watch (bus);
  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "the video pipeline would not start");
    return NULL;
  }
  return g_steal_pointer (&self);
}

/* How long the compositor waits for a late picture; also what a session's
 * sinks are told (rtpsession needs it to stamp RTCP sender reports). */
static GstClockTime
latency (McuVideoMix *self)
{
  return (GstClockTime)(self->options.latency_ms + DECODE_MARGIN_MS) *
         GST_MSECOND;
}

/* ---- views (mcu-video-view.c) ---- */

static GstElement *
make (const gchar *factory, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e == NULL)
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "GStreamer element %s is missing (install its plugin)", factory);
  return e;
}

static gboolean
view_tile (guint id, const gchar **name, gboolean *picture, gpointer data)
{
  McuVideoMix *self = data;
  Member *m = g_hash_table_lookup (self->members, GUINT_TO_POINTER (id));

  if (m == NULL)
    return FALSE;
  *name = m->name;
  *picture = m->session != NULL && !m->video_muted;
  return TRUE;
}

void
mcu_video_mix_view_relayout (McuVideoMix *self, McuVideoView *view)
{
  mcu_video_view_relayout (view, self->speaker, self->options.width,
      self->options.height, view_tile, self);
}

void
mcu_video_mix_relayout_all (McuVideoMix *self)
{
  GHashTableIter iter;
  gpointer v;

  g_hash_table_iter_init (&iter, self->views);
  while (g_hash_table_iter_next (&iter, NULL, &v))
    mcu_video_mix_view_relayout (self, v);
}

static void
view_add_input (McuVideoMix *self, McuVideoView *view, Member *m)
{
  /* show something soon: the sender's next keyframe */
  if (m->tee && mcu_video_view_add_input (view, m->id, m->tee) && m->session)
    mcu_video_session_request_keyframe (m->session);
}

static void
view_destroy (McuVideoMix *self, McuVideoView *view)
{
  g_hash_table_remove (self->views, GUINT_TO_POINTER (view->exclude));
  mcu_video_view_free (view, GST_BIN (self->pipeline));
}

static McuVideoView *
view_get (McuVideoMix *self, guint exclude, GError **error)
{
  McuVideoView *view =
      g_hash_table_lookup (self->views, GUINT_TO_POINTER (exclude));
  McuVideoViewOptions options = { .room = self->name,
    .width = self->options.width,
    .height = self->options.height,
    .framerate = self->options.framerate,
    .layout = self->options.layout,
    /* decoding: the jitter buffers' own latency comes from upstream */
    .latency = (GstClockTime)DECODE_MARGIN_MS * GST_MSECOND };

  if (view)
    return view;
  view =
      mcu_video_view_new (GST_BIN (self->pipeline), exclude, &options, error);
  if (view == NULL)
    return NULL;
  g_hash_table_insert (self->views, GUINT_TO_POINTER (exclude), view);
  for (GList *l = self->order; l; l = l->next)
    if (((Member *)l->data)->id != exclude)
      mcu_layout_add (view->layout, ((Member *)l->data)->id);
  /* the members' pictures only now: their tees are running, and a picture
   * pushed into a compositor pad not yet active gets FLUSHING, which the
   * tee passes up to the member's decoder and jitter buffer, whose task
   * then pauses for good: that member's video would be gone from every
   * view, without an error */
  for (GList *l = self->order; l; l = l->next)
    view_add_input (self, view, l->data);
  mcu_video_mix_view_relayout (self, view);
  return view;
}

/* ---- encoder groups ---- */

static void
group_entry_destroy (McuVideoMix *self, const gchar *key, GroupEntry *g)
{
  GstElement *bin = mcu_encoder_group_get_bin (g->group);
  GstPad *sink = gst_element_get_static_pad (bin, "sink");
  McuVideoView *view = g->view;

  g_signal_emit (self, signals[SIGNAL_ENCODER_GROUP_CLOSING], 0, g->group,
      self->rebuilding);
  gst_pad_unlink (g->view_src, sink);
  gst_object_unref (sink);
  gst_element_release_request_pad (view->tee, g->view_src);
  gst_object_unref (g->view_src);
  gst_element_set_locked_state (bin, TRUE);
  mcu_encoder_group_stop (g->group);
  gst_bin_remove (GST_BIN (self->pipeline), bin);
  g_object_unref (g->group);
  g_hash_table_remove (self->groups, key);
  g_free (g);
  if (--view->n_groups == 0)
    view_destroy (self, view);
}

static GroupEntry *
group_get (McuVideoMix *self, const McuVideoProfile *profile, GError **error)
{
  g_autofree gchar *key = mcu_video_profile_to_key (profile);
  g_autofree gchar *name = NULL;
  GroupEntry *g = g_hash_table_lookup (self->groups, key);
  GstElement *bin;
  GstPad *sink;
  McuVideoView *view;

  if (g)
    return g;
  if (!(view = view_get (self, profile->view, error)))
    return NULL;
  name = g_strdup_printf ("encoder-%u", ++self->serial);
  g = g_new0 (GroupEntry, 1);
  if (!(g->group = mcu_encoder_group_new (profile, name, error))) {
    g_free (g);
    if (view->n_groups == 0)
      view_destroy (self, view);
    return NULL;
  }
  g->view = view;
  view->n_groups++;
  bin = mcu_encoder_group_get_bin (g->group);
  gst_bin_add (GST_BIN (self->pipeline), gst_object_ref (bin));
  /* playing before it is linked: a frame pushed into a pad not yet active
   * returns FLUSHING, which the view's tee passes up, and the compositor's
   * task would pause for good (no error is posted for FLUSHING) */
  gst_element_sync_state_with_parent (bin);
  g->view_src = mcu_pad_util_request_tee_pad (view->tee);
  sink = gst_element_get_static_pad (bin, "sink");
  if (gst_pad_link (g->view_src, sink) != GST_PAD_LINK_OK)
    g_warning ("cannot link an encoder group in room %s", self->name);
  gst_object_unref (sink);
  g_hash_table_insert (self->groups, g_strdup (key), g);
  return g;
}

void
mcu_video_mix_leave_group (McuVideoMix *self, Member *m)
{
  GroupEntry *g;
  GstPad *in;

  if (m->group_key == NULL)
    return;
  g = g_hash_table_lookup (self->groups, m->group_key);
  if (g && m->session) {
    in = gst_element_get_static_pad (
        mcu_video_session_get_bin (m->session), "video_in");
    mcu_encoder_group_remove_member (g->group, in);
    gst_object_unref (in);
    if (mcu_encoder_group_get_n_members (g->group) == 0)
      group_entry_destroy (self, m->group_key, g);
  }
  g_clear_pointer (&m->group_key, g_free);
}

gboolean
mcu_video_mix_join_group (McuVideoMix *self, Member *m, GError **error)
{
  McuVideoProfile profile;
  GroupEntry *g;
  GstPad *in;
  gboolean ok;

  mcu_video_profile_from_params (&profile,
      mcu_video_session_get_params (m->session),
      self->options.self_view ? 0 : m->id);
  if (!(g = group_get (self, &profile, error)))
    return FALSE;
  in = gst_element_get_static_pad (
      mcu_video_session_get_bin (m->session), "video_in");
  ok = mcu_encoder_group_add_member (g->group, in, error);
  gst_object_unref (in);
  if (!ok) {
    if (mcu_encoder_group_get_n_members (g->group) == 0) {
      g_autofree gchar *key = mcu_video_profile_to_key (&profile);

      group_entry_destroy (self, key, g);
    }
    return FALSE;
  }
  m->group_key = mcu_video_profile_to_key (&profile);
  return TRUE;
}

/* ---- taps (recordings, streams) ---- */

/* The view everyone sees, kept composed (like an encoder group) while
 * tapped: view tee -> queue (leaky) -> appsink -> taps. */
gboolean
mcu_video_mix_tap_view_hold (McuVideoMix *self, GError **error)
{
  McuVideoView *view;
  GstPad *sink;

  if (self->tap_view)
    return TRUE;
  if (!(view = view_get (self, 0, error)))
    return FALSE;
  view->n_groups++;
  self->tap_view = view;
  self->tap_el[0] = make ("queue", NULL);
  self->tap_el[1] = mcu_mix_taps_make_sink (self->taps, NULL);
  g_object_set (self->tap_el[0], "max-size-buffers", 4, "max-size-bytes", 0,
      "max-size-time", (guint64)0, NULL);
  gst_util_set_object_arg (G_OBJECT (self->tap_el[0]), "leaky", "downstream");
  gst_bin_add_many (
      GST_BIN (self->pipeline), self->tap_el[0], self->tap_el[1], NULL);
  gst_element_link (self->tap_el[0], self->tap_el[1]);
  gst_element_sync_state_with_parent (self->tap_el[1]);
  gst_element_sync_state_with_parent (self->tap_el[0]);
  self->tap_src = mcu_pad_util_request_tee_pad (view->tee);
  sink = gst_element_get_static_pad (self->tap_el[0], "sink");
  if (gst_pad_link (self->tap_src, sink) != GST_PAD_LINK_OK)
    g_warning ("cannot link a tap in room %s", self->name);
  gst_object_unref (sink);
  return TRUE;
}

void
mcu_video_mix_tap_view_release (McuVideoMix *self)
{
  McuVideoView *view = self->tap_view;
  GstPad *sink;

  if (view == NULL)
    return;
  sink = gst_element_get_static_pad (self->tap_el[0], "sink");
  gst_pad_unlink (self->tap_src, sink);
  gst_object_unref (sink);
  gst_element_release_request_pad (view->tee, self->tap_src);
  g_clear_object (&self->tap_src);
  for (guint i = 0; i < 2; i++) {
    gst_element_set_locked_state (self->tap_el[i], TRUE);
    gst_element_set_state (self->tap_el[i], GST_STATE_NULL);
    gst_bin_remove (GST_BIN (self->pipeline), self->tap_el[i]);
    self->tap_el[i] = NULL;
  }
  self->tap_view = NULL;
  if (--view->n_groups == 0)
    view_destroy (self, view);
}

guint
mcu_video_mix_add_tap (McuVideoMix *self, McuMixTapFunc func, gpointer data,
    GDestroyNotify destroy, GError **error)
{
  if (self->pipeline == NULL) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "room %s: its video has stopped", self->name);
    return 0;
  }
  if (!mcu_video_mix_tap_view_hold (self, error))
    return 0;
  return mcu_mix_taps_add (self->taps, func, data, destroy);
}

void
mcu_video_mix_remove_tap (McuVideoMix *self, guint id)
{
  mcu_mix_taps_remove (self->taps, id);
  if (mcu_mix_taps_get_n (self->taps) == 0)
    mcu_video_mix_tap_view_release (self);
}

McuEncoderGroup *
mcu_video_mix_find_view_encoder (
    McuVideoMix *self, guint width, guint height, guint framerate)
{
  McuEncoderGroup *found = NULL;
  GHashTableIter iter;
  gpointer g;

  g_hash_table_iter_init (&iter, self->groups);
  while (g_hash_table_iter_next (&iter, NULL, &g)) {
    McuEncoderGroup *group = ((GroupEntry *)g)->group;
    const McuVideoProfile *p = mcu_encoder_group_get_profile (group);

    if (p->codec != MCU_VIDEO_CODEC_H264 || p->view != 0 || p->width != width ||
        p->height != height || p->framerate != framerate)
      continue;
    if (found == NULL || p->packetization_mode == 1)
      found = group;
  }
  return found;
}

McuVideoEncode *
mcu_video_mix_get_encode (McuVideoMix *self)
{
  return self->encode;
}

void
mcu_video_mix_set_encode (McuVideoMix *self, McuVideoEncode *encode)
{
  if (self->encode)
    g_object_remove_weak_pointer (
        G_OBJECT (self->encode), (gpointer *)&self->encode);
  self->encode = encode;
  if (encode)
    g_object_add_weak_pointer (G_OBJECT (encode), (gpointer *)&self->encode);
}

/* ---- participants ---- */

void
mcu_video_mix_add_participant (
    McuVideoMix *self, guint id, const gchar *display_name)
{
  Member *m;
  GHashTableIter iter;
  gpointer v;

  g_return_if_fail (id != 0);
  if (g_hash_table_contains (self->members, GUINT_TO_POINTER (id)))
    return;
  m = g_new0 (Member, 1);
  m->id = id;
  /* the leg passes the participant's name: its display name, else its
   * URI's user part (mcu_participant_new); nothing at all draws no label */
  m->name = g_strdup (display_name ? display_name : "");
  g_hash_table_insert (self->members, GUINT_TO_POINTER (id), m);
  self->order = g_list_append (self->order, m);
  g_hash_table_iter_init (&iter, self->views);
  while (g_hash_table_iter_next (&iter, NULL, &v))
    if (((McuVideoView *)v)->exclude != id)
      mcu_layout_add (((McuVideoView *)v)->layout, id);
  mcu_video_mix_relayout_all (self);
}

void
mcu_video_mix_remove_participant (McuVideoMix *self, guint id)
{
  Member *m = g_hash_table_lookup (self->members, GUINT_TO_POINTER (id));
  GHashTableIter iter;
  gpointer v;

  if (m == NULL)
    return;
  detach (self, m);
  g_hash_table_iter_init (&iter, self->views);
  while (g_hash_table_iter_next (&iter, NULL, &v))
    mcu_layout_remove (((McuVideoView *)v)->layout, id);
  if (self->speaker == id)
    self->speaker = 0;
  self->order = g_list_remove (self->order, m);
  g_hash_table_remove (self->members, GUINT_TO_POINTER (id));
  mcu_video_mix_relayout_all (self);
}

gboolean
mcu_video_mix_has_participant (McuVideoMix *self, guint id)
{
  return g_hash_table_contains (self->members, GUINT_TO_POINTER (id));
}

/* Takes @m's session out of the pipeline (it keeps its tile, name only). */
static void
detach (McuVideoMix *self, Member *m)
{
  GHashTableIter iter;
  gpointer v;
  GstElement *bin;

  if (m->session == NULL)
    return;
  bin = mcu_video_session_get_bin (m->session);
  g_hash_table_iter_init (&iter, self->views);
  while (g_hash_table_iter_next (&iter, NULL, &v))
    mcu_video_view_remove_input (v, m->id);
  /* may destroy views: iterate no more after */
  mcu_video_mix_leave_group (self, m);
  if (bin && GST_OBJECT_PARENT (bin) == GST_OBJECT (self->pipeline)) {
    gst_element_set_locked_state (bin, TRUE);
    gst_element_set_state (bin, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (self->pipeline), bin);
  }
  if (m->tee) {
    gst_element_set_locked_state (m->tee, TRUE);
    gst_element_set_state (m->tee, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (self->pipeline), m->tee);
    m->tee = NULL;
  }
  g_clear_object (&m->session);
}

static gboolean
attach (McuVideoMix *self, Member *m, McuVideoSession *session, GError **error)
{
  GstElement *bin = mcu_video_session_get_bin (session);
  GHashTableIter iter;
  gpointer v;

  if (bin == NULL || GST_OBJECT_PARENT (bin) != NULL) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "participant %u's video is not ready or already in a room", m->id);
    return FALSE;
  }
  m->session = g_object_ref (session);
  m->tee = gst_element_factory_make ("tee", NULL);
  g_object_set (m->tee, "allow-not-linked", TRUE, NULL);
  gst_bin_add (GST_BIN (self->pipeline), m->tee);
  if (!gst_bin_add (GST_BIN (self->pipeline), gst_object_ref (bin))) {
    gst_object_unref (bin);
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "participant %u's video clashes with another's", m->id);
    goto failed;
  }
  if (!gst_element_link_pads (bin, "video_out", m->tee, "sink")) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot link participant %u's video", m->id);
    goto failed;
  }
  /* playing before anything running is linked to it: the group's tee
   * pushing into the session's inactive video_in gets FLUSHING, passes it
   * up, and the group's queue (then the view's compositor) would stop for
   * good without an error */
  gst_element_sync_state_with_parent (m->tee);
  if (!gst_element_sync_state_with_parent (bin)) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "participant %u's video would not start", m->id);
    goto failed;
  }
  mcu_video_session_set_latency (session, latency (self));
  g_hash_table_iter_init (&iter, self->views);
  while (g_hash_table_iter_next (&iter, NULL, &v))
    view_add_input (self, v, m);
  /* its own group (and view, made now with everyone's inputs in it) */
  if (!mcu_video_mix_join_group (self, m, error))
    goto failed;
  return TRUE;

failed:
  detach (self, m);
  return FALSE;
}

gboolean
mcu_video_mix_set_session (
    McuVideoMix *self, guint id, McuVideoSession *session, GError **error)
{
  Member *m = g_hash_table_lookup (self->members, GUINT_TO_POINTER (id));
  gboolean ok = TRUE;

  g_return_val_if_fail (m != NULL, FALSE);
  if (m->session == session)
    return TRUE;
  detach (self, m);
  if (session)
    ok = attach (self, m, session, error);
  mcu_video_mix_relayout_all (self);
  return ok;
}

McuVideoSession *
mcu_video_mix_get_session (McuVideoMix *self, guint id)
{
  Member *m = g_hash_table_lookup (self->members, GUINT_TO_POINTER (id));

  return m ? m->session : NULL;
}

void
mcu_video_mix_set_video_muted (McuVideoMix *self, guint id, gboolean muted)
{
  Member *m = g_hash_table_lookup (self->members, GUINT_TO_POINTER (id));

  if (m == NULL || m->video_muted == !!muted)
    return;
  m->video_muted = !!muted;
  if (!muted && m->session)
    mcu_video_session_request_keyframe (m->session);
  mcu_video_mix_relayout_all (self);
}

void
mcu_video_mix_set_layout (McuVideoMix *self, McuLayoutKind layout)
{
  GHashTableIter iter;
  gpointer v;

  self->options.layout = layout;
  g_hash_table_iter_init (&iter, self->views);
  while (g_hash_table_iter_next (&iter, NULL, &v))
    mcu_layout_set_kind (((McuVideoView *)v)->layout, layout);
  mcu_video_mix_relayout_all (self);
}

McuLayoutKind
mcu_video_mix_get_layout (McuVideoMix *self)
{
  return self->options.layout;
}

void
mcu_video_mix_set_talking (McuVideoMix *self, guint id, gboolean talking)
{
  GHashTableIter iter;
  gpointer v;

  if (!talking)
    return;
  g_hash_table_iter_init (&iter, self->views);
  while (g_hash_table_iter_next (&iter, NULL, &v))
    mcu_layout_spoke (((McuVideoView *)v)->layout, id);
  mcu_video_mix_relayout_all (self);
}

void
mcu_video_mix_set_active_speaker (McuVideoMix *self, guint id)
{
  if (self->speaker == id)
    return;
  self->speaker = id;
  mcu_video_mix_set_talking (self, id, TRUE);
}

void
mcu_video_mix_request_keyframe (McuVideoMix *self, guint id)
{
  Member *m = g_hash_table_lookup (self->members, GUINT_TO_POINTER (id));
  GroupEntry *g;

  if (m == NULL || m->group_key == NULL)
    return;
  g = g_hash_table_lookup (self->groups, m->group_key);
  if (g)
    mcu_encoder_group_request_keyframe (g->group, FALSE);
}

gboolean
mcu_video_mix_get_stats (McuVideoMix *self, guint id, McuVideoMixStats *stats)
{
  Member *m = g_hash_table_lookup (self->members, GUINT_TO_POINTER (id));
  McuVideoSessionStats ss;
  McuEncoderGroupStats gs;
  GroupEntry *g;

  memset (stats, 0, sizeof *stats);
  if (m == NULL)
    return FALSE;
  if (m->session) {
    mcu_video_session_get_stats (m->session, &ss);
    stats->frames_in = ss.frames_in;
    stats->frames_out = ss.frames_out;
    stats->plis_received = ss.plis_received;
    stats->plis_sent = ss.plis_sent;
  }
  g = m->group_key ? g_hash_table_lookup (self->groups, m->group_key) : NULL;
  if (g) {
    mcu_encoder_group_get_stats (g->group, &gs);
    stats->keyframes_forced = gs.keyframes_forced;
  }
  return TRUE;
}

guint
mcu_video_mix_get_n_encoder_groups (McuVideoMix *self)
{
  return g_hash_table_size (self->groups);
}

guint
mcu_video_mix_get_n_views (McuVideoMix *self)
{
  return g_hash_table_size (self->views);
}

guint
mcu_video_mix_get_n_rebuilds (McuVideoMix *self)
{
  return self->n_rebuilds;
}

GArray *
mcu_video_mix_get_tiles (McuVideoMix *self, guint id)
{
  McuVideoView *view = g_hash_table_lookup (
      self->views, GUINT_TO_POINTER (self->options.self_view ? 0 : id));

  if (view == NULL)
    return g_array_new (FALSE, FALSE, sizeof (McuLayoutTile));
  return mcu_layout_compute (
      view->layout, self->options.width, self->options.height);
}

void
mcu_video_mix_stop (McuVideoMix *self)
{
  g_clear_handle_id (&self->bus_watch, g_source_remove);
  if (self->pipeline) {
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
    g_clear_object (&self->pipeline);
  }
}
