/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcurtpsrc, a live source with no thread of its own. Whoever reads
 * the packets (McuRtpIo's thread) pushes them in with mcu_rtp_src_push;
 * the element sends stream-start, caps and a TIME segment before the first
 * buffer and stamps every buffer with its arrival in running time, as
 * udpsrc does (PTS = DTS = arrival on the element's clock minus its base
 * time), and with a GstNetAddressMeta of its sender when given one.
 *
 * Pads: "src" (always), caps from the "caps" property (ANY when unset).
 * Live: NO_PREROLL in PAUSED, LATENCY answered live with min = max = 0.
 * Pushes are taken in PLAYING only (else GST_FLOW_FLUSHING, the buffer is
 * dropped). A push holds the pad's stream lock, as a source's task does,
 * so the element going down waits for a push in progress. */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define MCU_TYPE_RTP_SRC (mcu_rtp_src_get_type ())
G_DECLARE_FINAL_TYPE (McuRtpSrc, mcu_rtp_src, MCU, RTP_SRC, GstElement)

/* Registers "mcurtpsrc" with @plugin, or statically with NULL. */
gboolean mcu_rtp_src_register (GstPlugin *plugin);

/* Pushes @buf (transfer full) out of "src", stamped with the clock's time
 * now. Any thread. */
GstFlowReturn mcu_rtp_src_push (McuRtpSrc *self, GstBuffer *buf);
/* The same, stamped with @arrival (the system clock's time it was read;
 * GST_CLOCK_TIME_NONE: now) and, when @from is not NULL, a
 * GstNetAddressMeta of @from. */
GstFlowReturn mcu_rtp_src_push_full (McuRtpSrc *self, GstBuffer *buf,
    GSocketAddress *from, GstClockTime arrival);

G_END_DECLS
