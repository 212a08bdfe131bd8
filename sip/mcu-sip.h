/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the public header of sip/ (sofia-sip inside, GLib types outside). */
#pragma once

#include "mcu-sdp.h"
#include "mcu-sip-call.h"
#include "mcu-sip-agent.h"
#include "mcu-sip-log.h"
#include "mcu-sip-tls.h"
