/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: outgoing and bridged call legs, and our own re-INVITEs (see
 * mcu-call-leg.c). Main thread only. */
#include "mcu-call-leg-private.h"

gboolean
mcu_call_leg_dial (
    McuCallLeg *self, McuRoom *room, McuAudioMix *mix, GError **error)
{
  g_autofree gchar *offer = NULL;

  g_return_val_if_fail ((room == NULL) != (mix == NULL), FALSE);
  g_return_val_if_fail (mcu_sip_call_is_outgoing (self->call), FALSE);
  /* a clear offer would be refused by our own policy once answered */
  if (self->prefs.srtp == MCU_SDP_SRTP_MANDATORY && !self->prefs.srtp_keys_ok) {
    g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_SRTP,
        "[media] srtp=mandatory: %s is not reached over TLS, where SRTP "
        "keys may go (dial sips: or ;transport=tls, or set "
        "srtp-allow-insecure-keys=true)",
        mcu_sip_call_get_target (self->call));
    return FALSE;
  }
  if (room) {
    self->room = g_object_ref (room);
    g_free (self->log_room);
    self->log_room = g_strdup (mcu_room_get_name (room));
    mix = mcu_call_leg_room_mix (self, room, error);
  }
  if (mix == NULL || !mcu_call_leg_attach_mix (self, mix, error)) {
    mcu_call_leg_release_media (self);
    return FALSE;
  }
  if (room)
    mcu_call_leg_new_video (self);
  offer = mcu_call_leg_build_offer (self);
  self->awaiting_answer = FALSE; /* the answer comes in the 2xx */
  mcu_sip_call_invite (self->call, offer);
  return TRUE;
}

/* Outgoing: the 2xx with the answer to our offer. */
void
mcu_call_leg_on_answered (McuSipCall *call, const gchar *sdp, McuCallLeg *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuSdpSession) answer = NULL;
  McuSdpAudio audio = { 0 };

  if (self->media == NULL)
    return;
  if (sdp == NULL ||
      !mcu_call_leg_negotiate (self, sdp, &answer, &audio, &error) ||
      !mcu_call_leg_answer_keys (self, &audio, &error)) {
    LEG_LOG (self, G_LOG_LEVEL_INFO, "unusable answer: %s",
        error ? error->message : "no SDP in the 2xx");
    mcu_call_leg_hangup (self, "SIP;cause=488;text=\"bad SDP answer\"");
    return;
  }
  if (self->room) {
    self->participant = mcu_room_add_participant_full (self->room,
        mcu_sip_call_get_display_name (call), mcu_sip_call_get_from_uri (call),
        mcu_call_controls_first_state (self->room, FALSE, self->dial_role),
        self->dial_role, &error);
    if (self->participant == NULL) {
      mcu_sdp_audio_clear (&audio);
      LEG_LOG (self, G_LOG_LEVEL_INFO, "cannot join: %s", error->message);
      mcu_call_leg_hangup (self, "SIP;cause=486;text=\"room full\"");
      return;
    }
    mcu_room_media_add_leg (self->room_media, self->participant, self);
    /* a dialled participant: a guest, or the role it was dialled with */
    self->controls = mcu_call_controls_new (self, self->env->config, self->room,
        self->room_media, self->media, self->participant, FALSE,
        self->dial_role);
    mcu_call_controls_set_extend_func (self->controls,
        self->env->extend_meeting, self->env->extend_meeting_data);
  }
  if (!mcu_call_leg_apply_audio (self, &audio, &error)) {
    mcu_sdp_audio_clear (&audio);
    LEG_LOG (self, G_LOG_LEVEL_WARNING, "media failed: %s", error->message);
    mcu_call_leg_hangup (self, "SIP;cause=500;text=\"media failure\"");
    return;
  }
  if (self->video) {
    mcu_call_video_join (self->video, self->participant);
    mcu_call_video_apply_answer (
        self->video, answer, mcu_call_leg_on_hold (self), NULL);
  }
  if (self->room)
    LEG_LOG (self, G_LOG_LEVEL_INFO,
        "%s <%s> answered and joined room %s (participant %u)",
        mcu_participant_get_display_name (self->participant),
        mcu_sip_call_get_from_uri (call), mcu_room_get_name (self->room),
        mcu_participant_get_id (self->participant));
  self->rtp_timer = g_timeout_add_seconds (1, mcu_call_leg_on_rtp_timer, self);
  if (self->controls)
    mcu_call_controls_start (self->controls);
  g_signal_emit_by_name (self, "answered");
}

gboolean
mcu_call_leg_start_bridged (McuCallLeg *self, McuAudioMix *mix)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuSdpSession) offer = NULL;
  const gchar *text = mcu_sip_call_get_offer (self->call);
  McuSdpAudio audio = { 0 };

  g_clear_pointer (&self->log_room, g_free); /* a call to a user, no room */
  if ((text && !mcu_call_leg_negotiate (self, text, &offer, &audio, &error)) ||
      !mcu_call_leg_attach_mix (self, mix, &error) ||
      (text && !mcu_call_leg_apply_audio (self, &audio, &error))) {
    mcu_sdp_audio_clear (&audio);
    mcu_call_leg_reject_error (self, error);
    return FALSE;
  }
  self->pending_answer = offer ? mcu_call_leg_build_answer (self, offer)
                               : mcu_call_leg_build_offer (self);
  return TRUE;
}

gboolean
mcu_call_leg_reoffer (McuCallLeg *self, McuSdpDirection direction)
{
  g_autofree gchar *offer = NULL;

  if (self->media == NULL || !self->have_audio)
    return FALSE;
  self->offer_direction = direction;
  offer = mcu_call_leg_build_offer (self);
  self->awaiting_answer = FALSE; /* the answer comes in the 2xx */
  LEG_LOG (self, G_LOG_LEVEL_INFO, "re-INVITE: offering %s",
      mcu_sdp_direction_to_string (direction));
  return mcu_sip_call_update (self->call, offer);
}

/* The final response to our re-INVITE (mcu_call_leg_reoffer). */
void
mcu_call_leg_on_update_answered (
    McuSipCall *call, guint status, const gchar *sdp, McuCallLeg *self)
{
  g_autoptr (GError) error = NULL;
  McuSdpAudio audio = { 0 };

  if (status >= 300 || sdp == NULL || self->media == NULL) {
    LEG_LOG (self, G_LOG_LEVEL_INFO, "our re-INVITE got %u", status);
    return;
  }
  if (!mcu_call_leg_negotiate (self, sdp, NULL, &audio, &error) ||
      !mcu_call_leg_answer_keys (self, &audio, &error) ||
      !mcu_call_leg_apply_audio (self, &audio, &error)) {
    mcu_sdp_audio_clear (&audio);
    LEG_LOG (self, G_LOG_LEVEL_INFO, "bad answer to our re-INVITE: %s",
        error->message);
    mcu_call_leg_hangup (self, "SIP;cause=488;text=\"bad SDP answer\"");
  }
}
