# SPDX-License-Identifier: LGPL-2.1-or-later
"""baresip as a test peer, shared by the test_*baresip*.py tests: the skip
check, the config and accounts files, the command that starts it in the
phone namespace of a netns.NetnsPair, the audio it recorded (sndfile) and
snapshots of the video it received (snapshot module)."""

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import audiocheck
import mcutest
import videocheck as vc

MODULES = "/usr/lib/baresip/modules"

AUDIO = """audio_player aubridge,nil
audio_source ausine,440
audio_alert aubridge,nil
audio_srate 48000
audio_channels 1
"""

VIDEO = """video_source fakevideo,nil
video_display fakevideo,nil
video_size 640x360
video_bitrate 500000
video_fps 30.00
"""


def require(video=False):
    """Exits 77 (skip) without baresip, root for network namespaces or,
    with @video, baresip-ffmpeg's avcodec.so."""
    import netns
    if video:
        if shutil.which("baresip") is None or not netns.can_use_netns() or \
                not os.path.exists(os.path.join(MODULES, "avcodec.so")):
            print("SKIP: needs baresip, baresip-ffmpeg (avcodec.so) and root for network namespaces")
            sys.exit(77)
    elif shutil.which("baresip") is None or not netns.can_use_netns():
        print("SKIP: needs baresip and root for network namespaces")
        sys.exit(77)


def config(ip, dev, port=5062, snd=None, g722=True, video=False, modules=(), sip_extra=""):
    """The text of a headless baresip's config: ausine 440 Hz source,
    listening on @ip:@port, media over @dev; records what it hears into
    @snd (sndfile) if given; with @video fakevideo colour bars, H.264
    (avcodec) and the snapshot module; @modules are further module files,
    @sip_extra further sip_ lines."""
    text = "poll_method epoll\nsip_listen %s:%d\n%s%s" % (ip, port, sip_extra, AUDIO)
    if video:
        text += VIDEO
    mods = ["stdio", "opus"] + (["g722"] if g722 else []) + ["g711", "ausine", "aubridge"]
    if video:
        mods += ["avcodec", "fakevideo", "snapshot"]
    if snd:
        mods.append("sndfile")
    mods += list(modules)
    text += "module_path %s\n" % MODULES
    text += "".join("module %s.so\n" % m for m in mods)
    text += "module_app account.so\nmodule_app menu.so\n"
    if snd:
        text += "snd_path %s\n" % snd
    return text + "net_interface %s\n" % dev


def make_conf(prefix, snd=True):
    """A new config directory (and its snd/ subdirectory for recordings if
    @snd): returns (conf, snd or None)."""
    conf = tempfile.mkdtemp(prefix=prefix)
    sndpath = None
    if snd:
        sndpath = os.path.join(conf, "snd")
        os.mkdir(sndpath)
    return conf, sndpath


def write_conf(conf, account, **kwargs):
    """Writes @conf/config (config(**kwargs)) and @conf/accounts (the one
    line @account)."""
    with open(os.path.join(conf, "config"), "w") as f:
        f.write(config(**kwargs))
    with open(os.path.join(conf, "accounts"), "w") as f:
        f.write(account + "\n")


def cmd(n, conf, seconds, dial=None):
    """The command that runs baresip with @conf in @n's phone namespace for
    @seconds, dialling @dial first if given."""
    args = ["baresip", "-f", conf]
    if dial:
        args += ["-e", "/dial " + dial]
    return n.phone_cmd(args + ["-t", str(seconds)])


def recordings(snd):
    """The files baresip's sndfile wrote of what it heard (decoded)."""
    return glob.glob(os.path.join(snd, "*-dec.wav"))


def tile_rect(width, height, grid, index):
    """Inner 60 % of a tile, as mcu-test-caller measures it."""
    cols, rows = (int(x) for x in grid.split("x"))
    x0, x1 = width * (index % cols) // cols, width * (index % cols + 1) // cols
    y0, y1 = height * (index // cols) // rows, height * (index // cols + 1) // rows
    mx, my = (x1 - x0) // 5, (y1 - y0) // 5
    return x0 + mx, y0 + my, x1 - mx, y1 - my


def take_snapshots(bs, snapdir, grid, deadline, colour):
    """Asks baresip for a snapshot of received video every second until one
    shows @colour in tile 0 and, in a grid of two, a picture (not a plain
    background) in tile 1: the caller's own picture reaches its view a
    moment after the other's, with its first keyframe; returns (path, tile
    0 median, tile 1 luma stddev, size) of the last one."""
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
        if vc.close(left, vc.rgb(colour)) and (right is None or right > 30):
            break
        time.sleep(0.5)
    return last


def grid_call(n, srv, conf, checks, seconds, colour, caller_args=()):
    """An mcu-test-caller sending solid @colour (with @caller_args) joins
    room 1000 of @srv, then baresip (config in @conf, video) dials in for
    @seconds and takes snapshots of the 2-up grid it receives; checks that
    baresip joined, the test caller completed and the server is alive.
    Returns (the last snapshot as take_snapshots (), the test caller's
    report file)."""
    report = os.path.join(conf, "caller.json")
    tc = subprocess.Popen(n.phone_cmd(
        [vc.CALLER, "--uri", srv.uri("1000"), "--local-ip", n.phone_ip, "--codec", "pcmu",
         "--video-colour", colour, "--duration", str(seconds + 6), "--report", report,
         "--grid", "2x1", "--display-name", "caller"] + list(caller_args)),
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(conf, "caller.log"), "w"))
    # the caller takes tile 0: it must have joined before baresip dials
    mcutest.poll_until(lambda: "joined room 1000" in srv.log_text(), 5)
    bs = subprocess.Popen(
        cmd(n, conf, seconds, dial=srv.uri("1000")),
        stdin=subprocess.PIPE, stdout=open(os.path.join(conf, "baresip.log"), "w"),
        stderr=subprocess.STDOUT, text=True, cwd=conf)
    joined = mcutest.poll_until(lambda: "sip:baresip@" in srv.log_text(), 10)
    checks.check(bool(joined), "baresip joined room 1000")
    shot = take_snapshots(bs, conf, "2x1", time.monotonic() + seconds - 3, colour)
    # the caller's view while baresip is still in the room (SIGUSR1
    # captures the latest frame's tiles and rewrites the report)
    tc.send_signal(signal.SIGUSR1)
    mcutest.poll_until(lambda: os.path.exists(report), 3)
    try:
        bs.wait(seconds + 15)
    except subprocess.TimeoutExpired:
        bs.kill()
    tc.wait(seconds + 20)
    checks.check(tc.returncode == 0, "test caller completed (exit %s)" % tc.returncode)
    checks.check(srv.alive(), "server still running")
    return shot, report


def check_grid(conf, shot, report, checks, seconds, colour):
    """After grid_call (): baresip's snapshot shows @colour in the left tile
    and its own bars in the right one; the test caller saw baresip's bars
    in tile 1 while baresip was in the room."""
    path, left, right = shot[:3]
    if not checks.check(path is not None, "baresip saved a PNG of the video it received"):
        print(open(os.path.join(conf, "baresip.log")).read()[-3000:])
    else:
        print("snapshot %s: %sx%s, left %s, right %s" % (path, shot[3][0], shot[3][1], left, right))
        checks.check(vc.close(left, vc.rgb(colour)), "left tile shows the red caller (%s)" % (left,))
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
    live = [g for g in grids if g.get("t", 0) < seconds]
    tile = live[-1]["layouts"]["2x1"][1] if live else None
    checks.check(tile is not None and tile["stddev"] > 30,
                 "the test caller sees baresip's bars in tile 1 (luma stddev %s)"
                 % (tile and round(tile["stddev"], 1)))


def check_caller_hears(wav, seconds, checks):
    """An mcu-test-caller's recording @wav of a call with baresip that
    lasted @seconds has baresip's 440 Hz (ausine) in 90 % of its windows."""
    rate, heard = audiocheck.read_wav(wav)
    span = (1.5, seconds - 1)
    share = audiocheck.tone_presence(heard, rate, 440, span=span)
    holes = "" if share >= 0.9 else "; missing at " + audiocheck.format_ranges(
        audiocheck.absent_ranges(heard, rate, 440, span=span))
    checks.check(share >= 0.9, "the test caller hears baresip's 440 Hz (%.0f%% of windows%s)"
                 % (100 * share, holes))
