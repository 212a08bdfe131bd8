/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: pad and bus helpers the mixer's objects share, see
 * mcu-pad-util-private.h. */
#include "mcu-pad-util-private.h"
#include "mcu-mixer-error.h"

#include <gst/video/video.h>

static GstPadProbeReturn
on_pad_query (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_ALLOCATION:
      if (gst_query_is_writable (query))
        gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
      return GST_PAD_PROBE_HANDLED;
    case GST_QUERY_DRAIN:
      return GST_PAD_PROBE_HANDLED;
    default:
      return GST_PAD_PROBE_OK;
  }
}

/**
 * mcu_pad_util_answer_queries:
 * @pad: a raw video sink pad whose element would queue serialized queries
 *   with its data (a queue, an aggregator's sink pad)
 *
 * Answers the allocation and drain queries that reach @pad itself, so they
 * never wait in the element's queue for its streaming thread: a flush (the
 * pad's member or group going) would wake the asker, which frees the query
 * while that thread still writes into it. The answer: no pool proposed
 * (upstream keeps its own), video meta accepted (the element reads strides
 * from it), nothing to drain. Other queries pass on.
 */
void
mcu_pad_util_answer_queries (GstPad *pad)
{
  gst_pad_add_probe (
      pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, on_pad_query, NULL, NULL);
}

/**
 * mcu_pad_util_request_tee_pad:
 * @tee: a tee, possibly streaming
 *
 * A new src pad of @tee, (transfer full), requested between two of the
 * items (frames, events) going through @tee. A tee's new pad takes the
 * sticky events its sink pad has stored, and the sink pad stores an event
 * only after forwarding it to the pads it had: a pad requested while a
 * segment passes would miss it for good, and the frames after it would go
 * out with no segment ("Got data flow before segment event"). The wait is
 * that of one push through @tee (its branches never block for long: leaky
 * queues, sockets, a compositor's pad taking a frame per output frame), as
 * releasing a pad waits for a push into it.
 */
GstPad *
mcu_pad_util_request_tee_pad (GstElement *tee)
{
  GstPad *sink = gst_element_get_static_pad (tee, "sink");
  GstPad *pad;

  GST_PAD_STREAM_LOCK (sink);
  pad = gst_element_request_pad_simple (tee, "src_%u");
  GST_PAD_STREAM_UNLOCK (sink);
  gst_object_unref (sink);
  return pad;
}

GstElement *
mcu_pad_util_make (GstBin *bin, const gchar *factory, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e == NULL) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "GStreamer element %s is missing (install its plugin)", factory);
    return NULL;
  }
  gst_bin_add (bin, e);
  return e;
}

void
mcu_pad_util_log_warning (const gchar *room, const gchar *what, GstMessage *msg)
{
  g_autoptr (GError) err = NULL;

  gst_message_parse_warning (msg, &err, NULL);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MCU_ROOM", room,
      "MESSAGE", "%s warning from %s: %s", what, GST_MESSAGE_SRC_NAME (msg),
      err->message);
}
