/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the client-to-mixer audio level of RTP packets (RFC 6464), read from
 * the RTP header extension (RFC 8285: one-byte or two-byte form) and handed
 * to the mixer as a GstAudioLevelMeta on the decoded audio, so that its
 * talker selection (noise gate, max-talkers) can leave a caller whose
 * packets say silent out of the mix without measuring the decoded samples.
 *
 * Threads: mcu_rtp_level_read is a pure function (any thread). The probes
 * of mcu_rtp_level_watch run on the streaming thread that pushes the
 * caller's packets through its decode chain; they share one atomic. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define MCU_RTP_LEVEL_SILENT 127 /* -127 dBov: digital silence */

/* The audio level of extension @id (1-255) in the RTP packet @data: TRUE
 * with @level (0-127 -dBov: 0 loudest, 127 silence) and @voice (the V
 * bit) when the packet carries it; FALSE when it does not, or when the
 * packet or its extension block is malformed (never reads past @len). */
gboolean mcu_rtp_level_read (
    const guint8 *data, gsize len, guint id, guint8 *level, gboolean *voice);

/* Reads extension @id of every packet of payload type @pt at @rtp_pad (the
 * depayloader's sink) and puts the level on what then leaves @audio_pad
 * (the decode chain's output: same thread, same push) as a
 * GstAudioLevelMeta; @vad FALSE: the V bit means nothing, voice_activity
 * is TRUE. A packet without the extension leaves the audio without the
 * meta (the mixer falls back to the decoded level). The packet itself
 * carries its level on as a GstAudioLevelMeta too (the depayloader keeps
 * it on the payload): mcuopusdec judges each packet by it against the
 * mixer's line (mcu-decode-wanted.h). With @skip_rate (the
 * codec's RTP clock rate; 0: never) a packet whose level says silence gets
 * the GST_BUFFER_FLAG_GAP, which the depayloader copies to the payload and
 * the Opus decoder (mcuopusdec) answers with zeros without decoding it:
 * MCU_RTP_LEVEL_SILENT at once, V=0 (with @vad) only after 500 ms without
 * a V=1 packet (past the mixer's 300 ms gate hangover, which mixes a
 * talker's V=0 tail and pauses between words). Main thread. */
void mcu_rtp_level_watch (GstPad *rtp_pad, GstPad *audio_pad, guint pt,
    guint id, gboolean vad, guint skip_rate);

G_END_DECLS
