/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the TLS certificate of the SIP agent ([tls] in the config). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const gchar *certificate; /* PEM file: the certificate (then its chain) */
  const gchar *key;         /* PEM file: its private key, unencrypted */
  const gchar *ca;          /* (nullable) PEM file: CAs for client certs */
  gboolean verify_client;   /* clients must present a certificate of @ca */
} McuSipTlsOptions;

/* Reads and checks the files: readable, PEM, the key matches the
 * certificate, the certificate valid now. The error's code
 * (MCU_SIP_ERROR_TLS_CERTIFICATE, _KEY or _CA) names the file at fault. */
gboolean mcu_sip_tls_check (const McuSipTlsOptions *options, GError **error);

G_END_DECLS
