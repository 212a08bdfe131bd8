#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The man pages document everything: each config key of mcu/mcu-config.c's
key table in its group's section of mcu.conf(5), each command of mcuctl.c's
command table in mcuctl(1)'s COMMANDS, and each of mcuctl's options."""

import os
import re
import sys

ROOT = os.environ.get("MCU_SOURCE_ROOT",
                      os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def read(*path):
    with open(os.path.join(ROOT, *path), encoding="utf-8") as f:
        return f.read()


def sections(scd):
    """{heading: text} of an scdoc page's '# HEADING' sections."""
    out = {}
    for part in re.split(r"^# ", scd, flags=re.M)[1:]:
        head, _, body = part.partition("\n")
        out[head.strip()] = body
    return out


def main():
    missing = []
    config_c = read("mcu", "mcu-config.c")
    table = config_c[config_c.index("key_specs[] = {"):]
    table = table[:table.index("};")]
    keys = re.findall(r'\{\s*"([a-z:]+)",\s*"([a-z0-9-]+)"', table)
    if len(keys) < 50:
        missing.append("only %d keys found in mcu-config.c's key_specs: parser out of date" % len(keys))
    conf = sections(read("doc", "mcu.conf.5.scd"))
    for group, key in keys:
        head = "[%s]" % (group + "NAME" if group.endswith(":") else group)
        body = conf.get(head)
        if body is None:
            missing.append("mcu.conf(5): no section %s" % head)
        elif not re.search(r"\*%s\*" % re.escape(key), body):
            missing.append("mcu.conf(5): %s %s is not documented" % (head, key))

    mcuctl_c = read("mcu", "mcuctl.c")
    table = mcuctl_c[mcuctl_c.index("commands[] = {"):]
    table = table[:table.index("};")]
    commands = re.findall(r'\{\s*"([a-z-]+)",\s*(?:\d+|[A-Z_]+),', table)
    if len(commands) < 15:
        missing.append("only %d commands found in mcuctl.c: parser out of date" % len(commands))
    ctl = sections(read("doc", "mcuctl.1.scd"))
    for cmd in commands:
        if not re.search(r"^\*%s[* ]" % re.escape(cmd), ctl.get("COMMANDS", ""), re.M) and \
                not re.search(r", \*%s\*" % re.escape(cmd), ctl.get("COMMANDS", "")):
            missing.append("mcuctl(1): command %s is not documented" % cmd)
    options = re.findall(r'\{\s*"([a-z-]+)",\s*\'(\w)\',\s*0,\s*G_OPTION_ARG', mcuctl_c)
    for long, short in options:
        # global options in OPTIONS, a command's own (dial --wait) with it
        if "*-%s, --%s*" % (short, long) not in ctl.get("OPTIONS", "") + ctl.get("COMMANDS", ""):
            missing.append("mcuctl(1): option -%s, --%s is not documented" % (short, long))

    for m in missing:
        print(m)
    print("%d config keys, %d mcuctl commands, %d mcuctl options checked; %d missing"
          % (len(keys), len(commands), len(options), len(missing)))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
