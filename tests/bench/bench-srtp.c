/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Benchmark (not a test) of what SRTP costs per RTP packet: N PCMU-sized
 * RTP packets (12-byte header + 160 bytes, distinct sequence numbers)
 * pushed from an appsrc through
 *   plain:  identity (the baseline: appsrc, buffers, a fakesink)
 *   enc:    srtpenc
 *   encdec: srtpenc ! srtpdec (what one packet costs both ways: the server
 *           encrypts every packet it sends and decrypts every one it gets)
 * for each suite the server offers, the elements set up as mixer/mcu-srtp.c
 * sets them up. Prints the process CPU time (all threads) per packet and
 * the difference to plain, best of 3 runs.
 *
 * Reproduce: meson compile -C build tests/bench/bench-srtp &&
 *            build/tests/bench/bench-srtp [PACKETS]
 * (or meson test -C build --benchmark srtp -v) */
#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAYLOAD 160
#define REPEATS 3

typedef struct
{
  const gchar *name;
  const gchar *cipher;
  const gchar *auth;
  const gchar *rtcp_auth;
  guint key_len; /* master key + salt */
} Suite;

static const Suite suites[] = {
  { "AES_CM_128_HMAC_SHA1_80", "aes-128-icm", "hmac-sha1-80", "hmac-sha1-80",
      30 },
  { "AES_CM_128_HMAC_SHA1_32", "aes-128-icm", "hmac-sha1-32", "hmac-sha1-80",
      30 },
  { "AEAD_AES_128_GCM", "aes-128-gcm", "null", "null", 28 },
};

static double
cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static GstBuffer *
key_buffer (const Suite *suite)
{
  guint8 key[46];

  for (guint i = 0; i < suite->key_len; i++)
    key[i] = (guint8)(i * 7 + 1);
  return gst_buffer_new_memdup (key, suite->key_len);
}

static GstCaps *
on_request_key (GstElement *dec, guint ssrc, gpointer data)
{
  const Suite *suite = data;
  g_autoptr (GstBuffer) key = key_buffer (suite);

  return gst_caps_new_simple ("application/x-srtp", "srtp-key", GST_TYPE_BUFFER,
      key, "srtp-cipher", G_TYPE_STRING, suite->cipher, "srtp-auth",
      G_TYPE_STRING, suite->auth, "srtcp-cipher", G_TYPE_STRING, suite->cipher,
      "srtcp-auth", G_TYPE_STRING, suite->rtcp_auth, NULL);
}

static GstBuffer *
rtp_packet (guint16 seq)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 12 + PAYLOAD, NULL);
  GstMapInfo map;
  guint32 ts = seq * 160u, ssrc = 0x12345678;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  map.data[0] = 0x80;
  map.data[1] = 0; /* PCMU */
  map.data[2] = seq >> 8;
  map.data[3] = seq & 0xff;
  for (guint i = 0; i < 4; i++) {
    map.data[4 + i] = ts >> (24 - 8 * i);
    map.data[8 + i] = ssrc >> (24 - 8 * i);
  }
  memset (map.data + 12, 0x55, PAYLOAD);
  gst_buffer_unmap (buf, &map);
  return buf;
}

/* CPU seconds for @n packets through @middle (a gst-launch fragment). */
static double
run (const gchar *middle, const Suite *suite, guint n, guint64 *received)
{
  g_autofree gchar *desc = g_strdup_printf (
      "appsrc name=src format=time is-live=false block=true max-bytes=200000 "
      "caps=\"application/x-rtp,media=audio,clock-rate=8000,"
      "encoding-name=PCMU,payload=0,ssrc=(uint)305419896\" ! %s ! "
      "fakesink name=sink sync=false signal-handoffs=false",
      middle);
  g_autoptr (GError) error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  GstElement *src, *enc, *dec, *sink;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) msg = NULL;
  double start, spent;

  if (pipeline == NULL) {
    fprintf (stderr, "bench-srtp: %s: %s\n", desc, error->message);
    exit (1);
  }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  enc = gst_bin_get_by_name (GST_BIN (pipeline), "enc");
  dec = gst_bin_get_by_name (GST_BIN (pipeline), "dec");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  if (enc) {
    g_autoptr (GstBuffer) key = key_buffer (suite);

    g_object_set (enc, "key", key, NULL);
    gst_util_set_object_arg (G_OBJECT (enc), "rtp-cipher", suite->cipher);
    gst_util_set_object_arg (G_OBJECT (enc), "rtcp-cipher", suite->cipher);
    gst_util_set_object_arg (G_OBJECT (enc), "rtp-auth", suite->auth);
    gst_util_set_object_arg (G_OBJECT (enc), "rtcp-auth", suite->rtcp_auth);
  }
  if (dec)
    g_signal_connect (
        dec, "request-key", G_CALLBACK (on_request_key), (gpointer)suite);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  start = cpu_seconds ();
  for (guint i = 0; i < n; i++)
    gst_app_src_push_buffer (GST_APP_SRC (src), rtp_packet ((guint16)i));
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (
      bus, GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  spent = cpu_seconds () - start;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) e = NULL;

    gst_message_parse_error (msg, &e, NULL);
    fprintf (stderr, "bench-srtp: %s: %s\n", middle, e->message);
    exit (1);
  }
  {
    GstStructure *stats = NULL;

    g_object_get (sink, "stats", &stats, NULL);
    gst_structure_get_uint64 (stats, "rendered", received);
    gst_structure_free (stats);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_clear_object (&src);
  gst_clear_object (&enc);
  gst_clear_object (&dec);
  gst_clear_object (&sink);
  gst_object_unref (pipeline);
  return spent;
}

static double
best_of (const gchar *middle, const Suite *suite, guint n)
{
  double best = 1e9;

  for (guint r = 0; r < REPEATS; r++) {
    guint64 received = 0;
    double t = run (middle, suite, n, &received);

    if (received != n) {
      fprintf (stderr,
          "bench-srtp: %s (%s): %" G_GUINT64_FORMAT
          " of %u packets came through\n",
          middle, suite->name, received, n);
      exit (1);
    }
    best = MIN (best, t);
  }
  return best;
}

int
main (int argc, char **argv)
{
  guint n = argc > 1 ? (guint)atoi (argv[1]) : 65000;
  double plain;

  gst_init (&argc, &argv);
  if (n == 0 || n > 65536) {
    fprintf (stderr, "usage: bench-srtp [PACKETS (1-65536)]\n");
    return 2;
  }
  plain = best_of ("identity", &suites[0], n);
  printf ("%u RTP packets of %d bytes, process CPU time per packet, best of "
          "%d runs\n",
      n, 12 + PAYLOAD, REPEATS);
  printf ("  %-26s %-7s %8.2f us\n", "(no SRTP)", "plain", plain * 1e6 / n);
  for (guint i = 0; i < G_N_ELEMENTS (suites); i++) {
    double enc = best_of ("srtpenc name=enc", &suites[i], n);
    double both =
        best_of ("srtpenc name=enc ! srtpdec name=dec", &suites[i], n);

    printf ("  %-26s %-7s %8.2f us  (+%.2f us)\n", suites[i].name, "enc",
        enc * 1e6 / n, (enc - plain) * 1e6 / n);
    printf ("  %-26s %-7s %8.2f us  (+%.2f us)\n", suites[i].name, "enc+dec",
        both * 1e6 / n, (both - plain) * 1e6 / n);
  }
  return 0;
}
