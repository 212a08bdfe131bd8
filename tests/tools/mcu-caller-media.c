/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Media of mcu-test-caller, see mcu-caller-media.h for the threading note.
 *
 * Send: audiotestsrc (sine) -> resample to the encoder rate -> encoder ->
 *       payloader -> valve (hold) -> udpsink
 * Recv: udpsrc -> rtpjitterbuffer -> depay -> decoder -> S16LE 48 kHz mono
 *       -> audiomixer (with a live silent source, so the WAV runs on the
 *       pipeline clock and gaps stay gaps) -> wavenc -> filesink
 * udpsrc and udpsink share one GSocket: we send from the port we receive on.
 *
 * The recording must survive a loaded machine: the jitterbuffer runs in
 * mode=none (time stamps follow the sender's RTP clock, so a burst of packets
 * read after a scheduling stall keeps its spacing instead of being squeezed
 * onto arrival times and dropped as overlap), and the audiomixer waits up to
 * 500 ms for late input before it writes silence. A stall longer than that
 * shows up as a gap, as it would on a phone. */
#include "mcu-caller-media.h"
#include "mcu-caller-clap.h"

#include <gst/gst.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <string.h>

#define MCU_CALLER_MEDIA_ERROR (g_quark_from_static_string ("mcu-caller-media"))
#define STOP_TIMEOUT_MS        4000

struct _McuCallerMedia
{
  gchar *prefix;
  gint64 epoch_mono; /* log time stamps count from here */
  GSocket *rtp;
  GSocket *rtcp;
  GSource *rtcp_source;
  GstElement *pipeline;
  GstElement *udpsink;
  GstElement *valve;
  GstElement *srtpenc; /* (nullable) */
  GstElement *srtpdec; /* (nullable) */
  GMutex lock; /* srtp_recv_key: request-key runs on a streaming thread */
  guint8 srtp_recv_key[30];
  guint bus_watch;
  guint pt;
  gint64 start_unix_us;
  /* Written by streaming threads with g_atomic_int_*. */
  gint received;
  gint sent;
  gint withheld;         /* --drop-percent */
  gint longest_drop_run; /* most packets withheld in a row */
  /* The send thread only. */
  GRand *drop_rand; /* (nullable) */
  guint drop_percent;
  guint drop_run;
  gint other_pt;
  gint max_gap_us;    /* longest time between two RTP arrivals */
  gint max_gap_at_ms; /* when it ended, ms from the first arrival */
  /* The RTP thread only. */
  gint64 first_rx_us, last_rx_us;
  McuCallerMediaErrorFunc on_error;
  gpointer error_data;
  gboolean error_reported;
  McuCallerMediaStoppedFunc on_stopped;
  gpointer stopped_data;
  guint stop_timeout_id;
};

static GSocket *
bind_udp (const char *address, guint port, GError **error)
{
  g_autoptr (GSocket) sock = NULL;
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr (GSocketAddress) sa = NULL;

  if (!inet) {
    g_set_error (
        error, MCU_CALLER_MEDIA_ERROR, 1, "bad local address %s", address);
    return NULL;
  }
  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, error);
  if (!sock)
    return NULL;
  sa = g_inet_socket_address_new (inet, port);
  if (!g_socket_bind (sock, sa, FALSE, error))
    return NULL;
  return g_steal_pointer (&sock);
}

static guint
socket_port (GSocket *sock)
{
  g_autoptr (GSocketAddress) sa = g_socket_get_local_address (sock, NULL);
  return sa ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (sa)) : 0;
}

/* An even ephemeral RTP port with RTCP on the next one. */
static gboolean
bind_socket_pair (McuCallerMedia *m, const char *address, GError **error)
{
  for (guint attempt = 0; attempt < 100; attempt++) {
    g_autoptr (GSocket) rtp = bind_udp (address, 0, error);
    guint port;

    if (!rtp)
      return FALSE;
    port = socket_port (rtp);
    if (port % 2 != 0 || port >= 65535)
      continue;
    m->rtcp = bind_udp (address, port + 1, NULL);
    if (m->rtcp) {
      m->rtp = g_steal_pointer (&rtp);
      return TRUE;
    }
  }
  g_set_error (error, MCU_CALLER_MEDIA_ERROR, 2, "no free RTP/RTCP port pair");
  return FALSE;
}

/* We do not use RTCP; read and drop it so the socket never fills up. */
static gboolean
on_rtcp_readable (GSocket *sock, GIOCondition cond, gpointer user_data)
{
  gchar buf[2048];

  while (g_socket_receive_with_blocking (
             sock, buf, sizeof (buf), FALSE, NULL, NULL) > 0)
    ;
  return G_SOURCE_CONTINUE;
}

static void media_log (McuCallerMedia *m, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

static void
media_log (McuCallerMedia *m, const char *format, ...)
{
  g_autofree gchar *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("%s: [%7.3f] %s\n", m->prefix,
      (g_get_monotonic_time () - m->epoch_mono) / 1e6, text);
}

McuCallerMedia *
mcu_caller_media_new (const char *log_prefix, gint64 epoch_mono,
    const char *local_address, McuCallerMediaErrorFunc on_error,
    gpointer user_data, GError **error)
{
  g_autoptr (McuCallerMedia) m = g_new0 (McuCallerMedia, 1);

  g_mutex_init (&m->lock);
  m->prefix = g_strdup (log_prefix);
  m->epoch_mono = epoch_mono;
  m->on_error = on_error;
  m->error_data = user_data;
  if (!bind_socket_pair (m, local_address, error))
    return NULL;
  m->rtcp_source = g_socket_create_source (m->rtcp, G_IO_IN, NULL);
  g_source_set_callback (
      m->rtcp_source, G_SOURCE_FUNC (on_rtcp_readable), NULL, NULL);
  g_source_attach (m->rtcp_source, NULL);
  return g_steal_pointer (&m);
}

guint
mcu_caller_media_get_port (McuCallerMedia *m)
{
  return m ? socket_port (m->rtp) : 0;
}

static gchar *
build_description (const McuCallerMediaParams *p)
{
  const McuCallerCodec *c = p->codec;
  gchar freq[G_ASCII_DTOSTR_BUF_SIZE], vol[G_ASCII_DTOSTR_BUF_SIZE];
  const char *tail;
  gboolean srtp = p->srtp_send_key != NULL;
  g_autofree gchar *jitter =
      p->jitter_ms ? g_strdup_printf ("netsim delay-probability=1 "
                                      "min-delay=0 max-delay=%u "
                                      "allow-reordering=true !",
                         p->jitter_ms)
                   : g_strdup ("");

  g_ascii_dtostr (freq, sizeof (freq), p->tone_hz);
  g_ascii_dtostr (vol, sizeof (vol), p->amplitude);
  tail = p->record_path
             ? "queue ! mix. "
               "audiotestsrc is-live=true wave=silence samplesperbuffer=960 "
               "! audio/x-raw,format=S16LE,rate=48000,channels=1 ! mix. "
               "audiomixer name=mix latency=500000000 "
               "! audio/x-raw,format=S16LE,rate=48000,channels=1 "
               "! wavenc ! filesink name=recfile"
             : "fakesink sync=false async=false";
  return g_strdup_printf (
      "audiotestsrc name=asrc is-live=true wave=sine freq=%s volume=%s "
      "samplesperbuffer=960 ! audio/x-raw,format=S16LE,rate=48000,channels=1 "
      "! audioresample ! audioconvert ! audio/x-raw,rate=%u "
      "! %s ! %s name=pay pt=%u min-ptime=20000000 max-ptime=20000000 "
      "! valve name=sendvalve ! %s %s udpsink name=rtpsink sync=false "
      "async=false "
      "udpsrc name=rtpsrc caps=\"application/x-%s,media=audio,"
      "encoding-name=%s,clock-rate=%u,payload=%u\" "
      "! %s rtpjitterbuffer latency=60 do-lost=true mode=none ! %s "
      "! audioconvert ! audioresample "
      "! audio/x-raw,format=S16LE,rate=48000,channels=1 ! %s",
      freq, vol, c->encode_rate, c->encoder, c->payloader, p->pt, jitter,
      srtp ? "srtpenc.rtp_sink_0 srtpenc name=srtpenc srtpenc.rtp_src_0 !" : "",
      srtp ? "srtp" : "rtp", c->encoding, c->clock_rate, p->pt,
      srtp ? "srtpdec name=srtpdec !" : "", c->decoder, tail);
}

/* Builds (and drops) the pipeline once so plugins are loaded before the call:
 * otherwise the first 2xx waits ~150 ms for libav to load. */
void
mcu_caller_media_preload (const McuCallerCodec *codec)
{
  McuCallerMediaParams p = { .codec = codec,
    .pt = codec->default_pt,
    .remote_address = "127.0.0.1",
    .remote_port = 9,
    .tone_hz = 440,
    .amplitude = 0.1,
    .record_path = "/dev/null" };
  g_autofree gchar *desc = build_description (&p);
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, NULL);
}

/* RTP thread: the longest silence between two of our packets. */
static void
note_arrival (McuCallerMedia *m, gint64 now)
{
  if (m->last_rx_us == 0) {
    m->first_rx_us = now;
  } else if (now - m->last_rx_us > g_atomic_int_get (&m->max_gap_us)) {
    g_atomic_int_set (
        &m->max_gap_us, (gint)MIN (now - m->last_rx_us, G_MAXINT));
    g_atomic_int_set (&m->max_gap_at_ms, (gint)((now - m->first_rx_us) / 1000));
  }
  m->last_rx_us = now;
}

/* Streaming thread: count what arrives, drop what is not our payload type
 * (telephone-event, garbage) before it reaches the depayloader. */
static GstPadProbeReturn
on_rtpsrc_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuCallerMedia *m = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint pt;

  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp)) {
    g_atomic_int_inc (&m->other_pt);
    return GST_PAD_PROBE_DROP;
  }
  pt = gst_rtp_buffer_get_payload_type (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  if (pt != m->pt) {
    g_atomic_int_inc (&m->other_pt);
    return GST_PAD_PROBE_DROP;
  }
  g_atomic_int_inc (&m->received);
  note_arrival (m, g_get_monotonic_time ());
  return GST_PAD_PROBE_OK;
}

/* Send thread (--drop-percent): withhold a seeded random share of the
 * packets, the same ones every run. */
static GstPadProbeReturn
on_send_drop (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuCallerMedia *m = user_data;

  if ((guint)g_rand_int_range (m->drop_rand, 0, 100) >= m->drop_percent) {
    m->drop_run = 0;
    return GST_PAD_PROBE_OK;
  }
  g_atomic_int_inc (&m->withheld);
  if (++m->drop_run > (guint)g_atomic_int_get (&m->longest_drop_run))
    g_atomic_int_set (&m->longest_drop_run, (gint)m->drop_run);
  return GST_PAD_PROBE_DROP;
}

/* Streaming thread: count packets handed to udpsink. */
static GstPadProbeReturn
on_rtpsink_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuCallerMedia *m = user_data;

  g_atomic_int_inc (&m->sent);
  return GST_PAD_PROBE_OK;
}

static void
add_probe (GstElement *pipeline, const char *name, const char *pad_name,
    GstPadProbeCallback cb, McuCallerMedia *m)
{
  g_autoptr (GstElement) e = gst_bin_get_by_name (GST_BIN (pipeline), name);
  g_autoptr (GstPad) pad = gst_element_get_static_pad (e, pad_name);

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, cb, m, NULL);
}

static void
finish_stop (McuCallerMedia *m)
{
  McuCallerMediaStoppedFunc cb = m->on_stopped;

  g_clear_handle_id (&m->stop_timeout_id, g_source_remove);
  if (m->pipeline)
    gst_element_set_state (m->pipeline, GST_STATE_NULL);
  m->on_stopped = NULL;
  if (cb)
    cb (m, m->stopped_data);
}

static void
report_error (McuCallerMedia *m, GstMessage *msg)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *debug = NULL;
  g_autofree gchar *text = NULL;

  gst_message_parse_error (msg, &err, &debug);
  text = g_strdup_printf ("pipeline error from %s: %s",
      GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message);
  media_log (m, "%s (%s)", text, debug ? debug : "");
  if (m->on_stopped) {
    finish_stop (m);
    return;
  }
  if (!m->error_reported && m->on_error) {
    m->error_reported = TRUE;
    m->on_error (m, text, m->error_data);
  }
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  McuCallerMedia *m = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      report_error (m, msg);
      break;
    case GST_MESSAGE_WARNING: {
      g_autoptr (GError) err = NULL;
      gst_message_parse_warning (msg, &err, NULL);
      media_log (m, "pipeline warning: %s", err->message);
      break;
    }
    case GST_MESSAGE_EOS:
      if (m->on_stopped)
        finish_stop (m);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* srtpdec's request-key (streaming thread). */
static GstCaps *
on_srtpdec_request_key (GstElement *dec, guint ssrc, gpointer user_data)
{
  McuCallerMedia *m = user_data;
  g_autoptr (GstBuffer) key = NULL;

  g_mutex_lock (&m->lock);
  key = gst_buffer_new_memdup (m->srtp_recv_key, 30);
  g_mutex_unlock (&m->lock);
  return gst_caps_new_simple ("application/x-srtp", "srtp-key", GST_TYPE_BUFFER,
      key, "srtp-cipher", G_TYPE_STRING, "aes-128-icm", "srtp-auth",
      G_TYPE_STRING, "hmac-sha1-80", "srtcp-cipher", G_TYPE_STRING,
      "aes-128-icm", "srtcp-auth", G_TYPE_STRING, "hmac-sha1-80", NULL);
}

void
mcu_caller_media_set_srtp_keys (
    McuCallerMedia *m, const guint8 *send_key, const guint8 *recv_key)
{
  if (send_key && m->srtpenc) {
    g_autoptr (GstBuffer) key = gst_buffer_new_memdup (send_key, 30);

    g_object_set (m->srtpenc, "key", key, NULL);
  }
  if (recv_key && m->srtpdec) {
    gboolean changed;

    g_mutex_lock (&m->lock);
    changed = memcmp (m->srtp_recv_key, recv_key, 30) != 0;
    memcpy (m->srtp_recv_key, recv_key, 30);
    g_mutex_unlock (&m->lock);
    if (changed)
      g_signal_emit_by_name (m->srtpdec, "clear-keys");
  }
}

static void
configure_elements (McuCallerMedia *m, const McuCallerMediaParams *p)
{
  GstBin *bin = GST_BIN (m->pipeline);
  g_autoptr (GstElement) src = gst_bin_get_by_name (bin, "rtpsrc");
  g_autoptr (GstElement) rec = gst_bin_get_by_name (bin, "recfile");

  m->udpsink = gst_bin_get_by_name (bin, "rtpsink");
  m->valve = gst_bin_get_by_name (bin, "sendvalve");
  g_object_set (src, "socket", m->rtp, "close-socket", FALSE, NULL);
  g_object_set (m->udpsink, "socket", m->rtp, "close-socket", FALSE, "host",
      p->remote_address, "port", (gint)p->remote_port, NULL);
  if (rec)
    g_object_set (rec, "location", p->record_path, NULL);
  m->srtpenc = gst_bin_get_by_name (bin, "srtpenc");
  m->srtpdec = gst_bin_get_by_name (bin, "srtpdec");
  if (m->srtpdec) {
    memcpy (m->srtp_recv_key, p->srtp_recv_key, 30);
    g_signal_connect (
        m->srtpdec, "request-key", G_CALLBACK (on_srtpdec_request_key), m);
  }
  if (m->srtpenc)
    mcu_caller_media_set_srtp_keys (m, p->srtp_send_key, NULL);
  add_probe (m->pipeline, "rtpsrc", "src", on_rtpsrc_buffer, m);
  add_probe (m->pipeline, "rtpsink", "sink", on_rtpsink_buffer, m);
  if (p->drop_percent > 0) {
    m->drop_percent = p->drop_percent;
    m->drop_rand = g_rand_new_with_seed (12);
    add_probe (m->pipeline, "sendvalve", "src", on_send_drop, m);
  }
  if (p->clap_ms) {
    g_autoptr (GstElement) asrc = gst_bin_get_by_name (bin, "asrc");
    g_autoptr (GstPad) pad = gst_element_get_static_pad (asrc, "src");

    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
        mcu_caller_clap_audio_probe, GUINT_TO_POINTER (p->clap_ms), NULL);
  }
}

gboolean
mcu_caller_media_start (
    McuCallerMedia *m, const McuCallerMediaParams *p, GError **error)
{
  g_autofree gchar *desc = build_description (p);
  g_autoptr (GstBus) bus = NULL;

  g_return_val_if_fail (m->pipeline == NULL, FALSE);
  m->pipeline =
      gst_parse_launch_full (desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS, error);
  if (!m->pipeline) {
    g_prefix_error (error, "cannot build pipeline: ");
    return FALSE;
  }
  m->pt = p->pt;
  configure_elements (m, p);
  bus = gst_element_get_bus (m->pipeline);
  m->bus_watch = gst_bus_add_watch (bus, on_bus_message, m);
  m->start_unix_us = g_get_real_time ();
  if (gst_element_set_state (m->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, MCU_CALLER_MEDIA_ERROR, 3, "pipeline refused to play");
    return FALSE;
  }
  media_log (m, "media %s%s pt %u -> %s:%u%s%s", p->codec->name,
      p->srtp_send_key ? " SRTP" : "", p->pt, p->remote_address, p->remote_port,
      p->record_path ? ", recording to " : "",
      p->record_path ? p->record_path : "");
  return TRUE;
}

gboolean
mcu_caller_media_is_started (McuCallerMedia *m)
{
  return m && m->pipeline;
}

void
mcu_caller_media_set_remote (McuCallerMedia *m, const char *address, guint port)
{
  if (m->udpsink)
    g_object_set (m->udpsink, "host", address, "port", (gint)port, NULL);
}

void
mcu_caller_media_set_sending (McuCallerMedia *m, gboolean sending)
{
  if (m->valve)
    g_object_set (m->valve, "drop", !sending, NULL);
}

static gboolean
on_stop_timeout (gpointer user_data)
{
  McuCallerMedia *m = user_data;

  m->stop_timeout_id = 0;
  media_log (
      m, "no EOS after %d ms, recording may be truncated", STOP_TIMEOUT_MS);
  finish_stop (m);
  return G_SOURCE_REMOVE;
}

/* Sends EOS so wavenc writes a valid header, waits for it on the bus (or a
 * timeout), then sets the pipeline to NULL and calls @on_stopped. */
void
mcu_caller_media_stop (
    McuCallerMedia *m, McuCallerMediaStoppedFunc on_stopped, gpointer user_data)
{
  m->on_stopped = on_stopped;
  m->stopped_data = user_data;
  if (!m->pipeline) {
    finish_stop (m);
    return;
  }
  m->stop_timeout_id = g_timeout_add (STOP_TIMEOUT_MS, on_stop_timeout, m);
  gst_element_send_event (m->pipeline, gst_event_new_eos ());
}

guint
mcu_caller_media_get_received (McuCallerMedia *m)
{
  return (guint)g_atomic_int_get (&m->received);
}

guint
mcu_caller_media_get_withheld (McuCallerMedia *m, guint *longest_run)
{
  *longest_run = (guint)g_atomic_int_get (&m->longest_drop_run);
  return (guint)g_atomic_int_get (&m->withheld);
}

guint
mcu_caller_media_get_sent (McuCallerMedia *m)
{
  return (guint)g_atomic_int_get (&m->sent);
}

guint
mcu_caller_media_get_max_gap_ms (McuCallerMedia *m, gdouble *at_seconds)
{
  if (at_seconds)
    *at_seconds = g_atomic_int_get (&m->max_gap_at_ms) / 1000.0;
  return (guint)g_atomic_int_get (&m->max_gap_us) / 1000;
}

guint
mcu_caller_media_get_other_pt (McuCallerMedia *m)
{
  return (guint)g_atomic_int_get (&m->other_pt);
}

gint64
mcu_caller_media_get_start_unix_us (McuCallerMedia *m)
{
  return m->start_unix_us;
}

void
mcu_caller_media_free (McuCallerMedia *m)
{
  if (!m)
    return;
  g_clear_handle_id (&m->stop_timeout_id, g_source_remove);
  g_clear_handle_id (&m->bus_watch, g_source_remove);
  if (m->pipeline)
    gst_element_set_state (m->pipeline, GST_STATE_NULL);
  g_clear_object (&m->udpsink);
  g_clear_pointer (&m->drop_rand, g_rand_free);
  g_clear_object (&m->valve);
  g_clear_object (&m->srtpenc);
  g_clear_object (&m->srtpdec);
  g_clear_object (&m->pipeline);
  if (m->rtcp_source)
    g_source_destroy (m->rtcp_source);
  g_clear_pointer (&m->rtcp_source, g_source_unref);
  g_clear_object (&m->rtcp);
  g_clear_object (&m->rtp);
  g_free (m->prefix);
  g_mutex_clear (&m->lock);
  g_free (m);
}
