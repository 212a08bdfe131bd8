/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for prompt files (mcu-prompt-cache.c): the WAV reader (mono,
 * stereo mixed down, WAVE_FORMAT_EXTENSIBLE, chunks it skips, truncated
 * data, formats it refuses) and the cache (one decode, reloaded when the
 * file changes). */
#include "mcu-mixer-error.h"
#include "mcu-prompt-cache.h"

#include <glib/gstdio.h>
#include <string.h>

static void
put (GByteArray *a, const void *data, guint len)
{
  g_byte_array_append (a, data, len);
}

static void
put32 (GByteArray *a, guint32 v)
{
  guint8 b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };

  put (a, b, 4);
}

static void
put16 (GByteArray *a, guint16 v)
{
  guint8 b[2] = { v & 0xff, v >> 8 };

  put (a, b, 2);
}

/* A WAV file: @format (1 or 0xFFFE), @channels, @rate, 16 bit, @samples
 * interleaved; an odd-sized LIST chunk first when @junk; the data chunk
 * claims @extra more bytes than it has. */
static GByteArray *
wav (guint16 format, guint16 channels, guint32 rate, const gint16 *samples,
    guint n, gboolean junk, guint extra)
{
  GByteArray *a = g_byte_array_new ();
  guint fmt_size = format == 0xFFFE ? 40 : 16;

  put (a, "RIFF", 4);
  put32 (a, 0); /* nobody checks it */
  put (a, "WAVE", 4);
  if (junk) {
    put (a, "LIST", 4);
    put32 (a, 3);
    put (a, "abc\0", 4); /* padded to even */
  }
  put (a, "fmt ", 4);
  put32 (a, fmt_size);
  put16 (a, format);
  put16 (a, channels);
  put32 (a, rate);
  put32 (a, rate * channels * 2);
  put16 (a, channels * 2);
  put16 (a, 16);
  if (format == 0xFFFE) {
    put16 (a, 22);
    put16 (a, 16);
    put32 (a, 0);
    put16 (a, 1); /* KSDATAFORMAT_SUBTYPE_PCM */
    put (a, "\0\0\0\0\x10\0\x80\0\0\xaa\0\x38\x9b\x71", 14);
  }
  put (a, "data", 4);
  put32 (a, n * channels * 2 + extra);
  for (guint i = 0; i < n * channels; i++)
    put16 (a, (guint16)samples[i]);
  return a;
}

static GBytes *
parse (GByteArray *a, GError **error)
{
  return mcu_prompt_parse_wav ("test.wav", a->data, a->len, error);
}

static void
check_samples (GBytes *b, const gint16 *want, guint n)
{
  gsize size;
  const gint16 *got = g_bytes_get_data (b, &size);

  g_assert_cmpuint (size, ==, n * sizeof (gint16));
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (got[i], ==, want[i]);
}

static void
test_formats (void)
{
  const gint16 mono[] = { 0, 1000, -1000, 32767, -32768 };
  const gint16 stereo[] = { 100, 300, -32768, -32768, 7, 8 };
  const gint16 down[] = { 200, -32768, 7 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) a = wav (1, 1, 48000, mono, 5, FALSE, 0);
  g_autoptr (GByteArray) b = wav (1, 2, 48000, stereo, 3, TRUE, 0);
  g_autoptr (GByteArray) c = wav (0xFFFE, 1, 48000, mono, 5, TRUE, 0);
  g_autoptr (GByteArray) d = wav (1, 1, 48000, mono, 5, FALSE, 1000);
  g_autoptr (GBytes) ra = parse (a, &error);
  g_autoptr (GBytes) rb = parse (b, &error);
  g_autoptr (GBytes) rc = parse (c, &error);
  g_autoptr (GBytes) rd = parse (d, &error);

  g_assert_no_error (error);
  check_samples (ra, mono, 5);
  check_samples (rb, down, 3);
  check_samples (rc, mono, 5);
  check_samples (rd, mono, 5); /* a truncated file plays what it has */
}

static void
test_refused (void)
{
  /* enough for 3 samples of up to 3 channels */
  const gint16 mono[9] = { 1, 2, 3 };
  struct
  {
    guint16 format, channels;
    guint32 rate;
    guint cut; /* bytes cut off the end */
  } bad[] = {
    { 1, 1, 44100, 0 }, { 1, 1, 8000, 0 }, { 3, 1, 48000, 0 },
    { 1, 3, 48000, 0 }, { 1, 0, 48000, 0 }, { 1, 1, 48000, 14 },
    { 1, 1, 48000, 40 }, /* no data chunk, then no fmt chunk */
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GByteArray) a =
        wav (bad[i].format, bad[i].channels, bad[i].rate, mono, 3, FALSE, 0);
    g_autoptr (GBytes) b = NULL;

    g_byte_array_set_size (a, a->len - bad[i].cut);
    b = parse (a, &error);
    g_assert_null (b);
    g_assert_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PROMPT);
    g_assert_nonnull (strstr (error->message, "test.wav"));
  }
  for (guint len = 0; len < 12; len++) {
    g_autoptr (GError) error = NULL;

    g_assert_null (mcu_prompt_parse_wav (
        "short.wav", (const guint8 *)"RIFF\0\0\0\0WAVE", len, &error));
    g_assert_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PROMPT);
  }
}

static void
test_cache (void)
{
  const gint16 one[] = { 1, 2, 3 };
  const gint16 two[] = { 4, 5, 6, 7 };
  g_autofree gchar *dir = g_dir_make_tmp ("mcu-cache-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "p.wav", NULL);
  g_autoptr (McuPromptCache) cache = mcu_prompt_cache_new ();
  g_autoptr (GByteArray) a = wav (1, 1, 48000, one, 3, FALSE, 0);
  g_autoptr (GByteArray) b = wav (1, 1, 48000, two, 4, FALSE, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) first = NULL, again = NULL, changed = NULL;

  g_assert_true (
      g_file_set_contents (path, (const gchar *)a->data, a->len, NULL));
  first = mcu_prompt_cache_load (cache, path, &error);
  g_assert_no_error (error);
  again = mcu_prompt_cache_load (cache, path, &error);
  g_assert_true (first == again); /* decoded once */
  g_assert_true (
      g_file_set_contents (path, (const gchar *)b->data, b->len, NULL));
  changed = mcu_prompt_cache_load (cache, path, &error);
  g_assert_no_error (error);
  check_samples (changed, two, 4);
  check_samples (first, one, 3); /* still valid where it plays */
  g_unlink (path);
  g_assert_null (mcu_prompt_cache_load (cache, path, &error));
  g_assert_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PROMPT);
  g_clear_error (&error);
  g_assert_null (mcu_prompt_cache_load (cache, dir, &error));
  g_assert_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PROMPT);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/prompt-cache/formats", test_formats);
  g_test_add_func ("/prompt-cache/refused", test_refused);
  g_test_add_func ("/prompt-cache/cache", test_cache);
  return g_test_run ();
}
