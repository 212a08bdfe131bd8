# SPDX-License-Identifier: LGPL-2.1-or-later
"""Keys pressed by callers reach the event stream once each, whatever way
they come (issue 11, DTMF in):

- RFC 4733 telephone-events: an Opus call (telephone-event/48000) and a
  PCMU call (/8000), 100 keys each, sent the way phones send them (start
  with the marker bit, updates every 20 ms, the End packet three times) and
  the ways networks break them (every End lost: closed by the server's
  timeout or by the next key; the start lost; a single End; at 48 kHz a
  key held 1.6 s, whose duration overflows into a second segment). A stray
  source sending telephone-events to the PCMU call's port is not heard.
- The same over SRTP (RTP/SAVP, AES_CM_128_HMAC_SHA1_80 done here): 30
  keys.
- SIP INFO in the dialog: 100 keys, application/dtmf-relay and
  application/dtmf alternating; 415 (with Accept) for another body type,
  400 for a malformed one. A burst of 200 INFO keys is cut to 25 a second.
- In-band tones in PCMU audio (real DTMF tone pairs, mu-law encoded), 100
  keys, from a caller without telephone-event in a room with
  inband-dtmf=true, and 20 in G.722 audio (GStreamer's encoder); a caller in a room without it reports nothing; the
  other participants do not hear the tones while they are detected.
- baresip (in a network namespace) sends /sndcode digits: each once.

Every call runs at once in one room; each participant's "dtmf" events must
be exactly its keys, in order, with the right method."""

import os
import random
import socket
import subprocess
import sys
import threading
import time

import base64
import hashlib
import hmac

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402
import sipua  # noqa: E402
from controlclient import Control, EventReader  # noqa: E402

KEYS = "0123456789*#ABCD"
N_KEYS = 100
# keypad controls off: every key here is only reported (# would hang up)
NO_CONTROLS = "[controls]\ncaller=\nmoderator=\n"
ROOMS = ("[room:keys]\ninband-dtmf=true\n[room:plain]\n[media]\nsrtp-allow-insecure-keys=true\n"
         + NO_CONTROLS)

SDP_HEAD = "v=0\r\no=ua 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
SDP_OPUS = SDP_HEAD + ("m=audio %d RTP/AVP 111 110\r\na=rtpmap:111 opus/48000/2\r\n"
                       "a=rtpmap:110 telephone-event/48000\r\na=fmtp:110 0-16\r\na=sendrecv\r\n")
SDP_PCMU_TE = SDP_HEAD + ("m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
                          "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n")
SDP_G722 = SDP_HEAD + "m=audio %d RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\na=sendrecv\r\n"
SDP_PCMU = SDP_HEAD + "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"

SDP_SRTP = SDP_HEAD + ("m=audio %%d RTP/SAVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
                       "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
                       "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\na=sendrecv\r\n")

OPUS_SILENCE = b"\xf8\xff\xfe"  # one 20 ms CELT frame of silence
DTMF_FREQS = {"1": (697, 1209), "2": (697, 1336), "3": (697, 1477), "A": (697, 1633),
              "4": (770, 1209), "5": (770, 1336), "6": (770, 1477), "B": (770, 1633),
              "7": (852, 1209), "8": (852, 1336), "9": (852, 1477), "C": (852, 1633),
              "*": (941, 1209), "0": (941, 1336), "#": (941, 1477), "D": (941, 1633)}


class Srtp:
    """RFC 3711 AES_CM_128_HMAC_SHA1_80, sender side, key derivation rate
    0: enough to send what a phone sends (python3-cryptography)."""

    def __init__(self):
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        self._cipher = lambda key, iv: Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
        self.master = os.urandom(30)
        self.inline = base64.b64encode(self.master).decode()
        key, salt = self.master[:16], self.master[16:]

        def prf(label, n):
            x = int.from_bytes(salt, "big") ^ (label << 48)
            return self._cipher(key, (x << 16).to_bytes(16, "big")).update(b"\0" * n)
        self.k_e, self.k_a, self.k_s = prf(0, 16), prf(1, 20), prf(2, 14)
        self.roc, self.last_seq = 0, None

    def protect(self, packet):
        seq = (packet[2] << 8) | packet[3]
        if self.last_seq is not None and seq < self.last_seq and self.last_seq - seq > 0x8000:
            self.roc += 1
        self.last_seq = seq
        ssrc = int.from_bytes(packet[8:12], "big")
        index = (self.roc << 16) | seq
        iv = (int.from_bytes(self.k_s, "big") << 16) ^ (ssrc << 64) ^ (index << 16)
        body = self._cipher(self.k_e, iv.to_bytes(16, "big")).update(packet[12:])
        out = packet[:12] + body
        tag = hmac.new(self.k_a, out + self.roc.to_bytes(4, "big"), hashlib.sha1).digest()[:10]
        return out + tag


def mulaw(samples):
    """float samples in [-1, 1) -> G.711 mu-law bytes."""
    x = np.clip(samples * 32768.0, -32635, 32635).astype(np.int32)
    sign = (x < 0).astype(np.int32) * 0x80
    x = np.abs(x) + 0x84
    exp = np.floor(np.log2(x)).astype(np.int32) - 7
    exp = np.clip(exp, 0, 7)
    mant = (x >> (exp + 3)) & 0x0F
    return (~(sign | (exp << 4) | mant) & 0xFF).astype(np.uint8).tobytes()


def ulaw_decode(data):
    u = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    sign, exp, mant = u & 0x80, (u >> 4) & 7, u & 0x0F
    x = (((mant << 3) + 0x84) << exp) - 0x84
    return np.where(sign != 0, -x, x).astype(np.float64) / 32768.0


class Peer:
    """One caller's media: an RTP/RTCP socket pair (the port its SDP names),
    a schedule of packets sent from it at their times (symmetric RTP), and
    the PCMU payloads that arrive, by sequence number."""

    def __init__(self):
        probe = sipua.RtpPort()  # finds a free even/odd pair
        self.port = probe.port
        probe.close()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", self.port))
        self.rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtcp.bind(("127.0.0.1", self.port + 1))
        self.sock.settimeout(0.1)
        self.schedule = []  # (seconds from start, pt, marker, ts, payload)
        self.ssrc = random.getrandbits(32)
        self.heard = {}  # extended seq -> PCMU payload
        self.srtp = None  # an Srtp to protect what is sent
        self.running = True
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        last = None
        while self.running:
            try:
                data = self.sock.recv(2048)
            except (socket.timeout, OSError):
                continue
            if len(data) < 12 or data[1] & 0x7F != 0:
                continue
            seq = (data[2] << 8) | data[3]
            if last is not None:  # extend across wraps
                seq += last & ~0xFFFF
                if seq < last - 0x8000:
                    seq += 0x10000
            last = seq
            self.heard[seq] = data[12:]

    def pcm_heard(self):
        return ulaw_decode(b"".join(self.heard[k] for k in sorted(self.heard)))

    def send(self, peer):
        seq = random.getrandbits(16)
        begin = time.monotonic()
        for at, pt, marker, ts, payload in sorted(self.schedule, key=lambda p: p[0]):
            delay = begin + at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            seq = (seq + 1) & 0xFFFF
            head = bytes([0x80, (0x80 if marker else 0) | pt, seq >> 8, seq & 0xFF])
            packet = head + (ts & 0xFFFFFFFF).to_bytes(4, "big") + self.ssrc.to_bytes(4, "big") + payload
            self.sock.sendto(self.srtp.protect(packet) if self.srtp else packet, peer)

    def close(self):
        self.running = False
        self.reader.join(2)
        self.sock.close()
        self.rtcp.close()


def tone_seconds(pcm, rate=8000, win=0.02, level=0.05):
    """Seconds of @pcm (20 ms windows) that hold a DTMF pair: one row and
    one column frequency both above @level (amplitude)."""
    n = int(rate * win)
    t = np.arange(n) / rate
    rows = [np.exp(-2j * np.pi * f * t) for f in (697, 770, 852, 941)]
    cols = [np.exp(-2j * np.pi * f * t) for f in (1209, 1336, 1477, 1633)]
    window = np.hanning(n)
    found = 0
    for i in range(0, len(pcm) - n, n):
        x = pcm[i:i + n] * window
        amp = lambda b: 4 * abs(np.dot(x, b)) / n  # noqa: E731 (Hann gain 0.5)
        if max(amp(b) for b in rows) > level and max(amp(b) for b in cols) > level:
            found += 1
    return found * win


def audio_frames(peer, seconds, pt, rate, payload_of):
    """An audio frame every 20 ms for @seconds; payload_of(i) the payload."""
    step = rate // 50
    for i in range(int(seconds * 50)):
        peer.schedule.append((i * 0.02, pt, i == 0, i * step, payload_of(i)))


def rfc4733_keys(peer, pt, rate, first_at, long_key=None, count=N_KEYS):
    """100 keys as telephone-events with the audio's timestamps; returns
    the keys. Key i lasts 40..220 ms with updates every 20 ms and End x3,
    except: every 10th and the last lose every End (the last and half of
    the others are then closed by the server's timeout: a 400 ms pause
    follows; the rest by the next key), every 13th loses its
    start, every 17th has one End only; @long_key (an index) is held 1.6 s
    (at 48 kHz its duration overflows 0xFFFF: a second segment)."""
    keys, t = "", first_at
    per_ms = rate // 1000
    for i in range(count):
        key = KEYS[(i * 7) % 16]
        keys += key
        length = 1600 if i == long_key else 40 + (i % 10) * 20
        ts0 = int(t * rate)
        pkts = []
        seg_ts, seg_start = ts0, 0
        for ms in range(0, length, 20):
            if (ms - seg_start) * per_ms > 0xFFFF:  # RFC 4733 2.5.1.3
                pkts.append((t + ms / 1000, False, seg_ts, 0xFFFF, False))
                seg_ts, seg_start = seg_ts + 0xFFFF, seg_start + 0xFFFF // per_ms
            pkts.append((t + ms / 1000, ms == 0, seg_ts, (ms - seg_start) * per_ms, False))
        ends = 0 if i % 10 == 3 or i == count - 1 else 1 if i % 17 == 5 else 3
        for k in range(ends):
            pkts.append((t + (length + 20 * k) / 1000, False, seg_ts,
                         (length - seg_start) * per_ms, True))
        if i % 13 == 7:
            pkts = pkts[1:]
        code = KEYS.index(key)
        for at, marker, ts, dur, end in pkts:
            payload = bytes([code, (0x80 if end else 0) | 10, (dur >> 8) & 0xFF, dur & 0xFF])
            peer.schedule.append((at, pt, marker, ts, payload))
        gap = 0.4 if (i % 10 == 3 and i % 20 == 3) else 0.12
        t += (length + 60) / 1000 + gap
    return keys, t


def inband_keys(peer, first_at, count=N_KEYS, tone=0.09, pause=0.09):
    """@count keys as tone pairs (each -9 dBFS) in PCMU audio from
    @first_at, over silence; returns (keys, end time, tone spans)."""
    rate = 8000
    keys = "".join(KEYS[(i * 5 + 3) % 16] for i in range(count))
    total = first_at + count * (tone + pause) + 1.0
    audio = np.zeros(int(total * rate))
    spans = []
    t = first_at
    for key in keys:
        lo, hi = DTMF_FREQS[key]
        n = int(tone * rate)
        tt = np.arange(n) / rate
        s = int(t * rate)
        audio[s:s + n] = 0.35 * np.sin(2 * np.pi * lo * tt) + 0.35 * np.sin(2 * np.pi * hi * tt)
        spans.append((t, t + tone))
        t += tone + pause
    pcm = mulaw(audio)
    frames = len(pcm) // 160
    for i in range(frames):
        peer.schedule.append((i * 0.02, 0, i == 0, i * 160, pcm[i * 160:(i + 1) * 160]))
    return keys, total, spans


def g722_inband(checks, srv, reader, count=20):
    """In-band keys from a G.722 caller (16 kHz audio: the detector gets it
    averaged down to 8 kHz): GStreamer's avenc_g722 sends tone pairs
    written to a WAV here, from the port the SDP names."""
    import wave
    rate, tone, pause = 16000, 0.09, 0.09
    keys = "".join(KEYS[(i * 11 + 2) % 16] for i in range(count))
    audio = np.zeros(int((0.5 + count * (tone + pause) + 0.5) * rate))
    t = 0.5
    for key in keys:
        lo, hi = DTMF_FREQS[key]
        tt = np.arange(int(tone * rate)) / rate
        s0 = int(t * rate)
        audio[s0:s0 + len(tt)] = 0.35 * (np.sin(2 * np.pi * lo * tt) + np.sin(2 * np.pi * hi * tt))
        t += tone + pause
    path = os.path.join(srv.dir, "g722-keys.wav")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((audio * 32767).astype("<i2").tobytes())
    probe = sipua.RtpPort()
    port = probe.port
    probe.close()
    with sipua.SipUA(srv.port, "g722caller", display="G722Caller") as ua:
        d = ua.call(srv.uri("keys"), rtp_port=port, sdp=SDP_G722)
        if not checks.check(d is not None and "G722/8000" in d["answer"], "G.722 caller answered"):
            return
        target = sipua.sdp_audio_peer(d["answer"])
        gst = subprocess.run(
            ["gst-launch-1.0", "-q", "filesrc", "location=" + path, "!", "wavparse", "!",
             "audioconvert", "!", "audioresample", "!", "audio/x-raw,rate=16000,channels=1", "!",
             "avenc_g722", "!", "rtpg722pay", "pt=9", "!", "udpsink", "host=" + target[0],
             "port=%d" % target[1], "bind-address=127.0.0.1", "bind-port=%d" % port],
            capture_output=True, text=True, timeout=60)
        checks.check(gst.returncode == 0, "the G.722 sender ran (%s)" % gst.stderr[-300:])
        mcutest.poll_until(lambda: len(dtmf_of(reader.events, "G722Caller")[0]) >= count, 3)
        time.sleep(0.5)
        got, methods = dtmf_of(reader.events, "G722Caller")
        if not checks.check(got == keys and methods == {"inband"},
                            "G722Caller: %d in-band keys reported once each, in order" % count):
            print("  sent %s\n  got  %s (%s)" % (keys, got, methods))
        ua.in_dialog(d, "BYE")


def info(ua, d, body, ctype):
    """An INFO in dialog @d; its final response."""
    d["cseq"] += 1
    return ua.request("INFO", d["target"], d["to"], body=body, ctype=ctype, call_id=d["call_id"],
                      cseq=d["cseq"], from_tag=d["from_tag"])


def dtmf_of(events, name):
    got = [e for e in events if e.get("type") == "dtmf" and
           (e.get("participant") or {}).get("display") == name]
    return "".join(e.get("digit", "?") for e in got), {e.get("method") for e in got}


def run_rtp_calls(checks, srv, reader):
    """The RFC 4733, in-band and INFO callers, all at once in room keys."""
    uas, peers, threads, expect = [], [], [], {}
    try:
        def dial(name, sdp, room="keys", peer=None):
            ua = sipua.SipUA(srv.port, name.lower(), display=name)
            uas.append(ua)
            peer = peer or Peer()
            peers.append(peer)
            d = ua.call(srv.uri(room), rtp_port=peer.port, sdp=sdp)
            checks.check(d is not None, "%s's call is answered" % name)
            return ua, d, peer

        ua_o, d_o, p_o = dial("OpusCaller", SDP_OPUS)
        ua_u, d_u, p_u = dial("PcmuCaller", SDP_PCMU_TE)
        ua_i, d_i, p_i = dial("InbandCaller", SDP_PCMU)
        ua_f, d_f, p_f = dial("InfoCaller", None)
        ua_p, d_p, p_p = dial("PlainRoomCaller", SDP_PCMU, room="plain")
        p_s = Peer()
        p_s.srtp = Srtp()
        ua_s, d_s, p_s = dial("SrtpCaller", SDP_SRTP % p_s.srtp.inline, peer=p_s)
        ua_x, d_x, p_x = dial("FloodCaller", None)
        if None in (d_o, d_u, d_i, d_f, d_p, d_s, d_x):
            return
        checks.check("RTP/SAVP" in d_s["answer"] and "telephone-event/8000" in d_s["answer"],
                     "SRTP call: RTP/SAVP with telephone-event/8000 answered")
        checks.check("telephone-event/48000" in d_o["answer"],
                     "Opus call: telephone-event/48000 answered")
        checks.check("telephone-event/8000" in d_u["answer"] and
                     "telephone-event/48000" not in d_u["answer"],
                     "PCMU call: telephone-event/8000 answered")
        checks.check("telephone-event" not in d_i["answer"],
                     "in-band caller: no telephone-event offered, none answered")

        keys_o, end_o = rfc4733_keys(p_o, 110, 48000, 0.5, long_key=50)
        audio_frames(p_o, end_o + 1.0, 111, 48000, lambda i: OPUS_SILENCE)
        keys_u, end_u = rfc4733_keys(p_u, 101, 8000, 0.5)
        audio_frames(p_u, end_u + 1.0, 0, 8000, lambda i: b"\xff" * 160)
        keys_i, end_i, spans = inband_keys(p_i, 0.5)
        keys_p, end_p, _ = inband_keys(p_p, 0.5, count=5)
        keys_s, end_s = rfc4733_keys(p_s, 101, 8000, 0.5, count=30)
        audio_frames(p_s, end_s + 1.0, 0, 8000, lambda i: b"\xff" * 160)
        expect.update({"OpusCaller": (keys_o, "rfc4733"), "PcmuCaller": (keys_u, "rfc4733"),
                       "InbandCaller": (keys_i, "inband"), "PlainRoomCaller": ("", None),
                       "SrtpCaller": (keys_s, "rfc4733")})

        # a stray source sends telephone-events at the PCMU call's port
        stray = Peer()
        peers.append(stray)
        for k in range(20):
            for j in range(4):
                payload = bytes([9, (0x80 if j == 3 else 0) | 10, 0, 40 * (j + 1)])
                stray.schedule.append((1.0 + k * 0.5 + j * 0.02, 101, j == 0, 100000 + k * 8000,
                                       payload))

        for p, d in ((p_o, d_o), (p_u, d_u), (p_i, d_i), (p_p, d_p), (p_s, d_s), (stray, d_u)):
            threads.append(threading.Thread(target=p.send, args=(sipua.sdp_audio_peer(d["answer"]),),
                                            daemon=True))

        start = time.monotonic()
        for t in threads:
            t.start()

        # INFO keys while the media runs
        keys_f, statuses = "", []
        for i in range(N_KEYS):
            key = KEYS[(i * 3 + 1) % 16]
            keys_f += key
            if i % 2:
                r = info(ua_f, d_f, "Signal=%s\r\nDuration=160\r\n" % key, "application/dtmf-relay")
            else:
                r = info(ua_f, d_f, key, "application/dtmf")
            statuses.append(r.status if r else None)
            time.sleep(0.05)
        expect["InfoCaller"] = (keys_f, "info")
        checks.check(statuses == [200] * N_KEYS,
                     "100 INFO keys answered 200 (%s)" % sorted(set(map(str, statuses))))
        r = info(ua_f, d_f, "5", "text/plain")
        checks.check(r is not None and r.status == 415 and
                     "application/dtmf-relay" in r.h("accept"),
                     "INFO text/plain: 415 with Accept (%s, %r)" % (r and r.status, r and r.h("accept")))
        r = info(ua_f, d_f, "Signal=Z\r\n", "application/dtmf-relay")
        checks.check(r is not None and r.status == 400 and "Signal" in r.h("warning"),
                     "INFO Signal=Z: 400 with a Warning (%s, %r)" % (r and r.status, r and r.h("warning")))
        r = info(ua_f, d_f, "", "application/dtmf")
        checks.check(r is not None and r.status == 200, "empty INFO: 200")

        # a flood of keys from one caller: 200 INFOs as fast as they go
        flood_start = time.monotonic()
        flood = [info(ua_x, d_x, "Signal=1\r\n", "application/dtmf-relay") for _ in range(200)]
        flood_took = time.monotonic() - flood_start
        checks.check(all(r is not None and r.status == 200 for r in flood),
                     "200 INFOs in a burst all answered 200")

        for t in threads:
            t.join(max(1.0, max(end_o, end_u, end_i, end_p, end_s) + 10 - (time.monotonic() - start)))
        time.sleep(1.5)  # a last key closed by timeout, and no late repeats
        for name, (keys, method) in expect.items():
            got, methods = dtmf_of(reader.events, name)
            if keys:
                ok = checks.check(got == keys and methods == {method},
                                  "%s: %d keys reported once each, in order, as %s"
                                  % (name, len(keys), method))
                if not ok:
                    print("  sent %s\n  got  %s (%s)" % (keys, got, methods))
            else:
                checks.check(got == "", "%s (room without inband-dtmf): no keys (%r)" % (name, got))
        got, _ = dtmf_of(reader.events, "FloodCaller")
        print("flood: %d keys reported of 200 sent in %.1f s" % (len(got), flood_took))
        checks.check(0 < len(got) <= 25 * (int(flood_took) + 2),
                     "a flood of keys is cut to 25 a second (%d of 200 reported)" % len(got))
        # the room does not hear the keys while they are detected: what the
        # PCMU caller hears of the in-band caller's 100 x 90 ms of tones
        # (detection takes a few tens of ms of each)
        sent = len(keys_i) * 0.09
        heard = tone_seconds(p_u.pcm_heard())
        checks.check(heard < 0.6 * sent,
                     "in-band tones kept out of the mix: %.2f s of %.2f s heard" % (heard, sent))
    finally:
        for p in peers:
            p.close()
        for ua in uas:
            ua.close()


def run_baresip(checks):
    import baresip
    import netns
    if not (baresip.shutil.which("baresip") and netns.can_use_netns()):
        print("SKIP baresip part: needs baresip and root for network namespaces")
        return
    conf, _ = baresip.make_conf("mcu-dtmf-baresip-", snd=False)
    keys = "159#*0"
    with netns.NetnsPair() as n:
        baresip.write_conf(conf, "<sip:keys@%s>;regint=0" % n.phone_ip, ip=n.phone_ip,
                           dev=n.veth_p)
        with mcutest.McuServer(listen=n.server_ip, prefix=n.server_cmd([]),
                               extra=NO_CONTROLS) as srv:
            reader = EventReader(Control(srv.control_socket))
            reader.start()
            reader.connected.wait(5)
            bs = subprocess.Popen(baresip.cmd(n, conf, 12, dial=srv.uri("1000")),
                                  stdin=subprocess.PIPE, stdout=open(os.path.join(conf, "bs.log"), "w"),
                                  stderr=subprocess.STDOUT, text=True, cwd=conf)
            joined = reader.wait_for(lambda e: e.get("type") == "joined", 10)
            checks.check(joined is not None, "baresip joined")
            time.sleep(1.0)
            for k in keys:
                bs.stdin.write("/sndcode %s\n" % k)
                bs.stdin.flush()
                time.sleep(0.4)
            mcutest.poll_until(lambda: len(dtmf_of(reader.events, "keys")[0]) >= len(keys), 5)
            time.sleep(1.0)
            got, methods = dtmf_of(reader.events, "keys")
            if not checks.check(got == keys and methods == {"rfc4733"},
                                "baresip's /sndcode keys reported once each (%r, %s)"
                                % (got, methods)):
                print(open(os.path.join(conf, "bs.log")).read()[-2000:])
            bs.terminate()
            bs.wait(10)
            reader.stop()


def main():
    checks = mcutest.Failures()
    with mcutest.McuServer(extra=ROOMS) as srv:
        reader = EventReader(Control(srv.control_socket))
        reader.start()
        reader.connected.wait(5)
        run_rtp_calls(checks, srv, reader)
        g722_inband(checks, srv, reader)
        reader.stop()
        checks.check(not reader.errors, "event stream read cleanly (%s)" % reader.errors[:2])
        checks.check(srv.alive(), "server still running")
    run_baresip(checks)
    checks.exit()


if __name__ == "__main__":
    main()
