/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuMixMinusRing. A shared pusher (mcujitterbuffer serviced by
 * McuPlayout's workers, one thread for many callers and rooms) must never
 * wait for a mix: GstAggregatorPad's chain blocks while its queue is full,
 * and one push can bring several buffers (a 200 ms concealment after a
 * pause, a resampler's drain, the packet). So a retimed pad fed by one
 * stores each buffer's samples here, at the running time retiming gave
 * it, and returns; the mixing thread reads each such pad's samples for
 * the frame it mixes (mcu-mix-minus.c, mix_rings), as a FreeSWITCH
 * conference thread reads its members' buffers.
 *
 * A window of MCU_MIX_MINUS_RING_SAMPLES from the read position (sample
 * index: running time at 48 kHz). A write places its samples by index and
 * drops, and counts, what falls outside the window (its time read already,
 * or too far ahead: the mix stalled); it never waits. Reading a frame
 * copies it out and consumes it: consumed samples are zeroed, so a sample
 * never written reads as silence. Whether a part was written, and the
 * RFC 6464 level it carried, are kept per block of RING_BLOCK samples.
 *
 * Locking: one mutex, held for a copy of at most the window (writer) or a
 * frame (reader); nothing else is done under it. */
#include "mcu-mix-minus-ring.h"

#include <string.h>

#define RING_BLOCK  240 /* 5 ms */
#define RING_BLOCKS (MCU_MIX_MINUS_RING_SAMPLES / RING_BLOCK)
#define RING_ALIGN  (40 * 48) /* 40 ms: GstAudioAggregator's threshold */
/* A write placed this little before the read position is in time but for
 * its times' drift off the mix's frames (mcu-mix-minus-pad.c:
 * resync_reason) */
#define RING_SNAP    48 /* 1 ms */
#define LEVEL_SILENT 127

G_STATIC_ASSERT (MCU_MIX_MINUS_RING_SAMPLES % RING_BLOCK == 0);

typedef struct
{
  guint8 written;
  guint8 has_level;
  guint8 level; /* -dBov, the lowest written */
  guint8 voice; /* some write said voice */
  guint8 voice_level;
} Block;

struct _McuMixMinusRing
{
  GMutex lock;
  gint16 samples[MCU_MIX_MINUS_RING_SAMPLES];
  Block blocks[RING_BLOCKS];
  gboolean started;  /* read_pos is set */
  gboolean reading;  /* read_pos is a frame's end (a read set it) */
  guint64 read_pos;  /* everything before it is consumed */
  gboolean has_next; /* next is set */
  guint64 next;      /* end of the last write */
  McuMixMinusRingStats stats;
};

McuMixMinusRing *
mcu_mix_minus_ring_new (void)
{
  McuMixMinusRing *ring = g_new0 (McuMixMinusRing, 1);

  g_mutex_init (&ring->lock);
  return ring;
}

void
mcu_mix_minus_ring_free (McuMixMinusRing *ring)
{
  if (ring == NULL)
    return;
  g_mutex_clear (&ring->lock);
  g_free (ring);
}

void
mcu_mix_minus_ring_reset (McuMixMinusRing *ring)
{
  g_mutex_lock (&ring->lock);
  memset (ring->samples, 0, sizeof (ring->samples));
  memset (ring->blocks, 0, sizeof (ring->blocks));
  ring->started = ring->has_next = ring->reading = FALSE;
  ring->read_pos = ring->next = 0;
  g_mutex_unlock (&ring->lock);
}

static Block *
block_at (McuMixMinusRing *ring, guint64 index)
{
  return &ring->blocks[(index / RING_BLOCK) % RING_BLOCKS];
}

/* The window's end: a block the read position is in the middle of is
 * still in use, so the window ends a whole ring after its start. */
static guint64
window_end (McuMixMinusRing *ring)
{
  return ring->read_pos / RING_BLOCK * RING_BLOCK + MCU_MIX_MINUS_RING_SAMPLES;
}

/* Consumes everything before @to: zeroes its samples, forgets the blocks
 * wholly before it. */
static void
advance (McuMixMinusRing *ring, guint64 to)
{
  guint64 from = ring->read_pos;

  if (to <= from)
    return;
  if (to - from >= MCU_MIX_MINUS_RING_SAMPLES) {
    memset (ring->samples, 0, sizeof (ring->samples));
    memset (ring->blocks, 0, sizeof (ring->blocks));
  } else {
    for (guint64 i = from; i < to;) {
      guint at = i % MCU_MIX_MINUS_RING_SAMPLES;
      guint len = MIN (to - i, (guint64)(MCU_MIX_MINUS_RING_SAMPLES - at));

      memset (ring->samples + at, 0, len * sizeof (gint16));
      i += len;
    }
    for (guint64 b = from / RING_BLOCK * RING_BLOCK; b + RING_BLOCK <= to;
         b += RING_BLOCK)
      memset (block_at (ring, b), 0, sizeof (Block));
  }
  ring->read_pos = to;
}

static void
mark (McuMixMinusRing *ring, guint64 from, guint64 to,
    const GstAudioLevelMeta *level)
{
  for (guint64 b = from / RING_BLOCK * RING_BLOCK; b < to; b += RING_BLOCK) {
    Block *block = block_at (ring, b);
    guint8 l;

    block->written = TRUE;
    if (level == NULL)
      continue;
    l = MIN (level->level, LEVEL_SILENT);
    block->level = block->has_level ? MIN (block->level, l) : l;
    block->has_level = TRUE;
    if (level->voice_activity) {
      block->voice_level = block->voice ? MIN (block->voice_level, l) : l;
      block->voice = TRUE;
    }
  }
}

guint
mcu_mix_minus_ring_write (McuMixMinusRing *ring, guint64 start,
    const gint16 *samples, guint n, gboolean discont,
    const GstAudioLevelMeta *level, guint64 floor)
{
  guint64 end, wend, late = 0, ahead = 0, placed = start;

  g_mutex_lock (&ring->lock);
  if (!ring->started) {
    ring->started = TRUE;
    ring->read_pos = MAX (floor, start);
  } else {
    advance (ring, floor);
  }
  if (!discont && ring->has_next &&
      (start > ring->next ? start - ring->next : ring->next - start) <=
          RING_ALIGN)
    start = ring->next;
  /* Behind the read position only because it follows the previous write,
   * or by its times' drift (RING_SNAP): from the read position on, whole. Cut
   * instead, a stream a few samples behind the mix's frames (its writes follow
   * one another, each coming after the frame before it is read) lost those
   * samples and read as many zeros at every frame, for the rest of the
   * call: a 50 Hz buzz (1-26 samples a frame in test_media_mix, test_plc
   * and test_mix_stall; noise 36 dB under a tone in test_streaming). Once
   * moved, the writes that follow are on the reads' frames. */
  if (start < ring->read_pos && placed + RING_SNAP >= ring->read_pos) {
    start = ring->read_pos;
    ring->stats.snapped++;
  }
  end = start + n;
  ring->next = end;
  ring->has_next = TRUE;
  if (start < ring->read_pos) {
    late = MIN ((guint64)n, ring->read_pos - start);
    start += late;
    samples += late;
  }
  wend = window_end (ring);
  if (end > wend) {
    ahead = end - MAX (start, wend);
    end = MAX (start, wend);
  }
  if (start < end) {
    mark (ring, start, end, level);
    ring->stats.written += end - start;
  }
  for (guint64 i = start; i < end;) {
    guint at = i % MCU_MIX_MINUS_RING_SAMPLES;
    guint len = MIN (end - i, (guint64)(MCU_MIX_MINUS_RING_SAMPLES - at));

    memcpy (ring->samples + at, samples, len * sizeof (gint16));
    samples += len;
    i += len;
  }
  ring->stats.late += late;
  ring->stats.ahead += ahead;
  if (late > 0)
    ring->stats.cut++;
  g_mutex_unlock (&ring->lock);
  return late + ahead;
}

gboolean
mcu_mix_minus_ring_read (McuMixMinusRing *ring, guint64 start, guint n,
    gint16 *out, McuMixMinusRingLevel *level)
{
  guint64 end = start + n, from;
  gboolean any = FALSE;

  memset (out, 0, n * sizeof (gint16));
  memset (level, 0, sizeof (*level));
  level->level = level->voice_level = LEVEL_SILENT;
  g_mutex_lock (&ring->lock);
  if (!ring->started) {
    ring->started = TRUE;
    ring->read_pos = start;
  }
  if (end <= ring->read_pos || n > MCU_MIX_MINUS_RING_SAMPLES - RING_BLOCK) {
    g_mutex_unlock (&ring->lock);
    return FALSE;
  }
  advance (ring, start);
  from = MAX (start, ring->read_pos);
  for (guint64 b = from / RING_BLOCK * RING_BLOCK; b < end; b += RING_BLOCK) {
    Block *block = block_at (ring, b);

    if (!block->written)
      continue;
    any = TRUE;
    if (block->has_level) {
      level->level =
          level->seen ? MIN (level->level, block->level) : block->level;
      level->seen = TRUE;
    }
    if (block->voice) {
      level->voice_level = level->voiced
                               ? MIN (level->voice_level, block->voice_level)
                               : block->voice_level;
      level->voiced = TRUE;
    }
  }
  for (guint64 i = from; any && i < end;) {
    guint at = i % MCU_MIX_MINUS_RING_SAMPLES;
    guint len = MIN (end - i, (guint64)(MCU_MIX_MINUS_RING_SAMPLES - at));

    memcpy (out + (i - start), ring->samples + at, len * sizeof (gint16));
    i += len;
  }
  advance (ring, end);
  ring->reading = TRUE;
  g_mutex_unlock (&ring->lock);
  return any;
}

guint64
mcu_mix_minus_ring_consumed (McuMixMinusRing *ring)
{
  guint64 pos;

  g_mutex_lock (&ring->lock);
  pos = ring->reading ? ring->read_pos : 0;
  g_mutex_unlock (&ring->lock);
  return pos;
}

guint64
mcu_mix_minus_ring_end (McuMixMinusRing *ring)
{
  guint64 end;

  g_mutex_lock (&ring->lock);
  end = ring->has_next ? ring->next : 0;
  g_mutex_unlock (&ring->lock);
  return end;
}

void
mcu_mix_minus_ring_get_stats (
    McuMixMinusRing *ring, McuMixMinusRingStats *stats)
{
  g_mutex_lock (&ring->lock);
  *stats = ring->stats;
  g_mutex_unlock (&ring->lock);
}
