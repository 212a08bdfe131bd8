/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one SIP dialog (an INVITE session), without sofia types. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define MCU_TYPE_SIP_CALL (mcu_sip_call_get_type ())
G_DECLARE_FINAL_TYPE (McuSipCall, mcu_sip_call, MCU, SIP_CALL, GObject)

typedef enum
{
  MCU_SIP_CALL_STATE_INCOMING,    /* INVITE received, not answered */
  MCU_SIP_CALL_STATE_EARLY,       /* 180 sent */
  MCU_SIP_CALL_STATE_ANSWERED,    /* 200 sent, waiting for ACK */
  MCU_SIP_CALL_STATE_ESTABLISHED, /* ACK received */
  MCU_SIP_CALL_STATE_CLOSING,     /* BYE/reject sent, waiting for the end */
  MCU_SIP_CALL_STATE_CLOSED,
} McuSipCallState;

/* Why a call ended, for the "terminated" signal. */
typedef enum
{
  MCU_SIP_END_LOCAL,  /* we hung up or rejected */
  MCU_SIP_END_BYE,    /* the remote sent BYE */
  MCU_SIP_END_CANCEL, /* the remote cancelled before the answer */
  MCU_SIP_END_ERROR,  /* transport failure, ACK timeout, ... */
} McuSipEndReason;

const gchar *mcu_sip_call_get_call_id (McuSipCall *self);
/* The user part of the Request-URI: the room name. */
const gchar *mcu_sip_call_get_target (McuSipCall *self);
const gchar *mcu_sip_call_get_from_uri (McuSipCall *self);
const gchar *mcu_sip_call_get_display_name (McuSipCall *self);
McuSipCallState mcu_sip_call_get_state (McuSipCall *self);
/* (nullable) the SDP of the INVITE that created the call */
const gchar *mcu_sip_call_get_offer (McuSipCall *self);

/* Responses to the initial INVITE. */
void mcu_sip_call_ringing (McuSipCall *self);
void mcu_sip_call_answer (McuSipCall *self, const gchar *sdp);
/* @warning (nullable): text for a Warning: 399 header. */
void mcu_sip_call_reject (
    McuSipCall *self, guint status, const gchar *phrase, const gchar *warning);

/* Responses to a re-INVITE ("offer" signal). */
void mcu_sip_call_accept_update (McuSipCall *self, const gchar *sdp);
void mcu_sip_call_reject_update (
    McuSipCall *self, guint status, const gchar *phrase, const gchar *warning);

/* BYE (established), CANCEL-like 480 (not yet answered), or nothing. */
void mcu_sip_call_hangup (McuSipCall *self, const gchar *reason);

G_END_DECLS
