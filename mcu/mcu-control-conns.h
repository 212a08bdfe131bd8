/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the control socket's connections: accepted here, then handed to the
 * SoupServer; counted, timed out when idle, closed on demand. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _McuControlConns McuControlConns;

typedef struct
{
  guint max_connections; /* open at once; more are refused with 503 */
  guint idle_timeout;    /* seconds a connection may take to send a request */
  gsize max_headers;     /* bytes of request headers; more gets 431 */
} McuControlConnsLimits;

McuControlConns *mcu_control_conns_new (
    SoupServer *server, const McuControlConnsLimits *limits);
void mcu_control_conns_free (McuControlConns *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuControlConns, mcu_control_conns_free)

/* Accepts connections on @socket (bound and listening already). */
gboolean mcu_control_conns_add_socket (
    McuControlConns *self, GSocket *socket, GError **error);
/* Listens on TCP @address and accepts connections there. */
gboolean mcu_control_conns_add_address (
    McuControlConns *self, GSocketAddress *address, GError **error);
/* Stops listening; closes every connection. */
void mcu_control_conns_stop (McuControlConns *self);

guint mcu_control_conns_get_n (McuControlConns *self);
/* Whether @msg came over TCP (FALSE: the Unix socket). */
gboolean mcu_control_conns_is_tcp (
    McuControlConns *self, SoupServerMessage *msg);
/* @msg's response is a long stream (events): no idle timeout from now. */
void mcu_control_conns_set_streaming (
    McuControlConns *self, SoupServerMessage *msg);
/* Closes @msg's connection now (an event client that does not read). */
void mcu_control_conns_drop (McuControlConns *self, SoupServerMessage *msg);

G_END_DECLS
