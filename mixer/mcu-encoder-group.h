/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one encode shared by every participant with the same output profile
 * and view: raw video in, one encoded stream out to each member's own
 * payloader (each member keeps its own SSRC, sequence and timestamps). */
#pragma once

#include <gst/gst.h>
#include "mcu-video-session.h"
#include "mcu-mix-tap.h"

G_BEGIN_DECLS

/* Everything that makes two outputs the same stream. */
typedef struct
{
  McuVideoCodec codec;
  guint width, height, framerate;
  guint bitrate_kbps;
  guint profile_level_id;   /* H.264 */
  guint packetization_mode; /* H.264 */
  guint view;               /* which composition (0 = the room's own) */
} McuVideoProfile;

/* The profile a session's parameters ask for, in @view. */
void mcu_video_profile_from_params (
    McuVideoProfile *profile, const McuVideoParams *params, guint view);
/* A key equal for equal profiles. (transfer full) */
gchar *mcu_video_profile_to_key (const McuVideoProfile *profile);

typedef struct
{
  guint64 frames_in;        /* raw frames encoded */
  guint64 frames_out;       /* encoded frames */
  guint64 keyframes_out;    /* keyframes among them */
  guint64 keyframes_forced; /* key units we asked the encoder for */
  guint64 requests;         /* keyframe requests (joins, PLI/FIR) */
  guint64 requests_limited; /* of which deferred by the rate limit */
} McuEncoderGroupStats;

#define MCU_ENCODER_GROUP_MIN_KEY_INTERVAL (500 * GST_MSECOND)

#define MCU_TYPE_ENCODER_GROUP (mcu_encoder_group_get_type ())
G_DECLARE_FINAL_TYPE (
    McuEncoderGroup, mcu_encoder_group, MCU, ENCODER_GROUP, GObject)

/* Builds the bin (not yet in any pipeline): ghost pad "sink" takes raw
 * video of any size/rate; it is scaled, rate-limited and encoded. */
McuEncoderGroup *mcu_encoder_group_new (
    const McuVideoProfile *profile, const gchar *name, GError **error);
const McuVideoProfile *mcu_encoder_group_get_profile (McuEncoderGroup *self);
/* (transfer none) */
GstElement *mcu_encoder_group_get_bin (McuEncoderGroup *self);
/* Stops the group's elements, from its input on (set its bin's state
 * locked first if it is in a running pipeline). */
void mcu_encoder_group_stop (McuEncoderGroup *self);

/* Links the group's output to @sink (a member's "video_in"; its element
 * must be a sibling of the group's bin) and forces a keyframe for it.
 * Main thread. */
gboolean mcu_encoder_group_add_member (
    McuEncoderGroup *self, GstPad *sink, GError **error);
void mcu_encoder_group_remove_member (McuEncoderGroup *self, GstPad *sink);
guint mcu_encoder_group_get_n_members (McuEncoderGroup *self);

/* A keyframe for everyone in the group. @limited (PLI/FIR): at most one
 * per MCU_ENCODER_GROUP_MIN_KEY_INTERVAL, a request inside it is served
 * when it ends; not limited (a joiner): now. Any thread. */
void mcu_encoder_group_request_keyframe (
    McuEncoderGroup *self, gboolean limited);
/* The encoded stream for recordings and live streams (H.264 only):
 * tee -> queue (leaky) -> h264parse (parameter sets before every key
 * frame) -> appsink -> @func, each access unit with its picture's time on
 * the system clock (see mcu-mix-tap.h). The branch exists while tapped.
 * Asks for no key frame itself. Main thread. */
guint mcu_encoder_group_add_tap (McuEncoderGroup *self, McuMixTapFunc func,
    gpointer data, GDestroyNotify destroy);
void mcu_encoder_group_remove_tap (McuEncoderGroup *self, guint id);
guint mcu_encoder_group_get_n_taps (McuEncoderGroup *self);
void mcu_encoder_group_get_stats (
    McuEncoderGroup *self, McuEncoderGroupStats *stats);

G_END_DECLS
