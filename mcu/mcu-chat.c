/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: instant messages. Main thread only.
 *
 * A MESSAGE for a registered user goes to each registered contact with the
 * sender's From; the sender gets the first 2xx (200), or when every contact
 * failed the best failure (RFC 3261 16.7, as for calls), or 480 when the
 * user has no contact. A MESSAGE to an open room's URI, or inside the
 * dialog of a participant's call, goes to every other participant's
 * Contact (outside the dialog, so any phone shows it as chat) from
 * "Sender's name" <sip:ROOM@domain> (a reply goes back to the room); the
 * sender gets 202 Accepted. Anything else: the agent's 404. */
#include "mcu-chat.h"
#include "mcu-fork.h"
#include "mcu-registrar.h"

struct _McuChat
{
  GObject parent_instance;

  McuDaemon *daemon; /* (unowned) outlives the chat */
  McuSipAgent *agent;
};

G_DEFINE_FINAL_TYPE (McuChat, mcu_chat, G_TYPE_OBJECT)

enum
{
  SIGNAL_ROOM_MESSAGE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* One MESSAGE to a user, fanned out to its contacts; freed when the last
 * contact has answered. */
typedef struct
{
  McuSipMessage *message;
  guint pending;
  GArray *statuses; /* guint: the failures */
} McuDelivery;

static void
mcu_chat_dispose (GObject *object)
{
  McuChat *self = MCU_CHAT (object);

  if (self->agent)
    g_signal_handlers_disconnect_by_data (self->agent, self);
  g_clear_object (&self->agent);
  G_OBJECT_CLASS (mcu_chat_parent_class)->dispose (object);
}

static void
mcu_chat_class_init (McuChatClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_chat_dispose;
  signals[SIGNAL_ROOM_MESSAGE] =
      g_signal_new ("room-message", G_TYPE_FROM_CLASS (klass),
          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 4, G_TYPE_STRING,
          G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
}

static void
mcu_chat_init (McuChat *self)
{
}

/* "display" <uri>, or <uri> without a display name. */
static gchar *
name_addr (const gchar *display, const gchar *uri)
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

static void
on_relay_sent (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *to = data;
  guint status = mcu_sip_agent_send_message_finish (
      MCU_SIP_AGENT (source), result, &error);

  if (status == 0 || status >= 300)
    g_info ("chat line to %s: %u %s", to, status, error ? error->message : "");
}

guint
mcu_chat_send_to_room (McuChat *self, McuRoom *room, const gchar *from_display,
    const gchar *except_uri, const gchar *content_type, const gchar *body)
{
  const McuConfig *config = mcu_daemon_get_config (self->daemon);
  g_autofree gchar *room_uri = g_strdup_printf (
      "sip:%s@%s", mcu_room_get_name (room), config->sip_domain);
  g_autofree gchar *from = name_addr (from_display, room_uri);
  g_autoptr (GList) participants = mcu_room_list_participants (room);
  guint n = 0;

  for (GList *l = participants; l; l = l->next) {
    McuCallLeg *leg = mcu_room_media_registry_find_leg (
        mcu_daemon_get_room_media (self->daemon), l->data);
    McuSipCall *call = leg ? mcu_call_leg_get_call (leg) : NULL;
    const gchar *contact = call ? mcu_sip_call_get_remote_contact (call) : NULL;
    const gchar *uri = mcu_participant_get_uri (l->data);
    g_autofree gchar *to = g_strdup_printf ("<%s>", uri);
    McuSipMessageOptions options = {
      .request_uri = contact,
      .to = to,
      .from = from,
      .content_type = content_type,
      .body = body,
    };

    if (contact == NULL || (except_uri && g_strcmp0 (uri, except_uri) == 0))
      continue;
    mcu_sip_agent_send_message (
        self->agent, &options, NULL, on_relay_sent, g_strdup (uri));
    n++;
  }
  g_signal_emit (self, signals[SIGNAL_ROOM_MESSAGE], 0,
      mcu_room_get_name (room), from_display, except_uri, body);
  return n;
}

/* The room of the participant whose call carried @message, or NULL. */
static McuRoom *
room_of_call (McuChat *self, McuSipCall *call)
{
  g_autoptr (GList) rooms =
      mcu_room_directory_list (mcu_daemon_get_rooms (self->daemon));

  for (GList *r = rooms; r; r = r->next) {
    g_autoptr (GList) participants = mcu_room_list_participants (r->data);

    for (GList *l = participants; l; l = l->next) {
      McuCallLeg *leg = mcu_room_media_registry_find_leg (
          mcu_daemon_get_room_media (self->daemon), l->data);

      if (leg && mcu_call_leg_get_call (leg) == call)
        return r->data;
    }
  }
  return NULL;
}

static gboolean
relay_to_room (McuChat *self, McuSipMessage *message, McuRoom *room)
{
  const gchar *display = mcu_sip_message_get_display_name (message);
  const gchar *from_uri = mcu_sip_message_get_from_uri (message);
  guint n;

  if (!g_str_has_prefix (mcu_sip_message_get_content_type (message), "text/")) {
    mcu_sip_message_respond (message, 415, "Unsupported Media Type");
    return TRUE;
  }
  n = mcu_chat_send_to_room (self, room, *display ? display : from_uri,
      from_uri, mcu_sip_message_get_content_type (message),
      mcu_sip_message_get_body (message));
  g_message ("chat in room %s from %s: relayed to %u", mcu_room_get_name (room),
      from_uri, n);
  mcu_sip_message_respond (message, 202, "Accepted");
  return TRUE;
}

static void
delivery_free (McuDelivery *d)
{
  g_object_unref (d->message);
  g_array_unref (d->statuses);
  g_free (d);
}

static void
on_delivered (GObject *source, GAsyncResult *result, gpointer data)
{
  McuDelivery *d = data;
  g_autoptr (GError) error = NULL;
  guint status = mcu_sip_agent_send_message_finish (
      MCU_SIP_AGENT (source), result, &error);

  if (status >= 200 && status < 300)
    mcu_sip_message_respond (d->message, 200, "OK");
  else
    g_array_append_val (d->statuses, status);
  if (--d->pending > 0)
    return;
  if (!mcu_sip_message_get_responded (d->message)) {
    guint best = mcu_fork_pick_response (
        (const guint *)d->statuses->data, d->statuses->len);

    mcu_sip_message_respond (d->message, best,
        best == 480 ? "Temporarily Unavailable" : "Not Delivered");
  }
  delivery_free (d);
}

static gboolean
deliver_to_user (McuChat *self, McuSipMessage *message, const gchar *user)
{
  McuRegistrar *registrar = mcu_daemon_get_registrar (self->daemon);
  const McuConfig *config = mcu_daemon_get_config (self->daemon);
  g_autoptr (GPtrArray) bindings = mcu_registrar_lookup (registrar, user);
  g_autofree gchar *to =
      g_strdup_printf ("<sip:%s@%s>", user, config->sip_domain);
  g_autofree gchar *from =
      name_addr (mcu_sip_message_get_display_name (message),
          mcu_sip_message_get_from_uri (message));
  McuDelivery *d;

  if (bindings->len == 0) {
    mcu_sip_message_respond (message, 480, "Temporarily Unavailable");
    return TRUE;
  }
  d = g_new0 (McuDelivery, 1);
  d->message = g_object_ref (message);
  d->statuses = g_array_new (FALSE, FALSE, sizeof (guint));
  d->pending = bindings->len;
  for (guint i = 0; i < bindings->len; i++) {
    McuBinding *b = g_ptr_array_index (bindings, i);
    McuSipMessageOptions options = {
      .request_uri = b->contact,
      .to = to,
      .from = from,
      .content_type = mcu_sip_message_get_content_type (message),
      .body = mcu_sip_message_get_body (message),
    };

    mcu_sip_agent_send_message (self->agent, &options, NULL, on_delivered, d);
  }
  return TRUE;
}

static gboolean
on_agent_incoming_message (
    McuSipAgent *agent, McuSipMessage *message, McuChat *self)
{
  McuSipCall *call = mcu_sip_message_get_call (message);
  McuRegistrar *registrar = mcu_daemon_get_registrar (self->daemon);
  g_auto (GStrv) target =
      g_strsplit (mcu_sip_message_get_target (message), "*", 2);
  McuRoom *room;

  if (call) {
    room = room_of_call (self, call);
    return room ? relay_to_room (self, message, room) : FALSE;
  }
  if (target[0] == NULL)
    return FALSE;
  room = mcu_room_directory_lookup (
      mcu_daemon_get_rooms (self->daemon), target[0]);
  if (room)
    return relay_to_room (self, message, room);
  if (registrar && mcu_registrar_is_user (registrar, target[0]))
    return deliver_to_user (self, message, target[0]);
  return FALSE;
}

McuChat *
mcu_chat_new (McuDaemon *daemon)
{
  McuChat *self = g_object_new (MCU_TYPE_CHAT, NULL);

  self->daemon = daemon;
  self->agent = g_object_ref (mcu_daemon_get_agent (daemon));
  g_signal_connect (self->agent, "incoming-message",
      G_CALLBACK (on_agent_incoming_message), self);
  return self;
}
