/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: RTP/RTCP port pairs from the configured range. */
#pragma once

#include <gio/gio.h>
#include "mcu-mixer-error.h"
#include "mcu-rtp-io.h"
#include "mcu-playout.h"

G_BEGIN_DECLS

#define MCU_TYPE_PORT_POOL (mcu_port_pool_get_type ())
G_DECLARE_FINAL_TYPE (McuPortPool, mcu_port_pool, MCU, PORT_POOL, GObject)

/* A bound pair: RTP on an even port, RTCP on the next one. */
typedef struct
{
  GSocket *rtp;
  GSocket *rtcp;
  guint port; /* the RTP port; RTCP is port + 1 */
} McuPortPair;

McuPortPool *mcu_port_pool_new (const gchar *address, guint min, guint max);
/* Binds a free pair; MCU_MIXER_ERROR_NO_PORTS when none is left. */
gboolean mcu_port_pool_allocate (
    McuPortPool *self, McuPortPair *pair, GError **error);
/* Closes the sockets and gives the ports back. */
void mcu_port_pool_release (McuPortPool *self, McuPortPair *pair);
guint mcu_port_pool_get_n_allocated (McuPortPool *self);
/* (transfer none) the receive thread for the pool's sockets, made on the
 * first call (its thread starts with its first watch). */
McuRtpIo *mcu_port_pool_get_io (McuPortPool *self);

/* (nullable) (transfer none) the process's jitter-buffer workers, made on
 * first use (until the RTP I/O object owns them); NULL unless enabled.
 * Main thread. */
McuPlayout *mcu_port_pool_get_playout (McuPortPool *self);
void mcu_port_pool_set_playout_enabled (McuPortPool *self, gboolean enabled);

G_END_DECLS
