/* SPDX-License-Identifier: LGPL-2.1-or-later
 * McuThreadPriority: a thread is raised and set back to its own nice, is
 * never lowered, and without the permission nothing changes (said once);
 * and the mix pool's workers run at the audio priority. Raising needs
 * CAP_SYS_NICE (root here): without it those tests skip. A partial
 * RLIMIT_NICE is faked (nice-limit-fake.h). */
#include "mcu-mix-pool.h"
#include "mcu-thread-priority.h"
#include "nice-limit-fake.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static gint
own_nice (void)
{
  return getpriority (PRIO_PROCESS, (id_t)syscall (SYS_gettid));
}

static gboolean
set_own_nice (gint nice)
{
  return setpriority (PRIO_PROCESS, (id_t)syscall (SYS_gettid), nice) == 0;
}

static gpointer
probe_thread (gpointer data)
{
  return GINT_TO_POINTER (
      set_own_nice (19) && set_own_nice (GPOINTER_TO_INT (data)));
}

/* Can this process raise a thread from the lowest priority to @nice
 * (CAP_SYS_NICE, or an RLIMIT_NICE that reaches it)? */
static gboolean
can_raise (gint nice)
{
  return GPOINTER_TO_INT (g_thread_join (
      g_thread_new ("probe", probe_thread, GINT_TO_POINTER (nice))));
}

typedef struct
{
  McuThreadPriority *priority;
  gint start; /* the thread's nice before enter */
  gboolean entered;
  gint in;  /* its nice between enter and leave */
  gint out; /* after leave */
} Run;

static gpointer
run_thread (gpointer data)
{
  Run *run = data;

  g_assert_true (set_own_nice (run->start));
  run->entered = mcu_thread_priority_enter (run->priority);
  run->in = own_nice ();
  mcu_thread_priority_leave (run->priority);
  run->out = own_nice ();
  return NULL;
}

static void
run_in_thread (Run *run)
{
  g_thread_join (g_thread_new ("run", run_thread, run));
}

static void
test_raise_and_restore (void)
{
  g_autoptr (McuThreadPriority) prio = NULL;
  Run run = { .start = 5 };

  if (!can_raise (0)) {
    g_test_skip ("cannot raise a thread that far here (CAP_SYS_NICE, "
                 "RLIMIT_NICE)");
    return;
  }
  prio = mcu_thread_priority_new ("test threads", 0);
  run.priority = prio;
  run_in_thread (&run);
  g_assert_true (run.entered);
  g_assert_cmpint (run.in, ==, 0);
  g_assert_cmpint (run.out, ==, 5);
  g_assert_cmpuint (mcu_thread_priority_get_n_denied (prio), ==, 0);
}

static void
test_never_lowers (void)
{
  g_autoptr (McuThreadPriority) prio = NULL;
  Run run = { .start = -10 };

  if (!can_raise (-10)) {
    g_test_skip ("cannot raise a thread that far here (CAP_SYS_NICE, "
                 "RLIMIT_NICE)");
    return;
  }
  prio = mcu_thread_priority_new ("test threads", -5);
  run.priority = prio;
  run_in_thread (&run);
  g_assert_true (run.entered);
  g_assert_cmpint (run.in, ==, -10);
  g_assert_cmpint (run.out, ==, -10);
}

/* In a child process that gave up root and its RLIMIT_NICE: two threads
 * at nice 5 ask for 0. */
static void
test_no_permission (void)
{
  if (geteuid () != 0) {
    g_test_skip ("needs root to drop to an unprivileged user");
    return;
  }
  if (g_test_subprocess ()) {
    g_autoptr (McuThreadPriority) prio = NULL;
    struct rlimit none = { 0, 0 };
    Run a = { .start = 5 }, b = { .start = 5 };

    g_assert_cmpint (setrlimit (RLIMIT_NICE, &none), ==, 0);
    g_assert_cmpint (setgid (65534), ==, 0);
    g_assert_cmpint (setuid (65534), ==, 0);
    prio = mcu_thread_priority_new ("test threads", 0);
    a.priority = b.priority = prio;
    run_in_thread (&a);
    run_in_thread (&b);
    g_assert_false (a.entered);
    g_assert_cmpint (a.in, ==, 5);
    g_assert_cmpint (a.out, ==, 5);
    g_assert_false (b.entered);
    g_assert_cmpint (b.in, ==, 5);
    g_assert_cmpint (b.out, ==, 5);
    g_assert_cmpuint (mcu_thread_priority_get_n_denied (prio), ==, 2);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  /* said once for the object, not once per thread */
  g_test_trap_assert_stderr ("*test threads run at nice 5, not 0*");
  g_test_trap_assert_stderr_unmatched ("*run at nice*run at nice*");
}

/* In a child process whose RLIMIT_NICE allows nice -5 only (faked:
 * nice-limit-fake.h says why): threads asking -10 (the audio's) get -5, as
 * much as those asking -5 (the video's) get, never less; each is set back
 * at leave. */
static void
test_partial_permission (void)
{
  /* (the fake's refusals are its own; what it allows the kernel does) */
  if (!can_raise (-5)) {
    g_test_skip ("cannot raise a thread that far here (CAP_SYS_NICE, "
                 "RLIMIT_NICE)");
    return;
  }
  if (g_test_subprocess ()) {
    g_autoptr (McuThreadPriority) audio = NULL;
    g_autoptr (McuThreadPriority) video = NULL;
    Run a = { .start = 0 }, v = { .start = 0 };

    nice_limit_fake_set (25);
    audio = mcu_thread_priority_new ("audio threads", -10);
    video = mcu_thread_priority_new ("video threads", -5);
    a.priority = audio;
    v.priority = video;
    run_in_thread (&a);
    run_in_thread (&v);
    g_assert_true (v.entered);
    g_assert_cmpint (v.in, ==, -5);
    g_assert_cmpint (v.out, ==, 0);
    g_assert_false (a.entered); /* not as far as asked */
    g_assert_cmpint (a.in, ==, -5);
    g_assert_cmpint (a.out, ==, 0);
    g_assert_cmpuint (mcu_thread_priority_get_n_denied (audio), ==, 1);
    g_assert_cmpuint (mcu_thread_priority_get_n_denied (video), ==, 0);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*audio threads run at nice -5, not -10*");
}

/* ---- the mix pool's workers ---- */

typedef struct
{
  GThread *caller;
  GMutex lock;
  GCond cond;
  gboolean worker_ran; /* with lock */
  gint worker_nice;    /* with lock */
} PoolRun;

/* The item on the caller's thread waits for one on a worker, so that a
 * worker surely runs one (the caller would otherwise take both). */
static void
pool_item (guint index, gpointer data)
{
  PoolRun *r = data;

  g_mutex_lock (&r->lock);
  if (g_thread_self () == r->caller) {
    gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

    while (!r->worker_ran && g_cond_wait_until (&r->cond, &r->lock, end))
      ;
  } else {
    r->worker_nice = own_nice ();
    r->worker_ran = TRUE;
    g_cond_signal (&r->cond);
  }
  g_mutex_unlock (&r->lock);
}

static void
test_mix_pool_workers (void)
{
  g_autoptr (McuMixPool) pool = NULL;
  PoolRun r = { .caller = g_thread_self () };

  if (!can_raise (MCU_THREAD_NICE_AUDIO)) {
    g_test_skip ("cannot raise a thread that far here (CAP_SYS_NICE, "
                 "RLIMIT_NICE)");
    return;
  }
  g_mutex_init (&r.lock);
  g_cond_init (&r.cond);
  pool = mcu_mix_pool_new (1);
  mcu_mix_pool_run (pool, 2, pool_item, &r);
  g_assert_true (r.worker_ran);
  /* the mixer's thread waits on it: the mixer's priority */
  g_assert_cmpint (r.worker_nice, ==, MCU_THREAD_NICE_AUDIO);
  g_mutex_clear (&r.lock);
  g_cond_clear (&r.cond);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func (
      "/thread-priority/raise-and-restore", test_raise_and_restore);
  g_test_add_func ("/thread-priority/never-lowers", test_never_lowers);
  g_test_add_func ("/thread-priority/no-permission", test_no_permission);
  g_test_add_func (
      "/thread-priority/partial-permission", test_partial_permission);
  g_test_add_func ("/thread-priority/mix-pool-workers", test_mix_pool_workers);
  return g_test_run ();
}
