# SPDX-License-Identifier: LGPL-2.1-or-later
"""Audio checks for integration tests: which sine tones a recording holds,
window by window, and where it drops out.

Levels are dBFS of a sine: a full-scale sine (amplitude 1.0) reads 0 dBFS,
amplitude 0.3 reads about -10.5 dBFS. Pick tones far apart (440, 700, 1000,
1300, 1900 Hz): all of them pass 8 kHz codecs (PCMU/PCMA) and stay apart in
0.1 s windows (10 Hz bins, Hann main lobe +-20 Hz).

Run as a script to print a per-window table:
    /usr/bin/python3 audiocheck.py FILE.wav 440 700 1000 [--window 0.1]
"""

import sys
import wave

import numpy as np

SILENCE_DBFS = -60.0      # below this a window counts as silent
PRESENT_DBFS = -40.0      # a tone at least this loud is present
PRESENT_FRACTION = 0.9    # ... in at least this share of windows
ABSENT_MARGIN_DB = 25.0   # absent = this far below the present tones
FLOOR_DBFS = -120.0       # levels are clipped here (log of zero)


def read_wav(path):
    """Read a PCM WAV file; return (rate, mono float samples in [-1, 1))."""
    with wave.open(path, "rb") as w:
        rate = w.getframerate()
        channels = w.getnchannels()
        width = w.getsampwidth()
        raw = w.readframes(w.getnframes())
    if width == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    elif width == 1:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128) / 128.0
    elif width == 4:
        data = np.frombuffer(raw, dtype="<i4").astype(np.float64) / 2147483648.0
    else:
        raise ValueError("%s: unsupported sample width %d" % (path, width))
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return rate, data


def _windows(samples, rate, window):
    """Split into non-overlapping windows of `window` seconds: [n × len]."""
    size = max(1, int(round(rate * window)))
    count = len(samples) // size
    return samples[:count * size].reshape(count, size)


def tone_levels(samples, rate, freqs, window=0.1):
    """Level in dBFS of each frequency in each window: array [windows × freqs].

    Hann-windowed DFT evaluated at exactly each frequency (no bin rounding),
    scaled so that a sine of amplitude A reads 20*log10(A)."""
    frames = _windows(np.asarray(samples, dtype=np.float64), rate, window)
    if frames.shape[0] == 0:
        return np.zeros((0, len(freqs)))
    size = frames.shape[1]
    hann = np.hanning(size)
    t = np.arange(size) / float(rate)
    basis = np.exp(-2j * np.pi * np.outer(t, np.asarray(freqs, dtype=np.float64)))
    spectrum = (frames * hann) @ basis                  # [windows × freqs]
    amplitude = 2.0 * np.abs(spectrum) / hann.sum()
    return 20.0 * np.log10(np.maximum(amplitude, 10 ** (FLOOR_DBFS / 20)))


def rms_levels(samples, rate, window=0.1):
    """Broadband RMS level in dBFS per window (sine-referenced: +3 dB)."""
    frames = _windows(np.asarray(samples, dtype=np.float64), rate, window)
    rms = np.sqrt(np.mean(frames ** 2, axis=1)) * np.sqrt(2.0)
    return 20.0 * np.log10(np.maximum(rms, 10 ** (FLOOR_DBFS / 20)))


def _span_rows(levels, window, span):
    """Rows of `levels` whose window lies inside span=(start, end) seconds."""
    n = levels.shape[0]
    if span is None:
        return levels
    start, end = span
    first = max(0, int(np.ceil(start / window - 1e-9)))
    last = n if end is None else min(n, int(np.floor(end / window + 1e-9)))
    return levels[first:last]


def tone_presence(samples, rate, freq, span=None, window=0.1,
                  min_dbfs=PRESENT_DBFS):
    """Share of windows in span where `freq` is at least `min_dbfs`."""
    rows = _span_rows(tone_levels(samples, rate, [freq], window), window, span)
    if rows.shape[0] == 0:
        return 0.0
    return float(np.mean(rows[:, 0] >= min_dbfs))


def absent_ranges(samples, rate, freq, span=None, window=0.1,
                  min_dbfs=PRESENT_DBFS):
    """The (start, end) seconds of each run of windows in span where `freq`
    is below `min_dbfs`, for failure messages: a hole at the start reads
    differently from one in the middle."""
    levels = tone_levels(samples, rate, [freq], window)
    first = 0 if span is None else max(0, int(np.ceil(span[0] / window - 1e-9)))
    rows = _span_rows(levels, window, span)
    ranges = []
    for i, level in enumerate(rows[:, 0]):
        t = (first + i) * window
        if level >= min_dbfs:
            continue
        if ranges and abs(ranges[-1][1] - t) < window / 2:
            ranges[-1] = (ranges[-1][0], t + window)
        else:
            ranges.append((t, t + window))
    return ranges


def format_ranges(ranges):
    """'0.5-1.3 s, 4.0-4.1 s' (at most 6 ranges)."""
    text = ", ".join("%.1f-%.1f s" % r for r in ranges[:6])
    return text + (" ..." if len(ranges) > 6 else "")


def assert_tone_present(samples, rate, freq, span=None, window=0.1,
                        min_dbfs=PRESENT_DBFS, fraction=PRESENT_FRACTION,
                        what=""):
    """Raise AssertionError unless `freq` is >= min_dbfs in >= fraction of the
    windows of span (start, end) seconds (end None = to the end)."""
    share = tone_presence(samples, rate, freq, span, window, min_dbfs)
    if share < fraction:
        raise AssertionError(
            "%s%g Hz present in only %.0f%% of windows in %s (need %.0f%% >= %g dBFS;"
            " missing at %s)"
            % (what + ": " if what else "", freq, 100 * share, span or "all",
               100 * fraction, min_dbfs,
               format_ranges(absent_ranges(samples, rate, freq, span, window, min_dbfs))))
    return share


def assert_tone_absent(samples, rate, freq, present_freqs=(), span=None,
                       window=0.1, margin_db=ABSENT_MARGIN_DB,
                       max_dbfs=PRESENT_DBFS - ABSENT_MARGIN_DB,
                       fraction=PRESENT_FRACTION, what=""):
    """Raise AssertionError unless `freq` is absent in >= fraction of windows
    of span: at least margin_db below the loudest of `present_freqs` in that
    window, or, with no present_freqs, at most max_dbfs."""
    freqs = [freq] + list(present_freqs)
    rows = _span_rows(tone_levels(samples, rate, freqs, window), window, span)
    if rows.shape[0] == 0:
        raise AssertionError("%sno audio in span %s" % (what + ": " if what else "", span))
    if present_freqs:
        ok = rows[:, 0] <= rows[:, 1:].max(axis=1) - margin_db
    else:
        ok = rows[:, 0] <= max_dbfs
    share = float(np.mean(ok))
    if share < fraction:
        worst = float(rows[:, 0].max())
        raise AssertionError(
            "%s%g Hz not absent: only %.0f%% of windows in %s pass (loudest %.1f dBFS)"
            % (what + ": " if what else "", freq, 100 * share, span or "all", worst))
    return share


def continuity(samples, rate, span=None, window=0.02, silence_dbfs=SILENCE_DBFS):
    """Longest run of near-silence (seconds) inside span=(start, end) seconds,
    measured in `window`-second steps: a dropout detector."""
    rows = _span_rows(rms_levels(samples, rate, window)[:, None], window, span)
    longest = run = 0
    for level in rows[:, 0]:
        run = run + 1 if level < silence_dbfs else 0
        longest = max(longest, run)
    return longest * window


def first_presence(samples, rate, freq, window=0.1, min_dbfs=PRESENT_DBFS,
                   hold=3):
    """Time (s) of the first window from which `freq` stays present for `hold`
    windows in a row, or None."""
    levels = tone_levels(samples, rate, [freq], window)[:, 0] >= min_dbfs
    for i in range(len(levels) - hold + 1):
        if levels[i:i + hold].all():
            return i * window
    return None


def print_table(path, freqs, window=0.1, out=sys.stdout):
    """Per-window table: time, broadband level, level of each frequency."""
    rate, samples = read_wav(path)
    levels = tone_levels(samples, rate, freqs, window)
    rms = rms_levels(samples, rate, window)
    out.write("%s: %d Hz, %.2f s, %d windows of %g s\n"
              % (path, rate, len(samples) / float(rate), len(levels), window))
    out.write("%7s %7s" % ("t", "rms") + "".join("%8g" % f for f in freqs) + "\n")
    for i, row in enumerate(levels):
        out.write("%7.2f %7.1f" % (i * window, rms[i]) + "".join("%8.1f" % v for v in row) + "\n")
    for f in freqs:
        out.write("%g Hz present in %.0f%% of windows\n"
                  % (f, 100 * tone_presence(samples, rate, f, window=window)))
    out.write("longest silence: %.2f s\n" % continuity(samples, rate))


def _main(argv):
    args = list(argv[1:])
    window = 0.1
    if "--window" in args:
        i = args.index("--window")
        window = float(args[i + 1])
        del args[i:i + 2]
    if len(args) < 2:
        sys.stderr.write("usage: audiocheck.py FILE.wav FREQ [FREQ...] [--window SEC]\n")
        return 2
    print_table(args[0], [float(f) for f in args[1:]], window)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
