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
   meeting-closed event, and not before its length."""

import datetime
import os
import sys
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


def main():
    with wave.open(os.path.join(PROMPTS, "meeting-ended.wav")) as w:
        length = w.getnframes() / float(w.getframerate())
    ended = speech("meeting-ended")
    with mcutest.McuServer(extra="[prompts]\ndir=%s\n" % PROMPTS) as srv:
        ctl = controlclient.Control(srv.control_socket)
        events = controlclient.EventReader(ctl)
        events.start()
        events.connected.wait(5)
        erin, gus = Phone(srv.port, "erin"), Phone(srv.port, "gus")
        try:
            start = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + \
                datetime.timedelta(seconds=3)
            m = {"subject": "Short one", "room": ROOM, "timezone": "UTC", "start": start.isoformat(),
                 "duration": "PT8S", "early_join": "PT2S", "grace": "PT0S",
                 "attendees": [{"uri": erin.contact, "display": "Erin", "role": "moderator",
                                "auto_dial": True},
                               {"uri": gus.contact, "display": "Gus", "auto_dial": True}]}
            st, body = ctl.call("POST", "/v1/meetings", m)
            checks.check(st == 201, "meeting booked (%d %s)" % (st, body))
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

            # until the BYE: when the meeting closed, when the BYE came
            closed_at = None
            deadline = time.monotonic() + 25
            while time.monotonic() < deadline and (erin.bye_at is None or gus.bye_at is None):
                if closed_at is None and any(e.get("type") == "meeting-closed" for e in events.events):
                    closed_at = time.monotonic()
                for ph in (erin, gus):
                    if ph.bye_at is None and ph.requests("BYE"):
                        ph.bye_at = time.monotonic()
                time.sleep(0.01)
            checks.check(closed_at is not None, "the meeting closed")
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
    checks.exit()


if __name__ == "__main__":
    sys.exit(main())
