/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the priority of a room's video threads, see
 * mcu-video-priority-private.h. */
#include "mcu-video-priority-private.h"

#include "mcu-thread-priority.h"

#include <gst/base/gstaggregator.h>

gboolean
mcu_video_priority_is_output (GstElement *owner)
{
  /* a view's compositor (the only aggregator in a video pipeline), an
   * encoder group's input queue */
  return owner != NULL &&
         (GST_IS_AGGREGATOR (owner) || g_strcmp0 (GST_OBJECT_NAME (owner),
                                           MCU_VIDEO_ENCODE_QUEUE_NAME) == 0);
}

static GstBusSyncReply
on_bus_sync (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  McuThreadPriority *priority = user_data;
  GstStreamStatusType type;
  GstElement *owner = NULL;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_STREAM_STATUS)
    return GST_BUS_PASS;
  gst_message_parse_stream_status (msg, &type, &owner);
  /* a leave sets back only a thread raised here, to the nice it had */
  if (type == GST_STREAM_STATUS_TYPE_LEAVE ||
      mcu_video_priority_is_output (owner))
    mcu_thread_priority_handle_stream_status (priority, msg);
  return GST_BUS_PASS;
}

void
mcu_video_priority_watch (GstBus *bus)
{
  /* one per room's video pipeline, alive as long as its bus */
  gst_bus_set_sync_handler (bus, on_bus_sync,
      mcu_thread_priority_new (
          "a room's video output threads", MCU_VIDEO_OUTPUT_NICE),
      g_object_unref);
}
