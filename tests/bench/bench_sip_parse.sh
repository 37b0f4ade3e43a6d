#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# SIP parse benchmark: the pstngw parser (sip/msg + sip/body) against
# sofia-sip's msg parser on the same corpus, same work per message (see
# tests/bench/sip_parse_bench.c). Runs alternate between the two parsers
# (RUNS rounds of one run each) so that load changes on a shared machine
# hit both alike; per file it prints the median/min/max over the rounds
# for each parser and the ratio of medians. msg/s is per second of thread
# CPU time, one thread.
# Env: BUILD (build dir), SIP_BENCH_N / SIP_BENCH_SOFIA_N (iterations per
# run), SIP_BENCH_RUNS, SIP_BENCH_CORPUS, SIP_BENCH_PIN=1 (taskset to the
# last CPU).
BUILD=${BUILD:-build}
CORPUS=${SIP_BENCH_CORPUS:-tests/data/sip/bench}
N=${SIP_BENCH_N:-200000}
SN=${SIP_BENCH_SOFIA_N:-20000}
RUNS=${SIP_BENCH_RUNS:-5}
P=$BUILD/bench/sip_parse_bench
S=$BUILD/bench/sofia_parse_bench
PIN=""
[ "${SIP_BENCH_PIN:-0}" = 1 ] && command -v taskset >/dev/null 2>&1 &&
	PIN="taskset -c $(($(nproc) - 1))"

for b in "$P" "$S"; do
	[ -x "$b" ] || { echo "# missing $b (make BUILD=$BUILD bench)"; exit 1; }
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT INT TERM

echo "# corpus $CORPUS; $RUNS alternating rounds; per round: $PIN $P -n $N -r 1 $CORPUS ; $PIN $S -n $SN -r 1 $CORPUS"
echo "# msg/s = iterations / thread CPU seconds (one core); cpu: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1); load: $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
r=0
while [ "$r" -lt "$RUNS" ]; do
	$PIN "$P" -n "$N" -r 1 "$CORPUS" >>"$out" || rc=1
	$PIN "$S" -n "$SN" -r 1 "$CORPUS" >>"$out" || rc=1
	r=$((r + 1))
done
grep '^FAIL' "$out"
# RESULT <impl> <file> <median> <min> <max> <iter> over the rounds, then ratios
awk -F'\t' -v runs="$RUNS" '
	function sort(a, n,   i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	}
	$1 == "RESULT" {
		k = $2 SUBSEP $3
		if (!(k in cnt)) { if (!($3 in seen)) { seen[$3] = 1; files[++nf] = $3 } }
		v[k, ++cnt[k]] = $4 + 0
		it[k] = $7
	}
	END {
		for (f = 1; f <= nf; f++) {
			for (m = 1; m <= 2; m++) {
				impl = (m == 1) ? "pstngw" : "sofia"
				k = impl SUBSEP files[f]
				n = cnt[k]
				if (!n) continue
				delete a
				for (i = 1; i <= n; i++) a[i] = v[k, i]
				sort(a, n)
				med[k] = a[int((n + 1) / 2)]
				printf "RESULT\t%s\t%s\t%d\t%d\t%d\t%s\n", impl, files[f], med[k], a[1], a[n], it[k]
			}
		}
		printf "%-28s %12s %12s %8s\n", "# file", "pstngw msg/s", "sofia msg/s", "ratio"
		for (f = 1; f <= nf; f++) {
			p = med["pstngw" SUBSEP files[f]]; s = med["sofia" SUBSEP files[f]]
			if (p == "" || s == "" || s == 0) { printf "%-28s missing\n", files[f]; continue }
			printf "%-28s %12d %12d %7.2fx\n", files[f], p, s, p / s
		}
	}' "$out"
exit $rc
