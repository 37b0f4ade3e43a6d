#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# SIP trunks against sipp as the peer: the OPTIONS keepalive marks a trunk
# up, down when the peer vanishes or answers 503, and up again when it
# returns; the route command shows rule, rewriting and targets.
BUILD=${BUILD:-build}
GW=$BUILD/pstngw
CTL=$BUILD/pstngwctl
T=$(mktemp -d /tmp/pstngw-trunk.XXXXXX)
GWPID=""
SIPPS=""
cleanup() {
	[ -n "$GWPID" ] && kill "$GWPID" 2>/dev/null
	for p in $SIPPS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
# wait up to N tenths of a second for trunk NAME to show state ST
wait_state() {
	n=$3
	while [ "$n" -gt 0 ]; do
		$CTL -s "$T/gw.ctl" trunks 2>/dev/null | grep -q "^$1 .*state=$2 " && return 0
		sleep 0.1; n=$((n - 1))
	done
	return 1
}
start_sipp() { # scenario port
	timeout 120 sipp -sf "tests/data/sipp/$1" -i 127.0.0.1 -p "$2" -m 100000 \
		-nostdin >"$T/sipp-$2.log" 2>&1 &
	SIPPS="$SIPPS $!"
	LAST_SIPP=$!
}
if ! command -v sipp >/dev/null; then
	echo "SKIP trunk: sipp not installed"
	exit 0
fi

cat >"$T/gw.conf" <<EOC
[general]
control_socket = $T/gw.ctl
log_level = info
[sip]
listen = udp:127.0.0.1:15520
; short T1 so that Timer F (64*T1) is 3.2 s in this test
t1 = 50ms
[trunk a]
address = 127.0.0.1:15521
keepalive = 1s
keepalive_failures = 2
[trunk b]
address = 127.0.0.1:15522
keepalive = 1s
keepalive_failures = 1
causes = strict
[causes strict]
profile = q1912.5
[trunk quiet]
address = [::1]:15523
keepalive = 0
acl = 10.0.0.0/8, ::1/128
[route pbx-out]
direction = sip2pstn
source = trunk:a
called = ^0[1-9]
called_format = national
calling_format = national
country_code = 49
target = group:e1, trunk:b
EOC

start_sipp gw_options_200.xml 15521
SIPP_A=$LAST_SIPP
start_sipp gw_options_503.xml 15522
sleep 0.3
$GW -f -c "$T/gw.conf" >"$T/gw.log" 2>&1 &
GWPID=$!

if wait_state a up 50; then pass trunk_up_on_200; else fail trunk_up_on_200 "$($CTL -s $T/gw.ctl trunks 2>&1)"; fi
if wait_state b down 50; then pass trunk_down_on_503; else fail trunk_down_on_503 "$($CTL -s $T/gw.ctl trunks 2>&1)"; fi
if $CTL -s "$T/gw.ctl" trunks | grep -q "^quiet UDP \[::1\]:15523 state=up probes=0"; then
	pass trunk_keepalive_off_up
else
	fail trunk_keepalive_off_up "$($CTL -s $T/gw.ctl trunks 2>&1)"
fi

# the peer vanishes: down after 2 failed probes (Timer F each)
kill "$SIPP_A"; wait "$SIPP_A" 2>/dev/null
if wait_state a down 150; then pass trunk_down_when_peer_gone; else fail trunk_down_when_peer_gone "$($CTL -s $T/gw.ctl trunks 2>&1)"; fi
grep -q "trunk a is down" "$T/gw.log" && pass trunk_down_logged || fail trunk_down_logged "$(tail -5 $T/gw.log)"

# it returns: up on the first answered probe
start_sipp gw_options_200.xml 15521
if wait_state a up 80; then pass trunk_up_when_peer_back; else fail trunk_up_when_peer_back "$($CTL -s $T/gw.ctl trunks 2>&1)"; fi

# reload keeps the state of unchanged trunks
kill -HUP "$GWPID"
sleep 0.3
if $CTL -s "$T/gw.ctl" trunks | grep -q "^a .*state=up .*probes=[1-9]"; then
	pass trunk_state_kept_on_reload
else
	fail trunk_state_kept_on_reload "$($CTL -s $T/gw.ctl trunks 2>&1)"
fi

out=$($CTL -s "$T/gw.ctl" route sip2pstn 030123 +4940999 trunk:a 2>&1)
if echo "$out" | grep -q "^route: pbx-out" && echo "$out" | grep -q "^called: 30123 (ton national)" \
	&& echo "$out" | grep -q "^calling: 40999 (ton national)" \
	&& echo "$out" | grep -q "^target 2: trunk:b"; then
	pass route_lookup
else
	fail route_lookup "$out"
fi
out=$($CTL -s "$T/gw.ctl" route sip2pstn 030123 x trunk:b 2>&1); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q "no route matches"; then pass route_no_match; else fail route_no_match "$out"; fi

# bad trunk configs are refused with file:line:key
printf '[trunk x]\naddress = example.com\n' >"$T/b1.conf"
out=$($GW -t -c "$T/b1.conf" 2>&1)
echo "$out" | grep -q "b1.conf:2: \[trunk x\] address: 'example.com' is not a numeric" && pass trunk_bad_address || fail trunk_bad_address "$out"
printf '[trunk x]\naddress = 127.0.0.1\ncauses = nope\n' >"$T/b2.conf"
out=$($GW -t -c "$T/b2.conf" 2>&1)
echo "$out" | grep -q "b2.conf:3: \[trunk x\] causes: no section \[causes nope\]" && pass trunk_bad_causes || fail trunk_bad_causes "$out"
printf '[trunk x]\naddress = 127.0.0.1\nacl = 1.2.3.4/33\n' >"$T/b3.conf"
out=$($GW -t -c "$T/b3.conf" 2>&1)
echo "$out" | grep -q "b3.conf:3: \[trunk x\] acl: '1.2.3.4/33'" && pass trunk_bad_acl || fail trunk_bad_acl "$out"

kill -TERM "$GWPID"; wait "$GWPID"; rc=$?; GWPID=""
[ $rc = 0 ] && pass gw_stop_with_trunks || fail gw_stop_with_trunks "rc=$rc"

# outbound registration: sipp as registrar sees the gateway's REGISTER
# (AOR from username/domain, digest for auth_user), the trunks command
# shows it registered, and stopping the daemon removes the binding.
if command -v sipp >/dev/null; then
	cat >"$T/reg.conf" <<EOC
[general]
control_socket = $T/reg.ctl
log_level = info
[sip]
listen = udp:127.0.0.1:15614
[trunk carrier]
address = 127.0.0.1:15615
keepalive = 0
register = yes
username = 4930123
auth_user = gwuser
password = gwpass
domain = carrier.test
expires = 120
EOC
	timeout 120 sipp -sf tests/data/sipp/reg_gw.xml -i 127.0.0.1 -p 15615 -m 1 \
		-timeout 90 -timeout_error -nostdin >"$T/sipp-reg.log" 2>&1 &
	SIPP_REG=$!
	SIPPS="$SIPPS $SIPP_REG"
	sleep 0.3
	$GW -f -c "$T/reg.conf" >"$T/gw-reg.log" 2>&1 &
	GWPID=$!
	n=50
	while [ $n -gt 0 ] && ! $CTL -s "$T/reg.ctl" trunks 2>/dev/null | grep -q "^carrier .*reg=registered reg_expires=120"; do
		sleep 0.1; n=$((n - 1))
	done
	if [ $n -gt 0 ]; then pass trunk_registered; else fail trunk_registered "$($CTL -s $T/reg.ctl trunks 2>&1)"; fi
	# a reload with the trunk unchanged keeps the binding (no unregister/register:
	# sipp would take the unregister as its last message and stop answering)
	kill -HUP "$GWPID"
	sleep 1
	if $CTL -s "$T/reg.ctl" trunks 2>/dev/null | grep -q "^carrier .*reg=registered reg_expires=120"; then
		pass trunk_registration_kept_on_reload
	else
		fail trunk_registration_kept_on_reload "$($CTL -s $T/reg.ctl trunks 2>&1)"
	fi
	kill -TERM "$GWPID"; wait "$GWPID"; rc=$?; GWPID=""
	[ $rc = 0 ] && pass gw_stop_with_registration || fail gw_stop_with_registration "rc=$rc"
	# sipp passes only if it saw valid credentials and then Expires: 0
	n=50
	while [ $n -gt 0 ] && kill -0 "$SIPP_REG" 2>/dev/null; do sleep 0.1; n=$((n - 1)); done
	wait "$SIPP_REG"; src=$?
	[ $src = 0 ] && pass trunk_register_auth_unregister || fail trunk_register_auth_unregister "sipp rc=$src: $(tail -5 $T/sipp-reg.log)"
fi
printf '[trunk x]\naddress = 127.0.0.1\nregister = yes\n' >"$T/b4.conf"
out=$($GW -t -c "$T/b4.conf" 2>&1)
echo "$out" | grep -q "b4.conf:3: \[trunk x\] register: register = yes needs 'username'" && pass trunk_register_needs_username || fail trunk_register_needs_username "$out"
printf '[trunk x]\naddress = 127.0.0.1\nregister = yes\nusername = a@b\n' >"$T/b5.conf"
out=$($GW -t -c "$T/b5.conf" 2>&1)
echo "$out" | grep -q "b5.conf:4: \[trunk x\] username: too long" && pass trunk_register_bad_username || fail trunk_register_bad_username "$out"
exit 0
