# SPDX-License-Identifier: LGPL-2.1-or-later
"""RFC 4475 torture messages against the real daemon.

Sends each of the 49 messages of tests/data/rfc4475/*.dat byte-exact, once
over UDP (fresh socket) and once over TCP (fresh connection), and checks the
outcome against the "accepted by the check" column of
tests/data/rfc4475/README.md (the EXPECT table below). After every message
the server must still answer an OPTIONS with 200.

Where answers go: the messages carry made-up Via hosts without rport, so the
server (RFC 3261 18.2.2, sofia's default) adds received=127.0.0.1 and answers
over UDP to 127.0.0.1 at the Via's port (5060; 5050 for quotbal; 5061 would
be TLS). We listen on those ports (UDP and TCP, in case the server opens a
connection for a TCP/TLS Via) besides the sending socket, and match answers
by Call-ID. A TCP answer must come back on the same connection.

Isolation: when possible the test re-runs itself in a private network
namespace (`unshare -rn`) that has only a loopback interface, so no datagram
can ever reach the made-up hosts (192.0.2.x, example.com) whatever the
server does, and ports 5060/5050/... are ours. Rooms are not auto-created, so
the INVITEs are answered 404 (a "process" outcome in the README) and no call
with a made-up media address or Contact is ever set up.
"""

import os
import re
import selectors
import shlex
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402

TORTURE_DIR = os.environ.get(
    "MCU_TORTURE_DIR",
    os.path.join(mcutest.SOURCE_ROOT, "tests", "data", "rfc4475"))

PROCESS = "process"  # parsed as valid and answered: any final but 400/416/420/483/5xx
DROP = "drop"        # nothing sent back (over TCP: also the server closing the connection)
TWO_XX = "2xx"

# Known limits of sofia-sip 1.12's transaction layer (nta), which the server
# uses as is (see "Known limits of sofia-sip" in tests/data/rfc4475/README.md).
# Such a row may also be dropped; it is reported as a known limit, not
# hidden, and the server must still answer the next OPTIONS.
# - libsofia-sip-ua/nta/nta.c, agent_check_request_via(): a request whose
#   top Via transport differs from the one it arrived on is dropped without
#   an answer ("has invalid Via" in agent_recv_request()), before nua or the
#   daemon sees it; no tag turns that off. Over UDP that is intmeth, esc02,
#   longreq, unkscm, novelsc, regaut01 (Via TCP) and bext01 (Via TLS).
# - Over TCP, where its Via matches, sofia's parser takes intmeth.dat for
#   garbage and drops it.
SOFIA_DROPS_GARBAGE = {"intmeth.dat"}


def top_via_transport(data):
    """The transport of the first Via (or v:) header, upper case, or None.
    Header lines folded onto the next (leading white space) are unfolded."""
    head = data.split(b"\r\n\r\n", 1)[0]
    head = re.sub(rb"\r\n[ \t]+", b" ", head)
    for line in head.split(b"\r\n")[1:]:
        if not line:
            break
        m = re.match(rb"(?i)\s*(via|v)\s*:\s*SIP\s*/\s*2\.0\s*/\s*([A-Za-z0-9]+)", line)
        if m:
            return m.group(2).decode().upper()
    return None


def sofia_known_drop(name, data, transport):
    """The reason nta drops this message on this transport, or None."""
    via = top_via_transport(data)
    if via is not None and via != transport.upper():
        return ("top Via says %s, arrived over %s (nta.c agent_check_request_via)"
                % (via, transport.upper()))
    if name in SOFIA_DROPS_GARBAGE:
        return "sofia's parser takes it for garbage"
    return None

# file: (section, accepted over UDP, accepted over TCP or None = same as UDP)
EXPECT = {
    "wsinv.dat": ("3.1.1.1", {PROCESS}, None),
    "intmeth.dat": ("3.1.1.2", {501, 405}, None),
    "esc01.dat": ("3.1.1.3", {PROCESS}, None),
    "escnull.dat": ("3.1.1.4", {PROCESS}, None),
    "esc02.dat": ("3.1.1.5", {501, 405}, None),
    "lwsdisp.dat": ("3.1.1.6", {PROCESS}, None),
    "longreq.dat": ("3.1.1.7", {PROCESS}, None),
    "dblreq.dat": ("3.1.1.8", {PROCESS}, None),  # + UDP: no answer to the trailing INVITE
    "semiuri.dat": ("3.1.1.9", {PROCESS}, None),
    "transports.dat": ("3.1.1.10", {PROCESS}, None),
    "mpart01.dat": ("3.1.1.11", {PROCESS, 415, 501}, None),
    "unreason.dat": ("3.1.1.12", {DROP}, None),
    "noreason.dat": ("3.1.1.13", {DROP}, None),
    "badinv01.dat": ("3.1.2.1", {400, DROP}, None),
    "clerr.dat": ("3.1.2.2", {400, DROP}, None),
    "ncl.dat": ("3.1.2.3", {400, DROP}, None),
    "scalar02.dat": ("3.1.2.4", {400, DROP}, None),
    "scalarlg.dat": ("3.1.2.5", {DROP}, None),
    "quotbal.dat": ("3.1.2.6", {400, DROP, PROCESS}, None),
    "ltgtruri.dat": ("3.1.2.7", {400, DROP, PROCESS}, None),
    "lwsruri.dat": ("3.1.2.8", {400, DROP, PROCESS}, None),
    "lwsstart.dat": ("3.1.2.9", {400, DROP, PROCESS}, None),
    "trws.dat": ("3.1.2.10", {400, DROP, PROCESS}, None),
    "escruri.dat": ("3.1.2.11", {400, DROP, PROCESS}, None),
    "baddate.dat": ("3.1.2.12", {400, DROP, PROCESS}, None),
    "regbadct.dat": ("3.1.2.13", {400, DROP, PROCESS}, None),
    "badaspec.dat": ("3.1.2.14", {400, DROP, PROCESS}, None),
    "baddn.dat": ("3.1.2.15", {400, DROP, PROCESS}, None),
    "badvers.dat": ("3.1.2.16", {505, 400, DROP}, None),
    "mismatch01.dat": ("3.1.2.17", {400, DROP}, None),
    "mismatch02.dat": ("3.1.2.18", {501, 400, DROP}, None),
    "bigcode.dat": ("3.1.2.19", {DROP}, None),
    "badbranch.dat": ("3.2.1", {400, PROCESS}, None),
    "insuf.dat": ("3.3.1", {400, DROP}, None),
    "unkscm.dat": ("3.3.2", {416}, None),
    "novelsc.dat": ("3.3.3", {416, 404}, None),
    "unksm2.dat": ("3.3.4", {400, 403, 404}, None),
    "bext01.dat": ("3.3.5", {420}, None),
    "invut.dat": ("3.3.6", {415}, None),
    "regaut01.dat": ("3.3.7", {TWO_XX, 401, 403, 404, 405}, None),
    "multi01.dat": ("3.3.8", {400, DROP}, None),
    "mcl01.dat": ("3.3.9", {400, DROP}, None),
    "bcast.dat": ("3.3.10", {DROP}, None),
    "zeromf.dat": ("3.3.11", {PROCESS}, None),
    "cparam01.dat": ("3.3.12", {TWO_XX, 401}, None),
    "cparam02.dat": ("3.3.13", {TWO_XX, 401}, None),
    "regescrt.dat": ("3.3.14", {TWO_XX, 401}, None),
    "sdp01.dat": ("3.3.15", {406, 400}, None),
    "inv2543.dat": ("3.4.1", {PROCESS}, {PROCESS, 400, DROP}),
}

# Call-ID of the INVITE-looking bytes after dblreq.dat's REGISTER: over UDP
# they are not a message and must get no answer.
DBLREQ_TRAILING = b"dblreq.0ha0isnda977644900765@192.0.2.15"

# UDP ports the messages' top Vias name (default 5060, quotbal 5050, 5061
# for a TLS Via, mpart01 5070 with rport): answers may be sent there.
VIA_PORTS = (5060, 5061, 5050, 5070)

UDP_GRACE = 0.5     # s after the ping's answer to wait for a late or extra answer
TCP_WAIT = 1.0      # s to wait on a TCP connection for an answer
PING_TIMEOUT = 3.0  # s for the liveness OPTIONS


def unfold_headers(data):
    """Header section of a SIP message as a list of (lower-case name, value)."""
    head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    head = re.sub(r"\r?\n[ \t]+", " ", head)
    out = []
    for line in head.split("\n")[1:]:
        line = line.rstrip("\r")
        if ":" in line:
            name, value = line.split(":", 1)
            out.append((name.strip().lower(), value.strip()))
    return out


COMPACT = {"i": "call-id", "l": "content-length", "v": "via", "t": "to", "f": "from"}


def header_values(headers, name):
    return [v for n, v in headers if COMPACT.get(n, n) == name]


def call_ids(data):
    """Every Call-ID in a (possibly multi-message) torture file."""
    return re.findall(rb"(?im)^(?:call-id|i)[ \t]*:[ \t]*(\S+)", data)


class Response:
    def __init__(self, raw, path):
        self.raw = raw
        self.path = path
        first = raw.split(b"\r\n", 1)[0].decode("utf-8", "replace")
        m = re.match(r"SIP/2\.0 (\d{3}) ", first + " ")
        self.status = int(m.group(1)) if m else None
        self.first = first
        headers = unfold_headers(raw)
        cid = header_values(headers, "call-id")
        self.call_id = cid[0].encode() if cid else None
        cseq = header_values(headers, "cseq")
        self.cseq = cseq[0] if cseq else ""

    def __repr__(self):
        return "%s via %s (Call-ID %s, CSeq %s)" % (
            self.first, self.path, self.call_id and self.call_id.decode("utf-8", "replace"),
            self.cseq)


def split_stream(buf):
    """Complete SIP messages at the head of a stream buffer: (messages, rest)."""
    msgs = []
    while True:
        buf = buf.lstrip(b"\r\n")
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return msgs, buf
        headers = unfold_headers(buf[:end + 4])
        cl = header_values(headers, "content-length")
        try:
            length = int(cl[0]) if cl else 0
        except ValueError:
            length = 0
        total = end + 4 + length
        if len(buf) < total:
            return msgs, buf
        msgs.append(buf[:total])
        buf = buf[total:]


class Collector:
    """Every SIP message that reaches us: on sending sockets, on the Via-port
    UDP/TCP listeners, and on connections the server opens to those."""

    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.received = []  # Response, in arrival order
        self.first_seen = {}  # raw bytes -> index of the first copy in received
        self.listeners = []
        for port in VIA_PORTS:
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                u.bind(("127.0.0.1", port))
                t.bind(("127.0.0.1", port))
                t.listen(16)
            except OSError as e:
                u.close()
                t.close()
                print("# cannot listen on 127.0.0.1:%d (%s): answers sent there are missed"
                      % (port, e))
                continue
            u.setblocking(False)
            t.setblocking(False)
            self.sel.register(u, selectors.EVENT_READ, ("udp", "udp:%d" % port))
            self.sel.register(t, selectors.EVENT_READ, ("accept", "tcp:%d" % port))
            self.listeners += [u, t]

    def add_udp(self, sock, path):
        sock.setblocking(False)
        self.sel.register(sock, selectors.EVENT_READ, ("udp", path))

    def add_tcp(self, sock, path):
        sock.setblocking(False)
        self.sel.register(sock, selectors.EVENT_READ, ("tcp", path, [b"", False]))

    def remove(self, sock):
        try:
            self.sel.unregister(sock)
        except (KeyError, ValueError):
            pass
        sock.close()

    def tcp_closed(self, sock):
        try:
            return self.sel.get_key(sock).data[2][1]
        except (KeyError, ValueError):
            return True

    def poll(self, timeout):
        for key, _ in self.sel.select(max(0.0, timeout)):
            kind, path = key.data[0], key.data[1]
            sock = key.fileobj
            if kind == "udp":
                while True:
                    try:
                        data, _ = sock.recvfrom(65535)
                    except (BlockingIOError, ConnectionRefusedError):
                        break
                    self.add(Response(data, path))
            elif kind == "accept":
                try:
                    conn, peer = sock.accept()
                except BlockingIOError:
                    continue
                self.add_tcp(conn, "%s(connection from %s:%d)" % (path, peer[0], peer[1]))
            else:
                state = key.data[2]
                try:
                    data = sock.recv(65535)
                except BlockingIOError:
                    continue
                except (ConnectionResetError, OSError):
                    data = b""
                if not data:
                    state[1] = True
                    self.sel.unregister(sock)
                    continue
                msgs, state[0] = split_stream(state[0] + data)
                for m in msgs:
                    self.add(Response(m, path))

    def add(self, r):
        self.first_seen.setdefault(r.raw, len(self.received))
        self.received.append(r)

    def wait(self, cond, timeout):
        """Poll until cond() or timeout; returns cond()."""
        deadline = time.monotonic() + timeout
        while not cond():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.poll(min(left, 0.05))
        return cond()


def options_ping(port, lport, call_id, transport="UDP"):
    return ("OPTIONS sip:ping@127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/%s 127.0.0.1:%d;branch=z9hG4bK-%s;rport\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:torture@127.0.0.1>;tag=t%s\r\n"
            "To: <sip:ping@127.0.0.1:%d>\r\n"
            "Call-ID: %s\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "Contact: <sip:torture@127.0.0.1:%d>\r\n"
            "Accept: application/sdp\r\n"
            "Content-Length: 0\r\n\r\n"
            % (port, transport, lport, call_id, call_id, port, call_id, lport)).encode()


def judge(accepted, finals, anything):
    """Is the outcome (final statuses, whether anything came back) accepted?"""
    if not anything:
        return DROP in accepted
    if not finals:
        return False  # only provisional answers: neither processed nor dropped
    for st in finals:
        ok = st in accepted
        ok = ok or (TWO_XX in accepted and 200 <= st < 300)
        ok = ok or (PROCESS in accepted and st < 500 and st not in (400, 416, 420, 483))
        if not ok:
            return False
    return True


def describe(accepted):
    return ", ".join(sorted(str(a) for a in accepted))


class Run:
    def __init__(self, fails):
        self.f = fails
        self.srv = None
        self.col = Collector()
        self.known = {}  # Call-ID -> file name
        self.nping = 0
        self.problems = []

    def start_server(self):
        # NTA_DEBUG=5: sofia logs why it drops a request ("has invalid Via",
        # "received garbage"); quoted for the rows that fail.
        self.srv = mcutest.McuServer(rooms_auto_create=False, env={"NTA_DEBUG": "5"}).start()
        self.log_mark = 0

    def mark_log(self):
        self.log_mark = len(self.srv.log_text())

    def log_since_mark(self):
        """What the server logged about the message since mark_log(), without
        the lines about our OPTIONS pings."""
        lines = self.srv.log_text()[self.log_mark:].splitlines()
        keep = [l.strip() for l in lines
                if re.search(r"nta: |nta_agent|rejecting|mcu(-sip)? \[|WARNING|CRITICAL|ERROR", l)
                and "ping" not in l and "OPTIONS (1)" not in l and " timer " not in l]
        return keep[:10]

    def ensure_server(self, name):
        if self.srv.alive():
            return
        code = self.srv.proc.returncode
        self.f.check(False, "server still running after %s (exit code %s)" % (name, code))
        self.problems.append("%s: server died (exit %s); log tail:\n%s"
                             % (name, code, self.srv.log_text()[-3000:]))
        self.srv.stop()
        self.start_server()

    def ping_udp(self, sock=None):
        own = sock is None
        if own:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("127.0.0.1", 0))
            self.col.add_udp(sock, "ping socket")
        self.nping += 1
        cid = b"ping-%d" % self.nping
        sock.sendto(options_ping(self.srv.port, sock.getsockname()[1], cid.decode()),
                    ("127.0.0.1", self.srv.port))
        ok = self.col.wait(lambda: any(r.call_id == cid and r.status == 200
                                       for r in self.col.received), PING_TIMEOUT)
        if own:
            self.col.remove(sock)
        return ok

    def ping_tcp(self):
        self.nping += 1
        cid = b"ping-%d" % self.nping
        try:
            s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=PING_TIMEOUT)
        except OSError:
            return False
        try:
            s.sendall(options_ping(self.srv.port, s.getsockname()[1], cid.decode(), "TCP"))
        except OSError:
            s.close()
            return False
        self.col.add_tcp(s, "tcp ping connection")
        ok = self.col.wait(lambda: any(r.call_id == cid and r.status == 200
                                       for r in self.col.received), PING_TIMEOUT)
        self.col.remove(s)
        return ok

    def answers_for(self, start, ids, path_filter=None):
        """Responses since index start that belong to the message with Call-IDs
        ids (or carry a Call-ID no message or ping has)."""
        out = []
        for r in self.col.received[start:]:
            if r.call_id is not None and r.call_id.startswith(b"ping-"):
                continue
            if self.col.first_seen[r.raw] < start:
                continue  # a retransmission of an answer to an earlier message
            if r.call_id in ids or r.call_id not in self.known:
                if path_filter is None or path_filter(r):
                    out.append(r)
        return out

    def record(self, transport, name, accepted, got, extra_ok=True, extra_note=""):
        section = EXPECT[name][0]
        finals = sorted({r.status for r in got if r.status is not None and r.status >= 200})
        ok = judge(accepted, finals, bool(got)) and extra_ok
        outcome = ("%s" % ", ".join(map(str, finals)) if finals
                   else ("provisional only: %s" % [r.status for r in got] if got else DROP))
        msg = "%s %s (%s): got %s; accepted: %s%s" % (
            transport, name, section, outcome, describe(accepted), extra_note)
        self.f.check(ok, msg)
        if not ok:
            self.problems.append(msg + "".join("\n    got: %r" % r for r in got)
                                 + "".join("\n    mcu: " + l for l in self.log_since_mark()))

    def send_udp(self, name, data, accepted):
        ids = set(call_ids(data))
        start = len(self.col.received)
        self.mark_log()
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        self.col.add_udp(s, "udp sender")
        s.sendto(data, ("127.0.0.1", self.srv.port))
        # The server reads the socket in order: once the ping sent after the
        # message is answered, the message has been handled.
        alive = self.ping_udp(s)
        primary = ids - {DBLREQ_TRAILING}
        expects_answer = DROP not in accepted

        def answered():
            return any(r.status and r.status >= 200 for r in self.answers_for(start, primary))
        if expects_answer:
            self.col.wait(answered, UDP_GRACE * 2)
        else:
            self.col.wait(lambda: False, UDP_GRACE)
        self.col.remove(s)
        got = self.answers_for(start, ids)
        extra_ok, note = True, ""
        if name == "dblreq.dat":
            trailing = [r for r in got if r.call_id == DBLREQ_TRAILING]
            got = [r for r in got if r not in trailing]
            extra_ok = not trailing
            note = ("; trailing INVITE answered: %s" % trailing) if trailing \
                else "; no answer to the trailing INVITE"
        self.record("udp", name, accepted, got, extra_ok, note)
        self.f.check(alive, "udp %s: server answers OPTIONS afterwards" % name)
        self.ensure_server(name)

    def send_tcp(self, name, data, accepted):
        ids = set(call_ids(data))
        if name == "dblreq.dat":  # over TCP the trailing INVITE is a second request
            ids -= {DBLREQ_TRAILING}
        start = len(self.col.received)
        self.mark_log()
        try:
            s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=2)
            s.sendall(data)
        except OSError as e:
            self.f.check(False, "tcp %s: connect/send: %s" % (name, e))
            self.ensure_server(name)
            return
        self.col.add_tcp(s, "tcp connection")

        def done():
            if self.col.tcp_closed(s):
                return True
            return any(r.status and r.status >= 200 and r.path == "tcp connection"
                       for r in self.answers_for(start, ids))
        self.col.wait(done, TCP_WAIT)
        self.col.wait(lambda: False, 0.05)  # anything sent right behind it
        closed = self.col.tcp_closed(s)
        self.col.remove(s)
        got = [r for r in self.answers_for(start, ids) if r.path == "tcp connection"]
        elsewhere = [r for r in self.answers_for(start, ids)
                     if r.path not in ("tcp connection",) and r.call_id in ids]
        note = "; connection closed by the server" if closed else ""
        if elsewhere:
            note += "; answered elsewhere, not on the connection: %s" % elsewhere
        self.record("tcp", name, accepted, got, not elsewhere, note)
        alive = self.ping_tcp() and self.ping_udp()
        self.f.check(alive, "tcp %s: server answers OPTIONS (TCP and UDP) afterwards" % name)
        self.ensure_server(name)


def route_exists(addr):
    """Can a UDP datagram to addr leave? (connect() fails without a route.)"""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect((addr, 5060))
        return True
    except OSError:
        return False
    finally:
        s.close()


def main():
    mode = os.environ.get("MCU_TORTURE_NETNS")  # unset: try; "1": in it; "0": don't
    if mode is None:
        probe = subprocess.run(["unshare", "-rn", "sh", "-c", "ip link set lo up"],
                               capture_output=True)
        if probe.returncode == 0:
            env = dict(os.environ, MCU_TORTURE_NETNS="1")
            script = ("ip link set lo up && exec %s %s"
                      % (shlex.quote(sys.executable), shlex.quote(os.path.abspath(__file__))))
            sys.stdout.flush()
            os.execvpe("unshare", ["unshare", "-rn", "sh", "-c", script], env)
        print("# unshare -rn unavailable: running on the shared loopback")
    elif mode == "1":
        print("# running in a private network namespace (loopback only)")
    else:
        print("# MCU_TORTURE_NETNS=%s: running on the shared loopback" % mode)

    fails = mcutest.Failures()
    if mode == "1":
        fails.check(not route_exists("192.0.2.1") and not route_exists("198.51.100.1"),
                    "no route off loopback here: nothing the server sends can leave the host")

    files = sorted(f for f in os.listdir(TORTURE_DIR) if f.endswith(".dat"))
    fails.check(sorted(files) == sorted(EXPECT),
                "the table covers exactly the %d files in %s" % (len(files), TORTURE_DIR))
    msgs = {}
    for name in files:
        with open(os.path.join(TORTURE_DIR, name), "rb") as fh:
            msgs[name] = fh.read()

    # meson ends a test that runs over its timeout with SIGTERM: turn that into
    # SystemExit so the finally block stops the daemon.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run = Run(fails)
    for name, data in msgs.items():
        for cid in call_ids(data):
            run.known[cid] = name
    run.start_server()
    try:
        fails.check(run.ping_udp() and run.ping_tcp(), "server answers OPTIONS before the torture")
        for transport in ("udp", "tcp"):
            for name in files:
                if name not in EXPECT:
                    continue
                section, udp_set, tcp_set = EXPECT[name]
                accepted = set(udp_set if transport == "udp" or tcp_set is None else tcp_set)
                reason = sofia_known_drop(name, msgs[name], transport)
                if reason:
                    accepted.add(DROP)
                    print("# known limit: %s %s may be dropped: %s" % (transport, name, reason))
                if transport == "udp":
                    run.send_udp(name, msgs[name], accepted)
                else:
                    run.send_tcp(name, msgs[name], accepted)
    finally:
        code = run.srv.stop()
    fails.check(code == 0, "daemon exits 0 on SIGTERM after the torture (got %s)" % code)
    if run.problems:
        print("\n---- failed rows ----")
        for p in run.problems:
            print(p)
    fails.exit()


if __name__ == "__main__":
    main()
