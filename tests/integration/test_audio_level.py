# SPDX-License-Identifier: LGPL-2.1-or-later
"""RFC 6464 client-to-mixer audio level: callers whose SDP offers
a=extmap:N urn:ietf:params:rtp-hdrext:ssrc-audio-level get it answered
with the same id, and the mixer judges them by the level their packets
carry. Five PCMU callers in one room (default noise gate and max-talkers):

- "muted-by-level" sends a loud 1000 Hz tone but every packet says 127
  (-127 dBov, silence; one-byte header, id 1): nobody hears it;
- "no-voice" sends a loud 1300 Hz tone, level -20 dBov but V=0 with
  vad=on (two-byte header, id 7): nobody hears it;
- "loud" sends a 1500 Hz tone and says -10 dBov with V=1 (two-byte header,
  id 3, vad=on): everyone else hears it;
- "plain" sends a 700 Hz tone without the extension: heard as today;
- "late-offer" sends INVITE without SDP: our offer in the 200 carries
  a=extmap:1 ... vad=on, its answer in the ACK takes it, and its loud
  1700 Hz tone in packets saying 127 is not heard either;
- "ear" sends silence and listens.

Then the same room with [media] audio-level=false: no a=extmap in the
answer, and the tone of "muted-by-level" is heard like any other."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import ivrpeer  # noqa: E402
import mcutest  # noqa: E402
import sipua  # noqa: E402

RATE = ivrpeer.RATE
URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
TALK = 4.0    # seconds every caller is in the room together
SETTLE = 1.0  # the first second: joins, jitter buffers

BASE = ("v=0\r\no=lvl 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")

CALLERS = [
    # name, tone (Hz), a=extmap line (None: not offered), extension block
    ("muted-by-level", 1000, "a=extmap:1 %s" % URI, ivrpeer.level_extension(1, 127, voice=True)),
    ("no-voice", 1300, "a=extmap:7 %s vad=on" % URI,
     ivrpeer.level_extension(7, 20, voice=False, two_byte=True)),
    ("loud", 1500, "a=extmap:3/sendonly %s vad=on" % URI,
     ivrpeer.level_extension(3, 10, voice=True, two_byte=True)),
    ("plain", 700, None, b""),
    ("late-offer", 1700, "late", ivrpeer.level_extension(1, 127, voice=True)),
    ("ear", 0, None, b""),
]
HEARD = {"muted-by-level": False, "no-voice": False, "loud": True, "plain": True,
         "late-offer": False}

checks = mcutest.Failures()


def offer(extmap):
    return BASE + (extmap + "\r\n" if extmap else "") + "a=sendrecv\r\n"


def late_call(ua, ruri, peer):
    """INVITE without SDP; ACK with an answer taking the audio level under
    id 1 from the server's offer; starts @peer. The dialog dict (its
    "answer" is the server's offer), or None."""
    call_id, tag = "%s@lvl" % sipua._token(), sipua._token()
    r = ua.request("INVITE", ruri, "<%s>" % ruri, call_id=call_id, from_tag=tag)
    if r is None or r.status >= 300:
        return None
    target = re.sub(r"^.*<|>.*$", "", r.h("contact")) or ruri
    ack = offer("a=extmap:1 %s vad=on" % URI) % peer.port
    ua.send("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
            "From: <sip:%s@127.0.0.1>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\n"
            "Max-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s"
            % (target, ua.port, sipua._token(), ua.user, tag, r.h("to"), call_id, len(ack), ack))
    peer.talk(sipua.sdp_audio_peer(r.body), 101)
    return {"call_id": call_id, "from_tag": tag, "to": r.h("to"), "ruri": ruri, "cseq": 1,
            "target": target, "answer": r.body}


def run_room(srv, room):
    """Every caller in @room for TALK seconds: {name: (answer, heard samples)}."""
    out, parties = {}, []
    try:
        for name, tone, extmap, ext in CALLERS:
            ua = sipua.SipUA(srv.port, name.replace("-", ""))
            peer = ivrpeer.Peer(tone=tone, amplitude=0.2, extension=ext)
            parties.append((name, ua, peer))
            if extmap == "late":
                d = late_call(ua, srv.uri(room), peer)
                status = "late offer"
            else:
                d, status = ivrpeer.call(ua, srv.uri(room), peer, offer=offer(extmap))
            if not checks.check(d is not None, "%s joins (%s)" % (name, status)):
                return None
            out[name] = [d["answer"], None, d, ua]
        start = time.monotonic()
        time.sleep(TALK)
        for name, ua, peer in parties:
            out[name][1] = peer.heard(since=start + SETTLE)
    finally:
        for name, ua, peer in parties:
            if name in out:
                ua.in_dialog(out[name][2], "BYE")
            peer.close()
            ua.close()
    return out


# The peers are Python threads: on a loaded machine one of them now and
# then sends late (seen: a caller's tone in 86-88 % of the windows at a
# load average of 20, everyone's listener alike). Heard = in 80 % of the
# windows (a caller left out of the mix is in none); absent is judged in
# the windows where a heard caller's tone is there to compare with.
PRESENT_SHARE = 0.8


def hears(samples, tone):
    share = audiocheck.tone_presence(samples, RATE, tone)
    print("%d Hz present in %.0f%% of 100 ms windows" % (tone, 100 * share))
    return share >= PRESENT_SHARE


def silent_to(samples, tone, others):
    """@tone at least 25 dB below the loudest of @others in 90 % of the
    windows where one of @others is present (and those are most)."""
    levels = audiocheck.tone_levels(samples, RATE, [tone] + list(others))
    loudest = levels[:, 1:].max(axis=1)
    rows = levels[loudest >= audiocheck.PRESENT_DBFS]
    if len(rows) < PRESENT_SHARE * len(levels) or len(rows) == 0:
        print("%d Hz: only %d of %d windows have a heard tone to compare with"
              % (tone, len(rows), len(levels)))
        return False
    ok = rows[:, 0] <= rows[:, 1:].max(axis=1) - audiocheck.ABSENT_MARGIN_DB
    if ok.mean() < 0.9:
        print("%d Hz not absent in %.0f%% of %d windows (loudest %.1f dBFS)"
              % (tone, 100 * (1 - ok.mean()), len(rows), rows[:, 0].max()))
        return False
    return True


def check_answers(out):
    for name, tone, extmap, ext in CALLERS:
        answer = out[name][0]
        got = re.findall(r"^a=extmap:(\S+) (\S+)(.*?)\r?$", answer, re.M)
        if extmap is None:
            checks.check(not got, "%s: no a=extmap in the answer (%s)" % (name, got))
            continue
        if extmap == "late":
            checks.check(got == [("1", URI, " vad=on")],
                         "%s: our offer carries a=extmap:1 %s vad=on (%s)" % (name, URI, got))
            continue
        want = re.match(r"a=extmap:(\d+)(/sendonly)?", extmap)
        want_id = want.group(1) + ("/recvonly" if want.group(2) else "")
        checks.check(len(got) == 1 and got[0][0] == want_id and got[0][1] == URI and
                     ("vad=on" in got[0][2]) == ("vad=on" in extmap),
                     "%s: the answer takes the audio level as a=extmap:%s (%s)" % (name, want_id, got))


def check_mix(out):
    tones = {name: tone for name, tone, _, _ in CALLERS if tone}
    for listener in tones.keys() | {"ear"}:
        samples = out[listener][1]
        heard = [t for n, t in tones.items() if n != listener and HEARD[n]]
        if listener in tones:
            checks.check(silent_to(samples, tones[listener], heard),
                         "%s does not hear itself" % listener)
        for n, t in tones.items():
            if n == listener:
                continue
            if HEARD[n]:
                checks.check(hears(samples, t), "%s hears %s (%d Hz)" % (listener, n, t))
            else:
                checks.check(silent_to(samples, t, heard),
                             "%s does not hear %s (%d Hz, its packets say silent)" % (listener, n, t))


def main():
    with mcutest.McuServer() as srv:
        out = run_room(srv, "7100")
        if out:
            check_answers(out)
            check_mix(out)
        checks.check(srv.alive(), "server still running")

    # the key off: no extension negotiated, the decoded level decides
    srv = mcutest.McuServer()
    with open(srv.config) as f:
        text = f.read()
    with open(srv.config, "w") as f:
        f.write(text.replace("[media]\n", "[media]\naudio-level=false\n", 1))
    with srv:
        out = run_room(srv, "7101")
        if out:
            checks.check("a=extmap" not in out["muted-by-level"][0],
                         "audio-level=false: no a=extmap in the answer")
            checks.check(hears(out["ear"][1], 1000),
                         "audio-level=false: ear hears muted-by-level's tone (decoded level)")
        checks.check(srv.alive(), "server still running (audio-level=false)")
    checks.exit()


if __name__ == "__main__":
    main()
