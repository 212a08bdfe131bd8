/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuJitterBufferAsker (see mcu-jitter-buffer.h), downstream's direct
 * line for MCU_JITTER_BUFFER_CAN_TAKE.
 *
 * It holds a weak reference on its object (the answering pad): an asker
 * kept by a jitter buffer never keeps a released pad alive, and an asker
 * whose object went answers MCU_JITTER_BUFFER_ASK_STALE. Immutable after
 * creation (a GAtomicRcBox): any thread. */
#include "mcu-jitter-buffer.h"

struct _McuJitterBufferAsker
{
  GWeakRef object;
  McuJitterBufferAskFunc func;
};

G_DEFINE_BOXED_TYPE (McuJitterBufferAsker, mcu_jitter_buffer_asker,
    mcu_jitter_buffer_asker_ref, mcu_jitter_buffer_asker_unref)

McuJitterBufferAsker *
mcu_jitter_buffer_asker_new (GObject *object, McuJitterBufferAskFunc func)
{
  McuJitterBufferAsker *asker;

  g_return_val_if_fail (G_IS_OBJECT (object) && func != NULL, NULL);
  asker = g_atomic_rc_box_new0 (McuJitterBufferAsker);
  g_weak_ref_init (&asker->object, object);
  asker->func = func;
  return asker;
}

McuJitterBufferAsker *
mcu_jitter_buffer_asker_ref (McuJitterBufferAsker *asker)
{
  g_return_val_if_fail (asker != NULL, NULL);
  return g_atomic_rc_box_acquire (asker);
}

static void
asker_clear (gpointer data)
{
  McuJitterBufferAsker *asker = data;

  g_weak_ref_clear (&asker->object);
}

void
mcu_jitter_buffer_asker_unref (McuJitterBufferAsker *asker)
{
  g_return_if_fail (asker != NULL);
  g_atomic_rc_box_release_full (asker, asker_clear);
}

McuJitterBufferAskResult
mcu_jitter_buffer_asker_ask (
    McuJitterBufferAsker *asker, McuJitterBufferWaker *waker)
{
  GObject *object;
  McuJitterBufferAskResult res;

  g_return_val_if_fail (asker != NULL, MCU_JITTER_BUFFER_ASK_STALE);
  if ((object = g_weak_ref_get (&asker->object)) == NULL)
    return MCU_JITTER_BUFFER_ASK_STALE;
  res = asker->func (object, waker);
  g_object_unref (object);
  return res;
}
