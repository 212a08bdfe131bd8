/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the configuration file (a GLib key file), validated by a table. */
#pragma once

#include <glib.h>

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
} McuConfigRoom;

typedef struct
{
  gchar *path;

  /* [sip] */
  gchar *sip_listen;
  guint sip_port;
  gboolean sip_udp;
  gboolean sip_tcp;
  gchar *sip_domain;
  guint ring_time; /* ms in 180 Ringing before the 200 OK */

  /* [media] */
  gchar *media_address;
  guint rtp_port_min;
  guint rtp_port_max;
  guint rtp_timeout;    /* seconds, 0 = never */
  guint jitter_latency; /* ms */
  gchar **codecs;       /* "opus", "g722", "pcmu", "pcma" in order */
  gboolean codec_server_order;
  gint noise_gate;   /* dBFS; -127 = off */
  guint max_talkers; /* 0 = everyone is mixed */

  /* [rooms] */
  gboolean auto_create;
  guint max_participants;

  GPtrArray *rooms; /* McuConfigRoom*, from [room:NAME] groups */
} McuConfig;

/* Defaults only (what an empty file gives). */
McuConfig *mcu_config_new_default (void);
McuConfig *mcu_config_load (const gchar *path, GError **error);
McuConfig *mcu_config_load_data (
    const gchar *data, const gchar *name, GError **error);
void mcu_config_free (McuConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuConfig, mcu_config_free)

G_END_DECLS
