/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the control socket's resources, between its files. */
#pragma once

#include "mcu-control.h"
#include "mcu-control-util.h"

G_BEGIN_DECLS

McuDaemon *mcu_control_get_daemon (McuControl *self);
typedef struct _McuControlDownloads McuControlDownloads;
McuControlDownloads *mcu_control_get_downloads (McuControl *self);

/* mcu-control-rooms.c */
void mcu_control_rooms_list (McuControlRequest *req);
void mcu_control_rooms_create (McuControlRequest *req);
void mcu_control_room_get (McuControlRequest *req);
void mcu_control_room_patch (McuControlRequest *req);
void mcu_control_room_delete (McuControlRequest *req);
void mcu_control_participants_list (McuControlRequest *req);
void mcu_control_participant_get (McuControlRequest *req);
void mcu_control_participant_patch (McuControlRequest *req);
void mcu_control_participant_delete (McuControlRequest *req);
void mcu_control_participants_dial (McuControlRequest *req);
void mcu_control_participant_dtmf (McuControlRequest *req);
void mcu_control_registrations_list (McuControlRequest *req);

/* mcu-control-prompts.c */
void mcu_control_room_announce (McuControlRequest *req);
void mcu_control_participant_prompt (McuControlRequest *req);

/* mcu-control-meetings.c */
void mcu_control_meetings_list (McuControlRequest *req);
void mcu_control_meetings_ics (McuControlRequest *req);
void mcu_control_meetings_create (McuControlRequest *req);
void mcu_control_meeting_get (McuControlRequest *req);
void mcu_control_meeting_patch (McuControlRequest *req);
void mcu_control_meeting_delete (McuControlRequest *req);
void mcu_control_meeting_occurrences (McuControlRequest *req);
void mcu_control_meeting_extend (McuControlRequest *req);
void mcu_control_meeting_attendees_list (McuControlRequest *req);
void mcu_control_meeting_attendees_add (McuControlRequest *req);
void mcu_control_meeting_attendee_delete (McuControlRequest *req);
void mcu_control_meeting_attendee_dial (McuControlRequest *req);

/* mcu-control-recordings.c */
void mcu_control_recordings_start (McuControlRequest *req);
void mcu_control_recordings_stop (McuControlRequest *req);
void mcu_control_recordings_list (McuControlRequest *req);
void mcu_control_recording_download (McuControlRequest *req);
void mcu_control_recording_segment (McuControlRequest *req);
/* "recording": the room's running recording ({id, state, started_at}) or
 * null, as a member of the object @b is building */
void mcu_control_recordings_add_room_state (
    JsonBuilder *b, McuDaemon *daemon, McuRoom *room);
/* mcu-control-streams.c */
void mcu_control_streams_start (McuControlRequest *req);
void mcu_control_streams_list (McuControlRequest *req);
void mcu_control_streams_stop (McuControlRequest *req);

/* mcu-control-cluster.c */
void mcu_control_cluster_get (McuControlRequest *req);
void mcu_control_node_drain (McuControlRequest *req);

/* @msg's response is a long one: no idle timeout */
void mcu_control_set_streaming (McuControl *self, SoupServerMessage *msg);

/* mcu-metrics.c: Prometheus text exposition. (transfer full) */
gchar *mcu_metrics_render (McuDaemon *daemon);

G_END_DECLS
