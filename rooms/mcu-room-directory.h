/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the set of rooms: preconfigured ones, ad-hoc ones, the open ones. */
#pragma once

#include <glib-object.h>
#include "mcu-room.h"

G_BEGIN_DECLS

#define MCU_TYPE_ROOM_DIRECTORY (mcu_room_directory_get_type ())
G_DECLARE_FINAL_TYPE (
    McuRoomDirectory, mcu_room_directory, MCU, ROOM_DIRECTORY, GObject)

McuRoomDirectory *mcu_room_directory_new (
    gboolean auto_create, guint default_max_participants);

/* A [room:NAME] group: the room can be joined even without auto-create. */
void mcu_room_directory_add_template (
    McuRoomDirectory *self, const gchar *name, guint max_participants);
void mcu_room_directory_add_template_full (
    McuRoomDirectory *self, const gchar *name, const McuRoomSettings *settings);
/* Opens a persistent room now (control API): it stays open, empty or not,
 * until mcu_room_close (). Settings not given come from its template or the
 * defaults. NULL with MCU_ROOM_ERROR_EXISTS or _INVALID. (transfer none) */
McuRoom *mcu_room_directory_create (McuRoomDirectory *self, const gchar *name,
    const McuRoomSettings *settings, GError **error);

/* 1-64 of A-Z a-z 0-9 - _ . not starting with a dot. */
gboolean mcu_room_directory_is_valid_name (const gchar *name);

/* The open room called @name, opening it (signal "room-opened") when it is
 * preconfigured or auto-create allows; NULL with MCU_ROOM_ERROR_NOT_FOUND or
 * _INVALID otherwise. (transfer none) */
McuRoom *mcu_room_directory_open (
    McuRoomDirectory *self, const gchar *name, GError **error);
/* Closes @room if nobody is in it (an admission that failed after the
 * room was opened). */
void mcu_room_directory_discard_if_empty (
    McuRoomDirectory *self, McuRoom *room);
/* (transfer none) (nullable) */
McuRoom *mcu_room_directory_lookup (McuRoomDirectory *self, const gchar *name);
/* (transfer container) open rooms, by name */
GList *mcu_room_directory_list (McuRoomDirectory *self);
/* (transfer container) (element-type utf8) the names of the preconfigured
 * rooms (open or not), sorted */
GList *mcu_room_directory_list_templates (McuRoomDirectory *self);
/* The settings a preconfigured room opens with; FALSE when @name is not
 * one. The strings in @settings belong to the directory. */
gboolean mcu_room_directory_get_template (
    McuRoomDirectory *self, const gchar *name, McuRoomSettings *settings);
guint mcu_room_directory_get_n_rooms (McuRoomDirectory *self);

G_END_DECLS
