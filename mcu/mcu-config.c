/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: configuration loading. Every key is described once in a table (type,
 * limits, where it goes); unknown groups and keys and bad values are errors
 * that name the file, the group and the key. */
#include "mcu-config.h"
#include "mcu-rooms.h"
#include "mcu-prompts.h"

#include <gio/gio.h>
#include <string.h>

G_DEFINE_QUARK (mcu - config - error - quark, mcu_config_error)

typedef enum
{
  KEY_STRING,
  KEY_ADDRESS,
  KEY_UINT,
  KEY_BOOL,
  KEY_TRANSPORTS,
  KEY_CODECS,
  KEY_CODEC_ORDER,
  KEY_LAYOUT,
  KEY_DBFS,
  KEY_VIDEO_CODECS,
  KEY_HOST_PORT,
  KEY_HA1,
  KEY_DIGEST_ALGORITHMS,
  KEY_SRTP,
  KEY_RECORD,
  KEY_ROOM_OPTION, /* a McuRoomOptions flag (min) in a guint */
  KEY_KEYMAP,      /* caller (max 0) or moderator (max 1) key map */
} KeyType;

typedef struct
{
  const gchar *group; /* "room:" matches every [room:NAME] group */
  const gchar *key;
  KeyType type;
  guint min;
  guint max;
  gsize offset; /* into McuConfig, or into McuConfigRoom for room: */
} KeySpec;

#define CFG(field)  G_STRUCT_OFFSET (McuConfig, field)
#define ROOM(field) G_STRUCT_OFFSET (McuConfigRoom, field)
#define USER(field) G_STRUCT_OFFSET (McuConfigUser, field)

static const KeySpec key_specs[] = {
  { "sip", "listen", KEY_ADDRESS, 0, 0, CFG (sip_listen) },
  { "sip", "port", KEY_UINT, 1, 65535, CFG (sip_port) },
  { "sip", "transports", KEY_TRANSPORTS, 0, 0, 0 },
  { "sip", "tls-port", KEY_UINT, 1, 65535, CFG (sip_tls_port) },
  { "tls", "certificate", KEY_STRING, 0, 0, CFG (tls_certificate) },
  { "tls", "key", KEY_STRING, 0, 0, CFG (tls_key) },
  { "tls", "ca", KEY_STRING, 0, 0, CFG (tls_ca) },
  { "tls", "verify-client", KEY_BOOL, 0, 0, CFG (tls_verify_client) },
  { "sip", "domain", KEY_STRING, 0, 0, CFG (sip_domain) },
  { "sip", "ring-time", KEY_UINT, 0, 60000, CFG (ring_time) },
  { "media", "address", KEY_ADDRESS, 0, 0, CFG (media_address) },
  { "media", "rtp-port-min", KEY_UINT, 1024, 65534, CFG (rtp_port_min) },
  { "media", "rtp-port-max", KEY_UINT, 1025, 65535, CFG (rtp_port_max) },
  { "media", "rtp-timeout", KEY_UINT, 0, 3600, CFG (rtp_timeout) },
  { "media", "jitter-latency", KEY_UINT, 10, 1000, CFG (jitter_latency) },
  { "media", "shared-jitter-buffer", KEY_BOOL, 0, 0,
      CFG (shared_jitter_buffer) },
  { "media", "codecs", KEY_CODECS, 0, 0, CFG (codecs) },
  { "media", "codec-order", KEY_CODEC_ORDER, 0, 0, CFG (codec_server_order) },
  { "media", "noise-gate", KEY_DBFS, 0, 0, CFG (noise_gate) },
  { "media", "max-talkers", KEY_UINT, 0, 1000, CFG (max_talkers) },
  { "media", "parallel-encode-ms", KEY_UINT, 0, 1000,
      CFG (parallel_encode_ms) },
  { "media", "audio-level", KEY_BOOL, 0, 0, CFG (audio_level) },
  { "media", "own-mix-celt", KEY_BOOL, 0, 0, CFG (own_mix_celt) },
  { "media", "srtp", KEY_SRTP, 0, 0, CFG (srtp) },
  { "media", "srtp-allow-insecure-keys", KEY_BOOL, 0, 0,
      CFG (srtp_allow_insecure_keys) },
  { "media", "inband-dtmf", KEY_BOOL, 0, 0, CFG (inband_dtmf) },
  { "rooms", "auto-create", KEY_BOOL, 0, 0, CFG (auto_create) },
  { "rooms", "pin-prompt", KEY_BOOL, 0, 0, CFG (pin_prompt) },
  { "rooms", "max-participants", KEY_UINT, 0, 100000, CFG (max_participants) },
  { "room:", "max-participants", KEY_UINT, 0, 100000, ROOM (max_participants) },
  { "room:", "layout", KEY_LAYOUT, 0, 0, ROOM (layout) },
  { "room:", "pin", KEY_STRING, 0, 0, ROOM (pin) },
  { "room:", "self-view", KEY_BOOL, 0, 0, ROOM (self_view) },
  { "room:", "record", KEY_RECORD, 0, 0, ROOM (record) },
  { "room:", "moderator-pin", KEY_STRING, 0, 0, ROOM (moderator_pin) },
  { "room:", "wait-for-moderator", KEY_ROOM_OPTION,
      MCU_ROOM_OPTION_WAIT_FOR_MODERATOR, 0, ROOM (options) },
  { "room:", "end-when-moderator-leaves", KEY_ROOM_OPTION,
      MCU_ROOM_OPTION_END_WHEN_MODERATOR_LEAVES, 0, ROOM (options) },
  { "room:", "mute-guests", KEY_ROOM_OPTION, MCU_ROOM_OPTION_MUTE_GUESTS, 0,
      ROOM (options) },
  { "room:", "announce-alone", KEY_ROOM_OPTION, MCU_ROOM_OPTION_ANNOUNCE_ALONE,
      0, ROOM (options) },
  { "room:", "announce-join-leave", KEY_ROOM_OPTION,
      MCU_ROOM_OPTION_ANNOUNCE_JOIN_LEAVE, 0, ROOM (options) },
  { "controls", "caller", KEY_KEYMAP, 0, 0, CFG (controls_caller) },
  { "controls", "moderator", KEY_KEYMAP, 0, 1, CFG (controls_moderator) },
  { "room:", "inband-dtmf", KEY_BOOL, 0, 0, ROOM (inband_dtmf) },
  { "room:", "prompts", KEY_STRING, 0, 0, ROOM (prompts) },
  { "rooms", "join-tones", KEY_BOOL, 0, 0, CFG (join_tones) },
  { "prompts", "dir", KEY_STRING, 0, 0, CFG (prompts_dir) },
  { "auth", "realm", KEY_STRING, 0, 0, CFG (auth_realm) },
  { "auth", "register", KEY_BOOL, 0, 0, CFG (auth_register) },
  { "auth", "invite", KEY_BOOL, 0, 0, CFG (auth_invite) },
  { "auth", "message", KEY_BOOL, 0, 0, CFG (auth_message) },
  { "auth", "nonce-lifetime", KEY_UINT, 10, 86400, CFG (nonce_lifetime) },
  { "auth", "max-failures", KEY_UINT, 1, 1000, CFG (auth_max_failures) },
  { "auth", "algorithms", KEY_DIGEST_ALGORITHMS, 0, 0, CFG (auth_algorithms) },
  { "auth", "max-backoff", KEY_UINT, 1, 86400, CFG (auth_max_backoff) },
  { "user:", "password", KEY_STRING, 0, 0, USER (password) },
  { "user:", "ha1", KEY_HA1, 0, 0, USER (ha1) },
  { "user:", "display", KEY_STRING, 0, 0, USER (display) },
  { "registrar", "min-expires", KEY_UINT, 1, 86400, CFG (min_expires) },
  { "registrar", "max-expires", KEY_UINT, 1, 604800, CFG (max_expires) },
  { "registrar", "default-expires", KEY_UINT, 1, 604800,
      CFG (default_expires) },
  { "registrar", "max-contacts", KEY_UINT, 1, 1000, CFG (max_contacts) },
  { "registrar", "max-bindings-per-source", KEY_UINT, 0, 1000000,
      CFG (max_bindings_per_source) },
  { "limits", "invite-rate", KEY_UINT, 0, 100000, CFG (invite_rate) },
  { "limits", "invite-burst", KEY_UINT, 1, 100000, CFG (invite_burst) },
  { "limits", "register-rate", KEY_UINT, 0, 100000, CFG (register_rate) },
  { "limits", "register-burst", KEY_UINT, 1, 100000, CFG (register_burst) },
  { "limits", "message-rate", KEY_UINT, 0, 100000, CFG (message_rate) },
  { "limits", "message-burst", KEY_UINT, 1, 100000, CFG (message_burst) },
  { "limits", "subscribe-rate", KEY_UINT, 0, 100000, CFG (subscribe_rate) },
  { "limits", "subscribe-burst", KEY_UINT, 1, 100000, CFG (subscribe_burst) },
  { "limits", "reject-rate", KEY_UINT, 0, 100000, CFG (reject_rate) },
  { "limits", "reject-burst", KEY_UINT, 0, 100000, CFG (reject_burst) },
  { "limits", "max-sources", KEY_UINT, 10, 10000000, CFG (max_sources) },
  { "limits", "max-calls", KEY_UINT, 0, 1000000, CFG (max_calls) },
  { "limits", "max-half-open", KEY_UINT, 0, 1000000, CFG (max_half_open) },
  { "limits", "max-half-open-per-source", KEY_UINT, 0, 1000000,
      CFG (max_half_open_per_source) },
  { "limits", "no-media-timeout", KEY_UINT, 0, 3600, CFG (no_media_timeout) },
  { "limits", "retry-after", KEY_UINT, 1, 3600, CFG (retry_after) },
  { "limits", "max-message-size", KEY_UINT, 1024, 16777216,
      CFG (max_message_size) },
  { "storage", "database", KEY_STRING, 0, 0, CFG (database) },
  { "storage", "backend", KEY_STRING, 0, 0, CFG (storage_backend) },
  { "storage", "dsn", KEY_STRING, 0, 0, CFG (storage_dsn) },
  { "cluster", "node", KEY_STRING, 0, 0, CFG (cluster_node) },
  { "cluster", "sip-uri", KEY_STRING, 0, 0, CFG (cluster_sip_uri) },
  { "cluster", "heartbeat", KEY_UINT, 1, 60, CFG (cluster_heartbeat) },
  { "cluster", "dead-after", KEY_UINT, 2, 3600, CFG (cluster_dead_after) },
  { "control", "socket", KEY_STRING, 0, 0, CFG (control_socket) },
  { "control", "http", KEY_HOST_PORT, 0, 0, CFG (control_http) },
  { "control", "token", KEY_STRING, 0, 0, CFG (control_token) },
  { "control", "max-connections", KEY_UINT, 1, 10000,
      CFG (control_max_connections) },
  { "control", "idle-timeout", KEY_UINT, 1, 3600, CFG (control_idle_timeout) },
  { "control", "event-backlog", KEY_UINT, 16, 1048576,
      CFG (control_event_backlog) },
  { "video", "enabled", KEY_BOOL, 0, 0, CFG (video_enabled) },
  { "video", "codecs", KEY_VIDEO_CODECS, 0, 0, CFG (video_codecs) },
  { "video", "width", KEY_UINT, 64, 1920, CFG (video_width) },
  { "video", "height", KEY_UINT, 64, 1080, CFG (video_height) },
  { "video", "framerate", KEY_UINT, 1, 60, CFG (video_framerate) },
  { "video", "bitrate", KEY_UINT, 64, 20000, CFG (video_bitrate) },
  { "recording", "dir", KEY_STRING, 0, 0, CFG (recording_dir) },
  { "recording", "width", KEY_UINT, 64, 1920, CFG (recording_width) },
  { "recording", "height", KEY_UINT, 64, 1080, CFG (recording_height) },
  { "recording", "bitrate", KEY_UINT, 64, 20000, CFG (recording_bitrate) },
  { "recording", "max-active", KEY_UINT, 0, 1000, CFG (recording_max_active) },
  { "recording", "max-streams", KEY_UINT, 0, 1000,
      CFG (recording_max_streams) },
  { "recording", "announce", KEY_BOOL, 0, 0, CFG (recording_announce) },
  { "recording", "segment-seconds", KEY_UINT, 0, 86400,
      CFG (recording_segment_seconds) },
  { "recording", "segment-kb", KEY_UINT, 0, 100000000,
      CFG (recording_segment_kb) },
  { "recording", "reuse-encoder", KEY_BOOL, 0, 0,
      CFG (recording_reuse_encoder) },
  { "recording", "max-downloads", KEY_UINT, 1, 1000,
      CFG (recording_max_downloads) },
};

static const gchar *const known_codecs[] = { "opus", "g722", "pcmu", "pcma",
  NULL };
static const gchar *const known_layouts[] = { "auto", "grid", "speaker", NULL };
static const gchar *const known_video_codecs[] = { "h264", "vp8", NULL };
static const gchar *const known_digest_algorithms[] = { "md5", "sha-256",
  NULL };

static void
config_room_free (gpointer data)
{
  McuConfigRoom *room = data;

  g_free (room->name);
  g_free (room->layout);
  g_free (room->pin);
  g_free (room->moderator_pin);
  g_free (room->prompts);
  g_free (room);
}

static void
config_user_free (gpointer data)
{
  McuConfigUser *user = data;

  g_free (user->name);
  g_free (user->password);
  g_free (user->ha1);
  g_free (user->display);
  g_free (user);
}

GSocketFamily
mcu_config_media_family (const McuConfig *c)
{
  g_autoptr (GInetAddress) addr =
      g_inet_address_new_from_string (c->media_address);

  return addr ? g_inet_address_get_family (addr) : G_SOCKET_FAMILY_INVALID;
}

McuConfig *
mcu_config_new_default (void)
{
  McuConfig *c = g_new0 (McuConfig, 1);

  c->sip_listen = g_strdup ("127.0.0.1");
  c->sip_port = 5060;
  c->sip_udp = c->sip_tcp = TRUE;
  c->sip_tls_port = 5061;
  c->sip_domain = g_strdup ("localhost");
  c->media_address = g_strdup ("127.0.0.1");
  c->rtp_port_min = 20000;
  c->rtp_port_max = 29999;
  c->rtp_timeout = 30;
  c->jitter_latency = 60;
  c->shared_jitter_buffer = TRUE; /* no thread per audio caller */
  c->codecs = g_strdupv ((gchar **)known_codecs);
  c->noise_gate = -55; /* quieter callers are left out of the mix */
  c->max_talkers = 8;  /* the 8 loudest are mixed */
  c->parallel_encode_ms = 5;
  c->own_mix_celt = TRUE; /* a fifth of the cost (mcu-opus-enc.c) */
  c->srtp = 1;            /* optional */
  c->auto_create = TRUE;
  c->pin_prompt = TRUE;
  c->audio_level = TRUE;
  c->auth_register = TRUE;
  c->nonce_lifetime = 300;
  c->auth_max_failures = 3;
  c->auth_max_backoff = 300;
  c->auth_algorithms = g_strdupv ((gchar **)known_digest_algorithms);
  c->min_expires = 60;
  c->max_expires = 3600;
  c->default_expires = 3600;
  c->max_contacts = 10;
  c->max_bindings_per_source = 1000;
  c->invite_rate = 5;
  c->invite_burst = 10;
  c->register_rate = 5;
  c->register_burst = 20;
  c->message_rate = 10;
  c->message_burst = 20;
  c->subscribe_rate = 5;
  c->subscribe_burst = 10;
  c->reject_rate = 10;
  c->reject_burst = 20;
  c->max_sources = 10000;
  c->max_calls = 1000;
  c->max_half_open = 100;
  c->max_half_open_per_source = 10;
  c->no_media_timeout = 10;
  c->retry_after = 5;
  c->cluster_heartbeat = 2;
  c->cluster_dead_after = 6;
  c->max_message_size = 65536;
  c->control_max_connections = 64;
  c->control_idle_timeout = 30;
  c->control_event_backlog = 1024;
  c->recording_width = 1280;
  c->recording_height = 720;
  c->recording_bitrate = 2000;
  c->recording_max_active = 8;
  c->recording_max_streams = 4;
  c->recording_max_downloads = 4;
  c->recording_announce = TRUE;
  c->recording_reuse_encoder = TRUE;
  c->video_enabled = TRUE;
  c->video_codecs = g_strdupv ((gchar **)known_video_codecs);
  c->video_width = 1280;
  c->video_height = 720;
  c->video_framerate = 30;
  c->video_bitrate = 1500;
  c->controls_caller = g_strdup (MCU_KEYMAP_DEFAULT_CALLER);
  c->controls_moderator = g_strdup (MCU_KEYMAP_DEFAULT_MODERATOR);
  c->rooms = g_ptr_array_new_with_free_func (config_room_free);
  c->users = g_ptr_array_new_with_free_func (config_user_free);
  return c;
}

void
mcu_config_free (McuConfig *c)
{
  if (c == NULL)
    return;
  g_free (c->path);
  g_free (c->sip_listen);
  g_free (c->sip_domain);
  g_free (c->media_address);
  g_strfreev (c->codecs);
  g_free (c->auth_realm);
  g_strfreev (c->auth_algorithms);
  g_free (c->database);
  g_free (c->cluster_node);
  g_free (c->storage_backend);
  g_free (c->storage_dsn);
  g_free (c->cluster_sip_uri);
  g_free (c->recording_dir);
  g_free (c->prompts_dir);
  g_free (c->control_socket);
  g_free (c->control_http);
  g_free (c->control_token);
  g_free (c->tls_certificate);
  g_free (c->tls_key);
  g_free (c->tls_ca);
  g_strfreev (c->video_codecs);
  g_free (c->controls_caller);
  g_free (c->controls_moderator);
  g_ptr_array_unref (c->rooms);
  g_ptr_array_unref (c->users);
  g_free (c);
}

static gboolean bad_value (GError **error, const gchar *file,
    const gchar *group, const gchar *key, const gchar *fmt, ...)
    G_GNUC_PRINTF (5, 6);

static gboolean
bad_value (GError **error, const gchar *file, const gchar *group,
    const gchar *key, const gchar *fmt, ...)
{
  va_list ap;
  g_autofree gchar *why = NULL;

  va_start (ap, fmt);
  why = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_BAD_VALUE,
      "%s: [%s] %s: %s", file, group, key, why);
  return FALSE;
}

static gboolean
parse_list (const gchar *value, const gchar *const *allowed, gchar ***out)
{
  g_auto (GStrv) items = g_strsplit_set (value, ", ", -1);
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  guint n = 0;

  for (gchar **i = items; *i; i++) {
    if (**i == '\0')
      continue;
    if (!g_strv_contains (allowed, *i))
      return FALSE;
    g_strv_builder_add (b, *i);
    n++;
  }
  if (n == 0)
    return FALSE;
  *out = g_strv_builder_end (b);
  return TRUE;
}

static gboolean
apply_key (const KeySpec *spec, gpointer base, McuConfig *c, const gchar *file,
    const gchar *group, const gchar *key, const gchar *value, GError **error)
{
  gpointer field = G_STRUCT_MEMBER_P (base, spec->offset);
  static const gchar *const transports[] = { "udp", "tcp", "tls", NULL };
  static const gchar *const orders[] = { "offer", "server", NULL };
  static const gchar *const srtp_modes[] = { "off", "optional", "mandatory",
    NULL };
  g_auto (GStrv) list = NULL;
  guint64 n;

  switch (spec->type) {
    case KEY_STRING:
      if (*value == '\0')
        return bad_value (error, file, group, key, "must not be empty");
      break;
    case KEY_ADDRESS: {
      g_autoptr (GInetAddress) addr = g_inet_address_new_from_string (value);

      if (addr == NULL)
        return bad_value (
            error, file, group, key, "'%s' is not an IP address", value);
      /* It goes into SDP c= and the Contact: callers send there. */
      if (g_inet_address_get_is_any (addr))
        return bad_value (error, file, group, key,
            "'%s' (any address) cannot be sent to: it goes into SDP c= (hold, "
            "for many phones) and the Contact; give this machine's address "
            "that callers reach",
            value);
      if (g_inet_address_get_is_multicast (addr))
        return bad_value (error, file, group, key,
            "'%s' is a multicast address; give this machine's address", value);
      break;
    }
    case KEY_UINT:
      if (!g_ascii_string_to_unsigned (
              value, 10, spec->min, spec->max, &n, NULL))
        return bad_value (error, file, group, key,
            "'%s' is not a whole number from %u to %u", value, spec->min,
            spec->max);
      *(guint *)field = n;
      return TRUE;
    case KEY_BOOL:
      if (g_strcmp0 (value, "true") != 0 && g_strcmp0 (value, "false") != 0)
        return bad_value (
            error, file, group, key, "'%s' is not true or false", value);
      *(gboolean *)field = g_str_equal (value, "true");
      return TRUE;
    case KEY_RECORD:
      if (g_strcmp0 (value, "auto") != 0 && g_strcmp0 (value, "off") != 0)
        return bad_value (
            error, file, group, key, "'%s': expected auto or off", value);
      *(gboolean *)field = g_str_equal (value, "auto");
      return TRUE;
    case KEY_TRANSPORTS:
      if (!parse_list (value, transports, &list))
        return bad_value (error, file, group, key,
            "'%s': expected a list of udp, tcp, tls", value);
      c->sip_udp = g_strv_contains ((const gchar *const *)list, "udp");
      c->sip_tcp = g_strv_contains ((const gchar *const *)list, "tcp");
      c->sip_tls = g_strv_contains ((const gchar *const *)list, "tls");
      return TRUE;
    case KEY_CODECS:
      if (!parse_list (value, known_codecs, &list))
        return bad_value (error, file, group, key,
            "'%s': expected a list of opus, g722, pcmu, pcma", value);
      g_strfreev (*(gchar ***)field);
      *(gchar ***)field = g_steal_pointer (&list);
      return TRUE;
    case KEY_CODEC_ORDER:
      if (!g_strv_contains (orders, value))
        return bad_value (
            error, file, group, key, "'%s': expected offer or server", value);
      *(gboolean *)field = g_str_equal (value, "server");
      return TRUE;
    case KEY_SRTP:
      for (guint i = 0; srtp_modes[i] != NULL; i++)
        if (g_str_equal (value, srtp_modes[i])) {
          *(guint *)field = i;
          return TRUE;
        }
      return bad_value (error, file, group, key,
          "'%s': expected off, optional or mandatory", value);
    case KEY_DBFS: {
      gint64 db;

      if (g_str_equal (value, "off")) {
        *(gint *)field = -127;
        return TRUE;
      }
      if (!g_ascii_string_to_signed (value, 10, -127, 0, &db, NULL))
        return bad_value (error, file, group, key,
            "'%s': expected a level in dBFS from -127 to 0, or off", value);
      *(gint *)field = db;
      return TRUE;
    }
    case KEY_DIGEST_ALGORITHMS:
      if (!parse_list (value, known_digest_algorithms, &list))
        return bad_value (error, file, group, key,
            "'%s': expected a list of md5, sha-256", value);
      g_strfreev (*(gchar ***)field);
      *(gchar ***)field = g_steal_pointer (&list);
      return TRUE;
    case KEY_VIDEO_CODECS:
      if (!parse_list (value, known_video_codecs, &list))
        return bad_value (error, file, group, key,
            "'%s': expected a list of h264, vp8", value);
      g_strfreev (*(gchar ***)field);
      *(gchar ***)field = g_steal_pointer (&list);
      return TRUE;
    case KEY_HOST_PORT: {
      g_autoptr (GSocketConnectable) addr =
          g_network_address_parse (value, 0, NULL);
      const gchar *host;

      if (addr == NULL ||
          g_network_address_get_port (G_NETWORK_ADDRESS (addr)) == 0 ||
          !g_hostname_is_ip_address (
              host = g_network_address_get_hostname (G_NETWORK_ADDRESS (addr))))
        return bad_value (error, file, group, key,
            "'%s': expected IP-ADDRESS:PORT, e.g. 127.0.0.1:8088", value);
      break;
    }
    case KEY_HA1:
      if ((strlen (value) != 32 && strlen (value) != 64) ||
          strspn (value, "0123456789abcdefABCDEF") != strlen (value))
        return bad_value (error, file, group, key,
            "expected 32 (MD5) or 64 (SHA-256) hex digits of "
            "H(user:realm:password)");
      break;
    case KEY_ROOM_OPTION:
      if (g_strcmp0 (value, "true") != 0 && g_strcmp0 (value, "false") != 0)
        return bad_value (
            error, file, group, key, "'%s' is not true or false", value);
      if (g_str_equal (value, "true"))
        *(guint *)field |= spec->min;
      else
        *(guint *)field &= ~spec->min;
      return TRUE;
    case KEY_KEYMAP: {
      g_autoptr (GError) local = NULL;
      g_autoptr (McuKeymap) map =
          mcu_keymap_new_parse (value, spec->max == 1, &local);

      if (map == NULL)
        return bad_value (error, file, group, key, "%s", local->message);
      break;
    }
    case KEY_LAYOUT:
      if (!g_strv_contains (known_layouts, value))
        return bad_value (error, file, group, key,
            "'%s': expected auto, grid or speaker", value);
      break;
  }
  g_free (*(gchar **)field);
  *(gchar **)field = g_strdup (value);
  return TRUE;
}

static const KeySpec *
find_spec (const gchar *group_kind, const gchar *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (key_specs); i++)
    if (g_str_equal (key_specs[i].group, group_kind) &&
        g_str_equal (key_specs[i].key, key))
      return &key_specs[i];
  return NULL;
}

static gboolean
group_kind_known (const gchar *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (key_specs); i++)
    if (g_str_equal (key_specs[i].group, kind))
      return TRUE;
  return FALSE;
}

static gboolean
load_group (GKeyFile *kf, McuConfig *c, const gchar *file, const gchar *group,
    GError **error)
{
  g_auto (GStrv) keys = g_key_file_get_keys (kf, group, NULL, NULL);
  const gchar *kind = group;
  gpointer base = c;

  if (g_str_has_prefix (group, "room:")) {
    McuConfigRoom *room;
    const gchar *name = group + strlen ("room:");

    if (*name == '\0' || *name == '.' || strlen (name) > 64 ||
        strspn (name, "0123456789abcdefghijklmnopqrstuvwxyz"
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.") != strlen (name)) {
      g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_BAD_VALUE,
          "%s: [%s]: room names are 1-64 of A-Z a-z 0-9 - _ . not starting "
          "with .",
          file, group);
      return FALSE;
    }
    room = g_new0 (McuConfigRoom, 1);
    room->name = g_strdup (name);
    room->max_participants = c->max_participants;
    room->layout = g_strdup ("auto");
    room->self_view = TRUE;
    room->inband_dtmf = -1;
    g_ptr_array_add (c->rooms, room);
    kind = "room:";
    base = room;
  } else if (g_str_has_prefix (group, "user:")) {
    McuConfigUser *user;
    const gchar *name = group + strlen ("user:");

    if (*name == '\0' || *name == '.' || strlen (name) > 64 ||
        strspn (name, "0123456789abcdefghijklmnopqrstuvwxyz"
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.+") != strlen (name)) {
      g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_BAD_VALUE,
          "%s: [%s]: user names are 1-64 of A-Z a-z 0-9 - _ . +", file, group);
      return FALSE;
    }
    user = g_new0 (McuConfigUser, 1);
    user->name = g_strdup (name);
    g_ptr_array_add (c->users, user);
    kind = "user:";
    base = user;
  } else if (!group_kind_known (group)) {
    g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_UNKNOWN_GROUP,
        "%s: [%s]: unknown group", file, group);
    return FALSE;
  }

  for (gchar **k = keys; k && *k; k++) {
    const KeySpec *spec = find_spec (kind, *k);
    g_autofree gchar *value = NULL;

    if (spec == NULL) {
      g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_UNKNOWN_KEY,
          "%s: [%s] %s: unknown key", file, group, *k);
      return FALSE;
    }
    value = g_key_file_get_string (kf, group, *k, NULL);
    if (value == NULL)
      return bad_value (error, file, group, *k, "not valid UTF-8 text");
    g_strstrip (value);
    if (!apply_key (spec, base, c, file, group, *k, value, error))
      return FALSE;
  }
  return TRUE;
}

/* TLS needs a certificate and its key (the files themselves are checked
 * when the SIP agent starts); verify-client needs the CAs to check with. */
static gboolean
check_tls (McuConfig *c, const gchar *file, GError **error)
{
  if (!c->sip_tls)
    return TRUE;
  if (c->tls_certificate == NULL)
    return bad_value (error, file, "tls", "certificate",
        "required with tls in [sip] transports");
  if (c->tls_key == NULL)
    return bad_value (
        error, file, "tls", "key", "required with tls in [sip] transports");
  if (c->tls_verify_client && c->tls_ca == NULL)
    return bad_value (error, file, "tls", "ca",
        "required with verify-client=true (the CAs client certificates "
        "are checked against)");
  if (c->sip_tcp && c->sip_tls_port == c->sip_port)
    return bad_value (error, file, "sip", "tls-port",
        "%u is also the TCP port; give TLS its own (5061)", c->sip_tls_port);
  return TRUE;
}

/* [storage] backend: sqlite (the default) or postgresql, which needs a
 * dsn (checked further when the store is made). */
static gboolean
check_storage (McuConfig *c, const gchar *file, GError **error)
{
  if (c->storage_backend == NULL)
    c->storage_backend = g_strdup ("sqlite");
  if (!g_str_equal (c->storage_backend, "sqlite") &&
      !g_str_equal (c->storage_backend, "postgresql"))
    return bad_value (error, file, "storage", "backend",
        "'%s': expected sqlite or postgresql", c->storage_backend);
  if (g_str_equal (c->storage_backend, "postgresql") && c->storage_dsn == NULL)
    return bad_value (error, file, "storage", "dsn",
        "required with backend=postgresql (a libpq connection string or "
        "URI)");
  return TRUE;
}

static gboolean
check_cluster (McuConfig *c, const gchar *file, GError **error)
{
  if (c->cluster_node == NULL)
    return TRUE;
  if (c->storage_backend == NULL ||
      !g_str_equal (c->storage_backend, "postgresql"))
    return bad_value (error, file, "cluster", "node",
        "needs [storage] backend=postgresql (the nodes share its database)");
  if (*c->cluster_node == '\0' || strlen (c->cluster_node) > 64 ||
      strspn (c->cluster_node,
          "0123456789abcdefghijklmnopqrstuvwxyz"
          "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.") != strlen (c->cluster_node))
    return bad_value (error, file, "cluster", "node",
        "1-64 of A-Z a-z 0-9 - _ . (unique in the cluster)");
  if (c->cluster_sip_uri && !g_str_has_prefix (c->cluster_sip_uri, "sip:"))
    return bad_value (error, file, "cluster", "sip-uri",
        "a sip: URI of this node (sip:ADDRESS:PORT)");
  if (c->cluster_dead_after <= c->cluster_heartbeat)
    return bad_value (error, file, "cluster", "dead-after",
        "must be more than heartbeat (%u)", c->cluster_heartbeat);
  return TRUE;
}

static gboolean
check_config (McuConfig *c, const gchar *file, GError **error)
{
  if (c->rtp_port_min >= c->rtp_port_max ||
      c->rtp_port_max - c->rtp_port_min < 3)
    return bad_value (error, file, "media", "rtp-port-max",
        "must be at least rtp-port-min + 3 (%u..%u)", c->rtp_port_min,
        c->rtp_port_max);
  if (!c->sip_udp && !c->sip_tcp && !c->sip_tls)
    return bad_value (error, file, "sip", "transports", "no transport");
  if (!check_tls (c, file, error) || !check_storage (c, file, error))
    return FALSE;
  if (c->control_http && c->control_token == NULL)
    return bad_value (error, file, "control", "token",
        "required with http= (every TCP request needs a bearer token)");
  if (c->min_expires > c->max_expires)
    return bad_value (error, file, "registrar", "min-expires",
        "must not exceed max-expires (%u)", c->max_expires);
  for (guint i = 0; i < c->users->len; i++) {
    McuConfigUser *u = g_ptr_array_index (c->users, i);
    g_autofree gchar *group = g_strdup_printf ("user:%s", u->name);

    if ((u->password == NULL) == (u->ha1 == NULL))
      return bad_value (
          error, file, group, "password", "give exactly one of password, ha1");
  }
  if (c->auth_realm == NULL)
    c->auth_realm = g_strdup (c->sip_domain);
  if (!check_cluster (c, file, error))
    return FALSE;
  return mcu_prompts_check_config (c, file, error);
}

McuConfig *
mcu_config_load_data (const gchar *data, const gchar *name, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (McuConfig) c = mcu_config_new_default ();
  g_autoptr (GError) local = NULL;
  g_auto (GStrv) groups = NULL;

  if (!g_key_file_load_from_data (kf, data, -1, G_KEY_FILE_NONE, &local)) {
    g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_READ, "%s: %s", name,
        local->message);
    return NULL;
  }
  c->path = g_strdup (name);
  groups = g_key_file_get_groups (kf, NULL);
  /* [rooms] first: [room:NAME] inherits its max-participants. */
  if (g_key_file_has_group (kf, "rooms") &&
      !load_group (kf, c, name, "rooms", error))
    return NULL;
  for (gchar **g = groups; *g; g++) {
    if (g_str_equal (*g, "rooms"))
      continue;
    if (!load_group (kf, c, name, *g, error))
      return NULL;
  }
  if (!check_config (c, name, error))
    return NULL;
  return g_steal_pointer (&c);
}

gboolean
mcu_config_inband_dtmf (const McuConfig *config, const gchar *room)
{
  for (guint i = 0; room && i < config->rooms->len; i++) {
    const McuConfigRoom *r = g_ptr_array_index (config->rooms, i);

    if (g_str_equal (r->name, room) && r->inband_dtmf >= 0)
      return r->inband_dtmf;
  }
  return config->inband_dtmf;
}

McuConfig *
mcu_config_load (const gchar *path, GError **error)
{
  g_autofree gchar *data = NULL;
  g_autoptr (GError) local = NULL;

  if (!g_file_get_contents (path, &data, NULL, &local)) {
    g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_READ, "%s: %s", path,
        local->message);
    return NULL;
  }
  return mcu_config_load_data (data, path, error);
}
