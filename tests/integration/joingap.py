# SPDX-License-Identifier: LGPL-2.1-or-later
"""Many plain-RTP callers on one thread, for the join/leave gap test and
bench: talkers send a PCMU tone (400 to 900 Hz in turn), joiners send PCMU
silence or nothing; every stream's RTP arrival times are the kernel's receive
timestamps (SO_TIMESTAMPNS), so a test process that is itself late (2 busy
cores) does not invent gaps. SIP goes through one sipua.SipUA for all calls.

    loop = MediaLoop(); loop.start()
    s = Stream(loop, "talk")          # binds an RTP/RTCP pair
    d = call(ua, ruri, s)             # INVITE/200/ACK, s sends to the answer
    ...; ua.in_dialog(d, "BYE"); s.close()
    gaps(s.arrivals, t0, t1)          # longest gaps (ms, at) in a window
"""

import itertools
import math
import random
import re
import selectors
import socket
import struct
import threading
import time

import sipua

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux
PTIME = 0.020

SDP = ("v=0\r\no=jg 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n")


def _ulaw(sample):
    """G.711 mu-law of one signed 16-bit sample."""
    sign = 0x80 if sample < 0 else 0
    sample = min(abs(sample), 32635) + 0x84
    exponent = max(0, sample.bit_length() - 8)
    exponent = min(exponent, 7)
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _tone(freq):
    """160 samples of @freq Hz (a multiple of 50) at 8 kHz: whole periods,
    the same every packet."""
    return bytes(_ulaw(int(0.3 * 32767 * math.sin(2 * math.pi * freq * i / 8000)))
                 for i in range(160))


# One frequency per talker, in turn: two talkers on the same tone in phase
# opposition (their audio placed 1.25 ms apart: the half period of 400 Hz)
# cancel out in a third's mix, which then seems silent.
TALK_TONES = [_tone(f) for f in (400, 500, 600, 700, 800, 900)]
_next_tone = itertools.count()
SILENCE = b"\xff" * 160


class Stream:
    """One caller's media: an even RTP port and RTCP on the next, on
    127.0.0.1. mode "talk" (tone), "silence" (PCMU silence) or "none"
    (sends nothing). Arrival times (CLOCK_REALTIME seconds, from the kernel)
    of every RTP packet are kept in .arrivals."""

    def __init__(self, loop, mode):
        for _ in range(200):
            rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            rtp.bind(("127.0.0.1", 0))
            port = rtp.getsockname()[1]
            rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                if port % 2:
                    raise OSError("odd")
                rtcp.bind(("127.0.0.1", port + 1))
                break
            except OSError:
                rtp.close()
                rtcp.close()
        else:
            raise RuntimeError("no free RTP/RTCP port pair")
        rtp.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        rtp.setblocking(False)
        rtcp.setblocking(False)
        self.loop, self.mode, self.port, self.rtp, self.rtcp = loop, mode, port, rtp, rtcp
        self.peer = None
        self.ssrc, self.seq, self.ts = random.getrandbits(32), random.getrandbits(16), 0
        self.arrivals = []
        # the next tone for each talker (a stream made silent may talk later)
        self.tone = TALK_TONES[next(_next_tone) % len(TALK_TONES) if mode == "talk" else 0]
        self.loud = 0  # packets whose audio is not silence
        self.quiet = []  # arrival times of the others (silence)
        loop.add(self)

    def close(self):
        self.loop.remove(self)

    def _packet(self):
        self.seq = (self.seq + 1) & 0xFFFF
        self.ts = (self.ts + 160) & 0xFFFFFFFF
        payload = self.tone if self.mode == "talk" else SILENCE
        return struct.pack("!BBHII", 0x80, 0, self.seq, self.ts, self.ssrc) + payload


class MediaLoop:
    """One thread: receives on every stream (kernel timestamps) and sends
    one packet per stream every 20 ms (catching up at most 100 ms)."""

    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.streams = set()
        self.lock = threading.Lock()
        self.pending = []  # (add?, stream) applied by the thread
        self.running = True
        self.late = []  # (CLOCK_REALTIME s, ms) of send ticks over 20 ms late
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def add(self, s):
        with self.lock:
            self.pending.append((True, s))

    def remove(self, s):
        with self.lock:
            self.pending.append((False, s))

    def stop(self):
        self.running = False
        self.thread.join(5)

    def _apply(self):
        with self.lock:
            pending, self.pending = self.pending, []
        for add, s in pending:
            if add:
                self.streams.add(s)
                self.sel.register(s.rtp, selectors.EVENT_READ, s)
                self.sel.register(s.rtcp, selectors.EVENT_READ, None)
            elif s in self.streams:
                self.streams.discard(s)
                self.sel.unregister(s.rtp)
                self.sel.unregister(s.rtcp)
                s.rtp.close()
                s.rtcp.close()

    def _run(self):
        next_send = time.monotonic()
        while self.running:
            self._apply()
            for key, _ in self.sel.select(max(0.0, min(0.02, next_send - time.monotonic()))):
                s = key.data
                while True:
                    try:
                        if s is None:
                            key.fileobj.recv(2048)
                            continue
                        data, anc, _, _ = key.fileobj.recvmsg(2048, 64)
                    except (BlockingIOError, OSError):
                        break
                    when = None
                    for level, kind, blob in anc:
                        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                            sec, nsec = struct.unpack("qq", blob[:16])
                            when = sec + nsec * 1e-9
                    s.arrivals.append(when if when is not None else time.time())
                    if any((b & 0x7F) < 0x70 for b in data[12:40:3]):
                        s.loud += 1
                    else:
                        s.quiet.append(s.arrivals[-1])
            now = time.monotonic()
            if now >= next_send:
                if now - next_send > 0.020:
                    self.late.append((time.time(), (now - next_send) * 1000))
                for s in list(self.streams):
                    if s.peer and s.mode != "none":
                        try:
                            s.rtp.sendto(s._packet(), s.peer)
                        except OSError:
                            pass
                next_send = max(next_send + PTIME, now - 0.1)
        for s in list(self.streams):
            s.rtp.close()
            s.rtcp.close()


def call(ua, ruri, stream, timeout=5.0):
    """INVITE @ruri offering @stream's port, ACK the 200, point @stream at
    the answer's address. Returns the dialog (for ua.in_dialog) or None."""
    call_id, tag = "%s@jg" % sipua._token(), sipua._token()
    r = ua.request("INVITE", ruri, "<%s>" % ruri, body=SDP % stream.port,
                   ctype="application/sdp", call_id=call_id, from_tag=tag, timeout=timeout)
    if r is None or r.status >= 300:
        return None
    target = re.sub(r"^.*<|>.*$", "", r.h("contact")) or ruri
    ua.send("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
            "From: \"%s\" <sip:%s@127.0.0.1>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\n"
            "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
            % (target, ua.port, sipua._token(), ua.display, ua.user, tag, r.h("to"), call_id))
    stream.peer = sipua.sdp_audio_peer(r.body)
    return {"call_id": call_id, "from_tag": tag, "to": r.h("to"), "ruri": ruri, "cseq": 1,
            "target": target}


def gaps(arrivals, t0, t1):
    """(longest gap ms, when it ended) between arrivals inside [t0, t1]
    (CLOCK_REALTIME seconds), counting from t0 and up to t1."""
    times = sorted(a for a in arrivals if t0 <= a <= t1)
    worst, at, prev = 0.0, t0, t0
    for a in times + [t1]:
        if (a - prev) * 1000 > worst:
            worst, at = (a - prev) * 1000, a
        prev = a
    return worst, at
