/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one caller in a room. Main thread only.
 *
 * INVITE with SDP: parse, negotiate (400/488 on failure), open the room
 * (404/403/486), allocate ports and build the media (503/500), join the
 * room's mix, answer 180 then 200 with our SDP.
 * INVITE without SDP (late offer): our offer goes in the 200, the answer
 * comes in the ACK, and only then does the media join the mix.
 * re-INVITE: new address, codec or direction; hold (sendonly/inactive)
 * stops our sending and leaves the caller out of the mix.
 * The RTP timer hangs up a caller that sent nothing for [media]
 * rtp-timeout seconds, unless the call is on hold.
 * Outgoing and bridged legs are in mcu-call-leg-dial.c.
 * Outgoing (mcu_call_leg_dial): our offer in the INVITE, the answer in the
 * 2xx; the media joins the mix (and the room, as a participant) only then.
 * Bridged (mcu_call_leg_start_bridged): an incoming call whose media joins
 * a bare two-party mix at once, answered only when the bridge says so.
 * DTMF out: McuCallDtmf (mcu-call-dtmf.c), told of the media each time.
 * Signals: "ended"; "answered" (outgoing: 2xx and media up);
 * "dtmf-sent" (const gchar *digits, const gchar *method);
 * "remote-direction" (McuSdpDirection): the remote changed its media
 * direction with a re-INVITE (hold/resume).
 * "dtmf" (const gchar *digit, const gchar *method): a key the caller
 * pressed, from the media (RFC 4733 "rfc4733", in-band tones "inband") or
 * an INFO ("info"); the one place to listen for keys.
 * SRTP (SDES): the offer's a=crypto key decrypts what the caller sends; we
 * answer with a fresh key of ours, kept across re-INVITEs while the suite
 * stays (a new key from the caller re-keys only the decryption). Our own
 * offers are RTP/SAVP when [media] srtp=mandatory, or when the call is
 * already SRTP. Keys are never logged. */
#include "mcu-call-leg-private.h"

#include <string.h>

G_DEFINE_FINAL_TYPE (McuCallLeg, mcu_call_leg, G_TYPE_OBJECT)

enum
{
  SIGNAL_ENDED,
  SIGNAL_ANSWERED,
  SIGNAL_REMOTE_DIRECTION,
  SIGNAL_DTMF_SENT,
  SIGNAL_DTMF,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
mcu_call_leg_dispose (GObject *object)
{
  McuCallLeg *self = MCU_CALL_LEG (object);

  g_clear_handle_id (&self->rtp_timer, g_source_remove);
  g_clear_handle_id (&self->ring_timer, g_source_remove);
  mcu_call_leg_release_media (self);
  if (self->dtmf)
    g_signal_handlers_disconnect_by_data (self->dtmf, self);
  g_clear_object (&self->dtmf);
  if (self->call)
    g_signal_handlers_disconnect_by_data (self->call, self);
  g_clear_object (&self->call);
  G_OBJECT_CLASS (mcu_call_leg_parent_class)->dispose (object);
}

static void
mcu_call_leg_finalize (GObject *object)
{
  McuCallLeg *self = MCU_CALL_LEG (object);

  mcu_sdp_audio_clear (&self->audio);
  memset (&self->offer_crypto, 0, sizeof self->offer_crypto);
  g_free (self->pending_answer);
  g_free (self->log_room);
  G_OBJECT_CLASS (mcu_call_leg_parent_class)->finalize (object);
}

static void
mcu_call_leg_class_init (McuCallLegClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_call_leg_dispose;
  object_class->finalize = mcu_call_leg_finalize;
  signals[SIGNAL_ENDED] = g_signal_new ("ended", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_ANSWERED] =
      g_signal_new ("answered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
          NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_REMOTE_DIRECTION] =
      g_signal_new ("remote-direction", G_TYPE_FROM_CLASS (klass),
          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  signals[SIGNAL_DTMF_SENT] =
      g_signal_new ("dtmf-sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
          0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_DTMF] =
      g_signal_new ("dtmf", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
          NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

/* A key from the media ("dtmf" of the media session) or an INFO (of the
 * SIP call). */
static void
on_dtmf (
    GObject *source, const gchar *digit, const gchar *method, McuCallLeg *self)
{
  guint dropped;

  if (self->ended)
    return;
  if (!mcu_dtmf_limit_take (
          &self->dtmf_limit, g_get_monotonic_time (), &dropped))
    return;
  if (dropped)
    LEG_LOG (self, G_LOG_LEVEL_WARNING,
        "%u DTMF keys dropped (more than %u a second)", dropped,
        MCU_DTMF_MAX_PER_SECOND);
  LEG_LOG (self, G_LOG_LEVEL_DEBUG, "key %s (%s)", digit, method);
  g_signal_emit (self, signals[SIGNAL_DTMF], 0, digit, method);
}

static void
mcu_call_leg_init (McuCallLeg *self)
{
  self->sdp_id = g_random_int_range (1, G_MAXINT32);
  self->sdp_version = 1;
}

McuSipCall *
mcu_call_leg_get_call (McuCallLeg *self)
{
  return self->call;
}

/* Leaves the mix and the room, frees the ports. Idempotent. */
void
mcu_call_leg_release_media (McuCallLeg *self)
{
  /* the totals first: out of the mix, the session has no rtpbin to ask */
  if (self->media)
    mcu_media_session_get_stats (self->media, &self->final_stats);
  if (self->controls)
    mcu_call_controls_leave (self->controls);
  g_clear_object (&self->controls);
  if (self->video)
    mcu_call_video_leave (self->video);
  g_clear_object (&self->video);
  if (self->mix && self->media)
    mcu_audio_mix_remove (self->mix, self->media);
  if (self->mix)
    g_signal_handlers_disconnect_by_data (self->mix, self);
  if (self->dtmf)
    mcu_call_dtmf_set_media (self->dtmf, NULL, FALSE);
  if (self->media) /* a key may still be on its way to the main loop */
    g_signal_handlers_disconnect_by_data (self->media, self);
  g_clear_object (&self->media);
  g_clear_object (&self->mix);
  if (self->room_media && self->participant)
    mcu_room_media_remove_leg (self->room_media, self->participant);
  g_clear_object (&self->room_media);
  if (self->room && self->participant)
    mcu_room_remove_participant (self->room, self->participant);
  else if (self->room && !mcu_sip_call_is_outgoing (self->call))
    /* an outgoing leg leaves that to its dialer: other branches may ring */
    mcu_room_directory_discard_if_empty (self->env->rooms, self->room);
  self->participant = NULL;
  g_clear_object (&self->room);
}

static void
end (McuCallLeg *self)
{
  if (self->ended)
    return;
  self->ended = TRUE;
  mcu_call_dtmf_cancel (self->dtmf);
  g_clear_handle_id (&self->rtp_timer, g_source_remove);
  g_clear_handle_id (&self->ring_timer, g_source_remove);
  mcu_call_leg_release_media (self);
  g_signal_emit (self, signals[SIGNAL_ENDED], 0);
}

static void
reject (
    McuCallLeg *self, guint status, const gchar *phrase, const gchar *warning)
{
  LEG_LOG (self, G_LOG_LEVEL_INFO, "rejecting: %u %s (%s)", status, phrase,
      warning ? warning : "");
  self->final_status = status;
  mcu_sip_call_reject_retry (
      self->call, status, phrase, warning, self->retry_after);
  mcu_call_leg_release_media (self);
}

/* Maps an admission error to a SIP final response. */
void
mcu_call_leg_reject_error (McuCallLeg *self, const GError *error)
{
  if (error->domain == MCU_SDP_ERROR)
    reject (self, error->code == MCU_SDP_ERROR_PARSE ? 400 : 488,
        error->code == MCU_SDP_ERROR_PARSE ? "Bad Request"
                                           : "Not Acceptable Here",
        error->message);
  else if (error->domain == MCU_ROOM_ERROR)
    switch (error->code) {
      case MCU_ROOM_ERROR_FULL:
        reject (self, 486, "Busy Here", error->message);
        break;
      case MCU_ROOM_ERROR_LOCKED:
      case MCU_ROOM_ERROR_BAD_PIN:
        reject (self, 403, "Forbidden", error->message);
        break;
      case MCU_ROOM_ERROR_CLOSED:
      case MCU_ROOM_ERROR_NOT_OPEN: /* with Retry-After (retry_after) */
        reject (self, 480, "Temporarily Unavailable", error->message);
        break;
      default:
        reject (self, 404, "Not Found", error->message);
    }
  else if (g_error_matches (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_NO_PORTS))
    reject (self, 503, "Service Unavailable", error->message);
  else
    reject (self, 500, "Server Internal Error", error->message);
}

static McuMediaCodecParams
codec_params (const McuSdpAudio *a)
{
  McuMediaCodecParams p = { 0 };

  switch (a->codec) {
    case MCU_SDP_CODEC_OPUS:
      p.codec = MCU_MEDIA_CODEC_OPUS;
      break;
    case MCU_SDP_CODEC_G722:
      p.codec = MCU_MEDIA_CODEC_G722;
      break;
    case MCU_SDP_CODEC_PCMA:
      p.codec = MCU_MEDIA_CODEC_PCMA;
      break;
    default:
      p.codec = MCU_MEDIA_CODEC_PCMU;
  }
  p.srtp = mcu_call_srtp_suite (a->remote_crypto.suite);
  p.pt = a->pt;
  p.ptime = a->ptime ? a->ptime : 20;
  p.dtmf_pt = a->dtmf_pt;
  p.dtmf_clock_rate = a->dtmf_clock_rate;
  p.dtmf_pt_alt = a->dtmf_pt_alt;
  p.dtmf_clock_rate_alt = a->dtmf_clock_rate_alt;
  p.opus_fec = a->opus_fec;
  p.audio_level_id = a->audio_level_id;
  p.audio_level_vad = a->audio_level_vad;
  if (a->opus_max_bitrate)
    p.opus_bitrate = CLAMP (a->opus_max_bitrate, 6000, 510000);
  return p;
}

/* The media's SRTP keys from @audio; our key stays the one we had while
 * the suite does (only the caller's key changes on a re-INVITE). */
static void
apply_srtp_keys (McuCallLeg *self, McuSdpAudio *audio)
{
  McuMediaSrtpKey send, recv;

  if (self->have_audio)
    mcu_call_srtp_keep_local (&audio->local_crypto, &self->audio.local_crypto);
  mcu_call_srtp_key (&send, &audio->local_crypto);
  mcu_call_srtp_key (&recv, &audio->remote_crypto);
  mcu_media_session_set_srtp_keys (self->media, &send, &recv);
  memset (&send, 0, sizeof send);
  memset (&recv, 0, sizeof recv);
}

static gboolean
remote_sends (McuSdpDirection d)
{
  return d == MCU_SDP_SENDRECV || d == MCU_SDP_SENDONLY;
}

static gboolean
remote_receives (McuSdpDirection d)
{
  return d == MCU_SDP_SENDRECV || d == MCU_SDP_RECVONLY;
}

/* A hold: the caller asked us to stop sending (sendonly/inactive). */
gboolean
mcu_call_leg_on_hold (McuCallLeg *self)
{
  return self->have_audio && !remote_receives (self->audio.remote_direction);
}

/* Makes the media follow @audio (taken over: cleared on return). */
gboolean
mcu_call_leg_apply_audio (McuCallLeg *self, McuSdpAudio *audio, GError **error)
{
  McuMediaCodecParams p = codec_params (audio);
  gboolean in_mix = mcu_audio_mix_contains (self->mix, self->media);
  gboolean hold;

  /* tones in the audio only from phones that negotiated no telephone-event
   * (those send their keys that way) */
  p.inband_dtmf = audio->dtmf_pt == 0 &&
                  mcu_config_inband_dtmf (self->env->config,
                      self->room ? mcu_room_get_name (self->room) : NULL);
  p.opus_own_celt = self->env->config->own_mix_celt;

  apply_srtp_keys (self, audio);
  if (!mcu_media_session_codec_equal (self->media, &p)) {
    if (in_mix)
      mcu_audio_mix_remove (self->mix, self->media);
    in_mix = FALSE;
    if (!mcu_media_session_set_codec (self->media, &p, error))
      return FALSE;
    LEG_LOG (self, G_LOG_LEVEL_INFO, "audio %s/%u pt %u ptime %u%s%s%s",
        mcu_sdp_codec_to_string (audio->codec), audio->clock_rate, audio->pt,
        p.ptime, p.srtp ? ", SRTP " : "",
        p.srtp ? mcu_sdp_crypto_suite_to_string (audio->remote_crypto.suite)
               : "",
        p.audio_level_id ? ", RFC 6464 audio level" : "");
  }
  mcu_media_session_set_remote (self->media, audio->remote_address,
      audio->remote_rtp_port,
      audio->remote_rtcp_port ? audio->remote_rtcp_port
                              : audio->remote_rtp_port + 1);
  mcu_sdp_audio_clear (&self->audio);
  self->audio = *audio;
  memset (audio, 0, sizeof *audio);
  self->have_audio = TRUE;

  hold = mcu_call_leg_on_hold (self);
  mcu_media_session_set_sending (
      self->media, !hold && self->audio.remote_rtp_port != 0);
  if (!in_mix && !mcu_audio_mix_add (self->mix, self->media, error))
    return FALSE;
  if (!in_mix && self->participant) {
    mcu_audio_mix_set_volume (
        self->mix, self->media, mcu_participant_get_volume (self->participant));
    mcu_audio_mix_set_listen_volume (self->mix, self->media,
        mcu_participant_get_listen_volume (self->participant));
  }
  mcu_audio_mix_set_muted (self->mix, self->media,
      hold || !remote_sends (self->audio.remote_direction) || self->held_out ||
          (self->participant && mcu_participant_get_muted (self->participant)));
  if (self->participant)
    mcu_participant_set_on_hold (self->participant, hold);
  mcu_call_dtmf_set_media (self->dtmf, self->media, self->audio.dtmf_pt != 0);
  return TRUE;
}

static McuSdpLocal
local_sdp (McuCallLeg *self, McuSdpDirection direction, gboolean offer)
{
  McuSdpLocal local = {
    .user = "mcu",
    .session_id = self->sdp_id,
    .session_version = self->sdp_version++,
    .address = self->env->config->media_address,
    .rtp_port = mcu_media_session_get_rtp_port (self->media),
    .rtcp_port = mcu_media_session_get_rtcp_port (self->media),
    .direction = direction,
  };
  if (self->video)
    mcu_call_video_fill_local (self->video, &local, offer);
  return local;
}

gchar *
mcu_call_leg_build_answer (McuCallLeg *self, const McuSdpSession *offer)
{
  McuSdpLocal local = local_sdp (
      self, mcu_sdp_direction_answer (self->audio.remote_direction), FALSE);

  return mcu_sdp_build_answer (offer, &self->audio,
      self->video ? mcu_call_video_get_answer (self->video) : NULL, &local);
}

gchar *
mcu_call_leg_build_offer (McuCallLeg *self)
{
  McuSdpLocal local = local_sdp (self, self->offer_direction, TRUE);
  gboolean srtp = self->have_audio
                      ? self->audio.local_crypto.suite != MCU_SDP_CRYPTO_NONE
                      : self->prefs.srtp == MCU_SDP_SRTP_MANDATORY &&
                            self->prefs.srtp_keys_ok;

  if (srtp && self->have_audio) {
    self->offer_crypto = self->audio.local_crypto;
    self->offer_crypto.tag = 1;
  } else if (srtp && self->offer_crypto.suite == MCU_SDP_CRYPTO_NONE &&
             !mcu_sdp_crypto_generate (&self->offer_crypto,
                 MCU_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80, 1, NULL)) {
    srtp = FALSE; /* no random bytes: the answer will say what it takes */
  }
  if (srtp) {
    local.audio_crypto = &self->offer_crypto;
    if (self->video)
      mcu_call_video_offer_srtp (self->video, &local);
  }
  self->awaiting_answer = TRUE;
  return mcu_sdp_build_offer (&self->prefs,
      self->video ? mcu_call_video_get_prefs (self->video) : NULL, &local);
}

/* Parses and negotiates @text into @audio; the session when @session. */
gboolean
mcu_call_leg_negotiate (McuCallLeg *self, const gchar *text,
    McuSdpSession **session, McuSdpAudio *audio, GError **error)
{
  g_autoptr (McuSdpSession) s =
      mcu_sdp_session_parse (text, strlen (text), error);

  if (s == NULL || !mcu_sdp_negotiate_audio (s, &self->prefs, audio, error))
    return FALSE;
  if (session)
    *session = g_steal_pointer (&s);
  return TRUE;
}

/* An answer to our offer: SRTP only if we offered it, on our tag and
 * suite, and then with the key we offered. */
gboolean
mcu_call_leg_answer_keys (McuCallLeg *self, McuSdpAudio *audio, GError **error)
{
  gboolean offered = self->offer_crypto.suite != MCU_SDP_CRYPTO_NONE;

  if (!offered && audio->remote_crypto.suite == MCU_SDP_CRYPTO_NONE)
    return TRUE;
  if (!offered || audio->remote_crypto.suite != self->offer_crypto.suite ||
      audio->remote_crypto.tag != self->offer_crypto.tag) {
    g_set_error_literal (error, MCU_SDP_ERROR, MCU_SDP_ERROR_SRTP,
        offered ? "the answer does not accept our a=crypto"
                : "SRTP in the answer to a clear RTP offer");
    return FALSE;
  }
  audio->local_crypto = self->offer_crypto;
  return TRUE;
}

gboolean
mcu_call_leg_on_rtp_timer (gpointer data)
{
  McuCallLeg *self = data;
  guint timeout = self->env->config->rtp_timeout;
  guint no_media = self->env->config->no_media_timeout;
  gint64 idle;

  if (!self->media_flowing && self->media &&
      mcu_media_session_get_packets_received (self->media) > 0) {
    self->media_flowing = TRUE;
    mcu_sip_call_set_media_flowing (self->call);
  }
  /* a call that never sent any media is hung up early: half-open calls
   * are what floods are made of */
  if (!self->media_flowing && no_media && self->media && self->have_audio &&
      !mcu_call_leg_on_hold (self) &&
      remote_sends (self->audio.remote_direction) &&
      ++self->no_media_ticks >= no_media) {
    LEG_LOG (self, G_LOG_LEVEL_INFO,
        "no media %u s after the answer: "
        "hanging up",
        no_media);
    self->rtp_timer = 0;
    mcu_call_leg_hangup (self, "SIP;cause=408;text=\"no media\"");
    return G_SOURCE_REMOVE;
  }
  if (timeout == 0 || self->media == NULL || !self->have_audio ||
      mcu_call_leg_on_hold (self) ||
      !remote_sends (self->audio.remote_direction))
    return G_SOURCE_CONTINUE;
  idle = mcu_media_session_get_idle_time (self->media);
  if (idle < (gint64)timeout * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;
  LEG_LOG (self, G_LOG_LEVEL_INFO, "no RTP for %u s: hanging up", timeout);
  self->rtp_timer = 0;
  mcu_call_leg_hangup (self, "SIP;cause=408;text=\"RTP timeout\"");
  return G_SOURCE_REMOVE;
}

static void
on_call_offer (McuSipCall *call, const gchar *sdp, McuCallLeg *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuSdpSession) offer = NULL;
  g_autofree gchar *answer = NULL;
  McuSdpAudio audio = { 0 };
  McuSdpDirection before = self->audio.remote_direction;

  if (self->media == NULL) {
    mcu_sip_call_reject_update (call, 500, "Server Internal Error", NULL);
    return;
  }
  if (sdp == NULL) { /* offerless re-INVITE: we offer, ACK answers */
    answer = mcu_call_leg_build_offer (self);
    mcu_sip_call_accept_update (call, answer);
    return;
  }
  if (!mcu_call_leg_negotiate (self, sdp, &offer, &audio, &error)) {
    LEG_LOG (self, G_LOG_LEVEL_INFO, "re-INVITE refused: %s", error->message);
    mcu_sip_call_reject_update (call,
        error->code == MCU_SDP_ERROR_PARSE ? 400 : 488,
        error->code == MCU_SDP_ERROR_PARSE ? "Bad Request"
                                           : "Not Acceptable Here",
        error->message);
    mcu_sdp_audio_clear (&audio);
    return;
  }
  if (!mcu_call_leg_apply_audio (self, &audio, &error)) {
    mcu_sdp_audio_clear (&audio);
    mcu_sip_call_reject_update (
        call, 500, "Server Internal Error", error->message);
    mcu_call_leg_hangup (self, "SIP;cause=500;text=\"media failure\"");
    return;
  }
  if (self->video)
    mcu_call_video_apply (
        self->video, offer, mcu_call_leg_on_hold (self), NULL);
  LEG_LOG (self, G_LOG_LEVEL_INFO, "re-INVITE: %s",
      mcu_sdp_direction_to_string (self->audio.remote_direction));
  answer = mcu_call_leg_build_answer (self, offer);
  mcu_sip_call_accept_update (call, answer);
  if (self->audio.remote_direction != before)
    g_signal_emit (self, signals[SIGNAL_REMOTE_DIRECTION], 0,
        (int)self->audio.remote_direction);
}

static void
on_call_ack (McuSipCall *call, const gchar *sdp, McuCallLeg *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuSdpSession) answer_sdp = NULL;
  McuSdpAudio audio = { 0 };

  if (!self->awaiting_answer) {
    if (self->video) /* a keyframe for the new receiver */
      mcu_call_video_acked (self->video);
    return;
  }
  self->awaiting_answer = FALSE;
  if (sdp == NULL) {
    LEG_LOG (self, G_LOG_LEVEL_INFO, "ACK without the answer to our offer");
    mcu_call_leg_hangup (self, "SIP;cause=488;text=\"no SDP answer\"");
    return;
  }
  if (!mcu_call_leg_negotiate (self, sdp, &answer_sdp, &audio, &error) ||
      !mcu_call_leg_answer_keys (self, &audio, &error) ||
      !mcu_call_leg_apply_audio (self, &audio, &error)) {
    mcu_sdp_audio_clear (&audio);
    LEG_LOG (self, G_LOG_LEVEL_INFO, "bad answer in ACK: %s", error->message);
    mcu_call_leg_hangup (self, "SIP;cause=488;text=\"bad SDP answer\"");
    return;
  }
  if (self->video) {
    mcu_call_video_apply_answer (
        self->video, answer_sdp, mcu_call_leg_on_hold (self), NULL);
    mcu_call_video_acked (self->video);
  }
}

static void
on_call_terminated (McuSipCall *call, int reason, McuCallLeg *self)
{
  LEG_LOG (self, G_LOG_LEVEL_INFO, "call ended (%s)",
      reason == MCU_SIP_END_BYE      ? "BYE"
      : reason == MCU_SIP_END_CANCEL ? "CANCEL"
      : reason == MCU_SIP_END_LOCAL  ? "by the server"
      : reason == MCU_SIP_END_FAILED ? "rejected by the callee"
                                     : "error");
  end (self);
}

static void
on_mix_session_error (McuAudioMix *mix, McuMediaSession *session,
    const gchar *message, McuCallLeg *self)
{
  if (session != self->media)
    return;
  LEG_LOG (self, G_LOG_LEVEL_WARNING, "media failed: %s", message);
  mcu_call_leg_hangup (self, "SIP;cause=500;text=\"media failure\"");
}

static void
on_mix_talking (McuAudioMix *mix, McuMediaSession *session, gboolean talking,
    McuCallLeg *self)
{
  if (session == self->media && self->participant)
    mcu_participant_set_talking (self->participant, talking);
}

static void
on_mix_error (McuAudioMix *mix, const gchar *message, McuCallLeg *self)
{
  LEG_LOG (self, G_LOG_LEVEL_WARNING, "room media failed: %s", message);
  mcu_call_leg_hangup (self, "SIP;cause=500;text=\"media failure\"");
}

static void
on_dtmf_sent (McuCallLeg *self, const gchar *digits, const gchar *method)
{
  LEG_LOG (self, G_LOG_LEVEL_INFO, "DTMF %s sent (%s)", digits, method);
  g_signal_emit (self, signals[SIGNAL_DTMF_SENT], 0, digits, method);
}

gboolean
mcu_call_leg_send_dtmf (McuCallLeg *self, const gchar *digits, GError **error)
{
  return mcu_call_dtmf_send (self->dtmf, digits, 0, error);
}

gboolean
mcu_call_leg_send_dtmf_after (
    McuCallLeg *self, const gchar *digits, guint delay_ms, GError **error)
{
  return mcu_call_dtmf_send (self->dtmf, digits, delay_ms, error);
}

McuCallLeg *
mcu_call_leg_new (const McuCallEnv *env, McuSipCall *call)
{
  McuCallLeg *self = g_object_new (MCU_TYPE_CALL_LEG, NULL);

  self->env = env;
  self->call = g_object_ref (call);
  self->prefs = env->prefs;
  if (mcu_sip_call_is_secure (call))
    self->prefs.srtp_keys_ok = TRUE;
  /* incoming: the room it asks for (sip:ROOM*PIN@: never the PIN);
   * outgoing: its To is the callee, the room comes with mcu_call_leg_dial */
  if (!mcu_sip_call_is_outgoing (call) && mcu_sip_call_get_target (call))
    self->log_room = g_strndup (mcu_sip_call_get_target (call),
        strcspn (mcu_sip_call_get_target (call), "*"));
  g_signal_connect (call, "offer", G_CALLBACK (on_call_offer), self);
  g_signal_connect (call, "ack", G_CALLBACK (on_call_ack), self);
  g_signal_connect (call, "terminated", G_CALLBACK (on_call_terminated), self);
  g_signal_connect (
      call, "answered", G_CALLBACK (mcu_call_leg_on_answered), self);
  g_signal_connect (call, "dtmf", G_CALLBACK (on_dtmf), self);
  g_signal_connect (call, "update-answered",
      G_CALLBACK (mcu_call_leg_on_update_answered), self);
  self->dtmf = mcu_call_dtmf_new (call);
  g_signal_connect_swapped (
      self->dtmf, "sent", G_CALLBACK (on_dtmf_sent), self);
  return self;
}

/* The room's mix (its media made with the room's first caller). */
McuAudioMix *
mcu_call_leg_room_mix (McuCallLeg *self, McuRoom *room, GError **error)
{
  McuRoomMedia *media =
      mcu_room_media_registry_open (self->env->room_media, room, error);

  if (media == NULL)
    return NULL;
  g_set_object (&self->room_media, media);
  return mcu_room_media_get_audio_mix (media);
}

/* The caller's video in @room (NULL when video is off); a dial-out's joins
 * the video mix when answered (self->participant NULL until then). */
void
mcu_call_leg_new_video (McuCallLeg *self)
{
  g_autoptr (GError) error = NULL;

  self->video = mcu_call_video_new (self->env->config, self->env->ports,
      self->room_media, self->participant, self->media, &error);
  if (error)
    LEG_LOG (self, G_LOG_LEVEL_WARNING, "no video: %s", error->message);
  if (self->video)
    mcu_call_video_set_srtp (
        self->video, self->prefs.srtp, self->prefs.srtp_keys_ok);
}

static gboolean
admit (McuCallLeg *self, McuSdpSession **offer, GError **error)
{
  const gchar *text = mcu_sip_call_get_offer (self->call);
  McuSdpAudio audio = { 0 };
  McuRoom *room;
  McuAudioMix *mix;
  McuParticipantRole role = MCU_PARTICIPANT_ROLE_GUEST;
  gboolean pin_entry = FALSE;
  /* sip:ROOM*PIN@server carries the room's PIN */
  g_auto (GStrv) target =
      g_strsplit (mcu_sip_call_get_target (self->call), "*", 2);

  if (text && !mcu_call_leg_negotiate (self, text, offer, &audio, error))
    return FALSE;
  if (self->env->admit_gate &&
      !self->env->admit_gate (
          self->env->admit_gate_data, target[0], &self->retry_after, error)) {
    mcu_sdp_audio_clear (&audio);
    return FALSE;
  }
  room = mcu_room_directory_open (self->env->rooms, target[0], error);
  if (room == NULL) {
    mcu_sdp_audio_clear (&audio);
    return FALSE;
  }
  self->room = g_object_ref (room);
  /* without the PIN: entered by keypad after the answer (pin-prompt) */
  if (!mcu_room_check_pin_role (room, target[0] ? target[1] : NULL, &role)) {
    pin_entry = target[0] && !target[1] && self->env->config->pin_prompt;
    if (!pin_entry) {
      g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_BAD_PIN,
          "room %s needs its PIN: dial %s*PIN", target[0], target[0]);
      goto failed;
    }
  }
  if (!(mix = mcu_call_leg_room_mix (self, room, error)))
    goto failed;
  self->mix = g_object_ref (mix);
  g_signal_connect (
      mix, "session-error", G_CALLBACK (on_mix_session_error), self);
  g_signal_connect (mix, "error", G_CALLBACK (on_mix_error), self);
  g_signal_connect (mix, "talking", G_CALLBACK (on_mix_talking), self);
  self->media = mcu_media_session_new (
      self->env->ports, self->env->config->jitter_latency, error);
  if (self->media == NULL)
    goto failed;
  g_signal_connect (self->media, "dtmf", G_CALLBACK (on_dtmf), self);
  self->participant = mcu_room_add_participant_full (room,
      mcu_sip_call_get_display_name (self->call),
      mcu_sip_call_get_from_uri (self->call),
      mcu_call_controls_first_state (room, pin_entry, role), role, error);
  if (self->participant == NULL)
    goto failed;
  mcu_room_media_add_leg (self->room_media, self->participant, self);
  self->controls = mcu_call_controls_new (self, self->env->config, room,
      self->room_media, self->media, self->participant, pin_entry, role);
  mcu_call_controls_set_extend_func (self->controls, self->env->extend_meeting,
      self->env->extend_meeting_data);
  if (text && !mcu_call_leg_apply_audio (self, &audio, error))
    goto failed;
  mcu_call_leg_new_video (self);
  if (text && self->video)
    mcu_call_video_apply (
        self->video, *offer, mcu_call_leg_on_hold (self), NULL);
  return TRUE;

failed:
  mcu_sdp_audio_clear (&audio);
  return FALSE;
}

static void
answer (McuCallLeg *self)
{
  g_autofree gchar *sdp = g_steal_pointer (&self->pending_answer);

  mcu_sip_call_answer (self->call, sdp);
  self->rtp_timer = g_timeout_add_seconds (1, mcu_call_leg_on_rtp_timer, self);
  if (self->room == NULL) /* bridged */
    return;
  if (self->controls)
    mcu_call_controls_start (self->controls);
  LEG_LOG (self, G_LOG_LEVEL_INFO,
      "%s <%s> joined room %s (participant %u, %u in room)",
      mcu_participant_get_display_name (self->participant),
      mcu_sip_call_get_from_uri (self->call), mcu_room_get_name (self->room),
      mcu_participant_get_id (self->participant),
      mcu_room_get_n_participants (self->room));
}

static gboolean
on_ring_timer (gpointer data)
{
  McuCallLeg *self = data;

  self->ring_timer = 0;
  answer (self);
  return G_SOURCE_REMOVE;
}

void
mcu_call_leg_start (McuCallLeg *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuSdpSession) offer = NULL;

  if (!admit (self, &offer, &error)) {
    mcu_call_leg_reject_error (self, error);
    return;
  }
  self->pending_answer = offer ? mcu_call_leg_build_answer (self, offer)
                               : mcu_call_leg_build_offer (self);
  mcu_sip_call_ringing (self->call);
  if (self->env->config->ring_time > 0)
    self->ring_timer =
        g_timeout_add (self->env->config->ring_time, on_ring_timer, self);
  else
    answer (self);
}

void
mcu_call_leg_hangup (McuCallLeg *self, const gchar *reason)
{
  mcu_sip_call_hangup (self->call, reason);
  mcu_call_leg_release_media (self);
}

McuParticipant *
mcu_call_leg_get_participant (McuCallLeg *self)
{
  return self->participant;
}

guint
mcu_call_leg_get_final_status (McuCallLeg *self)
{
  return self->final_status;
}

/* Muted by the operator; a held caller stays out of the mix either way. */
void
mcu_call_leg_set_muted (McuCallLeg *self, gboolean muted)
{
  if (self->participant == NULL)
    return;
  mcu_participant_set_muted (self->participant, muted);
  if (self->mix && self->media && self->have_audio)
    mcu_audio_mix_set_muted (self->mix, self->media,
        muted || self->held_out || mcu_call_leg_on_hold (self) ||
            !remote_sends (self->audio.remote_direction));
}

void
mcu_call_leg_set_deaf (McuCallLeg *self, gboolean deaf)
{
  if (self->participant == NULL)
    return;
  mcu_participant_set_deaf (self->participant, deaf);
  if (self->media)
    mcu_media_session_set_deaf (self->media, deaf);
}

void
mcu_call_leg_set_volume (McuCallLeg *self, gdouble volume)
{
  if (self->participant == NULL)
    return;
  mcu_participant_set_volume (self->participant, volume);
  if (self->mix && self->media)
    mcu_audio_mix_set_volume (
        self->mix, self->media, mcu_participant_get_volume (self->participant));
}

void
mcu_call_leg_set_listen_volume (McuCallLeg *self, gdouble volume)
{
  if (self->participant == NULL)
    return;
  mcu_participant_set_listen_volume (self->participant, volume);
  if (self->mix && self->media)
    mcu_audio_mix_set_listen_volume (self->mix, self->media,
        mcu_participant_get_listen_volume (self->participant));
}

const gchar *
mcu_call_leg_get_audio_codec (McuCallLeg *self)
{
  return self->have_audio ? mcu_sdp_codec_to_string (self->audio.codec) : NULL;
}

McuMediaSession *
mcu_call_leg_get_media (McuCallLeg *self)
{
  return self->media;
}

McuAudioMix *
mcu_call_leg_get_mix (McuCallLeg *self)
{
  return self->mix;
}

void
mcu_call_leg_get_stats (McuCallLeg *self, McuMediaStats *stats)
{
  if (self->media)
    mcu_media_session_get_stats (self->media, stats);
  else
    *stats = self->final_stats;
}

McuCallVideo *
mcu_call_leg_get_video (McuCallLeg *self)
{
  return self->video;
}

void
mcu_call_leg_set_dial_role (McuCallLeg *self, McuParticipantRole role)
{
  self->dial_role = role;
}

McuCallControls *
mcu_call_leg_get_controls (McuCallLeg *self)
{
  return self->controls;
}

void
mcu_call_leg_set_held_out (McuCallLeg *self, gboolean held_out)
{
  if (self->held_out == !!held_out)
    return;
  self->held_out = !!held_out;
  if (self->participant)
    mcu_call_leg_set_muted (
        self, mcu_participant_get_muted (self->participant));
}

/* Takes @mix as this leg's mix and allocates the media (not yet in it). */
gboolean
mcu_call_leg_attach_mix (McuCallLeg *self, McuAudioMix *mix, GError **error)
{
  self->mix = g_object_ref (mix);
  g_signal_connect (
      mix, "session-error", G_CALLBACK (on_mix_session_error), self);
  g_signal_connect (mix, "error", G_CALLBACK (on_mix_error), self);
  g_signal_connect (mix, "talking", G_CALLBACK (on_mix_talking), self);
  self->media = mcu_media_session_new (
      self->env->ports, self->env->config->jitter_latency, error);
  if (self->media)
    g_signal_connect (self->media, "dtmf", G_CALLBACK (on_dtmf), self);
  return self->media != NULL;
}

void
mcu_call_leg_answer (McuCallLeg *self)
{
  if (self->pending_answer)
    answer (self);
}

void
mcu_call_leg_reject (McuCallLeg *self, guint status, const gchar *phrase)
{
  reject (self, status, phrase, NULL);
}

McuSdpDirection
mcu_call_leg_get_remote_direction (McuCallLeg *self)
{
  return self->have_audio ? self->audio.remote_direction : MCU_SDP_SENDRECV;
}
