/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: an incoming call into a room, in a cluster: the room is placed
 * first (mcu-cluster.h), then the call joins here, is redirected (302) to
 * the node hosting the room, or gets 503 + Retry-After when the database
 * is down or no node can take the room. */
#pragma once

#include "mcu-call-leg.h"
#include "mcu-cluster.h"

G_BEGIN_DECLS

/* Starts @leg (mcu_call_leg_start) once its room is placed here. */
void mcu_cluster_admit_leg (
    McuCluster *cluster, McuCallLeg *leg, guint retry_after);

/* A MESSAGE (outside a call) for @room, which is not open here: 302 to
 * the node hosting it, else 404 (503 + nothing more when the database is
 * down). Answers @message itself. */
void mcu_cluster_redirect_message (
    McuCluster *cluster, McuSipMessage *message, const gchar *room);

G_END_DECLS
