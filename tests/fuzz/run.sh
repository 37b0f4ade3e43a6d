#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make fuzz: run each libFuzzer harness for a bounded time on a copy of its
# seed corpus (tests/fuzz/corpus/<harness>/), then print per-harness and
# total executions and crashes. Exit 1 if any harness crashed.
BUILD=$1
SECS=$2
shift 2
total_execs=0
total_crashes=0
for f in "$@"; do
	name=$(basename "$f")
	work="$BUILD/fuzz-work/$name"
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/artifacts"
	seed="tests/fuzz/corpus/$name"
	[ -d "$seed" ] && cp -r "$seed"/. "$work/corpus/" 2>/dev/null
	dict=""
	[ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
	"$f" -max_total_time="$SECS" -print_final_stats=1 -rss_limit_mb=2048 \
		-artifact_prefix="$work/artifacts/" $dict "$work/corpus" \
		>"$work/log" 2>&1
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
	execs=${execs:-0}
	crashes=$(find "$work/artifacts" -type f | wc -l)
	echo "FUZZ $name execs=$execs crashes=$crashes seconds=$SECS"
	[ "$crashes" = 0 ] || grep -E 'ERROR|SUMMARY' "$work/log" | head -5
	total_execs=$((total_execs + execs))
	total_crashes=$((total_crashes + crashes))
done
echo "FUZZ total execs=$total_execs crashes=$total_crashes"
[ "$total_crashes" = 0 ]
