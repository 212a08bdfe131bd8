/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Video of mcu-test-caller: H.264 over RTP with RTCP feedback (rtpbin, AVPF).
 *
 * Send: videotestsrc (solid colour, optional time stamp blocks) -> I420 ->
 *       x264enc (zerolatency, constrained-baseline) -> rtph264pay ->
 *       rtpbin -> valve -> udpsink
 * Recv: udpsrc -> rtpbin (jitterbuffer; a PLI/FIR goes out when a
 *       GstForceKeyUnit travels upstream) -> funnel (one pad per SSRC) ->
 *       rtph264depay -> h264parse -> avdec_h264 -> appsink (or no decoding)
 *       (h264parse: in GStreamer 1.22 rtph264depay's own alignment=au output
 *       splits multi-slice frames sent as single NAL units, mode 0, wrongly)
 * One socket pair (RTP on an even port, RTCP on the next), each shared by its
 * udpsrc and udpsink: we send from the ports we receive on.
 *
 * Threads: every function here is called from the main thread. The streaming
 * threads (pad probes, the appsink callback, rtpbin's pad-added) update the
 * statistics under McuCallerVideo's lock and never call back; bus messages
 * reach the main thread through a bus watch. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "mcu-caller-frames.h"
#include "mcu-caller-sdp.h"

G_BEGIN_DECLS

typedef struct _McuCallerVideo McuCallerVideo;

typedef struct
{
  /* Negotiated. */
  guint pt;
  guint mode; /* packetization-mode */
  const char *remote_address;
  guint remote_port;
  /* What we send (send = FALSE: receive only). */
  gboolean send;
  guint32 colour; /* 0xRRGGBB */
  guint width;
  guint height;
  guint fps;
  guint bitrate_kbps;
  guint key_interval_s; /* 0 = only when asked (PLI/FIR) and at start */
  gboolean stamp;       /* draw a time stamp into every frame */
  guint clap_ms;        /* a white picture every so often */
  /* What we do with what we receive. */
  gboolean decode;
  const McuCallerGrid *stamp_grid; /* nullable: read stamps in these tiles */
} McuCallerVideoParams;

typedef void (*McuCallerVideoErrorFunc) (
    McuCallerVideo *video, const char *message, gpointer user_data);

McuCallerVideo *mcu_caller_video_new (const char *log_prefix, gint64 epoch_mono,
    const char *local_address, McuCallerVideoErrorFunc on_error,
    gpointer user_data, GError **error);
void mcu_caller_video_preload (void);
guint mcu_caller_video_get_port (McuCallerVideo *video);
gboolean mcu_caller_video_start (
    McuCallerVideo *video, const McuCallerVideoParams *params, GError **error);
gboolean mcu_caller_video_is_started (McuCallerVideo *video);
void mcu_caller_video_set_remote (
    McuCallerVideo *video, const char *address, guint port);
void mcu_caller_video_set_sending (McuCallerVideo *video, gboolean sending);
void mcu_caller_video_resize (
    McuCallerVideo *video, guint width, guint height, guint32 colour);
void mcu_caller_video_request_keyframe (McuCallerVideo *video, gboolean fir);
gboolean mcu_caller_video_capture_grid (McuCallerVideo *video,
    const char *label, const McuCallerGrid *grids, guint n_grids,
    const char *snapshot_path);
void mcu_caller_video_add_report (McuCallerVideo *video, JsonBuilder *b);
void mcu_caller_video_stop (McuCallerVideo *video);
void mcu_caller_video_free (McuCallerVideo *video);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuCallerVideo, mcu_caller_video_free)

G_END_DECLS
