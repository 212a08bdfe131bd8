# SPDX-License-Identifier: LGPL-2.1-or-later
"""Where the server sends RTP, end to end, with a hand-written SIP UAC on raw
UDP sockets (one dialog, PCMU):

1. Symmetric RTP / latching: the SDP offer names port A, but the caller
   sends its RTP from port C. The server must start sending to A (the SDP)
   and, once C's packets arrive and A has stayed silent (2 s after the SDP),
   send to C (where the caller really is).
2. re-INVITE with a new connection port B (and sending from B): the server
   must move its RTP to B and stop sending to C.
3. RTCP: sender/receiver reports reach the caller's RTCP port.
4. No hijack: a stranger at another address (127.0.0.2) sends RTP to the
   server's port while the caller keeps sending from B, and then while the
   caller is silent: the server keeps sending to B only, never to the
   stranger (the SDP's source, once heard, is the only one taken until a
   new SDP).
Checks count RTP packets per socket over time windows."""

import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402


def udp(port=0, host="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, port))
    s.setblocking(False)
    return s


class Uac:
    """Just enough SIP for one dialog over UDP."""

    def __init__(self, srv):
        self.srv = srv
        self.sock = udp()
        self.sock.settimeout(5)
        self.port = self.sock.getsockname()[1]
        self.call_id = "rtpaddr-%d@127.0.0.1" % random.randint(1, 1 << 30)
        self.tag = "t%d" % random.randint(1, 1 << 30)
        self.cseq = 1
        self.to_tag = None
        self.contact = None
        self.body = ""

    def sdp(self, rtp_port, version):
        return ("v=0\r\no=- 1 %d IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n"
                % (version, rtp_port))

    def request(self, method, body="", uri=None):
        uri = uri or self.contact or "sip:addr@127.0.0.1:%d" % self.srv.port
        to = "<sip:addr@127.0.0.1>" + (";tag=%s" % self.to_tag if self.to_tag else "")
        msg = ("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;rport;branch=z9hG4bK%d\r\n"
               "Max-Forwards: 70\r\nFrom: <sip:tester@127.0.0.1>;tag=%s\r\nTo: %s\r\n"
               "Call-ID: %s\r\nCSeq: %d %s\r\nContact: <sip:tester@127.0.0.1:%d>\r\n"
               % (method, uri, self.port, random.randint(1, 1 << 30), self.tag, to,
                  self.call_id, self.cseq, method, self.port))
        if body:
            msg += "Content-Type: application/sdp\r\n"
        msg += "Content-Length: %d\r\n\r\n%s" % (len(body), body)
        self.sock.sendto(msg.encode(), ("127.0.0.1", self.srv.port))

    def final(self):
        """Wait for the final response to the last request; its status."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            data = self.sock.recv(65535).decode("utf-8", "replace")
            status = int(data.split(" ", 2)[1]) if data.startswith("SIP/2.0") else 0
            if status >= 200:
                self.body = data.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in data else ""
                for line in data.split("\r\n"):
                    low = line.lower()
                    if low.startswith("to:") and ";tag=" in line:
                        self.to_tag = line.split(";tag=")[1].split(";")[0].strip()
                    if low.startswith("contact:") and self.contact is None:
                        self.contact = line.split("<", 1)[1].split(">", 1)[0]
                return status
        return None

    def invite(self, rtp_port, version):
        self.request("INVITE", self.sdp(rtp_port, version))
        status = self.final()
        if status and status < 300:
            self.request("ACK")
        self.cseq += 1
        return status


def rtp_packet(seq, ts, ssrc):
    return bytes([0x80, 0x00]) + seq.to_bytes(2, "big") + ts.to_bytes(4, "big") + \
        ssrc.to_bytes(4, "big") + b"\xff" * 160


def pump(send_sock, recv_socks, seconds, state, stranger=None):
    """Send 20 ms PCMU packets from send_sock (None: send nothing) for
    `seconds`, and from `stranger` (another SSRC) too when given; count the
    RTP each socket in recv_socks receives."""
    counts = {name: 0 for name in recv_socks}
    end = time.monotonic() + seconds
    next_send = time.monotonic()
    while time.monotonic() < end:
        if time.monotonic() >= next_send:
            if send_sock is not None:
                send_sock.sendto(rtp_packet(state["seq"] & 0xFFFF, state["ts"], 0x1234),
                                 ("127.0.0.1", state["server_rtp"]))
            if stranger is not None:
                stranger.sendto(rtp_packet((state["seq"] + 5000) & 0xFFFF,
                                           state["ts"] * 3, 0x5678),
                                ("127.0.0.1", state["server_rtp"]))
            state["seq"] += 1
            state["ts"] += 160
            next_send += 0.02
        for name, s in recv_socks.items():
            try:
                while True:
                    data = s.recv(2048)
                    if len(data) >= 12 and data[0] >> 6 == 2:
                        counts[name] += 1
            except BlockingIOError:
                pass
        time.sleep(0.002)
    return counts


def udp_pair():
    """Two sockets on an even port and the next one (RTP, RTCP)."""
    for _ in range(100):
        rtp = udp()
        port = rtp.getsockname()[1]
        if port % 2 == 0:
            try:
                return rtp, udp(port + 1)
            except OSError:
                pass
        rtp.close()
    raise RuntimeError("no free port pair")


def rtcp_types(sock, seconds):
    """RTCP packet types (200 = SR, 201 = RR) received within `seconds`."""
    types = set()
    end = time.monotonic() + seconds
    while time.monotonic() < end and not {200, 201} & types:
        try:
            data = sock.recv(2048)
            if len(data) >= 8 and data[0] >> 6 == 2:
                types.add(data[1])
        except BlockingIOError:
            time.sleep(0.05)
    return types


def main():
    checks = mcutest.Failures()
    (a, a_rtcp), b, c = udp_pair(), udp(), udp()
    with mcutest.McuServer() as srv:
        uac = Uac(srv)
        status = uac.invite(a.getsockname()[1], 1)
        checks.check(status == 200, "INVITE answered 200 (%s)" % status)
        server_rtp = [int(l.split()[1]) for l in uac.body.split("\r\n")
                      if l.startswith("m=audio ")][0]
        state = {"seq": 1, "ts": 0, "server_rtp": server_rtp}
        socks = {"A": a, "B": b, "C": c}

        # Nothing sent yet: the server sends to the SDP's port A.
        before = pump(None, socks, 1.0, state)
        checks.check(before["A"] >= 40 and before["C"] == 0,
                     "before any RTP from the caller, the server sends to the SDP's port A "
                     "(1 s: A %d, C %d)" % (before["A"], before["C"]))
        # RTCP goes to A + 1 (we sent no RTCP, so nothing to latch to).
        types = rtcp_types(a_rtcp, 7.0)
        checks.check(200 in types or 201 in types,
                     "the server sends RTCP reports to the SDP's RTCP port (types %s)"
                     % sorted(types))
        # Now send from C, a source the SDP did not name (a NAT's): the
        # server takes it once the SDP's port has been silent for 2 s since
        # the SDP came (a stray stream must not win at once; see
        # accept_source in mixer/mcu-rtp-endpoint.c), then sends to C only.
        deadline = time.monotonic() + 3.5
        while time.monotonic() < deadline and pump(c, socks, 0.2, state)["C"] == 0:
            pass
        pump(c, socks, 0.2, state)  # packets already on their way to A
        latched = pump(c, socks, 1.0, state)
        checks.check(latched["C"] >= 40 and latched["A"] == 0,
                     "latching: RTP follows the caller's real source port C, not the SDP's A "
                     "(1 s: C %d, A %d)" % (latched["C"], latched["A"]))

        status = uac.invite(b.getsockname()[1], 2)
        checks.check(status == 200, "re-INVITE with a new port B answered 200 (%s)" % status)
        pump(b, socks, 0.5, state)
        moved = pump(b, socks, 1.0, state)
        checks.check(moved["B"] >= 40 and moved["C"] == 0,
                     "re-INVITE: RTP moves to the new port B and stops going to C "
                     "(1 s: B %d, C %d)" % (moved["B"], moved["C"]))

        # A stranger at another address sends to our port while the caller
        # goes on from B (longer than the 2 s NAT grace and relatch time),
        # then alone while the caller is silent: B keeps the stream.
        d = udp(host="127.0.0.2")
        socks["D"] = d
        both = pump(b, socks, 3.0, state, stranger=d)
        checks.check(both["D"] == 0 and both["B"] >= 120,
                     "a stranger sending beside the caller does not take its stream "
                     "(3 s: B %d, stranger %d)" % (both["B"], both["D"]))
        alone = pump(None, socks, 3.0, state, stranger=d)
        checks.check(alone["D"] == 0 and alone["B"] >= 120,
                     "a stranger sending while the caller is silent does not take its "
                     "stream (3 s: B %d, stranger %d)" % (alone["B"], alone["D"]))
        uac.request("BYE")
        checks.check(uac.final() == 200, "BYE answered 200")
    checks.exit()


if __name__ == "__main__":
    main()
