/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: dial-out into a room: INVITE a SIP URI, or every registered contact
 * of a user, with the room in From; whoever answers joins the room's mix.
 * The internal API behind POST /v1/rooms/{room}/participants and the
 * scheduler (through mcu_daemon_dial ()). */
#pragma once

#include "mcu-daemon.h"

G_BEGIN_DECLS

#define MCU_DIAL_ERROR (mcu_dial_error_quark ())
GQuark mcu_dial_error_quark (void);

typedef enum
{
  MCU_DIAL_ERROR_BAD_TARGET,     /* not a SIP URI, user or user@host: 400 */
  MCU_DIAL_ERROR_NOT_REGISTERED, /* a known user without bindings: 480 */
  MCU_DIAL_ERROR_SHUTDOWN,       /* the server is stopping: 503 */
} McuDialError;

#define MCU_TYPE_DIALER (mcu_dialer_get_type ())
G_DECLARE_FINAL_TYPE (McuDialer, mcu_dialer, MCU, DIALER, GObject)

/* Signals (main thread), for each dial id:
 *   "answered" (const gchar *id, const gchar *room, guint participant_id)
 *   "failed" (const gchar *id, const gchar *room, guint status,
 *       const gchar *phrase): no one answered (best final response), or
 *       cancelled (487). */
McuDialer *mcu_dialer_new (McuDaemon *daemon);

/* Calls @target into @room (opened when it may be: preconfigured or
 * auto-create; else MCU_ROOM_ERROR_NOT_FOUND). @target: a sip:/sips: URI,
 * a registered user (all its contacts ring; the first to answer joins),
 * or user@host. @display: (nullable) the participant's name. From carries
 * the room's name and sip:ROOM@domain. Returns the dial id, which is the
 * Call-ID of the (first) INVITE. (transfer full) */
gchar *mcu_dialer_dial (McuDialer *self, const gchar *room, const gchar *target,
    const gchar *display, GError **error);
/* The same with @from_display (nullable: the room's name) as the display
 * name in From, e.g. a scheduled meeting's subject. (transfer full) */
gchar *mcu_dialer_dial_full (McuDialer *self, const gchar *room,
    const gchar *target, const gchar *display, const gchar *from_display,
    GError **error);
/* Default settle time between the answer and a dial's DTMF. */
#define MCU_DIAL_DTMF_DELAY_MS 1000

/* A dial's optional parts. */
typedef struct _McuDialOptions
{
  const gchar *display;      /* (nullable) the participant's name */
  const gchar *from_display; /* (nullable) From's name (the room's) */
  const gchar *dtmf;         /* (nullable) digits for the callee, checked */
  guint dtmf_delay_ms;       /* after the answer, before the digits */
  McuParticipantRole role;   /* guest (0) unless a meeting's moderator */
} McuDialOptions;

/* The same with @options; @options->dtmf (e.g. through a remote IVR) is
 * sent to whoever answers, @options->dtmf_delay_ms after the answer, as
 * RFC 4733 or INFO (mcu_call_leg_send_dtmf_after ()). Bad digits:
 * MCU_CALL_DTMF_ERROR_INVALID. (transfer full) */
gchar *mcu_dialer_dial_with (McuDialer *self, const gchar *room,
    const gchar *target, const McuDialOptions *options, GError **error);
/* Cancels a dial still ringing; FALSE when @id is not ringing. */
gboolean mcu_dialer_cancel (McuDialer *self, const gchar *id);
/* (transfer container) ids of the dials still ringing */
GList *mcu_dialer_list (McuDialer *self);

G_END_DECLS
