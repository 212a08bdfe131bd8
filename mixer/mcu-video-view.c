/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one view of a room's video, see mcu-video-view-private.h. */
#include "mcu-video-view-private.h"
#include "mcu-late-gate-private.h"
#include "mcu-mixer-error.h"
#include "mcu-pad-util-private.h"

#include <gst/base/gstaggregator.h>

/* A composed frame this much past its due time: the compositor has fallen
 * behind the clock (on_composed) */
#define COMPOSE_LATE_MAX (40 * GST_MSECOND)

/* A member's picture into the view: tee -> scale -> caps -> compositor.
 * The picture is scaled to its tile here, on the member's own (decoding)
 * thread and once per decoded picture, so the compositor only blends:
 * left to the compositor, every input was scaled again for every output
 * frame, changed or not, on the compositor's few shared conversion
 * threads, and under overload that scaling was most of each frame's delay
 * (1280x720 x16: ~70 ms of a 176 ms p50). A hidden input is scaled to
 * HIDDEN_SIZE (not drawn). */
typedef struct
{
  GstPad *tee_src;    /* on the member's tee */
  GstElement *scale;  /* (owned by the pipeline) */
  GstElement *caps;   /* its size: the tile's */
  GstPad *comp_sink;  /* on the view's compositor */
  gint width, height; /* the caps' size, 0 = any */
  gboolean shown;     /* placed in a tile (relayout) */
  gboolean was_shown; /* in the layout before (relayout) */
  gulong reveal;      /* probe of a pending Reveal on comp_sink, 0 = none */
  struct _Reveal *reveal_data; /* (owned, with the probe's reference) */
} ViewInput;

/* A hidden input shown again: its pad's alpha stays 0 until its pictures
 * reach the compositor at the tile's size (the first picture after a CAPS
 * event at that size passes its pad), instead of the compositor stretching the
 * last HIDDEN_SIZE picture over the tile until the member's next decoded one.
 * The probe that waits for it removes itself once the picture is revealed
 * (not a lock per picture for the rest of the call: one call more at most
 * when the main thread revealed it); the main thread removes it if it is
 * cancelled before (a relayout, the input gone).
 */
typedef enum
{
  REVEAL_PENDING,   /* waiting for a picture at the tile's size */
  REVEAL_DONE,      /* alpha set: the probe removes itself */
  REVEAL_CANCELLED, /* laid out again first: the main thread removes it */
} RevealState;

typedef struct _Reveal
{
  GMutex lock;
  RevealState state; /* (lock) */
  gint width, height;
  gdouble alpha;
  gboolean sized; /* (lock) caps at width x height passed */
} Reveal;

static void
reveal_clear (gpointer data)
{
  g_mutex_clear (&((Reveal *)data)->lock);
}

static void
reveal_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, reveal_clear);
}

static gboolean
caps_sized (GstCaps *caps, gint width, gint height)
{
  GstStructure *st = caps ? gst_caps_get_structure (caps, 0) : NULL;
  gint w = 0, h = 0;

  return st && gst_structure_get_int (st, "width", &w) &&
         gst_structure_get_int (st, "height", &h) && w == width && h == height;
}

/* The first picture after caps at the tile's size (caps alone may come
 * without a picture: the compositor would stretch the one it holds). On the
 * member's streaming thread. */
static GstPadProbeReturn
on_reveal_data (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Reveal *r = user_data;
  GstPadProbeReturn ret = GST_PAD_PROBE_OK;

  g_mutex_lock (&r->lock);
  if (r->state == REVEAL_DONE) {
    /* revealed (by the main thread, input_reveal): no more calls */
    ret = GST_PAD_PROBE_REMOVE;
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    /* Cancelled: the main thread removes the probe (it must not find it
     * gone) */
    if (r->sized && r->state == REVEAL_PENDING) {
      g_object_set (pad, "alpha", r->alpha, NULL);
      r->state = REVEAL_DONE;
      ret = GST_PAD_PROBE_REMOVE;
    }
  } else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) ==
             GST_EVENT_CAPS) {
    GstCaps *caps;

    gst_event_parse_caps (GST_PAD_PROBE_INFO_EVENT (info), &caps);
    r->sized = caps_sized (caps, r->width, r->height);
  }
  g_mutex_unlock (&r->lock);
  return ret;
}

/* the pending Reveal cancelled (before the pad's alpha is set again):
 * FALSE if it had not revealed the picture yet */
static gboolean
input_reveal_cancel (ViewInput *vi)
{
  RevealState was;

  if (vi->reveal_data == NULL)
    return TRUE;
  /* a call of the probe running now sets no alpha after this */
  g_mutex_lock (&vi->reveal_data->lock);
  was = vi->reveal_data->state;
  if (was == REVEAL_PENDING)
    vi->reveal_data->state = REVEAL_CANCELLED;
  g_mutex_unlock (&vi->reveal_data->lock);
  /* done: the probe has removed itself, or will at its next call (it
   * holds its own reference) */
  if (was == REVEAL_PENDING)
    gst_pad_remove_probe (vi->comp_sink, vi->reveal);
  vi->reveal = 0;
  g_clear_pointer (&vi->reveal_data, reveal_unref);
  return was == REVEAL_DONE;
}

/* @vi's pad to @alpha once its pictures come at @width x @height */
static void
input_reveal (ViewInput *vi, gint width, gint height, gdouble alpha)
{
  Reveal *r = g_atomic_rc_box_new0 (Reveal);
  GstCaps *caps;

  g_mutex_init (&r->lock);
  r->state = REVEAL_PENDING;
  r->width = width;
  r->height = height;
  r->alpha = alpha;
  vi->reveal_data = r;
  vi->reveal = gst_pad_add_probe (vi->comp_sink,
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_BUFFER,
      on_reveal_data, g_atomic_rc_box_acquire (r), reveal_unref);
  /* already there (shown again before the hidden size took effect): shown
   * now; the probe removes itself at its next call */
  caps = gst_pad_get_current_caps (vi->comp_sink);
  if (caps_sized (caps, width, height)) {
    g_mutex_lock (&r->lock);
    r->sized = TRUE;
    if (r->state == REVEAL_PENDING) {
      g_object_set (vi->comp_sink, "alpha", alpha, NULL);
      r->state = REVEAL_DONE;
    }
    g_mutex_unlock (&r->lock);
  }
  if (caps)
    gst_caps_unref (caps);
}

#define HIDDEN_SIZE 16

static GstElement *
make (const gchar *factory, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e == NULL)
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "GStreamer element %s is missing (install its plugin)", factory);
  return e;
}

static GstPad *
compositor_request_pad (McuVideoView *view)
{
  GstPad *pad = gst_element_request_pad_simple (view->compositor, "sink_%u");

  /* Serialized queries never enter a compositor pad. GstAggregator queues
   * them with the pad's pictures and its output thread answers them while
   * the asking thread waits; a pad flushed or released meanwhile (a member
   * leaves a view, the view goes) wakes the asker, which returns and frees
   * the query while the output thread is still writing into it
   * (gst_query_add_allocation_pool / gst_query_is_writable criticals, or
   * memory reused under it). The member's decoder asks after every link into
   * a view (the tee reconfigures it), so view churn hits that window. The
   * query is answered here, on the compositor's sink pad itself (a tee
   * queries its src pads' peers directly, so a probe on the tee's pad never
   * sees it): no pool proposed (the decoder uses its own), video meta
   * accepted (the compositor reads strides from it), nothing to drain (the
   * compositor holds one picture per pad). */
  mcu_pad_util_answer_queries (pad);
  g_object_set (pad, "alpha", 0.0, NULL);
  return pad;
}

/* Each composed frame, on the compositor's thread. Later than
 * COMPOSE_LATE_MAX past its due time (its time plus the latency the
 * compositor waits for pictures), the compositor is behind the clock (the
 * machine cannot keep up): a QoS event back into it has it skip, without
 * composing them, the frames whose time has passed, instead of working
 * through a backlog that would add its length to everyone's delay. */
static GstPadProbeReturn
on_composed (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstAggregator *compositor = user_data;

  mcu_late_gate_qos (pad, GST_PAD_PROBE_INFO_BUFFER (info),
      gst_aggregator_get_latency (compositor), COMPOSE_LATE_MAX);
  return GST_PAD_PROBE_OK;
}

/* The size @vi's pictures are scaled to (its caps renegotiate at the next
 * picture; until then the compositor scales the last one). */
static void
input_set_size (ViewInput *vi, gint width, gint height)
{
  GstCaps *caps;

  if (vi->width == width && vi->height == height)
    return;
  vi->width = width;
  vi->height = height;
  caps = gst_caps_new_simple ("video/x-raw", "width", G_TYPE_INT, width,
      "height", G_TYPE_INT, height, "pixel-aspect-ratio", GST_TYPE_FRACTION, 1,
      1, NULL);
  g_object_set (vi->caps, "caps", caps, NULL);
  gst_caps_unref (caps);
}

gboolean
mcu_video_view_add_input (McuVideoView *view, guint id, GstElement *tee)
{
  ViewInput *vi;

  if (id == view->exclude ||
      g_hash_table_contains (view->inputs, GUINT_TO_POINTER (id)))
    return FALSE;
  vi = g_new0 (ViewInput, 1);
  vi->comp_sink = compositor_request_pad (view);
  gst_util_set_object_arg (
      G_OBJECT (vi->comp_sink), "sizing-policy", "keep-aspect-ratio");
  vi->scale = gst_element_factory_make ("videoscale", NULL);
  vi->caps = gst_element_factory_make ("capsfilter", NULL);
  if (vi->scale == NULL || vi->caps == NULL) {
    g_warning (
        "cannot scale participant %u into a view (videoscale missing)", id);
    g_clear_object (&vi->scale);
    g_clear_object (&vi->caps);
    gst_element_release_request_pad (view->compositor, vi->comp_sink);
    gst_object_unref (vi->comp_sink);
    g_free (vi);
    return FALSE;
  }
  /* letterboxed in the tile as the compositor's keep-aspect-ratio would */
  g_object_set (vi->scale, "add-borders", TRUE, NULL);
  /* a new size while the scaler negotiates the one before: both pass */
  gst_util_set_object_arg (G_OBJECT (vi->caps), "caps-change-mode", "delayed");
  gst_bin_add_many (GST_BIN (GST_ELEMENT_PARENT (view->compositor)), vi->scale,
      vi->caps, NULL);
  /* playing before anything pushes into them (FLUSHING, see below) */
  gst_element_sync_state_with_parent (vi->caps);
  gst_element_sync_state_with_parent (vi->scale);
  if (!gst_element_link (vi->scale, vi->caps) ||
      !gst_element_link_pads (
          vi->caps, "src", view->compositor, GST_PAD_NAME (vi->comp_sink)))
    g_warning ("cannot link participant %u's scaler into a view", id);
  vi->tee_src = mcu_pad_util_request_tee_pad (tee);
  {
    GstPad *sink = gst_element_get_static_pad (vi->scale, "sink");

    if (gst_pad_link (vi->tee_src, sink) != GST_PAD_LINK_OK)
      g_warning ("cannot link participant %u into a view", id);
    gst_object_unref (sink);
  }
  g_hash_table_insert (view->inputs, GUINT_TO_POINTER (id), vi);
  return TRUE;
}

void
mcu_video_view_remove_input (McuVideoView *view, guint id)
{
  ViewInput *vi = g_hash_table_lookup (view->inputs, GUINT_TO_POINTER (id));
  GstElement *tee;

  if (vi == NULL)
    return;
  /* the tee's pad first: a push in flight into it that ends FLUSHING
   * (the compositor pad flushed next) is then dropped by the tee, which
   * sees its pads changed, instead of being passed up to the member's
   * decoder and jitter buffer, whose task would pause for good (the
   * member's picture gone from every other view). */
  {
    GstPad *sink = gst_element_get_static_pad (vi->scale, "sink");

    gst_pad_unlink (vi->tee_src, sink);
    gst_object_unref (sink);
  }
  tee = gst_pad_get_parent_element (vi->tee_src);
  if (tee) {
    gst_element_release_request_pad (tee, vi->tee_src);
    gst_object_unref (tee);
  }
  /* Then the compositor pad flushed, before the scaler stops: a push
   * waiting in it for the compositor (behind under overload) returns at
   * once, instead of the main thread waiting a compositor iteration per
   * view in the scaler's state change. Flushed, not yet released: the
   * pad still answers caps, so a push in flight through the scaler does
   * not renegotiate against a released pad ("not negotiated"). Released
   * after the scaler stopped (nothing can push into it any more). */
  gst_pad_send_event (vi->comp_sink, gst_event_new_flush_start ());
  for (guint i = 0; i < 2; i++) {
    GstElement *e = i ? vi->caps : vi->scale;
    GstObject *parent = GST_OBJECT_PARENT (e);

    gst_element_set_locked_state (e, TRUE);
    gst_element_set_state (e, GST_STATE_NULL);
    if (parent)
      gst_bin_remove (GST_BIN (parent), e);
  }
  input_reveal_cancel (vi);
  gst_element_release_request_pad (view->compositor, vi->comp_sink);
  gst_object_unref (vi->comp_sink);
  gst_object_unref (vi->tee_src);
  g_hash_table_remove (view->inputs, GUINT_TO_POINTER (id));
  g_free (vi);
}

void
mcu_video_view_relayout (McuVideoView *view, guint speaker, guint width,
    guint height, McuVideoViewTileFunc tile, gpointer data)
{
  g_autoptr (GArray) tiles = NULL;
  GHashTableIter iter;
  gpointer id, in;

  mcu_layout_set_speaker (view->layout, speaker);
  tiles = mcu_layout_compute (view->layout, width, height);
  /* everyone's picture hidden first, then the visible ones placed */
  g_hash_table_iter_init (&iter, view->inputs);
  while (g_hash_table_iter_next (&iter, &id, &in)) {
    /* shown: its picture on screen (not still waiting to be) */
    ((ViewInput *)in)->was_shown =
        input_reveal_cancel (in) && ((ViewInput *)in)->shown;
    g_object_set (((ViewInput *)in)->comp_sink, "alpha", 0.0, NULL);
    ((ViewInput *)in)->shown = FALSE;
  }
  mcu_video_labels_begin (view->labels);
  for (guint i = 0; i < tiles->len; i++) {
    McuLayoutTile *t = &g_array_index (tiles, McuLayoutTile, i);
    ViewInput *vi =
        g_hash_table_lookup (view->inputs, GUINT_TO_POINTER (t->id));
    const gchar *name = NULL;
    gboolean picture = FALSE;

    if (!tile (t->id, &name, &picture, data))
      continue;
    if (picture && vi) {
      g_object_set (vi->comp_sink, "xpos", t->cell.x, "ypos", t->cell.y,
          "width", t->cell.width, "height", t->cell.height, NULL);
      if (vi->was_shown)
        g_object_set (vi->comp_sink, "alpha", 1.0, NULL);
      else
        input_reveal (vi, t->cell.width, t->cell.height, 1.0);
      input_set_size (vi, t->cell.width, t->cell.height);
      vi->shown = TRUE;
      /* the name along the bottom of the tile */
      mcu_video_labels_add (
          view->labels, name, &t->cell, MCU_VIDEO_LABEL_UNDER_PICTURE);
    } else {
      /* audio only or muted: the name in the middle of a plain tile */
      mcu_video_labels_add (
          view->labels, name, &t->cell, MCU_VIDEO_LABEL_NAME_TILE);
    }
  }
  mcu_video_labels_commit (view->labels);
  g_hash_table_iter_init (&iter, view->inputs);
  while (g_hash_table_iter_next (&iter, &id, &in))
    if (!((ViewInput *)in)->shown)
      input_set_size (in, HIDDEN_SIZE, HIDDEN_SIZE);
}

static gboolean
build (McuVideoView *view, GstBin *pipeline, const McuVideoViewOptions *o,
    GError **error)
{
  GstElement *driver, *dcaps, *caps;
  g_autoptr (GstCaps) driver_caps = NULL, out_caps = NULL;
  g_autoptr (GstPad) labelled = NULL;
  GstPad *dpad, *cpad;

  driver = make ("videotestsrc", error);
  dcaps = make ("capsfilter", NULL);
  view->compositor = make ("compositor", error);
  caps = make ("capsfilter", NULL);
  view->tail = make ("capsfilter", NULL);
  view->tee = make ("tee", NULL);
  /* added at once so that free finds them all */
  view->elements[0] = driver;
  view->elements[1] = dcaps;
  view->elements[2] = view->compositor;
  view->elements[3] = caps;
  for (guint i = 0; i < 4; i++)
    if (view->elements[i])
      gst_bin_add (pipeline, view->elements[i]);
  gst_bin_add (pipeline, view->tail);
  gst_bin_add (pipeline, view->tee);
  if (!driver || !view->compositor)
    return FALSE;
  view->labels = mcu_video_labels_new (o->width, o->height);
  driver_caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
      "I420", "width", G_TYPE_INT, 16, "height", G_TYPE_INT, 16, "framerate",
      GST_TYPE_FRACTION, o->framerate, 1, NULL);
  out_caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
      "I420", "width", G_TYPE_INT, o->width, "height", G_TYPE_INT, o->height,
      "framerate", GST_TYPE_FRACTION, o->framerate, 1, "pixel-aspect-ratio",
      GST_TYPE_FRACTION, 1, 1, NULL);
  g_object_set (driver, "is-live", TRUE, NULL);
  gst_util_set_object_arg (G_OBJECT (driver), "pattern", "black");
  g_object_set (dcaps, "caps", driver_caps, NULL);
  g_object_set (caps, "caps", out_caps, NULL);
  /* plain system memory after the labels too: left open, a chain that
   * negotiates while the view's tee has no encoder group yet (ANY) would
   * renegotiate when a group links ("not negotiated", now and then an error
   * of the whole room) */
  g_object_set (view->tail, "caps", out_caps, NULL);
  g_object_set (view->tee, "allow-not-linked", TRUE, NULL);
  gst_util_set_object_arg (G_OBJECT (view->compositor), "background", "black");
  /* wait for pictures as long as the jitter buffer holds them (the
   * upstream latency, which the aggregator adds by itself) plus
   * o->latency (decoding); later ones show in the next frame. (Not the
   * margin alone: a picture the jitter buffer held back then lands a frame
   * or two late in the composition, and a recording's video lags its sound
   * by that: test_recording's claps, -51 ms.) */
  g_object_set (view->compositor, "latency", o->latency, NULL);
  if (!gst_element_link (driver, dcaps))
    goto link_failed;
  dpad = gst_element_get_static_pad (dcaps, "src");
  cpad = compositor_request_pad (view); /* a clock, never seen */
  if (gst_pad_link (dpad, cpad) != GST_PAD_LINK_OK) {
    gst_object_unref (dpad);
    gst_object_unref (cpad);
    goto link_failed;
  }
  gst_object_unref (dpad);
  gst_object_unref (cpad);
  if (!gst_element_link (view->compositor, caps))
    goto link_failed;
  if (!gst_element_link_many (caps, view->tail, view->tee, NULL))
    goto link_failed;
  labelled = gst_element_get_static_pad (caps, "src");
  mcu_video_labels_attach (view->labels, labelled);
  cpad = gst_element_get_static_pad (view->compositor, "src");
  gst_pad_add_probe (
      cpad, GST_PAD_PROBE_TYPE_BUFFER, on_composed, view->compositor, NULL);
  gst_object_unref (cpad);
  return TRUE;

link_failed:
  g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
      "cannot link the video composition of room %s", o->room);
  return FALSE;
}

void
mcu_video_view_free (McuVideoView *view, GstBin *pipeline)
{
  g_autoptr (GList) ids = g_hash_table_get_keys (view->inputs);
  GstElement *all[4 + 2];
  guint n = 0;

  for (GList *l = ids; l; l = l->next)
    mcu_video_view_remove_input (view, GPOINTER_TO_UINT (l->data));
  /* sources first (the driver, then the compositor's output thread), so
   * nothing pushes into what is stopping after it: a compositor still
   * running into a stopped capsfilter has it renegotiate against a
   * flushing pad ("not negotiated") */
  for (guint i = 0; i < 4; i++)
    if (view->elements[i])
      all[n++] = view->elements[i];
  if (view->tail)
    all[n++] = view->tail;
  if (view->tee)
    all[n++] = view->tee;
  for (guint i = 0; i < n; i++) {
    gst_element_set_locked_state (all[i], TRUE);
    gst_element_set_state (all[i], GST_STATE_NULL);
    gst_bin_remove (pipeline, all[i]);
  }
  /* after its elements stopped: the probe that blends them is gone */
  mcu_video_labels_free (view->labels);
  g_hash_table_unref (view->inputs);
  g_object_unref (view->layout);
  g_free (view);
}

McuVideoView *
mcu_video_view_new (GstBin *pipeline, guint exclude,
    const McuVideoViewOptions *options, GError **error)
{
  McuVideoView *view = g_new0 (McuVideoView, 1);

  view->exclude = exclude;
  view->layout = mcu_layout_new (options->layout);
  view->inputs = g_hash_table_new (g_direct_hash, g_direct_equal);
  if (!build (view, pipeline, options, error)) {
    mcu_video_view_free (view, pipeline);
    return NULL;
  }
  /* downstream first: nothing pushes into an element not yet playing */
  gst_element_sync_state_with_parent (view->tee);
  gst_element_sync_state_with_parent (view->tail);
  for (gint i = 3; i >= 0; i--)
    gst_element_sync_state_with_parent (view->elements[i]);
  return view;
}

gboolean
mcu_video_view_owns (McuVideoView *view, GstObject *src)
{
  GstElement *all[] = { view->elements[0], view->elements[1], view->elements[2],
    view->elements[3], view->tail, view->tee };

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    if (all[i] != NULL &&
        (src == GST_OBJECT (all[i]) ||
            gst_object_has_as_ancestor (src, GST_OBJECT (all[i]))))
      return TRUE;
  return FALSE;
}

gboolean
mcu_video_view_input_for_object (McuVideoView *view, GstObject *src, guint *id)
{
  GHashTableIter iter;
  gpointer key, in;

  g_hash_table_iter_init (&iter, view->inputs);
  while (g_hash_table_iter_next (&iter, &key, &in)) {
    ViewInput *vi = in;

    if (src == GST_OBJECT (vi->scale) || src == GST_OBJECT (vi->caps) ||
        gst_object_has_as_ancestor (src, GST_OBJECT (vi->scale)) ||
        gst_object_has_as_ancestor (src, GST_OBJECT (vi->caps))) {
      *id = GPOINTER_TO_UINT (key);
      return TRUE;
    }
  }
  return FALSE;
}
