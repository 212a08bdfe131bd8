/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuOpusEncGroup (see mcu-opus-enc-group.h).
 *
 * Threads: created and configured on the application thread; encode() is
 * called from the members' streaming threads (today mcumixminus pushes every
 * src_N from one thread, but members behind queues run on their own).
 *
 * Locks: `lock` protects the encoder, the cache and the counters. It is held
 * while encoding (~0.1 ms), so the other members asking for
 * the same frame wait and then find it in the cache. No other lock is taken
 * under it.
 *
 * Cache: the last CACHE_SIZE shared frames, each with its PTS, a copy of
 * its input samples and its packet. A hit needs the same PTS and the same
 * samples, so a mis-wired member (another mixer, a private buffer flagged by
 * mistake) never receives a packet made from other audio. Several entries
 * rather than one let members on different threads lag each other by a few
 * frames; a member further behind encodes privately, since encoding an
 * older frame would rewind the shared encoder's state. An older frame
 * flagged DISCONT is a restart (the member's stream went back in time after
 * a flush): the shared encoder is reset and encodes it. */
#include "mcu-opus-enc-group.h"

#include "mcu-opus-enc-private.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (mcu_opus_enc_group_debug);
#define GST_CAT_DEFAULT mcu_opus_enc_group_debug

#define CACHE_SIZE  4
#define FRAME_BYTES (MCU_OPUS_ENC_FRAME_SAMPLES * sizeof (gint16))
/* A frame "follows" the previous one when its PTS is within this of the
 * previous PTS + duration. */
#define CONTIGUOUS_TOLERANCE GST_MSECOND

typedef struct
{
  GstClockTime pts; /* GST_CLOCK_TIME_NONE: empty */
  gint16 samples[MCU_OPUS_ENC_FRAME_SAMPLES];
  GstBuffer *packet;
} CacheEntry;

struct _McuOpusEncGroup
{
  GObject parent_instance;

  /* construct-only, read-only afterwards */
  gint bitrate;
  gint complexity;
  gboolean inband_fec;
  gint loss_pct;

  GMutex lock;          /* protects everything below */
  OpusEncoder *encoder; /* created on the first encode */
  gboolean encoder_failed;
  CacheEntry cache[CACHE_SIZE];
  guint newest;          /* index of the newest entry in cache */
  GstClockTime next_pts; /* PTS that follows the newest encoded frame */
  guint64 n_encoded;
  guint64 n_cached;
  guint64 n_refused;
};

enum
{
  PROP_0,
  PROP_BITRATE,
  PROP_COMPLEXITY,
  PROP_INBAND_FEC,
  PROP_PACKET_LOSS_PERCENTAGE,
};

G_DEFINE_FINAL_TYPE_WITH_CODE (McuOpusEncGroup, mcu_opus_enc_group,
    G_TYPE_OBJECT,
    GST_DEBUG_CATEGORY_INIT (mcu_opus_enc_group_debug, "mcuopusencgroup", 0,
        "shared Opus encoder of mcuopusenc"))

static void
mcu_opus_enc_group_set_property (
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  McuOpusEncGroup *self = MCU_OPUS_ENC_GROUP (object);

  switch (prop_id) {
    case PROP_BITRATE:
      self->bitrate = g_value_get_int (value);
      break;
    case PROP_COMPLEXITY:
      self->complexity = g_value_get_int (value);
      break;
    case PROP_INBAND_FEC:
      self->inband_fec = g_value_get_boolean (value);
      break;
    case PROP_PACKET_LOSS_PERCENTAGE:
      self->loss_pct = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
mcu_opus_enc_group_get_property (
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  McuOpusEncGroup *self = MCU_OPUS_ENC_GROUP (object);

  switch (prop_id) {
    case PROP_BITRATE:
      g_value_set_int (value, self->bitrate);
      break;
    case PROP_COMPLEXITY:
      g_value_set_int (value, self->complexity);
      break;
    case PROP_INBAND_FEC:
      g_value_set_boolean (value, self->inband_fec);
      break;
    case PROP_PACKET_LOSS_PERCENTAGE:
      g_value_set_int (value, self->loss_pct);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
mcu_opus_enc_group_finalize (GObject *object)
{
  McuOpusEncGroup *self = MCU_OPUS_ENC_GROUP (object);

  for (guint i = 0; i < CACHE_SIZE; i++)
    gst_clear_buffer (&self->cache[i].packet);
  g_clear_pointer (&self->encoder, opus_encoder_destroy);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (mcu_opus_enc_group_parent_class)->finalize (object);
}

static void
mcu_opus_enc_group_class_init (McuOpusEncGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags =
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->set_property = mcu_opus_enc_group_set_property;
  object_class->get_property = mcu_opus_enc_group_get_property;
  object_class->finalize = mcu_opus_enc_group_finalize;

  g_object_class_install_property (object_class, PROP_BITRATE,
      g_param_spec_int ("bitrate", "Bitrate", "Target bitrate in bit/s",
          MCU_OPUS_ENC_MIN_BITRATE, MCU_OPUS_ENC_MAX_BITRATE, 32000, flags));
  g_object_class_install_property (object_class, PROP_COMPLEXITY,
      g_param_spec_int ("complexity", "Complexity",
          "Encoder complexity (0 = fastest)", 0, 10, 9, flags));
  g_object_class_install_property (object_class, PROP_INBAND_FEC,
      g_param_spec_boolean ("inband-fec", "In-band FEC",
          "Add in-band forward error correction", FALSE, flags));
  g_object_class_install_property (object_class, PROP_PACKET_LOSS_PERCENTAGE,
      g_param_spec_int ("packet-loss-percentage", "Packet loss percentage",
          "Expected packet loss, tunes FEC", 0, 100, 0, flags));
}

static void
mcu_opus_enc_group_init (McuOpusEncGroup *self)
{
  g_mutex_init (&self->lock);
  for (guint i = 0; i < CACHE_SIZE; i++)
    self->cache[i].pts = GST_CLOCK_TIME_NONE;
  self->next_pts = GST_CLOCK_TIME_NONE;
}

McuOpusEncGroup *
mcu_opus_enc_group_new (gint bitrate, gint complexity, gboolean inband_fec,
    gint packet_loss_percentage)
{
  return g_object_new (MCU_TYPE_OPUS_ENC_GROUP, "bitrate", bitrate,
      "complexity", complexity, "inband-fec", inband_fec,
      "packet-loss-percentage", packet_loss_percentage, NULL);
}

/* With the lock held. Returns the cache entry for @pts, or NULL. */
static CacheEntry *
cache_lookup (McuOpusEncGroup *self, GstClockTime pts)
{
  for (guint i = 0; i < CACHE_SIZE; i++)
    if (self->cache[i].pts == pts)
      return &self->cache[i];
  return NULL;
}

/* With the lock held: encodes @inbuf with the shared encoder and stores it
 * as the newest cache entry. Returns the entry's packet (not a new ref), or
 * NULL. */
static GstBuffer *
encode_and_cache (McuOpusEncGroup *self, GstBuffer *inbuf)
{
  GstClockTime pts = GST_BUFFER_PTS (inbuf);
  GstBuffer *packet;
  CacheEntry *entry;
  gboolean follows;

  if (self->encoder == NULL && !self->encoder_failed) {
    self->encoder = mcu_opus_enc_encoder_new (
        self->bitrate, self->complexity, self->inband_fec, self->loss_pct);
    self->encoder_failed = self->encoder == NULL;
  }
  if (self->encoder == NULL)
    return NULL;

  /* A frame that does not follow the last one (no member received the full
   * mix in between: everyone was talking) starts from a clean state rather
   * than from audio of seconds ago. */
  follows = GST_CLOCK_TIME_IS_VALID (self->next_pts) &&
            pts + CONTIGUOUS_TOLERANCE >= self->next_pts &&
            pts <= self->next_pts + CONTIGUOUS_TOLERANCE;
  if (GST_CLOCK_TIME_IS_VALID (self->next_pts) &&
      (!follows || GST_BUFFER_IS_DISCONT (inbuf))) {
    GST_DEBUG (
        "group %p: reset at %" GST_TIME_FORMAT, self, GST_TIME_ARGS (pts));
    opus_encoder_ctl (self->encoder, OPUS_RESET_STATE);
  }

  packet = mcu_opus_enc_encode_buffer (self->encoder, inbuf);
  if (packet == NULL)
    return NULL;
  self->n_encoded++;
  self->next_pts = pts + MCU_OPUS_ENC_FRAME_DURATION;

  self->newest = (self->newest + 1) % CACHE_SIZE;
  entry = &self->cache[self->newest];
  gst_clear_buffer (&entry->packet);
  entry->packet = packet;
  entry->pts = pts;
  gst_buffer_extract (inbuf, 0, entry->samples, FRAME_BYTES);
  return packet;
}

GstBuffer *
mcu_opus_enc_group_encode (McuOpusEncGroup *group, GstBuffer *inbuf)
{
  GstClockTime pts;
  GstBuffer *packet = NULL;
  CacheEntry *entry;

  g_return_val_if_fail (MCU_IS_OPUS_ENC_GROUP (group), NULL);
  g_return_val_if_fail (GST_IS_BUFFER (inbuf), NULL);

  pts = GST_BUFFER_PTS (inbuf);
  if (!GST_CLOCK_TIME_IS_VALID (pts) ||
      gst_buffer_get_size (inbuf) != FRAME_BYTES)
    return NULL;

  g_mutex_lock (&group->lock);
  entry = cache_lookup (group, pts);
  if (entry != NULL) {
    if (gst_buffer_memcmp (inbuf, 0, entry->samples, FRAME_BYTES) == 0) {
      packet = gst_buffer_ref (entry->packet);
      group->n_cached++;
    } else {
      group->n_refused++;
      GST_DEBUG ("group %p: other samples at %" GST_TIME_FORMAT, group,
          GST_TIME_ARGS (pts));
    }
  } else if (GST_CLOCK_TIME_IS_VALID (group->next_pts) &&
             pts + CONTIGUOUS_TOLERANCE < group->next_pts &&
             !GST_BUFFER_IS_DISCONT (inbuf)) {
    /* A member a few frames behind the others: the frame is no longer
     * cached and encoding it would rewind the shared encoder. */
    group->n_refused++;
  } else if ((packet = encode_and_cache (group, inbuf)) != NULL) {
    gst_buffer_ref (packet);
  }
  g_mutex_unlock (&group->lock);
  return packet;
}

guint64
mcu_opus_enc_group_get_n_encoded (McuOpusEncGroup *group)
{
  guint64 n;

  g_return_val_if_fail (MCU_IS_OPUS_ENC_GROUP (group), 0);
  g_mutex_lock (&group->lock);
  n = group->n_encoded;
  g_mutex_unlock (&group->lock);
  return n;
}

guint64
mcu_opus_enc_group_get_n_cached (McuOpusEncGroup *group)
{
  guint64 n;

  g_return_val_if_fail (MCU_IS_OPUS_ENC_GROUP (group), 0);
  g_mutex_lock (&group->lock);
  n = group->n_cached;
  g_mutex_unlock (&group->lock);
  return n;
}
