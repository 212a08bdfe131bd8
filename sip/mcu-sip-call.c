/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one SIP dialog. Main thread only (sofia runs on the GLib main loop).
 *
 * The agent creates a call for each new INVITE, binds it as the nua handle's
 * magic, and forwards that handle's events here. Signals:
 *   "offer" (const gchar *sdp or NULL): a re-INVITE; answer it with
 *       mcu_sip_call_accept_update () or mcu_sip_call_reject_update ().
 *   "ack" (const gchar *sdp or NULL): the ACK, with the answer for a late
 *       offer.
 *   "terminated" (McuSipEndReason): the dialog is over; the handle is gone.
 */
#include "mcu-sip-call-private.h"

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/url.h>

struct _McuSipCall
{
  GObject parent_instance;

  nua_handle_t *nh; /* NULL once terminated */
  McuSipCallState state;
  McuSipEndReason end_reason;
  gboolean end_reason_set;
  gchar *call_id;
  gchar *target;
  gchar *from_uri;
  gchar *display_name;
  gchar *offer;
};

G_DEFINE_FINAL_TYPE (McuSipCall, mcu_sip_call, G_TYPE_OBJECT)

enum
{
  SIGNAL_OFFER,
  SIGNAL_ACK,
  SIGNAL_TERMINATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
mcu_sip_call_dispose (GObject *object)
{
  McuSipCall *self = MCU_SIP_CALL (object);

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
  g_free (self->offer);
  G_OBJECT_CLASS (mcu_sip_call_parent_class)->finalize (object);
}

static void
mcu_sip_call_class_init (McuSipCallClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_sip_call_dispose;
  object_class->finalize = mcu_sip_call_finalize;
  signals[SIGNAL_OFFER] = g_signal_new ("offer", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_ACK] = g_signal_new ("ack", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_TERMINATED] =
      g_signal_new ("terminated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
mcu_sip_call_init (McuSipCall *self)
{
}

static gchar *
unquote_display (const char *display)
{
  GString *s;

  if (display == NULL)
    return g_strdup ("");
  if (*display != '"')
    return g_strstrip (g_strdup (display));
  s = g_string_new (NULL);
  for (const char *c = display + 1; *c && *c != '"'; c++) {
    if (*c == '\\' && c[1])
      c++;
    g_string_append_c (s, *c);
  }
  return g_string_free (s, FALSE);
}

static gchar *
url_to_string (const url_t *url)
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

static gchar *
payload_text (const sip_t *sip)
{
  if (sip == NULL || sip->sip_payload == NULL || sip->sip_payload->pl_len == 0)
    return NULL;
  return g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

McuSipCall *
mcu_sip_call_new_incoming (nua_handle_t *nh, const sip_t *sip)
{
  McuSipCall *self = g_object_new (MCU_TYPE_SIP_CALL, NULL);
  const url_t *ruri = sip->sip_request ? sip->sip_request->rq_url : NULL;
  g_autofree gchar *user = NULL;

  self->nh = nh;
  nua_handle_bind (nh, (nua_hmagic_t *)self);
  self->call_id = g_strdup (sip->sip_call_id ? sip->sip_call_id->i_id : "");
  if (ruri && ruri->url_user) {
    user = g_uri_unescape_string (ruri->url_user, NULL);
    self->target = user ? g_steal_pointer (&user) : g_strdup ("");
  } else {
    self->target = g_strdup ("");
  }
  self->from_uri = url_to_string (sip->sip_from ? sip->sip_from->a_url : NULL);
  self->display_name =
      unquote_display (sip->sip_from ? sip->sip_from->a_display : NULL);
  if (!g_utf8_validate (self->display_name, -1, NULL)) {
    gchar *valid = g_utf8_make_valid (self->display_name, -1);

    g_free (self->display_name);
    self->display_name = valid;
  }
  self->offer = payload_text (sip);
  return self;
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

McuSipCallState
mcu_sip_call_get_state (McuSipCall *self)
{
  return self->state;
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

void
mcu_sip_call_ringing (McuSipCall *self)
{
  g_return_if_fail (MCU_IS_SIP_CALL (self));
  if (self->nh == NULL || self->state != MCU_SIP_CALL_STATE_INCOMING)
    return;
  nua_respond (self->nh, SIP_180_RINGING, TAG_END ());
  self->state = MCU_SIP_CALL_STATE_EARLY;
}

void
mcu_sip_call_answer (McuSipCall *self, const gchar *sdp)
{
  g_return_if_fail (MCU_IS_SIP_CALL (self));
  if (self->nh == NULL || self->state > MCU_SIP_CALL_STATE_EARLY)
    return;
  nua_respond (self->nh, SIP_200_OK,
      SIPTAG_CONTENT_TYPE_STR ("application/sdp"), SIPTAG_PAYLOAD_STR (sdp),
      TAG_END ());
  self->state = MCU_SIP_CALL_STATE_ANSWERED;
}

void
mcu_sip_call_reject (
    McuSipCall *self, guint status, const gchar *phrase, const gchar *warning)
{
  g_autofree gchar *w = warning ? warning_value (warning) : NULL;

  g_return_if_fail (MCU_IS_SIP_CALL (self));
  if (self->nh == NULL || self->state > MCU_SIP_CALL_STATE_EARLY)
    return;
  set_end_reason (self, MCU_SIP_END_LOCAL);
  nua_respond (
      self->nh, status, phrase, TAG_IF (w, SIPTAG_WARNING_STR (w)), TAG_END ());
  self->state = MCU_SIP_CALL_STATE_CLOSING;
}

void
mcu_sip_call_accept_update (McuSipCall *self, const gchar *sdp)
{
  g_return_if_fail (MCU_IS_SIP_CALL (self));
  if (self->nh == NULL)
    return;
  nua_respond (self->nh, SIP_200_OK,
      SIPTAG_CONTENT_TYPE_STR ("application/sdp"), SIPTAG_PAYLOAD_STR (sdp),
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
  nua_respond (
      self->nh, status, phrase, TAG_IF (w, SIPTAG_WARNING_STR (w)), TAG_END ());
}

void
mcu_sip_call_hangup (McuSipCall *self, const gchar *reason)
{
  g_return_if_fail (MCU_IS_SIP_CALL (self));
  if (self->nh == NULL)
    return;
  set_end_reason (self, MCU_SIP_END_LOCAL);
  switch (self->state) {
    case MCU_SIP_CALL_STATE_INCOMING:
    case MCU_SIP_CALL_STATE_EARLY:
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

  set_end_reason (self, MCU_SIP_END_ERROR);
  self->state = MCU_SIP_CALL_STATE_CLOSED;
  nua_handle_bind (self->nh, NULL);
  nua_handle_destroy (self->nh);
  self->nh = NULL;
  g_signal_emit (self, signals[SIGNAL_TERMINATED], 0, (int)self->end_reason);
}

void
mcu_sip_call_handle_event (McuSipCall *self, nua_event_t event, int status,
    const char *phrase, const sip_t *sip, tagi_t tags[])
{
  g_autoptr (McuSipCall) hold = g_object_ref (self);
  g_autofree gchar *sdp = NULL;

  switch (event) {
    case nua_i_invite: /* re-INVITE */
      sdp = payload_text (sip);
      g_signal_emit (self, signals[SIGNAL_OFFER], 0, sdp);
      break;
    case nua_i_ack:
      sdp = payload_text (sip);
      g_signal_emit (self, signals[SIGNAL_ACK], 0, sdp);
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
