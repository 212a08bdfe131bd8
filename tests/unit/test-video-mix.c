/* SPDX-License-Identifier: LGPL-2.1-or-later
 * McuVideoMix with real GStreamer on loopback: peers send solid colours as
 * H.264 RTP into McuVideoSessions and decode what the mix sends back. The
 * grid shows each colour in its tile and an audio-only participant as a
 * name on black; participants with one profile share one encoder group;
 * the layout changes while running; without self-view nobody sees
 * themselves; a joiner decodes a picture within a second; an error is
 * attributed to what it came from (a member, its input into a view, a
 * view, an encoder group). */
#include "mcu-video-mix.h"
#include "port-fixture.h"

#include <gst/app/gstappsink.h>
#include "mcu-video-encode.h"
#include <gst/video/video.h>
#include <string.h>

#define W 320
#define H 180

typedef struct
{
  guint id;
  McuVideoSession *session;
  GSocket *socket;
  GstElement *send, *recv, *appsink;
  gint packets_in; /* atomic: RTP packets its receiver got */
} Peer;

static GstPadProbeReturn
count_packet (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  g_atomic_int_inc ((gint *)data);
  return GST_PAD_PROBE_OK;
}

static void
params_init (McuVideoParams *p, guint w, guint h)
{
  memset (p, 0, sizeof *p);
  p->codec = MCU_VIDEO_CODEC_H264;
  p->pt = 96;
  p->packetization_mode = 1;
  p->profile_level_id = 0x42e01f;
  p->width = w;
  p->height = h;
  p->framerate = 30;
  p->bitrate_kbps = 500;
  p->fb_pli = TRUE;
}

/* An H.264 stream of @rgb to @p's session: from @p's own socket (what its
 * SDP says), or from a socket of its own (a stray). */
static GstElement *
sender_new (Peer *p, guint32 rgb, guint w, guint h, gboolean own_socket)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *desc = g_strdup_printf (
      "videotestsrc is-live=true pattern=solid-color foreground-color=%u ! "
      "video/x-raw,format=I420,width=%u,height=%u,framerate=30/1 ! "
      "x264enc name=enc tune=zerolatency speed-preset=ultrafast key-int-max=15 "
      "! "
      "video/x-h264,profile=constrained-baseline ! "
      "rtph264pay pt=96 config-interval=-1 ! "
      "udpsink name=sink host=127.0.0.1 port=%u sync=false async=false",
      0xff000000u | rgb, w, h, mcu_video_session_get_rtp_port (p->session));
  GstElement *send = gst_parse_launch (desc, &error);
  GstElement *e;

  g_assert_no_error (error);
  if (own_socket) {
    e = gst_bin_get_by_name (GST_BIN (send), "sink");
    g_object_set (e, "socket", p->socket, "close-socket", FALSE, NULL);
    gst_object_unref (e);
  }
  gst_element_set_state (send, GST_STATE_PLAYING);
  return send;
}

/* A peer sending @rgb (0 = nothing) from one socket and decoding what
 * comes back to it. */
static Peer *
peer_new (McuPortPool *pool, guint id, guint32 rgb, guint w, guint h)
{
  Peer *p = g_new0 (Peer, 1);
  McuVideoParams params;
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  GstElement *e;
  guint port;

  p->id = id;
  p->session = mcu_video_session_new (pool, 50, &error);
  g_assert_no_error (error);
  params_init (&params, w, h);
  g_assert_true (mcu_video_session_set_params (p->session, &params, &error));
  p->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, NULL);
  g_assert_true (g_socket_bind (p->socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (p->socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  mcu_video_session_set_remote (p->session, "127.0.0.1", port, port + 1);

  p->recv = gst_parse_launch (
      "udpsrc name=src caps=\"application/x-rtp,media=video,clock-rate=90000,"
      "encoding-name=H264,payload=96\" ! rtpjitterbuffer name=jb latency=50 ! "
      "rtph264depay ! avdec_h264 ! videoconvert ! video/x-raw,format=RGB ! "
      "appsink name=sink sync=false max-buffers=1 drop=true",
      &error);
  g_assert_no_error (error);
  e = gst_bin_get_by_name (GST_BIN (p->recv), "src");
  g_object_set (e, "socket", p->socket, "close-socket", FALSE, NULL);
  {
    GstPad *pad = gst_element_get_static_pad (e, "src");

    gst_pad_add_probe (
        pad, GST_PAD_PROBE_TYPE_BUFFER, count_packet, &p->packets_in, NULL);
    gst_object_unref (pad);
  }
  gst_object_unref (e);
  p->appsink = gst_bin_get_by_name (GST_BIN (p->recv), "sink");
  gst_element_set_state (p->recv, GST_STATE_PLAYING);
  if (rgb != 0)
    p->send = sender_new (p, rgb, w, h, TRUE);
  return p;
}

static void
peer_free (Peer *p)
{
  if (p->send) {
    gst_element_set_state (p->send, GST_STATE_NULL);
    gst_object_unref (p->send);
  }
  gst_element_set_state (p->recv, GST_STATE_NULL);
  gst_object_unref (p->recv);
  gst_object_unref (p->appsink);
  g_object_unref (p->session);
  g_object_unref (p->socket);
  g_free (p);
}

typedef struct
{
  guint8 r, g, b;
} Rgb;

/* A mapped frame. The receivers pin RGB (see peer_new); its layout is read
 * from the caps, never assumed. */
typedef struct
{
  GstVideoInfo info;
  GstBuffer *buffer;
  GstMapInfo map;
} Frame;

static void
frame_map (Frame *f, GstSample *s)
{
  g_assert_true (gst_video_info_from_caps (&f->info, gst_sample_get_caps (s)));
  g_assert_cmpint (GST_VIDEO_INFO_FORMAT (&f->info), ==, GST_VIDEO_FORMAT_RGB);
  f->buffer = gst_sample_get_buffer (s);
  g_assert_true (gst_buffer_map (f->buffer, &f->map, GST_MAP_READ));
}

static void
frame_unmap (Frame *f)
{
  gst_buffer_unmap (f->buffer, &f->map);
}

static Rgb
frame_pixel (Frame *f, guint x, guint y)
{
  Rgb px = { 0, 0, 0 };
  const guint8 *p;

  if (x >= (guint)GST_VIDEO_INFO_WIDTH (&f->info) ||
      y >= (guint)GST_VIDEO_INFO_HEIGHT (&f->info))
    return px;
  p = f->map.data + GST_VIDEO_INFO_PLANE_OFFSET (&f->info, 0) +
      y * GST_VIDEO_INFO_PLANE_STRIDE (&f->info, 0) + x * 3;
  px.r = p[0];
  px.g = p[1];
  px.b = p[2];
  return px;
}

static Rgb
pixel (GstSample *s, guint x, guint y)
{
  Frame f;
  Rgb px;

  frame_map (&f, s);
  px = frame_pixel (&f, x, y);
  frame_unmap (&f);
  return px;
}

static gboolean
is_colour (Rgb px, guint32 rgb)
{
  gint want[3] = { (rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff };
  gint got[3] = { px.r, px.g, px.b };

  for (guint i = 0; i < 3; i++)
    if (ABS (want[i] - got[i]) > 60)
      return FALSE;
  return TRUE;
}

/* Bright pixels (text) in a rectangle. */
static guint
bright_pixels (GstSample *s, guint x0, guint y0, guint w, guint h)
{
  Frame f;
  guint n = 0;

  frame_map (&f, s);
  for (guint y = y0; y < y0 + h; y++)
    for (guint x = x0; x < x0 + w; x++) {
      Rgb px = frame_pixel (&f, x, y);

      if (px.r > 160 && px.g > 160 && px.b > 160)
        n++;
    }
  frame_unmap (&f);
  return n;
}

typedef gboolean (*FrameCheck) (GstSample *s, gpointer data);

/* What a frame shows, for a failed check: the colour in the middle of each
 * cell of a 4x4 grid, row by row, and its bright (text) pixels. */
static gchar *
describe (GstSample *s)
{
  GString *d = g_string_new (NULL);
  GstStructure *st = gst_caps_get_structure (gst_sample_get_caps (s), 0);
  gint w = 0, h = 0;

  gst_structure_get_int (st, "width", &w);
  gst_structure_get_int (st, "height", &h);
  g_string_append_printf (
      d, "%s %dx%d:", gst_structure_get_string (st, "format"), w, h);
  for (guint i = 0; i < 16; i++) {
    Rgb px = pixel (s, (2 * (i % 4) + 1) * w / 8, (2 * (i / 4) + 1) * h / 8);

    g_string_append_printf (
        d, "%s%02x%02x%02x", i % 4 ? " " : " | ", px.r, px.g, px.b);
  }
  g_string_append_printf (
      d, " | %u bright pixels", bright_pixels (s, 0, 0, w, h));
  return g_string_free (d, FALSE);
}

/* Pulls frames until @check passes (TRUE) or @timeout_ms ends (FALSE,
 * describing the last frame), running the main context meanwhile (the
 * mix's bus). */
/* Wall-clock bounds are for a normal build; the sanitizer run
 * (scripts/test) sets MCU_TEST_TIME_SCALE, since AddressSanitizer with
 * slow unwinding on every malloc makes the pipeline many times slower. */
static guint
time_scale (void)
{
  const gchar *env = g_getenv ("MCU_TEST_TIME_SCALE");
  guint64 v = env ? g_ascii_strtoull (env, NULL, 10) : 1;

  return CLAMP (v, 1, 50);
}

static gboolean
wait_frame (Peer *p, FrameCheck check, gpointer data, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () +
               timeout_ms * time_scale () * G_TIME_SPAN_MILLISECOND;
  GstSample *last = NULL;

  while (g_get_monotonic_time () < end) {
    GstSample *s;

    while (g_main_context_iteration (NULL, FALSE))
      ;
    s = gst_app_sink_try_pull_sample (
        GST_APP_SINK (p->appsink), 50 * GST_MSECOND);
    if (s == NULL)
      continue;
    if (check (s, data)) {
      gst_sample_unref (s);
      g_clear_pointer (&last, gst_sample_unref);
      return TRUE;
    }
    g_clear_pointer (&last, gst_sample_unref);
    last = s;
  }
  if (last) {
    g_autofree gchar *d = describe (last);

    g_test_message ("peer %u, last frame: %s", p->id, d);
    gst_sample_unref (last);
  } else {
    McuVideoSessionStats st;
    GstElement *jb = gst_bin_get_by_name (GST_BIN (p->recv), "jb");
    g_autoptr (GstStructure) jst = NULL;
    g_autofree gchar *jdesc = NULL;

    mcu_video_session_get_stats (p->session, &st);
    g_object_get (jb, "stats", &jst, NULL);
    gst_object_unref (jb);
    jdesc = gst_structure_to_string (jst);
    g_test_message (
        "peer %u: no frame at all (the mix decoded %" G_GUINT64_FORMAT
        " of its frames, %" G_GUINT64_FORMAT
        " keyframes, sent it %" G_GUINT64_FORMAT
        "; it got %d packets; its jitter buffer: %s)",
        p->id, st.frames_in, st.keyframes_in, st.frames_out,
        g_atomic_int_get (&p->packets_in), jdesc);
  }
  return FALSE;
}

static McuVideoMix *
make_mix (McuLayoutKind layout, gboolean self_view)
{
  McuVideoMixOptions o = { .width = W,
    .height = H,
    .framerate = 30,
    .latency_ms = 50,
    .layout = layout,
    .self_view = self_view };
  g_autoptr (GError) error = NULL;
  McuVideoMix *mix = mcu_video_mix_new ("test", &o, &error);

  g_assert_no_error (error);
  return mix;
}

static void
join (McuVideoMix *mix, Peer *p, const gchar *name)
{
  g_autoptr (GError) error = NULL;

  mcu_video_mix_add_participant (mix, p->id, name);
  g_assert_true (mcu_video_mix_set_session (mix, p->id, p->session, &error));
  g_assert_no_error (error);
}

#define RED   0xff0000
#define GREEN 0x00ff00
#define BLUE  0x0000ff

/* The test's log (see test_writer): the mixer's own log silenced while
 * @quiet, its GStreamer warnings counted. */
typedef struct
{
  gboolean quiet;
  guint video_warnings;
} TestLog;

/* What the mix reported: room errors ("error") and participants' errors
 * ("participant-error", the last one's id). */
typedef struct
{
  guint room;
  guint participant;
  guint last_id;
} Errors;

static void
on_room_error (McuVideoMix *mix, const gchar *message, Errors *e)
{
  e->room++;
}

static void
on_participant_error (
    McuVideoMix *mix, guint id, const gchar *message, Errors *e)
{
  e->participant++;
  e->last_id = id;
}

static void
errors_watch (Errors *e, McuVideoMix *mix)
{
  g_signal_connect (mix, "error", G_CALLBACK (on_room_error), e);
  g_signal_connect (
      mix, "participant-error", G_CALLBACK (on_participant_error), e);
}

/* 2x2 grid at 320x180 for three: red (0,0), blue (160,0), the audio-only
 * one centred below (80,90); 16:9 pictures fill 160x90 cells. */
static gboolean
grid_ok (GstSample *s, gpointer data)
{
  return is_colour (pixel (s, 80, 45), RED) &&
         is_colour (pixel (s, 240, 45), BLUE) &&
         /* the name tile: plain black around a name in bright letters
          * ("Carol" at 15 px, after the 500 kb/s encode, has 40 or 41
          * pixels this bright, depending on the quantiser of the key frame
          * it arrived in: the bound is half that, an empty tile has 0) */
         is_colour (pixel (s, 84, 94), 0) &&
         bright_pixels (s, 80, 90, 160, 90) > 20 &&
         bright_pixels (s, 80, 90, 160, 90) < 160 * 90 / 3;
}

static void
test_grid (void)
{
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (McuVideoMix) mix = make_mix (MCU_LAYOUT_GRID, TRUE);
  Peer *a = peer_new (pool, 1, RED, W, H);
  Peer *b = peer_new (pool, 2, BLUE, W, H);
  g_autoptr (GArray) tiles = NULL;
  McuVideoMixStats stats;

  join (mix, a, "Alice");
  join (mix, b, "Bob");
  mcu_video_mix_add_participant (mix, 3, "Carol"); /* audio only */
  tiles = mcu_video_mix_get_tiles (mix, 1);
  g_assert_cmpuint (tiles->len, ==, 3);
  g_assert_true (wait_frame (a, grid_ok, NULL, 8000));
  g_assert_true (wait_frame (b, grid_ok, NULL, 8000));
  /* one encoder group for both: the same profile, the same view */
  g_assert_cmpuint (mcu_video_mix_get_n_encoder_groups (mix), ==, 1);
  g_assert_cmpuint (mcu_video_mix_get_n_views (mix), ==, 1);
  g_assert_true (mcu_video_mix_get_stats (mix, 1, &stats));
  g_assert_cmpuint (stats.frames_in, >, 0);
  g_assert_cmpuint (stats.frames_out, >, 0);
  g_assert_cmpuint (stats.keyframes_forced, >=, 2); /* one per joiner */
  mcu_video_mix_remove_participant (mix, 2);
  mcu_video_mix_remove_participant (mix, 1);
  mcu_video_mix_remove_participant (mix, 3);
  g_assert_cmpuint (mcu_video_mix_get_n_encoder_groups (mix), ==, 0);
  g_assert_cmpuint (mcu_video_mix_get_n_views (mix), ==, 0);
  peer_free (a);
  peer_free (b);
}

/* The speaker layout: blue large in the middle, red in the strip. */
static gboolean
speaker_ok (GstSample *s, gpointer data)
{
  return is_colour (pixel (s, 160, 70), BLUE) &&
         !is_colour (pixel (s, 160, 70), RED);
}

static gboolean
two_side_by_side (GstSample *s, gpointer data)
{
  /* 2 side by side: 16:9 in 160x180 cells is 160x90 at y 44..134 */
  return is_colour (pixel (s, 80, 90), RED) &&
         is_colour (pixel (s, 240, 90), BLUE) &&
         is_colour (pixel (s, 80, 10), 0);
}

/* Alice muted: her cell is black with her name, Bob still blue. */
static gboolean
left_muted (GstSample *s, gpointer data)
{
  return is_colour (pixel (s, 20, 60), 0) &&
         !is_colour (pixel (s, 80, 90), RED) &&
         bright_pixels (s, 0, 0, 160, 180) > 20 &&
         is_colour (pixel (s, 240, 90), BLUE);
}

static void
test_layout_change (void)
{
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (McuVideoMix) mix = make_mix (MCU_LAYOUT_GRID, TRUE);
  Peer *a = peer_new (pool, 1, RED, W, H);
  Peer *b = peer_new (pool, 2, BLUE, W, H);

  join (mix, a, "Alice");
  join (mix, b, "Bob");
  g_assert_true (wait_frame (a, two_side_by_side, NULL, 8000));
  mcu_video_mix_set_layout (mix, MCU_LAYOUT_SPEAKER);
  mcu_video_mix_set_active_speaker (mix, 2);
  g_assert_true (wait_frame (a, speaker_ok, NULL, 3000));
  mcu_video_mix_set_layout (mix, MCU_LAYOUT_GRID);
  g_assert_true (wait_frame (a, two_side_by_side, NULL, 3000));
  /* video mute: the name tile instead of red */
  mcu_video_mix_set_video_muted (mix, 1, TRUE);
  g_assert_true (wait_frame (a, left_muted, NULL, 3000));
  mcu_video_mix_remove_participant (mix, 1);
  mcu_video_mix_remove_participant (mix, 2);
  peer_free (a);
  peer_free (b);
}

/* Without self-view: one view and one group each; nobody sees their own
 * colour (a lone other fills the frame). */
static gboolean
only_blue (GstSample *s, gpointer data)
{
  return is_colour (pixel (s, 160, 90), BLUE) &&
         !is_colour (pixel (s, 40, 20), RED);
}

static gboolean
only_red (GstSample *s, gpointer data)
{
  return is_colour (pixel (s, 160, 90), RED) &&
         !is_colour (pixel (s, 40, 20), BLUE);
}

static void
test_no_self_view (void)
{
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (McuVideoMix) mix = make_mix (MCU_LAYOUT_GRID, FALSE);
  Peer *a = peer_new (pool, 1, RED, W, H);
  Peer *b = peer_new (pool, 2, BLUE, W, H);

  join (mix, a, "Alice");
  join (mix, b, "Bob");
  g_assert_cmpuint (mcu_video_mix_get_n_views (mix), ==, 2);
  g_assert_cmpuint (mcu_video_mix_get_n_encoder_groups (mix), ==, 2);
  g_assert_true (wait_frame (a, only_blue, NULL, 8000));
  g_assert_true (wait_frame (b, only_red, NULL, 8000));
  mcu_video_mix_remove_participant (mix, 1);
  g_assert_cmpuint (mcu_video_mix_get_n_views (mix), ==, 1);
  mcu_video_mix_remove_participant (mix, 2);
  g_assert_cmpuint (mcu_video_mix_get_n_views (mix), ==, 0);
  peer_free (a);
  peer_free (b);
}

/* Participant @id's pictures still decode and the mix still sends it
 * frames: both counters go up by 10 (a stopped decoder or group never
 * does; 10 s: a loaded machine decodes slowly, 30 frames a second here). */
static void
assert_flowing (McuVideoMix *mix, guint id)
{
  McuVideoMixStats before, after;
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_assert_true (mcu_video_mix_get_stats (mix, id, &before));
  do {
    while (g_main_context_iteration (NULL, FALSE))
      ;
    g_usleep (20 * G_TIME_SPAN_MILLISECOND);
    g_assert_true (mcu_video_mix_get_stats (mix, id, &after));
  } while ((after.frames_in < before.frames_in + 10 ||
               after.frames_out < before.frames_out + 10) &&
           g_get_monotonic_time () < end);
  g_assert_cmpuint (after.frames_in, >=, before.frames_in + 10);
  g_assert_cmpuint (after.frames_out, >=, before.frames_out + 10);
}

/* Views come and go while pictures flow: without self-view every joiner
 * brings a view (everyone's picture linked into a new compositor) and takes
 * it away when leaving (everyone's picture unlinked from it). A picture
 * pushed into a compositor pad not yet active, or one being released,
 * returns FLUSHING; passed up, it stops that sender's decoding for good,
 * its picture gone from every view. Each link makes the senders' decoders
 * ask for an allocation again: one queued in a compositor pad that is
 * released meanwhile was freed while the compositor answered it (a
 * GStreamer critical, fatal here, in about 1 run in 10 before the query
 * was answered at the pad). Nothing may fail, nothing be rebuilt. */
static void
test_views_come_and_go (gconstpointer data)
{
  TestLog *log = (TestLog *)data;
  Errors errors = { 0 };
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (McuVideoMix) mix = make_mix (MCU_LAYOUT_GRID, FALSE);
  Peer *a = peer_new (pool, 1, RED, W, H);
  Peer *b = peer_new (pool, 2, BLUE, W, H);
  Peer *c = peer_new (pool, 3, 0, W, H); /* receives only */

  log->video_warnings = 0;
  errors_watch (&errors, mix);
  join (mix, a, "Alice");
  join (mix, b, "Bob");
  g_assert_true (wait_frame (a, only_blue, NULL, 8000));
  g_assert_true (wait_frame (b, only_red, NULL, 8000));
  for (guint i = 0; i < 40; i++) {
    g_autoptr (GError) error = NULL;

    mcu_video_mix_add_participant (mix, 3, "Carol");
    g_assert_true (mcu_video_mix_set_session (mix, 3, c->session, &error));
    g_assert_cmpuint (mcu_video_mix_get_n_views (mix), ==, 3);
    /* let pictures flow into the new view a little */
    g_usleep ((i % 4) * 10 * G_TIME_SPAN_MILLISECOND);
    mcu_video_mix_remove_participant (mix, 3);
    g_assert_cmpuint (mcu_video_mix_get_n_views (mix), ==, 2);
  }
  /* both senders still decode (a stopped decoder would leave its last
   * picture in the views it was in: count frames) */
  for (guint id = 1; id <= 2; id++)
    assert_flowing (mix, id);
  g_assert_true (wait_frame (a, only_blue, NULL, 3000));
  g_assert_true (wait_frame (b, only_red, NULL, 3000));
  /* and nothing failed on the way, nothing was rebuilt, no element warned
   * (a view or a group stopped downstream first: "not negotiated") */
  g_assert_cmpuint (log->video_warnings, ==, 0);
  g_assert_cmpuint (errors.room, ==, 0);
  g_assert_cmpuint (errors.participant, ==, 0);
  g_assert_cmpuint (mcu_video_mix_get_n_rebuilds (mix), ==, 0);
  mcu_video_mix_remove_participant (mix, 1);
  mcu_video_mix_remove_participant (mix, 2);
  peer_free (a);
  peer_free (b);
  peer_free (c);
}

static gboolean
any_frame (GstSample *s, gpointer data)
{
  return TRUE;
}

/* Groups by profile: a smaller receiver gets its own group; a third at
 * the first size shares; a late joiner decodes within a second. */
static void
test_groups_and_joiner (void)
{
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (McuVideoMix) mix = make_mix (MCU_LAYOUT_GRID, TRUE);
  Peer *a = peer_new (pool, 1, RED, W, H);
  Peer *b = peer_new (pool, 2, BLUE, 160, 90);
  Peer *c = peer_new (pool, 3, 0, W, H); /* receives only */
  gint64 joined;

  join (mix, a, "Alice");
  join (mix, b, "Bob");
  g_assert_cmpuint (mcu_video_mix_get_n_encoder_groups (mix), ==, 2);
  g_assert_true (wait_frame (a, any_frame, NULL, 8000));
  joined = g_get_monotonic_time ();
  join (mix, c, "Carol");
  g_assert_cmpuint (mcu_video_mix_get_n_encoder_groups (mix), ==, 2);
  g_assert_true (wait_frame (c, any_frame, NULL, 1000));
  g_assert_cmpint (
      g_get_monotonic_time () - joined, <, time_scale () * G_USEC_PER_SEC);
  /* detaching the video (re-INVITE without it) keeps the name tile */
  g_assert_true (mcu_video_mix_set_session (mix, 2, NULL, NULL));
  g_assert_cmpuint (mcu_video_mix_get_n_encoder_groups (mix), ==, 1);
  g_assert_true (mcu_video_mix_has_participant (mix, 2));
  mcu_video_mix_remove_participant (mix, 1);
  mcu_video_mix_remove_participant (mix, 2);
  mcu_video_mix_remove_participant (mix, 3);
  peer_free (a);
  peer_free (b);
  peer_free (c);
}

static GstPadProbeReturn
drop_first_half_second (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  gint64 *start = data;

  if (*start == 0)
    *start = g_get_monotonic_time ();
  return g_get_monotonic_time () - *start < 500 * G_TIME_SPAN_MILLISECOND
             ? GST_PAD_PROBE_DROP
             : GST_PAD_PROBE_OK;
}

/* A sender whose keyframe we missed (its first half second is lost, its
 * next keyframe is 20 s away): we ask it with a PLI. */
static void
test_pli_on_join (void)
{
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (McuVideoMix) mix = make_mix (MCU_LAYOUT_GRID, TRUE);
  Peer *a;
  GstElement *enc, *sink;
  GstPad *pad;
  gint64 start = 0, end;
  McuVideoMixStats stats = { 0 };

  a = peer_new (pool, 1, RED, W, H);
  gst_element_set_state (a->send, GST_STATE_NULL);
  enc = gst_bin_get_by_name (GST_BIN (a->send), "enc");
  g_object_set (enc, "key-int-max", 600, NULL);
  gst_object_unref (enc);
  sink = gst_bin_get_by_name (GST_BIN (a->send), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (
      pad, GST_PAD_PROBE_TYPE_BUFFER, drop_first_half_second, &start, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
  join (mix, a, "Alice");
  gst_element_set_state (a->send, GST_STATE_PLAYING);
  end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end) {
    while (g_main_context_iteration (NULL, FALSE))
      ;
    mcu_video_mix_get_stats (mix, 1, &stats);
    if (stats.plis_sent > 0)
      break;
    g_usleep (20000);
  }
  g_assert_cmpuint (stats.plis_sent, >=, 1);
  mcu_video_mix_remove_participant (mix, 1);
  peer_free (a);
}

/* A stray stream at a participant's port, heard before the participant's
 * own (another call's sender still going, RTCP sent to the port after a
 * test peer's): the participant's SDP address still wins, gets the mix,
 * and the stray's picture never shows. */
static void
test_stray_source_ignored (void)
{
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (McuVideoMix) mix = make_mix (MCU_LAYOUT_GRID, FALSE);
  Peer *a = peer_new (pool, 1, 0, W, H); /* sends only once the stray did */
  Peer *b = peer_new (pool, 2, BLUE, W, H);
  GstElement *stray = sender_new (a, GREEN, W, H, FALSE);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (stray), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  gint sent = 0;
  gint64 end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_packet, &sent, NULL);
  while (g_atomic_int_get (&sent) < 10 && g_get_monotonic_time () < end)
    g_usleep (10 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (g_atomic_int_get (&sent), >=, 10);
  a->send = sender_new (a, RED, W, H, TRUE);
  join (mix, a, "Alice");
  join (mix, b, "Bob");
  g_assert_true (wait_frame (b, only_red, NULL, 8000));
  g_assert_true (wait_frame (a, only_blue, NULL, 8000));
  /* the stray keeps sending: Bob still sees Alice, never green */
  g_assert_true (wait_frame (b, only_red, NULL, 2000));
  gst_element_set_state (stray, GST_STATE_NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (stray);
  mcu_video_mix_remove_participant (mix, 1);
  mcu_video_mix_remove_participant (mix, 2);
  peer_free (a);
  peer_free (b);
}

/* ---- errors ---- */

static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < end) {
    while (g_main_context_iteration (NULL, FALSE))
      ;
    g_usleep (10 * G_TIME_SPAN_MILLISECOND);
  }
}

static void
post_error (GstElement *e)
{
  g_autoptr (GError) err = g_error_new_literal (
      GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED, "injected by the test");

  gst_element_post_message (
      e, gst_message_new_error (GST_OBJECT (e), err, "test"));
}

/* The first element made by @factory in the mix that @p's video is in. */
static GstElement *
find_in_mix (Peer *p, const gchar *factory)
{
  GstObject *pipeline =
      GST_OBJECT_PARENT (mcu_video_session_get_bin (p->session));
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (pipeline));
  GValue v = G_VALUE_INIT;
  GstElement *found = NULL;

  while (!found && gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object (&v);
    GstElementFactory *f = gst_element_get_factory (e);

    if (f && g_str_equal (GST_OBJECT_NAME (f), factory))
      found = gst_object_ref (e);
    g_value_unset (&v);
  }
  gst_iterator_free (it);
  g_assert_nonnull (found);
  return found;
}

static gboolean
in_mix (Peer *p, GstElement *e)
{
  return gst_object_has_as_ancestor (GST_OBJECT (e),
      GST_OBJECT_PARENT (mcu_video_session_get_bin (p->session)));
}

/* An error in one view (its compositor): that view is built anew, nobody
 * is dropped, the room goes on; a second failure of the room's video
 * within the rebuild window (an encoder group) fails the room. */
static void
test_view_error_rebuilds_view (gconstpointer data)
{
  TestLog *log = (TestLog *)data;
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (McuVideoMix) mix = make_mix (MCU_LAYOUT_GRID, FALSE);
  Peer *a = peer_new (pool, 1, RED, W, H);
  Peer *b = peer_new (pool, 2, BLUE, W, H);
  Errors errors = { 0 };
  g_autoptr (GstElement) compositor = NULL;
  g_autoptr (GstElement) encoder = NULL;

  log->quiet = TRUE; /* the mix logs each error at WARNING */
  errors_watch (&errors, mix);
  join (mix, a, "Alice");
  join (mix, b, "Bob");
  g_assert_true (wait_frame (a, only_blue, NULL, 8000));
  g_assert_true (wait_frame (b, only_red, NULL, 8000));
  compositor = find_in_mix (a, "compositor");
  post_error (compositor);
  spin (300);
  g_assert_cmpuint (errors.room, ==, 0);
  g_assert_cmpuint (errors.participant, ==, 0);
  g_assert_cmpuint (mcu_video_mix_get_n_rebuilds (mix), ==, 1);
  g_assert_false (in_mix (a, compositor)); /* a new one took over */
  g_assert_cmpuint (mcu_video_mix_get_n_views (mix), ==, 2);
  g_assert_cmpuint (mcu_video_mix_get_n_encoder_groups (mix), ==, 2);
  for (guint id = 1; id <= 2; id++)
    assert_flowing (mix, id);
  g_assert_true (wait_frame (a, only_blue, NULL, 3000));
  g_assert_true (wait_frame (b, only_red, NULL, 3000));

  encoder = find_in_mix (a, "x264enc");
  post_error (encoder);
  spin (300);
  g_assert_cmpuint (errors.room, ==, 1);
  g_assert_cmpuint (errors.participant, ==, 0);
  g_assert_cmpuint (mcu_video_mix_get_n_rebuilds (mix), ==, 1);
  mcu_video_mix_remove_participant (mix, 1);
  mcu_video_mix_remove_participant (mix, 2);
  peer_free (a);
  peer_free (b);
  log->quiet = FALSE;
}

/* (transfer full) the first element made by @factory upstream of @e
 * (taking @e), following the first sink pad. */
static GstElement *
upstream_of (GstElement *e, const gchar *factory)
{
  while (e && !g_str_equal (
                  GST_OBJECT_NAME (gst_element_get_factory (e)), factory)) {
    GstPad *sink = NULL, *peer = NULL;
    GstElement *up = NULL;
    GstIterator *it = gst_element_iterate_sink_pads (e);
    GValue v = G_VALUE_INIT;

    if (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
      sink = g_value_dup_object (&v);
      g_value_unset (&v);
    }
    gst_iterator_free (it);
    if (sink && (peer = gst_pad_get_peer (sink)))
      up = gst_pad_get_parent_element (peer);
    g_clear_object (&peer);
    g_clear_object (&sink);
    gst_object_unref (e);
    e = up;
  }
  g_assert_nonnull (e);
  return e;
}

static void
on_view_tap (
    GstBuffer *buffer, GstCaps *caps, GstClockTime clock_time, gpointer data)
{
  g_atomic_int_inc ((gint *)data);
}

/* A tap on the view everyone sees (a recording): frames of the room's
 * size, a view composed for it alone when nobody else uses it, and
 * frames again after that view was rebuilt for an error. */
static void
test_view_tap (gconstpointer data)
{
  TestLog *log = (TestLog *)data;
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (McuVideoMix) mix = make_mix (MCU_LAYOUT_GRID, FALSE);
  Peer *a = peer_new (pool, 1, RED, W, H);
  Peer *b = peer_new (pool, 2, BLUE, W, H);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) compositor = NULL;
  gint frames = 0;
  guint tap;

  log->quiet = TRUE; /* the mix logs the error at WARNING */
  join (mix, a, "Alice");
  join (mix, b, "Bob");
  g_assert_true (wait_frame (a, only_blue, NULL, 8000));
  /* without self-view, nobody sees view 0: the tap makes it */
  g_assert_cmpuint (mcu_video_mix_get_n_views (mix), ==, 2);
  tap = mcu_video_mix_add_tap (mix, on_view_tap, &frames, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tap, >, 0);
  g_assert_cmpuint (mcu_video_mix_get_n_views (mix), ==, 3);
  spin (500 * time_scale ());
  g_assert_cmpint (g_atomic_int_get (&frames), >=, 8);
  /* the tapped view's compositor fails: rebuilt, the tap goes on */
  compositor = upstream_of (find_in_mix (a, "appsink"), "compositor");
  post_error (compositor);
  spin (300);
  g_assert_false (in_mix (a, compositor)); /* a new one took over */
  g_atomic_int_set (&frames, 0);
  spin (500 * time_scale ());
  g_assert_cmpint (g_atomic_int_get (&frames), >=, 8);
  mcu_video_mix_remove_tap (mix, tap);
  g_assert_cmpuint (mcu_video_mix_get_n_views (mix), ==, 2);
  g_atomic_int_set (&frames, 0);
  spin (200);
  g_assert_cmpint (g_atomic_int_get (&frames), ==, 0);
  mcu_video_mix_remove_participant (mix, 1);
  mcu_video_mix_remove_participant (mix, 2);
  peer_free (a);
  peer_free (b);
  log->quiet = FALSE;
}

typedef struct
{
  gint frames; /* atomic */
  gint keys;   /* atomic: not DELTA_UNIT */
} EncTap;

static void
on_enc_tap (
    GstBuffer *buffer, GstCaps *caps, GstClockTime clock_time, gpointer data)
{
  EncTap *t = data;

  g_atomic_int_inc (&t->frames);
  if (!GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
    g_atomic_int_inc (&t->keys);
}

/* The view's H.264 encode is shared by whoever wants the same size, rate
 * and bitrate (a recording and streams of the room), runs while one of
 * them holds it, and a new tap gets a key frame at once. */
static void
test_shared_encode (void)
{
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (McuVideoMix) mix = make_mix (MCU_LAYOUT_GRID, TRUE);
  Peer *a = peer_new (pool, 1, RED, W, H);
  McuVideoEncodeOptions o = { 320, 180, 30, 300 };
  McuVideoEncodeOptions other = { 640, 360, 30, 300 };
  g_autoptr (GError) error = NULL;
  McuVideoEncode *e1, *e2, *e3, *e4;
  EncTap t1 = { 0 }, t2 = { 0 };
  guint tap1, tap2;

  join (mix, a, "Alice");
  e1 = mcu_video_encode_get (mix, &o, &error);
  g_assert_no_error (error);
  e2 = mcu_video_encode_get (mix, &o, &error);
  g_assert_no_error (error);
  g_assert_true (e1 == e2); /* one encode for both */
  e3 = mcu_video_encode_get (mix, &other, &error);
  g_assert_no_error (error);
  g_assert_true (e3 != e1); /* another size: its own */
  g_object_unref (e3);
  tap1 = mcu_video_encode_add_tap (e1, on_enc_tap, &t1, NULL);
  spin (3000 * time_scale ()); /* past the first key frame's interval */
  g_assert_cmpint (g_atomic_int_get (&t1.frames), >=, 20);
  tap2 = mcu_video_encode_add_tap (e2, on_enc_tap, &t2, NULL);
  spin (300 * time_scale ());
  /* the second tap had a key frame at once (not after up to 2 s) */
  g_assert_cmpint (g_atomic_int_get (&t2.keys), >=, 1);
  g_assert_cmpuint (mcu_video_encode_get_n_taps (e1), ==, 2);
  mcu_video_encode_remove_tap (e1, tap1);
  mcu_video_encode_remove_tap (e2, tap2);
  g_object_unref (e1);
  /* still held by the second user */
  g_assert_true (mcu_video_mix_get_encode (mix) == e2);
  g_object_unref (e2);
  g_assert_null (mcu_video_mix_get_encode (mix));
  e4 = mcu_video_encode_get (mix, &o, &error);
  g_assert_no_error (error);
  g_object_unref (e4);
  mcu_video_mix_remove_participant (mix, 1);
  peer_free (a);
}

typedef struct
{
  GMutex lock;
  guint frames, keys;
  GstCaps *first, *last; /* the caps of the first and the last picture */
  GstClockTime last_time;
  gboolean backwards; /* a picture not after the one before */
} ReuseTap;

static void
on_reuse_tap (
    GstBuffer *buffer, GstCaps *caps, GstClockTime clock_time, gpointer data)
{
  ReuseTap *t = data;

  g_mutex_lock (&t->lock);
  if (t->frames == 0)
    gst_caps_replace (&t->first, caps);
  gst_caps_replace (&t->last, caps);
  if (t->frames > 0 && clock_time <= t->last_time)
    t->backwards = TRUE;
  t->last_time = clock_time;
  t->frames++;
  if (!GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
    t->keys++;
  g_mutex_unlock (&t->lock);
}

static guint
reuse_frames (ReuseTap *t, guint *keys)
{
  guint n;

  g_mutex_lock (&t->lock);
  n = t->frames;
  if (keys)
    *keys = t->keys;
  g_mutex_unlock (&t->lock);
  return n;
}

/* The participants' group encodes the view at the recorded size and rate:
 * its output is taken (no encode more), starting on a key frame, with one
 * asked for every 2 s; the group gone (its member left), the same stream
 * goes on from an encode of the view with the group's settings: the same
 * caps, time going forward. Not asked to reuse: its own encode. */
static void
test_encoder_reuse (void)
{
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (McuVideoMix) mix = make_mix (MCU_LAYOUT_GRID, TRUE);
  Peer *a = peer_new (pool, 1, RED, W, H);
  McuVideoEncodeOptions o = { W, H, 30, 300, TRUE };
  McuVideoEncodeOptions apart = { W, H, 30, 300, FALSE };
  g_autoptr (GError) error = NULL;
  McuVideoEncode *e, *own;
  ReuseTap t = { 0 };
  guint tap, keys, before;

  g_mutex_init (&t.lock);
  join (mix, a, "Alice");
  e = mcu_video_encode_get (mix, &o, &error);
  g_assert_no_error (error);
  g_assert_cmpint (mcu_video_encode_get_source (e), ==, MCU_VIDEO_ENCODE_GROUP);
  g_assert_cmpuint (mcu_video_mix_get_n_encoder_groups (mix), ==, 1);
  own = mcu_video_encode_get (mix, &apart, &error);
  g_assert_no_error (error);
  g_assert_true (own != e);
  g_assert_cmpint (mcu_video_encode_get_source (own), ==, MCU_VIDEO_ENCODE_OWN);
  g_object_unref (own);
  tap = mcu_video_encode_add_tap (e, on_reuse_tap, &t, NULL);
  spin (2600 * time_scale ());
  before = reuse_frames (&t, &keys);
  g_assert_cmpuint (before, >=, 30);
  /* the first (asked for when tapped) and the one asked for at 2 s */
  g_assert_cmpuint (keys, >=, 2);
  mcu_video_mix_remove_participant (mix, 1);
  g_assert_cmpuint (mcu_video_mix_get_n_encoder_groups (mix), ==, 0);
  spin (1500 * time_scale ());
  g_assert_cmpint (
      mcu_video_encode_get_source (e), ==, MCU_VIDEO_ENCODE_FALLBACK);
  g_assert_cmpuint (reuse_frames (&t, NULL), >=, before + 20);
  g_mutex_lock (&t.lock);
  g_assert_false (t.backwards);
  g_assert_nonnull (t.first);
  g_assert_true (gst_caps_is_equal (t.first, t.last));
  g_mutex_unlock (&t.lock);
  mcu_video_encode_remove_tap (e, tap);
  g_object_unref (e);
  gst_clear_caps (&t.first);
  gst_clear_caps (&t.last);
  g_mutex_clear (&t.lock);
  peer_free (a);
}

/* An error in an encoder group: the group is built anew, its members keep
 * their calls and get pictures again. */
static void
test_group_error_rebuilds_group (gconstpointer data)
{
  TestLog *log = (TestLog *)data;
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (McuVideoMix) mix = make_mix (MCU_LAYOUT_GRID, FALSE);
  Peer *a = peer_new (pool, 1, RED, W, H);
  Peer *b = peer_new (pool, 2, BLUE, W, H);
  Errors errors = { 0 };
  g_autoptr (GstElement) encoder = NULL;

  log->quiet = TRUE;
  errors_watch (&errors, mix);
  join (mix, a, "Alice");
  join (mix, b, "Bob");
  g_assert_true (wait_frame (a, only_blue, NULL, 8000));
  g_assert_true (wait_frame (b, only_red, NULL, 8000));
  encoder = find_in_mix (a, "x264enc");
  post_error (encoder);
  spin (300);
  g_assert_cmpuint (errors.room, ==, 0);
  g_assert_cmpuint (errors.participant, ==, 0);
  g_assert_cmpuint (mcu_video_mix_get_n_rebuilds (mix), ==, 1);
  g_assert_false (in_mix (a, encoder));
  g_assert_cmpuint (mcu_video_mix_get_n_encoder_groups (mix), ==, 2);
  for (guint id = 1; id <= 2; id++)
    assert_flowing (mix, id);
  g_assert_true (wait_frame (a, only_blue, NULL, 3000));
  g_assert_true (wait_frame (b, only_red, NULL, 3000));
  mcu_video_mix_remove_participant (mix, 1);
  mcu_video_mix_remove_participant (mix, 2);
  peer_free (a);
  peer_free (b);
  log->quiet = FALSE;
}

/* An error from a member's tee (its decoded pictures to every view) is that
 * member's: reported for it alone, nothing rebuilt; once its video is
 * dropped (as McuCallVideo does), the other goes on. */
static void
test_member_tee_error_is_its_own (gconstpointer data)
{
  TestLog *log = (TestLog *)data;
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (McuVideoMix) mix = make_mix (MCU_LAYOUT_GRID, FALSE);
  Peer *a = peer_new (pool, 1, RED, W, H);
  Peer *b = peer_new (pool, 2, BLUE, W, H);
  Errors errors = { 0 };
  GstPad *out, *peer;
  GstElement *tee;

  log->quiet = TRUE;
  errors_watch (&errors, mix);
  join (mix, a, "Alice");
  join (mix, b, "Bob");
  g_assert_true (wait_frame (b, only_red, NULL, 8000));
  out = gst_element_get_static_pad (
      mcu_video_session_get_bin (a->session), "video_out");
  peer = gst_pad_get_peer (out);
  tee = gst_pad_get_parent_element (peer);
  post_error (tee);
  gst_object_unref (tee);
  gst_object_unref (peer);
  gst_object_unref (out);
  spin (300);
  g_assert_cmpuint (errors.room, ==, 0);
  g_assert_cmpuint (errors.participant, ==, 1);
  g_assert_cmpuint (errors.last_id, ==, 1);
  g_assert_cmpuint (mcu_video_mix_get_n_rebuilds (mix), ==, 0);
  g_assert_true (mcu_video_mix_set_session (mix, 1, NULL, NULL));
  assert_flowing (mix, 2);
  mcu_video_mix_remove_participant (mix, 1);
  mcu_video_mix_remove_participant (mix, 2);
  peer_free (a);
  peer_free (b);
  log->quiet = FALSE;
}

/* Whether the 4x4 grid of sample points of @s shows @rgb somewhere. */
static gboolean
shows (GstSample *s, guint32 rgb)
{
  GstStructure *st = gst_caps_get_structure (gst_sample_get_caps (s), 0);
  gint w = 0, h = 0;

  gst_structure_get_int (st, "width", &w);
  gst_structure_get_int (st, "height", &h);
  for (guint i = 0; i < 16; i++)
    if (is_colour (
            pixel (s, (2 * (i % 4) + 1) * w / 8, (2 * (i / 4) + 1) * h / 8),
            rgb))
      return TRUE;
  return FALSE;
}

static gboolean
all_three (GstSample *s, gpointer data)
{
  return shows (s, RED) && shows (s, GREEN) && shows (s, BLUE);
}

static gboolean
green_blue_not_red (GstSample *s, gpointer data)
{
  return shows (s, GREEN) && shows (s, BLUE) && !shows (s, RED);
}

/* (transfer full) the scaler of @p's pictures into a view (after its tee) */
static GstElement *
input_scaler (Peer *p)
{
  GstPad *out = gst_element_get_static_pad (
      mcu_video_session_get_bin (p->session), "video_out");
  GstPad *tee_sink = gst_pad_get_peer (out);
  GstElement *tee = gst_pad_get_parent_element (tee_sink);
  GstIterator *it = gst_element_iterate_src_pads (tee);
  GValue v = G_VALUE_INIT;
  GstElement *found = NULL;

  while (!found && gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstPad *peer = gst_pad_get_peer (g_value_get_object (&v));
    GstElement *e = peer ? gst_pad_get_parent_element (peer) : NULL;

    if (e && g_str_equal (
                 GST_OBJECT_NAME (gst_element_get_factory (e)), "videoscale"))
      found = g_steal_pointer (&e);
    g_clear_object (&e);
    g_clear_object (&peer);
    g_value_unset (&v);
  }
  gst_iterator_free (it);
  gst_object_unref (tee);
  gst_object_unref (tee_sink);
  gst_object_unref (out);
  g_assert_nonnull (found);
  return found;
}

/* An error in one member's input into a view (its scaler: the member's
 * pictures, on its decoding thread) is that member's: reported for it
 * alone, its input leaves the view, nothing is rebuilt, and the rest of
 * the grid goes on (the others' pictures still in it). */
static void
test_input_error_is_the_members (gconstpointer data)
{
  TestLog *log = (TestLog *)data;
  g_autoptr (McuPortPool) pool = mcu_test_port_pool_new ();
  g_autoptr (McuVideoMix) mix = make_mix (MCU_LAYOUT_GRID, TRUE);
  Peer *a = peer_new (pool, 1, RED, W, H);
  Peer *b = peer_new (pool, 2, BLUE, W, H);
  Peer *c = peer_new (pool, 3, GREEN, W, H);
  Errors errors = { 0 };
  g_autoptr (GstElement) compositor = NULL;
  g_autoptr (GstElement) scaler = NULL;
  g_autoptr (GstElement) after = NULL;

  log->quiet = TRUE;
  errors_watch (&errors, mix);
  join (mix, a, "Alice");
  join (mix, b, "Bob");
  join (mix, c, "Carol");
  g_assert_true (wait_frame (b, all_three, NULL, 8000));
  compositor = find_in_mix (a, "compositor");
  scaler = input_scaler (a);
  post_error (scaler);
  spin (300);
  g_assert_cmpuint (errors.room, ==, 0);
  g_assert_cmpuint (mcu_video_mix_get_n_rebuilds (mix), ==, 0);
  g_assert_cmpuint (errors.participant, ==, 1);
  g_assert_cmpuint (errors.last_id, ==, 1);
  g_assert_false (in_mix (a, scaler)); /* that input has gone */
  after = find_in_mix (a, "compositor");
  g_assert_true (after == compositor); /* the same view goes on */
  g_assert_cmpuint (mcu_video_mix_get_n_views (mix), ==, 1);
  g_assert_true (wait_frame (b, green_blue_not_red, NULL, 3000));
  g_assert_true (wait_frame (c, green_blue_not_red, NULL, 3000));
  for (guint id = 2; id <= 3; id++)
    assert_flowing (mix, id);
  for (guint id = 1; id <= 3; id++)
    mcu_video_mix_remove_participant (mix, id);
  peer_free (a);
  peer_free (b);
  peer_free (c);
  log->quiet = FALSE;
}

/* The mix logs every media error at WARNING (fatal under G_DEBUG): the
 * error tests, which cause them, silence the mixer's log while they run.
 * Its GStreamer warnings (MESSAGE level) are counted. */
static GLogWriterOutput
test_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
    gpointer user_data)
{
  TestLog *log = user_data;
  gboolean mixer = FALSE;
  const gchar *message = "";

  for (gsize i = 0; i < n_fields; i++) {
    if (g_str_equal (fields[i].key, "GLIB_DOMAIN") && fields[i].length < 0 &&
        g_str_equal (fields[i].value, "mcu-mixer"))
      mixer = TRUE;
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
      message = fields[i].value;
  }
  if (mixer && g_str_has_prefix (message, "video warning"))
    log->video_warnings++;
  if (mixer && log->quiet)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (level, fields, n_fields, user_data);
}

int
main (int argc, char **argv)
{
  TestLog log = { 0 };

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (test_writer, &log, NULL);
  g_test_add_func ("/video-mix/grid", test_grid);
  g_test_add_func ("/video-mix/layout-change", test_layout_change);
  g_test_add_func ("/video-mix/no-self-view", test_no_self_view);
  g_test_add_func ("/video-mix/groups-and-joiner", test_groups_and_joiner);
  g_test_add_data_func (
      "/video-mix/views-come-and-go", &log, test_views_come_and_go);
  g_test_add_func ("/video-mix/pli-on-join", test_pli_on_join);
  g_test_add_func (
      "/video-mix/stray-source-ignored", test_stray_source_ignored);
  g_test_add_data_func ("/video-mix/errors/view-rebuilt-then-room-fails", &log,
      test_view_error_rebuilds_view);
  g_test_add_data_func (
      "/video-mix/errors/group-rebuilt", &log, test_group_error_rebuilds_group);
  g_test_add_data_func ("/video-mix/tap", &log, test_view_tap);
  g_test_add_func ("/video-mix/shared-encode", test_shared_encode);
  g_test_add_func ("/video-mix/encoder-reuse", test_encoder_reuse);
  g_test_add_data_func ("/video-mix/errors/member-tee-is-its-own", &log,
      test_member_tee_error_is_its_own);
  g_test_add_data_func ("/video-mix/errors/input-is-the-members", &log,
      test_input_error_is_the_members);
  return g_test_run ();
}
