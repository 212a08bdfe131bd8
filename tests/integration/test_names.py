# SPDX-License-Identifier: LGPL-2.1-or-later
"""Callers without a display name are named by their URI's user part.

sipp calls room "names" with a bare `From: <sip:carol.k@...>`, and
mcu-test-caller with an empty quoted one (`From: "" <sip:dave@...>`). The
control API lists them as "carol.k" and "dave" (not "" or "?"), the
join/leave events carry those names, and the daemon's "joined room" log
lines name them so. A caller with a display name keeps it."""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402
import sipua  # noqa: E402
from controlclient import Control, EventReader  # noqa: E402

CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
checks = mcutest.Failures()
work = tempfile.mkdtemp(prefix="mcu-names-")


def test_caller(srv, user, display, duration=6):
    log = open(os.path.join(work, user + ".log"), "w")
    return subprocess.Popen(
        [CALLER, "--uri", srv.uri("names"), "--codec", "pcmu", "--tone", "500",
         "--duration", str(duration), "--from-user", user, "--display-name", display,
         "--timeout", str(duration + 15)],
        stdout=log, stderr=subprocess.STDOUT)


def displays(ctl):
    status, body = ctl.get("/v1/rooms/names/participants")
    return sorted(p["display"] for p in body["participants"]) if status == 200 else []


def main():
    with mcutest.McuServer() as srv:
        ctl = Control(srv.control_socket)
        events = EventReader(ctl)
        events.start()
        checks.check(events.connected.wait(5) and events.status == 200, "GET /v1/events")
        procs = []
        try:
            procs.append(test_caller(srv, "dave", ""))
            procs.append(test_caller(srv, "erin", "Erin E."))
            procs.append(sipua.run_sipp(srv.port, "invite_noname", "names", pause_ms=4000,
                                        wait=False))
            want = ["Erin E.", "carol.k", "dave"]
            got = mcutest.poll_until(lambda: displays(ctl) == want and displays(ctl), 10)
            checks.check(got == want, "the API lists the callers as %s (got %s)"
                         % (want, displays(ctl)))
            for name in ("carol.k", "dave"):
                checks.check(events.wait_for(
                    lambda ev: ev.get("participant", {}).get("display") == name, 5),
                    "an event names %s" % name)
        finally:
            for p in procs:
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
            events.stop()
        log = srv.log_text()
        for line in ("carol.k <sip:carol.k@", "dave <sip:dave@", "Erin E. <sip:erin@"):
            checks.check(line in log, "the log names the caller: %r ... joined room" % line)
        checks.check(" <sip:carol.k@" not in log.replace("carol.k <sip:carol.k@", ""),
                     "no log line names carol.k by an empty name")
    checks.exit()


if __name__ == "__main__":
    main()
