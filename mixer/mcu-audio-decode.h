/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one participant's audio receive chain, from RTP out of the jitter
 * buffer to the mixer's format, with loss concealment for every codec:
 *
 *   depay -> decoder [-> mcuplc] -> audioconvert -> audioresample
 *         -> S16LE 48 kHz mono
 *   depay -> mcuopusdec (Opus: decodes to S16LE 48 kHz mono itself)
 *
 * - Opus: mcuopusdec's (libopus') PLC, and in-band FEC (the next packet's
 * redundant copy of a lost one) when the caller's fmtp had useinbandfec=1
 *   (params->opus_fec; our answer then offers it too).
 * - G.711 (PCMU/PCMA) and G.722: mcuplc (spandsp's PLC) after the decoder.
 * The jitter buffer (rtpbin's, with do-lost) turns lost packets into GAP
 * events that the decoder or mcuplc fills.
 * With params->audio_level_id, each packet's RFC 6464 level rides on the
 * audio it decodes to as a GstAudioLevelMeta (mcu-rtp-level.h).
 *
 * Adaptive depth (mcu_audio_decode_follow_jitter): once a second the
 * caller's RFC 3550 interarrival jitter J (rtpbin's source stats) sets the
 * jitter buffer's latency to 3 J + 10 ms within 20-200 ms: up at once,
 * down by 10 ms after 10 s below. The room's mixer waits `base` ms (the
 * configured jitter-latency) for a caller's packets; a depth above it
 * delays this caller's audio by the difference (its timestamps move
 * later, the jump concealed like a lost packet), so its packets still make
 * the mix.
 *
 * Threads: built, adapted and destroyed on the main thread; the offset
 * probe runs on the jitter buffer's streaming thread (atomics only). */
#pragma once

#include "mcu-media-session.h"

#include <gst/gst.h>

G_BEGIN_DECLS

#define MCU_AUDIO_DECODE_MIN_DEPTH 20  /* ms */
#define MCU_AUDIO_DECODE_MAX_DEPTH 200 /* ms */

#define MCU_TYPE_AUDIO_DECODE (mcu_audio_decode_get_type ())
G_DECLARE_FINAL_TYPE (
    McuAudioDecode, mcu_audio_decode, MCU, AUDIO_DECODE, GObject)

/* Adds the chain for @params' codec to @bin (unlinked at both ends);
 * @base_ms: the jitter buffer's configured latency, which the mixer waits
 * for. */
McuAudioDecode *mcu_audio_decode_new (GstBin *bin,
    const McuMediaCodecParams *params, guint base_ms, GError **error);
/* (transfer none) the depayloader's sink: link the jitter buffer's output. */
GstPad *mcu_audio_decode_get_sink (McuAudioDecode *self);
/* (transfer none) S16LE 48 kHz mono for the mixer. */
GstPad *mcu_audio_decode_get_src (McuAudioDecode *self);
/* (transfer none) the decoder's output at its own rate (in-band DTMF). */
GstPad *mcu_audio_decode_get_decoded (McuAudioDecode *self);
/* Adapts @rtpbin's latency (its jitter buffers') to the caller's jitter,
 * from now until the chain is dropped. */
void mcu_audio_decode_follow_jitter (McuAudioDecode *self, GstElement *rtpbin);
/* The caller's interarrival jitter (ms) while following it (from the
 * packets' kernel receive stamps), else -1. */
gint mcu_audio_decode_get_jitter (McuAudioDecode *self);
/* Packets of known silence the decoder did not decode (mcuopusdec's
 * silence-skipped; 0 for the other codecs). Any thread. */
guint64 mcu_audio_decode_get_silence_skipped (McuAudioDecode *self);
/* Packets not decoded because the mixer would not mix them (mcuopusdec's
 * unmixed-skipped; 0 for the other codecs). Any thread. */
guint64 mcu_audio_decode_get_unmixed_skipped (McuAudioDecode *self);
/* The jitter buffer's current depth (ms). */
guint mcu_audio_decode_get_depth (McuAudioDecode *self);
/* The depth for a measured interarrival jitter (ms), before the step
 * rules: 3 J + 10 within MIN_DEPTH..MAX_DEPTH. */
guint mcu_audio_decode_target_depth (guint jitter_ms);

G_END_DECLS
