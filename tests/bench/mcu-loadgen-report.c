/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mcu-loadgen report: turns the samples and the callers' receive statistics
 * into one Markdown table row (or one JSON object) on stdout, with details
 * on stderr. Runs on the main thread after the media thread was joined. */
#include "mcu-loadgen.h"

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREAD_ROWS 12

typedef struct
{
  guint n, up, failed, dropped;
  guint measured; /* callers whose RTP was read (--receivers) */
  gboolean server;
  double window_s;
  double cpu_pct, cpu_per_p;
  double rss_mb, idle_rss_mb, rss_kb_per_p;
  double rss_start_mb; /* at the window start: growth = a backlog */
  guint threads, idle_threads;
  double threads_per_p;
  double pps_mean, pps_min;
  double worst_gap_ms;
  guint decoded;      /* callers whose audio was decoded */
  double audible_min; /* % of their packets with audio, lowest */
  guint callers_with_gaps;
  guint64 gaps_total, seq_lost, seq_late, rtcp;
  double payload_mean; /* bytes per packet received, RTP header included */
  double media_rate;   /* RTP timestamp seconds per wall second, mean */
  double setup_mean_ms, setup_max_ms;
  double setup_first_ms, setup_last_ms; /* mean of the first / last 10 */
  double self_cpu_pct;
  guint64 late_ticks;
} McuLoadgenResult;

static void
compute_server (McuLoadgen *lg, McuLoadgenResult *r)
{
  const McuLoadgenProcSample *a = &lg->win_start, *b = &lg->win_end;
  double secs = (b->mono_us - a->mono_us) / (double)G_USEC_PER_SEC;
  guint up = MAX (r->up, 1);

  r->server = lg->server.pid > 0 && a->mono_us && b->cpu_ticks && secs > 0;
  r->window_s = lg->opt.duration;
  if (r->server) {
    r->cpu_pct =
        100.0 * (b->cpu_ticks - a->cpu_ticks) / sysconf (_SC_CLK_TCK) / secs;
    r->cpu_per_p = r->cpu_pct / up;
    r->rss_mb = b->rss_kb / 1024.0;
    r->rss_start_mb = a->rss_kb / 1024.0;
    r->idle_rss_mb = lg->idle.rss_kb / 1024.0;
    r->rss_kb_per_p = ((double)b->rss_kb - lg->idle.rss_kb) / up;
    r->threads = b->threads;
    r->idle_threads = lg->idle.threads;
    r->threads_per_p = ((double)b->threads - lg->idle.threads) / up;
  }
  if (b->mono_us > a->mono_us)
    r->self_cpu_pct = 100.0 * (lg->self_cpu_end_us - lg->self_cpu_start_us) /
                      (b->mono_us - a->mono_us);
}

static void
compute_callers (McuLoadgen *lg, McuLoadgenResult *r)
{
  double setup_sum = 0, pps_sum = 0;
  guint64 packets = 0, bytes = 0;
  double rate_sum = 0;
  guint rated = 0;
  guint measured = 0;

  r->n = lg->n;
  r->pps_min = G_MAXDOUBLE;
  for (guint i = 0; i < lg->n; i++) {
    McuLoadgenCaller *c = &lg->callers[i];
    const McuLoadgenRx *rx = &c->rx;
    double setup_ms, pps;

    if (c->answer_us == 0)
      continue;
    r->up++;
    r->dropped += c->dropped;
    setup_ms = (c->answer_us - c->invite_us) / 1000.0;
    setup_sum += setup_ms;
    r->setup_max_ms = MAX (r->setup_max_ms, setup_ms);
    if (c->unread)
      continue;
    pps = rx->win_packets / lg->opt.duration;
    pps_sum += pps;
    r->pps_min = MIN (r->pps_min, pps);
    r->worst_gap_ms = MAX (r->worst_gap_ms, rx->max_gap_ns / 1e6);
    r->callers_with_gaps += rx->gaps_over > 0;
    r->gaps_total += rx->gaps_over;
    r->seq_lost += rx->seq_lost;
    r->seq_late += rx->seq_late;
    r->rtcp += rx->rtcp;
    if (rx->win_last_ns > rx->win_first_ns) {
      rate_sum += (guint32)(rx->win_last_ts - rx->win_first_ts) / 48000.0 /
                  ((rx->win_last_ns - rx->win_first_ns) / 1e9);
      rated++;
    }
    packets += rx->packets;
    bytes += rx->bytes;
    measured++;
    if (rx->dec != NULL) {
      r->audible_min = MIN (r->decoded ? r->audible_min : 100.0,
          rx->win_decoded ? 100.0 * rx->win_audible / rx->win_decoded : 0);
      r->decoded++;
      if (g_getenv ("MCU_LOADGEN_DEBUG_HEARD"))
        g_printerr ("caller %u%s: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                    " decoded packets with audio\n",
            i, c->source == MCU_LOADGEN_SILENCE ? "" : " (talker)",
            rx->win_audible, rx->win_decoded);
    }
  }
  r->failed = lg->n_failed;
  if (measured == 0)
    r->pps_min = 0;
  r->setup_mean_ms = r->up ? setup_sum / r->up : 0;
  r->measured = measured;
  r->pps_mean = measured ? pps_sum / measured : 0;
  r->payload_mean = packets ? (double)bytes / packets : 0;
  r->media_rate = rated ? rate_sum / rated : 0;
  r->late_ticks = lg->media ? mcu_loadgen_media_get_late_ticks (lg->media) : 0;
}

/* Whether joining gets slower as the room fills: the mean setup time of the
 * first and of the last ten calls answered, in dialing order. */
static void
compute_setup_trend (McuLoadgen *lg, McuLoadgenResult *r)
{
  g_autoptr (GArray) ms = g_array_new (FALSE, FALSE, sizeof (double));
  guint k;

  for (guint i = 0; i < lg->n; i++) {
    const McuLoadgenCaller *c = &lg->callers[i];
    double v = (c->answer_us - c->invite_us) / 1000.0;

    if (c->answer_us != 0)
      g_array_append_val (ms, v);
  }
  k = MIN (10, ms->len);
  for (guint i = 0; i < k; i++) {
    r->setup_first_ms += g_array_index (ms, double, i) / k;
    r->setup_last_ms += g_array_index (ms, double, ms->len - k + i) / k;
  }
}

static void
print_row (McuLoadgen *lg, const McuLoadgenResult *r)
{
  g_autofree gchar *n = r->up == r->n
                            ? g_strdup_printf ("%u", r->n)
                            : g_strdup_printf ("%u (%u up)", r->n, r->up);

  if (lg->opt.header)
    printf ("| N | server CPU %% of one core | CPU %% per participant | "
            "RSS MB | RSS KB per participant | threads (per participant) | "
            "packets out/s per participant (mean / min) | worst gap ms | "
            "callers with gaps > 60 ms | setup ms mean / max | "
            "loadgen CPU %% |\n"
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  if (r->server)
    printf ("| %s | %.1f | %.2f | %.1f | %.0f | %u (%.1f) |", n, r->cpu_pct,
        r->cpu_per_p, r->rss_mb, r->rss_kb_per_p, r->threads, r->threads_per_p);
  else
    printf ("| %s | n/a | n/a | n/a | n/a | n/a |", n);
  printf (" %.1f / %.1f | %.0f | %u | %.1f / %.1f | %.1f |\n", r->pps_mean,
      r->pps_min, r->worst_gap_ms, r->callers_with_gaps, r->setup_mean_ms,
      r->setup_max_ms, r->self_cpu_pct);
  printf ("`%s`\n", lg->opt.command);
}

static void
print_json (McuLoadgen *lg, const McuLoadgenResult *r)
{
  g_autofree gchar *cmd = g_strescape (lg->opt.command, NULL);

  printf ("{\"participants\": %u, \"talkers\": %d, \"calls_up\": %u, "
          "\"calls_failed\": %u, \"calls_dropped\": %u, \"window_s\": %.3f, ",
      r->n, lg->opt.talkers < 0 ? (int)r->n : MIN (lg->opt.talkers, (int)r->n),
      r->up, r->failed, r->dropped, r->window_s);
  if (r->server)
    printf ("\"server_cpu_pct\": %.2f, \"server_cpu_pct_per_participant\": "
            "%.3f, \"server_rss_mb\": %.2f, \"server_idle_rss_mb\": %.2f, "
            "\"server_rss_kb_per_participant\": %.1f, "
            "\"server_rss_mb_window_start\": %.2f, \"server_threads\": %u, "
            "\"server_idle_threads\": %u, "
            "\"server_threads_per_participant\": %.2f, ",
        r->cpu_pct, r->cpu_per_p, r->rss_mb, r->idle_rss_mb, r->rss_kb_per_p,
        r->rss_start_mb, r->threads, r->idle_threads, r->threads_per_p);
  printf ("\"receivers_measured\": %u, \"receivers_decoded\": %u, "
          "\"audible_pct_min\": %.1f, ",
      r->measured, r->decoded, r->audible_min);
  printf ("\"packets_per_s_mean\": %.2f, \"packets_per_s_min\": %.2f, "
          "\"worst_gap_ms\": %.1f, \"callers_with_gaps_over_60ms\": %u, "
          "\"gaps_over_60ms\": %" G_GUINT64_FORMAT ", \"seq_lost\": "
          "%" G_GUINT64_FORMAT ", \"seq_late\": %" G_GUINT64_FORMAT
          ", \"rtcp_received\": %" G_GUINT64_FORMAT ", "
          "\"rx_bytes_per_packet\": %.1f, \"rx_rtp_clock_ratio\": %.4f, ",
      r->pps_mean, r->pps_min, r->worst_gap_ms, r->callers_with_gaps,
      r->gaps_total, r->seq_lost, r->seq_late, r->rtcp, r->payload_mean,
      r->media_rate);
  printf ("\"setup_ms_mean\": %.2f, \"setup_ms_max\": %.2f, "
          "\"setup_ms_first10\": %.2f, \"setup_ms_last10\": %.2f, "
          "\"settle_s\": %.1f, \"settled\": %s, "
          "\"loadgen_cpu_pct\": %.2f, \"loadgen_late_ticks\": "
          "%" G_GUINT64_FORMAT ", \"loadavg_before\": \"%s\", "
          "\"loadavg_after\": \"%s\", \"command\": \"%s\"}\n",
      r->setup_mean_ms, r->setup_max_ms, r->setup_first_ms, r->setup_last_ms,
      lg->settle_s, lg->settled ? "true" : "false", r->self_cpu_pct,
      r->late_ticks, lg->loadavg_before, lg->loadavg_after, cmd);
}

static void
print_details (McuLoadgen *lg, const McuLoadgenResult *r)
{
  g_autofree gchar *threads = mcu_loadgen_proc_thread_report (
      &lg->win_start, &lg->win_end, THREAD_ROWS);

  g_printerr ("mcu-loadgen: calls %u up, %u failed, %u dropped by the server; "
              "%" G_GUINT64_FORMAT " gaps > 60 ms, %" G_GUINT64_FORMAT
              " seq lost, %" G_GUINT64_FORMAT " late/dup, %" G_GUINT64_FORMAT
              " RTCP packets received; %.0f bytes per RTP packet received, "
              "RTP clock %.3f x real time; "
              "loadgen %.1f%% CPU, %" G_GUINT64_FORMAT " late ticks; host "
              "load %s before, %s at the window end\n",
      r->up, r->failed, r->dropped, r->gaps_total, r->seq_lost, r->seq_late,
      r->rtcp, r->payload_mean, r->media_rate, r->self_cpu_pct, r->late_ticks,
      lg->loadavg_before, lg->loadavg_after);
  g_printerr ("mcu-loadgen: setup ms: first 10 calls %.1f, last 10 calls %.1f "
              "(mean)\n",
      r->setup_first_ms, r->setup_last_ms);
  g_printerr ("mcu-loadgen: after the warm-up the server's main thread took "
              "%.0f s more to go idle%s\n",
      lg->settle_s, lg->settled ? "" : " (it did not: measured anyway)");
  if (lg->server.exit_us && lg->server.term_us)
    g_printerr ("mcu-loadgen: the server exited %.2f s after SIGTERM\n",
        (lg->server.exit_us - lg->server.term_us) / 1e6);
  if (r->server)
    g_printerr ("mcu-loadgen: server idle %.1f MB / %u threads, steady "
                "%.1f MB / %u threads; CPU by thread over the window:\n%s",
        r->idle_rss_mb, r->idle_threads, r->rss_mb, r->threads, threads);
}

/* 0: measured; 1: no measurement; 3: measured, but the server did not
 * exit cleanly on SIGTERM; 4: measured, but not every call came up within
 * --setup-timeout. */
int
mcu_loadgen_report (McuLoadgen *lg)
{
  McuLoadgenResult r = { 0 };
  gboolean server_ok = !lg->server.owned ||
                       (lg->server.exited && g_spawn_check_wait_status (
                                                 lg->server.exit_status, NULL));

  if (lg->failure)
    g_printerr ("mcu-loadgen: FAILED: %s\n", lg->failure);
  if (!server_ok) {
    g_autofree gchar *tail = mcu_loadgen_server_log_tail (&lg->server, 3000);

    g_printerr ("mcu-loadgen: the server did not exit cleanly (status %d); "
                "log tail:\n%s\n",
        lg->server.exit_status, tail);
  }
  if (!lg->window_done)
    return 1;
  compute_callers (lg, &r);
  compute_setup_trend (lg, &r);
  compute_server (lg, &r);
  print_details (lg, &r);
  if (lg->opt.json)
    print_json (lg, &r);
  else
    print_row (lg, &r);
  fflush (stdout);
  if (!server_ok)
    return 3;
  return lg->setup_incomplete ? 4 : 0;
}
