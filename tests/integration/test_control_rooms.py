# SPDX-License-Identifier: LGPL-2.1-or-later
"""Rooms through restarts, preconfigured rooms in the API, start-up errors.

- Rooms made with POST /v1/rooms (PIN, lock, layout, max_participants)
  and changed with PATCH survive `kill -9` and SIGTERM: after the restart
  they are listed with the same settings, a caller with a wrong PIN gets 403
  and one with it 200 (auto-create is on: a lost room would admit anyone);
  a deleted room stays deleted.
- A [room:NAME] room is listed and shown (open: false, no participants)
  before its first caller; PATCH opens it; DELETE of one not open is 409.
- [storage] database=/proc/nope/x.db: exit 1, the path in stderr, no
  assertion (it aborted in nua_destroy); a control socket that cannot be
  made: exit 1 too."""

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402
from controlclient import Control  # noqa: E402

CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
checks = mcutest.Failures()
work = tempfile.mkdtemp(prefix="mcu-control-rooms-")


def call_status(srv, room, name):
    """Places a short call into @room; the final status it got."""
    report = os.path.join(work, name + ".json")
    subprocess.run([CALLER, "--uri", srv.uri(room), "--codec", "pcmu", "--tone", "440",
                    "--duration", "1", "--report", report, "--display-name", name,
                    "--timeout", "15"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    try:
        with open(report) as f:
            return json.load(f).get("status")
    except (OSError, ValueError):
        return None


def rooms_by_name(ctl):
    s, body = ctl.get("/v1/rooms")
    return {r["name"]: r for r in body["rooms"]} if s == 200 else {}


def restart(srv, sig):
    srv.stop(sig=sig, check_log=(sig == 15))
    srv.start()
    return Control(srv.control_socket)


def test_persistence(srv):
    ctl = Control(srv.control_socket)
    s, body = ctl.call("POST", "/v1/rooms", {"name": "board", "pin": "4321", "locked": False,
                                             "layout": "speaker", "max_participants": 7})
    checks.check(s == 201, "POST board with a PIN: 201 (%s)" % body)
    s, body = ctl.call("POST", "/v1/rooms", {"name": "vault", "locked": True})
    checks.check(s == 201, "POST vault locked: 201")
    s, body = ctl.call("POST", "/v1/rooms", {"name": "scratch"})
    checks.check(s == 201, "POST scratch: 201")
    s, body = ctl.call("PATCH", "/v1/rooms/board", {"max_participants": 9})
    checks.check(s == 200 and body["max_participants"] == 9, "PATCH board max 9: 200")
    s, _ = ctl.call("DELETE", "/v1/rooms/scratch")
    checks.check(s == 204, "DELETE scratch: 204")
    before = rooms_by_name(ctl)

    for sig, what in ((9, "kill -9"), (15, "SIGTERM")):
        ctl = restart(srv, sig)
        after = rooms_by_name(ctl)
        board = after.get("board", {})
        checks.check(board.get("has_pin") and board.get("layout") == "speaker"
                     and board.get("max_participants") == 9 and board.get("persistent")
                     and board.get("created_at") == before["board"]["created_at"],
                     "after %s board is back with its settings (%s)" % (what, board))
        checks.check(after.get("vault", {}).get("locked") is True,
                     "after %s vault is still locked" % what)
        checks.check("scratch" not in after, "after %s the deleted room stays deleted" % what)
        checks.check(call_status(srv, "board*0000", "nopin-%d" % sig) == 403,
                     "after %s a caller with a wrong PIN gets 403" % what)
        checks.check(call_status(srv, "board*4321", "pin-%d" % sig) == 200,
                     "after %s a caller with the PIN gets 200" % what)
        checks.check(call_status(srv, "vault", "locked-%d" % sig) == 403,
                     "after %s the locked room refuses callers" % what)
    # changes after a restart are kept too
    s, _ = ctl.call("PATCH", "/v1/rooms/vault", {"locked": False, "pin": None})
    s2, _ = ctl.call("DELETE", "/v1/rooms/board")
    checks.check(s == 200 and s2 == 204, "PATCH vault, DELETE board")
    ctl = restart(srv, 9)
    after = rooms_by_name(ctl)
    checks.check("board" not in after and after.get("vault", {}).get("locked") is False,
                 "the changes after a restart survive the next one (%s)" % sorted(after))


def test_preconfigured(srv):
    ctl = Control(srv.control_socket)
    s, body = ctl.get("/v1/rooms/lobby")
    checks.check(s == 200 and body["open"] is False and body["participants"] == 0
                 and body["preconfigured"] and body["has_pin"] is False
                 and body["max_participants"] == 3 and body["layout"] == "grid",
                 "GET a [room:lobby] nobody joined: 200, not open (%s)" % body)
    s, body = ctl.get("/v1/rooms/lobby/participants")
    checks.check(s == 200 and body["participants"] == [], "its participants: none")
    names = [(r["name"], r["open"]) for r in ctl.get("/v1/rooms")[1]["rooms"]]
    checks.check(("lobby", False) in names and ("secret", False) in names
                 and names == sorted(names), "GET /v1/rooms lists the configured rooms (%s)" % names)
    s, body = ctl.get("/v1/rooms/secret")
    checks.check(s == 200 and body["has_pin"] is True, "secret shows has_pin")
    s, body = ctl.call("DELETE", "/v1/rooms/lobby")
    checks.check(s == 409 and body["error"]["code"] == "not-open",
                 "DELETE a configured room not open: 409 (%s)" % body)
    s, body = ctl.call("PATCH", "/v1/rooms/lobby", {"locked": True})
    checks.check(s == 200 and body["open"] is True and body["locked"] is True,
                 "PATCH opens it and locks it (%s)" % body)
    checks.check(call_status(srv, "lobby", "lobby-locked") == 403, "locked lobby: 403")
    s, body = ctl.call("PATCH", "/v1/rooms/lobby", {"locked": False})
    checks.check(call_status(srv, "lobby", "lobby-open") == 200, "unlocked lobby: 200")
    s, body = ctl.get("/v1/rooms/nowhere")
    checks.check(s == 404, "an unknown room is still 404")


def test_startup_errors():
    for what, extra, needle in (
            ("database", "[storage]\ndatabase=/proc/nope/x.db\n", "/proc/nope/x.db"),
            ("control socket", "[control]\nsocket=/proc/nope/c.sock\n", "/proc/nope")):
        srv = mcutest.McuServer(extra=extra)
        proc = subprocess.run([mcutest.MCU_BIN, "--config", srv.config], env=srv.env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        out = proc.stdout.decode("utf-8", "replace")
        last = out.strip().splitlines()[-1] if out.strip() else ""
        checks.check(proc.returncode == 1 and needle in last and "Assertion" not in out,
                     "%s that cannot be made: exit 1 naming %s (%d: %s)"
                     % (what, needle, proc.returncode, last))


def main():
    test_startup_errors()
    srv = mcutest.McuServer(extra="[room:lobby]\nmax-participants=3\nlayout=grid\n"
                                  "[room:secret]\npin=999\n")
    srv.start()
    try:
        test_preconfigured(srv)
        test_persistence(srv)
    finally:
        code = srv.stop()
    checks.check(code == 0, "server exits 0")
    checks.exit()


if __name__ == "__main__":
    main()
