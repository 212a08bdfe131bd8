# SPDX-License-Identifier: LGPL-2.1-or-later
"""mcuctl against the real daemon: its tables, --json, the commands that
change a room (mute, lock, kick, create, close), events, dial (--wait: 0
when answered, 1 with the SIP status when not), and the exit codes scripts
test: 0 done, 1 refused by the server, 2 usage, 3 unreachable."""

import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402
import sipua  # noqa: E402
from controlclient import Control  # noqa: E402

MCUCTL = os.environ.get("MCUCTL_BIN", os.path.join(os.path.dirname(mcutest.MCU_BIN), "mcuctl"))
CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
checks = mcutest.Failures()
work = tempfile.mkdtemp(prefix="mcuctl-")


def ctl(srv, *args, via="socket", token=None):
    if via == "socket":
        base = [MCUCTL, "--socket", srv.control_socket]
    else:
        base = [MCUCTL, "--url", "http://127.0.0.1:%d" % srv.control_port,
                "--token", token or srv.control_token]
    p = subprocess.run(base + list(args), capture_output=True, text=True, timeout=20)
    return p.returncode, p.stdout, p.stderr


def caller(srv, name, tone, duration, expect=None):
    report = os.path.join(work, name + ".json")
    args = [CALLER, "--uri", srv.uri("1000"), "--codec", "pcmu", "--tone", str(tone),
            "--duration", str(duration), "--report", report, "--display-name", name,
            "--timeout", str(duration + 15)]
    if expect:
        args += ["--expect-status", str(expect)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    return proc, report


def dial(srv, api):
    """mcuctl dial: --wait gives the outcome (exit 0 answered, 1 with the
    SIP status), without it the dial id at once; --display names the
    participant."""
    with sipua.SipUA(srv.port, "dave", "dave-secret") as dave:
        dave.invite_policy = ("answer", 0.5)
        checks.check(dave.register() == 200, "dave registers")
        code, out, err = ctl(srv, "dial", "hall", "dave", "--display", "Dave D.", "--wait")
        checks.check(code == 0 and "answered" in out and "Dave D." in out,
                     "dial --wait to a registered user who answers: exit 0 (%d %r %r)" % (code, out, err))
        st, body = api.get("/v1/rooms/hall/participants")
        people = (body or {}).get("participants", [])
        checks.check(st == 200 and [p["display"] for p in people] == ["Dave D."],
                     "the dialled user is in the room under --display (%s)" % people)
        for p in people:
            api.call("DELETE", "/v1/rooms/hall/participants/%d" % p["id"])
        dave.invite_policy = 486
        code, out, err = ctl(srv, "dial", "hall", "dave", "--wait")
        checks.check(code == 1 and "486" in err and "Busy Here" in err,
                     "dial --wait, the phone is busy: exit 1 with 486 (%d %r)" % (code, err))
        n_invites = len(dave.requests("INVITE"))
        code, out, err = ctl(srv, "dial", "hall", "dave")
        dial_id = out.strip().rsplit(" ", 1)[-1]
        checks.check(code == 0 and "dial id" in out and len(dial_id) >= 32,
                     "dial without --wait: exit 0 at once with the dial id (%r)" % out)
        checks.check(dave.wait_for(lambda: len(dave.requests("INVITE")) > n_invites, 5)
                     and dial_id in dave.requests("INVITE")[-1].h("call-id"),
                     "the dial id is the INVITE's Call-ID")
        checks.check(dave.register(expires=0) == 200, "dave unregisters")
    code, out, err = ctl(srv, "dial", "hall", "dave", "--wait")
    checks.check(code == 1 and "not registered" in err,
                 "dial --wait to a user without contacts: exit 1 (%d %r)" % (code, err))
    code, out, err = ctl(srv, "dial", "hall", "sip:nobody@127.0.0.1:%d" % mcutest.free_port(), "--wait")
    checks.check(code == 1 and "failed: 5" in err,
                 "dial --wait to an address where nobody listens: exit 1 with a 5xx (%d %r)" % (code, err))
    code, _, err = ctl(srv, "dial", "hall", "dave", "--frobnicate")
    checks.check(code == 2 and "Usage" in err, "dial with an unknown option: exit 2")


RULES = ("wait_for_moderator", "end_when_moderator_leaves", "mute_guests", "announce_alone",
         "announce_join_leave")


def room_settings(srv, api):
    """create/set with the room options: PINs and role rules, on and off."""
    code, out, err = ctl(srv, "create", "panel", "--pin", "1111", "--moderator-pin", "2222",
                         "--wait-for-moderator", "--mute-guests", "--max", "5")
    st, r = api.get("/v1/rooms/panel")
    checks.check(code == 0 and st == 200 and r["has_pin"] and r["has_moderator_pin"]
                 and r["wait_for_moderator"] and r["mute_guests"] and not r["announce_alone"]
                 and r["max_participants"] == 5,
                 "create panel with PINs, rules and a limit (%d %s %s)" % (code, err.strip(), r))
    code, out, err = ctl(srv, "set", "panel", "--no-wait-for-moderator", "--no-mute-guests",
                         "--end-when-moderator-leaves", "--announce-alone", "--announce-join-leave",
                         "--layout", "grid")
    st, r = api.get("/v1/rooms/panel")
    checks.check(code == 0 and "changed" in out and r["layout"] == "grid"
                 and [r[k] for k in RULES] == [False, True, False, True, True],
                 "set panel: rules off and on (%d %s %s)" % (code, err.strip(), r))
    code, _, err = ctl(srv, "set", "panel", "--moderator-pin", "3333", "--locked")
    st, r = api.get("/v1/rooms/panel")
    checks.check(code == 0 and r["locked"] and r["has_moderator_pin"], "set --moderator-pin --locked")
    code, _, err = ctl(srv, "set", "panel", "--mute-guest")
    checks.check(code == 2 and "unknown option --mute-guest" in err, "set: unknown option: exit 2")
    code, _, err = ctl(srv, "set", "panel")
    checks.check(code == 2 and "Usage" in err, "set without options: exit 2")
    code, _, err = ctl(srv, "set", "panel", "--max", "many")
    checks.check(code == 2 and "not a number" in err, "set --max many: exit 2")
    code, _, err = ctl(srv, "set", "panel", "--moderator-pin", "x" * 40)
    checks.check(code == 1 and "moderator_pin" in err, "a PIN too long: the server's error, exit 1")
    code, _, err = ctl(srv, "set", "nosuch", "--mute-guests")
    checks.check(code == 1 and "404" in err, "set on an unknown room: exit 1 (404)")
    code, _, _ = ctl(srv, "close", "panel")
    checks.check(code == 0, "close panel")


def main():
    srv = mcutest.McuServer(control_http=True, extra="[user:dave]\npassword=dave-secret\n")
    srv.start()
    api = Control(srv.control_socket)
    try:
        code, out, _ = ctl(srv, "--help")
        checks.check(code == 0 and "participants ROOM" in out and "Exit status" in out, "--help lists commands")
        for cmd in ("rooms", "mute", "kick", "lock", "dial", "events"):
            code, out, _ = ctl(srv, cmd, "--help")
            checks.check(code == 0 and out.startswith("Usage: mcuctl"), "%s --help" % cmd)
        code, _, err = ctl(srv, "frobnicate")
        checks.check(code == 2 and "unknown command" in err, "unknown command: exit 2")
        code, _, err = ctl(srv, "mute", "1000")
        checks.check(code == 2 and "Usage" in err, "missing argument: exit 2")
        code, _, err = subprocess.run([MCUCTL, "--socket", os.path.join(work, "none.sock"), "rooms"],
                                      capture_output=True, text=True).returncode, None, None
        checks.check(code == 3, "no server: exit 3")
        # no --socket: the user's own socket if there, else the installed
        # service's config ($MCU_CONFIG stands in for /etc/mcu/mcu.conf)
        empty = tempfile.mkdtemp(prefix="mcuctl-xdg-", dir=work)
        env = dict(os.environ, XDG_RUNTIME_DIR=empty, MCU_CONFIG=srv.config)
        r = subprocess.run([MCUCTL, "health"], capture_output=True, text=True, env=env, timeout=20)
        checks.check(r.returncode == 0, "no --socket: the socket of $MCU_CONFIG (%d %s)"
                     % (r.returncode, r.stderr.strip()))
        env["MCU_CONFIG"] = os.path.join(work, "no-such.conf")
        r = subprocess.run([MCUCTL, "health"], capture_output=True, text=True, env=env, timeout=20)
        checks.check(r.returncode == 3, "no --socket, no config: the user's socket, exit 3 (%d %s)"
                     % (r.returncode, r.stderr.strip()))
        os.makedirs(os.path.join(empty, "mcu"))
        os.symlink(srv.control_socket, os.path.join(empty, "mcu", "control.sock"))
        env["MCU_CONFIG"] = os.path.join(work, "no-such.conf")
        r = subprocess.run([MCUCTL, "health"], capture_output=True, text=True, env=env, timeout=20)
        checks.check(r.returncode == 0, "the user's own socket first (%d %s)"
                     % (r.returncode, r.stderr.strip()))

        code, out, _ = ctl(srv, "rooms")
        checks.check(code == 0 and out.split()[:2] == ["ROOM", "PEOPLE"], "rooms: empty table")

        a, a_rep = caller(srv, "alice", 440, 12)
        b, b_rep = caller(srv, "bob", 1000, 12)
        ok = mcutest.poll_until(lambda: len(api.get("/v1/rooms/1000/participants")[1]["participants"]) == 2
                                if api.get("/v1/rooms/1000")[0] == 200 else False, 8)
        checks.check(ok, "two callers in room 1000")

        code, out, _ = ctl(srv, "rooms")
        rows = [l.split() for l in out.splitlines()[1:]]
        checks.check(code == 0 and rows and rows[0][:2] == ["1000", "2"], "rooms table: 1000 with 2")
        code, out, _ = ctl(srv, "--json", "rooms")
        checks.check(code == 0 and json.loads(out)["rooms"][0]["name"] == "1000", "--json rooms")
        code, out, _ = ctl(srv, "participants", "1000")
        checks.check(code == 0 and "alice" in out and "bob" in out and out.startswith("ID"),
                     "participants table")
        code, out, _ = ctl(srv, "--json", "participants", "1000")
        people = {p["display"]: p for p in json.loads(out)["participants"]}
        code, out, _ = ctl(srv, "room", "1000")
        checks.check(code == 0 and any(l.split()[:2] == ["name", "1000"] for l in out.splitlines()),
                     "room 1000: key/value listing")

        code, out, _ = ctl(srv, "mute", "1000", str(people["alice"]["id"]))
        checks.check(code == 0 and "muted" in out, "mute: exit 0")
        st, p = api.get("/v1/rooms/1000/participants/%d" % people["alice"]["id"])
        checks.check(p["muted"] is True, "mute took effect")
        code, out, _ = ctl(srv, "unmute", "1000", str(people["alice"]["id"]))
        st, p = api.get("/v1/rooms/1000/participants/%d" % people["alice"]["id"])
        checks.check(code == 0 and p["muted"] is False, "unmute")

        code, _, err = ctl(srv, "room", "nosuch")
        checks.check(code == 1 and "404" in err and "no-such-room" in err, "unknown room: exit 1 with the error")
        code, _, err = ctl(srv, "mute", "1000", "999")
        checks.check(code == 1 and "no-such-participant" in err, "unknown participant: exit 1")

        # events: follow them while the room is locked and unlocked
        ev = subprocess.Popen([MCUCTL, "--socket", srv.control_socket, "--json", "events"],
                              stdout=subprocess.PIPE, text=True)
        streaming = mcutest.poll_until(lambda: api.get("/v1/info")[1]["event_streams"] == 1, 5)
        checks.check(streaming, "mcuctl events is connected")
        code, out, _ = ctl(srv, "lock", "1000")
        checks.check(code == 0 and "locked" in out, "lock: exit 0")
        c, c_rep = caller(srv, "carol", 1300, 2, expect=403)
        c.wait(15)
        with open(c_rep) as f:
            checks.check(json.load(f)["status"] == 403, "locked room refuses the next caller (403)")
        code, _, _ = ctl(srv, "unlock", "1000")
        code2, _, _ = ctl(srv, "layout", "1000", "speaker")
        checks.check(code == 0 and code2 == 0, "unlock, layout")
        code, _, err = ctl(srv, "layout", "1000", "mosaic")
        checks.check(code == 1 and "layout" in err, "bad layout: exit 1")

        bob = str(people["bob"]["id"])
        code, out, _ = ctl(srv, "volume", "1000", bob, "0.5", "--listen")
        st, p = api.get("/v1/rooms/1000/participants/" + bob)
        checks.check(code == 0 and p["listen_volume"] == 0.5 and p["volume"] == 1.0,
                     "volume --listen: bob's listen_volume 0.5 (%s)" % out.strip())
        code, _, _ = ctl(srv, "volume", "1000", bob, "2")
        st, p = api.get("/v1/rooms/1000/participants/" + bob)
        checks.check(code == 0 and p["volume"] == 2.0, "volume: bob's volume 2")
        code, _, err = ctl(srv, "volume", "1000", bob, "9", "--listen")
        checks.check(code == 1 and "listen_volume" in err, "volume 9 --listen: exit 1 with the error")
        code, _, err = ctl(srv, "volume", "1000", bob, "loud")
        checks.check(code == 2 and "not a number" in err, "volume loud: exit 2")
        code, out, _ = ctl(srv, "kick", "1000", str(people["bob"]["id"]))
        checks.check(code == 0 and "kicked" in out, "kick: exit 0")
        b.wait(10)
        with open(b_rep) as f:
            checks.check(json.load(f).get("bye_from_server") is True, "kicked caller got a BYE")

        code, _, _ = ctl(srv, "create", "board")
        code2, _, err2 = ctl(srv, "create", "board")
        checks.check(code == 0 and code2 == 1 and "409" in err2, "create; create again: exit 1 (409)")
        room_settings(srv, api)
        code, _, _ = ctl(srv, "close", "board")
        checks.check(code == 0 and api.get("/v1/rooms/board")[0] == 404, "close board")

        code, out, _ = ctl(srv, "rooms", via="tcp")
        checks.check(code == 0 and "1000" in out, "--url with --token")
        code, _, err = ctl(srv, "rooms", via="tcp", token="wrong")
        checks.check(code == 1 and "403" in err, "--url with a wrong token: exit 1 (403)")
        code, out, _ = ctl(srv, "info")
        checks.check(code == 0 and "version" in out, "info")
        dial(srv, api)

        code, _, _ = ctl(srv, "close", "1000")
        checks.check(code == 0, "close 1000")
        a.wait(10)
        mcutest.poll_until(lambda: api.get("/v1/rooms/1000")[0] == 404, 3)
        ev.terminate()
        lines = [json.loads(l) for l in ev.stdout.read().splitlines() if l.strip()]
        types = [e["type"] for e in lines]
        checks.check("locked" in types and "unlocked" in types and "layout-changed" in types
                     and "left" in types and types.index("locked") < types.index("unlocked"),
                     "events: locked, unlocked, layout-changed, left in order (%s)" % types)
    finally:
        code = srv.stop()
    checks.check(code == 0, "server exits 0")
    checks.exit()


if __name__ == "__main__":
    main()
