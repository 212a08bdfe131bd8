# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hold and resume, heard: caller H (PCMU, 700 Hz) puts the call on hold
(re-INVITE a=sendonly) at 3 s and resumes (a=sendrecv) at 6 s while caller L
(Opus, 440 Hz) listens (times below). L must hear H before and after the hold and not
during it (H keeps sending: the server leaves it out of the mix); H must
receive nothing while on hold and hear L again after resuming."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import mcutest  # noqa: E402

CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
# The hold lasts under 3 s: mcu-test-caller's receiver (rtpjitterbuffer,
# mode=none) resyncs on RTP timestamp jumps of 3 s or more and then drops
# what follows as late; the server's RTP (timestamps advancing across the
# hold, sequence numbers continuous) is valid either way.
HOLD_AT, RESUME_AT, DURATION = 2.0, 4.5, 7.5


def run(srv, name, codec, tone, extra):
    wav = os.path.join(srv.dir, name + ".wav")
    report = os.path.join(srv.dir, name + ".json")
    proc = subprocess.Popen([CALLER, "--uri", srv.uri("hold"), "--codec", codec, "--tone", str(tone),
                             "--duration", str(DURATION), "--record", wav, "--report", report,
                             "--display-name", name] + extra,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, wav, report


def main():
    checks = mcutest.Failures()
    with mcutest.McuServer() as srv:
        listener = run(srv, "L", "opus", 440, [])
        holder = run(srv, "H", "pcmu", 700,
                     ["--hold-at", str(HOLD_AT), "--resume-at", str(RESUME_AT)])
        out = {}
        for name, (proc, _, report) in (("L", listener), ("H", holder)):
            out[name] = proc.communicate(timeout=DURATION + 20)[0]
            checks.check(proc.returncode == 0, "%s completed (exit %s)" % (name, proc.returncode))
            with open(report) as f:
                out[name + "r"] = json.load(f)
        checks.check(out["Hr"].get("reinvite_statuses") == [200, 200],
                     "hold and resume re-INVITEs answered 200 (%s)" % out["Hr"].get("reinvite_statuses"))
        checks.check("re-INVITE: sendonly" in srv.log_text() and "re-INVITE: sendrecv" in srv.log_text(),
                     "server saw the hold and the resume")

    # H's media timeline relative to L's recording.
    offset = out["Hr"]["media_start_unix"] - out["Lr"]["media_start_unix"]
    rate, heard = audiocheck.read_wav(listener[1])
    hold = (offset + HOLD_AT, offset + RESUME_AT)
    try:
        audiocheck.assert_tone_present(heard, rate, 700, span=(offset + 0.5, hold[0] - 0.2),
                                       what="L hears H before the hold")
        audiocheck.assert_tone_absent(heard, rate, 700, span=(hold[0] + 0.4, hold[1] - 0.1),
                                      what="L hears H during the hold")
        audiocheck.assert_tone_present(heard, rate, 700, span=(hold[1] + 0.5, offset + DURATION - 0.5),
                                       what="L hears H after the resume")
        checks.check(True, "L hears H except while H is on hold")
    except AssertionError as e:
        checks.check(False, str(e))
    rate, heard = audiocheck.read_wav(holder[1])
    try:
        audiocheck.assert_tone_present(heard, rate, 440, span=(0.5, HOLD_AT - 0.2),
                                       what="H hears L before the hold")
        audiocheck.assert_tone_absent(heard, rate, 440, span=(HOLD_AT + 0.4, RESUME_AT - 0.1),
                                      what="H receives audio while on hold")
        audiocheck.assert_tone_present(heard, rate, 440, span=(RESUME_AT + 0.5, DURATION - 0.5),
                                       what="H hears L after the resume")
        checks.check(True, "H receives nothing while on hold, hears L otherwise")
    except AssertionError as e:
        checks.check(False, str(e))
        print(out["H"][-3000:])
    checks.exit()


if __name__ == "__main__":
    main()
