# SPDX-License-Identifier: LGPL-2.1-or-later
"""Two throw-away network namespaces joined by a veth pair, for peers that
put their primary address into SDP (baresip, linphonec): the server runs in
one, the phones in the other, and no packet leaves this machine."""

import os
import subprocess


def _ip(*args):
    subprocess.run(["ip"] + list(args), check=True, capture_output=True)


def can_use_netns():
    if os.geteuid() != 0:
        return False
    try:
        subprocess.run(["ip", "netns", "list"], check=True, capture_output=True)
        return True
    except (OSError, subprocess.CalledProcessError):
        return False


class NetnsPair:
    """with NetnsPair() as n: n.server_ip, n.phone_ip, n.run_server([...])"""

    def __init__(self):
        tag = "%x" % (os.getpid() & 0xFFFF)
        self.server_ns = "mcu-s-" + tag
        self.phone_ns = "mcu-p-" + tag
        self.veth_s = "vmcus" + tag
        self.veth_p = "vmcup" + tag
        subnet = 64 + os.getpid() % 128
        self.server_ip = "10.201.%d.1" % subnet
        self.phone_ip = "10.201.%d.2" % subnet

    def __enter__(self):
        self.cleanup()
        _ip("netns", "add", self.server_ns)
        _ip("netns", "add", self.phone_ns)
        _ip("link", "add", self.veth_s, "type", "veth", "peer", "name", self.veth_p)
        _ip("link", "set", self.veth_s, "netns", self.server_ns)
        _ip("link", "set", self.veth_p, "netns", self.phone_ns)
        for ns, dev, addr in ((self.server_ns, self.veth_s, self.server_ip),
                              (self.phone_ns, self.veth_p, self.phone_ip)):
            _ip("-n", ns, "addr", "add", addr + "/24", "dev", dev)
            _ip("-n", ns, "link", "set", dev, "up")
            _ip("-n", ns, "link", "set", "lo", "up")
        return self

    def server_cmd(self, argv):
        return ["ip", "netns", "exec", self.server_ns] + list(argv)

    def phone_cmd(self, argv):
        return ["ip", "netns", "exec", self.phone_ns] + list(argv)

    def cleanup(self):
        for ns in (self.server_ns, self.phone_ns):
            subprocess.run(["ip", "netns", "pids", ns], capture_output=True)
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True,
                                  text=True).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except OSError:
                    pass
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def __exit__(self, *exc):
        self.cleanup()
        return False
