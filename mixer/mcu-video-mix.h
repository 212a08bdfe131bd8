/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a room's video: the participants' decoded pictures composed into the
 * tiles of a layout, with names, once per distinct view, and encoded once
 * per encoder group. */
#pragma once

#include <gst/gst.h>
#include "mcu-layout.h"
#include "mcu-video-session.h"
#include "mcu-encoder-group.h"
#include "mcu-mix-tap.h"

G_BEGIN_DECLS

typedef struct
{
  guint width, height, framerate; /* the composition ([video]) */
  guint latency_ms;               /* the participants' jitter buffer */
  McuLayoutKind layout;
  /* FALSE: nobody sees their own picture, which costs one composition
   * and one encode per participant */
  gboolean self_view;
} McuVideoMixOptions;

typedef struct
{
  guint64 frames_in;        /* decoded from this participant */
  guint64 frames_out;       /* sent to it */
  guint64 keyframes_forced; /* by its encoder group */
  guint64 plis_received;    /* PLI/FIR it sent us */
  guint64 plis_sent;        /* PLI/FIR we sent it */
} McuVideoMixStats;

#define MCU_TYPE_VIDEO_MIX (mcu_video_mix_get_type ())
G_DECLARE_FINAL_TYPE (McuVideoMix, mcu_video_mix, MCU, VIDEO_MIX, GObject)

/* Creates the (empty) pipeline and sets it playing; a composition runs
 * only while someone receives it. Signals (main thread):
 * "participant-error" (guint id, const gchar *message): that
 * participant's video failed. "error" (const gchar *message). */
McuVideoMix *mcu_video_mix_new (
    const gchar *name, const McuVideoMixOptions *options, GError **error);

/* Everyone in the room has a tile: with a picture once it has a session,
 * else its name on a plain background (audio-only). Main thread. */
void mcu_video_mix_add_participant (
    McuVideoMix *self, guint id, const gchar *display_name);
void mcu_video_mix_remove_participant (McuVideoMix *self, guint id);
gboolean mcu_video_mix_has_participant (McuVideoMix *self, guint id);
/* Attaches @session (its params set) as @id's video, both ways: its
 * picture into the tiles, the room's picture out through the encoder group
 * of its profile. NULL detaches (re-INVITE removing video). The session
 * must not be in a mix when its params change. */
gboolean mcu_video_mix_set_session (
    McuVideoMix *self, guint id, McuVideoSession *session, GError **error);
/* (nullable) (transfer none) */
McuVideoSession *mcu_video_mix_get_session (McuVideoMix *self, guint id);
/* Muted: the others see the name tile instead of the picture. */
void mcu_video_mix_set_video_muted (
    McuVideoMix *self, guint id, gboolean muted);

void mcu_video_mix_set_layout (McuVideoMix *self, McuLayoutKind layout);
McuLayoutKind mcu_video_mix_get_layout (McuVideoMix *self);
/* From the audio mixer (main thread): talking keeps a participant among
 * the visible tiles; the active speaker gets the speaker layout's large
 * tile. */
void mcu_video_mix_set_talking (McuVideoMix *self, guint id, gboolean talking);
void mcu_video_mix_set_active_speaker (McuVideoMix *self, guint id);
/* A keyframe for @id now (its ACK arrived, it resumed). */
void mcu_video_mix_request_keyframe (McuVideoMix *self, guint id);

gboolean mcu_video_mix_get_stats (
    McuVideoMix *self, guint id, McuVideoMixStats *stats);
guint mcu_video_mix_get_n_encoder_groups (McuVideoMix *self);
guint mcu_video_mix_get_n_views (McuVideoMix *self);
/* How often a view or an encoder group was rebuilt after an error. */
guint mcu_video_mix_get_n_rebuilds (McuVideoMix *self);
/* The tiles of the view @id sees, for tests and the control socket.
 * (transfer full) McuLayoutTile array */
GArray *mcu_video_mix_get_tiles (McuVideoMix *self, guint id);
/* A tap on the view everyone sees (the room's layout, at [video] size),
 * composed while tapped (one composition more when no encoder group uses
 * that view already); see mcu-mix-tap.h. 0 with @error when the view
 * cannot be built. Main thread. */
guint mcu_video_mix_add_tap (McuVideoMix *self, McuMixTapFunc func,
    gpointer data, GDestroyNotify destroy, GError **error);
void mcu_video_mix_remove_tap (McuVideoMix *self, guint id);
/* The H.264 encode of that view the room's recordings and streams share
 * while one runs (mcu-video-encode.c sets it; a weak pointer). */
typedef struct _McuVideoEncode McuVideoEncode;
McuVideoEncode *mcu_video_mix_get_encode (McuVideoMix *self);
void mcu_video_mix_set_encode (McuVideoMix *self, McuVideoEncode *encode);
/* (nullable) (transfer none) An encoder group of participants that
 * encodes the view the taps see (the room's own, everyone's) as H.264 of
 * @width x @height at @framerate: its output can be recorded as is
 * (single-NAL-unit groups only when no other). "encoder-group-closing"
 * (McuEncoderGroup *group, gboolean rebuilding) is emitted (main thread)
 * before a group goes: whoever taps it removes its taps then. It may tap
 * the view then (which keeps it composed), unless @rebuilding (the view
 * or the group is being built anew after an error: tap it later). */
McuEncoderGroup *mcu_video_mix_find_view_encoder (
    McuVideoMix *self, guint width, guint height, guint framerate);
/* Stops the pipeline. */
void mcu_video_mix_stop (McuVideoMix *self);

G_END_DECLS
