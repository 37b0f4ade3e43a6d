#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Media thread messaging (dsp/mq + dsp/engine): latency and throughput.
BUILD=${BUILD:-build}
echo "# command: $BUILD/bench/engine_bench -n 200000"
"$BUILD/bench/engine_bench" -n 200000
