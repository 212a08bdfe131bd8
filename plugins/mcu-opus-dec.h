/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: mcuopusdec, an Opus decoder for one caller's RTP stream (after
 * rtpopusdepay), straight to the mixer's format: mono S16LE at 48 kHz.
 *
 * Why not opusdec: it decodes through libopus' multistream API, whose
 * every opus_multistream_decode() asks opus_decoder_get_size() for one and
 * two channels; in Debian's libopus (custom modes) each of those builds the
 * CELT mode again and runs CPUID twice, an instruction a virtual machine
 * traps: four VM exits per 20 ms packet, a fifth of the server's CPU at 60
 * talking callers (perf: two instructions in libopus' CPU detection). This
 * element uses the single-stream OpusDecoder (opus_decode()) and no
 * GstAudioDecoder: one buffer in, one out, no adapter, no resampler or
 * channel converter behind it.
 *
 * Pads: sink audio/x-opus (one stream, any channel count: a stereo stream
 * is downmixed by libopus); src audio/x-raw, format=S16LE, rate=48000,
 * channels=1, layout=interleaved. Each decoded buffer has its input's PTS
 * and DISCONT flag (a concealment buffer has no DISCONT), and the duration
 * of the samples it holds.
 *
 * Loss (as opusdec with plc=true): a GAP event (the depayloader's turn of
 * the jitter buffer's lost-packet event) becomes Opus concealment of the
 * GAP's length at its time, rounded to 2.5 ms (the rest carried to the
 * next), at most MCU_OPUS_DEC_MAX_FILL; before the first packet a GAP goes
 * on as a GAP (nothing to conceal yet). A packet libopus refuses (garbage)
 * is concealed as if lost, never an error: one caller's bad packet must
 * not fail its session. With use-inband-fec the output is one packet
 * behind (as opusdec's): a lost packet followed by a good one is decoded
 * from the good one's redundant copy (FEC), else (no FEC data, or a packet
 * libopus refuses) concealed.
 *
 * Known silence is not decoded (the meeting's hundreds of listening
 * callers): a packet with the GAP flag (mixer/mcu-rtp-level.c sets it when
 * the sender's RFC 6464 level says silence), or one with the same bytes as
 * the last packet when that one decoded to silence (a muted phone without
 * DTX sends the same packet over and over), goes out as zeros of its
 * length; a loss within such silence is zeros too. The first packet that
 * is not silence is decoded from a reset libopus state (as at the start of
 * a call), so the speech before the silence is never concealed into it.
 *
 * Unmixed audio is not decoded either: the mixer downstream (mcumixminus)
 * says through a direct line (mcu-decode-wanted.h, asked with a query once
 * per link) which packets it may mix: all, none, or those whose own RFC
 * 6464 level (a GstAudioLevelMeta on the packet, from mixer/mcu-rtp-level.c)
 * says voice at a threshold or louder, so that the first voiced packet of
 * a burst is decoded whatever the mixer decided from the frames before it.
 * The others, and losses among them, go out as zeros of their length, as
 * known silence does; the first decode after them starts from a reset
 * state primed with the last two skipped packets (not across a loss).
 * Without an answer everything is decoded.
 *
 * Properties: plc (TRUE: conceal GAPs; FALSE: pass them on), use-inband-fec,
 * concealed (ns of audio concealed or rebuilt from FEC so far, read-only),
 * silence-skipped (packets of known silence not decoded, read-only),
 * unmixed-skipped (packets not decoded because the mixer said it would not
 * mix them, read-only).
 *
 * Threads: everything on the sink pad's streaming thread, except the
 * properties (object lock). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define MCU_OPUS_DEC_RATE     48000
#define MCU_OPUS_DEC_MAX_FILL (1 * GST_SECOND)

#define MCU_TYPE_OPUS_DEC (mcu_opus_dec_get_type ())
G_DECLARE_FINAL_TYPE (McuOpusDec, mcu_opus_dec, MCU, OPUS_DEC, GstElement)

/* Registers "mcuopusdec" with @plugin, or statically with NULL. */
gboolean mcu_opus_dec_register (GstPlugin *plugin);

/* The "silence-skipped" count, typed (any thread). */
guint64 mcu_opus_dec_get_silence_skipped (McuOpusDec *self);
/* The "unmixed-skipped" count, typed (any thread). */
guint64 mcu_opus_dec_get_unmixed_skipped (McuOpusDec *self);

G_END_DECLS
