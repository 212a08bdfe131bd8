/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: parallel forking. Main thread only.
 *
 * The fork watches each branch's SIP call ("progress", "failed") and leg
 * ("answered", "ended"). It decides once: the first answer, or the best
 * failure when the last branch has ended. It holds a ref on each branch
 * until that branch ends; the legs' owner (the daemon) holds them too. */
#include "mcu-fork.h"

struct _McuFork
{
  GObject parent_instance;

  GPtrArray *pending; /* McuCallLeg* (owned), not ended */
  GArray *statuses;   /* guint: final statuses of failed branches */
  McuCallLeg *winner; /* (nullable) (owned) */
  gboolean decided;
  gboolean started;
  guint no_answer_timeout;
  guint timer;
  guint cancel_status; /* 480 after the timer, 487 after cancel, or 0 */
};

G_DEFINE_FINAL_TYPE (McuFork, mcu_fork, G_TYPE_OBJECT)

enum
{
  SIGNAL_PROGRESS,
  SIGNAL_ANSWERED,
  SIGNAL_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
disconnect_leg (McuFork *self, McuCallLeg *leg)
{
  g_signal_handlers_disconnect_by_data (leg, self);
  g_signal_handlers_disconnect_by_data (mcu_call_leg_get_call (leg), self);
}

static void
mcu_fork_dispose (GObject *object)
{
  McuFork *self = MCU_FORK (object);

  g_clear_handle_id (&self->timer, g_source_remove);
  if (self->pending) {
    for (guint i = 0; i < self->pending->len; i++)
      disconnect_leg (self, g_ptr_array_index (self->pending, i));
    g_clear_pointer (&self->pending, g_ptr_array_unref);
  }
  g_clear_object (&self->winner);
  G_OBJECT_CLASS (mcu_fork_parent_class)->dispose (object);
}

static void
mcu_fork_finalize (GObject *object)
{
  McuFork *self = MCU_FORK (object);

  g_array_unref (self->statuses);
  G_OBJECT_CLASS (mcu_fork_parent_class)->finalize (object);
}

static void
mcu_fork_class_init (McuForkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GType type = G_TYPE_FROM_CLASS (klass);

  object_class->dispose = mcu_fork_dispose;
  object_class->finalize = mcu_fork_finalize;
  signals[SIGNAL_PROGRESS] = g_signal_new ("progress", type, G_SIGNAL_RUN_LAST,
      0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[SIGNAL_ANSWERED] = g_signal_new ("answered", type, G_SIGNAL_RUN_LAST,
      0, NULL, NULL, NULL, G_TYPE_NONE, 1, MCU_TYPE_CALL_LEG);
  signals[SIGNAL_FAILED] = g_signal_new ("failed", type, G_SIGNAL_RUN_LAST, 0,
      NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
}

static void
mcu_fork_init (McuFork *self)
{
  self->pending = g_ptr_array_new_with_free_func (g_object_unref);
  self->statuses = g_array_new (FALSE, FALSE, sizeof (guint));
}

McuFork *
mcu_fork_new (guint no_answer_timeout)
{
  McuFork *self = g_object_new (MCU_TYPE_FORK, NULL);

  self->no_answer_timeout = no_answer_timeout;
  return self;
}

/* How telling a failure is within its class: higher wins. */
static gint
status_rank (guint status)
{
  switch (status) {
    case 486: /* busy */
      return 6;
    case 484: /* address incomplete */
    case 415: /* unsupported media type */
    case 420: /* bad extension */
    case 488: /* not acceptable here */
      return 5;
    case 487: /* our own CANCEL: the least telling */
      return 0;
    case 408:
      return 1;
    case 480:
      return 2;
    case 401: /* the callee's credentials mean nothing to our caller */
    case 407:
      return 1;
    default:
      return 3;
  }
}

guint
mcu_fork_pick_response (const guint *statuses, guint n)
{
  guint best = 0;

  for (guint i = 0; i < n; i++) {
    guint s = statuses[i];

    if (s < 300 || s > 699)
      continue;
    if (best == 0) {
      best = s;
    } else if ((s >= 600) != (best >= 600)) {
      if (s >= 600) /* a 6xx ends the search for everyone */
        best = s;
    } else if (s >= 600) {
      continue; /* the first 6xx stands */
    } else if (s / 100 < best / 100) {
      best = s;
    } else if (s / 100 == best / 100 && status_rank (s) > status_rank (best)) {
      best = s;
    }
  }
  if (best == 0)
    return 480;
  if (best == 503) /* RFC 3261 16.7: a 503 is not passed upstream */
    return 500;
  if (best == 401 || best == 407)
    return 480;
  return best;
}

static const gchar *
status_phrase (guint status)
{
  switch (status) {
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 480:
      return "Temporarily Unavailable";
    case 486:
      return "Busy Here";
    case 487:
      return "Request Terminated";
    case 488:
      return "Not Acceptable Here";
    case 500:
      return "Server Internal Error";
    case 600:
      return "Busy Everywhere";
    case 603:
      return "Decline";
    default:
      return status < 400   ? "Redirected"
             : status < 500 ? "Request Failed"
             : status < 600 ? "Server Error"
                            : "Global Failure";
  }
}

static void
cancel_pending (McuFork *self, const gchar *reason)
{
  g_autoptr (GPtrArray) legs = g_ptr_array_copy (
      self->pending, (GCopyFunc)(void (*) (void))g_object_ref, NULL);

  g_ptr_array_set_free_func (legs, g_object_unref);
  for (guint i = 0; i < legs->len; i++) {
    McuCallLeg *leg = g_ptr_array_index (legs, i);

    if (leg != self->winner)
      mcu_call_leg_hangup (leg, reason);
  }
}

/* Every branch is over without a winner: the one failure to report. */
static void
finish_failed (McuFork *self)
{
  guint status;

  if (self->decided || !self->started || self->pending->len > 0)
    return;
  self->decided = TRUE;
  g_clear_handle_id (&self->timer, g_source_remove);
  status = self->cancel_status
               ? self->cancel_status
               : mcu_fork_pick_response (
                     (const guint *)self->statuses->data, self->statuses->len);
  g_signal_emit (
      self, signals[SIGNAL_FAILED], 0, status, status_phrase (status));
}

static void
on_call_progress (
    McuSipCall *call, guint status, const gchar *sdp, McuFork *self)
{
  if (!self->decided)
    g_signal_emit (self, signals[SIGNAL_PROGRESS], 0, status);
}

static void
on_call_failed (
    McuSipCall *call, guint status, const gchar *phrase, McuFork *self)
{
  g_array_append_val (self->statuses, status);
}

static void
on_leg_answered (McuCallLeg *leg, McuFork *self)
{
  if (self->decided) { /* a second 2xx, or one after our timeout */
    mcu_call_leg_hangup (
        leg, "SIP;cause=200;text=\"Call completed elsewhere\"");
    return;
  }
  self->decided = TRUE;
  g_clear_handle_id (&self->timer, g_source_remove);
  self->winner = g_object_ref (leg);
  cancel_pending (self, "SIP;cause=200;text=\"Call completed elsewhere\"");
  g_signal_emit (self, signals[SIGNAL_ANSWERED], 0, leg);
}

static void
on_leg_ended (McuCallLeg *leg, McuFork *self)
{
  g_autoptr (McuFork) hold = g_object_ref (self);

  disconnect_leg (self, leg);
  g_ptr_array_remove (self->pending, leg);
  finish_failed (self);
}

void
mcu_fork_add (McuFork *self, McuCallLeg *leg)
{
  McuSipCall *call = mcu_call_leg_get_call (leg);

  g_return_if_fail (MCU_IS_FORK (self));
  g_ptr_array_add (self->pending, g_object_ref (leg));
  g_signal_connect (call, "progress", G_CALLBACK (on_call_progress), self);
  g_signal_connect (call, "failed", G_CALLBACK (on_call_failed), self);
  g_signal_connect (leg, "answered", G_CALLBACK (on_leg_answered), self);
  g_signal_connect (leg, "ended", G_CALLBACK (on_leg_ended), self);
}

static gboolean
on_no_answer (gpointer data)
{
  McuFork *self = data;

  self->timer = 0;
  self->cancel_status = 480;
  cancel_pending (self, "SIP;cause=480;text=\"no answer\"");
  return G_SOURCE_REMOVE;
}

void
mcu_fork_start (McuFork *self)
{
  g_return_if_fail (MCU_IS_FORK (self));
  self->started = TRUE;
  if (self->no_answer_timeout > 0 && self->pending->len > 0)
    self->timer =
        g_timeout_add_seconds (self->no_answer_timeout, on_no_answer, self);
  finish_failed (self);
}

void
mcu_fork_cancel (McuFork *self)
{
  g_return_if_fail (MCU_IS_FORK (self));
  if (self->decided)
    return;
  self->cancel_status = 487;
  cancel_pending (self, NULL);
}

guint
mcu_fork_get_n_pending (McuFork *self)
{
  return self->pending->len;
}
