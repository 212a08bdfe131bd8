/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuJitterBufferWaker (see mcu-jitter-buffer.h), the handle a full
 * downstream keeps to wake a waiting mcujitterbuffer.
 *
 * Lock: `lock` guards `jb` (not owned), cleared by the element when it is
 * finalized; a wake holds it while it calls the element, so the element
 * cannot go away under a wake in progress. Order: downstream's locks, then
 * this one, then the element's `lock`, then its scheduler's. */
#include "mcu-jitter-buffer-private.h"

struct _McuJitterBufferWaker
{
  gint ref_count;
  GMutex lock;
  McuJitterBuffer *jb; /* with lock; NULL once the element is finalized */
};

G_DEFINE_BOXED_TYPE (McuJitterBufferWaker, mcu_jitter_buffer_waker,
    mcu_jitter_buffer_waker_ref, mcu_jitter_buffer_waker_unref)

McuJitterBufferWaker *
mcu_jitter_buffer_waker_new (McuJitterBuffer *jb)
{
  McuJitterBufferWaker *waker = g_new0 (McuJitterBufferWaker, 1);

  waker->ref_count = 1;
  g_mutex_init (&waker->lock);
  waker->jb = jb;
  return waker;
}

McuJitterBufferWaker *
mcu_jitter_buffer_waker_ref (McuJitterBufferWaker *waker)
{
  g_return_val_if_fail (waker != NULL, NULL);
  g_atomic_int_inc (&waker->ref_count);
  return waker;
}

void
mcu_jitter_buffer_waker_unref (McuJitterBufferWaker *waker)
{
  g_return_if_fail (waker != NULL);
  if (!g_atomic_int_dec_and_test (&waker->ref_count))
    return;
  g_mutex_clear (&waker->lock);
  g_free (waker);
}

void
mcu_jitter_buffer_waker_wake (McuJitterBufferWaker *waker)
{
  g_return_if_fail (waker != NULL);
  g_mutex_lock (&waker->lock);
  if (waker->jb)
    mcu_jitter_buffer_grant (waker->jb);
  g_mutex_unlock (&waker->lock);
}

void
mcu_jitter_buffer_waker_detach (McuJitterBufferWaker *waker)
{
  g_mutex_lock (&waker->lock);
  waker->jb = NULL;
  g_mutex_unlock (&waker->lock);
}
