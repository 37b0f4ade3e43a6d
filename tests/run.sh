#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Run every unit suite (build/tests/test_*) and every integration script
# (tests/integration/*.sh), then print one line "N passed, N failed".
#
# Unit suites are cmocka binaries: their "[  PASSED  ] N test(s)." and
# "[  FAILED  ] N test(s)" lines are summed; a suite that crashes or exits
# non-zero without a FAILED line counts as one failure.
# Integration scripts print "PASS <name>" / "FAIL <name>" / "SKIP <name>"
# lines; a script that exits non-zero without printing FAIL counts as one
# failure. Set TEST_UNIT_ONLY=1 to skip integration, TEST_FILTER=glob to
# pick integration scripts.
BUILD=${1:-build}
export BUILD
passed=0
failed=0
skipped=0
failures=""
LOGDIR="$BUILD/test-logs"
mkdir -p "$LOGDIR"

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	out="$LOGDIR/$name.log"
	(cd "$(dirname "$0")/.." && timeout 300 "$t") >"$out" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" != 0 ]; then
		failures="$failures $name"
		echo "FAIL $name (rc=$rc, see $out)"
		grep -E '^\[  (FAILED|ERROR)|^\[ +LINE|error' "$out" | head -20
	else
		echo "ok   $name ($p)"
	fi
done

if [ -z "$TEST_UNIT_ONLY" ]; then
	for s in tests/integration/${TEST_FILTER:-*}.sh; do
		[ -f "$s" ] || continue
		name=$(basename "$s" .sh)
		out="$LOGDIR/int_$name.log"
		timeout 900 sh "$s" >"$out" 2>&1
		rc=$?
		p=$(grep -c '^PASS ' "$out")
		f=$(grep -c '^FAIL ' "$out")
		k=$(grep -c '^SKIP ' "$out")
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			f=1
			echo "FAIL $name: exited $rc" >>"$out"
		fi
		passed=$((passed + p))
		failed=$((failed + f))
		skipped=$((skipped + k))
		if [ "$f" != 0 ]; then
			failures="$failures $name"
			echo "FAIL $name (see $out)"
			grep -E '^FAIL ' "$out" | head -20
			tail -n 15 "$out"
		else
			echo "ok   $name ($p passed, $k skipped)"
		fi
	done
fi

[ -n "$failures" ] && echo "failed suites:$failures"
if [ "$skipped" != 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
