/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The video side of a mcu-test-caller call: options, the m=video line of
 * our SDP, starting and following the video stream as SDP comes and goes,
 * actions at set times (PLI, FIR, grid captures, adding video by
 * re-INVITE), SIGUSR1 grid captures, and the report's "video" object.
 *
 * Threads: main thread only (see mcu-caller.h). */
#include "mcu-caller.h"

#include <glib-unix.h>
#include <signal.h>
#include <string.h>

#define SCHEDULE_TICK_MS 5

typedef enum
{
  ACTION_PLI,
  ACTION_FIR,
  ACTION_GRID,
  ACTION_ADD_VIDEO,
  ACTION_RESIZE,
} McuCallerActionKind;

typedef struct
{
  gdouble at; /* seconds after the 2xx */
  McuCallerActionKind kind;
  gboolean done;
} McuCallerAction;

GOptionGroup *
mcu_caller_video_option_group (McuCaller *c)
{
  const GOptionEntry entries[] = {
    { "video-colour", 0, 0, G_OPTION_ARG_STRING, &c->video_colour,
        "Offer H.264 video and send this solid colour", "RRGGBB" },
    { "video-size", 0, 0, G_OPTION_ARG_STRING, &c->video_size,
        "Size of the video we send (640x360)", "WxH" },
    { "video-fps", 0, 0, G_OPTION_ARG_INT, &c->video_fps,
        "Frame rate we send (30)", "N" },
    { "video-codec", 0, 0, G_OPTION_ARG_STRING, &c->video_codec,
        "Video codec: h264 (the only one)", "C" },
    { "h264-modes", 0, 0, G_OPTION_ARG_STRING, &c->h264_modes,
        "packetization-modes we take, by preference, one PT each (1,0)",
        "LIST" },
    { "h264-level", 0, 0, G_OPTION_ARG_STRING, &c->h264_level,
        "H.264 level in profile-level-id 42e0xx (3.1)", "L" },
    { "max-fs", 0, 0, G_OPTION_ARG_INT, &c->max_fs,
        "Add max-fs=N (macroblocks) to the fmtp", "N" },
    { "video-bitrate", 0, 0, G_OPTION_ARG_INT, &c->video_bitrate,
        "Bit rate we send and offer as b=AS (800)", "KBPS" },
    { "video-key-interval", 0, 0, G_OPTION_ARG_INT, &c->video_key_interval,
        "Send an IDR every SEC seconds (0: only at start and on PLI/FIR)",
        "SEC" },
    { "video-at", 0, 0, G_OPTION_ARG_DOUBLE, &c->video_at,
        "Call audio-only, add video by re-INVITE SEC after the 2xx", "SEC" },
    { "video-resize-at", 0, 0, G_OPTION_ARG_DOUBLE, &c->video_resize_at,
        "Send a re-INVITE SEC after the 2xx and from then on send video at "
        "--video-resize (new SPS/PPS and an IDR, the same SSRC)",
        "SEC" },
    { "video-resize", 0, 0, G_OPTION_ARG_STRING, &c->video_resize,
        "The size --video-resize-at (or SIGUSR2, when this is given) changes "
        "to (320x180)",
        "WxH" },
    { "video-resize-colour", 0, 0, G_OPTION_ARG_STRING, &c->video_resize_colour,
        "The colour sent from --video-resize-at on (the same)", "RRGGBB" },
    { "send-pli-at", 0, 0, G_OPTION_ARG_STRING, &c->send_pli_at,
        "Send a PLI at these times after the 2xx", "SEC,..." },
    { "send-fir-at", 0, 0, G_OPTION_ARG_STRING, &c->send_fir_at,
        "Send a FIR at these times after the 2xx", "SEC,..." },
    { "grid", 0, 0, G_OPTION_ARG_STRING, &c->grid_list,
        "Grids whose tiles the report describes (1x1,2x1,2x2,3x3,4x4); CxR:N "
        "holds N tiles, an incomplete last row centred",
        "CxR[:N],..." },
    { "grid-at", 0, 0, G_OPTION_ARG_STRING, &c->grid_at,
        "Capture the tiles of the latest frame at these times after the 2xx "
        "(also on SIGUSR1, and at the end)",
        "SEC,..." },
    { "snapshot", 0, 0, G_OPTION_ARG_FILENAME, &c->snapshot,
        "Save the last frame as PNG (captures at other times: PATH-LABEL.png)",
        "PATH" },
    { "video-stamp", 0, 0, G_OPTION_ARG_NONE, &c->video_stamp,
        "Draw the capture time (ms) into every frame we send", NULL },
    { "stamp-grid", 0, 0, G_OPTION_ARG_STRING, &c->stamp_grid,
        "Read time stamps from every tile of this grid (latency)", "CxR" },
    { "no-video-decode", 0, 0, G_OPTION_ARG_NONE, &c->no_video_decode,
        "Count received frames without decoding them", NULL },
    { NULL }
  };
  GOptionGroup *group = g_option_group_new ("video",
      "H.264 video (the report gets a \"video\" object):", "Video options", c,
      NULL);

  g_option_group_add_entries (group, entries);
  return group;
}

/* "1.5,3" -> actions of @kind. */
static gboolean
add_actions (McuCaller *c, const char *list, McuCallerActionKind kind)
{
  g_auto (GStrv) items = list ? g_strsplit (list, ",", -1) : NULL;

  for (guint i = 0; items && items[i]; i++) {
    McuCallerAction a = { 0, kind, FALSE };
    gchar *end;

    a.at = g_ascii_strtod (items[i], &end);
    if (end == items[i] || *end || a.at < 0)
      return FALSE;
    g_array_append_val (c->schedule, a);
  }
  return TRUE;
}

static gint
compare_actions (gconstpointer a, gconstpointer b)
{
  gdouble x = ((const McuCallerAction *)a)->at;
  gdouble y = ((const McuCallerAction *)b)->at;
  return x < y ? -1 : x > y;
}

static gboolean
parse_grids (McuCaller *c, const char *list)
{
  g_auto (GStrv) items = g_strsplit (list, ",", -1);

  c->n_grids = 0;
  for (guint i = 0; items[i]; i++) {
    if (c->n_grids == G_N_ELEMENTS (c->grids) ||
        !mcu_caller_grid_parse (items[i], &c->grids[c->n_grids++]))
      return FALSE;
  }
  return c->n_grids > 0;
}

static gboolean
parse_modes (McuCaller *c)
{
  g_auto (GStrv) items = g_strsplit (c->h264_modes, ",", -1);
  McuCallerVideoCaps *caps = &c->video_caps;

  caps->n_modes = 0;
  for (guint i = 0; items[i]; i++) {
    if (caps->n_modes == 2 ||
        (g_strcmp0 (items[i], "0") && g_strcmp0 (items[i], "1")))
      return FALSE;
    caps->modes[caps->n_modes++] = items[i][0] - '0';
  }
  return caps->n_modes > 0 &&
         (caps->n_modes == 1 || caps->modes[0] != caps->modes[1]);
}

static gboolean
parse_level (McuCaller *c)
{
  gchar *end;
  gdouble level = g_ascii_strtod (c->h264_level, &end);
  guint idc = (guint)(level * 10 + 0.5);

  if (end == c->h264_level || *end || idc < 10 || idc > 52)
    return FALSE;
  c->video_caps.level_idc = idc;
  return TRUE;
}

static gboolean
parse_size (const char *text, guint *width, guint *height)
{
  guint64 w, h;
  gchar *end;

  w = g_ascii_strtoull (text, &end, 10);
  if (*end != 'x')
    return FALSE;
  h = g_ascii_strtoull (end + 1, &end, 10);
  if (*end || w < 16 || h < 16 || w > 3840 || h > 2160 || w % 2 || h % 2)
    return FALSE;
  *width = (guint)w;
  *height = (guint)h;
  return TRUE;
}

static gboolean
parse_colour (const char *text, guint32 *colour)
{
  gchar *end;

  *colour = (guint32)g_ascii_strtoull (text, &end, 16);
  return strlen (text) == 6 && !*end;
}

static const char *
check_resize (McuCaller *c)
{
  if (!parse_size (c->video_resize, &c->resize_width, &c->resize_height))
    return "--video-resize must be WxH (even, 16..3840 x 16..2160)";
  c->resize_colour = c->colour;
  if (c->video_resize_colour &&
      !parse_colour (c->video_resize_colour, &c->resize_colour))
    return "--video-resize-colour must be RRGGBB (hex)";
  if (c->video_resize_at < 0 && !c->resize_on_signal)
    return NULL;
  if (!c->video_enabled || c->video_at >= 0)
    return "--video-resize(-at) needs --video-colour (video from the start)";
  if (c->video_stamp)
    return "--video-resize(-at) does not go with --video-stamp";
  return NULL;
}

static const char *
check_values (McuCaller *c)
{
  if (c->video_colour && !parse_colour (c->video_colour, &c->colour))
    return "--video-colour must be RRGGBB (hex)";
  if (g_ascii_strcasecmp (c->video_codec, "h264"))
    return "--video-codec: only h264 is supported";
  if (!parse_size (c->video_size, &c->width, &c->height))
    return "--video-size must be WxH (even, 16..3840 x 16..2160)";
  if (c->video_fps < 1 || c->video_fps > 60)
    return "--video-fps must be within 1..60";
  if (!parse_modes (c))
    return "--h264-modes must be 1, 0, \"1,0\" or \"0,1\"";
  if (!parse_level (c))
    return "--h264-level must be like 1.3, 3.1, 4";
  if (c->video_bitrate < 16 || c->video_bitrate > 20000)
    return "--video-bitrate must be within 16..20000 kbit/s";
  if (c->video_key_interval < 0 || c->max_fs < 0)
    return "--video-key-interval and --max-fs must not be negative";
  if (!parse_grids (c, c->grid_list))
    return "--grid must be a list of CxR[:N] (1..8), at most 16";
  if (c->stamp_grid &&
      !mcu_caller_grid_parse (c->stamp_grid, &c->stamp_grid_value))
    return "--stamp-grid must be CxR[:N]";
  if (!add_actions (c, c->send_pli_at, ACTION_PLI) ||
      !add_actions (c, c->send_fir_at, ACTION_FIR) ||
      !add_actions (c, c->grid_at, ACTION_GRID))
    return "--send-pli-at, --send-fir-at, --grid-at take SEC,SEC,...";
  return NULL;
}

gboolean
mcu_caller_video_check_options (McuCaller *c, GError **error)
{
  const char *problem;

  if (!c->video_size)
    c->video_size = g_strdup ("640x360");
  c->resize_on_signal = c->video_resize != NULL;
  if (!c->video_resize)
    c->video_resize = g_strdup ("320x180");
  if (!c->video_codec)
    c->video_codec = g_strdup ("h264");
  if (!c->h264_modes)
    c->h264_modes = g_strdup ("1,0");
  if (!c->h264_level)
    c->h264_level = g_strdup ("3.1");
  if (!c->grid_list)
    c->grid_list = g_strdup ("1x1,2x1,2x2,3x3,4x4");
  c->schedule = g_array_new (FALSE, FALSE, sizeof (McuCallerAction));
  c->video_enabled = c->video_colour != NULL;
  problem = check_values (c);
  if (!problem && !c->video_enabled && c->video_at >= 0)
    problem = "--video-at needs --video-colour";
  if (!problem && c->video_enabled && c->answer && c->video_at >= 0)
    problem = "--video-at is for calls we place";
  if (!problem)
    problem = check_resize (c);
  if (problem) {
    g_set_error_literal (
        error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, problem);
    return FALSE;
  }
  c->have_stamp_grid = c->stamp_grid != NULL;
  c->video_caps.max_fs = (guint)c->max_fs;
  c->video_caps.bitrate_kbps = (guint)c->video_bitrate;
  c->video_caps.with_feedback = TRUE;
  c->video_offer = c->video_enabled && c->video_at < 0;
  if (c->video_at >= 0) {
    McuCallerAction a = { c->video_at, ACTION_ADD_VIDEO, FALSE };
    g_array_append_val (c->schedule, a);
  }
  if (c->video_resize_at >= 0) {
    McuCallerAction a = { c->video_resize_at, ACTION_RESIZE, FALSE };
    g_array_append_val (c->schedule, a);
  }
  g_array_sort (c->schedule, compare_actions);
  return TRUE;
}

static void
on_video_error (McuCallerVideo *video, const char *message, gpointer user_data)
{
  mcu_caller_finish (user_data, MCU_CALLER_EXIT_FAILURE, "%s", message);
}

static gboolean capture_grid (McuCaller *c, const char *label);

static gboolean
on_usr1 (gpointer user_data)
{
  McuCaller *c = user_data;
  g_autofree gchar *label = g_strdup_printf ("usr1-%u", ++c->usr1_count);

  if (!capture_grid (c, label))
    mcu_caller_log (c, "SIGUSR1: no decoded video frame yet");
  mcu_caller_write_report (c, FALSE);
  return G_SOURCE_CONTINUE;
}

static void run_action (McuCaller *c, McuCallerAction *a);

static gboolean
on_usr2 (gpointer user_data)
{
  McuCaller *c = user_data;
  McuCallerAction a = { 0, ACTION_RESIZE, FALSE };

  if (c->state != MCU_CALLER_STATE_ACTIVE) {
    mcu_caller_log (c, "SIGUSR2: not in a call, not resized");
    return G_SOURCE_CONTINUE;
  }
  a.at = (g_get_monotonic_time () - c->call_start_mono) / 1e6;
  run_action (c, &a);
  return G_SOURCE_CONTINUE;
}

/* Binds the video sockets (so the port is in our first offer). */
gboolean
mcu_caller_video_setup (McuCaller *c, GError **error)
{
  c->usr1_id = g_unix_signal_add (SIGUSR1, on_usr1, c);
  if (c->resize_on_signal)
    c->usr2_id = g_unix_signal_add (SIGUSR2, on_usr2, c);
  if (!c->video_enabled)
    return TRUE;
  c->video = mcu_caller_video_new (c->display_name, c->program_start_mono,
      c->local_ip, on_video_error, c, error);
  if (c->video)
    mcu_caller_video_preload ();
  return c->video != NULL;
}

static gchar *
snapshot_path (McuCaller *c, const char *label)
{
  g_autofree gchar *base = NULL;

  if (!c->snapshot)
    return NULL;
  if (g_strcmp0 (label, "end") == 0)
    return g_strdup (c->snapshot);
  base = g_str_has_suffix (c->snapshot, ".png")
             ? g_strndup (c->snapshot, strlen (c->snapshot) - 4)
             : g_strdup (c->snapshot);
  return g_strdup_printf ("%s-%s.png", base, label);
}

static gboolean
capture_grid (McuCaller *c, const char *label)
{
  g_autofree gchar *png = snapshot_path (c, label);

  if (!c->video || !mcu_caller_video_is_started (c->video) ||
      c->no_video_decode)
    return FALSE;
  return mcu_caller_video_capture_grid (
      c->video, label, c->grids, c->n_grids, png);
}

void
mcu_caller_video_capture_end (McuCaller *c)
{
  capture_grid (c, "end");
}

static void
run_action (McuCaller *c, McuCallerAction *a)
{
  g_autofree gchar *label = NULL;
  gboolean started = c->video && mcu_caller_video_is_started (c->video);

  switch (a->kind) {
    case ACTION_PLI:
    case ACTION_FIR:
      if (started)
        mcu_caller_video_request_keyframe (c->video, a->kind == ACTION_FIR);
      else
        mcu_caller_log (
            c, "no video at %.2f s: key frame request skipped", a->at);
      break;
    case ACTION_GRID:
      label = g_strdup_printf ("t%.2f", a->at);
      if (!capture_grid (c, label))
        mcu_caller_log (c, "no decoded video frame at %.2f s", a->at);
      break;
    case ACTION_ADD_VIDEO:
      c->video_offer = TRUE;
      mcu_caller_sip_reinvite (c, c->local_dir);
      break;
    case ACTION_RESIZE:
      /* a phone that switches camera or resolution: a re-INVITE, then the
       * stream at the new size */
      mcu_caller_sip_reinvite (c, c->local_dir);
      if (started)
        mcu_caller_video_resize (
            c->video, c->resize_width, c->resize_height, c->resize_colour);
      else
        mcu_caller_log (c, "no video at %.2f s: not resized", a->at);
      break;
  }
}

static gboolean
on_schedule_tick (gpointer user_data)
{
  McuCaller *c = user_data;
  gdouble now = (g_get_monotonic_time () - c->call_start_mono) / 1e6;
  gboolean pending = FALSE;

  for (guint i = 0; i < c->schedule->len; i++) {
    McuCallerAction *a = &g_array_index (c->schedule, McuCallerAction, i);

    if (a->done)
      continue;
    if (a->at > now) {
      pending = TRUE;
      break;
    }
    a->done = TRUE;
    run_action (c, a);
  }
  if (pending)
    return G_SOURCE_CONTINUE;
  c->schedule_id = 0;
  return G_SOURCE_REMOVE;
}

void
mcu_caller_video_call_started (McuCaller *c)
{
  if (c->schedule->len)
    c->schedule_id = g_timeout_add (SCHEDULE_TICK_MS, on_schedule_tick, c);
}

void
mcu_caller_video_stop_timers (McuCaller *c)
{
  g_clear_handle_id (&c->schedule_id, g_source_remove);
}

static gboolean
start_video (McuCaller *c)
{
  const McuCallerSdpVideo *r = &c->remote.video;
  g_autoptr (GError) error = NULL;
  McuCallerVideoParams p = {
    .pt = r->pt,
    .mode = r->mode,
    .remote_address = r->address,
    .remote_port = r->port,
    .send = TRUE,
    .colour = c->colour,
    .width = c->width,
    .height = c->height,
    .fps = (guint)c->video_fps,
    .bitrate_kbps = (guint)c->video_bitrate,
    .key_interval_s = (guint)c->video_key_interval,
    .stamp = c->video_stamp,
    .clap_ms = (guint)c->clap_every_ms,
    .decode = !c->no_video_decode,
    .stamp_grid = c->have_stamp_grid ? &c->stamp_grid_value : NULL,
  };

  if (!mcu_caller_video_start (c->video, &p, &error)) {
    mcu_caller_finish (c, MCU_CALLER_EXIT_FAILURE, "%s", error->message);
    return FALSE;
  }
  return TRUE;
}

/* Follows the peer's latest SDP: start video when it accepts ours. */
void
mcu_caller_video_update (McuCaller *c)
{
  const McuCallerSdpVideo *r = &c->remote.video;
  gboolean null_address = g_strcmp0 (r->address, "0.0.0.0") == 0;
  gboolean sending = (r->direction & MCU_CALLER_DIR_RECVONLY) &&
                     (c->local_dir & MCU_CALLER_DIR_SENDONLY) && !null_address;

  if (!c->video_enabled || !r->present)
    return;
  if (r->port == 0) {
    mcu_caller_log (c, "peer rejected video (port 0)");
    return;
  }
  mcu_caller_log (c, "peer video SDP: %s:%u pt %u mode %u%s%s%s a=%s",
      r->address, r->port, r->pt, r->mode, r->fb_nack ? " nack" : "",
      r->fb_pli ? " pli" : "", r->fb_fir ? " fir" : "",
      mcu_caller_direction_to_string (r->direction));
  if (!mcu_caller_video_is_started (c->video)) {
    if (!start_video (c))
      return;
  } else if (!null_address) {
    mcu_caller_video_set_remote (c->video, r->address, r->port);
  }
  mcu_caller_video_set_sending (c->video, sending);
}

void
mcu_caller_video_parse_sdp (
    McuCaller *c, const char *text, gsize length, McuCallerSdpMedia *out)
{
  g_autoptr (GError) error = NULL;

  if (!mcu_caller_sdp_parse_video (
          text, length, &c->video_caps, &out->video, &error)) {
    mcu_caller_log (c, "unusable video in peer SDP: %s", error->message);
    out->video.present = TRUE; /* treat as rejected */
    out->video.port = 0;
  }
}

/* Our m=video line: an offer while we want video; in an answer, ours or a
 * port-0 rejection whenever the offer had video. */
void
mcu_caller_video_append_sdp (
    McuCaller *c, GString *sdp, McuCallerDirection direction, gboolean offer)
{
  const McuCallerSdpVideo *r = &c->remote.video;
  guint port = mcu_caller_video_get_port (c->video);

  if (offer) {
    if (c->video_offer)
      mcu_caller_sdp_append_video (sdp, port, &c->video_caps, NULL, direction);
    return;
  }
  if (!r->present)
    return;
  if (c->video_enabled && r->port)
    mcu_caller_sdp_append_video (sdp, port, &c->video_caps, r, direction);
  else
    g_string_append (sdp, "m=video 0 RTP/AVP 96\r\n");
}

static void
add_negotiated (McuCaller *c, JsonBuilder *b)
{
  const McuCallerSdpVideo *r = &c->remote.video;

  json_builder_set_member_name (b, "negotiated");
  if (!r->present) {
    json_builder_add_null_value (b);
    return;
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "port");
  json_builder_add_int_value (b, r->port);
  json_builder_set_member_name (b, "pt");
  json_builder_add_int_value (b, r->pt);
  json_builder_set_member_name (b, "packetization_mode");
  json_builder_add_int_value (b, r->mode);
  json_builder_set_member_name (b, "profile_level_id");
  json_builder_add_string_value (b, r->profile_level_id);
  json_builder_set_member_name (b, "max_fs");
  json_builder_add_int_value (b, r->max_fs);
  json_builder_set_member_name (b, "bandwidth_as");
  json_builder_add_int_value (b, r->bandwidth_as);
  json_builder_set_member_name (b, "rtcp_fb");
  json_builder_begin_array (b);
  if (r->fb_nack)
    json_builder_add_string_value (b, "nack");
  if (r->fb_pli)
    json_builder_add_string_value (b, "nack pli");
  if (r->fb_fir)
    json_builder_add_string_value (b, "ccm fir");
  json_builder_end_array (b);
  json_builder_set_member_name (b, "direction");
  json_builder_add_string_value (
      b, mcu_caller_direction_to_string (r->direction));
  json_builder_end_object (b);
}

/* The report's "video" member (null without video options). */
void
mcu_caller_call_video_report (McuCaller *c, JsonBuilder *b)
{
  json_builder_set_member_name (b, "video");
  if (!c->video_enabled) {
    json_builder_add_null_value (b);
    return;
  }
  json_builder_begin_object (b);
  add_negotiated (c, b);
  if (c->video)
    mcu_caller_video_add_report (c->video, b);
  json_builder_end_object (b);
}

void
mcu_caller_video_clear (McuCaller *c)
{
  g_clear_handle_id (&c->schedule_id, g_source_remove);
  g_clear_handle_id (&c->usr1_id, g_source_remove);
  g_clear_handle_id (&c->usr2_id, g_source_remove);
  g_clear_pointer (&c->video, mcu_caller_video_free);
  g_clear_pointer (&c->schedule, g_array_unref);
  g_free (c->video_colour);
  g_free (c->video_size);
  g_free (c->video_resize);
  g_free (c->video_resize_colour);
  g_free (c->video_codec);
  g_free (c->h264_modes);
  g_free (c->h264_level);
  g_free (c->send_pli_at);
  g_free (c->send_fir_at);
  g_free (c->grid_list);
  g_free (c->grid_at);
  g_free (c->snapshot);
  g_free (c->stamp_grid);
}
