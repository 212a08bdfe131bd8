# SPDX-License-Identifier: LGPL-2.1-or-later
"""One caller can never hurt a room. Three real callers (mcu-test-caller,
Opus 440 Hz, PCMU 1000 Hz, PCMA 1300 Hz) talk in room "iso"; while they do,
callers with unusable media join the same room from a scripted UA:

- refused in SDP with 488 and a Warning saying why, the room untouched:
  c=IN IP6 ::1 into this IPv4 server, m=audio 0 (the only audio line
  disabled), m=audio 65535 without a=rtcp (no
  port left for RTCP), a=rtcp:0, an a=rtcp address of the other family;
- admitted, and they end alone: media at 127.0.0.2 on an odd port where
  nobody listens, a=rtcp:65535; one of them then re-INVITEs to c=IN IP6 ::1
  (488, the call goes on and is ended by our BYE);
- a caller whose Opus packets are garbage (no decoder takes them): the
  room is not disturbed and the call stays up until our BYE.
(An error from inside one participant's bin, and one still queued after it
left, are tested in tests/unit/test-audio-mix.c: nothing a caller sends
makes GStreamer 1.22's elements post one, decoders never do.)

The three long callers must finish their calls (no BYE from the server),
hear the other two all along, and no RTP arrival gap at any of them may be
longer than MAX_GAP_MS. Traffic stays on loopback (127.0.0.0/8)."""

import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import mcutest  # noqa: E402
import sipua  # noqa: E402

CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
LONG = 14.0       # seconds the three good callers stay
SETTLE = 0.5      # jitter buffer + first packets
# 20 ms packets. A joiner is only mixed once its decoded audio flows, so one
# that sends no RTP (or none we can decode) no longer holds the live mixer
# (test join-gap); a caller that stops sending once mixed still does, by up
# to the mixer's latency. A failed room is a gap of seconds, or a BYE.
MAX_GAP_MS = 500
GOOD = [("opus", "opus", 440), ("pcmu", "pcmu", 1000), ("pcma", "pcma", 1300)]

SDP = ("v=0\r\no=bad 1 1 IN %(fam)s %(addr)s\r\ns=-\r\nc=IN %(fam)s %(addr)s\r\nt=0 0\r\n"
       "m=audio %(port)d RTP/AVP %(pt)d\r\na=rtpmap:%(pt)d %(codec)s\r\n%(extra)sa=sendrecv\r\n")

# name, SDP fields, the Warning must say (None: admitted)
REFUSED = [
    ("ipv6 into ipv4", dict(fam="IP6", addr="::1", port=40000), "is IPv6"),
    ("audio port 0", dict(port=0), "disabled with port 0"),
    ("rtp port 65535", dict(port=65535), "no port for RTCP"),
    ("a=rtcp:0", dict(port=40000, extra="a=rtcp:0\r\n"), "no port for RTCP"),
    ("rtcp address ipv6", dict(port=40000, extra="a=rtcp:40001 IN IP6 ::1\r\n"), "is IPv6"),
]
ADMITTED = [
    ("nobody listens, odd port", dict(addr="127.0.0.2", port=40001)),
    ("a=rtcp:65535", dict(port=40004, extra="a=rtcp:65535\r\n")),
]

checks = mcutest.Failures()


def sdp(**kw):
    f = dict(fam="IP4", addr="127.0.0.1", port=40000, pt=0, codec="PCMU/8000", extra="")
    f.update(kw)
    return SDP % f


def invite(ua, srv, body):
    """INVITE room iso with @body; ACK a 2xx. (final response, dialog or None)."""
    ruri = srv.uri("iso")
    call_id, tag = "%s@iso" % sipua._token(), sipua._token()
    r = ua.request("INVITE", ruri, "<%s>" % ruri, body=body, ctype="application/sdp",
                   call_id=call_id, from_tag=tag)
    if r is None or r.status >= 300:
        return r, None
    target = r.h("contact").strip("<>")
    ua.send("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
            "From: <sip:%s@127.0.0.1>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\n"
            "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
            % (target, ua.port, sipua._token(), ua.user, tag, r.h("to"), call_id))
    return r, {"call_id": call_id, "from_tag": tag, "to": r.h("to"), "ruri": ruri, "cseq": 1,
               "target": target}


def start_good(srv, work, name, codec, tone):
    wav, report = os.path.join(work, name + ".wav"), os.path.join(work, name + ".json")
    log = open(os.path.join(work, name + ".log"), "w")
    proc = subprocess.Popen(
        [CALLER, "--uri", srv.uri("iso"), "--codec", codec, "--tone", str(tone),
         "--duration", str(LONG), "--record", wav, "--report", report, "--display-name", name,
         "--timeout", str(LONG + 20)], stdout=log, stderr=subprocess.STDOUT)
    return {"name": name, "tone": tone, "proc": proc, "wav": wav, "report": report,
            "log": log.name}


def garbage_caller(ua, srv):
    """An Opus caller whose packets no decoder takes (TOC code 3 with 63
    frames: more than 120 ms, OPUS_INVALID_PACKET), for 2 s. Returns
    (status of the INVITE, dialog or None)."""
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp.bind(("127.0.0.1", 0))
    port = rtp.getsockname()[1]
    r, d = invite(ua, srv, sdp(port=port, pt=111, codec="opus/48000/2",
                               extra="a=rtcp-mux\r\n"))
    if d is not None:
        server_rtp = [int(line.split()[1]) for line in r.body.split("\r\n")
                      if line.startswith("m=audio ")][0]
        for seq in range(100):
            pkt = bytes([0x80, 111]) + seq.to_bytes(2, "big") + \
                (seq * 960).to_bytes(4, "big") + (0xbad0).to_bytes(4, "big") + \
                b"\xfb\xff" + b"\x00" * 40
            rtp.sendto(pkt, ("127.0.0.1", server_rtp))
            time.sleep(0.02)
    rtp.close()
    return (r.status if r else None), d


def bad_callers(srv):
    with sipua.SipUA(srv.port, "bad") as ua:
        for name, fields, says in REFUSED:
            r, d = invite(ua, srv, sdp(**fields))
            warning = r.h("warning") if r else ""
            checks.check(r is not None and r.status == 488 and says in warning
                         and warning.startswith("399 "),
                         "%s: refused 488 with a Warning (%s %s)"
                         % (name, r.status if r else None, warning))
            if d:
                ua.in_dialog(d, "BYE")
        dialogs = []
        for name, fields in ADMITTED:
            r, d = invite(ua, srv, sdp(**fields))
            checks.check(d is not None, "%s: admitted (%s)" % (name, r.status if r else None))
            if d:
                dialogs.append((name, d))
        if dialogs:
            name, d = dialogs[0]
            status = ua.in_dialog(d, "INVITE", body=sdp(fam="IP6", addr="::1", port=40002),
                                  ctype="application/sdp")
            checks.check(status == 488, "%s: re-INVITE to c=IN IP6 ::1 refused 488 (%s)"
                         % (name, status))
        time.sleep(2.0)  # they stay a while: their media goes nowhere
        for name, d in dialogs:
            checks.check(ua.in_dialog(d, "BYE") == 200,
                         "%s: still in its call, ended alone by our BYE" % name)
        status, d = garbage_caller(ua, srv)
        checks.check(status == 200, "garbage Opus caller admitted (%s)" % status)
        if d:
            checks.check(ua.in_dialog(d, "BYE") == 200,
                         "garbage Opus caller: still in its call, ended alone by our BYE")
        checks.check(not ua.requests("BYE"), "the server hung up none of the bad callers "
                     "(%d BYEs)" % len(ua.requests("BYE")))
        time.sleep(1.0)  # anything still queued from their bins


def check_good(c, others, window):
    r = c["r"]
    what = c["name"]
    checks.check(c["proc"].returncode == 0 and not r.get("bye_from_server"),
                 "%s: call completed, no BYE from the server (exit %s)"
                 % (what, c["proc"].returncode))
    gap, at = r.get("rtp_max_gap_ms", 10 ** 6), r.get("rtp_max_gap_at", 0)
    checks.check(r.get("rtp_packets_received", 0) > 50 * (LONG - 2) and gap <= MAX_GAP_MS,
                 "%s: RTP all along (%s packets, longest gap %s ms at %.1f s)"
                 % (what, r.get("rtp_packets_received"), gap, at))
    rate, samples = audiocheck.read_wav(c["wav"])
    start = r["media_start_unix"]
    span = (max(SETTLE, window[0] - start - 0.5), min(len(samples) / rate - 0.3,
                                                     window[1] - start + 1.0))
    try:
        for o in others:
            audiocheck.assert_tone_present(samples, rate, o["tone"], span=span,
                                           what="%s hears %s" % (what, o["name"]))
            share = audiocheck.tone_presence(samples, rate, o["tone"], span=span, window=0.02)
            if share < 0.97:
                raise AssertionError("%s: %s's tone dropped out while the bad callers came "
                                     "(present in %.0f%% of 20 ms windows)"
                                     % (what, o["name"], 100 * share))
        checks.check(True, "%s: hears %s without a dropout while the bad callers came "
                     "(%.1f-%.1f s)" % (what, ", ".join(o["name"] for o in others), *span))
    except AssertionError as e:
        checks.check(False, str(e))
        audiocheck.print_table(c["wav"], [440, 1000, 1300])


def main():
    if not os.path.exists(CALLER):
        print("mcu-test-caller not built")
        sys.exit(1)
    with mcutest.McuServer() as srv:
        good = [start_good(srv, srv.dir, *g) for g in GOOD]
        joined = mcutest.poll_until(lambda: "3 in room iso" in srv.log_text()
                                    or srv.log_text().count("joined room iso") >= 3, 10.0)
        checks.check(joined, "three good callers in room iso")
        time.sleep(1.0)
        window = [time.time(), 0]
        bad_callers(srv)
        window[1] = time.time()
        for c in good:
            try:
                c["proc"].wait(LONG + 25)
            except subprocess.TimeoutExpired:
                c["proc"].kill()
                c["proc"].wait()
            with open(c["report"]) as f:
                c["r"] = json.load(f)
        checks.check(srv.alive(), "server still running")
        log = srv.log_text()
    for c in good:
        check_good(c, [o for o in good if o is not c], window)
        if checks.failed:
            print(open(c["log"]).read()[-3000:])
    checks.check("room media failed" not in log and "rebuilt" not in log,
                 "no room-wide media failure in the log")
    checks.exit()


if __name__ == "__main__":
    main()
