/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one participant's audio receive chain (see mcu-audio-decode.h). */
#include "mcu-audio-decode.h"
#include "mcu-pad-util-private.h"
#include "mcu-mixer-error.h"

#define MIX_CAPS \
  "audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved"

typedef struct
{
  const gchar *depay, *decoder;
  gboolean conceal; /* mcuplc after the decoder */
} DecodeInfo;

static const DecodeInfo decode_info[] = {
  [MCU_MEDIA_CODEC_OPUS] = { "rtpopusdepay", "opusdec", FALSE },
  [MCU_MEDIA_CODEC_G722] = { "rtpg722depay", "avdec_g722", TRUE },
  [MCU_MEDIA_CODEC_PCMU] = { "rtppcmudepay", "mulawdec", TRUE },
  [MCU_MEDIA_CODEC_PCMA] = { "rtppcmadepay", "alawdec", TRUE },
};

struct _McuAudioDecode
{
  GObject parent_instance;

  GstPad *sink;    /* (owned) depay sink */
  GstPad *src;     /* (owned) the capsfilter's src */
  GstPad *decoded; /* (owned) the decoder's src */
};

G_DEFINE_FINAL_TYPE (McuAudioDecode, mcu_audio_decode, G_TYPE_OBJECT)

static void
mcu_audio_decode_dispose (GObject *object)
{
  McuAudioDecode *self = MCU_AUDIO_DECODE (object);

  g_clear_object (&self->sink);
  g_clear_object (&self->src);
  g_clear_object (&self->decoded);
  G_OBJECT_CLASS (mcu_audio_decode_parent_class)->dispose (object);
}

static void
mcu_audio_decode_class_init (McuAudioDecodeClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = mcu_audio_decode_dispose;
}

static void
mcu_audio_decode_init (McuAudioDecode *self)
{
}

McuAudioDecode *
mcu_audio_decode_new (
    GstBin *bin, const McuMediaCodecParams *params, GError **error)
{
  g_autoptr (McuAudioDecode) self = NULL;
  const DecodeInfo *di;
  GstElement *depay, *dec, *plc = NULL, *conv, *res, *caps;
  g_autoptr (GstCaps) mix_caps = gst_caps_from_string (MIX_CAPS);

  g_return_val_if_fail (
      (guint)params->codec < G_N_ELEMENTS (decode_info), NULL);
  di = &decode_info[params->codec];
  if (!(depay = mcu_pad_util_make (bin, di->depay, error)) ||
      !(dec = mcu_pad_util_make (bin, di->decoder, error)) ||
      (di->conceal && !(plc = mcu_pad_util_make (bin, "mcuplc", error))) ||
      !(conv = mcu_pad_util_make (bin, "audioconvert", error)) ||
      !(res = mcu_pad_util_make (bin, "audioresample", error)) ||
      !(caps = mcu_pad_util_make (bin, "capsfilter", error)))
    return NULL;
  if (params->codec == MCU_MEDIA_CODEC_OPUS)
    g_object_set (dec, "plc", TRUE, "use-inband-fec", params->opus_fec, NULL);
  g_object_set (res, "quality", 4, NULL);
  g_object_set (caps, "caps", mix_caps, NULL);
  if (!gst_element_link (depay, dec) ||
      !(plc ? gst_element_link_many (dec, plc, conv, NULL)
            : gst_element_link (dec, conv)) ||
      !gst_element_link_many (conv, res, caps, NULL)) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot link the %s decoder", di->decoder);
    return NULL;
  }
  self = g_object_new (MCU_TYPE_AUDIO_DECODE, NULL);
  self->sink = gst_element_get_static_pad (depay, "sink");
  self->src = gst_element_get_static_pad (caps, "src");
  self->decoded = gst_element_get_static_pad (dec, "src");
  return g_steal_pointer (&self);
}

GstPad *
mcu_audio_decode_get_sink (McuAudioDecode *self)
{
  return self->sink;
}

GstPad *
mcu_audio_decode_get_src (McuAudioDecode *self)
{
  return self->src;
}

GstPad *
mcu_audio_decode_get_decoded (McuAudioDecode *self)
{
  return self->decoded;
}
