/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: registrar bindings and the interface that persists them, so sip/
 * does not depend on a database (mcu/mcu-store.c implements it on SQLite). */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* One Contact bound to an address-of-record (RFC 3261 section 10). All
 * strings are owned; JSON-friendly (strings, a double, integers). */
typedef struct
{
  gchar *aor;        /* the user part of the AOR, e.g. "alice" */
  gchar *contact;    /* the Contact URI, e.g. "sip:alice@192.0.2.1:5062" */
  gdouble q;         /* 0.0 .. 1.0; 1.0 when the Contact had no q */
  gint64 expires_at; /* wall clock, seconds since the epoch */
  gchar *call_id;
  guint32 cseq;
  gchar *user_agent; /* (nullable) */
  gchar *received;   /* (nullable) source "ip:port/udp" of the REGISTER */
} McuBinding;

#define MCU_TYPE_BINDING (mcu_binding_get_type ())
GType mcu_binding_get_type (void);
McuBinding *mcu_binding_new (void);
McuBinding *mcu_binding_copy (const McuBinding *binding);
void mcu_binding_free (McuBinding *binding);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuBinding, mcu_binding_free)
/* Appends to @out copies of the bindings in @by_aor (AOR -> GPtrArray of
 * McuBinding) that expire after @now (seconds since the epoch). */
void mcu_bindings_copy_live (GHashTable *by_aor, gint64 now, GPtrArray *out);
/* Where to send a call for this binding: its Contact, on the transport its
 * REGISTER came on when the Contact names none and that was TLS (a phone
 * registered over TLS is called over TLS). (transfer full) */
gchar *mcu_binding_dial_uri (const McuBinding *binding);

/* A user kept in the store: digest HA1s only, never a password. */
typedef struct
{
  gchar *name;
  gchar *realm;
  gchar *ha1_md5;    /* (nullable) 32 hex digits, H(name:realm:password) */
  gchar *ha1_sha256; /* (nullable) 64 hex digits */
  gchar *display;    /* (nullable) */
} McuStoredUser;

McuStoredUser *mcu_stored_user_copy (const McuStoredUser *user);
void mcu_stored_user_free (McuStoredUser *user);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuStoredUser, mcu_stored_user_free)

#define MCU_BINDING_STORE_ERROR (mcu_binding_store_error_quark ())
GQuark mcu_binding_store_error_quark (void);

typedef enum
{
  /* the database is out of reach for now: try again later (SIP 503) */
  MCU_BINDING_STORE_ERROR_UNAVAILABLE,
  MCU_BINDING_STORE_ERROR_FAILED,
} McuBindingStoreErrorCode;

/* Signal "bindings-changed" (const gchar *aor): the bindings of @aor were
 * changed by someone else (another node); NULL: any may have changed (the
 * store was loaded again). Load them again from the store. */
#define MCU_TYPE_BINDING_STORE (mcu_binding_store_get_type ())
G_DECLARE_INTERFACE (
    McuBindingStore, mcu_binding_store, MCU, BINDING_STORE, GObject)

struct _McuBindingStoreInterface
{
  GTypeInterface parent_iface;

  /* Every binding that expires after @now (seconds since the epoch). */
  GPtrArray *(*load_bindings) (
      McuBindingStore *self, gint64 now, GError **error);
  /* Atomically replaces all bindings of @aor with @bindings (may be empty). */
  gboolean (*replace_bindings) (McuBindingStore *self, const gchar *aor,
      GPtrArray *bindings, GError **error);
  /* Deletes every binding that expires at or before @now. */
  gboolean (*purge_expired) (McuBindingStore *self, gint64 now, GError **error);
  /* (optional) A user, or NULL with no error when there is none. */
  McuStoredUser *(*lookup_user) (
      McuBindingStore *self, const gchar *name, GError **error);
};

/* Returns (transfer full) (element-type McuBinding), or NULL on error. */
GPtrArray *mcu_binding_store_load_bindings (
    McuBindingStore *self, gint64 now, GError **error);
gboolean mcu_binding_store_replace_bindings (McuBindingStore *self,
    const gchar *aor, GPtrArray *bindings, GError **error);
gboolean mcu_binding_store_purge_expired (
    McuBindingStore *self, gint64 now, GError **error);
/* Returns (transfer full) (nullable): NULL when unknown (no error set) or on
 * error (error set). */
McuStoredUser *mcu_binding_store_lookup_user (
    McuBindingStore *self, const gchar *name, GError **error);

G_END_DECLS
