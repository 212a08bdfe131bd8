/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuCallLeg's insides, shared by mcu-call-leg.c (incoming calls,
 * the media and the room) and mcu-call-leg-dial.c (outgoing and bridged
 * legs, our re-INVITEs). Main thread only. */
#pragma once

#include "mcu-call-leg.h"
#include "mcu-call-video.h"
#include "mcu-call-srtp.h"
#include "mcu-call-dtmf.h"
#include "mcu-dtmf-limit.h"

G_BEGIN_DECLS

struct _McuCallLeg
{
  GObject parent_instance;

  const McuCallEnv *env;
  McuSipCall *call;
  McuRoom *room;
  McuParticipant *participant; /* (nullable) held by the room */
  McuAudioMix *mix;
  McuRoomMedia *room_media; /* (nullable) the room's, in a room */
  McuMediaSession *media;
  McuCallVideo *video; /* (nullable) video off or not in a room */
  McuCallDtmf *dtmf;
  McuCallControls *controls; /* (nullable) callers into a room */
  gboolean held_out;         /* out of the mix: PIN entry, waiting */
  McuSdpAudio audio;
  gboolean have_audio;
  gboolean awaiting_answer; /* we offered; the answer comes in the ACK */
  guint64 sdp_id;
  guint64 sdp_version;
  guint rtp_timer;
  guint no_media_ticks; /* rtp_timer ticks since the answer, no RTP yet */
  gboolean media_flowing;
  guint ring_timer;
  gchar *pending_answer;     /* the 200's SDP while ringing */
  guint final_status;        /* the status we rejected with, 0 = none */
  guint retry_after;         /* for a rejection with Retry-After */
  McuMediaStats final_stats; /* the media's, when it was released */
  gboolean ended;
  McuSdpDirection offer_direction; /* ours in the offers we make */
  McuSdpPrefs prefs;               /* env's, srtp_keys_ok for this call */
  McuSdpCrypto offer_crypto;       /* our key in our SRTP offers */
  gchar *log_room;                 /* (nullable) MCU_ROOM of its log lines */
  McuDtmfLimit dtmf_limit;         /* keys a second */
  McuParticipantRole dial_role;    /* a dialled leg joins with it */
};

/* Logged under its room (MCU_ROOM): the one it asked for or joined, the
 * one it was dialled into; none for the legs of a bridge. */
#define LEG_LOG(self, level, ...)                                     \
  G_STMT_START                                                        \
  {                                                                   \
    const gchar *call_id_ = mcu_sip_call_get_call_id ((self)->call);  \
    if ((self)->log_room)                                             \
      g_log_structured (G_LOG_DOMAIN, level, "MCU_CALL_ID", call_id_, \
          "MCU_ROOM", (self)->log_room, "MESSAGE", __VA_ARGS__);      \
    else                                                              \
      g_log_structured (G_LOG_DOMAIN, level, "MCU_CALL_ID", call_id_, \
          "MESSAGE", __VA_ARGS__);                                    \
  }                                                                   \
  G_STMT_END

/* Everything the leg holds of the room and the media, released. */
void mcu_call_leg_release_media (McuCallLeg *self);
/* Maps an admission error to a SIP final response. */
void mcu_call_leg_reject_error (McuCallLeg *self, const GError *error);
/* The room's mix (its media made with the room's first caller). */
McuAudioMix *mcu_call_leg_room_mix (
    McuCallLeg *self, McuRoom *room, GError **error);
/* The caller's video in its room (none when video is off). */
void mcu_call_leg_new_video (McuCallLeg *self);
/* Takes @mix as this leg's mix and allocates the media (not yet in it). */
gboolean mcu_call_leg_attach_mix (
    McuCallLeg *self, McuAudioMix *mix, GError **error);
/* (transfer full) our SDP */
gchar *mcu_call_leg_build_offer (McuCallLeg *self);
gchar *mcu_call_leg_build_answer (McuCallLeg *self, const McuSdpSession *offer);
/* Parses @text and negotiates its audio into @audio; @session: (nullable)
 * (out) the parsed session. */
gboolean mcu_call_leg_negotiate (McuCallLeg *self, const gchar *text,
    McuSdpSession **session, McuSdpAudio *audio, GError **error);
/* The keys of an answer to our offer. */
gboolean mcu_call_leg_answer_keys (
    McuCallLeg *self, McuSdpAudio *audio, GError **error);
/* @audio (taken) applied to the media and the mix. */
gboolean mcu_call_leg_apply_audio (
    McuCallLeg *self, McuSdpAudio *audio, GError **error);
gboolean mcu_call_leg_on_hold (McuCallLeg *self);
/* Every second from the answer: the RTP timeout. */
gboolean mcu_call_leg_on_rtp_timer (gpointer data);

/* mcu-call-leg-dial.c: the call's "answered" and "update-answered" */
void mcu_call_leg_on_answered (
    McuSipCall *call, const gchar *sdp, McuCallLeg *self);
void mcu_call_leg_on_update_answered (
    McuSipCall *call, guint status, const gchar *sdp, McuCallLeg *self);

G_END_DECLS
