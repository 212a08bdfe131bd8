/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mcu-test-caller: a SIP + RTP test peer for the integration tests.
 *
 * Threads: everything (GOption, sofia-sip NUA through su_glib, timers, the
 * GStreamer bus watch) runs on the GLib main loop of the main thread; the
 * media streaming threads only touch atomic counters (mcu-caller-media.c). */
#pragma once

#include <glib.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/nua.h>

#include "mcu-caller-media.h"
#include "mcu-caller-sdp.h"
#include "mcu-caller-video.h"

G_BEGIN_DECLS

/* Exit codes (documented in --help). */
enum
{
  MCU_CALLER_EXIT_OK = 0,
  MCU_CALLER_EXIT_FAILURE = 1, /* setup, pipeline, timeout, interrupted */
  MCU_CALLER_EXIT_STATUS = 2,  /* final INVITE status not the expected */
  MCU_CALLER_EXIT_BYE = 3,     /* the server hung up first */
  MCU_CALLER_EXIT_NO_RTP = 4,  /* call fine but no RTP received */
  MCU_CALLER_EXIT_SDP = 5,     /* unusable SDP from the peer */
};

typedef enum
{
  MCU_CALLER_STATE_IDLE,       /* answer mode: waiting for an INVITE */
  MCU_CALLER_STATE_CALLING,    /* INVITE sent / received, no 2xx yet */
  MCU_CALLER_STATE_ACTIVE,     /* 2xx sent or received */
  MCU_CALLER_STATE_HANGUP,     /* BYE or CANCEL sent, waiting for the end */
  MCU_CALLER_STATE_MEDIA_STOP, /* waiting for EOS through the pipeline */
  MCU_CALLER_STATE_SHUTDOWN,   /* nua_shutdown() sent */
  MCU_CALLER_STATE_DONE,
} McuCallerState;

typedef struct
{
  /* Options. */
  gchar *uri;
  gchar *transport;
  gchar *tls_ca;  /* --transport=tls: the server's certificate or CA */
  gchar *tls_dir; /* sofia-sip's certificate dir (cafile.pem), removed */
  gchar *local_ip;
  gchar *codec_name;
  gdouble tone;
  gdouble amplitude;
  gint clap_every_ms; /* --clap-every: 0 = off */
  gint drop_percent;  /* --drop-percent: withhold RTP packets we send */
  gint jitter_ms;     /* --jitter: delay what we send by 0..N ms */
  gdouble duration;
  gchar *record;
  gchar *display_name;
  gchar *from_user;
  gchar *password;
  gboolean late_offer;
  gdouble hold_at;
  gdouble resume_at;
  gint expect_status;
  gchar *report;
  gboolean answer;
  gint answer_status;
  gboolean allow_no_rtp;
  gdouble timeout;
  /* Video options (mcu-caller-call-video.c). */
  gchar *video_colour;
  gchar *video_size;
  gint video_fps;
  gchar *video_codec;
  gchar *h264_modes;
  gchar *h264_level;
  gint max_fs;
  gint video_bitrate;
  gint video_key_interval;
  gdouble video_at;
  gchar *send_pli_at;
  gchar *send_fir_at;
  gchar *grid_list;
  gchar *grid_at;
  gchar *snapshot;
  gboolean video_stamp;
  gchar *stamp_grid;
  gboolean no_video_decode;
  /* SRTP (SDES): offer RTP/SAVP with a=crypto AES_CM_128_HMAC_SHA1_80. */
  gboolean srtp;
  gboolean srtp_wrong_key; /* encrypt with another key than the offered */
  gdouble rekey_at;        /* a sendrecv re-INVITE with a fresh key */

  /* Runtime, main thread only. */
  gint64 program_start_mono;   /* for log time stamps */
  const McuCallerCodec *codec; /* offered / wanted codec */
  GMainLoop *loop;
  su_root_t *root;
  nua_t *nua;
  nua_handle_t *nh; /* the call */
  McuCallerMedia *media;
  const McuCallerCodec *media_codec; /* what the pipeline runs */
  guint media_pt;
  McuCallerSdpMedia remote;     /* what the peer's last SDP said */
  McuCallerDirection local_dir; /* what we want: sendrecv or sendonly */
  guint sdp_version;
  McuCallerState state;
  gboolean call_over; /* dialog terminated */
  gboolean bye_from_peer;
  gboolean auth_tried;
  gint status;             /* final status of the initial INVITE */
  GArray *reinvite_status; /* gint: final statuses of our re-INVITEs */
  gint64 call_start_us;    /* wall clock at 2xx, 0 before */
  gint64 invite_us;        /* wall clock when the INVITE was sent */
  gint64 call_start_mono;
  guint duration_id;
  guint hold_id;
  guint resume_id;
  guint rekey_id;
  guint8 srtp_key[30];      /* the key our SDP carries */
  guint8 srtp_send_key[30]; /* the key we encrypt with */
  guint watchdog_id;
  guint hangup_timeout_id;
  /* Video runtime (mcu-caller-call-video.c). */
  gboolean video_enabled; /* video options given */
  gboolean video_offer;   /* our offers carry m=video now */
  guint32 colour;
  guint width, height;
  McuCallerVideoCaps video_caps;
  McuCallerGrid grids[16];
  guint n_grids;
  McuCallerGrid stamp_grid_value;
  gboolean have_stamp_grid;
  McuCallerVideo *video;
  GArray *schedule; /* McuCallerAction, sorted by time */
  guint schedule_id;
  guint usr1_id;
  guint usr1_count;
  gint exit_code; /* -1 until decided */
  gchar *error;
} McuCaller;

/* mcu-test-caller.c */
void mcu_caller_log (McuCaller *caller, const char *format, ...)
    G_GNUC_PRINTF (2, 3);
void mcu_caller_finish (McuCaller *caller, gint exit_code, const char *format,
    ...) G_GNUC_PRINTF (3, 4);
void mcu_caller_set_result (McuCaller *caller, gint exit_code,
    const char *format, ...) G_GNUC_PRINTF (3, 4);
void mcu_caller_advance (McuCaller *caller);
void mcu_caller_call_started (McuCaller *caller);
void mcu_caller_set_remote (McuCaller *caller, McuCallerSdpMedia *sdp);
void mcu_caller_update_media (McuCaller *caller);
gchar *mcu_caller_local_sdp (
    McuCaller *caller, McuCallerDirection direction, gboolean offer);

/* mcu-caller-call-video.c */
GOptionGroup *mcu_caller_video_option_group (McuCaller *caller);
gboolean mcu_caller_video_check_options (McuCaller *caller, GError **error);
gboolean mcu_caller_video_setup (McuCaller *caller, GError **error);
void mcu_caller_video_call_started (McuCaller *caller);
void mcu_caller_video_update (McuCaller *caller);
void mcu_caller_video_append_sdp (McuCaller *caller, GString *sdp,
    McuCallerDirection direction, gboolean offer);
void mcu_caller_video_parse_sdp (
    McuCaller *caller, const char *text, gsize length, McuCallerSdpMedia *out);
void mcu_caller_video_capture_end (McuCaller *caller);
void mcu_caller_video_stop_timers (McuCaller *caller);
void mcu_caller_call_video_report (McuCaller *caller, JsonBuilder *b);
void mcu_caller_video_clear (McuCaller *caller);
void mcu_caller_write_report (McuCaller *caller, gboolean final);

/* mcu-caller-sip.c */
gboolean mcu_caller_sip_start (McuCaller *caller, GError **error);
void mcu_caller_sip_hangup (McuCaller *caller);
void mcu_caller_sip_reinvite (McuCaller *caller, McuCallerDirection direction);
void mcu_caller_sip_shutdown (McuCaller *caller);
void mcu_caller_sip_free (McuCaller *caller);

G_END_DECLS
