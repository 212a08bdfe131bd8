/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the video half of one caller in a room: negotiates the video m-line,
 * owns the participant's McuVideoSession and keeps it in the room's
 * McuVideoMix (a name tile while there is no video). Main thread only. */
#pragma once

#include "mcu-sip.h"
#include "mcu-rooms.h"
#include "mcu-mixer.h"
#include "mcu-video-mix.h"
#include "mcu-config.h"
#include "mcu-room-media.h"

G_BEGIN_DECLS

#define MCU_TYPE_CALL_VIDEO (mcu_call_video_get_type ())
G_DECLARE_FINAL_TYPE (McuCallVideo, mcu_call_video, MCU, CALL_VIDEO, GObject)

/* @participant's video in the room of @room_media (its video mix made
 * now when it has none). Takes the participant
 * into the video mix as a name tile. NULL when [video] enabled=false.
 * @participant: (nullable) not yet (a dial-out: its offer needs video
 * ports before the callee answers): then mcu_call_video_join () before
 * any apply. */
McuCallVideo *mcu_call_video_new (const McuConfig *config, McuPortPool *ports,
    McuRoomMedia *room_media, McuParticipant *participant,
    McuMediaSession *audio, GError **error);
/* Into the video mix as @participant (a name tile until video flows). */
void mcu_call_video_join (McuCallVideo *self, McuParticipant *participant);
/* The call's SRTP policy ([media] srtp, keys allowed in its signalling):
 * before the first mcu_call_video_apply. */
void mcu_call_video_set_srtp (
    McuCallVideo *self, McuSdpSrtpMode mode, gboolean keys_ok);
/* The prefs for offers we make (late offer, re-offers). (transfer none) */
const McuSdpVideoPrefs *mcu_call_video_get_prefs (McuCallVideo *self);

/* Follows the video m-line of @sdp (an offer, or the answer to ours):
 * video added, changed, removed. @hold: the call is on hold (no video
 * either way). FALSE only when the media failed (the call goes on, audio
 * only, with the video line rejected). */
gboolean mcu_call_video_apply (McuCallVideo *self, const McuSdpSession *sdp,
    gboolean hold, GError **error);
/* The same for the answer to our offer (mcu_call_video_fill_local with
 * @offer, then perhaps mcu_call_video_offer_srtp): its video line is SRTP
 * exactly when ours was, on our a=crypto's tag and suite, and we send with
 * the key we offered; otherwise the video line is refused. */
gboolean mcu_call_video_apply_answer (McuCallVideo *self,
    const McuSdpSession *sdp, gboolean hold, GError **error);
/* Hold or resume without a new SDP. */
void mcu_call_video_set_hold (McuCallVideo *self, gboolean hold);
/* (nullable) what to answer for video: NULL rejects the line */
const McuSdpVideo *mcu_call_video_get_answer (McuCallVideo *self);
/* Our video ports and direction into @local: for an @offer of ours (ports
 * allocated if need be), or for an answer (only when a video line was
 * accepted: an audio-only call gets no video ports). */
void mcu_call_video_fill_local (
    McuCallVideo *self, McuSdpLocal *local, gboolean offer);
/* An offer of ours with SRTP audio: the video line gets our key too
 * (@local's video_crypto, valid while @self lives); the key of the
 * current video when there is one, else a new AES_CM_128_HMAC_SHA1_80
 * one. A call whose video is clear gets none (the offer then has no video
 * line, as before). Call it after mcu_call_video_fill_local (@offer
 * TRUE). */
void mcu_call_video_offer_srtp (McuCallVideo *self, McuSdpLocal *local);
/* The caller's ACK came: a keyframe for it now. */
void mcu_call_video_acked (McuCallVideo *self);
/* Operator: the others see the name tile instead of the picture. Follows
 * the participant's "video-muted" property (the control socket's PATCH)
 * by itself; callable directly too. */
void mcu_call_video_set_muted (McuCallVideo *self, gboolean muted);
/* FALSE when it has no video. */
gboolean mcu_call_video_get_stats (McuCallVideo *self, McuVideoMixStats *stats);
/* Out of the video mix; frees the ports. Idempotent. */
void mcu_call_video_leave (McuCallVideo *self);

G_END_DECLS
