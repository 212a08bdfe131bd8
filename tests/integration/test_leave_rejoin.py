# SPDX-License-Identifier: LGPL-2.1-or-later
"""64 callers in one room, 16 leave and rejoin, the others' audio stays
real time (issue 12). Room "lr": CALLERS plain-RTP callers each send a
PCMU tone (joingap.Stream, all on one thread of this test); MOVERS
of them (every fourth, so they are spread over the room's join order)
leave with a BYE and dial in again (a new call from new ports), one every
STAGGER s, each back REJOIN_AFTER s after its BYE, so leaves and joins
interleave; ROUNDS times. At each of the CALLERS - MOVERS callers that
stay, over the whole churn window, on their RTP socket (kernel receive
timestamps, so this test's own lateness invents nothing):

- every whole second of the window holds at least MIN_PER_SECOND of the
  server's packets (50 = real time), and
- no gap between two packets exceeds MAX_GAP_MS, and at most
  MAX_LONG_GAPS exceed LONG_GAP_MS (a hold at every join or leave shows
  as one gap each, 96 in all),
- and they hear the others' tone.

The bounds: the mixer produces one 20 ms frame per 20 ms and waits at most
one frame for an input that has nothing (mcumixminus' retime, see
test_mix_stall.py): no gap over MAX_GAP_MS = 60 ms, the issue's aim. A
listener that lost more than two frames in a second and did not get them
back in that second is not real time: MIN_PER_SECOND = 48. A join that
holds the mixing thread costs every listener that hold: the join stall
this guards against was 170-180 ms (README, "Joins and leaves").

History of the gap bound. With the classic engine (5 threads a caller) it
was 100 ms: over 28 runs at load average 10-67 (other sessions' builds and
tests) the worst gap was 26-49 ms in 20 runs, 73-87 ms in 3 and 119-280 ms
in 5, the server's main thread stalled with the mixer, once exactly when 46
callers' adaptive jitter buffers stepped down in the same main-loop
wake-up; later, with callers placed by arrival, 32-41 ms in 9 runs at load
1-5 and 64 ms in 1. With the thread-free default engine (session 22),
most runs under `perf record` of the scheduler (tests/bench/sched_stall.py):
on a quiet machine (other sessions under half a CPU) the worst gap was
21-26 ms in 17 runs (13 plain, 4 with parallel-encode-ms=0), join-gap's
21-25 ms in 5; GST_DEBUG=mcumixminus:6 put the mixing thread at most 3.5 ms
past its usual 30 ms lead during the churn (no join or leave holds it).
With other sessions' builds or benches taking 1-1.9 of the 2 CPUs: 27-59
ms in 9 runs and 66, 90, 119 ms in 3: at 66 and 90 ms the mixing thread
was runnable without a CPU for 43 and 69 ms while other sessions' threads
ran (the kernel's autogroup scheduling gives every login session an equal
share before nice counts), at 119 ms this test's own sender was 115 ms
late at the same moment. CI runs on a quiet machine; if this test fails
under load, sched_stall.py tells starvation from a hold.
Broken on purpose (a probe on a joiner's mixer output sleeping in the
mixing thread once, for every join after the first 64): a 50 ms hold per
rejoin fails with 54-65 ms gaps at every join (50 packets a second: the
count does not catch it); a 40 ms hold gives 42-51 ms gaps, under the
bound, and fails MAX_LONG_GAPS (48 gaps over 40 ms at every listener; the
runs above had 0 at quiet and at most 4 under load); a 30 ms hold (gaps up
to 37 ms) passes: that is this test's resolution.
Before (bound 100): 200 ms hold 1.6 s gaps, 120 ms 370 ms, 80 ms 88-97
ms (caught only by the count).
Traffic stays on 127.0.0.1."""

import concurrent.futures
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import joingap  # noqa: E402
import mcutest  # noqa: E402
import sipua  # noqa: E402

CALLERS = 64
MOVERS = 16
ROUNDS = 3
STAGGER = 0.1  # s between two movers' BYEs (10 leaves/s, and 10 joins/s)
REJOIN_AFTER = 0.6  # s from a mover's BYE to its new INVITE
SETTLE = 1.0  # s after a round before the next (and the window's end)
MIN_PER_SECOND = 48
MAX_GAP_MS = 60
LONG_GAP_MS = 40  # a gap this long is rare: not at every join or leave
MAX_LONG_GAPS = 8
SCALE = float(os.environ.get("MCU_TEST_TIME_SCALE", "1"))

checks = mcutest.Failures()


def dial(ua, srv, loop):
    """A new caller in room lr: (stream, dialog or None)."""
    s = joingap.Stream(loop, "talk")
    d = joingap.call(ua, srv.uri("lr"), s, 10.0)
    if d is None:
        s.close()
    return s, d


def per_second(arrivals, t0, t1):
    """Packets in each whole second [t0 + k, t0 + k + 1) up to t1."""
    counts = [0] * int(t1 - t0)
    for a in arrivals:
        k = int(a - t0) if a >= t0 else -1
        if 0 <= k < len(counts):
            counts[k] += 1
    return counts


def churn_round(ua, srv, loop, pool, movers, events):
    """Every mover leaves (BYE) and, REJOIN_AFTER s later, dials in again;
    movers STAGGER s apart. Replaces movers' entries with the new calls."""
    start = time.monotonic()
    plan = []
    for k in range(len(movers)):
        plan.append((start + k * STAGGER, "leave", k))
        plan.append((start + k * STAGGER + REJOIN_AFTER, "join", k))
    plan.sort()
    byes, joins = [], []
    for when, what, k in plan:
        time.sleep(max(0.0, when - time.monotonic()))
        events.append((time.time(), what))
        if what == "leave":
            s, d = movers[k]
            byes.append(pool.submit(ua.in_dialog, d, "BYE"))
            # a phone hanging up stops sending; its sockets stay open until
            # the round is over (the server's last packets find a socket)
            s.mode = "none"
        else:
            joins.append((k, pool.submit(dial, ua, srv, loop)))
    statuses = [f.result() for f in byes]
    checks.check(statuses.count(200) == len(movers),
                 "every mover's BYE answered 200 (%s)" % statuses)
    old = list(movers)
    for k, f in joins:
        movers[k] = f.result()
    for s, _ in old:
        s.close()
    back = [d is not None for _, d in movers]
    checks.check(all(back), "every mover got back in (%d of %d)" % (sum(back), len(movers)))


def check_movers(movers, what):
    """A rejoined mover hears the room: RTP since it rejoined, the tone."""
    for k, (s, d) in enumerate(movers):
        if d is None:
            continue
        n = len(s.arrivals)
        checks.check(n >= 25 and s.loud > 0.9 * n,
                     "%s: mover %d got %d packets since its rejoin, %d with the others' tone"
                     % (what, k, n, s.loud))


def timeline(s, t0, t1, events):
    """Every gap over 40 ms at stream @s, with the events around it."""
    times = sorted(a for a in s.arrivals if t0 <= a <= t1)
    for a, b in zip(times, times[1:]):
        if b - a > 0.040:
            near = ["%s %+.0f ms" % (k, (w - a) * 1000) for w, k in events if -0.4 < w - a < 0.1]
            print("#   listener 0: gap %.0f ms from %.3f s (%s); events from its start: %s"
                  % ((b - a) * 1000, a - t0, time.strftime("%H:%M:%S", time.localtime(a))
                     + ".%03d" % int(a % 1 * 1000), ", ".join(near)))


def check_stayers(stayers, t0, t1, events, loop):
    late = [(round(w - t0, 2), round(ms)) for w, ms in loop.late if t0 <= w <= t1]
    print("# this test's sender was over 20 ms late at (s, ms): %s" % late)
    print("# events (s): %s" % " ".join("%s@%.2f" % (k, w - t0) for w, k in events))
    timeline(stayers[0], t0, t1, events)
    worst_gap, worst_second = 0.0, 50
    for k, s in enumerate(stayers):
        gap, at = joingap.gaps(s.arrivals, t0, t1)
        counts = per_second(s.arrivals, t0, t1)
        low = min(counts)
        worst_gap, worst_second = max(worst_gap, gap), min(worst_second, low)
        near = min(events, key=lambda e: abs(e[0] - at))
        inside = sum(counts)
        times = sorted(a for a in s.arrivals if t0 <= a <= t1)
        longs = sum(1 for a, b in zip(times, times[1:]) if b - a > LONG_GAP_MS * SCALE / 1000)
        checks.check(longs <= MAX_LONG_GAPS,
                     "listener %d: %d gaps over %d ms in the window (at most %d; %d joins and "
                     "leaves)" % (k, longs, LONG_GAP_MS, MAX_LONG_GAPS, len(events)))
        checks.check(gap <= MAX_GAP_MS * SCALE and low >= MIN_PER_SECOND,
                     "listener %d: longest RTP gap %.0f ms (ending %.2f s in; nearest event %s "
                     "at %.2f s), packets per second %s"
                     % (k, gap, at - t0, near[1], near[0] - t0, counts))
        checks.check(s.loud > 0.9 * len(s.arrivals),
                     "listener %d heard the others' tone in %d of %d packets (%d in the window)"
                     % (k, s.loud, len(s.arrivals), inside))
    print("# %d listeners over %.1f s: worst gap %.0f ms, fewest packets in a second %d"
          % (len(stayers), t1 - t0, worst_gap, worst_second))


def pool_cpu_ticks(pid):
    """CPU (clock ticks) of the server's mcu-mix-pool threads so far."""
    ticks = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if f.read().strip() != "mcu-mix-pool":
                    continue
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime + stime
        except OSError:
            pass
    return ticks


def main():
    # --media KEY=VALUE: a [media] key for the server (meson runs this test
    # again with parallel-encode-ms=0: every frame's outputs are encoded
    # and sent by the pool's workers too, while callers leave under them)
    if sys.argv[1:2] == ["--media"]:
        os.environ["MCU_TEST_MEDIA"] = ";".join(
            filter(None, [os.environ.get("MCU_TEST_MEDIA"), sys.argv[2]]))
    loop = joingap.MediaLoop().start()
    pool = concurrent.futures.ThreadPoolExecutor(8)
    with mcutest.McuServer() as srv, sipua.SipUA(srv.port, "caller") as ua:
        print("# server log: %s" % srv.logpath)
        calls = list(pool.map(lambda _: dial(ua, srv, loop), range(CALLERS)))
        checks.check(all(d is not None for _, d in calls),
                     "all %d callers in room lr (%d)"
                     % (CALLERS, sum(d is not None for _, d in calls)))
        if not all(d is not None for _, d in calls):
            checks.exit()
        every = CALLERS // MOVERS
        movers = [c for i, c in enumerate(calls) if i % every == 1]
        stayers = [s for i, (s, _) in enumerate(calls) if i % every != 1]
        time.sleep(2.0)  # jitter buffers filled, talkers detected
        events = []
        t0 = time.time()
        for r in range(ROUNDS):
            churn_round(ua, srv, loop, pool, movers, events)
            time.sleep(SETTLE)
            check_movers(movers, "round %d" % (r + 1))
        t1 = time.time()
        check_stayers(stayers, t0, t1, events, loop)
        if sys.argv[1:2] == ["--media"]:
            ticks = pool_cpu_ticks(srv.proc.pid)
            checks.check(ticks > 0, "the encode pool's workers ran (%d ticks of CPU)" % ticks)
    pool.shutdown()
    loop.stop()
    checks.exit()


if __name__ == "__main__":
    main()
