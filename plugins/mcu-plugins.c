/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mcu-plugins.h"

#include "mcu-mix-minus.h"
#include "mcu-opus-dec.h"
#include "mcu-opus-enc.h"
#include "mcu-plc.h"
#include "mcu-rtp-src.h"
#include "mcu-jitter-buffer.h"

gboolean
mcu_plugins_register (void)
{
  /* gst_element_register() updates an existing static feature with the
   * same type and returns TRUE, so a second call is harmless. */
  return mcu_mix_minus_register (NULL) && mcu_opus_enc_register (NULL) &&
         mcu_plc_register (NULL) && mcu_rtp_src_register (NULL) &&
         mcu_jitter_buffer_register (NULL) && mcu_opus_dec_register (NULL);
}
