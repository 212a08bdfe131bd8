/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: keys a second per caller (mcu/mcu-dtmf-limit.c). */
#include "mcu-dtmf-limit.h"

static void
test_limit (void)
{
  McuDtmfLimit limit = { 0 };
  guint passed = 0, dropped = 0, reported = 0;
  gint64 t = 5 * G_USEC_PER_SEC;

  /* 100 keys in 0.5 s: the first MCU_DTMF_MAX_PER_SECOND pass */
  for (guint i = 0; i < 100; i++) {
    passed += mcu_dtmf_limit_take (&limit, t + i * 5000, &dropped);
    g_assert_cmpuint (dropped, ==, 0);
  }
  g_assert_cmpuint (passed, ==, MCU_DTMF_MAX_PER_SECOND);
  /* a second later: passes again, and says how many were dropped */
  g_assert_true (mcu_dtmf_limit_take (&limit, t + G_USEC_PER_SEC, &reported));
  g_assert_cmpuint (reported, ==, 100 - MCU_DTMF_MAX_PER_SECOND);
  /* ten keys a second for a minute: all pass */
  passed = 0;
  for (guint i = 0; i < 600; i++)
    passed +=
        mcu_dtmf_limit_take (&limit, t + 2 * G_USEC_PER_SEC + i * 100000, NULL);
  g_assert_cmpuint (passed, ==, 600);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dtmf-limit/limit", test_limit);
  return g_test_run ();
}
