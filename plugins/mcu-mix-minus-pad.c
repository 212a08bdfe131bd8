/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuMixMinusPad, the sink_%u pads of mcumixminus and their properties
 * (mute, volume). Setters run on any thread, under the pad's object lock;
 * the aggregator task reads them under the same lock (see mcu-mix-minus.c). */
#include "mcu-mix-minus-private.h"

enum
{
  PROP_PAD_0,
  PROP_PAD_MUTE,
  PROP_PAD_VOLUME,
};

#define DEFAULT_PAD_MUTE   FALSE
#define DEFAULT_PAD_VOLUME 1.0
#define MAX_PAD_VOLUME     10.0

G_DEFINE_FINAL_TYPE (
    McuMixMinusPad, mcu_mix_minus_pad, GST_TYPE_AUDIO_AGGREGATOR_PAD)

static void
mcu_mix_minus_pad_get_property (
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  McuMixMinusPad *pad = MCU_MIX_MINUS_PAD (object);

  GST_OBJECT_LOCK (pad);
  switch (prop_id) {
    case PROP_PAD_MUTE:
      g_value_set_boolean (value, pad->mute);
      break;
    case PROP_PAD_VOLUME:
      g_value_set_double (value, pad->volume);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (pad);
}

static void
mcu_mix_minus_pad_set_property (
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  McuMixMinusPad *pad = MCU_MIX_MINUS_PAD (object);

  GST_OBJECT_LOCK (pad);
  switch (prop_id) {
    case PROP_PAD_MUTE:
      pad->mute = g_value_get_boolean (value);
      break;
    case PROP_PAD_VOLUME:
      pad->volume = g_value_get_double (value);
      pad->gain = mcu_mix_kernel_gain_from_volume (pad->volume);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (pad);
}

static void
mcu_mix_minus_pad_finalize (GObject *object)
{
  McuMixMinusPad *pad = MCU_MIX_MINUS_PAD (object);

  gst_clear_object (&pad->srcpad);
  g_clear_pointer (&pad->own, g_free);

  G_OBJECT_CLASS (mcu_mix_minus_pad_parent_class)->finalize (object);
}

static void
mcu_mix_minus_pad_class_init (McuMixMinusPadClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags =
      G_PARAM_READWRITE | GST_PARAM_CONTROLLABLE | G_PARAM_STATIC_STRINGS;

  gobject_class->get_property = mcu_mix_minus_pad_get_property;
  gobject_class->set_property = mcu_mix_minus_pad_set_property;
  gobject_class->finalize = mcu_mix_minus_pad_finalize;

  g_object_class_install_property (gobject_class, PROP_PAD_MUTE,
      g_param_spec_boolean ("mute", "Mute",
          "Contribute nothing to the other outputs (this pad's own output "
          "keeps flowing)",
          DEFAULT_PAD_MUTE, flags));
  g_object_class_install_property (gobject_class, PROP_PAD_VOLUME,
      g_param_spec_double ("volume", "Volume",
          "Gain applied to this pad's contribution", 0.0, MAX_PAD_VOLUME,
          DEFAULT_PAD_VOLUME, flags));
}

static void
mcu_mix_minus_pad_init (McuMixMinusPad *pad)
{
  pad->mute = DEFAULT_PAD_MUTE;
  pad->volume = DEFAULT_PAD_VOLUME;
  pad->gain = mcu_mix_kernel_gain_from_volume (DEFAULT_PAD_VOLUME);
  mcu_mix_kernel_limiter_init (&pad->limiter);
  pad->last_flow = GST_FLOW_OK;
}
