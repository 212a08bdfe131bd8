/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: pad helpers the mixer's objects share (private to mixer/). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

void mcu_pad_util_answer_queries (GstPad *pad);

G_END_DECLS
