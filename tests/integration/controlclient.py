# SPDX-License-Identifier: LGPL-2.1-or-later
"""A small client of mcu's control socket for the tests: HTTP/1.1 over the
Unix socket or TCP, JSON in and out, and a Server-Sent Events reader."""

import http.client
import json
import socket
import struct
import threading
import time


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        """Waits (up to the timeout) for room in the server's listen
        backlog, as a blocking client does: a socket in Python's timeout
        mode is non-blocking, and a Unix socket's connect then fails at once
        with EAGAIN while the server has not accepted the connections ahead
        of it (test_control_limits: 250 clients that hang up at once)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        secs = self.timeout if isinstance(self.timeout, (int, float)) else 10
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                     struct.pack("ll", int(secs), int((secs % 1) * 1e6)))
        s.connect(self.path)
        s.settimeout(self.timeout)
        self.sock = s


class Control:
    """Control(socket_path) or Control(tcp=("127.0.0.1", port), token=...)."""

    def __init__(self, socket_path=None, tcp=None, token=None):
        self.socket_path = socket_path
        self.tcp = tcp
        self.token = token

    def _conn(self, timeout=10):
        if self.tcp:
            return http.client.HTTPConnection(self.tcp[0], self.tcp[1], timeout=timeout)
        return UnixHTTPConnection(self.socket_path, timeout=timeout)

    def raw(self, method, path, body=None, headers=None):
        """(status, headers dict, body bytes). body: bytes or None."""
        h = dict(headers or {})
        if self.token is not None and "Authorization" not in h:
            h["Authorization"] = "Bearer " + self.token
        c = self._conn()
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def call(self, method, path, obj=None, headers=None):
        """(status, parsed JSON or None)."""
        body = None
        h = dict(headers or {})
        if obj is not None:
            body = json.dumps(obj).encode()
            h.setdefault("Content-Type", "application/json")
        status, _, data = self.raw(method, path, body, h)
        return status, (json.loads(data) if data.strip() else None)

    def get(self, path):
        return self.call("GET", path)


class EventReader(threading.Thread):
    """Reads GET /v1/events in the background; .events is the list of
    parsed event objects (with their SSE id and event fields checked)."""

    def __init__(self, control, last_event_id=None):
        super().__init__(daemon=True)
        self.control = control
        self.last_event_id = last_event_id
        self.events = []
        self.errors = []
        self.connected = threading.Event()
        self.status = None
        self.headers = {}
        self._stop = False
        self._conn = None

    def run(self):
        h = {}
        if self.control.token is not None:
            h["Authorization"] = "Bearer " + self.control.token
        if self.last_event_id is not None:
            h["Last-Event-ID"] = str(self.last_event_id)
        c = self.control._conn(timeout=None)
        self._conn = c
        try:
            c.request("GET", "/v1/events", headers=h)
            r = c.getresponse()
            self.status = r.status
            self.headers = {k.lower(): v for k, v in r.getheaders()}
            self.connected.set()
            fields = {}
            while not self._stop:
                line = r.fp.readline()
                if not line:
                    break
                line = line.decode().rstrip("\r\n")
                if line == "":
                    if "data" in fields:
                        ev = json.loads(fields["data"])
                        if str(ev.get("id")) != fields.get("id") or ev.get("type") != fields.get("event"):
                            self.errors.append("SSE fields disagree with data: %r" % fields)
                        self.events.append(ev)
                    fields = {}
                elif line.startswith(":"):
                    continue
                else:
                    k, _, v = line.partition(": ")
                    fields[k] = v
        except Exception as e:  # the test stops the server under us
            if not self._stop:
                self.errors.append(repr(e))
        finally:
            self.connected.set()

    def wait_for(self, pred, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in list(self.events):
                if pred(e):
                    return e
            time.sleep(0.05)
        return None

    def stop(self):
        self._stop = True
        try:
            if self._conn and self._conn.sock:
                self._conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
