/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one SIP dialog. Main thread only (sofia runs on the GLib main loop).
 *
 * The agent creates a call for each new INVITE (or for an outgoing call on
 * request), binds it as the nua handle's magic, and forwards that handle's
 * events here. Signals:
 *   "offer" (const gchar *sdp or NULL): a re-INVITE; answer it with
 *       mcu_sip_call_accept_update () or mcu_sip_call_reject_update ().
 *   "ack" (const gchar *sdp or NULL): the ACK, with the answer for a late
 *       offer.
 *   "progress" (guint status, const gchar *sdp or NULL): outgoing, 1xx.
 *   "answered" (const gchar *sdp or NULL): outgoing, the 2xx (ACKed).
 *   "failed" (guint status, const gchar *phrase): outgoing, final non-2xx.
 *   "update-answered" (guint status, const gchar *sdp or NULL): the final
 *       response to our re-INVITE.
 *   "terminated" (McuSipEndReason): the dialog is over; the handle is gone.
 *   "dtmf" (const gchar *digit, const gchar *method): a key in an INFO
 *       (method "info"; mcu-sip-info.c), once per INFO answered 200.
 */
#include "mcu-sip-call-private.h"

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/url.h>
#include <string.h>

#define SDP_TYPE        "application/sdp"
#define DTMF_RELAY_TYPE "application/dtmf-relay"
#define DTMF_MS         160 /* Duration= of an INFO digit */

struct _McuSipCall
{
  GObject parent_instance;

  nua_handle_t *nh; /* NULL once terminated */
  McuSipCallState state;
  McuSipEndReason end_reason;
  gboolean end_reason_set;
  gboolean outgoing;
  gboolean updating; /* our re-INVITE is pending */
  gchar *call_id;
  gchar *target;
  gchar *from_uri;
  gchar *display_name;
  gchar *remote_contact;
  gchar *offer;
  gchar *request_uri; /* outgoing: where the INVITE goes */
  gchar *source_ip;   /* incoming: the INVITE's sender */
  McuSipTransport transport;
  gboolean sips;        /* the Request-URI is sips: */
  gchar *local_contact; /* (nullable) our Contact; NULL: sofia-sip's */
  gboolean media_flowing;
  guint terminate_id; /* outgoing, never sent: "terminated" from idle */
  GStrv remote_allow; /* (nullable) its Allow; NULL when it sent none */
};

G_DEFINE_FINAL_TYPE (McuSipCall, mcu_sip_call, G_TYPE_OBJECT)

enum
{
  SIGNAL_OFFER,
  SIGNAL_ACK,
  SIGNAL_PROGRESS,
  SIGNAL_ANSWERED,
  SIGNAL_FAILED,
  SIGNAL_UPDATE_ANSWERED,
  SIGNAL_TERMINATED,
  SIGNAL_DTMF,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
mcu_sip_call_dispose (GObject *object)
{
  McuSipCall *self = MCU_SIP_CALL (object);

  g_clear_handle_id (&self->terminate_id, g_source_remove);
  if (self->nh) {
    nua_handle_bind (self->nh, NULL);
    nua_handle_destroy (self->nh);
    self->nh = NULL;
  }
  G_OBJECT_CLASS (mcu_sip_call_parent_class)->dispose (object);
}

static void
mcu_sip_call_finalize (GObject *object)
{
  McuSipCall *self = MCU_SIP_CALL (object);

  g_free (self->call_id);
  g_free (self->target);
  g_free (self->from_uri);
  g_free (self->display_name);
  g_free (self->remote_contact);
  g_free (self->offer);
  g_free (self->request_uri);
  g_free (self->source_ip);
  g_free (self->local_contact);
  g_strfreev (self->remote_allow);
  G_OBJECT_CLASS (mcu_sip_call_parent_class)->finalize (object);
}

static void
mcu_sip_call_class_init (McuSipCallClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GType type = G_TYPE_FROM_CLASS (klass);

  object_class->dispose = mcu_sip_call_dispose;
  object_class->finalize = mcu_sip_call_finalize;
  signals[SIGNAL_OFFER] = g_signal_new ("offer", type, G_SIGNAL_RUN_LAST, 0,
      NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_ACK] = g_signal_new ("ack", type, G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_PROGRESS] = g_signal_new ("progress", type, G_SIGNAL_RUN_LAST,
      0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  signals[SIGNAL_ANSWERED] = g_signal_new ("answered", type, G_SIGNAL_RUN_LAST,
      0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_FAILED] = g_signal_new ("failed", type, G_SIGNAL_RUN_LAST, 0,
      NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  signals[SIGNAL_UPDATE_ANSWERED] =
      g_signal_new ("update-answered", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
          NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  signals[SIGNAL_TERMINATED] = g_signal_new ("terminated", type,
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  signals[SIGNAL_DTMF] = g_signal_new ("dtmf", type, G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

void
mcu_sip_call_take_info_dtmf (McuSipCall *self, gchar digit)
{
  gchar text[2] = { digit, '\0' };

  g_signal_emit (self, signals[SIGNAL_DTMF], 0, text, "info");
}

static void
mcu_sip_call_init (McuSipCall *self)
{
}

gchar *
mcu_sip_unquote_display (const char *display)
{
  GString *s;
  gchar *text;

  if (display == NULL)
    return g_strdup ("");
  if (*display != '"') {
    text = g_strstrip (g_strdup (display));
  } else {
    s = g_string_new (NULL);
    for (const char *c = display + 1; *c && *c != '"'; c++) {
      if (*c == '\\' && c[1])
        c++;
      g_string_append_c (s, *c);
    }
    text = g_string_free (s, FALSE);
  }
  if (!g_utf8_validate (text, -1, NULL)) {
    gchar *valid = g_utf8_make_valid (text, -1);

    g_free (text);
    text = valid;
  }
  return text;
}

gchar *
mcu_sip_url_to_string (const url_t *url)
{
  char buf[1024];
  isize_t n;

  if (url == NULL)
    return g_strdup ("");
  n = url_e (buf, sizeof buf, url);
  if (n <= 0 || (gsize)n >= sizeof buf)
    return g_strdup ("");
  return g_utf8_make_valid (buf, n);
}

gchar *
mcu_sip_payload_text (const sip_t *sip)
{
  if (sip == NULL || sip->sip_payload == NULL || sip->sip_payload->pl_len == 0)
    return NULL;
  return g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

gchar *
mcu_sip_name_addr (const gchar *display, const gchar *uri)
{
  g_autoptr (GString) s = g_string_new (NULL);

  if (display == NULL || *display == '\0')
    return g_strdup_printf ("<%s>", uri);
  g_string_append_c (s, '"');
  for (const gchar *c = display; *c; c++) {
    if (*c == '"' || *c == '\\')
      g_string_append_c (s, '\\');
    if (*c != '\r' && *c != '\n')
      g_string_append_c (s, *c);
  }
  g_string_append_printf (s, "\" <%s>", uri);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static gchar *
url_user (const url_t *url)
{
  gchar *user;

  if (url == NULL || url->url_user == NULL)
    return g_strdup ("");
  user = g_uri_unescape_string (url->url_user, NULL);
  return user ? user : g_strdup ("");
}

static void
set_remote_allow (McuSipCall *self, const sip_t *sip)
{
  g_autoptr (GStrvBuilder) b = NULL;

  if (sip == NULL || sip->sip_allow == NULL)
    return;
  b = g_strv_builder_new ();
  for (const msg_list_t *k = (const msg_list_t *)sip->sip_allow; k;
       k = k->k_next)
    for (msg_param_t const *i = k->k_items; i && *i; i++)
      g_strv_builder_add (b, *i);
  g_strfreev (self->remote_allow);
  self->remote_allow = g_strv_builder_end (b);
}

gboolean
mcu_sip_call_remote_allows (McuSipCall *self, const gchar *method)
{
  g_return_val_if_fail (MCU_IS_SIP_CALL (self), FALSE);
  if (self->remote_allow == NULL)
    return TRUE;
  for (gchar **m = self->remote_allow; *m; m++)
    if (g_ascii_strcasecmp (*m, method) == 0)
      return TRUE;
  return FALSE;
}

static void
set_remote_contact (McuSipCall *self, const sip_t *sip)
{
  if (sip == NULL || sip->sip_contact == NULL)
    return;
  g_free (self->remote_contact);
  self->remote_contact = mcu_sip_url_to_string (sip->sip_contact->m_url);
}

/* The transport of the top Via ("SIP/2.0/TLS"). */
static McuSipTransport
via_transport (const sip_t *sip)
{
  const char *proto = sip && sip->sip_via ? sip->sip_via->v_protocol : NULL;
  const char *slash = proto ? strrchr (proto, '/') : NULL;

  if (slash && g_ascii_strcasecmp (slash + 1, "TLS") == 0)
    return MCU_SIP_TRANSPORT_TLS;
  if (slash && g_ascii_strcasecmp (slash + 1, "TCP") == 0)
    return MCU_SIP_TRANSPORT_TCP;
  return MCU_SIP_TRANSPORT_UDP;
}

/* The transport a Request-URI asks for. */
static McuSipTransport
uri_transport (const gchar *uri)
{
  su_home_t home[1] = { SU_HOME_INIT (home) };
  url_t *url = url_make (home, uri);
  McuSipTransport transport = MCU_SIP_TRANSPORT_UDP;
  char param[16];

  if (url && url->url_type == url_sips)
    transport = MCU_SIP_TRANSPORT_TLS;
  else if (url && url->url_params &&
           url_param (url->url_params, "transport", param, sizeof param) > 0) {
    if (g_ascii_strcasecmp (param, "tls") == 0)
      transport = MCU_SIP_TRANSPORT_TLS;
    else if (g_ascii_strcasecmp (param, "tcp") == 0)
      transport = MCU_SIP_TRANSPORT_TCP;
  }
  su_home_deinit (home);
  return transport;
}

McuSipCall *
mcu_sip_call_new_incoming (
    nua_handle_t *nh, const sip_t *sip, const gchar *source_ip)
{
  McuSipCall *self = g_object_new (MCU_TYPE_SIP_CALL, NULL);
  const url_t *ruri = sip->sip_request ? sip->sip_request->rq_url : NULL;

  self->nh = nh;
  self->state = MCU_SIP_CALL_STATE_INCOMING;
  nua_handle_bind (nh, (nua_hmagic_t *)self);
  self->call_id = g_strdup (sip->sip_call_id ? sip->sip_call_id->i_id : "");
  self->target = url_user (ruri);
  self->from_uri =
      mcu_sip_url_to_string (sip->sip_from ? sip->sip_from->a_url : NULL);
  self->display_name =
      mcu_sip_unquote_display (sip->sip_from ? sip->sip_from->a_display : NULL);
  set_remote_contact (self, sip);
  set_remote_allow (self, sip);
  self->offer = mcu_sip_payload_text (sip);
  self->source_ip = g_strdup (source_ip);
  self->transport = via_transport (sip);
  self->sips = ruri && ruri->url_type == url_sips;
  return self;
}

McuSipCall *
mcu_sip_call_new_outgoing (
    nua_t *nua, const gchar *request_uri, const gchar *to, const gchar *from)
{
  McuSipCall *self = g_object_new (MCU_TYPE_SIP_CALL, NULL);
  su_home_t home[1] = { SU_HOME_INIT (home) };
  sip_to_t *to_hdr = sip_to_make (home, to);

  self->outgoing = TRUE;
  self->state = MCU_SIP_CALL_STATE_IDLE;
  self->request_uri = g_strdup (request_uri);
  self->transport = uri_transport (request_uri);
  self->sips = g_str_has_prefix (request_uri, "sips:");
  self->call_id = g_uuid_string_random ();
  self->target = url_user (to_hdr ? to_hdr->a_url : NULL);
  self->from_uri = mcu_sip_url_to_string (to_hdr ? to_hdr->a_url : NULL);
  self->display_name =
      mcu_sip_unquote_display (to_hdr ? to_hdr->a_display : NULL);
  su_home_deinit (home);
  self->nh = nua_handle (nua, (nua_hmagic_t *)self, SIPTAG_TO_STR (to),
      SIPTAG_FROM_STR (from), TAG_END ());
  return self;
}

nua_handle_t *
mcu_sip_call_get_handle (McuSipCall *self)
{
  return self->nh;
}

const gchar *
mcu_sip_call_get_call_id (McuSipCall *self)
{
  return self->call_id;
}

const gchar *
mcu_sip_call_get_target (McuSipCall *self)
{
  return self->target;
}

const gchar *
mcu_sip_call_get_from_uri (McuSipCall *self)
{
  return self->from_uri;
}

const gchar *
mcu_sip_call_get_display_name (McuSipCall *self)
{
  return self->display_name;
}

const gchar *
mcu_sip_call_get_remote_contact (McuSipCall *self)
{
  return self->remote_contact;
}

const gchar *
mcu_sip_call_get_source_ip (McuSipCall *self)
{
  return self->source_ip;
}

void
mcu_sip_call_set_local_contact (McuSipCall *self, const gchar *contact)
{
  g_free (self->local_contact);
  self->local_contact = g_strdup (contact);
}

gboolean
mcu_sip_call_is_sips (McuSipCall *self)
{
  return self->sips;
}

McuSipTransport
mcu_sip_call_get_transport (McuSipCall *self)
{
  g_return_val_if_fail (MCU_IS_SIP_CALL (self), MCU_SIP_TRANSPORT_UDP);
  return self->transport;
}

gboolean
mcu_sip_call_is_secure (McuSipCall *self)
{
  g_return_val_if_fail (MCU_IS_SIP_CALL (self), FALSE);
  return self->transport == MCU_SIP_TRANSPORT_TLS;
}

void
mcu_sip_call_set_media_flowing (McuSipCall *self)
{
  g_return_if_fail (MCU_IS_SIP_CALL (self));
  self->media_flowing = TRUE;
}

gboolean
mcu_sip_call_is_half_open (McuSipCall *self)
{
  if (self->outgoing || self->nh == NULL)
    return FALSE;
  switch (self->state) {
    case MCU_SIP_CALL_STATE_INCOMING:
    case MCU_SIP_CALL_STATE_EARLY:
    case MCU_SIP_CALL_STATE_ANSWERED:
      return TRUE;
    case MCU_SIP_CALL_STATE_ESTABLISHED:
      return !self->media_flowing;
    default:
      return FALSE;
  }
}

McuSipCallState
mcu_sip_call_get_state (McuSipCall *self)
{
  return self->state;
}

gboolean
mcu_sip_call_is_outgoing (McuSipCall *self)
{
  return self->outgoing;
}

const gchar *
mcu_sip_call_get_offer (McuSipCall *self)
{
  return self->offer;
}

/* A Warning header value: 399 mcu "text", with quotes made safe. */
static gchar *
warning_value (const gchar *text)
{
  g_autofree gchar *safe = g_strdup (text);

  g_strdelimit (safe, "\"\\\r\n", '\'');
  return g_strdup_printf ("399 mcu \"%s\"", safe);
}

static void
set_end_reason (McuSipCall *self, McuSipEndReason reason)
{
  if (!self->end_reason_set) {
    self->end_reason = reason;
    self->end_reason_set = TRUE;
  }
}

/* Incoming calls that still await our final response. */
static gboolean
incoming_unanswered (McuSipCall *self)
{
  return !self->outgoing && self->nh &&
         (self->state == MCU_SIP_CALL_STATE_INCOMING ||
             self->state == MCU_SIP_CALL_STATE_EARLY);
}

void
mcu_sip_call_ringing (McuSipCall *self)
{
  g_return_if_fail (MCU_IS_SIP_CALL (self));
  if (!incoming_unanswered (self) || self->state != MCU_SIP_CALL_STATE_INCOMING)
    return;
  nua_respond (self->nh, SIP_180_RINGING,
      TAG_IF (self->local_contact, SIPTAG_CONTACT_STR (self->local_contact)),
      TAG_END ());
  self->state = MCU_SIP_CALL_STATE_EARLY;
}

void
mcu_sip_call_answer (McuSipCall *self, const gchar *sdp)
{
  g_return_if_fail (MCU_IS_SIP_CALL (self));
  if (!incoming_unanswered (self))
    return;
  nua_respond (self->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR (SDP_TYPE),
      SIPTAG_PAYLOAD_STR (sdp),
      TAG_IF (self->local_contact, SIPTAG_CONTACT_STR (self->local_contact)),
      TAG_END ());
  self->state = MCU_SIP_CALL_STATE_ANSWERED;
}

void
mcu_sip_call_reject (
    McuSipCall *self, guint status, const gchar *phrase, const gchar *warning)
{
  mcu_sip_call_reject_retry (self, status, phrase, warning, 0);
}

void
mcu_sip_call_reject_retry (McuSipCall *self, guint status, const gchar *phrase,
    const gchar *warning, guint retry_after)
{
  g_autofree gchar *w = warning ? warning_value (warning) : NULL;
  g_autofree gchar *retry =
      retry_after ? g_strdup_printf ("%u", retry_after) : NULL;

  g_return_if_fail (MCU_IS_SIP_CALL (self));
  if (!incoming_unanswered (self))
    return;
  set_end_reason (self, MCU_SIP_END_LOCAL);
  /* nua keeps the phrase pointer until it sends: give it one that lasts */
  nua_respond (self->nh, status, g_intern_string (phrase),
      TAG_IF (w, SIPTAG_WARNING_STR (w)),
      TAG_IF (retry, SIPTAG_RETRY_AFTER_STR (retry)), TAG_END ());
  self->state = MCU_SIP_CALL_STATE_CLOSING;
}

void
mcu_sip_call_redirect (McuSipCall *self, const gchar *contact)
{
  g_return_if_fail (MCU_IS_SIP_CALL (self));
  g_return_if_fail (contact != NULL);
  if (!incoming_unanswered (self))
    return;
  set_end_reason (self, MCU_SIP_END_LOCAL);
  nua_respond (self->nh, SIP_302_MOVED_TEMPORARILY,
      SIPTAG_CONTACT_STR (contact), TAG_END ());
  self->state = MCU_SIP_CALL_STATE_CLOSING;
}

void
mcu_sip_call_accept_update (McuSipCall *self, const gchar *sdp)
{
  g_return_if_fail (MCU_IS_SIP_CALL (self));
  if (self->nh == NULL)
    return;
  nua_respond (self->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR (SDP_TYPE),
      SIPTAG_PAYLOAD_STR (sdp),
      TAG_IF (self->local_contact, SIPTAG_CONTACT_STR (self->local_contact)),
      TAG_END ());
}

void
mcu_sip_call_reject_update (
    McuSipCall *self, guint status, const gchar *phrase, const gchar *warning)
{
  g_autofree gchar *w = warning ? warning_value (warning) : NULL;

  g_return_if_fail (MCU_IS_SIP_CALL (self));
  if (self->nh == NULL)
    return;
  nua_respond (self->nh, status, g_intern_string (phrase),
      TAG_IF (w, SIPTAG_WARNING_STR (w)), TAG_END ());
}

void
mcu_sip_call_invite (McuSipCall *self, const gchar *sdp)
{
  g_return_if_fail (MCU_IS_SIP_CALL (self));
  g_return_if_fail (self->outgoing);
  if (self->nh == NULL || self->state != MCU_SIP_CALL_STATE_IDLE)
    return;
  self->state = MCU_SIP_CALL_STATE_CALLING;
  nua_invite (self->nh, NUTAG_URL (self->request_uri),
      SIPTAG_CALL_ID_STR (self->call_id), SIPTAG_CONTENT_TYPE_STR (SDP_TYPE),
      SIPTAG_PAYLOAD_STR (sdp),
      TAG_IF (self->local_contact, SIPTAG_CONTACT_STR (self->local_contact)),
      TAG_END ());
}

gboolean
mcu_sip_call_update (McuSipCall *self, const gchar *sdp)
{
  g_return_val_if_fail (MCU_IS_SIP_CALL (self), FALSE);
  if (self->nh == NULL || self->updating ||
      self->state != MCU_SIP_CALL_STATE_ESTABLISHED)
    return FALSE;
  self->updating = TRUE;
  nua_invite (self->nh, SIPTAG_CONTENT_TYPE_STR (SDP_TYPE),
      SIPTAG_PAYLOAD_STR (sdp),
      TAG_IF (self->local_contact, SIPTAG_CONTACT_STR (self->local_contact)),
      TAG_END ());
  return TRUE;
}

void
mcu_sip_call_send_info_dtmf (McuSipCall *self, const gchar *digit)
{
  g_autofree gchar *body = NULL;

  g_return_if_fail (MCU_IS_SIP_CALL (self));
  g_return_if_fail (digit != NULL && digit[0] != '\0' && digit[1] == '\0' &&
                    strchr ("0123456789*#ABCDabcd", digit[0]) != NULL);
  if (self->nh == NULL || (self->state != MCU_SIP_CALL_STATE_ANSWERED &&
                              self->state != MCU_SIP_CALL_STATE_ESTABLISHED))
    return;
  body = g_strdup_printf (
      "Signal=%c\r\nDuration=%u\r\n", g_ascii_toupper (digit[0]), DTMF_MS);
  nua_info (self->nh, SIPTAG_CONTENT_TYPE_STR (DTMF_RELAY_TYPE),
      SIPTAG_PAYLOAD_STR (body), TAG_END ());
}

static void
on_r_info (McuSipCall *self, int status, const char *phrase)
{
  if (status >= 300)
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "MCU_CALL_ID",
        self->call_id, "MESSAGE", "INFO with a DTMF digit got %d %s", status,
        phrase ? phrase : "");
}

/* Drops the handle and says so: the end of every call. */
static void
terminate (McuSipCall *self)
{
  set_end_reason (self, MCU_SIP_END_ERROR);
  self->state = MCU_SIP_CALL_STATE_CLOSED;
  if (self->nh) {
    nua_handle_bind (self->nh, NULL);
    nua_handle_destroy (self->nh);
    self->nh = NULL;
  }
  g_signal_emit (self, signals[SIGNAL_TERMINATED], 0, (int)self->end_reason);
}

static gboolean
on_terminate_idle (gpointer data)
{
  McuSipCall *self = data;

  self->terminate_id = 0;
  terminate (self);
  return G_SOURCE_REMOVE;
}

void
mcu_sip_call_hangup (McuSipCall *self, const gchar *reason)
{
  g_return_if_fail (MCU_IS_SIP_CALL (self));
  if (self->nh == NULL)
    return;
  set_end_reason (self, MCU_SIP_END_LOCAL);
  switch (self->state) {
    case MCU_SIP_CALL_STATE_IDLE:
      self->state = MCU_SIP_CALL_STATE_CLOSING;
      self->terminate_id = g_idle_add (on_terminate_idle, self);
      return;
    case MCU_SIP_CALL_STATE_CALLING:
      nua_cancel (
          self->nh, TAG_IF (reason, SIPTAG_REASON_STR (reason)), TAG_END ());
      break;
    case MCU_SIP_CALL_STATE_INCOMING:
      nua_respond (self->nh, SIP_480_TEMPORARILY_UNAVAILABLE, TAG_END ());
      break;
    case MCU_SIP_CALL_STATE_EARLY:
      if (self->outgoing)
        nua_cancel (
            self->nh, TAG_IF (reason, SIPTAG_REASON_STR (reason)), TAG_END ());
      else
        nua_respond (self->nh, SIP_480_TEMPORARILY_UNAVAILABLE, TAG_END ());
      break;
    case MCU_SIP_CALL_STATE_ANSWERED:
    case MCU_SIP_CALL_STATE_ESTABLISHED:
      nua_bye (
          self->nh, TAG_IF (reason, SIPTAG_REASON_STR (reason)), TAG_END ());
      break;
    default:
      return;
  }
  self->state = MCU_SIP_CALL_STATE_CLOSING;
}

static void
on_call_state (McuSipCall *self, int status, tagi_t tags[])
{
  int callstate = -1;

  tl_gets (tags, NUTAG_CALLSTATE_REF (callstate), TAG_END ());
  if (callstate == nua_callstate_ready &&
      self->state == MCU_SIP_CALL_STATE_ANSWERED)
    self->state = MCU_SIP_CALL_STATE_ESTABLISHED;
  if (callstate != nua_callstate_terminated || self->nh == NULL)
    return;
  terminate (self);
}

/* Responses to our INVITE: the initial one (outgoing calls) or a
 * re-INVITE (either kind of call). */
static void
on_r_invite (McuSipCall *self, int status, const char *phrase, const sip_t *sip)
{
  g_autofree gchar *sdp = mcu_sip_payload_text (sip);

  if (self->updating) {
    if (status < 200)
      return;
    self->updating = FALSE;
    g_signal_emit (self, signals[SIGNAL_UPDATE_ANSWERED], 0, (guint)status,
        status < 300 ? sdp : NULL);
    return;
  }
  if (!self->outgoing || self->state == MCU_SIP_CALL_STATE_CLOSED)
    return;
  if (status < 200) {
    if (status == 100 || self->state == MCU_SIP_CALL_STATE_CLOSING)
      return;
    self->state = MCU_SIP_CALL_STATE_EARLY;
    g_signal_emit (self, signals[SIGNAL_PROGRESS], 0, (guint)status, sdp);
    return;
  }
  if (status < 300) {
    set_remote_contact (self, sip);
    set_remote_allow (self, sip);
    if (self->state == MCU_SIP_CALL_STATE_CLOSING)
      return; /* a 2xx crossing our CANCEL: nua ACKs it, we BYE below */
    self->state = MCU_SIP_CALL_STATE_ESTABLISHED;
    g_signal_emit (self, signals[SIGNAL_ANSWERED], 0, sdp);
    return;
  }
  set_end_reason (self, MCU_SIP_END_FAILED);
  if (self->state != MCU_SIP_CALL_STATE_CLOSING)
    g_signal_emit (
        self, signals[SIGNAL_FAILED], 0, (guint)status, phrase ? phrase : "");
  /* 401/407 leave the handle waiting for credentials we do not have. */
  if ((status == 401 || status == 407) && self->nh)
    terminate (self);
}

void
mcu_sip_call_handle_event (McuSipCall *self, nua_event_t event, int status,
    const char *phrase, const sip_t *sip, tagi_t tags[])
{
  g_autoptr (McuSipCall) hold = g_object_ref (self);
  g_autofree gchar *sdp = NULL;

  switch (event) {
    case nua_i_invite: /* re-INVITE */
      set_remote_allow (self, sip);
      sdp = mcu_sip_payload_text (sip);
      g_signal_emit (self, signals[SIGNAL_OFFER], 0, sdp);
      break;
    case nua_i_ack:
      sdp = mcu_sip_payload_text (sip);
      g_signal_emit (self, signals[SIGNAL_ACK], 0, sdp);
      break;
    case nua_r_invite:
      on_r_invite (self, status, phrase, sip);
      break;
    case nua_r_info:
      on_r_info (self, status, phrase);
      break;
    case nua_i_bye:
      set_end_reason (self, MCU_SIP_END_BYE);
      break;
    case nua_i_cancel:
      set_end_reason (self, MCU_SIP_END_CANCEL);
      break;
    case nua_i_state:
      on_call_state (self, status, tags);
      break;
    default:
      break;
  }
}
