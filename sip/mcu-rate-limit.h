/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: per-source rate limits for SIP requests (token buckets keyed on the
 * source IP, in a bounded table whose idle entries expire). Main thread
 * only. No sofia types: the agent asks before it creates anything for a
 * request. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define MCU_TYPE_RATE_LIMIT (mcu_rate_limit_get_type ())
G_DECLARE_FINAL_TYPE (McuRateLimit, mcu_rate_limit, MCU, RATE_LIMIT, GObject)

/* The request kinds that are limited, each with its own bucket. */
typedef enum
{
  MCU_RATE_CLASS_INVITE,
  MCU_RATE_CLASS_REGISTER,
  MCU_RATE_CLASS_MESSAGE,
  MCU_RATE_CLASS_SUBSCRIBE,
  MCU_RATE_N_CLASSES,
} McuRateClass;

typedef enum
{
  MCU_RATE_ALLOW,  /* go on */
  MCU_RATE_REJECT, /* over the soft limit: 503 with Retry-After */
  MCU_RATE_DROP,   /* over the hard limit: nothing of ours is spent on it
                    * (the agent only frees the stack's handle) */
} McuRateVerdict;

/* Microseconds on a monotonic clock; tests move time with it. */
typedef gint64 (*McuRateClockFunc) (gpointer data);

typedef struct
{
  /* Per source and class: sustained requests a second (0 = unlimited)
   * and the burst allowed on top. */
  gdouble rate[MCU_RATE_N_CLASSES];
  guint burst[MCU_RATE_N_CLASSES];
  /* Per source: 503s a second (and burst) it may get; once those are
   * spent its over-limit requests are dropped unanswered. */
  gdouble reject_rate;
  guint reject_burst;
  guint max_sources;      /* table bound; 0 = 10000 */
  McuRateClockFunc clock; /* (nullable) for tests */
  gpointer clock_data;
} McuRateLimitOptions;

McuRateLimit *mcu_rate_limit_new (const McuRateLimitOptions *options);

/* Counts one request of @klass from @ip and says what to do with it. */
McuRateVerdict mcu_rate_limit_check (
    McuRateLimit *self, const gchar *ip, McuRateClass klass);
/* Whole seconds until @ip may send a @klass request again (at least 1):
 * the Retry-After of a 503. */
guint mcu_rate_limit_retry_after (
    McuRateLimit *self, const gchar *ip, McuRateClass klass);
/* The class of a SIP method name, or MCU_RATE_N_CLASSES when unlimited. */
McuRateClass mcu_rate_limit_class_of (const gchar *method);
/* Sources in the table now (for tests and metrics). */
guint mcu_rate_limit_get_n_sources (McuRateLimit *self);
/* Totals since start: requests rejected with 503 and dropped. */
guint64 mcu_rate_limit_get_n_rejected (McuRateLimit *self);
guint64 mcu_rate_limit_get_n_dropped (McuRateLimit *self);

G_END_DECLS
