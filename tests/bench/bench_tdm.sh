#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# TDM spans (gw/span, gw/tdm_virt): microseconds of thread CPU per 20 ms
# span frame through the virtual span (gateway and master in one thread,
# real SOCK_SEQPACKET sockets, E1 and T1), spans per core, and channel
# group hunt + release cost per strategy. Single-threaded; pinned to one
# CPU when taskset exists.
# Env: BUILD (build dir), TDM_BENCH_BLOCKS, TDM_BENCH_HUNTS.
BUILD=${BUILD:-build}
BLOCKS=${TDM_BENCH_BLOCKS:-20000}
HUNTS=${TDM_BENCH_HUNTS:-200000}
B=$BUILD/bench/tdm_bench
PIN=""
command -v taskset >/dev/null 2>&1 && PIN="taskset -c $(($(nproc) - 1))"

[ -x "$B" ] || { echo "# missing $B (make BUILD=$BUILD bench)"; exit 1; }
echo "# command: $PIN $B -n $BLOCKS -h $HUNTS"
echo "# conditions: $(nproc) cores shared, load average $(cut -d' ' -f1-3 /proc/loadavg)"
exec $PIN "$B" -n "$BLOCKS" -h "$HUNTS"
