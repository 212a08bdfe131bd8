/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: one participant's media: its codec chains around its RTP transport
 * (McuRtpEndpoint, mcu-rtp-endpoint.c: sockets, latching, SRTP, RTCP,
 * jitter buffer, counters).
 *
 * Threads: the object is created, configured and destroyed on the main
 * thread. On streaming threads run the endpoint's own work (see the top of
 * mcu-rtp-endpoint.c), the deaf and hold probes on the encode chain (they
 * read `deaf` atomically) and the key presses (mcu-media-dtmf.c, its own
 * lock), which come out as the "dtmf" signal on the main loop. Nothing here
 * touches rooms or SIP.
 *
 * The bin:
 *   transport(rtp_src) -> McuAudioDecode (depay -> decoder -> loss
 *   concealment -> convert/resample, mcu-audio-decode.c) -> mix_out
 *   mix_in -> [resample] -> encoder -> payloader -> transport(rtp_sink)
 * DTMF out: McuDtmfSender (mcu-dtmf-sender.c, its own lock) probes the
 * payloader's src and swaps audio packets for RFC 4733 events; a finished
 * request comes back on the main thread as "dtmf-sent". DTMF in is read on
 * the endpoint's decrypted RTP input, after latching dropped strays.
 * Fan-out (mcu-media-fanout.c): with Opus at 20 ms (mcuopusenc) and a
 * transport without rtpbin and SRTP, the room's shared frames skip the
 * encode chain (mcu_media_session_fan_out): their packets are made from
 * the shared encode and sent at once, in one RTP stream with the chain's.
 */
#include "mcu-media-session.h"
#include "mcu-pad-util-private.h"
#include "mcu-audio-decode.h"
#include "mcu-dtmf-tx.h"
#include "mcu-dtmf-sender-private.h"
#include "mcu-media-dtmf.h"
#include "mcu-media-fanout-private.h"
#include "mcu-rtp-endpoint.h"
#include "mcu-mix-minus.h"

#include <string.h>

typedef struct
{
  const gchar *encoding_name;
  guint clock_rate;
  guint codec_rate;           /* sample rate of the encoder/decoder */
  const gchar *encoder, *pay; /* receive: mcu-audio-decode.c */
} CodecInfo;

static const CodecInfo codec_info[] = {
  [MCU_MEDIA_CODEC_OPUS] = { "OPUS", 48000, 48000, "opusenc", "rtpopuspay" },
  [MCU_MEDIA_CODEC_G722] = { "G722", 8000, 16000, "avenc_g722", "rtpg722pay" },
  [MCU_MEDIA_CODEC_PCMU] = { "PCMU", 8000, 8000, "mulawenc", "rtppcmupay" },
  [MCU_MEDIA_CODEC_PCMA] = { "PCMA", 8000, 8000, "alawenc", "rtppcmapay" },
};

struct _McuMediaSession
{
  GObject parent_instance;

  McuRtpEndpoint *endpoint; /* sockets, latching, SRTP, RTCP, counters */
  guint jitter_latency;     /* ms */
  McuMediaCodecParams params;
  gboolean have_params;

  GstElement *bin;
  GstElement *transport;  /* (transfer none) the endpoint's, in bin */
  McuAudioDecode *decode; /* the receive codec chain */
  GstElement *encoder;    /* (transfer none) in bin */
  GstPad *encode_sink;    /* first pad of the encode chain (hold probe) */
  gulong hold_probe;
  gulong deaf_probe;
  gboolean sending;
  gint deaf; /* atomic: replace what we send with silence */

  McuMediaDtmf *dtmf;      /* keys in */
  McuDtmfSender *dtmf_out; /* keys out (its own lock) */
  McuMediaFanout *fanout;  /* (nullable) the bin's, see build_fanout */
};

G_DEFINE_FINAL_TYPE (McuMediaSession, mcu_media_session, G_TYPE_OBJECT)

enum
{
  SIGNAL_DTMF_SENT,
  SIGNAL_DTMF,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
mcu_media_session_dispose (GObject *object)
{
  McuMediaSession *self = MCU_MEDIA_SESSION (object);

  mcu_media_session_reset_bin (self);
  g_clear_object (&self->endpoint);
  G_OBJECT_CLASS (mcu_media_session_parent_class)->dispose (object);
}

static void
mcu_media_session_finalize (GObject *object)
{
  McuMediaSession *self = MCU_MEDIA_SESSION (object);

  mcu_dtmf_sender_free (self->dtmf_out);
  g_clear_pointer (&self->dtmf, mcu_media_dtmf_free);
  G_OBJECT_CLASS (mcu_media_session_parent_class)->finalize (object);
}

static void
mcu_media_session_class_init (McuMediaSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_media_session_dispose;
  object_class->finalize = mcu_media_session_finalize;
  signals[SIGNAL_DTMF_SENT] =
      g_signal_new ("dtmf-sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_DTMF] =
      g_signal_new ("dtmf", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
          NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
on_dtmf (GObject *owner, const gchar *digit, const gchar *method)
{
  g_signal_emit (owner, signals[SIGNAL_DTMF], 0, digit, method);
}

static void on_dtmf_done (GObject *owner, const gchar *digits);

static void
mcu_media_session_init (McuMediaSession *self)
{
  self->sending = TRUE;
  self->dtmf_out = mcu_dtmf_sender_new (on_dtmf_done, G_OBJECT (self));
  self->dtmf = mcu_media_dtmf_new (G_OBJECT (self), on_dtmf);
}

McuMediaSession *
mcu_media_session_new (McuPortPool *pool, guint jitter_latency, GError **error)
{
  g_autoptr (McuMediaSession) self =
      g_object_new (MCU_TYPE_MEDIA_SESSION, NULL);

  self->endpoint = mcu_rtp_endpoint_new (pool, jitter_latency, error);
  if (self->endpoint == NULL)
    return NULL;
  self->jitter_latency = jitter_latency;
  return g_steal_pointer (&self);
}

guint
mcu_media_session_get_rtp_port (McuMediaSession *self)
{
  return mcu_rtp_endpoint_get_rtp_port (self->endpoint);
}

guint
mcu_media_session_get_rtcp_port (McuMediaSession *self)
{
  return mcu_rtp_endpoint_get_rtcp_port (self->endpoint);
}

GstElement *
mcu_media_session_get_bin (McuMediaSession *self)
{
  return self->bin;
}

void
mcu_media_session_set_latency (McuMediaSession *self, GstClockTime latency)
{
  mcu_rtp_endpoint_set_latency (self->endpoint, latency);
}

GstElement *
mcu_media_session_get_encoder (McuMediaSession *self)
{
  return self->encoder;
}

gboolean
mcu_media_session_codec_equal (
    McuMediaSession *self, const McuMediaCodecParams *params)
{
  return self->have_params &&
         memcmp (&self->params, params, sizeof *params) == 0;
}

gint64
mcu_media_session_get_idle_time (McuMediaSession *self)
{
  return mcu_rtp_endpoint_get_idle_time (self->endpoint);
}

void
mcu_media_session_set_deaf (McuMediaSession *self, gboolean deaf)
{
  g_atomic_int_set (&self->deaf, !!deaf);
}

gboolean
mcu_media_session_get_deaf (McuMediaSession *self)
{
  return g_atomic_int_get (&self->deaf);
}

/* The room mixer's count for this caller's input (the pad mix_out is
 * linked to, once linked). */
static guint64
frames_late (McuMediaSession *self)
{
  g_autoptr (GstPad) out = NULL;
  g_autoptr (GstPad) peer = NULL;

  if (self->bin == NULL ||
      (out = gst_element_get_static_pad (self->bin, "mix_out")) == NULL ||
      (peer = gst_pad_get_peer (out)) == NULL || !MCU_IS_MIX_MINUS_PAD (peer))
    return 0;
  return mcu_mix_minus_pad_get_late_frames (MCU_MIX_MINUS_PAD (peer));
}

/* Reads rtpbin's session statistics (no cost on the media path). */
void
mcu_media_session_get_stats (McuMediaSession *self, McuMediaStats *stats)
{
  McuRtpEndpointStats rtp;

  memset (stats, 0, sizeof *stats);
  stats->packets_received = mcu_media_session_get_packets_received (self);
  mcu_rtp_endpoint_get_stats (self->endpoint, &rtp);
  stats->jitter_buffer_ms = rtp.jitter_buffer_ms;
  if (self->decode && !mcu_rtp_endpoint_get_thread_free_jitter (self->endpoint))
    stats->jitter_buffer_ms = mcu_audio_decode_get_depth (self->decode);
  stats->packets_sent = rtp.packets_sent;
  stats->octets_sent = rtp.octets_sent;
  stats->packets_lost = rtp.packets_lost;
  stats->jitter_ms = rtp.jitter_ms;
  /* (the figure the depth follows: rtpsession's counts our own stalls) */
  if (self->decode && mcu_audio_decode_get_jitter (self->decode) >= 0)
    stats->jitter_ms = (guint)mcu_audio_decode_get_jitter (self->decode);
  if (self->decode) {
    stats->silence_skipped =
        mcu_audio_decode_get_silence_skipped (self->decode);
    stats->unmixed_skipped =
        mcu_audio_decode_get_unmixed_skipped (self->decode);
  }
  stats->frames_late = frames_late (self);
}

guint64
mcu_media_session_get_packets_received (McuMediaSession *self)
{
  McuRtpEndpointCounters counters;

  mcu_rtp_endpoint_get_counters (self->endpoint, &counters);
  return counters.packets_received;
}

void
mcu_media_session_set_remote (McuMediaSession *self, const gchar *address,
    guint rtp_port, guint rtcp_port)
{
  mcu_rtp_endpoint_set_remote (self->endpoint, address, rtp_port, rtcp_port);
}

static GstElement *
make_caps (GstBin *bin, const gchar *caps_str)
{
  GstElement *e = gst_element_factory_make ("capsfilter", NULL);
  g_autoptr (GstCaps) caps = gst_caps_from_string (caps_str);

  g_object_set (e, "caps", caps, NULL);
  gst_bin_add (bin, e);
  return e;
}

/* the receive codec chain (mcu-audio-decode.c); ghost mix_out */
static gboolean
build_decoder (McuMediaSession *self, GstBin *bin, GError **error)
{
  if (!(self->decode = mcu_audio_decode_new (
            bin, &self->params, self->jitter_latency, error)))
    return FALSE;
  if (self->params.codec != MCU_MEDIA_CODEC_OPUS && self->params.inband_dtmf)
    mcu_media_dtmf_watch_decoded (
        self->dtmf, mcu_audio_decode_get_decoded (self->decode));
  /* mcujitterbuffer adapts itself; rtpbin's is adapted from here */
  if (!mcu_rtp_endpoint_get_thread_free_jitter (self->endpoint))
    mcu_audio_decode_follow_jitter (
        self->decode, mcu_rtp_endpoint_get_rtpbin (self->endpoint));
  gst_element_add_pad (GST_ELEMENT (bin),
      gst_ghost_pad_new ("mix_out", mcu_audio_decode_get_src (self->decode)));
  return TRUE;
}

/* Opus at 20 ms (the mixer's frame) uses mcuopusenc, which encodes the
 * shared full mix once per encoder group (McuAudioMix sets its "group")
 * for everyone not talking; other ptimes use opusenc. */
static const gchar *
encoder_factory (const McuMediaCodecParams *p, const CodecInfo *ci)
{
  if (p->codec == MCU_MEDIA_CODEC_OPUS && p->ptime == 20)
    return "mcuopusenc";
  return ci->encoder;
}

static void
configure_encoder (McuMediaSession *self, GstElement *enc, GstElement *pay)
{
  const McuMediaCodecParams *p = &self->params;
  g_autofree gchar *frame = g_strdup_printf ("%u", p->ptime);

  g_object_set (pay, "pt", p->pt, NULL);
  if (p->codec == MCU_MEDIA_CODEC_OPUS) {
    /* complexity 9 (libopus's default), not 5 (half the cost): at 5 and 6
     * libopus 1.3.1's SILK leaves a decoder that did not get the stream
     * from its first packet (a listener joining the room's shared encode,
     * a talker switched from it to its own encoder) out of step on a
     * steady tonal mix, and it runs away to full scale (test_media_mix's
     * Opus caller; tests/bench/opus-enc-bench: every late decoder at 5,
     * none from 7 up). */
    g_object_set (enc, "inband-fec", p->opus_fec, "bitrate",
        p->opus_bitrate ? (gint)p->opus_bitrate : 32000, "complexity", 9,
        "packet-loss-percentage", p->opus_fec ? 5 : 0, NULL);
    if (p->ptime == 20) {
      /* the listener's own mix in CELT (mcu-opus-enc.c set_signal) */
      g_object_set (enc, "private-celt", p->opus_own_celt, NULL);
    } else {
      gst_util_set_object_arg (G_OBJECT (enc), "frame-size", frame);
      gst_util_set_object_arg (G_OBJECT (enc), "audio-type", "voice");
    }
  } else {
    gint64 ptime = (gint64)p->ptime * GST_MSECOND;

    /* At the mixer's 20 ms the payloader sends each frame as it comes: the
     * resampler's first output is short (its filter delay), and with
     * min-ptime = ptime every packet then waited for the next frame to
     * complete it (16-20 ms more at every listener). */
    g_object_set (pay, "min-ptime", p->ptime == 20 ? (gint64)0 : ptime,
        "max-ptime", ptime, NULL);
  }
}

/* A deaf participant gets silence of the same length (a new buffer: the one
 * coming in may be the room's shared full mix). */
static GstPadProbeReturn
on_deaf_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  McuMediaSession *self = data;
  GstBuffer *in = GST_PAD_PROBE_INFO_BUFFER (info);
  GstBuffer *silence;
  gsize size;

  if (!g_atomic_int_get (&self->deaf))
    return GST_PAD_PROBE_OK;
  size = gst_buffer_get_size (in);
  silence = gst_buffer_new_allocate (NULL, size, NULL);
  gst_buffer_memset (silence, 0, 0, size);
  gst_buffer_copy_into (
      silence, in, GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  GST_BUFFER_FLAG_SET (silence, GST_BUFFER_FLAG_GAP);
  gst_buffer_unref (in);
  GST_PAD_PROBE_INFO_DATA (info) = silence;
  return GST_PAD_PROBE_OK;
}

static void
on_dtmf_done (GObject *owner, const gchar *digits)
{
  g_signal_emit (owner, signals[SIGNAL_DTMF_SENT], 0, digits);
}

gboolean
mcu_media_session_send_dtmf (
    McuMediaSession *self, const gchar *digits, GError **error)
{
  g_return_val_if_fail (MCU_IS_MEDIA_SESSION (self), FALSE);
  g_return_val_if_fail (digits != NULL, FALSE);
  if (!self->have_params || self->params.dtmf_pt == 0) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_DTMF,
        "no telephone-event was negotiated");
    return FALSE;
  }
  if (!self->sending) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_DTMF,
        "not sending media (on hold)");
    return FALSE;
  }
  if (!mcu_dtmf_sender_push (self->dtmf_out, digits)) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_DTMF,
        "not digits (0-9 * # A-D ,) or more than %u queued",
        MCU_DTMF_TX_MAX_QUEUED);
    return FALSE;
  }
  return TRUE;
}

/* The fan-out of the room's shared encode, for a chain it can stand in
 * for: mcuopusenc (Opus at 20 ms) into a transport that counts and sends
 * clear RTP itself. */
static void
build_fanout (McuMediaSession *self, GstElement *enc, GstElement *pay)
{
  if (self->params.codec != MCU_MEDIA_CODEC_OPUS || self->params.ptime != 20 ||
      self->params.srtp != MCU_MEDIA_SRTP_NONE ||
      !mcu_rtp_endpoint_is_direct_clear (self->endpoint))
    return;
  self->fanout = mcu_media_fanout_new (self->endpoint, enc, pay,
      self->params.dtmf_pt ? self->dtmf_out : NULL, &self->deaf,
      self->params.pt);
}

/* mix_in -> [audioresample -> caps] -> encoder -> payloader -> transport */
static gboolean
build_encoder (McuMediaSession *self, GstBin *bin, GError **error)
{
  const CodecInfo *ci = &codec_info[self->params.codec];
  GstElement *first, *enc, *pay;
  GstPad *sink;

  if (ci->codec_rate != 48000) {
    g_autofree gchar *caps_str = g_strdup_printf (
        "audio/x-raw,format=S16LE,rate=%u,channels=1", ci->codec_rate);
    GstElement *caps;

    if (!(first = mcu_pad_util_make (bin, "audioresample", error)))
      return FALSE;
    caps = make_caps (bin, caps_str);
    if (!(enc = mcu_pad_util_make (
              bin, encoder_factory (&self->params, ci), error)) ||
        !(pay = mcu_pad_util_make (bin, ci->pay, error)))
      return FALSE;
    if (!gst_element_link_many (first, caps, enc, pay, NULL))
      goto link_failed;
  } else {
    if (!(first = enc = mcu_pad_util_make (
              bin, encoder_factory (&self->params, ci), error)) ||
        !(pay = mcu_pad_util_make (bin, ci->pay, error)))
      return FALSE;
    if (!gst_element_link (enc, pay))
      goto link_failed;
  }
  configure_encoder (self, enc, pay);
  self->encoder = enc;
  sink = gst_element_get_static_pad (pay, "src");
  mcu_dtmf_sender_attach (self->dtmf_out, sink);
  gst_object_unref (sink);
  build_fanout (self, enc, pay); /* (its probe after the DTMF sender's) */
  if (!gst_element_link_pads (pay, "src", self->transport, "rtp_sink"))
    goto link_failed;
  sink = gst_element_get_static_pad (first, "sink");
  gst_element_add_pad (GST_ELEMENT (bin), gst_ghost_pad_new ("mix_in", sink));
  self->encode_sink = sink;
  self->deaf_probe = gst_pad_add_probe (
      sink, GST_PAD_PROBE_TYPE_BUFFER, on_deaf_probe, self, NULL);
  return TRUE;

link_failed:
  g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
      "cannot link the %s encoder", ci->encoding_name);
  return FALSE;
}

void
mcu_media_session_set_srtp_keys (McuMediaSession *self,
    const McuMediaSrtpKey *send, const McuMediaSrtpKey *recv)
{
  mcu_rtp_endpoint_set_srtp_keys (self->endpoint, send, recv);
}

/* The payload types the caller may send: the codec's, telephone-events. */
static GstCaps *
pt_caps (const CodecInfo *ci, guint pt, const gchar *encoding, guint rate)
{
  return gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
      "audio", "clock-rate", G_TYPE_INT, rate ? rate : ci->clock_rate,
      "encoding-name", G_TYPE_STRING, encoding, "payload", G_TYPE_INT, pt,
      NULL);
}

/* The endpoint's transport in @bin; telephone-events are read on its
 * decrypted RTP input (after latching dropped strays). */
static gboolean
build_transport (McuMediaSession *self, GstBin *bin, GError **error)
{
  const McuMediaCodecParams *p = &self->params;
  const CodecInfo *ci = &codec_info[p->codec];
  McuRtpEndpointParams rp = {
    .srtp = p->srtp, .pt = p->pt, .thread_free_jitter = TRUE, .no_rtpbin = TRUE
  };
  guint n = 0;
  GstPad *pad;

  rp.pt_caps[n++] = pt_caps (ci, p->pt, ci->encoding_name, 0);
  if (p->dtmf_pt)
    rp.pt_caps[n++] =
        pt_caps (ci, p->dtmf_pt, "TELEPHONE-EVENT", p->dtmf_clock_rate);
  if (p->dtmf_pt_alt && p->dtmf_pt_alt != p->dtmf_pt)
    rp.pt_caps[n++] =
        pt_caps (ci, p->dtmf_pt_alt, "TELEPHONE-EVENT", p->dtmf_clock_rate_alt);
  self->transport = mcu_rtp_endpoint_build (self->endpoint, &rp, error);
  for (guint i = 0; i < n; i++)
    gst_caps_unref (rp.pt_caps[i]);
  if (self->transport == NULL)
    return FALSE;
  gst_bin_add (bin, self->transport);
  pad = mcu_rtp_endpoint_get_rtp_in_pad (self->endpoint);
  mcu_media_dtmf_watch_rtp (self->dtmf, pad);
  gst_object_unref (pad);
  return TRUE;
}

/* The caller's stream out of the transport into the decode chain. */
static gboolean
link_decoder (McuMediaSession *self, GError **error)
{
  g_autoptr (GstPad) src =
      gst_element_get_static_pad (self->transport, "rtp_src");

  if (gst_pad_link (src, mcu_audio_decode_get_sink (self->decode)) !=
      GST_PAD_LINK_OK) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot link the transport to the decoder");
    return FALSE;
  }
  return TRUE;
}

void
mcu_media_session_reset_bin (McuMediaSession *self)
{
  if (self->bin == NULL)
    return;
  if (GST_OBJECT_PARENT (self->bin) == NULL) {
    gst_element_set_state (self->bin, GST_STATE_NULL);
    gst_element_set_locked_state (self->bin, FALSE);
  }
  g_clear_object (&self->encode_sink);
  g_clear_object (&self->fanout);
  self->hold_probe = self->deaf_probe = 0;
  mcu_rtp_endpoint_reset (self->endpoint);
  self->transport = self->encoder = NULL;
  g_clear_object (&self->decode);
  g_clear_object (&self->bin);
}

static GstPadProbeReturn
on_hold_drop (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return GST_PAD_PROBE_DROP;
}

static void
apply_sending (McuMediaSession *self)
{
  if (self->fanout)
    mcu_media_fanout_set_sending (self->fanout, self->sending);
  if (self->encode_sink == NULL)
    return;
  if (!self->sending && self->hold_probe == 0)
    self->hold_probe = gst_pad_add_probe (
        self->encode_sink, GST_PAD_PROBE_TYPE_BUFFER, on_hold_drop, NULL, NULL);
  else if (self->sending && self->hold_probe != 0) {
    gst_pad_remove_probe (self->encode_sink, self->hold_probe);
    self->hold_probe = 0;
  }
}

void
mcu_media_session_set_sending (McuMediaSession *self, gboolean send)
{
  self->sending = !!send;
  apply_sending (self);
}

gboolean
mcu_media_session_get_sending (McuMediaSession *self)
{
  return self->sending;
}

gboolean
mcu_media_session_set_codec (
    McuMediaSession *self, const McuMediaCodecParams *params, GError **error)
{
  g_autoptr (GstElement) bin = NULL;
  g_autofree gchar *name = g_strdup_printf (
      "session-%u", mcu_rtp_endpoint_get_rtp_port (self->endpoint));

  g_return_val_if_fail (
      self->bin == NULL || GST_OBJECT_PARENT (self->bin) == NULL, FALSE);
  if ((guint)params->codec >= G_N_ELEMENTS (codec_info) || params->pt > 127 ||
      params->ptime < 10 || params->ptime > 60) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_CODEC,
        "unsupported codec parameters (pt %u, ptime %u)", params->pt,
        params->ptime);
    return FALSE;
  }
  mcu_media_session_reset_bin (self);
  self->params = *params;
  self->have_params = TRUE;
  /* DTMF out on the audio's stream, at the negotiated telephone-event
   * clock (a new stream: nothing queued) */
  mcu_dtmf_sender_configure (self->dtmf_out, params->dtmf_pt,
      codec_info[params->codec].clock_rate,
      params->dtmf_clock_rate ? params->dtmf_clock_rate
                              : codec_info[params->codec].clock_rate,
      params->ptime * codec_info[params->codec].clock_rate / 1000);
  mcu_media_dtmf_configure (self->dtmf, params->dtmf_pt,
      params->dtmf_clock_rate ? params->dtmf_clock_rate
                              : codec_info[params->codec].clock_rate,
      params->dtmf_pt_alt, params->dtmf_clock_rate_alt,
      params->inband_dtmf && params->codec != MCU_MEDIA_CODEC_OPUS
          ? codec_info[params->codec].codec_rate
          : 0);

  bin = gst_object_ref_sink (gst_bin_new (name));
  if (!build_transport (self, GST_BIN (bin), error) ||
      !build_decoder (self, GST_BIN (bin), error) ||
      !link_decoder (self, error) ||
      !build_encoder (self, GST_BIN (bin), error)) {
    mcu_rtp_endpoint_reset (self->endpoint);
    self->transport = self->encoder = NULL;
    g_clear_object (&self->decode);
    g_clear_object (&self->encode_sink);
    g_clear_object (&self->fanout);
    return FALSE;
  }
  self->bin = g_steal_pointer (&bin);
  apply_sending (self);
  return TRUE;
}

gboolean
mcu_media_session_fan_out (
    McuMediaSession *self, GstElement *mixer, GstPad *output)
{
  g_return_val_if_fail (MCU_IS_MEDIA_SESSION (self), FALSE);
  g_return_val_if_fail (MCU_IS_MIX_MINUS (mixer), FALSE);

  return self->fanout != NULL &&
         mcu_media_fanout_attach (self->fanout, MCU_MIX_MINUS (mixer), output);
}

guint64
mcu_media_session_get_fanout_packets (McuMediaSession *self)
{
  g_return_val_if_fail (MCU_IS_MEDIA_SESSION (self), 0);
  return self->fanout ? mcu_media_fanout_get_n_sent (self->fanout) : 0;
}
