# SPDX-License-Identifier: LGPL-2.1-or-later
"""baresip (1.0.0, libre 1.1.0) with `mediaenc=srtp-mand` over TLS, both
ways, each time with media checked in both directions:

1. dial_in: baresip dials room 1000 over TLS, where an mcu-test-caller
   (plain UDP, PCMU, 1000 Hz) waits; each hears the other (baresip sends
   ausine 440 Hz). The SDES keys travel over TLS, so the server takes them
   without srtp-allow-insecure-keys, and its log says the call's audio is
   SRTP.
2. registered: baresip REGISTERs over TLS as bob (digest); an
   mcu-test-caller over TLS with SRTP (1000 Hz) waits in room 1000; `mcuctl
   dial 1000 bob` makes the server ([media] srtp=mandatory) call bob: the
   INVITE must reach baresip over TLS at the Contact it registered
   (`;transport=tls`, its TLS port 5063: the server connects there, as
   RFC 3261 has it without outbound), offering RTP/SAVP with a key;
   baresip auto-answers with SRTP and each side hears the other. Both
   calls are PCMU, and a capture on the phones' interface (udpsniff.py)
   shows only SRTP on them: every packet has the 10-byte tag and the
   payload bytes are uniform, the tones are not to be found (the control:
   phase 1's clear PCMU caller, captured the same way, is far from
   uniform).

The server's certificate is a throwaway self-signed one for its address,
given to baresip as sip_cafile; baresip listens for TLS (and so puts a TLS
Contact in its REGISTER) only with a certificate of its own.

Why the server challenges with MD5 only here ([auth] algorithms=md5):
libre 1.1.0 gives up on a 401 that carries any challenge other than MD5
("reg: ...: Register: Function not implemented", ENOSYS, after the first
REGISTER and its 401: the SIP trace with -s shows both). Its
src/sip/auth.c, auth_handler(), run by sip_auth_authenticate() for every
WWW-Authenticate header in turn, has

    if (pl_isset(&ch.algorithm) && pl_strcasecmp(&ch.algorithm, "md5")) {
            err = ENOSYS;
            goto out;
    }

(lines 138-141 of the pre-SHA-256 auth.c; SHA-256 came in later libre
versions) and sip_msg_hdr_apply() stops at the first header whose handler
fails, so the default challenge list (MD5 and SHA-256, RFC 8760) fails
even though the MD5 one comes first. Nothing TLS-specific: the same
happens over UDP (test_baresip_b2b.py uses algorithms=md5 for the same
reason).

baresip puts its primary address into SDP, so the server runs in one network
namespace and the phones in another (netns.py): no packet leaves the
machine. Needs root; skipped (exit 77) otherwise."""

import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import baresip  # noqa: E402
import mcutest  # noqa: E402
import netns  # noqa: E402
from controlclient import Control  # noqa: E402
from tlsua import make_certificate  # noqa: E402

CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
SNIFF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "udpsniff.py")
MCUCTL = os.environ.get("MCUCTL_BIN", os.path.join(os.path.dirname(mcutest.MCU_BIN), "mcuctl"))
PASSWORD = "bob-secret"
BARESIP_SECONDS = 8
TLS_PORT = 5061  # inside the test's own namespace
PHONE_TLS_PORT = 5063  # baresip listens for TLS one above its sip_listen port



def start_sniffer(n, path):
    """udpsniff.py on the phones' end of the veth pair (both phones' RTP and
    the server's go through it)."""
    p = subprocess.Popen(n.phone_cmd([sys.executable, SNIFF, n.veth_p, path]),
                         stdout=subprocess.PIPE, text=True)
    p.stdout.readline()  # "ready"
    return p


def stop_sniffer(p, path):
    """The captured UDP packets as (src port, dst port, payload)."""
    p.terminate()
    p.wait(10)
    with open(path) as f:
        return [(a, b, bytes.fromhex(h)) for a, b, h in (json.loads(x) for x in f)]


def pcmu_flows(packets, srv):
    """The PCMU RTP (or SRTP) packets of each call, keyed by the server's
    RTP port: count, the usual size (None if under 95 %% of them have it)
    and how far the first 160 payload bytes are from uniform (chi-square
    per degree of freedom: ~1 for encrypted bytes, far above for a clear
    tone), as in test_srtp.py."""
    flows = {}
    for sport, dport, data in packets:
        port = sport if srv.rtp_min <= sport <= srv.rtp_max else dport
        if not srv.rtp_min <= port <= srv.rtp_max or len(data) < 172 or data[0] >> 6 != 2 \
                or data[1] & 0x7f != 0:
            continue
        f = flows.setdefault(port, {"n": 0, "sizes": {}, "counts": [0] * 256})
        f["n"] += 1
        f["sizes"][len(data)] = f["sizes"].get(len(data), 0) + 1
        for b in data[12:172]:
            f["counts"][b] += 1
    out = {}
    for port, f in flows.items():
        total = sum(f["counts"])
        chi = sum((c - total / 256.0) ** 2 / (total / 256.0) for c in f["counts"]) / 255.0
        size = max(f["sizes"], key=f["sizes"].get)
        out[port] = (f["n"], size if f["sizes"][size] >= 0.95 * f["n"] else None, chi)
    return out


def dial_in(n, conf, cert, key, phone_pem, checks):
    """Phase 1: baresip dials room 1000 over TLS (see the docstring)."""
    snd = os.path.join(conf, "snd-dial-in")
    os.mkdir(snd)
    baresip.write_conf(conf, "<sip:bob@%s;transport=tls>;regint=0;mediaenc=srtp-mand"
                       % n.server_ip, ip=n.phone_ip, snd=snd, dev=n.veth_p, modules=["srtp"],
                       sip_extra="sip_cafile %s\nsip_certificate %s\n" % (cert, phone_pem))
    with mcutest.McuServer(listen=n.server_ip, prefix=n.server_cmd([]),
                           transports="udp,tcp,tls", sip_extra="tls-port=%d\n" % TLS_PORT,
                           extra="[tls]\ncertificate=%s\nkey=%s\n" % (cert, key)) as srv:
        cap = os.path.join(conf, "dial-in.jsonl")
        sniffer = start_sniffer(n, cap)
        tc_wav = os.path.join(conf, "caller.wav")
        tc = subprocess.Popen(n.phone_cmd(
            [CALLER, "--uri", srv.uri("1000"), "--local-ip", n.phone_ip, "--codec", "pcmu",
             "--tone", "1000", "--duration", str(BARESIP_SECONDS + 4), "--record", tc_wav,
             "--display-name", "caller"]))
        room = "sip:1000@%s:%d;transport=tls" % (n.server_ip, TLS_PORT)
        bs = subprocess.Popen(baresip.cmd(n, conf, BARESIP_SECONDS, dial=room),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = bs.communicate(timeout=60)[0]
        tc.wait(30)
        flows = pcmu_flows(stop_sniffer(sniffer, cap), srv)
        log = srv.log_text()
        lines = [x for x in log.splitlines() if "INVITE for 1000 from sip:bob@" in x]
        checks.check(len(lines) == 1 and lines[0].endswith(" over TLS")
                     and "call ended (BYE)" in log,
                     "dial-in: baresip joined room 1000 over TLS and hung up with BYE (%s)" % lines)
        checks.check(tc.returncode == 0, "dial-in: test caller completed (exit %s)" % tc.returncode)
        srtp = [x for x in log.splitlines() if "[call " in x and "SRTP AES_CM_128_HMAC_SHA1_80" in x]
        checks.check(len(srtp) == 1, "dial-in: baresip's audio is SRTP, keyed over TLS (%s)" % srtp)
    # the control for phase 2's capture: the clear caller's PCMU (172-byte
    # packets, no tag) is plainly not random (baresip's leg here is Opus)
    clear = [f for f in flows.values() if f[1] == 172]
    checks.check(len(clear) == 1 and clear[0][0] > 300 and clear[0][2] > 20,
                 "dial-in: the capture shows the clear UDP caller's PCMU as such (control: %s)"
                 % flows)
    check_media(snd, tc_wav, out, log, checks, "dial-in")


def check_media(snd, tc_wav, out, log, checks, phase, caller_span=None):
    """baresip heard the test caller's 1000 Hz and the caller baresip's 440 Hz
    (during @caller_span of its recording, in seconds, if given)."""
    decoded = baresip.recordings(snd)
    if not checks.check(len(decoded) == 1, "%s: baresip recorded what it heard" % phase):
        print(out[-3000:])
        print(log[-5000:])
        return
    rate, heard = audiocheck.read_wav(decoded[0])
    end = len(heard) / rate - 0.3
    share = audiocheck.tone_presence(heard, rate, 1000, span=(0.5, end))
    checks.check(share >= 0.9, "%s: baresip hears the other caller's 1000 Hz (%.0f%% of windows)"
                 % (phase, 100 * share))
    if caller_span is None:
        baresip.check_caller_hears(tc_wav, BARESIP_SECONDS, checks)
        return
    rate, heard = audiocheck.read_wav(tc_wav)
    share = audiocheck.tone_presence(heard, rate, 440, span=caller_span)
    checks.check(share >= 0.9, "%s: the test caller hears baresip's 440 Hz (%.0f%% of windows "
                 "%.1f-%.1f s)" % (phase, 100 * share, caller_span[0], caller_span[1]))


def registered(n, conf, cert, key, phone_pem, checks):
    """Phase 2: baresip registers over TLS as bob and the room dials it."""
    snd = os.path.join(conf, "snd-registered")
    os.mkdir(snd)
    baresip.write_conf(conf, "<sip:bob@%s;transport=tls>;auth_pass=%s;regint=60;"
                       "mediaenc=srtp-mand;answermode=auto;audio_codecs=PCMU" % (n.server_ip, PASSWORD),
                       ip=n.phone_ip, snd=snd, dev=n.veth_p, modules=["srtp"],
                       # PCMU (for the capture's check) from ausine, which
                       # only makes 48 kHz stereo: baresip resamples its source
                       sip_extra="sip_cafile %s\nsip_certificate %s\nausrc_srate 48000\n"
                       "ausrc_channels 2\n" % (cert, phone_pem))
    users = "[auth]\nalgorithms=md5\n[user:bob]\npassword=%s\n[media]\nsrtp=mandatory\n" % PASSWORD
    with mcutest.McuServer(listen=n.server_ip, prefix=n.server_cmd([]),
                           transports="udp,tcp,tls", sip_extra="tls-port=%d\n" % TLS_PORT,
                           extra="[tls]\ncertificate=%s\nkey=%s\n%s" % (cert, key, users)) as srv:
        cap = os.path.join(conf, "registered.jsonl")
        sniffer = start_sniffer(n, cap)
        tc_wav = os.path.join(conf, "caller-srtp.wav")
        t_caller = time.monotonic()
        tc = subprocess.Popen(n.phone_cmd(
            [CALLER, "--uri", "sip:1000@%s:%d" % (n.server_ip, TLS_PORT), "--transport", "tls",
             "--tls-ca", cert, "--srtp", "--local-ip", n.phone_ip, "--codec", "pcmu",
             "--tone", "1000", "--duration", str(BARESIP_SECONDS + 6), "--record", tc_wav,
             "--display-name", "caller"]))
        joined = mcutest.poll_until(lambda: "joined room 1000" in srv.log_text(), 10)
        checks.check(joined, "registered: the SRTP test caller joined room 1000 over TLS")
        args = baresip.cmd(n, conf, BARESIP_SECONDS + 4)
        args.insert(args.index("-t"), "-s")  # SIP trace on stdout
        trace_path = os.path.join(conf, "baresip-registered.log")
        t_baresip = time.monotonic()
        bs = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=open(trace_path, "w"),
                              stderr=subprocess.STDOUT, text=True)
        reg = mcutest.poll_until(lambda: "bob now has 1 binding" in srv.log_text(), 10)
        checks.check(reg, "registered: baresip REGISTERed over TLS as bob (digest MD5)")
        regs = json.dumps(Control(srv.control_socket).get("/v1/registrations"))
        checks.check("transport=tls" in regs and "/tls" in regs,
                     "registered: bob's binding has a TLS Contact and came over TLS (%s)"
                     % regs[:400])
        dial = subprocess.run([MCUCTL, "--socket", srv.control_socket, "dial", "1000", "bob",
                               "--wait", "--timeout", "10"],
                              capture_output=True, text=True, timeout=30)
        t_answered = time.monotonic()
        checks.check(dial.returncode == 0, "registered: mcuctl dial 1000 bob: answered (exit %d %s%s)"
                     % (dial.returncode, dial.stdout, dial.stderr))
        try:
            bs.wait(BARESIP_SECONDS + 20)
        except subprocess.TimeoutExpired:
            bs.kill()
            bs.wait()
        tc.wait(30)
        flows = pcmu_flows(stop_sniffer(sniffer, cap), srv)
        checks.check(tc.returncode == 0, "registered: test caller completed (exit %s)"
                     % tc.returncode)
        log = srv.log_text()
        checks.check(srv.alive(), "registered: server still running")
    trace = open(trace_path, errors="replace").read()
    checks.check(trace.count("\nINVITE sip:bob") == 1 and "\nUDP " not in trace
                 and "\nTCP " not in trace,
                 "registered: baresip got one INVITE, and nothing over UDP or TCP")
    # libre's trace: "TLS FROM -> TO" then the message, up to the next ESC
    invite = re.search(r"^TLS %s:\d+ -> %s:(\d+)\n(INVITE sip:bob[^\x1b]*)"
                       % (re.escape(n.server_ip), re.escape(n.phone_ip)), trace, re.M)
    checks.check(invite and invite.group(1) == str(PHONE_TLS_PORT)
                 and ";transport=tls SIP/2.0" in invite.group(2).splitlines()[0],
                 "registered: the INVITE reached baresip over TLS at its registered TLS Contact "
                 "(%s)" % (invite and invite.group(0).splitlines()[:2]))
    offer = invite.group(2) if invite else ""
    checks.check(re.search(r"^m=audio \d+ RTP/SAVP ", offer, re.M)
                 and "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" in offer,
                 "registered: the server's offer is RTP/SAVP with a key")
    srtp = [x for x in log.splitlines() if "[call " in x and "SRTP AES_CM_128_HMAC_SHA1_80" in x]
    checks.check(len(srtp) == 2, "registered: both calls' audio is SRTP (%s)" % srtp)
    # both calls (baresip's and the test caller's) are PCMU: on the wire
    # every packet carries the 10-byte tag and no tone is findable in them
    checks.check(len(flows) == 2 and all(f[0] > 300 and f[1] == 182 and f[2] < 2.0
                                         for f in flows.values()),
                 "registered: the capture shows SRTP only, both ways, for both calls "
                 "(packets, size 172 + 10-byte tag, chi2/dof of the payload: %s)" % flows)
    # the test caller's recording while baresip was in the room (it quits
    # BARESIP_SECONDS + 4 s after it started), with a second's margin
    span = (t_answered - t_caller + 1.0,
            min(t_baresip + BARESIP_SECONDS + 4, t_caller + BARESIP_SECONDS + 6) - t_caller - 1.0)
    check_media(snd, tc_wav, trace, log, checks, "registered", caller_span=span)


def main():
    baresip.require()
    checks = mcutest.Failures()
    conf, _ = baresip.make_conf("mcu-baresip-tls-", snd=False)
    with netns.NetnsPair() as n:
        cert, key = make_certificate(conf, "server", cn=n.server_ip)
        phone_cert, phone_key = make_certificate(conf, "phone", cn=n.phone_ip)
        phone_pem = os.path.join(conf, "phone-both.pem")
        with open(phone_pem, "w") as f:
            f.write(open(phone_cert).read() + open(phone_key).read())
        dial_in(n, conf, cert, key, phone_pem, checks)
        registered(n, conf, cert, key, phone_pem, checks)
    shutil.rmtree(conf, ignore_errors=True)
    checks.exit()


if __name__ == "__main__":
    main()
