/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: RFC 6464 audio levels out of RTP packets (see mcu-rtp-level.h). */
#include "mcu-rtp-level.h"

#include <gst/audio/audio.h>

#define RTP_HEADER       12
#define ONE_BYTE_PROFILE 0xBEDE
#define TWO_BYTE_PROFILE 0x1000 /* the low 4 bits are "appbits" */
#define NO_LEVEL         (-1)
#define VOICE_BIT        0x80 /* in Watch.last, above the 7-bit level */
/* V=0 for this long after the last V=1 is silence to skip (says_silence) */
#define QUIET_AFTER_MS 500

/* One element's data: the level byte when it is @id's (RFC 6464 says one
 * byte; a longer element is taken by its first byte). */
static gboolean
take_element (
    guint elem_id, guint elem_len, const guint8 *payload, guint id, guint8 *out)
{
  if (elem_id != id || elem_len < 1)
    return FALSE;
  *out = payload[0];
  return TRUE;
}

/* The extension elements of @block (@n bytes) in one-byte (RFC 8285 4.2)
 * or two-byte (4.3) form; TRUE with the byte of @id. */
static gboolean
find_element (
    const guint8 *block, gsize n, gboolean two_byte, guint id, guint8 *out)
{
  gsize i = 0;

  while (i < n) {
    guint elem_id, elem_len;

    if (block[i] == 0) { /* padding, both forms */
      i++;
      continue;
    }
    if (two_byte) {
      if (i + 2 > n)
        return FALSE;
      elem_id = block[i];
      elem_len = block[i + 1];
      i += 2;
    } else {
      elem_id = block[i] >> 4;
      elem_len = (block[i] & 0x0F) + 1u;
      if (elem_id == 15) /* reserved: stop reading */
        return FALSE;
      i += 1;
    }
    if (elem_len > n - i)
      return FALSE;
    if (take_element (elem_id, elem_len, block + i, id, out))
      return TRUE;
    i += elem_len;
  }
  return FALSE;
}

gboolean
mcu_rtp_level_read (
    const guint8 *data, gsize len, guint id, guint8 *level, gboolean *voice)
{
  gsize offset;
  guint profile;
  gsize ext_len;
  guint8 byte;

  if (data == NULL || len < RTP_HEADER || (data[0] >> 6) != 2 ||
      (data[0] & 0x10) == 0 || id == 0 || id > 255)
    return FALSE;
  offset = RTP_HEADER + 4u * (data[0] & 0x0F); /* CSRCs */
  if (offset + 4 > len)
    return FALSE;
  profile = ((guint)data[offset] << 8) | data[offset + 1];
  ext_len = 4u * (((gsize)data[offset + 2] << 8) | data[offset + 3]);
  offset += 4;
  if (ext_len > len - offset)
    return FALSE;
  if (profile == ONE_BYTE_PROFILE) {
    if (id > 14)
      return FALSE;
    if (!find_element (data + offset, ext_len, FALSE, id, &byte))
      return FALSE;
  } else if ((profile & 0xFFF0) == TWO_BYTE_PROFILE) {
    if (!find_element (data + offset, ext_len, TRUE, id, &byte))
      return FALSE;
  } else {
    return FALSE;
  }
  *level = byte & 0x7F;
  *voice = (byte & 0x80) != 0;
  return TRUE;
}

typedef enum
{
  VOICE_NONE,  /* no V=1 packet yet */
  VOICE_HEARD, /* Watch.voice_ts is the last one's */
} VoiceState;

/* Shared by the two probes (refcounted: either may go first). */
typedef struct
{
  guint pt;
  guint id;
  gboolean vad;
  gint last; /* atomic: level | VOICE_BIT of the last packet, or NO_LEVEL */
  /* the RTP probe's thread only: */
  guint32 quiet_after; /* RTP time units of V=0 that make it silence, 0: off */
  VoiceState voice;
  guint32 voice_ts; /* the last packet with V=1 (VOICE_HEARD) */
} Watch;

static guint32
rtp_timestamp (const guint8 *data, gsize len)
{
  return len >= RTP_HEADER ? GST_READ_UINT32_BE (data + 4) : 0;
}

/* The level says silence the decoder may skip: -127 dBov at once; V=0
 * (with vad=on) only once the caller has had no voice for QUIET_AFTER_MS,
 * past the mixer's gate hangover (300 ms, mcu-mix-kernel.c), which mixes
 * a talker's decoded V=0 tail, breaths and pauses between words. */
static gboolean
says_silence (Watch *w, gint value, guint32 ts)
{
  if (value == NO_LEVEL || w->quiet_after == 0)
    return FALSE;
  if ((value & 0x7F) == MCU_RTP_LEVEL_SILENT)
    return TRUE;
  if (value & VOICE_BIT) {
    w->voice = VOICE_HEARD;
    w->voice_ts = ts;
    return FALSE;
  }
  return w->voice == VOICE_NONE || (guint32)(ts - w->voice_ts) > w->quiet_after;
}

/* Reads *@buf's level. The packet (made writable) carries it on as a
 * GstAudioLevelMeta, which the depayloader's payload copy keeps: the
 * decoder judges each packet by its own level against the mixer's line
 * (mcu-decode-wanted.h). Known silence (says_silence) is marked GAP, which
 * rides the same way: the decoder need not decode it. */
static void
watch_packet (Watch *w, GstBuffer **buf)
{
  GstMapInfo map;
  guint8 level;
  gboolean voice, silence;
  gint value = NO_LEVEL;

  if (!gst_buffer_map (*buf, &map, GST_MAP_READ))
    return;
  if (map.size >= RTP_HEADER && (map.data[1] & 0x7F) != w->pt) {
    gst_buffer_unmap (*buf, &map);
    return; /* not the audio (a telephone-event): keeps the last */
  }
  if (mcu_rtp_level_read (map.data, map.size, w->id, &level, &voice))
    value = level | (!w->vad || voice ? VOICE_BIT : 0);
  silence = says_silence (w, value, rtp_timestamp (map.data, map.size));
  gst_buffer_unmap (*buf, &map);
  g_atomic_int_set (&w->last, value);
  if (value == NO_LEVEL && !silence)
    return;
  *buf = gst_buffer_make_writable (*buf);
  if (value != NO_LEVEL)
    gst_buffer_add_audio_level_meta (
        *buf, (guint8)(value & 0x7F), (value & VOICE_BIT) != 0);
  if (silence)
    GST_BUFFER_FLAG_SET (*buf, GST_BUFFER_FLAG_GAP);
}

static gboolean
watch_list_item (GstBuffer **buf, guint idx, gpointer user_data)
{
  watch_packet (user_data, buf);
  return TRUE;
}

static GstPadProbeReturn
on_rtp_packet (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

    watch_packet (user_data, &buf);
    GST_PAD_PROBE_INFO_DATA (info) = buf;
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);

    list = gst_buffer_list_make_writable (list);
    gst_buffer_list_foreach (list, watch_list_item, user_data);
    GST_PAD_PROBE_INFO_DATA (info) = list;
  }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_audio_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Watch *w = user_data;
  gint value = g_atomic_int_get (&w->last);
  GstBuffer *buf;

  /* (a decoder that copies its input's metas passed the packet's own) */
  if (value == NO_LEVEL ||
      gst_buffer_get_audio_level_meta (GST_PAD_PROBE_INFO_BUFFER (info)))
    return GST_PAD_PROBE_OK;
  buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  gst_buffer_add_audio_level_meta (
      buf, (guint8)(value & 0x7F), (value & VOICE_BIT) != 0);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

void
mcu_rtp_level_watch (GstPad *rtp_pad, GstPad *audio_pad, guint pt, guint id,
    gboolean vad, guint skip_rate)
{
  Watch *w;

  g_return_if_fail (GST_IS_PAD (rtp_pad) && GST_IS_PAD (audio_pad));
  g_return_if_fail (id >= 1 && id <= 255);

  w = g_atomic_rc_box_new0 (Watch);
  w->pt = pt & 0x7F;
  w->id = id;
  w->vad = vad;
  w->last = NO_LEVEL;
  w->quiet_after = skip_rate * QUIET_AFTER_MS / 1000;
  w->voice = VOICE_NONE;
  gst_pad_add_probe (rtp_pad,
      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, on_rtp_packet,
      g_atomic_rc_box_acquire (w), (GDestroyNotify)g_atomic_rc_box_release);
  gst_pad_add_probe (audio_pad, GST_PAD_PROBE_TYPE_BUFFER, on_audio_buffer, w,
      (GDestroyNotify)g_atomic_rc_box_release);
}
