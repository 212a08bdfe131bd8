#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Meeting-shaped load (bench, not CI; issue 12): --participants callers
(default 1000) in one room, the first --talkers (default 10) sending an
Opus tone and the others Opus-encoded digital silence (50 packets/s each,
as a phone without DTX sends while its user listens; every caller offers the
RFC 6464 audio level and sends it, as phones do, unless --no-audio-level), all from
mcu-loadgen on this machine against a server it starts with a generated
loopback config ([limits] off for one source address, RTP port range
sized for N; this script raises RLIMIT_NOFILE for both).

Prints one table: whether the server kept real time (packets/s per
listener mean / min, worst gap at any listener, delay growth over the
window = window minus the media time received), its CPU (% of one core),
RSS per participant (total / N and growth over the idle server / N),
threads, the load generator's own CPU and late ticks (if it is busy or
late, the figures are its, not the server's), the host load average, and
the targets: threads < 2 x cores + 16, RSS <= 0.3 MB per participant,
every listener >= 48 packets/s and delay growth < 2 % of the window,
and talkers heard: 16 of the measured callers decode what they receive, and
each must have audio (over -40 dBFS) in >= 95 % of its packets. Then
the exact mcu-loadgen command. The load generator reads only --receivers
listeners' RTP (default 100, every talker among them): the rest is dropped
by the kernel unread, which halves its CPU at N=1000.

    tests/bench/meeting_bench.py [--build DIR] [--participants 1000]
        [--talkers 10] [--receivers 100] [--duration 10] [--warmup 5] [--concurrency 8]
        [--media KEY=VALUE ...] [--keep]
"""

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
HEARD_TARGET_PCT = 95
RSS_TARGET_MB = 0.3


class RssGuard(threading.Thread):
    """Kills the server mcu-loadgen started (its child) once its RSS passes
    max_mb: a server that falls behind buffers without bound (23.8 GB and
    the kernel's OOM killer on this 24 GB machine in one run)."""

    def __init__(self, loadgen_pid, max_mb):
        super().__init__(daemon=True)
        self.loadgen_pid, self.max_mb = loadgen_pid, max_mb
        self.peak_mb, self.killed, self.stop = 0.0, False, False

    def server_pid(self):
        try:
            with open("/proc/%d/task/%d/children" % ((self.loadgen_pid,) * 2)) as f:
                pids = [int(x) for x in f.read().split()]
        except OSError:
            return None
        for pid in pids:
            try:
                with open("/proc/%d/comm" % pid) as f:
                    if f.read().strip() == "mcu":
                        return pid
            except OSError:
                pass
        return None

    def run(self):
        while not self.stop:
            pid = self.server_pid()
            try:
                with open("/proc/%d/status" % pid) as f:
                    kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
            except (OSError, StopIteration, TypeError):
                kb = 0
            self.peak_mb = max(self.peak_mb, kb / 1024)
            if kb / 1024 > self.max_mb and not self.killed:
                self.killed = True
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(SRC, "build"))
    ap.add_argument("--participants", "-n", type=int, default=1000)
    ap.add_argument("--talkers", type=int, default=10)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--receivers", type=int, default=100,
                    help="listeners whose RTP the load generator reads and measures (every "
                    "talker and others spread over the room; 0 = all): reading 1000 sockets "
                    "took it a third of a core")
    ap.add_argument("--setup-timeout", type=float, default=900)
    ap.add_argument("--settle-max", type=float, default=120)
    ap.add_argument("--media", action="append", default=[])
    ap.add_argument("--media-nice", type=int, default=-10,
                    help="the load generator's RTP thread's nice value: the callers' clock "
                    "must not wait for a saturated server (at 0 it was late on most ticks)")
    ap.add_argument("--max-rss-mb", type=int, default=8000,
                    help="kill the server when its RSS passes this (a backlog)")
    ap.add_argument("--no-audio-level", action="store_true",
                    help="callers offer no RFC 6464 audio level (by default they offer it with "
                    "vad=on, as phones do, and the silent ones say -127 dBov, V=0)")
    ap.add_argument("--keep", action="store_true", help="keep the server's config and log")
    args = ap.parse_args()

    # the server (a child of mcu-loadgen) inherits this: sockets, GstPoll
    # wake-up fds and the database for 1000 callers need about 10 each
    want = max(65536, 16 * args.participants)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), max(hard, want)))
    except (ValueError, OSError):
        # no CAP_SYS_RESOURCE (a container): as far as the hard limit goes
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print("RLIMIT_NOFILE %d" % resource.getrlimit(resource.RLIMIT_NOFILE)[0], file=sys.stderr)
    build = os.path.relpath(args.build) if args.build.startswith(os.getcwd()) else args.build
    loadgen = os.path.join(build, "tests", "bench", "mcu-loadgen")
    cmd = [loadgen, "--mcu", os.path.join(build, "mcu", "mcu"),
           "--participants", str(args.participants), "--talkers", str(args.talkers),
           "--duration", str(args.duration), "--warmup", str(args.warmup),
           "--concurrency", str(args.concurrency), "--receivers", str(args.receivers),
           "--media-nice", str(args.media_nice),
           "--setup-timeout", str(args.setup_timeout),
           "--settle-max", str(args.settle_max), "--json"]
    for kv in args.media:
        cmd += ["--media", kv]
    if args.keep:
        cmd.append("--keep")
    if args.no_audio_level:
        cmd.append("--no-audio-level")
    started = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    guard = RssGuard(p.pid, args.max_rss_mb)
    guard.start()
    out, _ = p.communicate()
    guard.stop = True
    wall = time.monotonic() - started
    print("server peak RSS %.0f MB%s" % (guard.peak_mb, " (over --max-rss-mb: killed)"
                                          if guard.killed else ""), file=sys.stderr)
    if p.returncode not in (0, 3, 4) or not out.strip():
        sys.exit("mcu-loadgen failed (exit %d)%s; server peak RSS %.0f MB"
                 % (p.returncode, ": the server's RSS went over --max-rss-mb %d and it was "
                    "killed (it fell behind and buffered)" % args.max_rss_mb
                    if guard.killed else "", guard.peak_mb))
    r = json.loads(out.strip().splitlines()[-1])
    n, up = r["participants"], r["calls_up"]
    cores = os.cpu_count()
    window = r["window_s"]
    ratio = r["rx_rtp_clock_ratio"]
    growth_ms = max(0.0, (1 - ratio) * window * 1000) if ratio else float("inf")
    rss_per = r.get("server_rss_mb", 0) / max(up, 1)
    rss_growth_per = r.get("server_rss_kb_per_participant", 0) / 1024
    threads = r.get("server_threads", 0)
    thread_cap = 2 * cores + 16
    realtime = not guard.killed and r["packets_per_s_min"] >= 48 and growth_ms < 0.02 * window * 1000
    # packets are not enough: a sample of the measured callers decode what they get
    heard = r.get("receivers_decoded", 0) > 0 and r.get("audible_pct_min", 0) >= HEARD_TARGET_PCT
    print("Host: %d CPUs, load average %s before, %s at the window end; run took %.0f s"
          % (cores, r["loadavg_before"], r["loadavg_after"], wall))
    print("| N (up) | talkers | listeners measured | kept real time | packets/s per listener mean / min | worst gap ms "
          "| delay growth ms | server CPU % of one core | RSS MB (per participant) "
          "| RSS growth per participant MB | threads | load generator CPU % (late ticks) "
          "| setup ms mean / max | talkers heard: % of packets with audio, lowest of N decoded |")
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("| %d (%d) | %d | %d | %s | %.1f / %.1f | %.0f | %.0f | %.1f | %.0f (%.2f) | %.2f | %d | %.1f (%d) "
          "| %.0f / %.0f | %s%.1f (%d)%s |"
          % (n, up, r["talkers"], r["receivers_measured"], "yes" if realtime else "**no**", r["packets_per_s_mean"],
             r["packets_per_s_min"], r["worst_gap_ms"], growth_ms, r.get("server_cpu_pct", 0),
             r.get("server_rss_mb", 0), rss_per, rss_growth_per, threads,
             r["loadgen_cpu_pct"], r["loadgen_late_ticks"], r["setup_ms_mean"],
             r["setup_ms_max"], "" if heard else "**", r.get("audible_pct_min", 0),
             r.get("receivers_decoded", 0), "" if heard else "**"))
    if guard.killed:
        print("**the server was killed at --max-rss-mb %d (peak %.0f MB) before the window "
              "ended: it fell behind and buffered; its CPU, RSS and threads above are not "
              "measured**" % (args.max_rss_mb, guard.peak_mb))
    print("targets: threads < 2 x cores + 16 = %d: %s (%d); RSS <= %.1f MB per participant: %s "
          "(%.2f); real time (every listener >= 48 packets/s, delay growth < 2 %% of the "
          "window): %s; talkers heard (every decoded listener has audio in >= %d %% of its "
          "packets): %s"
          % (thread_cap, "not measured" if guard.killed else
             "met" if threads < thread_cap else "NOT met", threads, RSS_TARGET_MB,
             "not measured" if guard.killed else
             "met" if rss_per <= RSS_TARGET_MB else "NOT met", rss_per,
             "met" if realtime else "NOT met", HEARD_TARGET_PCT, "met" if heard else "NOT met"))
    if r["loadgen_cpu_pct"] > 80 or r["loadgen_late_ticks"] > 50 * window:
        print("warning: the load generator itself was busy or late: these are partly its figures")
    print("server peak RSS %.0f MB" % guard.peak_mb)
    print("callers with gaps over 60 ms: %d; seq lost %d; server RSS %+.0f MB over the window "
          "(a backlog if it fell behind); idle server %.0f MB, %d threads; settled: %s after %.0f s"
          % (r["callers_with_gaps_over_60ms"], r["seq_lost"],
             r.get("server_rss_mb", 0) - r.get("server_rss_mb_window_start", 0),
             r.get("server_idle_rss_mb", 0), r.get("server_idle_threads", 0), r["settled"],
             r["settle_s"]))
    print("command: %s" % " ".join([os.path.relpath(sys.argv[0], SRC)] + sys.argv[1:]))
    print("mcu-loadgen: %s" % r["command"])


if __name__ == "__main__":
    main()
