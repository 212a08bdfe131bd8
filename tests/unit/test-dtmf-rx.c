/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the RFC 4733 receiver over packet sequences: one recorded from
 * baresip, others shaped like real senders' (start with the marker bit,
 * updates every 20 or 50 ms, the End packet sent three times), and the ways
 * they go wrong on a network (lost End, lost start, reordering, long
 * presses split into segments, the timestamp wrapping). */
#include "mcu-dtmf-rx.h"

typedef struct
{
  gint64 at_ms; /* arrival */
  guint32 ts;
  gboolean marker;
  guint8 event;
  gboolean end;
  guint16 duration;
} Pkt;

typedef struct
{
  McuDtmfRx rx;
  GString *digits;   /* every digit reported, in order */
  GArray *durations; /* guint ms */
  GArray *timeouts;  /* gboolean */
} Fixture;

static void
fixture_init (Fixture *f)
{
  mcu_dtmf_rx_init (&f->rx);
  f->digits = g_string_new (NULL);
  f->durations = g_array_new (FALSE, FALSE, sizeof (guint));
  f->timeouts = g_array_new (FALSE, FALSE, sizeof (gboolean));
}

static void
fixture_clear (Fixture *f)
{
  g_string_free (f->digits, TRUE);
  g_array_unref (f->durations);
  g_array_unref (f->timeouts);
}

static void
take (Fixture *f, const McuDtmfRxDigit *d)
{
  g_string_append_c (f->digits, d->digit);
  g_array_append_val (f->durations, d->duration);
  g_array_append_val (f->timeouts, d->timeout);
}

/* Polls every 10 ms of arrival time as the media session's timer would. */
static void
poll_until (Fixture *f, gint64 *clock_ms, gint64 until_ms)
{
  McuDtmfRxDigit d;

  for (; *clock_ms < until_ms; *clock_ms += 10)
    if (mcu_dtmf_rx_poll (&f->rx, *clock_ms * 1000, &d))
      take (f, &d);
}

static void
feed (Fixture *f, const Pkt *pkts, gsize n, guint rate, gint64 *clock_ms)
{
  for (gsize i = 0; i < n; i++) {
    guint8 payload[4] = { pkts[i].event,
      (guint8)((pkts[i].end ? 0x80 : 0) | 10), (guint8)(pkts[i].duration >> 8),
      (guint8)(pkts[i].duration & 0xff) };
    McuDtmfRxDigit out[2];
    guint got;

    poll_until (f, clock_ms, pkts[i].at_ms);
    got = mcu_dtmf_rx_push (&f->rx, pkts[i].ts, pkts[i].marker, payload, 4,
        rate, pkts[i].at_ms * 1000, out);
    for (guint j = 0; j < got; j++)
      take (f, &out[j]);
  }
}

static guint
duration_at (Fixture *f, guint i)
{
  return g_array_index (f->durations, guint, i);
}

static gboolean
timeout_at (Fixture *f, guint i)
{
  return g_array_index (f->timeouts, gboolean, i);
}

/* One key press: start with M, updates every @step ms for @len ms, End x3
 * (20 ms apart) -- what Asterisk (20 ms) and most phones (50 ms) send. */
static GArray *
press (gint64 at_ms, guint32 ts, guint8 event, guint len_ms, guint step_ms,
    guint rate, guint ends)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (Pkt));
  guint per_ms = rate / 1000;

  for (guint t = 0; t < len_ms; t += step_ms) {
    Pkt p = { at_ms + t, ts, t == 0, event, FALSE, (guint16)(t * per_ms) };

    g_array_append_val (a, p);
  }
  for (guint i = 0; i < ends; i++) {
    Pkt p = { at_ms + len_ms + 20 * i, ts, FALSE, event, TRUE,
      (guint16)(len_ms * per_ms) };

    g_array_append_val (a, p);
  }
  return a;
}

static void
feed_press (Fixture *f, GArray *a, guint rate, gint64 *clock_ms)
{
  feed (f, (Pkt *)a->data, a->len, rate, clock_ms);
  g_array_unref (a);
}

static void
test_three_ends (guint rate)
{
  Fixture f;
  gint64 clock = 0;

  fixture_init (&f);
  feed_press (&f, press (0, 1000, 5, 160, 50, rate, 3), rate, &clock);
  feed_press (&f, press (400, 1000 + rate, 11, 100, 20, rate, 3), rate, &clock);
  feed_press (
      &f, press (800, 1000 + 2 * rate, 10, 80, 20, rate, 3), rate, &clock);
  poll_until (&f, &clock, 2000);
  g_assert_cmpstr (f.digits->str, ==, "5#*");
  g_assert_cmpuint (duration_at (&f, 0), ==, 160);
  g_assert_cmpuint (duration_at (&f, 1), ==, 100);
  g_assert_false (timeout_at (&f, 0));
  fixture_clear (&f);
}

static void
test_three_ends_8000 (void)
{
  test_three_ends (8000);
}

static void
test_three_ends_48000 (void)
{
  test_three_ends (48000);
}

/* The same key twice: two timestamps, two digits. */
static void
test_same_key_twice (void)
{
  Fixture f;
  gint64 clock = 0;

  fixture_init (&f);
  feed_press (&f, press (0, 5000, 1, 100, 50, 8000, 3), 8000, &clock);
  feed_press (&f, press (250, 5000 + 2000, 1, 100, 50, 8000, 3), 8000, &clock);
  poll_until (&f, &clock, 1000);
  g_assert_cmpstr (f.digits->str, ==, "11");
  fixture_clear (&f);
}

/* Every End lost: closed after MCU_DTMF_RX_TIMEOUT_US of silence, not
 * before; End packets arriving after that are not a second digit. */
static void
test_lost_end (void)
{
  Fixture f;
  gint64 clock = 0;
  gint64 last = 0;
  GArray *a = press (0, 777, 7, 200, 50, 8000, 0);
  Pkt late = { 0, 777, FALSE, 7, TRUE, 1600 };

  fixture_init (&f);
  last = g_array_index (a, Pkt, a->len - 1).at_ms;
  feed_press (&f, a, 8000, &clock);
  poll_until (&f, &clock, last + MCU_DTMF_RX_TIMEOUT_US / 1000 - 10);
  g_assert_cmpstr (f.digits->str, ==, "");
  poll_until (&f, &clock, last + MCU_DTMF_RX_TIMEOUT_US / 1000 + 10);
  g_assert_cmpstr (f.digits->str, ==, "7");
  g_assert_true (timeout_at (&f, 0));
  late.at_ms = clock + 5;
  feed (&f, &late, 1, 8000, &clock);
  late.at_ms = clock + 25;
  feed (&f, &late, 1, 8000, &clock);
  poll_until (&f, &clock, clock + 1000);
  g_assert_cmpstr (f.digits->str, ==, "7");
  fixture_clear (&f);
}

/* End lost, and the next key comes before the timeout: the new event
 * closes the old one; order kept. */
static void
test_lost_end_next_key (void)
{
  Fixture f;
  gint64 clock = 0;

  fixture_init (&f);
  feed_press (&f, press (0, 100, 2, 100, 20, 48000, 0), 48000, &clock);
  feed_press (
      &f, press (120, 100 + 48000, 3, 100, 20, 48000, 3), 48000, &clock);
  poll_until (&f, &clock, 1000);
  g_assert_cmpstr (f.digits->str, ==, "23");
  g_assert_true (timeout_at (&f, 0));
  g_assert_false (timeout_at (&f, 1));
  fixture_clear (&f);
}

/* Start and updates lost: a lone End (three times) is one digit. */
static void
test_only_ends (void)
{
  Fixture f;
  gint64 clock = 0;
  Pkt pkts[] = {
    { 100, 9000, FALSE, 0, TRUE, 800 },
    { 120, 9000, FALSE, 0, TRUE, 800 },
    { 140, 9000, FALSE, 0, TRUE, 800 },
  };

  fixture_init (&f);
  feed (&f, pkts, G_N_ELEMENTS (pkts), 8000, &clock);
  poll_until (&f, &clock, 1000);
  g_assert_cmpstr (f.digits->str, ==, "0");
  g_assert_cmpuint (duration_at (&f, 0), ==, 100);
  fixture_clear (&f);
}

/* Updates out of order, irregular gaps (below the timeout), durations
 * going back: one digit, the longest duration. */
static void
test_irregular (void)
{
  Fixture f;
  gint64 clock = 0;
  Pkt pkts[] = {
    { 0, 40, TRUE, 9, FALSE, 0 },
    { 10, 40, FALSE, 9, FALSE, 400 },
    { 15, 40, FALSE, 9, FALSE, 160 },   /* reordered */
    { 200, 40, FALSE, 9, FALSE, 1200 }, /* 185 ms gap */
    { 290, 40, FALSE, 9, FALSE, 1600 },
    { 300, 40, FALSE, 9, FALSE, 1440 },
    { 310, 40, FALSE, 9, TRUE, 2000 },
    { 311, 40, FALSE, 9, FALSE, 1800 }, /* late update after End */
    { 330, 40, FALSE, 9, TRUE, 2000 },
    { 350, 40, FALSE, 9, TRUE, 2000 },
  };

  fixture_init (&f);
  feed (&f, pkts, G_N_ELEMENTS (pkts), 8000, &clock);
  poll_until (&f, &clock, 1000);
  g_assert_cmpstr (f.digits->str, ==, "9");
  g_assert_cmpuint (duration_at (&f, 0), ==, 250);
  fixture_clear (&f);
}

/* The previous key's End retransmissions arrive after the next key's
 * start (reordering): ignored. */
static void
test_reordered_ends (void)
{
  Fixture f;
  gint64 clock = 0;
  Pkt pkts[] = {
    { 0, 1000, TRUE, 4, FALSE, 0 },
    { 50, 1000, FALSE, 4, FALSE, 400 },
    { 100, 1000, FALSE, 4, TRUE, 800 },
    { 110, 2000, TRUE, 6, FALSE, 0 },
    { 111, 1000, FALSE, 4, TRUE, 800 },
    { 112, 1000, FALSE, 4, TRUE, 800 },
    { 160, 2000, FALSE, 6, FALSE, 400 },
    { 200, 2000, FALSE, 6, TRUE, 720 },
    { 220, 2000, FALSE, 6, TRUE, 720 },
    { 240, 2000, FALSE, 6, TRUE, 720 },
  };

  fixture_init (&f);
  feed (&f, pkts, G_N_ELEMENTS (pkts), 8000, &clock);
  poll_until (&f, &clock, 1000);
  g_assert_cmpstr (f.digits->str, ==, "46");
  fixture_clear (&f);
}

/* A key held @len_ms at 48 kHz from @ts: updates every 50 ms; when the
 * duration would overflow 0xFFFF (1.365 s) the segment ends at 0xFFFF and
 * a new one starts at ts + 0xFFFF without the marker (RFC 4733 2.5.1.3);
 * End x3. */
static GArray *
long_press (gint64 at_ms, guint32 ts, guint8 event, guint len_ms)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (Pkt));
  guint32 seg = ts;
  guint64 sent = 0;

  for (guint t = 0; t <= len_ms; t += 50) {
    guint64 d = (guint64)t * 48;
    Pkt p = { at_ms + t, seg, t == 0, event, FALSE, 0 };

    if (d - (guint32)(seg - ts) > 0xFFFF) {
      Pkt full = { at_ms + t, seg, FALSE, event, FALSE, 0xFFFF };

      g_array_append_val (a, full);
      seg += 0xFFFF;
      p.ts = seg;
    }
    p.duration = (guint16)(d - (guint32)(seg - ts));
    sent = d;
    g_array_append_val (a, p);
  }
  for (guint i = 0; i < 3; i++) {
    Pkt p = { at_ms + len_ms + 20 + 20 * i, seg, FALSE, event, TRUE,
      (guint16)(sent - (guint32)(seg - ts)) };

    g_array_append_val (a, p);
  }
  return a;
}

/* A 3.5 s key at 48 kHz: the duration overflows twice; the segments are
 * one digit with the whole duration. */
static void
test_long_event_48000 (void)
{
  Fixture f;
  gint64 clock = 0;
  GArray *a = long_press (0, 0x10000000, 8, 3500);

  fixture_init (&f);
  g_assert_cmpuint (
      g_array_index (a, Pkt, a->len - 1).ts - 0x10000000, ==, 2 * 0xFFFF);
  feed_press (&f, a, 48000, &clock);
  poll_until (&f, &clock, 5000);
  g_assert_cmpstr (f.digits->str, ==, "8");
  g_assert_cmpuint (duration_at (&f, 0), ==, 3500);
  g_assert_false (timeout_at (&f, 0));
  fixture_clear (&f);
}

/* A long key at 8 kHz (8 s < 0xFFFF/8000 = 8.19 s): one segment, updates
 * for the whole time, no timeout while they come. */
static void
test_long_event_8000 (void)
{
  Fixture f;
  gint64 clock = 0;

  fixture_init (&f);
  feed_press (&f, press (0, 123456, 12, 8000, 50, 8000, 3), 8000, &clock);
  poll_until (&f, &clock, 9000);
  g_assert_cmpstr (f.digits->str, ==, "A");
  g_assert_cmpuint (duration_at (&f, 0), ==, 8000);
  fixture_clear (&f);
}

/* The timestamp wraps between two keys (and within the long one). */
static void
test_timestamp_wrap (void)
{
  Fixture f;
  gint64 clock = 0;
  Pkt late = { 0, 0xFFFFFF00u, FALSE, 1, TRUE, 800 };

  fixture_init (&f);
  feed_press (&f, press (0, 0xFFFFFF00u, 1, 100, 20, 8000, 3), 8000, &clock);
  feed_press (&f, press (200, 0x00000100u, 2, 100, 20, 8000, 3), 8000, &clock);
  late.at_ms = clock + 5; /* the first key's End, very late */
  feed (&f, &late, 1, 8000, &clock);
  feed_press (&f, press (600, 0x00001100u, 3, 100, 20, 8000, 3), 8000, &clock);
  poll_until (&f, &clock, 1000);
  g_assert_cmpstr (f.digits->str, ==, "123");
  fixture_clear (&f);

  /* a long key whose second segment wraps, then keys after the wrap; a
   * packet from before the wrap is still old */
  fixture_init (&f);
  clock = 0;
  feed_press (&f, press (0, 0xFFFE0000u, 5, 100, 20, 48000, 3), 48000, &clock);
  feed_press (&f, long_press (300, 0xFFFF8000u, 6, 2000), 48000, &clock);
  feed_press (
      &f, press (2600, 0x00010000u, 7, 100, 20, 48000, 3), 48000, &clock);
  late.ts = 0xFFFE0000u;
  late.event = 5;
  late.at_ms = clock + 5;
  feed (&f, &late, 1, 48000, &clock);
  poll_until (&f, &clock, clock + 1000);
  g_assert_cmpstr (f.digits->str, ==, "567");
  g_assert_cmpuint (duration_at (&f, 1), ==, 2000);
  fixture_clear (&f);
}

/* Flash (16), tones, short payloads: no digit, and they do not disturb an
 * open key. A broken sender reusing a timestamp for another key: a new
 * digit. */
static void
test_junk_and_reuse (void)
{
  Fixture f;
  gint64 clock = 0;
  McuDtmfRxDigit out[2];
  guint8 shortp[3] = { 5, 0x80, 0 };
  Pkt pkts[] = {
    { 0, 500, TRUE, 16, FALSE, 0 }, /* flash */
    { 10, 600, TRUE, 5, FALSE, 0 },
    { 20, 700, TRUE, 70, FALSE, 0 }, /* a tone event */
    { 60, 600, FALSE, 5, TRUE, 400 },
    { 80, 600, FALSE, 5, TRUE, 400 },
    { 100, 600, TRUE, 6, FALSE, 0 }, /* same timestamp, another key */
    { 150, 600, FALSE, 6, TRUE, 400 },
  };

  fixture_init (&f);
  g_assert_cmpuint (
      mcu_dtmf_rx_push (&f.rx, 1, TRUE, shortp, 3, 8000, 0, out), ==, 0);
  g_assert_cmpuint (
      mcu_dtmf_rx_push (&f.rx, 1, TRUE, NULL, 0, 8000, 0, out), ==, 0);
  feed (&f, pkts, G_N_ELEMENTS (pkts), 8000, &clock);
  poll_until (&f, &clock, 1000);
  g_assert_cmpstr (f.digits->str, ==, "56");
  g_assert_cmpint (mcu_dtmf_rx_event_to_digit (15), ==, 'D');
  g_assert_cmpint (mcu_dtmf_rx_event_to_digit (10), ==, '*');
  fixture_clear (&f);
}

/* Recorded: baresip 1.0.0 (Debian 12), /sndcode 5 then /sndcode #, in an
 * Opus call where telephone-event/8000 was negotiated, as the server's
 * probe saw the packets (arrival ms, the rest from the packets). baresip
 * counts timestamps and durations at 48 kHz anyway (960 per 20 ms): the
 * digits must come out once each whatever the clock. */
static const Pkt baresip_opus_te8000[] = {
  { 0, 83124, TRUE, 5, FALSE, 0x03c0 },
  { 21, 83124, FALSE, 5, FALSE, 0x0780 },
  { 42, 83124, FALSE, 5, FALSE, 0x0b40 },
  { 58, 83124, FALSE, 5, FALSE, 0x0f00 },
  { 80, 83124, FALSE, 5, FALSE, 0x12c0 },
  { 101, 83124, FALSE, 5, FALSE, 0x1680 },
  { 121, 83124, FALSE, 5, FALSE, 0x1a40 },
  { 140, 83124, FALSE, 5, FALSE, 0x1e00 },
  { 161, 83124, FALSE, 5, FALSE, 0x21c0 },
  { 182, 83124, FALSE, 5, TRUE, 0x21c0 },
  { 198, 83124, FALSE, 5, TRUE, 0x21c0 },
  { 219, 83124, FALSE, 5, TRUE, 0x21c0 },
  { 501, 107124, TRUE, 11, FALSE, 0x03c0 },
  { 521, 107124, FALSE, 11, FALSE, 0x0780 },
  { 538, 107124, FALSE, 11, FALSE, 0x0b40 },
  { 559, 107124, FALSE, 11, FALSE, 0x0f00 },
  { 579, 107124, FALSE, 11, FALSE, 0x12c0 },
  { 600, 107124, FALSE, 11, FALSE, 0x1680 },
  { 621, 107124, FALSE, 11, FALSE, 0x1a40 },
  { 643, 107124, FALSE, 11, FALSE, 0x1e00 },
  { 659, 107124, FALSE, 11, FALSE, 0x21c0 },
  { 680, 107124, FALSE, 11, TRUE, 0x21c0 },
  { 701, 107124, FALSE, 11, TRUE, 0x21c0 },
  { 721, 107124, FALSE, 11, TRUE, 0x21c0 },
};

static void
test_recorded_baresip (void)
{
  Fixture f;
  gint64 clock = 0;

  fixture_init (&f);
  feed (&f, baresip_opus_te8000, G_N_ELEMENTS (baresip_opus_te8000), 8000,
      &clock);
  poll_until (&f, &clock, 2000);
  g_assert_cmpstr (f.digits->str, ==, "5#");
  g_assert_false (timeout_at (&f, 0));
  g_assert_false (timeout_at (&f, 1));
  fixture_clear (&f);
}

/* 100 keys at each clock with every third End lost and every fifth start
 * lost: 100 digits, in order. */
static void
test_hundred (gconstpointer data)
{
  guint rate = GPOINTER_TO_UINT (data);
  static const gchar keys[] = "0123456789*#ABCD";
  g_autoptr (GString) want = g_string_new (NULL);
  Fixture f;
  gint64 clock = 0;
  guint32 ts = 0xFFF00000u; /* wraps on the way */

  fixture_init (&f);
  for (guint i = 0; i < 100; i++) {
    GArray *a = press (
        i * 400, ts, i % 16, 100 + (i % 7) * 30, 20, rate, i % 3 == 0 ? 0 : 3);

    if (i % 5 == 0)
      g_array_remove_index (a, 0);
    g_string_append_c (want, keys[i % 16]);
    feed_press (&f, a, rate, &clock);
    ts += rate * 400 / 1000;
  }
  poll_until (&f, &clock, 100 * 400 + 1000);
  g_assert_cmpstr (f.digits->str, ==, want->str);
  fixture_clear (&f);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dtmf-rx/three-ends/8000", test_three_ends_8000);
  g_test_add_func ("/dtmf-rx/three-ends/48000", test_three_ends_48000);
  g_test_add_func ("/dtmf-rx/same-key-twice", test_same_key_twice);
  g_test_add_func ("/dtmf-rx/lost-end", test_lost_end);
  g_test_add_func ("/dtmf-rx/lost-end-next-key", test_lost_end_next_key);
  g_test_add_func ("/dtmf-rx/only-ends", test_only_ends);
  g_test_add_func ("/dtmf-rx/irregular", test_irregular);
  g_test_add_func ("/dtmf-rx/reordered-ends", test_reordered_ends);
  g_test_add_func ("/dtmf-rx/long-event/48000", test_long_event_48000);
  g_test_add_func ("/dtmf-rx/long-event/8000", test_long_event_8000);
  g_test_add_func ("/dtmf-rx/timestamp-wrap", test_timestamp_wrap);
  g_test_add_func ("/dtmf-rx/junk-and-reuse", test_junk_and_reuse);
  g_test_add_func ("/dtmf-rx/recorded/baresip", test_recorded_baresip);
  g_test_add_data_func (
      "/dtmf-rx/hundred/8000", GUINT_TO_POINTER (8000), test_hundred);
  g_test_add_data_func (
      "/dtmf-rx/hundred/48000", GUINT_TO_POINTER (48000), test_hundred);
  return g_test_run ();
}
