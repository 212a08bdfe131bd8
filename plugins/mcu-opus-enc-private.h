/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: libopus helpers shared by mcuopusenc and McuOpusEncGroup (defined in
 * mcu-opus-enc.c). */
#pragma once

#include <gst/gst.h>
#include <opus.h>

G_BEGIN_DECLS

#define MCU_OPUS_ENC_MIN_BITRATE 6000
#define MCU_OPUS_ENC_MAX_BITRATE 510000

/* Returns a new 48 kHz mono VOIP encoder, constrained VBR, configured with
 * mcu_opus_enc_configure(); NULL (and a debug log) if libopus refuses. */
OpusEncoder *mcu_opus_enc_encoder_new (
    gint bitrate, gint complexity, gboolean inband_fec, gint loss_pct);

/* Applies the four settings to @enc; FALSE if libopus refuses one. */
gboolean mcu_opus_enc_configure (OpusEncoder *enc, gint bitrate,
    gint complexity, gboolean inband_fec, gint loss_pct);

/* Encodes the first MCU_OPUS_ENC_FRAME_SAMPLES samples of @inbuf (which
 * must hold at least that many) into a new buffer without metadata; NULL on
 * an encoder error. */
GstBuffer *mcu_opus_enc_encode_buffer (OpusEncoder *enc, GstBuffer *inbuf);

G_END_DECLS
