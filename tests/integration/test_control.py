# SPDX-License-Identifier: LGPL-2.1-or-later
"""The control socket against the real daemon with real calls in a room.

Three callers join room 1000 (440, 1000 and 1300 Hz). Through the Unix
socket the test lists rooms and participants, mutes the 440 Hz caller (its
tone must disappear from the others' audio from then on), kicks the 1300 Hz
caller (it must get a BYE), locks the room (the next INVITE gets 403),
creates a persistent room with a PIN, reads /metrics as Prometheus text,
follows /v1/events (join/leave in order), and finally deletes room 1000
(the last caller gets a BYE). Error paths: bad JSON, unknown room, unknown
field, wrong method, wrong content type, oversized body, and on TCP a
missing or wrong bearer token."""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import mcutest  # noqa: E402
from controlclient import Control, EventReader  # noqa: E402

CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
checks = mcutest.Failures()
work = tempfile.mkdtemp(prefix="mcu-control-")


def caller(srv, name, tone, duration, room="1000", expect=None):
    wav = os.path.join(work, name + ".wav")
    report = os.path.join(work, name + ".json")
    args = [CALLER, "--uri", srv.uri(room), "--codec", "pcmu", "--tone", str(tone),
            "--duration", str(duration), "--record", wav, "--report", report,
            "--display-name", name, "--timeout", str(duration + 15)]
    if expect:
        args += ["--expect-status", str(expect)]
    log = open(os.path.join(work, name + ".log"), "w")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    return {"name": name, "proc": proc, "wav": wav, "report": report, "tone": tone}


def report(c):
    with open(c["report"]) as f:
        return json.load(f)


def participants(ctl, room="1000"):
    status, body = ctl.get("/v1/rooms/%s/participants" % room)
    return body["participants"] if status == 200 else []


def by_name(ctl, name):
    for p in participants(ctl):
        if p["display"] == name:
            return p
    return None


PROM_LINE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"'
                       r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? -?[0-9.e+]+$')


def parse_metrics(text):
    """{name{labels}: value}; raises on a line that is not Prometheus text."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        if not PROM_LINE.match(line):
            raise AssertionError("not Prometheus text: %r" % line)
        k, v = line.rsplit(" ", 1)
        out[k] = float(v)
    return out


def rtp_counters(ctl):
    """The mcu_rtp_packets_*_total counters from /metrics."""
    _, _, data = ctl.raw("GET", "/metrics")
    m = parse_metrics(data.decode())
    return {k: m.get(k, 0) for k in ("mcu_rtp_packets_received_total",
                                      "mcu_rtp_packets_sent_total",
                                      "mcu_rtp_packets_lost_total")}


def error_code(body):
    return body and body.get("error", {}).get("code")


def register(srv, user, contact_port):
    """A plain REGISTER (no auth) over UDP; returns the status code."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(5)
    port = s.getsockname()[1]
    msg = ("REGISTER sip:{host}:{sport} SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-{tag}\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:{user}@{host}>;tag={tag}\r\n"
           "To: <sip:{user}@{host}>\r\nCall-ID: reg-{tag}@127.0.0.1\r\nCSeq: 1 REGISTER\r\n"
           "Contact: <sip:{user}@127.0.0.1:{cport}>\r\nExpires: 600\r\n"
           "User-Agent: test-control\r\nContent-Length: 0\r\n\r\n").format(
               host=srv.listen, sport=srv.port, port=port, tag=os.getpid(), user=user,
               cport=contact_port)
    s.sendto(msg.encode(), (srv.listen, srv.port))
    try:
        while True:
            data = s.recv(65535).decode("utf-8", "replace")
            code = int(data.split(" ", 2)[1])
            if code >= 200:
                return code
    finally:
        s.close()


def test_dial_out(srv, ctl, events):
    """GET /v1/registrations and POST .../participants: a registered user
    is dialled into room 2000 and joins it when it answers."""
    port = mcutest.free_port()
    report = os.path.join(work, "alice-answer.json")
    log = os.path.join(work, "alice-answer.log")
    answerer = subprocess.Popen(
        [CALLER, "--answer", "--uri", "sip:alice@127.0.0.1:%d" % port, "--codec", "pcmu",
         "--tone", "700", "--duration", "0", "--report", report, "--timeout", "30"],
        stdout=open(log, "w"), stderr=subprocess.STDOUT)
    try:
        listening = mcutest.poll_until(lambda: "listening on" in open(log).read(), 5)
        checks.check(listening, "alice's phone is listening")
        checks.check(register(srv, "alice", port) == 200, "REGISTER alice: 200")
        s, body = ctl.get("/v1/registrations")
        regs = body["registrations"] if s == 200 else []
        checks.check(len(regs) == 1 and regs[0]["user"] == "alice"
                     and regs[0]["contact"].endswith(":%d" % port) and 0 < regs[0]["expires"] <= 600
                     and regs[0]["user_agent"] == "test-control",
                     "GET /v1/registrations lists alice's contact (%s)" % regs)
        s, body = ctl.call("POST", "/v1/rooms/2000/participants", {"uri": "alice", "display": "Alice"})
        checks.check(s == 202 and body.get("dial_id"), "POST participants (dial alice): 202 (%s)" % body)
        ev = events.wait_for(lambda e: e["type"] == "dial-answered" and e.get("room") == "2000", 10)
        checks.check(ev is not None and ev.get("dial_id") == body.get("dial_id"),
                     "dial-answered event with the dial id")
        joined = mcutest.poll_until(lambda: [p["display"] for p in participants(ctl, "2000")] == ["Alice"], 5)
        checks.check(joined, "the dialled user is a participant of room 2000")
        s, body = ctl.call("POST", "/v1/rooms/2000/participants", {"uri": "nobody-here"})
        checks.check(s in (400, 404, 409) and body and "error" in body,
                     "dialling an unknown user is refused (%d %s)" % (s, error_code(body)))
        s, body = ctl.call("POST", "/v1/rooms/2000/participants", {"display": "x"})
        checks.check(s == 400, "dial without uri: 400")
        ctl.call("DELETE", "/v1/rooms/2000")
        answerer.wait(10)
        with open(report) as f:
            checks.check(json.load(f).get("bye_from_server") is True, "closing room 2000 hung up the dialled call")
    finally:
        if answerer.poll() is None:
            answerer.kill()


def test_errors(srv, ctl):
    s, b = ctl.get("/v1/rooms/nosuch")
    checks.check(s == 404 and error_code(b) == "no-such-room", "unknown room: 404 no-such-room")
    s, _, data = ctl.raw("PATCH", "/v1/rooms/1000", b'{"locked": tru',
                         {"Content-Type": "application/json"})
    b = json.loads(data)
    checks.check(s == 400 and error_code(b) == "bad-json" and re.search(r"\d+:\d+", b["error"]["message"]),
                 "bad JSON: 400 bad-json with the position (%s)" % b["error"]["message"])
    s, b = ctl.call("PATCH", "/v1/rooms/1000", {"lockd": True})
    checks.check(s == 400 and "lockd" in b["error"]["message"], "unknown field: 400 naming it")
    s, b = ctl.call("PATCH", "/v1/rooms/1000", {"layout": "mosaic"})
    checks.check(s == 400 and "layout" in b["error"]["message"], "bad enum value: 400")
    s, h, data = ctl.raw("PUT", "/v1/rooms/1000")
    checks.check(s == 405 and "PATCH" in h.get("allow", "") and "GET" in h.get("allow", ""),
                 "PUT on a room: 405 with Allow (%s)" % h.get("allow"))
    s, _, _ = ctl.raw("PATCH", "/v1/rooms/1000", b"locked=true", {"Content-Type": "text/plain"})
    checks.check(s == 415, "text/plain body: 415")
    s, _, _ = ctl.raw("POST", "/v1/rooms", b'{"name": "' + b"x" * 70000 + b'"}',
                      {"Content-Type": "application/json"})
    checks.check(s == 413, "70 kB body: 413")
    s, b = ctl.get("/v1/nothing")
    checks.check(s == 404 and error_code(b) == "not-found", "unknown path: 404")
    # TCP: the bearer token
    tcp = Control(tcp=("127.0.0.1", srv.control_port), token=None)
    s, h, _ = tcp.raw("GET", "/v1/health")
    checks.check(s == 401 and "bearer" in h.get("www-authenticate", "").lower(),
                 "TCP without a token: 401 with WWW-Authenticate")
    s, _, _ = Control(tcp=("127.0.0.1", srv.control_port), token="wrong").raw("GET", "/v1/health")
    checks.check(s == 403, "TCP with a wrong token: 403")
    s, b = Control(tcp=("127.0.0.1", srv.control_port), token=srv.control_token).get("/v1/health")
    checks.check(s == 200 and b == {"status": "ok"}, "TCP with the token: 200")


def main():
    srv = mcutest.McuServer(control_http=True, extra="[auth]\nregister=false\n")
    srv.start()
    ctl = Control(srv.control_socket)
    mode = os.stat(srv.control_socket).st_mode & 0o777
    checks.check(mode == 0o660, "control socket mode 0660 (%o)" % mode)
    events = EventReader(ctl)
    events.start()
    events.connected.wait(5)
    checks.check(events.status == 200 and events.headers.get("content-type", "").startswith(
        "text/event-stream"), "GET /v1/events streams text/event-stream")
    try:
        s, b = ctl.get("/v1/health")
        checks.check(s == 200 and b["status"] == "ok", "health")
        s, b = ctl.get("/v1/info")
        checks.check(s == 200 and b["version"] and b["rooms"] == 0, "info: version, no rooms yet")

        a = caller(srv, "alice", 440, 14)
        b_ = caller(srv, "bob", 1000, 14)
        c = caller(srv, "carol", 1300, 14)
        t_start = time.time()
        ok = mcutest.poll_until(lambda: len(participants(ctl)) == 3, 8)
        checks.check(ok, "three participants listed")
        s, body = ctl.get("/v1/rooms")
        checks.check(s == 200 and [r["name"] for r in body["rooms"]] == ["1000"]
                     and body["rooms"][0]["participants"] == 3, "rooms: 1000 with 3")
        alice = by_name(ctl, "alice")
        checks.check(alice and alice["codecs"]["audio"] == "PCMU" and alice["uri"].startswith("sip:")
                     and not alice["muted"] and alice["id"] > 0, "participant fields (%s)" % alice)
        mcutest.poll_until(lambda: by_name(ctl, "alice")["stats"]["packets_received"] > 50, 5)
        st = by_name(ctl, "alice")["stats"]
        checks.check(st["packets_received"] > 50 and st["packets_sent"] > 0,
                     "packet stats move (%s)" % st)
        talking = mcutest.poll_until(lambda: by_name(ctl, "alice")["talking"], 5)
        checks.check(talking, "a caller sending a tone is talking")

        # mute alice at ~5 s
        time.sleep(max(0, 5 - (time.time() - t_start)))
        s, body = ctl.call("PATCH", "/v1/rooms/1000/participants/%d" % alice["id"], {"muted": True})
        t_mute = time.time()
        checks.check(s == 200 and body["muted"], "PATCH muted: 200, muted")

        # kick carol; the RTP counters must not go down when she leaves
        counters_before = rtp_counters(ctl)
        carol = by_name(ctl, "carol")
        s, _ = ctl.call("DELETE", "/v1/rooms/1000/participants/%d" % carol["id"])
        checks.check(s == 204, "DELETE participant: 204")
        c["proc"].wait(10)
        checks.check(report(c).get("bye_from_server") is True, "kicked caller got a BYE")
        gone = mcutest.poll_until(lambda: by_name(ctl, "carol") is None, 3)
        checks.check(gone, "kicked caller is no longer listed")
        counters_after = rtp_counters(ctl)
        checks.check(all(counters_after[k] >= counters_before[k] for k in counters_before),
                     "RTP counters monotonic across a leave (%s -> %s)" % (counters_before, counters_after))

        # lock: the next INVITE gets 403
        s, body = ctl.call("PATCH", "/v1/rooms/1000", {"locked": True})
        checks.check(s == 200 and body["locked"], "PATCH locked: 200")
        d = caller(srv, "dave", 1900, 2, expect=403)
        d["proc"].wait(15)
        checks.check(d["proc"].returncode == 0 and report(d)["status"] == 403,
                     "INVITE into the locked room: 403 (%s)" % report(d).get("status"))
        ctl.call("PATCH", "/v1/rooms/1000", {"locked": False})

        # a persistent room with a PIN
        s, body = ctl.call("POST", "/v1/rooms", {"name": "board", "pin": "4321", "max_participants": 5})
        checks.check(s == 201 and body["has_pin"] and body["persistent"], "POST room: 201")
        s, body = ctl.call("POST", "/v1/rooms", {"name": "board"})
        checks.check(s == 409 and error_code(body) == "room-exists", "POST same room: 409")
        s, body = ctl.call("POST", "/v1/rooms", {"max_participants": 5})
        checks.check(s == 400 and "name" in body["error"]["message"], "POST without name: 400")
        # (without any PIN the caller would be asked for it by voice)
        e = caller(srv, "erin", 500, 2, room="board*0000", expect=403)
        f = caller(srv, "frank", 600, 2, room="board*4321")
        e["proc"].wait(15)
        f["proc"].wait(15)
        checks.check(report(e)["status"] == 403, "board with a wrong PIN: 403")
        checks.check(report(f)["status"] == 200, "board*4321: 200")
        s, body = ctl.get("/v1/rooms/board")
        checks.check(s == 200 and body["participants"] == 0, "persistent room stays open empty")

        test_errors(srv, ctl)
        test_dial_out(srv, ctl, events)

        s, _, data = ctl.raw("GET", "/metrics")
        try:
            m = parse_metrics(data.decode())
            checks.check(True, "metrics parse as Prometheus text")
            checks.check(m.get('mcu_room_participants{room="1000"}') == 2, "metrics: 2 in room 1000")
            checks.check(m.get('mcu_calls_failed_total{status="403"}', 0) >= 2,
                         "metrics: failed calls by status")
            checks.check(m.get("mcu_rtp_packets_received_total", 0) > 100, "metrics: RTP packets")
        except AssertionError as ex:
            checks.check(False, str(ex))

        # delete room 1000: bob and alice get BYE
        s, _ = ctl.call("DELETE", "/v1/rooms/1000")
        checks.check(s == 204, "DELETE room: 204")
        for x in (a, b_):
            x["proc"].wait(10)
            checks.check(report(x).get("bye_from_server") is True, "%s got a BYE" % x["name"])
        closed = mcutest.poll_until(lambda: ctl.get("/v1/rooms/1000")[0] == 404, 3)
        checks.check(closed, "deleted room is gone")

        # audio: bob heard alice until the mute, and not after
        rep = report(b_)
        rate, samples = audiocheck.read_wav(b_["wav"])
        mute_at = t_mute - rep["media_start_unix"]
        end = min(len(samples) / rate, t_mute - t_start + 6) - 0.3
        try:
            audiocheck.assert_tone_present(samples, rate, 440, span=(1.0, mute_at - 0.8),
                                           what="bob hears alice before the mute")
            # after the mute (and carol's kick) bob hears nobody: the
            # absolute floor applies, not a margin below another tone
            audiocheck.assert_tone_absent(samples, rate, 440, span=(mute_at + 0.6, end),
                                          what="bob hears alice after the mute")
            checks.check(True, "muted caller's tone gone from bob's audio after %.1f s" % mute_at)
        except AssertionError as ex:
            checks.check(False, str(ex))

        # events in order
        def types_for(name):
            return [ev["type"] for ev in events.events
                    if ev.get("participant", {}).get("display") == name]
        carol_ev = types_for("carol")
        checks.check(carol_ev and carol_ev[0] == "joined" and carol_ev[-1] == "left",
                     "carol's events: joined ... left (%s)" % carol_ev)
        checks.check("muted" in types_for("alice"), "alice muted event")
        room_ev = [ev["type"] for ev in events.events if ev.get("room") == "1000" and "participant" not in ev]
        checks.check(room_ev[:1] == ["room-created"] and "locked" in room_ev and "unlocked" in room_ev
                     and room_ev[-1] == "room-closed", "room events (%s)" % room_ev)
        ids = [ev["id"] for ev in events.events]
        checks.check(ids == list(range(ids[0], ids[0] + len(ids))), "event ids grow by one")
        checks.check(not events.errors, "SSE frames well formed (%s)" % events.errors[:2])
        # reconnect with Last-Event-ID: the missed events are replayed
        replay = EventReader(ctl, last_event_id=ids[-5])
        replay.start()
        got = mcutest.poll_until(lambda: len(replay.events) >= 4, 3)
        checks.check(got and [e["id"] for e in replay.events[:4]] == ids[-4:],
                     "Last-Event-ID replays the missed events")
        replay.stop()
    finally:
        events.stop()
        code = srv.stop()
    checks.check(code == 0, "server exits 0")
    checks.check(not os.path.exists(srv.control_socket), "socket file removed at exit")
    checks.exit()


if __name__ == "__main__":
    main()
