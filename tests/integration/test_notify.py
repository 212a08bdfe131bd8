# SPDX-License-Identifier: LGPL-2.1-or-later
"""The systemd notification protocol (mcu.service is Type=notify), with a
datagram socket of the test's own standing in for systemd:
- READY=1 comes once the server serves: at that moment an OPTIONS is
  answered and the control socket exists;
- WATCHDOG=1 every half WATCHDOG_USEC, and none when WATCHDOG_PID names
  another process; STOPPING=1 on SIGTERM, then exit 0;
- an abstract NOTIFY_SOCKET (@name) works too;
- an unusable NOTIFY_SOCKET is a warning naming it, not a failure to start."""

import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import floodcheck  # noqa: E402
import mcutest  # noqa: E402

checks = mcutest.Failures()


def receive(sock, timeout):
    """Datagrams received within timeout seconds, as (time, text)."""
    out = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return out
        sock.settimeout(left)
        try:
            out.append((time.monotonic(), sock.recv(4096).decode()))
        except socket.timeout:
            return out


def wait_for(sock, text, timeout):
    """Datagrams up to and including the first that is text (None if not
    within timeout)."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            msg = sock.recv(4096).decode()
        except socket.timeout:
            break
        seen.append(msg)
        if msg == text:
            return seen
    return None


def test_path_socket(work):
    path = os.path.join(work, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    srv = mcutest.McuServer(env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000"})
    srv.start()
    seen = wait_for(sock, "READY=1", 10)
    checks.check(seen == ["READY=1"], "READY=1 first (got %s)" % seen)
    checks.check(os.path.exists(srv.control_socket), "the control socket exists at READY=1")
    rtt = floodcheck.options_rtt(srv.port, ip="127.0.0.1", timeout=2.0)
    checks.check(rtt is not None and rtt < 0.5, "OPTIONS answered at READY=1 (%s s)" % rtt)
    msgs = receive(sock, 1.0)
    dogs = [m for _, m in msgs if m == "WATCHDOG=1"]
    # a 200 ms watchdog is pinged every 100 ms: about 10 in a second
    checks.check(5 <= len(dogs) <= 12, "WATCHDOG=1 every 100 ms: %d in 1 s" % len(dogs))
    checks.check(len(dogs) == len(msgs), "nothing else meanwhile (%s)"
                 % [m for _, m in msgs if m != "WATCHDOG=1"])
    srv.proc.send_signal(15)
    seen = wait_for(sock, "STOPPING=1", 10)
    checks.check(seen is not None, "STOPPING=1 on SIGTERM (after %s)" % (seen and seen[:-1]))
    code = srv.stop()
    checks.check(code == 0, "exit 0 after SIGTERM (%s)" % code)
    sock.close()


def test_abstract_socket_other_pid():
    name = "mcu-test-notify-%d" % os.getpid()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    # the watchdog is meant for another process (systemd's WATCHDOG_PID)
    srv = mcutest.McuServer(env={"NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": "200000",
                                 "WATCHDOG_PID": "1"})
    with srv:
        seen = wait_for(sock, "READY=1", 10)
        checks.check(seen == ["READY=1"], "abstract @socket: READY=1 (got %s)" % seen)
        msgs = receive(sock, 0.6)
        checks.check(msgs == [], "no WATCHDOG=1 when WATCHDOG_PID is another process (%s)" % msgs)
    sock.close()


def test_unusable_socket(work):
    missing = os.path.join(work, "no-such-dir", "notify.sock")
    srv = mcutest.McuServer(env={"NOTIFY_SOCKET": missing})
    with srv:
        rtt = floodcheck.options_rtt(srv.port, ip="127.0.0.1", timeout=2.0)
        checks.check(rtt is not None, "with an unusable NOTIFY_SOCKET the server still serves")
        log = mcutest.poll_until(lambda: "NOTIFY_SOCKET=%s" % missing in srv.log_text()
                                 and srv.log_text(), 5)
        checks.check(bool(log) and "WARNING" in log.split("NOTIFY_SOCKET=%s" % missing)[0]
                     .splitlines()[-1], "a warning names the socket")
    checks.check(srv.proc.returncode == 0, "and it exits 0 (%s)" % srv.proc.returncode)


def main():
    with tempfile.TemporaryDirectory(prefix="mcu-notify-") as work:
        test_path_socket(work)
        test_abstract_socket_other_pid()
        test_unusable_socket(work)
    checks.exit()


if __name__ == "__main__":
    main()
