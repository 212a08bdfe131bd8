/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the public header of rooms/, the conference model (GLib only). */
#pragma once

#include "mcu-rooms-error.h"
#include "mcu-participant.h"
#include "mcu-room.h"
#include "mcu-room-directory.h"
#include "mcu-layout.h"
#include "mcu-keymap.h"
#include "mcu-ivr.h"
