/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the daemon's store and the glue from its change signals. */
#include "mcu-daemon-store.h"
#include "mcu-scheduler.h"
#include "mcu-store-pg.h"

McuStore *
mcu_daemon_store_open (const McuConfig *c, GError **error)
{
  const gchar *file = c->path ? c->path : "config";
  McuStore *store;

  if (g_strcmp0 (c->storage_backend, "postgresql") == 0) {
    store = mcu_store_pg_new (c->storage_dsn, error);
    if (store == NULL)
      g_prefix_error (error, "%s: [storage] dsn: ", file);
    else
      g_message (
          "store: PostgreSQL %s (connecting)", mcu_store_get_path (store));
    return store;
  }
  store = mcu_store_open (c->database, error);
  if (store == NULL)
    g_prefix_error (error, "%s: [storage] database: ", file);
  return store;
}

/* A stored room's settings (its strings stay @r's). */
static McuRoomSettings
settings_of (const McuStoredRoom *r)
{
  McuRoomSettings settings = {
    .max_participants = r->max_participants,
    .layout = r->layout,
    .pin = r->pin,
    .self_view = r->self_view,
    .locked = r->locked,
    .created_at = r->created_at,
    .moderator_pin = r->moderator_pin,
    .options = r->options,
  };

  return settings;
}

gboolean
mcu_daemon_store_load_rooms (McuDaemon *daemon, McuStore *store, GError **error)
{
  g_autoptr (GPtrArray) rooms = mcu_store_load_rooms (store, error);
  guint opened = 0;

  if (rooms == NULL)
    return FALSE;
  for (guint i = 0; i < rooms->len; i++) {
    McuStoredRoom *r = g_ptr_array_index (rooms, i);
    g_autoptr (GError) local = NULL;
    McuRoomSettings settings = settings_of (r);

    if (mcu_room_directory_create (
            mcu_daemon_get_rooms (daemon), r->name, &settings, &local))
      opened++;
    else
      g_warning ("store %s: room %s not opened again: %s",
          mcu_store_get_path (store), r->name, local->message);
  }
  if (opened)
    g_message ("%u rooms opened again from the store", opened);
  return TRUE;
}

/* A stored room here: opened when missing, its settings when open. */
static void
apply_room (McuDaemon *daemon, const McuStoredRoom *r)
{
  McuRoomDirectory *rooms = mcu_daemon_get_rooms (daemon);
  McuRoom *room = mcu_room_directory_lookup (rooms, r->name);
  g_autoptr (GError) error = NULL;
  McuRoomSettings settings = settings_of (r);

  if (room == NULL) {
    if (mcu_room_directory_create (rooms, r->name, &settings, &error))
      g_message ("room %s opened from the store", r->name);
    else
      g_warning ("store: room %s not opened: %s", r->name, error->message);
    return;
  }
  if (!mcu_room_get_persistent (room))
    return; /* a room of the config or a dialled one keeps its own */
  mcu_room_set_max_participants (room, r->max_participants);
  mcu_room_set_locked (room, r->locked);
  if (r->layout)
    mcu_room_set_layout (room, r->layout);
  mcu_room_set_pin (room, r->pin);
  mcu_room_set_moderator_pin (room, r->moderator_pin);
  mcu_room_set_options (room, r->options);
}

static void
on_room_changed (McuStore *store, const gchar *name, McuDaemon *daemon)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuStoredRoom) stored =
      mcu_store_lookup_room (store, name, &error);
  McuRoom *room;

  if (stored != NULL) {
    apply_room (daemon, stored);
    return;
  }
  if (error != NULL)
    return;
  /* deleted elsewhere: close it here too */
  room = mcu_room_directory_lookup (mcu_daemon_get_rooms (daemon), name);
  if (room != NULL && mcu_room_get_persistent (room)) {
    g_message ("room %s deleted from the store: closing it", name);
    mcu_daemon_close_room (daemon, room, NULL);
  }
}

static void
on_meeting_changed (McuStore *store, const gchar *id, McuDaemon *daemon)
{
  McuScheduler *scheduler = mcu_daemon_get_scheduler (daemon);

  if (scheduler != NULL)
    mcu_scheduler_reload_meeting (scheduler, id);
}

void
mcu_daemon_store_watch (McuDaemon *daemon, McuStore *store)
{
  g_signal_connect_object (
      store, "room-changed", G_CALLBACK (on_room_changed), daemon, 0);
  g_signal_connect_object (
      store, "meeting-changed", G_CALLBACK (on_meeting_changed), daemon, 0);
}
