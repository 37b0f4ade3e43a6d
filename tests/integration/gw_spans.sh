#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon's TDM side against pstnsim (libpri as the network side) over a
# virtual E1: the D-channel comes up, the span goes into red alarm when
# pstnsim dies and recovers by itself when it returns, an incoming call is
# refused cleanly (no call handling configured yet) and leaves nothing
# busy, and bad [span]/[group] sections are reported with file:line:key.
BUILD=${BUILD:-build}
GW=$BUILD/pstngw
CTL=$BUILD/pstngwctl
SIM=$BUILD/pstnsim
T=$(mktemp -d /tmp/pstngw-spans.XXXXXX)
GWPID=""
SIMPID=""
cleanup() {
	[ -n "$GWPID" ] && kill "$GWPID" 2>/dev/null
	[ -n "$SIMPID" ] && kill "$SIMPID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
spans() { $CTL -s "$T/gw.ctl" spans 2>&1; }
# wait up to N tenths of a second for the spans output to match a regex
wait_spans() {
	n=$2
	while [ "$n" -gt 0 ]; do
		spans | grep -Eq "$1" && return 0
		sleep 0.1; n=$((n - 1))
	done
	return 1
}
start_sim() {
	$SIM -c "$T/sim.conf" >>"$T/sim.log" 2>&1 &
	SIMPID=$!
}
if [ ! -x "$SIM" ]; then
	echo "SKIP spans: pstnsim not built"
	exit 0
fi

cat >"$T/sim.conf" <<EOC
[general]
socket = $T/sim.ctl
fax_dir = $T/fax
[span 1]
type = e1
path = $T/span1.sock
switchtype = euroisdn
node = net
EOC
cat >"$T/gw.conf" <<EOC
[general]
control_socket = $T/gw.ctl
log_level = info
[sip]
listen = udp:127.0.0.1:15540
[span 1]
type = e1
socket = $T/span1.sock
signalling = pri_cpe
switchtype = euroisdn
[group e1]
members = span:1
hunt = roundrobin
[group half]
members = span:1:1-10
EOC

start_sim
sleep 0.3
$GW -f -c "$T/gw.conf" >"$T/gw.log" 2>&1 &
GWPID=$!

if wait_spans '^span 1 E1 up alarms=OK dchan=up idle=30 busy=0' 100; then
	pass span_up_dchan_up
else
	fail span_up_dchan_up "$(spans)"
fi
spans | grep -q '^group e1 members=30 available=30' && pass group_whole_span || fail group_whole_span "$(spans)"
spans | grep -q '^group half members=10 available=10' && pass group_timeslot_list || fail group_timeslot_list "$(spans)"

# an incoming call with no pstn2sip route is refused with cause 3 (no route
# to destination) and leaves the channel idle
out=$($SIM -x "$T/sim.ctl" call 1 1234 5678 2>&1)
id=$(echo "$out" | sed -n 's/^OK \([0-9]*\).*/\1/p')
n=50; st=""
while [ $n -gt 0 ]; do
	st=$($SIM -x "$T/sim.ctl" stats "$id" 2>&1)
	echo "$st" | grep -q "state released" && break
	sleep 0.1; n=$((n - 1))
done
if echo "$st" | grep -q "state released cause 3 "; then pass incoming_no_route_3; else fail incoming_no_route_3 "$out / $st"; fi
if wait_spans '^span 1 .* busy=0 unavailable=0 refused=1' 30; then pass refused_leaves_idle; else fail refused_leaves_idle "$(spans)"; fi

# pstnsim dies: red alarm and D-channel down within 5 s
kill "$SIMPID"; wait "$SIMPID" 2>/dev/null; SIMPID=""
if wait_spans '^span 1 E1 down alarms=RED dchan=down' 50; then
	pass span_red_when_far_end_dies
else
	fail span_red_when_far_end_dies "$(spans)"
fi
spans | grep -q '^group e1 members=30 available=0' && pass group_unavailable_in_alarm || fail group_unavailable_in_alarm "$(spans)"

# it returns: up again without any manual step, within 30 s
start_sim
if wait_spans '^span 1 E1 up alarms=OK dchan=up idle=30' 300; then
	pass span_recovers
else
	fail span_recovers "$(spans)"
fi

kill -TERM "$GWPID"; wait "$GWPID"; rc=$?; GWPID=""
[ $rc = 0 ] && pass gw_stop_with_spans || fail gw_stop_with_spans "rc=$rc"

# configuration errors
check_bad() { # name text expect
	printf '%b' "$2" >"$T/bad.conf"
	out=$($GW -t -c "$T/bad.conf" 2>&1)
	if echo "$out" | grep -q "$3"; then pass "$1"; else fail "$1" "$out"; fi
}
check_bad span_missing_socket '[span 1]\ntype = e1\n' 'bad.conf:1: \[span 1\]: missing key .socket.'
check_bad span_bad_bchan '[span 1]\nsocket = x\nbchan = 1-40\n' "bad.conf:3: \[span 1\] bchan: '1-40' is not a timeslot list"
check_bad span_bchan_overlaps_d '[span 1]\nsocket = x\nbchan = 1-20\n' 'bad.conf:3: \[span 1\] bchan: includes the D-channel'
check_bad span_bad_switch '[span 1]\nsocket = x\nswitchtype = foo\n' "bad.conf:3: \[span 1\] switchtype: 'foo'"
check_bad span_unknown_key '[span 1]\nsocket = x\nswitch = euroisdn\n' 'bad.conf:3: \[span 1\] switch: unknown key'
check_bad span_bad_number '[span x]\nsocket = x\n' 'bad.conf:1: \[span x\]: spans are numbered'
check_bad group_no_span '[span 1]\nsocket = x\n[group g]\nmembers = span:2\n' "bad.conf:4: \[group g\] members: 'span:2': no \[span 2\]"
check_bad group_bad_hunt '[span 1]\nsocket = x\n[group g]\nmembers = span:1\nhunt = random\n' "bad.conf:5: \[group g\] hunt: 'random' is not valid"
exit 0
