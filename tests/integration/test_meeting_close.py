#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A scheduled meeting's end and its attendees' roles, with the real daemon
and two scripted phones that the meeting dials (sipua answering, RTP
recorded by ivrpeer; they send PCMU silence):

1. the attendee booked with "role": "moderator" joins as a moderator, the
   other as a guest (the API's participant resources);
2. at the end the room hears meeting-ended (found in each recording by
   cross-correlation with the prompt file) before the BYE, which comes
   when the prompt has played: within its length + 1.5 s of the
   meeting-closed event, and not before its length;
3. a meeting-ended that would play for 20 s (a room with its own prompt
   directory) is cut: the BYE comes 10 s after the close."""

import datetime
import math
import os
import struct
import sys
import tempfile
import time
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import controlclient  # noqa: E402
import ivrpeer  # noqa: E402
import mcutest  # noqa: E402
import sipua  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PROMPTS = os.path.normpath(os.path.join(HERE, "..", "..", "prompts", "en"))
ROOM = "4545"
FOUND = 0.6

checks = mcutest.Failures()


class RecordingPort(ivrpeer.Peer):
    """sipua's RtpPort, recording what it hears."""

    def talk(self, peer, after=0.0):
        ivrpeer.Peer.talk(self, peer, 101)


class Phone(sipua.SipUA):
    def __init__(self, port, user):
        super().__init__(port, user)
        self.invite_policy = ("answer", 0.1)
        self.rtp_talk = 0.0
        self.bye_at = None

    def rtp_port(self):
        rtp = RecordingPort()
        self.rtp_ports.append(rtp)
        return rtp

    def recording(self, until):
        return self.rtp_ports[0].heard(until=until) if self.rtp_ports else []


def speech(name):
    x = ivrpeer.load_prompt(os.path.join(PROMPTS, name + ".wav"))
    loud = abs(x) > 0.01
    return x[loud.argmax():len(x) - loud[::-1].argmax()]


def book(ctl, room, seconds, attendees):
    start = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + \
        datetime.timedelta(seconds=3)
    m = {"subject": "Short one", "room": room, "timezone": "UTC", "start": start.isoformat(),
         "duration": "PT%dS" % seconds, "early_join": "PT2S", "grace": "PT0S",
         "attendees": attendees}
    st, body = ctl.call("POST", "/v1/meetings", m)
    checks.check(st == 201, "meeting in %s booked (%d %s)" % (room, st, body))


def wait_close(events, room, phones, timeout):
    """(monotonic time of meeting-closed for @room, sets phone.bye_at)."""
    closed_at = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(ph.bye_at is None for ph in phones):
        if closed_at is None and any(e.get("type") == "meeting-closed" and e.get("room") == room
                                     for e in events.events):
            closed_at = time.monotonic()
        for ph in phones:
            if ph.bye_at is None and ph.requests("BYE"):
                ph.bye_at = time.monotonic()
        time.sleep(0.01)
    checks.check(closed_at is not None, "the meeting in %s closed" % room)
    return closed_at


def long_prompt_dir():
    d = tempfile.mkdtemp(prefix="mcu-long-prompt-")
    with wave.open(os.path.join(d, "meeting-ended.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(b"".join(struct.pack("<h", int(3000 * math.sin(2 * math.pi * 500 * i / 48000)))
                               for i in range(20 * 48000)))
    return d


def bounded_wait(srv, ctl, events):
    """A 20 s meeting-ended: BYE after the 10 s bound."""
    frank = Phone(srv.port, "frank")
    try:
        book(ctl, "4646", 5, [{"uri": frank.contact, "display": "Frank", "auto_dial": True}])
        closed_at = wait_close(events, "4646", [frank], 30)
        checks.check(frank.bye_at is not None, "frank got BYE")
        if frank.bye_at is not None and closed_at is not None:
            delay = frank.bye_at - closed_at
            print("frank: BYE %.2f s after meeting-closed (prompt 20 s, bound 10 s)" % delay)
            checks.check(9.8 <= delay <= 10.5, "a long meeting-ended is cut at 10 s (%.2f s)" % delay)
    finally:
        frank.close()


def main():
    with wave.open(os.path.join(PROMPTS, "meeting-ended.wav")) as w:
        length = w.getnframes() / float(w.getframerate())
    ended = speech("meeting-ended")
    extra = "[prompts]\ndir=%s\n[room:4646]\nprompts=%s\n" % (PROMPTS, long_prompt_dir())
    with mcutest.McuServer(extra=extra) as srv:
        ctl = controlclient.Control(srv.control_socket)
        events = controlclient.EventReader(ctl)
        events.start()
        events.connected.wait(5)
        erin, gus = Phone(srv.port, "erin"), Phone(srv.port, "gus")
        try:
            book(ctl, ROOM, 8, [{"uri": erin.contact, "display": "Erin", "role": "moderator",
                                 "auto_dial": True},
                                {"uri": gus.contact, "display": "Gus", "auto_dial": True}])
            joined = mcutest.poll_until(
                lambda: len((ctl.get("/v1/rooms/%s/participants" % ROOM)[1] or {})
                            .get("participants", [])) == 2, 10)
            checks.check(joined, "both attendees were dialled and joined")
            _, body = ctl.get("/v1/rooms/%s/participants" % ROOM)
            roles = {p["display"]: p.get("role") for p in (body or {}).get("participants", [])}
            checks.check(roles == {"Erin": "moderator", "Gus": "guest"},
                         "the attendees' roles apply to the dialled participants: %s" % roles)
            for p in (body or {}).get("participants", []):
                st, one = ctl.get("/v1/rooms/%s/participants/%d" % (ROOM, p["id"]))
                checks.check(st == 200 and one.get("role") == roles[p["display"]],
                             "participant resource of %s: %s" % (p["display"], one))

            closed_at = wait_close(events, ROOM, [erin, gus], 25)
            for ph in (erin, gus):
                checks.check(ph.bye_at is not None, "%s got BYE" % ph.user)
                if ph.bye_at is None or closed_at is None:
                    continue
                delay = ph.bye_at - closed_at
                c = ivrpeer.best_match(ph.recording(ph.bye_at)[-int((length + 2) * ivrpeer.RATE):], ended)
                print("%s: meeting-ended correlation %.2f, BYE %.2f s after meeting-closed "
                      "(prompt %.2f s)" % (ph.user, c, delay, length))
                checks.check(c >= FOUND, "%s heard meeting-ended before the BYE (%.2f)" % (ph.user, c))
                checks.check(length - 0.1 <= delay <= length + 1.5,
                             "%s: BYE when the prompt has played (%.2f s)" % (ph.user, delay))
            done = [e for e in events.events if e.get("type") == "announcement"
                    and e.get("prompt") == "meeting-ended" and e.get("state") == "done"]
            checks.check(done and done[0].get("completed") is True,
                         "the announcement event: %s" % done)
        finally:
            erin.close()
            gus.close()
        bounded_wait(srv, ctl, events)
    checks.exit()


if __name__ == "__main__":
    sys.exit(main())
