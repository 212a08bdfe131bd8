# SPDX-License-Identifier: LGPL-2.1-or-later
"""baresip as a test peer, shared by the test_*baresip*.py tests: the skip
check, the config and accounts files, the command that starts it in the
phone namespace of a netns.NetnsPair, the audio it recorded (sndfile) and
snapshots of the video it received (snapshot module)."""

import glob
import os
import shutil
import sys
import tempfile
import time

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
    shows @colour in tile 0; returns (path, tile 0 median, tile 1 luma
    stddev, size) of the last one."""
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
        if vc.close(left, vc.rgb(colour)):
            break
        time.sleep(0.5)
    return last
