/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: pad and bus helpers the mixer's objects share (private to mixer/). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

void mcu_pad_util_answer_queries (GstPad *pad);
/* A new src pad of @tee (transfer full) that has every sticky event before
 * its first frame. Main thread: it waits for a push through @tee in
 * progress, so never call it holding a lock that push takes, nor from a
 * thread downstream of @tee. */
GstPad *mcu_pad_util_request_tee_pad (GstElement *tee);
/* A new @factory element added to @bin, (transfer none); NULL with
 * MCU_MIXER_ERROR_PIPELINE when its plugin is missing. */
GstElement *mcu_pad_util_make (
    GstBin *bin, const gchar *factory, GError **error);
/* Logs the warning @msg of room @room's pipeline (MCU_ROOM=@room), "@what
 * warning from <element>: <message>", at message level. */
void mcu_pad_util_log_warning (
    const gchar *room, const gchar *what, GstMessage *msg);

G_END_DECLS
