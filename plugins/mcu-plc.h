/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcuplc, packet loss concealment for decoders that have none (G.711,
 * G.722), with spandsp's PLC (plc_rx/plc_fillin: pitch-period repetition,
 * attenuated over ~50 ms of fill, overlap-added back into the speech that
 * follows).
 *
 * Pads: sink and src audio/x-raw, format=S16LE, channels=1,
 * layout=interleaved, any rate (spandsp's pitch search is tuned for 8 kHz;
 * at 16 kHz it repeats shorter periods, still far better than silence).
 *
 * A hole is filled with concealed audio of the hole's exact length (capped
 * at max-fill; the rest stays a hole):
 *   - a GAP event (the depayloader turns the jitter buffer's lost-packet
 *     events into GAPs): replaced by a buffer at the GAP's time;
 *   - a buffer whose PTS is past the end of the previous one (a lost packet
 *     without a GAP): a buffer for the missing time is pushed before it;
 *   - a buffer flagged GAP: its samples are replaced.
 * Every good buffer goes through plc_rx (which smooths the way back from a
 * concealed stretch, so buffers are made writable). Nothing is filled
 * before the first good buffer or after a flush/segment until the next.
 *
 * Properties: max-fill (guint64 ns, 200 ms), concealed (guint64 ns of audio
 * made up so far, read-only). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define MCU_TYPE_PLC (mcu_plc_get_type ())
G_DECLARE_FINAL_TYPE (McuPlc, mcu_plc, MCU, PLC, GstElement)

/* Registers "mcuplc" with @plugin, or statically with NULL. */
gboolean mcu_plc_register (GstPlugin *plugin);

G_END_DECLS
