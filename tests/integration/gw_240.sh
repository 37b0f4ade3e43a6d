#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every B-channel of 8 virtual E1 spans busy at once through the pstngw
# daemon: sipp places 240 calls (subscriber 1001 of pstnsim: answers at
# once, digital loopback) and holds them; while all are up, pstngw
# (`pstngwctl spans`, `pstngwctl calls`) and pstnsim (`status`) must both
# show 30 busy channels on each of the 8 spans, 240 distinct span/channel
# pairs, and the 241st call must get 503 with Reason Q.850 cause 34 (no
# circuit available). The group (span:1 ... span:8) hunts round robin,
# which in gw/span is per channel over the members in order, starting
# after the last pick: one call placed and cleared before the 240 moves
# the start to span 1 ts 2, and the CDR rows must show the k-th call on
# the k-th member after it (the last one wrapping to span 1 ts 1). Then
# every call is cleared from SIP and everything must be idle again, with
# the 240 CDR rows saying 200 on 240 distinct channels. Ports: SIP 25000-28999 (by PID),
# RTP 63000-65399 (by PID; above the ephemeral range 32768-60999, where
# any other socket may hold a port), 127.0.0.1 only.
T_NAME=240
. tests/data/gw/lib.sh
need_tools gw_240 sipp sqlite3
NSPANS=8
NCALLS=240
HOLD_MS=12000

# a block of ports nothing listens on (other tests run alongside): the
# gateway, sipp, the single calls' sipp; RTP ports likewise by PID
GWPORT=$(port_block 25000 500)
UACPORT=$((GWPORT + 1))
UAC2PORT=$((GWPORT + 2))
RTPBASE=$((63000 + ($$ % 4) * 600))

e1_sim_conf $NSPANS
{
	printf '[general]\ncontrol_socket = %s/gw.ctl\nlog_level = notice\n' "$T"
	printf '[sip]\nlisten = udp:127.0.0.1:%d\n' $GWPORT
	printf '[media]\nrtp_address = 127.0.0.1\nrtp_port_min = %d\nrtp_port_max = %d\nmedia_timeout = 0\n' \
		$RTPBASE $((RTPBASE + 599))
	printf '[calls]\naccept = any\nnoanswer_timeout = 20s\n'
	printf '[cdr]\npath = %s/cdr.sqlite\n' "$T"
	e1_gw_spans $NSPANS roundrobin
} >"$T/gw.conf"

start_sim
start_gw

# counts of spans in a given state, as seen by each side
sim_spans() { sim status 2>/dev/null | grep -c "link up idle $1 busy $2 restarting 0 down 0"; }
gw_spans() { ctl spans 2>/dev/null | grep -c "dchan=up idle=$1 busy=$2 "; }
active() { ctl calls 2>/dev/null | awk 'NR == 1 {print $3}'; }

# every span up, start-up RESTARTs done, on both sides
if wait_for 200 "! kill -0 $GWPID || { [ \$(sim_spans 30 0) = $NSPANS ] && [ \$(gw_spans 30 0) = $NSPANS ]; }" &&
	kill -0 $GWPID 2>/dev/null; then
	pass spans_up_idle
else
	fail spans_up_idle "$(sim status | tr '\n' '|') $(ctl spans | tr '\n' '|')"
	tail -20 "$T/gw.log"
	exit 1
fi
sleep 0.5

# one call before the 240, released at once: round robin hunting then
# starts after it (span 1 ts 2), where ascending would take ts 1 again
if timeout 20 sipp -sf tests/data/sipp/gw_call_uac.xml -s 1001 -i 127.0.0.1 -p $UAC2PORT \
	-m 1 -l 1 -d 100 -timeout 15s -timeout_error -nostdin 127.0.0.1:$GWPORT \
	>"$T/warm.out" 2>&1 &&
	wait_for 50 "[ \"\$(active)\" = 0 ] && [ \$(gw_spans 30 0) = $NSPANS ] && [ \$(sim_spans 30 0) = $NSPANS ]"; then
	pass first_call
else
	fail first_call "$(tail -3 "$T/warm.out" | tr '\n' ' ') active=$(active)"
fi

# 240 calls held HOLD_MS each, placed at 120 calls/s
timeout 60 sipp -sf tests/data/sipp/gw_call_uac.xml -s 1001 -i 127.0.0.1 -p $UACPORT \
	-r 120 -rp 1000 -m $NCALLS -l $NCALLS -d $HOLD_MS -recv_timeout 20000 -timeout 50s \
	-timeout_error -nostdin -trace_err -error_file "$T/hold.err" \
	127.0.0.1:$GWPORT >"$T/hold.out" 2>&1 &
SPPID=$!
bg_add $SPPID

# all 240 up at the same moment (bounded: 15 s)
if wait_for 150 "[ \"\$(active)\" = $NCALLS ] && [ \$(gw_spans 0 30) = $NSPANS ] && [ \$(sim_spans 0 30) = $NSPANS ]"; then
	pass all_240_busy
else
	fail all_240_busy "active=$(active) $(ctl spans | tr '\n' '|') $(sim status | tr '\n' '|')"
fi
ctl calls >"$T/calls_full.txt" 2>&1
ctl spans >"$T/spans_full.txt" 2>&1
sim status >"$T/sim_full.txt" 2>&1
n=$(grep -c "^call .* state active span [1-8] ts " "$T/calls_full.txt")
pairs=$(awk '/^call / {for (i = 1; i < NF; i++) if ($i == "span") s = $(i + 1); else if ($i == "ts") t = $(i + 1); print s ":" t}' \
	"$T/calls_full.txt" | sort -u | grep -c .)
if [ "$n" = $NCALLS ] && [ "$pairs" = $NCALLS ]; then
	pass calls_240_distinct_channels
else
	fail calls_240_distinct_channels "active calls $n, distinct span:ts $pairs"
fi
perspan=$(awk '/^call / {for (i = 1; i < NF; i++) if ($i == "span") c[$(i + 1)]++}
	END {for (s = 1; s <= 8; s++) printf "%d ", c[s]}' "$T/calls_full.txt")
if [ "$perspan" = "30 30 30 30 30 30 30 30 " ]; then pass calls_30_per_span; else
	fail calls_30_per_span "per span: $perspan"; fi
if grep -q "group e1 members=240 available=0" "$T/spans_full.txt"; then pass group_none_available; else
	fail group_none_available "$(grep group "$T/spans_full.txt")"; fi

# the 241st call: 503 with Reason cause 34
sed -e "s/@STATUS@/503/" -e "s/@CAUSE@/34/" tests/data/sipp/gw_fail_uac.xml.in >"$T/c241.xml"
if timeout 20 sipp -sf "$T/c241.xml" -s 1001 -i 127.0.0.1 -p $UAC2PORT -m 1 -l 1 \
	-timeout 15s -timeout_error -nostdin -trace_msg -message_file "$T/c241.msg" \
	127.0.0.1:$GWPORT >"$T/c241.out" 2>&1; then
	pass call_241_503_cause_34
else
	fail call_241_503_cause_34 "$(grep -A8 '^SIP/2.0' "$T/c241.msg" | head -10 | tr '\n' ' ')"
fi
# still all busy: the refused call took nothing
if [ "$(active)" = $NCALLS ] && [ "$(gw_spans 0 30)" = $NSPANS ]; then pass still_240_after_refusal; else
	fail still_240_after_refusal "active=$(active)"; fi

# every held call ends with a BYE from sipp (bounded by sipp's timeout)
if wait_pid 600 "$SPPID"; then
	pass sipp_240_calls_ok
else
	fail sipp_240_calls_ok "$(grep -E 'Successful call|Failed call' "$T/hold.out" | tail -2 | tr -s ' ' | tr '\n' ' ') $(head -c 600 "$T/hold.err" 2>/dev/null)"
fi

# all idle again on both sides, no call left
if wait_for 100 "[ \"\$(active)\" = 0 ] && [ \$(gw_spans 30 0) = $NSPANS ] && [ \$(sim_spans 30 0) = $NSPANS ]"; then
	pass all_idle_again
else
	fail all_idle_again "active=$(active) $(ctl spans | tr '\n' '|') $(sim status | tr '\n' '|')"
fi

# CDRs: 240 answered rows (200, span and channel set, cleared from SIP)
# and the refused one; the store is written in batches
wait_for 50 "[ \"\$(cdr_q 'SELECT count(*) FROM cdr')\" -ge $((NCALLS + 2)) ]"
ok=$(cdr_q "SELECT count(*) FROM cdr WHERE sip_status = 200 AND answer_us IS NOT NULL \
 AND hangup_side = 'sip' AND span BETWEEN 1 AND 8 AND channel BETWEEN 1 AND 31 AND channel != 16")
[ "$ok" = $((NCALLS + 1)) ] && pass cdr_240_answered || fail cdr_240_answered "$ok rows of $((NCALLS + 1)) (with the first call): $(cdr_q 'SELECT sip_status, count(*) FROM cdr GROUP BY 1' | tr '\n' ' ')"
n=$(cdr_q "SELECT count(*) FROM (SELECT DISTINCT span, channel FROM cdr WHERE sip_status = 200)")
[ "$n" = $NCALLS ] && pass cdr_240_distinct_channels || fail cdr_240_distinct_channels "$n distinct span/channel pairs"
n=$(cdr_q "SELECT count(*) FROM cdr WHERE sip_status = 503 AND q850_cause = 34 AND span IS NULL")
[ "$n" = 1 ] && pass cdr_refused_row || fail cdr_refused_row "$(cdr_q 'SELECT sip_status, q850_cause, span FROM cdr WHERE sip_status != 200')"
# round robin over the members in order (span:1 ts 1-15,17-31, span:2 ...,
# "start after the last pick"): the first call took member 0, so the k-th
# of the 240 (in arrival order) took member k mod 240, the last one wrapped
# to span 1 ts 1; in particular the first 8 of them took span 1 ts 2-9
cdr_q "SELECT span, channel FROM cdr WHERE sip_status = 200 ORDER BY start_us, id" >"$T/order.txt"
bad=$(awk -F'|' -v n=$NCALLS 'BEGIN {bad = 0}
	{ k = (NR - 1) % n; j = k % 30; s = 1 + int(k / 30); t = j < 15 ? j + 1 : j + 2;
	  if ($1 != s || $2 != t) { if (bad < 5) printf "call %d on %s:%s, expected %d:%d; ", NR - 1, $1, $2, s, t; bad++ } }
	END { if (NR != n + 1) printf "%d answered rows; ", NR; else if (!bad) printf "ok" }' "$T/order.txt")
[ "$bad" = ok ] && pass roundrobin_member_order || fail roundrobin_member_order "$bad"
per=$(cdr_q "SELECT span, count(*) FROM cdr WHERE sip_status = 200 GROUP BY span" | tr '\n' ' ')
[ "$per" = "1|31 2|30 3|30 4|30 5|30 6|30 7|30 8|30 " ] && pass cdr_per_span || fail cdr_per_span "$(cdr_q 'SELECT span, count(*) FROM cdr GROUP BY span' | tr '\n' ' ')"

kill -0 "$GWPID" 2>/dev/null && pass gateway_alive || fail gateway_alive "$(tail -5 "$T/gw.log")"
if [ "$FAILS" != 0 ]; then
	echo "--- gw.log (tail)"
	tail -30 "$T/gw.log"
fi
exit 0
