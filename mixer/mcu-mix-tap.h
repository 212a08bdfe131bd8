/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: taps on a room's mixed output (the full audio mix, the composed
 * view) for recorders and streams: each buffer handed to every tap with
 * its time on the shared system clock, so that outputs of two pipelines
 * (audio and video) line up. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Called on a streaming thread, with the tap list locked: it must not
 * block nor call back into the mix. @clock_time: when @buffer's first
 * sample was due on the system clock (running time + base time). */
typedef void (*McuMixTapFunc) (GstBuffer *buffer, GstCaps *caps,
    GstClockTime clock_time, gpointer user_data);

typedef struct _McuMixTaps McuMixTaps;

McuMixTaps *mcu_mix_taps_new (void);
void mcu_mix_taps_free (McuMixTaps *taps);
/* Returns the tap's id (> 0). */
guint mcu_mix_taps_add (McuMixTaps *taps, McuMixTapFunc func, gpointer data,
    GDestroyNotify destroy);
/* After it returns, @id's function is not running and never runs again. */
void mcu_mix_taps_remove (McuMixTaps *taps, guint id);
guint mcu_mix_taps_get_n (McuMixTaps *taps);
/* Hands @buffer to every tap (any thread). */
void mcu_mix_taps_dispatch (McuMixTaps *taps, GstBuffer *buffer, GstCaps *caps,
    GstClockTime clock_time);
/* How much later than its inputs arrived the mix is timed (the audio mix
 * times its inputs by their arrival after the jitter buffer): taken off
 * every clock_time, so that the mix lines up with video timed by arrival. */
void mcu_mix_taps_set_delay (McuMixTaps *taps, GstClockTime delay);
/* Pushes a copy of @buffer into @appsrc at @pts (no DTS, no flags), after
 * setting its caps when @caps differ from *@last_caps (kept there). For
 * a tap feeding an encode of its own (any thread; one caller per @appsrc). */
void mcu_mix_taps_push_copy (GstElement *appsrc, GstCaps **last_caps,
    GstBuffer *buffer, GstCaps *caps, GstClockTime pts);
/* An appsink (sync off, never blocking upstream) handing its buffers to
 * @taps; @taps must outlive it. (transfer floating) */
GstElement *mcu_mix_taps_make_sink (McuMixTaps *taps, const gchar *name);

G_END_DECLS
