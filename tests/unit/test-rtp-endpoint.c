/* SPDX-License-Identifier: LGPL-2.1-or-later
 * McuRtpEndpoint on its own, on loopback sockets: the caller at the SDP's
 * address gets our RTP and feeds rtp_src; a stranger at another address
 * sending to the same port at the same time gets nothing and is never
 * counted or linked. */
#include "mcu-rtp-endpoint.h"
#include "mcu-rtp-endpoint-private.h"
#include "mcu-rtp-stream-set-private.h"
#include "mcu-jitter-buffer.h"
#include "port-fixture.h"

#include <gio/gio.h>
#include <gst/rtp/rtp.h>
#include <string.h>

/* A non-blocking UDP socket on @host, any port. */
static GSocket *
udp_socket (const gchar *host, guint *port)
{
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GInetAddress) a = g_inet_address_new_from_string (host);
  g_autoptr (GSocketAddress) sa = g_inet_socket_address_new (a, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (s, sa, FALSE, NULL));
  g_socket_set_blocking (s, FALSE);
  bound = g_socket_get_local_address (s, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return s;
}

/* 20 ms of PCMU (PT 0) to 127.0.0.1:@port. */
static void
send_rtp (GSocket *s, guint port, guint16 seq, guint32 ssrc)
{
  guint8 pkt[12 + 160];
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) to = g_inet_socket_address_new (lo, port);
  guint32 ts = (guint32)seq * 160;

  memset (pkt, 0xff, sizeof pkt);
  pkt[0] = 0x80;
  pkt[1] = 0;
  pkt[2] = seq >> 8;
  pkt[3] = seq & 0xff;
  for (guint i = 0; i < 4; i++) {
    pkt[4 + i] = (ts >> (24 - 8 * i)) & 0xff;
    pkt[8 + i] = (ssrc >> (24 - 8 * i)) & 0xff;
  }
  g_assert_cmpint (
      g_socket_send_to (s, to, (gchar *)pkt, sizeof pkt, NULL, NULL), ==,
      sizeof pkt);
}

/* RTP packets waiting on @s. */
static guint
drain_rtp (GSocket *s)
{
  gchar buf[2048];
  gssize n;
  guint count = 0;

  while ((n = g_socket_receive (s, buf, sizeof buf, NULL, NULL)) > 0)
    if (n >= 12 && (buf[0] & 0xc0) == 0x80)
      count++;
  return count;
}

typedef struct
{
  gint n_linked;
  guint ssrc;
} Linked;

static void
on_stream_linked (McuRtpEndpoint *ep, guint ssrc, Linked *linked)
{
  g_atomic_int_inc (&linked->n_linked);
  g_atomic_int_set ((gint *)&linked->ssrc, (gint)ssrc);
}

static void
on_handoff (GstElement *sink, GstBuffer *buf, GstPad *pad, gint *n)
{
  g_atomic_int_inc (n);
}

/* RTCP packets of type 200 (SR) or 201 (RR) waiting on @s. */
static guint
drain_rtcp_reports (GSocket *s)
{
  guint8 buf[2048];
  gssize n;
  guint count = 0;

  while ((n = g_socket_receive (s, (gchar *)buf, sizeof buf, NULL, NULL)) > 0)
    if (n >= 8 && (buf[0] & 0xc0) == 0x80 && (buf[1] == 200 || buf[1] == 201))
      count++;
  return count;
}

/* @ep's transport for PCMU (payload type 0) with @params. */
static GstElement *
build_pcmu (McuRtpEndpoint *ep, McuRtpEndpointParams *params)
{
  g_autoptr (GError) error = NULL;
  GstElement *transport;

  params->pt_caps[0] = gst_caps_from_string (
      "application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU,"
      "payload=0");
  transport = mcu_rtp_endpoint_build (ep, params, &error);
  gst_clear_caps (&params->pt_caps[0]);
  g_assert_no_error (error);
  return transport;
}

/* @data: TRUE for the audio transport without rtpbin (mcu-rtp-direct.c):
 * the same latching, and its own RTCP reports and statistics. */
static void
test_stranger_never_steals (gconstpointer data)
{
  gboolean direct = GPOINTER_TO_INT (data);
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (McuRtpEndpoint) ep = NULL;
  guint peer_port, stranger_port, rtcp_port, port, to_peer = 0, to_stranger = 0;
  g_autoptr (GSocket) peer = udp_socket ("127.0.0.1", &peer_port);
  g_autoptr (GSocket) stranger = udp_socket ("127.0.0.2", &stranger_port);
  g_autoptr (GSocket) peer_rtcp = udp_socket ("127.0.0.1", &rtcp_port);
  McuRtpEndpointParams params = {
    .pt = 0, .thread_free_jitter = direct, .no_rtpbin = direct
  };
  McuRtpEndpointCounters counters;
  McuRtpEndpointStats stats;
  Linked linked = { 0, 0 };
  GstElement *pipeline, *transport, *src, *sink;
  gint n_out = 0;
  guint reports = 0;
  gint64 end;

  mcu_port_pool_set_playout_enabled (pool, direct);
  ep = mcu_rtp_endpoint_new (pool, 20, &error);
  g_assert_no_error (error);
  port = mcu_rtp_endpoint_get_rtp_port (ep);
  mcu_rtp_endpoint_set_remote (ep, "127.0.0.1", peer_port, rtcp_port);
  transport = build_pcmu (ep, &params);
  g_assert_true ((mcu_rtp_endpoint_get_rtpbin (ep) == NULL) == direct);
  g_signal_connect (
      ep, "stream-linked", G_CALLBACK (on_stream_linked), &linked);

  pipeline = gst_pipeline_new (NULL);
  src = gst_parse_bin_from_description (
      "audiotestsrc is-live=true samplesperbuffer=160 ! "
      "audio/x-raw,rate=8000 ! mulawenc ! rtppcmupay pt=0",
      TRUE, &error);
  g_assert_no_error (error);
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (
      sink, "sync", FALSE, "async", FALSE, "signal-handoffs", TRUE, NULL);
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), &n_out);
  gst_bin_add_many (GST_BIN (pipeline), src, transport, sink, NULL);
  g_assert_true (gst_element_link_pads (src, NULL, transport, "rtp_sink"));
  g_assert_true (gst_element_link_pads (transport, "rtp_src", sink, "sink"));
  gst_element_set_state (pipeline, GST_STATE_PLAYING);

  /* both send at once for 2 s, the stranger first each time */
  for (guint16 seq = 0; seq < 100; seq++) {
    send_rtp (stranger, port, seq, 0x2222);
    send_rtp (peer, port, seq, 0x1111);
    g_usleep (20 * G_TIME_SPAN_MILLISECOND);
    to_peer += drain_rtp (peer);
    to_stranger += drain_rtp (stranger);
  }
  g_usleep (100 * G_TIME_SPAN_MILLISECOND);
  to_peer += drain_rtp (peer);
  to_stranger += drain_rtp (stranger);
  mcu_rtp_endpoint_get_counters (ep, &counters);

  g_assert_cmpuint (to_peer, >=, 50);
  g_assert_cmpuint (to_stranger, ==, 0);
  g_assert_cmpuint (counters.packets_received, <=, 100); /* the peer's only */
  g_assert_cmpuint (counters.packets_received, >=, 90);
  g_assert_cmpint (g_atomic_int_get (&linked.n_linked), ==, 1);
  g_assert_cmpuint (linked.ssrc, ==, 0x1111);
  g_assert_cmpint (mcu_rtp_endpoint_get_idle_time (ep), <, G_USEC_PER_SEC);
  /* the caller's stream came out of the jitter buffer */
  g_assert_cmpint (g_atomic_int_get (&n_out), >=, 50);
  mcu_rtp_endpoint_get_stats (ep, &stats);
  g_assert_cmpuint (stats.packets_sent, >=, 50);
  /* a report reaches the SDP's RTCP port (the first within 0.5-1.5 x
   * 2.5 s after the start) */
  end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while ((reports += drain_rtcp_reports (peer_rtcp)) == 0 &&
         g_get_monotonic_time () < end)
    g_usleep (50 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpuint (reports, >=, 1);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  mcu_rtp_endpoint_reset (ep);
}

/* The caller's SRTP (srtpenc in a pipeline sending from its socket) comes
 * out of rtp_src decrypted, with and without rtpbin (@data: direct). */
static void
test_srtp_in (gconstpointer data)
{
  gboolean direct = GPOINTER_TO_INT (data);
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (McuRtpEndpoint) ep = NULL;
  guint peer_port, port;
  g_autoptr (GSocket) peer = udp_socket ("127.0.0.1", &peer_port);
  McuRtpEndpointParams params = { .pt = 0,
    .srtp = MCU_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80,
    .thread_free_jitter = direct,
    .no_rtpbin = direct };
  McuMediaSrtpKey send = { .suite = MCU_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80,
    .key_len = 30 };
  McuMediaSrtpKey recv = send;
  g_autoptr (GstBuffer) key = NULL;
  GstElement *pipeline, *peer_pipe, *enc, *udp, *transport, *src, *depay, *sink;
  gint n_out = 0;
  gint64 end;

  for (guint i = 0; i < 30; i++) {
    send.key[i] = (guint8)i;
    recv.key[i] = (guint8)(100 + i);
  }
  mcu_port_pool_set_playout_enabled (pool, direct);
  ep = mcu_rtp_endpoint_new (pool, 40, &error);
  g_assert_no_error (error);
  port = mcu_rtp_endpoint_get_rtp_port (ep);
  mcu_rtp_endpoint_set_srtp_keys (ep, &send, &recv);
  mcu_rtp_endpoint_set_remote (ep, "127.0.0.1", peer_port, peer_port + 1);
  transport = build_pcmu (ep, &params);
  g_assert_true ((mcu_rtp_endpoint_get_rtpbin (ep) == NULL) == direct);
  if (direct) {
    /* its depth starts at jitter-latency and adapts within the classic
     * path's bounds (a step down leaves no hole through the ring:
     * test_plc) */
    g_autoptr (GstIterator) it = gst_bin_iterate_recurse (GST_BIN (transport));
    GValue v = G_VALUE_INIT;
    guint start = 0, min = 0, max = 0, found = 0;

    while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
      GObject *e = g_value_get_object (&v);

      if (MCU_IS_JITTER_BUFFER (e)) {
        g_object_get (e, "latency", &start, "min-latency", &min, "max-latency",
            &max, NULL);
        found++;
      }
      g_value_unset (&v);
    }
    g_assert_cmpuint (found, ==, 1);
    g_assert_cmpuint (start, ==, 40);
    g_assert_cmpuint (min, ==, 20);
    g_assert_cmpuint (max, ==, 200);
  }

  pipeline = gst_pipeline_new (NULL);
  src = gst_parse_bin_from_description (
      "audiotestsrc is-live=true samplesperbuffer=160 ! "
      "audio/x-raw,rate=8000 ! mulawenc ! rtppcmupay pt=0",
      TRUE, &error);
  g_assert_no_error (error);
  /* a depayloader, as in a session: it wants clock-rate and encoding */
  depay = gst_element_factory_make ("rtppcmudepay", NULL);
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (
      sink, "sync", FALSE, "async", FALSE, "signal-handoffs", TRUE, NULL);
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), &n_out);
  gst_bin_add_many (GST_BIN (pipeline), src, transport, depay, sink, NULL);
  g_assert_true (gst_element_link_pads (src, NULL, transport, "rtp_sink"));
  g_assert_true (gst_element_link_pads (transport, "rtp_src", depay, "sink"));
  g_assert_true (gst_element_link (depay, sink));
  gst_element_set_state (pipeline, GST_STATE_PLAYING);

  /* the caller encrypts with the key we receive with */
  peer_pipe =
      gst_parse_launch ("audiotestsrc is-live=true samplesperbuffer=160"
                        " ! audio/x-raw,rate=8000 ! mulawenc ! "
                        "rtppcmupay pt=0 ssrc=4660 ! srtpenc name=enc ! "
                        "udpsink name=udp sync=false async=false",
          &error);
  g_assert_no_error (error);
  enc = gst_bin_get_by_name (GST_BIN (peer_pipe), "enc");
  udp = gst_bin_get_by_name (GST_BIN (peer_pipe), "udp");
  key = gst_buffer_new_memdup (recv.key, recv.key_len);
  g_object_set (enc, "key", key, NULL);
  g_object_set (udp, "socket", peer, "close-socket", FALSE, "host", "127.0.0.1",
      "port", (gint)port, NULL);
  gst_element_set_state (peer_pipe, GST_STATE_PLAYING);
  end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (g_atomic_int_get (&n_out) < 50 && g_get_monotonic_time () < end)
    g_usleep (20 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (g_atomic_int_get (&n_out), >=, 50);

  gst_element_set_state (peer_pipe, GST_STATE_NULL);
  gst_object_unref (enc);
  gst_object_unref (udp);
  gst_object_unref (peer_pipe);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  mcu_rtp_endpoint_reset (ep);
}

static guint
n_threads (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  while (dir && g_dir_read_name (dir))
    n++;
  return n;
}

/* The caller (at its SDP address) sends each packet under a new SSRC: what
 * it makes us hold (rtpbin's jitter buffers, each with its thread) has a
 * limit. */
static void
test_ssrc_flood_bounded (void)
{
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (McuRtpEndpoint) ep = mcu_rtp_endpoint_new (pool, 20, &error);
  guint peer_port, port, before, during;
  g_autoptr (GSocket) peer = udp_socket ("127.0.0.1", &peer_port);
  McuRtpEndpointParams params = { .pt = 0 };
  McuRtpEndpointCounters counters;
  GstElement *pipeline, *transport, *sink;

  g_assert_no_error (error);
  port = mcu_rtp_endpoint_get_rtp_port (ep);
  mcu_rtp_endpoint_set_remote (ep, "127.0.0.1", peer_port, peer_port + 1);
  transport = build_pcmu (ep, &params);
  pipeline = gst_pipeline_new (NULL);
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), transport, sink, NULL);
  g_assert_true (gst_element_link_pads (transport, "rtp_src", sink, "sink"));
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  before = n_threads ();

  for (guint i = 0; i < 300; i++) {
    send_rtp (peer, port, (guint16)i, 0x10000 + i / 3);
    if (i % 20 == 19)
      g_usleep (10 * G_TIME_SPAN_MILLISECOND);
  }
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);
  during = n_threads ();
  mcu_rtp_endpoint_get_counters (ep, &counters);
  g_test_message ("threads %u -> %u, %" G_GUINT64_FORMAT " packets", before,
      during, (guint64)counters.packets_received);
  g_assert_cmpuint (counters.packets_received, >=, 250);
  g_assert_cmpuint (during, <=, before + 40);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  mcu_rtp_endpoint_reset (ep);
}

typedef struct
{
  gint n;       /* atomic: packets of `ssrc` out of rtp_src */
  guint32 ssrc; /* atomic */
} SsrcCount;

static void
on_ssrc_handoff (GstElement *sink, GstBuffer *buf, GstPad *pad, SsrcCount *c)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp))
    return;
  if (gst_rtp_buffer_get_ssrc (&rtp) ==
      (guint32)g_atomic_int_get ((gint *)&c->ssrc))
    g_atomic_int_inc (&c->n);
  gst_rtp_buffer_unmap (&rtp);
}

/* Elements of @bin named drop-* (fakesinks of streams not linked). */
static guint
n_drop_sinks (GstElement *bin)
{
  GstIterator *it = gst_bin_iterate_elements (GST_BIN (bin));
  GValue item = G_VALUE_INIT;
  guint n = 0;

  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    if (g_str_has_prefix (
            GST_OBJECT_NAME (g_value_get_object (&item)), "drop-"))
      n++;
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return n;
}

/* A caller that changes SSRC 12 times without a re-INVITE, once every
 * 200 ms (more than rtpbin's max-streams): each new SSRC is heard (comes
 * out of rtp_src), also after the 8th, while the streams of the SSRCs gone
 * quiet are dropped with their fakesinks when a new one needs the place, so
 * the threads do not grow with each one. @data: TRUE for rtpbin with
 * mcujitterbuffer on McuPlayout. */
static void
test_ssrc_changes_heard (gconstpointer data)
{
  gboolean thread_free = GPOINTER_TO_INT (data);
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (McuRtpEndpoint) ep = NULL;
  guint peer_port, port, before, most = 0;
  g_autoptr (GSocket) peer = udp_socket ("127.0.0.1", &peer_port);
  McuRtpEndpointParams params = { .pt = 0, .thread_free_jitter = thread_free };
  GstElement *pipeline, *transport, *sink;
  Linked linked = { 0, 0 };
  SsrcCount count = { 0, 0 };
  guint16 seq = 0;

  mcu_port_pool_set_playout_enabled (pool, thread_free);
  ep = mcu_rtp_endpoint_new (pool, 20, &error);
  g_assert_no_error (error);
  port = mcu_rtp_endpoint_get_rtp_port (ep);
  mcu_rtp_endpoint_set_remote (ep, "127.0.0.1", peer_port, peer_port + 1);
  transport = build_pcmu (ep, &params);
  g_assert_true (mcu_rtp_endpoint_get_thread_free_jitter (ep) == thread_free);
  g_signal_connect (
      ep, "stream-linked", G_CALLBACK (on_stream_linked), &linked);
  pipeline = gst_pipeline_new (NULL);
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (
      sink, "sync", FALSE, "async", FALSE, "signal-handoffs", TRUE, NULL);
  g_signal_connect (sink, "handoff", G_CALLBACK (on_ssrc_handoff), &count);
  gst_bin_add_many (GST_BIN (pipeline), transport, sink, NULL);
  g_assert_true (gst_element_link_pads (transport, "rtp_src", sink, "sink"));
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  before = n_threads ();

  for (guint32 k = 1; k <= 12; k++) {
    guint32 ssrc = 0x5000 + k;

    g_atomic_int_set ((gint *)&count.ssrc, (gint)ssrc);
    g_atomic_int_set (&count.n, 0);
    /* 200 ms of 20 ms packets under this SSRC */
    for (guint i = 0; i < 10; i++) {
      send_rtp (peer, port, seq++, ssrc);
      g_usleep (20 * G_TIME_SPAN_MILLISECOND);
    }
    g_usleep (60 * G_TIME_SPAN_MILLISECOND); /* the jitter buffer's */
    most = MAX (most, n_threads ());
    g_test_message ("SSRC %u: %d packets out, linked %08x, threads %u, "
                    "fakesinks %u",
        k, g_atomic_int_get (&count.n), linked.ssrc, n_threads (),
        n_drop_sinks (transport));
    /* heard: followed, and its packets come out */
    g_assert_cmpuint (g_atomic_int_get ((gint *)&linked.ssrc), ==, ssrc);
    g_assert_cmpint (g_atomic_int_get (&count.n), >=, 5);
  }
  g_assert_cmpint (g_atomic_int_get (&linked.n_linked), ==, 12);
  /* never a stream for each: at most MCU_RTP_STREAM_SET_MAX at once
   * (quiet ones are dropped only when a new SSRC needs the place, at most
   * once per MCU_RTP_STREAM_SET_CLEAR_EVERY); rtpjitterbuffer has 2
   * threads per stream */
  g_test_message ("threads %u -> at most %u", before, most);
  g_assert_cmpuint (most, <=, before + 2 * MCU_RTP_STREAM_SET_MAX);
  g_assert_cmpuint (n_drop_sinks (transport), <, MCU_RTP_STREAM_SET_MAX);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  mcu_rtp_endpoint_reset (ep);
}

/* McuRtpStreamSet on its own: full, a new SSRC drops only streams quiet for
 * MCU_RTP_STREAM_SET_QUIET, never the caller's current one; until one is,
 * the new SSRC gets no place (rtpbin's cap holds). */
static void
test_stream_set (void)
{
  McuRtpStreamSet set;
  guint32 clear[MCU_RTP_STREAM_SET_MAX];
  const gint64 quiet = MCU_RTP_STREAM_SET_QUIET;
  gint64 t = 1000000;

  mcu_rtp_stream_set_init (&set);
  for (guint32 s = 1; s <= MCU_RTP_STREAM_SET_MAX; s++)
    g_assert_cmpuint (
        mcu_rtp_stream_set_packet (&set, s, 1, TRUE, t, clear), ==, 0);
  g_assert_cmpuint (set.n, ==, MCU_RTP_STREAM_SET_MAX);
  /* full and none quiet: nothing goes, the new one is not taken */
  g_assert_cmpuint (
      mcu_rtp_stream_set_packet (&set, 100, 1, TRUE, t + 1, clear), ==, 0);
  g_assert_cmpuint (set.n, ==, MCU_RTP_STREAM_SET_MAX);
  /* SSRC 2 keeps sending (none quiet yet); later, the quiet ones go but
   * the current (1) and the one still heard (2) */
  g_assert_cmpuint (
      mcu_rtp_stream_set_packet (&set, 2, 1, TRUE, t + quiet - 1, clear), ==,
      0);
  g_assert_cmpuint (
      mcu_rtp_stream_set_packet (&set, 100, 1, TRUE, t + quiet + 1, clear), ==,
      MCU_RTP_STREAM_SET_MAX - 2);
  for (guint i = 0; i < MCU_RTP_STREAM_SET_MAX - 2; i++)
    g_assert_cmpuint (clear[i], >=, 3);
  g_assert_cmpuint (set.n, ==, 3); /* 1, 2 and 100 */

  /* a caller with a new SSRC on every packet: full again, and quiet, but
   * no more drops (streams made and joined on the shared receive thread)
   * before MCU_RTP_STREAM_SET_CLEAR_EVERY has passed since the last */
  t += quiet + 1;
  for (guint32 s = 200; set.n < MCU_RTP_STREAM_SET_MAX; s++)
    g_assert_cmpuint (
        mcu_rtp_stream_set_packet (&set, s, 1, TRUE, t, clear), ==, 0);
  t += quiet + 1;
  g_assert_cmpuint (
      mcu_rtp_stream_set_packet (&set, 300, 1, TRUE, t, clear), ==, 0);
  g_assert_cmpuint (set.n, ==, MCU_RTP_STREAM_SET_MAX);
  g_assert_cmpuint (mcu_rtp_stream_set_packet (&set, 301, 1, TRUE,
                        t - quiet + MCU_RTP_STREAM_SET_CLEAR_EVERY, clear),
      >, 0);
}

/* An RTP packet (PCMU, @size bytes in all) with sequence number @seq. */
static GstBuffer *
make_rtp (guint16 seq, guint size)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (size - 12, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  g_assert_true (gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp));
  gst_rtp_buffer_set_payload_type (&rtp, 0);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, (guint32)seq * 160);
  gst_rtp_buffer_set_ssrc (&rtp, 0x5e4d);
  memset (gst_rtp_buffer_get_payload (&rtp), seq & 0xff, size - 12);
  gst_rtp_buffer_unmap (&rtp);
  return buf;
}

/* The datagrams waiting on @s, each checked against make_rtp (@seq++, 172):
 * how many. */
static guint
receive_exact (GSocket *s, guint16 *seq)
{
  guint8 buf[2048];
  gssize n;
  guint count = 0;

  while ((n = g_socket_receive (s, (gchar *)buf, sizeof buf, NULL, NULL)) > 0) {
    g_autoptr (GstBuffer) want = make_rtp ((*seq)++, 172);

    g_assert_cmpint (n, ==, 172);
    g_assert_cmpint (gst_buffer_memcmp (want, 0, buf, n), ==, 0);
    count++;
  }
  return count;
}

/* The direct transport sends our RTP itself (one sendto from the pushing
 * thread, not through udpsink) to where udpsink would: the SDP's address,
 * nothing on c=0.0.0.0 hold, the new address of a re-INVITE; every packet
 * counted for the RTCP sender report. The push delivers on loopback before
 * it returns (sync=false, or sendto): no waiting. */
static void
test_direct_send (void)
{
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (McuRtpEndpoint) ep = NULL;
  guint peer_port, other_port, rtcp_port;
  g_autoptr (GSocket) peer = udp_socket ("127.0.0.1", &peer_port);
  g_autoptr (GSocket) other = udp_socket ("127.0.0.1", &other_port);
  g_autoptr (GSocket) peer_rtcp = udp_socket ("127.0.0.1", &rtcp_port);
  McuRtpEndpointParams params = {
    .pt = 0, .thread_free_jitter = TRUE, .no_rtpbin = TRUE
  };
  g_autoptr (GstPad) src = gst_pad_new ("src", GST_PAD_SRC);
  g_autoptr (GstCaps) caps = NULL;
  McuRtpEndpointStats stats;
  McuRtpEndpointCounters counters;
  GstElement *pipeline, *transport;
  GstPad *sink;
  GstSegment segment;
  guint16 seq = 0, peer_seq = 0, other_seq;
  guint64 served = 1;

  mcu_port_pool_set_playout_enabled (pool, TRUE);
  ep = mcu_rtp_endpoint_new (pool, 20, &error);
  g_assert_no_error (error);
  mcu_rtp_endpoint_set_remote (ep, "127.0.0.1", peer_port, rtcp_port);
  transport = build_pcmu (ep, &params);
  pipeline = gst_pipeline_new (NULL);
  gst_bin_add (GST_BIN (pipeline), transport);
  sink = gst_element_get_static_pad (transport, "rtp_sink");
  g_assert_cmpint (gst_pad_link (src, sink), ==, GST_PAD_LINK_OK);
  gst_object_unref (sink);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  gst_pad_set_active (src, TRUE);
  caps = gst_caps_from_string ("application/x-rtp,media=audio,"
                               "clock-rate=8000,encoding-name=PCMU,payload=0");
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (src, gst_event_new_stream_start ("direct-send"));
  gst_pad_push_event (src, gst_event_new_caps (caps));
  gst_pad_push_event (src, gst_event_new_segment (&segment));

  for (guint i = 0; i < 20; i++)
    g_assert_cmpint (
        gst_pad_push (src, make_rtp (seq++, 172)), ==, GST_FLOW_OK);
  g_assert_cmpuint (receive_exact (peer, &peer_seq), ==, 20);
  /* hold (c=0.0.0.0): nothing goes out */
  mcu_rtp_endpoint_set_remote (ep, "0.0.0.0", peer_port, rtcp_port);
  for (guint i = 0; i < 5; i++)
    gst_pad_push (src, make_rtp (seq++, 172));
  g_assert_cmpuint (drain_rtp (peer) + drain_rtp (other), ==, 0);
  /* a re-INVITE to another port */
  mcu_rtp_endpoint_set_remote (ep, "127.0.0.1", other_port, rtcp_port);
  other_seq = seq;
  for (guint i = 0; i < 10; i++)
    gst_pad_push (src, make_rtp (seq++, 172));
  g_assert_cmpuint (receive_exact (other, &other_seq), ==, 10);
  g_assert_cmpuint (drain_rtp (peer), ==, 0);
  /* udpsink sent none of them */
  g_object_get (ep->udpsink_rtp, "bytes-served", &served, NULL);
  g_assert_cmpuint (served, ==, 0);
  mcu_rtp_endpoint_get_stats (ep, &stats);
  g_assert_cmpuint (stats.packets_sent, ==, 35);
  /* a datagram too big for UDP: not sent, counted */
  mcu_rtp_endpoint_get_counters (ep, &counters);
  g_assert_cmpuint (counters.send_errors, ==, 0);
  gst_pad_push (src, make_rtp (seq++, 70000));
  mcu_rtp_endpoint_get_counters (ep, &counters);
  g_assert_cmpuint (counters.send_errors, ==, 1);
  g_assert_cmpuint (drain_rtp (other), ==, 0);

  gst_pad_set_active (src, FALSE);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  mcu_rtp_endpoint_reset (ep);
}

/* A pipeline pushing into @ep's built transport from @src (caps PCMU). */
static GstElement *
start_push (McuRtpEndpoint *ep, GstElement *transport, GstPad *src)
{
  g_autoptr (GstCaps) caps = gst_caps_from_string (
      "application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU,"
      "payload=0");
  GstElement *pipeline = gst_pipeline_new (NULL);
  g_autoptr (GstPad) sink = NULL;
  GstSegment segment;

  gst_bin_add (GST_BIN (pipeline), transport);
  sink = gst_element_get_static_pad (transport, "rtp_sink");
  g_assert_cmpint (gst_pad_link (src, sink), ==, GST_PAD_LINK_OK);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  gst_pad_set_active (src, TRUE);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (src, gst_event_new_stream_start ("direct-send"));
  gst_pad_push_event (src, gst_event_new_caps (caps));
  gst_pad_push_event (src, gst_event_new_segment (&segment));
  return pipeline;
}

static void
stop_push (GstElement *pipeline, GstPad *src)
{
  gst_pad_set_active (src, FALSE);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

/* With SRTP the direct transport sends each packet once, encrypted (by
 * on_srtp_out after srtpenc; never the clear packet from before it), not
 * through udpsink. After reset nothing is sent any more, not even by a
 * late push: the pool may close the socket then. */
static void
test_direct_send_srtp (void)
{
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (McuRtpEndpoint) ep = NULL;
  guint peer_port;
  g_autoptr (GSocket) peer = udp_socket ("127.0.0.1", &peer_port);
  McuRtpEndpointParams params = { .pt = 0,
    .srtp = MCU_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80,
    .thread_free_jitter = TRUE,
    .no_rtpbin = TRUE };
  McuMediaSrtpKey key = { .suite = MCU_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80,
    .key_len = 30 };
  g_autoptr (GstPad) src = gst_pad_new ("src", GST_PAD_SRC);
  McuRtpEndpointStats stats;
  GstElement *pipeline, *transport;
  guint8 buf[2048];
  gssize n;
  guint received = 0;
  guint64 served = 1;

  for (guint i = 0; i < 30; i++)
    key.key[i] = (guint8)(7 * i);
  mcu_port_pool_set_playout_enabled (pool, TRUE);
  ep = mcu_rtp_endpoint_new (pool, 20, &error);
  g_assert_no_error (error);
  mcu_rtp_endpoint_set_srtp_keys (ep, &key, &key);
  mcu_rtp_endpoint_set_remote (ep, "127.0.0.1", peer_port, peer_port + 1);
  transport = build_pcmu (ep, &params);
  g_assert_null (mcu_rtp_endpoint_get_rtpbin (ep));
  pipeline = start_push (ep, transport, src);

  for (guint16 seq = 0; seq < 10; seq++)
    g_assert_cmpint (gst_pad_push (src, make_rtp (seq, 172)), ==, GST_FLOW_OK);
  while (
      (n = g_socket_receive (peer, (gchar *)buf, sizeof buf, NULL, NULL)) > 0) {
    g_autoptr (GstBuffer) plain = make_rtp (received, 172);

    /* the header stays clear, the payload is not, and the tag follows */
    g_assert_cmpint (n, ==, 172 + 10);
    g_assert_cmpint (gst_buffer_memcmp (plain, 0, buf, 12), ==, 0);
    g_assert_cmpint (gst_buffer_memcmp (plain, 12, buf + 12, 160), !=, 0);
    received++;
  }
  g_assert_cmpuint (received, ==, 10);
  g_object_get (ep->udpsink_rtp, "bytes-served", &served, NULL);
  g_assert_cmpuint (served, ==, 0);
  mcu_rtp_endpoint_get_stats (ep, &stats);
  g_assert_cmpuint (stats.packets_sent, ==, 10);

  stop_push (pipeline, src);
  mcu_rtp_endpoint_reset (ep);
  /* what a push racing the reset would do: dropped, nothing goes out */
  g_assert_cmpint (
      mcu_rtp_direct_send (ep, buf, 172), ==, MCU_RTP_SEND_NOWHERE);
  g_assert_cmpuint (drain_rtp (peer), ==, 0);
}

/* The caller is heard from another address than the SDP's (a NAT): the
 * direct send follows the latch there, as udpsink's client does. */
static void
test_direct_send_latched (void)
{
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (McuRtpEndpoint) ep = NULL;
  guint sdp_port, peer_port, port;
  g_autoptr (GSocket) sdp = udp_socket ("127.0.0.1", &sdp_port);
  g_autoptr (GSocket) peer = udp_socket ("127.0.0.1", &peer_port);
  McuRtpEndpointParams params = {
    .pt = 0, .thread_free_jitter = TRUE, .no_rtpbin = TRUE
  };
  g_autoptr (GstPad) src = gst_pad_new ("src", GST_PAD_SRC);
  McuRtpEndpointCounters counters = { 0 };
  GstElement *pipeline, *transport;
  guint16 seq = 0, sdp_seq = 0, peer_seq;
  gint64 end;

  mcu_port_pool_set_playout_enabled (pool, TRUE);
  ep = mcu_rtp_endpoint_new (pool, 20, &error);
  g_assert_no_error (error);
  port = mcu_rtp_endpoint_get_rtp_port (ep);
  mcu_rtp_endpoint_set_remote (ep, "127.0.0.1", sdp_port, sdp_port + 1);
  transport = build_pcmu (ep, &params);
  pipeline = start_push (ep, transport, src);
  for (guint i = 0; i < 5; i++)
    gst_pad_push (src, make_rtp (seq++, 172));
  g_assert_cmpuint (receive_exact (sdp, &sdp_seq), ==, 5);

  /* the SDP's address stayed silent past the NAT grace period (set back
   * rather than waited for) */
  g_mutex_lock (&ep->lock);
  ep->remote_since -= 10 * G_USEC_PER_SEC;
  g_mutex_unlock (&ep->lock);
  send_rtp (peer, port, 0, 0x1111);
  end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (counters.packets_received == 0 && g_get_monotonic_time () < end) {
    g_usleep (5 * G_TIME_SPAN_MILLISECOND);
    mcu_rtp_endpoint_get_counters (ep, &counters);
  }
  g_assert_cmpuint (counters.packets_received, ==, 1);
  peer_seq = seq;
  for (guint i = 0; i < 5; i++)
    gst_pad_push (src, make_rtp (seq++, 172));
  g_assert_cmpuint (receive_exact (peer, &peer_seq), ==, 5);
  g_assert_cmpuint (drain_rtp (sdp), ==, 0);

  stop_push (pipeline, src);
  mcu_rtp_endpoint_reset (ep);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/rtp-endpoint/stranger-never-steals",
      GINT_TO_POINTER (FALSE), test_stranger_never_steals);
  g_test_add_data_func ("/rtp-endpoint/direct/stranger-never-steals",
      GINT_TO_POINTER (TRUE), test_stranger_never_steals);
  g_test_add_data_func (
      "/rtp-endpoint/srtp-in", GINT_TO_POINTER (FALSE), test_srtp_in);
  g_test_add_data_func (
      "/rtp-endpoint/direct/srtp-in", GINT_TO_POINTER (TRUE), test_srtp_in);
  g_test_add_func ("/rtp-endpoint/direct/send", test_direct_send);
  g_test_add_func ("/rtp-endpoint/direct/send-srtp", test_direct_send_srtp);
  g_test_add_func (
      "/rtp-endpoint/direct/send-latched", test_direct_send_latched);
  g_test_add_func ("/rtp-endpoint/stream-set", test_stream_set);
  g_test_add_func ("/rtp-endpoint/ssrc-flood-bounded", test_ssrc_flood_bounded);
  g_test_add_data_func ("/rtp-endpoint/ssrc-changes-heard",
      GINT_TO_POINTER (FALSE), test_ssrc_changes_heard);
  g_test_add_data_func ("/rtp-endpoint/thread-free-jitter/ssrc-changes-heard",
      GINT_TO_POINTER (TRUE), test_ssrc_changes_heard);
  return g_test_run ();
}
