/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the SIP user agent.
 *
 * Threads: sofia-sip runs on the GLib main context (su_glib root, threading
 * off), so nua callbacks, calls and signals all happen on the main thread.
 * The agent owns the nua stack and one ref on every live McuSipCall; it
 * drops that ref when the call emits "terminated". */
#include "mcu-sip-agent.h"
#include "mcu-sip-call-private.h"
#include "mcu-sip-message-private.h"
#include "mcu-registrar-private.h"
#include "mcu-auth-private.h"
#include "mcu-sip-log.h"
#include "mcu-sip-info.h"
#include "mcu-sip-tls-private.h"

#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/tport_tag.h>
#include <string.h>

G_DEFINE_QUARK (mcu - sip - error - quark, mcu_sip_error)

#define MCU_SIP_ALLOW \
  "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO, MESSAGE, REGISTER"

struct _McuSipAgent
{
  GObject parent_instance;

  su_home_t home[1];
  su_root_t *root;
  GSource *source;
  nua_t *nua;
  GHashTable *calls;        /* McuSipCall* (owned) set */
  McuRegistrar *registrar;  /* (nullable) REGISTER gets 405 without one */
  McuAuth *auth;            /* (nullable) no digest authentication */
  McuRateLimit *rate_limit; /* (nullable) no per-source rates */
  McuSipCallLimits limits;
  gboolean shutting_down;
  guint shutdown_timeout_id;
  gchar *tls_dir; /* (nullable) sofia-sip's agent.pem and cafile.pem */
  McuSipTlsContexts *tls_contexts; /* (nullable) sofia-sip's SSL_CTXs */
  gchar *host; /* the listen address, [bracketed] when IPv6 */
  guint port;
  guint tls_port;
};

G_DEFINE_FINAL_TYPE (McuSipAgent, mcu_sip_agent, G_TYPE_OBJECT)

enum
{
  SIGNAL_INCOMING_CALL,
  SIGNAL_INCOMING_MESSAGE,
  SIGNAL_SHUTDOWN_COMPLETE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
mcu_sip_agent_dispose (GObject *object)
{
  McuSipAgent *self = MCU_SIP_AGENT (object);

  g_clear_handle_id (&self->shutdown_timeout_id, g_source_remove);
  g_clear_pointer (&self->calls, g_hash_table_unref);
  g_clear_object (&self->registrar);
  g_clear_object (&self->auth);
  g_clear_object (&self->rate_limit);
  if (self->nua) {
    nua_destroy (self->nua);
    self->nua = NULL;
  }
  if (self->source) {
    g_source_destroy (self->source);
    g_clear_pointer (&self->source, g_source_unref);
  }
  if (self->root) {
    su_root_destroy (self->root);
    self->root = NULL;
  }
  G_OBJECT_CLASS (mcu_sip_agent_parent_class)->dispose (object);
}

static void
mcu_sip_agent_finalize (GObject *object)
{
  McuSipAgent *self = MCU_SIP_AGENT (object);

  su_home_deinit (self->home);
  g_clear_pointer (&self->tls_contexts, mcu_sip_tls_contexts_free);
  if (self->tls_dir) {
    mcu_sip_tls_dir_remove (self->tls_dir);
    g_free (self->tls_dir);
  }
  g_free (self->host);
  G_OBJECT_CLASS (mcu_sip_agent_parent_class)->finalize (object);
}

static void
mcu_sip_agent_class_init (McuSipAgentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_sip_agent_dispose;
  object_class->finalize = mcu_sip_agent_finalize;
  signals[SIGNAL_INCOMING_CALL] = g_signal_new ("incoming-call",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, MCU_TYPE_SIP_CALL);
  signals[SIGNAL_INCOMING_MESSAGE] =
      g_signal_new ("incoming-message", G_TYPE_FROM_CLASS (klass),
          G_SIGNAL_RUN_LAST, 0, g_signal_accumulator_true_handled, NULL, NULL,
          G_TYPE_BOOLEAN, 1, MCU_TYPE_SIP_MESSAGE);
  signals[SIGNAL_SHUTDOWN_COMPLETE] =
      g_signal_new ("shutdown-complete", G_TYPE_FROM_CLASS (klass),
          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
mcu_sip_agent_init (McuSipAgent *self)
{
  su_home_init (self->home);
  self->calls = g_hash_table_new_full (
      g_direct_hash, g_direct_equal, g_object_unref, NULL);
}

static void
on_call_terminated (McuSipCall *call, int reason, McuSipAgent *self)
{
  g_signal_handlers_disconnect_by_data (call, self);
  g_hash_table_remove (self->calls, call);
}

/* An INVITE body we cannot read, or an Accept without SDP: answer 415/406
 * before anything is created. Returns TRUE when it answered. */
static gboolean
reject_unusable_invite (McuSipAgent *self, nua_handle_t *nh, const sip_t *sip)
{
  const sip_content_type_t *ct = sip->sip_content_type;
  gboolean has_body = sip->sip_payload && sip->sip_payload->pl_len > 0;

  if (has_body &&
      (ct == NULL || ct->c_type == NULL ||
          g_ascii_strcasecmp (ct->c_type, "application/sdp") != 0)) {
    nua_respond (nh, SIP_415_UNSUPPORTED_MEDIA,
        SIPTAG_ACCEPT_STR ("application/sdp"),
        SIPTAG_WARNING_STR ("399 mcu \"only application/sdp bodies\""),
        NUTAG_WITH_THIS (self->nua), TAG_END ());
    return TRUE;
  }
  if (sip->sip_accept) {
    gboolean ok = FALSE;

    for (const sip_accept_t *a = sip->sip_accept; a; a = a->ac_next) {
      if (a->ac_type == NULL ||
          g_ascii_strcasecmp (a->ac_type, "application/sdp") == 0 ||
          g_str_equal (a->ac_type, "*/*") ||
          g_ascii_strcasecmp (a->ac_type, "application/*") == 0)
        ok = TRUE;
    }
    if (!ok) {
      nua_respond (nh, SIP_406_NOT_ACCEPTABLE,
          SIPTAG_ACCEPT_STR ("application/sdp"),
          SIPTAG_WARNING_STR ("399 mcu \"this server only speaks SDP\""),
          NUTAG_WITH_THIS (self->nua), TAG_END ());
      return TRUE;
    }
  }
  return FALSE;
}

/* Digest authentication for requests the config says need it: TRUE (with
 * @user set when credentials were checked) to go on, FALSE when the
 * request has been answered (401/403/400). */
static gboolean
authorize (McuSipAgent *self, nua_handle_t *nh, const sip_t *sip, gchar **user)
{
  *user = NULL;
  if (self->auth == NULL ||
      !mcu_auth_requires (self->auth, sip->sip_request->rq_method_name))
    return TRUE;
  return mcu_auth_check_request (self->auth, self->nua, nh, sip, user);
}

/* REGISTER: authenticate, then the registrar answers. */
static void
on_nua_register (McuSipAgent *self, nua_handle_t *nh, const sip_t *sip)
{
  g_autofree gchar *auth_user = NULL;
  g_autofree gchar *source = NULL;

  if (self->registrar == NULL || self->shutting_down) {
    nua_respond (nh, self->registrar ? 503 : 405,
        self->registrar ? "Service Unavailable" : "Method Not Allowed",
        SIPTAG_ALLOW_STR (MCU_SIP_ALLOW), NUTAG_WITH_THIS (self->nua),
        TAG_END ());
  } else if (!mcu_registrar_reject_malformed (
                 self->registrar, self->nua, nh, sip) &&
             authorize (self, nh, sip, &auth_user)) {
    source = mcu_auth_request_source (self->nua);
    mcu_registrar_handle_register (
        self->registrar, self->nua, nh, sip, auth_user, source);
  }
  nua_handle_destroy (nh);
}

/* The cap an INVITE from @ip would exceed, or NULL. */
static const gchar *
call_cap_reached (McuSipAgent *self, const gchar *ip)
{
  const McuSipCallLimits *l = &self->limits;
  GHashTableIter iter;
  gpointer key;
  guint half_open = 0, from_ip = 0;

  if (l->max_calls && g_hash_table_size (self->calls) >= l->max_calls)
    return "max-calls";
  if (l->max_half_open == 0 && l->max_half_open_per_source == 0)
    return NULL;
  g_hash_table_iter_init (&iter, self->calls);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    if (!mcu_sip_call_is_half_open (key))
      continue;
    half_open++;
    if (g_strcmp0 (mcu_sip_call_get_source_ip (key), ip) == 0)
      from_ip++;
  }
  if (l->max_half_open && half_open >= l->max_half_open)
    return "max-half-open";
  if (l->max_half_open_per_source && from_ip >= l->max_half_open_per_source)
    return "max-half-open-per-source";
  return NULL;
}

/* 503 with Retry-After when a call cap is reached; TRUE when answered. */
static gboolean
reject_over_cap (McuSipAgent *self, nua_handle_t *nh, const gchar *ip)
{
  const gchar *cap = call_cap_reached (self, ip);
  g_autofree gchar *retry = NULL;
  g_autofree gchar *safe_ip = NULL;

  if (cap == NULL)
    return FALSE;
  retry = g_strdup_printf ("%u", MAX (self->limits.retry_after, 1));
  nua_respond (nh, SIP_503_SERVICE_UNAVAILABLE, SIPTAG_RETRY_AFTER_STR (retry),
      NUTAG_WITH_THIS (self->nua), TAG_END ());
  safe_ip = mcu_sip_log_escape (ip);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE",
      "INVITE from %s rejected: status=503 (%s reached)", safe_ip, cap);
  return TRUE;
}

/* With TLS on, every call says which of our listeners it talks to: sofia-
 * sip picks one Contact for all (on loopback the last transport bound, so
 * a UDP caller would get sips:). A call over TLS gets sips: when its
 * Request-URI is sips: (RFC 3261 12.1.1), else ;transport=tls. */
static void
set_contact (McuSipAgent *self, McuSipCall *call)
{
  g_autofree gchar *contact = NULL;

  if (self->tls_dir == NULL)
    return;
  switch (mcu_sip_call_get_transport (call)) {
    case MCU_SIP_TRANSPORT_TLS:
      contact =
          mcu_sip_call_is_sips (call)
              ? g_strdup_printf ("<sips:%s:%u>", self->host, self->tls_port)
              : g_strdup_printf (
                    "<sip:%s:%u;transport=tls>", self->host, self->tls_port);
      break;
    case MCU_SIP_TRANSPORT_TCP:
      contact =
          g_strdup_printf ("<sip:%s:%u;transport=tcp>", self->host, self->port);
      break;
    case MCU_SIP_TRANSPORT_UDP:
    default:
      contact = g_strdup_printf ("<sip:%s:%u>", self->host, self->port);
      break;
  }
  mcu_sip_call_set_local_contact (call, contact);
}

static void
on_nua_invite (McuSipAgent *self, nua_handle_t *nh, const sip_t *sip)
{
  g_autofree gchar *auth_user = NULL;
  g_autofree gchar *ip = mcu_auth_request_ip (self->nua);
  g_autofree gchar *safe_target = NULL;
  g_autofree gchar *safe_from = NULL;
  McuSipCall *call;

  if (self->shutting_down) {
    nua_respond (nh, SIP_503_SERVICE_UNAVAILABLE, SIPTAG_RETRY_AFTER_STR ("5"),
        NUTAG_WITH_THIS (self->nua), TAG_END ());
    nua_handle_destroy (nh);
    return;
  }
  if (!authorize (self, nh, sip, &auth_user)) {
    nua_handle_destroy (nh);
    return;
  }
  if (reject_unusable_invite (self, nh, sip) ||
      reject_over_cap (self, nh, ip)) {
    nua_handle_destroy (nh);
    return;
  }
  call = mcu_sip_call_new_incoming (nh, sip, ip);
  set_contact (self, call);
  g_hash_table_add (self->calls, call);
  g_signal_connect (call, "terminated", G_CALLBACK (on_call_terminated), self);
  safe_target = mcu_sip_log_escape (mcu_sip_call_get_target (call));
  safe_from = mcu_sip_log_escape (mcu_sip_call_get_from_uri (call));
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "MCU_CALL_ID",
      mcu_sip_call_get_call_id (call), "MESSAGE", "INVITE for %s from %s%s",
      safe_target, safe_from, mcu_sip_call_is_secure (call) ? " over TLS" : "");
  g_signal_emit (self, signals[SIGNAL_INCOMING_CALL], 0, call);
}

/* A MESSAGE, inside a call's dialog (@call) or not: the handler of
 * "incoming-message" that returns TRUE answers it; none does: 404. */
static void
on_nua_message (
    McuSipAgent *self, nua_handle_t *nh, const sip_t *sip, McuSipCall *call)
{
  g_autoptr (McuSipMessage) message = NULL;
  g_autofree gchar *auth_user = NULL;
  g_autofree gchar *safe_target = NULL;
  g_autofree gchar *safe_from = NULL;
  gboolean handled = FALSE;

  if (self->shutting_down) {
    nua_respond (nh, SIP_503_SERVICE_UNAVAILABLE, NUTAG_WITH_THIS (self->nua),
        TAG_END ());
    if (call == NULL)
      nua_handle_destroy (nh);
    return;
  }
  if (!authorize (self, nh, sip, &auth_user)) {
    if (call == NULL)
      nua_handle_destroy (nh);
    return;
  }
  message = mcu_sip_message_new_incoming (self->nua, nh, sip, call);
  safe_target = mcu_sip_log_escape (mcu_sip_message_get_target (message));
  safe_from = mcu_sip_log_escape (mcu_sip_message_get_from_uri (message));
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE",
      "MESSAGE for %s from %s%s", safe_target, safe_from,
      call ? " (in a call)" : "");
  g_signal_emit (self, signals[SIGNAL_INCOMING_MESSAGE], 0, message, &handled);
  if (!handled)
    mcu_sip_message_respond (message, 404, "Not Found");
}

/* INFO (made an application method so that it is not answered 200
 * blindly): inside a call's dialog it is taken; outside one there is no
 * dialog for it (RFC 6086 4.2.1): 481. A DTMF body (mcu-sip-info.c) is
 * answered 200 and reported by the call; another Content-Type gets 415
 * with Accept, a bad body 400 with a Warning; an empty INFO 200. */
static void
on_nua_info (
    McuSipAgent *self, nua_handle_t *nh, McuSipCall *call, const sip_t *sip)
{
  const sip_payload_t *pl = sip->sip_payload;
  g_autofree gchar *why = NULL;
  g_autofree gchar *warning = NULL;
  g_autoptr (McuSipCall) hold = NULL;
  McuSipInfoResult result;
  gchar digit = 0;

  if (call == NULL) {
    nua_respond (
        nh, SIP_481_NO_TRANSACTION, NUTAG_WITH_THIS (self->nua), TAG_END ());
    nua_handle_destroy (nh);
    return;
  }
  result = mcu_sip_info_parse_dtmf (
      sip->sip_content_type ? sip->sip_content_type->c_type : NULL,
      pl ? pl->pl_data : NULL, pl ? pl->pl_len : 0, &digit, NULL, &why);
  if (why)
    warning = g_strdup_printf ("399 mcu \"%s\"", why);
  switch (result) {
    case MCU_SIP_INFO_UNSUPPORTED:
      nua_respond (nh, SIP_415_UNSUPPORTED_MEDIA,
          SIPTAG_ACCEPT_STR (MCU_SIP_INFO_ACCEPT),
          TAG_IF (warning, SIPTAG_WARNING_STR (warning)),
          NUTAG_WITH_THIS (self->nua), TAG_END ());
      return;
    case MCU_SIP_INFO_MALFORMED:
      nua_respond (nh, SIP_400_BAD_REQUEST,
          TAG_IF (warning, SIPTAG_WARNING_STR (warning)),
          NUTAG_WITH_THIS (self->nua), TAG_END ());
      return;
    case MCU_SIP_INFO_DTMF:
    case MCU_SIP_INFO_NO_KEY:
      break;
  }
  hold = g_object_ref (call);
  nua_respond (nh, SIP_200_OK, NUTAG_WITH_THIS (self->nua), TAG_END ());
  mcu_sip_call_handle_event (call, nua_i_info, 200, "OK", sip, NULL);
  if (result == MCU_SIP_INFO_DTMF)
    mcu_sip_call_take_info_dtmf (call, digit);
}

/* The top Via says TLS (sofia-sip drops requests whose top Via names
 * another transport than the one they came on). */
static gboolean
came_over_tls (const sip_t *sip)
{
  const char *proto = sip->sip_via ? sip->sip_via->v_protocol : NULL;
  gsize len = proto ? strlen (proto) : 0;

  return len > 4 && g_ascii_strcasecmp (proto + len - 4, "/TLS") == 0;
}

/* A request outside any dialog for a sips: URI that did not come over TLS:
 * it cannot be honoured (RFC 3261 26.2.2). 416 with a Warning saying why;
 * TRUE when it answered (and freed the handle). */
static gboolean
refuse_sips (
    McuSipAgent *self, nua_event_t event, nua_handle_t *nh, const sip_t *sip)
{
  if (sip->sip_request == NULL ||
      sip->sip_request->rq_url->url_type != url_sips || came_over_tls (sip))
    return FALSE;
  if (event != nua_i_invite && event != nua_i_register &&
      event != nua_i_message && event != nua_i_info && event != nua_i_options)
    return FALSE;
  nua_respond (nh, SIP_416_UNSUPPORTED_URI,
      SIPTAG_WARNING_STR (
          self->tls_dir ? "399 mcu \"sips: needs TLS: send it over TLS\""
                        : "399 mcu \"sips: needs TLS, not offered here\""),
      NUTAG_WITH_THIS (self->nua), TAG_END ());
  nua_handle_destroy (nh);
  return TRUE;
}

/* OPTIONS (an application method so that sips: can be refused): 200, to
 * which nua adds Allow, Accept and Supported. */
static void
on_nua_options (McuSipAgent *self, nua_handle_t *nh, McuSipCall *call)
{
  nua_respond (nh, SIP_200_OK, NUTAG_WITH_THIS (self->nua), TAG_END ());
  if (call == NULL)
    nua_handle_destroy (nh);
}

static void
on_nua_shutdown (McuSipAgent *self, int status)
{
  if (status < 200)
    return;
  g_clear_handle_id (&self->shutdown_timeout_id, g_source_remove);
  g_signal_emit (self, signals[SIGNAL_SHUTDOWN_COMPLETE], 0);
}

/* An indication after which an unowned handle has nothing more to do: any
 * request indication, or the call state reaching "terminated". */
static gboolean
handle_finished (nua_event_t event, tagi_t tags[])
{
  int callstate = -1;

  if (event >= nua_r_set_params) /* responses to our own requests */
    return FALSE;
  if (event != nua_i_state)
    return TRUE;
  tl_gets (tags, NUTAG_CALLSTATE_REF (callstate), TAG_END ());
  return callstate == nua_callstate_terminated;
}

static McuRateClass
rate_class (nua_event_t event, McuSipCall *call)
{
  switch (event) {
    case nua_i_invite:
      return call ? MCU_RATE_N_CLASSES : MCU_RATE_CLASS_INVITE;
    case nua_i_register:
      return MCU_RATE_CLASS_REGISTER;
    case nua_i_message:
      return MCU_RATE_CLASS_MESSAGE;
    case nua_i_subscribe:
      return call ? MCU_RATE_N_CLASSES : MCU_RATE_CLASS_SUBSCRIBE;
    default:
      return MCU_RATE_N_CLASSES;
  }
}

/* The per-source rate limit, first thing for a new request: TRUE when it
 * was answered 503 or dropped (and its handle freed, unless a call owns
 * it). */
static gboolean
rate_limited (
    McuSipAgent *self, nua_event_t event, nua_handle_t *nh, McuSipCall *call)
{
  McuRateClass klass = rate_class (event, call);
  g_autofree gchar *ip = NULL;
  g_autofree gchar *retry = NULL;

  if (self->rate_limit == NULL || klass == MCU_RATE_N_CLASSES)
    return FALSE;
  ip = mcu_auth_request_ip (self->nua);
  switch (mcu_rate_limit_check (self->rate_limit, ip, klass)) {
    case MCU_RATE_ALLOW:
      return FALSE;
    case MCU_RATE_DROP:
      /* Nothing of ours is spent on it. sofia-sip cannot be told to stay
       * silent from here (nua has already sent 100 Trying for an INVITE
       * and answers a handle destroyed unanswered with 480 by itself);
       * a firewall fed by the "rate limit" log line (fail2ban) makes the
       * drop silent. */
      if (call == NULL) {
        nua_handle_destroy (nh);
        return TRUE;
      }
      /* in a dialog: answer it like a reject */
      G_GNUC_FALLTHROUGH;
    case MCU_RATE_REJECT:
    default:
      retry = g_strdup_printf (
          "%u", mcu_rate_limit_retry_after (self->rate_limit, ip, klass));
      nua_respond (nh, SIP_503_SERVICE_UNAVAILABLE,
          SIPTAG_RETRY_AFTER_STR (retry), NUTAG_WITH_THIS (self->nua),
          TAG_END ());
      break;
  }
  if (call == NULL)
    nua_handle_destroy (nh);
  return TRUE;
}

static void
on_nua_event (nua_event_t event, int status, char const *phrase, nua_t *nua,
    nua_magic_t *magic, nua_handle_t *nh, nua_hmagic_t *hmagic,
    sip_t const *sip, tagi_t tags[])
{
  McuSipAgent *self = (McuSipAgent *)magic;
  /* Handles are bound to calls, or to outgoing MESSAGEs. */
  McuSipCall *call = hmagic && MCU_IS_SIP_CALL (hmagic) ? hmagic : NULL;

  if (event == nua_r_shutdown) {
    on_nua_shutdown (self, status);
    return;
  }
  if (hmagic && MCU_IS_SIP_MESSAGE (hmagic)) {
    mcu_sip_message_handle_event (hmagic, event, status, phrase, sip, tags);
    return;
  }
  if (nh && sip && rate_limited (self, event, nh, call))
    return;
  if (call == NULL && hmagic == NULL && nh && sip &&
      refuse_sips (self, event, nh, sip))
    return;
  if (event == nua_i_info && nh && sip) {
    on_nua_info (self, nh, call, sip);
    return;
  }
  if (event == nua_i_options && nh) {
    on_nua_options (self, nh, call);
    return;
  }
  if (event == nua_i_register && nh && sip) {
    on_nua_register (self, nh, sip);
    return;
  }
  if (event == nua_i_message && nh && sip) {
    on_nua_message (self, nh, sip, call);
    return;
  }
  if (call) {
    mcu_sip_call_handle_event (call, event, status, phrase, sip, tags);
    return;
  }
  if (event == nua_i_invite && nh && sip) {
    on_nua_invite (self, nh, sip);
    return;
  }
  /* Anything else on a handle nobody owns (OPTIONS, MESSAGE, a stray BYE,
   * a rejected INVITE's end) was answered by nua itself: free the handle
   * once nua is done with it, or it leaks with every such request. */
  if (nh && handle_finished (event, tags))
    nua_handle_destroy (nh);
}

/* The TLS files checked and copied where sofia-sip reads them. */
static gboolean
prepare_tls (McuSipAgent *self, const McuSipTlsOptions *options,
    McuSipTlsFiles **out, GError **error)
{
  g_autoptr (McuSipTlsFiles) files = NULL;

  self->tls_dir = mcu_sip_tls_dir_new (error);
  if (self->tls_dir == NULL || !mcu_sip_tls_init_openssl (self->tls_dir, error))
    return FALSE;
  files = mcu_sip_tls_files_load (options, error);
  if (files == NULL || !mcu_sip_tls_files_write (files, self->tls_dir, error))
    return FALSE;
  *out = g_steal_pointer (&files);
  return TRUE;
}

static void
log_certificate (const McuSipTlsFiles *files, const gchar *what)
{
  g_autofree gchar *subject = mcu_sip_log_escape (files->subject);

  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE",
      "TLS certificate %s: %s, valid until %s (%d days)", what, subject,
      files->not_after, files->days_left);
  if (files->days_left < 14)
    g_warning ("the TLS certificate %s expires in %d days (%s)", subject,
        files->days_left, files->not_after);
}

static gchar *
listen_url (const McuSipAgentOptions *options, const gchar *scheme, guint port,
    const gchar *params)
{
  gboolean v6 = strchr (options->listen, ':') != NULL;

  return g_strdup_printf (v6 ? "%s:[%s]:%u%s" : "%s:%s:%u%s", scheme,
      options->listen, port, params);
}

McuSipAgent *
mcu_sip_agent_new (const McuSipAgentOptions *options, GError **error)
{
  g_autoptr (McuSipAgent) self = g_object_new (MCU_TYPE_SIP_AGENT, NULL);
  g_autoptr (McuSipTlsFiles) tls = NULL;
  g_autofree gchar *url = NULL;
  g_autofree gchar *sips_url = NULL;
  const gchar *transport = "";

  self->host = g_strdup_printf (
      strchr (options->listen, ':') ? "[%s]" : "%s", options->listen);
  self->port = options->port;
  self->tls_port = options->tls_port;
  if (options->udp && !options->tcp)
    transport = ";transport=udp";
  else if (options->tcp && !options->udp)
    transport = ";transport=tcp";
  if (options->tls) {
    if (!prepare_tls (self, &options->tls_files, &tls, error))
      return NULL;
    sips_url = listen_url (options, "sips", options->tls_port, "");
  }
  /* TLS alone: the sips: URL is the only one. */
  if (options->udp || options->tcp)
    url = listen_url (options, "sip", options->port, transport);
  else
    url = g_steal_pointer (&sips_url);

  self->root = su_glib_root_create (self);
  su_root_threading (self->root, 0);
  self->source = su_glib_root_gsource (self->root);
  g_source_ref (self->source);
  g_source_attach (self->source, NULL);

  if (self->tls_dir) {
    self->tls_contexts = mcu_sip_tls_contexts_watch (error);
    if (self->tls_contexts == NULL)
      return NULL;
  }
  self->nua = nua_create (self->root, on_nua_event, (nua_magic_t *)self,
      NUTAG_URL (url), TAG_IF (sips_url, NUTAG_SIPS_URL (sips_url)),
      TAG_IF (self->tls_dir, TPTAG_CERTIFICATE (self->tls_dir)),
      TAG_IF (self->tls_dir,
          TPTAG_TLS_VERIFY_POLICY (options->tls_files.verify_client
                                       ? TPTLS_VERIFY_INCOMING
                                       : TPTLS_VERIFY_NONE)),
      TAG_IF (self->tls_dir, TPTAG_TLS_VERIFY_DATE (1)), NUTAG_MEDIA_ENABLE (0),
      SIPTAG_ALLOW_STR (MCU_SIP_ALLOW), NUTAG_AUTOANSWER (0),
      NUTAG_AUTOALERT (0), NUTAG_ENABLEMESSAGE (1),
      NUTAG_APPL_METHOD ("MESSAGE, INFO, OPTIONS"), NUTAG_ALLOW ("REGISTER"),
      SIPTAG_USER_AGENT_STR (options->user_agent ? options->user_agent : "mcu"),
      SIPTAG_ACCEPT_STR ("application/sdp"),
      TAG_IF (options->max_message_size,
          NTATAG_MAXSIZE (options->max_message_size)),
      TAG_END ());
  if (self->tls_contexts)
    mcu_sip_tls_contexts_stop (self->tls_contexts);
  if (self->nua == NULL) {
    g_set_error (error, MCU_SIP_ERROR, MCU_SIP_ERROR_BIND,
        "cannot listen on %s%s%s (address in use or not local?)", url,
        sips_url ? " and " : "", sips_url ? sips_url : "");
    return NULL;
  }
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE",
      "SIP agent on %s%s%s", url, sips_url ? " and " : "",
      sips_url ? sips_url : "");
  if (tls)
    log_certificate (tls, "loaded");
  return g_steal_pointer (&self);
}

gboolean
mcu_sip_agent_reload_tls (McuSipAgent *self, const McuSipTlsOptions *options,
    gboolean *restart_needed, GError **error)
{
  g_autoptr (McuSipTlsFiles) files = NULL;

  g_return_val_if_fail (MCU_IS_SIP_AGENT (self), FALSE);
  *restart_needed = FALSE;
  if (self->tls_dir == NULL)
    return TRUE;
  files = mcu_sip_tls_files_load (options, error);
  if (files == NULL || !mcu_sip_tls_files_write (files, self->tls_dir, error))
    return FALSE;
  /* sofia-sip's own contexts, if they were seen being made (else the
   * files are in place for the next start) */
  if (self->tls_contexts == NULL ||
      mcu_sip_tls_contexts_count (self->tls_contexts) == 0) {
    log_certificate (files, "checked again");
    *restart_needed = TRUE;
    return TRUE;
  }
  if (!mcu_sip_tls_contexts_apply (
          self->tls_contexts, files, self->tls_dir, error))
    return FALSE;
  log_certificate (files, "reloaded");
  return TRUE;
}

static gboolean
on_shutdown_timeout (gpointer data)
{
  McuSipAgent *self = data;

  self->shutdown_timeout_id = 0;
  g_warning ("SIP shutdown did not finish in time; stopping anyway");
  g_signal_emit (self, signals[SIGNAL_SHUTDOWN_COMPLETE], 0);
  return G_SOURCE_REMOVE;
}

void
mcu_sip_agent_shutdown (McuSipAgent *self)
{
  g_autoptr (GList) calls = NULL;

  g_return_if_fail (MCU_IS_SIP_AGENT (self));
  if (self->shutting_down)
    return;
  self->shutting_down = TRUE;
  calls = g_hash_table_get_keys (self->calls);
  for (GList *l = calls; l; l = l->next)
    mcu_sip_call_hangup (l->data, "SIP;cause=503;text=\"server shutdown\"");
  nua_shutdown (self->nua);
  self->shutdown_timeout_id =
      g_timeout_add_seconds (5, on_shutdown_timeout, self);
}

McuSipCall *
mcu_sip_agent_create_call (
    McuSipAgent *self, const McuSipCallOptions *options, GError **error)
{
  g_autofree gchar *to = NULL;
  g_autofree gchar *from = NULL;
  McuSipCall *call;

  g_return_val_if_fail (MCU_IS_SIP_AGENT (self), NULL);
  if (self->shutting_down) {
    g_set_error (error, MCU_SIP_ERROR, MCU_SIP_ERROR_SHUTDOWN,
        "the server is shutting down");
    return NULL;
  }
  if (!g_str_has_prefix (options->request_uri, "sip:") &&
      !g_str_has_prefix (options->request_uri, "sips:")) {
    g_set_error (error, MCU_SIP_ERROR, MCU_SIP_ERROR_BAD_URI,
        "not a SIP URI: %s", options->request_uri);
    return NULL;
  }
  to = mcu_sip_name_addr (options->to_display,
      options->to_uri ? options->to_uri : options->request_uri);
  from = mcu_sip_name_addr (options->from_display, options->from_uri);
  call = mcu_sip_call_new_outgoing (self->nua, options->request_uri, to, from);
  set_contact (self, call);
  if (mcu_sip_call_get_handle (call) == NULL) {
    g_object_unref (call);
    g_set_error (error, MCU_SIP_ERROR, MCU_SIP_ERROR_BAD_URI, "cannot call %s",
        options->request_uri);
    return NULL;
  }
  g_hash_table_add (self->calls, g_object_ref (call));
  g_signal_connect (call, "terminated", G_CALLBACK (on_call_terminated), self);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "MCU_CALL_ID",
      mcu_sip_call_get_call_id (call), "MESSAGE", "calling %s as %s",
      options->request_uri, from);
  return call;
}

void
mcu_sip_agent_send_message (McuSipAgent *self,
    const McuSipMessageOptions *options, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, mcu_sip_agent_send_message);
  if (self->shutting_down) {
    g_task_return_new_error (task, MCU_SIP_ERROR, MCU_SIP_ERROR_SHUTDOWN,
        "the server is shutting down");
    return;
  }
  mcu_sip_message_send (self->nua, options, task);
}

guint
mcu_sip_agent_send_message_finish (
    McuSipAgent *self, GAsyncResult *result, GError **error)
{
  gssize status;

  g_return_val_if_fail (g_task_is_valid (result, self), 0);
  status = g_task_propagate_int (G_TASK (result), error);
  return status < 0 ? 0 : (guint)status;
}

void
mcu_sip_agent_set_registrar (McuSipAgent *self, McuRegistrar *registrar)
{
  g_return_if_fail (MCU_IS_SIP_AGENT (self));
  g_set_object (&self->registrar, registrar);
}

void
mcu_sip_agent_set_auth (McuSipAgent *self, McuAuth *auth)
{
  g_return_if_fail (MCU_IS_SIP_AGENT (self));
  g_set_object (&self->auth, auth);
}

void
mcu_sip_agent_set_limits (
    McuSipAgent *self, McuRateLimit *rate_limit, const McuSipCallLimits *limits)
{
  g_return_if_fail (MCU_IS_SIP_AGENT (self));
  g_set_object (&self->rate_limit, rate_limit);
  if (limits)
    self->limits = *limits;
  else
    memset (&self->limits, 0, sizeof self->limits);
}

guint
mcu_sip_agent_get_n_calls (McuSipAgent *self)
{
  return g_hash_table_size (self->calls);
}
