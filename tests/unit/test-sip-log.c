/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for mcu_sip_log_escape (): a SIP value with CR/LF, ESC,
 * quotes, backslashes or bytes that are not UTF-8 comes out as one line
 * of printable text, and plain text is unchanged. */
#include "mcu-sip-log.h"

static void
test_escape (void)
{
  static const struct
  {
    const gchar *in;
    const gchar *out;
  } cases[] = {
    { "Alice", "Alice" },
    { "Zoë 😀", "Zoë 😀" },
    { "evil\r\n12:00:00.000 INFO mcu: forged", "evil\\r\\n12:00:00.000 INFO "
                                               "mcu: forged" },
    { "tab\there", "tab\\there" },
    { "esc\x1b[31mred", "esc\\x1b[31mred" },
    { "del\x7f", "del\\x7f" },
    { "quote\" and \\", "quote\\\" and \\\\" },
    { "bad \xff\xfe utf8", "bad \\xff\\xfe utf8" },
    { "c1 \xc2\x85 nel", "c1 \\u0085 nel" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *got = mcu_sip_log_escape (cases[i].in);

    g_assert_cmpstr (got, ==, cases[i].out);
  }
  {
    g_autofree gchar *null = mcu_sip_log_escape (NULL);

    g_assert_cmpstr (null, ==, "");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sip-log/escape", test_escape);
  return g_test_run ();
}
