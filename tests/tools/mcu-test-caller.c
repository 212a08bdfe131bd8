/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mcu-test-caller: places (or, with --answer, takes) one SIP call, sends a
 * sine tone over RTP in one codec, records what it hears to a WAV file and
 * writes a JSON report. Used by the integration tests against the daemon.
 *
 * Threads: one GLib main loop owns everything (see mcu-caller.h).
 * Life of a run: CALLING -> ACTIVE (2xx; media starts, timers run) ->
 * HANGUP (BYE/CANCEL sent, unless the peer hung up) -> MEDIA_STOP (EOS so the
 * WAV is valid) -> SHUTDOWN (report written, nua_shutdown) -> DONE. */
#include "mcu-caller.h"

#include <json-glib/json-glib.h>
#include <glib-unix.h>
#include <gst/gst.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#define HANGUP_TIMEOUT_MS 5000
#define HARD_TIMEOUT_S    10

void
mcu_caller_log (McuCaller *c, const char *format, ...)
{
  g_autofree gchar *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("%s: [%7.3f] %s\n", c->display_name,
      (g_get_monotonic_time () - c->program_start_mono) / 1e6, text);
}

static void
set_result_valist (
    McuCaller *c, gint exit_code, const char *format, va_list args)
{
  if (c->exit_code >= 0)
    return;
  c->exit_code = exit_code;
  if (format) {
    c->error = g_strdup_vprintf (format, args);
    mcu_caller_log (c, "%s (exit %d): %s",
        exit_code == MCU_CALLER_EXIT_OK    ? "done"
        : exit_code == MCU_CALLER_EXIT_BYE ? "ended"
                                           : "FAILED",
        exit_code, c->error);
  }
}

/* Records the outcome unless one is already recorded. */
void
mcu_caller_set_result (McuCaller *c, gint exit_code, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  set_result_valist (c, exit_code, format, args);
  va_end (args);
}

/* Records the outcome (first one wins) and winds the call down. */
void
mcu_caller_finish (McuCaller *c, gint exit_code, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  set_result_valist (c, exit_code, format, args);
  va_end (args);
  mcu_caller_advance (c);
}

static gboolean
on_hangup_timeout (gpointer user_data)
{
  McuCaller *c = user_data;

  c->hangup_timeout_id = 0;
  mcu_caller_log (c, "no answer to BYE/CANCEL, giving up on it");
  mcu_caller_advance (c);
  return G_SOURCE_REMOVE;
}

static void
on_media_stopped (McuCallerMedia *media, gpointer user_data)
{
  mcu_caller_advance (user_data);
}

static void
check_media_result (McuCaller *c)
{
  guint received, sent;

  if (!mcu_caller_media_is_started (c->media))
    return;
  received = mcu_caller_media_get_received (c->media);
  sent = mcu_caller_media_get_sent (c->media);
  mcu_caller_log (c, "RTP packets sent %u, received %u (+%u dropped)", sent,
      received, mcu_caller_media_get_other_pt (c->media));
  if (c->exit_code != MCU_CALLER_EXIT_OK)
    return;
  if (received == 0 && !c->allow_no_rtp) {
    c->exit_code = MCU_CALLER_EXIT_NO_RTP;
    g_free (c->error);
    c->error = g_strdup_printf ("no RTP received (sent %u to %s:%u)", sent,
        c->remote.address, c->remote.port);
    mcu_caller_log (c, "FAILED (exit %d): %s", c->exit_code, c->error);
  }
}

static void
stop_call_timers (McuCaller *c)
{
  g_clear_handle_id (&c->duration_id, g_source_remove);
  g_clear_handle_id (&c->hold_id, g_source_remove);
  g_clear_handle_id (&c->resume_id, g_source_remove);
  g_clear_handle_id (&c->rekey_id, g_source_remove);
  mcu_caller_video_stop_timers (c);
}

/* One step of the wind-down; called again by each event it waits for. */
void
mcu_caller_advance (McuCaller *c)
{
  switch (c->state) {
    case MCU_CALLER_STATE_IDLE:
    case MCU_CALLER_STATE_CALLING:
    case MCU_CALLER_STATE_ACTIVE:
      stop_call_timers (c);
      if (c->state == MCU_CALLER_STATE_ACTIVE)
        mcu_caller_video_capture_end (c);
      if (c->nh && !c->call_over) {
        mcu_caller_sip_hangup (c);
        c->state = MCU_CALLER_STATE_HANGUP;
        c->hangup_timeout_id =
            g_timeout_add (HANGUP_TIMEOUT_MS, on_hangup_timeout, c);
        return;
      }
      /* fall through */
    case MCU_CALLER_STATE_HANGUP:
      if (c->nh && !c->call_over && c->hangup_timeout_id)
        return;
      g_clear_handle_id (&c->hangup_timeout_id, g_source_remove);
      c->state = MCU_CALLER_STATE_MEDIA_STOP;
      if (c->media) {
        mcu_caller_media_stop (c->media, on_media_stopped, c);
        return;
      }
      /* fall through */
    case MCU_CALLER_STATE_MEDIA_STOP:
      c->state = MCU_CALLER_STATE_SHUTDOWN;
      if (c->exit_code < 0)
        c->exit_code = MCU_CALLER_EXIT_FAILURE;
      if (c->video)
        mcu_caller_video_stop (c->video);
      check_media_result (c);
      mcu_caller_write_report (c, TRUE);
      mcu_caller_sip_shutdown (c);
      return;
    case MCU_CALLER_STATE_SHUTDOWN:
      c->state = MCU_CALLER_STATE_DONE;
      g_main_loop_quit (c->loop);
      return;
    case MCU_CALLER_STATE_DONE:
      return;
  }
}

static gboolean
on_duration_over (gpointer user_data)
{
  McuCaller *c = user_data;

  c->duration_id = 0;
  mcu_caller_log (c, "duration %.1f s over, hanging up", c->duration);
  mcu_caller_finish (c, MCU_CALLER_EXIT_OK, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
on_hold_time (gpointer user_data)
{
  McuCaller *c = user_data;

  c->hold_id = 0;
  mcu_caller_sip_reinvite (c, MCU_CALLER_DIR_SENDONLY);
  return G_SOURCE_REMOVE;
}

/* A fresh SRTP key for our next offer (and, with --srtp-wrong-key, a
 * different one we really encrypt with). */
static void
new_srtp_key (McuCaller *c)
{
  g_assert (
      getrandom (c->srtp_key, sizeof c->srtp_key, 0) == sizeof c->srtp_key);
  memcpy (c->srtp_send_key, c->srtp_key, sizeof c->srtp_key);
  if (c->srtp_wrong_key)
    c->srtp_send_key[0] ^= 0x5a;
}

static gboolean
on_rekey_time (gpointer user_data)
{
  McuCaller *c = user_data;

  c->rekey_id = 0;
  new_srtp_key (c);
  mcu_caller_log (c, "re-INVITE with a new SRTP key");
  mcu_caller_sip_reinvite (c, MCU_CALLER_DIR_SENDRECV);
  return G_SOURCE_REMOVE;
}

static gboolean
on_resume_time (gpointer user_data)
{
  McuCaller *c = user_data;

  c->resume_id = 0;
  mcu_caller_sip_reinvite (c, MCU_CALLER_DIR_SENDRECV);
  return G_SOURCE_REMOVE;
}

static guint
timeout_after (gdouble seconds, GSourceFunc func, McuCaller *c)
{
  return g_timeout_add ((guint)(seconds * 1000), func, c);
}

/* The call is established (2xx sent or received): start the clocks. */
void
mcu_caller_call_started (McuCaller *c)
{
  c->state = MCU_CALLER_STATE_ACTIVE;
  c->call_start_us = g_get_real_time ();
  c->call_start_mono = g_get_monotonic_time ();
  if (c->duration > 0)
    c->duration_id = timeout_after (c->duration, on_duration_over, c);
  if (c->hold_at >= 0)
    c->hold_id = timeout_after (c->hold_at, on_hold_time, c);
  if (c->resume_at >= 0)
    c->resume_id = timeout_after (c->resume_at, on_resume_time, c);
  if (c->rekey_at >= 0)
    c->rekey_id = timeout_after (c->rekey_at, on_rekey_time, c);
  mcu_caller_video_call_started (c);
}

/* Takes over the contents of @sdp (the peer's latest SDP). */
void
mcu_caller_set_remote (McuCaller *c, McuCallerSdpMedia *sdp)
{
  mcu_caller_sdp_media_clear (&c->remote);
  c->remote = *sdp;
  memset (sdp, 0, sizeof (*sdp));
}

static gboolean
start_media (McuCaller *c)
{
  g_autoptr (GError) error = NULL;
  McuCallerMediaParams p = {
    .codec = c->remote.codec,
    .pt = c->remote.pt,
    .remote_address = c->remote.address,
    .remote_port = c->remote.port,
    .tone_hz = c->tone,
    .amplitude = c->amplitude,
    .clap_ms = (guint)c->clap_every_ms,
    .drop_percent = (guint)c->drop_percent,
    .jitter_ms = (guint)c->jitter_ms,
    .record_path = c->record,
    .srtp_send_key = c->remote.srtp ? c->srtp_send_key : NULL,
    .srtp_recv_key = c->remote.srtp ? c->remote.srtp_key : NULL,
  };

  if (c->codec && c->remote.codec != c->codec)
    mcu_caller_log (c, "peer chose %s instead of %s, using %s",
        c->remote.codec->name, c->codec->name, c->remote.codec->name);
  if (!mcu_caller_media_start (c->media, &p, &error)) {
    mcu_caller_finish (c, MCU_CALLER_EXIT_FAILURE, "%s", error->message);
    return FALSE;
  }
  c->media_codec = p.codec;
  c->media_pt = p.pt;
  return TRUE;
}

/* Starts the media on the first SDP from the peer, follows it afterwards. */
void
mcu_caller_update_media (McuCaller *c)
{
  const McuCallerSdpMedia *r = &c->remote;
  /* c=0.0.0.0 is the old (RFC 2543) way to put a call on hold. */
  gboolean null_address = g_strcmp0 (r->address, "0.0.0.0") == 0;
  gboolean sending = (r->direction & MCU_CALLER_DIR_RECVONLY) &&
                     (c->local_dir & MCU_CALLER_DIR_SENDONLY) && !null_address;

  mcu_caller_log (c, "peer SDP: %s:%u pt %u (%s) a=%s", r->address, r->port,
      r->pt, r->codec->name, mcu_caller_direction_to_string (r->direction));
  if (!mcu_caller_media_is_started (c->media)) {
    if (!start_media (c))
      return;
  } else {
    if (r->codec != c->media_codec || r->pt != c->media_pt)
      mcu_caller_log (c,
          "peer changed codec mid-call: not supported, "
          "still sending %s pt %u",
          c->media_codec->name, c->media_pt);
    if (!null_address)
      mcu_caller_media_set_remote (c->media, r->address, r->port);
    if (r->srtp)
      mcu_caller_media_set_srtp_keys (c->media, c->srtp_send_key, r->srtp_key);
  }
  mcu_caller_media_set_sending (c->media, sending);
  mcu_caller_video_update (c);
}

gchar *
mcu_caller_local_sdp (
    McuCaller *c, McuCallerDirection direction, gboolean offer)
{
  const McuCallerCodec *codec = c->remote.codec ? c->remote.codec : c->codec;
  g_autofree gchar *audio = NULL;
  GString *sdp;
  guint pt;

  if (!codec)
    codec = mcu_caller_codec_lookup ("opus");
  pt = c->remote.codec ? c->remote.pt : codec->default_pt;
  audio =
      mcu_caller_sdp_build (c->local_ip, mcu_caller_media_get_port (c->media),
          codec, pt, direction, offer, ++c->sdp_version,
          c->srtp && (offer || c->remote.srtp) ? c->srtp_key : NULL);
  sdp = g_string_new (audio);
  mcu_caller_video_append_sdp (c, sdp, direction, offer);
  return g_string_free (sdp, FALSE);
}

static void
add_time (JsonBuilder *b, const char *name, gint64 unix_us)
{
  json_builder_set_member_name (b, name);
  if (unix_us)
    json_builder_add_double_value (b, unix_us / 1e6);
  else
    json_builder_add_null_value (b);
}

static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_media_members (JsonBuilder *b, McuCaller *c)
{
  gboolean started = mcu_caller_media_is_started (c->media);
  g_autofree gchar *remote = NULL;
  gdouble gap_at = 0;
  guint withheld, run = 0;

  if (c->remote.address)
    remote = g_strdup_printf ("%s:%u", c->remote.address, c->remote.port);
  json_builder_set_member_name (b, "answer_pt");
  if (c->remote.codec)
    json_builder_add_int_value (b, c->remote.pt);
  else
    json_builder_add_null_value (b);
  add_string (b, "codec", c->remote.codec ? c->remote.codec->name : NULL);
  add_string (b, "remote", remote);
  add_int (b, "local_rtp_port", mcu_caller_media_get_port (c->media));
  add_int (b, "rtp_packets_received",
      started ? mcu_caller_media_get_received (c->media) : 0);
  add_int (b, "rtp_packets_sent",
      started ? mcu_caller_media_get_sent (c->media) : 0);
  withheld = started ? mcu_caller_media_get_withheld (c->media, &run) : 0;
  add_int (b, "rtp_packets_withheld", withheld);
  add_int (b, "rtp_longest_withheld_run", run);
  add_int (b, "rtp_packets_dropped",
      started ? mcu_caller_media_get_other_pt (c->media) : 0);
  add_int (b, "rtp_max_gap_ms",
      started ? mcu_caller_media_get_max_gap_ms (c->media, &gap_at) : 0);
  json_builder_set_member_name (b, "rtp_max_gap_at");
  json_builder_add_double_value (b, gap_at);
  add_time (b, "media_start_unix",
      started ? mcu_caller_media_get_start_unix_us (c->media) : 0);
}

/* Writes --report; @final FALSE for a snapshot while the call runs. */
void
mcu_caller_write_report (McuCaller *c, gboolean final)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;

  if (!c->report)
    return;
  json_builder_begin_object (b);
  add_string (b, "mode", c->answer ? "answer" : "call");
  json_builder_set_member_name (b, "final");
  json_builder_add_boolean_value (b, final);
  add_int (b, "status", c->status);
  add_media_members (b, c);
  json_builder_set_member_name (b, "bye_from_server");
  json_builder_add_boolean_value (b, c->bye_from_peer);
  add_time (b, "call_start_unix", c->call_start_us);
  add_time (b, "invite_unix", c->invite_us);
  json_builder_set_member_name (b, "call_seconds");
  json_builder_add_double_value (b,
      c->call_start_mono ? (g_get_monotonic_time () - c->call_start_mono) / 1e6
                         : 0.0);
  json_builder_set_member_name (b, "reinvite_statuses");
  json_builder_begin_array (b);
  for (guint i = 0; i < c->reinvite_status->len; i++)
    json_builder_add_int_value (b, g_array_index (c->reinvite_status, gint, i));
  json_builder_end_array (b);
  add_int (b, "exit_code", c->exit_code);
  add_string (b, "error", c->error);
  mcu_caller_call_video_report (c, b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  if (!g_file_set_contents (c->report, text, -1, &error))
    mcu_caller_log (c, "cannot write report: %s", error->message);
}

static void
on_media_error (McuCallerMedia *media, const char *message, gpointer user_data)
{
  mcu_caller_finish (user_data, MCU_CALLER_EXIT_FAILURE, "%s", message);
}

static gboolean
on_signal (gpointer user_data)
{
  McuCaller *c = user_data;

  mcu_caller_log (c, "signal received, hanging up");
  if (c->state == MCU_CALLER_STATE_ACTIVE)
    mcu_caller_finish (c, MCU_CALLER_EXIT_OK, NULL);
  else
    mcu_caller_finish (c, MCU_CALLER_EXIT_FAILURE,
        "interrupted before the call was established");
  return G_SOURCE_CONTINUE;
}

static gboolean
on_watchdog (gpointer user_data)
{
  McuCaller *c = user_data;

  if (c->state < MCU_CALLER_STATE_HANGUP) {
    mcu_caller_finish (c, MCU_CALLER_EXIT_FAILURE,
        "timeout: run took longer than %.1f s", c->timeout);
    c->watchdog_id = g_timeout_add_seconds (HARD_TIMEOUT_S, on_watchdog, c);
    return G_SOURCE_REMOVE;
  }
  c->watchdog_id = 0;
  mcu_caller_set_result (c, MCU_CALLER_EXIT_FAILURE, "wind-down stuck");
  mcu_caller_log (c, "wind-down stuck in state %d, exiting", c->state);
  if (c->state < MCU_CALLER_STATE_SHUTDOWN)
    mcu_caller_write_report (c, TRUE);
  g_main_loop_quit (c->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
check_options (McuCaller *c, GError **error)
{
  const char *problem = NULL;

  if (!c->uri || !g_str_has_prefix (c->uri, "sip:"))
    problem = "--uri sip:... is required";
  else if (g_strcmp0 (c->transport, "udp") && g_strcmp0 (c->transport, "tcp") &&
           g_strcmp0 (c->transport, "tls"))
    problem = "--transport must be udp, tcp or tls";
  else if (g_strcmp0 (c->transport, "tls") == 0 && !c->tls_ca)
    problem = "--transport=tls needs --tls-ca";
  else if (!c->answer && !c->codec_name)
    problem = "--codec is required";
  else if (c->codec_name &&
           !(c->codec = mcu_caller_codec_lookup (c->codec_name)))
    problem = "--codec must be one of opus|g722|pcmu|pcma";
  else if (c->amplitude < 0 || c->amplitude > 1)
    problem = "--amplitude must be within 0..1";
  else if (c->drop_percent < 0 || c->drop_percent > 100)
    problem = "--drop-percent must be within 0..100";
  else if (c->jitter_ms < 0 || c->jitter_ms > 1000)
    problem = "--jitter must be within 0..1000";
  else if (c->tone < 0 || c->tone >= 24000)
    problem = "--tone must be within 0..24000 Hz";
  else if (c->expect_status &&
           (c->expect_status < 200 || c->expect_status > 699))
    problem = "--expect-status must be a final status (200..699)";
  else if (c->answer_status &&
           (c->answer_status < 300 || c->answer_status > 699))
    problem = "--answer-status must be within 300..699";
  else if (c->resume_at >= 0 && c->resume_at <= c->hold_at)
    problem = "--resume-at needs an earlier --hold-at";
  else if ((c->srtp_wrong_key || c->rekey_at >= 0) && !c->srtp)
    problem = "--srtp-wrong-key and --rekey-at need --srtp";
  if (problem) {
    g_set_error_literal (
        error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, problem);
    return FALSE;
  }
  return mcu_caller_video_check_options (c, error);
}

static void
apply_defaults (McuCaller *c)
{
  if (c->duration < 0)
    c->duration = c->answer ? 0 : 10;
  if (!c->from_user)
    c->from_user = g_strdup (c->answer ? "answerer" : "caller");
  if (!c->display_name)
    c->display_name = g_strdup (c->from_user);
  if (c->timeout <= 0)
    c->timeout = c->duration > 0 ? c->duration + 30 : 300;
}

static const char summary[] =
    "A SIP + RTP test peer: calls --uri (or with --answer takes one call),\n"
    "sends a sine tone in one codec, records what it hears, hangs up.\n\n"
    "Exit codes: 0 ok (or --expect-status matched), 1 failure (setup,\n"
    "pipeline, timeout, signal before answer), 2 unexpected final status,\n"
    "3 the peer sent BYE first, 4 no RTP received, 5 unusable SDP.\n"
    "SIGINT/SIGTERM hang up cleanly. --report writes JSON: mode, status,\n"
    "answer_pt, codec, remote, local_rtp_port, rtp_packets_received,\n"
    "rtp_packets_sent, rtp_packets_dropped, rtp_max_gap_ms (longest time\n"
    "between two received RTP packets) and rtp_max_gap_at (when it ended,\n"
    "seconds after the first), media_start_unix, "
    "bye_from_server,\n"
    "call_start_unix, invite_unix, call_seconds, reinvite_statuses, exit_code, "
    "error,\n"
    "final (FALSE in the copies SIGUSR1 writes) and video (null without\n"
    "--video-colour). SIGUSR1 also captures the tiles of the latest frame.";

static gboolean
parse_options (McuCaller *c, int *argc, char ***argv, GError **error)
{
  const GOptionEntry entries[] = {
    { "uri", 'u', 0, G_OPTION_ARG_STRING, &c->uri,
        "Request-URI to call; with --answer the URI to listen on", "URI" },
    { "transport", 't', 0, G_OPTION_ARG_STRING, &c->transport,
        "udp (default), tcp or tls", "T" },
    { "tls-ca", 0, 0, G_OPTION_ARG_FILENAME, &c->tls_ca,
        "With --transport=tls: PEM file of the server's certificate or CA",
        "FILE" },
    { "local-ip", 0, 0, G_OPTION_ARG_STRING, &c->local_ip,
        "Local address for SIP and RTP (127.0.0.1)", "IP" },
    { "codec", 'c', 0, G_OPTION_ARG_STRING, &c->codec_name,
        "opus|g722|pcmu|pcma (with --answer: the only one accepted)", "C" },
    { "tone", 0, 0, G_OPTION_ARG_DOUBLE, &c->tone,
        "Sine frequency to send (440)", "HZ" },
    { "amplitude", 0, 0, G_OPTION_ARG_DOUBLE, &c->amplitude,
        "Sine amplitude 0..1 (0.3)", "A" },
    { "drop-percent", 0, 0, G_OPTION_ARG_INT, &c->drop_percent,
        "Withhold this % of the RTP packets we send (the same ones every "
        "run)",
        "P" },
    { "jitter", 0, 0, G_OPTION_ARG_INT, &c->jitter_ms,
        "Delay each RTP packet we send by a random 0..MS ms (reordering)",
        "MS" },
    { "clap-every", 0, 0, G_OPTION_ARG_INT, &c->clap_every_ms,
        "Instead of the sine: a 1 kHz burst of 100 ms every MS, with a white "
        "picture at the same instant (A/V sync checks)",
        "MS" },
    { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &c->duration,
        "Seconds from 2xx to our BYE (10; --answer: 0 = wait for BYE)", "SEC" },
    { "record", 'r', 0, G_OPTION_ARG_FILENAME, &c->record,
        "Write decoded received audio (48 kHz mono S16) from 2xx on", "WAV" },
    { "display-name", 0, 0, G_OPTION_ARG_STRING, &c->display_name,
        "From display name, also the log prefix", "NAME" },
    { "from-user", 0, 0, G_OPTION_ARG_STRING, &c->from_user,
        "From user part (caller)", "USER" },
    { "password", 0, 0, G_OPTION_ARG_STRING, &c->password,
        "Answer one 401/407 challenge as --from-user", "PW" },
    { "late-offer", 0, 0, G_OPTION_ARG_NONE, &c->late_offer,
        "INVITE without SDP; answer the 2xx offer in the ACK", NULL },
    { "hold-at", 0, 0, G_OPTION_ARG_DOUBLE, &c->hold_at,
        "re-INVITE with a=sendonly this many seconds after 2xx", "SEC" },
    { "resume-at", 0, 0, G_OPTION_ARG_DOUBLE, &c->resume_at,
        "re-INVITE with a=sendrecv this many seconds after 2xx", "SEC" },
    { "expect-status", 0, 0, G_OPTION_ARG_INT, &c->expect_status,
        "Exit 0 iff the final INVITE status is CODE (non-2xx: then quit)",
        "CODE" },
    { "report", 0, 0, G_OPTION_ARG_FILENAME, &c->report,
        "Write a JSON report here at the end", "JSON" },
    { "answer", 0, 0, G_OPTION_ARG_NONE, &c->answer,
        "Take one incoming call instead of calling", NULL },
    { "answer-status", 0, 0, G_OPTION_ARG_INT, &c->answer_status,
        "With --answer: reject the INVITE with this status", "CODE" },
    { "allow-no-rtp", 0, 0, G_OPTION_ARG_NONE, &c->allow_no_rtp,
        "Do not fail (exit 4) when no RTP arrives", NULL },
    { "srtp", 0, 0, G_OPTION_ARG_NONE, &c->srtp,
        "Offer RTP/SAVP (SDES AES_CM_128_HMAC_SHA1_80) and use SRTP", NULL },
    { "srtp-wrong-key", 0, 0, G_OPTION_ARG_NONE, &c->srtp_wrong_key,
        "Encrypt with another key than the one in our SDP", NULL },
    { "rekey-at", 0, 0, G_OPTION_ARG_DOUBLE, &c->rekey_at,
        "Re-INVITE (sendrecv) with a new SRTP key SECONDS into the call",
        "SECONDS" },
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &c->timeout,
        "Give up after SEC (duration + 30, or 300)", "SEC" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- SIP test peer");

  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, mcu_caller_video_option_group (c));
  if (!g_option_context_parse (ctx, argc, argv, error) ||
      !check_options (c, error))
    return FALSE;
  apply_defaults (c);
  if (c->srtp)
    new_srtp_key (c);
  return TRUE;
}

static void
caller_init (McuCaller *c)
{
  memset (c, 0, sizeof (*c));
  c->transport = g_strdup ("udp");
  c->local_ip = g_strdup ("127.0.0.1");
  c->tone = 440;
  c->amplitude = 0.3;
  c->duration = -1;
  c->hold_at = -1;
  c->resume_at = -1;
  c->rekey_at = -1;
  c->video_fps = 30;
  c->video_bitrate = 800;
  c->video_at = -1;
  c->exit_code = -1;
  c->local_dir = MCU_CALLER_DIR_SENDRECV;
  c->reinvite_status = g_array_new (FALSE, FALSE, sizeof (gint));
  c->program_start_mono = g_get_monotonic_time ();
}

static void
caller_clear (McuCaller *c)
{
  mcu_caller_sip_free (c);
  mcu_caller_video_clear (c);
  g_clear_pointer (&c->media, mcu_caller_media_free);
  mcu_caller_sdp_media_clear (&c->remote);
  g_clear_pointer (&c->loop, g_main_loop_unref);
  g_clear_pointer (&c->reinvite_status, g_array_unref);
  g_free (c->uri);
  g_free (c->transport);
  g_free (c->tls_ca);
  g_free (c->tls_dir);
  g_free (c->local_ip);
  g_free (c->codec_name);
  g_free (c->record);
  g_free (c->display_name);
  g_free (c->from_user);
  g_free (c->password);
  g_free (c->report);
  g_free (c->error);
}

static int
run (McuCaller *c)
{
  g_autoptr (GError) error = NULL;
  guint sigint, sigterm;

  c->loop = g_main_loop_new (NULL, FALSE);
  c->media = mcu_caller_media_new (c->display_name, c->program_start_mono,
      c->local_ip, on_media_error, c, &error);
  if (c->media)
    mcu_caller_media_preload (
        c->codec ? c->codec : mcu_caller_codec_lookup ("opus"));
  if (!c->media || !mcu_caller_video_setup (c, &error) ||
      !mcu_caller_sip_start (c, &error)) {
    mcu_caller_set_result (c, MCU_CALLER_EXIT_FAILURE, "%s", error->message);
    mcu_caller_write_report (c, TRUE);
    return c->exit_code;
  }
  sigint = g_unix_signal_add (SIGINT, on_signal, c);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, c);
  c->watchdog_id = timeout_after (c->timeout, on_watchdog, c);
  g_main_loop_run (c->loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_clear_handle_id (&c->watchdog_id, g_source_remove);
  stop_call_timers (c);
  g_clear_handle_id (&c->hangup_timeout_id, g_source_remove);
  return c->exit_code < 0 ? MCU_CALLER_EXIT_FAILURE : c->exit_code;
}

int
main (int argc, char **argv)
{
  McuCaller caller;
  g_autoptr (GError) error = NULL;
  int code;

  caller_init (&caller);
  if (!parse_options (&caller, &argc, &argv, &error)) {
    g_printerr ("mcu-test-caller: %s (see --help)\n", error->message);
    caller_clear (&caller);
    return MCU_CALLER_EXIT_FAILURE;
  }
  gst_init (NULL, NULL);
  su_init ();
  code = run (&caller);
  caller_clear (&caller);
  su_deinit ();
  return code;
}
