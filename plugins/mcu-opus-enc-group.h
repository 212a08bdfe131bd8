/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuOpusEncGroup, one Opus encoder shared by several mcuopusenc
 * elements for the frames they all receive identically (the full mix that
 * mcumixminus gives every participant who contributed nothing).
 *
 * A group encodes each shared 20 ms frame once: the first member to ask for
 * a frame encodes it, the others get a reference to the same packet. All
 * members of a group get packets made with the group's parameters, not
 * their own, so the mixer creates one group per distinct parameter set
 * (bitrate, complexity, FEC, loss percentage) and per mixer: two mixers
 * must never share a group (their full mixes differ; the group checks the
 * samples and refuses to share then, but its encoder state would suffer).
 *
 * Thread-safe: members may call mcu_opus_enc_group_encode() from different
 * streaming threads; a mutex serialises the encoder and its cache. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define MCU_TYPE_OPUS_ENC_GROUP (mcu_opus_enc_group_get_type ())
G_DECLARE_FINAL_TYPE (
    McuOpusEncGroup, mcu_opus_enc_group, MCU, OPUS_ENC_GROUP, GObject)

/* The only frame the group encodes: 20 ms of mono S16LE at 48 kHz. */
#define MCU_OPUS_ENC_FRAME_SAMPLES  960
#define MCU_OPUS_ENC_FRAME_DURATION (20 * GST_MSECOND)

/* Returns (transfer full) a group whose encoder uses @bitrate (bit/s,
 * 6000..510000), @complexity (0..10), @inband_fec and
 * @packet_loss_percentage (0..100). The same values are readable as the
 * construct-only properties bitrate, complexity, inband-fec and
 * packet-loss-percentage. */
McuOpusEncGroup *mcu_opus_enc_group_new (gint bitrate, gint complexity,
    gboolean inband_fec, gint packet_loss_percentage);

/* Returns (transfer full) (nullable) the Opus packet for @inbuf, one 20 ms
 * frame (MCU_OPUS_ENC_FRAME_SAMPLES samples, valid PTS). When a packet for
 * the same PTS and the same samples is in the cache (the last 4 shared
 * frames), returns it without encoding. Otherwise encodes @inbuf with the
 * shared encoder and caches the result; the encoder is reset first when
 * @inbuf does not follow the last encoded frame or is DISCONT. The packet
 * carries no timestamps or flags: copy it with the caller's own metadata.
 * Returns NULL when the frame cannot be shared: wrong size, no PTS, same
 * PTS as a cached frame with other samples, older than the last encoded
 * frame and not cached (a member lagging behind the others; unless @inbuf is
 * DISCONT: a member whose stream restarted, e.g. after a flush, resets the
 * group), or an encoder error. The caller then encodes the frame itself. */
GstBuffer *mcu_opus_enc_group_encode (McuOpusEncGroup *group, GstBuffer *inbuf);

/* Number of frames the shared encoder has encoded (cache misses). */
guint64 mcu_opus_enc_group_get_n_encoded (McuOpusEncGroup *group);

/* Number of calls answered from the cache. */
guint64 mcu_opus_enc_group_get_n_cached (McuOpusEncGroup *group);

G_END_DECLS
