# SPDX-License-Identifier: LGPL-2.1-or-later
"""The control socket's limits and hygiene against the real daemon.

- File descriptors: the server's /proc/PID/fd count is the same after 1,000
  requests (one-shot clients, keep-alive clients, TCP and the Unix socket)
  as before (it grew by one per request when libsoup kept the connections).
- [control] max-connections: N idle connections are held, the N+1th gets
  503 "too-many"; once one closes, requests work again.
- [control] idle-timeout: a connection that sends nothing, or half a
  request, is closed after the timeout.
- [control] event-backlog: an event client that never reads is dropped once
  its backlog passes the bound while events keep coming; the server's RSS
  stays flat; a client that reads gets every event.
- Request headers over 16 KiB: 431; over libsoup's own 64 KiB: the
  connection is closed; the server carries on.
- Content-Length: -5 gets a clean 400 (it was a GObject warning);
  HTTP/1.0 without Host on the Unix socket works (it was CRITICALs); the
  log is checked for warnings at the end (McuServer.stop).
- "Authorization: bearer" (lower case) is accepted on TCP.
- mcuctl against a full listen backlog (the server stopped with SIGSTOP,
  connections queued until connect says EAGAIN): it waits for room, as a
  blocking client does, and is answered once the server runs again (it
  failed at once: "Could not connect: Resource temporarily unavailable").
- Room names ".", "..", "", "a/b", control characters, ".x": 400 JSON."""

import json
import os
import signal
import socket
import sys
import subprocess
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402
from controlclient import Control, UnixHTTPConnection  # noqa: E402

checks = mcutest.Failures()
MCUCTL = os.environ.get("MCUCTL_BIN", os.path.join(os.path.dirname(mcutest.MCU_BIN), "mcuctl"))
MAX_CONNECTIONS = 8
IDLE_TIMEOUT = 2
BACKLOG_KIB = 2048  # a reading client may lag ~8,000 events (~0.8 s here)
FLOOD_MAX = 30000  # lock/unlock events until the stuck client is dropped
FLOOD_AFTER = 10000  # and after

# An event client in its own process: counts lock/unlock events until the
# room is closed (event room-closed); prints the count.
READER = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(60)
s.sendall(b"GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
n, tail = 0, b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf = tail + chunk
        n += buf.count(b"\nevent: locked\n") + buf.count(b"\nevent: unlocked\n")
        if b"\nevent: room-closed\n" in buf:
            break
        cut = buf.rfind(b"\n")
        tail = buf[cut:]
except OSError:
    pass
print(n)
"""


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def sanitized(pid):
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


def raw_unix(srv, data, timeout=5):
    """Sends @data on a new Unix socket connection; everything read until
    the server closes (or b'' with the error appended)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(srv.control_socket)
    out = b""
    try:
        s.sendall(data)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except OSError as e:
        out += b"\n<" + repr(e).encode() + b">"
    finally:
        s.close()
    return out


def status_of(response):
    try:
        return int(response.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def json_of(response):
    head, _, body = response.partition(b"\r\n\r\n")
    try:
        return json.loads(body)
    except ValueError:
        return None


def test_fds(srv, ctl):
    pid = srv.proc.pid
    before = fds(pid)
    tcp = Control(tcp=("127.0.0.1", srv.control_port), token=srv.control_token)
    ok = 0
    for i in range(250):  # one-shot clients, Unix socket
        ok += ctl.get("/v1/health")[0] == 200
    for i in range(250):  # one-shot clients, TCP
        ok += tcp.get("/v1/health")[0] == 200
    for i in range(25):  # keep-alive clients: 10 requests each, then close
        c = UnixHTTPConnection(srv.control_socket)
        for j in range(10):
            c.request("GET", "/v1/info")
            r = c.getresponse()
            r.read()
            ok += r.status == 200
        c.close()
    for i in range(250):  # clients that give up before reading the answer
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(srv.control_socket)
        s.sendall(b"GET /v1/rooms HTTP/1.1\r\nHost: x\r\n\r\n")
        s.close()
        ok += 1
    checks.check(ok == 1000, "1,000 requests answered (%d)" % ok)
    # the server accepts the clients that hung up at its own pace: until it
    # has, they wait in its listen backlog (not yet its fds, nor counted)
    counted = []
    drained = mcutest.poll_until(
        lambda: counted.append(ctl.get("/v1/info")[1]["control_connections"]) or counted[-1] == 1, 10)
    checks.check(drained, "only this request's connection is counted, once the server took "
                 "every client (%s)" % counted[-5:])
    flat = mcutest.poll_until(lambda: fds(pid) <= before, 3)
    checks.check(flat, "server fds flat over 1,000 requests (%d before, %d after)"
                 % (before, fds(pid)))


def test_max_connections(srv, ctl):
    held = []
    for i in range(MAX_CONNECTIONS):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(srv.control_socket)
        held.append(s)
    try:
        r = raw_unix(srv, b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        body = json_of(r) or {}
        checks.check(status_of(r) == 503 and body.get("error", {}).get("code") == "too-many",
                     "connection %d of max %d: 503 too-many (%r)"
                     % (MAX_CONNECTIONS + 1, MAX_CONNECTIONS, r[:60]))
        held.pop().close()
        ok = mcutest.poll_until(lambda: ctl.get("/v1/health")[0] == 200, 2)
        checks.check(ok, "after one closes, requests are served again")
    finally:
        for s in held:
            s.close()


def test_idle_timeout(srv):
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    half = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    for s in (silent, half):
        s.settimeout(IDLE_TIMEOUT + 5)
        s.connect(srv.control_socket)
    half.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    t0 = time.monotonic()
    for name, s in (("silent", silent), ("half a request", half)):
        try:
            data = s.recv(1000)
        except OSError as e:
            data = repr(e).encode()
        took = time.monotonic() - t0
        checks.check(data == b"" and IDLE_TIMEOUT - 0.5 <= took <= IDLE_TIMEOUT + 3,
                     "%s connection closed after the idle timeout (%.1f s, %r)" % (name, took, data[:40]))
        s.close()


def test_event_backlog(srv, ctl):
    pid = srv.proc.pid
    s, _ = ctl.call("POST", "/v1/rooms", {"name": "flood"})
    checks.check(s == 201, "room for the event flood")
    # a client that never reads: a small receive buffer so that the
    # backlog builds on the server's side soon
    stuck = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.connect(srv.control_socket)
    stuck.sendall(b"GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
    # and one that reads everything: another process, so that it keeps up
    reader = subprocess.Popen([sys.executable, "-c", READER, srv.control_socket],
                              stdout=subprocess.PIPE)
    streams = mcutest.poll_until(lambda: ctl.get("/v1/info")[1]["event_streams"] == 2, 3)
    checks.check(streams, "two event clients connected")
    n = 0

    def flip():
        nonlocal n
        ctl.call("PATCH", "/v1/rooms/flood", {"locked": n % 2 == 0})
        n += 1
    dropped = False
    while n < FLOOD_MAX and not dropped:
        for i in range(100):
            flip()
        dropped = ctl.get("/v1/info")[1]["event_streams"] == 1
    checks.check(dropped, "the client that does not read is dropped (after %d events)" % n)
    checks.check("dropping an event client" in srv.log_text(), "the drop is logged")
    rss0 = rss_kib(pid)
    for i in range(FLOOD_AFTER):
        flip()
    rss1 = rss_kib(pid)
    # each event is ~250 bytes: 10,000 more events kept for the stuck client
    # would be ~2.5 MB more; dropped, the RSS moves by malloc noise only
    what = "server RSS flat while %d more events are sent (%d -> %d KiB)" % (FLOOD_AFTER, rss0, rss1)
    if sanitized(pid):  # AddressSanitizer keeps freed memory in quarantine
        print("skip - %s: AddressSanitizer build" % what)
    else:
        checks.check(rss1 - rss0 < 512, what)
    s, info = ctl.get("/v1/info")
    checks.check(info["event_streams"] == 1, "the reading event client is still there (%d)"
                 % info["event_streams"])
    # the end of the events: the reader stops at room-closed
    s, _ = ctl.call("DELETE", "/v1/rooms/flood")
    checks.check(s == 204, "room closed: the end of the events")
    try:
        seen = int(reader.communicate(timeout=10)[0] or 0)
    except subprocess.TimeoutExpired:
        reader.kill()
        seen = int(reader.communicate()[0] or 0)
    checks.check(seen == n, "the client that reads got all %d events (%d)" % (n, seen))
    stuck.settimeout(5)
    data = b""
    try:
        while True:
            chunk = stuck.recv(65536)
            if not chunk:
                break
            data += chunk
        closed = True
    except OSError:
        closed = False
    checks.check(closed and len(data) < BACKLOG_KIB * 1024 + 256 * 1024,
                 "the dropped client reads what was sent, then the end (%d bytes)" % len(data))
    stuck.close()


def test_mcuctl_full_backlog(srv):
    pid = srv.proc.pid
    queued = []
    os.kill(pid, signal.SIGSTOP)
    try:
        while len(queued) < 4096:  # until the backlog is full
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect(srv.control_socket)
            except BlockingIOError:
                s.close()
                break
            queued.append(s)
        p = subprocess.Popen([MCUCTL, "--socket", srv.control_socket, "--json", "info"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            p.wait(timeout=1.0)  # it must still be waiting after a second
        except subprocess.TimeoutExpired:
            pass
        waiting = p.returncode is None
    finally:
        for s in queued:
            s.close()
        os.kill(pid, signal.SIGCONT)
    out, err = p.communicate(timeout=30)
    checks.check(len(queued) > 0, "the backlog filled (%d connections queued)" % len(queued))
    checks.check(waiting, "mcuctl waits while the backlog is full (exit %s: %s)"
                 % (p.returncode, err.strip()[:120]))
    checks.check(p.returncode == 0 and '"version"' in out,
                 "mcuctl is answered once the server runs again (exit %d: %s)"
                 % (p.returncode, (err or out).strip()[:120]))


def test_bad_requests(srv, ctl):
    r = raw_unix(srv, b"POST /v1/rooms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: -5\r\n\r\n{}")
    body = json_of(r) or {}
    checks.check(status_of(r) == 400 and "Content-Length" in body.get("error", {}).get("message", ""),
                 "Content-Length: -5: 400 JSON (%r)" % r[:60])
    r = raw_unix(srv, b"GET /v1/health HTTP/1.0\r\n\r\n")
    checks.check(status_of(r) == 200, "HTTP/1.0 without Host on the Unix socket: 200 (%r)" % r[:30])
    r = raw_unix(srv, b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    body = json_of(r) or {}
    checks.check(status_of(r) == 431 and body.get("error", {}).get("code") == "headers-too-large",
                 "20 kB of headers: 431 JSON (%r)" % r[:50])
    r = raw_unix(srv, b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Huge: " + b"a" * 200000 + b"\r\n\r\n")
    checks.check(status_of(r) in (None, 431), "200 kB of headers: connection closed (%r)" % r[:50])
    checks.check(ctl.get("/v1/health")[0] == 200, "the server carries on")
    for scheme in ("bearer", "BEARER", "Bearer"):
        c = Control(tcp=("127.0.0.1", srv.control_port), token=None)
        s, _, _ = c.raw("GET", "/v1/health", headers={"Authorization": "%s %s" % (scheme, srv.control_token)})
        checks.check(s == 200, "Authorization: %s TOKEN: 200 (%d)" % (scheme, s))
    for name in (".", "..", "", "a/b", "x\x01y", "a\nb", ".hidden", " "):
        s, body = ctl.call("POST", "/v1/rooms", {"name": name})
        checks.check(s == 400 and body and body.get("error", {}).get("code") == "invalid-field",
                     "room name %r: 400 invalid-field (%d)" % (name, s))
    s, body = ctl.get("/v1/rooms")
    checks.check(s == 200 and [r["name"] for r in body["rooms"]] == [],
                 "no room was made from a bad name (%s)" % [r["name"] for r in body["rooms"]])


def main():
    # a second [control] group: GKeyFile merges it into McuServer's own
    srv = mcutest.McuServer(
        control_http=True,
        extra="[control]\nmax-connections=%d\nidle-timeout=%d\nevent-backlog=%d\n"
              % (MAX_CONNECTIONS, IDLE_TIMEOUT, BACKLOG_KIB))
    srv.start()
    ctl = Control(srv.control_socket)
    try:
        test_fds(srv, ctl)
        test_max_connections(srv, ctl)
        test_idle_timeout(srv)
        test_bad_requests(srv, ctl)
        test_mcuctl_full_backlog(srv)
        test_event_backlog(srv, ctl)
    finally:
        code = srv.stop()
    checks.check(code == 0, "server exits 0")
    checks.exit()


if __name__ == "__main__":
    main()
