/* SPDX-License-Identifier: LGPL-2.1-or-later
 * A stand-in for the kernel's RLIMIT_NICE, for the test executables linked
 * with -Wl,--wrap=setpriority,--wrap=getrlimit64 (tests/unit/meson.build):
 * raising RLIMIT_NICE's hard limit needs CAP_SYS_RESOURCE, which a
 * container's root may not have (its bounding set lacks it here, and the
 * hard limit is 0), so a test cannot give a process a partial permission.
 * Once set, getrlimit (RLIMIT_NICE) answers @limit and setpriority refuses
 * (EACCES) what the kernel would refuse an unprivileged thread with that
 * limit: raising a thread's priority beyond nice 20 - @limit. The rest goes
 * to the real calls (which must allow it: CAP_SYS_NICE). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @limit: 0 .. 40, or -1 (the default): the real limit and calls. */
void nice_limit_fake_set (gint limit);

G_END_DECLS
