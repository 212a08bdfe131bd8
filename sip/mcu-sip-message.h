/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one SIP MESSAGE (RFC 3428 instant message), without sofia types.
 * Incoming ones come from the agent's "incoming-message" signal and must be
 * answered with mcu_sip_message_respond () (now or later); outgoing ones
 * are sent with mcu_sip_agent_send_message (). */
#pragma once

#include <gio/gio.h>
#include "mcu-sip-call.h"

G_BEGIN_DECLS

#define MCU_TYPE_SIP_MESSAGE (mcu_sip_message_get_type ())
G_DECLARE_FINAL_TYPE (McuSipMessage, mcu_sip_message, MCU, SIP_MESSAGE, GObject)

/* The user part of the Request-URI: a user or a room. */
const gchar *mcu_sip_message_get_target (McuSipMessage *self);
const gchar *mcu_sip_message_get_from_uri (McuSipMessage *self);
/* The sender's display name ("" when none). */
const gchar *mcu_sip_message_get_display_name (McuSipMessage *self);
const gchar *mcu_sip_message_get_to_uri (McuSipMessage *self);
/* "text/plain" when the request had no Content-Type. */
const gchar *mcu_sip_message_get_content_type (McuSipMessage *self);
/* The body ("" when empty). */
const gchar *mcu_sip_message_get_body (McuSipMessage *self);
/* (nullable) (transfer none) the call whose dialog carried it */
McuSipCall *mcu_sip_message_get_call (McuSipMessage *self);

/* Answers the MESSAGE (once; later calls do nothing). An incoming message
 * finalized without an answer gets 500. */
void mcu_sip_message_respond (
    McuSipMessage *self, guint status, const gchar *phrase);
gboolean mcu_sip_message_get_responded (McuSipMessage *self);
/* Answers 302 with @contact (a SIP URI) as the Contact: the target lives
 * on another node (a proxy in front follows it). */
void mcu_sip_message_redirect (McuSipMessage *self, const gchar *contact);

/* What mcu_sip_agent_send_message () sends. */
typedef struct
{
  const gchar *request_uri;  /* where it goes (a Contact) */
  const gchar *to;           /* To header, e.g. "<sip:bob@example.com>" */
  const gchar *from;         /* From header, e.g. "\"Alice\" <sip:...>" */
  const gchar *content_type; /* NULL = "text/plain;charset=UTF-8" */
  const gchar *body;
} McuSipMessageOptions;

G_END_DECLS
