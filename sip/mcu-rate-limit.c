/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: per-source rate limits. Main thread only.
 *
 * Each source IP has one token bucket per request class and one for the
 * 503s it may receive. A request takes a token from its class's bucket; when
 * that is empty it is over the soft limit and takes a token from the reject
 * bucket to be answered 503; when that is empty too it is over the hard
 * limit and is dropped. Entries whose buckets would be full again are
 * forgotten (pruned at most once a second); at max-sources the least
 * recently seen one is evicted, so spoofed sources cannot grow the table.
 * Rejections are logged once per source every LOG_INTERVAL with the count
 * of the ones not logged. */
#include "mcu-rate-limit.h"
#include "mcu-sip-log.h"

#include <math.h>

#define DEFAULT_MAX_SOURCES 10000
#define LOG_INTERVAL        (10 * G_USEC_PER_SEC)
#define IDLE_EXPIRY         (60 * G_USEC_PER_SEC)

typedef struct
{
  gdouble tokens;
  gint64 last; /* when tokens was last refilled */
} Bucket;

typedef struct
{
  Bucket classes[MCU_RATE_N_CLASSES];
  Bucket rejects;
  gint64 last_seen;
  gint64 last_log;
  guint suppressed;
} Source;

struct _McuRateLimit
{
  GObject parent_instance;

  McuRateLimitOptions options;
  GHashTable *sources; /* ip -> Source* */
  gint64 last_prune;
  guint64 n_rejected;
  guint64 n_dropped;
};

G_DEFINE_FINAL_TYPE (McuRateLimit, mcu_rate_limit, G_TYPE_OBJECT)

static const gchar *const class_names[MCU_RATE_N_CLASSES] = {
  "INVITE",
  "REGISTER",
  "MESSAGE",
  "SUBSCRIBE",
};

static void
mcu_rate_limit_finalize (GObject *object)
{
  McuRateLimit *self = MCU_RATE_LIMIT (object);

  g_hash_table_unref (self->sources);
  G_OBJECT_CLASS (mcu_rate_limit_parent_class)->finalize (object);
}

static void
mcu_rate_limit_class_init (McuRateLimitClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mcu_rate_limit_finalize;
}

static void
mcu_rate_limit_init (McuRateLimit *self)
{
  self->sources =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

McuRateLimit *
mcu_rate_limit_new (const McuRateLimitOptions *options)
{
  McuRateLimit *self = g_object_new (MCU_TYPE_RATE_LIMIT, NULL);

  self->options = *options;
  if (self->options.max_sources == 0)
    self->options.max_sources = DEFAULT_MAX_SOURCES;
  return self;
}

static gint64
now_us (McuRateLimit *self)
{
  if (self->options.clock)
    return self->options.clock (self->options.clock_data);
  return g_get_monotonic_time ();
}

McuRateClass
mcu_rate_limit_class_of (const gchar *method)
{
  for (guint i = 0; method && i < MCU_RATE_N_CLASSES; i++)
    if (g_str_equal (method, class_names[i]))
      return i;
  return MCU_RATE_N_CLASSES;
}

static void
refill (Bucket *b, gdouble rate, guint burst, gint64 now)
{
  gdouble elapsed = (now - b->last) / (gdouble)G_USEC_PER_SEC;

  b->tokens = MIN ((gdouble)burst, b->tokens + MAX (elapsed, 0) * rate);
  b->last = now;
}

static void
bucket_init (Bucket *b, guint burst, gint64 now)
{
  b->tokens = burst;
  b->last = now;
}

/* Forgets sources that have been quiet long enough for every bucket to be
 * full again, at most once a second. */
static void
prune (McuRateLimit *self, gint64 now, gboolean force)
{
  GHashTableIter iter;
  gpointer value;

  if (!force && now - self->last_prune < G_USEC_PER_SEC)
    return;
  self->last_prune = now;
  g_hash_table_iter_init (&iter, self->sources);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (now - ((Source *)value)->last_seen >= IDLE_EXPIRY)
      g_hash_table_iter_remove (&iter);
}

static void
evict_oldest (McuRateLimit *self)
{
  GHashTableIter iter;
  gpointer key, value;
  const gchar *oldest = NULL;
  gint64 oldest_seen = G_MAXINT64;

  g_hash_table_iter_init (&iter, self->sources);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    if (((Source *)value)->last_seen < oldest_seen) {
      oldest_seen = ((Source *)value)->last_seen;
      oldest = key;
    }
  }
  if (oldest)
    g_hash_table_remove (self->sources, oldest);
}

static Source *
lookup_source (McuRateLimit *self, const gchar *ip, gint64 now)
{
  Source *s = g_hash_table_lookup (self->sources, ip);

  if (s)
    return s;
  if (g_hash_table_size (self->sources) >= self->options.max_sources) {
    prune (self, now, TRUE);
    if (g_hash_table_size (self->sources) >= self->options.max_sources)
      evict_oldest (self);
  }
  s = g_new0 (Source, 1);
  for (guint i = 0; i < MCU_RATE_N_CLASSES; i++)
    bucket_init (&s->classes[i], self->options.burst[i], now);
  bucket_init (&s->rejects, self->options.reject_burst, now);
  s->last_log = now - LOG_INTERVAL;
  g_hash_table_insert (self->sources, g_strdup (ip), s);
  return s;
}

static void
log_limited (McuRateLimit *self, Source *s, const gchar *ip, McuRateClass klass,
    McuRateVerdict verdict, gint64 now)
{
  g_autofree gchar *safe_ip = NULL;

  if (now - s->last_log < LOG_INTERVAL) {
    s->suppressed++;
    return;
  }
  safe_ip = mcu_sip_log_escape (ip);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE",
      "rate limit: source=%s method=%s %s (%u suppressed)", safe_ip,
      class_names[klass], verdict == MCU_RATE_REJECT ? "status=503" : "dropped",
      s->suppressed);
  s->last_log = now;
  s->suppressed = 0;
}

McuRateVerdict
mcu_rate_limit_check (McuRateLimit *self, const gchar *ip, McuRateClass klass)
{
  const McuRateLimitOptions *o;
  gint64 now;
  Source *s;
  Bucket *b;
  McuRateVerdict verdict;

  g_return_val_if_fail (MCU_IS_RATE_LIMIT (self), MCU_RATE_ALLOW);
  o = &self->options;
  if (klass >= MCU_RATE_N_CLASSES || o->rate[klass] <= 0)
    return MCU_RATE_ALLOW;
  now = now_us (self);
  prune (self, now, FALSE);
  s = lookup_source (self, ip ? ip : "unknown", now);
  s->last_seen = now;
  b = &s->classes[klass];
  refill (b, o->rate[klass], o->burst[klass], now);
  if (b->tokens >= 1) {
    b->tokens -= 1;
    return MCU_RATE_ALLOW;
  }
  refill (&s->rejects, o->reject_rate, o->reject_burst, now);
  if (s->rejects.tokens >= 1) {
    s->rejects.tokens -= 1;
    verdict = MCU_RATE_REJECT;
    self->n_rejected++;
  } else {
    verdict = MCU_RATE_DROP;
    self->n_dropped++;
  }
  log_limited (self, s, ip ? ip : "unknown", klass, verdict, now);
  return verdict;
}

guint
mcu_rate_limit_retry_after (
    McuRateLimit *self, const gchar *ip, McuRateClass klass)
{
  Source *s;
  gdouble missing;

  g_return_val_if_fail (MCU_IS_RATE_LIMIT (self), 1);
  if (klass >= MCU_RATE_N_CLASSES || self->options.rate[klass] <= 0)
    return 1;
  s = g_hash_table_lookup (self->sources, ip ? ip : "unknown");
  if (s == NULL)
    return 1;
  missing = 1.0 - s->classes[klass].tokens;
  return (guint)MAX (1.0, ceil (missing / self->options.rate[klass]));
}

guint
mcu_rate_limit_get_n_sources (McuRateLimit *self)
{
  return g_hash_table_size (self->sources);
}

guint64
mcu_rate_limit_get_n_rejected (McuRateLimit *self)
{
  return self->n_rejected;
}

guint64
mcu_rate_limit_get_n_dropped (McuRateLimit *self)
{
  return self->n_dropped;
}
