/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuMixPool (see mcu-mix-pool.h).
 *
 * A run is a Job on the heap, shared by reference between the caller and
 * the workers it woke: `next` (atomic) hands out the items, `done` (under
 * the job's lock) counts the finished ones and the caller waits until it
 * reaches n. A worker that picks a job up late (the pool was busy) finds
 * no item left and only drops its reference; the caller never waits for a
 * worker, only for items, so a run is never slower than the caller doing
 * everything alone plus one wake-up.
 *
 * Threads: n_workers threads named "mcu-mix-pool" (started in new, joined
 * in finalize), each popping jobs from `queue`, and the callers of run. Locks:
 * each Job's `lock`, held only to count and signal, never while running an
 * item.
 *
 * Priority: a mixer's thread runs at MCU_THREAD_NICE_AUDIO and waits for
 * its run's items; a worker at the default would make it wait on a thread
 * every busy process on the machine outranks (priority inversion), so the
 * workers run at the mixers' priority (best effort, mcu-thread-priority.h).
 * They only ever run items of a mixer's run. */
#include "mcu-mix-pool.h"
#include "mcu-thread-priority.h"

#include <stdatomic.h>
#include <time.h>

struct _McuMixPool
{
  GObject parent_instance;

  guint n_workers;    /* set in new, read-only afterwards */
  GThread **threads;  /* n_workers of them */
  GAsyncQueue *queue; /* Job *, or the pool itself: quit */
  /* bumped by the workers, read by any: a C11 atomic, 64-bit on every
   * build (g_atomic_pointer_* is 32-bit on 32-bit builds: it wrapped) */
  atomic_uint_least64_t n_helped;
  McuThreadPriority *priority; /* the workers': set in new */
};

G_DEFINE_FINAL_TYPE (McuMixPool, mcu_mix_pool, G_TYPE_OBJECT)

typedef struct
{
  gint ref;  /* atomic */
  gint next; /* atomic: the next item to take */
  guint n;
  McuMixPoolFunc func;
  gpointer data;
  GMutex lock;
  GCond cond;
  guint done;     /* with lock */
  guint64 cpu_ns; /* with lock: the workers' CPU time on it */
} Job;

static void
job_unref (Job *job)
{
  if (!g_atomic_int_dec_and_test (&job->ref))
    return;
  g_mutex_clear (&job->lock);
  g_cond_clear (&job->cond);
  g_free (job);
}

/* Runs items until none is left; returns how many it ran. */
static guint
job_work (Job *job)
{
  guint ran = 0;

  for (;;) {
    guint i = (guint)g_atomic_int_add (&job->next, 1);

    if (i >= job->n)
      return ran;
    job->func (i, job->data);
    ran++;
  }
}

static void
job_finish (Job *job, guint ran, guint64 cpu_ns)
{
  if (ran == 0)
    return;
  g_mutex_lock (&job->lock);
  job->done += ran;
  job->cpu_ns += cpu_ns;
  if (job->done == job->n)
    g_cond_signal (&job->cond);
  g_mutex_unlock (&job->lock);
}

/* A worker thread. */
static gpointer
worker (gpointer data)
{
  McuMixPool *self = data;
  gpointer item;

  mcu_thread_priority_enter (self->priority);
  while ((item = g_async_queue_pop (self->queue)) != self) {
    Job *job = item;
    guint64 start = mcu_mix_pool_thread_time ();
    guint ran = job_work (job);

    if (ran > 0)
      /* (relaxed: a statistic, it orders nothing else) */
      atomic_fetch_add_explicit (&self->n_helped, ran, memory_order_relaxed);
    job_finish (job, ran, mcu_mix_pool_thread_time () - start);
    job_unref (job);
  }
  mcu_thread_priority_leave (self->priority);
  return NULL;
}

static void
mcu_mix_pool_finalize (GObject *object)
{
  McuMixPool *self = MCU_MIX_POOL (object);

  /* No run is in progress (a caller of run holds a reference on its
   * owner): the queue holds at most finished jobs, which the workers drop
   * before they see their quit. */
  for (guint i = 0; i < self->n_workers; i++)
    g_async_queue_push (self->queue, self);
  for (guint i = 0; i < self->n_workers; i++)
    g_thread_join (self->threads[i]);
  g_free (self->threads);
  g_async_queue_unref (self->queue);
  g_object_unref (self->priority);
  G_OBJECT_CLASS (mcu_mix_pool_parent_class)->finalize (object);
}

static void
mcu_mix_pool_class_init (McuMixPoolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mcu_mix_pool_finalize;
}

static void
mcu_mix_pool_init (McuMixPool *self)
{
  atomic_init (&self->n_helped, 0);
}

McuMixPool *
mcu_mix_pool_new (guint n_workers)
{
  McuMixPool *self = g_object_new (MCU_TYPE_MIX_POOL, NULL);

  if (n_workers == 0)
    n_workers = g_get_num_processors () - 1;
  self->n_workers = MIN (n_workers, MCU_MIX_POOL_MAX_WORKERS);
  self->queue = g_async_queue_new ();
  self->priority =
      mcu_thread_priority_new ("the mix pool's workers", MCU_THREAD_NICE_AUDIO);
  self->threads = g_new0 (GThread *, self->n_workers + 1);
  /* the threads start now and stay, none per run */
  for (guint i = 0; i < self->n_workers; i++)
    self->threads[i] = g_thread_new ("mcu-mix-pool", worker, self);
  return self;
}

guint
mcu_mix_pool_get_n_workers (McuMixPool *self)
{
  g_return_val_if_fail (MCU_IS_MIX_POOL (self), 0);
  return self->n_workers;
}

guint64
mcu_mix_pool_get_n_helped (McuMixPool *self)
{
  g_return_val_if_fail (MCU_IS_MIX_POOL (self), 0);
  return atomic_load_explicit (&self->n_helped, memory_order_relaxed);
}

guint64
mcu_mix_pool_thread_time (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return 0;
  return (guint64)ts.tv_sec * G_GUINT64_CONSTANT (1000000000) +
         (guint64)ts.tv_nsec;
}

guint64
mcu_mix_pool_run (
    McuMixPool *self, guint n_items, McuMixPoolFunc func, gpointer data)
{
  Job *job;
  guint helpers;
  guint ran;
  guint64 cpu_ns;

  g_return_val_if_fail (MCU_IS_MIX_POOL (self), 0);
  g_return_val_if_fail (func != NULL, 0);

  helpers = MIN (self->n_workers, n_items > 0 ? n_items - 1 : 0);
  if (helpers == 0) {
    for (guint i = 0; i < n_items; i++)
      func (i, data);
    return 0;
  }

  job = g_new0 (Job, 1);
  job->ref = 1 + (gint)helpers;
  job->n = n_items;
  job->func = func;
  job->data = data;
  g_mutex_init (&job->lock);
  g_cond_init (&job->cond);
  for (guint h = 0; h < helpers; h++)
    g_async_queue_push (self->queue, job);

  ran = job_work (job);
  g_mutex_lock (&job->lock);
  job->done += ran;
  while (job->done < job->n)
    g_cond_wait (&job->cond, &job->lock);
  cpu_ns = job->cpu_ns;
  g_mutex_unlock (&job->lock);
  job_unref (job);
  return cpu_ns;
}
