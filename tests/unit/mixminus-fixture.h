/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Shared GstHarness fixture for the mcumixminus unit tests: one harness
 * per element pad (sink_N inputs, src_N outputs and `src`), live with the
 * harness' test clock. Comments on each helper in mixminus-fixture.c. */
#pragma once

#include "mcu-mix-minus.h"

#include <gst/check/gstharness.h>

G_BEGIN_DECLS

#define FRAME          960 /* 20 ms at 48 kHz */
#define FRAME_DURATION (20 * GST_MSECOND)
#define MAX_PARTIES    6
#define PULL_TIMEOUT_S 10

typedef struct
{
  GstElement *element;
  GstBus *bus;
  GstHarness *main;             /* on `src`, nullable */
  GstHarness *in[MAX_PARTIES];  /* on sink_N */
  GstHarness *out[MAX_PARTIES]; /* on src_N */
} Fixture;

gint16 sample (guint p, guint k, guint i);
GstBuffer *make_buffer (guint k, gint16 (*gen) (guint, guint, guint), guint p);
void add_party (Fixture *f, guint p, gboolean with_output);
void remove_party (Fixture *f, guint p);
Fixture *fixture_new (guint n_parties, gboolean with_main);
void fixture_free (Fixture *f);
void push_frame (Fixture *f, guint k, guint mask);
GstBuffer *pull (GstHarness *h);
GstEvent *pull_event_of_type (GstHarness *h, GstEventType type);
void check_mix_scaled (GstBuffer *buffer, guint k, guint mask, gint p_scaled);
void check_mix (GstBuffer *buffer, guint k, guint mask);
void check_silence (GstBuffer *buffer);
void check_frame (Fixture *f, guint k, guint parties);
GstPad *sink_pad (Fixture *f, guint p);

G_END_DECLS
