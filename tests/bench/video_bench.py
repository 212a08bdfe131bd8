# SPDX-License-Identifier: LGPL-2.1-or-later
"""Video grid benchmark (issue 3): N mcu-test-callers send solid colours with
a millisecond time stamp drawn into every frame (640x360 or 1280x720, 30 fps)
into one room of the real daemon on loopback, for each N and with encoder
sharing on (every caller offers the same b=AS: one encoder group) and off
(each caller offers its own b=AS, so the server needs one encode each).

Measured over a window after a warm-up:
- server CPU (% of one core, /proc/PID/stat) and RSS growth per participant
  (RSS after the joins minus RSS before, over N);
- frames out per second per participant: H.264 access units each caller
  receives in the window (all callers but the probe only count, no decode);
- glass-to-glass latency: one probe caller decodes the grid and reads the
  stamps of every tile; the same reading on a direct caller-to-caller call
  (no server) is the baseline, the difference is what the server adds;
- load generator CPU (all caller processes), since all of it shares the
  machine with the server.
Prints a Markdown table and the command line. A benchmark, not a test."""

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import mcutest  # noqa: E402
import videocheck as vc  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid):
    """utime + stime of a process in seconds (None if gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except OSError:
        return None


def proc_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def colour(i):
    """Distinct saturated colours."""
    palette = ["c83232", "32c832", "3232c8", "c8c832", "c832c8", "32c8c8", "e68a1e", "e61e8a",
               "8ae61e", "1e8ae6", "8a1ee6", "1ee68a", "964b00", "00964b", "4b0096", "969600"]
    return palette[i % len(palette)]


def partial_reports(callers):
    """SIGUSR1 to every caller (each rewrites its report); returns the
    reports and the time the signals went out."""
    at = time.monotonic()
    for c in callers:
        c.capture()
    time.sleep(0.5)
    return {c.name: (c.report() or {}) for c in callers}, at


def frames_received(rep):
    return ((rep or {}).get("video") or {}).get("frames_received", 0)


def direct_baseline(work, size, seconds):
    """Median stamp latency of a direct call (no server), in ms."""
    port = mcutest.free_port()
    ans = vc.Caller(work, "direct-ans", "sip:127.0.0.1:%d" % port,
                    ["--answer", "--codec", "opus", "--video-colour", "32c832", "--video-size", size,
                     "--video-stamp"], duration=0)
    time.sleep(0.4)
    cal = vc.Caller(work, "direct-cal", "sip:bench@127.0.0.1:%d" % port,
                    ["--codec", "opus", "--video-colour", "c83232", "--video-size", size,
                     "--stamp-grid", "1x1"], duration=seconds)
    mcutest.poll_until(lambda: cal.proc.poll() is not None, seconds + 20)
    cal.stop()
    ans.stop()
    tiles = (((cal.report() or {}).get("video") or {}).get("stamps") or {}).get("tiles") or [{}]
    return tiles[0].get("latency_ms_median")


@contextlib.contextmanager
def server(tag, config):
    """The daemon for one run; a warning in its log is reported with the
    results (and its log kept), not a reason to lose the run."""
    srv = mcutest.McuServer(extra=config, env={"G_MESSAGES_DEBUG": ""})
    srv.start()
    try:
        yield srv
    finally:
        try:
            srv.stop()
        except AssertionError as e:
            print("%s: %s\n(log: %s)" % (tag, e, srv.logpath), file=sys.stderr)


def run_one(args, work, n, size, sharing):
    grid = vc.server_grid(n)
    tag = "%s-n%d-%s" % (size, n, "shared" if sharing else "unshared")
    wdir = os.path.join(work, tag)
    os.makedirs(wdir)
    callers = []
    width, height = (int(x) for x in size.split("x"))
    # the server composes and encodes at the size under test (its default
    # is 1280x720, which the callers' level 3.1 offers would accept)
    config = "[video]\nwidth=%d\nheight=%d\nframerate=30\n" % (width, height)
    with server(tag, config) as srv:
        time.sleep(0.5)
        rss0 = proc_rss_kb(srv.proc.pid)
        for i in range(n):
            probe = i == n - 1  # the probe joins last: every tile is up
            bitrate = args.bitrate if sharing else args.bitrate - 5 * n + 5 * i
            extra = ["--stamp-grid", grid] if probe else ["--no-video-decode"]
            c = vc.Caller(wdir, "probe" if probe else "c%02d" % i, srv.uri("1000"),
                          ["--codec", "opus", "--video-colour", colour(i), "--video-size", size,
                           "--video-stamp", "--video-bitrate", str(bitrate), "--grid", grid] + extra,
                          duration=600)
            callers.append(c)
            if c.wait_answered(15) != 200:
                print("%s: %s did not join" % (tag, c.name), file=sys.stderr)
        time.sleep(args.warmup)
        cpu0, t0 = proc_cpu(srv.proc.pid), time.monotonic()
        gen0 = sum(proc_cpu(c.proc.pid) or 0 for c in callers)
        start, f0 = partial_reports(callers)
        time.sleep(args.duration)
        cpu1, t1 = proc_cpu(srv.proc.pid), time.monotonic()
        gen1 = sum(proc_cpu(c.proc.pid) or 0 for c in callers)
        end, f1 = partial_reports(callers)
        rss1 = proc_rss_kb(srv.proc.pid)
        for c in callers:
            c.stop()
    span = t1 - t0
    fps = [(frames_received(end[c.name]) - frames_received(start[c.name])) / (f1 - f0) for c in callers]
    probe = callers[-1].report() or {}
    tiles = (((probe.get("video") or {}).get("stamps") or {}).get("tiles")) or []
    lat = sorted(t["latency_ms_median"] for t in tiles if t.get("latency_ms_median") is not None)
    p95 = sorted(t["latency_ms_p95"] for t in tiles if t.get("latency_ms_p95") is not None)
    return {
        "size": size, "n": n, "sharing": sharing,
        "cpu": 100.0 * (cpu1 - cpu0) / span,
        "gen_cpu": 100.0 * (gen1 - gen0) / span,
        "fps_mean": sum(fps) / len(fps), "fps_min": min(fps),
        "latency_median": lat[len(lat) // 2] if lat else None,
        "latency_p95": p95[-1] if p95 else None,
        "stamped_tiles": len(lat), "rss_per_participant_kb": (rss1 - rss0) / n,
    }


def fmt(v, spec="%.1f"):
    return "-" if v is None else spec % v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="4,9,16", help="room sizes at 640x360 (4,9,16)")
    ap.add_argument("--hd", default="9", help="room sizes at 1280x720 ('' for none)")
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--bitrate", type=int, default=600, help="b=AS with sharing on (kbit/s)")
    ap.add_argument("--no-unshared", action="store_true", help="skip the sharing-off runs")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="mcu-video-bench-")
    plan = [("640x360", int(n)) for n in args.sizes.split(",") if n] + \
           [("1280x720", int(n)) for n in args.hd.split(",") if n]
    baseline = {size: direct_baseline(work, size, 6) for size in sorted({s for s, _ in plan})}
    rows = []
    for size, n in plan:
        for sharing in ([True] if args.no_unshared else [True, False]):
            r = run_one(args, work, n, size, sharing)
            rows.append(r)
            print("done %s n=%d sharing=%s: cpu %.1f%%, %.1f fps" % (size, n, sharing, r["cpu"], r["fps_mean"]),
                  file=sys.stderr)
    print("| size | N | encoder sharing | server CPU (% of a core) | frames out/s per participant "
          "(mean / min) | added latency ms (median / worst tile p95) | RSS per participant | "
          "load generator CPU |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        base = baseline.get(r["size"]) or 0
        added = None if r["latency_median"] is None else r["latency_median"] - base
        added95 = None if r["latency_p95"] is None else r["latency_p95"] - base
        print("| %s | %d | %s | %s | %s / %s | %s / %s (%d tiles) | %s KiB | %s%% |" % (
            r["size"], r["n"], "on" if r["sharing"] else "off", fmt(r["cpu"]), fmt(r["fps_mean"]),
            fmt(r["fps_min"]), fmt(added, "%.0f"), fmt(added95, "%.0f"), r["stamped_tiles"],
            fmt(r["rss_per_participant_kb"], "%.0f"), fmt(r["gen_cpu"], "%.0f")))
    print("\nDirect caller-to-caller stamp latency (subtracted above): %s ms" %
          ", ".join("%s %s" % (k, fmt(v, "%.0f")) for k, v in baseline.items()))
    print("Sharing off: each caller offers its own b=AS (%d - 5*i kbit/s), which the server keys its "
          "encoder groups on." % args.bitrate)
    print("Command: %s %s" % (os.path.relpath(sys.argv[0]), " ".join(sys.argv[1:])))
    print(json.dumps(rows), file=open(os.path.join(work, "results.json"), "w"))
    print("Reports and logs: %s" % work)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    main()
