#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Builds the Debian package from a copy of the source tree (dpkg-buildpackage
writes to the parent directory) and checks it:
- `dpkg-buildpackage -us -uc -b` succeeds (DEB_BUILD_OPTIONS=nocheck: the
  tests ran in this build already);
- `dpkg-deb -c`: the daemon, mcuctl, the GStreamer plugin, the config as a
  conffile, the unit, the fail2ban files and the three man pages;
- the maintainer scripts create the user mcu and handle the unit;
- `lintian`: no errors (warnings are printed);
- unpacked into a throwaway root (`dpkg -x`): its unit passes
  verify_unit.py, its mcu prints its version, and it starts on the
  installed config (paths moved into the throwaway root), serves an
  OPTIONS and stops on SIGTERM with exit 0."""

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.environ.get("MCU_SOURCE_ROOT",
                      os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
HERE = os.path.dirname(os.path.abspath(__file__))
failures = []


def check(cond, what):
    print("%s - %s" % ("ok" if cond else "FAIL", what), flush=True)
    if not cond:
        failures.append(what)
    return cond


def run(args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(args, **kw)


def copy_tree(dest):
    """The tracked and new (not ignored) files: what a clone would have,
    plus uncommitted work."""
    files = run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                check=True).stdout.split("\0")
    for f in filter(None, files):
        src = os.path.join(ROOT, f)
        if not os.path.isfile(src):
            continue  # deleted in the work tree
        os.makedirs(os.path.dirname(os.path.join(dest, f)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, f))


def options_answered(port, timeout=3.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    cid = uuid.uuid4().hex
    msg = ("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
           "From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1:%d>\r\nCall-ID: %s\r\n"
           "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
           % (port, s.getsockname()[1], cid[:12], port, cid)).encode()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            s.sendto(msg, ("127.0.0.1", port))
            s.settimeout(0.5)
            try:
                data = s.recv(65535)
            except socket.timeout:
                continue
            if cid.encode() in data and data.startswith(b"SIP/2.0 200"):
                return True
        return False
    finally:
        s.close()


def smoke_test(root, work):
    """The unpacked mcu on the unpacked config, its paths moved to work/."""
    with open(os.path.join(root, "etc/mcu/mcu.conf")) as f:
        conf = f.read()
    check("database=/var/lib/mcu/mcu.db" in conf and "socket=/run/mcu/control.sock" in conf,
          "the installed config keeps the database in /var/lib/mcu and the socket in /run/mcu")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    conf = conf.replace("/var/lib/mcu/", work + "/").replace("/run/mcu/", work + "/")
    conf = re.sub(r"^port=5060$", "port=%d" % port, conf, flags=re.M)
    conf = re.sub(r"^rtp-port-min=.*$", "rtp-port-min=%d" % (40000 + os.getpid() % 5000 * 4),
                  conf, flags=re.M)
    conf = re.sub(r"^rtp-port-max=.*$", "rtp-port-max=%d" % (40000 + os.getpid() % 5000 * 4 + 99),
                  conf, flags=re.M)
    # the packaged prompt set, moved with the rest (the daemon logs any missing)
    conf += "\n[prompts]\ndir=%s\n" % os.path.join(root, "usr/share/mcu/prompts/en")
    path = os.path.join(work, "mcu.conf")
    with open(path, "w") as f:
        f.write(conf)
    env = dict(os.environ)
    for k in ("GST_PLUGIN_PATH", "GST_REGISTRY", "G_DEBUG", "NOTIFY_SOCKET"):
        env.pop(k, None)
    log = open(os.path.join(work, "mcu.log"), "w+")
    proc = subprocess.Popen([os.path.join(root, "usr/bin/mcu"), "--config", path],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and proc.poll() is None:
            log.seek(0)
            if "listening on" in log.read():
                break
            time.sleep(0.05)
        check(proc.poll() is None, "the unpacked mcu starts on the installed config")
        check(options_answered(port), "and answers OPTIONS")
        check(os.path.exists(os.path.join(work, "control.sock")), "and opens its control socket")
        log.seek(0)
        check("prompts:" not in log.read(), "and has every prompt of the packaged set")
        proc.send_signal(signal.SIGTERM)
        check(proc.wait(15) == 0, "and exits 0 on SIGTERM")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.seek(0)
        print("---- mcu log ----\n" + log.read()[-3000:])
        log.close()


def main():
    for tool in ("dpkg-buildpackage", "dh", "lintian"):
        if shutil.which(tool) is None:
            print("SKIP: no %s (scripts/install-deps --test installs it)" % tool)
            return 77
    work = tempfile.mkdtemp(prefix="mcu-deb-")
    try:
        src = os.path.join(work, "mcu-src")
        copy_tree(src)
        env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=%d" % (os.cpu_count() or 1))
        for k in list(env):
            if k.startswith(("MESON", "MCU_", "NINJA")):
                env.pop(k)
        t0 = time.monotonic()
        r = run(["nice", "dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, env=env)
        took = time.monotonic() - t0
        if not check(r.returncode == 0, "dpkg-buildpackage -us -uc -b (%.0f s)" % took):
            print((r.stdout + r.stderr)[-8000:])
            return 1
        debs = glob.glob(os.path.join(work, "mcu_*.deb"))
        if not check(len(debs) == 1, "one mcu .deb: %s" % [os.path.basename(d) for d in debs]):
            return 1
        deb = debs[0]
        listing = run(["dpkg-deb", "-c", deb], check=True).stdout
        print("---- dpkg-deb -c ----\n" + listing)
        paths = {line.split()[-1].lstrip(".") for line in listing.splitlines()}
        for want in ["/usr/bin/mcu", "/usr/bin/mcuctl",
                     "/usr/lib/%s/mcu/gstreamer-1.0/libgstmcu.so"
                     % run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"]).stdout.strip(),
                     "/etc/mcu/mcu.conf", "/lib/systemd/system/mcu.service",
                     "/etc/fail2ban/filter.d/mcu.conf", "/etc/fail2ban/jail.d/mcu.conf",
                     "/usr/share/man/man8/mcu.8.gz", "/usr/share/man/man1/mcuctl.1.gz",
                     "/usr/share/man/man5/mcu.conf.5.gz", "/usr/share/doc/mcu/copyright",
                     "/usr/share/mcu/prompts/en/welcome.wav", "/usr/share/mcu/prompts/en/music.wav"]:
            check(want in paths, "the package has %s" % want)
        check(not any("/tests/" in p or "mcu-test-caller" in p for p in paths),
              "and no test programs")
        with tempfile.TemporaryDirectory(prefix="mcu-deb-ctl-") as ctl:
            run(["dpkg-deb", "-e", deb, ctl], check=True)
            with open(os.path.join(ctl, "conffiles")) as f:
                conffiles = f.read().split()
            check("/etc/mcu/mcu.conf" in conffiles, "/etc/mcu/mcu.conf is a conffile (%s)" % conffiles)
            with open(os.path.join(ctl, "postinst")) as f:
                postinst = f.read()
            check("adduser --system" in postinst, "postinst creates the system user mcu")
            check("deb-systemd-helper" in postinst and "mcu.service" in postinst,
                  "postinst enables mcu.service (dh_installsystemd)")
        info = run(["dpkg-deb", "-f", deb, "Depends"], check=True).stdout
        check("libsofia-sip-ua" in info and "gstreamer1.0-plugins-good" in info,
              "Depends has the libraries and the GStreamer plugins: %s" % info.strip())

        r = run(["lintian", "--tag-display-limit", "0", "--info", "--pedantic", deb])
        out = (r.stdout + r.stderr).strip()
        print("---- lintian ----\n" + (out or "(nothing)"))
        errors = [line for line in out.splitlines() if line.startswith("E:")]
        warnings = [line for line in out.splitlines() if line.startswith("W:")]
        check(not errors, "lintian: no errors (%d warnings)"
              % len(warnings))

        root = os.path.join(work, "root")
        run(["dpkg", "-x", deb, root], check=True)
        unit = os.path.join(root, "lib/systemd/system/mcu.service")
        r = run([sys.executable, os.path.join(HERE, "verify_unit.py"), unit,
                 os.path.join(root, "usr/bin/mcu")])
        print(r.stdout + r.stderr)
        check(r.returncode == 0, "the packaged unit passes verify_unit.py")
        with open(unit) as f:
            check("ExecStart=/usr/bin/mcu --config /etc/mcu/mcu.conf" in f.read(),
                  "its ExecStart is /usr/bin/mcu --config /etc/mcu/mcu.conf")
        r = run([os.path.join(root, "usr/bin/mcu"), "--version"])
        check(r.returncode == 0 and r.stdout.startswith("mcu "),
              "the unpacked mcu --version: %s" % r.stdout.strip())
        smoke_test(root, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
