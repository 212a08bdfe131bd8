/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mcu-loadgen processes: starts the mcu under test with a generated config
 * (loopback, ephemeral ports), reads /proc for its CPU, RSS and threads.
 * Everything here runs on the main thread. */
#include "mcu-loadgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <unistd.h>

#define START_TIMEOUT_US (15 * G_USEC_PER_SEC)

static gboolean
port_free (int type, guint port)
{
  struct sockaddr_in sa = { .sin_family = AF_INET,
    .sin_port = htons (port),
    .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd = socket (AF_INET, type | SOCK_CLOEXEC, 0);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = bind (fd, (struct sockaddr *)&sa, sizeof sa) == 0;
  close (fd);
  return ok;
}

/* A UDP+TCP port free right now (for the server's SIP). */
static guint
pick_sip_port (void)
{
  for (guint tries = 0; tries < 100; tries++) {
    guint port = g_random_int_range (20000, 30000);

    if (port_free (SOCK_DGRAM, port) && port_free (SOCK_STREAM, port))
      return port;
  }
  return 0;
}

/* A base such that [base, base + count) looks free (every 16th port is
 * probed; the server's port pool skips the odd taken one anyway). */
guint
mcu_loadgen_pick_port_range (guint count, guint start)
{
  for (guint base = start & ~1u; base + count < 65000; base += 512) {
    gboolean ok = TRUE;

    for (guint p = base; p < base + count && ok; p += 16)
      ok = port_free (SOCK_DGRAM, p);
    if (ok && port_free (SOCK_DGRAM, base + count - 1))
      return base;
  }
  return 0;
}

void
mcu_loadgen_raise_fd_limit (guint need)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
    return;
  rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? need : MIN (need, rl.rlim_max);
  if (setrlimit (RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < need)
    g_printerr ("mcu-loadgen: warning: fd limit %lu < %u wanted\n",
        (unsigned long)rl.rlim_cur, need);
}

gint64
mcu_loadgen_self_cpu_us (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return (gint64)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * G_USEC_PER_SEC +
         ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

gchar *
mcu_loadgen_loadavg (void)
{
  g_autofree gchar *text = NULL;
  g_auto (GStrv) fields = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("?");
  fields = g_strsplit (text, " ", 4);
  if (g_strv_length (fields) < 3)
    return g_strdup ("?");
  return g_strdup_printf ("%s %s %s", fields[0], fields[1], fields[2]);
}

static gboolean
write_config (McuLoadgen *lg, GError **error)
{
  McuLoadgenServer *s = &lg->server;
  g_autofree gchar *media = lg->opt.media_options
                                ? g_strjoinv ("\n", lg->opt.media_options)
                                : g_strdup ("");
  g_autofree gchar *text =
      g_strdup_printf ("[sip]\nlisten=127.0.0.1\n"
                       "port=%u\ntransports=udp,tcp\n"
                       "domain=127.0.0.1\n\n"
                       "[media]\naddress=127.0.0.1\n"
                       "rtp-port-min=%u\nrtp-port-max=%u\n"
                       "rtp-timeout=30\n%s\n\n"
                       "[rooms]\nauto-create=true\n"
                       "max-participants=0\n\n"
                       /* all callers come from one
                        * address: no flood limits */
                       "[limits]\ninvite-rate=0\n"
                       "max-calls=0\nmax-half-open=0\n"
                       "max-half-open-per-source=0\n\n"
                       /* its own database and socket:
                        * never another mcu's */
                       "[storage]\ndatabase=%s/mcu.db\n\n"
                       "[control]\nsocket=%s/control.sock\n",
          s->sip_port, s->rtp_min, s->rtp_max, media, s->dir, s->dir);

  s->config_path = g_build_filename (s->dir, "mcu.conf", NULL);
  s->log_path = g_build_filename (s->dir, "mcu.log", NULL);
  return g_file_set_contents (s->config_path, text, -1, error);
}

static void
on_server_exit (GPid pid, gint status, gpointer data)
{
  McuLoadgen *lg = data;

  lg->server.exited = TRUE;
  lg->server.exit_status = status;
  lg->server.exit_us = g_get_monotonic_time ();
  lg->server.child_watch = 0;
  g_spawn_close_pid (pid);
  mcu_loadgen_server_exited (lg);
}

static void
child_setup (gpointer data)
{
  const char *log_path = data;
  int fd = open (log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

  /* If the load generator dies, the server it started goes too. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
  if (fd >= 0) {
    dup2 (fd, STDOUT_FILENO);
    dup2 (fd, STDERR_FILENO);
    close (fd);
  }
}

static gboolean
wait_listening (McuLoadgenServer *s, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_US;

  while (g_get_monotonic_time () < deadline) {
    g_autofree gchar *log = NULL;
    int status;

    if (waitpid (s->pid, &status, WNOHANG) == s->pid) {
      g_autofree gchar *tail = mcu_loadgen_server_log_tail (s, 2000);

      s->exited = TRUE;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "the server exited at start (status %d):\n%s", status, tail);
      return FALSE;
    }
    if (g_file_get_contents (s->log_path, &log, NULL, NULL) &&
        strstr (log, "listening on"))
      return TRUE;
    g_usleep (20000);
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
      "the server did not say \"listening on\" within %d s (log: %s)",
      (int)(START_TIMEOUT_US / G_USEC_PER_SEC), s->log_path);
  return FALSE;
}

/* Starts `--mcu` with a throw-away config; its log goes to a file there.
 * G_MESSAGES_DEBUG is dropped so debug logging does not cost CPU. */
gboolean
mcu_loadgen_server_start (McuLoadgen *lg, GError **error)
{
  McuLoadgenServer *s = &lg->server;
  guint count = MAX (400, 2 * lg->n + 64);
  const gchar *argv[] = { lg->opt.mcu, "--config", NULL, NULL };
  g_auto (GStrv) envp =
      g_environ_unsetenv (g_get_environ (), "G_MESSAGES_DEBUG");

  s->sip_port = pick_sip_port ();
  s->rtp_min =
      mcu_loadgen_pick_port_range (count, 20000 + 2 * (getpid () % 4096));
  if (s->sip_port == 0 || s->rtp_min == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no free ports");
    return FALSE;
  }
  s->rtp_max = s->rtp_min + count - 1;
  s->dir = g_dir_make_tmp ("mcu-bench-XXXXXX", error);
  if (s->dir == NULL || !write_config (lg, error))
    return FALSE;
  argv[2] = s->config_path;
  if (!g_spawn_async (NULL, (gchar **)argv, envp, G_SPAWN_DO_NOT_REAP_CHILD,
          child_setup, s->log_path, &s->pid, error))
    return FALSE;
  s->owned = TRUE;
  if (!wait_listening (s, error))
    return FALSE;
  s->child_watch = g_child_watch_add (s->pid, on_server_exit, lg);
  return TRUE;
}

/* SIGTERM; on_server_exit carries on. SIGKILL if it hangs (see caller). */
void
mcu_loadgen_server_stop (McuLoadgen *lg)
{
  if (lg->server.owned && !lg->server.exited && lg->server.pid > 0) {
    lg->server.term_us = g_get_monotonic_time ();
    kill (lg->server.pid, SIGTERM);
  }
}

gchar *
mcu_loadgen_server_log_tail (McuLoadgenServer *s, gsize max)
{
  g_autofree gchar *log = NULL;
  gsize len = 0;

  if (s->log_path == NULL ||
      !g_file_get_contents (s->log_path, &log, &len, NULL))
    return g_strdup ("(no log)");
  return g_strdup (len > max ? log + len - max : log);
}

void
mcu_loadgen_server_clear (McuLoadgenServer *s, gboolean keep)
{
  g_clear_handle_id (&s->child_watch, g_source_remove);
  if (s->owned && !s->exited && s->pid > 0) {
    kill (s->pid, SIGKILL);
    waitpid (s->pid, NULL, 0);
  }
  if (s->dir && !keep) {
    if (s->config_path)
      unlink (s->config_path);
    if (s->log_path)
      unlink (s->log_path);
    for (const gchar *const *f = (const gchar *const[]){ "mcu.db", "mcu.db-wal",
             "mcu.db-shm", "control.sock", NULL };
         *f; f++) {
      g_autofree gchar *path = g_build_filename (s->dir, *f, NULL);

      unlink (path);
    }
    rmdir (s->dir);
  } else if (s->dir) {
    g_printerr ("mcu-loadgen: kept %s\n", s->dir);
  }
  g_clear_pointer (&s->dir, g_free);
  g_clear_pointer (&s->config_path, g_free);
  g_clear_pointer (&s->log_path, g_free);
}

/* Fields of /proc/.../stat after the ")" that ends comm: field 3 is the
 * first. Returns utime + stime and num_threads; comm if asked. */
static gboolean
parse_stat (const gchar *path, guint64 *ticks, guint *threads, gchar **comm)
{
  g_autofree gchar *text = NULL;
  unsigned long utime, stime;
  long nthreads;
  const gchar *open, *close_paren;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  open = strchr (text, '(');
  close_paren = strrchr (text, ')');
  if (open == NULL || close_paren == NULL ||
      sscanf (close_paren + 2,
          "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d "
          "%*d %ld",
          &utime, &stime, &nthreads) != 3)
    return FALSE;
  *ticks = utime + stime;
  if (threads)
    *threads = nthreads;
  if (comm)
    *comm = g_strndup (open + 1, close_paren - open - 1);
  return TRUE;
}

gboolean
mcu_loadgen_proc_thread_ticks (GPid pid, int tid, guint64 *ticks)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%d/task/%d/stat", pid, tid);

  return pid > 0 && parse_stat (path, ticks, NULL, NULL);
}

static guint64
status_field (const gchar *text, const gchar *key)
{
  const gchar *p = strstr (text, key);

  return p ? g_ascii_strtoull (p + strlen (key), NULL, 10) : 0;
}

static void
task_free (gpointer data)
{
  McuLoadgenTask *t = data;

  g_free (t->comm);
  g_free (t);
}

static GHashTable *
sample_tasks (GPid pid)
{
  g_autofree gchar *dir_path = g_strdup_printf ("/proc/%d/task", pid);
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  GHashTable *tasks =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, task_free);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir))) {
    g_autofree gchar *path = g_strdup_printf ("%s/%s/stat", dir_path, name);
    McuLoadgenTask *t = g_new0 (McuLoadgenTask, 1);

    if (parse_stat (path, &t->cpu_ticks, NULL, &t->comm))
      g_hash_table_insert (tasks, g_strdup (name), t);
    else
      task_free (t);
  }
  return tasks;
}

gboolean
mcu_loadgen_proc_sample (GPid pid, gboolean tasks, McuLoadgenProcSample *out)
{
  g_autofree gchar *stat_path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree gchar *status_path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree gchar *status = NULL;

  mcu_loadgen_proc_sample_clear (out);
  out->mono_us = g_get_monotonic_time ();
  if (pid <= 0 ||
      !parse_stat (stat_path, &out->cpu_ticks, &out->threads, NULL) ||
      !g_file_get_contents (status_path, &status, NULL, NULL))
    return FALSE;
  out->rss_kb = status_field (status, "VmRSS:");
  if (tasks)
    out->tasks = sample_tasks (pid);
  return TRUE;
}

void
mcu_loadgen_proc_sample_clear (McuLoadgenProcSample *s)
{
  g_clear_pointer (&s->tasks, g_hash_table_unref);
  memset (s, 0, sizeof *s);
}

/* "udpsrc12:src" -> "udpsrc#:src": one row per kind of thread. */
static gchar *
fold_digits (const gchar *comm)
{
  GString *out = g_string_new (NULL);

  for (const gchar *p = comm; *p; p++) {
    if (g_ascii_isdigit (*p)) {
      if (out->len == 0 || out->str[out->len - 1] != '#')
        g_string_append_c (out, '#');
    } else {
      g_string_append_c (out, *p);
    }
  }
  return g_string_free (out, FALSE);
}

typedef struct
{
  gchar *name;
  guint64 ticks;
  guint count;
} McuLoadgenThreadRow;

static gint
row_compare (gconstpointer a, gconstpointer b)
{
  const McuLoadgenThreadRow *ra = a, *rb = b;

  return ra->ticks == rb->ticks ? g_strcmp0 (ra->name, rb->name)
                                : (ra->ticks < rb->ticks ? 1 : -1);
}

static GArray *
thread_rows (const McuLoadgenProcSample *a, const McuLoadgenProcSample *b)
{
  g_autoptr (GHashTable) by_name =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GArray *rows = g_array_new (FALSE, TRUE, sizeof (McuLoadgenThreadRow));
  GHashTableIter it;
  gpointer key, value;

  g_hash_table_iter_init (&it, b->tasks);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    McuLoadgenTask *t = value, *before = g_hash_table_lookup (a->tasks, key);
    g_autofree gchar *name = fold_digits (t->comm);
    gpointer idx;
    McuLoadgenThreadRow *row;

    if (!g_hash_table_lookup_extended (by_name, name, NULL, &idx)) {
      McuLoadgenThreadRow r = { g_strdup (name), 0, 0 };

      g_array_append_val (rows, r);
      idx = GUINT_TO_POINTER (rows->len);
      g_hash_table_insert (by_name, g_strdup (name), idx);
    }
    row =
        &g_array_index (rows, McuLoadgenThreadRow, GPOINTER_TO_UINT (idx) - 1);
    row->ticks +=
        t->cpu_ticks - (before ? MIN (before->cpu_ticks, t->cpu_ticks) : 0);
    row->count++;
  }
  g_array_sort (rows, row_compare);
  return rows;
}

gchar *
mcu_loadgen_proc_thread_report (const McuLoadgenProcSample *a,
    const McuLoadgenProcSample *b, guint max_rows)
{
  g_autoptr (GArray) rows = NULL;
  GString *out = g_string_new (NULL);
  double secs = (b->mono_us - a->mono_us) / (double)G_USEC_PER_SEC;
  long hz = sysconf (_SC_CLK_TCK);

  if (a->tasks == NULL || b->tasks == NULL || secs <= 0)
    return g_string_free (out, FALSE);
  rows = thread_rows (a, b);
  g_string_append_printf (out, "  %-18s %7s %9s\n", "thread", "count", "CPU %");
  for (guint i = 0; i < rows->len; i++) {
    McuLoadgenThreadRow *r = &g_array_index (rows, McuLoadgenThreadRow, i);

    if (i < max_rows)
      g_string_append_printf (out, "  %-18s %7u %9.1f\n", r->name, r->count,
          100.0 * r->ticks / hz / secs);
    g_free (r->name);
  }
  return g_string_free (out, FALSE);
}
