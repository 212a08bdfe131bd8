/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mcu-loadgen: the benchmark's driver. Phases, all on the main loop:
 *   start the server (or use --port/--pid) -> sample it idle -> dial every
 *   call (--concurrency in flight) -> warm-up -> wait for the server's main
 *   thread to go idle (--settle-max) -> measurement window ->
 *   stop RTP, BYE every call -> SIGTERM the server -> NUA shutdown -> report.
 * See mcu-loadgen.h for the threads. */
#include "mcu-loadgen.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define IDLE_SETTLE_US    (500 * G_TIME_SPAN_MILLISECOND)
#define HANGUP_TIMEOUT_MS 5000
#define SERVER_EXIT_MS    20000
#define NUA_SHUTDOWN_MS   10000
#define HOOK_GRACE_MS     60000
#define SETTLE_CPU_PCT    10.0

static void start_teardown (McuLoadgen *lg);

void
mcu_loadgen_fail (McuLoadgen *lg, const gchar *format, ...)
{
  va_list args;

  if (lg->failure == NULL) {
    va_start (args, format);
    lg->failure = g_strdup_vprintf (format, args);
    va_end (args);
  }
  start_teardown (lg);
}

static void
finish (gpointer data)
{
  McuLoadgen *lg = data;

  lg->teardown_timer = 0;
  lg->done = TRUE;
  g_main_loop_quit (lg->loop);
}

static void
sip_shutdown_once (McuLoadgen *lg)
{
  if (lg->sip_stopping)
    return;
  lg->sip_stopping = TRUE;
  g_clear_handle_id (&lg->teardown_timer, g_source_remove);
  /* NUA_SHUTDOWN_MS later we quit whatever nua says. */
  lg->teardown_timer = g_timeout_add_once (NUA_SHUTDOWN_MS, finish, lg);
  mcu_loadgen_sip_shutdown (lg);
}

void
mcu_loadgen_sip_stopped (McuLoadgen *lg)
{
  g_clear_handle_id (&lg->teardown_timer, g_source_remove);
  finish (lg);
}

static void
on_server_kill_timeout (gpointer data)
{
  McuLoadgen *lg = data;

  lg->teardown_timer = 0;
  g_printerr ("mcu-loadgen: the server ignored SIGTERM for %d s: SIGKILL\n",
      SERVER_EXIT_MS / 1000);
  kill (lg->server.pid, SIGKILL);
}

void
mcu_loadgen_server_exited (McuLoadgen *lg)
{
  if (!lg->tearing_down) {
    mcu_loadgen_fail (lg, "the server exited during the run (status %d)",
        lg->server.exit_status);
    return;
  }
  sip_shutdown_once (lg);
}

static void
after_hangup (gpointer data)
{
  McuLoadgen *lg = data;

  lg->teardown_timer = 0;
  lg->hanging_up = FALSE;
  if (lg->server.owned && !lg->server.exited) {
    mcu_loadgen_server_stop (lg);
    lg->teardown_timer =
        g_timeout_add_once (SERVER_EXIT_MS, on_server_kill_timeout, lg);
    return;
  }
  sip_shutdown_once (lg);
}

void
mcu_loadgen_call_ended (McuLoadgen *lg, McuLoadgenCaller *c)
{
  if (c->dropped && !lg->tearing_down)
    g_printerr ("mcu-loadgen: the server hung up call %u\n", c->index);
  if (!lg->hanging_up)
    return;
  for (guint i = 0; i < lg->n; i++)
    if (lg->callers[i].nh != NULL)
      return;
  g_clear_handle_id (&lg->teardown_timer, g_source_remove);
  after_hangup (lg);
}

/* Stops RTP, hangs every call up, then the server, then SIP. */
static void
start_teardown (McuLoadgen *lg)
{
  guint pending;

  if (lg->tearing_down)
    return;
  lg->tearing_down = TRUE;
  g_clear_handle_id (&lg->setup_timer, g_source_remove);
  g_clear_handle_id (&lg->phase_timer, g_source_remove);
  if (lg->media)
    mcu_loadgen_media_stop (lg->media);
  pending = mcu_loadgen_sip_hangup_all (lg);
  if (pending == 0 || lg->server.exited) {
    after_hangup (lg);
    return;
  }
  lg->hanging_up = TRUE;
  lg->teardown_timer = g_timeout_add_once (HANGUP_TIMEOUT_MS, after_hangup, lg);
}

static void
on_hook_exit (GPid pid, gint status, gpointer data)
{
  McuLoadgen *lg = data;

  g_spawn_close_pid (pid);
  lg->hook_pid = 0;
  if (!g_spawn_check_wait_status (status, NULL))
    g_printerr ("mcu-loadgen: steady hook exited with status %d\n", status);
  if (lg->window_done)
    start_teardown (lg);
}

/* --steady-hook: a shell command run during the window, with MCU_PID set
 * (e.g. perf record -g -p "$MCU_PID" -- sleep 10). */
static void
spawn_hook (McuLoadgen *lg)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *pid = g_strdup_printf ("%d", lg->server.pid);
  g_autofree gchar *dur = g_strdup_printf ("%g", lg->opt.duration);
  const gchar *argv[] = { "/bin/sh", "-c", lg->opt.steady_hook, NULL };
  g_auto (GStrv) envp =
      g_environ_setenv (g_get_environ (), "MCU_PID", pid, TRUE);

  envp = g_environ_setenv (envp, "MCU_LOADGEN_DURATION", dur, TRUE);
  if (!g_spawn_async (NULL, (gchar **)argv, envp, G_SPAWN_DO_NOT_REAP_CHILD,
          NULL, NULL, &lg->hook_pid, &error)) {
    g_printerr ("mcu-loadgen: steady hook: %s\n", error->message);
    return;
  }
  g_child_watch_add (lg->hook_pid, on_hook_exit, lg);
}

static void
on_hook_timeout (gpointer data)
{
  McuLoadgen *lg = data;

  lg->phase_timer = 0;
  if (lg->hook_pid > 0) {
    g_printerr ("mcu-loadgen: steady hook still running: SIGTERM\n");
    kill (lg->hook_pid, SIGTERM);
  }
  start_teardown (lg);
}

static void
on_window_end (gpointer data)
{
  McuLoadgen *lg = data;

  lg->phase_timer = 0;
  mcu_loadgen_proc_sample (lg->server.pid, TRUE, &lg->win_end);
  lg->self_cpu_end_us = mcu_loadgen_self_cpu_us ();
  lg->loadavg_after = mcu_loadgen_loadavg ();
  lg->window_done = TRUE;
  if (lg->hook_pid > 0) {
    g_printerr ("mcu-loadgen: waiting for the steady hook\n");
    lg->phase_timer = g_timeout_add_once (HOOK_GRACE_MS, on_hook_timeout, lg);
    return;
  }
  start_teardown (lg);
}

static void
start_window (McuLoadgen *lg)
{
  gint64 now = mcu_loadgen_now_ns ();
  gint64 dur_ns = (gint64)(lg->opt.duration * 1e9);

  mcu_loadgen_proc_sample (lg->server.pid, TRUE, &lg->win_start);
  lg->self_cpu_start_us = mcu_loadgen_self_cpu_us ();
  mcu_loadgen_media_set_window (lg->media, now, now + dur_ns);
  g_printerr ("mcu-loadgen: measuring for %g s\n", lg->opt.duration);
  if (lg->opt.steady_hook && lg->server.pid > 0)
    spawn_hook (lg);
  lg->phase_timer = g_timeout_add_once (
      (guint)(lg->opt.duration * 1000) + 1, on_window_end, lg);
}

/* Steady state means the server's main loop has caught up with the joins
 * (it may still be working through their bus messages long after the last
 * 200): wait until its main thread used < SETTLE_CPU_PCT of a core over one
 * second, at most --settle-max seconds. */
static gboolean
on_settle_poll (gpointer data)
{
  McuLoadgen *lg = data;
  guint64 ticks = 0;
  double pct, waited = (g_get_monotonic_time () - lg->settle_start_us) / 1e6;

  if (!mcu_loadgen_proc_thread_ticks (lg->server.pid, lg->server.pid, &ticks))
    ticks = lg->settle_ticks;
  pct = 100.0 * (ticks - lg->settle_ticks) / sysconf (_SC_CLK_TCK);
  lg->settle_ticks = ticks;
  if (pct >= SETTLE_CPU_PCT && waited < lg->opt.settle_max)
    return G_SOURCE_CONTINUE;
  lg->settle_s = waited;
  lg->settled = pct < SETTLE_CPU_PCT;
  g_printerr ("mcu-loadgen: server main loop %s after %.0f s more\n",
      lg->settled ? "idle" : "still busy", waited);
  lg->phase_timer = 0;
  start_window (lg);
  return G_SOURCE_REMOVE;
}

static void
on_warmup_done (gpointer data)
{
  McuLoadgen *lg = data;

  lg->phase_timer = 0;
  if (lg->server.pid <= 0 || lg->opt.settle_max <= 0 ||
      !mcu_loadgen_proc_thread_ticks (
          lg->server.pid, lg->server.pid, &lg->settle_ticks)) {
    lg->settled = TRUE;
    start_window (lg);
    return;
  }
  lg->settle_start_us = g_get_monotonic_time ();
  lg->phase_timer = g_timeout_add (1000, on_settle_poll, lg);
}

void
mcu_loadgen_call_answered (McuLoadgen *lg, McuLoadgenCaller *c)
{
  atomic_store_explicit (&c->sending, 1, memory_order_release);
  lg->n_up++;
}

void
mcu_loadgen_call_settled (McuLoadgen *lg)
{
  if (lg->tearing_down || lg->next_dial < lg->n || lg->in_flight > 0)
    return;
  g_clear_handle_id (&lg->setup_timer, g_source_remove);
  lg->all_up_us = g_get_monotonic_time ();
  g_printerr ("mcu-loadgen: %u/%u calls up in %.1f s\n", lg->n_up, lg->n,
      (lg->all_up_us - lg->start_us) / 1e6);
  if (lg->n_up == 0) {
    mcu_loadgen_fail (lg, "no call was answered (%u failed)", lg->n_failed);
    return;
  }
  lg->phase_timer =
      g_timeout_add_once ((guint)(lg->opt.warmup * 1000), on_warmup_done, lg);
}

/* Too slow to set every call up is a finding, not a failure: measure the
 * calls that are up and say so in the row. */
static void
on_setup_timeout (gpointer data)
{
  McuLoadgen *lg = data;

  lg->setup_timer = 0;
  lg->setup_incomplete = TRUE;
  g_printerr ("mcu-loadgen: call setup not done after %g s (%u up, %u failed, "
              "%u in flight, %u not dialed): measuring the calls that are up\n",
      lg->opt.setup_timeout, lg->n_up, lg->n_failed, lg->in_flight,
      lg->n - lg->next_dial);
  mcu_loadgen_sip_cancel_pending (lg);
  mcu_loadgen_call_settled (lg);
}

static gboolean
on_signal (gpointer data)
{
  mcu_loadgen_fail (data, "interrupted");
  return G_SOURCE_CONTINUE;
}

/* The command line as typed (shell-quoted where needed), for the report. */
static gchar *
command_line (int argc, char **argv)
{
  GString *s = g_string_new (NULL);

  for (int i = 0; i < argc; i++) {
    g_autofree gchar *q = NULL;

    if (i > 0)
      g_string_append_c (s, ' ');
    if (argv[i][strcspn (argv[i], " \t\"'$\\;&|<>()*?`")] == '\0' &&
        argv[i][0] != '\0')
      g_string_append (s, argv[i]);
    else
      g_string_append (s, (q = g_shell_quote (argv[i])));
  }
  return g_string_free (s, FALSE);
}

static gboolean
parse_options (McuLoadgen *lg, int argc, char **argv, GError **error)
{
  McuLoadgenOptions *o = &lg->opt;
  GOptionEntry entries[] = {
    { "mcu", 0, 0, G_OPTION_ARG_FILENAME, &o->mcu,
        "Start this mcu binary with a generated loopback config", "PATH" },
    { "port", 0, 0, G_OPTION_ARG_INT, &o->port,
        "Or use a server already listening on 127.0.0.1:PORT", "PORT" },
    { "pid", 0, 0, G_OPTION_ARG_INT, &o->pid,
        "... whose process is PID (for CPU/RSS/threads)", "PID" },
    { "participants", 'n', 0, G_OPTION_ARG_INT, &o->participants,
        "Callers to dial into the room (default 10)", "N" },
    { "talkers", 0, 0, G_OPTION_ARG_INT, &o->talkers,
        "Only the first K callers talk; the others send Opus-encoded "
        "silence, 50 packets/s (default: all talk)",
        "K" },
    { "load", 0, 0, G_OPTION_ARG_STRING, &o->load,
        "What talkers send: tone (a steady sine, one of 8 frequencies; "
        "the default) or speech (espeak-ng speech with pauses, each caller "
        "from its own point of it, the RFC 6464 level and V bit computed "
        "per frame: V=0 in the pauses)",
        "tone|speech" },
    { "speech-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->speech_dir,
        "Where --load speech finds its prompts (default: the source tree's "
        "prompts/en)",
        "DIR" },
    { "receivers", 0, 0, G_OPTION_ARG_INT, &o->receivers,
        "Read and measure only about K callers' RTP (every talker and callers "
        "spread over the room); the others' is dropped by the kernel unread, "
        "so the load generator costs less (default: all)",
        "K" },
    { "no-audio-level", 0, 0, G_OPTION_ARG_NONE, &o->no_audio_level,
        "Offer no RFC 6464 audio level (by default every caller offers "
        "ssrc-audio-level with vad=on, as phones do, and sends it when the "
        "answer keeps it: -127 dBov and V=0 with silence, -10 dBov and V=1 "
        "with a tone, the frame's level with speech)",
        NULL },
    { "media-nice", 0, 0, G_OPTION_ARG_INT, &o->media_nice,
        "Run the RTP thread at this nice value (e.g. -10; needs CAP_SYS_NICE): "
        "the callers' clock then does not wait for a busy server's threads, as "
        "phones on other machines would not (default: unchanged)",
        "N" },
    { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &o->duration,
        "Measurement window in seconds (default 10)", "SEC" },
    { "warmup", 'w', 0, G_OPTION_ARG_DOUBLE, &o->warmup,
        "Seconds between the last call up and the window (default 3)", "SEC" },
    { "room", 'r', 0, G_OPTION_ARG_STRING, &o->room,
        "Room name (default bench)", "NAME" },
    { "concurrency", 'c', 0, G_OPTION_ARG_INT, &o->concurrency,
        "INVITEs in flight at once (default 4)", "K" },
    { "slots", 0, 0, G_OPTION_ARG_INT, &o->slots,
        "Spread the callers' packets over this many points of each 20 ms "
        "frame (default 10; 1 = all at once)",
        "K" },
    { "settle-max", 0, 0, G_OPTION_ARG_DOUBLE, &o->settle_max,
        "After the warm-up, wait up to SEC for the server's main thread to "
        "go idle before measuring (default 60, 0 = do not wait)",
        "SEC" },
    { "setup-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &o->setup_timeout,
        "Give up if the calls are not set up by then (default 120)", "SEC" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &o->json,
        "Print one JSON object instead of a table row", NULL },
    { "header", 0, 0, G_OPTION_ARG_NONE, &o->header,
        "Print the Markdown table header before the row", NULL },
    { "rtp-targets", 0, 0, G_OPTION_ARG_FILENAME, &o->rtp_targets,
        "No SIP: one caller per line \"LOCAL_PORT HOST:PORT\" of FILE, "
        "sending RTP there at once (another server's participants; with "
        "--pid for its CPU/RSS/threads)",
        "FILE" },
    { "steady-hook", 0, 0, G_OPTION_ARG_STRING, &o->steady_hook,
        "Shell command run at the window start, MCU_PID set", "CMD" },
    { "media", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->media_options,
        "Extra [media] KEY=VALUE for the generated config (repeatable)",
        "KEY=VALUE" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &o->keep,
        "Keep the generated config and server log", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
      g_option_context_new ("- load generator for the mcu conference server");

  o->participants = 10;
  o->talkers = -1;
  o->duration = 10;
  o->warmup = 3;
  o->concurrency = 4;
  o->slots = 10;
  o->setup_timeout = 120;
  o->settle_max = 60;
  o->command = command_line (argc, argv);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx,
      "Dials N callers into sip:ROOM@127.0.0.1, each sending Opus RTP at 50\n"
      "packets/s, and reports the server's CPU, RSS, threads, the packets\n"
      "each caller gets back, their largest gaps and the call setup time.\n"
      "Loopback only. Exit status: 0 measured; 1 no measurement; 2 usage;\n"
      "3 measured, but the server did not exit cleanly on SIGTERM; 4 "
      "measured,\n"
      "but not every call was up within --setup-timeout.");
  if (!g_option_context_parse (ctx, &argc, &argv, error))
    return FALSE;
  if ((o->mcu != NULL) + (o->port > 0) + (o->rtp_targets != NULL) != 1 ||
      o->participants < 1 || o->participants > 2000 || o->duration <= 0 ||
      o->warmup < 0 || o->concurrency < 1 || o->slots < 1 || o->slots > 20) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "need exactly one of --mcu PATH, --port PORT or --rtp-targets FILE, "
        "1 <= N <= 2000, "
        "--duration > 0, --concurrency >= 1, 1 <= --slots <= 20 (see --help)");
    return FALSE;
  }
  if (o->load == NULL)
    o->load = g_strdup ("tone");
  if (g_strcmp0 (o->load, "tone") != 0 && g_strcmp0 (o->load, "speech") != 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--load is tone or speech, not %s", o->load);
    return FALSE;
  }
  if (o->speech_dir == NULL)
    o->speech_dir = g_strdup (MCU_LOADGEN_PROMPTS_DIR);
  if (o->room == NULL)
    o->room = g_strdup ("bench");
  return TRUE;
}

/* Everything before the main loop: server, sockets, media thread. */
static gboolean
prepare (McuLoadgen *lg, GError **error)
{
  guint client_base;

  if (lg->opt.rtp_targets && !mcu_loadgen_targets_load (lg, error))
    return FALSE;
  lg->n = lg->opt.participants;
  lg->loadavg_before = mcu_loadgen_loadavg ();
  lg->callers = g_new0 (McuLoadgenCaller, lg->n);
  if (lg->opt.receivers > 0 && (guint)lg->opt.receivers < lg->n) {
    guint step = lg->n / lg->opt.receivers;

    for (guint i = 0; i < lg->n; i++)
      lg->callers[i].unread =
          (lg->opt.talkers < 0 || i >= (guint)lg->opt.talkers) && i % step;
  }
  mcu_loadgen_raise_fd_limit (8 * lg->n + 1024);
  if (lg->opt.mcu) {
    if (!mcu_loadgen_server_start (lg, error))
      return FALSE;
    g_printerr ("mcu-loadgen: server pid %d on sip:127.0.0.1:%u, RTP %u-%u\n",
        lg->server.pid, lg->server.sip_port, lg->server.rtp_min,
        lg->server.rtp_max);
  } else {
    lg->server.sip_port = lg->opt.port;
    lg->server.pid = lg->opt.pid;
  }
  client_base = mcu_loadgen_pick_port_range (
      2 * lg->n + 64, lg->server.rtp_max ? lg->server.rtp_max + 1 : 40000);
  lg->media = mcu_loadgen_media_new (lg->callers, lg->n, lg->opt.slots,
      client_base ? client_base : 40000, lg->target_ports,
      g_str_equal (lg->opt.load, "speech") ? lg->opt.speech_dir : NULL, error);
  for (guint i = 0; lg->media && lg->opt.talkers >= 0 && i < lg->n; i++)
    if (i >= (guint)lg->opt.talkers) {
      lg->callers[i].source = MCU_LOADGEN_SILENCE;
      lg->callers[i].frame = 0;
    }
  for (guint i = 0; i < lg->n; i++)
    /* (--rtp-targets: no SDP, nothing negotiated, so no extension) */
    lg->callers[i].level_id = lg->opt.no_audio_level || lg->opt.rtp_targets
                                  ? 0
                                  : MCU_LOADGEN_LEVEL_ID;
  if (lg->media && lg->opt.media_nice)
    mcu_loadgen_media_set_nice (lg->media, lg->opt.media_nice);
  if (lg->media == NULL || !mcu_loadgen_media_start (lg->media, error))
    return FALSE;
  g_usleep (IDLE_SETTLE_US);
  mcu_loadgen_proc_sample (lg->server.pid, FALSE, &lg->idle);
  return TRUE;
}

static void
cleanup (McuLoadgen *lg)
{
  g_clear_handle_id (&lg->setup_timer, g_source_remove);
  g_clear_handle_id (&lg->phase_timer, g_source_remove);
  g_clear_handle_id (&lg->teardown_timer, g_source_remove);
  if (lg->hook_pid > 0)
    kill (lg->hook_pid, SIGTERM);
  g_clear_pointer (&lg->media, mcu_loadgen_media_free);
  mcu_loadgen_sip_free (lg);
  mcu_loadgen_targets_free (lg);
  mcu_loadgen_server_clear (&lg->server, lg->opt.keep);
  mcu_loadgen_proc_sample_clear (&lg->idle);
  mcu_loadgen_proc_sample_clear (&lg->win_start);
  mcu_loadgen_proc_sample_clear (&lg->win_end);
  g_clear_pointer (&lg->callers, g_free);
  g_clear_pointer (&lg->loop, g_main_loop_unref);
  g_clear_pointer (&lg->failure, g_free);
  g_clear_pointer (&lg->loadavg_before, g_free);
  g_clear_pointer (&lg->loadavg_after, g_free);
  g_free (lg->opt.mcu);
  g_free (lg->opt.room);
  g_free (lg->opt.load);
  g_free (lg->opt.speech_dir);
  g_free (lg->opt.steady_hook);
  g_free (lg->opt.rtp_targets);
  g_free (lg->opt.command);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  McuLoadgen lg = { 0 };
  int code;

  signal (SIGPIPE, SIG_IGN);
  lg.loop = g_main_loop_new (NULL, FALSE);
  if (!parse_options (&lg, argc, argv, &error)) {
    g_printerr ("mcu-loadgen: %s\n", error->message);
    cleanup (&lg);
    return 2;
  }
  /* Dispatched once the loop runs: a ^C during prepare () still hangs up. */
  g_unix_signal_add (SIGINT, on_signal, &lg);
  g_unix_signal_add (SIGTERM, on_signal, &lg);
  if (!prepare (&lg, &error)) {
    g_printerr ("mcu-loadgen: %s\n", error->message);
    cleanup (&lg);
    return 1;
  }
  lg.start_us = g_get_monotonic_time ();
  lg.setup_timer = g_timeout_add_once (
      (guint)(lg.opt.setup_timeout * 1000), on_setup_timeout, &lg);
  if (lg.opt.rtp_targets)
    mcu_loadgen_targets_start (&lg);
  else if (!mcu_loadgen_sip_start (&lg, &error))
    mcu_loadgen_fail (&lg, "%s", error->message);
  if (!lg.done)
    g_main_loop_run (lg.loop);
  code = mcu_loadgen_report (&lg);
  cleanup (&lg);
  return code;
}
