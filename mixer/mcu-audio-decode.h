/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one participant's audio receive chain, from RTP out of the jitter
 * buffer to the mixer's format, with loss concealment for every codec:
 *
 *   depay -> decoder [-> mcuplc] -> audioconvert -> audioresample
 *         -> S16LE 48 kHz mono
 *
 * - Opus: opusdec's own PLC, and in-band FEC (the next packet's redundant
 *   copy of a lost one) when the caller's fmtp had useinbandfec=1
 *   (params->opus_fec; our answer then offers it too).
 * - G.711 (PCMU/PCMA) and G.722: mcuplc (spandsp's PLC) after the decoder.
 * The jitter buffer (mcujitterbuffer, plugins/mcu-jitter-buffer.h) sends
 * lost-packet events that the depayloader turns into GAPs, which the
 * decoder or mcuplc fills; it adapts its own depth to the caller's jitter
 * and conceals the delay it adds the same way.
 *
 * Threads: built and destroyed on the main thread; the chain runs on the
 * jitter buffer's McuPlayout worker. */
#pragma once

#include "mcu-media-session.h"

#include <gst/gst.h>

G_BEGIN_DECLS

#define MCU_TYPE_AUDIO_DECODE (mcu_audio_decode_get_type ())
G_DECLARE_FINAL_TYPE (
    McuAudioDecode, mcu_audio_decode, MCU, AUDIO_DECODE, GObject)

/* Adds the chain for @params' codec to @bin (unlinked at both ends). */
McuAudioDecode *mcu_audio_decode_new (
    GstBin *bin, const McuMediaCodecParams *params, GError **error);
/* (transfer none) the depayloader's sink: link the jitter buffer's output. */
GstPad *mcu_audio_decode_get_sink (McuAudioDecode *self);
/* (transfer none) S16LE 48 kHz mono for the mixer. */
GstPad *mcu_audio_decode_get_src (McuAudioDecode *self);
/* (transfer none) the decoder's output at its own rate (in-band DTMF). */
GstPad *mcu_audio_decode_get_decoded (McuAudioDecode *self);

G_END_DECLS
