/* SPDX-License-Identifier: LGPL-2.1-or-later
 * libFuzzer target for the prompt WAV reader (mixer/mcu-prompt-cache.c):
 * any file an operator drops into a prompt directory. A result must hold
 * whole samples; an error must be MCU_MIXER_ERROR_PROMPT. Any GLib warning
 * or critical aborts. */
#include "mcu-mixer-error.h"
#include "mcu-prompt-cache.h"

#include <stdint.h>
#include <stdlib.h>

/* defined with the rest of mixer/ in mcu-port-pool.c, not built in here */
G_DEFINE_QUARK (mcu - mixer - error - quark, mcu_mixer_error)

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_always_fatal (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) samples =
      mcu_prompt_parse_wav ("fuzz.wav", data, size, &error);

  if (samples == NULL) {
    if (!g_error_matches (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PROMPT))
      abort ();
    return 0;
  }
  if (error != NULL || g_bytes_get_size (samples) % 2 != 0 ||
      g_bytes_get_size (samples) > size)
    abort ();
  return 0;
}
