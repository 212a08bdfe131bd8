/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Shared by the unit tests that open real RTP sockets on loopback. */
#pragma once

#include "mcu-port-pool.h"

G_BEGIN_DECLS

/* A pool of 200 loopback ports away from the kernel's ephemeral pick (the
 * pool skips ports taken by other tests running at the same time). */
McuPortPool *mcu_test_port_pool_new (void);

G_END_DECLS
