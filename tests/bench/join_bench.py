#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Joins and leaves bench (not CI): 10 callers talk (PCMU tones) in one
room while --joiners callers (PCMU silence, or --mode none: no RTP) join at
--rate calls/s, stay --hold s after the last join, then leave at --rate/s.
Prints the worst RTP arrival gap at each talker (kernel receive timestamps
at the talker's socket) over the whole run, the join/leave rates reached and
the server's CPU, and the command.

    tests/bench/join_bench.py [--build DIR] [--joiners 200] [--rate 50]
        [--hold 2] [--mode silence|none] [--mcu PATH]
"""

import argparse
import concurrent.futures
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(SRC, "build"))
    ap.add_argument("--mcu", default=None)
    ap.add_argument("--joiners", type=int, default=200)
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--hold", type=float, default=2.0)
    ap.add_argument("--talkers", type=int, default=10)
    ap.add_argument("--mode", default="silence", choices=("silence", "none"))
    ap.add_argument("--quiet-before-bye", type=float, default=0.0,
                    help="a leaver stops its RTP this long before its BYE (a phone hanging up)")
    args = ap.parse_args()
    os.environ["MCU_BIN"] = args.mcu or os.path.join(args.build, "mcu", "mcu")
    os.environ.setdefault("MCU_TOOLS_DIR", os.path.join(args.build, "tests", "tools"))
    os.environ["G_MESSAGES_DEBUG"] = ""
    import joingap
    import mcutest
    import sipua

    loop = joingap.MediaLoop().start()
    # two RTP ports a caller, for every talker and joiner at once
    ports = 2 * (args.joiners + args.talkers) + 40
    with mcutest.McuServer(rtp_timeout=60, rtp_ports=ports) as srv, sipua.SipUA(srv.port, "talker") as tua, \
            sipua.SipUA(srv.port, "joiner") as jua:
        print("server log: %s" % srv.logpath, file=sys.stderr)
        talkers = []
        for _ in range(args.talkers):
            s = joingap.Stream(loop, "talk")
            if joingap.call(tua, srv.uri("jb"), s) is None:
                sys.exit("a talker could not join")
            talkers.append(s)
        time.sleep(2.0)
        clk = os.sysconf("SC_CLK_TCK")
        ticks0, wall0 = cpu_ticks(srv.proc.pid), time.monotonic()
        own0 = sum(os.times()[:2])
        t0 = time.time()
        pool = concurrent.futures.ThreadPoolExecutor(16)
        joins = []
        start = time.monotonic()
        for i in range(args.joiners):
            time.sleep(max(0.0, start + i / args.rate - time.monotonic()))
            s = joingap.Stream(loop, args.mode)
            joins.append((s, pool.submit(joingap.call, jua, srv.uri("jb"), s, 10.0)))
        dialogs = [(s, f.result()) for s, f in joins]
        join_secs = time.monotonic() - start
        ok = [(s, d) for s, d in dialogs if d is not None]
        time.sleep(args.hold)
        leaves = []
        start = time.monotonic()
        def leave(s, d):
            if args.quiet_before_bye:
                s.mode = "none"
                time.sleep(args.quiet_before_bye)
            return jua.in_dialog(d, "BYE")

        for i, (s, d) in enumerate(ok):
            time.sleep(max(0.0, start + i / args.rate - time.monotonic()))
            leaves.append((s, pool.submit(leave, s, d)))
        byes = [f.result() for _, f in leaves]
        leave_secs = time.monotonic() - start
        for s, _ in dialogs:
            s.close()
        time.sleep(0.5)
        t1 = time.time()
        cpu = 100.0 * (cpu_ticks(srv.proc.pid) - ticks0) / clk / (time.monotonic() - wall0)
        own = 100.0 * (sum(os.times()[:2]) - own0) / (time.monotonic() - wall0)
        worst = [joingap.gaps(s.arrivals, t0, t1) for s in talkers]
        times = sorted(a for a in talkers[0].arrivals if t0 <= a <= t1)
        long_gaps = [(round((a - t0), 2), round((b - a) * 1000)) for a, b in zip(times, times[1:])
                     if b - a > 0.06]
        pool.shutdown()
    loop.stop()
    print("Host: %d CPUs, load average %s" % (os.cpu_count(), open("/proc/loadavg").read().split()[:3]))
    print("%d joiners (%s) at %.0f/s: %d in (%.1f s for the joins, %.0f/s), %d BYE 200 "
          "(%.1f s, %.0f/s); %d talkers; server CPU %.0f%% of one core over the run, "
          "load generator %.0f%%"
          % (args.joiners, args.mode, args.rate, len(ok), join_secs, len(ok) / join_secs,
             byes.count(200), leave_secs, len(ok) / max(leave_secs, 1e-3), args.talkers, cpu, own))
    print("| talker | worst RTP gap ms | at s | packets/s |")
    print("|---:|---:|---:|---:|")
    for k, (s, (w, at)) in enumerate(zip(talkers, worst)):
        n = len([a for a in s.arrivals if t0 <= a <= t1])
        print("| %d | %.0f | %.2f | %.1f |" % (k, w, at - t0, n / (t1 - t0)))
    print("talker 0: gaps over 60 ms (start s, ms): %s" % long_gaps)
    print("load generator send ticks over 20 ms late (s, ms): %s"
          % [(round(w - t0, 2), round(ms)) for w, ms in loop.late if t0 <= w <= t1])
    print("worst gap over all talkers: %.0f ms" % max(w for w, _ in worst))
    print("command: %s" % " ".join([os.path.relpath(sys.argv[0], SRC)] + sys.argv[1:]))


if __name__ == "__main__":
    main()
