/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the steps of McuScheduler's occurrences: open the room, start, warn
 * before the end, dial the attendees (with retries), close; each saved to
 * the store before it acts (mcu-scheduler.c has the timer and the API).
 * Main thread only. */
#include "mcu-scheduler-private.h"

/* ---- formatting ---- */

static gchar *
json_quote (const gchar *text)
{
  g_autoptr (JsonNode) node =
      json_node_init_string (json_node_alloc (), text ? text : "");

  return json_to_string (node, FALSE);
}

/* Emits @type with the meeting, the occurrence and @extra members. */
void
mcu_scheduler_emit (
    McuScheduler *self, Entry *e, const gchar *type, const gchar *extra)
{
  g_autofree gchar *id = json_quote (mcu_meeting_get_id (e->meeting));
  g_autofree gchar *subject = json_quote (mcu_meeting_get_subject (e->meeting));
  g_autofree gchar *start = mcu_scheduler_format_time (e->occurrence.start);
  g_autofree gchar *end = mcu_scheduler_format_time (e->end);
  g_autofree gchar *fields = g_strdup_printf (
      "\"meeting\":{\"id\":%s,\"subject\":%s},\"occurrence\":{\"start\":\"%s\","
      "\"end\":\"%s\"}%s%s",
      id, subject, start, end, extra ? "," : "", extra ? extra : "");

  self->ops.event (self->data, type, mcu_meeting_get_room (e->meeting), fields);
}

gchar *
mcu_scheduler_attendee_fields (const McuAttendee *a, AttendeeRun *run)
{
  g_autofree gchar *id = json_quote (a->id);
  g_autofree gchar *uri = json_quote (a->uri);
  g_autofree gchar *display = json_quote (a->display);

  return g_strdup_printf (
      "\"attendee\":{\"id\":%s,\"uri\":%s,\"display\":%s},\"try\":%u", id, uri,
      display, run->tries);
}

/* ---- the steps ---- */

const McuAttendee *
mcu_scheduler_attendee_of (Entry *e, AttendeeRun *run)
{
  return mcu_meeting_find_attendee (e->meeting, run->id);
}

/* Busy, no answer, unreachable are worth another try; a refusal is not. */
static gboolean
retryable (guint status)
{
  return status != 400 && status != 403 && status != 404 && status != 410 &&
         status != 484 && status != 603;
}

static void
count_failure (McuScheduler *self, guint status)
{
  gpointer key = GUINT_TO_POINTER (status);
  gsize n = GPOINTER_TO_SIZE (
      g_hash_table_lookup (self->counters.failed_by_status, key));

  self->counters.failed++;
  g_hash_table_insert (
      self->counters.failed_by_status, key, GSIZE_TO_POINTER (n + 1));
}

/* A failed try: retry-wait or failed for good; saved and announced. */
void
mcu_scheduler_attendee_failed (McuScheduler *self, Entry *e, AttendeeRun *run,
    guint status, const gchar *phrase, gint64 now)
{
  const McuAttendee *a = mcu_scheduler_attendee_of (e, run);
  gboolean again = retryable (status) &&
                   run->tries <= mcu_meeting_get_dial_retries (e->meeting);
  g_autofree gchar *who = a ? mcu_scheduler_attendee_fields (a, run) : NULL;
  g_autofree gchar *why = json_quote (phrase);
  g_autofree gchar *fields = NULL;

  g_clear_pointer (&run->dial_id, g_free);
  run->status = status;
  run->state = again ? ATTENDEE_RETRY_WAIT : ATTENDEE_FAILED;
  run->next_try =
      again ? now + mcu_meeting_get_dial_retry_interval (e->meeting) : 0;
  mcu_scheduler_save (self, e, NULL);
  count_failure (self, status);
  fields = g_strdup_printf ("%s%s\"status\":%u,\"reason\":%s,\"retry\":%s",
      who ? who : "", who ? "," : "", status, why, again ? "true" : "false");
  mcu_scheduler_emit (self, e, "attendee-failed", fields);
  g_message ("meeting %s: %s failed (%u %s)%s", mcu_meeting_get_id (e->meeting),
      a ? a->uri : run->id, status, phrase ? phrase : "",
      again ? ", will retry" : "");
}

/* Rings @run now, unless they are in the room already. */
void
mcu_scheduler_dial_run (
    McuScheduler *self, Entry *e, AttendeeRun *run, gint64 now)
{
  const McuAttendee *a = mcu_scheduler_attendee_of (e, run);
  const gchar *room = mcu_meeting_get_room (e->meeting);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *fields = NULL;
  gchar *id;

  if (a == NULL)
    return;
  if (self->ops.in_room (self->data, room, a->uri)) {
    run->state = ATTENDEE_JOINED;
    mcu_scheduler_save (self, e, NULL);
    g_message ("meeting %s: %s is in the room already: not dialled",
        mcu_meeting_get_id (e->meeting), a->uri);
    return;
  }
  run->tries++;
  id = self->ops.dial (self->data, e->meeting, a, &error);
  if (id == NULL) {
    /* e.g. a user without a registration: like no answer */
    mcu_scheduler_attendee_failed (self, e, run, 480, error->message, now);
    return;
  }
  run->dial_id = id;
  run->state = ATTENDEE_DIALING;
  mcu_scheduler_save (self, e, NULL);
  self->counters.dialing++;
  fields = mcu_scheduler_attendee_fields (a, run);
  mcu_scheduler_emit (self, e, "attendee-dialing", fields);
}

void
mcu_scheduler_open_room (McuScheduler *self, Entry *e)
{
  g_autoptr (GError) error = NULL;

  if (!self->ops.open_room (self->data, e->meeting, &error))
    g_warning ("meeting %s: cannot open room %s: %s",
        mcu_meeting_get_id (e->meeting), mcu_meeting_get_room (e->meeting),
        error->message);
}

static void
step_open (McuScheduler *self, Entry *e)
{
  e->phase = MCU_MEETING_PHASE_OPEN;
  mcu_scheduler_save (self, e, NULL);
  mcu_scheduler_open_room (self, e);
  self->counters.opened++;
  mcu_scheduler_emit (self, e, "meeting-opened", NULL);
  g_message ("meeting %s \"%s\": room %s open", mcu_meeting_get_id (e->meeting),
      mcu_meeting_get_subject (e->meeting), mcu_meeting_get_room (e->meeting));
}

static void
step_start (McuScheduler *self, Entry *e)
{
  guint n;
  const gint64 *w = mcu_meeting_get_warnings (e->meeting, &n);

  /* a warning that would come before the start is not given */
  while (e->warnings_done < n &&
         e->occurrence.start >= e->end - w[e->warnings_done])
    e->warnings_done++;
  e->phase = MCU_MEETING_PHASE_STARTED;
  mcu_scheduler_save (self, e, NULL);
  self->counters.started++;
  mcu_scheduler_emit (self, e, "meeting-started", NULL);
  g_message ("meeting %s started", mcu_meeting_get_id (e->meeting));
}

/* The warnings that are due by @now (only the last of several missed ones
 * is sent: the others are stale). */
static void
step_warnings (McuScheduler *self, Entry *e, gint64 now)
{
  guint n;
  const gint64 *w = mcu_meeting_get_warnings (e->meeting, &n);
  gboolean due = FALSE;
  gint64 left;
  g_autofree gchar *fields = NULL;
  g_autofree gchar *text = NULL;

  while (e->warnings_done < n && now >= e->end - w[e->warnings_done]) {
    e->warnings_done++;
    due = TRUE;
  }
  if (!due)
    return;
  mcu_scheduler_save (self, e, NULL);
  left = MAX (e->end - now, 0);
  self->counters.ending++;
  fields = g_strdup_printf ("\"minutes_left\":%" G_GINT64_FORMAT
                            ",\"seconds_left\":%" G_GINT64_FORMAT,
      (left + 59 * G_USEC_PER_SEC) / (60 * G_USEC_PER_SEC),
      (left + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC);
  mcu_scheduler_emit (self, e, "meeting-ending", fields);
  if (self->ops.announce) {
    text = left >= 60 * G_USEC_PER_SEC
               ? g_strdup_printf ("This meeting ends in %" G_GINT64_FORMAT
                                  " minute(s).",
                     (left + 30 * G_USEC_PER_SEC) / (60 * G_USEC_PER_SEC))
               : g_strdup_printf ("This meeting ends in %" G_GINT64_FORMAT
                                  " seconds.",
                     (left + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC);
    self->ops.announce (self->data, e->meeting, text);
  }
}

/* Dials the attendees who are due: new ones at the start, retries when
 * their wait is over. */
static void
step_dials (McuScheduler *self, Entry *e, gint64 now)
{
  for (guint i = 0; i < e->attendees->len; i++) {
    AttendeeRun *run = g_ptr_array_index (e->attendees, i);
    const McuAttendee *a = mcu_scheduler_attendee_of (e, run);

    if (a == NULL)
      continue;
    if ((run->state == ATTENDEE_PENDING && a->auto_dial) ||
        (run->state == ATTENDEE_RETRY_WAIT && now >= run->next_try))
      mcu_scheduler_dial_run (self, e, run, now);
  }
}

static void
cancel_dials (McuScheduler *self, Entry *e)
{
  for (guint i = 0; i < e->attendees->len; i++) {
    AttendeeRun *run = g_ptr_array_index (e->attendees, i);
    g_autofree gchar *id = g_steal_pointer (&run->dial_id);

    if (id)
      self->ops.cancel_dial (self->data, id);
  }
}

void
mcu_scheduler_step_close (
    McuScheduler *self, Entry *e, const gchar *how, gint64 now)
{
  g_autofree gchar *start = mcu_scheduler_format_time (e->occurrence.start);
  g_autofree gchar *fields = NULL;
  g_autofree gchar *quoted = json_quote (how);

  e->phase = MCU_MEETING_PHASE_CLOSED;
  mcu_scheduler_save (self, e, how);
  cancel_dials (self, e);
  self->ops.close_room (self->data, mcu_meeting_get_room (e->meeting));
  if (self->ops.claim_done)
    self->ops.claim_done (self->data, e->meeting, e->occurrence.start);
  self->counters.closed++;
  fields = g_strdup_printf ("\"reason\":%s", quoted);
  mcu_scheduler_emit (self, e, "meeting-closed", fields);
  g_message ("meeting %s: occurrence of %s closed (%s)",
      mcu_meeting_get_id (e->meeting), start, how);
  mcu_scheduler_pick_occurrence (self, e, now);
}

/* In a cluster, whether this node acts on @e's occurrence now (ops.claim);
 * one that ran to its end elsewhere makes way for the next occurrence. */
static gboolean
run_here (McuScheduler *self, Entry *e, gint64 now)
{
  McuSchedulerClaim claim;

  if (self->ops.claim == NULL)
    return TRUE;
  claim = self->ops.claim (self->data, e->meeting, e->occurrence.start);
  if (claim == MCU_SCHEDULER_CLAIM_DONE) {
    mcu_scheduler_pick_occurrence (self, e, MAX (now, e->occurrence.end));
    return FALSE; /* the next one when it is due */
  }
  e->claim_wait = claim != MCU_SCHEDULER_CLAIM_OURS;
  return !e->claim_wait;
}

/* Every step of @e that is due by @now, in order. */
void
mcu_scheduler_advance (McuScheduler *self, Entry *e, gint64 now)
{
  for (guint guard = 0; guard < 64; guard++) {
    if (!e->has_occurrence)
      return;
    if (e->phase != MCU_MEETING_PHASE_WAITING &&
        e->phase != MCU_MEETING_PHASE_CLOSED && !run_here (self, e, now))
      return;
    switch (e->phase) {
      case MCU_MEETING_PHASE_WAITING:
        if (now < e->occurrence.start - mcu_meeting_get_early_join (e->meeting))
          return;
        if (!run_here (self, e, now))
          return;
        step_open (self, e);
        break;
      case MCU_MEETING_PHASE_OPEN:
        if (now < e->occurrence.start)
          return;
        step_start (self, e);
        break;
      case MCU_MEETING_PHASE_STARTED:
        step_warnings (self, e, now);
        if (now >= e->end) {
          e->phase = MCU_MEETING_PHASE_ENDING;
          mcu_scheduler_save (self, e, NULL);
          break;
        }
        step_dials (self, e, now);
        return;
      case MCU_MEETING_PHASE_ENDING:
        if (now < e->end + mcu_meeting_get_grace (e->meeting))
          return;
        mcu_scheduler_step_close (self, e, "ended", now);
        break;
      case MCU_MEETING_PHASE_CLOSED:
        mcu_scheduler_pick_occurrence (self, e, now);
        break;
    }
  }
}

/* When @e needs the scheduler next. */
gint64
mcu_scheduler_entry_next_due (Entry *e)
{
  guint n;
  const gint64 *w;
  gint64 due = G_MAXINT64;

  if (!e->has_occurrence || e->claim_wait) /* ops.claim's news wake it */
    return G_MAXINT64;
  switch (e->phase) {
    case MCU_MEETING_PHASE_WAITING:
      return e->occurrence.start - mcu_meeting_get_early_join (e->meeting);
    case MCU_MEETING_PHASE_OPEN:
      return e->occurrence.start;
    case MCU_MEETING_PHASE_STARTED:
      w = mcu_meeting_get_warnings (e->meeting, &n);
      due = e->end;
      if (e->warnings_done < n)
        due = MIN (due, e->end - w[e->warnings_done]);
      for (guint i = 0; i < e->attendees->len; i++) {
        AttendeeRun *run = g_ptr_array_index (e->attendees, i);

        if (run->state == ATTENDEE_RETRY_WAIT)
          due = MIN (due, run->next_try);
      }
      return due;
    case MCU_MEETING_PHASE_ENDING:
      return e->end + mcu_meeting_get_grace (e->meeting);
    case MCU_MEETING_PHASE_CLOSED:
      return G_MAXINT64; /* never stays closed: the next one is picked */
  }
  return G_MAXINT64;
}
