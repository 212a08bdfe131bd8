/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the TLS certificate of the SIP agent. sofia-sip 1.12 takes a
 * directory holding agent.pem (certificate and key) and cafile.pem (the
 * CAs it trusts, also used to complete the chain it sends); the config
 * names separate files, so they are checked here (readable, PEM, the key
 * matches, the certificate is valid now) and copied into such a directory
 * (mode 0700, files 0600). Main thread only. */
#include "mcu-sip-tls-private.h"
#include "mcu-sip-agent.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* An OpenSSL error queue as text (and cleared). */
static gchar *
openssl_error (void)
{
  unsigned long e = ERR_get_error ();
  char buf[256];

  ERR_clear_error ();
  if (e == 0)
    return g_strdup ("no PEM data found");
  ERR_error_string_n (e, buf, sizeof buf);
  return g_strdup (buf);
}

static gboolean
read_file (const gchar *path, McuSipErrorCode code, gchar **contents,
    gsize *len, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (!g_file_get_contents (path, contents, len, &local)) {
    g_set_error (error, MCU_SIP_ERROR, code, "%s", local->message);
    return FALSE;
  }
  return TRUE;
}

/* Never asked: an encrypted key is refused (there is no passphrase key). */
static int
no_passphrase (char *buf, int size, int rwflag, void *data)
{
  return -1;
}

/* "2027-01-31 12:00:00 UTC" for an ASN1_TIME. */
static gchar *
format_time (const ASN1_TIME *t)
{
  struct tm tm = { 0 };

  if (!ASN1_TIME_to_tm (t, &tm))
    return g_strdup ("?");
  return g_strdup_printf ("%04d-%02d-%02d %02d:%02d:%02d UTC",
      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
      tm.tm_sec);
}

static X509 *
load_certificate (const gchar *data, gsize len, const gchar *path,
    McuSipErrorCode code, GError **error)
{
  BIO *bio = BIO_new_mem_buf (data, (int)len);
  X509 *cert = PEM_read_bio_X509 (bio, NULL, no_passphrase, NULL);

  BIO_free (bio);
  if (cert == NULL) {
    g_autofree gchar *why = openssl_error ();

    g_set_error (error, MCU_SIP_ERROR, code, "%s: not a PEM certificate (%s)",
        path, why);
  }
  return cert;
}

/* The certificate's validity against now: expired or not yet valid is an
 * error; *@days_left set otherwise. */
static gboolean
check_dates (X509 *cert, const gchar *path, gint *days_left, GError **error)
{
  const ASN1_TIME *before = X509_get0_notBefore (cert);
  const ASN1_TIME *after = X509_get0_notAfter (cert);
  int days = 0, secs = 0;

  if (X509_cmp_current_time (after) <= 0) {
    g_autofree gchar *when = format_time (after);

    g_set_error (error, MCU_SIP_ERROR, MCU_SIP_ERROR_TLS_CERTIFICATE,
        "%s: the certificate expired on %s", path, when);
    return FALSE;
  }
  if (X509_cmp_current_time (before) > 0) {
    g_autofree gchar *when = format_time (before);

    g_set_error (error, MCU_SIP_ERROR, MCU_SIP_ERROR_TLS_CERTIFICATE,
        "%s: the certificate is not valid before %s", path, when);
    return FALSE;
  }
  ASN1_TIME_diff (&days, &secs, NULL, after);
  *days_left = days;
  return TRUE;
}

static gboolean
check_key (
    X509 *cert, const gchar *data, gsize len, const gchar *path, GError **error)
{
  BIO *bio = BIO_new_mem_buf (data, (int)len);
  EVP_PKEY *key = PEM_read_bio_PrivateKey (bio, NULL, no_passphrase, NULL);
  gboolean ok;

  BIO_free (bio);
  if (key == NULL) {
    g_autofree gchar *why = openssl_error ();

    g_set_error (error, MCU_SIP_ERROR, MCU_SIP_ERROR_TLS_KEY,
        "%s: not an unencrypted PEM private key (%s)", path, why);
    return FALSE;
  }
  ok = X509_check_private_key (cert, key) == 1;
  EVP_PKEY_free (key);
  ERR_clear_error ();
  if (!ok)
    g_set_error (error, MCU_SIP_ERROR, MCU_SIP_ERROR_TLS_KEY,
        "%s: this key does not match the certificate's public key", path);
  return ok;
}

McuSipTlsFiles *
mcu_sip_tls_files_load (const McuSipTlsOptions *options, GError **error)
{
  g_autoptr (McuSipTlsFiles) files = g_new0 (McuSipTlsFiles, 1);
  g_autofree gchar *key = NULL;
  gsize cert_len = 0, key_len = 0, ca_len = 0;
  X509 *cert, *ca;
  gboolean ok;

  if (!read_file (options->certificate, MCU_SIP_ERROR_TLS_CERTIFICATE,
          &files->certificate, &cert_len, error) ||
      !read_file (options->key, MCU_SIP_ERROR_TLS_KEY, &key, &key_len, error))
    return NULL;
  if (options->ca && !read_file (options->ca, MCU_SIP_ERROR_TLS_CA, &files->ca,
                         &ca_len, error))
    return NULL;
  cert = load_certificate (files->certificate, cert_len, options->certificate,
      MCU_SIP_ERROR_TLS_CERTIFICATE, error);
  if (cert == NULL)
    return NULL;
  ok = check_dates (cert, options->certificate, &files->days_left, error) &&
       check_key (cert, key, key_len, options->key, error);
  if (ok) {
    char name[256];

    X509_NAME_oneline (X509_get_subject_name (cert), name, sizeof name);
    files->subject = g_strdup (name);
    files->not_after = format_time (X509_get0_notAfter (cert));
  }
  X509_free (cert);
  if (!ok)
    return NULL;
  if (files->ca) {
    ca = load_certificate (
        files->ca, ca_len, options->ca, MCU_SIP_ERROR_TLS_CA, error);
    if (ca == NULL)
      return NULL;
    X509_free (ca);
  }
  files->key = g_steal_pointer (&key);
  return g_steal_pointer (&files);
}

void
mcu_sip_tls_files_free (McuSipTlsFiles *files)
{
  if (files == NULL)
    return;
  g_free (files->certificate);
  if (files->key) {
    explicit_bzero (files->key, strlen (files->key));
    g_free (files->key);
  }
  g_free (files->ca);
  g_free (files->subject);
  g_free (files->not_after);
  g_free (files);
}

static gboolean
write_private (
    const gchar *dir, const gchar *name, const gchar *text, GError **error)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);

  return g_file_set_contents_full (
      path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

gboolean
mcu_sip_tls_files_write (
    const McuSipTlsFiles *files, const gchar *dir, GError **error)
{
  g_autofree gchar *agent = NULL;
  g_autofree gchar *cafile = NULL;
  gboolean ok;

  /* agent.pem: certificate then key; cafile.pem: the CAs trusted for
   * client certificates, then our own certificate file (its intermediates
   * complete the chain sent; sofia-sip needs the file to exist). */
  agent = g_strconcat (files->certificate, "\n", files->key, NULL);
  cafile =
      g_strconcat (files->ca ? files->ca : "", "\n", files->certificate, NULL);
  ok = write_private (dir, "agent.pem", agent, error) &&
       write_private (dir, "cafile.pem", cafile, error);
  explicit_bzero (agent, strlen (agent));
  return ok;
}

gchar *
mcu_sip_tls_dir_new (GError **error)
{
  return g_dir_make_tmp ("mcu-tls-XXXXXX", error);
}

void
mcu_sip_tls_dir_remove (const gchar *dir)
{
  static const gchar *const names[] = { "agent.pem", "cafile.pem",
    "tls_seed.dat", "openssl.cnf", NULL };

  for (guint i = 0; names[i]; i++) {
    g_autofree gchar *path = g_build_filename (dir, names[i], NULL);

    g_unlink (path);
  }
  g_rmdir (dir);
}

/* sofia-sip 1.12.11 makes its SSL_CTX with TLS_method () and sets no
 * protocol bounds, and over TLS 1.3 it loses the first request of about
 * 6 fresh connections in 1000 (measured on loopback; 0 in 1000 over TLS
 * 1.2). Its SSL_CTX is out of reach, but OpenSSL applies the
 * "system_default" section of its configuration to every new SSL_CTX:
 * that section, loaded from @dir before anything else initialises
 * OpenSSL, pins TLS 1.2. */
gboolean
mcu_sip_tls_init_openssl (const gchar *dir, GError **error)
{
  static const gchar conf[] = "openssl_conf = mcu_openssl\n"
                              "[mcu_openssl]\n"
                              "ssl_conf = mcu_ssl\n"
                              "[mcu_ssl]\n"
                              "system_default = mcu_tls\n"
                              "[mcu_tls]\n"
                              "MinProtocol = TLSv1.2\n"
                              "MaxProtocol = TLSv1.2\n";
  g_autofree gchar *path = g_build_filename (dir, "openssl.cnf", NULL);
  OPENSSL_INIT_SETTINGS *settings;
  int ok;

  if (!write_private (dir, "openssl.cnf", conf, error))
    return FALSE;
  settings = OPENSSL_INIT_new ();
  OPENSSL_INIT_set_config_filename (settings, path);
  ok = OPENSSL_init_ssl (OPENSSL_INIT_LOAD_CONFIG, settings);
  OPENSSL_INIT_free (settings);
  if (!ok) {
    g_autofree gchar *why = openssl_error ();

    g_set_error (error, MCU_SIP_ERROR, MCU_SIP_ERROR_BIND,
        "cannot configure OpenSSL: %s", why);
    return FALSE;
  }
  return TRUE;
}

gboolean
mcu_sip_tls_check (const McuSipTlsOptions *options, GError **error)
{
  g_autoptr (McuSipTlsFiles) files = mcu_sip_tls_files_load (options, error);

  return files != NULL;
}
