# SPDX-License-Identifier: LGPL-2.1-or-later
"""RTP ports only for the m-lines answered: an audio-only call holds exactly
one RTP/RTCP pair (two UDP sockets in the server's RTP range), an audio +
video call two pairs, and a late-offer call (our offer carries video) whose
answer in the ACK has audio only gives the video pair back. The sockets are
counted in /proc/net/udp{,6} by local port, only those whose inode is one
of the daemon's file descriptors."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402
import sipua  # noqa: E402

AUDIO = ("v=0\r\no=ua 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n")
VIDEO = ("m=video %d RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
         "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f\r\na=sendrecv\r\n")


def sockets_in_range(pid, lo, hi):
    """UDP sockets (IPv4 and IPv6) of process @pid bound to a local port in
    [lo, hi]. Only the daemon's own sockets count: other programs on this
    machine may hold ports in the same range."""
    inodes = set()
    fd_dir = "/proc/%d/fd" % pid
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    n = 0
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    port = int(fields[1].rsplit(":", 1)[1], 16)
                    n += lo <= port <= hi and fields[9] in inodes
        except FileNotFoundError:
            pass
    return n


def settle(count, want, timeout=2.0):
    """The count once it is @want (within @timeout), else the last one."""
    mcutest.poll_until(lambda: count() == want, timeout)
    return count()


def invite(ua, srv, body):
    """INVITE with @body (None: late offer); ACK (with an audio-only answer
    for a late offer). Returns (status, dialog dict, the 200's SDP)."""
    ruri = srv.uri("ports")
    call_id, tag = "%s@ports" % sipua._token(), sipua._token()
    r = ua.request("INVITE", ruri, "<%s>" % ruri, body=body or "", ctype="application/sdp",
                   call_id=call_id, from_tag=tag)
    if r is None or r.status >= 300:
        return (r.status if r else None), None, ""
    target = r.h("contact").strip("<>")
    ack_body = AUDIO % 41002 if body is None else ""
    ua.send("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
            "From: <sip:%s@127.0.0.1>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\n"
            "Max-Forwards: 70\r\n%sContent-Length: %d\r\n\r\n%s"
            % (target, ua.port, sipua._token(), ua.user, tag, r.h("to"), call_id,
               "Content-Type: application/sdp\r\n" if ack_body else "", len(ack_body), ack_body))
    d = {"call_id": call_id, "from_tag": tag, "to": r.h("to"), "ruri": ruri, "cseq": 1,
         "target": target}
    return r.status, d, r.body


def main():
    checks = mcutest.Failures()
    with mcutest.McuServer() as srv, sipua.SipUA(srv.port, "ports") as ua:
        count = lambda: sockets_in_range(srv.proc.pid, srv.rtp_min, srv.rtp_max)  # noqa: E731
        base = count()
        checks.check(base == 0, "no RTP sockets before any call (%d)" % base)

        status, d, sdp = invite(ua, srv, AUDIO % 41000)
        checks.check(status == 200, "audio-only INVITE answered 200 (%s)" % status)
        checks.check("m=video" not in sdp, "the answer has no video line")
        n = count()  # the ports exist before the 200 goes out
        checks.check(n == 2, "an audio-only call holds one RTP/RTCP pair: %d sockets (want 2)" % n)
        if d:
            checks.check(ua.in_dialog(d, "BYE") == 200, "BYE answered 200")
        n = settle(count, 0)
        checks.check(n == 0, "the pair is freed after BYE (%d sockets)" % n)

        status, d, sdp = invite(ua, srv, AUDIO % 41000 + VIDEO % 41010)
        checks.check(status == 200 and "m=video " in sdp and "m=video 0" not in sdp,
                     "audio + video INVITE answered 200 with video (%s)" % status)
        n = count()
        checks.check(n == 4, "an audio + video call holds two pairs: %d sockets (want 4)" % n)
        if d:
            checks.check(ua.in_dialog(d, "BYE") == 200, "BYE answered 200")
        settle(count, 0)

        status, d, sdp = invite(ua, srv, None)
        checks.check(status == 200 and "m=video " in sdp,
                     "late offer: our offer in the 200 carries video (%s)" % status)
        # the ACK's answer has audio only: the video pair goes back
        n = settle(count, 2)
        checks.check(n == 2, "late offer answered audio-only: one pair left (%d sockets)" % n)
        if d:
            checks.check(ua.in_dialog(d, "BYE") == 200, "BYE answered 200")
        checks.check(srv.alive(), "server still running")
    checks.exit()


if __name__ == "__main__":
    main()
