/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: video offer/answer, H.264 (RFC 6184) and VP8 (RFC 7741). Pure
 * functions without state, like mcu-sdp.c: any thread may call them on its
 * own data (the daemon calls them from the main loop).
 *
 * Choices worth knowing:
 * - The codec follows the server's preference order (H.264, then VP8):
 *   participants with one output profile share one encoder, so a common
 *   codec beats the offerer's order. Among the H.264 payload types,
 *   packetization-mode 1 beats 0 (2 is not served), then the larger output
 *   picture, the higher frame rate, the simpler profile (constrained
 *   baseline, baseline, main, high), the offer's order.
 * - What we send is always constrained baseline (x264 "baseline" sets
 *   constraint_set0 and 1): such a stream conforms to Baseline and Main and
 *   is decodable by every High-family decoder (H.264 A.2). RFC 6184 §8.2.2
 *   wants the answered profile equal to the offered one, so a High-only
 *   offer (64001f) is answered with High ("64001f") and served with a
 *   constrained-baseline stream; that is compatible, never a rewrite of the
 *   profile. Extended (88), the intra-only profiles and unknown profile_idc
 *   values cannot take that stream: such a payload type is not usable.
 * - Level: without level-asymmetry-allowed=1 the answered level is the
 *   lower of the offered level and the one our output needs, and applies to
 *   both directions; with it we answer it back and the level we want to
 *   receive (the preferred size). max-recv-level raises the offerer's level
 *   when asymmetry is allowed.
 * - The receiver's limits: max-fs, max-mbps, max-br where given, else the
 *   level's MaxFS, MaxMBPS, MaxBR. RFC 6184 §8.1 lets them only raise the
 *   level's limits; a lower value breaks that rule but is honoured as the
 *   receiver's word (the safe reading). MaxBR counted in 1000 bit/s even for
 *   High (1250 there: we stay below). A picture side may not exceed
 *   sqrt(8 * MaxFS) macroblocks.
 * - A missing profile-level-id means Baseline level 1 (RFC 6184 §8.1), so
 *   the output is 160x90; a malformed one (not 6 hex digits, unknown level
 *   below 1) is taken as missing. packetization-mode absent = 0; not 0, 1
 *   or 2, or not a number: the payload type is not usable. Malformed
 *   max-fs/max-mbps/max-br/max-fr values are ignored. The first of a
 *   repeated parameter counts.
 * - b=AS counts packet headers, taken as 5% on top of the media rate (as
 *   we write it); b=TIAS does not.
 * - The answer: b=AS and b=TIAS with our send rate (RFC 3890; also what we
 *   want to receive: a tile needs no more); a=rtcp-fb nack / nack pli /
 *   ccm fir only for what was offered for the chosen PT or "*"; a=rtcp-mux
 *   when offered, and a=rtcp then names the RTP port. VP8 gets no fmtp.
 */
#include "mcu-sdp-private.h"

#include <string.h>

#define VIDEO_CLOCK_RATE  90000
#define DEFAULT_WIDTH     1280
#define DEFAULT_HEIGHT    720
#define DEFAULT_FRAMERATE 30
#define DEFAULT_KBPS      1500
#define MIN_GOOD_FPS      15 /* a smaller picture beats a slower one */
#define MAX_LISTED        8
#define OFFER_PT_H264_1   96
#define OFFER_PT_H264_0   97
#define OFFER_PT_VP8      98

static const McuSdpVideoCodec default_codecs[] = {
  MCU_SDP_VIDEO_CODEC_H264,
  MCU_SDP_VIDEO_CODEC_VP8,
  MCU_SDP_VIDEO_CODEC_NONE,
};

/* The 16:9 ladder below the preferred size. */
static const struct
{
  guint width, height;
} ladder[] = { { 1280, 720 }, { 640, 360 }, { 320, 180 }, { 160, 90 } };

/* H.264 Table A-1, in rising order. max_br in kbit/s (VCL, Baseline). */
typedef struct
{
  guint8 idc;
  gboolean is_1b;
  const gchar *name;
  guint max_mbps, max_fs, max_br;
} H264Level;

static const H264Level h264_levels[] = {
  { 10, FALSE, "1", 1485, 99, 64 },
  { 11, TRUE, "1b", 1485, 99, 128 },
  { 11, FALSE, "1.1", 3000, 396, 192 },
  { 12, FALSE, "1.2", 6000, 396, 384 },
  { 13, FALSE, "1.3", 11880, 396, 768 },
  { 20, FALSE, "2", 11880, 396, 2000 },
  { 21, FALSE, "2.1", 19800, 792, 4000 },
  { 22, FALSE, "2.2", 20250, 1620, 4000 },
  { 30, FALSE, "3", 40500, 1620, 10000 },
  { 31, FALSE, "3.1", 108000, 3600, 14000 },
  { 32, FALSE, "3.2", 216000, 5120, 20000 },
  { 40, FALSE, "4", 245760, 8192, 20000 },
  { 41, FALSE, "4.1", 245760, 8192, 50000 },
  { 42, FALSE, "4.2", 522240, 8704, 50000 },
  { 50, FALSE, "5", 589824, 22080, 135000 },
  { 51, FALSE, "5.1", 983040, 36864, 240000 },
  { 52, FALSE, "5.2", 2073600, 36864, 240000 },
};
#define LEVEL_1    0
#define LEVEL_1B   1
#define LEVEL_LAST (G_N_ELEMENTS (h264_levels) - 1)

/* A decoded profile-level-id. */
typedef struct
{
  guint8 profile_idc;
  guint8 iop;  /* constraint_set flags byte */
  guint level; /* index into h264_levels */
} H264Plid;

/* A payload type's fmtp, read leniently. */
typedef struct
{
  gboolean plid_ok;
  H264Plid plid;
  gboolean recv_level_ok;
  guint recv_level; /* max-recv-level, index into h264_levels */
  gint pmode;       /* 0, 1, 2 (not served), -1 = malformed */
  gboolean level_asymmetry;
  guint max_fs, max_mbps, max_br, max_fr;
} Fmtp;

/* Limits of the receiver, 0 = none */
typedef struct
{
  guint max_fs, max_mbps, max_kbps, max_fps;
} Limits;

/* One usable payload type with what we would send on it. */
typedef struct
{
  const McuSdpFormat *format;
  McuSdpVideoCodec codec;
  guint rank; /* in the prefs list */
  Fmtp fmtp;
  guint profile_rank;
  guint width, height, framerate, kbps;
} Candidate;

/* ------------------------------------------------------------------------
 * Small things
 */

static const McuSdpVideoCodec *
prefs_codecs (const McuSdpVideoPrefs *prefs)
{
  return prefs != NULL && prefs->codecs != NULL ? prefs->codecs
                                                : default_codecs;
}

static guint
pref_or (guint value, guint fallback)
{
  return value != 0 ? value : fallback;
}

/* The largest picture, rounded down to even sides (at least 16x16). */
static void
prefs_size (const McuSdpVideoPrefs *prefs, guint *width, guint *height)
{
  *width = pref_or (prefs ? prefs->max_width : 0, DEFAULT_WIDTH);
  *height = pref_or (prefs ? prefs->max_height : 0, DEFAULT_HEIGHT);
  *width = MAX (16, MIN (*width, 8192) & ~1u);
  *height = MAX (16, MIN (*height, 8192) & ~1u);
}

static guint
prefs_fps (const McuSdpVideoPrefs *prefs)
{
  return MIN (
      pref_or (prefs ? prefs->max_framerate : 0, DEFAULT_FRAMERATE), 240);
}

static guint
prefs_kbps (const McuSdpVideoPrefs *prefs)
{
  return pref_or (prefs ? prefs->max_bitrate_kbps : 0, DEFAULT_KBPS);
}

static guint
min_nonzero (guint a, guint b)
{
  return a == 0 ? b : b == 0 ? a : MIN (a, b);
}

static guint
frame_size_mbs (guint width, guint height)
{
  return ((width + 15) / 16) * ((height + 15) / 16);
}

/* A picture side of @mbs macroblocks is at most sqrt (8 * MaxFS). */
static gboolean
side_fits (guint mbs, guint max_fs)
{
  return (guint64)mbs * mbs <= (guint64)max_fs * 8;
}

/* A sensible most for a picture size: more buys nothing in a grid. */
static guint
size_ceiling_kbps (guint fs)
{
  if (fs >= 3600)
    return (guint)((guint64)2500 * fs / 3600);
  if (fs >= 920)
    return 800;
  if (fs >= 240)
    return 300;
  return 100;
}

static gint
hex_byte (const gchar *s)
{
  gint hi = g_ascii_xdigit_value (s[0]), lo;

  if (hi < 0)
    return -1;
  lo = g_ascii_xdigit_value (s[1]);
  return lo < 0 ? -1 : hi * 16 + lo;
}

/* ------------------------------------------------------------------------
 * H.264 profiles and levels
 */

static gboolean
profile_marks_1b_with_cs3 (guint8 profile_idc)
{
  return profile_idc == 66 || profile_idc == 77 || profile_idc == 88;
}

/* The level of (level_idc, iop): 1b by cs3 or idc 9; an unknown level above
 * 1 counts as the nearest known one below it. FALSE below 1. */
static gboolean
level_from_idc (guint8 profile_idc, guint8 iop, guint idc, guint *level)
{
  if (idc == 9 ||
      (idc == 11 && (iop & 0x10) && profile_marks_1b_with_cs3 (profile_idc))) {
    *level = LEVEL_1B;
    return TRUE;
  }
  for (guint i = LEVEL_LAST + 1; i-- > 0;)
    if (!h264_levels[i].is_1b && h264_levels[i].idc <= idc) {
      *level = i;
      return TRUE;
    }
  return FALSE;
}

static gboolean
plid_parse (const gchar *text, H264Plid *out)
{
  gint bytes[3];

  if (text == NULL || strlen (text) != 6)
    return FALSE;
  for (guint i = 0; i < 3; i++)
    if ((bytes[i] = hex_byte (text + 2 * i)) < 0)
      return FALSE;
  out->profile_idc = (guint8)bytes[0];
  out->iop = (guint8)bytes[1];
  return level_from_idc (
      out->profile_idc, out->iop, (guint)bytes[2], &out->level);
}

/* A profile-level-id for (profile_idc, iop) at @level. */
static gchar *
plid_format (guint8 profile_idc, guint8 iop, guint level)
{
  guint idc = h264_levels[level].idc;

  if (profile_marks_1b_with_cs3 (profile_idc))
    iop = h264_levels[level].is_1b ? iop | 0x10 : iop & ~0x10;
  else if (h264_levels[level].is_1b)
    idc = 9;
  return g_strdup_printf ("%02x%02x%02x", profile_idc, iop, idc);
}

/* GStreamer's name for a profile; NULL when unknown. */
static const gchar *
profile_name (guint8 profile_idc, guint8 iop)
{
  gboolean cs1 = iop & 0x40, cs3 = iop & 0x10, cs4 = iop & 0x08,
           cs5 = iop & 0x04;

  switch (profile_idc) {
    case 66:
      return cs1 ? "constrained-baseline" : "baseline";
    case 77:
      return "main";
    case 88:
      return "extended";
    case 100:
      return cs4 && cs5 ? "constrained-high"
             : cs4      ? "progressive-high"
                        : "high";
    case 110:
      return cs3 ? "high-10-intra" : cs4 ? "progressive-high-10" : "high-10";
    case 122:
      return cs3 ? "high-4:2:2-intra" : "high-4:2:2";
    case 244:
      return cs3 ? "high-4:4:4-intra" : "high-4:4:4";
    default:
      return NULL;
  }
}

/* How simple a profile is whose decoders take a constrained-baseline
 * stream (0 = constrained baseline); G_MAXUINT when they do not. */
static guint
profile_rank (guint8 profile_idc, guint8 iop)
{
  switch (profile_idc) {
    case 66:
      return iop & 0x40 ? 0 : 1;
    case 77:
      return 2;
    case 100:
      return 3;
    case 110:
    case 122:
    case 244:
      return iop & 0x10 ? G_MAXUINT : 4; /* intra-only decoders: no */
    default:
      return G_MAXUINT;
  }
}

/* The lowest level that carries @fs macroblocks at @fps and @kbps. */
static guint
level_needed (guint fs, guint fps, guint kbps)
{
  for (guint i = 0; i <= LEVEL_LAST; i++) {
    const H264Level *l = &h264_levels[i];

    if (fs <= l->max_fs && (guint64)fs * fps <= l->max_mbps &&
        kbps <= l->max_br)
      return i;
  }
  return LEVEL_LAST;
}

gboolean
mcu_sdp_video_h264_caps_profile (
    const gchar *profile_level_id, const gchar **profile, const gchar **level)
{
  H264Plid plid;
  const gchar *name;

  if (!plid_parse (profile_level_id, &plid) ||
      (name = profile_name (plid.profile_idc, plid.iop)) == NULL)
    return FALSE;
  if (profile != NULL)
    *profile = name;
  if (level != NULL)
    *level = h264_levels[plid.level].name;
  return TRUE;
}

/* ------------------------------------------------------------------------
 * fmtp and rtcp-fb
 */

static gboolean
parse_whole_uint (const gchar *value, guint *out)
{
  const gchar *end = mcu_sdp_scan_uint (value, G_MAXUINT, out);

  return end != NULL && *end == '\0';
}

static void
fmtp_param (Fmtp *f, guint *seen, const gchar *key, const gchar *value)
{
  static const gchar *const keys[] = { "profile-level-id", "packetization-mode",
    "level-asymmetry-allowed", "max-recv-level", "max-fs", "max-mbps", "max-br",
    "max-fr" };
  guint *numbers[] = { NULL, NULL, NULL, NULL, &f->max_fs, &f->max_mbps,
    &f->max_br, &f->max_fr };
  guint k, n;
  gint iop, idc;

  for (k = 0; k < G_N_ELEMENTS (keys); k++)
    if (g_ascii_strcasecmp (key, keys[k]) == 0)
      break;
  if (k == G_N_ELEMENTS (keys) || (*seen & (1u << k)) != 0)
    return; /* unknown, or repeated: the first counts */
  *seen |= 1u << k;
  switch (k) {
    case 0:
      f->plid_ok = plid_parse (value, &f->plid);
      break;
    case 1:
      f->pmode = parse_whole_uint (value, &n) && n <= 2 ? (gint)n : -1;
      break;
    case 2:
      f->level_asymmetry = parse_whole_uint (value, &n) && n == 1;
      break;
    case 3:
      f->recv_level_ok = strlen (value) == 4 && (iop = hex_byte (value)) >= 0 &&
                         (idc = hex_byte (value + 2)) >= 0 &&
                         level_from_idc (f->plid_ok ? f->plid.profile_idc : 66,
                             (guint8)iop, (guint)idc, &f->recv_level);
      break;
    default:
      if (!parse_whole_uint (value, numbers[k]))
        *numbers[k] = 0;
      break;
  }
}

/* "a=b; c=d" (RFC 6184 §8.1, RFC 7741 §6.1); blanks and empty parts are
 * tolerated. The H.264 defaults: Baseline level 1, packetization-mode 0. */
static void
fmtp_parse (const gchar *text, Fmtp *f)
{
  g_auto (GStrv) params = NULL;
  guint seen = 0;

  memset (f, 0, sizeof (*f));
  f->plid.profile_idc = 66;
  f->plid.level = LEVEL_1;
  if (text == NULL)
    return;
  params = g_strsplit (text, ";", 64);
  for (gchar **p = params; *p != NULL; p++) {
    g_autofree gchar *key = NULL, *value = NULL;
    const gchar *eq = strchr (*p, '=');

    if (eq == NULL)
      continue;
    key = g_strstrip (g_strndup (*p, (gsize)(eq - *p)));
    value = g_strstrip (g_strdup (eq + 1));
    fmtp_param (f, &seen, key, value);
  }
  if (!f->plid_ok) {
    f->plid.profile_idc = 66;
    f->plid.iop = 0;
    f->plid.level = LEVEL_1;
  }
}

/* a=rtcp-fb:<pt or *> <type> [<subtype>] for @pt (RFC 4585 §4.2) */
static void
read_rtcp_fb (const McuSdpMedia *media, guint pt, McuSdpVideo *video)
{
  for (gchar **v = media->rtcp_fb; v != NULL && *v != NULL; v++) {
    const gchar *rest = *v, *end;
    guint value;

    if (rest[0] == '*' && rest[1] == ' ')
      rest += 2;
    else if ((end = mcu_sdp_scan_uint (rest, 127, &value)) != NULL &&
             *end == ' ' && value == pt)
      rest = end + 1;
    else
      continue;
    if (g_ascii_strcasecmp (rest, "nack") == 0)
      video->fb_nack = TRUE;
    else if (g_ascii_strcasecmp (rest, "nack pli") == 0)
      video->fb_pli = TRUE;
    else if (g_ascii_strcasecmp (rest, "ccm fir") == 0)
      video->fb_fir = TRUE;
    else if (g_ascii_strcasecmp (rest, "goog-remb") == 0)
      video->fb_remb = TRUE;
  }
}

/* ------------------------------------------------------------------------
 * Choosing
 */

static McuSdpVideoCodec
codec_of_format (const McuSdpFormat *format)
{
  if (format->pt == MCU_SDP_PT_NONE || format->clock_rate != VIDEO_CLOCK_RATE)
    return MCU_SDP_VIDEO_CODEC_NONE;
  if (g_ascii_strcasecmp (format->encoding, "H264") == 0)
    return MCU_SDP_VIDEO_CODEC_H264;
  if (g_ascii_strcasecmp (format->encoding, "VP8") == 0)
    return MCU_SDP_VIDEO_CODEC_VP8;
  return MCU_SDP_VIDEO_CODEC_NONE;
}

static gboolean
prefs_rank (const McuSdpVideoPrefs *prefs, McuSdpVideoCodec codec, guint *rank)
{
  guint i = 0;

  for (const McuSdpVideoCodec *c = prefs_codecs (prefs); *c; c++, i++)
    if (*c == codec) {
      *rank = i;
      return TRUE;
    }
  return FALSE;
}

/* The largest picture of the ladder the receiver takes, with its frame rate
 * and bitrate; FALSE when not even the smallest fits. */
static gboolean
choose_output (const Limits *lim, const McuSdpVideoPrefs *prefs, Candidate *out)
{
  guint top_w, top_h, fps = min_nonzero (prefs_fps (prefs), lim->max_fps);
  guint sizes[G_N_ELEMENTS (ladder) + 1][2], n = 0;

  prefs_size (prefs, &top_w, &top_h);
  sizes[n][0] = top_w;
  sizes[n++][1] = top_h;
  for (guint i = 0; i < G_N_ELEMENTS (ladder); i++)
    if (ladder[i].width <= top_w && ladder[i].height <= top_h &&
        ladder[i].width * ladder[i].height < top_w * top_h) {
      sizes[n][0] = ladder[i].width;
      sizes[n++][1] = ladder[i].height;
    }
  for (guint i = 0; i < n; i++) {
    guint w = sizes[i][0], h = sizes[i][1], fs = frame_size_mbs (w, h);
    guint rate = fps;

    if (lim->max_fs != 0 &&
        (fs > lim->max_fs || !side_fits ((w + 15) / 16, lim->max_fs) ||
            !side_fits ((h + 15) / 16, lim->max_fs)))
      continue;
    if (lim->max_mbps != 0)
      rate = MIN (rate, lim->max_mbps / fs);
    if (rate == 0 || (rate < MIN (MIN_GOOD_FPS, fps) && i + 1 < n))
      continue;
    out->width = w;
    out->height = h;
    out->framerate = rate;
    out->kbps = MIN (prefs_kbps (prefs), size_ceiling_kbps (fs));
    out->kbps = MAX (1, min_nonzero (out->kbps, lim->max_kbps));
    return TRUE;
  }
  return FALSE;
}

/* b=AS (less headers) and b=TIAS of the line, as one limit in kbit/s */
static guint
media_kbps (const McuSdpMedia *media)
{
  guint as = media->bandwidth_as
                 ? MAX (1, (guint)((guint64)media->bandwidth_as * 100 / 105))
                 : 0;
  guint tias =
      media->bandwidth_tias ? MAX (1, media->bandwidth_tias / 1000) : 0;

  return min_nonzero (as, tias);
}

/* What the offerer of @f takes, H.264 */
static void
h264_limits (const Fmtp *f, const McuSdpMedia *media, Limits *lim)
{
  const H264Level *l = &h264_levels[f->plid.level];

  if (f->level_asymmetry && f->recv_level_ok && f->recv_level > f->plid.level)
    l = &h264_levels[f->recv_level];
  lim->max_fs = f->max_fs != 0 ? f->max_fs : l->max_fs;
  lim->max_mbps = f->max_mbps != 0 ? f->max_mbps : l->max_mbps;
  lim->max_kbps =
      min_nonzero (media_kbps (media), f->max_br != 0 ? f->max_br : l->max_br);
  lim->max_fps = media->framerate;
}

/* FALSE, with why when it is one of our codecs, for a format we cannot
 * serve. */
static gboolean
candidate_init (Candidate *c, const McuSdpMedia *media,
    const McuSdpFormat *format, const McuSdpVideoPrefs *prefs,
    const gchar **why)
{
  Limits lim = { 0 };

  memset (c, 0, sizeof (*c));
  c->format = format;
  c->codec = codec_of_format (format);
  *why = NULL;
  if (c->codec == MCU_SDP_VIDEO_CODEC_NONE ||
      !prefs_rank (prefs, c->codec, &c->rank))
    return FALSE;
  fmtp_parse (format->fmtp, &c->fmtp);
  if (c->codec == MCU_SDP_VIDEO_CODEC_H264) {
    c->profile_rank = profile_rank (c->fmtp.plid.profile_idc, c->fmtp.plid.iop);
    *why = c->fmtp.pmode == 2             ? "packetization-mode 2"
           : c->fmtp.pmode < 0            ? "bad packetization-mode"
           : c->profile_rank == G_MAXUINT ? "profile not served"
                                          : NULL;
    if (*why != NULL)
      return FALSE;
    h264_limits (&c->fmtp, media, &lim);
  } else {
    lim.max_fs = c->fmtp.max_fs;
    lim.max_fps = min_nonzero (c->fmtp.max_fr, media->framerate);
    lim.max_kbps = media_kbps (media);
  }
  if (!choose_output (&lim, prefs, c)) {
    *why = "max-fs too small";
    return FALSE;
  }
  return TRUE;
}

/* Is @a a better choice than @b (which comes earlier in the offer)? */
static gboolean
candidate_better (const Candidate *a, const Candidate *b)
{
  if (a->rank != b->rank)
    return a->rank < b->rank;
  if (a->fmtp.pmode != b->fmtp.pmode)
    return a->fmtp.pmode > b->fmtp.pmode;
  if (a->width * a->height != b->width * b->height)
    return a->width * a->height > b->width * b->height;
  if (a->framerate != b->framerate)
    return a->framerate > b->framerate;
  return a->profile_rank < b->profile_rank;
}

static gboolean
choose_candidate (
    const McuSdpMedia *media, const McuSdpVideoPrefs *prefs, Candidate *best)
{
  gboolean found = FALSE;

  for (guint i = 0; i < media->formats->len; i++) {
    const gchar *why;
    Candidate c;

    if (candidate_init (&c, media, media->formats->pdata[i], prefs, &why) &&
        (!found || candidate_better (&c, best))) {
      *best = c;
      found = TRUE;
    }
  }
  return found;
}

/* The profile-level-ids to answer and to encode (see the top of the file) */
static void
fill_h264 (
    McuSdpVideo *video, const Candidate *c, const McuSdpVideoPrefs *prefs)
{
  const H264Plid *offered = &c->fmtp.plid;
  guint need = level_needed (
      frame_size_mbs (c->width, c->height), c->framerate, c->kbps);
  guint answer;

  if (c->fmtp.level_asymmetry) {
    guint w, h;

    prefs_size (prefs, &w, &h);
    answer = level_needed (
        frame_size_mbs (w, h), prefs_fps (prefs), prefs_kbps (prefs));
  } else {
    answer = MIN (offered->level, need);
  }
  video->packetization_mode = (guint)c->fmtp.pmode;
  video->level_asymmetry_allowed = c->fmtp.level_asymmetry;
  video->profile_level_id =
      plid_format (offered->profile_idc, offered->iop, answer);
  video->encode_profile_level_id = plid_format (66, 0xe0, need);
  video->max_mbps = c->fmtp.max_mbps;
  video->max_br = c->fmtp.max_br;
}

static void
fill_video (McuSdpVideo *video, guint index, const McuSdpMedia *media,
    const Candidate *c, const McuSdpVideoPrefs *prefs)
{
  memset (video, 0, sizeof (*video));
  video->media_index = index;
  video->codec = c->codec;
  video->pt = c->format->pt;
  video->clock_rate = VIDEO_CLOCK_RATE;
  if (c->codec == MCU_SDP_VIDEO_CODEC_H264)
    fill_h264 (video, c, prefs);
  video->max_fs = c->fmtp.max_fs;
  video->max_framerate = min_nonzero (media->framerate,
      c->codec == MCU_SDP_VIDEO_CODEC_VP8 ? c->fmtp.max_fr : 0);
  video->bandwidth_kbps = min_nonzero (media->bandwidth_as,
      media->bandwidth_tias ? MAX (1, media->bandwidth_tias / 1000) : 0);
  video->width = c->width;
  video->height = c->height;
  video->framerate = c->framerate;
  video->bitrate_kbps = c->kbps;
  read_rtcp_fb (media, video->pt, video);
  video->rtcp_mux = media->rtcp_mux;
  video->remote_address = g_strdup (media->address);
  video->remote_rtp_port = media->port;
  if (media->rtcp_mux) {
    video->remote_rtcp_address = g_strdup (media->address);
    video->remote_rtcp_port = media->port;
  } else {
    video->remote_rtcp_address = g_strdup (
        media->rtcp_address != NULL ? media->rtcp_address : media->address);
    video->remote_rtcp_port = media->rtcp_port;
  }
  video->remote_direction = media->direction;
  if (mcu_sdp_address_is_hold (media->address))
    video->remote_direction = media->direction == MCU_SDP_SENDRECV ||
                                      media->direction == MCU_SDP_SENDONLY
                                  ? MCU_SDP_SENDONLY
                                  : MCU_SDP_INACTIVE;
}

static gboolean
is_helper_format (const gchar *encoding)
{
  static const gchar *const helpers[] = { "rtx", "red", "ulpfec",
    "flexfec-03" };

  for (guint i = 0; i < G_N_ELEMENTS (helpers); i++)
    if (g_ascii_strcasecmp (encoding, helpers[i]) == 0)
      return TRUE;
  return FALSE;
}

/* "H263-1998, AV1, H264 (packetization-mode 2)" for a SIP Warning */
static gchar *
describe_offered (const McuSdpMedia *media, const McuSdpVideoPrefs *prefs)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < media->formats->len; i++) {
    const McuSdpFormat *f = media->formats->pdata[i];
    const gchar *why;
    Candidate c;
    gchar *name;

    if (is_helper_format (f->encoding))
      continue;
    candidate_init (&c, media, f, prefs, &why);
    if (*f->encoding == '\0')
      name = g_strdup_printf ("PT %u", f->pt);
    else if (why != NULL)
      name = g_strdup_printf ("%s (%s)", f->encoding, why);
    else if (c.codec == MCU_SDP_VIDEO_CODEC_NONE &&
             mcu_sdp_video_codec_from_string (f->encoding) !=
                 MCU_SDP_VIDEO_CODEC_NONE)
      name = g_strdup_printf ("%s/%u", f->encoding, f->clock_rate);
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

static void
set_failure (GError **error, const McuSdpVideoPrefs *prefs,
    const McuSdpMedia *no_codec, const gchar *srtp, const gchar *reason)
{
  if (no_codec != NULL) {
    g_autofree gchar *offered = describe_offered (no_codec, prefs);
    g_autoptr (GString) supported = g_string_new (NULL);

    for (const McuSdpVideoCodec *c = prefs_codecs (prefs); *c; c++)
      g_string_append_printf (supported, "%s%s", supported->len ? ", " : "",
          mcu_sdp_video_codec_to_string (*c));
    g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_NO_CODEC,
        "no common video codec (offered: %s; supported: %s)",
        *offered ? offered : "none", supported->len ? supported->str : "none");
  } else if (srtp != NULL) {
    g_set_error_literal (error, MCU_SDP_ERROR, MCU_SDP_ERROR_SRTP, srtp);
  } else {
    g_set_error (error, MCU_SDP_ERROR, MCU_SDP_ERROR_NO_CODEC,
        "no usable video stream (%s)", reason);
  }
}

gboolean
mcu_sdp_negotiate_video (const McuSdpSession *offer,
    const McuSdpVideoPrefs *prefs, McuSdpVideo *out, GError **error)
{
  const McuSdpMedia *no_codec = NULL;
  g_autofree gchar *srtp = NULL;
  const gchar *reason = NULL;
  g_autofree gchar *address_reason = NULL;
  McuSdpSrtpMode mode = prefs ? prefs->srtp : MCU_SDP_SRTP_OFF;

  g_return_val_if_fail (offer != NULL && offer->media != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint i = 0; i < offer->media->len; i++) {
    const McuSdpMedia *media = offer->media->pdata[i];
    Candidate best = { 0 };
    g_autoptr (GError) address_error = NULL;
    McuSdpCrypto crypto = { 0 };
    gboolean is_srtp = mcu_sdp_proto_is_srtp (media->proto);
    gchar *problem = NULL;

    if (g_ascii_strcasecmp (media->media, "video") != 0 || media->port == 0)
      continue;
    if (is_srtp && (problem = mcu_sdp_srtp_problem (media, mode,
                        prefs && prefs->srtp_keys_ok, &crypto)) != NULL) {
      if (srtp == NULL)
        srtp = problem;
      else
        g_free (problem);
    } else if (!is_srtp && mcu_sdp_proto_is_plain_rtp (media->proto) &&
               mode == MCU_SDP_SRTP_MANDATORY) {
      if (srtp == NULL)
        srtp = g_strdup (MCU_SDP_SRTP_REQUIRED);
    } else if (!is_srtp && !mcu_sdp_proto_is_plain_rtp (media->proto)) {
      reason = reason ? reason : "unsupported video transport";
    } else if (media->address == NULL || *media->address == '\0') {
      reason = reason ? reason : "video m-line without c= address";
    } else if (!choose_candidate (media, prefs, &best)) {
      no_codec = no_codec ? no_codec : media;
    } else if (!mcu_sdp_check_media_address (media,
                   prefs ? prefs->address_family : G_SOCKET_FAMILY_INVALID,
                   &address_error)) {
      if (reason == NULL)
        reason = address_reason = g_strdup (address_error->message);
    } else {
      McuSdpCrypto local = { 0 };

      if (crypto.suite != MCU_SDP_CRYPTO_NONE &&
          !mcu_sdp_crypto_generate (&local, crypto.suite, crypto.tag, error))
        return FALSE;
      fill_video (out, i, media, &best, prefs);
      out->remote_crypto = crypto;
      out->local_crypto = local;
      memset (&crypto, 0, sizeof crypto);
      memset (&local, 0, sizeof local);
      return TRUE;
    }
    memset (&crypto, 0, sizeof crypto);
  }
  if (no_codec == NULL && srtp == NULL && reason == NULL)
    return FALSE; /* no video, or every video line disabled */
  set_failure (error, prefs, no_codec, srtp, reason);
  return FALSE;
}

/* ------------------------------------------------------------------------
 * Structs and strings
 */

void
mcu_sdp_video_clear (McuSdpVideo *video)
{
  g_return_if_fail (video != NULL);

  g_free (video->profile_level_id);
  g_free (video->encode_profile_level_id);
  g_free (video->remote_address);
  g_free (video->remote_rtcp_address);
  memset (video, 0, sizeof (*video));
}

void
mcu_sdp_video_copy (McuSdpVideo *dest, const McuSdpVideo *src)
{
  g_return_if_fail (dest != NULL && src != NULL && dest != src);

  *dest = *src;
  dest->profile_level_id = g_strdup (src->profile_level_id);
  dest->encode_profile_level_id = g_strdup (src->encode_profile_level_id);
  dest->remote_address = g_strdup (src->remote_address);
  dest->remote_rtcp_address = g_strdup (src->remote_rtcp_address);
}

const gchar *
mcu_sdp_video_codec_to_string (McuSdpVideoCodec codec)
{
  switch (codec) {
    case MCU_SDP_VIDEO_CODEC_H264:
      return "H264";
    case MCU_SDP_VIDEO_CODEC_VP8:
      return "VP8";
    case MCU_SDP_VIDEO_CODEC_NONE:
    default:
      return "none";
  }
}

McuSdpVideoCodec
mcu_sdp_video_codec_from_string (const gchar *name)
{
  if (name != NULL && g_ascii_strcasecmp (name, "H264") == 0)
    return MCU_SDP_VIDEO_CODEC_H264;
  if (name != NULL && g_ascii_strcasecmp (name, "VP8") == 0)
    return MCU_SDP_VIDEO_CODEC_VP8;
  return MCU_SDP_VIDEO_CODEC_NONE;
}

/* ------------------------------------------------------------------------
 * Writing
 */

static void
append_bandwidth (GString *sdp, guint kbps)
{
  g_string_append_printf (sdp, "b=AS:%u\r\nb=TIAS:%" G_GUINT64_FORMAT "\r\n",
      (guint)(((guint64)kbps * 105 + 99) / 100), (guint64)kbps * 1000);
}

static void
append_tail (GString *sdp, guint rtcp_port, McuSdpDirection direction)
{
  if (rtcp_port != 0)
    g_string_append_printf (sdp, "a=rtcp:%u\r\n", rtcp_port);
  g_string_append_printf (
      sdp, "a=%s\r\n", mcu_sdp_direction_to_string (direction));
}

void
mcu_sdp_video_append_answer (GString *sdp, const McuSdpMedia *media,
    const McuSdpVideo *video, const McuSdpLocal *local)
{
  gboolean avpf = g_ascii_strcasecmp (media->proto, "RTP/AVPF") == 0 ||
                  g_ascii_strcasecmp (media->proto, "RTP/SAVPF") == 0;
  gboolean srtp = video->local_crypto.suite != MCU_SDP_CRYPTO_NONE;
  guint pt = video->pt;

  g_string_append_printf (sdp, "m=video %u RTP/%s%s %u\r\n",
      local->video_rtp_port, srtp ? "S" : "", avpf ? "AVPF" : "AVP", pt);
  append_bandwidth (sdp, video->bitrate_kbps);
  g_string_append_printf (sdp, "a=rtpmap:%u %s/%u\r\n", pt,
      mcu_sdp_video_codec_to_string (video->codec), VIDEO_CLOCK_RATE);
  if (video->codec == MCU_SDP_VIDEO_CODEC_H264)
    g_string_append_printf (sdp,
        "a=fmtp:%u profile-level-id=%s;packetization-mode=%u%s\r\n", pt,
        video->profile_level_id, video->packetization_mode,
        video->level_asymmetry_allowed ? ";level-asymmetry-allowed=1" : "");
  if (video->fb_nack)
    g_string_append_printf (sdp, "a=rtcp-fb:%u nack\r\n", pt);
  if (video->fb_pli)
    g_string_append_printf (sdp, "a=rtcp-fb:%u nack pli\r\n", pt);
  if (video->fb_fir)
    g_string_append_printf (sdp, "a=rtcp-fb:%u ccm fir\r\n", pt);
  if (video->rtcp_mux)
    g_string_append (sdp, "a=rtcp-mux\r\n");
  if (srtp)
    mcu_sdp_crypto_append (sdp, &video->local_crypto);
  append_tail (sdp,
      video->rtcp_mux ? local->video_rtp_port : local->video_rtcp_port,
      local->video_direction);
}

void
mcu_sdp_video_append_offer (
    GString *sdp, const McuSdpVideoPrefs *prefs, const McuSdpLocal *local)
{
  g_autoptr (GString) pts = g_string_new (NULL);
  g_autoptr (GString) maps = g_string_new (NULL);
  g_autofree gchar *plid = NULL;
  guint w, h, fps = prefs_fps (prefs), kbps = prefs_kbps (prefs);
  gboolean h264 = FALSE, vp8 = FALSE;

  prefs_size (prefs, &w, &h);
  plid =
      plid_format (66, 0xe0, level_needed (frame_size_mbs (w, h), fps, kbps));
  for (const McuSdpVideoCodec *c = prefs_codecs (prefs); *c; c++) {
    if (*c == MCU_SDP_VIDEO_CODEC_H264 && !h264) {
      h264 = TRUE;
      g_string_append_printf (pts, " %u %u", OFFER_PT_H264_1, OFFER_PT_H264_0);
      for (guint mode = 1, pt = OFFER_PT_H264_1; pt <= OFFER_PT_H264_0;
           mode--, pt++)
        g_string_append_printf (maps,
            "a=rtpmap:%u H264/%u\r\n"
            "a=fmtp:%u profile-level-id=%s;packetization-mode=%u\r\n",
            pt, VIDEO_CLOCK_RATE, pt, plid, mode);
    } else if (*c == MCU_SDP_VIDEO_CODEC_VP8 && !vp8) {
      vp8 = TRUE;
      g_string_append_printf (pts, " %u", OFFER_PT_VP8);
      g_string_append_printf (maps,
          "a=rtpmap:%u VP8/%u\r\n"
          "a=fmtp:%u max-fs=%u;max-fr=%u\r\n",
          OFFER_PT_VP8, VIDEO_CLOCK_RATE, OFFER_PT_VP8, frame_size_mbs (w, h),
          fps);
    }
  }
  g_return_if_fail (h264 || vp8);
  g_string_append_printf (sdp, "m=video %u RTP/%sAVP%s\r\n",
      local->video_rtp_port, local->video_crypto ? "S" : "", pts->str);
  append_bandwidth (sdp, kbps);
  g_string_append (sdp, maps->str);
  if (local->video_crypto)
    mcu_sdp_crypto_append (sdp, local->video_crypto);
  g_string_append (sdp, "a=rtcp-fb:* nack\r\n"
                        "a=rtcp-fb:* nack pli\r\n"
                        "a=rtcp-fb:* ccm fir\r\n");
  append_tail (sdp, local->video_rtcp_port, local->video_direction);
}
