# SPDX-License-Identifier: LGPL-2.1-or-later
"""A dial-out with [media] srtp=mandatory offers SRTP on every line, video
included: the server dials baresip (video, srtp module, `mediaenc
srtp-mand`, auto answer) over TLS into room 1000 (POST
/v1/rooms/1000/participants). baresip's SIP trace (-s) must show the
server's INVITE with `m=audio ... RTP/SAVP` and `m=video ... RTP/SAVP`,
each with its own a=crypto; the server must log the answered video as
SRTP; and the picture baresip saves of what it receives (so decrypts with
the key the server offered) must be its own colour bars coming back
through the room's mix (self-view: the server decrypted them with
baresip's key and encrypted the mix again), not a plain name tile. No key
in the server's log. Before that, a dial-out to baresip over UDP (where
the keys would travel in clear) is refused with 409 srtp-needs-tls and
sends nothing.

baresip puts its primary address into SDP, so the server runs in one network
namespace and the phone in another (netns.py): no packet leaves the
machine. Needs root, baresip and baresip-ffmpeg (avcodec.so); skipped (exit
77) otherwise."""

import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import baresip  # noqa: E402
import mcutest  # noqa: E402
import netns  # noqa: E402
import videocheck as vc  # noqa: E402
from controlclient import Control  # noqa: E402
from tlsua import make_certificate  # noqa: E402

BARESIP_SECONDS = 14
TLS_PORT = 5061  # the server's, inside the test's own namespace
PHONE_TLS_PORT = 5063  # baresip listens for TLS one above its sip_listen port


def sdp_lines(trace, first_line):
    """The SDP body of the first message in baresip's trace whose first
    line starts with @first_line, as a list of lines."""
    start = trace.find("\n" + first_line)
    if start < 0:
        return []
    end = trace.find("\nTLS ", start + 1)  # the next traced message
    body = trace[start:end if end > 0 else len(trace)]
    return [x.strip() for x in body.splitlines() if re.match(r"\s*[a-z]=", x)]


def media_sections(lines):
    """{"audio": [lines], "video": [lines]} of an SDP's m-sections."""
    out, current = {}, None
    for x in lines:
        if x.startswith("m="):
            current = x[2:].split()[0]
            out[current] = [x]
        elif current:
            out[current].append(x)
    return out


def bars_snapshot(bs, snapdir, deadline):
    """Asks baresip for a snapshot of the video it receives every second
    until one shows a picture (luma stddev over 30: its colour bars) or
    @deadline; returns (path, stddev) of the last one read, or (None, 0)."""
    last = (None, 0.0)
    n = 0
    while time.monotonic() < deadline and bs.poll() is None:
        n += 1
        path = os.path.join(snapdir, "recv-%d.png" % n)
        try:
            bs.stdin.write("/snapshot_recv %s\n" % path)
            bs.stdin.flush()
        except (BrokenPipeError, OSError):
            break
        if mcutest.poll_until(lambda: os.path.exists(path) and os.path.getsize(path) > 0, 1.5):
            time.sleep(0.1)  # libpng closes the file right after the rows
            try:
                w, h, rows = vc.read_png(path)
                last = (path, vc.region_stddev(rows, *baresip.tile_rect(w, h, "1x1", 0)))
            except (ValueError, OSError, Exception) as e:  # noqa: B014 (half-written file)
                print("cannot read %s: %s" % (path, e))
            if last[1] > 30:
                break
        time.sleep(0.5)
    return last


def main():
    baresip.require(video=True)
    checks = mcutest.Failures()
    conf, _ = baresip.make_conf("mcu-srtp-dialout-", snd=False)
    with netns.NetnsPair() as n:
        cert, key = make_certificate(conf, "server", cn=n.server_ip)
        # baresip listens for TLS only with a certificate of its own
        phone_cert, phone_key = make_certificate(conf, "phone", cn=n.phone_ip)
        phone_pem = os.path.join(conf, "phone-both.pem")
        with open(phone_pem, "w") as f:
            f.write(open(phone_cert).read() + open(phone_key).read())
        baresip.write_conf(conf, "<sip:baresip@%s>;regint=0;mediaenc=srtp-mand;answermode=auto"
                           % n.phone_ip, ip=n.phone_ip, dev=n.veth_p, g722=False, video=True,
                           modules=["srtp"],
                           sip_extra="sip_cafile %s\nsip_certificate %s\n" % (cert, phone_pem))
        with mcutest.McuServer(listen=n.server_ip, prefix=n.server_cmd([]),
                               transports="udp,tcp,tls", sip_extra="tls-port=%d\n" % TLS_PORT,
                               extra="[tls]\ncertificate=%s\nkey=%s\n[media]\nsrtp=mandatory\n"
                               % (cert, key)) as srv:
            args = baresip.cmd(n, conf, BARESIP_SECONDS)
            args.insert(args.index("-t"), "-s")  # SIP trace on stdout
            trace_path = os.path.join(conf, "baresip.log")
            bs = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=open(trace_path, "w"),
                                  stderr=subprocess.STDOUT, text=True, cwd=conf)
            ready = mcutest.poll_until(lambda: "baresip is ready" in open(trace_path).read(), 10)
            checks.check(ready, "baresip is up")
            ctl = Control(srv.control_socket)
            # over UDP the keys would travel in clear: refused before ringing
            s, body = ctl.call("POST", "/v1/rooms/1000/participants",
                               {"uri": "sip:baresip@%s:5062" % n.phone_ip})
            err = body.get("error", {}) if isinstance(body, dict) else {}
            checks.check(s == 409 and err.get("code") == "srtp-needs-tls"
                         and "not reached over TLS" in err.get("message", ""),
                         "a dial-out over UDP with srtp=mandatory: 409 srtp-needs-tls (%s %s)"
                         % (s, body))
            target = "sip:baresip@%s:%d;transport=tls" % (n.phone_ip, PHONE_TLS_PORT)
            s, body = ctl.call("POST", "/v1/rooms/1000/participants", {"uri": target})
            checks.check(s == 202, "POST participants (dial baresip over TLS): 202 (%s)" % body)
            joined = mcutest.poll_until(lambda: "answered and joined room 1000" in srv.log_text(),
                                        10)
            checks.check(joined, "baresip answered and joined room 1000")
            path, spread = bars_snapshot(bs, conf, time.monotonic() + BARESIP_SECONDS - 6)
            try:
                bs.wait(BARESIP_SECONDS + 15)
            except subprocess.TimeoutExpired:
                bs.kill()
            log = srv.log_text()
            checks.check(srv.alive(), "server still running")
        trace = open(trace_path, errors="replace").read()
        checks.check(trace.count("INVITE sip:baresip@") == 1 and "\nUDP " not in trace,
                     "baresip got one INVITE, over TLS, and nothing over UDP")
        offer = media_sections(sdp_lines(trace, "INVITE sip:baresip@"))
        for kind in ("audio", "video"):
            section = offer.get(kind, [])
            checks.check(section and " RTP/SAVP " in section[0]
                         and any(x.startswith("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:")
                                 for x in section),
                         "the server's offer: %s RTP/SAVP with a=crypto (%s)"
                         % (kind, section[:1]))
        keys = [x for lines in offer.values() for x in lines if x.startswith("a=crypto")]
        checks.check(len(keys) == 2 and keys[0] != keys[1], "a key of its own for each line")
        checks.check(re.search(r"dialling sip:baresip@\S+;transport=tls into room 1000", log)
                     and re.search(r"audio \S+ pt \d+ ptime \d+, SRTP AES_CM_128_HMAC_SHA1_80", log),
                     "the server dialled over TLS, audio answered SRTP (server log)")
        checks.check(re.search(r"video H264 \d+x\d+, SRTP AES_CM_128_HMAC_SHA1_80", log),
                     "the answered video is SRTP (server log)")
        checks.check("a=crypto" not in log and "inline:" not in log,
                     "no SDES key in the server's log")
        if checks.check(path is not None, "baresip saved a PNG of the video it received "
                        "(it decrypted the server's SRTP video)"):
            checks.check(spread > 30, "it shows baresip's own colour bars coming back through the "
                         "mix, not a plain tile (luma stddev %.1f)" % spread)
        else:
            print(trace[-3000:])
            print(log[-3000:])
    shutil.rmtree(conf, ignore_errors=True)
    checks.exit()


if __name__ == "__main__":
    main()
