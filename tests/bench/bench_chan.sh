#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Full per-channel media pipeline (dsp/chan): G.168 canceller at 128 ms,
# DTMF and fax tone detection, G.711, RTP on loopback, without and with
# SRTP; CPU per channel per 20 ms frame, channels per core, RSS per
# channel, and a real-time run counting overrun ticks on one thread.
# Env: CHAN_BENCH_CHANNELS (default 256), CHAN_BENCH_RT (channels for the
# real-time run, default 1000), CHAN_BENCH_SECS (default 5).
BUILD=${BUILD:-build}
B=$BUILD/bench/chan_bench
CH=${CHAN_BENCH_CHANNELS:-256}
RT=${CHAN_BENCH_RT:-1000}
SECS=${CHAN_BENCH_SECS:-5}
PIN=""
command -v taskset >/dev/null 2>&1 && PIN="taskset -c $(($(nproc) - 1))"
[ -x "$B" ] || { echo "# missing $B"; exit 1; }
echo "# command: $PIN $B -c $CH -f 500 -r 0 [-s]; $PIN $B -c $RT -f 50 -r $SECS"
$PIN "$B" -c "$CH" -f 500 -r 0
$PIN "$B" -c "$CH" -f 500 -r 0 -s
$PIN "$B" -c "$RT" -f 50 -r "$SECS"
