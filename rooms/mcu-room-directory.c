/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the set of rooms. Main thread only.
 *
 * Signals: "room-opened" (McuRoom) when a room gets its first caller,
 * "room-closed" (McuRoom) when its last caller left, just before the
 * directory drops it. */
#include "mcu-room-directory.h"
#include "mcu-room-private.h"
#include "mcu-rooms-error.h"

#define MCU_ROOM_NAME_MAX 64

typedef struct
{
  guint max_participants;
} McuRoomTemplate;

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
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
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
mcu_room_directory_add_template (
    McuRoomDirectory *self, const gchar *name, guint max_participants)
{
  McuRoomTemplate *t = g_new0 (McuRoomTemplate, 1);

  g_return_if_fail (MCU_IS_ROOM_DIRECTORY (self));
  t->max_participants = max_participants;
  g_hash_table_replace (self->templates, g_strdup (name), t);
}

gboolean
mcu_room_directory_is_valid_name (const gchar *name)
{
  gsize n = 0;

  if (name == NULL || *name == '\0')
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
  room = mcu_room_new (name,
      t ? t->max_participants : self->default_max_participants, t != NULL);
  g_hash_table_insert (self->rooms, g_strdup (name), room);
  g_signal_connect (room, "closed", G_CALLBACK (on_room_closed), self);
  g_signal_emit (self, signals[SIGNAL_ROOM_OPENED], 0, room);
  return room;
}

void
mcu_room_directory_discard_if_empty (McuRoomDirectory *self, McuRoom *room)
{
  g_return_if_fail (MCU_IS_ROOM_DIRECTORY (self));
  if (mcu_room_get_n_participants (room) == 0 &&
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

guint
mcu_room_directory_get_n_rooms (McuRoomDirectory *self)
{
  g_return_val_if_fail (MCU_IS_ROOM_DIRECTORY (self), 0);
  return g_hash_table_size (self->rooms);
}
