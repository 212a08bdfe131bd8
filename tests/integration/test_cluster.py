#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Several mcu nodes behind Kamailio sharing one PostgreSQL database, each
in its own network namespace with its own address (README.md "Running
several nodes"):

    10.203.S.5    PostgreSQL (initdb + postgres -D in a temp dir)
    10.203.S.10   Kamailio with the shipped config/kamailio/kamailio.cfg
    10.203.S.11-13  three mcu nodes, configs written from config/mcu-cluster.conf
    10.203.S.100  the callers (mcu-test-caller), dialling sip:ROOM@Kamailio

joined by a bridge in a sixth namespace. Checks:
  - 30 callers into 10 rooms through Kamailio: every room's callers on one
    node (each node's /v1/rooms, and GET /v1/cluster from any node), and
    each caller hears the two others (tones); three of the rooms were opened
    by a caller who dialled a node directly, so callers that Kamailio hashes
    to another node are redirected (302) to it;
  - a node killed with SIGKILL: /v1/cluster calls it dead, new calls to its
    rooms succeed on another node within 10 s of the kill, and the callers
    in rooms on the other nodes keep their audio (largest RTP gap);
  - PostgreSQL stopped: a call into a new room gets 503; started again:
    the nodes reconnect and a new room works, the calls go on;
  - mcuctl cluster and drain: a drained node sends a new room elsewhere
    and still takes the callers of the rooms it hosts;
  - a scheduled meeting (booked on one node, known to all through the
    shared store) fires on exactly one node, and when
    that node is the one killed, one other node takes it over within 10 s
    and dials its attendee again.
Skips (77) without root, network namespaces, kamailio or postgresql."""

import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mcutest import MCU_BIN, SOURCE_ROOT, TOOLS_DIR, Failures, poll_until  # noqa: E402
from controlclient import Control  # noqa: E402

SKIP = 77
MCUCTL = os.environ.get("MCUCTL_BIN", "build/mcu/mcuctl")
CALLER = os.path.join(TOOLS_DIR, "mcu-test-caller")
TONES = (440, 700, 1000)  # the three callers of a room
N_ROOMS = 10
CALL_SECONDS = 50  # the first 30 callers: long enough for kill + restart
# "no gap": the longest dropout in what a caller on a surviving node hears
# around the kill and the database restart. A lost node or database shows
# as silence to the end of the call. Measured on this 2-core machine: up to
# 0.24 s at a load average under 20 (when the same node opens the re-homed
# rooms at that moment: a room's start stalls the node's other rooms, the
# join-burst work of issue 12), up to 1.3 s at a load average of 30-44 from
# other builds, on every node at once and as often before the kill as
# after it (CPU starvation, not the cluster). On the quiet CI machine: 0.00 s
# for every caller, so 0.4 s fails on any real gap and not on the 0.24 s.
MAX_GAP_MS = 400


def skip(why):
    print("SKIP: %s" % why, flush=True)
    sys.exit(SKIP)


def ip(*args, check=True):
    return subprocess.run(["ip"] + list(args), check=check, capture_output=True)


class ClusterNet:
    """Namespaces pg, kam, n1..n3, ph, each with one address on a bridge in
    a hub namespace."""

    MEMBERS = (("pg", 5), ("kam", 10), ("n1", 11), ("n2", 12), ("n3", 13), ("ph", 100))

    def __init__(self):
        self.tag = "%04x" % (os.getpid() & 0xFFFF)
        self.subnet = "10.203.%d" % (os.getpid() % 200 + 20)
        self.hub = "mcuc-hub-" + self.tag
        self.ns = {m: "mcuc-%s-%s" % (m, self.tag) for m, _ in self.MEMBERS}
        self.addr = {m: "%s.%d" % (self.subnet, n) for m, n in self.MEMBERS}

    def __enter__(self):
        self.cleanup()
        ip("netns", "add", self.hub)
        ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
        ip("-n", self.hub, "link", "set", "br0", "up")
        for i, (m, _) in enumerate(self.MEMBERS):
            ns, inner, outer = self.ns[m], "v%s%d" % (self.tag, i), "h%s%d" % (self.tag, i)
            ip("netns", "add", ns)
            ip("link", "add", inner, "type", "veth", "peer", "name", outer)
            ip("link", "set", inner, "netns", ns)
            ip("link", "set", outer, "netns", self.hub)
            ip("-n", self.hub, "link", "set", outer, "master", "br0")
            ip("-n", self.hub, "link", "set", outer, "up")
            ip("-n", ns, "addr", "add", self.addr[m] + "/24", "dev", inner)
            ip("-n", ns, "link", "set", inner, "up")
            ip("-n", ns, "link", "set", "lo", "up")
        return self

    def cmd(self, member, argv):
        return ["ip", "netns", "exec", self.ns[member]] + list(argv)

    def cleanup(self):
        for ns in list(self.ns.values()) + [self.hub]:
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True,
                                  text=True).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
            ip("netns", "del", ns, check=False)

    def __exit__(self, *exc):
        self.cleanup()
        return False


def set_key(text, group, key, value):
    """@text (a key file) with [group] key=value (replaced or added)."""
    lines = text.splitlines()
    out, in_group, done = [], False, False
    for line in lines:
        if line.startswith("["):
            if in_group and not done:
                out.append("%s=%s" % (key, value))
                done = True
            in_group = line.strip() == "[%s]" % group
        elif in_group and re.match(r"#?\s*%s\s*=" % re.escape(key), line):
            if not done:
                out.append("%s=%s" % (key, value))
                done = True
            continue
        out.append(line)
    if in_group and not done:
        out.append("%s=%s" % (key, value))
        done = True
    if not done:
        out += ["", "[%s]" % group, "%s=%s" % (key, value)]
    return "\n".join(out) + "\n"


class Node:
    def __init__(self, net, name, workdir, dsn, rtp_base):
        self.net, self.name = net, name
        self.addr = net.addr[name]
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir)
        self.sock = os.path.join(self.dir, "control.sock")
        self.config = os.path.join(self.dir, "mcu.conf")
        self.logpath = os.path.join(self.dir, "mcu.log")
        with open(os.path.join(SOURCE_ROOT, "config", "mcu-cluster.conf")) as f:
            text = f.read()
        for group, key, value in (
                ("sip", "listen", self.addr), ("sip", "domain", "cluster.test"),
                ("media", "address", self.addr),
                ("media", "rtp-port-min", rtp_base), ("media", "rtp-port-max", rtp_base + 399),
                ("storage", "dsn", dsn),
                ("storage", "database", os.path.join(self.dir, "mcu.db")),
                ("cluster", "node", name), ("cluster", "sip-uri", "sip:%s:5060" % self.addr),
                ("cluster", "heartbeat", 1), ("cluster", "dead-after", 3),
                ("control", "socket", self.sock), ("user:bob", "password", "bob-secret"),
                ("user:carol", "password", "carol-secret")):
            text = set_key(text, group, key, value)
        with open(self.config, "w") as f:
            f.write(text)
        self.control = Control(self.sock)
        self.proc = None

    def start(self):
        env = dict(os.environ, G_MESSAGES_DEBUG="all")
        env.pop("GST_PLUGIN_PATH", None)
        self.log = open(self.logpath, "wb")
        self.proc = subprocess.Popen(self.net.cmd(self.name, [MCU_BIN, "--config", self.config]),
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def wait_ready(self, timeout=20):
        ok = poll_until(lambda: "listening on" in self.log_text() or self.proc.poll() is not None,
                        timeout)
        if not ok or self.proc.poll() is not None:
            raise RuntimeError("node %s did not start:\n%s" % (self.name, self.log_text()[-4000:]))

    def log_text(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def rooms(self):
        """{room: participants} of the open rooms on this node."""
        status, body = self.control.get("/v1/rooms")
        if status != 200:
            return None
        return {r["name"]: r["participants"] for r in body["rooms"]}

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Caller:
    """One mcu-test-caller in the phones' namespace."""

    def __init__(self, net, workdir, name, uri, tone, seconds, expect=None):
        self.name, self.uri, self.tone = name, uri, tone
        self.wav = os.path.join(workdir, name + ".wav")
        self.report_path = os.path.join(workdir, name + ".json")
        self.errpath = os.path.join(workdir, name + ".log")
        argv = [CALLER, "--uri", uri, "--local-ip", net.addr["ph"], "--codec", "pcmu",
                "--tone", str(tone), "--duration", str(seconds), "--record", self.wav,
                "--report", self.report_path, "--display-name", name,
                "--timeout", str(seconds + 30)]
        if expect:
            argv += ["--expect-status", str(expect)]
        self.started = time.monotonic()
        self.proc = subprocess.Popen(net.cmd("ph", argv), stdout=subprocess.DEVNULL,
                                     stderr=open(self.errpath, "wb"))

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def report(self):
        try:
            with open(self.report_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def log_text(self):
        with open(self.errpath, errors="replace") as f:
            return f.read()


class Answerer(Caller):
    """An mcu-test-caller in the phones' namespace taking one call at @uri;
    hangs up @seconds after answering (0: waits for BYE)."""

    def __init__(self, net, workdir, name, uri, seconds):
        self.name, self.uri = name, uri
        self.report_path = os.path.join(workdir, name + ".json")
        self.errpath = os.path.join(workdir, name + ".log")
        argv = [CALLER, "--answer", "--uri", uri, "--local-ip", net.addr["ph"], "--codec", "pcmu",
                "--tone", "300", "--duration", str(seconds), "--report", self.report_path,
                "--display-name", name, "--timeout", "300", "--allow-no-rtp"]
        self.started = time.monotonic()
        self.proc = subprocess.Popen(net.cmd("ph", argv), stdout=subprocess.DEVNULL,
                                     stderr=open(self.errpath, "wb"))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def start_kamailio(net, workdir):
    src = os.path.join(SOURCE_ROOT, "config", "kamailio", "kamailio.cfg")
    with open(src) as f:
        cfg = f.read()
    dlist = os.path.join(workdir, "dispatcher.list")
    with open(dlist, "w") as f:
        for n in ("n1", "n2", "n3"):
            f.write("1 sip:%s:5060\n" % net.addr[n])
    cfg = cfg.replace("udp:127.0.0.1:5060", "udp:%s:5060" % net.addr["kam"])
    cfg = cfg.replace("/etc/kamailio/dispatcher.list", dlist)
    path = os.path.join(workdir, "kamailio.cfg")
    with open(path, "w") as f:
        f.write(cfg)
    rundir = os.path.join(workdir, "kamailio-run")
    os.makedirs(rundir)
    check = subprocess.run(net.cmd("kam", ["kamailio", "-c", "-f", path]), capture_output=True,
                           text=True)
    if check.returncode != 0:
        raise RuntimeError("kamailio -c refused the shipped config:\n" + check.stderr[-3000:])
    logpath = os.path.join(workdir, "kamailio.log")
    proc = subprocess.Popen(net.cmd("kam", ["kamailio", "-f", path, "-DD", "-E", "-Y", rundir,
                                            "-w", rundir, "-m", "64", "-M", "8"]),
                            stdout=open(logpath, "wb"), stderr=subprocess.STDOUT)
    # up when its workers listen; a module that fails to start ends it
    up = poll_until(lambda: proc.poll() is not None or
                    "udp_rcv_loop" in open(logpath, errors="replace").read() or
                    ("Listening on" in open(logpath, errors="replace").read() and
                     time.sleep(1.0) is None and proc.poll() is None), 15, 0.2)
    if not up or proc.poll() is not None:
        raise RuntimeError("kamailio did not start:\n" + open(logpath, errors="replace").read()[-3000:])
    return proc, logpath


def cluster_view(node):
    status, body = node.control.get("/v1/cluster")
    return body if status == 200 else None


def main():
    if os.geteuid() != 0:
        skip("needs root (network namespaces)")
    if subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
        skip("network namespaces unavailable")
    if shutil.which("kamailio") is None and not os.path.exists("/usr/sbin/kamailio"):
        skip("kamailio not installed (scripts/install-deps --test)")
    os.environ["PATH"] += ":/usr/sbin"
    from pgserver import PgServer, find_bindir
    if find_bindir() is None:
        skip("PostgreSQL server binaries not installed (postgresql package)")
    import audiocheck

    # meson's timeout sends SIGTERM: unwind, so that the namespaces and
    # every process in them go
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    t = Failures()
    workdir = tempfile.mkdtemp(prefix="mcu-cluster-")
    nodes, callers, kam, pg = [], [], None, None
    alice = alice2 = None
    ok = False
    try:
        with ClusterNet() as net:
            pg = PgServer(host=net.addr["pg"], port=5432, netns=net.ns["pg"])
            pg._initdb()  # then let the nodes' subnet in (initdb: local only)
            with open(os.path.join(pg.data, "pg_hba.conf"), "a") as f:
                f.write("host all all %s.0/24 trust\n" % net.subnet)
            pg.start()
            nodes = [Node(net, n, workdir, pg.dsn, 30000 + 1000 * i)
                     for i, n in enumerate(("n1", "n2", "n3"))]
            for n in nodes:
                n.start()
            for n in nodes:
                n.wait_ready()
            kam, kamlog = start_kamailio(net, workdir)
            by_name = {n.name: n for n in nodes}
            # every node heartbeats: the listing from n1 has three alive
            view = poll_until(lambda: (lambda v: v if v and len(
                [x for x in v["nodes"] if x["health"] == "alive"]) == 3 else None)(
                    cluster_view(nodes[0])), 15, 0.2)
            t.check(view is not None, "GET /v1/cluster on n1 lists three alive nodes")
            if view is None:
                print(json.dumps(cluster_view(nodes[0])))
                return t
            kam_uri = lambda room: "sip:%s@%s:5060" % (room, net.addr["kam"])  # noqa: E731

            # a scheduled meeting, booked on one node and known to all
            # through the store, dials alice: exactly one node runs it
            alice_uri = "sip:alice@%s:5070" % net.addr["ph"]
            alice = Answerer(net, workdir, "alice-1", alice_uri, 0)
            start_dt = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + \
                datetime.timedelta(seconds=10)
            meeting = {"id": "cm1", "subject": "Cluster sync", "room": "meet",
                       "start": start_dt.isoformat(), "duration": "PT300S", "early_join": "PT1S",
                       "grace": "PT1S", "dial_retries": 20, "dial_retry_interval": "PT2S",
                       "attendees": [{"uri": alice_uri, "display": "Alice", "auto_dial": True}]}
            st, body = nodes[0].control.call("POST", "/v1/meetings", meeting)
            t.check(st == 201, "meeting cm1 booked on n1 (%d %s)" % (st, body))
            for n in nodes[1:]:  # the store shares it
                t.check(poll_until(lambda: n.control.get("/v1/meetings/cm1")[0] == 200, 5, 0.1),
                        "meeting cm1 known on %s too (shared store)" % n.name)

            # rooms c0..c2 are opened by a caller who dials node 1..3
            # directly: whoever Kamailio sends elsewhere is redirected
            rooms = ["c%d" % r for r in range(N_ROOMS)]
            first = {}
            for r in range(3):
                n = nodes[r]
                c = Caller(net, workdir, "%s-0" % rooms[r], "sip:%s@%s:5060" % (rooms[r], n.addr),
                           TONES[0], CALL_SECONDS)
                callers.append(c)
                first[rooms[r]] = n.name
            for r in range(3):
                n = nodes[r]
                t.check(poll_until(lambda: (n.rooms() or {}).get(rooms[r], 0) == 1, 10, 0.1),
                        "%s opened on %s by a direct call" % (rooms[r], n.name))
            for r in range(N_ROOMS):
                for k in range(3):
                    if r < 3 and k == 0:
                        continue
                    callers.append(Caller(net, workdir, "%s-%d" % (rooms[r], k), kam_uri(rooms[r]),
                                          TONES[k], CALL_SECONDS))
                    time.sleep(0.1)
            all_in = time.monotonic()

            def placement():
                seen = {}
                for n in nodes:
                    for room, people in (n.rooms() or {}).items():
                        if people:
                            seen.setdefault(room, []).append((n.name, people))
                return seen

            def settled():
                seen = placement()
                return seen if all(len(seen.get(r, [])) == 1 and seen[r][0][1] == 3
                                   for r in rooms) else None

            seen = poll_until(settled, 30, 0.5)
            seen = seen or placement()
            joined_at = time.monotonic()
            print("placement after %.1f s: %s" % (joined_at - all_in, seen), flush=True)
            for r in rooms:
                t.check(len(seen.get(r, [])) == 1 and seen[r][0][1] == 3,
                        "room %s: its 3 callers on one node (%s)" % (r, seen.get(r)))
            if any(r not in seen for r in rooms):
                print(open(kamlog, errors="replace").read()[-3000:])
                return t
            for r in range(3):
                t.check(seen.get(rooms[r], [("?", 0)])[0][0] == first[rooms[r]],
                        "room %s stays on %s, where it was opened" % (rooms[r], first[rooms[r]]))
            redirects = sum(n.log_text().count("redirecting to") for n in nodes)
            print("302 redirects sent by the nodes: %d" % redirects)
            t.check(redirects > 0, "a caller hashed to a node not hosting its room was "
                    "redirected (302) and Kamailio followed it (%d)" % redirects)
            view = cluster_view(nodes[1])
            hosts = {x["room"]: x["node"] for x in (view or {}).get("rooms", []) if x["live"]}
            t.check(all(hosts.get(r) == seen.get(r, [("?", 0)])[0][0] for r in rooms),
                    "GET /v1/cluster on n2 names each room's hosting node: %s" % hosts)
            per_node = {n["name"]: n["load"] for n in (view or {}).get("nodes", [])}
            print("load per node: %s" % per_node)
            out = subprocess.run([MCUCTL, "--socket", nodes[2].sock, "cluster"],
                                 capture_output=True, text=True)
            print(out.stdout)
            t.check(out.returncode == 0 and "n1" in out.stdout and "alive" in out.stdout
                    and "c9" in out.stdout, "mcuctl cluster on n3 prints the nodes and rooms")

            # ---- REGISTER through Kamailio lands in the shared bindings:
            # bob is reached from every node ----
            bob_contact = "sip:bob@%s:5071" % net.addr["ph"]
            reg = subprocess.run(net.cmd("ph", [sys.executable, os.path.abspath(__file__),
                                                "--register", "bob", "bob-secret", bob_contact,
                                                net.addr["kam"], net.addr["ph"]]),
                                 capture_output=True, text=True, timeout=30)
            t.check(reg.stdout.strip() == "200", "bob REGISTERs through Kamailio (digest): %s %s"
                    % (reg.stdout.strip(), reg.stderr[-500:]))
            reg_nodes = [n.name for n in nodes if "bob now has 1 binding" in n.log_text()]
            print("bob's REGISTER went to %s" % reg_nodes)
            t.check(len(reg_nodes) == 1, "one node took bob's REGISTER (%s)" % reg_nodes)
            for n in nodes:
                # bob's phone hangs up after the caller did: caller exit 0
                bob = Answerer(net, workdir, "bob-via-%s" % n.name, bob_contact, 6)
                time.sleep(0.3)
                via = Caller(net, workdir, "to-bob-%s" % n.name, "sip:bob@%s:5060" % n.addr,
                             TONES[1], 2)
                code = via.wait(30)
                bob_code = bob.wait(30)
                t.check(code == 0 and bob_code in (0, 3) and
                        bob.report().get("rtp_packets_received", 0) > 0,
                        "a call to bob dialled on %s%s reaches his registered phone (caller "
                        "exit %s, bob exit %s)" % (n.name, "" if n.name in reg_nodes else
                                                   " (not where he registered)", code, bob_code))
                bob.kill()

            # MESSAGE: carol registers through Kamailio, dave's MESSAGE
            # dialled on any node reaches her
            msg = subprocess.Popen(net.cmd("ph", [sys.executable, os.path.abspath(__file__),
                                                  "--message", net.addr["kam"], net.addr["ph"]] +
                                           [n.addr for n in nodes]),
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
            first = msg.stdout.readline().strip()
            reg_at = time.monotonic()

            def knows_carol(n):
                st, body = n.control.get("/v1/registrations")
                return st == 200 and "carol" in json.dumps(body)

            everywhere = poll_until(lambda: all(knows_carol(n) for n in nodes), 10, 0.02)
            print("carol's binding known on every node %.3f s after her REGISTER's 200"
                  % (time.monotonic() - reg_at))
            out, err = msg.communicate("go\n", timeout=60)
            try:
                res = json.loads(out.strip().splitlines()[-1])
            except (ValueError, IndexError):
                res = {}
                print(out, err[-2000:])
            carol_node = [n.name for n in nodes if "carol now has 1 binding" in n.log_text()]
            t.check(first == "200" and everywhere,
                    "carol REGISTERs through Kamailio (on %s); every node lists her "
                    "binding (GET /v1/registrations)" % carol_node)
            for n in nodes:
                t.check(res.get("sent", {}).get(n.addr) == 200 and
                        "hello via %s" % n.addr in res.get("got", []),
                        "a MESSAGE to carol sent on %s%s is delivered to her (%s)"
                        % (n.name, "" if n.name in carol_node else " (not where she registered)",
                           res.get("sent", {}).get(n.addr)))

            # a MESSAGE for a room (chat) sent on a node that does not host
            # it: 302 to the node that does; through Kamailio: accepted
            room = rooms[1]
            host = by_name[seen[room][0][0]]
            rm = subprocess.run(net.cmd("ph", [sys.executable, os.path.abspath(__file__),
                                               "--room-message", net.addr["kam"], net.addr["ph"],
                                               room] + [n.addr for n in nodes]),
                                capture_output=True, text=True, timeout=60)
            try:
                res = json.loads(rm.stdout.strip().splitlines()[-1])
            except (ValueError, IndexError):
                res = {}
                print(rm.stdout, rm.stderr[-2000:])
            for n in nodes:
                got = res.get(n.addr, [None, None])
                want = [202, None] if n is host else [302, "sip:%s@%s:5060" % (room, host.addr)]
                t.check(got[0] == want[0] and (want[1] is None or want[1] in (got[1] or "")),
                        "MESSAGE for room %s sent on %s: %s (%s)" % (room, n.name, got, want))
            t.check(res.get(net.addr["kam"], [None])[0] == 202,
                    "MESSAGE for room %s through Kamailio: %s" % (room, res.get(net.addr["kam"])))

            # ---- the meeting: opened on one node, alice dialled once ----
            opened_on = lambda: [n.name for n in nodes  # noqa: E731
                                 if n.log_text().count('meeting cm1 "Cluster sync": room meet open')]
            t.check(poll_until(lambda: opened_on() and (by_name[opened_on()[0]].rooms() or {})
                               .get("meet") == 1, 20, 0.2),
                    "meeting cm1 opened and alice answered on %s" % opened_on())
            time.sleep(1.5)  # every node's scheduler has asked by now
            owners = opened_on()
            t.check(len(owners) == 1, "meeting cm1 fired on exactly one node of three: %s" % owners)
            hosts = {x["room"]: x["node"] for x in (cluster_view(nodes[0]) or {}).get("rooms", [])}
            t.check(owners and hosts.get("meet") == owners[0],
                    "its room's lease is the running node's: %s" % hosts.get("meet"))

            # ---- a node dies: the one running the meeting ----
            host_rooms = {}
            for r in rooms:
                host_rooms.setdefault(seen[r][0][0], []).append(r)
            victim_name = owners[0] if owners else max(host_rooms, key=lambda n: len(host_rooms[n]))
            host_rooms.setdefault(victim_name, [])
            victim = by_name[victim_name]
            survivors = [n for n in nodes if n is not victim]
            time.sleep(2)  # some audio before the kill
            killed_at, killed_wall = time.monotonic(), time.time()
            victim.proc.send_signal(signal.SIGKILL)
            victim.proc.wait()
            print("killed %s (hosting %s and the meeting)" % (victim_name, host_rooms[victim_name]),
                  flush=True)
            # alice's phone lost its call with the node: a new phone on her
            # address, for the node that takes the meeting over
            alice.kill()
            alice2 = Answerer(net, workdir, "alice-2", alice_uri, 3)

            def victim_dead():
                v = cluster_view(survivors[0])
                return v and any(x["name"] == victim_name and x["health"] == "dead"
                                 for x in v["nodes"])

            t.check(poll_until(victim_dead, 10, 0.2),
                    "/v1/cluster calls %s dead after %.1f s" % (victim_name,
                                                                 time.monotonic() - killed_at))
            dead_rooms = host_rooms[victim_name]
            again = [Caller(net, workdir, "%s-after" % r, kam_uri(r), TONES[0], 6)
                     for r in dead_rooms]

            def rehomed():
                found = {}
                for n in survivors:
                    for room, people in (n.rooms() or {}).items():
                        if room in dead_rooms and people:
                            found[room] = n.name
                return found if len(found) == len(dead_rooms) else None

            found = poll_until(rehomed, 15, 0.1)
            took = time.monotonic() - killed_at
            print("kill -> every dead room has its new caller on a live node: %.1f s (%s)"
                  % (took, found), flush=True)
            t.check(found and took < 10.0, "new calls to the dead node's rooms %s join a live "
                    "node within 10 s of the kill (%.1f s)" % (dead_rooms, took))
            v = cluster_view(survivors[0]) or {}
            moved = {x["room"]: x["node"] for x in v.get("rooms", []) if x["live"]}
            t.check(found and all(moved.get(r) == found[r] for r in dead_rooms),
                    "/v1/cluster: its rooms are hosted by live nodes now: %s" % {
                        r: moved.get(r) for r in dead_rooms})
            for c in again:
                code = c.wait(40)
                rep = c.report()
                t.check(code == 0 and rep.get("rtp_packets_received", 0) > 0,
                        "after the kill: the new call to %s works (exit %d, %s RTP packets)"
                        % (c.name, code, rep.get("rtp_packets_received")))
                if code != 0:
                    print(c.log_text()[-2000:])

            opened_line = 'meeting cm1 "Cluster sync": room meet open'
            taken = poll_until(lambda: [n.name for n in survivors
                                        if n.log_text().count(opened_line)], 15, 0.2)
            took = 99.0
            for n in survivors:  # when, by its log line's time of day
                for line in n.log_text().splitlines():
                    if opened_line in line:
                        hms = datetime.datetime.strptime(line.split()[0], "%H:%M:%S.%f")
                        at = datetime.datetime.combine(datetime.date.today(), hms.time())
                        took = at.timestamp() - killed_wall
            t.check(taken and len(taken) == 1 and took < 10.0,
                    "meeting cm1 taken over by one live node (%s) %.1f s after the kill"
                    % (taken, took))
            t.check(alice2.wait(40) == 0 and alice2.report().get("rtp_packets_received", 0) > 0,
                    "the node that took it over dialled alice again; she answered and heard "
                    "the room (exit %s)" % alice2.proc.returncode)

            # ---- drain ----
            drained = survivors[0]
            out = subprocess.run([MCUCTL, "--socket", drained.sock, "drain"], capture_output=True,
                                 text=True)
            t.check(out.returncode == 0, "mcuctl drain on %s: %s" % (drained.name,
                                                                   out.stdout.strip()))
            other = survivors[1]
            before = drained.log_text().count("redirecting to")
            probe = Caller(net, workdir, "drain-new", "sip:drainroom@%s:5060" % drained.addr,
                           TONES[0], 5)
            t.check(poll_until(lambda: (other.rooms() or {}).get("drainroom") == 1, 10, 0.1),
                    "a new room dialled directly on the drained node is redirected (302) "
                    "to %s and the caller joins there" % other.name)
            t.check(drained.log_text().count("redirecting to") == before + 1
                    and "drainroom" not in (drained.rooms() or {}),
                    "the drained node sent the 302 and opened no room")
            t.check(probe.wait(30) == 0, "the redirected call works")
            v = cluster_view(drained) or {}
            t.check(any(x["name"] == drained.name and x["state"] == "draining"
                        for x in v.get("nodes", [])), "/v1/cluster shows it draining")
            own = sorted(x["room"] for x in v.get("rooms", [])
                         if x["node"] == drained.name and x["live"] and x["room"] in rooms)
            if own:
                before_n = (drained.rooms() or {}).get(own[0], 0)
                late = Caller(net, workdir, "drain-own", kam_uri(own[0]), TONES[0], 3)
                t.check(poll_until(lambda: (drained.rooms() or {}).get(own[0], 0) == before_n + 1,
                                   10, 0.1),
                        "a new caller of %s, a room the drained node hosts, still joins it there"
                        % own[0])
                t.check(late.wait(30) == 0, "that call works")
            else:
                t.check(False, "the drained node hosts a room to call into (%s)" % v.get("rooms"))

            # ---- PostgreSQL goes away and comes back ----
            pg_down_wall = time.time()
            pg.stop("fast")
            inv = subprocess.run(net.cmd("ph", [sys.executable, os.path.abspath(__file__),
                                                "--invite", kam_uri("fresh1"), net.addr["kam"],
                                                net.addr["ph"]]),
                                 capture_output=True, text=True, timeout=30)
            got = (inv.stdout.strip().splitlines() or ["{}"])[-1]
            try:
                got = json.loads(got)
            except ValueError:
                got = {}
            t.check(got.get("status") == 503 and (got.get("retry_after") or "").isdigit(),
                    "database down: an INVITE into a new room through Kamailio gets 503 with "
                    "Retry-After (%s)" % got)
            pg.start()
            pg_up_wall = time.time()
            back = poll_until(lambda: cluster_view(survivors[0]) is not None, 15, 0.2)
            t.check(back, "database back: the nodes reconnect by themselves")
            up = Caller(net, workdir, "fresh-up", kam_uri("fresh2"), TONES[0], 3)
            t.check(up.wait(40) == 0, "database back: a call into a new room works")
            # every node was cut off as long as the others: none may take
            # the meeting (or a room) from a live node when it comes back
            time.sleep(3)
            opens = {n.name: n.log_text().count(opened_line) for n in nodes}
            t.check(sum(opens.values()) == 2,
                    "after the database restart the meeting still runs on one node only "
                    "(opened: %s)" % opens)

            # ---- the first 30 callers end: who kept their audio ----
            for c in callers:
                c.wait(CALL_SECONDS + 40)
            gaps = []
            for r in rooms:
                if r in host_rooms[victim_name]:
                    continue
                for k in range(3):
                    c = [x for x in callers if x.name == "%s-%d" % (r, k)][0]
                    rep = c.report()
                    gap = rep.get("rtp_max_gap_ms", 1e9)
                    gaps.append((gap, c.name, rep.get("rtp_max_gap_at")))
                    t.check(rep.get("exit_code") == 0, "%s (on %s) ended normally (exit %s)"
                            % (c.name, seen[r][0][0], rep.get("exit_code")))
                    try:
                        rate, samples = audiocheck.read_wav(c.wav)
                        m0 = rep["media_start_unix"]
                        for what, a, b in (("the kill of %s" % victim_name, killed_wall - 1,
                                            killed_wall + 10),
                                           ("the database restart", pg_down_wall - 1,
                                            pg_up_wall + 5)):
                            drop = audiocheck.continuity(samples, rate, span=(a - m0, b - m0))
                            t.check(drop <= MAX_GAP_MS / 1000.0,
                                    "%s keeps hearing the room through %s (longest dropout "
                                    "%.2f s)" % (c.name, what, drop))
                        others = [f for i, f in enumerate(TONES) if i != k]
                        span = (joined_at - c.started + 1.0, CALL_SECONDS - 1.0)
                        for f in others:
                            audiocheck.assert_tone_present(samples, rate, f, span=span,
                                                           what=c.name)
                        t.check(True, "%s hears the other two (%s Hz)" % (c.name, others))
                    except (AssertionError, OSError, ValueError) as e:
                        t.check(False, "%s hears the other two: %s" % (c.name, e))
            if gaps:
                print("largest RTP gap of the %d callers on surviving nodes: %s ms (%s, %s s "
                      "into its call); the kill was %.1f s into the first callers' calls"
                      % ((len(gaps),) + max(gaps) + (killed_at - callers[0].started,)))
            ok = True
    finally:
        for c in callers + [a for a in (alice, alice2) if a]:
            if c.proc.poll() is None:
                c.proc.kill()
        for n in nodes:
            n.stop()
        if kam and kam.poll() is None:
            kam.terminate()
            kam.wait(10)
        if pg:
            pg.close()
        if not ok or t.failed:
            for n in nodes:
                sys.stderr.write("---- %s log (tail) ----\n%s\n" % (n.name, n.log_text()[-6000:]))
            print("work dir kept: %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return t


def register_main(argv):
    """In the phones' namespace: REGISTER USER (PASSWORD) with CONTACT
    through PROXY-IP; prints the final status."""
    import sipua
    user, password, contact, proxy, local_ip = argv
    ua = sipua.SipUA(5060, user, password, domain="cluster.test", local_ip=local_ip)
    ua.server = (proxy, 5060)
    try:
        print(ua.register(contact=contact))
    finally:
        ua.close()


def message_main(argv):
    """In the phones' namespace: carol REGISTERs her own UA through
    PROXY-IP, then dave sends her a MESSAGE on each NODE-IP; prints JSON:
    the REGISTER status, each MESSAGE's status, the bodies carol got."""
    import sipua
    proxy, local_ip = argv[0], argv[1]
    carol = sipua.SipUA(5060, "carol", "carol-secret", domain="cluster.test", local_ip=local_ip)
    carol.server = (proxy, 5060)
    dave = sipua.SipUA(5060, "dave", domain="cluster.test", local_ip=local_ip)
    out = {"register": None, "sent": {}, "got": []}
    try:
        out["register"] = carol.register()
        print(out["register"], flush=True)
        sys.stdin.readline()  # the test says when every node knows her
        for node_ip in argv[2:]:
            dave.server = (node_ip, 5060)
            out["sent"][node_ip] = dave.message("sip:carol@%s:5060" % node_ip,
                                                "hello via %s" % node_ip)
        out["got"] = sorted(m.body.decode() if isinstance(m.body, bytes) else m.body
                            for m in carol.requests("MESSAGE"))
    finally:
        carol.close()
        dave.close()
    print(json.dumps(out))


def room_message_main(argv):
    """In the phones' namespace: a MESSAGE for ROOM sent on each NODE-IP and
    through PROXY-IP; prints JSON {ip: [status, contact]}."""
    import sipua
    proxy, local_ip, room = argv[0], argv[1], argv[2]
    ua = sipua.SipUA(5060, "erin", domain="cluster.test", local_ip=local_ip)
    out = {}
    try:
        for ip in argv[3:] + [proxy]:
            ua.server = (ip, 5060)
            ruri = "sip:%s@%s:5060" % (room, ip)
            r = ua.request("MESSAGE", ruri, "<%s>" % ruri, body="hi %s" % room)
            out[ip] = [r.status, r.h("contact")] if r is not None else [None, None]
    finally:
        ua.close()
    print(json.dumps(out))


def invite_main(argv):
    """In the phones' namespace: one INVITE to RURI through PROXY-IP (ACKed
    when it fails); prints JSON: status, Retry-After, Warning."""
    import sipua
    ruri, proxy, local_ip = argv
    ua = sipua.SipUA(5060, "frank", domain="cluster.test", local_ip=local_ip)
    ua.server = (proxy, 5060)
    rtp = ua.rtp_port()
    call_id, tag = "inv-%d@test" % os.getpid(), "t%d" % os.getpid()
    try:
        r = ua.request("INVITE", ruri, "<%s>" % ruri, body=sipua.SDP_TEMPLATE % (rtp.port, "sendrecv"),
                       ctype="application/sdp", call_id=call_id, from_tag=tag, timeout=10)
        out = {"status": r.status if r else None,
               "retry_after": r.h("retry-after") if r else None,
               "warning": r.h("warning") if r else None}
        if r is not None and r.status >= 300:  # ACK the failure (hop by hop)
            via = r.headers.get("via", [""])[0]
            ua.send("ACK %s SIP/2.0\r\nVia: %s\r\nFrom: <sip:frank@cluster.test>;tag=%s\r\n"
                    "To: %s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\n"
                    "Content-Length: 0\r\n\r\n" % (ruri, via, tag, r.h("to"), call_id))
    finally:
        ua.close()
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--invite"]:
        invite_main(sys.argv[2:])
        sys.exit(0)
    if sys.argv[1:2] == ["--room-message"]:
        room_message_main(sys.argv[2:])
        sys.exit(0)
    if sys.argv[1:2] == ["--register"]:
        register_main(sys.argv[2:])
        sys.exit(0)
    if sys.argv[1:2] == ["--message"]:
        message_main(sys.argv[2:])
        sys.exit(0)
    main().exit()
