/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: live streams of rooms: the room's mix and view (as recorded) pushed
 * to an rtmp://, rtmps:// or srt:// URL, or written as HLS into a
 * directory under [recording] dir; reconnected with backoff when the far
 * end drops. Main thread only. */
#pragma once

#include <glib-object.h>
#include "mcu-config.h"
#include "mcu-events.h"
#include "mcu-rooms.h"
#include "mcu-room-media-registry.h"

G_BEGIN_DECLS

#define MCU_TYPE_STREAMS (mcu_streams_get_type ())
G_DECLARE_FINAL_TYPE (McuStreams, mcu_streams, MCU, STREAMS, GObject)

typedef struct
{
  gchar *id;
  gchar *room;
  gchar *target; /* the URL, or the HLS directory */
  /* "waiting" (for the room's first caller), "live", "reconnecting",
   * "stopped" */
  const gchar *state;
  guint reconnects;
  gchar *error; /* (nullable) the last failure */
} McuStreamInfo;

void mcu_stream_info_free (McuStreamInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuStreamInfo, mcu_stream_info_free)

McuStreams *mcu_streams_new (const McuConfig *config, McuRoomDirectory *rooms,
    McuRoomMediaRegistry *media, McuEvents *events);
/* Streams @room to @url (rtmp://, rtmps://, srt://), or, @url NULL, as HLS
 * into [recording] dir/hls/@hls_name/. Errors (G_IO_ERROR): INVALID_ARGUMENT
 * (a URL of another kind, a bad name), TOO_MANY_OPEN_FILES beyond
 * [recording] max-streams. (transfer full) the stream's id */
gchar *mcu_streams_start (McuStreams *self, McuRoom *room, const gchar *url,
    const gchar *hls_name, GError **error);
gboolean mcu_streams_stop (McuStreams *self, const gchar *id, GError **error);
/* (transfer full) (element-type McuStreamInfo) @room's streams (all when
 * NULL) */
GPtrArray *mcu_streams_list (McuStreams *self, McuRoom *room);
/* (transfer full) (nullable) */
McuStreamInfo *mcu_streams_get (McuStreams *self, const gchar *id);
void mcu_streams_stop_all (McuStreams *self);

G_END_DECLS
