#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Media path benchmark (dsp/rtp, srtp, jitter, codec, dtmf, faxdet; the
# echo canceller is benchmarked by bench_echo.sh): microseconds of thread
# CPU per channel per 20 ms frame for PSTN->IP (decode, DTMF and fax tone
# detection, G.711 encode, RTP pack, sendto on loopback) and IP->PSTN
# (recvfrom, RTP validation, jitter buffer, decode), without and with
# SRTP (AES_CM_128_HMAC_SHA1_80), and the channels per core that implies.
# Single-threaded; pinned to one CPU when taskset exists. UDP ports
# 20000-20999 on 127.0.0.1.
# Env: BUILD (build dir), MEDIA_BENCH_CHANNELS, MEDIA_BENCH_FRAMES.
BUILD=${BUILD:-build}
CH=${MEDIA_BENCH_CHANNELS:-64}
FR=${MEDIA_BENCH_FRAMES:-500}
B=$BUILD/bench/media_bench
PIN=""
command -v taskset >/dev/null 2>&1 && PIN="taskset -c $(($(nproc) - 1))"

[ -x "$B" ] || { echo "# missing $B (make BUILD=$BUILD bench)"; exit 1; }
echo "# command: $PIN $B -c $CH -f $FR"
echo "# conditions: $(nproc) cores shared, load average $(cut -d' ' -f1-3 /proc/loadavg)"
exec $PIN "$B" -c "$CH" -f "$FR"
