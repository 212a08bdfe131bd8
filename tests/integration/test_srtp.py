# SPDX-License-Identifier: LGPL-2.1-or-later
"""SRTP with SDES keys (RFC 4568) end to end, with mcu-test-caller --srtp
(srtpenc/srtpdec) as the phone. Without TLS the test allows the keys over
UDP ([media] srtp-allow-insecure-keys=true).

One room, [media] srtp=optional: two SRTP callers (one of them re-keys with
a re-INVITE half-way), one clear RTP caller and one SRTP caller that
encrypts with another key than the one its SDP carries. Everyone hears the
others but the wrong-key caller, whom nobody hears (it still hears them);
a raw capture on lo shows the SRTP legs' payloads look random (and carry
the 10-byte auth tag) while the clear leg's PCMU tone is plainly structured;
no key shows up in the server's log. Then the policies: srtp=mandatory
serves SRTP callers (also a late offer: the server's own offer is RTP/SAVP)
and refuses clear RTP with 488 and a Warning, keys over UDP without
srtp-allow-insecure-keys get 488, srtp=off refuses an RTP/SAVP offer."""

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import mcutest  # noqa: E402

CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
DURATION = 9.0
REKEY_AT = 4.0
SETTLE = 1.0
ALLOW = "[media]\nsrtp=%s\nsrtp-allow-insecure-keys=%s\n"

checks = mcutest.Failures()


class Sniffer(threading.Thread):
    """Every UDP packet on lo from or to a port in [lo_port, hi_port]
    (AF_PACKET: needs root), as (src port, dst port, UDP payload)."""

    def __init__(self, lo_port, hi_port):
        super().__init__(daemon=True)
        self.lo, self.hi = lo_port, hi_port
        self.packets = []
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("lo", 0))
        self.sock.settimeout(0.2)
        self.running = True

    def run(self):
        while self.running:
            try:
                frame, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            if addr[2] == socket.PACKET_OUTGOING:
                continue  # lo shows each packet twice
            ip = frame[14:]
            if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
                continue
            udp = ip[(ip[0] & 15) * 4:]
            sport, dport = struct.unpack("!HH", udp[:4])
            if self.lo <= sport <= self.hi or self.lo <= dport <= self.hi:
                self.packets.append((sport, dport, bytes(udp[8:])))

    def stop(self):
        self.running = False
        self.join(2)
        self.sock.close()


def flow_stats(packets, port):
    """The RTP packets to and from a caller's RTP port: count, payload
    sizes, and how far the payload bytes are from uniform (chi-square per
    degree of freedom: ~1 for random bytes, far above for clear audio)."""
    counts = [0] * 256
    sizes = {}
    n = 0
    for sport, dport, data in packets:
        if port not in (sport, dport) or len(data) < 12 or data[0] >> 6 != 2:
            continue
        if data[1] & 0x7f != 0:  # PCMU only (not RTCP, not events)
            continue
        n += 1
        sizes[len(data)] = sizes.get(len(data), 0) + 1
        for b in data[12:172]:  # the 160 payload bytes (SRTP: + the tag)
            counts[b] += 1
    total = sum(counts)
    expected = total / 256.0 if total else 1
    chi = sum((c - expected) ** 2 / expected for c in counts) / 255.0 if total else 0
    # the 20 ms packets (a short first or last one aside)
    size = max(sizes, key=sizes.get) if sizes else 0
    return n, size if sizes.get(size, 0) >= 0.95 * n else None, chi


def start_caller(srv, name, tone, extra, duration=DURATION, expect=None):
    wav = os.path.join(srv.dir, name + ".wav")
    report = os.path.join(srv.dir, name + ".json")
    log = open(os.path.join(srv.dir, name + ".log"), "w")
    args = [CALLER, "--uri", srv.uri("1000"), "--codec", "pcmu", "--tone", str(tone),
            "--duration", str(duration), "--record", wav, "--report", report,
            "--display-name", name, "--timeout", str(duration + 15)] + extra
    if expect:
        args += ["--expect-status", str(expect)]
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    return {"name": name, "proc": proc, "wav": wav, "report": report, "tone": tone,
            "log": log.name}


def wait_caller(c):
    try:
        c["proc"].wait(DURATION + 20)
    except subprocess.TimeoutExpired:
        c["proc"].kill()
        c["proc"].wait()
    ok = checks.check(c["proc"].returncode == 0,
                      "%s: call completed (exit %s)" % (c["name"], c["proc"].returncode))
    if not ok:
        print(open(c["log"]).read())
    with open(c["report"]) as f:
        c["r"] = json.load(f)


def clip(c, o, span, end):
    """@span of o's call (seconds into o's call) in c's recording time,
    within the time both were up (callers start and stop a little apart)."""
    offset = o["r"]["media_start_unix"] - c["r"]["media_start_unix"]
    o_end = offset + o["r"]["call_seconds"] - 0.5
    return (max(span[0] + offset, span[0]), min(span[1] + offset, span[1], o_end, end))


def check_hearing(c, hears, not_hears, spans):
    rate, samples = audiocheck.read_wav(c["wav"])
    end = len(samples) / rate - 0.5
    try:
        for span in spans:
            for o in hears:
                audiocheck.assert_tone_present(samples, rate, o["tone"], span=clip(c, o, span, end),
                                               what="%s hears %s" % (c["name"], o["name"]))
            for o in not_hears:
                audiocheck.assert_tone_absent(samples, rate, o["tone"],
                                              present_freqs=[h["tone"] for h in hears],
                                              span=clip(c, o, span, end),
                                              what="%s must not hear %s" % (c["name"], o["name"]))
        checks.check(True, "%s hears %s%s in %s" % (
            c["name"], ", ".join(o["name"] for o in hears),
            ", not " + ", ".join(o["name"] for o in not_hears) if not_hears else "", spans))
    except AssertionError as e:
        checks.check(False, str(e))
        audiocheck.print_table(c["wav"], [440, 1000, 1300, 1900])


def room_test():
    with mcutest.McuServer(extra=ALLOW % ("optional", "true")) as srv:
        sniffer = Sniffer(srv.rtp_min, srv.rtp_max)
        sniffer.start()
        a = start_caller(srv, "srtp-a", 440, ["--srtp"])
        b = start_caller(srv, "srtp-b", 1000, ["--srtp", "--rekey-at", str(REKEY_AT)])
        c = start_caller(srv, "plain-c", 1300, [])
        d = start_caller(srv, "wrong-key-d", 1900, ["--srtp", "--srtp-wrong-key"])
        callers = [a, b, c, d]
        for x in callers:
            wait_caller(x)
        sniffer.stop()
        checks.check(srv.alive(), "server still running")
        log = srv.log_text()
        checks.check(log.count("SRTP AES_CM_128_HMAC_SHA1_80") >= 3,
                     "server log: three SRTP legs")
        checks.check("re-INVITE: sendrecv" in log, "server log: b's re-INVITE accepted")
        checks.check("inline:" not in log and "a=crypto" not in log,
                     "no SDES key in the server's log")

    # b re-keyed at REKEY_AT s into its call: check before and after
    before = (SETTLE, REKEY_AT - 0.3)
    after = (REKEY_AT + 1.0, DURATION)
    check_hearing(a, [b, c], [d], [before, after])
    check_hearing(c, [a, b], [d], [before, after])
    check_hearing(b, [a, c], [d], [before, after])
    check_hearing(d, [a, b, c], [], [before, after])

    for x in callers:
        n, size, chi = flow_stats(sniffer.packets, x["r"]["local_rtp_port"])
        x["flow"] = (n, size, chi)
        print("# %s: %d RTP packets, size %s, chi2/dof %.1f" % (x["name"], n, size, chi))
    n, size, chi = c["flow"]
    checks.check(n > 300 and size == 172 and chi > 20,
                 "the clear leg's PCMU is visible in the capture (control: chi2/dof %.1f)" % chi)
    for x in (a, b, d):
        n, size, chi = x["flow"]
        checks.check(n > 300 and size == 182 and chi < 2.0,
                     "%s: SRTP on the wire both ways (%d packets of 182 bytes = 160 + "
                     "12 + 10-byte tag, payload bytes uniform: chi2/dof %.2f)"
                     % (x["name"], n, chi))


def refused(mode, insecure, extra, expect_in_log, what):
    with mcutest.McuServer(extra=ALLOW % (mode, insecure)) as srv:
        x = start_caller(srv, "refused", 440, extra, duration=1, expect=488)
        wait_caller(x)
        log = srv.log_text()
        checks.check("rejecting: 488 Not Acceptable Here" in log and expect_in_log in log,
                     "%s: 488 with a Warning saying '%s'" % (what, expect_in_log))
        if mode == "mandatory":
            # one early offer, one late offer (the server's own offer is
            # RTP/SAVP with its key, the caller's key comes in the ACK)
            ok = start_caller(srv, "srtp-ok", 440, ["--srtp"], duration=4)
            late = start_caller(srv, "srtp-late", 1000, ["--srtp", "--late-offer"], duration=4)
            wait_caller(ok)
            wait_caller(late)
            check_hearing(ok, [late], [], [(SETTLE, 4.0)])
            check_hearing(late, [ok], [], [(SETTLE, 4.0)])
        checks.check(srv.alive(), "server still running")


def main():
    if os.geteuid() != 0:
        print("needs root for the raw capture on lo")
        sys.exit(1)
    room_test()
    refused("mandatory", "true", [], "SRTP required", "srtp=mandatory, clear RTP offer")
    refused("optional", "false", ["--srtp"], "accepted over TLS only",
            "SDES keys over UDP without srtp-allow-insecure-keys")
    refused("off", "true", ["--srtp"], "SRTP is off", "srtp=off, RTP/SAVP offer")
    checks.exit()


if __name__ == "__main__":
    main()
