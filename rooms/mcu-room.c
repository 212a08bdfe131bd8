/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a conference room. Main thread only.
 *
 * Signals: "participant-added" (McuParticipant), "participant-removed"
 * (McuParticipant, emitted after it left the list), "closed" (the last
 * participant left, or mcu_room_close () on an empty room; the directory
 * forgets the room), "member-changed" (McuParticipant: its role or state
 * changed). Properties with notify: "locked", "layout", "pin",
 * "max-participants", "options". */
#include "mcu-room.h"
#include "mcu-room-private.h"
#include "mcu-rooms-error.h"

struct _McuRoom
{
  GObject parent_instance;

  gchar *name;
  McuRoomState state;
  gboolean preconfigured;
  guint max_participants; /* 0 = no limit */
  gboolean locked;
  gchar *layout;
  gchar *pin;
  gchar *moderator_pin; /* (nullable) */
  McuRoomOptions options;
  gboolean self_view;
  gboolean persistent;
  gint64 created_at;
  GQueue participants; /* McuParticipant*, owned, joining order */
  guint next_id;
};

G_DEFINE_FINAL_TYPE (McuRoom, mcu_room, G_TYPE_OBJECT)

enum
{
  SIGNAL_PARTICIPANT_ADDED,
  SIGNAL_PARTICIPANT_REMOVED,
  SIGNAL_CLOSED,
  SIGNAL_MEMBER_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum
{
  PROP_0,
  PROP_LOCKED,
  PROP_LAYOUT,
  PROP_PIN,
  PROP_MAX_PARTICIPANTS,
  PROP_OPTIONS,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static const gchar *const layouts[] = { "auto", "grid", "speaker", NULL };
/* In the bit order of McuRoomOptions. */
static const gchar *const option_names[MCU_ROOM_N_OPTIONS] = {
  "wait-for-moderator",
  "end-when-moderator-leaves",
  "mute-guests",
  "announce-alone",
  "announce-join-leave",
};

static void
mcu_room_dispose (GObject *object)
{
  McuRoom *self = MCU_ROOM (object);
  McuParticipant *p;

  while ((p = g_queue_pop_head (&self->participants))) {
    g_signal_handlers_disconnect_by_data (p, self);
    mcu_participant_set_room (p, NULL);
    g_object_unref (p);
  }
  G_OBJECT_CLASS (mcu_room_parent_class)->dispose (object);
}

static void
mcu_room_finalize (GObject *object)
{
  McuRoom *self = MCU_ROOM (object);

  g_free (self->name);
  g_free (self->layout);
  g_free (self->pin);
  g_free (self->moderator_pin);
  G_OBJECT_CLASS (mcu_room_parent_class)->finalize (object);
}

static void
mcu_room_get_property (
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  McuRoom *self = MCU_ROOM (object);

  switch (prop_id) {
    case PROP_LOCKED:
      g_value_set_boolean (value, self->locked);
      break;
    case PROP_LAYOUT:
      g_value_set_string (value, self->layout);
      break;
    case PROP_PIN:
      g_value_set_string (value, self->pin);
      break;
    case PROP_MAX_PARTICIPANTS:
      g_value_set_uint (value, self->max_participants);
      break;
    case PROP_OPTIONS:
      g_value_set_uint (value, self->options);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
mcu_room_class_init (McuRoomClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_room_dispose;
  object_class->finalize = mcu_room_finalize;
  object_class->get_property = mcu_room_get_property;
  props[PROP_LOCKED] = g_param_spec_boolean ("locked", NULL, NULL, FALSE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_LAYOUT] = g_param_spec_string ("layout", NULL, NULL, "auto",
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_PIN] = g_param_spec_string ("pin", NULL, NULL, NULL,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_MAX_PARTICIPANTS] =
      g_param_spec_uint ("max-participants", NULL, NULL, 0, G_MAXUINT, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_OPTIONS] = g_param_spec_uint ("options", NULL, NULL, 0, G_MAXUINT,
      0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_PARTICIPANT_ADDED] = g_signal_new ("participant-added",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, MCU_TYPE_PARTICIPANT);
  signals[SIGNAL_PARTICIPANT_REMOVED] = g_signal_new ("participant-removed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, MCU_TYPE_PARTICIPANT);
  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_MEMBER_CHANGED] = g_signal_new ("member-changed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, MCU_TYPE_PARTICIPANT);
}

static void
mcu_room_init (McuRoom *self)
{
  g_queue_init (&self->participants);
  self->next_id = 1;
}

McuRoom *
mcu_room_new (
    const gchar *name, const McuRoomSettings *settings, gboolean preconfigured)
{
  McuRoom *self = g_object_new (MCU_TYPE_ROOM, NULL);

  self->name = g_strdup (name);
  self->max_participants = settings->max_participants;
  self->layout = g_strdup (
      mcu_room_layout_is_valid (settings->layout) ? settings->layout : "auto");
  self->pin = g_strdup (settings->pin && *settings->pin ? settings->pin : NULL);
  self->self_view = settings->self_view;
  self->moderator_pin =
      g_strdup (settings->moderator_pin && *settings->moderator_pin
                    ? settings->moderator_pin
                    : NULL);
  self->options = settings->options;
  self->locked = settings->locked;
  self->preconfigured = preconfigured;
  self->created_at =
      settings->created_at ? settings->created_at : g_get_real_time ();
  return self;
}

const gchar *
mcu_room_get_name (McuRoom *self)
{
  g_return_val_if_fail (MCU_IS_ROOM (self), NULL);
  return self->name;
}

McuRoomState
mcu_room_get_state (McuRoom *self)
{
  g_return_val_if_fail (MCU_IS_ROOM (self), MCU_ROOM_STATE_CLOSED);
  return self->state;
}

gboolean
mcu_room_is_preconfigured (McuRoom *self)
{
  g_return_val_if_fail (MCU_IS_ROOM (self), FALSE);
  return self->preconfigured;
}

guint
mcu_room_get_max_participants (McuRoom *self)
{
  g_return_val_if_fail (MCU_IS_ROOM (self), 0);
  return self->max_participants;
}

gboolean
mcu_room_get_locked (McuRoom *self)
{
  g_return_val_if_fail (MCU_IS_ROOM (self), FALSE);
  return self->locked;
}

void
mcu_room_set_max_participants (McuRoom *self, guint max)
{
  g_return_if_fail (MCU_IS_ROOM (self));
  if (self->max_participants == max)
    return;
  self->max_participants = max;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MAX_PARTICIPANTS]);
}

void
mcu_room_set_locked (McuRoom *self, gboolean locked)
{
  g_return_if_fail (MCU_IS_ROOM (self));
  if (self->locked == !!locked)
    return;
  self->locked = !!locked;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LOCKED]);
}

gboolean
mcu_room_layout_is_valid (const gchar *layout)
{
  return layout && g_strv_contains (layouts, layout);
}

const gchar *
mcu_room_get_layout (McuRoom *self)
{
  g_return_val_if_fail (MCU_IS_ROOM (self), NULL);
  return self->layout;
}

void
mcu_room_set_layout (McuRoom *self, const gchar *layout)
{
  g_return_if_fail (MCU_IS_ROOM (self));
  g_return_if_fail (mcu_room_layout_is_valid (layout));
  if (g_str_equal (self->layout, layout))
    return;
  g_free (self->layout);
  self->layout = g_strdup (layout);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LAYOUT]);
}

const gchar *
mcu_room_get_pin (McuRoom *self)
{
  g_return_val_if_fail (MCU_IS_ROOM (self), NULL);
  return self->pin;
}

void
mcu_room_set_pin (McuRoom *self, const gchar *pin)
{
  g_return_if_fail (MCU_IS_ROOM (self));
  if (pin && *pin == '\0')
    pin = NULL;
  if (g_strcmp0 (self->pin, pin) == 0)
    return;
  g_free (self->pin);
  self->pin = g_strdup (pin);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PIN]);
}

gboolean
mcu_room_check_pin (McuRoom *self, const gchar *pin)
{
  g_return_val_if_fail (MCU_IS_ROOM (self), FALSE);
  return self->pin == NULL || g_strcmp0 (self->pin, pin) == 0 ||
         (self->moderator_pin && g_strcmp0 (self->moderator_pin, pin) == 0);
}

void
mcu_room_set_moderator_pin (McuRoom *self, const gchar *pin)
{
  g_return_if_fail (MCU_IS_ROOM (self));
  g_free (self->moderator_pin);
  self->moderator_pin = g_strdup (pin && *pin ? pin : NULL);
}

const gchar *
mcu_room_get_moderator_pin (McuRoom *self)
{
  g_return_val_if_fail (MCU_IS_ROOM (self), NULL);
  return self->moderator_pin;
}

gboolean
mcu_room_check_pin_role (
    McuRoom *self, const gchar *pin, McuParticipantRole *role)
{
  McuParticipantRole r = MCU_PARTICIPANT_ROLE_GUEST;

  g_return_val_if_fail (MCU_IS_ROOM (self), FALSE);
  if (self->moderator_pin && g_strcmp0 (self->moderator_pin, pin) == 0)
    r = MCU_PARTICIPANT_ROLE_MODERATOR;
  else if (self->pin && g_strcmp0 (self->pin, pin) != 0)
    return FALSE;
  if (role)
    *role = r;
  return TRUE;
}

const gchar *
mcu_room_option_name (guint i)
{
  g_return_val_if_fail (i < MCU_ROOM_N_OPTIONS, NULL);
  return option_names[i];
}

McuRoomOptions
mcu_room_option_from_name (const gchar *name)
{
  g_autofree gchar *dashed = g_strdup (name);

  if (name == NULL)
    return MCU_ROOM_OPTION_NONE;
  g_strdelimit (dashed, "_", '-');
  for (guint i = 0; i < MCU_ROOM_N_OPTIONS; i++)
    if (g_str_equal (dashed, option_names[i]))
      return 1u << i;
  return MCU_ROOM_OPTION_NONE;
}

McuRoomOptions
mcu_room_get_options (McuRoom *self)
{
  g_return_val_if_fail (MCU_IS_ROOM (self), MCU_ROOM_OPTION_NONE);
  return self->options;
}

void
mcu_room_set_options (McuRoom *self, McuRoomOptions options)
{
  g_return_if_fail (MCU_IS_ROOM (self));
  if (self->options == options)
    return;
  self->options = options;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_OPTIONS]);
}

gboolean
mcu_room_has_option (McuRoom *self, McuRoomOptions option)
{
  g_return_val_if_fail (MCU_IS_ROOM (self), FALSE);
  return (self->options & option) == option;
}

guint
mcu_room_count_role (
    McuRoom *self, McuParticipantRole role, gboolean joined_only)
{
  guint n = 0;

  g_return_val_if_fail (MCU_IS_ROOM (self), 0);
  for (GList *l = self->participants.head; l; l = l->next)
    if (mcu_participant_get_role (l->data) == role &&
        (!joined_only || mcu_participant_get_state (l->data) ==
                             MCU_PARTICIPANT_STATE_JOINED))
      n++;
  return n;
}

guint
mcu_room_count_joined (McuRoom *self)
{
  guint n = 0;

  g_return_val_if_fail (MCU_IS_ROOM (self), 0);
  for (GList *l = self->participants.head; l; l = l->next)
    if (mcu_participant_get_state (l->data) == MCU_PARTICIPANT_STATE_JOINED)
      n++;
  return n;
}

static void
on_member_notify (McuParticipant *participant, GParamSpec *pspec, McuRoom *self)
{
  g_signal_emit (self, signals[SIGNAL_MEMBER_CHANGED], 0, participant);
}

gboolean
mcu_room_get_self_view (McuRoom *self)
{
  g_return_val_if_fail (MCU_IS_ROOM (self), TRUE);
  return self->self_view;
}

gboolean
mcu_room_get_persistent (McuRoom *self)
{
  g_return_val_if_fail (MCU_IS_ROOM (self), FALSE);
  return self->persistent;
}

void
mcu_room_set_persistent (McuRoom *self, gboolean persistent)
{
  g_return_if_fail (MCU_IS_ROOM (self));
  self->persistent = !!persistent;
}

gint64
mcu_room_get_created_at (McuRoom *self)
{
  g_return_val_if_fail (MCU_IS_ROOM (self), 0);
  return self->created_at;
}

/* Emits "closed" once. */
static void
finish_close (McuRoom *self)
{
  if (self->state == MCU_ROOM_STATE_CLOSED)
    return;
  g_object_ref (self);
  self->state = MCU_ROOM_STATE_CLOSED;
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
  g_object_unref (self);
}

void
mcu_room_close (McuRoom *self)
{
  g_return_if_fail (MCU_IS_ROOM (self));
  if (self->state != MCU_ROOM_STATE_OPEN)
    return;
  self->state = MCU_ROOM_STATE_CLOSING;
  if (self->participants.length == 0)
    finish_close (self);
}

McuParticipant *
mcu_room_add_participant (
    McuRoom *self, const gchar *display_name, const gchar *uri, GError **error)
{
  return mcu_room_add_participant_full (self, display_name, uri,
      MCU_PARTICIPANT_STATE_JOINED, MCU_PARTICIPANT_ROLE_GUEST, error);
}

McuParticipant *
mcu_room_add_participant_full (McuRoom *self, const gchar *display_name,
    const gchar *uri, McuParticipantState state, McuParticipantRole role,
    GError **error)
{
  McuParticipant *p;

  g_return_val_if_fail (MCU_IS_ROOM (self), NULL);

  if (self->state != MCU_ROOM_STATE_OPEN) {
    g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_CLOSED,
        "room %s is closing", self->name);
    return NULL;
  }
  if (self->locked) {
    g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_LOCKED,
        "room %s is locked", self->name);
    return NULL;
  }
  if (self->max_participants > 0 &&
      self->participants.length >= self->max_participants) {
    g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_FULL,
        "room %s is full (%u participants)", self->name,
        self->max_participants);
    return NULL;
  }

  p = mcu_participant_new (self->next_id++, display_name, uri);
  mcu_participant_set_state (p, state);
  mcu_participant_set_role (p, role);
  mcu_participant_set_room (p, self);
  g_queue_push_tail (&self->participants, p);
  g_signal_connect (p, "notify::role", G_CALLBACK (on_member_notify), self);
  g_signal_connect (p, "notify::state", G_CALLBACK (on_member_notify), self);
  g_signal_emit (self, signals[SIGNAL_PARTICIPANT_ADDED], 0, p);
  return p;
}

void
mcu_room_remove_participant (McuRoom *self, McuParticipant *participant)
{
  g_return_if_fail (MCU_IS_ROOM (self));
  g_return_if_fail (MCU_IS_PARTICIPANT (participant));

  if (!g_queue_remove (&self->participants, participant))
    return;
  g_signal_handlers_disconnect_by_func (participant, on_member_notify, self);
  mcu_participant_set_room (participant, NULL);
  g_signal_emit (self, signals[SIGNAL_PARTICIPANT_REMOVED], 0, participant);
  g_object_unref (participant);

  if (self->participants.length == 0 &&
      (self->state == MCU_ROOM_STATE_CLOSING || !self->persistent))
    finish_close (self);
}

McuParticipant *
mcu_room_find_participant (McuRoom *self, guint id)
{
  g_return_val_if_fail (MCU_IS_ROOM (self), NULL);
  for (GList *l = self->participants.head; l; l = l->next)
    if (mcu_participant_get_id (l->data) == id)
      return l->data;
  return NULL;
}

guint
mcu_room_get_n_participants (McuRoom *self)
{
  g_return_val_if_fail (MCU_IS_ROOM (self), 0);
  return self->participants.length;
}

GList *
mcu_room_list_participants (McuRoom *self)
{
  g_return_val_if_fail (MCU_IS_ROOM (self), NULL);
  return g_list_copy (self->participants.head);
}
