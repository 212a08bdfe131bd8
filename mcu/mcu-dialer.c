/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: dial-out into a room. Main thread only.
 *
 * Each dial is an McuFork of outgoing legs (one per contact), all bound for
 * the room: a leg joins the room's mix, as a participant, when its 2xx
 * comes; the fork cancels the others. The daemon holds the legs like any
 * other call; the dialer holds each dial until the fork decides. */
#include "mcu-dialer.h"
#include "mcu-fork.h"
#include "mcu-registrar.h"

#include <string.h>

/* clang-format off */
G_DEFINE_QUARK (mcu-dial-error-quark, mcu_dial_error)
/* clang-format on */

/* How long a dialled party may ring. */
#define MCU_DIALER_NO_ANSWER_TIMEOUT 60

typedef struct
{
  McuDialer *dialer; /* (unowned) */
  gchar *id;
  gchar *room;
  McuFork *fork;
} McuDial;

struct _McuDialer
{
  GObject parent_instance;

  McuDaemon *daemon; /* (unowned) outlives the dialer */
  GHashTable *dials; /* id -> McuDial* (owned) */
};

G_DEFINE_FINAL_TYPE (McuDialer, mcu_dialer, G_TYPE_OBJECT)

enum
{
  SIGNAL_ANSWERED,
  SIGNAL_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* A dial's lines are filed under its room. */
#define DIAL_LOG(room, ...)                                              \
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MCU_ROOM", room, \
      "MESSAGE", __VA_ARGS__)

static void
dial_free (gpointer data)
{
  McuDial *dial = data;

  if (dial->fork) {
    g_signal_handlers_disconnect_by_data (dial->fork, dial);
    g_object_unref (dial->fork);
  }
  g_free (dial->id);
  g_free (dial->room);
  g_free (dial);
}

static void
mcu_dialer_dispose (GObject *object)
{
  McuDialer *self = MCU_DIALER (object);

  g_clear_pointer (&self->dials, g_hash_table_unref);
  G_OBJECT_CLASS (mcu_dialer_parent_class)->dispose (object);
}

static void
mcu_dialer_class_init (McuDialerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GType type = G_TYPE_FROM_CLASS (klass);

  object_class->dispose = mcu_dialer_dispose;
  signals[SIGNAL_ANSWERED] =
      g_signal_new ("answered", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
          G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT);
  signals[SIGNAL_FAILED] = g_signal_new ("failed", type, G_SIGNAL_RUN_LAST, 0,
      NULL, NULL, NULL, G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_STRING,
      G_TYPE_UINT, G_TYPE_STRING);
}

static void
mcu_dialer_init (McuDialer *self)
{
  self->dials =
      g_hash_table_new_full (g_str_hash, g_str_equal, NULL, dial_free);
}

McuDialer *
mcu_dialer_new (McuDaemon *daemon)
{
  McuDialer *self = g_object_new (MCU_TYPE_DIALER, NULL);

  self->daemon = daemon;
  return self;
}

static void
on_fork_answered (McuFork *fork, McuCallLeg *winner, McuDial *dial)
{
  McuDialer *self = dial->dialer;
  McuParticipant *p = mcu_call_leg_get_participant (winner);
  g_autofree gchar *id = g_strdup (dial->id);
  g_autofree gchar *room = g_strdup (dial->room);

  g_hash_table_remove (self->dials, id); /* frees @dial */
  DIAL_LOG (room, "dial %s answered: participant %u in room %s", id,
      p ? mcu_participant_get_id (p) : 0, room);
  g_signal_emit (self, signals[SIGNAL_ANSWERED], 0, id, room,
      p ? mcu_participant_get_id (p) : 0);
}

/* The room a failed dial opened, if nobody else came meanwhile. */
static void
discard_room (McuDialer *self, const gchar *name)
{
  McuRoomDirectory *rooms = mcu_daemon_get_rooms (self->daemon);
  McuRoom *room = mcu_room_directory_lookup (rooms, name);

  if (room)
    mcu_room_directory_discard_if_empty (rooms, room);
}

static void
on_fork_failed (McuFork *fork, guint status, const gchar *phrase, McuDial *dial)
{
  McuDialer *self = dial->dialer;
  g_autofree gchar *id = g_strdup (dial->id);
  g_autofree gchar *room = g_strdup (dial->room);
  g_autofree gchar *why = g_strdup (phrase);

  g_hash_table_remove (self->dials, id);
  DIAL_LOG (room, "dial %s into room %s failed: %u %s", id, room, status, why);
  discard_room (self, room);
  g_signal_emit (self, signals[SIGNAL_FAILED], 0, id, room, status, why);
}

/* The contacts to ring for @target and the To URI; NULL with an error. */
static GStrv
resolve_target (
    McuDialer *self, const gchar *target, gchar **to_uri, GError **error)
{
  const McuConfig *config = mcu_daemon_get_config (self->daemon);
  McuRegistrar *registrar = mcu_daemon_get_registrar (self->daemon);
  g_autoptr (GStrvBuilder) contacts = g_strv_builder_new ();
  g_autoptr (GPtrArray) bindings = NULL;

  if (g_str_has_prefix (target, "sip:") || g_str_has_prefix (target, "sips:")) {
    *to_uri = g_strdup (target);
    g_strv_builder_add (contacts, target);
    return g_strv_builder_end (contacts);
  }
  if (registrar && mcu_registrar_is_user (registrar, target)) {
    bindings = mcu_registrar_lookup (registrar, target);
    if (bindings->len == 0) {
      g_set_error (error, MCU_DIAL_ERROR, MCU_DIAL_ERROR_NOT_REGISTERED,
          "user %s is not registered", target);
      return NULL;
    }
    /* a phone registered over TLS is called over TLS (its connection) */
    for (guint i = 0; i < bindings->len; i++) {
      g_autofree gchar *uri =
          mcu_binding_dial_uri (g_ptr_array_index (bindings, i));

      g_strv_builder_add (contacts, uri);
    }
    *to_uri = g_strdup_printf ("sip:%s@%s", target, config->sip_domain);
    return g_strv_builder_end (contacts);
  }
  if (strchr (target, '@') && !strpbrk (target, " <>\"\r\n")) {
    *to_uri = g_strdup_printf ("sip:%s", target);
    g_strv_builder_add (contacts, *to_uri);
    return g_strv_builder_end (contacts);
  }
  g_set_error (error, MCU_DIAL_ERROR, MCU_DIAL_ERROR_BAD_TARGET,
      "not a SIP URI, registered user or user@host: %s", target);
  return NULL;
}

/* One branch of @dial: an outgoing leg to @contact bound for @room. */
static gchar *
dial_contact (McuDialer *self, McuRoom *room, McuFork *fork,
    const gchar *contact, const gchar *to_uri, const gchar *display,
    const gchar *from_display, GError **error)
{
  const McuConfig *config = mcu_daemon_get_config (self->daemon);
  g_autofree gchar *from = g_strdup_printf (
      "sip:%s@%s", mcu_room_get_name (room), config->sip_domain);
  McuSipCallOptions options = {
    .request_uri = contact,
    .to_uri = to_uri,
    .to_display = display,
    .from_uri = from,
    .from_display = from_display ? from_display : mcu_room_get_name (room),
  };
  g_autoptr (McuSipCall) call = mcu_sip_agent_create_call (
      mcu_daemon_get_agent (self->daemon), &options, error);
  g_autoptr (McuCallLeg) leg = NULL;

  if (call == NULL)
    return NULL;
  leg = mcu_call_leg_new (mcu_daemon_get_call_env (self->daemon), call);
  mcu_daemon_add_leg (self->daemon, leg);
  mcu_fork_add (fork, leg);
  if (!mcu_call_leg_dial (leg, room, NULL, error)) {
    mcu_call_leg_hangup (leg, NULL);
    return NULL;
  }
  return g_strdup (mcu_sip_call_get_call_id (call));
}

gchar *
mcu_dialer_dial (McuDialer *self, const gchar *room_name, const gchar *target,
    const gchar *display, GError **error)
{
  return mcu_dialer_dial_full (self, room_name, target, display, NULL, error);
}

gchar *
mcu_dialer_dial_full (McuDialer *self, const gchar *room_name,
    const gchar *target, const gchar *display, const gchar *from_display,
    GError **error)
{
  g_autofree gchar *to_uri = NULL;
  g_auto (GStrv) contacts = NULL;
  g_autoptr (McuFork) fork = NULL;
  g_autoptr (GError) last_error = NULL;
  gchar *id = NULL;
  McuRoom *room;
  McuDial *dial;

  g_return_val_if_fail (MCU_IS_DIALER (self), NULL);
  if (!(contacts = resolve_target (self, target, &to_uri, error)))
    return NULL;
  room = mcu_room_directory_open (
      mcu_daemon_get_rooms (self->daemon), room_name, error);
  if (room == NULL)
    return NULL;
  fork = mcu_fork_new (MCU_DIALER_NO_ANSWER_TIMEOUT);
  for (gchar **c = contacts; *c; c++) {
    gchar *call_id;

    g_clear_error (&last_error);
    call_id = dial_contact (
        self, room, fork, *c, to_uri, display, from_display, &last_error);
    if (id == NULL)
      id = call_id;
    else
      g_free (call_id);
  }
  if (id == NULL) {
    discard_room (self, room_name);
    g_propagate_error (error, g_steal_pointer (&last_error));
    return NULL;
  }
  dial = g_new0 (McuDial, 1);
  dial->dialer = self;
  dial->id = g_strdup (id);
  dial->room = g_strdup (room_name);
  dial->fork = g_object_ref (fork);
  g_hash_table_insert (self->dials, dial->id, dial);
  g_signal_connect (fork, "answered", G_CALLBACK (on_fork_answered), dial);
  g_signal_connect (fork, "failed", G_CALLBACK (on_fork_failed), dial);
  DIAL_LOG (room_name, "dialling %s into room %s (%u contact(s)): %s", target,
      room_name, g_strv_length (contacts), id);
  mcu_fork_start (fork);
  return id;
}

gboolean
mcu_dialer_cancel (McuDialer *self, const gchar *id)
{
  McuDial *dial = g_hash_table_lookup (self->dials, id);

  if (dial == NULL)
    return FALSE;
  mcu_fork_cancel (dial->fork);
  return TRUE;
}

GList *
mcu_dialer_list (McuDialer *self)
{
  return g_hash_table_get_keys (self->dials);
}
