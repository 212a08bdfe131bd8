/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MCU_MIXER_ERROR (mcu_mixer_error_quark ())
GQuark mcu_mixer_error_quark (void);

typedef enum
{
  MCU_MIXER_ERROR_NO_PORTS,   /* the RTP port range is exhausted */
  MCU_MIXER_ERROR_PIPELINE,   /* an element is missing or would not link */
  MCU_MIXER_ERROR_CODEC,      /* codec parameters we cannot serve */
  MCU_MIXER_ERROR_PROMPT,     /* a prompt file is missing or unusable */
  MCU_MIXER_ERROR_LIMIT,      /* too many prompts playing in the room */
  MCU_MIXER_ERROR_NO_SESSION, /* the session is not in the room's mix */
} McuMixerErrorCode;

G_END_DECLS
