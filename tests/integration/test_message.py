# SPDX-License-Identifier: LGPL-2.1-or-later
"""Instant messages (SIP MESSAGE, RFC 3428) through the server: to a
registered user (delivered to every contact, 200 back; 480 when it has
none; 404 for nobody), and room chat (to the room's URI, or inside a
participant's call: relayed to every other participant with the sender's
display name, 202 back). Peers are scripted UAs (sipua.py) and sipp
(sipp/msg-*.xml)."""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402
import sipua  # noqa: E402
from controlclient import Control, EventReader  # noqa: E402

USERS = "[user:bob]\npassword=bob-secret\n[user:carol]\npassword=carol-secret\n"


def server(**kw):
    db = os.path.join(tempfile.mkdtemp(prefix="mcu-msg-db-"), "mcu.db")
    return mcutest.McuServer(extra="[storage]\ndatabase=%s\n\n%s" % (db, USERS), **kw)


def to_user(checks, srv):
    bob_uri = "sip:bob@127.0.0.1"
    with sipua.SipUA(srv.port, "bob", "bob-secret") as desk, \
            sipua.SipUA(srv.port, "bob", "bob-secret") as mobile, \
            sipua.SipUA(srv.port, "alice", display="Alice Liddell") as alice:
        checks.check(desk.register() == 200 and mobile.register() == 200, "bob registers two contacts")
        status = alice.message(bob_uri, "hello bob")
        checks.check(status == 200, "MESSAGE to bob: 200 (%s)" % status)
        for name, ua in (("desk", desk), ("mobile", mobile)):
            got = ua.wait_for(lambda: ua.requests("MESSAGE"), 5)
            m = got[0] if got else None
            checks.check(m is not None and m.body == "hello bob" and m.display() == "Alice Liddell"
                         and "sip:alice@" in m.h("from") and m.h("content-type").startswith("text/plain"),
                         "bob's %s gets it from Alice (%r)" % (name, m and (m.body, m.h("from"))))
        mobile.message_status = 486
        desk.message_status = 480
        status = alice.message(bob_uri, "are you there")
        checks.check(status == 486, "every contact refuses: the best failure (486, got %s)" % status)
        desk.message_status = 200
        status = alice.message(bob_uri, "one of you")
        checks.check(status == 200, "one contact takes it: 200 (%s)" % status)
        rc, out = sipua.run_sipp(srv.port, "msg-user", "bob")
        checks.check(rc == 0, "sipp: MESSAGE to bob answered 200")
        if rc:
            print(out)
        checks.check(mobile.wait_for(lambda: any(m.body.strip() == "hello from sipp"
                                                  for m in mobile.requests("MESSAGE")), 5),
                     "sipp's message reaches bob")
        desk.register(expires=0)
        mobile.register(expires=0)
        status = alice.message(bob_uri, "gone?")
        checks.check(status == 480, "bob without contacts: 480 (%s)" % status)
        status = alice.message("sip:carol@127.0.0.1", "hi")
        checks.check(status == 480, "carol never registered: 480 (%s)" % status)
        status = alice.message("sip:nobody@127.0.0.1", "hi")
        checks.check(status == 404, "no such user or room: 404 (%s)" % status)


def room_chat(checks, srv):
    room_uri = "sip:chat@127.0.0.1:%d" % srv.port
    with sipua.SipUA(srv.port, "ann", display="Ann") as ann, \
            sipua.SipUA(srv.port, "ben", display="Ben") as ben, \
            sipua.SipUA(srv.port, "cat", display="Cat") as cat:
        d_ann = ann.call(room_uri, rtp_port=41000)
        d_ben = ben.call(room_uri, rtp_port=41002)
        checks.check(d_ann and d_ben, "Ann and Ben are in room chat")
        if not (d_ann and d_ben):
            return
        events = EventReader(Control(srv.control_socket))
        events.start()
        events.connected.wait(5)
        status = ann.message(room_uri, "hi all")
        checks.check(status == 202, "MESSAGE to the room's URI: 202 (%s)" % status)
        got = ben.wait_for(lambda: ben.requests("MESSAGE"), 5)
        m = got[0] if got else None
        checks.check(m is not None and m.body == "hi all" and m.display() == "Ann"
                     and "sip:chat@" in m.h("from"),
                     "Ben gets it as Ann, from the room (%r)" % ((m and (m.body, m.h("from"))),))
        ev = events.wait_for(lambda e: e["type"] == "chat", 5)
        checks.check(ev and ev.get("room") == "chat" and ev.get("text") == "hi all"
                     and ev["from"]["display"] == "Ann",
                     "the control socket's event stream shows the chat line (%s)" % ev)
        events.stop()
        status = ben.in_dialog(d_ben, "MESSAGE", "hello Ann")
        checks.check(status == 202, "MESSAGE inside Ben's call: 202 (%s)" % status)
        got = ann.wait_for(lambda: [x for x in ann.requests("MESSAGE") if x.body == "hello Ann"], 5)
        checks.check(got and got[0].display() == "Ben", "Ann gets Ben's line with his name")
        checks.check(not [x for x in ann.requests("MESSAGE") if x.body == "hi all"],
                     "Ann does not get her own line back")
        rc, out = sipua.run_sipp(srv.port, "msg-room", "chat")
        checks.check(rc == 0, "sipp: MESSAGE to the room answered 202")
        if rc:
            print(out)
        checks.check(ann.wait_for(lambda: any(x.body.strip() == "hello from sipp" for x in ann.requests("MESSAGE")), 5)
                     and ben.wait_for(lambda: any(x.body.strip() == "hello from sipp"
                                                  for x in ben.requests("MESSAGE")), 5),
                     "an outsider's message reaches everyone in the room")
        r = cat.request("MESSAGE", room_uri, "<%s>" % room_uri, body="{}", ctype="application/json")
        checks.check(r is not None and r.status == 415, "non-text chat: 415 (%s)" % (r and r.status))
        checks.check(ann.in_dialog(d_ann, "BYE") == 200 and ben.in_dialog(d_ben, "BYE") == 200,
                     "both leave with BYE")


def main():
    checks = mcutest.Failures()
    with server() as srv:
        to_user(checks, srv)
        room_chat(checks, srv)
    checks.exit()


if __name__ == "__main__":
    main()
