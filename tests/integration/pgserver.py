# SPDX-License-Identifier: LGPL-2.1-or-later
"""A throw-away PostgreSQL server for tests: initdb + postgres -D in a temp
dir, listening on a unix socket in that dir and on HOST:PORT (TCP), run as
the `postgres` user when we are root. Trust authentication, fsync off.

    with PgServer() as pg:      # or pg = PgServer(); pg.start() ... pg.stop()
        os.environ["X"] = pg.dsn
        pg.restart()            # same data, same port

    python3 pgserver.py [--host H] [--port P] -- CMD ARGS...
        runs CMD with MCU_TEST_PG_DSN set to the server's DSN and exits with
        CMD's status; exits 77 (skip) when the PostgreSQL server binaries are
        not installed.
"""

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77


def find_bindir():
    """The directory holding initdb and postgres, or None."""
    env = os.environ.get("MCU_PG_BINDIR")
    candidates = [env] if env else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda d: int(d.split("/")[-2]) if d.split("/")[-2].isdigit() else 0,
                         reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(os.path.dirname(initdb))
    for d in candidates:
        if d and os.access(os.path.join(d, "initdb"), os.X_OK) and \
                os.access(os.path.join(d, "postgres"), os.X_OK):
            return d
    return None


def free_tcp_port(host):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((host, 0))
        return s.getsockname()[1]
    finally:
        s.close()


class PgServer:
    def __init__(self, host="127.0.0.1", port=None, dbname="mcu", bindir=None, netns=None):
        """@host: the TCP address to listen on (None: unix socket only).
        @netns: run postgres inside this network namespace (ip netns exec)."""
        self.bindir = bindir or find_bindir()
        if self.bindir is None:
            raise FileNotFoundError("PostgreSQL server binaries (initdb, postgres) not found: "
                                    "install the postgresql package")
        self.host = host
        self.netns = netns
        self.port = port or (free_tcp_port(host) if host and not netns else 5432 + os.getpid() % 1000 + 1000)
        self.dbname = dbname
        self.dir = tempfile.mkdtemp(prefix="mcu-pg-")
        self.data = os.path.join(self.dir, "data")
        self.sockdir = self.dir
        self.log_path = os.path.join(self.dir, "postgres.log")
        self.proc = None
        self._initialised = False
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o755)

    @property
    def dsn(self):
        """The TCP DSN when listening on TCP, else the unix-socket one."""
        if self.host:
            return "host=%s port=%d user=postgres dbname=%s connect_timeout=5" % (
                self.host, self.port, self.dbname)
        return self.socket_dsn

    @property
    def socket_dsn(self):
        return "host=%s port=%d user=postgres dbname=%s connect_timeout=5" % (
            self.sockdir, self.port, self.dbname)

    def _cmd(self, args):
        cmd = list(args)
        if self._as_postgres:
            cmd = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
                   "--"] + cmd
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns] + cmd
        return cmd

    def _run(self, args, **kw):
        return subprocess.run(self._cmd(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              cwd=self.dir, check=True, timeout=kw.pop("timeout", 60), **kw)

    def _initdb(self):
        self._run([os.path.join(self.bindir, "initdb"), "-D", self.data, "-U", "postgres",
                   "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"])
        self._initialised = True

    def start(self, timeout=30.0):
        if not self._initialised:
            self._initdb()
        log = open(self.log_path, "ab")
        args = [os.path.join(self.bindir, "postgres"), "-D", self.data, "-k", self.sockdir,
                "-p", str(self.port), "-h", self.host or "",
                "-c", "fsync=off", "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off", "-c", "max_connections=100",
                "-c", "shared_buffers=16MB"]
        self.proc = subprocess.Popen(self._cmd(args), stdout=log, stderr=subprocess.STDOUT,
                                     cwd=self.dir, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited with %d:\n%s" % (self.proc.returncode,
                                                                    self.log_text()[-3000:]))
            r = subprocess.run(self._cmd([os.path.join(self.bindir, "pg_isready"), "-q", "-h",
                                          self.sockdir, "-p", str(self.port)]))
            if r.returncode == 0:
                break
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("postgres not ready after %.0f s:\n%s" % (
                    timeout, self.log_text()[-3000:]))
            time.sleep(0.1)
        if self.dbname != "postgres":
            exists = self.psql("SELECT count(*) FROM pg_database WHERE datname = '%s'"
                               % self.dbname, dbname="postgres").strip()
            if exists == "0":
                self.psql('CREATE DATABASE "%s"' % self.dbname, dbname="postgres")
        return self

    def psql(self, sql, dbname=None):
        """Runs @sql with psql over the unix socket; returns its output."""
        r = self._run([os.path.join(self.bindir, "psql"), "-X", "-q", "-A", "-t",
                       "-v", "ON_ERROR_STOP=1", "-h", self.sockdir, "-p", str(self.port),
                       "-U", "postgres", "-d", dbname or self.dbname, "-c", sql])
        return r.stdout.decode(errors="replace")

    def stop(self, mode="fast", timeout=30.0):
        """Stops the server: mode "fast" (SIGINT: clients are disconnected),
        "immediate" (SIGQUIT) or "kill" (SIGKILL, a crash)."""
        if self.proc is None:
            return
        sig = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT,
               "kill": signal.SIGKILL}[mode]
        if self.proc.poll() is None:
            try:
                if mode == "kill":
                    os.killpg(self.proc.pid, sig)
                else:
                    self.proc.send_signal(sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        if mode == "kill":
            # children of a SIGKILLed postmaster exit by themselves; wait
            # until the pid file goes stale so a restart can begin
            pidfile = os.path.join(self.data, "postmaster.pid")
            try:
                os.unlink(pidfile)
            except OSError:
                pass

    def restart(self, mode="fast"):
        self.stop(mode)
        return self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


def main(argv):
    import argparse
    if "--" not in argv:
        print("usage: pgserver.py [--host H] [--port P] -- CMD ARGS...", file=sys.stderr)
        return 2
    i = argv.index("--")
    ap = argparse.ArgumentParser(prog="pgserver.py")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=None)
    ap.add_argument("--dbname", default="mcu")
    opts = ap.parse_args(argv[:i])
    cmd = argv[i + 1:]
    if not cmd:
        print("pgserver.py: no command after --", file=sys.stderr)
        return 2
    if find_bindir() is None:
        print("SKIP: PostgreSQL server binaries (initdb, postgres) not found; "
              "install the postgresql package", file=sys.stderr)
        return SKIP
    pg = PgServer(host=opts.host or None, port=opts.port, dbname=opts.dbname)
    try:
        pg.start()
        env = dict(os.environ, MCU_TEST_PG_DSN=pg.dsn)
        r = subprocess.run(cmd, env=env)
        return r.returncode
    except RuntimeError as e:
        print("pgserver.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        pg.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
