/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the set of rooms. Main thread only.
 *
 * Signals: "room-opened" (McuRoom) when a room opens (its first caller, or
 * mcu_room_directory_create ()),
 * "room-closed" (McuRoom) when its last caller left, just before the
 * directory drops it. */
#include "mcu-room-directory.h"
#include "mcu-room-private.h"
#include "mcu-rooms-error.h"

#define MCU_ROOM_NAME_MAX 64

typedef struct
{
  guint max_participants;
  gchar *layout;
  gchar *pin;
  gboolean self_view;
  gchar *moderator_pin;
  McuRoomOptions options;
} McuRoomTemplate;

static void
template_free (gpointer data)
{
  McuRoomTemplate *t = data;

  g_free (t->layout);
  g_free (t->pin);
  g_free (t->moderator_pin);
  g_free (t);
}

static McuRoomSettings
template_settings (const McuRoomTemplate *t)
{
  McuRoomSettings s = {
    .max_participants = t->max_participants,
    .layout = t->layout,
    .pin = t->pin,
    .self_view = t->self_view,
    .moderator_pin = t->moderator_pin,
    .options = t->options,
  };
  return s;
}

struct _McuRoomDirectory
{
  GObject parent_instance;

  gboolean auto_create;
  guint default_max_participants;
  GHashTable *templates; /* name -> McuRoomTemplate* */
  GHashTable *rooms;     /* name -> McuRoom* (owned), the open rooms */
};

G_DEFINE_FINAL_TYPE (McuRoomDirectory, mcu_room_directory, G_TYPE_OBJECT)

enum
{
  SIGNAL_ROOM_OPENED,
  SIGNAL_ROOM_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
mcu_room_directory_dispose (GObject *object)
{
  McuRoomDirectory *self = MCU_ROOM_DIRECTORY (object);

  if (self->rooms) {
    GHashTableIter iter;
    gpointer room;

    g_hash_table_iter_init (&iter, self->rooms);
    while (g_hash_table_iter_next (&iter, NULL, &room))
      g_signal_handlers_disconnect_by_data (room, self);
  }
  g_clear_pointer (&self->rooms, g_hash_table_unref);
  g_clear_pointer (&self->templates, g_hash_table_unref);
  G_OBJECT_CLASS (mcu_room_directory_parent_class)->dispose (object);
}

static void
mcu_room_directory_class_init (McuRoomDirectoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_room_directory_dispose;
  signals[SIGNAL_ROOM_OPENED] =
      g_signal_new ("room-opened", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
          0, NULL, NULL, NULL, G_TYPE_NONE, 1, MCU_TYPE_ROOM);
  signals[SIGNAL_ROOM_CLOSED] =
      g_signal_new ("room-closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
          0, NULL, NULL, NULL, G_TYPE_NONE, 1, MCU_TYPE_ROOM);
}

static void
mcu_room_directory_init (McuRoomDirectory *self)
{
  self->templates =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, template_free);
  self->rooms =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

McuRoomDirectory *
mcu_room_directory_new (gboolean auto_create, guint default_max_participants)
{
  McuRoomDirectory *self = g_object_new (MCU_TYPE_ROOM_DIRECTORY, NULL);

  self->auto_create = auto_create;
  self->default_max_participants = default_max_participants;
  return self;
}

void
mcu_room_directory_add_template_full (
    McuRoomDirectory *self, const gchar *name, const McuRoomSettings *settings)
{
  McuRoomTemplate *t = g_new0 (McuRoomTemplate, 1);

  g_return_if_fail (MCU_IS_ROOM_DIRECTORY (self));
  t->max_participants = settings->max_participants;
  t->layout = g_strdup (settings->layout);
  t->pin = g_strdup (settings->pin);
  t->self_view = settings->self_view;
  t->moderator_pin = g_strdup (settings->moderator_pin);
  t->options = settings->options;
  g_hash_table_replace (self->templates, g_strdup (name), t);
}

void
mcu_room_directory_add_template (
    McuRoomDirectory *self, const gchar *name, guint max_participants)
{
  McuRoomSettings s = { .max_participants = max_participants,
    .self_view = TRUE };

  mcu_room_directory_add_template_full (self, name, &s);
}

gboolean
mcu_room_directory_is_valid_name (const gchar *name)
{
  gsize n = 0;

  /* "." and ".." (and any name starting with a dot) would be path
   * segments to HTTP clients and hidden files to a recorder */
  if (name == NULL || *name == '\0' || *name == '.')
    return FALSE;
  for (const gchar *c = name; *c; c++, n++) {
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_' && *c != '.')
      return FALSE;
  }
  return n <= MCU_ROOM_NAME_MAX;
}

static void
on_room_closed (McuRoom *room, McuRoomDirectory *self)
{
  g_autoptr (McuRoom) hold = g_object_ref (room);

  g_signal_handlers_disconnect_by_data (room, self);
  g_signal_emit (self, signals[SIGNAL_ROOM_CLOSED], 0, room);
  g_hash_table_remove (self->rooms, mcu_room_get_name (room));
}

/* A new open room: @settings, else its template's, else the defaults. */
static McuRoom *
insert_room (McuRoomDirectory *self, const gchar *name,
    const McuRoomTemplate *t, const McuRoomSettings *settings)
{
  McuRoomSettings defaults = {
    .max_participants = self->default_max_participants,
    .self_view = TRUE,
  };
  McuRoomSettings from_template;
  McuRoom *room;

  if (settings == NULL && t) {
    from_template = template_settings (t);
    settings = &from_template;
  }
  room = mcu_room_new (name, settings ? settings : &defaults, t != NULL);
  g_hash_table_insert (self->rooms, g_strdup (name), room);
  g_signal_connect (room, "closed", G_CALLBACK (on_room_closed), self);
  g_signal_emit (self, signals[SIGNAL_ROOM_OPENED], 0, room);
  return room;
}

McuRoom *
mcu_room_directory_open (
    McuRoomDirectory *self, const gchar *name, GError **error)
{
  McuRoomTemplate *t;
  McuRoom *room;

  g_return_val_if_fail (MCU_IS_ROOM_DIRECTORY (self), NULL);

  if (!mcu_room_directory_is_valid_name (name)) {
    g_set_error (
        error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_INVALID, "invalid room name");
    return NULL;
  }
  room = g_hash_table_lookup (self->rooms, name);
  if (room)
    return room;

  t = g_hash_table_lookup (self->templates, name);
  if (t == NULL && !self->auto_create) {
    g_set_error (
        error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_NOT_FOUND, "no room %s", name);
    return NULL;
  }
  return insert_room (self, name, t, NULL);
}

McuRoom *
mcu_room_directory_create (McuRoomDirectory *self, const gchar *name,
    const McuRoomSettings *settings, GError **error)
{
  McuRoom *room;

  g_return_val_if_fail (MCU_IS_ROOM_DIRECTORY (self), NULL);
  if (!mcu_room_directory_is_valid_name (name)) {
    g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_INVALID,
        "invalid room name: 1-%d of A-Z a-z 0-9 - _ . not starting with .",
        MCU_ROOM_NAME_MAX);
    return NULL;
  }
  if (g_hash_table_contains (self->rooms, name)) {
    g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_EXISTS,
        "room %s is already open", name);
    return NULL;
  }
  room = insert_room (
      self, name, g_hash_table_lookup (self->templates, name), settings);
  mcu_room_set_persistent (room, TRUE);
  return room;
}

void
mcu_room_directory_discard_if_empty (McuRoomDirectory *self, McuRoom *room)
{
  g_return_if_fail (MCU_IS_ROOM_DIRECTORY (self));
  if (mcu_room_get_n_participants (room) == 0 &&
      !mcu_room_get_persistent (room) &&
      g_hash_table_lookup (self->rooms, mcu_room_get_name (room)) == room)
    on_room_closed (room, self);
}

McuRoom *
mcu_room_directory_lookup (McuRoomDirectory *self, const gchar *name)
{
  g_return_val_if_fail (MCU_IS_ROOM_DIRECTORY (self), NULL);
  return name ? g_hash_table_lookup (self->rooms, name) : NULL;
}

static gint
compare_room_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (
      mcu_room_get_name ((McuRoom *)a), mcu_room_get_name ((McuRoom *)b));
}

GList *
mcu_room_directory_list (McuRoomDirectory *self)
{
  g_return_val_if_fail (MCU_IS_ROOM_DIRECTORY (self), NULL);
  return g_list_sort (
      g_hash_table_get_values (self->rooms), compare_room_names);
}

GList *
mcu_room_directory_list_templates (McuRoomDirectory *self)
{
  g_return_val_if_fail (MCU_IS_ROOM_DIRECTORY (self), NULL);
  return g_list_sort (
      g_hash_table_get_keys (self->templates), (GCompareFunc)g_strcmp0);
}

gboolean
mcu_room_directory_get_template (
    McuRoomDirectory *self, const gchar *name, McuRoomSettings *settings)
{
  McuRoomTemplate *t;

  g_return_val_if_fail (MCU_IS_ROOM_DIRECTORY (self), FALSE);
  t = name ? g_hash_table_lookup (self->templates, name) : NULL;
  if (t == NULL)
    return FALSE;
  *settings = template_settings (t);
  return TRUE;
}

guint
mcu_room_directory_get_n_rooms (McuRoomDirectory *self)
{
  g_return_val_if_fail (MCU_IS_ROOM_DIRECTORY (self), 0);
  return g_hash_table_size (self->rooms);
}
