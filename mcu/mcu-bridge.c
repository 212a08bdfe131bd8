/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the B2BUA for calls to registered users. Main thread only.
 *
 * caller --INVITE--> [leg A, bridged: offer negotiated, media in the mix,
 *                     no answer yet] --fork--> INVITE to each contact of
 *                     the callee [legs B1..Bn, our offer, joining the mix
 *                     when answered]
 * First 180/183: 180 to A. First 2xx: the others are cancelled, 200 to A.
 * All fail: the best response to A (McuFork). A's CANCEL: cancel the fork.
 * BYE from either side: BYE to the other. A re-INVITE that changes a side's
 * direction (hold/resume) is answered on that leg and offered to the other
 * (sendonly there too), so the held side's phone shows the hold.
 * The bridge holds refs on its legs until they end; the daemon keeps them
 * in its set of calls as well. */
#include "mcu-bridge.h"
#include "mcu-fork.h"

/* How long the callee may ring. */
#define MCU_BRIDGE_NO_ANSWER_TIMEOUT 60

struct _McuBridge
{
  GObject parent_instance;

  McuDaemon *daemon; /* (unowned) outlives the bridge */
  McuAudioMix *mix;
  McuCallLeg *caller;
  McuCallLeg *callee; /* (nullable) the answered branch */
  McuFork *fork;
  gchar *user;
  gchar *call_id; /* the caller's, for the log */
  GStrv contacts;
  gboolean ringing; /* 180 sent to the caller */
  gboolean ended;
};

G_DEFINE_FINAL_TYPE (McuBridge, mcu_bridge, G_TYPE_OBJECT)

enum
{
  SIGNAL_ENDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

#define BRIDGE_LOG(self, level, ...)                                     \
  g_log_structured (G_LOG_DOMAIN, level, "MCU_CALL_ID", (self)->call_id, \
      "MESSAGE", __VA_ARGS__)

static void
drop_leg (McuBridge *self, McuCallLeg **leg)
{
  if (*leg == NULL)
    return;
  g_signal_handlers_disconnect_by_data (*leg, self);
  g_clear_object (leg);
}

static void
mcu_bridge_dispose (GObject *object)
{
  McuBridge *self = MCU_BRIDGE (object);

  if (self->fork)
    g_signal_handlers_disconnect_by_data (self->fork, self);
  g_clear_object (&self->fork);
  drop_leg (self, &self->caller);
  drop_leg (self, &self->callee);
  g_clear_object (&self->mix);
  G_OBJECT_CLASS (mcu_bridge_parent_class)->dispose (object);
}

static void
mcu_bridge_finalize (GObject *object)
{
  McuBridge *self = MCU_BRIDGE (object);

  g_free (self->user);
  g_free (self->call_id);
  g_strfreev (self->contacts);
  G_OBJECT_CLASS (mcu_bridge_parent_class)->finalize (object);
}

static void
mcu_bridge_class_init (McuBridgeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_bridge_dispose;
  object_class->finalize = mcu_bridge_finalize;
  signals[SIGNAL_ENDED] = g_signal_new ("ended", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
mcu_bridge_init (McuBridge *self)
{
}

McuBridge *
mcu_bridge_new (McuDaemon *daemon, McuCallLeg *caller, const gchar *user,
    const gchar *const *contacts)
{
  McuBridge *self = g_object_new (MCU_TYPE_BRIDGE, NULL);

  self->daemon = daemon;
  self->caller = g_object_ref (caller);
  self->user = g_strdup (user);
  self->call_id =
      g_strdup (mcu_sip_call_get_call_id (mcu_call_leg_get_call (caller)));
  self->contacts = g_strdupv ((gchar **)contacts);
  return self;
}

/* Over when the caller's leg has ended and no branch is left. */
static void
check_ended (McuBridge *self)
{
  if (self->ended || self->caller || self->callee ||
      (self->fork && mcu_fork_get_n_pending (self->fork) > 0))
    return;
  self->ended = TRUE;
  g_signal_emit (self, signals[SIGNAL_ENDED], 0);
}

void
mcu_bridge_hangup (McuBridge *self, const gchar *reason)
{
  g_autoptr (McuBridge) hold = g_object_ref (self);

  if (self->fork)
    mcu_fork_cancel (self->fork);
  if (self->callee)
    mcu_call_leg_hangup (self->callee, reason);
  if (self->caller)
    mcu_call_leg_hangup (self->caller, reason);
}

static void
on_caller_ended (McuCallLeg *leg, McuBridge *self)
{
  g_autoptr (McuBridge) hold = g_object_ref (self);

  drop_leg (self, &self->caller);
  if (self->callee) /* BYE from the caller */
    mcu_call_leg_hangup (self->callee, NULL);
  else if (self->fork) /* CANCEL from the caller (487 went back) */
    mcu_fork_cancel (self->fork);
  check_ended (self);
}

static void
on_callee_ended (McuCallLeg *leg, McuBridge *self)
{
  g_autoptr (McuBridge) hold = g_object_ref (self);

  drop_leg (self, &self->callee);
  if (self->caller)
    mcu_call_leg_hangup (self->caller, NULL);
  check_ended (self);
}

/* One side re-INVITEd with a new direction: the other follows. The
 * direction we offer is the one that side offered us (sendonly: "I am
 * holding you"), so the other phone shows it is held. */
static void
on_remote_direction (McuCallLeg *leg, int direction, McuBridge *self)
{
  McuCallLeg *other = leg == self->caller ? self->callee : self->caller;

  if (other == NULL)
    return;
  BRIDGE_LOG (self, G_LOG_LEVEL_INFO, "%s side now %s: re-offering",
      leg == self->caller ? "caller" : "callee",
      mcu_sdp_direction_to_string (direction));
  if (!mcu_call_leg_reoffer (other, (McuSdpDirection)direction))
    BRIDGE_LOG (
        self, G_LOG_LEVEL_INFO, "the other side cannot take a re-INVITE now");
}

static void
on_fork_progress (McuFork *fork, guint status, McuBridge *self)
{
  if (self->ringing || self->caller == NULL)
    return;
  self->ringing = TRUE;
  mcu_sip_call_ringing (mcu_call_leg_get_call (self->caller));
}

static void
on_fork_answered (McuFork *fork, McuCallLeg *winner, McuBridge *self)
{
  if (self->caller == NULL) { /* the caller left as it answered */
    mcu_call_leg_hangup (winner, NULL);
    return;
  }
  self->callee = g_object_ref (winner);
  g_signal_connect (winner, "ended", G_CALLBACK (on_callee_ended), self);
  g_signal_connect (
      winner, "remote-direction", G_CALLBACK (on_remote_direction), self);
  g_signal_connect (
      self->caller, "remote-direction", G_CALLBACK (on_remote_direction), self);
  BRIDGE_LOG (self, G_LOG_LEVEL_INFO, "%s answered at %s: connected",
      self->user,
      mcu_sip_call_get_remote_contact (mcu_call_leg_get_call (winner)));
  mcu_call_leg_answer (self->caller);
}

static void
on_fork_failed (
    McuFork *fork, guint status, const gchar *phrase, McuBridge *self)
{
  g_autoptr (McuBridge) hold = g_object_ref (self);

  BRIDGE_LOG (self, G_LOG_LEVEL_INFO, "no contact of %s answered: %u %s",
      self->user, status, phrase);
  if (self->caller)
    mcu_call_leg_reject (self->caller, status, phrase);
  check_ended (self);
}

/* One branch: an outgoing call to @contact, in the fork. */
static gboolean
dial_contact (McuBridge *self, const gchar *contact, GError **error)
{
  const McuConfig *config = mcu_daemon_get_config (self->daemon);
  McuSipCall *in = mcu_call_leg_get_call (self->caller);
  g_autofree gchar *to =
      g_strdup_printf ("sip:%s@%s", self->user, config->sip_domain);
  McuSipCallOptions options = {
    .request_uri = contact,
    .to_uri = to,
    .from_uri = mcu_sip_call_get_from_uri (in),
    .from_display = mcu_sip_call_get_display_name (in),
  };
  g_autoptr (McuSipCall) call = mcu_sip_agent_create_call (
      mcu_daemon_get_agent (self->daemon), &options, error);
  g_autoptr (McuCallLeg) leg = NULL;

  if (call == NULL)
    return FALSE;
  leg = mcu_call_leg_new (mcu_daemon_get_call_env (self->daemon), call);
  mcu_daemon_add_leg (self->daemon, leg);
  mcu_fork_add (self->fork, leg);
  if (!mcu_call_leg_dial (leg, NULL, self->mix, error)) {
    mcu_call_leg_hangup (leg, NULL);
    return FALSE;
  }
  return TRUE;
}

static gboolean
make_mix (McuBridge *self)
{
  const McuConfig *config = mcu_daemon_get_config (self->daemon);
  McuAudioMixOptions options = {
    .latency_ms = config->jitter_latency,
    .noise_gate_db = config->noise_gate,
    .max_talkers = 0,
  };
  g_autofree gchar *name = g_strdup_printf ("bridge-%s", self->user);
  g_autoptr (GError) error = NULL;

  self->mix = mcu_audio_mix_new (name, &options, &error);
  if (self->mix == NULL) {
    BRIDGE_LOG (
        self, G_LOG_LEVEL_WARNING, "cannot make the mix: %s", error->message);
    return FALSE;
  }
  return TRUE;
}

void
mcu_bridge_start (McuBridge *self)
{
  g_autoptr (McuBridge) hold = g_object_ref (self);

  g_signal_connect (self->caller, "ended", G_CALLBACK (on_caller_ended), self);
  BRIDGE_LOG (self, G_LOG_LEVEL_INFO, "call for user %s: %u contact(s)",
      self->user, g_strv_length (self->contacts));
  if (self->contacts[0] == NULL) {
    mcu_call_leg_reject (self->caller, 480, "Temporarily Unavailable");
    return;
  }
  if (!make_mix (self)) {
    mcu_call_leg_reject (self->caller, 500, "Server Internal Error");
    return;
  }
  if (!mcu_call_leg_start_bridged (self->caller, self->mix))
    return; /* rejected (bad SDP, no ports, ...); "ended" follows */
  self->fork = mcu_fork_new (MCU_BRIDGE_NO_ANSWER_TIMEOUT);
  g_signal_connect (
      self->fork, "progress", G_CALLBACK (on_fork_progress), self);
  g_signal_connect (
      self->fork, "answered", G_CALLBACK (on_fork_answered), self);
  g_signal_connect (self->fork, "failed", G_CALLBACK (on_fork_failed), self);
  for (gchar **c = self->contacts; *c; c++) {
    g_autoptr (GError) error = NULL;

    if (!dial_contact (self, *c, &error))
      BRIDGE_LOG (
          self, G_LOG_LEVEL_INFO, "cannot call %s: %s", *c, error->message);
  }
  mcu_fork_start (self->fork);
}
