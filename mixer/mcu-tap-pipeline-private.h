/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the pipeline of an encode of its own fed by a tap on a room's output
 * (the full audio mix: McuAudioEncode; a composed view: McuVideoEncode).
 *
 * Time: the pipeline runs on the system clock with its base time fixed at
 * creation; a buffer tapped at clock time T enters the appsrc at running
 * time T - base, so an appsink's taps (running time + base) hand each
 * encoded buffer out with the T it came in with.
 *
 * The appsrc never blocks the room: beyond 2 s queued, new buffers are
 * dropped. An error on the bus stops the pipeline (the bus watch goes) and
 * calls the owner's @failed on the main thread with a message saying what
 * failed.
 *
 * Threads: mcu_tap_pipeline_on_tap on the tapped output's streaming thread
 * (it only pushes into the appsrc, which is thread-safe, and sets the caps
 * it keeps: one tap per pipeline); everything else on the main thread. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* The pipeline failed (@message says what and why; the bus watch is gone,
 * the pipeline still there: the owner stops it). */
typedef void (*McuTapPipelineFailed) (gpointer owner, const gchar *message);

typedef struct
{
  GstElement *pipeline; /* (nullable) (owned) */
  GstElement *src;      /* (nullable) its appsrc */
  GstClockTime base;    /* the pipeline's base time (system clock) */
  GstCaps *caps;        /* last set on src (the tap's thread) */
  guint bus_watch;
  const gchar *what; /* (static) "the AAC encode", in messages */
  McuTapPipelineFailed failed;
  gpointer owner;
} McuTapPipeline;

/* No pipeline yet. */
void mcu_tap_pipeline_init (McuTapPipeline *tp, const gchar *what,
    McuTapPipelineFailed failed, gpointer owner);
/* A new pipeline @name on the system clock, with its appsrc (src). */
gboolean mcu_tap_pipeline_new (
    McuTapPipeline *tp, const gchar *name, GError **error);
/* A new @factory element in the pipeline (transfer none), or NULL with
 * @error when GStreamer lacks it. */
GstElement *mcu_tap_pipeline_add (
    McuTapPipeline *tp, const gchar *factory, GError **error);
/* Watches the bus and sets the pipeline PLAYING. */
gboolean mcu_tap_pipeline_start (McuTapPipeline *tp, GError **error);
/* The bus watch off, the pipeline to NULL and dropped (none: nothing). */
void mcu_tap_pipeline_stop (McuTapPipeline *tp);
/* Stops it and frees what it keeps. */
void mcu_tap_pipeline_clear (McuTapPipeline *tp);
/* A McuMixTapFunc (@data: the McuTapPipeline): a copy of @buffer into the
 * appsrc at running time @clock_time - base (dropped before base). */
void mcu_tap_pipeline_on_tap (
    GstBuffer *buffer, GstCaps *caps, GstClockTime clock_time, gpointer data);

G_END_DECLS
