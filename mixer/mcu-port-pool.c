/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: RTP/RTCP port pairs, and the RTP receive thread that serves their
 * sockets (McuRtpIo, made on first use). Main thread only.
 *
 * Pairs are handed out round-robin from the range (a port just freed is the
 * last to be reused, so late packets of an old call do not land in a new
 * one). A port someone else holds is skipped. */
#include "mcu-port-pool.h"

G_DEFINE_QUARK (mcu - mixer - error - quark, mcu_mixer_error)

struct _McuPortPool
{
  GObject parent_instance;

  GInetAddress *address;
  guint first; /* first even port of the range */
  guint n_pairs;
  guint next;          /* index of the next pair to try */
  GHashTable *used;    /* GUINT_TO_POINTER (port) set */
  McuRtpIo *io;        /* (owned) (nullable) until mcu_port_pool_get_io */
  McuPlayout *playout; /* (nullable) made on first use */
  gboolean playout_enabled;
};

G_DEFINE_FINAL_TYPE (McuPortPool, mcu_port_pool, G_TYPE_OBJECT)

static void
mcu_port_pool_dispose (GObject *object)
{
  McuPortPool *self = MCU_PORT_POOL (object);

  g_clear_object (&self->io); /* joins its thread */
  G_OBJECT_CLASS (mcu_port_pool_parent_class)->dispose (object);
}

static void
mcu_port_pool_finalize (GObject *object)
{
  McuPortPool *self = MCU_PORT_POOL (object);

  g_clear_object (&self->address);
  g_clear_pointer (&self->used, g_hash_table_unref);
  g_clear_object (&self->playout);
  G_OBJECT_CLASS (mcu_port_pool_parent_class)->finalize (object);
}

static void
mcu_port_pool_class_init (McuPortPoolClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = mcu_port_pool_dispose;
  G_OBJECT_CLASS (klass)->finalize = mcu_port_pool_finalize;
}

static void
mcu_port_pool_init (McuPortPool *self)
{
  self->used = g_hash_table_new (g_direct_hash, g_direct_equal);
}

McuPortPool *
mcu_port_pool_new (const gchar *address, guint min, guint max)
{
  McuPortPool *self = g_object_new (MCU_TYPE_PORT_POOL, NULL);

  self->address = g_inet_address_new_from_string (address);
  g_return_val_if_fail (self->address != NULL, self);
  self->first = (min + 1) & ~1u;
  self->n_pairs = max > self->first ? (max - self->first + 1) / 2 : 0;
  return self;
}

static GSocket *
bind_udp (McuPortPool *self, guint port)
{
  g_autoptr (GSocket) sock = NULL;
  g_autoptr (GSocketAddress) sa = NULL;

  sock = g_socket_new (g_inet_address_get_family (self->address),
      G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  if (sock == NULL)
    return NULL;
  sa = g_inet_socket_address_new (self->address, port);
  if (!g_socket_bind (sock, sa, FALSE, NULL))
    return NULL;
  return g_steal_pointer (&sock);
}

gboolean
mcu_port_pool_allocate (McuPortPool *self, McuPortPair *pair, GError **error)
{
  g_return_val_if_fail (MCU_IS_PORT_POOL (self), FALSE);

  for (guint tries = 0; tries < self->n_pairs; tries++) {
    guint port = self->first + 2 * self->next;

    self->next = (self->next + 1) % self->n_pairs;
    if (g_hash_table_contains (self->used, GUINT_TO_POINTER (port)))
      continue;
    pair->rtp = bind_udp (self, port);
    if (pair->rtp == NULL)
      continue;
    pair->rtcp = bind_udp (self, port + 1);
    if (pair->rtcp == NULL) {
      g_clear_object (&pair->rtp);
      continue;
    }
    pair->port = port;
    g_hash_table_add (self->used, GUINT_TO_POINTER (port));
    return TRUE;
  }
  g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_NO_PORTS,
      "no free RTP port pair in %u-%u", self->first,
      self->first + 2 * self->n_pairs - 1);
  return FALSE;
}

void
mcu_port_pool_release (McuPortPool *self, McuPortPair *pair)
{
  g_return_if_fail (MCU_IS_PORT_POOL (self));
  if (pair->rtp == NULL)
    return;
  g_hash_table_remove (self->used, GUINT_TO_POINTER (pair->port));
  g_socket_close (pair->rtp, NULL);
  g_socket_close (pair->rtcp, NULL);
  g_clear_object (&pair->rtp);
  g_clear_object (&pair->rtcp);
  pair->port = 0;
}

guint
mcu_port_pool_get_n_allocated (McuPortPool *self)
{
  return g_hash_table_size (self->used);
}

McuRtpIo *
mcu_port_pool_get_io (McuPortPool *self)
{
  g_return_val_if_fail (MCU_IS_PORT_POOL (self), NULL);
  if (self->io == NULL)
    self->io = mcu_rtp_io_new ();
  return self->io;
}

void
mcu_port_pool_set_playout_enabled (McuPortPool *self, gboolean enabled)
{
  self->playout_enabled = enabled;
}

McuPlayout *
mcu_port_pool_get_playout (McuPortPool *self)
{
  if (self->playout == NULL && self->playout_enabled)
    self->playout = mcu_playout_new (0);
  return self->playout;
}
