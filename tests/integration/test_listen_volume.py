# SPDX-License-Identifier: LGPL-2.1-or-later
"""Listen volume on the real daemon, with PCMU callers that press keys as
RFC 4733 events and record what they hear (ivrpeer.py):

- amy (talking, so she hears her own mix-minus) and dan (silent: he hears
  the shared full mix) press 1 twice: each then hears the room 6 dB
  quieter (two levels of 3 dB: RMS of the recording after / before about
  0.5), while ben and cat, who pressed nothing, hear the room as before;
- the API shows listen_volume (0.5) and the event stream says
  listen-volume; 3 raises it one level;
- PATCH listen_volume (and mcuctl volume --listen) sets it directly, 1.0
  brings back the full level; out-of-range values get 400."""

import math
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

import mcutest  # noqa: E402
from controlclient import Control, EventReader  # noqa: E402
from test_ivr import Caller, participant, wait_participant  # noqa: E402

MCUCTL = os.environ.get("MCUCTL_BIN", "mcuctl")
ROOMS = "[room:lv]\n"
WINDOW = 1.5  # seconds of recording compared
checks = mcutest.Failures()


def rms(samples):
    return math.sqrt(float(np.mean(np.square(samples)))) if len(samples) else 0.0


def window(c, end):
    return rms(c.peer.heard(end - WINDOW, end))


def levels(callers):
    """Each caller's RMS over the last WINDOW seconds, once that window
    is all after now (the caller marks before the change)."""
    time.sleep(WINDOW + 0.3)
    end = time.monotonic() - 0.1
    return {c.user: window(c, end) for c in callers}


def ratio_ok(r, want, tol_db=1.0):
    return r > 0 and abs(20 * math.log10(r / want)) <= tol_db


def test_keys(srv, ctl, events, people):
    amy, ben, cat, dan = people
    before = levels(people)
    for c in people:
        checks.check(before[c.user] > 0.05, "%s hears the room (RMS %.3f)" % (c.user, before[c.user]))
    amy.peer.press("11")
    dan.peer.press("11")
    for who in ("amy", "dan"):
        p = wait_participant(ctl, "lv", who, lambda p: abs(p["listen_volume"] - 0.501) < 0.01)
        checks.check(p is not None, "the API shows %s's listen_volume 0.501 after 1, 1 (%s)"
                     % (who, p and p["listen_volume"]))
    after = levels(people)
    for c in people:
        r = after[c.user] / before[c.user] if before[c.user] else 0
        want = 0.501 if c.user in ("amy", "dan") else 1.0
        checks.check(ratio_ok(r, want), "%s hears the room at %.3f of before (want %.3f)"
                     % (c.user, r, want))
    # one event per key: 0.708 (-3 dB), then 0.501 (-6 dB)
    events.wait_for(lambda e: e["type"] == "listen-volume"
                    and abs(e.get("listen_volume", 0) - 0.501) < 0.01, 3)
    amy_levels = [round(e.get("listen_volume", 0), 3) for e in list(events.events)
                  if e["type"] == "listen-volume"
                  and e.get("participant", {}).get("uri", "").startswith("sip:amy@")]
    checks.check(amy_levels == [0.708, 0.501], "events listen-volume for amy: %s" % amy_levels)
    p = participant(ctl, "lv", "ben")
    checks.check(p is not None and p["listen_volume"] == 1.0, "ben's listen_volume is still 1.0")

    amy.peer.press("3")
    p = wait_participant(ctl, "lv", "amy", lambda p: abs(p["listen_volume"] - 0.708) < 0.01)
    checks.check(p is not None, "3: amy's listen volume one level up (0.708)")
    return before


def test_api(srv, ctl, people, before):
    amy, ben, cat, dan = people
    p = participant(ctl, "lv", "amy")
    path = "/v1/rooms/lv/participants/%d" % p["id"]
    for bad in (4.5, -1, "loud"):
        st, body = ctl.call("PATCH", path, {"listen_volume": bad})
        checks.check(st == 400, "listen_volume %r: 400 (%s %s)" % (bad, st, body))
    r = subprocess.run([MCUCTL, "--socket", srv.control_socket, "volume", "lv", str(p["id"]),
                        "1", "--listen"], capture_output=True, text=True, timeout=20)
    checks.check(r.returncode == 0, "mcuctl volume lv ID 1 --listen (%s)" % r.stderr.strip())
    d = participant(ctl, "lv", "dan")
    st, body = ctl.call("PATCH", "/v1/rooms/lv/participants/%d" % d["id"], {"listen_volume": 1.0})
    checks.check(st == 200 and body["listen_volume"] == 1.0, "PATCH dan listen_volume 1.0")
    after = levels(people)
    for c in people:
        r = after[c.user] / before[c.user] if before[c.user] else 0
        checks.check(ratio_ok(r, 1.0), "back at 1.0: %s hears the room at %.3f of before"
                     % (c.user, r))


def main():
    srv = mcutest.McuServer(extra=ROOMS)
    srv.start()
    ctl = Control(srv.control_socket)
    events = EventReader(ctl)
    events.start()
    events.connected.wait(5)
    people = [Caller(srv, "amy", tone=700), Caller(srv, "ben", tone=1000),
              Caller(srv, "cat", tone=1300), Caller(srv, "dan")]
    try:
        for c in people:
            checks.check(c.dial(srv, "lv"), "%s joins lv" % c.user)
        mcutest.poll_until(lambda: len([p for p in (participant(ctl, "lv", c.user) for c in people)
                                        if p]) == 4, 8)
        time.sleep(1.0)
        before = test_keys(srv, ctl, events, people)
        test_api(srv, ctl, people, before)
    finally:
        for c in people:
            c.close()
        events.stop()
        code = srv.stop()
    checks.check(code == 0, "server exits 0")
    checks.exit()


if __name__ == "__main__":
    main()
