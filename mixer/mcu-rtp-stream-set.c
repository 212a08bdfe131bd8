/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: which of rtpbin's streams to drop, see
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
  if ((!found && set->n == MCU_RTP_STREAM_SET_MAX) ||
      (set->n > 1 && now >= set->next_sweep)) {
    set->next_sweep = now + MCU_RTP_STREAM_SET_SWEEP;
    for (guint i = set->n; i-- > 0;) {
      guint32 s = set->seen[i].ssrc;

      if (s == ssrc || (have_current && s == current) ||
          now - set->seen[i].last_rx < MCU_RTP_STREAM_SET_QUIET)
        continue;
      clear[n_clear++] = s;
      set->seen[i] = set->seen[--set->n];
    }
  }
  /* (full: rtpbin drops it too, until a place comes free) */
  if (!found && set->n < MCU_RTP_STREAM_SET_MAX) {
    set->seen[set->n].ssrc = ssrc;
    set->seen[set->n].last_rx = now;
    set->n++;
  }
  return n_clear;
}
