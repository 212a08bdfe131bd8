/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a room's prompts (see "Prompts" in mcu-audio-mix.c's design note):
 * played by mcumixminus from samples decoded once (McuPromptCache); the
 * room keeps each playing prompt (MixPrompt) to report its end
 * ("prompt-done") and to restart looping ones after a rebuild. Main thread
 * only. */
#include "mcu-audio-mix-private.h"
#include "mcu-mix-minus.h"

/* Prompt levels: alone (it replaces the mix) and over a mix. */
#define PROMPT_ALONE_VOLUME    1.0
#define PROMPT_OVER_MIX_VOLUME 0.5 /* -6 dB */

void
mcu_audio_mix_prompt_free (gpointer data)
{
  MixPrompt *p = data;

  g_clear_object (&p->session);
  g_ptr_array_unref (p->parts);
  g_free (p);
}

static gboolean
on_prompts_ended (gpointer user_data)
{
  McuAudioMix *self = user_data;
  g_autoptr (GArray) ended = self->prompts_ended;

  self->ended_idle = 0;
  self->prompts_ended = g_array_new (FALSE, FALSE, sizeof (guint));
  g_object_ref (self);
  for (guint i = 0; i < ended->len; i++)
    g_signal_emit_by_name (
        self, "prompt-done", g_array_index (ended, guint, i), FALSE);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* Ends prompt @id here (stopped, participant gone, rebuilt): "prompt-done"
 * (completed FALSE) follows from the main loop. */
static void
prompt_end_later (McuAudioMix *self, guint id)
{
  if (!g_hash_table_remove (self->prompts, GUINT_TO_POINTER (id)))
    return;
  g_array_append_val (self->prompts_ended, id);
  if (self->ended_idle == 0)
    self->ended_idle = g_idle_add (on_prompts_ended, self);
}

void
mcu_audio_mix_on_prompt_done (McuAudioMix *self, const GstStructure *s)
{
  guint id = 0;
  gboolean completed = FALSE;

  if (!gst_structure_get_uint (s, "id", &id) ||
      !gst_structure_get_boolean (s, "completed", &completed))
    return;
  /* not ours any more: ended here already */
  if (!g_hash_table_remove (self->prompts, GUINT_TO_POINTER (id)))
    return;
  g_signal_emit_by_name (self, "prompt-done", id, completed);
}

static gboolean
prompt_start (McuAudioMix *self, MixPrompt *p)
{
  GstPad *target = NULL;
  gdouble volume = PROMPT_OVER_MIX_VOLUME;
  McuMixMinusPromptFlags flags = MCU_MIX_MINUS_PROMPT_NONE;

  if (self->mixer == NULL)
    return FALSE;
  if (p->session != NULL) {
    MixEntry *e = g_hash_table_lookup (self->sessions, p->session);

    /* its output: what it hears (its sink_N is left out of the mix by the
     * element while an exclusive prompt plays) */
    if (e == NULL || e->mixer_src == NULL)
      return FALSE;
    target = e->mixer_src;
    if (!(p->flags & MCU_PROMPT_KEEP_MIX))
      volume = PROMPT_ALONE_VOLUME;
  }
  if (p->flags & MCU_PROMPT_LOOP)
    flags |= MCU_MIX_MINUS_PROMPT_LOOP;
  if (p->flags & MCU_PROMPT_KEEP_MIX)
    flags |= MCU_MIX_MINUS_PROMPT_KEEP_MIX;
  return mcu_mix_minus_play_prompt (MCU_MIX_MINUS (self->mixer), p->id, target,
      (GBytes *const *)p->parts->pdata, p->parts->len, flags, volume);
}

void
mcu_audio_mix_prompts_end_session (McuAudioMix *self, McuMediaSession *session)
{
  g_autoptr (GList) prompts = g_hash_table_get_values (self->prompts);

  for (GList *l = prompts; l; l = l->next) {
    MixPrompt *p = l->data;

    if (p->session == session)
      prompt_end_later (self, p->id);
  }
}

/* After a rebuild: looping prompts start over in the new mixer, the others
 * end (completed FALSE). */
void
mcu_audio_mix_prompts_restart (McuAudioMix *self)
{
  g_autoptr (GList) prompts = g_hash_table_get_values (self->prompts);

  for (GList *l = prompts; l; l = l->next) {
    MixPrompt *p = l->data;

    if (!(p->flags & MCU_PROMPT_LOOP) || !prompt_start (self, p))
      prompt_end_later (self, p->id);
  }
}

static guint
prompt_play (McuAudioMix *self, McuMediaSession *session,
    const gchar *const *files, McuPromptFlags flags, GError **error)
{
  g_autoptr (GPtrArray) parts =
      g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  MixPrompt *p;

  if (files == NULL || files[0] == NULL) {
    g_set_error (
        error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PROMPT, "no prompt file given");
    return 0;
  }
  if (g_hash_table_size (self->prompts) >= MCU_AUDIO_MIX_MAX_PROMPTS) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_LIMIT,
        "room %s already plays %u prompts", self->name,
        MCU_AUDIO_MIX_MAX_PROMPTS);
    return 0;
  }
  for (guint i = 0; files[i] != NULL; i++) {
    GBytes *samples =
        mcu_prompt_cache_load (self->prompt_cache, files[i], error);

    if (samples == NULL)
      return 0;
    g_ptr_array_add (parts, samples);
  }
  p = g_new0 (MixPrompt, 1);
  do
    p->id = ++self->last_prompt_id;
  while (p->id == 0 ||
         g_hash_table_contains (self->prompts, GUINT_TO_POINTER (p->id)));
  p->session = session ? g_object_ref (session) : NULL;
  p->parts = g_steal_pointer (&parts);
  p->flags = flags;
  if (!prompt_start (self, p)) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_NO_SESSION,
        "the participant is not in room %s's mix", self->name);
    mcu_audio_mix_prompt_free (p);
    return 0;
  }
  g_hash_table_insert (self->prompts, GUINT_TO_POINTER (p->id), p);
  return p->id;
}

guint
mcu_audio_mix_play_to (McuAudioMix *self, McuMediaSession *session,
    const gchar *const *files, McuPromptFlags flags, GError **error)
{
  g_return_val_if_fail (MCU_IS_AUDIO_MIX (self), 0);
  g_return_val_if_fail (MCU_IS_MEDIA_SESSION (session), 0);

  if (!g_hash_table_contains (self->sessions, session)) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_NO_SESSION,
        "the participant is not in room %s's mix", self->name);
    return 0;
  }
  return prompt_play (self, session, files, flags, error);
}

guint
mcu_audio_mix_announce (
    McuAudioMix *self, const gchar *const *files, GError **error)
{
  g_return_val_if_fail (MCU_IS_AUDIO_MIX (self), 0);

  return prompt_play (self, NULL, files, MCU_PROMPT_NONE, error);
}

void
mcu_audio_mix_stop_prompt (McuAudioMix *self, guint prompt_id)
{
  g_return_if_fail (MCU_IS_AUDIO_MIX (self));

  if (!g_hash_table_contains (self->prompts, GUINT_TO_POINTER (prompt_id)))
    return;
  if (self->mixer)
    mcu_mix_minus_stop_prompt (MCU_MIX_MINUS (self->mixer), prompt_id);
  prompt_end_later (self, prompt_id);
}

guint
mcu_audio_mix_get_n_prompts (McuAudioMix *self)
{
  return g_hash_table_size (self->prompts);
}
