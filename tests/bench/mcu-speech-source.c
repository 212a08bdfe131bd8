/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A speech signal from the shipped prompts (see mcu-speech-source.h). */
#include "mcu-speech-source.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The prompts that are speech (not the chimes, the music or silence), in
 * this order; the pause after each in ms (a talker's, 240..1000). */
static const struct
{
  const char *name;
  int pause_ms;
} prompts[] = {
  { "welcome", 600 },
  { "enter-pin", 400 },
  { "wrong-pin", 900 },
  { "goodbye", 300 },
  { "locked", 700 },
  { "only-participant", 500 },
  { "muted", 240 },
  { "unmuted", 800 },
  { "ends-in-1-minute", 400 },
  { "ends-in-5-minutes", 1000 },
  { "ends-in-10-minutes", 300 },
  { "meeting-ended", 600 },
  { "meeting-extended", 500 },
  { "moderator-joined", 700 },
  { "waiting-for-moderator", 260 },
  { "recording-started", 900 },
  { "room-locked-now", 400 },
  { "room-unlocked-now", 600 },
  { "all-muted", 800 },
};

static uint32_t
le32 (const unsigned char *p)
{
  return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The samples of a 48 kHz mono s16le PCM WAV file (malloc'ed), or NULL. */
static short *
read_wav (const char *path, long *n, char *err, size_t len)
{
  FILE *f = fopen (path, "rb");
  unsigned char hdr[12], ck[8], fmt[16];
  int have_fmt = 0;
  short *pcm = NULL;

  if (f == NULL) {
    snprintf (err, len, "%s: cannot open", path);
    return NULL;
  }
  if (fread (hdr, 1, 12, f) != 12 || memcmp (hdr, "RIFF", 4) ||
      memcmp (hdr + 8, "WAVE", 4))
    goto bad;
  while (fread (ck, 1, 8, f) == 8) {
    uint32_t size = le32 (ck + 4);

    if (!memcmp (ck, "fmt ", 4) && size >= 16) {
      if (fread (fmt, 1, 16, f) != 16 ||
          fseek (f, (long)(size - 16 + (size & 1)), SEEK_CUR) != 0)
        goto bad;
      /* PCM, 1 channel, 48000 Hz, 16 bits */
      if (fmt[0] != 1 || fmt[1] || fmt[2] != 1 || fmt[3] ||
          le32 (fmt + 4) != MCU_SPEECH_RATE || fmt[14] != 16)
        goto bad;
      have_fmt = 1;
    } else if (!memcmp (ck, "data", 4) && have_fmt) {
      *n = size / 2;
      pcm = malloc ((size_t)*n * sizeof *pcm + 1);
      if (pcm == NULL || fread (pcm, 2, (size_t)*n, f) != (size_t)*n)
        goto bad;
      fclose (f);
      return pcm; /* (x86 and ARM: the host is little-endian) */
    } else if (fseek (f, (long)(size + (size & 1)), SEEK_CUR) != 0) {
      goto bad;
    }
  }
bad:
  snprintf (err, len, "%s: not a 48 kHz mono 16-bit PCM WAV file", path);
  free (pcm);
  fclose (f);
  return NULL;
}

int
mcu_speech_load (const char *dir, McuSpeech *out, char *err, size_t len)
{
  size_t n_prompts = sizeof prompts / sizeof prompts[0];
  short *clip[sizeof prompts / sizeof prompts[0]] = { NULL };
  long clip_n[sizeof prompts / sizeof prompts[0]];
  long total = 0, at = 0;
  double gain = pow (10, MCU_SPEECH_GAIN_DB / 20);
  int ret = -1;

  memset (out, 0, sizeof *out);
  for (size_t i = 0; i < n_prompts; i++) {
    char path[4096];

    snprintf (path, sizeof path, "%s/%s.wav", dir, prompts[i].name);
    clip[i] = read_wav (path, &clip_n[i], err, len);
    if (clip[i] == NULL)
      goto done;
    total += clip_n[i] + (long)prompts[i].pause_ms * MCU_SPEECH_RATE / 1000;
  }
  out->frames = (total + MCU_SPEECH_FRAME - 1) / MCU_SPEECH_FRAME;
  out->pcm = calloc ((size_t)out->frames * MCU_SPEECH_FRAME, sizeof *out->pcm);
  if (out->pcm == NULL) {
    snprintf (err, len, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < n_prompts; i++) {
    for (long k = 0; k < clip_n[i]; k++)
      out->pcm[at + k] = (short)lrint (clip[i][k] * gain);
    at += clip_n[i] + (long)prompts[i].pause_ms * MCU_SPEECH_RATE / 1000;
  }
  ret = 0;
done:
  for (size_t i = 0; i < n_prompts; i++)
    free (clip[i]);
  return ret;
}

int
mcu_speech_load_wav (const char *path, McuSpeech *out, char *err, size_t len)
{
  long n;
  short *pcm = read_wav (path, &n, err, len);

  memset (out, 0, sizeof *out);
  if (pcm == NULL)
    return -1;
  out->frames = (n + MCU_SPEECH_FRAME - 1) / MCU_SPEECH_FRAME;
  out->pcm = calloc ((size_t)out->frames * MCU_SPEECH_FRAME, sizeof *out->pcm);
  if (out->pcm == NULL) {
    free (pcm);
    snprintf (err, len, "out of memory");
    return -1;
  }
  memcpy (out->pcm, pcm, (size_t)n * sizeof *pcm);
  free (pcm);
  return 0;
}

void
mcu_speech_clear (McuSpeech *s)
{
  free (s->pcm);
  s->pcm = NULL;
  s->frames = 0;
}

int
mcu_speech_level (const short *pcm, int n)
{
  double sum = 0, dbov;

  for (int i = 0; i < n; i++)
    sum += (double)pcm[i] * pcm[i];
  if (sum == 0)
    return 127;
  dbov = 10 * log10 (sum / n / (32768.0 * 32768.0));
  return dbov >= 0 ? 0 : dbov <= -127 ? 127 : (int)lrint (-dbov);
}
