# SPDX-License-Identifier: LGPL-2.1-or-later
"""The video grid end to end (issue 3), with mcu-test-caller as the phones.

First the peers prove themselves without the server (if these fail, the rest
means nothing): two test callers in a direct call see each other's colour,
a PLI or FIR brings an IDR within 500 ms (and without one no IDR comes: the
sender has no periodic key frames), packetization-mode 0 carries only
single-NAL packets and still decodes, the time stamps read back.

Then against the daemon, all in room 1000 (tiles in joining order, self-view
on, the layout of rooms/mcu-layout.c: 2x2, then 3x3 with an incomplete last
row centred):
- four video callers, each a distinct solid colour, each finds all four
  colours in the expected tiles of its 2x2 grid;
- a fifth joins: its first decodable frame within 1 s of the ACK, and every
  caller's grid becomes 3x3 with five colours;
- a PLI from a receiver brings an IDR within 500 ms (twice);
- an audio-only caller shows as a name tile (no caller's colour, not
  uniform), then adds video by re-INVITE and its colour appears there;
- a caller offering H.264 level 1.3 receives 320x180 while the others keep
  640x360; a caller taking packetization-mode 0 only receives only
  single-NAL packets and decodes the grid.
Every caller decodes at >= 20 fps on average."""

import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402
import videocheck as vc  # noqa: E402
from videocheck import Caller, rgb  # noqa: E402

COLOURS = {
    "red": "c83232", "green": "32c832", "blue": "3232c8", "yellow": "c8c832",
    "magenta": "c832c8", "cyan": "32c8c8", "orange": "e68a1e", "pink": "e61e8a",
}
GRIDS = ",".join(vc.server_grid(n) for n in range(1, 10))
MIN_FPS = 20
checks = mcutest.Failures()


def video_of(report):
    return (report or {}).get("video") or {}


def check_pair_colours(a, b, colour_a, colour_b):
    for who, rep, want in ((a, a.report(), colour_b), (b, b.report(), colour_a)):
        grids = video_of(rep).get("grids") or []
        tile = grids[-1]["layouts"]["1x1"][0]["median"] if grids else None
        checks.check(tile is not None and vc.close(tile, rgb(want)),
                     "selfcheck: %s sees the peer's #%s (got %s)" % (who.name, want, tile))
        fps = video_of(rep).get("fps")
        checks.check(fps is not None and fps >= MIN_FPS,
                     "selfcheck: %s decodes at %s fps" % (who.name, fps))


def selfcheck(work):
    """Two direct calls between test callers, no daemon."""
    p1, p2 = mcutest.free_port(), mcutest.free_port()
    ans1 = Caller(work, "self-ans1", "sip:127.0.0.1:%d" % p1,
                  ["--answer", "--codec", "opus", "--video-colour", COLOURS["green"], "--grid", "1x1"],
                  duration=0)
    ans2 = Caller(work, "self-ans2", "sip:127.0.0.1:%d" % p2,
                  ["--answer", "--codec", "pcmu", "--video-colour", COLOURS["blue"], "--h264-modes", "0",
                   "--video-size", "1280x720", "--video-stamp", "--stamp-grid", "1x1", "--grid", "1x1"],
                  duration=0)
    time.sleep(0.3)  # both bind before the INVITEs; a lost race shows as a failed call
    cal1 = Caller(work, "self-cal1", "sip:room@127.0.0.1:%d" % p1,
                  ["--codec", "opus", "--video-colour", COLOURS["red"], "--grid", "1x1",
                   "--send-pli-at", "1.5,2.5", "--send-fir-at", "3.3"], duration=4.5)
    cal2 = Caller(work, "self-cal2", "sip:room@127.0.0.1:%d" % p2,
                  ["--codec", "pcmu", "--video-colour", COLOURS["yellow"], "--video-stamp",
                   "--stamp-grid", "1x1", "--grid", "1x1"], duration=4.0)
    for c in (cal1, cal2, ans1, ans2):
        mcutest.poll_until(lambda: c.proc.poll() is not None, 30)
        checks.check(c.stop() == 0, "selfcheck: %s exit 0" % c.name)
    check_pair_colours(cal1, ans1, COLOURS["red"], COLOURS["green"])
    check_pair_colours(cal2, ans2, COLOURS["yellow"], COLOURS["blue"])
    v1, a1 = video_of(cal1.report()), video_of(ans1.report())
    delays = v1.get("pli_idr_ms", []) + v1.get("fir_idr_ms", [])
    checks.check(len(delays) == 3 and all(d is not None and d <= 500 for d in delays),
                 "selfcheck: 2 PLIs and a FIR each bring an IDR within 500 ms (%s ms)" % delays)
    checks.check(a1.get("sending", {}).get("keyframe_requests_received", 0) >= 3,
                 "selfcheck: the sender saw the requests (%s)"
                 % a1.get("sending", {}).get("keyframe_request_times"))
    checks.check(a1.get("idr_count") == 1,
                 "selfcheck: without a request no IDR comes (%s IDRs)" % a1.get("idr_count"))
    for c in (cal2, ans2):
        v = video_of(c.report())
        nal = v.get("nal_packets", {})
        checks.check(v.get("packetization_mode") == 0 and nal.get("single", 0) > 50 and
                     nal.get("stap_a") == 0 and nal.get("fu_a") == 0,
                     "selfcheck: %s mode 0, single NAL packets only (%s)" % (c.name, nal))
        st = (v.get("stamps") or {}).get("tiles", [{}])[0]
        checks.check(st.get("distinct", 0) >= 60 and (st.get("latency_ms_median") or 999) < 100,
                     "selfcheck: %s reads the peer's time stamps (%s frames, median %s ms)"
                     % (c.name, st.get("distinct"), st.get("latency_ms_median")))
    checks.check(video_of(cal2.report()).get("width") == 1280,
                 "selfcheck: 1280x720 arrives as sent")


def join(srv, work, name, args, started):
    c = Caller(work, name, srv.uri("1000"), ["--codec", "opus", "--grid", GRIDS,
                                             "--snapshot", os.path.join(work, name + ".png")] + args)
    status = c.wait_answered()
    checks.check(status == 200, "%s joined (INVITE answered %s)" % (name, status))
    started.append(c)
    return c


def video_args(name, extra=()):
    return ["--video-colour", COLOURS[name]] + list(extra)


def check_grid(callers, n, colours, timeout, what):
    layout = vc.server_grid(n)
    expected = [rgb(COLOURS[x]) if x else None for x in colours]
    result = vc.wait_for_grid(callers, layout, expected, timeout)
    for c in callers:
        ok, text = result.get(c.name, (False, "no capture"))
        checks.check(ok, "%s: %s sees %s in %s (%s)" % (what, c.name, "/".join(x or "?" for x in colours),
                                                         layout, text))


def name_tile(grid, layout, index):
    tiles = (grid or {}).get("layouts", {}).get(layout)
    if not tiles:
        return None
    t = tiles[index]
    is_colour = any(vc.close(t["median"], rgb(h)) for h in COLOURS.values())
    return {"median": t["median"], "stddev": round(t["stddev"], 1),
            "ok": not is_colour and t["stddev"] > 4.0}


def with_server(work):
    started = []
    # 640x360 out: the size the brief's profiles are about (and cheaper).
    with mcutest.McuServer(extra="[video]\nwidth=640\nheight=360\n") as srv:
        a = join(srv, work, "red", video_args("red", ["--send-pli-at", "9,11"]), started)
        for name in ("green", "blue", "yellow"):
            join(srv, work, name, video_args(name), started)
        four = list(started)
        check_grid(four, 4, ["red", "green", "blue", "yellow"], 12, "2x2")

        e = join(srv, work, "magenta", video_args("magenta"), started)
        check_grid(started, 5, ["red", "green", "blue", "yellow", "magenta"], 8, "5th joins")

        f = join(srv, work, "cyan", video_args("cyan", ["--video-at", "8"]), started)
        video_callers = [c for c in started if c is not f]
        tile = None
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            a.capture()
            time.sleep(0.4)
            grid = a.latest_grid()
            tile = name_tile(grid, vc.server_grid(6), 5)
            others, _ = vc.tiles_match(grid, vc.server_grid(6),
                                       [rgb(COLOURS[x]) for x in ("red", "green", "blue", "yellow", "magenta")])
            if tile:
                tile["other_tiles_ok"] = others  # a corrupt frame is not evidence
            if tile and tile["ok"] and others:
                break
        checks.check(bool(tile and tile["ok"] and tile["other_tiles_ok"]),
                     "audio-only caller shows as a name tile: no caller's colour, not uniform, "
                     "the 5 video tiles right (%s)" % tile)
        # cyan adds video 8 s after joining; the name-tile loop can end
        # sooner, and a report without video makes wait_for_grid give up
        mcutest.poll_until(lambda: "re-INVITE answered" in f.log_text(), 12)
        check_grid(started, 6, ["red", "green", "blue", "yellow", "magenta", "cyan"], 14,
                   "re-INVITE adds video")

        g = join(srv, work, "orange", video_args("orange", ["--h264-level", "1.3", "--video-size", "320x180"]),
                  started)
        h = join(srv, work, "pink", video_args("pink", ["--h264-modes", "0"]), started)
        check_grid([a, f, g, h], 8, ["red", "green", "blue", "yellow", "magenta", "cyan", "orange", "pink"], 10,
                   "8 in 3x3")
        codes = {c.name: c.stop() for c in started}
        checks.check(srv.alive(), "server still running")
    for name, code in codes.items():
        checks.check(code == 0, "%s ended cleanly (exit %s)" % (name, code))

    va = video_of(a.report())
    neg = va.get("negotiated") or {}
    checks.check(neg.get("port", 0) > 0 and neg.get("packetization_mode") == 1 and
                 "nack pli" in neg.get("rtcp_fb", []),
                 "server answers video: mode 1 PT, nack pli (%s)" % (neg or "no m=video answer"))
    delays = va.get("pli_idr_ms", [])
    checks.check(len(delays) == 2 and all(d is not None and d <= 500 for d in delays),
                 "a PLI from a receiver brings an IDR within 500 ms (%s ms; IDRs at %s s)"
                 % (delays, va.get("idr_times")))
    ve = video_of(e.report())
    first = ve.get("first_frame_s")
    checks.check(first is not None and first < 1.0,
                 "the 5th caller decodes its first frame %s s after the ACK (first IDR at %s s)"
                 % (first, (ve.get("idr_times") or [None])[0]))
    rf, vf = f.report() or {}, video_of(f.report())
    checks.check(rf.get("reinvite_statuses") == [200] and vf.get("frames_decoded", 0) > 0,
                 "re-INVITE adding video: %s, %s frames decoded" % (rf.get("reinvite_statuses"),
                                                                     vf.get("frames_decoded")))
    vg = video_of(g.report())
    checks.check((vg.get("width"), vg.get("height")) == (320, 180),
                 "level 1.3 caller receives 320x180 (got %sx%s)" % (vg.get("width"), vg.get("height")))
    checks.check((va.get("width"), va.get("height")) == (640, 360),
                 "the others keep 640x360 (got %sx%s)" % (va.get("width"), va.get("height")))
    vh = video_of(h.report())
    nal = vh.get("nal_packets", {})
    checks.check(vh.get("packetization_mode") == 0 and nal.get("single", 0) > 0 and
                 nal.get("stap_a") == 0 and nal.get("fu_a") == 0,
                 "mode-0 caller receives single NAL units only (%s)" % nal)
    for c in video_callers + [f]:
        fps = video_of(c.report()).get("fps")
        checks.check(fps is not None and fps >= MIN_FPS, "%s decodes at %s fps" % (c.name, fps))


def main():
    if not os.path.exists(vc.CALLER):
        print("mcu-test-caller not built")
        sys.exit(1)
    work = tempfile.mkdtemp(prefix="mcu-video-")
    selfcheck(work)
    if checks.failed:
        print("the test peers fail on their own; not testing the server")
        checks.exit()
    with_server(work)
    if checks.failed:
        print("logs and reports kept in %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    checks.exit()


if __name__ == "__main__":
    main()
