/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a runaway guard for an Opus encoder (plain C with GLib types, no
 * GObject): decodes every packet the encoder makes, at 16 kHz, and reports
 * a frame whose decoded level is far above the input's. libopus 1.3.1's
 * SILK encoder can turn a steady tonal input (a held tone, hold music, a
 * carrier's pilot tone) into a full-scale wave that lasts until the
 * encoder is reset (upstream xiph/opus#255, #382; our own test_media_mix).
 * The runaway is in the receivers' decoders as much as in the encoder (a
 * SILK decoder that went full scale on a periodic signal stays there with
 * packets from a reset encoder), so the guard mirrors a receiver's decoder:
 * it is never reset with the encoder, and on a runaway the encoder is reset
 * and the frame encoded again as CELT only, which makes every decoder
 * restart its SILK state when SILK comes back (offline, from the encoder
 * states dumped in failing test_media_mix runs: full scale from the next
 * frame on with the reset alone, clean with the CELT frame).
 *
 * Threads: one guard is used by one encoder's user at a time. */
#include <opus.h>
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _McuOpusEncGuard McuOpusEncGuard;

/* NULL if libopus cannot create its decoder. */
McuOpusEncGuard *mcu_opus_enc_guard_new (void);
void mcu_opus_enc_guard_free (McuOpusEncGuard *guard);

/* Decodes @packet (@len bytes), made from the @n_samples 48 kHz samples
 * @pcm, and returns TRUE when it is a runaway's: the decoded frame's rms
 * above -30 dBFS and either more than MCU_OPUS_ENC_GUARD_RATIO times the
 * louder of this input frame's and the previous one's (the encoder's
 * lookahead), or clipping (MCU_OPUS_ENC_GUARD_CLIPPED samples at full
 * scale) where neither input frame came near full scale. */
gboolean mcu_opus_enc_guard_check (McuOpusEncGuard *guard, const gint16 *pcm,
    guint n_samples, const guchar *packet, gint len);

/* Encodes the 20 ms frame @pcm (@n_samples at 48 kHz) with @enc into
 * @packet (@max bytes) like opus_encode(), checks it with @guard
 * (nullable: no check) and, on a runaway, resets @enc and encodes the frame
 * again as CELT only. Returns the packet's length or a libopus error. */
opus_int32 mcu_opus_enc_guard_encode (McuOpusEncGuard *guard, OpusEncoder *enc,
    const gint16 *pcm, guint n_samples, guchar *packet, opus_int32 max);

/* How many runaways @guard caught */
guint64 mcu_opus_enc_guard_get_n_runaways (McuOpusEncGuard *guard);

/* Decoded rms / input rms above which a frame is a runaway (+6 dB; speech
 * and tones decode within +1.5 dB of their input at 32 kbit/s, the runaway
 * reaches +9 dB from a -10 dBFS input within 100 ms). */
#define MCU_OPUS_ENC_GUARD_RATIO 2.0
/* Full-scale samples in a decoded frame (of 320) that make it clipping */
#define MCU_OPUS_ENC_GUARD_CLIPPED 8
/* ... and only when the decoded rms is above this (-30 dBFS). */
#define MCU_OPUS_ENC_GUARD_FLOOR 1036.0

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuOpusEncGuard, mcu_opus_enc_guard_free)

G_END_DECLS
