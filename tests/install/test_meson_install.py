#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`meson install` into a DESTDIR: the daemon, mcuctl, the plugin, the unit
(its ExecStart is the installed mcu on the installed config), the config
with the service's paths, the fail2ban filter and jail, the man pages,
datadir/mcu and the cluster examples in doc/mcu/examples; a second install keeps an edited config and jail.
Usage: test_meson_install.py BUILD-DIR"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    print("%s - %s" % ("ok" if cond else "FAIL", what), flush=True)
    if not cond:
        failures.append(what)


def install(build, dest):
    r = subprocess.run(["meson", "install", "-C", build, "--no-rebuild", "--destdir", dest],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        print(r.stdout + r.stderr)
    return r.returncode == 0


def main():
    build = os.path.abspath(sys.argv[1])
    with open(os.path.join(build, "meson-info", "intro-buildoptions.json")) as f:
        opts = {o["name"]: o["value"] for o in json.load(f)}
    prefix = opts["prefix"]
    sysconf = os.path.join(prefix, opts["sysconfdir"])
    unitdir = opts["systemdsystemunitdir"] or os.path.join(prefix, "lib/systemd/system")
    man = opts["man"] != "disabled" and shutil.which("scdoc")
    dest = tempfile.mkdtemp(prefix="mcu-install-")
    try:
        check(install(build, dest), "meson install --destdir")
        root = lambda *p: os.path.join(dest, *[x.lstrip("/") for x in p])  # noqa: E731
        wants = [root(prefix, opts["bindir"], "mcu"), root(prefix, opts["bindir"], "mcuctl"),
                 root(prefix, opts["libdir"], "mcu", "gstreamer-1.0", "libgstmcu.so"),
                 root(unitdir, "mcu.service"), root(sysconf, "mcu", "mcu.conf"),
                 root(sysconf, "fail2ban", "filter.d", "mcu.conf"),
                 root(sysconf, "fail2ban", "jail.d", "mcu.conf")]
        wants += [root(prefix, opts["datadir"], "doc", "mcu", "examples", f)
                  for f in ("mcu-cluster.conf", "kamailio.cfg", "dispatcher.list")]
        if man:
            wants += [root(prefix, opts["mandir"], "man8", "mcu.8"),
                      root(prefix, opts["mandir"], "man1", "mcuctl.1"),
                      root(prefix, opts["mandir"], "man5", "mcu.conf.5")]
        for w in wants:
            check(os.path.isfile(w), "installed %s" % os.path.relpath(w, dest))
        check(os.path.isdir(root(prefix, opts["datadir"], "mcu")), "datadir/mcu exists")
        check(not os.path.exists(root(prefix, opts["bindir"], "mcu-test-caller")), "no test tools")
        with open(root(unitdir, "mcu.service")) as f:
            unit = f.read()
        want = "ExecStart=%s --config %s" % (os.path.join(prefix, opts["bindir"], "mcu"),
                                             os.path.join(sysconf, "mcu", "mcu.conf"))
        check(want in unit.splitlines(), "the unit runs %s" % want)
        conf_path = root(sysconf, "mcu", "mcu.conf")
        with open(conf_path) as f:
            conf = f.read()
        check("database=/var/lib/mcu/mcu.db" in conf and "socket=/run/mcu/control.sock" in conf
              and "port=5060" in conf, "the config has the service's database and socket")
        jail = root(sysconf, "fail2ban", "jail.d", "mcu.conf")
        for path in (conf_path, jail):
            with open(path, "a") as f:
                f.write("# edited by the operator\n")
        check(install(build, dest), "a second meson install")
        for path in (conf_path, jail):
            with open(path) as f:
                check(f.read().endswith("# edited by the operator\n"),
                      "the second install kept the edited %s" % os.path.relpath(path, dest))
    finally:
        shutil.rmtree(dest, ignore_errors=True)
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
