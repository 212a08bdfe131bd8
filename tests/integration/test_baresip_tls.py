# SPDX-License-Identifier: LGPL-2.1-or-later
"""baresip over TLS with `mediaenc=srtp-mand` dials room 1000 over TLS,
where an mcu-test-caller (plain UDP, PCMU, 1000 Hz) waits; each hears the
other (baresip sends ausine 440 Hz). The SDES keys travel over TLS, so the
server takes them without srtp-allow-insecure-keys, and its log says the
call's audio is SRTP. The server's certificate is a throwaway self-signed
one for its address, given to baresip as sip_cafile.

Not covered: baresip 1.0.0 registering over TLS. Its REGISTER never leaves
it ("reg: ... Register: Function not implemented", ENOSYS, before anything
is sent: its SIP trace (-s) is empty; with `;transport=tls` on the AOR,
with an explicit port 5061, with an outbound proxy `;transport=tls`, with
or without a certificate of its own; a `sips:` AOR sends nothing either),
while the same account with `;transport=tcp` gets as far as connecting
and INVITE over TLS works: libre 1.1.0's REGISTER over TLS, not the
server. linphonec 5.1.65 (Debian's linphone-cli) was tried too and sent
no REGISTER at all headless. So REGISTER over TLS, and the call to the
registered user reaching it on its TLS connection, are tested with the
suite's own client (test_tls.py, registered_user).

baresip puts its primary address into SDP, so the server runs in one network
namespace and the phones in another (netns.py): no packet leaves the
machine. Needs root; skipped (exit 77) otherwise."""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import baresip  # noqa: E402
import mcutest  # noqa: E402
import netns  # noqa: E402
from tlsua import make_certificate  # noqa: E402

CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
BARESIP_SECONDS = 8
TLS_PORT = 5061  # inside the test's own namespace



def main():
    baresip.require()
    checks = mcutest.Failures()
    conf, snd = baresip.make_conf("mcu-baresip-tls-")
    with netns.NetnsPair() as n:
        cert, key = make_certificate(conf, "server", cn=n.server_ip)
        # baresip (libre) listens for TLS, and so can put a TLS Contact in
        # its REGISTER, only with a certificate of its own (cert + key)
        phone_cert, phone_key = make_certificate(conf, "phone", cn=n.phone_ip)
        phone_pem = os.path.join(conf, "phone-both.pem")
        with open(phone_pem, "w") as f:
            f.write(open(phone_cert).read() + open(phone_key).read())
        baresip.write_conf(conf, "<sip:bob@%s;transport=tls>;regint=0;mediaenc=srtp-mand"
                           % n.server_ip, ip=n.phone_ip, snd=snd, dev=n.veth_p, modules=["srtp"],
                           sip_extra="sip_cafile %s\nsip_certificate %s\n" % (cert, phone_pem))
        with mcutest.McuServer(listen=n.server_ip, prefix=n.server_cmd([]),
                               transports="udp,tcp,tls", sip_extra="tls-port=%d\n" % TLS_PORT,
                               extra="[tls]\ncertificate=%s\nkey=%s\n"
                               % (cert, key)) as srv:
            tc_wav = os.path.join(conf, "caller.wav")
            tc = subprocess.Popen(n.phone_cmd(
                [CALLER, "--uri", srv.uri("1000"), "--local-ip", n.phone_ip, "--codec", "pcmu",
                 "--tone", "1000", "--duration", str(BARESIP_SECONDS + 4), "--record", tc_wav,
                 "--display-name", "caller"]))
            room = "sip:1000@%s:%d;transport=tls" % (n.server_ip, TLS_PORT)
            bs = subprocess.Popen(baresip.cmd(n, conf, BARESIP_SECONDS, dial=room),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            out = bs.communicate(timeout=60)[0]
            tc.wait(30)
            log = srv.log_text()
            lines = [x for x in log.splitlines() if "INVITE for 1000 from sip:bob@" in x]
            checks.check(len(lines) == 1 and lines[0].endswith(" over TLS")
                         and "call ended (BYE)" in log,
                         "baresip joined room 1000 over TLS and hung up with BYE (%s)" % lines)
            checks.check(tc.returncode == 0, "test caller completed (exit %s)" % tc.returncode)
            srtp = [x for x in log.splitlines() if "[call " in x and "SRTP AES_CM_128_HMAC_SHA1_80" in x]
            checks.check(len(srtp) == 1, "baresip's audio is SRTP, keyed over TLS (%s)" % srtp)
        decoded = baresip.recordings(snd)
        if not checks.check(len(decoded) == 1, "baresip recorded what it heard"):
            print(out[-3000:])
            print(log[-5000:])
            checks.exit()
        rate, heard = audiocheck.read_wav(decoded[0])
        end = len(heard) / rate - 0.3
        share = audiocheck.tone_presence(heard, rate, 1000, span=(0.5, end))
        checks.check(share >= 0.9, "baresip hears the other caller's 1000 Hz (%.0f%% of windows)"
                     % (100 * share))
        baresip.check_caller_hears(tc_wav, BARESIP_SECONDS, checks)
    shutil.rmtree(conf, ignore_errors=True)
    checks.exit()


if __name__ == "__main__":
    main()
