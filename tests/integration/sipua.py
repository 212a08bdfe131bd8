# SPDX-License-Identifier: LGPL-2.1-or-later
"""A small scripted SIP user agent over UDP on 127.0.0.1, for tests that need
to see or shape individual SIP messages: REGISTER with digest (RFC 7616 /
2617, MD5, qop=auth), MESSAGE out and in, and a callee whose INVITE policy
the test picks (ring forever, ring then answer, reject). One thread
receives; requests are answered by policy and every message is recorded.
No retransmissions: loopback does not lose datagrams.

Like a real phone, every SDP it sends names an RTP port it has bound
(RtpPort: RTP and RTCP, counting what arrives), so the server's RTP never
goes to a port that someone else may hold; with rtp_talk set it also sends
PCMU silence from that port (symmetric RTP) while the call is up."""

import hashlib
import random
import re
import socket
import threading
import time

SDP_TEMPLATE = ("v=0\r\no=ua 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=%s\r\n")


def _token():
    return "%08x" % random.getrandbits(32)


class RtpPort:
    """An even RTP port and RTCP on the next one, bound on @ip; a thread
    counts what arrives on both and, once talk() was called, sends PCMU
    silence every 20 ms from the RTP socket to the peer it was given."""

    def __init__(self, ip="127.0.0.1", keep=False):
        """keep: also record every RTP packet received, as (monotonic
        time, bytes) in .packets."""
        for _ in range(100):
            rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            rtp.bind((ip, 0))
            port = rtp.getsockname()[1]
            rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                if port % 2:
                    raise OSError("odd")
                rtcp.bind((ip, port + 1))
                break
            except OSError:
                rtp.close()
                rtcp.close()
        else:
            raise RuntimeError("no free RTP/RTCP port pair")
        self.port, self.rtp, self.rtcp = port, rtp, rtcp
        for sock in (rtp, rtcp):
            sock.settimeout(0.005)
        self.received = 0  # RTP packets
        self.packets = [] if keep else None
        self.rtcp_received = 0
        self.peer = None  # (host, port) to send to, once talking
        self.talk_at = None
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def talk(self, peer, after=0.0):
        """Send to @peer from @after seconds from now on."""
        self.peer, self.talk_at = peer, time.monotonic() + after

    def _run(self):
        seq, ssrc, next_send = 0, random.getrandbits(32), time.monotonic()
        while self.running:
            for sock in (self.rtp, self.rtcp):
                try:
                    while True:
                        data = sock.recv(2048)
                        if not data:
                            break
                        if sock is self.rtp:
                            self.received += 1
                            if self.packets is not None:
                                self.packets.append((time.monotonic(), data))
                        else:
                            self.rtcp_received += 1
                except (socket.timeout, BlockingIOError, OSError):
                    pass
            now = time.monotonic()
            if self.peer and now >= self.talk_at and now >= next_send:
                seq = (seq + 1) & 0xFFFF
                header = bytes([0x80, 0, seq >> 8, seq & 0xFF]) + (seq * 160).to_bytes(4, "big") + \
                    ssrc.to_bytes(4, "big")
                try:
                    self.rtp.sendto(header + b"\xff" * 160, self.peer)
                except OSError:
                    pass
                next_send = max(next_send + 0.02, now - 0.1)

    def close(self):
        if not self.running:
            return
        self.running = False
        self.thread.join(2)
        self.rtp.close()
        self.rtcp.close()


def sdp_audio_peer(body):
    """(address, port) of the first m=audio in an SDP body, or None."""
    addr = re.search(r"^c=IN IP4 (\S+)", body, re.M)
    port = re.search(r"^m=audio (\d+)", body, re.M)
    return (addr.group(1), int(port.group(1))) if addr and port else None


class Message:
    """A parsed SIP message: .method or .status, .headers (lower-case name ->
    list of values), .body."""

    def __init__(self, data):
        text = data.decode("utf-8", "replace")
        head, _, self.body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.first = lines[0]
        self.method = self.status = None
        if self.first.startswith("SIP/2.0 "):
            self.status = int(self.first.split()[1])
        else:
            self.method = self.first.split()[0]
            self.uri = self.first.split()[1]
        self.headers = {}
        compact = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact",
                   "c": "content-type", "l": "content-length"}
        for line in lines[1:]:
            if ":" not in line:
                continue
            name, _, value = line.partition(":")
            name = name.strip().lower()
            name = compact.get(name, name)
            self.headers.setdefault(name, []).append(value.strip())

    def h(self, name, default=""):
        v = self.headers.get(name.lower())
        return v[0] if v else default

    def cseq_method(self):
        return self.h("cseq").split()[-1] if self.h("cseq") else ""

    def display(self, header="from"):
        m = re.match(r'\s*"((?:[^"\\]|\\.)*)"', self.h(header))
        return m.group(1).replace('\\"', '"') if m else ""

    def __repr__(self):
        return self.first


class SipUA:
    """One UA on its own UDP port. Policies for incoming INVITEs
    (invite_policy): "ring" (180, wait for CANCEL), ("answer", delay) (180,
    then 200 with SDP after delay seconds), or an int status (reject).
    rtp_talk: None (send no RTP, only receive it) or the seconds after the
    200 when an answered call starts sending RTP to the offer's address."""

    def __init__(self, server_port, user, password=None, display=None, domain="127.0.0.1",
                 local_ip="127.0.0.1"):
        self.server = ("127.0.0.1", server_port)
        self.ip = local_ip
        self.user = user
        self.password = password
        self.display = display or user
        self.domain = domain
        self._open()
        self.contact = "sip:%s@%s:%d" % (user, self.ip, self.port)
        self.via_transport = "UDP"  # what our Via says (tlsua.TlsUA: TLS)
        self.invite_policy = "ring"
        self.message_status = 200
        self.received = []  # every request received, in order
        self.responses = []  # every response received
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.pending = {}  # (call-id, cseq) -> final response
        self.dialogs = {}  # call-id -> dict (incoming calls we answered or rang)
        self.timers = []
        self.rtp_talk = None
        self.rtp_ports = []  # every RtpPort this UA advertised
        self.rtp_keep = False  # its RtpPorts record what they receive
        self.extra_headers = ""  # more header lines for every request we send
        # the SDP of our offers and answers: % (rtp port, direction)
        self.sdp_template = SDP_TEMPLATE
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    # ---- plumbing ----

    def _open(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((self.ip, 0))
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.running = False
        for t in self.timers:
            t.cancel()
        self._wake_reader()
        self.thread.join(2)
        self.sock.close()
        self.close_rtp()

    def _wake_reader(self):
        """Wakes the reader thread (_loop) out of its receive so that it
        sees running is false: an empty datagram to ourselves."""
        try:
            self.sock.sendto(b"", (self.ip, self.port))
        except OSError:
            pass

    def close_rtp(self):
        for rtp in self.rtp_ports:
            rtp.close()

    def rtp_port(self):
        """A new bound RtpPort, closed with the UA."""
        rtp = RtpPort(self.ip, keep=self.rtp_keep)
        self.rtp_ports.append(rtp)
        return rtp

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        self.close_rtp()  # also when a subclass's close() does not
        return False

    def send(self, text, addr=None):
        self.sock.sendto(text.encode(), addr or self.server)

    def _loop(self):
        while self.running:
            try:
                data, addr = self.sock.recvfrom(65535)
            except OSError:
                return
            if not self.running or not data.strip():
                continue
            try:
                msg = Message(data)
            except (IndexError, ValueError):
                continue
            self._dispatch(msg, addr)

    def _dispatch(self, msg, addr):
        """A received message: a response completes its request (pending),
        a request is kept (received) and answered (_on_request)."""
        with self.cond:
            if msg.status is not None:
                self.responses.append(msg)
                key = (msg.h("call-id"), msg.h("cseq"))
                if msg.status >= 200 or key not in self.pending:
                    self.pending[key] = msg
            else:
                self.received.append(msg)
            self.cond.notify_all()
        if msg.method:
            self._on_request(msg, addr)

    def wait_for(self, cond, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                v = cond()
                if v or time.monotonic() >= deadline:
                    return v
                self.cond.wait(max(0.01, deadline - time.monotonic()))

    def requests(self, method):
        with self.lock:
            return [m for m in self.received if m.method == method]

    # ---- answering requests ----

    def respond(self, req, status, phrase, addr, extra="", body="", to_tag=None):
        to = req.h("to")
        if to_tag and ";tag=" not in to:
            to += ";tag=" + to_tag
        vias = "".join("Via: %s\r\n" % v for v in req.headers.get("via", []))
        ctype = "Content-Type: application/sdp\r\n" if body else ""
        self.send("SIP/2.0 %d %s\r\n%sFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n%s%s"
                  "Content-Length: %d\r\n\r\n%s"
                  % (status, phrase, vias, req.h("from"), to, req.h("call-id"), req.h("cseq"),
                     extra, ctype, len(body.encode()), body), addr)

    def _on_request(self, req, addr):
        cid = req.h("call-id")
        if req.method == "MESSAGE":
            self.respond(req, self.message_status, "OK" if self.message_status < 300 else "Nope",
                         addr)
        elif req.method == "INVITE":
            self._on_invite(req, addr)
        elif req.method == "CANCEL":
            self.respond(req, 200, "OK", addr)
            d = self.dialogs.get(cid)
            if d and not d["answered"]:
                d["answered"] = True  # no 200 may follow
                self.respond(d["invite"], 487, "Request Terminated", addr, to_tag=d["tag"])
        elif req.method == "BYE":
            self.respond(req, 200, "OK", addr)
        elif req.method in ("ACK",):
            pass
        else:
            self.respond(req, 200, "OK", addr)

    def _on_invite(self, req, addr):
        cid = req.h("call-id")
        if cid in self.dialogs:  # re-INVITE: accept, same direction answer
            d = self.dialogs[cid]
            direction = "sendrecv"
            for k, v in (("sendonly", "recvonly"), ("recvonly", "sendonly"), ("inactive", "inactive")):
                if "a=" + k in req.body:
                    direction = v
            self.respond(req, 200, "OK", addr, extra="Contact: <%s>\r\n" % self.contact,
                         body=self.sdp_template % (d["rtp_port"], direction), to_tag=d["tag"])
            return
        d = {"invite": req, "tag": _token(), "answered": False}
        self.dialogs[cid] = d
        policy = self.invite_policy
        self.respond(req, 100, "Trying", addr)
        if not isinstance(policy, int):
            d["rtp"] = self.rtp_port()
            d["rtp_port"] = d["rtp"].port
        if isinstance(policy, int):
            d["answered"] = True
            self.respond(req, policy, "Rejected", addr, to_tag=d["tag"])
            return
        self.respond(req, 180, "Ringing", addr, to_tag=d["tag"])
        if isinstance(policy, tuple) and policy[0] == "answer":
            t = threading.Timer(policy[1], self._answer, (cid, addr))
            self.timers.append(t)
            t.start()

    def _answer(self, cid, addr):
        d = self.dialogs[cid]
        if d["answered"]:
            return
        d["answered"] = True
        self.respond(d["invite"], 200, "OK", addr, extra="Contact: <%s>\r\n" % self.contact,
                     body=self.sdp_template % (d["rtp_port"], "sendrecv"), to_tag=d["tag"])
        peer = sdp_audio_peer(d["invite"].body)
        if self.rtp_talk is not None and peer:
            d["rtp"].talk(peer, self.rtp_talk)

    # ---- sending requests ----

    def request(self, method, ruri, to, extra="", body="", ctype="text/plain", call_id=None,
                cseq=1, from_tag=None, timeout=5.0):
        """Sends one request; returns its final response (or None)."""
        call_id = call_id or "%s@ua" % _token()
        from_tag = from_tag or _token()
        branch = "z9hG4bK" + _token()
        key = (call_id, "%d %s" % (cseq, method))
        ctype_h = "Content-Type: %s\r\n" % ctype if body else ""
        extra += self.extra_headers
        contact_h = "" if "Contact:" in extra else "Contact: <%s>\r\n" % self.contact
        self.send("%s %s SIP/2.0\r\nVia: SIP/2.0/%s %s:%d;branch=%s;rport\r\n"
                  "From: \"%s\" <sip:%s@%s>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n"
                  "Max-Forwards: 70\r\n%s%s%sContent-Length: %d\r\n\r\n%s"
                  % (method, ruri, self.via_transport, self.ip, self.port, branch, self.display, self.user, self.domain, from_tag,
                     to, call_id, cseq, method, contact_h, extra, ctype_h, len(body.encode()), body))

        def final():
            r = self.pending.get(key)
            return r if r is not None and r.status >= 200 else None
        return self.wait_for(final, timeout)

    def _authorization(self, challenge, method, uri):
        params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
        algo = params.get("algorithm", "MD5").upper()
        hf = hashlib.sha256 if algo.startswith("SHA-256") else hashlib.md5
        H = lambda s: hf(s.encode()).hexdigest()  # noqa: E731
        ha1 = H("%s:%s:%s" % (self.user, params["realm"], self.password))
        ha2 = H("%s:%s" % (method, uri))
        cnonce, nc = _token(), "00000001"
        resp = H("%s:%s:%s:%s:auth:%s" % (ha1, params["nonce"], nc, cnonce, ha2))
        return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
                'algorithm=%s, qop=auth, nc=%s, cnonce="%s"%s'
                % (self.user, params["realm"], params["nonce"], uri, resp, algo, nc, cnonce,
                   ', opaque="%s"' % params["opaque"] if "opaque" in params else ""))

    def register(self, contact=None, expires=300, user=None):
        """REGISTER our contact (or @contact) for our user; answers one
        challenge. Returns the final status (the response: self.last)."""
        ruri = "sip:%s" % self.domain
        to = "<sip:%s@%s>" % (user or self.user, self.domain)
        call_id = "%s@reg" % _token()
        extra = "Expires: %d\r\n" % expires
        extra = "Contact: <%s>\r\n" % (contact or self.contact) + extra
        r = self.request("REGISTER", ruri, to, extra=extra, call_id=call_id, cseq=1)
        if r is not None and r.status == 401 and self.password:
            challenges = r.headers.get("www-authenticate", [])
            md5 = [c for c in challenges if "MD5" in c.upper() and "SHA" not in c.upper()]
            auth = self._authorization((md5 or challenges)[0], "REGISTER", ruri)
            r = self.request("REGISTER", ruri, to, extra=extra + "Authorization: %s\r\n" % auth,
                             call_id=call_id, cseq=2)
        self.last = r
        return r.status if r is not None else None

    def message(self, ruri, body, to=None):
        """A MESSAGE outside any dialog; its final status."""
        r = self.request("MESSAGE", ruri, to or "<%s>" % ruri, body=body)
        return r.status if r is not None else None

    # ---- an outgoing call (RTP: received on a bound port, not sent) ----

    def call(self, ruri, rtp_port=None, timeout=5.0, sdp=None):
        """INVITE with a PCMU offer (or @sdp, with %d for the RTP port),
        ACK the 200; returns the dialog dict (or None when the call
        failed; d["answer"] is the 200's SDP). The offer names a bound
        RtpPort (d["rtp"]) unless @rtp_port is given."""
        rtp = self.rtp_port() if rtp_port is None else None
        rtp_port = rtp.port if rtp else rtp_port
        call_id, tag = "%s@call" % _token(), _token()
        body = sdp % rtp_port if sdp else SDP_TEMPLATE % (rtp_port, "sendrecv")
        r = self.request("INVITE", ruri, "<%s>" % ruri, body=body,
                         ctype="application/sdp", call_id=call_id, from_tag=tag, timeout=timeout)
        if r is None or r.status >= 300:
            return None
        d = {"call_id": call_id, "from_tag": tag, "to": r.h("to"), "ruri": ruri, "cseq": 1, "rtp": rtp,
             "answer": r.body,
             "target": re.sub(r"^.*<|>.*$", "", r.h("contact")) or ruri}
        self.send("ACK %s SIP/2.0\r\nVia: SIP/2.0/%s 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
                  "From: \"%s\" <sip:%s@%s>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\n"
                  "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
                  % (d["target"], self.via_transport, self.port, _token(), self.display, self.user, self.domain, tag,
                     d["to"], call_id))
        return d

    def in_dialog(self, d, method, body="", ctype="text/plain"):
        """A request inside dialog @d; its final status."""
        d["cseq"] += 1
        r = self.request(method, d["target"], d["to"], body=body, ctype=ctype, call_id=d["call_id"],
                         cseq=d["cseq"], from_tag=d["from_tag"])
        return r.status if r is not None else None


def run_sipp(server_port, scenario, service, pause_ms=1000, timeout=15, wait=True):
    """Runs one sipp UAC scenario of sipp/ against the server; returns the
    Popen (wait=False) or (returncode, output)."""
    import os
    import shutil
    import subprocess
    import tempfile
    import mcutest
    sipp = shutil.which("sipp") or "/usr/bin/sipp"
    here = os.path.dirname(os.path.abspath(__file__))
    cwd = tempfile.mkdtemp(prefix="mcu-sipp-")
    args = [sipp, "-sf", os.path.join(here, "sipp", scenario + ".xml"), "-nostdin", "-m", "1",
            "-l", "1", "-timeout", "%ds" % timeout, "-timeout_error", "-i", "127.0.0.1",
            "-mi", "127.0.0.1", "-s", service, "-d", str(pause_ms), "-trace_msg", "-trace_err",
            "-p", str(mcutest.free_port()), "-mp", str(mcutest.free_udp_block(4)),
            "-cp", str(mcutest.free_port()), "127.0.0.1:%d" % server_port]
    proc = subprocess.Popen(args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    if not wait:
        return proc
    try:
        out, _ = proc.communicate(timeout=timeout + 10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    logs = ""
    for f in sorted(os.listdir(cwd)):
        if f.endswith("_errors.log") or f.endswith("_messages.log"):
            with open(os.path.join(cwd, f), errors="replace") as fh:
                logs += "---- %s\n%s" % (f, fh.read()[-4000:])
    return proc.returncode, out[-1500:] + logs
