/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: SDP offer/answer (RFC 3264). Pure functions without state: any thread
 * may call them on its own data (the daemon calls them from the main loop).
 *
 * Parsing goes through sofia-sip's sdp_parse() with a private su_home_t per
 * call; everything is copied into the GLib structs of mcu-sdp.h before that
 * home is freed, so no sofia memory or type outlives a call.
 *
 * Choices worth knowing:
 * - Empty text, a NUL byte anywhere, more than 64 KiB, no o=, no m=, an
 *   m-line port above 65535, an m-line without formats or a malformed
 *   a=rtpmap is MCU_SDP_ERROR_PARSE (SIP 400).
 * - sofia-sip 1.12.11 treats only RTP/AVP and RTP/SAVP as RTP: for RTP/AVPF,
 *   RTP/SAVPF and UDP/TLS/RTP/SAVPF it leaves a=rtpmap/a=fmtp as plain
 *   attributes, so we map those ourselves (same result either way).
 * - McuSdpFormat.pt is G_MAXUINT for a non-RTP format ("t38", "*"); its
 *   encoding then holds the format token.
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
 * - Video lines are negotiated and written by mcu-sdp-video.c; this file
 *   parses what that needs (b=TIAS, a=framerate, a=rtcp-fb). */
#include "mcu-sdp-private.h"

#include <string.h>

#include <sofia-sip/sdp.h>

/* clang-format off */
G_DEFINE_QUARK (mcu-sdp-error-quark, mcu_sdp_error)
/* clang-format on */

#define MCU_SDP_MAX_SIZE (64 * 1024)
#define DEFAULT_PTIME    20
#define MAX_LISTED       8
/* RFC 4566 token characters */
#define TOKEN_CHARS                                                \
  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" \
  "-!#$%&'*+.^_`{|}~"

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

static gboolean
is_token (const gchar *s)
{
  return s != NULL && *s != '\0' && strspn (s, TOKEN_CHARS) == strlen (s);
}

static gboolean
is_rtp_proto (const gchar *proto)
{
  g_autofree gchar *up = g_ascii_strup (proto, -1);

  return g_str_has_prefix (up, "RTP/") || strstr (up, "/RTP/") != NULL;
}

gboolean
mcu_sdp_proto_is_srtp (const gchar *proto)
{
  g_autofree gchar *up = g_ascii_strup (proto, -1);

  return is_rtp_proto (proto) && strstr (up, "/SAVP") != NULL;
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
 * Parsing: sofia structures -> McuSdpSession
 */

static void
format_free (gpointer data)
{
  McuSdpFormat *format = data;

  g_free (format->encoding);
  g_free (format->fmtp);
  g_free (format);
}

static void
media_free (gpointer data)
{
  McuSdpMedia *media = data;

  if (media == NULL)
    return;
  g_free (media->media);
  g_free (media->proto);
  g_clear_pointer (&media->formats, g_ptr_array_unref);
  g_free (media->fmt_text);
  g_free (media->address);
  g_free (media->rtcp_address);
  g_strfreev (media->rtcp_fb);
  g_strfreev (media->crypto);
  g_free (media);
}

void
mcu_sdp_session_free (McuSdpSession *session)
{
  if (session == NULL)
    return;
  g_free (session->origin_user);
  g_free (session->origin_address);
  g_free (session->address);
  g_clear_pointer (&session->media, g_ptr_array_unref);
  g_free (session);
}

static void
media_add_format (McuSdpMedia *media, guint pt, const gchar *encoding,
    gulong rate, const gchar *channels, const gchar *fmtp)
{
  McuSdpFormat *format = g_new0 (McuSdpFormat, 1);

  format->pt = pt;
  format->encoding = g_strdup (encoding != NULL ? encoding : "");
  format->clock_rate = rate <= G_MAXUINT ? (guint)rate : 0;
  format->channels = 1;
  /* present but not a number: 0, which matches no codec */
  if (channels != NULL &&
      !mcu_sdp_parse_uint (channels, 255, &format->channels))
    format->channels = 0;
  if (fmtp != NULL)
    format->fmtp = g_strstrip (g_strdup (fmtp));
  g_ptr_array_add (media->formats, format);
}

/* The rest of "a=<name>:<pt> <rest>" for @pt, or NULL. */
static const gchar *
find_mapped (const sdp_attribute_t *a, const gchar *name, guint pt)
{
  for (; a != NULL; a = a->a_next) {
    const gchar *rest;
    guint value;

    if (a->a_name == NULL || g_ascii_strcasecmp (a->a_name, name) != 0)
      continue;
    rest = mcu_sdp_scan_uint (a->a_value, 127, &value);
    if (rest == NULL || value != pt || (*rest != ' ' && *rest != '\t'))
      continue;
    return rest + strspn (rest, " \t");
  }
  return NULL;
}

/* One RTP format of a line sofia did not treat as RTP (RTP/AVPF, ...). */
static gboolean
add_mapped_format (
    McuSdpMedia *media, const sdp_attribute_t *attrs, guint pt, GError **error)
{
  const gchar *rtpmap = find_mapped (attrs, "rtpmap", pt);
  const gchar *fmtp = find_mapped (attrs, "fmtp", pt);
  const sdp_rtpmap_t *known = pt < 128 ? sdp_rtpmap_well_known[pt] : NULL;

  if (rtpmap != NULL) {
    g_auto (GStrv) parts = g_strsplit (rtpmap, "/", 3);
    guint rate;

    if (parts[0] == NULL || parts[1] == NULL || !is_token (parts[0]) ||
        !mcu_sdp_parse_uint (parts[1], G_MAXUINT, &rate)) {
      g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_PARSE,
          "malformed SDP: bad a=rtpmap for payload type %u", pt);
      return FALSE;
    }
    media_add_format (media, pt, parts[0], rate, parts[2], fmtp);
  } else if (known != NULL) {
    media_add_format (
        media, pt, known->rm_encoding, known->rm_rate, known->rm_params, fmtp);
  } else {
    media_add_format (media, pt, "", 0, NULL, fmtp);
  }
  return TRUE;
}

static gboolean
convert_formats (McuSdpMedia *media, const sdp_media_t *m, GError **error)
{
  g_autoptr (GString) text = g_string_new (NULL);
  gboolean rtp = is_rtp_proto (media->proto);

  if (m->m_rtpmaps != NULL) {
    for (const sdp_rtpmap_t *rm = m->m_rtpmaps; rm; rm = rm->rm_next) {
      media_add_format (media, rm->rm_pt, rm->rm_encoding, rm->rm_rate,
          rm->rm_params, rm->rm_fmtp);
      g_string_append_printf (text, "%s%u", text->len ? " " : "", rm->rm_pt);
    }
  }
  for (const sdp_list_t *l = m->m_format; l; l = l->l_next) {
    guint pt;

    if (l->l_text == NULL)
      continue;
    if (!rtp) {
      media_add_format (media, MCU_SDP_PT_NONE, l->l_text, 0, NULL, NULL);
    } else if (!mcu_sdp_parse_uint (l->l_text, 127, &pt) ||
               strspn (l->l_text, "0123456789") != strlen (l->l_text)) {
      g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_PARSE,
          "malformed SDP: bad RTP payload type in m=%s line", media->media);
      return FALSE;
    } else if (!add_mapped_format (media, m->m_attributes, pt, error)) {
      return FALSE;
    }
    g_string_append_printf (text, "%s%s", text->len ? " " : "", l->l_text);
  }
  if (media->formats->len == 0) {
    g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_PARSE,
        "malformed SDP: m=%s line without formats", media->media);
    return FALSE;
  }
  media->fmt_text = g_string_free (g_steal_pointer (&text), FALSE);
  return TRUE;
}

/* a=rtcp:<port> [IN IP4 <address>] (RFC 3605), else port + 1; a=rtcp-mux */
static void
convert_rtcp (McuSdpMedia *media, const sdp_attribute_t *attrs)
{
  const sdp_attribute_t *a = sdp_attribute_find (attrs, "rtcp");
  g_auto (GStrv) words = NULL;
  const gchar *word[3] = { NULL, NULL, NULL };
  const gchar *rest;
  guint port, n = 0;

  media->rtcp_mux = sdp_attribute_find (attrs, "rtcp-mux") != NULL;
  media->rtcp_port =
      media->port > 0 && media->port < 65535 ? media->port + 1 : 0;
  if (a == NULL ||
      (rest = mcu_sdp_scan_uint (a->a_value, 65535, &port)) == NULL)
    return;
  media->rtcp_port = port;
  words = g_strsplit_set (rest, " \t", 16);
  for (guint i = 0; words[i] != NULL && n < 3; i++)
    if (*words[i] != '\0')
      word[n++] = words[i];
  if (n == 3 && g_ascii_strcasecmp (word[0], "IN") == 0)
    media->rtcp_address = g_strdup (word[2]);
}

static McuSdpDirection
direction_from_mode (unsigned mode)
{
  switch (mode & sdp_sendrecv) {
    case sdp_sendonly:
      return MCU_SDP_SENDONLY;
    case sdp_recvonly:
      return MCU_SDP_RECVONLY;
    case sdp_inactive:
      return MCU_SDP_INACTIVE;
    default:
      return MCU_SDP_SENDRECV;
  }
}

/* The values of every a=@name (a=rtcp-fb, a=crypto: media level only),
 * blanks squeezed; at most 64 of them. */
static gchar **
collect_values (const sdp_attribute_t *attrs, const gchar *name)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  guint n = 0;

  for (const sdp_attribute_t *a = attrs; a != NULL && n < 64; a = a->a_next) {
    g_auto (GStrv) words = NULL;
    g_autoptr (GString) value = NULL;

    if (a->a_name == NULL || a->a_value == NULL ||
        g_ascii_strcasecmp (a->a_name, name) != 0)
      continue;
    value = g_string_new (NULL);
    words = g_strsplit_set (a->a_value, " \t", -1);
    for (gchar **w = words; *w != NULL; w++)
      if (**w != '\0')
        g_string_append_printf (value, "%s%s", value->len ? " " : "", *w);
    g_strv_builder_add (builder, value->str);
    n++;
  }
  return g_strv_builder_end (builder);
}

/* RFC 4566: m=<media> <port>[/<n>] <proto> <fmt> ..., all tokens. */
static gboolean
m_line_is_sane (const gchar *value)
{
  static const gchar *const legal[] = { TOKEN_CHARS, "0123456789/",
    TOKEN_CHARS "/", TOKEN_CHARS };
  g_auto (GStrv) words = g_strsplit_set (value, " \t", -1);
  guint n = 0;

  for (gchar **w = words; *w != NULL; w++) {
    if (**w == '\0')
      continue; /* more than one blank */
    if (strspn (*w, legal[MIN (n, 3)]) != strlen (*w))
      return FALSE;
    n++;
  }
  return n >= 4;
}

/* b= values of one section, 0 = absent */
typedef struct
{
  guint as;   /* kbit/s */
  guint tias; /* bit/s */
} Bandwidth;

/* One pass over the lines, split the way sofia's parser splits them and
 * stopping where it stops, before sofia sees the text:
 * - m-lines must be well-formed: sofia-sip 1.12.11 loops allocating
 *   forever on a non-token format of a proto it does not take for RTP
 *   ("m=audio 9 RTP/AVPF 0 :"), a remote memory exhaustion;
 * - b=AS and b=TIAS per section ([0] session, [i + 1] the i-th m-line),
 *   because sofia confuses the b= modifiers (it files "AS" under sdp_bw_x
 *   and "TIAS" under sdp_bw_as). The first of each counts. */
static GArray *
prescan (const gchar *text, gsize len, GError **error)
{
  g_autoptr (GArray) as =
      g_array_sized_new (FALSE, TRUE, sizeof (Bandwidth), 4);
  g_autofree gchar *copy = g_strndup (text, len);
  g_auto (GStrv) lines = g_strsplit_set (copy, "\r\n", -1);
  guint section = 0, value;

  g_array_set_size (as, 1);
  for (gchar **l = lines; *l != NULL; l++) {
    const gchar *line = *l;

    if (*line == '\0')
      continue; /* between CR and LF, or an empty line */
    line += strspn (line, " \t");
    if (strlen (line) < 2)
      break;
    if (g_str_has_prefix (line, "m=")) {
      if (!m_line_is_sane (line + 2)) {
        g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_PARSE,
            "malformed SDP: bad m= line %u", section + 1);
        return NULL;
      }
      g_array_set_size (as, ++section + 1);
    } else if (g_ascii_strncasecmp (line, "b=AS:", 5) == 0 &&
               mcu_sdp_parse_uint (line + 5, G_MAXUINT, &value) &&
               g_array_index (as, Bandwidth, section).as == 0) {
      g_array_index (as, Bandwidth, section).as = value;
    } else if (g_ascii_strncasecmp (line, "b=TIAS:", 7) == 0 &&
               mcu_sdp_parse_uint (line + 7, G_MAXUINT, &value) &&
               g_array_index (as, Bandwidth, section).tias == 0) {
      g_array_index (as, Bandwidth, section).tias = value;
    }
  }
  return g_steal_pointer (&as);
}

static McuSdpMedia *
convert_media (const sdp_session_t *sdp, const sdp_media_t *m, GError **error)
{
  McuSdpMedia *media;
  const sdp_connection_t *c;
  const sdp_attribute_t *a;

  if (m->m_type_name == NULL || m->m_proto_name == NULL || m->m_port > 65535) {
    g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_PARSE,
        "malformed SDP: bad m= line (port %lu)", m->m_port);
    return NULL;
  }
  media = g_new0 (McuSdpMedia, 1);
  media->media = g_strdup (m->m_type_name);
  media->port = (guint)m->m_port;
  media->proto = g_strdup (m->m_proto_name);
  media->formats = g_ptr_array_new_with_free_func (format_free);
  if (!convert_formats (media, m, error)) {
    media_free (media);
    return NULL;
  }
  c = m->m_connections != NULL ? m->m_connections : sdp->sdp_connection;
  if (c != NULL && c->c_address != NULL)
    media->address = g_strdup (c->c_address);
  convert_rtcp (media, m->m_attributes);
  media->direction = direction_from_mode (m->m_mode);
  a = sdp_attribute_find2 (m->m_attributes, sdp->sdp_attributes, "ptime");
  if (a == NULL || !mcu_sdp_parse_uint (a->a_value, 10000, &media->ptime))
    media->ptime = 0;
  a = sdp_attribute_find2 (m->m_attributes, sdp->sdp_attributes, "maxptime");
  if (a == NULL || !mcu_sdp_parse_uint (a->a_value, 10000, &media->maxptime))
    media->maxptime = 0;
  a = sdp_attribute_find2 (m->m_attributes, sdp->sdp_attributes, "framerate");
  if (a == NULL || !mcu_sdp_parse_uint (a->a_value, 1000, &media->framerate))
    media->framerate = 0;
  media->rtcp_fb = collect_values (m->m_attributes, "rtcp-fb");
  media->crypto = collect_values (m->m_attributes, "crypto");
  return media;
}

static McuSdpSession *
convert_session (const sdp_session_t *sdp, const GArray *as, GError **error)
{
  g_autoptr (McuSdpSession) session = NULL;
  const sdp_origin_t *o = sdp->sdp_origin;
  guint i = 0;

  if (o == NULL || o->o_username == NULL) {
    g_set_error_literal (
        error, MCU_SDP_ERROR, MCU_SDP_ERROR_PARSE, "malformed SDP: no o= line");
    return NULL;
  }
  if (sdp->sdp_media == NULL) {
    g_set_error_literal (
        error, MCU_SDP_ERROR, MCU_SDP_ERROR_PARSE, "malformed SDP: no m= line");
    return NULL;
  }
  session = g_new0 (McuSdpSession, 1);
  session->origin_user = g_strdup (o->o_username);
  if (o->o_address != NULL)
    session->origin_address = g_strdup (o->o_address->c_address);
  session->session_id = o->o_id;
  session->session_version = o->o_version;
  if (sdp->sdp_connection != NULL)
    session->address = g_strdup (sdp->sdp_connection->c_address);
  session->media = g_ptr_array_new_with_free_func (media_free);
  for (const sdp_media_t *m = sdp->sdp_media; m; m = m->m_next, i++) {
    McuSdpMedia *media = convert_media (sdp, m, error);
    const Bandwidth *top = &g_array_index (as, Bandwidth, 0);
    const Bandwidth *own =
        i + 1 < as->len ? &g_array_index (as, Bandwidth, i + 1) : NULL;

    if (media == NULL)
      return NULL;
    media->bandwidth_as = own && own->as ? own->as : top->as;
    media->bandwidth_tias = own && own->tias ? own->tias : top->tias;
    g_ptr_array_add (session->media, media);
  }
  return g_steal_pointer (&session);
}

/* An a=rtpmap line without "<encoding>/<clock rate>" (RFC 4475's esc01 has
 * "a=rtpmap:31 LPC" on a video line) makes sofia refuse the whole SDP.
 * Leave such lines out: the format is then taken as unmapped (a static
 * payload type keeps its well-known meaning). NULL when none is bad. */
static GString *
without_bad_rtpmaps (const gchar *text, gsize len)
{
  GString *out = NULL;
  const gchar *line = text, *end = text + len;

  while (line < end) {
    const gchar *eol = memchr (line, '\n', end - line);
    const gchar *next = eol ? eol + 1 : end;
    gsize n = next - line;
    gboolean bad = FALSE;

    if (n > 9 && strncmp (line, "a=rtpmap:", 9) == 0) {
      const gchar *slash = memchr (line, '/', n);

      bad = slash == NULL || slash + 1 == next || !g_ascii_isdigit (slash[1]);
    }
    if (bad && out == NULL)
      out = g_string_new_len (text, line - text);
    if (out && !bad)
      g_string_append_len (out, line, n);
    line = next;
  }
  return out;
}

McuSdpSession *
mcu_sdp_session_parse (const gchar *text, gsize len, GError **error)
{
  g_autoptr (GString) cleaned = NULL;
  su_home_t home[1] = { SU_HOME_INIT (home) };
  g_autoptr (GArray) as = NULL;
  sdp_parser_t *parser;
  const sdp_session_t *sdp;
  McuSdpSession *session = NULL;

  g_return_val_if_fail (text != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (len == 0) {
    g_set_error_literal (
        error, MCU_SDP_ERROR, MCU_SDP_ERROR_PARSE, "malformed SDP: empty");
    return NULL;
  }
  if (len > MCU_SDP_MAX_SIZE) {
    g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_PARSE,
        "malformed SDP: larger than %u bytes", MCU_SDP_MAX_SIZE);
    return NULL;
  }
  if (memchr (text, '\0', len) != NULL) {
    g_set_error_literal (error, MCU_SDP_ERROR, MCU_SDP_ERROR_PARSE,
        "malformed SDP: contains a NUL byte");
    return NULL;
  }
  /* prescan what sofia will see: dropping a line can join others */
  if ((cleaned = without_bad_rtpmaps (text, len)) != NULL) {
    text = cleaned->str;
    len = cleaned->len;
  }
  if ((as = prescan (text, len, error)) == NULL)
    return NULL;
  parser = sdp_parse (home, text, (issize_t)len, sdp_f_c_missing);
  sdp = sdp_session (parser);
  if (sdp == NULL)
    g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_PARSE, "malformed SDP: %s",
        sdp_parsing_error (parser));
  else
    session = convert_session (sdp, as, error);
  sdp_parser_free (parser);
  su_home_deinit (home);
  return session;
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
  append_media_tail (sdp, DEFAULT_PTIME, local);
  if (video_prefs != NULL &&
      (local->audio_crypto == NULL || local->video_crypto != NULL))
    mcu_sdp_video_append_offer (sdp, video_prefs, local);
  return g_string_free (sdp, FALSE);
}
