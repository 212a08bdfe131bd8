/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the store's abstract class: the public calls dispatch to the backend
 * (mcu-store-sqlite.c, mcu-store-pg.c); McuBindingStore is implemented
 * here once for both; the stored records' helpers. */
#include "mcu-store.h"
#include "mcu-store-sqlite.h"

G_DEFINE_QUARK (mcu - store - error - quark, mcu_store_error)

enum
{
  SIGNAL_ROOM_CHANGED,
  SIGNAL_MEETING_CHANGED,
  SIGNAL_USER_CHANGED,
  SIGNAL_LOADED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void mcu_store_binding_store_init (McuBindingStoreInterface *iface);

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (McuStore, mcu_store, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (
        MCU_TYPE_BINDING_STORE, mcu_store_binding_store_init))

static void
mcu_store_class_init (McuStoreClass *klass)
{
  GType type = G_TYPE_FROM_CLASS (klass);

  signals[SIGNAL_ROOM_CHANGED] = g_signal_new ("room-changed", type,
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_MEETING_CHANGED] = g_signal_new ("meeting-changed", type,
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_USER_CHANGED] = g_signal_new ("user-changed", type,
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_LOADED] = g_signal_new (
      "loaded", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
mcu_store_init (McuStore *self)
{
}

/* sip/ knows McuBindingStore's errors, not ours. */
static void
to_binding_error (GError **error)
{
  if (error == NULL || *error == NULL || (*error)->domain != MCU_STORE_ERROR)
    return;
  (*error)->domain = MCU_BINDING_STORE_ERROR;
  (*error)->code = (*error)->code == MCU_STORE_ERROR_UNAVAILABLE
                       ? MCU_BINDING_STORE_ERROR_UNAVAILABLE
                       : MCU_BINDING_STORE_ERROR_FAILED;
}

static GPtrArray *
store_load_bindings (McuBindingStore *store, gint64 now, GError **error)
{
  GPtrArray *out = MCU_STORE_GET_CLASS (store)->load_bindings (
      MCU_STORE (store), now, error);

  to_binding_error (error);
  return out;
}

static gboolean
store_replace_bindings (McuBindingStore *store, const gchar *aor,
    GPtrArray *bindings, GError **error)
{
  gboolean ok = MCU_STORE_GET_CLASS (store)->replace_bindings (
      MCU_STORE (store), aor, bindings, error);

  to_binding_error (error);
  return ok;
}

static gboolean
store_purge_expired (McuBindingStore *store, gint64 now, GError **error)
{
  gboolean ok = MCU_STORE_GET_CLASS (store)->purge_expired (
      MCU_STORE (store), now, error);

  to_binding_error (error);
  return ok;
}

static McuStoredUser *
store_lookup_user (McuBindingStore *store, const gchar *name, GError **error)
{
  McuStoredUser *user =
      MCU_STORE_GET_CLASS (store)->lookup_user (MCU_STORE (store), name, error);

  to_binding_error (error);
  return user;
}

static void
mcu_store_binding_store_init (McuBindingStoreInterface *iface)
{
  iface->load_bindings = store_load_bindings;
  iface->replace_bindings = store_replace_bindings;
  iface->purge_expired = store_purge_expired;
  iface->lookup_user = store_lookup_user;
}

McuStore *
mcu_store_open (const gchar *path, GError **error)
{
  return mcu_store_sqlite_open (path, error);
}

void
mcu_store_close (McuStore *self)
{
  g_return_if_fail (MCU_IS_STORE (self));
  MCU_STORE_GET_CLASS (self)->close (self);
}

const gchar *
mcu_store_get_path (McuStore *self)
{
  g_return_val_if_fail (MCU_IS_STORE (self), NULL);
  return MCU_STORE_GET_CLASS (self)->get_path (self);
}

gboolean
mcu_store_is_available (McuStore *self)
{
  g_return_val_if_fail (MCU_IS_STORE (self), FALSE);
  return MCU_STORE_GET_CLASS (self)->is_available (self);
}

gboolean
mcu_store_set_user (McuStore *self, const McuStoredUser *user, GError **error)
{
  g_return_val_if_fail (MCU_IS_STORE (self), FALSE);
  return MCU_STORE_GET_CLASS (self)->set_user (self, user, error);
}

gboolean
mcu_store_delete_user (McuStore *self, const gchar *name, GError **error)
{
  g_return_val_if_fail (MCU_IS_STORE (self), FALSE);
  return MCU_STORE_GET_CLASS (self)->delete_user (self, name, error);
}

gboolean
mcu_store_save_room (McuStore *self, const McuStoredRoom *room, GError **error)
{
  g_return_val_if_fail (MCU_IS_STORE (self), FALSE);
  return MCU_STORE_GET_CLASS (self)->save_room (self, room, error);
}

gboolean
mcu_store_delete_room (McuStore *self, const gchar *name, GError **error)
{
  g_return_val_if_fail (MCU_IS_STORE (self), FALSE);
  return MCU_STORE_GET_CLASS (self)->delete_room (self, name, error);
}

GPtrArray *
mcu_store_load_rooms (McuStore *self, GError **error)
{
  g_return_val_if_fail (MCU_IS_STORE (self), NULL);
  return MCU_STORE_GET_CLASS (self)->load_rooms (self, error);
}

McuStoredRoom *
mcu_store_lookup_room (McuStore *self, const gchar *name, GError **error)
{
  g_autoptr (GPtrArray) rooms = mcu_store_load_rooms (self, error);

  for (guint i = 0; rooms && i < rooms->len; i++) {
    McuStoredRoom *r = g_ptr_array_index (rooms, i);

    if (g_strcmp0 (r->name, name) == 0)
      return mcu_stored_room_copy (r);
  }
  return NULL;
}

gboolean
mcu_store_save_meeting (
    McuStore *self, const gchar *id, const gchar *json, GError **error)
{
  g_return_val_if_fail (MCU_IS_STORE (self), FALSE);
  return MCU_STORE_GET_CLASS (self)->save_meeting (self, id, json, error);
}

gboolean
mcu_store_delete_meeting (McuStore *self, const gchar *id, GError **error)
{
  g_return_val_if_fail (MCU_IS_STORE (self), FALSE);
  return MCU_STORE_GET_CLASS (self)->delete_meeting (self, id, error);
}

GPtrArray *
mcu_store_load_meetings (McuStore *self, GError **error)
{
  g_return_val_if_fail (MCU_IS_STORE (self), NULL);
  return MCU_STORE_GET_CLASS (self)->load_meetings (self, error);
}

gchar *
mcu_store_lookup_meeting (McuStore *self, const gchar *id, GError **error)
{
  g_autoptr (GPtrArray) meetings = mcu_store_load_meetings (self, error);

  for (guint i = 0; meetings && i < meetings->len; i++) {
    McuStoredMeeting *m = g_ptr_array_index (meetings, i);

    if (g_strcmp0 (m->id, id) == 0)
      return g_strdup (m->json);
  }
  return NULL;
}

gboolean
mcu_store_save_occurrence (
    McuStore *self, const McuStoredOccurrence *occurrence, GError **error)
{
  g_return_val_if_fail (MCU_IS_STORE (self), FALSE);
  return MCU_STORE_GET_CLASS (self)->save_occurrence (self, occurrence, error);
}

McuStoredOccurrence *
mcu_store_load_last_occurrence (
    McuStore *self, const gchar *meeting_id, GError **error)
{
  g_return_val_if_fail (MCU_IS_STORE (self), NULL);
  return MCU_STORE_GET_CLASS (self)->load_last_occurrence (
      self, meeting_id, error);
}

void
mcu_store_emit_room_changed (McuStore *self, const gchar *name)
{
  g_signal_emit (self, signals[SIGNAL_ROOM_CHANGED], 0, name);
}

void
mcu_store_emit_meeting_changed (McuStore *self, const gchar *id)
{
  g_signal_emit (self, signals[SIGNAL_MEETING_CHANGED], 0, id);
}

void
mcu_store_emit_user_changed (McuStore *self, const gchar *name)
{
  g_signal_emit (self, signals[SIGNAL_USER_CHANGED], 0, name);
}

void
mcu_store_emit_bindings_changed (McuStore *self, const gchar *aor)
{
  g_signal_emit_by_name (self, "bindings-changed", aor);
}

void
mcu_store_emit_loaded (McuStore *self)
{
  g_signal_emit (self, signals[SIGNAL_LOADED], 0);
}

/* ---- the stored records ---- */

McuStoredRoom *
mcu_stored_room_copy (const McuStoredRoom *room)
{
  McuStoredRoom *r = g_new0 (McuStoredRoom, 1);

  *r = *room;
  r->name = g_strdup (room->name);
  r->layout = g_strdup (room->layout);
  r->pin = g_strdup (room->pin);
  r->moderator_pin = g_strdup (room->moderator_pin);
  return r;
}

McuStoredOccurrence *
mcu_stored_occurrence_copy (const McuStoredOccurrence *occurrence)
{
  McuStoredOccurrence *o = mcu_stored_occurrence_new ();

  o->meeting_id = g_strdup (occurrence->meeting_id);
  o->start = occurrence->start;
  o->phase = g_strdup (occurrence->phase);
  o->end = occurrence->end;
  o->warnings_done = occurrence->warnings_done;
  o->ended = g_strdup (occurrence->ended);
  for (guint i = 0; i < occurrence->attendees->len; i++) {
    const McuStoredAttendee *a = g_ptr_array_index (occurrence->attendees, i);
    McuStoredAttendee *c =
        mcu_stored_occurrence_add_attendee (o, a->attendee_id);

    g_free (c->state);
    c->state = g_strdup (a->state);
    c->tries = a->tries;
    c->status = a->status;
    c->next_try = a->next_try;
  }
  return o;
}

void
mcu_stored_room_free (McuStoredRoom *room)
{
  if (room == NULL)
    return;
  g_free (room->name);
  g_free (room->layout);
  g_free (room->pin);
  g_free (room->moderator_pin);
  g_free (room);
}

void
mcu_stored_meeting_free (McuStoredMeeting *meeting)
{
  if (meeting == NULL)
    return;
  g_free (meeting->id);
  g_free (meeting->json);
  g_free (meeting);
}

static void
stored_attendee_free (gpointer data)
{
  McuStoredAttendee *a = data;

  g_free (a->attendee_id);
  g_free (a->state);
  g_free (a);
}

McuStoredOccurrence *
mcu_stored_occurrence_new (void)
{
  McuStoredOccurrence *o = g_new0 (McuStoredOccurrence, 1);

  o->attendees = g_ptr_array_new_with_free_func (stored_attendee_free);
  return o;
}

void
mcu_stored_occurrence_free (McuStoredOccurrence *occurrence)
{
  if (occurrence == NULL)
    return;
  g_free (occurrence->meeting_id);
  g_free (occurrence->phase);
  g_free (occurrence->ended);
  g_ptr_array_unref (occurrence->attendees);
  g_free (occurrence);
}

McuStoredAttendee *
mcu_stored_occurrence_add_attendee (
    McuStoredOccurrence *occurrence, const gchar *attendee_id)
{
  McuStoredAttendee *a = g_new0 (McuStoredAttendee, 1);

  a->attendee_id = g_strdup (attendee_id);
  a->state = g_strdup ("pending");
  g_ptr_array_add (occurrence->attendees, a);
  return a;
}
