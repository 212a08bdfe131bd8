# SPDX-License-Identifier: LGPL-2.1-or-later
"""Calls to registered users through the server (the B2BUA): the full flow
with 100/180/200/ACK/BYE on both sides, audio both ways through the
two-party mix (different codecs on each side), hold on one side followed by
the other, parallel forking (first answer wins, the other contact gets
CANCEL), the best failure when all contacts fail, CANCEL from the caller,
480 when the user is not registered, 404 when there is no such user or
room, and dial-out into a room.

The caller side is sipp (it checks every response itself: sipp/b2b-*.xml)
or mcu-test-caller (audio); the callees are scripted UAs (sipua.py) or
mcu-test-caller --answer, registered with digest auth through sipua.py."""

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import mcutest  # noqa: E402
import sipua  # noqa: E402

CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
USERS = "[user:bob]\npassword=bob-secret\n[user:carol]\npassword=carol-secret\n"


def server(**kw):
    db = os.path.join(tempfile.mkdtemp(prefix="mcu-b2b-db-"), "mcu.db")
    return mcutest.McuServer(extra="[storage]\ndatabase=%s\n\n%s" % (db, USERS), **kw)


def flow_ok(checks, srv):
    """100/180/200/ACK/BYE on the caller's side (sipp), INVITE/ACK/BYE with
    the caller's name on the callee's."""
    with sipua.SipUA(srv.port, "bob", "bob-secret") as bob:
        bob.invite_policy = ("answer", 0.5)
        checks.check(bob.register() == 200, "bob registers (digest)")
        rc, out = sipua.run_sipp(srv.port, "b2b-call", "bob", pause_ms=1000)
        checks.check(rc == 0, "caller: 100, 180, 200 with SDP, ACK, BYE answered 200")
        if rc:
            print(out)
        got = bob.wait_for(lambda: [m.method for m in bob.received][:3] == ["INVITE", "ACK", "BYE"], 5)
        checks.check(got, "callee: INVITE, ACK, BYE (%s)" % [m.method for m in bob.received])
        inv = bob.requests("INVITE")
        checks.check(inv and inv[0].display() == "Alice" and "alice@" in inv[0].h("from"),
                     "callee sees the caller's name and URI in From")
        checks.check(inv and "m=audio" in inv[0].body and "a=rtpmap:0 PCMU" in inv[0].body
                     and "opus" in inv[0].body, "the callee gets the server's own offer")
        checks.check(bob.register(expires=0) == 200, "bob unregisters")


def forking(checks, srv):
    """Two contacts: one keeps ringing, one answers: the first gets CANCEL."""
    with sipua.SipUA(srv.port, "bob", "bob-secret") as desk, \
            sipua.SipUA(srv.port, "bob", "bob-secret") as mobile:
        desk.invite_policy = "ring"
        mobile.invite_policy = ("answer", 0.8)
        checks.check(desk.register() == 200 and mobile.register() == 200,
                     "bob registers two contacts")
        rc, out = sipua.run_sipp(srv.port, "b2b-call", "bob", pause_ms=500)
        checks.check(rc == 0, "forked call: caller gets 180 then 200, BYE answered")
        if rc:
            print(out)
        checks.check(desk.wait_for(lambda: desk.requests("CANCEL"), 5),
                     "the contact that did not answer gets CANCEL")
        checks.check(mobile.wait_for(lambda: mobile.requests("BYE"), 5) and mobile.requests("ACK"),
                     "the one that answered gets ACK, then BYE")
        checks.check(not desk.requests("BYE") and not mobile.requests("CANCEL"),
                     "no BYE to the cancelled one, no CANCEL to the winner")
        unreg = desk.register(expires=0) == 200 and mobile.register(expires=0) == 200
        checks.check(unreg, "both contacts unregister")


def failures(checks, srv):
    """All contacts fail: the best response (486 over 480); one rings and the
    caller cancels: 487 and CANCEL downstream; nobody registered: 480."""
    with sipua.SipUA(srv.port, "bob", "bob-secret") as a, \
            sipua.SipUA(srv.port, "bob", "bob-secret") as b:
        a.invite_policy = 480
        b.invite_policy = 486
        checks.check(a.register() == 200 and b.register() == 200, "bob: two contacts again")
        rc, out = sipua.run_sipp(srv.port, "b2b-busy", "bob")
        checks.check(rc == 0, "480 + 486 from the contacts: the caller gets 486")
        if rc:
            print(out)
        a.register(expires=0)
        b.register(expires=0)
    with sipua.SipUA(srv.port, "bob", "bob-secret") as bob:
        bob.invite_policy = "ring"
        checks.check(bob.register() == 200, "bob: one ringing contact")
        rc, out = sipua.run_sipp(srv.port, "b2b-cancel", "bob")
        checks.check(rc == 0, "caller CANCELs while it rings: 200 to CANCEL, 487 to INVITE")
        if rc:
            print(out)
        checks.check(bob.wait_for(lambda: bob.requests("CANCEL"), 5),
                     "the callee gets the CANCEL")
        bob.register(expires=0)
    rc, out = sipua.run_sipp(srv.port, "b2b-unavailable", "carol")
    checks.check(rc == 0, "a user without contacts: 480")
    if rc:
        print(out)


def media(checks, srv):
    """Audio both ways through the bridge: the caller sends Opus 440 Hz, the
    callee PCMU 1000 Hz; each hears the other and not itself. The caller
    holds (sendonly) from HOLD to RESUME: the callee is re-INVITEd sendonly
    too and hears nothing meanwhile."""
    hold, resume, duration = 3.0, 5.0, 8.0
    bport = mcutest.free_port()
    buri = "sip:bob@127.0.0.1:%d" % bport
    files = {n: os.path.join(srv.dir, n) for n in ("a.wav", "b.wav", "a.json", "b.json")}
    callee = subprocess.Popen([CALLER, "--answer", "--uri", buri, "--codec", "pcmu", "--tone", "1000",
                               "--record", files["b.wav"], "--report", files["b.json"],
                               "--display-name", "bob", "--timeout", "40"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        checks.check(mcutest.wait_udp_bound(bport), "bob's phone is up")
        with sipua.SipUA(srv.port, "bob", "bob-secret") as reg:
            ok = mcutest.poll_until(lambda: reg.register(contact=buri) == 200, 5, 0.2)
            checks.check(ok, "bob's phone registered at %s" % buri)
            caller = subprocess.run(
                [CALLER, "--uri", srv.uri("bob"), "--codec", "opus", "--tone", "440",
                 "--duration", str(duration), "--record", files["a.wav"], "--report", files["a.json"],
                 "--display-name", "alice", "--from-user", "alice",
                 "--hold-at", str(hold), "--resume-at", str(resume)],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=duration + 30)
            out_b = callee.communicate(timeout=20)[0]
            reg.register(contact=buri, expires=0)
    finally:
        if callee.poll() is None:
            callee.kill()
            callee.wait()
    checks.check(caller.returncode == 0, "caller's call completed (exit %d)" % caller.returncode)
    checks.check(callee.returncode == 0, "callee answered and saw the BYE (exit %d)" % callee.returncode)
    if caller.returncode or callee.returncode:
        print(caller.stdout[-3000:], out_b[-3000:])
        print("\n".join(line for line in srv.log_text().splitlines()[-300:]
                        if "mcu-sofia" not in line)[-6000:])
        return
    with open(files["a.json"]) as f:
        ra = json.load(f)
    with open(files["b.json"]) as f:
        rb = json.load(f)
    checks.check(ra["codec"] == "opus" and rb["codec"] == "pcmu",
                 "each side speaks its own codec (%s / %s)" % (ra["codec"], rb["codec"]))
    checks.check(ra.get("reinvite_statuses") == [200, 200], "hold and resume answered 200")
    log = srv.log_text()
    checks.check("caller side now sendonly: re-offering" in log and
                 "caller side now sendrecv: re-offering" in log,
                 "the callee's leg follows the hold and the resume")
    offset = rb["media_start_unix"] - ra["media_start_unix"]
    rate, a_heard = audiocheck.read_wav(files["a.wav"])
    rate_b, b_heard = audiocheck.read_wav(files["b.wav"])
    # each on its own: a failure must not hide how the rest of the call went
    audio = [
        (audiocheck.assert_tone_present, a_heard, rate, 1000,
         dict(span=(1.0, hold - 0.3), what="caller hears the callee")),
        (audiocheck.assert_tone_absent, a_heard, rate, 440,
         dict(present_freqs=(1000,), span=(1.0, hold - 0.3), what="caller hears itself")),
        (audiocheck.assert_tone_present, b_heard, rate_b, 440,
         dict(span=(1.0 - offset, hold - offset - 0.3), what="callee hears the caller")),
        (audiocheck.assert_tone_absent, b_heard, rate_b, 1000,
         dict(present_freqs=(440,), span=(1.0 - offset, hold - offset - 0.3), what="callee hears itself")),
        (audiocheck.assert_tone_absent, b_heard, rate_b, 440,
         dict(span=(hold - offset + 0.5, resume - offset - 0.2), what="callee hears the caller while on hold")),
        (audiocheck.assert_tone_present, b_heard, rate_b, 440,
         dict(span=(resume - offset + 0.6, duration - offset - 0.5),
              what="callee hears the caller after the resume")),
    ]
    failed = False
    for check, samples, r, freq, kw in audio:
        try:
            check(samples, r, freq, **kw)
            checks.check(True, "bridged call: %s: %s" % (
                kw["what"], "yes" if check is audiocheck.assert_tone_present else "no"))
        except AssertionError as e:
            checks.check(False, str(e))
            failed = True
    if failed:
        print_peers(srv, {"caller": ra, "callee": rb})


def print_peers(srv, reports):
    """After a failed audio check: where each test peer received (a port
    inside the server's RTP range gets StrayRtp's packets too: they are
    the "other payload type" ones and, of the peer's own type, recorded
    instead of the server's), and where the files are."""
    for name, r in reports.items():
        port = r.get("local_rtp_port", 0)
        print("# %s: RTP port %d%s, %d packets received, %d of another payload type"
              % (name, port, " INSIDE the server's range %d-%d" % (srv.rtp_min, srv.rtp_max)
                 if srv.rtp_min <= port <= srv.rtp_max else "", r.get("rtp_packets_received", 0),
                 r.get("rtp_packets_dropped", 0)))
    print("# the calls' recordings, reports and the server log: %s" % srv.dir)


class StrayRtp:
    """A stray RTP stream at every port of the server's media range: valid
    PCMU and Opus silence from one socket, each port every 60 ms, as an old
    call's sender still going (or another server's) would send. A call must
    keep its own peer's audio both ways: the server may neither take the
    stray for the caller nor send the room to it. Only what comes from the
    daemon's own sockets counts: other tests' servers on this machine may
    use ports in the same range and send to any port (the stray's is an
    ephemeral one)."""

    def __init__(self, srv):
        self.ports = range(srv.rtp_min + (srv.rtp_min & 1), srv.rtp_max, 2)
        self.pid = srv.proc.pid
        self.server_ports = set()  # UDP ports the daemon had open (sampled)
        self.from_ports = {}  # source port -> packets, from 127.0.0.1
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.001)
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sample_server_ports(self):
        inodes = set()
        fd_dir = "/proc/%d/fd" % self.pid
        try:
            for fd in os.listdir(fd_dir):
                target = os.readlink(os.path.join(fd_dir, fd))
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
            with open("/proc/net/udp") as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    if fields[9] in inodes:
                        self.server_ports.add(int(fields[1].split(":")[1], 16))
        except OSError:
            pass  # the daemon is gone

    @property
    def received(self):
        return sum(n for port, n in self.from_ports.items() if port in self.server_ports)

    @property
    def senders(self):
        return {port: n for port, n in self.from_ports.items() if port in self.server_ports}

    def _run(self):
        seq = 0
        next_sample = 0
        payloads = ((0, b"\xff" * 160), (111, b"\xf8\xff\xfe"))
        while self.running:
            seq = (seq + 1) & 0xFFFF
            pt, payload = payloads[seq & 1]
            packet = struct.pack("!BBHII", 0x80, pt, seq, seq * 960, 0x5EA5EA + pt) + payload
            for port in self.ports:
                self.sock.sendto(packet, ("127.0.0.1", port))
            if time.monotonic() >= next_sample:
                self._sample_server_ports()
                next_sample = time.monotonic() + 0.25
            deadline = time.monotonic() + 0.03
            while time.monotonic() < deadline:
                try:
                    _, (host, port) = self.sock.recvfrom(2048)
                    if host == "127.0.0.1":
                        self.from_ports[port] = self.from_ports.get(port, 0) + 1
                except (socket.timeout, BlockingIOError):
                    pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.sock.close()
        return False


def check_stray(checks, stray, what):
    # None at all: the SDP names the peer's address:port, so no other source
    # is taken for it (a NAT's only after 2 s of silence from the SDP's).
    checks.check(stray.received == 0, "%s: the stray RTP source got %d packets from the server "
                 "(the audio goes to the peers; from server ports %s)"
                 % (what, stray.received, sorted(stray.senders.items())))


def dial_out(checks, srv):
    """Dial-out into a room through the control socket: the answering phone
    joins the room's mix and hears the room; From carries the room. The
    phone starts its RTP 0.5 s after its 200 (as phones do, once they have
    the ACK) while a stray stream hits every port: the server sends to the
    phone's SDP address only, never to the stray."""
    import controlclient
    ctl = controlclient.Control(srv.control_socket)
    with sipua.SipUA(srv.port, "bob", "bob-secret") as bob, StrayRtp(srv) as stray:
        bob.invite_policy = ("answer", 0.3)
        bob.rtp_talk = 0.5
        checks.check(bob.register() == 200, "bob registers for the dial-out")
        status, body = ctl.call("POST", "/v1/rooms/dial1/participants",
                                {"uri": "bob", "display": "Bob"})
        if status in (404, 405) and not bob.requests("INVITE"):
            print("SKIP - dial-out: POST /v1/rooms/{room}/participants not wired (status %d)" % status)
            return
        checks.check(200 <= status < 300, "dial-out accepted (%d %s)" % (status, body))
        got = bob.wait_for(lambda: bob.requests("ACK"), 5)
        checks.check(got, "bob's phone rang, answered, got the ACK")
        inv = bob.requests("INVITE")
        checks.check(inv and inv[0].display() == "dial1" and "sip:dial1@" in inv[0].h("from"),
                     "From names the room (%s)" % (inv[0].h("from") if inv else None))
        joined = mcutest.poll_until(lambda: "answered and joined room dial1" in srv.log_text(), 5)
        checks.check(joined, "the answered leg joined room dial1")
        st, parts = ctl.call("GET", "/v1/rooms/dial1/participants")
        names = [p.get("display") for p in (parts or {}).get("participants", [])]
        if not checks.check(st == 200 and "Bob" in names, "room dial1 lists Bob (%s)" % names):
            print("\n".join(line for line in srv.log_text().splitlines()
                            if "dial" in line or "Bob" in line)[-3000:])
        rtp = [d["rtp"] for d in bob.dialogs.values() if d.get("rtp")]
        heard = rtp and mcutest.poll_until(lambda: rtp[0].received >= 50, 5)
        checks.check(heard, "bob's phone gets the room's RTP at its SDP port (%d packets)"
                     % (rtp[0].received if rtp else 0))
        for p in (parts or {}).get("participants", []):
            ctl.call("DELETE", "/v1/rooms/dial1/participants/%d" % p["id"])
        checks.check(bob.wait_for(lambda: bob.requests("BYE"), 5), "bob is hung up")
        bob.register(expires=0)
    check_stray(checks, stray, "dial-out to a registered user")
    with StrayRtp(srv) as stray:
        dial_out_media(checks, srv, ctl)
    check_stray(checks, stray, "dial-out")


def dial_out_media(checks, srv, ctl):
    """A caller in room dial2 (Opus, 600 Hz); the room dials a phone by its
    SIP URI (PCMA, 800 Hz) while it talks: each hears the other."""
    duration = 7.0
    port = mcutest.free_port()
    uri = "sip:carl@127.0.0.1:%d" % port
    files = {n: os.path.join(srv.dir, n) for n in ("m.wav", "c.wav", "m.json", "c.json")}
    callee = subprocess.Popen([CALLER, "--answer", "--uri", uri, "--codec", "pcma", "--tone", "800",
                               "--record", files["c.wav"], "--report", files["c.json"],
                               "--display-name", "carl", "--timeout", "40"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    member = subprocess.Popen([CALLER, "--uri", srv.uri("dial2"), "--codec", "opus", "--tone", "600",
                               "--duration", str(duration), "--record", files["m.wav"],
                               "--report", files["m.json"], "--display-name", "member"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        checks.check(mcutest.wait_udp_bound(port), "carl's phone is up")
        joined = mcutest.poll_until(lambda: "joined room dial2" in srv.log_text(), 5)
        checks.check(joined, "a caller is in room dial2")
        status, body = ctl.call("POST", "/v1/rooms/dial2/participants", {"uri": uri, "display": "Carl"})
        checks.check(status == 202 and body.get("dial_id"), "dial-out to %s accepted (%s)" % (uri, body))
        out_m = member.communicate(timeout=duration + 20)[0]
        # the member's BYE leaves carl alone in the room: hang carl up
        st, parts = ctl.call("GET", "/v1/rooms/dial2/participants")
        for p in (parts or {}).get("participants", []):
            ctl.call("DELETE", "/v1/rooms/dial2/participants/%d" % p["id"])
        try:
            out_c = callee.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:  # never called (the dial failed), or never hung up
            callee.kill()
            out_c = callee.communicate()[0]
    finally:
        for p in (member, callee):
            if p.poll() is None:
                p.kill()
                p.wait()
    leg_lines = [line for line in srv.log_text().splitlines()
                 if " mcu [" in line and "[call %s" % (body or {}).get("dial_id", "?")[:24] in line]
    checks.check(leg_lines and all("[room dial2]" in line for line in leg_lines),
                 "the dial-out leg logs under its room, not the callee's name (%s)" % leg_lines[:3])
    checks.check(member.returncode == 0 and callee.returncode == 0,
                 "both calls completed (exits %d, %d)" % (member.returncode, callee.returncode))
    if member.returncode or callee.returncode:
        print(out_m[-2000:], out_c[-2000:])
        return
    with open(files["m.json"]) as f:
        rm = json.load(f)
    with open(files["c.json"]) as f:
        rc = json.load(f)
    offset = rc["media_start_unix"] - rm["media_start_unix"]
    rate, m_heard = audiocheck.read_wav(files["m.wav"])
    rate_c, c_heard = audiocheck.read_wav(files["c.wav"])
    try:
        audiocheck.assert_tone_present(m_heard, rate, 800, span=(offset + 1.0, duration - 0.5),
                                       what="the room hears the dialled phone")
        audiocheck.assert_tone_present(c_heard, rate_c, 600, span=(1.0, duration - offset - 0.5),
                                       what="the dialled phone hears the room")
        audiocheck.assert_tone_absent(c_heard, rate_c, 800, present_freqs=(600,),
                                      span=(1.0, duration - offset - 0.5),
                                      what="the dialled phone hears itself")
        checks.check(True, "dial-out: the answered phone is in the room's mix both ways")
    except AssertionError as e:
        checks.check(False, str(e))
        print_peers(srv, {"member": rm, "dialled phone": rc})


def not_found(checks):
    with server(rooms_auto_create=False) as srv:
        rc, out = sipua.run_sipp(srv.port, "not_found", "nobody")
        checks.check(rc == 0, "no such user and no such room: 404")
        if rc:
            print(out)


def main():
    checks = mcutest.Failures()
    with server() as srv:
        flow_ok(checks, srv)
        forking(checks, srv)
        failures(checks, srv)
        with StrayRtp(srv) as stray:
            media(checks, srv)
        check_stray(checks, stray, "bridged call")
        dial_out(checks, srv)
    not_found(checks)
    checks.exit()


if __name__ == "__main__":
    main()
