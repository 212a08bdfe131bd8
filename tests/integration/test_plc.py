# SPDX-License-Identifier: LGPL-2.1-or-later
"""Loss concealment and the adaptive jitter buffer, end to end.

Loss: in each of four rooms a caller sends a 1 kHz tone in one codec (Opus,
PCMU, PCMA, G.722) and withholds 10 % of its RTP packets (the same ones
every run: mcu-test-caller --drop-percent, seeded); a silent Opus listener
records what the room sends it. While the tone is on, the listener's audio
must have no silence holes: runs of near-zero samples of HOLE_MS or more.
Without concealment most lost packets leave one (5-19 per codec in the
8 s, measured: the room's Opus encode to the listener smears some); with it
there are none, except where a burst of lost packets outlasts the
concealment (FADE_MS: spandsp's PLC, like G.711 Appendix I, fades to
silence) -- and except for a stall of this shared 2-core machine (a packet
that comes too late is lost too; Opus' PLC bridges such a stall with sound,
spandsp's with 50 ms and then silence): MAX_HOLES are allowed, so one stall
does not fail the test but no concealment does.

Jitter: a PCMU and an Opus caller delay each packet by 0..40 ms (netsim,
reordering): no holes either, and the server's jitter buffer depth
(GET .../participants, stats.jitter_buffer_ms) adapts to cover the jitter
and stays at most DEPTH_MAX_MS. A G.722 caller with 0..80 ms gets a depth
past jitter-latency (60), so its audio is moved later while it talks (the
jump concealed): no holes there either once the depth got there (after
the first 3 s of tone: it measures for a second or two first).

Steps down: the loss callers have no jitter, so their depth comes down from
jitter-latency (60) in 10 ms steps, once a second after a few seconds of
calm, towards 20 ms; each step moves their audio 10 ms earlier. The depth
must have stepped down (to STEPPED_MS or less) while the tone was checked
for holes, so that the check covers the steps."""

import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import mcutest  # noqa: E402
from controlclient import Control  # noqa: E402

CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
DURATION = 8.0
TONE = 1000
NEAR_ZERO = 0.006    # |sample| below this (of 1.0) is silence
HOLE_MS = 5.0        # a run of near-zero samples this long is a hole
FADE_MS = 50         # concealment lasts this long, then fades to silence
MAX_HOLES = 2        # host stalls (see above)
DEPTH_MAX_MS = 100
STEPPED_MS = 50      # a loss caller's depth by the end: a step or more down

LOSS = [("opus", 10, 0), ("pcmu", 10, 0), ("pcma", 10, 0), ("g722", 10, 0)]
# 40 ms: within the default 60 ms; 80 ms: deeper than jitter-latency, so
# the caller's audio is moved later (concealed) and its depth may pass 100.
JITTER = [("pcmu", 0, 40), ("opus", 0, 40), ("g722", 0, 80)]

checks = mcutest.Failures()


def start(srv, work, name, room, codec, tone, amplitude, drop, jitter, record):
    report = os.path.join(work, name + ".json")
    log = open(os.path.join(work, name + ".log"), "w")
    argv = [CALLER, "--uri", srv.uri(room), "--codec", codec, "--tone", str(tone),
            "--amplitude", str(amplitude), "--duration", str(DURATION),
            "--report", report, "--display-name", name, "--timeout", str(DURATION + 20)]
    if drop:
        argv += ["--drop-percent", str(drop)]
    if jitter:
        argv += ["--jitter", str(jitter)]
    wav = None
    if record:
        wav = os.path.join(work, name + ".wav")
        argv += ["--record", wav]
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    return {"name": name, "proc": proc, "report": report, "wav": wav, "log": log.name}


def finish(c):
    try:
        c["proc"].wait(DURATION + 30)
    except subprocess.TimeoutExpired:
        c["proc"].kill()
        c["proc"].wait()
    ok = checks.check(c["proc"].returncode == 0,
                      "%s call completed (exit %s)" % (c["name"], c["proc"].returncode))
    if not ok:
        print(open(c["log"]).read())
    with open(c["report"]) as f:
        c["r"] = json.load(f)


def holes(samples, rate, skip=0.5):
    """The runs of near-zero samples (ms, s) of HOLE_MS or more, the
    longest run, and the span looked at: between the tone's first and last
    20 ms window present (less `skip` s at the start, 0.5 s at the end);
    None with less than a second of tone."""
    window = int(rate * 0.02)
    count = len(samples) // window
    peaks = np.abs(samples[:count * window]).reshape(count, window).max(axis=1)
    on = np.nonzero(peaks > 0.06)[0]
    if len(on) == 0:
        return None
    a, b = on[0] * window + int(rate * skip), on[-1] * window - rate // 2
    if b - a < rate:  # less than a second of tone to look at
        return None
    quiet = np.abs(samples[a:b]) < NEAR_ZERO
    edges = np.diff(np.concatenate(([0], quiet.astype(np.int8), [0])))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    runs = [(1000.0 * (e - s) / rate, (a + s) / rate) for s, e in zip(starts, ends)]
    longest = max(runs) if runs else (0.0, 0.0)
    return [r for r in runs if r[0] >= HOLE_MS], longest, (b - a) / rate


def participants(ctl, room):
    """The room's participants, or [] when the control socket did not answer
    (a missed sample of the depth: the test needs some, see main)."""
    try:
        status, body = ctl.get("/v1/rooms/%s/participants" % room)
    except OSError as e:
        print("# GET participants of %s: %s" % (room, e))
        return []
    return body.get("participants", []) if status == 200 else []


def run_batch(srv, ctl, cases, first, depths):
    """Calls every case's listener and sender at once (room 3000 + index);
    notes each sender's depth while it talks."""
    running = []
    for i, (name, codec, drop, jitter) in enumerate(cases):
        room = str(3000 + first + i)
        listener = start(srv, srv.dir, name + "-listener", room, "opus", 440, 0.0,
                         0, 0, True)
        time.sleep(0.3)
        sender = start(srv, srv.dir, name + "-sender", room, codec, TONE, 0.3,
                       drop, jitter, False)
        running.append((name, room, jitter, listener, sender))
    deadline = time.monotonic() + DURATION - 1.0
    while time.monotonic() < deadline:
        for name, room, jitter, _, _ in running:
            for p in participants(ctl, room):
                if p.get("display") == name + "-sender":
                    d = p["stats"].get("jitter_buffer_ms", 0)
                    depths.setdefault(name, []).append((d, p["stats"].get("jitter_ms")))
        time.sleep(0.5)
    for _, _, _, listener, sender in running:
        finish(listener)
        finish(sender)
    return running


def main():
    if not os.path.exists(CALLER):
        print("mcu-test-caller not built")
        sys.exit(1)
    cases = [("loss-" + codec, codec, drop, jitter) for codec, drop, jitter in LOSS] + \
            [("jitter-" + codec, codec, drop, jitter) for codec, drop, jitter in JITTER]
    if len(sys.argv) > 1:  # by hand: only the cases whose name has this
        cases = [c for c in cases if sys.argv[1] in c[0]]
    depths = {}
    done = []
    with mcutest.McuServer() as srv:
        ctl = Control(srv.control_socket)
        # two batches (loss, then jitter): half the callers at a time on
        # this 2-core machine
        for batch in ("loss-", "jitter-"):
            todo = [c for c in cases if c[0].startswith(batch)]
            done += run_batch(srv, ctl, todo, len(done), depths)
        checks.check(srv.alive(), "server still running")
    running = done

    for name, room, jitter, listener, sender in running:
        withheld = sender["r"].get("rtp_packets_withheld", 0)
        rate, samples = audiocheck.read_wav(listener["wav"])
        # 80 ms of jitter: the depth needs a second or two to get there
        found = holes(samples, rate, 3.0 if jitter > 40 else 0.5)
        if found is None:
            checks.check(False, "%s: the listener heard the tone for less than a "
                         "second" % name)
            continue
        found, longest, span = found
        # a burst of lost packets longer than the concealment (FADE_MS)
        # ends in silence: one more hole allowed for it
        run = sender["r"].get("rtp_longest_withheld_run", 0)
        allowed = MAX_HOLES + (1 if 20 * run > FADE_MS + HOLE_MS else 0)
        checks.check(len(found) <= allowed,
                     "%s: %d silence holes of %.0f ms or more in %.1f s of tone (at most "
                     "%d; %s); longest near-zero run %.1f ms at %.2f s; %d of %d packets "
                     "withheld, at most %d in a row"
                     % (name, len(found), HOLE_MS, span, allowed,
                        " ".join("%.0f ms at %.2f s" % h for h in found[:8]) or "none",
                        longest[0], longest[1], withheld,
                        withheld + sender["r"].get("rtp_packets_sent", 0), run))
        seen = depths.get(name, [])
        if not jitter:
            checks.check(withheld > 0.05 * 50 * DURATION,
                         "%s: the sender withheld packets (%d)" % (name, withheld))
            checks.check(len(seen) > 0 and min(d for d, _ in seen) <= STEPPED_MS,
                         "%s: the depth stepped down to %d ms or less while the tone "
                         "was checked (%s)" % (name, STEPPED_MS,
                                               " ".join("%s/%s" % x for x in seen)))
            continue
        checks.check(len(seen) > 0, "%s: depth read from the control API" % name)
        if seen:
            last = seen[-1][0]
            limit = DEPTH_MAX_MS if jitter <= 40 else 200
            checks.check(all(d <= limit for d, _ in seen),
                         "%s: depth stayed <= %d ms (%s)"
                         % (name, limit, " ".join("%s/%s" % x for x in seen)))
            checks.check(last >= jitter,
                         "%s: depth %d ms covers the %d ms of jitter" % (name, last, jitter))
    checks.exit()


if __name__ == "__main__":
    main()
