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
import signal
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
            report = os.path.join(conf, "caller.json")
            tc = subprocess.Popen(n.phone_cmd(
                [vc.CALLER, "--uri", srv.uri("1000"), "--local-ip", n.phone_ip, "--codec", "pcmu",
                 "--video-colour", RED, "--duration", str(BARESIP_SECONDS + 6), "--report", report,
                 "--grid", "2x1", "--display-name", "caller"]),
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
    if checks.failed:
        print("files kept in %s" % conf)
    else:
        shutil.rmtree(conf, ignore_errors=True)
    checks.exit()


if __name__ == "__main__":
    main()
