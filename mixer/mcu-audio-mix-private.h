/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuAudioMix's insides, shared by mcu-audio-mix.c (the pipeline,
 * joining, leaving, rebuilding) and mcu-audio-mix-prompts.c (prompts).
 * Main thread only. */
#pragma once

#include "mcu-audio-mix.h"
#include "mcu-thread-priority.h"

G_BEGIN_DECLS

typedef struct _JoinWait JoinWait;

typedef struct
{
  GstPad *mixer_sink; /* sink_N on mcumixminus (request pad); NULL while
                       * the session only listens (no audio yet) */
  GstPad *mixer_src;  /* src_N (a listener until mixer_sink is set) */
  guint index;        /* N */
  GstPad *mix_out;    /* the bin's mix_out (ref) */
  gulong wait_probe;  /* on mix_out until its first buffer, or 0 */
  JoinWait *wait;     /* (nullable) (weak: owned by the probe) */
  gboolean mute;      /* applied to mixer_sink (kept while there is none) */
  gdouble volume;
  gdouble listen_volume; /* applied to mixer_src */
  GstElement *bin; /* the session's bin when it was added (key in by_bin) */
  gboolean talking;
  guint above_ms;   /* time above TALK_ON_DB while not talking */
  guint below_ms;   /* time below TALK_OFF_DB while talking */
  gdouble level_db; /* smoothed */
} MixEntry;

typedef struct
{
  guint id;
  McuMediaSession *session; /* (nullable): NULL = everyone */
  GPtrArray *parts;         /* GBytes *: the files' samples */
  McuPromptFlags flags;
} MixPrompt;

struct _McuAudioMix
{
  GObject parent_instance;

  gchar *name;
  McuAudioMixOptions options;
  GstElement *pipeline;
  GstElement *mixer;
  GstElement *own[3]; /* the room's other elements: source, caps, sink */
  guint bus_watch;
  gint64 rebuilt_at; /* monotonic us of the last rebuild, 0 = none */
  guint n_rebuilds;
  GHashTable *sessions;     /* McuMediaSession* (ref) -> MixEntry* */
  GHashTable *by_bin;       /* GstElement* (session bin) -> McuMediaSession* */
  GstClockTime latency;     /* the mixer's, fixed at creation */
  GHashTable *opus_groups;  /* "bitrate/complexity/fec/loss" -> group */
  GHashTable *by_pad;       /* "sink_N" -> McuMediaSession* (weak) */
  McuMediaSession *speaker; /* (nullable) (weak: in sessions) */
  gint64 speaker_since;     /* monotonic us */
  McuMixTaps *taps;         /* on the full mix; kept across rebuilds */
  McuPromptCache *prompt_cache;
  GHashTable *prompts; /* guint id -> MixPrompt* */
  guint last_prompt_id;
  GArray *prompts_ended; /* guint ids ended here, reported by ended_idle */
  guint ended_idle;
  gboolean rebuilding;  /* sessions leave and come back: prompts stay */
  guint64 skipped_seen; /* the mixer's frames-skipped when last said */
  gint64 skips_said_at; /* monotonic us */
  /* the mixing thread's and the clock source's (set in init, read-only:
   * used on the streaming threads, by the bus sync handler) */
  McuThreadPriority *priority;
};

/* mcu-audio-mix-prompts.c */
void mcu_audio_mix_prompt_free (gpointer data);
/* The element's mcu-prompt-done message: "prompt-done" unless the prompt
 * ended here already. */
void mcu_audio_mix_on_prompt_done (McuAudioMix *self, const GstStructure *s);
/* @session left: its prompts end ("prompt-done", completed FALSE). */
void mcu_audio_mix_prompts_end_session (
    McuAudioMix *self, McuMediaSession *session);
/* After a rebuild: looping prompts start over in the new mixer, the others
 * end (completed FALSE). */
void mcu_audio_mix_prompts_restart (McuAudioMix *self);

G_END_DECLS
