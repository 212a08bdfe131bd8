/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the best final response of a fork (RFC 3261 section 16.7 step 6),
 * as the B2BUA and the MESSAGE fan-out give it back to the caller. */
#include "mcu-fork.h"

static guint
pick (const guint *statuses, guint n)
{
  return mcu_fork_pick_response (statuses, n);
}

static void
test_fork_six_hundred_wins (void)
{
  const guint a[] = { 486, 603, 480 };
  const guint b[] = { 404, 600, 603 };

  g_assert_cmpuint (pick (a, G_N_ELEMENTS (a)), ==, 603);
  g_assert_cmpuint (pick (b, G_N_ELEMENTS (b)), ==, 600); /* the first 6xx */
}

static void
test_fork_lowest_class (void)
{
  const guint a[] = { 503, 486 };
  const guint b[] = { 500, 408 };
  const guint c[] = { 302, 486 };

  g_assert_cmpuint (pick (a, G_N_ELEMENTS (a)), ==, 486);
  g_assert_cmpuint (pick (b, G_N_ELEMENTS (b)), ==, 408);
  g_assert_cmpuint (pick (c, G_N_ELEMENTS (c)), ==, 302);
}

static void
test_fork_within_class (void)
{
  const guint busy[] = { 480, 408, 486 };
  const guint unavailable[] = { 408, 480 };
  const guint cancelled[] = { 487, 480 };

  g_assert_cmpuint (pick (busy, G_N_ELEMENTS (busy)), ==, 486);
  g_assert_cmpuint (pick (unavailable, 2), ==, 480);
  g_assert_cmpuint (pick (cancelled, 2), ==, 480);
}

static void
test_fork_rewrites (void)
{
  const guint only_503[] = { 503 };
  const guint auth[] = { 401 };
  const guint junk[] = { 0, 180, 200, 700 };

  g_assert_cmpuint (pick (only_503, 1), ==, 500); /* never relay a 503 */
  g_assert_cmpuint (pick (auth, 1), ==, 480);     /* the callee's challenge */
  g_assert_cmpuint (pick (junk, G_N_ELEMENTS (junk)), ==, 480);
  g_assert_cmpuint (pick (NULL, 0), ==, 480);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fork/six-hundred-wins", test_fork_six_hundred_wins);
  g_test_add_func ("/fork/lowest-class", test_fork_lowest_class);
  g_test_add_func ("/fork/within-class", test_fork_within_class);
  g_test_add_func ("/fork/rewrites", test_fork_rewrites);
  return g_test_run ();
}
