# SPDX-License-Identifier: LGPL-2.1-or-later
"""baresip calls baresip through the server (`meson test -C build
baresip-b2b`; skipped without root).

Two headless baresips register with digest auth (auth_pass) as alice and
bob; alice (ausine 440 Hz) dials sip:bob@SERVER; the server rings bob's
registered contact, bob answers automatically (answermode=auto) and sends
its own ausine; both record what they hear (sndfile). Each must hear the
other. baresip puts its primary address into SDP, so the server runs in one
network namespace and both phones in another (netns.py): nothing leaves
the machine. Needs root. baresip 1.0's SIP library gives up on a challenge
list that has SHA-256 in it ("Function not implemented"), so this server
challenges with MD5 only ([auth] algorithms=md5)."""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import baresip  # noqa: E402
import mcutest  # noqa: E402
import netns  # noqa: E402

SECONDS = 8


def phone(n, name, port, extra):
    conf, snd = baresip.make_conf("mcu-baresip-%s-" % name)
    baresip.write_conf(conf, "<sip:%s@%s:%d>;auth_pass=%s-secret;regint=60%s"
                       % (name, n.server_ip, n.port, name, extra),
                       ip=n.phone_ip, port=port, snd=snd, dev=n.veth_p, g722=False)
    return conf, snd


def main():
    baresip.require()
    checks = mcutest.Failures()
    with netns.NetnsPair() as n:
        db = os.path.join(tempfile.mkdtemp(prefix="mcu-bb-db-"), "mcu.db")
        users = "[storage]\ndatabase=%s\n[auth]\nalgorithms=md5\n[user:alice]\npassword=alice-secret\n" \
                "[user:bob]\npassword=bob-secret\n" % db
        with mcutest.McuServer(listen=n.server_ip, prefix=n.server_cmd([]), extra=users) as srv:
            n.port = srv.port
            bob_conf, bob_snd = phone(n, "bob", 5064, ";answermode=auto")
            alice_conf, alice_snd = phone(n, "alice", 5062, "")
            bob = subprocess.Popen(baresip.cmd(n, bob_conf, SECONDS + 8),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            ok = mcutest.poll_until(lambda: "bob now has 1 binding" in srv.log_text(), 10)
            checks.check(ok, "bob's baresip registered (digest)")
            alice = subprocess.run(baresip.cmd(n, alice_conf, SECONDS,
                                               dial="sip:bob@%s:%d" % (n.server_ip, n.port)),
                                   capture_output=True, text=True, timeout=60)
            out_b = bob.communicate(timeout=30)[0]
            log = srv.log_text()
            checks.check("alice now has 1 binding" in log, "alice's baresip registered (digest)")
            checks.check("bob answered at" in log, "the server rang bob's contact and bob answered")
            checks.check("call ended (BYE)" in log, "alice hung up with BYE; the server ended both")
        for name, snd, out in (("alice", alice_snd, alice.stdout), ("bob", bob_snd, out_b)):
            decoded = baresip.recordings(snd)
            if not checks.check(len(decoded) == 1, "%s recorded what it heard" % name):
                print(out[-3000:])
                continue
            rate, heard = audiocheck.read_wav(decoded[0])
            # both send 440 Hz (ausine): each hears the other's, never its own
            # (the two-party mix gives each side only the other one)
            share = audiocheck.tone_presence(heard, rate, 440, span=(1.0, len(heard) / rate - 0.5))
            checks.check(share >= 0.8, "%s hears the other phone (%.0f%% of windows)"
                         % (name, 100 * share))
    checks.exit()


if __name__ == "__main__":
    main()
