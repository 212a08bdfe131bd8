/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: SRTP for one RTP session, see mcu-srtp.h.
 *
 * srtpdec goes in through rtpbin's request-rtp-decoder and
 * request-rtcp-decoder (its pads always exist). srtpenc is linked by hand
 * between rtpbin's send pads and the udpsinks: rtpbin's encoder signals
 * want the encoder's src pad before they request its sink pad, and srtpenc
 * only creates a src pad on that request. A packet that fails
 * authentication (a wrong key) is dropped by srtpdec: silence, no error.
 * Keys are never logged. */
#include "mcu-srtp.h"
#include "mcu-mixer-error.h"

#include <string.h>

void
mcu_srtp_init (McuSrtp *self)
{
  memset (self, 0, sizeof *self);
  g_mutex_init (&self->lock);
}

void
mcu_srtp_reset (McuSrtp *self)
{
  g_clear_object (&self->enc);
  g_clear_object (&self->dec);
  self->suite = MCU_MEDIA_SRTP_NONE;
}

void
mcu_srtp_clear (McuSrtp *self)
{
  mcu_srtp_reset (self);
  memset (&self->send, 0, sizeof self->send);
  memset (&self->recv, 0, sizeof self->recv);
  g_mutex_clear (&self->lock);
}

static const gchar *
srtp_cipher (McuMediaSrtpSuite suite)
{
  return suite == MCU_MEDIA_SRTP_AEAD_AES_128_GCM ? "aes-128-gcm"
                                                  : "aes-128-icm";
}

static const gchar *
srtp_auth (McuMediaSrtpSuite suite, gboolean rtcp)
{
  switch (suite) {
    case MCU_MEDIA_SRTP_AEAD_AES_128_GCM:
      return "null";
    case MCU_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32:
      return rtcp ? "hmac-sha1-80" : "hmac-sha1-32"; /* RFC 4568 6.2.2 */
    default:
      return "hmac-sha1-80";
  }
}

static GstBuffer *
key_buffer (const McuMediaSrtpKey *key)
{
  return gst_buffer_new_memdup (key->key, key->key_len);
}

/* srtpdec's "request-key" for a new SSRC (streaming thread). */
static GstCaps *
on_srtpdec_request_key (GstElement *dec, guint ssrc, McuSrtp *self)
{
  McuMediaSrtpKey key;
  g_autoptr (GstBuffer) buf = NULL;
  McuMediaSrtpSuite suite;

  g_mutex_lock (&self->lock);
  key = self->recv;
  g_mutex_unlock (&self->lock);
  suite = key.suite;
  if (suite == MCU_MEDIA_SRTP_NONE || key.key_len == 0)
    return NULL;
  buf = key_buffer (&key);
  memset (&key, 0, sizeof key);
  return gst_caps_new_simple ("application/x-srtp", "srtp-key", GST_TYPE_BUFFER,
      buf, "srtp-cipher", G_TYPE_STRING, srtp_cipher (suite), "srtp-auth",
      G_TYPE_STRING, srtp_auth (suite, FALSE), "srtcp-cipher", G_TYPE_STRING,
      srtp_cipher (suite), "srtcp-auth", G_TYPE_STRING, srtp_auth (suite, TRUE),
      NULL);
}

static GstElement *
on_rtpbin_request_decoder (GstElement *rtpbin, guint session, McuSrtp *self)
{
  return session == 0 && self->dec ? gst_object_ref (self->dec) : NULL;
}

static void
enc_set_key (McuSrtp *self)
{
  g_autoptr (GstBuffer) buf = NULL;

  g_mutex_lock (&self->lock);
  buf = key_buffer (&self->send);
  g_mutex_unlock (&self->lock);
  g_object_set (self->enc, "key", buf, NULL);
}

gboolean
mcu_srtp_build (McuSrtp *self, McuMediaSrtpSuite suite, GstBin *bin,
    GstElement *rtpbin, GError **error)
{
  mcu_srtp_reset (self);
  if (suite == MCU_MEDIA_SRTP_NONE)
    return TRUE;
  self->dec = gst_element_factory_make ("srtpdec", NULL);
  self->enc = gst_element_factory_make ("srtpenc", NULL);
  if (self->dec == NULL || self->enc == NULL) {
    mcu_srtp_reset (self);
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "GStreamer elements srtpenc/srtpdec are missing "
        "(install gstreamer1.0-plugins-bad)");
    return FALSE;
  }
  self->suite = suite;
  gst_object_ref_sink (self->dec);
  gst_object_ref_sink (self->enc);
  gst_util_set_object_arg (
      G_OBJECT (self->enc), "rtp-cipher", srtp_cipher (suite));
  gst_util_set_object_arg (
      G_OBJECT (self->enc), "rtcp-cipher", srtp_cipher (suite));
  gst_util_set_object_arg (
      G_OBJECT (self->enc), "rtp-auth", srtp_auth (suite, FALSE));
  gst_util_set_object_arg (
      G_OBJECT (self->enc), "rtcp-auth", srtp_auth (suite, TRUE));
  enc_set_key (self);
  g_signal_connect (
      self->dec, "request-key", G_CALLBACK (on_srtpdec_request_key), self);
  if (rtpbin) {
    g_signal_connect (rtpbin, "request-rtp-decoder",
        G_CALLBACK (on_rtpbin_request_decoder), self);
    g_signal_connect (rtpbin, "request-rtcp-decoder",
        G_CALLBACK (on_rtpbin_request_decoder), self);
  } else {
    gst_bin_add (bin, gst_object_ref (self->dec)); /* linked by the caller */
  }
  gst_bin_add (bin, gst_object_ref (self->enc));
  return TRUE;
}

gboolean
mcu_srtp_link_send (
    McuSrtp *self, GstElement *rtpbin, const gchar *kind, GstElement *sink)
{
  g_autofree gchar *src = g_strdup_printf ("send_%s_src_0", kind);
  g_autofree gchar *enc_sink = g_strdup_printf ("%s_sink_0", kind);
  g_autofree gchar *enc_src = g_strdup_printf ("%s_src_0", kind);

  if (self->enc == NULL)
    return gst_element_link_pads (rtpbin, src, sink, "sink");
  return gst_element_link_pads (rtpbin, src, self->enc, enc_sink) &&
         gst_element_link_pads (self->enc, enc_src, sink, "sink");
}

GstPad *
mcu_srtp_get_rtcp_in_pad (McuSrtp *self)
{
  GstPad *pad;

  if (self->dec == NULL)
    return NULL;
  pad = gst_element_get_static_pad (self->dec, "rtcp_src");
  gst_object_unref (pad); /* an always pad: the element keeps it */
  return pad;
}

void
mcu_srtp_set_keys (
    McuSrtp *self, const McuMediaSrtpKey *send, const McuMediaSrtpKey *recv)
{
  gboolean send_changed, recv_changed;

  g_return_if_fail (send != NULL && recv != NULL);
  g_return_if_fail (send->key_len <= MCU_MEDIA_SRTP_MAX_KEY &&
                    recv->key_len <= MCU_MEDIA_SRTP_MAX_KEY);
  g_mutex_lock (&self->lock);
  send_changed = memcmp (&self->send, send, sizeof *send) != 0;
  recv_changed = memcmp (&self->recv, recv, sizeof *recv) != 0;
  self->send = *send;
  self->recv = *recv;
  g_mutex_unlock (&self->lock);
  if (send_changed && self->enc)
    enc_set_key (self);
  if (recv_changed && self->dec) /* request-key again, new key */
    g_signal_emit_by_name (self->dec, "clear-keys");
}

gboolean
mcu_srtp_rtcp_plausible (GstBuffer *buf)
{
  guint8 head[2] = { 0 };

  return gst_buffer_get_size (buf) >= 8 &&
         gst_buffer_extract (buf, 0, head, 2) == 2 && (head[0] >> 6) == 2 &&
         head[1] >= 192 && head[1] <= 223;
}
