/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: GET /metrics in the Prometheus text exposition format (0.0.4).
 * Gauges are read when scraped; counters come from the daemon. Nothing here
 * runs on the media path. */
#include "mcu-control-private.h"
#include "mcu-build-config.h"
#include "mcu-scheduler.h"
#include "mcu-recordings.h"

#include <sys/resource.h>

static void
metric_header (
    GString *out, const gchar *name, const gchar *type, const gchar *help)
{
  g_string_append_printf (
      out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Room names are [A-Za-z0-9._-]: no escaping needed in label values. */
static void
room_sample (GString *out, const gchar *name, const gchar *room, guint64 v)
{
  g_string_append_printf (
      out, "%s{room=\"%s\"} %" G_GUINT64_FORMAT "\n", name, room, v);
}

static void
counter (GString *out, const gchar *name, const gchar *help, guint64 v)
{
  metric_header (out, name, "counter", help);
  g_string_append_printf (out, "%s %" G_GUINT64_FORMAT "\n", name, v);
}

/* Recordings: mcu_recordings (running) and mcu_recordings_*_total. */
static void
render_recordings (GString *out, McuRecordings *recordings)
{
  McuRecordingsCounters c;

  mcu_recordings_get_counters (recordings, &c);
  metric_header (out, "mcu_recordings", "gauge",
      "Recordings running (or waiting for the room's first caller).");
  g_string_append_printf (out, "mcu_recordings %u\n", c.active);
  counter (
      out, "mcu_recordings_started_total", "Recordings started.", c.started);
  counter (out, "mcu_recordings_stopped_total",
      "Recordings stopped with a complete file.", c.stopped);
  counter (out, "mcu_recordings_failed_total",
      "Recordings that failed (write or encode error, no media).", c.failed);
}

/* The scheduler's counters: mcu_meeting_*_total. */
static void
render_meetings (GString *out, McuScheduler *scheduler)
{
  const McuSchedulerCounters *c;
  GHashTableIter iter;
  gpointer key, value;

  if (scheduler == NULL)
    return;
  c = mcu_scheduler_get_counters (scheduler);
  counter (out, "mcu_meetings_opened_total",
      "Meeting occurrences whose room opened.", c->opened);
  counter (out, "mcu_meetings_started_total",
      "Meeting occurrences that started.", c->started);
  counter (out, "mcu_meeting_attendees_dialing_total",
      "Attendees dialled (each try).", c->dialing);
  counter (out, "mcu_meeting_attendees_answered_total",
      "Attendees who answered.", c->answered);
  metric_header (out, "mcu_meeting_attendees_failed_total", "counter",
      "Tries that failed, by SIP status.");
  g_hash_table_iter_init (&iter, c->failed_by_status);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_string_append_printf (out,
        "mcu_meeting_attendees_failed_total{status=\"%u\"} %" G_GSIZE_FORMAT
        "\n",
        GPOINTER_TO_UINT (key), GPOINTER_TO_SIZE (value));
  counter (out, "mcu_meetings_ending_total", "End warnings given.", c->ending);
  counter (out, "mcu_meetings_extended_total", "Extensions.", c->extended);
  counter (out, "mcu_meetings_closed_total", "Meeting occurrences that closed.",
      c->closed);
}

gchar *
mcu_metrics_render (McuDaemon *daemon)
{
  GString *out = g_string_new (NULL);
  g_autoptr (GList) rooms =
      mcu_room_directory_list (mcu_daemon_get_rooms (daemon));
  const McuDaemonCounters *c = mcu_daemon_get_counters (daemon);
  McuMediaStats totals;
  guint participants = 0;
  struct rusage ru;
  GHashTableIter iter;
  gpointer key, value;

  metric_header (out, "mcu_info", "gauge", "Version of the server.");
  g_string_append_printf (out, "mcu_info{version=\"%s\"} 1\n", MCU_VERSION);
  metric_header (out, "mcu_start_time_seconds", "gauge",
      "When the server started, in seconds since the epoch.");
  g_string_append_printf (out, "mcu_start_time_seconds %" G_GINT64_FORMAT "\n",
      mcu_daemon_get_started_at (daemon) / G_USEC_PER_SEC);

  metric_header (out, "mcu_rooms", "gauge", "Open rooms.");
  g_string_append_printf (out, "mcu_rooms %u\n", g_list_length (rooms));
  metric_header (
      out, "mcu_room_participants", "gauge", "Participants in each open room.");
  for (GList *l = rooms; l; l = l->next) {
    guint n = mcu_room_get_n_participants (l->data);

    participants += n;
    room_sample (out, "mcu_room_participants", mcu_room_get_name (l->data), n);
  }
  metric_header (
      out, "mcu_participants", "gauge", "Participants in all rooms.");
  g_string_append_printf (out, "mcu_participants %u\n", participants);

  metric_header (out, "mcu_calls_total", "counter", "Incoming calls.");
  g_string_append_printf (
      out, "mcu_calls_total %" G_GUINT64_FORMAT "\n", c->calls_total);
  metric_header (out, "mcu_calls_failed_total", "counter",
      "Calls rejected, by SIP status.");
  g_hash_table_iter_init (&iter, c->failed_by_status);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_string_append_printf (out,
        "mcu_calls_failed_total{status=\"%u\"} %" G_GSIZE_FORMAT "\n",
        GPOINTER_TO_UINT (key), GPOINTER_TO_SIZE (value));

  mcu_daemon_get_media_totals (daemon, &totals);
  metric_header (out, "mcu_rtp_packets_received_total", "counter",
      "RTP and RTCP packets received from participants.");
  g_string_append_printf (out,
      "mcu_rtp_packets_received_total %" G_GUINT64_FORMAT "\n",
      totals.packets_received);
  metric_header (out, "mcu_rtp_packets_sent_total", "counter",
      "RTP packets sent to participants.");
  g_string_append_printf (out,
      "mcu_rtp_packets_sent_total %" G_GUINT64_FORMAT "\n",
      totals.packets_sent);
  metric_header (out, "mcu_rtp_packets_lost_total", "counter",
      "RTP packets from participants lost on the way in.");
  g_string_append_printf (out,
      "mcu_rtp_packets_lost_total %" G_GUINT64_FORMAT "\n",
      totals.packets_lost);

  render_meetings (out, mcu_daemon_get_scheduler (daemon));
  render_recordings (out, mcu_daemon_get_recordings (daemon));

  if (getrusage (RUSAGE_SELF, &ru) == 0) {
    metric_header (out, "process_cpu_seconds_total", "counter",
        "User and system CPU time of the server.");
    g_string_append_printf (out, "process_cpu_seconds_total %.3f\n",
        ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
            (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
    metric_header (out, "process_max_resident_memory_bytes", "gauge",
        "Peak resident memory of the server.");
    g_string_append_printf (
        out, "process_max_resident_memory_bytes %ld\n", ru.ru_maxrss * 1024L);
  }
  return g_string_free (out, FALSE);
}
