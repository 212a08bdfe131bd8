/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the scheduler of meetings. Main thread only (see mcu-scheduler.h).
 *
 * One Entry per meeting holds its current occurrence and how far it got
 * (phase, warnings sent, each attendee's dial state). advance ()
 * (mcu-scheduler-steps.c) moves an entry through every step that is due by
 * now, saving each step to the store before acting on it, so that a crash
 * between the two redoes the step at most once; arm () sets the one timer for
 * the earliest due time of all entries, capped at MCU_SCHEDULER_MAX_SLEEP. */
#include "mcu-scheduler-private.h"

#include <string.h>

/* clang-format off */
G_DEFINE_QUARK (mcu-scheduler-error-quark, mcu_scheduler_error)
/* clang-format on */

/* How far ahead bookings are checked for conflicts. */
#define CONFLICT_HORIZON (2 * 366 * G_TIME_SPAN_DAY)
/* A wall-clock step larger than this is logged as a jump. */
#define JUMP_THRESHOLD (2 * G_USEC_PER_SEC)

G_DEFINE_FINAL_TYPE (McuScheduler, mcu_scheduler, G_TYPE_OBJECT)

static void arm (McuScheduler *self);
static gboolean is_running (Entry *e);

const gchar *
mcu_meeting_phase_to_string (McuMeetingPhase phase)
{
  return phase < G_N_ELEMENTS (mcu_scheduler_phases)
             ? mcu_scheduler_phases[phase]
             : "unknown";
}

void
mcu_scheduler_attendee_run_free (gpointer data)
{
  AttendeeRun *a = data;

  g_free (a->id);
  g_free (a->dial_id);
  g_free (a);
}

static void
entry_free (gpointer data)
{
  Entry *e = data;

  g_object_unref (e->meeting);
  g_ptr_array_unref (e->attendees);
  g_free (e);
}

static void
mcu_scheduler_dispose (GObject *object)
{
  McuScheduler *self = MCU_SCHEDULER (object);

  mcu_scheduler_stop (self);
  g_clear_pointer (&self->entries, g_hash_table_unref);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (mcu_scheduler_parent_class)->dispose (object);
}

static void
mcu_scheduler_finalize (GObject *object)
{
  McuScheduler *self = MCU_SCHEDULER (object);

  g_hash_table_unref (self->counters.failed_by_status);
  G_OBJECT_CLASS (mcu_scheduler_parent_class)->finalize (object);
}

static void
mcu_scheduler_class_init (McuSchedulerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_scheduler_dispose;
  object_class->finalize = mcu_scheduler_finalize;
}

static void
mcu_scheduler_init (McuScheduler *self)
{
  self->entries =
      g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
  self->counters.failed_by_status = g_hash_table_new (NULL, NULL);
  self->next_due = G_MAXINT64;
}

static gint64
now_of (McuScheduler *self)
{
  return self->ops.now ? self->ops.now (self->data) : g_get_real_time ();
}

/* ---- the one timer ---- */

static gboolean
on_timer (gpointer data)
{
  McuScheduler *self = data;
  gint64 real = now_of (self), mono = g_get_monotonic_time ();
  gint64 drift = (real - self->last_real) - (mono - self->last_mono);

  self->timer = 0;
  if (self->last_real && ABS (drift) > JUMP_THRESHOLD)
    g_message ("scheduler: the wall clock jumped by %+" G_GINT64_FORMAT
               " s: re-checking every meeting",
        drift / G_USEC_PER_SEC);
  mcu_scheduler_run_due (self);
  return G_SOURCE_REMOVE;
}

static void
arm (McuScheduler *self)
{
  GHashTableIter iter;
  gpointer value;
  gint64 due = G_MAXINT64, now = now_of (self), delay;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    due = MIN (due, mcu_scheduler_entry_next_due (value));
  self->next_due = due;
  g_clear_handle_id (&self->timer, g_source_remove);
  delay = CLAMP (due - now, 0, MCU_SCHEDULER_MAX_SLEEP * G_USEC_PER_SEC);
  self->last_real = now;
  self->last_mono = g_get_monotonic_time ();
  /* round up: waking a little late is right, early only re-arms */
  self->timer = g_timeout_add_full (
      G_PRIORITY_DEFAULT, (guint)((delay + 999) / 1000), on_timer, self, NULL);
}

void
mcu_scheduler_run_due (McuScheduler *self)
{
  g_autoptr (GList) entries = NULL;
  gint64 now = now_of (self);

  g_return_if_fail (MCU_IS_SCHEDULER (self));
  if (self->store == NULL)
    return;
  entries = g_hash_table_get_values (self->entries);
  for (GList *l = entries; l; l = l->next)
    mcu_scheduler_advance (self, l->data, now);
  arm (self);
}

gint64
mcu_scheduler_get_next_due (McuScheduler *self)
{
  return self->next_due;
}

void
mcu_scheduler_stop (McuScheduler *self)
{
  g_clear_handle_id (&self->timer, g_source_remove);
}

/* ---- meetings ---- */

static Entry *
add_entry (McuScheduler *self, McuMeeting *meeting)
{
  Entry *e = g_new0 (Entry, 1);

  e->meeting = g_object_ref (meeting);
  e->attendees =
      g_ptr_array_new_with_free_func (mcu_scheduler_attendee_run_free);
  g_hash_table_replace (
      self->entries, (gpointer)mcu_meeting_get_id (meeting), e);
  return e;
}

McuScheduler *
mcu_scheduler_new (
    McuStore *store, const McuSchedulerOps *ops, gpointer data, GError **error)
{
  g_autoptr (McuScheduler) self = g_object_new (MCU_TYPE_SCHEDULER, NULL);
  g_autoptr (GPtrArray) stored = NULL;
  gint64 now;
  Entry *e;

  self->store = g_object_ref (store);
  self->ops = *ops;
  self->data = data;
  stored = mcu_store_load_meetings (store, error);
  if (stored == NULL)
    return NULL;
  now = now_of (self);
  for (guint i = 0; i < stored->len; i++) {
    McuStoredMeeting *m = g_ptr_array_index (stored, i);
    g_autoptr (GError) local = NULL;
    g_autoptr (JsonNode) node = json_from_string (m->json, &local);
    g_autoptr (McuMeeting) meeting =
        node ? mcu_meeting_new_from_json (node, m->id, &local) : NULL;

    if (meeting == NULL) {
      g_warning ("stored meeting %s is unusable (left in the store): %s", m->id,
          local->message);
      continue;
    }
    e = add_entry (self, meeting);
    mcu_scheduler_pick_occurrence (self, e, now);
    if (is_running (e)) /* resumed: the room again, with its PINs */
      mcu_scheduler_open_room (self, e);
  }
  g_message ("scheduler: %u meeting(s)", g_hash_table_size (self->entries));
  mcu_scheduler_run_due (self);
  return g_steal_pointer (&self);
}

/* The occupied span of an occurrence: early join to the end of grace. */
static void
span (McuMeeting *m, gint64 start, gint64 end, gint64 *from, gint64 *to)
{
  *from = start - mcu_meeting_get_early_join (m);
  *to = end + mcu_meeting_get_grace (m);
}

static gboolean
conflict_error (McuMeeting *other, gint64 start, gint64 end, GError **error)
{
  g_autofree gchar *s = mcu_scheduler_format_time (start);
  g_autofree gchar *t = mcu_scheduler_format_time (end);

  g_set_error (error, MCU_SCHEDULER_ERROR, MCU_SCHEDULER_ERROR_CONFLICT,
      "room %s is booked by meeting %s (\"%s\") from %s to %s",
      mcu_meeting_get_room (other), mcu_meeting_get_id (other),
      mcu_meeting_get_subject (other), s, t);
  return FALSE;
}

/* Whether an occurrence of @m (other than the one at @skip) overlaps
 * [@from, @to), in occupied spans. */
static gboolean
span_clashes (
    McuMeeting *m, gint64 from, gint64 to, gint64 skip, McuOccurrence *clash)
{
  g_autoptr (GArray) occ = mcu_meeting_occurrences (m,
      from - mcu_meeting_get_grace (m), to + mcu_meeting_get_early_join (m), 0);

  for (guint i = 0; i < occ->len; i++) {
    McuOccurrence *o = &g_array_index (occ, McuOccurrence, i);
    gint64 a, b;

    span (m, o->start, o->end, &a, &b);
    if (o->start != skip && a < to && b > from) {
      *clash = *o;
      return TRUE;
    }
  }
  return FALSE;
}

/* @meeting against every other booking of its room (and their running,
 * possibly extended, occurrences). */
static gboolean
check_conflicts (McuScheduler *self, McuMeeting *meeting, GError **error)
{
  GHashTableIter iter;
  gpointer value;
  gint64 now = now_of (self);

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Entry *e = value;
    McuOccurrence clash;
    gint64 a, b;

    if (g_str_equal (
            mcu_meeting_get_id (e->meeting), mcu_meeting_get_id (meeting)) ||
        g_strcmp0 (mcu_meeting_get_room (e->meeting),
            mcu_meeting_get_room (meeting)) != 0)
      continue;
    if (mcu_meeting_conflicts (meeting, e->meeting, now - G_TIME_SPAN_DAY,
            now + CONFLICT_HORIZON, &clash))
      return conflict_error (e->meeting, clash.start, clash.end, error);
    if (e->has_occurrence && e->phase != MCU_MEETING_PHASE_WAITING) {
      span (e->meeting, e->occurrence.start, e->end, &a, &b);
      if (span_clashes (meeting, a, b, G_MININT64, &clash))
        return conflict_error (e->meeting, e->occurrence.start, e->end, error);
    }
  }
  return TRUE;
}

static gboolean
store_meeting (McuScheduler *self, McuMeeting *meeting, GError **error)
{
  g_autoptr (JsonNode) node = mcu_meeting_to_json (meeting);
  g_autofree gchar *json = json_to_string (node, FALSE);

  if (!mcu_store_save_meeting (
          self->store, mcu_meeting_get_id (meeting), json, error)) {
    g_prefix_error (error, "saving meeting %s: ", mcu_meeting_get_id (meeting));
    if (error && *error) {
      (*error)->code =
          g_error_matches (*error, MCU_STORE_ERROR, MCU_STORE_ERROR_UNAVAILABLE)
              ? MCU_SCHEDULER_ERROR_UNAVAILABLE
              : MCU_SCHEDULER_ERROR_STORE;
      (*error)->domain = MCU_SCHEDULER_ERROR;
    }
    return FALSE;
  }
  return TRUE;
}

gboolean
mcu_scheduler_add (McuScheduler *self, McuMeeting *meeting, GError **error)
{
  g_return_val_if_fail (MCU_IS_SCHEDULER (self), FALSE);
  if (g_hash_table_contains (self->entries, mcu_meeting_get_id (meeting))) {
    g_set_error (error, MCU_SCHEDULER_ERROR, MCU_SCHEDULER_ERROR_CONFLICT,
        "meeting %s exists", mcu_meeting_get_id (meeting));
    return FALSE;
  }
  if (!check_conflicts (self, meeting, error) ||
      !store_meeting (self, meeting, error))
    return FALSE;
  mcu_scheduler_pick_occurrence (
      self, add_entry (self, meeting), now_of (self));
  g_message ("meeting %s \"%s\" booked in room %s",
      mcu_meeting_get_id (meeting), mcu_meeting_get_subject (meeting),
      mcu_meeting_get_room (meeting));
  mcu_scheduler_run_due (self);
  return TRUE;
}

static Entry *
find_entry (McuScheduler *self, const gchar *id, GError **error)
{
  Entry *e = g_hash_table_lookup (self->entries, id);

  if (e == NULL)
    g_set_error (error, MCU_SCHEDULER_ERROR, MCU_SCHEDULER_ERROR_NOT_FOUND,
        "no meeting %s", id);
  return e;
}

static gboolean
is_running (Entry *e)
{
  return e->has_occurrence && e->phase != MCU_MEETING_PHASE_WAITING &&
         e->phase != MCU_MEETING_PHASE_CLOSED;
}

void
mcu_scheduler_reload_meeting (McuScheduler *self, const gchar *id)
{
  g_autofree gchar *json = mcu_store_lookup_meeting (self->store, id, NULL);
  g_autoptr (JsonNode) node = json ? json_from_string (json, NULL) : NULL;
  g_autoptr (McuMeeting) meeting =
      node ? mcu_meeting_new_from_json (node, id, NULL) : NULL;
  Entry *e = g_hash_table_lookup (self->entries, id);

  if (e != NULL && is_running (e))
    mcu_scheduler_step_close (
        self, e, meeting ? "changed" : "cancelled", now_of (self));
  if (e != NULL)
    g_hash_table_remove (self->entries, id);
  if (meeting != NULL) { /* as at start-up: resumes a running occurrence */
    e = add_entry (self, meeting);
    mcu_scheduler_pick_occurrence (self, e, now_of (self));
    if (is_running (e))
      mcu_scheduler_open_room (self, e);
  }
  mcu_scheduler_run_due (self);
}

gboolean
mcu_scheduler_room_is_running (McuScheduler *self, const gchar *room)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (is_running (value) &&
        g_strcmp0 (mcu_meeting_get_room (((Entry *)value)->meeting), room) == 0)
      return TRUE;
  return FALSE;
}

gboolean
mcu_scheduler_replace (McuScheduler *self, McuMeeting *meeting, GError **error)
{
  Entry *e = find_entry (self, mcu_meeting_get_id (meeting), error);
  gboolean moved;

  if (e == NULL || !check_conflicts (self, meeting, error) ||
      !store_meeting (self, meeting, error))
    return FALSE;
  moved = g_strcmp0 (mcu_meeting_get_room (meeting),
              mcu_meeting_get_room (e->meeting)) != 0;
  if (moved && is_running (e))
    mcu_scheduler_step_close (self, e, "moved", now_of (self));
  /* the key points into the meeting: re-key */
  g_hash_table_steal (self->entries, mcu_meeting_get_id (meeting));
  g_object_unref (e->meeting);
  e->meeting = g_object_ref (meeting);
  g_hash_table_insert (
      self->entries, (gpointer)mcu_meeting_get_id (meeting), e);
  if (is_running (e)) {
    mcu_scheduler_sync_attendees (e);
    mcu_scheduler_open_room (self, e);
    mcu_scheduler_save (self, e, NULL);
  } else {
    mcu_scheduler_pick_occurrence (self, e, now_of (self));
  }
  mcu_scheduler_run_due (self);
  return TRUE;
}

gboolean
mcu_scheduler_remove (McuScheduler *self, const gchar *id, GError **error)
{
  Entry *e = find_entry (self, id, error);
  g_autofree gchar *key = g_strdup (id);

  if (e == NULL)
    return FALSE;
  if (is_running (e))
    mcu_scheduler_step_close (self, e, "cancelled", now_of (self));
  if (!mcu_store_delete_meeting (self->store, key, error)) {
    if (error && *error && (*error)->domain == MCU_STORE_ERROR) {
      (*error)->code = (*error)->code == MCU_STORE_ERROR_UNAVAILABLE
                           ? MCU_SCHEDULER_ERROR_UNAVAILABLE
                           : MCU_SCHEDULER_ERROR_STORE;
      (*error)->domain = MCU_SCHEDULER_ERROR;
    }
    return FALSE;
  }
  g_hash_table_remove (self->entries, key);
  mcu_scheduler_run_due (self);
  return TRUE;
}

gboolean
mcu_scheduler_cancel_occurrence (
    McuScheduler *self, const gchar *id, gint64 start, GError **error)
{
  Entry *e = find_entry (self, id, error);
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (McuMeeting) copy = NULL;

  if (e == NULL)
    return FALSE;
  /* cancel on a copy, so that a store failure changes nothing */
  node = mcu_meeting_to_json (e->meeting);
  copy = mcu_meeting_new_from_json (node, id, error);
  if (copy == NULL)
    return FALSE;
  if (!mcu_meeting_cancel_occurrence (copy, start)) {
    g_autofree gchar *t = mcu_scheduler_format_time (start);

    g_set_error (error, MCU_SCHEDULER_ERROR, MCU_SCHEDULER_ERROR_NOT_FOUND,
        "meeting %s has no occurrence starting at %s", id, t);
    return FALSE;
  }
  if (!store_meeting (self, copy, error))
    return FALSE;
  if (is_running (e) && e->occurrence.start == start)
    mcu_scheduler_step_close (self, e, "cancelled", now_of (self));
  g_hash_table_steal (self->entries, id);
  g_object_unref (e->meeting);
  e->meeting = g_object_ref (copy);
  g_hash_table_insert (self->entries, (gpointer)mcu_meeting_get_id (copy), e);
  if (!is_running (e))
    mcu_scheduler_pick_occurrence (self, e, now_of (self));
  mcu_scheduler_run_due (self);
  return TRUE;
}

gboolean
mcu_scheduler_extend (
    McuScheduler *self, const gchar *id, gint64 delta, GError **error)
{
  Entry *e = find_entry (self, id, error);
  GHashTableIter iter;
  gpointer value;
  gint64 a, b, now = now_of (self);
  guint n;
  const gint64 *w;
  g_autofree gchar *fields = NULL;
  g_autofree gchar *end = NULL;

  if (e == NULL)
    return FALSE;
  if (delta <= 0) {
    g_set_error (error, MCU_SCHEDULER_ERROR, MCU_SCHEDULER_ERROR_INVALID,
        "an extension must be longer than zero");
    return FALSE;
  }
  if (!is_running (e)) {
    g_set_error (error, MCU_SCHEDULER_ERROR, MCU_SCHEDULER_ERROR_STATE,
        "meeting %s is not running", id);
    return FALSE;
  }
  span (e->meeting, e->occurrence.start, MAX (e->end, now) + delta, &a, &b);
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Entry *o = value;
    McuOccurrence clash;

    if (g_strcmp0 (mcu_meeting_get_room (o->meeting),
            mcu_meeting_get_room (e->meeting)) == 0 &&
        span_clashes (o->meeting, a, b,
            o == e ? e->occurrence.start : G_MININT64, &clash))
      return conflict_error (o->meeting, clash.start, clash.end, error);
  }
  e->end = MAX (e->end, now) + delta;
  w = mcu_meeting_get_warnings (e->meeting, &n);
  e->warnings_done = 0;
  while (e->warnings_done < n && now >= e->end - w[e->warnings_done])
    e->warnings_done++;
  if (e->phase == MCU_MEETING_PHASE_ENDING)
    e->phase = MCU_MEETING_PHASE_STARTED;
  mcu_scheduler_save (self, e, NULL);
  self->counters.extended++;
  end = mcu_scheduler_format_time (e->end);
  fields = g_strdup_printf ("\"extended_by_seconds\":%" G_GINT64_FORMAT
                            ",\"new_end\":\"%s\"",
      delta / G_USEC_PER_SEC, end);
  mcu_scheduler_emit (self, e, "meeting-extended", fields);
  g_message ("meeting %s extended to %s", id, end);
  mcu_scheduler_run_due (self);
  return TRUE;
}

gboolean
mcu_scheduler_redial (McuScheduler *self, const gchar *id,
    const gchar *attendee_id, GError **error)
{
  Entry *e = find_entry (self, id, error);
  AttendeeRun *run;

  if (e == NULL)
    return FALSE;
  if (!is_running (e)) {
    g_set_error (error, MCU_SCHEDULER_ERROR, MCU_SCHEDULER_ERROR_STATE,
        "meeting %s is not running", id);
    return FALSE;
  }
  run = mcu_scheduler_find_run (e, attendee_id);
  if (run == NULL) {
    g_set_error (error, MCU_SCHEDULER_ERROR, MCU_SCHEDULER_ERROR_NOT_FOUND,
        "meeting %s has no attendee %s", id, attendee_id);
    return FALSE;
  }
  if (run->state == ATTENDEE_DIALING) {
    g_set_error (error, MCU_SCHEDULER_ERROR, MCU_SCHEDULER_ERROR_STATE,
        "attendee %s is being dialled", attendee_id);
    return FALSE;
  }
  run->tries = 0; /* a fresh set of tries */
  mcu_scheduler_dial_run (self, e, run, now_of (self));
  if (run->state == ATTENDEE_JOINED) {
    g_set_error (error, MCU_SCHEDULER_ERROR, MCU_SCHEDULER_ERROR_STATE,
        "attendee %s is in the room", attendee_id);
    return FALSE;
  }
  arm (self);
  return TRUE;
}

McuMeeting *
mcu_scheduler_lookup (McuScheduler *self, const gchar *id)
{
  Entry *e = g_hash_table_lookup (self->entries, id);

  return e ? e->meeting : NULL;
}

static gint
compare_id (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (mcu_meeting_get_id (*(McuMeeting **)a),
      mcu_meeting_get_id (*(McuMeeting **)b));
}

GPtrArray *
mcu_scheduler_list (McuScheduler *self)
{
  GPtrArray *out = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (out, ((Entry *)value)->meeting);
  g_ptr_array_sort (out, compare_id);
  return out;
}

gboolean
mcu_scheduler_room_is_open (McuScheduler *self, const gchar *room,
    McuMeeting **meeting, McuOccurrence *next)
{
  GHashTableIter iter;
  gpointer value;
  gboolean booked = FALSE;
  gint64 first = G_MAXINT64;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Entry *e = value;
    gint64 at;

    if (!e->has_occurrence ||
        g_strcmp0 (mcu_meeting_get_room (e->meeting), room) != 0)
      continue;
    if (is_running (e))
      return TRUE;
    at = e->occurrence.start - mcu_meeting_get_early_join (e->meeting);
    if (at < first) {
      first = at;
      *meeting = e->meeting;
      *next = e->occurrence;
    }
    booked = TRUE;
  }
  return !booked;
}

/* The entry and attendee of a dial id. */
static Entry *
find_dial (McuScheduler *self, const gchar *dial_id, AttendeeRun **out)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Entry *e = value;

    for (guint i = 0; i < e->attendees->len; i++) {
      AttendeeRun *run = g_ptr_array_index (e->attendees, i);

      if (g_strcmp0 (run->dial_id, dial_id) == 0) {
        *out = run;
        return e;
      }
    }
  }
  return NULL;
}

void
mcu_scheduler_dial_answered (McuScheduler *self, const gchar *dial_id)
{
  AttendeeRun *run = NULL;
  Entry *e = find_dial (self, dial_id, &run);
  const McuAttendee *a;
  g_autofree gchar *fields = NULL;

  if (e == NULL)
    return;
  a = mcu_scheduler_attendee_of (e, run);
  g_clear_pointer (&run->dial_id, g_free);
  run->state = ATTENDEE_ANSWERED;
  run->status = 200;
  mcu_scheduler_save (self, e, NULL);
  self->counters.answered++;
  if (a) {
    fields = mcu_scheduler_attendee_fields (a, run);
    mcu_scheduler_emit (self, e, "attendee-answered", fields);
  }
  arm (self);
}

void
mcu_scheduler_dial_failed (
    McuScheduler *self, const gchar *dial_id, guint status, const gchar *phrase)
{
  AttendeeRun *run = NULL;
  Entry *e = find_dial (self, dial_id, &run);

  if (e == NULL)
    return;
  mcu_scheduler_attendee_failed (self, e, run, status, phrase, now_of (self));
  arm (self);
}

const McuSchedulerCounters *
mcu_scheduler_get_counters (McuScheduler *self)
{
  return &self->counters;
}
