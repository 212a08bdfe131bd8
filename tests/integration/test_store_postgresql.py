# SPDX-License-Identifier: LGPL-2.1-or-later
"""[storage] backend=postgresql with the real daemon: two daemons on
loopback share one throw-away PostgreSQL (pgserver.py).

- A room made through the API of node A appears on node B, and is there
  again after A restarts.
- A user who REGISTERs on A is reached by a call placed on B.
- A meeting booked on A is listed on B.
- A node started while PostgreSQL is down starts, answers 503 for what
  needs the database, and opens the stored rooms once PostgreSQL is up.
- PostgreSQL stops: calls in progress keep their audio, the API answers 503
  storage-unavailable, REGISTER gets 503 with Retry-After and Warning; when
  PostgreSQL is back both work again without touching the daemons.

Skipped (77) when the PostgreSQL server binaries are not installed."""

import datetime
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402
import pgserver  # noqa: E402
import sipua  # noqa: E402
from controlclient import Control  # noqa: E402

USERS = "[user:bob]\npassword=bob-secret\n[user:carol]\npassword=carol-secret\n"


def node(pg):
    return mcutest.McuServer(
        extra="[storage]\nbackend=postgresql\ndsn=%s\n\n%s" % (pg.dsn, USERS))


def loads(srv):
    """How many times the node's store has loaded the database."""
    return srv.log_text().count("meetings loaded")


def wait_loaded(srv, more_than=0, timeout=15):
    return mcutest.poll_until(lambda: loads(srv) > more_than, timeout)


def room_names(ctl):
    s, body = ctl.call("GET", "/v1/rooms")
    return {r["name"]: r for r in body["rooms"]} if s == 200 else {}


def shared_data(checks, pg, a, b):
    ctl_a, ctl_b = Control(a.control_socket), Control(b.control_socket)
    s, body = ctl_a.call("POST", "/v1/rooms", {"name": "board", "pin": "4321"})
    checks.check(s == 201, "A: POST /v1/rooms board -> 201 (%s %s)" % (s, body))
    seen = mcutest.poll_until(lambda: "board" in room_names(ctl_b), 5)
    checks.check(seen, "the room made on A is open on B (NOTIFY)")
    checks.check(seen and room_names(ctl_b)["board"].get("persistent") is True,
                 "and persistent there")

    with sipua.SipUA(a.port, "bob", "bob-secret") as bob, \
            sipua.SipUA(b.port, "alice") as alice:
        bob.invite_policy = ("answer", 0.2)
        checks.check(bob.register() == 200, "bob REGISTERs on A")
        # B learns the binding through NOTIFY (its registrar logs it)
        got = mcutest.poll_until(
            lambda: "bindings of bob changed in the store" in b.log_text(), 5)
        checks.check(got, "B's registrar took bob's binding from the store")
        d = alice.call("sip:bob@127.0.0.1:%d" % b.port, timeout=8)
        checks.check(d is not None, "a call placed on B to bob (registered on A) is answered")
        checks.check(bob.wait_for(lambda: bob.requests("INVITE"), 5),
                     "bob's phone got the INVITE from B")
        if d:
            checks.check(alice.in_dialog(d, "BYE") == 200, "BYE -> 200")
        checks.check(bob.register(expires=0) == 200, "bob unregisters")


def meeting_ids(ctl):
    s, body = ctl.call("GET", "/v1/meetings")
    return [m["id"] for m in body["meetings"]] if s == 200 else []


def shared_meeting(checks, a, b):
    start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2)
    m = {"subject": "Shared", "room": "7100", "timezone": "UTC",
         "start": start.replace(microsecond=0).isoformat(), "duration": "PT30M"}
    s, body = Control(a.control_socket).call("POST", "/v1/meetings", m)
    checks.check(s == 201, "A: a meeting booked (%s)" % s)
    mid = body["id"] if s == 201 else None
    seen = mcutest.poll_until(lambda: mid in meeting_ids(Control(b.control_socket)), 5)
    checks.check(mid and seen, "the meeting booked on A is listed on B")


def start_without_database(checks, pg, a):
    """A starts while PostgreSQL is down, and catches up once it is up."""
    a.stop()
    pg.stop("fast")
    a.start()
    checks.check(a.alive(), "A starts while PostgreSQL is down")
    s, body = Control(a.control_socket).call("POST", "/v1/rooms", {"name": "early"})
    checks.check(s == 503, "API with no database yet: 503 (%s)" % s)
    checks.check("board" not in room_names(Control(a.control_socket)),
                 "no stored room yet")
    pg.start()
    checks.check(wait_loaded(a), "A connects and loads once PostgreSQL is up")
    rooms = mcutest.poll_until(lambda: "board" in room_names(Control(a.control_socket)), 5)
    checks.check(rooms, "the stored room opens as it arrives")


def restart_keeps_room(checks, a):
    a.stop()
    a.start()
    checks.check(wait_loaded(a), "A restarted and loaded the database")
    rooms = mcutest.poll_until(lambda: room_names(Control(a.control_socket)), 5) or {}
    checks.check("board" in rooms and rooms["board"].get("has_pin") is True,
                 "the API room (with its PIN) is open again after A's restart")


def outage(checks, pg, a):
    ctl = Control(a.control_socket)
    with sipua.SipUA(a.port, "caller1") as c1, sipua.SipUA(a.port, "caller2") as c2, \
            sipua.SipUA(a.port, "carol", "carol-secret") as carol:
        d1 = c1.call("sip:9000@127.0.0.1:%d" % a.port)
        d2 = c2.call("sip:9000@127.0.0.1:%d" % a.port)
        checks.check(d1 is not None and d2 is not None, "two callers in room 9000 on A")
        if d1 is None or d2 is None:
            return
        for d in (d1, d2):
            d["rtp"].talk(sipua.sdp_audio_peer(d["answer"]))
        checks.check(mcutest.poll_until(lambda: d1["rtp"].received > 20, 5),
                     "caller1 receives the room's audio")
        before_loads = loads(a)
        pg.stop("fast")
        lost = mcutest.poll_until(lambda: "PostgreSQL connection lost" in a.log_text(), 5)
        checks.check(lost, "A notices PostgreSQL went away")
        got1 = d1["rtp"].received
        s, body = ctl.call("POST", "/v1/rooms", {"name": "during"})
        checks.check(s == 503 and body and body["error"]["code"] == "storage-unavailable",
                     "API while PostgreSQL is down: 503 storage-unavailable (%s %s)" % (s, body))
        start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=3)
        s, body = ctl.call("POST", "/v1/meetings", {
            "subject": "Down", "room": "7200", "timezone": "UTC",
            "start": start.replace(microsecond=0).isoformat(), "duration": "PT30M"})
        checks.check(s == 503 and body and body["error"]["code"] == "storage-unavailable",
                     "a meeting booked while PostgreSQL is down: 503 storage-unavailable (%s)" % s)
        status = carol.register()
        r = carol.last
        checks.check(status == 503, "REGISTER while PostgreSQL is down: 503 (%s)" % status)
        checks.check(r is not None and r.h("retry-after") and r.h("warning"),
                     "with Retry-After and Warning (%s / %s)"
                     % (r and r.h("retry-after"), r and r.h("warning")))
        time.sleep(2)  # the outage lasts: audio must keep flowing through it
        checks.check(d1["rtp"].received - got1 >= 60,
                     "caller1 kept receiving audio during the outage (%d packets in ~2 s)"
                     % (d1["rtp"].received - got1))
        pg.start()
        checks.check(wait_loaded(a, before_loads, 15), "A reconnected and loaded again by itself")
        s, body = ctl.call("POST", "/v1/rooms", {"name": "after"})
        checks.check(s == 201, "API after PostgreSQL is back: 201 (%s %s)" % (s, body))
        checks.check(carol.register() == 200, "REGISTER after PostgreSQL is back: 200")
        checks.check(c1.in_dialog(d1, "BYE") == 200 and c2.in_dialog(d2, "BYE") == 200,
                     "both calls were still up: BYE -> 200")


def main():
    if pgserver.find_bindir() is None:
        print("SKIP: PostgreSQL server binaries (initdb, postgres) not found; "
              "install the postgresql package")
        sys.exit(77)
    checks = mcutest.Failures()
    with pgserver.PgServer() as pg:
        a, b = node(pg), node(pg)
        try:
            a.start()
            b.start()
            checks.check(wait_loaded(a) and wait_loaded(b), "both nodes loaded the database")
            shared_data(checks, pg, a, b)
            shared_meeting(checks, a, b)
            restart_keeps_room(checks, a)
            start_without_database(checks, pg, a)
            outage(checks, pg, a)
        except Exception:
            for n, srv in (("A", a), ("B", b)):
                sys.stderr.write("---- node %s log ----\n%s\n" % (n, srv.log_text()[-8000:]))
            raise
        finally:
            for srv in (a, b):
                try:
                    srv.stop()
                except AssertionError as e:
                    checks.check(False, str(e))
    checks.exit()


if __name__ == "__main__":
    main()
