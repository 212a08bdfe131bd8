/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A speech signal for the benchmarks and tests: the shipped prompts
 * (the WAV files of prompts/en: espeak-ng speech, 48 kHz mono 16-bit, made by
 * scripts/make-prompts) one after another, with pauses of digital silence
 * between them as a talker's, looped. Plain C (libc only): mcu-loadgen,
 * opus-enc-bench and the unit tests share it.
 *
 * About 28 s of speech and 13 s of pauses (speech in about 68 % of the
 * frames), at the prompts' level minus MCU_SPEECH_GAIN_DB: active speech
 * near -22 dBov, a phone's usual level. */
#pragma once

#include <stddef.h>

#define MCU_SPEECH_RATE    48000
#define MCU_SPEECH_FRAME   960 /* 20 ms */
#define MCU_SPEECH_GAIN_DB (-6.0)

typedef struct
{
  short *pcm;  /* frames * MCU_SPEECH_FRAME samples */
  long frames; /* whole 20 ms frames; the signal loops seamlessly */
} McuSpeech;

/* Loads the speech prompts of @dir (a prompts/en). Returns 0, or -1 with
 * why in @err. */
int mcu_speech_load (const char *dir, McuSpeech *out, char *err, size_t len);

/* Loads one 48 kHz mono 16-bit WAV file whole (e.g. prompts/en/music.wav),
 * padded with silence to whole frames. Returns 0, or -1 with @err. */
int mcu_speech_load_wav (
    const char *path, McuSpeech *out, char *err, size_t len);

void mcu_speech_clear (McuSpeech *s);

/* RFC 6464's level of a frame: its RMS in -dBov, 0 (full scale) .. 127
 * (digital silence). */
int mcu_speech_level (const short *pcm, int n);
