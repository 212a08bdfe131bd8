/* SPDX-License-Identifier: LGPL-2.1-or-later
 * What the receive path costs per RTP packet on McuRtpIo's thread, the way
 * McuRtpEndpoint uses it: recvmmsg, a buffer per datagram, pushed into
 * mcurtpsrc, and an element after it that writes into the packet as
 * srtpdec does when it decrypts in place (make it writable, map it for
 * writing). Two ways for the callback to hand the buffer on:
 *   ref:  push a new reference, the I/O thread keeps its own until the
 *         callback returns (mcurtpsrc's make_writable then makes a second
 *         buffer, and the writer copies the bytes, still shared);
 *   take: take the I/O thread's buffer (what McuRtpEndpoint does).
 * Prints the I/O thread's CPU time per packet (CLOCK_THREAD_CPUTIME_ID) for
 * each, best of a few runs. A benchmark, not a test.
 *   bench-rtp-receive [ref|take [PACKETS]]: that way only, one run (for
 *   valgrind --tool=callgrind: read_batch's inclusive cost per packet). */
#include "mcu-plugins.h"
#include "mcu-rtp-io.h"
#include "mcu-rtp-src.h"

#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define N_PACKETS   200000u
#define PACKET_SIZE 172 /* 20 ms of PCMU */
#define RUNS        5

typedef struct
{
  McuRtpSrc *src;
  gboolean take;
  gint received;              /* atomic */
  gint64 cpu_first, cpu_last; /* the I/O thread's, ns */
} Bench;

static gint64
thread_cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64)ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static void
on_packets (gpointer data, GSocket *socket, GstBuffer **bufs,
    GSocketAddress *const *from, guint n, GstClockTime arrival)
{
  Bench *b = data;

  if (b->cpu_first == 0)
    b->cpu_first = thread_cpu_ns ();
  for (guint i = 0; i < n; i++) {
    GstClockTime dts = GST_BUFFER_DTS (bufs[i]);
    GstBuffer *buf =
        b->take ? g_steal_pointer (&bufs[i]) : gst_buffer_ref (bufs[i]);

    mcu_rtp_src_push_full (b->src, buf, from[i], dts);
  }
  b->cpu_last = thread_cpu_ns ();
  g_atomic_int_add (&b->received, (gint)n);
}

/* srtpdec's chain, without the cipher: writes into every packet. */
static GstPadProbeReturn
on_write (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GstMapInfo map;

  if (gst_buffer_map (buf, &map, GST_MAP_READWRITE)) {
    map.data[map.size - 1] ^= 0x5a;
    gst_buffer_unmap (buf, &map);
  }
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

static GSocket *
udp_socket (guint *port)
{
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) sa = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  gint size = 4 << 20;

  g_assert_true (g_socket_bind (s, sa, FALSE, NULL));
  setsockopt (g_socket_get_fd (s), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  g_socket_set_blocking (s, FALSE);
  bound = g_socket_get_local_address (s, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return s;
}

/* ns of the I/O thread's CPU per packet, one run of @n packets. */
static gdouble
run (McuRtpIo *io, gboolean take, guint n)
{
  g_autoptr (GSocket) rx = NULL;
  g_autoptr (GSocket) tx = NULL;
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) to = NULL;
  GstElement *pipeline, *src, *sink;
  GstPad *pad;
  guint8 pkt[PACKET_SIZE];
  guint port, tx_port, sent = 0;
  McuRtpIoWatch *watch;
  Bench b = { .take = take };

  pipeline = gst_pipeline_new (NULL);
  src = gst_element_factory_make ("mcurtpsrc", NULL);
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  g_assert_true (gst_element_link (src, sink));
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_write, NULL, NULL);
  gst_object_unref (pad);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  b.src = MCU_RTP_SRC (src);

  rx = udp_socket (&port);
  tx = udp_socket (&tx_port);
  to = g_inet_socket_address_new (lo, port);
  memset (pkt, 0xff, sizeof pkt);
  pkt[0] = 0x80;
  pkt[1] = 0;
  watch = mcu_rtp_io_add (io, rx, on_packets, &b, NULL);
  while (sent < n) {
    /* at most ~2000 in flight: none dropped by the socket */
    if (sent - (guint)g_atomic_int_get (&b.received) > 2000) {
      g_usleep (100);
      continue;
    }
    pkt[2] = sent >> 8;
    pkt[3] = sent & 0xff;
    if (g_socket_send_to (tx, to, (gchar *)pkt, sizeof pkt, NULL, NULL) > 0)
      sent++;
  }
  for (gint i = 0; i < 10000 && (guint)g_atomic_int_get (&b.received) < sent;
       i++)
    g_usleep (1000);
  mcu_rtp_io_remove (io, watch);
  g_assert_cmpuint ((guint)b.received, ==, sent);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return (gdouble)(b.cpu_last - b.cpu_first) / b.received;
}

int
main (int argc, char **argv)
{
  g_autoptr (McuRtpIo) io = NULL;

  gst_init (&argc, &argv);
  g_assert_true (mcu_plugins_register ());
  io = mcu_rtp_io_new ();
  if (argc > 1) {
    gboolean take = g_str_equal (argv[1], "take");
    guint n =
        argc > 2 ? (guint)g_ascii_strtoull (argv[2], NULL, 10) : N_PACKETS;

    g_print ("  %-5s %7.0f ns/packet\n", take ? "take" : "ref",
        run (io, take, MAX (n, 1u)));
    return 0;
  }
  g_print ("receive path, %d packets of %d bytes, I/O thread CPU per packet "
           "(best of %d)\n",
      N_PACKETS, PACKET_SIZE, RUNS);
  for (gint mode = 0; mode < 2; mode++) {
    gdouble best = G_MAXDOUBLE;

    for (gint r = 0; r < RUNS; r++)
      best = MIN (best, run (io, mode == 1, N_PACKETS));
    g_print ("  %-5s %7.0f ns/packet\n", mode ? "take" : "ref", best);
  }
  return 0;
}
