/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for McuRateLimit: the burst then the sustained rate per
 * source, 503s (REJECT) past the soft limit and DROP once the source's
 * 503s are spent, sources and classes independent, Retry-After, idle
 * sources forgotten, and the table bounded under spoofed sources. The
 * test clock moves time. */
#include "mcu-rate-limit.h"

#define SECOND G_USEC_PER_SEC

typedef struct
{
  gint64 now;
  McuRateLimit *limit;
} Fixture;

static gint64
fake_clock (gpointer data)
{
  return ((Fixture *)data)->now;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  McuRateLimitOptions o = {
    .rate = { 5, 2, 0, 1 },
    .burst = { 10, 4, 0, 1 },
    .reject_rate = 2,
    .reject_burst = 3,
    .max_sources = 100,
    .clock = fake_clock,
    .clock_data = f,
  };

  f->now = 1000 * SECOND;
  f->limit = mcu_rate_limit_new (&o);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->limit);
}

static McuRateVerdict
invite (Fixture *f, const gchar *ip)
{
  return mcu_rate_limit_check (f->limit, ip, MCU_RATE_CLASS_INVITE);
}

static void
test_burst_reject_drop (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < 10; i++)
    g_assert_cmpint (invite (f, "192.0.2.1"), ==, MCU_RATE_ALLOW);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (invite (f, "192.0.2.1"), ==, MCU_RATE_REJECT);
  for (guint i = 0; i < 50; i++)
    g_assert_cmpint (invite (f, "192.0.2.1"), ==, MCU_RATE_DROP);
  g_assert_cmpuint (mcu_rate_limit_get_n_rejected (f->limit), ==, 3);
  g_assert_cmpuint (mcu_rate_limit_get_n_dropped (f->limit), ==, 50);
  /* another source is not affected */
  g_assert_cmpint (invite (f, "192.0.2.2"), ==, MCU_RATE_ALLOW);
  /* nor another class of the same source */
  g_assert_cmpint (
      mcu_rate_limit_check (f->limit, "192.0.2.1", MCU_RATE_CLASS_REGISTER), ==,
      MCU_RATE_ALLOW);
}

static void
test_sustained_rate (Fixture *f, gconstpointer data)
{
  guint allowed = 0;

  /* 100 requests a second for 10 s: the burst plus 5 a second pass */
  for (guint i = 0; i < 1000; i++) {
    f->now += SECOND / 100;
    if (invite (f, "192.0.2.1") == MCU_RATE_ALLOW)
      allowed++;
  }
  g_assert_cmpuint (allowed, >=, 10 + 50 - 1);
  g_assert_cmpuint (allowed, <=, 10 + 50 + 1);
  /* 503s are limited too: 3 + 2 a second, the rest dropped */
  g_assert_cmpuint (mcu_rate_limit_get_n_rejected (f->limit), <=, 3 + 20 + 1);
  g_assert_cmpuint (mcu_rate_limit_get_n_dropped (f->limit), >=, 900);
}

static void
test_retry_after (Fixture *f, gconstpointer data)
{
  /* SUBSCRIBE: 1 a second, burst 1 */
  g_assert_cmpint (
      mcu_rate_limit_check (f->limit, "192.0.2.1", MCU_RATE_CLASS_SUBSCRIBE),
      ==, MCU_RATE_ALLOW);
  g_assert_cmpint (
      mcu_rate_limit_check (f->limit, "192.0.2.1", MCU_RATE_CLASS_SUBSCRIBE),
      ==, MCU_RATE_REJECT);
  g_assert_cmpuint (mcu_rate_limit_retry_after (
                        f->limit, "192.0.2.1", MCU_RATE_CLASS_SUBSCRIBE),
      ==, 1);
  f->now += SECOND;
  g_assert_cmpint (
      mcu_rate_limit_check (f->limit, "192.0.2.1", MCU_RATE_CLASS_SUBSCRIBE),
      ==, MCU_RATE_ALLOW);
  /* MESSAGE has rate 0: never limited */
  for (guint i = 0; i < 1000; i++)
    g_assert_cmpint (
        mcu_rate_limit_check (f->limit, "192.0.2.1", MCU_RATE_CLASS_MESSAGE),
        ==, MCU_RATE_ALLOW);
  g_assert_cmpint (
      mcu_rate_limit_class_of ("INVITE"), ==, MCU_RATE_CLASS_INVITE);
  g_assert_cmpint (mcu_rate_limit_class_of ("OPTIONS"), ==, MCU_RATE_N_CLASSES);
}

static void
test_table_bounded (Fixture *f, gconstpointer data)
{
  /* a spoofed flood: 10,000 sources, the table never passes its bound */
  for (guint i = 0; i < 10000; i++) {
    g_autofree gchar *ip =
        g_strdup_printf ("10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);

    g_assert_cmpint (invite (f, ip), ==, MCU_RATE_ALLOW);
    g_assert_cmpuint (mcu_rate_limit_get_n_sources (f->limit), <=, 100);
  }
  /* idle sources are forgotten */
  f->now += 61 * SECOND;
  g_assert_cmpint (invite (f, "192.0.2.9"), ==, MCU_RATE_ALLOW);
  g_assert_cmpuint (mcu_rate_limit_get_n_sources (f->limit), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) \
  g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/rate-limit/burst-reject-drop", test_burst_reject_drop);
  ADD ("/rate-limit/sustained-rate", test_sustained_rate);
  ADD ("/rate-limit/retry-after", test_retry_after);
  ADD ("/rate-limit/table-bounded", test_table_bounded);
#undef ADD
  return g_test_run ();
}
