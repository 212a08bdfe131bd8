/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: which of rtpbin's streams to drop, and dropping them, see
 * mcu-rtp-stream-set-private.h. */
#include "mcu-rtp-stream-set-private.h"

#include <string.h>

void
mcu_rtp_stream_set_init (McuRtpStreamSet *set)
{
  memset (set, 0, sizeof *set);
}

guint
mcu_rtp_stream_set_packet (McuRtpStreamSet *set, guint32 ssrc, guint32 current,
    gboolean have_current, gint64 now, guint32 *clear)
{
  gboolean found = FALSE;
  guint n_clear = 0;

  for (guint i = 0; i < set->n && !found; i++)
    if (set->seen[i].ssrc == ssrc) {
      set->seen[i].last_rx = now;
      found = TRUE;
    }
  if (!found && set->n == MCU_RTP_STREAM_SET_MAX && now >= set->next_clear) {
    for (guint i = set->n; i-- > 0;) {
      guint32 s = set->seen[i].ssrc;

      if (s == ssrc || (have_current && s == current) ||
          now - set->seen[i].last_rx < MCU_RTP_STREAM_SET_QUIET)
        continue;
      clear[n_clear++] = s;
      set->seen[i] = set->seen[--set->n];
    }
    if (n_clear > 0)
      set->next_clear = now + MCU_RTP_STREAM_SET_CLEAR_EVERY;
  }
  /* (full: rtpbin drops it too, until a place comes free) */
  if (!found && set->n < MCU_RTP_STREAM_SET_MAX) {
    set->seen[set->n].ssrc = ssrc;
    set->seen[set->n].last_rx = now;
    set->n++;
  }
  return n_clear;
}

gchar *
mcu_rtp_stream_set_sink_name (guint32 ssrc, guint pt)
{
  return g_strdup_printf ("drop-%u-%u", ssrc, pt);
}

void
mcu_rtp_stream_set_drop (
    GstElement *bin, GstElement *rtpbin, const guint32 *ssrcs, guint n)
{
  for (guint i = 0; i < n; i++) {
    g_autofree gchar *prefix = g_strdup_printf ("drop-%u-", ssrcs[i]);
    g_autoptr (GPtrArray) sinks =
        g_ptr_array_new_with_free_func (gst_object_unref);
    GstIterator *it;
    GValue item = G_VALUE_INIT;

    GST_DEBUG_OBJECT (
        rtpbin, "SSRC %08x went quiet: its stream goes", ssrcs[i]);
    g_signal_emit_by_name (rtpbin, "clear-ssrc", 0, ssrcs[i]);
    it = gst_bin_iterate_elements (GST_BIN (bin));
    for (gboolean done = FALSE; !done;) {
      switch (gst_iterator_next (it, &item)) {
        case GST_ITERATOR_OK: {
          GstElement *e = g_value_get_object (&item);

          if (g_str_has_prefix (GST_OBJECT_NAME (e), prefix))
            g_ptr_array_add (sinks, gst_object_ref (e));
          g_value_reset (&item);
          break;
        }
        case GST_ITERATOR_RESYNC: /* the bin changed meanwhile: again */
          g_ptr_array_set_size (sinks, 0);
          gst_iterator_resync (it);
          break;
        default:
          done = TRUE;
          break;
      }
    }
    g_value_unset (&item);
    gst_iterator_free (it);
    /* (unlinked now: nothing streams into them) */
    for (guint j = 0; j < sinks->len; j++) {
      GstElement *sink = g_ptr_array_index (sinks, j);

      gst_element_set_locked_state (sink, TRUE);
      gst_element_set_state (sink, GST_STATE_NULL);
      gst_bin_remove (GST_BIN (bin), sink);
    }
  }
}
