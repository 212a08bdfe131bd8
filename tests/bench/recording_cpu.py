#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What a recording costs (a benchmark, not a test): the server's CPU over
a 10 s window in a room of N callers (mcu-test-caller; video callers do not
decode what they get, to spare the machine), first without a recording,
then with one, and the difference.

  MCU_BIN=build/mcu/mcu MCU_TOOLS_DIR=build/tests/tools \\
    python3 tests/bench/recording_cpu.py [--video WxH] [--room-size WxH]
        [--rec-size WxH] [--stream] N

--stream: then also an HLS stream of the room next to the recording (the
two share the H.264 encode of the view; the stream encodes AAC).
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import mcutest  # noqa: E402
from controlclient import Control  # noqa: E402
from videocheck import Caller  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def measure(pid, seconds):
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return 100.0 * (cpu_seconds(pid) - c0) / (time.monotonic() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--video", help="callers send H.264 of this size (else audio only)")
    ap.add_argument("--room-size", default="1280x720", help="[video] width x height")
    ap.add_argument("--rec-size", default="1280x720", help="[recording] width x height")
    ap.add_argument("--window", type=float, default=10.0)
    ap.add_argument("--stream", action="store_true", help="then an HLS stream too")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="mcu-rec-bench-")
    rw, rh = args.room_size.split("x")
    cw, ch = args.rec_size.split("x")
    extra = "[video]\nwidth=%s\nheight=%s\n[recording]\ndir=%s/rec\nwidth=%s\nheight=%s\n" % (
        rw, rh, work, cw, ch)
    callers = []
    with mcutest.McuServer(extra=extra) as srv:
        ctl = Control(srv.control_socket)
        for i in range(args.n):
            a = ["--codec", "opus"]
            if args.video:
                a += ["--video-colour", "%02x%02x%02x" % (40 + 20 * i, 200 - 15 * i, 90), "--video-size",
                      args.video, "--no-video-decode"]
            callers.append(Caller(work, "c%d" % i, srv.uri("bench"), a, duration=120))
        for c in callers:
            assert c.wait_answered(20) == 200, c.log_text()
        time.sleep(5)
        base = measure(srv.proc.pid, args.window)
        st, body = ctl.call("POST", "/v1/rooms/bench/recordings")
        assert st == 201, body
        time.sleep(2)
        rec = measure(srv.proc.pid, args.window)
        both = None
        if args.stream:
            st, sbody = ctl.call("POST", "/v1/rooms/bench/streams", {"hls": "bench"})
            assert st == 201, sbody
            time.sleep(2)
            both = measure(srv.proc.pid, args.window)
        ctl.call("DELETE", "/v1/rooms/bench/recordings/" + body["id"])
        for c in callers:
            c.stop()
    print("| %d %s | room %s, recording %s | %.1f | %.1f | %.1f |" % (
        args.n, ("video " + args.video) if args.video else "audio", args.room_size,
        ("%sx%s + Opus" % (cw, ch)) if args.video else "Opus", base, rec, rec - base))
    if both is not None:
        print("| and an HLS stream too | | %.1f | the stream %.1f |" % (both, both - rec))


if __name__ == "__main__":
    main()
