/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: SDP offer/answer (RFC 3264): negotiation and writing. Pure functions
 * without state: any thread may call them on its own data (the daemon calls
 * them from the main loop). Parsing (text -> McuSdpSession) is in
 * mcu-sdp-parse.c.
 *
 * Choices worth knowing:
 * - c=IN IP4 0.0.0.0 (RFC 2543 hold; also IP6 "::"): the remote will not
 *   receive, so negotiation drops the "recv" half of the offered direction
 *   (sendrecv -> sendonly, recvonly -> inactive). McuSdpMedia.direction
 *   keeps what was written.
 * - Media addresses are checked (mcu_sdp_check_media_address): another
 *   address family than our media sockets', a host name, multicast or
 *   broadcast, or no port for RTCP is MCU_SDP_ERROR_ADDRESS (SIP 488 with
 *   a Warning), never something a media pipeline finds out later.
 * - SRTP with SDES keys (mcu-sdp-crypto.c) on RTP/SAVP and RTP/SAVPF as
 *   McuSdpPrefs.srtp allows; DTLS-SRTP (UDP/TLS/RTP/SAVPF) is not supported.
 *   An SRTP line we cannot take is skipped; if nothing else is usable the
 *   error is MCU_SDP_ERROR_SRTP saying why.
 * - opus is accepted as opus/48000/2 (RFC 7587) and, leniently, /1 or
 *   without channels; our SDP always says opus/48000/2.
 * - ptime: the offered value (else 20), capped by a=maxptime, rounded to the
 *   nearest frame size we produce (opus 10/20/40/60, G.711/G.722 10..60 in
 *   10 ms steps; ties go to the smaller value).
 * - Video lines are negotiated and written by mcu-sdp-video.c, the RFC 6464
 *   audio level extension (a=extmap) by mcu-sdp-extmap.c. */
#include "mcu-sdp-private.h"

#include <string.h>

/* clang-format off */
G_DEFINE_QUARK (mcu-sdp-error-quark, mcu_sdp_error)
/* clang-format on */

#define DEFAULT_PTIME 20
#define MAX_LISTED    8

typedef struct
{
  McuSdpCodec codec;
  const gchar *name;
  guint clock_rate; /* RTP clock rate */
  guint offer_pt;   /* payload type in our own offers */
} CodecInfo;

static const CodecInfo codec_table[] = {
  { MCU_SDP_CODEC_OPUS, "opus", 48000, 111 },
  { MCU_SDP_CODEC_G722, "G722", 8000, 9 },
  { MCU_SDP_CODEC_PCMU, "PCMU", 8000, 0 },
  { MCU_SDP_CODEC_PCMA, "PCMA", 8000, 8 },
};

static const McuSdpCodec default_codecs[] = {
  MCU_SDP_CODEC_OPUS,
  MCU_SDP_CODEC_G722,
  MCU_SDP_CODEC_PCMU,
  MCU_SDP_CODEC_PCMA,
  MCU_SDP_CODEC_NONE,
};

static const CodecInfo *
codec_info (McuSdpCodec codec)
{
  for (gsize i = 0; i < G_N_ELEMENTS (codec_table); i++)
    if (codec_table[i].codec == codec)
      return &codec_table[i];
  return NULL;
}

static const McuSdpCodec *
prefs_codecs (const McuSdpPrefs *prefs)
{
  return prefs != NULL && prefs->codecs != NULL ? prefs->codecs
                                                : default_codecs;
}

/* Digits at @s (after blanks) as a number <= @max; the end of the digits,
 * or NULL when there are none or the number is too big. */
const gchar *
mcu_sdp_scan_uint (const gchar *s, guint max, guint *out)
{
  guint64 value = 0;

  if (s == NULL)
    return NULL;
  while (*s == ' ' || *s == '\t')
    s++;
  if (!g_ascii_isdigit (*s))
    return NULL;
  for (; g_ascii_isdigit (*s); s++) {
    value = value * 10 + (guint64)(*s - '0');
    if (value > max)
      return NULL;
  }
  *out = (guint)value;
  return s;
}

gboolean
mcu_sdp_parse_uint (const gchar *s, guint max, guint *out)
{
  return mcu_sdp_scan_uint (s, max, out) != NULL;
}

gboolean
mcu_sdp_proto_is_rtp (const gchar *proto)
{
  g_autofree gchar *up = g_ascii_strup (proto, -1);

  return g_str_has_prefix (up, "RTP/") || strstr (up, "/RTP/") != NULL;
}

gboolean
mcu_sdp_proto_is_srtp (const gchar *proto)
{
  g_autofree gchar *up = g_ascii_strup (proto, -1);

  return mcu_sdp_proto_is_rtp (proto) && strstr (up, "/SAVP") != NULL;
}

gboolean
mcu_sdp_proto_is_plain_rtp (const gchar *proto)
{
  return g_ascii_strcasecmp (proto, "RTP/AVP") == 0 ||
         g_ascii_strcasecmp (proto, "RTP/AVPF") == 0;
}

gboolean
mcu_sdp_address_is_hold (const gchar *address)
{
  return g_strcmp0 (address, "0.0.0.0") == 0 || g_strcmp0 (address, "::") == 0;
}

/* ------------------------------------------------------------------------
 * Negotiation
 */

void
mcu_sdp_audio_clear (McuSdpAudio *audio)
{
  g_return_if_fail (audio != NULL);

  g_free (audio->remote_address);
  g_free (audio->remote_rtcp_address);
  memset (audio, 0, sizeof (*audio));
}

/* Which of our codecs @format is (NONE if it is none of them). */
static McuSdpCodec
codec_of_format (const McuSdpFormat *format)
{
  for (gsize i = 0; i < G_N_ELEMENTS (codec_table); i++) {
    const CodecInfo *info = &codec_table[i];

    if (g_ascii_strcasecmp (format->encoding, info->name) != 0 ||
        format->clock_rate != info->clock_rate)
      continue;
    if (info->codec == MCU_SDP_CODEC_OPUS
            ? (format->channels == 1 || format->channels == 2)
            : format->channels == 1)
      return info->codec;
  }
  return MCU_SDP_CODEC_NONE;
}

static gboolean
prefs_allow (const McuSdpPrefs *prefs, McuSdpCodec codec)
{
  for (const McuSdpCodec *c = prefs_codecs (prefs); *c; c++)
    if (*c == codec)
      return TRUE;
  return FALSE;
}

static const McuSdpFormat *
choose_format (
    const McuSdpMedia *media, const McuSdpPrefs *prefs, McuSdpCodec *codec)
{
  GPtrArray *formats = media->formats;

  if (prefs != NULL && prefs->server_order) {
    for (const McuSdpCodec *c = prefs_codecs (prefs); *c; c++)
      for (guint i = 0; i < formats->len; i++)
        if (codec_of_format (formats->pdata[i]) == *c) {
          *codec = *c;
          return formats->pdata[i];
        }
    return NULL;
  }
  for (guint i = 0; i < formats->len; i++) {
    McuSdpCodec found = codec_of_format (formats->pdata[i]);

    if (found != MCU_SDP_CODEC_NONE && prefs_allow (prefs, found)) {
      *codec = found;
      return formats->pdata[i];
    }
  }
  return NULL;
}

static guint
choose_ptime (McuSdpCodec codec, guint ptime, guint maxptime)
{
  static const guint opus_sizes[] = { 10, 20, 40, 60, 0 };
  static const guint pcm_sizes[] = { 10, 20, 30, 40, 50, 60, 0 };
  const guint *sizes = codec == MCU_SDP_CODEC_OPUS ? opus_sizes : pcm_sizes;
  guint limit = maxptime >= 10 ? maxptime : 60;
  guint best = 10;

  if (ptime == 0)
    ptime = DEFAULT_PTIME;
  if (ptime > limit)
    ptime = limit;
  /* sizes ascend: a later one wins only when strictly nearer */
  for (const guint *s = sizes; *s && *s <= limit; s++) {
    guint d = *s > ptime ? *s - ptime : ptime - *s;
    guint best_d = best > ptime ? best - ptime : ptime - best;

    if (d < best_d)
      best = *s;
  }
  return best;
}

static void
parse_opus_fmtp (const gchar *fmtp, McuSdpAudio *audio)
{
  g_auto (GStrv) params = NULL;

  if (fmtp == NULL)
    return;
  params = g_strsplit (fmtp, ";", 32);
  for (gchar **p = params; *p != NULL; p++) {
    g_autofree gchar *key = NULL;
    const gchar *eq = strchr (*p, '=');
    guint value;

    if (eq == NULL || !mcu_sdp_parse_uint (eq + 1, G_MAXUINT, &value))
      continue;
    key = g_strstrip (g_strndup (*p, (gsize)(eq - *p)));
    if (g_ascii_strcasecmp (key, "useinbandfec") == 0)
      audio->opus_fec = value == 1;
    else if (g_ascii_strcasecmp (key, "stereo") == 0)
      audio->opus_stereo = value == 1;
    else if (g_ascii_strcasecmp (key, "maxaveragebitrate") == 0)
      audio->opus_max_bitrate = value != 0 ? CLAMP (value, 6000, 510000) : 0;
  }
}

static void
fill_audio (McuSdpAudio *audio, guint index, const McuSdpMedia *media,
    const McuSdpFormat *format, McuSdpCodec codec)
{
  const CodecInfo *info = codec_info (codec);

  memset (audio, 0, sizeof (*audio));
  audio->media_index = index;
  audio->codec = codec;
  audio->pt = format->pt;
  audio->clock_rate = info->clock_rate;
  audio->channels = codec == MCU_SDP_CODEC_OPUS ? 2 : 1;
  audio->ptime = choose_ptime (codec, media->ptime, media->maxptime);
  mcu_sdp_dtmf_choose (media, info->clock_rate, audio);
  if (codec == MCU_SDP_CODEC_OPUS)
    parse_opus_fmtp (format->fmtp, audio);
  audio->remote_address = g_strdup (media->address);
  audio->remote_rtp_port = media->port;
  audio->remote_rtcp_address = g_strdup (
      media->rtcp_address != NULL ? media->rtcp_address : media->address);
  audio->remote_rtcp_port = media->rtcp_port;
  audio->rtcp_mux = media->rtcp_mux;
  audio->remote_direction = media->direction;
  if (mcu_sdp_address_is_hold (media->address)) {
    /* RFC 2543 hold: whatever was written, nothing may be sent there */
    audio->remote_direction = media->direction == MCU_SDP_SENDRECV ||
                                      media->direction == MCU_SDP_SENDONLY
                                  ? MCU_SDP_SENDONLY
                                  : MCU_SDP_INACTIVE;
  }
}

static const gchar *
family_name (GSocketFamily family)
{
  return family == G_SOCKET_FAMILY_IPV6 ? "IPv6" : "IPv4";
}

/* NULL when @text is an address we can send to from @family, else why not
 * (@what: "c=" or "a=rtcp"). */
static gchar *
address_problem (const gchar *what, const gchar *text, GSocketFamily family)
{
  g_autoptr (GInetAddress) addr = NULL;
  g_autoptr (GString) safe = g_string_new (NULL);
  GSocketFamily got;

  mcu_sdp_append_safe (safe, text);
  if (mcu_sdp_address_is_hold (text))
    return NULL;
  addr = g_inet_address_new_from_string (text);
  if (addr == NULL)
    return g_strdup_printf ("%s address %s is not an IP address (host names "
                            "are not resolved)",
        what, safe->str);
  got = g_inet_address_get_family (addr);
  if (family != G_SOCKET_FAMILY_INVALID && got != family)
    return g_strdup_printf ("%s address %s is %s; this server's media is %s "
                            "only",
        what, safe->str, family_name (got), family_name (family));
  if (g_inet_address_get_is_multicast (addr))
    return g_strdup_printf (
        "%s address %s is multicast; calls need a unicast address", what,
        safe->str);
  if (got == G_SOCKET_FAMILY_IPV4) {
    const guint8 *b = g_inet_address_to_bytes (addr);

    if (b[0] == 0 || (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255))
      return g_strdup_printf (
          "%s address %s cannot be sent to", what, safe->str);
  }
  return NULL;
}

gboolean
mcu_sdp_check_media_address (
    const McuSdpMedia *media, GSocketFamily family, GError **error)
{
  g_autofree gchar *problem = NULL;

  g_return_val_if_fail (media != NULL, FALSE);
  if (media->address == NULL || *media->address == '\0') {
    g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_ADDRESS,
        "%s m-line without c= address", media->media);
    return FALSE;
  }
  problem = address_problem ("c=", media->address, family);
  if (problem == NULL && media->rtcp_address != NULL)
    problem = address_problem ("a=rtcp", media->rtcp_address, family);
  if (problem == NULL && !media->rtcp_mux && media->port != 0 &&
      media->rtcp_port == 0)
    problem = g_strdup_printf (
        "no port for RTCP (m=%s port %u%s); give a=rtcp:PORT or a=rtcp-mux",
        media->media, media->port,
        media->port == 65535 ? " leaves none" : ", a=rtcp:0");
  if (problem) {
    g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_ADDRESS,
        "unusable %s media address: %s", media->media, problem);
    return FALSE;
  }
  return TRUE;
}

/* A name from the network made safe for a SIP Warning quoted-string. */
void
mcu_sdp_append_safe (GString *out, const gchar *name)
{
  for (const gchar *s = name; *s && s - name < 32; s++)
    g_string_append_c (
        out, g_ascii_isprint (*s) && *s != '"' && *s != '\\' ? *s : '?');
}

static gchar *
describe_offered (const McuSdpMedia *media)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < media->formats->len; i++) {
    const McuSdpFormat *f = media->formats->pdata[i];
    gchar *name;

    if (g_ascii_strcasecmp (f->encoding, "telephone-event") == 0 ||
        g_ascii_strcasecmp (f->encoding, "CN") == 0)
      continue;
    if (*f->encoding == '\0')
      name = g_strdup_printf ("PT %u", f->pt);
    else if (codec_of_format (f) == MCU_SDP_CODEC_NONE &&
             (g_ascii_strcasecmp (f->encoding, "opus") == 0 ||
                 g_ascii_strcasecmp (f->encoding, "G722") == 0 ||
                 g_ascii_strcasecmp (f->encoding, "PCMU") == 0 ||
                 g_ascii_strcasecmp (f->encoding, "PCMA") == 0))
      name = g_strdup_printf ("%s/%u/%u", f->encoding, f->clock_rate,
          f->channels); /* our name at a rate we cannot take: say why */
    else
      name = g_strdup (f->encoding);
    if (g_ptr_array_find_with_equal_func (
            seen, name, (GEqualFunc)g_str_equal, NULL) ||
        seen->len >= MAX_LISTED) {
      if (seen->len >= MAX_LISTED && !g_str_has_suffix (out->str, "..."))
        g_string_append (out, ", ...");
      g_free (name);
      continue;
    }
    g_string_append (out, seen->len ? ", " : "");
    mcu_sdp_append_safe (out, name);
    g_ptr_array_add (seen, name);
  }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gchar *
describe_supported (const McuSdpPrefs *prefs)
{
  g_autoptr (GString) out = g_string_new (NULL);

  for (const McuSdpCodec *c = prefs_codecs (prefs); *c; c++)
    if (codec_info (*c) != NULL)
      g_string_append_printf (
          out, "%s%s", out->len ? ", " : "", codec_info (*c)->name);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
set_failure (GError **error, const McuSdpPrefs *prefs,
    const McuSdpMedia *no_codec, const gchar *srtp, const gchar *reason)
{
  if (no_codec != NULL) {
    g_autofree gchar *offered = describe_offered (no_codec);
    g_autofree gchar *supported = describe_supported (prefs);

    g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_NO_CODEC,
        "no common audio codec (offered: %s; supported: %s)",
        *offered ? offered : "none", *supported ? supported : "none");
  } else if (srtp != NULL) {
    g_set_error_literal (error, MCU_SDP_ERROR, MCU_SDP_ERROR_SRTP, srtp);
  } else {
    g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_NO_AUDIO,
        "no usable audio stream (%s)",
        reason != NULL ? reason : "no audio m-line");
  }
}

gboolean
mcu_sdp_negotiate_audio (const McuSdpSession *offer, const McuSdpPrefs *prefs,
    McuSdpAudio *out, GError **error)
{
  const McuSdpMedia *no_codec = NULL;
  g_autofree gchar *srtp = NULL;
  const gchar *reason = NULL;
  g_autoptr (GError) address_error = NULL;

  g_return_val_if_fail (offer != NULL && offer->media != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint i = 0; i < offer->media->len; i++) {
    const McuSdpMedia *media = offer->media->pdata[i];
    const McuSdpFormat *format;
    McuSdpCodec codec = MCU_SDP_CODEC_NONE;
    McuSdpCrypto crypto = { 0 };
    g_autoptr (GError) local_error = NULL;
    gchar *problem = NULL;

    if (g_ascii_strcasecmp (media->media, "audio") != 0)
      continue;
    if (media->port == 0) {
      reason = reason ? reason : "audio m-line disabled with port 0";
    } else if (mcu_sdp_proto_is_srtp (media->proto) &&
               (problem = mcu_sdp_srtp_problem (media,
                    prefs ? prefs->srtp : MCU_SDP_SRTP_OFF,
                    prefs && prefs->srtp_keys_ok, &crypto)) != NULL) {
      if (srtp == NULL)
        srtp = problem;
      else
        g_free (problem);
    } else if (!mcu_sdp_proto_is_srtp (media->proto) &&
               mcu_sdp_proto_is_plain_rtp (media->proto) && prefs &&
               prefs->srtp == MCU_SDP_SRTP_MANDATORY) {
      if (srtp == NULL)
        srtp = g_strdup (MCU_SDP_SRTP_REQUIRED);
    } else if (!mcu_sdp_proto_is_srtp (media->proto) &&
               !mcu_sdp_proto_is_plain_rtp (media->proto)) {
      reason = reason ? reason : "unsupported audio transport";
    } else if (media->address == NULL || *media->address == '\0') {
      reason = reason ? reason : "audio m-line without c= address";
    } else if ((format = choose_format (media, prefs, &codec)) == NULL) {
      no_codec = no_codec ? no_codec : media;
    } else if (!mcu_sdp_check_media_address (media,
                   prefs ? prefs->address_family : G_SOCKET_FAMILY_INVALID,
                   &local_error)) {
      if (address_error == NULL)
        address_error = g_steal_pointer (&local_error);
    } else if (crypto.suite != MCU_SDP_CRYPTO_NONE &&
               !mcu_sdp_crypto_generate (
                   &out->local_crypto, crypto.suite, crypto.tag, error)) {
      memset (&crypto, 0, sizeof crypto);
      return FALSE;
    } else {
      McuSdpCrypto local = out->local_crypto;

      fill_audio (out, i, media, format, codec);
      if (prefs != NULL && prefs->audio_level)
        mcu_sdp_extmap_choose (media, out);
      out->remote_crypto = crypto;
      out->local_crypto = local;
      memset (&crypto, 0, sizeof crypto);
      memset (&local, 0, sizeof local);
      return TRUE;
    }
    memset (&crypto, 0, sizeof crypto);
  }
  if (address_error) {
    g_propagate_error (error, g_steal_pointer (&address_error));
    return FALSE;
  }
  memset (&out->local_crypto, 0, sizeof out->local_crypto);
  set_failure (error, prefs, no_codec, srtp, reason);
  return FALSE;
}

/* ------------------------------------------------------------------------
 * Writing (CRLF line ends, RFC 4566 order)
 */

McuSdpDirection
mcu_sdp_direction_answer (McuSdpDirection offered)
{
  switch (offered) {
    case MCU_SDP_SENDONLY:
      return MCU_SDP_RECVONLY;
    case MCU_SDP_RECVONLY:
      return MCU_SDP_SENDONLY;
    case MCU_SDP_INACTIVE:
      return MCU_SDP_INACTIVE;
    case MCU_SDP_SENDRECV:
    default:
      return MCU_SDP_SENDRECV;
  }
}

const gchar *
mcu_sdp_direction_to_string (McuSdpDirection direction)
{
  switch (direction) {
    case MCU_SDP_SENDRECV:
      return "sendrecv";
    case MCU_SDP_SENDONLY:
      return "sendonly";
    case MCU_SDP_RECVONLY:
      return "recvonly";
    case MCU_SDP_INACTIVE:
      return "inactive";
  }
  g_return_val_if_reached ("sendrecv");
}

const gchar *
mcu_sdp_codec_to_string (McuSdpCodec codec)
{
  const CodecInfo *info = codec_info (codec);

  return info != NULL ? info->name : "none";
}

static const gchar *
address_type (const gchar *address)
{
  return strchr (address, ':') != NULL ? "IP6" : "IP4";
}

static void
append_session_head (GString *sdp, const McuSdpLocal *local)
{
  const gchar *type = address_type (local->address);

  g_string_append_printf (sdp,
      "v=0\r\n"
      "o=%s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " IN %s %s\r\n"
      "s=mcu\r\n"
      "c=IN %s %s\r\n"
      "t=0 0\r\n",
      local->user != NULL && *local->user ? local->user : "-",
      local->session_id, local->session_version, type, local->address, type,
      local->address);
}

static void
append_rtpmap (GString *sdp, guint pt, const CodecInfo *info)
{
  g_string_append_printf (sdp, "a=rtpmap:%u %s/%u%s\r\n", pt, info->name,
      info->clock_rate, info->codec == MCU_SDP_CODEC_OPUS ? "/2" : "");
}

static void
append_media_tail (GString *sdp, guint ptime, const McuSdpLocal *local)
{
  g_string_append_printf (sdp, "a=ptime:%u\r\n", ptime);
  if (local->rtcp_port != 0)
    g_string_append_printf (sdp, "a=rtcp:%u\r\n", local->rtcp_port);
  g_string_append_printf (
      sdp, "a=%s\r\n", mcu_sdp_direction_to_string (local->direction));
}

static void
append_audio_answer (GString *sdp, const McuSdpMedia *media,
    const McuSdpAudio *audio, const McuSdpLocal *local)
{
  const CodecInfo *info = codec_info (audio->codec);
  gboolean avpf = g_ascii_strcasecmp (media->proto, "RTP/AVPF") == 0 ||
                  g_ascii_strcasecmp (media->proto, "RTP/SAVPF") == 0;
  gboolean srtp = audio->local_crypto.suite != MCU_SDP_CRYPTO_NONE;

  g_string_append_printf (sdp, "m=audio %u RTP/%s%s %u", local->rtp_port,
      srtp ? "S" : "", avpf ? "AVPF" : "AVP", audio->pt);
  mcu_sdp_dtmf_append_pts (sdp, audio);
  g_string_append (sdp, "\r\n");
  append_rtpmap (sdp, audio->pt, info);
  if (audio->codec == MCU_SDP_CODEC_OPUS)
    g_string_append_printf (sdp, "a=fmtp:%u minptime=10%s\r\n", audio->pt,
        audio->opus_fec ? ";useinbandfec=1" : "");
  mcu_sdp_dtmf_append_maps (sdp, audio);
  if (srtp)
    mcu_sdp_crypto_append (sdp, &audio->local_crypto);
  mcu_sdp_extmap_append_answer (sdp, audio);
  append_media_tail (sdp, audio->ptime ? audio->ptime : DEFAULT_PTIME, local);
}

/* RFC 3264 §6: a rejected stream keeps its media, proto and a format. */
void
mcu_sdp_append_rejected (GString *sdp, const McuSdpMedia *media)
{
  const gchar *fmt = media->fmt_text != NULL ? media->fmt_text : "";
  gsize len = strcspn (fmt, " ");

  g_string_append_printf (sdp, "m=%s 0 %s %.*s\r\n", media->media, media->proto,
      (int)len, len ? fmt : "0");
}

gchar *
mcu_sdp_build_answer (const McuSdpSession *offer, const McuSdpAudio *audio,
    const McuSdpVideo *video, const McuSdpLocal *local)
{
  GString *sdp;

  g_return_val_if_fail (offer != NULL && offer->media != NULL, NULL);
  g_return_val_if_fail (audio != NULL, NULL);
  g_return_val_if_fail (audio->media_index < offer->media->len, NULL);
  g_return_val_if_fail (codec_info (audio->codec) != NULL, NULL);
  g_return_val_if_fail (
      video == NULL || (video->media_index < offer->media->len &&
                           video->media_index != audio->media_index &&
                           video->codec != MCU_SDP_VIDEO_CODEC_NONE),
      NULL);
  g_return_val_if_fail (local != NULL && local->address != NULL, NULL);

  sdp = g_string_sized_new (1024);
  append_session_head (sdp, local);
  for (guint i = 0; i < offer->media->len; i++) {
    if (i == audio->media_index)
      append_audio_answer (sdp, offer->media->pdata[i], audio, local);
    else if (video != NULL && i == video->media_index)
      mcu_sdp_video_append_answer (sdp, offer->media->pdata[i], video, local);
    else
      mcu_sdp_append_rejected (sdp, offer->media->pdata[i]);
  }
  return g_string_free (sdp, FALSE);
}

gchar *
mcu_sdp_build_offer (const McuSdpPrefs *prefs,
    const McuSdpVideoPrefs *video_prefs, const McuSdpLocal *local)
{
  g_autoptr (GString) pts = g_string_new (NULL);
  g_autoptr (GString) maps = g_string_new (NULL);
  gboolean has_48000 = FALSE;
  guint added = 0; /* bit per McuSdpCodec */
  GString *sdp;

  g_return_val_if_fail (local != NULL && local->address != NULL, NULL);

  for (const McuSdpCodec *c = prefs_codecs (prefs); *c; c++) {
    const CodecInfo *info = codec_info (*c);

    if (info == NULL || (added & (1u << *c)) != 0)
      continue;
    added |= 1u << *c;
    g_string_append_printf (pts, " %u", info->offer_pt);
    append_rtpmap (maps, info->offer_pt, info);
    if (info->codec == MCU_SDP_CODEC_OPUS)
      g_string_append_printf (
          maps, "a=fmtp:%u useinbandfec=1\r\n", info->offer_pt);
    has_48000 |= info->clock_rate == 48000;
  }
  g_return_val_if_fail (added != 0, NULL);
  mcu_sdp_dtmf_append_offer (pts, maps, has_48000);
  sdp = g_string_sized_new (512);
  append_session_head (sdp, local);
  g_string_append_printf (sdp, "m=audio %u RTP/%sAVP%s\r\n%s", local->rtp_port,
      local->audio_crypto ? "S" : "", pts->str, maps->str);
  if (local->audio_crypto)
    mcu_sdp_crypto_append (sdp, local->audio_crypto);
  if (prefs != NULL && prefs->audio_level)
    mcu_sdp_extmap_append_offer (sdp);
  append_media_tail (sdp, DEFAULT_PTIME, local);
  if (video_prefs != NULL &&
      (local->audio_crypto == NULL || local->video_crypto != NULL))
    mcu_sdp_video_append_offer (sdp, video_prefs, local);
  return g_string_free (sdp, FALSE);
}
