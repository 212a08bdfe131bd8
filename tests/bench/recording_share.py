#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What one recording of a 9-participant 360p grid room costs, with and
without a shared encoder (a benchmark, not a test).

The room composes 640x360 at 30 fps; its callers get that grid as H.264
640x360 (one encoder group: everyone sees the same view), and the
recording is 640x360 too: with [recording] reuse-encoder=true it takes
that group's output (no encode more), with false it encodes the view once
more. Each configuration runs on a fresh server: the server's CPU (% of
one core, /proc/PID/stat) in windows without and with the recording,
alternating --rounds times; the cost is the median of (with - without).

The load generator must not limit the measurement: the callers' H.264 is
encoded ONCE (tests/bench/video_replay.py's record: one mcu-test-caller
sends a --clip seconds stamped clip, key frame every second) and replayed
by all callers from one Python thread, looped; the report gives that
thread's CPU and the machine's idle time in the measured windows, so a
saturated machine shows.

    MCU_BIN=build/mcu/mcu MCU_TOOLS_DIR=build/tests/tools \\
      python3 tests/bench/recording_share.py [--n 9] [--rounds 3]
          [--window 8] [--clip 12]
"""

import argparse
import os
import random
import statistics
import struct
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import mcutest  # noqa: E402
import sipua  # noqa: E402
import video_replay as vr  # noqa: E402
from controlclient import Control  # noqa: E402

SIZE = "640x360"


class LoopReplayer(vr.Replayer):
    """video_replay's Replayer, the clip played again and again (RTP
    timestamps and sequence numbers go on; each pass starts on an IDR)."""

    def _run(self):
        n = len(self.clip)
        ts0 = struct.unpack("!I", self.clip[0][1][4:8])[0]
        span = self.clip[-1][0] + 1.0 / 30
        k = 0
        while self.running:
            i, loop = k % n, k // n
            off, p = self.clip[i]
            due = self.start_mono + loop * span + off
            for key, _ in self.sel.select(max(0.0, due - time.monotonic())):
                while True:
                    try:
                        key.fileobj.recv(2048)
                    except (BlockingIOError, OSError):
                        break
            if time.monotonic() < due:
                continue
            rtp_ts = ((struct.unpack("!I", p[4:8])[0] - ts0) & 0xFFFFFFFF) + int(loop * span * 90000)
            for s in self.senders:
                hdr = struct.pack("!BBHII", p[0], p[1], (s["seq"] + k) & 0xFFFF,
                                  (s["ts"] + rtp_ts) & 0xFFFFFFFF, s["ssrc"])
                try:
                    s["sock"].sendto(hdr + p[12:], s["peer"])
                except OSError:
                    pass
            k += 1


def machine_idle():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[3] + v[4], sum(v)


def window(pid, seconds):
    """(server % of a core, load generator %, machine idle % of all cores)."""
    c0, g0, (i0, t0), w0 = vr.cpu(pid), vr.cpu(os.getpid()), machine_idle(), time.monotonic()
    time.sleep(seconds)
    c1, g1, (i1, t1), w1 = vr.cpu(pid), vr.cpu(os.getpid()), machine_idle(), time.monotonic()
    span = w1 - w0
    return 100 * (c1 - c0) / span, 100 * (g1 - g0) / span, 100.0 * (i1 - i0) / max(t1 - t0, 1)


def run(work, clip, n, reuse, rounds, secs):
    # the replayed callers send no audio: never hung up for it
    config = ("[media]\nrtp-timeout=0\n[video]\nwidth=640\nheight=360\nframerate=30\n"
              "[recording]\ndir=%s/rec-%s\nwidth=640\nheight=360\nannounce=false\nreuse-encoder=%s\n"
              % (work, reuse, "true" if reuse else "false"))
    srv = mcutest.McuServer(extra=config, env={"G_MESSAGES_DEBUG": ""}).start()
    rows = {"base": [], "rec": [], "gen": [], "idle": [], "encoder": set()}
    try:
        ctl = Control(srv.control_socket)
        rp = LoopReplayer(clip)
        ua = sipua.SipUA(srv.port, "replay")
        dialogs = []
        for i in range(n):
            vrtp, vrtcp = vr.bind_pair()
            artp, artcp = vr.bind_pair()
            d, peer = vr.invite(ua, srv.uri("bench"), vr.sdp(artp.getsockname()[1],
                                                            vrtp.getsockname()[1], 600))
            if d is None or peer is None:
                sys.exit("replay caller %d did not join" % i)
            dialogs.append((d, artp, artcp))
            rp.add(vrtp, vrtcp, peer)
        rp.start()
        time.sleep(5.0)
        for _ in range(rounds):
            b, g1, i1 = window(srv.proc.pid, secs)
            st, body = ctl.call("POST", "/v1/rooms/bench/recordings")
            if st != 201:
                sys.exit("recording: %s %s" % (st, body))
            time.sleep(2.0)
            r, g2, i2 = window(srv.proc.pid, secs)
            rec = (ctl.get("/v1/rooms/bench")[1] or {}).get("recording") or {}
            rows["encoder"].add(rec.get("video_encoder"))
            ctl.call("DELETE", "/v1/rooms/bench/recordings/" + body["id"])
            mcutest.poll_until(lambda: not (ctl.get("/v1/rooms/bench")[1] or {}).get("recording"), 10)
            time.sleep(2.0)
            rows["base"].append(b)
            rows["rec"].append(r)
            rows["gen"] += [g1, g2]
            rows["idle"] += [i1, i2]
        for d, a, b in dialogs:
            ua.in_dialog(d, "BYE")
            a.close()
            b.close()
        rp.running = False
        ua.close()
    finally:
        srv.stop(check_log=False)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=9)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--window", type=float, default=8.0)
    ap.add_argument("--clip", type=float, default=12.0)
    args = ap.parse_args()
    random.seed()
    work = tempfile.mkdtemp(prefix="mcu-rec-share-")
    clip, _ = vr.record(work, SIZE, args.clip, 600)
    out = {}
    for reuse in (True, False):
        out[reuse] = run(work, clip, args.n, reuse, args.rounds, args.window)
    print("Command: MCU_BIN=build/mcu/mcu MCU_TOOLS_DIR=build/tests/tools python3 "
          "tests/bench/recording_share.py --n %d --rounds %d --window %g --clip %g"
          % (args.n, args.rounds, args.window, args.clip))
    print("Host: %d CPUs, load average %s" % (os.cpu_count(),
                                             " ".join(open("/proc/loadavg").read().split()[:3])))
    print("| %d callers, H.264 %s, grid 640x360 | recording's video | server without | with | "
          "the recording costs (median) | load generator | machine idle |" % (args.n, SIZE))
    print("|---|---|---|---|---|---|---|")
    for reuse in (True, False):
        r = out[reuse]
        diffs = [b - a for a, b in zip(r["base"], r["rec"])]
        print("| reuse-encoder=%s | %s | %s | %s | **%.1f %%** (%s) | %.1f %% | %.0f %% |" % (
            "true" if reuse else "false", "/".join(sorted(str(e) for e in r["encoder"])),
            " ".join("%.1f" % x for x in r["base"]), " ".join("%.1f" % x for x in r["rec"]),
            statistics.median(diffs), " ".join("%+.1f" % d for d in diffs),
            max(r["gen"]), min(r["idle"])))


if __name__ == "__main__":
    main()
