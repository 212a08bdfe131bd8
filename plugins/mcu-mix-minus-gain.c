/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the volume of each output of mcumixminus (what one participant
 * hears: FreeSWITCH's "volume_out", the keypad's listen volume).
 *
 * Only outputs not at unity are in the table, so a room where nobody
 * changed theirs costs one empty-table check per frame. The aggregator task
 * snapshots each output's gain with the others (outputs_collect, under the
 * element's object lock) and scales that output's buffer after its limiter
 * (mcu_mix_minus_gains_apply). An output at another volume hears another
 * signal than the full mix: it gets its own buffer, without
 * MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX, so no encoder shares it. */
#include "mcu-mix-minus-private.h"

#define MAX_OUTPUT_VOLUME 10.0

void
mcu_mix_minus_gains_init (McuMixMinusGains *gains)
{
  gains->table = g_hash_table_new_full (
      g_direct_hash, g_direct_equal, gst_object_unref, NULL);
}

void
mcu_mix_minus_gains_clear (McuMixMinusGains *gains)
{
  g_clear_pointer (&gains->table, g_hash_table_unref);
}

gint32
mcu_mix_minus_gains_lookup (McuMixMinusGains *gains, GstPad *srcpad)
{
  gpointer value;

  if (g_hash_table_size (gains->table) == 0 ||
      !g_hash_table_lookup_extended (gains->table, srcpad, NULL, &value))
    return MCU_MIX_KERNEL_GAIN_UNITY;
  return GPOINTER_TO_INT (value);
}

void
mcu_mix_minus_gains_drop (McuMixMinusGains *gains, GstPad *srcpad)
{
  g_hash_table_remove (gains->table, srcpad);
}

GstBuffer *
mcu_mix_minus_gains_apply (
    GstBuffer *buffer, GstBuffer *mix, guint n, gint32 gain)
{
  GstBuffer *out;
  GstMapInfo in_map, out_map;

  if (gain == MCU_MIX_KERNEL_GAIN_UNITY)
    return buffer;
  if (buffer != mix) {
    /* our own (a mix-minus or a prompt's): scale it in place */
    buffer = gst_buffer_make_writable (buffer);
    if (gst_buffer_map (buffer, &out_map, GST_MAP_READWRITE)) {
      n = MIN (n, out_map.size / sizeof (gint16));
      mcu_mix_kernel_scale (
          (gint16 *)out_map.data, (const gint16 *)out_map.data, n, gain);
      gst_buffer_unmap (buffer, &out_map);
    }
    return buffer;
  }
  /* the shared full mix: a scaled copy that is not it */
  out = gst_buffer_new_allocate (NULL, n * sizeof (gint16), NULL);
  gst_buffer_copy_into (
      out, mix, GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  GST_BUFFER_FLAG_UNSET (out, MCU_MIX_MINUS_BUFFER_FLAG_FULL_MIX);
  if (gst_buffer_map (mix, &in_map, GST_MAP_READ)) {
    gst_buffer_map (out, &out_map, GST_MAP_WRITE);
    mcu_mix_kernel_scale ((gint16 *)out_map.data, (const gint16 *)in_map.data,
        MIN (n, in_map.size / sizeof (gint16)), gain);
    gst_buffer_unmap (out, &out_map);
    gst_buffer_unmap (mix, &in_map);
  }
  gst_buffer_unref (buffer);
  return out;
}

/* With the element's object lock: the src_N @output stands for (a sink_N
 * stands for its src_N), or NULL. */
static GstPad *
output_of (McuMixMinus *self, GstPad *output)
{
  if (GST_OBJECT_PARENT (output) != GST_OBJECT (self))
    return NULL;
  if (MCU_IS_MIX_MINUS_PAD (output))
    return MCU_MIX_MINUS_PAD (output)->srcpad;
  if (GST_PAD_IS_SRC (output) &&
      output != GST_AGGREGATOR_SRC_PAD (GST_AGGREGATOR (self)))
    return output;
  return NULL;
}

gboolean
mcu_mix_minus_set_output_volume (
    McuMixMinus *self, GstPad *output, gdouble volume)
{
  McuMixMinusGains *gains;
  GstPad *srcpad;
  gint32 gain;

  g_return_val_if_fail (MCU_IS_MIX_MINUS (self), FALSE);
  g_return_val_if_fail (GST_IS_PAD (output), FALSE);

  gain =
      mcu_mix_kernel_gain_from_volume (CLAMP (volume, 0.0, MAX_OUTPUT_VOLUME));
  GST_OBJECT_LOCK (self);
  gains = mcu_mix_minus_get_gains (self);
  srcpad = output_of (self, output);
  if (srcpad != NULL && gain == MCU_MIX_KERNEL_GAIN_UNITY)
    g_hash_table_remove (gains->table, srcpad);
  else if (srcpad != NULL)
    g_hash_table_insert (
        gains->table, gst_object_ref (srcpad), GINT_TO_POINTER (gain));
  GST_OBJECT_UNLOCK (self);
  return srcpad != NULL;
}

gdouble
mcu_mix_minus_get_output_volume (McuMixMinus *self, GstPad *output)
{
  GstPad *srcpad;
  gint32 gain = MCU_MIX_KERNEL_GAIN_UNITY;

  g_return_val_if_fail (MCU_IS_MIX_MINUS (self), 1.0);
  g_return_val_if_fail (GST_IS_PAD (output), 1.0);

  GST_OBJECT_LOCK (self);
  srcpad = output_of (self, output);
  if (srcpad != NULL)
    gain = mcu_mix_minus_gains_lookup (mcu_mix_minus_get_gains (self), srcpad);
  GST_OBJECT_UNLOCK (self);
  return (gdouble)gain / MCU_MIX_KERNEL_GAIN_UNITY;
}
