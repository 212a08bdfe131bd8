/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: files sent over the control socket (recording downloads) without
 * blocking the main loop, a bounded number at once. Main thread only. */
#pragma once

#include <libsoup/soup.h>

#include "mcu-control-conns.h"

G_BEGIN_DECLS

typedef struct _McuControlDownloads McuControlDownloads;

/* At most @max_active files sent at once; @conns is told that their
 * connections stream (no idle timeout while a file goes out). */
McuControlDownloads *mcu_control_downloads_new (
    McuControlConns *conns, guint max_active);
void mcu_control_downloads_free (McuControlDownloads *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuControlDownloads, mcu_control_downloads_free)

/* Answers @msg with the file @path (200, @content_type, its size, and a
 * Content-Disposition with its name), or, when it cannot be opened, 404
 * with the JSON error @missing_code / @missing_message. The answer comes
 * later: @msg is paused until then. FALSE with
 * G_IO_ERROR_TOO_MANY_OPEN_FILES when max_active files are going out
 * (@msg untouched). */
gboolean mcu_control_downloads_send (McuControlDownloads *self,
    SoupServerMessage *msg, const gchar *path, const gchar *content_type,
    const gchar *missing_code, const gchar *missing_message, GError **error);
/* Files going out now. */
guint mcu_control_downloads_get_n (McuControlDownloads *self);
/* Stops every transfer (shutdown). */
void mcu_control_downloads_stop (McuControlDownloads *self);

G_END_DECLS
