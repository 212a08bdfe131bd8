/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the one log writer: journald when stderr is the journal, readable
 * lines on stderr otherwise, with the room and Call-ID fields shown. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void mcu_log_install (void);

G_END_DECLS
