#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Audio: mcu against Janus AudioBridge under the same load, back to back.

For each N, runs mcu-loadgen against mcu (with its defaults, and with everyone
mixed: noise-gate=off, max-talkers=0, the work Janus does), then against Janus
AudioBridge: a throw-away Janus (HTTP transport on loopback, the AudioBridge
plugin only) with one 48 kHz room and N plain-RTP participants joined through
the AudioBridge API; mcu-loadgen --rtp-targets then drives them with the same
Opus tone callers and measures the janus process the same way (--pid). Prints
one Markdown table and the exact commands.

    tests/bench/janus_compare.py [--build DIR] [--duration SEC] [--warmup SEC]
        [--servers mcu,mcu-all,janus] [--janus PATH] [--media KEY=VAL ...]
        [--load tone|speech] [N ...]

--load: what every caller sends (mcu-loadgen --load): a steady Opus tone
(the default, comparable with the earlier tables) or speech (espeak-ng
prompts with pauses, each caller from its own point of it, the RFC 6464
level and V bit from each frame's audio, for mcu; Janus's plain-RTP
participants negotiate no level and get none). A tone is
the cheapest signal for Opus encoders at complexity >= 7 (coded as CELT);
speech costs the server's encoders more, as a real room does.

N defaults to 50 100 200 400. Run it on a quiet machine and not under `nice`:
the servers inherit the priority, and a niced server on a busy host falls
behind for reasons of its own. Needs janus (Debian `janus`, scripts/install-deps
--bench). Not a test: nothing here runs in meson test or CI.

Columns: CPU % of one core over the window and per participant; RSS growth
per participant (RSS at the window end minus the server's RSS before the
first participant, divided by N); threads (growth per participant); RTP
packets each caller received per second (mean / min: 50 is real time);
worst inter-arrival gap; delay growth over the window (window minus the media
time the callers received, mean over callers: a server that falls behind
sends less media than wall time passes and buffers the rest; its RSS grows
over the window too); real time = at
least 48 packets/s for every caller and delay growth under 2 % of the window;
packets with audio: mcu-loadgen decodes what 16 of the callers receive and
counts the packets over -40 dBFS (the lowest caller's share: what a person
hears, not only that packets come).
"""

import argparse
import json
import os
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

JANUS_LIB = "/usr/lib/x86_64-linux-gnu/janus"
PT_OPUS = 111
ROOM = 1234


def log(msg):
    print(f"janus_compare: {msg}", file=sys.stderr, flush=True)


def proc_status(pid):
    """(RSS in KB, threads) of a live process."""
    rss = threads = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss, threads


def port_pair_free(port):
    for p in (port, port + 1):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            return False
        finally:
            s.close()
    return True


def free_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def free_udp_range(count, start, avoid=()):
    """Even base such that [base, base + count) is free now (probed)."""
    for base in range(start, 65000 - count, 512):
        if any(a <= base + count and base <= b for a, b in avoid):
            continue
        if all(port_pair_free(p) for p in range(base, base + count, 2)):
            return base
    raise RuntimeError(f"no free UDP range of {count} ports")


class Janus:
    """A throw-away Janus: HTTP on loopback, AudioBridge only."""

    def __init__(self, binary, workdir, rtp_range):
        self.binary = binary
        self.dir = workdir
        self.http_port = free_tcp_port()
        self.url = f"http://127.0.0.1:{self.http_port}/janus"
        self.rtp_range = rtp_range
        self.proc = None
        self.session = None
        self.tx = 0
        self.events = []

    def write_config(self):
        for sub, lib in (("plugins", "libjanus_audiobridge.so"),
                         ("transports", "libjanus_http.so")):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
            os.symlink(os.path.join(JANUS_LIB, sub, lib),
                       os.path.join(self.dir, sub, lib))
        for sub in ("events", "loggers"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        lo, hi = self.rtp_range
        d = self.dir
        files = {
            "janus.jcfg": f"""general: {{
  configs_folder = "{d}"
  plugins_folder = "{d}/plugins"
  transports_folder = "{d}/transports"
  events_folder = "{d}/events"
  loggers_folder = "{d}/loggers"
  debug_level = 3
  session_timeout = 0
}}
media: {{ rtp_port_range = "{lo}-{hi}" }}
nat: {{ nice_debug = false ignore_mdns = true }}
events: {{ broadcast = false }}
""",
            "janus.transport.http.jcfg": f"""general: {{
  json = "plain"
  base_path = "/janus"
  http = true
  port = {self.http_port}
  ip = "127.0.0.1"
  https = false
}}
admin: {{ admin_http = false admin_https = false }}
""",
            "janus.plugin.audiobridge.jcfg": f"""general: {{
  rtp_port_range = "{lo}-{hi}"
  local_ip = "127.0.0.1"
  events = false
}}
""",
        }
        for name, text in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)

    def start(self):
        self.write_config()
        self.log_path = os.path.join(self.dir, "janus.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [self.binary, "-C", os.path.join(self.dir, "janus.jcfg"),
             "-F", self.dir, "--disable-colors"],
            stdout=self.log, stderr=subprocess.STDOUT,
            # Janus 1.1.2 can crash on SIGINT with hundreds of participants
            # (janus_plugin_push_event after the session went): no
            # multi-GB core file in the current directory.
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE,
                                                  (0, 0)))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"janus exited at start:\n{self.log_tail()}")
            try:
                r = self.request("", {"janus": "info"})
                if r.get("janus") == "server_info":
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"janus did not answer on {self.url}")

    def log_tail(self):
        with open(self.log_path) as f:
            return "".join(f.readlines()[-20:])

    def request(self, path, body=None, timeout=30):
        url = self.url + path
        if body is None:
            req = urllib.request.Request(url)
        else:
            self.tx += 1
            body = dict(body, transaction=f"t{self.tx}")
            req = urllib.request.Request(
                url, data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())

    def create_session(self):
        r = self.request("", {"janus": "create"})
        self.session = r["data"]["id"]

    def attach(self):
        r = self.request(f"/{self.session}",
                         {"janus": "attach",
                          "plugin": "janus.plugin.audiobridge"})
        return r["data"]["id"]

    def message(self, handle, body):
        return self.request(f"/{self.session}/{handle}",
                            {"janus": "message", "body": body})

    def poll(self, maxev=1000, timeout=40):
        r = self.request(f"/{self.session}?maxev={maxev}", timeout=timeout)
        return r if isinstance(r, list) else [r]

    def create_room(self, handle):
        r = self.message(handle, {"request": "create", "room": ROOM,
                                  "sampling_rate": 48000,
                                  "allow_rtp_participants": True,
                                  "audiolevel_event": False,
                                  "record": False})
        data = r["plugindata"]["data"]
        if data.get("audiobridge") != "created":
            raise RuntimeError(f"AudioBridge create: {data}")

    def join_rtp(self, local_ports, deadline_s):
        """Joins one plain-RTP participant per local port; returns the
        server's (ip, port) for each, in order."""
        handles = []
        for i, lp in enumerate(local_ports):
            h = self.attach()
            r = self.message(h, {"request": "join", "room": ROOM,
                                 "display": f"bench{i}",
                                 "rtp": {"ip": "127.0.0.1", "port": lp,
                                         "payload_type": PT_OPUS}})
            if r.get("janus") not in ("ack", "success"):
                raise RuntimeError(f"AudioBridge join {i}: {r}")
            handles.append(h)
        want = {h: i for i, h in enumerate(handles)}
        remote = [None] * len(handles)
        deadline = time.monotonic() + deadline_s
        while want and time.monotonic() < deadline:
            for ev in self.poll():
                data = ev.get("plugindata", {}).get("data", {})
                h = ev.get("sender")
                if h in want and data.get("audiobridge") == "joined" \
                        and "rtp" in data:
                    rtp = data["rtp"]
                    remote[want.pop(h)] = (rtp["ip"], rtp["port"])
                elif h in want and "error" in data:
                    raise RuntimeError(f"AudioBridge join: {data}")
        if want:
            raise RuntimeError(f"{len(want)} joins unanswered")
        # The joins queued N x N "participants" events: take them out of
        # Janus's session queue, so its RSS is not our backlog. An empty
        # queue holds the long poll (30 s): one that waits 2 s is drained.
        try:
            while True:
                self.poll(maxev=5000, timeout=2)
        except TimeoutError:
            pass
        return remote

    def stop(self):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def run_loadgen(cmd, timeout):
    log("$ " + shlex.join(cmd))
    try:
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired as e:
        log(f"mcu-loadgen did not finish in {timeout:.0f} s: killed")
        return None, e.stderr.decode(errors="replace") if e.stderr else ""
    result = None
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            result = json.loads(line)
    if result is None:
        log(f"mcu-loadgen failed (exit {p.returncode}):\n{p.stderr[-3000:]}")
    return result, p.stderr


def run_mcu(args, n, all_mixed):
    cmd = [args.loadgen, "--mcu", args.mcu, "--participants", str(n),
           "--load", args.load,
           "--duration", str(args.duration), "--warmup", str(args.warmup),
           "--setup-timeout", str(args.setup_timeout),
           "--settle-max", str(args.settle_max), "--json"]
    for kv in args.media:
        cmd += ["--media", kv]
    if all_mixed:
        cmd += ["--media", "noise-gate=off", "--media", "max-talkers=0"]
    res, err = run_loadgen(cmd, args.duration + args.warmup +
                           args.setup_timeout + args.settle_max + 120)
    if res is not None:
        res["idle_rss_kb"] = res["server_idle_rss_mb"] * 1024
        res["idle_threads"] = res["server_idle_threads"]
    return res, err, shlex.join(cmd)


def run_janus(args, n, work):
    jdir = tempfile.mkdtemp(prefix="janus-", dir=work)
    lo = free_udp_range(2 * n + 64, 30000)
    janus = Janus(args.janus, jdir, (lo, lo + 2 * n + 63))
    res = err = cmd = None
    try:
        janus.start()
        janus.create_session()
        janus.create_room(janus.attach())
        time.sleep(0.5)
        idle_rss, idle_threads = proc_status(janus.proc.pid)
        # Above Linux's ephemeral ports (32768-60999) when they fit: other
        # programs' port-0 sockets took ports of a probed range before
        # mcu-loadgen bound them ("Address already in use").
        try:
            base = free_udp_range(2 * n + 2, 61000,
                                  avoid=[janus.rtp_range])
        except RuntimeError:
            base = free_udp_range(2 * n + 2, 46000,
                                  avoid=[janus.rtp_range])
        local = [base + 2 * i for i in range(n)]
        t0 = time.monotonic()
        remote = janus.join_rtp(local, args.setup_timeout)
        join_s = time.monotonic() - t0
        log(f"janus pid {janus.proc.pid}: {n} plain-RTP participants joined "
            f"in {join_s:.1f} s")
        targets = os.path.join(jdir, "rtp-targets")
        with open(targets, "w") as f:
            for lp, (ip, port) in zip(local, remote):
                f.write(f"{lp} {ip}:{port}\n")
        cmd = [args.loadgen, "--rtp-targets", targets,
               "--pid", str(janus.proc.pid), "--load", args.load,
               "--duration", str(args.duration), "--warmup", str(args.warmup),
               "--settle-max", str(args.settle_max), "--json"]
        res, err = run_loadgen(cmd, args.duration + args.warmup +
                               args.settle_max + 120)
        if res is not None:
            res["idle_rss_kb"] = idle_rss
            res["idle_threads"] = idle_threads
            err = (f"Janus before the joins: {idle_rss / 1024:.1f} MB / "
                   f"{idle_threads} threads; {n} plain-RTP participants "
                   f"joined through the AudioBridge API in {join_s:.1f} s "
                   "(the loadgen's 'setup ms' and 'server idle' do not "
                   "apply: it starts after the joins)\n" + err)
    except (RuntimeError, OSError, KeyError, ValueError) as e:
        log(f"janus N={n}: {e}")
        if janus.proc is not None:
            log(janus.log_tail())
    finally:
        rc = janus.stop()
        if rc not in (0, None):
            log(f"janus exited with {rc} on SIGINT")
            err = (err or "") + f"janus exited with {rc} on SIGINT\n"
    return res, err, (shlex.join(cmd) if cmd else None)


def row(server, n, r):
    if r is None:
        return f"| {server} | {n} | failed, see stderr |||||||||||"
    up = max(r["calls_up"], 1)
    window = r["window_s"]
    cpu = r.get("server_cpu_pct", float("nan"))
    rss_kb = r.get("server_rss_mb", 0) * 1024
    rss_pp = (rss_kb - r["idle_rss_kb"]) / up / 1024
    rss_growth = r.get("server_rss_mb", 0) - r.get(
        "server_rss_mb_window_start", 0)
    threads = r.get("server_threads", 0)
    thr_pp = (threads - r["idle_threads"]) / up
    ratio = r["rx_rtp_clock_ratio"]
    growth_ms = max(0.0, (1 - ratio) * window * 1000) if ratio else float(
        "nan")
    realtime = r["packets_per_s_min"] >= 48 and ratio >= 0.98
    ncell = str(n) if r["calls_up"] == n else f"{n} ({r['calls_up']} up)"
    return (f"| {server} | {ncell} | {cpu:.1f} | {cpu / up:.2f} | "
            f"{rss_pp:.2f} | {threads} ({thr_pp:+.2f}) | "
            f"{r['packets_per_s_mean']:.1f} / {r['packets_per_s_min']:.1f} | "
            f"{r['worst_gap_ms']:.0f} | {growth_ms:.0f} | {rss_growth:+.1f} | "
            f"{'yes' if realtime else 'no'} | "
            f"{r.get('audible_pct_min', float('nan')):.1f} ({r.get('receivers_decoded', 0)}) |")


def main():
    src_root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build", default=os.environ.get(
        "MCU_BUILD_DIR", os.path.join(src_root, "build")))
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--warmup", type=float, default=3)
    ap.add_argument("--setup-timeout", type=float, default=120)
    ap.add_argument("--settle-max", type=float, default=30)
    ap.add_argument("--servers", default="mcu,mcu-all,janus",
                    help="which to run, in this order (mcu = defaults, "
                    "mcu-all = noise-gate=off max-talkers=0, janus)")
    ap.add_argument("--media", action="append", default=[],
                    metavar="KEY=VAL",
                    help="extra [media] key for both mcu runs (repeatable), "
                    "e.g. shared-jitter-buffer=true")
    ap.add_argument("--load", choices=("tone", "speech"), default="tone",
                    help="what every caller sends (default tone)")
    ap.add_argument("--janus", default=shutil.which("janus") or
                    "/usr/bin/janus")
    ap.add_argument("sizes", nargs="*", type=int,
                    default=[50, 100, 200, 400])
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    args.mcu = os.path.join(args.build, "mcu", "mcu")
    args.loadgen = os.path.join(args.build, "tests", "bench", "mcu-loadgen")
    servers = args.servers.split(",")
    if shutil.which("ninja") and os.path.exists(
            os.path.join(args.build, "build.ninja")):
        subprocess.run(["ninja", "-C", args.build, "-j2", "mcu/mcu",
                        "tests/bench/mcu-loadgen"], stdout=sys.stderr,
                       check=True)
    for f in [args.mcu, args.loadgen] + (
            [args.janus] if "janus" in servers else []):
        if not os.access(f, os.X_OK):
            sys.exit(f"janus_compare: {f} missing (meson setup {args.build}; "
                     "scripts/install-deps --bench for janus)")

    loadavg_before = open("/proc/loadavg").read().split()[:3]
    rows, cmds, details = [], [], []
    with tempfile.TemporaryDirectory(prefix="janus-compare-") as work:
        for n in args.sizes:
            for server in servers:
                log(f"{server} N={n}")
                if server == "janus":
                    res, err, cmd = run_janus(args, n, work)
                elif server in ("mcu", "mcu-all"):
                    res, err, cmd = run_mcu(args, n, server == "mcu-all")
                else:
                    sys.exit(f"janus_compare: unknown server {server}")
                rows.append(row(server, n, res))
                if cmd:
                    cmds.append(cmd)
                details.append((server, n, err or ""))
    jv = ""
    if "janus" in servers:
        jv = subprocess.run([args.janus, "--version"], capture_output=True,
                            text=True).stdout.splitlines()[0]
    print()
    print(f"Host: {os.cpu_count()} CPUs, load average "
          f"{' '.join(loadavg_before)} before, "
          f"{' '.join(open('/proc/loadavg').read().split()[:3])} after; "
          f"{jv}; {args.duration:g} s window; load: {args.load}")
    print()
    print("| server | N | CPU % of one core | CPU % per participant | "
          "RSS MB per participant | threads (per participant) | "
          "packets out/s per participant (mean / min) | worst gap ms | "
          "delay growth over the window ms | RSS growth over the window MB "
          "| real time | packets with audio %, lowest of N decoded |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for r in rows:
        print(r)
    print()
    print(f"Commands (from {src_root}):")
    print("- `" + shlex.join([sys.argv[0]] + sys.argv[1:]) + "`")
    for c in cmds:
        print(f"- `{c}`")
    print()
    print("Details (mcu-loadgen's stderr):")
    for server, n, err in details:
        print(f"\n{server} N={n}:\n```")
        for line in err.splitlines():
            if not line.startswith(("mcu-loadgen: measuring",
                                    "mcu-loadgen: server pid")):
                print(line.removeprefix("mcu-loadgen: "))
        print("```")


if __name__ == "__main__":
    main()
