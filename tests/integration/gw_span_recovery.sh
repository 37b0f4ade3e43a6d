#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The TDM side failing and coming back under live SIP calls, through the
# pstngw daemon with sipp as the SIP peer and pstnsim as the PSTN:
#  - pstnsim killed (SIGKILL) and, separately, the line dropped (`drop 1`)
#    with answered and ringing calls up: every answered call gets a BYE
#    with Reason: Q.850;cause=38 (or 27), every ringing call a 503/480
#    with that Reason, each within 5 s of the failure (timed from sipp's
#    message trace); each call leaves a CDR row with that cause.
#  - pstnsim frozen (SIGSTOP: line up, D-channel silent): the same, within
#    the LAPD detection time (T203 + N200 x T200 = 13 s, 16 s allowed).
#  - while the span is down, new INVITEs get 503 with cause 38 (or 27)
#    and a CDR row each.
#  - pstnsim back with the same config (or continued), nothing done on
#    pstngw: within 30 s the link is up and every B-channel carries a call
#    at once (30 on E1, 23 on T1), all succeed, and all channels are idle
#    afterwards at both ends.
#  - a RESTART from the network for a channel with a call clears the call
#    (BYE with cause 41), other calls stay, the channel carries a new call;
#    a RESTART of the whole interface clears every call (BYE / 503).
#  - SERVICE (T1): a channel out of service is passed over by hunting, the
#    others carry every call; back in service it carries a call again.
#  - a group of two spans, the first with its line up but its D-channel
#    down: calls go to the second span; when it is full, 503 cause 34.
# E1/euroisdn with the gateway as the user side, then T1/national with the
# roles reversed (gateway network side, pstnsim user side).
# The script keeps its scratch directory when KEEP is set.
T_NAME=recovery
T_KEEP=$KEEP
. tests/data/gw/lib.sh
need_tools gw_span_recovery sipp sqlite3

# ports: SIP 41000-48999 (8 per run), RTP 50000-59999 (100 per run)
GWPORT=$(port_block 41000 1000)
RTPBASE=$((50000 + ($$ % 100) * 100))
LIMIT_MS=5000

# cids NAME: the Call-IDs of a sipp run, as an SQL list ('a','b',...)
cids() { sed -n 's/^Call-I[Dd]: *\([^ ]*\).*/\1/p' "$T/$1.msg" | tr -d '\r' | sort -u | awk -v q="'" '{printf "%s%s%s%s", (NR > 1 ? "," : ""), q, $1, q}'; }
# now_ms: wall clock, ms since midnight (the clock sipp's traces use)
now_ms() { date +%H:%M:%S.%N | awk -F'[:.]' '{printf "%d\n", (($1 * 60 + $2) * 60 + $3) * 1000 + substr($4, 1, 3)}'; }

# rx_delays MSGFILE T0_MS 'START-LINE REGEXP': for each Call-ID, the delay
# in ms from T0 to the first received message whose start line matches,
# as "call-id delay_ms reason" lines (sipp's -trace_msg timestamps)
rx_delays() {
	awk -v t0="$2" -v re="$3" '
	/^-+ [0-9]+-[0-9]+-[0-9]+[ \t]+[0-9]+:[0-9]+:[0-9]+\.[0-9]+/ {
		split($NF, a, /[:.]/)
		ts = ((a[1] * 60 + a[2]) * 60 + a[3]) * 1000 + substr(a[4], 1, 3)
		rx = 0; first = ""; next
	}
	/message received/ { rx = 1; first = ""; reason = "-"; cid = ""; next }
	rx && first == "" && NF { first = $0; next }
	rx && /^Call-I[Dd]:/ { cid = $2 }
	rx && /^Reason:/ { reason = $0; gsub(/ /, "", reason) }
	rx && !NF && first != "" {
		if (first ~ re && cid != "" && !(cid in seen)) {
			seen[cid] = 1
			d = ts - t0
			if (d < -43200000) d += 86400000
			print cid, d, reason
		}
		rx = 0
	}' "$1"
}

# sipp_bg NAME SCENARIO SERVICE PORTIDX CALLS [sipp args]: CALLS calls at
# once in the background; the pid (timeout's) is in $! and in EXTRA_PIDS
sipp_bg() {
	_n=$1; _sc=$2; _svc=$3; _pi=$4; _nc=$5; shift 5
	timeout 100 sipp -sf "$_sc" -s "$_svc" -i 127.0.0.1 -p $((GWPORT + _pi)) \
		-m "$_nc" -l "$_nc" -r "$_nc" -rp 1000 \
		-timeout 90s -timeout_error -trace_msg -message_file "$T/$_n.msg" \
		-trace_err -error_file "$T/$_n.err" "$@" 127.0.0.1:$GWPORT \
		>"$T/$_n.out" 2>&1 &
	bg_add $!
}
sipp_fg() {
	sipp_bg "$@"
	wait_pid 400 $!
}
sipp_why() { # NAME: a short account of what went wrong in a sipp run
	{ grep -h -i -E 'fail|error|abort|unexpected' "$T/$1.out" "$T/$1.err" 2>/dev/null | head -4
	  grep -h -E '^(SIP/2.0 [0-9]+|BYE |Reason:)' "$T/$1.msg" 2>/dev/null | sort | uniq -c | head -6; } | tr '\n' ' '
}
scn() { # TEMPLATE NAME CAUSE-REGEXP -> scenario path
	sed -e "s/@CAUSE@/$3/" "tests/data/sipp/$1.xml.in" >"$T/$2.xml"
	echo "$T/$2.xml"
}

# gw_spanf KEY: a KEY=value of span 1 as pstngwctl sees it
gw_spanf() { ctl spans | grep '^span 1 ' | kv "$1"; }
sim_idle() { sim status | grep -q "link up idle $NCH busy 0 restarting 0 down 0"; }
gw_idle() { [ "$(gw_spanf dchan)" = up ] && [ "$(gw_spanf idle)" = "$NCH" ] && [ "$(gw_spanf busy)" = 0 ]; }
ncalls() { ctl calls | grep -c '^call '; }

# stop_both: the gateway and pstnsim end (SIGTERM, then SIGKILL after 5 s)
stop_both() {
	stop_gw
	stop_sim
}

# write_confs TAG TYPE SWITCH SIMNODE GWSIG
write_confs() {
	cat >"$T/sim.conf" <<EOC
[general]
socket = $T/sim.ctl
fax_dir = $T/fax
[span 1]
type = $2
path = $T/span1.sock
switchtype = $3
node = $4
service = $SERVICE
EOC
	cat >"$T/gw.conf" <<EOC
[general]
control_socket = $T/gw.ctl
log_level = info
[sip]
listen = udp:127.0.0.1:$GWPORT
[media]
rtp_port_min = $RTPBASE
rtp_port_max = $((RTPBASE + 99))
[calls]
accept = trunks
noanswer_timeout = 120s
[cdr]
path = $T/cdr.sqlite
[trunk sipp]
address = 127.0.0.1:$((GWPORT + 7))
acl = 127.0.0.1
keepalive = 0
[span 1]
type = $2
socket = $T/span1.sock
signalling = $5
switchtype = $3
service = $SERVICE
[group all]
members = span:1
[group one]
members = span:1:5
[route one]
direction = sip2pstn
called = prefix:88
called_strip = 2
target = group:one
[route to-pstn]
direction = sip2pstn
called = ^[0-9]+\$
target = group:all
EOC
}

# failure TAG HOW NANS NRING [LIMIT]: NANS answered (1001) and NRING
# ringing (3001) calls up, then the TDM side fails (HOW: kill, drop, or stop:
# pstnsim frozen with SIGSTOP, the line up but the D-channel silent); every
# call must be released on the SIP side with cause 38/27 within LIMIT ms
# (default LIMIT_MS), with a CDR row.
failure() {
	ft=$1 how=$2 nans=$3 nring=$4 limit=${5:-$LIMIT_MS}
	sipp_bg "$ft-ans" "$(scn rec_bye_uac "$ft-ans" '\(38\|27\)')" 1001 1 "$nans"
	ap=$!
	sipp_bg "$ft-ring" "$(scn rec_ring_uac "$ft-ring" '\(38\|27\)')" 3001 2 "$nring"
	rp=$!
	if ! wait_for 150 "[ \$(ctl calls | grep -c 'state active') -ge $nans ] && \
		[ \$(ctl calls | grep -c '^call ') -ge $((nans + nring)) ] && \
		sim status | grep -q 'busy $((nans + nring)) '"; then
		fail "${ft}_calls_up" "$(ctl calls | awk '{print $8}' | sort | uniq -c | tr '\n' ' ') / $(sim status | head -1)"
	fi
	sleep 0.5 # the 180s reach sipp
	t0=$(now_ms)
	case $how in
	kill) stop_sim KILL ;;
	drop) sim drop 1 >/dev/null ;;
	stop) kill -STOP "$SIMPID" ;;
	esac
	wait_pid $((limit / 100 + 100)) "$ap"; ars=$?
	wait_pid 100 "$rp"; rrs=$?
	[ "$ars" = 0 ] && pass "${ft}_answered_bye_cause_38" ||
		fail "${ft}_answered_bye_cause_38" "sipp $ars: $(sipp_why "$ft-ans")"
	[ "$rrs" = 0 ] && pass "${ft}_ringing_final_cause_38" ||
		fail "${ft}_ringing_final_cause_38" "sipp $rrs: $(sipp_why "$ft-ring")"
	rx_delays "$T/$ft-ans.msg" "$t0" '^BYE ' >"$T/$ft-ans.delays"
	rx_delays "$T/$ft-ring.msg" "$t0" '^SIP/2.0 [4-6][0-9][0-9] ' >"$T/$ft-ring.delays"
	nb=$(grep -c . "$T/$ft-ans.delays")
	nf=$(grep -c . "$T/$ft-ring.delays")
	max=$(cat "$T/$ft-ans.delays" "$T/$ft-ring.delays" | awk 'BEGIN {m = -1} $2 > m {m = $2} END {print m}')
	echo "# $ft: $nb BYEs, $nf final responses, slowest ${max} ms after the $how"
	if [ "$nb" = "$nans" ] && [ "$nf" = "$nring" ] && [ "$max" -ge 0 ] && [ "$max" -le "$limit" ]; then
		pass "${ft}_all_released_within_$((limit / 1000))s"
	else
		fail "${ft}_all_released_within_$((limit / 1000))s" "$nb/$nans BYEs, $nf/$nring finals, slowest $max ms: $(sort -k2 -n "$T/$ft-ans.delays" "$T/$ft-ring.delays" | tail -3 | tr '\n' ' ')"
	fi
	ia=$(cids "$ft-ans")
	ir=$(cids "$ft-ring")
	if wait_for 50 "[ \"\$(cdr_q \"SELECT count(*) FROM cdr WHERE sip_call_id IN ($ia,$ir)\")\" = $((nans + nring)) ]"; then
		a=$(cdr_q "SELECT count(*) FROM cdr WHERE sip_call_id IN ($ia) AND sip_status = 200 AND answer_us IS NOT NULL AND q850_cause IN (27, 38) AND hangup_side = 'pstn'")
		r=$(cdr_q "SELECT count(*) FROM cdr WHERE sip_call_id IN ($ir) AND sip_status IN (480, 503) AND answer_us IS NULL AND q850_cause IN (27, 38)")
		if [ "$a" = "$nans" ] && [ "$r" = "$nring" ]; then
			pass "${ft}_cdr_rows"
		else
			fail "${ft}_cdr_rows" "answered $a/$nans ringing $r/$nring: $(cdr_q "SELECT sip_status, q850_cause, hangup_side, answer_us IS NOT NULL FROM cdr WHERE sip_call_id IN ($ia,$ir)" | sort | uniq -c | tr '\n' ' ')"
		fi
	else
		fail "${ft}_cdr_rows" "$(cdr_q "SELECT count(*) FROM cdr WHERE sip_call_id IN ($ia,$ir)") rows, expected $((nans + nring))"
	fi
	if wait_for 50 "[ \$(ncalls) = 0 ]"; then pass "${ft}_no_call_left"; else
		fail "${ft}_no_call_left" "$(ctl calls | head -5 | tr '\n' ' ')"; fi
}

# down_invites TAG N: N INVITEs while the span is down: 503, cause 38/27, a CDR row each
down_invites() {
	dt=$1 n=$2
	sed -e 's/@STATUS@/503/' -e 's/@CAUSE@/\(38\|27\)/' tests/data/sipp/gw_fail_uac.xml.in >"$T/$dt-down.xml"
	if sipp_fg "$dt-down" "$T/$dt-down.xml" 1002 3 "$n"; then
		pass "${dt}_down_invites_503_cause_38"
	else
		fail "${dt}_down_invites_503_cause_38" "$(sipp_why "$dt-down")"
	fi
	di=$(cids "$dt-down")
	if wait_for 30 "[ \"\$(cdr_q \"SELECT count(*) FROM cdr WHERE sip_call_id IN ($di) AND sip_status = 503 AND q850_cause IN (27, 38)\")\" = $n ]"; then
		pass "${dt}_down_invites_cdr"
	else
		fail "${dt}_down_invites_cdr" "$(cdr_q "SELECT sip_status, q850_cause FROM cdr WHERE sip_call_id IN ($di)" | tr '\n' ' ')"
	fi
}

# recovered TAG T0_S: the link is back within 30 s, then NCH calls at once
# take every B-channel, all succeed, all channels idle at both ends after
recovered() {
	vt=$1 t0=$2
	if wait_for 300 "sim_idle && gw_idle"; then
		pass "${vt}_link_back"
		echo "# $vt: link and $NCH idle channels back after $(($(date +%s) - t0)) s"
	else
		fail "${vt}_link_back" "$(ctl spans | head -1) / $(sim status | head -1)"
		return
	fi
	sipp_bg "$vt-all" tests/data/sipp/gw_call_uac.xml 1001 4 "$NCH" -d 3000
	hp=$!
	if wait_for 100 "[ \"\$(gw_spanf busy)\" = $NCH ] && sim status | grep -q 'idle 0 busy $NCH '"; then
		used=$(sim calls | awk '/state active/ {for (i = 1; i < NF; i++) if ($i == "ts") print $(i + 1)}' | sort -un | grep -c .)
		if [ "$used" = "$NCH" ]; then pass "${vt}_every_channel_busy"; else
			fail "${vt}_every_channel_busy" "$used distinct timeslots active"; fi
	else
		fail "${vt}_every_channel_busy" "$(ctl spans | head -1) / $(sim status | head -1)"
	fi
	if wait_pid 300 "$hp"; then
		pass "${vt}_all_${NCH}_calls_ok"
	else
		fail "${vt}_all_${NCH}_calls_ok" "$(sipp_why "$vt-all")"
	fi
	if wait_for 50 "sim_idle && gw_idle && [ \$(ncalls) = 0 ]"; then
		pass "${vt}_all_idle_after"
	else
		fail "${vt}_all_idle_after" "$(ctl spans | head -1) / $(sim status | head -1) / $(ncalls) calls"
	fi
}

# restart_chan TAG: a RESTART from the network for a channel with a call
restart_chan() {
	xt=$1
	sipp_bg "$xt-keep" "$(scn rec_bye_uac "$xt-keep" 16)" 1001 5 1
	kp=$!
	sipp_bg "$xt-rst" "$(scn rec_bye_uac "$xt-rst" 41)" 881001 6 1
	rp=$!
	if ! wait_for 100 "[ \$(ctl calls | grep -c 'state active') = 2 ]"; then
		fail "${xt}_restart_calls_up" "$(ctl calls | tr '\n' ' ')"
	fi
	ts=$(ctl calls | awk '/state active/ {for (i = 1; i < NF; i++) if ($i == "ts") print $(i + 1)}' | grep -v '^5$' | head -1)
	sim restart 1 5 >/dev/null
	if wait_pid 100 "$rp"; then pass "${xt}_restart_bye_cause_41"; else
		fail "${xt}_restart_bye_cause_41" "$(sipp_why "$xt-rst")"; fi
	if wait_for 50 "[ \"\$(sim chan 1 5)\" = 'OK idle' ] && [ \$(ncalls) = 1 ]"; then
		pass "${xt}_restart_other_call_kept"
	else
		fail "${xt}_restart_other_call_kept" "$(sim chan 1 5) $(ctl calls | tr '\n' ' ')"
	fi
	# the restarted channel carries a new call (group 'one' is ts 5 only)
	if sipp_fg "$xt-after" tests/data/sipp/gw_call_uac.xml 881002 6 1 -d 300 &&
		sim calls | grep -q 'ts 5 dir in state released cause 16 called 1002'; then
		pass "${xt}_restart_channel_reused"
	else
		fail "${xt}_restart_channel_reused" "$(sipp_why "$xt-after") $(sim calls | tail -2 | tr '\n' ' ')"
	fi
	id=$(sim calls | awk -v ts="$ts" '/state active/ {for (i = 1; i < NF; i++) if ($i == "ts" && $(i + 1) == ts) print $2}' | tail -1)
	sim hangup "$id" 16 >/dev/null
	if wait_pid 100 "$kp"; then pass "${xt}_restart_kept_call_normal_bye"; else
		fail "${xt}_restart_kept_call_normal_bye" "id=$id ts=$ts $(sipp_why "$xt-keep")"; fi
	wait_for 50 "sim_idle && gw_idle" || fail "${xt}_restart_idle" "$(ctl spans | head -1) / $(sim status | head -1)"

	# RESTART of the whole interface with answered and ringing calls up
	sipp_bg "$xt-rall-ans" "$(scn rec_bye_uac "$xt-rall-ans" 41)" 1001 1 5
	ap=$!
	sipp_bg "$xt-rall-ring" "$(scn rec_ring_uac "$xt-rall-ring" 41)" 3001 2 3
	rp=$!
	wait_for 150 "[ \$(ctl calls | grep -c 'state active') -ge 5 ] && sim status | grep -q 'busy 8 '" ||
		fail "${xt}_restart_all_calls_up" "$(ctl calls | awk '{print $8}' | sort | uniq -c | tr '\n' ' ')"
	sleep 0.5
	sim restart 1 >/dev/null
	wait_pid 100 "$ap" && wait_pid 100 "$rp" && pass "${xt}_restart_all_released_cause_41" ||
		fail "${xt}_restart_all_released_cause_41" "$(sipp_why "$xt-rall-ans") $(sipp_why "$xt-rall-ring")"
	if wait_for 100 "sim_idle && gw_idle && [ \$(ncalls) = 0 ]"; then
		pass "${xt}_restart_all_idle"
	else
		fail "${xt}_restart_all_idle" "$(ctl spans | head -1) / $(sim status | head -1) / $(ncalls) calls"
	fi
	if sipp_fg "$xt-rall-after" tests/data/sipp/gw_call_uac.xml 1001 4 "$NCH" -d 1000; then
		pass "${xt}_restart_all_then_${NCH}_calls"
	else
		fail "${xt}_restart_all_then_${NCH}_calls" "$(sipp_why "$xt-rall-after")"
	fi
	wait_for 50 "sim_idle && gw_idle" || fail "${xt}_restart_all_idle_end" "$(ctl spans | head -1) / $(sim status | head -1)"
}

# service_chan TAG: the far end takes B1 out of service (SERVICE, T1): the
# other channels carry every call (hunting passes over B1), one more gets
# 503 with cause 34; back in service, B1 carries a call again
service_chan() {
	vt=$1
	sim service 1 1 out >/dev/null
	if wait_for 50 "[ \"\$(gw_spanf unavailable)\" = 1 ] && [ \"\$(gw_spanf idle)\" = $((NCH - 1)) ]"; then
		pass "${vt}_service_out_seen"
	else
		fail "${vt}_service_out_seen" "$(ctl spans | head -1) / $(sim status | head -1)"
	fi
	sipp_bg "$vt-oos" tests/data/sipp/gw_call_uac.xml 1001 4 $((NCH - 1)) -d 3000
	hp=$!
	if wait_for 100 "[ \"\$(gw_spanf busy)\" = $((NCH - 1)) ]"; then
		used=$(sim calls | awk '/state active/ {for (i = 1; i < NF; i++) if ($i == "ts") print $(i + 1)}' | sort -un)
		if [ "$(echo "$used" | grep -c .)" = $((NCH - 1)) ] && ! echo "$used" | grep -qx 1; then
			pass "${vt}_service_out_others_carry_calls"
		else
			fail "${vt}_service_out_others_carry_calls" "timeslots: $(echo $used)"
		fi
		sed -e 's/@STATUS@/503/' -e 's/@CAUSE@/34/' tests/data/sipp/gw_fail_uac.xml.in >"$T/$vt-oos34.xml"
		if sipp_fg "$vt-oos34" "$T/$vt-oos34.xml" 1002 5 1; then
			pass "${vt}_service_out_full_503_cause_34"
		else
			fail "${vt}_service_out_full_503_cause_34" "$(sipp_why "$vt-oos34")"
		fi
	else
		fail "${vt}_service_out_others_carry_calls" "$(ctl spans | head -1) / $(sim status | head -1) $(sipp_why "$vt-oos")"
	fi
	if wait_pid 300 "$hp"; then pass "${vt}_service_out_$((NCH - 1))_calls_ok"; else
		fail "${vt}_service_out_$((NCH - 1))_calls_ok" "$(sipp_why "$vt-oos")"; fi
	sim service 1 1 in >/dev/null
	if wait_for 50 "[ \"\$(gw_spanf unavailable)\" = 0 ] && sim_idle && gw_idle"; then
		pass "${vt}_service_in_seen"
	else
		fail "${vt}_service_in_seen" "$(ctl spans | head -1) / $(sim status | head -1)"
	fi
	if sipp_fg "$vt-in" tests/data/sipp/gw_call_uac.xml 1003 5 1 -d 300 &&
		sim last in | grep -q ' ts 1 .*called 1003'; then
		pass "${vt}_service_in_channel_carries_call"
	else
		fail "${vt}_service_in_channel_carries_call" "$(sipp_why "$vt-in") $(sim last in)"
	fi
}

# run_span TAG TYPE SWITCH SIMNODE GWSIG NCH full|kill [stop|-] [service]
run_span() {
	st=$1
	NCH=$6
	SERVICE=no
	[ "$9" = service ] && SERVICE=yes
	write_confs "$@"
	rm -f "$T/cdr.sqlite"
	start_sim
	start_gw "$T/gw.conf" "$T/$st-gw.log"
	if ! wait_for 150 "sim_idle && gw_idle"; then
		fail "${st}_link_up" "$(ctl spans | head -1) / $(sim status | head -1)"
		tail -20 "$T/$st-gw.log"
		stop_both
		return
	fi
	sleep 0.5

	# pstnsim killed
	failure "$st-kill" kill $((NCH / 3)) $((NCH / 6))
	if wait_for 50 "[ \"\$(gw_spanf dchan)\" = down ] && [ \"\$(gw_spanf busy)\" = 0 ]"; then
		pass "${st}_kill_span_down_nothing_busy"
	else
		fail "${st}_kill_span_down_nothing_busy" "$(ctl spans | head -1)"
	fi
	down_invites "$st-kill" 3
	t0=$(date +%s)
	start_sim
	recovered "$st-kill" "$t0"

	if [ "$8" = stop ]; then
		# the far end freezes with the line up: only LAPD can tell (Q.921
		# T203 10 s, then N200 = 3 polls T200 = 1 s apart): 13 s + slack
		failure "$st-stop" stop $((NCH / 3)) $((NCH / 6)) 16000
		if wait_for 20 "[ \"\$(gw_spanf dchan)\" = down ] && [ \"\$(gw_spanf busy)\" = 0 ]"; then
			pass "${st}_stop_dchan_down_nothing_busy"
		else
			fail "${st}_stop_dchan_down_nothing_busy" "$(ctl spans | head -1)"
		fi
		down_invites "$st-stop" 2
		kill -CONT "$SIMPID"
		recovered "$st-stop" "$(date +%s)"
	fi
	if [ "$7" = full ]; then
		# line loss: pstnsim drops the connection, the gateway reconnects
		failure "$st-drop" drop $((NCH / 3)) $((NCH / 6))
		recovered "$st-drop" "$(date +%s)"
		restart_chan "$st"
	fi
	[ "$9" = service ] && service_chan "$st"

	kill -0 "$GWPID" 2>/dev/null && pass "${st}_gateway_alive" || fail "${st}_gateway_alive" "$(tail -5 "$T/$st-gw.log")"
	stop_both
	if [ "$FAILS" != 0 ]; then
		echo "--- $st gw.log (tail)"; tail -30 "$T/$st-gw.log"
	fi
}

# two_spans: a group of two E1 spans whose first has its line up but its
# D-channel down for good (both ends configured as the network side, so
# neither brings up LAPD): every call must go to the second span, 30 at
# once, and the 31st gets 503 with cause 34 (no channel), not 38
two_spans() {
	NCH=30
	SERVICE=no
	write_confs two e1 euroisdn net pri_net
	cat >>"$T/sim.conf" <<EOC
[span 2]
type = e1
path = $T/span2.sock
switchtype = euroisdn
node = net
EOC
	# [route both] goes before the catch-all routes
	awk -v sock="$T/span2.sock" '
	/^\[route one\]/ && !done {
		print "[route both]"; print "direction = sip2pstn"
		print "called = prefix:99"; print "called_strip = 2"
		print "target = group:both"; done = 1
	}
	{ print }
	END {
		print "[span 2]"; print "type = e1"; print "socket = " sock
		print "signalling = pri_cpe"
		print "[group both]"; print "members = span:1, span:2"
	}' "$T/gw.conf" >"$T/gw2.conf"
	rm -f "$T/cdr.sqlite"
	start_sim
	start_gw "$T/gw2.conf" "$T/two-gw.log"
	if ! wait_for 150 "ctl spans | grep -q '^span 2 .* dchan=up idle=30 busy=0' && \
		ctl spans | grep -q '^span 1 E1 up .* dchan=down' && \
		sim status | grep -q '^span 2 .* link up idle 30 busy 0 restarting 0'"; then
		fail two_spans_up "$(ctl spans | head -2 | tr '\n' ' ') / $(sim status | head -2 | tr '\n' ' ')"
	fi
	sipp_bg two-all tests/data/sipp/gw_call_uac.xml 991001 1 30 -d 3000
	hp=$!
	if wait_for 100 "ctl spans | grep -q '^span 2 .* busy=30 '"; then
		n1=$(ctl calls | grep -c ' span 1 ')
		[ "$n1" = 0 ] && pass two_spans_calls_pass_over_dead_dchan ||
			fail two_spans_calls_pass_over_dead_dchan "$n1 calls on span 1"
		sed -e 's/@STATUS@/503/' -e 's/@CAUSE@/34/' tests/data/sipp/gw_fail_uac.xml.in >"$T/two-34.xml"
		if sipp_fg two-34 "$T/two-34.xml" 991002 2 1; then pass two_spans_full_503_cause_34; else
			fail two_spans_full_503_cause_34 "$(sipp_why two-34)"; fi
	else
		fail two_spans_calls_pass_over_dead_dchan "$(ctl spans | head -2 | tr '\n' ' ') $(sipp_why two-all)"
	fi
	if wait_pid 300 "$hp"; then pass two_spans_30_calls_ok; else
		fail two_spans_30_calls_ok "$(sipp_why two-all)"; fi
	if wait_for 50 "ctl spans | grep -q '^span 2 .* dchan=up idle=30 busy=0' && [ \$(ncalls) = 0 ]"; then
		pass two_spans_idle_after
	else
		fail two_spans_idle_after "$(ctl spans | head -2 | tr '\n' ' ')"
	fi
	stop_both
	[ "$FAILS" != 0 ] && { echo "--- two spans gw.log (tail)"; tail -20 "$T/two-gw.log"; }
}

START=$(date +%s)
run_span e1 e1 euroisdn net pri_cpe 30 full stop
run_span t1 t1 national cpe pri_net 23 full - service
two_spans
echo "# whole run: $(($(date +%s) - START)) s"
exit 0
