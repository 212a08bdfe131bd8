#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Video grid benchmark: rooms of N callers sending 640x360 (and 1280x720) at
# 30 fps with time stamps in their pixels, encoder sharing on and off; prints
# a Markdown table (server CPU, frames out/s per participant, added
# glass-to-glass latency, RSS per participant, load generator CPU) and the
# command. See tests/bench/video_bench.py for what each column means.
#
#   tests/bench/run-video-bench.sh [--build DIR] [video_bench.py options]
#     --sizes 4,9,16  --hd 9  --duration 10  --warmup 5  --bitrate 600
#     --no-unshared
#   tests/bench/run-video-bench.sh [--build DIR] --replay [video_replay.py
#     options: --n 16 --size 640x360 --grid-size 1280x720 --hog K]
# --replay: the load generator replays a clip encoded once (one thread,
# ~2 % of a core for 16 callers) and only one probe decodes, so the figures
# are the server's; the live generator above needs over a core for 16.
set -eu

src_root=$(cd "$(dirname "$0")/../.." && pwd)
build=${MCU_BUILD_DIR:-$src_root/build}
if [ "${1:-}" = "--build" ]; then build=$2; shift 2; fi
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then sed -n '3,16p' "$0"; exit 0; fi

if command -v ninja >/dev/null 2>&1 && [ -f "$build/build.ninja" ]; then
  ninja -C "$build" -j2 mcu/mcu tests/tools/mcu-test-caller >&2
fi
export MCU_BIN="$build/mcu/mcu" MCU_TOOLS_DIR="$build/tests/tools" \
  MCU_SOURCE_ROOT="$src_root" PYTHONDONTWRITEBYTECODE=1
echo "mcu $(git -C "$src_root" describe --always --dirty 2>/dev/null || echo '?'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
if [ "${1:-}" = "--replay" ]; then
  shift
  exec /usr/bin/python3 "$src_root/tests/bench/video_replay.py" "$@"
fi
exec /usr/bin/python3 "$src_root/tests/bench/video_bench.py" "$@"
