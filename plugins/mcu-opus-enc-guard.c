/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuOpusEncGuard (see mcu-opus-enc-guard.h).
 *
 * Why a decode: a packet's size and range say nothing about the level it
 * decodes to, and the runaway seen so far is a SILK one, below 8 kHz, so a
 * 16 kHz decode sees it at about a third of a 48 kHz decode's cost
 * (tests/bench/opus-enc-bench). The decoded frame lags its input by the
 * encoder's lookahead (6.5 ms), hence the reference is the louder of this
 * frame's and the previous frame's input. */
#include "mcu-opus-enc-guard.h"

/* libopus's private OPUS_SET_FORCE_MODE request and its CELT-only mode
 * (src/opus_private.h; stable since 1.0, opus_demo -forcemode uses them) */
#define OPUS_SET_FORCE_MODE_REQUEST 11002
#define OPUS_SET_FORCE_MODE(x)      OPUS_SET_FORCE_MODE_REQUEST, __opus_check_int (x)
#define MODE_CELT_ONLY              1002

#define GUARD_RATE 16000
/* the longest packet (120 ms) at GUARD_RATE */
#define GUARD_MAX (GUARD_RATE * 120 / 1000)

/* An input frame peaking below this cannot clip in the decoder but by a
 * runaway (-1 dBFS). */
#define NEAR_FULL_SCALE 29204

struct _McuOpusEncGuard
{
  OpusDecoder *decoder;
  gdouble prev_ms; /* mean square of the previous input frame */
  gint prev_peak;  /* and its peak */
  guint64 n_runaways;
};

McuOpusEncGuard *
mcu_opus_enc_guard_new (void)
{
  McuOpusEncGuard *guard = g_new0 (McuOpusEncGuard, 1);
  int err = OPUS_OK;

  guard->decoder = opus_decoder_create (GUARD_RATE, 1, &err);
  if (guard->decoder == NULL) {
    g_free (guard);
    return NULL;
  }
  return guard;
}

void
mcu_opus_enc_guard_free (McuOpusEncGuard *guard)
{
  if (guard == NULL)
    return;
  opus_decoder_destroy (guard->decoder);
  g_free (guard);
}

/* The mean square of @s, its peak and how many samples are at full scale */
static gdouble
measure (const gint16 *s, guint n, gint *peak, guint *full)
{
  gint64 sum = 0;

  *peak = 0;
  *full = 0;
  for (guint i = 0; i < n; i++) {
    gint v = ABS ((gint)s[i]);

    sum += v * v;
    *peak = MAX (*peak, v);
    *full += v >= G_MAXINT16;
  }
  return n ? (gdouble)sum / n : 0;
}

gboolean
mcu_opus_enc_guard_check (McuOpusEncGuard *guard, const gint16 *pcm,
    guint n_samples, const guchar *packet, gint len)
{
  gint16 out[GUARD_MAX];
  gint in_peak, out_peak, ref_peak;
  guint in_full, out_full;
  gdouble in_ms = measure (pcm, n_samples, &in_peak, &in_full), ref, out_ms;
  int nd;

  ref = MAX (in_ms, guard->prev_ms);
  ref_peak = MAX (in_peak, guard->prev_peak);
  guard->prev_ms = in_ms;
  guard->prev_peak = in_peak;
  nd = opus_decode (guard->decoder, packet, len, out, GUARD_MAX, 0);
  if (nd <= 0)
    return FALSE;
  out_ms = measure (out, nd, &out_peak, &out_full);
  if (out_ms <= MCU_OPUS_ENC_GUARD_FLOOR * MCU_OPUS_ENC_GUARD_FLOOR)
    return FALSE;
  return out_ms > MCU_OPUS_ENC_GUARD_RATIO * MCU_OPUS_ENC_GUARD_RATIO * ref ||
         (out_full >= MCU_OPUS_ENC_GUARD_CLIPPED && ref_peak < NEAR_FULL_SCALE);
}

opus_int32
mcu_opus_enc_guard_encode (McuOpusEncGuard *guard, OpusEncoder *enc,
    const gint16 *pcm, guint n_samples, guchar *packet, opus_int32 max)
{
  opus_int32 len = opus_encode (enc, pcm, n_samples, packet, max);

  if (len <= 0 || guard == NULL ||
      !mcu_opus_enc_guard_check (guard, pcm, n_samples, packet, len))
    return len;
  guard->n_runaways++;
  opus_encoder_ctl (enc, OPUS_RESET_STATE);
  opus_encoder_ctl (enc, OPUS_SET_FORCE_MODE (MODE_CELT_ONLY));
  len = opus_encode (enc, pcm, n_samples, packet, max);
  opus_encoder_ctl (enc, OPUS_SET_FORCE_MODE (OPUS_AUTO));
  /* the guard's decoder takes the CELT frame as the receivers' do */
  if (len > 0)
    mcu_opus_enc_guard_check (guard, pcm, n_samples, packet, len);
  return len;
}

guint64
mcu_opus_enc_guard_get_n_runaways (McuOpusEncGuard *guard)
{
  return guard->n_runaways;
}
