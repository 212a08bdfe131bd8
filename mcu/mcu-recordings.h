/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the recordings of rooms ([recording] dir): started and stopped from
 * the control socket, for [room:NAME] record=auto rooms and scheduled
 * meetings with "record": true; listed from the directory, so they
 * survive a restart. Main thread only. */
#pragma once

#include <glib-object.h>
#include "mcu-config.h"
#include "mcu-events.h"
#include "mcu-rooms.h"
#include "mcu-room-media-registry.h"

G_BEGIN_DECLS

#define MCU_TYPE_RECORDINGS (mcu_recordings_get_type ())
G_DECLARE_FINAL_TYPE (McuRecordings, mcu_recordings, MCU, RECORDINGS, GObject)

/* One recording, as listed. */
typedef struct
{
  gchar *id; /* ROOM-YYYYMMDDTHHMMSS.mmmZ (UTC start) */
  gchar *room;
  gchar *path; /* (nullable) the file, once it exists */
  /* "waiting" (for the room's first caller), "recording", "stopping",
   * "stopped", "failed", "interrupted" (the server died while recording:
   * the file plays up to about then) */
  gchar *state;
  gchar *error;       /* (nullable) why it failed */
  gint64 started_at;  /* microseconds since the epoch, 0 = not yet */
  gint64 duration_ms; /* so far, or in all */
  gint64 size;        /* bytes of the file (of all its segments) */
  guint segments;     /* [recording] segment-seconds: files; else 0 */
  gboolean video;
} McuRecordingInfo;

void mcu_recording_info_free (McuRecordingInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuRecordingInfo, mcu_recording_info_free)

/* Records rooms of @rooms, with events on @events. */
McuRecordings *mcu_recordings_new (const McuConfig *config,
    McuRoomDirectory *rooms, McuRoomMediaRegistry *media, McuEvents *events);
typedef struct _McuAnnouncer McuAnnouncer;
/* With [recording] announce=true, @announcer (which outlives @self) plays
 * "recording-started" to the room whenever one of its recordings starts. */
void mcu_recordings_set_announcer (
    McuRecordings *self, McuAnnouncer *announcer);
/* Starts recording @room (at once if it has media, else from its first
 * caller on). Errors (G_IO_ERROR): EXISTS when it is being recorded,
 * TOO_MANY_OPEN_FILES beyond [recording] max-active, FAILED when the file
 * cannot be made. (transfer full) the recording's id */
gchar *mcu_recordings_start (
    McuRecordings *self, McuRoom *room, GError **error);
/* Stops the recording @id (G_IO_ERROR_NOT_FOUND when it is not running). */
gboolean mcu_recordings_stop (
    McuRecordings *self, const gchar *id, GError **error);
/* Records @room_name whenever it opens (a scheduled meeting's room). */
void mcu_recordings_set_auto (
    McuRecordings *self, const gchar *room_name, gboolean record);
/* (transfer full) (element-type McuRecordingInfo) running ones and the
 * files of the directory, newest first */
GPtrArray *mcu_recordings_list (McuRecordings *self);
/* (transfer full) (nullable) */
McuRecordingInfo *mcu_recordings_get (McuRecordings *self, const gchar *id);
/* (transfer full) (nullable) the running recording of @room */
McuRecordingInfo *mcu_recordings_get_for_room (
    McuRecordings *self, McuRoom *room);
/* Finishes every file now (shutdown). */
void mcu_recordings_stop_all (McuRecordings *self);

typedef struct
{
  guint active;
  guint64 started, stopped, failed;
} McuRecordingsCounters;

void mcu_recordings_get_counters (
    McuRecordings *self, McuRecordingsCounters *counters);

G_END_DECLS
