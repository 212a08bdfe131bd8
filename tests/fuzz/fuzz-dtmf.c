/* SPDX-License-Identifier: LGPL-2.1-or-later
 * libFuzzer target for the DTMF parsers fed by the network: SIP INFO
 * bodies (sip/mcu-sip-info.c) under both content types, and the RFC 4733
 * receiver (mixer/mcu-dtmf-rx.c) over a packet sequence read from the
 * input (per packet: timestamp delta, flags, 4 payload bytes, arrival
 * delta). Checks: only keys come out, never more than one digit per event
 * start, and every event started is reported at most once. */
#include "mcu-dtmf-rx.h"
#include "mcu-sip-info.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* abort () (not g_error's trap) so that libFuzzer saves the input */
#define FAIL(...)             \
  G_STMT_START                \
  {                           \
    g_printerr (__VA_ARGS__); \
    g_printerr ("\n");        \
    abort ();                 \
  }                           \
  G_STMT_END

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_always_fatal (
      G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

static void
check_key (gchar digit)
{
  if (digit == 0 || strchr ("0123456789*#ABCD", digit) == NULL)
    FAIL ("not a key: %d", digit);
}

static void
fuzz_info (const uint8_t *data, size_t size)
{
  static const gchar *const types[] = { "application/dtmf-relay",
    "application/dtmf", "text/plain", NULL };

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++) {
    g_autofree gchar *why = NULL;
    gchar digit = 0;
    guint duration = 0;
    McuSipInfoResult r = mcu_sip_info_parse_dtmf (
        types[i], (const gchar *)data, size, &digit, &duration, &why);

    if (r == MCU_SIP_INFO_DTMF)
      check_key (digit);
    else if (digit != 0)
      FAIL ("a digit without MCU_SIP_INFO_DTMF");
    if ((r == MCU_SIP_INFO_MALFORMED || r == MCU_SIP_INFO_UNSUPPORTED) &&
        why == NULL)
      FAIL ("no reason for %d", r);
  }
}

static void
fuzz_rx (const uint8_t *data, size_t size)
{
  McuDtmfRx rx;
  McuDtmfRxDigit out[2];
  guint32 ts = 0x7FFFF000u;
  gint64 now = 1000000;
  guint64 reported = 0;

  mcu_dtmf_rx_init (&rx);
  for (size_t i = 0; i + 8 <= size; i += 8) {
    guint64 before = rx.events;
    guint n;

    ts += (guint32)((gint8)data[i]) * 160u;
    n = mcu_dtmf_rx_push (&rx, ts, data[i + 1] & 1, data + i + 2, 4,
        data[i + 1] & 2 ? 48000 : 8000, now, out);
    if (n > 2 || rx.events - before > 1)
      FAIL ("%u digits, %" G_GUINT64_FORMAT " events from one packet", n,
          rx.events - before);
    for (guint k = 0; k < n; k++)
      check_key (out[k].digit);
    reported += n;
    now += (gint64)data[i + 6] * 1000 * (data[i + 7] & 7);
    if (mcu_dtmf_rx_poll (&rx, now, out)) {
      check_key (out[0].digit);
      reported++;
    }
  }
  /* the last event closes by timeout: every event once, no more */
  if (mcu_dtmf_rx_poll (&rx, now + 10 * G_USEC_PER_SEC, out))
    reported++;
  if (reported != rx.events)
    FAIL ("%" G_GUINT64_FORMAT " digits from %" G_GUINT64_FORMAT " events",
        reported, rx.events);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  fuzz_info (data, size);
  fuzz_rx (data, size);
  return 0;
}
