/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: DTMF out of one call. Main thread only.
 *
 * RFC 4733: handed whole to the media session (mcu_media_session_send_dtmf),
 * which queues it behind what it is still sending; its "dtmf-sent" becomes
 * our "sent". INFO: requests wait in a queue; a timer sends one digit
 * every MCU_CALL_DTMF_INFO_INTERVAL_MS (a ',' waits MCU_DTMF_TX_PAUSE_MS)
 * without waiting for the answers (a failure is only logged, by
 * McuSipCall). A delayed request (a dial-out's digits after the answer)
 * waits on its own timer and picks its method when that fires. */
#include "mcu-call-dtmf.h"

#include <string.h>

/* clang-format off */
G_DEFINE_QUARK (mcu-call-dtmf-error-quark, mcu_call_dtmf_error)
/* clang-format on */

/* Characters waiting for INFO (all requests together). */
#define MAX_INFO_QUEUED 256

typedef struct
{
  McuCallDtmf *self; /* (unowned) the list holds it */
  gchar *digits;
  guint timer;
} Delayed;

struct _McuCallDtmf
{
  GObject parent_instance;

  McuSipCall *call;
  McuMediaSession *media; /* (nullable) */
  gboolean telephone_event;
  GList *delayed; /* Delayed* */

  GQueue info;     /* gchar* requests waiting, the current one first */
  guint info_pos;  /* next character of the current one */
  guint info_left; /* characters in the queue not yet sent */
  guint info_timer;
};

G_DEFINE_FINAL_TYPE (McuCallDtmf, mcu_call_dtmf, G_TYPE_OBJECT)

enum
{
  SIGNAL_SENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

gboolean
mcu_call_dtmf_validate (const gchar *digits, GError **error)
{
  gsize n = digits ? strlen (digits) : 0;

  if (n == 0 || n > MCU_CALL_DTMF_MAX_DIGITS) {
    g_set_error (error, MCU_CALL_DTMF_ERROR, MCU_CALL_DTMF_ERROR_INVALID,
        "digits: 1 to %u of 0-9 * # A-D and ',' (got %zu characters)",
        MCU_CALL_DTMF_MAX_DIGITS, n);
    return FALSE;
  }
  for (gsize i = 0; i < n; i++)
    if (digits[i] != ',' && mcu_dtmf_tx_event_code (digits[i]) < 0) {
      g_set_error (error, MCU_CALL_DTMF_ERROR, MCU_CALL_DTMF_ERROR_INVALID,
          "digits: character %zu is not one of 0-9 * # A-D ,", i + 1);
      return FALSE;
    }
  return TRUE;
}

static void
delayed_free (gpointer data)
{
  Delayed *d = data;

  g_clear_handle_id (&d->timer, g_source_remove);
  g_free (d->digits);
  g_free (d);
}

static void
drop_media (McuCallDtmf *self)
{
  if (self->media)
    g_signal_handlers_disconnect_by_data (self->media, self);
  g_clear_object (&self->media);
}

void
mcu_call_dtmf_cancel (McuCallDtmf *self)
{
  g_list_free_full (g_steal_pointer (&self->delayed), delayed_free);
  g_queue_clear_full (&self->info, g_free);
  g_queue_init (&self->info);
  self->info_pos = self->info_left = 0;
  g_clear_handle_id (&self->info_timer, g_source_remove);
}

static void
mcu_call_dtmf_dispose (GObject *object)
{
  McuCallDtmf *self = MCU_CALL_DTMF (object);

  mcu_call_dtmf_cancel (self);
  drop_media (self);
  g_clear_object (&self->call);
  G_OBJECT_CLASS (mcu_call_dtmf_parent_class)->dispose (object);
}

static void
mcu_call_dtmf_class_init (McuCallDtmfClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_call_dtmf_dispose;
  signals[SIGNAL_SENT] =
      g_signal_new ("sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
          NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
mcu_call_dtmf_init (McuCallDtmf *self)
{
  g_queue_init (&self->info);
}

McuCallDtmf *
mcu_call_dtmf_new (McuSipCall *call)
{
  McuCallDtmf *self = g_object_new (MCU_TYPE_CALL_DTMF, NULL);

  self->call = g_object_ref (call);
  return self;
}

static void
on_media_dtmf_sent (
    McuMediaSession *media, const gchar *digits, McuCallDtmf *self)
{
  g_signal_emit (self, signals[SIGNAL_SENT], 0, digits, "rfc4733");
}

void
mcu_call_dtmf_set_media (
    McuCallDtmf *self, McuMediaSession *media, gboolean telephone_event)
{
  self->telephone_event = media && telephone_event;
  if (media == self->media)
    return;
  drop_media (self);
  if (media) {
    self->media = g_object_ref (media);
    g_signal_connect (
        media, "dtmf-sent", G_CALLBACK (on_media_dtmf_sent), self);
  }
}

static gboolean
can_rfc4733 (McuCallDtmf *self)
{
  return self->media && self->telephone_event &&
         mcu_media_session_get_sending (self->media);
}

static gboolean
can_info (McuCallDtmf *self)
{
  McuSipCallState state = mcu_sip_call_get_state (self->call);

  return (state == MCU_SIP_CALL_STATE_ANSWERED ||
             state == MCU_SIP_CALL_STATE_ESTABLISHED) &&
         mcu_sip_call_remote_allows (self->call, "INFO");
}

/* One INFO step: the next character of the current request. */
static gboolean
on_info_timer (gpointer data)
{
  McuCallDtmf *self = data;
  const gchar *current = g_queue_peek_head (&self->info);
  gchar c, digit[2] = { 0 };

  self->info_timer = 0;
  if (current == NULL)
    return G_SOURCE_REMOVE;
  c = current[self->info_pos++];
  self->info_left--;
  if (c != ',') {
    digit[0] = c;
    mcu_sip_call_send_info_dtmf (self->call, digit);
  }
  if (current[self->info_pos] == '\0') {
    g_autofree gchar *done = g_queue_pop_head (&self->info);

    self->info_pos = 0;
    g_signal_emit (self, signals[SIGNAL_SENT], 0, done, "info");
  }
  if (!g_queue_is_empty (&self->info))
    self->info_timer = g_timeout_add (
        c == ',' ? MCU_DTMF_TX_PAUSE_MS : MCU_CALL_DTMF_INFO_INTERVAL_MS,
        on_info_timer, self);
  return G_SOURCE_REMOVE;
}

static gboolean
send_now (McuCallDtmf *self, const gchar *digits, GError **error)
{
  g_autoptr (GError) media_error = NULL;
  gsize n = strlen (digits);

  if (can_rfc4733 (self)) {
    if (mcu_media_session_send_dtmf (self->media, digits, &media_error))
      return TRUE;
    g_set_error (error, MCU_CALL_DTMF_ERROR, MCU_CALL_DTMF_ERROR_BUSY, "%s",
        media_error->message);
    return FALSE;
  }
  if (!can_info (self)) {
    g_set_error_literal (error, MCU_CALL_DTMF_ERROR,
        MCU_CALL_DTMF_ERROR_UNAVAILABLE,
        "the call has neither telephone-event (RFC 4733) nor SIP INFO");
    return FALSE;
  }
  if (self->info_left + n > MAX_INFO_QUEUED) {
    g_set_error (error, MCU_CALL_DTMF_ERROR, MCU_CALL_DTMF_ERROR_BUSY,
        "more than %u digits queued", MAX_INFO_QUEUED);
    return FALSE;
  }
  g_queue_push_tail (&self->info, g_strdup (digits));
  self->info_left += n;
  if (self->info_timer == 0)
    self->info_timer = g_timeout_add (0, on_info_timer, self);
  return TRUE;
}

static gboolean
on_delayed_timer (gpointer data)
{
  Delayed *d = data;
  McuCallDtmf *self = d->self;
  g_autoptr (GError) error = NULL;

  d->timer = 0;
  self->delayed = g_list_remove (self->delayed, d);
  if (!send_now (self, d->digits, &error))
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MCU_CALL_ID",
        mcu_sip_call_get_call_id (self->call), "MESSAGE",
        "DTMF %s not sent: %s", d->digits, error->message);
  delayed_free (d);
  return G_SOURCE_REMOVE;
}

gboolean
mcu_call_dtmf_send (
    McuCallDtmf *self, const gchar *digits, guint delay_ms, GError **error)
{
  Delayed *d;

  g_return_val_if_fail (MCU_IS_CALL_DTMF (self), FALSE);
  if (!mcu_call_dtmf_validate (digits, error))
    return FALSE;
  if (delay_ms == 0)
    return send_now (self, digits, error);
  if (g_list_length (self->delayed) >= 4) {
    g_set_error_literal (error, MCU_CALL_DTMF_ERROR, MCU_CALL_DTMF_ERROR_BUSY,
        "too many delayed DTMF requests");
    return FALSE;
  }
  d = g_new0 (Delayed, 1);
  d->self = self;
  d->digits = g_strdup (digits);
  d->timer = g_timeout_add (delay_ms, on_delayed_timer, d);
  self->delayed = g_list_append (self->delayed, d);
  return TRUE;
}
