/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: parallel forking: several outgoing legs for one purpose (the
 * contacts of one user); the first to answer wins, the others are
 * cancelled, and when all fail the best final response is chosen by the
 * rules of RFC 3261 section 16.7. */
#pragma once

#include "mcu-call-leg.h"

G_BEGIN_DECLS

#define MCU_TYPE_FORK (mcu_fork_get_type ())
G_DECLARE_FINAL_TYPE (McuFork, mcu_fork, MCU, FORK, GObject)

/* Signals (each decision once):
 *   "progress" (guint status): a 180/183 from any branch, before a winner;
 *   "answered" (McuCallLeg *winner): the first 2xx; the rest are cancelled
 *       (a late second 2xx gets a BYE);
 *   "failed" (guint status, const gchar *phrase): every branch failed (the
 *       best response), the no-answer timer ran out (480), or cancelled
 *       (487).
 * @no_answer_timeout: seconds before the branches are cancelled (0 =
 * never). */
McuFork *mcu_fork_new (guint no_answer_timeout);
/* Adds a leg already sent with mcu_call_leg_dial (). */
void mcu_fork_add (McuFork *self, McuCallLeg *leg);
/* Call once every branch is added: a fork without branches fails (480). */
void mcu_fork_start (McuFork *self);
/* CANCELs every branch still ringing; "failed" 487 follows. */
void mcu_fork_cancel (McuFork *self);
guint mcu_fork_get_n_pending (McuFork *self);

/* RFC 3261 16.7 step 6 over the final statuses of failed branches: a 6xx
 * first, else the lowest class, and within it the most telling one (486
 * before 480 before 408; 503 becomes 500). 480 when @n is 0. */
guint mcu_fork_pick_response (const guint *statuses, guint n);

G_END_DECLS
