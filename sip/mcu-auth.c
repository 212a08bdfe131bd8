/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: server-side digest authentication. Main thread only.
 *
 * Nonces are random and kept in a table with their issue time and the
 * highest nonce count seen, so an expired nonce earns stale=true and a
 * repeated count is refused. Failures are counted per user AND source
 * IP, so an attacker behind a NAT blocks neither the other users there nor
 * the right password from elsewhere. From max-failures on, each failure
 * blocks that pair for 1, 2, 4, ... seconds (up to max-backoff): while
 * blocked, requests get 403 with Retry-After and the password is not
 * even checked. A pair is forgotten failure-window seconds after its
 * block ends. Each failure is logged in one stable line for fail2ban:
 *   auth failure: user="alice" source=192.0.2.7 method=REGISTER
 *   reason=wrong-password
 * Passwords are hashed on arrival and never kept or logged. */
#include "mcu-auth-private.h"
#include "mcu-sip-log.h"

#include <gio/gio.h>

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/url.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/random.h>

#define MAX_NONCES 65536
/* (user, source IP) pairs with failures remembered: a stranger picks both
 * halves, so beyond this the pair that failed longest ago is forgotten. */
#define MAX_FAILURE_PAIRS 65536

typedef struct
{
  gchar *ha1_md5;    /* (nullable) */
  gchar *ha1_sha256; /* (nullable) */
  gchar *display;    /* (nullable) */
} AuthUser;

typedef struct
{
  gint64 issued;
  guint32 last_nc;
} NonceState;

typedef struct
{
  guint count;
  gint64 last;
  gint64 blocked_until; /* 0 = not blocked */
  GQueue *order;        /* McuAuth's failure_order */
  GList *link;          /* in it; data: the table's key */
} Failures;

struct _McuAuth
{
  GObject parent_instance;

  gchar *realm;
  gboolean for_register;
  gboolean for_invite;
  gboolean for_message;
  guint nonce_lifetime;
  guint max_failures;
  guint failure_window;
  guint max_backoff;
  McuBindingStore *store;
  McuClockFunc clock;
  gpointer clock_data;

  GHashTable *users;    /* name -> AuthUser* */
  GHashTable *nonces;   /* nonce -> NonceState* */
  GHashTable *failures; /* "user\nip" -> Failures* */
  GQueue failure_order; /* the keys of @failures, least recently failed
                         * first */
  guint max_failure_pairs;
  gint64 last_prune;
  gboolean no_md5;
  gboolean no_sha256;
};

G_DEFINE_FINAL_TYPE (McuAuth, mcu_auth, G_TYPE_OBJECT)

static void
auth_user_free (AuthUser *u)
{
  g_free (u->ha1_md5);
  g_free (u->ha1_sha256);
  g_free (u->display);
  g_free (u);
}

static void
failures_free (Failures *f)
{
  g_queue_delete_link (f->order, f->link);
  g_free (f);
}

static void
mcu_auth_dispose (GObject *object)
{
  McuAuth *self = MCU_AUTH (object);

  g_clear_object (&self->store);
  G_OBJECT_CLASS (mcu_auth_parent_class)->dispose (object);
}

static void
mcu_auth_finalize (GObject *object)
{
  McuAuth *self = MCU_AUTH (object);

  g_free (self->realm);
  g_hash_table_unref (self->users);
  g_hash_table_unref (self->nonces);
  g_hash_table_unref (self->failures);
  G_OBJECT_CLASS (mcu_auth_parent_class)->finalize (object);
}

static void
mcu_auth_class_init (McuAuthClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_auth_dispose;
  object_class->finalize = mcu_auth_finalize;
}

static void
mcu_auth_init (McuAuth *self)
{
  self->users = g_hash_table_new_full (
      g_str_hash, g_str_equal, g_free, (GDestroyNotify)auth_user_free);
  self->nonces =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->failures = g_hash_table_new_full (
      g_str_hash, g_str_equal, g_free, (GDestroyNotify)failures_free);
  g_queue_init (&self->failure_order);
}

static gint64
now_seconds (McuAuth *self)
{
  if (self->clock)
    return self->clock (self->clock_data);
  return g_get_monotonic_time () / G_USEC_PER_SEC;
}

McuAuth *
mcu_auth_new (const McuAuthOptions *options)
{
  McuAuth *self = g_object_new (MCU_TYPE_AUTH, NULL);

  self->realm = g_strdup (options->realm);
  self->for_register = options->for_register;
  self->for_invite = options->for_invite;
  self->for_message = options->for_message;
  self->nonce_lifetime = options->nonce_lifetime;
  self->max_failures = options->max_failures;
  self->failure_window = options->failure_window;
  self->max_backoff = options->max_backoff ? options->max_backoff : 300;
  self->max_failure_pairs = options->max_failure_pairs
                                ? options->max_failure_pairs
                                : MAX_FAILURE_PAIRS;
  self->no_md5 = options->no_md5;
  self->no_sha256 = options->no_sha256;
  self->store = options->store ? g_object_ref (options->store) : NULL;
  self->clock = options->clock;
  self->clock_data = options->clock_data;
  return self;
}

const gchar *
mcu_auth_get_realm (McuAuth *self)
{
  return self->realm;
}

gboolean
mcu_auth_requires (McuAuth *self, const gchar *method)
{
  g_return_val_if_fail (MCU_IS_AUTH (self), FALSE);
  if (g_strcmp0 (method, "REGISTER") == 0)
    return self->for_register;
  if (g_strcmp0 (method, "INVITE") == 0)
    return self->for_invite;
  if (g_strcmp0 (method, "MESSAGE") == 0)
    return self->for_message;
  return FALSE;
}

static gboolean
is_hex (const gchar *s, gsize len)
{
  if (strlen (s) != len)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (s[i]))
      return FALSE;
  return TRUE;
}

gboolean
mcu_auth_add_user (McuAuth *self, const gchar *name, const gchar *password,
    const gchar *ha1, const gchar *display)
{
  AuthUser *u;

  g_return_val_if_fail (MCU_IS_AUTH (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  if (ha1 && !is_hex (ha1, 32) && !is_hex (ha1, 64))
    return FALSE;
  if (password == NULL && ha1 == NULL)
    return FALSE;
  u = g_new0 (AuthUser, 1);
  if (password) {
    u->ha1_md5 = mcu_digest_ha1 (MCU_DIGEST_MD5, name, self->realm, password);
    u->ha1_sha256 =
        mcu_digest_ha1 (MCU_DIGEST_SHA256, name, self->realm, password);
  } else if (strlen (ha1) == 32) {
    u->ha1_md5 = g_ascii_strdown (ha1, -1);
  } else {
    u->ha1_sha256 = g_ascii_strdown (ha1, -1);
  }
  u->display = g_strdup (display);
  g_hash_table_replace (self->users, g_strdup (name), u);
  return TRUE;
}

/* The configured user, or one from the store (owned by @tmp). */
static AuthUser *
find_user (McuAuth *self, const gchar *name, AuthUser *tmp)
{
  AuthUser *u = g_hash_table_lookup (self->users, name);
  g_autoptr (McuStoredUser) stored = NULL;
  g_autoptr (GError) error = NULL;

  if (u || self->store == NULL)
    return u;
  stored = mcu_binding_store_lookup_user (self->store, name, &error);
  if (error)
    g_warning ("user lookup failed: %s", error->message);
  if (stored == NULL || g_strcmp0 (stored->realm, self->realm) != 0)
    return NULL;
  tmp->ha1_md5 = g_steal_pointer (&stored->ha1_md5);
  tmp->ha1_sha256 = g_steal_pointer (&stored->ha1_sha256);
  tmp->display = g_steal_pointer (&stored->display);
  if (tmp->ha1_md5 == NULL && tmp->ha1_sha256 == NULL)
    return NULL;
  return tmp;
}

static void
auth_user_clear (AuthUser *u)
{
  g_clear_pointer (&u->ha1_md5, g_free);
  g_clear_pointer (&u->ha1_sha256, g_free);
  g_clear_pointer (&u->display, g_free);
}

gboolean
mcu_auth_has_user (McuAuth *self, const gchar *name)
{
  AuthUser tmp = { 0 };
  gboolean found;

  g_return_val_if_fail (MCU_IS_AUTH (self), FALSE);
  found = find_user (self, name, &tmp) != NULL;
  auth_user_clear (&tmp);
  return found;
}

static gchar *
new_nonce (McuAuth *self)
{
  guint8 bytes[16];
  GString *hex = g_string_sized_new (33);
  NonceState *state;

  if (getrandom (bytes, sizeof bytes, 0) != sizeof bytes)
    for (guint i = 0; i < sizeof bytes; i++)
      bytes[i] = g_random_int_range (0, 256);
  for (guint i = 0; i < sizeof bytes; i++)
    g_string_append_printf (hex, "%02x", bytes[i]);
  if (g_hash_table_size (self->nonces) >= MAX_NONCES)
    g_hash_table_remove_all (self->nonces); /* clients see stale=true */
  state = g_new0 (NonceState, 1);
  state->issued = now_seconds (self);
  g_hash_table_replace (self->nonces, g_strdup (hex->str), state);
  return g_string_free (hex, FALSE);
}

static gboolean
failures_expired (McuAuth *self, const Failures *f, gint64 now)
{
  return now - MAX (f->last, f->blocked_until) >= self->failure_window;
}

/* Drops expired nonces and forgotten failures, at most once a second. */
static void
prune (McuAuth *self, gint64 now)
{
  GHashTableIter iter;
  gpointer value;

  if (now == self->last_prune)
    return;
  self->last_prune = now;
  g_hash_table_iter_init (&iter, self->nonces);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (now - ((NonceState *)value)->issued > self->nonce_lifetime)
      g_hash_table_iter_remove (&iter);
  g_hash_table_iter_init (&iter, self->failures);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (failures_expired (self, value, now))
      g_hash_table_iter_remove (&iter);
}

static gchar **
make_challenges (McuAuth *self, const gchar *user_hint, gboolean stale)
{
  AuthUser tmp = { 0 };
  AuthUser *u = user_hint ? find_user (self, user_hint, &tmp) : NULL;
  g_autofree gchar *nonce = new_nonce (self);
  GPtrArray *out = g_ptr_array_new ();

  /* MD5 first: RFC 8760 clients pick the challenge they support, but many
   * deployed ones (sipp 3.6, older phones) answer only the first one and
   * give up on SHA-256. */
  if ((u == NULL || u->ha1_md5) && !self->no_md5)
    g_ptr_array_add (out,
        mcu_digest_challenge (MCU_DIGEST_MD5, self->realm, nonce, NULL, stale));
  if ((u == NULL || u->ha1_sha256) && !self->no_sha256)
    g_ptr_array_add (out, mcu_digest_challenge (MCU_DIGEST_SHA256, self->realm,
                              nonce, NULL, stale));
  g_ptr_array_add (out, NULL);
  auth_user_clear (&tmp);
  return (gchar **)g_ptr_array_free (out, FALSE);
}

/* "ip" of "ip:port/transport" or "[v6]:port/transport". */
static gchar *
source_ip (const gchar *source)
{
  const gchar *end;

  if (source == NULL)
    return g_strdup ("unknown");
  if (source[0] == '[' && (end = strchr (source, ']')) != NULL)
    return g_strndup (source + 1, end - source - 1);
  end = strrchr (source, ':');
  return end ? g_strndup (source, end - source) : g_strdup (source);
}

/* scheme:user@host:port, lower-cased: the part of a URI both sides must
 * agree on for the digest-uri check (parameters may be reordered). */
static gchar *
uri_core (const gchar *uri)
{
  gsize n = strcspn (uri, ";?>");

  if (uri[0] == '<')
    return uri_core (uri + 1);
  return g_ascii_strdown (uri, n);
}

static gboolean
same_resource (const gchar *a, const gchar *b)
{
  g_autofree gchar *ca = uri_core (a);
  g_autofree gchar *cb = uri_core (b);

  return g_str_equal (ca, cb);
}

static gchar *
failure_key (const gchar *user, const gchar *ip)
{
  return g_strdup_printf ("%s\n%s", user ? user : "", ip);
}

/* Counts a failure of @user from @ip; returns the seconds that pair is now
 * blocked for (0: not blocked yet). */
static guint
count_failure (McuAuth *self, const gchar *user, const gchar *ip, gint64 now)
{
  g_autofree gchar *key = failure_key (user, ip);
  Failures *f = g_hash_table_lookup (self->failures, key);
  guint block, shift;

  if (f == NULL) {
    if (g_hash_table_size (self->failures) >= self->max_failure_pairs)
      g_hash_table_remove (
          self->failures, g_queue_peek_head (&self->failure_order));
    f = g_new0 (Failures, 1);
    f->order = &self->failure_order;
    f->link = g_list_alloc ();
    f->link->data = key;
    g_queue_push_tail_link (&self->failure_order, f->link);
    g_hash_table_replace (self->failures, g_steal_pointer (&key), f);
  } else {
    g_queue_unlink (&self->failure_order, f->link);
    g_queue_push_tail_link (&self->failure_order, f->link);
  }
  f->count++;
  f->last = now;
  if (self->max_failures == 0 || f->count < self->max_failures)
    return 0;
  shift = MIN (f->count - self->max_failures, 30u);
  block = MIN ((guint64)1 << shift, (guint64)self->max_backoff);
  f->blocked_until = now + block;
  return block;
}

/* Seconds @user from @ip is still blocked for, 0 when not blocked. */
static guint
blocked_for (McuAuth *self, const gchar *user, const gchar *ip, gint64 now)
{
  g_autofree gchar *key = failure_key (user, ip);
  Failures *f = g_hash_table_lookup (self->failures, key);

  if (f == NULL)
    return 0;
  if (failures_expired (self, f, now)) {
    g_hash_table_remove (self->failures, key);
    return 0;
  }
  return f->blocked_until > now ? (guint)(f->blocked_until - now) : 0;
}

static gboolean
is_digest (const gchar *credentials)
{
  return g_ascii_strncasecmp (credentials, "Digest", 6) == 0 &&
         (credentials[6] == ' ' || credentials[6] == '\t');
}

/* Our realm's Digest credentials. Other schemes are ignored (RFC 4475
 * section 3.3.7: challenge with one we know); malformed Digest ones set
 * @bad. */
static McuDigestCredentials *
find_credentials (McuAuth *self, const gchar *const *credentials, gboolean *bad)
{
  *bad = FALSE;
  for (guint i = 0; credentials && credentials[i]; i++) {
    McuDigestCredentials *c;

    if (!is_digest (credentials[i]))
      continue;
    c = mcu_digest_credentials_parse (credentials[i]);
    if (c == NULL) {
      *bad = TRUE;
      continue;
    }
    if (g_str_equal (c->realm, self->realm))
      return c;
    mcu_digest_credentials_free (c);
  }
  return NULL;
}

/* The nonce check after a correct response: fresh and with a new count. */
static gboolean
nonce_fresh (McuAuth *self, const McuDigestCredentials *c, gint64 now)
{
  NonceState *state = g_hash_table_lookup (self->nonces, c->nonce);
  guint64 nc;

  if (state == NULL || now - state->issued > self->nonce_lifetime)
    return FALSE;
  if (c->qop == NULL)
    return TRUE;
  if (!is_hex (c->nc, 8))
    return FALSE;
  nc = g_ascii_strtoull (c->nc, NULL, 16);
  if (nc <= state->last_nc)
    return FALSE; /* a replay */
  state->last_nc = nc;
  return TRUE;
}

/* The fail2ban line: one per failed authentication, fixed format. */
static void
log_failure (const gchar *user, const gchar *ip, const gchar *method,
    const gchar *reason, guint blocked)
{
  g_autofree gchar *safe_user = mcu_sip_log_escape (user);
  g_autofree gchar *safe_ip = mcu_sip_log_escape (ip);
  g_autofree gchar *safe_method = mcu_sip_log_escape (method);

  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "MCU_AUTH_USER", safe_user,
      "MESSAGE",
      "auth failure: user=\"%s\" source=%s method=%s reason=%s blocked=%u",
      safe_user, safe_ip, safe_method, reason, blocked);
}

static McuAuthVerdict
fail (McuAuth *self, const gchar *ip, gint64 now, const gchar *user,
    const gchar *method, const gchar *reason, guint *retry_after)
{
  guint block = count_failure (self, user, ip, now);

  log_failure (user, ip, method, reason, block);
  *retry_after = block;
  return block ? MCU_AUTH_FORBIDDEN : MCU_AUTH_CHALLENGE;
}

/* The verdict without the challenges. */
static McuAuthVerdict
check (McuAuth *self, const gchar *method, const gchar *uri,
    const gchar *const *credentials, const gchar *ip, const gchar *user_hint,
    gchar **user, guint *retry_after)
{
  gint64 now = now_seconds (self);
  g_autoptr (McuDigestCredentials) c = NULL;
  AuthUser tmp = { 0 };
  AuthUser *u;
  const gchar *ha1;
  McuDigestAlgorithm algorithm;
  gboolean sess, bad, ok;

  prune (self, now);
  c = find_credentials (self, credentials, &bad);
  /* blocked: answered without looking at the password */
  *retry_after = blocked_for (self, c ? c->username : user_hint, ip, now);
  if (*retry_after > 0) {
    g_autofree gchar *safe_user =
        mcu_sip_log_escape (c ? c->username : user_hint);

    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE",
        "auth blocked: user=\"%s\" source=%s method=%s status=403 "
        "retry-after=%u",
        safe_user, ip, method, *retry_after);
    return MCU_AUTH_FORBIDDEN;
  }
  if (c == NULL)
    return bad ? MCU_AUTH_BAD : MCU_AUTH_CHALLENGE;
  if (!mcu_digest_parse_algorithm (c->algorithm, &algorithm, &sess) ||
      (c->qop && g_ascii_strcasecmp (c->qop, "auth") != 0))
    return MCU_AUTH_CHALLENGE; /* not something we offered */
  if (uri && !same_resource (uri, c->uri))
    return MCU_AUTH_BAD;
  u = find_user (self, c->username, &tmp);
  if (u == NULL)
    return fail (
        self, ip, now, c->username, method, "unknown-user", retry_after);
  ha1 = algorithm == MCU_DIGEST_SHA256 ? u->ha1_sha256 : u->ha1_md5;
  ok = ha1 && mcu_digest_verify (c, ha1, method);
  auth_user_clear (&tmp);
  if (ha1 == NULL)
    return MCU_AUTH_CHALLENGE; /* no HA1 for that algorithm */
  if (!ok)
    return fail (
        self, ip, now, c->username, method, "wrong-password", retry_after);
  if (!nonce_fresh (self, c, now))
    return MCU_AUTH_STALE;
  {
    g_autofree gchar *key = failure_key (c->username, ip);

    g_hash_table_remove (self->failures, key);
  }
  *user = g_strdup (c->username);
  return MCU_AUTH_OK;
}

McuAuthVerdict
mcu_auth_check (McuAuth *self, const gchar *method, const gchar *uri,
    const gchar *const *credentials, const gchar *source,
    const gchar *user_hint, gchar **user, gchar ***challenges)
{
  guint retry_after;

  return mcu_auth_check_full (self, method, uri, credentials, source, user_hint,
      user, challenges, &retry_after);
}

McuAuthVerdict
mcu_auth_check_full (McuAuth *self, const gchar *method, const gchar *uri,
    const gchar *const *credentials, const gchar *source,
    const gchar *user_hint, gchar **user, gchar ***challenges,
    guint *retry_after)
{
  g_autofree gchar *ip = source_ip (source);
  McuAuthVerdict verdict;

  g_return_val_if_fail (MCU_IS_AUTH (self), MCU_AUTH_FORBIDDEN);
  g_return_val_if_fail (method != NULL, MCU_AUTH_FORBIDDEN);
  *user = NULL;
  *challenges = NULL;
  *retry_after = 0;
  verdict =
      check (self, method, uri, credentials, ip, user_hint, user, retry_after);
  if (verdict == MCU_AUTH_CHALLENGE || verdict == MCU_AUTH_STALE)
    *challenges = make_challenges (self, user_hint, verdict == MCU_AUTH_STALE);
  return verdict;
}

/* --- the sofia side --- */

gchar *
mcu_auth_request_source (nua_t *nua)
{
  msg_t *msg = nua_current_request (nua);
  su_addrinfo_t *ai = msg ? msg_addrinfo (msg) : NULL;
  g_autoptr (GSocketAddress) sa = NULL;
  g_autofree gchar *ip = NULL;
  const gchar *transport;
  const sip_t *sip;
  guint16 port;

  if (ai == NULL || ai->ai_addr == NULL || ai->ai_addrlen == 0)
    return NULL;
  sa = g_socket_address_new_from_native (ai->ai_addr, ai->ai_addrlen);
  if (sa == NULL || !G_IS_INET_SOCKET_ADDRESS (sa))
    return NULL;
  ip = g_inet_address_to_string (
      g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa)));
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (sa));
  transport = ai->ai_protocol == IPPROTO_TCP ? "tcp" : "udp";
  /* TLS runs over TCP: the top Via tells (sofia-sip checks it against the
   * transport the request came on). */
  sip = sip_object (msg);
  if (ai->ai_protocol == IPPROTO_TCP && sip && sip->sip_via &&
      sip->sip_via->v_protocol &&
      g_str_has_suffix (sip->sip_via->v_protocol, "/TLS"))
    transport = "tls";
  if (strchr (ip, ':'))
    return g_strdup_printf ("[%s]:%u/%s", ip, port, transport);
  return g_strdup_printf ("%s:%u/%s", ip, port, transport);
}

gchar *
mcu_auth_request_ip (nua_t *nua)
{
  g_autofree gchar *source = mcu_auth_request_source (nua);

  return source_ip (source);
}

/* Each Authorization header as 'Digest a=b, c=d' (sofia keeps the quotes
 * of each parameter value). */
static gchar **
collect_credentials (const sip_t *sip)
{
  GPtrArray *out = g_ptr_array_new ();

  for (const sip_authorization_t *a = sip->sip_authorization; a;
       a = a->au_next) {
    GString *s = g_string_new (a->au_scheme ? a->au_scheme : "");

    for (guint i = 0; a->au_params && a->au_params[i]; i++)
      g_string_append_printf (s, "%s%s", i ? ", " : " ", a->au_params[i]);
    g_ptr_array_add (out, g_string_free (s, FALSE));
  }
  g_ptr_array_add (out, NULL);
  return (gchar **)g_ptr_array_free (out, FALSE);
}

gboolean
mcu_auth_check_request (
    McuAuth *self, nua_t *nua, nua_handle_t *nh, const sip_t *sip, gchar **user)
{
  g_auto (GStrv) credentials = collect_credentials (sip);
  g_auto (GStrv) challenges = NULL;
  g_autofree gchar *source = mcu_auth_request_source (nua);
  g_autofree gchar *uri = NULL;
  const gchar *method = sip->sip_request->rq_method_name;
  const url_t *hint_url;
  McuAuthVerdict verdict;
  guint retry_after = 0;
  g_autofree gchar *retry = NULL;
  su_home_t home[1] = { SU_HOME_INIT (home) };
  char *u = url_as_string (home, sip->sip_request->rq_url);

  uri = g_strdup (u);
  su_home_deinit (home);
  hint_url = sip->sip_request->rq_method == sip_method_register
                 ? (sip->sip_to ? sip->sip_to->a_url : NULL)
                 : (sip->sip_from ? sip->sip_from->a_url : NULL);
  verdict = mcu_auth_check_full (self, method, uri,
      (const gchar *const *)credentials, source,
      hint_url ? hint_url->url_user : NULL, user, &challenges, &retry_after);
  switch (verdict) {
    case MCU_AUTH_OK:
      return TRUE;
    case MCU_AUTH_CHALLENGE:
    case MCU_AUTH_STALE:
      nua_respond (nh, SIP_401_UNAUTHORIZED,
          TAG_IF (challenges[0], SIPTAG_WWW_AUTHENTICATE_STR (challenges[0])),
          TAG_IF (challenges[0] && challenges[1],
              SIPTAG_WWW_AUTHENTICATE_STR (challenges[1])),
          NUTAG_WITH_THIS (nua), TAG_END ());
      return FALSE;
    case MCU_AUTH_FORBIDDEN:
      retry = g_strdup_printf ("%u", MAX (retry_after, 1));
      nua_respond (nh, SIP_403_FORBIDDEN, SIPTAG_RETRY_AFTER_STR (retry),
          NUTAG_WITH_THIS (nua), TAG_END ());
      return FALSE;
    case MCU_AUTH_BAD:
    default:
      nua_respond (
          nh, 400, "Bad Credentials", NUTAG_WITH_THIS (nua), TAG_END ());
      return FALSE;
  }
}
