#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stop-right-after-join stress (not a test): RUNS times, a fresh daemon, a
lone caller joins a new room (its pipeline starts), then at once SIGTERM
(--mode term) or BYE and, after all the calls, SIGTERM (--mode leave).
Counts the runs whose log has a CRITICAL or an unexplained GLib/GStreamer
warning (the integration harness's check) and prints the first lines.

  tests/bench/stop-after-join.py [--runs 100] [--mode term|leave]

The deterministic regression test of the race it used to hit ("Got data
flow before segment event" on mixer:src_0, about 4 runs in 100 before
90256fa) is tests/unit/test-mixminus.c /mixminus/stop-during-first-frame.
Run from the source tree after `meson compile -C build`.
"""

import argparse
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
os.environ.setdefault("MCU_BIN", os.path.join(HERE, "..", "..", "build", "mcu", "mcu"))
import mcutest  # noqa: E402
import sipua  # noqa: E402


def stop(srv, problems):
    try:
        srv.stop()
    except AssertionError as e:
        problems.append(str(e))
        return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--mode", choices=("term", "leave"), default="term")
    a = ap.parse_args()
    problems = []
    bad = 0
    if a.mode == "leave":
        srv = mcutest.McuServer(env={"G_MESSAGES_DEBUG": ""}).start()
        with sipua.SipUA(srv.port, "alice") as ua:
            for i in range(a.runs):
                d = ua.call("sip:r%d@127.0.0.1:%d" % (i, srv.port), rtp_port=42000 + 2 * (i % 500))
                if d is not None:
                    ua.in_dialog(d, "BYE")
        bad += not stop(srv, problems)
    else:
        for _ in range(a.runs):
            srv = mcutest.McuServer(env={"G_MESSAGES_DEBUG": ""}).start()
            with sipua.SipUA(srv.port, "alice") as ua:
                ua.call("sip:r@127.0.0.1:%d" % srv.port)
                bad += not stop(srv, problems)
            shutil.rmtree(srv.dir, ignore_errors=True)
    for p in problems[:5]:
        print(p[:1000])
    print("%s: %d of %d daemon logs with problems"
          % (a.mode, bad, a.runs if a.mode == "term" else 1))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
