/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuDecodeWanted (see mcu-decode-wanted.h). */
#include "mcu-decode-wanted.h"

struct _McuDecodeWanted
{
  gint state; /* atomic: McuDecodeWantedState */
};

G_DEFINE_BOXED_TYPE (McuDecodeWanted, mcu_decode_wanted, mcu_decode_wanted_ref,
    mcu_decode_wanted_unref)

McuDecodeWanted *
mcu_decode_wanted_new (void)
{
  McuDecodeWanted *line = g_atomic_rc_box_new0 (McuDecodeWanted);

  line->state = MCU_DECODE_WANTED_YES;
  return line;
}

McuDecodeWanted *
mcu_decode_wanted_ref (McuDecodeWanted *line)
{
  g_return_val_if_fail (line != NULL, NULL);
  return g_atomic_rc_box_acquire (line);
}

void
mcu_decode_wanted_unref (McuDecodeWanted *line)
{
  g_return_if_fail (line != NULL);
  g_atomic_rc_box_release (line);
}

McuDecodeWantedState
mcu_decode_wanted_get (McuDecodeWanted *line)
{
  return (McuDecodeWantedState)g_atomic_int_get (&line->state);
}

void
mcu_decode_wanted_set (McuDecodeWanted *line, gboolean wanted)
{
  gint to = wanted ? MCU_DECODE_WANTED_YES : MCU_DECODE_WANTED_NO;

  /* (a compare and exchange: never brings a revoked line back) */
  g_atomic_int_compare_and_exchange (&line->state, !to, to);
}

void
mcu_decode_wanted_revoke (McuDecodeWanted *line)
{
  g_atomic_int_set (&line->state, MCU_DECODE_WANTED_REVOKED);
}

GstQuery *
mcu_decode_wanted_query_new (void)
{
  return gst_query_new_custom (
      GST_QUERY_CUSTOM, gst_structure_new_empty (MCU_DECODE_WANTED_QUERY));
}

McuDecodeWanted *
mcu_decode_wanted_query_parse (GstQuery *query)
{
  const GstStructure *s = gst_query_get_structure (query);
  const GValue *v;

  if (s == NULL || !gst_structure_has_name (s, MCU_DECODE_WANTED_QUERY) ||
      (v = gst_structure_get_value (s, "line")) == NULL ||
      !G_VALUE_HOLDS (v, MCU_TYPE_DECODE_WANTED) ||
      g_value_get_boxed (v) == NULL)
    return NULL;
  return mcu_decode_wanted_ref (g_value_get_boxed (v));
}

gboolean
mcu_decode_wanted_query_answer (GstQuery *query, McuDecodeWanted *line)
{
  const GstStructure *s = gst_query_get_structure (query);

  if (GST_QUERY_TYPE (query) != GST_QUERY_CUSTOM || s == NULL ||
      !gst_structure_has_name (s, MCU_DECODE_WANTED_QUERY))
    return FALSE;
  gst_structure_set (gst_query_writable_structure (query), "line",
      MCU_TYPE_DECODE_WANTED, line, NULL);
  return TRUE;
}
