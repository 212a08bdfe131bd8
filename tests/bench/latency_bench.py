#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Audio latency the server adds (bench, not CI), p50 and p95.

One room, the default config (jitter-latency=60, noise gate, max-talkers):
a sender, a listener and --others callers, all plain RTP on 127.0.0.1,
PCMU (or --codec opus: libopus through ctypes, 48 kHz mono, so the server
decodes and encodes Opus as for most phones; or --codec g722: spandsp's
G.722 through ctypes). Every caller sends silence
at 50 packets/s; every --period
s the sender sends a --burst ms 1 kHz tone starting exactly at a packet's
first sample. The listener finds the tone's first sample (|x| > 1/8 of the
tone's amplitude) in what the server sends it (decoded). The tone's first
sample was captured 20 ms before its packet left (send time, just before
sendto); the sample at offset j of a received packet was captured 20 ms -
j/rate s before the packet arrived (kernel receive time, SO_TIMESTAMPNS), so

    latency = arrival - send + j / rate

The same packets also go straight from the sender to a second socket (no
server): the network path (loopback, this script's own send overhead),
measured the same way and subtracted. Prints p50, p95, max of the server's
path, the direct path and the difference, the host's load average, each
caller's jitter buffer depth at the end (control socket) and the exact
command. (With Opus the direct path includes one encode and decode; the
server's own decode and encode are part of what it adds.)

    tests/bench/latency_bench.py [--build DIR] [--bursts 100] [--period 0.4]
        [--burst 100] [--others 3] [--codec pcmu|g722|opus] [--media KEY=VALUE ...]
"""

import argparse
import math
import os
import random
import select
import socket
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
AMPLITUDE = 0.5 * 32767


def ulaw_encode(sample):
    sign = 0x80 if sample < 0 else 0
    sample = min(abs(sample), 32635) + 0x84
    exponent = min(max(0, sample.bit_length() - 8), 7)
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def ulaw_decode(byte):
    byte = ~byte & 0xFF
    sign, exponent, mantissa = byte & 0x80, (byte >> 4) & 7, byte & 0x0F
    sample = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return -sample if sign else sample


ULAW = [ulaw_decode(b) for b in range(256)]


class Pcmu:
    """PCMU/8000, 20 ms frames: payload <-> samples."""
    name, pt, rate, frame = "PCMU", 0, 8000, 160
    sdp = "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n"

    def encoder(self):
        return lambda pcm: bytes(ulaw_encode(s) for s in pcm)

    def decoder(self):
        return lambda payload: [ULAW[b] for b in payload]


class G722:
    """G.722 (64 kbit/s, 16 kHz audio, RTP clock 8000) through spandsp's
    codec (ctypes), 20 ms frames."""
    name, pt, rate, frame, ts_step = "G722", 9, 16000, 320, 160
    sdp = "m=audio %d RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\na=ptime:20\r\n"

    def __init__(self):
        import ctypes
        import ctypes.util
        self.ct = ctypes
        self.lib = ctypes.CDLL(ctypes.util.find_library("spandsp") or "libspandsp.so.2")
        for f in ("g722_encode_init", "g722_decode_init"):
            getattr(self.lib, f).restype = ctypes.c_void_p
            getattr(self.lib, f).argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        self.lib.g722_encode.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                         ctypes.POINTER(ctypes.c_int16), ctypes.c_int]
        self.lib.g722_decode.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int16),
                                         ctypes.c_char_p, ctypes.c_int]

    def encoder(self):
        ct = self.ct
        enc = self.lib.g722_encode_init(None, 64000, 0)
        out = ct.create_string_buffer(1500)

        def encode(pcm):
            n = self.lib.g722_encode(enc, out, (ct.c_int16 * len(pcm))(*pcm), len(pcm))
            return out.raw[:max(n, 0)]
        return encode

    def decoder(self):
        ct = self.ct
        dec = self.lib.g722_decode_init(None, 64000, 0)
        pcm = (ct.c_int16 * 4096)()

        def decode(payload):
            n = self.lib.g722_decode(dec, pcm, payload, len(payload))
            return pcm[:max(n, 0)]
        return decode


class Opus:
    """Opus/48000 mono through libopus (ctypes), 20 ms frames; each caller
    has its own encoder and each receiving socket its own decoder."""
    name, pt, rate, frame = "Opus", 111, 48000, 960
    sdp = ("m=audio %d RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n"
           "a=fmtp:111 useinbandfec=0\r\na=ptime:20\r\n")

    def __init__(self):
        import ctypes
        import ctypes.util
        self.ct = ctypes
        self.lib = ctypes.CDLL(ctypes.util.find_library("opus") or "libopus.so.0")
        self.lib.opus_encoder_create.restype = ctypes.c_void_p
        self.lib.opus_decoder_create.restype = ctypes.c_void_p
        self.lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int16),
                                         ctypes.c_int, ctypes.c_char_p, ctypes.c_int32]
        self.lib.opus_decode.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32,
                                         ctypes.POINTER(ctypes.c_int16), ctypes.c_int,
                                         ctypes.c_int]

    def encoder(self):
        ct, err = self.ct, self.ct.c_int(0)
        enc = self.lib.opus_encoder_create(48000, 1, 2048, ct.byref(err))  # VOIP
        out = ct.create_string_buffer(1500)

        def encode(pcm):
            n = self.lib.opus_encode(enc, (ct.c_int16 * len(pcm))(*pcm), len(pcm), out, 1500)
            return out.raw[:max(n, 0)]
        return encode

    def decoder(self):
        ct, err = self.ct, self.ct.c_int(0)
        dec = self.lib.opus_decoder_create(48000, 1, ct.byref(err))
        pcm = (ct.c_int16 * 5760)()

        def decode(payload):
            n = self.lib.opus_decode(dec, payload, len(payload), pcm, 5760, 0)
            return pcm[:max(n, 0)]
        return decode


def tone_frames(codec, ms):
    """The tone burst as PCM frames: 1 kHz, starting at phase 90 degrees so
    its very first sample is at full amplitude."""
    n = ms * codec.rate // 1000
    pcm = [int(AMPLITUDE * math.cos(2 * math.pi * 1000 * i / codec.rate)) for i in range(n)]
    return [pcm[i:i + codec.frame] for i in range(0, n, codec.frame)]


def rtp_pair():
    """An even RTP port with RTCP on the next one, 127.0.0.1."""
    for _ in range(200):
        rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rtp.bind(("127.0.0.1", 0))
        port = rtp.getsockname()[1]
        rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            if port % 2:
                raise OSError("odd")
            rtcp.bind(("127.0.0.1", port + 1))
        except OSError:
            rtp.close()
            rtcp.close()
            continue
        rtp.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        rtp.setblocking(False)
        rtcp.setblocking(False)
        return rtp, rtcp
    raise RuntimeError("no free RTP/RTCP port pair")


class Caller:
    def __init__(self, codec):
        self.codec, self.encode = codec, codec.encoder()
        self.silence = [0] * codec.frame
        self.rtp, self.rtcp = rtp_pair()
        self.port = self.rtp.getsockname()[1]
        self.peers = []  # where its RTP goes
        self.ssrc, self.seq, self.ts = random.getrandbits(32), random.getrandbits(16), 0
        self.queue = []  # frames to send before silence again

    def packet(self):
        self.seq = (self.seq + 1) & 0xFFFF
        self.ts = (self.ts + getattr(self.codec, "ts_step", self.codec.frame)) & 0xFFFFFFFF
        payload = self.encode(self.queue.pop(0) if self.queue else self.silence)
        return struct.pack("!BBHII", 0x80, self.codec.pt, self.seq, self.ts, self.ssrc) + payload


class Onsets:
    """Receives on one socket; the capture time of each tone onset after at
    least 100 ms of quiet."""

    def __init__(self, sock, threshold, codec):
        self.sock, self.threshold = sock, threshold
        self.codec, self.decode = codec, codec.decoder()
        self.onsets = []  # CLOCK_REALTIME s of the onset sample's capture + 20 ms
        self.quiet_since = None  # sample count of quiet, or None while loud
        self.quiet = 0
        self.packets = 0

    def drain(self):
        while True:
            try:
                data, anc, _, _ = self.sock.recvmsg(2048, 64)
            except (BlockingIOError, OSError):
                return
            when = time.time()
            for level, kind, blob in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", blob[:16])
                    when = sec + nsec * 1e-9
            if len(data) < 13 or data[1] & 0x7F != self.codec.pt:
                continue
            self.packets += 1
            rate = self.codec.rate
            for j, x in enumerate(self.decode(data[12:])):
                if abs(x) > self.threshold:
                    if self.quiet >= rate // 10:
                        self.onsets.append(when + j / rate)
                    self.quiet = 0
                else:
                    self.quiet += 1


def percentile(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def call(ua, ruri, caller):
    """INVITE offering the codec on @caller's port; returns the answer's RTP
    peer."""
    import sipua
    sdp = ("v=0\r\no=lb 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           + caller.codec.sdp + "a=sendrecv\r\n")
    d = ua.call(ruri, rtp_port=caller.port, sdp=sdp)
    if d is None:
        sys.exit("a call into the room failed")
    return sipua.sdp_audio_peer(d["answer"])


def jitter_depths(srv, room):
    """Each caller's jitter buffer depth and measured jitter (ms), from the
    control socket: the adaptive buffer is what the latency mostly is."""
    import controlclient
    try:
        status, body = controlclient.Control(srv.control_socket).get(
            "/v1/rooms/%s/participants" % room)
    except OSError as e:
        return "control socket: %s" % e
    if status != 200:
        return "control socket: HTTP %d" % status
    return " ".join("%s/%s" % (p["stats"].get("jitter_buffer_ms"), p["stats"].get("jitter_ms"))
                    for p in body.get("participants", []))


def match(sends, onsets, lo=0.0, hi=1.0):
    """For each send time, the first onset within [lo, hi) s after it."""
    out, k = [], 0
    for s in sends:
        while k < len(onsets) and onsets[k] < s + lo:
            k += 1
        if k < len(onsets) and onsets[k] < s + hi:
            out.append(onsets[k] - s)
    return out


def run(args):
    os.environ["MCU_BIN"] = args.mcu or os.path.join(args.build, "mcu", "mcu")
    os.environ.setdefault("MCU_TOOLS_DIR", os.path.join(args.build, "tests", "tools"))
    os.environ["G_MESSAGES_DEBUG"] = ""
    import mcutest
    import sipua

    # mcutest writes a [media] group: the extra keys go into it
    srv = mcutest.McuServer()
    if args.media:
        text = open(srv.config).read()
        text = text.replace("[media]\n", "[media]\n" + "".join("%s\n" % kv for kv in args.media), 1)
        open(srv.config, "w").write(text)
    codec = {"opus": Opus, "g722": G722, "pcmu": Pcmu}[args.codec]()
    frames = tone_frames(codec, args.burst)
    with srv, sipua.SipUA(srv.port, "lat") as ua:
        sender, listener = Caller(codec), Caller(codec)
        others = [Caller(codec) for _ in range(args.others)]
        direct_rx, _direct_rtcp = rtp_pair()
        for c in [sender, listener] + others:
            c.peers.append(call(ua, srv.uri(args.room), c))
        sender.peers.append(direct_rx.getsockname())
        via = Onsets(listener.rtp, AMPLITUDE / 8, codec)
        direct = Onsets(direct_rx, AMPLITUDE / 8, codec)
        everyone = [sender, listener] + others
        drains = {listener.rtp: via, direct_rx: direct}
        other_socks = [c.rtp for c in everyone if c is not listener] + \
            [c.rtcp for c in everyone] + [_direct_rtcp]
        sends = []  # capture time + 20 ms of each burst's first sample
        late = 0
        stop_at = None
        next_send = time.monotonic()
        burst_every = max(1, round(args.period / 0.020))
        tick = 0
        warm = int(2.0 / 0.020)  # 2 s of silence first: jitter buffers filled
        load0 = open("/proc/loadavg").read().split()[:3]
        while stop_at is None or time.monotonic() < stop_at:
            timeout = max(0.0, next_send - time.monotonic())
            readable, _, _ = select.select(list(drains) + other_socks, [], [], timeout)
            for s in readable:
                if s in drains:
                    drains[s].drain()
                else:
                    try:
                        while s.recv(2048):
                            pass
                    except (BlockingIOError, OSError):
                        pass
            now = time.monotonic()
            if now < next_send:
                continue
            if now - next_send > 0.005:
                late += 1
            if tick >= warm and (tick - warm) % burst_every == 0 and \
                    len(sends) < args.bursts and not sender.queue:
                sender.queue = list(frames)
                burst = True
            else:
                burst = False
            for c in everyone:
                pkt = c.packet()
                if burst and c is sender:
                    sends.append(time.time())
                for peer in c.peers:
                    try:
                        c.rtp.sendto(pkt, peer)
                    except OSError:
                        pass
            tick += 1
            next_send += 0.020
            if next_send < now - 0.1:
                next_send = now
            if stop_at is None and len(sends) >= args.bursts:
                stop_at = time.monotonic() + 1.0
        load1 = open("/proc/loadavg").read().split()[:3]
        depths = jitter_depths(srv, args.room)
    server = match(sends, via.onsets)
    path = match(sends, direct.onsets, hi=0.1)
    base = percentile(path, 50)
    added = [v - base for v in server]
    ms = lambda v: v * 1000  # noqa: E731
    print("Host: %d CPUs, load average %s at the start, %s at the end"
          % (os.cpu_count(), " ".join(load0), " ".join(load1)))
    print("%d tone bursts of %d ms every %.2f s (%s, %d callers in the room); "
          "found: %d through the server, %d direct; this script's sends over 5 ms late: %d"
          % (len(sends), args.burst, burst_every * 0.020, codec.name, 2 + args.others, len(server),
             len(path), late))
    print("| path | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|")
    for name, v in (("sender -> server -> listener", server), ("direct (loopback)", path),
                    ("added by the server", added)):
        print("| %s | %.1f | %.1f | %.1f |"
              % (name, ms(percentile(v, 50)), ms(percentile(v, 95)), ms(max(v) if v else 0)))
    # the adaptive jitter buffer follows the jitter it measures: the
    # added latency over the run, a median per tenth of the bursts
    tenth = max(1, len(added) // 10)
    print("added latency over the run (median of each %d bursts, ms): %s"
          % (tenth, " ".join("%.0f" % ms(percentile(added[i:i + tenth], 50))
                             for i in range(0, len(added), tenth))))
    print("each caller's jitter buffer depth / measured jitter at the end (ms): %s" % depths)
    print("command: %s" % " ".join([os.path.relpath(sys.argv[0], SRC)] + sys.argv[1:]))
    return 0 if len(server) >= 0.9 * len(sends) else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(SRC, "build"))
    ap.add_argument("--mcu", default=None)
    ap.add_argument("--bursts", type=int, default=100)
    ap.add_argument("--period", type=float, default=0.4, help="s between two bursts' starts")
    ap.add_argument("--burst", type=int, default=100, help="ms of tone (a multiple of 20)")
    ap.add_argument("--others", type=int, default=3, help="more callers in the room (silence)")
    ap.add_argument("--room", default="lat")
    ap.add_argument("--codec", default="pcmu", choices=("pcmu", "g722", "opus"),
                    help="every caller's codec (opus: libopus, g722: spandsp, "
                    "through ctypes)")
    ap.add_argument("--media", action="append", default=[],
                    help="an extra [media] KEY=VALUE for the server (repeatable)")
    sys.exit(run(ap.parse_args()))


if __name__ == "__main__":
    main()
