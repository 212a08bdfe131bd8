# SPDX-License-Identifier: LGPL-2.1-or-later
"""An INVITE flood (sipp, 300 INVITEs/s from 127.0.0.1 for 2 s, never ACKed,
no RTP) against the daemon with its default [limits], while a legitimate
caller from 127.0.0.2 joins an occupied room: the legitimate caller gets 200
within 1 s and hears the room, OPTIONS and the control socket are answered
throughout, the server's
threads stay bounded (the flood gets no media: at most max-half-open-per-
source of its calls are admitted), the flood's excess gets 503 with
Retry-After (logged with the status), and the server recovers: the flood's
half-open calls are hung up by the no-media timeout and a call from the
flood's address is answered again. See floodcheck.py."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import floodcheck  # noqa: E402
import mcutest  # noqa: E402

checks = mcutest.Failures()

# the defaults, written out so that the test says what it relies on
LIMITS = ("invite-rate=5\ninvite-burst=10\nreject-rate=10\nreject-burst=20\n"
          "max-half-open-per-source=10\nno-media-timeout=5\n")


def main():
    with mcutest.McuServer(limits=LIMITS) as srv:
        r = floodcheck.run(srv, rate=300, seconds=2, recovery_limit=30)
        for k in sorted(r):
            print("%s: %s" % (k, r[k]))
        checks.check(r["legit_status"] == 200 and r["legit_exit"] == 0,
                     "legitimate caller during the flood: 200, exit 0 (%s, %s)"
                     % (r["legit_status"], r["legit_exit"]))
        checks.check(r.get("legit_setup_s") is not None and r["legit_setup_s"] < 1.0,
                     "its INVITE got the 200 within 1 s (%s s)" % r.get("legit_setup_s"))
        try:
            rate, samples = audiocheck.read_wav(r["legit_wav"])
            audiocheck.assert_tone_present(samples, rate, floodcheck.OCCUPANT_TONE,
                                           span=(1.0, 3.5), what="legit hears the occupant")
            checks.check(True, "the legitimate caller hears the room (600 Hz)")
        except (AssertionError, OSError, ValueError) as e:
            checks.check(False, "the legitimate caller hears the room: %s" % e)
        checks.check(r["options_sent"] >= 5 and r["options_answered"] == r["options_sent"],
                     "OPTIONS (retransmitted every 500 ms) answered within 2 s throughout "
                     "the flood (%d of %d, worst %s s)"
                     % (r["options_answered"], r["options_sent"], r["options_worst_s"]))
        checks.check(r["control_answered"] == r["options_sent"] and
                     r["control_worst_s"] is not None and r["control_worst_s"] < 2.0,
                     "the control socket answered throughout the flood (%d of %d, worst %s s)"
                     % (r["control_answered"], r["options_sent"], r["control_worst_s"]))
        checks.check(r["peak_threads"] <= r["baseline_threads"] + 60,
                     "threads bounded during the flood: peak %d, baseline %d"
                     % (r["peak_threads"], r["baseline_threads"]))
        log = srv.log_text()
        checks.check("rate limit: source=127.0.0.1 method=INVITE status=503" in log,
                     "the flood's excess is logged once with the status")
        checks.check("rate limit: source=127.0.0.2" not in log,
                     "the legitimate caller was never limited")
        checks.check("no media 5 s after the answer" in log,
                     "the flood's half-open calls were hung up by the no-media timeout")
        checks.check(r["recovery_s"] is not None and r["recovery_s"] < 30,
                     "recovered: threads back to the baseline and the flood's address "
                     "answered again (%s s)" % r["recovery_s"])
        checks.check(srv.alive(), "the server is still running")
    checks.exit()


if __name__ == "__main__":
    main()
