/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the public header of mixer/ (GStreamer media, no SIP). */
#pragma once

#include "mcu-mixer-error.h"
#include "mcu-port-pool.h"
#include "mcu-media-session.h"
#include "mcu-dtmf-tx.h"
#include "mcu-audio-mix.h"
#include "mcu-video-session.h"
#include "mcu-encoder-group.h"
#include "mcu-video-mix.h"
#include "mcu-recorder.h"
