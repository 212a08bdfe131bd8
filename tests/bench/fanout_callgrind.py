#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Instructions per output push of the audio mixer, under callgrind.

Starts the server (BUILD/mcu/mcu, with a generated loopback config like
mcu-loadgen's) under `valgrind --tool=callgrind`, collecting only inside
the mixer's per-output push (--toggle-collect, default
mcu_mix_minus_push_output in plugins/mcu-mix-minus-src.c: the push of one
src_N, its shared-frame hook, its downstream chain and everything they
call). mcu-loadgen dials --participants callers (default 30) into one
room through --port/--pid; its --steady-hook zeroes the counters at the
window start (callgrind_control -z) and dumps them at the window end
(callgrind_control -d), so joins, warm-up and hang-ups are not counted.

Prints from that dump: calls of the function, its inclusive instructions
and instructions per push; the same with libopus left out (every call from
outside libopus into it: opus_*, silk_*, celt_* or an object named
libopus*, with what those call); the calls of opus_encode inside pushes
(the room's shared encode is made by the first listener's push that asks
for it, and each mixed talker's own encode by its own push: libopus IS
reached inside the push); the function's direct callees per push; then
the exact commands run.

After the fan-out (session 28) the figure per push is a blend of two
paths: a push the shared-frame hook takes (about 3,000 Ir) and one through
the output's element chain (a talker's own mix, a private listener: about
10,000-14,000 Ir without libopus); the script prints the split. How many
outputs take the chain depends on how many talkers the mixer hears in time.

Slow: under valgrind the server may not keep real time with 30 callers
(4-45 frames/s here on a busy 2-core host; the "frames/s" line says), which
moves that split a little; collecting the encodes slows it most, and
--toggle-off opus_encode leaves them out of the collection. About two
minutes for 30 callers.

    tests/bench/fanout_callgrind.py [--build DIR] [--participants 30]
        [--talkers K] [--load tone|speech] [--duration 10] [--warmup 5]
        [--function NAME] [--toggle-off FUNC ...] [--keep]

Not a test: nothing here runs in meson test or CI.
"""

import argparse
import collections
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
OPUS_PREFIXES = ("opus_", "silk_", "celt_")


def log(msg):
    print(f"fanout_callgrind: {msg}", file=sys.stderr, flush=True)


def free_udp_range(count, start):
    """First port >= start of `count` free UDP ports (as mcu-loadgen's
    mcu_loadgen_pick_port_range does)."""
    base = start
    while base + count < 65000:
        socks = []
        try:
            for p in range(base, base + count):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            base += count
        finally:
            for s in socks:
                s.close()
    sys.exit("no free RTP port range")


def free_sip_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
        t.bind(("127.0.0.1", port))  # the config listens on udp and tcp
    return port


def write_config(path, tmp, sip_port, rtp_min, rtp_max, media):
    # the config mcu-loadgen writes for --mcu (mcu-loadgen-proc.c)
    with open(path, "w") as f:
        f.write("[sip]\nlisten=127.0.0.1\nport=%d\ntransports=udp,tcp\n"
                "domain=127.0.0.1\n\n"
                "[media]\naddress=127.0.0.1\nrtp-port-min=%d\nrtp-port-max=%d\n"
                "rtp-timeout=30\n%s\n\n"
                "[rooms]\nauto-create=true\nmax-participants=0\n\n"
                "[limits]\ninvite-rate=0\nmax-calls=0\nmax-half-open=0\n"
                "max-half-open-per-source=0\n\n"
                "[storage]\ndatabase=%s/mcu.db\n\n"
                "[control]\nsocket=%s/control.sock\n"
                % (sip_port, rtp_min, rtp_max, "\n".join(media), tmp, tmp))


class Callgrind:
    """What one callgrind dump says: self cost per function and cost per
    call arc (count, inclusive Ir), functions as (object, name)."""

    def __init__(self, path):
        self.self_ir = collections.Counter()
        self.arcs = collections.defaultdict(lambda: [0, 0])
        self.summary = None
        self.events = None
        names = {"ob": {}, "fl": {}, "fn": {}}
        kind_of = {"ob": "ob", "cob": "ob", "fl": "fl", "fi": "fl", "fe": "fl",
                   "cfi": "fl", "cfl": "fl", "fn": "fn", "cfn": "fn"}
        ob = fn = cob = cfn = None
        call = None  # count of the calls= line whose cost line comes next
        npos = 1
        with open(path, errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line or line[0] == "#":
                    continue
                if line[0].isdigit() or line[0] in "+-*":
                    tok = line.split()
                    ir = int(tok[npos]) if len(tok) > npos else 0
                    if call is not None:
                        arc = self.arcs[((ob, fn), (cob or ob, cfn))]
                        arc[0] += call
                        arc[1] += ir
                        call, cob = None, None
                    else:
                        self.self_ir[(ob, fn)] += ir
                    continue
                key, eq, val = line.partition("=")
                if eq and key in kind_of:
                    m = re.match(r"\((\d+)\)\s*(.*)$", val)
                    table = names[kind_of[key]]
                    if m and m.group(2):
                        table[m.group(1)] = m.group(2)
                        val = m.group(2)
                    elif m:
                        val = table.get(m.group(1), "?" + m.group(1))
                    val = re.sub(r"'\d+$", "", val)  # recursion level suffix
                    if key == "ob":
                        ob = val
                    elif key == "cob":
                        cob = val
                    elif key == "fn":
                        fn, cob = val, None
                    elif key == "cfn":
                        cfn = val
                elif key == "calls" and eq:
                    call = int(val.split()[0])
                elif line.startswith("positions:"):
                    npos = len(line.split()) - 1
                elif line.startswith("events:"):
                    self.events = line.split()[1:]
                elif line.startswith("summary:") or line.startswith("totals:"):
                    self.summary = int(line.split()[1])


def is_opus(func):
    obj, name = func
    return (os.path.basename(obj or "").startswith("libopus")
            or (name or "").startswith(OPUS_PREFIXES))


def report(cg, function, out, window=None, outputs=None):
    into = [(a, c) for a, c in cg.arcs.items() if a[1][1] == function]
    calls = sum(c[0] for _, c in into)
    incl = sum(c[1] for _, c in into)
    if calls == 0:
        sys.exit("no call of %s in %s: not reached, or inlined into its callers "
                 "(check with nm/objdump)" % (function, out))
    # what libopus costs in there: arcs from outside it into it
    opus = sum(c[1] for (a, b), c in cg.arcs.items() if is_opus(b) and not is_opus(a))
    enc = [c for (a, b), c in cg.arcs.items() if b[1] == "opus_encode" and not is_opus(a)]
    enc_calls, enc_ir = sum(c[0] for c in enc), sum(c[1] for c in enc)
    callers = sorted({a[0][1] for a, _ in into})
    print("events: %s; total collected (summary): %s Ir" % (" ".join(cg.events or []), cg.summary))
    print("| function | calls | inclusive Ir | Ir per push | libopus Ir | Ir per push, libopus excluded |")
    print("|---|---:|---:|---:|---:|---:|")
    print("| %s | %d | %d | %.0f | %d | **%.0f** |"
          % (function, calls, incl, incl / calls, opus, (incl - opus) / calls))
    # A push still running at the dump has its cost in the summary but not
    # yet on its call arc (added on return): a small difference is that.
    print("callers: %s; collected outside finished calls of it: %d Ir (%.2f %% of the summary)"
          % (", ".join(callers), (cg.summary or 0) - incl,
             100.0 * ((cg.summary or 0) - incl) / cg.summary if cg.summary else 0))
    if window and outputs:
        print("%.0f pushes/s over the %.1f s window: %.1f frames/s for %d outputs "
              "(50 = real time)" % (calls / window, window, calls / window / outputs, outputs))
    print("libopus inside the pushes: %d calls of opus_encode (%.2f per push; %d Ir, %.0f per call); "
          "libopus in all: %d Ir (%.1f %% of the pushes)"
          % (enc_calls, enc_calls / calls, enc_ir, enc_ir / enc_calls if enc_calls else 0,
             opus, 100.0 * opus / incl if incl else 0))
    # The average is a blend of two paths after the fan-out (session 28):
    # a push the shared-frame hook takes, and one through the output's
    # element chain (talkers' own mixes, private listeners); its figure
    # moves with the share of the second.
    chain = [c for (a, b), c in cg.arcs.items() if a[1] == function and b[1] == "gst_pad_push"]
    n_chain, ir_chain = sum(c[0] for c in chain), sum(c[1] for c in chain)
    print("pushes through the output's element chain (gst_pad_push): %d of %d (%.1f %%), "
          "%.0f Ir each, libopus included; the others: %.0f Ir each, libopus included"
          % (n_chain, calls, 100.0 * n_chain / calls, ir_chain / n_chain if n_chain else 0,
             (incl - ir_chain) / (calls - n_chain) if calls > n_chain else 0))
    own = sum(ir for f, ir in cg.self_ir.items() if f[1] == function)
    direct = collections.Counter()
    ncalls = collections.Counter()
    for (a, b), c in cg.arcs.items():
        if a[1] == function:
            direct[b[1]] += c[1]
            ncalls[b[1]] += c[0]
    print("per push: %.0f Ir in the function itself; its direct callees, libopus included "
          "(inclusive Ir per push, calls per push, Ir per call):" % (own / calls))
    for name, ir in direct.most_common(12):
        print("  %8.0f  %6.3f  %9.0f  %s"
              % (ir / calls, ncalls[name] / calls, ir / max(ncalls[name], 1), name))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(SRC, "build"))
    ap.add_argument("--participants", "-n", type=int, default=30)
    ap.add_argument("--talkers", type=int, default=None,
                    help="only the first K callers talk (mcu-loadgen --talkers; default: all, "
                    "its default)")
    ap.add_argument("--load", default=None, help="mcu-loadgen --load (tone by default)")
    ap.add_argument("--duration", type=float, default=10,
                    help="the window in which the pushes are counted (s)")
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--setup-timeout", type=float, default=600,
                    help="mcu-loadgen --setup-timeout: joins are slow under valgrind")
    ap.add_argument("--settle-max", type=float, default=30)
    ap.add_argument("--start-timeout", type=float, default=300,
                    help="seconds for the server under valgrind to say \"listening on\"")
    ap.add_argument("--function", default="mcu_mix_minus_push_output")
    ap.add_argument("--toggle-off", action="append", default=[], metavar="FUNC",
                    help="also --toggle-collect=FUNC: inside a push, FUNC and what it calls are "
                    "not collected (e.g. opus_encode: then each callee's figure below is without "
                    "the encodes; a FUNC run outside pushes would be collected, and the "
                    "'collected outside' line shows it)")
    ap.add_argument("--media", action="append", default=[], help="[media] KEY=VALUE")
    ap.add_argument("--valgrind", default="valgrind")
    ap.add_argument("--keep", action="store_true", help="keep the config, log and callgrind files")
    args = ap.parse_args()

    build = os.path.abspath(args.build)
    mcu = os.path.join(build, "mcu", "mcu")
    loadgen = os.path.join(build, "tests", "bench", "mcu-loadgen")
    for exe in (mcu, loadgen):
        if not os.access(exe, os.X_OK):
            sys.exit("%s missing: build first (meson compile -C %s)" % (exe, build))
    nm = subprocess.run(["nm", mcu], capture_output=True, text=True).stdout
    sym = [line for line in nm.splitlines() if line.split()[-1:] == [args.function]]
    log("symbol in %s: %s" % (mcu, sym[0] if sym else "NOT FOUND (stripped or inlined?)"))

    tmp = tempfile.mkdtemp(prefix="mcu-callgrind-")
    conf, srv_log = os.path.join(tmp, "mcu.conf"), os.path.join(tmp, "mcu.log")
    out = os.path.join(tmp, "callgrind.out")
    count = max(400, 2 * args.participants + 64)
    sip_port = free_sip_port()
    rtp_min = free_udp_range(count, 30000 + 2 * (os.getpid() % 4096))
    write_config(conf, tmp, sip_port, rtp_min, rtp_min + count - 1, args.media)

    server_cmd = ([args.valgrind, "--tool=callgrind", "--collect-atstart=no",
                   "--toggle-collect=" + args.function]
                  + ["--toggle-collect=" + f for f in args.toggle_off]
                  + ["--fair-sched=try", "--callgrind-out-file=" + out, mcu, "--config", conf])
    env = dict(os.environ)
    env.pop("G_MESSAGES_DEBUG", None)  # debug logging would be counted
    started = time.monotonic()
    with open(srv_log, "w") as lf:
        server = subprocess.Popen(server_cmd, stdout=lf, stderr=subprocess.STDOUT, env=env,
                                  start_new_session=True)
    log("server pid %d under callgrind, log %s" % (server.pid, srv_log))
    try:
        deadline = time.monotonic() + args.start_timeout
        while True:
            with open(srv_log, errors="replace") as lf:
                if "listening on" in lf.read():
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit("the server did not start (see %s)" % srv_log)
            time.sleep(0.5)
        log("server listening after %.0f s" % (time.monotonic() - started))

        # zero at the window start, dump at its end: only the steady room
        hook = ('callgrind_control -z "$MCU_PID" >%(t)s/zero.log 2>&1 && date +%%s.%%N >%(t)s/t0 '
                '&& sleep "$MCU_LOADGEN_DURATION" && callgrind_control -d "$MCU_PID" '
                '>%(t)s/dump.log 2>&1 && date +%%s.%%N >%(t)s/t1' % {"t": tmp})
        lg_cmd = [loadgen, "--port", str(sip_port), "--pid", str(server.pid),
                  "--participants", str(args.participants),
                  "--duration", str(args.duration), "--warmup", str(args.warmup),
                  "--setup-timeout", str(args.setup_timeout),
                  "--settle-max", str(args.settle_max), "--steady-hook", hook, "--json"]
        if args.talkers is not None:
            lg_cmd += ["--talkers", str(args.talkers)]
        if args.load:
            lg_cmd += ["--load", args.load]
        lg = subprocess.run(lg_cmd, stdout=subprocess.PIPE, text=True)
        lines = lg.stdout.strip().splitlines()
        row = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else None
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
    dump = out + ".1"
    if not os.path.exists(dump):
        sys.exit("no callgrind dump %s (mcu-loadgen exit %d; see %s and %s/zero.log, dump.log)"
                 % (dump, lg.returncode, srv_log, tmp))
    try:
        with open(os.path.join(tmp, "t0")) as a, open(os.path.join(tmp, "t1")) as b:
            window = float(b.read()) - float(a.read())
    except (OSError, ValueError):
        window = float("nan")

    print("# callgrind: %s, %d callers%s, window %.1f s between zero and dump%s"
          % (args.function, args.participants,
             "" if args.talkers is None else " (%d talking)" % args.talkers, window,
             "; not collected inside it: " + ", ".join(args.toggle_off) if args.toggle_off else ""))
    if row:
        print("mcu-loadgen: %d/%d calls up, %s talkers, packets/s per caller %.1f mean / %.1f min "
              "(50 = real time: under valgrind it need not be), server CPU %.0f %% of one core"
              % (row.get("calls_up", 0), row.get("participants", 0), row.get("talkers", "?"),
                 row.get("packets_per_s_mean", 0), row.get("packets_per_s_min", 0),
                 row.get("server_cpu_pct", 0)))
    else:
        print("mcu-loadgen: no JSON row (exit %d)" % lg.returncode)
    report(Callgrind(dump), args.function, dump, window,
           row.get("calls_up") if row else None)
    print("commands:")
    print("  " + shlex.join(server_cmd))
    print("  " + shlex.join(lg_cmd))
    print("  (the steady hook: callgrind_control -z at the window start, -d at its end; "
          "this script parses %s)" % dump)
    if args.keep:
        log("kept %s" % tmp)
    else:
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
