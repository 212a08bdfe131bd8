/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: prompt audio decoded once and kept in memory, shared by the rooms. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define MCU_TYPE_PROMPT_CACHE (mcu_prompt_cache_get_type ())
G_DECLARE_FINAL_TYPE (
    McuPromptCache, mcu_prompt_cache, MCU, PROMPT_CACHE, GObject)

/* Largest prompt file accepted (bytes), and how much decoded audio the
 * cache keeps (least recently used files are dropped first; a dropped
 * file still plays where it is playing: its GBytes are referenced). */
#define MCU_PROMPT_MAX_FILE_BYTES (16 * 1024 * 1024)
#define MCU_PROMPT_CACHE_BYTES    (32 * 1024 * 1024)

McuPromptCache *mcu_prompt_cache_new (void);

/* (transfer full) The samples of the WAV file @path (PCM, 16 bit, 48 kHz,
 * mono or stereo: stereo is mixed down) as S16LE mono 48 kHz. A file whose
 * size or modification time changed is read again. Main thread. */
GBytes *mcu_prompt_cache_load (
    McuPromptCache *self, const gchar *path, GError **error);

/* The samples of WAV file contents @data (@path names it in errors). */
GBytes *mcu_prompt_parse_wav (
    const gchar *path, const guint8 *data, gsize len, GError **error);

/* Reads and converts @path without a cache (also for tests). */
GBytes *mcu_prompt_read_wav (const gchar *path, GError **error);

G_END_DECLS
