/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: SIP MESSAGE (RFC 3428). Main thread only.
 *
 * Incoming: the agent asks nua to leave MESSAGE to us (NUTAG_APPL_METHOD),
 * wraps each nua_i_message in an McuSipMessage holding the saved event, and
 * emits it; whoever handles it answers with mcu_sip_message_respond (), at
 * once or after forwarding it. An out-of-dialog MESSAGE has a handle of its
 * own, destroyed with the answer.
 * Outgoing: one handle per MESSAGE, bound to an McuSipMessage that holds
 * the GTask and ends it with the final status. */
#include "mcu-sip-message-private.h"
#include "mcu-sip-call-private.h"

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_tag.h>

#define TEXT_PLAIN "text/plain;charset=UTF-8"

struct _McuSipMessage
{
  GObject parent_instance;

  nua_t *nua;
  nua_handle_t *nh; /* incoming: the request's handle; outgoing: ours */
  gboolean own_nh;  /* destroy nh when done (not a call's handle) */
  nua_saved_event_t saved[1];
  gboolean responded; /* or, outgoing: completed */
  McuSipCall *call;   /* (nullable) */
  GTask *task;        /* outgoing, until the final response */
  gchar *target;
  gchar *from_uri;
  gchar *display_name;
  gchar *to_uri;
  gchar *content_type;
  gchar *body;
};

G_DEFINE_FINAL_TYPE (McuSipMessage, mcu_sip_message, G_TYPE_OBJECT)

static void
release_handle (McuSipMessage *self)
{
  if (self->nh && self->own_nh) {
    nua_handle_bind (self->nh, NULL);
    nua_handle_destroy (self->nh);
  }
  self->nh = NULL;
}

static void
mcu_sip_message_dispose (GObject *object)
{
  McuSipMessage *self = MCU_SIP_MESSAGE (object);

  if (!self->responded && self->task == NULL && self->nh)
    mcu_sip_message_respond (self, 500, "Server Internal Error");
  release_handle (self);
  g_clear_object (&self->call);
  G_OBJECT_CLASS (mcu_sip_message_parent_class)->dispose (object);
}

static void
mcu_sip_message_finalize (GObject *object)
{
  McuSipMessage *self = MCU_SIP_MESSAGE (object);

  g_free (self->target);
  g_free (self->from_uri);
  g_free (self->display_name);
  g_free (self->to_uri);
  g_free (self->content_type);
  g_free (self->body);
  G_OBJECT_CLASS (mcu_sip_message_parent_class)->finalize (object);
}

static void
mcu_sip_message_class_init (McuSipMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_sip_message_dispose;
  object_class->finalize = mcu_sip_message_finalize;
}

static void
mcu_sip_message_init (McuSipMessage *self)
{
}

static gchar *
content_type_text (const sip_t *sip)
{
  const sip_content_type_t *ct = sip->sip_content_type;

  if (ct == NULL || ct->c_type == NULL)
    return g_strdup ("text/plain");
  return g_strdup (ct->c_type);
}

McuSipMessage *
mcu_sip_message_new_incoming (
    nua_t *nua, nua_handle_t *nh, const sip_t *sip, McuSipCall *call)
{
  McuSipMessage *self = g_object_new (MCU_TYPE_SIP_MESSAGE, NULL);
  const url_t *ruri = sip->sip_request ? sip->sip_request->rq_url : NULL;
  gchar *body;

  self->nua = nua;
  self->nh = nh;
  self->own_nh = call == NULL;
  nua_save_event (nua, self->saved);
  self->call = call ? g_object_ref (call) : NULL;
  self->target = ruri && ruri->url_user
                     ? g_uri_unescape_string (ruri->url_user, NULL)
                     : NULL;
  if (self->target == NULL)
    self->target = g_strdup ("");
  self->from_uri =
      mcu_sip_url_to_string (sip->sip_from ? sip->sip_from->a_url : NULL);
  self->display_name =
      mcu_sip_unquote_display (sip->sip_from ? sip->sip_from->a_display : NULL);
  self->to_uri =
      mcu_sip_url_to_string (sip->sip_to ? sip->sip_to->a_url : NULL);
  self->content_type = content_type_text (sip);
  body = mcu_sip_payload_text (sip);
  self->body = body ? g_utf8_make_valid (body, -1) : g_strdup ("");
  g_free (body);
  return self;
}

const gchar *
mcu_sip_message_get_target (McuSipMessage *self)
{
  return self->target;
}

const gchar *
mcu_sip_message_get_from_uri (McuSipMessage *self)
{
  return self->from_uri;
}

const gchar *
mcu_sip_message_get_display_name (McuSipMessage *self)
{
  return self->display_name;
}

const gchar *
mcu_sip_message_get_to_uri (McuSipMessage *self)
{
  return self->to_uri;
}

const gchar *
mcu_sip_message_get_content_type (McuSipMessage *self)
{
  return self->content_type;
}

const gchar *
mcu_sip_message_get_body (McuSipMessage *self)
{
  return self->body;
}

McuSipCall *
mcu_sip_message_get_call (McuSipMessage *self)
{
  return self->call;
}

gboolean
mcu_sip_message_get_responded (McuSipMessage *self)
{
  return self->responded;
}

static void
respond (McuSipMessage *self, guint status, const gchar *phrase,
    const gchar *contact)
{
  nua_handle_t *nh;

  if (self->responded || self->task)
    return;
  self->responded = TRUE;
  /* The call's handle is gone when the dialog ended meanwhile. */
  nh = self->own_nh ? self->nh
       : self->call ? mcu_sip_call_get_handle (self->call)
                    : NULL;
  if (nh)
    nua_respond (nh, status, g_intern_string (phrase),
        NUTAG_WITH_SAVED (self->saved),
        TAG_IF (status == 415, SIPTAG_ACCEPT_STR ("text/plain")),
        TAG_IF (contact, SIPTAG_CONTACT_STR (contact)), TAG_END ());
  nua_destroy_event (self->saved);
  release_handle (self);
}

void
mcu_sip_message_respond (McuSipMessage *self, guint status, const gchar *phrase)
{
  g_return_if_fail (MCU_IS_SIP_MESSAGE (self));
  respond (self, status, phrase, NULL);
}

void
mcu_sip_message_redirect (McuSipMessage *self, const gchar *contact)
{
  g_return_if_fail (MCU_IS_SIP_MESSAGE (self));
  g_return_if_fail (contact != NULL);
  respond (self, 302, "Moved Temporarily", contact);
}

void
mcu_sip_message_send (
    nua_t *nua, const McuSipMessageOptions *options, GTask *task)
{
  McuSipMessage *self = g_object_new (MCU_TYPE_SIP_MESSAGE, NULL);

  self->nua = nua;
  self->own_nh = TRUE;
  self->task = g_object_ref (task);
  self->body = g_strdup (options->body ? options->body : "");
  self->content_type =
      g_strdup (options->content_type ? options->content_type : TEXT_PLAIN);
  /* The task holds the message until it completes (see complete ()). */
  g_task_set_task_data (task, self, g_object_unref);
  self->nh = nua_handle (nua, (nua_hmagic_t *)self, SIPTAG_TO_STR (options->to),
      SIPTAG_FROM_STR (options->from), TAG_END ());
  nua_message (self->nh, NUTAG_URL (options->request_uri),
      SIPTAG_CONTENT_TYPE_STR (self->content_type),
      SIPTAG_PAYLOAD_STR (self->body), TAG_END ());
}

static void
complete (McuSipMessage *self, guint status)
{
  g_autoptr (GTask) task = g_steal_pointer (&self->task);

  self->responded = TRUE;
  release_handle (self);
  g_task_return_int (task, status);
}

void
mcu_sip_message_handle_event (McuSipMessage *self, nua_event_t event,
    int status, const char *phrase, const sip_t *sip, tagi_t tags[])
{
  if (event != nua_r_message || self->task == NULL || status < 200)
    return;
  /* 401/407: we hold no credentials for the remote; that is final. */
  complete (self, status);
}
