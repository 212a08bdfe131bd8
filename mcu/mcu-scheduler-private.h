/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuScheduler's insides, shared by mcu-scheduler.c (the timer, the
 * API), mcu-scheduler-steps.c (the steps of an occurrence) and
 * mcu-scheduler-state.c (the state of occurrences: stored, restored,
 * shown). Main thread only. */
#pragma once

#include "mcu-scheduler.h"

G_BEGIN_DECLS

typedef enum
{
  ATTENDEE_PENDING,
  ATTENDEE_DIALING,
  ATTENDEE_RETRY_WAIT,
  ATTENDEE_ANSWERED,
  ATTENDEE_JOINED, /* was in the room by themselves */
  ATTENDEE_FAILED,
} AttendeeState;

typedef struct
{
  gchar *id;
  AttendeeState state;
  guint tries;
  guint status;
  gint64 next_try;
  gchar *dial_id; /* (nullable) while dialing; never stored */
} AttendeeRun;

typedef struct
{
  McuMeeting *meeting;
  gboolean has_occurrence;
  McuOccurrence occurrence; /* as booked */
  gint64 end;               /* as extended */
  McuMeetingPhase phase;
  guint warnings_done;
  GPtrArray *attendees; /* AttendeeRun* */
  gboolean claim_wait;  /* another node runs it, or not known yet */
} Entry;

struct _McuScheduler
{
  GObject parent_instance;

  McuStore *store;
  McuSchedulerOps ops;
  gpointer data;
  GHashTable *entries; /* meeting id -> Entry* (owned) */
  guint timer;
  gint64 next_due;
  gint64 last_real; /* for jump detection */
  gint64 last_mono;
  McuSchedulerCounters counters;
};

/* by AttendeeState, by McuMeetingPhase */
extern const gchar *const mcu_scheduler_attendee_states[6];
extern const gchar *const mcu_scheduler_phases[5];

/* mcu-scheduler.c */
void mcu_scheduler_attendee_run_free (gpointer data);

/* mcu-scheduler-steps.c */
/* Emits @type with the meeting, the occurrence and @extra members. */
void mcu_scheduler_emit (
    McuScheduler *self, Entry *e, const gchar *type, const gchar *extra);
/* The "attendee" and "try" members of an event. (transfer full) */
gchar *mcu_scheduler_attendee_fields (const McuAttendee *a, AttendeeRun *run);
const McuAttendee *mcu_scheduler_attendee_of (Entry *e, AttendeeRun *run);
/* A failed try: retry-wait or failed for good; saved and announced. */
void mcu_scheduler_attendee_failed (McuScheduler *self, Entry *e,
    AttendeeRun *run, guint status, const gchar *phrase, gint64 now);
/* Rings @run now, unless they are in the room already. */
void mcu_scheduler_dial_run (
    McuScheduler *self, Entry *e, AttendeeRun *run, gint64 now);
void mcu_scheduler_open_room (McuScheduler *self, Entry *e);
/* Closes the occurrence (@how: "ended", "cancelled", ...) and picks the
 * next one. */
void mcu_scheduler_step_close (
    McuScheduler *self, Entry *e, const gchar *how, gint64 now);
/* Every step of @e that is due by @now, in order. */
void mcu_scheduler_advance (McuScheduler *self, Entry *e, gint64 now);
/* When @e needs the scheduler next (G_MAXINT64: never). */
gint64 mcu_scheduler_entry_next_due (Entry *e);

/* mcu-scheduler-state.c */
gchar *mcu_scheduler_format_time (gint64 usec);
AttendeeRun *mcu_scheduler_find_run (Entry *e, const gchar *attendee_id);
/* Writes the entry's occurrence (@ended: how a closed one ended). */
void mcu_scheduler_save (McuScheduler *self, Entry *e, const gchar *ended);
/* The attendees of the meeting, each with its run (kept, or new). */
void mcu_scheduler_sync_attendees (Entry *e);
/* Points @e at the occurrence to run now (see the .c). */
void mcu_scheduler_pick_occurrence (McuScheduler *self, Entry *e, gint64 now);

G_END_DECLS
