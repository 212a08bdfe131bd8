/* SPDX-License-Identifier: LGPL-2.1-or-later
 * McuRtpIo on real loopback sockets: one thread serves many sockets in
 * batches; a removed watch is never called again, even with traffic
 * flowing; mcu_rtp_io_remove waits for a callback in progress (and does not
 * deadlock when called from it); timers fire in order, repeat, stop, and a
 * new soonest timer wakes the thread. */
#include "mcu-rtp-io.h"

#include <string.h>
#include <sys/socket.h>

#define N_SOCKETS 64
#define WAIT_US   (5 * G_USEC_PER_SEC)

static GSocket *
udp_socket (guint *port)
{
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) sa = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (s, sa, FALSE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return s;
}

static void
send_to (GSocket *from, guint port, guint32 value)
{
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) to = g_inet_socket_address_new (lo, port);

  g_socket_send_to (from, to, (gchar *)&value, sizeof value, NULL, NULL);
}

static guint
n_threads (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  while (dir && g_dir_read_name (dir))
    n++;
  return n;
}

/* Waits until the kernel stamps datagrams as they arrive, not only as they
 * are read: a socket asking for stamps turns that on for every socket, but
 * the kernel does it in a deferred work item, and undoes it when the last
 * such socket closes. McuRtpIo's sockets ask as they are watched; this
 * test's datagrams arrive before that. */
static GSocket *
wait_kernel_stamps (void)
{
  guint port;
  g_autoptr (GSocket) s = udp_socket (&port);
  gint fd = g_socket_get_fd (s);
  gint64 end = g_get_monotonic_time () + WAIT_US;

  g_assert_cmpint (
      setsockopt (fd, SOL_SOCKET, SO_TIMESTAMPNS, &(int){ 1 }, sizeof (int)),
      ==, 0);
  while (g_get_monotonic_time () < end) {
    union
    {
      gchar buf[CMSG_SPACE (sizeof (struct timespec))];
      struct cmsghdr align;
    } control;
    guint32 v = 0;
    struct iovec iov = { &v, sizeof v };
    struct msghdr msg = { .msg_iov = &iov,
      .msg_iovlen = 1,
      .msg_control = control.buf,
      .msg_controllen = sizeof control.buf };
    struct cmsghdr *c;

    send_to (s, port, 0);
    g_usleep (20 * 1000); /* the datagram's age when read */
    g_assert_cmpint (recvmsg (fd, &msg, 0), ==, sizeof v);
    for (c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c)) {
      struct timespec ts;

      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
        continue;
      memcpy (&ts, CMSG_DATA (c), sizeof ts);
      if (g_get_real_time () -
              (ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000) >=
          10 * 1000)
        return g_steal_pointer (&s); /* on while it is open */
    }
  }
  g_assert_not_reached ();
  return NULL;
}

/* What one watch saw (under `lock` of the Shared it points to). */
typedef struct _Shared Shared;

typedef struct
{
  Shared *shared;
  guint index;
  guint received;
  guint calls;
  guint max_batch;
  gboolean destroyed;
  gboolean removed; /* set by the test once mcu_rtp_io_remove returned */
  gboolean called_after_remove;
  guint32 last_value;
  gboolean out_of_order;
  guint stamped_before_add; /* DTS (kernel arrival) before the watch */
  GstClockTime last_dts;
  gboolean dts_backwards;
} WatchState;

struct _Shared
{
  GMutex lock;
  GCond cond;
  GThread *io_thread; /* the thread the callbacks ran on */
  gboolean two_threads;
  guint total;
  guint sender_port;
  GstClockTime t_added; /* before the watches were added */
  WatchState w[N_SOCKETS];
};

static void
shared_init (Shared *s)
{
  memset (s, 0, sizeof *s);
  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  for (guint i = 0; i < N_SOCKETS; i++) {
    s->w[i].shared = s;
    s->w[i].index = i;
  }
}

static void
shared_clear (Shared *s)
{
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
}

static void
on_packets (gpointer data, GSocket *socket, GstBuffer **bufs,
    GSocketAddress *const *from, guint n, GstClockTime arrival)
{
  WatchState *w = data;
  Shared *s = w->shared;

  g_mutex_lock (&s->lock);
  if (s->io_thread == NULL)
    s->io_thread = g_thread_self ();
  else if (s->io_thread != g_thread_self ())
    s->two_threads = TRUE;
  if (w->removed || w->destroyed)
    w->called_after_remove = TRUE;
  w->calls++;
  w->max_batch = MAX (w->max_batch, n);
  for (guint i = 0; i < n; i++) {
    guint32 v = 0;

    /* other tests on this machine use loopback too: a stray to our port
     * is not ours to count */
    if (!G_IS_INET_SOCKET_ADDRESS (from[i]) ||
        g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (from[i])) !=
            s->sender_port ||
        gst_buffer_get_size (bufs[i]) != sizeof v)
      continue;
    gst_buffer_extract (bufs[i], 0, &v, sizeof v);
    if (w->received > 0 && v != w->last_value + 1)
      w->out_of_order = TRUE;
    w->last_value = v;
    if (GST_BUFFER_DTS (bufs[i]) < s->t_added)
      w->stamped_before_add++;
    if (!GST_BUFFER_DTS_IS_VALID (bufs[i]) ||
        (w->received > 0 && GST_BUFFER_DTS (bufs[i]) < w->last_dts))
      w->dts_backwards = TRUE;
    w->last_dts = GST_BUFFER_DTS (bufs[i]);
    w->received++;
    s->total++;
  }
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
}

static void
on_watch_destroy (gpointer data)
{
  WatchState *w = data;

  g_mutex_lock (&w->shared->lock);
  w->destroyed = TRUE;
  g_mutex_unlock (&w->shared->lock);
}

/* Waits until @s->total reaches @total (lock held). */
static gboolean
wait_total (Shared *s, guint total)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;

  while (s->total < total)
    if (!g_cond_wait_until (&s->cond, &s->lock, end))
      return FALSE;
  return TRUE;
}

/* 64 sockets, 100 datagrams each (sent before the watches exist, so they
 * wait in the socket buffers and come in batches): one thread reads them
 * all, in order, at most MCU_RTP_IO_BATCH per call, with the sender's
 * address and the time each one came in (before the watch existed). */
static void
test_many_sockets (void)
{
  g_autoptr (McuRtpIo) io = mcu_rtp_io_new ();
  GSocket *socks[N_SOCKETS];
  McuRtpIoWatch *watches[N_SOCKETS];
  g_autoptr (GSocket) sender = NULL;
  g_autoptr (GSocket) stamping = NULL;
  guint ports[N_SOCKETS], threads_before;
  Shared s;

  shared_init (&s);
  stamping = wait_kernel_stamps ();
  sender = udp_socket (&s.sender_port);
  for (guint i = 0; i < N_SOCKETS; i++) {
    socks[i] = udp_socket (&ports[i]);
    for (guint32 v = 0; v < 100; v++)
      send_to (sender, ports[i], v);
  }
  threads_before = n_threads ();
  s.t_added = mcu_rtp_io_now (io);
  for (guint i = 0; i < N_SOCKETS; i++)
    watches[i] =
        mcu_rtp_io_add (io, socks[i], on_packets, &s.w[i], on_watch_destroy);
  g_assert_cmpuint (mcu_rtp_io_get_n_watches (io), ==, N_SOCKETS);
  /* one thread for all of them */
  g_assert_cmpuint (n_threads (), ==, threads_before + 1);

  g_mutex_lock (&s.lock);
  g_assert_true (wait_total (&s, N_SOCKETS * 100));
  g_assert_false (s.two_threads);
  g_assert_true (s.io_thread != g_thread_self ());
  for (guint i = 0; i < N_SOCKETS; i++) {
    g_assert_cmpuint (s.w[i].received, ==, 100);
    g_assert_cmpuint (s.w[i].max_batch, <=, MCU_RTP_IO_BATCH);
    g_assert_cmpuint (s.w[i].calls, >=, 100 / MCU_RTP_IO_BATCH + 1);
    g_assert_cmpuint (s.w[i].calls, <, 100); /* batches, not one by one */
    g_assert_false (s.w[i].out_of_order);
    /* stamped by the kernel as they came, not when they were read */
    g_assert_cmpuint (s.w[i].stamped_before_add, ==, 100);
    g_assert_false (s.w[i].dts_backwards);
  }
  g_mutex_unlock (&s.lock);

  for (guint i = 0; i < N_SOCKETS; i++) {
    mcu_rtp_io_remove (io, watches[i]);
    g_assert_true (s.w[i].destroyed);
    g_object_unref (socks[i]);
  }
  g_assert_cmpuint (mcu_rtp_io_get_n_watches (io), ==, 0);
  g_clear_object (&io); /* joins the thread */
  g_assert_cmpuint (n_threads (), ==, threads_before);
  shared_clear (&s);
}

typedef struct
{
  GSocket *sender;
  guint *ports;
  gint stop;
  guint sent;
} Flood;

static gpointer
flood_thread (gpointer data)
{
  Flood *f = data;

  while (!g_atomic_int_get (&f->stop)) {
    for (guint i = 0; i < N_SOCKETS; i++)
      send_to (f->sender, f->ports[i], f->sent);
    f->sent++;
    g_usleep (5000);
  }
  return NULL;
}

/* While a thread keeps sending to all 64 sockets, the watches are removed
 * one by one: none is called after its remove returned, each one's destroy
 * ran by then, and the others keep receiving. */
static void
test_remove_under_traffic (void)
{
  g_autoptr (McuRtpIo) io = mcu_rtp_io_new ();
  GSocket *socks[N_SOCKETS];
  McuRtpIoWatch *watches[N_SOCKETS];
  guint ports[N_SOCKETS];
  Flood flood = { 0 };
  GThread *t;
  Shared s;

  shared_init (&s);
  flood.sender = udp_socket (&s.sender_port);
  flood.ports = ports;
  for (guint i = 0; i < N_SOCKETS; i++) {
    socks[i] = udp_socket (&ports[i]);
    watches[i] =
        mcu_rtp_io_add (io, socks[i], on_packets, &s.w[i], on_watch_destroy);
  }
  t = g_thread_new ("flood", flood_thread, &flood);
  for (guint i = 0; i < N_SOCKETS; i++) {
    guint others;

    /* traffic reaches this one and the ones left */
    g_mutex_lock (&s.lock);
    g_assert_true (wait_total (&s, s.total + 2 * (N_SOCKETS - i)));
    others = s.total;
    g_mutex_unlock (&s.lock);
    mcu_rtp_io_remove (io, watches[i]);
    g_mutex_lock (&s.lock);
    g_assert_true (s.w[i].destroyed);
    s.w[i].removed = TRUE;
    /* the rest still get theirs while this one is gone */
    if (i + 1 < N_SOCKETS)
      g_assert_true (wait_total (&s, others + 2 * (N_SOCKETS - i - 1)));
    g_mutex_unlock (&s.lock);
  }
  g_atomic_int_set (&flood.stop, 1);
  g_thread_join (t);
  g_mutex_lock (&s.lock);
  for (guint i = 0; i < N_SOCKETS; i++) {
    g_assert_false (s.w[i].called_after_remove);
    g_assert_cmpuint (s.w[i].received, >, 0);
  }
  g_mutex_unlock (&s.lock);
  for (guint i = 0; i < N_SOCKETS; i++)
    g_object_unref (socks[i]);
  g_object_unref (flood.sender);
  shared_clear (&s);
}

/* A callback that blocks until the test lets it go. */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean entered;
  gboolean open;
  gboolean left;
  gboolean destroyed;
  gboolean left_when_removed; /* `left` when mcu_rtp_io_remove returned */
  gboolean destroyed_when_removed;
  McuRtpIo *io;
  McuRtpIoWatch *watch;
  gboolean remove_itself;
} Gate;

static void
on_gated_packets (gpointer data, GSocket *socket, GstBuffer **bufs,
    GSocketAddress *const *from, guint n, GstClockTime arrival)
{
  Gate *g = data;
  gint64 end = g_get_monotonic_time () + WAIT_US;

  if (g->remove_itself) {
    /* from its own callback: must not wait for itself */
    mcu_rtp_io_remove (g->io, g->watch);
    g_mutex_lock (&g->lock);
    g->destroyed_when_removed = g->destroyed;
    g->entered = TRUE;
    g_cond_broadcast (&g->cond);
    g_mutex_unlock (&g->lock);
    return;
  }
  g_mutex_lock (&g->lock);
  g->entered = TRUE;
  g_cond_broadcast (&g->cond);
  while (!g->open && g_cond_wait_until (&g->cond, &g->lock, end))
    ;
  g->left = TRUE;
  g_mutex_unlock (&g->lock);
}

static void
on_gate_destroy (gpointer data)
{
  Gate *g = data;

  g_mutex_lock (&g->lock);
  g->destroyed = TRUE;
  g_cond_broadcast (&g->cond);
  g_mutex_unlock (&g->lock);
}

static gpointer
remove_thread (gpointer data)
{
  Gate *g = data;

  mcu_rtp_io_remove (g->io, g->watch);
  g_mutex_lock (&g->lock);
  g->left_when_removed = g->left;
  g->destroyed_when_removed = g->destroyed;
  g_mutex_unlock (&g->lock);
  return NULL;
}

/* mcu_rtp_io_remove from another thread while the watch's callback runs:
 * it returns only after the callback did (and then destroy ran). */
static void
test_remove_waits_for_callback (void)
{
  g_autoptr (McuRtpIo) io = mcu_rtp_io_new ();
  guint port, sender_port;
  g_autoptr (GSocket) sock = udp_socket (&port);
  g_autoptr (GSocket) sender = udp_socket (&sender_port);
  gint64 end = g_get_monotonic_time () + WAIT_US;
  Gate g = { 0 };
  GThread *t;

  g_mutex_init (&g.lock);
  g_cond_init (&g.cond);
  g.io = io;
  g.watch = mcu_rtp_io_add (io, sock, on_gated_packets, &g, on_gate_destroy);
  send_to (sender, port, 1);
  g_mutex_lock (&g.lock);
  while (!g.entered)
    g_assert_true (g_cond_wait_until (&g.cond, &g.lock, end));
  g_mutex_unlock (&g.lock);
  /* the callback is blocked: the remover must wait for it */
  t = g_thread_new ("remover", remove_thread, &g);
  /* (time for a remove that does not wait to return, wrongly) */
  g_usleep (100 * 1000);
  g_mutex_lock (&g.lock);
  g_assert_false (g.destroyed);
  g.open = TRUE;
  g_cond_broadcast (&g.cond);
  g_mutex_unlock (&g.lock);
  g_thread_join (t);
  g_assert_true (g.left_when_removed);
  g_assert_true (g.destroyed_when_removed);
  g_mutex_clear (&g.lock);
  g_cond_clear (&g.cond);
}

/* A watch removing itself from its callback: no deadlock, destroy runs
 * once the callback returned, not during it. */
static void
test_remove_from_own_callback (void)
{
  g_autoptr (McuRtpIo) io = mcu_rtp_io_new ();
  guint port, sender_port;
  g_autoptr (GSocket) sock = udp_socket (&port);
  g_autoptr (GSocket) sender = udp_socket (&sender_port);
  gint64 end = g_get_monotonic_time () + WAIT_US;
  Gate g = { 0 };

  g_mutex_init (&g.lock);
  g_cond_init (&g.cond);
  g.io = io;
  g.remove_itself = TRUE;
  g.watch = mcu_rtp_io_add (io, sock, on_gated_packets, &g, on_gate_destroy);
  send_to (sender, port, 1);
  g_mutex_lock (&g.lock);
  while (!g.destroyed)
    g_assert_true (g_cond_wait_until (&g.cond, &g.lock, end));
  g_assert_true (g.entered);
  g_assert_false (g.destroyed_when_removed);
  g_mutex_unlock (&g.lock);
  g_assert_cmpuint (mcu_rtp_io_get_n_watches (io), ==, 0);
  g_mutex_clear (&g.lock);
  g_cond_clear (&g.cond);
}

typedef struct
{
  GMutex lock;
  GCond cond;
  McuRtpIo *io;
  guint fired[4];
  GstClockTime late[4]; /* how late each first fired */
  GstClockTime at[4];
  guint order[16];
  guint n_order;
  guint repeat_count;
  gboolean repeat_after_remove;
  gboolean repeat_removed;
  guint destroyed;
} Timers;

typedef struct
{
  Timers *t;
  guint index;
} TimerArg;

static GstClockTime
on_timer (gpointer data, GstClockTime now)
{
  TimerArg *a = data;
  Timers *t = a->t;

  g_mutex_lock (&t->lock);
  if (t->fired[a->index]++ == 0)
    t->late[a->index] = now - t->at[a->index];
  if (t->n_order < G_N_ELEMENTS (t->order))
    t->order[t->n_order++] = a->index;
  g_cond_broadcast (&t->cond);
  g_mutex_unlock (&t->lock);
  return GST_CLOCK_TIME_NONE;
}

static GstClockTime
on_repeat (gpointer data, GstClockTime now)
{
  Timers *t = data;

  g_mutex_lock (&t->lock);
  if (t->repeat_removed)
    t->repeat_after_remove = TRUE;
  t->repeat_count++;
  g_cond_broadcast (&t->cond);
  g_mutex_unlock (&t->lock);
  return now + 5 * GST_MSECOND;
}

static void
on_timer_destroy (gpointer data)
{
  Timers *t = data;

  g_mutex_lock (&t->lock);
  t->destroyed++;
  g_mutex_unlock (&t->lock);
}

/* Three one-shot timers fire in time order; a timer far away does not hold
 * back one added later for sooner (the thread is woken); a repeating timer
 * repeats and stops with its remove. */
static void
test_timers (void)
{
  g_autoptr (McuRtpIo) io = mcu_rtp_io_new ();
  Timers t = { 0 };
  TimerArg args[4];
  McuRtpIoTimer *timers[4], *repeat;
  GstClockTime now = mcu_rtp_io_now (io);
  const guint ms[4] = { 60 * 1000, 30, 90, 60 };
  gint64 end = g_get_monotonic_time () + WAIT_US;
  guint count;

  g_mutex_init (&t.lock);
  g_cond_init (&t.cond);
  /* the far one first: the thread then sleeps up to a minute */
  for (guint i = 0; i < 4; i++) {
    args[i].t = &t;
    args[i].index = i;
    t.at[i] = now + ms[i] * GST_MSECOND;
    timers[i] = mcu_rtp_io_add_timer (io, t.at[i], on_timer, &args[i], NULL);
  }
  g_mutex_lock (&t.lock);
  while (t.fired[2] == 0)
    g_assert_true (g_cond_wait_until (&t.cond, &t.lock, end));
  g_assert_cmpuint (t.n_order, ==, 3);
  g_assert_cmpuint (t.order[0], ==, 1);
  g_assert_cmpuint (t.order[1], ==, 3);
  g_assert_cmpuint (t.order[2], ==, 2);
  g_assert_cmpuint (t.fired[0], ==, 0);
  for (guint i = 1; i < 4; i++) {
    g_assert_cmpuint (t.fired[i], ==, 1);
    /* never early; late by the millisecond rounding and the load only */
    g_assert_cmpuint (t.late[i], <, 2 * GST_SECOND);
  }
  g_mutex_unlock (&t.lock);
  for (guint i = 0; i < 4; i++)
    mcu_rtp_io_remove_timer (io, timers[i]);

  repeat = mcu_rtp_io_add_timer (
      io, mcu_rtp_io_now (io), on_repeat, &t, on_timer_destroy);
  g_mutex_lock (&t.lock);
  while (t.repeat_count < 10)
    g_assert_true (g_cond_wait_until (&t.cond, &t.lock, end));
  g_mutex_unlock (&t.lock);
  mcu_rtp_io_remove_timer (io, repeat);
  g_mutex_lock (&t.lock);
  g_assert_cmpuint (t.destroyed, ==, 1);
  t.repeat_removed = TRUE;
  count = t.repeat_count;
  g_mutex_unlock (&t.lock);
  /* (a removed timer that still ran would show within these 50 ms) */
  g_usleep (50 * 1000);
  g_mutex_lock (&t.lock);
  g_assert_false (t.repeat_after_remove);
  g_assert_cmpuint (t.repeat_count, ==, count);
  g_mutex_unlock (&t.lock);
  g_mutex_clear (&t.lock);
  g_cond_clear (&t.cond);
}

/* A datagram of no bytes (anyone may send one to a media port) is not
 * passed on, costs no warning (criticals are fatal here), and the watch
 * goes on with what follows. */
static void
test_empty_datagram (void)
{
  g_autoptr (McuRtpIo) io = mcu_rtp_io_new ();
  g_autoptr (GSocket) sock = NULL;
  g_autoptr (GSocket) sender = NULL;
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) to = NULL;
  McuRtpIoWatch *watch;
  guint port;
  Shared s;

  shared_init (&s);
  sock = udp_socket (&port);
  sender = udp_socket (&s.sender_port);
  to = g_inet_socket_address_new (lo, port);
  watch = mcu_rtp_io_add (io, sock, on_packets, &s.w[0], NULL);
  g_assert_nonnull (watch);
  g_assert_cmpint (g_socket_send_to (sender, to, "", 0, NULL, NULL), ==, 0);
  send_to (sender, port, 1);
  g_mutex_lock (&s.lock);
  g_assert_true (wait_total (&s, 1));
  g_mutex_unlock (&s.lock);
  mcu_rtp_io_remove (io, watch);
  g_assert_cmpuint (s.w[0].received, ==, 1);
  shared_clear (&s);
}

typedef struct
{
  GMutex lock;
  GCond cond;
  GPtrArray *taken; /* lock: GstBuffer */
  guint seen;       /* lock */
  gboolean shared;  /* lock: a buffer came with another reference */
} Taker;

/* Takes every other datagram, leaves the others to the I/O thread. */
static void
on_take_packets (gpointer data, GSocket *socket, GstBuffer **bufs,
    GSocketAddress *const *from, guint n, GstClockTime arrival)
{
  Taker *t = data;

  g_mutex_lock (&t->lock);
  for (guint i = 0; i < n; i++) {
    /* the I/O thread's reference is the only one: taking it, the
     * callback is the buffer's and the bytes' only owner */
    if (!gst_buffer_is_writable (bufs[i]) ||
        !gst_buffer_is_all_memory_writable (bufs[i]))
      t->shared = TRUE;
    if (t->seen++ % 2 == 0)
      g_ptr_array_add (t->taken, g_steal_pointer (&bufs[i]));
  }
  g_cond_broadcast (&t->cond);
  g_mutex_unlock (&t->lock);
}

/* A buffer the callback takes is its own: the only reference to it and to
 * its bytes (writing into it copies nothing); the ones it leaves are freed
 * by the I/O thread (the ASan build would report a leak). */
static void
test_callback_takes_buffers (void)
{
  g_autoptr (McuRtpIo) io = mcu_rtp_io_new ();
  g_autoptr (GSocket) sock = NULL;
  g_autoptr (GSocket) sender = NULL;
  McuRtpIoWatch *watch;
  guint port, sender_port;
  gint64 end = g_get_monotonic_time () + WAIT_US;
  Taker t = { .taken = g_ptr_array_new_with_free_func (
                  (GDestroyNotify)gst_buffer_unref) };

  g_mutex_init (&t.lock);
  g_cond_init (&t.cond);
  sock = udp_socket (&port);
  sender = udp_socket (&sender_port);
  for (guint32 v = 0; v < 10; v++)
    send_to (sender, port, v);
  watch = mcu_rtp_io_add (io, sock, on_take_packets, &t, NULL);
  g_assert_nonnull (watch);
  g_mutex_lock (&t.lock);
  while (t.seen < 10)
    g_assert_true (g_cond_wait_until (&t.cond, &t.lock, end));
  g_mutex_unlock (&t.lock);
  mcu_rtp_io_remove (io, watch);
  g_assert_false (t.shared);
  g_assert_cmpuint (t.taken->len, >=, 5);
  for (guint i = 0; i < t.taken->len; i++) {
    GstBuffer *buf = g_ptr_array_index (t.taken, i);
    GstMapInfo map;

    g_assert_true (gst_buffer_is_writable (buf));
    g_assert_true (gst_buffer_is_all_memory_writable (buf));
    g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READWRITE));
    map.data[0] ^= 0xff;
    gst_buffer_unmap (buf, &map);
    g_assert_cmpuint (gst_buffer_n_memory (buf), ==, 1);
  }
  g_ptr_array_unref (t.taken);
  g_mutex_clear (&t.lock);
  g_cond_clear (&t.cond);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mixer/rtp-io/many-sockets-one-thread", test_many_sockets);
  g_test_add_func (
      "/mixer/rtp-io/remove-under-traffic", test_remove_under_traffic);
  g_test_add_func ("/mixer/rtp-io/remove-waits-for-callback",
      test_remove_waits_for_callback);
  g_test_add_func (
      "/mixer/rtp-io/remove-from-own-callback", test_remove_from_own_callback);
  g_test_add_func ("/mixer/rtp-io/timers", test_timers);
  g_test_add_func ("/mixer/rtp-io/empty-datagram", test_empty_datagram);
  g_test_add_func (
      "/mixer/rtp-io/callback-takes-buffers", test_callback_takes_buffers);
  return g_test_run ();
}
