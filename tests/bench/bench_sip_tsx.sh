#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Non-INVITE transaction throughput of the SIP stack: sipp (UAC, scenario
# tests/data/sipp/core_bench_nict_uac.xml: MESSAGE -> 200) drives sipua
# (UAS, RFC 3261 default timers: over UDP every transaction stays in the
# table for Timer J = 32 s) at increasing rates for a fixed time per step,
# over UDP, then over one TCP connection.
# Reports per step: achieved rate, failed calls, retransmissions, and
# sipua's CPU time per transaction (getrusage user+sys / transactions);
# then the highest rate with zero failed and zero retransmitted
# transactions. sipp's own CPU time per transaction is shown too: on a
# small host the load generator saturates before sipua does. Ports 127.0.0.1:15400-15499.
#   BENCH_TSX_SECS   seconds per step (default 10)
#   BENCH_TSX_RATES  rates to try over UDP (default "5000 10000 15000 20000 25000 30000 40000 50000")
#   BENCH_TSX_TCP_RATES  the same over one TCP connection (default "5000 10000 20000 30000 40000")
BUILD=${BUILD:-build}
UA="$BUILD/tools/sipua"
SC="$(pwd)/tests/data/sipp/core_bench_nict_uac.xml"
SECS=${BENCH_TSX_SECS:-10}
RATES=${BENCH_TSX_RATES:-"5000 10000 15000 20000 25000 30000 40000 50000"}
TCP_RATES=${BENCH_TSX_TCP_RATES:-"5000 10000 20000 30000 40000"}
W="$(pwd)/$BUILD/bench-logs/sip_tsx"
UA_PID=""
SP_PID=""

cleanup() {
	[ -n "$SP_PID" ] && kill "$SP_PID" 2>/dev/null
	[ -n "$UA_PID" ] && kill "$UA_PID" 2>/dev/null
	wait 2>/dev/null
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

if ! command -v sipp >/dev/null 2>&1; then
	echo "# bench_sip_tsx: sipp not installed, skipped"
	exit 0
fi
if [ ! -x "$UA" ]; then
	echo "# bench_sip_tsx: $UA not built (make BUILD=$BUILD tools)"
	exit 1
fi
rm -rf "$W"
mkdir -p "$W"

# series TP RATES: one table of steps over transport TP (udp or tcp)
series() {
tp=$1
rates=$2
if [ "$tp" = tcp ]; then
	st=t1
	uaopt="-t tcp"
	tj="Timer J=0 (TCP)"
else
	st=u1
	uaopt=""
	tj="Timer J=32 s"
fi
echo "# SIP non-INVITE transactions/s: sipp $(sipp -v 2>/dev/null | sed -n 's/.*\(v[0-9][0-9.]*\).*/\1/p' | head -1) UAC (MESSAGE, $tp) -> sipua UAS"
echo "# command per step: sipua -l 127.0.0.1:PORT -m 2000000 $uaopt ; sipp -sf core_bench_nict_uac.xml -r RATE -rp 1000 -m RATE*$SECS -l RATE*4 -t $st"
echo "# conditions: one sipua process (one event loop, one core), $SECS s per step, T1=500 ms, $tj, shared $(nproc)-core host, sipp on the same host"
printf "%-8s %-10s %-8s %-8s %-10s %-10s %-12s %s\n" "# target" "achieved" "ok" "failed" "retrans" "cpu_us/tsx" "sipp_us/tsx" "sipua_rss_MB"
best=0
best_target=0
best_cpu=""
port=15400
for r in $rates; do
	port=$((port + 2))
	[ $port -gt 15498 ] && port=15400
	n=$((r * SECS))
	log="$W/ua_${tp}_$r.log"
	# shellcheck disable=SC2086
	"$UA" -l "127.0.0.1:$port" -m 2000000 $uaopt >"$log" 2>&1 &
	UA_PID=$!
	i=0
	while [ $i -lt 50 ] && ! grep -q "listening on" "$log" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	# the inner shell records sipp's CPU time (cutime + cstime of its own
	# /proc entry, in clock ticks) once sipp has exited
	(cd "$W" && R=$r N=$n P=$port SCEN=$SC T=$((SECS * 4 + 60)) \
		TO=$((SECS * 3 + 40)) ST=$st TP=$tp exec sh -c '
		timeout $T sipp -sf "$SCEN" "127.0.0.1:$P" -t $ST -i 127.0.0.1 \
			-p $((P + 1)) -r "$R" -rp 1000 -m "$N" -l $((R * 4)) \
			-buff_size 4194304 -nostdin -timeout $TO -trace_stat \
			-stf "st_${TP}_$R.csv" -fd 1 >"sipp_${TP}_$R.out" 2>&1
		cat /proc/$$/stat >"sipp_${TP}_$R.stat"') &
	SP_PID=$!
	wait "$SP_PID"
	SP_PID=""
	kill -TERM "$UA_PID" 2>/dev/null
	wait "$UA_PID" 2>/dev/null
	UA_PID=""
	last=$(tail -n 1 "$W/st_${tp}_$r.csv" 2>/dev/null)
	ok=$(echo "$last" | awk -F';' '{print $16+0}')
	ko=$(echo "$last" | awk -F';' '{print $18+0}')
	rt=$(echo "$last" | awk -F';' '{print $58+0}')
	rate=$(echo "$last" | awk -F';' '{printf "%.0f", $8}')
	tsx=$(sed -n 's/.*tsx_created=\([0-9]*\).*/\1/p' "$log")
	cpu=$(sed -n 's/.*cpu_user_us=\([0-9]*\) cpu_sys_us=\([0-9]*\).*/\1 \2/p' "$log" |
		awk -v t="${tsx:-0}" '{ if (t > 0) printf "%.2f", ($1 + $2) / t; else print "-" }')
	rss=$(sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' "$log" | awk '{printf "%.0f", $1 / 1024}')
	hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
	scpu=$(sed 's/.*) //' "$W/sipp_${tp}_$r.stat" 2>/dev/null |
		awk -v hz="$hz" -v t="$ok" '{ if (t > 0) printf "%.2f", ($14 + $15) * 1e6 / hz / t; else print "-" }')
	printf "%-8s %-10s %-8s %-8s %-10s %-10s %-12s %s\n" "$r" "${rate:-0}" "$ok" "$ko" "$rt" "${cpu:--}" "${scpu:--}" "${rss:--}"
	if [ "$ok" = "$n" ] && [ "$ko" = 0 ] && [ "$rt" = 0 ] && [ "${rate:-0}" -gt "$best" ]; then
		best=$rate
		best_target=$r
		best_cpu=$cpu
	else
		break
	fi
done
echo "RESULT sip_tsx_$tp max_clean_step=${best_target}/s achieved=${best}/s (sipp average over the step incl. ramp and tail) cpu_us_per_tsx=${best_cpu:--} (target >= 20000/s, zero failures)"
if [ -n "$best_cpu" ]; then
	echo "RESULT sip_tsx_$tp one_core_capacity_estimate=$(awk -v c="$best_cpu" 'BEGIN { if (c > 0) printf "%.0f", 1e6 / c; else print "-" }')/s (1e6 / cpu_us_per_tsx)"
fi
}

series udp "$RATES"
series tcp "$TCP_RATES"
exit 0
