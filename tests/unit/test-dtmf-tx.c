/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for DTMF out: the RFC 4733 sender's schedule (McuDtmfTx: which
 * audio slots carry which event packet) and the digit validation of the
 * API (mcu_call_dtmf_validate). */
#include "mcu-call-dtmf.h"

typedef struct
{
  gboolean swap;
  McuDtmfTxPacket p;
  guint done;
} Slot;

/* Runs @n slots of @units each from @ts. */
static Slot *
run (McuDtmfTx *tx, guint32 ts, guint units, guint n)
{
  Slot *slots = g_new0 (Slot, n);

  for (guint i = 0; i < n; i++)
    slots[i].swap = mcu_dtmf_tx_next (
        tx, ts + i * units, units, &slots[i].p, &slots[i].done);
  return slots;
}

static guint
duration (const McuDtmfTxPacket *p)
{
  return (p->payload[2] << 8) | p->payload[3];
}

static gboolean
is_end (const McuDtmfTxPacket *p)
{
  return (p->payload[1] & 0x80) != 0;
}

/* One digit at 8 kHz, 20 ms: 5 updates (the 5th is the first End), 2 more
 * Ends, 3 audio slots of gap, then done. */
static void
check_one_digit (guint32 start)
{
  g_autoptr (McuDtmfTx) tx = mcu_dtmf_tx_new (8000, 8000);
  g_autofree Slot *s = NULL;
  guint id = mcu_dtmf_tx_push (tx, "#");

  g_assert_cmpuint (id, >, 0);
  s = run (tx, start, 160, 12);
  for (guint i = 0; i < 7; i++) {
    g_assert_true (s[i].swap);
    g_assert_cmpuint (s[i].p.timestamp, ==, start);
    g_assert_cmpuint (s[i].p.payload[0], ==, 11);
    g_assert_cmpint (s[i].p.marker, ==, i == 0);
    g_assert_cmpuint (duration (&s[i].p), ==, MIN (160 * (i + 1), 800));
    g_assert_cmpint (is_end (&s[i].p), ==, i >= 4);
    g_assert_cmpuint (s[i].done, ==, 0);
  }
  for (guint i = 7; i < 12; i++)
    g_assert_false (s[i].swap);
  g_assert_cmpuint (s[10].done, ==, id); /* 200 ms after the start */
  g_assert_true (mcu_dtmf_tx_is_idle (tx));
}

static void
test_one_digit (void)
{
  check_one_digit (1000);
}

static void
test_timestamp_wrap (void)
{
  check_one_digit (0xffffff00u);
}

/* "1,2" at 48 kHz: durations in 48 kHz units; the second event starts
 * 200 + 500 ms after the first. */
static void
test_pause_48k (void)
{
  g_autoptr (McuDtmfTx) tx = mcu_dtmf_tx_new (48000, 48000);
  g_autofree Slot *s = NULL;
  GArray *starts = g_array_new (FALSE, FALSE, sizeof (guint32));
  guint id = mcu_dtmf_tx_push (tx, "1,2"), done_at = 0;

  s = run (tx, 0, 960, 60);
  for (guint i = 0; i < 60; i++) {
    if (s[i].swap && s[i].p.marker)
      g_array_append_val (starts, s[i].p.timestamp);
    if (s[i].swap && is_end (&s[i].p))
      g_assert_cmpuint (duration (&s[i].p), ==, 4800);
    if (s[i].done)
      done_at = i;
  }
  g_assert_cmpuint (starts->len, ==, 2);
  g_assert_cmpuint (
      g_array_index (starts, guint32, 1) - g_array_index (starts, guint32, 0),
      ==, 48 * 700);
  g_assert_cmpuint (s[done_at].done, ==, id);
  g_assert_cmpuint (done_at, ==, 45); /* 200 + 500 + 200 ms */
  g_array_unref (starts);
}

/* 30 ms packets: the tone takes 4 slots (its last update capped at
 * 800), then the two other Ends. */
static void
test_ptime_30 (void)
{
  g_autoptr (McuDtmfTx) tx = mcu_dtmf_tx_new (8000, 8000);
  g_autofree Slot *s = NULL;

  mcu_dtmf_tx_push (tx, "a");
  s = run (tx, 0, 240, 8);
  for (guint i = 0; i < 6; i++) {
    g_assert_true (s[i].swap);
    g_assert_cmpuint (s[i].p.payload[0], ==, 12);
    g_assert_cmpint (is_end (&s[i].p), ==, i >= 3);
  }
  g_assert_cmpuint (duration (&s[2].p), ==, 720);
  g_assert_cmpuint (duration (&s[3].p), ==, 800);
  g_assert_false (s[6].swap);
  g_assert_cmpuint (s[7].done, >, 0); /* 1680 >= 1600 */
}

static void
test_push_limits (void)
{
  g_autoptr (McuDtmfTx) tx = mcu_dtmf_tx_new (8000, 8000);
  g_autofree gchar *many = g_strnfill (MCU_DTMF_TX_MAX_QUEUED, '1');

  g_assert_cmpuint (mcu_dtmf_tx_push (tx, "12x"), ==, 0);
  g_assert_cmpuint (mcu_dtmf_tx_push (tx, ""), ==, 0);
  g_assert_true (mcu_dtmf_tx_is_idle (tx));
  g_assert_cmpuint (mcu_dtmf_tx_push (tx, many), >, 0);
  g_assert_cmpuint (mcu_dtmf_tx_push (tx, "1"), ==, 0);
  g_assert_cmpint (mcu_dtmf_tx_event_code ('*'), ==, 10);
  g_assert_cmpint (mcu_dtmf_tx_event_code ('d'), ==, 15);
  g_assert_cmpint (mcu_dtmf_tx_event_code ('E'), ==, -1);
}

static void
test_validate (void)
{
  static const gchar *const good[] = { "0123456789*#", "ABCDabcd", "1,,2#",
    "," };
  static const gchar *const bad[] = { "", "12x", "1 2", "E", "+1", "1\n",
    "\xc3\xa9" };
  g_autofree gchar *max = g_strnfill (MCU_CALL_DTMF_MAX_DIGITS, '9');
  g_autofree gchar *over = g_strnfill (MCU_CALL_DTMF_MAX_DIGITS + 1, '9');
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (mcu_call_dtmf_validate (good[i], NULL));
  g_assert_true (mcu_call_dtmf_validate (max, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_assert_false (mcu_call_dtmf_validate (bad[i], &error));
    g_assert_error (error, MCU_CALL_DTMF_ERROR, MCU_CALL_DTMF_ERROR_INVALID);
    g_clear_error (&error);
  }
  g_assert_false (mcu_call_dtmf_validate (over, &error));
  g_assert_error (error, MCU_CALL_DTMF_ERROR, MCU_CALL_DTMF_ERROR_INVALID);
  g_assert_false (mcu_call_dtmf_validate (NULL, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dtmf-tx/tx/one-digit", test_one_digit);
  g_test_add_func ("/dtmf-tx/tx/timestamp-wrap", test_timestamp_wrap);
  g_test_add_func ("/dtmf-tx/tx/pause-48k", test_pause_48k);
  g_test_add_func ("/dtmf-tx/tx/ptime-30", test_ptime_30);
  g_test_add_func ("/dtmf-tx/tx/push-limits", test_push_limits);
  g_test_add_func ("/dtmf-tx/validate", test_validate);
  return g_test_run ();
}
