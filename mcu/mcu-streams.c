/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: live streams of rooms.
 *
 * A stream is a McuRecorder (mixer/mcu-recorder.c) with a live output. A
 * far end that drops or refuses (the recorder fails) is tried again after
 * 1, 2, 4 ... 30 s, until the stream is stopped or the room closes; each
 * try is a new recorder (a new connection starts its time at 0). Like a
 * recording, a stream of a room without media yet waits for the first
 * caller. */
#include "mcu-streams.h"
#include "mcu-call-video.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#define BACKOFF_MAX_S 30

typedef enum
{
  STREAM_WAITING,
  STREAM_LIVE,
  STREAM_RECONNECTING,
} StreamState;

static const gchar *const state_names[] = { "waiting", "live", "reconnecting" };

typedef struct
{
  McuStreams *owner;
  gchar *id;
  gchar *room_name;
  McuRoom *room; /* (weak) */
  McuRecorderOutput output;
  gchar *target;
  StreamState state;
  McuRecorder *recorder; /* (nullable) */
  gulong added_handler;
  guint timer; /* start idle or reconnect timeout */
  guint reconnects;
  guint backoff_s;
  gchar *error;
} Stream;

struct _McuStreams
{
  GObject parent_instance;

  const McuConfig *config;
  McuRoomDirectory *rooms;
  McuRoomMediaRegistry *media; /* (weak) outlives us */
  McuEvents *events;
  gchar *hls_dir;
  GHashTable *streams; /* id -> Stream* */
  guint serial;
  gulong closed_handler;
};

G_DEFINE_FINAL_TYPE (McuStreams, mcu_streams, G_TYPE_OBJECT)

void
mcu_stream_info_free (McuStreamInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->id);
  g_free (info->room);
  g_free (info->target);
  g_free (info->error);
  g_free (info);
}

static gboolean
on_release_idle (gpointer data)
{
  return G_SOURCE_REMOVE; /* the destroy notify unrefs */
}

static void
drop_recorder (Stream *s)
{
  if (s->recorder == NULL)
    return;
  g_signal_handlers_disconnect_by_data (s->recorder, s);
  /* not from inside its own signal: an idle takes the last ref */
  g_idle_add_full (G_PRIORITY_DEFAULT, on_release_idle,
      g_steal_pointer (&s->recorder), g_object_unref);
}

static void
stream_free (gpointer data)
{
  Stream *s = data;

  if (s->room) {
    g_clear_signal_handler (&s->added_handler, s->room);
    g_object_remove_weak_pointer (G_OBJECT (s->room), (gpointer *)&s->room);
  }
  g_clear_handle_id (&s->timer, g_source_remove);
  if (s->recorder) {
    g_signal_handlers_disconnect_by_data (s->recorder, s);
    mcu_recorder_stop_now (s->recorder);
    g_clear_object (&s->recorder);
  }
  g_free (s->id);
  g_free (s->room_name);
  g_free (s->target);
  g_free (s->error);
  g_free (s);
}

static void
mcu_streams_dispose (GObject *object)
{
  McuStreams *self = MCU_STREAMS (object);

  mcu_streams_stop_all (self);
  if (self->rooms) {
    g_clear_signal_handler (&self->closed_handler, self->rooms);
    g_clear_object (&self->rooms);
  }
  g_clear_object (&self->events);
  G_OBJECT_CLASS (mcu_streams_parent_class)->dispose (object);
}

static void
mcu_streams_finalize (GObject *object)
{
  McuStreams *self = MCU_STREAMS (object);

  g_hash_table_unref (self->streams);
  g_free (self->hls_dir);
  G_OBJECT_CLASS (mcu_streams_parent_class)->finalize (object);
}

static void
mcu_streams_class_init (McuStreamsClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = mcu_streams_dispose;
  G_OBJECT_CLASS (klass)->finalize = mcu_streams_finalize;
}

static void
mcu_streams_init (McuStreams *self)
{
  self->streams =
      g_hash_table_new_full (g_str_hash, g_str_equal, NULL, stream_free);
}

static void
emit (McuStreams *self, const gchar *type, Stream *s, const gchar *extra)
{
  McuRoom *room = s->room;
  g_autofree gchar *target = g_strescape (s->target, NULL);
  g_autofree gchar *named = NULL, *fields = NULL;

  if (room == NULL)
    room = mcu_room_directory_lookup (self->rooms, s->room_name);
  if (room == NULL) /* closed and gone: still named */
    named = g_strdup_printf ("\"room\":\"%s\",", s->room_name);
  fields = g_strdup_printf ("%s\"stream\":\"%s\",\"target\":\"%s\"%s%s",
      named ? named : "", s->id, target, extra ? "," : "", extra ? extra : "");
  mcu_events_emit (self->events, type, room, NULL, fields);
}

static gboolean connect_stream (Stream *s);

static gboolean
on_reconnect (gpointer data)
{
  Stream *s = data;

  s->timer = 0;
  connect_stream (s);
  return G_SOURCE_REMOVE;
}

static void
on_recorder_failed (McuRecorder *recorder, const gchar *message, Stream *s)
{
  g_autofree gchar *escaped = g_strescape (message, NULL);
  g_autofree gchar *extra = NULL;

  /* a far end that took the stream a good while is not backed off long */
  if (recorder && mcu_recorder_get_duration (recorder) >= 30 * GST_SECOND)
    s->backoff_s = 0;
  drop_recorder (s);
  g_free (s->error);
  s->error = g_strdup (message);
  s->state = STREAM_RECONNECTING;
  s->backoff_s = s->backoff_s ? MIN (s->backoff_s * 2, BACKOFF_MAX_S) : 1;
  s->reconnects++;
  g_message ("stream %s of room %s failed (%s): again in %u s", s->id,
      s->room_name, message, s->backoff_s);
  extra = g_strdup_printf (
      "\"error\":\"%s\",\"retry_in\":%u", escaped, s->backoff_s);
  emit (s->owner, "stream-reconnecting", s, extra);
  s->timer = g_timeout_add_seconds (s->backoff_s, on_reconnect, s);
}

static void
on_recorder_stopped (McuRecorder *recorder, Stream *s)
{
  McuStreams *self = s->owner;

  drop_recorder (s);
  emit (self, "stream-stopped", s, NULL);
  g_hash_table_remove (self->streams, s->id);
}

/* A new recorder to the target; FALSE when it could not even be built
 * (then tried again like a drop). */
static gboolean
connect_stream (Stream *s)
{
  McuStreams *self = s->owner;
  McuAudioMix *audio =
      mcu_room_media_registry_get_audio_mix (self->media, s->room);
  McuVideoMix *video =
      mcu_room_media_registry_get_video_mix (self->media, s->room);
  McuRecorderOptions options = {
    .output = s->output,
    .path = s->target,
    .width = self->config->recording_width,
    .height = self->config->recording_height,
    .framerate = self->config->video_framerate,
    .bitrate = self->config->recording_bitrate,
  };
  g_autoptr (GError) error = NULL;

  if (audio == NULL)
    return FALSE;
  if (s->output == MCU_RECORDER_HLS &&
      g_mkdir_with_parents (s->target, 0750) != 0) {
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot make %s: %s",
        s->target, g_strerror (errno));
  } else {
    s->recorder = mcu_recorder_new (&options, audio, video, &error);
  }
  if (s->recorder == NULL) {
    on_recorder_failed (NULL, error->message, s);
    return FALSE;
  }
  g_signal_connect (s->recorder, "failed", G_CALLBACK (on_recorder_failed), s);
  g_signal_connect (
      s->recorder, "stopped", G_CALLBACK (on_recorder_stopped), s);
  s->state = STREAM_LIVE;
  emit (self, "stream-started", s, NULL);
  return TRUE;
}

/* The room got media (its first caller's admission is done). */
static gboolean
on_first_caller (gpointer data)
{
  Stream *s = data;

  s->timer = 0;
  if (s->room && mcu_room_media_registry_lookup (s->owner->media, s->room)) {
    g_clear_signal_handler (&s->added_handler, s->room);
    connect_stream (s);
  }
  return G_SOURCE_REMOVE;
}

static void
on_room_participant_added (McuRoom *room, McuParticipant *p, Stream *s)
{
  if (s->timer == 0)
    s->timer = g_idle_add (on_first_caller, s);
}

static gboolean
parse_target (McuStreams *self, const gchar *url, const gchar *hls_name,
    McuRecorderOutput *output, gchar **target, GError **error)
{
  if (url == NULL) {
    if (hls_name == NULL || !mcu_room_directory_is_valid_name (hls_name)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "hls: a name of 1-64 of A-Z a-z 0-9 - _ . (a directory under "
          "[recording] dir/hls)");
      return FALSE;
    }
    *output = MCU_RECORDER_HLS;
    *target = g_build_filename (self->hls_dir, hls_name, NULL);
    return TRUE;
  }
  if (g_str_has_prefix (url, "rtmp://") || g_str_has_prefix (url, "rtmps://"))
    *output = MCU_RECORDER_RTMP;
  else if (g_str_has_prefix (url, "srt://"))
    *output = MCU_RECORDER_SRT;
  else {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "url: rtmp://, rtmps:// or srt:// (or \"hls\": NAME)");
    return FALSE;
  }
  if (!g_uri_is_valid (url, G_URI_FLAGS_NONE, error))
    return FALSE;
  *target = g_strdup (url);
  return TRUE;
}

gchar *
mcu_streams_start (McuStreams *self, McuRoom *room, const gchar *url,
    const gchar *hls_name, GError **error)
{
  McuRecorderOutput output;
  gchar *target = NULL;
  Stream *s;

  if (g_hash_table_size (self->streams) >=
      self->config->recording_max_streams) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES,
        "%u streams are running ([recording] max-streams)",
        g_hash_table_size (self->streams));
    return NULL;
  }
  if (!parse_target (self, url, hls_name, &output, &target, error))
    return NULL;
  s = g_new0 (Stream, 1);
  s->owner = self;
  s->id = g_strdup_printf ("s%u", ++self->serial);
  s->room_name = g_strdup (mcu_room_get_name (room));
  s->room = room;
  g_object_add_weak_pointer (G_OBJECT (room), (gpointer *)&s->room);
  s->output = output;
  s->target = target;
  g_hash_table_insert (self->streams, s->id, s);
  if (mcu_room_media_registry_lookup (self->media, room) == NULL) {
    s->state = STREAM_WAITING;
    s->added_handler = g_signal_connect (
        room, "participant-added", G_CALLBACK (on_room_participant_added), s);
  } else {
    connect_stream (s);
  }
  return g_strdup (s->id);
}

static void
stream_stop (McuStreams *self, Stream *s)
{
  if (s->recorder) {
    mcu_recorder_stop (s->recorder); /* "stopped" removes it */
    return;
  }
  emit (self, "stream-stopped", s, NULL);
  g_hash_table_remove (self->streams, s->id);
}

gboolean
mcu_streams_stop (McuStreams *self, const gchar *id, GError **error)
{
  Stream *s = g_hash_table_lookup (self->streams, id);

  if (s == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no stream %s", id);
    return FALSE;
  }
  stream_stop (self, s);
  return TRUE;
}

void
mcu_streams_stop_all (McuStreams *self)
{
  g_hash_table_remove_all (self->streams);
}

static McuStreamInfo *
info_of (Stream *s)
{
  McuStreamInfo *info = g_new0 (McuStreamInfo, 1);

  info->id = g_strdup (s->id);
  info->room = g_strdup (s->room_name);
  info->target = g_strdup (s->target);
  info->state = s->recorder && mcu_recorder_get_state (s->recorder) !=
                                   MCU_RECORDER_RECORDING
                    ? "stopping"
                    : state_names[s->state];
  info->reconnects = s->reconnects;
  info->error = g_strdup (s->error);
  return info;
}

GPtrArray *
mcu_streams_list (McuStreams *self, McuRoom *room)
{
  GPtrArray *list =
      g_ptr_array_new_with_free_func ((GDestroyNotify)mcu_stream_info_free);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (room == NULL || ((Stream *)value)->room == room)
      g_ptr_array_add (list, info_of (value));
  return list;
}

McuStreamInfo *
mcu_streams_get (McuStreams *self, const gchar *id)
{
  Stream *s = g_hash_table_lookup (self->streams, id);

  return s ? info_of (s) : NULL;
}

static void
on_room_closed (McuRoomDirectory *rooms, McuRoom *room, McuStreams *self)
{
  g_autoptr (GList) streams = g_hash_table_get_values (self->streams);

  for (GList *l = streams; l; l = l->next)
    if (((Stream *)l->data)->room == room)
      stream_stop (self, l->data);
}

McuStreams *
mcu_streams_new (const McuConfig *config, McuRoomDirectory *rooms,
    McuRoomMediaRegistry *media, McuEvents *events)
{
  McuStreams *self = g_object_new (MCU_TYPE_STREAMS, NULL);

  self->config = config;
  self->rooms = g_object_ref (rooms);
  self->media = media;
  self->events = g_object_ref (events);
  self->hls_dir = config->recording_dir
                      ? g_build_filename (config->recording_dir, "hls", NULL)
                      : g_build_filename (g_get_user_state_dir (), "mcu",
                            "recordings", "hls", NULL);
  self->closed_handler = g_signal_connect (
      rooms, "room-closed", G_CALLBACK (on_room_closed), self);
  return self;
}
