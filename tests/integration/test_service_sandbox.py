# SPDX-License-Identifier: LGPL-2.1-or-later
"""The daemon as mcu.service runs it, as far as a test without systemd as
PID 1 can: an unprivileged user (nobody standing in for mcu) with HOME in a
state directory of its own, XDG_RUNTIME_DIR=/run (not writable: as in the
unit), and a seccomp filter equal to MemoryDenyWriteExecute=yes (mdwe.py).
Two callers (Opus, PCMU) get 200 and RTP both ways, GStreamer's ORC still
compiles (its code is in a twice-mapped orcexec file in HOME, not in
anonymous W+X memory, which the filter refuses), and SIGTERM exits 0.
As the unit's LimitNICE=-10 (RLIMIT_NICE 30) lets it, the room's mixing
thread, the playout workers and the mix pool's workers (which the mixing
thread waits on) run at nice -10 and every other thread at 0 (without the
limit they would keep 0, and say so once in the log). Raising RLIMIT_NICE needs
CAP_SYS_RESOURCE, which root in some containers (this CI's) lacks: there the
test grants the permission the other way the kernel knows, an ambient
CAP_SYS_NICE, and says so; the daemon's side is the same."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcutest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
checks = mcutest.Failures()


def thread_nices(pid):
    """{thread name: [nice, ...]} of the process' threads."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                stat = f.read()
        except OSError:
            continue  # the thread ended
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        out.setdefault(name, []).append(int(fields[16]))  # field 19: nice
    return out


def check_priorities(pid):
    nices = thread_nices(pid)
    print("threads (name: nice values): %s" % nices)
    raised = {n: v for n, v in nices.items() if -10 in v}
    base = nices["mcu"][0]  # the main thread: the nice the test was started at
    checks.check(all(v == [-10] for n, v in nices.items() if n.startswith("mcu-playout")) and
                 any(n.startswith("mcu-playout") for n in nices),
                 "the playout workers run at nice -10")
    checks.check(nices.get("mixer:src") == [-10], "the mixing thread runs at nice -10")
    # g_thread_new's name; one worker per CPU but one (none on a single
    # CPU), at most 15 (mcu-mix-pool.h)
    pool = nices.get("mcu-mix-pool", [])
    checks.check(pool == [-10] * min(len(os.sched_getaffinity(0)) - 1, 15),
                 "the mix pool's workers run at nice -10 (%s)" % pool)
    checks.check(all(x == base for n, v in nices.items() if n not in raised for x in v),
                 "every other thread keeps the process' nice (%d)" % base)


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root to run the server as nobody")
        sys.exit(77)
    srv = mcutest.McuServer()
    # nobody reads the config and writes the database, socket and ORC's file
    os.chmod(srv.dir, 0o777)
    os.chmod(srv.config, 0o644)
    state = os.path.join(srv.dir, "state")
    os.mkdir(state, 0o777)
    # a copy of the binary: the build tree may not be reachable for nobody
    binary = os.path.join(srv.dir, "mcu")
    shutil.copy2(mcutest.MCU_BIN, binary)
    os.chmod(binary, 0o755)
    mcutest.MCU_BIN = binary
    srv.env.update(HOME=state, XDG_RUNTIME_DIR="/run", XDG_CACHE_HOME=state,
                   GST_REGISTRY=os.path.join(state, "registry.bin"))
    if subprocess.run(["prlimit", "--nice=30", "true"],
                      stderr=subprocess.DEVNULL).returncode == 0:
        print("priority: RLIMIT_NICE 30, as the unit's LimitNICE=-10")
        allow = ["prlimit", "--nice=30", "setpriv"]
    else:
        print("priority: cannot raise RLIMIT_NICE here (no CAP_SYS_RESOURCE): "
              "an ambient CAP_SYS_NICE instead")
        allow = ["setpriv", "--inh-caps=+sys_nice", "--ambient-caps=+sys_nice"]
    srv.prefix = allow + ["--reuid=nobody", "--regid=nogroup", "--clear-groups",
                  "/usr/bin/python3", os.path.join(HERE, "mdwe.py")]
    work = tempfile.mkdtemp(prefix="mcu-sandbox-")
    with srv:
        with open("/proc/%d/status" % srv.proc.pid) as f:
            status = f.read()
        checks.check("\nUid:\t65534\t" in status, "the server runs as nobody")
        checks.check("\nSeccomp:\t2\n" in status, "under the seccomp filter")
        procs = []
        for codec, tone in (("opus", 440), ("pcmu", 1000)):
            procs.append(subprocess.Popen(
                [CALLER, "--uri", srv.uri("1000"), "--codec", codec, "--tone", str(tone),
                 "--duration", "4", "--timeout", "20",
                 "--report", os.path.join(work, codec + ".json")],
                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))

        def orc_maps():
            with open("/proc/%d/maps" % srv.proc.pid) as f:
                return [line.split()[1] for line in f if "/orcexec." in line]
        maps = mcutest.poll_until(orc_maps, 8)
        checks.check("rw-s" in (maps or []) and "r-xs" in (maps or []),
                     "ORC compiled into a file mapped twice, writable and executable (%s)" % maps)
        check_priorities(srv.proc.pid)
        for p in procs:
            p.wait(timeout=30)
        for codec in ("opus", "pcmu"):
            with open(os.path.join(work, codec + ".json")) as f:
                rep = json.load(f)
            checks.check(rep["status"] == 200 and rep["rtp_packets_received"] > 100,
                         "%s caller: %s, %d RTP packets received" % (codec, rep["status"],
                                                                      rep["rtp_packets_received"]))
    if checks.failed:
        print("---- mcu log ----\n" + srv.log_text()[-6000:])
    checks.check(srv.proc.returncode == 0, "SIGTERM: exit 0 (%s)" % srv.proc.returncode)
    checks.check(os.stat(os.path.join(srv.dir, "mcu.db")).st_uid == 65534,
                 "the database belongs to nobody")
    shutil.rmtree(work, ignore_errors=True)
    checks.exit()


if __name__ == "__main__":
    main()
