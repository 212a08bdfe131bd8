/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: how many keys a second one caller may send, whatever the method (a
 * person manages about ten): a flood of INFOs or of telephone-events with
 * new timestamps must not flood the event stream or the IVR. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MCU_DTMF_MAX_PER_SECOND 25

typedef struct
{
  gint64 window; /* monotonic us: start of the second counted */
  guint count;   /* keys in it */
  guint dropped; /* of them, over the limit */
} McuDtmfLimit;

/* A key at @now: TRUE to pass it on. When a new second starts after keys
 * were dropped, *@dropped (nullable) says how many (to log), else 0. */
gboolean mcu_dtmf_limit_take (McuDtmfLimit *limit, gint64 now, guint *dropped);

G_END_DECLS
