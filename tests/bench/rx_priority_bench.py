#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Should the RTP receive thread ("mcu-rtp-io", mixer/mcu-rtp-io.c) run at
the audio threads' priority (nice -10)? A bench, not a test.

One room, three PCMU callers (a talker, two listeners), the server's default
config. After 2 s of calls the bench sets the receive thread's nice to
--nice values in turn (one server run each, alternating, --reps times) and
loads the machine one of two ways for LOAD seconds:

  flood  --flooders processes send 200-byte datagrams from 127.0.0.9 to
         every open port of the server's RTP range as fast as they can (a
         stranger's flood: read and dropped by the receive thread)
  hog    --hogs busy loops at nice 0 (a busy machine, no flood)

and reports, per run: what the listeners received (packets, longest gap),
OPTIONS round trips to the main thread during the load (p50, max: SIP and
the control socket share it), and the CPU the receive thread and the mixing
thread used (from /proc, per thread).

    tests/bench/rx_priority_bench.py [--load flood|hog] [--nice 0 -10]
        [--reps 2] [--seconds 8]

Measured on the 2-core dev machine (load average 10-20 from other work),
3 runs of each, 8 s of load (--seconds 8):
  flood, nice 0:   receive thread 1.6-2.3 s CPU, flood 119-144 kpps,
                   OPTIONS max 15-16 ms, listeners' longest gap 33-63 ms
  flood, nice -10: receive thread 3.1-4.2 s CPU, flood 66-74 kpps (it took
                   the CPU from the rest), OPTIONS max 32-182 ms, longest
                   gap 46-351 ms
  hog (4), nice 0 / -10: receive thread 0.06-0.08 s CPU either way,
                   longest gap 39-100 / 47-120 ms (noise: no difference)
So it stays at the process's nice (see mcu-thread-priority.h).

Needs root for a negative nice (CAP_SYS_NICE). Run from the source tree
after `meson compile -C build`.
"""

import argparse
import json
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
os.environ.setdefault("MCU_BIN", os.path.join(HERE, "..", "..", "build", "mcu", "mcu"))
os.environ.setdefault("MCU_TOOLS_DIR", os.path.join(HERE, "..", "..", "build", "tests", "tools"))
import floodcheck  # noqa: E402
import mcutest  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def threads(pid):
    """{name: [(tid, cpu seconds)]}"""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
        out.setdefault(name, []).append((int(tid), cpu))
    return out


def cpu_of(pid, name):
    return sum(c for _, c in threads(pid).get(name, []))


def open_ports(lo, hi):
    """The UDP ports in [lo, hi] bound on this machine (the server's RTP and
    RTCP sockets: its range is its own)."""
    ports = set()
    with open("/proc/net/udp") as f:
        for line in f.readlines()[1:]:
            port = int(line.split()[1].split(":")[1], 16)
            if lo <= port <= hi:
                ports.add(port)
    return sorted(ports)


def flooder(ports, until):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.9", 0))
    # an RTP header (version 2, PT 0) and 188 bytes of payload
    pkt = b"\x80\x00\x00\x01" + b"\x00" * 196
    n = 0
    while time.monotonic() < until:
        for p in ports:
            try:
                s.sendto(pkt, ("127.0.0.1", p))
            except OSError:
                pass  # ICMP unreachable from a closed port
            n += 1
    return n


def hog(until):
    while time.monotonic() < until:
        pass
    return 0


def one_run(nice, load, a):
    work = tempfile.mkdtemp(prefix="mcu-rxprio-")
    res = {"nice": nice, "load": load}
    with mcutest.McuServer(rtp_ports=40, env={"G_MESSAGES_DEBUG": ""}) as srv:
        pid = srv.proc.pid
        duration = a.seconds + 6
        callers = [floodcheck.start_caller(srv, work, "talker", "127.0.0.2", 600, duration),
                   floodcheck.start_caller(srv, work, "listen1", "127.0.0.3", 0, duration),
                   floodcheck.start_caller(srv, work, "listen2", "127.0.0.4", 0, duration)]
        time.sleep(2.5)  # calls set up, media flowing (a bench: not a test)
        rx = threads(pid).get("mcu-rtp-io", [])
        for tid, _ in rx:
            os.setpriority(os.PRIO_PROCESS, tid, nice)
        rx0, mix0 = cpu_of(pid, "mcu-rtp-io"), cpu_of(pid, "mixer:src")
        until = time.monotonic() + a.seconds
        pool = multiprocessing.Pool(max(a.flooders, a.hogs))
        if load == "flood":
            ports = open_ports(srv.rtp_min, srv.rtp_max)
            res["flooded_ports"] = len(ports)
            jobs = [pool.apply_async(flooder, (ports, until))
                    for _ in range(a.flooders)]
        else:
            jobs = [pool.apply_async(hog, (until,)) for _ in range(a.hogs)]
        rtts = []
        while time.monotonic() < until:
            r = floodcheck.options_rtt(srv.port, ip="127.0.0.5", timeout=2.0)
            rtts.append(r if r is not None else 2.0)
            time.sleep(0.2)
        sent = sum(j.get() for j in jobs)
        pool.close()
        pool.join()
        res["rx_cpu_s"] = cpu_of(pid, "mcu-rtp-io") - rx0
        res["mixer_cpu_s"] = cpu_of(pid, "mixer:src") - mix0
        res["flood_pps"] = sent / a.seconds
        res["options_p50_ms"] = statistics.median(rtts) * 1000
        res["options_max_ms"] = max(rtts) * 1000
        for c in callers:
            c["proc"].wait(timeout=duration + 30)
        for c in callers[1:]:
            rep = floodcheck.read_report(c)
            res[c["name"]] = (rep.get("rtp_packets_received"), rep.get("rtp_max_gap_ms"))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--load", choices=("flood", "hog"), default="flood")
    ap.add_argument("--nice", type=int, nargs="+", default=[0, -10])
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--flooders", type=int, default=2)
    ap.add_argument("--hogs", type=int, default=4)
    a = ap.parse_args()
    with open("/proc/loadavg") as f:
        print("load average before: %s" % f.read().split()[:3])
    rows = []
    for rep in range(a.reps):
        order = a.nice if rep % 2 == 0 else list(reversed(a.nice))
        for nice in order:
            r = one_run(nice, a.load, a)
            rows.append(r)
            print(json.dumps(r), flush=True)
    print("\nload=%s, %g s each; listeners: (packets received, longest gap ms)"
          % (a.load, a.seconds))
    print("%5s %10s %9s %9s %12s %12s %16s %16s"
          % ("nice", "flood pps", "rx cpu s", "mix cpu s", "OPTIONS p50", "OPTIONS max",
             "listen1", "listen2"))
    for r in rows:
        print("%5d %10.0f %9.2f %9.2f %10.1fms %10.1fms %16s %16s"
              % (r["nice"], r["flood_pps"], r["rx_cpu_s"], r["mixer_cpu_s"], r["options_p50_ms"],
                 r["options_max_ms"], r["listen1"], r["listen2"]))


if __name__ == "__main__":
    main()
