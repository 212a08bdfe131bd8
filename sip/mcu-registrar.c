/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the registrar (RFC 3261 section 10). Main thread only.
 *
 * Bindings live in a table AOR user -> array of McuBinding. A REGISTER is
 * checked completely before anything changes (423, CSeq ordering), the new
 * set of the AOR is written to the store first and swapped in only when
 * that worked, so memory and database agree. One timer, armed for the
 * earliest expiry, purges expired bindings. */
#include "mcu-registrar-private.h"
#include "mcu-sip-log.h"

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/su_time.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/url.h>
#include <stdlib.h>
#include <string.h>

struct _McuRegistrar
{
  GObject parent_instance;

  gchar **domains;
  guint min_expires;
  guint max_expires;
  guint default_expires;
  guint max_contacts;
  guint max_bindings_per_source;
  McuBindingStore *store; /* (nullable) */
  McuAuth *auth;          /* (nullable) */
  McuClockFunc clock;
  gpointer clock_data;

  GHashTable *aors; /* user -> GPtrArray of McuBinding (owned) */
  guint purge_id;
};

G_DEFINE_FINAL_TYPE (McuRegistrar, mcu_registrar, G_TYPE_OBJECT)

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
mcu_registrar_dispose (GObject *object)
{
  McuRegistrar *self = MCU_REGISTRAR (object);

  g_clear_handle_id (&self->purge_id, g_source_remove);
  if (self->store)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);
  g_clear_object (&self->auth);
  G_OBJECT_CLASS (mcu_registrar_parent_class)->dispose (object);
}

static void
mcu_registrar_finalize (GObject *object)
{
  McuRegistrar *self = MCU_REGISTRAR (object);

  g_strfreev (self->domains);
  g_hash_table_unref (self->aors);
  G_OBJECT_CLASS (mcu_registrar_parent_class)->finalize (object);
}

static void
mcu_registrar_class_init (McuRegistrarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_registrar_dispose;
  object_class->finalize = mcu_registrar_finalize;
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
mcu_registrar_init (McuRegistrar *self)
{
  self->aors = g_hash_table_new_full (
      g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
}

static gint64
now_seconds (McuRegistrar *self)
{
  if (self->clock)
    return self->clock (self->clock_data);
  return g_get_real_time () / G_USEC_PER_SEC;
}

static GPtrArray *
new_binding_array (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)mcu_binding_free);
}

static gint
compare_bindings (gconstpointer a, gconstpointer b)
{
  const McuBinding *x = *(McuBinding *const *)a;
  const McuBinding *y = *(McuBinding *const *)b;
  gint c = g_strcmp0 (x->aor, y->aor);

  if (c != 0)
    return c;
  if (x->q != y->q)
    return x->q > y->q ? -1 : 1;
  if (x->expires_at != y->expires_at)
    return x->expires_at > y->expires_at ? -1 : 1;
  return g_strcmp0 (x->contact, y->contact);
}

/* Copies the bindings of @set that are alive at @now, sorted. */
static GPtrArray *
copy_live (GPtrArray *set, gint64 now, GPtrArray *out)
{
  for (guint i = 0; set && i < set->len; i++) {
    McuBinding *b = g_ptr_array_index (set, i);

    if (b->expires_at > now)
      g_ptr_array_add (out, mcu_binding_copy (b));
  }
  g_ptr_array_sort (out, compare_bindings);
  return out;
}

static gboolean on_purge_timeout (gpointer data);

/* Arms the purge timer for the earliest expiry. */
static void
schedule_purge (McuRegistrar *self)
{
  GHashTableIter iter;
  gpointer value;
  gint64 earliest = G_MAXINT64;
  gint64 now = now_seconds (self);

  g_clear_handle_id (&self->purge_id, g_source_remove);
  g_hash_table_iter_init (&iter, self->aors);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    GPtrArray *set = value;

    for (guint i = 0; i < set->len; i++)
      earliest = MIN (
          earliest, ((McuBinding *)g_ptr_array_index (set, i))->expires_at);
  }
  if (earliest == G_MAXINT64)
    return;
  self->purge_id = g_timeout_add_seconds (
      (guint)CLAMP (earliest - now + 1, 1, 24 * 3600), on_purge_timeout, self);
}

void
mcu_registrar_purge_expired (McuRegistrar *self)
{
  g_autoptr (GPtrArray) changed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  gint64 now = now_seconds (self);
  GHashTableIter iter;
  gpointer key, value;

  g_return_if_fail (MCU_IS_REGISTRAR (self));
  g_hash_table_iter_init (&iter, self->aors);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    GPtrArray *set = value;
    guint before = set->len;

    for (guint i = set->len; i > 0; i--)
      if (((McuBinding *)g_ptr_array_index (set, i - 1))->expires_at <= now)
        g_ptr_array_remove_index (set, i - 1);
    if (set->len != before)
      g_ptr_array_add (changed, g_strdup (key));
    if (set->len == 0)
      g_hash_table_iter_remove (&iter);
  }
  if (changed->len > 0 && self->store &&
      !mcu_binding_store_purge_expired (self->store, now, &error))
    g_warning ("purging expired bindings from the store: %s", error->message);
  for (guint i = 0; i < changed->len; i++) {
    g_info ("bindings of %s expired", (gchar *)changed->pdata[i]);
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0, changed->pdata[i]);
  }
  schedule_purge (self);
}

static gboolean
on_purge_timeout (gpointer data)
{
  McuRegistrar *self = data;

  self->purge_id = 0;
  mcu_registrar_purge_expired (self);
  return G_SOURCE_REMOVE;
}

/* Someone else (another node) changed the bindings of @aor, or of anyone
 * when @aor is NULL: take them from the store again. */
static void
on_store_bindings_changed (
    McuBindingStore *store, const gchar *aor, McuRegistrar *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) loaded = NULL;
  g_autoptr (GHashTable) fresh = NULL;
  g_autoptr (GPtrArray) changed = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key, value;

  loaded = mcu_binding_store_load_bindings (store, now_seconds (self), &error);
  if (loaded == NULL) {
    g_warning ("reloading bindings from the store: %s", error->message);
    return;
  }
  fresh = g_hash_table_new_full (
      g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
  for (guint i = 0; i < loaded->len; i++) {
    McuBinding *b = g_ptr_array_index (loaded, i);
    GPtrArray *set;

    if (aor != NULL && g_strcmp0 (b->aor, aor) != 0)
      continue;
    set = g_hash_table_lookup (fresh, b->aor);
    if (set == NULL) {
      set = new_binding_array ();
      g_hash_table_insert (fresh, g_strdup (b->aor), set);
    }
    g_ptr_array_add (set, mcu_binding_copy (b));
  }
  if (aor != NULL) {
    GPtrArray *set = g_hash_table_lookup (fresh, aor);

    if (set)
      g_hash_table_replace (self->aors, g_strdup (aor), g_ptr_array_ref (set));
    else
      g_hash_table_remove (self->aors, aor);
    g_ptr_array_add (changed, g_strdup (aor));
  } else {
    g_hash_table_iter_init (&iter, self->aors);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_ptr_array_add (changed, g_strdup (key));
    g_hash_table_iter_init (&iter, fresh);
    while (g_hash_table_iter_next (&iter, &key, &value))
      if (!g_hash_table_contains (self->aors, key))
        g_ptr_array_add (changed, g_strdup (key));
    g_hash_table_remove_all (self->aors);
    g_hash_table_iter_init (&iter, fresh);
    while (g_hash_table_iter_next (&iter, &key, &value))
      g_hash_table_insert (self->aors, g_strdup (key), g_ptr_array_ref (value));
  }
  schedule_purge (self);
  for (guint i = 0; i < changed->len; i++) {
    g_info ("bindings of %s changed in the store", (gchar *)changed->pdata[i]);
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0, changed->pdata[i]);
  }
}

McuRegistrar *
mcu_registrar_new (const McuRegistrarOptions *options, GError **error)
{
  g_autoptr (McuRegistrar) self = g_object_new (MCU_TYPE_REGISTRAR, NULL);
  g_autoptr (GPtrArray) loaded = NULL;
  gint64 now;

  self->domains = g_strdupv ((gchar **)options->domains);
  self->min_expires = options->min_expires;
  self->max_expires = MAX (options->max_expires, options->min_expires);
  self->default_expires =
      CLAMP (options->default_expires, self->min_expires, self->max_expires);
  self->max_contacts = options->max_contacts;
  self->max_bindings_per_source = options->max_bindings_per_source;
  self->store = options->store ? g_object_ref (options->store) : NULL;
  self->auth = options->auth ? g_object_ref (options->auth) : NULL;
  self->clock = options->clock;
  self->clock_data = options->clock_data;
  if (self->store == NULL)
    return g_steal_pointer (&self);

  now = now_seconds (self);
  if (!mcu_binding_store_purge_expired (self->store, now, error))
    return NULL;
  loaded = mcu_binding_store_load_bindings (self->store, now, error);
  if (loaded == NULL)
    return NULL;
  for (guint i = 0; i < loaded->len; i++) {
    McuBinding *b = g_ptr_array_index (loaded, i);
    GPtrArray *set = g_hash_table_lookup (self->aors, b->aor);

    if (set == NULL) {
      set = new_binding_array ();
      g_hash_table_insert (self->aors, g_strdup (b->aor), set);
    }
    g_ptr_array_add (set, mcu_binding_copy (b));
  }
  g_info ("registrar: %u bindings loaded from the store", loaded->len);
  g_signal_connect (self->store, "bindings-changed",
      G_CALLBACK (on_store_bindings_changed), self);
  schedule_purge (self);
  return g_steal_pointer (&self);
}

GPtrArray *
mcu_registrar_lookup (McuRegistrar *self, const gchar *user)
{
  g_return_val_if_fail (MCU_IS_REGISTRAR (self), NULL);
  return copy_live (g_hash_table_lookup (self->aors, user), now_seconds (self),
      new_binding_array ());
}

gboolean
mcu_registrar_is_user (McuRegistrar *self, const gchar *user)
{
  g_autoptr (GPtrArray) live = NULL;

  g_return_val_if_fail (MCU_IS_REGISTRAR (self), FALSE);
  if (user == NULL)
    return FALSE;
  if (self->auth && mcu_auth_has_user (self->auth, user))
    return TRUE;
  live = mcu_registrar_lookup (self, user);
  return live->len > 0;
}

GPtrArray *
mcu_registrar_list (McuRegistrar *self)
{
  GPtrArray *out = new_binding_array ();

  g_return_val_if_fail (MCU_IS_REGISTRAR (self), NULL);
  mcu_bindings_copy_live (self->aors, now_seconds (self), out);
  g_ptr_array_sort (out, compare_bindings);
  return out;
}

void
mcu_register_result_clear (McuRegisterResult *result)
{
  g_clear_pointer (&result->bindings, g_ptr_array_unref);
}

static gboolean
domain_ok (McuRegistrar *self, const gchar *domain)
{
  if (self->domains == NULL || self->domains[0] == NULL)
    return TRUE;
  for (guint i = 0; domain && self->domains[i]; i++)
    if (g_ascii_strcasecmp (self->domains[i], domain) == 0)
      return TRUE;
  return FALSE;
}

static McuBinding *
find_binding (GPtrArray *set, const gchar *uri, guint *index)
{
  for (guint i = 0; set && i < set->len; i++) {
    McuBinding *b = g_ptr_array_index (set, i);

    if (g_str_equal (b->contact, uri)) {
      if (index)
        *index = i;
      return b;
    }
  }
  return NULL;
}

static void
set_result (McuRegisterResult *result, guint status, const gchar *phrase)
{
  result->status = status;
  result->phrase = phrase;
}

/* Step 7's ordering rule: a binding from the same Call-ID may only be
 * changed by a higher CSeq. */
static gboolean
in_order (const McuBinding *old, const McuRegisterRequest *req)
{
  return old == NULL || g_strcmp0 (old->call_id, req->call_id) != 0 ||
         req->cseq > old->cseq;
}

static gint64
contact_expires (McuRegistrar *self, const McuRegisterRequest *req,
    const McuRegisterContact *c)
{
  if (c->expires >= 0)
    return c->expires;
  if (req->expires >= 0)
    return req->expires;
  return self->default_expires;
}

/* Builds the AOR's new set from @old; returns FALSE with @result set when
 * the request must fail as a whole. */
static gboolean
apply_contacts (McuRegistrar *self, const McuRegisterRequest *req,
    GPtrArray *old, GPtrArray *set, gint64 now, McuRegisterResult *result)
{
  if (req->wildcard) {
    for (guint i = 0; old && i < old->len; i++) {
      if (!in_order (g_ptr_array_index (old, i), req)) {
        set_result (result, 500, "Out of Order CSeq");
        return FALSE;
      }
    }
    g_ptr_array_set_size (set, 0);
    return TRUE;
  }
  for (guint i = 0; i < req->n_contacts; i++) {
    gint64 e = contact_expires (self, req, &req->contacts[i]);

    if (e > 0 && e < self->min_expires) {
      set_result (result, 423, "Interval Too Brief");
      result->min_expires = self->min_expires;
      return FALSE;
    }
    if (!in_order (find_binding (old, req->contacts[i].uri, NULL), req)) {
      set_result (result, 500, "Out of Order CSeq");
      return FALSE;
    }
  }
  for (guint i = 0; i < req->n_contacts; i++) {
    const McuRegisterContact *c = &req->contacts[i];
    gint64 e = MIN (contact_expires (self, req, c), (gint64)self->max_expires);
    guint index;
    McuBinding *b = find_binding (set, c->uri, &index);

    if (e == 0) {
      if (b)
        g_ptr_array_remove_index (set, index);
      continue;
    }
    if (b == NULL) {
      b = mcu_binding_new ();
      b->aor = g_strdup (req->aor_user);
      b->contact = g_strdup (c->uri);
      g_ptr_array_add (set, b);
    }
    b->q = c->q >= 0 ? c->q : 1.0;
    b->expires_at = now + e;
    g_free (b->call_id);
    b->call_id = g_strdup (req->call_id);
    b->cseq = req->cseq;
    g_free (b->user_agent);
    b->user_agent = g_strdup (req->user_agent);
    g_free (b->received);
    b->received = g_strdup (req->received);
  }
  return TRUE;
}

/* The IP address of a "received" value ("ip:port/transport"). */
static gboolean
same_source_ip (const gchar *received, const gchar *ip, gsize ip_len)
{
  return received && strncmp (received, ip, ip_len) == 0 &&
         received[ip_len] == ':';
}

static guint
count_from_ip (GPtrArray *set, const gchar *ip, gsize ip_len, gint64 now)
{
  guint n = 0;

  for (guint i = 0; set && i < set->len; i++) {
    McuBinding *b = g_ptr_array_index (set, i);

    if (b->expires_at > now && same_source_ip (b->received, ip, ip_len))
      n++;
  }
  return n;
}

/* The limits on how many bindings an AOR and a source may hold: FALSE
 * with @result set (403) when @set would grow past one of them. */
static gboolean
within_limits (McuRegistrar *self, const McuRegisterRequest *req,
    GPtrArray *old, GPtrArray *set, gint64 now, McuRegisterResult *result)
{
  GHashTableIter iter;
  gpointer key, value;
  const gchar *colon;
  gsize ip_len;
  guint before = 0, after = 0, old_live = 0;

  for (guint i = 0; old && i < old->len; i++)
    if (((McuBinding *)g_ptr_array_index (old, i))->expires_at > now)
      old_live++;
  if (self->max_contacts && set->len > self->max_contacts &&
      set->len > old_live) {
    set_result (result, 403, "Too Many Contacts");
    return FALSE;
  }
  if (self->max_bindings_per_source == 0 || req->received == NULL)
    return TRUE;
  colon = req->received[0] == '[' ? strstr (req->received, "]:")
                                  : strrchr (req->received, ':');
  if (colon == NULL)
    return TRUE;
  ip_len = colon - req->received + (req->received[0] == '[' ? 1 : 0);
  g_hash_table_iter_init (&iter, self->aors);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_str_equal (key, req->aor_user))
      before += count_from_ip (value, req->received, ip_len, now);
  after = before + count_from_ip (set, req->received, ip_len, now);
  before += count_from_ip (old, req->received, ip_len, now);
  if (after > self->max_bindings_per_source && after > before) {
    set_result (result, 403, "Too Many Registrations From This Address");
    return FALSE;
  }
  return TRUE;
}

/* RFC 3261 section 10.3, steps 4 to 8 (1-3 are the agent's and McuAuth's). */
void
mcu_registrar_process (McuRegistrar *self, const McuRegisterRequest *req,
    McuRegisterResult *result)
{
  g_autoptr (GPtrArray) set = new_binding_array ();
  g_autoptr (GError) error = NULL;
  GPtrArray *old;
  gint64 now = now_seconds (self);

  g_return_if_fail (MCU_IS_REGISTRAR (self));
  memset (result, 0, sizeof *result);
  result->now = now;
  if (req->aor_user == NULL || req->aor_user[0] == '\0' ||
      !domain_ok (self, req->aor_domain)) {
    set_result (result, 404, "Not Found");
    return;
  }
  if (req->auth_user && !g_str_equal (req->auth_user, req->aor_user)) {
    set_result (result, 403, "Forbidden");
    return;
  }
  if (req->wildcard && (req->n_contacts > 0 || req->expires != 0)) {
    set_result (result, 400, "Contact: * Needs Expires: 0 Alone");
    return;
  }
  old = g_hash_table_lookup (self->aors, req->aor_user);
  copy_live (old, now, set);
  if (req->wildcard || req->n_contacts > 0) {
    if (!apply_contacts (self, req, old, set, now, result) ||
        !within_limits (self, req, old, set, now, result))
      return;
    if (self->store && !mcu_binding_store_replace_bindings (
                           self->store, req->aor_user, set, &error)) {
      if (g_error_matches (error, MCU_BINDING_STORE_ERROR,
              MCU_BINDING_STORE_ERROR_UNAVAILABLE)) {
        g_message (
            "storing the bindings of %s: %s", req->aor_user, error->message);
        set_result (result, 503, "Registrar Database Unavailable");
        result->retry_after = 5;
        return;
      }
      g_warning (
          "storing the bindings of %s: %s", req->aor_user, error->message);
      set_result (result, 500, "Storage Failure");
      return;
    }
    if (set->len > 0)
      g_hash_table_replace (self->aors, g_strdup (req->aor_user),
          copy_live (set, now, new_binding_array ()));
    else
      g_hash_table_remove (self->aors, req->aor_user);
    g_info ("%s now has %u binding(s)", req->aor_user, set->len);
    schedule_purge (self);
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0, req->aor_user);
  }
  set_result (result, 200, "OK");
  g_ptr_array_sort (set, compare_bindings);
  result->bindings = g_steal_pointer (&set);
}

/* --- the sofia side --- */

static gint64
parse_delta (const char *s)
{
  gchar *end = NULL;
  guint64 v;

  if (s == NULL || !g_ascii_isdigit (s[0]))
    return -1;
  v = g_ascii_strtoull (s, &end, 10);
  if (*end != '\0')
    return -1;
  return (gint64)MIN (v, (guint64)G_MAXUINT32);
}

/* Converts the Contacts; FALSE when one is malformed. */
static gboolean
read_contacts (su_home_t *home, const sip_t *sip, McuRegisterRequest *req,
    GArray *contacts)
{
  for (const sip_contact_t *m = sip->sip_contact; m; m = m->m_next) {
    McuRegisterContact c = { 0 };

    if (m->m_url->url_type == url_any) {
      req->wildcard = TRUE;
      continue;
    }
    c.uri = url_as_string (home, m->m_url);
    if (c.uri == NULL)
      return FALSE;
    c.expires = parse_delta (m->m_expires);
    c.q = -1;
    if (m->m_q) {
      gchar *end = NULL;

      c.q = g_ascii_strtod (m->m_q, &end);
      if (*end != '\0' || c.q < 0 || c.q > 1)
        return FALSE;
    }
    g_array_append_val (contacts, c);
  }
  if (req->wildcard && contacts->len == 0 && sip->sip_contact->m_next)
    return FALSE; /* "*" twice */
  req->contacts = (McuRegisterContact *)contacts->data;
  req->n_contacts = contacts->len;
  return TRUE;
}

/* The 200's Contact value: every binding with its remaining time. */
static gchar *
contact_list (const McuRegisterResult *result)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < result->bindings->len; i++) {
    McuBinding *b = g_ptr_array_index (result->bindings, i);
    gchar q[G_ASCII_DTOSTR_BUF_SIZE];

    g_ascii_formatd (q, sizeof q, "%.3g", b->q);
    g_string_append_printf (s, "%s<%s>;expires=%" G_GINT64_FORMAT ";q=%s",
        s->len ? ", " : "", b->contact, MAX (b->expires_at - result->now, 0),
        q);
  }
  return g_string_free (s, s->len == 0);
}

static void
respond (McuRegistrar *self, nua_t *nua, nua_handle_t *nh,
    const McuRegisterResult *result)
{
  su_home_t home[1] = { SU_HOME_INIT (home) };
  g_autofree gchar *contacts = NULL;
  g_autofree gchar *min_expires = NULL;

  if (result->status == 423) {
    min_expires = g_strdup_printf ("%u", result->min_expires);
    nua_respond (nh, result->status, result->phrase,
        SIPTAG_MIN_EXPIRES_STR (min_expires), NUTAG_WITH_THIS (nua),
        TAG_END ());
  } else if (result->status == 503) {
    g_autofree gchar *retry_after = g_strdup_printf ("%u", result->retry_after);

    nua_respond (nh, result->status, result->phrase,
        SIPTAG_RETRY_AFTER_STR (retry_after),
        SIPTAG_WARNING_STR ("399 mcu \"the registrar database is "
                            "unavailable, try again later\""),
        NUTAG_WITH_THIS (nua), TAG_END ());
  } else if (result->status == 200) {
    contacts = contact_list (result);
    nua_respond (nh, SIP_200_OK,
        TAG_IF (contacts, SIPTAG_CONTACT_STR (contacts)),
        SIPTAG_DATE (sip_date_create (home, result->now + SU_TIME_EPOCH)),
        NUTAG_WITH_THIS (nua), TAG_END ());
  } else {
    nua_respond (
        nh, result->status, result->phrase, NUTAG_WITH_THIS (nua), TAG_END ());
  }
  su_home_deinit (home);
}

/* What makes a REGISTER unusable, or NULL. Fills @req's contacts. */
static const gchar *
check_register (su_home_t *home, const sip_t *sip, McuRegisterRequest *req,
    GArray *contacts)
{
  if (sip->sip_to == NULL || sip->sip_call_id == NULL || sip->sip_cseq == NULL)
    return "missing To, Call-ID or CSeq";
  if (sip->sip_to->a_url->url_type != url_sip &&
      sip->sip_to->a_url->url_type != url_sips)
    return "the address-of-record (To) must be a SIP or SIPS URI";
  if (!read_contacts (home, sip, req, contacts))
    return "malformed Contact (q must be 0 to 1)";
  return NULL;
}

gboolean
mcu_registrar_reject_malformed (
    McuRegistrar *self, nua_t *nua, nua_handle_t *nh, const sip_t *sip)
{
  su_home_t home[1] = { SU_HOME_INIT (home) };
  g_autoptr (GArray) contacts =
      g_array_new (FALSE, TRUE, sizeof (McuRegisterContact));
  McuRegisterRequest req = { 0 };
  const gchar *why = check_register (home, sip, &req, contacts);
  g_autofree gchar *warning = NULL;

  su_home_deinit (home);
  if (why == NULL)
    return FALSE;
  warning = g_strdup_printf ("399 mcu \"%s\"", why);
  nua_respond (nh, SIP_400_BAD_REQUEST, SIPTAG_WARNING_STR (warning),
      NUTAG_WITH_THIS (nua), TAG_END ());
  return TRUE;
}

void
mcu_registrar_handle_register (McuRegistrar *self, nua_t *nua, nua_handle_t *nh,
    const sip_t *sip, const gchar *auth_user, const gchar *source)
{
  su_home_t home[1] = { SU_HOME_INIT (home) };
  g_autoptr (GArray) contacts =
      g_array_new (FALSE, TRUE, sizeof (McuRegisterContact));
  McuRegisterRequest req = { 0 };
  McuRegisterResult result = { 0 };

  if (check_register (home, sip, &req, contacts) != NULL) {
    su_home_deinit (home);
    mcu_registrar_reject_malformed (self, nua, nh, sip);
    return;
  }
  req.aor_user = sip->sip_to->a_url->url_user;
  req.aor_domain = sip->sip_to->a_url->url_host;
  req.call_id = sip->sip_call_id->i_id;
  req.cseq = sip->sip_cseq->cs_seq;
  req.expires = sip->sip_expires ? (gint64)sip->sip_expires->ex_delta : -1;
  req.user_agent = sip->sip_user_agent ? sip->sip_user_agent->g_string : NULL;
  req.received = source;
  req.auth_user = auth_user;
  mcu_registrar_process (self, &req, &result);
  if (result.status >= 300) {
    g_autofree gchar *safe_aor = mcu_sip_log_escape (req.aor_user);
    g_autofree gchar *safe_source = mcu_sip_log_escape (source);

    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE",
        "REGISTER of %s from %s rejected: status=%u %s", safe_aor, safe_source,
        result.status, result.phrase);
  }
  respond (self, nua, nh, &result);
  mcu_register_result_clear (&result);
  su_home_deinit (home);
}
