# SPDX-License-Identifier: LGPL-2.1-or-later
"""A capture of the UDP packets on one interface, for tests whose peers run
in a network namespace (netns.py): run it there with `ip netns exec NS
python3 udpsniff.py DEV OUT`; it prints "ready" once it listens and, on
SIGTERM, writes every IPv4 UDP packet it saw to OUT as JSON lines
[src_port, dst_port, payload hex]. AF_PACKET: needs root."""

import json
import signal
import socket
import struct
import sys


def main():
    dev, out = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind((dev, 0))
    sock.settimeout(0.2)
    running = [True]
    signal.signal(signal.SIGTERM, lambda *a: running.__setitem__(0, False))
    packets = []
    print("ready", flush=True)
    while running[0]:
        try:
            frame = sock.recv(65535)
        except (socket.timeout, InterruptedError):
            continue
        ip = frame[14:]
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        udp = ip[(ip[0] & 15) * 4:]
        sport, dport = struct.unpack("!HH", udp[:4])
        packets.append([sport, dport, bytes(udp[8:]).hex()])
    with open(out, "w") as f:
        for p in packets:
            f.write(json.dumps(p) + "\n")


if __name__ == "__main__":
    main()
