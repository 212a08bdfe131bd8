# SPDX-License-Identifier: LGPL-2.1-or-later
"""A real softphone sees the grid: baresip (headless: fakevideo source and
display, avcodec H.264, the snapshot module) and an mcu-test-caller sending
solid red meet in room 1000. The PNG baresip saves of what it receives must
show the red caller in the left tile of the 2-up layout and baresip's own
picture (fakevideo's colour bars: not a uniform background) in the right
one; the test caller must see baresip's bars in its right tile too.

First baresip calls an mcu-test-caller --answer directly (no server): its
snapshot must show the red, the test caller must decode baresip's bars. That
proves the snapshot, the PNG reader and the H.264 interop on their own.

baresip puts its primary address into SDP, so the server runs in one network
namespace and the phones in another (see netns.py): no packet leaves the
machine. Needs root, baresip and baresip-ffmpeg (avcodec.so); skipped
(exit 77) otherwise."""

import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import baresip  # noqa: E402
import mcutest  # noqa: E402
import netns  # noqa: E402
import videocheck as vc  # noqa: E402

BARESIP_SECONDS = 14
RED = "c83232"


def direct_call(n, conf, checks):
    """baresip -> mcu-test-caller --answer, both in the phone namespace."""
    report = os.path.join(conf, "answerer.json")
    ans = subprocess.Popen(n.phone_cmd(
        [vc.CALLER, "--answer", "--uri", "sip:%s:5070" % n.phone_ip, "--local-ip", n.phone_ip,
         "--codec", "opus", "--video-colour", RED, "--report", report, "--grid", "1x1",
         "--timeout", "40", "--display-name", "answerer"]),
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(conf, "answerer.log"), "w"))
    time.sleep(0.5)  # the answerer binds its port (a lost race fails the call, visibly)
    bs = subprocess.Popen(
        baresip.cmd(n, conf, 8, dial="sip:mcu@%s:5070" % n.phone_ip),
        stdin=subprocess.PIPE, stdout=open(os.path.join(conf, "baresip-direct.log"), "w"),
        stderr=subprocess.STDOUT, text=True, cwd=conf)
    shot = baresip.take_snapshots(bs, conf, "1x1", time.monotonic() + 6, RED)
    try:
        bs.wait(20)
        ans.wait(20)
    except subprocess.TimeoutExpired:
        bs.kill()
        ans.kill()
    checks.check(ans.returncode == 0, "direct: test caller answered baresip (exit %s)" % ans.returncode)
    checks.check(shot[1] is not None and vc.close(shot[1], vc.rgb(RED)),
                 "direct: baresip's snapshot shows our red (%s)" % (shot[1],))
    try:
        with open(report) as f:
            v = json.load(f).get("video") or {}
    except (OSError, ValueError):
        v = {}
    grids = v.get("grids") or []
    sd = grids[-1]["layouts"]["1x1"][0]["stddev"] if grids else None
    checks.check(sd is not None and sd > 30 and (v.get("fps") or 0) >= 20,
                 "direct: the test caller decodes baresip's bars (luma stddev %s, %s fps)"
                 % (sd and round(sd, 1), v.get("fps") and round(v["fps"], 1)))


def main():
    baresip.require(video=True)
    checks = mcutest.Failures()
    conf, _ = baresip.make_conf("mcu-baresip-video-", snd=False)
    with netns.NetnsPair() as n:
        baresip.write_conf(conf, "<sip:baresip@%s>;regint=0" % n.phone_ip,
                           ip=n.phone_ip, dev=n.veth_p, g722=False, video=True)
        direct_call(n, conf, checks)
        if checks.failed:
            print("the peers fail on their own; not testing the server (files in %s)" % conf)
            checks.exit()
        with mcutest.McuServer(listen=n.server_ip, prefix=n.server_cmd([])) as srv:
            shot, report = baresip.grid_call(n, srv, conf, checks, BARESIP_SECONDS, RED)
        baresip.check_grid(conf, shot, report, checks, BARESIP_SECONDS, RED)
    if checks.failed:
        print("files kept in %s" % conf)
    else:
        shutil.rmtree(conf, ignore_errors=True)
    checks.exit()


if __name__ == "__main__":
    main()
