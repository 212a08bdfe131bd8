/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: DTMF in SIP INFO bodies (the legacy usage of RFC 6086 that phones
 * still send): application/dtmf-relay ("Signal=5\r\nDuration=160\r\n") and
 * application/dtmf ("5"). Pure functions, any thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  MCU_SIP_INFO_DTMF,        /* a key: 200, and the digit */
  MCU_SIP_INFO_NO_KEY,      /* well formed, nothing to report (no body,
                             * a flash): 200 */
  MCU_SIP_INFO_UNSUPPORTED, /* another Content-Type: 415 */
  MCU_SIP_INFO_MALFORMED,   /* 400 */
} McuSipInfoResult;

/* The Accept header of a 415 to an INFO. */
#define MCU_SIP_INFO_ACCEPT "application/dtmf-relay, application/dtmf"
/* Bodies longer than this are malformed (a key is a few bytes). */
#define MCU_SIP_INFO_MAX_BODY 1024

/* @content_type: "type/subtype" (parameters allowed; NULL without a body);
 * @body/@len: the payload (not NUL-terminated). On MCU_SIP_INFO_DTMF,
 * @digit is '0'-'9', '*', '#' or 'A'-'D' and @duration_ms (nullable) the
 * Duration= when given (else 0). On MCU_SIP_INFO_MALFORMED and
 * MCU_SIP_INFO_UNSUPPORTED, @why (nullable) says what, for a Warning.
 * (transfer full) */
McuSipInfoResult mcu_sip_info_parse_dtmf (const gchar *content_type,
    const gchar *body, gsize len, gchar *digit, guint *duration_ms,
    gchar **why);

G_END_DECLS
