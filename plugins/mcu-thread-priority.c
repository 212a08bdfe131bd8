/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuThreadPriority (see mcu-thread-priority.h).
 *
 * Locks: `lock` guards `saved` only; no call is made with it held other
 * than the hash table's. `n_denied` and `n_unrestored` are atomic: the
 * first (0 -> 1) logs, so each message appears once per object whichever
 * threads race. */
#include "mcu-thread-priority.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

struct _McuThreadPriority
{
  GObject parent_instance;

  gchar *what; /* read-only after new */
  gint nice;   /* read-only after new */
  GMutex lock;
  GHashTable *saved; /* with lock: tid -> the nice it had at enter, for
                      * the threads that were raised and not left yet */
  gint n_denied;     /* atomic */
  gint n_unrestored; /* atomic: leaves that could not set a thread back */
};

G_DEFINE_FINAL_TYPE (McuThreadPriority, mcu_thread_priority, G_TYPE_OBJECT)

static void
mcu_thread_priority_finalize (GObject *object)
{
  McuThreadPriority *self = MCU_THREAD_PRIORITY (object);

  g_free (self->what);
  g_hash_table_unref (self->saved);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (mcu_thread_priority_parent_class)->finalize (object);
}

static void
mcu_thread_priority_class_init (McuThreadPriorityClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mcu_thread_priority_finalize;
}

static void
mcu_thread_priority_init (McuThreadPriority *self)
{
  g_mutex_init (&self->lock);
  self->saved = g_hash_table_new (g_direct_hash, g_direct_equal);
}

McuThreadPriority *
mcu_thread_priority_new (const gchar *what, gint nice)
{
  McuThreadPriority *self;

  g_return_val_if_fail (what != NULL, NULL);
  g_return_val_if_fail (nice >= -20 && nice <= 19, NULL);
  self = g_object_new (MCU_TYPE_THREAD_PRIORITY, NULL);
  self->what = g_strdup (what);
  self->nice = nice;
  return self;
}

gint
mcu_thread_priority_get_nice (McuThreadPriority *self)
{
  g_return_val_if_fail (MCU_IS_THREAD_PRIORITY (self), 0);
  return self->nice;
}

guint
mcu_thread_priority_get_n_denied (McuThreadPriority *self)
{
  g_return_val_if_fail (MCU_IS_THREAD_PRIORITY (self), 0);
  return (guint)g_atomic_int_get (&self->n_denied);
}

/* The calling thread's id: a nice value is per thread on Linux, and
 * getpriority (PRIO_PROCESS, getpid ()) reads the main thread's. */
static id_t
own_tid (void)
{
  return (id_t)syscall (SYS_gettid);
}

/* The highest priority (lowest nice) an unprivileged thread may take:
 * RLIMIT_NICE's soft limit r allows down to 20 - r (r = 0: none). */
static gint
allowed_nice (void)
{
  struct rlimit lim;

  if (getrlimit (RLIMIT_NICE, &lim) != 0)
    return 20;
  if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur >= 40)
    return -20;
  return 20 - (gint)lim.rlim_cur;
}

gboolean
mcu_thread_priority_enter (McuThreadPriority *self)
{
  id_t tid = own_tid ();
  gint before, best;
  gboolean partly = FALSE;

  g_return_val_if_fail (MCU_IS_THREAD_PRIORITY (self), FALSE);
  errno = 0;
  before = getpriority (PRIO_PROCESS, tid);
  if (before == -1 && errno != 0)
    return FALSE;
  if (before <= self->nice)
    return TRUE; /* already there or above: never lowered */
  if (setpriority (PRIO_PROCESS, tid, self->nice) != 0) {
    int err = errno;

    /* As high as RLIMIT_NICE allows, if that still raises it: other
     * threads that asked less (the video's) got it, and must not outrank
     * these. */
    best = allowed_nice ();
    partly = (err == EPERM || err == EACCES) && best > self->nice &&
             best < before && setpriority (PRIO_PROCESS, tid, best) == 0;
    if (g_atomic_int_add (&self->n_denied, 1) == 0)
      g_message ("%s run at nice %d, not %d: %s; the unit's "
                 "LimitNICE=%d or CAP_SYS_NICE allows it",
          self->what, partly ? best : before, self->nice, g_strerror (err),
          self->nice);
    if (!partly)
      return FALSE;
  }
  g_mutex_lock (&self->lock);
  g_hash_table_insert (
      self->saved, GSIZE_TO_POINTER ((gsize)tid), GINT_TO_POINTER (before));
  g_mutex_unlock (&self->lock);
  return !partly;
}

void
mcu_thread_priority_leave (McuThreadPriority *self)
{
  id_t tid = own_tid ();
  gpointer key = GSIZE_TO_POINTER ((gsize)tid);
  gpointer before = NULL;
  gboolean raised;

  g_return_if_fail (MCU_IS_THREAD_PRIORITY (self));
  g_mutex_lock (&self->lock);
  raised = g_hash_table_steal_extended (self->saved, key, NULL, &before);
  g_mutex_unlock (&self->lock);
  /* not raised by us (it was above already, or could not be): its nice is
   * its own business */
  if (!raised)
    return;
  /* lowering one's own priority needs no permission */
  if (setpriority (PRIO_PROCESS, tid, GPOINTER_TO_INT (before)) != 0 &&
      g_atomic_int_add (&self->n_unrestored, 1) == 0)
    g_warning ("%s: cannot set a thread back to nice %d: %s (it returns "
               "to a shared pool raised; said once)",
        self->what, GPOINTER_TO_INT (before), g_strerror (errno));
}

void
mcu_thread_priority_handle_stream_status (
    McuThreadPriority *self, GstMessage *msg)
{
  GstStreamStatusType type;
  GstElement *owner = NULL;

  g_return_if_fail (MCU_IS_THREAD_PRIORITY (self));
  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_STREAM_STATUS)
    return;
  gst_message_parse_stream_status (msg, &type, &owner);
  if (type == GST_STREAM_STATUS_TYPE_ENTER)
    mcu_thread_priority_enter (self);
  else if (type == GST_STREAM_STATUS_TYPE_LEAVE)
    mcu_thread_priority_leave (self);
}
