# SPDX-License-Identifier: LGPL-2.1-or-later
"""A real softphone dials in: baresip (headless, ausine 440 Hz source,
sndfile recording) and an mcu-test-caller (PCMU, 1000 Hz) meet in room 1000.
baresip must hear 1000 Hz and not its own 440 Hz; the test caller must hear
440 Hz while baresip is in the call.

baresip puts its primary address into SDP, so the server runs in one network
namespace and the phones in another (a veth pair with 10.201.x.0/24 addresses
this test creates and deletes): no packet leaves the machine. Needs root;
skipped (exit 77) otherwise."""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import baresip  # noqa: E402
import mcutest  # noqa: E402
import netns  # noqa: E402

CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
BARESIP_SECONDS = 6



def main():
    baresip.require()
    checks = mcutest.Failures()
    conf, snd = baresip.make_conf("mcu-baresip-")
    with netns.NetnsPair() as n:
        baresip.write_conf(conf, "<sip:baresip@%s>;regint=0" % n.phone_ip,
                           ip=n.phone_ip, snd=snd, dev=n.veth_p)
        with mcutest.McuServer(listen=n.server_ip, prefix=n.server_cmd([])) as srv:
            tc_wav = os.path.join(conf, "caller.wav")
            tc = subprocess.Popen(n.phone_cmd(
                [CALLER, "--uri", srv.uri("1000"), "--local-ip", n.phone_ip, "--codec", "pcmu",
                 "--tone", "1000", "--duration", str(BARESIP_SECONDS + 4), "--record", tc_wav,
                 "--display-name", "caller"]))
            bs = subprocess.run(baresip.cmd(n, conf, BARESIP_SECONDS, dial=srv.uri("1000")),
                                capture_output=True, text=True, timeout=60)
            tc.wait(30)
            log = srv.log_text()
            checks.check("sip:baresip@" in log and "call ended (BYE)" in log,
                         "baresip joined room 1000 and hung up with BYE")
            checks.check(tc.returncode == 0, "test caller completed (exit %s)" % tc.returncode)
        decoded = baresip.recordings(snd)
        if not checks.check(len(decoded) == 1, "baresip recorded what it heard"):
            print(bs.stdout[-2000:], bs.stderr[-2000:])
            checks.exit()
        rate, heard = audiocheck.read_wav(decoded[0])
        end = len(heard) / rate - 0.3
        try:
            audiocheck.assert_tone_present(heard, rate, 1000, span=(0.5, end),
                                           what="baresip hears the other caller")
            audiocheck.assert_tone_absent(heard, rate, 440, present_freqs=[1000],
                                          span=(0.5, end), what="baresip hears itself")
            checks.check(True, "baresip hears 1000 Hz and not its own 440 Hz")
        except AssertionError as e:
            checks.check(False, str(e))
            print("baresip's output:\n" + bs.stdout[-3000:] + bs.stderr[-1000:])
            print("server log:\n" + log[-4000:])
        baresip.check_caller_hears(tc_wav, BARESIP_SECONDS, checks)
    shutil.rmtree(conf, ignore_errors=True)
    checks.exit()


if __name__ == "__main__":
    main()
