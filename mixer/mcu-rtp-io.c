/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the process's one RTP receive thread, see mcu-rtp-io.h.
 *
 * Threads:
 * - The I/O thread (io_thread): epoll_wait over the watched sockets and an
 *   eventfd, recvmmsg on each ready socket, the watch callbacks, the due
 *   timers. It holds `lock` only to look a watch or timer up and to mark it
 *   busy (in_flight, running); never while calling back or reading.
 * - Any other thread: add and remove watches and timers (under `lock`).
 *   mcu_rtp_io_remove takes the socket out of epoll and the table at once,
 *   then waits on `cond` while a callback for that watch is in flight; the
 *   I/O thread signals `cond` when such a callback returns. So a remove
 *   waits for its own watch only, never for the others' callbacks.
 * One lock, `lock`; nothing else is taken with it held (epoll_ctl and the
 *   eventfd write are system calls that do not block).
 *
 * Epoll entries carry the watch's id, not its pointer: a watch removed
 * after epoll_wait returned its event is then simply not found. The eventfd
 * (id 0) wakes the thread when the earliest timer changes or on stop;
 * adding or removing a socket needs no wake-up (epoll_ctl applies to a
 * running epoll_wait).
 *
 * Arrival times are the kernel's (SO_TIMESTAMPNS), moved onto the system
 * clock: a packet that waited in the socket while the thread served others
 * keeps the time it came (jitter is the network's, not ours).
 *
 * Datagrams are read into MCU_RTP_IO_BATCH slots of the largest UDP size,
 * owned by the thread (its pages are only touched as far as datagrams
 * reach), and copied once into buffers of their own size, which the
 * callback may take (no second buffer or copy downstream). Senders' addresses
 * are kept per watch: a new GSocketAddress only when the source changes. */
#define _GNU_SOURCE /* recvmmsg */
#include "mcu-rtp-io.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOT_SIZE  65536 /* the largest UDP payload fits */
#define MAX_EVENTS 64
/* A kernel receive stamp older than this is a real-time clock step. */
#define MAX_AGE (10 * GST_SECOND)

struct _McuRtpIoWatch
{
  guint64 id;
  GSocket *socket; /* (owned) */
  gint fd;
  McuRtpIoFunc func;
  gpointer data;
  GDestroyNotify destroy;
  guint in_flight;       /* lock: callbacks running (0 or 1) */
  gboolean removed;      /* lock */
  gboolean free_on_idle; /* lock: removed from its own callback */
  /* the I/O thread only: the last sender, reused while it stays the same */
  struct sockaddr_storage last_sa;
  socklen_t last_len;
  GSocketAddress *last_from;
};

struct _McuRtpIoTimer
{
  guint64 id;
  GstClockTime at;
  McuRtpIoTimerFunc func;
  gpointer data;
  GDestroyNotify destroy;
  GSequenceIter *iter;   /* lock: (nullable) in `timers` while scheduled */
  gboolean running;      /* lock */
  gboolean removed;      /* lock */
  gboolean free_on_idle; /* lock */
};

struct _McuRtpIo
{
  GObject parent_instance;

  GstClock *clock; /* the system clock */
  GMutex lock;     /* protects everything below */
  GCond cond;      /* a callback or timer returned that a remover waits for */
  GThread *thread; /* (nullable) started with the first watch or timer */
  gboolean stopping;
  gint epfd;           /* -1 until the thread starts */
  gint wakefd;         /* eventfd, -1 until the thread starts */
  guint64 next_id;     /* ids of watches and timers; 0 is the eventfd */
  GHashTable *watches; /* id (guint64 *) -> McuRtpIoWatch */
  GSequence *timers;   /* McuRtpIoTimer, soonest first */
};

G_DEFINE_FINAL_TYPE (McuRtpIo, mcu_rtp_io, G_TYPE_OBJECT)

static void
watch_free (McuRtpIoWatch *w)
{
  if (w->destroy)
    w->destroy (w->data);
  g_clear_object (&w->last_from);
  g_object_unref (w->socket);
  g_free (w);
}

static void
timer_free (McuRtpIoTimer *t)
{
  if (t->destroy)
    t->destroy (t->data);
  g_free (t);
}

static gint
timer_compare (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const McuRtpIoTimer *ta = a, *tb = b;

  if (ta->at != tb->at)
    return ta->at < tb->at ? -1 : 1;
  return ta->id < tb->id ? -1 : ta->id > tb->id;
}

static void
wake (McuRtpIo *self)
{
  guint64 one = 1;

  if (self->wakefd >= 0 && write (self->wakefd, &one, sizeof one) < 0 &&
      errno != EAGAIN)
    g_warning ("RTP I/O: cannot wake the I/O thread: %s", g_strerror (errno));
}

static gboolean
on_io_thread (McuRtpIo *self)
{
  return self->thread != NULL && g_thread_self () == self->thread;
}

/* ---- the I/O thread ---- */

typedef struct
{
  struct mmsghdr msgs[MCU_RTP_IO_BATCH];
  struct iovec iov[MCU_RTP_IO_BATCH];
  struct sockaddr_storage names[MCU_RTP_IO_BATCH];
  union
  {
    gchar buf[CMSG_SPACE (sizeof (struct timespec))];
    struct cmsghdr align;
  } control[MCU_RTP_IO_BATCH];
  GstBuffer *bufs[MCU_RTP_IO_BATCH];
  GSocketAddress *from[MCU_RTP_IO_BATCH];
  guint8 *slots; /* MCU_RTP_IO_BATCH * SLOT_SIZE */
} IoBatch;

static GSocketAddress *
sender (McuRtpIoWatch *w, const struct sockaddr_storage *sa, socklen_t len)
{
  if (w->last_from == NULL || len != w->last_len ||
      memcmp (sa, &w->last_sa, len) != 0) {
    g_clear_object (&w->last_from);
    w->last_from = g_socket_address_new_from_native ((gpointer)sa, len);
    memcpy (&w->last_sa, sa, len);
    w->last_len = len;
  }
  return w->last_from ? g_object_ref (w->last_from) : NULL;
}

/* When the kernel took the datagram of @msg in (SO_TIMESTAMPNS, on the
 * real-time clock) on our clock: @now (our clock) less its age at
 * @now_real (real time, ns). @now when there is no stamp or it is not
 * plausible (the real-time clock stepped). */
static GstClockTime
kernel_arrival (struct msghdr *msg, GstClockTime now, gint64 now_real)
{
  for (struct cmsghdr *c = CMSG_FIRSTHDR (msg); c; c = CMSG_NXTHDR (msg, c)) {
    struct timespec ts;
    gint64 age;

    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
      continue;
    memcpy (&ts, CMSG_DATA (c), sizeof ts);
    age = now_real - ((gint64)ts.tv_sec * GST_SECOND + ts.tv_nsec);
    if (age >= 0 && age < (gint64)MAX_AGE && (GstClockTime)age <= now)
      return now - age;
  }
  return now;
}

/* Our clock's now and the real-time clock's (ns) at one instant, for
 * kernel_arrival. Read one after the other, an interrupt or a preemption
 * between the two reads dates a whole batch early by its length, before
 * the previous batch's last packets (test-rtp-io's many-sockets beside
 * another test: 2.1 us back): the real-time clock is read on both sides of
 * ours, up to four times until the two reads are within 1 us (about 60 ns
 * apart here), and the closest bracket is taken at its middle. */
static void
clock_pair (McuRtpIo *self, GstClockTime *now, gint64 *now_real)
{
  gint64 best = G_MAXINT64;

  for (guint i = 0; i < 4 && best > (gint64)GST_USECOND; i++) {
    struct timespec r1, r2;
    GstClockTime t;
    gint64 a, b;

    clock_gettime (CLOCK_REALTIME, &r1);
    t = gst_clock_get_time (self->clock);
    clock_gettime (CLOCK_REALTIME, &r2);
    a = (gint64)r1.tv_sec * GST_SECOND + r1.tv_nsec;
    b = (gint64)r2.tv_sec * GST_SECOND + r2.tv_nsec;
    if (b - a < best) {
      best = b - a;
      *now = t;
      *now_real = a + (b - a) / 2;
    }
  }
}

/* One recvmmsg on @w's socket and its callback (no lock held). */
static void
read_batch (McuRtpIo *self, McuRtpIoWatch *w, IoBatch *b)
{
  GstClockTime now = 0;
  gint64 now_real = 0;
  guint n = 0;
  gint got;

  for (guint i = 0; i < MCU_RTP_IO_BATCH; i++) {
    b->iov[i].iov_base = b->slots + (gsize)i * SLOT_SIZE;
    b->iov[i].iov_len = SLOT_SIZE;
    memset (&b->msgs[i].msg_hdr, 0, sizeof b->msgs[i].msg_hdr);
    b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
    b->msgs[i].msg_hdr.msg_iovlen = 1;
    b->msgs[i].msg_hdr.msg_name = &b->names[i];
    b->msgs[i].msg_hdr.msg_namelen = sizeof b->names[i];
    b->msgs[i].msg_hdr.msg_control = b->control[i].buf;
    b->msgs[i].msg_hdr.msg_controllen = sizeof b->control[i].buf;
  }
  got = recvmmsg (w->fd, b->msgs, MCU_RTP_IO_BATCH, MSG_DONTWAIT, NULL);
  if (got <= 0) {
    /* EAGAIN: another reader (none) or a bad checksum; a pending socket
     * error (ICMP) is returned and cleared by this call */
    if (got < 0 && errno != EAGAIN && errno != EINTR)
      g_debug ("RTP I/O: recvmmsg: %s", g_strerror (errno));
    return;
  }
  clock_pair (self, &now, &now_real);
  for (gint i = 0; i < got; i++) {
    GSocketAddress *from;

    /* (an empty datagram is nothing to pass on, and no GstMemory) */
    if ((b->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) || b->msgs[i].msg_len == 0)
      continue;
    from = sender (w, &b->names[i], b->msgs[i].msg_hdr.msg_namelen);
    if (from == NULL)
      continue;
    b->bufs[n] = gst_buffer_new_memdup (b->iov[i].iov_base, b->msgs[i].msg_len);
    GST_BUFFER_DTS (b->bufs[n]) =
        kernel_arrival (&b->msgs[i].msg_hdr, now, now_real);
    b->from[n++] = from;
  }
  if (n > 0)
    w->func (
        w->data, w->socket, b->bufs, b->from, n, GST_BUFFER_DTS (b->bufs[0]));
  for (guint i = 0; i < n; i++) {
    /* (NULL: taken by the callback) */
    gst_clear_buffer (&b->bufs[i]);
    g_object_unref (b->from[i]);
  }
}

/* Runs @w's callback for what is waiting on its socket (lock held, and
 * held again on return). */
static void
dispatch_watch (McuRtpIo *self, McuRtpIoWatch *w, IoBatch *b)
{
  gboolean free_it;

  w->in_flight++;
  g_mutex_unlock (&self->lock);
  read_batch (self, w, b);
  g_mutex_lock (&self->lock);
  w->in_flight--;
  if (!w->removed)
    return;
  free_it = w->free_on_idle;
  g_cond_broadcast (&self->cond);
  if (free_it) {
    g_mutex_unlock (&self->lock);
    watch_free (w);
    g_mutex_lock (&self->lock);
  }
}

/* Runs the timers due at @now (lock held, and held again on return). A
 * timer that asks for a time already past runs on the next round, after the
 * sockets. */
static void
run_timers (McuRtpIo *self, GstClockTime now)
{
  GPtrArray *due = NULL;

  while (g_sequence_get_length (self->timers) > 0) {
    GSequenceIter *it = g_sequence_get_begin_iter (self->timers);
    McuRtpIoTimer *t = g_sequence_get (it);

    if (t->at > now)
      break;
    g_sequence_remove (it);
    t->iter = NULL;
    t->running = TRUE;
    if (due == NULL)
      due = g_ptr_array_new ();
    g_ptr_array_add (due, t);
  }
  for (guint i = 0; due && i < due->len; i++) {
    McuRtpIoTimer *t = g_ptr_array_index (due, i);
    GstClockTime next = GST_CLOCK_TIME_NONE;

    if (!t->removed) { /* (by an earlier one of these) */
      g_mutex_unlock (&self->lock);
      next = t->func (t->data, now);
      g_mutex_lock (&self->lock);
    }
    t->running = FALSE;
    if (t->removed) {
      g_cond_broadcast (&self->cond);
      if (t->free_on_idle) {
        g_mutex_unlock (&self->lock);
        timer_free (t);
        g_mutex_lock (&self->lock);
      }
    } else if (GST_CLOCK_TIME_IS_VALID (next)) {
      t->at = next;
      t->iter = g_sequence_insert_sorted (self->timers, t, timer_compare, NULL);
    }
  }
  if (due)
    g_ptr_array_free (due, TRUE);
}

/* epoll_wait's timeout: until the soonest timer, rounded up to a
 * millisecond (lock held). */
static gint
poll_timeout (McuRtpIo *self, GstClockTime now)
{
  McuRtpIoTimer *t;
  GstClockTime wait;

  if (g_sequence_get_length (self->timers) == 0)
    return -1;
  t = g_sequence_get (g_sequence_get_begin_iter (self->timers));
  if (t->at <= now)
    return 0;
  wait = (t->at - now + GST_MSECOND - 1) / GST_MSECOND;
  return (gint)MIN (wait, (GstClockTime)G_MAXINT);
}

static gpointer
io_thread (gpointer user_data)
{
  McuRtpIo *self = user_data;
  struct epoll_event events[MAX_EVENTS];
  IoBatch *b = g_new0 (IoBatch, 1);

  b->slots = g_malloc ((gsize)MCU_RTP_IO_BATCH * SLOT_SIZE);
  g_mutex_lock (&self->lock);
  while (!self->stopping) {
    gint timeout = poll_timeout (self, gst_clock_get_time (self->clock));
    gint n;

    g_mutex_unlock (&self->lock);
    n = epoll_wait (self->epfd, events, MAX_EVENTS, timeout);
    if (n < 0 && errno != EINTR)
      g_warning ("RTP I/O: epoll_wait: %s", g_strerror (errno));
    g_mutex_lock (&self->lock);
    for (gint i = 0; i < n && !self->stopping; i++) {
      guint64 id = events[i].data.u64;
      McuRtpIoWatch *w;

      if (id == 0) {
        guint64 count;

        if (read (self->wakefd, &count, sizeof count) < 0 && errno != EAGAIN)
          g_warning ("RTP I/O: eventfd: %s", g_strerror (errno));
        continue;
      }
      w = g_hash_table_lookup (self->watches, &id);
      if (w != NULL)
        dispatch_watch (self, w, b);
    }
    if (!self->stopping)
      run_timers (self, gst_clock_get_time (self->clock));
  }
  g_mutex_unlock (&self->lock);
  g_free (b->slots);
  g_free (b);
  return NULL;
}

/* The thread, its epoll and eventfd (lock held). */
static gboolean
ensure_started (McuRtpIo *self)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };
  g_autoptr (GError) error = NULL;

  if (self->thread)
    return TRUE;
  if (self->epfd < 0 && (self->epfd = epoll_create1 (EPOLL_CLOEXEC)) < 0) {
    g_warning ("RTP I/O: epoll_create1: %s", g_strerror (errno));
    return FALSE;
  }
  if (self->wakefd < 0) {
    self->wakefd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (self->wakefd < 0 ||
        epoll_ctl (self->epfd, EPOLL_CTL_ADD, self->wakefd, &ev) < 0) {
      g_warning ("RTP I/O: eventfd: %s", g_strerror (errno));
      if (self->wakefd >= 0)
        close (self->wakefd);
      self->wakefd = -1;
      return FALSE;
    }
  }
  self->thread = g_thread_try_new ("mcu-rtp-io", io_thread, self, &error);
  if (self->thread == NULL) {
    g_warning ("RTP I/O: cannot start its thread: %s", error->message);
    return FALSE;
  }
  return TRUE;
}

/* ---- the object ---- */

static void
mcu_rtp_io_dispose (GObject *object)
{
  McuRtpIo *self = MCU_RTP_IO (object);
  GHashTableIter iter;
  gpointer w;

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  wake (self);
  g_mutex_unlock (&self->lock);
  if (self->thread) {
    g_thread_join (self->thread);
    self->thread = NULL;
  }
  /* Owners remove their watches before the last ref goes: these are
   * leftovers (their callbacks cannot run any more). */
  g_hash_table_iter_init (&iter, self->watches);
  while (g_hash_table_iter_next (&iter, NULL, &w)) {
    g_warning ("RTP I/O: a socket was still watched at shutdown");
    g_hash_table_iter_remove (&iter);
    watch_free (w);
  }
  while (g_sequence_get_length (self->timers) > 0) {
    GSequenceIter *it = g_sequence_get_begin_iter (self->timers);

    timer_free (g_sequence_get (it));
    g_sequence_remove (it);
  }
  G_OBJECT_CLASS (mcu_rtp_io_parent_class)->dispose (object);
}

static void
mcu_rtp_io_finalize (GObject *object)
{
  McuRtpIo *self = MCU_RTP_IO (object);

  if (self->wakefd >= 0)
    close (self->wakefd);
  if (self->epfd >= 0)
    close (self->epfd);
  g_hash_table_unref (self->watches);
  g_sequence_free (self->timers);
  gst_object_unref (self->clock);
  g_cond_clear (&self->cond);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (mcu_rtp_io_parent_class)->finalize (object);
}

static void
mcu_rtp_io_class_init (McuRtpIoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_rtp_io_dispose;
  object_class->finalize = mcu_rtp_io_finalize;
}

static void
mcu_rtp_io_init (McuRtpIo *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->clock = gst_system_clock_obtain ();
  self->epfd = self->wakefd = -1;
  self->next_id = 1;
  self->watches = g_hash_table_new (g_int64_hash, g_int64_equal);
  self->timers = g_sequence_new (NULL);
}

McuRtpIo *
mcu_rtp_io_new (void)
{
  return g_object_new (MCU_TYPE_RTP_IO, NULL);
}

GstClockTime
mcu_rtp_io_now (McuRtpIo *self)
{
  return gst_clock_get_time (self->clock);
}

guint
mcu_rtp_io_get_n_watches (McuRtpIo *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = g_hash_table_size (self->watches);
  g_mutex_unlock (&self->lock);
  return n;
}

McuRtpIoWatch *
mcu_rtp_io_add (McuRtpIo *self, GSocket *socket, McuRtpIoFunc func,
    gpointer data, GDestroyNotify destroy)
{
  struct epoll_event ev = { .events = EPOLLIN };
  McuRtpIoWatch *w;

  g_return_val_if_fail (MCU_IS_RTP_IO (self), NULL);
  g_return_val_if_fail (G_IS_SOCKET (socket) && func != NULL, NULL);

  w = g_new0 (McuRtpIoWatch, 1);
  w->socket = g_object_ref (socket);
  w->fd = g_socket_get_fd (socket);
  /* the kernel stamps each datagram as it comes in: arrival times do not
   * depend on when this thread gets to the socket */
  if (setsockopt (
          w->fd, SOL_SOCKET, SO_TIMESTAMPNS, &(int){ 1 }, sizeof (int)) < 0)
    g_debug ("RTP I/O: no receive time stamps: %s", g_strerror (errno));
  w->func = func;
  w->data = data;
  w->destroy = destroy;
  g_mutex_lock (&self->lock);
  w->id = self->next_id++;
  ev.data.u64 = w->id;
  if (self->stopping || !ensure_started (self) ||
      epoll_ctl (self->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0) {
    g_warning ("RTP I/O: cannot watch socket %d: %s", w->fd,
        self->stopping ? "shutting down" : g_strerror (errno));
    g_mutex_unlock (&self->lock);
    w->destroy = NULL; /* the caller keeps @data */
    watch_free (w);
    return NULL;
  }
  g_hash_table_insert (self->watches, &w->id, w);
  g_mutex_unlock (&self->lock);
  return w;
}

void
mcu_rtp_io_remove (McuRtpIo *self, McuRtpIoWatch *w)
{
  gboolean later;

  g_return_if_fail (MCU_IS_RTP_IO (self));
  if (w == NULL)
    return;
  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->watches, &w->id);
  if (self->epfd >= 0 && epoll_ctl (self->epfd, EPOLL_CTL_DEL, w->fd, NULL) < 0)
    g_warning (
        "RTP I/O: socket %d was closed before its watch was removed", w->fd);
  w->removed = TRUE;
  /* From its own callback: freed by the I/O thread when it returns. */
  later = w->in_flight > 0 && on_io_thread (self);
  w->free_on_idle = later;
  while (!later && w->in_flight > 0)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
  if (!later)
    watch_free (w);
}

McuRtpIoTimer *
mcu_rtp_io_add_timer (McuRtpIo *self, GstClockTime at, McuRtpIoTimerFunc func,
    gpointer data, GDestroyNotify destroy)
{
  McuRtpIoTimer *t;
  gboolean first;

  g_return_val_if_fail (MCU_IS_RTP_IO (self), NULL);
  g_return_val_if_fail (GST_CLOCK_TIME_IS_VALID (at) && func != NULL, NULL);

  t = g_new0 (McuRtpIoTimer, 1);
  t->at = at;
  t->func = func;
  t->data = data;
  t->destroy = destroy;
  g_mutex_lock (&self->lock);
  if (self->stopping || !ensure_started (self)) {
    g_mutex_unlock (&self->lock);
    g_free (t);
    return NULL;
  }
  t->id = self->next_id++;
  t->iter = g_sequence_insert_sorted (self->timers, t, timer_compare, NULL);
  first = g_sequence_iter_is_begin (t->iter);
  /* the I/O thread sleeps until the soonest timer it knew of */
  if (first && !on_io_thread (self))
    wake (self);
  g_mutex_unlock (&self->lock);
  return t;
}

void
mcu_rtp_io_remove_timer (McuRtpIo *self, McuRtpIoTimer *t)
{
  gboolean later;

  g_return_if_fail (MCU_IS_RTP_IO (self));
  if (t == NULL)
    return;
  g_mutex_lock (&self->lock);
  if (t->iter) {
    g_sequence_remove (t->iter);
    t->iter = NULL;
  }
  t->removed = TRUE;
  later = t->running && on_io_thread (self);
  t->free_on_idle = later;
  while (!later && t->running)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
  if (!later)
    timer_free (t);
}
