/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one H.264 encode of a room's view everyone sees, shared by the
 * recordings and live streams of the room that want it at the same size,
 * rate and bitrate (N outputs cost one encode). */
#pragma once

#include <gst/gst.h>
#include "mcu-mix-tap.h"
#include "mcu-video-mix.h"

G_BEGIN_DECLS

typedef struct
{
  guint width, height; /* the encoded picture */
  guint framerate;     /* the view's: key frames every 2 s of it */
  guint bitrate;       /* kbit/s */
  /* a participants' encoder group's output when it is that view */
  gboolean reuse_group;
} McuVideoEncodeOptions;

/* Where the H.264 comes from. */
typedef enum
{
  MCU_VIDEO_ENCODE_OWN,      /* an encode of its own */
  MCU_VIDEO_ENCODE_GROUP,    /* the output of the participants' encoder group
                              * that encodes that very view (no encode more) */
  MCU_VIDEO_ENCODE_FALLBACK, /* its own, since that group went: the same
                              * settings, so the stream goes on unchanged */
} McuVideoEncodeSource;

#define MCU_TYPE_VIDEO_ENCODE (mcu_video_encode_get_type ())
G_DECLARE_FINAL_TYPE (
    McuVideoEncode, mcu_video_encode, MCU, VIDEO_ENCODE, GObject)

/* (transfer full) The encode of @mix's view with @options: the one running
 * when its options are the same (shared), else a new one (which the next
 * callers share). It runs while referenced. A new one takes the output of
 * a participants' encoder group that encodes the view at that size and
 * rate when there is one (then the group's bitrate, and a key frame asked
 * of it every 2 s); when that group goes, it encodes on its own from then
 * on with the group's settings. Signal (main thread):
 * "failed" (const gchar *message): the encode stopped (its users fail;
 * the next get makes a new one). Main thread. */
McuVideoEncode *mcu_video_encode_get (
    McuVideoMix *mix, const McuVideoEncodeOptions *options, GError **error);
/* A tap on the H.264 (byte-stream, whole access units), each buffer with
 * its picture's time on the system clock (see mcu-mix-tap.h). A key frame
 * is asked for at once: a new tap starts with the next one. */
guint mcu_video_encode_add_tap (McuVideoEncode *self, McuMixTapFunc func,
    gpointer data, GDestroyNotify destroy);
void mcu_video_encode_remove_tap (McuVideoEncode *self, guint id);
/* A key frame on the picture of system clock time @clock_time or the next
 * (GST_CLOCK_TIME_NONE: as soon as possible). Any thread. */
void mcu_video_encode_request_key_frame (
    McuVideoEncode *self, GstClockTime clock_time);
McuVideoEncodeSource mcu_video_encode_get_source (McuVideoEncode *self);
/* "own", "encoder-group", "fallback" */
const gchar *mcu_video_encode_source_to_string (McuVideoEncodeSource source);
/* How many taps (outputs) share it. */
guint mcu_video_encode_get_n_taps (McuVideoEncode *self);

G_END_DECLS
