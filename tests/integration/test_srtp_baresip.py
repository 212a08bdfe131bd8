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

import json
import re
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import baresip  # noqa: E402
import mcutest  # noqa: E402
import netns  # noqa: E402
import videocheck as vc  # noqa: E402

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
            report = os.path.join(conf, "caller.json")
            tc = subprocess.Popen(n.phone_cmd(
                [vc.CALLER, "--uri", srv.uri("1000"), "--local-ip", n.phone_ip, "--codec", "pcmu",
                 "--video-colour", RED, "--duration", str(BARESIP_SECONDS + 6), "--report", report,
                 "--grid", "2x1", "--display-name", "caller", "--record", wav, "--tone", "1000"]),
                stdout=subprocess.DEVNULL, stderr=open(os.path.join(conf, "caller.log"), "w"))
            # the caller takes tile 0: it must have joined before baresip dials
            mcutest.poll_until(lambda: "joined room 1000" in srv.log_text(), 5)
            bs = subprocess.Popen(
                baresip.cmd(n, conf, BARESIP_SECONDS, dial=srv.uri("1000")),
                stdin=subprocess.PIPE, stdout=open(os.path.join(conf, "baresip.log"), "w"),
                stderr=subprocess.STDOUT, text=True, cwd=conf)
            joined = mcutest.poll_until(lambda: "sip:baresip@" in srv.log_text(), 10)
            checks.check(bool(joined), "baresip joined room 1000")
            shot = baresip.take_snapshots(bs, conf, "2x1", time.monotonic() + BARESIP_SECONDS - 3, RED)
            # the caller's view while baresip is still in the room (SIGUSR1
            # captures the latest frame's tiles and rewrites the report)
            tc.send_signal(signal.SIGUSR1)
            mcutest.poll_until(lambda: os.path.exists(report), 3)
            try:
                bs.wait(BARESIP_SECONDS + 15)
            except subprocess.TimeoutExpired:
                bs.kill()
            tc.wait(BARESIP_SECONDS + 20)
            checks.check(tc.returncode == 0, "test caller completed (exit %s)" % tc.returncode)
            checks.check(srv.alive(), "server still running")
            log = srv.log_text()
            checks.check("ptime 20, SRTP AES_CM_128_HMAC_SHA1_80" in log,
                         "baresip's audio is SRTP (server log)")
            checks.check(re.search(r"video H264 \d+x\d+, SRTP AES_CM_128_HMAC_SHA1_80", log),
                         "baresip's video is SRTP (server log)")
            checks.check("a=crypto" not in log and "inline:" not in log,
                         "no SDES key in the server's log")
        path, left, right = shot[:3]
        if not checks.check(path is not None, "baresip saved a PNG of the video it received"):
            print(open(os.path.join(conf, "baresip.log")).read()[-3000:])
        else:
            print("snapshot %s: %sx%s, left %s, right %s" % (path, shot[3][0], shot[3][1], left, right))
            checks.check(vc.close(left, vc.rgb(RED)), "left tile shows the red caller (%s)" % (left,))
            checks.check(right is not None and right > 30,
                         "right tile shows baresip's colour bars, not a plain background "
                         "(luma stddev %.1f)" % (right or 0))
        try:
            with open(report) as f:
                r = json.load(f)
        except (OSError, ValueError):
            r = {}
        v = (r or {}).get("video") or {}
        grids = v.get("grids") or []
        live = [g for g in grids if g.get("t", 0) < BARESIP_SECONDS]
        tile = live[-1]["layouts"]["2x1"][1] if live else None
        checks.check(tile is not None and tile["stddev"] > 30,
                     "the test caller sees baresip's bars in tile 1 (luma stddev %s)"
                     % (tile and round(tile["stddev"], 1)))
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
