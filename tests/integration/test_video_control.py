# SPDX-License-Identifier: LGPL-2.1-or-later
"""The operator's video controls on the control socket, end to end: two
video callers in room 1000 (2 side by side, self-view on).
- PATCH a participant's video_muted: every caller sees that tile become a
  name tile (not its colour), and its colour again after unmuting;
- PATCH the room's layout to "speaker" and back to "grid" while it runs:
  the grid's 2x1 tiles stop matching, then match again.
"""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402
import videocheck as vc  # noqa: E402
from controlclient import Control  # noqa: E402
from videocheck import Caller, rgb  # noqa: E402

RED, GREEN = "c83232", "32c832"
checks = mcutest.Failures()


def participant(ctl, name):
    s, body = ctl.get("/v1/rooms/1000/participants")
    for p in (body or {}).get("participants", []) if s == 200 else []:
        if p.get("display") == name:
            return p
    return None


def tile_state(callers, tile, timeout, pred):
    """Polls captures until pred(median) holds for `tile` of every caller's
    2x1 grid; {name: median} of the last capture."""
    last = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for c in callers:
            c.capture()
        time.sleep(0.4)
        for c in callers:
            g = c.latest_grid()
            tiles = (g or {}).get("layouts", {}).get("2x1")
            last[c.name] = tiles[tile]["median"] if tiles else None
        if all(m is not None and pred(m) for m in last.values()):
            return True, last
    return False, last


def main():
    if not os.path.exists(vc.CALLER):
        print("mcu-test-caller not built")
        sys.exit(1)
    work = tempfile.mkdtemp(prefix="mcu-video-control-")
    callers = []
    with mcutest.McuServer(extra="[video]\nwidth=640\nheight=360\n") as srv:
        ctl = Control(srv.control_socket)
        for name, colour in (("red", RED), ("green", GREEN)):
            c = Caller(work, name, srv.uri("1000"),
                       ["--codec", "opus", "--grid", "2x1", "--video-colour", colour])
            checks.check(c.wait_answered() == 200, "%s joined" % name)
            callers.append(c)
        res = vc.wait_for_grid(callers, "2x1", [rgb(RED), rgb(GREEN)], 12)
        checks.check(all(ok for ok, _ in res.values()), "both see red|green (%s)" % res)

        red = participant(ctl, "red")
        checks.check(red is not None, "red is listed (%s)" % red)
        if red is None:
            checks.exit()
        codecs = red.get("codecs", {})
        checks.check(codecs.get("audio") == "opus" and codecs.get("video") in ("H264", "VP8"),
                     "participant JSON lists the audio and video codecs (%s)" % codecs)
        path = "/v1/rooms/1000/participants/%d" % red["id"]
        s, body = ctl.call("PATCH", path, {"video_muted": True})
        checks.check(s == 200 and body and body.get("video_muted") is True,
                     "PATCH video_muted true: 200 (%s)" % body)
        ok, last = tile_state(callers, 0, 6, lambda m: not vc.close(m, rgb(RED)))
        checks.check(ok, "muted: red's tile is a name tile for everyone (%s)" % last)
        ok, last = tile_state(callers, 1, 1, lambda m: vc.close(m, rgb(GREEN)))
        checks.check(ok, "muted: green's tile unchanged (%s)" % last)
        s, body = ctl.call("PATCH", path, {"video_muted": False})
        checks.check(s == 200 and body and body.get("video_muted") is False,
                     "PATCH video_muted false: 200")
        ok, last = tile_state(callers, 0, 6, lambda m: vc.close(m, rgb(RED)))
        checks.check(ok, "unmuted: red's colour is back (%s)" % last)

        s, body = ctl.call("PATCH", "/v1/rooms/1000", {"layout": "speaker"})
        checks.check(s == 200 and body and body.get("layout") == "speaker",
                     "PATCH layout speaker: 200 (%s)" % body)
        # speaker layout: one large tile over a strip; the right half of
        # the picture is no longer all green
        ok, last = tile_state(callers, 1, 6, lambda m: not vc.close(m, rgb(GREEN)))
        checks.check(ok, "speaker layout: the 2x1 grid is gone (%s)" % last)
        s, body = ctl.call("PATCH", "/v1/rooms/1000", {"layout": "grid"})
        checks.check(s == 200, "PATCH layout grid: 200")
        res = vc.wait_for_grid(callers, "2x1", [rgb(RED), rgb(GREEN)], 6)
        checks.check(all(ok for ok, _ in res.values()), "grid again: red|green (%s)" % res)

        codes = [c.stop() for c in callers]
        checks.check(srv.alive(), "server still running")
    checks.check(codes == [0, 0], "callers ended cleanly (%s)" % codes)
    if checks.failed:
        print("logs kept in %s" % work)
    checks.exit()


if __name__ == "__main__":
    main()
