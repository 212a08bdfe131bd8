#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Scheduled meetings (issue 10) with the real daemon and real phones.

Meeting 1, room 4242, starting 8 s after it is booked, 40 s long, open 3 s
early, warnings 20 s and 10 s before the end, 2 s of grace, busy retried 3
times 3 s apart; three attendees, each an mcu-test-caller answering with
its own tone: alice (a registered user, 440 Hz), bob (a plain SIP URI,
700 Hz) and carol (a SIP URI whose phone answers 486 twice, then 1000 Hz).
Checked: a call before the window gets 480 with Retry-After and a Warning
naming the start; inside the window the room wants its PIN; all three ring
at the start, carol is retried and joins; everyone hears the other two;
the events (opened, started, dialing, failed 486, answered, ending,
extended, closed) and /metrics; an extension into the next booking of the
room is refused 409 naming it, then granted; at the end everyone gets BYE.

Meeting 2, room 4343: dave (a scripted UA) answers 486; the server is
killed with SIGKILL while he waits for his retry and restarted: the room is
open again at once and dave is dialled again (From names the subject) and
joins. Then an .ics import of a weekly meeting gives the same occurrences
as the same meeting booked as JSON."""

import datetime
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import controlclient  # noqa: E402
import mcutest  # noqa: E402
import sipua  # noqa: E402

CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
USERS = "[user:alice]\npassword=alice-secret\n"


def utc(seconds_from_now):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)
    return t.replace(microsecond=0)


def event_time(ev):
    return datetime.datetime.fromisoformat(ev["time"].replace("Z", "+00:00")).timestamp()


class Phone:
    """An mcu-test-caller in answer mode on a fixed port."""

    def __init__(self, srv, name, port, tone, codec, answer_status=None):
        self.name = name
        self.uri = "sip:%s@127.0.0.1:%d" % (name, port)
        self.wav = os.path.join(srv.dir, "%s.wav" % name)
        self.report = os.path.join(srv.dir, "%s.json" % name)
        args = [CALLER, "--answer", "--uri", self.uri, "--codec", codec, "--tone", str(tone),
                "--display-name", name, "--timeout", "150"]
        if answer_status:
            args += ["--answer-status", str(answer_status)]
        else:
            args += ["--record", self.wav, "--report", self.report]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.out = ""
        self.ended_at = None
        self.port = port

    def wait(self, timeout):
        try:
            self.out = self.proc.communicate(timeout=timeout)[0]
        except subprocess.TimeoutExpired:
            self.kill()
        self.ended_at = self.ended_at or time.time()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.out = self.proc.communicate()[0]

    def media_start(self):
        with open(self.report) as f:
            return json.load(f)["media_start_unix"]


def busy_twice_then_answer(srv, port, tone, log):
    """carol's phone: 486, 486, then a real answer (the final Phone)."""
    final = {}

    def run():
        for _ in range(2):
            p = Phone(srv, "carol", port, tone, "pcma", answer_status=486)
            p.wait(60)
            log.append(("486", time.time(), p.proc.returncode))
        final["phone"] = Phone(srv, "carol", port, tone, "pcma")
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, final


def types(reader, kind, room=None):
    return [e for e in list(reader.events)
            if e["type"] == kind and (room is None or e.get("room") == room)]


def before_window(checks, srv, start):
    """A caller before the early-join window: 480, Retry-After, Warning."""
    with sipua.SipUA(srv.port, "early") as ua:
        r = ua.request("INVITE", srv.uri("4242"), "<%s>" % srv.uri("4242"),
                       body=sipua.SDP_TEMPLATE % (41000, "sendrecv"), ctype="application/sdp")
        retry = int(r.h("retry-after", "0") or 0) if r else 0
        opens_in = start - 3 - time.time()
        checks.check(r is not None and r.status == 480, "a call before the window gets 480 (%s)" % r)
        checks.check(r is not None and abs(retry - opens_in) <= 2,
                     "Retry-After %d s is when the room opens (in %.1f s)" % (retry, opens_in))
        local = datetime.datetime.fromtimestamp(start, datetime.timezone.utc).astimezone(
            datetime.timezone(datetime.timedelta(hours=1)))
        checks.check(r is not None and "Weekly sync" in r.h("warning") and
                     local.strftime("%H:%M:%S") in r.h("warning"),
                     "the Warning names the meeting and its start (%s)" % (r.h("warning") if r else None))


def inside_window(checks, srv):
    """Open, not started: the room wants the meeting's PIN."""
    with sipua.SipUA(srv.port, "pinner") as ua:
        r = ua.request("INVITE", srv.uri("4242*0000"), "<%s>" % srv.uri("4242*0000"),
                       body=sipua.SDP_TEMPLATE % (41002, "sendrecv"), ctype="application/sdp")
        checks.check(r is not None and r.status == 403, "inside the window with a wrong PIN: 403 (%s)" % r)
        d = ua.call(srv.uri("4242*1234"), rtp_port=41004)
        checks.check(d is not None, "with the meeting's PIN: admitted")
        if d:
            ua.in_dialog(d, "BYE")


def meeting_one(checks, srv, ctl, reader):
    aport, bport, cport = mcutest.free_port(), mcutest.free_port(), mcutest.free_port()
    alice = Phone(srv, "alice", aport, 440, "pcmu")
    bob = Phone(srv, "bob", bport, 700, "pcmu")
    carol_log = []
    carol_thread, carol = busy_twice_then_answer(srv, cport, 1000, carol_log)
    for port, who in ((aport, "alice"), (bport, "bob"), (cport, "carol")):
        checks.check(mcutest.wait_udp_bound(port), "%s's phone is up" % who)
    reg = sipua.SipUA(srv.port, "alice", "alice-secret")
    checks.check(reg.register(contact=alice.uri) == 200, "alice registered at %s" % alice.uri)

    start_dt = utc(8)
    start = start_dt.timestamp()
    meeting = {
        "subject": "Weekly sync", "room": "4242", "timezone": "Europe/Berlin",
        "start": start_dt.astimezone(datetime.timezone(datetime.timedelta(hours=1))).isoformat(),
        "duration": "PT40S", "early_join": "PT3S", "grace": "PT2S", "warnings": ["PT20S", "PT10S"],
        "dial_retries": 3, "dial_retry_interval": "PT3S", "pin": "1234", "moderator_pin": "9999",
        "attendees": [
            {"uri": "alice", "display": "Alice", "role": "moderator", "auto_dial": True},
            {"uri": bob.uri, "display": "Bob", "auto_dial": True},
            {"uri": "sip:carol@127.0.0.1:%d" % cport, "display": "Carol", "auto_dial": True},
        ],
    }
    st, body = ctl.call("POST", "/v1/meetings", meeting)
    checks.check(st == 201, "meeting 1 booked (%d %s)" % (st, body if st != 201 else ""))
    mid = body["id"]
    st, clash = ctl.call("POST", "/v1/meetings", dict(meeting, subject="Double booking"))
    checks.check(st == 409 and mid in clash["error"]["message"],
                 "an overlapping booking of room 4242: 409 naming meeting 1 (%s)" % clash)
    # the next booking of the room, right after meeting 1's grace
    after = dict(meeting, subject="Next", attendees=[], early_join="PT1S", duration="PT10S",
                 start=(start_dt + datetime.timedelta(seconds=46)).isoformat())
    st, nxt = ctl.call("POST", "/v1/meetings", after)
    checks.check(st == 201, "the next booking of the room, 46 s later (%d)" % st)

    before_window(checks, srv, start)
    opened = reader.wait_for(lambda e: e["type"] == "meeting-opened" and e.get("room") == "4242", 12)
    checks.check(opened and abs(event_time(opened) - (start - 3)) < 1.0,
                 "room opened 3 s early (%.2f s off)" % ((event_time(opened) - (start - 3)) if opened else 99))
    inside_window(checks, srv)

    started = reader.wait_for(lambda e: e["type"] == "meeting-started", 6)
    checks.check(started and abs(event_time(started) - start) < 1.0,
                 "meeting started on time (%.2f s off)" % ((event_time(started) - start) if started else 99))
    ok = mcutest.poll_until(lambda: len(types(reader, "attendee-answered")) >= 3, 20)
    dialing = types(reader, "attendee-dialing")
    checks.check(ok, "all three answered (%d answered)" % len(types(reader, "attendee-answered")))
    first = [e for e in dialing if e["try"] == 1]
    checks.check(len(first) == 3 and all(abs(event_time(e) - start) < 1.0 for e in first),
                 "all three rang at the start (%s)" % [round(event_time(e) - start, 2) for e in first])
    failed = types(reader, "attendee-failed")
    checks.check(len(failed) == 2 and all(f["status"] == 486 and f["attendee"]["display"] == "Carol" and
                                          f["retry"] for f in failed),
                 "carol was busy twice (486, retried): %s" % [(f["status"], f["retry"]) for f in failed])
    carol_tries = [round(event_time(e) - start, 2) for e in dialing if e["attendee"]["display"] == "Carol"]
    checks.check(len(carol_tries) == 3 and all(abs(t - 3 * i) < 1.0 for i, t in enumerate(carol_tries)),
                 "carol rang at +0, +3, +6 s (%s)" % carol_tries)
    st, parts = ctl.get("/v1/rooms/4242/participants")
    names = sorted(p["display"] for p in (parts or {}).get("participants", []))
    checks.check(names == ["Alice", "Bob", "Carol"], "the room holds Alice, Bob, Carol (%s)" % names)
    st, m = ctl.get("/v1/meetings/%s" % mid)
    states = sorted((a["id"], a["state"], a["tries"]) for a in m["state"]["attendees"])
    checks.check(m["state"]["phase"] == "started" and
                 states == [("a1", "answered", 1), ("a2", "answered", 1), ("a3", "answered", 3)],
                 "GET shows the phase and each attendee's dial state (%s)" % states)

    warn = reader.wait_for(lambda e: e["type"] == "meeting-ending", start + 22 - time.time())
    checks.check(warn and warn["seconds_left"] == 20 and abs(event_time(warn) - (start + 20)) < 1.0,
                 "the 20 s warning came on time (%s)" % str(warn and (warn["seconds_left"],
                                                                       round(event_time(warn) - start, 2))))
    time.sleep(max(0, start + 24 - time.time()))
    st, refused = ctl.call("POST", "/v1/meetings/%s/extend" % mid, {"duration": "PT10S"})
    checks.check(st == 409 and nxt["id"] in refused["error"]["message"],
                 "extending into the next booking: 409 naming it (%s)" % refused)
    st, _ = ctl.call("DELETE", "/v1/meetings/%s" % nxt["id"])
    checks.check(st == 204, "the next booking cancelled")
    st, ext = ctl.call("POST", "/v1/meetings/%s/extend" % mid, {"duration": "PT10S"})
    extended = reader.wait_for(lambda e: e["type"] == "meeting-extended", 3)
    checks.check(st == 200 and extended and extended["extended_by_seconds"] == 10,
                 "extended by 10 s (%d, %s)" % (st, extended and extended.get("new_end")))
    end = start + 50

    closed = reader.wait_for(lambda e: e["type"] == "meeting-closed" and e.get("room") == "4242",
                             end + 6 - time.time())
    checks.check(closed and abs(event_time(closed) - (end + 2)) < 1.0,
                 "closed at the extended end + grace (%.2f s off)" % ((event_time(closed) - end - 2)
                                                                       if closed else 99))
    endings = [(e["seconds_left"], round(event_time(e) - start, 1)) for e in types(reader, "meeting-ending")]
    checks.check([s for s, _ in endings] == [20, 20, 10],
                 "warnings: 20 s, then after the extension 20 s and 10 s again (%s)" % endings)
    codes = [p.wait(10) for p in (alice, bob)]
    carol_thread.join(10)
    codes.append(carol["phone"].wait(10) if "phone" in carol else -1)
    checks.check(codes == [0, 0, 0], "all three got BYE at the end (exits %s)" % codes)
    if codes != [0, 0, 0]:
        for p in (alice, bob, carol.get("phone")):
            if p:
                print(p.name, p.out[-1500:])
    reg.close()
    return alice, bob, carol.get("phone"), start


def hear_each_other(checks, phones, start):
    tones = {"alice": 440, "bob": 700, "carol": 1000}
    for p in phones:
        if p is None or not os.path.exists(p.wav):
            checks.check(False, "a recording of %s" % (p.name if p else "carol"))
            return
    t0 = max(p.media_start() for p in phones)   # carol joins last
    for p in phones:
        rate, heard = audiocheck.read_wav(p.wav)
        begin = t0 - p.media_start() + 1.0
        span = (begin, begin + 10.0)
        others = [tones[q.name] for q in phones if q is not p]
        try:
            for f in others:
                audiocheck.assert_tone_present(heard, rate, f, span=span, what="%s hears %d Hz" % (p.name, f))
            audiocheck.assert_tone_absent(heard, rate, tones[p.name], present_freqs=others, span=span,
                                          what="%s hears itself" % p.name)
            checks.check(True, "%s hears the other two and not itself" % p.name)
        except AssertionError as e:
            checks.check(False, str(e))


def meeting_two_restart(checks, srv, ctl):
    """SIGKILL while an attendee waits for a retry; restart resumes."""
    with sipua.SipUA(srv.port, "dave") as dave:
        dave.invite_policy = 486
        start_dt = utc(4)
        m = {"subject": "Restart drill", "room": "4343", "timezone": "UTC", "start": start_dt.isoformat(),
             "duration": "PT30S", "early_join": "PT2S", "grace": "PT1S", "dial_retries": 3,
             "dial_retry_interval": "PT5S", "pin": "4321",
             "attendees": [{"uri": dave.contact, "display": "Dave", "auto_dial": True}]}
        st, body = ctl.call("POST", "/v1/meetings", m)
        checks.check(st == 201, "meeting 2 booked (%d)" % st)
        mid = body["id"]
        got = dave.wait_for(lambda: dave.requests("INVITE"), 8)
        inv = dave.requests("INVITE")
        checks.check(got and inv[0].display() == "Restart drill" and "sip:4343@" in inv[0].h("from"),
                     "dave's phone rang; From names the subject and the room (%s)" %
                     (inv[0].h("from") if inv else None))
        waiting = mcutest.poll_until(
            lambda: ctl.get("/v1/meetings/%s" % mid)[1]["state"]["attendees"][0]["state"] == "retry-wait", 3)
        checks.check(waiting, "dave was busy: waiting for the retry")
        dave.invite_policy = ("answer", 0.2)
        old_log = srv.log_text()
        srv.stop(sig=9, check_log=False)
        t_kill = time.time()
        srv.start()
        st, room = ctl.get("/v1/rooms/4343")
        checks.check(st == 200 and room.get("has_pin"), "after kill -9 and a restart room 4343 is open "
                     "again with its PIN (%d, %.1f s after the kill)" % (st, time.time() - t_kill))
        again = dave.wait_for(lambda: len(dave.requests("INVITE")) >= 2 and dave.requests("ACK"), 10)
        checks.check(again, "dave, not reached before the kill, is dialled again and answers")
        joined = mcutest.poll_until(
            lambda: [p for p in (ctl.get("/v1/rooms/4343/participants")[1] or {}).get("participants", [])
                     if p["display"] == "Dave"], 5)
        checks.check(joined, "dave is in room 4343")
        st, state = ctl.get("/v1/meetings/%s" % mid)
        checks.check(state["state"]["phase"] == "started" and state["state"]["attendees"][0]["state"] == "answered",
                     "the resumed occurrence: started, dave answered (%s)" % state["state"])
        st, _ = ctl.call("DELETE", "/v1/meetings/%s" % mid)
        bye = dave.wait_for(lambda: dave.requests("BYE"), 5)
        checks.check(st == 204 and bye, "cancelling the running meeting hangs dave up (BYE)")
        if "resuming the occurrence" not in srv.log_text():
            print(old_log[-3000:], srv.log_text()[-3000:])


ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//mcu//EN\r
BEGIN:VTIMEZONE\r
TZID:Europe/Berlin\r
BEGIN:DAYLIGHT\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
TZNAME:CEST\r
DTSTART:19700329T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
END:DAYLIGHT\r
BEGIN:STANDARD\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
TZNAME:CET\r
DTSTART:19701025T030000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:weekly-sync@example.com\r
DTSTAMP:20261201T000000Z\r
SUMMARY:Weekly sync\r
LOCATION:5000\r
DTSTART;TZID=Europe/Berlin:20261207T090000\r
DURATION:PT45M\r
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=30\r
EXDATE;TZID=Europe/Berlin:20261228T090000\r
ATTENDEE;CN=Bob;ROLE=CHAIR:sip:bob@pbx.example.com\r
END:VEVENT\r
END:VCALENDAR\r
"""


def ics_import(checks, srv, ctl):
    as_json = {"subject": "Weekly sync", "room": "5000", "timezone": "Europe/Berlin",
               "start": "2026-12-07T09:00:00+01:00", "duration": "PT45M",
               "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=30", "exdate": ["2026-12-28T09:00:00+01:00"],
               "attendees": [{"uri": "sip:bob@pbx.example.com", "display": "Bob", "role": "moderator"}]}
    span = "from=2026-12-01T00:00:00Z&to=2027-12-01T00:00:00Z"
    st, body = ctl.call("POST", "/v1/meetings", as_json)
    checks.check(st == 201, "the weekly meeting booked as JSON (%d)" % st)
    st, occ_json = ctl.get("/v1/meetings/%s/occurrences?%s" % (body["id"], span))
    ctl.call("DELETE", "/v1/meetings/%s" % body["id"])
    st, _, raw = ctl.raw("POST", "/v1/meetings", ICS.encode(), {"Content-Type": "text/calendar"})
    checks.check(st == 201, "the same meeting imported from .ics (%d %s)" % (st, raw[:300]))
    if st != 201:
        return
    imported = json.loads(raw)["meetings"]
    checks.check(len(imported) == 1 and imported[0]["room"] == "5000" and imported[0]["duration"] == "PT45M",
                 "one meeting, room from LOCATION, 45 minutes")
    st, occ_ics = ctl.get("/v1/meetings/%s/occurrences?%s" % (imported[0]["id"], span))
    a = [(o["start"], o["end"]) for o in occ_json["occurrences"]]
    b = [(o["start"], o["end"]) for o in occ_ics["occurrences"]]
    checks.check(a == b and len(a) == 29 and a[0][0] == "2026-12-07T08:00:00Z",
                 "the same %d occurrences (first %s, DST kept at 09:00 local)" % (len(b), b[:1]))
    st, _, ics = ctl.raw("GET", "/v1/meetings.ics")
    checks.check(st == 200 and b"RRULE:FREQ=WEEKLY" in ics and b"VTIMEZONE" in ics,
                 "GET /v1/meetings.ics exports it with RRULE and VTIMEZONE")


MCUCTL = os.environ.get("MCUCTL_BIN", os.path.join(os.path.dirname(mcutest.MCU_BIN), "mcuctl"))


def mcuctl(srv, *args):
    r = subprocess.run([MCUCTL, "--socket", srv.control_socket] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=20)
    return r.returncode, r.stdout


def api_and_mcuctl(checks, srv, ctl):
    """mcuctl books, lists, shows, cancels; the attendee resources; errors."""
    rc, out = mcuctl(srv, "meeting", "add", "--subject", "Board", "--room", "6000",
                     "--start", "2027-01-04 09:00", "--tz", "Europe/Berlin", "--duration", "45m",
                     "--rrule", "FREQ=WEEKLY;BYDAY=MO", "--attendee", "alice",
                     "--attendee", "sip:bob@pbx.example.com", "--pin", "1234")
    checks.check(rc == 0, "mcuctl meeting add (%d %s)" % (rc, out.strip()))
    rc, out = mcuctl(srv, "--json", "meetings")
    board = [m for m in json.loads(out)["meetings"] if m["subject"] == "Board"] if rc == 0 else []
    checks.check(len(board) == 1 and board[0]["start"] == "2027-01-04T09:00:00+01:00" and
                 board[0]["duration"] == "PT45M" and board[0]["pin"] == "1234" and
                 [a["uri"] for a in board[0]["attendees"]] == ["alice", "sip:bob@pbx.example.com"],
                 "mcuctl --json meetings shows it as booked (%s)" % (board[:1]))
    if not board:
        return
    mid = board[0]["id"]
    rc, out = mcuctl(srv, "meetings")
    checks.check(rc == 0 and out.startswith("ID") and "Board" in out and "waiting" in out,
                 "mcuctl meetings: a table")
    rc, out = mcuctl(srv, "meeting", "show", mid)
    checks.check(rc == 0 and "Board" in out, "mcuctl meeting show")
    st, body = ctl.call("POST", "/v1/meetings/%s/attendees" % mid, {"uri": "sip:zoe@example.com"})
    ids = [a["id"] for a in (body or {}).get("attendees", [])]
    checks.check(st == 201 and ids == ["a1", "a2", "a3"], "POST attendees adds a3 (%d %s)" % (st, ids))
    st, body = ctl.call("DELETE", "/v1/meetings/%s/attendees/a1" % mid)
    st2, lst = ctl.get("/v1/meetings/%s/attendees" % mid)
    checks.check(st == 200 and [a["id"] for a in lst["attendees"]] == ["a2", "a3"],
                 "DELETE attendees/a1 (%d, %s)" % (st, lst))
    st, body = ctl.call("POST", "/v1/meetings/%s/attendees/a2/dial" % mid)
    checks.check(st == 409 and body["error"]["code"] == "wrong-state", "re-dial when not running: 409")
    rc, out = mcuctl(srv, "meeting", "extend", mid, "--minutes", "5")
    checks.check(rc == 1 and "not running" in out, "mcuctl meeting extend of a waiting meeting: refused")
    rc, out = mcuctl(srv, "meeting", "cancel", mid, "--occurrence", "2027-01-11T09:00:00+01:00")
    st, occ = ctl.get("/v1/meetings/%s/occurrences?from=2027-01-01T00:00:00Z&to=2027-01-20T00:00:00Z" % mid)
    starts = [o["start"] for o in occ["occurrences"]]
    checks.check(rc == 0 and starts == ["2027-01-04T08:00:00Z", "2027-01-18T08:00:00Z"],
                 "one occurrence cancelled (%s)" % starts)
    rc, out = mcuctl(srv, "meetings", "--ics")
    checks.check(rc == 0 and "SUMMARY:Board" in out and "EXDATE" in out, "mcuctl meetings --ics")
    rc, out = mcuctl(srv, "meeting", "cancel", mid)
    checks.check(rc == 0 and ctl.get("/v1/meetings/%s" % mid)[0] == 404, "mcuctl meeting cancel")
    bad = {"subject": "x", "room": "6001", "start": "2027-01-04T09:00:00+01:00", "duration": "PT1H",
           "timezone": "UTC"}
    for field, value in (("timezone", "Mars/Olympus"), ("rrule", "FREQ=SOMETIMES")):
        st, body = ctl.call("POST", "/v1/meetings", dict(bad, **{field: value}))
        checks.check(st == 400 and body["error"]["message"].startswith(field),
                     "a bad %s: 400 naming it (%s)" % (field, body))
    st, body = ctl.call("POST", "/v1/meetings/nope/extend", {"minutes": 5})
    checks.check(st == 404, "extend of an unknown meeting: 404")


def main():
    checks = mcutest.Failures()
    srv = mcutest.McuServer(extra=USERS).start()
    try:
        ctl = controlclient.Control(srv.control_socket)
        reader = controlclient.EventReader(ctl)
        reader.start()
        reader.connected.wait(5)
        phones = meeting_one(checks, srv, ctl, reader)
        hear_each_other(checks, phones[:3], phones[3])
        st, _, metrics = ctl.raw("GET", "/metrics")
        text = metrics.decode()
        checks.check('mcu_meeting_attendees_failed_total{status="486"} 2' in text and
                     "mcu_meeting_attendees_answered_total 3" in text and
                     "mcu_meetings_closed_total" in text and "mcu_meetings_extended_total 1" in text,
                     "/metrics counts the meetings, tries, failures by status")
        reader.stop()
        meeting_two_restart(checks, srv, ctl)
        api_and_mcuctl(checks, srv, ctl)
        ics_import(checks, srv, ctl)
    finally:
        srv.stop(check_log=False)
        if checks.failed:
            print("\n".join(line for line in srv.log_text().splitlines()
                            if "meeting" in line or "dial" in line or "scheduler" in line)[-6000:])
    problems = srv.log_problems()
    checks.check(not problems, "no CRITICAL or unexplained warnings in the log (%s)" % problems[:3])
    checks.exit()


if __name__ == "__main__":
    main()
