/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests' filter for the mixer's log (see mixer-log.c). */
#pragma once

#include <glib.h>

/* Drops the lines of the "mcu-mixer" log domain at any of @levels, which a
 * room writes for the errors a test provokes on purpose (a WARNING is fatal
 * under G_DEBUG=fatal-warnings); the rest goes to the default writer. Call
 * once, from main, after g_test_init. */
void mixer_log_quiet (GLogLevelFlags levels);
