/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for McuScheduler's timeline with an injected clock and fake
 * ops (no daemon, no network), on a real SQLite store in a temporary
 * directory: open, start (dials, one attendee already in the room), busy
 * retries, warnings, extend (and the warnings again), end, grace, close;
 * the timer's next due time at every step; a restart (a new scheduler on
 * the same store, the old one dropped without closing anything: kill -9)
 * in the middle of each phase; conflicts on create and on extend; the
 * admission gate; cancelling one occurrence; a weekly meeting going on to
 * its next occurrence and never replaying one that ended. */
#include "mcu-scheduler.h"

#include <glib/gstdio.h>
#include <string.h>

#define SECOND ((gint64)G_USEC_PER_SEC)
#define MINUTE ((gint64)60 * G_USEC_PER_SEC)

typedef struct
{
  gchar *dir;
  gchar *path;
  McuStore *store;
  McuScheduler *scheduler;
  gint64 now;
  GPtrArray *actions; /* "open 4242", "dial alice", "close 4242", ... */
  GPtrArray *events;  /* "type {fields}" */
  GPtrArray *in_room; /* URIs that are in the room */
  guint next_dial;
  gint64 t0; /* the booked start */
} Fixture;

static gint64
fake_now (gpointer data)
{
  return ((Fixture *)data)->now;
}

static gboolean
fake_open_room (gpointer data, McuMeeting *meeting, GError **error)
{
  Fixture *f = data;

  g_ptr_array_add (f->actions,
      g_strdup_printf ("open %s pin=%s", mcu_meeting_get_room (meeting),
          mcu_meeting_get_pin (meeting)));
  return TRUE;
}

static void
fake_close_room (gpointer data, const gchar *room)
{
  g_ptr_array_add (
      ((Fixture *)data)->actions, g_strdup_printf ("close %s", room));
}

static gchar *
fake_dial (gpointer data, McuMeeting *meeting, const McuAttendee *attendee,
    GError **error)
{
  Fixture *f = data;

  g_ptr_array_add (f->actions, g_strdup_printf ("dial %s", attendee->uri));
  return g_strdup_printf ("d%u-%s", ++f->next_dial, attendee->id);
}

static void
fake_cancel_dial (gpointer data, const gchar *dial_id)
{
  g_ptr_array_add (
      ((Fixture *)data)->actions, g_strdup_printf ("cancel %s", dial_id));
}

static gboolean
fake_in_room (gpointer data, const gchar *room, const gchar *uri)
{
  Fixture *f = data;

  for (guint i = 0; i < f->in_room->len; i++)
    if (g_str_equal (g_ptr_array_index (f->in_room, i), uri))
      return TRUE;
  return FALSE;
}

static void
fake_event (
    gpointer data, const gchar *type, const gchar *room, const gchar *fields)
{
  g_ptr_array_add (
      ((Fixture *)data)->events, g_strdup_printf ("%s {%s}", type, fields));
}

static const McuSchedulerOps fake_ops = {
  .now = fake_now,
  .open_room = fake_open_room,
  .close_room = fake_close_room,
  .dial = fake_dial,
  .cancel_dial = fake_cancel_dial,
  .in_room = fake_in_room,
  .event = fake_event,
};

static void
start_scheduler (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  f->scheduler = mcu_scheduler_new (f->store, &fake_ops, f, &error);
  g_assert_no_error (error);
}

/* What kill -9 leaves: the store, nothing closed. */
static void
crash_and_restart (Fixture *f)
{
  g_clear_object (&f->scheduler);
  mcu_store_close (f->store);
  g_clear_object (&f->store);
  g_ptr_array_set_size (f->actions, 0);
  g_ptr_array_set_size (f->events, 0);
  f->store = mcu_store_open (f->path, NULL);
  g_assert_nonnull (f->store);
  start_scheduler (f);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDateTime) t0 =
      g_date_time_new_from_iso8601 ("2026-12-07T09:00:00+01:00", NULL);

  f->dir = g_dir_make_tmp ("mcu-scheduler-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "mcu.db", NULL);
  f->store = mcu_store_open (f->path, &error);
  g_assert_no_error (error);
  f->actions = g_ptr_array_new_with_free_func (g_free);
  f->events = g_ptr_array_new_with_free_func (g_free);
  f->in_room = g_ptr_array_new ();
  f->t0 = g_date_time_to_unix (t0) * SECOND;
  f->now = f->t0 - 60 * MINUTE;
  start_scheduler (f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->scheduler);
  mcu_store_close (f->store);
  g_clear_object (&f->store);
  g_ptr_array_unref (f->actions);
  g_ptr_array_unref (f->events);
  g_ptr_array_unref (f->in_room);
  for (const gchar *const *s =
           (const gchar *const[]){ "mcu.db", "mcu.db-wal", "mcu.db-shm", NULL };
       *s; s++) {
    g_autofree gchar *p = g_build_filename (f->dir, *s, NULL);

    g_unlink (p);
  }
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static McuMeeting *
meeting_from (const gchar *json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = json_from_string (json, &error);
  McuMeeting *m;

  g_assert_no_error (error);
  m = mcu_meeting_new_from_json (node, NULL, &error);
  g_assert_no_error (error);
  return m;
}

/* 09:00 Europe/Berlin, 30 minutes, open 5 minutes early, 2 minutes of
 * grace, warnings 5 and 1 minutes before the end, 2 retries a minute
 * apart; alice and bob are dialled, carol only invited. */
static const gchar *const weekly_sync =
    "{\"subject\": \"Weekly sync\", \"room\": \"4242\","
    " \"start\": \"2026-12-07T09:00:00+01:00\", \"timezone\": "
    "\"Europe/Berlin\","
    " \"duration\": \"PT30M\", \"early_join\": \"PT5M\", \"grace\": \"PT2M\","
    " \"warnings\": [\"PT5M\", \"PT1M\"], \"dial_retries\": 2,"
    " \"dial_retry_interval\": \"PT60S\", \"pin\": \"1234\","
    " \"moderator_pin\": \"9999\", \"attendees\": ["
    "  {\"uri\": \"alice\", \"auto_dial\": true},"
    "  {\"uri\": \"sip:bob@pbx.example.com\", \"auto_dial\": true},"
    "  {\"uri\": \"sip:carol@example.com\", \"auto_dial\": false}]}";

static McuMeeting *
add (Fixture *f, const gchar *json)
{
  g_autoptr (McuMeeting) m = meeting_from (json);
  g_autoptr (GError) error = NULL;

  g_assert_true (mcu_scheduler_add (f->scheduler, m, &error));
  g_assert_no_error (error);
  return mcu_scheduler_lookup (f->scheduler, mcu_meeting_get_id (m));
}

/* Moves the clock to @t and runs what is due. */
static void
at (Fixture *f, gint64 t)
{
  f->now = t;
  mcu_scheduler_run_due (f->scheduler);
}

static gboolean
has (GPtrArray *list, const gchar *prefix)
{
  for (guint i = 0; i < list->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (list, i), prefix))
      return TRUE;
  return FALSE;
}

static guint
count (GPtrArray *list, const gchar *prefix)
{
  guint n = 0;

  for (guint i = 0; i < list->len; i++)
    n += g_str_has_prefix (g_ptr_array_index (list, i), prefix);
  return n;
}

static void
clear (Fixture *f)
{
  g_ptr_array_set_size (f->actions, 0);
  g_ptr_array_set_size (f->events, 0);
}

/* The dial id of the last "dial" of @attendee_id (ids are dN-ATTENDEE). */
static gchar *
dial_id (Fixture *f, const gchar *attendee_id)
{
  return g_strdup_printf ("d%u-%s", f->next_dial, attendee_id);
}

static const gchar *
phase_of (Fixture *f, McuMeeting *m)
{
  static gchar phase[32];
  g_autoptr (JsonNode) node = mcu_scheduler_meeting_to_json (f->scheduler, m);
  JsonObject *state =
      json_object_get_object_member (json_node_get_object (node), "state");

  g_strlcpy (
      phase, json_object_get_string_member (state, "phase"), sizeof phase);
  return phase;
}

static void
test_timeline (Fixture *f, gconstpointer data)
{
  McuMeeting *m = add (f, weekly_sync);
  g_autofree gchar *bob = NULL;
  g_autoptr (GError) error = NULL;
  gint64 end = f->t0 + 30 * MINUTE;

  /* one timer, for the opening */
  g_assert_cmpint (
      mcu_scheduler_get_next_due (f->scheduler), ==, f->t0 - 5 * MINUTE);
  g_assert_cmpuint (f->actions->len, ==, 0);
  at (f, f->t0 - 5 * MINUTE - 1);
  g_assert_cmpuint (f->actions->len, ==, 0);
  g_assert_cmpstr (phase_of (f, m), ==, "waiting");

  /* open: the room with the PIN, nobody dialled yet */
  at (f, f->t0 - 5 * MINUTE);
  g_assert_cmpuint (f->actions->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->actions, 0), ==, "open 4242 pin=1234");
  g_assert_true (has (f->events, "meeting-opened"));
  g_assert_cmpint (mcu_scheduler_get_next_due (f->scheduler), ==, f->t0);

  /* start: alice and bob ring, carol (no auto-dial) does not */
  clear (f);
  at (f, f->t0);
  g_assert_true (has (f->events, "meeting-started"));
  g_assert_true (has (f->actions, "dial alice"));
  g_assert_true (has (f->actions, "dial sip:bob@pbx.example.com"));
  g_assert_false (has (f->actions, "dial sip:carol"));
  g_assert_cmpuint (count (f->events, "attendee-dialing"), ==, 2);
  mcu_scheduler_dial_answered (f->scheduler, "d1-a1");
  g_assert_true (has (f->events, "attendee-answered"));

  /* bob is busy: retried a minute later, twice, then given up */
  bob = dial_id (f, "a2");
  mcu_scheduler_dial_failed (f->scheduler, bob, 486, "Busy Here");
  g_assert_true (has (f->events, "attendee-failed"));
  g_assert_nonnull (strstr (
      g_ptr_array_index (f->events, f->events->len - 1), "\"status\":486"));
  g_assert_cmpint (
      mcu_scheduler_get_next_due (f->scheduler), ==, f->t0 + MINUTE);
  clear (f);
  at (f, f->t0 + MINUTE - SECOND);
  g_assert_cmpuint (f->actions->len, ==, 0);
  at (f, f->t0 + MINUTE);
  g_assert_cmpuint (count (f->actions, "dial sip:bob"), ==, 1);
  g_free (bob);
  bob = dial_id (f, "a2");
  mcu_scheduler_dial_failed (f->scheduler, bob, 486, "Busy Here");
  at (f, f->t0 + 2 * MINUTE);
  g_assert_cmpuint (count (f->actions, "dial sip:bob"), ==, 2);
  g_free (bob);
  bob = dial_id (f, "a2");
  mcu_scheduler_dial_failed (f->scheduler, bob, 480, "Temporarily Unavailable");
  g_assert_nonnull (strstr (
      g_ptr_array_index (f->events, f->events->len - 1), "\"retry\":false"));
  /* a stale outcome (an id we do not know) changes nothing */
  mcu_scheduler_dial_failed (f->scheduler, "nobody", 486, "Busy Here");
  g_assert_cmpint (
      mcu_scheduler_get_next_due (f->scheduler), ==, end - 5 * MINUTE);

  /* the moderator re-dials bob; now he answers */
  clear (f);
  g_assert_true (mcu_scheduler_redial (
      f->scheduler, mcu_meeting_get_id (m), "a2", &error));
  g_assert_no_error (error);
  g_assert_true (has (f->actions, "dial sip:bob"));
  g_free (bob);
  bob = dial_id (f, "a2");
  mcu_scheduler_dial_answered (f->scheduler, bob);

  /* warnings: 5 and 1 minutes before the end */
  clear (f);
  at (f, end - 5 * MINUTE);
  g_assert_cmpuint (count (f->events, "meeting-ending"), ==, 1);
  g_assert_nonnull (
      strstr (g_ptr_array_index (f->events, 0), "\"minutes_left\":5"));
  g_assert_cmpint (mcu_scheduler_get_next_due (f->scheduler), ==, end - MINUTE);
  at (f, end - MINUTE);
  g_assert_cmpuint (count (f->events, "meeting-ending"), ==, 2);

  /* extend by 10 minutes: the warnings come again before the new end */
  clear (f);
  g_assert_true (mcu_scheduler_extend (
      f->scheduler, mcu_meeting_get_id (m), 10 * MINUTE, &error));
  g_assert_no_error (error);
  g_assert_true (has (f->events, "meeting-extended"));
  end += 10 * MINUTE;
  g_assert_cmpint (
      mcu_scheduler_get_next_due (f->scheduler), ==, end - 5 * MINUTE);
  at (f, end - 5 * MINUTE);
  g_assert_cmpuint (count (f->events, "meeting-ending"), ==, 1);
  at (f, end - MINUTE);

  /* the end: nothing closes inside the grace; then BYE and closed */
  clear (f);
  at (f, end);
  g_assert_cmpstr (phase_of (f, m), ==, "ending");
  g_assert_false (has (f->actions, "close"));
  g_assert_cmpint (
      mcu_scheduler_get_next_due (f->scheduler), ==, end + 2 * MINUTE);
  at (f, end + 2 * MINUTE);
  g_assert_true (has (f->actions, "close 4242"));
  g_assert_true (has (f->events, "meeting-closed"));
  /* one occurrence only: nothing more to do */
  g_assert_cmpint (mcu_scheduler_get_next_due (f->scheduler), ==, G_MAXINT64);

  /* a restart after the end never replays it */
  crash_and_restart (f);
  at (f, end + 3 * MINUTE);
  g_assert_cmpuint (f->actions->len, ==, 0);
  g_assert_cmpuint (f->events->len, ==, 0);
}

/* Already in the room by themselves: not rung. */
static void
test_joined_not_rung (Fixture *f, gconstpointer data)
{
  add (f, weekly_sync);
  g_ptr_array_add (f->in_room, "alice");
  at (f, f->t0 - 5 * MINUTE);
  at (f, f->t0);
  g_assert_false (has (f->actions, "dial alice"));
  g_assert_true (has (f->actions, "dial sip:bob"));
}

/* Came in by themselves while waiting for a retry: not rung again. */
static void
test_joined_during_retry (Fixture *f, gconstpointer data)
{
  g_autofree gchar *bob = NULL;

  add (f, weekly_sync);
  at (f, f->t0 - 5 * MINUTE);
  at (f, f->t0);
  bob = dial_id (f, "a2");
  mcu_scheduler_dial_failed (f->scheduler, bob, 486, "Busy Here");
  g_ptr_array_add (f->in_room, "sip:bob@pbx.example.com");
  clear (f);
  at (f, f->t0 + MINUTE);
  g_assert_false (has (f->actions, "dial sip:bob"));
  /* nothing more for bob: the next thing due is the first warning */
  g_assert_cmpint (
      mcu_scheduler_get_next_due (f->scheduler), ==, f->t0 + 25 * MINUTE);
}

/* The wall clock steps: forward over the opening and the start (one wake
 * does both, in order), then back an hour (nothing is undone or redone). */
static void
test_clock_jumps (Fixture *f, gconstpointer data)
{
  add (f, weekly_sync);
  at (f, f->t0 + 2 * MINUTE);
  g_assert_cmpuint (count (f->actions, "open 4242"), ==, 1);
  g_assert_cmpuint (count (f->actions, "dial "), ==, 2);
  g_assert_true (has (f->events, "meeting-opened"));
  g_assert_true (has (f->events, "meeting-started"));
  clear (f);
  at (f, f->t0 - 60 * MINUTE);
  g_assert_cmpuint (f->actions->len, ==, 0);
  g_assert_cmpuint (f->events->len, ==, 0);
  /* still due at the first warning, by the wall clock */
  g_assert_cmpint (
      mcu_scheduler_get_next_due (f->scheduler), ==, f->t0 + 25 * MINUTE);
}

/* A restart in each phase: the room is opened again with its PIN, the
 * attendees not reached yet are dialled, what was done is not redone. */
static void
test_restart_open (Fixture *f, gconstpointer data)
{
  McuMeeting *m = add (f, weekly_sync);
  g_autofree gchar *id = g_strdup (mcu_meeting_get_id (m));

  at (f, f->t0 - 4 * MINUTE);
  crash_and_restart (f);
  g_assert_cmpuint (f->actions->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->actions, 0), ==, "open 4242 pin=1234");
  g_assert_false (has (f->events, "meeting-opened")); /* not again */
  g_assert_cmpint (mcu_scheduler_get_next_due (f->scheduler), ==, f->t0);
  at (f, f->t0);
  g_assert_cmpuint (count (f->actions, "dial "), ==, 2);
  g_assert_cmpstr (
      phase_of (f, mcu_scheduler_lookup (f->scheduler, id)), ==, "started");
}

static void
test_restart_started (Fixture *f, gconstpointer data)
{
  g_autofree gchar *bob = NULL;

  add (f, weekly_sync);
  at (f, f->t0 - 5 * MINUTE);
  at (f, f->t0);
  mcu_scheduler_dial_answered (f->scheduler, "d1-a1");
  bob = dial_id (f, "a2");
  mcu_scheduler_dial_failed (f->scheduler, bob, 486, "Busy Here");
  /* killed while bob waits for his retry */
  f->now = f->t0 + 30 * SECOND;
  crash_and_restart (f);
  g_assert_true (has (f->actions, "open 4242 pin=1234"));
  g_assert_false (has (f->actions, "dial alice"));   /* answered: not again */
  g_assert_false (has (f->actions, "dial sip:bob")); /* waits its minute */
  g_assert_cmpint (
      mcu_scheduler_get_next_due (f->scheduler), ==, f->t0 + MINUTE);
  at (f, f->t0 + MINUTE);
  g_assert_cmpuint (count (f->actions, "dial sip:bob"), ==, 1);
  /* killed while bob rings: dialled again at once after the restart */
  f->now = f->t0 + MINUTE + 5 * SECOND;
  crash_and_restart (f);
  g_assert_cmpuint (count (f->actions, "dial sip:bob"), ==, 1);
  g_assert_false (has (f->actions, "dial alice"));
  /* the warnings that were not given yet still come */
  at (f, f->t0 + 25 * MINUTE);
  g_assert_cmpuint (count (f->events, "meeting-ending"), ==, 1);
}

static void
test_restart_extended (Fixture *f, gconstpointer data)
{
  McuMeeting *m = add (f, weekly_sync);
  g_autofree gchar *id = g_strdup (mcu_meeting_get_id (m));
  gint64 end = f->t0 + 40 * MINUTE;

  at (f, f->t0 - 5 * MINUTE);
  at (f, f->t0);
  at (f, f->t0 + 25 * MINUTE);
  g_assert_true (mcu_scheduler_extend (f->scheduler, id, 10 * MINUTE, NULL));
  /* killed after the booked end, inside the extension */
  f->now = f->t0 + 32 * MINUTE;
  crash_and_restart (f);
  g_assert_true (has (f->actions, "open 4242"));
  g_assert_false (has (f->actions, "close"));
  g_assert_cmpint (
      mcu_scheduler_get_next_due (f->scheduler), ==, end - 5 * MINUTE);
  at (f, end);
  at (f, end + 2 * MINUTE);
  g_assert_true (has (f->actions, "close 4242"));
}

static void
test_restart_ending (Fixture *f, gconstpointer data)
{
  gint64 end = f->t0 + 30 * MINUTE;

  add (f, weekly_sync);
  at (f, f->t0 - 5 * MINUTE);
  at (f, f->t0);
  at (f, end + MINUTE); /* inside the grace */
  crash_and_restart (f);
  g_assert_true (has (f->actions, "open 4242"));
  g_assert_false (has (f->actions, "dial"));
  g_assert_cmpint (
      mcu_scheduler_get_next_due (f->scheduler), ==, end + 2 * MINUTE);
  at (f, end + 2 * MINUTE);
  g_assert_true (has (f->actions, "close 4242"));
}

/* Down across the whole meeting: it is not played late. */
static void
test_restart_missed (Fixture *f, gconstpointer data)
{
  add (f, weekly_sync);
  at (f, f->t0 - 5 * MINUTE);
  at (f, f->t0);
  f->now = f->t0 + 3 * 60 * MINUTE;
  crash_and_restart (f);
  g_assert_cmpuint (f->actions->len, ==, 0);
  g_assert_cmpint (mcu_scheduler_get_next_due (f->scheduler), ==, G_MAXINT64);
}

static gchar *
with (const gchar *json, const gchar *member, const gchar *value)
{
  g_autoptr (JsonNode) node = json_from_string (json, NULL);
  g_autoptr (JsonNode) v = json_from_string (value, NULL);

  json_object_set_member (
      json_node_get_object (node), member, json_node_copy (v));
  return json_to_string (node, FALSE);
}

static void
test_conflicts (Fixture *f, gconstpointer data)
{
  McuMeeting *first = add (f, weekly_sync);
  g_autofree gchar *id = g_strdup (mcu_meeting_get_id (first));
  g_autofree gchar *overlap =
      with (weekly_sync, "start", "\"2026-12-07T09:20:00+01:00\"");
  /* 09:30 + 2 min grace, then 5 min early join: 09:37 is the first free */
  g_autofree gchar *tight =
      with (weekly_sync, "start", "\"2026-12-07T09:36:00+01:00\"");
  g_autofree gchar *next =
      with (weekly_sync, "start", "\"2026-12-07T09:37:00+01:00\"");
  g_autofree gchar *other_room = with (overlap, "room", "\"4343\"");
  g_autoptr (McuMeeting) m1 = meeting_from (overlap);
  g_autoptr (McuMeeting) m2 = meeting_from (tight);
  g_autoptr (McuMeeting) m3 = meeting_from (next);
  g_autoptr (McuMeeting) m4 = meeting_from (other_room);
  g_autoptr (GError) error = NULL;

  g_assert_false (mcu_scheduler_add (f->scheduler, m1, &error));
  g_assert_error (error, MCU_SCHEDULER_ERROR, MCU_SCHEDULER_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, id));
  g_assert_nonnull (strstr (error->message, "2026-12-07T08:00:00Z"));
  g_clear_error (&error);
  g_assert_false (mcu_scheduler_add (f->scheduler, m2, &error));
  g_clear_error (&error);
  g_assert_true (mcu_scheduler_add (f->scheduler, m3, &error));
  g_assert_no_error (error);
  g_assert_true (mcu_scheduler_add (f->scheduler, m4, &error));

  /* extending the first into the next booking is refused, the end kept */
  at (f, f->t0 - 5 * MINUTE);
  at (f, f->t0 + 20 * MINUTE);
  g_assert_false (mcu_scheduler_extend (f->scheduler, id, 5 * MINUTE, &error));
  g_assert_error (error, MCU_SCHEDULER_ERROR, MCU_SCHEDULER_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, mcu_meeting_get_id (m3)));
  g_clear_error (&error);
  g_assert_cmpint (
      mcu_scheduler_get_next_due (f->scheduler), ==, f->t0 + 25 * MINUTE);
  /* nor is a meeting that is not running extended */
  g_assert_false (mcu_scheduler_extend (
      f->scheduler, mcu_meeting_get_id (m3), 5 * MINUTE, &error));
  g_assert_error (error, MCU_SCHEDULER_ERROR, MCU_SCHEDULER_ERROR_STATE);
}

static void
test_gate (Fixture *f, gconstpointer data)
{
  McuMeeting *which = NULL;
  McuOccurrence next = { 0 };

  add (f, weekly_sync);
  g_assert_false (
      mcu_scheduler_room_is_open (f->scheduler, "4242", &which, &next));
  g_assert_cmpint (next.start, ==, f->t0);
  g_assert_cmpstr (mcu_meeting_get_subject (which), ==, "Weekly sync");
  g_assert_true (
      mcu_scheduler_room_is_open (f->scheduler, "5000", &which, &next));
  at (f, f->t0 - 5 * MINUTE);
  g_assert_true (
      mcu_scheduler_room_is_open (f->scheduler, "4242", &which, &next));
}

/* Weekly: the next Monday is armed after the close; a cancelled
 * occurrence is skipped; the running one cancelled closes at once. */
static void
test_recurring (Fixture *f, gconstpointer data)
{
  g_autofree gchar *json =
      with (weekly_sync, "rrule", "\"FREQ=WEEKLY;BYDAY=MO\"");
  McuMeeting *m = add (f, json);
  g_autofree gchar *id = g_strdup (mcu_meeting_get_id (m));
  g_autoptr (GError) error = NULL;
  gint64 week = 7 * 24 * 60 * MINUTE;

  at (f, f->t0 - 5 * MINUTE);
  at (f, f->t0);
  at (f, f->t0 + 30 * MINUTE);
  at (f, f->t0 + 32 * MINUTE);
  g_assert_true (has (f->actions, "close 4242"));
  g_assert_cmpint (
      mcu_scheduler_get_next_due (f->scheduler), ==, f->t0 + week - 5 * MINUTE);
  /* the second Monday is cancelled: the third one is next */
  g_assert_true (
      mcu_scheduler_cancel_occurrence (f->scheduler, id, f->t0 + week, &error));
  g_assert_no_error (error);
  g_assert_cmpint (mcu_scheduler_get_next_due (f->scheduler), ==,
      f->t0 + 2 * week - 5 * MINUTE);
  /* ... and it survives a restart */
  crash_and_restart (f);
  g_assert_cmpint (mcu_scheduler_get_next_due (f->scheduler), ==,
      f->t0 + 2 * week - 5 * MINUTE);
  /* the third one runs, and is cancelled while it runs: closed now */
  at (f, f->t0 + 2 * week - 5 * MINUTE);
  clear (f);
  g_assert_true (mcu_scheduler_cancel_occurrence (
      f->scheduler, id, f->t0 + 2 * week, &error));
  g_assert_true (has (f->actions, "close 4242"));
  g_assert_cmpint (mcu_scheduler_get_next_due (f->scheduler), ==,
      f->t0 + 3 * week - 5 * MINUTE);
  /* deleting the meeting: nothing is scheduled any more, even after a
   * restart */
  g_assert_true (mcu_scheduler_remove (f->scheduler, id, &error));
  g_assert_cmpint (mcu_scheduler_get_next_due (f->scheduler), ==, G_MAXINT64);
  crash_and_restart (f);
  g_assert_null (mcu_scheduler_lookup (f->scheduler, id));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) \
  g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/scheduler/timeline", test_timeline);
  ADD ("/scheduler/joined-not-rung", test_joined_not_rung);
  ADD ("/scheduler/joined-during-retry", test_joined_during_retry);
  ADD ("/scheduler/clock-jumps", test_clock_jumps);
  ADD ("/scheduler/restart/open", test_restart_open);
  ADD ("/scheduler/restart/started", test_restart_started);
  ADD ("/scheduler/restart/extended", test_restart_extended);
  ADD ("/scheduler/restart/ending", test_restart_ending);
  ADD ("/scheduler/restart/missed", test_restart_missed);
  ADD ("/scheduler/conflicts", test_conflicts);
  ADD ("/scheduler/gate", test_gate);
  ADD ("/scheduler/recurring", test_recurring);
  return g_test_run ();
}
