/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the priority of a room's video threads (private to mixer/).
 *
 * Every output frame of a room's video goes through two threads: a view's
 * compositor (its aggregator task, which composes the frame) and an
 * encoder group's input queue (its task labels-to-encode-to-send). On a
 * machine that cannot keep up (another process taking the CPU, more video
 * than the cores decode), the kernel shares the CPU between runnable
 * threads alike, so these two got the same small share as each busy loop
 * and each caller's decoder: the frame's every millisecond of work took
 * several of wall time, and that was its delay (1280x720 x16 with 16 busy
 * loops: ~70 ms to compose, ~40 ms more to the encoder, p95 370 ms).
 * They run at MCU_VIDEO_OUTPUT_NICE (below the audio's -10, above the
 * decoders at the default): audio first, then the frames everyone sees;
 * a decoder that falls behind has its frames dropped (mcu-late-gate.c).
 * Best effort (mcu-thread-priority.h).
 *
 * A thread is raised when its task enters it (STREAM_STATUS ENTER, on that
 * thread: a bus sync handler) and set back to the nice it had when it
 * leaves (the thread returns to a shared pool). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define MCU_VIDEO_OUTPUT_NICE (-5)
/* The name of an encoder group's input queue (mcu-encoder-group.c). */
#define MCU_VIDEO_ENCODE_QUEUE_NAME "video-encode-input"

/* Watches @bus (the room's video pipeline's) for the output threads. */
void mcu_video_priority_watch (GstBus *bus);
/* For a message from @owner's task: is it an output thread? */
gboolean mcu_video_priority_is_output (GstElement *owner);

G_END_DECLS
