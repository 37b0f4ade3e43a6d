#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# SIP parse benchmark: the pstngw parser (sip/msg + sip/body) against
# sofia-sip's msg parser on the same corpus, same work per message (see
# tests/bench/sip_parse_bench.c). Prints both RESULT lines per file and the
# ratio of medians. Single-threaded; pinned to one CPU when taskset exists.
# Env: BUILD (build dir), SIP_BENCH_N / SIP_BENCH_SOFIA_N (iterations per
# run), SIP_BENCH_RUNS, SIP_BENCH_CORPUS.
BUILD=${BUILD:-build}
CORPUS=${SIP_BENCH_CORPUS:-tests/data/sip/bench}
N=${SIP_BENCH_N:-200000}
SN=${SIP_BENCH_SOFIA_N:-20000}
RUNS=${SIP_BENCH_RUNS:-5}
P=$BUILD/bench/sip_parse_bench
S=$BUILD/bench/sofia_parse_bench
PIN=""
command -v taskset >/dev/null 2>&1 && PIN="taskset -c $(($(nproc) - 1))"

for b in "$P" "$S"; do
	[ -x "$b" ] || { echo "# missing $b (make BUILD=$BUILD bench)"; exit 1; }
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT INT TERM

echo "# corpus $CORPUS; pstngw -n $N, sofia -n $SN, $RUNS runs each; msg/s = iterations / wall time per run"
echo "# command: $PIN $P -n $N -r $RUNS $CORPUS ; $PIN $S -n $SN -r $RUNS $CORPUS"
rc=0
$PIN "$P" -n "$N" -r "$RUNS" "$CORPUS" >"$out.p" || rc=1
$PIN "$S" -n "$SN" -r "$RUNS" "$CORPUS" >"$out.s" || rc=1
cat "$out.p" "$out.s"
# per file: pstngw median / sofia median
awk -F'\t' '
	FNR == NR { if ($1 == "RESULT") p[$3] = $4; next }
	$1 == "RESULT" { s[$3] = $4; order[++n] = $3 }
	END {
		printf "%-28s %12s %12s %8s\n", "# file", "pstngw msg/s", "sofia msg/s", "ratio"
		for (i = 1; i <= n; i++) {
			f = order[i]
			if (!(f in p) || s[f] == 0) { printf "%-28s missing\n", f; continue }
			printf "%-28s %12d %12d %7.2fx\n", f, p[f], s[f], p[f] / s[f]
		}
	}' "$out.p" "$out.s"
rm -f "$out.p" "$out.s"
exit $rc
