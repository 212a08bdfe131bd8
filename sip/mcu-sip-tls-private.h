/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the TLS files, checked, and the directory sofia-sip reads them from
 * (for the agent). */
#pragma once

#include "mcu-sip-tls.h"

G_BEGIN_DECLS

typedef struct
{
  gchar *certificate; /* PEM text */
  gchar *key;         /* PEM text (wiped when freed) */
  gchar *ca;          /* (nullable) PEM text */
  gchar *subject;     /* the certificate's subject, for the log */
  gchar *not_after;   /* its end of validity, for the log */
  gint days_left;     /* days until then */
} McuSipTlsFiles;

/* The files of @options, checked (see mcu_sip_tls_check ()). */
McuSipTlsFiles *mcu_sip_tls_files_load (
    const McuSipTlsOptions *options, GError **error);
void mcu_sip_tls_files_free (McuSipTlsFiles *files);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuSipTlsFiles, mcu_sip_tls_files_free)

/* A new private directory (0700) for sofia-sip's files. (transfer full) */
gchar *mcu_sip_tls_dir_new (GError **error);
/* Writes agent.pem and cafile.pem (0600) into @dir. */
gboolean mcu_sip_tls_files_write (
    const McuSipTlsFiles *files, const gchar *dir, GError **error);
/* Pins TLS 1.2 for the SSL contexts made from now on (see the .c); call
 * it before anything else uses OpenSSL. */
gboolean mcu_sip_tls_init_openssl (const gchar *dir, GError **error);
/* Removes the files and @dir. */
void mcu_sip_tls_dir_remove (const gchar *dir);

G_END_DECLS
