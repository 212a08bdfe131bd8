/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuVideoMix's insides, shared by mcu-video-mix.c (views, encoder
 * groups, taps, members) and mcu-video-mix-errors.c (whose an error is, and
 * rebuilding after one). Main thread only. */
#pragma once

#include "mcu-video-mix.h"
#include "mcu-video-view-private.h"

G_BEGIN_DECLS

#define REBUILD_WINDOW_US (30 * G_USEC_PER_SEC)

typedef struct
{
  guint id;
  gchar *name;
  McuVideoSession *session; /* (nullable) */
  GstElement *tee;          /* decoded pictures to every view */
  gchar *group_key;         /* (nullable) the group it receives */
  gboolean video_muted;
} Member;

typedef struct
{
  McuEncoderGroup *group;
  McuVideoView *view; /* (weak) */
  GstPad *view_src;   /* on the view's tee */
} GroupEntry;

struct _McuVideoMix
{
  GObject parent_instance;

  gchar *name;
  McuVideoMixOptions options;
  GstElement *pipeline;
  guint bus_watch;
  GHashTable *members; /* id -> Member* */
  GList *order;        /* Member* (weak), joining order */
  GHashTable *views;   /* exclude id -> McuVideoView* */
  GHashTable *groups;  /* profile key -> GroupEntry* */
  guint speaker;
  guint serial;      /* for element names */
  gint64 rebuilt_at; /* monotonic us of the last rebuild, 0 = never */
  guint n_rebuilds;
  McuMixTaps *taps;       /* on the view everyone sees (exclude 0) */
  McuVideoView *tap_view; /* (nullable) that view, while tapped */
  GstPad *tap_src;        /* on its tee */
  GstElement *tap_el[2];  /* queue, appsink */
  McuVideoEncode *encode; /* (weak) (nullable) shared by the taps' users */
  gboolean rebuilding;    /* its members are leaving to join anew */
};

/* mcu-video-mix.c */
void mcu_video_mix_emit_participant_error (
    McuVideoMix *self, guint id, const gchar *message);
void mcu_video_mix_emit_error (McuVideoMix *self, const gchar *message);
void mcu_video_mix_leave_group (McuVideoMix *self, Member *m);
gboolean mcu_video_mix_join_group (
    McuVideoMix *self, Member *m, GError **error);
void mcu_video_mix_relayout_all (McuVideoMix *self);
void mcu_video_mix_view_relayout (McuVideoMix *self, McuVideoView *view);
gboolean mcu_video_mix_tap_view_hold (McuVideoMix *self, GError **error);
void mcu_video_mix_tap_view_release (McuVideoMix *self);

/* mcu-video-mix-errors.c: the pipeline's bus (errors, warnings) */
gboolean mcu_video_mix_on_bus_message (
    GstBus *bus, GstMessage *msg, gpointer user_data);

G_END_DECLS
