/* SPDX-License-Identifier: LGPL-2.1-or-later
 * RLIMIT_NICE faked through the linker's --wrap, see nice-limit-fake.h. Not
 * an LD_PRELOAD shim: under ASan the sanitizer's runtime must be the first
 * library loaded, and --wrap reaches the calls of the code under test
 * (linked statically into the test) all the same. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* getrlimit64 */
#endif
#include "nice-limit-fake.h"

#include <errno.h>
#include <sys/resource.h>

int __real_setpriority (__priority_which_t which, id_t who, int prio);
int __wrap_setpriority (__priority_which_t which, id_t who, int prio);
int __real_getrlimit64 (__rlimit_resource_t resource, struct rlimit64 *rlim);
int __wrap_getrlimit64 (__rlimit_resource_t resource, struct rlimit64 *rlim);

/* atomic: -1, or the RLIMIT_NICE pretended (set before the test's threads
 * start, read on them) */
static gint fake_limit = -1;

void
nice_limit_fake_set (gint limit)
{
  g_return_if_fail (limit >= -1 && limit <= 40);
  g_atomic_int_set (&fake_limit, limit);
}

/* The kernel's rule (set_one_prio, can_nice): lowering a nice value below
 * the thread's own needs 20 - nice <= RLIMIT_NICE. */
int
__wrap_setpriority (__priority_which_t which, id_t who, int prio)
{
  gint limit = g_atomic_int_get (&fake_limit);

  if (limit >= 0 && which == PRIO_PROCESS) {
    gint nice = CLAMP (prio, -20, 19);
    gint now;

    errno = 0;
    now = getpriority (which, who);
    if (errno == 0 && nice < now && 20 - nice > limit) {
      errno = EACCES;
      return -1;
    }
  }
  return __real_setpriority (which, who, prio);
}

int
__wrap_getrlimit64 (__rlimit_resource_t resource, struct rlimit64 *rlim)
{
  gint limit = g_atomic_int_get (&fake_limit);

  if (limit >= 0 && resource == RLIMIT_NICE) {
    rlim->rlim_cur = rlim->rlim_max = (rlim64_t)limit;
    return 0;
  }
  return __real_getrlimit64 (resource, rlim);
}
