/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuFarewell (see mcu-farewell.h). Main thread only.
 *
 * One object per closing room, holding its own reference while it waits:
 * PLAYING until the mix's "prompt-done" for its prompt, the mix going away
 * (everyone left), or the timeout; then it closes the room (CLOSED) and
 * lets go. A daemon that goes first drops it without closing (the daemon
 * hangs up its calls itself); a room that the next meeting opened
 * meanwhile (booked back to back) stays open. */
#include "mcu-farewell.h"
#include "mcu-announcer.h"
#include "mcu-prompts.h"
#include "mcu-scheduler.h"

typedef enum
{
  FAREWELL_PLAYING,
  FAREWELL_CLOSED,
} FarewellState;

struct _McuFarewell
{
  GObject parent_instance;

  FarewellState state;
  McuDaemon *daemon; /* (weak) */
  McuRoom *room;
  McuAudioMix *mix; /* (weak) */
  guint prompt_id;
  gulong done_handler;
  guint timeout;
};

G_DEFINE_FINAL_TYPE (McuFarewell, mcu_farewell, G_TYPE_OBJECT)

static void on_daemon_gone (gpointer data, GObject *where);
static void on_mix_gone (gpointer data, GObject *where);

static void
mcu_farewell_finalize (GObject *object)
{
  McuFarewell *self = MCU_FAREWELL (object);

  g_clear_object (&self->room);
  G_OBJECT_CLASS (mcu_farewell_parent_class)->finalize (object);
}

static void
mcu_farewell_class_init (McuFarewellClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mcu_farewell_finalize;
}

static void
mcu_farewell_init (McuFarewell *self)
{
  self->state = FAREWELL_PLAYING;
}

/* Stops waiting; closes the room unless the daemon is gone. Drops the
 * farewell's own reference. */
static void
finish (McuFarewell *self, const gchar *why)
{
  g_autoptr (GError) error = NULL;

  if (self->state != FAREWELL_PLAYING)
    return;
  self->state = FAREWELL_CLOSED;
  g_clear_handle_id (&self->timeout, g_source_remove);
  if (self->mix) {
    g_clear_signal_handler (&self->done_handler, self->mix);
    g_object_weak_unref (G_OBJECT (self->mix), on_mix_gone, self);
    self->mix = NULL;
  }
  if (self->daemon) {
    McuScheduler *scheduler = mcu_daemon_get_scheduler (self->daemon);

    g_object_weak_unref (G_OBJECT (self->daemon), on_daemon_gone, self);
    g_debug ("room %s: closing (%s)", mcu_room_get_name (self->room), why);
    /* the next meeting in the room opened it meanwhile (booked back to
     * back): it is that meeting's now */
    if (scheduler && mcu_scheduler_room_is_running (
                         scheduler, mcu_room_get_name (self->room)))
      g_message ("room %s: the next meeting opened it, left open",
          mcu_room_get_name (self->room));
    else if (!mcu_daemon_close_room (self->daemon, self->room, &error))
      g_warning ("meeting room %s: %s", mcu_room_get_name (self->room),
          error->message);
    self->daemon = NULL;
  }
  g_object_unref (self);
}

static void
on_daemon_gone (gpointer data, GObject *where)
{
  McuFarewell *self = data;

  self->daemon = NULL;
  finish (self, "daemon gone");
}

static void
on_mix_gone (gpointer data, GObject *where)
{
  McuFarewell *self = data;

  self->mix = NULL;
  self->done_handler = 0;
  finish (self, "nobody left");
}

static void
on_prompt_done (
    McuAudioMix *mix, guint id, gboolean completed, McuFarewell *self)
{
  if (id == self->prompt_id)
    finish (self, "prompt played");
}

static gboolean
on_timeout (gpointer data)
{
  McuFarewell *self = data;

  self->timeout = 0;
  finish (self, "timeout");
  return G_SOURCE_REMOVE;
}

/* The wait for @file: its length + 1 s, at most MCU_FAREWELL_MAX_WAIT_US. */
static guint
wait_ms (McuAnnouncer *announcer, const gchar *file)
{
  g_autoptr (GBytes) samples =
      mcu_prompt_cache_load (mcu_announcer_get_cache (announcer), file, NULL);
  gint64 us = samples ? (gint64)(g_bytes_get_size (samples) / sizeof (gint16)) *
                            G_USEC_PER_SEC / 48000
                      : 0;

  return (guint)(MIN (us + G_USEC_PER_SEC, MCU_FAREWELL_MAX_WAIT_US) / 1000);
}

void
mcu_farewell_close_room (McuDaemon *daemon, McuRoom *room, const gchar *name)
{
  McuAnnouncer *announcer = mcu_daemon_get_announcer (daemon);
  McuAudioMix *mix = mcu_room_media_registry_get_audio_mix (
      mcu_daemon_get_room_media (daemon), room);
  g_autofree gchar *file = NULL;
  g_autoptr (GError) error = NULL;
  McuFarewell *self;

  if (mcu_room_get_state (room) == MCU_ROOM_STATE_OPEN && mix && announcer)
    file = mcu_prompts_path (mcu_daemon_get_config (daemon), room, name);
  self = g_object_new (MCU_TYPE_FAREWELL, NULL);
  self->room = g_object_ref (room);
  self->daemon = daemon;
  g_object_weak_ref (G_OBJECT (daemon), on_daemon_gone, self);
  if (file == NULL || mcu_audio_mix_get_n_sessions (mix) == 0) {
    finish (self, "nobody hears it");
    return;
  }
  self->prompt_id =
      mcu_announcer_announce (announcer, room, file, name, &error);
  if (self->prompt_id == 0) {
    g_message (
        "room %s: no %s: %s", mcu_room_get_name (room), name, error->message);
    finish (self, "no prompt");
    return;
  }
  self->mix = mix;
  g_object_weak_ref (G_OBJECT (mix), on_mix_gone, self);
  self->done_handler =
      g_signal_connect (mix, "prompt-done", G_CALLBACK (on_prompt_done), self);
  self->timeout = g_timeout_add (wait_ms (announcer, file), on_timeout, self);
}
