#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""INVITE flood benchmark (not a test): sipp floods RATE unACKed INVITEs/s
(no RTP) from 127.0.0.1 for SECONDS while an occupant (127.0.0.3) talks in
room 1000 and a legitimate caller (127.0.0.2) joins 0.5 s into the flood.
Prints the server's threads and RSS (baseline, peak during the flood,
after), the legitimate caller's INVITE->200 time and what it heard, OPTIONS
round trips during the flood, and the recovery time (threads back to the
baseline and a call from the flood's address answered again).

  tests/bench/flood-bench.py [--rate 300] [--seconds 10] [--no-limits]

--no-limits runs the same flood with every [limits] key off (the server as
it was before them). Run from the source tree after `meson compile -C build`.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
os.environ.setdefault("MCU_BIN", os.path.join(HERE, "..", "..", "build", "mcu", "mcu"))
os.environ.setdefault("MCU_TOOLS_DIR", os.path.join(HERE, "..", "..", "build", "tests", "tools"))
import audiocheck  # noqa: E402
import floodcheck  # noqa: E402
import mcutest  # noqa: E402

NO_LIMITS = ("invite-rate=0\nregister-rate=0\nmessage-rate=0\nsubscribe-rate=0\n"
             "max-calls=0\nmax-half-open=0\nmax-half-open-per-source=0\nno-media-timeout=0\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rate", type=int, default=300)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--no-limits", action="store_true")
    a = ap.parse_args()
    limits = NO_LIMITS if a.no_limits else ""  # "": the defaults
    with mcutest.McuServer(limits=limits, env={"G_MESSAGES_DEBUG": ""}) as srv:
        r = floodcheck.run(srv, rate=a.rate, seconds=a.seconds, recovery_limit=120)
        heard = None
        try:
            rate, samples = audiocheck.read_wav(r["legit_wav"])
            heard = audiocheck.tone_presence(samples, rate, floodcheck.OCCUPANT_TONE,
                                             span=(1.0, 3.5))
        except (OSError, ValueError):
            pass
        print("flood: %d INVITE/s for %.0f s from 127.0.0.1 (%s)"
              % (a.rate, a.seconds, "no limits" if a.no_limits else "default [limits]"))
        print("server threads: baseline %d, peak %d during the flood, %d after"
              % (r["baseline_threads"], r["peak_threads"], r["after_threads"]))
        print("server RSS MiB: baseline %.1f, peak %.1f, after %.1f"
              % (r["baseline_rss_kib"] / 1024, r["peak_rss_kib"] / 1024,
                 r["after_rss_kib"] / 1024))
        print("legitimate caller (127.0.0.2): status %s, INVITE->200 %s s, RTP received %s, "
              "hears the room in %s of 100 ms windows"
              % (r["legit_status"],
                 "%.3f" % r["legit_setup_s"] if r.get("legit_setup_s") is not None else "-",
                 r["legit_rtp_received"],
                 "%.0f%%" % (100 * heard) if heard is not None else "none"))
        print("OPTIONS during the flood: %d of %d answered, worst %s s"
              % (r["options_answered"], r["options_sent"],
                 "%.3f" % r["options_worst_s"] if r["options_worst_s"] is not None else "-"))
        print("control socket during the flood: %d answered, worst %s s"
              % (r["control_answered"],
                 "%.3f" % r["control_worst_s"] if r["control_worst_s"] is not None else "-"))
        print("recovery after the flood: %s"
              % ("%.1f s" % r["recovery_s"] if r["recovery_s"] is not None else "not within 120 s"))


if __name__ == "__main__":
    main()
