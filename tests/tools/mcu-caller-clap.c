/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu-test-caller: the "clap". Both probes decide from the buffer's time on
 * the shared system clock, not from when they run, so the picture and the
 * tone start in the same instant whatever each pipeline buffers.
 *
 * The picture can only change with a frame: the burst starts with the
 * first frame at or after each period's start, so the video probe tells
 * the audio one where its frames fall (one video sender per process). The
 * two run on two streaming threads: the two numbers are atomics.
 *
 * The audio leaves like a microphone's: a buffer once its last sample is
 * captured (audiotestsrc, live, pushes it at its start), so the burst
 * reaches the server a packet after the picture, as from a phone. */
#include "mcu-caller-clap.h"

#include <math.h>
#include <string.h>

static gint64 frame_phase = -1; /* a frame's clock time mod frame_len, ns */
static gint64 frame_len = 0;    /* ns, 0 = no video (yet) */

static GstClockTime
clock_time_of (GstPad *pad, GstBuffer *buf)
{
  g_autoptr (GstElement) parent = gst_pad_get_parent_element (pad);
  g_autoptr (GstEvent) ev =
      gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  const GstSegment *seg;
  GstClockTime rt;

  if (parent == NULL || ev == NULL || !GST_BUFFER_PTS_IS_VALID (buf))
    return GST_CLOCK_TIME_NONE;
  gst_event_parse_segment (ev, &seg);
  rt = gst_segment_to_running_time (seg, GST_FORMAT_TIME, GST_BUFFER_PTS (buf));
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return GST_CLOCK_TIME_NONE;
  return rt + gst_element_get_base_time (parent);
}

/* Whether @t is within a clap: from the first frame at or after the
 * period's start (the start itself without video), for CLAP_MS. */
static gboolean
in_clap (GstClockTime t, guint period_ms)
{
  GstClockTime period = (GstClockTime)period_ms * GST_MSECOND;
  gint64 len = __atomic_load_n (&frame_len, __ATOMIC_RELAXED);
  gint64 phase = __atomic_load_n (&frame_phase, __ATOMIC_RELAXED);
  GstClockTime start;

  /* the clap of this period, or the one of the last that may still last */
  for (gint back = 0; back < 2; back++) {
    if (t < back * period)
      break;
    start = t - t % period - back * period;
    if (len > 0 && phase >= 0)
      start +=
          (GstClockTime)((phase - (gint64)(start % len)) % len + len) % len;
    if (t >= start && t < start + MCU_CALLER_CLAP_MS * GST_MSECOND)
      return TRUE;
  }
  return FALSE;
}

GstPadProbeReturn
mcu_caller_clap_video_probe (
    GstPad *pad, GstPadProbeInfo *info, gpointer period_ms)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime t = clock_time_of (pad, buf);
  GstMapInfo map;
  gsize y_size;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  GstVideoInfo vinfo;

  if (!GST_CLOCK_TIME_IS_VALID (t) || caps == NULL ||
      !gst_video_info_from_caps (&vinfo, caps) || vinfo.fps_n <= 0)
    return GST_PAD_PROBE_OK;
  __atomic_store_n (&frame_len,
      (gint64)gst_util_uint64_scale (GST_SECOND, vinfo.fps_d, vinfo.fps_n),
      __ATOMIC_RELAXED);
  __atomic_store_n (&frame_phase,
      (gint64)(t %
               (GstClockTime)__atomic_load_n (&frame_len, __ATOMIC_RELAXED)),
      __ATOMIC_RELAXED);
  if (!in_clap (t, GPOINTER_TO_UINT (period_ms)))
    return GST_PAD_PROBE_OK;
  buf = gst_buffer_make_writable (buf);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  if (gst_buffer_map (buf, &map, GST_MAP_WRITE)) {
    y_size =
        (gsize)GST_VIDEO_INFO_WIDTH (&vinfo) * GST_VIDEO_INFO_HEIGHT (&vinfo);
    memset (map.data, 235, MIN (y_size, map.size));
    if (map.size > y_size)
      memset (map.data + y_size, 128, map.size - y_size);
    gst_buffer_unmap (buf, &map);
  }
  return GST_PAD_PROBE_OK;
}

/* Blocks the push of @buf (clock time @t) until its end is due. */
static void
wait_until_captured (GstPad *pad, GstBuffer *buf, GstClockTime t)
{
  g_autoptr (GstElement) parent = gst_pad_get_parent_element (pad);
  g_autoptr (GstClock) clock = parent ? gst_element_get_clock (parent) : NULL;
  GstClockID id;

  if (clock == NULL || !GST_BUFFER_DURATION_IS_VALID (buf))
    return;
  id = gst_clock_new_single_shot_id (clock, t + GST_BUFFER_DURATION (buf));
  gst_clock_id_wait (id, NULL);
  gst_clock_id_unref (id);
}

GstPadProbeReturn
mcu_caller_clap_audio_probe (
    GstPad *pad, GstPadProbeInfo *info, gpointer period_ms)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime t = clock_time_of (pad, buf);
  guint period = GPOINTER_TO_UINT (period_ms);
  GstMapInfo map;

  if (!GST_CLOCK_TIME_IS_VALID (t))
    return GST_PAD_PROBE_OK;
  buf = gst_buffer_make_writable (buf);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  if (!gst_buffer_map (buf, &map, GST_MAP_WRITE))
    return GST_PAD_PROBE_OK;
  for (gsize i = 0; i < map.size / 2; i++) {
    GstClockTime ts = t + gst_util_uint64_scale (i, GST_SECOND, 48000);
    gint16 v = 0;

    if (in_clap (ts, period))
      v = (gint16)(16000 * sin (2 * G_PI * 1000 * (ts / 1e9)));
    ((gint16 *)map.data)[i] = v;
  }
  gst_buffer_unmap (buf, &map);
  wait_until_captured (pad, buf, t);
  return GST_PAD_PROBE_OK;
}
