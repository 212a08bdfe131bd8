# SPDX-License-Identifier: LGPL-2.1-or-later
"""SIP over TLS ([sip] transports=udp,tcp,tls, [tls] certificate/key): the
server's TLS listener with a throwaway self-signed certificate made here by
openssl, driven by the suite's own TLS client (tlsua.TlsUA: Debian's sipp
has no TLS) and by mcu-test-caller --transport tls (sofia-sip on both
ends, RTP both ways).

Checks: OPTIONS over TLS 1.2, TLS 1.1 and 1.3 refused; sips: accepted over TLS
and 416 over UDP; the Contact of a call over TLS is sips:; REGISTER with
digest over TLS, then a call to that user reaches it over TLS although its
Contact names no transport; a call's media flows; SIGHUP checks the files
again without touching calls; an expired certificate, a key of another
certificate, a missing file stop the start with exit 1 and a message
naming [tls] and the key."""

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import mcutest  # noqa: E402
import sipua  # noqa: E402
from controlclient import Control  # noqa: E402
from tlsua import TlsUA, expired_certificate, make_certificate  # noqa: E402

PASSWORD = "bob-secret"


def tls_server(cert, key, tls_port=None, extra=""):
    tls_port = tls_port or mcutest.free_port()
    srv = mcutest.McuServer(transports="udp,tcp,tls", sip_extra="tls-port=%d\n" % tls_port,
                            extra="[tls]\ncertificate=%s\nkey=%s\n%s" % (cert, key, extra))
    srv.tls_port = tls_port
    return srv


def start_fails(checks, what, cert, key, expect):
    """The server refuses to start: exit 1, the message names @expect."""
    srv = tls_server(cert, key)
    try:
        srv.start()
        srv.stop()
        checks.check(False, "%s: the server refuses to start (it started)" % what)
        return
    except RuntimeError as e:
        text = str(e)
    srv.stop(check_log=False)
    checks.check(srv.proc.returncode == 1 and all(x in text for x in expect),
                 "%s: exit %s, %r" % (what, srv.proc.returncode, text.splitlines()[0][:300]))


def startup_errors(checks, d):
    cert, key = make_certificate(d, "good")
    other_cert, other_key = make_certificate(d, "other")
    old_cert, old_key = expired_certificate(d)
    start_fails(checks, "expired certificate", old_cert, old_key,
                ["[tls] certificate:", old_cert, "expired on 2020-02-01 00:00:00 UTC"])
    start_fails(checks, "key of another certificate", cert, other_key,
                ["[tls] key:", other_key, "does not match the certificate"])
    start_fails(checks, "missing certificate file", os.path.join(d, "nothere.pem"), key,
                ["[tls] certificate:", "nothere.pem"])
    with open(os.path.join(d, "garbage.pem"), "w") as f:
        f.write("not a certificate\n")
    start_fails(checks, "not PEM", cert, os.path.join(d, "garbage.pem"),
                ["[tls] key:", "not an unencrypted PEM private key"])
    soon_cert, soon_key = make_certificate(d, "soon", days=7)
    with tls_server(soon_cert, soon_key) as srv:
        line = [x for x in srv.log_text().splitlines() if "expires in" in x]
        checks.check(line and "WARNING" in line[0] and "/CN=127.0.0.1" in line[0],
                     "a certificate with 7 days left: the server starts and warns (%s)"
                     % (line and line[0][-120:]))
    srv = mcutest.McuServer(transports="udp,tls")
    try:
        srv.start()
        srv.stop()
        text = ""
    except RuntimeError as e:
        text = str(e)
    srv.stop(check_log=False)
    checks.check(srv.proc.returncode == 1 and "[tls] certificate: required" in text,
                 "tls without [tls] certificate: exit 1 (%r)" % text.splitlines()[0][:200])


def handshake(port, cafile=None, max_version=None):
    """The TLS version negotiated with 127.0.0.1:@port, or the error."""
    if max_version:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with warnings.catch_warnings():  # deprecated: that is the point
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = max_version
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # our side allows it: the server decides
    else:
        ctx = ssl.create_default_context(cafile=cafile)
    try:
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5),
                             server_hostname="127.0.0.1") as s:
            return s.version()
    except (ssl.SSLError, OSError) as e:
        return "error: %s" % e


def signalling(checks, srv, cert):
    v = handshake(srv.tls_port, cafile=cert)
    checks.check(v == "TLSv1.2", "TLS 1.2 handshake, the server's certificate verified against it (%s)"
                 % v)
    only13 = ssl.create_default_context(cafile=cert)
    only13.minimum_version = ssl.TLSVersion.TLSv1_3
    try:
        with only13.wrap_socket(socket.create_connection(("127.0.0.1", srv.tls_port), timeout=5),
                                server_hostname="127.0.0.1") as s:
            v13 = s.version()
    except (ssl.SSLError, OSError) as e:
        v13 = "error: %s" % e
    # pinned to 1.2: sofia-sip loses a first request now and then over 1.3
    checks.check(v13.startswith("error"), "a TLS 1.3-only client is refused (%s)" % v13[:80])
    old = handshake(srv.tls_port, max_version=ssl.TLSVersion.TLSv1_1)
    ok12 = handshake(srv.tls_port, max_version=ssl.TLSVersion.TLSv1_2)
    checks.check(old.startswith("error") and ok12 == "TLSv1.2",
                 "TLS 1.1 refused (%s), the same client at 1.2 accepted (%s)" % (old[:80], ok12))
    with TlsUA(srv.tls_port, "ann", cafile=cert) as ua, sipua.SipUA(srv.port, "udp") as udp:
        r = ua.request("OPTIONS", "sip:127.0.0.1:%d" % srv.tls_port, "<sip:127.0.0.1>")
        checks.check(r is not None and r.status == 200, "OPTIONS over TLS: 200 (%s)" % r)
        uri = "sips:tlsroom@127.0.0.1:%d" % srv.tls_port
        d = ua.call(uri)
        ok = [m for m in ua.responses if m.status == 200 and m.cseq_method() == "INVITE"]
        contact = ok[0].h("contact") if ok else ""
        checks.check(d is not None and "sips:127.0.0.1:%d" % srv.tls_port in contact,
                     "sips: INVITE over TLS: 200, Contact %s" % contact)
        checks.check(d is not None and ua.in_dialog(d, "BYE") == 200, "BYE over TLS: 200")
        r = udp.request("INVITE", "sips:tlsroom@127.0.0.1:%d" % srv.port, "<sips:tlsroom@127.0.0.1>",
                        body=sipua.SDP_TEMPLATE % (41000, "sendrecv"), ctype="application/sdp")
        checks.check(r is not None and r.status == 416 and "over TLS" in r.h("warning"),
                     "sips: INVITE over UDP: 416 (%s, Warning %r)" % (r, r and r.h("warning")))
        d = udp.call(srv.uri("udproom"))
        ok = [m for m in udp.responses if m.status == 200 and m.cseq_method() == "INVITE"]
        contact = ok[0].h("contact") if ok else ""
        checks.check(d is not None and contact.startswith("<sip:") and "tls" not in contact,
                     "a call over UDP keeps a sip: Contact (%s)" % contact)
        checks.check(d is not None and udp.in_dialog(d, "BYE") == 200, "its BYE: 200")
    log = srv.log_text()
    checks.check("INVITE for tlsroom from sip:ann@127.0.0.1 over TLS" in log,
                 "the log says the call came over TLS")


def registered_user(checks, srv, cert):
    """bob registers over TLS with a Contact that names no transport; a call
    to bob must reach him over TLS (on his connection), not over UDP."""
    with TlsUA(srv.tls_port, "bob", cafile=cert, password=PASSWORD) as bob, \
            sipua.SipUA(srv.port, "alice") as alice:
        bob.invite_policy = ("answer", 0.1)
        plain_contact = "sip:bob@127.0.0.1:%d" % bob.port
        status = bob.register(contact=plain_contact)
        checks.check(status == 200, "REGISTER with digest over TLS: 200 (%s)" % status)
        regs = Control(srv.control_socket).get("/v1/registrations")
        text = json.dumps(regs)
        checks.check("/tls" in text and plain_contact in text,
                     "the binding records it came over TLS (%s)" % text[:300])
        d = alice.call("sip:bob@127.0.0.1:%d" % srv.port, timeout=10)
        invites = bob.requests("INVITE")
        checks.check(invites and invites[0].h("via").startswith("SIP/2.0/TLS"),
                     "bob's INVITE came over his TLS connection (%s)"
                     % (invites and invites[0].h("via")))
        checks.check(d is not None, "alice's call to bob is answered over TLS")
        if d:
            checks.check(alice.in_dialog(d, "BYE") == 200, "alice hangs up: 200")
            checks.check(bob.wait_for(lambda: bob.requests("BYE"), 5), "bob gets the BYE over TLS")


def media(checks, srv, cert, d):
    """A caller over TLS (440 Hz) and one over UDP (1000 Hz) in one room:
    each hears the other (RTP, clear: SRTP is another matter)."""
    caller = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
    runs = {}
    for name, tone, uri, extra in (
            ("tls", 440, "sip:mediaroom@127.0.0.1:%d" % srv.tls_port,
             ["--transport", "tls", "--tls-ca", cert]),
            ("udp", 1000, srv.uri("mediaroom"), [])):
        wav, report = os.path.join(d, name + ".wav"), os.path.join(d, name + ".json")
        p = subprocess.Popen([caller, "--uri", uri, "-c", "pcmu", "-d", "5", "--tone", str(tone),
                              "--display-name", name, "--record", wav, "--report", report] + extra,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        runs[name] = (p, wav, report)
    for name, (p, wav, report) in runs.items():
        out = p.communicate(timeout=30)[0]
        r = json.load(open(report)) if os.path.exists(report) else {}
        checks.check(p.returncode == 0 and r.get("status") == 200,
                     "mcu-test-caller over %s: 200, exit %d%s"
                     % (name.upper(), p.returncode, "" if p.returncode == 0 else "\n" + out[-2000:]))
    rate, tls_heard = audiocheck.read_wav(runs["tls"][1])
    rate2, udp_heard = audiocheck.read_wav(runs["udp"][1])
    span = (1.0, 4.0)  # of the 5 s both are in the room
    a = audiocheck.tone_presence(tls_heard, rate, 1000, span)
    b = audiocheck.tone_presence(udp_heard, rate2, 440, span)
    checks.check(a >= 0.8 and b >= 0.8,  # a loaded machine may drop a few windows
                 "the TLS caller hears the UDP one's 1000 Hz (%.0f%% of windows) and the UDP "
                 "caller the TLS one's 440 Hz (%.0f%%)" % (100 * a, 100 * b))
    lines = [x for x in srv.log_text().splitlines() if "INVITE for mediaroom" in x]
    checks.check(len(lines) == 2 and sum("over TLS" in x for x in lines) == 1,
                 "one of the two INVITEs came over TLS (%s)" % lines)


def reload(checks, srv, cert, key, d):
    """SIGHUP in a call over TLS: good files -> checked, the call goes on;
    a wrong key -> a warning naming it, the server and the call go on."""
    with TlsUA(srv.tls_port, "hup", cafile=cert) as ua:
        call = ua.call("sip:huproom@127.0.0.1:%d" % srv.tls_port)
        checks.check(call is not None, "a call over TLS before SIGHUP")
        first = os.path.join(d, "first.pem")
        shutil.copy(cert, first)
        new_cert, new_key = make_certificate(d, "renewed", days=90)
        shutil.copy(new_cert, cert)
        shutil.copy(new_key, key)
        srv.proc.send_signal(signal.SIGHUP)
        good = mcutest.poll_until(lambda: "SIGHUP: the TLS certificate and key are good"
                                  in srv.log_text(), 5)
        checks.check(good and "(90 days)" in srv.log_text(),
                     "SIGHUP: the renewed files are checked and logged")
        checks.check(call is not None and ua.in_dialog(
            call, "INFO", body="Signal=5\r\n", ctype="application/dtmf-relay") == 200,
                     "the call goes on after SIGHUP (INFO: 200)")
        _, other_key = make_certificate(d, "stranger")
        shutil.copy(other_key, key)
        srv.proc.send_signal(signal.SIGHUP)
        bad = mcutest.poll_until(lambda: "SIGHUP: TLS files not usable" in srv.log_text(), 5)
        line = [x for x in srv.log_text().splitlines() if "SIGHUP: TLS files not usable" in x]
        checks.check(bad and "[tls] key:" in line[0] and "does not match" in line[0],
                     "SIGHUP with a wrong key: a warning naming [tls] key (%s)" % (line and line[0][-160:]))
        checks.check(srv.alive() and ua.in_dialog(call, "BYE") == 200,
                     "the server and the call survive it (BYE: 200)")
        # sofia-sip 1.12 cannot swap the certificate of a live listener:
        # new connections still get the one loaded at start (README).
        served = handshake(srv.tls_port, cafile=first)
        checks.check(served.startswith("TLSv1."),
                     "new connections are still served the certificate loaded at start (%s)" % served)


def client_certificates(checks, d):
    """verify-client=true: a client without a certificate, or with one the
    CA did not sign, is refused in the handshake; one with a certificate
    the CA signed gets its OPTIONS answered."""
    cert, key = make_certificate(d, "vc-server")
    ca_cert, ca_key = make_certificate(d, "vc-client")  # self-signed: its own CA
    stranger_cert, stranger_key = make_certificate(d, "vc-stranger")
    srv = tls_server(cert, key, extra="ca=%s\nverify-client=true\n" % ca_cert)
    with srv:
        results = {}
        for name, chain in (("none", None), ("stranger", (stranger_cert, stranger_key)),
                            ("signed", (ca_cert, ca_key))):
            ctx = ssl.create_default_context(cafile=cert)
            if chain:
                ctx.load_cert_chain(*chain)
            try:
                with TlsUA(srv.tls_port, "vc", context=ctx) as ua:
                    r = ua.request("OPTIONS", "sip:127.0.0.1:%d" % srv.tls_port, "<sip:127.0.0.1>",
                                   timeout=3)
                    results[name] = r.status if r is not None else None
            except (ssl.SSLError, OSError) as e:
                results[name] = "refused (%s)" % e.__class__.__name__
        checks.check(results["signed"] == 200 and results["none"] != 200
                     and results["stranger"] != 200,
                     "verify-client: no certificate %s, another CA's %s, the CA's own: %s"
                     % (results["none"], results["stranger"], results["signed"]))


def main():
    checks = mcutest.Failures()
    d = tempfile.mkdtemp(prefix="mcu-tls-")
    startup_errors(checks, d)
    client_certificates(checks, d)
    cert, key = make_certificate(d, "server")
    with tls_server(cert, key, extra="[user:bob]\npassword=%s\n" % PASSWORD) as srv:
        checks.check("sips:127.0.0.1:%d (tls)" % srv.tls_port in srv.log_text(),
                     "the server says it listens for TLS")
        # media first, on a fresh server: after a call whose RTP went
        # nowhere (the scripted UAs of signalling () send none), the next
        # room's callers sometimes get no RTP at all, over plain UDP too
        # (a bug of the media layer, not of TLS; see the branch's report)
        media(checks, srv, cert, d)
        signalling(checks, srv, cert)
        registered_user(checks, srv, cert)
        reload(checks, srv, cert, key, d)
    shutil.rmtree(d, ignore_errors=True)
    checks.exit()


if __name__ == "__main__":
    main()
