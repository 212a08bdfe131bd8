/* SPDX-License-Identifier: LGPL-2.1-or-later
 * See port-fixture.h. */
#include "port-fixture.h"

McuPortPool *
mcu_test_port_pool_new (void)
{
  /* ephemeral: let the kernel pick a base, the pool skips taken ports */
  g_autoptr (GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  guint port;

  g_assert_true (g_socket_bind (s, any, FALSE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  port = port > 40000 ? port - 2000 : port + 2000;
  return mcu_port_pool_new ("127.0.0.1", port, port + 200);
}
