/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the conference server's entry point. */
#include "mcu-build-config.h"
#include "mcu-daemon.h"
#include "mcu-log.h"
#include "mcu-notify.h"
#include "mcu-sip.h"

#include <glib-unix.h>
#include <gst/gst.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct
{
  GMainLoop *loop;
  McuDaemon *daemon;
} McuMain;

static gboolean
on_unix_signal (gpointer data)
{
  McuMain *m = data;
  g_autoptr (GError) error = NULL;

  if (!mcu_notify ("STOPPING=1", &error))
    g_warning ("%s", error->message);
  mcu_daemon_shutdown (m->daemon);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sighup (gpointer data)
{
  McuMain *m = data;

  mcu_daemon_reload_tls (m->daemon);
  return G_SOURCE_CONTINUE;
}

static void
on_daemon_stopped (McuDaemon *daemon, McuMain *m)
{
  g_main_loop_quit (m->loop);
}

int
main (int argc, char **argv)
{
  g_autofree gchar *config_path = NULL;
  g_autofree gchar *listening = NULL;
  gboolean version = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
        "Configuration file (a GLib key file)", "FILE" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
      g_option_context_new ("- SIP multipoint conference server");
  g_autoptr (GError) error = NULL;
  g_autoptr (McuConfig) config = NULL;
  McuMain m = { 0 };
  guint watchdog;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  g_option_context_set_description (ctx,
      "Callers dial sip:ROOM@server and meet in room ROOM.\n"
      "SIGTERM or SIGINT hangs up every call and exits; SIGHUP reloads the\n"
      "TLS certificate and key (new connections get them).");
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    fprintf (stderr, "mcu: %s\n", error->message);
    return 2;
  }
  if (version) {
    printf ("mcu %s\n", MCU_VERSION);
    return 0;
  }
  if (config_path == NULL) {
    fprintf (stderr, "mcu: --config FILE is required (see --help)\n");
    return 2;
  }
  mcu_log_install ();
  config = mcu_config_load (config_path, &error);
  if (config == NULL) {
    fprintf (stderr, "mcu: %s\n", error->message);
    return 1;
  }
  signal (SIGPIPE, SIG_IGN);
  gst_init (NULL, NULL);
  mcu_sip_redirect_sofia_log ();

  listening = g_strdup_printf ("sip:%s:%u (%s%s%s)", config->sip_listen,
      config->sip_port, config->sip_udp ? "udp" : "",
      config->sip_udp && config->sip_tcp ? "," : "",
      config->sip_tcp ? "tcp" : "");
  if (config->sip_tls) {
    gchar *with_tls = g_strdup_printf ("%s and sips:%s:%u (tls)", listening,
        config->sip_listen, config->sip_tls_port);

    g_free (listening);
    listening = with_tls;
  }
  m.loop = g_main_loop_new (NULL, FALSE);
  m.daemon = mcu_daemon_new (g_steal_pointer (&config), &error);
  if (m.daemon == NULL) {
    fprintf (stderr, "mcu: %s\n", error->message);
    g_main_loop_unref (m.loop);
    return 1;
  }
  g_signal_connect (m.daemon, "stopped", G_CALLBACK (on_daemon_stopped), &m);
  g_unix_signal_add (SIGTERM, on_unix_signal, &m);
  g_unix_signal_add (SIGINT, on_unix_signal, &m);
  g_unix_signal_add (SIGHUP, on_sighup, &m);
  g_message ("mcu %s listening on %s", MCU_VERSION, listening);
  /* Under systemd (Type=notify): the sockets are bound, the store is open. */
  if (!mcu_notify ("READY=1", &error)) {
    g_warning ("%s", error->message);
    g_clear_error (&error);
  }
  watchdog = mcu_notify_watchdog_start ();
  g_main_loop_run (m.loop);
  if (watchdog)
    g_source_remove (watchdog);
  g_clear_object (&m.daemon);
  g_main_loop_unref (m.loop);
  g_message ("stopped");
  return 0;
}
