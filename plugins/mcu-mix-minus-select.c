/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: who contributes to a frame of mcumixminus: the noise gate
 * (gate-threshold-db, gate-hangover) and max-talkers. The arithmetic and
 * the selection rule are in mcu-mix-kernel.c; this file applies them to
 * the pads of a frame and fixes the sum.
 *
 * Thread: the aggregator task only (from finish_buffer), with the element's
 * start/stop/flush resetting the state while the task is not running. The
 * settings are latched by mcu_mix_minus_select_configure() at the start of
 * each frame (create_output_buffer), so that one frame sees one setting.
 *
 * Every pad accumulates into the sum as it arrives (aggregate_one_buffer
 * cannot know yet whether it will pass): once the frame is complete, the
 * contributions that did not make it are taken out again, or the sum is
 * rebuilt from those that did when they are fewer. Both are exact in
 * int32, so the result is the same as summing the contributors only, and
 * the cost is min (contributors, dropped) passes over the frame.
 *
 * A caller that sends the RFC 6464 audio level (a GstAudioLevelMeta on its
 * decoded audio, see mixer/mcu-rtp-level.h) is judged by that level: its
 * own measure of its microphone, in time with the packet, and the same
 * whatever its codec did, capped at its decoded audio's power (a level
 * can only make a caller quieter). V=0 with vad=on counts as below the gate,
 * and -127 dBov (silence) as no signal at all, so such a caller is not mixed
 * and shares the full mix's encode. Without the meta, the decoded samples
 * decide as before. */
#include "mcu-mix-minus-private.h"

#include <math.h>
#include <string.h>

void
mcu_mix_minus_select_init (McuMixMinusSelect *sel)
{
  memset (sel, 0, sizeof (*sel));
  sel->talkers = g_ptr_array_new ();
  sel->top = g_array_new (FALSE, FALSE, sizeof (McuMixKernelRank));
}

void
mcu_mix_minus_select_clear (McuMixMinusSelect *sel)
{
  g_clear_pointer (&sel->talkers, g_ptr_array_unref);
  g_clear_pointer (&sel->top, g_array_unref);
}

void
mcu_mix_minus_select_reset (McuMixMinusSelect *sel)
{
  sel->position = 0;
}

void
mcu_mix_minus_select_configure (McuMixMinusSelect *sel,
    gdouble gate_threshold_db, guint64 gate_hangover, guint max_talkers)
{
  if (gate_threshold_db <= MCU_MIX_KERNEL_FLOOR_DB) {
    sel->gate_power = 0.0;
  } else {
    gdouble amplitude = 32768.0 * pow (10.0, gate_threshold_db / 20.0);

    sel->gate_power = amplitude * amplitude;
  }
  sel->hangover =
      gst_util_uint64_scale (gate_hangover, MCU_MIX_MINUS_RATE, GST_SECOND);
  sel->max_talkers = max_talkers;
}

gboolean
mcu_mix_minus_select_needs_stats (const McuMixMinusSelect *sel)
{
  return sel->gate_power > 0.0 || sel->max_talkers > 0;
}

void
mcu_mix_minus_select_note_level (
    McuMixMinusPad *pad, const GstAudioLevelMeta *meta, gint32 gain)
{
  guint level = MIN (meta->level, 127);
  gdouble amplitude, power = 0.0;

  if (meta->voice_activity && level < 127) {
    amplitude = 32768.0 * pow (10.0, -(gdouble)level / 20.0) * gain /
                MCU_MIX_KERNEL_GAIN_UNITY;
    power = amplitude * amplitude;
  }
  if (!pad->header_seen) {
    pad->header_seen = TRUE;
    pad->header_silent = TRUE;
    pad->header_power = 0.0;
  }
  pad->header_silent &= level >= 127;
  pad->header_power = MAX (pad->header_power, power);
}

/* The statistics @pad's frame of @n samples is judged by: its RFC 6464
 * level when it sent one, else its decoded audio's. The level is the
 * caller's claim: it may make it quieter than its audio, never louder (a
 * forged 0 dBov over near-silence would take a talker slot unheard). */
static const McuMixKernelStats *
pad_stats (McuMixMinusPad *pad, guint n, McuMixKernelStats *header)
{
  if (!pad->header_seen)
    return &pad->frame;
  header->sum_squares =
      MIN ((guint64)(pad->header_power * n), pad->frame.sum_squares);
  header->peak = 0;
  return header;
}

/* @pad's own[] was accumulated into the sum of frame @frame_serial. */
static gboolean
pad_mixed (McuMixMinusPad *pad, guint64 frame_serial)
{
  return pad->frame_serial == frame_serial && pad->has_signal;
}

static McuMixMinusPad *
output_pad (GArray *outputs, guint i)
{
  return g_array_index (outputs, McuMixMinusOutput, i).pad;
}

/* Leaves in @sum only the pads that contribute. */
static void
sum_fix (GArray *outputs, guint64 frame_serial, gint32 *sum, guint n,
    guint contributors, guint dropped)
{
  if (dropped == 0)
    return;

  if (dropped <= contributors) {
    for (guint i = 0; i < outputs->len; i++) {
      McuMixMinusPad *pad = output_pad (outputs, i);

      if (pad_mixed (pad, frame_serial) && !pad->contributes)
        mcu_mix_kernel_subtract (sum, pad->own, n);
    }
    return;
  }

  memset (sum, 0, n * sizeof (gint32));
  for (guint i = 0; i < outputs->len; i++) {
    McuMixMinusPad *pad = output_pad (outputs, i);

    if (pad->contributes)
      mcu_mix_kernel_add (sum, pad->own, n);
  }
}

guint
mcu_mix_minus_select_run (McuMixMinusSelect *sel, GArray *outputs,
    guint64 frame_serial, gint32 *sum, guint n)
{
  static const McuMixKernelStats no_stats = { 0, 0 };
  guint64 end = sel->position + n;
  gdouble smoothing = mcu_mix_kernel_talker_smoothing (n);
  guint contributors;
  guint dropped = 0;

  g_ptr_array_set_size (sel->talkers, 0);
  for (guint i = 0; i < outputs->len; i++) {
    McuMixMinusPad *pad = output_pad (outputs, i);
    gboolean fresh = pad->frame_serial == frame_serial;
    McuMixKernelStats header;
    gboolean open = mcu_mix_kernel_talker_update (&pad->talker,
        fresh ? pad_stats (pad, n, &header) : &no_stats, n, smoothing,
        sel->gate_power, end, sel->hangover);

    pad->talker.candidate = open && pad_mixed (pad, frame_serial) &&
                            !(pad->header_seen && pad->header_silent);
    g_ptr_array_add (sel->talkers, &pad->talker);
  }

  g_array_set_size (sel->top, MIN (sel->max_talkers, outputs->len));
  contributors = mcu_mix_kernel_select (
      (McuMixKernelTalker *const *)sel->talkers->pdata, sel->talkers->len,
      sel->max_talkers, (McuMixKernelRank *)(void *)sel->top->data);

  for (guint i = 0; i < outputs->len; i++) {
    McuMixMinusPad *pad = output_pad (outputs, i);

    pad->contributes = pad->talker.selected;
    dropped += pad_mixed (pad, frame_serial) && !pad->contributes;
  }
  sum_fix (outputs, frame_serial, sum, n, contributors, dropped);

  sel->position = end;
  return contributors;
}
