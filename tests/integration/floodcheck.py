# SPDX-License-Identifier: LGPL-2.1-or-later
"""An INVITE flood against the real daemon while legitimate callers join,
shared by test_flood.py (CI-sized) and tests/bench/flood-bench.py.

The flood is sipp (sipp/flood_invite_no_ack.xml: INVITEs never ACKed and
never followed by RTP) from 127.0.0.1. An occupant (127.0.0.3) sends a
tone into the room; during the flood a legitimate caller (127.0.0.2) joins
with mcu-test-caller, and an OPTIONS probe (127.0.0.4) checks that the
server still answers. The server's threads and RSS are sampled from /proc
all along; recovery is the time from the end of the flood until the threads
are back near the baseline and a call from the flood's own address gets
200 again.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid

import controlclient
import mcutest

SIPP = shutil.which("sipp") or "/usr/bin/sipp"
HERE = os.path.dirname(os.path.abspath(__file__))
CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
OCCUPANT_TONE = 600
LEGIT_TONE = 440


def proc_stats(pid):
    """(threads, rss_kib) of @pid from /proc, or (0, 0) once it is gone."""
    threads = rss = 0
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Threads:"):
                    threads = int(line.split()[1])
                elif line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
    except OSError:
        pass
    return threads, rss


class Sampler(threading.Thread):
    """Samples the server's threads and RSS every @step seconds."""

    def __init__(self, pid, step=0.1):
        super().__init__(daemon=True)
        self.pid, self.step = pid, step
        self.samples = []  # (monotonic, threads, rss_kib)
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.is_set():
            t, r = proc_stats(self.pid)
            self.samples.append((time.monotonic(), t, r))
            self.stop_event.wait(self.step)

    def stop(self):
        self.stop_event.set()
        self.join()

    def peak(self, since=None, until=None):
        rows = [s for s in self.samples
                if (since is None or s[0] >= since) and (until is None or s[0] <= until)]
        return (max((s[1] for s in rows), default=0), max((s[2] for s in rows), default=0))


def options_rtt(port, ip="127.0.0.4", timeout=2.0):
    """Seconds until the server answers one OPTIONS from @ip, or None.
    Retransmitted every 500 ms (RFC 3261 timer E, as a phone does)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, 0))
    lport = s.getsockname()[1]
    cid = uuid.uuid4().hex
    msg = ("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s\r\n"
           "From: <sip:probe@%s>;tag=%s\r\nTo: <sip:127.0.0.1:%d>\r\nCall-ID: %s\r\n"
           "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
           % (port, ip, lport, cid[:12], ip, cid[:8], port, cid)).encode()
    t0 = time.monotonic()
    next_send = t0
    try:
        while time.monotonic() - t0 < timeout:
            if time.monotonic() >= next_send:
                s.sendto(msg, ("127.0.0.1", port))
                next_send += 0.5
            s.settimeout(max(0.01, min(next_send, t0 + timeout) - time.monotonic()))
            try:
                data = s.recv(65535)
            except socket.timeout:
                continue
            if cid.encode() in data and data.startswith(b"SIP/2.0 200"):
                return time.monotonic() - t0
        return None
    finally:
        s.close()


def control_rtt(srv):
    """Seconds for GET /v1/rooms on the control socket, or None (no 200)."""
    t0 = time.monotonic()
    try:
        status, _ = controlclient.Control(srv.control_socket).get("/v1/rooms")
    except OSError:
        return None
    return time.monotonic() - t0 if status == 200 else None


def start_flood(port, rate, seconds, work, room="1000"):
    """sipp from 127.0.0.1: @rate INVITEs a second for @seconds."""
    total = int(rate * seconds)
    args = [SIPP, "-sf", os.path.join(HERE, "sipp", "flood_invite_no_ack.xml"), "-nostdin",
            "-r", str(rate), "-rp", "1000", "-m", str(total), "-l", str(total),
            "-i", "127.0.0.1", "-mi", "127.0.0.1", "-s", room,
            "-p", str(mcutest.free_port()), "-mp", str(mcutest.free_port()),
            "-cp", str(mcutest.free_port()), "-timeout", "%ds" % (seconds + 20),
            "127.0.0.1:%d" % port]
    log = open(os.path.join(work, "sipp-flood.log"), "w")
    return subprocess.Popen(args, cwd=work, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT)


def start_caller(srv, work, name, ip, tone, duration, room="1000", expect=None):
    wav = os.path.join(work, name + ".wav")
    report = os.path.join(work, name + ".json")
    args = [CALLER, "--uri", srv.uri(room), "--local-ip", ip, "--codec", "pcmu",
            "--tone", str(tone), "--duration", str(duration), "--record", wav,
            "--report", report, "--display-name", name, "--timeout", str(duration + 20)]
    if expect:
        args += ["--expect-status", str(expect)]
    log = open(os.path.join(work, name + ".log"), "w")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    return {"name": name, "proc": proc, "wav": wav, "report": report,
            "log": os.path.join(work, name + ".log")}


def read_report(c):
    try:
        with open(c["report"]) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def run(srv, rate, seconds, legit_at=0.5, settle=2.0, recovery_limit=60.0,
        out=print):
    """Runs the whole scenario against the started @srv; returns a dict of
    what was measured."""
    work = tempfile.mkdtemp(prefix="mcu-flood-")
    pid = srv.proc.pid
    res = {"rate": rate, "seconds": seconds}
    occupant = start_caller(srv, work, "occupant", "127.0.0.3", OCCUPANT_TONE,
                            seconds + legit_at + 12)
    mcutest.poll_until(lambda: read_report(occupant) or
                       "joined room" in srv.log_text(), 10)
    time.sleep(settle)  # the occupant's media settles: the baseline
    res["baseline_threads"], res["baseline_rss_kib"] = proc_stats(pid)
    sampler = Sampler(pid)
    sampler.start()
    flood_start = time.monotonic()
    flood = start_flood(srv.port, rate, seconds, work)
    time.sleep(legit_at)
    legit = start_caller(srv, work, "legit", "127.0.0.2", LEGIT_TONE, 4)
    rtts, ctl = [], []
    while flood.poll() is None and time.monotonic() - flood_start < seconds + 20:
        rtts.append(options_rtt(srv.port))
        ctl.append(control_rtt(srv))
        time.sleep(0.2)
    flood_end = time.monotonic()
    res["flood_seconds"] = flood_end - flood_start
    res["options_answered"] = sum(1 for r in rtts if r is not None)
    res["options_sent"] = len(rtts)
    res["options_worst_s"] = max((r for r in rtts if r is not None), default=None)
    res["control_answered"] = sum(1 for r in ctl if r is not None)
    res["control_worst_s"] = max((r for r in ctl if r is not None), default=None)
    legit["proc"].wait(60)
    rep = read_report(legit)
    res["legit_status"] = rep.get("status")
    res["legit_exit"] = legit["proc"].returncode
    if rep.get("invite_unix") and rep.get("call_start_unix"):
        res["legit_setup_s"] = rep["call_start_unix"] - rep["invite_unix"]
    res["legit_rtp_received"] = rep.get("rtp_packets_received")
    res["legit_wav"] = legit["wav"]
    res["peak_threads"], res["peak_rss_kib"] = sampler.peak(flood_start, flood_end)

    # recovery: threads back near the baseline and a call from the flood's
    # own address answered again
    recovered_at = None
    while time.monotonic() - flood_end < recovery_limit:
        threads, _ = proc_stats(pid)
        if threads <= res["baseline_threads"] + 4:
            probe = start_caller(srv, work, "probe-%d" % len(sampler.samples), "127.0.0.1",
                                 500, 1)
            probe["proc"].wait(30)
            if read_report(probe).get("status") == 200:
                recovered_at = time.monotonic()
                break
        time.sleep(0.5)
    sampler.stop()
    res["recovery_s"] = recovered_at - flood_end if recovered_at else None
    res["after_threads"], res["after_rss_kib"] = proc_stats(pid)
    occupant["proc"].terminate()
    occupant["proc"].wait(20)
    res["work"] = work
    return res
