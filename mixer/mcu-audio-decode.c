/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one participant's audio receive chain (see mcu-audio-decode.h). */
#include "mcu-audio-decode.h"
#include "mcu-pad-util-private.h"
#include "mcu-mixer-error.h"
#include "mcu-opus-dec.h"
#include "mcu-rtp-level.h"

#include <gst/rtp/rtp.h>

#define MIX_CAPS \
  "audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved"
#define ADAPT_INTERVAL_S 1
/* seconds below the target, then a step down a second */
#define DOWN_AFTER_TICKS 3
#define DOWN_STEP_MS     10
#define MAX_SHIFT_STEP   (20 * GST_MSECOND)
/* A transit change this large is a new timeline (the sender restarted or
 * jumped), not jitter (as mcujitterbuffer) */
#define MAX_TRANSIT_STEP (1 * GST_SECOND)

typedef struct
{
  const gchar *depay, *decoder;
  gboolean conceal;   /* mcuplc after the decoder */
  gboolean mix_ready; /* the decoder gives MIX_CAPS itself: no converters */
} DecodeInfo;

static const DecodeInfo decode_info[] = {
  [MCU_MEDIA_CODEC_OPUS] = { "rtpopusdepay", "mcuopusdec", FALSE, TRUE },
  [MCU_MEDIA_CODEC_G722] = { "rtpg722depay", "avdec_g722", TRUE, FALSE },
  [MCU_MEDIA_CODEC_PCMU] = { "rtppcmudepay", "mulawdec", TRUE, FALSE },
  [MCU_MEDIA_CODEC_PCMA] = { "rtppcmadepay", "alawdec", TRUE, FALSE },
};

/* The timestamp shift of one caller's packets, shared by the object (main
 * thread) and the probe on the depayloader's src (streaming thread);
 * refcounted: either may go first. */
typedef struct
{
  gint offset_ms;       /* atomic: set on the main thread */
  GstClockTime applied; /* streaming thread only */
  gboolean started;     /* streaming thread only: a buffer went out */
  gboolean injecting;   /* streaming thread only: our own GAP passing */
} Shift;

/* The caller's interarrival jitter, measured on the depayloader's sink
 * (rtpjitterbuffer's thread) from each packet's arrival -- the kernel's
 * receive stamp, its DTS -- and its RTP timestamp; read on the main
 * thread. rtpsession's own figure came out at seconds when this process
 * stalled (150 ms SIGSTOPs: 5-113 s "jitter"), and the depth went to its
 * 200 ms maximum for a machine that was only busy. Refcounted like Shift. */
typedef struct
{
  gint clock_rate;           /* set before the probes */
  gboolean have_prev;        /* streaming thread only */
  GstClockTime prev_arrival; /* streaming thread only */
  guint32 prev_rtp;          /* streaming thread only */
  gdouble jitter;            /* streaming thread only: ns */
  gint jitter_us;            /* atomic: -1 before the second packet */
  gint peak_us; /* atomic: the highest jitter_us since the timer read it */
} Jitter;

struct _McuAudioDecode
{
  GObject parent_instance;

  GstPad *sink;    /* (owned) depay sink */
  GstPad *src;     /* (owned) the capsfilter's (or mcuopusdec's) src */
  GstPad *decoded; /* (owned) the decoder's src */
  Shift *shift;    /* (owned) a reference */
  Jitter *jitter;  /* (owned) a reference */
  guint base_ms;
  guint hold_ms;      /* the decoder's own hold (see decoder_hold_ms) */
  gint clock_rate;    /* the codec's RTP clock */
  GstElement *rtpbin; /* (owned) (nullable) while following the jitter */
  guint adapt_timer;
  guint depth_ms;
  guint below_ticks;
};

G_DEFINE_FINAL_TYPE (McuAudioDecode, mcu_audio_decode, G_TYPE_OBJECT)

static void
mcu_audio_decode_dispose (GObject *object)
{
  McuAudioDecode *self = MCU_AUDIO_DECODE (object);

  g_clear_handle_id (&self->adapt_timer, g_source_remove);
  g_clear_object (&self->rtpbin);
  g_clear_object (&self->sink);
  g_clear_object (&self->src);
  g_clear_object (&self->decoded);
  g_clear_pointer (&self->shift, g_atomic_rc_box_release);
  g_clear_pointer (&self->jitter, g_atomic_rc_box_release);
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

/* Streaming thread (on the depayloader's src): moves this caller's
 * timestamps by the offset; when it grows, the time skipped is announced
 * as a GAP first (20 ms at most per packet), which the decoder (Opus) or
 * mcuplc conceals like a lost packet. GAPs of lost packets move with the
 * buffers. */
static GstPadProbeReturn
on_depay_output (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Shift *shift = user_data;
  GstClockTime offset =
      (GstClockTime)g_atomic_int_get (&shift->offset_ms) * GST_MSECOND;
  GstClockTime ts, duration;

  if ((offset == 0 && shift->applied == 0) || shift->injecting)
    return GST_PAD_PROBE_OK;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

    ts = GST_BUFFER_PTS (buf);
    if (!GST_CLOCK_TIME_IS_VALID (ts))
      return GST_PAD_PROBE_OK;
    /* (before the first buffer there is nothing to conceal) */
    if (!shift->started)
      shift->applied = offset;
    shift->started = TRUE;
    if (offset > shift->applied) {
      /* at most a packet's worth per packet: concealment fades out over
       * 50 ms (spandsp), and each good packet restores it */
      offset = MIN (offset, shift->applied + MAX_SHIFT_STEP);
      shift->injecting = TRUE;
      gst_pad_push_event (pad,
          gst_event_new_gap (ts + shift->applied, offset - shift->applied));
      shift->injecting = FALSE;
    }
    shift->applied = offset;
    buf = gst_buffer_make_writable (buf);
    GST_BUFFER_PTS (buf) = ts + offset;
    GST_PAD_PROBE_INFO_DATA (info) = buf;
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (event) != GST_EVENT_GAP)
      return GST_PAD_PROBE_OK;
    gst_event_parse_gap (event, &ts, &duration);
    if (!GST_CLOCK_TIME_IS_VALID (ts))
      return GST_PAD_PROBE_OK;
    GST_PAD_PROBE_INFO_DATA (info) =
        gst_event_new_gap (ts + shift->applied, duration);
    gst_event_unref (event);
  }
  return GST_PAD_PROBE_OK;
}

/* How long the decoder holds each packet before its audio comes out: the
 * Opus decoder (mcuopusdec, as opusdec) with in-band FEC decodes a packet
 * only once the next one is in (it may carry the redundant copy of a lost
 * one), one packet later; its output keeps the held packet's timestamp.
 * The mixer places an input by its timestamps (mcumixminus' retime), so
 * they are moved this much later too: the audio then reaches the mixer
 * when they say, with the margin the placement leaves, instead of a packet
 * late for it, where any wait of the thread pushing it made it late and
 * the mixer moved the caller later (20-80 ms, for seconds: audio behind
 * video in recordings). */
static guint
decoder_hold_ms (const McuMediaCodecParams *params)
{
  if (params->codec != MCU_MEDIA_CODEC_OPUS || !params->opus_fec)
    return 0;
  return params->ptime ? params->ptime : 20;
}

McuAudioDecode *
mcu_audio_decode_new (GstBin *bin, const McuMediaCodecParams *params,
    guint base_ms, GError **error)
{
  g_autoptr (McuAudioDecode) self = NULL;
  const DecodeInfo *di;
  GstElement *depay, *dec, *plc = NULL, *conv = NULL, *res = NULL, *caps;
  GstPad *src;
  g_autoptr (GstCaps) mix_caps = gst_caps_from_string (MIX_CAPS);

  g_return_val_if_fail (
      (guint)params->codec < G_N_ELEMENTS (decode_info), NULL);
  di = &decode_info[params->codec];
  if (!(depay = mcu_pad_util_make (bin, di->depay, error)) ||
      !(dec = mcu_pad_util_make (bin, di->decoder, error)) ||
      (di->conceal && !(plc = mcu_pad_util_make (bin, "mcuplc", error))))
    return NULL;
  /* (mcuopusdec decodes to the mixer's format: three elements fewer for
   * every packet) */
  if (di->mix_ready)
    caps = dec;
  else if (!(conv = mcu_pad_util_make (bin, "audioconvert", error)) ||
           !(res = mcu_pad_util_make (bin, "audioresample", error)) ||
           !(caps = mcu_pad_util_make (bin, "capsfilter", error)))
    return NULL;
  if (params->codec == MCU_MEDIA_CODEC_OPUS)
    g_object_set (dec, "plc", TRUE, "use-inband-fec", params->opus_fec, NULL);
  if (!di->mix_ready) {
    g_object_set (res, "quality", 4, NULL);
    g_object_set (caps, "caps", mix_caps, NULL);
  }
  if (!gst_element_link (depay, dec) ||
      (!di->mix_ready && (!(plc ? gst_element_link_many (dec, plc, conv, NULL)
                                : gst_element_link (dec, conv)) ||
                             !gst_element_link_many (conv, res, caps, NULL)))) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot link the %s decoder", di->decoder);
    return NULL;
  }
  self = g_object_new (MCU_TYPE_AUDIO_DECODE, NULL);
  self->sink = gst_element_get_static_pad (depay, "sink");
  self->src = gst_element_get_static_pad (caps, "src");
  self->decoded = gst_element_get_static_pad (dec, "src");
  self->base_ms = base_ms;
  self->clock_rate = params->codec == MCU_MEDIA_CODEC_OPUS ? 48000 : 8000;
  self->depth_ms = base_ms;
  self->hold_ms = decoder_hold_ms (params);
  self->shift = g_atomic_rc_box_new0 (Shift);
  self->shift->offset_ms = (gint)self->hold_ms;
  src = gst_element_get_static_pad (depay, "src");
  gst_pad_add_probe (src,
      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      on_depay_output, g_atomic_rc_box_acquire (self->shift),
      (GDestroyNotify)g_atomic_rc_box_release);
  gst_object_unref (src);
  if (params->audio_level_id != 0) /* RFC 6464 levels -> the mixer */
    mcu_rtp_level_watch (self->sink, self->src, params->pt,
        params->audio_level_id, params->audio_level_vad,
        params->codec == MCU_MEDIA_CODEC_OPUS ? (guint)self->clock_rate : 0);
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

guint
mcu_audio_decode_get_depth (McuAudioDecode *self)
{
  return self->depth_ms;
}

guint
mcu_audio_decode_target_depth (guint jitter_ms)
{
  return CLAMP (3 * jitter_ms + 10, MCU_AUDIO_DECODE_MIN_DEPTH,
      MCU_AUDIO_DECODE_MAX_DEPTH);
}

/* Streaming thread (a jitter buffer's input): RFC 3550 6.4.1
 * J += (|D| - J) / 16, D from arrival (DTS, mcurtpsrc's) and RTP
 * timestamps. */
static GstPadProbeReturn
on_jitter_buffer_input (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Jitter *j = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstClockTime arrival = GST_BUFFER_DTS (buf);
  guint32 ts;

  if (j->clock_rate <= 0 || !GST_CLOCK_TIME_IS_VALID (arrival) ||
      !gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  ts = gst_rtp_buffer_get_timestamp (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  if (j->have_prev) {
    gdouble d =
        (gdouble)((GstClockTimeDiff)arrival -
                  (GstClockTimeDiff)j->prev_arrival) -
        (gdouble)(gint32)(ts - j->prev_rtp) * GST_SECOND / j->clock_rate;

    if (ABS (d) < (gdouble)MAX_TRANSIT_STEP) {
      gint us, peak;

      j->jitter += (ABS (d) - j->jitter) / 16.0;
      us = (gint)(j->jitter / GST_USECOND);
      peak = g_atomic_int_get (&j->peak_us);

      g_atomic_int_set (&j->jitter_us, us);
      /* only the timer lowers it (to -1): a lost race there only misses
       * one packet's figure */
      while (us > peak && !g_atomic_int_compare_and_exchange_full (
                              &j->peak_us, peak, us, &peak))
        ;
    }
  }
  j->have_prev = TRUE;
  j->prev_arrival = arrival;
  j->prev_rtp = ts;
  return GST_PAD_PROBE_OK;
}

static void
release_jitter (gpointer data, GClosure *closure)
{
  g_atomic_rc_box_release (data);
}

/* rtpbin's new jitter buffer (a streaming thread, or the main thread). */
static void
on_new_jitter_buffer (GstElement *rtpbin, GstElement *jb, guint session,
    guint ssrc, gpointer data)
{
  g_autoptr (GstPad) sink = gst_element_get_static_pad (jb, "sink");

  if (sink)
    gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, on_jitter_buffer_input,
        g_atomic_rc_box_acquire (data),
        (GDestroyNotify)g_atomic_rc_box_release);
}

/* The caller's interarrival jitter (ms), or -1 before its first packets. */
static gint
read_jitter_ms (McuAudioDecode *self)
{
  gint us = self->jitter ? g_atomic_int_get (&self->jitter->jitter_us) : -1;

  return us < 0 ? -1 : us / 1000;
}

gint
mcu_audio_decode_get_jitter (McuAudioDecode *self)
{
  return read_jitter_ms (self);
}

/* The mixer places a caller's audio by its timestamps, which
 * rtpjitterbuffer sets to the packets' arrival (mcumixminus' retime): they
 * are moved the whole depth later, so that a packet it held that long
 * (waiting for a lost one before it) still comes in time. (They used to
 * move only by the depth above jitter-latency, and the mixer's placement
 * happened to include the first packet's wait: 60 ms more for everyone
 * in some rooms and not in others.) */
static void
apply_depth (McuAudioDecode *self, guint depth_ms)
{
  if (depth_ms == self->depth_ms)
    return;
  g_debug ("jitter buffer %u -> %u ms", self->depth_ms, depth_ms);
  self->depth_ms = depth_ms;
  g_object_set (self->rtpbin, "latency", depth_ms, NULL);
  g_atomic_int_set (&self->shift->offset_ms, (gint)(depth_ms + self->hold_ms));
}

/* The highest jitter (ms) since the last call, or the current figure when
 * no packet came in between; -1 before the caller's first packets. */
static gint
take_peak_jitter_ms (McuAudioDecode *self)
{
  gint us;

  if (self->jitter == NULL)
    return -1;
  us = g_atomic_int_exchange (&self->jitter->peak_us, -1);
  if (us < 0)
    us = g_atomic_int_get (&self->jitter->jitter_us);
  return us < 0 ? -1 : us / 1000;
}

/* Once a second, as mcujitterbuffer does at every packet: up to the target
 * at once, from the second's highest jitter (a figure read once a second
 * dips below the jitter a moment later: 20-32 ms for a steady 0..80 ms,
 * and the depth followed the dips below the jitter it should cover); down
 * a step only after DOWN_AFTER_TICKS seconds all more than half a step
 * below. */
static gboolean
on_adapt_timer (gpointer user_data)
{
  McuAudioDecode *self = user_data;
  gint jitter = take_peak_jitter_ms (self);
  guint target;

  if (jitter < 0)
    return G_SOURCE_CONTINUE;
  target = mcu_audio_decode_target_depth ((guint)jitter);
  if (target >= self->depth_ms) {
    self->below_ticks = 0;
    apply_depth (self, target);
  } else if (target + DOWN_STEP_MS / 2 >= self->depth_ms) {
    self->below_ticks = 0;
  } else if (++self->below_ticks >= DOWN_AFTER_TICKS) {
    apply_depth (self, MAX (target, self->depth_ms - DOWN_STEP_MS));
  }
  return G_SOURCE_CONTINUE;
}

void
mcu_audio_decode_follow_jitter (McuAudioDecode *self, GstElement *rtpbin)
{
  g_return_if_fail (MCU_IS_AUDIO_DECODE (self));
  g_clear_handle_id (&self->adapt_timer, g_source_remove);
  g_set_object (&self->rtpbin, rtpbin);
  g_atomic_int_set (
      &self->shift->offset_ms, (gint)(self->depth_ms + self->hold_ms));
  if (self->jitter == NULL) {
    g_autoptr (GstIterator) it = gst_bin_iterate_elements (GST_BIN (rtpbin));
    GValue item = G_VALUE_INIT;

    self->jitter = g_atomic_rc_box_new0 (Jitter);
    self->jitter->jitter_us = -1;
    self->jitter->peak_us = -1;
    self->jitter->clock_rate = self->clock_rate;
    /* the caller's jitter buffers, now and later (one per SSRC) */
    g_signal_connect_data (rtpbin, "new-jitterbuffer",
        G_CALLBACK (on_new_jitter_buffer),
        g_atomic_rc_box_acquire (self->jitter), release_jitter, 0);
    while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
      GstElement *e = g_value_get_object (&item);

      if (g_str_has_prefix (GST_OBJECT_NAME (e), "rtpjitterbuffer"))
        on_new_jitter_buffer (rtpbin, e, 0, 0, self->jitter);
      g_value_reset (&item);
    }
    g_value_unset (&item);
  }
  /* (not g_timeout_add_seconds: it runs every caller's timer in the same
   * wake-up, and the callers who joined in one second stepped their depths
   * in one go) */
  self->adapt_timer =
      g_timeout_add (ADAPT_INTERVAL_S * 1000, on_adapt_timer, self);
}

guint64
mcu_audio_decode_get_silence_skipped (McuAudioDecode *self)
{
  g_autoptr (GstElement) dec = gst_pad_get_parent_element (self->decoded);

  /* only mcuopusdec skips known silence (G.711/G.722 decode is cheap) */
  return MCU_IS_OPUS_DEC (dec)
             ? mcu_opus_dec_get_silence_skipped (MCU_OPUS_DEC (dec))
             : 0;
}

guint64
mcu_audio_decode_get_unmixed_skipped (McuAudioDecode *self)
{
  g_autoptr (GstElement) dec = gst_pad_get_parent_element (self->decoded);

  return MCU_IS_OPUS_DEC (dec)
             ? mcu_opus_dec_get_unmixed_skipped (MCU_OPUS_DEC (dec))
             : 0;
}
