/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuDecodeWanted, a mixer input's direct line to the decoder
 * upstream of it: which of that input's coming packets the mixer may mix.
 * ALL: every one (a talker mixed, or about to be); LEVEL: only a packet
 * whose own RFC 6464 level (GstAudioLevelMeta on the payload, put there by
 * mixer/mcu-rtp-level.c) says voice at @level dBov or louder: the mixer's
 * gate while a talker slot is free, else the bar to overtake the weakest
 * talker less a margin; NONE: no packet (a muted input). A decoder need not
 * decode the others (mcuopusdec: zeros of each packet's length; see
 * mcu-opus-dec.h). Judging each packet by its own level at the decoder, not
 * the mixer's judgement of the frames before it, decodes the first voiced
 * packet of a burst: the mixer decides a frame after it mixed it, when the
 * next packets (up to 40 ms of ring, plus one held for FEC) are decoded.
 *
 * The decoder gets the line by sending MCU_DECODE_WANTED_QUERY (a custom
 * downstream query) from its src pad; a mixer pad (mcumixminus' sink_N)
 * answers it with the field "line" (MCU_TYPE_DECODE_WANTED) and sets the
 * line once per frame. A pad that is unlinked revokes its line (and makes
 * a new one for the next query): a decoder that finds its line revoked
 * drops it and decodes everything until a new query is answered (after
 * its src pad was linked again: GStreamer marks it for reconfiguration).
 * A decoder without an answer decodes everything.
 *
 * Refcounted and lock-free (GAtomicRcBox, an atomic int): any thread. */
#pragma once

#include <gst/gst.h>
#include <gst/audio/audio.h>

G_BEGIN_DECLS

#define MCU_DECODE_WANTED_QUERY "mcu-decode-wanted"

typedef enum
{
  MCU_DECODE_WANTED_ALL,    /* the mixer may mix every packet: decode */
  MCU_DECODE_WANTED_LEVEL,  /* only packets with voice at a level or louder */
  MCU_DECODE_WANTED_NONE,   /* none will be mixed: need not decode */
  MCU_DECODE_WANTED_REVOKED /* the line is dead: drop it, decode */
} McuDecodeWantedState;

typedef struct _McuDecodeWanted McuDecodeWanted;

#define MCU_TYPE_DECODE_WANTED (mcu_decode_wanted_get_type ())
GType mcu_decode_wanted_get_type (void);

/* A new line, saying ALL. */
McuDecodeWanted *mcu_decode_wanted_new (void);
McuDecodeWanted *mcu_decode_wanted_ref (McuDecodeWanted *line);
void mcu_decode_wanted_unref (McuDecodeWanted *line);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuDecodeWanted, mcu_decode_wanted_unref)

/* The state, and with LEVEL in @level the threshold (dBov, 0-126). */
McuDecodeWantedState mcu_decode_wanted_get (
    McuDecodeWanted *line, guint *level);
/* Says @state (not REVOKED: see revoke) with @level for LEVEL, unless the
 * line was revoked (for good). */
void mcu_decode_wanted_set (
    McuDecodeWanted *line, McuDecodeWantedState state, guint level);
/* Whether a packet with @meta (NULL: no level header) is to be decoded
 * under @state and @level (as from mcu_decode_wanted_get). */
gboolean mcu_decode_wanted_takes (
    McuDecodeWantedState state, guint level, const GstAudioLevelMeta *meta);
void mcu_decode_wanted_revoke (McuDecodeWanted *line);

/* The query a decoder sends downstream, and its answer: (transfer full)
 * (nullable) the line, NULL when nobody answered. */
GstQuery *mcu_decode_wanted_query_new (void);
McuDecodeWanted *mcu_decode_wanted_query_parse (GstQuery *query);
/* The mixer's side: answers @query with @line. FALSE when @query is not
 * MCU_DECODE_WANTED_QUERY. */
gboolean mcu_decode_wanted_query_answer (
    GstQuery *query, McuDecodeWanted *line);

G_END_DECLS
