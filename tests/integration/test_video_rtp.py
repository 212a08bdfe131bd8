# SPDX-License-Identifier: LGPL-2.1-or-later
"""The server's H.264 RTP as a strict receiver sees it (RFC 6184).

Two plain-socket receivers call room 1000 with the same H.264 offer (so
they share one encoder group); the second joins 7 s after the first. For
20 s the first one depacketizes everything it gets and checks:
- no loss: sequence numbers without a gap, one SSRC;
- the marker bit on the last packet of each access unit (time stamp) and
  on no other;
- no access unit of parameter sets alone (the STAP-A with SPS/PPS that
  rtph264pay 1.22 sent with the marker set ahead of a forced IDR:
  libavcodec, in baresip, rejects it and asks for a key frame again);
- FU-A fragments start, continue and end in order, one NAL type each;
- every IDR access unit carries SPS and PPS before its first slice, and the
  first access unit is an IDR.
Like baresip, the receiver sends a PLI for every broken access unit, so a
packetization defect also shows as extra IDRs. IDRs counted over the 20 s
must be at most one per key-frame interval (10 s) plus one per join."""

import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402
import sipua  # noqa: E402

DURATION = 20.0
KEY_INTERVAL = 10.0  # mixer/mcu-encoder-group.c: key-int-max = 10 s of frames
SECOND_JOINS_AT = 7.0
NAL_SPS, NAL_PPS, NAL_IDR, NAL_STAP_A, NAL_FU_A = 7, 8, 5, 24, 28
checks = mcutest.Failures()


def offer(audio_port, video_port):
    return ("v=0\r\no=strict 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
            "m=video %d RTP/AVPF 96\r\na=rtpmap:96 H264/90000\r\n"
            "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n"
            "a=rtcp-fb:96 nack pli\r\na=sendrecv\r\n") % (audio_port, video_port)


def answer_video_rtcp_port(sdp):
    """The server's RTCP port for video: a=rtcp in the video section, else
    its RTP port + 1."""
    section = sdp[sdp.index("m=video"):]
    port = int(section.split()[1])
    for line in section.splitlines():
        if line.startswith("a=rtcp:"):
            return int(line[7:].split()[0])
    return port + 1


class Receiver:
    """One call into the room with an audio and a video socket."""

    def __init__(self, srv, user):
        self.audio = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.audio.bind(("127.0.0.1", 0))
        self.video = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.video.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.video.bind(("127.0.0.1", 0))
        self.rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtcp.bind(("127.0.0.1", self.video.getsockname()[1] + 1))
        self.ua = sipua.SipUA(srv.port, user)
        r = self.ua.request("INVITE", srv.uri("1000"), "<%s>" % srv.uri("1000"),
                            body=offer(self.audio.getsockname()[1], self.video.getsockname()[1]),
                            ctype="application/sdp")
        self.status = r.status if r is not None else None
        self.server_rtcp = answer_video_rtcp_port(r.body) if self.status == 200 else None

    def send_pli(self, media_ssrc):
        """RR (no blocks) + PLI, one compound packet, from our RTCP port."""
        ours = 0x5717C7
        rr = struct.pack("!BBHI", 0x80, 201, 1, ours)
        pli = struct.pack("!BBHII", 0x81, 206, 2, ours, media_ssrc)
        self.rtcp.sendto(rr + pli, ("127.0.0.1", self.server_rtcp))

    def close(self):
        self.ua.close()
        for s in (self.audio, self.video, self.rtcp):
            s.close()


class StrictDepay:
    """Checks each RTP packet as it comes; an access unit is complete when
    its marker packet arrives."""

    def __init__(self, on_broken_au):
        self.on_broken_au = on_broken_au
        self.errors = []
        self.last_seq = self.ssrc = None
        self.au = None  # {"ts", "nals": [types], "broken", "fu": type or None}
        self.aus = self.idrs = self.packets = 0
        self.idr_times = []
        self.first_au_idr = None

    def error(self, what):
        if len(self.errors) < 20:
            self.errors.append(what)
        if self.au is not None:
            self.au["broken"] = True

    def packet(self, data, now):
        self.packets += 1
        if len(data) < 13 or data[0] >> 6 != 2:
            return self.error("not RTP (%d bytes)" % len(data))
        b0, b1, seq, ts, ssrc = struct.unpack("!BBHII", data[:12])
        payload = data[12 + 4 * (b0 & 15):]
        marker = b1 >> 7
        if self.ssrc is None:
            self.ssrc = ssrc
        elif ssrc != self.ssrc:
            self.error("SSRC changed %08x -> %08x" % (self.ssrc, ssrc))
        if self.last_seq is not None and seq != (self.last_seq + 1) & 0xffff:
            self.error("sequence gap %d -> %d" % (self.last_seq, seq))
        self.last_seq = seq
        if self.au is not None and self.au["ts"] != ts:
            self.error("time stamp %d ends without a marker" % self.au["ts"])
            self.end_au(now)
        if self.au is None:
            self.au = {"ts": ts, "nals": [], "broken": False, "fu": None, "ssrc": ssrc}
        self.nal_units(payload)
        if marker:
            self.end_au(now)

    def nal_units(self, p):
        kind = p[0] & 31
        if kind == NAL_STAP_A:
            i = 1
            while i + 2 <= len(p):
                size = struct.unpack("!H", p[i:i + 2])[0]
                if size == 0 or i + 2 + size > len(p):
                    return self.error("STAP-A with a bad size")
                self.nal(p[i + 2] & 31)
                i += 2 + size
        elif kind == NAL_FU_A:
            start, end, inner = p[1] >> 7, (p[1] >> 6) & 1, p[1] & 31
            fu = self.au["fu"]
            if start:
                if fu is not None:
                    self.error("FU-A start inside another FU-A")
                self.au["fu"] = inner
                self.nal(inner)
            elif fu != inner:
                self.error("FU-A continuation without its start")
            if end:
                self.au["fu"] = None
        elif 1 <= kind <= 23:
            self.nal(kind)
        else:
            self.error("NAL packet type %d" % kind)

    def nal(self, kind):
        self.au["nals"].append(kind)

    def end_au(self, now):
        au, self.au = self.au, None
        nals = au["nals"]
        slices = [n for n in nals if 1 <= n <= 5]
        if au["fu"] is not None:
            self.error_in(au, "access unit %d ends inside an FU-A" % au["ts"])
        if not slices:
            self.error_in(au, "access unit %d has no slice, only NAL types %s (marker set on "
                          "parameter sets?)" % (au["ts"], nals))
        is_idr = NAL_IDR in slices
        if is_idr:
            first = nals.index(NAL_IDR)
            if NAL_SPS not in nals[:first] or NAL_PPS not in nals[:first]:
                self.error_in(au, "IDR access unit %d without SPS and PPS ahead: %s"
                              % (au["ts"], nals))
            self.idrs += 1
            self.idr_times.append(now)
        if self.first_au_idr is None and slices:
            self.first_au_idr = is_idr
        self.aus += 1
        if au["broken"]:
            self.on_broken_au(au["ssrc"])

    def error_in(self, au, what):
        self.au = au
        self.error(what)
        self.au = None


def main():
    with mcutest.McuServer(rtp_timeout=60) as srv:
        first = Receiver(srv, "strict1")
        checks.check(first.status == 200, "first receiver joined (%s)" % first.status)
        plis = []

        def broken(ssrc):
            plis.append(time.monotonic())
            first.send_pli(ssrc)

        depay = StrictDepay(broken)
        stop = threading.Event()
        start = time.monotonic()

        def receive():
            first.video.settimeout(0.2)
            while not stop.is_set():
                try:
                    data = first.video.recv(65536)
                except socket.timeout:
                    continue
                except OSError:
                    return
                depay.packet(data, time.monotonic() - start)

        thread = threading.Thread(target=receive, daemon=True)
        thread.start()
        time.sleep(SECOND_JOINS_AT)  # the second join is part of what is measured
        second = Receiver(srv, "strict2")
        checks.check(second.status == 200, "second receiver joined (%s)" % second.status)
        time.sleep(max(0.0, DURATION - (time.monotonic() - start)))
        stop.set()
        thread.join(2)
        second.close()
        first.close()

        print("%d packets, %d access units, IDRs at %s s, %d PLIs sent"
              % (depay.packets, depay.aus, ["%.1f" % t for t in depay.idr_times], len(plis)))
        checks.check(depay.aus >= DURATION * 20, "%d access units in %.0f s (>= 20/s)"
                     % (depay.aus, DURATION))
        checks.check(depay.first_au_idr is True, "the first access unit is an IDR")
        checks.check(not depay.errors, "strict depacketization: no loss, markers only on the last "
                     "packet of an access unit, no parameter-set-only access unit (%s)"
                     % depay.errors)
        joins = 2
        allowed = joins + int(DURATION // KEY_INTERVAL)
        checks.check(1 <= depay.idrs <= allowed, "%d IDRs in %.0f s (at most %d: %d joins and one "
                     "per %.0f s)" % (depay.idrs, DURATION, allowed, joins, KEY_INTERVAL))
    checks.exit()


if __name__ == "__main__":
    main()
