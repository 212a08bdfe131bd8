/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a room's audio: one pipeline, one mcumixminus, one media session per
 * participant, added and removed while it plays. */
#pragma once

#include <gst/gst.h>
#include "mcu-media-session.h"
#include "mcu-mix-pool.h"
#include "mcu-mix-tap.h"
#include "mcu-prompt-cache.h"

G_BEGIN_DECLS

#define MCU_TYPE_AUDIO_MIX (mcu_audio_mix_get_type ())
G_DECLARE_FINAL_TYPE (McuAudioMix, mcu_audio_mix, MCU, AUDIO_MIX, GObject)

/* Creates the pipeline and sets it playing. Signals (main thread):
 * "session-error" (McuMediaSession, const gchar *message): a participant's
 * media failed (an error from inside its bin): the owner should hang that
 * participant up, and only that one.
 * "error" (const gchar *message): the room's own elements failed twice
 * within 30 s, or could not be rebuilt (the first failure rebuilds the
 * room's pipeline with everyone in it; see mcu-audio-mix.c).
 * "talking" (McuMediaSession, gboolean): started/stopped talking (from the
 * mixer's levels every 100 ms, with hysteresis: on after 200 ms above
 * -42 dBFS, off after 800 ms below -48 dBFS).
 * "active-speaker" (McuMediaSession): the loudest talker, held at least
 * 1.5 s while it still talks (so a big tile does not flap). */
/* How the room mixes: @noise_gate_db (-127 = off) leaves out callers
 * quieter than that (after a 300 ms hangover); @max_talkers (0 = all) mixes
 * only the loudest few. Everyone left out hears the same full mix, which
 * lets their encodes be shared. */
typedef struct
{
  guint latency_ms; /* the participants' jitter buffer */
  gint noise_gate_db;
  guint max_talkers;
  /* (nullable) where prompt files are decoded once and shared between
   * rooms; NULL: the room keeps its own. Referenced by the room. */
  McuPromptCache *prompt_cache;
  /* (nullable) the worker threads that encode and send a big room's
   * outputs in parallel, shared by the rooms of a process; NULL: the
   * room's mixer makes its own when it needs one. Referenced by the
   * room's mixer. */
  McuMixPool *mix_pool;
  /* Spread a room's outputs over the pool once pushing them takes this
   * much CPU time (mcumixminus pool-min-cost; 1 ns: nearly always); 0:
   * the mixer's default. */
  GstClockTime pool_min_cost;
} McuAudioMixOptions;

McuAudioMix *mcu_audio_mix_new (
    const gchar *name, const McuAudioMixOptions *options, GError **error);
gboolean mcu_audio_mix_add (
    McuAudioMix *self, McuMediaSession *session, GError **error);
void mcu_audio_mix_remove (McuAudioMix *self, McuMediaSession *session);
gboolean mcu_audio_mix_contains (McuAudioMix *self, McuMediaSession *session);
/* A muted (or held) participant is left out of everyone's mix. */
void mcu_audio_mix_set_muted (
    McuAudioMix *self, McuMediaSession *session, gboolean muted);
/* How loud the others hear @session (1.0 = as sent). */
void mcu_audio_mix_set_volume (
    McuAudioMix *self, McuMediaSession *session, gdouble volume);
/* How loud @session hears the room (its mix and its prompts): 0.0 .. 4.0,
 * 1.0 = as mixed. Not at 1.0 it gets its own encode of the mix. */
void mcu_audio_mix_set_listen_volume (
    McuAudioMix *self, McuMediaSession *session, gdouble volume);
gboolean mcu_audio_mix_get_talking (
    McuAudioMix *self, McuMediaSession *session);
/* (nullable) (transfer none) */
McuMediaSession *mcu_audio_mix_get_active_speaker (McuAudioMix *self);
guint mcu_audio_mix_get_n_sessions (McuAudioMix *self);
/* How often the room's own elements failed and were rebuilt. */
guint mcu_audio_mix_get_n_rebuilds (McuAudioMix *self);
/* (transfer none) The room's mcumixminus (for tests and diagnostics; it
 * changes with every rebuild). */
GstElement *mcu_audio_mix_get_mixer (McuAudioMix *self);
/* A tap on the full mix (everyone, no mix-minus: what a recording
 * hears), from now until removed, across rebuilds of the room's
 * elements (see mcu-mix-tap.h). Main thread. */
guint mcu_audio_mix_add_tap (McuAudioMix *self, McuMixTapFunc func,
    gpointer data, GDestroyNotify destroy);
void mcu_audio_mix_remove_tap (McuAudioMix *self, guint id);
/* ----- prompts (played by the room's mixer, on its clock) -----
 * Files: WAV, PCM 16 bit 48 kHz mono/stereo (see mcu-prompt-cache.h),
 * decoded once. At most MCU_AUDIO_MIX_MAX_PROMPTS play at once in a room
 * (MCU_MIXER_ERROR_LIMIT beyond). Signal (main thread):
 * "prompt-done" (guint prompt_id, gboolean completed): the prompt ended;
 * completed is FALSE when it was stopped, its participant left, or the
 * room's media was rebuilt under it (looping prompts are restarted by a
 * rebuild instead). Emitted from the main loop, never from inside a call
 * of this API. A deaf session (mcu_media_session_set_deaf) hears nothing,
 * its prompts included. Prompts aim at a session's output: they play
 * whether or not its own audio flows. */
typedef enum
{
  MCU_PROMPT_NONE = 0,
  MCU_PROMPT_LOOP = 1 << 0,     /* start over after the last file (music) */
  MCU_PROMPT_KEEP_MIX = 1 << 1, /* over the participant's mix; stays in it */
} McuPromptFlags;

#define MCU_AUDIO_MIX_MAX_PROMPTS 64

/* Plays @files (NULL-terminated, at least one) in sequence to @session
 * only. Without MCU_PROMPT_KEEP_MIX, @session hears only the prompt and
 * is out of everyone else's mix while it plays; with it, the prompt is
 * mixed over what @session hears (-6 dB) and nothing else changes.
 * Returns the prompt id (> 0), or 0 with @error. */
guint mcu_audio_mix_play_to (McuAudioMix *self, McuMediaSession *session,
    const gchar *const *files, McuPromptFlags flags, GError **error);
/* Plays @files to everyone in the room (and the full mix), at -6 dB over
 * the conversation. Returns the prompt id (> 0), or 0 with @error. */
guint mcu_audio_mix_announce (
    McuAudioMix *self, const gchar *const *files, GError **error);
/* Stops a playing prompt (a 5 ms fade); "prompt-done" follows with
 * completed FALSE. Unknown or finished ids are ignored. */
void mcu_audio_mix_stop_prompt (McuAudioMix *self, guint prompt_id);
/* How many prompts play in the room now. */
guint mcu_audio_mix_get_n_prompts (McuAudioMix *self);

/* Stops the pipeline (all sessions must have been removed). */
void mcu_audio_mix_stop (McuAudioMix *self);

G_END_DECLS
