/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: McuRtpEndpoint's audio transport without rtpbin, so that an audio
 * participant has no thread of its own (see mcu-rtp-endpoint-private.h):
 *
 *   mcurtpsrc(rtp)  -> [srtpdec] -> filter -> mcujitterbuffer -> rtp_src
 *   mcurtpsrc(rtcp) -> [srtpdec] -> fakesink  (McuRtcpSession reads it)
 *   rtp_sink -> (McuRtcpSession counts it) -> [srtpenc] -> udpsink(rtp)
 *     (the packets are sent by a probe at udpsink's sink pad, with one
 *     sendto to the endpoint's copy of udpsink's client, and dropped there:
 *     udpsink only sends for a host name it resolves itself)
 *   rtcp_out (mcurtpsrc) -> [srtpenc] -> udpsink(rtcp)
 *
 * Threads:
 * - McuRtpIo's thread: the receive side up to the jitter buffer's chain
 *   (which only queues): the filter (on_jb_sink, a probe on the jitter
 *   buffer's sink pad) counts every RTP packet of the stream in the
 *   McuRtcpSession, drops the payload types that are not the media's
 *   (telephone-events were read on the RTP input pad before it), turns the
 *   caps into the media's and emits "stream-linked" for a new SSRC
 *   (`linked_ssrc`, this thread only) and hands the jitter buffer to
 *   McuPlayout with its first packet; the caller's RTCP into the session
 *   (on_rtcp_in); the report timer (on_rtcp_timer) builds a report and
 *   pushes it into rtcp_out, through srtpenc to the udpsink.
 * - McuPlayout's worker: mcujitterbuffer's output, the decode chain.
 * - The mixer's thread: what we send (on_rtp_out counts it; without SRTP
 *   on_rtp_out_send counts and sends it, with SRTP on_srtp_out sends what
 *   srtpenc made of it: each sendto under `send_lock`). The fan-out of the
 *   shared encode (mcu-media-fanout.c) hands its packets, made without a
 *   push, to mcu_rtp_endpoint_send_rtp on the same thread, which does what
 *   on_rtp_out_send does.
 * McuRtcpSession locks itself. `rtcp`, `rtcp_out` and `rtcp_timer` are
 * written on the main thread by build (before the sources are fed, the
 * timer added last) and stop (the timer removed first, waiting). */
#include "mcu-rtp-endpoint-private.h"
#include "mcu-jitter-buffer.h"
#include "mcu-audio-decode.h"
#include "mcu-mixer-error.h"

#include <gst/rtp/rtp.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* A peer that went away makes every packet fail: one log line per this
 * long, the rest only counted (McuRtpEndpointCounters.send_errors). */
#define SEND_ERROR_LOG_EVERY_US (10 * G_USEC_PER_SEC)

/* @jb is serviced by McuPlayout from its first packet each time it runs
 * (it is in the room's pipeline then: the room's inputs go to one worker)
 * until it goes to READY (it leaves McuPlayout by itself; a room rebuilt
 * puts the same bin into a new pipeline, and it comes back here). */
static void
schedule (McuRtpEndpoint *self, GstElement *jb)
{
  GstObject *top;
  GstObject *parent;

  if (mcu_jitter_buffer_has_scheduler (MCU_JITTER_BUFFER (jb)))
    return;
  top = gst_object_ref (GST_OBJECT (jb));
  while ((parent = gst_object_get_parent (top))) {
    gst_object_unref (top);
    top = parent;
  }
  /* refused: it is stopping (this packet is dropped by its chain) */
  mcu_playout_add (self->playout, MCU_JITTER_BUFFER (jb), top);
  gst_object_unref (top);
}

/* The caller's RTP on its way into the jitter buffer (McuRtpIo's thread). */
static GstPadProbeReturn
on_jb_sink (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuRtpEndpoint *self = user_data;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstBuffer *buf;
  GstMapInfo map;
  GstClockTime arrival;
  guint32 ssrc;
  guint pt;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    GstCaps *caps;

    if (GST_EVENT_TYPE (ev) != GST_EVENT_CAPS)
      return GST_PAD_PROBE_OK;
    /* the media's caps (clock-rate, encoding) for the jitter buffer and
     * the depayloader, not the bare application/x-rtp the source has */
    caps = mcu_rtp_endpoint_get_pt_caps (self, self->params.pt);
    if (caps == NULL)
      return GST_PAD_PROBE_OK;
    gst_event_unref (ev);
    info->data = gst_event_new_caps (caps);
    gst_caps_unref (caps);
    return GST_PAD_PROBE_OK;
  }

  buf = GST_PAD_PROBE_INFO_BUFFER (info);
  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_DROP;
  ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  pt = gst_rtp_buffer_get_payload_type (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  /* every packet of the stream (events share its sequence numbers) */
  arrival = GST_BUFFER_DTS_IS_VALID (buf)
                ? GST_BUFFER_DTS (buf) +
                      gst_element_get_base_time (GST_PAD_PARENT (pad))
                : mcu_rtp_io_now (self->io);
  if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
    mcu_rtcp_session_on_rtp_received (self->rtcp, map.data, map.size, arrival);
    gst_buffer_unmap (buf, &map);
  }
  if (pt != self->params.pt)
    return GST_PAD_PROBE_DROP;
  schedule (self, GST_PAD_PARENT (pad));
  if (!self->linked || ssrc != self->linked_ssrc) {
    /* the first stream, or the caller's new SSRC (the jitter buffer
     * resyncs on it by itself) */
    self->linked = TRUE;
    self->linked_ssrc = ssrc;
    mcu_rtp_endpoint_emit_stream_linked (self, ssrc);
  }
  return GST_PAD_PROBE_OK;
}

/* The caller's RTCP, clear (McuRtpIo's thread). */
static GstPadProbeReturn
on_rtcp_in (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  McuRtpEndpoint *self = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;

  if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
    mcu_rtcp_session_on_rtcp_received (
        self->rtcp, map.data, map.size, mcu_rtp_io_now (self->io));
    gst_buffer_unmap (buf, &map);
  }
  return GST_PAD_PROBE_OK;
}

McuRtpSendMode
mcu_rtp_direct_send (McuRtpEndpoint *self, const guint8 *data, gsize size)
{
  McuRtpSendMode mode;
  guint64 n_errors = 0;
  gboolean log = FALSE;
  int err = 0;

  /* The sendto under the lock: mcu_rtp_send_to_nowhere (reset) waits
   * for it, so no send follows on a socket the pool may close then (its
   * number reused by another file). It never blocks the mixer's thread
   * (MSG_DONTWAIT): a full socket buffer or a pending ICMP error (the
   * peer's port closed) loses this listener's packet, as on the network,
   * and nobody else's. */
  g_mutex_lock (&self->send_lock);
  mode = self->send_mode;
  if (mode == MCU_RTP_SEND_DIRECT &&
      sendto (self->send_fd, data, size, MSG_DONTWAIT,
          (struct sockaddr *)&self->send_to, self->send_to_len) < 0) {
    gint64 now;

    err = errno;
    now = g_get_monotonic_time ();
    n_errors = ++self->send_errors;
    if (self->send_error_logged == 0 ||
        now - self->send_error_logged >= SEND_ERROR_LOG_EVERY_US) {
      self->send_error_logged = now;
      log = TRUE;
    }
  }
  g_mutex_unlock (&self->send_lock);
  if (log)
    g_debug ("RTP out from port %u: %s (%" G_GUINT64_FORMAT
             " packets not sent so far)",
        self->ports.port, g_strerror (err), n_errors);
  return mode;
}

/* What an out-probe does with a packet (the mixer's thread). Which probe
 * goes where is decided at build, not per packet from `srtp`, which reset
 * clears while a late push may still run in the old bin. */
typedef enum
{
  RTP_OUT_COUNT = 1 << 0, /* counted for the sender report (clear RTP) */
  RTP_OUT_SEND = 1 << 1,  /* sent from here, then dropped */
} RtpOutSteps;

/* (inlined into each probe with its constant @steps: no test per packet) */
static inline GstPadProbeReturn
rtp_out (McuRtpEndpoint *self, GstPadProbeInfo *info, RtpOutSteps steps)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstPadProbeReturn ret = GST_PAD_PROBE_OK;
  GstMapInfo map;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return ret;
  if (steps & RTP_OUT_COUNT)
    mcu_rtcp_session_on_rtp_sent (
        self->rtcp, map.data, map.size, mcu_rtp_io_now (self->io));
  if ((steps & RTP_OUT_SEND) &&
      mcu_rtp_direct_send (self, map.data, map.size) != MCU_RTP_SEND_UDPSINK)
    ret = GST_PAD_PROBE_DROP;
  gst_buffer_unmap (buf, &map);
  return ret;
}

/* With SRTP, srtpenc's sink pad: the clear packet is only counted here,
 * never sent (on_srtp_out sends srtpenc's output). */
static GstPadProbeReturn
on_rtp_out (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return rtp_out (user_data, info, RTP_OUT_COUNT);
}

/* Without SRTP, udpsink's sink pad: counted and sent from here (one
 * sendto, no basesink and multiudpsink per packet per listener). */
static GstPadProbeReturn
on_rtp_out_send (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return rtp_out (user_data, info, RTP_OUT_COUNT | RTP_OUT_SEND);
}

/* SRTP out of srtpenc, at udpsink's sink pad: sent from here. */
static GstPadProbeReturn
on_srtp_out (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return rtp_out (user_data, info, RTP_OUT_SEND);
}

gboolean
mcu_rtp_endpoint_is_direct_clear (McuRtpEndpoint *self)
{
  g_return_val_if_fail (MCU_IS_RTP_ENDPOINT (self), FALSE);
  return self->bin != NULL && self->rtpbin == NULL && self->rtcp != NULL &&
         self->srtp.enc == NULL;
}

/* Without `send_lock`: the mode a re-INVITE may change right after it is
 * read, with or without the lock. send_rtp decides under the lock, and a
 * packet made for nothing goes through the chain (see its header). */
gboolean
mcu_rtp_endpoint_sends_direct (McuRtpEndpoint *self)
{
  return g_atomic_int_get (&self->send_mode) != MCU_RTP_SEND_UDPSINK;
}

gboolean
mcu_rtp_endpoint_send_rtp (McuRtpEndpoint *self, const guint8 *data, gsize size)
{
  if (self->rtcp == NULL)
    return FALSE;
  /* on_rtp_out_send's steps, on a packet of ours, with one `send_lock` for
   * the mode and the sendto. Counted after the send (nothing is taken
   * under `send_lock`), so only when it was ours to send: a sender report
   * built in between misses this one packet until the next. */
  if (mcu_rtp_direct_send (self, data, size) == MCU_RTP_SEND_UDPSINK)
    return FALSE;
  mcu_rtcp_session_on_rtp_sent (
      self->rtcp, data, size, mcu_rtp_io_now (self->io));
  return TRUE;
}

/* A report is due (McuRtpIo's thread). Not playing: rtcp_out drops it. */
static GstClockTime
on_rtcp_timer (gpointer data, GstClockTime now)
{
  McuRtpEndpoint *self = data;
  GBytes *report = mcu_rtcp_session_build_report (self->rtcp, now);

  mcu_rtp_src_push (self->rtcp_out, gst_buffer_new_wrapped_bytes (report));
  g_bytes_unref (report);
  return mcu_rtcp_session_next_report_time (self->rtcp, now);
}

static GstElement *
make_jitter_buffer (McuRtpEndpoint *self, GstBin *bin)
{
  GstElement *jb = g_object_new (MCU_TYPE_JITTER_BUFFER, NULL);
  GstPad *sink;

  /* from jitter-latency, then adaptive from the measured jitter within
   * the classic path's bounds (McuAudioDecode's): 20 ms on a calm network.
   * A 10 ms step down (once a second after 5 s of calm) moves the caller's
   * audio earlier: retiming marks the buffer DISCONT and the mixer input's
   * ring places it at its own time, over 10 ms not mixed yet, so it leaves
   * no hole (test_plc). (It used to leave one, through GstAggregatorPad's
   * queue, and the depth was held at jitter-latency: 60 ms more latency.) */
  g_object_set (jb, "latency", self->jitter_latency, "min-latency",
      MIN (self->jitter_latency, MCU_AUDIO_DECODE_MIN_DEPTH), "max-latency",
      MAX (self->jitter_latency, MCU_AUDIO_DECODE_MAX_DEPTH), "do-lost", TRUE,
      NULL);
  gst_bin_add (bin, jb);
  sink = gst_element_get_static_pad (jb, "sink");
  gst_pad_add_probe (sink,
      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      on_jb_sink, self, NULL);
  gst_object_unref (sink);
  g_mutex_lock (&self->lock);
  gst_object_replace ((GstObject **)&self->jb, GST_OBJECT (jb));
  g_mutex_unlock (&self->lock);
  return jb;
}

/* @src -> [srtpdec @kind] -> @sink_element's "sink" */
static gboolean
link_in (
    McuRtpEndpoint *self, GstElement *src, const gchar *kind, GstElement *sink)
{
  g_autofree gchar *dec_sink = g_strdup_printf ("%s_sink", kind);
  g_autofree gchar *dec_src = g_strdup_printf ("%s_src", kind);

  if (self->srtp.dec == NULL)
    return gst_element_link_pads (src, "src", sink, "sink");
  return gst_element_link_pads (src, "src", self->srtp.dec, dec_sink) &&
         gst_element_link_pads (self->srtp.dec, dec_src, sink, "sink");
}

/* [srtpenc @kind] -> @sink; (transfer full) the pad to send into. */
static GstPad *
link_out (McuRtpEndpoint *self, const gchar *kind, GstElement *sink)
{
  g_autofree gchar *enc_sink = g_strdup_printf ("%s_sink_0", kind);
  g_autofree gchar *enc_src = g_strdup_printf ("%s_src_0", kind);
  GstPad *pad;

  if (self->srtp.enc == NULL)
    return gst_element_get_static_pad (sink, "sink");
  pad = gst_element_request_pad_simple (self->srtp.enc, enc_sink);
  if (pad && !gst_element_link_pads (self->srtp.enc, enc_src, sink, "sink"))
    g_clear_object (&pad);
  return pad;
}

static gboolean
link_pad (GstElement *src, GstPad *sink)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (src, "src");

  return gst_pad_link (pad, sink) == GST_PAD_LINK_OK;
}

gboolean
mcu_rtp_direct_build (McuRtpEndpoint *self, GstBin *bin, GstElement **src_rtp,
    GstElement **src_rtcp, GError **error)
{
  const McuRtpEndpointParams *p = &self->params;
  gboolean srtp = p->srtp != MCU_MEDIA_SRTP_NONE;
  GSocket *rtcp_socket = p->rtcp_mux ? self->ports.rtp : self->ports.rtcp;
  g_autoptr (GstCaps) caps = mcu_rtp_endpoint_get_pt_caps (self, p->pt);
  g_autoptr (GstPad) send_rtp = NULL;
  g_autoptr (GstPad) send_rtcp = NULL;
  g_autoptr (GstPad) rtcp_in = NULL;
  GstElement *jb, *rtcp_sink, *rtcp_out;
  gint rate = 0;

  self->rtpbin = NULL;
  self->playout = mcu_port_pool_get_playout (self->pool);
  *src_rtp = mcu_rtp_endpoint_make_rtpsrc (
      bin, srtp ? "application/x-srtp" : "application/x-rtp");
  *src_rtcp = mcu_rtp_endpoint_make_rtpsrc (
      bin, srtp ? "application/x-srtcp" : "application/x-rtcp");
  rtcp_out = mcu_rtp_endpoint_make_rtpsrc (bin, "application/x-rtcp");
  if (caps) {
    /* the media's caps from the start: srtpdec asks downstream (the
     * depayloader) whether it accepts them */
    g_autoptr (GstCaps) in = gst_caps_copy (caps);

    gst_structure_set_name (gst_caps_get_structure (in, 0),
        srtp ? "application/x-srtp" : "application/x-rtp");
    g_object_set (*src_rtp, "caps", in, NULL);
  }
  if (!(self->udpsink_rtp =
              mcu_rtp_endpoint_make_udpsink (bin, self->ports.rtp, error)) ||
      !(self->udpsink_rtcp =
              mcu_rtp_endpoint_make_udpsink (bin, rtcp_socket, error)) ||
      !mcu_srtp_build (&self->srtp, p->srtp, bin, NULL, error))
    return FALSE;
  rtcp_sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (rtcp_sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (bin, rtcp_sink);
  jb = make_jitter_buffer (self, bin);

  send_rtp = link_out (self, "rtp", self->udpsink_rtp);
  send_rtcp = link_out (self, "rtcp", self->udpsink_rtcp);
  if (send_rtp == NULL || send_rtcp == NULL ||
      !link_in (self, *src_rtp, "rtp", jb) ||
      !link_in (self, *src_rtcp, "rtcp", rtcp_sink) ||
      !link_pad (rtcp_out, send_rtcp)) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot link the RTP transport");
    return FALSE;
  }
  gst_element_add_pad (
      GST_ELEMENT (bin), gst_ghost_pad_new ("rtp_sink", send_rtp));
  /* the clear packet is sent only by a transport built without SRTP */
  if (self->srtp.enc) {
    gst_pad_add_probe (
        send_rtp, GST_PAD_PROBE_TYPE_BUFFER, on_rtp_out, self, NULL);
    mcu_rtp_endpoint_add_probe (self->udpsink_rtp, "sink", on_srtp_out, self);
  } else {
    gst_pad_add_probe (
        send_rtp, GST_PAD_PROBE_TYPE_BUFFER, on_rtp_out_send, self, NULL);
  }
  gst_pad_add_probe (send_rtcp, GST_PAD_PROBE_TYPE_BUFFER,
      mcu_rtp_endpoint_on_rtcp_out, self, NULL);
  rtcp_in = gst_element_get_static_pad (rtcp_sink, "sink");
  gst_pad_add_probe (
      rtcp_in, GST_PAD_PROBE_TYPE_BUFFER, on_rtcp_in, self, NULL);
  if (self->srtp.dec)
    gst_pad_add_probe (mcu_srtp_get_rtcp_in_pad (&self->srtp),
        GST_PAD_PROBE_TYPE_BUFFER, mcu_rtp_endpoint_on_srtcp_decoded, self,
        NULL);
  {
    GstPad *jb_src = gst_element_get_static_pad (jb, "src");

    self->rtp_src = gst_ghost_pad_new ("rtp_src", jb_src);
    gst_object_unref (jb_src);
    gst_element_add_pad (GST_ELEMENT (bin), self->rtp_src);
  }

  self->rtcp = mcu_rtcp_session_new (g_random_int (), NULL);
  if (caps)
    gst_structure_get_int (
        gst_caps_get_structure (caps, 0), "clock-rate", &rate);
  mcu_rtcp_session_set_clock_rate (self->rtcp, (guint)MAX (rate, 0));
  self->rtcp_out = MCU_RTP_SRC (rtcp_out);
  self->linked = FALSE;
  return TRUE;
}

void
mcu_rtp_direct_start (McuRtpEndpoint *self)
{
  GstClockTime now;

  if (self->rtcp == NULL || self->rtcp_timer)
    return;
  now = mcu_rtp_io_now (self->io);
  self->rtcp_timer = mcu_rtp_io_add_timer (self->io,
      mcu_rtcp_session_next_report_time (self->rtcp, now), on_rtcp_timer, self,
      NULL);
}

void
mcu_rtp_direct_stop (McuRtpEndpoint *self)
{
  g_autoptr (GstElement) jb = NULL;

  if (self->rtcp_timer)
    mcu_rtp_io_remove_timer (self->io, g_steal_pointer (&self->rtcp_timer));
  g_clear_object (&self->rtcp);
  /* a jitter buffer that never played never left McuPlayout by itself */
  g_mutex_lock (&self->lock);
  if (self->jb)
    jb = gst_object_ref (self->jb);
  g_mutex_unlock (&self->lock);
  if (jb && self->playout)
    mcu_playout_remove (self->playout, MCU_JITTER_BUFFER (jb));
}

gboolean
mcu_rtp_direct_get_stats (McuRtpEndpoint *self, McuRtpEndpointStats *stats)
{
  if (self->rtcp == NULL)
    return FALSE;
  mcu_rtcp_session_get_endpoint_stats (self->rtcp, stats);
  return TRUE;
}
