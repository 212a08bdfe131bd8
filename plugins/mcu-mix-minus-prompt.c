/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: prompts inside mcumixminus (see mcu-mix-minus.h): audio held in
 * memory, mixed frame by frame by the aggregator task, so a prompt follows
 * the room's clock exactly: no second source, no thread, no gap.
 *
 * A targeted prompt aims at an output, src_N (a sink_N given to
 * mcu_mix_minus_play_prompt stands for its src_N): what it hears is kept per
 * output (McuMixMinusPromptOut: the prompts' samples of the frame and how
 * much of its mix it hears), and the sink_N that feeds that output, if
 * any, is left out of the sum while an exclusive prompt plays.
 *
 * Threads and locks: the prompt list is shared with the application thread
 * (add, stop) and release_pad, under the element's object lock; the
 * aggregator task renders the prompts under that lock too (a few thousand
 * multiply-adds per frame, no push). The outputs' state (outs), the pads'
 * exclusive_serial and the scratch sum belong to the aggregator task.
 * Messages are posted after the lock is dropped. */
#include "mcu-mix-minus-private.h"

#include <string.h>

/* Fades: in at the start, out at the natural end and after a stop. */
#define FADE_SAMPLES 240 /* 5 ms */

typedef struct
{
  guint id;
  GstPad *target; /* (nullable): everyone; else a src_N (ref) */
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

/* What one output hears of the prompts (aggregator task only). */
typedef struct
{
  guint64 prompt_serial; /* frame that prompt[] belongs to */
  gint32 *prompt;        /* its prompts' samples in that frame */
  guint prompt_capacity;
  guint64 exclusive_serial;    /* frame in which a prompt replaces its mix */
  gfloat mix_gain;             /* how much of its mix it heard last frame */
  McuMixKernelLimiter limiter; /* when no sink_N feeds it */
} McuMixMinusPromptOut;

static void
out_free (gpointer data)
{
  McuMixMinusPromptOut *out = data;

  g_free (out->prompt);
  g_free (out);
}

static McuMixMinusPromptOut *
out_get (McuMixMinusPrompts *prompts, GstPad *srcpad)
{
  McuMixMinusPromptOut *out = g_hash_table_lookup (prompts->outs, srcpad);

  if (out == NULL) {
    out = g_new0 (McuMixMinusPromptOut, 1);
    out->mix_gain = 1.0f;
    mcu_mix_kernel_limiter_init (&out->limiter);
    g_hash_table_insert (prompts->outs, gst_object_ref (srcpad), out);
  }
  return out;
}

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
  prompts->outs = g_hash_table_new_full (
      g_direct_hash, g_direct_equal, gst_object_unref, out_free);
  prompts->scratch = NULL;
  prompts->scratch_capacity = 0;
}

void
mcu_mix_minus_prompts_clear (McuMixMinusPrompts *prompts)
{
  g_clear_pointer (&prompts->list, g_ptr_array_unref);
  g_clear_pointer (&prompts->outs, g_hash_table_unref);
  g_clear_pointer (&prompts->scratch, g_free);
  prompts->scratch_capacity = 0;
}

void
mcu_mix_minus_prompts_add (McuMixMinusPrompts *prompts, guint id,
    GstPad *target, GBytes *const *parts, guint n_parts,
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
mcu_mix_minus_prompts_drop_target (McuMixMinusPrompts *prompts, GstPad *srcpad)
{
  for (guint i = prompts->list->len; i > 0; i--) {
    McuMixMinusPrompt *p = g_ptr_array_index (prompts->list, i - 1);

    if (p->target == srcpad)
      g_ptr_array_remove_index (prompts->list, i - 1);
  }
}

void
mcu_mix_minus_prompts_begin_frame (
    McuMixMinusPrompts *prompts, GstElement *element, guint64 serial)
{
  for (guint i = 0; i < prompts->list->len; i++) {
    McuMixMinusPrompt *p = g_ptr_array_index (prompts->list, i);

    if (p->target == NULL || (p->flags & MCU_MIX_MINUS_PROMPT_KEEP_MIX))
      continue;
    out_get (prompts, p->target)->exclusive_serial = serial;
    /* the sink_N that feeds it, if any (it may come later) */
    for (GList *l = element->sinkpads; l != NULL; l = l->next) {
      McuMixMinusPad *pad = MCU_MIX_MINUS_PAD (l->data);

      if (pad->srcpad == p->target)
        pad->exclusive_serial = serial;
    }
  }
}

static gint32 *
out_prompt_buffer (McuMixMinusPromptOut *out, guint64 serial, guint n)
{
  if (out->prompt_serial != serial) {
    if (n > out->prompt_capacity) {
      g_free (out->prompt);
      out->prompt = g_new (gint32, n);
      out->prompt_capacity = n;
    }
    memset (out->prompt, 0, n * sizeof (gint32));
    out->prompt_serial = serial;
  }
  return out->prompt;
}

/* Forgets the outputs removed from the element, and those no prompt aims
 * at that hear their whole mix again and have no prompt samples left for
 * frame @serial. */
static void
outs_collect (McuMixMinusPrompts *prompts, GstElement *element, guint64 serial)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, prompts->outs);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    McuMixMinusPromptOut *out = value;
    gboolean aimed = FALSE;

    for (guint i = 0; !aimed && i < prompts->list->len; i++)
      aimed =
          ((McuMixMinusPrompt *)g_ptr_array_index (prompts->list, i))->target ==
          key;
    if (GST_OBJECT_PARENT (key) != GST_OBJECT (element) ||
        (!aimed && out->mix_gain == 1.0f && out->prompt_serial != serial))
      g_hash_table_iter_remove (&iter);
  }
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
    gint32 *out =
        p->target ? out_prompt_buffer (out_get (prompts, p->target), serial, n)
                  : sum;
    gboolean more =
        prompt_render (p, out, n, p->target ? &target_signal : &room_signal);

    if (!more) {
      Done d = { p->id, !p->stopped };

      g_array_append_val (done, d);
      g_ptr_array_remove_index (prompts->list, i - 1);
    }
  }
  outs_collect (prompts, element, serial);
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
mcu_mix_minus_prompts_owns_output (
    McuMixMinusPrompts *prompts, GstPad *srcpad, guint64 serial)
{
  McuMixMinusPromptOut *out;

  if (g_hash_table_size (prompts->outs) == 0)
    return FALSE;
  out = g_hash_table_lookup (prompts->outs, srcpad);
  return out != NULL &&
         (out->prompt_serial == serial || out->exclusive_serial == serial ||
             out->mix_gain != 1.0f);
}

GstBuffer *
mcu_mix_minus_prompts_render_output (McuMixMinusPrompts *prompts,
    GstPad *srcpad, McuMixMinusPad *pad, const gint32 *sum, GstBuffer *mix,
    guint n, guint64 serial)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, n * sizeof (gint16), NULL);
  McuMixMinusPromptOut *out = out_get (prompts, srcpad);
  gfloat from = out->mix_gain;
  gfloat to = out->exclusive_serial == serial ? 0.0f : 1.0f;
  gboolean minus = pad && pad->contributes && pad->frame_serial == serial;
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
  if (out->prompt_serial == serial)
    mcu_mix_kernel_add (scratch, out->prompt, n);
  out->mix_gain = to;

  gst_buffer_copy_into (
      buffer, mix, GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  GST_BUFFER_FLAG_UNSET (buffer, MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX);
  GST_BUFFER_FLAG_UNSET (buffer, GST_BUFFER_FLAG_GAP);
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  mcu_mix_kernel_limit (
      (gint16 *)map.data, scratch, n, pad ? &pad->limiter : &out->limiter);
  gst_buffer_unmap (buffer, &map);
  return buffer;
}

/* ----- the element's public prompt API ----- */

gboolean
mcu_mix_minus_play_prompt (McuMixMinus *self, guint id, GstPad *target,
    GBytes *const *parts, guint n_parts, McuMixMinusPromptFlags flags,
    gdouble volume)
{
  GstPad *output = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (MCU_IS_MIX_MINUS (self), FALSE);
  g_return_val_if_fail (target == NULL || GST_IS_PAD (target), FALSE);

  GST_OBJECT_LOCK (self);
  /* a sink_N stands for its src_N; `src` (everyone) is no target */
  if (target != NULL) {
    if (GST_OBJECT_PARENT (target) != GST_OBJECT (self))
      output = NULL;
    else if (MCU_IS_MIX_MINUS_PAD (target))
      output = MCU_MIX_MINUS_PAD (target)->srcpad;
    else if (GST_PAD_IS_SRC (target) &&
             target != GST_AGGREGATOR_SRC_PAD (GST_AGGREGATOR (self)))
      output = target;
    ok = output != NULL;
  }
  if (ok)
    mcu_mix_minus_prompts_add (mcu_mix_minus_get_prompts (self), id, output,
        parts, n_parts, flags, volume);
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
