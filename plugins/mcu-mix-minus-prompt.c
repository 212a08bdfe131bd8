/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: prompts inside mcumixminus (see mcu-mix-minus.h): audio held in
 * memory, mixed frame by frame by the aggregator task, so a prompt follows
 * the room's clock exactly: no second source, no thread, no gap.
 *
 * Threads and locks: the prompt list is shared with the application thread
 * (add, stop) and release_pad, under the element's object lock; the
 * aggregator task renders the prompts under that lock too (a few thousand
 * multiply-adds per frame, no push and no allocation but the first). The
 * pad fields (exclusive_serial, prompt[], mix_gain) and the scratch sum
 * belong to the aggregator task. Messages are posted after the lock is
 * dropped. */
#include "mcu-mix-minus-private.h"

#include <string.h>

/* Fades: in at the start, out at the natural end and after a stop. */
#define FADE_SAMPLES 240 /* 5 ms */

typedef struct
{
  guint id;
  McuMixMinusPad *target; /* (nullable): everyone */
  GBytes **parts;
  guint n_parts;
  McuMixMinusPromptFlags flags;
  gfloat gain;

  guint part;       /* playing parts[part] */
  gsize pos;        /* next sample in it */
  guint64 played;   /* samples played since the start */
  gboolean stopped; /* fading out */
  guint fade_left;  /* samples of the stop fade left */
} McuMixMinusPrompt;

static void
prompt_free (gpointer data)
{
  McuMixMinusPrompt *p = data;

  for (guint i = 0; i < p->n_parts; i++)
    g_bytes_unref (p->parts[i]);
  g_free (p->parts);
  gst_clear_object (&p->target);
  g_free (p);
}

void
mcu_mix_minus_prompts_init (McuMixMinusPrompts *prompts)
{
  prompts->list = g_ptr_array_new_with_free_func (prompt_free);
  prompts->scratch = NULL;
  prompts->scratch_capacity = 0;
}

void
mcu_mix_minus_prompts_clear (McuMixMinusPrompts *prompts)
{
  g_clear_pointer (&prompts->list, g_ptr_array_unref);
  g_clear_pointer (&prompts->scratch, g_free);
  prompts->scratch_capacity = 0;
}

void
mcu_mix_minus_prompts_add (McuMixMinusPrompts *prompts, guint id,
    McuMixMinusPad *target, GBytes *const *parts, guint n_parts,
    McuMixMinusPromptFlags flags, gdouble volume)
{
  McuMixMinusPrompt *p = g_new0 (McuMixMinusPrompt, 1);

  p->id = id;
  p->target = target ? gst_object_ref (target) : NULL;
  p->parts = g_new (GBytes *, MAX (n_parts, 1));
  for (guint i = 0; i < n_parts; i++)
    p->parts[i] = g_bytes_ref (parts[i]);
  p->n_parts = n_parts;
  p->flags = flags;
  p->gain = (gfloat)CLAMP (volume, 0.0, 10.0);
  g_ptr_array_add (prompts->list, p);
}

void
mcu_mix_minus_prompts_stop (McuMixMinusPrompts *prompts, guint id)
{
  for (guint i = 0; i < prompts->list->len; i++) {
    McuMixMinusPrompt *p = g_ptr_array_index (prompts->list, i);

    if (p->id == id && !p->stopped) {
      p->stopped = TRUE;
      p->fade_left = FADE_SAMPLES;
    }
  }
}

void
mcu_mix_minus_prompts_drop_target (
    McuMixMinusPrompts *prompts, McuMixMinusPad *pad)
{
  for (guint i = prompts->list->len; i > 0; i--) {
    McuMixMinusPrompt *p = g_ptr_array_index (prompts->list, i - 1);

    if (p->target == pad)
      g_ptr_array_remove_index (prompts->list, i - 1);
  }
}

void
mcu_mix_minus_prompts_begin_frame (McuMixMinusPrompts *prompts, guint64 serial)
{
  for (guint i = 0; i < prompts->list->len; i++) {
    McuMixMinusPrompt *p = g_ptr_array_index (prompts->list, i);

    if (p->target != NULL && !(p->flags & MCU_MIX_MINUS_PROMPT_KEEP_MIX))
      p->target->exclusive_serial = serial;
  }
}

static gint32 *
pad_prompt_buffer (McuMixMinusPad *pad, guint64 serial, guint n)
{
  if (pad->prompt_serial != serial) {
    if (n > pad->prompt_capacity) {
      g_free (pad->prompt);
      pad->prompt = g_new (gint32, n);
      pad->prompt_capacity = n;
    }
    memset (pad->prompt, 0, n * sizeof (gint32));
    pad->prompt_serial = serial;
  }
  return pad->prompt;
}

/* Skips finished (or empty) parts; FALSE when the prompt is over. */
static gboolean
prompt_seek_data (McuMixMinusPrompt *p)
{
  guint skipped = 0;

  while (p->pos >= g_bytes_get_size (p->parts[p->part]) / sizeof (gint16)) {
    p->pos = 0;
    p->part++;
    if (p->part >= p->n_parts) {
      if (!(p->flags & MCU_MIX_MINUS_PROMPT_LOOP))
        return FALSE;
      p->part = 0;
    }
    /* a loop of empty parts never ends: give up after one round */
    if (++skipped > p->n_parts)
      return FALSE;
  }
  return TRUE;
}

/* Samples left before the natural end (G_MAXUINT64 when looping). */
static guint64
prompt_remaining (const McuMixMinusPrompt *p)
{
  guint64 left = 0;

  if (p->flags & MCU_MIX_MINUS_PROMPT_LOOP)
    return G_MAXUINT64;
  for (guint i = p->part; i < p->n_parts; i++)
    left += g_bytes_get_size (p->parts[i]) / sizeof (gint16);
  return left - p->pos;
}

/* Adds @n samples of @p into @out. Returns FALSE when @p ended. */
static gboolean
prompt_render (McuMixMinusPrompt *p, gint32 *out, guint n, gboolean *signal)
{
  guint64 remaining = prompt_remaining (p);

  for (guint i = 0; i < n; i++) {
    const gint16 *data;
    gfloat env = p->gain;
    gint32 v;

    if (p->n_parts == 0 || !prompt_seek_data (p))
      return FALSE;
    if (p->stopped) {
      if (p->fade_left == 0)
        return FALSE;
      env *= (gfloat)p->fade_left-- / FADE_SAMPLES;
    }
    if (p->played < FADE_SAMPLES)
      env *= (gfloat)p->played / FADE_SAMPLES;
    if (remaining < FADE_SAMPLES)
      env *= (gfloat)remaining / FADE_SAMPLES;
    data = g_bytes_get_data (p->parts[p->part], NULL);
    v = (gint32)(data[p->pos] * env);
    out[i] += v;
    if (v != 0)
      *signal = TRUE;
    p->pos++;
    p->played++;
    if (remaining != G_MAXUINT64)
      remaining--;
  }
  /* ended exactly at the end of the frame */
  if (p->stopped && p->fade_left == 0)
    return FALSE;
  return p->n_parts > 0 && prompt_seek_data (p);
}

typedef struct
{
  guint id;
  gboolean completed;
} Done;

gboolean
mcu_mix_minus_prompts_render (McuMixMinusPrompts *prompts, GstElement *element,
    guint64 serial, gint32 *sum, guint n)
{
  g_autoptr (GArray) done = g_array_new (FALSE, FALSE, sizeof (Done));
  gboolean room_signal = FALSE;

  GST_OBJECT_LOCK (element);
  for (guint i = prompts->list->len; i > 0; i--) {
    McuMixMinusPrompt *p = g_ptr_array_index (prompts->list, i - 1);
    gboolean target_signal = FALSE;
    gint32 *out = p->target ? pad_prompt_buffer (p->target, serial, n) : sum;
    gboolean more =
        prompt_render (p, out, n, p->target ? &target_signal : &room_signal);

    if (!more) {
      Done d = { p->id, !p->stopped };

      g_array_append_val (done, d);
      g_ptr_array_remove_index (prompts->list, i - 1);
    }
  }
  GST_OBJECT_UNLOCK (element);

  for (guint i = 0; i < done->len; i++) {
    Done *d = &g_array_index (done, Done, i);

    gst_element_post_message (element,
        gst_message_new_element (GST_OBJECT (element),
            gst_structure_new ("mcu-prompt-done", "id", G_TYPE_UINT, d->id,
                "completed", G_TYPE_BOOLEAN, d->completed, NULL)));
  }
  return room_signal;
}

gboolean
mcu_mix_minus_prompts_owns_output (McuMixMinusPad *pad, guint64 serial)
{
  return pad->prompt_serial == serial || pad->exclusive_serial == serial ||
         pad->mix_gain != 1.0f;
}

GstBuffer *
mcu_mix_minus_prompts_render_output (McuMixMinusPrompts *prompts,
    McuMixMinusPad *pad, const gint32 *sum, GstBuffer *mix, guint n,
    guint64 serial)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, n * sizeof (gint16), NULL);
  gfloat from = pad->mix_gain;
  gfloat to = pad->exclusive_serial == serial ? 0.0f : 1.0f;
  gboolean minus = pad->contributes && pad->frame_serial == serial;
  gint32 *scratch;
  GstMapInfo map;

  if (n > prompts->scratch_capacity) {
    g_free (prompts->scratch);
    prompts->scratch = g_new (gint32, n);
    prompts->scratch_capacity = n;
  }
  scratch = prompts->scratch;
  for (guint i = 0; i < n; i++) {
    gfloat g = from + (to - from) * (gfloat)(i + 1) / (gfloat)n;
    gint32 base = minus ? sum[i] - pad->own[i] : sum[i];

    scratch[i] = (from == to && to == 1.0f) ? base : (gint32)(base * g);
  }
  if (pad->prompt_serial == serial)
    mcu_mix_kernel_add (scratch, pad->prompt, n);
  pad->mix_gain = to;

  gst_buffer_copy_into (
      buffer, mix, GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  GST_BUFFER_FLAG_UNSET (buffer, MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX);
  GST_BUFFER_FLAG_UNSET (buffer, GST_BUFFER_FLAG_GAP);
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  mcu_mix_kernel_limit ((gint16 *)map.data, scratch, n, &pad->limiter);
  gst_buffer_unmap (buffer, &map);
  return buffer;
}

/* ----- the element's public prompt API ----- */

gboolean
mcu_mix_minus_play_prompt (McuMixMinus *self, guint id, GstPad *target,
    GBytes *const *parts, guint n_parts, McuMixMinusPromptFlags flags,
    gdouble volume)
{
  gboolean ok = TRUE;

  g_return_val_if_fail (MCU_IS_MIX_MINUS (self), FALSE);
  g_return_val_if_fail (target == NULL || MCU_IS_MIX_MINUS_PAD (target), FALSE);

  GST_OBJECT_LOCK (self);
  /* released (or not ours): it has no src_N */
  if (target != NULL && (GST_OBJECT_PARENT (target) != GST_OBJECT (self) ||
                            MCU_MIX_MINUS_PAD (target)->srcpad == NULL))
    ok = FALSE;
  else
    mcu_mix_minus_prompts_add (mcu_mix_minus_get_prompts (self), id,
        target ? MCU_MIX_MINUS_PAD (target) : NULL, parts, n_parts, flags,
        volume);
  GST_OBJECT_UNLOCK (self);
  return ok;
}

void
mcu_mix_minus_stop_prompt (McuMixMinus *self, guint id)
{
  g_return_if_fail (MCU_IS_MIX_MINUS (self));

  GST_OBJECT_LOCK (self);
  mcu_mix_minus_prompts_stop (mcu_mix_minus_get_prompts (self), id);
  GST_OBJECT_UNLOCK (self);
}
