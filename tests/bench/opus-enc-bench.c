/* SPDX-License-Identifier: LGPL-2.1-or-later
 * opus-enc-bench: libopus encoder settings against the SILK runaway (a
 * steady tonal input turned into a full-scale wave in a decoder that did
 * not get the stream from its first packet: xiph/opus#255 #382,
 * test_media_mix) and their cost. Offline, not run by CI.
 *
 *   opus-enc-bench tones [OPTIONS]       fresh encoder per synthetic signal
 *   opus-enc-bench file RAW [OPTIONS]    s16le 48 kHz mono (speech: below)
 *   opus-enc-bench variants RAW [OPTIONS]   RAW's first 20 ms frame
 *       repeated (a steady mix, e.g. tests/unit/opus-steady-mix-frame.h's),
 *       at other levels (+2..-12 dB), started elsewhere in the frame, with
 *       a little noise (-60, -45 dBFS), each at every complexity 0..10
 *       unless --complexity is given; --random N: N variants drawn
 *       (the same on every run) from -4..+4 dB, any phase, noise none or
 *       -70/-60/-50 dBFS
 *   opus-enc-bench speech DIR [TONE_RAW] [OPTIONS]   speech mixes from the
 *       prompts in DIR (prompts/en: mcu-speech-source.h): 1 and 3 voices,
 *       3 voices over DIR/music.wav (hold music under speech), voices over
 *       TONE_RAW (a steady tonal mix, e.g. the frame of
 *       tests/unit/opus-steady-mix-frame.h repeated); full band (Opus
 *       callers), "nb" (low-passed at 3.8 kHz: G.711 callers) and "wb"
 *       (7 kHz: G.722); each one speech loop long (39 s), the late and
 *       lossy decoders spread over it; at every complexity 0..10 unless
 *       --complexity is given
 * OPTIONS: --complexity N (5) --mode auto|silk|hybrid|celt --signal
 *   auto|voice|music --bitrate N (32000) --fec 0|1 (1, loss 5 %)
 *   --secs S (30, tones) --reps N (1, file: timing repeats) --joiners N
 *   (20 late and 20 lossy decoders; 0: encode only, for callgrind)
 *   --frames N (speech: the first N frames of each mix)
 *
 * Settings as the server's (mcu_opus_enc_encoder_new): 48 kHz mono VOIP,
 * constrained VBR. Each signal's input and 48 kHz-decoded output: rms and
 * peak (dBFS), the worst frame's decoded rms over the louder of its own and
 * the previous input frame's ("worst", dB), frames over +6 dB ("hot"), the
 * packets' modes (SILK/hybrid/CELT), CPU us per 20 ms frame (encode), and
 * "late": how many of JOINERS decoders that start at frame 7, 14, 21 ...
 * (a listener joining a shared stream, a receiver switched from the
 * room's shared encoder to its own) decode more than 10 frames 6 dB over
 * the input; "lost": how many of JOINERS decoders that get every packet
 * but one (frame 7, 14, 21 ...: concealed) do. libopus 1.3.1, complexity
 * 5: every late or lossy decoder runs away on the steady mix
 * test_media_mix records after its leave, though the one decoding every
 * packet never does.
 *
 * Speech (espeak-ng + sox):
 *   espeak-ng -w s.wav "..." && sox s.wav -r 48000 -c 1 -b 16 -e signed \
 *     -t raw s.raw rate -h
 * Instructions (repeatable): valgrind --tool=callgrind opus-enc-bench ... */
#include "mcu-speech-source.h"

#include <math.h>
#include <opus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RATE      48000
#define FRAME     960
#define JOINERS   20
#define JOIN_STEP 7

typedef struct
{
  int complexity, mode, signal, bitrate, fec, reps;
  double secs;
  long join_step; /* frames between two late (lossy) decoders' starts */
  int random;     /* variants: this many random ones instead of the list */
  int joiners;    /* late and lossy decoders, each (0..JOINERS) */
  long frames;    /* speech: at most this many frames of each mix (0 = all) */
} Settings;

typedef struct
{
  double in_sum, out_sum, in_peak, out_peak, worst;
  double late_worst; /* loudest frame of a late or lossy decoder, dB over
                      * the input, from its 6th frame on */
  long frames, hot, late, lost, modes[3];
  int joiners;
  double enc_us;
} Stats;

static double
now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static OpusEncoder *
encoder_new (const Settings *s)
{
  int err;
  OpusEncoder *enc = opus_encoder_create (RATE, 1, OPUS_APPLICATION_VOIP, &err);

  opus_encoder_ctl (enc, OPUS_SET_VBR (1));
  opus_encoder_ctl (enc, OPUS_SET_VBR_CONSTRAINT (1));
  opus_encoder_ctl (enc, OPUS_SET_BITRATE (s->bitrate));
  opus_encoder_ctl (enc, OPUS_SET_COMPLEXITY (s->complexity));
  opus_encoder_ctl (enc, OPUS_SET_INBAND_FEC (s->fec));
  opus_encoder_ctl (enc, OPUS_SET_PACKET_LOSS_PERC (s->fec ? 5 : 0));
  if (s->signal)
    opus_encoder_ctl (enc, OPUS_SET_SIGNAL (s->signal));
  if (s->mode)
    opus_encoder_ctl (enc, 11002 /* OPUS_SET_FORCE_MODE */, s->mode);
  return enc;
}

static double
sq (const short *p, int n, double *peak)
{
  double sum = 0;

  for (int i = 0; i < n; i++) {
    sum += (double)p[i] * p[i];
    if (fabs ((double)p[i]) > *peak)
      *peak = fabs ((double)p[i]);
  }
  return sum;
}

static double
ratio_ref (double in_ms, double prev)
{
  double ref = in_ms > prev ? in_ms : prev;

  /* frames whose input is below -60 dBFS: judged against -60 dBFS */
  return ref < 1073.0 ? 1073.0 : ref;
}

/* Encodes @n frames of @pcm with a fresh encoder, decodes at 48 kHz from
 * the first packet and with JOINERS late decoders, fills @st. */
static void
run (const Settings *s, const short *pcm, long n, Stats *st)
{
  OpusEncoder *enc = encoder_new (s);
  OpusDecoder *dec = opus_decoder_create (RATE, 1, &(int){ 0 });
  OpusDecoder *late[JOINERS], *lossy[JOINERS];
  long late_hot[JOINERS] = { 0 }, lossy_hot[JOINERS] = { 0 };
  unsigned char pkt[1500];
  short out[FRAME];
  double prev = 0;

  for (int j = 0; j < JOINERS; j++) {
    late[j] = opus_decoder_create (RATE, 1, &(int){ 0 });
    lossy[j] = opus_decoder_create (RATE, 1, &(int){ 0 });
  }
  long step = s->join_step > 0 ? s->join_step : JOIN_STEP;

  memset (st, 0, sizeof *st);
  st->worst = st->late_worst = -200;
  st->joiners = s->joiners;
  for (long k = 0; k < n; k++) {
    const short *in = pcm + k * FRAME;
    double t0 = now_us (), ref, in_ms, out_ms, dummy = 0;
    int len = opus_encode (enc, in, FRAME, pkt, sizeof pkt);

    st->enc_us += now_us () - t0;
    st->modes[(pkt[0] >> 3) < 12 ? 0 : (pkt[0] >> 3) < 16 ? 1 : 2]++;
    if (opus_decode (dec, pkt, len, out, FRAME, 0) != FRAME)
      memset (out, 0, sizeof out);
    in_ms = sq (in, FRAME, &st->in_peak) / FRAME;
    out_ms = sq (out, FRAME, &st->out_peak) / FRAME;
    st->in_sum += in_ms;
    st->out_sum += out_ms;
    ref = ratio_ref (in_ms, prev);
    if (10 * log10 (out_ms / ref) > st->worst)
      st->worst = 10 * log10 (out_ms / ref);
    if (out_ms > 4 * ref)
      st->hot++;
    for (int j = 0; j < s->joiners; j++)
      if (k >= (j + 1) * step &&
          opus_decode (late[j], pkt, len, out, FRAME, 0) == FRAME) {
        double r = sq (out, FRAME, &dummy) / FRAME / ref;

        late_hot[j] += r > 4;
        if (k >= (j + 1) * step + 5 && 10 * log10 (r) > st->late_worst)
          st->late_worst = 10 * log10 (r);
      }
    /* lossy[j] loses (conceals) packet (j + 1) * step, nothing else */
    for (int j = 0; j < s->joiners; j++)
      if (opus_decode (lossy[j], k == (j + 1) * step ? NULL : pkt,
              k == (j + 1) * step ? 0 : len, out, FRAME, 0) == FRAME) {
        double r = sq (out, FRAME, &dummy) / FRAME / ref;

        lossy_hot[j] += r > 4;
        if (k >= (j + 1) * step + 5 && 10 * log10 (r) > st->late_worst)
          st->late_worst = 10 * log10 (r);
      }
    prev = in_ms;
    st->frames++;
  }
  for (int j = 0; j < JOINERS; j++) {
    st->late += late_hot[j] > 10;
    st->lost += lossy_hot[j] > 10;
    opus_decoder_destroy (late[j]);
    opus_decoder_destroy (lossy[j]);
  }
  opus_decoder_destroy (dec);
  opus_encoder_destroy (enc);
}

static double
dbfs (double x)
{
  return x > 0 ? 20 * log10 (x / 32768.0) : -999;
}

static void
report (const char *name, const Stats *st)
{
  printf ("%-26s in %6.1f/%6.1f out %6.1f/%6.1f worst %+5.1f hot %4ld "
          "late %2ld/%d lost %2ld/%d (worst %+5.1f) modes %ld/%ld/%ld "
          "us %6.1f\n",
      name, dbfs (sqrt (st->in_sum / st->frames)), dbfs (st->in_peak),
      dbfs (sqrt (st->out_sum / st->frames)), dbfs (st->out_peak), st->worst,
      st->hot, st->late, st->joiners, st->lost, st->joiners, st->late_worst,
      st->modes[0], st->modes[1], st->modes[2], st->enc_us / st->frames);
}

/* Tones: sum of sines (Hz, linear amplitude) */
static short *
make_tones (long n, const double *f, const double *a, int nt, double phase)
{
  short *pcm = malloc (n * FRAME * sizeof *pcm);

  for (long i = 0; i < n * FRAME; i++) {
    double v = 0;

    for (int j = 0; j < nt; j++)
      v += a[j] * sin (2 * M_PI * f[j] * i / RATE + phase * (j + 1));
    pcm[i] = (short)lrint (v);
  }
  return pcm;
}

/* xiph/opus#255: a constant-level sine sweep, @f0 to @f1 Hz over the
 * signal, logarithmic */
static short *
make_sweep (long n, double f0, double f1, double amp)
{
  short *pcm = malloc (n * FRAME * sizeof *pcm);
  double len = (double)n * FRAME / RATE, k = log (f1 / f0) / len;

  for (long i = 0; i < n * FRAME; i++) {
    double t = (double)i / RATE;

    pcm[i] = (short)lrint (amp * sin (2 * M_PI * f0 * (exp (k * t) - 1) / k));
  }
  return pcm;
}

/* xiph/opus#382: at 8 kHz, five zeros and one sample of @level, repeated
 * (1333 Hz), upsampled to 48 kHz as our resampler would (windowed sinc). */
static short *
make_pattern_382 (long n, double level)
{
  short *pcm = malloc (n * FRAME * sizeof *pcm);
  const int taps = 48; /* per side, at 48 kHz */

  for (long i = 0; i < n * FRAME; i++) {
    double v = 0;

    for (long j = i - taps; j <= i + taps; j++) {
      double x, w, sinc;

      if (j < 0 || j % 6 != 0 || (j / 6) % 6 != 5)
        continue;
      x = (double)(i - j) / 6.0;
      sinc = x == 0 ? 1 : sin (M_PI * x) / (M_PI * x);
      w = 0.5 + 0.5 * cos (M_PI * (i - j) / (taps + 1));
      v += level * sinc * w;
    }
    pcm[i] = (short)lrint (v);
  }
  return pcm;
}

/* Variants of a steady mix (@frame, one 20 ms frame repeated): its level
 * changed, its start moved within the frame, a little noise added; at every
 * complexity 0..10 (or the one given): which complexities leave late or
 * lossy decoders running away, on how many variants. */
static void
variants (Settings *s, const short *frame, int all)
{
  static const struct
  {
    double gain_db;
    int shift;
    double noise_dbfs; /* 0 = none */
  } v[] = { { 0, 0, 0 }, { -3, 0, 0 }, { -6, 0, 0 }, { -12, 0, 0 }, { 2, 0, 0 },
    { 0, 240, 0 }, { 0, 480, 0 }, { 0, 719, 0 }, { 0, 0, -60 }, { 0, 0, -45 },
    { -6, 333, -60 }, { 1.6, 154, -70 } };
  static const double noises[] = { 0, 0, -70, -60, -50 };
  long n = (long)(s->secs * 50);
  size_t count = s->random > 0 ? (size_t)s->random : sizeof v / sizeof v[0];
  unsigned pick = 24; /* --random: the same variants on every run */
  char name[64];

  s->join_step = n / (s->joiners + 1);
  for (size_t k = 0; k < count; k++) {
    short *pcm = malloc (n * FRAME * sizeof *pcm);
    double gain_db = v[k % (sizeof v / sizeof v[0])].gain_db;
    int shift = v[k % (sizeof v / sizeof v[0])].shift;
    double noise_dbfs = v[k % (sizeof v / sizeof v[0])].noise_dbfs;
    double g, na;
    unsigned seed = 1;

    if (s->random > 0) {
      /* -4..+4 dB in 0.1 dB steps, any phase, no noise or -70..-50 dBFS */
      pick = pick * 1103515245u + 12345u;
      gain_db = ((pick >> 8) % 81) / 10.0 - 4;
      pick = pick * 1103515245u + 12345u;
      shift = (pick >> 8) % FRAME;
      pick = pick * 1103515245u + 12345u;
      noise_dbfs = noises[(pick >> 8) % 5];
    }
    g = pow (10, gain_db / 20);
    na = noise_dbfs ? 32768 * pow (10, noise_dbfs / 20) : 0;
    for (long i = 0; i < n * FRAME; i++) {
      /* uniform noise of rms na: +-na*sqrt(3) */
      double x = frame[(i + shift) % FRAME] * g;

      seed = seed * 1103515245u + 12345u;
      x += na * 1.732 * (2.0 * (seed >> 8) / (1u << 24) - 1);
      pcm[i] = (short)(x > 32767 ? 32767 : x < -32768 ? -32768 : lrint (x));
    }
    for (int c = all ? 0 : s->complexity; c <= (all ? 10 : s->complexity);
         c++) {
      Stats st;

      s->complexity = c;
      run (s, pcm, n, &st);
      snprintf (name, sizeof name, "c%-2d %+.1f dB shift %d noise %.0f", c,
          gain_db, shift, noise_dbfs);
      report (name, &st);
      fflush (stdout);
    }
    free (pcm);
  }
}

static int
parse (int argc, char **argv, int first, Settings *s)
{
  *s = (Settings){ 5, 0, 0, 32000, 1, 1, 30, 0, 0, JOINERS, 0 };
  for (int i = first; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];

    if (!strcmp (k, "--complexity"))
      s->complexity = atoi (v);
    else if (!strcmp (k, "--mode"))
      s->mode = !strcmp (v, "silk")     ? 1000
                : !strcmp (v, "hybrid") ? 1001
                : !strcmp (v, "celt")   ? 1002
                                        : 0;
    else if (!strcmp (k, "--signal"))
      s->signal = !strcmp (v, "voice")   ? OPUS_SIGNAL_VOICE
                  : !strcmp (v, "music") ? OPUS_SIGNAL_MUSIC
                                         : 0;
    else if (!strcmp (k, "--bitrate"))
      s->bitrate = atoi (v);
    else if (!strcmp (k, "--fec"))
      s->fec = atoi (v);
    else if (!strcmp (k, "--secs"))
      s->secs = atof (v);
    else if (!strcmp (k, "--reps"))
      s->reps = atoi (v);
    else if (!strcmp (k, "--joiners"))
      s->joiners = atoi (v) < 0 ? 0 : atoi (v) > JOINERS ? JOINERS : atoi (v);
    else if (!strcmp (k, "--frames"))
      s->frames = atol (v);
    else if (!strcmp (k, "--random"))
      s->random = atoi (v);
    else {
      fprintf (stderr, "unknown option %s\n", k);
      return 0;
    }
  }
  return 1;
}

static void
tones (const Settings *s)
{
  long n = (long)(s->secs * 50);
  static const double singles[] = { 200, 300, 400, 500, 700, 1000, 1333, 1500,
    1700, 2000, 2500, 3000, 3500, 4000 };
  double amp10 = 32768 * pow (10, -10 / 20.0);
  char name[64];
  Stats st;
  short *pcm;

  /* test_media_mix after the leave: PCMU 1000 + PCMA 1300 Hz, -10 dBFS */
  for (int p = 0; p < 4; p++) {
    double f[] = { 1000, 1300 }, a[] = { amp10, amp10 };

    pcm = make_tones (n, f, a, 2, p * 0.7);
    run (s, pcm, n, &st);
    snprintf (name, sizeof name, "1000+1300 -10 ph%d", p);
    report (name, &st);
    free (pcm);
  }
  {
    double f[] = { 1000, 1300, 1900 }, a[] = { amp10, amp10, amp10 };

    pcm = make_tones (n, f, a, 3, 0);
    run (s, pcm, n, &st);
    report ("1000+1300+1900 -10", &st);
    free (pcm);
  }
  for (int lv = -10; lv >= -40; lv -= 30)
    for (size_t i = 0; i < sizeof singles / sizeof singles[0]; i++) {
      double f[] = { singles[i] }, a[] = { 32768 * pow (10, lv / 20.0) };

      pcm = make_tones (n, f, a, 1, 0);
      run (s, pcm, n, &st);
      snprintf (name, sizeof name, "%.0f Hz %d dBFS", singles[i], lv);
      report (name, &st);
      free (pcm);
    }
  for (int lv = -3; lv >= -23; lv -= 10) {
    pcm = make_sweep (n, 100, 8000, 32768 * pow (10, lv / 20.0));
    run (s, pcm, n, &st);
    snprintf (name, sizeof name, "sweep 100-8k %d dBFS", lv);
    report (name, &st);
    free (pcm);
    pcm = make_sweep (n, 1000, 2500, 32768 * pow (10, lv / 20.0));
    run (s, pcm, n, &st);
    snprintf (name, sizeof name, "sweep 1k-2.5k %d dBFS", lv);
    report (name, &st);
    free (pcm);
  }
  for (int lv = 8; lv <= 2048; lv *= 16) {
    pcm = make_pattern_382 (n, lv);
    run (s, pcm, n, &st);
    snprintf (name, sizeof name, "#382 pattern +%d", lv);
    report (name, &st);
    free (pcm);
  }
}

static void
file (const Settings *s, const char *path)
{
  FILE *f = fopen (path, "rb");
  long n;
  short *pcm;
  Stats st, sum = { 0 };

  if (!f) {
    perror (path);
    exit (1);
  }
  fseek (f, 0, SEEK_END);
  n = ftell (f) / (FRAME * 2);
  fseek (f, 0, SEEK_SET);
  pcm = malloc (n * FRAME * 2);
  if (fread (pcm, FRAME * 2, n, f) != (size_t)n)
    exit (1);
  fclose (f);
  for (int r = 0; r < s->reps; r++) {
    run (s, pcm, n, &st);
    sum.enc_us += st.enc_us;
  }
  st.enc_us = sum.enc_us / s->reps;
  report (path, &st);
  free (pcm);
}

/* @n frames of @a[k] (looped, from frame @offset) times @gain added to
 * @pcm, saturated. */
static void
mix_in (short *pcm, long n, const McuSpeech *a, long offset, double gain)
{
  for (long i = 0; i < n * FRAME; i++) {
    long j = (offset * FRAME + i) % (a->frames * FRAME);
    long v = pcm[i] + lrint (a->pcm[j] * gain);

    pcm[i] = (short)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
  }
}

/* @a low-passed at @hz (a windowed-sinc FIR, 255 taps, Blackman): the band
 * of a G.711 (3800) or G.722 (7000) caller the server decoded and
 * resampled to 48 kHz. */
static void
lowpass (McuSpeech *a, double hz)
{
  enum
  {
    HALF = 127
  };
  long n = a->frames * FRAME;
  short *out = malloc (n * sizeof *out);
  double h[2 * HALF + 1], fc = hz / RATE, norm = 0;

  for (int i = -HALF; i <= HALF; i++) {
    double x = 2 * M_PI * fc * i, w = 0.42 + 0.5 * cos (M_PI * i / HALF) +
                                      0.08 * cos (2 * M_PI * i / HALF);

    h[i + HALF] = (i == 0 ? 2 * fc : sin (x) / (M_PI * i)) * w;
    norm += h[i + HALF];
  }
  for (long i = 0; i < n; i++) {
    double v = 0;

    for (int j = -HALF; j <= HALF; j++)
      v += h[j + HALF] * a->pcm[((i - j) % n + n) % n]; /* (looped) */
    v /= norm;
    out[i] = (short)(v > 32767 ? 32767 : v < -32768 ? -32768 : lrint (v));
  }
  free (a->pcm);
  a->pcm = out;
}

/* Speech mixes (the prompts of DIR, see mcu-speech-source.h), each twice
 * the speech loop long, late and lossy decoders spread over it, at every
 * complexity 0..10 (or the one given). */
static void
speech (Settings *s, const char *dir, const char *tone_raw, int all)
{
  /* the voices: full band (Opus callers), and as G.711 and G.722 callers'
   * reach the mix */
  McuSpeech voice[3], music, tone = { 0 };
  static const double band[3] = { 0, 3800, 7000 };
  static const char *const band_name[3] = { "", "nb ", "wb " };
  char err[512], path[4200], name[64];
  int have_tone = 0;

  snprintf (path, sizeof path, "%s/music.wav", dir);
  for (int b = 0; b < 3; b++) {
    if (mcu_speech_load (dir, &voice[b], err, sizeof err)) {
      fprintf (stderr, "%s\n", err);
      exit (1);
    }
    if (band[b] > 0)
      lowpass (&voice[b], band[b]);
  }
  if (mcu_speech_load_wav (path, &music, err, sizeof err)) {
    fprintf (stderr, "%s\n", err);
    exit (1);
  }
  if (tone_raw) {
    FILE *f = fopen (tone_raw, "rb");
    long bytes;

    if (!f || fseek (f, 0, SEEK_END) || (bytes = ftell (f)) < FRAME * 2) {
      perror (tone_raw);
      exit (1);
    }
    tone.frames = bytes / (FRAME * 2);
    tone.pcm = malloc (tone.frames * FRAME * 2);
    fseek (f, 0, SEEK_SET);
    if (fread (tone.pcm, FRAME * 2, tone.frames, f) != (size_t)tone.frames)
      exit (1);
    fclose (f);
    have_tone = 1;
  }
  for (int c = all ? 0 : s->complexity; c <= (all ? 10 : s->complexity); c++) {
    /* name, band, voices, music gain, tone gain */
    static const struct
    {
      const char *name;
      int band, voices;
      double music, tone;
    } mixes[] = {
      { "1 voice", 0, 1, 0, 0 },
      { "3 voices", 0, 3, 0, 0 },
      { "3 voices + music", 0, 3, 0.5, 0 },
      { "1 voice + tone mix", 0, 1, 0, 0.5 },
      { "1 voice", 1, 1, 0, 0 },
      { "3 voices", 1, 3, 0, 0 },
      { "3 voices + tone mix", 1, 3, 0, 0.25 },
      { "3 voices", 2, 3, 0, 0 },
    };

    s->complexity = c;
    for (size_t m = 0; m < sizeof mixes / sizeof mixes[0]; m++) {
      const McuSpeech *v = &voice[mixes[m].band];
      long n = s->frames > 0 && s->frames < v->frames ? s->frames : v->frames;
      short *pcm = calloc (n * FRAME, sizeof *pcm);
      Stats st;

      if (mixes[m].tone > 0 && !have_tone) {
        free (pcm);
        continue;
      }
      for (int k = 0; k < mixes[m].voices; k++)
        mix_in (pcm, n, v, k * v->frames / mixes[m].voices,
            mixes[m].voices > 1 ? 0.7 : 1.0);
      if (mixes[m].music > 0)
        mix_in (pcm, n, &music, 0, mixes[m].music);
      if (mixes[m].tone > 0)
        mix_in (pcm, n, &tone, 0, mixes[m].tone);
      s->join_step = n / (s->joiners + 1);
      run (s, pcm, n, &st);
      snprintf (name, sizeof name, "c%-2d %s%s", c, band_name[mixes[m].band],
          mixes[m].name);
      report (name, &st);
      fflush (stdout);
      free (pcm);
    }
  }
  for (int b = 0; b < 3; b++)
    mcu_speech_clear (&voice[b]);
  mcu_speech_clear (&music);
  free (tone.pcm);
}

int
main (int argc, char **argv)
{
  Settings s;

  if (argc < 2)
    goto usage;
  if (!strcmp (argv[1], "tones") && parse (argc, argv, 2, &s))
    tones (&s);
  else if (!strcmp (argv[1], "file") && argc > 2 && parse (argc, argv, 3, &s))
    file (&s, argv[2]);
  else if (!strcmp (argv[1], "variants") && argc > 2 &&
           parse (argc, argv, 3, &s)) {
    FILE *f = fopen (argv[2], "rb");
    short frame[FRAME];
    int given = 0;

    if (!f || fread (frame, 2, FRAME, f) != FRAME) {
      perror (argv[2]);
      return 1;
    }
    fclose (f);
    for (int i = 3; i < argc; i++)
      given |= !strcmp (argv[i], "--complexity");
    variants (&s, frame, !given);
  } else if (!strcmp (argv[1], "speech") && argc > 2) {
    int given = 0, first = 3;
    const char *tone = NULL;

    if (argc > 3 && argv[3][0] != '-') {
      tone = argv[3];
      first = 4;
    }
    for (int i = first; i < argc; i++)
      given |= !strcmp (argv[i], "--complexity");
    if (!parse (argc, argv, first, &s))
      goto usage;
    speech (&s, argv[2], tone, !given);
  } else
    goto usage;
  return 0;
usage:
  fprintf (stderr,
      "usage: opus-enc-bench tones|variants RAW|file RAW|speech DIR "
      "[TONE_RAW] [OPTIONS]\n");
  return 2;
}
