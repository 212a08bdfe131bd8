/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: DTMF in SIP INFO bodies (sip/mcu-sip-info.c), as phones send them
 * and as they come broken. */
#include "mcu-sip-info.h"

#include <string.h>

typedef struct
{
  const gchar *type;
  const gchar *body;
  McuSipInfoResult result;
  gchar digit;
  guint duration;
} Case;

static const Case cases[] = {
  /* Cisco / Asterisk / FreeSWITCH / Polycom */
  { "application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", MCU_SIP_INFO_DTMF,
      '5', 160 },
  { "application/dtmf-relay", "Signal=#\r\nDuration=250", MCU_SIP_INFO_DTMF,
      '#', 250 },
  { "application/dtmf-relay", "signal = *\nduration = 100\n", MCU_SIP_INFO_DTMF,
      '*', 100 },
  { "Application/DTMF-Relay; charset=utf-8", "Signal=d\r\n", MCU_SIP_INFO_DTMF,
      'D', 0 },
  { "application/dtmf-relay", "Signal=11\r\nDuration=100\r\n",
      MCU_SIP_INFO_DTMF, '#', 100 },
  { "application/dtmf-relay", "Signal=10\r\n", MCU_SIP_INFO_DTMF, '*', 0 },
  { "application/dtmf-relay", "Signal=0\r\nDuration=160\r\nVolume=10\r\n",
      MCU_SIP_INFO_DTMF, '0', 160 },
  { "application/dtmf-relay", "\r\nSignal= 9 \r\n\r\n", MCU_SIP_INFO_DTMF, '9',
      0 },
  { "application/dtmf-relay", "Signal=16\r\nDuration=100\r\n",
      MCU_SIP_INFO_NO_KEY, 0, 100 },
  { "application/dtmf-relay", "Signal=!\r\n", MCU_SIP_INFO_NO_KEY, 0, 0 },
  /* application/dtmf */
  { "application/dtmf", "5", MCU_SIP_INFO_DTMF, '5', 0 },
  { "application/dtmf", "#\r\n", MCU_SIP_INFO_DTMF, '#', 0 },
  { "application/dtmf", " a ", MCU_SIP_INFO_DTMF, 'A', 0 },
  { "application/dtmf", "11", MCU_SIP_INFO_DTMF, '#', 0 },
  /* empty INFO (keep-alive) */
  { NULL, NULL, MCU_SIP_INFO_NO_KEY, 0, 0 },
  /* other types */
  { "application/media_control+xml",
      "<media_control><vc_primitive><to_encoder><picture_fast_update/>"
      "</to_encoder></vc_primitive></media_control>",
      MCU_SIP_INFO_UNSUPPORTED, 0, 0 },
  { "text/plain", "5", MCU_SIP_INFO_UNSUPPORTED, 0, 0 },
  { "application/dtmf-relayx", "Signal=5", MCU_SIP_INFO_UNSUPPORTED, 0, 0 },
  /* malformed */
  { "application/dtmf-relay", "", MCU_SIP_INFO_MALFORMED, 0, 0 },
  { "application/dtmf-relay", "Duration=160\r\n", MCU_SIP_INFO_MALFORMED, 0,
      0 },
  { "application/dtmf-relay", "Signal=X\r\n", MCU_SIP_INFO_MALFORMED, 0, 0 },
  { "application/dtmf-relay", "Signal=\r\n", MCU_SIP_INFO_MALFORMED, 0, 0 },
  { "application/dtmf-relay", "Signal=55\r\n", MCU_SIP_INFO_MALFORMED, 0, 0 },
  { "application/dtmf-relay", "Signal=5\r\nSignal=6\r\n",
      MCU_SIP_INFO_MALFORMED, 0, 0 },
  { "application/dtmf-relay", "Signal 5\r\n", MCU_SIP_INFO_MALFORMED, 0, 0 },
  { "application/dtmf-relay", "Signal=5\r\nDuration=abc\r\n",
      MCU_SIP_INFO_MALFORMED, 0, 0 },
  { "application/dtmf-relay", "Signal=5\r\nDuration=-1\r\n",
      MCU_SIP_INFO_MALFORMED, 0, 0 },
  { "application/dtmf-relay", "Signal=99999999999999999999\r\n",
      MCU_SIP_INFO_MALFORMED, 0, 0 },
  { "application/dtmf", "", MCU_SIP_INFO_MALFORMED, 0, 0 },
  { "application/dtmf", "55", MCU_SIP_INFO_MALFORMED, 0, 0 },
  { "application/dtmf", "E", MCU_SIP_INFO_MALFORMED, 0, 0 },
  { NULL, "Signal=5", MCU_SIP_INFO_MALFORMED, 0, 0 },
};

static void
test_cases (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    const Case *c = &cases[i];
    g_autofree gchar *why = NULL;
    gchar digit = 'x';
    guint duration = 12345;
    McuSipInfoResult r = mcu_sip_info_parse_dtmf (c->type, c->body,
        c->body ? strlen (c->body) : 0, &digit, &duration, &why);

    g_test_message ("case %" G_GSIZE_FORMAT ": %s [%s]", i, c->type, c->body);
    g_assert_cmpint (r, ==, c->result);
    if (r == MCU_SIP_INFO_DTMF)
      g_assert_cmpint (digit, ==, c->digit);
    else
      g_assert_cmpint (digit, ==, 0);
    if (r == MCU_SIP_INFO_DTMF || r == MCU_SIP_INFO_NO_KEY)
      g_assert_cmpuint (duration, ==, c->duration);
    if (r == MCU_SIP_INFO_MALFORMED || r == MCU_SIP_INFO_UNSUPPORTED)
      g_assert_nonnull (why);
    else
      g_assert_null (why);
  }
}

/* Bodies with a NUL, over the size limit, not NUL-terminated. */
static void
test_binary_and_long (void)
{
  static const gchar nul[] = "Signal=5\0\r\n";
  g_autofree gchar *big = g_strnfill (MCU_SIP_INFO_MAX_BODY + 1, ' ');
  gchar unterminated[8] = { 'S', 'i', 'g', 'n', 'a', 'l', '=', '7' };
  g_autofree gchar *why = NULL;
  gchar digit;

  g_assert_cmpint (mcu_sip_info_parse_dtmf ("application/dtmf-relay", nul,
                       sizeof nul - 1, &digit, NULL, NULL),
      ==, MCU_SIP_INFO_MALFORMED);
  big[0] = '5';
  g_assert_cmpint (mcu_sip_info_parse_dtmf ("application/dtmf", big,
                       strlen (big), &digit, NULL, NULL),
      ==, MCU_SIP_INFO_MALFORMED);
  g_assert_cmpint (mcu_sip_info_parse_dtmf ("application/dtmf-relay",
                       unterminated, sizeof unterminated, &digit, NULL, &why),
      ==, MCU_SIP_INFO_DTMF);
  g_assert_cmpint (digit, ==, '7');
}

/* Every key in both bodies. */
static void
test_all_keys (void)
{
  static const gchar keys[] = "0123456789*#ABCD";

  for (const gchar *k = keys; *k; k++) {
    g_autofree gchar *relay =
        g_strdup_printf ("Signal=%c\r\nDuration=160\r\n", g_ascii_tolower (*k));
    g_autofree gchar *plain = g_strdup_printf ("%c", *k);
    gchar digit = 0;

    g_assert_cmpint (mcu_sip_info_parse_dtmf ("application/dtmf-relay", relay,
                         strlen (relay), &digit, NULL, NULL),
        ==, MCU_SIP_INFO_DTMF);
    g_assert_cmpint (digit, ==, *k);
    g_assert_cmpint (mcu_sip_info_parse_dtmf ("application/dtmf", plain,
                         strlen (plain), &digit, NULL, NULL),
        ==, MCU_SIP_INFO_DTMF);
    g_assert_cmpint (digit, ==, *k);
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sip-info/cases", test_cases);
  g_test_add_func ("/sip-info/binary-and-long", test_binary_and_long);
  g_test_add_func ("/sip-info/all-keys", test_all_keys);
  return g_test_run ();
}
