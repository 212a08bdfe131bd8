/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the daemon: owns the config, the SIP agent, the rooms, the ports, and
 * wires calls into rooms. Everything hangs off one McuDaemon. */
#pragma once

#include "mcu-config.h"
#include "mcu-call-leg.h"
#include <glib-object.h>

G_BEGIN_DECLS

#define MCU_TYPE_DAEMON (mcu_daemon_get_type ())
G_DECLARE_FINAL_TYPE (McuDaemon, mcu_daemon, MCU, DAEMON, GObject)

/* Takes @config. Listens for SIP at once. */
McuDaemon *mcu_daemon_new (McuConfig *config, GError **error);
/* BYE to every participant, then signal "stopped". */
void mcu_daemon_shutdown (McuDaemon *self);
/* SIGHUP: check the [tls] files again (see mcu_sip_agent_reload_tls ()). */
void mcu_daemon_reload_tls (McuDaemon *self);
guint mcu_daemon_get_n_calls (McuDaemon *self);

const McuConfig *mcu_daemon_get_config (McuDaemon *self);
McuRoomDirectory *mcu_daemon_get_rooms (McuDaemon *self);
/* Microseconds since the epoch when the daemon started. */
gint64 mcu_daemon_get_started_at (McuDaemon *self);
/* (nullable) (transfer none) the call of participant @id in @room */
McuCallLeg *mcu_daemon_find_leg (McuDaemon *self, McuRoom *room, guint id);
/* Hangs up everyone in @room and closes it; a room kept in the store is
 * deleted there (FALSE with @error when that failed: the room is closed
 * anyway). */
gboolean mcu_daemon_close_room (McuDaemon *self, McuRoom *room, GError **error);
/* Keeps a persistent @room (made through the control API) in the store with
 * its settings as they are now, so that a restart opens it again. Other
 * rooms: nothing to do. */
gboolean mcu_daemon_save_room (McuDaemon *self, McuRoom *room, GError **error);

/* Calls to registered users, dial-out and chat (mcu-bridge.c,
 * mcu-dialer.c, mcu-chat.c). */
typedef struct _McuRegistrar McuRegistrar;
typedef struct _McuDialer McuDialer;
typedef struct _McuChat McuChat;
typedef struct _McuEvents McuEvents;
typedef struct _McuScheduler McuScheduler;
/* (transfer none) every room's media */
McuRoomMediaRegistry *mcu_daemon_get_room_media (McuDaemon *self);
McuSipAgent *mcu_daemon_get_agent (McuDaemon *self);
const McuCallEnv *mcu_daemon_get_call_env (McuDaemon *self);
/* (nullable) */
McuRegistrar *mcu_daemon_get_registrar (McuDaemon *self);
McuDialer *mcu_daemon_get_dialer (McuDaemon *self);
McuChat *mcu_daemon_get_chat (McuDaemon *self);
McuEvents *mcu_daemon_get_events (McuDaemon *self);
typedef struct _McuRecordings McuRecordings;
McuRecordings *mcu_daemon_get_recordings (McuDaemon *self);
typedef struct _McuStreams McuStreams;
McuStreams *mcu_daemon_get_streams (McuDaemon *self);
typedef struct _McuAnnouncer McuAnnouncer;
/* prompts to rooms and participants (mcu-announcer.h) */
McuAnnouncer *mcu_daemon_get_announcer (McuDaemon *self);
/* (nullable) scheduled meetings (mcu-scheduler.h) */
McuScheduler *mcu_daemon_get_scheduler (McuDaemon *self);
/* Keeps @leg (a new call the daemon did not create itself) until it
 * ends, with the others: counted, hung up at shutdown. */
void mcu_daemon_add_leg (McuDaemon *self, McuCallLeg *leg);
/* Dials @target (a sip: URI, a registered user, or user@host) into @room,
 * with the room's name in From; when it answers it joins the room's mix.
 * @display: (nullable) the participant's name. Returns the dial id (the
 * Call-ID of the first INVITE); the dialer's "answered"/"failed" signals
 * tell the outcome (mcu-dialer.h). (transfer full) */
gchar *mcu_daemon_dial (McuDaemon *self, const gchar *room, const gchar *target,
    const gchar *display, GError **error);
/* The same with the McuDialOptions of mcu-dialer.h. (transfer full) */
typedef struct _McuDialOptions McuDialOptions;
gchar *mcu_daemon_dial_with (McuDaemon *self, const gchar *room,
    const gchar *target, const McuDialOptions *options, GError **error);

/* Call counters for /metrics. */
typedef struct
{
  guint64 calls_total;          /* INVITEs that created a call */
  guint64 calls_failed;         /* of which rejected */
  GHashTable *failed_by_status; /* GUINT_TO_POINTER (status) -> count */
  McuMediaStats ended_media;    /* RTP totals of the calls that ended */
} McuDaemonCounters;
const McuDaemonCounters *mcu_daemon_get_counters (McuDaemon *self);
/* RTP totals since the start: the calls that ended and the calls now (a
 * call's counts move from one to the other when it ends, so the sum never
 * goes down). */
void mcu_daemon_get_media_totals (McuDaemon *self, McuMediaStats *totals);

G_END_DECLS
