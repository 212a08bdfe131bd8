/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the daemon. Main thread only. */
#include "mcu-daemon.h"
#include "mcu-daemon-store.h"
#include "mcu-call-leg.h"
#include "mcu-control.h"
#include "mcu-events.h"
#include "mcu-announcer.h"
#include "mcu-prompts.h"
#include "mcu-bridge.h"
#include "mcu-dialer.h"
#include "mcu-chat.h"
#include "mcu-registrar.h"
#include "mcu-store.h"
#include "mcu-scheduler-glue.h"
#include "mcu-cluster-admit.h"
#include "mcu-recordings.h"
#include "mcu-streams.h"
#include "mcu-build-config.h"

struct _McuDaemon
{
  GObject parent_instance;

  McuConfig *config;
  McuCallEnv env;
  McuSdpCodec codecs[5];
  McuSipAgent *agent;
  GHashTable *legs; /* McuCallLeg* (owned) set */
  gboolean stopping;
  gint64 started_at;
  McuDaemonCounters counters;
  McuEvents *events;
  McuControl *control;
  McuRegistrar *registrar; /* (nullable) users and their contacts */
  McuAuth *auth;           /* digest users and nonces */
  McuStore *store;         /* the database: bindings, users */
  GHashTable *bridges;     /* McuBridge* (owned) set: calls to users */
  McuDialer *dialer;
  McuChat *chat;
  McuScheduler *scheduler; /* scheduled meetings */
  McuRecordings *recordings;
  McuStreams *streams;
  McuAnnouncer *announcer; /* prompts to rooms and participants */
  McuCluster *cluster;     /* (nullable) [cluster] node= is set */
};

G_DEFINE_FINAL_TYPE (McuDaemon, mcu_daemon, G_TYPE_OBJECT)

enum
{
  SIGNAL_STOPPED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
mcu_daemon_dispose (GObject *object)
{
  McuDaemon *self = MCU_DAEMON (object);

  g_clear_object (&self->control);
  g_clear_object (&self->cluster);
  mcu_scheduler_glue_free (self, g_steal_pointer (&self->scheduler));
  g_clear_object (&self->streams);
  g_clear_object (&self->recordings);
  g_clear_object (&self->announcer);
  g_clear_object (&self->events);
  g_clear_object (&self->chat);
  g_clear_object (&self->dialer);
  g_clear_pointer (&self->bridges, g_hash_table_unref);
  g_clear_pointer (&self->legs, g_hash_table_unref);
  g_clear_object (&self->env.room_media);
  if (self->agent)
    g_signal_handlers_disconnect_by_data (self->agent, self);
  g_clear_object (&self->agent);
  g_clear_object (&self->env.rooms);
  g_clear_object (&self->env.ports);
  g_clear_object (&self->registrar);
  g_clear_object (&self->auth);
  if (self->store)
    mcu_store_close (self->store);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (mcu_daemon_parent_class)->dispose (object);
}

static void
mcu_daemon_finalize (GObject *object)
{
  McuDaemon *self = MCU_DAEMON (object);

  mcu_config_free (self->config);
  g_hash_table_unref (self->counters.failed_by_status);
  G_OBJECT_CLASS (mcu_daemon_parent_class)->finalize (object);
}

static void
mcu_daemon_class_init (McuDaemonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_daemon_dispose;
  object_class->finalize = mcu_daemon_finalize;
  signals[SIGNAL_STOPPED] = g_signal_new ("stopped", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
mcu_daemon_init (McuDaemon *self)
{
  self->legs = g_hash_table_new_full (
      g_direct_hash, g_direct_equal, g_object_unref, NULL);
  self->bridges = g_hash_table_new_full (
      g_direct_hash, g_direct_equal, g_object_unref, NULL);
  self->counters.failed_by_status = g_hash_table_new (NULL, NULL);
  self->started_at = g_get_real_time ();
}

static void
on_leg_ended (McuCallLeg *leg, McuDaemon *self)
{
  guint status = mcu_call_leg_get_final_status (leg);
  McuMediaStats st;

  mcu_call_leg_get_stats (leg, &st);
  self->counters.ended_media.packets_received += st.packets_received;
  self->counters.ended_media.packets_sent += st.packets_sent;
  self->counters.ended_media.packets_lost += st.packets_lost;

  if (status >= 300) {
    gpointer key = GUINT_TO_POINTER (status);
    guint64 n = GPOINTER_TO_SIZE (
        g_hash_table_lookup (self->counters.failed_by_status, key));

    self->counters.calls_failed++;
    g_hash_table_insert (
        self->counters.failed_by_status, key, GSIZE_TO_POINTER (n + 1));
  }
  g_signal_handlers_disconnect_by_data (leg, self);
  g_hash_table_remove (self->legs, leg);
}

/* Event "dtmf-sent": the digits the API or a dial sent are out. */
static void
on_leg_dtmf_sent (
    McuCallLeg *leg, const gchar *digits, const gchar *method, McuDaemon *self)
{
  McuParticipant *p = mcu_call_leg_get_participant (leg);
  g_autofree gchar *fields =
      g_strdup_printf ("\"digits\":\"%s\",\"method\":\"%s\"", digits, method);

  if (p && self->events)
    mcu_events_emit (
        self->events, "dtmf-sent", mcu_participant_get_room (p), p, fields);
}

/* Every key pressed by a participant is one event (not before the caller
 * is a participant: a PIN typed in the IVR stays off the stream). */
static void
on_leg_dtmf (
    McuCallLeg *leg, const gchar *digit, const gchar *method, McuDaemon *self)
{
  McuParticipant *p = mcu_call_leg_get_participant (leg);
  g_autofree gchar *fields = NULL;

  if (p == NULL || self->events == NULL)
    return;
  fields =
      g_strdup_printf ("\"digit\":\"%s\",\"method\":\"%s\"", digit, method);
  mcu_events_emit (
      self->events, "dtmf", mcu_participant_get_room (p), p, fields);
}

void
mcu_daemon_add_leg (McuDaemon *self, McuCallLeg *leg)
{
  self->counters.calls_total++;
  g_hash_table_add (self->legs, g_object_ref (leg));
  g_signal_connect (leg, "ended", G_CALLBACK (on_leg_ended), self);
  g_signal_connect (leg, "dtmf-sent", G_CALLBACK (on_leg_dtmf_sent), self);
  g_signal_connect (leg, "dtmf", G_CALLBACK (on_leg_dtmf), self);
}

static void
on_bridge_ended (McuBridge *bridge, McuDaemon *self)
{
  g_signal_handlers_disconnect_by_data (bridge, self);
  g_hash_table_remove (self->bridges, bridge);
}

/* A call for a user (not an open room): through a bridge to its contacts
 * (480 when it has none). FALSE: not a user, the call is for a room. */
static gboolean
route_to_user (McuDaemon *self, McuCallLeg *leg, const gchar *target)
{
  g_autoptr (GPtrArray) bindings = NULL;
  g_autoptr (GStrvBuilder) contacts = NULL;
  g_auto (GStrv) strv = NULL;
  McuBridge *bridge;

  if (self->registrar == NULL ||
      mcu_room_directory_lookup (self->env.rooms, target) ||
      !mcu_registrar_is_user (self->registrar, target))
    return FALSE;
  bindings = mcu_registrar_lookup (self->registrar, target);
  contacts = g_strv_builder_new ();
  for (guint i = 0; i < bindings->len; i++) {
    g_autofree gchar *uri =
        mcu_binding_dial_uri (g_ptr_array_index (bindings, i));

    g_strv_builder_add (contacts, uri);
  }
  strv = g_strv_builder_end (contacts);
  bridge = mcu_bridge_new (self, leg, target, (const gchar *const *)strv);
  g_hash_table_add (self->bridges, bridge);
  g_signal_connect (bridge, "ended", G_CALLBACK (on_bridge_ended), self);
  mcu_bridge_start (bridge);
  return TRUE;
}

static void
on_agent_incoming_call (McuSipAgent *agent, McuSipCall *call, McuDaemon *self)
{
  g_autoptr (McuCallLeg) leg = mcu_call_leg_new (&self->env, call);

  mcu_daemon_add_leg (self, leg);
  if (route_to_user (self, leg, mcu_sip_call_get_target (call)))
    return;
  if (self->cluster) /* the room's node first: maybe not this one */
    mcu_cluster_admit_leg (self->cluster, leg, self->config->retry_after);
  else
    mcu_call_leg_start (leg);
}

static void
on_agent_shutdown_complete (McuSipAgent *agent, McuDaemon *self)
{
  g_hash_table_remove_all (self->legs);
  g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
}

static void
set_codec_prefs (McuDaemon *self)
{
  static const struct
  {
    const gchar *name;
    McuSdpCodec codec;
  } names[] = {
    { "opus", MCU_SDP_CODEC_OPUS },
    { "g722", MCU_SDP_CODEC_G722 },
    { "pcmu", MCU_SDP_CODEC_PCMU },
    { "pcma", MCU_SDP_CODEC_PCMA },
  };
  guint n = 0;

  for (gchar **c = self->config->codecs; *c && n < 4; c++)
    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      if (g_str_equal (*c, names[i].name))
        self->codecs[n++] = names[i].codec;
  self->codecs[n] = MCU_SDP_CODEC_NONE;
  self->env.prefs.codecs = self->codecs;
  self->env.prefs.server_order = self->config->codec_server_order;
  /* an offer we cannot send to is refused in SDP, never in the pipeline */
  self->env.prefs.address_family = mcu_config_media_family (self->config);
  self->env.prefs.srtp = (McuSdpSrtpMode)self->config->srtp;
  /* per call: TRUE over TLS (McuCallLeg), or for every call when allowed */
  self->env.prefs.srtp_keys_ok = self->config->srtp_allow_insecure_keys;
  self->env.prefs.audio_level = self->config->audio_level;
}

/* The store, the digest users and the registrar, given to the agent. */
static gboolean
open_registrar (McuDaemon *self, GError **error)
{
  const McuConfig *c = self->config;
  const gchar *domains[] = { c->sip_domain, c->sip_listen, NULL };
  McuAuthOptions auth = {
    .realm = c->auth_realm,
    .for_register = c->auth_register,
    .for_invite = c->auth_invite,
    .for_message = c->auth_message,
    .nonce_lifetime = c->nonce_lifetime,
    .max_failures = c->auth_max_failures,
    .failure_window = 60,
    .max_backoff = c->auth_max_backoff,
    .no_md5 =
        !g_strv_contains ((const gchar *const *)c->auth_algorithms, "md5"),
    .no_sha256 =
        !g_strv_contains ((const gchar *const *)c->auth_algorithms, "sha-256"),
  };
  McuRegistrarOptions reg = {
    .domains = domains,
    .min_expires = c->min_expires,
    .max_expires = c->max_expires,
    .default_expires = c->default_expires,
    .max_contacts = c->max_contacts,
    .max_bindings_per_source = c->max_bindings_per_source,
  };

  self->store = mcu_daemon_store_open (c, error);
  if (self->store == NULL)
    return FALSE;
  auth.store = MCU_BINDING_STORE (self->store);
  self->auth = mcu_auth_new (&auth);
  for (guint i = 0; i < c->users->len; i++) {
    McuConfigUser *u = g_ptr_array_index (c->users, i);

    if (!mcu_auth_add_user (
            self->auth, u->name, u->password, u->ha1, u->display)) {
      g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_BAD_VALUE,
          "%s: [user:%s] ha1: not 32 (MD5) or 64 (SHA-256) hex digits",
          c->path ? c->path : "config", u->name);
      return FALSE;
    }
  }
  reg.store = auth.store;
  reg.auth = self->auth;
  self->registrar = mcu_registrar_new (&reg, error);
  if (self->registrar == NULL)
    return FALSE;
  mcu_sip_agent_set_auth (self->agent, self->auth);
  mcu_sip_agent_set_registrar (self->agent, self->registrar);
  g_info ("registrar: realm %s, database %s", c->auth_realm,
      mcu_store_get_path (self->store));
  return TRUE;
}

/* [limits]: per-source request rates and call caps, given to the agent. */
static void
set_sip_limits (McuDaemon *self)
{
  const McuConfig *c = self->config;
  McuRateLimitOptions rates = {
    .rate = { c->invite_rate, c->register_rate, c->message_rate,
        c->subscribe_rate },
    .burst = { c->invite_burst, c->register_burst, c->message_burst,
        c->subscribe_burst },
    .reject_rate = c->reject_rate,
    .reject_burst = c->reject_burst,
    .max_sources = c->max_sources,
  };
  McuSipCallLimits calls = {
    .max_calls = c->max_calls,
    .max_half_open = c->max_half_open,
    .max_half_open_per_source = c->max_half_open_per_source,
    .retry_after = c->retry_after,
  };
  g_autoptr (McuRateLimit) limit = mcu_rate_limit_new (&rates);

  mcu_sip_agent_set_limits (self->agent, limit, &calls);
}

static void
on_startup_agent_stopped (McuSipAgent *agent, gboolean *done)
{
  *done = TRUE;
}

/* A start-up step failed after the SIP agent exists: sofia must see
 * nua_shutdown () answered (nua_r_shutdown) before nua_destroy (), so stop
 * the agent here, running the main context until it has (the agent gives
 * up after its own shutdown timeout). Returns NULL for the caller. */
static McuDaemon *
abandon_startup (McuDaemon *self)
{
  gboolean done = FALSE;
  gulong id;

  if (self->agent == NULL)
    return NULL;
  g_signal_handlers_disconnect_by_data (self->agent, self);
  id = g_signal_connect (self->agent, "shutdown-complete",
      G_CALLBACK (on_startup_agent_stopped), &done);
  mcu_sip_agent_shutdown (self->agent);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (self->agent, id);
  return NULL;
}

static void
tls_options (const McuConfig *config, McuSipTlsOptions *tls)
{
  tls->certificate = config->tls_certificate;
  tls->key = config->tls_key;
  tls->ca = config->tls_ca;
  tls->verify_client = config->tls_verify_client;
}

/* A TLS file the agent could not use is a config error naming the key. */
static void
tls_error (const McuConfig *config, GError *local, GError **error)
{
  static const gchar *const keys[] = {
    [MCU_SIP_ERROR_TLS_CERTIFICATE] = "certificate",
    [MCU_SIP_ERROR_TLS_KEY] = "key",
    [MCU_SIP_ERROR_TLS_CA] = "ca",
  };

  if (local->domain == MCU_SIP_ERROR &&
      (local->code == MCU_SIP_ERROR_TLS_CERTIFICATE ||
          local->code == MCU_SIP_ERROR_TLS_KEY ||
          local->code == MCU_SIP_ERROR_TLS_CA))
    g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_BAD_VALUE,
        "%s: [tls] %s: %s", config->path, keys[local->code], local->message);
  else
    g_propagate_error (error, g_error_copy (local));
}

void
mcu_daemon_reload_tls (McuDaemon *self)
{
  McuSipTlsOptions tls = { 0 };
  g_autoptr (GError) local = NULL;
  g_autoptr (GError) error = NULL;
  gboolean restart = FALSE;

  if (!self->config->sip_tls)
    return;
  tls_options (self->config, &tls);
  if (!mcu_sip_agent_reload_tls (self->agent, &tls, &restart, &local)) {
    tls_error (self->config, local, &error);
    g_warning ("SIGHUP: TLS files not usable, still serving the loaded "
               "certificate: %s",
        error->message);
  } else if (restart) {
    g_message ("SIGHUP: the TLS certificate and key are good; sofia-sip "
               "serves the one loaded at start until the server restarts");
  } else {
    g_message ("SIGHUP: the TLS certificate and key are reloaded: new TLS "
               "connections get them, established ones keep theirs");
  }
}

McuDaemon *
mcu_daemon_new (McuConfig *config, GError **error)
{
  g_autoptr (McuDaemon) self = g_object_new (MCU_TYPE_DAEMON, NULL);
  McuSipAgentOptions sip = { 0 };
  g_autoptr (GError) local = NULL;
  g_autofree gchar *ua = g_strdup_printf ("mcu/%s", MCU_VERSION);

  self->config = config;
  self->env.config = config;
  set_codec_prefs (self);
  self->env.rooms =
      mcu_room_directory_new (config->auto_create, config->max_participants);
  for (guint i = 0; i < config->rooms->len; i++) {
    McuConfigRoom *r = g_ptr_array_index (config->rooms, i);
    McuRoomSettings settings = {
      .max_participants = r->max_participants,
      .layout = r->layout,
      .pin = r->pin,
      .self_view = r->self_view,
      .moderator_pin = r->moderator_pin,
      .options = r->options,
    };

    mcu_room_directory_add_template_full (self->env.rooms, r->name, &settings);
  }
  self->env.room_media = mcu_room_media_registry_new (config, self->env.rooms);
  self->env.ports = mcu_port_pool_new (
      config->media_address, config->rtp_port_min, config->rtp_port_max);
  mcu_port_pool_set_playout_enabled (
      self->env.ports, config->shared_jitter_buffer);

  sip.listen = config->sip_listen;
  sip.port = config->sip_port;
  sip.udp = config->sip_udp;
  sip.tcp = config->sip_tcp;
  sip.tls = config->sip_tls;
  sip.tls_port = config->sip_tls_port;
  tls_options (config, &sip.tls_files);
  sip.user_agent = ua;
  sip.max_message_size = config->max_message_size;
  self->agent = mcu_sip_agent_new (&sip, &local);
  if (self->agent == NULL) {
    tls_error (config, local, error);
    return NULL;
  }
  set_sip_limits (self);
  if (!open_registrar (self, error) ||
      !mcu_daemon_store_load_rooms (self, self->store, error))
    return abandon_startup (self);
  g_signal_connect (
      self->agent, "incoming-call", G_CALLBACK (on_agent_incoming_call), self);
  g_signal_connect (self->agent, "shutdown-complete",
      G_CALLBACK (on_agent_shutdown_complete), self);
  self->dialer = mcu_dialer_new (self);
  self->chat = mcu_chat_new (self);
  self->events = mcu_events_new (self->env.rooms);
  self->recordings = mcu_recordings_new (
      config, self->env.rooms, self->env.room_media, self->events);
  self->streams = mcu_streams_new (
      config, self->env.rooms, self->env.room_media, self->events);
  self->announcer = mcu_announcer_new (
      config, self->env.rooms, self->env.room_media, self->events);
  mcu_room_media_registry_set_prompt_cache (
      self->env.room_media, mcu_announcer_get_cache (self->announcer));
  mcu_prompts_log_missing (config);
  mcu_recordings_set_announcer (self->recordings, self->announcer);
  if (config->cluster_node) { /* before the scheduler: it claims meetings */
    self->cluster =
        mcu_cluster_new (config, config->storage_dsn, self->env.rooms);
    mcu_cluster_start (self->cluster);
  }
  self->scheduler = mcu_scheduler_glue_new (self, self->store, error);
  mcu_daemon_store_watch (self, self->store);
  if (self->scheduler == NULL)
    return NULL;
  self->env.admit_gate = mcu_scheduler_glue_admit;
  self->env.admit_gate_data = self;
  self->env.extend_meeting = mcu_scheduler_glue_extend;
  self->env.extend_meeting_data = self;
  self->control = mcu_control_new (self, self->events, error);
  if (self->control == NULL)
    return abandon_startup (self);
  return g_steal_pointer (&self);
}

void
mcu_daemon_shutdown (McuDaemon *self)
{
  g_autoptr (GList) legs = NULL;

  if (self->stopping)
    return;
  self->stopping = TRUE;
  g_message (
      "shutting down: hanging up %u calls", g_hash_table_size (self->legs));
  if (self->control)
    mcu_control_stop (self->control);
  if (self->scheduler) /* its state stays stored: a restart resumes */
    mcu_scheduler_stop (self->scheduler);
  if (self->recordings) /* every file finished before the calls end */
    mcu_recordings_stop_all (self->recordings);
  if (self->streams)
    mcu_streams_stop_all (self->streams);
  legs = g_hash_table_get_keys (self->legs);
  for (GList *l = legs; l; l = l->next)
    mcu_call_leg_hangup (l->data, "SIP;cause=503;text=\"server shutdown\"");
  mcu_sip_agent_shutdown (self->agent);
}

guint
mcu_daemon_get_n_calls (McuDaemon *self)
{
  return g_hash_table_size (self->legs);
}

const McuConfig *
mcu_daemon_get_config (McuDaemon *self)
{
  return self->config;
}

McuRecordings *
mcu_daemon_get_recordings (McuDaemon *self)
{
  return self->recordings;
}

McuStreams *
mcu_daemon_get_streams (McuDaemon *self)
{
  return self->streams;
}

McuAnnouncer *
mcu_daemon_get_announcer (McuDaemon *self)
{
  return self->announcer;
}

McuRoomDirectory *
mcu_daemon_get_rooms (McuDaemon *self)
{
  return self->env.rooms;
}

gint64
mcu_daemon_get_started_at (McuDaemon *self)
{
  return self->started_at;
}

const McuDaemonCounters *
mcu_daemon_get_counters (McuDaemon *self)
{
  return &self->counters;
}

void
mcu_daemon_get_media_totals (McuDaemon *self, McuMediaStats *totals)
{
  GHashTableIter iter;
  gpointer leg;

  *totals = self->counters.ended_media;
  g_hash_table_iter_init (&iter, self->legs);
  while (g_hash_table_iter_next (&iter, &leg, NULL)) {
    McuMediaStats st;

    mcu_call_leg_get_stats (leg, &st);
    totals->packets_received += st.packets_received;
    totals->packets_sent += st.packets_sent;
    totals->packets_lost += st.packets_lost;
  }
}

McuCallLeg *
mcu_daemon_find_leg (McuDaemon *self, McuRoom *room, guint id)
{
  McuParticipant *p = mcu_room_find_participant (room, id);
  McuCallLeg *leg =
      p ? mcu_room_media_registry_find_leg (self->env.room_media, p) : NULL;

  return leg && g_hash_table_contains (self->legs, leg) ? leg : NULL;
}

gboolean
mcu_daemon_save_room (McuDaemon *self, McuRoom *room, GError **error)
{
  McuStoredRoom stored = {
    .name = (gchar *)mcu_room_get_name (room),
    .max_participants = mcu_room_get_max_participants (room),
    .layout = (gchar *)mcu_room_get_layout (room),
    .pin = (gchar *)mcu_room_get_pin (room),
    .locked = mcu_room_get_locked (room),
    .self_view = mcu_room_get_self_view (room),
    .created_at = mcu_room_get_created_at (room),
    .moderator_pin = (gchar *)mcu_room_get_moderator_pin (room),
    .options = mcu_room_get_options (room),
  };

  if (!mcu_room_get_persistent (room))
    return TRUE;
  return mcu_store_save_room (self->store, &stored, error);
}

gboolean
mcu_daemon_close_room (McuDaemon *self, McuRoom *room, GError **error)
{
  g_autoptr (McuRoom) hold = g_object_ref (room);
  g_autoptr (GList) participants = mcu_room_list_participants (room);
  gboolean stored = mcu_room_get_persistent (room);
  McuRoomMedia *media =
      mcu_room_media_registry_lookup (self->env.room_media, room);
  g_autoptr (McuRoomMedia) hold_media = media ? g_object_ref (media) : NULL;

  mcu_room_close (room);
  for (GList *l = participants; l; l = l->next) {
    McuCallLeg *leg = media ? mcu_room_media_get_leg (media, l->data) : NULL;

    if (leg && g_hash_table_contains (self->legs, leg))
      mcu_call_leg_hangup (leg, "SIP;cause=200;text=\"room closed\"");
  }
  return !stored ||
         mcu_store_delete_room (self->store, mcu_room_get_name (room), error);
}

McuRoomMediaRegistry *
mcu_daemon_get_room_media (McuDaemon *self)
{
  return self->env.room_media;
}

McuSipAgent *
mcu_daemon_get_agent (McuDaemon *self)
{
  return self->agent;
}

const McuCallEnv *
mcu_daemon_get_call_env (McuDaemon *self)
{
  return &self->env;
}

McuRegistrar *
mcu_daemon_get_registrar (McuDaemon *self)
{
  return self->registrar;
}

McuDialer *
mcu_daemon_get_dialer (McuDaemon *self)
{
  return self->dialer;
}

McuChat *
mcu_daemon_get_chat (McuDaemon *self)
{
  return self->chat;
}

McuEvents *
mcu_daemon_get_events (McuDaemon *self)
{
  return self->events;
}

McuCluster *
mcu_daemon_get_cluster (McuDaemon *self)
{
  return self->cluster;
}

McuScheduler *
mcu_daemon_get_scheduler (McuDaemon *self)
{
  return self->scheduler;
}

gchar *
mcu_daemon_dial (McuDaemon *self, const gchar *room, const gchar *target,
    const gchar *display, GError **error)
{
  McuDialOptions options = { .display = display };

  return mcu_daemon_dial_with (self, room, target, &options, error);
}

gchar *
mcu_daemon_dial_with (McuDaemon *self, const gchar *room, const gchar *target,
    const McuDialOptions *options, GError **error)
{
  g_return_val_if_fail (MCU_IS_DAEMON (self), NULL);
  if (self->stopping) {
    g_set_error (error, MCU_DIAL_ERROR, MCU_DIAL_ERROR_SHUTDOWN,
        "the server is shutting down");
    return NULL;
  }
  return mcu_dialer_dial_with (self->dialer, room, target, options, error);
}
