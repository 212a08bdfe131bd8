# SPDX-License-Identifier: LGPL-2.1-or-later
"""A PCMU caller for the IVR tests: sends a sine tone (or silence) every
20 ms, presses keys as RFC 4733 telephone-events (its RTP stream, PT from
the answer), and records what it hears (decoded, 8 kHz) with the arrival
time of each packet. Signalling through sipua.SipUA (an INVITE offering
PCMU + telephone-event/8000)."""

import math
import random
import re
import socket
import threading
import time
import wave

import numpy as np

import sipua

RATE = 8000
FRAME = 160  # 20 ms

OFFER = ("v=0\r\no=ivr 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
         "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n")

EVENTS = {d: i for i, d in enumerate("0123456789*#ABCD")}


def level_extension(ext_id, level, voice=False, two_byte=False):
    """An RTP header extension block (RFC 8285, after the fixed header and
    with the X bit set) carrying the RFC 6464 audio level @level (-dBov,
    0-127) under @ext_id, in the one-byte or the two-byte form."""
    byte = (0x80 if voice else 0) | (level & 0x7F)
    if two_byte:
        return bytes([0x10, 0x00, 0, 1, ext_id, 1, byte, 0])
    return bytes([0xBE, 0xDE, 0, 1, (ext_id << 4) | 0, byte, 0, 0])


def ulaw_decode(data):
    u = ~np.frombuffer(data, dtype=np.uint8)
    sign = u & 0x80
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    magnitude = ((mantissa.astype(np.int32) << 3) + 0x84) << exponent
    sample = magnitude - 0x84
    return np.where(sign != 0, -sample, sample).astype(np.int16)


def ulaw_encode(samples):
    s = np.clip(samples.astype(np.int32), -32635, 32635)
    sign = np.where(s < 0, 0x80, 0)
    s = np.abs(s) + 0x84
    exponent = np.floor(np.log2(s)).astype(np.int32) - 7
    exponent = np.clip(exponent, 0, 7)
    mantissa = (s >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()


class Peer:
    """RTP on an even port; talk() starts sending to the server."""

    def __init__(self, tone=0.0, amplitude=0.3, extension=b""):
        """extension: an RTP header extension block (level_extension())
        that every audio packet carries."""
        for _ in range(100):
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
        self.port, self.rtp, self.rtcp = port, rtp, rtcp
        self.rtp.settimeout(0.005)
        self.tone, self.amplitude = tone, amplitude
        self.extension = extension
        self.ssrc = random.getrandbits(32)  # the test may change it (no re-INVITE)
        self.peer = None
        self.dtmf_pt = 101
        self.keys = []  # digits still to press
        self.lock = threading.Lock()
        self.chunks = []  # (arrival monotonic time, int16 samples)
        self.start = time.monotonic()
        self._current = None  # the key being pressed: [digit, ts, frames, Ends]
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def talk(self, peer, dtmf_pt):
        self.peer, self.dtmf_pt = peer, dtmf_pt

    def press(self, digits):
        """Queue @digits (RFC 4733: 100 ms each, 3 End packets, 60 ms gap)."""
        with self.lock:
            self.keys.extend(digits)

    def pressing(self):
        with self.lock:
            return bool(self.keys) or self._current is not None

    def _run(self):
        seq, ts = random.getrandbits(16), random.getrandbits(32)
        phase, next_send = 0, time.monotonic()
        gap = 0
        while self.running:
            try:
                while True:
                    data = self.rtp.recv(2048)
                    if len(data) > 12 and (data[1] & 0x7F) == 0:
                        cc = data[0] & 0x0F
                        with self.lock:
                            self.chunks.append((time.monotonic(), ulaw_decode(data[12 + 4 * cc:])))
            except (socket.timeout, BlockingIOError, OSError):
                pass
            now = time.monotonic()
            if self.peer is None or now < next_send:
                continue
            next_send = max(next_send + 0.02, now - 0.1)
            seq = (seq + 1) & 0xFFFF
            ssrc = self.ssrc
            with self.lock:
                if self._current is None and gap == 0 and self.keys:
                    self._current = [self.keys.pop(0), ts, 0, 0]
            cur = self._current
            if cur is not None:
                cur[2] += 1
                duration = cur[2] * FRAME
                end = cur[2] > 5
                if end:
                    cur[3] += 1
                    duration = 5 * FRAME
                marker = 0x80 if cur[2] == 1 else 0
                payload = bytes([EVENTS[cur[0]], (0x80 if end else 0) | 10,
                                 duration >> 8, duration & 0xFF])
                header = bytes([0x80, marker | self.dtmf_pt, seq >> 8, seq & 0xFF]) + \
                    (cur[1] & 0xFFFFFFFF).to_bytes(4, "big") + ssrc.to_bytes(4, "big")
                if end and cur[3] >= 3:
                    self._current = None
                    gap = 3
            else:
                if gap:
                    gap -= 1
                n = np.arange(FRAME) + phase
                phase += FRAME
                if self.tone:
                    pcm = self.amplitude * 32767 * np.sin(2 * math.pi * self.tone * n / RATE)
                else:
                    pcm = np.zeros(FRAME)
                payload = ulaw_encode(pcm)
                header = bytes([0x90 if self.extension else 0x80, 0, seq >> 8, seq & 0xFF]) + \
                    (ts & 0xFFFFFFFF).to_bytes(4, "big") + ssrc.to_bytes(4, "big") + self.extension
            ts = (ts + FRAME) & 0xFFFFFFFF
            try:
                self.rtp.sendto(header + payload, self.peer)
            except OSError:
                pass

    def mark(self):
        """A point in the recording (monotonic time) for heard_since()."""
        return time.monotonic()

    def heard(self, since=None, until=None):
        """The audio heard (float, -1..1) between two marks."""
        with self.lock:
            parts = [c for t, c in self.chunks
                     if (since is None or t >= since) and (until is None or t < until)]
        if not parts:
            return np.zeros(0)
        return np.concatenate(parts).astype(np.float64) / 32768.0

    def save(self, path):
        data = (self.heard() * 32767).astype("<i2").tobytes()
        with wave.open(path, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(data)

    def close(self):
        if not self.running:
            return
        self.running = False
        self.thread.join(2)
        self.rtp.close()
        self.rtcp.close()


def call(ua, ruri, peer, timeout=5.0, offer=OFFER):
    """INVITE @ruri offering PCMU + telephone-event (@offer, with %d for
    the port) on @peer's port, ACK the 200 and start @peer; the dialog
    dict, or (None, status)."""
    call_id, tag = "%s@ivr" % sipua._token(), sipua._token()
    r = ua.request("INVITE", ruri, "<%s>" % ruri, body=offer % peer.port, ctype="application/sdp",
                   call_id=call_id, from_tag=tag, timeout=timeout)
    if r is None or r.status >= 300:
        return None, (r.status if r is not None else None)
    d = {"call_id": call_id, "from_tag": tag, "to": r.h("to"), "ruri": ruri, "cseq": 1,
         "target": re.sub(r"^.*<|>.*$", "", r.h("contact")) or ruri, "answer": r.body}
    ua.send("ACK %s SIP/2.0\r\nVia: SIP/2.0/%s 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
            "From: \"%s\" <sip:%s@%s>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\n"
            "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
            % (d["target"], ua.via_transport, ua.port, sipua._token(), ua.display, ua.user, ua.domain, tag,
               d["to"], call_id))
    pt = re.search(r"^a=rtpmap:(\d+) telephone-event/8000", r.body, re.M)
    peer.talk(sipua.sdp_audio_peer(r.body), int(pt.group(1)) if pt else 101)
    d["dtmf_pt"] = int(pt.group(1)) if pt else None
    return d, r.status


def bye_received(ua, d):
    return [m for m in ua.requests("BYE") if m.h("call-id") == d["call_id"]]


def load_prompt(path):
    """A 48 kHz prompt as 8 kHz float samples (averaged by 6: a crude
    low-pass, enough for correlation)."""
    with wave.open(path, "rb") as w:
        raw = w.readframes(w.getnframes())
        rate, channels = w.getframerate(), w.getnchannels()
    x = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    if channels == 2:
        x = x.reshape(-1, 2).mean(axis=1)
    step = rate // RATE
    x = x[:len(x) // step * step].reshape(-1, step).mean(axis=1)
    return x


def best_match(recording, template):
    """The largest normalized cross-correlation (0..1) of @template at any
    offset inside @recording (0 when the recording is shorter)."""
    x, t = np.asarray(recording, dtype=np.float64), np.asarray(template, dtype=np.float64)
    n = len(t)
    if len(x) < n or n == 0:
        return 0.0
    t = t - t.mean()
    size = 1 << int(math.ceil(math.log2(len(x) + n)))
    corr = np.fft.irfft(np.fft.rfft(x, size) * np.conj(np.fft.rfft(t, size)), size)[:len(x) - n + 1]
    c1 = np.concatenate(([0.0], np.cumsum(x)))
    c2 = np.concatenate(([0.0], np.cumsum(x * x)))
    seg_sum = c1[n:] - c1[:-n]
    seg_sq = c2[n:] - c2[:-n]
    seg_var = np.maximum(seg_sq - seg_sum * seg_sum / n, 1e-12)
    score = corr / (np.sqrt(seg_var) * np.linalg.norm(t))
    return float(np.max(np.abs(score)))


def notch(samples, freqs, width=20.0):
    """@samples without the steady tones @freqs (FFT bins within @width Hz
    zeroed): a prompt mixed over another caller's test tone, alone."""
    x = np.asarray(samples, dtype=np.float64)
    if len(x) == 0:
        return x
    spectrum = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1.0 / RATE)
    for freq in freqs:
        spectrum[np.abs(f - freq) <= width] = 0
    return np.fft.irfft(spectrum, len(x))
