/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one AAC encode of a room's full mix, shared by every live stream of
 * the room that needs AAC (RTMP, SRT, HLS): N streams cost one encode. */
#pragma once

#include <gst/gst.h>
#include "mcu-audio-mix.h"
#include "mcu-mix-tap.h"

G_BEGIN_DECLS

#define MCU_TYPE_AUDIO_ENCODE (mcu_audio_encode_get_type ())
G_DECLARE_FINAL_TYPE (
    McuAudioEncode, mcu_audio_encode, MCU, AUDIO_ENCODE, GObject)

/* Starts encoding @mix's full mix as AAC-LC at @bitrate bit/s (its own
 * pipeline, on the system clock; it runs while referenced). Signal (main
 * thread): "failed" (const gchar *message): the encode stopped; its users
 * fail. Main thread. */
McuAudioEncode *mcu_audio_encode_new (
    McuAudioMix *mix, guint bitrate, GError **error);
McuAudioMix *mcu_audio_encode_get_mix (McuAudioEncode *self);
/* A tap on the AAC (raw, with codec_data in the caps): each frame with
 * the system clock time of its first sample in the mix (mcu-mix-tap.h). */
guint mcu_audio_encode_add_tap (McuAudioEncode *self, McuMixTapFunc func,
    gpointer data, GDestroyNotify destroy);
void mcu_audio_encode_remove_tap (McuAudioEncode *self, guint id);
/* How many taps (outputs) share it. */
guint mcu_audio_encode_get_n_taps (McuAudioEncode *self);

G_END_DECLS
