# SPDX-License-Identifier: LGPL-2.1-or-later
"""baresip over TLS dials room 1000 over TLS, where an mcu-test-caller
(plain UDP, PCMU, 1000 Hz) waits; each hears the other (baresip sends
ausine 440 Hz). The server's certificate is a throwaway self-signed one for
its address, given to baresip as sip_cafile.

Not covered: baresip 1.0.0 registering over TLS. Its REGISTER never leaves
it ("reg: ... Register: Function not implemented", with or without an
outbound proxy or a certificate of its own), so REGISTER over TLS is
tested with the suite's own client (test_tls.py).

baresip puts its primary address into SDP, so the server runs in one network
namespace and the phones in another (netns.py): no packet leaves the
machine. Needs root; skipped (exit 77) otherwise."""

import glob
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import mcutest  # noqa: E402
import netns  # noqa: E402
from tlsua import make_certificate  # noqa: E402

CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
BARESIP_SECONDS = 8
TLS_PORT = 5061  # inside the test's own namespace

CONFIG = """poll_method epoll
sip_listen {ip}:5062
sip_cafile {ca}
sip_certificate {phone_pem}
audio_player aubridge,nil
audio_source ausine,440
audio_alert aubridge,nil
audio_srate 48000
audio_channels 1
module_path /usr/lib/baresip/modules
module stdio.so
module opus.so
module g722.so
module g711.so
module ausine.so
module aubridge.so
module sndfile.so
module_app account.so
module_app menu.so
snd_path {snd}
net_interface {dev}
"""


def main():
    if shutil.which("baresip") is None or not netns.can_use_netns():
        print("SKIP: needs baresip and root for network namespaces")
        sys.exit(77)
    checks = mcutest.Failures()
    conf = tempfile.mkdtemp(prefix="mcu-baresip-tls-")
    snd = os.path.join(conf, "snd")
    os.mkdir(snd)
    with netns.NetnsPair() as n:
        cert, key = make_certificate(conf, "server", cn=n.server_ip)
        # baresip (libre) listens for TLS, and so can put a TLS Contact in
        # its REGISTER, only with a certificate of its own (cert + key)
        phone_cert, phone_key = make_certificate(conf, "phone", cn=n.phone_ip)
        phone_pem = os.path.join(conf, "phone-both.pem")
        with open(phone_pem, "w") as f:
            f.write(open(phone_cert).read() + open(phone_key).read())
        with open(os.path.join(conf, "config"), "w") as f:
            f.write(CONFIG.format(ip=n.phone_ip, snd=snd, dev=n.veth_p, ca=cert,
                                  phone_pem=phone_pem))
        with open(os.path.join(conf, "accounts"), "w") as f:
            f.write("<sip:bob@%s;transport=tls>;regint=0\n" % n.server_ip)
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
            bs = subprocess.Popen(n.phone_cmd(
                ["baresip", "-f", conf, "-e", "/dial " + room, "-t", str(BARESIP_SECONDS)]),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            out = bs.communicate(timeout=60)[0]
            tc.wait(30)
            log = srv.log_text()
            lines = [x for x in log.splitlines() if "INVITE for 1000 from sip:bob@" in x]
            checks.check(len(lines) == 1 and lines[0].endswith(" over TLS")
                         and "call ended (BYE)" in log,
                         "baresip joined room 1000 over TLS and hung up with BYE (%s)" % lines)
            checks.check(tc.returncode == 0, "test caller completed (exit %s)" % tc.returncode)
        decoded = glob.glob(os.path.join(snd, "*-dec.wav"))
        if not checks.check(len(decoded) == 1, "baresip recorded what it heard"):
            print(out[-3000:])
            print(log[-5000:])
            checks.exit()
        rate, heard = audiocheck.read_wav(decoded[0])
        end = len(heard) / rate - 0.3
        share = audiocheck.tone_presence(heard, rate, 1000, span=(0.5, end))
        checks.check(share >= 0.9, "baresip hears the other caller's 1000 Hz (%.0f%% of windows)"
                     % (100 * share))
        rate, heard = audiocheck.read_wav(tc_wav)
        share = audiocheck.tone_presence(heard, rate, 440, span=(1.5, BARESIP_SECONDS - 1))
        checks.check(share >= 0.9, "the test caller hears baresip's 440 Hz (%.0f%% of windows)"
                     % (100 * share))
    shutil.rmtree(conf, ignore_errors=True)
    checks.exit()


if __name__ == "__main__":
    main()
