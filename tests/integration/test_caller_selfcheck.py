# SPDX-License-Identifier: LGPL-2.1-or-later
"""Self-check of the test peer (mcu-test-caller) and of audiocheck.py, without
the daemon: if these fail, the media tests against the daemon mean nothing.

- audiocheck on synthetic signals (levels, presence, absence, dropouts);
- mcu-test-caller against sipp (sipp/uas_echo_any.xml + -rtp_echo) in each
  codec: the caller must hear its own tone back, and nothing else;
- --expect-status against sipp rejecting (sipp/uas_reject.xml);
- hold/resume re-INVITEs; no RTP -> exit 4;
- two mcu-test-callers (one with --answer) over TCP with a late offer: each
  hears the other's tone and not its own; the answerer hanging up first gives
  exit 3 and a valid WAV.
Everything runs on 127.0.0.1 with ephemeral ports."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import mcutest  # noqa: E402

CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
SIPP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sipp")
ALL_TONES = [440, 700, 1000, 1300, 1900]
CODECS = {"opus": (111, 440), "g722": (9, 700), "pcmu": (0, 1000), "pcma": (8, 1300)}

WORK = tempfile.mkdtemp(prefix="mcu-caller-selfcheck-")
failures = mcutest.Failures()


def wait_bound(port, proc, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if mcutest.udp_port_bound(port):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.02)
    return False


def stop(proc, timeout=5.0):
    """Wait for a process we started, then terminate/kill it; return its code."""
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            return proc.wait(3)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()


class Sipp:
    """sipp as a one-call UAS on an ephemeral port (with RTP echo if asked)."""

    def __init__(self, name, scenario_args, echo=False):
        self.port = mcutest.free_port()
        self.media_port = mcutest.free_port()
        self.log = os.path.join(WORK, name + ".sipp.log")
        args = ["sipp"] + scenario_args + [
            "-i", "127.0.0.1", "-p", str(self.port), "-mi", "127.0.0.1",
            "-mp", str(self.media_port), "-m", "1", "-nostdin", "-timeout", "60s"]
        if echo:
            args.append("-rtp_echo")
        self.out = open(self.log, "wb")
        self.proc = subprocess.Popen(args, stdout=self.out, stderr=subprocess.STDOUT, cwd=WORK)
        if not wait_bound(self.port, self.proc):
            stop(self.proc, 0.1)
            raise RuntimeError("sipp did not start, see " + self.log)

    def uri(self, user="1000"):
        return "sip:%s@127.0.0.1:%d" % (user, self.port)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        stop(self.proc)
        self.out.close()
        return False


def caller_args(name, *args):
    """Argument list for a caller writing NAME.json (and logging as NAME)."""
    return [CALLER, "--display-name", name,
            "--report", os.path.join(WORK, name + ".json")] + list(args)


def run_caller(name, *args, timeout=40):
    """Run mcu-test-caller to the end; return (exit code, report dict)."""
    proc = subprocess.run(caller_args(name, *args), timeout=timeout,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    sys.stdout.write(proc.stdout.decode("utf-8", "replace"))
    return proc.returncode, read_report(name)


def read_report(name):
    try:
        with open(os.path.join(WORK, name + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print("no report for %s: %s" % (name, e))
        return {}


def wav(name):
    return os.path.join(WORK, name + ".wav")


def check_hears(name, want, span, not_want=()):
    """The recording NAME.wav holds `want` in span and none of `not_want`."""
    try:
        rate, samples = audiocheck.read_wav(wav(name))
    except Exception as e:  # OSError, EOFError, wave.Error
        failures.check(False, "%s: readable WAV (%s)" % (name, e))
        return
    try:
        audiocheck.assert_tone_present(samples, rate, want, span=span, what=name)
        failures.check(True, "%s hears %g Hz" % (name, want))
    except AssertionError as e:
        failures.check(False, str(e))
    for f in not_want:
        try:
            audiocheck.assert_tone_absent(samples, rate, f, [want], span=span, what=name)
            failures.check(True, "%s does not hear %g Hz" % (name, f))
        except AssertionError as e:
            failures.check(False, str(e))
    gap = audiocheck.continuity(samples, rate, span)
    failures.check(gap < 0.1, "%s: no dropout in %s (longest silence %.2f s)" % (name, span, gap))


def sine(freq, seconds, amp=0.3, rate=48000):
    t = np.arange(int(seconds * rate)) / float(rate)
    return amp * np.sin(2 * np.pi * freq * t)


def check_audiocheck():
    """audiocheck itself, on synthetic signals with known answers."""
    rate = 48000
    x = sine(440, 2.0) + sine(1300, 2.0, amp=0.01)   # 1300 Hz at -40 dBFS
    lv = audiocheck.tone_levels(x, rate, [440, 1300, 1900])
    failures.check(abs(np.median(lv[:, 0]) - 20 * np.log10(0.3)) < 0.5,
                   "audiocheck: 0.3 sine reads %.1f dBFS" % np.median(lv[:, 0]))
    failures.check(abs(np.median(lv[:, 1]) + 40) < 1.0, "audiocheck: -40 dBFS tone level")
    failures.check(np.max(lv[:, 2]) < -80, "audiocheck: missing tone reads low")
    audiocheck.assert_tone_present(x, rate, 440)
    audiocheck.assert_tone_absent(x, rate, 1900, [440])
    for bad in (lambda: audiocheck.assert_tone_present(x, rate, 1900),
                lambda: audiocheck.assert_tone_absent(x, rate, 1300, [440], margin_db=45)):
        try:
            bad()
            failures.check(False, "audiocheck: a false claim must raise")
        except AssertionError:
            failures.check(True, "audiocheck: a false claim raises")
    y = x.copy()
    y[int(1.0 * rate):int(1.3 * rate)] = 0.0
    gap = audiocheck.continuity(y, rate)
    failures.check(abs(gap - 0.3) < 0.05, "audiocheck: 0.3 s dropout measured as %.2f s" % gap)
    failures.check(audiocheck.continuity(x, rate) == 0.0, "audiocheck: no dropout in a clean tone")


def check_echo(codec):
    pt, tone = CODECS[codec]
    name = "echo-" + codec
    with Sipp(name, ["-sf", os.path.join(SIPP_DIR, "uas_echo_any.xml")], echo=True) as sipp:
        code, rep = run_caller(name, "--uri", sipp.uri(), "--codec", codec,
                               "--tone", str(tone), "--duration", "3", "--record", wav(name))
    failures.check(code == 0, "%s: exit 0 (got %d)" % (name, code))
    failures.check(rep.get("status") == 200 and rep.get("answer_pt") == pt
                   and rep.get("codec") == codec,
                   "%s: 200 with pt %d (%s/%s)" % (name, pt, rep.get("status"), rep.get("answer_pt")))
    failures.check(rep.get("rtp_packets_received", 0) >= 120 and rep.get("rtp_packets_sent", 0) >= 120,
                   "%s: RTP both ways (%s sent, %s received)"
                   % (name, rep.get("rtp_packets_sent"), rep.get("rtp_packets_received")))
    check_hears(name, tone, (0.3, 2.8), [f for f in ALL_TONES if f != tone])


def reject_scenario(status, phrase):
    """A copy of sipp/uas_reject.xml answering `status` (sipp fixes the status
    line when loading the scenario, so it cannot come from -key)."""
    with open(os.path.join(SIPP_DIR, "uas_reject.xml")) as f:
        text = f.read().replace("486 Busy Here", "%d %s" % (status, phrase))
    path = os.path.join(WORK, "uas_reject_%d.xml" % status)
    with open(path, "w") as f:
        f.write(text)
    return path


def check_reject():
    with Sipp("reject-486", ["-sf", os.path.join(SIPP_DIR, "uas_reject.xml")]) as sipp:
        code, rep = run_caller("reject-486", "--uri", sipp.uri(), "--codec", "pcmu",
                               "--expect-status", "486")
    failures.check(code == 0 and rep.get("status") == 486, "--expect-status 486 met: exit %d" % code)
    with Sipp("reject-404", ["-sf", reject_scenario(404, "Not Found")]) as sipp:
        code, rep = run_caller("reject-404", "--uri", sipp.uri(), "--codec", "pcmu")
    failures.check(code == 2 and rep.get("status") == 404, "unexpected 404: exit 2 (got %d)" % code)
    with Sipp("reject-488", ["-sf", reject_scenario(488, "Not Acceptable Here")]) as sipp:
        code, rep = run_caller("reject-488", "--uri", sipp.uri(), "--codec", "opus",
                               "--expect-status", "486")
    failures.check(code == 2 and rep.get("status") == 488, "488 when 486 expected: exit 2 (got %d)" % code)


def check_hold():
    name = "hold"
    with Sipp(name, ["-sf", os.path.join(SIPP_DIR, "uas_echo_any.xml")], echo=True) as sipp:
        code, rep = run_caller(name, "--uri", sipp.uri(), "--codec", "pcma", "--tone", "1900",
                               "--duration", "3", "--hold-at", "1", "--resume-at", "2")
    failures.check(code == 0, "hold: exit 0 (got %d)" % code)
    failures.check(rep.get("reinvite_statuses") == [200, 200],
                   "hold: two re-INVITEs answered 200 (%s)" % rep.get("reinvite_statuses"))


def check_no_rtp():
    with Sipp("no-rtp", ["-sn", "uas"]) as sipp:   # answers PCMU, echoes nothing
        code, rep = run_caller("no-rtp", "--uri", sipp.uri(), "--codec", "opus", "--duration", "1")
    failures.check(code == 4 and rep.get("rtp_packets_received") == 0,
                   "no RTP back: exit 4 (got %d)" % code)
    failures.check(rep.get("codec") == "pcmu", "sipp's PCMU-only answer is followed (%s)" % rep.get("codec"))


def start_answerer(name, *args):
    """An mcu-test-caller in --answer mode on a free port; returns (proc, port)."""
    port = mcutest.free_port()
    log = open(os.path.join(WORK, name + ".log"), "wb")
    proc = subprocess.Popen(caller_args(name, "--answer", "--uri", "sip:127.0.0.1:%d" % port,
                                        *args), stdout=log, stderr=subprocess.STDOUT)
    log.close()
    if not wait_bound(port, proc):
        stop(proc, 0.1)
        raise RuntimeError("answerer did not start")
    return proc, port


def print_log(name):
    with open(os.path.join(WORK, name + ".log"), "rb") as f:
        sys.stdout.write(f.read().decode("utf-8", "replace"))


def check_peer_to_peer():
    """Late offer over TCP between two test peers: each hears only the other."""
    proc, port = start_answerer("p2p-b", "--transport", "tcp", "--codec", "g722",
                                "--tone", "1900", "--record", wav("p2p-b"))
    code, rep = run_caller("p2p-a", "--uri", "sip:room@127.0.0.1:%d" % port, "--transport", "tcp",
                           "--late-offer", "--codec", "g722", "--tone", "440", "--duration", "3",
                           "--record", wav("p2p-a"))
    bcode = stop(proc, 10)
    print_log("p2p-b")
    failures.check(code == 0 and bcode == 0, "p2p: both exit 0 (%d, %d)" % (code, bcode))
    failures.check(rep.get("answer_pt") == 9, "p2p: late offer answered with G.722 (%s)" % rep.get("answer_pt"))
    check_hears("p2p-a", 1900, (0.3, 2.8), [440])
    check_hears("p2p-b", 440, (0.5, 2.8), [1900])


def check_bye_from_server():
    proc, port = start_answerer("bye-b", "--duration", "1.5", "--tone", "700")
    code, rep = run_caller("bye-a", "--uri", "sip:room@127.0.0.1:%d" % port, "--codec", "pcmu",
                           "--tone", "1000", "--duration", "10", "--record", wav("bye-a"))
    bcode = stop(proc, 10)
    failures.check(code == 3 and rep.get("bye_from_server") is True,
                   "peer BYE first: exit 3 and bye_from_server (got %d)" % code)
    failures.check(bcode == 0, "answerer that hung up exits 0 (got %d)" % bcode)
    try:
        rate, samples = audiocheck.read_wav(wav("bye-a"))
        secs = len(samples) / float(rate)
        failures.check(1.2 < secs < 2.0, "WAV valid after peer BYE (%.2f s)" % secs)
    except Exception as e:  # wave.Error, EOFError
        failures.check(False, "WAV valid after peer BYE (%s)" % e)


def main():
    if not os.access(CALLER, os.X_OK):
        print("FAIL - %s not built" % CALLER)
        return 1
    if not shutil.which("sipp"):
        print("SKIP - sipp not installed")
        return 77
    print("work dir: " + WORK)
    check_audiocheck()
    for codec in CODECS:
        check_echo(codec)
    check_reject()
    check_hold()
    check_no_rtp()
    check_peer_to_peer()
    check_bye_from_server()
    if failures.failed == 0:
        shutil.rmtree(WORK, ignore_errors=True)
    failures.exit()


if __name__ == "__main__":
    sys.exit(main())
