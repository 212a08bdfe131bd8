/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the state of McuScheduler's occurrences: written to the store on
 * every step, restored after a restart (the running occurrence resumed, one
 * that ended never replayed), and shown by the control API. Main thread
 * only. */
#include "mcu-scheduler-private.h"

const gchar *const mcu_scheduler_attendee_states[] = {
  "pending",
  "dialing",
  "retry-wait",
  "answered",
  "joined",
  "failed",
};

const gchar *const mcu_scheduler_phases[] = {
  "waiting",
  "open",
  "started",
  "ending",
  "closed",
};

gchar *
mcu_scheduler_format_time (gint64 usec)
{
  g_autoptr (GDateTime) t =
      g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);

  return t ? g_date_time_format (t, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("?");
}

AttendeeRun *
mcu_scheduler_find_run (Entry *e, const gchar *attendee_id)
{
  for (guint i = 0; i < e->attendees->len; i++) {
    AttendeeRun *a = g_ptr_array_index (e->attendees, i);

    if (g_str_equal (a->id, attendee_id))
      return a;
  }
  return NULL;
}

/* Writes the entry's occurrence. A store failure is logged: the meeting
 * goes on (a restart then may redo a step). */
void
mcu_scheduler_save (McuScheduler *self, Entry *e, const gchar *ended)
{
  g_autoptr (McuStoredOccurrence) o = mcu_stored_occurrence_new ();
  g_autoptr (GError) error = NULL;

  if (!e->has_occurrence || e->phase == MCU_MEETING_PHASE_WAITING)
    return;
  o->meeting_id = g_strdup (mcu_meeting_get_id (e->meeting));
  o->start = e->occurrence.start;
  o->phase = g_strdup (mcu_scheduler_phases[e->phase]);
  o->end = e->end;
  o->warnings_done = e->warnings_done;
  o->ended = g_strdup (ended);
  for (guint i = 0; i < e->attendees->len; i++) {
    AttendeeRun *a = g_ptr_array_index (e->attendees, i);
    McuStoredAttendee *s = mcu_stored_occurrence_add_attendee (o, a->id);

    g_free (s->state);
    s->state = g_strdup (mcu_scheduler_attendee_states[a->state]);
    s->tries = a->tries;
    s->status = a->status;
    s->next_try = a->next_try;
  }
  if (!mcu_store_save_occurrence (self->store, o, &error))
    g_warning ("meeting %s: cannot save its state: %s",
        mcu_meeting_get_id (e->meeting), error->message);
}

static gint
parse_index (const gchar *const *names, guint n, const gchar *name)
{
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (names[i], name) == 0)
      return i;
  return -1;
}

/* The attendees of the meeting, each with its run (kept, or new). */
void
mcu_scheduler_sync_attendees (Entry *e)
{
  GPtrArray *attendees = mcu_meeting_get_attendees (e->meeting);
  g_autoptr (GPtrArray) runs =
      g_ptr_array_new_with_free_func (mcu_scheduler_attendee_run_free);

  for (guint i = 0; i < attendees->len; i++) {
    const McuAttendee *a = g_ptr_array_index (attendees, i);
    AttendeeRun *run = mcu_scheduler_find_run (e, a->id);

    if (run) {
      guint at = 0;

      g_ptr_array_find (e->attendees, run, &at);
      g_ptr_array_add (runs, g_ptr_array_steal_index (e->attendees, at));
      continue;
    }
    run = g_new0 (AttendeeRun, 1);
    run->id = g_strdup (a->id);
    g_ptr_array_add (runs, run);
  }
  g_ptr_array_unref (e->attendees);
  e->attendees = g_steal_pointer (&runs);
}

static void
reset_occurrence (Entry *e)
{
  e->has_occurrence = FALSE;
  e->phase = MCU_MEETING_PHASE_WAITING;
  e->warnings_done = 0;
  e->claim_wait = FALSE;
  g_ptr_array_set_size (e->attendees, 0);
}

/* Takes the stored state of @o (the occurrence the entry is at). */
static void
restore (Entry *e, McuStoredOccurrence *o)
{
  gint phase = parse_index (
      mcu_scheduler_phases, G_N_ELEMENTS (mcu_scheduler_phases), o->phase);

  e->phase = phase < 0 ? MCU_MEETING_PHASE_OPEN : phase;
  e->end = o->end;
  e->warnings_done = o->warnings_done;
  for (guint i = 0; i < o->attendees->len; i++) {
    McuStoredAttendee *s = g_ptr_array_index (o->attendees, i);
    AttendeeRun *run = mcu_scheduler_find_run (e, s->attendee_id);
    gint state = parse_index (mcu_scheduler_attendee_states,
        G_N_ELEMENTS (mcu_scheduler_attendee_states), s->state);

    if (run == NULL)
      continue;
    /* a dial in flight died with the old process: dial again */
    run->state = state < 0 || state == ATTENDEE_DIALING ? ATTENDEE_PENDING
                                                        : (AttendeeState)state;
    run->tries = s->tries;
    run->status = s->status;
    run->next_try = s->next_try;
  }
}

/* Points the entry at the occurrence to run now: the stored one if it has
 * not finished (even past its booked end: extended, or in the grace),
 * else the next one that ends after @now and has not already run. */
void
mcu_scheduler_pick_occurrence (McuScheduler *self, Entry *e, gint64 now)
{
  const gchar *id = mcu_meeting_get_id (e->meeting);
  g_autoptr (McuStoredOccurrence) last = NULL;
  g_autoptr (GError) error = NULL;
  gint64 from = now;
  McuOccurrence occ;

  reset_occurrence (e);
  last = mcu_store_load_last_occurrence (self->store, id, &error);
  if (error)
    g_warning ("meeting %s: cannot load its state: %s", id, error->message);
  if (last && g_strcmp0 (last->phase, "closed") != 0 &&
      g_strcmp0 (last->phase, "waiting") != 0) {
    if (last->end + mcu_meeting_get_grace (e->meeting) > now) {
      GArray *one =
          mcu_meeting_occurrences (e->meeting, last->start, last->start + 1, 1);

      e->occurrence.start = last->start;
      e->occurrence.end =
          one->len ? g_array_index (one, McuOccurrence, 0).end : last->end;
      g_array_unref (one);
      e->has_occurrence = TRUE;
      mcu_scheduler_sync_attendees (e);
      restore (e, last);
      g_message ("meeting %s: resuming the occurrence of %" G_GINT64_FORMAT
                 " (%s)",
          id, last->start / G_USEC_PER_SEC, mcu_scheduler_phases[e->phase]);
      return;
    }
    /* it ended while we were down */
    g_free (last->phase);
    last->phase = g_strdup ("closed");
    g_free (last->ended);
    last->ended = g_strdup ("missed");
    if (!mcu_store_save_occurrence (self->store, last, &error))
      g_warning ("meeting %s: %s", id, error->message);
  }
  if (last)
    from = MAX (from, last->end);
  while (mcu_meeting_next_occurrence (e->meeting, from, &occ)) {
    if (last == NULL || occ.start > last->start) {
      e->occurrence = occ;
      e->end = occ.end;
      e->has_occurrence = TRUE;
      mcu_scheduler_sync_attendees (e);
      return;
    }
    from = occ.end;
  }
}

static void
set_time (JsonObject *o, const gchar *name, gint64 usec)
{
  g_autofree gchar *text = mcu_scheduler_format_time (usec);

  json_object_set_string_member (o, name, text);
}

JsonNode *
mcu_scheduler_meeting_to_json (McuScheduler *self, McuMeeting *meeting)
{
  JsonNode *node = mcu_meeting_to_json (meeting);
  Entry *e = g_hash_table_lookup (self->entries, mcu_meeting_get_id (meeting));
  JsonObject *state = json_object_new ();
  JsonArray *attendees = json_array_new ();

  if (e && e->has_occurrence) {
    json_object_set_string_member (
        state, "phase", mcu_scheduler_phases[e->phase]);
    set_time (state, "occurrence_start", e->occurrence.start);
    set_time (state, "occurrence_end", e->end);
    set_time (state, "opens_at",
        e->occurrence.start - mcu_meeting_get_early_join (meeting));
    set_time (state, "closes_at", e->end + mcu_meeting_get_grace (meeting));
    for (guint i = 0; i < e->attendees->len; i++) {
      AttendeeRun *run = g_ptr_array_index (e->attendees, i);
      JsonObject *a = json_object_new ();

      json_object_set_string_member (a, "id", run->id);
      json_object_set_string_member (
          a, "state", mcu_scheduler_attendee_states[run->state]);
      json_object_set_int_member (a, "tries", run->tries);
      json_object_set_int_member (a, "last_status", run->status);
      if (run->state == ATTENDEE_RETRY_WAIT)
        set_time (a, "next_try", run->next_try);
      json_array_add_object_element (attendees, a);
    }
  } else {
    json_object_set_string_member (state, "phase", "none");
  }
  json_object_set_array_member (state, "attendees", attendees);
  json_object_set_object_member (json_node_get_object (node), "state", state);
  return node;
}
