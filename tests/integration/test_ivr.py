# SPDX-License-Identifier: LGPL-2.1-or-later
"""PINs, roles and keypad controls on the real daemon, with PCMU callers
that press keys as RFC 4733 events and record what they hear (ivrpeer.py):

- a PIN room dialled without the PIN answers and plays welcome + enter-pin
  (found in the caller's recording by cross-correlation with the prompt
  file); the caller hears none of the room and the room none of it;
- three wrong PINs: wrong-pin, then goodbye and a BYE;
- the moderator PIN and the guest PIN admit with that role (the API's
  participant resource), sip:ROOM*PIN@ too;
- the mute key (0) silences the caller for the others and plays "muted"
  to that caller only; again: "unmuted" and heard again;
- wait-for-moderator: guests are held out of the mix (and hear
  waiting-for-moderator) until the moderator joins;
- a room's rules and the moderator keys: a guest joins muted and alone
  hears only-participant; 7 locks the room (announced), ** ends the
  meeting (meeting-ended, BYE to all); end-when-moderator-leaves: the
  moderator's BYE ends it for the guest;
- the moderator's 9 extends the scheduled meeting running in the room
  by 10 minutes (meeting-extended, heard by the room);
- video: a caller entering the PIN is not in the grid; a waiting guest
  appears when the moderator joins (mcu-test-caller's tile colours)."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datetime  # noqa: E402
import tempfile  # noqa: E402

import audiocheck  # noqa: E402
import videocheck as vc  # noqa: E402
import ivrpeer  # noqa: E402
import mcutest  # noqa: E402
import sipua  # noqa: E402
from controlclient import Control, EventReader  # noqa: E402

PROMPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "prompts", "en")
RATE = ivrpeer.RATE
MATCH = 0.6    # a prompt heard: normalized correlation at least this
NO_MATCH = 0.35  # ... and a prompt not heard stays below this

ROOMS = ("[room:pinroom]\npin=1234\nmoderator-pin=9999\n"
         "[room:rules]\nmoderator-pin=9999\nend-when-moderator-leaves=true\nmute-guests=true\n"
         "announce-alone=true\n"
         "[room:keys]\n"
         "[room:waitroom]\nmoderator-pin=9999\nwait-for-moderator=true\n")

checks = mcutest.Failures()


def prompt(name, seconds=None):
    x = ivrpeer.load_prompt(os.path.join(PROMPTS, name + ".wav"))
    # the speech, without the leading/trailing quiet
    loud = abs(x) > 0.01
    x = x[loud.argmax():len(x) - loud[::-1].argmax()]
    return x[:int(seconds * RATE)] if seconds else x


class Caller:
    def __init__(self, srv, user, tone=0.0):
        self.ua = sipua.SipUA(srv.port, user)
        self.peer = ivrpeer.Peer(tone=tone)
        self.user = user
        self.d = None
        self.status = None

    def dial(self, srv, room):
        self.d, self.status = ivrpeer.call(self.ua, srv.uri(room), self.peer)
        return self.d is not None

    def hangup(self):
        if self.d and not ivrpeer.bye_received(self.ua, self.d):
            self.ua.in_dialog(self.d, "BYE")
        self.d = None

    def close(self):
        try:
            self.hangup()
        finally:
            self.peer.close()
            self.ua.close()


def participants(ctl, room):
    s, body = ctl.get("/v1/rooms/%s/participants" % room)
    return body["participants"] if s == 200 and body else []


def participant(ctl, room, user):
    for p in participants(ctl, room):
        if p["uri"].startswith("sip:%s@" % user):
            return p
    return None


def wait_participant(ctl, room, user, cond, timeout=8.0):
    got = [None]

    def ok():
        got[0] = participant(ctl, room, user)
        return got[0] is not None and cond(got[0])
    mcutest.poll_until(ok, timeout)
    return got[0]


def heard_tone(samples, freq, min_fraction=0.8):
    if len(samples) < RATE // 2:
        return False
    return audiocheck.tone_presence(samples, RATE, freq) >= min_fraction


def no_tone(samples, freq):
    """@freq (a caller's steady -10.5 dBFS test tone) is not there: near
    its level in at most 5% of the windows (speech and music around the
    same frequency stay well below it)."""
    if len(samples) < RATE // 2:
        return False
    return audiocheck.tone_presence(samples, RATE, freq, min_dbfs=-18) <= 0.05


def tone_blips(samples, freq):
    """20 ms windows where @freq stands alone (a pure tone: within 3 dB of
    the window's whole level, above -45 dBFS): a moment of another caller's
    test tone, which speech never looks like."""
    n = len(samples) // 160 * 160
    if n == 0:
        return 0
    lv = audiocheck.tone_levels(samples[:n], RATE, [freq], window=0.02)[:, 0]
    rms = audiocheck.rms_levels(samples[:n], RATE, window=0.02)
    return int(((lv > -45) & (lv > rms - 3)).sum())


def silent(samples):
    return len(samples) >= RATE // 10 and max(audiocheck.rms_levels(samples, RATE)) < -50


def test_pin_entry(srv, ctl):
    """Dialled without the PIN: the prompts, isolation, three wrong PINs."""
    b = Caller(srv, "bea", tone=700)
    a = Caller(srv, "ann", tone=1000)
    try:
        checks.check(b.dial(srv, "pinroom*1234"), "bea joins pinroom*1234 (%s)" % b.status)
        start = a.peer.mark()
        checks.check(a.dial(srv, "pinroom"), "ann dials pinroom without the PIN: 200 (%s)" % a.status)
        checks.check(a.d and a.d["dtmf_pt"] is not None, "the answer has telephone-event")
        p = wait_participant(ctl, "pinroom", "ann", lambda p: True)
        checks.check(p is not None and p["state"] == "pin-entry",
                     "ann is in PIN entry (%s)" % (p and p["state"]))
        time.sleep(4.8)  # welcome (1.4 s) + enter-pin (2.7 s)
        t = b.peer.mark()
        heard = a.peer.heard(start)
        enter = ivrpeer.best_match(heard, prompt("enter-pin", 2.0))
        goodbye = ivrpeer.best_match(heard, prompt("goodbye", 1.5))
        print("# enter-pin %.2f, goodbye %.2f in ann's first %.1f s" % (enter, goodbye, len(heard) / RATE))
        checks.check(enter >= MATCH, "ann hears enter-pin (correlation %.2f)" % enter)
        checks.check(goodbye < NO_MATCH, "... and not goodbye (%.2f)" % goodbye)
        checks.check(no_tone(heard, 700), "ann hears nothing of the room during the prompts")
        checks.check(silent(a.peer.heard(time.monotonic() - 0.4)),
                     "... nor after them, waiting for the PIN")
        time.sleep(1.0)
        checks.check(no_tone(b.peer.heard(t - 1.0), 1000), "the room hears nothing of ann")

        # three wrong PINs
        a.peer.press("1111#")
        m = a.peer.mark()
        time.sleep(3.4)
        wrong = ivrpeer.best_match(a.peer.heard(m), prompt("wrong-pin", 1.5))
        checks.check(wrong >= MATCH, "a wrong PIN: ann hears wrong-pin (%.2f)" % wrong)
        a.peer.press("2222#")
        time.sleep(1.5)
        a.peer.press("3333#")
        m = a.peer.mark()
        got = a.ua.wait_for(lambda: ivrpeer.bye_received(a.ua, a.d), 12)
        bye_at = time.monotonic()
        heard = a.peer.heard(m)
        bye = ivrpeer.best_match(heard, prompt("goodbye", 1.2))
        checks.check(bool(got), "the third wrong PIN: BYE (%.1f s after it)" % (bye_at - m))
        checks.check(bye >= MATCH, "... after the goodbye prompt (%.2f)" % bye)
        reason = got[0].h("reason") if got else ""
        checks.check("wrong PIN" in reason, "... with Reason %r" % reason)
        checks.check(participant(ctl, "pinroom", "ann") is None, "ann is gone from the room")
        blips = tone_blips(a.peer.heard(start), 700)
        checks.check(blips == 0, "not even 20 ms of the room reached ann in the whole call (%d)" % blips)
        a.d = None
    finally:
        a.close()
        b.close()


def test_locked_meanwhile(srv, ctl):
    """The room locked while the PIN is entered: the right PIN gets
    "locked" and a BYE."""
    c = Caller(srv, "lou")
    try:
        checks.check(c.dial(srv, "pinroom"), "lou dials pinroom without the PIN")
        s, _ = ctl.call("PATCH", "/v1/rooms/pinroom", {"locked": True})
        checks.check(s == 200, "the room is locked meanwhile")
        time.sleep(1.0)
        c.peer.press("1234#")
        m = c.peer.mark()
        got = c.ua.wait_for(lambda: ivrpeer.bye_received(c.ua, c.d), 10)
        heard = ivrpeer.best_match(c.peer.heard(m), prompt("locked", 1.2))
        reason = got[0].h("reason") if got else ""
        checks.check(bool(got) and "room locked" in reason,
                     "the right PIN into a locked room: BYE (%r)" % reason)
        checks.check(heard >= MATCH, "... after the locked prompt (%.2f)" % heard)
        c.d = None
    finally:
        ctl.call("PATCH", "/v1/rooms/pinroom", {"locked": False})
        c.close()


def test_roles(srv, ctl):
    """Moderator and guest PINs by keypad and in the URI."""
    mod, guest, direct = Caller(srv, "mod"), Caller(srv, "gus"), Caller(srv, "dir")
    talker = Caller(srv, "tal", tone=700)
    try:
        checks.check(talker.dial(srv, "pinroom*1234"), "tal joins pinroom*1234")
        checks.check(mod.dial(srv, "pinroom") and guest.dial(srv, "pinroom"),
                     "mod and gus dial pinroom without the PIN")
        time.sleep(1.0)
        mod.peer.press("9999#")  # during the welcome: barge-in
        guest.peer.press("1234#")
        p = wait_participant(ctl, "pinroom", "mod", lambda p: p["state"] == "joined")
        checks.check(p is not None and p["role"] == "moderator" and p["state"] == "joined",
                     "the moderator PIN: moderator, joined (%s)" % str(p and (p["role"], p["state"])))
        p = wait_participant(ctl, "pinroom", "gus", lambda p: p["state"] == "joined")
        checks.check(p is not None and p["role"] == "guest" and p["state"] == "joined",
                     "the guest PIN: guest, joined (%s)" % str(p and (p["role"], p["state"])))
        t = time.monotonic()
        time.sleep(2.0)
        checks.check(heard_tone(guest.peer.heard(t + 0.5), 700), "gus, admitted, hears the room")
        checks.check(direct.dial(srv, "pinroom*9999"), "dir dials pinroom*9999")
        p = wait_participant(ctl, "pinroom", "dir", lambda p: True)
        checks.check(p is not None and p["role"] == "moderator" and p["state"] == "joined",
                     "pinroom*9999: moderator at once (%s)" % str(p and (p["role"], p["state"])))
        p = wait_participant(ctl, "pinroom", "tal", lambda p: True)
        checks.check(p is not None and p["role"] == "guest", "pinroom*1234: guest")
    finally:
        for c in (mod, guest, direct, talker):
            c.close()


def test_mute_key(srv, ctl):
    """0 mutes: the others stop hearing the caller; only the caller hears
    "muted"; 0 again: "unmuted", heard again."""
    a, b = Caller(srv, "amy", tone=700), Caller(srv, "ben", tone=1000)
    try:
        checks.check(a.dial(srv, "keys") and b.dial(srv, "keys"), "amy and ben join keys")
        time.sleep(2.5)
        t = time.monotonic()
        checks.check(heard_tone(b.peer.heard(t - 1.0), 700), "ben hears amy")
        a.peer.press("0")
        m = a.peer.mark()
        time.sleep(2.5)
        # the notice is mixed over ben's 1000 Hz: without it
        muted_amy = ivrpeer.best_match(ivrpeer.notch(a.peer.heard(m), [1000]), prompt("muted"))
        muted_ben = ivrpeer.best_match(b.peer.heard(m), prompt("muted"))
        checks.check(muted_amy >= MATCH, "amy hears 'muted' (%.2f)" % muted_amy)
        checks.check(muted_ben < NO_MATCH, "ben does not (%.2f)" % muted_ben)
        checks.check(no_tone(b.peer.heard(m + 0.6), 700), "ben no longer hears amy")
        checks.check(heard_tone(a.peer.heard(m + 0.6), 1000, 0.6), "amy still hears ben")
        p = participant(ctl, "keys", "amy")
        checks.check(p is not None and p["muted"], "the API shows amy muted")
        a.peer.press("0")
        m = a.peer.mark()
        time.sleep(2.5)
        unmuted = ivrpeer.best_match(ivrpeer.notch(a.peer.heard(m), [1000]), prompt("unmuted"))
        checks.check(unmuted >= MATCH, "0 again: amy hears 'unmuted' (%.2f)" % unmuted)
        checks.check(heard_tone(b.peer.heard(m + 0.8), 700), "ben hears amy again")
    finally:
        a.close()
        b.close()


def test_wait_for_moderator(srv, ctl):
    g1, g2 = Caller(srv, "gia", tone=700), Caller(srv, "gil", tone=1000)
    mod = Caller(srv, "max", tone=1300)
    try:
        checks.check(g1.dial(srv, "waitroom") and g2.dial(srv, "waitroom"), "two guests join waitroom")
        m = g2.peer.mark()
        time.sleep(3.0)
        for user in ("gia", "gil"):
            p = participant(ctl, "waitroom", user)
            checks.check(p is not None and p["state"] == "waiting" and p["role"] == "guest",
                         "%s waits (%s)" % (user, str(p and (p["state"], p["role"]))))
        waiting = ivrpeer.best_match(g2.peer.heard(m), prompt("waiting-for-moderator", 1.5))
        checks.check(waiting >= MATCH, "gil hears waiting-for-moderator (%.2f)" % waiting)
        checks.check(no_tone(g2.peer.heard(m + 0.5), 700), "gil does not hear gia while waiting")
        checks.check(mod.dial(srv, "waitroom*9999"), "the moderator joins")
        p = wait_participant(ctl, "waitroom", "gia", lambda p: p["state"] == "joined")
        checks.check(p is not None and p["state"] == "joined", "gia joins with the moderator in")
        m = time.monotonic()
        time.sleep(2.5)
        heard = g2.peer.heard(m + 0.5)
        checks.check(heard_tone(heard, 700) and heard_tone(heard, 1300),
                     "gil now hears gia and the moderator")
    finally:
        for c in (g1, g2, mod):
            c.close()


def test_rules_and_moderator_keys(srv, ctl):
    g, mod = Caller(srv, "gwen", tone=700), Caller(srv, "mona", tone=1000)
    try:
        m = g.peer.mark()
        checks.check(g.dial(srv, "rules"), "gwen joins rules (no PIN: a guest)")
        p = wait_participant(ctl, "rules", "gwen", lambda p: True)
        checks.check(p is not None and p["role"] == "guest" and p["muted"],
                     "mute-guests: gwen joins muted (%s)" % str(p and (p["role"], p["muted"])))
        time.sleep(3.0)
        alone = ivrpeer.best_match(g.peer.heard(m), prompt("only-participant", 1.5))
        checks.check(alone >= MATCH, "announce-alone: gwen hears only-participant (%.2f)" % alone)
        checks.check(mod.dial(srv, "rules*9999"), "mona joins with the moderator PIN")
        t = time.monotonic()
        time.sleep(2.0)
        checks.check(heard_tone(g.peer.heard(t + 0.8), 1000), "gwen hears mona (the alone prompt stops)")
        checks.check(no_tone(mod.peer.heard(t + 0.8), 700), "mona does not hear the muted guest")
        mod.peer.press("7")
        m = g.peer.mark()
        locked = mcutest.poll_until(lambda: ctl.get("/v1/rooms/rules")[1].get("locked"), 5)
        checks.check(bool(locked), "7: the room is locked")
        time.sleep(2.5)
        heard = ivrpeer.best_match(ivrpeer.notch(g.peer.heard(m), [1000]), prompt("room-locked-now", 1.2))
        checks.check(heard >= MATCH, "... and gwen hears room-locked-now (%.2f)" % heard)
        mod.peer.press("7")
        unlocked = mcutest.poll_until(lambda: ctl.get("/v1/rooms/rules")[1].get("locked") is False, 5)
        checks.check(bool(unlocked), "7 again: unlocked")
        time.sleep(2.0)
        mod.peer.press("**")
        m = g.peer.mark()
        got_g = g.ua.wait_for(lambda: ivrpeer.bye_received(g.ua, g.d), 10)
        got_m = mod.ua.wait_for(lambda: ivrpeer.bye_received(mod.ua, mod.d), 5)
        ended = ivrpeer.best_match(g.peer.heard(m), prompt("meeting-ended", 1.2))
        checks.check(bool(got_g) and bool(got_m), "**: BYE to everyone")
        checks.check(ended >= MATCH, "... after meeting-ended (%.2f)" % ended)
        g.d = mod.d = None
    finally:
        g.close()
        mod.close()

    g, mod = Caller(srv, "gwen2", tone=700), Caller(srv, "mona2", tone=1000)
    try:
        checks.check(mod.dial(srv, "rules*9999") and g.dial(srv, "rules"), "again: mona2 and gwen2 join")
        time.sleep(1.5)
        m = g.peer.mark()
        mod.hangup()
        got = g.ua.wait_for(lambda: ivrpeer.bye_received(g.ua, g.d), 10)
        ended = ivrpeer.best_match(g.peer.heard(m), prompt("meeting-ended", 1.2))
        checks.check(bool(got), "end-when-moderator-leaves: the moderator's BYE ends the guest's call")
        checks.check(ended >= MATCH, "... after meeting-ended (%.2f)" % ended)
        g.d = None
    finally:
        g.close()
        mod.close()


def test_extend_key(srv, ctl):
    reader = EventReader(ctl)
    reader.start()
    reader.connected.wait(5)
    start = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + \
        datetime.timedelta(seconds=3)
    st, body = ctl.call("POST", "/v1/meetings", {
        "subject": "Keys", "room": "sched", "start": start.isoformat(), "duration": "PT5M",
        "early_join": "PT10S", "pin": "1234", "moderator_pin": "9999", "attendees": []})
    checks.check(st == 201, "a meeting in room sched, starting in 3 s (%d)" % st)
    # meg talks (300 Hz): an announcement into a room where nobody sends
    # any signal is not heard at all (the prompts mixer; see the report)
    mod = Caller(srv, "meg", tone=300)
    try:
        started = reader.wait_for(lambda e: e["type"] == "meeting-started", 8)
        checks.check(bool(started), "the meeting started")
        checks.check(mod.dial(srv, "sched*9999"), "meg joins as its moderator")
        time.sleep(1.0)
        mod.peer.press("9")
        m = mod.peer.mark()
        ext = reader.wait_for(lambda e: e["type"] == "meeting-extended", 5)
        checks.check(ext is not None and ext.get("extended_by_seconds") == 600,
                     "9: the meeting is extended by 10 minutes (%s)" % (ext and ext.get("extended_by_seconds")))
        time.sleep(2.5)
        heard = ivrpeer.best_match(ivrpeer.notch(mod.peer.heard(m), [300]),
                                   prompt("meeting-extended", 1.2))
        checks.check(heard >= MATCH, "... and the room hears meeting-extended (%.2f)" % heard)
    finally:
        mod.close()
        reader.stop()
        if st == 201:
            ctl.call("DELETE", "/v1/meetings/%s" % body["id"])


RED, GREEN = "c83232", "32c832"


def test_video_grid(srv):
    work = tempfile.mkdtemp(prefix="mcu-ivr-video-")
    grids = "1x1,2x1"
    started = []

    def join(name, room, colour):
        c = vc.Caller(work, name, srv.uri(room),
                      ["--codec", "pcmu", "--video-colour", colour, "--grid", grids], duration=40)
        started.append(c)
        return c, c.wait_answered()

    try:
        viewer, s1 = join("viewer", "pinroom*1234", RED)
        intruder, s2 = join("intruder", "pinroom", GREEN)
        checks.check(s1 == 200 and s2 == 200, "video: viewer (PIN) and intruder (no PIN) answered")
        time.sleep(3.0)
        res = vc.wait_for_grid([viewer], "2x1", [vc.rgb(RED), vc.rgb(RED)], 8)
        ok, text = res.get("viewer", (False, "no capture"))
        checks.check(ok, "video: the viewer's picture is the only tile: the caller entering the "
                     "PIN is not in the grid (%s)" % text)
        viewer.stop()
        intruder.stop()

        guest, s3 = join("guest", "waitroom", GREEN)
        mod, s4 = join("mod", "waitroom*9999", RED)
        checks.check(s3 == 200 and s4 == 200, "video: a waiting guest and the moderator answered")
        res = vc.wait_for_grid([mod], "2x1", [vc.rgb(GREEN), vc.rgb(RED)], 12)
        ok, text = res.get("mod", (False, "no capture"))
        checks.check(ok, "video: with the moderator in, the guest's tile appears (%s)" % text)
    finally:
        for c in started:
            c.stop()


def main():
    srv = mcutest.McuServer(extra=ROOMS)
    srv.start()
    ctl = Control(srv.control_socket)
    try:
        test_pin_entry(srv, ctl)
        test_locked_meanwhile(srv, ctl)
        test_roles(srv, ctl)
        test_mute_key(srv, ctl)
        test_wait_for_moderator(srv, ctl)
        test_rules_and_moderator_keys(srv, ctl)
        test_extend_key(srv, ctl)
        test_video_grid(srv)
    finally:
        code = srv.stop()
    checks.check(code == 0, "server exits 0")
    checks.exit()


if __name__ == "__main__":
    main()
