# SPDX-License-Identifier: LGPL-2.1-or-later
"""DTMF out, on the real daemon, received by the suite's own SIP UA
(sipua.py), which records every RTP packet and every INFO it gets.

(a) The API sends "0123456789*#" to a PCMU caller and to Opus callers
    that offered telephone-event at 48000 Hz or only at 8000 Hz: the test
    decodes the RFC 4733 packets: each digit once, in order, 100 ms long
    (800 / 4800 units of the telephone-event clock), marker on each event's first packet only, updates every packet,
    three End packets; one SSRC for audio and events; sequence numbers
    without gap and timestamps that never go back; the audio resumes after
    each event. Event "dtmf-sent" with method "rfc4733".
(b) A caller that did not offer telephone-event gets one INFO
    (application/dtmf-relay, Signal=D, Duration=160) per digit, in order,
    and ',' waits 500 ms; "dtmf-sent" with method "info". A caller with
    neither (its Allow has no INFO): 409.
(c) A dial-out with "dtmf": "1234#": the test answers as the callee; the
    digits arrive as RFC 4733 after the answer and the settle delay.
(d) Bad digits, a bad dial "dtmf": 400 with a JSON error; an unknown
    participant: 404. And `mcuctl dtmf`, `mcuctl dial --dtmf`.
(e) A scheduled meeting whose attendee has "dtmf": the scheduler dials it
    at the start and the digits follow the answer."""

import datetime
import os
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402
from controlclient import Control, EventReader  # noqa: E402
from sipua import SipUA  # noqa: E402

MCUCTL = os.environ.get("MCUCTL_BIN", "build/mcu/mcuctl")
checks = mcutest.Failures()

HEAD = "v=0\r\no=ua 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
PCMU_TE = HEAD + ("m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
                  "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=%s\r\n")
OPUS_TE = HEAD + ("m=audio %d RTP/AVP 111 101\r\na=rtpmap:111 opus/48000/2\r\n"
                  "a=rtpmap:101 telephone-event/48000\r\na=fmtp:101 0-16\r\na=%s\r\n")
# Opus with telephone-event at 8000 only (many phones): events count 8000
OPUS_TE8K = HEAD + ("m=audio %d RTP/AVP 111 101\r\na=rtpmap:111 opus/48000/2\r\n"
                    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=%s\r\n")
CODES = "0123456789*#ABCD"


def rtp_fields(data):
    """(pt, marker, seq, ts, ssrc, payload) of an RTP packet."""
    b0, b1, seq, ts, ssrc = struct.unpack("!BBHII", data[:12])
    off = 12 + 4 * (b0 & 0x0F)
    if b0 & 0x10:  # header extension
        off += 4 + 4 * struct.unpack("!H", data[off + 2:off + 4])[0]
    return b1 & 0x7F, b1 >> 7, seq, ts, ssrc, data[off:]


def events_of(packets, pt):
    """The RFC 4733 events in @packets, in order of arrival: a list of
    dicts (digit, ts, packets: [(marker, end, duration)])."""
    out = []
    for _, data in packets:
        p, marker, _, ts, _, payload = rtp_fields(data)
        if p != pt or len(payload) < 4:
            continue
        if not out or out[-1]["ts"] != ts:
            out.append({"digit": CODES[payload[0]] if payload[0] < 16 else "?", "ts": ts,
                        "packets": []})
        out[-1]["packets"].append((marker, payload[1] >> 7, (payload[2] << 8) | payload[3]))
    return out


def check_rfc4733(name, packets, pt, digits, rate, ptime=20, ts_rate=None):
    """The checks of (a) on what one caller received: durations count
    @rate (the telephone-event clock), timestamps @ts_rate (the audio's
    clock, the same SSRC; default @rate)."""
    ts_rate = ts_rate or rate
    evs = events_of(packets, pt)
    got = "".join(e["digit"] for e in evs)
    checks.check(got == digits, "%s: RFC 4733 digits %r received once each, in order (got %r)"
                 % (name, digits, got))
    tone = rate // 10  # 100 ms
    step = rate * ptime // 1000
    good = True
    for e in evs:
        pk = e["packets"]
        markers = [m for m, _, _ in pk]
        ends = [d for _, end, d in pk if end]
        durations = [d for _, _, d in pk]
        updates = [d for _, end, d in pk if not end]
        ok = (markers[0] == 1 and not any(markers[1:]) and len(ends) == 3 and
              all(d == tone for d in ends) and durations == sorted(durations) and
              updates == [step * (i + 1) for i in range(len(updates))] and
              len(pk) == tone // step + 2)
        if not ok:
            print("  event %s: %s" % (e["digit"], pk))
        good = good and ok
    checks.check(evs and good, "%s: every event: marker on its first packet only, updates every "
                 "%d units, three End packets of duration %d" % (name, step, tone))
    fields = [rtp_fields(d) for _, d in packets]
    ssrcs = {f[4] for f in fields}
    checks.check(len(ssrcs) == 1, "%s: audio and events share one SSRC (%s)" % (name, ssrcs))
    seq_ok = all(((b[2] - a[2]) & 0xFFFF) == 1 for a, b in zip(fields, fields[1:]))
    ts_ok = all(((b[3] - a[3]) & 0xFFFFFFFF) < 0x80000000 for a, b in zip(fields, fields[1:]))
    checks.check(seq_ok, "%s: sequence numbers continuous across audio and events (%d packets)"
                 % (name, len(fields)))
    checks.check(ts_ok, "%s: timestamps never go back" % name)
    # the audio after each event starts where the event's time ends
    resumed = True
    for e in evs:
        after = [f for f in fields if f[0] != pt and ((f[3] - e["ts"]) & 0xFFFFFFFF) < 0x80000000
                 and f[3] != e["ts"]]
        if not after or ((after[0][3] - e["ts"]) & 0xFFFFFFFF) < ts_rate // 10:
            resumed = False
    checks.check(evs and resumed, "%s: audio resumes after each event, past its end" % name)


def participant_id(ctl, room, display):
    st, body = ctl.get("/v1/rooms/%s/participants" % room)
    for p in (body or {}).get("participants", []):
        if p["display"] == display:
            return p["id"]
    return None


def call_in(srv, ctl, name, room, template, extra=""):
    ua = SipUA(srv.port, name)
    ua.rtp_keep = True
    ua.sdp_template = template
    ua.extra_headers = extra
    d = ua.call(srv.uri(room), sdp=template.replace("a=%s", "a=sendrecv"))
    pid = mcutest.poll_until(lambda: participant_id(ctl, room, name), 5)
    return ua, d, pid


def send_and_wait(ctl, events, room, pid, digits, timeout):
    st, body = ctl.call("POST", "/v1/rooms/%s/participants/%s/dtmf" % (room, pid),
                        {"digits": digits})
    checks.check(st == 202, "POST .../participants/%s/dtmf %r: 202 (%d %s)" % (pid, digits, st, body))
    return events.wait_for(lambda e: e["type"] == "dtmf-sent" and
                           (e.get("participant") or {}).get("id") == pid and
                           e.get("room") == room and e.get("digits") == digits, timeout)


def test_rfc4733(srv, ctl, events):
    for name, template, rate, ts_rate in (("pcmu", PCMU_TE, 8000, 8000),
                                          ("opus", OPUS_TE, 48000, 48000),
                                          ("opus-te8000", OPUS_TE8K, 8000, 48000)):
        ua, d, pid = call_in(srv, ctl, name, "dtmf1", template)
        try:
            if not checks.check(d is not None and pid, "%s caller in room dtmf1 (participant %s)"
                                % (name, pid)):
                continue
            time.sleep(0.3)  # some audio first
            ev = send_and_wait(ctl, events, "dtmf1", pid, "0123456789*#", 10)
            checks.check(ev is not None and ev.get("digits") == "0123456789*#" and
                         ev.get("method") == "rfc4733",
                         "%s: event dtmf-sent, method rfc4733 (%s)" % (name, ev))
            time.sleep(0.3)  # audio after the last event
            if name == "opus-te8000":
                checks.check("telephone-event/8000" in (d["answer"] or ""),
                             "opus-te8000: the answer keeps telephone-event/8000")
            check_rfc4733(name, list(d["rtp"].packets), 101, "0123456789*#", rate,
                          ts_rate=ts_rate)
            checks.check(not ua.requests("INFO"), "%s: no INFO when RFC 4733 was negotiated" % name)
            # ',': 500 ms more between two events (each digit takes 200 ms)
            n = len(d["rtp"].packets)
            send_and_wait(ctl, events, "dtmf1", pid, "5,6", 10)
            evs = events_of(d["rtp"].packets[n:], 101)
            apart = ((evs[1]["ts"] - evs[0]["ts"]) & 0xFFFFFFFF) if len(evs) == 2 else None
            checks.check(apart == ts_rate * 7 // 10, "%s: \"5,6\": the events start 700 ms apart "
                         "(%s units)" % (name, apart))
            if name == "pcmu":
                hold_then_info(srv, ctl, events, ua, d, pid)
        finally:
            ua.close()


def hold_then_info(srv, ctl, events, ua, d, pid):
    """On hold (the caller re-INVITEs with sendonly) no RTP goes to it: the
    digits go as INFO."""
    d["cseq"] += 1
    r = ua.request("INVITE", d["target"], d["to"], body=PCMU_TE % (d["rtp"].port, "sendonly"),
                   ctype="application/sdp", call_id=d["call_id"], cseq=d["cseq"],
                   from_tag=d["from_tag"])
    ua.send("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKack%d\r\n"
            "From: <sip:%s@127.0.0.1>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d ACK\r\n"
            "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
            % (d["target"], ua.port, d["cseq"], ua.user, d["from_tag"], d["to"], d["call_id"],
               d["cseq"]))
    checks.check(r is not None and r.status == 200 and "a=recvonly" in r.body,
                 "caller on hold (re-INVITE sendonly: 200 recvonly)")
    ev = send_and_wait(ctl, events, "dtmf1", pid, "7", 5)
    # "dtmf-sent" follows the INFO's sending, not its arrival: wait for it
    infos = [m.body for m in ua.wait_for(lambda: ua.requests("INFO"), 5) or []]
    checks.check(ev is not None and ev.get("method") == "info" and
                 infos == ["Signal=7\r\nDuration=160\r\n"],
                 "on hold, the digits go as INFO instead (%s, %r)" % (ev and ev.get("method"), infos))


def test_info(srv, ctl, events):
    ua, d, pid = call_in(srv, ctl, "plain", "dtmf2", _plain())
    try:
        if not checks.check(d is not None and pid, "caller without telephone-event (participant %s)"
                            % pid):
            return
        ev = send_and_wait(ctl, events, "dtmf2", pid, "1,2*#", 10)
        checks.check(ev is not None and ev.get("method") == "info",
                     "dtmf-sent with method info (%s)" % ev)
        infos = ua.wait_for(lambda: len(ua.requests("INFO")) >= 4 and ua.requests("INFO"), 5) or []
        bodies = [m.body for m in infos]
        want = ["Signal=%s\r\nDuration=160\r\n" % c for c in "12*#"]
        checks.check(bodies == want, "one INFO per digit, in order: %r" % bodies)
        checks.check(all(m.h("content-type") == "application/dtmf-relay" for m in infos) and infos,
                     "INFO Content-Type application/dtmf-relay")
        evs = events_of(d["rtp"].packets, 101)
        checks.check(not evs, "no telephone-event packets to a caller that did not offer it")
    finally:
        ua.close()
    # ',' = 500 ms: measured on the arrival times of INFO 1 and 2
    ua, d, pid = call_in(srv, ctl, "noinfo", "dtmf2", _plain(),
                         extra="Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n")
    try:
        st, body = ctl.call("POST", "/v1/rooms/dtmf2/participants/%s/dtmf" % pid, {"digits": "1"})
        checks.check(st == 409 and body and body.get("error", {}).get("code") == "dtmf-unavailable",
                     "neither telephone-event nor INFO in Allow: 409 dtmf-unavailable (%d %s)"
                     % (st, body))
    finally:
        ua.close()


def _plain():
    from sipua import SDP_TEMPLATE
    return SDP_TEMPLATE


def test_info_pause(srv, ctl, events):
    ua, d, pid = call_in(srv, ctl, "pause", "dtmf3", _plain())
    times = {}
    orig = ua._dispatch

    def dispatch(msg, addr):
        if msg.method == "INFO":
            times.setdefault(msg.body, time.monotonic())
        orig(msg, addr)
    ua._dispatch = dispatch
    on_request = ua._on_request

    def refuse_info(req, addr):  # a phone that takes no INFO after all
        if req.method == "INFO":
            ua.respond(req, 501, "Not Implemented", addr)
        else:
            on_request(req, addr)
    ua._on_request = refuse_info
    try:
        send_and_wait(ctl, events, "dtmf3", pid, "1,2", 10)
        ua.wait_for(lambda: len(ua.requests("INFO")) >= 2, 5)
        t1 = times.get("Signal=1\r\nDuration=160\r\n")
        t2 = times.get("Signal=2\r\nDuration=160\r\n")
        gap = (t2 - t1) if t1 and t2 else None
        # one digit every 250 ms, and the ',' 500 ms more
        checks.check(gap is not None and 0.7 <= gap <= 1.2,
                     "',' between INFO digits waits 500 ms more (%s s)" % (gap and round(gap, 3)))
        logged = mcutest.poll_until(lambda: "INFO with a DTMF digit got 501" in srv.log_text(), 3)
        checks.check(logged and len(ua.requests("INFO")) == 2,
                     "INFO answered 501: logged, and the next digit still sent")
    finally:
        ua.close()


def test_dial_out(srv, ctl, events):
    bob = SipUA(srv.port, "bob")
    bob.rtp_keep = True
    bob.sdp_template = PCMU_TE
    bob.invite_policy = ("answer", 0.3)
    answered = []
    orig = bob._answer

    def answer(cid, addr):
        answered.append(time.monotonic())
        orig(cid, addr)
    bob._answer = answer
    try:
        uri = "sip:bob@127.0.0.1:%d" % bob.port
        st, body = ctl.call("POST", "/v1/rooms/dtmf4/participants",
                            {"uri": uri, "dtmf": "1234#", "dtmf_delay_ms": 600})
        checks.check(st == 202, "dial-out with dtmf: 202 (%d %s)" % (st, body))
        ev = events.wait_for(lambda e: e["type"] == "dtmf-sent" and e.get("room") == "dtmf4", 15)
        checks.check(ev is not None and ev.get("digits") == "1234#" and ev.get("method") == "rfc4733",
                     "dial-out: dtmf-sent 1234# rfc4733 (%s)" % ev)
        time.sleep(0.3)
        rtp = [dd["rtp"] for dd in bob.dialogs.values() if "rtp" in dd]
        packets = list(rtp[0].packets) if rtp else []
        check_rfc4733("dial-out", packets, 101, "1234#", 8000)
        dtmf = [t for t, p in packets if rtp_fields(p)[0] == 101]
        wait = (dtmf[0] - answered[0]) if answered and dtmf else None
        checks.check(wait is not None and 0.59 <= wait <= 3,
                     "dial-out: the digits come 600 ms (dtmf_delay_ms) after the answer "
                     "(first event %s s after our 200)" % (wait and round(wait, 3)))
        st, body = ctl.call("POST", "/v1/rooms/dtmf4/participants", {"uri": uri, "dtmf": "12x"})
        checks.check(st == 400 and body.get("error", {}).get("code") == "invalid-field",
                     "dial-out with bad dtmf: 400 invalid-field (%d %s)" % (st, body))
        r = subprocess.run([MCUCTL, "--socket", srv.control_socket, "dial", "dtmf4", uri,
                            "--dtmf", "1y"], capture_output=True, text=True, timeout=10)
        checks.check(r.returncode == 1 and "invalid-field" in r.stderr,
                     "mcuctl dial --dtmf passes the digits (a bad one: exit 1, %s)" % r.stderr.strip())
    finally:
        bob.close()


def test_bad_requests(srv, ctl):
    ua, d, pid = call_in(srv, ctl, "bad", "dtmf5", PCMU_TE)
    try:
        for digits in ("12x", "", "1" * 65, 123, None, "1 2"):
            st, body = ctl.call("POST", "/v1/rooms/dtmf5/participants/%s/dtmf" % pid,
                                {"digits": digits})
            checks.check(st == 400 and isinstance(body, dict) and "error" in body,
                         "digits %r: 400 with a JSON error (%d %s)" % (digits, st, body))
        st, body = ctl.call("POST", "/v1/rooms/dtmf5/participants/9999/dtmf", {"digits": "1"})
        checks.check(st == 404 and body.get("error", {}).get("code") == "no-such-participant",
                     "unknown participant: 404 (%d %s)" % (st, body))
        st, body = ctl.call("POST", "/v1/rooms/dtmf5/participants/%s/dtmf" % pid,
                            {"digits": "1", "bogus": 1})
        checks.check(st == 400, "unknown member: 400 (%d)" % st)
        r = subprocess.run([MCUCTL, "--socket", srv.control_socket, "dtmf", "dtmf5", str(pid), "5#"],
                           capture_output=True, text=True, timeout=10)
        checks.check(r.returncode == 0 and "5#" in r.stdout,
                     "mcuctl dtmf: exit 0 (%d %s %s)" % (r.returncode, r.stdout.strip(),
                                                          r.stderr.strip()))
        r = subprocess.run([MCUCTL, "--socket", srv.control_socket, "dtmf", "dtmf5", str(pid), "5x"],
                           capture_output=True, text=True, timeout=10)
        checks.check(r.returncode == 1 and "invalid-field" in r.stderr,
                     "mcuctl dtmf with a bad digit: exit 1, the error printed (%s)" % r.stderr.strip())
    finally:
        ua.close()


def test_meeting(srv, ctl, events):
    carol = SipUA(srv.port, "carol")
    carol.rtp_keep = True
    carol.sdp_template = PCMU_TE
    carol.invite_policy = ("answer", 0.2)
    try:
        start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=3)
        meeting = {"subject": "IVR bridge", "room": "dtmf6", "timezone": "UTC",
                   "start": start.replace(microsecond=0).isoformat(), "duration": "PT30S",
                   "early_join": "PT1S",
                   "attendees": [{"uri": "sip:carol@127.0.0.1:%d" % carol.port, "display": "Carol",
                                  "dtmf": "5#"}]}
        bad = dict(meeting, attendees=[dict(meeting["attendees"][0], dtmf="5e")])
        st, body = ctl.call("POST", "/v1/meetings", bad)
        checks.check(st == 400 and "dtmf" in body.get("error", {}).get("message", ""),
                     "meeting attendee with a bad dtmf: 400 naming it (%d %s)" % (st, body))
        st, body = ctl.call("POST", "/v1/meetings", meeting)
        checks.check(st == 201 and body["attendees"][0].get("dtmf") == "5#",
                     "meeting with an attendee's dtmf booked (%d %s)" % (st, body))
        ev = events.wait_for(lambda e: e["type"] == "dtmf-sent" and e.get("room") == "dtmf6", 15)
        checks.check(ev is not None and ev.get("digits") == "5#",
                     "the scheduler's dial sent the attendee's digits (%s)" % ev)
        time.sleep(0.3)
        rtp = [dd["rtp"] for dd in carol.dialogs.values() if "rtp" in dd]
        got = "".join(e["digit"] for e in events_of(rtp[0].packets if rtp else [], 101))
        checks.check(got == "5#", "the attendee received 5# as RFC 4733 (%r)" % got)
    finally:
        carol.close()


def main():
    with mcutest.McuServer() as srv:
        ctl = Control(srv.control_socket)
        events = EventReader(ctl)
        events.start()
        events.connected.wait(5)
        try:
            test_rfc4733(srv, ctl, events)
            test_info(srv, ctl, events)
            test_info_pause(srv, ctl, events)
            test_dial_out(srv, ctl, events)
            test_bad_requests(srv, ctl)
            test_meeting(srv, ctl, events)
        finally:
            events.stop()
        checks.check(srv.alive(), "the server is still up")
    checks.exit()


if __name__ == "__main__":
    main()
