/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Unit tests for a room's audio mix and who owns an error: an error from
 * any element inside a participant's bin is that participant's alone; one
 * still queued when its participant has left is dropped; an error from the
 * room's own elements rebuilds the room with everyone in it, and only a
 * second one within 30 s fails the room. Real pipelines, real sockets on
 * 127.0.0.1 (nothing is sent: no remote address is set). */
#include "mcu-audio-mix.h"
#include "mcu-port-pool.h"
#include "mcu-recorder.h"
#include "mixer-log.h"

#include <glib/gstdio.h>

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

typedef struct
{
  McuPortPool *pool;
  McuAudioMix *mix;
  McuMediaSession *a, *b;
  GPtrArray *session_errors; /* McuMediaSession* (weak) per emission */
  guint room_errors;
  GArray *done;  /* Done per "prompt-done" */
  gchar *tmpdir; /* prompt files */
} Fixture;

typedef struct
{
  guint id;
  gboolean completed;
} Done;

static void
on_session_error (McuAudioMix *mix, McuMediaSession *session,
    const gchar *message, Fixture *f)
{
  g_ptr_array_add (f->session_errors, session);
}

static void
on_room_error (McuAudioMix *mix, const gchar *message, Fixture *f)
{
  f->room_errors++;
}

static void
on_prompt_done (McuAudioMix *mix, guint id, gboolean completed, Fixture *f)
{
  Done d = { id, completed };

  g_array_append_val (f->done, d);
}

static McuMediaSession *
new_session (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  McuMediaCodecParams p = {
    .codec = MCU_MEDIA_CODEC_PCMU, .pt = 0, .ptime = 20
  };
  McuMediaSession *s = mcu_media_session_new (f->pool, 60, &error);

  g_assert_no_error (error);
  g_assert_true (mcu_media_session_set_codec (s, &p, &error));
  g_assert_no_error (error);
  g_assert_true (mcu_audio_mix_add (f->mix, s, &error));
  g_assert_no_error (error);
  return s;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  McuAudioMixOptions options = { .latency_ms = 60, .noise_gate_db = -127 };
  guint base = 40000 + (getpid () % 1000) * 20;

  f->pool = mcu_port_pool_new ("127.0.0.1", base, base + 199);
  /* data: the audio transports without rtpbin, on McuPlayout */
  mcu_port_pool_set_playout_enabled (f->pool, data != NULL);
  f->mix = mcu_audio_mix_new ("unit", &options, &error);
  g_assert_no_error (error);
  f->session_errors = g_ptr_array_new ();
  g_signal_connect (f->mix, "session-error", G_CALLBACK (on_session_error), f);
  g_signal_connect (f->mix, "error", G_CALLBACK (on_room_error), f);
  f->done = g_array_new (FALSE, FALSE, sizeof (Done));
  g_signal_connect (f->mix, "prompt-done", G_CALLBACK (on_prompt_done), f);
  f->tmpdir = g_dir_make_tmp ("mcu-prompt-XXXXXX", NULL);
  g_assert_nonnull (f->tmpdir);
  f->a = new_session (f);
  f->b = new_session (f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  if (f->a)
    mcu_audio_mix_remove (f->mix, f->a);
  if (f->b)
    mcu_audio_mix_remove (f->mix, f->b);
  g_clear_object (&f->a);
  g_clear_object (&f->b);
  g_clear_object (&f->mix);
  g_clear_object (&f->pool);
  g_ptr_array_unref (f->session_errors);
  g_array_unref (f->done);
  if (f->tmpdir) {
    g_autoptr (GDir) dir = g_dir_open (f->tmpdir, 0, NULL);
    const gchar *name;

    while (dir && (name = g_dir_read_name (dir))) {
      g_autofree gchar *path = g_build_filename (f->tmpdir, name, NULL);

      g_unlink (path);
    }
    g_rmdir (f->tmpdir);
    g_free (f->tmpdir);
  }
}

/* Runs the main context (the mix's bus watch) for @ms. */
static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
}

/* (transfer full) an element deep inside @session's bin: its udpsink. */
static GstElement *
inner_element (McuMediaSession *session)
{
  GstElement *bin = mcu_media_session_get_bin (session);
  g_autoptr (GstIterator) it = gst_bin_iterate_sinks (GST_BIN (bin));
  GValue v = G_VALUE_INIT;
  GstElement *e = NULL;

  while (e == NULL && gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    e = g_value_dup_object (&v);
    g_value_unset (&v);
  }
  g_assert_nonnull (e);
  g_assert_true (
      GST_OBJECT_PARENT (e) != GST_OBJECT (bin) || GST_IS_ELEMENT (e));
  return e;
}

static void
post_error (GstElement *e)
{
  g_autoptr (GError) err = g_error_new_literal (
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS, "injected by the test");

  gst_element_post_message (
      e, gst_message_new_error (GST_OBJECT (e), err, "test"));
}

static void
test_participant_error_is_its_own (Fixture *f, gconstpointer data)
{
  g_autoptr (GstElement) e = inner_element (f->a);
  /* one deeper still: an element rtpbin made (its session, jitter buffer) */
  g_autoptr (GstIterator) it =
      gst_bin_iterate_recurse (GST_BIN (mcu_media_session_get_bin (f->b)));
  GValue v = G_VALUE_INIT;
  g_autoptr (GstElement) deep = NULL;

  post_error (e);
  spin (200);
  g_assert_cmpuint (f->session_errors->len, ==, 1);
  g_assert_true (g_ptr_array_index (f->session_errors, 0) == f->a);
  g_assert_cmpuint (f->room_errors, ==, 0);
  g_assert_cmpuint (mcu_audio_mix_get_n_rebuilds (f->mix), ==, 0);

  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstObject *o = g_value_get_object (&v);

    if (GST_OBJECT_PARENT (o) && GST_IS_BIN (GST_OBJECT_PARENT (o)) &&
        GST_OBJECT_PARENT (o) != GST_OBJECT (mcu_media_session_get_bin (f->b)))
      g_set_object (&deep, GST_ELEMENT (o));
    g_value_unset (&v);
  }
  g_assert_nonnull (deep); /* inside rtpbin, two levels down */
  post_error (deep);
  spin (200);
  g_assert_cmpuint (f->session_errors->len, ==, 2);
  g_assert_true (g_ptr_array_index (f->session_errors, 1) == f->b);
  g_assert_cmpuint (f->room_errors, ==, 0);
}

static void
test_error_after_leaving_dropped (Fixture *f, gconstpointer data)
{
  g_autoptr (GstElement) e = inner_element (f->b);

  /* queued while b is in the room, handled after it left */
  post_error (e);
  mcu_audio_mix_remove (f->mix, f->b);
  g_clear_object (&f->b);
  spin (200);
  g_assert_cmpuint (f->session_errors->len, ==, 0);
  g_assert_cmpuint (f->room_errors, ==, 0);
  g_assert_cmpuint (mcu_audio_mix_get_n_rebuilds (f->mix), ==, 0);
  g_assert_cmpuint (mcu_audio_mix_get_n_sessions (f->mix), ==, 1);
}

static void
test_room_error_rebuilds_then_fails (Fixture *f, gconstpointer data)
{
  GstElement *old_mixer = mcu_audio_mix_get_mixer (f->mix);
  GstState state = GST_STATE_NULL;

  post_error (old_mixer);
  spin (300);
  g_assert_cmpuint (mcu_audio_mix_get_n_rebuilds (f->mix), ==, 1);
  g_assert_cmpuint (f->room_errors, ==, 0);
  g_assert_cmpuint (f->session_errors->len, ==, 0);
  g_assert_true (mcu_audio_mix_get_mixer (f->mix) != old_mixer);
  /* everyone is back in, in the new pipeline, playing */
  g_assert_true (mcu_audio_mix_contains (f->mix, f->a));
  g_assert_true (mcu_audio_mix_contains (f->mix, f->b));
  g_assert_true (GST_OBJECT_PARENT (mcu_media_session_get_bin (f->a)) ==
                 GST_OBJECT_PARENT (mcu_audio_mix_get_mixer (f->mix)));
  g_assert_cmpint (gst_element_get_state (mcu_media_session_get_bin (f->a),
                       &state, NULL, 2 * GST_SECOND),
      !=, GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (state, ==, GST_STATE_PLAYING);

  /* failing again at once: the room fails (its owner hangs up) */
  post_error (mcu_audio_mix_get_mixer (f->mix));
  spin (300);
  g_assert_cmpuint (f->room_errors, ==, 1);
  g_assert_cmpuint (mcu_audio_mix_get_n_rebuilds (f->mix), ==, 1);
}

/* One PCMU packet (20 ms of silence) from @sock to @session's RTP port. */
static void
send_rtp (GSocket *sock, McuMediaSession *session, guint16 seq)
{
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) to = g_inet_socket_address_new (
      lo, (guint16)mcu_media_session_get_rtp_port (session));
  guint8 pkt[12 + 160];

  memset (pkt, 0xff, sizeof pkt);
  pkt[0] = 0x80;
  pkt[1] = 0; /* PCMU */
  pkt[2] = seq >> 8;
  pkt[3] = seq & 0xff;
  pkt[4] = pkt[5] = 0;
  pkt[6] = (guint8)((seq * 160u) >> 8);
  pkt[7] = (guint8)(seq * 160u);
  pkt[8] = 0x12;
  pkt[9] = 0x34;
  pkt[10] = 0x56;
  pkt[11] = 0x78;
  g_socket_send_to (sock, to, (const gchar *)pkt, sizeof pkt, NULL, NULL);
}

/* Sends to @session for up to 3 s until McuPlayout services @n jitter
 * buffers; the number it got to. */
static guint
feed_until_serviced (
    Fixture *f, GSocket *sock, McuMediaSession *session, guint16 *seq, guint n)
{
  McuPlayout *playout = mcu_port_pool_get_playout (f->pool);

  for (guint i = 0; i < 150; i++) {
    send_rtp (sock, session, (*seq)++);
    spin (20);
    if (mcu_playout_get_n_buffers (playout) == n)
      break;
  }
  return mcu_playout_get_n_buffers (playout);
}

/* Without rtpbin, a caller's jitter buffer is handed to McuPlayout by its
 * first packet, and it leaves McuPlayout when its bin stops. A room rebuilt
 * (its own elements failed) takes the same bins out and puts them back in
 * a new pipeline: the jitter buffer must be serviced again (it was not: the
 * caller was never heard again in that room). */
static void
test_shared_jitter_buffer_survives_rebuild (Fixture *f, gconstpointer data)
{
  g_autoptr (GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) local = NULL;
  guint16 seq = 1;

  g_assert_nonnull (mcu_port_pool_get_playout (f->pool));
  g_assert_true (g_socket_bind (sock, any, FALSE, NULL));
  local = g_socket_get_local_address (sock, NULL);
  mcu_media_session_set_remote (f->a, "127.0.0.1",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)), 0);

  g_assert_cmpuint (feed_until_serviced (f, sock, f->a, &seq, 1), ==, 1);
  post_error (mcu_audio_mix_get_mixer (f->mix));
  spin (300);
  g_assert_cmpuint (mcu_audio_mix_get_n_rebuilds (f->mix), ==, 1);
  g_assert_true (mcu_audio_mix_contains (f->mix, f->a));
  g_assert_cmpuint (feed_until_serviced (f, sock, f->a, &seq, 1), ==, 1);
  /* leaving takes it off the workers */
  mcu_audio_mix_remove (f->mix, f->a);
  g_assert_cmpuint (
      mcu_playout_get_n_buffers (mcu_port_pool_get_playout (f->pool)), ==, 0);
}

typedef struct
{
  GSocket *sock;
  guint ports[8];
  gint n_ports; /* atomic: 0 stops the thread */
  gint sent;    /* atomic */
} Traffic;

/* Sends PCMU to every port in @data every 2 ms until n_ports is 0. */
static gpointer
traffic_thread (gpointer data)
{
  Traffic *t = data;
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  guint16 seq = 1;
  gint n;

  while ((n = g_atomic_int_get (&t->n_ports)) > 0) {
    for (gint i = 0; i < n; i++) {
      g_autoptr (GSocketAddress) to =
          g_inet_socket_address_new (lo, (guint16)t->ports[i]);
      guint8 pkt[12 + 160];

      memset (pkt, 0xff, sizeof pkt);
      pkt[0] = 0x80;
      pkt[1] = 0;
      pkt[2] = seq >> 8;
      pkt[3] = seq & 0xff;
      pkt[6] = (guint8)((seq * 160u) >> 8);
      pkt[7] = (guint8)(seq * 160u);
      pkt[11] = (guint8)i;
      g_socket_send_to (
          t->sock, to, (const gchar *)pkt, sizeof pkt, NULL, NULL);
      g_atomic_int_inc (&t->sent);
    }
    seq++;
    g_usleep (2000);
  }
  return NULL;
}

/* Rooms closing while their callers' RTP keeps coming (McuRtpIo pushing
 * into the jitter buffers, McuPlayout's workers servicing them into the
 * mixers): callers leave one by one, then the room goes, five times over,
 * with the traffic never stopping. Nothing may stay on the workers, and
 * nothing may be touched after it is freed (the ASan unit run). */
static void
test_shared_jitter_buffer_teardown_under_traffic (void)
{
  guint base = 42000 + (getpid () % 500) * 16;
  g_autoptr (McuPortPool) pool =
      mcu_port_pool_new ("127.0.0.1", base, base + 15);
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) local = NULL;
  McuAudioMixOptions options = { .latency_ms = 60, .noise_gate_db = -127 };
  McuMediaCodecParams p = {
    .codec = MCU_MEDIA_CODEC_PCMU, .pt = 0, .ptime = 20
  };
  Traffic t = { 0 };
  GThread *thread;
  guint my_port;

  mcu_port_pool_set_playout_enabled (pool, TRUE);
  t.sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, NULL);
  g_assert_true (g_socket_bind (t.sock, any, FALSE, NULL));
  local = g_socket_get_local_address (t.sock, NULL);
  my_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  for (guint round = 0; round < 5; round++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (McuAudioMix) mix = mcu_audio_mix_new ("unit", &options, &error);
    McuMediaSession *s[4];
    McuPlayout *playout;

    g_assert_no_error (error);
    for (guint i = 0; i < G_N_ELEMENTS (s); i++) {
      s[i] = mcu_media_session_new (pool, 60, &error);
      g_assert_no_error (error);
      g_assert_true (mcu_media_session_set_codec (s[i], &p, &error));
      mcu_media_session_set_remote (s[i], "127.0.0.1", my_port, 0);
      g_assert_true (mcu_audio_mix_add (mix, s[i], &error));
      g_assert_no_error (error);
      t.ports[i] = mcu_media_session_get_rtp_port (s[i]);
    }
    if (round == 0) {
      g_atomic_int_set (&t.n_ports, G_N_ELEMENTS (s));
      thread = g_thread_new ("traffic", traffic_thread, &t);
    }
    playout = mcu_port_pool_get_playout (pool);
    for (guint i = 0;
         i < 100 && mcu_playout_get_n_buffers (playout) < G_N_ELEMENTS (s); i++)
      spin (10);
    g_assert_cmpuint (
        mcu_playout_get_n_buffers (playout), ==, G_N_ELEMENTS (s));
    spin (200);
    /* half leave (their sessions freed at once), the room goes with the
     * others in it */
    for (guint i = 0; i < 2; i++) {
      mcu_audio_mix_remove (mix, s[i]);
      g_object_unref (s[i]);
    }
    spin (50);
    g_clear_object (&mix);
    g_assert_cmpuint (mcu_playout_get_n_buffers (playout), ==, 0);
    for (guint i = 2; i < G_N_ELEMENTS (s); i++)
      g_object_unref (s[i]);
    spin (20);
  }
  g_atomic_int_set (&t.n_ports, 0);
  g_thread_join (thread);
  g_assert_cmpint (g_atomic_int_get (&t.sent), >, 0);
  g_object_unref (t.sock);
}

typedef struct
{
  gint buffers;       /* atomic */
  GstClockTime last;  /* the last buffer's clock time (tap thread) */
  gboolean backwards; /* a clock time went back */
} TapCount;

static void
on_tap (
    GstBuffer *buffer, GstCaps *caps, GstClockTime clock_time, gpointer data)
{
  TapCount *t = data;

  if (GST_CLOCK_TIME_IS_VALID (t->last) && clock_time < t->last)
    t->backwards = TRUE;
  t->last = clock_time;
  g_atomic_int_inc (&t->buffers);
}

/* A tap on the full mix goes on across a rebuild of the room's elements
 * (a recording of the room must not end with it), on the same clock. */
static void
test_tap_survives_rebuild (Fixture *f, gconstpointer data)
{
  TapCount t = { 0, GST_CLOCK_TIME_NONE, FALSE };
  guint id = mcu_audio_mix_add_tap (f->mix, on_tap, &t, NULL);

  spin (300);
  g_assert_cmpint (g_atomic_int_get (&t.buffers), >=, 5);
  post_error (mcu_audio_mix_get_mixer (f->mix));
  spin (300);
  g_assert_cmpuint (mcu_audio_mix_get_n_rebuilds (f->mix), ==, 1);
  g_atomic_int_set (&t.buffers, 0);
  spin (300);
  g_assert_cmpint (g_atomic_int_get (&t.buffers), >=, 5);
  mcu_audio_mix_remove_tap (f->mix, id);
  g_atomic_int_set (&t.buffers, 0);
  spin (100);
  g_assert_cmpint (g_atomic_int_get (&t.buffers), ==, 0);
  g_assert_false (t.backwards);
}

static void
on_recorder_done (McuRecorder *recorder, gint *done)
{
  *done = 1;
}

static void
on_recorder_failed (McuRecorder *recorder, const gchar *message, gint *done)
{
  *done = 2;
}

/* A recording of the room's mix through a rebuild ends with a complete
 * file ("stopped"), its duration the wall clock's. */
static void
test_recorder_across_rebuild (Fixture *f, gconstpointer data)
{
  g_autofree gchar *dir = g_dir_make_tmp ("mcu-rec-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "room.mka", NULL);
  McuRecorderOptions options = {
    .output = MCU_RECORDER_FILE,
    .path = path,
    .width = 320,
    .height = 180,
    .framerate = 30,
    .bitrate = 500,
  };
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time (), t1;
  g_autoptr (McuRecorder) rec =
      mcu_recorder_new (&options, f->mix, NULL, &error);
  /* (the recording starts somewhere inside mcu_recorder_new, which is slow
   * under ASan: its duration lies between the wall clock from after it and
   * from before it) */
  gint64 t0_built = g_get_monotonic_time ();
  gint done = 0;
  GStatBuf st;
  gint64 end, wall_ms, rec_ms;

  g_assert_no_error (error);
  g_signal_connect (rec, "stopped", G_CALLBACK (on_recorder_done), &done);
  g_signal_connect (rec, "failed", G_CALLBACK (on_recorder_failed), &done);
  /* a second one over the same file is refused, the file kept */
  g_assert_null (mcu_recorder_new (&options, f->mix, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  spin (500);
  post_error (mcu_audio_mix_get_mixer (f->mix));
  spin (700);
  mcu_recorder_stop (rec);
  t1 = g_get_monotonic_time ();
  end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!done && g_get_monotonic_time () < end)
    spin (50);
  g_assert_cmpint (done, ==, 1);
  g_assert_cmpint (mcu_recorder_get_state (rec), ==, MCU_RECORDER_STOPPED);
  /* the recording's time is the wall clock's, rebuild or not */
  wall_ms = (t1 - t0) / 1000;
  rec_ms = (gint64)(mcu_recorder_get_duration (rec) / GST_MSECOND);
  g_assert_cmpint (rec_ms, <=, wall_ms);
  g_assert_cmpint (rec_ms, >=, (t1 - t0_built) / 1000 - 100);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, 1000);
  g_unlink (path);
  g_rmdir (dir);
}

/* ----- prompts ----- */

static void
put32 (guint8 *p, guint32 v)
{
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = v >> 24;
}

static void
put16 (guint8 *p, guint16 v)
{
  p[0] = v & 0xff;
  p[1] = v >> 8;
}

/* (transfer full) a WAV file of @ms of a quiet 500 Hz tone in f->tmpdir. */
static gchar *
write_wav (Fixture *f, const gchar *name, guint ms, guint rate)
{
  guint n = rate / 1000 * ms;
  gsize size = 44 + 2 * n;
  g_autofree guint8 *data = g_malloc0 (size);
  gchar *path = g_build_filename (f->tmpdir, name, NULL);

  memcpy (data, "RIFF", 4);
  put32 (data + 4, size - 8);
  memcpy (data + 8, "WAVEfmt ", 8);
  put32 (data + 16, 16);
  put16 (data + 20, 1);
  put16 (data + 22, 1);
  put32 (data + 24, rate);
  put32 (data + 28, rate * 2);
  put16 (data + 32, 2);
  put16 (data + 34, 16);
  memcpy (data + 36, "data", 4);
  put32 (data + 40, 2 * n);
  for (guint i = 0; i < n; i++)
    put16 (
        data + 44 + 2 * i, (guint16)(gint16)(3000 * ((i / 48) % 2 ? 1 : -1)));
  g_assert_true (g_file_set_contents (path, (gchar *)data, size, NULL));
  return path;
}

/* Spins until prompt @id is reported (at most @ms); its Done. */
static Done
wait_done (Fixture *f, guint id, guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end) {
    for (guint i = 0; i < f->done->len; i++)
      if (g_array_index (f->done, Done, i).id == id)
        return g_array_index (f->done, Done, i);
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  }
  g_error ("no prompt-done for prompt %u", id);
  return (Done){ 0 };
}

static guint
n_done (Fixture *f, guint id)
{
  guint n = 0;

  for (guint i = 0; i < f->done->len; i++)
    n += g_array_index (f->done, Done, i).id == id;
  return n;
}

static void
test_prompt_completes (Fixture *f, gconstpointer data)
{
  g_autofree gchar *file = write_wav (f, "short.wav", 100, 48000);
  const gchar *files[] = { file, file, NULL };
  g_autoptr (GError) error = NULL;
  guint to_a, room;

  to_a = mcu_audio_mix_play_to (f->mix, f->a, files, MCU_PROMPT_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (to_a, >, 0);
  room = mcu_audio_mix_announce (f->mix, files, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (room, >, 0);
  g_assert_cmpuint (room, !=, to_a);
  g_assert_cmpuint (mcu_audio_mix_get_n_prompts (f->mix), ==, 2);
  g_assert_true (wait_done (f, to_a, 3000).completed);
  g_assert_true (wait_done (f, room, 3000).completed);
  spin (100);
  g_assert_cmpuint (n_done (f, to_a), ==, 1);
  g_assert_cmpuint (mcu_audio_mix_get_n_prompts (f->mix), ==, 0);
  /* stopping a finished prompt is a no-op */
  mcu_audio_mix_stop_prompt (f->mix, to_a);
  spin (50);
  g_assert_cmpuint (n_done (f, to_a), ==, 1);
}

static void
test_prompt_stop_and_leave (Fixture *f, gconstpointer data)
{
  g_autofree gchar *file = write_wav (f, "loop.wav", 200, 48000);
  const gchar *files[] = { file, NULL };
  g_autoptr (GError) error = NULL;
  guint music, notice;

  music = mcu_audio_mix_play_to (f->mix, f->a, files, MCU_PROMPT_LOOP, &error);
  g_assert_no_error (error);
  notice = mcu_audio_mix_play_to (
      f->mix, f->b, files, MCU_PROMPT_LOOP | MCU_PROMPT_KEEP_MIX, &error);
  g_assert_no_error (error);
  spin (500); /* longer than the file: it loops */
  g_assert_cmpuint (f->done->len, ==, 0);

  mcu_audio_mix_stop_prompt (f->mix, music);
  /* never from inside the call */
  g_assert_cmpuint (f->done->len, ==, 0);
  g_assert_false (wait_done (f, music, 1000).completed);

  mcu_audio_mix_remove (f->mix, f->b);
  g_clear_object (&f->b);
  g_assert_false (wait_done (f, notice, 1000).completed);
  spin (300);
  g_assert_cmpuint (f->done->len, ==, 2);
  g_assert_cmpuint (mcu_audio_mix_get_n_prompts (f->mix), ==, 0);
}

static void
test_prompt_errors (Fixture *f, gconstpointer data)
{
  g_autofree gchar *file = write_wav (f, "ok.wav", 100, 48000);
  g_autofree gchar *cd = write_wav (f, "cd.wav", 100, 44100);
  g_autofree gchar *junk = g_build_filename (f->tmpdir, "junk.wav", NULL);
  g_autofree gchar *missing = g_build_filename (f->tmpdir, "none.wav", NULL);
  const gchar *ok[] = { file, NULL };
  const gchar *none[] = { NULL };
  g_autoptr (McuMediaSession) stranger = NULL;
  g_autoptr (GError) error = NULL;
  McuMediaCodecParams p = {
    .codec = MCU_MEDIA_CODEC_PCMU, .pt = 0, .ptime = 20
  };
  guint ids[MCU_AUDIO_MIX_MAX_PROMPTS];

  g_assert_true (g_file_set_contents (junk, "RIFF....WAVEnope", -1, NULL));
  for (guint i = 0; i < 4; i++) {
    const gchar *bad[] = { file, i == 0 ? cd : i == 1 ? junk : missing, NULL };

    if (i == 3) {
      g_assert_cmpuint (mcu_audio_mix_announce (f->mix, none, &error), ==, 0);
    } else {
      g_assert_cmpuint (mcu_audio_mix_announce (f->mix, bad, &error), ==, 0);
    }
    g_assert_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PROMPT);
    g_clear_error (&error);
  }

  stranger = mcu_media_session_new (f->pool, 60, &error);
  g_assert_no_error (error);
  g_assert_true (mcu_media_session_set_codec (stranger, &p, &error));
  g_assert_cmpuint (
      mcu_audio_mix_play_to (f->mix, stranger, ok, MCU_PROMPT_NONE, &error), ==,
      0);
  g_assert_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_NO_SESSION);
  g_clear_error (&error);

  /* a room holds at most MCU_AUDIO_MIX_MAX_PROMPTS */
  for (guint i = 0; i < MCU_AUDIO_MIX_MAX_PROMPTS; i++) {
    ids[i] = mcu_audio_mix_play_to (f->mix, i % 2 ? f->a : f->b, ok,
        MCU_PROMPT_LOOP | (i % 3 ? MCU_PROMPT_KEEP_MIX : 0), &error);
    g_assert_no_error (error);
  }
  g_assert_cmpuint (mcu_audio_mix_announce (f->mix, ok, &error), ==, 0);
  g_assert_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_LIMIT);
  g_clear_error (&error);
  for (guint i = 0; i < MCU_AUDIO_MIX_MAX_PROMPTS; i++)
    mcu_audio_mix_stop_prompt (f->mix, ids[i]);
  g_assert_cmpuint (mcu_audio_mix_get_n_prompts (f->mix), ==, 0);
  g_assert_cmpuint (mcu_audio_mix_announce (f->mix, ok, &error), >, 0);
  g_assert_no_error (error);
}

static void
test_prompt_survives_rebuild (Fixture *f, gconstpointer data)
{
  g_autofree gchar *file = write_wav (f, "long.wav", 3000, 48000);
  const gchar *files[] = { file, NULL };
  g_autoptr (GError) error = NULL;
  guint music, speech;

  music = mcu_audio_mix_play_to (f->mix, f->a, files, MCU_PROMPT_LOOP, &error);
  g_assert_no_error (error);
  speech = mcu_audio_mix_announce (f->mix, files, &error);
  g_assert_no_error (error);
  spin (100);
  post_error (mcu_audio_mix_get_mixer (f->mix));
  /* the looping one plays on in the new mixer, the other ends */
  g_assert_false (wait_done (f, speech, 1000).completed);
  g_assert_cmpuint (mcu_audio_mix_get_n_rebuilds (f->mix), ==, 1);
  spin (200);
  g_assert_cmpuint (n_done (f, music), ==, 0);
  g_assert_cmpuint (mcu_audio_mix_get_n_prompts (f->mix), ==, 1);
  mcu_audio_mix_stop_prompt (f->mix, music);
  g_assert_false (wait_done (f, music, 1000).completed);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  /* the mixer logs every media error at WARNING (fatal under G_DEBUG) */
  mixer_log_quiet (G_LOG_LEVEL_MASK);
  g_test_add ("/audio-mix/errors/participant-error-is-its-own", Fixture, NULL,
      fixture_set_up, test_participant_error_is_its_own, fixture_tear_down);
  g_test_add ("/audio-mix/errors/after-leaving-dropped", Fixture, NULL,
      fixture_set_up, test_error_after_leaving_dropped, fixture_tear_down);
  g_test_add ("/audio-mix/errors/room-error-rebuilds-then-fails", Fixture, NULL,
      fixture_set_up, test_room_error_rebuilds_then_fails, fixture_tear_down);
  g_test_add ("/audio-mix/shared-jitter-buffer/survives-rebuild", Fixture,
      "shared", fixture_set_up, test_shared_jitter_buffer_survives_rebuild,
      fixture_tear_down);
  g_test_add_func ("/audio-mix/shared-jitter-buffer/teardown-under-traffic",
      test_shared_jitter_buffer_teardown_under_traffic);
  g_test_add ("/audio-mix/taps/survive-rebuild", Fixture, NULL, fixture_set_up,
      test_tap_survives_rebuild, fixture_tear_down);
  g_test_add ("/audio-mix/recorder/across-rebuild", Fixture, NULL,
      fixture_set_up, test_recorder_across_rebuild, fixture_tear_down);
  g_test_add ("/audio-mix/prompts/complete", Fixture, NULL, fixture_set_up,
      test_prompt_completes, fixture_tear_down);
  g_test_add ("/audio-mix/prompts/stop-and-leave", Fixture, NULL,
      fixture_set_up, test_prompt_stop_and_leave, fixture_tear_down);
  g_test_add ("/audio-mix/prompts/errors", Fixture, NULL, fixture_set_up,
      test_prompt_errors, fixture_tear_down);
  g_test_add ("/audio-mix/prompts/survive-rebuild", Fixture, NULL,
      fixture_set_up, test_prompt_survives_rebuild, fixture_tear_down);
  return g_test_run ();
}
