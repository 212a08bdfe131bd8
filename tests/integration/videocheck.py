# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers for the video tests: mcu-test-caller processes with video, their
JSON reports (partial ones on SIGUSR1), colour checks on the tiles they
describe, and a small PNG reader (no PIL on this machine)."""

import json
import os
import signal
import struct
import subprocess
import time
import zlib

import mcutest

CALLER = os.path.join(mcutest.TOOLS_DIR, "mcu-test-caller")
TOLERANCE = 40  # per RGB channel, for a tile's median colour


def rgb(hexcolour):
    return tuple(int(hexcolour[i:i + 2], 16) for i in (0, 2, 4))


def close(actual, expected, tol=TOLERANCE):
    return all(abs(a - e) <= tol for a, e in zip(actual, expected))


def server_grid(n):
    """The grid the server's layout uses for n tiles, in the tool's syntax
    (rooms/mcu-layout.c: 1, 2 side by side, 2x2, 3x3, 4x4; an incomplete
    last row is centred)."""
    if n <= 1:
        return "1x1"
    if n == 2:
        return "2x1"
    side = 2 if n <= 4 else 3 if n <= 9 else 4
    return "%dx%d:%d" % (side, side, n) if n < side * side else "%dx%d" % (side, side)


class Caller:
    """One mcu-test-caller process; reports and logs in workdir."""

    def __init__(self, workdir, name, uri, args, duration=90):
        self.name = name
        self.report_path = os.path.join(workdir, name + ".json")
        self.log_path = os.path.join(workdir, name + ".log")
        self.log = open(self.log_path, "w")
        argv = [CALLER, "--uri", uri, "--display-name", name, "--report", self.report_path,
                "--duration", str(duration), "--timeout", str(duration + 30)] + list(args)
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def answered(self):
        """The final status of the INVITE, or None while waiting."""
        for line in self.log_text().splitlines():
            if "INVITE answered " in line and "re-INVITE" not in line:
                return int(line.split("INVITE answered ")[1].split()[0])
        return None

    def wait_answered(self, timeout=10.0):
        status = mcutest.poll_until(lambda: self.answered() or self.proc.poll() is not None,
                                    timeout)
        return self.answered() if status else None

    def report(self):
        try:
            with open(self.report_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def capture(self):
        """Asks for a grid capture of the latest frame (SIGUSR1)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)

    def latest_grid(self):
        """The newest captured grid in the report, or None."""
        r = self.report()
        if not r or not r.get("video") or not r["video"].get("grids"):
            return None
        return r["video"]["grids"][-1]

    def stop(self, timeout=15.0):
        """SIGTERM (clean hang-up) and wait; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        return self.proc.returncode


def tiles_match(grid, layout, expected):
    """expected: list of RGB tuples (None = do not check) per tile. Returns
    (ok, text)."""
    tiles = grid["layouts"].get(layout) if grid else None
    if not tiles:
        return False, "no %s tiles captured" % layout
    bad = []
    for i, want in enumerate(expected):
        if want is not None and not close(tiles[i]["median"], want):
            bad.append("tile %d %s, want %s" % (i, tiles[i]["median"], list(want)))
    return not bad, "; ".join(bad) if bad else "all tiles as expected"


def wait_for_grid(callers, layout, expected, timeout):
    """Polls SIGUSR1 captures of every caller until each shows `expected`
    in `layout`, or timeout. Returns {name: (ok, text)}."""
    result = {}
    deadline = time.monotonic() + timeout
    pending = list(callers)
    while pending and time.monotonic() < deadline:
        for c in pending:
            c.capture()
        time.sleep(0.4)
        for c in list(pending):
            ok, text = tiles_match(c.latest_grid(), layout, expected)
            result[c.name] = (ok, text)
            neg = ((c.report() or {}).get("video") or {}).get("negotiated")
            if ok or c.report() and not (neg and neg.get("port")):
                pending.remove(c)  # done, or no video to wait for
                if not ok:
                    result[c.name] = (False, "no video negotiated")
    return result


def read_png(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB/RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("%s: not a PNG" % path)
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError("%s: only 8-bit RGB/RGBA non-interlaced" % path)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 255
            elif ftype == 2:
                line[x] = (line[x] + b) & 255
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, bpp)])
        prev = line
    return width, height, rows


def region_median(rows, x0, y0, x1, y1):
    """Per-channel median RGB over a rectangle of read_png rows."""
    chans = ([], [], [])
    for y in range(y0, y1):
        for px in rows[y][x0:x1]:
            for k in range(3):
                chans[k].append(px[k])
    return tuple(sorted(ch)[len(ch) // 2] for ch in chans)


def region_stddev(rows, x0, y0, x1, y1):
    """Standard deviation of luma over a rectangle of read_png rows."""
    vals = [0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2] for y in range(y0, y1) for p in rows[y][x0:x1]]
    if len(vals) < 2:
        return 0.0
    mean = sum(vals) / len(vals)
    return (sum((v - mean) ** 2 for v in vals) / len(vals)) ** 0.5
