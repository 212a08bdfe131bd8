/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Video of mcu-test-caller; see mcu-caller-video.h for the pipeline and the
 * threading note. Lock: McuCallerVideo.lock guards the statistics written by
 * streaming threads (marked below); there is no other lock. */
#include "mcu-caller-video.h"
#include "mcu-caller-clap.h"

#include <gst/app/gstappsink.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/video/video.h>

#define MCU_CALLER_VIDEO_ERROR (g_quark_from_static_string ("mcu-caller-video"))
#define JITTER_LATENCY_MS      30
#define MTU                    1200
#define MODE0_SLICE_MAX        1100 /* bytes: one NAL per packet fits the MTU */
#define MAX_LATENCIES          200000

typedef struct
{
  gint64 t_mono;
  gint width;
  gint height;
} Resolution;

typedef struct
{
  guint count;    /* valid stamps read */
  guint distinct; /* distinct stamp values (source frames) */
  guint32 last;   /* last value read */
  gint64 first_mono;
  gint64 last_mono;
  GArray *latencies; /* gdouble, ms */
} StampTile;

struct _McuCallerVideo
{
  gchar *prefix;
  gint64 epoch_mono;
  GSocket *rtp;
  GSocket *rtcp;
  GstElement *pipeline;
  GstElement *rtpsink;
  GstElement *rtcpsink;
  GstElement *valve;
  GstElement *funnel;
  GstPad *depay_src;
  guint bus_watch;
  McuCallerVideoErrorFunc on_error;
  gpointer error_data;
  gboolean error_reported;

  /* Set at start, read-only afterwards (streaming threads read them); a
   * resize changes send_info and colour on the main thread, and is refused
   * with stamps (their probe is the streaming thread reading send_info). */
  guint pt;
  gboolean send;
  gboolean decode;
  gboolean stamp;
  GstVideoInfo send_info;
  McuCallerGrid stamp_grid;
  guint n_stamp_tiles; /* 0 = do not read stamps */
  guint32 colour;
  guint mode;
  guint fps;
  gint64 start_mono;
  gint64 stop_mono; /* 0 while running */

  /* Main thread only. */
  GArray *pli_times; /* gint64 mono */
  GArray *fir_times;
  JsonArray *grids;
  guint fir_count;

  GMutex lock;
  /* Guarded by lock: */
  guint rtp_received;
  guint nal_single, nal_stap_a, nal_fu_a, nal_other;
  guint frames_received;
  guint frames_decoded;
  guint frames_sent;
  guint idrs_sent;
  gint64 first_frame_mono;
  gint64 last_frame_mono;
  gint width, height;
  GArray *resolutions;      /* Resolution */
  GArray *sent_resolutions; /* Resolution: the encoder's output caps */
  GArray *idr_times;        /* gint64 mono */
  GArray *request_times;    /* gint64 mono: PLI/FIR from the peer */
  GstSample *last_sample;   /* latest decoded frame */
  StampTile *stamp_tiles;
  guint ssrc_pads;
};

static GSocket *
bind_udp (const char *address, guint port, GError **error)
{
  g_autoptr (GSocket) sock = NULL;
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr (GSocketAddress) sa = NULL;

  if (!inet) {
    g_set_error (
        error, MCU_CALLER_VIDEO_ERROR, 1, "bad local address %s", address);
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

static gboolean
bind_socket_pair (McuCallerVideo *v, const char *address, GError **error)
{
  for (guint attempt = 0; attempt < 100; attempt++) {
    g_autoptr (GSocket) rtp = bind_udp (address, 0, error);
    guint port;

    if (!rtp)
      return FALSE;
    port = socket_port (rtp);
    if (port % 2 != 0 || port >= 65535)
      continue;
    v->rtcp = bind_udp (address, port + 1, NULL);
    if (v->rtcp) {
      v->rtp = g_steal_pointer (&rtp);
      return TRUE;
    }
  }
  g_set_error (error, MCU_CALLER_VIDEO_ERROR, 2, "no free RTP/RTCP port pair");
  return FALSE;
}

static void video_log (McuCallerVideo *v, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

static void
video_log (McuCallerVideo *v, const char *format, ...)
{
  g_autofree gchar *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("%s: [%7.3f] video: %s\n", v->prefix,
      (g_get_monotonic_time () - v->epoch_mono) / 1e6, text);
}

McuCallerVideo *
mcu_caller_video_new (const char *log_prefix, gint64 epoch_mono,
    const char *local_address, McuCallerVideoErrorFunc on_error,
    gpointer user_data, GError **error)
{
  g_autoptr (McuCallerVideo) v = g_new0 (McuCallerVideo, 1);

  g_mutex_init (&v->lock);
  v->prefix = g_strdup (log_prefix);
  v->epoch_mono = epoch_mono;
  v->on_error = on_error;
  v->error_data = user_data;
  v->pli_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  v->fir_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  v->grids = json_array_new ();
  v->resolutions = g_array_new (FALSE, FALSE, sizeof (Resolution));
  v->sent_resolutions = g_array_new (FALSE, FALSE, sizeof (Resolution));
  v->idr_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  v->request_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  if (!bind_socket_pair (v, local_address, error))
    return NULL;
  return g_steal_pointer (&v);
}

guint
mcu_caller_video_get_port (McuCallerVideo *v)
{
  return v ? socket_port (v->rtp) : 0;
}

/* SPS/PPS: x264enc's byte-stream output repeats them before every IDR. The
 * payloader must not add its own (config-interval=-1 puts them before every
 * IDR *slice*, which splits a multi-slice IDR into several access units at
 * the receiver: mode 0 with slice-max-size does exactly that). */
static gchar *
build_send_description (const McuCallerVideoParams *p)
{
  guint key_int = p->key_interval_s ? p->key_interval_s * p->fps : 1000000;

  return g_strdup_printf (
      "videotestsrc name=vsrc is-live=true pattern=solid-color "
      "foreground-color=0xff%06x "
      "! capsfilter name=vcaps "
      "caps=video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1 "
      "! identity name=vstamp "
      "! x264enc name=venc tune=zerolatency speed-preset=ultrafast threads=1 "
      "key-int-max=%u bitrate=%u %s "
      "! video/x-h264,profile=constrained-baseline,stream-format=byte-stream "
      "! rtph264pay name=vpay pt=%u mtu=%u config-interval=0 "
      "aggregate-mode=%s ! rtpbin.send_rtp_sink_0 "
      "rtpbin.send_rtp_src_0 ! valve name=sendvalve "
      "! udpsink name=rtpsink sync=false async=false ",
      p->colour & 0xffffff, p->width, p->height, p->fps, key_int,
      p->bitrate_kbps,
      p->mode == 0
          ? "option-string=slice-max-size=" G_STRINGIFY (MODE0_SLICE_MAX)
          : "",
      p->pt, MTU, p->mode == 0 ? "none" : "zero-latency");
}

static gchar *
build_description (const McuCallerVideoParams *p)
{
  g_autofree gchar *send = p->send ? build_send_description (p) : g_strdup ("");

  return g_strdup_printf (
      "rtpbin name=rtpbin rtp-profile=avpf latency=%u do-lost=true "
      "udpsrc name=rtpsrc caps=\"application/x-rtp,media=video,"
      "clock-rate=90000,encoding-name=H264,payload=%u,"
      "rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir=(boolean)true\" "
      "! rtpbin.recv_rtp_sink_0 "
      "udpsrc name=rtcpsrc caps=application/x-rtcp ! rtpbin.recv_rtcp_sink_0 "
      "rtpbin.send_rtcp_src_0 ! udpsink name=rtcpsink sync=false async=false "
      "funnel name=vfunnel ! rtph264depay name=depay ! h264parse name=parse "
      "! video/x-h264,stream-format=byte-stream,alignment=au ! %s "
      "%s",
      JITTER_LATENCY_MS, p->pt,
      p->decode ? "avdec_h264 ! videoconvert ! video/x-raw,format=I420 "
                  "! appsink name=vsink sync=false async=false max-buffers=2 "
                  "drop=true"
                : "fakesink sync=false async=false",
      send);
}

/* Loads the plugins once before the call (as the audio side does). */
void
mcu_caller_video_preload (void)
{
  McuCallerVideoParams p = { .pt = 96,
    .mode = 1,
    .send = TRUE,
    .width = 320,
    .height = 180,
    .fps = 30,
    .bitrate_kbps = 500,
    .decode = TRUE };
  g_autofree gchar *desc = build_description (&p);
  g_autoptr (GstElement) pipeline = gst_parse_launch (desc, NULL);
}

static gdouble
since_start (McuCallerVideo *v, gint64 mono)
{
  return (mono - v->start_mono) / 1e6;
}

/* ---- streaming threads ---- */

/* udpsrc: count RTP and the H.264 packet kinds (RFC 6184 NAL unit type). */
static GstPadProbeReturn
on_rtpsrc_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuCallerVideo *v = user_data;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint pt, type = 0;

  if (!gst_rtp_buffer_map (
          GST_PAD_PROBE_INFO_BUFFER (info), GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_DROP;
  pt = gst_rtp_buffer_get_payload_type (&rtp);
  if (gst_rtp_buffer_get_payload_len (&rtp) > 0)
    type = ((guint8 *)gst_rtp_buffer_get_payload (&rtp))[0] & 0x1f;
  gst_rtp_buffer_unmap (&rtp);
  if (pt != v->pt)
    return GST_PAD_PROBE_DROP;
  g_mutex_lock (&v->lock);
  v->rtp_received++;
  if (type >= 1 && type <= 23)
    v->nal_single++;
  else if (type == 24)
    v->nal_stap_a++;
  else if (type == 28)
    v->nal_fu_a++;
  else
    v->nal_other++;
  g_mutex_unlock (&v->lock);
  return GST_PAD_PROBE_OK;
}

/* h264parse output: one access unit; note IDRs. */
static GstPadProbeReturn
on_au_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuCallerVideo *v = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;
  gboolean idr = FALSE;
  gint64 now = g_get_monotonic_time ();

  if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
    idr = mcu_caller_h264_has_idr (map.data, map.size);
    gst_buffer_unmap (buf, &map);
  }
  g_mutex_lock (&v->lock);
  v->frames_received++;
  if (idr)
    g_array_append_val (v->idr_times, now);
  g_mutex_unlock (&v->lock);
  return GST_PAD_PROBE_OK;
}

/* Sender: draw the capture time into the frame. */
static GstPadProbeReturn
on_stamp_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuCallerVideo *v = user_data;
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GstVideoFrame frame;

  GST_PAD_PROBE_INFO_DATA (info) = buf;
  if (gst_video_frame_map (&frame, &v->send_info, buf, GST_MAP_WRITE)) {
    mcu_caller_stamp_draw (&frame, (guint32)(g_get_monotonic_time () / 1000));
    gst_video_frame_unmap (&frame);
  }
  return GST_PAD_PROBE_OK;
}

/* Sender: count frames and IDRs out of the encoder. */
static GstPadProbeReturn
on_encoded_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuCallerVideo *v = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  g_mutex_lock (&v->lock);
  v->frames_sent++;
  if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
    v->idrs_sent++;
  g_mutex_unlock (&v->lock);
  return GST_PAD_PROBE_OK;
}

/* Sender: the size of what the encoder puts out (its caps). */
static GstPadProbeReturn
on_encoded_caps (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuCallerVideo *v = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps;
  Resolution r = { g_get_monotonic_time (), 0, 0 };

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (event, &caps);
  gst_structure_get_int (gst_caps_get_structure (caps, 0), "width", &r.width);
  gst_structure_get_int (gst_caps_get_structure (caps, 0), "height", &r.height);
  g_mutex_lock (&v->lock);
  g_array_append_val (v->sent_resolutions, r);
  g_mutex_unlock (&v->lock);
  return GST_PAD_PROBE_OK;
}

/* Sender: a PLI/FIR from the peer arrives as GstForceKeyUnit upstream. */
static GstPadProbeReturn
on_encoder_event (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuCallerVideo *v = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  gint64 now = g_get_monotonic_time ();

  if (gst_video_event_is_force_key_unit (event)) {
    g_mutex_lock (&v->lock);
    g_array_append_val (v->request_times, now);
    g_mutex_unlock (&v->lock);
  }
  return GST_PAD_PROBE_OK;
}

static void
read_stamps (McuCallerVideo *v, GstSample *sample, gint64 now)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  guint32 now_ms = (guint32)(now / 1000) & MCU_CALLER_STAMP_MASK;

  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample)) ||
      !gst_video_frame_map (
          &frame, &info, gst_sample_get_buffer (sample), GST_MAP_READ))
    return;
  for (guint i = 0; i < v->n_stamp_tiles; i++) {
    StampTile *t = &v->stamp_tiles[i];
    gint x, y, w, h;
    guint32 value;
    gdouble ms;

    mcu_caller_grid_cell (
        &v->stamp_grid, i, info.width, info.height, &x, &y, &w, &h);
    if (!mcu_caller_stamp_read (&frame, x, y, w, h, &value))
      continue;
    ms = (gdouble)((now_ms - value) & MCU_CALLER_STAMP_MASK);
    if (t->count == 0 || value != t->last) {
      t->distinct++;
      if (t->latencies->len < MAX_LATENCIES)
        g_array_append_val (t->latencies, ms);
    }
    if (t->count == 0)
      t->first_mono = now;
    t->last_mono = now;
    t->last = value;
    t->count++;
  }
  gst_video_frame_unmap (&frame);
}

static GstFlowReturn
on_new_sample (GstAppSink *sink, gpointer user_data)
{
  McuCallerVideo *v = user_data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  GstStructure *s;
  gint w = 0, h = 0;
  gint64 now = g_get_monotonic_time ();

  if (!sample)
    return GST_FLOW_OK;
  s = gst_caps_get_structure (gst_sample_get_caps (sample), 0);
  gst_structure_get_int (s, "width", &w);
  gst_structure_get_int (s, "height", &h);
  g_mutex_lock (&v->lock);
  if (v->frames_decoded++ == 0)
    v->first_frame_mono = now;
  v->last_frame_mono = now;
  if (w != v->width || h != v->height) {
    Resolution r = { now, w, h };
    g_array_append_val (v->resolutions, r);
    v->width = w;
    v->height = h;
  }
  if (v->n_stamp_tiles)
    read_stamps (v, sample, now);
  g_clear_pointer (&v->last_sample, gst_sample_unref);
  v->last_sample = g_steal_pointer (&sample);
  g_mutex_unlock (&v->lock);
  return GST_FLOW_OK;
}

/* rtpbin: a new SSRC appeared; every one feeds the same funnel. */
static void
on_rtpbin_pad_added (GstElement *rtpbin, GstPad *pad, gpointer user_data)
{
  McuCallerVideo *v = user_data;
  g_autofree gchar *name = gst_pad_get_name (pad);
  g_autoptr (GstPad) sink = NULL;

  if (!g_str_has_prefix (name, "recv_rtp_src_0_"))
    return;
  sink = gst_element_request_pad_simple (v->funnel, "sink_%u");
  if (gst_pad_link (pad, sink) != GST_PAD_LINK_OK)
    g_printerr ("%s: video: cannot link %s\n", v->prefix, name);
  g_mutex_lock (&v->lock);
  v->ssrc_pads++;
  g_mutex_unlock (&v->lock);
}

/* ---- main thread ---- */

static void
report_error (McuCallerVideo *v, GstMessage *msg)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *debug = NULL;
  g_autofree gchar *text = NULL;

  gst_message_parse_error (msg, &err, &debug);
  text = g_strdup_printf ("video pipeline error from %s: %s",
      GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message);
  video_log (v, "%s (%s)", text, debug ? debug : "");
  if (!v->error_reported && v->on_error) {
    v->error_reported = TRUE;
    v->on_error (v, text, v->error_data);
  }
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  McuCallerVideo *v = user_data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    report_error (v, msg);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
    g_autoptr (GError) err = NULL;
    gst_message_parse_warning (msg, &err, NULL);
    video_log (v, "pipeline warning: %s", err->message);
  }
  return G_SOURCE_CONTINUE;
}

static void
add_probe (GstElement *pipeline, const char *name, const char *pad_name,
    GstPadProbeType type, GstPadProbeCallback cb, McuCallerVideo *v)
{
  g_autoptr (GstElement) e = gst_bin_get_by_name (GST_BIN (pipeline), name);
  g_autoptr (GstPad) pad = e ? gst_element_get_static_pad (e, pad_name) : NULL;

  if (pad)
    gst_pad_add_probe (pad, type, cb, v, NULL);
}

static void
configure_elements (McuCallerVideo *v, const McuCallerVideoParams *p)
{
  GstBin *bin = GST_BIN (v->pipeline);
  g_autoptr (GstElement) rtpsrc = gst_bin_get_by_name (bin, "rtpsrc");
  g_autoptr (GstElement) rtcpsrc = gst_bin_get_by_name (bin, "rtcpsrc");
  g_autoptr (GstElement) rtpbin = gst_bin_get_by_name (bin, "rtpbin");
  g_autoptr (GstElement) depay = gst_bin_get_by_name (bin, "depay");
  g_autoptr (GstElement) appsink = gst_bin_get_by_name (bin, "vsink");

  v->rtcpsink = gst_bin_get_by_name (bin, "rtcpsink");
  v->rtpsink = gst_bin_get_by_name (bin, "rtpsink");
  v->valve = gst_bin_get_by_name (bin, "sendvalve");
  v->funnel = gst_bin_get_by_name (bin, "vfunnel");
  v->depay_src = gst_element_get_static_pad (depay, "src");
  g_object_set (rtpsrc, "socket", v->rtp, "close-socket", FALSE, NULL);
  g_object_set (rtcpsrc, "socket", v->rtcp, "close-socket", FALSE, NULL);
  g_object_set (v->rtcpsink, "socket", v->rtcp, "close-socket", FALSE, "host",
      p->remote_address, "port", (gint)p->remote_port + 1, NULL);
  if (v->rtpsink)
    g_object_set (v->rtpsink, "socket", v->rtp, "close-socket", FALSE, "host",
        p->remote_address, "port", (gint)p->remote_port, NULL);
  g_signal_connect (rtpbin, "pad-added", G_CALLBACK (on_rtpbin_pad_added), v);
  if (appsink) {
    GstAppSinkCallbacks cbs = { .new_sample = on_new_sample };
    gst_app_sink_set_callbacks (GST_APP_SINK (appsink), &cbs, v, NULL);
  }
  add_probe (v->pipeline, "rtpsrc", "src", GST_PAD_PROBE_TYPE_BUFFER,
      on_rtpsrc_buffer, v);
  add_probe (
      v->pipeline, "parse", "src", GST_PAD_PROBE_TYPE_BUFFER, on_au_buffer, v);
  if (p->stamp)
    add_probe (v->pipeline, "vstamp", "sink", GST_PAD_PROBE_TYPE_BUFFER,
        on_stamp_buffer, v);
  if (p->clap_ms)
    add_probe (v->pipeline, "vstamp", "src", GST_PAD_PROBE_TYPE_BUFFER,
        mcu_caller_clap_video_probe, GUINT_TO_POINTER (p->clap_ms));
  add_probe (v->pipeline, "venc", "src", GST_PAD_PROBE_TYPE_BUFFER,
      on_encoded_buffer, v);
  add_probe (v->pipeline, "venc", "src", GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      on_encoder_event, v);
  add_probe (v->pipeline, "venc", "src", GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      on_encoded_caps, v);
}

static void
keep_params (McuCallerVideo *v, const McuCallerVideoParams *p)
{
  v->pt = p->pt;
  v->mode = p->mode;
  v->send = p->send;
  v->decode = p->decode;
  v->stamp = p->stamp;
  v->colour = p->colour;
  v->fps = p->fps;
  if (p->send)
    gst_video_info_set_format (
        &v->send_info, GST_VIDEO_FORMAT_I420, p->width, p->height);
  if (p->stamp_grid && p->decode) {
    v->stamp_grid = *p->stamp_grid;
    v->n_stamp_tiles = mcu_caller_grid_tiles (p->stamp_grid);
    v->stamp_tiles = g_new0 (StampTile, v->n_stamp_tiles);
    for (guint i = 0; i < v->n_stamp_tiles; i++)
      v->stamp_tiles[i].latencies =
          g_array_new (FALSE, FALSE, sizeof (gdouble));
  }
}

gboolean
mcu_caller_video_start (
    McuCallerVideo *v, const McuCallerVideoParams *p, GError **error)
{
  g_autofree gchar *desc = NULL;
  g_autoptr (GstBus) bus = NULL;

  g_return_val_if_fail (v->pipeline == NULL, FALSE);
  keep_params (v, p);
  desc = build_description (p);
  v->pipeline =
      gst_parse_launch_full (desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS, error);
  if (!v->pipeline) {
    g_prefix_error (error, "cannot build video pipeline: ");
    return FALSE;
  }
  configure_elements (v, p);
  bus = gst_element_get_bus (v->pipeline);
  v->bus_watch = gst_bus_add_watch (bus, on_bus_message, v);
  v->start_mono = g_get_monotonic_time ();
  if (gst_element_set_state (v->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (
        error, MCU_CALLER_VIDEO_ERROR, 3, "video pipeline refused to play");
    return FALSE;
  }
  video_log (v, "H.264 pt %u mode %u -> %s:%u, %s%s", p->pt, p->mode,
      p->remote_address, p->remote_port, p->send ? "sending " : "receive only",
      p->send ? "" : "");
  if (p->send)
    video_log (v, "sending #%06x %ux%u@%u %u kbit/s%s", p->colour, p->width,
        p->height, p->fps, p->bitrate_kbps, p->stamp ? " with stamps" : "");
  return TRUE;
}

gboolean
mcu_caller_video_is_started (McuCallerVideo *v)
{
  return v && v->pipeline;
}

void
mcu_caller_video_set_remote (McuCallerVideo *v, const char *address, guint port)
{
  if (v->rtpsink)
    g_object_set (v->rtpsink, "host", address, "port", (gint)port, NULL);
  if (v->rtcpsink)
    g_object_set (v->rtcpsink, "host", address, "port", (gint)port + 1, NULL);
}

void
mcu_caller_video_set_sending (McuCallerVideo *v, gboolean sending)
{
  if (v->valve)
    g_object_set (v->valve, "drop", !sending, NULL);
}

/* Sends at another size (and colour) from now on: the source renegotiates,
 * x264enc starts again with new SPS/PPS and an IDR; the RTP stream (SSRC,
 * sequence numbers) goes on. Not with stamps (their probe reads
 * send_info). */
void
mcu_caller_video_resize (
    McuCallerVideo *v, guint width, guint height, guint32 colour)
{
  g_autoptr (GstElement) src = NULL, filter = NULL;
  g_autoptr (GstCaps) caps = NULL;

  if (!v->pipeline || !v->send)
    return;
  src = gst_bin_get_by_name (GST_BIN (v->pipeline), "vsrc");
  filter = gst_bin_get_by_name (GST_BIN (v->pipeline), "vcaps");
  caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420",
      "width", G_TYPE_INT, (gint)width, "height", G_TYPE_INT, (gint)height,
      "framerate", GST_TYPE_FRACTION, (gint)v->fps, 1, NULL);
  g_object_set (src, "foreground-color", 0xff000000u | colour, NULL);
  g_object_set (filter, "caps", caps, NULL);
  gst_video_info_set_format (
      &v->send_info, GST_VIDEO_FORMAT_I420, width, height);
  v->colour = colour;
  video_log (v, "sending #%06x %ux%u from now on", colour, width, height);
}

/* Asks the sender for a key frame: a GstForceKeyUnit travelling upstream
 * from the depayloader makes rtpsession send a PLI (all-headers FALSE) or a
 * FIR (TRUE) in an early RTCP packet. */
void
mcu_caller_video_request_keyframe (McuCallerVideo *v, gboolean fir)
{
  gint64 now = g_get_monotonic_time ();
  GstEvent *event;

  if (!v->depay_src)
    return;
  event = gst_video_event_new_upstream_force_key_unit (
      GST_CLOCK_TIME_NONE, fir, fir ? ++v->fir_count : 0);
  g_array_append_val (fir ? v->fir_times : v->pli_times, now);
  video_log (v, "requesting a key frame (%s)", fir ? "FIR" : "PLI");
  if (!gst_pad_send_event (v->depay_src, event))
    video_log (v, "the key frame request was not handled upstream");
}

static JsonNode *
tile_node (const McuCallerTileStats *t)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "median");
  json_builder_begin_array (b);
  for (guint c = 0; c < 3; c++)
    json_builder_add_int_value (b, t->median[c]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "mean");
  json_builder_begin_array (b);
  for (guint c = 0; c < 3; c++)
    json_builder_add_double_value (b, t->mean[c]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "stddev");
  json_builder_add_double_value (b, t->stddev);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
add_layouts (JsonBuilder *b, const GstVideoFrame *rgb,
    const McuCallerGrid *grids, guint n_grids)
{
  gint width = GST_VIDEO_FRAME_WIDTH (rgb),
       height = GST_VIDEO_FRAME_HEIGHT (rgb);

  json_builder_set_member_name (b, "layouts");
  json_builder_begin_object (b);
  for (guint g = 0; g < n_grids; g++) {
    g_autofree gchar *key = mcu_caller_grid_to_string (&grids[g]);

    json_builder_set_member_name (b, key);
    json_builder_begin_array (b);
    for (guint i = 0; i < mcu_caller_grid_tiles (&grids[g]); i++) {
      McuCallerTileStats t;
      gint x, y, w, h;

      mcu_caller_grid_cell (&grids[g], i, width, height, &x, &y, &w, &h);
      mcu_caller_tile_stats (rgb, x, y, w, h, &t);
      json_builder_add_value (b, tile_node (&t));
    }
    json_builder_end_array (b);
  }
  json_builder_end_object (b);
}

static void
write_snapshot (McuCallerVideo *v, GstSample *sample, const char *path)
{
  g_autoptr (GstCaps) caps = gst_caps_new_empty_simple ("image/png");
  g_autoptr (GError) error = NULL;
  g_autoptr (GstSample) png = NULL;
  GstMapInfo map;
  GstBuffer *buf;

  png = gst_video_convert_sample (sample, caps, 5 * GST_SECOND, &error);
  if (!png) {
    video_log (v, "snapshot failed: %s", error ? error->message : "?");
    return;
  }
  buf = gst_sample_get_buffer (png);
  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return;
  if (!g_file_set_contents (path, (const gchar *)map.data, map.size, &error))
    video_log (v, "cannot write %s: %s", path, error->message);
  gst_buffer_unmap (buf, &map);
}

/* Tile statistics of the latest decoded frame for every grid in @grids,
 * appended to the report's "grids" under @label (and a PNG if asked).
 * FALSE if no frame was decoded yet. */
gboolean
mcu_caller_video_capture_grid (McuCallerVideo *v, const char *label,
    const McuCallerGrid *grids, guint n_grids, const char *snapshot_path)
{
  g_autoptr (GstSample) sample = NULL;
  g_autoptr (GstSample) rgb = NULL;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (JsonBuilder) b = NULL;
  g_autoptr (GError) error = NULL;
  GstVideoInfo info;
  GstVideoFrame frame;

  g_mutex_lock (&v->lock);
  if (v->last_sample)
    sample = gst_sample_ref (v->last_sample);
  g_mutex_unlock (&v->lock);
  if (!sample)
    return FALSE;
  caps =
      gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "RGB", NULL);
  rgb = gst_video_convert_sample (sample, caps, 5 * GST_SECOND, &error);
  if (!rgb || !gst_video_info_from_caps (&info, gst_sample_get_caps (rgb)) ||
      !gst_video_frame_map (
          &frame, &info, gst_sample_get_buffer (rgb), GST_MAP_READ)) {
    video_log (v, "cannot convert a frame: %s", error ? error->message : "?");
    return FALSE;
  }
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "label");
  json_builder_add_string_value (b, label);
  json_builder_set_member_name (b, "t");
  json_builder_add_double_value (b, since_start (v, g_get_monotonic_time ()));
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, info.width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, info.height);
  add_layouts (b, &frame, grids, n_grids);
  json_builder_end_object (b);
  gst_video_frame_unmap (&frame);
  json_array_add_element (v->grids, json_builder_get_root (b));
  if (snapshot_path)
    write_snapshot (v, sample, snapshot_path);
  return TRUE;
}

static void
add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_double_or_null (JsonBuilder *b, const char *name, gboolean ok, gdouble v)
{
  json_builder_set_member_name (b, name);
  if (ok)
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

/* Times (mono) as seconds since the video started. */
static void
add_times (JsonBuilder *b, McuCallerVideo *v, const char *name, GArray *times)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; i < times->len; i++)
    json_builder_add_double_value (
        b, since_start (v, g_array_index (times, gint64, i)));
  json_builder_end_array (b);
}

/* For each request (PLI or FIR) we sent: ms to the next IDR, or null. */
static void
add_request_delays (
    JsonBuilder *b, const char *name, GArray *requests, GArray *idrs)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; i < requests->len; i++) {
    gint64 at = g_array_index (requests, gint64, i);
    gint64 idr = 0;

    for (guint k = 0; k < idrs->len && !idr; k++)
      if (g_array_index (idrs, gint64, k) > at)
        idr = g_array_index (idrs, gint64, k);
    if (idr)
      json_builder_add_double_value (b, (idr - at) / 1000.0);
    else
      json_builder_add_null_value (b);
  }
  json_builder_end_array (b);
}

static gint
compare_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;
  return x < y ? -1 : x > y;
}

static void
add_stamp_tile (JsonBuilder *b, StampTile *t)
{
  GArray *l = t->latencies;
  gdouble span = (t->last_mono - t->first_mono) / 1e6;

  g_array_sort (l, compare_double);
  json_builder_begin_object (b);
  add_int (b, "count", t->count);
  add_int (b, "distinct", t->distinct);
  add_double_or_null (
      b, "fps", t->distinct > 1 && span > 0, (t->distinct - 1) / span);
  add_double_or_null (
      b, "latency_ms_min", l->len, l->len ? g_array_index (l, gdouble, 0) : 0);
  add_double_or_null (b, "latency_ms_median", l->len,
      l->len ? g_array_index (l, gdouble, l->len / 2) : 0);
  add_double_or_null (b, "latency_ms_p95", l->len,
      l->len ? g_array_index (l, gdouble, l->len * 95 / 100) : 0);
  add_double_or_null (b, "latency_ms_max", l->len,
      l->len ? g_array_index (l, gdouble, l->len - 1) : 0);
  json_builder_end_object (b);
}

static void
add_stamps (JsonBuilder *b, McuCallerVideo *v)
{
  g_autofree gchar *grid = NULL;

  if (!v->n_stamp_tiles)
    return;
  grid = mcu_caller_grid_to_string (&v->stamp_grid);
  json_builder_set_member_name (b, "stamps");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "grid");
  json_builder_add_string_value (b, grid);
  json_builder_set_member_name (b, "tiles");
  json_builder_begin_array (b);
  for (guint i = 0; i < v->n_stamp_tiles; i++)
    add_stamp_tile (b, &v->stamp_tiles[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
add_resolutions (
    JsonBuilder *b, McuCallerVideo *v, const char *name, GArray *resolutions)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; i < resolutions->len; i++) {
    Resolution *r = &g_array_index (resolutions, Resolution, i);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "t");
    json_builder_add_double_value (b, since_start (v, r->t_mono));
    add_int (b, "width", r->width);
    add_int (b, "height", r->height);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
}

static void
add_receive_members (JsonBuilder *b, McuCallerVideo *v)
{
  /* fps over first frame .. end of the stream (not .. last frame): a
   * stream that stalls or comes in bursts shows as slow. */
  gint64 end = v->stop_mono ? v->stop_mono : g_get_monotonic_time ();
  gdouble span = (end - v->first_frame_mono) / 1e6;

  add_int (b, "rtp_packets_received", v->rtp_received);
  json_builder_set_member_name (b, "nal_packets");
  json_builder_begin_object (b);
  add_int (b, "single", v->nal_single);
  add_int (b, "stap_a", v->nal_stap_a);
  add_int (b, "fu_a", v->nal_fu_a);
  add_int (b, "other", v->nal_other);
  json_builder_end_object (b);
  add_int (b, "ssrcs", v->ssrc_pads);
  add_int (b, "frames_received", v->frames_received);
  add_int (b, "frames_decoded", v->frames_decoded);
  add_double_or_null (b, "first_frame_s", v->frames_decoded > 0,
      since_start (v, v->first_frame_mono));
  add_double_or_null (b, "fps", v->frames_decoded > 1 && span > 0.5,
      (v->frames_decoded - 1) / span);
  add_int (b, "width", v->width);
  add_int (b, "height", v->height);
  add_resolutions (b, v, "resolutions", v->resolutions);
  add_int (b, "idr_count", v->idr_times->len);
  add_times (b, v, "idr_times", v->idr_times);
  add_times (b, v, "pli_times", v->pli_times);
  add_times (b, v, "fir_times", v->fir_times);
  add_request_delays (b, "pli_idr_ms", v->pli_times, v->idr_times);
  add_request_delays (b, "fir_idr_ms", v->fir_times, v->idr_times);
  add_stamps (b, v);
}

static void
add_send_members (JsonBuilder *b, McuCallerVideo *v)
{
  g_autofree gchar *colour = g_strdup_printf ("%06x", v->colour);

  json_builder_set_member_name (b, "sending");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "colour");
  json_builder_add_string_value (b, colour);
  add_int (b, "width", GST_VIDEO_INFO_WIDTH (&v->send_info));
  add_int (b, "height", GST_VIDEO_INFO_HEIGHT (&v->send_info));
  add_int (b, "fps", v->fps);
  add_int (b, "frames_sent", v->frames_sent);
  add_int (b, "idrs_sent", v->idrs_sent);
  add_resolutions (b, v, "resolutions", v->sent_resolutions);
  add_int (b, "keyframe_requests_received", v->request_times->len);
  add_times (b, v, "keyframe_request_times", v->request_times);
  json_builder_end_object (b);
}

/* Members of the report's "video" object (the caller opens it). */
void
mcu_caller_video_add_report (McuCallerVideo *v, JsonBuilder *b)
{
  json_builder_set_member_name (b, "started");
  json_builder_add_boolean_value (b, v->pipeline != NULL);
  add_int (b, "local_rtp_port", mcu_caller_video_get_port (v));
  if (!v->pipeline)
    return;
  add_int (b, "pt", v->pt);
  add_int (b, "packetization_mode", v->mode);
  g_mutex_lock (&v->lock);
  add_receive_members (b, v);
  if (v->send)
    add_send_members (b, v);
  g_mutex_unlock (&v->lock);
  json_builder_set_member_name (b, "grids");
  json_builder_add_value (
      b, json_node_init_array (json_node_alloc (), v->grids));
}

void
mcu_caller_video_stop (McuCallerVideo *v)
{
  if (v->pipeline && !v->stop_mono) {
    gst_element_set_state (v->pipeline, GST_STATE_NULL);
    v->stop_mono = g_get_monotonic_time ();
  }
}

void
mcu_caller_video_free (McuCallerVideo *v)
{
  if (!v)
    return;
  mcu_caller_video_stop (v);
  g_clear_handle_id (&v->bus_watch, g_source_remove);
  g_clear_object (&v->depay_src);
  g_clear_object (&v->funnel);
  g_clear_object (&v->valve);
  g_clear_object (&v->rtpsink);
  g_clear_object (&v->rtcpsink);
  g_clear_object (&v->pipeline);
  for (guint i = 0; i < v->n_stamp_tiles; i++)
    g_array_unref (v->stamp_tiles[i].latencies);
  g_free (v->stamp_tiles);
  g_clear_pointer (&v->last_sample, gst_sample_unref);
  g_array_unref (v->resolutions);
  g_array_unref (v->sent_resolutions);
  g_array_unref (v->idr_times);
  g_array_unref (v->request_times);
  g_array_unref (v->pli_times);
  g_array_unref (v->fir_times);
  json_array_unref (v->grids);
  g_clear_object (&v->rtcp);
  g_clear_object (&v->rtp);
  g_mutex_clear (&v->lock);
  g_free (v->prefix);
  g_free (v);
}
