/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuMixMinusRing, a retimed input's samples by running time, for a
 * pad fed by a shared pusher (see mcu-mix-minus-ring.c). */
#pragma once

#include <gst/audio/audio.h>

G_BEGIN_DECLS

typedef struct _McuMixMinusRing McuMixMinusRing;

/* What the caller's RFC 6464 levels said over a read (the loudest of the
 * parts read, and the loudest of those with voice), for
 * mcu_mix_minus_select_note_level. */
typedef struct
{
  gboolean seen;      /* some part carried a level */
  guint8 level;       /* the lowest -dBov of those */
  gboolean voiced;    /* some part said voice */
  guint8 voice_level; /* the lowest -dBov of those */
} McuMixMinusRingLevel;

typedef struct
{
  guint64 written; /* samples stored */
  guint64 late;    /* samples dropped: their time was read already */
  guint64 ahead;   /* samples dropped: beyond the ring's window */
  guint64 cut;     /* writes that lost samples as late */
  guint64 snapped; /* writes moved to the read position (see write) */
} McuMixMinusRingStats;

/* 48 kHz mono S16 samples; the window is this long. */
#define MCU_MIX_MINUS_RING_SAMPLES (400 * 48)

McuMixMinusRing *mcu_mix_minus_ring_new (void);
void mcu_mix_minus_ring_free (McuMixMinusRing *ring);
/* Forgets every sample (a flush). Any thread. */
void mcu_mix_minus_ring_reset (McuMixMinusRing *ring);

/* The pusher's thread: stores @n samples from sample index @start (running
 * time at 48 kHz). Never waits for the reader (a short lock only): what
 * falls before the read position or @floor (the mix's) is dropped, and so
 * is what lies beyond the window. Unless @discont, a start within 40 ms
 * of the previous write's end follows it seamlessly (like
 * GstAudioAggregator's alignment). A write placed in time (or at most
 * 1 ms before the read position: its times' drift) that would start before the
 * read position all the same, by that alignment or the rounding, starts
 * at the read position instead: it is delayed, not cut. Returns the
 * samples dropped. */
guint mcu_mix_minus_ring_write (McuMixMinusRing *ring, guint64 start,
    const gint16 *samples, guint n, gboolean discont,
    const GstAudioLevelMeta *level, guint64 floor);

/* The mixing thread: copies samples [@start, @start + @n) to @out (zeros
 * where none were written) and consumes them. Returns whether any was
 * written; @level gets what their levels said. */
gboolean mcu_mix_minus_ring_read (McuMixMinusRing *ring, guint64 start, guint n,
    gint16 *out, McuMixMinusRingLevel *level);

/* The read position (sample index): what lies before it is mixed; 0
 * before the first read. */
guint64 mcu_mix_minus_ring_consumed (McuMixMinusRing *ring);
/* The end (sample index) of the last write, 0 before any. */
guint64 mcu_mix_minus_ring_end (McuMixMinusRing *ring);
void mcu_mix_minus_ring_get_stats (
    McuMixMinusRing *ring, McuMixMinusRingStats *stats);

G_END_DECLS
