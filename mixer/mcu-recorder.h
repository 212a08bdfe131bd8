/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: records a room: its full mix (Opus) and, given a video mix, the view
 * everyone sees (H.264 at a fixed size) into a Matroska file that plays
 * even when the server dies while writing it. */
#pragma once

#include <gst/gst.h>
#include "mcu-audio-encode.h"
#include "mcu-audio-mix.h"
#include "mcu-video-mix.h"

G_BEGIN_DECLS

typedef enum
{
  MCU_RECORDER_RECORDING,
  MCU_RECORDER_STOPPING, /* stop () called, the file is being finished */
  MCU_RECORDER_STOPPED,  /* the file is complete */
  MCU_RECORDER_FAILED,   /* a write or encode error ended it */
} McuRecorderState;

/* Where the recording goes. */
typedef enum
{
  MCU_RECORDER_FILE, /* path: Matroska (Opus + H.264), crash-safe */
  MCU_RECORDER_RTMP, /* path: an rtmp:// or rtmps:// URL (FLV, AAC) */
  MCU_RECORDER_SRT,  /* path: an srt:// URL (MPEG-TS, AAC) */
  MCU_RECORDER_HLS,  /* path: a directory (2 s MPEG-TS segments, AAC) */
} McuRecorderOutput;

typedef struct
{
  McuRecorderOutput output;
  const gchar *path;
  guint width, height; /* the recorded picture */
  guint framerate;     /* the view's: key frames every 2 s of it */
  guint bitrate;       /* kbit/s of the H.264 */
  /* MCU_RECORDER_FILE: 0, one file; else a new file after this many
   * seconds, at the next video key frame (splitmuxsink). path is then the
   * first one's, NAME.000.EXT; the next are NAME.001.EXT, ... */
  guint segment_seconds;
  /* MCU_RECORDER_FILE: 0, or a new file before one grows past this many
   * kB (at a video key frame; the same names as segment_seconds) */
  guint segment_kb;
  /* the H.264 of a participants' encoder group that encodes that view,
   * when there is one (McuVideoEncodeOptions) */
  gboolean reuse_encoder;
  /* (nullable) live outputs: the room's shared AAC encode of @audio
   * (mcu-audio-encode.h); NULL: one of its own */
  McuAudioEncode *aac;
} McuRecorderOptions;

#define MCU_TYPE_RECORDER (mcu_recorder_get_type ())
G_DECLARE_FINAL_TYPE (McuRecorder, mcu_recorder, MCU, RECORDER, GObject)

/* Starts recording @audio's full mix and, when @video is given, its
 * composed view, into options->path (a file: created, never overwritten;
 * or a live stream, see McuRecorderOutput). The
 * file's timeline is the system clock the rooms run on, from now: gaps
 * are filled by the mixes themselves (silence, the last picture), and the
 * picture is scaled to the fixed size, so no caller's change reaches the
 * muxer. Signals (main thread): "stopped" (): the file is complete;
 * "failed" (const gchar *message): writing or encoding failed; the file
 * keeps what was written, the room is not touched. */
McuRecorder *mcu_recorder_new (const McuRecorderOptions *options,
    McuAudioMix *audio, McuVideoMix *video, GError **error);
/* Ends the recording now: the file gets everything up to now, then
 * "stopped". */
void mcu_recorder_stop (McuRecorder *self);
/* Ends the recording and finishes the file before returning (shutdown):
 * "stopped" or "failed" has been emitted when it returns. */
void mcu_recorder_stop_now (McuRecorder *self);
McuRecorderState mcu_recorder_get_state (McuRecorder *self);
const gchar *mcu_recorder_state_to_string (McuRecorderState state);
gboolean mcu_recorder_has_video (McuRecorder *self);
/* Nanoseconds recorded: until now, or until the stop. */
GstClockTime mcu_recorder_get_duration (McuRecorder *self);
/* (nullable) Where its H.264 comes from now (see McuVideoEncodeSource):
 * "own", "encoder-group" (a participants' group's output), "fallback";
 * NULL without video. */
const gchar *mcu_recorder_get_video_encoder (McuRecorder *self);
/* How many outputs share its AAC encode (itself included); 0 without. */
guint mcu_recorder_get_aac_outputs (McuRecorder *self);
/* (nullable) why it failed */
const gchar *mcu_recorder_get_error (McuRecorder *self);

G_END_DECLS
