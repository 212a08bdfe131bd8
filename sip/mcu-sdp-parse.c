/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: SDP text -> McuSdpSession (mcu_sdp_session_parse). A pure function:
 * any thread may call it on its own data.
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
 * - What the video line needs (b=TIAS, a=framerate, a=rtcp-fb) and the
 *   a=extmap values (mcu-sdp-extmap.c) are kept as written. */
#include "mcu-sdp-private.h"

#include <string.h>

#include <sofia-sip/sdp.h>

#define MCU_SDP_MAX_SIZE (64 * 1024)
/* RFC 4566 token characters */
#define TOKEN_CHARS                                                \
  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" \
  "-!#$%&'*+.^_`{|}~"

static gboolean
is_token (const gchar *s)
{
  return s != NULL && *s != '\0' && strspn (s, TOKEN_CHARS) == strlen (s);
}

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
  g_strfreev (media->extmap);
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
  gboolean rtp = mcu_sdp_proto_is_rtp (media->proto);

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

/* The values of every a=@name (a=rtcp-fb, a=crypto, a=extmap),
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
  media->extmap = collect_values (m->m_attributes, "extmap");
  if (media->extmap[0] == NULL) {
    g_strfreev (media->extmap);
    media->extmap = collect_values (sdp->sdp_attributes, "extmap");
  }
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
