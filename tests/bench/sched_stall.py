# SPDX-License-Identifier: LGPL-2.1-or-later
"""Why did a room's audio stop? Records the scheduler for a while
(`perf record -a -e sched:sched_switch,sched:sched_wakeup`, no call
graphs: cheap) and reports, for every room mixing thread ("mixer:src") of
the mcu process PID, the longest times it was

  - runnable but not running (woken, or preempted while running, and
    waiting for a CPU: the machine or a busier thread of equal priority
    starved it), with what ran on the CPUs meanwhile, and
  - asleep between switching out and its next wake-up (waiting for its clock,
    for a lock or for another thread).

    python3 tests/bench/sched_stall.py --pid $(pgrep -n -f build/mcu/mcu) --duration 10

A stall of every caller's audio that shows up here as "runnable" is CPU
starvation, not the server waiting for itself. With autogroup scheduling
(/proc/sys/kernel/sched_autogroup_enabled, on in Debian's kernels) the
mixing thread's nice -10 only counts inside its own session: every other
login session, build or bench on the machine gets an equal share first, so
on a busy 2-core machine the mixer waited 190-250 ms for a CPU while
threads of nice 0, 5 and 10 in other sessions ran. A session's weight is
/proc/<pid>/autogroup ("echo -10 > /proc/self/autogroup" as root).
Needs root (perf)."""

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

LINE = re.compile(r"^\s*(?P<comm>.+?)\s+(?P<tid>\d+)\s+\[(?P<cpu>\d+)\]\s+(?P<t>[\d.]+):\s+"
                  r"sched:(?P<ev>sched_\w+):\s+(?P<rest>.*)$")


def record(pid, duration, path):
    subprocess.run(["perf", "record", "-q", "-a", "-e", "sched:sched_switch", "-e",
                    "sched:sched_wakeup", "-o", path, "--", "sleep", str(duration)],
                   check=True, stdout=subprocess.DEVNULL)


def mixers(pid):
    found = []
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if f.read().strip() == "mixer:src":
                    found.append(int(tid))
        except OSError:
            pass
    return found


def parse(path):
    out = subprocess.run(["perf", "script", "-i", path, "-F", "comm,tid,cpu,time,event,trace"],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            yield m


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pid", type=int, help="the mcu daemon")
    ap.add_argument("--tid", type=int, action="append", help="a mixing thread (with --data)")
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--min-ms", type=float, default=30.0, help="report waits longer than this")
    ap.add_argument("--data", help="analyse this perf.data instead of recording")
    args = ap.parse_args()
    tids = set(args.tid or (mixers(args.pid) if args.pid else []))
    if not tids:
        sys.exit("no mixer:src thread (give --pid, or --tid with --data)")
    path = args.data
    if path is None:
        path = tempfile.mktemp(suffix=".perf.data")
        record(args.pid, args.duration, path)
    woken, off, long_runnable, long_sleep = {}, {}, [], []
    running = collections.defaultdict(list)  # cpu -> [(t, comm, pid)]
    for m in parse(path):
        t, cpu, rest = float(m["t"]), int(m["cpu"]), m["rest"]
        if m["ev"] == "sched_wakeup":
            p = int(re.search(r" pid=(\d+)", rest).group(1))
            if p in tids and p not in woken:
                woken[p] = t
            continue
        nxt = re.search(r"next_comm=(.+?) next_pid=(\d+) next_prio=(\d+)", rest)
        prev = int(re.search(r"prev_pid=(\d+)", rest).group(1))
        running[cpu].append((t, "%s(%s) prio %s" % nxt.groups(), int(nxt.group(2))))
        if prev in tids:
            off[prev] = t
            woken.pop(prev, None)
            # preempted (prev_state R): runnable from now on, with no
            # wake-up to come (a wait for a CPU all the same)
            if re.search(r"prev_state=R", rest):
                woken[prev] = t
                off.pop(prev)
        n = int(nxt.group(2))
        if n in tids:
            w = woken.pop(n, None)
            if w is not None and (t - w) * 1000 >= args.min_ms:
                long_runnable.append((t - w, n, w, t))
            if n in off and w is not None and (w - off[n]) * 1000 >= args.min_ms:
                long_sleep.append((w - off[n], n, off[n], w))
    for title, rows in (("runnable but not running", long_runnable),
                        ("asleep (clock, lock or another thread)", long_sleep)):
        rows.sort(reverse=True)
        print("%s, over %.0f ms: %d" % (title, args.min_ms, len(rows)))
        for d, tid, a, b in rows[:10]:
            print("  mixer %d: %.0f ms from %.3f" % (tid, d * 1000, a))
            if "runnable" in title:
                who = collections.Counter()
                for cpu, seq in running.items():
                    for i, (t, name, _) in enumerate(seq):
                        end = seq[i + 1][0] if i + 1 < len(seq) else b
                        lo, hi = max(t, a), min(end, b)
                        if hi > lo:
                            who[name] += hi - lo
                for name, s in who.most_common(5):
                    print("    on the CPUs meanwhile: %-45s %.0f ms" % (name, s * 1000))
    if args.data is None:
        os.unlink(path)


if __name__ == "__main__":
    main()
