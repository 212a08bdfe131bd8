# SPDX-License-Identifier: LGPL-2.1-or-later
"""A caller that changes its RTP SSRC without a re-INVITE, 12 times, once
every 200 ms (more than the 8 streams one transport holds at once: each is a
jitter buffer with its thread in rtpbin), is still heard by the room after
the 12th change, and the server's threads do not grow with the changes: the
streams of the SSRCs gone quiet are dropped (mixer/mcu-rtp-stream-set.c).

Two PCMU callers in one room (ivrpeer.Peer over sipua.SipUA): the talker
sends a 1000 Hz tone, the listener silence and records what it hears."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import floodcheck  # noqa: E402
import ivrpeer  # noqa: E402
import mcutest  # noqa: E402
import sipua  # noqa: E402

TONE = 1000
SWITCHES = 12
EVERY = 0.2  # s


def heard_tone(listener, since, until):
    """Share of 0.1 s windows with the talker's tone between two marks."""
    return audiocheck.tone_presence(listener.heard(since, until), ivrpeer.RATE, TONE)


def main():
    checks = mcutest.Failures()
    talker, listener = ivrpeer.Peer(tone=TONE), ivrpeer.Peer()
    with mcutest.McuServer() as srv, \
            sipua.SipUA(srv.port, "talker") as ua_t, sipua.SipUA(srv.port, "listener") as ua_l:
        d_l, status_l = ivrpeer.call(ua_l, srv.uri("ssrc"), listener)
        d_t, status_t = ivrpeer.call(ua_t, srv.uri("ssrc"), talker)
        checks.check(d_l is not None and d_t is not None,
                     "both callers answered (%s, %s)" % (status_l, status_t))
        if d_l is None or d_t is None:
            checks.exit()
        pid = srv.proc.pid
        mcutest.poll_until(lambda: heard_tone(listener, None, None) > 0, 5.0)
        mark = time.monotonic()
        time.sleep(1.0)
        share = heard_tone(listener, mark, None)
        checks.check(share >= 0.9, "the listener hears the talker (%.0f%% of 1 s)" % (100 * share))

        baseline = floodcheck.proc_stats(pid)[0]
        most = baseline
        for k in range(1, SWITCHES + 1):
            talker.ssrc = (0x50000000 + k) & 0xFFFFFFFF
            end = time.monotonic() + EVERY
            while time.monotonic() < end:
                most = max(most, floodcheck.proc_stats(pid)[0])
                time.sleep(0.02)
        # after the 12th change: heard again once its jitter buffer filled
        mark = time.monotonic()
        time.sleep(1.5)
        share = heard_tone(listener, mark + 0.3, None)
        checks.check(share >= 0.9,
                     "after the %dth SSRC change the listener still hears the talker "
                     "(%.0f%% of 1.2 s)" % (SWITCHES, 100 * share))
        # at most 8 of rtpbin's streams at once (2 threads each), not one
        # per SSRC: quiet ones go when a new SSRC needs the place (at most
        # once per 2 s, so a caller with a new SSRC on every packet cannot
        # make the shared receive thread build and join streams all the
        # time); one was counted before: 7 more, 12 without the cap
        checks.check(most <= baseline + 2 * 7,
                     "the server's threads stay bounded while the SSRC changes "
                     "(%d before, at most %d)" % (baseline, most))
        for ua, d in ((ua_t, d_t), (ua_l, d_l)):
            checks.check(ua.in_dialog(d, "BYE") == 200, "%s: BYE answered 200" % ua.user)
    talker.close()
    listener.close()
    checks.exit()


if __name__ == "__main__":
    main()
