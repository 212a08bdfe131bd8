/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu-test-caller: the "clap" (--clap-every): a white picture and a tone
 * burst in the same instant, for A/V sync checks of what the server makes
 * of them (recordings). */
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#define MCU_CALLER_CLAP_MS 100 /* how long each clap lasts */

/* Buffer probes (user data: GUINT_TO_POINTER (period in ms)) on raw I420
 * video and raw S16 mono 48 kHz audio before their encoders: within the
 * first MCU_CALLER_CLAP_MS of every period of the system clock (a buffer's
 * running time + its element's base time), the picture turns white and the
 * samples become a 1 kHz tone (both from the first video frame at or after
 * the period's start); the audio is silent otherwise. */
GstPadProbeReturn mcu_caller_clap_video_probe (
    GstPad *pad, GstPadProbeInfo *info, gpointer period_ms);
GstPadProbeReturn mcu_caller_clap_audio_probe (
    GstPad *pad, GstPadProbeInfo *info, gpointer period_ms);

G_END_DECLS
