/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: where McuRtpEndpoint's RTP and RTCP go (see mcu-rtp-endpoint.c for
 * the threads and locks): udpsink's clients and, for the direct transport
 * (mcu-rtp-direct.c), the copy of the RTP destination its sendto uses. All
 * with `lock` held but mcu_rtp_send_to_nowhere (the reset). */
#include "mcu-rtp-endpoint-private.h"

#include <string.h>

void
mcu_rtp_send_to_direct (
    McuRtpEndpoint *self, gboolean usable, const gchar *address, guint port)
{
  g_autoptr (GInetAddress) inet =
      usable ? g_inet_address_new_from_string (address) : NULL;
  g_autoptr (GSocketAddress) sa = NULL;
  McuRtpSendMode mode = MCU_RTP_SEND_NOWHERE;
  struct sockaddr_storage to;
  gsize len = 0;

  if (usable)
    mode = MCU_RTP_SEND_UDPSINK;
  if (inet && self->ports.rtp &&
      g_inet_address_get_family (inet) ==
          g_socket_get_family (self->ports.rtp)) {
    sa = g_inet_socket_address_new (inet, port);
    len = g_socket_address_get_native_size (sa);
    if (len > 0 && len <= sizeof to &&
        g_socket_address_to_native (sa, &to, sizeof to, NULL))
      mode = MCU_RTP_SEND_DIRECT;
  }
  g_mutex_lock (&self->send_lock);
  g_atomic_int_set (&self->send_mode, mode);
  if (mode == MCU_RTP_SEND_DIRECT) {
    memcpy (&self->send_to, &to, len);
    self->send_to_len = (socklen_t)len;
    self->send_fd = g_socket_get_fd (self->ports.rtp);
  }
  g_mutex_unlock (&self->send_lock);
}

void
mcu_rtp_send_to_nowhere (McuRtpEndpoint *self)
{
  g_mutex_lock (&self->send_lock);
  g_atomic_int_set (&self->send_mode, MCU_RTP_SEND_NOWHERE);
  self->send_fd = -1;
  g_mutex_unlock (&self->send_lock);
}

/* Whether @address is one @rtp's (else RTCP's) socket can send to: an IP
 * address of its family, not the any address (c=0.0.0.0, RFC 2543 hold,
 * is no destination: nothing is sent). A host name is not: udpsink would
 * resolve it on the thread that sends, to whatever family the resolver
 * gives first ("localhost" is ::1 here), and an IPv4 udpsink given an IPv6
 * client crashes in g_socket_send_messages. sip/ refuses such SDP (488);
 * this keeps the mixer safe from any other caller of set_remote. */
static gboolean
sendable (McuRtpEndpoint *self, gboolean rtp, const gchar *address, guint port)
{
  GSocket *socket =
      rtp || self->ports.rtcp == NULL ? self->ports.rtp : self->ports.rtcp;
  g_autoptr (GInetAddress) inet = NULL;

  if (address == NULL || port == 0)
    return FALSE;
  inet = g_inet_address_new_from_string (address);
  if (inet == NULL || g_inet_address_get_is_any (inet) ||
      (socket &&
          g_inet_address_get_family (inet) != g_socket_get_family (socket))) {
    if (inet == NULL || !g_inet_address_get_is_any (inet))
      g_message ("%s from port %u: %s is not an IP address of this "
                 "socket's family: sending nothing",
          rtp ? "RTP" : "RTCP", self->ports.port, address);
    return FALSE;
  }
  return TRUE;
}

void
mcu_rtp_send_to_sink (
    McuRtpEndpoint *self, gboolean rtp, const gchar *address, guint port)
{
  GstElement *sink = rtp ? self->udpsink_rtp : self->udpsink_rtcp;
  gboolean usable;

  if (sink == NULL)
    return;
  usable = sendable (self, rtp, address, port);
  if (rtp)
    mcu_rtp_send_to_direct (self, usable, address, port);
  g_signal_emit_by_name (sink, "clear");
  if (usable)
    g_signal_emit_by_name (sink, "add", address, (gint)port);
}

void
mcu_rtp_send_to_apply (McuRtpEndpoint *self)
{
  mcu_rtp_send_to_sink (
      self, TRUE, self->remote_address, self->remote_rtp_port);
  mcu_rtp_send_to_sink (
      self, FALSE, self->remote_address, self->remote_rtcp_port);
  for (guint i = 0; i < 2; i++) {
    GInetSocketAddress *to = i ? self->latched_rtcp : self->latched_rtp;
    g_autofree gchar *host = NULL;

    if (to == NULL)
      continue;
    host = g_inet_address_to_string (g_inet_socket_address_get_address (to));
    mcu_rtp_send_to_sink (
        self, i == 0, host, g_inet_socket_address_get_port (to));
  }
}
