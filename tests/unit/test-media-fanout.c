/* SPDX-License-Identifier: LGPL-2.1-or-later
 * The fan-out of a room's shared Opus encode (mixer/mcu-media-fanout.c): a
 * listener gets the shared full mix's packets without its encode chain,
 * and whenever it leaves that way (deaf, a DTMF going out, hold) and comes
 * back, its phone sees one RTP stream: one SSRC, the sequence number +1
 * per packet, the timestamp +960 per 20 ms frame, no marker after the
 * first packet. What the endpoint counted for its RTCP sender reports is
 * what arrived. A real room (McuAudioMix, transports without rtpbin on
 * McuPlayout), a real socket on 127.0.0.1 as the listener's phone. */
#include "mcu-audio-mix.h"
#include "mcu-port-pool.h"
#include "mixer-log.h"

#include <string.h>
#include <unistd.h>

#define OPUS_PT  111
#define EVENT_PT 101

typedef struct
{
  guint16 seq;
  guint32 ts;
  guint32 ssrc;
  guint pt;
  gboolean marker;
  gsize payload;
  guint phase; /* what the test was doing when it arrived */
} Packet;

typedef struct
{
  McuPortPool *pool;
  McuAudioMix *mix;
  McuMediaSession *session;
  GSocket *phone;
  GArray *packets; /* Packet */
  guint phase;
} Fixture;

enum
{
  PHASE_FAN_OUT,
  PHASE_DEAF,
  PHASE_FAN_OUT_AGAIN,
  PHASE_DTMF,
  PHASE_FAN_OUT_AFTER_DTMF,
  PHASE_HOLD,
  PHASE_FAN_OUT_AFTER_HOLD,
  PHASE_END,
};

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  McuAudioMixOptions options = { .latency_ms = 60, .noise_gate_db = -127 };
  McuMediaCodecParams p = { .codec = MCU_MEDIA_CODEC_OPUS,
    .pt = OPUS_PT,
    .ptime = 20,
    .dtmf_pt = EVENT_PT,
    .dtmf_clock_rate = 48000 };
  guint base = 42000 + (getpid () % 1000) * 20;

  f->pool = mcu_port_pool_new ("127.0.0.1", base, base + 199);
  mcu_port_pool_set_playout_enabled (f->pool, TRUE);
  f->mix = mcu_audio_mix_new ("fanout", &options, &error);
  g_assert_no_error (error);
  f->packets = g_array_new (FALSE, FALSE, sizeof (Packet));

  f->phone = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (f->phone, any, FALSE, &error));
  g_socket_set_blocking (f->phone, FALSE);
  bound = g_socket_get_local_address (f->phone, &error);
  g_assert_no_error (error);

  f->session = mcu_media_session_new (f->pool, 60, &error);
  g_assert_no_error (error);
  g_assert_true (mcu_media_session_set_codec (f->session, &p, &error));
  g_assert_no_error (error);
  mcu_media_session_set_remote (f->session, "127.0.0.1",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)),
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)) + 1);
  g_assert_true (mcu_audio_mix_add (f->mix, f->session, &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  mcu_audio_mix_remove (f->mix, f->session);
  g_clear_object (&f->session);
  g_clear_object (&f->mix);
  g_clear_object (&f->pool);
  g_clear_object (&f->phone);
  g_array_unref (f->packets);
}

/* Everything the phone has received so far, in f->packets. */
static void
receive (Fixture *f)
{
  guint8 buf[2048];
  gssize n;

  while ((n = g_socket_receive (
              f->phone, (gchar *)buf, sizeof buf, NULL, NULL)) > 0) {
    Packet p;

    g_assert_cmpint (n, >=, 12);
    g_assert_cmpuint (buf[0], ==, 0x80); /* v2, no padding, extension, CSRC */
    p.marker = (buf[1] & 0x80) != 0;
    p.pt = buf[1] & 0x7f;
    p.seq = GST_READ_UINT16_BE (buf + 2);
    p.ts = GST_READ_UINT32_BE (buf + 4);
    p.ssrc = GST_READ_UINT32_BE (buf + 8);
    p.payload = n - 12;
    p.phase = f->phase;
    g_array_append_val (f->packets, p);
  }
}

/* Wall-clock times are for a normal build; the sanitizer run
 * (scripts/test) sets MCU_TEST_TIME_SCALE (as test-video-mix.c reads it). */
static guint
time_scale (void)
{
  const gchar *env = g_getenv ("MCU_TEST_TIME_SCALE");
  guint64 v = env ? g_ascii_strtoull (env, NULL, 10) : 1;

  return CLAMP (v, 1, 50);
}

/* Runs the main context (the room's bus, DTMF done) and reads the phone's
 * socket for @ms (scaled). */
static void
run (Fixture *f, guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)ms * time_scale () * 1000;

  while (g_get_monotonic_time () < end) {
    while (g_main_context_iteration (NULL, FALSE))
      ;
    receive (f);
    g_usleep (2000);
  }
  receive (f);
}

/* The fan-out's packets grow during @ms of phase @phase (or stay put). */
static guint64
run_phase (Fixture *f, guint phase, guint ms)
{
  guint64 before = mcu_media_session_get_fanout_packets (f->session);

  f->phase = phase;
  run (f, ms);
  return mcu_media_session_get_fanout_packets (f->session) - before;
}

static guint64
frames_skipped (Fixture *f)
{
  guint64 n = 0;

  g_object_get (mcu_audio_mix_get_mixer (f->mix), "frames-skipped", &n, NULL);
  return n;
}

static void
on_dtmf_sent (McuMediaSession *session, const gchar *digits, gint *sent)
{
  (*sent)++;
}

/* fan-out -> deaf (chain, private encode) -> fan-out -> DTMF (chain) ->
 * fan-out -> hold (nothing) -> fan-out: one continuous stream. */
static void
test_continuity_across_switches (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  McuMediaStats stats;
  guint64 fanned[PHASE_END] = { 0 };
  guint64 skipped, extra = 0, octets = 0;
  guint held_frames = 0, events = 0, first_event = G_MAXUINT, last_event = 0;
  guint64 before;
  gint sent = 0;

  g_signal_connect (f->session, "dtmf-sent", G_CALLBACK (on_dtmf_sent), &sent);
  fanned[PHASE_FAN_OUT] = run_phase (f, PHASE_FAN_OUT, 600);
  /* (from here a frame already on its way may still fan out: one) */
  mcu_media_session_set_deaf (f->session, TRUE);
  fanned[PHASE_DEAF] = run_phase (f, PHASE_DEAF, 300);
  mcu_media_session_set_deaf (f->session, FALSE);
  fanned[PHASE_FAN_OUT_AGAIN] = run_phase (f, PHASE_FAN_OUT_AGAIN, 300);
  /* until its last event packet is out ("dtmf-sent") */
  g_assert_true (mcu_media_session_send_dtmf (f->session, "1", &error));
  g_assert_no_error (error);
  f->phase = PHASE_DTMF;
  before = mcu_media_session_get_fanout_packets (f->session);
  for (guint i = 0; i < 200 && sent == 0; i++)
    run (f, 10);
  g_assert_cmpint (sent, ==, 1);
  fanned[PHASE_DTMF] =
      mcu_media_session_get_fanout_packets (f->session) - before;
  fanned[PHASE_FAN_OUT_AFTER_DTMF] =
      run_phase (f, PHASE_FAN_OUT_AFTER_DTMF, 300);
  mcu_media_session_set_sending (f->session, FALSE);
  run_phase (f, PHASE_HOLD, 200);
  mcu_media_session_set_sending (f->session, TRUE);
  fanned[PHASE_FAN_OUT_AFTER_HOLD] =
      run_phase (f, PHASE_FAN_OUT_AFTER_HOLD, 400);
  /* the end: on hold, everything sent has arrived */
  mcu_media_session_set_sending (f->session, FALSE);
  f->phase = PHASE_END;
  run (f, 150);
  skipped = frames_skipped (f);

  g_test_message ("%u packets, fanned out %" G_GUINT64_FORMAT
                  " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                  " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                  " %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT " skipped",
      f->packets->len, fanned[PHASE_FAN_OUT], fanned[PHASE_DEAF],
      fanned[PHASE_FAN_OUT_AGAIN], fanned[PHASE_DTMF],
      fanned[PHASE_FAN_OUT_AFTER_DTMF], fanned[PHASE_FAN_OUT_AFTER_HOLD],
      skipped);
  /* each way was taken where it should be */
  g_assert_cmpuint (fanned[PHASE_FAN_OUT], >, 10);
  g_assert_cmpuint (fanned[PHASE_DEAF], <=, 1);
  g_assert_cmpuint (fanned[PHASE_FAN_OUT_AGAIN], >, 5);
  /* (the DTMF phase's own count depends on when "dtmf-sent" is seen: the
   * fan-out resumes as soon as the last event packet is out; what counts
   * is that no audio went out between the event packets, below) */
  g_assert_cmpuint (fanned[PHASE_FAN_OUT_AFTER_DTMF], >, 5);
  g_assert_cmpuint (fanned[PHASE_FAN_OUT_AFTER_HOLD], >, 5);

  g_assert_cmpuint (f->packets->len, >, 50);
  for (guint i = 0; i < f->packets->len; i++) {
    Packet *p = &g_array_index (f->packets, Packet, i);
    Packet *prev = i > 0 ? &g_array_index (f->packets, Packet, i - 1) : NULL;

    octets += p->payload;
    if (p->pt == EVENT_PT)
      events++;
    g_assert_cmphex (p->ssrc, ==, g_array_index (f->packets, Packet, 0).ssrc);
    if (prev == NULL)
      continue;
    /* one stream: every packet the next sequence number */
    if (p->seq != (guint16)(prev->seq + 1))
      g_error ("packet %u (phase %u): seq %u after %u (phase %u)", i, p->phase,
          p->seq, prev->seq, prev->phase);
    if (p->pt == OPUS_PT)
      g_assert_false (p->marker); /* rtpopuspay marks its first only */
  }
  /* audio timestamps: +960 a frame; more only across the hold (frames
   * not sent) or frames the mix skipped (a loaded machine). From the
   * second packet: the mixer's first frame is a little shorter (its PTS
   * 19.99 ms before the second's: 959 samples, on the chain alone too). */
  for (guint i = 1, last = G_MAXUINT; i < f->packets->len; i++) {
    Packet *p = &g_array_index (f->packets, Packet, i);
    Packet *a;
    guint32 frames, seqs;

    if (p->pt != OPUS_PT)
      continue;
    if (last != G_MAXUINT) {
      a = &g_array_index (f->packets, Packet, last);
      seqs = (guint16)(p->seq - a->seq);
      if ((guint32)(p->ts - a->ts) % 960 != 0)
        g_error ("packet %u (phase %u): ts %u after %u (phase %u)", i, p->phase,
            p->ts, a->ts, a->phase);
      frames = (guint32)(p->ts - a->ts) / 960;
      if (frames < seqs)
        g_error ("packet %u (phase %u): ts %u after %u, %u packets before "
                 "(phase %u)",
            i, p->phase, p->ts, a->ts, seqs, a->phase);
      if (p->phase == PHASE_FAN_OUT_AFTER_HOLD && a->phase == PHASE_HOLD)
        held_frames += frames - seqs;
      else if (p->phase == PHASE_FAN_OUT_AFTER_HOLD &&
               a->phase == PHASE_FAN_OUT_AFTER_DTMF)
        held_frames += frames - seqs;
      else
        extra += frames - seqs;
    }
    last = i;
  }
  g_assert_cmpuint (held_frames, >=, 5); /* 200 ms on hold */
  g_assert_cmpuint (events, >=, 5);      /* 100 ms of tone, 3 ends */
  /* the event took every slot from its first packet to its last: no
   * audio (fanned out or not) in between */
  for (guint i = 0; i < f->packets->len; i++) {
    if (g_array_index (f->packets, Packet, i).pt != EVENT_PT)
      continue;
    first_event = MIN (first_event, i);
    last_event = i;
  }
  if (last_event - first_event + 1 != events)
    g_error ("%u event packets, but %u packets from the first (%u) to the "
             "last (%u)",
        events, last_event - first_event + 1, first_event, last_event);
  g_assert_cmpuint (extra, <=, skipped);

  /* RTCP: the sender report's counts are what the phone got */
  mcu_media_session_get_stats (f->session, &stats);
  g_assert_cmpuint (stats.packets_sent, ==, f->packets->len);
  g_assert_cmpuint (stats.octets_sent, ==, octets);
}

/* The room's own element fails: the room is rebuilt (a new mixer, the
 * same bins). The fan-out takes the new mixer's frames, and the stream
 * goes on: same SSRC, the next sequence number (the payloader alone would
 * start again from its seqnum-offset). */
static void
test_survives_rebuild (Fixture *f, gconstpointer data)
{
  GstElement *old_mixer = mcu_audio_mix_get_mixer (f->mix);
  g_autoptr (GError) err = g_error_new_literal (
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS, "injected by the test");
  guint64 before, after;

  before = run_phase (f, PHASE_FAN_OUT, 400);
  gst_element_post_message (
      old_mixer, gst_message_new_error (GST_OBJECT (old_mixer), err, "test"));
  run (f, 200);
  g_assert_cmpuint (mcu_audio_mix_get_n_rebuilds (f->mix), ==, 1);
  g_assert_true (mcu_audio_mix_get_mixer (f->mix) != old_mixer);
  after = run_phase (f, PHASE_FAN_OUT_AGAIN, 600);
  mcu_media_session_set_sending (f->session, FALSE);
  f->phase = PHASE_END;
  run (f, 150);

  g_assert_cmpuint (before, >, 10);
  g_assert_cmpuint (after, >, 10);
  for (guint i = 1; i < f->packets->len; i++) {
    Packet *p = &g_array_index (f->packets, Packet, i);
    Packet *prev = &g_array_index (f->packets, Packet, i - 1);

    g_assert_cmphex (p->ssrc, ==, prev->ssrc);
    if (p->seq != (guint16)(prev->seq + 1))
      g_error ("packet %u (phase %u): seq %u after %u (phase %u)", i, p->phase,
          p->seq, prev->seq, prev->phase);
  }
}

/* A resolver that knows one name: PHONE_NAME, the phone's 127.0.0.1,
 * installed as the default while the test gives the endpoint that name:
 * were the name resolved by anyone (udpsink would, on the mixer's thread),
 * its packets would reach the phone. */
#define PHONE_NAME "phone.test"

typedef struct
{
  GResolver parent_instance;
} PhoneResolver;
typedef GResolverClass PhoneResolverClass;

GType phone_resolver_get_type (void);
G_DEFINE_TYPE (PhoneResolver, phone_resolver, G_TYPE_RESOLVER)

static GList *
phone_resolver_lookup_by_name (GResolver *resolver, const gchar *hostname,
    GCancellable *cancellable, GError **error)
{
  if (g_strcmp0 (hostname, PHONE_NAME) != 0) {
    g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
        "only %s here", PHONE_NAME);
    return NULL;
  }
  return g_list_append (
      NULL, g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4));
}

static GList *
phone_resolver_lookup_by_name_with_flags (GResolver *resolver,
    const gchar *hostname, GResolverNameLookupFlags flags,
    GCancellable *cancellable, GError **error)
{
  return phone_resolver_lookup_by_name (resolver, hostname, cancellable, error);
}

static void
phone_resolver_class_init (PhoneResolverClass *klass)
{
  klass->lookup_by_name = phone_resolver_lookup_by_name;
  klass->lookup_by_name_with_flags = phone_resolver_lookup_by_name_with_flags;
}

static void
phone_resolver_init (PhoneResolver *self)
{
}

/* A remote that is no IPv4 address (sip/ refuses such SDP with 488; this
 * is the mixer's own guard) gets nothing, and nothing crashes: a host name
 * (one the default resolver would give as the phone; "localhost", which
 * GLib gives as ::1 first, crashed the IPv4 udpsink that resolved it) or
 * an IPv6 address for this IPv4 socket. Back to the phone's address, the
 * stream resumes: the same SSRC, its sequence numbers going on. */
static void
test_host_name_sends_nothing (Fixture *f, gconstpointer data)
{
  static const gchar *const remotes[] = { PHONE_NAME, "localhost", "::1" };
  g_autoptr (GResolver) system = g_resolver_get_default ();
  g_autoptr (GResolver) phone = g_object_new (phone_resolver_get_type (), NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) bound =
      g_socket_get_local_address (f->phone, &error);
  guint port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  guint64 again;
  guint before, arrived = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (run_phase (f, PHASE_FAN_OUT, 400), >, 10);
  g_resolver_set_default (phone);
  for (guint r = 0; r < G_N_ELEMENTS (remotes); r++) {
    mcu_media_session_set_remote (f->session, remotes[r], port, port + 1);
    /* (a frame already on its way may still go out) */
    run (f, 60);
    before = f->packets->len;
    run_phase (f, PHASE_DEAF, 300);
    if (f->packets->len != before)
      g_error ("remote %s: %u packets arrived", remotes[r],
          f->packets->len - before);
  }
  mcu_media_session_set_remote (f->session, "127.0.0.1", port, port + 1);
  g_resolver_set_default (system);
  again = run_phase (f, PHASE_FAN_OUT_AGAIN, 400);
  mcu_media_session_set_sending (f->session, FALSE);
  f->phase = PHASE_END;
  run (f, 150);

  for (guint i = 0; i < f->packets->len; i++)
    arrived +=
        g_array_index (f->packets, Packet, i).phase == PHASE_FAN_OUT_AGAIN;
  g_test_message ("back at the address: %u packets arrived, %" G_GUINT64_FORMAT
                  " fanned out",
      arrived, again);
  g_assert_cmpuint (again, >, 5);
  g_assert_cmpuint (arrived, >, 5);
  for (guint i = 1; i < f->packets->len; i++) {
    Packet *p = &g_array_index (f->packets, Packet, i);
    Packet *prev = &g_array_index (f->packets, Packet, i - 1);

    g_assert_cmphex (p->ssrc, ==, prev->ssrc);
    if ((guint16)(p->seq - prev->seq - 1) >= 1000)
      g_error ("packet %u (phase %u): seq %u after %u (phase %u)", i, p->phase,
          p->seq, prev->seq, prev->phase);
  }
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  /* the room logs its rebuild at WARNING (fatal under G_DEBUG): not ours */
  mixer_log_quiet (G_LOG_LEVEL_WARNING);
  g_test_add ("/media-fanout/survives-rebuild", Fixture, NULL, fixture_set_up,
      test_survives_rebuild, fixture_tear_down);
  g_test_add ("/media-fanout/continuity-across-switches", Fixture, NULL,
      fixture_set_up, test_continuity_across_switches, fixture_tear_down);
  g_test_add ("/media-fanout/host-name-sends-nothing", Fixture, NULL,
      fixture_set_up, test_host_name_sends_nothing, fixture_tear_down);
  return g_test_run ();
}
