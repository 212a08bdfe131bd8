# SPDX-License-Identifier: LGPL-2.1-or-later
"""SRTP with a real softphone, audio and video: baresip with the srtp module
and `mediaenc srtp-mand` (RTP/SAVP with SDES keys on both m-lines; the
server allows the keys over UDP for the test, [media] srtp=optional) and a
clear RTP mcu-test-caller sending solid red meet in room 1000. The server
must answer both lines RTP/SAVP with a=crypto; the PNG baresip saves of
what it receives (so decrypts) must show the red caller in the left tile
and its own colour bars in the right one; the test caller must see
baresip's bars (which the server decrypted) in its right tile and hear
baresip's 440 Hz tone.

baresip puts its primary address into SDP, so the server runs in one network
namespace and the phones in another (see netns.py): no packet leaves the
machine. Needs root, baresip and baresip-ffmpeg (avcodec.so); skipped
(exit 77) otherwise."""

import re
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import baresip  # noqa: E402
import mcutest  # noqa: E402
import netns  # noqa: E402

BARESIP_SECONDS = 14
RED = "c83232"


def main():
    baresip.require(video=True)
    checks = mcutest.Failures()
    conf, _ = baresip.make_conf("mcu-baresip-video-", snd=False)
    with netns.NetnsPair() as n:
        baresip.write_conf(conf, "<sip:baresip@%s>;regint=0;mediaenc=srtp-mand" % n.phone_ip,
                           ip=n.phone_ip, dev=n.veth_p, g722=False, video=True, modules=["srtp"])
        extra = "[media]\nsrtp=optional\nsrtp-allow-insecure-keys=true\n"
        wav = os.path.join(conf, "caller.wav")
        with mcutest.McuServer(listen=n.server_ip, prefix=n.server_cmd([]), extra=extra) as srv:
            shot, report = baresip.grid_call(n, srv, conf, checks, BARESIP_SECONDS, RED,
                                             caller_args=["--record", wav, "--tone", "1000"])
            log = srv.log_text()
            checks.check("ptime 20, SRTP AES_CM_128_HMAC_SHA1_80" in log,
                         "baresip's audio is SRTP (server log)")
            checks.check(re.search(r"video H264 \d+x\d+, SRTP AES_CM_128_HMAC_SHA1_80", log),
                         "baresip's video is SRTP (server log)")
            checks.check("a=crypto" not in log and "inline:" not in log,
                         "no SDES key in the server's log")
        baresip.check_grid(conf, shot, report, checks, BARESIP_SECONDS, RED)
    try:
        rate, samples = audiocheck.read_wav(wav)
        end = len(samples) / rate - 1
        audiocheck.assert_tone_present(samples, rate, 440, span=(4.0, min(end, BARESIP_SECONDS - 1)),
                                       fraction=0.8, what="the test caller hears baresip")
        checks.check(True, "the test caller hears baresip's SRTP audio (440 Hz)")
    except (AssertionError, OSError, ValueError) as e:
        checks.check(False, str(e))
    if checks.failed:
        print("files kept in %s" % conf)
    else:
        shutil.rmtree(conf, ignore_errors=True)
    checks.exit()


if __name__ == "__main__":
    main()
