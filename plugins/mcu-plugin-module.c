/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: the loadable plugin `mcu` (libgstmcu.so), for gst-inspect-1.0 and
 * gst-launch-1.0 with GST_PLUGIN_PATH=<build>/plugins. The daemon and the
 * tests register the same elements statically with mcu_plugins_register(). */
#include "mcu-build-config.h"

/* GST_PLUGIN_DEFINE names the source module after PACKAGE. */
#define PACKAGE "mcu"

#include "mcu-mix-minus.h"
#include "mcu-opus-dec.h"
#include "mcu-opus-enc.h"
#include "mcu-plc.h"
#include "mcu-rtp-src.h"
#include "mcu-jitter-buffer.h"

static gboolean
plugin_init (GstPlugin *plugin)
{
  return mcu_mix_minus_register (plugin) && mcu_opus_enc_register (plugin) &&
         mcu_plc_register (plugin) && mcu_rtp_src_register (plugin) &&
         mcu_jitter_buffer_register (plugin) && mcu_opus_dec_register (plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, mcu,
    "mcu conference server elements", plugin_init, MCU_VERSION, "LGPL", "mcu",
    "mcu")
