/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mcu-loadgen: dials N callers into one room of a real mcu on loopback,
 * sends them real Opus RTP and measures what the server costs.
 *
 * Threads: the main thread runs the GLib main loop: option parsing, sofia-sip
 * NUA (su_glib root, su_root_threading (root, 0)), the server child process,
 * /proc sampling and the phase timers (mcu-loadgen.c, -sip.c, -proc.c). One
 * media thread (mcu-loadgen-media.c) sends every caller's RTP from one
 * timerfd (20 ms frames, callers spread over the frame) and receives on every
 * caller's socket through one epoll. The two share only
 * McuLoadgenCaller.remote/pt (written by the main thread before it sets the
 * atomic `sending`) and the atomic window bounds; the receive statistics belong
 * to the media thread until it has been joined. */
#pragma once

#include <gio/gio.h>
#include <glib.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/types.h>

#include <sofia-sip/su_glib.h>
#include <sofia-sip/nua.h>

G_BEGIN_DECLS

#define MCU_LOADGEN_NS_PER_MS    G_GINT64_CONSTANT (1000000)
#define MCU_LOADGEN_FRAME_NS     (20 * MCU_LOADGEN_NS_PER_MS)
#define MCU_LOADGEN_GAP_NS       (60 * MCU_LOADGEN_NS_PER_MS)
#define MCU_LOADGEN_OPUS_PT      111
#define MCU_LOADGEN_N_TONES      8
#define MCU_LOADGEN_LEVEL_ID     1 /* our offer's ssrc-audio-level extmap id */
#define MCU_LOADGEN_SILENCE      MCU_LOADGEN_N_TONES /* clip index */
#define MCU_LOADGEN_SPEECH       (MCU_LOADGEN_N_TONES + 1)
#define MCU_LOADGEN_N_CLIPS      (MCU_LOADGEN_N_TONES + 2)
#define MCU_LOADGEN_TONE_FRAMES  50 /* 1 s of 20 ms frames */
#define MCU_LOADGEN_DECODED      16 /* callers whose audio is decoded */
#define MCU_LOADGEN_AUDIBLE_DBFS (-40.0)

typedef enum
{
  MCU_LOADGEN_CALL_IDLE,
  MCU_LOADGEN_CALL_CALLING, /* INVITE sent, no final response yet */
  MCU_LOADGEN_CALL_UP,      /* 200 received, media flowing */
  MCU_LOADGEN_CALL_ENDING,  /* BYE or CANCEL sent */
  MCU_LOADGEN_CALL_ENDED,
  MCU_LOADGEN_CALL_FAILED, /* final response >= 300 or unusable answer */
} McuLoadgenCallState;

/* What one caller received; owned by the media thread while it runs. */
typedef struct
{
  guint64 packets;
  guint64 bytes;
  guint64 rtcp;
  guint64 win_packets; /* RTP packets that arrived inside the window */
  gint64 last_ns;      /* arrival of the latest RTP packet, 0 = none yet */
  gint64 max_gap_ns;   /* largest inter-arrival gap inside the window */
  guint gaps_over;     /* inter-arrival gaps > 60 ms inside the window */
  guint64 seq_lost;    /* sequence numbers skipped inside the window */
  guint64 seq_late;    /* duplicates / reordered inside the window */
  guint16 last_seq;
  gboolean have_seq;
  /* RTP timestamp and arrival of the first and latest packet in the window:
   * media seconds per wall second, 1.0 = real time. */
  guint32 win_first_ts;
  guint32 win_last_ts;
  gint64 win_first_ns;
  gint64 win_last_ns;
  /* A sample of the measured callers decode what they receive (dec != NULL):
   * packets decoded inside the window, and those with audio in them (RMS over
   * MCU_LOADGEN_AUDIBLE_DBFS): what a person would hear, not only packets. */
  struct OpusDecoder *dec;
  guint64 win_decoded;
  guint64 win_audible;
} McuLoadgenRx;

typedef struct
{
  guint index;
  int rtp_fd;
  int rtcp_fd;
  guint16 local_port; /* RTP; RTCP is local_port + 1 */

  /* Main thread only. */
  nua_handle_t *nh;
  McuLoadgenCallState state;
  gint64 invite_us; /* g_get_monotonic_time () when the INVITE went out */
  gint64 answer_us; /* ... and when the 200 came back */
  int status;
  gboolean dropped; /* the server hung up before we did */

  /* Written by the main thread before `sending` is set to 1. */
  struct sockaddr_in remote;
  guint8 pt;
  atomic_int sending;
  /* --receivers: its RTP is never read nor measured (a tiny receive buffer:
   * the kernel drops what the server sends it). Set before the media. */
  gboolean unread;
  /* RFC 6464 ssrc-audio-level: the extmap id offered (set before the dial;
   * 0 = not offered), then the one the answer kept (0 = none), before
   * `sending` is set. */
  guint8 level_id;

  /* Media thread only. */
  guint32 ssrc;
  guint16 seq;
  guint32 ts;
  guint source; /* a tone, MCU_LOADGEN_SILENCE or MCU_LOADGEN_SPEECH */
  guint frame;
  McuLoadgenRx rx;
} McuLoadgenCaller;

typedef struct McuLoadgenMedia McuLoadgenMedia;

/* A process sample from /proc/PID/{stat,status} (and task/ when asked). */
typedef struct
{
  gint64 mono_us;
  guint64 cpu_ticks; /* utime + stime */
  guint64 rss_kb;
  guint threads;
  GHashTable *tasks; /* tid -> McuLoadgenTask, or NULL */
} McuLoadgenProcSample;

typedef struct
{
  gchar *comm;
  guint64 cpu_ticks;
} McuLoadgenTask;

/* The mcu we start (or were pointed at with --port/--pid). */
typedef struct
{
  GPid pid; /* 0 = unknown: no server metrics */
  gboolean owned;
  gboolean exited;
  int exit_status;
  guint child_watch;
  gchar *dir;
  gchar *config_path;
  gchar *log_path;
  guint sip_port;
  guint rtp_min;
  guint rtp_max;
  gint64 term_us; /* when we sent SIGTERM */
  gint64 exit_us; /* when it was reaped */
} McuLoadgenServer;

typedef struct
{
  gchar *mcu;
  gint port;
  gint pid;
  gint participants;
  gint talkers;      /* callers 0..K-1 talk, the rest send silence; -1 = all */
  gchar *load;       /* what talkers send: "tone" (default) or "speech" */
  gchar *speech_dir; /* the prompts --load speech reads */
  gint receivers;  /* read and measure only about this many callers; 0 = all */
  gint media_nice; /* the media thread's nice value; 0 = unchanged */
  gboolean no_audio_level; /* offer no RFC 6464 audio level */
  gdouble duration;
  gdouble warmup;
  gchar *room;
  gint concurrency;
  gint slots;
  gdouble setup_timeout;
  gdouble settle_max;
  gboolean json;
  gboolean header;
  gboolean keep;
  gchar *steady_hook;
  gchar *rtp_targets;    /* no SIP: RTP to the addresses this file lists */
  gchar **media_options; /* extra [media] KEY=VALUE lines */
  gchar *command;        /* the command line, shell-quoted, for the report */
} McuLoadgenOptions;

typedef struct
{
  McuLoadgenOptions opt;
  GMainLoop *loop;
  gchar *failure; /* why the run failed, or NULL */

  McuLoadgenCaller *callers;
  guint n;
  McuLoadgenMedia *media;
  McuLoadgenServer server;

  /* SIP (main thread). */
  su_root_t *root;
  nua_t *nua;
  gchar *target;
  guint next_dial;
  guint *target_ports; /* --rtp-targets: each caller's local RTP port */
  struct sockaddr_in *target_addrs; /* ... and where it sends */
  guint in_flight;
  guint n_up;
  guint n_failed;
  guint n_ended;
  gboolean tearing_down;
  gboolean sip_stopping;
  gboolean hanging_up;
  gboolean done;
  gboolean setup_incomplete; /* --setup-timeout hit: measured what was up */
  gboolean window_done;
  guint setup_timer;
  guint phase_timer;
  guint teardown_timer;

  /* Measurements (main thread). */
  gint64 start_us;
  gint64 all_up_us;
  gint64 settle_start_us;
  guint64 settle_ticks;
  double settle_s;  /* waited after the warm-up for the main loop to idle */
  gboolean settled; /* ... and it did */
  McuLoadgenProcSample idle;
  McuLoadgenProcSample win_start;
  McuLoadgenProcSample win_end;
  gint64 self_cpu_start_us;
  gint64 self_cpu_end_us;
  GPid hook_pid;
  gchar *loadavg_before; /* host load when the run started */
  gchar *loadavg_after;
} McuLoadgen;

/* mcu-loadgen.c: phase transitions the SIP side calls into. */
void mcu_loadgen_call_answered (McuLoadgen *lg, McuLoadgenCaller *c);
void mcu_loadgen_call_settled (McuLoadgen *lg);
void mcu_loadgen_call_ended (McuLoadgen *lg, McuLoadgenCaller *c);
void mcu_loadgen_sip_stopped (McuLoadgen *lg);
void mcu_loadgen_server_exited (McuLoadgen *lg);
void mcu_loadgen_fail (McuLoadgen *lg, const gchar *format, ...)
    G_GNUC_PRINTF (2, 3);

/* mcu-loadgen-report.c: prints the row (or JSON); returns the exit code. */
int mcu_loadgen_report (McuLoadgen *lg);

/* mcu-loadgen-sip.c */
gboolean mcu_loadgen_sip_start (McuLoadgen *lg, GError **error);
void mcu_loadgen_sip_dial_more (McuLoadgen *lg);
/* Dials no more and CANCELs the INVITEs in flight. */
void mcu_loadgen_sip_cancel_pending (McuLoadgen *lg);
/* BYE (or CANCEL) every call; returns the number still to end. */
guint mcu_loadgen_sip_hangup_all (McuLoadgen *lg);
void mcu_loadgen_sip_shutdown (McuLoadgen *lg);
void mcu_loadgen_sip_free (McuLoadgen *lg);

/* mcu-loadgen-targets.c: --rtp-targets, callers without SIP (another
 * server's participants set up by a script, e.g. Janus AudioBridge plain-RTP
 * participants; tests/bench/janus_compare.py). */
gboolean mcu_loadgen_targets_load (McuLoadgen *lg, GError **error);
/* Starts every caller's RTP at once and moves on to the warm-up. */
void mcu_loadgen_targets_start (McuLoadgen *lg);
void mcu_loadgen_targets_free (McuLoadgen *lg);

/* mcu-loadgen-media.c. local_ports: each caller's RTP port (RTCP is the next
 * one), or NULL to take free pairs from first_port up. speech_dir: every
 * caller sends speech made from the prompts there (mcu-speech-source.h),
 * or NULL: tones. */
McuLoadgenMedia *mcu_loadgen_media_new (McuLoadgenCaller *callers, guint n,
    guint slots, guint first_port, const guint *local_ports,
    const gchar *speech_dir, GError **error);
/* Before start: the media thread's nice value (0 = leave it). */
void mcu_loadgen_media_set_nice (McuLoadgenMedia *m, int nice_value);
gboolean mcu_loadgen_media_start (McuLoadgenMedia *m, GError **error);
void mcu_loadgen_media_set_window (
    McuLoadgenMedia *m, gint64 start_ns, gint64 end_ns);
/* Joins the media thread; afterwards the callers' rx may be read. */
void mcu_loadgen_media_stop (McuLoadgenMedia *m);
guint64 mcu_loadgen_media_get_late_ticks (McuLoadgenMedia *m);
void mcu_loadgen_media_free (McuLoadgenMedia *m);
gint64 mcu_loadgen_now_ns (void);

/* mcu-loadgen-proc.c */
gboolean mcu_loadgen_server_start (McuLoadgen *lg, GError **error);
void mcu_loadgen_server_stop (McuLoadgen *lg);
void mcu_loadgen_server_clear (McuLoadgenServer *server, gboolean keep);
gchar *mcu_loadgen_server_log_tail (McuLoadgenServer *server, gsize max);
guint mcu_loadgen_pick_port_range (guint count, guint start);
/* utime + stime of one thread of PID. */
gboolean mcu_loadgen_proc_thread_ticks (GPid pid, int tid, guint64 *ticks);
gboolean mcu_loadgen_proc_sample (
    GPid pid, gboolean tasks, McuLoadgenProcSample *out);
void mcu_loadgen_proc_sample_clear (McuLoadgenProcSample *s);
/* CPU use by thread name (digits folded into '#'), busiest first. */
gchar *mcu_loadgen_proc_thread_report (const McuLoadgenProcSample *a,
    const McuLoadgenProcSample *b, guint max_rows);
gint64 mcu_loadgen_self_cpu_us (void);
/* The 1, 5 and 15 minute load averages of the host, as text. */
gchar *mcu_loadgen_loadavg (void);
void mcu_loadgen_raise_fd_limit (guint need);

G_END_DECLS
