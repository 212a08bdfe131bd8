/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuDecodeWanted, a mixer input's direct line to the decoder
 * upstream of it: whether the mixer may mix that input's coming frames.
 * A decoder told no need not decode them (mcuopusdec: zeros of each
 * packet's length, with its level meta; see mcu-opus-dec.h).
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

G_BEGIN_DECLS

#define MCU_DECODE_WANTED_QUERY "mcu-decode-wanted"

typedef enum
{
  MCU_DECODE_WANTED_YES,    /* the mixer may mix it: decode */
  MCU_DECODE_WANTED_NO,     /* it will not be mixed: need not decode */
  MCU_DECODE_WANTED_REVOKED /* the line is dead: drop it, decode */
} McuDecodeWantedState;

typedef struct _McuDecodeWanted McuDecodeWanted;

#define MCU_TYPE_DECODE_WANTED (mcu_decode_wanted_get_type ())
GType mcu_decode_wanted_get_type (void);

/* A new line, saying yes. */
McuDecodeWanted *mcu_decode_wanted_new (void);
McuDecodeWanted *mcu_decode_wanted_ref (McuDecodeWanted *line);
void mcu_decode_wanted_unref (McuDecodeWanted *line);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuDecodeWanted, mcu_decode_wanted_unref)

McuDecodeWantedState mcu_decode_wanted_get (McuDecodeWanted *line);
/* Says yes or no, unless the line was revoked (for good). */
void mcu_decode_wanted_set (McuDecodeWanted *line, gboolean wanted);
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
