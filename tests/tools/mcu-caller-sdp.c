/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Codec table and SDP offer/answer helpers of mcu-test-caller.
 * tests/ may use sofia-sip directly: sdp_parse() reads the peer's SDP, we
 * print our own SDP by hand so the offer is exactly what the tests expect. */
#include "mcu-caller-sdp.h"

#include <string.h>

#include <sofia-sip/su_alloc.h>
#include <sofia-sip/sdp.h>

#define MCU_CALLER_SDP_ERROR (g_quark_from_static_string ("mcu-caller-sdp"))

static const McuCallerCodec codecs[] = {
  { "opus", "OPUS", "opus/48000/2", 48000, 111, "useinbandfec=1", 48000,
      "opusenc frame-size=20 inband-fec=true bitrate=32000", "rtpopuspay",
      "rtpopusdepay ! opusdec plc=true use-inband-fec=true" },
  { "g722", "G722", "G722/8000", 8000, 9, NULL, 16000, "avenc_g722",
      "rtpg722pay", "rtpg722depay ! avdec_g722" },
  { "pcmu", "PCMU", "PCMU/8000", 8000, 0, NULL, 8000, "mulawenc", "rtppcmupay",
      "rtppcmudepay ! mulawdec" },
  { "pcma", "PCMA", "PCMA/8000", 8000, 8, NULL, 8000, "alawenc", "rtppcmapay",
      "rtppcmadepay ! alawdec" },
};

#define TELEPHONE_EVENT_PT 101

const McuCallerCodec *
mcu_caller_codec_lookup (const char *name)
{
  for (guint i = 0; name && i < G_N_ELEMENTS (codecs); i++)
    if (g_ascii_strcasecmp (name, codecs[i].name) == 0)
      return &codecs[i];
  return NULL;
}

/* The codec an rtpmap line names, or NULL. */
static const McuCallerCodec *
codec_from_rtpmap (const sdp_rtpmap_t *rm)
{
  if (!rm->rm_encoding)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (codecs); i++) {
    if (g_ascii_strcasecmp (rm->rm_encoding, codecs[i].encoding) == 0 &&
        rm->rm_rate == codecs[i].clock_rate)
      return &codecs[i];
  }
  return NULL;
}

const char *
mcu_caller_direction_to_string (McuCallerDirection direction)
{
  static const char *names[] = { "inactive", "sendonly", "recvonly",
    "sendrecv" };
  return names[direction & 3];
}

/* The direction to answer with: the mirror of what was offered, limited to
 * what we want. */
McuCallerDirection
mcu_caller_direction_answer (
    McuCallerDirection offered, McuCallerDirection wanted)
{
  guint mirrored = ((offered & 1) << 1) | ((offered & 2) >> 1);
  return (McuCallerDirection)(mirrored & wanted);
}

gchar *
mcu_caller_sdp_build (const char *address, guint port,
    const McuCallerCodec *codec, guint pt, McuCallerDirection direction,
    gboolean with_telephone_event, guint session_version,
    const guint8 *srtp_key)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s,
      "v=0\r\n"
      "o=mcu-test-caller %u %u IN IP4 %s\r\n"
      "s=mcu-test-caller\r\n"
      "c=IN IP4 %s\r\n"
      "t=0 0\r\n",
      (guint)(g_get_real_time () / G_USEC_PER_SEC), session_version, address,
      address);
  g_string_append_printf (
      s, "m=audio %u RTP/%sAVP %u", port, srtp_key ? "S" : "", pt);
  if (with_telephone_event)
    g_string_append_printf (s, " %u", TELEPHONE_EVENT_PT);
  g_string_append_printf (s, "\r\na=rtpmap:%u %s\r\n", pt, codec->rtpmap);
  if (codec->fmtp)
    g_string_append_printf (s, "a=fmtp:%u %s\r\n", pt, codec->fmtp);
  if (with_telephone_event)
    g_string_append_printf (s,
        "a=rtpmap:%u telephone-event/%u\r\na=fmtp:%u 0-16\r\n",
        TELEPHONE_EVENT_PT, codec->clock_rate, TELEPHONE_EVENT_PT);
  if (srtp_key) {
    g_autofree gchar *key = g_base64_encode (srtp_key, 30);

    g_string_append_printf (
        s, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n", key);
  }
  g_string_append_printf (
      s, "a=ptime:20\r\na=%s\r\n", mcu_caller_direction_to_string (direction));
  return g_string_free (s, FALSE);
}

/* Picks the codec from an m= line: @prefer if listed, else the first
 * supported one in m= line order. */
static const sdp_rtpmap_t *
choose_rtpmap (const sdp_media_t *m, const McuCallerCodec *prefer,
    gint *telephone_event_pt)
{
  const sdp_rtpmap_t *first = NULL;

  *telephone_event_pt = -1;
  for (const sdp_rtpmap_t *rm = m->m_rtpmaps; rm; rm = rm->rm_next) {
    const McuCallerCodec *c = codec_from_rtpmap (rm);

    if (rm->rm_encoding &&
        g_ascii_strcasecmp (rm->rm_encoding, "telephone-event") == 0)
      *telephone_event_pt = rm->rm_pt;
    if (c && c == prefer)
      return rm;
    if (c && !first)
      first = rm;
  }
  return first;
}

static const sdp_connection_t *
media_connection (const sdp_session_t *sdp, const sdp_media_t *m)
{
  if (m->m_connections)
    return m->m_connections;
  return sdp->sdp_connection;
}

static gboolean
fill_media (const sdp_session_t *sdp, const sdp_media_t *m,
    const McuCallerCodec *prefer, McuCallerSdpMedia *out, GError **error)
{
  const sdp_connection_t *c = media_connection (sdp, m);
  const sdp_rtpmap_t *rm;

  if (!c || !c->c_address || c->c_addrtype != sdp_addr_ip4) {
    g_set_error (
        error, MCU_CALLER_SDP_ERROR, 1, "audio stream has no IPv4 c= line");
    return FALSE;
  }
  rm = choose_rtpmap (m, prefer, &out->telephone_event_pt);
  if (!rm) {
    g_set_error (error, MCU_CALLER_SDP_ERROR, 2,
        "no supported codec on the m=audio line");
    return FALSE;
  }
  out->address = g_strdup (c->c_address);
  out->port = m->m_port;
  out->pt = rm->rm_pt;
  out->codec = codec_from_rtpmap (rm);
  out->direction = (McuCallerDirection)m->m_mode;
  out->srtp = m->m_proto == sdp_proto_srtp;
  for (const sdp_attribute_t *a = m->m_attributes; out->srtp && a;
       a = a->a_next) {
    g_auto (GStrv) words = NULL;
    g_autofree guchar *key = NULL;
    gsize len = 0;

    if (g_strcmp0 (a->a_name, "crypto") != 0 || a->a_value == NULL)
      continue;
    words = g_strsplit (a->a_value, " ", 4);
    if (g_strv_length (words) >= 3 &&
        g_str_equal (words[1], "AES_CM_128_HMAC_SHA1_80") &&
        g_str_has_prefix (words[2], "inline:")) {
      g_strdelimit (words[2], "|", '\0');
      key = g_base64_decode (words[2] + 7, &len);
      if (len == 30) {
        memcpy (out->srtp_key, key, 30);
        return TRUE;
      }
    }
  }
  if (out->srtp) {
    g_set_error (error, MCU_CALLER_SDP_ERROR, 6,
        "RTP/SAVP without a usable a=crypto AES_CM_128_HMAC_SHA1_80");
    return FALSE;
  }
  return TRUE;
}

gboolean
mcu_caller_sdp_parse (const char *text, gsize length,
    const McuCallerCodec *prefer, McuCallerSdpMedia *out, GError **error)
{
  su_home_t *home = su_home_new (sizeof (su_home_t));
  sdp_parser_t *parser = sdp_parse (home, text, (issize_t)length, 0);
  sdp_session_t *sdp = sdp_session (parser);
  gboolean ok = FALSE;

  memset (out, 0, sizeof (*out));
  if (!sdp) {
    g_set_error (error, MCU_CALLER_SDP_ERROR, 3, "unparsable SDP: %s",
        sdp_parsing_error (parser));
    goto out;
  }
  for (const sdp_media_t *m = sdp->sdp_media; m; m = m->m_next) {
    if (m->m_type != sdp_media_audio ||
        (m->m_proto != sdp_proto_rtp && m->m_proto != sdp_proto_srtp))
      continue;
    if (m->m_port == 0 || m->m_rejected) {
      g_set_error (error, MCU_CALLER_SDP_ERROR, 4, "audio stream rejected");
      goto out;
    }
    ok = fill_media (sdp, m, prefer, out, error);
    goto out;
  }
  g_set_error (error, MCU_CALLER_SDP_ERROR, 5, "no m=audio RTP/AVP line");
out:
  sdp_parser_free (parser);
  su_home_unref (home);
  return ok;
}

void
mcu_caller_sdp_media_clear (McuCallerSdpMedia *media)
{
  g_clear_pointer (&media->address, g_free);
  media->codec = NULL;
  mcu_caller_sdp_video_clear (&media->video);
}

/* ---- H.264 video (RFC 6184) ---- */

#define VIDEO_FIRST_PT 96

void
mcu_caller_sdp_video_clear (McuCallerSdpVideo *video)
{
  g_clear_pointer (&video->address, g_free);
  g_clear_pointer (&video->profile_level_id, g_free);
  memset (video, 0, sizeof (*video));
}

static void
append_video_format (GString *s, guint pt, guint mode,
    const McuCallerVideoCaps *caps, gboolean feedback)
{
  g_string_append_printf (s,
      "a=rtpmap:%u H264/90000\r\n"
      "a=fmtp:%u profile-level-id=42e0%02x;packetization-mode=%u",
      pt, pt, caps->level_idc, mode);
  if (caps->max_fs)
    g_string_append_printf (s, ";max-fs=%u", caps->max_fs);
  g_string_append (s, "\r\n");
  if (feedback)
    g_string_append_printf (s,
        "a=rtcp-fb:%u nack\r\na=rtcp-fb:%u nack pli\r\n"
        "a=rtcp-fb:%u ccm fir\r\n",
        pt, pt, pt);
}

/* Appends an m=video section: an offer of every mode in @caps on its own
 * payload type (96, 97), or, with @answer_to, the answer to that offer's
 * chosen payload type. */
void
mcu_caller_sdp_append_video (GString *s, guint port,
    const McuCallerVideoCaps *caps, const McuCallerSdpVideo *answer_to,
    McuCallerDirection direction)
{
  g_string_append_printf (s, "m=video %u RTP/AVP", port);
  if (answer_to) {
    g_string_append_printf (s, " %u\r\n", answer_to->pt);
  } else {
    for (guint i = 0; i < caps->n_modes; i++)
      g_string_append_printf (s, " %u", VIDEO_FIRST_PT + i);
    g_string_append (s, "\r\n");
  }
  if (caps->bitrate_kbps)
    g_string_append_printf (s, "b=AS:%u\r\n", caps->bitrate_kbps);
  if (answer_to) {
    append_video_format (s, answer_to->pt, answer_to->mode, caps,
        caps->with_feedback &&
            (answer_to->fb_nack || answer_to->fb_pli || answer_to->fb_fir));
  } else {
    for (guint i = 0; i < caps->n_modes; i++)
      append_video_format (
          s, VIDEO_FIRST_PT + i, caps->modes[i], caps, caps->with_feedback);
  }
  g_string_append_printf (
      s, "a=%s\r\n", mcu_caller_direction_to_string (direction));
}

/* The value of @key in an fmtp string ("a=1;b=2"), or NULL. */
static gchar *
fmtp_get (const char *fmtp, const char *key)
{
  g_auto (GStrv) params = NULL;

  if (!fmtp)
    return NULL;
  params = g_strsplit (fmtp, ";", -1);
  for (guint i = 0; params[i]; i++) {
    gchar *p = g_strstrip (params[i]);
    gsize n = strlen (key);

    if (g_ascii_strncasecmp (p, key, n) == 0 && p[n] == '=')
      return g_strdup (g_strstrip (p + n + 1));
  }
  return NULL;
}

static guint
fmtp_get_uint (const char *fmtp, const char *key, guint fallback)
{
  g_autofree gchar *v = fmtp_get (fmtp, key);
  return v ? (guint)g_ascii_strtoull (v, NULL, 10) : fallback;
}

/* The H.264 rtpmap to use: the first of our modes (by our preference) that
 * the m= line carries; NULL if none. */
static const sdp_rtpmap_t *
choose_h264 (const sdp_media_t *m, const McuCallerVideoCaps *caps)
{
  for (guint i = 0; i < caps->n_modes; i++) {
    for (const sdp_rtpmap_t *rm = m->m_rtpmaps; rm; rm = rm->rm_next) {
      if (!rm->rm_encoding || g_ascii_strcasecmp (rm->rm_encoding, "H264") ||
          rm->rm_rate != 90000)
        continue;
      if (fmtp_get_uint (rm->rm_fmtp, "packetization-mode", 0) ==
          caps->modes[i])
        return rm;
    }
  }
  return NULL;
}

/* a=rtcp-fb:PT|* TYPE [PARAM] for our payload type. */
static void
read_feedback (const sdp_media_t *m, guint pt, McuCallerSdpVideo *out)
{
  g_autofree gchar *prefix = g_strdup_printf ("%u ", pt);

  for (const sdp_attribute_t *a = m->m_attributes; a; a = a->a_next) {
    const char *v = a->a_value;

    if (!a->a_name || g_ascii_strcasecmp (a->a_name, "rtcp-fb") || !v)
      continue;
    if (g_str_has_prefix (v, "* "))
      v += 2;
    else if (g_str_has_prefix (v, prefix))
      v += strlen (prefix);
    else
      continue;
    while (*v == ' ')
      v++;
    if (g_ascii_strcasecmp (v, "nack") == 0)
      out->fb_nack = TRUE;
    else if (g_ascii_strcasecmp (v, "nack pli") == 0)
      out->fb_pli = TRUE;
    else if (g_ascii_strcasecmp (v, "ccm fir") == 0)
      out->fb_fir = TRUE;
  }
}

static gboolean
fill_video (const sdp_session_t *sdp, const sdp_media_t *m,
    const McuCallerVideoCaps *caps, McuCallerSdpVideo *out, GError **error)
{
  const sdp_connection_t *c = media_connection (sdp, m);
  const sdp_rtpmap_t *rm;

  out->present = TRUE;
  out->direction = (McuCallerDirection)m->m_mode;
  if (m->m_port == 0 || m->m_rejected)
    return TRUE; /* rejected: port 0 */
  if (!c || !c->c_address || c->c_addrtype != sdp_addr_ip4) {
    g_set_error (
        error, MCU_CALLER_SDP_ERROR, 1, "video stream has no IPv4 c= line");
    return FALSE;
  }
  rm = choose_h264 (m, caps);
  if (!rm) {
    g_set_error (error, MCU_CALLER_SDP_ERROR, 2,
        "no H.264 payload type with a packetization-mode we take");
    return FALSE;
  }
  out->address = g_strdup (c->c_address);
  out->port = m->m_port;
  out->pt = rm->rm_pt;
  out->mode = fmtp_get_uint (rm->rm_fmtp, "packetization-mode", 0);
  out->profile_level_id = fmtp_get (rm->rm_fmtp, "profile-level-id");
  out->max_fs = fmtp_get_uint (rm->rm_fmtp, "max-fs", 0);
  for (const sdp_bandwidth_t *b = m->m_bandwidths; b; b = b->b_next)
    if (b->b_modifier == sdp_bw_as)
      out->bandwidth_as = b->b_value;
  read_feedback (m, out->pt, out);
  return TRUE;
}

/* Reads the first m=video line of @text. No m=video: TRUE with
 * out->present FALSE; port 0: TRUE with out->port 0. */
gboolean
mcu_caller_sdp_parse_video (const char *text, gsize length,
    const McuCallerVideoCaps *caps, McuCallerSdpVideo *out, GError **error)
{
  su_home_t *home = su_home_new (sizeof (su_home_t));
  sdp_parser_t *parser = sdp_parse (home, text, (issize_t)length, 0);
  sdp_session_t *sdp = sdp_session (parser);
  gboolean ok = TRUE;

  memset (out, 0, sizeof (*out));
  if (!sdp) {
    g_set_error (error, MCU_CALLER_SDP_ERROR, 3, "unparsable SDP: %s",
        sdp_parsing_error (parser));
    ok = FALSE;
  }
  for (const sdp_media_t *m = sdp ? sdp->sdp_media : NULL; m; m = m->m_next) {
    if (m->m_type == sdp_media_video && m->m_proto == sdp_proto_rtp) {
      ok = fill_video (sdp, m, caps, out, error);
      break;
    }
  }
  sdp_parser_free (parser);
  su_home_unref (home);
  if (!ok)
    mcu_caller_sdp_video_clear (out);
  return ok;
}
