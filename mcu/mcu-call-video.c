/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one caller's video. Main thread only.
 *
 * The room's McuVideoMix is its McuRoomMedia's (made with the room's first
 * caller that has video), which also maps the audio mix's "talking" and
 * "active-speaker" (per McuMediaSession) to participant ids for the
 * layout and follows the room's "layout" property.
 *
 * Video follows the SDP: an offer with a usable video line gets a
 * McuVideoSession (ports allocated then, or when we offer video) in the
 * mix; a re-INVITE that changes the codec or profile rebuilds it; one
 * without video (or with port 0), or an answer that refuses our video,
 * takes it out and frees its ports, leaving the name tile. Hold
 * (or a direction without "send" on the caller's side) shows the name tile
 * instead of the picture; without "recv" (or on hold) we send nothing. */
#include "mcu-call-video.h"
#include "mcu-call-srtp.h"

#include <string.h>

typedef enum
{
  VIDEO_OFFERED_NOTHING, /* no offer of ours yet */
  VIDEO_OFFERED_CLEAR,   /* our last offer's video line is RTP/AVP */
  VIDEO_OFFERED_SRTP,    /* RTP/SAVP with offer_crypto */
} VideoOffered;

struct _McuCallVideo
{
  GObject parent_instance;

  const McuConfig *config;
  McuPortPool *ports;
  McuRoomMedia *room_media;
  McuVideoMix *mix;            /* the room's: room_media keeps it */
  McuMediaSession *audio;      /* (weak) mapped to id in room_media */
  McuParticipant *participant; /* (weak) its "video-muted" */
  gulong muted_handler;
  gulong error_handler; /* on mix: "participant-error" */
  guint id;
  McuSdpVideoPrefs prefs;
  McuSdpVideoCodec codecs[3];
  McuVideoSession *session; /* (nullable) */
  McuSdpVideo sdp;
  gboolean have_sdp; /* sdp holds an accepted video line */
  gboolean hold;
  gboolean muted; /* by the operator: the participant's "video-muted" */
  gboolean left;
  gboolean joined; /* in the mix (a dial-out joins when answered) */
  /* joined, but not in the grid yet: the participant is entering its PIN
   * or waiting for the moderator (its "state"); its session waits */
  gboolean hidden;
  gulong state_handler;
  VideoOffered offered;
  McuSdpCrypto offer_crypto; /* our key in our SRTP offers */
};

G_DEFINE_FINAL_TYPE (McuCallVideo, mcu_call_video, G_TYPE_OBJECT)

static void
mcu_call_video_dispose (GObject *object)
{
  McuCallVideo *self = MCU_CALL_VIDEO (object);

  mcu_call_video_leave (self);
  g_clear_object (&self->room_media);
  self->mix = NULL;
  g_clear_object (&self->ports);
  G_OBJECT_CLASS (mcu_call_video_parent_class)->dispose (object);
}

static void
mcu_call_video_finalize (GObject *object)
{
  McuCallVideo *self = MCU_CALL_VIDEO (object);

  mcu_sdp_video_clear (&self->sdp);
  memset (&self->offer_crypto, 0, sizeof self->offer_crypto);
  G_OBJECT_CLASS (mcu_call_video_parent_class)->finalize (object);
}

static void
mcu_call_video_class_init (McuCallVideoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_call_video_dispose;
  object_class->finalize = mcu_call_video_finalize;
}

static void
mcu_call_video_init (McuCallVideo *self)
{
}

static void drop_video (McuCallVideo *self);
static void apply_direction (McuCallVideo *self);

/* An error from inside this participant's video bin: its video goes (the
 * name tile stays, the call and the room go on). */
static void
on_mix_participant_error (
    McuVideoMix *mix, guint id, const gchar *message, McuCallVideo *self)
{
  if (id != self->id || self->left)
    return;
  g_message (
      "participant %u: video failed, going on without it: %s", id, message);
  drop_video (self);
  apply_direction (self);
}

static void
on_participant_video_muted (
    McuParticipant *participant, GParamSpec *pspec, McuCallVideo *self)
{
  mcu_call_video_set_muted (
      self, mcu_participant_get_video_muted (participant));
}

McuCallVideo *
mcu_call_video_new (const McuConfig *config, McuPortPool *ports,
    McuRoomMedia *room_media, McuParticipant *participant,
    McuMediaSession *audio, GError **error)
{
  g_autoptr (McuCallVideo) self = NULL;
  guint n = 0;

  if (!config->video_enabled)
    return NULL;
  self = g_object_new (MCU_TYPE_CALL_VIDEO, NULL);
  self->config = config;
  self->ports = g_object_ref (ports);
  if (!(self->mix =
              mcu_room_media_ensure_video_mix (room_media, config, error)))
    return NULL;
  self->room_media = g_object_ref (room_media);
  self->audio = audio;
  for (gchar **c = config->video_codecs; c && *c && n < 2; c++) {
    McuSdpVideoCodec codec = mcu_sdp_video_codec_from_string (*c);

    if (codec != MCU_SDP_VIDEO_CODEC_NONE)
      self->codecs[n++] = codec;
  }
  self->codecs[n] = MCU_SDP_VIDEO_CODEC_NONE;
  self->prefs.codecs = self->codecs;
  self->prefs.max_width = config->video_width;
  self->prefs.max_height = config->video_height;
  self->prefs.max_framerate = config->video_framerate;
  self->prefs.max_bitrate_kbps = config->video_bitrate;
  self->prefs.address_family = mcu_config_media_family (config);
  if (participant)
    mcu_call_video_join (self, participant);
  return g_steal_pointer (&self);
}

/* Into the grid: its tile (a name until its picture comes). */
static void
show (McuCallVideo *self)
{
  self->hidden = FALSE;
  mcu_room_media_set_session_participant (
      self->room_media, self->audio, self->id);
  self->error_handler = g_signal_connect (self->mix, "participant-error",
      G_CALLBACK (on_mix_participant_error), self);
  mcu_video_mix_add_participant (self->mix, self->id,
      self->participant ? mcu_participant_get_display_name (self->participant)
                        : NULL);
  if (self->muted)
    mcu_video_mix_set_video_muted (self->mix, self->id, TRUE);
}

static void
on_participant_state (
    McuParticipant *participant, GParamSpec *pspec, McuCallVideo *self)
{
  g_autoptr (GError) error = NULL;

  if (!self->hidden || self->left ||
      mcu_participant_get_state (participant) != MCU_PARTICIPANT_STATE_JOINED)
    return;
  show (self);
  if (self->session && self->have_sdp &&
      !mcu_video_mix_set_session (self->mix, self->id, self->session, &error)) {
    g_message ("participant %u: no video: %s", self->id, error->message);
    drop_video (self);
  }
  apply_direction (self);
}

void
mcu_call_video_join (McuCallVideo *self, McuParticipant *participant)
{
  g_return_if_fail (!self->joined && participant != NULL);
  if (self->left)
    return;
  self->joined = TRUE;
  self->id = mcu_participant_get_id (participant);
  /* the operator's video mute (control socket PATCH) */
  self->participant = participant;
  g_object_add_weak_pointer (
      G_OBJECT (participant), (gpointer *)&self->participant);
  self->muted_handler = g_signal_connect (participant, "notify::video-muted",
      G_CALLBACK (on_participant_video_muted), self);
  self->muted = mcu_participant_get_video_muted (participant);
  self->state_handler = g_signal_connect (
      participant, "notify::state", G_CALLBACK (on_participant_state), self);
  if (mcu_participant_get_state (participant) == MCU_PARTICIPANT_STATE_JOINED)
    show (self);
  else
    self->hidden = TRUE;
}

void
mcu_call_video_set_srtp (
    McuCallVideo *self, McuSdpSrtpMode mode, gboolean keys_ok)
{
  self->prefs.srtp = mode;
  self->prefs.srtp_keys_ok = keys_ok;
}

const McuSdpVideoPrefs *
mcu_call_video_get_prefs (McuCallVideo *self)
{
  return &self->prefs;
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

static void
params_from_sdp (McuVideoParams *p, const McuSdpVideo *v)
{
  memset (p, 0, sizeof *p);
  p->codec = v->codec == MCU_SDP_VIDEO_CODEC_VP8 ? MCU_VIDEO_CODEC_VP8
                                                 : MCU_VIDEO_CODEC_H264;
  p->pt = v->pt;
  p->packetization_mode = v->packetization_mode;
  if (v->encode_profile_level_id)
    p->profile_level_id =
        (guint)g_ascii_strtoull (v->encode_profile_level_id, NULL, 16);
  p->width = v->width;
  p->height = v->height;
  p->framerate = v->framerate;
  p->bitrate_kbps = v->bitrate_kbps;
  p->fb_nack = v->fb_nack;
  p->fb_pli = v->fb_pli;
  p->fb_fir = v->fb_fir;
  p->rtcp_mux = v->rtcp_mux;
  p->srtp = mcu_call_srtp_suite (v->remote_crypto.suite);
}

/* Who sees what, from the direction and hold. */
static void
apply_direction (McuCallVideo *self)
{
  gboolean sends = self->have_sdp && !self->hold &&
                   remote_sends (self->sdp.remote_direction);
  gboolean receives = self->have_sdp && !self->hold &&
                      remote_receives (self->sdp.remote_direction) &&
                      self->sdp.remote_rtp_port != 0;

  if (!self->joined || self->hidden)
    return; /* a dial-out not answered yet, a PIN entry: not in the mix */
  if (self->session) {
    gboolean was = mcu_video_session_get_sending (self->session);

    mcu_video_session_set_sending (self->session, receives);
    if (receives && !was)
      mcu_video_mix_request_keyframe (self->mix, self->id);
  }
  mcu_video_mix_set_video_muted (self->mix, self->id, !sends || self->muted);
}

/* No video line in use: out of the mix, and its ports back to the pool
 * (an audio-only call holds one RTP/RTCP pair). */
static void
drop_video (McuCallVideo *self)
{
  if (self->session && self->joined && !self->hidden)
    mcu_video_mix_set_session (self->mix, self->id, NULL, NULL);
  g_clear_object (&self->session);
  mcu_sdp_video_clear (&self->sdp);
  self->have_sdp = FALSE;
}

/* An answer to our offer: SRTP only if we offered it, on our tag and
 * suite, and then with the key we offered (as the audio's answer_keys). */
static const gchar *
answer_keys (McuCallVideo *self, McuSdpVideo *video)
{
  gboolean offered = self->offered == VIDEO_OFFERED_SRTP;

  if (!offered && video->remote_crypto.suite == MCU_SDP_CRYPTO_NONE)
    return NULL;
  if (!offered || video->remote_crypto.suite != self->offer_crypto.suite ||
      video->remote_crypto.tag != self->offer_crypto.tag)
    return offered ? "the answer does not accept our a=crypto"
                   : "SRTP in the answer to a clear RTP offer";
  video->local_crypto = self->offer_crypto;
  return NULL;
}

static gboolean
apply_sdp (McuCallVideo *self, const McuSdpSession *sdp, gboolean hold,
    gboolean answer, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  McuSdpVideo video = { 0 };
  McuVideoParams params;
  McuMediaSrtpKey send, recv;
  const gchar *why = NULL;

  if (self->left)
    return TRUE;
  g_return_val_if_fail (self->joined, FALSE);
  self->hold = hold;
  if (!mcu_sdp_negotiate_video (sdp, &self->prefs, &video, &local_error) ||
      (answer && (why = answer_keys (self, &video)) != NULL)) {
    if (local_error || why)
      g_message ("video refused: %s", why ? why : local_error->message);
    mcu_sdp_video_clear (&video);
    drop_video (self);
    apply_direction (self);
    return TRUE;
  }
  params_from_sdp (&params, &video);
  if (self->session == NULL) {
    self->session = mcu_video_session_new (
        self->ports, self->config->jitter_latency, error);
    if (self->session == NULL)
      goto failed;
  }
  if (self->have_sdp && !answer)
    mcu_call_srtp_keep_local (&video.local_crypto, &self->sdp.local_crypto);
  mcu_call_srtp_key (&send, &video.local_crypto);
  mcu_call_srtp_key (&recv, &video.remote_crypto);
  mcu_video_session_set_srtp_keys (self->session, &send, &recv);
  memset (&send, 0, sizeof send);
  memset (&recv, 0, sizeof recv);
  if (!mcu_video_session_params_equal (self->session, &params)) {
    if (!self->hidden)
      mcu_video_mix_set_session (self->mix, self->id, NULL, NULL);
    if (!mcu_video_session_set_params (self->session, &params, error))
      goto failed;
    g_info ("participant %u: video %s %ux%u%s%s", self->id,
        mcu_sdp_video_codec_to_string (video.codec), params.width,
        params.height, params.srtp ? ", SRTP " : "",
        params.srtp ? mcu_sdp_crypto_suite_to_string (video.remote_crypto.suite)
                    : "");
  }
  mcu_video_session_set_remote (self->session, video.remote_address,
      video.remote_rtp_port,
      video.rtcp_mux           ? video.remote_rtp_port
      : video.remote_rtcp_port ? video.remote_rtcp_port
                               : video.remote_rtp_port + 1);
  mcu_sdp_video_clear (&self->sdp);
  self->sdp = video;
  self->have_sdp = TRUE;
  if (!self->hidden &&
      mcu_video_mix_get_session (self->mix, self->id) != self->session &&
      !mcu_video_mix_set_session (self->mix, self->id, self->session, error)) {
    drop_video (self);
    return FALSE;
  }
  apply_direction (self);
  return TRUE;

failed:
  mcu_sdp_video_clear (&video);
  drop_video (self);
  return FALSE;
}

gboolean
mcu_call_video_apply (
    McuCallVideo *self, const McuSdpSession *sdp, gboolean hold, GError **error)
{
  return apply_sdp (self, sdp, hold, FALSE, error);
}

gboolean
mcu_call_video_apply_answer (
    McuCallVideo *self, const McuSdpSession *sdp, gboolean hold, GError **error)
{
  return apply_sdp (self, sdp, hold, TRUE, error);
}

void
mcu_call_video_set_hold (McuCallVideo *self, gboolean hold)
{
  self->hold = hold;
  if (!self->left)
    apply_direction (self);
}

const McuSdpVideo *
mcu_call_video_get_answer (McuCallVideo *self)
{
  return self->have_sdp && self->session ? &self->sdp : NULL;
}

void
mcu_call_video_fill_local (
    McuCallVideo *self, McuSdpLocal *local, gboolean offer)
{
  McuSdpDirection d = MCU_SDP_SENDRECV;

  if (!offer && !self->have_sdp)
    return; /* an answer without video: no ports for it */
  if (self->session == NULL && !self->left) {
    /* an offer of ours: the ports must exist before the answer */
    self->session =
        mcu_video_session_new (self->ports, self->config->jitter_latency, NULL);
  }
  if (self->session == NULL)
    return;
  if (self->have_sdp)
    d = mcu_sdp_direction_answer (self->sdp.remote_direction);
  if (offer)
    self->offered = VIDEO_OFFERED_CLEAR; /* until mcu_call_video_offer_srtp */
  local->video_rtp_port = mcu_video_session_get_rtp_port (self->session);
  local->video_rtcp_port = mcu_video_session_get_rtcp_port (self->session);
  local->video_direction = d;
}

void
mcu_call_video_offer_srtp (McuCallVideo *self, McuSdpLocal *local)
{
  if (local->video_rtp_port == 0)
    return;
  if (self->have_sdp && self->sdp.local_crypto.suite == MCU_SDP_CRYPTO_NONE)
    return; /* its video is clear (srtp=optional): not switched by us */
  if (self->have_sdp) {
    /* a re-offer keeps the key we send with */
    self->offer_crypto = self->sdp.local_crypto;
    self->offer_crypto.tag = 1;
  } else if (self->offer_crypto.suite == MCU_SDP_CRYPTO_NONE &&
             !mcu_sdp_crypto_generate (&self->offer_crypto,
                 MCU_SDP_CRYPTO_AES_CM_128_HMAC_SHA1_80, 1, NULL)) {
    return; /* no random bytes: no video line next to SRTP audio */
  }
  local->video_crypto = &self->offer_crypto;
  self->offered = VIDEO_OFFERED_SRTP;
}

void
mcu_call_video_acked (McuCallVideo *self)
{
  if (!self->left && self->joined && !self->hidden && self->session)
    mcu_video_mix_request_keyframe (self->mix, self->id);
}

void
mcu_call_video_set_muted (McuCallVideo *self, gboolean muted)
{
  if (self->muted == !!muted)
    return;
  self->muted = !!muted;
  if (!self->left)
    apply_direction (self);
}

gboolean
mcu_call_video_get_stats (McuCallVideo *self, McuVideoMixStats *stats)
{
  memset (stats, 0, sizeof *stats);
  if (self->left || !self->joined || self->hidden || self->session == NULL)
    return FALSE;
  return mcu_video_mix_get_stats (self->mix, self->id, stats);
}

void
mcu_call_video_leave (McuCallVideo *self)
{
  if (self->participant) {
    g_clear_signal_handler (&self->muted_handler, self->participant);
    g_clear_signal_handler (&self->state_handler, self->participant);
    g_object_remove_weak_pointer (
        G_OBJECT (self->participant), (gpointer *)&self->participant);
    self->participant = NULL;
  }
  if (self->left || self->mix == NULL)
    return;
  self->left = TRUE;
  if (self->joined && !self->hidden) {
    g_clear_signal_handler (&self->error_handler, self->mix);
    mcu_video_mix_remove_participant (self->mix, self->id);
    mcu_room_media_set_session_participant (self->room_media, self->audio, 0);
  }
  g_clear_object (&self->session);
}
