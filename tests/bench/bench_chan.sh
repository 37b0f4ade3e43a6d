#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Full per-channel media pipeline (dsp/chan): G.168 canceller at 128 ms,
# DTMF and fax tone detection, G.711, RTP on loopback, without and with
# SRTP. Throughput: thread CPU per channel per 20 ms frame, channels per
# core, RSS per channel. Real time: N channels on one dsp/engine media
# thread ticked on absolute 20 ms deadlines, counting missed ticks (work
# ending after the next deadline), with the thread's CPU per channel per
# frame (RTP receive included). The calls are 6 s old (cancellers
# settled, a conversation going on); then 1000 calls only 0.5 s old, all
# cancellers still converging at once (the worst case, e.g. a span's
# calls set up together), with the media thread's tick budget (80 %:
# past it, the period's remaining channels skip canceller adaptation,
# dsp_budget) and without it (-B 0). Bounded: about 100 s in all by
# default.
# Env: CHAN_BENCH_CHANNELS (throughput run, default 256),
# CHAN_BENCH_RT (channel counts, default 500,1000,1200),
# CHAN_BENCH_RT_SRTP (default 500,1000), CHAN_BENCH_SECS (default 10),
# CHAN_BENCH_CONV (converging run's channels, default 1000).
BUILD=${BUILD:-build}
B=$BUILD/bench/chan_bench
CH=${CHAN_BENCH_CHANNELS:-256}
RT=${CHAN_BENCH_RT:-500,1000,1200}
RTS=${CHAN_BENCH_RT_SRTP:-500,1000}
SECS=${CHAN_BENCH_SECS:-10}
CONV=${CHAN_BENCH_CONV:-1000}
PIN=""
command -v taskset >/dev/null 2>&1 && PIN="taskset -c $(($(nproc) - 1))"
TO=""
command -v timeout >/dev/null 2>&1 && TO="timeout 150"
[ -x "$B" ] || { echo "# missing $B"; exit 1; }
echo "# host load before: $(cut -d' ' -f1-3 /proc/loadavg) (shared machine: figures are thread CPU time unless marked)"
echo "# command: $PIN $B -c $CH -f 500 -r $SECS -R $RT"
$TO $PIN "$B" -c "$CH" -f 500 -r "$SECS" -R "$RT" || exit 1
echo "# command: $PIN $B -c $CH -f 500 -r $SECS -R $RTS -s"
$TO $PIN "$B" -c "$CH" -f 500 -r "$SECS" -R "$RTS" -s || exit 1
echo "# converging calls: command: $PIN $B -f 0 -w 25 -r $SECS -R $CONV (tick budget 80 %), then -B 0 (none)"
$TO $PIN "$B" -f 0 -w 25 -r "$SECS" -R "$CONV" || exit 1
$TO $PIN "$B" -f 0 -w 25 -r "$SECS" -R "$CONV" -B 0 || exit 1
