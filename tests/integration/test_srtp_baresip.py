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
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import mcutest  # noqa: E402
import netns  # noqa: E402
import videocheck as vc  # noqa: E402

BARESIP_SECONDS = 14
RED = "c83232"
MODULES = "/usr/lib/baresip/modules"

CONFIG = """poll_method epoll
sip_listen {ip}:5062
audio_player aubridge,nil
audio_source ausine,440
audio_alert aubridge,nil
audio_srate 48000
audio_channels 1
video_source fakevideo,nil
video_display fakevideo,nil
video_size 640x360
video_bitrate 500000
video_fps 30.00
module_path {modules}
module stdio.so
module opus.so
module g711.so
module ausine.so
module aubridge.so
module avcodec.so
module fakevideo.so
module snapshot.so
module srtp.so
module_app account.so
module_app menu.so
net_interface {dev}
"""


def tile_rect(width, height, grid, index):
    """Inner 60 % of a tile, as mcu-test-caller measures it."""
    cols, rows = (int(x) for x in grid.split("x"))
    x0, x1 = width * (index % cols) // cols, width * (index % cols + 1) // cols
    y0, y1 = height * (index // cols) // rows, height * (index // cols + 1) // rows
    mx, my = (x1 - x0) // 5, (y1 - y0) // 5
    return x0 + mx, y0 + my, x1 - mx, y1 - my


def take_snapshots(bs, snapdir, grid, deadline):
    """Asks baresip for a snapshot of received video every second until one
    shows red in tile 0; returns (path, tile 0 median, tile 1 luma stddev,
    size) of the last one."""
    last = (None, None, None, None)
    n = 0
    while time.monotonic() < deadline and bs.poll() is None:
        n += 1
        path = os.path.join(snapdir, "recv-%s-%d.png" % (grid, n))
        try:
            bs.stdin.write("/snapshot_recv %s\n" % path)
            bs.stdin.flush()
        except (BrokenPipeError, OSError):
            break
        if not mcutest.poll_until(lambda: os.path.exists(path) and os.path.getsize(path) > 0, 1.5):
            continue
        time.sleep(0.1)  # libpng closes the file right after the rows
        try:
            w, h, rows = vc.read_png(path)
        except (ValueError, OSError, Exception) as e:  # noqa: B014 (half-written file)
            print("cannot read %s: %s" % (path, e))
            continue
        left = vc.region_median(rows, *tile_rect(w, h, grid, 0))
        right = vc.region_stddev(rows, *tile_rect(w, h, grid, 1)) if grid != "1x1" else None
        last = (path, left, right, (w, h))
        if vc.close(left, vc.rgb(RED)):
            break
        time.sleep(0.5)
    return last


def main():
    if shutil.which("baresip") is None or not netns.can_use_netns() or \
            not os.path.exists(os.path.join(MODULES, "avcodec.so")):
        print("SKIP: needs baresip, baresip-ffmpeg (avcodec.so) and root for network namespaces")
        sys.exit(77)
    checks = mcutest.Failures()
    conf = tempfile.mkdtemp(prefix="mcu-baresip-video-")
    with netns.NetnsPair() as n:
        with open(os.path.join(conf, "config"), "w") as f:
            f.write(CONFIG.format(ip=n.phone_ip, dev=n.veth_p, modules=MODULES))
        with open(os.path.join(conf, "accounts"), "w") as f:
            f.write("<sip:baresip@%s>;regint=0;mediaenc=srtp-mand\n" % n.phone_ip)
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
            bs = subprocess.Popen(n.phone_cmd(
                ["baresip", "-f", conf, "-e", "/dial " + srv.uri("1000"), "-t", str(BARESIP_SECONDS)]),
                stdin=subprocess.PIPE, stdout=open(os.path.join(conf, "baresip.log"), "w"),
                stderr=subprocess.STDOUT, text=True, cwd=conf)
            joined = mcutest.poll_until(lambda: "sip:baresip@" in srv.log_text(), 10)
            checks.check(bool(joined), "baresip joined room 1000")
            shot = take_snapshots(bs, conf, "2x1", time.monotonic() + BARESIP_SECONDS - 3)
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
