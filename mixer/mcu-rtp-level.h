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
 * meta (the mixer falls back to the decoded level). A packet whose level
 * says silence (V=0 with @vad, or MCU_RTP_LEVEL_SILENT) gets the
 * GST_BUFFER_FLAG_GAP, which the depayloader copies to the payload: the
 * Opus decoder (mcuopusdec) then sends zeros without decoding it; the
 * other codecs' decoders ignore the flag. Main thread. */
void mcu_rtp_level_watch (
    GstPad *rtp_pad, GstPad *audio_pad, guint pt, guint id, gboolean vad);

G_END_DECLS
