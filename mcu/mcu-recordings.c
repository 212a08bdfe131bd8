/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the recordings of rooms.
 *
 * A recording is a McuRecorder on the room's mixes (mixer/mcu-recorder.c)
 * plus a small JSON file beside the media file, ID.json, that says which
 * room, when it started, and how it ended: the directory is the list,
 * across restarts. One ID.json still saying "recording" with no recorder
 * running is a recording the server died in: "interrupted" (its file
 * plays up to about then; its duration is the file's mtime minus start).
 *
 * A room has media only from its first caller on: a recording started
 * before "waits" and starts with the first participant (on an idle, once
 * the caller's admission has attached its video). Whether the file has
 * video is decided then: when someone in the room sends video. The
 * recording stops with the room ("room-closed").
 *
 * The ID.json files are written by a thread of their own, one after the
 * other in the order asked (a slow disk never holds up the main loop);
 * stop_all (shutdown) waits for the last. */
#include "mcu-recordings.h"
#include "mcu-announcer.h"
#include "mcu-call-video.h"
#include "mcu-prompts.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#define META_SIZE 2048

typedef enum
{
  REC_WAITING,
  REC_RUNNING, /* the recorder's state tells more */
  REC_ENDED,   /* its last ID.json being written; then dropped */
} RecState;

typedef struct
{
  McuRecordings *owner;
  gchar *id;
  gchar *room_name;
  McuRoom *room; /* (weak) */
  gulong added_handler;
  guint start_idle;
  guint announce_timer; /* the spoken notice, once the file hears it */
  RecState state;
  McuRecorder *recorder; /* (nullable) */
  gchar *path;           /* (nullable) */
  gint64 started_at;
} Rec;

struct _McuRecordings
{
  GObject parent_instance;

  const McuConfig *config;
  McuRoomDirectory *rooms;
  McuRoomMediaRegistry *media; /* (weak) outlives us */
  McuEvents *events;
  McuAnnouncer *announcer; /* (nullable) (unowned) */
  gchar *dir;
  GThreadPool *writer;    /* one thread: the ID.json writes, in order */
  GHashTable *running;    /* id -> Rec* */
  GHashTable *auto_rooms; /* room name set */
  gulong opened_handler, closed_handler;
  McuRecordingsCounters counters;
};

G_DEFINE_FINAL_TYPE (McuRecordings, mcu_recordings, G_TYPE_OBJECT)

void
mcu_recording_info_free (McuRecordingInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->id);
  g_free (info->room);
  g_free (info->path);
  g_free (info->state);
  g_free (info->error);
  g_free (info);
}

static void
rec_free (gpointer data)
{
  Rec *rec = data;

  if (rec->room) {
    g_clear_signal_handler (&rec->added_handler, rec->room);
    g_object_remove_weak_pointer (G_OBJECT (rec->room), (gpointer *)&rec->room);
  }
  g_clear_handle_id (&rec->start_idle, g_source_remove);
  g_clear_handle_id (&rec->announce_timer, g_source_remove);
  if (rec->recorder)
    g_signal_handlers_disconnect_by_data (rec->recorder, rec);
  g_clear_object (&rec->recorder);
  g_free (rec->id);
  g_free (rec->room_name);
  g_free (rec->path);
  g_free (rec);
}

static void
mcu_recordings_dispose (GObject *object)
{
  McuRecordings *self = MCU_RECORDINGS (object);

  mcu_recordings_stop_all (self); /* and the ID.json writes done */
  if (self->rooms) {
    g_clear_signal_handler (&self->opened_handler, self->rooms);
    g_clear_signal_handler (&self->closed_handler, self->rooms);
    g_clear_object (&self->rooms);
  }
  g_clear_object (&self->events);
  G_OBJECT_CLASS (mcu_recordings_parent_class)->dispose (object);
}

static void
mcu_recordings_finalize (GObject *object)
{
  McuRecordings *self = MCU_RECORDINGS (object);

  g_hash_table_unref (self->running);
  g_hash_table_unref (self->auto_rooms);
  g_free (self->dir);
  G_OBJECT_CLASS (mcu_recordings_parent_class)->finalize (object);
}

static void
mcu_recordings_class_init (McuRecordingsClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = mcu_recordings_dispose;
  G_OBJECT_CLASS (klass)->finalize = mcu_recordings_finalize;
}

static void
mcu_recordings_init (McuRecordings *self)
{
  self->running =
      g_hash_table_new_full (g_str_hash, g_str_equal, NULL, rec_free);
  self->auto_rooms =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* ---- the ID.json beside each file ---- */

static gchar *
meta_path (McuRecordings *self, const gchar *id)
{
  g_autofree gchar *name = g_strdup_printf ("%s.json", id);

  return g_build_filename (self->dir, name, NULL);
}

/* Written over the same bytes, padded to META_SIZE with spaces: the space
 * is taken when the recording starts, so that a full disk (the very reason
 * a recording failed) still takes the word "failed". Any thread. */
static gboolean
write_in_place (const gchar *path, const gchar *text)
{
  gchar buf[META_SIZE];
  gsize len = MIN (strlen (text), sizeof buf - 1);
  gint fd = g_open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  memset (buf, ' ', sizeof buf);
  memcpy (buf, text, len);
  buf[sizeof buf - 1] = '\n';
  ok = pwrite (fd, buf, sizeof buf, 0) == (gssize)sizeof buf;
  return close (fd) == 0 && ok;
}

typedef struct
{
  gchar *path;
  gchar *text;
  McuRecordings *owner; /* (nullable): the last write, then drop... */
  gchar *drop_id;       /* ...this recording */
} MetaWrite;

static void
meta_write_free (gpointer data)
{
  MetaWrite *w = data;

  g_free (w->path);
  g_free (w->text);
  g_clear_object (&w->owner);
  g_free (w->drop_id);
  g_free (w);
}

/* Its ID.json says how it ended: the recording leaves the running ones
 * (the listing reads the file from now on). */
static gboolean
on_meta_written (gpointer data)
{
  MetaWrite *w = data;

  g_hash_table_remove (w->owner->running, w->drop_id);
  return G_SOURCE_REMOVE;
}

static void
meta_write_run (MetaWrite *w)
{
  if (!write_in_place (w->path, w->text))
    g_warning ("recording: cannot write %s: %s", w->path, g_strerror (errno));
  if (w->owner)
    g_idle_add_full (G_PRIORITY_DEFAULT, on_meta_written, w, meta_write_free);
  else
    meta_write_free (w);
}

/* The writer thread. */
static void
on_meta_write (gpointer data, gpointer user_data)
{
  meta_write_run (data);
}

static void
write_meta (McuRecordings *self, Rec *rec, const gchar *state,
    gint64 duration_ms, const gchar *error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *text = NULL, *path = meta_path (self, rec->id);
  g_autofree gchar *file = g_path_get_basename (rec->path);
  MetaWrite *w;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "room");
  json_builder_add_string_value (b, rec->room_name);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, file);
  json_builder_set_member_name (b, "started_at");
  json_builder_add_int_value (b, rec->started_at);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, state);
  json_builder_set_member_name (b, "video");
  json_builder_add_boolean_value (b, mcu_recorder_has_video (rec->recorder));
  if (duration_ms >= 0) {
    json_builder_set_member_name (b, "duration_ms");
    json_builder_add_int_value (b, duration_ms);
  }
  if (error) {
    json_builder_set_member_name (b, "error");
    json_builder_add_string_value (b, error);
  }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  w = g_new0 (MetaWrite, 1);
  w->path = g_steal_pointer (&path);
  w->text = g_steal_pointer (&text);
  if (rec->state == REC_ENDED) {
    w->owner = g_object_ref (self);
    w->drop_id = g_strdup (rec->id);
  }
  if (self->writer == NULL) /* shut down: at once */
    meta_write_run (w);
  else
    g_thread_pool_push (self->writer, w, NULL);
}

/* The ID.json writes asked for are done; later ones are made at once. */
static void
flush_writer (McuRecordings *self)
{
  if (self->writer)
    g_thread_pool_free (g_steal_pointer (&self->writer), FALSE, TRUE);
}

static gint64
one_file_size (const gchar *path, gint64 *mtime_us)
{
  GStatBuf st;

  if (path == NULL || g_stat (path, &st) != 0)
    return -1;
  if (mtime_us)
    *mtime_us =
        (gint64)st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
  return st.st_size;
}

/* The bytes of the recording at @path; a segmented one's (ID.000.EXT) are
 * the sum of ID.000.EXT, ID.001.EXT, ... (their number in *@segments),
 * the mtime the last one's. */
static gint64
file_size (const gchar *path, gint64 *mtime_us, guint *segments)
{
  const gchar *at = path ? g_strrstr (path, ".000.") : NULL;
  g_autofree gchar *prefix = NULL;
  gint64 total = 0, size;

  *segments = 0;
  if (at == NULL)
    return MAX (one_file_size (path, mtime_us), 0);
  prefix = g_strndup (path, at - path);
  for (guint i = 0; i < 1000; i++) {
    g_autofree gchar *one = g_strdup_printf ("%s.%03u.%s", prefix, i, at + 5);

    if ((size = one_file_size (one, mtime_us)) < 0)
      break;
    total += size;
    (*segments)++;
  }
  return total;
}

/* ---- events ---- */

static void
emit (McuRecordings *self, const gchar *type, Rec *rec, const gchar *error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *text = NULL;
  McuRoom *room = rec->room;

  if (room == NULL)
    room = mcu_room_directory_lookup (self->rooms, rec->room_name);
  json_builder_begin_object (b);
  if (room == NULL) { /* closed and gone: still named */
    json_builder_set_member_name (b, "room");
    json_builder_add_string_value (b, rec->room_name);
  }
  json_builder_set_member_name (b, "recording");
  json_builder_add_string_value (b, rec->id);
  if (error) {
    json_builder_set_member_name (b, "error");
    json_builder_add_string_value (b, error);
  }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  /* the members without the braces */
  text[strlen (text) - 1] = '\0';
  mcu_events_emit (self->events, type, room, NULL, text + 1);
}

/* ---- a recording's life ---- */

/* The recorder is done: written down (then dropped, see on_meta_written:
 * never inside the recorder's signal), announced. */
static void
rec_ended (Rec *rec, const gchar *error)
{
  McuRecordings *self = rec->owner;
  gint64 ms = mcu_recorder_get_duration (rec->recorder) / GST_MSECOND;

  rec->state = REC_ENDED;
  write_meta (self, rec, error ? "failed" : "stopped", ms, error);
  if (error)
    self->counters.failed++;
  else
    self->counters.stopped++;
  g_log_structured (G_LOG_DOMAIN,
      error ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_MESSAGE, "MCU_ROOM",
      rec->room_name, "MESSAGE", "recording %s %s after %.1f s%s%s", rec->id,
      error ? "failed" : "stopped", ms / 1000.0, error ? ": " : "",
      error ? error : "");
  emit (self, error ? "recording-failed" : "recording-stopped", rec, error);
}

static void
on_recorder_stopped (McuRecorder *recorder, Rec *rec)
{
  rec_ended (rec, NULL);
}

static void
on_recorder_failed (McuRecorder *recorder, const gchar *message, Rec *rec)
{
  rec_ended (rec, message);
}

static gboolean
room_sends_video (McuRoom *room, McuVideoMix *video)
{
  g_autoptr (GList) people = mcu_room_list_participants (room);

  for (GList *l = people; l; l = l->next)
    if (mcu_video_mix_get_session (video, mcu_participant_get_id (l->data)) !=
        NULL)
      return TRUE;
  return FALSE;
}

static gchar *
make_id (McuRecordings *self, const gchar *room, gint64 *started_at)
{
  for (;;) {
    gint64 now = g_get_real_time ();
    g_autoptr (GDateTime) t =
        g_date_time_new_from_unix_utc (now / G_USEC_PER_SEC);
    g_autofree gchar *stamp = g_date_time_format (t, "%Y%m%dT%H%M%S");
    gchar *id =
        g_strdup_printf ("%s-%s.%03dZ", room, stamp, (gint)(now / 1000 % 1000));

    if (!g_hash_table_contains (self->running, id)) {
      *started_at = now;
      return id;
    }
    g_free (id);
    g_usleep (1000);
  }
}

/* The room hears that it is recorded ([recording] announce). */
static gboolean
on_announce_timer (gpointer data)
{
  Rec *rec = data;
  McuRecordings *self = rec->owner;
  g_autofree gchar *file = NULL;
  g_autoptr (GError) error = NULL;

  rec->announce_timer = 0;
  if (rec->room == NULL || rec->state != REC_RUNNING)
    return G_SOURCE_REMOVE;
  file = mcu_prompts_path (self->config, rec->room, "recording-started");
  if (file == NULL) {
    g_message ("room %s: no recording-started prompt to play", rec->room_name);
    return G_SOURCE_REMOVE;
  }
  if (mcu_announcer_announce (
          self->announcer, rec->room, file, "recording-started", &error) == 0)
    g_message ("room %s: recording-started not played: %s", rec->room_name,
        error->message);
  return G_SOURCE_REMOVE;
}

/* The mix is tapped about its latency (the jitter buffer's + 40 ms) after
 * its time: a prompt started at once would begin before the file's start
 * and be recorded cut. Started that much later (and a margin), the file
 * holds all of it. */
static void
announce_start (McuRecordings *self, Rec *rec)
{
  if (!self->config->recording_announce || self->announcer == NULL)
    return;
  rec->announce_timer = g_timeout_add (
      self->config->jitter_latency + 100, on_announce_timer, rec);
}

/* Starts the recorder of @rec on its room's media. FALSE when it failed
 * (announced, and @rec dropped). */
static gboolean
rec_begin (Rec *rec)
{
  McuRecordings *self = rec->owner;
  McuAudioMix *audio =
      mcu_room_media_registry_get_audio_mix (self->media, rec->room);
  McuVideoMix *video =
      mcu_room_media_registry_get_video_mix (self->media, rec->room);
  McuRecorderOptions options = {
    .width = self->config->recording_width,
    .height = self->config->recording_height,
    .framerate = self->config->video_framerate,
    .bitrate = self->config->recording_bitrate,
    .reuse_encoder = self->config->recording_reuse_encoder,
  };
  g_autoptr (GError) error = NULL;
  g_autofree gchar *name = NULL;

  g_clear_signal_handler (&rec->added_handler, rec->room);
  if (video && !room_sends_video (rec->room, video))
    video = NULL;
  options.segment_seconds = self->config->recording_segment_seconds;
  options.segment_kb = self->config->recording_segment_kb;
  name = g_strdup_printf ("%s%s.%s", rec->id,
      options.segment_seconds || options.segment_kb ? ".000" : "",
      video ? "mkv" : "mka");
  rec->path = g_build_filename (self->dir, name, NULL);
  options.path = rec->path;
  if (g_mkdir_with_parents (self->dir, 0750) != 0)
    g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno),
        "cannot make %s: %s", self->dir, g_strerror (errno));
  else
    rec->recorder = mcu_recorder_new (&options, audio, video, &error);
  if (rec->recorder == NULL) {
    g_warning ("recording of room %s: %s", rec->room_name, error->message);
    self->counters.failed++;
    emit (self, "recording-failed", rec, error->message);
    g_hash_table_remove (self->running, rec->id);
    return FALSE;
  }
  rec->state = REC_RUNNING;
  g_signal_connect (
      rec->recorder, "stopped", G_CALLBACK (on_recorder_stopped), rec);
  g_signal_connect (
      rec->recorder, "failed", G_CALLBACK (on_recorder_failed), rec);
  write_meta (self, rec, "recording", -1, NULL);
  self->counters.started++;
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MCU_ROOM",
      rec->room_name, "MESSAGE", "recording %s started: %s (%s)", rec->id,
      rec->path, video ? "audio and video" : "audio");
  emit (self, "recording-started", rec, NULL);
  announce_start (self, rec);
  return TRUE;
}

static gboolean
on_start_idle (gpointer data)
{
  Rec *rec = data;

  rec->start_idle = 0;
  if (rec->room &&
      mcu_room_media_registry_lookup (rec->owner->media, rec->room))
    rec_begin (rec);
  return G_SOURCE_REMOVE;
}

static void
on_room_participant_added (McuRoom *room, McuParticipant *p, Rec *rec)
{
  if (rec->start_idle == 0)
    rec->start_idle = g_idle_add (on_start_idle, rec);
}

static Rec *
running_for_room (McuRecordings *self, McuRoom *room)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->running);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((Rec *)value)->room == room && ((Rec *)value)->state != REC_ENDED)
      return value;
  return NULL;
}

void
mcu_recordings_set_announcer (McuRecordings *self, McuAnnouncer *announcer)
{
  self->announcer = announcer;
}

gchar *
mcu_recordings_start (McuRecordings *self, McuRoom *room, GError **error)
{
  Rec *rec;

  if (running_for_room (self, room)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
        "room %s is being recorded", mcu_room_get_name (room));
    return NULL;
  }
  if (g_hash_table_size (self->running) >= self->config->recording_max_active) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES,
        "%u recordings are running ([recording] max-active)",
        g_hash_table_size (self->running));
    return NULL;
  }
  rec = g_new0 (Rec, 1);
  rec->owner = self;
  rec->room_name = g_strdup (mcu_room_get_name (room));
  rec->id = make_id (self, rec->room_name, &rec->started_at);
  rec->room = room;
  g_object_add_weak_pointer (G_OBJECT (room), (gpointer *)&rec->room);
  g_hash_table_insert (self->running, rec->id, rec);
  if (mcu_room_media_registry_lookup (self->media, room) == NULL) {
    rec->state = REC_WAITING;
    rec->added_handler = g_signal_connect (
        room, "participant-added", G_CALLBACK (on_room_participant_added), rec);
    return g_strdup (rec->id);
  }
  if (!rec_begin (rec)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "the recording could not start (see the recording-failed event)");
    return NULL;
  }
  return g_strdup (rec->id);
}

static void
rec_stop (McuRecordings *self, Rec *rec)
{
  if (rec->state == REC_WAITING) {
    emit (self, "recording-stopped", rec, NULL);
    g_hash_table_remove (self->running, rec->id);
    return;
  }
  mcu_recorder_stop (rec->recorder);
}

gboolean
mcu_recordings_stop (McuRecordings *self, const gchar *id, GError **error)
{
  Rec *rec = g_hash_table_lookup (self->running, id);

  if (rec == NULL || rec->state == REC_ENDED) {
    g_set_error (
        error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no running recording %s", id);
    return FALSE;
  }
  rec_stop (self, rec);
  return TRUE;
}

void
mcu_recordings_stop_all (McuRecordings *self)
{
  g_autoptr (GList) recs = g_hash_table_get_values (self->running);

  for (GList *l = recs; l; l = l->next) {
    Rec *rec = l->data;

    if (rec->state == REC_WAITING)
      g_hash_table_remove (self->running, rec->id);
    else
      mcu_recorder_stop_now (rec->recorder); /* dropped once written */
  }
  flush_writer (self);
}

void
mcu_recordings_set_auto (
    McuRecordings *self, const gchar *room_name, gboolean record)
{
  if (record)
    g_hash_table_add (self->auto_rooms, g_strdup (room_name));
  else
    g_hash_table_remove (self->auto_rooms, room_name);
}

static void
on_room_opened (McuRoomDirectory *rooms, McuRoom *room, McuRecordings *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *id = NULL;

  if (!g_hash_table_contains (self->auto_rooms, mcu_room_get_name (room)))
    return;
  if (!(id = mcu_recordings_start (self, room, &error)))
    g_warning ("room %s: no automatic recording: %s", mcu_room_get_name (room),
        error->message);
}

static void
on_room_closed (McuRoomDirectory *rooms, McuRoom *room, McuRecordings *self)
{
  Rec *rec = running_for_room (self, room);

  if (rec)
    rec_stop (self, rec);
}

McuRecordings *
mcu_recordings_new (const McuConfig *config, McuRoomDirectory *rooms,
    McuRoomMediaRegistry *media, McuEvents *events)
{
  McuRecordings *self = g_object_new (MCU_TYPE_RECORDINGS, NULL);

  self->config = config;
  self->rooms = g_object_ref (rooms);
  self->media = media;
  self->events = g_object_ref (events);
  self->writer = g_thread_pool_new (on_meta_write, NULL, 1, FALSE, NULL);
  self->dir = config->recording_dir ? g_strdup (config->recording_dir)
                                    : g_build_filename (g_get_user_state_dir (),
                                          "mcu", "recordings", NULL);
  for (guint i = 0; config->rooms && i < config->rooms->len; i++) {
    McuConfigRoom *r = g_ptr_array_index (config->rooms, i);

    if (r->record)
      mcu_recordings_set_auto (self, r->name, TRUE);
  }
  self->opened_handler = g_signal_connect (
      rooms, "room-opened", G_CALLBACK (on_room_opened), self);
  self->closed_handler = g_signal_connect (
      rooms, "room-closed", G_CALLBACK (on_room_closed), self);
  return self;
}

/* ---- listing ---- */

static McuRecordingInfo *
info_of_running (Rec *rec)
{
  McuRecordingInfo *info = g_new0 (McuRecordingInfo, 1);

  info->id = g_strdup (rec->id);
  info->room = g_strdup (rec->room_name);
  info->path = g_strdup (rec->path);
  info->started_at = rec->state == REC_WAITING ? 0 : rec->started_at;
  if (rec->state == REC_WAITING) {
    info->state = g_strdup ("waiting");
    return info;
  }
  info->state = g_strdup (
      mcu_recorder_state_to_string (mcu_recorder_get_state (rec->recorder)));
  info->duration_ms = mcu_recorder_get_duration (rec->recorder) / GST_MSECOND;
  info->size = file_size (rec->path, NULL, &info->segments);
  info->video = mcu_recorder_has_video (rec->recorder);
  info->video_encoder = mcu_recorder_get_video_encoder (rec->recorder);
  return info;
}

static McuRecordingInfo *
info_of_file (McuRecordings *self, const gchar *id)
{
  g_autofree gchar *path = meta_path (self, id);
  g_autoptr (JsonParser) parser = json_parser_new ();
  McuRecordingInfo *info;
  JsonObject *o;
  gint64 mtime = 0;

  if (!json_parser_load_from_file (parser, path, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  o = json_node_get_object (json_parser_get_root (parser));
  if (!json_object_has_member (o, "file") ||
      !json_object_has_member (o, "room"))
    return NULL;
  info = g_new0 (McuRecordingInfo, 1);
  info->id = g_strdup (id);
  info->room = g_strdup (json_object_get_string_member (o, "room"));
  info->path = g_build_filename (
      self->dir, json_object_get_string_member (o, "file"), NULL);
  info->started_at =
      json_object_get_int_member_with_default (o, "started_at", 0);
  info->state = g_strdup (
      json_object_get_string_member_with_default (o, "state", "interrupted"));
  info->error =
      g_strdup (json_object_get_string_member_with_default (o, "error", NULL));
  info->video = json_object_get_boolean_member_with_default (o, "video", FALSE);
  info->size = file_size (info->path, &mtime, &info->segments);
  info->duration_ms =
      json_object_get_int_member_with_default (o, "duration_ms", -1);
  if (g_str_equal (info->state, "recording")) {
    g_free (info->state);
    info->state = g_strdup ("interrupted");
  }
  if (info->duration_ms < 0)
    info->duration_ms = MAX (mtime - info->started_at, 0) / 1000;
  return info;
}

static gint
newest_first (gconstpointer a, gconstpointer b)
{
  const McuRecordingInfo *x = *(McuRecordingInfo **)a;
  const McuRecordingInfo *y = *(McuRecordingInfo **)b;

  return x->started_at < y->started_at   ? 1
         : x->started_at > y->started_at ? -1
                                         : 0;
}

GPtrArray *
mcu_recordings_list (McuRecordings *self)
{
  GPtrArray *list =
      g_ptr_array_new_with_free_func ((GDestroyNotify)mcu_recording_info_free);
  g_autoptr (GDir) dir = g_dir_open (self->dir, 0, NULL);
  GHashTableIter iter;
  gpointer value;
  const gchar *name;

  g_hash_table_iter_init (&iter, self->running);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (list, info_of_running (value));
  while (dir && (name = g_dir_read_name (dir))) {
    g_autofree gchar *id = NULL;
    McuRecordingInfo *info;

    if (!g_str_has_suffix (name, ".json"))
      continue;
    id = g_strndup (name, strlen (name) - strlen (".json"));
    if (g_hash_table_contains (self->running, id))
      continue;
    if ((info = info_of_file (self, id)))
      g_ptr_array_add (list, info);
  }
  g_ptr_array_sort (list, newest_first);
  return list;
}

static gboolean
valid_id (const gchar *id)
{
  return id[0] && id[0] != '.' && strlen (id) <= 128 &&
         strspn (id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789-_.") == strlen (id);
}

McuRecordingInfo *
mcu_recordings_get (McuRecordings *self, const gchar *id)
{
  Rec *rec = g_hash_table_lookup (self->running, id);

  if (rec)
    return info_of_running (rec);
  if (!valid_id (id))
    return NULL;
  return info_of_file (self, id);
}

McuRecordingInfo *
mcu_recordings_get_for_room (McuRecordings *self, McuRoom *room)
{
  Rec *rec = running_for_room (self, room);

  return rec ? info_of_running (rec) : NULL;
}

void
mcu_recordings_get_counters (
    McuRecordings *self, McuRecordingsCounters *counters)
{
  *counters = self->counters;
  counters->active = g_hash_table_size (self->running);
}
