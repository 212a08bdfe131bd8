# SPDX-License-Identifier: LGPL-2.1-or-later
"""Prompts end to end, on the real daemon with three real callers (Opus, each
sending its own tone and recording what it hears):

1. an announcement (POST /v1/rooms/R/announcements) reaches all three: the
   prompt file is found in each recording by cross-correlation;
2. a prompt to one participant (POST .../participants/A/prompts): only A
   hears it; while it plays A hears nothing of the room and nobody hears A;
   B keeps hearing C with no gap longer than 60 ms;
3. a personal notice with keep_mix: only B hears it, over the room, and
   everyone keeps hearing B;
4. events "announcement" started/done, the API's errors, mcuctl announce;
5. join/leave chimes ([rooms] join-tones=true) in a second run.

Also prints what it measures: correlation peaks, the level steps at the
prompt's edges (clicks) and the server's CPU while prompts play."""

import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import controlclient  # noqa: E402
import mcutest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PROMPTS = os.path.normpath(os.path.join(HERE, "..", "..", "prompts", "en"))
CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
MCUCTL = os.environ.get("MCUCTL_BIN", os.path.join(os.path.dirname(mcutest.MCU_BIN), "mcuctl"))
ROOM = "prompts"
TONES = {"A": 440, "B": 1000, "C": 1300}
AMPLITUDE = 0.1           # the callers' tones: -20 dBFS, speech stays visible
FOUND = 0.6               # normalized correlation peak: the prompt is there
NOT_FOUND = 0.4           # ... and below this it is not (speech against other
                          # speech peaks near 0.2, the prompt itself near 0.85)
WINDOW = 0.02             # tone-presence windows (s)
MAX_GAP = 0.06            # the longest tolerated dropout (s)

checks = mcutest.Failures()


def load_prompt(name):
    rate, samples = audiocheck.read_wav(os.path.join(PROMPTS, name + ".wav"))
    assert rate == 48000, rate
    return samples


def notch(samples, rate, freqs, width=25.0):
    """Zero the spectrum around each tone (and its first harmonics): what
    is left is what the callers did not send."""
    spec = np.fft.rfft(samples)
    f = np.fft.rfftfreq(len(samples), 1.0 / rate)
    for tone in freqs:
        for k in (1, 2, 3):
            spec[np.abs(f - k * tone) < width] = 0
    return np.fft.irfft(spec, len(samples))


def correlate(recording, rate, prompt):
    """(peak normalized cross-correlation, offset s) of prompt in recording."""
    x = notch(recording, rate, TONES.values())
    p = notch(prompt, rate, TONES.values())
    n = len(x) + len(p)
    size = 1 << (n - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(x, size) * np.conj(np.fft.rfft(p, size)), size)
    corr = corr[:len(x) - len(p) + 1]
    energy = np.concatenate(([0.0], np.cumsum(x * x)))
    local = energy[len(p):] - energy[:len(x) - len(p) + 1]
    ncc = corr / (np.sqrt(np.maximum(local, 1e-12)) * np.sqrt(np.sum(p * p)))
    i = int(np.argmax(ncc))
    return float(ncc[i]), i / float(rate)


def tone_runs(samples, rate, freq, span):
    """(longest run of WINDOW windows without `freq`, share present) in span."""
    levels = audiocheck.tone_levels(samples, rate, [freq], WINDOW)[:, 0]
    first, last = int(span[0] / WINDOW), int(span[1] / WINDOW)
    present = levels[first:last] >= audiocheck.PRESENT_DBFS
    longest = run = 0
    for p in present:
        run = 0 if p else run + 1
        longest = max(longest, run)
    return longest * WINDOW, float(np.mean(present)) if len(present) else 0.0


def tone_over_prompt(samples, rate, prompt, at, freq):
    """Share of the WINDOW windows of the prompt's span in `samples` (from
    `at` s) where `freq` is present (>= -40 dBFS) and louder than in the
    prompt itself by 6 dB: the speech has some energy at every tone."""
    start = int(at * rate)
    part = samples[start:start + len(prompt)]
    rec = audiocheck.tone_levels(part, rate, [freq], WINDOW)[:, 0]
    own = audiocheck.tone_levels(prompt[:len(part)], rate, [freq], WINDOW)[:, 0]
    n = min(len(rec), len(own))
    extra = (rec[:n] >= audiocheck.PRESENT_DBFS) & (rec[:n] >= own[:n] + 6.0)
    return float(np.mean(extra[1:-1])) if n > 2 else 1.0


def edge_steps(samples, rate, at, width=0.01):
    """Largest sample-to-sample step within +-width s of `at`, and the
    largest anywhere in the recording's steady second before it."""
    i = int(at * rate)
    w = int(width * rate)
    near = np.max(np.abs(np.diff(samples[max(0, i - w):i + w])))
    calm = np.max(np.abs(np.diff(samples[max(0, i - rate - w):max(1, i - w)])))
    return float(near), float(calm)


def start_caller(srv, workdir, name, duration):
    wav = os.path.join(workdir, name + ".wav")
    log = open(os.path.join(workdir, name + ".log"), "w")
    proc = subprocess.Popen(
        [CALLER, "--uri", srv.uri(ROOM), "--codec", "opus", "--tone", str(TONES[name]),
         "--amplitude", str(AMPLITUDE), "--duration", str(duration), "--record", wav,
         "--display-name", name, "--timeout", str(duration + 20)],
        stdout=log, stderr=subprocess.STDOUT)
    return {"name": name, "proc": proc, "wav": wav, "log": log.name}


def wait_callers(callers, timeout):
    for c in callers:
        try:
            code = c["proc"].wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            c["proc"].kill()
            code = "timeout"
        checks.check(code == 0, "caller %s exited %s: %s" % (c["name"], code, open(c["log"]).read()[-2000:]))


def participants(ctl):
    status, body = ctl.get("/v1/rooms/%s/participants" % ROOM)
    if status != 200:
        return {}
    return {p["display"]: p["id"] for p in body["participants"]}


def wait_done(events, pid, timeout=10.0):
    return events.wait_for(lambda e: e.get("type") == "announcement" and e.get("id") == pid
                           and e.get("state") == "done", timeout)


def play(ctl, events, path, body, what):
    status, reply = ctl.call("POST", path, body)
    checks.check(status == 202, "%s: %s %s" % (what, status, reply))
    if status != 202:
        return None
    started = time.monotonic()
    # the prompt id is per room; the event carries it with the room
    done = events.wait_for(lambda e: e.get("type") == "announcement" and e.get("room") == ROOM
                           and e.get("prompt_id") == reply["id"] and e.get("state") == "done", 15.0)
    checks.check(done is not None and done.get("completed") is True,
                 "%s: no completed 'done' event: %s" % (what, done))
    return time.monotonic() - started


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))


def check_api(ctl, ids):
    base = "/v1/rooms/%s" % ROOM
    cases = [
        ("unknown prompt", base + "/announcements", {"prompt": "no-such"}, 404, "no-such-prompt"),
        ("path in a name", base + "/announcements", {"prompt": "../welcome"}, 404, "no-such-prompt"),
        ("escaping file", base + "/announcements", {"file": "../en/welcome.wav"}, 404, "no-such-prompt"),
        ("both", base + "/announcements", {"prompt": "welcome", "file": "welcome.wav"}, 400, None),
        ("neither", base + "/announcements", {}, 400, None),
        ("unknown member", base + "/announcements", {"prompt": "welcome", "x": 1}, 400, None),
        ("unknown room", "/v1/rooms/nope/announcements", {"prompt": "welcome"}, 404, "no-such-room"),
        ("unknown participant", base + "/participants/999/prompts", {"prompt": "muted"}, 404,
         "no-such-participant"),
        ("keep_mix not bool", base + "/participants/%d/prompts" % ids["A"],
         {"prompt": "muted", "keep_mix": "yes"}, 400, None),
    ]
    for what, path, body, want, code in cases:
        status, reply = ctl.call("POST", path, body)
        ok = status == want and isinstance(reply, dict) and "error" in reply
        if ok and code:
            ok = reply["error"].get("code") == code
        checks.check(ok, "API %s: %s %s (want %d %s)" % (what, status, reply, want, code))


def main_room(workdir):
    extra = "[prompts]\ndir=%s\n" % PROMPTS
    welcome, alone, muted = (load_prompt(n) for n in ("welcome", "only-participant", "muted"))
    with mcutest.McuServer(extra=extra) as srv:
        ctl = controlclient.Control(srv.control_socket)
        events = controlclient.EventReader(ctl)
        events.start()
        events.connected.wait(5)
        callers = [start_caller(srv, workdir, n, 16.0) for n in ("A", "B", "C")]
        ok = mcutest.poll_until(lambda: len(participants(ctl)) == 3, 10.0)
        checks.check(ok, "three callers in the room")
        ids = participants(ctl)
        time.sleep(2.0)  # everyone hears everyone

        cpu0, t0 = cpu_seconds(srv.proc.pid), time.monotonic()
        play(ctl, events, "/v1/rooms/%s/announcements" % ROOM, {"prompt": "welcome"}, "announcement")
        time.sleep(1.0)
        play(ctl, events, "/v1/rooms/%s/participants/%d/prompts" % (ROOM, ids["A"]),
             {"prompt": "only-participant"}, "prompt to A")
        time.sleep(1.0)
        play(ctl, events, "/v1/rooms/%s/participants/%d/prompts" % (ROOM, ids["B"]),
             {"prompt": "muted", "keep_mix": True}, "notice to B")
        cpu_prompts = (cpu_seconds(srv.proc.pid) - cpu0) / (time.monotonic() - t0)
        time.sleep(1.0)
        cpu1, t1 = cpu_seconds(srv.proc.pid), time.monotonic()
        time.sleep(2.0)
        cpu_idle = (cpu_seconds(srv.proc.pid) - cpu1) / (time.monotonic() - t1)
        print("server CPU: %.1f%% of a core while prompts play, %.1f%% without (3 Opus callers)"
              % (100 * cpu_prompts, 100 * cpu_idle))

        check_api(ctl, ids)
        r = subprocess.run([MCUCTL, "--socket", srv.control_socket, "announce", ROOM, "goodbye"],
                           capture_output=True, text=True, timeout=10)
        checks.check(r.returncode == 0, "mcuctl announce: %d %s" % (r.returncode, r.stderr))
        r = subprocess.run([MCUCTL, "--socket", srv.control_socket, "announce", ROOM, "nope"],
                           capture_output=True, text=True, timeout=10)
        checks.check(r.returncode == 1 and "no-such-prompt" in r.stderr,
                     "mcuctl announce nope: %d %s" % (r.returncode, r.stderr))
        wait_callers(callers, 40)
        events.stop()
        checks.check(not events.errors, "event stream: %s" % events.errors)
        started = [e for e in events.events if e.get("type") == "announcement" and e.get("state") == "started"]
        checks.check(len(started) == 4, "4 'started' events: %s" % started)
        checks.check(any((e.get("participant") or {}).get("id") == ids["A"] for e in started),
                     "the prompt to A names A: %s" % started)

    rec = {n: audiocheck.read_wav(os.path.join(workdir, n + ".wav")) for n in ("A", "B", "C")}
    rate = rec["A"][0]
    found = {}
    for n, (r_, s) in rec.items():
        found[n] = {name: correlate(s, rate, p) for name, p in
                    (("welcome", welcome), ("only-participant", alone), ("muted", muted))}
        print("%s: correlation (peak, at s): %s" % (n, found[n]))
        checks.check(found[n]["welcome"][0] >= FOUND, "%s hears the announcement: %s" % (n, found[n]))
    checks.check(found["A"]["only-participant"][0] >= FOUND, "A hears its prompt")
    checks.check(found["B"]["muted"][0] >= FOUND, "B hears its notice")
    for n in ("B", "C"):
        checks.check(found[n]["only-participant"][0] < NOT_FOUND, "%s does not hear A's prompt" % n)
    for n in ("A", "C"):
        checks.check(found[n]["muted"][0] < NOT_FOUND, "%s does not hear B's notice" % n)

    # A, while its prompt plays: only the prompt (B's and C's tones gone)
    a_rate, a = rec["A"]
    at = found["A"]["only-participant"][1]
    span = (at + 0.05, at + len(alone) / 48000.0 - 0.05)
    for other in ("B", "C"):
        share = tone_over_prompt(a, a_rate, alone, at, TONES[other])
        checks.check(share < 0.1, "A hears %s under its prompt (%.0f%% of windows)" % (other, 100 * share))
    near, calm = edge_steps(a, a_rate, at)
    print("A at its prompt's start: largest step %.4f (steady before: %.4f)" % (near, calm))
    end = at + len(alone) / 48000.0
    near, calm = edge_steps(a, a_rate, end)
    print("A at its prompt's end: largest step %.4f (steady before: %.4f)" % (near, calm))
    checks.check(near < 0.5, "A: a click at the prompt's end (step %.3f)" % near)

    # B and C: A out of the mix for as long as its prompt (one gap), the
    # others never drop out
    duration = len(alone) / 48000.0
    for n in ("B", "C"):
        r_, s = rec[n]
        length = len(s) / float(r_)
        gap, _ = tone_runs(s, r_, TONES["A"], (1.0, length - 1.0))
        print("%s: A's tone gone for %.2f s (prompt %.2f s)" % (n, gap, duration))
        checks.check(abs(gap - duration) < 0.3, "%s: A out of the mix for %.2f s, prompt %.2f s"
                     % (n, gap, duration))
        for other in set(TONES) - {n, "A"}:
            gap, share = tone_runs(s, r_, TONES[other], (1.0, length - 1.0))
            print("%s hears %s: longest gap %.3f s, present %.1f%%" % (n, other, gap, 100 * share))
            checks.check(gap <= MAX_GAP, "%s hears %s with a %.3f s gap" % (n, other, gap))
    # B's notice kept B in the mix and the room in B's ears
    b_rate, b = rec["B"]
    at = found["B"]["muted"][1]
    span = (at + 0.05, at + len(muted) / 48000.0 - 0.05)
    for other in ("A", "C"):
        _, share = tone_runs(b, b_rate, TONES[other], span)
        checks.check(share > 0.9, "B still hears %s under its notice (%.0f%%)" % (other, 100 * share))


def join_tones(workdir):
    extra = "[prompts]\ndir=%s\n" % PROMPTS
    join, leave = load_prompt("join-tone"), load_prompt("leave-tone")
    srv = mcutest.McuServer(extra=extra)
    # [rooms] is written by McuServer: add join-tones there
    with open(srv.config) as f:
        text = f.read()
    with open(srv.config, "w") as f:
        f.write(text.replace("[rooms]\n", "[rooms]\njoin-tones=true\n", 1))
    with srv:
        ctl = controlclient.Control(srv.control_socket)
        a_start = time.monotonic()
        a = start_caller(srv, workdir, "A", 11.0)
        checks.check(mcutest.poll_until(lambda: len(participants(ctl)) == 1, 10.0), "A joined")
        time.sleep(1.5)
        b = start_caller(srv, workdir, "B", 3.0)
        wait_callers([b], 30)
        checks.check(mcutest.poll_until(lambda: len(participants(ctl)) == 1, 10.0), "B left")
        time.sleep(1.0)
        # the room's limit: 64 prompts at once, then 429
        flood_at = time.monotonic() - a_start
        path = "/v1/rooms/%s/announcements" % ROOM
        statuses = [ctl.call("POST", path, {"prompt": "music"})[0] for _ in range(64)]
        checks.check(statuses == [202] * 64, "64 prompts at once: %s" % set(statuses))
        status, reply = ctl.call("POST", path, {"prompt": "music"})
        checks.check(status == 429 and reply["error"]["code"] == "too-many-prompts",
                     "the 65th: %s %s" % (status, reply))
        checks.check(srv.alive(), "the server plays 64 prompts")
        wait_callers([a], 30)
    _, s = audiocheck.read_wav(a["wav"])
    s = s[:int((flood_at - 0.2) * 48000)]  # before the flood of music
    j = correlate(s, 48000, join)
    l_ = correlate(s, 48000, leave)
    print("A: join-tone %s, leave-tone %s" % (j, l_))
    checks.check(j[0] >= FOUND, "A hears the join chime: %s" % (j,))
    checks.check(l_[0] >= FOUND, "A hears the leave chime: %s" % (l_,))
    checks.check(l_[1] > j[1] + 2.0, "the leave chime after the join chime: %s %s" % (j, l_))


def main():
    if not os.path.isdir(PROMPTS):
        print("no prompt set at %s" % PROMPTS)
        return 1
    workdir = tempfile.mkdtemp(prefix="mcu-prompts-")
    main_room(workdir)
    join_tones(os.path.join(workdir))
    checks.exit()


if __name__ == "__main__":
    sys.exit(main())
