/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcuopusenc's unit tests: frames in, the element in a harness (see
 * opus-enc-fixture.c). */
#pragma once

#include "mcu-opus-enc-group.h"

#include <gst/check/gstharness.h>

/* Frame @k (PTS k * 20 ms) of a sine of @freq Hz and @amplitude, with
 * continuous phase across frames; flagged FULL_MIX when @full_mix. */
GstBuffer *opus_fixture_tone (
    guint k, gdouble freq, gdouble amplitude, gboolean full_mix);
/* mcuopusenc in a harness fed the mixer's caps, in @group when not NULL. */
GstHarness *opus_fixture_encoder (McuOpusEncGroup *group);
/* Whether @a and @b hold the same bytes. */
gboolean opus_fixture_same_bytes (GstBuffer *a, GstBuffer *b);
