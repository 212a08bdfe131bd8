/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: pad helpers the mixer's objects share (private to mixer/). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

void mcu_pad_util_answer_queries (GstPad *pad);
/* A new @factory element added to @bin, (transfer none); NULL with
 * MCU_MIXER_ERROR_PIPELINE when its plugin is missing. */
GstElement *mcu_pad_util_make (
    GstBin *bin, const gchar *factory, GError **error);

G_END_DECLS
