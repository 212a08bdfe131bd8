/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a meeting's occurrences. libical expands the RRULE in the
 * meeting's wall-clock time (floating local times, UNTIL converted to the
 * same); GTimeZone turns each local time into UTC, so 09:00 Europe/Berlin
 * stays 09:00 across DST. A local time inside a DST gap takes the offset
 * from before the gap (RFC 5545 3.3.5: 02:30 becomes 03:30); one that
 * happens twice takes the first (daylight) one. RDATEs are merged in,
 * EXDATEs removed. Iteration is capped: no rule can loop for ever. */
#include "mcu-meeting-private.h"

#include <libical/ical.h>

#define MAX_OCCURRENCES 10000
#define MAX_ITERATIONS  200000
#define CHECK_OVERLAP   200 /* occurrences checked against each other */
#define HORIZON_YEARS   100

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static gint64
days_from_civil (gint64 y, guint m, guint d)
{
  gint64 era;
  guint yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (guint)(y - era * 400);
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (gint64)doe - 719468;
}

static gint64
local_to_utc (GTimeZone *tz, const struct icaltimetype *t)
{
  gint64 wall = days_from_civil (t->year, t->month, t->day) * 86400 +
                t->hour * 3600 + t->minute * 60 + t->second;
  gint i = g_time_zone_find_interval (tz, G_TIME_TYPE_DAYLIGHT, wall);

  if (i < 0) /* in a gap: the offset in force before it */
    i = g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, wall - 86400);
  return (wall - g_time_zone_get_offset (tz, i)) * G_TIME_SPAN_SECOND;
}

static struct icaltimetype
utc_to_local (GTimeZone *tz, gint64 us)
{
  g_autoptr (GDateTime) utc =
      g_date_time_new_from_unix_utc (us / G_TIME_SPAN_SECOND);
  g_autoptr (GDateTime) local = g_date_time_to_timezone (utc, tz);
  struct icaltimetype t = icaltime_null_time ();

  t.year = g_date_time_get_year (local);
  t.month = g_date_time_get_month (local);
  t.day = g_date_time_get_day_of_month (local);
  t.hour = g_date_time_get_hour (local);
  t.minute = g_date_time_get_minute (local);
  t.second = g_date_time_get_second (local);
  return t;
}

static gboolean
invalid (GError **error, const gchar *field, const gchar *msg)
{
  g_set_error (error, MCU_MEETING_ERROR, MCU_MEETING_ERROR_INVALID, "%s: %s",
      field, msg);
  return FALSE;
}

/* An iterator over the RRULE in local time, or NULL with @error. Without
 * COUNT, UNTIL is brought down to @horizon (UTC) and to HORIZON_YEARS
 * after the start: a rule that matches rarely or never (BYMONTH=2;
 * BYMONTHDAY=29;BYDAY=MO) has libical scan day by day up to the year
 * 2582 otherwise, some 400 ms each time. */
static icalrecur_iterator *
make_iterator (McuMeeting *self, gint64 horizon, GError **error)
{
  struct icalrecurrencetype rule;
  icalrecur_iterator *it;

  icalerror_clear_errno ();
  rule = icalrecurrencetype_from_string (self->rrule);
  if (rule.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
    g_autofree gchar *msg = g_strdup_printf (
        "\"%s\" is not an RFC 5545 recurrence rule", self->rrule);

    icalerror_clear_errno ();
    invalid (error, "rrule", msg);
    return NULL;
  }
  if (rule.freq == ICAL_SECONDLY_RECURRENCE ||
      rule.freq == ICAL_MINUTELY_RECURRENCE) {
    invalid (error, "rrule", "FREQ=SECONDLY and MINUTELY are not supported");
    return NULL;
  }
  if (rule.rscale != NULL) {
    invalid (error, "rrule", "RSCALE is not supported");
    return NULL;
  }
  if (!icaltime_is_null_time (rule.until)) {
    if (rule.until.is_date) {
      rule.until.is_date = 0;
      rule.until.hour = 23;
      rule.until.minute = 59;
      rule.until.second = 59;
    } else if (icaltime_is_utc (rule.until))
      rule.until = utc_to_local (self->tz,
          (gint64)icaltime_as_timet (rule.until) * G_TIME_SPAN_SECOND);
    rule.until.zone = NULL;
    if (local_to_utc (self->tz, &rule.until) < self->start) {
      invalid (error, "rrule", "UNTIL is before the start");
      return NULL;
    }
  }
  horizon = CLAMP (horizon, self->start,
      self->start + HORIZON_YEARS * 366 * G_TIME_SPAN_DAY);
  if (rule.count == 0) {
    struct icaltimetype limit = utc_to_local (self->tz, horizon);

    if (icaltime_is_null_time (rule.until) ||
        icaltime_compare (limit, rule.until) < 0)
      rule.until = limit;
  }
  it = icalrecur_iterator_new (rule, utc_to_local (self->tz, self->start));
  icalerror_clear_errno ();
  if (it == NULL)
    invalid (error, "rrule", "yields no occurrence");
  return it;
}

/* The occurrence starts in order: the RRULE (or DTSTART alone) merged
 * with the RDATEs, EXDATEs skipped, each start once. */
typedef struct
{
  McuMeeting *meeting;
  icalrecur_iterator *it;
  gint64 next_rule; /* G_MAXINT64: none left */
  guint rdate;      /* next index into rdates */
  guint exdate;     /* next index into exdates */
  gint64 last;
  guint iterations;
} Generator;

static gint64
rule_next (Generator *g)
{
  struct icaltimetype t;

  if (g->it == NULL)
    return G_MAXINT64;
  t = icalrecur_iterator_next (g->it);
  if (icaltime_is_null_time (t) || ++g->iterations > MAX_ITERATIONS) {
    g_clear_pointer (&g->it, icalrecur_iterator_free);
    return G_MAXINT64;
  }
  return local_to_utc (g->meeting->tz, &t);
}

static void
generator_init (Generator *g, McuMeeting *self, gint64 horizon)
{
  g->meeting = self;
  g->it = NULL;
  g->rdate = g->exdate = g->iterations = 0;
  g->last = G_MININT64;
  if (self->rrule == NULL) {
    g->next_rule = self->start;
    return;
  }
  g->it = make_iterator (self, horizon, NULL);
  g->next_rule = rule_next (g);
}

static void
generator_clear (Generator *g)
{
  g_clear_pointer (&g->it, icalrecur_iterator_free);
}

static gboolean
is_exdate (Generator *g, gint64 t)
{
  GArray *ex = g->meeting->exdates;

  while (g->exdate < ex->len && g_array_index (ex, gint64, g->exdate) < t)
    g->exdate++;
  return g->exdate < ex->len && g_array_index (ex, gint64, g->exdate) == t;
}

/* The next occurrence's start; G_MAXINT64 when there is none. */
static gint64
generator_next (Generator *g)
{
  GArray *rd = g->meeting->rdates;

  for (;;) {
    gint64 r = g->next_rule, c;
    gint64 d =
        g->rdate < rd->len ? g_array_index (rd, gint64, g->rdate) : G_MAXINT64;

    if (r == G_MAXINT64 && d == G_MAXINT64)
      return G_MAXINT64;
    if (r <= d) {
      c = r;
      g->next_rule = rule_next (g);
    } else {
      c = d;
      g->rdate++;
    }
    if (c <= g->last || is_exdate (g, c))
      continue;
    g->last = c;
    return c;
  }
}

gboolean
mcu_meeting_recur_check (McuMeeting *self, GError **error)
{
  Generator g;
  gint64 prev = G_MININT64, c;
  guint n = 0;

  if (self->rrule != NULL) {
    icalrecur_iterator *it = make_iterator (self, G_MAXINT64, error);
    struct icaltimetype first;

    if (it == NULL)
      return FALSE;
    first = icalrecur_iterator_next (it);
    icalrecur_iterator_free (it);
    if (icaltime_is_null_time (first))
      return invalid (error, "rrule", "yields no occurrence");
    if (local_to_utc (self->tz, &first) != self->start) {
      g_autofree gchar *start = mcu_meeting_format_time (self, self->start);
      g_autofree gchar *msg =
          g_strdup_printf ("%s is not an occurrence of the rrule \"%s\" in %s",
              start, self->rrule, self->timezone);

      return invalid (error, "start", msg);
    }
  }
  generator_init (&g, self, G_MAXINT64);
  while (n++ < CHECK_OVERLAP && (c = generator_next (&g)) != G_MAXINT64) {
    if (prev != G_MININT64 && c < prev + self->duration) {
      g_autofree gchar *at = mcu_meeting_format_time (self, c);
      g_autofree gchar *msg = g_strdup_printf (
          "longer than the time between two occurrences (one starts "
          "at %s)",
          at);

      generator_clear (&g);
      return invalid (error, "duration", msg);
    }
    prev = c;
  }
  generator_clear (&g);
  return TRUE;
}

GArray *
mcu_meeting_occurrences (McuMeeting *self, gint64 from, gint64 to, guint max)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (McuOccurrence));
  Generator g;
  gint64 c;

  g_return_val_if_fail (MCU_IS_MEETING (self), out);
  if (max == 0 || max > MAX_OCCURRENCES)
    max = MAX_OCCURRENCES;
  generator_init (&g, self, to);
  while (out->len < max && (c = generator_next (&g)) < to) {
    McuOccurrence o = { c, c + self->duration };

    if (o.end > from)
      g_array_append_val (out, o);
  }
  generator_clear (&g);
  return out;
}

gboolean
mcu_meeting_next_occurrence (McuMeeting *self, gint64 now, McuOccurrence *out)
{
  g_autoptr (GArray) occ = NULL;

  g_return_val_if_fail (MCU_IS_MEETING (self), FALSE);
  occ = mcu_meeting_occurrences (self, now, G_MAXINT64, 1);
  if (occ->len == 0)
    return FALSE;
  if (out != NULL)
    *out = g_array_index (occ, McuOccurrence, 0);
  return TRUE;
}

gboolean
mcu_meeting_cancel_occurrence (McuMeeting *self, gint64 start)
{
  g_autoptr (GArray) occ = NULL;
  guint i;

  g_return_val_if_fail (MCU_IS_MEETING (self), FALSE);
  if (start > G_MAXINT64 - 1)
    return FALSE;
  occ = mcu_meeting_occurrences (self, start, start + 1, 4);
  for (i = 0; i < occ->len; i++)
    if (g_array_index (occ, McuOccurrence, i).start == start)
      break;
  if (i == occ->len)
    return FALSE;
  for (i = 0; i < self->exdates->len; i++)
    if (g_array_index (self->exdates, gint64, i) > start)
      break;
  g_array_insert_val (self->exdates, i, start);
  return TRUE;
}

/* @t + @d (@d >= 0), saturating: callers pass G_MAXINT64 for "no end" */
static gint64
add_clamped (gint64 t, gint64 d)
{
  return t > G_MAXINT64 - d ? G_MAXINT64 : t + d;
}

static gint64
sub_clamped (gint64 t, gint64 d)
{
  return t < G_MININT64 + d ? G_MININT64 : t - d;
}

gboolean
mcu_meeting_conflicts (
    McuMeeting *a, McuMeeting *b, gint64 from, gint64 to, McuOccurrence *clash)
{
  g_autoptr (GArray) oa = NULL;
  g_autoptr (GArray) ob = NULL;
  guint i = 0;

  g_return_val_if_fail (MCU_IS_MEETING (a), FALSE);
  g_return_val_if_fail (MCU_IS_MEETING (b), FALSE);
  /* a PATCHed copy never clashes with the meeting it replaces */
  if (g_strcmp0 (a->room, b->room) != 0 || g_strcmp0 (a->id, b->id) == 0)
    return FALSE;
  oa = mcu_meeting_occurrences (
      a, sub_clamped (from, a->grace), add_clamped (to, a->early_join), 0);
  ob = mcu_meeting_occurrences (
      b, sub_clamped (from, b->grace), add_clamped (to, b->early_join), 0);
  for (guint j = 0; j < ob->len; j++) {
    McuOccurrence *y = &g_array_index (ob, McuOccurrence, j);
    gint64 ys = y->start - b->early_join, ye = y->end + b->grace;

    /* a's windows end in order (one duration, one grace) */
    while (i < oa->len &&
           g_array_index (oa, McuOccurrence, i).end + a->grace <= ys)
      i++;
    for (guint k = i; k < oa->len; k++) {
      McuOccurrence *x = &g_array_index (oa, McuOccurrence, k);
      gint64 xs = x->start - a->early_join, xe = x->end + a->grace;
      gint64 lo = MAX (xs, ys), hi = MIN (xe, ye);

      if (xs >= ye)
        break;
      if (lo < hi && lo < to && hi > from) {
        if (clash != NULL)
          *clash = *y;
        return TRUE;
      }
    }
  }
  return FALSE;
}

gboolean
mcu_meeting_busy (
    McuMeeting *self, gint64 from, gint64 to, McuOccurrence *clash)
{
  g_autoptr (GArray) occ = NULL;

  g_return_val_if_fail (MCU_IS_MEETING (self), FALSE);
  if (from >= to)
    return FALSE;
  occ = mcu_meeting_occurrences (self, sub_clamped (from, self->grace),
      add_clamped (to, self->early_join), 0);
  for (guint i = 0; i < occ->len; i++) {
    McuOccurrence *o = &g_array_index (occ, McuOccurrence, i);

    if (o->start - self->early_join < to && o->end + self->grace > from) {
      if (clash != NULL)
        *clash = *o;
      return TRUE;
    }
  }
  return FALSE;
}
