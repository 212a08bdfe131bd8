/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuDecodeWanted (see mcu-decode-wanted.h). */
#include "mcu-decode-wanted.h"

/* state and level in one atomic int, so that a reader never sees the
 * state of one setting with the level of another */
#define PACK(state, level) ((gint)(state) | (gint)((level) << 8))
#define STATE(v)           ((McuDecodeWantedState)((v)&0xFF))
#define LEVEL(v)           ((guint)(v) >> 8)

struct _McuDecodeWanted
{
  gint value; /* atomic: PACK (McuDecodeWantedState, level) */
};

G_DEFINE_BOXED_TYPE (McuDecodeWanted, mcu_decode_wanted, mcu_decode_wanted_ref,
    mcu_decode_wanted_unref)

McuDecodeWanted *
mcu_decode_wanted_new (void)
{
  McuDecodeWanted *line = g_atomic_rc_box_new0 (McuDecodeWanted);

  line->value = PACK (MCU_DECODE_WANTED_ALL, 0);
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
mcu_decode_wanted_get (McuDecodeWanted *line, guint *level)
{
  gint v = g_atomic_int_get (&line->value);

  *level = LEVEL (v);
  return STATE (v);
}

void
mcu_decode_wanted_set (
    McuDecodeWanted *line, McuDecodeWantedState state, guint level)
{
  gint to, old;

  g_return_if_fail (state != MCU_DECODE_WANTED_REVOKED);
  to = PACK (state, state == MCU_DECODE_WANTED_LEVEL ? MIN (level, 126) : 0);
  /* (compare and exchange: never brings a revoked line back) */
  do {
    old = g_atomic_int_get (&line->value);
    if (STATE (old) == MCU_DECODE_WANTED_REVOKED || old == to)
      return;
  } while (!g_atomic_int_compare_and_exchange (&line->value, old, to));
}

void
mcu_decode_wanted_revoke (McuDecodeWanted *line)
{
  g_atomic_int_set (&line->value, PACK (MCU_DECODE_WANTED_REVOKED, 0));
}

gboolean
mcu_decode_wanted_takes (
    McuDecodeWantedState state, guint level, const GstAudioLevelMeta *meta)
{
  switch (state) {
    case MCU_DECODE_WANTED_NONE:
      return FALSE;
    case MCU_DECODE_WANTED_LEVEL:
      /* without a level header nothing is known of it: decode (V=0 with
       * vad=on and -127 dBov are not voice: the mixer's gate) */
      return meta == NULL || (meta->voice_activity && meta->level < 127 &&
                                 meta->level <= level);
    case MCU_DECODE_WANTED_ALL:
    case MCU_DECODE_WANTED_REVOKED:
    default:
      return TRUE;
  }
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
