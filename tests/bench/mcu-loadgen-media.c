/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mcu-loadgen media: pre-encoded Opus tones or speech (--load; Opus-encoded
 * digital silence for the callers beyond --talkers) looped as RTP for every
 * caller, and the receive statistics. Everything is encoded once at start-up
 * and replayed from memory: the load generator sends, it does not encode.
 *
 * Threads: mcu_loadgen_media_new/start/stop/free run on the main thread. The
 * media thread (media_thread_run) owns a timerfd (20 ms / slots, absolute
 * schedule, so no drift) and one epoll over the timer and every caller's RTP
 * and RTCP socket; on each tick it sends one packet for every caller of that
 * tick's slot whose atomic `sending` is set, and it drains whatever sockets are
 * readable. It reads the window bounds through atomics. */
#include "mcu-loadgen.h"
#include "mcu-speech-source.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <opus.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define SAMPLE_RATE     48000
#define FRAME_SAMPLES   960
#define OPUS_BITRATE    32000
#define MAX_PACKET      1500
#define MAX_BURST       5 /* at most this many frames per caller per wakeup */
#define TONE_AMPLITUDE  0.3
#define TONE_LEVEL_DBOV 10 /* -dBov of TONE_AMPLITUDE's sine, about */
#define LEVEL_EXT       8  /* the RTP header extension with one level */
#define LEVEL_VOICE     0x80
/* A speech frame at least this loud (-dBov) is voice (V=1): the pauses are
 * digital silence, the quietest word edges about -60 dBov. */
#define SPEECH_VAD_DBOV 55

/* One looped signal, encoded: packets and the RFC 6464 byte of each. */
typedef struct
{
  guint frames;
  guint8 **data;
  guint16 *len;
  guint8 *level; /* V bit | -dBov */
} McuLoadgenClip;

typedef struct
{
  gint64 mono;
  gint64 real;
} McuLoadgenClock;

struct McuLoadgenMedia
{
  McuLoadgenCaller *callers;
  guint n;
  /* MCU_LOADGEN_N_TONES tones, MCU_LOADGEN_SILENCE, MCU_LOADGEN_SPEECH */
  McuLoadgenClip clips[MCU_LOADGEN_N_CLIPS];
  int epoll_fd;
  int timer_fd;
  GThread *thread;
  atomic_int stop;
  atomic_llong win_start_ns; /* 0 = not measuring yet */
  atomic_llong win_end_ns;   /* 0 = open */
  guint slots;               /* timer ticks per 20 ms frame */
  guint64 tick;              /* media thread */
  guint64 late_ticks;        /* media thread until joined */
  int nice_value;            /* set by the thread itself; 0 = unchanged */
};

/* Integer frequencies: 1 s holds whole periods, so the loop is seamless. */
static const guint tone_hz[MCU_LOADGEN_N_TONES + 1] = { 440, 523, 659, 784, 880,
  988, 1175, 1319, 0 /* MCU_LOADGEN_SILENCE: zeros */ };

gint64
mcu_loadgen_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64)ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static void
clip_alloc (McuLoadgenClip *clip, guint frames)
{
  clip->frames = frames;
  clip->data = g_new0 (guint8 *, frames);
  clip->len = g_new0 (guint16, frames);
  clip->level = g_new0 (guint8, frames);
}

static void
clip_clear (McuLoadgenClip *clip)
{
  for (guint f = 0; f < clip->frames && clip->data; f++)
    g_free (clip->data[f]);
  g_clear_pointer (&clip->data, g_free);
  g_clear_pointer (&clip->len, g_free);
  g_clear_pointer (&clip->level, g_free);
  clip->frames = 0;
}

/* Encodes @pcm (@clip->frames frames, looped) twice and keeps the second
 * pass: the encoder has settled, and the loop point continues the signal as
 * the encoder saw it. Same settings for tones and speech, as a phone's
 * (48 kHz VOIP, 32 kbit/s VBR, libopus's default complexity), so the two
 * loads differ only in the signal. */
static gboolean
clip_encode (McuLoadgenClip *clip, const opus_int16 *pcm, GError **error)
{
  int err = 0;
  OpusEncoder *enc =
      opus_encoder_create (SAMPLE_RATE, 1, OPUS_APPLICATION_VOIP, &err);
  guint8 packet[MAX_PACKET];

  if (enc == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "opus_encoder_create: %s", opus_strerror (err));
    return FALSE;
  }
  opus_encoder_ctl (enc, OPUS_SET_BITRATE (OPUS_BITRATE));
  for (guint f = 0; f < 2 * clip->frames; f++) {
    guint k = f % clip->frames;
    opus_int32 len = opus_encode (
        enc, pcm + k * FRAME_SAMPLES, FRAME_SAMPLES, packet, sizeof packet);

    if (len < 0) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "opus_encode: %s",
          opus_strerror (len));
      opus_encoder_destroy (enc);
      return FALSE;
    }
    if (f >= clip->frames) {
      clip->data[k] = g_memdup2 (packet, len);
      clip->len[k] = len;
    }
  }
  opus_encoder_destroy (enc);
  return TRUE;
}

/* 1 s of a sine (0 Hz: digital silence); integer frequencies, so the loop
 * is seamless. Its level as the "microphone" hears it. */
static gboolean
tone_encode (McuLoadgenClip *clip, guint hz, GError **error)
{
  g_autofree opus_int16 *pcm =
      g_new (opus_int16, MCU_LOADGEN_TONE_FRAMES * FRAME_SAMPLES);

  clip_alloc (clip, MCU_LOADGEN_TONE_FRAMES);
  for (guint i = 0; i < MCU_LOADGEN_TONE_FRAMES * FRAME_SAMPLES; i++)
    pcm[i] = (opus_int16)(TONE_AMPLITUDE * 32767 *
                          sin (2 * M_PI * hz * (double)i / SAMPLE_RATE));
  for (guint f = 0; f < clip->frames; f++)
    clip->level[f] = hz ? LEVEL_VOICE | TONE_LEVEL_DBOV : 127;
  return clip_encode (clip, pcm, error);
}

/* The speech of mcu-speech-source.h (the prompts of @dir with pauses), and
 * each frame's RFC 6464 byte computed from its audio: V=0 in the pauses, as
 * a phone's VAD would say. */
static gboolean
speech_encode (McuLoadgenClip *clip, const gchar *dir, GError **error)
{
  McuSpeech speech;
  char err[512];
  gboolean ok;

  if (mcu_speech_load (dir, &speech, err, sizeof err) != 0) {
    g_set_error (
        error, G_IO_ERROR, G_IO_ERROR_FAILED, "--load speech: %s", err);
    return FALSE;
  }
  clip_alloc (clip, speech.frames);
  for (guint f = 0; f < clip->frames; f++) {
    int level =
        mcu_speech_level (speech.pcm + f * FRAME_SAMPLES, FRAME_SAMPLES);

    clip->level[f] = level | (level <= SPEECH_VAD_DBOV ? LEVEL_VOICE : 0);
  }
  ok = clip_encode (clip, speech.pcm, error);
  mcu_speech_clear (&speech);
  return ok;
}

static int
bind_udp (guint port)
{
  struct sockaddr_in sa = { .sin_family = AF_INET,
    .sin_port = htons (port),
    .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int rcvbuf = 256 * 1024, one = 1;

  if (fd < 0)
    return -1;
  setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  /* Arrival times from the kernel: a late wakeup of ours is no gap. */
  setsockopt (fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  if (bind (fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    close (fd);
    return -1;
  }
  return fd;
}

/* Binds exactly the RTP/RTCP pairs the caller asked for. */
static gboolean
bind_given (McuLoadgenMedia *m, const guint *local_ports, GError **error)
{
  for (guint i = 0; i < m->n; i++) {
    McuLoadgenCaller *c = &m->callers[i];

    c->local_port = local_ports[i];
    c->rtp_fd = bind_udp (c->local_port);
    c->rtcp_fd = c->rtp_fd < 0 ? -1 : bind_udp (c->local_port + 1);
    if (c->rtcp_fd < 0) {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
          "caller %u: cannot bind UDP 127.0.0.1:%u and %u: %s", i,
          c->local_port, c->local_port + 1, g_strerror (errno));
      return FALSE;
    }
  }
  return TRUE;
}

/* Binds an even/odd RTP/RTCP pair for every caller, from first_port up. */
static gboolean
bind_callers (McuLoadgenMedia *m, guint first_port, GError **error)
{
  guint port = (first_port + 1) & ~1u;

  for (guint i = 0; i < m->n; i++) {
    McuLoadgenCaller *c = &m->callers[i];

    for (; port + 1 < 65536; port += 2) {
      c->rtp_fd = bind_udp (port);
      if (c->rtp_fd < 0)
        continue;
      c->rtcp_fd = bind_udp (port + 1);
      if (c->rtcp_fd >= 0)
        break;
      close (c->rtp_fd);
      c->rtp_fd = -1;
    }
    if (c->rtp_fd < 0) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "no free UDP port pair for caller %u from %u up (%s)", i, first_port,
          g_strerror (errno));
      return FALSE;
    }
    c->local_port = port;
    port += 2;
  }
  return TRUE;
}

static gboolean
epoll_watch (McuLoadgenMedia *m, int fd, guint32 tag, GError **error)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

  if (epoll_ctl (m->epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0)
    return TRUE;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
      "epoll_ctl: %s", g_strerror (errno));
  return FALSE;
}

/* Up to MCU_LOADGEN_DECODED of the measured callers, spread over them,
 * decode what they receive. */
static gboolean
decode_sample (McuLoadgenMedia *m, GError **error)
{
  guint measured = 0, step, k = 0;

  for (guint i = 0; i < m->n; i++)
    measured += !m->callers[i].unread;
  step = MAX (1, (measured + MCU_LOADGEN_DECODED - 1) / MCU_LOADGEN_DECODED);
  for (guint i = 0; i < m->n; i++) {
    int err = OPUS_OK;

    if (m->callers[i].unread || k++ % step != 0)
      continue;
    m->callers[i].rx.dec = opus_decoder_create (SAMPLE_RATE, 1, &err);
    if (err != OPUS_OK) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "opus_decoder_create: %s", opus_strerror (err));
      return FALSE;
    }
  }
  return TRUE;
}

McuLoadgenMedia *
mcu_loadgen_media_new (McuLoadgenCaller *callers, guint n, guint slots,
    guint first_port, const guint *local_ports, const gchar *speech_dir,
    GError **error)
{
  McuLoadgenMedia *m = g_new0 (McuLoadgenMedia, 1);

  m->callers = callers;
  m->n = n;
  m->slots = CLAMP (slots, 1, 20);
  m->timer_fd = -1;
  for (guint i = 0; i < n; i++) {
    callers[i].index = i;
    callers[i].rtp_fd = callers[i].rtcp_fd = -1;
    callers[i].ssrc = g_random_int ();
    callers[i].seq = g_random_int_range (0, 65536);
    callers[i].ts = g_random_int ();
    callers[i].source = i % MCU_LOADGEN_N_TONES;
  }
  m->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  m->timer_fd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (m->epoll_fd < 0 || m->timer_fd < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "epoll/timerfd: %s", g_strerror (errno));
    goto fail;
  }
  for (guint t = 0; t <= MCU_LOADGEN_N_TONES; t++)
    if (!tone_encode (&m->clips[t], tone_hz[t], error))
      goto fail;
  if (speech_dir) {
    McuLoadgenClip *speech = &m->clips[MCU_LOADGEN_SPEECH];

    if (!speech_encode (speech, speech_dir, error))
      goto fail;
    /* Everyone talks, each from its own point of the speech (golden-ratio
     * steps: spread over the loop for any N), so the room hears a crowd and
     * the pauses do not line up. */
    for (guint i = 0; i < n; i++) {
      callers[i].source = MCU_LOADGEN_SPEECH;
      callers[i].frame =
          (guint)fmod (i * 0.6180339887 * speech->frames, speech->frames);
    }
  }
  if (local_ports ? !bind_given (m, local_ports, error)
                  : !bind_callers (m, first_port, error))
    goto fail;
  if (!epoll_watch (m, m->timer_fd, G_MAXUINT32, error))
    goto fail;
  for (guint i = 0; i < n; i++) {
    int small = 4096;

    if (callers[i].unread)
      setsockopt (
          callers[i].rtp_fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    if ((!callers[i].unread &&
            !epoll_watch (m, callers[i].rtp_fd, 2 * i, error)) ||
        !epoll_watch (m, callers[i].rtcp_fd, 2 * i + 1, error))
      goto fail;
  }
  if (!decode_sample (m, error))
    goto fail;
  return m;
fail:
  mcu_loadgen_media_free (m);
  return NULL;
}

static void
send_frame (McuLoadgenMedia *m, McuLoadgenCaller *c)
{
  const McuLoadgenClip *clip = &m->clips[c->source];
  guint8 buf[12 + LEVEL_EXT + MAX_PACKET];
  guint len = clip->len[c->frame], hdr = 12;
  guint32 be_ts = htonl (c->ts), be_ssrc = htonl (c->ssrc);

  buf[0] = c->level_id ? 0x90 : 0x80;
  buf[1] = c->pt & 0x7f;
  buf[2] = c->seq >> 8;
  buf[3] = c->seq & 0xff;
  memcpy (buf + 4, &be_ts, 4);
  memcpy (buf + 8, &be_ssrc, 4);
  if (c->level_id) {
    /* RFC 6464 in RFC 8285's one-byte form: what the "microphone" hears */
    static const guint8 profile[4] = { 0xBE, 0xDE, 0x00, 0x01 };

    memcpy (buf + 12, profile, 4);
    buf[16] = (guint8)(c->level_id << 4); /* length 1 */
    buf[17] = clip->level[c->frame];
    buf[18] = buf[19] = 0;
    hdr += LEVEL_EXT;
  }
  memcpy (buf + hdr, clip->data[c->frame], len);
  /* A full socket buffer just drops the packet, as a network would. */
  (void)sendto (c->rtp_fd, buf, hdr + len, MSG_DONTWAIT,
      (struct sockaddr *)&c->remote, sizeof c->remote);
  c->seq++;
  c->ts += FRAME_SAMPLES;
  c->frame = (c->frame + 1) % clip->frames;
}

/* The 20 ms frame is cut in `slots` timer ticks and caller i sends on slot
 * i % slots, so the callers' packets are spread over the frame as real
 * phones' would be instead of arriving in one burst. */
static void
on_tick (McuLoadgenMedia *m)
{
  guint64 expirations = 0;
  guint steps;

  if (read (m->timer_fd, &expirations, sizeof expirations) !=
          sizeof expirations ||
      expirations == 0)
    return;
  /* Late: catch up with a short burst, as a real phone's jitter would. */
  m->late_ticks += expirations - 1;
  steps = MIN (expirations, (guint64)MAX_BURST * m->slots);
  for (guint s = 0; s < steps; s++) {
    guint slot = m->tick++ % m->slots;

    for (guint i = slot; i < m->n; i += m->slots) {
      McuLoadgenCaller *c = &m->callers[i];

      if (atomic_load_explicit (&c->sending, memory_order_acquire))
        send_frame (m, c);
    }
  }
}

static void
rx_gap (McuLoadgenRx *rx, gint64 gap_ns)
{
  if (gap_ns > rx->max_gap_ns)
    rx->max_gap_ns = gap_ns;
  if (gap_ns > MCU_LOADGEN_GAP_NS)
    rx->gaps_over++;
}

/* Decodes an RTP packet's Opus payload (inside the window) and counts it
 * audible when its RMS is over MCU_LOADGEN_AUDIBLE_DBFS. */
static void
rx_decode (McuLoadgenRx *rx, const guint8 *buf, gssize len)
{
  gint16 pcm[FRAME_SAMPLES * 6];
  gsize at = 12 + 4 * (buf[0] & 0x0f);
  double sum = 0;
  int n;

  if ((buf[0] & 0x10) && (gssize)at + 4 <= len)
    at += 4 + 4 * ((buf[at + 2] << 8) | buf[at + 3]);
  if ((buf[0] & 0x20) && len > 0)
    len -= buf[len - 1];
  if ((gssize)at >= len)
    return;
  n = opus_decode (rx->dec, buf + at, len - at, pcm, G_N_ELEMENTS (pcm), 0);
  if (n <= 0)
    return;
  for (int i = 0; i < n; i++)
    sum += (double)pcm[i] * pcm[i];
  rx->win_decoded++;
  if (10 * log10 (sum / n / (32768.0 * 32768.0) + 1e-20) >
      MCU_LOADGEN_AUDIBLE_DBFS)
    rx->win_audible++;
}

static void
rx_packet (McuLoadgenMedia *m, McuLoadgenRx *rx, const guint8 *buf, gssize len,
    gint64 now)
{
  gint64 ws = atomic_load_explicit (&m->win_start_ns, memory_order_relaxed);
  gint64 we = atomic_load_explicit (&m->win_end_ns, memory_order_relaxed);
  gboolean in_window = ws != 0 && now >= ws && (we == 0 || now < we);
  guint16 seq;

  if (len < 12 || (buf[0] & 0xc0) != 0x80)
    return;
  seq = (buf[2] << 8) | buf[3];
  rx->packets++;
  rx->bytes += len;
  if (in_window) {
    guint32 ts;

    memcpy (&ts, buf + 4, 4);
    ts = GUINT32_FROM_BE (ts);

    if (rx->win_packets == 0) {
      rx->win_first_ts = ts;
      rx->win_first_ns = now;
    }
    rx->win_last_ts = ts;
    rx->win_last_ns = now;
    rx->win_packets++;
    if (rx->dec != NULL)
      rx_decode (rx, buf, len);
    /* A gap that began before the window counts from the window start. */
    if (rx->last_ns != 0)
      rx_gap (rx, now - MAX (rx->last_ns, ws));
    if (rx->have_seq) {
      gint16 d = (gint16)(seq - (guint16)(rx->last_seq + 1));

      if (d > 0)
        rx->seq_lost += d;
      else if (d < 0)
        rx->seq_late++;
    }
  }
  if (!rx->have_seq || (gint16)(seq - rx->last_seq) > 0)
    rx->last_seq = seq;
  rx->have_seq = TRUE;
  rx->last_ns = now;
}

static gint64
realtime_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  return (gint64)ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

/* The packet's kernel receive time (SO_TIMESTAMPNS, CLOCK_REALTIME) moved
 * onto the monotonic clock; `now` if the kernel gave none. */
static gint64
arrival_ns (struct msghdr *msg, const McuLoadgenClock *now)
{
  for (struct cmsghdr *cm = CMSG_FIRSTHDR (msg); cm;
       cm = CMSG_NXTHDR (msg, cm)) {
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec ts;
      gint64 real;

      memcpy (&ts, CMSG_DATA (cm), sizeof ts);
      real = (gint64)ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
      return now->mono - MAX (now->real - real, 0);
    }
  }
  return now->mono;
}

static void
on_readable (McuLoadgenMedia *m, guint32 tag, const McuLoadgenClock *now)
{
  McuLoadgenCaller *c = &m->callers[tag / 2];
  gboolean rtcp = tag & 1;
  int fd = rtcp ? c->rtcp_fd : c->rtp_fd;
  guint8 buf[2048];
  union
  {
    char buf[CMSG_SPACE (sizeof (struct timespec))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { buf, sizeof buf };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  gssize len;

  for (;;) {
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    len = recvmsg (fd, &msg, MSG_DONTWAIT);
    if (len < 0)
      break;
    if (rtcp)
      c->rx.rtcp++;
    else
      rx_packet (m, &c->rx, buf, len, arrival_ns (&msg, now));
  }
}

static gboolean
timer_arm (McuLoadgenMedia *m)
{
  gint64 first = mcu_loadgen_now_ns () + MCU_LOADGEN_FRAME_NS;
  struct itimerspec its = {
    .it_interval = { 0, MCU_LOADGEN_FRAME_NS / m->slots },
    .it_value = { first / 1000000000, first % 1000000000 },
  };

  return timerfd_settime (m->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0;
}

static gpointer
media_thread_run (gpointer data)
{
  McuLoadgenMedia *m = data;
  struct epoll_event events[64];

  /* This thread only (a Linux thread's own id): not the server we spawn. */
  if (m->nice_value && setpriority (PRIO_PROCESS, (id_t)syscall (SYS_gettid),
                           m->nice_value) != 0)
    g_printerr ("mcu-loadgen: cannot set the media thread's nice to %d: %s\n",
        m->nice_value, g_strerror (errno));

  while (!atomic_load (&m->stop)) {
    int n = epoll_wait (m->epoll_fd, events, G_N_ELEMENTS (events), 100);
    McuLoadgenClock now = { mcu_loadgen_now_ns (), realtime_ns () };

    if (n < 0 && errno != EINTR) {
      g_printerr ("mcu-loadgen: epoll_wait: %s\n", g_strerror (errno));
      break;
    }
    for (int i = 0; i < n; i++) {
      if (events[i].data.u32 == G_MAXUINT32)
        on_tick (m);
      else
        on_readable (m, events[i].data.u32, &now);
    }
  }
  return NULL;
}

void
mcu_loadgen_media_set_nice (McuLoadgenMedia *m, int nice_value)
{
  m->nice_value = nice_value;
}

gboolean
mcu_loadgen_media_start (McuLoadgenMedia *m, GError **error)
{
  if (!timer_arm (m)) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "timerfd_settime: %s", g_strerror (errno));
    return FALSE;
  }
  m->thread = g_thread_try_new ("loadgen-media", media_thread_run, m, error);
  return m->thread != NULL;
}

void
mcu_loadgen_media_set_window (
    McuLoadgenMedia *m, gint64 start_ns, gint64 end_ns)
{
  atomic_store (&m->win_end_ns, end_ns);
  atomic_store (&m->win_start_ns, start_ns);
}

/* A caller that went quiet before the window ended has a gap up to the end;
 * one that never received anything inside the window, a gap of all of it. */
static void
finish_window (McuLoadgenMedia *m)
{
  gint64 ws = atomic_load (&m->win_start_ns);
  gint64 we = atomic_load (&m->win_end_ns);

  if (ws == 0 || we == 0)
    return;
  for (guint i = 0; i < m->n; i++) {
    McuLoadgenRx *rx = &m->callers[i].rx;

    if (m->callers[i].answer_us == 0 || m->callers[i].unread)
      continue;
    if (rx->last_ns < we)
      rx_gap (rx, we - MAX (rx->last_ns, ws));
  }
}

void
mcu_loadgen_media_stop (McuLoadgenMedia *m)
{
  if (m->thread == NULL)
    return;
  for (guint i = 0; i < m->n; i++)
    atomic_store (&m->callers[i].sending, 0);
  atomic_store (&m->stop, 1);
  g_thread_join (g_steal_pointer (&m->thread));
  finish_window (m);
}

guint64
mcu_loadgen_media_get_late_ticks (McuLoadgenMedia *m)
{
  return m->late_ticks;
}

void
mcu_loadgen_media_free (McuLoadgenMedia *m)
{
  if (m == NULL)
    return;
  mcu_loadgen_media_stop (m);
  for (guint i = 0; i < m->n; i++) {
    if (m->callers[i].rtp_fd >= 0)
      close (m->callers[i].rtp_fd);
    if (m->callers[i].rtcp_fd >= 0)
      close (m->callers[i].rtcp_fd);
    m->callers[i].rtp_fd = m->callers[i].rtcp_fd = -1;
    g_clear_pointer (&m->callers[i].rx.dec, opus_decoder_destroy);
  }
  for (guint t = 0; t < MCU_LOADGEN_N_CLIPS; t++)
    clip_clear (&m->clips[t]);
  if (m->epoll_fd >= 0)
    close (m->epoll_fd);
  if (m->timer_fd >= 0)
    close (m->timer_fd);
  g_free (m);
}
