/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the configuration file (a GLib key file), validated by a table. */
#pragma once

#include <glib.h>
#include <gio/gio.h>

G_BEGIN_DECLS

#define MCU_CONFIG_ERROR (mcu_config_error_quark ())
GQuark mcu_config_error_quark (void);

typedef enum
{
  MCU_CONFIG_ERROR_READ,
  MCU_CONFIG_ERROR_UNKNOWN_GROUP,
  MCU_CONFIG_ERROR_UNKNOWN_KEY,
  MCU_CONFIG_ERROR_BAD_VALUE,
} McuConfigError;

typedef struct
{
  gchar *name;
  guint max_participants;
  gchar *layout;
  gchar *pin;           /* (nullable) callers must enter it (DTMF) */
  gboolean self_view;   /* participants see their own tile */
  gboolean record;      /* record=auto: recorded from its first caller on */
  gchar *moderator_pin; /* (nullable) admits as moderator */
  guint options;        /* McuRoomOptions */
  gint inband_dtmf;     /* -1: [media] inband-dtmf's, else a gboolean */
  gchar *prompts;       /* (nullable) prompt directory, before [prompts] dir */
} McuConfigRoom;

/* A [user:NAME] group: someone who may register (and call). */
typedef struct
{
  gchar *name;
  gchar *password; /* (nullable) plain password, or: */
  gchar *ha1;      /* (nullable) MD5 or SHA-256 of name:realm:password, hex */
  gchar *display;  /* (nullable) */
} McuConfigUser;

typedef struct
{
  gchar *path;

  /* [sip] */
  gchar *sip_listen;
  guint sip_port;
  gboolean sip_udp;
  gboolean sip_tcp;
  gboolean sip_tls;
  guint sip_tls_port;
  gchar *sip_domain;
  guint ring_time; /* ms in 180 Ringing before the 200 OK */

  /* [media] */
  gchar *media_address;
  guint rtp_port_min;
  guint rtp_port_max;
  guint rtp_timeout;             /* seconds, 0 = never */
  guint jitter_latency;          /* ms */
  gboolean shared_jitter_buffer; /* mcujitterbuffer on McuPlayout */
  gchar **codecs;                /* "opus", "g722", "pcmu", "pcma" in order */
  gboolean codec_server_order;
  gint noise_gate;          /* dBFS; -127 = off */
  guint max_talkers;        /* 0 = everyone is mixed */
  guint parallel_encode_ms; /* a room's outputs spread from this cost on */
  gboolean own_mix_celt;    /* Opus listeners' own mixes coded CELT */
  guint srtp; /* 0 off, 1 optional, 2 mandatory (McuSdpSrtpMode order) */
  gboolean srtp_allow_insecure_keys; /* SDES keys over plain UDP/TCP */
  gboolean inband_dtmf;              /* DTMF tones in G.711/G.722 audio */
  gboolean audio_level;              /* RFC 6464 levels from callers' RTP */

  /* [rooms] */
  gboolean auto_create;
  gboolean pin_prompt; /* a PIN room dialled without it asks for it */
  guint max_participants;
  gboolean join_tones; /* chime when someone joins or leaves (default) */

  /* [prompts] (mcu-prompts.h) */
  gchar *prompts_dir; /* (nullable) NULL = the installed set */

  /* [auth] what needs digest authentication */
  gchar *auth_realm; /* default: the SIP domain */
  gboolean auth_register;
  gboolean auth_invite;
  gboolean auth_message;
  guint nonce_lifetime;    /* seconds */
  guint auth_max_failures; /* per source, then 403 for a while */
  gchar **auth_algorithms; /* "md5", "sha-256": the challenges sent */
  guint auth_max_backoff;  /* seconds: the longest block after failures */

  /* [registrar] (seconds) */
  guint min_expires;
  guint max_expires;
  guint default_expires;
  guint max_contacts;            /* bindings per address-of-record */
  guint max_bindings_per_source; /* bindings registered from one IP */

  /* [limits] per source IP: requests a second and burst (0 = no limit) */
  guint invite_rate, invite_burst;
  guint register_rate, register_burst;
  guint message_rate, message_burst;
  guint subscribe_rate, subscribe_burst;
  guint reject_rate, reject_burst; /* 503s; beyond them: dropped */
  guint max_sources;               /* sources tracked */
  guint max_calls;                 /* 0 = no cap */
  guint max_half_open;             /* calls without ACK or media yet */
  guint max_half_open_per_source;
  guint no_media_timeout; /* seconds after the answer without any RTP */
  guint retry_after;      /* seconds, in 503s */
  guint max_message_size; /* bytes */

  /* [storage] */
  gchar *database;        /* (nullable) NULL = <user state dir>/mcu/mcu.db */
  gchar *storage_backend; /* "sqlite" (default) or "postgresql" */
  gchar *storage_dsn;     /* (nullable) libpq conninfo, for postgresql */

  /* [cluster] (mcu-cluster.c) */
  gchar *cluster_node;      /* (nullable) this node's name; NULL: no cluster */
  gchar *cluster_sip_uri;   /* (nullable) where others redirect; NULL: [sip] */
  guint cluster_heartbeat;  /* seconds between heartbeats */
  guint cluster_dead_after; /* seconds without one: the node is dead */

  /* [tls] (with tls in [sip] transports) */
  gchar *tls_certificate; /* PEM file */
  gchar *tls_key;         /* PEM file */
  gchar *tls_ca;          /* (nullable) PEM file: CAs for client certs */
  gboolean tls_verify_client;

  /* [control] */
  gchar *control_socket; /* (nullable) NULL = <runtime dir>/mcu/control.sock */
  gchar *control_http;   /* (nullable) "ADDR:PORT", off when NULL */
  gchar *control_token;  /* (nullable) bearer token, required with http */
  guint control_max_connections; /* open at once, both listeners */
  guint control_idle_timeout;    /* seconds a connection may wait */
  guint control_event_backlog;   /* KiB of unsent events per client */

  /* [video] */
  gboolean video_enabled;
  gchar **video_codecs; /* "h264", "vp8" in order */
  guint video_width;    /* the largest picture sent */
  guint video_height;
  guint video_framerate;
  guint video_bitrate; /* kbit/s, the most sent to one caller */

  /* [recording] */
  gchar *recording_dir; /* (nullable) NULL = <user state dir>/mcu/recordings */
  guint recording_width, recording_height; /* the recorded view */
  guint recording_bitrate;                 /* kbit/s of its H.264 */
  guint recording_max_active;              /* recordings at once */
  guint recording_max_streams;             /* live streams at once */
  gboolean recording_announce;     /* the room hears "recording-started" */
  guint recording_segment_seconds; /* 0: one file per recording */
  guint recording_segment_kb;      /* 0: files not cut by size */
  /* take a participants' encoder group's H.264 when it is the view */
  gboolean recording_reuse_encoder;
  guint recording_max_downloads; /* files sent at once (control) */
  /* [controls] keypad maps (mcu-keymap.h syntax), validated at load */
  gchar *controls_caller;
  gchar *controls_moderator;

  GPtrArray *rooms; /* McuConfigRoom*, from [room:NAME] groups */
  GPtrArray *users; /* McuConfigUser*, from [user:NAME] groups */
} McuConfig;

/* Defaults only (what an empty file gives). */
McuConfig *mcu_config_new_default (void);
McuConfig *mcu_config_load (const gchar *path, GError **error);
McuConfig *mcu_config_load_data (
    const gchar *data, const gchar *name, GError **error);
void mcu_config_free (McuConfig *config);
/* Detect DTMF tones in the audio of callers of @room (nullable: none):
 * its [room:NAME] inband-dtmf, else [media] inband-dtmf. */
gboolean mcu_config_inband_dtmf (const McuConfig *config, const gchar *room);
/* The family of [media] address (our RTP sockets). */
GSocketFamily mcu_config_media_family (const McuConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuConfig, mcu_config_free)

G_END_DECLS
