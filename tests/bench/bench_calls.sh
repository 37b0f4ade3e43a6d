#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Complete calls per second through the pstngw daemon, end to end: sipp
# (UAC, tests/data/sipp/bench_call_uac.xml: INVITE -> 200 -> ACK -> BYE ->
# 200) -> pstngw (SIP, call state, route, PRI CPE over 8 virtual E1 spans =
# 240 B-channels in one group, one RTP channel per call, a CDR per call)
# -> pstnsim (PRI NET, subscriber 1001: answers at once, digital loopback).
# The offered rate steps upward (sipp -r R -rp 1000 -m R*STEP) until a step
# is not clean; a second series holds each call 1 s, which needs R
# concurrent channels at R calls/s, so it is capped at ~200 calls/s by the
# 240 channels. Per step: offered and achieved calls/s, sipp's successful,
# failed and retransmission counters, the gateway's own counters
# (`pstngwctl calls`) and CDR rows (sqlite3), live SIP transactions and
# RSS of pstngw at the end of the step, and the CPU time (utime + stime
# from /proc/PID/stat, all threads) of pstngw, pstnsim and sipp per
# completed call. A step is clean when every offered call completed, no
# call failed on either side, every CDR row says 200, and sipp kept the
# offered pace (achieved >= 95 % of offered). Traffic on 127.0.0.1 only: SIP 15600-15603, RTP
# 61000-62999 (above the kernel's ephemeral range 32768-60999: a port
# taken there by any other socket fails the call that gets it). Logs and
# configs are kept in BUILD/bench-logs/calls.
#   CALLS_STEP_S       seconds per step (default 20)
#   CALLS_RATES        offered calls/s, no hold (default "500 1000 1500 2000 2500 3000 4000")
#   CALLS_HOLD_RATES   offered calls/s, calls held CALLS_HOLD_MS (default "100 200"; empty: none)
#   CALLS_HOLD_MS      hold time of the second series (default 1000)
#   CALLS_HUNT         hunting in the group: roundrobin or lru (default roundrobin)
#   CALLS_BUDGET_S     no step starts that could end after this many seconds (default 225)
#   CALLS_MAX_TSX      pstngw [sip] max_transactions (default 400000; see below)
#   CALLS_PERF_RATE=R  record a perf profile (perf record -g) of pstngw during the
#                      no-hold step at R calls/s and print its top symbols
#   CALLS_PERF_OPTS    perf record options (default "-g"; "--call-graph dwarf" gives
#                      callers through libc; the data stays in the log directory)
# Every call leaves two server transactions for 32 s over UDP (the INVITE
# one in Accepted, RFC 6026 Timer L, and the BYE one, Timer J), so the
# sustained rate is bounded by max_transactions / 64 s: about 1000 calls/s
# with the default 65536. The bench raises it so that processing, not the
# table size, is measured; `pstngwctl sip` tsx_live is shown per step.
BUILD=${BUILD:-build}
STEP_S=${CALLS_STEP_S:-20}
RATES=${CALLS_RATES:-"500 1000 1500 2000 2500 3000 4000"}
HOLD_RATES=${CALLS_HOLD_RATES-"100 200"}
HOLD_MS=${CALLS_HOLD_MS:-1000}
HUNT=${CALLS_HUNT:-roundrobin}
BUDGET_S=${CALLS_BUDGET_S:-225}
PERF_RATE=${CALLS_PERF_RATE:-}
PERF_OPTS=${CALLS_PERF_OPTS:--g}
MAX_TSX=${CALLS_MAX_TSX:-400000}
NSPANS=8
CHANNELS=$((NSPANS * 30))
SERVICE=1001
GWPORT=15600
UACPORT=15602
RTPMIN=61000
RTPMAX=62999
case $BUILD in
/*) B=$BUILD ;;
*) B="$(pwd)/$BUILD" ;;
esac
SC="$(pwd)/tests/data/sipp/bench_call_uac.xml"
T0=$(date +%s)

if ! command -v sipp >/dev/null 2>&1 || ! command -v sqlite3 >/dev/null 2>&1; then
	echo "# bench_calls: sipp or sqlite3 not installed, skipped"
	exit 0
fi
for b in pstngw pstnsim pstngwctl; do
	[ -x "$B/$b" ] || { echo "# bench_calls: $B/$b not built (make BUILD=$BUILD)"; exit 1; }
done
# the logs stay in W (T of tests/data/gw/lib.sh)
T_DIR="$B/bench-logs/calls"
. tests/data/gw/lib.sh
W=$T
SPPID=""
PERFPID=""

# ---- configurations: pstnsim NET on 8 E1 spans, pstngw CPE on the same 8
e1_sim_conf $NSPANS
{
	printf '[general]\ncontrol_socket = %s/gw.ctl\nlog_level = warning\n' "$W"
	printf '[sip]\nlisten = udp:127.0.0.1:%d\nmax_transactions = %d\n' $GWPORT $MAX_TSX
	printf '[media]\nrtp_address = 127.0.0.1\nrtp_port_min = %d\nrtp_port_max = %d\nmedia_timeout = 0\n' \
		$RTPMIN $RTPMAX
	printf '[calls]\naccept = any\nmax_calls = 2000\nnoanswer_timeout = 20s\n'
	printf '[cdr]\npath = %s/cdr.sqlite\n' "$W"
	e1_gw_spans $NSPANS "$HUNT"
} >"$W/gw.conf"

start_sim
start_gw

now() { date +%s; }
# cpu PID: utime + stime of every thread, in clock ticks
cpu() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'; }
# tcpu PID: the main (control) thread's utime + stime, then the other
# threads' (media threads), in clock ticks
tcpu() {
	for t in /proc/$1/task/*; do
		printf '%s ' "${t##*/}"
		sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{print $12 + $13}'
	done | awk -v p="$1" '{if ($1 == p) m += $2; else o += $2} END {print m + 0, o + 0}'
}
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
# counter NAME: one field of the first line of `pstngwctl calls`
counter() { ctl calls 2>/dev/null | awk -v k="$1" 'NR == 1 {for (i = 1; i < NF; i++) if ($i == k) {print $(i + 1); exit}}'; }

# every span's link up and its start-up RESTARTs done (bounded: 20 s)
spans_up() { sim status 2>/dev/null | grep -c 'link up idle 30 busy 0 restarting 0 down 0'; }
if ! wait_for 200 "[ \$(spans_up) = $NSPANS ]"; then
	n=$(spans_up)
	echo "# bench_calls: the spans did not come up ($n of $NSPANS)"
	sim status
	tail -20 "$W/gw.log"
	exit 1
fi
sleep 1
if [ "$(ctl spans | grep -c 'dchan=up idle=30 busy=0')" != $NSPANS ]; then
	echo "# bench_calls: pstngw does not see $NSPANS idle spans"
	ctl spans
	exit 1
fi

# idle cost: the span clocks and media threads run with no call at all
g0=$(cpu $GWPID)
s0=$(cpu $SIMPID)
sleep 2
IDLE_GW=$(awk -v a="$g0" -v b="$(cpu $GWPID)" -v hz="$HZ" 'BEGIN {printf "%.1f", (b - a) * 100 / hz / 2}')
IDLE_SIM=$(awk -v a="$s0" -v b="$(cpu $SIMPID)" -v hz="$HZ" 'BEGIN {printf "%.1f", (b - a) * 100 / hz / 2}')

# col FILE NAME: the last row's value of column NAME of a sipp stat file
col() {
	awk -F';' -v k="$2" 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == k) c = i; next}
		{v = $c} END {print v}' "$1"
}
BEST=0
BEST_ACH=0
BEST_CPU=""
BEST_HOLD=0
BEST_HOLD_CPU=""
PERF_DONE=0
HDR="%-10s %-8s %-9s %-7s %-7s %-8s %-11s %-12s %-11s %-8s %-10s %-10s %-7s %-8s %s\n"

# step LABEL RATE HOLD_MS: one step of R calls/s for STEP_S seconds.
# Sets STEP_CLEAN=1 when the step is clean.
step() {
	label=$1
	r=$2
	hold=$3
	n=$((r * STEP_S))
	tag="${label}_$r"
	STEP_CLEAN=0
	g0=$(cpu $GWPID)
	t0=$(tcpu $GWPID)
	s0=$(cpu $SIMPID)
	a0=$(counter answered)
	f0=$(counter failed)
	id0=$(cdr_q "SELECT coalesce(max(id), 0) FROM cdr")
	# the inner shell reads sipp's CPU time (cutime + cstime of its own
	# /proc entry) once sipp has exited
	(cd "$W" && R=$r N=$n L=$CHANNELS D=$hold SCEN="$SC" TAG=$tag P=$UACPORT \
		DST="127.0.0.1:$GWPORT" SVC=$SERVICE T=$((STEP_S * 3 + 40)) \
		TO=$((STEP_S * 2 + 30)) exec sh -c '
		timeout $T sipp -sf "$SCEN" -s $SVC -i 127.0.0.1 -p $P -r $R -rp 1000 \
			-m $N -l $L -d $D -recv_timeout 8000 -timeout ${TO}s -timeout_error \
			-buff_size 4194304 -nostdin -trace_stat -stf "st_$TAG.csv" -fd 1 \
			-trace_err -error_file "err_$TAG.log" "$DST" >"sipp_$TAG.out" 2>&1
		cat /proc/$$/stat >"sipp_$TAG.stat"') &
	SPPID=$!
	bg_add $SPPID
	if [ -n "$PERF_RATE" ] && [ "$PERF_DONE" = 0 ] && [ "nohold_$PERF_RATE" = "$tag" ] &&
		command -v perf >/dev/null 2>&1; then
		sleep 2
		perf record -q $PERF_OPTS -p $GWPID -o "$W/perf_$tag.data" -- sleep $((STEP_S - 4)) \
			>"$W/perf_$tag.log" 2>&1 &
		PERFPID=$!
		bg_add $PERFPID
		wait_pid $((STEP_S * 10 + 100)) $PERFPID
		PERFPID=""
		PERF_DONE=1
	fi
	wait_pid $(((STEP_S * 3 + 50) * 10)) $SPPID
	SPPID=""
	# let the last calls clear and the CDR batch reach the store (<= 10 s;
	# no call left for 2 s will do)
	wait_for 20 "[ \"\$(counter active)\" = 0 ] && [ \"\$(cdr_q 'SELECT count(*) FROM cdr WHERE id > $id0')\" -ge $n ]" ||
		wait_for 80 "[ \"\$(counter active)\" = 0 ]"
	g1=$(cpu $GWPID)
	t1=$(tcpu $GWPID)
	s1=$(cpu $SIMPID)
	a1=$(counter answered)
	f1=$(counter failed)
	st="$W/st_$tag.csv"
	ok=$(col "$st" "SuccessfulCall(C)")
	ko=$(col "$st" "FailedCall(C)")
	rt=$(col "$st" "Retransmissions(C)")
	# ElapsedTime(C) has whole seconds only: CurrentTime - StartTime
	# (their third tab-separated part is the Unix time)
	el=$(awk -v a="$(col "$st" "StartTime")" -v b="$(col "$st" "CurrentTime")" \
		'BEGIN {split(a, x, "\t"); split(b, y, "\t"); printf "%.3f", y[3] - x[3]}')
	ok=${ok:-0}
	ko=${ko:-0}
	rt=${rt:-0}
	cdr=$(cdr_q "SELECT count(*) FROM cdr WHERE id > $id0")
	cdr200=$(cdr_q "SELECT count(*) FROM cdr WHERE id > $id0 AND sip_status = 200 AND answer_us IS NOT NULL")
	# how long the gateway held the answered calls (INVITE in -> call
	# cleared), mean and max: a stall of the control thread shows as a max
	cms=$(cdr_q "SELECT printf('%.1f/%.0f', avg(end_us - start_us) / 1000.0, max(end_us - start_us) / 1000.0) FROM cdr WHERE id > $id0 AND sip_status = 200")
	STEP_WHY=$(cdr_q "SELECT group_concat(n || ' x ' || sip_status || '/' || coalesce(q850_cause, '-'), ', ') FROM (SELECT sip_status, q850_cause, count(*) AS n FROM cdr WHERE id > $id0 AND sip_status != 200 GROUP BY 1, 2)")
	gans=$((${a1:-0} - ${a0:-0}))
	gfail=$((${f1:-0} - ${f0:-0}))
	ach=$(awk -v ok="$ok" -v el="$el" -v h="$hold" 'BEGIN {e = el - h / 1000; if (e > 0) printf "%.0f", ok / e; else print 0}')
	gcpu=$(awk -v a="$g0" -v b="$g1" -v hz="$HZ" -v n="$ok" 'BEGIN {if (n > 0) printf "%.0f", (b - a) * 1e6 / hz / n; else print "-"}')
	scpu=$(awk -v a="$s0" -v b="$s1" -v hz="$HZ" -v n="$ok" 'BEGIN {if (n > 0) printf "%.0f", (b - a) * 1e6 / hz / n; else print "-"}')
	pcpu=$(sed 's/.*) //' "$W/sipp_$tag.stat" 2>/dev/null |
		awk -v hz="$HZ" -v n="$ok" '{if (n > 0) printf "%.0f", ($14 + $15) * 1e6 / hz / n; else print "-"}')
	tsx=$(ctl sip 2>/dev/null | sed -n 's/^tsx_live: //p')
	rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$GWPID/status" 2>/dev/null | awk '{printf "%.0f", $1 / 1024}')
	printf "$HDR" "$label" "$r" "$ach" "$ok" "$ko" "$rt" "$gans/$gfail" "$cdr/$cdr200" "${cms:--}" \
		"${tsx:--}" "${rss:--}" "${gcpu:--}" "${scpu:--}" "${pcpu:--}" \
		"$(echo "$t0 $t1" | awk -v hz="$HZ" -v el="$el" '{if (el > 0) printf "%.0f%%/%.0f%%", ($3 - $1) * 100 / hz / el, ($4 - $2) * 100 / hz / el}')"
	if [ "$ok" = "$n" ] && [ "$ko" = 0 ] && [ "$gfail" = 0 ] && [ "$gans" = "$n" ] &&
		[ "$cdr" = "$n" ] && [ "$cdr200" = "$n" ] && [ "$ach" -ge $((r * 95 / 100)) ]; then
		STEP_CLEAN=1
	fi
	STEP_ACH=$ach
	STEP_GCPU=$gcpu
}

# drain: wait (<= 10 s) until pstngw has no call left
drain() { wait_for 100 "[ \"\$(counter active)\" = 0 ]"; }

budget_ok() {
	[ $(($(now) - T0 + STEP_S + 10 + $1 / 1000)) -le "$BUDGET_S" ]
}

echo "# SIP -> PSTN calls/s: sipp $(sipp -v 2>/dev/null | sed -n 's/.*\(v[0-9][0-9.]*\).*/\1/p' | head -1) UAC -> pstngw -> pstnsim (libpri NET) over $NSPANS virtual E1 spans ($CHANNELS B-channels, one group, hunt $HUNT)"
echo "# command per step: sipp -sf tests/data/sipp/bench_call_uac.xml -s $SERVICE -i 127.0.0.1 -p $UACPORT -r R -rp 1000 -m R*$STEP_S -l $CHANNELS -d HOLD_MS -recv_timeout 8000 127.0.0.1:$GWPORT"
echo "# daemons: pstngw -f -c $W/gw.conf ; pstnsim -c $W/sim.conf (log_level warning, [media] media_timeout = 0 and ports $RTPMIN-$RTPMAX, echo canceller and fax detection at their defaults, no RTP from sipp, CDRs in SQLite)"
echo "# conditions: $STEP_S s per step, $(nproc) cores shared by sipp, pstngw, pstnsim (and anything else running: load average $(cut -d' ' -f1-3 /proc/loadavg)); idle cost with no calls: pstngw ${IDLE_GW}% of a core, pstnsim ${IDLE_SIM}% (span clocks, media threads)"
echo "# columns: offered and achieved calls/s; sipp successful, failed, retransmissions; pstngw answered/failed; CDR rows/with status 200; mean/max ms from INVITE in to call cleared (answered calls, from the CDRs); pstngw live SIP transactions and RSS (MB) at the end of the step; CPU us per completed call of pstngw, pstnsim, sipp (idle cost included); pstngw CPU % of one core over the step, control thread / media threads"
printf "$HDR" "# series" "offered" "achieved" "ok" "failed" "retrans" "gw_a/f" "cdr/200" "call_ms" "tsx_live" "gw_rss_MB" "gw_us/c" "sim_us" "sipp_us" "gw_ctl/media"

for r in $RATES; do
	if ! budget_ok 0; then
		echo "# nohold $r: skipped (time budget CALLS_BUDGET_S=$BUDGET_S s)"
		break
	fi
	step nohold "$r" 0
	if [ "$STEP_CLEAN" = 1 ]; then
		BEST=$r
		BEST_ACH=$STEP_ACH
		BEST_CPU=$STEP_GCPU
	else
		echo "# nohold $r: not clean (CDRs not 200: ${STEP_WHY:-none}), higher rates not tried"
		break
	fi
	drain
done
drain
for r in $HOLD_RATES; do
	if [ $((r * (HOLD_MS + 100) / 1000)) -gt $CHANNELS ]; then
		echo "# hold $r: skipped, needs about $((r * (HOLD_MS + 100) / 1000)) concurrent channels, there are $CHANNELS"
		continue
	fi
	if ! budget_ok "$HOLD_MS"; then
		echo "# hold $r: skipped (time budget CALLS_BUDGET_S=$BUDGET_S s)"
		break
	fi
	step "hold${HOLD_MS}ms" "$r" "$HOLD_MS"
	if [ "$STEP_CLEAN" = 1 ]; then
		BEST_HOLD=$r
		BEST_HOLD_CPU=$STEP_GCPU
	else
		echo "# hold $r: not clean (CDRs not 200: ${STEP_WHY:-none})"
		break
	fi
	drain
done
if [ -s "$W/perf_nohold_$PERF_RATE.data" ]; then
	echo "# perf profile of pstngw during step nohold_$PERF_RATE (perf report --no-children --sort dso,sym, top 25):"
	perf report -i "$W/perf_nohold_$PERF_RATE.data" --no-children --sort dso,sym --stdio 2>/dev/null |
		grep -E '^ +[0-9]' | head -25 | sed 's/^/#   /'
fi
echo "RESULT calls max_rate_zero_fail=$BEST achieved=$BEST_ACH cpu_us_per_call=${BEST_CPU:--} (no hold; target >= 500 calls/s, zero failures, $(nproc) cores shared with sipp and pstnsim)"
[ -n "$HOLD_RATES" ] && echo "RESULT calls_hold${HOLD_MS}ms max_rate_zero_fail=$BEST_HOLD cpu_us_per_call=${BEST_HOLD_CPU:--} (capped by $CHANNELS channels)"
echo "# total $(($(now) - T0)) s; logs, configs, sipp stats: $W"
exit 0
