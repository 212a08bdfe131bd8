/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuSipCall internals for the agent (sofia types allowed here). */
#pragma once

#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>
#include "mcu-sip-call.h"

G_BEGIN_DECLS

/* @source_ip: (nullable) where the INVITE came from. */
McuSipCall *mcu_sip_call_new_incoming (
    nua_handle_t *nh, const sip_t *sip, const gchar *source_ip);
/* An outgoing call on a new handle of @nua; nothing is sent yet. @to is
 * the To header ("Name" <sip:user@domain>), @from the From header, and
 * @request_uri where the INVITE goes (the callee's Contact). */
McuSipCall *mcu_sip_call_new_outgoing (
    nua_t *nua, const gchar *request_uri, const gchar *to, const gchar *from);
void mcu_sip_call_handle_event (McuSipCall *self, nua_event_t event, int status,
    const char *phrase, const sip_t *sip, tagi_t tags[]);
/* (nullable) (transfer none) the handle, NULL once terminated: for sending
 * in-dialog requests (MESSAGE). */
nua_handle_t *mcu_sip_call_get_handle (McuSipCall *self);

/* The Contact we send in this call's INVITE/responses ("<sip:...>"),
 * instead of the one sofia-sip would pick. */
void mcu_sip_call_set_local_contact (McuSipCall *self, const gchar *contact);
/* The Request-URI is a sips: URI. */
gboolean mcu_sip_call_is_sips (McuSipCall *self);

/* A key from an INFO the agent answered 200: the "dtmf" signal. */
void mcu_sip_call_take_info_dtmf (McuSipCall *self, gchar digit);

/* Helpers shared with mcu-sip-message.c. (transfer full) */
gchar *mcu_sip_url_to_string (const url_t *url);
gchar *mcu_sip_unquote_display (const char *display);
gchar *mcu_sip_payload_text (const sip_t *sip);
/* A From/To header value: "display" <uri>, quoting made safe. */
gchar *mcu_sip_name_addr (const gchar *display, const gchar *uri);

G_END_DECLS
