#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""mcu.service as meson generated it: `systemd-analyze verify` has nothing to
say (it exits 0 on unknown keys and bad values, so any output fails the
test), its hardening scores at most MAX_EXPOSURE in `systemd-analyze security
--offline`, and the settings the service depends on are there.
Usage: verify_unit.py UNIT [MCU-BINARY]; the binary replaces ExecStart's
(installed) path, which need not exist here."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

MAX_EXPOSURE = 2.5
REQUIRED = [
    "Type=notify", "User=mcu", "Group=mcu", "StateDirectory=mcu", "RuntimeDirectory=mcu",
    "ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes", "PrivateTmp=yes",
    "PrivateDevices=yes", "CapabilityBoundingSet=", "AmbientCapabilities=",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
    "SystemCallFilter=@system-service", "WatchdogSec=30s", "MemoryDenyWriteExecute=yes",
    "LimitNICE=-10",
]


def main():
    if shutil.which("systemd-analyze") is None:
        print("SKIP: no systemd-analyze (scripts/install-deps --test installs systemd)")
        return 77
    unit, binary = sys.argv[1], (os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None)
    with open(unit) as f:
        text = f.read()
    failures = []
    lines = set(text.splitlines())
    for want in REQUIRED:
        if want not in lines:
            failures.append("missing line: %s" % want)
    exec_start = re.search(r"^ExecStart=(\S+) --config (\S+)$", text, re.M)
    if not exec_start:
        failures.append("ExecStart is not 'BINARY --config FILE'")
    elif not exec_start.group(2).endswith("/mcu/mcu.conf"):
        failures.append("ExecStart's config is %s" % exec_start.group(2))
    if binary and exec_start:
        text = text.replace("ExecStart=" + exec_start.group(1), "ExecStart=" + binary)
    with tempfile.TemporaryDirectory(prefix="mcu-unit-") as d:
        path = os.path.join(d, "mcu.service")
        with open(path, "w") as f:
            f.write(text)
        r = subprocess.run(["systemd-analyze", "verify", "--man=no", path],
                           capture_output=True, text=True, timeout=60)
        out = (r.stdout + r.stderr).strip()
        print("systemd-analyze verify: exit %d%s" % (r.returncode, (":\n" + out) if out else ", silent"))
        if r.returncode != 0 or out:
            failures.append("systemd-analyze verify complained")
        r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", path],
                           capture_output=True, text=True, timeout=60)
        m = re.search(r"Overall exposure level for mcu.service: ([0-9.]+)", r.stdout + r.stderr)
        if not m:
            failures.append("systemd-analyze security gave no score:\n" + r.stdout + r.stderr)
        else:
            print("systemd-analyze security: exposure %s (at most %.1f allowed)" % (m.group(1), MAX_EXPOSURE))
            if float(m.group(1)) > MAX_EXPOSURE:
                failures.append("exposure %s > %.1f" % (m.group(1), MAX_EXPOSURE))
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
