/* SPDX-License-Identifier: LGPL-2.1-or-later
 * mcu: who contributes to a frame of mcumixminus: the noise gate
 * (gate-threshold-db, gate-hangover) and max-talkers. The arithmetic and
 * the selection rule are in mcu-mix-kernel.c; this file applies them to
 * the pads of a frame and fixes the sum.
 *
 * Thread: the aggregator task only (from finish_buffer), with the element's
 * start/stop/flush resetting the state while the task is not running. The
 * settings are latched by mcu_mix_minus_select_configure() at the start of
 * each frame (create_output_buffer), so that one frame sees one setting.
 *
 * Every pad accumulates into the sum as it arrives (aggregate_one_buffer
 * cannot know yet whether it will pass): once the frame is complete, the
 * contributions that did not make it are taken out again, or the sum is
 * rebuilt from those that did when they are fewer. Both are exact in
 * int32, so the result is the same as summing the contributors only, and
 * the cost is min (contributors, dropped) passes over the frame.
 *
 * A caller that sends the RFC 6464 audio level (a GstAudioLevelMeta on its
 * decoded audio, see mixer/mcu-rtp-level.h) is judged by that level: its
 * own measure of its microphone, in time with the packet, and the same
 * whatever its codec did, capped at its decoded audio's power (a level
 * can only make a caller quieter). V=0 with vad=on counts as below the gate,
 * and -127 dBov (silence) as no signal at all, so such a caller is not mixed
 * and shares the full mix's encode. Without the meta, the decoded samples
 * decide as before.
 *
 * Decoding: a pad's decoder upstream (mcuopusdec) need not decode what
 * will not be mixed, and with the default eight talkers most callers of a
 * large room are not. After each frame every pad's line
 * (mcu-decode-wanted.h) says what to decode. ALL for a pad without levels
 * (its decoded audio is all we know of it), for a selected one, and for
 * one whose claim (its RFC 6464 levels alone, smoothed and gated like the
 * talker's level but not capped) would place it: a free talker slot, or a
 * claim that overtakes the weakest talker (see mcu-mix-kernel.h: a talker
 * keeps its place until another is 6 dB louder). It stays ALL for
 * DECODE_HOLD, and while its claim stays within DECODE_KEEP, so that a
 * caller at the border does not flip. Else LEVEL: the decoder decodes
 * each packet whose own level could place it (the gate while a slot is
 * free, else DECODE_MARGIN under the bar) and sends zeros with their
 * levels for the others (a muted pad is judged as at unity volume: its
 * first packets after the unmute are decoded); NONE when no level could
 * place it. A caller whose claim comes near the bar without reaching it
 * is so decoded by the packet: only its loud ones, each seeding its level
 * (below), which is how it overtakes. (Such claims had it decoded
 * throughout, ALL from DECODE_MARGIN under the bar: with 100 callers
 * talking at once, 3 of 4 decodes were of callers never mixed, and a
 * quarter of the server's time was Opus decoding.)
 * So the first voiced packet after a long quiet is decoded at once: this
 * frame's decision reaches the decoder one or two packets (the ring's
 * 40 ms, one more held for FEC) after the audio it judged, too late for a
 * burst's onset. A frame of zeros is never a candidate (no signal), and
 * its level decays; the first frame decoded again seeds its level with
 * that frame's power (capped by its claim), so that a loud caller takes
 * over as soon as if it had been decoded all along.
 *
 * The claim only decides what is decoded, never who is mixed: the
 * ranking still uses the level capped at the decoded power. A caller
 * forging a loud level over near-silence is decoded (as every caller was
 * before), and its decoded power keeps it out. The weakest talker's own
 * claim is believed only up to CLAIM_TRUST above its decoded level: a
 * talker forging a loud level cannot raise the bar that keeps louder
 * callers undecoded (and so unable to overtake it). */
#include "mcu-mix-minus-private.h"

#include <math.h>
#include <string.h>

/* (powers) A claim that overtakes the weakest talker is decoded; one
 * decoded stays so down to 4.5 dB below that. Packets up to 3 dB under
 * the bar are decoded one by one. Equally loud callers (a claim at the
 * talkers' level) are not decoded. */
#define DECODE_MARGIN 2.0
#define DECODE_KEEP   2.8
/* a talker's claim above its decoded level by more than 3 dB is not
 * believed (honest senders measure their microphone a few dB off) */
#define CLAIM_TRUST 2.0
/* decoded for at least this long once wanted: 0.5 s at 48 kHz */
#define DECODE_HOLD (MCU_MIX_MINUS_RATE / 2)
/* a talker keeps its slot (for the decoding) this long after it was last
 * selected: 0.3 s, the default gate hangover */
#define SLOT_HOLD (MCU_MIX_MINUS_RATE * 3 / 10)
/* a talker's figure for the bar falls with this time constant (1 s),
 * 6.6 times slower than its level (mcu-mix-kernel.h) */
#define BAR_RELEASE ((gdouble)MCU_MIX_MINUS_RATE)

void
mcu_mix_minus_select_init (McuMixMinusSelect *sel)
{
  memset (sel, 0, sizeof (*sel));
  sel->talkers = g_ptr_array_new ();
  sel->top = g_array_new (FALSE, FALSE, sizeof (McuMixKernelRank));
}

void
mcu_mix_minus_select_clear (McuMixMinusSelect *sel)
{
  g_clear_pointer (&sel->talkers, g_ptr_array_unref);
  g_clear_pointer (&sel->top, g_array_unref);
}

void
mcu_mix_minus_select_reset (McuMixMinusSelect *sel)
{
  sel->position = 0;
}

void
mcu_mix_minus_select_reset_pad (McuMixMinusPad *pad)
{
  memset (&pad->dec, 0, sizeof (pad->dec));
  mcu_mix_minus_pad_set_decode (pad, MCU_DECODE_WANTED_ALL, 0);
}

/* A frame the decoder skipped is zeros: reported as such, a caller kept
 * out of the mix would never be talking (status, events, active speaker)
 * and would show so late once decoded again. Its RFC 6464 level stands in
 * for it. That level is the caller's claim: a caller can raise its own
 * talking indicator with forged levels, as any RFC 6464 sender could make
 * its indicator follow its levels; but only while it is skipped, so while
 * its claim is below what would get it decoded (at most DECODE_MARGIN
 * over the weakest talker mixed, or under the gate): a claim louder than
 * that has it decoded, and then its decoded audio is reported (a forged
 * level over silence is reported as silence, as before). The line's state
 * is this frame's decision, the frame decoded under the one before: off
 * by a frame at a change, which a level over 100s of ms does not see. */
void
mcu_mix_minus_select_reported (
    McuMixMinusPad *pad, guint n, McuMixKernelStats *stats)
{
  *stats = pad->frame;
  if (pad->has_signal || !pad->header_seen || pad->header_power <= 0.0 ||
      pad->dec.line == MCU_DECODE_WANTED_ALL)
    return;
  stats->sum_squares = (guint64)(pad->header_power * n);
  stats->peak = (guint32)MIN (sqrt (pad->header_power), 32767.0);
}

void
mcu_mix_minus_select_configure (McuMixMinusSelect *sel,
    gdouble gate_threshold_db, guint64 gate_hangover, guint max_talkers)
{
  if (gate_threshold_db <= MCU_MIX_KERNEL_FLOOR_DB) {
    sel->gate_power = 0.0;
  } else {
    gdouble amplitude = 32768.0 * pow (10.0, gate_threshold_db / 20.0);

    sel->gate_power = amplitude * amplitude;
  }
  sel->hangover =
      gst_util_uint64_scale (gate_hangover, MCU_MIX_MINUS_RATE, GST_SECOND);
  sel->max_talkers = max_talkers;
}

gboolean
mcu_mix_minus_select_needs_stats (const McuMixMinusSelect *sel)
{
  return sel->gate_power > 0.0 || sel->max_talkers > 0;
}

void
mcu_mix_minus_select_note_level (
    McuMixMinusPad *pad, const GstAudioLevelMeta *meta, gint32 gain)
{
  guint level = MIN (meta->level, 127);
  gdouble amplitude, power = 0.0;

  if (meta->voice_activity && level < 127) {
    amplitude = 32768.0 * pow (10.0, -(gdouble)level / 20.0) * gain /
                MCU_MIX_KERNEL_GAIN_UNITY;
    power = amplitude * amplitude;
  }
  if (!pad->header_seen) {
    pad->header_seen = TRUE;
    pad->header_silent = TRUE;
    pad->header_power = 0.0;
  }
  pad->header_silent &= level >= 127;
  pad->header_power = MAX (pad->header_power, power);
}

/* The statistics @pad's frame of @n samples is judged by: its RFC 6464
 * level when it sent one, else its decoded audio's. The level is the
 * caller's claim: it may make it quieter than its audio, never louder (a
 * forged 0 dBov over near-silence would take a talker slot unheard). */
static const McuMixKernelStats *
pad_stats (McuMixMinusPad *pad, guint n, McuMixKernelStats *header)
{
  if (!pad->header_seen)
    return &pad->frame;
  header->sum_squares =
      MIN ((guint64)(pad->header_power * n), pad->frame.sum_squares);
  header->peak = 0;
  return header;
}

/* @pad's own[] was accumulated into the sum of frame @frame_serial. */
static gboolean
pad_mixed (McuMixMinusPad *pad, guint64 frame_serial)
{
  return pad->frame_serial == frame_serial && pad->has_signal;
}

static McuMixMinusPad *
output_pad (GArray *outputs, guint i)
{
  return g_array_index (outputs, McuMixMinusOutput, i).pad;
}

/* Leaves in @sum only the pads that contribute. */
static void
sum_fix (GArray *outputs, guint64 frame_serial, gint32 *sum, guint n,
    guint contributors, guint dropped)
{
  if (dropped == 0)
    return;

  if (dropped <= contributors) {
    for (guint i = 0; i < outputs->len; i++) {
      McuMixMinusPad *pad = output_pad (outputs, i);

      if (pad_mixed (pad, frame_serial) && !pad->contributes)
        mcu_mix_kernel_subtract (sum, pad->own, n);
    }
    return;
  }

  memset (sum, 0, n * sizeof (gint32));
  for (guint i = 0; i < outputs->len; i++) {
    McuMixMinusPad *pad = output_pad (outputs, i);

    if (pad->contributes)
      mcu_mix_kernel_add (sum, pad->own, n);
  }
}

/* @pad's claim (its levels, uncapped) for a frame of @n samples ending at
 * @end; whether it passes the gate (kept in claim.candidate). Seeds the
 * talker's level when its audio is decoded again (see "Decoding"), from
 * @stats, the frame's statistics as the ranking takes them. */
static void
claim_update (McuMixMinusSelect *sel, McuMixMinusPad *pad, gboolean fresh,
    const McuMixKernelStats *stats, guint n, gdouble smoothing, guint64 end)
{
  McuMixKernelStats claim = { 0, 0 };

  if (fresh && pad->header_seen)
    claim.sum_squares = (guint64)(pad->header_power * n);
  pad->dec.claim.candidate = mcu_mix_kernel_talker_update (&pad->dec.claim,
      &claim, n, smoothing, sel->gate_power, end, sel->hangover);
  if (!fresh)
    return;
  pad->dec.has_levels = pad->header_seen;
  if (pad->header_seen && pad->has_signal && pad->dec.unverified)
    pad->talker.level = MAX (pad->talker.level,
        MIN (pad->dec.claim.level, (gdouble)stats->sum_squares / n));
  pad->dec.unverified =
      pad->header_seen && !pad->has_signal && pad->header_power > 0.0;
}

/* The bar a claim must reach to overtake the weakest talker (in the
 * claims' scale), and whether every talker slot is taken. A talker whose
 * frame did not come (late or lost on a busy machine) is out of the
 * selection until its frames come again, but keeps its slot here for
 * SLOT_HOLD, and its figure for the bar falls only at BAR_RELEASE until
 * SLOT_HOLD after its last missing frame (its level, which decayed over
 * the gap, takes a few frames to come back): over a gap of 100-180 ms the
 * free slot and that dip had every caller decoded for DECODE_HOLD (a third
 * to a half of the skips lost at 100 callers on a loaded machine). A
 * talker deselected with its frame there (it went quiet, or was
 * overtaken) frees its slot at once, and a talker's figure otherwise
 * follows its level as the selection does: a waiting caller is decoded as
 * soon as it could take the slot. */
static gboolean
decode_bar (McuMixMinusSelect *sel, GArray *outputs, guint64 frame_serial,
    guint n, gdouble *bar)
{
  guint64 start = sel->position, end = start + n;
  gdouble release = exp (-(gdouble)n / BAR_RELEASE);
  guint talkers = 0;

  *bar = G_MAXDOUBLE;
  for (guint i = 0; i < outputs->len; i++) {
    McuMixMinusPad *pad = output_pad (outputs, i);
    McuMixMinusDecodeState *dec = &pad->dec;
    gboolean fresh = pad->frame_serial == frame_serial;
    gboolean late = !fresh && dec->talker_until > start;
    gdouble ref = 0.0;

    if (late)
      dec->late_until = end + SLOT_HOLD;
    if (!pad->talker.selected && !late) {
      dec->talker_until = 0;
      continue;
    }
    if (pad->talker.selected)
      ref = dec->has_levels
                ? MIN (dec->claim.level, pad->talker.level * CLAIM_TRUST)
                : pad->talker.level;
    dec->bar_ref =
        dec->late_until > start ? MAX (ref, dec->bar_ref * release) : ref;
    if (pad->talker.selected)
      dec->talker_until = end + SLOT_HOLD;
    talkers++;
    *bar = MIN (*bar, dec->bar_ref * MCU_MIX_KERNEL_HYSTERESIS);
  }
  return sel->max_talkers > 0 && talkers >= sel->max_talkers;
}

/* The RFC 6464 level (-dBov) at or above which a packet of @pad reaches
 * @power (a frame's mean square in the claims' scale: after the pad's
 * gain) under the pad's @gain; -1 when no level can. */
static gint
level_for_power (gdouble power, gint32 gain)
{
  gdouble g = (gdouble)gain / MCU_MIX_KERNEL_GAIN_UNITY;
  gdouble full = 32768.0 * 32768.0 * g * g, db;

  if (power <= 0.0)
    return 126;
  if (power > full)
    return -1;
  db = -10.0 * log10 (power / full);
  return (gint)MIN (floor (db), 126.0);
}

/* Tells each pad's decoder what to decode (see "Decoding"). */
static void
decode_decide (
    McuMixMinusSelect *sel, GArray *outputs, guint64 frame_serial, guint n)
{
  guint64 end = sel->position + n;
  gdouble bar;
  gboolean full = decode_bar (sel, outputs, frame_serial, n, &bar);

  for (guint i = 0; i < outputs->len; i++) {
    McuMixMinusPad *pad = output_pad (outputs, i);
    McuMixMinusDecodeState *dec = &pad->dec;
    gboolean open = dec->claim.candidate, want, keep, mute;
    gint32 gain;
    gint level;

    GST_OBJECT_LOCK (pad);
    mute = pad->mute;
    gain = pad->gain;
    GST_OBJECT_UNLOCK (pad);

    if (!dec->has_levels || pad->talker.selected)
      want = TRUE;
    else if (!open)
      want = FALSE;
    else
      want = !full || dec->claim.level >= bar;
    if (want)
      dec->decode_until = end + DECODE_HOLD;
    keep = dec->line == MCU_DECODE_WANTED_ALL &&
           (end <= dec->decode_until ||
               (open && dec->claim.level * DECODE_KEEP >= bar));
    if (want || keep) {
      mcu_mix_minus_pad_set_decode (pad, MCU_DECODE_WANTED_ALL, 0);
      continue;
    }
    /* the packets the decoder is to decode at once, each by its own
     * level: those that would open the gate with a free slot, else those
     * within DECODE_MARGIN of the bar. A muted pad is judged as at unity
     * volume, not told NONE: this decision reaches the decoder a packet or
     * two after the unmute, and the first words after it would be lost */
    level = level_for_power (full ? bar / DECODE_MARGIN : sel->gate_power,
        mute || gain <= 0 ? MCU_MIX_KERNEL_GAIN_UNITY : gain);
    if (level < 0)
      mcu_mix_minus_pad_set_decode (pad, MCU_DECODE_WANTED_NONE, 0);
    else
      mcu_mix_minus_pad_set_decode (pad, MCU_DECODE_WANTED_LEVEL, (guint)level);
  }
}

guint
mcu_mix_minus_select_run (McuMixMinusSelect *sel, GArray *outputs,
    guint64 frame_serial, gint32 *sum, guint n)
{
  static const McuMixKernelStats no_stats = { 0, 0 };
  guint64 end = sel->position + n;
  gdouble smoothing = mcu_mix_kernel_talker_smoothing (n);
  guint contributors;
  guint dropped = 0;

  g_ptr_array_set_size (sel->talkers, 0);
  for (guint i = 0; i < outputs->len; i++) {
    McuMixMinusPad *pad = output_pad (outputs, i);
    gboolean fresh = pad->frame_serial == frame_serial;
    McuMixKernelStats header;
    const McuMixKernelStats *stats =
        fresh ? pad_stats (pad, n, &header) : &no_stats;
    gboolean open;

    claim_update (sel, pad, fresh, stats, n, smoothing, end);
    open = mcu_mix_kernel_talker_update (
        &pad->talker, stats, n, smoothing, sel->gate_power, end, sel->hangover);

    pad->talker.candidate = open && pad_mixed (pad, frame_serial) &&
                            !(pad->header_seen && pad->header_silent);
    g_ptr_array_add (sel->talkers, &pad->talker);
  }

  g_array_set_size (sel->top, MIN (sel->max_talkers, outputs->len));
  contributors = mcu_mix_kernel_select (
      (McuMixKernelTalker *const *)sel->talkers->pdata, sel->talkers->len,
      sel->max_talkers, (McuMixKernelRank *)(void *)sel->top->data);

  for (guint i = 0; i < outputs->len; i++) {
    McuMixMinusPad *pad = output_pad (outputs, i);

    pad->contributes = pad->talker.selected;
    dropped += pad_mixed (pad, frame_serial) && !pad->contributes;
  }
  sum_fix (outputs, frame_serial, sum, n, contributors, dropped);
  decode_decide (sel, outputs, frame_serial, n);

  sel->position = end;
  return contributors;
}
