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


def free_port(kind=socket.SOCK_DGRAM, also_tcp=True):
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


def free_port_range(count=200):
    """A base port such that [base, base+count) looks free (best effort)."""
    for base in range(30000 + (os.getpid() * 7) % 20000, 60000, count):
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


class McuServer:
    """The daemon under test. Usage:

        with McuServer(extra="[room:9000]\\nmax-participants=2\\n") as srv:
            srv.port, srv.uri("1000"), srv.log_text()
    """

    def __init__(self, extra="", rooms_auto_create=True, rtp_timeout=30, env=None, sip_port=None,
                 listen="127.0.0.1", prefix=None):
        """listen: the address for SIP and RTP; prefix: argv to run the
        daemon under (e.g. `ip netns exec NS`)."""
        self.listen = listen
        self.prefix = list(prefix or [])
        self.port = sip_port or free_port()
        self.rtp_min = free_port_range(400)
        self.rtp_max = self.rtp_min + 399
        self.dir = tempfile.mkdtemp(prefix="mcu-test-")
        self.config = os.path.join(self.dir, "mcu.conf")
        self.logpath = os.path.join(self.dir, "mcu.log")
        with open(self.config, "w") as f:
            f.write(
                "[sip]\nlisten=%s\nport=%d\ntransports=udp,tcp\ndomain=%s\n\n"
                "[media]\naddress=%s\nrtp-port-min=%d\nrtp-port-max=%d\nrtp-timeout=%d\n\n"
                "[rooms]\nauto-create=%s\nmax-participants=0\n\n%s"
                % (listen, self.port, listen, listen, self.rtp_min, self.rtp_max, rtp_timeout,
                   "true" if rooms_auto_create else "false", extra))
        self.env = dict(os.environ)
        self.env.setdefault("G_MESSAGES_DEBUG", "all")
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

    def stop(self, sig=15, timeout=10.0):
        """Stop with SIGTERM (default); return the exit code."""
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
        return self.proc.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        code = self.stop()
        if exc[0] is not None:
            sys.stderr.write("---- mcu log ----\n" + self.log_text()[-20000:] + "\n")
        return False


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
