/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: keys a second per caller (see mcu-dtmf-limit.h). */
#include "mcu-dtmf-limit.h"

gboolean
mcu_dtmf_limit_take (McuDtmfLimit *limit, gint64 now, guint *dropped)
{
  if (dropped)
    *dropped = 0;
  if (limit->count == 0 || now - limit->window >= G_USEC_PER_SEC) {
    if (dropped)
      *dropped = limit->dropped;
    limit->window = now;
    limit->count = limit->dropped = 0;
  }
  if (++limit->count > MCU_DTMF_MAX_PER_SECOND) {
    limit->dropped++;
    return FALSE;
  }
  return TRUE;
}
