/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a shared AAC encode of a room's full mix (see mcu-audio-encode.h).
 *
 *   mix tap -> appsrc -> queue -> audioconvert -> audioresample -> avenc_aac
 *     -> aacparse -> appsink -> taps
 *
 * Time (mcu-tap-pipeline-private.h): the appsink hands each AAC frame out
 * with the time of its first sample in the mix.
 *
 * Threads: the mix tap pushes into the appsrc (thread-safe); the taps run
 * on the appsink's streaming thread; everything else on the main thread. */
#include "mcu-audio-encode.h"
#include "mcu-mixer-error.h"
#include "mcu-tap-pipeline-private.h"

struct _McuAudioEncode
{
  GObject parent_instance;

  McuAudioMix *mix;
  McuTapPipeline tp; /* fed the mix */
  guint mix_tap;
  McuMixTaps *taps;
};

G_DEFINE_FINAL_TYPE (McuAudioEncode, mcu_audio_encode, G_TYPE_OBJECT)

enum
{
  SIGNAL_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
stop (McuAudioEncode *self)
{
  if (self->mix_tap)
    mcu_audio_mix_remove_tap (self->mix, self->mix_tap);
  self->mix_tap = 0;
  mcu_tap_pipeline_stop (&self->tp);
}

static void
mcu_audio_encode_dispose (GObject *object)
{
  McuAudioEncode *self = MCU_AUDIO_ENCODE (object);

  stop (self);
  g_clear_object (&self->mix);
  G_OBJECT_CLASS (mcu_audio_encode_parent_class)->dispose (object);
}

static void
mcu_audio_encode_finalize (GObject *object)
{
  McuAudioEncode *self = MCU_AUDIO_ENCODE (object);

  mcu_mix_taps_free (self->taps);
  mcu_tap_pipeline_clear (&self->tp);
  G_OBJECT_CLASS (mcu_audio_encode_parent_class)->finalize (object);
}

static void
mcu_audio_encode_class_init (McuAudioEncodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_audio_encode_dispose;
  object_class->finalize = mcu_audio_encode_finalize;
  signals[SIGNAL_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

/* its pipeline failed (the main thread) */
static void
on_failed (gpointer data, const gchar *message)
{
  McuAudioEncode *self = data;

  g_object_ref (self);
  stop (self);
  g_signal_emit (self, signals[SIGNAL_FAILED], 0, message);
  g_object_unref (self);
}

static void
mcu_audio_encode_init (McuAudioEncode *self)
{
  self->taps = mcu_mix_taps_new ();
  mcu_tap_pipeline_init (&self->tp, "the AAC encode", on_failed, self);
}

static gboolean
build (McuAudioEncode *self, guint bitrate, GError **error)
{
  static const gchar *const factories[] = { "queue", "audioconvert",
    "audioresample", "avenc_aac", "aacparse" };
  GstElement *c[G_N_ELEMENTS (factories) + 2];

  /* appsrc -> the factories -> appsink */
  if (!mcu_tap_pipeline_new (&self->tp, "aac-encode", error))
    return FALSE;
  c[0] = self->tp.src;
  for (guint i = 0; i < G_N_ELEMENTS (factories); i++)
    if (!(c[i + 1] = mcu_tap_pipeline_add (&self->tp, factories[i], error)))
      return FALSE;
  c[G_N_ELEMENTS (c) - 1] = mcu_mix_taps_make_sink (self->taps, NULL);
  gst_bin_add (GST_BIN (self->tp.pipeline), c[G_N_ELEMENTS (c) - 1]);
  g_object_set (c[4], "bitrate", (gint)bitrate, NULL);
  for (guint i = 0; i + 1 < G_N_ELEMENTS (c); i++)
    if (!gst_element_link (c[i], c[i + 1])) {
      g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
          "cannot link the AAC encode");
      return FALSE;
    }
  return mcu_tap_pipeline_start (&self->tp, error);
}

McuAudioEncode *
mcu_audio_encode_new (McuAudioMix *mix, guint bitrate, GError **error)
{
  g_autoptr (McuAudioEncode) self = g_object_new (MCU_TYPE_AUDIO_ENCODE, NULL);

  self->mix = g_object_ref (mix);
  if (!build (self, bitrate, error))
    return NULL;
  /* the full mix (the room's streaming thread) into the appsrc */
  self->mix_tap =
      mcu_audio_mix_add_tap (mix, mcu_tap_pipeline_on_tap, &self->tp, NULL);
  return g_steal_pointer (&self);
}

McuAudioMix *
mcu_audio_encode_get_mix (McuAudioEncode *self)
{
  return self->mix;
}

guint
mcu_audio_encode_add_tap (McuAudioEncode *self, McuMixTapFunc func,
    gpointer data, GDestroyNotify destroy)
{
  return mcu_mix_taps_add (self->taps, func, data, destroy);
}

void
mcu_audio_encode_remove_tap (McuAudioEncode *self, guint id)
{
  mcu_mix_taps_remove (self->taps, id);
}

guint
mcu_audio_encode_get_n_taps (McuAudioEncode *self)
{
  return mcu_mix_taps_get_n (self->taps);
}
