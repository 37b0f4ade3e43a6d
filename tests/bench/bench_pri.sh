#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# PRI signalling (gw/pri over libpri): complete calls per second at zero
# failures between a user side and a network side span in one thread,
# thread CPU microseconds per call and D-channel frames per call.
# Pinned to one CPU when taskset exists.
# Env: BUILD (build dir), PRI_BENCH_CALLS, PRI_BENCH_CONC.
BUILD=${BUILD:-build}
CALLS=${PRI_BENCH_CALLS:-100000}
CONC=${PRI_BENCH_CONC:-30}
B=$BUILD/bench/pri_bench
PIN=""
command -v taskset >/dev/null 2>&1 && PIN="taskset -c $(($(nproc) - 1))"

[ -x "$B" ] || { echo "# missing $B (make BUILD=$BUILD bench)"; exit 1; }
echo "# command: $PIN $B -n $CALLS -c $CONC"
echo "# conditions: $(nproc) cores shared, load average $(cut -d' ' -f1-3 /proc/loadavg)"
exec $PIN "$B" -n "$CALLS" -c "$CONC"
