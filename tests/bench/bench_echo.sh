#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# G.168 echo canceller benchmark: dsp/echo at 1024 taps (every SIMD variant
# this CPU runs) against spandsp 0.0.6's echo_can at the same tail, on the
# same simulated A-law line: microseconds of thread CPU time per channel
# per 20 ms frame, channels per core, speed ratio, and time to 20/30 dB
# ERLE on the G.168 Annex D models for both (see tests/bench/echo_bench.c);
# the cost of ECHO_BENCH_CHANNELS settled cancellers processed in turn
# (state out of the caches in use, as on a media thread);
# then dsp/echo alone on a composite-source far end and on random
# conversations (tests/tools/echo_report.c).
# Single-threaded; pinned to one CPU when taskset exists.
# Env: BUILD (build dir), ECHO_BENCH_FRAMES (cost run length, 20 ms
# frames), ECHO_BENCH_CHANNELS (many-channel cost run), ECHO_BENCH_CONV (seconds per case, ours), ECHO_BENCH_SPANDSP
# (seconds per case, spandsp).
BUILD=${BUILD:-build}
FRAMES=${ECHO_BENCH_FRAMES:-1000}
CONV=${ECHO_BENCH_CONV:-3}
SCONV=${ECHO_BENCH_SPANDSP:-20}
NCH=${ECHO_BENCH_CHANNELS:-1000}
B=$BUILD/bench/echo_bench
PIN=""
command -v taskset >/dev/null 2>&1 && PIN="taskset -c $(($(nproc) - 1))"

R=$BUILD/tools/echo_report
[ -x "$B" ] || { echo "# missing $B (make BUILD=$BUILD bench)"; exit 1; }
echo "# command: $PIN $B -f $FRAMES -c $CONV -C $SCONV -n $NCH"
echo "# conditions: $(nproc) cores shared, load average $(cut -d' ' -f1-3 /proc/loadavg)"
$PIN "$B" -f "$FRAMES" -c "$CONV" -C "$SCONV" -n "$NCH" || exit 1
# Speech-like far end (composite source: voiced, noise, pauses) and
# random conversations (double talk, path changes): figures, not checks.
if [ -x "$R" ]; then
	echo "# command: $R -q -s css -t 6"
	"$R" -q -s css -t 6 | tail -1
	echo "# command: $R -S 200"
	"$R" -S 200 | tail -1
fi
exit 0
