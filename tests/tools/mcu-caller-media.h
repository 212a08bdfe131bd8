/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Media of mcu-test-caller: one symmetric RTP socket (plus a drained RTCP
 * socket), a GStreamer pipeline sending a sine tone and decoding what comes
 * back into a WAV file.
 *
 * Threads: every function here is called from the main thread. The streaming
 * threads only bump atomic packet counters in pad probes; bus messages reach
 * us through a bus watch on the main context. */
#pragma once

#include <gio/gio.h>

#include "mcu-caller-sdp.h"

G_BEGIN_DECLS

typedef struct _McuCallerMedia McuCallerMedia;

typedef struct
{
  const McuCallerCodec *codec;
  guint pt;
  const char *remote_address;
  guint remote_port;
  gdouble tone_hz;
  gdouble amplitude;
  guint clap_ms;           /* a tone burst every so often, silence between */
  const char *record_path; /* nullable */
  /* SRTP AES_CM_128_HMAC_SHA1_80 (both or neither): 30 bytes each */
  const guint8 *srtp_send_key;
  const guint8 *srtp_recv_key;
  guint drop_percent; /* withhold this share of our RTP packets (seeded) */
  guint jitter_ms;    /* delay each packet by 0..jitter_ms (netsim) */
} McuCallerMediaParams;

/* Called once on the main thread when the pipeline posts an error. */
typedef void (*McuCallerMediaErrorFunc) (
    McuCallerMedia *media, const char *message, gpointer user_data);
/* Called once on the main thread when mcu_caller_media_stop() is done. */
typedef void (*McuCallerMediaStoppedFunc) (
    McuCallerMedia *media, gpointer user_data);

McuCallerMedia *mcu_caller_media_new (const char *log_prefix, gint64 epoch_mono,
    const char *local_address, McuCallerMediaErrorFunc on_error,
    gpointer user_data, GError **error);
void mcu_caller_media_preload (const McuCallerCodec *codec);
guint mcu_caller_media_get_port (McuCallerMedia *media);
gboolean mcu_caller_media_start (
    McuCallerMedia *media, const McuCallerMediaParams *params, GError **error);
gboolean mcu_caller_media_is_started (McuCallerMedia *media);
void mcu_caller_media_set_remote (
    McuCallerMedia *media, const char *address, guint port);
void mcu_caller_media_set_sending (McuCallerMedia *media, gboolean sending);
/* Re-key a running SRTP pipeline (either may be NULL: unchanged). */
void mcu_caller_media_set_srtp_keys (
    McuCallerMedia *media, const guint8 *send_key, const guint8 *recv_key);
void mcu_caller_media_stop (McuCallerMedia *media,
    McuCallerMediaStoppedFunc on_stopped, gpointer user_data);
guint mcu_caller_media_get_received (McuCallerMedia *media);
guint mcu_caller_media_get_sent (McuCallerMedia *media);
guint mcu_caller_media_get_withheld (McuCallerMedia *media, guint *longest_run);
guint mcu_caller_media_get_other_pt (McuCallerMedia *media);
/* The longest time between two received RTP packets of ours (ms), and when
 * it ended (seconds after the first one). */
guint mcu_caller_media_get_max_gap_ms (
    McuCallerMedia *media, gdouble *at_seconds);
gint64 mcu_caller_media_get_start_unix_us (McuCallerMedia *media);
void mcu_caller_media_free (McuCallerMedia *media);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuCallerMedia, mcu_caller_media_free)

G_END_DECLS
