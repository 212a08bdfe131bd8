#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs mcu-loadgen against the real daemon on loopback for several room
# sizes and prints a Markdown table plus the exact commands.
#
#   tests/bench/run-bench.sh [--build DIR] [--duration SEC] [--warmup SEC]
#                            [--setup-timeout SEC] [--settle-max SEC]
#                            [--perf] [--perf-n N] [N ...]
#
# N defaults to 10 50 100 200. A run whose calls are not all up after
# --setup-timeout (default 60 s) is measured with the calls that are up; its
# N cell says how many. After the warm-up each run waits up to --settle-max
# (default 30 s) for the server's main thread to go idle (it can lag behind
# the joins), so the window measures the steady state.
#
# --perf adds one more run at --perf-n (default 100) with `perf record -g -p
# <mcu pid>` over the measurement window and prints the top symbols and the
# head of `perf report --stdio --no-children` (that run's CPU numbers include
# perf's overhead, so it is not in the table). perf.data goes to a temporary
# directory, never into the tree.
#
# By hand: mcu-loadgen prints "server pid N" on stderr, then "measuring" when
# the steady state starts; run `perf top -g -p N` in another terminal then,
# or let mcu-loadgen start perf itself at the window start:
#   mcu-loadgen --mcu build/mcu/mcu -n 100 --duration 10 --steady-hook \
#     'perf record -g -p "$MCU_PID" -o /tmp/mcu.perf -- sleep 10'
# (with frame-pointer-less libraries, --call-graph dwarf gives real stacks).
set -eu

src_root=$(cd "$(dirname "$0")/../.." && pwd)
build=${MCU_BUILD_DIR:-$src_root/build}
duration=10
warmup=3
setup_timeout=60
settle_max=30
perf=no
perf_n=100
sizes=""

while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --setup-timeout) setup_timeout=$2; shift 2 ;;
    --settle-max) settle_max=$2; shift 2 ;;
    --perf) perf=yes; shift ;;
    --perf-n) perf_n=$2; shift 2 ;;
    -h|--help) sed -n '3,28p' "$0"; exit 0 ;;
    -*) echo "run-bench.sh: unknown option $1" >&2; exit 2 ;;
    *) sizes="$sizes $1"; shift ;;
  esac
done
[ -n "$sizes" ] || sizes="10 50 100 200"
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac

mcu=$build/mcu/mcu
loadgen=$build/tests/bench/mcu-loadgen
if command -v ninja >/dev/null 2>&1 && [ -f "$build/build.ninja" ]; then
  ninja -C "$build" -j2 mcu/mcu tests/bench/mcu-loadgen >&2
fi
for f in "$mcu" "$loadgen"; do
  [ -x "$f" ] || { echo "run-bench.sh: $f missing (meson setup $build)" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/mcu-run-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

cd "$src_root"
rows=""
commands=""
status=0
for n in $sizes; do
  echo "run-bench.sh: N=$n ($warmup s warm-up + $duration s window)" >&2
  out=$work/run-$n.out
  rc=0
  timeout $((duration + warmup + setup_timeout + settle_max + 120)) \
    "$loadgen" --mcu "$mcu" --participants "$n" --duration "$duration" \
    --warmup "$warmup" --setup-timeout "$setup_timeout" \
    --settle-max "$settle_max" \
    >"$out" 2>"$work/run-$n.err" || rc=$?
  case $rc in
    0) ;;
    3) status=1; echo "run-bench.sh: N=$n: the server did not exit cleanly on SIGTERM" >&2 ;;
    4) echo "run-bench.sh: N=$n: not every call was up after $setup_timeout s" >&2 ;;
    *) status=1; echo "run-bench.sh: N=$n failed (exit $rc):" >&2
       tail -n 20 "$work/run-$n.err" >&2 ;;
  esac
  row=$(grep '^|' "$out" || true)
  cmd=$(grep '^`' "$out" || true)
  [ -n "$row" ] || row="| $n | failed, see stderr | | | | | | | | | |"
  rows="$rows$row
"
  [ -z "$cmd" ] || commands="$commands- $cmd
"
done

echo
echo "Host: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| N | server CPU % of one core | CPU % per participant | RSS MB | RSS KB per participant | threads (per participant) | packets out/s per participant (mean / min) | worst gap ms | callers with gaps > 60 ms | setup ms mean / max | loadgen CPU % |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s' "$rows"
echo
echo "Commands (from $src_root):"
printf '%s' "$commands"
echo "- \`tests/bench/run-bench.sh --build $build --duration $duration --warmup $warmup --setup-timeout $setup_timeout --settle-max $settle_max$sizes\`"
echo
echo "Details (mcu-loadgen's stderr):"
for n in $sizes; do
  echo
  echo "N=$n:"
  echo '```'
  grep -v -e '^mcu-loadgen: measuring' -e '^mcu-loadgen: server pid' \
    "$work/run-$n.err" | sed 's/^mcu-loadgen: //' || true
  echo '```'
done

if [ "$perf" = yes ]; then
  echo
  if ! perf stat -e task-clock true >/dev/null 2>&1; then
    echo "perf is not usable here (perf stat -e task-clock true failed); no profile."
    exit $status
  fi
  echo "run-bench.sh: perf run, N=$perf_n" >&2
  hook="perf record -q -g -p \"\$MCU_PID\" -o $work/perf.data -- sleep $duration"
  if ! "$loadgen" --mcu "$mcu" --participants "$perf_n" --duration "$duration" \
      --warmup "$warmup" --setup-timeout "$setup_timeout" \
      --settle-max "$settle_max" --steady-hook "$hook" >"$work/perf.out" 2>"$work/perf.err"; then
    tail -n 20 "$work/perf.err" >&2
  fi
  echo "perf record -g of the server at N=$perf_n, ${duration} s of steady state" \
    "(\`$(grep '^`' "$work/perf.out" | tr -d '`')\`):"
  echo
  echo "Top symbols by self time (perf report --stdio --no-children --sort dso,sym -g none):"
  echo '```'
  perf report -i "$work/perf.data" --stdio --no-children --sort dso,sym -g none \
    2>/dev/null | grep -v -e '^#' -e '^$' | head -n 15
  echo '```'
  echo
  echo "perf report --stdio --no-children | head -60:"
  echo '```'
  perf report -i "$work/perf.data" --stdio --no-children 2>/dev/null | head -n 60
  echo '```'
fi
exit $status
