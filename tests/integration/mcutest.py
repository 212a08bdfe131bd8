# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared fixture for integration tests: runs the real `mcu` daemon on
loopback with ephemeral ports and a throw-away config, and small helpers."""

import os
import socket
import subprocess
import sys
import tempfile
import time

MCU_BIN = os.environ.get("MCU_BIN", "build/mcu/mcu")
TOOLS_DIR = os.environ.get("MCU_TOOLS_DIR", "build/tests/tools")
SOURCE_ROOT = os.environ.get(
    "MCU_SOURCE_ROOT", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def free_port(also_tcp=True):
    """A port free for UDP (and TCP) on 127.0.0.1 right now."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        try:
            if also_tcp:
                t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                try:
                    t.bind(("127.0.0.1", port))
                finally:
                    t.close()
            return port
        except OSError:
            continue
        finally:
            u.close()
    raise RuntimeError("no free port")


def free_udp_block(count=4):
    """An even port such that it and the count - 1 after it are free for UDP
    right now (sipp's -mp: audio RTP/RTCP there, video at +2 and +3)."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        base = u.getsockname()[1] & ~1
        u.close()
        socks = []
        try:
            for p in range(base, base + count):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free block of %d UDP ports" % count)


def _ephemeral_ports():
    """The kernel's range for ports bound as port 0 (ip_local_port_range)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(v) for v in f.read().split())
        return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


def free_port_range(count=200):
    """A base port such that [base, base+count) looks free (best effort),
    outside the kernel's ephemeral range when there is room: the test peers
    bind their RTP ports as port 0, and a server's range is where strays go
    (test_b2bua's StrayRtp sends to every port of it; other tests' servers
    send to its ports): a peer port inside it got them, and the peer
    recorded the stray's silence instead of the server's audio. And below
    20000: tests/bench's servers and load generators take 2,000 ports and
    more from 20000 up (a dial-out in a range inside a bench's ended at
    once, most likely without a free port pair)."""
    lo, _ = _ephemeral_ports()
    top = min(lo, 20000)
    if top - 10000 >= 8 * count:
        first, last = 10000, top - count
    else:  # no room below the ephemeral range: as before
        first, last = 30000, 60000 - count
    slots = (last - first) // count + 1
    start = (os.getpid() * 7) % slots
    for i in range(slots):
        base = first + (start + i) % slots * count
        ok = True
        for p in (base, base + count // 2, base + count - 1):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return base
    raise RuntimeError("no free port range")


# GLib/GStreamer warnings that are understood and harmless, with the reason.
KNOWN_WARNINGS = [
    # A participant's bin both feeds the mixer and is fed by it (rtpbin
    # carries both directions), a cycle to GstBin's sort when the room
    # pipeline walks its children; GstBin breaks it and carries on.
    "loop detected in the graph of bin",
]


class McuServer:
    """The daemon under test. Usage:

        with McuServer(extra="[room:9000]\\nmax-participants=2\\n") as srv:
            srv.port, srv.uri("1000"), srv.log_text()
    """

    def __init__(self, extra="", rooms_auto_create=True, rtp_timeout=30, env=None, sip_port=None,
                 listen="127.0.0.1", prefix=None, ring_time=0, control_http=False,
                 control_token="test-token", limits=None, transports="udp,tcp", sip_extra="",
                 rtp_ports=400):
        """listen: the address for SIP and RTP; prefix: argv to run the
        daemon under (e.g. `ip netns exec NS`); limits: the [limits] group's
        keys (default: per-source rates high enough for any test's own
        traffic from 127.0.0.1, and no no-media hang-up, so that only the
        tests of the limits meet them); transports, sip_extra: [sip]
        transports= and more lines of [sip] (e.g. tls-port=N); rtp_ports: the
        size of the server's RTP port range (two ports a caller)."""
        self.listen = listen
        self.prefix = list(prefix or [])
        self.port = sip_port or free_port()
        self.rtp_min = free_port_range(rtp_ports)
        self.rtp_max = self.rtp_min + rtp_ports - 1
        self.dir = tempfile.mkdtemp(prefix="mcu-test-")
        self.config = os.path.join(self.dir, "mcu.conf")
        self.logpath = os.path.join(self.dir, "mcu.log")
        self.control_socket = os.path.join(self.dir, "control.sock")
        self.control_port = free_port(also_tcp=True) if control_http else None
        self.control_token = control_token if control_http else None
        # the database too: bindings must not leak from one test to the next
        control = "[storage]\ndatabase=%s\n[control]\nsocket=%s\n" % (
            os.path.join(self.dir, "mcu.db"), self.control_socket)
        if control_http:
            control += "http=127.0.0.1:%d\ntoken=%s\n" % (self.control_port, control_token)
        if limits is None:
            limits = "".join("%s-rate=10000\n%s-burst=10000\n" % (k, k)
                             for k in ("invite", "register", "message", "subscribe"))
            limits += "no-media-timeout=0\nmax-half-open-per-source=0\n"
        control += "[limits]\n" + limits
        with open(self.config, "w") as f:
            f.write(
                "[sip]\nlisten=%s\nport=%d\ntransports=%s\ndomain=%s\nring-time=%d\n%s\n"
                "[media]\naddress=%s\nrtp-port-min=%d\nrtp-port-max=%d\nrtp-timeout=%d\n%s\n"
                "[rooms]\nauto-create=%s\nmax-participants=0\n\n%s\n%s"
                % (listen, self.port, transports, listen, ring_time, sip_extra, listen, self.rtp_min, self.rtp_max, rtp_timeout,
                   os.environ.get("MCU_TEST_MEDIA", "").replace(";", "\n"),
                   "true" if rooms_auto_create else "false", control, extra))
        self.env = dict(os.environ)
        self.env.setdefault("G_MESSAGES_DEBUG", "all")
        # Warnings are checked in the log at stop() (see log_problems), not
        # by aborting the daemon: an abort loses the other calls' evidence.
        # The daemon registers its own elements statically; a second copy
        # from the build's plugin dir (set for the element tests) would clash.
        self.env.pop("GST_PLUGIN_PATH", None)
        self.env.pop("GST_REGISTRY", None)
        self.env["G_DEBUG"] = ",".join(
            f for f in self.env.get("G_DEBUG", "").split(",") if f and f != "fatal-warnings")
        if env:
            self.env.update(env)
        self.proc = None

    def start(self, timeout=10.0):
        self.log = open(self.logpath, "wb")
        self.proc = subprocess.Popen(self.prefix + [MCU_BIN, "--config", self.config],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("mcu exited with %d:\n%s" % (self.proc.returncode, self.log_text()))
            if "listening on" in self.log_text():
                return self
            time.sleep(0.05)
        raise RuntimeError("mcu did not start:\n" + self.log_text())

    def log_text(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def uri(self, user, transport=None):
        t = ";transport=%s" % transport if transport else ""
        return "sip:%s@%s:%d%s" % (user, self.listen, self.port, t)

    def log_problems(self):
        """CRITICAL lines, and WARNING lines from GLib/GStreamer that are not
        known and explained in KNOWN_WARNINGS."""
        bad = []
        for line in self.log_text().splitlines():
            if " CRITICAL " in line or "CRITICAL **" in line:
                bad.append(line)
            elif (" WARNING  GStreamer" in line or " WARNING  GLib" in line) and \
                    not any(k in line for k in KNOWN_WARNINGS):
                bad.append(line)
        return bad

    def stop(self, sig=15, timeout=10.0, check_log=True):
        """Stop with SIGTERM (default); return the exit code. Raises if the
        log shows a CRITICAL or an unexplained GLib/GStreamer warning."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError("mcu did not exit on signal %d:\n%s" % (sig, self.log_text()))
        self.log.close()
        problems = self.log_problems() if check_log else []
        if problems:
            raise AssertionError("mcu logged problems:\n" + "\n".join(problems[:20]))
        return self.proc.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        code = self.stop()
        if exc[0] is not None:
            sys.stderr.write("---- mcu log ----\n" + self.log_text()[-20000:] + "\n")
        return False


def poll_until(cond, timeout, step=0.05):
    """Poll cond() until true or timeout seconds pass; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


def udp_port_bound(port):
    """True if something already listens on UDP 127.0.0.1:port."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", port))
        return False
    except OSError:
        return True
    finally:
        s.close()


def wait_udp_bound(port, timeout=10.0):
    """Until a test peer (it starts in the background) has bound UDP
    127.0.0.1:port; true if it did within timeout seconds."""
    return poll_until(lambda: udp_port_bound(port), timeout)


class Failures:
    """Collects check results; exit non-zero at the end if any failed."""

    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
            print("ok - %s" % what, flush=True)
        else:
            self.failed += 1
            print("FAIL - %s" % what, flush=True)
        return cond

    def exit(self):
        print("%d checks passed, %d failed" % (self.passed, self.failed))
        sys.exit(1 if self.failed else 0)
