/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: placing an incoming call's room before it joins (see
 * mcu-cluster-admit.h). */
#include "mcu-cluster-admit.h"
#include "mcu-room-directory.h"
#include "mcu-sip-call.h"

#include <string.h>

typedef struct
{
  McuCallLeg *leg;
  guint retry_after;
} AdmitData;

static void
on_placed (GObject *source, GAsyncResult *result, gpointer data)
{
  AdmitData *d = data;
  McuSipCall *call = mcu_call_leg_get_call (d->leg);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *contact =
      mcu_cluster_place_room_finish (MCU_CLUSTER (source), result, &error);

  /* cancelled or gone while we asked */
  if (mcu_sip_call_get_state (call) != MCU_SIP_CALL_STATE_INCOMING) {
  } else if (error) {
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MCU_CALL_ID",
        mcu_sip_call_get_call_id (call), "MESSAGE", "cluster: %s",
        error->message);
    mcu_sip_call_reject_retry (
        call, 503, "Service Unavailable", error->message, d->retry_after);
  } else if (contact) {
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "MCU_CALL_ID",
        mcu_sip_call_get_call_id (call), "MESSAGE",
        "cluster: room hosted elsewhere: redirecting to %s", contact);
    mcu_sip_call_redirect (call, contact);
  } else {
    mcu_call_leg_start (d->leg);
  }
  g_object_unref (d->leg);
  g_free (d);
}

void
mcu_cluster_admit_leg (McuCluster *cluster, McuCallLeg *leg, guint retry_after)
{
  McuSipCall *call = mcu_call_leg_get_call (leg);
  const gchar *target = mcu_sip_call_get_target (call);
  g_autofree gchar *room =
      target ? g_strndup (target, strcspn (target, "*")) : NULL;
  AdmitData *d;

  /* not a room name: the leg refuses it (404) without the database */
  if (room == NULL || !mcu_room_directory_is_valid_name (room)) {
    mcu_call_leg_start (leg);
    return;
  }
  d = g_new0 (AdmitData, 1);
  d->leg = g_object_ref (leg);
  d->retry_after = retry_after;
  mcu_cluster_place_room_async (cluster, room, NULL, on_placed, d);
}

static void
on_room_found (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (McuSipMessage) message = data;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *contact =
      mcu_cluster_find_room_finish (MCU_CLUSTER (source), result, &error);

  if (error)
    mcu_sip_message_respond (message, 503, "Service Unavailable");
  else if (contact)
    mcu_sip_message_redirect (message, contact);
  else
    mcu_sip_message_respond (message, 404, "Not Found");
}

void
mcu_cluster_redirect_message (
    McuCluster *cluster, McuSipMessage *message, const gchar *room)
{
  mcu_cluster_find_room_async (
      cluster, room, NULL, on_room_found, g_object_ref (message));
}
