# SPDX-License-Identifier: LGPL-2.1-or-later
"""Live streaming of a room (issue 13), against the real daemon with
mcu-test-caller as the phones (a video caller sending a 440 Hz tone):

- RTMP to a real nginx with libnginx-mod-rtmp on loopback, started here:
  the stream pulled back with GStreamer decodes, with video and the room's
  audio (the 440 Hz tone); nginx is stopped and started again: the stream
  reconnects (stream-reconnecting, then stream-started) and decodes again;
- SRT to a GStreamer srtsrc listener that is started after the stream
  (stream-reconnecting until it is up), then stopped and started again:
  each time the stream comes back, decodes, with the tone;
- HLS into a directory: a playlist and segments that decode;
- DELETE stops a stream (stream-stopped); bad URLs get 400."""

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402
import test_recording  # noqa: E402
from controlclient import Control, EventReader  # noqa: E402
from videocheck import Caller  # noqa: E402

checks = mcutest.Failures()
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"


def start_nginx(work, port):
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write("daemon off;\nmaster_process off;\nworker_processes 1;\n"
                "load_module %s;\npid %s/nginx.pid;\nerror_log %s/nginx-error.log info;\n"
                "events { worker_connections 64; }\n"
                "rtmp { server { listen 127.0.0.1:%d; application live { live on; record off; } } }\n"
                % (RTMP_MODULE, work, work, port))
    proc = subprocess.Popen([NGINX, "-p", work, "-c", conf], stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)
    ok = mcutest.poll_until(lambda: tcp_open(port), 10)
    return proc if ok else None


def tcp_open(port):
    import socket
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pull(work, name, source, seconds=5.0):
    """Decodes what @source (gst-launch words, ending in a demuxer named d)
    gives until @seconds of audio and video are out (or @seconds + 15 s
    have passed: a loaded machine starts gst-launch slowly): (video frames
    decoded, audio S16 samples)."""
    a = os.path.join(work, name + "-a.raw")
    v = os.path.join(work, name + "-v.raw")
    argv = ["gst-launch-1.0", "-q"] + source + [
        "d.", "!", "audio/mpeg", "!", "queue", "!", "decodebin", "!", "audioconvert", "!", "audioresample", "!",
        "audio/x-raw,format=S16LE,rate=48000,channels=1", "!", "filesink", "location=" + a,
        "d.", "!", "video/x-h264", "!", "queue", "!", "decodebin", "!", "videoconvert", "!", "videoscale", "!",
        "video/x-raw,format=GRAY8,width=16,height=16", "!", "filesink", "location=" + v]
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def size(path):
        return os.path.getsize(path) if os.path.exists(path) else 0
    mcutest.poll_until(lambda: p.poll() is not None or
                       (size(a) >= seconds * 48000 * 2 and size(v) >= seconds * 15 * 256), seconds + 15, step=0.2)
    p.send_signal(signal.SIGINT)
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    frames = size(v) // 256
    samples = ()
    if os.path.exists(a):
        with open(a, "rb") as f:
            data = f.read()
        samples = struct.unpack("<%dh" % (len(data) // 2), data[:len(data) // 2 * 2])
    return frames, samples


def tone_hz(samples, rate=48000):
    """The frequency of a steady tone by zero crossings, the median over
    the 250 ms windows past the encoder's priming that carry sound (0: no
    sound at all). A window lost on the way (a late packet on a loaded
    machine decodes as silence) does not count."""
    step = rate // 4
    found = []
    for i in range(step, len(samples) - step + 1, step):
        w = samples[i:i + step]
        if max(abs(s) for s in w) >= 500:
            found.append(sum(1 for x, y in zip(w, w[1:]) if (x < 0) != (y < 0)) / 2.0 / 0.25)
    return sorted(found)[len(found) // 2] if len(found) >= 4 else 0


def check_pull(what, frames, samples, seconds):
    hz = tone_hz(samples)
    checks.check(frames >= seconds * 10, "%s: %d video frames decoded (at least %d)"
                 % (what, frames, seconds * 10))
    checks.check(abs(hz - 440) < 20, "%s: the room's audio (the caller's 440 Hz tone: %.0f Hz)" % (what, hz))


def main():
    work = tempfile.mkdtemp(prefix="mcu-stream-")
    rec_dir = os.path.join(work, "rec")
    rtmp_port = mcutest.free_port()
    srt_port = mcutest.free_port()
    nginx = start_nginx(work, rtmp_port)
    checks.check(nginx is not None, "nginx with the RTMP module listens on %d" % rtmp_port)
    # no spoken recording-started: the tone is all the room's sound
    srv = mcutest.McuServer(extra="[recording]\ndir=%s\nannounce=false\n[video]\nwidth=640\nheight=360\n" % rec_dir)
    srv.start()
    caller = None
    try:
        ctl = Control(srv.control_socket)
        ev = EventReader(ctl)
        ev.start()
        ev.connected.wait(5)
        caller = Caller(work, "live", srv.uri("show"), ["--codec", "opus", "--video-colour", "3232c8"],
                        duration=120)
        checks.check(caller.wait_answered(15) == 200, "caller answered")
        answered = time.monotonic()

        st, body = ctl.call("POST", "/v1/rooms/show/streams", {"url": "http://example.com/x"})
        checks.check(st == 400, "an http:// URL: 400 (%s)" % st)
        st, body = ctl.call("POST", "/v1/rooms/show/streams", {"hls": "../etc"})
        checks.check(st == 400, "an HLS name with a slash: 400 (%s)" % st)
        st, body = ctl.call("POST", "/v1/rooms/nosuch/streams", {"url": "rtmp://127.0.0.1/live/x"})
        checks.check(st == 404, "a room that is not open: 404 (%s)" % st)

        # RTMP
        url = "rtmp://127.0.0.1:%d/live/show" % rtmp_port
        st, body = ctl.call("POST", "/v1/rooms/show/streams", {"url": url})
        checks.check(st == 201 and body["state"] == "live", "POST rtmp stream: 201 live (%s %s)" % (st, body))
        rtmp_id = (body or {}).get("id")
        time.sleep(1.0)
        frames, samples = pull(work, "rtmp1", ["rtmp2src", "location=" + url, "!", "flvdemux", "name=d"])
        check_pull("RTMP", frames, samples, 5)
        # the server restarts: the stream comes back
        n_started = len([e for e in ev.events if e["type"] == "stream-started"])
        nginx.send_signal(signal.SIGTERM)
        nginx.wait(10)
        rec = ev.wait_for(lambda e: e["type"] == "stream-reconnecting" and e.get("stream") == rtmp_id, 15)
        checks.check(rec is not None, "RTMP server gone: stream-reconnecting (%s)" % (rec or {}).get("error"))
        nginx = start_nginx(work, rtmp_port)
        back = mcutest.poll_until(lambda: len([e for e in ev.events if e["type"] == "stream-started"
                                               and e.get("stream") == rtmp_id]) > n_started, 30)
        checks.check(back, "RTMP server back: stream-started again")
        time.sleep(1.0)
        frames, samples = pull(work, "rtmp2", ["rtmp2src", "location=" + url, "!", "flvdemux", "name=d"])
        check_pull("RTMP after the restart", frames, samples, 5)

        # SRT to a listener that is not there yet: the stream is tried
        # again with the backoff, and gets through once the listener is up
        srt_url = "srt://127.0.0.1:%d" % srt_port
        listener = ["srtsrc", "uri=%s?mode=listener" % srt_url, "!", "tsdemux", "name=d"]
        st, body = ctl.call("POST", "/v1/rooms/show/streams", {"url": srt_url})
        checks.check(st == 201, "POST srt stream, no listener yet: 201 (%s %s)" % (st, body))
        srt_id = (body or {}).get("id")

        def srt_events(kind):
            return [e for e in ev.events if e["type"] == kind and e.get("stream") == srt_id]
        rec = ev.wait_for(lambda e: e["type"] == "stream-reconnecting" and e.get("stream") == srt_id, 15)
        checks.check(rec is not None and rec.get("retry_in") == 1,
                     "SRT listener down: stream-reconnecting, again in 1 s (%s)" % rec)
        frames, samples = pull(work, "srt", listener, 5)
        check_pull("SRT, listener started after the stream", frames, samples, 4)
        # the listener stops mid-stream and comes back
        n_rec = len(srt_events("stream-reconnecting"))
        rec = mcutest.poll_until(lambda: len(srt_events("stream-reconnecting")) > n_rec, 15)
        checks.check(rec, "SRT listener gone: stream-reconnecting (%s)"
                     % (srt_events("stream-reconnecting")[-1:] or [{}])[-1].get("error"))
        n_started = len(srt_events("stream-started"))
        frames, samples = pull(work, "srt2", listener, 5)
        checks.check(len(srt_events("stream-started")) > n_started, "SRT listener back: stream-started again")
        check_pull("SRT, listener back", frames, samples, 4)

        # a recording of the room shares the streams' H.264 encode: it
        # starts on a key frame of its own (asked for), and the streams go
        # on when it stops
        st, body = ctl.call("POST", "/v1/rooms/show/recordings")
        checks.check(st == 201, "a recording next to the streams: 201 (%s)" % st)
        rid = (body or {}).get("id", "")

        # HLS
        mcuctl = [os.environ.get("MCUCTL_BIN", "build/mcu/mcuctl"), "--socket", srv.control_socket]
        out = subprocess.run(mcuctl + ["--json", "stream", "start", "show", "--hls", "show"],
                             stdout=subprocess.PIPE, text=True).stdout
        body = json.loads(out) if out.strip().startswith("{") else {}
        checks.check(body.get("state") == "live", "mcuctl stream start show --hls show: %s" % out.strip())
        hls_id = body.get("id")
        playlist = os.path.join(rec_dir, "hls", "show", "playlist.m3u8")
        checks.check(mcutest.poll_until(lambda: os.path.exists(playlist) and
                                        open(playlist).read().count(".ts") >= 2, 15),
                     "HLS: a playlist with segments in %s" % os.path.dirname(playlist))
        seg = os.path.join(os.path.dirname(playlist), "segment00000.ts")
        frames, samples = pull(work, "hls", ["filesrc", "location=" + seg, "!", "tsdemux", "name=d"], 2)
        checks.check(frames >= 20 and abs(tone_hz(samples) - 440) < 20,
                     "HLS: the first segment decodes (%d frames, %.0f Hz)" % (frames, tone_hz(samples)))

        ctl.call("DELETE", "/v1/rooms/show/recordings/" + rid)
        done = mcutest.poll_until(lambda: any(r["id"] == rid and r["state"] == "stopped"
                                              for r in ctl.get("/v1/recordings")[1]["recordings"]), 10)
        checks.check(done, "the recording stopped")
        pts = test_recording.pts_list(os.path.join(rec_dir, rid + ".mkv"), "video_0",
                                      ["!", "h264parse", "!", "avdec_h264"])
        checks.check(len(pts) >= 60 and pts[0] < 0.1,
                     "the recording decodes from its start: %d frames from %.3f s"
                     % (len(pts), pts[0] if pts else -1))
        n_segments = open(playlist).read().count(".ts")
        last = sorted(f for f in os.listdir(os.path.dirname(playlist)) if f.endswith(".ts"))[-1]
        checks.check(mcutest.poll_until(lambda: sorted(f for f in os.listdir(os.path.dirname(playlist))
                                                       if f.endswith(".ts"))[-1] > last, 10),
                     "HLS goes on after the recording stopped (%d segments, then more)" % n_segments)

        out = subprocess.run(mcuctl + ["stream", "list", "show"], stdout=subprocess.PIPE, text=True).stdout
        checks.check(all(i and i in out for i in (rtmp_id, srt_id, hls_id)) and "live" in out,
                     "mcuctl stream list show:\n" + out)
        st, listing = ctl.get("/v1/rooms/show/streams")
        checks.check(st == 200 and sorted(s["id"] for s in listing["streams"]) == sorted([rtmp_id, srt_id, hls_id]),
                     "GET streams lists the three")
        # the caller's audio reached the mix in time all along (one once
        # came a few samples behind the mix's frames from the RTMP
        # server's restart on, and every stream carried a 50 Hz buzz)
        elapsed = time.monotonic() - answered
        st, parts = ctl.get("/v1/rooms/show/participants")
        late = [p["stats"].get("frames_late") for p in (parts or {}).get("participants", [])]
        # (at most one a second, and 5: a loaded machine's rare late frame;
        # the buzz was 50 a second)
        checks.check(st == 200 and len(late) == 1 and late[0] is not None and late[0] <= 5 + elapsed,
                     "the caller's audio reached the mix in time (frames late %s in %.0f s)" % (late, elapsed))
        # RTMP, SRT and HLS: one AAC encode of the room's mix for those
        # connected now (the SRT listener is gone by now: that stream may
        # be between two tries, without an encode)
        outputs = [s.get("aac_outputs") for s in listing["streams"]]
        live = [n for n in outputs if n is not None]
        checks.check(len(live) >= 2 and all(n == len(live) for n in live),
                     "the connected streams share one AAC encode (aac_outputs %s)" % outputs)
        for sid in (rtmp_id, srt_id, hls_id):
            st, _ = ctl.call("DELETE", "/v1/rooms/show/streams/" + sid)
            checks.check(st == 202, "DELETE stream %s: 202" % sid)
        stopped = mcutest.poll_until(lambda: len([e for e in ev.events if e["type"] == "stream-stopped"]) >= 3, 15)
        checks.check(stopped, "three stream-stopped events")
        st, listing = ctl.get("/v1/rooms/show/streams")
        checks.check(listing["streams"] == [], "no streams left")
        # stopped while it is still trying to reach a listener that is not
        # there: it stops (it is not tried again)
        st, body = ctl.call("POST", "/v1/rooms/show/streams", {"url": "srt://127.0.0.1:%d" % mcutest.free_port()})
        sid = (body or {}).get("id")
        st, _ = ctl.call("DELETE", "/v1/rooms/show/streams/%s" % sid)
        gone = ev.wait_for(lambda e: e["type"] == "stream-stopped" and e.get("stream") == sid, 15)
        again = [e for e in ev.events if e["type"] == "stream-reconnecting" and e.get("stream") == sid]
        checks.check(st == 202 and gone is not None and not again and ctl.get("/v1/rooms/show/streams")[1]["streams"] == [],
                     "an SRT stream stopped while connecting: stream-stopped, not tried again (%s)" % again)
        checks.check(caller.proc.poll() is None, "the caller is still in the call")
        ev.stop()
    finally:
        if caller:
            caller.stop()
        srv.stop()
        if nginx:
            nginx.send_signal(signal.SIGTERM)
            nginx.wait(10)
        if checks.failed == 0:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("# kept %s" % work)
    checks.exit()


if __name__ == "__main__":
    main()
