/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: our own GStreamer elements, registered statically into a process. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Registers every element of plugins/ (mcumixminus, ...) with the default
 * registry. Safe to call more than once. */
gboolean mcu_plugins_register (void);

G_END_DECLS
