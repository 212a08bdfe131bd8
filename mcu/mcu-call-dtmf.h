/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: DTMF out of one call: digits checked, then sent as RFC 4733
 * telephone-events on the call's own RTP stream when the call negotiated
 * telephone-event (and is not on hold), else as one SIP INFO
 * (application/dtmf-relay) per digit. Main thread only. */
#pragma once

#include "mcu-sip.h"
#include "mcu-mixer.h"

G_BEGIN_DECLS

/* At most this many characters per request. */
#define MCU_CALL_DTMF_MAX_DIGITS 64
/* INFO: one digit every this many ms (a ',' waits MCU_DTMF_TX_PAUSE_MS). */
#define MCU_CALL_DTMF_INFO_INTERVAL_MS 250

#define MCU_CALL_DTMF_ERROR (mcu_call_dtmf_error_quark ())
GQuark mcu_call_dtmf_error_quark (void);

typedef enum
{
  MCU_CALL_DTMF_ERROR_INVALID,     /* not digits, empty, too long */
  MCU_CALL_DTMF_ERROR_UNAVAILABLE, /* neither RFC 4733 nor INFO possible */
  MCU_CALL_DTMF_ERROR_BUSY,        /* too much queued already */
} McuCallDtmfError;

/* @digits: 1 to MCU_CALL_DTMF_MAX_DIGITS of 0-9 * # A-D (upper or lower
 * case) and ',' (a 500 ms pause); FALSE with MCU_CALL_DTMF_ERROR_INVALID
 * naming the first bad character. */
gboolean mcu_call_dtmf_validate (const gchar *digits, GError **error);

#define MCU_TYPE_CALL_DTMF (mcu_call_dtmf_get_type ())
G_DECLARE_FINAL_TYPE (McuCallDtmf, mcu_call_dtmf, MCU, CALL_DTMF, GObject)

/* Signal "sent" (const gchar *digits, const gchar *method): a request is
 * out; method "rfc4733" or "info". */
McuCallDtmf *mcu_call_dtmf_new (McuSipCall *call);
/* The call's audio now: @media (nullable: none, or gone) and whether its
 * answer has telephone-event. */
void mcu_call_dtmf_set_media (
    McuCallDtmf *self, McuMediaSession *media, gboolean telephone_event);
/* Sends @digits after @delay_ms (0: now). Picks the method when it sends.
 * FALSE: bad digits (INVALID), no way to send them now (UNAVAILABLE; not
 * checked for a delayed request), or too much queued (BUSY). */
gboolean mcu_call_dtmf_send (
    McuCallDtmf *self, const gchar *digits, guint delay_ms, GError **error);
/* Drops what is queued and not yet sent (the call ended). */
void mcu_call_dtmf_cancel (McuCallDtmf *self);

G_END_DECLS
