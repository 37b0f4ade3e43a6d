#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: run every tests/bench/bench_*.sh in name order. Each prints
# its figures with the command and conditions that produced them.
BUILD=${1:-build}
export BUILD
echo "# pstngw benchmarks on $(uname -m), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "# cpu: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
rc=0
for b in tests/bench/bench_*.sh; do
	[ -f "$b" ] || continue
	echo "## $(basename "$b" .sh)"
	sh "$b" || { echo "# $(basename "$b") exited $?"; rc=1; }
done
exit $rc
