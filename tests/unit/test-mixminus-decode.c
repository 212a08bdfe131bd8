/* SPDX-License-Identifier: LGPL-2.1-or-later
 * GstHarness tests of mcumixminus' decode line (mcu-decode-wanted.h): with
 * max-talkers 2, the pads that will not be mixed are told not to be
 * decoded. Each test here plays the decoders (mcuopusdec): a pad whose line
 * says no gets zeros of its frame with its RFC 6464 level (as the decoder
 * and the level probe give it), one whose line says yes its audio. Live,
 * with the harness' test clock: a frame is mixed once every input has data
 * for it. sink_0 is the room's silent clock source, 1..5 the callers. */
#include "mcu-decode-wanted.h"
#include "mcu-plugins.h"
#include "mixminus-fixture.h"

#include <math.h>

#define N_PADS 6
G_STATIC_ASSERT (N_PADS <= MAX_PARTIES);
/* The talkers are settled and the others told no within this many frames
 * (the line stays yes for 0.5 s once wanted) */
#define SETTLE 50

typedef struct
{
  Fixture *f;                    /* the element, `src` and sink_N (no src_N) */
  McuDecodeWanted *line[N_PADS]; /* (owned) what sink_N answered */
  gint16 amplitude[N_PADS];
  gint level[N_PADS];    /* RFC 6464 -dBov on its buffers (voice), -1: none */
  guint decoded[N_PADS]; /* frames pushed decoded */
  guint missing;         /* mask: pads whose frame does not come */
  guint k;               /* next frame */
  gboolean no_line;      /* decode everything (the line disabled) */
  guint novoice;         /* mask: pads whose level says V=0 */
} Room;

/* Participant @p's audio at sample @s: a square wave whose half period,
 * 2p + 1 samples, tells them apart. */
static gint16
voice (Room *r, guint p, guint64 s)
{
  return (gint16)((s / (2 * p + 1)) % 2 ? r->amplitude[p] : -r->amplitude[p]);
}

static Room *
room_new (void)
{
  Room *r = g_new0 (Room, 1);

  r->f = fixture_new (0, TRUE);
  g_object_set (
      r->f->element, "gate-threshold-db", -55.0, "max-talkers", 2, NULL);
  for (guint p = 0; p < N_PADS; p++) {
    g_autoptr (GstPad) pad = NULL;
    g_autoptr (GstQuery) query = mcu_decode_wanted_query_new ();

    add_party (r->f, p, FALSE);
    pad = sink_pad (r->f, p);
    g_assert_true (gst_pad_query (pad, query));
    r->line[p] = mcu_decode_wanted_query_parse (query);
    g_assert_nonnull (r->line[p]);
    /* -20 dBFS, and a level that says so */
    r->amplitude[p] = p == 0 ? 0 : 3277;
    r->level[p] = p == 0 ? -1 : 20;
  }
  return r;
}

static void
room_free (Room *r)
{
  for (guint p = 0; p < N_PADS; p++)
    g_clear_pointer (&r->line[p], mcu_decode_wanted_unref);
  fixture_free (r->f);
  g_free (r);
}

/* The line says ALL (decode every packet). */
static gboolean
wanted (Room *r, guint p)
{
  guint level;

  return mcu_decode_wanted_get (r->line[p], &level) == MCU_DECODE_WANTED_ALL;
}

/* Whether the decoder decodes @p's packet with @meta (the line, or all
 * when r->no_line: the baseline, everything decoded). */
static gboolean
decodes (Room *r, guint p, const GstAudioLevelMeta *meta)
{
  guint level;
  McuDecodeWantedState state = mcu_decode_wanted_get (r->line[p], &level);

  return r->no_line || mcu_decode_wanted_takes (state, level, meta);
}

/* Whether @buffer is frame @k of the sum of the participants in @mask. */
static gboolean
is_voices (Room *r, GstBuffer *buffer, guint k, guint mask)
{
  GstMapInfo map;
  gboolean same = TRUE;

  g_assert_true (gst_buffer_map (buffer, &map, GST_MAP_READ));
  g_assert_cmpuint (map.size, ==, FRAME * sizeof (gint16));
  for (guint i = 0; i < FRAME && same; i++) {
    gint expected = 0;

    for (guint p = 0; p < N_PADS; p++)
      if (mask & (1u << p))
        expected += voice (r, p, (guint64)k * FRAME + i);
    same = ((const gint16 *)map.data)[i] == expected;
  }
  gst_buffer_unmap (buffer, &map);
  return same;
}

/* One frame: every pad gets its audio when its line takes its packet (by
 * its level, as mcuopusdec does), else zeros, with its level either way.
 * Returns the mask of those mixed (checks that the mix is exactly theirs, at
 * most two). */
static guint
room_frame (Room *r)
{
  guint k = r->k++, mixed = G_MAXUINT;
  GstBuffer *mix;

  for (guint p = 0; p < N_PADS; p++) {
    GstBuffer *b =
        gst_buffer_new_allocate (NULL, FRAME * sizeof (gint16), NULL);
    GstAudioLevelMeta *meta = NULL;
    gboolean decode;
    GstMapInfo map;

    if (r->level[p] >= 0)
      meta = gst_buffer_add_audio_level_meta (
          b, (guint8)r->level[p], !(r->novoice & (1u << p)));
    decode = decodes (r, p, meta);
    gst_buffer_map (b, &map, GST_MAP_WRITE);
    for (guint i = 0; i < FRAME; i++)
      ((gint16 *)map.data)[i] =
          decode ? voice (r, p, (guint64)k * FRAME + i) : 0;
    gst_buffer_unmap (b, &map);
    GST_BUFFER_PTS (b) = k * FRAME_DURATION;
    GST_BUFFER_DURATION (b) = FRAME_DURATION;
    if (r->missing & (1u << p)) {
      gst_buffer_unref (b);
      continue;
    }
    r->decoded[p] += decode;
    g_assert_cmpint (gst_harness_push (r->f->in[p], b), ==, GST_FLOW_OK);
  }
  /* (without all its inputs the frame waits for its deadline) */
  if (r->missing)
    g_assert_true (gst_harness_crank_single_clock_wait (r->f->main));
  mix = pull (r->f->main);
  for (guint mask = 0; mask < (1u << N_PADS) && mixed == G_MAXUINT; mask++)
    if (__builtin_popcount (mask) <= 2 && is_voices (r, mix, k, mask))
      mixed = mask;
  gst_buffer_unref (mix);
  if (mixed == G_MAXUINT)
    g_error ("frame %u: the mix is no sum of two callers", k);
  return mixed;
}

/* Five callers equally loud, with levels that say so: the two mixed (the
 * first two: ties go to the earlier pad) are decoded, the three others
 * told no, and they stay so. */
static Room *
room_settle_as (gboolean no_line)
{
  Room *r = room_new ();

  r->no_line = no_line;

  for (guint k = 0; k < SETTLE; k++)
    room_frame (r);
  for (guint k = 0; k < 50; k++) {
    guint mixed = room_frame (r);

    if (mixed != 0x6)
      g_error ("frame %u: 0x%x mixed, not 0x6", r->k - 1, mixed);
    for (guint p = 1; p < N_PADS; p++)
      if (wanted (r, p) != (p <= 2))
        g_error ("frame %u: sink_%u %s decoded", r->k - 1, p,
            wanted (r, p) ? "is" : "is not");
  }
  return r;
}

static Room *
room_settle (void)
{
  return room_settle_as (FALSE);
}

static void
test_only_mixed_decoded (void)
{
  Room *r = room_settle ();

  /* (the settling's frames decoded everyone; then only 1 and 2) */
  for (guint p = 3; p < N_PADS; p++)
    g_assert_cmpuint (r->decoded[p], <=, SETTLE);
  g_assert_cmpuint (r->decoded[1], ==, r->k);
  room_free (r);
}

/* Caller 5, told no, becomes the loudest (12 dB up, its level says so):
 * decoded again at once, mixed within 0.2 s, and the weaker talker it
 * took the place of is told no again later. */
static void
test_loudest_mixed (void)
{
  Room *r = room_settle ();
  guint k;

  r->amplitude[5] = 13108;
  r->level[5] = 8;
  for (k = 0; k < 10 && !(room_frame (r) & 0x20); k++)
    ;
  if (k == 10)
    g_error ("the loudest caller is not mixed 10 frames after it spoke up");
  for (k = 0; k < SETTLE; k++)
    room_frame (r);
  g_assert_cmpuint (room_frame (r), ==, 0x22);
  g_assert_true (wanted (r, 5));
  g_assert_false (wanted (r, 2));
  room_free (r);
}

/* Caller 3, told no, forges a 0 dBov level over quiet audio (-40 dBFS,
 * above the gate, 20 dB below the talkers): it is decoded to check, never
 * mixed, and the talkers keep their places. */
static void
test_forged_level (void)
{
  Room *r = room_settle ();

  r->amplitude[3] = 328;
  r->level[3] = 0;
  for (guint k = 0; k < 100; k++) {
    guint mixed = room_frame (r);

    if (mixed != 0x6)
      g_error ("frame %u: 0x%x mixed, not 0x6", r->k - 1, mixed);
  }
  g_assert_true (wanted (r, 3));
  room_free (r);
}

/* A talker's frames do not come for 160 ms (a busy machine): the others
 * stay undecoded (its level dips over the gap; the bar that keeps them
 * undecoded does not). */
static void
test_talker_gap (void)
{
  Room *r = room_settle ();

  r->missing = 0x2;
  for (guint k = 0; k < 8; k++) {
    room_frame (r);
    for (guint p = 3; p < N_PADS; p++)
      if (wanted (r, p))
        g_error ("frame %u, 1 missing: sink_%u is decoded", r->k - 1, p);
  }
  r->missing = 0;
  for (guint k = 0; k < 10; k++)
    room_frame (r);
  for (guint p = 3; p < N_PADS; p++)
    g_assert_false (wanted (r, p));
  room_free (r);
}

/* Caller 4 sends no levels (and is a little quieter than the talkers):
 * always decoded, though not mixed. */
static void
test_no_levels_decoded (void)
{
  Room *r = room_new ();

  r->level[4] = -1;
  r->amplitude[4] = 3000;
  for (guint k = 0; k < 2 * SETTLE; k++) {
    g_assert_cmpuint (room_frame (r) & 0x10, ==, 0);
    g_assert_true (wanted (r, 4));
  }
  g_assert_false (wanted (r, 5));
  room_free (r);
}

/* The frames until caller @p is mixed after @change, @prepare applied
 * SETTLE frames before it (the line disabled with @no_line: everything
 * decoded, the selection alone). */
static guint
frames_to_mix (gboolean no_line, void (*prepare) (Room *r),
    void (*change) (Room *r), guint p)
{
  Room *r = room_settle_as (no_line);
  guint k;

  if (prepare)
    prepare (r);
  for (k = 0; k < SETTLE; k++)
    g_assert_cmpuint (room_frame (r), ==, 0x6);
  change (r);
  for (k = 0; k < 400 && !(room_frame (r) & (1u << p)); k++)
    ;
  room_free (r);
  return k;
}

/* Talker 1 stops (V=0 over -60 dBFS) while callers 3-5 wait. */
static void
stops (Room *r)
{
  r->amplitude[1] = 33;
  r->novoice |= 0x2;
}

/* Caller 3 waits 10 dB under the talkers, 4 and 5 are silent ... */
static void
quieter (Room *r)
{
  r->amplitude[3] = 1036;
  r->level[3] = 30;
  for (guint p = 4; p < N_PADS; p++) {
    r->amplitude[p] = 0;
    r->level[p] = 127;
  }
}

/* ... when talker 1's voice stops but its noise (-45 dBFS, honest level,
 * above the gate) keeps its gate open. */
static void
noisy (Room *r)
{
  r->amplitude[1] = 184;
  r->level[1] = 45;
}

/* The caller who should take the slot a talker leaves is mixed within a
 * frame of when it is with everything decoded: the talker's slot is held
 * for the decoding only while its frames are missing. */
static void
test_slot_freed (void)
{
  struct
  {
    const gchar *name;
    void (*prepare) (Room *r);
    void (*change) (Room *r);
  } cases[] = { { "stops", NULL, stops }, { "noisy", quieter, noisy } };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    guint base = frames_to_mix (TRUE, cases[i].prepare, cases[i].change, 3);
    guint with = frames_to_mix (FALSE, cases[i].prepare, cases[i].change, 3);

    if (g_test_verbose ())
      g_print ("%s: mixed after %u frames, %u with everything decoded\n",
          cases[i].name, with, base);
    g_assert_cmpuint (base, <, 400);
    if (with > base + 1)
      g_error ("talker 1 %s: caller 3 mixed after %u frames, %u with "
               "everything decoded",
          cases[i].name, with, base);
  }
}

/* Caller 3 speaks up 7 dB over the talkers (they keep their place until
 * another is 6 dB louder) ... */
static void
louder (Room *r)
{
  r->amplitude[3] = 7335;
  r->level[3] = 13;
}

/* ... and is mixed within a frame of when it is with everything decoded,
 * though it was decoded by the packet up to then. */
static void
test_overtakes (void)
{
  guint base = frames_to_mix (TRUE, NULL, louder, 3);
  guint with = frames_to_mix (FALSE, NULL, louder, 3);

  g_assert_cmpuint (base, <, 400);
  if (with > base + 1)
    g_error ("caller 3 mixed after %u frames, %u with everything decoded", with,
        base);
}

/* Caller 4 speaks 4 dB over the talkers (level 16): not enough to
 * overtake one, within DECODE_MARGIN of it. Its packets are decoded one by
 * one by their level, never all of them by the line (ALL), and the mix
 * stays the talkers' as with everything decoded. */
static void
test_near_bar_by_packet (void)
{
  Room *r = room_settle ();
  guint before;

  r->amplitude[4] = 5193;
  r->level[4] = 16;
  before = r->decoded[4];
  for (guint k = 0; k < 100; k++) {
    guint mixed = room_frame (r);

    if (mixed != 0x6)
      g_error ("frame %u: 0x%x mixed, not 0x6", r->k - 1, mixed);
    if (wanted (r, 4))
      g_error ("frame %u: caller 4, 4 dB up, is decoded throughout", r->k - 1);
  }
  g_assert_cmpuint (r->decoded[4] - before, ==, 100);
  room_free (r);
}

/* The rms-db of @name in the last mcu-level message on @bus; NAN: none. */
static gdouble
last_level (GstBus *bus, const gchar *name)
{
  GstMessage *msg;
  gdouble db = NAN;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT)) != NULL) {
    const GstStructure *s = gst_message_get_structure (msg);
    const GValue *pads = gst_structure_get_value (s, "pads");

    for (guint i = 0; pads && i < gst_value_list_get_size (pads); i++) {
      const GstStructure *p =
          gst_value_get_structure (gst_value_list_get_value (pads, i));

      if (g_strcmp0 (gst_structure_get_string (p, "pad"), name) == 0)
        gst_structure_get_double (p, "rms-db", &db);
    }
    gst_message_unref (msg);
  }
  return db;
}

/* The levels reported (mcu-level: talking status, events, active speaker)
 * of a caller whose decoder skips it are its RFC 6464 level, not the
 * zeros it is decoded as: caller 3 (-20 dBFS, level 20) skipped is at
 * -20 dB as the talkers are; a forged 0 dBov level over digital silence
 * is decoded, and reported as silence. */
static void
test_skipped_level_reported (void)
{
  Room *r = room_settle ();
  GstBus *bus = r->f->bus;
  gdouble db;

  /* (only the messages from here on) */
  gst_bus_set_flushing (bus, TRUE);
  gst_bus_set_flushing (bus, FALSE);
  g_object_set (r->f->element, "level-interval", 200 * GST_MSECOND, NULL);
  for (guint k = 0; k < 20; k++)
    room_frame (r);
  g_assert_false (wanted (r, 3));
  db = last_level (bus, "sink_3");
  if (!(fabs (db - -20.0) < 0.5))
    g_error ("skipped caller 3 reported at %.1f dB, not -20", db);
  db = last_level (bus, "sink_1"); /* (popped) */
  g_assert_true (isnan (db));

  r->amplitude[4] = 0;
  r->level[4] = 0;
  for (guint k = 0; k < 40; k++)
    room_frame (r);
  g_assert_true (wanted (r, 4));
  db = last_level (bus, "sink_4");
  g_assert_cmpfloat (db, <, -100.0);
  room_free (r);
}

/* A muted caller is told LEVEL as at unity volume (not NONE): its first
 * voiced packet after the unmute is decoded though the mixer decides a
 * frame late; caller 5 muted, then unmuted speaking up (level 8): decoded
 * in the very frame it is unmuted in. */
static void
test_unmute_onset (void)
{
  Room *r = room_settle ();
  g_autoptr (GstPad) pad = sink_pad (r->f, 5);
  guint before;

  g_object_set (pad, "mute", TRUE, NULL);
  r->amplitude[5] = 0;
  r->level[5] = 127;
  for (guint k = 0; k < SETTLE; k++)
    room_frame (r);
  g_object_set (pad, "mute", FALSE, NULL);
  r->amplitude[5] = 13108;
  r->level[5] = 8;
  before = r->decoded[5];
  room_frame (r);
  if (r->decoded[5] != before + 1)
    g_error ("the first packet after the unmute is not decoded");
  room_free (r);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_assert_true (mcu_plugins_register ());
  g_test_add_func (
      "/mixminus-decode/only-mixed-decoded", test_only_mixed_decoded);
  g_test_add_func ("/mixminus-decode/loudest-mixed", test_loudest_mixed);
  g_test_add_func ("/mixminus-decode/forged-level", test_forged_level);
  g_test_add_func ("/mixminus-decode/talker-gap", test_talker_gap);
  g_test_add_func (
      "/mixminus-decode/no-levels-decoded", test_no_levels_decoded);
  g_test_add_func ("/mixminus-decode/slot-freed", test_slot_freed);
  g_test_add_func ("/mixminus-decode/overtakes", test_overtakes);
  g_test_add_func (
      "/mixminus-decode/near-bar-by-packet", test_near_bar_by_packet);
  g_test_add_func (
      "/mixminus-decode/skipped-level", test_skipped_level_reported);
  g_test_add_func ("/mixminus-decode/unmute-onset", test_unmute_onset);
  return g_test_run ();
}
