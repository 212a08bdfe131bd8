/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuPlayout (see mcu-playout.h).
 *
 * Locks: `McuPlayout.lock` (the group and jitter-buffer maps, the load
 * counts) is taken before a worker's `lock` (its entries, their due times
 * and service flags), never the other way. Nothing is pushed and no jitter
 * buffer is called with either held, except that remove calls
 * mcu_jitter_buffer_set_scheduler (the jitter buffer's own lock) with
 * neither. The jitter buffer calls back (wake, detach) with none of its
 * locks held. Times are the system clock's (CLOCK_MONOTONIC, what every
 * pipeline here runs on: see mcu-audio-mix.c). */
#include "mcu-playout.h"
#include "mcu-thread-priority.h"

#include <gst/gst.h>
#include <time.h>

#define MAX_WORKERS 4

typedef struct _Worker Worker;

typedef enum
{
  WORKER_RUNNING,  /* scanning or servicing: sees every due time */
  WORKER_SLEEPING, /* in g_cond_wait(_until) on `cond` */
} WorkerSleep;

typedef struct
{
  McuJitterBuffer *jb; /* (owned) */
  Worker *worker;
  gconstpointer group;
  GstClockTime due;    /* NONE: nothing to do until woken */
  GstClockTime woken;  /* a wake during the service in progress */
  gboolean batched;    /* in the worker's batch: the worker frees it */
  gboolean in_service; /* being serviced right now */
  gboolean removed;    /* skipped, then freed by the worker */
} Entry;

struct _Worker
{
  McuPlayout *playout;
  guint index;
  GThread *thread;
  GMutex lock;
  GCond cond;          /* work or quit */
  GCond done;          /* a service ended */
  GHashTable *entries; /* McuJitterBuffer* -> Entry* (owned) */
  gboolean quit;
  /* lock: whether the worker waits on `cond`, and until when (NONE: until
   * signalled). A wake signals `cond` only when it is due before that: a
   * worker that is not waiting scans every entry's due time (under `lock`)
   * before it waits again. GLib's g_cond_signal is a futex system call
   * whether or not anyone waits, and the mixer wakes every input's jitter
   * buffer once per frame (50,000 calls a second at 1,000 callers). */
  WorkerSleep sleep;
  GstClockTime sleep_until;
  guint done_waiters;   /* lock: removers waiting on `done` */
  guint load;           /* entries, under McuPlayout.lock */
  GstClockTime longest; /* the longest service so far (worker only) */
};

typedef struct
{
  Worker *worker;
  guint count;
} Group;

struct _McuPlayout
{
  GObject parent_instance;

  guint n_workers;
  Worker workers[MAX_WORKERS];
  GMutex lock;
  GHashTable *groups;          /* group -> Group* (owned) */
  GHashTable *by_jb;           /* McuJitterBuffer* -> Entry* */
  McuThreadPriority *priority; /* the workers': set in init */
};

G_DEFINE_FINAL_TYPE (McuPlayout, mcu_playout, G_TYPE_OBJECT)

static GstClockTime
clock_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return GST_TIMESPEC_TO_TIME (ts);
}

static void
entry_free (Entry *e)
{
  gst_object_unref (e->jb);
  g_free (e);
}

/* ---- the worker ---- */

/* A service that took long (a push that waited downstream) holds up every
 * jitter buffer of the worker: the longest so far is logged from 20 ms on
 * (the meeting bench reads it). */
static void
note_service (Worker *w, GstClockTime started)
{
  GstClockTime took = clock_now () - started;

  if (took <= w->longest)
    return;
  w->longest = took;
  if (took >= 20 * GST_MSECOND)
    g_message ("playout worker %u: longest service so far %.1f ms", w->index,
        (gdouble)took / GST_MSECOND);
}

static gpointer
worker_main (gpointer data)
{
  Worker *w = data;
  g_autoptr (GPtrArray) batch = g_ptr_array_new ();
  g_autoptr (GPtrArray) dead = g_ptr_array_new ();

  /* The workers decode every caller's audio for the rooms' mixing threads,
   * and run at their priority (MCU_THREAD_NICE_AUDIO): at the default one, a
   * busy machine held a worker for up to 100 ms while the mixer went on, its
   * callers' audio came late for their frames and the mixer moved them later
   * (up to 80 ms, for seconds at a time). They are a fixed few, never one
   * per caller. Best effort (mcu-thread-priority.h). */
  mcu_thread_priority_enter (w->playout->priority);
  g_mutex_lock (&w->lock);
  while (!w->quit) {
    GstClockTime now = clock_now ();
    GstClockTime earliest = GST_CLOCK_TIME_NONE;
    GHashTableIter iter;
    Entry *e;

    g_hash_table_iter_init (&iter, w->entries);
    while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&e)) {
      if (!GST_CLOCK_TIME_IS_VALID (e->due))
        continue;
      if (e->due <= now) {
        e->batched = TRUE;
        e->woken = e->due = GST_CLOCK_TIME_NONE;
        g_ptr_array_add (batch, e);
      } else if (!GST_CLOCK_TIME_IS_VALID (earliest) || e->due < earliest) {
        earliest = e->due;
      }
    }
    if (batch->len == 0) {
      w->sleep = WORKER_SLEEPING;
      w->sleep_until = earliest;
      if (GST_CLOCK_TIME_IS_VALID (earliest))
        g_cond_wait_until (&w->cond, &w->lock,
            (gint64)((earliest + GST_USECOND - 1) / GST_USECOND));
      else
        g_cond_wait (&w->cond, &w->lock);
      w->sleep = WORKER_RUNNING;
      continue;
    }
    /* One at a time: a removal waits only for its own jitter buffer's
     * service (another one's push may block in a mixer that waits for the
     * thread removing, e.g. on a sink prerolling in a bin going down). */
    for (guint i = 0; i < batch->len; i++) {
      GstClockTime next;

      e = g_ptr_array_index (batch, i);
      if (e->removed)
        continue;
      e->in_service = TRUE;
      g_mutex_unlock (&w->lock);
      now = clock_now ();
      next = mcu_jitter_buffer_service (e->jb, now);
      note_service (w, now);
      g_mutex_lock (&w->lock);
      e->in_service = FALSE;
      /* due stayed NONE while in service: a wake landed in woken */
      e->due = next;
      if (GST_CLOCK_TIME_IS_VALID (e->woken) &&
          (!GST_CLOCK_TIME_IS_VALID (e->due) || e->woken < e->due))
        e->due = e->woken;
      if (w->done_waiters > 0)
        g_cond_broadcast (&w->done);
    }
    for (guint i = 0; i < batch->len; i++) {
      e = g_ptr_array_index (batch, i);
      e->batched = FALSE;
      if (e->removed)
        g_ptr_array_add (dead, e);
    }
    g_ptr_array_set_size (batch, 0);
    if (dead->len) {
      g_mutex_unlock (&w->lock);
      for (guint i = 0; i < dead->len; i++)
        entry_free (g_ptr_array_index (dead, i));
      g_ptr_array_set_size (dead, 0);
      g_mutex_lock (&w->lock);
    }
  }
  g_mutex_unlock (&w->lock);
  mcu_thread_priority_leave (w->playout->priority);
  return NULL;
}

/* McuJitterBufferWakeFunc: a packet due before the next service. */
static void
on_wake (McuJitterBuffer *jb, GstClockTime due, gpointer data)
{
  Worker *w = data;
  Entry *e;

  g_mutex_lock (&w->lock);
  e = g_hash_table_lookup (w->entries, jb);
  if (e && e->in_service) {
    if (!GST_CLOCK_TIME_IS_VALID (e->woken) || due < e->woken)
      e->woken = due;
  } else if (e && (!GST_CLOCK_TIME_IS_VALID (e->due) || due < e->due)) {
    e->due = due;
    if (w->sleep == WORKER_SLEEPING &&
        (!GST_CLOCK_TIME_IS_VALID (w->sleep_until) || due < w->sleep_until)) {
      w->sleep_until = due; /* (later wakes need no signal of their own) */
      g_cond_signal (&w->cond);
    }
  }
  g_mutex_unlock (&w->lock);
}

/* McuJitterBufferDetachFunc: the jitter buffer stops. */
static void
on_detach (McuJitterBuffer *jb, gpointer data)
{
  Worker *w = data;

  mcu_playout_remove (w->playout, jb);
}

/* ---- the object ---- */

static void
mcu_playout_dispose (GObject *object)
{
  McuPlayout *self = MCU_PLAYOUT (object);

  for (guint i = 0; i < self->n_workers; i++) {
    Worker *w = &self->workers[i];

    if (w->thread == NULL)
      continue;
    g_mutex_lock (&w->lock);
    w->quit = TRUE;
    g_cond_signal (&w->cond);
    g_mutex_unlock (&w->lock);
    g_thread_join (w->thread);
    w->thread = NULL;
  }
  if (self->by_jb) {
    GHashTableIter iter;
    McuJitterBuffer *jb;

    g_hash_table_iter_init (&iter, self->by_jb);
    while (g_hash_table_iter_next (&iter, (gpointer *)&jb, NULL))
      mcu_jitter_buffer_set_scheduler (jb, NULL, NULL, NULL);
    g_hash_table_remove_all (self->by_jb);
  }
  for (guint i = 0; i < self->n_workers; i++)
    if (self->workers[i].entries)
      g_hash_table_remove_all (self->workers[i].entries);
  G_OBJECT_CLASS (mcu_playout_parent_class)->dispose (object);
}

static void
mcu_playout_finalize (GObject *object)
{
  McuPlayout *self = MCU_PLAYOUT (object);

  for (guint i = 0; i < self->n_workers; i++) {
    Worker *w = &self->workers[i];

    g_clear_pointer (&w->entries, g_hash_table_unref);
    g_mutex_clear (&w->lock);
    g_cond_clear (&w->cond);
    g_cond_clear (&w->done);
  }
  g_clear_pointer (&self->groups, g_hash_table_unref);
  g_clear_pointer (&self->by_jb, g_hash_table_unref);
  g_mutex_clear (&self->lock);
  g_object_unref (self->priority);
  G_OBJECT_CLASS (mcu_playout_parent_class)->finalize (object);
}

static void
mcu_playout_class_init (McuPlayoutClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = mcu_playout_dispose;
  G_OBJECT_CLASS (klass)->finalize = mcu_playout_finalize;
}

static void
mcu_playout_init (McuPlayout *self)
{
  g_mutex_init (&self->lock);
  self->groups = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->by_jb = g_hash_table_new (NULL, NULL);
  self->priority =
      mcu_thread_priority_new ("the playout workers", MCU_THREAD_NICE_AUDIO);
}

McuPlayout *
mcu_playout_new (guint n_workers)
{
  McuPlayout *self = g_object_new (MCU_TYPE_PLAYOUT, NULL);

  if (n_workers == 0)
    n_workers = g_get_num_processors ();
  self->n_workers = CLAMP (n_workers, 1, MAX_WORKERS);
  for (guint i = 0; i < self->n_workers; i++) {
    Worker *w = &self->workers[i];
    g_autofree gchar *name = g_strdup_printf ("mcu-playout-%u", i);

    w->playout = self;
    w->index = i;
    g_mutex_init (&w->lock);
    g_cond_init (&w->cond);
    g_cond_init (&w->done);
    w->entries =
        g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify)entry_free);
    w->thread = g_thread_new (name, worker_main, w);
  }
  return self;
}

guint
mcu_playout_get_n_workers (McuPlayout *self)
{
  return self->n_workers;
}

guint
mcu_playout_get_n_buffers (McuPlayout *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = g_hash_table_size (self->by_jb);
  g_mutex_unlock (&self->lock);
  return n;
}

/* The worker for @group (playout lock held). */
static Worker *
pick_worker (McuPlayout *self, gconstpointer group)
{
  Group *g = group ? g_hash_table_lookup (self->groups, group) : NULL;
  Worker *best = &self->workers[0];

  if (g) {
    g->count++;
    return g->worker;
  }
  for (guint i = 1; i < self->n_workers; i++)
    if (self->workers[i].load < best->load)
      best = &self->workers[i];
  if (group) {
    g = g_new0 (Group, 1);
    g->worker = best;
    g->count = 1;
    g_hash_table_insert (self->groups, (gpointer)group, g);
  }
  return best;
}

gboolean
mcu_playout_add (McuPlayout *self, McuJitterBuffer *jb, gconstpointer group)
{
  Entry *e;

  g_return_val_if_fail (MCU_IS_PLAYOUT (self), FALSE);
  g_return_val_if_fail (MCU_IS_JITTER_BUFFER (jb), FALSE);
  g_mutex_lock (&self->lock);
  if (g_hash_table_contains (self->by_jb, jb)) {
    g_mutex_unlock (&self->lock);
    return TRUE;
  }
  e = g_new0 (Entry, 1);
  e->jb = gst_object_ref (jb);
  e->group = group;
  e->worker = pick_worker (self, group);
  e->due = e->woken = GST_CLOCK_TIME_NONE;
  e->worker->load++;
  g_hash_table_insert (self->by_jb, jb, e);
  g_mutex_lock (&e->worker->lock);
  g_hash_table_insert (e->worker->entries, jb, e);
  g_mutex_unlock (&e->worker->lock);
  g_mutex_unlock (&self->lock);
  /* After the entry exists: a detach (the element stopping) may come as
   * soon as this is set. Refused, the element stopped before: its entry
   * goes again (due is NONE, no worker took it). */
  if (!mcu_jitter_buffer_set_scheduler (jb, on_wake, on_detach, e->worker)) {
    mcu_playout_remove (self, jb);
    return FALSE;
  }
  return TRUE;
}

void
mcu_playout_remove (McuPlayout *self, McuJitterBuffer *jb)
{
  Entry *e;
  Worker *w;
  Group *g;

  g_return_if_fail (MCU_IS_PLAYOUT (self));
  g_mutex_lock (&self->lock);
  e = g_hash_table_lookup (self->by_jb, jb);
  if (e == NULL) {
    g_mutex_unlock (&self->lock);
    return;
  }
  g_hash_table_remove (self->by_jb, jb);
  w = e->worker;
  w->load--;
  if (e->group && (g = g_hash_table_lookup (self->groups, e->group)) &&
      --g->count == 0)
    g_hash_table_remove (self->groups, e->group);
  g_mutex_unlock (&self->lock);

  mcu_jitter_buffer_set_scheduler (jb, NULL, NULL, NULL);
  g_mutex_lock (&w->lock);
  g_hash_table_steal (w->entries, jb);
  /* from inside its own service (a worker): no waiting for itself */
  if (g_thread_self () != w->thread) {
    w->done_waiters++;
    while (e->in_service)
      g_cond_wait (&w->done, &w->lock);
    w->done_waiters--;
  }
  if (e->batched) {
    e->removed = TRUE; /* the worker frees it after its batch */
    g_mutex_unlock (&w->lock);
    return;
  }
  g_mutex_unlock (&w->lock);
  entry_free (e);
}
