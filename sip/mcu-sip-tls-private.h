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

/* The SSL contexts sofia-sip makes for its TLS transports, so that a
 * renewed certificate can be put into them (sofia-sip 1.12 has no call
 * for it): every SSL_CTX created between _watch () and _stop () is kept
 * (one reference each). See mcu-sip-tls-live.c. */
typedef struct _McuSipTlsContexts McuSipTlsContexts;

McuSipTlsContexts *mcu_sip_tls_contexts_watch (GError **error);
void mcu_sip_tls_contexts_stop (McuSipTlsContexts *self);
guint mcu_sip_tls_contexts_count (const McuSipTlsContexts *self);
/* Puts the certificate, its chain and key of @files, and the CAs of
 * @dir's cafile.pem, into every kept context: connections accepted (or
 * opened) from now on present them; established ones keep theirs. All or
 * nothing: nothing is changed when the files do not load. */
gboolean mcu_sip_tls_contexts_apply (McuSipTlsContexts *self,
    const McuSipTlsFiles *files, const gchar *dir, GError **error);
void mcu_sip_tls_contexts_free (McuSipTlsContexts *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuSipTlsContexts, mcu_sip_tls_contexts_free)

G_END_DECLS
