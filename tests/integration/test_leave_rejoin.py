# SPDX-License-Identifier: LGPL-2.1-or-later
"""64 callers in one room, 16 leave and rejoin, the others' audio stays
real time (issue 12). Room "lr": CALLERS plain-RTP callers each send a
PCMU 400 Hz tone (joingap.Stream, all on one thread of this test); MOVERS
of them (every fourth, so they are spread over the room's join order)
leave with a BYE and dial in again (a new call from new ports), one every
STAGGER s, each back REJOIN_AFTER s after its BYE, so leaves and joins
interleave; ROUNDS times. At each of the CALLERS - MOVERS callers that
stay, over the whole churn window, on their RTP socket (kernel receive
timestamps, so this test's own lateness invents nothing):

- every whole second of the window holds at least MIN_PER_SECOND of the
  server's packets (50 = real time), and
- no gap between two packets exceeds MAX_GAP_MS,
- and they hear the others' tone.

The bounds: the mixer produces one 20 ms frame per 20 ms and waits at most
one frame for an input that has nothing (mcumixminus' retime, see
test_mix_stall.py): it aims at no gap over 60 ms. A listener that lost
more than two frames in a second and did not get them back in that second
is not real time: MIN_PER_SECOND = 48. The gap bound is wider than the
60 ms aim because this room has 64 callers (today 5 threads each) on a
shared 2-core machine: over 28 runs of today's engine at load average
10-67 (other sessions' builds and tests, also at nice -10) the worst gap
was 26-49 ms in 20 runs, 73-87 ms in 3 and 119-280 ms in 5, all at load
20 or more, which this test reports as failures: the server's main thread
stalled with the mixer (the next INVITE logged 166 ms late) while this
test's process kept time, and once (140 ms) exactly when 46 callers'
adaptive jitter buffers stepped down 60 -> 50 ms in the same main-loop
wake-up (their once-a-second timers coalesce; these callers joined in the
same second). A
join that holds the mixing thread costs every listener that hold: the
join stall this guards against was 170-180 ms (README, "Joins and
leaves"). Broken on purpose (a probe on the joiner's mixer output that
sleeps in the mixing thread once, for every join after the first 64): a
200 ms hold per rejoin fails with 1.6 s gaps and 1 packet in a second,
120 ms with 370 ms gaps, 80 ms with 88-97 ms gaps and 43-46 packets in a
second (the count catches it). With the thread-free engine, lower the gap
bound to 60. Not yet: with callers placed by arrival and their depth from
kernel stamps (mcumixminus' retime, mcu-audio-decode.c), 10 runs at load
average 3-5 had worst gaps of 32-41 ms in 9 and 64 ms in 1 (no join or leave
within 400 ms of it), and at load 10-20 42-358 ms in 10 runs; at load 1-2,
32-41 ms in 9 runs against 28-30 ms in 5 runs of the engine before that
change (not from the depths' steps: 33-40 ms with them off).
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
MAX_GAP_MS = 100
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
