/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcumixminus's shared-frame handlers (see
 * mcu_mix_minus_set_shared_handler in mcu-mix-minus.h).
 *
 * Why: in a big room most outputs get the very same buffer, the shared
 * full mix, and each of them then goes through its own chain of elements
 * (encoder taking the group's packet, payloader, probes, sink): pad locks,
 * probes and ghost pad proxies per output per frame. The application may
 * know a shorter way for such a frame (an RTP packet made from the shared
 * encode and sent at once); the element only offers the hook and knows
 * nothing of what it does.
 *
 * Where: a handler hangs off its src_N as the pad's element_private (a pad
 * the element made, nothing else uses that field), so that a push finds it
 * without a table look-up or a lock of its own.
 *
 * Threads and locks: the handler is read and called by the thread that
 * pushes src_N (aggregator task or pool worker, mcu_mix_minus_push_output)
 * with src_N's stream lock held, and it is set, replaced and dropped with
 * that stream lock held too, so a call in progress finishes before its
 * handler's destroy runs (after the lock is let go). Order: src_N's stream
 * lock, then the element's object lock (to check that src_N is still the
 * element's), as everywhere in mcumixminus. */
#include "mcu-mix-minus.h"

#include "mcu-mix-minus-element-private.h"

typedef struct
{
  McuMixMinusSharedFunc func;
  gpointer user_data;
  GDestroyNotify destroy;
} SharedHook;

static void
hook_free (SharedHook *hook)
{
  if (hook == NULL)
    return;
  if (hook->destroy != NULL)
    hook->destroy (hook->user_data);
  g_free (hook);
}

/* Whether @srcpad is one of @self's src_N (not `src`). */
static gboolean
is_output (McuMixMinus *self, GstPad *srcpad)
{
  gboolean ours;

  GST_OBJECT_LOCK (self);
  ours = GST_OBJECT_PARENT (srcpad) == GST_OBJECT (self) &&
         GST_PAD_IS_SRC (srcpad) &&
         srcpad != GST_AGGREGATOR_SRC_PAD (GST_AGGREGATOR (self));
  GST_OBJECT_UNLOCK (self);
  return ours;
}

gboolean
mcu_mix_minus_set_shared_handler (McuMixMinus *self, GstPad *output,
    McuMixMinusSharedFunc func, gpointer user_data, GDestroyNotify destroy)
{
  SharedHook *hook = NULL, *old = NULL;
  gboolean ours;

  g_return_val_if_fail (MCU_IS_MIX_MINUS (self), FALSE);
  g_return_val_if_fail (GST_IS_PAD (output), FALSE);

  if (func != NULL) {
    hook = g_new0 (SharedHook, 1);
    hook->func = func;
    hook->user_data = user_data;
    hook->destroy = destroy;
  }
  /* Checked first without the stream lock: `src`'s is held by the
   * aggregator task for as long as it runs. */
  if (!is_output (self, output)) {
    hook_free (hook);
    return FALSE;
  }
  gst_object_ref (output);
  GST_PAD_STREAM_LOCK (output);
  /* (a release removes src_N from the element, then drops its handler:
   * one set after that must not stay behind on the removed pad) */
  ours = is_output (self, output);
  if (ours) {
    old = output->element_private;
    output->element_private = hook;
  }
  GST_PAD_STREAM_UNLOCK (output);
  gst_object_unref (output);
  hook_free (old);
  if (!ours)
    hook_free (hook);
  return ours;
}

void
mcu_mix_minus_shared_drop (GstPad *srcpad)
{
  SharedHook *old;

  GST_PAD_STREAM_LOCK (srcpad);
  old = srcpad->element_private;
  srcpad->element_private = NULL;
  GST_PAD_STREAM_UNLOCK (srcpad);
  hook_free (old);
}

gboolean
mcu_mix_minus_shared_handle (
    GstPad *srcpad, GstEvent *segment, GstBuffer *buffer)
{
  SharedHook *hook = srcpad->element_private;
  GstEvent *event;
  const GstSegment *seg;
  gboolean handled;

  if (G_LIKELY (hook == NULL) ||
      !GST_BUFFER_FLAG_IS_SET (buffer, MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX) ||
      GST_PAD_IS_FLUSHING (srcpad) || GST_PAD_IS_EOS (srcpad))
    return FALSE;
  event = segment ? gst_event_ref (segment)
                  : gst_pad_get_sticky_event (srcpad, GST_EVENT_SEGMENT, 0);
  if (event == NULL)
    return FALSE;
  gst_event_parse_segment (event, &seg);
  handled = hook->func (srcpad, buffer, seg, hook->user_data);
  gst_event_unref (event);
  return handled;
}
