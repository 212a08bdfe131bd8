/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: RTP header extensions in SDP (RFC 8285 a=extmap): the client-to-mixer
 * audio level (RFC 6464), which lets the mixer leave a silent caller out
 * without measuring its decoded audio. Pure functions: any thread.
 *
 *   a=extmap:<id>[/<direction>] <URI> [<extension attributes>]
 *
 * We take urn:ietf:params:rtp-hdrext:ssrc-audio-level from an offer (or an
 * answer to our offer) when the remote sends it (no direction, sendrecv or
 * sendonly), under an id of 1-255 (1-14 fit the one-byte header, the rest
 * need the two-byte one; the receiver reads both) that no other a=extmap of
 * the line uses; "vad=on" makes the V bit count. The answer echoes the id,
 * "/recvonly" for an offered sendonly, and vad=on when offered. Our offers
 * carry id 1 with vad=on. Anything malformed is ignored: the call goes on
 * without the extension. */
#include "mcu-sdp-private.h"

#include <string.h>

#define MAX_ID 255

typedef struct
{
  guint id;
  McuSdpDirection direction; /* SENDRECV when none is written */
  const gchar *uri;          /* into the words */
  gboolean vad;
} Extmap;

static gboolean
parse_direction (const gchar *s, McuSdpDirection *out)
{
  static const McuSdpDirection all[] = { MCU_SDP_SENDRECV, MCU_SDP_SENDONLY,
    MCU_SDP_RECVONLY, MCU_SDP_INACTIVE };

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    if (g_ascii_strcasecmp (s, mcu_sdp_direction_to_string (all[i])) == 0) {
      *out = all[i];
      return TRUE;
    }
  return FALSE;
}

/* One a=extmap value split into @words (blanks squeezed by the parser). */
static gboolean
parse_extmap (gchar **words, Extmap *out)
{
  const gchar *rest;

  memset (out, 0, sizeof *out);
  out->direction = MCU_SDP_SENDRECV;
  if (words[0] == NULL || words[1] == NULL)
    return FALSE;
  rest = mcu_sdp_scan_uint (words[0], 4351, &out->id);
  if (rest == NULL)
    return FALSE;
  if (*rest == '/' && !parse_direction (rest + 1, &out->direction))
    return FALSE;
  if (*rest != '/' && *rest != '\0')
    return FALSE;
  out->uri = words[1];
  for (gchar **w = words + 2; *w != NULL; w++)
    if (g_ascii_strcasecmp (*w, "vad=on") == 0)
      out->vad = TRUE;
  return TRUE;
}

static gboolean
id_shared (gchar **values, guint skip, guint id)
{
  for (guint i = 0; values[i] != NULL; i++) {
    g_auto (GStrv) words = NULL;
    Extmap other;

    if (i == skip)
      continue;
    words = g_strsplit (values[i], " ", 8);
    if (parse_extmap (words, &other) && other.id == id)
      return TRUE;
  }
  return FALSE;
}

void
mcu_sdp_extmap_choose (const McuSdpMedia *media, McuSdpAudio *audio)
{
  g_return_if_fail (media != NULL && audio != NULL);

  audio->audio_level_id = 0;
  audio->audio_level_vad = FALSE;
  audio->audio_level_direction = MCU_SDP_SENDRECV;
  if (media->extmap == NULL)
    return;
  for (guint i = 0; media->extmap[i] != NULL; i++) {
    g_auto (GStrv) words = g_strsplit (media->extmap[i], " ", 8);
    Extmap e;

    if (!parse_extmap (words, &e) ||
        g_ascii_strcasecmp (e.uri, MCU_SDP_AUDIO_LEVEL_URI) != 0)
      continue;
    if (e.id < 1 || e.id > MAX_ID || e.direction == MCU_SDP_RECVONLY ||
        e.direction == MCU_SDP_INACTIVE || id_shared (media->extmap, i, e.id))
      continue;
    audio->audio_level_id = e.id;
    audio->audio_level_vad = e.vad;
    audio->audio_level_direction =
        e.direction == MCU_SDP_SENDONLY ? MCU_SDP_RECVONLY : MCU_SDP_SENDRECV;
    return;
  }
}

void
mcu_sdp_extmap_append_answer (GString *sdp, const McuSdpAudio *audio)
{
  if (audio->audio_level_id == 0)
    return;
  g_string_append_printf (sdp,
      "a=extmap:%u%s " MCU_SDP_AUDIO_LEVEL_URI "%s\r\n", audio->audio_level_id,
      audio->audio_level_direction == MCU_SDP_RECVONLY ? "/recvonly" : "",
      audio->audio_level_vad ? " vad=on" : "");
}

void
mcu_sdp_extmap_append_offer (GString *sdp)
{
  g_string_append_printf (sdp,
      "a=extmap:%u " MCU_SDP_AUDIO_LEVEL_URI " vad=on\r\n",
      MCU_SDP_AUDIO_LEVEL_OFFER_ID);
}
