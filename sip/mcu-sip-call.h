/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one SIP dialog (an INVITE session), without sofia types. Incoming
 * calls come from the agent's "incoming-call"; outgoing ones are made with
 * mcu_sip_agent_create_call () and sent with mcu_sip_call_invite (). */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define MCU_TYPE_SIP_CALL (mcu_sip_call_get_type ())
G_DECLARE_FINAL_TYPE (McuSipCall, mcu_sip_call, MCU, SIP_CALL, GObject)

typedef enum
{
  MCU_SIP_CALL_STATE_INCOMING,    /* INVITE received, not answered */
  MCU_SIP_CALL_STATE_EARLY,       /* 180 sent (outgoing: 1xx received) */
  MCU_SIP_CALL_STATE_ANSWERED,    /* 200 sent, waiting for ACK */
  MCU_SIP_CALL_STATE_ESTABLISHED, /* ACK received (outgoing: 2xx ACKed) */
  MCU_SIP_CALL_STATE_CLOSING,     /* BYE/reject/CANCEL sent, waiting */
  MCU_SIP_CALL_STATE_CLOSED,
  MCU_SIP_CALL_STATE_IDLE,    /* outgoing: created, INVITE not sent yet */
  MCU_SIP_CALL_STATE_CALLING, /* outgoing: INVITE sent, no 1xx yet */
} McuSipCallState;

/* The transport a call's signalling travels on: for an incoming call the
 * one its INVITE arrived on (sofia-sip drops requests whose top Via names
 * another), for an outgoing one the one its Request-URI asks for (sips:
 * or ;transport=tls: TLS). */
typedef enum
{
  MCU_SIP_TRANSPORT_UDP,
  MCU_SIP_TRANSPORT_TCP,
  MCU_SIP_TRANSPORT_TLS,
} McuSipTransport;

/* Why a call ended, for the "terminated" signal. */
typedef enum
{
  MCU_SIP_END_LOCAL,  /* we hung up, rejected or cancelled */
  MCU_SIP_END_BYE,    /* the remote sent BYE */
  MCU_SIP_END_CANCEL, /* the remote cancelled before the answer */
  MCU_SIP_END_ERROR,  /* transport failure, ACK timeout, ... */
  MCU_SIP_END_FAILED, /* outgoing: the INVITE got a final non-2xx */
} McuSipEndReason;

const gchar *mcu_sip_call_get_call_id (McuSipCall *self);
/* The user part of the Request-URI: the room name (outgoing: the user
 * part of the To URI). */
const gchar *mcu_sip_call_get_target (McuSipCall *self);
/* The remote party: the From URI of an incoming call, the To URI of an
 * outgoing one. */
const gchar *mcu_sip_call_get_from_uri (McuSipCall *self);
/* The remote party's display name ("" when none). */
const gchar *mcu_sip_call_get_display_name (McuSipCall *self);
/* (nullable) the remote target: the Contact URI of the INVITE (incoming)
 * or of the 2xx (outgoing). */
const gchar *mcu_sip_call_get_remote_contact (McuSipCall *self);
McuSipCallState mcu_sip_call_get_state (McuSipCall *self);
gboolean mcu_sip_call_is_outgoing (McuSipCall *self);
/* (nullable) incoming: the IP address the INVITE came from */
const gchar *mcu_sip_call_get_source_ip (McuSipCall *self);
McuSipTransport mcu_sip_call_get_transport (McuSipCall *self);
/* The signalling is encrypted (TLS): SDES keys may be sent in its SDP. */
gboolean mcu_sip_call_is_secure (McuSipCall *self);
/* The owner says the caller's media arrived (first RTP): the call is no
 * longer half-open. */
void mcu_sip_call_set_media_flowing (McuSipCall *self);
/* An incoming call that is set up but not yet proven: not ACKed, or no
 * media has arrived yet. The agent caps these. */
gboolean mcu_sip_call_is_half_open (McuSipCall *self);
/* (nullable) the SDP of the INVITE that created the call (incoming) */
const gchar *mcu_sip_call_get_offer (McuSipCall *self);

/* Responses to the initial INVITE. */
void mcu_sip_call_ringing (McuSipCall *self);
void mcu_sip_call_answer (McuSipCall *self, const gchar *sdp);
/* @warning (nullable): text for a Warning: 399 header. */
void mcu_sip_call_reject (
    McuSipCall *self, guint status, const gchar *phrase, const gchar *warning);
/* The same with Retry-After: @retry_after seconds (0: none). */
void mcu_sip_call_reject_retry (McuSipCall *self, guint status,
    const gchar *phrase, const gchar *warning, guint retry_after);
/* 302 Moved Temporarily with @contact (a SIP URI) as the Contact: the
 * call belongs on another node (a proxy in front follows it). */
void mcu_sip_call_redirect (McuSipCall *self, const gchar *contact);

/* Responses to a re-INVITE ("offer" signal). */
void mcu_sip_call_accept_update (McuSipCall *self, const gchar *sdp);
void mcu_sip_call_reject_update (
    McuSipCall *self, guint status, const gchar *phrase, const gchar *warning);

/* Outgoing: sends the INVITE with our offer @sdp (IDLE calls only). The
 * stack ACKs the 2xx. Signals: "progress" (guint status, const gchar *sdp
 * or NULL) for each 1xx above 100; "answered" (const gchar *sdp or NULL) on
 * the 2xx; "failed" (guint status, const gchar *phrase) on a final non-2xx
 * (then "terminated" with MCU_SIP_END_FAILED). */
void mcu_sip_call_invite (McuSipCall *self, const gchar *sdp);
/* A re-INVITE with our new offer @sdp, in an established call (either
 * direction). Signal "update-answered" (guint status, const gchar *sdp or
 * NULL) with its final response; FALSE when the call cannot send one now. */
gboolean mcu_sip_call_update (McuSipCall *self, const gchar *sdp);

/* The remote listed @method in the Allow of its latest INVITE or 2xx
 * (TRUE when it sent none: it may well take it). */
gboolean mcu_sip_call_remote_allows (McuSipCall *self, const gchar *method);
/* One DTMF digit (0-9 * # A-D) in an INFO inside the dialog, as
 * application/dtmf-relay ("Signal=5\r\nDuration=160\r\n"). Answered
 * calls only; a failure response is logged, nothing more. Spacing the
 * digits is the caller's business. */
void mcu_sip_call_send_info_dtmf (McuSipCall *self, const gchar *digit);

/* Ends the call in whatever state it is: BYE (answered), CANCEL (outgoing,
 * not answered), 480 (incoming, not answered), or at once (outgoing, not
 * sent). "terminated" follows, never from inside this call. */
void mcu_sip_call_hangup (McuSipCall *self, const gchar *reason);

G_END_DECLS
