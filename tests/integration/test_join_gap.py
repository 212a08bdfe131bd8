# SPDX-License-Identifier: LGPL-2.1-or-later
"""Joins and leaves do not glitch the room: 10 callers talk (PCMU tones)
in room "jg" while 20 callers sending PCMU silence join and leave (one
every JOIN_EVERY s, each staying STAY s, so several overlap), then 5
callers that send no RTP at all do the same. At each talker's RTP socket
(kernel receive timestamps) no gap between two packets from the server may
exceed MAX_GAP_MS during either phase, and every talker gets its 50
packets/s. Traffic stays on 127.0.0.1.

Before the fix (mcu-audio-mix.c, see join_bin there) every join stopped
the others' audio for 170-180 ms, a joiner sending no RTP for ~290 ms."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import joingap  # noqa: E402
import mcutest  # noqa: E402
import sipua  # noqa: E402

TALKERS = 10
JOINERS = 20
SILENT_JOINERS = 5
JOIN_EVERY = 0.25
STAY = 1.5
MAX_GAP_MS = 60
SCALE = float(os.environ.get("MCU_TEST_TIME_SCALE", "1"))

checks = mcutest.Failures()


def churn(ua, srv, loop, n, mode, events, byes):
    """@n callers of @mode join every JOIN_EVERY s and leave STAY s after
    their join; each BYE's (time sent, ms to its answer) goes to @byes.
    Returns the number that got in."""
    live, joined, i, heard = [], 0, 0, []
    next_join = time.monotonic()
    while i < n or live:
        now = time.monotonic()
        if live and live[0][0] <= now:
            _, s, d = live.pop(0)
            events.append((time.time(), "leave"))
            heard.append((len(s.arrivals), s.loud))
            sent = time.monotonic()
            status = ua.in_dialog(d, "BYE")
            byes.append((events[-1][0], (time.monotonic() - sent) * 1000))
            if status != 200:
                checks.check(False, "%s joiner: BYE answered 200 (%s)" % (mode, status))
            s.close()
            continue
        if i < n and now >= next_join:
            s = joingap.Stream(loop, mode)
            events.append((time.time(), "join"))
            d = joingap.call(ua, srv.uri("jg"), s)
            i += 1
            next_join += JOIN_EVERY
            if d is None:
                s.close()
                continue
            joined += 1
            live.append((time.monotonic() + STAY, s, d))
            continue
        time.sleep(0.005)
    # a joiner hears the room at once, whether or not it sends audio
    got = [n for n, _ in heard]
    loud = [n for _, n in heard]
    checks.check(min(got) >= 50 * STAY * 0.8 and min(loud) >= 50 * STAY * 0.5,
                 "%s joiners: each got RTP all along and heard the talkers (packets: min %d, "
                 "with the tone: min %d, in %.1f s)" % (mode, min(got), min(loud), STAY))
    return joined


def timeline(s, t0, t1, events):
    """Every gap over 30 ms at stream @s, with the events around it."""
    times = sorted(a for a in s.arrivals if t0 <= a <= t1)
    for a, b in zip(times, times[1:]):
        if b - a > 0.030:
            near = [("%s %+.0f ms" % (k, (w - a) * 1000)) for w, k in events if -0.4 < w - a < 0.1]
            print("#   gap %.0f ms from %.3f s: %s" % ((b - a) * 1000, a - t0, ", ".join(near)))


def context(loop, t0, t1, what, byes):
    """What a gap's cause is not: the server's main loop answering late (a
    slow BYE: the leave path blocked it, or the machine starved it) and this
    test's own sender being late (the machine starved the test) are printed
    with every run, so that a failure under load can be told apart."""
    slow = max(byes, key=lambda b: b[1]) if byes else (t0, 0.0)
    late = [(round(w - t0, 2), round(ms)) for w, ms in loop.late if t0 <= w <= t1]
    print("# %s: slowest BYE answer %.0f ms (sent %.2f s in); this test's sender was over "
          "20 ms late at (s, ms): %s" % (what, slow[1], slow[0] - t0, late))


def report(talkers, t0, t1, what, events):
    if os.environ.get("JOINGAP_VERBOSE"):
        # to line the gaps up with a `perf record -k mono` of the daemon
        print("# %s: t0 %.6f (CLOCK_REALTIME) = %.6f (CLOCK_MONOTONIC)"
              % (what, t0, t0 - time.time() + time.monotonic()))
        print("# %s: events %s" % (what, " ".join("%s@%.3f" % (k, w - t0) for w, k in events)))
        timeline(talkers[0], t0, t1, events)
    worst_all = 0.0
    for k, s in enumerate(talkers):
        worst, at = joingap.gaps(s.arrivals, t0, t1)
        n = len([a for a in s.arrivals if t0 <= a <= t1])
        rate = n / (t1 - t0)
        worst_all = max(worst_all, worst)
        near = min(events, key=lambda e: abs(e[0] - at)) if events else (at, "-")
        checks.check(worst <= MAX_GAP_MS * SCALE and rate >= 45 and s.loud > 0.9 * len(s.arrivals),
                     "%s: talker %d: longest RTP gap %.0f ms (ending %.2f s in; nearest %s at "
                     "%.2f s), %.1f packets/s, %d of %d with the others' tone"
                     % (what, k, worst, at - t0, near[1], near[0] - t0, rate, s.loud,
                        len(s.arrivals)))
    return worst_all


def main():
    loop = joingap.MediaLoop().start()
    with mcutest.McuServer() as srv, sipua.SipUA(srv.port, "talker") as tua, \
            sipua.SipUA(srv.port, "joiner") as jua:
        if os.environ.get("JOINGAP_VERBOSE"):
            print("# log %s" % srv.logpath)
        talkers = []
        for _ in range(TALKERS):
            s = joingap.Stream(loop, "talk")
            d = joingap.call(tua, srv.uri("jg"), s)
            checks.check(d is not None, "talker in room jg")
            talkers.append(s)
        time.sleep(2.0)  # jitter buffers filled, talking detected
        results = {}
        for mode, n in (("silence", JOINERS), ("none", SILENT_JOINERS)):
            events, byes = [], []
            t0 = time.time()
            joined = churn(jua, srv, loop, n, mode, events, byes)
            time.sleep(0.5)  # the last leave's effect
            t1 = time.time()
            context(loop, t0, t1, "joiners sending %s" % mode, byes)
            checks.check(joined == n, "%s: %d of %d joiners got in" % (mode, joined, n))
            results[mode] = report(talkers, t0, t1, "joiners sending %s" % mode, events)
        print("worst gap at any talker: %s" % ", ".join(
            "%.0f ms with joiners sending %s" % (v, k) for k, v in results.items()))
    loop.stop()
    checks.exit()


if __name__ == "__main__":
    main()
