/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a renewed TLS certificate put into sofia-sip's live SSL contexts.
 *
 * sofia-sip 1.12.11 makes one SSL_CTX per TLS transport when the listener
 * opens and SSL_new ()s every connection from it; it has no call to load
 * another certificate (FreeSWITCH's fork later added tls_reload_cert ()),
 * and its tls_t is private. OpenSSL calls the "new" callback of every
 * registered SSL_CTX ex_data index for each SSL_CTX it creates: one
 * registered around nua_create () sees sofia-sip's contexts and keeps a
 * reference to them. SIGHUP then sets the new certificate, chain and key
 * (SSL_CTX_use_cert_and_key) and CA store in them: SSL_new () copies a
 * context's certificate when a connection starts, so connections accepted
 * afterwards present the new one and established ones (calls in
 * progress, registrations) keep theirs. sofia-sip runs in the main
 * thread, as this does: no handshake sees a half-changed context. */
#include "mcu-sip-agent.h"
#include "mcu-sip-tls-private.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

struct _McuSipTlsContexts
{
  GPtrArray *contexts; /* SSL_CTX* (one reference each) */
  int index;           /* the ex_data index, -1 when not watching */
};

static void
on_new_context (
    void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
  McuSipTlsContexts *self = argp;
  SSL_CTX *ctx = parent;

  if (self->index >= 0 && SSL_CTX_up_ref (ctx))
    g_ptr_array_add (self->contexts, ctx);
}

McuSipTlsContexts *
mcu_sip_tls_contexts_watch (GError **error)
{
  g_autoptr (McuSipTlsContexts) self = g_new0 (McuSipTlsContexts, 1);

  self->contexts =
      g_ptr_array_new_with_free_func ((GDestroyNotify)SSL_CTX_free);
  self->index = SSL_CTX_get_ex_new_index (0, self, on_new_context, NULL, NULL);
  if (self->index < 0) {
    g_set_error (error, MCU_SIP_ERROR, MCU_SIP_ERROR_BIND,
        "cannot watch OpenSSL's SSL contexts");
    return NULL;
  }
  return g_steal_pointer (&self);
}

void
mcu_sip_tls_contexts_stop (McuSipTlsContexts *self)
{
  if (self->index < 0)
    return;
  CRYPTO_free_ex_index (CRYPTO_EX_INDEX_SSL_CTX, self->index);
  self->index = -1;
}

guint
mcu_sip_tls_contexts_count (const McuSipTlsContexts *self)
{
  return self->contexts->len;
}

void
mcu_sip_tls_contexts_free (McuSipTlsContexts *self)
{
  if (self == NULL)
    return;
  mcu_sip_tls_contexts_stop (self);
  g_ptr_array_unref (self->contexts);
  g_free (self);
}

typedef struct
{
  X509 *cert;
  STACK_OF (X509) * chain;
  EVP_PKEY *key;
  X509_STORE *store;
} Material;

static void
material_clear (Material *m)
{
  X509_free (m->cert);
  sk_X509_pop_free (m->chain, X509_free);
  EVP_PKEY_free (m->key);
  X509_STORE_free (m->store);
}

static gboolean
material_fail (Material *m, const gchar *what, GError **error)
{
  char buf[256] = "";
  unsigned long e = ERR_get_error ();

  if (e)
    ERR_error_string_n (e, buf, sizeof buf);
  ERR_clear_error ();
  g_set_error (error, MCU_SIP_ERROR, MCU_SIP_ERROR_TLS_CERTIFICATE,
      "cannot load the renewed %s into the TLS context (%s)", what, buf);
  material_clear (m);
  return FALSE;
}

static gboolean
material_load (
    Material *m, const McuSipTlsFiles *files, const gchar *dir, GError **error)
{
  g_autofree gchar *cafile = g_build_filename (dir, "cafile.pem", NULL);
  BIO *bio;
  X509 *extra;

  bio = BIO_new_mem_buf (files->certificate, -1);
  m->cert = PEM_read_bio_X509_AUX (bio, NULL, NULL, NULL);
  m->chain = sk_X509_new_null ();
  while (m->cert && (extra = PEM_read_bio_X509 (bio, NULL, NULL, NULL)))
    sk_X509_push (m->chain, extra);
  BIO_free (bio);
  ERR_clear_error (); /* the end of the file */
  if (m->cert == NULL)
    return material_fail (m, "certificate", error);
  bio = BIO_new_mem_buf (files->key, -1);
  m->key = PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL);
  BIO_free (bio);
  if (m->key == NULL)
    return material_fail (m, "key", error);
  m->store = X509_STORE_new ();
  if (!X509_STORE_load_file (m->store, cafile))
    return material_fail (m, "CA file", error);
  return TRUE;
}

static gboolean
context_set (SSL_CTX *ctx, const Material *m, const gchar *cafile)
{
  STACK_OF (X509_NAME) *names = SSL_load_client_CA_file (cafile);

  if (names == NULL ||
      !SSL_CTX_use_cert_and_key (ctx, m->cert, m->key, m->chain, 1)) {
    sk_X509_NAME_pop_free (names, X509_NAME_free);
    return FALSE;
  }
  SSL_CTX_set1_cert_store (ctx, m->store);
  SSL_CTX_set_client_CA_list (ctx, names);
  return TRUE;
}

/* OpenSSL keeps a certificate per key type: after a change of type (RSA
 * to ECDSA, say) the old one stays in its slot, and clients that prefer
 * that type would still get it. TRUE when @ctx holds one besides @cert. */
static gboolean
has_other_certificate (SSL_CTX *ctx, X509 *cert)
{
  gboolean other = FALSE;

  if (!SSL_CTX_set_current_cert (ctx, SSL_CERT_SET_FIRST))
    return FALSE;
  do {
    X509 *x = SSL_CTX_get0_certificate (ctx);

    other |= x != NULL && X509_cmp (x, cert) != 0;
  } while (SSL_CTX_set_current_cert (ctx, SSL_CERT_SET_NEXT));
  /* back to the new one, as SSL_CTX_use_cert_and_key left it */
  SSL_CTX_select_current_cert (ctx, cert);
  ERR_clear_error ();
  return other;
}

gboolean
mcu_sip_tls_contexts_apply (McuSipTlsContexts *self,
    const McuSipTlsFiles *files, const gchar *dir, GError **error)
{
  g_autofree gchar *cafile = g_build_filename (dir, "cafile.pem", NULL);
  Material m = { 0 };
  SSL_CTX *scratch;
  gboolean ok;

  if (!material_load (&m, files, dir, error))
    return FALSE;
  /* a dry run first: the live contexts change only if it all loads */
  scratch = SSL_CTX_new (TLS_method ());
  ok = scratch && context_set (scratch, &m, cafile);
  SSL_CTX_free (scratch);
  if (!ok)
    return material_fail (&m, "certificate and key", error);
  for (guint i = 0; i < self->contexts->len; i++) {
    if (!context_set (self->contexts->pdata[i], &m, cafile))
      return material_fail (&m, "certificate and key", error);
    if (has_other_certificate (self->contexts->pdata[i], m.cert))
      g_warning ("the renewed TLS key is of another type than the one "
                 "loaded before, which clients preferring that type still "
                 "get: restart the server to drop it");
  }
  material_clear (&m);
  return TRUE;
}
