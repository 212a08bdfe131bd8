# SPDX-License-Identifier: LGPL-2.1-or-later
"""Recording rooms (issue 13), against the real daemon with mcu-test-caller
as the phones; the files are read back with gst-discoverer-1.0 and
gst-launch-1.0.

- A video room: a "clap" caller (black picture; every 2 s a white picture
  and a 1 kHz burst in the same instant), a second video caller (blue
  640x360) that changes resolution halfway through the recording (a
  re-INVITE, then green 320x180 with new SPS/PPS on the same SSRC), and an
  audio-only caller that adds video (yellow 320x240) by re-INVITE. 10 s recorded: one H.264
  1280x720 stream all through + Opus in Matroska; the file's duration is
  the recording's (within one frame) and the test's wall clock (within
  0.15 s), 30 frames a second decoded to its end; the resized caller's
  tile is blue before the change and green after it in the file and in
  what the callers receive; at the end the claps' sound is at most 40 ms
  early or 60 ms late against their picture (EBU R37), and at the start
  the sound leads by at most 40 ms or
  lags by at most 90 (the audio jitter buffers step down from 60 ms to
  ~20 during the first seconds; the recording is synced for after); the listing and the room resource say
  so; the download is the file, byte for byte.
- An audio-only room records Opus only (.mka).
- SIGKILL 6 s into a recording: the file decodes to within 3 s of the
  kill, and after a restart it is listed as "interrupted".
- A write error (a 128 kB tmpfs filling up): "recording-failed", and the
  callers keep talking.
- [recording] announce (the default): when a recording starts the room
  hears "recording-started": found by cross-correlation with the prompt
  file in what a caller received and in the recording itself.
- Reuse: the room composes at the recorded size and two video callers get
  it at that size and rate: the recording takes their encoder group's
  H.264 ("video_encoder": "encoder-group" in the room resource, the
  listing and the stream's resource) instead of encoding the view again.
  Both video callers hang up midway (an audio-only caller stays): the
  group goes, the recording goes on with its own encode of the same
  settings ("fallback"); the file is one H.264 640x360 stream that decodes
  without an error from start to end, no gap in the pictures longer than
  0.2 s, its duration the listing's; the HLS stream's segments are about
  2 s (hlssink2 asks for a key frame at each cut, passed on to the group,
  whose own GOP is 10 s) and decode. In a second
  room recorded from its group everyone leaves: the recording stops (not
  fails) and its file decodes.
- The only video caller stops dead (SIGSTOP) for 3 s of a 7 s recording;
  its pictures carry the time they were taken: in the file they move, the
  last one is held for the 3 s at the frame rate (no gap in the
  timestamps), then they move again, 3 s later; the other caller's sound
  goes on.
- [recording] segment-seconds=2: a 7 s recording is files ID.000.mkv,
  ID.001.mkv, ... each a whole file (H.264 + Opus) of about 2 s, the
  listing's size their sum and "segments" their number."""

import datetime
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402
from controlclient import Control, EventReader  # noqa: E402
import videocheck as vc  # noqa: E402
from videocheck import Caller  # noqa: E402

checks = mcutest.Failures()
FPS = 30
CLAP_MS = 2000
BLUE, GREEN = "3232c8", "32c832"
RESIZE_AT = 5.0  # s into the 10 s recording


def sees_resized(caller):
    """Whether @caller's latest 2x2:3 grid shows the resized caller green
    and nothing blue."""
    tiles = ((caller.latest_grid() or {}).get("layouts") or {}).get("2x2:3") or []
    colours = [t["median"] for t in tiles]
    return (any(vc.close(c, vc.rgb(GREEN)) for c in colours)
            and not any(vc.close(c, vc.rgb(BLUE)) for c in colours))


def run(argv, timeout=120):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout).stdout.decode("utf-8", "replace")


def discover(path):
    """{'duration': s, 'video': {...} or None, 'audio': {...} or None}."""
    out = run(["gst-discoverer-1.0", "-v", path])
    info = {"duration": None, "video": None, "audio": None, "raw": out}
    m = re.search(r"Duration: (\d+):(\d+):([\d.]+)", out)
    if m:
        info["duration"] = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    m = re.search(r"video #\d+: (.*)\n(?:.*\n)*?\s+Width: (\d+)\n\s+Height: (\d+)", out)
    if m:
        info["video"] = {"codec": m.group(1), "width": int(m.group(2)), "height": int(m.group(3))}
    m = re.search(r"audio #\d+: (.*)", out)
    if m:
        info["audio"] = {"codec": m.group(1)}
    return info


def pts_list(path, pad, chain):
    """The PTS (s) of every buffer out of demuxer pad @pad after @chain."""
    out = run(["gst-launch-1.0", "-v", "filesrc", "location=" + path, "!", "matroskademux", "name=d",
               "d." + pad, "!", "queue"] + chain + ["!", "fakesink", "silent=false", "sync=false"])
    return [int(h) * 3600 + int(mi) * 60 + float(s)
            for h, mi, s in re.findall(r"chain.*?pts: (\d+):(\d+):([\d.]+)", out)]


def decode_luma(path, work):
    """[(pts, mean luma 0..255)] of every decoded frame."""
    raw = os.path.join(work, "luma.raw")
    chain = ["!", "h264parse", "!", "avdec_h264", "!", "videoconvert", "!", "videoscale", "!",
             "video/x-raw,format=GRAY8,width=16,height=16"]
    run(["gst-launch-1.0", "-q", "filesrc", "location=" + path, "!", "matroskademux", "name=d",
         "d.video_0", "!", "queue"] + chain + ["!", "filesink", "location=" + raw])
    pts = pts_list(path, "video_0", chain)
    with open(raw, "rb") as f:
        data = f.read()
    frames = [data[i:i + 256] for i in range(0, len(data) - 255, 256)]
    return [(t, sum(fr) / 256.0) for t, fr in zip(pts, frames)]


def decode_audio(path, work):
    """(first pts, [S16 mono 48 kHz samples])."""
    raw = os.path.join(work, "audio.raw")
    chain = ["!", "opusdec", "!", "audioconvert", "!", "audioresample", "!",
             "audio/x-raw,format=S16LE,rate=48000,channels=1"]
    run(["gst-launch-1.0", "-q", "filesrc", "location=" + path, "!", "matroskademux", "name=d",
         "d.audio_0", "!", "queue"] + chain + ["!", "filesink", "location=" + raw])
    pts = pts_list(path, "audio_0", chain)
    with open(raw, "rb") as f:
        data = f.read()
    return (pts[0] if pts else 0.0), struct.unpack("<%dh" % (len(data) // 2), data[:len(data) // 2 * 2])


def video_onsets(frames):
    """Times where the picture turns bright (the white clap tile)."""
    if not frames:
        return []
    lo = min(v for _, v in frames)
    hi = max(v for _, v in frames)
    if hi - lo < 10:
        return []
    mid = (lo + hi) / 2
    onsets, was = [], True
    for t, v in frames:
        now = v > mid
        if now and not was:
            onsets.append(t)
        was = now
    return onsets


def audio_onsets(first_pts, samples, rate=48000):
    """Times where the 1 kHz burst starts (after >= 0.5 s of quiet)."""
    onsets, quiet = [], rate
    for i, s in enumerate(samples):
        if abs(s) > 3000:
            if quiet >= rate // 2:
                onsets.append(first_pts + i / rate)
            quiet = 0
        else:
            quiet += 1
    return onsets


def decoded_until(path):
    """The last PTS (s) any stream of @path decodes to."""
    ends = []
    for pad, chain in (("video_0", ["!", "h264parse", "!", "avdec_h264"]),
                       ("audio_0", ["!", "opusdec"])):
        p = pts_list(path, pad, chain)
        if p:
            ends.append(p[-1])
    return max(ends) if ends else 0.0


def decoded_sizes(path):
    """The distinct (width, height) of the pictures the decoder gives."""
    out = run(["gst-launch-1.0", "-v", "filesrc", "location=" + path, "!", "matroskademux", "!",
               "h264parse", "!", "avdec_h264", "name=dec", "!", "fakesink", "sync=false"])
    return sorted(set((int(w), int(h)) for w, h in re.findall(
        r"dec\.GstPad:src: caps = video/x-raw.*?width=\(int\)(\d+), height=\(int\)(\d+)", out)))


def grid_tiles(path, work, times, points=((8, 4), (24, 4), (16, 13))):
    """The colours of the three tiles of a 2x2:3 grid (two on top, one
    centred below; or at other @points of the 32x18 frame) in the frames
    nearest @times (s): {t: [rgb, rgb, rgb]}."""
    raw = os.path.join(work, "tiles.raw")
    w, h = 32, 18
    run(["gst-launch-1.0", "-q", "filesrc", "location=" + path, "!", "matroskademux", "!", "h264parse", "!",
         "avdec_h264", "!", "videoconvert", "!", "videoscale", "!",
         "video/x-raw,format=RGB,width=%d,height=%d" % (w, h), "!", "filesink", "location=" + raw])
    with open(raw, "rb") as f:
        data = f.read()
    n = len(data) // (w * h * 3)
    out = {}
    for t in times:
        i = max(0, min(n - 1, int(round(t * FPS))))
        frame = data[i * w * h * 3:(i + 1) * w * h * 3]
        # the middle of each tile (the name label is at the bottom)
        out[t] = [tuple(frame[(y * w + x) * 3:(y * w + x) * 3 + 3]) for x, y in points]
    return out


def server(work, extra="", recording=""):
    return mcutest.McuServer(extra="[recording]\ndir=%s\n%s%s" % (work, recording, extra))


def video_room(work):
    rec_dir = os.path.join(work, "rec")
    # the room composes 640x360: the file's 1280x720 is [recording]'s
    # no spoken notice: the claps are the only sound
    with server(rec_dir, "[video]\nwidth=640\nheight=360\n", "announce=false\n") as srv:
        ctl = Control(srv.control_socket)
        ev = EventReader(ctl)
        ev.start()
        ev.connected.wait(5)
        uri = srv.uri("rec")
        clap = Caller(work, "clap", uri, ["--codec", "opus", "--video-colour", "000000",
                                          "--clap-every", str(CLAP_MS)], duration=40)
        # halfway through the recording (SIGUSR2): a re-INVITE, then
        # another size (new SPS/PPS, the same SSRC) and colour
        blue = Caller(work, "blue", uri, ["--codec", "opus", "--amplitude", "0",
                                          "--video-colour", BLUE, "--video-resize", "320x180",
                                          "--video-resize-colour", GREEN, "--grid", "2x2:3"], duration=40)
        # its video comes before the recording starts (it starts 1 s after
        # the answers)
        late = Caller(work, "late", uri, ["--codec", "opus", "--amplitude", "0", "--video-colour",
                                          "c8c832", "--video-size", "320x240", "--video-at", "0.5",
                                          "--grid", "2x2:3"],
                      duration=40)
        for c in (clap, blue, late):
            checks.check(c.wait_answered(15) == 200, "%s answered" % c.name)
        time.sleep(1.0)  # the three are in the mix and in the grid
        t0 = time.monotonic()
        posted = datetime.datetime.now(datetime.timezone.utc)
        status, body = ctl.call("POST", "/v1/rooms/rec/recordings")
        t1 = time.monotonic()
        checks.check(status == 201 and body and body.get("state") == "recording",
                     "POST /v1/rooms/rec/recordings: 201, recording (%s %s)" % (status, body))
        rid = (body or {}).get("id", "")
        checks.check(rid.startswith("rec-") and rid.endswith("Z"), "the id names the room and the UTC start: %s" % rid)
        started = ev.wait_for(lambda e: e["type"] == "recording-started", 5)
        checks.check(started and started.get("recording") == rid and started.get("room") == "rec",
                     "event recording-started (%s)" % started)
        status, room = ctl.get("/v1/rooms/rec")
        checks.check(status == 200 and (room.get("recording") or {}).get("id") == rid,
                     "the room resource shows the recording (%s)" % (room or {}).get("recording"))
        status, body = ctl.call("POST", "/v1/rooms/rec/recordings")
        checks.check(status == 409, "a second recording of the room: 409 (%s)" % status)
        time.sleep(max(0.0, RESIZE_AT - (time.monotonic() - t1)))
        blue.proc.send_signal(signal.SIGUSR2)
        time.sleep(10.0 - (time.monotonic() - t1))
        t2 = time.monotonic()
        status, body = ctl.call("DELETE", "/v1/rooms/rec/recordings/" + rid)
        t3 = time.monotonic()
        checks.check(status == 202, "DELETE the recording: 202 (%s %s)" % (status, body))
        stopped = ev.wait_for(lambda e: e["type"] == "recording-stopped", 10)
        checks.check(stopped and stopped.get("recording") == rid, "event recording-stopped")
        status, listing = ctl.get("/v1/recordings")
        item = next((r for r in (listing or {}).get("recordings", []) if r["id"] == rid), {})
        checks.check(item.get("state") == "stopped" and item.get("room") == "rec" and item.get("video"),
                     "listed: stopped, room rec, video (%s)" % item)
        start = datetime.datetime.strptime(item.get("start") or "1970-01-01T00:00:00.000Z", "%Y-%m-%dT%H:%M:%S.%fZ")
        checks.check(start.strftime("%Y%m%dT%H%M%S.") + "%03dZ" % (start.microsecond // 1000) == rid[len("rec-"):]
                     and abs((start.replace(tzinfo=datetime.timezone.utc) - posted).total_seconds()) < 2,
                     "listed start %s: the id's, the UTC time of the POST (%s)" % (item.get("start"), posted))
        wall = (t2 + t3) / 2 - (t0 + t1) / 2
        checks.check(abs(item.get("duration", 0) - wall) < 0.15,
                     "listed duration %.3f s ~ the test's wall clock %.3f s" % (item.get("duration", 0), wall))
        path = os.path.join(rec_dir, rid + ".mkv")
        checks.check(os.path.exists(path) and item.get("size") == os.path.getsize(path),
                     "the file %s, its size listed" % path)
        status, headers, data = ctl.raw("GET", "/v1/recordings/" + rid)
        with open(path, "rb") as f:
            checks.check(status == 200 and data == f.read() and headers.get("content-type") == "video/x-matroska",
                         "GET /v1/recordings/ID downloads the file (%d bytes)" % len(data))
        status, _, metrics = ctl.raw("GET", "/metrics")
        metrics = metrics.decode()
        checks.check("mcu_recordings 0\n" in metrics and "mcu_recordings_started_total 1\n" in metrics
                     and "mcu_recordings_stopped_total 1\n" in metrics,
                     "metrics: mcu_recordings 0, started 1, stopped 1")
        # the callers see the resized caller's new picture
        seen = {}
        for c in (blue, late):
            seen[c.name] = mcutest.poll_until(lambda: c.capture() or time.sleep(0.3) or sees_resized(c), 8)
        checks.check(all(seen.values()), "the callers see the resized caller green, no blue left: %s"
                     % {c.name: ((c.latest_grid() or {}).get("layouts") or {}).get("2x2:3") and
                        [t["median"] for t in c.latest_grid()["layouts"]["2x2:3"]] for c in (blue, late)})
        rep = blue.report() or {}
        sent = [(r["width"], r["height"]) for r in
                ((rep.get("video") or {}).get("sending") or {}).get("resolutions", [])]
        checks.check(rep.get("reinvite_statuses") == [200] and sent == [(640, 360), (320, 180)],
                     "the resized caller's re-INVITE got 200, its encoder put out 640x360 then 320x180 (%s, %s)"
                     % (rep.get("reinvite_statuses"), sent))
        # the calls went on through all of it
        for c in (clap, blue, late):
            checks.check(c.proc.poll() is None, "%s still in the call" % c.name)
        for c in (clap, blue, late):
            c.stop()
        ev.stop()

    info = discover(path)
    checks.check(info["raw"].count("video #") == 1, "one video stream in the file")
    sizes = decoded_sizes(path)
    checks.check(sizes == [(1280, 720)], "every picture decodes at 1280x720 (%s)" % sizes)
    v, a = info["video"] or {}, info["audio"] or {}
    checks.check(re.search(r"H\.264|x-h264", v.get("codec", "")) and v.get("width") == 1280 and v.get("height") == 720,
                 "video: H.264 1280x720 (%s %sx%s)" % (v.get("codec", "")[:40], v.get("width"), v.get("height")))
    checks.check(re.search(r"Opus|x-opus", a.get("codec", "")), "audio: Opus (%s)" % a.get("codec", "")[:40])
    dur = info["duration"] or 0
    checks.check(abs(dur - item.get("duration", 0)) <= 1.0 / FPS + 0.001,
                 "file duration %.3f s within one frame of the recording's %.3f s"
                 % (dur, item.get("duration", 0)))
    frames = decode_luma(path, work)
    # one resolution all through (the late caller's re-INVITE with video)
    checks.check(len(frames) >= 10 * FPS - 3, "%d frames decoded for 10 s at %d fps" % (len(frames), FPS))
    gaps = [b[0] - a[0] for a, b in zip(frames, frames[1:])]
    checks.check(gaps and max(gaps) < 2.5 / FPS, "no gap in the pictures (longest %.3f s)" % max(gaps or [0]))
    checks.check(frames and frames[-1][0] >= dur - 2.0 / FPS,
                 "the pictures decode to the end: last at %.3f s of %.3f s" % (frames[-1][0] if frames else -1, dur))
    # the resize is RESIZE_AT s in: the tiles a second before and at the end
    tiles = grid_tiles(path, work, (RESIZE_AT - 1.0, dur - 0.2))
    before, after = tiles[RESIZE_AT - 1.0], tiles[dur - 0.2]
    was = [i for i, c in enumerate(before) if vc.close(c, vc.rgb(BLUE))]
    checks.check(len(was) == 1 and vc.close(after[was[0]], vc.rgb(GREEN))
                 and not any(vc.close(c, vc.rgb(BLUE)) for c in after),
                 "in the file the resized caller's tile is blue before (%s) and green at the end (%s)"
                 % (before, after))
    first_pts, samples = decode_audio(path, work)
    audio_end = first_pts + len(samples) / 48000.0
    checks.check(abs(audio_end - frames[-1][0]) < 0.1 and first_pts < 0.05,
                 "audio spans the file: %.3f..%.3f s, video to %.3f s" % (first_pts, audio_end, frames[-1][0]))
    vo, ao = video_onsets(frames), audio_onsets(first_pts, samples)
    print("# claps: video %s audio %s" % (["%.3f" % t for t in vo], ["%.3f" % t for t in ao]))
    checks.check(len(vo) >= 4 and len(ao) >= 4, "at least 4 claps seen and heard (%d, %d)" % (len(vo), len(ao)))
    # the sound's start against the first white frame, as a viewer sees it
    # (the frame interval, 33 ms, is part of the budget)
    pairs = []
    for t in vo:
        near = min(ao, key=lambda x: abs(x - t)) if ao else None
        if near is not None and abs(near - t) < 0.5:
            pairs.append(near - t)
    checks.check(len(pairs) >= 4, "claps matched: %s" % ["%+.3f" % d for d in pairs])
    # (the start: the callers' audio jitter buffers still at jitter-latency,
    # 60 ms, stepping down to ~20 ms over the first ~10 s while the video's
    # stays: the sound may lag more there, never lead more; ITU-R BT.1359
    # puts detectability at 45 ms of sound leading, 125 ms lagging; EBU R37
    # asks for at most 40 early, 60 late: the end's bound)
    if pairs:
        checks.check(-0.040 <= pairs[0] <= 0.090 and -0.040 <= pairs[-1] <= 0.060,
                     "A/V offset at the start %+.0f ms (-40..+90: sound late while the "
                     "jitter buffers step down) and at the end %+.0f ms (-40..+60, EBU R37)"
                     % (pairs[0] * 1000, pairs[-1] * 1000))


def audio_room(work):
    rec_dir = os.path.join(work, "rec-audio")
    with server(rec_dir) as srv:
        ctl = Control(srv.control_socket)
        caller = Caller(work, "voice", srv.uri("talk"), ["--codec", "opus"], duration=30)
        other = Caller(work, "voice2", srv.uri("talk"), ["--codec", "opus", "--tone", "660"], duration=30)
        checks.check(caller.wait_answered(15) == 200 and other.wait_answered(15) == 200,
                     "audio-only callers answered (440 and 660 Hz)")
        mcuctl = [os.environ.get("MCUCTL_BIN", "build/mcu/mcuctl"), "--socket", srv.control_socket]
        out = run(mcuctl + ["record", "start", "talk"])
        m = re.match(r"recording talk: (\S+) \(recording\)", out)
        checks.check(m is not None, "mcuctl record start talk: %s" % out.strip())
        rid = m.group(1) if m else ""
        time.sleep(3)
        out = run(mcuctl + ["record", "stop", "talk"])
        checks.check(out.strip() == "stopping recording " + rid, "mcuctl record stop talk: %s" % out.strip())
        mcutest.poll_until(lambda: any(r["id"] == rid and r["state"] == "stopped"
                                       for r in ctl.get("/v1/recordings")[1]["recordings"]), 10)
        out = run(mcuctl + ["record", "list"])
        checks.check(rid in out and "stopped" in out and "talk" in out, "mcuctl record list:\n" + out)
        # a recording running when the server is stopped (SIGTERM) is finished
        status, body = ctl.call("POST", "/v1/rooms/talk/recordings")
        last = (body or {}).get("id", "")
        time.sleep(1.5)
        caller.stop()
        other.stop()
    with open(os.path.join(rec_dir, last + ".json")) as f:
        meta = json.load(f)
    checks.check(meta.get("state") == "stopped" and meta.get("duration_ms", 0) >= 1400,
                 "a recording running at SIGTERM is finished: %s" % meta)
    path = os.path.join(rec_dir, rid + ".mka")
    info = discover(path)
    checks.check(info["video"] is None and re.search(r"Opus|x-opus", (info["audio"] or {}).get("codec", ""))
                 and abs((info["duration"] or 0) - 3) < 0.3,
                 "an audio room: Opus only, %.2f s (%s)" % (info["duration"] or 0, path))
    # the room's full mix: both callers (a mix-minus would miss one)
    _, samples = decode_audio(path, work)
    levels = tone_levels(samples[48000:], (440, 660))
    checks.check(all(lv > 0.2 for lv in levels.values()),
                 "the file holds both callers: %s" % ", ".join("%d Hz %.2f" % kv for kv in sorted(levels.items())))


def tone_levels(samples, freqs, rate=48000):
    """The share of the signal's energy within 10 Hz of each of @freqs."""
    import numpy as np
    x = np.asarray(samples, dtype=float)
    if len(x) == 0 or not np.any(x):
        return {f: 0.0 for f in freqs}
    power = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    hz = np.fft.rfftfreq(len(x), 1.0 / rate)
    return {f: float(power[(hz > f - 10) & (hz < f + 10)].sum() / power.sum()) for f in freqs}


def correlate(recording, prompt):
    """Peak normalized cross-correlation of @prompt in @recording."""
    import numpy as np
    x = np.asarray(recording, dtype=float)
    p = np.asarray(prompt, dtype=float)
    if len(x) < len(p) or not np.any(p):
        return 0.0
    size = 1 << (len(x) + len(p) - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(x, size) * np.conj(np.fft.rfft(p, size)), size)
    corr = corr[:len(x) - len(p) + 1]
    energy = np.concatenate(([0.0], np.cumsum(x * x)))
    local = energy[len(p):] - energy[:len(x) - len(p) + 1]
    ncc = corr / (np.sqrt(np.maximum(local, 1e-12)) * np.sqrt(np.sum(p * p)))
    return float(np.max(ncc))


def announced(work):
    import audiocheck
    rec_dir = os.path.join(work, "rec-notice")
    wav = os.path.join(work, "listener.wav")
    prompt_rate, prompt = audiocheck.read_wav(os.path.join(mcutest.SOURCE_ROOT, "prompts", "en",
                                                           "recording-started.wav"))
    with server(rec_dir, "[rooms]\njoin-tones=false\n") as srv:
        ctl = Control(srv.control_socket)
        ev = EventReader(ctl)
        ev.start()
        ev.connected.wait(5)
        log = open(os.path.join(work, "listener.log"), "w")
        proc = subprocess.Popen([os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller"), "--uri",
                                 srv.uri("notice"), "--codec", "opus", "--amplitude", "0",
                                 "--duration", "8", "--record", wav, "--timeout", "30"],
                                stdout=log, stderr=subprocess.STDOUT)
        checks.check(mcutest.poll_until(lambda: (ctl.get("/v1/rooms/notice")[1] or {}).get("participants"), 10),
                     "the listener is in room notice")
        time.sleep(1.0)
        status, body = ctl.call("POST", "/v1/rooms/notice/recordings")
        rid = (body or {}).get("id", "")
        checks.check(status == 201, "recording of room notice: %s" % status)
        said = ev.wait_for(lambda e: e["type"] == "announcement" and e.get("prompt") == "recording-started"
                           and e.get("state") == "done", 10)
        checks.check(said and said.get("room") == "notice" and said.get("completed") is True,
                     "event announcement recording-started, completed (%s)" % said)
        time.sleep(0.5)
        ctl.call("DELETE", "/v1/rooms/notice/recordings/" + rid)
        mcutest.poll_until(lambda: any(r["id"] == rid and r["state"] == "stopped"
                                       for r in ctl.get("/v1/recordings")[1]["recordings"]), 10)
        checks.check(proc.wait(30) == 0, "the listener's call ended well")
        ev.stop()
    rate, heard = audiocheck.read_wav(wav)
    peak = correlate(heard, prompt) if rate == prompt_rate else 0.0
    print("# listener: correlation with recording-started %.2f" % peak)
    checks.check(peak >= 0.6, "the listener heard recording-started (correlation %.2f >= 0.6)" % peak)
    raw = os.path.join(work, "notice.raw")
    run(["gst-launch-1.0", "-q", "filesrc", "location=" + os.path.join(rec_dir, rid + ".mka"), "!",
         "matroskademux", "!", "opusdec", "!", "audioconvert", "!", "audioresample", "!",
         "audio/x-raw,format=S16LE,rate=48000,channels=1", "!", "filesink", "location=" + raw])
    with open(raw, "rb") as f:
        data = f.read()
    samples = struct.unpack("<%dh" % (len(data) // 2), data[:len(data) // 2 * 2])
    peak = correlate(samples, prompt)
    print("# recording: correlation with recording-started %.2f" % peak)
    checks.check(peak >= 0.6, "the recording holds recording-started (correlation %.2f >= 0.6)" % peak)


def segmented(work):
    rec_dir = os.path.join(work, "rec-seg")
    with server(rec_dir, "", "segment-seconds=2\nannounce=false\n") as srv:
        ctl = Control(srv.control_socket)
        caller = Caller(work, "cut", srv.uri("seg"), ["--codec", "opus", "--video-colour", "32c832"],
                        duration=40)
        checks.check(caller.wait_answered(15) == 200, "segments: caller answered")
        time.sleep(1.0)
        status, body = ctl.call("POST", "/v1/rooms/seg/recordings")
        rid = (body or {}).get("id", "")
        time.sleep(7.0)
        ctl.call("DELETE", "/v1/rooms/seg/recordings/" + rid)
        checks.check(mcutest.poll_until(lambda: any(r["id"] == rid and r["state"] == "stopped"
                                                    for r in ctl.get("/v1/recordings")[1]["recordings"]), 10),
                     "segments: the recording stopped")
        item = next((r for r in ctl.get("/v1/recordings")[1]["recordings"] if r["id"] == rid), {})
        status, _, seg1 = ctl.raw("GET", "/v1/recordings/%s/segments/1" % rid)
        with open(os.path.join(rec_dir, rid + ".001.mkv"), "rb") as f:
            checks.check(status == 200 and seg1 == f.read(), "GET .../segments/1 is ID.001.mkv (%s)" % status)
        status, _, _ = ctl.raw("GET", "/v1/recordings/%s/segments/%d" % (rid, item.get("segments", 0)))
        checks.check(status == 404, "a segment past the last: 404 (%s)" % status)
        caller.stop()
    files = sorted(f for f in os.listdir(rec_dir) if f.startswith(rid) and f.endswith(".mkv"))
    checks.check(files and files[0] == rid + ".000.mkv" and len(files) >= 3,
                 "segments: %d files from %s.000.mkv (%s)" % (len(files), rid, files))
    checks.check(item.get("segments") == len(files)
                 and item.get("size") == sum(os.path.getsize(os.path.join(rec_dir, f)) for f in files),
                 "segments: listed %s segments, size %s" % (item.get("segments"), item.get("size")))
    durations = []
    for f in files:
        info = discover(os.path.join(rec_dir, f))
        durations.append(info["duration"] or 0)
        checks.check(info["video"] and info["audio"], "segment %s: video and audio" % f)
    print("# segments: %s s" % ["%.2f" % d for d in durations])
    checks.check(all(1.5 <= d <= 2.5 for d in durations[:-1]),
                 "segments of about 2 s, split on key frames: %s" % ["%.2f" % d for d in durations])
    checks.check(abs(sum(durations) - item.get("duration", 0)) < 0.3,
                 "segments add up to the recording: %.2f s ~ %.2f s" % (sum(durations), item.get("duration", 0)))


def segmented_by_size(work):
    """[recording] segment-kb: files cut before they grow past the size, at key frames."""
    rec_dir = os.path.join(work, "rec-size")
    limit_kb = 75
    with server(rec_dir, "", "segment-kb=%d\nannounce=false\n" % limit_kb) as srv:
        ctl = Control(srv.control_socket)
        caller = Caller(work, "size", srv.uri("segkb"), ["--codec", "opus", "--video-colour", "c83232"],
                        duration=40)
        checks.check(caller.wait_answered(15) == 200, "segments by size: caller answered")
        time.sleep(1.0)
        status, body = ctl.call("POST", "/v1/rooms/segkb/recordings")
        rid = (body or {}).get("id", "")
        time.sleep(8.0)
        ctl.call("DELETE", "/v1/rooms/segkb/recordings/" + rid)
        checks.check(mcutest.poll_until(lambda: any(r["id"] == rid and r["state"] == "stopped"
                                                    for r in ctl.get("/v1/recordings")[1]["recordings"]), 10),
                     "segments by size: the recording stopped")
        item = next((r for r in ctl.get("/v1/recordings")[1]["recordings"] if r["id"] == rid), {})
        caller.stop()
    files = sorted(f for f in os.listdir(rec_dir) if f.startswith(rid) and f.endswith(".mkv"))
    sizes = [os.path.getsize(os.path.join(rec_dir, f)) for f in files]
    print("# segments by size: %s bytes, %s s recorded" % (sizes, item.get("duration")))
    checks.check(len(files) >= 2 and files[0] == rid + ".000.mkv" and item.get("segments") == len(files),
                 "segments by size: %d files from %s.000.mkv, %s listed" % (len(files), rid, item.get("segments")))
    checks.check(all(s <= limit_kb * 1000 for s in sizes[:-1]),
                 "segments by size: every file but the last at most %d kB: %s" % (limit_kb, sizes))
    durations = [discover(os.path.join(rec_dir, f))["duration"] or 0 for f in files]
    checks.check(abs(sum(durations) - item.get("duration", 0)) < 0.3 and all(d > 0 for d in durations),
                 "segments by size decode and add up to the recording: %s ~ %.2f s"
                 % (["%.2f" % d for d in durations], item.get("duration", 0)))


def decode_errors(path):
    """What decoding all of @path's video says when it goes wrong."""
    p = subprocess.run(["gst-launch-1.0", "-q", "filesrc", "location=" + path, "!", "matroskademux",
                        "!", "h264parse", "!", "avdec_h264", "!", "fakesink"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    out = p.stdout.decode("utf-8", "replace")
    bad = [ln for ln in out.splitlines() if re.search(r"ERROR|WARN|error", ln)]
    return p.returncode, bad


def reused(work):
    rec_dir = os.path.join(work, "rec-reuse")
    size = "[video]\nwidth=640\nheight=360\n"
    with server(rec_dir, size, "width=640\nheight=360\nannounce=false\n") as srv:
        ctl = Control(srv.control_socket)
        uri = srv.uri("reuse")
        red = Caller(work, "red", uri, ["--codec", "opus", "--video-colour", "c83232"], duration=40)
        green = Caller(work, "green", uri, ["--codec", "opus", "--video-colour", "32c832"], duration=40)
        voice = Caller(work, "voice", uri, ["--codec", "opus"], duration=40)
        for c in (red, green, voice):
            checks.check(c.wait_answered(15) == 200, "reuse: %s answered" % c.name)
        time.sleep(1.0)
        status, body = ctl.call("POST", "/v1/rooms/reuse/recordings")
        rid = (body or {}).get("id", "")
        status, sbody = ctl.call("POST", "/v1/rooms/reuse/streams", {"hls": "reuse"})
        sid = (sbody or {}).get("id", "")
        status, room = ctl.get("/v1/rooms/reuse")
        rec = (room or {}).get("recording") or {}
        checks.check(rec.get("id") == rid and rec.get("video_encoder") == "encoder-group",
                     "reuse: the recording takes the callers' encoder group (%s)" % rec)
        status, sl = ctl.get("/v1/rooms/reuse/streams")
        st = next((x for x in (sl or {}).get("streams", []) if x.get("id") == sid), {})
        checks.check(st.get("video_encoder") == "encoder-group",
                     "reuse: so does the stream (%s)" % st)
        time.sleep(4.0)
        red.stop()
        green.stop()
        checks.check(mcutest.poll_until(
            lambda: ((ctl.get("/v1/rooms/reuse")[1] or {}).get("recording") or {}).get("video_encoder")
            == "fallback", 5),
            "reuse: the video callers gone, the recording encodes on its own (%s)"
            % ((ctl.get("/v1/rooms/reuse")[1] or {}).get("recording")))
        time.sleep(4.0)
        ctl.call("DELETE", "/v1/rooms/reuse/streams/" + sid)
        ctl.call("DELETE", "/v1/rooms/reuse/recordings/" + rid)
        checks.check(mcutest.poll_until(lambda: any(r["id"] == rid and r["state"] == "stopped"
                                                    for r in ctl.get("/v1/recordings")[1]["recordings"]), 10),
                     "reuse: the recording stopped")
        item = next((r for r in ctl.get("/v1/recordings")[1]["recordings"] if r["id"] == rid), {})
        checks.check(voice.proc.poll() is None, "reuse: the audio caller still in the call")
        voice.stop()
        # everyone leaves a room recorded from its group: the room closes,
        # the recording stops (not fails) and its file is whole
        uri2 = srv.uri("reuse2")
        pair = [Caller(work, n, uri2, ["--codec", "opus", "--video-colour", c], duration=40)
                for n, c in (("cyan", "32c8c8"), ("pink", "c832c8"))]
        for c in pair:
            checks.check(c.wait_answered(15) == 200, "reuse2: %s answered" % c.name)
        time.sleep(1.0)
        status, body = ctl.call("POST", "/v1/rooms/reuse2/recordings")
        rid2 = (body or {}).get("id", "")
        checks.check(body and body.get("video_encoder") == "encoder-group",
                     "reuse2: the recording takes the group (%s)" % body)
        time.sleep(3.0)
        for c in pair:
            c.stop()
        checks.check(mcutest.poll_until(lambda: any(r["id"] == rid2 and r["state"] in ("stopped", "failed")
                                                    for r in ctl.get("/v1/recordings")[1]["recordings"]), 10),
                     "reuse2: the room closed, the recording ended")
        item2 = next((r for r in ctl.get("/v1/recordings")[1]["recordings"] if r["id"] == rid2), {})
        checks.check(item2.get("state") == "stopped", "reuse2: it stopped, not failed (%s)" % item2)
    rc, bad = decode_errors(os.path.join(rec_dir, rid2 + ".mkv"))
    checks.check(rc == 0 and not bad, "reuse2: its file decodes without an error (rc %d %s)" % (rc, bad[:3]))
    # the HLS stream took the group's H.264 too: segments of about 2 s
    # (each cut's key frame asked of the group; its own GOP is 10 s) that
    # decode
    hls = os.path.join(rec_dir, "hls", "reuse")
    with open(os.path.join(hls, "playlist.m3u8")) as f:
        extinf = [float(x) for x in re.findall(r"#EXTINF:([\d.]+)", f.read())]
    checks.check(len(extinf) >= 3 and max(extinf[:-1]) <= 2.5,
                 "reuse: HLS segments of about 2 s (%s)" % extinf)
    seg = sorted(f for f in os.listdir(hls) if f.endswith(".ts"))[0]
    out = run(["gst-launch-1.0", "-v", "filesrc", "location=" + os.path.join(hls, seg), "!", "tsdemux", "!",
               "h264parse", "!", "avdec_h264", "!", "fakesink", "silent=false", "sync=false"])
    nframes = len(re.findall(r"chain.*?pts:", out))
    checks.check(nframes >= 40, "reuse: HLS %s decodes (%d frames)" % (seg, nframes))
    path = os.path.join(rec_dir, rid + ".mkv")
    info = discover(path)
    v = info["video"] or {}
    checks.check(re.search(r"H\.264|x-h264", v.get("codec", "")) and v.get("width") == 640
                 and v.get("height") == 360,
                 "reuse: video H.264 640x360 (%s %sx%s)" % (v.get("codec", "")[:40], v.get("width"), v.get("height")))
    dur = info["duration"] or 0
    checks.check(abs(dur - item.get("duration", 0)) <= 1.0 / FPS + 0.001,
                 "reuse: file duration %.3f s within one frame of the recording's %.3f s"
                 % (dur, item.get("duration", 0)))
    rc, bad = decode_errors(path)
    checks.check(rc == 0 and not bad, "reuse: the file decodes without an error (rc %d %s)" % (rc, bad[:3]))
    frames = decode_luma(path, work)
    gaps = [b[0] - a[0] for a, b in zip(frames, frames[1:])]
    print("# reuse: %d frames over %.2f s, longest gap %.3f s; gaps over 0.1 s at %s" % (
        len(frames), dur, max(gaps or [0]),
        ["%.2f+%.2f" % (a[0], b[0] - a[0]) for a, b in zip(frames, frames[1:]) if b[0] - a[0] > 0.1]))
    checks.check(frames and frames[0][0] < 0.2 and len(frames) >= (dur - 0.5) * FPS,
                 "reuse: %d frames decoded from %.3f s for %.2f s at %d fps"
                 % (len(frames), frames[0][0] if frames else -1, dur, FPS))
    checks.check(gaps and max(gaps) <= 0.2, "reuse: no gap in the pictures over 0.2 s (longest %.3f s)"
                 % max(gaps or [0]))


def killed(work):
    rec_dir = os.path.join(work, "rec-kill")
    srv = server(rec_dir).start()
    ctl = Control(srv.control_socket)
    caller = Caller(work, "victim", srv.uri("crash"), ["--codec", "opus", "--video-colour", "c83232"],
                    duration=60)
    checks.check(caller.wait_answered(15) == 200, "kill: caller answered")
    status, body = ctl.call("POST", "/v1/rooms/crash/recordings")
    rid = (body or {}).get("id", "")
    t0 = time.monotonic()
    time.sleep(6.0)
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    elapsed = time.monotonic() - t0
    srv.stop(check_log=False)
    caller.stop()
    path = os.path.join(rec_dir, rid + ".mkv")
    until = decoded_until(path)
    checks.check(until >= elapsed - 3.0,
                 "after SIGKILL at %.2f s the file decodes to %.2f s (within 3 s)" % (elapsed, until))
    srv2 = server(rec_dir).start()
    try:
        status, listing = Control(srv2.control_socket).get("/v1/recordings")
        item = next((r for r in (listing or {}).get("recordings", []) if r["id"] == rid), {})
        checks.check(item.get("state") == "interrupted" and item.get("duration", 0) >= elapsed - 3.0,
                     "after a restart: listed as interrupted, %.1f s (%s)" % (item.get("duration", 0), item))
    finally:
        srv2.stop()


def write_failure(work):
    mnt = os.path.join(work, "small")
    os.makedirs(mnt)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", mnt])
    if r.returncode != 0:
        checks.check(False, "mount a 128 kB tmpfs for the disk-full test (needs root)")
        return
    try:
        with server(mnt) as srv:
            ctl = Control(srv.control_socket)
            ev = EventReader(ctl)
            ev.start()
            ev.connected.wait(5)
            a = Caller(work, "full-a", srv.uri("full"), ["--codec", "opus", "--video-colour", "32c832"],
                       duration=25)
            b = Caller(work, "full-b", srv.uri("full"), ["--codec", "opus", "--tone", "660"], duration=25)
            checks.check(a.wait_answered(15) == 200 and b.wait_answered(15) == 200, "disk full: callers answered")
            status, body = ctl.call("POST", "/v1/rooms/full/recordings")
            checks.check(status == 201, "disk full: recording started")
            failed = ev.wait_for(lambda e: e["type"] == "recording-failed", 20)
            checks.check(failed is not None and "space" in failed.get("error", "").lower(),
                         "event recording-failed: %s" % (failed or {}).get("error"))
            status, listing = ctl.get("/v1/recordings")
            states = [r["state"] for r in (listing or {}).get("recordings", [])]
            checks.check(states == ["failed"], "listed as failed (%s)" % states)
            metrics = ctl.raw("GET", "/metrics")[2].decode()
            checks.check("mcu_recordings_failed_total 1\n" in metrics and "mcu_recordings 0\n" in metrics,
                         "metrics: mcu_recordings_failed_total 1, mcu_recordings 0")
            status, room = ctl.get("/v1/rooms/full")
            checks.check(status == 200 and room["participants"] == 2 and room.get("recording") is None,
                         "the room goes on, both in it, not recording")
            for c in (a, b):
                c.proc.wait(40)
                code = c.stop()
                rep = c.report() or {}
                checks.check(code == 0 and not rep.get("bye_from_server") and rep.get("rtp_max_gap_ms", 9999) < 500,
                             "%s talked to the end (exit %s, longest RTP gap %s ms)"
                             % (c.name, code, rep.get("rtp_max_gap_ms")))
            ev.stop()
    finally:
        subprocess.run(["umount", "-l", mnt])


def automatic(work):
    """[room:NAME] record=auto and a scheduled meeting's "record": true."""
    rec_dir = os.path.join(work, "rec-auto")
    with server(rec_dir, "[room:autorec]\nrecord=auto\n") as srv:
        ctl = Control(srv.control_socket)
        ev = EventReader(ctl)
        ev.start()
        ev.connected.wait(5)
        caller = Caller(work, "auto", srv.uri("autorec"), ["--codec", "opus"], duration=3)
        checks.check(caller.wait_answered(15) == 200, "record=auto: caller answered")
        started = ev.wait_for(lambda e: e["type"] == "recording-started" and e.get("room") == "autorec", 5)
        checks.check(started is not None, "record=auto: recording-started with the first caller")
        stopped = ev.wait_for(lambda e: e["type"] == "recording-stopped" and e.get("room") == "autorec", 15)
        checks.check(stopped is not None and started and stopped["recording"] == started["recording"],
                     "record=auto: recording-stopped when the room closed")
        caller.stop()
        caller = Caller(work, "other", srv.uri("plain"), ["--codec", "opus"], duration=2)
        checks.check(caller.wait_answered(15) == 200, "a room without record=auto")
        caller.stop()
        start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=4)
        st, body = ctl.call("POST", "/v1/meetings", {
            "subject": "Recorded", "room": "meetrec", "timezone": "UTC",
            "start": start.replace(microsecond=0).isoformat(), "duration": "PT30S",
            "early_join": "PT3S", "record": True})
        checks.check(st == 201, "meeting with record: true booked (%s %s)" % (st, body))
        mid = (body or {}).get("id")
        waiting = mcutest.poll_until(lambda: [r for r in ctl.get("/v1/recordings")[1]["recordings"]
                                              if r["room"] == "meetrec"], 10)
        checks.check(waiting and waiting[0]["state"] == "waiting",
                     "the meeting's room opened: its recording waits for a caller (%s)" % waiting)
        caller = Caller(work, "attendee", srv.uri("meetrec"), ["--codec", "opus"], duration=20)
        checks.check(caller.wait_answered(15) == 200, "meeting: caller answered")
        started = ev.wait_for(lambda e: e["type"] == "recording-started" and e.get("room") == "meetrec", 5)
        checks.check(started is not None, "meeting: recording-started with the first caller")
        ctl.call("DELETE", "/v1/meetings/%s" % mid)
        caller.stop()
        stopped = ev.wait_for(lambda e: e["type"] == "recording-stopped" and e.get("room") == "meetrec", 15)
        checks.check(stopped is not None, "meeting: recording-stopped")
        ev.stop()
    rooms = sorted(set(n.split("-")[0] for n in os.listdir(rec_dir) if n.endswith(".mka")))
    checks.check(rooms == ["autorec", "meetrec"], "files of autorec and meetrec only (%s)" % rooms)


STAMP_COLS, STAMP_ROWS = 8, 4  # mcu-caller-frames.c: the caller's time stamp


def read_stamp(frame, fw, x, y, w, h):
    """The time stamp (ms, 24 bits) mcu-test-caller --video-stamp drew into
    its picture, shown at (x, y, w, h) of a GRAY8 @frame @fw pixels wide;
    None where the blocks do not form one (as mcu_caller_stamp_read)."""
    bits = 0
    for i in range(STAMP_COLS * STAMP_ROWS):
        col, row = i % STAMP_COLS, i // STAMP_COLS
        aw, ah = 0.70 * w, 0.40 * h
        x0 = int(x + 0.15 * w + aw * col / STAMP_COLS)
        x1 = int(x + 0.15 * w + aw * (col + 1) / STAMP_COLS)
        y0 = int(y + 0.12 * h + ah * row / STAMP_ROWS)
        y1 = int(y + 0.12 * h + ah * (row + 1) / STAMP_ROWS)
        mx, my = (x1 - x0) * 3 // 10, (y1 - y0) * 3 // 10
        px = [frame[py * fw + px] for py in range(y0 + my, max(y1 - my, y0 + my + 1))
              for px in range(x0 + mx, max(x1 - mx, x0 + mx + 1))]
        luma = sum(px) / len(px)
        if 60 < luma < 190:
            return None
        bits = (bits << 1) | (luma >= 125)
    value = bits >> 8
    if ((value >> 16) ^ (value >> 8) ^ value ^ 0x5a) & 0xff != bits & 0xff:
        return None
    return value


def decode_stamps(path, work, rect, w=640, h=360):
    """[(pts s, stamp ms or None)] of every picture of @path's video, the
    stamp read in @rect (x, y, width, height: fractions of the picture)."""
    raw = os.path.join(work, "stamps.raw")
    chain = ["!", "h264parse", "!", "avdec_h264", "!", "videoconvert", "!", "videoscale", "!",
             "video/x-raw,format=GRAY8,width=%d,height=%d" % (w, h)]
    run(["gst-launch-1.0", "-q", "filesrc", "location=" + path, "!", "matroskademux", "name=d",
         "d.video_0", "!", "queue"] + chain + ["!", "filesink", "location=" + raw])
    pts = pts_list(path, "video_0", chain)
    with open(raw, "rb") as f:
        data = f.read()
    frames = [data[i:i + w * h] for i in range(0, len(data) - w * h + 1, w * h)]
    x, y, rw, rh = int(rect[0] * w), int(rect[1] * h), int(rect[2] * w), int(rect[3] * h)
    return [(t, read_stamp(fr, w, x, y, rw, rh)) for t, fr in zip(pts, frames)]


def longest_still(frames):
    """(first, last) index of the longest run of frames showing the same
    stamp."""
    best, start = (0, 0), 0
    for i in range(1, len(frames) + 1):
        if i == len(frames) or frames[i][1] != frames[start][1]:
            if i - 1 - start > best[1] - best[0]:
                best = (start, i - 1)
            start = i
    return best


def moving(frames, t0, t1):
    """The stamps of the frames from @t0 to @t1 (s): how many of their steps
    show a newer picture, and how far the pictures' clock went (ms) for the
    time they span (ms)."""
    part = [(t, v) for t, v in frames if t0 <= t <= t1 and v is not None]
    steps = [b[1] - a[1] for a, b in zip(part, part[1:])]
    newer = sum(1 for d in steps if d > 0) / float(len(steps) or 1)
    span = (part[-1][0] - part[0][0]) * 1000 if len(part) > 1 else 0
    return newer, sum(steps), span


def check_frozen_picture(frames, stopped_at, resumed_at):
    """What a person watching the recording sees of a caller stopped from
    @stopped_at to @resumed_at (s into the recording): its picture all
    through (every frame's stamp reads), moving before the stop, the last
    picture held for the stop, then moving again, in step with the clock,
    having skipped the time it was stopped."""
    read = [v for _, v in frames if v is not None]
    checks.check(frames and len(read) >= 0.98 * len(frames),
                 "frozen: its picture in every frame (%d of %d frames show its stamp)" % (len(read), len(frames)))
    if len(read) < 2:
        return
    first, last = longest_still(frames)
    held_from, held_to = frames[first][0], frames[last][0] + 1.0 / FPS
    checks.check(stopped_at - 0.3 <= held_from <= stopped_at + 0.7 and 2.6 <= held_to - held_from <= 3.6,
                 "frozen: one picture held %.2f-%.2f s (stopped %.2f-%.2f s)"
                 % (held_from, held_to, stopped_at, resumed_at))
    before = moving(frames, 0.2, held_from - 0.1)
    checks.check(before[0] >= 0.9 and abs(before[1] - before[2]) <= 0.2 * before[2],
                 "frozen: moving before the stop (%.0f %% of frames newer; %d ms of pictures in %d ms)"
                 % (100 * before[0], before[1], before[2]))
    nxt = next((v for t, v in frames[last + 1:] if v is not None), None)
    jump = (nxt - frames[first][1]) if nxt is not None else 0
    checks.check(2500 <= jump <= 3600,
                 "frozen: the next picture after the held one is %d ms newer: the stop skipped, not replayed"
                 % jump)
    after = moving(frames, frames[-1][0] - 1.0, frames[-1][0])
    # (faster than the clock while it catches up the delay of the burst the
    # caller sends on waking)
    checks.check(after[0] >= 0.8 and 0.7 * after[2] <= after[1] <= 1.5 * after[2],
                 "frozen: moving again in the last second (%.0f %% of frames newer; %d ms of pictures in %d ms)"
                 % (100 * after[0], after[1], after[2]))


def frozen(work):
    """The only video caller stops dead (SIGSTOP: no RTP at all) for 3 s
    of a 7 s recording while an audio-only caller talks. Its pictures carry
    the time they were taken (--video-stamp), so the file shows what a
    person would see: the picture moves, then the same picture is held for
    the 3 s, at the frame rate with no gap in the file's timestamps, then
    it moves again and has skipped the 3 s; the other caller's sound goes
    on."""
    rec_dir = os.path.join(work, "rec-frozen")
    with server(rec_dir, "[video]\nwidth=640\nheight=360\n", "announce=false\n") as srv:
        ctl = Control(srv.control_socket)
        # the voice first (its tile on the left, below): both at once raced
        voice = Caller(work, "voice3", srv.uri("freeze"), ["--codec", "opus"], duration=40)
        voice_answered = voice.wait_answered(15)
        still = Caller(work, "still", srv.uri("freeze"), ["--codec", "opus", "--amplitude", "0",
                                                          "--video-colour", GREEN, "--video-stamp"],
                       duration=40)
        checks.check(still.wait_answered(15) == 200 and voice_answered == 200,
                     "frozen: callers answered")
        time.sleep(1.0)
        status, body = ctl.call("POST", "/v1/rooms/freeze/recordings")
        t0 = time.monotonic()
        rid = (body or {}).get("id", "")
        time.sleep(1.5)
        still.proc.send_signal(signal.SIGSTOP)
        stopped_at = time.monotonic() - t0
        time.sleep(3.0)
        still.proc.send_signal(signal.SIGCONT)
        resumed_at = time.monotonic() - t0
        time.sleep(7.0 - (time.monotonic() - t0))
        ctl.call("DELETE", "/v1/rooms/freeze/recordings/" + rid)
        checks.check(mcutest.poll_until(lambda: any(r["id"] == rid and r["state"] == "stopped"
                                                    for r in ctl.get("/v1/recordings")[1]["recordings"]), 10),
                     "frozen: the recording stopped")
        item = next((r for r in ctl.get("/v1/recordings")[1]["recordings"] if r["id"] == rid), {})
        checks.check(still.proc.poll() is None and voice.proc.poll() is None, "frozen: both still in the call")
        still.stop()
        voice.stop()
    path = os.path.join(rec_dir, rid + ".mkv")
    dur = discover(path)["duration"] or 0
    # 2x1 grid: the audio-only caller on the left, the picture (16:9 in a
    # half) on the right
    frames = decode_stamps(path, work, (0.5, 0.25, 0.5, 0.5))
    gaps = [b[0] - a[0] for a, b in zip(frames, frames[1:])]
    checks.check(abs(dur - item.get("duration", 0)) <= 1.0 / FPS + 0.001 and len(frames) >= 7 * FPS - 3
                 and gaps and max(gaps) < 2.5 / FPS,
                 "frozen: %.3f s (listed %.3f s), %d frames, longest gap %.3f s: the stop is not collapsed"
                 % (dur, item.get("duration", 0), len(frames), max(gaps or [0])))
    check_frozen_picture(frames, stopped_at, resumed_at)
    first_pts, samples = decode_audio(path, work)
    mid = samples[int((2.0 - first_pts) * 48000):int((4.0 - first_pts) * 48000)]
    level = tone_levels(mid, (440,))[440]
    checks.check(len(mid) == 2 * 48000 and level > 0.5,
                 "frozen: the other caller's tone through the stop (%.2f of the sound 2-4 s)" % level)


def main():
    work = tempfile.mkdtemp(prefix="mcu-rec-")
    parts = sys.argv[1:] or ["video", "audio", "auto", "kill", "full", "notice", "segments", "reuse",
                             "frozen"]
    try:
        if "video" in parts:
            video_room(work)
        if "audio" in parts:
            audio_room(work)
        if "auto" in parts:
            automatic(work)
        if "kill" in parts:
            killed(work)
        if "full" in parts:
            write_failure(work)
        if "notice" in parts:
            announced(work)
        if "segments" in parts:
            segmented(work)
            segmented_by_size(work)
        if "reuse" in parts:
            reused(work)
        if "frozen" in parts:
            frozen(work)
    finally:
        if checks.failed == 0:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("# kept %s" % work)
    checks.exit()


if __name__ == "__main__":
    main()
