/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the scheduler of meetings (issue 10): keeps the booked meetings
 * (McuMeeting, in the store), and runs each one's current occurrence
 * through its phases on the main loop with ONE timer, armed for the next
 * due event of all of them:
 *
 *   waiting --(start - early_join)--> open --(start)--> started
 *   --(end - w: a warning each)--> ... --(end)--> ending
 *   --(end + grace)--> closed, and the next occurrence is armed.
 *
 * Open: the room is opened with the meeting's PINs, layout and limit.
 * Started: every auto-dial attendee is dialled (unless already in the
 * room); failures are retried dial_retries times, dial_retry_interval
 * apart. Closed: everyone gets BYE and the room closes. Every phase and
 * attendee change is written to the store first, so a restart (even
 * kill -9) resumes the running occurrence: room reopened, PINs kept,
 * attendees not yet reached dialled again, the extended end kept, and an
 * occurrence that ended is never replayed.
 *
 * What the scheduler does to the world goes through McuSchedulerOps, so
 * the timeline is testable with an injected clock and no daemon
 * (tests/unit/test-scheduler.c); mcu-scheduler-glue.c wires the ops to
 * the daemon (rooms, dialer, events, chat). The timer is capped at
 * MCU_SCHEDULER_MAX_SLEEP seconds, so a wall-clock step (NTP, suspend) is
 * noticed within that time; each wake compares the wall clock's progress
 * with the monotonic clock's and logs a jump. Main thread only. */
#pragma once

#include "mcu-meeting.h"
#include "mcu-store.h"

G_BEGIN_DECLS

#define MCU_SCHEDULER_MAX_SLEEP 60

#define MCU_SCHEDULER_ERROR (mcu_scheduler_error_quark ())
GQuark mcu_scheduler_error_quark (void);

typedef enum
{
  MCU_SCHEDULER_ERROR_NOT_FOUND,   /* no such meeting or attendee: 404 */
  MCU_SCHEDULER_ERROR_CONFLICT,    /* the room is booked then: 409 */
  MCU_SCHEDULER_ERROR_STATE,       /* not running, already ringing...: 409 */
  MCU_SCHEDULER_ERROR_INVALID,     /* a bad value (e.g. extend by 0): 400 */
  MCU_SCHEDULER_ERROR_STORE,       /* the database failed: 500 */
  MCU_SCHEDULER_ERROR_UNAVAILABLE, /* the database is out of reach: 503 */
} McuSchedulerErrorCode;

typedef enum
{
  MCU_MEETING_PHASE_WAITING, /* before the early-join window */
  MCU_MEETING_PHASE_OPEN,    /* room open, not started */
  MCU_MEETING_PHASE_STARTED, /* attendees dialled, until the end */
  MCU_MEETING_PHASE_ENDING,  /* past the end, inside the grace */
  MCU_MEETING_PHASE_CLOSED,
} McuMeetingPhase;

const gchar *mcu_meeting_phase_to_string (McuMeetingPhase phase);

/* What the scheduler does, and its clock. @data is the ops' user data.
 * All but @now are required. */
typedef struct
{
  /* UTC microseconds (NULL: g_get_real_time) */
  gint64 (*now) (gpointer data);
  /* Opens (or updates) the room of @meeting with its PINs, layout and
   * max participants. */
  gboolean (*open_room) (gpointer data, McuMeeting *meeting, GError **error);
  /* BYE to everyone in @room and close it. */
  void (*close_room) (gpointer data, const gchar *room);
  /* Calls @attendee into the meeting's room (From: the subject and the
   * room); returns the dial id whose outcome comes back through
   * mcu_scheduler_dial_answered () / _failed (). (transfer full) */
  gchar *(*dial) (gpointer data, McuMeeting *meeting,
      const McuAttendee *attendee, GError **error);
  void (*cancel_dial) (gpointer data, const gchar *dial_id);
  /* TRUE when someone matching @uri (a SIP URI or a user name) is in
   * @room already. */
  gboolean (*in_room) (gpointer data, const gchar *room, const gchar *uri);
  /* One event: @fields are a JSON object's members, without braces. */
  void (*event) (
      gpointer data, const gchar *type, const gchar *room, const gchar *fields);
  /* (optional) a text line into the room (chat). */
  void (*announce) (gpointer data, McuMeeting *meeting, const gchar *text);
} McuSchedulerOps;

/* Counters for /metrics. */
typedef struct
{
  guint64 opened;
  guint64 started;
  guint64 dialing;
  guint64 answered;
  guint64 failed;
  GHashTable *failed_by_status; /* GUINT_TO_POINTER (status) -> count */
  guint64 ending;
  guint64 extended;
  guint64 closed;
} McuSchedulerCounters;

#define MCU_TYPE_SCHEDULER (mcu_scheduler_get_type ())
G_DECLARE_FINAL_TYPE (McuScheduler, mcu_scheduler, MCU, SCHEDULER, GObject)

/* Loads the meetings and the state of their occurrences from @store,
 * resumes the running ones and arms the timer. A stored meeting that no
 * longer parses is logged and left in the store. */
McuScheduler *mcu_scheduler_new (
    McuStore *store, const McuSchedulerOps *ops, gpointer data, GError **error);
/* Stops the timer (nothing more happens; the stored state stays). */
void mcu_scheduler_stop (McuScheduler *self);
/* Runs whatever is due now (and re-arms). The timer calls it; a test with
 * an injected clock calls it after moving the clock. */
void mcu_scheduler_run_due (McuScheduler *self);
/* When the timer fires next (UTC microseconds by the ops' clock), or
 * G_MAXINT64 when nothing is scheduled. */
gint64 mcu_scheduler_get_next_due (McuScheduler *self);

/* Adds @meeting (refused with _CONFLICT when it overlaps another booking
 * of its room; the message names the clashing occurrence). */
gboolean mcu_scheduler_add (
    McuScheduler *self, McuMeeting *meeting, GError **error);
/* Replaces the meeting of the same id (a PATCH). A running occurrence
 * keeps its times; its PINs, layout and attendees change at once. */
gboolean mcu_scheduler_replace (
    McuScheduler *self, McuMeeting *meeting, GError **error);
/* Deletes the meeting: its future occurrences are gone, a running one
 * closes now. */
gboolean mcu_scheduler_remove (
    McuScheduler *self, const gchar *id, GError **error);
/* Cancels the one occurrence starting at @start (closing it when it
 * runs). */
gboolean mcu_scheduler_cancel_occurrence (
    McuScheduler *self, const gchar *id, gint64 start, GError **error);
/* Moves the end of the running occurrence by @delta microseconds (> 0);
 * refused with _CONFLICT when that collides with the next booking of the
 * room, _STATE when no occurrence runs. */
gboolean mcu_scheduler_extend (
    McuScheduler *self, const gchar *id, gint64 delta, GError **error);
/* Dials @attendee_id of the running occurrence now (a moderator's
 * re-dial), whatever happened to it before. */
gboolean mcu_scheduler_redial (McuScheduler *self, const gchar *id,
    const gchar *attendee_id, GError **error);

/* (nullable) (transfer none) */
McuMeeting *mcu_scheduler_lookup (McuScheduler *self, const gchar *id);
/* Meeting @id changed in the store by someone else (another node): take it
 * (added, replaced, or removed when no longer there) without writing. */
void mcu_scheduler_reload_meeting (McuScheduler *self, const gchar *id);
/* (transfer container) (element-type McuMeeting) by id */
GPtrArray *mcu_scheduler_list (McuScheduler *self);
/* The meeting's JSON plus "state": the phase, the current occurrence
 * (start, end as extended) and each attendee's dial state. (transfer full) */
JsonNode *mcu_scheduler_meeting_to_json (
    McuScheduler *self, McuMeeting *meeting);

/* Admission of a caller to @room: TRUE when no meeting holds the room
 * closed now. FALSE when the room is booked but no occurrence runs:
 * *@meeting (transfer none) is the meeting that opens it next and *@next
 * that occurrence (it opens at start - early_join). */
gboolean mcu_scheduler_room_is_open (McuScheduler *self, const gchar *room,
    McuMeeting **meeting, McuOccurrence *next);

/* TRUE when an occurrence of a meeting in @room is open or started now. */
gboolean mcu_scheduler_room_is_running (McuScheduler *self, const gchar *room);

/* The dialer's outcomes (ids the scheduler did not start are ignored). */
void mcu_scheduler_dial_answered (McuScheduler *self, const gchar *dial_id);
void mcu_scheduler_dial_failed (McuScheduler *self, const gchar *dial_id,
    guint status, const gchar *phrase);

const McuSchedulerCounters *mcu_scheduler_get_counters (McuScheduler *self);

G_END_DECLS
