/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the event stream of rooms and participants, for the control socket's
 * GET /v1/events (Server-Sent Events) and anything else that listens. */
#pragma once

#include "mcu-rooms.h"

G_BEGIN_DECLS

#define MCU_TYPE_EVENTS (mcu_events_get_type ())
G_DECLARE_FINAL_TYPE (McuEvents, mcu_events, MCU, EVENTS, GObject)

/* Watches every room of @rooms. Signal "event" (guint64 id, const gchar
 * *type, const gchar *json): one event, as a JSON object with "id", "type",
 * "time" (RFC 3339), "room" and, for participant events, "participant".
 * Ids start at 1 and grow by one. Types: room-created, room-closed,
 * joined, left, muted, unmuted, deaf, undeaf, talking-start, talking-stop,
 * hold, resume, video-muted, video-unmuted, volume, layout-changed, locked,
 * unlocked, pin-changed; from the daemon: dtmf (digit, method: "rfc4733",
 * "inband" or "info"; once per key); from the control socket: dial-answered,
 * dial-failed, chat; from the scheduler (mcu-scheduler.h), with "meeting"
 * and "occurrence": meeting-opened, meeting-started, attendee-dialing,
 * attendee-answered, attendee-failed (status), meeting-ending
 * (minutes_left, seconds_left), meeting-extended, meeting-closed. */
McuEvents *mcu_events_new (McuRoomDirectory *rooms);

/* Emits an event of another source (e.g. "recording-started"): @fields
 * (nullable) is a JSON object's members, without braces. */
void mcu_events_emit (McuEvents *self, const gchar *type, McuRoom *room,
    McuParticipant *participant, const gchar *fields);

/* The kept events after @after_id (at most the last 256), oldest first:
 * what a client reconnecting with Last-Event-ID missed.
 * (transfer container) (element-type utf8) JSON texts, owned by @self. */
GPtrArray *mcu_events_since (McuEvents *self, guint64 after_id);
guint64 mcu_events_get_last_id (McuEvents *self);

G_END_DECLS
