/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mcu-rooms-error.h"

G_DEFINE_QUARK (mcu - room - error - quark, mcu_room_error)
