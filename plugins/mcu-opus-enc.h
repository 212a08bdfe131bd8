/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcuopusenc, an Opus encoder (libopus) that encodes the full mix once
 * for every participant who receives it.
 *
 * Pads:
 *   sink  audio/x-raw, format=S16LE, rate=48000, channels=1,
 *         layout=interleaved (MCU_MIX_MINUS_CAPS).
 *   src   audio/x-opus, rate=48000, channels=1, channel-mapping-family=0,
 *         stream-count=1, coupled-count=0 (no streamheader: for
 *         rtpopuspay, not for a muxer).
 *
 * Frames: 20 ms (960 samples), one packet each. An input buffer of exactly
 * 960 samples (the mixer's output-buffer-duration = 20 ms) becomes one
 * packet with its PTS, DTS and duration. Other sizes are gathered in an
 * adapter and encoded privately in 20 ms frames (timestamps interpolated);
 * on EOS a partial frame is padded with silence. GAP buffers are encoded as
 * given (the mixer fills them with silence). A DISCONT input drops any
 * partial frame, resets the private encoder and marks the output DISCONT.
 *
 * Sharing: with the `group` property set, an input buffer of 960 samples
 * carrying MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX (the full mix mcumixminus
 * gives every non-contributing participant) is encoded by the group's
 * encoder, once per frame for all members (see mcu-opus-enc-group.h); the
 * element pushes a new buffer sharing the packet's memory with its own
 * timestamps and flags. Such packets use the group's parameters, not the
 * element's. Anything else (unflagged, other sizes, no group, or a frame
 * the group refuses) goes to the element's own encoder, created lazily with
 * the element's bitrate/complexity/inband-fec/packet-loss-percentage.
 * When the element's own input goes back in time (after a flush), it
 * passes the frame to the group as DISCONT so that the group restarts with
 * it rather than treating the member as lagging behind.
 *
 * Latency: none for 960-sample input; up to 20 ms (not reported in the
 * latency query) for other sizes. Opus' own 6.5 ms lookahead delays the
 * decoded audio, as with opusenc over RTP. No DTX.
 *
 * Switches: a participant who starts talking moves from the shared encoder
 * to its private one, whose state is stale, so the private encoder is reset
 * (OPUS_RESET_STATE) on every switch from shared to private. The
 * receiver's decoder thus sees packets from two encoder states in turn:
 * the first packet after a switch (either way) was predicted from a history
 * the decoder did not decode, a short (one frame, usually inaudible)
 * transient; packets stay decodable and timestamps continuous.
 *
 * Properties: bitrate (gint bit/s, 6000..510000, 32000), complexity (0..10,
 * 9), inband-fec (FALSE), packet-loss-percentage (0..100, 0), private-celt
 * (FALSE: the signal is music, so CELT, at complexity 6 at most while it
 * codes CELT only; see set_signal and PRIVATE_CELT_COMPLEXITY): the
 * private encoder's, changeable in PLAYING. group (McuOpusEncGroup,
 * nullable, changeable in PLAYING). Read-only: private-frames and
 * shared-frames (guint64, packets pushed from each path; shared-frames
 * also counts the packets taken by mcu_opus_enc_take_shared),
 * private-complexity (gint, the private encoder's now). */
#pragma once

#include "mcu-opus-enc-group.h"

#include <gst/gst.h>

G_BEGIN_DECLS

#define MCU_TYPE_OPUS_ENC (mcu_opus_enc_get_type ())
G_DECLARE_FINAL_TYPE (McuOpusEnc, mcu_opus_enc, MCU, OPUS_ENC, GstElement)

#define MCU_OPUS_ENC_SRC_CAPS                        \
  "audio/x-opus, rate=(int)48000, channels=(int)1, " \
  "channel-mapping-family=(int)0, stream-count=(int)1, coupled-count=(int)0"

/* For an application that sends the shared full mix's packet itself
 * instead of pushing @inbuf (transfer none) into the element (a fan-out:
 * mcumixminus's shared-frame handler): returns (transfer full) the group's
 * packet for @inbuf, exactly the one the element would push for it (no
 * timestamps: the caller times it), and keeps the element's state as if
 * @inbuf had gone through it (the frame's PTS, and the last packet being
 * the shared encode's, so that the private encoder is reset at the next
 * switch to it; shared-frames). Returns NULL when the frame must go
 * through the element instead: not a 20 ms frame flagged
 * MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX with a PTS, no group, the element
 * flushing, not started (no frame yet) or restarting (its next output is
 * DISCONT), holding a partial frame, time going back, or the group refusing
 * the frame. A DISCONT frame forward in time (a mixer that skipped frames)
 * is taken, and resets the private encoder as it would in the element. Call it
 * on the thread and under the locks that push into the element's sink pad (it
 * takes the sink pad's stream lock, as a push does). */
GstBuffer *mcu_opus_enc_take_shared (McuOpusEnc *self, GstBuffer *inbuf);

/* Registers the element factory `mcuopusenc` in @plugin, or statically in
 * the default registry when @plugin is NULL. */
gboolean mcu_opus_enc_register (GstPlugin *plugin);

G_END_DECLS
