/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one person in a room. */
#include "mcu-participant.h"
#include "mcu-room.h"
#include "mcu-room-private.h"

#include <string.h>

struct _McuParticipant
{
  GObject parent_instance;

  guint id;
  gchar *display_name;
  gchar *uri;
  gint64 joined_at; /* g_get_real_time () */
  McuRoom *room;    /* weak: the room holds us and clears this */
  gboolean muted;
  gboolean on_hold;
  gboolean deaf;
  gboolean talking;
  gboolean video_muted;
  gdouble volume;
  gdouble listen_volume;
  McuParticipantRole role;
  McuParticipantState state;
};

G_DEFINE_FINAL_TYPE (McuParticipant, mcu_participant, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_MUTED,
  PROP_ON_HOLD,
  PROP_DEAF,
  PROP_TALKING,
  PROP_VIDEO_MUTED,
  PROP_VOLUME,
  PROP_LISTEN_VOLUME,
  PROP_ROLE,
  PROP_STATE,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void
mcu_participant_finalize (GObject *object)
{
  McuParticipant *self = MCU_PARTICIPANT (object);

  g_free (self->display_name);
  g_free (self->uri);
  G_OBJECT_CLASS (mcu_participant_parent_class)->finalize (object);
}

static void
mcu_participant_get_property (
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  McuParticipant *self = MCU_PARTICIPANT (object);

  switch (prop_id) {
    case PROP_MUTED:
      g_value_set_boolean (value, self->muted);
      break;
    case PROP_ON_HOLD:
      g_value_set_boolean (value, self->on_hold);
      break;
    case PROP_DEAF:
      g_value_set_boolean (value, self->deaf);
      break;
    case PROP_TALKING:
      g_value_set_boolean (value, self->talking);
      break;
    case PROP_VIDEO_MUTED:
      g_value_set_boolean (value, self->video_muted);
      break;
    case PROP_VOLUME:
      g_value_set_double (value, self->volume);
      break;
    case PROP_LISTEN_VOLUME:
      g_value_set_double (value, self->listen_volume);
      break;
    case PROP_ROLE:
      g_value_set_uint (value, self->role);
      break;
    case PROP_STATE:
      g_value_set_uint (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
mcu_participant_class_init (McuParticipantClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = mcu_participant_finalize;
  object_class->get_property = mcu_participant_get_property;
  props[PROP_MUTED] = g_param_spec_boolean ("muted", NULL, NULL, FALSE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_ON_HOLD] = g_param_spec_boolean ("on-hold", NULL, NULL, FALSE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_DEAF] = g_param_spec_boolean ("deaf", NULL, NULL, FALSE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_TALKING] = g_param_spec_boolean ("talking", NULL, NULL, FALSE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_VIDEO_MUTED] =
      g_param_spec_boolean ("video-muted", NULL, NULL, FALSE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_VOLUME] = g_param_spec_double ("volume", NULL, NULL, 0.0, 4.0, 1.0,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_LISTEN_VOLUME] =
      g_param_spec_double ("listen-volume", NULL, NULL, 0.0, 4.0, 1.0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_ROLE] =
      g_param_spec_uint ("role", NULL, NULL, MCU_PARTICIPANT_ROLE_GUEST,
          MCU_PARTICIPANT_ROLE_MODERATOR, MCU_PARTICIPANT_ROLE_GUEST,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_STATE] =
      g_param_spec_uint ("state", NULL, NULL, MCU_PARTICIPANT_STATE_JOINED,
          MCU_PARTICIPANT_STATE_WAITING, MCU_PARTICIPANT_STATE_JOINED,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
mcu_participant_init (McuParticipant *self)
{
  self->volume = 1.0;
  self->listen_volume = 1.0;
}

/* The name shown for someone who sent none: the user part of @uri
 * ("sip:alice@host;transport=udp" -> "alice", "tel:+4930123" ->
 * "+4930123", %-escapes decoded), else its host, else the URI itself. */
static gchar *
name_from_uri (const gchar *uri)
{
  const gchar *start = uri, *colon = strchr (uri, ':'), *at, *end;
  g_autofree gchar *part = NULL;
  gchar *name;

  if (colon && g_ascii_isalpha (uri[0]) &&
      strspn (uri, "abcdefghijklmnopqrstuvwxyz"
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789+-.") == (gsize)(colon - uri))
    start = colon + 1; /* past the scheme */
  at = strchr (start, '@');
  if (at && at > start) { /* the user part, without user parameters */
    end = memchr (start, ';', at - start);
    part = g_strndup (start, (end ? end : at) - start);
  } else { /* no user: the host, without port or parameters */
    if (at)
      start = at + 1;
    part = g_strndup (start, strcspn (start, ";?>:"));
  }
  name = g_uri_unescape_string (part, NULL);
  if (name == NULL || *name == '\0') { /* a bad escape or nothing at all */
    g_free (name);
    name = g_strdup (*part ? part : uri);
  }
  return name;
}

McuParticipant *
mcu_participant_new (guint id, const gchar *display_name, const gchar *uri)
{
  McuParticipant *self = g_object_new (MCU_TYPE_PARTICIPANT, NULL);

  self->id = id;
  /* the one place a name is chosen: tiles, the API, events and logs all
   * show this */
  if (display_name && display_name[strspn (display_name, " \t")] != '\0')
    self->display_name = g_strdup (display_name);
  else
    self->display_name = name_from_uri (uri ? uri : "");
  self->uri = g_strdup (uri ? uri : "");
  self->joined_at = g_get_real_time ();
  return self;
}

guint
mcu_participant_get_id (McuParticipant *self)
{
  g_return_val_if_fail (MCU_IS_PARTICIPANT (self), 0);
  return self->id;
}

const gchar *
mcu_participant_get_display_name (McuParticipant *self)
{
  g_return_val_if_fail (MCU_IS_PARTICIPANT (self), NULL);
  return self->display_name;
}

const gchar *
mcu_participant_get_uri (McuParticipant *self)
{
  g_return_val_if_fail (MCU_IS_PARTICIPANT (self), NULL);
  return self->uri;
}

McuRoom *
mcu_participant_get_room (McuParticipant *self)
{
  g_return_val_if_fail (MCU_IS_PARTICIPANT (self), NULL);
  return self->room;
}

gint64
mcu_participant_get_joined_at (McuParticipant *self)
{
  g_return_val_if_fail (MCU_IS_PARTICIPANT (self), 0);
  return self->joined_at;
}

gboolean
mcu_participant_get_muted (McuParticipant *self)
{
  g_return_val_if_fail (MCU_IS_PARTICIPANT (self), FALSE);
  return self->muted;
}

void
mcu_participant_set_muted (McuParticipant *self, gboolean muted)
{
  g_return_if_fail (MCU_IS_PARTICIPANT (self));
  if (self->muted == !!muted)
    return;
  self->muted = !!muted;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MUTED]);
}

gboolean
mcu_participant_get_on_hold (McuParticipant *self)
{
  g_return_val_if_fail (MCU_IS_PARTICIPANT (self), FALSE);
  return self->on_hold;
}

void
mcu_participant_set_on_hold (McuParticipant *self, gboolean on_hold)
{
  g_return_if_fail (MCU_IS_PARTICIPANT (self));
  if (self->on_hold == !!on_hold)
    return;
  self->on_hold = !!on_hold;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ON_HOLD]);
}

/* Sets a boolean field and notifies when it changed. */
static void
set_flag (McuParticipant *self, gboolean *field, gboolean value, guint prop)
{
  if (*field == !!value)
    return;
  *field = !!value;
  g_object_notify_by_pspec (G_OBJECT (self), props[prop]);
}

gboolean
mcu_participant_get_deaf (McuParticipant *self)
{
  g_return_val_if_fail (MCU_IS_PARTICIPANT (self), FALSE);
  return self->deaf;
}

void
mcu_participant_set_deaf (McuParticipant *self, gboolean deaf)
{
  g_return_if_fail (MCU_IS_PARTICIPANT (self));
  set_flag (self, &self->deaf, deaf, PROP_DEAF);
}

gboolean
mcu_participant_get_talking (McuParticipant *self)
{
  g_return_val_if_fail (MCU_IS_PARTICIPANT (self), FALSE);
  return self->talking;
}

void
mcu_participant_set_talking (McuParticipant *self, gboolean talking)
{
  g_return_if_fail (MCU_IS_PARTICIPANT (self));
  set_flag (self, &self->talking, talking, PROP_TALKING);
}

gboolean
mcu_participant_get_video_muted (McuParticipant *self)
{
  g_return_val_if_fail (MCU_IS_PARTICIPANT (self), FALSE);
  return self->video_muted;
}

void
mcu_participant_set_video_muted (McuParticipant *self, gboolean muted)
{
  g_return_if_fail (MCU_IS_PARTICIPANT (self));
  set_flag (self, &self->video_muted, muted, PROP_VIDEO_MUTED);
}

gdouble
mcu_participant_get_volume (McuParticipant *self)
{
  g_return_val_if_fail (MCU_IS_PARTICIPANT (self), 1.0);
  return self->volume;
}

void
mcu_participant_set_volume (McuParticipant *self, gdouble volume)
{
  g_return_if_fail (MCU_IS_PARTICIPANT (self));
  volume = CLAMP (volume, 0.0, 4.0);
  if (self->volume == volume)
    return;
  self->volume = volume;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_VOLUME]);
}

gdouble
mcu_participant_get_listen_volume (McuParticipant *self)
{
  g_return_val_if_fail (MCU_IS_PARTICIPANT (self), 1.0);
  return self->listen_volume;
}

void
mcu_participant_set_listen_volume (McuParticipant *self, gdouble volume)
{
  g_return_if_fail (MCU_IS_PARTICIPANT (self));
  volume = CLAMP (volume, 0.0, 4.0);
  if (self->listen_volume == volume)
    return;
  self->listen_volume = volume;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LISTEN_VOLUME]);
}

void
mcu_participant_set_room (McuParticipant *self, McuRoom *room)
{
  self->room = room;
}

const gchar *
mcu_participant_role_to_string (McuParticipantRole role)
{
  return role == MCU_PARTICIPANT_ROLE_MODERATOR ? "moderator" : "guest";
}

McuParticipantRole
mcu_participant_get_role (McuParticipant *self)
{
  g_return_val_if_fail (MCU_IS_PARTICIPANT (self), MCU_PARTICIPANT_ROLE_GUEST);
  return self->role;
}

void
mcu_participant_set_role (McuParticipant *self, McuParticipantRole role)
{
  g_return_if_fail (MCU_IS_PARTICIPANT (self));
  g_return_if_fail (role <= MCU_PARTICIPANT_ROLE_MODERATOR);
  if (self->role == role)
    return;
  self->role = role;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ROLE]);
}

const gchar *
mcu_participant_state_to_string (McuParticipantState state)
{
  switch (state) {
    case MCU_PARTICIPANT_STATE_PIN_ENTRY:
      return "pin-entry";
    case MCU_PARTICIPANT_STATE_WAITING:
      return "waiting";
    case MCU_PARTICIPANT_STATE_JOINED:
    default:
      return "joined";
  }
}

McuParticipantState
mcu_participant_get_state (McuParticipant *self)
{
  g_return_val_if_fail (
      MCU_IS_PARTICIPANT (self), MCU_PARTICIPANT_STATE_JOINED);
  return self->state;
}

void
mcu_participant_set_state (McuParticipant *self, McuParticipantState state)
{
  g_return_if_fail (MCU_IS_PARTICIPANT (self));
  g_return_if_fail (state <= MCU_PARTICIPANT_STATE_WAITING);
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
}
