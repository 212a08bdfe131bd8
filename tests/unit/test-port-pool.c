/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for the RTP port pool: even pairs, exhaustion, no leak,
 * ports held by someone else skipped. */
#include "mcu-port-pool.h"

static guint
free_base (void)
{
  /* A base whose ports the kernel just gave us and took back. */
  g_autoptr (GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (s, any, FALSE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  return (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)) &
             ~1u) -
         200;
}

static void
test_pairs_and_exhaustion (void)
{
  guint base = free_base ();
  g_autoptr (McuPortPool) pool =
      mcu_port_pool_new ("127.0.0.1", base, base + 7);
  McuPortPair pairs[5] = { 0 };
  g_autoptr (GError) error = NULL;
  guint got = 0;

  for (guint i = 0; i < 4; i++) {
    if (!mcu_port_pool_allocate (pool, &pairs[i], &error)) {
      g_clear_error (&error); /* a port taken by another process */
      continue;
    }
    g_assert_cmpuint (pairs[i].port % 2, ==, 0);
    g_assert_cmpuint (pairs[i].port, >=, base);
    g_assert_cmpuint (pairs[i].port + 1, <=, base + 7);
    got++;
  }
  g_assert_cmpuint (got, >=, 1);
  g_assert_cmpuint (mcu_port_pool_get_n_allocated (pool), ==, got);
  g_assert_false (mcu_port_pool_allocate (pool, &pairs[4], &error));
  g_assert_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_NO_PORTS);
  for (guint i = 0; i < 4; i++)
    mcu_port_pool_release (pool, &pairs[i]);
  g_assert_cmpuint (mcu_port_pool_get_n_allocated (pool), ==, 0);
}

static void
test_no_leak_over_many_calls (void)
{
  guint base = free_base ();
  g_autoptr (McuPortPool) pool =
      mcu_port_pool_new ("127.0.0.1", base, base + 3);

  for (guint i = 0; i < 1000; i++) {
    McuPortPair p = { 0 };
    g_autoptr (GError) error = NULL;

    g_assert_true (mcu_port_pool_allocate (pool, &p, &error));
    g_assert_no_error (error);
    mcu_port_pool_release (pool, &p);
  }
  g_assert_cmpuint (mcu_port_pool_get_n_allocated (pool), ==, 0);
}

static void
test_taken_port_skipped (void)
{
  guint base = free_base ();
  g_autoptr (McuPortPool) pool =
      mcu_port_pool_new ("127.0.0.1", base, base + 3);
  g_autoptr (GSocket) squatter = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) sa = g_inet_socket_address_new (lo, base + 1);
  McuPortPair p = { 0 };

  g_assert_true (g_socket_bind (squatter, sa, FALSE, NULL));
  g_assert_true (mcu_port_pool_allocate (pool, &p, NULL));
  g_assert_cmpuint (p.port, ==, base + 2);
  mcu_port_pool_release (pool, &p);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func (
      "/port-pool/pairs-and-exhaustion", test_pairs_and_exhaustion);
  g_test_add_func ("/port-pool/no-leak", test_no_leak_over_many_calls);
  g_test_add_func ("/port-pool/taken-port-skipped", test_taken_port_skipped);
  return g_test_run ();
}
