/* SPDX-License-Identifier: LGPL-2.1-or-later
 * libFuzzer target for sip/mcu-sdp.c and mcu-sdp-video.c: parse, negotiate
 * audio (both orders) and video, build the answer, and check that the
 * answer parses back with the same m-line count and the same choices. Any GLib
 * warning or critical aborts. */
#include "mcu-sdp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const McuSdpLocal fuzz_local = {
  .user = "mcu",
  .session_id = 1,
  .session_version = 2,
  .address = "127.0.0.1",
  .rtp_port = 30000,
  .rtcp_port = 30001,
  .direction = MCU_SDP_SENDRECV,
  .video_rtp_port = 30002,
  .video_rtcp_port = 30003,
  .video_direction = MCU_SDP_SENDRECV,
};

static void
check_answer (const McuSdpSession *offer, const McuSdpAudio *audio,
    const McuSdpVideo *video)
{
  g_autofree gchar *text =
      mcu_sdp_build_answer (offer, audio, video, &fuzz_local);
  g_autoptr (McuSdpSession) answer = NULL;
  g_autoptr (GError) error = NULL;
  McuSdpAudio again = { 0 };

  answer = mcu_sdp_session_parse (text, strlen (text), &error);
  if (answer == NULL || answer->media->len != offer->media->len)
    g_error ("answer does not parse back: %s\n%s",
        error ? error->message : "m-line count differs", text);
  if (!mcu_sdp_negotiate_audio (answer, NULL, &again, &error) ||
      again.codec != audio->codec || again.pt != audio->pt ||
      again.dtmf_pt != audio->dtmf_pt)
    g_error ("answer does not negotiate to the same codec:\n%s", text);
  mcu_sdp_audio_clear (&again);
  if (video) {
    McuSdpVideo v = { 0 };

    if (!mcu_sdp_negotiate_video (answer, NULL, &v, NULL) ||
        v.codec != video->codec || v.pt != video->pt)
      g_error ("answer does not negotiate to the same video:\n%s", text);
    mcu_sdp_video_clear (&v);
  }
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_always_fatal (
      G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (McuSdpSession) offer = NULL;

  offer = mcu_sdp_session_parse ((const gchar *)data, size, NULL);
  if (offer == NULL)
    return 0;
  for (int order = 0; order < 2; order++) {
    /* the second pass also takes the RFC 6464 a=extmap */
    McuSdpPrefs prefs = { NULL, order, .audio_level = order == 1 };
    McuSdpAudio audio = { 0 };
    McuSdpVideo video = { 0 };
    g_autoptr (GError) error = NULL;
    g_autoptr (GError) verror = NULL;
    gboolean have_video;

    if (!mcu_sdp_negotiate_audio (offer, &prefs, &audio, &error)) {
      g_assert (error != NULL && error->domain == MCU_SDP_ERROR);
      continue;
    }
    have_video = mcu_sdp_negotiate_video (offer, NULL, &video, &verror);
    g_assert (have_video || verror == NULL || verror->domain == MCU_SDP_ERROR);
    check_answer (offer, &audio, have_video ? &video : NULL);
    mcu_sdp_audio_clear (&audio);
    mcu_sdp_video_clear (&video);
  }
  return 0;
}
