# SPDX-License-Identifier: LGPL-2.1-or-later
"""Known silence is not decoded, and a caller that starts talking is heard
from its first packets (issue 12's meeting: hundreds of listening callers).

Three Opus callers (Python peers, packets from libopus through ctypes) and
a listener (mcu-test-caller, recording) in one room:

- "leveled" offers RFC 6464 (a=extmap:1 ssrc-audio-level vad=on) and sends
  faint noise (no two packets alike) with level 127 and V=0, except for BURSTS
  bursts of a 1 kHz tone (BURST_MS each, V=1, -10 dBov) after SILENCE_MS
  of silence each;
- "plain-silent" offers no level and sends the same silence packet over
  and over (a muted phone without DTX);
- "talker" offers no level and sends a 600 Hz tone all along.

Checked: stats.silence_skipped (GET .../participants) covers most of the
silent packets of "leveled" and "plain-silent" and is 0 for "talker"; the
listener hears every burst of "leveled" for at least BURST_MS minus one
packet (a decoder restarted after skipped silence must not clip the start,
and the noise gate / top-N selection still take the caller at once), and
hears "talker" all along."""

import ctypes
import ctypes.util
import math
import os
import socket
import struct
import subprocess
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import ivrpeer  # noqa: E402
import mcutest  # noqa: E402
import sipua  # noqa: E402
from controlclient import Control  # noqa: E402

CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
RATE = 48000
FRAME = 960          # 20 ms
URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
ROOM = "7300"
LEAD_S = 2.0         # silence before the first burst (joins, jitter buffers)
BURSTS = 5
BURST_MS = 200
SILENCE_MS = 800     # before each further burst
TAIL_S = 1.0
DURATION = LEAD_S + BURSTS * (BURST_MS + SILENCE_MS) / 1000.0 + TAIL_S
BURST_HZ, TALKER_HZ = 1000, 600
SKIPPED_SHARE = 0.8  # of the silent packets sent
WINDOW = 0.01        # s: the heard tone is counted in 10 ms windows
PACKET_MS = 20
NOISE_LSB = 30       # "leveled"'s silence: noise at about -60 dBFS

OFFER = ("v=0\r\no=skip 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=audio %d RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n%sa=sendrecv\r\n")

checks = mcutest.Failures()


class Opus:
    """libopus' encoder through ctypes: one 20 ms mono frame at a time."""

    def __init__(self):
        self.lib = ctypes.CDLL(ctypes.util.find_library("opus") or "libopus.so.0")
        self.lib.opus_encoder_create.restype = ctypes.c_void_p
        self.lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int16),
                                         ctypes.c_int, ctypes.c_char_p, ctypes.c_int32]
        err = ctypes.c_int()
        self.enc = self.lib.opus_encoder_create(RATE, 1, 2048, ctypes.byref(err))  # VOIP
        assert self.enc and err.value == 0, "opus_encoder_create"

    def encode(self, pcm):
        buf = ctypes.create_string_buffer(1500)
        arr = (ctypes.c_int16 * FRAME)(*pcm)
        n = self.lib.opus_encode(self.enc, arr, FRAME, buf, 1500)
        assert n > 0, "opus_encode"
        return buf.raw[:n]


def tone_frame(hz, k, amplitude=0.3):
    t = (np.arange(FRAME) + k * FRAME) / RATE
    return (amplitude * 32767 * np.sin(2 * math.pi * hz * t)).astype(np.int16).tolist()


def level_ext(level, voice):
    # RFC 8285 one-byte form, id 1, one byte: V | level
    return bytes([0xBE, 0xDE, 0, 1, 0x10, (0x80 if voice else 0) | level, 0, 0])


class OpusPeer:
    """Sends one pre-encoded packet list, 50 packets/s: [(payload, ext)]."""

    def __init__(self, packets):
        self.packets = packets
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.port = self.rtp.getsockname()[1]
        self.thread = None
        self.running = True

    def talk(self, peer, pt):
        self.thread = threading.Thread(target=self._run, args=(peer,), daemon=True)
        self.thread.start()

    def _run(self, peer):
        ssrc, start = 0x5E1E0000 + self.port, time.monotonic()
        for i, (payload, ext) in enumerate(self.packets):
            if not self.running:
                return
            delay = start + i * PACKET_MS / 1000.0 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            header = struct.pack("!BBHII", 0x90 if ext else 0x80, 96, i & 0xFFFF,
                                 (i * FRAME) & 0xFFFFFFFF, ssrc)
            self.rtp.sendto(header + ext + payload, peer)

    def close(self):
        self.running = False
        if self.thread:
            self.thread.join(2)
        self.rtp.close()


def schedule():
    """The packets of the three peers, and the burst times of "leveled"
    (seconds from its first packet)."""
    opus = Opus()
    silence = opus.encode([0] * FRAME)
    for _ in range(10):  # the encoder settles on its steady silence packet
        silence = opus.encode([0] * FRAME)
    total = int(DURATION * 1000 / PACKET_MS)
    leveled, bursts, k = [], [], 0
    rng = np.random.default_rng(6464)
    enc = Opus()
    t = 0
    while len(leveled) < total:
        in_burst = False
        for b in range(BURSTS):
            start = LEAD_S * 1000 + b * (BURST_MS + SILENCE_MS)
            if start <= t < start + BURST_MS:
                in_burst = True
                if t == start:
                    bursts.append(start / 1000.0)
        if in_burst:
            leveled.append((enc.encode(tone_frame(BURST_HZ, k)), level_ext(10, True)))
        else:
            # faint noise, never the same packet twice: only the level says
            # silence (the repeated-packet rule cannot skip these)
            noise = rng.integers(-NOISE_LSB, NOISE_LSB + 1, FRAME).tolist()
            leveled.append((enc.encode(noise), level_ext(127, False)))
        k += 1
        t += PACKET_MS
    talker_enc = Opus()
    talker = [(talker_enc.encode(tone_frame(TALKER_HZ, i)), b"") for i in range(total)]
    plain = [(silence, b"")] * total
    return leveled, plain, talker, bursts


def participants(ctl):
    try:
        status, body = ctl.get("/v1/rooms/%s/participants" % ROOM)
    except OSError as e:
        print("# GET participants: %s" % e)
        return []
    return body.get("participants", []) if status == 200 else []


def heard_ms(samples, rate, hz, start, length):
    """ms of 10 ms windows with @hz present in [start, start + length + 0.3 s)
    of @samples (seconds)."""
    levels = audiocheck.tone_levels(samples, rate, [hz], WINDOW)[:, 0]
    first, last = int(start / WINDOW), int((start + length + 0.3) / WINDOW)
    return 1000 * WINDOW * int(np.sum(levels[first:last] >= audiocheck.PRESENT_DBFS))


def main():
    if not os.path.exists(CALLER):
        print("mcu-test-caller not built")
        sys.exit(1)
    leveled, plain, talker, bursts = schedule()
    with mcutest.McuServer() as srv:
        ctl = Control(srv.control_socket)
        wav = os.path.join(srv.dir, "listener.wav")
        log = open(os.path.join(srv.dir, "listener.log"), "w")
        listener = subprocess.Popen(
            [CALLER, "--uri", srv.uri(ROOM), "--codec", "opus", "--amplitude", "0",
             "--duration", str(DURATION + 2), "--record", wav, "--display-name", "listener",
             "--timeout", str(DURATION + 30)], stdout=log, stderr=subprocess.STDOUT)
        time.sleep(0.5)
        parties, stats = [], {}
        try:
            for name, packets, extmap in (
                    ("leveled", leveled, "a=extmap:1 %s vad=on\r\n" % URI),
                    ("plain-silent", plain, ""), ("talker", talker, "")):
                ua = sipua.SipUA(srv.port, name.replace("-", ""), display=name)
                peer = OpusPeer(packets)
                # (ivrpeer.call fills in the port)
                d, status = ivrpeer.call(ua, srv.uri(ROOM), peer, offer=OFFER.replace("%s", extmap, 1))
                parties.append((name, ua, peer, d))
                if not checks.check(d is not None, "%s joins (%s)" % (name, status)):
                    checks.exit()
                if name == "leveled":
                    started = time.monotonic()
                    checks.check("a=extmap:1 " + URI in d["answer"],
                                 "leveled: the answer takes the audio level")
            time.sleep(max(0.0, started + DURATION - 0.3 - time.monotonic()))
            for p in participants(ctl):
                stats[p.get("display")] = p.get("stats", {})
        finally:
            for name, ua, peer, d in parties:
                peer.close()
                if d:
                    ua.in_dialog(d, "BYE")
                ua.close()
            try:
                listener.wait(DURATION + 30)
            except subprocess.TimeoutExpired:
                listener.kill()
                listener.wait()
            log.close()
        checks.check(srv.alive(), "server still running")

    print("stats: %s" % {n: s.get("silence_skipped") for n, s in stats.items()})
    sent = int((DURATION - 0.3) * 1000 / PACKET_MS)
    silent_leveled = sent - BURSTS * BURST_MS // PACKET_MS
    skipped = stats.get("leveled", {}).get("silence_skipped", 0)
    checks.check(skipped >= SKIPPED_SHARE * silent_leveled and skipped <= silent_leveled,
                 "leveled: %d of its ~%d silent packets not decoded (RFC 6464 level)"
                 % (skipped, silent_leveled))
    skipped = stats.get("plain-silent", {}).get("silence_skipped", 0)
    checks.check(skipped >= SKIPPED_SHARE * sent,
                 "plain-silent: %d of its ~%d repeated silence packets not decoded" % (skipped, sent))
    checks.check(stats.get("talker", {}).get("silence_skipped", -1) == 0,
                 "talker: every packet decoded (%s)" % stats.get("talker", {}).get("silence_skipped"))

    rate, samples = audiocheck.read_wav(wav)
    # where the first burst starts in the recording: the first window with
    # the tone (the recording began before "leveled" joined)
    levels = audiocheck.tone_levels(samples, rate, [BURST_HZ], WINDOW)[:, 0]
    runs, t0 = [], None
    for i in range(len(levels) + 1):
        on = i < len(levels) and levels[i] >= audiocheck.PRESENT_DBFS
        if on and t0 is None:
            t0 = i
        elif not on and t0 is not None:
            runs.append((round(t0 * WINDOW, 2), round((i - t0) * WINDOW * 1000)))
            t0 = None
    print("1 kHz heard (start s, ms): %s; sent at %s" % (runs, bursts))
    # (a join's click can hold 10 ms of anything: the first run of 50 ms)
    long_runs = [start for start, ms in runs if ms >= 50]
    if not checks.check(long_runs, "the listener hears leveled's bursts at all"):
        checks.exit()
    offset = long_runs[0] - bursts[0]
    need = BURST_MS - PACKET_MS - 1000 * WINDOW  # one packet, one window of slack
    for b, at in enumerate(bursts):
        got = heard_ms(samples, rate, BURST_HZ, max(0.0, at + offset - 0.1), BURST_MS / 1000.0)
        checks.check(got >= need, "burst %d of leveled: %.0f ms of its %d ms heard (need %.0f)"
                     % (b, got, BURST_MS, need))
    share = audiocheck.tone_presence(samples, rate, TALKER_HZ, span=(offset + 1.0, offset + DURATION - 1.0))
    checks.check(share >= 0.9, "the talker heard in %.0f%% of 100 ms windows" % (100 * share))
    checks.exit()


if __name__ == "__main__":
    main()
