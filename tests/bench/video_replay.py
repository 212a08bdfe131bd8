# SPDX-License-Identifier: LGPL-2.1-or-later
"""Video bench with a cheap load generator (not CI): the clip is encoded
ONCE (one mcu-test-caller in --answer mode sends --record seconds of
640x360 30 fps H.264 with a millisecond stamp in every frame to us; we keep
its RTP packets and their arrival times in memory), then N-1 callers replay
it to the server from one thread (fresh SSRC, sequence numbers and RTP
timestamps; frame k at start + its recorded offset), counting the frames
they receive (RTP marker bits) without decoding. One probe (a real
mcu-test-caller, live-encoding its own picture) decodes the grid and reads
the stamps of every tile: the stamp of a replayed frame is its encode time,
so the probe's "now - stamp" minus (replay start - recording start) is the
time from when the frame would have been captured, live, to its decoded
grid at the probe; the direct caller-to-caller figure of the same clip
(encode + decode, no server) is subtracted, as in video_bench.py.

    python3 tests/bench/video_replay.py [--n 16] [--size 640x360]
        [--grid-size 1280x720] [--duration 10] [--warmup 5] [--hog 0]

--hog K runs K busy loops beside it (overload): the hogs and the server at
nice 0, the load generator and the probe at nice -10, so that the figures
are the server's and not a starved probe's. One replayed caller also
sends a PCMU tone (20 ms packets) and times the room's audio it gets back:
packets/s and the worst gap (audio before video: it must keep real time).
"""

import argparse
import heapq
import math
import json
import os
import random
import re
import selectors
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import mcutest  # noqa: E402
import sipua  # noqa: E402
import videocheck as vc  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
MASK = 0xFFFFFF


def sdp(audio_port, video_port, bitrate):
    return ("v=0\r\no=rp 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
            "m=video %d RTP/AVP 96\r\nb=AS:%d\r\na=rtpmap:96 H264/90000\r\n"
            "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\na=sendrecv\r\n"
            % (audio_port, video_port, bitrate))


def bind_pair():
    while True:
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        a.bind(("127.0.0.1", 0))
        port = a.getsockname()[1]
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            if port % 2:
                raise OSError
            b.bind(("127.0.0.1", port + 1))
            return a, b
        except OSError:
            a.close()
            b.close()


def invite(ua, ruri, body):
    call_id, tag = "%s@rp" % sipua._token(), sipua._token()
    r = ua.request("INVITE", ruri, "<%s>" % ruri, body=body, ctype="application/sdp",
                   call_id=call_id, from_tag=tag, timeout=10)
    if r is None or r.status >= 300:
        return None, None
    target = re.sub(r"^.*<|>.*$", "", r.h("contact")) or ruri
    ua.send("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
            "From: <sip:%s@127.0.0.1>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\n"
            "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
            % (target, ua.port, sipua._token(), ua.user, tag, r.h("to"), call_id))
    m = re.search(r"^m=video (\d+)", r.body, re.M)
    a = re.search(r"^m=audio (\d+)", r.body, re.M)
    d = {"call_id": call_id, "from_tag": tag, "to": r.h("to"), "ruri": ruri, "cseq": 1,
         "target": target, "audio": ("127.0.0.1", int(a.group(1))) if a else None}
    return d, ("127.0.0.1", int(m.group(1))) if m else None


def ulaw(x):
    """G.711 mu-law of a 16-bit sample."""
    sign = 0x80 if x < 0 else 0
    x = min(abs(x), 32635) + 0x84
    exp = 7
    while exp > 0 and not x & (0x4000 >> (7 - exp)):
        exp -= 1
    return ~(sign | (exp << 4) | ((x >> (exp + 3)) & 0x0F)) & 0xFF


class AudioCaller:
    """Sends a PCMU tone from @sock to @peer every 20 ms (absolute
    schedule) and notes when the room's audio arrives back."""

    def __init__(self, sock, peer):
        self.sock, self.peer = sock, peer
        self.arrivals = []
        self.running = True
        tone = bytes(ulaw(int(8000 * math.sin(2 * math.pi * 440 * i / 8000))) for i in range(160))
        self.tone = tone
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.setblocking(False)
        sel = selectors.DefaultSelector()
        sel.register(self.sock, selectors.EVENT_READ)
        seq, ts, ssrc = random.getrandbits(16), random.getrandbits(32), random.getrandbits(32)
        due = time.monotonic()
        while self.running:
            now = time.monotonic()
            if now >= due:
                hdr = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
                try:
                    self.sock.sendto(hdr + self.tone, self.peer)
                except OSError:
                    pass
                seq, ts, due = seq + 1, ts + 160, due + 0.02
                continue
            for _ in sel.select(due - now):
                while True:
                    try:
                        self.sock.recv(2048)
                    except (BlockingIOError, OSError):
                        break
                    self.arrivals.append(time.monotonic())

    def window(self, t0, t1):
        """(packets/s, worst gap ms, gaps over 60 ms) in [t0, t1]."""
        a = [t for t in self.arrivals if t0 <= t <= t1]
        if len(a) < 2:
            return 0.0, None, None
        gaps = [b - x for x, b in zip(a, a[1:])]
        return len(a) / (t1 - t0), 1000 * max(gaps), sum(1 for g in gaps if g > 0.06)


def wait_listening(caller, timeout=15.0):
    """An --answer caller is ready (slow to start on a loaded machine)."""
    mcutest.poll_until(lambda: "listening on" in caller.log_text() or
                       caller.proc.poll() is not None, timeout)


def record(work, size, seconds, bitrate):
    """[(offset s, packet bytes)] of one stamped clip, and the monotonic
    time (s) its first packet arrived."""
    port = mcutest.free_port()
    ans = vc.Caller(work, "encoder", "sip:127.0.0.1:%d" % port,
                    ["--answer", "--codec", "pcmu", "--video-colour", "3232c8", "--video-size",
                     size, "--video-stamp", "--video-bitrate", str(bitrate)], duration=0)
    wait_listening(ans)
    vrtp, vrtcp = bind_pair()
    artp, artcp = bind_pair()
    vrtp.settimeout(0.2)
    packets = []
    with sipua.SipUA(port, "rec") as ua:
        d, peer = invite(ua, "sip:enc@127.0.0.1:%d" % port, sdp(artp.getsockname()[1],
                                                                vrtp.getsockname()[1], bitrate))
        if d is None or peer is None:
            sys.exit("the encoder did not answer (%s)" % ans.log_path)
        end = time.monotonic() + seconds
        next_pli = time.monotonic() + 0.5
        while time.monotonic() < end:
            # a key frame every second (PLI, RFC 4585): a receiver that
            # missed one decodes from the next, as from a live caller
            if time.monotonic() >= next_pli and packets:
                ssrc = struct.unpack("!I", packets[-1][1][8:12])[0]
                vrtcp.sendto(struct.pack("!BBHII", 0x81, 206, 2, 0x1234, ssrc),
                             (peer[0], peer[1] + 1))
                next_pli += 1.0
            try:
                data = vrtp.recv(2048)
            except socket.timeout:
                continue
            packets.append((time.monotonic(), data))
        ua.in_dialog(d, "BYE")
    ans.stop()
    for s in (vrtp, vrtcp, artp, artcp):
        s.close()
    # start at the first IDR's access unit (NAL 7 SPS or 5), so a replay
    # decodes from its first frame
    first = 0
    for i, (_, p) in enumerate(packets):
        nal = p[12] & 0x1F
        if nal in (5, 7) or (nal == 28 and (p[13] & 0x1F) in (5, 7)) or \
                (nal == 24 and (p[15] & 0x1F) in (5, 7)):
            first = i
            break
    packets = packets[first:]
    # frame offsets from the RTP timestamps (the sender's capture clock),
    # arrival of the first packet as the time origin
    ts0, t0 = struct.unpack("!I", packets[0][1][4:8])[0], packets[0][0]
    clip = [(((struct.unpack("!I", p[4:8])[0] - ts0) & 0xFFFFFFFF) / 90000.0, p)
            for _, p in packets]
    return clip, t0


class Replayer:
    """Every sender replays @clip from one thread; receivers count frames."""

    def __init__(self, clip):
        self.clip = clip
        self.senders = []  # dict(sock, peer, ssrc, seq0, ts0, frames)
        self.sel = selectors.DefaultSelector()
        self.running = True
        self.start_mono = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def add(self, rtp, rtcp, peer):
        s = {"sock": rtp, "peer": peer, "ssrc": random.getrandbits(32),
             "seq": random.getrandbits(16), "ts": random.getrandbits(32), "frames": 0}
        rtp.setblocking(False)
        rtcp.setblocking(False)
        self.sel.register(rtp, selectors.EVENT_READ, s)
        self.sel.register(rtcp, selectors.EVENT_READ, None)
        self.senders.append(s)

    def start(self):
        self.start_mono = time.monotonic() + 0.2
        self.thread.start()

    def _run(self):
        i, n = 0, len(self.clip)
        while self.running and i < n:
            due = self.start_mono + self.clip[i][0]
            for key, _ in self.sel.select(max(0.0, due - time.monotonic())):
                while True:
                    try:
                        data = key.fileobj.recv(2048)
                    except (BlockingIOError, OSError):
                        break
                    if key.data is not None and len(data) > 12 and data[1] & 0x80:
                        key.data["frames"] += 1
            if time.monotonic() < due:
                continue
            off, p = self.clip[i]
            rtp_ts = (struct.unpack("!I", p[4:8])[0] - struct.unpack("!I", self.clip[0][1][4:8])[0]) \
                & 0xFFFFFFFF
            for s in self.senders:
                hdr = struct.pack("!BBHII", p[0], p[1], (s["seq"] + i) & 0xFFFF,
                                  (s["ts"] + rtp_ts) & 0xFFFFFFFF, s["ssrc"])
                try:
                    s["sock"].sendto(hdr + p[12:], s["peer"])
                except OSError:
                    pass
            i += 1


def cpu(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except OSError:
        return 0.0


def threads(pid):
    """{tid: (name, cpu seconds)} of @pid's threads."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for t in tids:
        try:
            with open("/proc/%d/task/%s/stat" % (pid, t)) as f:
                st = f.read()
        except OSError:
            continue
        fields = st.rsplit(")", 1)[1].split()
        out[t] = (st[st.index("(") + 1:st.rindex(")")], (int(fields[11]) + int(fields[12])) / TICK)
    return out


def thread_cpu(before, after, span):
    """[(thread name without its number, threads, % of a core)], busiest
    first: where the server's time went."""
    groups = {}
    for t, (name, c) in after.items():
        key = name.rstrip("0123456789:") or name
        n, total = groups.get(key, (0, 0.0))
        groups[key] = (n + 1, total + c - before.get(t, (name, c))[1])
    return sorted(((k, n, 100 * c / span) for k, (n, c) in groups.items()),
                  key=lambda r: -r[2])


def stamp_latency(rep, offset_ms):
    """(p50, p95, tiles) over the replayed tiles (their stamps corrected by
    @offset_ms), and the probe's own live tile's raw (p50, p95) if shown."""
    tiles = (((rep or {}).get("video") or {}).get("stamps") or {}).get("tiles") or []
    med, p95, live = [], [], None
    for t in tiles:
        if t.get("latency_ms_median") is None:
            continue
        m = (t["latency_ms_median"] - offset_ms) % (MASK + 1)
        if m > 60000:  # not a replayed stamp: the probe's own picture
            live = (t["latency_ms_median"], t["latency_ms_p95"])
            continue
        med.append(m)
        p95.append((t["latency_ms_p95"] - offset_ms) % (MASK + 1))
    med.sort()
    p95.sort()
    return (med[len(med) // 2] if med else None), (p95[len(p95) // 2] if p95 else None), \
        len(med), live


def direct_baseline(work, clip, rec_t0, size, bitrate, seconds=6.0):
    """The same clip replayed straight to a decoding caller (no server):
    (p50, p95) ms of the same measure, i.e. the first frame's encode delay
    plus the probe's decode, to subtract."""
    port = mcutest.free_port()
    probe = vc.Caller(work, "direct", "sip:127.0.0.1:%d" % port,
                      ["--answer", "--codec", "pcmu", "--video-colour", "32c832", "--video-size",
                       size, "--stamp-grid", "1x1"], duration=0)
    wait_listening(probe)
    rp = Replayer(clip)
    vrtp, vrtcp = bind_pair()
    artp, artcp = bind_pair()
    with sipua.SipUA(port, "direct") as ua:
        d, peer = invite(ua, "sip:probe@127.0.0.1:%d" % port,
                         sdp(artp.getsockname()[1], vrtp.getsockname()[1], bitrate))
        if d is None or peer is None:
            return None, None
        rp.add(vrtp, vrtcp, peer)
        rp.start()
        time.sleep(seconds)
        probe.capture()
        time.sleep(0.5)
        rep = probe.report()
        rp.running = False
        ua.in_dialog(d, "BYE")
    probe.stop()
    for s in (artp, artcp):
        s.close()
    med, p95, _, _ = stamp_latency(rep, (rp.start_mono - rec_t0) * 1000.0)
    return med, p95


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--grid-size", default="1280x720")
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--bitrate", type=int, default=600)
    ap.add_argument("--hog", type=int, default=0)
    args = ap.parse_args()
    if args.hog:
        # the measuring side above the hogs; the server (and the hogs) back
        # at nice 0 (below)
        os.nice(-10)
    work = tempfile.mkdtemp(prefix="mcu-video-replay-")
    seconds = args.warmup + args.duration + 6
    t_enc = time.monotonic()
    clip, rec_t0 = record(work, args.size, seconds, args.bitrate)
    print("clip: %d packets, %.1f s, %d KiB, encoded once in %.1f s" % (
        len(clip), clip[-1][0], sum(len(p) for _, p in clip) // 1024, time.monotonic() - t_enc),
        file=sys.stderr)
    # the probe's own figure without a server: the same stamped clip
    # replayed straight to a decoding caller
    base = direct_baseline(work, clip, rec_t0, args.size, args.bitrate)
    gw, gh = (int(x) for x in args.grid_size.split("x"))
    config = "[video]\nwidth=%d\nheight=%d\nframerate=30\n" % (gw, gh)
    hogs = []
    rows = {}
    renice = ["nice", "-n", "10"] if args.hog else []
    srv = mcutest.McuServer(extra=config, env={"G_MESSAGES_DEBUG": ""}, prefix=renice).start()
    audio = None
    try:
        rp = Replayer(clip)
        ua = sipua.SipUA(srv.port, "replay")
        dialogs = []
        for i in range(args.n - 1):
            vrtp, vrtcp = bind_pair()
            artp, artcp = bind_pair()
            d, peer = invite(ua, srv.uri("1000"), sdp(artp.getsockname()[1],
                                                      vrtp.getsockname()[1], args.bitrate))
            if d is None or peer is None:
                sys.exit("replay caller %d did not join" % i)
            dialogs.append((d, artp, artcp))
            rp.add(vrtp, vrtcp, peer)
            if audio is None and d["audio"]:
                audio = AudioCaller(artp, d["audio"])
        rp.start()
        grid = vc.server_grid(args.n)
        probe = vc.Caller(work, "probe", srv.uri("1000"),
                          ["--codec", "pcmu", "--video-colour", "c83232", "--video-size", args.size,
                           "--video-stamp", "--video-bitrate", str(args.bitrate), "--grid", grid,
                           "--stamp-grid", grid], duration=600)
        probe.wait_answered(15)
        for _ in range(args.hog):
            hogs.append(subprocess.Popen(renice + ["sh", "-c", "while :; do :; done"]))
        time.sleep(args.warmup)
        c0, g0, p0, w0 = cpu(srv.proc.pid), cpu(os.getpid()), cpu(probe.proc.pid), time.monotonic()
        t0 = threads(srv.proc.pid)
        f0 = [s["frames"] for s in rp.senders]
        time.sleep(args.duration)
        c1, g1, p1, w1 = cpu(srv.proc.pid), cpu(os.getpid()), cpu(probe.proc.pid), time.monotonic()
        t1 = threads(srv.proc.pid)
        f1 = [s["frames"] for s in rp.senders]
        probe.capture()
        time.sleep(0.5)
        rep = probe.report()
        span = w1 - w0
        a_pps, a_gap, a_gaps = audio.window(w0, w1) if audio else (0.0, None, None)
        if audio:
            audio.running = False
        fps = [(b - a) / span for a, b in zip(f0, f1)]
        offset_ms = (rp.start_mono - rec_t0) * 1000.0
        med, p95, ntiles, live = stamp_latency(rep, offset_ms)
        rows = {"server_cpu": 100 * (c1 - c0) / span, "loadgen_cpu": 100 * (g1 - g0) / span,
                "probe_cpu": 100 * (p1 - p0) / span, "fps_mean": sum(fps) / len(fps),
                "fps_min": min(fps), "lat_median": med, "lat_p95": p95, "tiles": ntiles,
                "probe_decoded": ((rep or {}).get("video") or {}).get("frames_decoded"),
                "probe_fps": ((rep or {}).get("video") or {}).get("fps"), "live": live,
                "threads": thread_cpu(t0, t1, w1 - w0), "n_threads": len(t1),
                "base": base, "audio_pps": a_pps, "audio_gap_ms": a_gap,
                "audio_gaps_over_60ms": a_gaps}
        probe.stop()
        for d, a, b in dialogs:
            ua.in_dialog(d, "BYE")
            a.close()
            b.close()
        rp.running = False
        ua.close()
    finally:
        for h in hogs:
            h.kill()
        srv.stop(check_log=False)
    print("Host: %d CPUs, load average %s; %d hog(s)" % (
        os.cpu_count(), " ".join(open("/proc/loadavg").read().split()[:3]), args.hog))
    print("| callers | sent | grid | server CPU % of a core | frames out/s per receiver (mean / min) "
          "| added latency ms p50 / p95 (tiles) | load generator CPU % | probe CPU % |")
    print("|---:|---|---|---:|---:|---:|---:|---:|")
    f = lambda v, s="%.0f": "-" if v is None else s % v  # noqa: E731
    b50 = rows["base"][0] or 0
    print("| %d | %s 30 fps replayed | %s | %s | %s / %s | %s / %s (%d) | %s | %s |" % (
        args.n, args.size, args.grid_size, f(rows["server_cpu"]), f(rows["fps_mean"], "%.1f"),
        f(rows["fps_min"], "%.1f"),
        f(None if rows["lat_median"] is None else rows["lat_median"] - b50),
        f(None if rows["lat_p95"] is None else rows["lat_p95"] - b50), rows["tiles"],
        f(rows["loadgen_cpu"], "%.1f"), f(rows["probe_cpu"])))
    print("Audio to the tone caller: %.1f packets/s, worst gap %s ms, %s gaps over 60 ms" % (
        rows["audio_pps"], f(rows["audio_gap_ms"]), f(rows["audio_gaps_over_60ms"], "%d")))
    print("Server threads (%d), %% of a core: %s" % (rows["n_threads"], ", ".join(
        "%s x%d %.1f" % r for r in rows["threads"][:8])))
    print("Through the server: p50 / p95 %s / %s ms; direct, no server (subtracted): %s / %s ms"
          % (f(rows["lat_median"]), f(rows["lat_p95"]), f(rows["base"][0]), f(rows["base"][1])))
    print("Probe: decoded %s frames (%s fps); its own live-encoded tile (live encode + server + "
          "decode, not replayed): p50 / p95 %s ms" % (rows["probe_decoded"], f(rows["probe_fps"], "%.1f"),
                                                     rows["live"]))
    print("Latency: from the moment a replayed frame is sent (as a live caller would send it) to "
          "the probe's decoded grid showing it, minus the median of the same figure without the server.")
    print("Command: python3 %s %s" % (os.path.relpath(sys.argv[0]), " ".join(sys.argv[1:])))
    print(json.dumps(rows), file=open(os.path.join(work, "results.json"), "w"))
    print("Reports and logs: %s" % work)


if __name__ == "__main__":
    main()
