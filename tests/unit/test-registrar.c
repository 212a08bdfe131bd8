/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for the registrar rules (RFC 3261 section 10.3): add, refresh,
 * several contacts and q order, per-contact expires, removal, wildcard
 * removal, query, Call-ID/CSeq ordering, 423 and the maximum, 403 for
 * another user's AOR, 404 for another domain, expiry by the clock, the
 * limits on contacts per AOR and bindings per source address, and a
 * failing store leaving memory untouched. A small in-memory store double
 * records what reaches persistence (test-store.c covers SQLite). */
#include "mcu-registrar.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

/* --- an in-memory McuBindingStore --- */

#define TEST_TYPE_MEM_STORE (test_mem_store_get_type ())
G_DECLARE_FINAL_TYPE (TestMemStore, test_mem_store, TEST, MEM_STORE, GObject)

struct _TestMemStore
{
  GObject parent_instance;
  GPtrArray *rows; /* McuBinding */
  gboolean fail;
  guint writes;
};

static void test_mem_store_iface_init (McuBindingStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestMemStore, test_mem_store, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (MCU_TYPE_BINDING_STORE, test_mem_store_iface_init))

static void
test_mem_store_finalize (GObject *object)
{
  g_ptr_array_unref (TEST_MEM_STORE (object)->rows);
  G_OBJECT_CLASS (test_mem_store_parent_class)->finalize (object);
}

static void
test_mem_store_class_init (TestMemStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_mem_store_finalize;
}

static void
test_mem_store_init (TestMemStore *self)
{
  self->rows =
      g_ptr_array_new_with_free_func ((GDestroyNotify)mcu_binding_free);
}

static GPtrArray *
mem_load (McuBindingStore *store, gint64 now, GError **error)
{
  TestMemStore *self = TEST_MEM_STORE (store);
  GPtrArray *out =
      g_ptr_array_new_with_free_func ((GDestroyNotify)mcu_binding_free);

  for (guint i = 0; i < self->rows->len; i++) {
    McuBinding *b = g_ptr_array_index (self->rows, i);

    if (b->expires_at > now)
      g_ptr_array_add (out, mcu_binding_copy (b));
  }
  return out;
}

static gboolean
mem_replace (McuBindingStore *store, const gchar *aor, GPtrArray *bindings,
    GError **error)
{
  TestMemStore *self = TEST_MEM_STORE (store);

  if (self->fail) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "disk full");
    return FALSE;
  }
  self->writes++;
  for (guint i = self->rows->len; i > 0; i--)
    if (g_str_equal (
            ((McuBinding *)g_ptr_array_index (self->rows, i - 1))->aor, aor))
      g_ptr_array_remove_index (self->rows, i - 1);
  for (guint i = 0; i < bindings->len; i++)
    g_ptr_array_add (
        self->rows, mcu_binding_copy (g_ptr_array_index (bindings, i)));
  return TRUE;
}

static gboolean
mem_purge (McuBindingStore *store, gint64 now, GError **error)
{
  TestMemStore *self = TEST_MEM_STORE (store);

  for (guint i = self->rows->len; i > 0; i--)
    if (((McuBinding *)g_ptr_array_index (self->rows, i - 1))->expires_at <=
        now)
      g_ptr_array_remove_index (self->rows, i - 1);
  return TRUE;
}

static void
test_mem_store_iface_init (McuBindingStoreInterface *iface)
{
  iface->load_bindings = mem_load;
  iface->replace_bindings = mem_replace;
  iface->purge_expired = mem_purge;
}

static guint store_warnings; /* the test log writer's count */

/* --- fixture --- */

typedef struct
{
  gint64 now;
  TestMemStore *store;
  McuAuth *auth;
  McuRegistrar *reg;
  guint changed;
  gchar *last_changed;
} Fixture;

static gint64
fake_clock (gpointer data)
{
  return ((Fixture *)data)->now;
}

static void
on_changed (McuRegistrar *reg, const gchar *aor, Fixture *f)
{
  f->changed++;
  g_free (f->last_changed);
  f->last_changed = g_strdup (aor);
}

static McuRegistrar *
make_registrar (Fixture *f)
{
  static const gchar *const domains[] = { "example.com", "127.0.0.1", NULL };
  McuRegistrarOptions o = {
    .domains = domains,
    .min_expires = 60,
    .max_expires = 3600,
    .default_expires = 1800,
    .max_contacts = 4,
    .max_bindings_per_source = 6,
    .store = MCU_BINDING_STORE (f->store),
    .auth = f->auth,
    .clock = fake_clock,
    .clock_data = f,
  };
  g_autoptr (GError) error = NULL;
  McuRegistrar *reg = mcu_registrar_new (&o, &error);

  g_assert_no_error (error);
  g_signal_connect (reg, "changed", G_CALLBACK (on_changed), f);
  return reg;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  McuAuthOptions ao = { .realm = "example.com" };

  f->now = 1700000000;
  f->store = g_object_new (TEST_TYPE_MEM_STORE, NULL);
  f->auth = mcu_auth_new (&ao);
  g_assert_true (mcu_auth_add_user (f->auth, "carol", "pw", NULL, NULL));
  f->reg = make_registrar (f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->reg);
  g_clear_object (&f->auth);
  g_clear_object (&f->store);
  g_free (f->last_changed);
}

/* One REGISTER: @contacts is "uri[;expires=N][;q=X]" items, "*" for the
 * wildcard; @expires -1 for no Expires header. Returns the status and keeps
 * the result's bindings in @out when asked. */
static guint
do_register (Fixture *f, const gchar *aor, const gchar *call_id, guint32 cseq,
    gint64 expires, const gchar *const *contacts, GPtrArray **out)
{
  McuRegisterContact c[8];
  McuRegisterRequest req = {
    .aor_user = aor,
    .aor_domain = "example.com",
    .call_id = call_id,
    .cseq = cseq,
    .expires = expires,
    .contacts = c,
    .user_agent = "test/1.0",
    .received = "192.0.2.1:5060/udp",
  };
  McuRegisterResult result = { 0 };
  g_autoptr (GPtrArray) keep =
      g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);
  gchar **parts;
  guint status;

  for (guint i = 0; contacts && contacts[i]; i++) {
    if (g_str_equal (contacts[i], "*")) {
      req.wildcard = TRUE;
      continue;
    }
    parts = g_strsplit (contacts[i], ";", -1);
    g_ptr_array_add (keep, parts);
    c[req.n_contacts].uri = parts[0];
    c[req.n_contacts].expires = -1;
    c[req.n_contacts].q = -1;
    for (guint p = 1; parts[p]; p++) {
      if (g_str_has_prefix (parts[p], "expires="))
        c[req.n_contacts].expires = atoi (parts[p] + 8);
      else if (g_str_has_prefix (parts[p], "q="))
        c[req.n_contacts].q = g_ascii_strtod (parts[p] + 2, NULL);
    }
    req.n_contacts++;
  }
  mcu_registrar_process (f->reg, &req, &result);
  status = result.status;
  if (status == 423)
    g_assert_cmpuint (result.min_expires, ==, 60);
  if (status == 200)
    g_assert_cmpint (result.now, ==, f->now);
  if (out)
    *out = g_steal_pointer (&result.bindings);
  mcu_register_result_clear (&result);
  return status;
}

#define CONTACTS(...) ((const gchar *const[]){ __VA_ARGS__, NULL })

static McuBinding *
nth (GPtrArray *a, guint i)
{
  g_assert_cmpuint (i, <, a->len);
  return g_ptr_array_index (a, i);
}

/* max-contacts 4 per AOR: a REGISTER that would add a fifth gets 403 and
 * changes nothing; refreshing or replacing within the limit works. */
static void
test_max_contacts (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) reply = NULL;
  g_autoptr (GPtrArray) found = NULL;

  g_assert_cmpuint (do_register (f, "alice", "c1", 1, -1,
                        CONTACTS ("sip:a1@192.0.2.1", "sip:a2@192.0.2.1",
                            "sip:a3@192.0.2.1", "sip:a4@192.0.2.1"),
                        NULL),
      ==, 200);
  g_assert_cmpuint (do_register (f, "alice", "c1", 2, -1,
                        CONTACTS ("sip:a5@192.0.2.1"), NULL),
      ==, 403);
  found = mcu_registrar_lookup (f->reg, "alice");
  g_assert_cmpuint (found->len, ==, 4);
  /* a refresh of all four is fine */
  g_assert_cmpuint (do_register (f, "alice", "c1", 3, -1,
                        CONTACTS ("sip:a1@192.0.2.1", "sip:a2@192.0.2.1",
                            "sip:a3@192.0.2.1", "sip:a4@192.0.2.1"),
                        NULL),
      ==, 200);
  /* one out, another in, in one REGISTER */
  g_assert_cmpuint (
      do_register (f, "alice", "c1", 4, -1,
          CONTACTS ("sip:a4@192.0.2.1;expires=0", "sip:a5@192.0.2.1"), &reply),
      ==, 200);
  g_assert_cmpuint (reply->len, ==, 4);
}

/* max-bindings-per-source 6: every REGISTER here comes from 192.0.2.1, so
 * the seventh binding over all AORs is refused. */
static void
test_max_per_source (Fixture *f, gconstpointer data)
{
  g_assert_cmpuint (do_register (f, "alice", "c1", 1, -1,
                        CONTACTS ("sip:a1@192.0.2.1", "sip:a2@192.0.2.1",
                            "sip:a3@192.0.2.1", "sip:a4@192.0.2.1"),
                        NULL),
      ==, 200);
  g_assert_cmpuint (
      do_register (f, "bob", "c2", 1, -1,
          CONTACTS ("sip:b1@192.0.2.1", "sip:b2@192.0.2.1"), NULL),
      ==, 200);
  g_assert_cmpuint (do_register (f, "carol", "c3", 1, -1,
                        CONTACTS ("sip:c1@192.0.2.1"), NULL),
      ==, 403);
  /* refreshing what is there is still fine */
  g_assert_cmpuint (
      do_register (f, "bob", "c2", 2, -1,
          CONTACTS ("sip:b1@192.0.2.1", "sip:b2@192.0.2.1"), NULL),
      ==, 200);
  /* a binding removed makes room */
  g_assert_cmpuint (do_register (f, "bob", "c2", 3, -1,
                        CONTACTS ("sip:b2@192.0.2.1;expires=0"), NULL),
      ==, 200);
  g_assert_cmpuint (do_register (f, "carol", "c3", 2, -1,
                        CONTACTS ("sip:c1@192.0.2.1"), NULL),
      ==, 200);
}

static void
test_add_and_refresh (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) reply = NULL;
  g_autoptr (GPtrArray) found = NULL;

  g_assert_cmpuint (do_register (f, "alice", "c1", 1, -1,
                        CONTACTS ("sip:alice@192.0.2.1:5062"), &reply),
      ==, 200);
  g_assert_cmpuint (reply->len, ==, 1);
  g_assert_cmpstr (nth (reply, 0)->contact, ==, "sip:alice@192.0.2.1:5062");
  g_assert_cmpint (nth (reply, 0)->expires_at, ==, f->now + 1800);
  g_assert_cmpfloat (nth (reply, 0)->q, ==, 1.0);
  g_assert_cmpstr (nth (reply, 0)->received, ==, "192.0.2.1:5060/udp");
  g_assert_cmpstr (nth (reply, 0)->user_agent, ==, "test/1.0");
  g_assert_cmpuint (f->changed, ==, 1);
  g_assert_cmpstr (f->last_changed, ==, "alice");
  g_assert_true (mcu_registrar_is_user (f->reg, "alice"));
  g_assert_cmpuint (f->store->rows->len, ==, 1);

  f->now += 100;
  g_assert_cmpuint (do_register (f, "alice", "c1", 2, 600,
                        CONTACTS ("sip:alice@192.0.2.1:5062"), NULL),
      ==, 200);
  found = mcu_registrar_lookup (f->reg, "alice");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpint (nth (found, 0)->expires_at, ==, f->now + 600);
  g_assert_cmpuint (nth (found, 0)->cseq, ==, 2);
  g_assert_cmpuint (f->changed, ==, 2);
  g_assert_cmpint (
      ((McuBinding *)f->store->rows->pdata[0])->expires_at, ==, f->now + 600);
}

static void
test_several_contacts_q_order (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GPtrArray) all = NULL;

  g_assert_cmpuint (
      do_register (f, "alice", "c1", 1, 300,
          CONTACTS ("sip:a@192.0.2.1;q=0.2", "sip:b@192.0.2.2;q=0.9",
              "sip:c@192.0.2.3;expires=120"),
          NULL),
      ==, 200);
  g_assert_cmpuint (do_register (f, "bob", "c2", 1, 300,
                        CONTACTS ("sip:bob@192.0.2.4"), NULL),
      ==, 200);
  found = mcu_registrar_lookup (f->reg, "alice");
  g_assert_cmpuint (found->len, ==, 3);
  /* best first: c (q absent = 1.0), b (0.9), a (0.2) */
  g_assert_cmpstr (nth (found, 0)->contact, ==, "sip:c@192.0.2.3");
  g_assert_cmpint (nth (found, 0)->expires_at, ==, f->now + 120);
  g_assert_cmpstr (nth (found, 1)->contact, ==, "sip:b@192.0.2.2");
  g_assert_cmpfloat (nth (found, 1)->q, ==, 0.9);
  g_assert_cmpint (nth (found, 1)->expires_at, ==, f->now + 300);
  g_assert_cmpstr (nth (found, 2)->contact, ==, "sip:a@192.0.2.1");
  all = mcu_registrar_list (f->reg);
  g_assert_cmpuint (all->len, ==, 4);
  g_assert_cmpstr (nth (all, 0)->aor, ==, "alice");
  g_assert_cmpstr (nth (all, 3)->aor, ==, "bob");
}

static void
test_remove_one_and_wildcard (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) reply = NULL;
  g_autoptr (GPtrArray) found = NULL;

  do_register (f, "alice", "c1", 1, 300,
      CONTACTS ("sip:a@192.0.2.1", "sip:b@192.0.2.2", "sip:c@192.0.2.3"), NULL);
  g_assert_cmpuint (do_register (f, "bob", "c9", 1, 300,
                        CONTACTS ("sip:bob@192.0.2.4"), NULL),
      ==, 200);
  /* Expires: 0 on one contact */
  g_assert_cmpuint (do_register (f, "alice", "c1", 2, 0,
                        CONTACTS ("sip:b@192.0.2.2"), &reply),
      ==, 200);
  g_assert_cmpuint (reply->len, ==, 2);
  /* expires=0 param, header says 300 */
  g_clear_pointer (&reply, g_ptr_array_unref);
  g_assert_cmpuint (do_register (f, "alice", "c1", 3, 300,
                        CONTACTS ("sip:a@192.0.2.1;expires=0"), &reply),
      ==, 200);
  g_assert_cmpuint (reply->len, ==, 1);
  g_assert_cmpstr (nth (reply, 0)->contact, ==, "sip:c@192.0.2.3");
  /* removing what is not there is fine */
  g_assert_cmpuint (do_register (f, "alice", "c1", 4, 0,
                        CONTACTS ("sip:zzz@192.0.2.9"), NULL),
      ==, 200);
  /* wildcard with a non-zero Expires, or with more contacts: 400 */
  g_assert_cmpuint (
      do_register (f, "alice", "c7", 1, 300, CONTACTS ("*"), NULL), ==, 400);
  g_assert_cmpuint (
      do_register (f, "alice", "c7", 1, -1, CONTACTS ("*"), NULL), ==, 400);
  g_assert_cmpuint (do_register (f, "alice", "c7", 1, 0,
                        CONTACTS ("*", "sip:d@192.0.2.4"), NULL),
      ==, 400);
  /* Contact: * with Expires: 0 from another Call-ID removes all */
  g_clear_pointer (&reply, g_ptr_array_unref);
  g_assert_cmpuint (
      do_register (f, "alice", "c7", 1, 0, CONTACTS ("*"), &reply), ==, 200);
  g_assert_cmpuint (reply->len, ==, 0);
  found = mcu_registrar_lookup (f->reg, "alice");
  g_assert_cmpuint (found->len, ==, 0);
  g_assert_false (mcu_registrar_is_user (f->reg, "alice"));
  /* bob untouched, in memory and in the store */
  g_clear_pointer (&found, g_ptr_array_unref);
  found = mcu_registrar_lookup (f->reg, "bob");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpuint (f->store->rows->len, ==, 1);
}

static void
test_query (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) reply = NULL;
  g_autoptr (GPtrArray) empty = NULL;
  guint writes;

  do_register (f, "alice", "c1", 1, 300,
      CONTACTS ("sip:a@192.0.2.1", "sip:b@192.0.2.2"), NULL);
  writes = f->store->writes;
  f->changed = 0;
  g_assert_cmpuint (
      do_register (f, "alice", "q1", 1, -1, NULL, &reply), ==, 200);
  g_assert_cmpuint (reply->len, ==, 2);
  g_assert_cmpuint (f->changed, ==, 0);
  g_assert_cmpuint (f->store->writes, ==, writes);
  g_assert_cmpuint (
      do_register (f, "nobody", "q2", 1, -1, NULL, &empty), ==, 200);
  g_assert_cmpuint (empty->len, ==, 0);
}

static void
test_cseq_ordering (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) found = NULL;

  do_register (f, "alice", "c1", 5, 300, CONTACTS ("sip:a@192.0.2.1"), NULL);
  f->now += 10;
  /* same Call-ID, older or equal CSeq: refused, nothing changes */
  g_assert_cmpuint (do_register (f, "alice", "c1", 4, 900,
                        CONTACTS ("sip:a@192.0.2.1"), NULL),
      ==, 500);
  g_assert_cmpuint (
      do_register (f, "alice", "c1", 5, 0, CONTACTS ("sip:a@192.0.2.1"), NULL),
      ==, 500);
  g_assert_cmpuint (
      do_register (f, "alice", "c1", 5, 0, CONTACTS ("*"), NULL), ==, 500);
  found = mcu_registrar_lookup (f->reg, "alice");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpint (nth (found, 0)->expires_at, ==, f->now - 10 + 300);
  /* an older CSeq from another Call-ID (another phone restarting) wins */
  g_assert_cmpuint (do_register (f, "alice", "c2", 1, 900,
                        CONTACTS ("sip:a@192.0.2.1"), NULL),
      ==, 200);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = mcu_registrar_lookup (f->reg, "alice");
  g_assert_cmpstr (nth (found, 0)->call_id, ==, "c2");
  g_assert_cmpint (nth (found, 0)->expires_at, ==, f->now + 900);
}

static void
test_interval_too_brief_and_max (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GPtrArray) reply = NULL;

  /* one too-brief contact fails the whole request */
  g_assert_cmpuint (
      do_register (f, "alice", "c1", 1, 300,
          CONTACTS ("sip:a@192.0.2.1", "sip:b@192.0.2.2;expires=30"), NULL),
      ==, 423);
  g_assert_cmpuint (
      do_register (f, "alice", "c1", 2, 59, CONTACTS ("sip:a@192.0.2.1"), NULL),
      ==, 423);
  found = mcu_registrar_lookup (f->reg, "alice");
  g_assert_cmpuint (found->len, ==, 0);
  g_assert_cmpuint (f->changed, ==, 0);
  /* exactly the minimum is fine; more than the maximum is clamped */
  g_assert_cmpuint (
      do_register (f, "alice", "c1", 3, 60, CONTACTS ("sip:a@192.0.2.1"), NULL),
      ==, 200);
  g_assert_cmpuint (do_register (f, "alice", "c1", 4, 86400,
                        CONTACTS ("sip:a@192.0.2.1"), &reply),
      ==, 200);
  g_assert_cmpint (nth (reply, 0)->expires_at, ==, f->now + 3600);
}

static void
test_forbidden_and_domain (Fixture *f, gconstpointer data)
{
  McuRegisterContact c = { "sip:a@192.0.2.1", -1, -1 };
  McuRegisterRequest req = {
    .aor_user = "alice",
    .aor_domain = "example.com",
    .call_id = "c1",
    .cseq = 1,
    .expires = 300,
    .contacts = &c,
    .n_contacts = 1,
    .auth_user = "bob",
  };
  McuRegisterResult result = { 0 };

  mcu_registrar_process (f->reg, &req, &result);
  g_assert_cmpuint (result.status, ==, 403);
  req.auth_user = "alice";
  req.aor_domain = "elsewhere.org";
  mcu_registrar_process (f->reg, &req, &result);
  g_assert_cmpuint (result.status, ==, 404);
  req.aor_domain = "EXAMPLE.COM";
  mcu_registrar_process (f->reg, &req, &result);
  g_assert_cmpuint (result.status, ==, 200);
  mcu_register_result_clear (&result);
  req.aor_domain = "127.0.0.1";
  req.cseq = 2;
  mcu_registrar_process (f->reg, &req, &result);
  g_assert_cmpuint (result.status, ==, 200);
  mcu_register_result_clear (&result);
  req.aor_user = "";
  mcu_registrar_process (f->reg, &req, &result);
  g_assert_cmpuint (result.status, ==, 404);
}

static void
test_expiry (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GPtrArray) later = NULL;

  do_register (f, "alice", "c1", 1, 300,
      CONTACTS ("sip:a@192.0.2.1", "sip:b@192.0.2.2;expires=100"), NULL);
  g_assert_true (mcu_registrar_is_user (f->reg, "carol")); /* configured */
  g_assert_false (mcu_registrar_is_user (f->reg, "dave"));
  f->changed = 0;
  f->now += 100; /* b expires exactly now */
  found = mcu_registrar_lookup (f->reg, "alice");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (nth (found, 0)->contact, ==, "sip:a@192.0.2.1");
  mcu_registrar_purge_expired (f->reg);
  g_assert_cmpuint (f->changed, ==, 1);
  g_assert_cmpuint (f->store->rows->len, ==, 1);
  f->now += 200;
  later = mcu_registrar_lookup (f->reg, "alice");
  g_assert_cmpuint (later->len, ==, 0);
  g_assert_false (mcu_registrar_is_user (f->reg, "alice"));
  mcu_registrar_purge_expired (f->reg);
  g_assert_cmpuint (f->changed, ==, 2);
  g_assert_cmpuint (f->store->rows->len, ==, 0);
  mcu_registrar_purge_expired (f->reg);
  g_assert_cmpuint (f->changed, ==, 2);
}

static void
test_store_failure_keeps_memory (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) found = NULL;

  do_register (f, "alice", "c1", 1, 300, CONTACTS ("sip:a@192.0.2.1"), NULL);
  f->store->fail = TRUE;
  store_warnings = 0;
  g_assert_cmpuint (do_register (f, "alice", "c1", 2, 300,
                        CONTACTS ("sip:b@192.0.2.2"), NULL),
      ==, 500);
  g_assert_cmpuint (store_warnings, ==, 1);
  found = mcu_registrar_lookup (f->reg, "alice");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpuint (f->changed, ==, 1);
}

static void
test_restart_loads_store (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) found = NULL;

  do_register (f, "alice", "c1", 1, 300,
      CONTACTS ("sip:a@192.0.2.1", "sip:b@192.0.2.2;expires=100"), NULL);
  g_clear_object (&f->reg);
  f->now += 150;
  f->reg = make_registrar (f);
  found = mcu_registrar_lookup (f->reg, "alice");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (nth (found, 0)->contact, ==, "sip:a@192.0.2.1");
  g_assert_cmpuint (f->store->rows->len, ==, 1); /* purged on load */
  /* the reloaded binding keeps its Call-ID/CSeq for the ordering rule */
  g_assert_cmpuint (do_register (f, "alice", "c1", 1, 300,
                        CONTACTS ("sip:a@192.0.2.1"), NULL),
      ==, 500);
}

/* Counts (and swallows) the warning a failing store must give; anything
 * else goes to the default writer (fatal under G_DEBUG=fatal-warnings). */
static GLogWriterOutput
count_store_warnings (GLogLevelFlags level, const GLogField *fields,
    gsize n_fields, gpointer data)
{
  for (gsize i = 0; i < n_fields; i++) {
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0 &&
        g_str_has_prefix (fields[i].value, "storing the bindings of")) {
      store_warnings++;
      return G_LOG_WRITER_HANDLED;
    }
  }
  return g_log_writer_default (level, fields, n_fields, data);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (count_store_warnings, NULL, NULL);
#define ADD(path, fn) \
  g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/registrar/add-and-refresh", test_add_and_refresh);
  ADD ("/registrar/several-contacts-q-order", test_several_contacts_q_order);
  ADD ("/registrar/remove-one-and-wildcard", test_remove_one_and_wildcard);
  ADD ("/registrar/query", test_query);
  ADD ("/registrar/cseq-ordering", test_cseq_ordering);
  ADD ("/registrar/423-and-max", test_interval_too_brief_and_max);
  ADD ("/registrar/403-and-domain", test_forbidden_and_domain);
  ADD ("/registrar/expiry", test_expiry);
  ADD ("/registrar/max-contacts", test_max_contacts);
  ADD ("/registrar/max-per-source", test_max_per_source);
  ADD ("/registrar/store-failure", test_store_failure_keeps_memory);
  ADD ("/registrar/restart-loads-store", test_restart_loads_store);
#undef ADD
  return g_test_run ();
}
