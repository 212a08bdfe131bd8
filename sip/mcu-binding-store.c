/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: registrar bindings and the persistence interface. */
#include "mcu-binding-store.h"

#include <string.h>

G_DEFINE_BOXED_TYPE (
    McuBinding, mcu_binding, mcu_binding_copy, mcu_binding_free)

McuBinding *
mcu_binding_new (void)
{
  McuBinding *b = g_new0 (McuBinding, 1);

  b->q = 1.0;
  return b;
}

McuBinding *
mcu_binding_copy (const McuBinding *binding)
{
  McuBinding *b = g_new0 (McuBinding, 1);

  b->aor = g_strdup (binding->aor);
  b->contact = g_strdup (binding->contact);
  b->q = binding->q;
  b->expires_at = binding->expires_at;
  b->call_id = g_strdup (binding->call_id);
  b->cseq = binding->cseq;
  b->user_agent = g_strdup (binding->user_agent);
  b->received = g_strdup (binding->received);
  return b;
}

void
mcu_binding_free (McuBinding *binding)
{
  if (binding == NULL)
    return;
  g_free (binding->aor);
  g_free (binding->contact);
  g_free (binding->call_id);
  g_free (binding->user_agent);
  g_free (binding->received);
  g_free (binding);
}

gchar *
mcu_binding_dial_uri (const McuBinding *binding)
{
  g_autofree gchar *lower = NULL;
  const gchar *headers;

  if (binding->received == NULL ||
      !g_str_has_suffix (binding->received, "/tls") ||
      g_ascii_strncasecmp (binding->contact, "sip:", 4) != 0)
    return g_strdup (binding->contact);
  lower = g_ascii_strdown (binding->contact, -1);
  if (strstr (lower, ";transport=") != NULL)
    return g_strdup (binding->contact);
  headers = strchr (binding->contact, '?');
  if (headers == NULL)
    return g_strconcat (binding->contact, ";transport=tls", NULL);
  return g_strdup_printf ("%.*s;transport=tls%s",
      (int)(headers - binding->contact), binding->contact, headers);
}

void
mcu_bindings_copy_live (GHashTable *by_aor, gint64 now, GPtrArray *out)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, by_aor);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    GPtrArray *set = value;

    for (guint i = 0; i < set->len; i++) {
      McuBinding *b = g_ptr_array_index (set, i);

      if (b->expires_at > now)
        g_ptr_array_add (out, mcu_binding_copy (b));
    }
  }
}

McuStoredUser *
mcu_stored_user_copy (const McuStoredUser *user)
{
  McuStoredUser *copy = g_new0 (McuStoredUser, 1);

  copy->name = g_strdup (user->name);
  copy->realm = g_strdup (user->realm);
  copy->ha1_md5 = g_strdup (user->ha1_md5);
  copy->ha1_sha256 = g_strdup (user->ha1_sha256);
  copy->display = g_strdup (user->display);
  return copy;
}

void
mcu_stored_user_free (McuStoredUser *user)
{
  if (user == NULL)
    return;
  g_free (user->name);
  g_free (user->realm);
  g_free (user->ha1_md5);
  g_free (user->ha1_sha256);
  g_free (user->display);
  g_free (user);
}

G_DEFINE_QUARK (mcu - binding - store - error - quark, mcu_binding_store_error)

G_DEFINE_INTERFACE (McuBindingStore, mcu_binding_store, G_TYPE_OBJECT)

static void
mcu_binding_store_default_init (McuBindingStoreInterface *iface)
{
  g_signal_new ("bindings-changed", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

GPtrArray *
mcu_binding_store_load_bindings (
    McuBindingStore *self, gint64 now, GError **error)
{
  g_return_val_if_fail (MCU_IS_BINDING_STORE (self), NULL);
  return MCU_BINDING_STORE_GET_IFACE (self)->load_bindings (self, now, error);
}

gboolean
mcu_binding_store_replace_bindings (McuBindingStore *self, const gchar *aor,
    GPtrArray *bindings, GError **error)
{
  g_return_val_if_fail (MCU_IS_BINDING_STORE (self), FALSE);
  return MCU_BINDING_STORE_GET_IFACE (self)->replace_bindings (
      self, aor, bindings, error);
}

gboolean
mcu_binding_store_purge_expired (
    McuBindingStore *self, gint64 now, GError **error)
{
  g_return_val_if_fail (MCU_IS_BINDING_STORE (self), FALSE);
  return MCU_BINDING_STORE_GET_IFACE (self)->purge_expired (self, now, error);
}

McuStoredUser *
mcu_binding_store_lookup_user (
    McuBindingStore *self, const gchar *name, GError **error)
{
  McuBindingStoreInterface *iface;

  g_return_val_if_fail (MCU_IS_BINDING_STORE (self), NULL);
  iface = MCU_BINDING_STORE_GET_IFACE (self);
  if (iface->lookup_user == NULL)
    return NULL;
  return iface->lookup_user (self, name, error);
}
