# SPDX-License-Identifier: LGPL-2.1-or-later
"""Recording downloads never hold up the main loop (issue 13), against the
real daemon:

- a 50 MB recording downloads whole and byte for byte while a caller talks
  in a room and the control socket answers other requests (GET /v1/health)
  at once; the caller's audio has no gap (none over 100 ms after its
  first second);
- on a slow disk (every read of *.slow.mkv sleeps 300 ms, an LD_PRELOAD
  shim: tests/tools/mcu-slow-read.c) a download goes on while
  GET /v1/health is still answered in well under those 300 ms (a read on
  the main loop would stall it that long, every chunk);
- [recording] max-downloads=2: a third download at once gets 503
  too-many-downloads (JSON); clients that go away mid-download free their
  places (a new download is taken)."""

import hashlib
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402
from controlclient import Control  # noqa: E402
from videocheck import Caller  # noqa: E402

checks = mcutest.Failures()
SHIM = os.path.join(mcutest.TOOLS_DIR, "libmcu-slow-read.so")
SLOW_MS = 300
BIG = "big-20260101T000000.000Z"
SLOW = "slow-20260101T000001.000Z"


def make_recording(rec_dir, rid, file_name, size):
    """A finished recording as the server leaves it: the file and ID.json."""
    path = os.path.join(rec_dir, file_name)
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            block = os.urandom(min(left, 1 << 20))
            digest.update(block)
            f.write(block)
            left -= len(block)
    with open(os.path.join(rec_dir, rid + ".json"), "w") as f:
        json.dump({"room": rid.split("-")[0], "file": file_name, "started_at": 1767225600000000,
                   "state": "stopped", "video": True, "duration_ms": 60000}, f)
    return digest.hexdigest()


class Download(threading.Thread):
    """GET /v1/recordings/ID over the Unix socket, read as it comes: status,
    headers, bytes so far, and the body's digest once whole."""

    def __init__(self, socket_path, rid, rate=None):
        """rate: bytes a second the client takes at most (None: all)."""
        super().__init__(daemon=True)
        self.rate = rate
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(socket_path)
        self.sock.sendall(("GET /v1/recordings/%s HTTP/1.1\r\nHost: mcu\r\n\r\n" % rid).encode())
        self.status, self.headers, self.received, self.digest = None, {}, 0, None
        self.body_start = b""
        self.stopped = False

    def run(self):
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, rest = data.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            self.status = int(lines[0].split()[1])
            self.headers = {k.strip().lower(): v.strip() for k, v in
                            (line.split(":", 1) for line in lines[1:] if ":" in line)}
            self.body_start = rest[:4096]
            h = hashlib.sha256(rest)
            self.received = len(rest)
            t0 = time.monotonic()
            while not self.stopped:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    break
                h.update(chunk)
                self.received += len(chunk)
                if self.rate:  # a client on a slower link
                    time.sleep(max(0.0, self.received / self.rate - (time.monotonic() - t0)))
            self.digest = h.hexdigest()
        except OSError:
            pass

    def close(self):
        self.stopped = True
        self.sock.close()


def ms(seconds):
    return "no answer" if seconds >= 1e8 else "%.0f ms" % (seconds * 1000)


def health_latencies(ctl, seconds, step=0.1):
    """GET /v1/health for @seconds: the slowest answer (s) and the count."""
    worst, n = 0.0, 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.monotonic()
        try:
            status, _ = ctl.call("GET", "/v1/health")
        except OSError:  # no answer within the client's 10 s
            status = None
        # an error counts as not answered
        worst = max(worst, time.monotonic() - t if status == 200 else 1e9)
        n += 1
        time.sleep(step)
    return worst, n


def main():
    work = tempfile.mkdtemp(prefix="mcu-download-")
    rec_dir = os.path.join(work, "rec")
    os.makedirs(rec_dir)
    big_sum = make_recording(rec_dir, BIG, BIG + ".mkv", 50 * 1000 * 1000)
    make_recording(rec_dir, SLOW, SLOW + ".slow.mkv", 8 * 1000 * 1000)
    checks.check(os.path.exists(SHIM), "the slow-disk shim %s is built" % SHIM)
    srv = mcutest.McuServer(extra="[recording]\ndir=%s\nmax-downloads=2\n" % rec_dir,
                            env={"LD_PRELOAD": os.path.abspath(SHIM), "MCU_SLOW_READ_SUFFIX": ".slow.mkv",
                                 "MCU_SLOW_READ_MS": str(SLOW_MS)})
    srv.start()
    caller = None
    downloads = []
    try:
        ctl = Control(srv.control_socket)
        caller = Caller(work, "talker", srv.uri("talk"), ["--codec", "opus"], duration=60)
        checks.check(caller.wait_answered(15) == 200, "a caller talks in room talk")

        # a large file, whole, while the socket answers other requests
        # (at 25 MB/s: the test's client hashing at full speed would take
        # a core from the calls on this small machine)
        d = Download(srv.control_socket, BIG, rate=25e6)
        downloads.append(d)
        t0 = time.monotonic()
        d.start()
        worst, n = 0.0, 0
        while d.is_alive() and time.monotonic() - t0 < 60:
            w, k = health_latencies(ctl, 0.5)
            worst, n = max(worst, w), n + k
        d.join(5)
        took = time.monotonic() - t0
        print("# 50 MB in %.2f s; GET /v1/health x%d during it, slowest %s" % (took, n, ms(worst)))
        checks.check(d.status == 200 and d.headers.get("content-length") == str(50 * 1000 * 1000)
                     and d.headers.get("content-type") == "video/x-matroska",
                     "50 MB download: 200, Content-Length, video/x-matroska (%s %s)" % (d.status, d.headers))
        checks.check(d.received == 50 * 1000 * 1000 and d.digest == big_sum,
                     "50 MB download: byte for byte (%d bytes)" % d.received)
        checks.check(n >= 1 and worst < 0.25, "GET /v1/health answered during it within %s" % ms(worst))

        # a slow disk: the download goes on, the main loop does not wait
        slow = Download(srv.control_socket, SLOW)
        downloads.append(slow)
        slow.start()
        checks.check(mcutest.poll_until(lambda: slow.status is not None, 5) and slow.status == 200,
                     "slow disk: the download starts (%s)" % slow.status)
        worst, n = health_latencies(ctl, 3.0)
        got = slow.received
        print("# slow disk (%d ms a read): %d bytes in 3 s; GET /v1/health x%d, slowest %s"
              % (SLOW_MS, got, n, ms(worst)))
        checks.check(got >= 4 * 65536, "slow disk: the download goes on (%d bytes in 3 s)" % got)
        checks.check(worst < SLOW_MS / 2000.0,
                     "slow disk: GET /v1/health answered within %s (a read takes %d ms)"
                     % (ms(worst), SLOW_MS))

        # max-downloads=2
        second = Download(srv.control_socket, SLOW)
        downloads.append(second)
        second.start()
        checks.check(mcutest.poll_until(lambda: second.status is not None, 5) and second.status == 200,
                     "a second download at once: 200 (%s)" % second.status)
        status, headers, body = ctl.raw("GET", "/v1/recordings/" + BIG)
        err = json.loads(body).get("error", {}) if body.strip().startswith(b"{") else {}
        checks.check(status == 503 and err.get("code") == "too-many-downloads",
                     "a third: 503 too-many-downloads (%s %s)" % (status, err.get("message")))
        # the clients go away mid-download: their places are free again
        slow.close()
        second.close()
        again = {}

        def taken():
            st = Download(srv.control_socket, SLOW)
            st.start()
            mcutest.poll_until(lambda: st.status is not None, 2)
            st.close()
            again["status"] = st.status
            return st.status == 200
        checks.check(mcutest.poll_until(taken, 5, step=0.3),
                     "after the clients left, a download is taken again (%s)" % again.get("status"))

        status, _, body = ctl.raw("GET", "/v1/recordings/nosuch-20260101T000000.000Z")
        checks.check(status == 404, "an unknown recording: 404 (%s)" % status)
        os.unlink(os.path.join(rec_dir, BIG + ".mkv"))
        status, _, body = ctl.raw("GET", "/v1/recordings/" + BIG)
        err = json.loads(body).get("error", {}) if body.strip().startswith(b"{") else {}
        checks.check(status == 404 and err.get("code") == "no-such-recording",
                     "a recording whose file is gone: 404 no-such-recording (%s %s)" % (status, err))

        code = caller.stop()  # its report covers the downloads
        rep = caller.report() or {}
        # (the jitter buffer's start may hold the second packet: a gap
        # within the first second is the join, before any download)
        gap, at = rep.get("rtp_max_gap_ms", 9999), rep.get("rtp_max_gap_at", 0)
        checks.check(code == 0 and (gap < 100 or at < 1.0),
                     "the caller's audio went on without a gap (exit %s, longest RTP gap %s ms at %.2f s)"
                     % (code, gap, at))
        caller = None
    finally:
        for d in downloads:
            d.close()
        if caller:
            caller.stop()
        srv.stop()
        if checks.failed == 0:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("# kept %s" % work)
    checks.exit()


if __name__ == "__main__":
    main()
