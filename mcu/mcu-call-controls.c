/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one caller's PIN entry, role rules and keypad controls. Main thread
 * only: keys come from the leg's "dtmf" (already on the main loop), prompt
 * ends from the mix's "prompt-done", timers from the main loop.
 *
 * States: NEW -> PIN_ENTRY (a PIN room dialled without its PIN) -> WAITING
 * (a guest while wait-for-moderator finds no moderator) -> JOINED; ENDING
 * plays a last prompt (goodbye, meeting-ended) and hangs up; DONE.
 *
 * Held out (PIN_ENTRY, WAITING, ENDING): out of everyone's mix, and the
 * room replaced by a looping silence prompt (a prompt without
 * MCU_PROMPT_KEEP_MIX replaces the room in what the caller hears; ours
 * play over the silence). Until the silence surely plays (the frames the
 * mixer made before it are out) the caller is deaf; without the silence
 * file, deaf whenever no prompt of ours plays. */
#include "mcu-call-controls.h"
#include "mcu-call-leg.h"
#include "mcu-prompts.h"

#include <math.h>

/* A multi-key sequence ("**") waits this long for its next key. */
#define KEY_SEQUENCE_TIMEOUT_MS 1500
/* Talk volume steps ("talk-up"/"talk-down"). */
#define VOLUME_STEP 0.25
/* Listen volume levels ("listen-up"/"listen-down"), as FreeSWITCH's
 * volume_out: -4 .. +4 steps of 3 dB around 1.0 (0.25 .. 3.98). */
#define LISTEN_LEVEL_DB  3.0
#define LISTEN_LEVEL_MAX 4
#define EXTEND_MINUTES   10
/* After starting the hold silence: the mixer has made its frames. */
#define HOLD_SETTLE_MS 100

typedef enum
{
  PROMPT_NONE,
  PROMPT_IVR,   /* the IVR's: its end goes to mcu_ivr_prompt_done () */
  PROMPT_HOLD,  /* waiting-for-moderator / only-participant, then music */
  PROMPT_MUSIC, /* looping */
  PROMPT_LAST,  /* then hang up */
} PromptKind;

struct _McuCallControls
{
  GObject parent_instance;

  McuCallLeg *leg; /* (weak) it owns us */
  const McuConfig *config;
  McuRoom *room;
  McuAudioMix *mix; /* room_media's */
  McuRoomMedia *room_media;
  McuMediaSession *media;
  McuParticipant *participant;
  McuCallControlsState state;
  McuParticipantRole role; /* given by the PIN */
  gboolean pin_entry;

  McuIvr *ivr; /* (nullable) while entering the PIN */
  guint ivr_timer;

  guint prompt_id; /* our exclusive prompt (0 = none) */
  PromptKind prompt_kind;
  guint notice_id;         /* a MCU_PROMPT_KEEP_MIX notice ("muted") */
  guint hold_id;           /* the looping silence while held out (0 = none) */
  gboolean hold_ready;     /* ... surely playing: no need to be deaf */
  const gchar *bye_reason; /* the Reason of the BYE after PROMPT_LAST */
  guint hold_timer;
  gboolean alone; /* hearing only-participant/music */

  McuKeymap *keymap; /* caller's or moderator's, by role */
  GString *keys;     /* pressed since the last match */
  guint key_timer;

  McuCallControlsExtendFunc extend;
  gpointer extend_data;
};

G_DEFINE_FINAL_TYPE (McuCallControls, mcu_call_controls, G_TYPE_OBJECT)

static void enter_room (McuCallControls *self);
static void update_hold (McuCallControls *self);

static void
mcu_call_controls_dispose (GObject *object)
{
  McuCallControls *self = MCU_CALL_CONTROLS (object);

  g_clear_handle_id (&self->ivr_timer, g_source_remove);
  g_clear_handle_id (&self->key_timer, g_source_remove);
  g_clear_handle_id (&self->hold_timer, g_source_remove);
  if (self->mix)
    g_signal_handlers_disconnect_by_data (self->mix, self);
  if (self->room)
    g_signal_handlers_disconnect_by_data (self->room, self);
  g_clear_object (&self->ivr);
  g_clear_object (&self->mix);
  g_clear_object (&self->room_media);
  g_clear_object (&self->media);
  g_clear_object (&self->participant);
  g_clear_object (&self->room);
  g_clear_pointer (&self->keymap, mcu_keymap_free);
  G_OBJECT_CLASS (mcu_call_controls_parent_class)->dispose (object);
}

static void
mcu_call_controls_finalize (GObject *object)
{
  McuCallControls *self = MCU_CALL_CONTROLS (object);

  g_string_free (self->keys, TRUE);
  G_OBJECT_CLASS (mcu_call_controls_parent_class)->finalize (object);
}

static void
mcu_call_controls_class_init (McuCallControlsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_call_controls_dispose;
  object_class->finalize = mcu_call_controls_finalize;
}

static void
mcu_call_controls_init (McuCallControls *self)
{
  self->keys = g_string_new (NULL);
}

static gboolean
active (McuCallControls *self)
{
  return self->state != MCU_CALL_CONTROLS_STATE_NEW &&
         self->state != MCU_CALL_CONTROLS_STATE_DONE && self->leg != NULL;
}

/* ----- prompts ----- */

/* The files of prompt names @names (NULL-terminated) that exist; a missing
 * one is logged and left out. (transfer full) */
static GStrv
prompt_files (McuCallControls *self, const gchar *const *names)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();

  for (guint i = 0; names[i]; i++) {
    g_autofree gchar *path =
        mcu_prompts_path (self->config, self->room, names[i]);

    if (path)
      g_strv_builder_add (b, path);
    else
      g_message ("room %s: prompt %s missing", mcu_room_get_name (self->room),
          names[i]);
  }
  return g_strv_builder_end (b);
}

static void on_prompt_over (McuCallControls *self, PromptKind kind);

/* Plays @names to this caller alone (out of the room), replacing any
 * prompt of ours; the end comes to on_prompt_over (). A prompt that cannot
 * play ends at once. */
static void
play (McuCallControls *self, const gchar *const *names, PromptKind kind,
    McuPromptFlags flags)
{
  g_auto (GStrv) files = prompt_files (self, names);
  g_autoptr (GError) error = NULL;
  guint old = self->prompt_id;

  self->prompt_id = 0;
  self->prompt_kind = PROMPT_NONE;
  if (old)
    mcu_audio_mix_stop_prompt (self->mix, old);
  if (files[0])
    self->prompt_id = mcu_audio_mix_play_to (
        self->mix, self->media, (const gchar *const *)files, flags, &error);
  if (self->prompt_id == 0) {
    if (error)
      g_message ("room %s: prompt %s not played: %s",
          mcu_room_get_name (self->room), names[0], error->message);
    update_hold (self);
    on_prompt_over (self, kind);
    return;
  }
  self->prompt_kind = kind;
  update_hold (self);
}

static void
play1 (McuCallControls *self, const gchar *name, PromptKind kind,
    McuPromptFlags flags)
{
  const gchar *names[] = { name, NULL };

  play (self, names, kind, flags);
}

static void
stop_prompt (McuCallControls *self)
{
  guint old = self->prompt_id;

  self->prompt_id = 0;
  self->prompt_kind = PROMPT_NONE;
  if (old)
    mcu_audio_mix_stop_prompt (self->mix, old);
}

/* A personal notice over the room ("muted"): the caller stays in it. */
static void
notice (McuCallControls *self, const gchar *name)
{
  const gchar *names[] = { name, NULL };
  g_auto (GStrv) files = prompt_files (self, names);

  if (self->notice_id)
    mcu_audio_mix_stop_prompt (self->mix, self->notice_id);
  self->notice_id = 0;
  if (files[0])
    self->notice_id = mcu_audio_mix_play_to (self->mix, self->media,
        (const gchar *const *)files, MCU_PROMPT_KEEP_MIX, NULL);
}

/* To everyone in the room. */
static void
announce (McuCallControls *self, const gchar *name)
{
  const gchar *names[] = { name, NULL };
  g_auto (GStrv) files = prompt_files (self, names);
  g_autoptr (GError) error = NULL;

  if (files[0] &&
      !mcu_audio_mix_announce (self->mix, (const gchar *const *)files, &error))
    g_message ("room %s: %s not announced: %s", mcu_room_get_name (self->room),
        name, error->message);
}

static gboolean
on_hold_timer (gpointer data)
{
  McuCallControls *self = data;

  self->hold_timer = 0;
  self->hold_ready = self->hold_id != 0;
  update_hold (self);
  return G_SOURCE_REMOVE;
}

static void
stop_hold (McuCallControls *self)
{
  guint old = self->hold_id;

  self->hold_id = 0;
  self->hold_ready = FALSE;
  g_clear_handle_id (&self->hold_timer, g_source_remove);
  if (old)
    mcu_audio_mix_stop_prompt (self->mix, old);
}

static void
start_hold (McuCallControls *self)
{
  g_autofree gchar *file =
      mcu_prompts_path (self->config, self->room, "silence");
  const gchar *files[] = { file, NULL };

  if (file)
    self->hold_id = mcu_audio_mix_play_to (
        self->mix, self->media, files, MCU_PROMPT_LOOP, NULL);
  if (self->hold_id)
    self->hold_timer = g_timeout_add (HOLD_SETTLE_MS, on_hold_timer, self);
}

/* Out of the mix while held out, hearing none of the room (see the top). */
static void
update_hold (McuCallControls *self)
{
  gboolean held = mcu_participant_get_state (self->participant) !=
                      MCU_PARTICIPANT_STATE_JOINED ||
                  self->state == MCU_CALL_CONTROLS_STATE_ENDING;
  gboolean deaf;

  if (self->leg == NULL)
    return;
  mcu_call_leg_set_held_out (self->leg, held);
  if (!held) {
    stop_hold (self);
    mcu_media_session_set_deaf (
        self->media, mcu_participant_get_deaf (self->participant));
    return;
  }
  /* after the answer: before it nothing is sent anyway */
  if (self->hold_id == 0 && self->state != MCU_CALL_CONTROLS_STATE_NEW)
    start_hold (self);
  if (self->hold_id)
    deaf = !self->hold_ready;
  else
    deaf = self->prompt_id == 0;
  mcu_media_session_set_deaf (self->media, deaf);
}

/* ----- PIN entry ----- */

static void run_ivr_actions (McuCallControls *self, GArray *actions);

static gboolean
on_ivr_timer (gpointer data)
{
  McuCallControls *self = data;

  self->ivr_timer = 0;
  if (self->ivr)
    run_ivr_actions (
        self, mcu_ivr_timeout (self->ivr, g_get_monotonic_time ()));
  return G_SOURCE_REMOVE;
}

static void
arm_ivr_timer (McuCallControls *self)
{
  gint64 deadline = self->ivr ? mcu_ivr_get_deadline (self->ivr) : 0;
  gint64 now = g_get_monotonic_time ();

  g_clear_handle_id (&self->ivr_timer, g_source_remove);
  if (deadline == 0)
    return;
  self->ivr_timer = g_timeout_add (
      deadline > now ? (guint)((deadline - now + 999) / 1000) : 0, on_ivr_timer,
      self);
}

static void end_call (
    McuCallControls *self, const gchar *prompt, const gchar *reason);

static void
admit (McuCallControls *self, McuParticipantRole role)
{
  g_clear_object (&self->ivr);
  g_clear_handle_id (&self->ivr_timer, g_source_remove);
  self->role = role;
  g_message ("room %s: participant %u entered the %s PIN",
      mcu_room_get_name (self->room),
      mcu_participant_get_id (self->participant),
      mcu_participant_role_to_string (role));
  /* locked while the PIN was entered: the lock wins */
  if (mcu_room_get_locked (self->room)) {
    end_call (self, "locked", "SIP;cause=403;text=\"room locked\"");
    return;
  }
  enter_room (self);
}

/* Runs (and frees) what the IVR said to do. */
static void
run_ivr_actions (McuCallControls *self, GArray *actions)
{
  g_autoptr (GArray) owned = actions;
  g_autoptr (McuCallControls) hold = g_object_ref (self);

  for (guint i = 0; i < actions->len && self->ivr; i++) {
    McuIvrAction *a = &g_array_index (actions, McuIvrAction, i);

    switch (a->type) {
      case MCU_IVR_ACTION_PLAY:
        play (self, a->prompts, PROMPT_IVR, MCU_PROMPT_NONE);
        break;
      case MCU_IVR_ACTION_STOP_PROMPT:
        stop_prompt (self);
        update_hold (self);
        break;
      case MCU_IVR_ACTION_ADMIT:
        admit (self, a->role);
        return;
      case MCU_IVR_ACTION_HANGUP:
        g_clear_object (&self->ivr);
        self->state = MCU_CALL_CONTROLS_STATE_DONE;
        if (self->leg)
          mcu_call_leg_hangup (self->leg, "SIP;cause=403;text=\"wrong PIN\"");
        return;
    }
  }
  arm_ivr_timer (self);
}

/* ----- the room's rules ----- */

static gboolean
is_moderator (McuCallControls *self)
{
  return self->role == MCU_PARTICIPANT_ROLE_MODERATOR;
}

static void
set_state (McuCallControls *self, McuCallControlsState state)
{
  self->state = state;
  switch (state) {
    case MCU_CALL_CONTROLS_STATE_PIN_ENTRY:
      mcu_participant_set_state (
          self->participant, MCU_PARTICIPANT_STATE_PIN_ENTRY);
      break;
    case MCU_CALL_CONTROLS_STATE_WAITING:
      mcu_participant_set_state (
          self->participant, MCU_PARTICIPANT_STATE_WAITING);
      break;
    case MCU_CALL_CONTROLS_STATE_JOINED:
      mcu_participant_set_state (
          self->participant, MCU_PARTICIPANT_STATE_JOINED);
      break;
    default:
      break;
  }
  update_hold (self);
}

static void
load_keymap (McuCallControls *self)
{
  g_autoptr (McuKeymap) caller = NULL;
  g_autoptr (McuKeymap) moderator = NULL;

  g_clear_pointer (&self->keymap, mcu_keymap_free);
  /* both were validated when the config loaded */
  caller = mcu_keymap_new_parse (self->config->controls_caller, FALSE, NULL);
  if (caller == NULL)
    return;
  if (!is_moderator (self)) {
    self->keymap = g_steal_pointer (&caller);
    return;
  }
  moderator =
      mcu_keymap_new_parse (self->config->controls_moderator, TRUE, NULL);
  self->keymap = moderator ? mcu_keymap_new_merged (caller, moderator)
                           : g_steal_pointer (&caller);
}

/* Alone in the room (announce-alone): only-participant, then music, until
 * someone else joins. */
static void
update_alone (McuCallControls *self)
{
  gboolean alone =
      self->state == MCU_CALL_CONTROLS_STATE_JOINED &&
      mcu_room_has_option (self->room, MCU_ROOM_OPTION_ANNOUNCE_ALONE) &&
      mcu_room_count_joined (self->room) == 1;

  if (alone == self->alone)
    return;
  self->alone = alone;
  if (alone) {
    play1 (self, "only-participant", PROMPT_HOLD, MCU_PROMPT_NONE);
  } else if (self->prompt_kind == PROMPT_HOLD ||
             self->prompt_kind == PROMPT_MUSIC) {
    stop_prompt (self);
    update_hold (self);
  }
}

static gboolean
wants_join_tones (McuCallControls *self)
{
  return self->config->join_tones ||
         mcu_room_has_option (self->room, MCU_ROOM_OPTION_ANNOUNCE_JOIN_LEAVE);
}

/* Into the conversation; chimed in when it was held out (a caller that
 * joins at once is chimed by the announcer). */
static void
join (McuCallControls *self)
{
  gboolean was_held = mcu_participant_get_state (self->participant) !=
                      MCU_PARTICIPANT_STATE_JOINED;

  set_state (self, MCU_CALL_CONTROLS_STATE_JOINED);
  if (was_held && wants_join_tones (self))
    announce (self, "join-tone");
  update_alone (self);
}

/* Joined, or waiting for a moderator. */
static void
enter_room (McuCallControls *self)
{
  gboolean wait = mcu_call_controls_first_state (self->room, FALSE,
                      self->role) == MCU_PARTICIPANT_STATE_WAITING;

  stop_prompt (self);
  mcu_participant_set_role (self->participant, self->role);
  load_keymap (self);
  if (!is_moderator (self) &&
      mcu_room_has_option (self->room, MCU_ROOM_OPTION_MUTE_GUESTS))
    mcu_call_leg_set_muted (self->leg, TRUE);
  if (wait) {
    set_state (self, MCU_CALL_CONTROLS_STATE_WAITING);
    play1 (self, "waiting-for-moderator", PROMPT_HOLD, MCU_PROMPT_NONE);
    return;
  }
  join (self);
}

static void
on_prompt_over (McuCallControls *self, PromptKind kind)
{
  switch (kind) {
    case PROMPT_IVR:
      if (self->ivr)
        run_ivr_actions (
            self, mcu_ivr_prompt_done (self->ivr, g_get_monotonic_time ()));
      break;
    case PROMPT_HOLD:
      if (self->state == MCU_CALL_CONTROLS_STATE_WAITING || self->alone)
        play1 (self, "music", PROMPT_MUSIC, MCU_PROMPT_LOOP);
      break;
    case PROMPT_LAST:
      self->state = MCU_CALL_CONTROLS_STATE_DONE;
      if (self->leg)
        mcu_call_leg_hangup (self->leg, self->bye_reason);
      break;
    case PROMPT_MUSIC:
    case PROMPT_NONE:
      break;
  }
}

static void
on_mix_prompt_done (
    McuAudioMix *mix, guint prompt_id, gboolean completed, gpointer data)
{
  McuCallControls *self = data;
  PromptKind kind = self->prompt_kind;

  if (prompt_id == self->notice_id)
    self->notice_id = 0;
  if (prompt_id != 0 && prompt_id == self->hold_id) {
    /* the silence went (the call leaves): deaf until it is back */
    self->hold_id = 0;
    self->hold_ready = FALSE;
    update_hold (self);
    return;
  }
  if (prompt_id == 0 || prompt_id != self->prompt_id)
    return;
  self->prompt_id = 0;
  self->prompt_kind = PROMPT_NONE;
  update_hold (self);
  if (active (self))
    on_prompt_over (self, kind);
}

/* Someone's role or state changed, or someone came or left. */
static void
on_room_changed (McuCallControls *self)
{
  if (!active (self))
    return;
  if (self->state == MCU_CALL_CONTROLS_STATE_WAITING &&
      (!mcu_room_has_option (self->room, MCU_ROOM_OPTION_WAIT_FOR_MODERATOR) ||
          mcu_room_count_role (
              self->room, MCU_PARTICIPANT_ROLE_MODERATOR, TRUE) > 0)) {
    stop_prompt (self);
    join (self);
    return;
  }
  update_alone (self);
}

static void
on_member_changed (McuRoom *room, McuParticipant *p, gpointer data)
{
  McuCallControls *self = data;

  /* our own role changed by the operator: its key map */
  if (p == self->participant && mcu_participant_get_role (p) != self->role &&
      active (self) && self->state != MCU_CALL_CONTROLS_STATE_PIN_ENTRY) {
    self->role = mcu_participant_get_role (p);
    load_keymap (self);
  }
  on_room_changed (self);
}

static void
on_participant_added (McuRoom *room, McuParticipant *p, gpointer data)
{
  on_room_changed (data);
}

/* The last joined moderator left: with end-when-moderator-leaves the
 * meeting ends for everyone. */
static void
on_participant_removed (McuRoom *room, McuParticipant *p, gpointer data)
{
  McuCallControls *self = data;

  if (active (self) && p != self->participant &&
      self->state != MCU_CALL_CONTROLS_STATE_PIN_ENTRY &&
      mcu_participant_get_role (p) == MCU_PARTICIPANT_ROLE_MODERATOR &&
      mcu_participant_get_state (p) == MCU_PARTICIPANT_STATE_JOINED &&
      mcu_room_has_option (room, MCU_ROOM_OPTION_END_WHEN_MODERATOR_LEAVES) &&
      mcu_room_count_role (room, MCU_PARTICIPANT_ROLE_MODERATOR, TRUE) == 0) {
    mcu_call_controls_end (self, "meeting-ended");
    return;
  }
  on_room_changed (self);
}

/* ----- keys ----- */

/* Every other guest's leg: muted. */
static void
mute_guests (McuCallControls *self)
{
  g_autoptr (GList) participants = mcu_room_list_participants (self->room);

  for (GList *l = participants; l; l = l->next) {
    McuCallLeg *leg = mcu_room_media_get_leg (self->room_media, l->data);

    if (leg && l->data != self->participant &&
        mcu_participant_get_role (l->data) == MCU_PARTICIPANT_ROLE_GUEST)
      mcu_call_leg_set_muted (leg, TRUE);
  }
  notice (self, "all-muted");
}

/* Everyone hears meeting-ended and is hung up. */
static void
end_meeting (McuCallControls *self)
{
  g_autoptr (GList) participants = mcu_room_list_participants (self->room);

  g_message ("room %s: participant %u ended the meeting",
      mcu_room_get_name (self->room),
      mcu_participant_get_id (self->participant));
  for (GList *l = participants; l; l = l->next) {
    McuCallLeg *leg = mcu_room_media_get_leg (self->room_media, l->data);
    McuCallControls *c = leg ? mcu_call_leg_get_controls (leg) : NULL;

    if (c)
      mcu_call_controls_end (c, "meeting-ended");
    else if (leg)
      mcu_call_leg_hangup (leg, "SIP;cause=200;text=\"the meeting has ended\"");
  }
}

static void
extend_meeting (McuCallControls *self)
{
  g_autoptr (GError) error = NULL;

  if (self->extend == NULL ||
      !self->extend (self->extend_data, self->room, EXTEND_MINUTES, &error)) {
    g_message ("room %s: meeting not extended: %s",
        mcu_room_get_name (self->room),
        error ? error->message : "no scheduler");
    return;
  }
  announce (self, "meeting-extended");
}

/* The listen volume one level (@step = -1 or +1) from @volume's nearest
 * level; nothing below the lowest (a volume under it, e.g. 0.0 set through
 * the API, goes up to the lowest) or above the highest. */
static gdouble
listen_step (gdouble volume, gint step)
{
  gint level = -LISTEN_LEVEL_MAX - 1;

  if (volume > 0.0)
    level = MAX (level, (gint)lround (20.0 * log10 (volume) / LISTEN_LEVEL_DB));
  if ((step < 0 && level <= -LISTEN_LEVEL_MAX) ||
      (step > 0 && level >= LISTEN_LEVEL_MAX))
    return volume;
  return pow (10.0, (level + step) * LISTEN_LEVEL_DB / 20.0);
}

static void
run_key_action (McuCallControls *self, McuKeyAction action)
{
  gboolean muted = mcu_participant_get_muted (self->participant);
  gdouble volume = mcu_participant_get_volume (self->participant);

  g_debug ("room %s: participant %u key action %s",
      mcu_room_get_name (self->room),
      mcu_participant_get_id (self->participant),
      mcu_key_action_to_string (action));
  switch (action) {
    case MCU_KEY_ACTION_MUTE:
      mcu_call_leg_set_muted (self->leg, !muted);
      notice (self, muted ? "unmuted" : "muted");
      break;
    case MCU_KEY_ACTION_DEAF:
      mcu_call_leg_set_deaf (
          self->leg, !mcu_participant_get_deaf (self->participant));
      break;
    case MCU_KEY_ACTION_TALK_DOWN:
      mcu_call_leg_set_volume (self->leg, volume - VOLUME_STEP);
      break;
    case MCU_KEY_ACTION_TALK_UP:
      mcu_call_leg_set_volume (self->leg, volume + VOLUME_STEP);
      break;
    case MCU_KEY_ACTION_LISTEN_DOWN:
      mcu_call_leg_set_listen_volume (self->leg,
          listen_step (
              mcu_participant_get_listen_volume (self->participant), -1));
      break;
    case MCU_KEY_ACTION_LISTEN_UP:
      mcu_call_leg_set_listen_volume (self->leg,
          listen_step (
              mcu_participant_get_listen_volume (self->participant), +1));
      break;
    case MCU_KEY_ACTION_HANGUP:
      mcu_call_leg_hangup (self->leg, "SIP;cause=200;text=\"hung up by key\"");
      break;
    case MCU_KEY_ACTION_LOCK:
      mcu_room_set_locked (self->room, !mcu_room_get_locked (self->room));
      announce (self, mcu_room_get_locked (self->room) ? "room-locked-now"
                                                       : "room-unlocked-now");
      break;
    case MCU_KEY_ACTION_MUTE_GUESTS:
      mute_guests (self);
      break;
    case MCU_KEY_ACTION_EXTEND:
      extend_meeting (self);
      break;
    case MCU_KEY_ACTION_END:
      end_meeting (self);
      break;
    case MCU_KEY_ACTION_NONE:
      break;
  }
}

static gboolean
on_key_timer (gpointer data)
{
  McuCallControls *self = data;
  McuKeyAction action = MCU_KEY_ACTION_NONE;

  self->key_timer = 0;
  if (self->keymap)
    mcu_keymap_match (self->keymap, self->keys->str, &action);
  g_string_truncate (self->keys, 0);
  if (action != MCU_KEY_ACTION_NONE)
    run_key_action (self, action);
  return G_SOURCE_REMOVE;
}

static void
keypad (McuCallControls *self, const gchar *digit)
{
  McuKeyAction action = MCU_KEY_ACTION_NONE;
  McuKeyMatch match;

  if (self->keymap == NULL)
    return;
  g_clear_handle_id (&self->key_timer, g_source_remove);
  g_string_append (self->keys, digit);
  match = mcu_keymap_match (self->keymap, self->keys->str, &action);
  if (match == MCU_KEY_MATCH_NONE && self->keys->len > 1) {
    /* a sequence that went nowhere: the new key on its own */
    g_string_assign (self->keys, digit);
    match = mcu_keymap_match (self->keymap, self->keys->str, &action);
  }
  switch (match) {
    case MCU_KEY_MATCH_PARTIAL:
      self->key_timer =
          g_timeout_add (KEY_SEQUENCE_TIMEOUT_MS, on_key_timer, self);
      return;
    case MCU_KEY_MATCH_FULL:
      g_string_truncate (self->keys, 0);
      run_key_action (self, action);
      return;
    case MCU_KEY_MATCH_NONE:
      g_string_truncate (self->keys, 0);
      return;
  }
}

static void
on_leg_dtmf (McuCallControls *self, const gchar *digit, const gchar *method)
{
  mcu_call_controls_digit (self, digit);
}

/* ----- public ----- */

McuCallControls *
mcu_call_controls_new (McuCallLeg *leg, const McuConfig *config, McuRoom *room,
    McuRoomMedia *room_media, McuMediaSession *media,
    McuParticipant *participant, gboolean pin_entry, McuParticipantRole role)
{
  McuCallControls *self = g_object_new (MCU_TYPE_CALL_CONTROLS, NULL);

  self->leg = leg;
  self->config = config;
  self->room = g_object_ref (room);
  self->room_media = g_object_ref (room_media);
  self->mix = g_object_ref (mcu_room_media_get_audio_mix (room_media));
  self->media = g_object_ref (media);
  self->participant = g_object_ref (participant);
  self->pin_entry = pin_entry;
  self->role = role;
  g_signal_connect (
      self->mix, "prompt-done", G_CALLBACK (on_mix_prompt_done), self);
  g_signal_connect (
      room, "member-changed", G_CALLBACK (on_member_changed), self);
  g_signal_connect (
      room, "participant-added", G_CALLBACK (on_participant_added), self);
  g_signal_connect (
      room, "participant-removed", G_CALLBACK (on_participant_removed), self);
  /* keys: RFC 4733, INFO and in-band, all through the leg */
  g_signal_connect_object (
      leg, "dtmf", G_CALLBACK (on_leg_dtmf), self, G_CONNECT_SWAPPED);
  /* held out from the first packet (first state from the leg) */
  update_hold (self);
  return self;
}

McuParticipantState
mcu_call_controls_first_state (
    McuRoom *room, gboolean pin_entry, McuParticipantRole role)
{
  if (pin_entry)
    return MCU_PARTICIPANT_STATE_PIN_ENTRY;
  if (role == MCU_PARTICIPANT_ROLE_GUEST &&
      mcu_room_has_option (room, MCU_ROOM_OPTION_WAIT_FOR_MODERATOR) &&
      mcu_room_count_role (room, MCU_PARTICIPANT_ROLE_MODERATOR, TRUE) == 0)
    return MCU_PARTICIPANT_STATE_WAITING;
  return MCU_PARTICIPANT_STATE_JOINED;
}

void
mcu_call_controls_set_extend_func (
    McuCallControls *self, McuCallControlsExtendFunc func, gpointer data)
{
  self->extend = func;
  self->extend_data = data;
}

void
mcu_call_controls_start (McuCallControls *self)
{
  g_return_if_fail (MCU_IS_CALL_CONTROLS (self));
  if (self->state != MCU_CALL_CONTROLS_STATE_NEW || self->leg == NULL)
    return;
  if (!self->pin_entry) {
    enter_room (self);
    return;
  }
  set_state (self, MCU_CALL_CONTROLS_STATE_PIN_ENTRY);
  self->ivr = mcu_ivr_new (self->room, NULL);
  run_ivr_actions (self, mcu_ivr_start (self->ivr, g_get_monotonic_time ()));
}

void
mcu_call_controls_digit (McuCallControls *self, const gchar *digit)
{
  g_return_if_fail (MCU_IS_CALL_CONTROLS (self));
  if (!active (self) || digit == NULL)
    return;
  switch (self->state) {
    case MCU_CALL_CONTROLS_STATE_PIN_ENTRY:
      if (self->ivr)
        run_ivr_actions (
            self, mcu_ivr_digit (self->ivr, digit, g_get_monotonic_time ()));
      break;
    case MCU_CALL_CONTROLS_STATE_JOINED:
      keypad (self, digit);
      break;
    default:
      break; /* waiting or ending: keys mean nothing */
  }
}

void
mcu_call_controls_end (McuCallControls *self, const gchar *prompt)
{
  g_return_if_fail (MCU_IS_CALL_CONTROLS (self));
  end_call (self, prompt, "SIP;cause=200;text=\"the meeting has ended\"");
}

/* @prompt (nullable), then BYE with @reason (a static string). */
static void
end_call (McuCallControls *self, const gchar *prompt, const gchar *reason)
{
  if (!active (self) || self->state == MCU_CALL_CONTROLS_STATE_ENDING)
    return;
  self->bye_reason = reason;
  g_clear_object (&self->ivr);
  g_clear_handle_id (&self->ivr_timer, g_source_remove);
  g_clear_handle_id (&self->key_timer, g_source_remove);
  set_state (self, MCU_CALL_CONTROLS_STATE_ENDING);
  if (prompt)
    play1 (self, prompt, PROMPT_LAST, MCU_PROMPT_NONE);
  else
    on_prompt_over (self, PROMPT_LAST);
}

void
mcu_call_controls_leave (McuCallControls *self)
{
  g_return_if_fail (MCU_IS_CALL_CONTROLS (self));
  self->state = MCU_CALL_CONTROLS_STATE_DONE;
  g_clear_handle_id (&self->ivr_timer, g_source_remove);
  g_clear_handle_id (&self->key_timer, g_source_remove);
  stop_prompt (self);
  stop_hold (self);
  if (self->notice_id)
    mcu_audio_mix_stop_prompt (self->mix, self->notice_id);
  self->notice_id = 0;
  self->leg = NULL;
}

McuCallControlsState
mcu_call_controls_get_state (McuCallControls *self)
{
  g_return_val_if_fail (
      MCU_IS_CALL_CONTROLS (self), MCU_CALL_CONTROLS_STATE_DONE);
  return self->state;
}
