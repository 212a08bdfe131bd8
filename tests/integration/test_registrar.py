# SPDX-License-Identifier: LGPL-2.1-or-later
"""The registrar and digest authentication of the real daemon, on loopback.

sipp drives the scenarios in sipp/reg-*.xml (sipp answers MD5 challenges
with -au/-ap and exits 0 only when every response and check_it regexp
matched). A small SIP client here, with its own digest code (hashlib, not
the server's), checks what sipp cannot: SHA-256, nonce expiry and replay,
Call-ID/CSeq ordering, another user's AOR, another domain, INVITE
authentication, expiry by the clock, the database, and bindings surviving
a restart.
"""

import hashlib
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402

SCENARIOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sipp")
SIPP = shutil.which("sipp") or "/usr/bin/sipp"
PASSWORDS = {"alice": "alice-secret", "bob": "bob-secret", "carol": "carol-pw"}
REALM = "127.0.0.1"  # McuServer's domain is its listen address
NONCE_LIFETIME = 10  # the smallest [auth] nonce-lifetime


def sha256(s):
    return hashlib.sha256(s.encode()).hexdigest()


def config(db):
    return (
        "[auth]\nmax-failures=3\nnonce-lifetime=%d\ninvite=true\n\n"
        "[registrar]\nmin-expires=2\nmax-expires=600\ndefault-expires=300\n\n"
        "[storage]\ndatabase=%s\n\n"
        "[user:alice]\npassword=%s\n\n[user:bob]\npassword=%s\n\n"
        "[user:carol]\nha1=%s\n"
        % (NONCE_LIFETIME, db, PASSWORDS["alice"], PASSWORDS["bob"],
           sha256("carol:%s:%s" % (REALM, PASSWORDS["carol"]))))


# --- a minimal SIP client over UDP -----------------------------------------

class Response:
    def __init__(self, text):
        head = text.split("\r\n\r\n", 1)[0].split("\r\n")
        m = re.match(r"SIP/2\.0 (\d{3}) (.*)", head[0])
        self.status = int(m.group(1)) if m else 0
        self.reason = m.group(2) if m else ""
        self.headers = []
        for line in head[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                self.headers.append((k.strip().lower(), v.strip()))
        self.text = text

    def all(self, name):
        return [v for k, v in self.headers if k == name.lower()]

    def get(self, name):
        v = self.all(name)
        return v[0] if v else None

    def contacts(self):
        """{uri: {param: value}} of every Contact value."""
        out = {}
        for h in self.all("contact"):
            for item in re.findall(r"<[^>]*>[^,]*", h):
                uri = item[1:item.index(">")]
                params = dict(p.split("=", 1) for p in item[item.index(">") + 1:].split(";") if "=" in p)
                out[uri] = params
        return out


def parse_challenge(value):
    return dict((k.lower(), v1 or v2) for k, v1, v2 in
                re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', value))


def authorization(chal, method, uri, user, password, nc=1, cnonce="0a4f113b"):
    alg = chal.get("algorithm", "MD5")
    h = (lambda s: hashlib.sha256(s.encode()).hexdigest()) if alg == "SHA-256" else \
        (lambda s: hashlib.md5(s.encode()).hexdigest())
    ha1 = h("%s:%s:%s" % (user, chal["realm"], password))
    ha2 = h("%s:%s" % (method, uri))
    resp = h("%s:%s:%08x:%s:auth:%s" % (ha1, chal["nonce"], nc, cnonce, ha2))
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
            'algorithm=%s, cnonce="%s", qop=auth, nc=%08x'
            % (user, chal["realm"], chal["nonce"], uri, resp, alg, cnonce, nc))


class Client:
    def __init__(self, srv, ip="127.0.0.1"):
        self.srv = srv
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ip, 0))
        self.sock.settimeout(5)
        self.ip, self.port = self.sock.getsockname()
        self.ruri = "sip:%s:%d" % (srv.listen, srv.port)

    def close(self):
        self.sock.close()

    def send(self, method, user, cseq, call_id, to_user=None, to_domain=REALM, contacts=None,
             expires=None, auth=None, ruri=None, body=""):
        ruri = ruri or self.ruri
        branch = "z9hG4bK" + uuid.uuid4().hex[:16]
        lines = ["%s %s SIP/2.0" % (method, ruri),
                 "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (self.ip, self.port, branch),
                 "Max-Forwards: 70",
                 "From: <sip:%s@%s>;tag=%s" % (user, REALM, call_id[:8]),
                 "To: <sip:%s@%s>" % (to_user or user, to_domain),
                 "Call-ID: %s" % call_id,
                 "CSeq: %d %s" % (cseq, method)]
        if contacts is not None:
            lines.append("Contact: %s" % contacts)
        if expires is not None:
            lines.append("Expires: %d" % expires)
        if auth:
            lines.append("Authorization: %s" % auth)
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append("Content-Length: %d" % len(body))
        msg = "\r\n".join(lines) + "\r\n\r\n" + body
        self.sock.sendto(msg.encode(), (self.srv.listen, self.srv.port))
        while True:
            data, _ = self.sock.recvfrom(65536)
            r = Response(data.decode("utf-8", "replace"))
            if r.status >= 200 and branch in data.decode("utf-8", "replace"):
                break
        if method == "INVITE":
            ack = ["ACK %s SIP/2.0" % ruri,
                   "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (self.ip, self.port, branch),
                   "Max-Forwards: 70",
                   "From: <sip:%s@%s>;tag=%s" % (user, REALM, call_id[:8]),
                   "To: %s" % r.get("to"), "Call-ID: %s" % call_id,
                   "CSeq: %d ACK" % cseq, "Content-Length: 0"]
            self.sock.sendto(("\r\n".join(ack) + "\r\n\r\n").encode(),
                             (self.srv.listen, self.srv.port))
        return r

    def challenged(self, method, user, cseq, call_id, algorithm="MD5", password=None, **kw):
        """The request without credentials (expects 401), then with them (CSeq
        + 1) answering the @algorithm challenge. Returns (401, final)."""
        first = self.send(method, user, cseq, call_id, **kw)
        if first.status != 401:
            return first, first
        chals = [parse_challenge(v) for v in first.all("www-authenticate")]
        chal = [c for c in chals if c.get("algorithm", "MD5") == algorithm][0]
        auth = authorization(chal, method, kw.get("ruri") or self.ruri, user,
                             password or PASSWORDS[user])
        return first, self.send(method, user, cseq + 1, call_id, auth=auth, **kw)

    def register(self, user, contacts=None, expires=None, algorithm="MD5", call_id=None, cseq=1, **kw):
        return self.challenged("REGISTER", user, cseq, call_id or uuid.uuid4().hex, algorithm,
                               contacts=contacts, expires=expires, **kw)[1]


# --- sipp ------------------------------------------------------------------

def sipp(t, srv, scenario, user, password, ip="127.0.0.1"):
    d = tempfile.mkdtemp(prefix="mcu-sipp-reg-")
    msgs, errs = os.path.join(d, "messages.log"), os.path.join(d, "errors.log")
    rc, out = None, b""
    for _ in range(3):  # 254: sipp could not bind its local port
        port = mcutest.free_port()
        cmd = [SIPP, "-sf", os.path.join(SCENARIOS, scenario + ".xml"), "-nostdin",
               "-m", "1", "-i", ip, "-p", str(port), "-s", user,
               "-au", user, "-ap", password, "-timeout", "15s", "-timeout_error",
               "-trace_msg", "-message_file", msgs, "-trace_err", "-error_file", errs,
               "%s:%d" % (srv.listen, srv.port)]
        p = subprocess.run(cmd, cwd=d, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        rc, out = p.returncode, p.stdout
        if rc != 254:
            break
    ok = t.check(rc == 0, "sipp %s as %s from %s (exit %s)" % (scenario, user, ip, rc))
    if not ok:
        for path in (errs, msgs):
            if os.path.exists(path):
                print("---- %s ----\n%s" % (path, open(path, errors="replace").read()[-5000:]))
        print(out.decode("utf-8", "replace")[-2000:])
    shutil.rmtree(d, ignore_errors=True)
    return port if ok else None


def db_rows(db, aor):
    with sqlite3.connect(db) as c:
        return c.execute("SELECT contact, expires_at, received, call_id, cseq FROM bindings "
                         "WHERE aor = ?", (aor,)).fetchall()


# --- the tests ----------------------------------------------------------------

def test_sipp_flows(t, srv, db):
    port = sipp(t, srv, "reg-auth", "alice", PASSWORDS["alice"])
    rows = db_rows(db, "alice")
    t.check(port and len(rows) == 1 and rows[0][0] == "sip:alice@127.0.0.1:%d" % port
            and rows[0][2] == "127.0.0.1:%d/udp" % port,
            "sipp's binding is in the database with its source (%s)" % rows)
    # wrong password from 127.0.0.2: 401, 401, 401, 403, 403
    sipp(t, srv, "reg-wrong-password", "bob", "not-bobs-password", ip="127.0.0.2")
    t.check('auth failure: user="bob" source=127.0.0.2 method=REGISTER reason=wrong-password'
            in srv.log_text(), "the failures are logged with user and source (fail2ban's line)")
    c = Client(srv)
    r = c.register("bob", "<sip:bob@%s:%d>" % (c.ip, c.port), 300)
    t.check(r.status == 200, "bob still registers from 127.0.0.1 (the block is per user and "
            "source): %d" % r.status)
    # (the block of bob from 127.0.0.2 lasts 1 s here and grows with more
    # failures: test_auth_guessing checks it with the clock)
    r = c.register("bob", "*", 0)
    t.check(r.status == 200 and not r.contacts(), "bob unregistered (wildcard)")
    c.close()
    sipp(t, srv, "reg-423", "bob", PASSWORDS["bob"])
    sipp(t, srv, "reg-contacts", "bob", PASSWORDS["bob"])
    t.check(db_rows(db, "bob") == [], "no bindings of bob left in the database")


def test_rules(t, srv):
    c = Client(srv)
    me = "<sip:alice@%s:%d>" % (c.ip, c.port)

    # SHA-256 end to end (sipp only speaks MD5), and the query lists alice
    r = c.register("alice", None, None, algorithm="SHA-256")
    t.check(r.status == 200 and len(r.contacts()) == 1,
            "SHA-256 authenticated query lists alice's binding: %d %s" % (r.status, r.contacts()))
    t.check(r.get("date") is not None, "the 200 has a Date header")

    # an HA1-only (SHA-256) user is challenged with SHA-256 only
    first = c.send("REGISTER", "carol", 1, uuid.uuid4().hex)
    algs = [parse_challenge(v).get("algorithm") for v in first.all("www-authenticate")]
    t.check(first.status == 401 and algs == ["SHA-256"],
            "carol (ha1 is SHA-256) is offered SHA-256 only: %s" % algs)
    first = c.send("REGISTER", "alice", 1, uuid.uuid4().hex)
    algs = [parse_challenge(v).get("algorithm") for v in first.all("www-authenticate")]
    t.check(algs == ["MD5", "SHA-256"], "alice is offered MD5 and SHA-256: %s" % algs)

    # only the user itself may register its AOR; another domain is not ours
    r = c.register("alice", me, 300, to_user="bob")
    t.check(r.status == 403, "alice registering bob's AOR: 403 (got %d)" % r.status)
    r = c.register("alice", me, 300, to_domain="elsewhere.example")
    t.check(r.status == 404, "an AOR in another domain: 404 (got %d)" % r.status)

    # Call-ID/CSeq ordering: an older CSeq in the same Call-ID is refused
    cid = uuid.uuid4().hex
    other = "<sip:alice-order@%s:%d>" % (c.ip, c.port)
    r = c.register("alice", other, 300, call_id=cid, cseq=10)
    t.check(r.status == 200, "register with CSeq 11: %d" % r.status)
    r = c.register("alice", other, 0, call_id=cid, cseq=5)
    t.check(r.status == 500, "removal with older CSeq 6 in the same Call-ID: 500 (got %d)"
            % r.status)
    r = c.register("alice", None, None)
    t.check(other[1:-1] in r.contacts(), "the binding is still there after the refused update")
    r = c.register("alice", other, 0, call_id=uuid.uuid4().hex, cseq=1)
    t.check(r.status == 200 and other[1:-1] not in r.contacts(),
            "removal from another Call-ID with a low CSeq works: %d" % r.status)

    # max-expires clamps
    r = c.register("alice", other, 86400)
    exp = r.contacts().get(other[1:-1], {}).get("expires")
    t.check(exp in ("600", "599"), "Expires: 86400 is clamped to max-expires 600 (got %s)" % exp)
    c.register("alice", other, 0)
    c.close()


def test_nonces(t, srv):
    """Queries (no Contact), so no binding is left behind."""
    c = Client(srv)
    cid = uuid.uuid4().hex
    first = c.send("REGISTER", "alice", 1, cid)
    chal = parse_challenge(first.all("www-authenticate")[0])
    auth = authorization(chal, "REGISTER", c.ruri, "alice", PASSWORDS["alice"], nc=1)
    r = c.send("REGISTER", "alice", 2, cid, auth=auth)
    t.check(r.status == 200, "nonce count 1 accepted: %d" % r.status)
    r = c.send("REGISTER", "alice", 3, cid, auth=auth)
    stale = [parse_challenge(v).get("stale") for v in r.all("www-authenticate")]
    t.check(r.status == 401 and stale == ["true", "true"],
            "the same nonce count again (a replay): 401 stale=true (got %d %s)" % (r.status, stale))
    auth2 = authorization(chal, "REGISTER", c.ruri, "alice", PASSWORDS["alice"], nc=2)
    r = c.send("REGISTER", "alice", 4, cid, auth=auth2)
    t.check(r.status == 200, "nonce count 2 on the same nonce accepted: %d" % r.status)
    return c, cid, chal, time.monotonic()


def test_nonce_expiry(t, state):
    """After nonce-lifetime the right password earns stale=true (the other
    tests ran meanwhile)."""
    c, cid, chal, issued = state
    time.sleep(max(0, issued + NONCE_LIFETIME + 1.5 - time.monotonic()))
    auth3 = authorization(chal, "REGISTER", c.ruri, "alice", PASSWORDS["alice"], nc=3)
    r = c.send("REGISTER", "alice", 5, cid, auth=auth3)
    stale = [parse_challenge(v).get("stale") for v in r.all("www-authenticate")]
    t.check(r.status == 401 and stale == ["true", "true"],
            "an expired nonce: 401 stale=true (got %d %s)" % (r.status, stale))
    bad = authorization(chal, "REGISTER", c.ruri, "alice", "guess", nc=4)
    r = c.send("REGISTER", "alice", 6, cid, auth=bad)
    stale = [parse_challenge(v).get("stale") for v in r.all("www-authenticate")]
    t.check(r.status == 401 and stale == [None, None],
            "a wrong password on an expired nonce is not stale (got %d %s)" % (r.status, stale))
    c.close()


def test_invite_auth(t, srv):
    c = Client(srv)
    ruri = "sip:no-such-room@%s:%d" % (srv.listen, srv.port)
    first, final = c.challenged("INVITE", "alice", 1, uuid.uuid4().hex, ruri=ruri,
                                contacts="<sip:alice@%s:%d>" % (c.ip, c.port))
    t.check(first.status == 401, "[auth] invite=true: an INVITE without credentials gets 401 (got %d)"
            % first.status)
    t.check(final.status == 404, "with credentials it goes on (unknown room: 404, got %d)"
            % final.status)
    c.close()


def test_expiry(t, srv, db):
    c = Client(srv)
    short = "<sip:alice-short@%s:%d>" % (c.ip, c.port)
    r = c.register("alice", short, 2)
    t.check(r.status == 200 and r.contacts().get(short[1:-1], {}).get("expires") in ("2", "1"),
            "a 2 s binding: %d %s" % (r.status, r.contacts()))
    gone = mcutest.poll_until(
        lambda: not any(row[0] == short[1:-1] for row in db_rows(db, "alice")), 8)
    t.check(gone, "the expired binding is purged from the database by the timer")
    r = c.register("alice", None, None)
    t.check(short[1:-1] not in r.contacts(), "a query no longer lists the expired binding")
    t.check("bindings of alice expired" in srv.log_text(), "the purge is logged")
    c.close()


def test_restart(t, db):
    srv = mcutest.McuServer(extra=config(db), rooms_auto_create=False).start()
    c = Client(srv)
    keep = "<sip:carol@%s:%d>" % (c.ip, c.port)
    r = c.register("carol", keep, 600, algorithm="SHA-256")
    t.check(r.status == 200, "carol registers with SHA-256 (HA1-only user): %d" % r.status)
    c.close()
    code = srv.stop()
    t.check(code == 0, "daemon exits 0 on SIGTERM (got %s)" % code)
    with sqlite3.connect(db) as conn:
        live = conn.execute("SELECT count(*) FROM bindings WHERE expires_at > ?",
                            (int(time.time()) + 2,)).fetchone()[0]

    srv = mcutest.McuServer(extra=config(db), rooms_auto_create=False).start()
    try:
        t.check(live >= 1 and "%d bindings loaded from the store" % live in srv.log_text(),
                "the restarted daemon loads the %d live bindings" % live)
        c = Client(srv)
        r = c.register("carol", None, None, algorithm="SHA-256")
        exp = int(r.contacts().get(keep[1:-1], {}).get("expires", "0"))
        t.check(r.status == 200 and 590 <= exp <= 600,
                "after the restart a query lists carol's binding (expires %d)" % exp)
        c.register("carol", keep, 0, algorithm="SHA-256")
        c.close()
    finally:
        code = srv.stop()
    t.check(code == 0, "restarted daemon exits 0")
    return srv


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    t = mcutest.Failures()
    started = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="mcu-reg-test-")
    db = os.path.join(tmp, "state", "mcu.db")
    srv = None
    try:
        srv = mcutest.McuServer(extra=config(db), rooms_auto_create=False).start()
        t.check(os.path.exists(db), "the database is created at [storage] database")
        nonce_state = test_nonces(t, srv)
        test_sipp_flows(t, srv, db)
        test_rules(t, srv)
        test_invite_auth(t, srv)
        test_expiry(t, srv, db)
        test_nonce_expiry(t, nonce_state)
        log = srv.log_text()
        t.check(not any(p in log for p in PASSWORDS.values()), "no password appears in the log")
        code = srv.stop()
        t.check(code == 0, "daemon exits 0 on SIGTERM (got %s)" % code)
        test_restart(t, db)
    finally:
        if srv is not None and srv.alive():
            srv.stop(check_log=False)
        shutil.rmtree(tmp, ignore_errors=True)
    print("# %.1f s" % (time.monotonic() - started))
    t.exit()


if __name__ == "__main__":
    main()
