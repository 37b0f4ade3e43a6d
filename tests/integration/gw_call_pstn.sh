#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The call model (gw/call) with its real TDM leg (gw/spans: routing to
# groups, hunting, gw/pri over a virtual E1) against pstnsim's default
# subscribers, the SIP leg played by tests/tools/calltest. Checks what the
# SIP side is told (180/183/200, failure status with cause, BYE) and the
# CDR-level result of each call, failover from a dead span, 503 + 38 when
# no span can carry the call, and that killing pstnsim mid-call releases
# the SIP side within 5 s.
BUILD=${BUILD:-build}
SIM=$BUILD/pstnsim
CT=$BUILD/tools/calltest
T=$(mktemp -d /tmp/pstngw-callpstn.XXXXXX)
SIMPID=""
cleanup() {
	[ -n "$SIMPID" ] && kill "$SIMPID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
if [ ! -x "$SIM" ] || [ ! -x "$CT" ]; then
	echo "SKIP call_pstn: pstnsim or calltest not built"
	exit 0
fi

cat >"$T/sim.conf" <<EOC
[general]
socket = $T/sim.ctl
fax_dir = $T/fax
ringback_ms = 1000
[span 1]
type = e1
path = $T/span1.sock
switchtype = euroisdn
node = net
EOC
cat >"$T/gw.conf" <<EOC
[span 1]
socket = $T/span1.sock
signalling = pri_cpe
[span 2]
; nobody at the far end: red alarm
socket = $T/nowhere.sock
[group e1]
members = span:1
[group dead]
members = span:2
[route failover]
direction = sip2pstn
called = prefix:9
called_strip = 1
target = group:dead, group:e1
[route deadonly]
direction = sip2pstn
called = prefix:8
called_strip = 1
target = group:dead
[route pstn]
direction = sip2pstn
called = ^[0-9]+$
target = group:e1
EOC

$SIM -c "$T/sim.conf" >"$T/sim.log" 2>&1 &
SIMPID=$!
sleep 0.3

# name, expected RESULT fields (regex), extra expected output line, calltest args
case_call() {
	name=$1; want=$2; line=$3; shift 3
	out=$(timeout 30 "$CT" -c "$T/gw.conf" -w 3000 "$@" 2>"$T/$name.err")
	res=$(echo "$out" | grep '^RESULT')
	if echo "$res" | grep -Eq "$want" && { [ -z "$line" ] || echo "$out" | grep -q "^$line"; }; then
		pass "$name"
	else
		fail "$name" "$(echo "$out" | tr '\n' '|')"
	fi
}

case_call answered_sip_hangs_up 'status=200 cause=16 answered=1 hangup=sip target=0' 'SIP 200' -n 1001 -b 300
case_call busy_486_cause_17 'status=486 cause=17 answered=0 hangup=pstn' 'SIP reject 486 cause 17' -n 2001
case_call unallocated_404_cause_1 'status=404 cause=1 answered=0 hangup=pstn' 'SIP reject 404 cause 1' -n 4001
case_call ringing_then_cancel 'status=487 cause=16 answered=0 hangup=sip' 'SIP 180' -n 3001 -x 1500
case_call no_answer_480_cause_19 'status=480 cause=19 answered=0 hangup=gateway' 'SIP 180' -n 3001 -t 1500
case_call early_media_183_then_200 'status=200 cause=16 answered=1 hangup=sip' 'SIP 183 sdp' -n 6001 -b 300
case_call failover_dead_span_to_e1 'status=200 cause=16 answered=1 hangup=sip target=1' 'TDM setup on dead failed cause 38' -n 91001 -b 200
case_call span_down_503_cause_38 'status=503 cause=38 answered=0' 'SIP reject 503 cause 38' -n 81001
case_call no_route_404 'status=404 cause=3 answered=0' '' -n ''

# pstnsim dies in the middle of an answered call: BYE with cause 38 in < 5 s
( sleep 4; kill "$SIMPID" ) &
killer=$!
start=$(date +%s%N)
out=$(timeout 30 "$CT" -c "$T/gw.conf" -w 3000 -n 1001 -b 20000 2>"$T/kill.err")
end=$(date +%s%N)
wait $killer 2>/dev/null
SIMPID=""
ms=$(( (end - start) / 1000000 ))
if echo "$out" | grep -q '^SIP bye cause 38' && echo "$out" | grep -q 'hangup=pstn' && [ "$ms" -lt 9000 ]; then
	pass "far_end_dies_bye_cause_38"
else
	fail "far_end_dies_bye_cause_38" "after ${ms} ms: $(echo "$out" | tr '\n' '|')"
fi
exit 0
