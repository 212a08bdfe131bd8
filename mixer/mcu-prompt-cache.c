/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuPromptCache, prompt WAV files decoded once (main thread only).
 *
 * Format: RIFF/WAVE with a PCM (or WAVE_FORMAT_EXTENSIBLE PCM) fmt chunk,
 * 16 bit, 48000 Hz, one or two channels. Anything else is an error that
 * says what the file is and how to convert it (sox), so operators can drop
 * in recorded prompts without surprises. */
#include "mcu-prompt-cache.h"
#include "mcu-mixer-error.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#define WAV_RATE 48000

typedef struct
{
  gchar *path;
  GBytes *samples;
  gint64 mtime;
  goffset size;
  guint64 used; /* tick of the last load */
} Entry;

struct _McuPromptCache
{
  GObject parent_instance;

  GHashTable *entries; /* path -> Entry* */
  gsize total;         /* bytes of samples held */
  guint64 tick;
};

G_DEFINE_FINAL_TYPE (McuPromptCache, mcu_prompt_cache, G_TYPE_OBJECT)

static void
entry_free (gpointer data)
{
  Entry *e = data;

  g_free (e->path);
  g_bytes_unref (e->samples);
  g_free (e);
}

static void
mcu_prompt_cache_finalize (GObject *object)
{
  McuPromptCache *self = MCU_PROMPT_CACHE (object);

  g_hash_table_unref (self->entries);
  G_OBJECT_CLASS (mcu_prompt_cache_parent_class)->finalize (object);
}

static void
mcu_prompt_cache_class_init (McuPromptCacheClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mcu_prompt_cache_finalize;
}

static void
mcu_prompt_cache_init (McuPromptCache *self)
{
  self->entries =
      g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
}

McuPromptCache *
mcu_prompt_cache_new (void)
{
  return g_object_new (MCU_TYPE_PROMPT_CACHE, NULL);
}

static guint32
le32 (const guint8 *p)
{
  return p[0] | (p[1] << 8) | (p[2] << 16) | ((guint32)p[3] << 24);
}

static guint16
le16 (const guint8 *p)
{
  return p[0] | (p[1] << 8);
}

GBytes *
mcu_prompt_parse_wav (
    const gchar *path, const guint8 *data, gsize len, GError **error)
{
  gsize off = 12;
  guint16 format = 0, channels = 0, bits = 0;
  guint32 rate = 0;
  gboolean have_fmt = FALSE;

  if (len < 12 || memcmp (data, "RIFF", 4) != 0 ||
      memcmp (data + 8, "WAVE", 4) != 0) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PROMPT,
        "prompt %s: not a WAV file", path);
    return NULL;
  }
  while (off + 8 <= len) {
    guint32 size = le32 (data + off + 4);
    const guint8 *body = data + off + 8;
    gsize avail = len - off - 8;

    if (memcmp (data + off, "fmt ", 4) == 0 && size >= 16 && avail >= 16) {
      format = le16 (body);
      channels = le16 (body + 2);
      rate = le32 (body + 4);
      bits = le16 (body + 14);
      /* WAVE_FORMAT_EXTENSIBLE: the sub-format's first two bytes */
      if (format == 0xFFFE && size >= 26 && avail >= 26)
        format = le16 (body + 24);
      have_fmt = TRUE;
    } else if (memcmp (data + off, "data", 4) == 0 && have_fmt) {
      gsize n, bytes = MIN ((gsize)size, avail);
      gint16 *out;

      if (format != 1 || bits != 16 || rate != WAV_RATE || channels < 1 ||
          channels > 2) {
        g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PROMPT,
            "prompt %s: format %u, %u bit, %u Hz, %u channels; need PCM "
            "16 bit 48000 Hz mono (sox IN -r 48000 -c 1 -b 16 OUT.wav)",
            path, format, bits, rate, channels);
        return NULL;
      }
      n = bytes / (2u * channels);
      out = g_new (gint16, MAX (n, 1));
      for (gsize i = 0; i < n; i++) {
        if (channels == 1) {
          out[i] = (gint16)le16 (body + 2 * i);
        } else {
          gint32 l = (gint16)le16 (body + 4 * i);
          gint32 r = (gint16)le16 (body + 4 * i + 2);

          out[i] = (gint16)((l + r) / 2);
        }
      }
      return g_bytes_new_take (out, n * sizeof (gint16));
    }
    off += 8 + (gsize)size + (size & 1);
  }
  g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PROMPT,
      "prompt %s: no %s chunk", path, have_fmt ? "data" : "fmt");
  return NULL;
}

static GBytes *
read_wav (const gchar *path, goffset size, GError **error)
{
  g_autofree gchar *contents = NULL;
  gsize len = 0;

  if (size > MCU_PROMPT_MAX_FILE_BYTES) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PROMPT,
        "prompt %s: %" G_GOFFSET_FORMAT " bytes, more than the %d allowed",
        path, size, MCU_PROMPT_MAX_FILE_BYTES);
    return NULL;
  }
  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  return mcu_prompt_parse_wav (path, (const guint8 *)contents, len, error);
}

static gboolean
stat_file (const gchar *path, GStatBuf *st, GError **error)
{
  if (g_stat (path, st) != 0) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PROMPT,
        "prompt %s: %s", path, g_strerror (errno));
    return FALSE;
  }
  if (!S_ISREG (st->st_mode)) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PROMPT,
        "prompt %s: not a regular file", path);
    return FALSE;
  }
  return TRUE;
}

GBytes *
mcu_prompt_read_wav (const gchar *path, GError **error)
{
  GStatBuf st;

  if (!stat_file (path, &st, error))
    return NULL;
  return read_wav (path, st.st_size, error);
}

/* Drops the least recently used entries until @extra more bytes fit. */
static void
make_room (McuPromptCache *self, gsize extra)
{
  while (self->total + extra > MCU_PROMPT_CACHE_BYTES &&
         g_hash_table_size (self->entries) > 0) {
    GHashTableIter iter;
    gpointer value;
    Entry *oldest = NULL;

    g_hash_table_iter_init (&iter, self->entries);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      if (oldest == NULL || ((Entry *)value)->used < oldest->used)
        oldest = value;
    self->total -= g_bytes_get_size (oldest->samples);
    g_hash_table_remove (self->entries, oldest->path);
  }
}

GBytes *
mcu_prompt_cache_load (McuPromptCache *self, const gchar *path, GError **error)
{
  GStatBuf st;
  Entry *e;
  GBytes *samples;

  g_return_val_if_fail (MCU_IS_PROMPT_CACHE (self), NULL);

  if (!stat_file (path, &st, error))
    return NULL;
  e = g_hash_table_lookup (self->entries, path);
  if (e && e->mtime == (gint64)st.st_mtime && e->size == st.st_size) {
    e->used = ++self->tick;
    return g_bytes_ref (e->samples);
  }
  if (e) {
    self->total -= g_bytes_get_size (e->samples);
    g_hash_table_remove (self->entries, path);
  }
  samples = read_wav (path, st.st_size, error);
  if (samples == NULL)
    return NULL;
  make_room (self, g_bytes_get_size (samples));
  e = g_new0 (Entry, 1);
  e->path = g_strdup (path);
  e->samples = g_bytes_ref (samples);
  e->mtime = st.st_mtime;
  e->size = st.st_size;
  e->used = ++self->tick;
  self->total += g_bytes_get_size (samples);
  g_hash_table_insert (self->entries, e->path, e);
  return samples;
}
