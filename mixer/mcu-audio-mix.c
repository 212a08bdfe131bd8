/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: a room's audio pipeline.
 *
 *   audiotestsrc(silence, live) -> mcumixminus.sink_0   (the room's clock)
 *   session bin "mix_out"       -> mcumixminus.sink_N
 *   mcumixminus.src_N           -> session bin "mix_in"  (all but N)
 *   mcumixminus.src             -> appsink "full-mix"    (everyone: taps)
 *
 * The live silence source keeps the mixer ticking in real time whoever is
 * (or is not) talking, so a lone caller hears silence and a joiner does not
 * have to wait for the mixer to start.
 *
 * Errors (fault isolation): an error from inside a session's bin is that
 * session's ("session-error"), whichever element posted it; one from a
 * bin no longer in the room (a message still queued when its session left)
 * is dropped. Only the room's own elements (the four above, or the
 * pipeline) fail the room: it is rebuilt first (a new pipeline, every
 * session re-added with its mute and volume), and "error" is emitted only
 * when that fails or the room failed again within REBUILD_WINDOW_US.
 *
 * Joining (see join_wait below): a session first only listens (a
 * listener src_N: it hears the full mix); its sink_N is requested and
 * linked when its first decoded buffer reaches mix_out, so that the live
 * mixer never waits for a joiner that has no audio yet. It did: each join
 * stopped every other caller's audio for 80-120 ms (until the joiner's
 * jitter buffer let its first packet out), a joiner sending no RTP for
 * the mixer's whole latency (~170 ms), measured at the callers' sockets
 * (tests/integration/test_join_gap.py). Its sink_N is retimed (the
 * element's "retime" pad property): timed by arrival, never waited for
 * beyond MIX_WAIT_MS past the clock source's frame, so a caller whose RTP
 * stops without a BYE (hold without RTP, DTX, a crashed phone) costs the
 * others at most one 20 ms frame of delay, not the mixer's latency
 * (110-180 ms at every listener; test_mix_stall.py). Its bin is linked to
 * its src_N only once it plays: the mixer's single thread pushes into it,
 * and a sink still prerolling in PAUSED held that push, and every output.
 * The full mix (taps: recordings, streams) is then stamped the jitter
 * buffer + RETIME_LEAD_MS earlier, when its audio arrived, to line up with
 * video.
 * Prompts: played by mcumixminus itself (mcu_mix_minus_play_prompt), from
 * samples decoded once (McuPromptCache): sample-accurate on the room's
 * clock. The room keeps each playing prompt (MixPrompt) so that it can
 * report its end ("prompt-done": the element's mcu-prompt-done message, or
 * a stop/leave/rebuild here, reported from an idle source) and restart
 * looping ones after a rebuild.
 *
 * Threads: every method runs on the main thread. The bus is watched on the
 * main context. Removing a session: its bin goes to NULL first (stopping its
 * streaming threads), then its pads are unlinked and released; mcumixminus
 * ignores FLUSHING/NOT_LINKED on a src_N, so the others never notice. */
#include "mcu-audio-mix.h"
#include "mcu-audio-mix-private.h"
#include "mcu-pad-util-private.h"
#include "mcu-audio-decode.h"
#include "mcu-mix-minus.h"
#include "mcu-plugins.h"
#include "mcu-opus-enc-group.h"

#include <stdio.h>
#include <string.h>

#define MIX_CAPS \
  "audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved"

/* Talking detection from the mixer's level messages (every LEVEL_MS): a
 * participant starts talking after TALK_ON_MS above TALK_ON_DB and stops
 * after TALK_OFF_MS below TALK_OFF_DB; the active speaker changes only to
 * someone talking, and not more often than SPEAKER_HOLD_MS. */
/* the mix's frame: every output buffer, and the unit of a skip */
#define FRAME_MS        20
#define LEVEL_MS        100
#define TALK_ON_DB      -42.0
#define TALK_OFF_DB     -48.0
#define TALK_ON_MS      200
#define TALK_OFF_MS     800
#define SPEAKER_HOLD_MS 1500

/* How long the mixer waits for an input with no data beyond the clock
 * source's frame (20 ms, its latency; see build_pipeline): a caller whose
 * RTP stops delays the others' next frame by at most 20 ms + this. */
#define MIX_WAIT_MS 0
/* mcumixminus places a retimed input this long after its arrival */
#define RETIME_LEAD_MS 20
/* Recordings take this off the mix's times above the middle of the depth
 * range (see build_pipeline): 14 when the aggregator mixed 20 ms after the
 * placed time, -6 since it mixes at it (latency 0, session 23), -26 for
 * the composition's frame grid (see build_pipeline) */
#define TAP_SYNC_MS (-26)

/* The clock source pushes 10 ms buffers (see build_pipeline). */
#define CLOCK_SOURCE_SAMPLES 480

/* A second room-element error this soon after a rebuild fails the room. */
#define REBUILD_WINDOW_US (30 * G_USEC_PER_SEC)
/* The mix skips the frames it missed once this far behind the clock
 * (mcumixminus max-lag). Inputs more than 60 ms late for the clock are
 * placed again by it (mcu-mix-minus-pad.c), so a mix further behind reads
 * them that much later, and none once a ring's window (400 ms) behind; a
 * shorter stall (a busy moment) is caught up, its audio delayed and not
 * lost. Said in the log at most every SKIP_LOG_US. */
#define MAX_LAG_MS  120
#define SKIP_LOG_US (10 * G_USEC_PER_SEC)

G_DEFINE_FINAL_TYPE (McuAudioMix, mcu_audio_mix, G_TYPE_OBJECT)

enum
{
  SIGNAL_SESSION_ERROR,
  SIGNAL_ERROR,
  SIGNAL_TALKING,
  SIGNAL_ACTIVE_SPEAKER,
  SIGNAL_PROMPT_DONE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
mix_entry_free (gpointer data)
{
  MixEntry *e = data;

  g_clear_object (&e->mixer_sink);
  g_clear_object (&e->mixer_src);
  g_clear_object (&e->mix_out);
  g_free (e);
}

static void
mcu_audio_mix_dispose (GObject *object)
{
  McuAudioMix *self = MCU_AUDIO_MIX (object);

  if (self->sessions) {
    g_autoptr (GList) keys = g_hash_table_get_keys (self->sessions);

    for (GList *l = keys; l; l = l->next)
      mcu_audio_mix_remove (self, l->data);
  }
  mcu_audio_mix_stop (self);
  g_clear_handle_id (&self->ended_idle, g_source_remove);
  g_clear_pointer (&self->prompts, g_hash_table_unref);
  g_clear_pointer (&self->prompts_ended, g_array_unref);
  g_clear_object (&self->prompt_cache);
  g_clear_object (&self->options.mix_pool);
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_pointer (&self->opus_groups, g_hash_table_unref);
  g_clear_pointer (&self->by_pad, g_hash_table_unref);
  g_clear_pointer (&self->by_bin, g_hash_table_unref);
  G_OBJECT_CLASS (mcu_audio_mix_parent_class)->dispose (object);
}

static void
mcu_audio_mix_finalize (GObject *object)
{
  McuAudioMix *self = MCU_AUDIO_MIX (object);

  g_free (self->name);
  mcu_mix_taps_free (self->taps);
  g_object_unref (self->priority);
  G_OBJECT_CLASS (mcu_audio_mix_parent_class)->finalize (object);
}

static void
mcu_audio_mix_class_init (McuAudioMixClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mcu_audio_mix_dispose;
  object_class->finalize = mcu_audio_mix_finalize;
  signals[SIGNAL_SESSION_ERROR] = g_signal_new ("session-error",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, MCU_TYPE_MEDIA_SESSION, G_TYPE_STRING);
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_TALKING] = g_signal_new ("talking", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2,
      MCU_TYPE_MEDIA_SESSION, G_TYPE_BOOLEAN);
  signals[SIGNAL_ACTIVE_SPEAKER] = g_signal_new ("active-speaker",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, MCU_TYPE_MEDIA_SESSION);
  signals[SIGNAL_PROMPT_DONE] =
      g_signal_new ("prompt-done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
          0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_BOOLEAN);
}

static void
mcu_audio_mix_init (McuAudioMix *self)
{
  self->sessions = g_hash_table_new_full (
      g_direct_hash, g_direct_equal, g_object_unref, mix_entry_free);
  self->opus_groups =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->by_pad = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->by_bin = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->taps = mcu_mix_taps_new ();
  self->prompts = g_hash_table_new_full (
      g_direct_hash, g_direct_equal, NULL, mcu_audio_mix_prompt_free);
  self->prompts_ended = g_array_new (FALSE, FALSE, sizeof (guint));
  self->priority = mcu_thread_priority_new (
      "a room's mixing threads", MCU_THREAD_NICE_AUDIO);
}

typedef enum
{
  OWNER_ROOM,    /* the room's own elements: the room failed */
  OWNER_SESSION, /* inside a session's bin in the room */
  OWNER_GONE,    /* anything else: a session that has left */
} Owner;

/* Who owns @src: its nearest ancestor that is a session's bin, else the
 * room if it is one of the room's own elements. */
static Owner
owner_of (McuAudioMix *self, GstObject *src, McuMediaSession **session)
{
  g_autoptr (GstObject) o = gst_object_ref (src);

  *session = NULL;
  if (src == GST_OBJECT (self->pipeline) || src == GST_OBJECT (self->mixer))
    return OWNER_ROOM;
  for (guint i = 0; i < G_N_ELEMENTS (self->own); i++)
    if (src == GST_OBJECT (self->own[i]))
      return OWNER_ROOM;
  while (o) {
    GstObject *parent;

    *session = g_hash_table_lookup (self->by_bin, o);
    if (*session)
      return OWNER_SESSION;
    parent = gst_object_get_parent (o);
    gst_object_unref (o);
    o = parent;
  }
  return OWNER_GONE;
}

static McuMediaSession *
session_for_pad_name (McuAudioMix *self, const gchar *name, MixEntry **entry)
{
  McuMediaSession *session = g_hash_table_lookup (self->by_pad, name);

  *entry = session ? g_hash_table_lookup (self->sessions, session) : NULL;
  return *entry ? session : NULL;
}

/* One participant's level over the last LEVEL_MS: talking hysteresis. */
static void
update_talking (McuAudioMix *self, McuMediaSession *session, MixEntry *e,
    gdouble rms_db, guint ms)
{
  e->level_db = 0.7 * e->level_db + 0.3 * MAX (rms_db, -127.0);
  if (!e->talking) {
    e->above_ms = rms_db > TALK_ON_DB ? e->above_ms + ms : 0;
    if (e->above_ms >= TALK_ON_MS) {
      e->talking = TRUE;
      e->below_ms = 0;
      g_signal_emit (self, signals[SIGNAL_TALKING], 0, session, TRUE);
    }
  } else {
    e->below_ms = rms_db < TALK_OFF_DB ? e->below_ms + ms : 0;
    if (e->below_ms >= TALK_OFF_MS) {
      e->talking = FALSE;
      e->above_ms = 0;
      g_signal_emit (self, signals[SIGNAL_TALKING], 0, session, FALSE);
    }
  }
}

/* The loudest talker becomes the active speaker, unless the current one is
 * still talking and has held the floor for less than SPEAKER_HOLD_MS. */
static void
update_speaker (McuAudioMix *self)
{
  GHashTableIter iter;
  gpointer session, e;
  McuMediaSession *best = NULL;
  gdouble best_db = -200.0;
  MixEntry *current = self->speaker
                          ? g_hash_table_lookup (self->sessions, self->speaker)
                          : NULL;
  gint64 now = g_get_monotonic_time ();

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, &session, &e)) {
    MixEntry *me = e;

    if (me->talking && me->level_db > best_db) {
      best = session;
      best_db = me->level_db;
    }
  }
  if (best == NULL || best == self->speaker)
    return;
  if (current && current->talking &&
      now - self->speaker_since < SPEAKER_HOLD_MS * 1000)
    return;
  self->speaker = best;
  self->speaker_since = now;
  g_signal_emit (self, signals[SIGNAL_ACTIVE_SPEAKER], 0, best);
}

/* The frames the mix skipped to keep real time since the last report: the
 * machine is too busy for this room. */
static void
note_skips (McuAudioMix *self)
{
  guint64 skipped = 0, n;
  gint64 now = g_get_monotonic_time ();

  g_object_get (self->mixer, "frames-skipped", &skipped, NULL);
  n = skipped - MIN (skipped, self->skipped_seen);
  if (n == 0 || now - self->skips_said_at < SKIP_LOG_US)
    return;
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MCU_ROOM", self->name,
      "MESSAGE",
      "the audio mix fell behind the clock (the machine is too busy): "
      "%" G_GUINT64_FORMAT " frames (%" G_GUINT64_FORMAT " ms) skipped",
      n, n * FRAME_MS);
  self->skipped_seen = skipped;
  self->skips_said_at = now;
}

static void
on_levels (McuAudioMix *self, const GstStructure *s)
{
  const GValue *pads = gst_structure_get_value (s, "pads");
  guint64 duration = 0;
  guint ms;

  if (pads == NULL || !GST_VALUE_HOLDS_LIST (pads))
    return;
  gst_structure_get_uint64 (s, "duration", &duration);
  ms = duration ? (guint)(duration / GST_MSECOND) : LEVEL_MS;
  for (guint i = 0; i < gst_value_list_get_size (pads); i++) {
    const GstStructure *p =
        gst_value_get_structure (gst_value_list_get_value (pads, i));
    const gchar *name = gst_structure_get_string (p, "pad");
    gdouble rms = -127.0;
    MixEntry *e = NULL;
    McuMediaSession *session;

    if (name == NULL || !gst_structure_get_double (p, "rms-db", &rms))
      continue;
    session = session_for_pad_name (self, name, &e);
    if (session)
      update_talking (self, session, e, rms, ms);
  }
  update_speaker (self);
  note_skips (self);
}

static gboolean rebuild (McuAudioMix *self, GError **error);

/* An error from the room's own elements: rebuild, or fail the room. */
static void
on_room_error (McuAudioMix *self, const gchar *message)
{
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_monotonic_time ();

  if (self->rebuilt_at && now - self->rebuilt_at < REBUILD_WINDOW_US) {
    g_signal_emit (self, signals[SIGNAL_ERROR], 0, message);
    return;
  }
  self->rebuilt_at = now;
  if (!rebuild (self, &error)) {
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MCU_ROOM", self->name,
        "MESSAGE", "room media could not be rebuilt: %s", error->message);
    g_signal_emit (self, signals[SIGNAL_ERROR], 0, message);
    return;
  }
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MCU_ROOM", self->name,
      "MESSAGE", "room media rebuilt after: %s (%u participants kept)", message,
      g_hash_table_size (self->sessions));
}

static void
on_error_message (McuAudioMix *self, GstMessage *msg)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *debug = NULL;
  McuMediaSession *session;
  Owner owner = owner_of (self, GST_MESSAGE_SRC (msg), &session);

  gst_message_parse_error (msg, &err, &debug);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MCU_ROOM", self->name,
      "MESSAGE", "media error from %s (%s): %s (%s)",
      GST_MESSAGE_SRC_NAME (msg),
      owner == OWNER_ROOM      ? "the room's"
      : owner == OWNER_SESSION ? "a participant's"
                               : "a participant that left",
      err->message, debug ? debug : "");
  if (owner == OWNER_SESSION)
    g_signal_emit (
        self, signals[SIGNAL_SESSION_ERROR], 0, session, err->message);
  else if (owner == OWNER_ROOM)
    on_room_error (self, err->message);
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  McuAudioMix *self = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      on_error_message (self, msg);
      break;
    case GST_MESSAGE_WARNING:
      mcu_pad_util_log_warning (self->name, "media", msg);
      break;
    case GST_MESSAGE_ELEMENT:
      if (gst_message_has_name (msg, "mcu-level"))
        on_levels (self, gst_message_get_structure (msg));
      else if (gst_message_has_name (msg, "mcu-prompt-done"))
        mcu_audio_mix_on_prompt_done (self, gst_message_get_structure (msg));
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* The room's running time starts now, before any element is added (each
 * takes the pipeline's base time, then its clock, when added). Left to the
 * PAUSED->PLAYING change, the clock reached the mixer before the base time
 * did: in between, the live mixer saw base time 0 (hours in the past),
 * timed out as fast as it could and ran seconds ahead of its input (4 s
 * under load), then waited that long with no output for anyone: calls
 * with no audio at all at their start. */
static void
fix_base_time (GstPipeline *pipeline)
{
  g_autoptr (GstClock) clock = gst_system_clock_obtain ();

  gst_pipeline_use_clock (pipeline, clock);
  gst_element_set_clock (GST_ELEMENT (pipeline), clock);
  gst_element_set_start_time (GST_ELEMENT (pipeline), GST_CLOCK_TIME_NONE);
  gst_element_set_base_time (
      GST_ELEMENT (pipeline), gst_clock_get_time (clock));
}

/* The room's mixing thread (the mixer's task, which also runs every
 * caller's encode) and the clock source's thread pace every participant's
 * audio: they run at a higher priority (MCU_THREAD_NICE_AUDIO) than the
 * participants' own threads (receive, jitter buffer, RTCP), so that on a
 * busy machine a burst of joins (each a few new threads) delays the
 * joiners, not the room. Best effort (mcu-thread-priority.h). Bus sync
 * handler: runs on the thread that starts or stops. */
static GstBusSyncReply
on_bus_sync (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  McuAudioMix *self = user_data;
  GstStreamStatusType type;
  GstElement *owner = NULL;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_STREAM_STATUS)
    return GST_BUS_PASS;
  gst_message_parse_stream_status (msg, &type, &owner);
  /* a leave sets back only a thread this room raised, whoever's task it
   * ran (a rebuild replaces the elements) */
  if (type == GST_STREAM_STATUS_TYPE_LEAVE || owner == self->mixer ||
      owner == self->own[0])
    mcu_thread_priority_handle_stream_status (self->priority, msg);
  return GST_BUS_PASS;
}

static gboolean
build_pipeline (McuAudioMix *self, GError **error)
{
  const McuAudioMixOptions *options = &self->options;
  GstElement *silence, *caps, *sink;
  g_autoptr (GstCaps) mix_caps = gst_caps_from_string (MIX_CAPS);
  g_autofree gchar *pname = g_strdup_printf ("room-%s", self->name);

  mcu_plugins_register ();
  self->pipeline = gst_pipeline_new (pname);
  fix_base_time (GST_PIPELINE (self->pipeline));
  silence = gst_element_factory_make ("audiotestsrc", "clock-source");
  caps = gst_element_factory_make ("capsfilter", NULL);
  self->mixer = gst_element_factory_make ("mcumixminus", "mixer");
  self->skipped_seen = 0; /* (a new mixer counts from 0) */
  sink = mcu_mix_taps_make_sink (self->taps, "full-mix");
  if (!silence || !caps || !self->mixer || !sink) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot create the room pipeline (missing GStreamer plugins)");
    return FALSE;
  }
  self->own[0] = silence;
  self->own[1] = caps;
  self->own[2] = sink;
  g_object_set (silence, "is-live", TRUE, "wave", 4 /* silence */,
      "samplesperbuffer", CLOCK_SOURCE_SAMPLES, NULL);
  g_object_set (caps, "caps", mix_caps, NULL);
  /* The participants' inputs are retimed by their arrival (see
   * link_joiner): the mixer waits MIX_WAIT_MS past the clock source's frame
   * for an input that has nothing yet, and no longer. It used to wait the
   * jitter buffer's latency plus 40 ms plus the largest latency any input
   * reported (180 ms with the default 60 ms jitter buffer): every output
   * stopped that long whenever one caller's RTP stopped. */
  /* Frames start at the clock source's first buffer (not at 0), so each
   * 20 ms frame is complete from the clock source's side when its second
   * 10 ms buffer is pushed, 10 ms after the frame's start: the retimed
   * inputs are placed for that moment (see mcu-mix-minus-pad.c). */
  gst_util_set_object_arg (
      G_OBJECT (self->mixer), "start-time-selection", "first");
  g_object_set (self->mixer, "output-buffer-duration",
      (guint64)FRAME_MS * GST_MSECOND, "latency",
      (guint64)MIX_WAIT_MS * GST_MSECOND, "level-interval",
      (guint64)LEVEL_MS * GST_MSECOND, "max-lag",
      (guint64)MAX_LAG_MS * GST_MSECOND, NULL);
  /* GstAudioAggregator counts its output duration (20 ms) as latency, so a
   * live frame would wait until 30 ms after its start for inputs that are
   * not queued (the rings of the shared jitter buffers' inputs: mixed at
   * the timeout, 20 ms later than they are placed for). With that latency
   * at 0 a frame is mixed at the clock source's 10 ms, as the retimed
   * inputs are placed for: 20 ms less added latency (latency_bench). It
   * was out for a while because the Opus caller of test_media_mix then got
   * full-scale noise after a leave in about 1 run of 4. The server's Opus
   * stream was clean; the caller's decoder, which got the shared encoder's
   * first packets before its own encoder's, ran away: libopus 1.3.1's SILK
   * at complexity 5 never brings a decoder that missed the stream's start
   * back in step on a steady tonal mix. The line only changed which first
   * frames were shared. Fixed by complexity 9 (configure_encoder). */
  gst_aggregator_set_latency (GST_AGGREGATOR (self->mixer), 0, 0);
  /* A caller's audio is mixed RETIME_LEAD_MS after it leaves its jitter
   * buffer; its picture reaches the compositor after its own jitter buffer
   * and decoder, about as late again as RETIME_LEAD_MS. Recordings and
   * streams take the jitter buffer off the mix's times, so both are timed
   * by arrival plus that same path (test_recording's claps: -45..+7 ms
   * with RETIME_LEAD_MS taken off as well, centred on -19). The depth
   * starts at jitter-latency and comes down to MCU_AUDIO_DECODE_MIN_DEPTH
   * on a clean network (both paths): the middle of the two is taken off,
   * so that lip sync is as far off at a call's start as once its depth
   * came down (taking jitter-latency off: 0 then -43 ms, test_recording),
   * plus TAP_SYNC_MS (was 14 while frames were mixed the aggregator's
   * output latency, 20 ms, after the time retiming places them for; that
   * latency is 0 now: -6; session 24's runs at 14 ended with the sound
   * 41-42 ms early in three of five, -79 and -2 in the others). A picture
   * shows in the first composed frame at or after its time: in a recording
   * it lags its own time by 0..1 frame (0..33 ms at 30 fps; the phase of a
   * caller's frames against the composition's is a run's chance), a frame
   * or two more when the machine is loaded. At -6 the claps ended -32..+2
   * ms (quiet) and -32..+7 (two busy cores) in 13 runs, -40 and -26 in CI:
   * sound early, which viewers notice first (EBU R37: at most 40 ms early,
   * 60 late). -26 moves them 20 ms later, into that window: 8 runs
   * (4 quiet, 4 beside two busy-looping processes) ended -14..+24 ms and
   * started +16..+59 (sound late while the callers' depths step down from
   * 60 ms to ~20 in the first seconds, which viewers notice far less than
   * sound early: the recording is synced for after the steps). */
  mcu_mix_taps_set_delay (self->taps,
      (GstClockTime)MAX (
          0, (gint)(options->latency_ms +
                    MIN (options->latency_ms, MCU_AUDIO_DECODE_MIN_DEPTH)) /
                     2 +
                 TAP_SYNC_MS) *
          GST_MSECOND);
  self->latency = (GstClockTime)(options->latency_ms + 40) * GST_MSECOND;
  if (options->noise_gate_db > -127)
    g_object_set (self->mixer, "gate-threshold-db",
        (gdouble)options->noise_gate_db, NULL);
  if (options->max_talkers > 0)
    g_object_set (self->mixer, "max-talkers", options->max_talkers, NULL);
  if (options->mix_pool)
    g_object_set (self->mixer, "pool", options->mix_pool, NULL);
  if (options->pool_min_cost > 0)
    g_object_set (self->mixer, "pool-min-cost", options->pool_min_cost, NULL);
  gst_bin_add_many (
      GST_BIN (self->pipeline), silence, caps, self->mixer, sink, NULL);
  if (!gst_element_link_many (silence, caps, self->mixer, sink, NULL)) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot link the room pipeline");
    return FALSE;
  }
  return TRUE;
}

/* Builds the room's own elements and sets them playing. */
static gboolean
start_pipeline (McuAudioMix *self, GError **error)
{
  g_autoptr (GstBus) bus = NULL;

  if (!build_pipeline (self, error))
    return FALSE;
  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_watch = gst_bus_add_watch (bus, on_bus_message, self);
  gst_bus_set_sync_handler (bus, on_bus_sync, self, NULL);
  /* Wait until it really plays: a state change finishing later, on
   * GstBin's worker thread, would walk the graph after participants were
   * linked in, and a participant's bin is both upstream and downstream of
   * the mixer (a cycle to GstBin's sort). Live, so this takes
   * milliseconds. */
  gst_element_set_state (self->pipeline, GST_STATE_PLAYING);
  if (gst_element_get_state (self->pipeline, NULL, NULL, 2 * GST_SECOND) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "the room pipeline would not start");
    return FALSE;
  }
  return TRUE;
}

McuAudioMix *
mcu_audio_mix_new (
    const gchar *name, const McuAudioMixOptions *options, GError **error)
{
  g_autoptr (McuAudioMix) self = g_object_new (MCU_TYPE_AUDIO_MIX, NULL);

  self->name = g_strdup (name);
  self->options = *options;
  self->options.prompt_cache = NULL;
  if (options->mix_pool)
    g_object_ref (options->mix_pool);
  self->prompt_cache = options->prompt_cache
                           ? g_object_ref (options->prompt_cache)
                           : mcu_prompt_cache_new ();
  if (!start_pipeline (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

typedef struct
{
  McuMediaSession *session;
  gboolean mute;
  gdouble volume;
  gdouble listen_volume;
} Kept;

static void
kept_free (gpointer data)
{
  Kept *k = data;

  g_object_unref (k->session);
  g_free (k);
}

/* A new pipeline for the room's own elements, every session taken out of
 * the old one and put into the new one with its mute and volume. A session
 * that will not go back in gets "session-error" (it alone). */
static gboolean
rebuild (McuAudioMix *self, GError **error)
{
  g_autoptr (GPtrArray) kept = g_ptr_array_new_with_free_func (kept_free);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    MixEntry *e = value;
    Kept *k = g_new0 (Kept, 1);

    k->session = g_object_ref (key);
    k->mute = e->mute;
    k->volume = e->volume;
    k->listen_volume = e->listen_volume;
    g_ptr_array_add (kept, k);
  }
  self->rebuilding = TRUE;
  for (guint i = 0; i < kept->len; i++)
    mcu_audio_mix_remove (self, ((Kept *)g_ptr_array_index (kept, i))->session);
  self->rebuilding = FALSE;
  mcu_audio_mix_stop (self);
  self->mixer = NULL;
  memset (self->own, 0, sizeof self->own);
  self->n_rebuilds++;
  if (!start_pipeline (self, error)) {
    mcu_audio_mix_prompts_restart (self);
    return FALSE;
  }
  for (guint i = 0; i < kept->len; i++) {
    Kept *k = g_ptr_array_index (kept, i);
    g_autoptr (GError) add_error = NULL;

    if (!mcu_audio_mix_add (self, k->session, &add_error)) {
      g_signal_emit (self, signals[SIGNAL_SESSION_ERROR], 0, k->session,
          add_error->message);
      continue;
    }
    mcu_audio_mix_set_muted (self, k->session, k->mute);
    mcu_audio_mix_set_volume (self, k->session, k->volume);
    mcu_audio_mix_set_listen_volume (self, k->session, k->listen_volume);
  }
  mcu_audio_mix_prompts_restart (self);
  return TRUE;
}

guint
mcu_audio_mix_get_n_rebuilds (McuAudioMix *self)
{
  return self->n_rebuilds;
}

GstElement *
mcu_audio_mix_get_mixer (McuAudioMix *self)
{
  return self->mixer;
}

/* Participants whose Opus encoders have the same settings share one
 * encode of the full mix whenever they are not talking (mcuopusenc). */
static void
join_encoder_group (McuAudioMix *self, McuMediaSession *session)
{
  GstElement *enc = mcu_media_session_get_encoder (session);
  gint bitrate, complexity, loss;
  gboolean fec;
  g_autofree gchar *key = NULL;
  McuOpusEncGroup *group;

  if (enc == NULL ||
      !g_str_equal (
          GST_OBJECT_NAME (gst_element_get_factory (enc)), "mcuopusenc"))
    return;
  g_object_get (enc, "bitrate", &bitrate, "complexity", &complexity,
      "inband-fec", &fec, "packet-loss-percentage", &loss, NULL);
  key = g_strdup_printf ("%d/%d/%d/%d", bitrate, complexity, fec, loss);
  group = g_hash_table_lookup (self->opus_groups, key);
  if (group == NULL) {
    group = mcu_opus_enc_group_new (bitrate, complexity, fec, loss);
    g_hash_table_insert (self->opus_groups, g_steal_pointer (&key), group);
  }
  g_object_set (enc, "group", group, NULL);
}

/* The first buffer at a joiner's mix_out (its streaming thread) asks the
 * main thread to link it into the mixer; buffers are dropped until then. */
struct _JoinWait
{
  gatomicrefcount refs;
  GWeakRef mix;
  McuMediaSession *session; /* a key only: checked against the mix */
  gint asked;               /* atomic */
};

static JoinWait *
join_wait_ref (JoinWait *w)
{
  g_atomic_ref_count_inc (&w->refs);
  return w;
}

static void
join_wait_unref (gpointer data)
{
  JoinWait *w = data;

  if (g_atomic_ref_count_dec (&w->refs)) {
    g_weak_ref_clear (&w->mix);
    g_free (w);
  }
}

static void link_joiner (
    McuAudioMix *self, McuMediaSession *session, MixEntry *e);

static gboolean
on_join_wait_main (gpointer data)
{
  JoinWait *w = data;
  g_autoptr (McuAudioMix) self = g_weak_ref_get (&w->mix);
  MixEntry *e;

  if (self == NULL)
    return G_SOURCE_REMOVE;
  e = g_hash_table_lookup (self->sessions, w->session);
  if (e && e->wait == w)
    link_joiner (self, w->session, e);
  return G_SOURCE_REMOVE;
}

static GstPadProbeReturn
on_join_wait_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  JoinWait *w = data;

  if (g_atomic_int_compare_and_exchange (&w->asked, 0, 1))
    g_main_context_invoke_full (NULL, G_PRIORITY_HIGH, on_join_wait_main,
        join_wait_ref (w), join_wait_unref);
  return GST_PAD_PROBE_DROP;
}

static void
set_pad_props (MixEntry *e)
{
  if (e->mixer_sink)
    g_object_set (e->mixer_sink, "mute", e->mute, "volume", e->volume, NULL);
}

/* The joiner's audio flows: its sink_N (the N of its listener output) is
 * linked to mix_out; the mixer waits for it from now on. */
static void
link_joiner (McuAudioMix *self, McuMediaSession *session, MixEntry *e)
{
  g_autofree gchar *name = g_strdup_printf ("sink_%u", e->index);
  gboolean linked;

  e->mixer_sink = gst_element_request_pad_simple (self->mixer, name);
  /* timed by its arrival: never waited for beyond MIX_WAIT_MS */
  if (e->mixer_sink)
    g_object_set (e->mixer_sink, "retime", TRUE, NULL);
  linked = e->mixer_sink &&
           gst_pad_link (e->mix_out, e->mixer_sink) == GST_PAD_LINK_OK;
  /* Only now: a buffer between the two would meet an unlinked pad. */
  if (linked && e->wait_probe)
    gst_pad_remove_probe (e->mix_out, e->wait_probe);
  if (linked)
    e->wait_probe = 0;
  e->wait = NULL;
  if (!linked) {
    g_autofree gchar *message = g_strdup_printf (
        "cannot link a participant's audio into room %s", self->name);

    g_signal_emit (self, signals[SIGNAL_SESSION_ERROR], 0, session, message);
    return;
  }
  set_pad_props (e);
  g_hash_table_insert (self->by_pad, g_strdup (name), session);
}

gboolean
mcu_audio_mix_add (McuAudioMix *self, McuMediaSession *session, GError **error)
{
  GstElement *bin = mcu_media_session_get_bin (session);
  g_autoptr (GstPad) in = NULL;
  MixEntry *e;
  JoinWait *w;

  g_return_val_if_fail (bin != NULL, FALSE);
  g_return_val_if_fail (
      !g_hash_table_contains (self->sessions, session), FALSE);

  e = g_new0 (MixEntry, 1);
  e->volume = 1.0;
  e->listen_volume = 1.0;
  e->mixer_src = mcu_mix_minus_request_output (MCU_MIX_MINUS (self->mixer));
  if (e->mixer_src)
    sscanf (GST_PAD_NAME (e->mixer_src), "src_%u", &e->index);
  join_encoder_group (self, session);
  g_hash_table_insert (self->sessions, g_object_ref (session), e);
  e->bin = bin;
  g_hash_table_insert (self->by_bin, bin, session);
  /* a bin back in after a rebuild was locked when it was taken out */
  gst_element_set_locked_state (bin, FALSE);
  if (!gst_bin_add (GST_BIN (self->pipeline), gst_object_ref (bin))) {
    gst_object_unref (bin);
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "participant bin %s clashes with another in room %s",
        GST_OBJECT_NAME (bin), self->name);
    mcu_audio_mix_remove (self, session);
    return FALSE;
  }
  e->mix_out = gst_element_get_static_pad (bin, "mix_out");
  in = gst_element_get_static_pad (bin, "mix_in");
  if (e->mixer_src == NULL || e->mix_out == NULL || in == NULL) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot link a participant into room %s", self->name);
    mcu_audio_mix_remove (self, session);
    return FALSE;
  }
  w = g_new0 (JoinWait, 1);
  g_atomic_ref_count_init (&w->refs);
  g_weak_ref_init (&w->mix, self);
  w->session = session;
  e->wait = w;
  e->wait_probe = gst_pad_add_probe (e->mix_out,
      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
      on_join_wait_buffer, w, join_wait_unref);
  if (!gst_element_sync_state_with_parent (bin)) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "a participant's media would not start in room %s", self->name);
    mcu_audio_mix_remove (self, session);
    return FALSE;
  }
  /* Only now, with the bin playing: the mixer's one thread pushes into
   * mix_in, and a sink of the bin still in PAUSED would hold that push (and
   * so every participant's output) in preroll until the whole bin reached
   * PLAYING: a joiner's state change stopped the room's audio. */
  if (gst_pad_link (e->mixer_src, in) != GST_PAD_LINK_OK) {
    g_set_error (error, MCU_MIXER_ERROR, MCU_MIXER_ERROR_PIPELINE,
        "cannot link a participant into room %s", self->name);
    mcu_audio_mix_remove (self, session);
    return FALSE;
  }
  /* the shared full mix straight from its encode (when it can) */
  mcu_media_session_fan_out (session, self->mixer, e->mixer_src);
  mcu_media_session_set_latency (session, self->latency);
  return TRUE;
}

void
mcu_audio_mix_remove (McuAudioMix *self, McuMediaSession *session)
{
  GstElement *bin = mcu_media_session_get_bin (session);
  MixEntry *e = g_hash_table_lookup (self->sessions, session);
  g_autoptr (McuMediaSession) hold = g_object_ref (session);

  if (e == NULL)
    return;
  if (e->wait_probe)
    gst_pad_remove_probe (e->mix_out, e->wait_probe);
  e->wait_probe = 0;
  e->wait = NULL;
  /* 1. Out of the mixer first: releasing sink_N flushes it (waking the
   *    session's jitter buffer thread if it is blocked pushing into it) and
   *    removes src_N, so the mixer's thread no longer pushes into the bin
   *    (whose sinks would block it in preroll on the way down). A listener
   *    has only its src_N. */
  if (e->mixer_sink) {
    g_hash_table_remove (self->by_pad, GST_OBJECT_NAME (e->mixer_sink));
    gst_element_release_request_pad (self->mixer, e->mixer_sink);
  } else if (e->mixer_src) {
    mcu_mix_minus_release_output (MCU_MIX_MINUS (self->mixer), e->mixer_src);
  }
  /* 2. Then stop the bin: its threads only see NOT_LINKED now. */
  if (bin) {
    gst_element_set_locked_state (bin, TRUE);
    gst_element_set_state (bin, GST_STATE_NULL);
    if (GST_OBJECT_PARENT (bin) == GST_OBJECT (self->pipeline)) {
      gst_bin_remove (GST_BIN (self->pipeline), bin);
      gst_object_unref (bin);
    }
  }
  if (self->speaker == session)
    self->speaker = NULL;
  if (!self->rebuilding)
    mcu_audio_mix_prompts_end_session (self, session);
  g_hash_table_remove (self->by_bin, e->bin);
  g_hash_table_remove (self->sessions, session);
}

gboolean
mcu_audio_mix_contains (McuAudioMix *self, McuMediaSession *session)
{
  return g_hash_table_contains (self->sessions, session);
}

void
mcu_audio_mix_set_muted (
    McuAudioMix *self, McuMediaSession *session, gboolean muted)
{
  MixEntry *e = g_hash_table_lookup (self->sessions, session);

  if (e) {
    e->mute = muted;
    set_pad_props (e);
  }
}

void
mcu_audio_mix_set_volume (
    McuAudioMix *self, McuMediaSession *session, gdouble volume)
{
  MixEntry *e = g_hash_table_lookup (self->sessions, session);

  if (e) {
    e->volume = volume;
    set_pad_props (e);
  }
}

void
mcu_audio_mix_set_listen_volume (
    McuAudioMix *self, McuMediaSession *session, gdouble volume)
{
  MixEntry *e = g_hash_table_lookup (self->sessions, session);

  if (e == NULL)
    return;
  e->listen_volume = volume;
  if (e->mixer_src)
    mcu_mix_minus_set_output_volume (
        MCU_MIX_MINUS (self->mixer), e->mixer_src, volume);
}

gboolean
mcu_audio_mix_get_talking (McuAudioMix *self, McuMediaSession *session)
{
  MixEntry *e = g_hash_table_lookup (self->sessions, session);

  return e && e->talking;
}

McuMediaSession *
mcu_audio_mix_get_active_speaker (McuAudioMix *self)
{
  return self->speaker;
}

guint
mcu_audio_mix_get_n_sessions (McuAudioMix *self)
{
  return g_hash_table_size (self->sessions);
}

void
mcu_audio_mix_stop (McuAudioMix *self)
{
  g_clear_handle_id (&self->bus_watch, g_source_remove);
  if (self->pipeline) {
    g_autoptr (GstBus) bus =
        gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));

    gst_element_set_state (self->pipeline, GST_STATE_NULL);
    gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
    g_clear_object (&self->pipeline);
  }
}

guint
mcu_audio_mix_add_tap (McuAudioMix *self, McuMixTapFunc func, gpointer data,
    GDestroyNotify destroy)
{
  return mcu_mix_taps_add (self->taps, func, data, destroy);
}

void
mcu_audio_mix_remove_tap (McuAudioMix *self, guint id)
{
  mcu_mix_taps_remove (self->taps, id);
}
