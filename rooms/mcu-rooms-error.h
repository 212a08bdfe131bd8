/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: errors of the conference model. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MCU_ROOM_ERROR (mcu_room_error_quark ())
GQuark mcu_room_error_quark (void);

typedef enum
{
  MCU_ROOM_ERROR_NOT_FOUND, /* no such room and auto-create is off: 404 */
  MCU_ROOM_ERROR_FULL,      /* max-participants reached: 486 */
  MCU_ROOM_ERROR_LOCKED,    /* room locked: 403 */
  MCU_ROOM_ERROR_INVALID,   /* bad room name: 404 */
  MCU_ROOM_ERROR_CLOSED,    /* room is closing: 480 */
  MCU_ROOM_ERROR_EXISTS,    /* create: the room is already open: 409 */
  MCU_ROOM_ERROR_BAD_PIN,   /* wrong or missing PIN: 403 */
  MCU_ROOM_ERROR_NOT_OPEN,  /* a scheduled room before its meeting opens:
                             * 480 with Retry-After */
} McuRoomError;

G_END_DECLS
