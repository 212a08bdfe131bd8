/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the priority of a room's video threads, see
 * mcu-video-priority-private.h. */
#include "mcu-video-priority-private.h"

#include <errno.h>
#include <gst/base/gstaggregator.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC (prio_debug);
#define GST_CAT_DEFAULT prio_debug

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
  GstStreamStatusType type;
  GstElement *owner = NULL;
  id_t tid;
  gint nice;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_STREAM_STATUS)
    return GST_BUS_PASS;
  gst_message_parse_stream_status (msg, &type, &owner);
  if (!mcu_video_priority_is_output (owner))
    return GST_BUS_PASS;
  tid = (id_t)syscall (SYS_gettid);
  if (type == GST_STREAM_STATUS_TYPE_ENTER)
    nice = MCU_VIDEO_OUTPUT_NICE;
  else if (type == GST_STREAM_STATUS_TYPE_LEAVE)
    /* back to the process's own: the thread returns to a shared pool */
    nice = getpriority (PRIO_PROCESS, (id_t)getpid ());
  else
    return GST_BUS_PASS;
  if (setpriority (PRIO_PROCESS, tid, nice) != 0)
    GST_DEBUG_OBJECT (owner, "cannot set the thread's priority to %d: %s", nice,
        g_strerror (errno));
  return GST_BUS_PASS;
}

void
mcu_video_priority_watch (GstBus *bus)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (
        prio_debug, "mcuvideoprio", 0, "mcu: video thread priorities");
    g_once_init_leave (&done, 1);
  }
  gst_bus_set_sync_handler (bus, on_bus_sync, NULL, NULL);
}
