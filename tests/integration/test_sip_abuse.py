# SPDX-License-Identifier: LGPL-2.1-or-later
"""Password guessing, lockout fairness, registrar limits, oversized messages
and log injection against the real daemon.

- A guessing loop for alice from 127.0.0.1 is slowed exponentially: after
  max-failures (3) each failure blocks (alice, 127.0.0.1) for 1, 2, 4, 4 s
  (max-backoff 4); the log's fail2ban lines say so, and only a handful of
  passwords get checked in 8 s.
- While the attacker is blocked, alice's right password from 127.0.0.2
  works, and bob from the attacker's own address (a NAT) is not locked out;
  alice from 127.0.0.1 gets 403 with Retry-After without her password being
  checked.
- fail2ban-regex with config/fail2ban/filter.d/mcu.conf finds the
  attacker's address in the server's log, and not an address forged inside
  a user name.
- Contacts per AOR (max-contacts 3): a fourth gets 403.
- A SIP message over max-message-size is refused (UDP: 413 from sofia's
  transport; TCP: connection closed) and the server answers the next one.
- CR/LF/ESC in a From display name and User-Agent come out escaped in the
  log (no raw control character in the log at all).
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402
import sipua  # noqa: E402

checks = mcutest.Failures()
SOURCE_ROOT = os.environ.get("MCU_SOURCE_ROOT",
                             os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FILTER = os.path.join(SOURCE_ROOT, "config", "fail2ban", "filter.d", "mcu.conf")
CONFIG = ("[auth]\nmax-failures=3\nmax-backoff=4\ninvite=true\n\n"
          "[registrar]\nmax-contacts=3\n\n"
          "[user:alice]\npassword=alice-pw\n\n[user:bob]\npassword=bob-pw\n")
LIMITS = "register-rate=50\nregister-burst=100\nmax-message-size=8192\n"


def failures(srv, user, ip):
    """The blocked= values of the fail2ban lines for @user from @ip."""
    pat = re.compile(r'auth failure: user="%s" source=%s method=REGISTER '
                     r'reason=wrong-password blocked=(\d+)' % (re.escape(user), re.escape(ip)))
    return [int(m.group(1)) for m in pat.finditer(srv.log_text())]


def test_guessing(srv):
    attacker = sipua.SipUA(srv.port, "alice", "guess")
    statuses = []
    t0 = time.monotonic()
    # guess as fast as the answers come, until a 4 s block has started
    while time.monotonic() - t0 < 20 and 4 not in failures(srv, "alice", "127.0.0.1"):
        attacker.password = "guess-%d" % len(statuses)
        statuses.append(attacker.register())
        time.sleep(0.02)
    elapsed = time.monotonic() - t0
    seen = failures(srv, "alice", "127.0.0.1")
    print("guesses sent %d in %.1f s, passwords checked %d: blocked= %s"
          % (len(statuses), elapsed, len(seen), seen))
    checks.check(seen[:6] == [0, 0, 1, 2, 4] or seen[:6] == [0, 0, 1, 2, 4, 4],
                 "failures block 1, 2, 4 s after the third (%s)" % seen)
    # (the blocks are counted in whole seconds of a monotonic clock)
    checks.check(len(seen) <= 6 and len(statuses) >= 5 * len(seen) and elapsed >= 1.0,
                 "the guessing is slowed: %d of %d guesses checked in %.1f s"
                 % (len(seen), len(statuses), elapsed))
    checks.check(403 in statuses, "blocked guesses get 403")

    # during the 4 s block
    t_block = time.monotonic()
    me = sipua.SipUA(srv.port, "alice", "guess")
    me.password = "alice-pw"
    status = me.register()
    retry = me.last.h("retry-after") if me.last else ""
    checks.check(status == 403 and retry.isdigit() and 1 <= int(retry) <= 4,
                 "alice's right password from the attacker's address while blocked: 403, "
                 "Retry-After %s (got %s)" % (retry, status))
    checks.check(len(failures(srv, "alice", "127.0.0.1")) == len(seen),
                 "the password was not checked during the block")
    other = sipua.SipUA(srv.port, "alice", "alice-pw", local_ip="127.0.0.2")
    checks.check(other.register() == 200,
                 "alice's right password from 127.0.0.2 works while 127.0.0.1 is blocked")
    bob = sipua.SipUA(srv.port, "bob", "bob-pw")
    checks.check(bob.register() == 200,
                 "bob from the attacker's address (a NAT) is not locked out by alice's failures")
    checks.check(time.monotonic() - t_block < 3.5, "(those checks ran inside the block)")
    for ua in (attacker, me, other, bob):
        ua.close()


def test_fail2ban(srv):
    if not shutil.which("fail2ban-regex"):
        checks.check(False, "fail2ban-regex is installed (scripts/install-deps --test)")
        return
    # a user name that tries to forge the source field
    ua = sipua.SipUA(srv.port, "mallory", "x")
    auth = ('Digest username="mal\\"lory source=6.6.6.6", realm="127.0.0.1", nonce="00", '
            'uri="sip:127.0.0.1", response="00000000000000000000000000000000", '
            'algorithm=MD5')
    ua.request("REGISTER", "sip:127.0.0.1", "<sip:mallory@127.0.0.1>",
               extra="Authorization: %s\r\nExpires: 60\r\n" % auth)
    ua.close()
    mcutest.poll_until(lambda: "reason=unknown-user" in srv.log_text(), 5)
    log = os.path.join(srv.dir, "copy.log")
    with open(log, "w") as f:
        f.write(srv.log_text())
    out = subprocess.run(["fail2ban-regex", "-v", log, FILTER], capture_output=True,
                         text=True, timeout=60).stdout
    hosts = set(re.findall(r"^\|\s+(\d+\.\d+\.\d+\.\d+)\s+\w{3} ", out, re.M))
    expected = srv.log_text().count("auth failure: ") + srv.log_text().count("rate limit: ")
    m = re.search(r"Lines: \d+ lines, \d+ ignored, (\d+) matched", out)
    checks.check(m is not None and int(m.group(1)) == expected,
                 "fail2ban-regex matches every failure line (%s of %d)"
                 % (m.group(1) if m else None, expected))
    checks.check(hosts == {"127.0.0.1"},
                 "fail2ban finds the attacker 127.0.0.1 only, not the forged 6.6.6.6 (%s)" % hosts)


def test_contacts_limit(srv):
    # bob has one binding already (test_guessing)
    ua = sipua.SipUA(srv.port, "bob", "bob-pw")
    three = ", ".join("<sip:bob-%d@127.0.0.1:%d>" % (i, 6000 + i) for i in range(3))
    status = ua.register(contact=three[1:-1])
    checks.check(status == 403 and "Too Many Contacts" in ua.last.first,
                 "a fourth contact for one AOR with max-contacts=3: 403 (%s)" % ua.last.first)
    two = ", ".join("<sip:bob-%d@127.0.0.1:%d>" % (i, 6000 + i) for i in range(2))
    checks.check(ua.register(contact=two[1:-1]) == 200, "up to 3 contacts: 200")
    checks.check("REGISTER of bob from 127.0.0.1" in srv.log_text() and
                 "rejected: status=403 Too Many Contacts" in srv.log_text(),
                 "the rejection is logged with its status")
    ua.close()


def options(port, pad=0, transport="udp"):
    cid = uuid.uuid4().hex
    if transport == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
    else:
        s = socket.create_connection(("127.0.0.1", port))
    lport = s.getsockname()[1]
    msg = ("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/%s 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
           "From: <sip:probe@127.0.0.1>;tag=%s\r\nTo: <sip:127.0.0.1:%d>\r\nCall-ID: %s\r\n"
           "CSeq: 1 OPTIONS\r\nX-Pad: %s\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
           % (port, transport.upper(), lport, cid[:12], cid[:8], port, cid, "a" * pad)).encode()
    s.settimeout(1.5)
    try:
        if transport == "udp":
            s.sendto(msg, ("127.0.0.1", port))
        else:
            s.sendall(msg)
        data = s.recv(65535)
        return data.split(b"\r\n")[0].decode() if data else "closed"
    except socket.timeout:
        return "no answer"
    except OSError as e:
        return "closed (%s)" % e.strerror
    finally:
        s.close()


def test_message_size(srv):
    r = options(srv.port, 20000)
    checks.check(r.startswith("SIP/2.0 413"),
                 "a 20 kB UDP request over max-message-size (8192): 413 (%s)" % r)
    r = options(srv.port, 100000, "tcp")
    checks.check(r.startswith("closed"), "a 100 kB TCP request: connection closed (%s)" % r)
    checks.check(options(srv.port, 100) == "SIP/2.0 200 OK", "a normal OPTIONS still gets 200")
    checks.check(srv.alive(), "the server is still running")


def test_log_escaping(srv):
    ua = sipua.SipUA(srv.port, "eve", display="Eve\x1b[2J\x07 \\\" x")
    ua.request("MESSAGE", "sip:nobody-here@127.0.0.1", "<sip:nobody-here@127.0.0.1>",
               extra="User-Agent: evil\x1b]0;title\x07\r\n", body="hi")
    ua.close()
    with open(srv.logpath, "rb") as f:
        raw = f.read()
    bad = sorted({b for b in raw if b < 0x20 and b not in (0x0a,)})
    checks.check(not bad, "no raw control character in the log (found %s)" % bad)


def main():
    with mcutest.McuServer(extra=CONFIG, limits=LIMITS) as srv:
        test_guessing(srv)
        test_fail2ban(srv)
        test_contacts_limit(srv)
        test_message_size(srv)
        test_log_escaping(srv)
        checks.check(srv.alive(), "the server survived it all")
    checks.exit()


if __name__ == "__main__":
    main()
