# SPDX-License-Identifier: LGPL-2.1-or-later
"""Mix-minus end to end: four callers in one room, each sending its own tone
in its own codec (Opus, PCMU, PCMA, G.722), the G.722 one joining late and
leaving early. Each caller must hear every other caller's tone and never its
own, hear the late joiner only while it is there, and nobody's audio may
drop out when someone joins or leaves."""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import mcutest  # noqa: E402
from controlclient import Control  # noqa: E402

CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
LONG = 12.0          # seconds the three long callers stay
JOIN_AT, STAY = 4.0, 4.0  # the late G.722 caller
SETTLE = 0.5         # jitter buffer + first packets, seconds
# Loudest 100 ms window a caller may receive (dBFS, sine-referenced): the
# others' tones at -10 dBFS each make at most -5 (three tones). A decoder
# whose SILK state ran away (libopus 1.3.1, Opus complexity 5, after a
# leave) played +2 for the rest of the call.
MAX_LEVEL_DBFS = -1.0

CALLERS = [
    # name, codec, tone, start (s), duration (s)
    ("opus", "opus", 440, 0.0, LONG),
    ("pcmu", "pcmu", 1000, 0.0, LONG),
    ("pcma", "pcma", 1300, 0.0, LONG),
    ("g722", "g722", 1900, JOIN_AT, STAY),
]

checks = mcutest.Failures()


def start_caller(srv, workdir, name, codec, tone, duration):
    wav = os.path.join(workdir, name + ".wav")
    report = os.path.join(workdir, name + ".json")
    log = open(os.path.join(workdir, name + ".log"), "w")
    proc = subprocess.Popen(
        [CALLER, "--uri", srv.uri("1000"), "--codec", codec, "--tone", str(tone),
         "--duration", str(duration), "--record", wav, "--report", report,
         "--display-name", name, "--timeout", str(duration + 15)],
        stdout=log, stderr=subprocess.STDOUT)
    return {"name": name, "proc": proc, "wav": wav, "report": report, "tone": tone,
            "log": log.name}


def check_caller(c, others, late):
    """`others`: the long callers but c; `late`: the late caller's
    (join, leave) in this caller's recording time, or None for itself."""
    rate, samples = audiocheck.read_wav(c["wav"])
    end = len(samples) / rate - 0.3
    what = c["name"]
    try:
        loud = audiocheck.rms_levels(samples, rate)[int(SETTLE / 0.1):]
        if len(loud) and loud.max() > MAX_LEVEL_DBFS:
            raise AssertionError("%s: too loud: %.1f dBFS at t=%.1f s (at most %.1f)"
                                 % (what, loud.max(), SETTLE + 0.1 * loud.argmax(),
                                    MAX_LEVEL_DBFS))
        for o in others:
            audiocheck.assert_tone_present(samples, rate, o["tone"], span=(SETTLE, end),
                                           what="%s hears %s" % (what, o["name"]))
        audiocheck.assert_tone_absent(samples, rate, c["tone"],
                                      present_freqs=[o["tone"] for o in others],
                                      span=(SETTLE, end), what="%s hears itself" % what)
        if late:
            join, leave = late
            audiocheck.assert_tone_present(samples, rate, 1900, span=(join + SETTLE, leave - 0.3),
                                           what="%s hears the late joiner" % what)
            audiocheck.assert_tone_absent(samples, rate, 1900,
                                          present_freqs=[o["tone"] for o in others],
                                          span=(SETTLE, join - 0.3),
                                          what="%s hears the joiner before it joined" % what)
            audiocheck.assert_tone_absent(samples, rate, 1900,
                                          present_freqs=[o["tone"] for o in others],
                                          span=(leave + 0.5, end),
                                          what="%s hears the joiner after it left" % what)
            # No dropout around the join and the leave: the other long
            # callers' tones stay in every 20 ms window.
            for o in others:
                for at in (join, leave):
                    share = audiocheck.tone_presence(samples, rate, o["tone"],
                                                     span=(at - 1.0, at + 1.0), window=0.02)
                    if share < 0.99:
                        raise AssertionError("%s: %s's tone dropped out around t=%.1f s "
                                             "(present in %.0f%% of 20 ms windows)"
                                             % (what, o["name"], at, 100 * share))
            gap = audiocheck.continuity(samples, rate, span=(SETTLE, end))
            if gap > 0.04:
                raise AssertionError("%s: %.2f s of silence in the mix" % (what, gap))
        checks.check(True, "%s: hears %s, not itself%s" % (
            what, ", ".join(o["name"] for o in others),
            ", the joiner only while present, no dropouts" if late else ""))
    except AssertionError as e:
        checks.check(False, str(e))
        print(audiocheck.print_table(c["wav"], [440, 1000, 1300, 1900]) or "")


def check_late(srv, t0):
    """Near the long callers' end: every caller's audio reached the mix in
    time (stats.frames_late: frames cut for coming after part of their time
    was mixed). A stream a few samples behind the mix's frames once lost
    them at every frame, heard as a 50 Hz buzz: ~50 frames late a second
    once it started (89-91 at 10 s in three runs); 0 since. At most one a
    second, and 5, for a loaded machine's rare late frame."""
    while time.monotonic() - t0 < LONG - 2:
        time.sleep(0.05)
    elapsed = time.monotonic() - t0
    status, body = Control(srv.control_socket).get("/v1/rooms/1000/participants")
    # (the late G.722 caller may still be leaving)
    late = {p["display"]: p["stats"].get("frames_late") for p in (body or {}).get("participants", [])
            if p["display"] in ("opus", "pcmu", "pcma")}
    bound = 5 + int(elapsed)
    print("# frames_late at %.1f s: %s" % (elapsed, late))
    checks.check(status == 200 and len(late) == 3 and
                 all(n is not None and n <= bound for n in late.values()),
                 "every caller's audio reached the mix in time (frames late %s, at most %d)"
                 % (late, bound))


def main():
    if not os.path.exists(CALLER):
        print("mcu-test-caller not built")
        sys.exit(1)
    with mcutest.McuServer() as srv:
        work = srv.dir
        t0 = time.monotonic()
        running = []
        for name, codec, tone, at, duration in CALLERS:
            while time.monotonic() - t0 < at:
                time.sleep(0.02)
            running.append(start_caller(srv, work, name, codec, tone, duration))
        check_late(srv, t0)
        for c in running:
            try:
                c["proc"].wait(LONG + 20)
            except subprocess.TimeoutExpired:
                c["proc"].kill()
            ok = checks.check(c["proc"].returncode == 0,
                              "%s call completed (exit %s)" % (c["name"], c["proc"].returncode))
            with open(c["report"]) as f:
                c["r"] = json.load(f)
            if not ok:
                print(open(c["log"]).read())
            checks.check(c["r"].get("rtp_packets_received", 0) > 50 * (STAY - 1),
                         "%s received RTP (%s packets)" % (c["name"], c["r"].get("rtp_packets_received")))
        checks.check(srv.alive(), "server still running")

    late = running[3]
    late_start = late["r"]["media_start_unix"]
    late_end = late_start + late["r"]["call_seconds"]
    longs = running[:3]
    for c in longs:
        start = c["r"]["media_start_unix"]
        check_caller(c, [o for o in longs if o is not c], (late_start - start, late_end - start))
    check_caller(late, longs, None)
    checks.exit()


if __name__ == "__main__":
    main()
